//! A wrapper that remembers every successful load in the tenant cache (`store::cache`), so the
//! next explorer session opens at once on what the CLI or the last session saw. Changes and
//! checks pass straight through; a failed cache write is a warning, never a failed load.

use std::sync::Arc;

use super::{Applied, Backend, Error, Loaded, Progress, Refreshed, Scope, Warning};
use crate::domain::change::Target;
use crate::domain::delta::SyncState;
use crate::domain::{Change, Check, CheckOutcome, ObjectCredentials, TenantSnapshot};
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
        let sync = self.inner.sync_state();
        if let Err(message) = remember_with_sync(&self.slot, &loaded, sync.as_ref(), true).await {
            loaded.warnings.push(Warning {
                area: "cache".into(),
                message,
            });
        }
        Ok(loaded)
    }

    fn sync_state(&self) -> Option<SyncState> {
        self.inner.sync_state()
    }

    /// The inner refresh, remembered with its sync state.
    async fn refresh(
        &self,
        cached: TenantSnapshot,
        sync: Option<&SyncState>,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Refreshed, Error> {
        let mut r = self.inner.refresh(cached, sync, scope, progress).await?;
        if let Err(message) = remember_with_sync(&self.slot, &r.loaded, r.sync.as_ref(), true).await
        {
            r.loaded.warnings.push(Warning {
                area: "cache".into(),
                message,
            });
        }
        Ok(r)
    }

    async fn sweep(
        &self,
        snapshot: TenantSnapshot,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Loaded, Error> {
        let mut loaded = self.inner.sweep(snapshot, scope, progress).await?;
        let sync = self.inner.sync_state();
        if let Err(message) = remember_with_sync(&self.slot, &loaded, sync.as_ref(), true).await {
            loaded.warnings.push(Warning {
                area: "cache".into(),
                message,
            });
        }
        Ok(loaded)
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
/// JSON); the error is a message for a warning. The sync state beside it is left as it is:
/// delta links older than the snapshot are safe (a refresh from them reports again what the
/// snapshot already holds, and the merge absorbs it); only newer ones would miss changes.
pub async fn remember(slot: &CacheSlot, loaded: &Loaded) -> Result<(), String> {
    remember_with_sync(slot, loaded, None, false).await
}

/// `remember`, and where the next refresh starts. The old sync state is removed before the
/// snapshot is replaced and the new one written after it, so a crash in between leaves no
/// link newer than the cached tenant.
pub async fn remember_with_sync(
    slot: &CacheSlot,
    loaded: &Loaded,
    sync: Option<&SyncState>,
    replace_sync: bool,
) -> Result<(), String> {
    let (slot, snapshot, sync) = (slot.clone(), loaded.snapshot.clone(), sync.cloned());
    let written = tokio::task::spawn_blocking(move || {
        if replace_sync {
            slot.write_sync(None)
                .map_err(|e| format!("not cached: {e}"))?;
        }
        slot.write(&snapshot)
            .map_err(|e| format!("not cached: {e}"))?;
        if replace_sync {
            slot.write_sync(sync.as_ref()).map_err(|e| {
                format!("the delta links were not kept (the next refresh reads in full): {e}")
            })?;
        }
        Ok(())
    })
    .await;
    match written {
        Ok(r) => r,
        Err(e) => Err(format!("not cached: {e}")),
    }
}
