//! Loading a tenant: from the cache first when there is one (the explorer opens at once), then
//! from the backend; each result is indexed and audited off the async threads (indexing and
//! auditing 150,000 identities is CPU work), so the screen keeps drawing while it happens.

use std::sync::Arc;

use crate::backend::{Backend, Error, Progress, Scope, Warning};
use crate::domain::audit::overview::{Overview, overview};
use crate::domain::audit::suppress::Suppression;
use crate::domain::audit::{AuditOptions, Report, audit};
use crate::domain::{Directory, TenantSnapshot, Timestamp};
use crate::store::cache::CacheSlot;

/// A loaded, indexed and audited tenant.
pub struct Audited {
    pub dir: Directory,
    pub report: Report,
    pub overview: Overview,
    pub warnings: Vec<Warning>,
    /// When the data came from the cache: the instant it was captured. `None` for a fresh load.
    pub cached_at: Option<Timestamp>,
}

/// Loads the tenant from the backend, indexes and audits it.
pub async fn load(
    backend: Arc<dyn Backend>,
    progress: Progress,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<Audited, Error> {
    let loaded = backend.load(&Scope::default(), &progress).await?;
    progress.report("indexing", 0, None);
    index(
        loaded.snapshot,
        loaded.warnings,
        None,
        options,
        suppressions,
    )
    .await
}

/// The cached tenant, indexed and audited; `Ok(None)` when nothing is cached yet, `Err` with a
/// message when the cache file cannot be read (the caller warns and goes on without it).
pub async fn from_cache(
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
