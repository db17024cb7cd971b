//! Usage evidence: when each credential and each identity last signed in, which source said
//! so, and — as important — when nothing can be said and why. This is what "is this secret
//! still used?" is answered from, by the audit (`credential-unused`,
//! `secret-in-use-beside-replacement`, the remedies' "safe to remove"), by the retirement
//! gate of a migration (`migration::retirement`) and by the screens.
//!
//! **The rule this module keeps: a credential is never called unused without data.** A fact
//! is one of:
//! - a sign-in, with its time, its source and (from the credential report) the credential's
//!   origin (`application` or `servicePrincipal`);
//! - a window of the sign-in log that was read completely and holds no sign-in with the
//!   credential: "no sign-in since" the window's start (or since the credential was added,
//!   when that is later);
//! - `Unknown`, with the reason: a missing permission (named), a missing licence, a cloud the
//!   source does not exist in, data not loaded, a source that failed, or sources that were
//!   read and simply do not mention the credential.
//!
//! The sources, best first (`UsageSource`): the beta credential report
//! (`/reports/appCredentialSignInActivities`, last sign-in per keyId: secrets and
//! certificates), the beta service principal report (`/reports/servicePrincipalSignInActivities`,
//! last sign-in per identity) and the sign-in log (`/auditLogs/signIns`, service principal
//! sign-ins, each naming the keyId, the certificate thumbprint or the federated credential it
//! used). A report's absence of a credential proves nothing (its horizon is not documented);
//! only the sign-in log, read over a known window, can say "no sign-in in N days" for a
//! credential it does not mention.
//!
//! Every claim is as of `UsageData::collected_at`: a snapshot of last month cannot say what
//! happened since. Pure: *now* comes in as an argument. May import the rest of `domain`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::credential::{CredentialRef, CredentialType};
use super::snapshot::Cloud;

/// Where a fact about sign-ins came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsageSource {
    /// Graph beta `/reports/appCredentialSignInActivities`: the last sign-in of each secret and
    /// certificate, by keyId, with the credential's origin.
    CredentialReport,
    /// Graph beta `/reports/servicePrincipalSignInActivities`: the last sign-in of each service
    /// principal, app-only as a client and of any kind.
    ServicePrincipalReport,
    /// Graph `/auditLogs/signIns`, service principal sign-ins: each names the credential used
    /// (`servicePrincipalCredentialKeyId`, `servicePrincipalCredentialThumbprint`,
    /// `federatedCredentialId`).
    SignInLog,
}

impl UsageSource {
    pub const ALL: [UsageSource; 3] = [
        Self::CredentialReport,
        Self::ServicePrincipalReport,
        Self::SignInLog,
    ];

    /// The stable name in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CredentialReport => "credential-report",
            Self::ServicePrincipalReport => "service-principal-report",
            Self::SignInLog => "sign-in-log",
        }
    }

    /// The source in words, for messages.
    pub fn words(self) -> &'static str {
        match self {
            Self::CredentialReport => "the credential sign-in report",
            Self::ServicePrincipalReport => "the service principal sign-in report",
            Self::SignInLog => "the sign-in log",
        }
    }

    /// Whether this source can name a credential of type `t`: the credential report knows
    /// secrets and certificates (its `keyType` is `clientSecret` or `certificate`), the
    /// sign-in log all three; the service principal report knows identities only.
    pub fn names(self, t: CredentialType) -> bool {
        match self {
            Self::CredentialReport => t != CredentialType::Federated,
            Self::ServicePrincipalReport => false,
            Self::SignInLog => true,
        }
    }
}

/// Where a credential lives, as the credential report says (`credentialOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CredentialOrigin {
    Application,
    ServicePrincipal,
    /// A value credwise does not know (`unknownFutureValue`, or a new one).
    #[serde(other)]
    Other,
}

impl CredentialOrigin {
    pub fn parse(s: &str) -> Self {
        match s {
            "application" => Self::Application,
            "servicePrincipal" => Self::ServicePrincipal,
            _ => Self::Other,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Self::Application => "on the application",
            Self::ServicePrincipal => "on the service principal",
            Self::Other => "origin not known",
        }
    }
}

/// Why nothing can be said about a credential's use.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Unknown {
    /// The signed-in account lacks a permission or a directory role; `permission` names it
    /// (`AuditLog.Read.All`, or a role such as Reports Reader).
    MissingPermission { permission: String },
    /// The tenant is not licensed for sign-in data through Graph (`requirement`: Microsoft
    /// Entra ID P1 or P2).
    Licence { requirement: String },
    /// The source does not exist in this cloud (the sign-in reports are global-only).
    Cloud { cloud: Cloud },
    /// Sign-in data was not loaded (yet), or this snapshot has none.
    NotLoaded,
    /// The sources that can name the credential were read and do not mention it (a report
    /// lists what it has seen, and its horizon is not documented).
    NotReported,
    /// The data covers `covered_days` days without a sign-in, fewer than were asked about.
    Window { covered_days: i64 },
    /// The source failed: a service error, throttling past the limit, the network.
    Failed { message: String },
}

