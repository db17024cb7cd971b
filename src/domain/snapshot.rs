//! `TenantSnapshot`: everything credwise knows about one tenant at one instant. It is what a
//! backend loads, what a snapshot file holds (see `store::snapshot_file` for the envelope), and
//! what `Change`s apply to.

use super::credential::KeyCredential;
use super::id_index::folded_hash;
use super::shared_str::Sharing;
use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::objects::{
    Application, AzureResource, RoleAssignment, ServicePrincipal, UserAssignedIdentity,
};
use super::usage::UsageData;

/// The Azure cloud a tenant lives in; it decides the Entra issuer hosts and the portal host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    #[default]
    Public,
    Usgov,
    China,
}

impl Cloud {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Usgov => "usgov",
            Self::China => "china",
        }
    }

    /// The hosts whose `https://{host}/{tenant}/v2.0` issuer is this cloud's Entra ID.
    pub fn entra_issuer_hosts(self) -> &'static [&'static str] {
        match self {
            Self::Public => &["login.microsoftonline.com"],
            Self::Usgov => &["login.microsoftonline.us"],
            Self::China => &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
        }
    }

    pub fn portal_host(self) -> &'static str {
        match self {
            Self::Public => "portal.azure.com",
            Self::Usgov => "portal.azure.us",
            Self::China => "portal.azure.cn",
        }
    }
}

/// Where a snapshot came from, shown in the title line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotSource {
    /// The embedded demo tenant.
    Demo,
    /// Saved from a live session.
    #[default]
    Live,
    /// Imported from `az` CLI JSON.
    AzImport,
}

impl SnapshotSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Live => "live",
            Self::AzImport => "az-import",
        }
    }
}

/// One tenant's workload identities, credentials, Azure resources and role assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSnapshot {
    pub tenant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_display_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub captured_at: Timestamp,
    #[serde(default)]
    pub source: SnapshotSource,
    #[serde(default)]
    pub cloud: Cloud,
    #[serde(default)]
    pub applications: Vec<Application>,
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    #[serde(default)]
    pub user_assigned_identities: Vec<UserAssignedIdentity>,
    #[serde(default)]
    pub resources: Vec<AzureResource>,
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Sign-in evidence (snapshot format version 2); empty — "not loaded" — in version 1
    /// files and until the usage loader has run.
    #[serde(default, skip_serializing_if = "UsageData::is_empty")]
    pub usage: UsageData,
}

impl TenantSnapshot {
    /// Gives back the room its lists were read with and no longer need, and makes the texts
    /// a tenant repeats (`SharedStr`) one copy each. A list read from JSON or gathered page
    /// by page grows by doubling (four places for a first credential), and a large tenant's
    /// hundreds of thousands of short credential lists held tens of megabytes of it; its
    /// role assignments repeat a few hundred role definition ids and scopes tens of
    /// thousands of times. The indexes built next reuse what is freed.
    pub fn compact(&mut self) {
        let mut t = Sharing::default();
        self.applications.compact(&mut t);
        self.service_principals.compact(&mut t);
        self.user_assigned_identities.compact(&mut t);
        self.resources.compact(&mut t);
        self.role_assignments.compact(&mut t);
    }

