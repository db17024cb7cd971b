//! What the explorer's list shows: the navigation pane's views (`NavItem`: which identities
//! each one lists) and the list's sort keys (`SortKey`), with the sort itself.
//!
//! Pure; may import what `app` imports.

use super::*;

/// The views of the navigation pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavItem {
    /// The tenant at a glance: the first screen after a load.
    Dashboard,
    /// Every audit finding, worst first.
    Findings,
    All,
    Kind(IdentityKind),
    With(CredentialType),
    Expired,
    /// Ends within the warning window.
    Expiring,
}

impl NavItem {
    pub const ALL: [NavItem; 12] = [
        NavItem::Dashboard,
        NavItem::Findings,
        NavItem::All,
        NavItem::Kind(IdentityKind::Application),
        NavItem::Kind(IdentityKind::ServicePrincipal),
        NavItem::Kind(IdentityKind::UserAssignedManagedIdentity),
        NavItem::Kind(IdentityKind::SystemAssignedManagedIdentity),
        NavItem::With(CredentialType::Secret),
        NavItem::With(CredentialType::Certificate),
        NavItem::With(CredentialType::Federated),
        NavItem::Expired,
        NavItem::Expiring,
    ];

    pub fn title(self) -> &'static str {
        match self {
            NavItem::Dashboard => "Dashboard",
            NavItem::Findings => "Findings",
            NavItem::All => "All identities",
            NavItem::Kind(k) => k.title(),
            NavItem::With(CredentialType::Secret) => "With secrets",
            NavItem::With(CredentialType::Certificate) => "With certificates",
            NavItem::With(CredentialType::Federated) => "With federated",
            NavItem::Expired => "Expired",
            NavItem::Expiring => "Expiring soon",
        }
    }

    /// Where a heading goes above this item in the navigation pane.
    pub fn section(self) -> Option<&'static str> {
        match self {
            NavItem::Dashboard => Some("Overview"),
            NavItem::All => Some("Identities"),
            NavItem::With(CredentialType::Secret) => Some("Credentials"),
            NavItem::Expired => Some("Expiry"),
            _ => None,
        }
    }

    pub(crate) fn includes(
        self,
        dir: &Directory,
        id: EntryId,
        now: Timestamp,
        t: Thresholds,
    ) -> bool {
        let e = dir.entry(id);
        match self {
            // Both overview screens stand over the whole tenant.
            NavItem::Dashboard | NavItem::Findings | NavItem::All => true,
            NavItem::Kind(k) => e.kind == k,
            NavItem::With(c) => e.count(c) > 0,
            NavItem::Expired => expiry::status(e.nearest_expiry, now, t) == ExpiryStatus::Expired,
            NavItem::Expiring => matches!(
                expiry::status(e.nearest_expiry, now, t),
                ExpiryStatus::Critical | ExpiryStatus::Warning
            ),
        }
    }
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Kind,
    /// Nearest expiry first; identities without one last.
    Expiry,
    /// Best matches of the filter first (`domain::filter::Filter::rank`); by name while no
    /// filter is typed.
    Match,
    /// Least recently used first (the ones to retire), those without usage data last
    /// (`domain::last_used::order_key`).
    LastUsed,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Name,
        SortKey::Kind,
        SortKey::Expiry,
        SortKey::LastUsed,
        SortKey::Match,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Kind => "kind",
            SortKey::Expiry => "expiry",
            SortKey::Match => "match",
            SortKey::LastUsed => "last-used",
        }
    }

    /// The names `parse` takes, for messages: "name, kind, expiry, last-used or match".
    pub fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "name" => Some(SortKey::Name),
            "kind" => Some(SortKey::Kind),
            "expiry" | "expires" => Some(SortKey::Expiry),
            "match" | "best" => Some(SortKey::Match),
            "last-used" | "last_used" | "lastused" | "used" => Some(SortKey::LastUsed),
            _ => None,
        }
    }

    pub(crate) fn next(self) -> Self {
        match self {
            SortKey::Name => SortKey::Kind,
            SortKey::Kind => SortKey::Expiry,
            SortKey::Expiry => SortKey::LastUsed,
            SortKey::LastUsed => SortKey::Match,
            SortKey::Match => SortKey::Name,
        }
    }
}

/// Sorts by the key, then by name (the directory's precomputed rank) so the order is total
/// and stable; comparing integers keeps a 150,000-row re-sort cheap.
pub(super) fn sort_entries(dir: &Directory, used: &LastUsed, ids: &mut [EntryId], key: SortKey) {
    match key {
        // `match` ranks the filtered list; the list under it is in name order.
        SortKey::Name | SortKey::Match => ids.sort_unstable_by_key(|&id| dir.name_rank(id)),
        SortKey::Kind => ids.sort_unstable_by_key(|&id| (dir.entry(id).kind, dir.name_rank(id))),
        SortKey::Expiry => ids.sort_unstable_by_key(|&id| {
            // Nearest expiry first; identities without one last.
            let e = dir.entry(id).nearest_expiry;
            (e.is_none(), e, dir.name_rank(id))
        }),
        SortKey::LastUsed => {
            ids.sort_unstable_by_key(|&id| (used.order_key(id), dir.name_rank(id)))
        }
    }
}