impl Unknown {
    /// The reason in words, after "unknown: " ("needs AuditLog.Read.All").
    pub fn words(&self) -> String {
        match self {
            Self::MissingPermission { permission } => format!("needs {permission}"),
            Self::Licence { requirement } => format!("needs a {requirement} licence"),
            Self::Cloud { cloud } => format!("no sign-in reports in the {} cloud", cloud.as_str()),
            Self::NotLoaded => "sign-in data not loaded".to_string(),
            Self::NotReported => "no sign-in recorded in the data".to_string(),
            Self::Window { covered_days } => {
                format!("no sign-in in the {covered_days} days the data covers")
            }
            Self::Failed { message } => format!("the source failed ({message})"),
        }
    }

    /// Which reasons to prefer when several sources give one: the one the user can act on.
    fn rank(&self) -> u8 {
        match self {
            Self::MissingPermission { .. } => 0,
            Self::Licence { .. } => 1,
            Self::Failed { .. } => 2,
            Self::Cloud { .. } => 3,
            Self::NotReported => 4,
            Self::Window { .. } => 5,
            Self::NotLoaded => 6,
        }
    }
}

/// How one source went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum SourceOutcome {
    /// Read. `covers_from`: the earliest instant after which every sign-in is in the data
    /// (the sign-in log's window); `None` for the reports, whose horizon is not documented.
    /// `partial`: the read stopped before its end (a page budget), so `covers_from` is where
    /// it got to.
    Read {
        #[serde(
            default,
            with = "time::serde::rfc3339::option",
            skip_serializing_if = "Option::is_none"
        )]
        covers_from: Option<Timestamp>,
        #[serde(default)]
        pages: u32,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        partial: bool,
    },
    /// Not read, and why.
    Unavailable { unknown: Unknown },
}

/// One source and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    pub source: UsageSource,
    #[serde(flatten)]
    pub outcome: SourceOutcome,
}

impl SourceStatus {
    pub fn read(source: UsageSource, covers_from: Option<Timestamp>, pages: u32) -> Self {
        Self {
            source,
            outcome: SourceOutcome::Read {
                covers_from,
                pages,
                partial: false,
            },
        }
    }

    pub fn unavailable(source: UsageSource, unknown: Unknown) -> Self {
        Self {
            source,
            outcome: SourceOutcome::Unavailable { unknown },
        }
    }

    /// The source in words with its outcome ("the sign-in log: read, 30 days").
    pub fn words(&self, as_of: Option<Timestamp>) -> String {
        match &self.outcome {
            SourceOutcome::Read {
                covers_from,
                pages,
                partial,
            } => {
                let span = match (covers_from, as_of) {
                    (Some(from), Some(at)) => format!(", {} days", (at - *from).whole_days()),
                    _ => String::new(),
                };
                let cut = if *partial { ", stopped early" } else { "" };
                format!(
                    "{}: read ({pages} page{}{span}{cut})",
                    self.source.words(),
                    if *pages == 1 { "" } else { "s" }
                )
            }
            SourceOutcome::Unavailable { unknown } => {
                format!("{}: unavailable, {}", self.source.words(), unknown.words())
            }
        }
    }
}

/// One credential's sign-ins as one source tells them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialActivity {
    pub source: UsageSource,
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// The keyId of a secret or certificate; a federated credential's id
    /// (`federatedCredentialId`).
    pub key: String,
    /// A certificate's thumbprint (upper-case hex), when the source gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The object id of the application or service principal holding it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<CredentialOrigin>,
    /// The latest successful sign-in with it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sign_in: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request_id: Option<String>,
    /// The latest failed sign-in with it (the sign-in log only): something still presents it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_failure: Option<Timestamp>,
}

/// One identity's sign-ins as one source tells them, by appId.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityActivity {
    pub source: UsageSource,
    pub app_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    /// App-only sign-ins as a client: what a workload credential is used for.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_app_only: Option<Timestamp>,
    /// Any sign-in (delegated, as a resource…).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_any: Option<Timestamp>,
}

/// Everything credwise knows about sign-ins in a tenant: part of `TenantSnapshot` (snapshot
/// format version 2), empty — "not loaded" — in older files and until it is loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageData {
    /// When the data was read: every claim is as of then.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub collected_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<CredentialActivity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<IdentityActivity>,
}

impl UsageData {
    /// Nothing was ever loaded.
    pub fn is_empty(&self) -> bool {
        self.collected_at.is_none()
            && self.sources.is_empty()
            && self.credentials.is_empty()
            && self.identities.is_empty()
    }

    /// The status of `source`, if it was tried.
    pub fn source(&self, source: UsageSource) -> Option<&SourceStatus> {
        self.sources.iter().find(|s| s.source == source)
    }

    /// Why nothing at all can be said, when no source was read: the most actionable reason
    /// a source gave (a permission, a licence…), `NotLoaded` when none was tried. `None`
    /// when a source was read.
    pub fn unavailable(&self) -> Option<Unknown> {
        if self.any_read() {
            return None;
        }
        let best = self
            .sources
            .iter()
            .filter_map(|s| match &s.outcome {
                SourceOutcome::Unavailable { unknown } => Some(unknown),
                SourceOutcome::Read { .. } => None,
            })
            .min_by_key(|u| u.rank());
        Some(best.cloned().unwrap_or(Unknown::NotLoaded))
    }

    /// Whether any source was read.
    pub fn any_read(&self) -> bool {
        self.sources
            .iter()
            .any(|s| matches!(s.outcome, SourceOutcome::Read { .. }))
    }

