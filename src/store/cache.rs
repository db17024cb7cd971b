//! The tenant cache: the last snapshot of each live tenant, so the explorer opens at once and
//! refreshes in the background. One file per (cloud, tenant, Graph endpoint), in the user's
//! cache directory, written atomically and readable by its owner only (0600, directory 0700).
//! It is a snapshot file (`store::snapshot_file`) written without whitespace: a fifth fewer
//! bytes to read on the way to the first screen.
//!
//! A snapshot holds no secret, token or private key (the domain types have no field for one),
//! so the cache cannot hold one either. A cache file that cannot be read is reported and
//! ignored: the live load replaces it.
//!
//! Beside each tenant file, `….sync.json` holds where an incremental refresh starts
//! (`domain::delta::SyncState`: Graph's delta links and when each part was read), written
//! the same way (0600, atomically). A delta link is an opaque position in Graph's change
//! log, no credential: it reads nothing without a token. One that cannot be read is ignored
//! (the refresh is then a full load).
//!
//! May import `domain`, `store::snapshot_file` and the filesystem.

use std::path::{Path, PathBuf};

use super::files::{self, Access};
use super::snapshot_file::{self, SnapshotFileError};
use crate::domain::TenantSnapshot;
use crate::domain::delta::SyncState;

/// Where one tenant's cached snapshot lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSlot {
    path: PathBuf,
}

impl CacheSlot {
    /// The slot for a tenant in `dir`. `key` names the tenant and endpoint (e.g.
    /// `public`, `contoso.onmicrosoft.com`, `graph.microsoft.com`); any character that is not
    /// safe in a file name becomes `_`, so a hostile tenant name cannot escape `dir`.
    pub fn new(dir: &Path, key: &[&str]) -> Self {
        let name: String = key
            .iter()
            .map(|part| {
                part.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                            c.to_ascii_lowercase()
                        } else {
                            '_'
                        }
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("~");
        // Leading dots would hide the file or walk up (`..`).
        let name = name.trim_start_matches('.');
        Self {
            path: dir.join(format!("tenant~{name}.json")),
        }
    }

    /// The slot in the user's cache directory, if the platform has one.
    pub fn in_user_cache(key: &[&str]) -> Option<Self> {
        super::paths::cache_dir().map(|d| Self::new(&d, key))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached snapshot, `Ok(None)` when there is none yet.
    pub fn read(&self) -> Result<Option<TenantSnapshot>, SnapshotFileError> {
        if !self.path.exists() {
            return Ok(None);
        }
        snapshot_file::load(&self.path).map(Some)
    }

    /// Where the slot's sync state lives: beside the snapshot.
    pub fn sync_path(&self) -> PathBuf {
        self.path.with_extension("sync.json")
    }

    /// The sync state saved with the snapshot; `None` when there is none or it cannot be
    /// read (an incremental refresh is then a full load).
    pub fn read_sync(&self) -> Option<SyncState> {
        let bytes = std::fs::read(self.sync_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Replaces the sync state (`None` removes it: the next refresh is a full load).
    pub fn write_sync(&self, sync: Option<&SyncState>) -> std::io::Result<()> {
        let path = self.sync_path();
        match sync {
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            Some(s) => {
                if let Some(dir) = path.parent() {
                    files::create_private_dir(dir)?;
                }
                let bytes = serde_json::to_vec(s).map_err(std::io::Error::other)?;
                files::write_atomically(&path, &bytes, Access::Private)
            }
        }
    }

    /// Replaces the cached snapshot.
    pub fn write(&self, snapshot: &TenantSnapshot) -> Result<(), SnapshotFileError> {
        let write_error = |source| SnapshotFileError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            files::create_private_dir(dir).map_err(write_error)?;
        }
        files::write_atomically_with(&self.path, Access::Private, |out| {
            snapshot_file::write_compact(snapshot, out)
        })
        .map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn snapshot() -> TenantSnapshot {
        TenantSnapshot::empty(
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            Timestamp::from_unix_timestamp(1_790_000_000).expect("time"),
        )
    }

    #[test]
    fn round_trips_and_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let slot = CacheSlot::new(&dir.path().join("cache"), &["public", "contoso", "graph"]);
        assert_eq!(slot.read().expect("read"), None);
        slot.write(&snapshot()).expect("write");
        assert_eq!(slot.read().expect("read"), Some(snapshot()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(slot.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(dir.path().join("cache"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
    }

    #[test]
    fn the_sync_state_is_kept_beside_the_snapshot_privately() {
        let dir = tempfile::tempdir().expect("tempdir");
        let slot = CacheSlot::new(&dir.path().join("cache"), &["public", "contoso", "graph"]);
        assert_eq!(slot.read_sync(), None);
        let at = Timestamp::from_unix_timestamp(1_790_000_000).expect("time");
        let sync = SyncState {
            applications: "https://graph.microsoft.com/v1.0/applications/delta?$deltatoken=a"
                .into(),
            service_principals:
                "https://graph.microsoft.com/v1.0/servicePrincipals/delta?$deltatoken=s".into(),
            graph_at: at,
            arm_at: at,
        };
        slot.write_sync(Some(&sync)).expect("write");
        assert_eq!(slot.read_sync(), Some(sync));
        assert_eq!(slot.sync_path().parent(), slot.path().parent());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(slot.sync_path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A file that cannot be read is no sync state; removing it is idempotent.
        std::fs::write(slot.sync_path(), b"{").expect("write");
        assert_eq!(slot.read_sync(), None);
        slot.write_sync(None).expect("remove");
        slot.write_sync(None).expect("again");
        assert!(!slot.sync_path().exists());
    }

    #[test]
    fn hostile_keys_stay_inside_the_directory() {
        let dir = Path::new("/tmp/cache");
        let slot = CacheSlot::new(dir, &["../../etc", "x/y", "..passwd"]);
        assert_eq!(slot.path().parent(), Some(dir));
        let name = slot.path().file_name().expect("name").to_string_lossy();
        assert!(!name.contains('/'), "{name}");
        assert!(name.starts_with("tenant~"), "{name}");
    }

    #[test]
    fn corrupt_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let slot = CacheSlot::new(dir.path(), &["public", "t"]);
        std::fs::write(slot.path(), b"{\"format\":\"credwise-snapshot\",").expect("write");
        let e = slot.read().expect_err("corrupt");
        assert!(
            e.to_string().contains(&slot.path().display().to_string()),
            "{e}"
        );
    }
}
