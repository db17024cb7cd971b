//! The live backend: a real tenant through Microsoft Graph and Azure Resource Manager.
//!
//! `LiveBackend::load` crawls in phases that report progress — applications (v1.0), their
//! federated credentials (beta) and service principals (v1.0), the three lists at once (see
//! `graph`), then, alongside the Graph part, subscriptions, managed identities, resources and
//! role assignments. Graph is the core: a Graph failure fails the load; an object Graph sends
//! that does not fit is left out with a warning naming it. A missing Azure permission (no
//! Azure access, a subscription that answers 403) keeps everything else and becomes a
//! `Warning` naming the role needed; any other ARM failure (the network, a 5xx after retries,
//! throttling past the cap) fails the load like a Graph one, at once, so a partial tenant
//! never passes for a whole one (and never replaces a good cache). A cancelled `Progress`
//! ends the load at once: the crawl future is dropped, and with it every request in flight.
//!
//! `check` and `apply` turn every `Check` and `Change` into Graph/ARM calls, reading what an
//! undo needs before changing anything, so `Applied::undo` restores the tenant — except a
//! removed secret: `addPassword` picks a new keyId and value, so the workload's secret is gone
//! for good, `restores_removed_secrets` is false, and a rollback leaves the removal in place
//! and says so.
//!
//! Submodules: `cloud` (hosts per cloud), `endpoints` (URL rules), `auth` (credentials),
//! `retry` and `http` (the azure_core pipelines), `error` (typed errors), `wire` (JSON
//! shapes), `page` (lenient page decoding, Graph's in-stream errors), `graph` and `arm` (the
//! calls), `azure` (the Azure part of a load, per subscription), `changes` (`check` and
//! `apply`), `usage` (`load_usage`: the sign-in reports and the sign-in log, paced).
//!
//! May import the domain, the rest of `backend`, azure_core/azure_identity and tokio.

pub(crate) mod arm;
pub mod auth;
mod azure;
mod changes;
pub mod cloud;
pub mod crawl;
mod delta;
pub mod endpoints;
pub mod error;
pub(crate) mod graph;
pub(crate) mod http;
pub mod pace;
pub(crate) mod page;
pub mod retry;
pub mod usage;
pub(crate) mod wire;

pub use self::auth::AuthMode;
pub use self::crawl::PartitionSettings;
pub use self::pace::{Api as PacedApi, PaceSettings, PaceStats};
pub use self::retry::RetrySettings;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use azure_core::credentials::TokenCredential;
use azure_core::http::Transport;
use futures::StreamExt;

use self::arm::Arm;
use self::auth::{Claims, ClaimsRecorder};
use self::cloud::CloudEndpoints;
use self::endpoints::Endpoints;
use self::graph::Graph;
use self::http::Service;
use self::wire::Subscription;
use super::wire::{infer_tenant_id, system_assigned_resources};
use super::{Applied, Area, Backend, Error, Loaded, Progress, Refreshed, Scope, Warning};
use crate::domain::change::Target;
use crate::domain::delta::SyncState;
use crate::domain::{
    AzureResource, Change, Check, CheckOutcome, Cloud, FederatedIdentityCredential,
    ObjectCredentials, RoleAssignment, SnapshotSource, TenantSnapshot, Timestamp,
    UserAssignedIdentity,
};