    /// Moves every timestamp by `by` (the demo tenant is shifted to *now* at load).
    pub fn shift_times(&mut self, by: time::Duration) {
        fn shift(t: &mut Option<Timestamp>, by: time::Duration) {
            if let Some(v) = t
                && let Some(moved) = v.checked_add(by)
            {
                *v = moved;
            }
        }
        shift(&mut self.collected_at, by);
        for s in &mut self.sources {
            if let SourceOutcome::Read { covers_from, .. } = &mut s.outcome {
                shift(covers_from, by);
            }
        }
        for c in &mut self.credentials {
            shift(&mut c.last_sign_in, by);
            shift(&mut c.last_failure, by);
        }
        for i in &mut self.identities {
            shift(&mut i.last_app_only, by);
            shift(&mut i.last_any, by);
        }
    }

    /// Adds what `other` knows: its facts, and its sources where this data has none for them
    /// (or has one that was not read). `collected_at` is the earlier of the two, so no claim
    /// outlives either.
    pub fn merge(&mut self, other: UsageData) {
        self.collected_at = match (self.collected_at, other.collected_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for s in other.sources {
            match self.sources.iter_mut().find(|x| x.source == s.source) {
                Some(x) if matches!(x.outcome, SourceOutcome::Unavailable { .. }) => *x = s,
                Some(_) => {}
                None => self.sources.push(s),
            }
        }
        self.credentials.extend(other.credentials);
        self.identities.extend(other.identities);
    }
}

/// What the data says about one credential (or identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Its latest successful sign-in (`at`), as of `as_of`.
    SignedIn {
        at: Timestamp,
        as_of: Timestamp,
        source: UsageSource,
        origin: Option<CredentialOrigin>,
    },
    /// Its latest sign-in attempt failed (at `at`), after its last success if it had one:
    /// something still presents it (an expired secret, a wrong one).
    Failing {
        at: Timestamp,
        last_success: Option<Timestamp>,
        as_of: Timestamp,
        source: UsageSource,
    },
    /// No sign-in from `since` to `as_of`, in data that covers that span completely.
    Idle {
        since: Timestamp,
        as_of: Timestamp,
        source: UsageSource,
    },
    Unknown(Unknown),
}

/// Whether a credential went unused for a number of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// Yes: no sign-in for `days` days (at least the number asked), as of the data.
    Yes { days: i64 },
    /// No: it signed in (or tried to) within the days asked.
    No,
    /// Cannot be said.
    Unknown(Unknown),
}

impl Evidence {
    /// This evidence for a credential (or identity) held by a managed identity when
    /// `managed`: "no sign-in since" becomes unknown. The sign-in log is read for service
    /// principal sign-ins, and Microsoft Learn ("What are service principal sign-ins in
    /// Microsoft Entra?") says those leave out managed identity sign-ins, which only the
    /// managed identity sign-in log holds; its silence proves nothing about one. The explorer,
    /// the audit and the retirement gate all ask through here, so none calls a managed
    /// identity's credential unused on that silence.
    pub fn held_by(self, managed: bool) -> Evidence {
        match self {
            Evidence::Idle { .. } if managed => Evidence::Unknown(Unknown::NotReported),
            ev => ev,
        }
    }

    /// Days without a successful sign-in that the data proves, as of its collection.
    pub fn idle_days(&self) -> Option<i64> {
        match self {
            Self::SignedIn { at, as_of, .. } => Some((*as_of - *at).whole_days().max(0)),
            Self::Idle { since, as_of, .. } => Some((*as_of - *since).whole_days().max(0)),
            Self::Failing { .. } | Self::Unknown(_) => None,
        }
    }

