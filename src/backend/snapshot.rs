//! The snapshot backend: a tenant held in memory, from a snapshot file or the demo tenant.
//! Changes apply to the in-memory snapshot with `TenantSnapshot::apply`; for a file source
//! they are also written back atomically, so `--apply` on `--snapshot FILE` updates the file
//! and the demo tenant changes only in memory.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{Applied, Backend, Error, Loaded, Progress, Scope};
use crate::domain::change::Target;
use crate::domain::{Change, Check, CheckOutcome, ObjectCredentials, TenantSnapshot};
use crate::store::snapshot_file;

pub struct SnapshotBackend {
    /// Shared with the directories made from it; a change copies it first if it is shared
    /// (copy on write), so loading never duplicates a large tenant.
    snapshot: Mutex<Arc<TenantSnapshot>>,
    /// Where changes are persisted; `None` keeps them in memory (the demo tenant).
    path: Option<PathBuf>,
    label: String,
}

impl SnapshotBackend {
    /// A backend over a snapshot file, already read.
    pub fn from_file(path: PathBuf) -> Result<Self, Error> {
        let snapshot = snapshot_file::load(&path)?;
        let label = format!(
            "snapshot {}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string())
        );
        Ok(Self {
            snapshot: Mutex::new(Arc::new(snapshot)),
            path: Some(path),
            label,
        })
    }

    /// A backend over a snapshot that lives only in memory.
    pub fn in_memory(snapshot: TenantSnapshot, label: impl Into<String>) -> Self {
        Self {
            snapshot: Mutex::new(Arc::new(snapshot)),
            path: None,
            label: label.into(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Arc<TenantSnapshot>> {
        // A panic while holding the lock cannot leave the snapshot half-changed: `apply`
        // validates before it mutates. So a poisoned lock is still usable.
        self.snapshot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl Backend for SnapshotBackend {
    fn describe(&self) -> String {
        self.label.clone()
    }

    async fn load(&self, _scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        if progress.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let snapshot = self.lock().clone();
        progress.report("snapshot", 1, Some(1));
        Ok(Loaded {
            snapshot,
            warnings: vec![],
        })
    }

    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        Ok(self.lock().check(check)?)
    }

    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        Ok(self.lock().credentials_of(target)?)
    }

    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        Ok(Some(self.lock().tenant_id.clone()))
    }

    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        let mut guard = self.lock();
        let snapshot = Arc::make_mut(&mut guard);
        let undo = snapshot.apply(change)?;
        if let Some(path) = &self.path
            && let Err(e) = snapshot_file::save(snapshot, path)
        {
            // Keep memory and file in step: the file was not changed, so undo in memory.
            let _ = snapshot.apply(&undo);
            return Err(e.into());
        }
        let created = match change {
            Change::CreateUserAssignedIdentity { identity } => Some(identity.clone()),
            _ => None,
        };
        Ok(Applied {
            undo,
            secret: None,
            created,
        })
    }
}