/// The clock the caller lends the backend for `captured_at` (the domain has none).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How to reach and crawl a live tenant.
#[derive(Clone)]
pub struct LiveConfig {
    pub cloud: Cloud,
    pub auth: AuthMode,
    /// `--tenant`: a GUID or a domain name; passed to the credentials.
    pub tenant: Option<String>,
    pub graph_url: Option<String>,
    pub arm_url: Option<String>,
    /// `--subscription`: limit Azure reads to these (empty: every subscription of the tenant).
    pub subscriptions: Vec<String>,
    /// A credential to use instead of the one `auth` names (tests, embedding).
    pub credential: Option<Arc<dyn TokenCredential>>,
    /// The HTTP transport (tests redirect https URLs to a loopback emulator).
    pub transport: Option<Transport>,
    pub retry: RetrySettings,
    /// Graph's `$top` for applications and service principals (Graph's maximum is 999).
    pub graph_page_size: u32,
    /// `$batch` requests in flight at once.
    pub batch_concurrency: usize,
    /// ARM requests one phase queues at once; how many of them are sent at once is the
    /// pacer's decision (`arm_pace`).
    pub arm_concurrency: usize,
    /// The federated-credential lists of one subscription's identities queued at once:
    /// every subscription has its own queue, all run side by side, and the pacer sends
    /// each subscription's within its own bucket (`pace`).
    pub arm_per_subscription: usize,
    /// The budgets Graph requests are paced against (`pace`): the documented S tier unless
    /// a test's emulator runs another.
    pub graph_pace: PaceSettings,
    /// The budgets ARM requests are paced against.
    pub arm_pace: PaceSettings,
    /// When Graph lists are split into partitions read at once (`crawl`).
    pub partitions: PartitionSettings,
    /// Whether a load takes delta links for an incremental refresh (two requests).
    pub track_changes: bool,
    /// Whether `load` reads Azure (ARM) too; without it only Graph is crawled.
    pub include_arm: bool,
    /// How fast `load_usage` may call the sign-in reports and log (`usage::Pace`).
    pub usage_pace: usage::Pace,
    pub clock: Clock,
}

impl LiveConfig {
    /// The defaults: public cloud, `--auth auto`, Graph's largest pages.
    pub fn new(clock: Clock) -> Self {
        Self {
            cloud: Cloud::Public,
            auth: AuthMode::Auto,
            tenant: None,
            graph_url: None,
            arm_url: None,
            subscriptions: Vec::new(),
            credential: None,
            transport: None,
            retry: RetrySettings::default(),
            graph_page_size: 999,
            batch_concurrency: 4,
            arm_concurrency: 256,
            arm_per_subscription: 32,
            graph_pace: PaceSettings::documented(pace::Api::Graph),
            arm_pace: PaceSettings::documented(pace::Api::Arm),
            partitions: PartitionSettings::default(),
            track_changes: true,
            include_arm: true,
            usage_pace: usage::Pace::default(),
            clock,
        }
    }
}

impl std::fmt::Debug for LiveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveConfig")
            .field("cloud", &self.cloud)
            .field("auth", &self.auth)
            .field("tenant", &self.tenant)
            .field("graph_url", &self.graph_url)
            .field("arm_url", &self.arm_url)
            .field("subscriptions", &self.subscriptions)
            .finish_non_exhaustive()
    }
}

/// The live tenant behind the `Backend` trait.
pub struct LiveBackend {
    graph: Graph,
    arm: Arm,
    endpoints: Endpoints,
    config: LiveConfig,
    claims: Arc<Mutex<Option<Claims>>>,
    /// The tenant once known, for `describe`.
    tenant: Mutex<Option<String>>,
    /// Where the next incremental refresh starts (`Backend::sync_state`).
    sync: Mutex<Option<SyncState>>,
    /// One write at a time per user-assigned identity: ARM answers 409 Conflict to
    /// concurrent FIC writes on the same identity.
    identity_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Paces the sign-in sources across every `load_usage` of this backend.
    usage_pacer: usage::Pacer,
}

