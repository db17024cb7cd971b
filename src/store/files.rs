//! How credwise writes files: atomically, exclusively, and readable only by their owner.
//!
//! - `write_atomically` writes a temporary file beside the target and renames it over the
//!   target, so a reader sees the old file or the new one, never a torn one. The temporary
//!   file is created exclusively (`O_EXCL`) under an unpredictable name
//!   (`.<name>.<128 random bits>.credwise-tmp`), so no one can plant a file or a symlink where
//!   credwise is about to write, with its final mode from the first byte.
//! - A write that is interrupted (a kill, a crash, a full disk) leaves its temporary file
//!   behind; the first write into a directory in a process removes the ones of credwise's own
//!   naming pattern there that are older than `STALE_AFTER` (a live writer's file is never
//!   that old), and `clean_stale_temp_files` does it on start for the cache and journals.
//! - Modes: `Access::Private` files are 0600 (the cache, journals, records, locks);
//!   `Access::KeepMode` keeps the mode of the file it replaces (a snapshot the user made 0640
//!   stays 0640) and makes a new file 0600, like the cache — a snapshot is an inventory of a
//!   tenant's identities and credentials, not for other users of the machine.
//! - Directories credwise creates are 0700; its own folders (`journals/`, `journals/locks/`)
//!   are tightened to 0700 when it writes into them. A directory the user chose (where a
//!   snapshot goes) is never changed.
//! - `FileLock` is an OS advisory lock (`flock` on Unix, `LockFileEx` on Windows) on a lock
//!   file: held by an open file, so the OS releases it when the process ends, crash included.
//!
//! May import the filesystem and tokio's timer (to wait for a lock); nothing of credwise.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The end of every temporary file name credwise makes.
pub const TEMP_SUFFIX: &str = ".credwise-tmp";

/// A temporary file older than this belongs to a write that ended without renaming it.
pub const STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// Who may read a file credwise writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// 0600.
    Private,
    /// The mode of the file it replaces; 0600 for a new file.
    KeepMode,
}

/// The directory `path` is in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A fresh temporary name beside `file_name`: hidden, unpredictable, ours by its suffix.
fn temp_name(file_name: &str) -> String {
    format!(
        ".{file_name}.{}{TEMP_SUFFIX}",
        uuid::Uuid::new_v4().simple()
    )
}

/// The mode a rewrite of `path` gets.
#[cfg(unix)]
fn mode_for(path: &Path, access: Access) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    match access {
        Access::Private => 0o600,
        Access::KeepMode => std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600),
    }
}

/// Creates `path` exclusively with `mode` (exactly: the umask does not apply).
#[cfg(unix)]
fn create_exclusive(path: &Path, mode: u32) -> std::io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode & 0o777)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(f)
}

#[cfg(not(unix))]
fn mode_for(_path: &Path, _access: Access) -> u32 {
    0
}

#[cfg(not(unix))]
fn create_exclusive(path: &Path, _mode: u32) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Writes `bytes` to a new temporary file beside `path` and renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    write_atomically_with(path, access, |f| f.write_all(bytes))
}

