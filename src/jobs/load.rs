//! Loading a tenant: ask the backend, then index the snapshot off the async threads (indexing
//! 150,000 identities is CPU work).

use std::sync::Arc;

use crate::backend::{Backend, Error, Progress, Scope, Warning};
use crate::domain::Directory;

pub async fn load(
    backend: Arc<dyn Backend>,
    progress: Progress,
) -> Result<(Directory, Vec<Warning>), Error> {
    let loaded = backend.load(&Scope::default(), &progress).await?;
    progress.report("indexing", 0, None);
    let dir = tokio::task::spawn_blocking(move || Directory::new(loaded.snapshot))
        .await
        .map_err(|e| Error::Unavailable(format!("indexing failed: {e}")))?;
    Ok((dir, loaded.warnings))
}