    /// The latest successful sign-in, if the data has one.
    pub fn last_sign_in(&self) -> Option<Timestamp> {
        match self {
            Self::SignedIn { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// Whether it went `days` days without a sign-in. Only data that covers those days says
    /// yes; a failed sign-in within them says no (something still presents the credential).
    pub fn unused_for(&self, days: i64) -> Unused {
        match self {
            Self::SignedIn { at, as_of, .. } => {
                let idle = (*as_of - *at).whole_days();
                if idle >= days {
                    Unused::Yes { days: idle }
                } else {
                    Unused::No
                }
            }
            Self::Failing { .. } => Unused::No,
            Self::Idle { since, as_of, .. } => {
                let covered = (*as_of - *since).whole_days();
                if covered >= days {
                    Unused::Yes { days: covered }
                } else {
                    Unused::Unknown(Unknown::Window {
                        covered_days: covered.max(0),
                    })
                }
            }
            Self::Unknown(u) => Unused::Unknown(u.clone()),
        }
    }

    /// Whether it signed in successfully at or after `t` (a retirement gate's "the new
    /// credential has signed in since it was added").
    pub fn signed_in_since(&self, t: Timestamp) -> bool {
        matches!(self, Self::SignedIn { at, .. } if *at >= t)
    }

    /// The source behind the fact, if there is one.
    pub fn source(&self) -> Option<UsageSource> {
        match self {
            Self::SignedIn { source, .. }
            | Self::Failing { source, .. }
            | Self::Idle { source, .. } => Some(*source),
            Self::Unknown(_) => None,
        }
    }

    /// The evidence in words for details and plans: "last sign-in 3d ago (the sign-in
    /// log)", "no sign-in in 90 days (the sign-in log)", "unknown: needs AuditLog.Read.All".
    pub fn describe(&self, now: Timestamp) -> String {
        match self {
            Self::SignedIn {
                at, source, origin, ..
            } => {
                let origin = origin
                    .filter(|o| *o != CredentialOrigin::Other)
                    .map(|o| format!(", {}", o.words()))
                    .unwrap_or_default();
                format!(
                    "last sign-in {} ({}{origin})",
                    ago(*at, now),
                    source.words()
                )
            }
            Self::Failing {
                at,
                last_success,
                source,
                ..
            } => {
                let success = match last_success {
                    Some(t) => format!(", after a last success {}", ago(*t, now)),
                    None => String::new(),
                };
                format!(
                    "its last sign-in attempt failed {}{success} ({})",
                    ago(*at, now),
                    source.words()
                )
            }
            Self::Idle { since, as_of, .. } => {
                let days = (*as_of - *since).whole_days().max(0);
                format!(
                    "no sign-in in {days} days{} ({})",
                    as_of_words(*as_of, now),
                    self.source().map(UsageSource::words).unwrap_or("")
                )
            }
            Self::Unknown(u) => format!("unknown: {}", u.words()),
        }
    }

    /// A short cell for a LAST USED column, nine columns at most: "3d ago", "none 30d+" (no
    /// sign-in in the 30 days the data covers: the last use, if any, is older), "failing",
    /// "unknown" (the reason is in the details).
    pub fn short(&self, now: Timestamp) -> String {
        match self {
            Self::SignedIn { at, .. } => ago(*at, now),
            Self::Failing { .. } => "failing".to_string(),
            Self::Idle { since, as_of, .. } => {
                format!("none {}d+", (*as_of - *since).whole_days().max(0))
            }
            Self::Unknown(_) => "unknown".to_string(),
        }
    }
}

/// Secrets and certificates share one key space (keyIds), federated credentials another (their
/// ids): a log entry's keyId does not always say which of the two it is, so they are not told
/// apart when looking one up.
fn same_kind(a: CredentialType, b: CredentialType) -> bool {
    (a == CredentialType::Federated) == (b == CredentialType::Federated)
}

/// One sign-in of the log, reduced to what usage evidence needs: when, who, with which
/// credential, and whether it succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInEvent {
    pub at: Timestamp,
    pub app_id: Option<String>,
    pub service_principal_id: Option<String>,
    /// `servicePrincipalCredentialKeyId`.
    pub key_id: Option<String>,
    /// `servicePrincipalCredentialThumbprint`.
    pub thumbprint: Option<String>,
    /// `federatedCredentialId`.
    pub federated_credential_id: Option<String>,
    /// `clientCredentialType`: `clientSecret`, `certificate`, `clientAssertion`,
    /// `federatedIdentityCredential`, `managedIdentity`…
    pub client_credential_type: Option<String>,
    /// `status.errorCode` is 0.
    pub succeeded: bool,
    pub request_id: Option<String>,
}

impl SignInEvent {
    /// Which credential the sign-in used, if the entry says: a federated credential by id, a
    /// certificate (a thumbprint, or a client assertion), else a secret by keyId.
    fn credential(&self) -> Option<(CredentialType, &str)> {
        if let Some(f) = self
            .federated_credential_id
            .as_deref()
            .filter(|f| !f.is_empty())
        {
            return Some((CredentialType::Federated, f));
        }
        let certificate = self.thumbprint.as_deref().is_some_and(|t| !t.is_empty())
            || matches!(
                self.client_credential_type.as_deref(),
                Some("certificate") | Some("clientAssertion")
            );
        let t = if certificate {
            CredentialType::Certificate
        } else {
            CredentialType::Secret
        };
        match self.key_id.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some((t, k)),
            None if certificate => self.thumbprint.as_deref().map(|tp| (t, tp)),
            None => None,
        }
    }
}

/// The sign-in log folded into facts as it is read: one `CredentialActivity` per credential
/// and one `IdentityActivity` per appId, however many entries there are (a busy tenant logs
/// millions of service principal sign-ins a month).
#[derive(Debug, Default)]
pub struct LogAggregate {
    credentials: HashMap<(bool, String), CredentialActivity>,
    identities: HashMap<String, IdentityActivity>,
    /// Entries folded in.
    pub events: u64,
    /// The oldest entry seen.
    pub oldest: Option<Timestamp>,
}

impl LogAggregate {
    pub fn add(&mut self, e: SignInEvent) {
        self.events += 1;
        if self.oldest.is_none_or(|o| e.at < o) {
            self.oldest = Some(e.at);
        }
        let latest = |slot: &mut Option<Timestamp>, at: Timestamp| {
            if slot.is_none_or(|s| at > s) {
                *slot = Some(at);
            }
        };
        if let Some(app) = e.app_id.as_deref().filter(|a| !a.is_empty())
            && e.succeeded
        {
            let i = self
                .identities
                .entry(app.to_ascii_lowercase())
                .or_insert_with(|| IdentityActivity {
                    source: UsageSource::SignInLog,
                    app_id: app.to_string(),
                    service_principal_id: None,
                    last_app_only: None,
                    last_any: None,
                });
            if i.service_principal_id.is_none() {
                i.service_principal_id = e.service_principal_id.clone();
            }
            latest(&mut i.last_app_only, e.at);
            latest(&mut i.last_any, e.at);
        }
        let Some((t, key)) = e.credential() else {
            return;
        };
        let slot = self
            .credentials
            .entry((t == CredentialType::Federated, key.to_ascii_lowercase()))
            .or_insert_with(|| CredentialActivity {
                source: UsageSource::SignInLog,
                credential_type: t,
                key: key.to_string(),
                thumbprint: None,
                app_id: None,
                owner_id: None,
                origin: None,
                last_sign_in: None,
                last_request_id: None,
                last_failure: None,
            });
        if slot.thumbprint.is_none() {
            slot.thumbprint = e.thumbprint.clone().map(|t| t.to_ascii_uppercase());
        }
        if slot.app_id.is_none() {
            slot.app_id = e.app_id.clone();
        }
        if e.succeeded {
            if slot.last_sign_in.is_none_or(|s| e.at > s) {
                slot.last_sign_in = Some(e.at);
                slot.last_request_id = e.request_id;
            }
        } else {
            latest(&mut slot.last_failure, e.at);
        }
    }