    /// An empty snapshot of a tenant.
    pub fn empty(tenant_id: impl Into<String>, captured_at: Timestamp) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            tenant_display_name: None,
            captured_at,
            source: SnapshotSource::Live,
            cloud: Cloud::Public,
            applications: vec![],
            service_principals: vec![],
            user_assigned_identities: vec![],
            resources: vec![],
            role_assignments: vec![],
            usage: UsageData::default(),
        }
    }

    /// Moves every timestamp by `by`. The demo tenant is stored relative to a fixed instant
    /// and shifted to *now* at load time, so it always shows expired, soon-expiring and healthy
    /// credentials. Far-future "never" dates (year 2299) stay far in the future.
    pub fn shift_times(&mut self, by: time::Duration) {
        fn shift(t: &mut Option<Timestamp>, by: time::Duration) {
            if let Some(v) = t
                && let Some(moved) = v.checked_add(by)
            {
                *v = moved;
            }
        }
        if let Some(moved) = self.captured_at.checked_add(by) {
            self.captured_at = moved;
        }
        for app in &mut self.applications {
            shift(&mut app.created_date_time, by);
            for c in &mut app.password_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
            for c in &mut app.key_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
        }
        for sp in &mut self.service_principals {
            for c in &mut sp.password_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
            for c in &mut sp.key_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
        }
        self.usage.shift_times(by);
    }

    /// Counts of objects, for status lines and notes.
    pub fn credential_count(&self) -> usize {
        self.applications
            .iter()
            .map(|a| {
                a.password_credentials.len()
                    + a.key_credentials.len()
                    + a.federated_identity_credentials.len()
            })
            .sum::<usize>()
            + self
                .service_principals
                .iter()
                .map(|s| s.password_credentials.len() + s.key_credentials.len())
                .sum::<usize>()
            + self
                .user_assigned_identities
                .iter()
                .map(|u| u.federated_identity_credentials.len())
                .sum::<usize>()
    }
}

/// Where an object sits in a snapshot: its collection (the snapshot file's field name), its
/// 0-based position there, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub collection: &'static str,
    pub index: usize,
    pub name: String,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} item {} ({:?})",
            self.collection,
            self.index + 1,
            self.name
        )
    }
}

/// Two objects with one id: a later change by id would reach whichever comes first, not
/// necessarily the one a migration was planned on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateId {
    pub id: String,
    pub first: Place,
    pub second: Place,
}

impl std::fmt::Display for DuplicateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} and {} have the same id {}",
            self.first, self.second, self.id
        )
    }
}

impl TenantSnapshot {
    /// Every object as (collection, index, id compared case-insensitively, name), in the
    /// order duplicates are looked for. Applications and service principals share one group:
    /// directory objects share one id space, so an application and a service principal with
    /// one object id are as ambiguous as two applications.
    ///
    /// Borrowed: on a 150,000-identity tenant owned copies of every id and name cost tens of
    /// megabytes at the peak of a load (issue #13's memory budget).
    #[allow(clippy::type_complexity)]
    fn keyed(&self) -> [Vec<(&'static str, usize, &str, &str)>; 4] {
        [
            self.applications
                .iter()
                .enumerate()
                .map(|(i, a)| ("applications", i, a.id.as_str(), a.display_name.as_str()))
                .chain(self.service_principals.iter().enumerate().map(|(i, p)| {
                    (
                        "servicePrincipals",
                        i,
                        p.id.as_str(),
                        p.display_name.as_str(),
                    )
                }))
                .collect(),
            self.user_assigned_identities
                .iter()
                .enumerate()
                .map(|(i, u)| ("userAssignedIdentities", i, u.id.as_str(), u.name.as_str()))
                .collect(),
            self.resources
                .iter()
                .enumerate()
                .map(|(i, r)| ("resources", i, r.id.as_str(), r.name.as_str()))
                .collect(),
            self.role_assignments
                .iter()
                .enumerate()
                .map(|(i, r)| ("roleAssignments", i, r.id.as_str(), r.role_name()))
                .collect(),
        ]
    }

    /// The first two objects that share an id, if any. Ids are compared trimmed and without
    /// regard to ASCII case, by their hash first; none is copied.
    pub fn duplicate_id(&self) -> Option<DuplicateId> {
        let seed = foldhash::fast::RandomState::default();
        let mut first = None;
        for group in self.keyed() {
            // Sorted by key hash (then place), equal keys sit side by side: a sort, not a
            // map of 300,000 keys, on the path of every load.
            let mut hashed: Vec<(u64, u32)> = group
                .iter()
                .enumerate()
                .map(|(n, &(_, _, id, _))| (folded_hash(&seed, id.trim()), n as u32))
                .collect();
            hashed.sort_unstable();
            // The duplicate reported is the one listed first: the pair whose second object
            // comes earliest, with the first object that carries its id.
            let mut found: Option<(usize, usize)> = None;
            for run in hashed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
                for (k, &(_, n)) in run.iter().enumerate().skip(1) {
                    let id = group[n as usize].2.trim();
                    let earlier = run[..k]
                        .iter()
                        .find(|&&(_, m)| group[m as usize].2.trim().eq_ignore_ascii_case(id));
                    if let Some(&(_, m)) = earlier {
                        if found.is_none_or(|(_, best)| (n as usize) < best) {
                            found = Some((m as usize, n as usize));
                        }
                        break;
                    }
                }
            }
            if let Some((m, n)) = found {
                let place = |k: usize| Place {
                    collection: group[k].0,
                    index: group[k].1,
                    name: group[k].3.to_string(),
                };
                first = Some(DuplicateId {
                    id: group[n].2.trim().to_ascii_lowercase(),
                    first: place(m),
                    second: place(n),
                });
                break;
            }
        }
        first
    }

