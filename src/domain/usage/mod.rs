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

mod evidence;
mod index;
mod log;
#[cfg(test)]
mod tests;

pub use evidence::{Evidence, Unused, ago};
pub use index::UsageIndex;
pub use log::{LogAggregate, SignInEvent};
