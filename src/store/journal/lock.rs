//! The lock of one target identity (`journals/locks/<object id>.lock`): a second credwise
//! cannot work on an identity while a migration holds it. The file names the process, host
//! and journal that hold it; a lock whose process is gone (on this host) is stale and taken
//! over; the guard removes the lock when dropped, on every exit path.
//!
//! May import the filesystem and the journal's error.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{JournalError, io};
use crate::store::files;

/// Takes the lock for `identity` (an object id) in `dir`, or says who holds it. A lock left
/// by a process that is gone is stale and taken over.
pub(super) fn take(
    dir: &Path,
    identity: &str,
    journal_id: &str,
) -> Result<LockGuard, JournalError> {
    files::own_private_dir(dir).map_err(io(dir))?;
    let key: String = identity
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{key}.lock"));
    let me = LockInfo {
        pid: std::process::id(),
        host: host_name(),
        journal_id: journal_id.to_string(),
    };
    for _ in 0..2 {
        match files::open_private_append(&path, true) {
            Ok(mut f) => {
                let body = serde_json::to_vec(&me).unwrap_or_default();
                f.write_all(&body)
                    .and_then(|_| f.sync_all())
                    .map_err(io(&path))?;
                return Ok(LockGuard { path, pid: me.pid });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok());
                match holder {
                    Some(h) if !h.is_stale() => {
                        return Err(JournalError::Locked {
                            identity: identity.to_string(),
                            holder: format!(
                                "process {} on {}, journal {}",
                                h.pid, h.host, h.journal_id
                            ),
                            lock: path,
                        });
                    }
                    // Stale (its process is gone) or unreadable (torn by a crash while
                    // it was written): take it over.
                    _ => {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
            Err(e) => return Err(io(&path)(e)),
        }
    }
    Err(JournalError::Locked {
        identity: identity.to_string(),
        holder: "another process that took the lock at the same moment".into(),
        lock: path,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockInfo {
    pid: u32,
    host: String,
    journal_id: String,
}

impl LockInfo {
    /// A lock is stale when it was taken on this host by a process that no longer runs.
    fn is_stale(&self) -> bool {
        self.host == host_name() && !process_alive(self.pid)
    }
}

/// Releases the lock when dropped (on every exit path, panics included).
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
    pid: u32,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Remove only our own lock: a stale-lock takeover may have replaced it.
        let ours = std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok())
            .is_some_and(|l| l.pid == self.pid);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Without /proc, a lock is trusted until removed by hand (the error says where it is).
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}