    /// Drops every earlier copy of an object listed twice in one collection, keeping the
    /// last (a live crawl that listed an object again as pages shifted: it is one object, and
    /// the later copy is the fresher). Returns what was dropped, for warnings. An application
    /// and a service principal with one id are both kept (and reported): a change names its
    /// target's collection, so neither can be mistaken for the other.
    pub fn dedupe(&mut self) -> Vec<DuplicateId> {
        fn keep_last<T>(
            list: &mut Vec<T>,
            collection: &'static str,
            id: impl Fn(&T) -> String,
            name: impl Fn(&T) -> String,
            out: &mut Vec<DuplicateId>,
        ) {
            let mut last: std::collections::HashMap<String, usize> = Default::default();
            for (i, x) in list.iter().enumerate() {
                last.insert(id(x).to_ascii_lowercase(), i);
            }
            let mut i = 0;
            let mut dropped = Vec::new();
            for (n, x) in list.iter().enumerate() {
                let k = id(x).to_ascii_lowercase();
                if last.get(&k) != Some(&n) {
                    let kept = last.get(&k).copied().unwrap_or(n);
                    dropped.push(DuplicateId {
                        id: id(x),
                        first: Place {
                            collection,
                            index: n,
                            name: name(x),
                        },
                        second: Place {
                            collection,
                            index: kept,
                            name: name(&list[kept]),
                        },
                    });
                }
            }
            list.retain(|x| {
                let keep = last.get(&id(x).to_ascii_lowercase()) == Some(&i);
                i += 1;
                keep
            });
            out.extend(dropped);
        }
        let mut out = Vec::new();
        keep_last(
            &mut self.applications,
            "applications",
            |a| a.id.clone(),
            |a| a.display_name.clone(),
            &mut out,
        );
        keep_last(
            &mut self.service_principals,
            "servicePrincipals",
            |p| p.id.clone(),
            |p| p.display_name.clone(),
            &mut out,
        );
        keep_last(
            &mut self.user_assigned_identities,
            "userAssignedIdentities",
            |u| u.id.clone(),
            |u| u.name.clone(),
            &mut out,
        );
        keep_last(
            &mut self.resources,
            "resources",
            |r| r.id.clone(),
            |r| r.name.clone(),
            &mut out,
        );
        keep_last(
            &mut self.role_assignments,
            "roleAssignments",
            |r| r.id.clone(),
            |r| r.role_name().to_string(),
            &mut out,
        );
        if let Some(d) = self.duplicate_id() {
            out.push(d);
        }
        out
    }
}

/// What `TenantSnapshot::compact` does, object by object: a list read in batches on several
/// threads (`store::snapshot_file`) is compacted there, batch by batch.
pub trait Compact {
    /// Gives back the room the object's lists grew with, and points its repeated texts at
    /// the copies `t` has seen.
    fn compact(&mut self, t: &mut Sharing);
}

impl<T: Compact> Compact for Vec<T> {
    fn compact(&mut self, t: &mut Sharing) {
        for x in self.iter_mut() {
            x.compact(t);
        }
        self.shrink_to_fit();
    }
}

