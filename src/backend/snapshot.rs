//! The snapshot backend: a tenant held in memory, from a snapshot file or the demo tenant.
//! Changes apply to the in-memory snapshot with `TenantSnapshot::apply`; for a file source
//! they are also written back atomically, so `--apply` on `--snapshot FILE` updates the file
//! and the demo tenant changes only in memory.
//!
//! One writer per snapshot file: every change to a file is a read-modify-write under an OS
//! advisory lock on a lock file beside it (`.<name>.credwise-lock`, `store::files::FileLock`),
//! held across the whole cycle and released by the OS if credwise dies. Under the lock the
//! file is read again and the change is applied to what it holds *now*, so two migrations on
//! different identities of one file — two processes, or two backends in one — both land.
//! When the object a change is about is no longer what this backend last saw (another writer
//! changed it), the change is refused with a message that says so, and nothing is written.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Applied, Backend, Error, Loaded, Progress, Scope};
use crate::domain::change::Target;
use crate::domain::{
    Application, Change, Check, CheckOutcome, ObjectCredentials, RoleAssignment, ServicePrincipal,
    TenantSnapshot, UserAssignedIdentity,
};
use crate::store::files::FileLock;
use crate::store::snapshot_file;

/// How long a change waits for another writer of the same file (one write takes a moment,
/// even for a large tenant) before it gives up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

pub struct SnapshotBackend {
    /// Shared with the directories made from it; a change copies it first if it is shared
    /// (copy on write), so loading never duplicates a large tenant.
    snapshot: Mutex<Arc<TenantSnapshot>>,
    /// Where changes are persisted; `None` keeps them in memory (the demo tenant).
    path: Option<PathBuf>,
    label: String,
}

/// The lock file of a snapshot file: hidden, beside it.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    crate::store::files::parent_dir(path).join(format!(".{name}.credwise-lock"))
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

    /// A change to the file at `path`: under its lock, on its current content.
    async fn apply_to_file(&self, change: &Change, path: &Path) -> Result<Change, Error> {
        let lock_file = lock_path(path);
        let _writer = FileLock::acquire(&lock_file, LOCK_WAIT)
            .await
            .map_err(|e| {
                Error::Unavailable(format!(
                    "{}: cannot take the write lock {}: {e}",
                    path.display(),
                    lock_file.display()
                ))
            })?
            .ok_or_else(|| {
                Error::Unavailable(format!(
                    "{}: another credwise has been writing this file for {} s (lock {}); the change was not made, try again",
                    path.display(),
                    LOCK_WAIT.as_secs(),
                    lock_file.display()
                ))
            })?;
        // Another process may have written the file since this one read it.
        let mut fresh = snapshot_file::load(path)?;
        let mut memory = self.lock();
        if let Some(what) = changed_under(&memory, &fresh, change) {
            return Err(Error::Unavailable(format!(
                "{}: {what} was changed in the file by another writer since credwise read it; the change was not made (load the file again and check the plan)",
                path.display()
            )));
        }
        let undo = fresh.apply(change)?;
        snapshot_file::save(&fresh, path)?;
        *memory = Arc::new(fresh);
        Ok(undo)
    }
}

/// The object a change is about, as one snapshot holds it (absent: `None`).
#[derive(PartialEq)]
enum Subject<'a> {
    Application(Option<&'a Application>),
    ServicePrincipal(Option<&'a ServicePrincipal>),
    Identity(Option<&'a UserAssignedIdentity>),
    RoleAssignment(Option<&'a RoleAssignment>),
}

fn subject<'a>(s: &'a TenantSnapshot, change: &Change) -> Subject<'a> {
    let identity = |id: &str| {
        Subject::Identity(
            s.user_assigned_identities
                .iter()
                .find(|u| u.id.eq_ignore_ascii_case(id)),
        )
    };
    let role = |id: &str| {
        Subject::RoleAssignment(
            s.role_assignments
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(id)),
        )
    };
    let target = match change {
        Change::AddPassword { target, .. }
        | Change::RemovePassword { target, .. }
        | Change::AddKey { target, .. }
        | Change::RemoveKey { target, .. }
        | Change::AddFederatedCredential { target, .. }
        | Change::RemoveFederatedCredential { target, .. } => target,
        Change::CreateUserAssignedIdentity { identity: u } => return identity(&u.id),
        Change::DeleteUserAssignedIdentity { id } => return identity(id),
        Change::AddRoleAssignment { assignment } => return role(&assignment.id),
        Change::RemoveRoleAssignment { id } => return role(id),
    };
    match target {
        Target::Application(id) => {
            Subject::Application(s.applications.iter().find(|a| &a.id == id))
        }
        Target::ServicePrincipal(id) => {
            Subject::ServicePrincipal(s.service_principals.iter().find(|p| &p.id == id))
        }
        Target::UserAssignedIdentity(id) => identity(id),
    }
}

/// What changed under `change`, if its object differs between what this backend last saw and
/// the file now.
fn changed_under(seen: &TenantSnapshot, now: &TenantSnapshot, change: &Change) -> Option<String> {
    if subject(seen, change) == subject(now, change) {
        return None;
    }
    Some(match change {
        Change::CreateUserAssignedIdentity { identity } => {
            format!("user-assigned identity {}", identity.id)
        }
        Change::DeleteUserAssignedIdentity { id } => format!("user-assigned identity {id}"),
        Change::AddRoleAssignment { assignment } => format!("role assignment {}", assignment.id),
        Change::RemoveRoleAssignment { id } => format!("role assignment {id}"),
        Change::AddPassword { target, .. }
        | Change::RemovePassword { target, .. }
        | Change::AddKey { target, .. }
        | Change::RemoveKey { target, .. }
        | Change::AddFederatedCredential { target, .. }
        | Change::RemoveFederatedCredential { target, .. } => match target {
            Target::Application(id) => format!("application {id}"),
            Target::ServicePrincipal(id) => format!("service principal {id}"),
            Target::UserAssignedIdentity(id) => format!("user-assigned identity {id}"),
        },
    })
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
        let undo = match &self.path {
            Some(path) => self.apply_to_file(change, path).await?,
            None => {
                let mut guard = self.lock();
                Arc::make_mut(&mut guard).apply(change)?
            }
        };
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
