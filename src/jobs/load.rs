//! Loading a tenant, with the one rule of the tenant cache for every screen: a live source has a
//! slot in the cache; the explorer starts from what the slot holds (it opens at once), then
//! loads from the backend; every successful load from the backend is remembered in the slot,
//! and a cache that cannot be read or written is a warning, never a failed load. The CLI's
//! commands (`fetch`) and the explorer (`explore`) both go through it.
//!
//! Beside the tenant the slot keeps where an incremental refresh starts (the backend's
//! `SyncState`: Graph's delta links), always the one of the load that made the cached tenant:
//! the old one is removed before the tenant is replaced and the new one written after it, so
//! a crash in between leaves no link newer than the tenant (a newer one would miss changes).
//! `refresh` brings the cached tenant up to date from it (a full load when there is none or
//! it expired) and `sweep` re-reads what a refresh does not; both are remembered the same way.
//!
//! Each tenant the explorer gets is indexed and audited off the async threads (indexing and
//! auditing 150,000 identities is CPU work), so the screen keeps drawing while it happens.
//! The cached tenant is sent twice, so the first screen does not wait for the audit: read
//! (`CacheSlot::read`) and indexed (`Loading::CachedIndexed`), then with its audit
//! (`Loading::Cached`, the same `Directory`), which runs beside the backend's load; the audited
//! copy always comes before the fresh tenant, and not at all once the load was cancelled.
//!
//! A first load with nothing cached is shown as it arrives: `explore` asks the backend for
//! its pages (`Progress::with_pages`) and sends what arrived so far as `Loading::Partial`,
//! indexed on a blocking thread at a bounded rate (the first as soon as a page is in, then no
//! sooner than `PARTIAL_EVERY` or three times the last build's cost, whichever is longer,
//! so building never takes more than a quarter of a core), and never after the load ended.
//! A partial tenant is the Graph lists only — no Azure part, no audit (the audit runs once,
//! on the whole tenant). When a cached tenant is on screen nothing partial is sent: the
//! cache, which is whole, stays until the fresh tenant is whole too.
//! May import `backend`, `store` and `domain`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::backend::{Area, Arrived, Backend, Error, Loaded, Progress, Refreshed, Scope, Warning};
use crate::domain::audit::overview::{Overview, overview};
use crate::domain::audit::suppress::Suppression;
use crate::domain::audit::{AuditOptions, Report, audit};
use crate::domain::delta::SyncState;
use crate::domain::{Directory, TenantSnapshot, Timestamp};
use crate::store::cache::CacheSlot;

/// Where a tenant comes from: the backend, and the slot it is remembered in (live sources).
#[derive(Clone)]
pub struct Source {
    pub backend: Arc<dyn Backend>,
    pub cache: Option<CacheSlot>,
}

/// A loaded, indexed and audited tenant.
pub struct Audited {
    pub dir: Arc<Directory>,
    pub report: Report,
    pub overview: Overview,
    pub warnings: Vec<Warning>,
    /// When the data came from the cache: the instant it was captured. `None` for a fresh load.
    pub cached_at: Option<Timestamp>,
}

/// What `explore` says as it goes, in this order: the cached tenant or why the cache was
/// ignored, then the fresh tenant or the failure, then whether it could not be remembered.
pub enum Loading {
    /// The cached tenant, indexed, its audit still running (captured at the instant given):
    /// `Cached` follows with the same `Directory`, audited (unless the load was cancelled).
    CachedIndexed(Arc<Directory>, Timestamp),
    Cached(Box<Audited>),
    /// What a first load without a cached tenant has read so far (Graph only, not audited),
    /// indexed; sent only before the load's `Fresh` or `Failed`.
    Partial(Box<Directory>),
    /// The cache could not be read (the message says why); the load goes on without it.
    CacheIgnored(String),
    Fresh(Box<Audited>),
    Failed(Error),
    /// The fresh tenant could not be written to the cache.
    NotRemembered(String),
}

/// Loads the tenant from the backend and remembers it in the source's cache; a cache that
/// cannot be written is a warning on the load. What the CLI's commands read.
pub async fn fetch(source: &Source, progress: &Progress) -> Result<Loaded, Error> {
    let mut loaded = logged(
        source,
        source.backend.load(&Scope::default(), progress).await,
    )?;
    let sync = source.backend.sync_state();
    remember_or_warn(source, &mut loaded, sync).await;
    Ok(loaded)
}

