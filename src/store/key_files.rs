//! Private key files: created new (never overwriting), readable by their owner only (0600 on
//! Unix, set when the file is created so no other user can open it in between), fsynced.
//! A set of files is checked as a whole before the first is written, so a refusal leaves
//! nothing behind.
//!
//! May import the filesystem.

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{0} already exists; refusing to overwrite a key file (choose another --key-out)")]
    Exists(PathBuf),
    #[error("--key-out {0}: not a directory")]
    NotADirectory(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes each `(file name, bytes)` into `dir` as a new 0600 file; returns their paths.
pub fn write_new(dir: &Path, files: &[(String, &[u8])]) -> Result<Vec<PathBuf>, KeyFileError> {
    if !dir.is_dir() {
        return Err(KeyFileError::NotADirectory(dir.to_path_buf()));
    }
    let paths: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(KeyFileError::Exists(p.clone()));
    }
    for (path, (_, bytes)) in paths.iter().zip(files) {
        let io = |source| KeyFileError::Io {
            path: path.clone(),
            source,
        };
        let mut f = open_private(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists(path.clone())
            } else {
                io(e)
            }
        })?;
        f.write_all(bytes).and_then(|_| f.sync_all()).map_err(io)?;
    }
    Ok(paths)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_private_files_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            ("a.pem".to_string(), &b"x"[..]),
            ("a.pfx".to_string(), &b"y"[..]),
        ];
        let paths = write_new(dir.path(), &files).unwrap();
        #[cfg(unix)]
        for p in &paths {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        let again = vec![
            ("b.pem".to_string(), &b"x"[..]),
            ("a.pfx".to_string(), &b"z"[..]),
        ];
        assert!(matches!(
            write_new(dir.path(), &again),
            Err(KeyFileError::Exists(_))
        ));
        assert!(
            !dir.path().join("b.pem").exists(),
            "nothing written on refusal"
        );
        assert_eq!(std::fs::read(dir.path().join("a.pfx")).unwrap(), b"y");
    }
}
