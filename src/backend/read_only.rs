//! `--read-only`: a wrapper that passes loads and checks through and refuses every change.
//! Read-only is enforced here, in one place, not screen by screen.

use std::sync::Arc;

use super::{Applied, Backend, Error, Loaded, Progress, Scope};
use crate::domain::{Change, Check};

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

    async fn check(&self, check: &Check) -> Result<bool, Error> {
        self.0.check(check).await
    }

    async fn apply(&self, _change: &Change) -> Result<Applied, Error> {
        Err(Error::ReadOnly)
    }

    fn restores_removed_secrets(&self) -> bool {
        self.0.restores_removed_secrets()
    }
}
