//! Loading a tenant, with the one rule of the tenant cache for every screen: a live source has a
//! slot in the cache; the explorer starts from what the slot holds (it opens at once), then
//! loads from the backend; every successful load from the backend is remembered in the slot,
//! and a cache that cannot be read or written is a warning, never a failed load. The CLI's
//! commands (`fetch`) and the explorer (`explore`) both go through it.
//!
//! Each tenant the explorer gets is indexed and audited off the async threads (indexing and
//! auditing 150,000 identities is CPU work), so the screen keeps drawing while it happens.
//! May import `backend`, `store` and `domain`.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::backend::{Backend, Error, Loaded, Progress, Scope, Warning};
use crate::domain::audit::overview::{Overview, overview};
use crate::domain::audit::suppress::Suppression;
use crate::domain::audit::{AuditOptions, Report, audit};
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
    let mut loaded = source.backend.load(&Scope::default(), progress).await?;
    if let Some(slot) = &source.cache
        && let Err(message) = remember(slot, loaded.snapshot.clone()).await
    {
        loaded.warnings.push(Warning {
            area: "cache".into(),
            message,
        });
    }
    Ok(loaded)
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
    let loaded = match source.backend.load(&Scope::default(), &progress).await {
        Ok(l) => l,
        Err(e) => {
            let _ = tx.send(Loading::Failed(e));
            return;
        }
    };
    progress.report("indexing", 0, None);
    let snapshot = loaded.snapshot.clone();
    let mut warnings = loaded.warnings;
    if let Some(message) = cache_problem {
        warnings.push(Warning {
            area: "cache".into(),
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
        && let Err(e) = remember(slot, snapshot).await
    {
        let _ = tx.send(Loading::NotRemembered(e));
    }
}

/// Writes `snapshot` to the cache off the async threads (a large tenant is hundreds of MB of
/// JSON); the error is a message for a warning.
async fn remember(slot: &CacheSlot, snapshot: Arc<TenantSnapshot>) -> Result<(), String> {
    let slot = slot.clone();
    match tokio::task::spawn_blocking(move || slot.write(&snapshot)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("not cached: {e}")),
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