impl std::fmt::Debug for LiveBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveBackend")
            .field("endpoints", &self.endpoints)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LiveBackend {
    /// Checks the endpoints and sets up the credential and the pipelines. Nothing is
    /// contacted yet.
    pub fn new(config: LiveConfig) -> Result<Self, Error> {
        let cloud = CloudEndpoints::of(config.cloud);
        // A credential given by the caller means "send tokens": plain http is refused.
        let auth_for_rules = match (&config.credential, config.auth) {
            (Some(_), AuthMode::None) => AuthMode::Auto,
            (_, mode) => mode,
        };
        let endpoints = Endpoints::resolve(
            &cloud,
            config.graph_url.as_deref(),
            config.arm_url.as_deref(),
            auth_for_rules,
        )?;
        let credential = match &config.credential {
            Some(c) => Some(c.clone()),
            None => auth::credential(config.auth, config.tenant.as_deref(), &cloud)?,
        };
        let (credential, claims) = match credential {
            Some(c) => {
                let (recorder, claims) = ClaimsRecorder::new(c);
                (Some(recorder as Arc<dyn TokenCredential>), claims)
            }
            None => (None, Arc::new(Mutex::new(None))),
        };
        let graph_svc = Service::new(
            "Graph",
            &endpoints.graph_v1,
            credential.clone(),
            cloud.graph_scope,
            config.retry.clone(),
            config.transport.clone(),
            Arc::new(pace::Pacer::new(
                pace::Api::Graph,
                config.graph_pace.clone(),
            )),
        )?;
        let arm_svc = Service::new(
            "ARM",
            &endpoints.arm,
            credential,
            cloud.arm_scope,
            config.retry.clone(),
            config.transport.clone(),
            Arc::new(pace::Pacer::new(pace::Api::Arm, config.arm_pace.clone())),
        )?;
        Ok(Self {
            graph: Graph {
                svc: graph_svc,
                v1: endpoints.graph_v1.clone(),
                beta: endpoints.graph_beta.clone(),
                page_size: config.graph_page_size.clamp(1, 999),
                batch_concurrency: config.batch_concurrency,
                partitions: config.partitions.clone(),
            },
            arm: Arm {
                svc: arm_svc,
                base: endpoints.arm.clone(),
            },
            endpoints,
            claims,
            tenant: Mutex::new(None),
            sync: Mutex::new(None),
            identity_locks: Mutex::new(HashMap::new()),
            usage_pacer: usage::Pacer::new(config.usage_pace),
            config,
        })
    }

    /// What the pacers saw so far: (Graph, ARM).
    pub fn pace_stats(&self) -> (PaceStats, PaceStats) {
        (self.graph.svc.pacer.stats(), self.arm.svc.pacer.stats())
    }

    fn claims(&self) -> Option<Claims> {
        self.claims
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn identity_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .identity_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        locks.entry(id.to_ascii_lowercase()).or_default().clone()
    }

    async fn load_inner(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        let mut wanted = self.config.subscriptions.clone();
        wanted.extend(scope.subscriptions.iter().cloned());

        let graph_part = async {
            // The delta links are taken first: a change made while the lists are read is
            // reported again by the next refresh, never lost.
            let links = if self.config.track_changes {
                let (a, s) = futures::try_join!(
                    self.graph.delta_link_now("applications", graph::APP_SELECT),
                    self.graph
                        .delta_link_now("servicePrincipals", graph::SP_SELECT),
                )?;
                a.zip(s)
            } else {
                None
            };
            let c = self.graph.crawl(progress, (self.config.clock)()).await?;
            Ok::<_, Error>((c.applications, c.service_principals, c.warnings, links))
        };
        // Who is this? `/organization` names the tenant; an application without the right
        // to read it still knows its tenant from its token's `tid` claim. Only ARM needs the
        // tenant early (to skip other tenants' subscriptions), so this runs beside the Graph
        // crawl rather than before it.
        let tenant_and_arm = async {
            let (org_id, display_name) = match self.graph.organization().await {
                Ok(org) => (Some(org.id), org.display_name),
                // The crawl reports sign-in and network failures itself.
                Err(_) => (None, None),
            };
            let given = self
                .config
                .tenant
                .as_deref()
                .filter(|t| uuid::Uuid::parse_str(t).is_ok())
                .map(str::to_ascii_lowercase);
            let early_tenant = given
                .or(org_id.map(|t| t.to_ascii_lowercase()))
                .or_else(|| self.claims().and_then(|c| c.tenant_id));
            let arm = if self.config.include_arm {
                Some(
                    self.load_arm(early_tenant.as_deref(), &wanted, progress)
                        .await?,
                )
            } else {
                None
            };
            Ok((early_tenant, display_name, arm))
        };
        // A Graph failure ends the load at once, ARM requests in flight included, and so
        // does an ARM failure that is not a missing permission.
        let (
            (applications, service_principals, graph_warnings, links),
            (early_tenant, display_name, arm),
        ) = futures::try_join!(graph_part, tenant_and_arm)?;

        // From here on the work is O(tenant) (the tenant named from its objects, the Azure
        // part joined, duplicates, the room the lists give back): on blocking threads, so no
        // async thread — which drive the timers and sockets everything else waits on, the
        // explorer's frames among them — is held for it.
        let (captured_at, cloud) = ((self.config.clock)(), self.config.cloud);
        let mut snapshot = graph::blocking(move || {
            let tenant_id = early_tenant
                .unwrap_or_else(|| infer_tenant_id(&applications, &service_principals, &[]));
            TenantSnapshot {
                tenant_id,
                tenant_display_name: display_name,
                captured_at,
                source: SnapshotSource::Live,
                cloud,
                applications,
                service_principals,
                user_assigned_identities: vec![],
                resources: vec![],
                role_assignments: vec![],
                // Sign-ins come from the usage loader (`load_usage`), run after the tenant
                // loads.
                usage: Default::default(),
            }
        })
        .await?;
        let mut warnings: Vec<Warning> = graph_warnings;
        let with_arm = arm.is_some();
        if let Some(arm) = arm {
            warnings.extend(arm.warnings.iter().cloned());
            snapshot = self.merge_arm(snapshot, arm).await?;
        }
        // Graph may list an object twice when the collection changes between pages: it is
        // one object (object ids are unique in a tenant), so the later, fresher copy is kept
        // and the load says so. A change names its target by collection and id, so it can
        // only reach that object.
        let (snapshot, duplicates) = graph::blocking(move || {
            let mut snapshot = snapshot;
            if !with_arm {
                snapshot.resources =
                    system_assigned_resources(&snapshot.service_principals, vec![]);
            }
            snapshot.compact();
            let duplicates = snapshot.dedupe();
            (snapshot, duplicates)
        })
        .await?;
        for d in duplicates {
            warnings.push(Warning {
                area: Area::Duplicates,
                message: if d.first.collection == d.second.collection {
                    format!("listed twice: {d}; kept the later copy")
                } else {
                    format!("{d}; both kept")
                },
            });
        }
        let tenant_id = snapshot.tenant_id.clone();
        *self.tenant.lock().unwrap_or_else(|p| p.into_inner()) = Some(
            snapshot
                .tenant_display_name
                .clone()
                .unwrap_or_else(|| tenant_id.clone()),
        );
        *self.sync.lock().unwrap_or_else(|p| p.into_inner()) =
            links.map(|(applications, service_principals)| SyncState {
                applications,
                service_principals,
                graph_at: snapshot.captured_at,
                arm_at: snapshot.captured_at,
            });
        Ok(Loaded {
            snapshot: Arc::new(snapshot),
            warnings,
        })
    }

    /// `Backend::refresh` (see `delta`): both delta rounds, the merge, the federated
    /// credentials of what changed; a full load when a link expired.
    async fn refresh_inner(
        &self,
        cached: TenantSnapshot,
        sync: &SyncState,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Refreshed, Error> {
        use self::delta::Outcome;
        progress.report("changes", 0, None);
        let (apps, sps) = futures::try_join!(
            self.graph
                .delta_round::<crate::domain::Application>(&sync.applications),
            self.graph
                .delta_round::<crate::domain::ServicePrincipal>(&sync.service_principals),
        )?;
        let (apps, sps) = match (apps, sps) {
            (Outcome::Round(a), Outcome::Round(s)) => (a, s),
            (Outcome::Expired(why), _) | (_, Outcome::Expired(why)) => {
                let mut loaded = self.load_inner(scope, progress).await?;
                loaded.warnings.push(Warning {
                    area: Area::Refresh,
                    message: format!(
                        "the tenant was read in full: Graph no longer knows the saved delta \
                         link ({why}); delta links last seven days"
                    ),
                });
                return Ok(Refreshed::full_load(loaded, self.sync_state()));
            }
        };
        let mut warnings = Vec::new();
        warnings.extend(graph::rejected_warning(Area::Applications, apps.rejected));
        warnings.extend(graph::rejected_warning(
            Area::ServicePrincipals,
            sps.rejected,
        ));
        // The merge and the joins below are O(tenant): on blocking threads (see `load_inner`).
        let (app_items, sp_items) = (apps.items, sps.items);
        let (mut snapshot, (merged_apps, merged_sps)) = graph::blocking(move || {
            let mut snapshot = cached;
            let merged = crate::domain::delta::merge_tenant(&mut snapshot, app_items, sp_items);
            (snapshot, merged)
        })
        .await?;
        let n = (merged_apps.added.len()
            + merged_apps.changed.len()
            + merged_apps.removed.len()
            + merged_sps.added.len()
            + merged_sps.changed.len()
            + merged_sps.removed.len()) as u64;
        progress.report("changes", n, Some(n));
        // Federated credentials are not tracked by delta: those of every application it
        // reports are read again.
        let reread: Vec<String> = merged_apps
            .added
            .iter()
            .chain(&merged_apps.changed)
            .cloned()
            .collect();
        if !reread.is_empty() {
            let (mut read, failed, rejected) = self.graph.fics_of(&reread, progress).await?;
            snapshot = graph::blocking(move || {
                for app in &mut snapshot.applications {
                    if let Some(list) = read.remove(&app.id) {
                        app.federated_identity_credentials = list;
                    }
                }
                snapshot
            })
            .await?;
            warnings.extend(graph::rejected_warning(
                Area::FederatedCredentials,
                rejected,
            ));
            if let Some((_, why)) = failed.first() {
                warnings.push(Warning {
                    area: Area::FederatedCredentials,
                    message: format!(
                        "the federated credentials of {} changed application(s) could not be \
                         read again ({why}); they are shown as they were",
                        failed.len()
                    ),
                });
            }
        }
        // Role assignments of principals that are gone go with them, as a load keeps only
        // those of the tenant's principals.
        if !merged_sps.removed.is_empty() {
            snapshot = graph::blocking(move || {
                let principals: HashSet<String> = snapshot
                    .service_principals
                    .iter()
                    .map(|s| s.id.to_ascii_lowercase())
                    .collect();
                snapshot
                    .role_assignments
                    .retain(|r| principals.contains(&r.principal_id.to_ascii_lowercase()));
                snapshot
            })
            .await?;
        }
        let now = (self.config.clock)();
        snapshot.captured_at = now;
        let next = SyncState {
            applications: apps.link,
            service_principals: sps.link,
            graph_at: now,
            arm_at: sync.arm_at,
        };
        *self.sync.lock().unwrap_or_else(|p| p.into_inner()) = Some(next.clone());
        Ok(Refreshed {
            loaded: Loaded {
                snapshot: Arc::new(snapshot),
                warnings,
            },
            sync: Some(next),
            full: false,
            fics_reread: reread.len(),
            applications: merged_apps,
            service_principals: merged_sps,
        })
    }

    /// `Backend::sweep`: every application's federated credentials (the beta list, split
    /// as in a load) and the Azure part, read again into `snapshot`.
    async fn sweep_inner(
        &self,
        mut snapshot: TenantSnapshot,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Loaded, Error> {
        let mut wanted = self.config.subscriptions.clone();
        wanted.extend(scope.subscriptions.iter().cloned());
        let now = (self.config.clock)();
        let ids: Vec<String> = snapshot.applications.iter().map(|a| a.id.clone()).collect();
        let tenant = Some(snapshot.tenant_id.clone()).filter(|t| t != "unknown");
        let (fics, arm) = futures::try_join!(self.graph.sweep_fics(&ids, progress, now), async {
            if self.config.include_arm {
                self.load_arm(tenant.as_deref(), &wanted, progress)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        })?;
        let (mut by_id, mut warnings) = fics;
        // O(tenant): on a blocking thread (see `load_inner`).
        let mut snapshot = graph::blocking(move || {
            for app in &mut snapshot.applications {
                if let Some(list) = by_id.remove(&app.id.to_ascii_lowercase()) {
                    app.federated_identity_credentials = list;
                }
            }
            snapshot
        })
        .await?;
        if let Some(arm) = arm {
            warnings.extend(arm.warnings.iter().cloned());
            snapshot = self.merge_arm(snapshot, arm).await?;
        }
        snapshot.captured_at = now;
        if let Some(s) = self.sync.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            s.arm_at = now;
        }
        Ok(Loaded {
            snapshot: Arc::new(snapshot),
            warnings,
        })
    }
}

#[async_trait::async_trait]
impl Backend for LiveBackend {
    fn describe(&self) -> String {
        match self
            .tenant
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
        {
            Some(t) => format!("live {t}"),
            None => format!("live {}", self.endpoints.graph_v1),
        }
    }

    async fn signed_in_principal(&self) -> Option<String> {
        match self.graph.me().await {
            Ok(me) => {
                let id = me.id.map(|i| format!(" ({i})")).unwrap_or_default();
                match (me.display_name, me.user_principal_name) {
                    (Some(n), Some(u)) => Some(format!("{n} <{u}>{id}")),
                    (None, Some(u)) => Some(format!("{u}{id}")),
                    (Some(n), None) => Some(format!("{n}{id}")),
                    (None, None) => self.claims().and_then(|c| c.describe()),
                }
            }
            Err(_) => self.claims().and_then(|c| c.describe()),
        }
        .map(|s| crate::sanitize::display(&s).into_owned())
    }

    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        if progress.is_cancelled() {
            return Err(Error::Cancelled);
        }
        tokio::select! {
            biased;
            _ = progress.cancellation().cancelled() => Err(Error::Cancelled),
            loaded = self.load_inner(scope, progress) => loaded,
        }
    }

    async fn load_usage(
        &self,
        request: &super::UsageRequest,
        progress: &Progress,
    ) -> Result<crate::domain::usage::UsageData, Error> {
        if progress.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let now = (self.config.clock)();
        tokio::select! {
            biased;
            _ = progress.cancellation().cancelled() => Err(Error::Cancelled),
            data = usage::load(&self.graph, self.config.cloud, &self.usage_pacer, request, now, progress) => data,
        }
    }

    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        self.check_inner(check).await
    }

    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        self.credentials_inner(target).await
    }

    /// `--tenant` when it is a tenant id, else `/organization`, else the token's `tid`.
    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        if let Some(t) = self
            .config
            .tenant
            .as_deref()
            .filter(|t| uuid::Uuid::parse_str(t).is_ok())
        {
            return Ok(Some(t.to_ascii_lowercase()));
        }
        match self.graph.organization().await {
            Ok(org) => Ok(Some(org.id.to_ascii_lowercase())),
            // An application may not read /organization; its token still names the tenant.
            Err(Error::Forbidden { .. }) | Err(Error::NotFound(_)) | Err(Error::Decode { .. }) => {
                Ok(self.claims().and_then(|c| c.tenant_id))
            }
            Err(e) => Err(e),
        }
    }

    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        self.apply_inner(change).await
    }

    /// `addPassword` picks a new keyId and value: a removed secret cannot come back.
    fn restores_removed_secrets(&self) -> bool {
        false
    }

    fn sync_state(&self) -> Option<SyncState> {
        self.sync.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn refresh(
        &self,
        cached: TenantSnapshot,
        sync: Option<&SyncState>,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Refreshed, Error> {
        if progress.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let Some(sync) = sync else {
            let loaded = self.load(scope, progress).await?;
            return Ok(Refreshed::full_load(loaded, self.sync_state()));
        };
        tokio::select! {
            biased;
            _ = progress.cancellation().cancelled() => Err(Error::Cancelled),
            r = self.refresh_inner(cached, sync, scope, progress) => r,
        }
    }

    async fn sweep(
        &self,
        snapshot: TenantSnapshot,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Loaded, Error> {
        if progress.is_cancelled() {
            return Err(Error::Cancelled);
        }
        tokio::select! {
            biased;
            _ = progress.cancellation().cancelled() => Err(Error::Cancelled),
            r = self.sweep_inner(snapshot, scope, progress) => r,
        }
    }
}
