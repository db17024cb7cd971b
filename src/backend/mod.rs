//! Backends: where a tenant comes from and where changes go. One trait, `Backend`, serves the
//! live tenant (`live`: Graph + ARM), snapshot files and the embedded demo tenant,
//! over the same `Change`/`Check` data, so a migration behaves the same against all of them.
//!
//! May import `domain`, `store`, tokio and the filesystem; never the terminal.

pub mod demo;
pub mod github;
pub mod import;
pub mod live;
pub mod read_only;
pub mod sign_in;
pub mod snapshot;
pub mod usage_import;
pub(crate) mod wire;

use std::fmt;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::domain::change::{ApplyError, Target};
use crate::domain::delta::{Merged, SyncState};
use crate::domain::usage::UsageData;
use crate::domain::{Change, Check, CheckOutcome, ObjectCredentials, TenantSnapshot};

/// What to load. Empty lists mean "everything the caller can see".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub subscriptions: Vec<String>,
}

/// One progress report of a running load ("applications 1,200/4,000").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressEvent {
    pub stage: String,
    pub done: u64,
    pub total: Option<u64>,
}

/// Objects of a load as they arrive, before the load is whole: what a screen shows while
/// the rest streams in. The final `Loaded` holds them all again, joined (an application's
/// federated credentials come from their own list).
#[derive(Debug, Clone, PartialEq)]
pub enum Arrived {
    Applications(Vec<crate::domain::Application>),
    ServicePrincipals(Vec<crate::domain::ServicePrincipal>),
    /// Federated credentials by application object id.
    FederatedCredentials(Vec<(String, Vec<crate::domain::FederatedIdentityCredential>)>),
}

/// How a running load reports progress and learns it should stop.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    tx: Option<mpsc::UnboundedSender<ProgressEvent>>,
    cancel: CancellationToken,
    /// Pages as they arrive (`with_pages`); nothing is copied for a load nobody watches.
    pages: Option<mpsc::UnboundedSender<Arrived>>,
}

impl Progress {
    pub fn new(tx: mpsc::UnboundedSender<ProgressEvent>, cancel: CancellationToken) -> Self {
        Self {
            tx: Some(tx),
            cancel,
            pages: None,
        }
    }

    /// The same progress, also sending every page of objects as it arrives (a copy of it).
    pub fn with_pages(mut self, tx: mpsc::UnboundedSender<Arrived>) -> Self {
        self.pages = Some(tx);
        self
    }

    /// Whether anyone wants the pages.
    pub fn wants_pages(&self) -> bool {
        self.pages.as_ref().is_some_and(|t| !t.is_closed())
    }

    pub fn arrived(&self, objects: Arrived) {
        if let Some(tx) = &self.pages {
            // The receiver may be gone; pages are best-effort like progress.
            let _ = tx.send(objects);
        }
    }

    /// Progress that goes nowhere and is never cancelled (CLI commands).
    pub fn silent() -> Self {
        Self::default()
    }

    pub fn report(&self, stage: &str, done: u64, total: Option<u64>) {
        if let Some(tx) = &self.tx {
            // The receiver may be gone (the UI quit); progress is best-effort.
            let _ = tx.send(ProgressEvent {
                stage: stage.to_string(),
                done,
                total,
            });
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }
}

/// What `Backend::load_usage` reads (see `backend::live::usage` for the sources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRequest {
    /// Days of the sign-in log to read; at most 30, what a P1 or P2 tenant keeps.
    pub log_days: u32,
    /// The most sign-in log pages to read (up to 1,000 sign-ins each). Past it the log's
    /// window ends where the read stopped, so what it says stays true.
    pub max_log_pages: u32,
    /// Whether to read the sign-in log at all: the one source that names federated
    /// credentials and can say "no sign-in in N days" of a credential it does not list.
    pub sign_in_log: bool,
}

impl Default for UsageRequest {
    fn default() -> Self {
        Self {
            log_days: 30,
            max_log_pages: 100,
            sign_in_log: true,
        }
    }
}

/// Part of a load that did not succeed, while the rest did (e.g. no right to read role
/// assignments): the explorer shows what it has and says what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub area: Area,
    pub message: String,
}

/// What part of the tenant (or of its loading) a `Warning` is about. Shown as its words
/// (`federated credentials`), the same the progress line uses; code tells them apart by
/// variant, never by the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Applications,
    ServicePrincipals,
    FederatedCredentials,
    /// An object listed twice (its later copy kept).
    Duplicates,
    /// Azure as a whole (no Azure access).
    Azure,
    Subscriptions,
    ManagedIdentities,
    /// The Resource Graph query for resources with managed identities.
    ResourceGraph,
    RoleAssignments,
    /// An incremental load that had to fall back or skip part of the work.
    Refresh,
    /// The cached tenant (ignored, or not remembered).
    Cache,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applications => "applications",
            Self::ServicePrincipals => "service principals",
            Self::FederatedCredentials => "federated credentials",
            Self::Duplicates => "duplicates",
            Self::Azure => "Azure",
            Self::Subscriptions => "subscriptions",
            Self::ManagedIdentities => "managed identities",
            Self::ResourceGraph => "resources (Resource Graph)",
            Self::RoleAssignments => "role assignments",
            Self::Refresh => "refresh",
            Self::Cache => "cache",
        }
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A loaded tenant, possibly partial. The snapshot is shared: a large tenant is held once.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub snapshot: std::sync::Arc<TenantSnapshot>,
    pub warnings: Vec<Warning>,
}