/// An incremental refresh from the cache (what `--incremental` and the explorer's `r` are to
/// call): the cached tenant and its sync state, brought up to date by the backend — a full
/// load when the source has no cache, nothing is cached, the cache cannot be read (a warning
/// says so) or the delta link expired — and remembered with the new sync state.
pub async fn refresh(source: &Source, progress: &Progress) -> Result<Refreshed, Error> {
    let (cached, sync, problem) = match source.cache.clone() {
        None => (None, None, None),
        Some(slot) => {
            match tokio::task::spawn_blocking(move || {
                let _pair = lock_pairs();
                (slot.read(), slot.read_sync())
            })
            .await
            {
                Ok((Ok(Some(snapshot)), sync)) => (Some(snapshot), sync, None),
                Ok((Ok(None), _)) => (None, None, None),
                Ok((Err(e), _)) => (None, None, Some(format!("cache ignored: {e}"))),
                Err(e) => (None, None, Some(format!("cache ignored: {e}"))),
            }
        }
    };
    // A sync state is only worth the tenant it was taken with.
    let (cached, sync) = match cached {
        Some(snapshot) => (snapshot, sync),
        None => (TenantSnapshot::empty("", Timestamp::UNIX_EPOCH), None),
    };
    let mut refreshed = source
        .backend
        .refresh(cached, sync.as_ref(), &Scope::default(), progress)
        .await?;
    if let Some(message) = problem {
        refreshed.loaded.warnings.push(Warning {
            area: Area::Cache,
            message,
        });
    }
    let sync = refreshed.sync.clone();
    remember_or_warn(source, &mut refreshed.loaded, sync).await;
    Ok(refreshed)
}

/// The background half of an incremental refresh: what a refresh does not read (every
/// application's federated credentials, the Azure part) read again into `snapshot`, and
/// remembered with the backend's sync state.
pub async fn sweep(
    source: &Source,
    snapshot: TenantSnapshot,
    progress: &Progress,
) -> Result<Loaded, Error> {
    let mut loaded = source
        .backend
        .sweep(snapshot, &Scope::default(), progress)
        .await?;
    let sync = source.backend.sync_state();
    remember_or_warn(source, &mut loaded, sync).await;
    Ok(loaded)
}

/// The explorer's incremental refresh (`r`): `refresh`, then indexed and audited off the
/// async threads as `explore` does. The tenant is remembered before it shows (as `refresh`
/// always does), so what is on screen is what the next refresh starts from.
pub async fn explore_refresh(
    source: &Source,
    progress: &Progress,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<(Audited, Refreshed), Error> {
    let refreshed = refresh(source, progress).await?;
    progress.report("indexing", 0, None);
    let audited = index(
        refreshed.loaded.snapshot.clone(),
        refreshed.loaded.warnings.clone(),
        None,
        options,
        suppressions,
    )
    .await?;
    Ok((audited, refreshed))
}

/// What the sweep after a refresh found, beside the tenant it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepFound {
    /// Applications whose federated credentials differ from the refreshed tenant's.
    pub fics_changed: usize,
    /// User-assigned managed identities and role assignments, before and after.
    pub identities: (usize, usize),
    pub role_assignments: (usize, usize),
    /// When the Azure part was read (the backend's sync state after the sweep), if known.
    pub azure_at: Option<Timestamp>,
}