    /// The facts, in a stable order.
    pub fn into_facts(self) -> (Vec<CredentialActivity>, Vec<IdentityActivity>) {
        let mut c: Vec<CredentialActivity> = self.credentials.into_values().collect();
        c.sort_by(|a, b| a.key.cmp(&b.key));
        let mut i: Vec<IdentityActivity> = self.identities.into_values().collect();
        i.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        (c, i)
    }
}

/// "3d ago", "5h ago", "just now" (and "in the future" for a clock that is behind).
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    let d = now - at;
    if d < time::Duration::ZERO {
        return "just now".to_string();
    }
    let days = d.whole_days();
    if days >= 1 {
        format!("{days}d ago")
    } else if d.whole_hours() >= 1 {
        format!("{}h ago", d.whole_hours())
    } else if d.whole_minutes() >= 1 {
        format!("{}m ago", d.whole_minutes())
    } else {
        "just now".to_string()
    }
}

/// " as of 2026-11-20" when the data is more than a day older than `now`.
fn as_of_words(as_of: Timestamp, now: Timestamp) -> String {
    if now - as_of > time::Duration::days(1) {
        format!(" as of {}", super::expiry::date(as_of))
    } else {
        String::new()
    }
}

/// `UsageData` indexed for lookups by keyId, federated credential id and appId: the audit
/// asks about every credential of a large tenant.
pub struct UsageIndex<'a> {
    data: &'a UsageData,
    /// Lower-cased key (keyId or FIC id) → positions in `data.credentials`.
    by_key: HashMap<String, Vec<u32>>,
    /// Upper-case thumbprint → positions.
    by_thumbprint: HashMap<String, Vec<u32>>,
    /// Lower-cased appId → positions in `data.identities`.
    by_app: HashMap<String, Vec<u32>>,
    /// Lower-cased appId → positions in `data.credentials` (identity evidence from the log).
    credentials_by_app: HashMap<String, Vec<u32>>,
}

