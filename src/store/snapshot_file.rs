//! The snapshot file: versioned JSON, `{"format": "credwise-snapshot", "version": 1, …}`
//! followed by the `TenantSnapshot` fields (documented in README.md).
//!
//! Loading checks the envelope before the body, so a file from a newer credwise says so instead
//! of failing on some field; every error names the file and, for JSON errors, the line and
//! column. Saving writes a temporary file in the same directory and renames it over the target,
//! so a crash never leaves half a snapshot behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::TenantSnapshot;

/// The `format` value every snapshot file carries.
pub const FORMAT: &str = "credwise-snapshot";
/// The newest snapshot version this build reads and the one it writes.
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    #[error("{path}: cannot read the snapshot: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not a valid snapshot: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: not a credwise snapshot (format is {found:?}, expected {FORMAT:?})")]
    WrongFormat { path: PathBuf, found: String },
    #[error(
        "{path}: snapshot version {found} is newer than this credwise understands (up to {VERSION}); upgrade credwise"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("{path}: cannot write the snapshot: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
struct Envelope {
    format: String,
    version: u32,
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: &'static str,
    version: u32,
    #[serde(flatten)]
    snapshot: &'a TenantSnapshot,
}

fn malformed(path: &Path, e: &serde_json::Error) -> SnapshotFileError {
    SnapshotFileError::Malformed {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    }
}

/// serde_json appends " at line L column C"; the position is already in our prefix.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Parses snapshot bytes; `path` only names the source in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|e| malformed(path, &e))?;
    if envelope.format != FORMAT {
        return Err(SnapshotFileError::WrongFormat {
            path: path.to_path_buf(),
            found: envelope.format,
        });
    }
    if envelope.version > VERSION {
        return Err(SnapshotFileError::TooNew {
            path: path.to_path_buf(),
            found: envelope.version,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| malformed(path, &e))
}

/// Reads and parses a snapshot file.
pub fn load(path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
    let bytes = std::fs::read(path).map_err(|source| SnapshotFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes, path)
}

/// The file's bytes: pretty JSON with the envelope first, ending in a newline.
pub fn to_bytes(snapshot: &TenantSnapshot) -> Vec<u8> {
    let out = EnvelopeOut {
        format: FORMAT,
        version: VERSION,
        snapshot,
    };
    // Serializing plain data with string keys cannot fail.
    let mut bytes = serde_json::to_vec_pretty(&out).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Writes `snapshot` to `path` atomically (temporary file + rename in the same directory).
pub fn save(snapshot: &TenantSnapshot, path: &Path) -> Result<(), SnapshotFileError> {
    write_atomically(path, &to_bytes(snapshot)).map_err(|source| SnapshotFileError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` next to `path` and renames the result over it, so readers see the old or
/// the new file, never a torn one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.json")
    }

    #[test]
    fn newer_version_is_a_clear_error() {
        let e = parse(br#"{"format":"credwise-snapshot","version":99}"#, p()).unwrap_err();
        assert!(e.to_string().contains("version 99 is newer"), "{e}");
    }

    #[test]
    fn wrong_format_is_named() {
        let e = parse(br#"{"format":"other","version":1}"#, p()).unwrap_err();
        assert!(e.to_string().contains("not a credwise snapshot"), "{e}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let e = parse(b"{\n  \"format\": \"credwise-snapshot\",\n  oops\n}", p()).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("t.json:3:3: not a valid snapshot"), "{s}");
    }

    #[test]
    fn missing_field_names_the_field() {
        let e = parse(br#"{"format":"credwise-snapshot","version":1}"#, p()).unwrap_err();
        assert!(e.to_string().contains("tenantId"), "{e}");
    }
}