/// The explorer's sweep after `r`: `sweep` over the refreshed tenant, indexed and audited off
/// the async threads, with what it found compared with `refreshed`.
pub async fn explore_sweep(
    source: &Source,
    refreshed: Arc<TenantSnapshot>,
    progress: &Progress,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<(Audited, SweepFound), Error> {
    let before = refreshed.clone();
    let loaded = sweep(source, TenantSnapshot::clone(&refreshed), progress).await?;
    let azure_at = source.backend.sync_state().map(|s| s.arm_at);
    let after = loaded.snapshot.clone();
    let found = tokio::task::spawn_blocking(move || {
        let old: HashMap<&str, _> = before
            .applications
            .iter()
            .map(|a| (a.id.as_str(), &a.federated_identity_credentials))
            .collect();
        let fics_changed = after
            .applications
            .iter()
            .filter(|a| old.get(a.id.as_str()) != Some(&&a.federated_identity_credentials))
            .count();
        SweepFound {
            fics_changed,
            identities: (
                before.user_assigned_identities.len(),
                after.user_assigned_identities.len(),
            ),
            role_assignments: (before.role_assignments.len(), after.role_assignments.len()),
            azure_at,
        }
    })
    .await
    .map_err(|e| Error::Unavailable(format!("sweep failed: {e}")))?;
    progress.report("indexing", 0, None);
    let audited = index(
        loaded.snapshot,
        loaded.warnings,
        None,
        options,
        suppressions,
    )
    .await?;
    Ok((audited, found))
}

/// Remembers `loaded` in the source's slot, if it has one; a failure is a warning on it.
async fn remember_or_warn(source: &Source, loaded: &mut Loaded, sync: Option<SyncState>) {
    if let Some(slot) = &source.cache
        && let Err(message) = remember(slot, loaded.snapshot.clone(), sync).await
    {
        loaded.warnings.push(Warning {
            area: Area::Cache,
            message,
        });
    }
}

/// The explorer's load: the cached tenant first (when `from_cache` and there is one: indexed
/// and sent, then audited beside the backend's load and sent again), then the fresh one,
/// indexed and audited and sent as soon as it is ready; the fresh tenant is remembered after
/// it was sent, so a large tenant shows before its cache file is written.
/// A cache that could not be read is said at once and again with the fresh tenant, so the
/// message outlives the load that replaces it. A session's first load (`from_cache`) that
/// found nothing to show streams partial tenants first (see the module docs); a later full
/// load (`:reload full`) replaces a tenant on screen, so it streams nothing.
pub async fn explore(
    source: Source,
    from_cache: bool,
    progress: Progress,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
    tx: mpsc::UnboundedSender<Loading>,
) {
    let mut cache_problem = None;
    let mut cache_audit = None;
    if let Some(slot) = source.cache.clone().filter(|_| from_cache) {
        match cached(slot).await {
            Ok(Some((dir, at))) => {
                let _ = tx.send(Loading::CachedIndexed(dir.clone(), at));
                cache_audit = Some((dir, at));
            }
            Ok(None) => {}
            Err(e) => {
                let _ = tx.send(Loading::CacheIgnored(e.clone()));
                cache_problem = Some(e);
            }
        }
    }
    let cache_shown = cache_audit.is_some();
    // The cached tenant's audit runs beside the backend's load, and is sent before anything
    // the load sends (the load's partial tenants never follow a cached one).
    let audit_cache = async {
        let Some((dir, at)) = cache_audit else {
            return;
        };
        let audited = audit_indexed(dir, vec![], Some(at), options.clone(), suppressions.clone());
        if let Ok(a) = audited.await
            && !progress.cancellation().is_cancelled()
        {
            let _ = tx.send(Loading::Cached(Box::new(a)));
        }
    };
    let load = async {
        if from_cache && !cache_shown {
            streamed(&source, &progress, options.now, &tx).await
        } else {
            source.backend.load(&Scope::default(), &progress).await
        }
    };
    let ((), loaded) = tokio::join!(audit_cache, load);
    let loaded = match logged(&source, loaded) {
        Ok(l) => l,
        Err(e) => {
            let _ = tx.send(Loading::Failed(e));
            return;
        }
    };
    // Taken at once: the sync state of this load, before any other load replaces it.
    let sync = source.backend.sync_state();
    progress.report("indexing", 0, None);
    let snapshot = loaded.snapshot.clone();
    let mut warnings = loaded.warnings;
    if let Some(message) = cache_problem {
        warnings.push(Warning {
            area: Area::Cache,
            message,
        });
    }
    match index(loaded.snapshot, warnings, None, options, suppressions).await {
        Ok(a) => {
            let _ = tx.send(Loading::Fresh(Box::new(a)));
        }
        Err(e) => {
            let _ = tx.send(Loading::Failed(e));
            return;
        }
    }
    if let Some(slot) = &source.cache
        && let Err(e) = remember(slot, snapshot, sync).await
    {
        let _ = tx.send(Loading::NotRemembered(e));
    }
}

/// The least time between two partial tenants; a build that took longer spaces them more.
pub const PARTIAL_EVERY: Duration = Duration::from_millis(300);

/// The backend's load, with what has arrived sent as `Loading::Partial` while it runs (see
/// the module docs): pages are kept as they came (shared, so a build copies nothing on the
/// async threads) and a build copies and indexes them on a blocking thread.
async fn streamed(
    source: &Source,
    progress: &Progress,
    now: Timestamp,
    tx: &mpsc::UnboundedSender<Loading>,
) -> Result<Loaded, Error> {
    let (ptx, mut pages_rx) = mpsc::unbounded_channel();
    let progress = progress.clone().with_pages(ptx);
    let scope = Scope::default();
    let load = source.backend.load(&scope, &progress);
    tokio::pin!(load);
    let mut pages: Vec<Arc<Arrived>> = Vec::new();
    let mut dirty = false;
    let mut listed = false;
    let mut building: Option<tokio::task::JoinHandle<(Directory, Duration)>> = None;
    let mut not_before = tokio::time::Instant::now();
    let loaded = loop {
        tokio::select! {
            // The load first: once it is done, nothing partial follows.
            biased;
            loaded = &mut load => break loaded,
            Some(page) = pages_rx.recv() => {
                // Federated credentials alone list no identity: nothing new to show yet.
                listed |= !matches!(page, Arrived::FederatedCredentials(_));
                pages.push(Arc::new(page));
                dirty = listed;
            }
            built = async {
                match building.as_mut() {
                    Some(handle) => handle.await,
                    None => std::future::pending().await,
                }
            }, if building.is_some() => {
                building = None;
                if let Ok((dir, cost)) = built {
                    let _ = tx.send(Loading::Partial(Box::new(dir)));
                    not_before = tokio::time::Instant::now() + PARTIAL_EVERY.max(cost * 3);
                }
            }
            _ = tokio::time::sleep_until(not_before), if dirty && building.is_none() => {
                dirty = false;
                let pages = pages.clone();
                building = Some(tokio::task::spawn_blocking(move || {
                    let started = Instant::now();
                    let dir = Directory::new(partial_snapshot(&pages, now));
                    (dir, started.elapsed())
                }));
            }
        }
    };
    // The pages hold a copy of every object: freeing them is O(tenant), off the async threads
    // (which also drive the timers and sockets the screen waits on).
    tokio::task::spawn_blocking(move || drop(pages));
    loaded
}

/// The tenant the pages so far make: applications with the federated credentials listed for
/// them so far, and service principals; an object listed twice keeps its later copy, as the
/// whole load does.
fn partial_snapshot(pages: &[Arc<Arrived>], now: Timestamp) -> TenantSnapshot {
    let mut snapshot = TenantSnapshot::empty("", now);
    let mut apps: HashMap<&str, usize> = HashMap::new();
    let mut sps: HashMap<&str, usize> = HashMap::new();
    let mut fics = HashMap::new();
    for page in pages {
        match &**page {
            Arrived::Applications(list) => {
                for a in list {
                    match apps.get(a.id.as_str()) {
                        Some(&i) => snapshot.applications[i] = a.clone(),
                        None => {
                            apps.insert(&a.id, snapshot.applications.len());
                            snapshot.applications.push(a.clone());
                        }
                    }
                }
            }
            Arrived::ServicePrincipals(list) => {
                for sp in list {
                    match sps.get(sp.id.as_str()) {
                        Some(&i) => snapshot.service_principals[i] = sp.clone(),
                        None => {
                            sps.insert(&sp.id, snapshot.service_principals.len());
                            snapshot.service_principals.push(sp.clone());
                        }
                    }
                }
            }
            Arrived::FederatedCredentials(list) => {
                for (app, creds) in list {
                    fics.insert(app.to_ascii_lowercase(), creds);
                }
            }
        }
    }
    for app in &mut snapshot.applications {
        if let Some(creds) = fics.get(&app.id.to_ascii_lowercase()) {
            app.federated_identity_credentials = (*creds).clone();
        }
    }
    snapshot
}

/// A load's outcome in the `--log-file` log: what was read, or why not.
fn logged(source: &Source, loaded: Result<Loaded, Error>) -> Result<Loaded, Error> {
    match &loaded {
        Ok(l) => tracing::info!(
            source = ?source.backend.describe(),
            applications = l.snapshot.applications.len(),
            service_principals = l.snapshot.service_principals.len(),
            user_assigned_identities = l.snapshot.user_assigned_identities.len(),
            resources = l.snapshot.resources.len(),
            role_assignments = l.snapshot.role_assignments.len(),
            warnings = l.warnings.len(),
            "tenant loaded"
        ),
        Err(e) => tracing::warn!(
            source = ?source.backend.describe(),
            error = ?e.to_string(),
            "tenant not loaded"
        ),
    }
    for w in loaded.iter().flat_map(|l| &l.warnings) {
        tracing::warn!(area = ?w.area, message = ?w.message, "load warning");
    }
    loaded
}

/// Held while a tenant and its sync state are written or read as a pair: the explorer's load
/// remembers its tenant after showing it, so an `r` pressed meanwhile could otherwise read the
/// old tenant with the new links (missing the changes between them), or two writes could
/// interleave into one's tenant with the other's links. One process's pairs; a poisoned lock
/// guards nothing that can be left half-done, so it is taken anyway.
static PAIRS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock_pairs() -> std::sync::MutexGuard<'static, ()> {
    PAIRS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes `snapshot` and its sync state to the cache off the async threads (a large tenant is
/// hundreds of MB of JSON); the error is a message for a warning. The old sync state goes
/// first and the new one is written last (see the module docs); `None` leaves none, so the
/// next refresh is a full load.
async fn remember(
    slot: &CacheSlot,
    snapshot: Arc<TenantSnapshot>,
    sync: Option<SyncState>,
) -> Result<(), String> {
    let slot = slot.clone();
    let written = tokio::task::spawn_blocking(move || {
        let _pair = lock_pairs();
        slot.write_sync(None)
            .map_err(|e| format!("not cached: {e}"))?;
        slot.write(&snapshot)
            .map_err(|e| format!("not cached: {e}"))?;
        slot.write_sync(sync.as_ref()).map_err(|e| {
            format!("the delta links were not kept (the next refresh reads in full): {e}")
        })
    })
    .await;
    match written {
        Ok(r) => r,
        Err(e) => Err(format!("not cached: {e}")),
    }
}

/// The cached tenant, read and indexed (not audited) off the async threads, with the instant
/// it was captured; `Ok(None)` when nothing is cached yet, `Err` with a message when the cache
/// file cannot be read (the caller warns and goes on without it).
async fn cached(slot: CacheSlot) -> Result<Option<(Arc<Directory>, Timestamp)>, String> {
    let read = tokio::task::spawn_blocking(move || {
        slot.read().map(|s| {
            s.map(|s| {
                let at = s.captured_at;
                (Arc::new(Directory::new(s)), at)
            })
        })
    })
    .await
    .map_err(|e| format!("cache ignored: {e}"))?;
    read.map_err(|e| format!("cache ignored: {e}"))
}

/// An indexed tenant audited off the async threads.
async fn audit_indexed(
    dir: Arc<Directory>,
    warnings: Vec<Warning>,
    cached_at: Option<Timestamp>,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<Audited, Error> {
    let audited = dir.clone();
    let (report, overview) = tokio::task::spawn_blocking(move || {
        let report = audit(&audited, &options, &suppressions);
        let overview = overview(&audited, &report, options.now);
        (report, overview)
    })
    .await
    .map_err(|e| Error::Unavailable(format!("the audit failed: {e}")))?;
    Ok(Audited {
        dir,
        report,
        overview,
        warnings,
        cached_at,
    })
}

async fn index(
    snapshot: Arc<TenantSnapshot>,
    warnings: Vec<Warning>,
    cached_at: Option<Timestamp>,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<Audited, Error> {
    let (dir, report, overview) = tokio::task::spawn_blocking(move || {
        let dir = Directory::new(snapshot);
        let report = audit(&dir, &options, &suppressions);
        let overview = overview(&dir, &report, options.now);
        (dir, report, overview)
    })
    .await
    .map_err(|e| Error::Unavailable(format!("indexing failed: {e}")))?;
    Ok(Audited {
        dir: Arc::new(dir),
        report,
        overview,
        warnings,
        cached_at,
    })
}
