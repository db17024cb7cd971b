//! The snapshot files used lately, newest first: what `:open` with no file lists and what Tab
//! completes after `:open `, and what the sign-in screen offers. Kept as `recent.json` in the
//! data directory (0600, rewritten atomically): a file that was opened (`--snapshot FILE`,
//! `:open FILE`) or written (`snapshot save`, `snapshot import-az`) goes first, at most
//! `KEPT` are kept, and a file that is gone is left out when the list is read.
//!
//! The list is a convenience: a missing, unreadable or malformed `recent.json` reads as empty
//! and a failed write is ignored (the caller logs it), never an error for the command that
//! used the snapshot. Two processes that remember a file at the same moment each read the
//! list, add theirs and write it whole: the last write wins and the other entry is lost. No
//! lock guards it on purpose: a lost entry costs a user one `:open FILE`, and a lock would
//! make every command that reads a snapshot wait on another's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{Access, write_atomically};
use crate::domain::Timestamp;

/// How many snapshot files are remembered.
pub const KEPT: usize = 10;

/// One snapshot file used lately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentSnapshot {
    /// Absolute, as it was used.
    pub path: PathBuf,
    #[serde(with = "time::serde::rfc3339")]
    pub used_at: Timestamp,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RecentFile {
    #[serde(default)]
    snapshots: Vec<RecentSnapshot>,
}

/// `recent.json` in the data directory, if the platform has one.
pub fn default_path() -> Option<PathBuf> {
    super::paths::data_dir().map(|d| d.join("recent.json"))
}

/// The snapshot files in `list` (a `recent.json`) that still exist, newest first.
pub fn read(list: &Path) -> Vec<RecentSnapshot> {
    let Ok(text) = std::fs::read_to_string(list) else {
        return Vec::new();
    };
    let file: RecentFile = serde_json::from_str(&text).unwrap_or_default();
    let mut out: Vec<RecentSnapshot> = file
        .snapshots
        .into_iter()
        .filter(|s| s.path.is_file())
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.used_at));
    out.truncate(KEPT);
    out
}

/// Puts `snapshot` first in `list` (once, however often it is used), keeping `KEPT`.
pub fn remember(list: &Path, snapshot: &Path, now: Timestamp) -> std::io::Result<()> {
    let path = std::path::absolute(snapshot)?;
    let mut snapshots = read(list);
    snapshots.retain(|s| s.path != path);
    snapshots.insert(0, RecentSnapshot { path, used_at: now });
    snapshots.truncate(KEPT);
    if let Some(dir) = list.parent() {
        super::files::create_private_dir(dir)?;
    }
    let text =
        serde_json::to_string_pretty(&RecentFile { snapshots }).map_err(std::io::Error::other)?;
    write_atomically(list, text.as_bytes(), Access::Private)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn newest_first_once_each_and_gone_files_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("state/recent.json");
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        std::fs::write(&a, "{}").unwrap();
        std::fs::write(&b, "{}").unwrap();
        assert!(read(&list).is_empty(), "no list yet");
        remember(&list, &a, datetime!(2026-12-01 10:00 UTC)).unwrap();
        remember(&list, &b, datetime!(2026-12-02 10:00 UTC)).unwrap();
        remember(&list, &a, datetime!(2026-12-03 10:00 UTC)).unwrap();
        let paths: Vec<PathBuf> = read(&list).into_iter().map(|s| s.path).collect();
        assert_eq!(paths, [a.clone(), b.clone()]);
        std::fs::remove_file(&b).unwrap();
        assert_eq!(read(&list).len(), 1, "a deleted file is not offered");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&list).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn at_most_kept_and_a_malformed_list_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("recent.json");
        for i in 0..KEPT + 3 {
            let f = dir.path().join(format!("{i}.json"));
            std::fs::write(&f, "{}").unwrap();
            let at = datetime!(2026-12-01 00:00 UTC) + time::Duration::minutes(i as i64);
            remember(&list, &f, at).unwrap();
        }
        let kept = read(&list);
        assert_eq!(kept.len(), KEPT);
        assert!(kept[0].path.ends_with(format!("{}.json", KEPT + 2)));
        std::fs::write(&list, "{ not json").unwrap();
        assert!(read(&list).is_empty());
        let f = dir.path().join("0.json");
        remember(&list, &f, datetime!(2026-12-03 00:00 UTC)).unwrap();
        assert_eq!(read(&list).len(), 1, "a malformed list is replaced");
    }
}