/// What a refresh did: the tenant as it is now, where the next refresh starts, and how it
/// got there.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub loaded: Loaded,
    /// Where the next refresh starts (`None`: the backend cannot refresh incrementally).
    pub sync: Option<SyncState>,
    /// Whether it was a full load (no sync state, an expired or reset delta link).
    pub full: bool,
    /// What the delta rounds reported, by object id (empty for a full load).
    pub applications: Merged,
    pub service_principals: Merged,
    /// Applications whose federated credentials were read again (delta does not track them).
    pub fics_reread: usize,
}

impl Refreshed {
    /// A refresh that read the whole tenant, and where the next one starts.
    pub fn full_load(loaded: Loaded, sync: Option<SyncState>) -> Self {
        Self {
            loaded,
            sync,
            full: true,
            applications: Merged::default(),
            service_principals: Merged::default(),
            fics_reread: 0,
        }
    }
}

/// A secret value returned once by the service (`addPassword`'s `secretText`). It has no
/// `Display` and no `Serialize`, and its `Debug` is redacted, so it cannot reach a log, a
/// journal or a snapshot by accident; `expose` is the one deliberate way to read it.
pub struct OneTimeSecret(String);

impl OneTimeSecret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeSecret(<redacted>)")
    }
}

/// The result of applying a change.
#[derive(Debug)]
pub struct Applied {
    /// The change that undoes this one.
    pub undo: Change,
    /// The new secret's value, when the change created one; shown once, never stored.
    pub secret: Option<OneTimeSecret>,
    /// A user-assigned identity as the service created it: Azure picks its `principalId` and
    /// `clientId`, so later steps (role assignments, the config snippet) use these, not the
    /// plan's placeholders.
    pub created: Option<crate::domain::UserAssignedIdentity>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not signed in: {0}")]
    Unauthorized(String),
    /// No source of tokens worked: each one tried, and what to do.
    #[error("not signed in: {0}")]
    SignIn(Box<sign_in::SignInFailure>),
    /// A 403: what was refused, the least right that allows it, and how to get that right.
    #[error("permission denied: {message} (needs {permission}). To get it: {advice}")]
    Forbidden {
        permission: String,
        message: String,
        advice: String,
    },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("throttled by the service; retry after {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("{service} error {code}: {message} (request id {request_id})")]
    Service {
        service: &'static str,
        code: String,
        message: String,
        request_id: String,
    },
    #[error("network: {0}")]
    Network(String),
    /// A response that arrived but cannot be read (cut short, not JSON, not the shape the
    /// API documents).
    #[error("{service} sent a response credwise cannot read: {message}")]
    Decode {
        service: &'static str,
        message: String,
    },
    /// A `--graph-url`/`--arm-url`/`--auth` combination that is refused (bad usage).
    #[error("{0}")]
    Endpoint(String),
    #[error("{0}")]
    Snapshot(#[from] crate::store::snapshot_file::SnapshotFileError),
    #[error("cannot apply the change: {0}")]
    Rejected(#[from] ApplyError),
    #[error("read-only mode: changes are disabled (started with --read-only)")]
    ReadOnly,
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    /// A service error with `more` said after the service's own message (what the client was
    /// doing, what to try); any other error as it is.
    pub fn explained(self, more: impl FnOnce() -> String) -> Self {
        match self {
            Error::Service {
                service,
                code,
                message,
                request_id,
            } => Error::Service {
                service,
                code,
                message: format!("{message}{}", more()),
                request_id,
            },
            other => other,
        }
    }

    /// Whether this is the service saying the signed-in account may not read something (a
    /// 403, a subscription it cannot see or whose tenant its token is not for): a load keeps
    /// what it could read and names what is missing. Anything else — the network, a 5xx after
    /// retries, throttling past the cap, an answer that cannot be read — is a failure.
    pub fn is_missing_permission(&self) -> bool {
        matches!(
            self,
            Error::Forbidden { .. } | Error::NotFound(_) | Error::Unauthorized(_)
        )
    }

    /// Whose failure this is: bad input or a refused change, or a service, authentication or
    /// network failure. The CLI turns it into its exit code (`cli::exit`); nothing else needs
    /// a number.
    pub fn cause(&self) -> Cause {
        match self {
            Error::Snapshot(_)
            | Error::Rejected(_)
            | Error::ReadOnly
            | Error::Unavailable(_)
            | Error::Endpoint(_) => Cause::Refused,
            _ => Cause::Service,
        }
    }
}

/// Whose failure an error is, for whoever must tell them apart (the CLI's exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Bad input, or a change refused (by the tenant, the read-only mode, a safety rule): the
    /// user has something to fix.
    Refused,
    /// A service, authentication or network failure (or a disk that cannot be written): the
    /// same request may work later.
    Service,
}

/// A source of tenant data and a sink for changes.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// A short description for the title line (`demo`, `snapshot contoso.json`).
    fn describe(&self) -> String;
    /// Who changes go out as (the signed-in user or workload), for the migration record;
    /// `None` when the backend cannot tell.
    async fn signed_in_principal(&self) -> Option<String> {
        None
    }
    /// Loads the tenant, reporting progress; returns what it could load plus warnings for
    /// what it could not, or `Error::Cancelled` once `progress` is cancelled.
    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error>;
    /// The tenant's sign-in evidence: per credential and identity, each source's outcome
    /// recorded (read over which window, or unavailable and why), reporting per-page
    /// progress; `Error::Cancelled` once `progress` is cancelled. Run in the background after
    /// the tenant loads; its result goes into `TenantSnapshot::usage`. The default is what the
    /// loaded snapshot holds (a snapshot file, the demo tenant).
    async fn load_usage(
        &self,
        _request: &UsageRequest,
        progress: &Progress,
    ) -> Result<UsageData, Error> {
        let loaded = self.load(&Scope::default(), progress).await?;
        Ok(loaded.snapshot.usage.clone())
    }
    /// Answers a verification question, comparing content where the check has it: a
    /// look-alike is `CheckOutcome::Differs`, with both sides in words. What migrations ask.
    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error>;
    /// Whether `check` holds (`examine`, as a yes or no). Wrappers implement `examine`.
    async fn check(&self, check: &Check) -> Result<bool, Error> {
        Ok(self.examine(check).await?.holds())
    }
    /// The secrets, certificates and federated credentials `target` holds now: what a
    /// migration reads before it removes a credential or an identity, so the lockout rule
    /// (`domain::migration::safety`) holds even when the tenant changed since the plan. The
    /// default loads the whole tenant; backends with a cheaper read override it, and wrappers
    /// forward it.
    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        let loaded = self.load(&Scope::default(), &Progress::silent()).await?;
        Ok(loaded.snapshot.credentials_of(target)?)
    }
    /// The id of the tenant this backend reaches, when it can tell: `resume` and `rollback`
    /// refuse a source whose tenant is not the journal's. The default loads the tenant;
    /// backends with a cheaper answer override it, and wrappers forward it.
    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        let loaded = self.load(&Scope::default(), &Progress::silent()).await?;
        Ok(Some(loaded.snapshot.tenant_id.clone()))
    }
    /// Makes a change and returns its undo.
    async fn apply(&self, change: &Change) -> Result<Applied, Error>;
    /// Where an incremental refresh can start after the last `load`, `refresh` or `sweep`
    /// (`None`: this backend has no incremental refresh, or nothing was loaded yet).
    fn sync_state(&self) -> Option<SyncState> {
        None
    }
    /// Brings `cached` up to date from `sync` (what `sync_state` gave after the load that
    /// made it): only what changed is read. Without a sync state, or when the backend cannot
    /// refresh incrementally, this is a full `load`.
    async fn refresh(
        &self,
        cached: TenantSnapshot,
        sync: Option<&SyncState>,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Refreshed, Error> {
        let _ = (cached, sync);
        let loaded = self.load(scope, progress).await?;
        Ok(Refreshed::full_load(loaded, self.sync_state()))
    }
    /// Re-reads what a refresh does not (every application's federated credentials, the
    /// Azure part) into `snapshot`: the background half of an incremental refresh. The
    /// default loads in full.
    async fn sweep(
        &self,
        snapshot: TenantSnapshot,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Loaded, Error> {
        let _ = snapshot;
        self.load(scope, progress).await
    }
    /// Whether undoing a secret's removal brings that secret back. A snapshot can (it puts the
    /// credential back with its keyId); a live tenant cannot: Graph's `addPassword` always
    /// picks a new keyId and a new value, so the workload's old secret is gone for good and a
    /// rollback leaves the removal in place and says so.
    fn restores_removed_secrets(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::backend::Area;

    /// The words a warning's area is shown with (`warning: AREA: …`, the status line) are the
    /// ones the free-text area had: typing it changed no screen.
    #[test]
    fn warning_areas_keep_their_words() {
        let words: Vec<String> = [
            Area::Applications,
            Area::ServicePrincipals,
            Area::FederatedCredentials,
            Area::Duplicates,
            Area::Azure,
            Area::Subscriptions,
            Area::ManagedIdentities,
            Area::ResourceGraph,
            Area::RoleAssignments,
            Area::Refresh,
            Area::Cache,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            words,
            [
                "applications",
                "service principals",
                "federated credentials",
                "duplicates",
                "Azure",
                "subscriptions",
                "managed identities",
                "resources (Resource Graph)",
                "role assignments",
                "refresh",
                "cache"
            ]
        );
    }
}