/// As `write_atomically`, with the content written by `write` through a buffer: a large file
/// (a 200 MB snapshot) is never held whole in memory.
pub fn write_atomically_with(
    path: &Path,
    access: Access,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = parent_dir(path);
    clean_once(&dir);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(temp_name(&file_name));
    let result = (|| {
        let mut f = std::io::BufWriter::with_capacity(
            1 << 20,
            create_exclusive(&tmp, mode_for(path, access))?,
        );
        write(&mut f)?;
        let f = f
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether `name` is a temporary file of credwise's: today's pattern, or the one before it
/// (`.<name>.<pid>.tmp` beside a `.json` or `.md` file).
fn is_our_temp_name(name: &str) -> bool {
    if !name.starts_with('.') {
        return false;
    }
    if name.ends_with(TEMP_SUFFIX) {
        return true;
    }
    let Some(stem) = name.strip_suffix(".tmp") else {
        return false;
    };
    match stem.rsplit_once('.') {
        Some((target, pid)) => {
            !pid.is_empty()
                && pid.chars().all(|c| c.is_ascii_digit())
                && (target.ends_with(".json") || target.ends_with(".md"))
        }
        None => false,
    }
}

/// Removes the temporary files of credwise's naming pattern in `dir` that are older than
/// `STALE_AFTER` (regular files only, never a symlink's target); returns how many went.
/// Best effort: a directory that cannot be read is left as it is.
pub fn clean_stale_temp_files(dir: &Path) -> usize {
    clean_older_than(dir, STALE_AFTER)
}

fn clean_older_than(dir: &Path, age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !is_our_temp_name(&name.to_string_lossy()) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|a| a >= age);
        if meta.is_file() && old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// `clean_stale_temp_files`, once per directory per process (the first write into it).
fn clean_once(dir: &Path) {
    static CLEANED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let key = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let first = CLEANED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(key);
    if first {
        clean_stale_temp_files(dir);
    }
}

/// Creates `dir` (and its missing parents) 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Creates credwise's own folder `dir` 0700, and takes group and other rights away from it
/// when it already exists with them.
pub fn own_private_dir(dir: &Path) -> std::io::Result<()> {
    create_private_dir(dir)?;
    tighten(dir, 0o700)
}

/// Takes group and other rights away from `path` (a journal written by an older credwise).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    tighten(path, 0o600)
}

#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let now = std::fs::metadata(path)?.permissions().mode();
    if now & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Opens a file only its owner may read, for appending: an existing one, or with `create_new`
/// a new one (0600) that must not exist yet. A journal is never re-created by an append.
pub fn open_private_append(path: &Path, create_new: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true);
    if create_new {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes a new directory entry durable; best-effort (not every platform can open a directory).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An exclusive OS advisory lock on a lock file, released when dropped or when the process
/// ends. The lock file stays (removing it would let two processes lock two different files).
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl FileLock {
    /// Takes the lock on `path` (created 0600 when missing), waiting for another holder up
    /// to `wait`; `Ok(None)` when it is still held after that.
    pub async fn acquire(path: &Path, wait: Duration) -> std::io::Result<Option<FileLock>> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path)?;
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(FileLock { file })),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            if started.elapsed() >= wait {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_ours_and_unpredictable() {
        let a = temp_name("tenant.json");
        let b = temp_name("tenant.json");
        assert_ne!(a, b);
        assert!(
            a.starts_with(".tenant.json.") && a.ends_with(TEMP_SUFFIX),
            "{a}"
        );
        assert!(is_our_temp_name(&a));
        assert!(
            is_our_temp_name(".tenant.json.12345.tmp"),
            "the old pattern"
        );
        assert!(is_our_temp_name(".id.md.7.tmp"));
        for other in [
            "tenant.json",
            ".tenant.json",
            ".notes.txt.12.tmp",
            ".x.json.12a.tmp",
            "a.credwise-tmp",
            ".bashrc",
        ] {
            assert!(!is_our_temp_name(other), "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_rewrite_keeps_the_mode_and_a_new_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let path = dir.path().join("t.json");
        write_atomically(&path, b"1", Access::KeepMode).unwrap();
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"2", Access::KeepMode).unwrap();
        assert_eq!(mode(&path), 0o640);
        write_atomically(&path, b"3", Access::Private).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"3");
        // Nothing left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_old_temporary_files_of_ours_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(temp_name("t.json"));
        let fresh = dir.path().join(temp_name("t.json"));
        let mine = dir.path().join(".t.json.tmp-notes");
        for p in [&old, &fresh, &mine] {
            std::fs::write(p, b"x").unwrap();
        }
        let long_ago = SystemTime::now() - Duration::from_secs(3600);
        for p in [&old, &mine] {
            File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        assert_eq!(clean_stale_temp_files(dir.path()), 1);
        assert!(!old.exists() && fresh.exists() && mine.exists());
    }
}
