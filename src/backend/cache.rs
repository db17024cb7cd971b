//! A wrapper that remembers every successful load in the tenant cache (`store::cache`), so the
//! next explorer session opens at once on what the CLI or the last session saw. Changes and
//! checks pass straight through; a failed cache write is a warning, never a failed load.

use std::sync::Arc;

use super::{Applied, Backend, Error, Loaded, Progress, Scope, UsageRequest, Warning};
use crate::domain::change::Target;
use crate::domain::{Change, Check, CheckOutcome, ObjectCredentials};
use crate::store::cache::CacheSlot;

pub struct Remembering {
    pub inner: Arc<dyn Backend>,
    pub slot: CacheSlot,
}

#[async_trait::async_trait]
impl Backend for Remembering {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    async fn signed_in_principal(&self) -> Option<String> {
        self.inner.signed_in_principal().await
    }

    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        let mut loaded = self.inner.load(scope, progress).await?;
        if let Err(message) = remember(&self.slot, &loaded).await {
            loaded.warnings.push(Warning {
                area: "cache".into(),
                message,
            });
        }
        Ok(loaded)
    }

    async fn load_usage(
        &self,
        request: &UsageRequest,
        progress: &Progress,
    ) -> Result<crate::domain::usage::UsageData, Error> {
        self.inner.load_usage(request, progress).await
    }

    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        self.inner.examine(check).await
    }

    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        self.inner.credentials(target).await
    }

    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        self.inner.tenant_id().await
    }

    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        self.inner.apply(change).await
    }

    fn restores_removed_secrets(&self) -> bool {
        self.inner.restores_removed_secrets()
    }
}

/// Writes `loaded` to the cache off the async threads (a large tenant is hundreds of MB of
/// JSON); the error is a message for a warning.
pub async fn remember(slot: &CacheSlot, loaded: &Loaded) -> Result<(), String> {
    let (slot, snapshot) = (slot.clone(), loaded.snapshot.clone());
    match tokio::task::spawn_blocking(move || slot.write(&snapshot)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("not cached: {e}")),
        Err(e) => Err(format!("not cached: {e}")),
    }
}
