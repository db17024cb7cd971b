//! `--read-only`: a wrapper that passes loads and checks through and refuses every change.
//! Read-only is enforced here, in one place, not screen by screen.

use std::sync::Arc;

use super::{Applied, Backend, Error, Loaded, Progress, Refreshed, Scope, UsageRequest};
use crate::domain::change::Target;
use crate::domain::delta::SyncState;
use crate::domain::{Change, Check, CheckOutcome, ObjectCredentials, TenantSnapshot};

pub struct ReadOnly(pub Arc<dyn Backend>);

#[async_trait::async_trait]
impl Backend for ReadOnly {
    fn describe(&self) -> String {
        format!("{} [read-only]", self.0.describe())
    }

    async fn signed_in_principal(&self) -> Option<String> {
        self.0.signed_in_principal().await
    }

    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        self.0.load(scope, progress).await
    }

    async fn load_usage(
        &self,
        request: &UsageRequest,
        progress: &Progress,
    ) -> Result<crate::domain::usage::UsageData, Error> {
        self.0.load_usage(request, progress).await
    }

    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        self.0.examine(check).await
    }

    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        self.0.credentials(target).await
    }

    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        self.0.tenant_id().await
    }

    async fn apply(&self, _change: &Change) -> Result<Applied, Error> {
        Err(Error::ReadOnly)
    }

    fn restores_removed_secrets(&self) -> bool {
        self.0.restores_removed_secrets()
    }

    fn sync_state(&self) -> Option<SyncState> {
        self.0.sync_state()
    }

    async fn refresh(
        &self,
        cached: TenantSnapshot,
        sync: Option<&SyncState>,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Refreshed, Error> {
        self.0.refresh(cached, sync, scope, progress).await
    }

    async fn sweep(
        &self,
        snapshot: TenantSnapshot,
        scope: &Scope,
        progress: &Progress,
    ) -> Result<Loaded, Error> {
        self.0.sweep(snapshot, scope, progress).await
    }
}
