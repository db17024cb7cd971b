//! Loading a tenant: ask the backend, then index the snapshot and audit it off the async
//! threads (indexing and auditing 150,000 identities is CPU work).

use std::sync::Arc;

use crate::backend::{Backend, Error, Progress, Scope, Warning};
use crate::domain::Directory;
use crate::domain::audit::overview::{Overview, overview};
use crate::domain::audit::suppress::Suppression;
use crate::domain::audit::{AuditOptions, Report, audit};

/// A loaded, indexed and audited tenant.
pub struct Audited {
    pub dir: Directory,
    pub report: Report,
    pub overview: Overview,
    pub warnings: Vec<Warning>,
}

pub async fn load(
    backend: Arc<dyn Backend>,
    progress: Progress,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) -> Result<Audited, Error> {
    let loaded = backend.load(&Scope::default(), &progress).await?;
    progress.report("indexing", 0, None);
    let (dir, report, overview) = tokio::task::spawn_blocking(move || {
        let dir = Directory::new(loaded.snapshot);
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
        warnings: loaded.warnings,
    })
}
