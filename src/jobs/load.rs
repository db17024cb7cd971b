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
//! May import `backend`, `store` and `domain`.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::backend::{Area, Backend, Error, Loaded, Progress, Refreshed, Scope, Warning};
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
    pub dir: Directory,
    pub report: Report,
    pub overview: Overview,
    pub warnings: Vec<Warning>,
    /// When the data came from the cache: the instant it was captured. `None` for a fresh load.
    pub cached_at: Option<Timestamp>,
}

/// What `explore` says as it goes, in this order: the cached tenant or why the cache was
/// ignored, then the fresh tenant or the failure, then whether it could not be remembered.
pub enum Loading {
    Cached(Box<Audited>),
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

/// The explorer's load: the cached tenant first (when `from_cache` and there is one), then the
/// fresh one, each indexed and audited and sent as soon as it is ready; the fresh tenant is
/// remembered after it was sent, so a large tenant shows before its cache file is written.
/// A cache that could not be read is said at once and again with the fresh tenant, so the
/// message outlives the load that replaces it.
pub async fn explore(
    source: Source,
    from_cache: bool,
    progress: Progress,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
    tx: mpsc::UnboundedSender<Loading>,
) {
    let mut cache_problem = None;
    if let Some(slot) = source.cache.clone().filter(|_| from_cache) {
        match cached(slot, options.clone(), suppressions.clone()).await {
            Ok(Some(a)) => {
                let _ = tx.send(Loading::Cached(Box::new(a)));
            }
            Ok(None) => {}
            Err(e) => {
                let _ = tx.send(Loading::CacheIgnored(e.clone()));
                cache_problem = Some(e);
            }
        }
    }
    let loaded = match logged(
        &source,
        source.backend.load(&Scope::default(), &progress).await,
    ) {
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

/// The cached tenant, indexed and audited; `Ok(None)` when nothing is cached yet, `Err` with a
/// message when the cache file cannot be read (the caller warns and goes on without it).
async fn cached(
    slot: CacheSlot,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<Option<Audited>, String> {
    let read = tokio::task::spawn_blocking(move || slot.read())
        .await
        .map_err(|e| format!("cache ignored: {e}"))?;
    let snapshot = match read {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(None),
        Err(e) => return Err(format!("cache ignored: {e}")),
    };
    let at = snapshot.captured_at;
    index(Arc::new(snapshot), vec![], Some(at), options, suppressions)
        .await
        .map(Some)
        .map_err(|e| e.to_string())
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
        dir,
        report,
        overview,
        warnings,
        cached_at,
    })
}