impl Compact for KeyCredential {
    fn compact(&mut self, t: &mut Sharing) {
        t.share_option(&mut self.key_type);
        t.share_option(&mut self.usage);
    }
}

impl Compact for Application {
    fn compact(&mut self, t: &mut Sharing) {
        self.password_credentials.shrink_to_fit();
        self.key_credentials.compact(t);
        self.federated_identity_credentials.shrink_to_fit();
        t.share_option(&mut self.sign_in_audience);
        t.share_option(&mut self.publisher_domain);
    }
}

impl Compact for ServicePrincipal {
    fn compact(&mut self, t: &mut Sharing) {
        self.password_credentials.shrink_to_fit();
        self.key_credentials.compact(t);
        self.alternative_names.shrink_to_fit();
        self.tags.shrink_to_fit();
        t.share_option(&mut self.app_owner_organization_id);
        for n in &mut self.alternative_names {
            t.share(n);
        }
    }
}

impl Compact for UserAssignedIdentity {
    fn compact(&mut self, _: &mut Sharing) {
        self.federated_identity_credentials.shrink_to_fit();
    }
}

impl Compact for AzureResource {
    fn compact(&mut self, t: &mut Sharing) {
        self.identity.user_assigned_identities.shrink_to_fit();
        t.share(&mut self.resource_type);
        t.share_option(&mut self.location);
        t.share(&mut self.identity.identity_type);
    }
}

impl Compact for RoleAssignment {
    fn compact(&mut self, t: &mut Sharing) {
        t.share_option(&mut self.principal_type);
        t.share(&mut self.role_definition_id);
        t.share_option(&mut self.role_definition_name);
        t.share(&mut self.scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot of `apps` applications, `sps` service principals and then role
    /// assignments, carrying `ids` in that order.
    fn with_ids(ids: &[String], apps: usize, sps: usize) -> TenantSnapshot {
        let at = time::macros::datetime!(2026-01-01 00:00 UTC);
        let mut s = TenantSnapshot::empty("t", at);
        for (n, id) in ids.iter().enumerate() {
            let v = if n < apps {
                serde_json::json!({"id": id, "appId": "", "displayName": format!("a{n}")})
            } else if n < apps + sps {
                serde_json::json!({"id": id, "appId": "", "displayName": format!("s{n}"),
                    "servicePrincipalType": "Application"})
            } else {
                serde_json::json!({"id": id, "principalId": "p", "roleDefinitionId": "r", "scope": "/"})
            };
            if n < apps {
                s.applications.push(serde_json::from_value(v).unwrap());
            } else if n < apps + sps {
                s.service_principals
                    .push(serde_json::from_value(v).unwrap());
            } else {
                s.role_assignments.push(serde_json::from_value(v).unwrap());
            }
        }
        s
    }

    proptest::proptest! {
        /// Against the obvious search (each object against every earlier one of its group):
        /// the same pair, for ids that differ in case and spaces only.
        #[test]
        fn the_duplicate_reported_is_the_first_listed(
            ids in proptest::collection::vec("[ ]?[aAbB]{1,2}[ ]?", 0..24),
            apps in 0usize..8,
            sps in 0usize..8,
        ) {
            let s = with_ids(&ids, apps.min(ids.len()), sps.min(ids.len() - apps.min(ids.len())));
            let mut want = None;
            'groups: for group in s.keyed() {
                for n in 0..group.len() {
                    for m in 0..n {
                        if group[m].2.trim().eq_ignore_ascii_case(group[n].2.trim()) {
                            want = Some((group[m].0, group[m].1, group[n].0, group[n].1));
                            break 'groups;
                        }
                    }
                }
            }
            let got = s.duplicate_id().map(|d| {
                proptest::prop_assert_eq!(&d.id, &d.id.trim().to_ascii_lowercase());
                Ok((d.first.collection, d.first.index, d.second.collection, d.second.index))
            });
            proptest::prop_assert_eq!(got.transpose()?, want);
        }
    }
}