impl<'a> UsageIndex<'a> {
    pub fn new(data: &'a UsageData) -> Self {
        let mut by_key: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_thumbprint: HashMap<String, Vec<u32>> = HashMap::new();
        let mut credentials_by_app: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, c) in data.credentials.iter().enumerate() {
            if !c.key.is_empty() {
                by_key
                    .entry(c.key.to_ascii_lowercase())
                    .or_default()
                    .push(i as u32);
            }
            if let Some(t) = c.thumbprint.as_deref().filter(|t| !t.is_empty()) {
                by_thumbprint
                    .entry(t.to_ascii_uppercase())
                    .or_default()
                    .push(i as u32);
            }
            if let Some(a) = c.app_id.as_deref().filter(|a| !a.is_empty()) {
                credentials_by_app
                    .entry(a.to_ascii_lowercase())
                    .or_default()
                    .push(i as u32);
            }
        }
        let mut by_app: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, a) in data.identities.iter().enumerate() {
            by_app
                .entry(a.app_id.to_ascii_lowercase())
                .or_default()
                .push(i as u32);
        }
        Self {
            data,
            by_key,
            by_thumbprint,
            by_app,
            credentials_by_app,
        }
    }

    pub fn data(&self) -> &'a UsageData {
        self.data
    }

    /// The sign-in log's window, when it was read: every sign-in after it is in the data.
    fn log_window(&self) -> Option<Timestamp> {
        match self.data.source(UsageSource::SignInLog).map(|s| &s.outcome) {
            Some(SourceOutcome::Read { covers_from, .. }) => *covers_from,
            _ => None,
        }
    }

    /// What the data says about credential `c` (of the identity with `app_id`, when known).
    /// A federated credential is found by its Graph id (what the sign-in log's
    /// `federatedCredentialId` names) or, without one (a managed identity's, which ARM keys
    /// by name), by its name.
    pub fn credential(&self, c: CredentialRef<'_>) -> Evidence {
        let t = c.credential_type();
        let (key, thumbprint) = match c {
            CredentialRef::Secret(p) => (p.key_id.as_str(), None),
            CredentialRef::Certificate(k) => (k.key_id.as_str(), k.thumbprint()),
            CredentialRef::Federated(f) => (f.id.as_deref().unwrap_or(&f.name), None),
        };
        let mut facts: Vec<&CredentialActivity> = self
            .by_key
            .get(&key.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .map(|&i| &self.data.credentials[i as usize])
            .filter(|a| same_kind(a.credential_type, t))
            .collect();
        if let Some(tp) = thumbprint {
            facts.extend(
                self.by_thumbprint
                    .get(&tp.to_ascii_uppercase())
                    .into_iter()
                    .flatten()
                    .map(|&i| &self.data.credentials[i as usize])
                    .filter(|a| same_kind(a.credential_type, t)),
            );
        }
        self.decide(&facts, t, c.start())
    }

    /// What the data says about the identity with `app_id`: the service principal report's
    /// app-only sign-ins as a client (or any sign-in), and every sign-in of its credentials
    /// in the log.
    pub fn identity(&self, app_id: &str) -> Evidence {
        let Some(as_of) = self.data.collected_at else {
            return Evidence::Unknown(Unknown::NotLoaded);
        };
        let key = app_id.to_ascii_lowercase();
        let mut best: Option<(Timestamp, UsageSource)> = None;
        let mut consider = |at: Option<Timestamp>, source: UsageSource| {
            if let Some(at) = at
                && best.is_none_or(|(b, s)| at > b || (at == b && source < s))
            {
                best = Some((at, source));
            }
        };
        for &i in self.by_app.get(&key).into_iter().flatten() {
            let a = &self.data.identities[i as usize];
            consider(a.last_app_only.or(a.last_any), a.source);
        }
        for &i in self.credentials_by_app.get(&key).into_iter().flatten() {
            let c = &self.data.credentials[i as usize];
            consider(c.last_sign_in, c.source);
        }
        if let Some((at, source)) = best {
            return Evidence::SignedIn {
                at,
                as_of,
                source,
                origin: None,
            };
        }
        if let Some(from) = self.log_window() {
            return Evidence::Idle {
                since: from,
                as_of,
                source: UsageSource::SignInLog,
            };
        }
        let sources = [UsageSource::ServicePrincipalReport, UsageSource::SignInLog];
        Evidence::Unknown(self.reason(&sources))
    }

    /// The best fact among `facts`, else the log's window, else why nothing can be said.
    fn decide(
        &self,
        facts: &[&CredentialActivity],
        t: CredentialType,
        added: Option<Timestamp>,
    ) -> Evidence {
        let Some(as_of) = self.data.collected_at else {
            return Evidence::Unknown(Unknown::NotLoaded);
        };
        // The latest; on a tie, the better source (the report, which names the origin).
        let signed_in = facts
            .iter()
            .filter_map(|a| a.last_sign_in.map(|at| (at, a)))
            .max_by_key(|(at, a)| (*at, std::cmp::Reverse(a.source)));
        // A failure after the last success (only the log records failures).
        let failed = facts
            .iter()
            .filter_map(|a| a.last_failure.map(|at| (at, a.source)))
            .max_by_key(|(at, _)| *at)
            .filter(|(at, _)| signed_in.is_none_or(|(s, _)| *at > s));
        if let Some((at, source)) = failed
            && (signed_in.is_some() || self.log_window().is_some())
        {
            return Evidence::Failing {
                at,
                last_success: signed_in.map(|(s, _)| s),
                as_of,
                source,
            };
        }
        if let Some((at, a)) = signed_in {
            // The credential report names the origin; a log fact may not.
            let origin = a.origin.or_else(|| facts.iter().find_map(|f| f.origin));
            return Evidence::SignedIn {
                at,
                as_of,
                source: a.source,
                origin,
            };
        }
        if let Some(window) = self.log_window() {
            // The log read completely over its window holds no sign-in with it; a credential
            // added inside the window has been idle only since it was added.
            let since = match added {
                Some(a) if a > window => a.min(as_of),
                _ => window,
            };
            return Evidence::Idle {
                since,
                as_of,
                source: UsageSource::SignInLog,
            };
        }
        let sources: Vec<UsageSource> = UsageSource::ALL
            .into_iter()
            .filter(|s| s.names(t))
            .collect();
        Evidence::Unknown(self.reason(&sources))
    }

    /// Why none of `sources` can say anything: the most actionable reason any of them gave;
    /// `NotReported` when one was read; `NotLoaded` when none was tried.
    fn reason(&self, sources: &[UsageSource]) -> Unknown {
        let mut best: Option<&Unknown> = None;
        let mut read = false;
        for s in sources {
            match self.data.source(*s).map(|x| &x.outcome) {
                Some(SourceOutcome::Read { .. }) => read = true,
                Some(SourceOutcome::Unavailable { unknown })
                    if best.is_none_or(|b| unknown.rank() < b.rank()) =>
                {
                    best = Some(unknown);
                }
                _ => {}
            }
        }
        if read {
            return Unknown::NotReported;
        }
        best.cloned().unwrap_or(Unknown::NotLoaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credential::{FederatedIdentityCredential, PasswordCredential};
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

    fn days_ago(d: i64) -> Timestamp {
        NOW - time::Duration::days(d)
    }

    fn secret(key: &str, start: Option<Timestamp>) -> PasswordCredential {
        PasswordCredential {
            key_id: key.into(),
            display_name: None,
            hint: None,
            start_date_time: start,
            end_date_time: None,
        }
    }

    fn fic(id: Option<&str>, name: &str) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: id.map(str::to_string),
            name: name.into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: Some("repo:o/r:ref:refs/heads/main".into()),
            claims_matching_expression: None,
            audiences: vec![],
            description: None,
        }
    }

    fn activity(source: UsageSource, t: CredentialType, key: &str) -> CredentialActivity {
        CredentialActivity {
            source,
            credential_type: t,
            key: key.into(),
            thumbprint: None,
            app_id: Some("app-1".into()),
            owner_id: None,
            origin: None,
            last_sign_in: None,
            last_request_id: None,
            last_failure: None,
        }
    }

    fn data(sources: Vec<SourceStatus>, credentials: Vec<CredentialActivity>) -> UsageData {
        UsageData {
            collected_at: Some(NOW),
            sources,
            credentials,
            identities: vec![],
        }
    }

    #[test]
    fn nothing_loaded_is_unknown_not_unused() {
        let d = UsageData::default();
        let ix = UsageIndex::new(&d);
        let s = secret("k1", None);
        let e = ix.credential(CredentialRef::Secret(&s));
        assert_eq!(e, Evidence::Unknown(Unknown::NotLoaded));
        assert_eq!(e.unused_for(0), Unused::Unknown(Unknown::NotLoaded));
        assert_eq!(e.describe(NOW), "unknown: sign-in data not loaded");
        assert_eq!(ix.identity("app-1"), Evidence::Unknown(Unknown::NotLoaded));
    }

    #[test]
    fn a_report_sign_in_gives_the_last_use_with_its_origin() {
        let mut a = activity(UsageSource::CredentialReport, CredentialType::Secret, "K1");
        a.last_sign_in = Some(days_ago(120));
        a.origin = Some(CredentialOrigin::Application);
        let d = data(
            vec![SourceStatus::read(UsageSource::CredentialReport, None, 1)],
            vec![a],
        );
        let ix = UsageIndex::new(&d);
        let s = secret("k1", None);
        let e = ix.credential(CredentialRef::Secret(&s));
        assert_eq!(e.idle_days(), Some(120));
        assert_eq!(e.unused_for(90), Unused::Yes { days: 120 });
        assert_eq!(e.unused_for(180), Unused::No);
        assert_eq!(
            e.describe(NOW),
            "last sign-in 120d ago (the credential sign-in report, on the application)"
        );
        assert_eq!(e.short(NOW), "120d ago");
    }

    #[test]
    fn a_report_that_does_not_mention_a_credential_proves_nothing() {
        let d = data(
            vec![SourceStatus::read(UsageSource::CredentialReport, None, 3)],
            vec![],
        );
        let ix = UsageIndex::new(&d);
        let s = secret("k1", Some(days_ago(400)));
        let e = ix.credential(CredentialRef::Secret(&s));
        assert_eq!(e, Evidence::Unknown(Unknown::NotReported));
        assert!(matches!(e.unused_for(1), Unused::Unknown(_)));
    }

    #[test]
    fn the_log_window_says_idle_only_for_the_days_it_covers() {
        let d = data(
            vec![SourceStatus::read(
                UsageSource::SignInLog,
                Some(days_ago(30)),
                4,
            )],
            vec![],
        );
        let ix = UsageIndex::new(&d);
        let old = secret("k1", Some(days_ago(400)));
        let e = ix.credential(CredentialRef::Secret(&old));
        assert_eq!(e.unused_for(30), Unused::Yes { days: 30 });
        assert_eq!(
            e.unused_for(90),
            Unused::Unknown(Unknown::Window { covered_days: 30 })
        );
        assert_eq!(e.describe(NOW), "no sign-in in 30 days (the sign-in log)");
        // Added ten days ago: idle for ten days only.
        let new = secret("k2", Some(days_ago(10)));
        let e = ix.credential(CredentialRef::Secret(&new));
        assert_eq!(e.idle_days(), Some(10));
        assert!(matches!(e.unused_for(30), Unused::Unknown(_)));
    }

    #[test]
    fn a_failed_sign_in_in_the_log_is_not_unused() {
        let mut a = activity(UsageSource::SignInLog, CredentialType::Secret, "k1");
        a.last_failure = Some(days_ago(2));
        let d = data(
            vec![SourceStatus::read(
                UsageSource::SignInLog,
                Some(days_ago(30)),
                1,
            )],
            vec![a],
        );
        let ix = UsageIndex::new(&d);
        let s = secret("k1", None);
        let e = ix.credential(CredentialRef::Secret(&s));
        assert!(matches!(e, Evidence::Failing { .. }), "{e:?}");
        assert_eq!(e.unused_for(1), Unused::No);
    }

    #[test]
    fn federated_credentials_are_found_by_id_or_by_name() {
        let mut a = activity(UsageSource::SignInLog, CredentialType::Federated, "f-guid");
        a.last_sign_in = Some(days_ago(1));
        let mut b = activity(UsageSource::SignInLog, CredentialType::Federated, "gh-main");
        b.last_sign_in = Some(days_ago(3));
        let d = data(
            vec![SourceStatus::read(
                UsageSource::SignInLog,
                Some(days_ago(30)),
                1,
            )],
            vec![a, b],
        );
        let ix = UsageIndex::new(&d);
        let by_id = fic(Some("F-GUID"), "other-name");
        assert_eq!(
            ix.credential(CredentialRef::Federated(&by_id))
                .last_sign_in(),
            Some(days_ago(1))
        );
        let by_name = fic(None, "gh-main");
        assert_eq!(
            ix.credential(CredentialRef::Federated(&by_name))
                .last_sign_in(),
            Some(days_ago(3))
        );
    }

    #[test]
    fn the_reason_is_the_most_actionable_one() {
        let d = data(
            vec![
                SourceStatus::unavailable(
                    UsageSource::CredentialReport,
                    Unknown::Licence {
                        requirement: "Microsoft Entra ID P1 or P2".into(),
                    },
                ),
                SourceStatus::unavailable(
                    UsageSource::SignInLog,
                    Unknown::MissingPermission {
                        permission: "AuditLog.Read.All".into(),
                    },
                ),
            ],
            vec![],
        );
        let ix = UsageIndex::new(&d);
        let s = secret("k1", None);
        assert_eq!(
            ix.credential(CredentialRef::Secret(&s)).describe(NOW),
            "unknown: needs AuditLog.Read.All"
        );
        // A FIC is named by the log only: its reason is the log's.
        let f = fic(Some("x"), "n");
        assert_eq!(
            ix.credential(CredentialRef::Federated(&f)),
            Evidence::Unknown(Unknown::MissingPermission {
                permission: "AuditLog.Read.All".into()
            })
        );
    }

    #[test]
    fn identities_take_the_latest_of_report_and_log() {
        let mut d = data(
            vec![SourceStatus::read(
                UsageSource::ServicePrincipalReport,
                None,
                1,
            )],
            vec![],
        );
        d.identities.push(IdentityActivity {
            source: UsageSource::ServicePrincipalReport,
            app_id: "APP-1".into(),
            service_principal_id: None,
            last_app_only: Some(days_ago(5)),
            last_any: Some(days_ago(1)),
        });
        let mut a = activity(UsageSource::SignInLog, CredentialType::Secret, "k");
        a.last_sign_in = Some(days_ago(2));
        d.credentials.push(a);
        let ix = UsageIndex::new(&d);
        let e = ix.identity("app-1");
        assert_eq!(e.last_sign_in(), Some(days_ago(2)));
        assert_eq!(e.source(), Some(UsageSource::SignInLog));
        assert_eq!(
            ix.identity("app-2"),
            Evidence::Unknown(Unknown::NotReported)
        );
    }

    #[test]
    fn old_data_says_as_of_when() {
        let mut d = data(
            vec![SourceStatus::read(
                UsageSource::SignInLog,
                Some(days_ago(40)),
                1,
            )],
            vec![],
        );
        d.collected_at = Some(days_ago(10));
        let ix = UsageIndex::new(&d);
        let s = secret("k", None);
        assert_eq!(
            ix.credential(CredentialRef::Secret(&s)).describe(NOW),
            "no sign-in in 30 days as of 2026-11-12 (the sign-in log)"
        );
    }

    #[test]
    fn the_log_folds_into_one_fact_per_credential() {
        let event = |d: i64, key: Option<&str>, fic: Option<&str>, ok: bool| SignInEvent {
            at: days_ago(d),
            app_id: Some("app-1".into()),
            service_principal_id: Some("sp-1".into()),
            key_id: key.map(str::to_string),
            thumbprint: None,
            federated_credential_id: fic.map(str::to_string),
            client_credential_type: None,
            succeeded: ok,
            request_id: Some(format!("r{d}")),
        };
        let mut log = LogAggregate::default();
        for e in [
            event(3, Some("K1"), None, true),
            event(1, Some("k1"), None, false),
            event(5, Some("k1"), None, true),
            event(2, None, Some("f1"), true),
            event(9, None, None, true),
        ] {
            log.add(e);
        }
        assert_eq!((log.events, log.oldest), (5, Some(days_ago(9))));
        let (creds, ids) = log.into_facts();
        assert_eq!(creds.len(), 2);
        let f = creds.iter().find(|c| c.key == "f1").unwrap();
        assert_eq!(f.credential_type, CredentialType::Federated);
        let k = creds.iter().find(|c| c.key != "f1").unwrap();
        assert_eq!(k.last_sign_in, Some(days_ago(3)));
        assert_eq!(k.last_request_id.as_deref(), Some("r3"));
        assert_eq!(k.last_failure, Some(days_ago(1)));
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].last_app_only, Some(days_ago(2)));
        assert_eq!(ids[0].service_principal_id.as_deref(), Some("sp-1"));
    }

    #[test]
    fn round_trips_and_merges() {
        let mut a = activity(UsageSource::CredentialReport, CredentialType::Secret, "k");
        a.last_sign_in = Some(days_ago(3));
        a.origin = Some(CredentialOrigin::ServicePrincipal);
        let d = data(
            vec![
                SourceStatus::read(UsageSource::CredentialReport, None, 1),
                SourceStatus::unavailable(UsageSource::SignInLog, Unknown::NotLoaded),
            ],
            vec![a],
        );
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.contains("\"origin\":\"servicePrincipal\""), "{json}");
        let back: UsageData = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        let mut merged = d.clone();
        merged.merge(data(
            vec![SourceStatus::read(
                UsageSource::SignInLog,
                Some(days_ago(7)),
                2,
            )],
            vec![],
        ));
        assert!(matches!(
            merged.source(UsageSource::SignInLog).unwrap().outcome,
            SourceOutcome::Read { .. }
        ));
        let unknown: CredentialOrigin = serde_json::from_str("\"unknownFutureValue\"").unwrap();
        assert_eq!(unknown, CredentialOrigin::Other);
    }
}
