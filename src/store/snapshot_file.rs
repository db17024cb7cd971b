//! The snapshot file: versioned JSON, `{"format": "credwise-snapshot", "version": 2, …}`
//! followed by the `TenantSnapshot` fields (documented in README.md). Version 2 added
//! `usage` (sign-in evidence); version 1 files load, with usage "not loaded".
//!
//! Loading parses the file once, streaming (a 150,000-identity tenant is 200 MB of JSON: holding
//! its bytes beside the parsed snapshot would double the peak), then checks the envelope.
//! Texts the tenant repeats are shared as they are read (`SharedStr`). When the body does
//! not parse, the envelope alone is read to tell a file from a newer credwise
//! ("upgrade") from a damaged one; every error names the file and, for JSON errors, the line
//! and column. A UTF-8 byte order mark is skipped, as the az import does. Saving writes a
//! temporary file in the same directory and renames it over the target (`store::files`), so a
//! crash never leaves half a snapshot behind.

use crate::domain::shared_str::Sharing;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{self, Access};
use crate::domain::TenantSnapshot;

/// The `format` value every snapshot file carries.
pub const FORMAT: &str = "credwise-snapshot";
/// The newest snapshot version this build reads and the one it writes. 2: `usage`.
pub const VERSION: u32 = 2;

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
    /// Two objects with one id: a change by id could reach the wrong one.
    #[error("{path}: {duplicate}; a snapshot holds each object once (remove or fix one of them)")]
    DuplicateId {
        path: PathBuf,
        duplicate: Box<crate::domain::snapshot::DuplicateId>,
    },
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

/// The file as read: the envelope beside the snapshot's own fields (serde's `flatten` would
/// buffer the whole document, so the fields are listed here).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileIn {
    format: String,
    version: u32,
    tenant_id: String,
    #[serde(default)]
    tenant_display_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    captured_at: crate::domain::Timestamp,
    #[serde(default)]
    source: crate::domain::SnapshotSource,
    #[serde(default)]
    cloud: crate::domain::Cloud,
    #[serde(default)]
    applications: Vec<crate::domain::Application>,
    #[serde(default)]
    service_principals: Vec<crate::domain::ServicePrincipal>,
    #[serde(default)]
    user_assigned_identities: Vec<crate::domain::UserAssignedIdentity>,
    #[serde(default)]
    resources: Vec<crate::domain::AzureResource>,
    #[serde(default)]
    role_assignments: Vec<crate::domain::RoleAssignment>,
    /// Version 2; absent from version 1 files.
    #[serde(default)]
    usage: crate::domain::usage::UsageData,
}

impl FileIn {
    fn into_snapshot(self, path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
        check_envelope(&self.format, self.version, path)?;
        let mut snapshot = TenantSnapshot {
            tenant_id: self.tenant_id,
            tenant_display_name: self.tenant_display_name,
            captured_at: self.captured_at,
            source: self.source,
            cloud: self.cloud,
            applications: self.applications,
            service_principals: self.service_principals,
            user_assigned_identities: self.user_assigned_identities,
            resources: self.resources,
            role_assignments: self.role_assignments,
            usage: self.usage,
        };
        snapshot.compact();
        // A migration changes objects by id: with two objects of one id it could change the
        // other one and still verify (it finds what it wrote), so such a file is refused.
        match snapshot.duplicate_id() {
            Some(duplicate) => Err(SnapshotFileError::DuplicateId {
                path: path.to_path_buf(),
                duplicate: Box::new(duplicate),
            }),
            None => Ok(snapshot),
        }
    }
}

fn check_envelope(format: &str, version: u32, path: &Path) -> Result<(), SnapshotFileError> {
    if format != FORMAT {
        return Err(SnapshotFileError::WrongFormat {
            path: path.to_path_buf(),
            found: format.to_string(),
        });
    }
    if version > VERSION {
        return Err(SnapshotFileError::TooNew {
            path: path.to_path_buf(),
            found: version,
        });
    }
    Ok(())
}

/// Explains a body that did not parse: a newer or foreign envelope says so; otherwise the
/// parse error stands.
fn explain(
    envelope: Result<Envelope, serde_json::Error>,
    e: &serde_json::Error,
    path: &Path,
) -> SnapshotFileError {
    match envelope {
        Ok(env) => match check_envelope(&env.format, env.version, path) {
            Err(better) => better,
            Ok(()) => malformed(path, e),
        },
        Err(_) => malformed(path, e),
    }
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

/// The UTF-8 byte order mark some editors and PowerShell's `Out-File` put first; JSON does not
/// allow it, but the file is fine without it (the az import skips it too).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses snapshot bytes; `path` only names the source in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    match Sharing::while_reading(|| serde_json::from_slice::<FileIn>(bytes)) {
        Ok(file) => file.into_snapshot(path),
        Err(e) => Err(explain(serde_json::from_slice(bytes), &e, path)),
    }
}

/// Reads and parses a snapshot file, streaming.
pub fn load(path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
    let read_error = |source| SnapshotFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let reader = without_bom(file).map_err(read_error)?;
    match Sharing::while_reading(|| serde_json::from_reader::<_, FileIn>(reader)) {
        Ok(file) => file.into_snapshot(path),
        Err(e) if e.is_io() => Err(read_error(std::io::Error::other(e.to_string()))),
        Err(e) => {
            let envelope = std::fs::File::open(path)
                .and_then(without_bom)
                .map_err(serde_json::Error::io)
                .and_then(serde_json::from_reader);
            Err(explain(envelope, &e, path))
        }
    }
}

/// A buffered reader of `file` past its byte order mark, if it has one.
fn without_bom(file: std::fs::File) -> std::io::Result<BufReader<std::fs::File>> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    if reader.fill_buf()?.starts_with(BOM) {
        reader.consume(BOM.len());
    }
    Ok(reader)
}

/// The file's bytes: pretty JSON with the envelope first, ending in a newline.
pub fn to_bytes(snapshot: &TenantSnapshot) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing plain data with string keys to a Vec cannot fail.
    let _ = write(snapshot, &mut bytes);
    bytes
}

/// Writes the file's bytes (`to_bytes`) to `out` as they are made: a 150,000-identity snapshot
/// is 200 MB of JSON, which is not held whole beside the snapshot (issue #13's memory budget).
/// `cat tenant.json` must not run a tenant's escape sequences: the characters serde leaves raw
/// are written as `\uXXXX` (`sanitize::JsonFormatter`), which reads back as the same string.
pub fn write(snapshot: &TenantSnapshot, mut out: impl std::io::Write) -> std::io::Result<()> {
    let envelope = EnvelopeOut {
        format: FORMAT,
        version: VERSION,
        snapshot,
    };
    crate::sanitize::write_json(&mut out, &envelope).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes `snapshot` to `path` atomically (an exclusive temporary file beside it, then a
/// rename), keeping the mode of the file it replaces; a new file is 0600 (`store::files`).
pub fn save(snapshot: &TenantSnapshot, path: &Path) -> Result<(), SnapshotFileError> {
    files::write_atomically_with(path, Access::KeepMode, |out| write(snapshot, out)).map_err(
        |source| SnapshotFileError::Write {
            path: path.to_path_buf(),
            source,
        },
    )
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
    fn version_1_files_load_with_usage_not_loaded() {
        let v1 = br#"{"format":"credwise-snapshot","version":1,"tenantId":"t",
            "capturedAt":"2026-01-01T00:00:00Z","applications":[{"id":"o","appId":"a",
            "displayName":"x","passwordCredentials":[{"keyId":"k"}]}]}"#;
        let s = parse(v1, p()).unwrap();
        assert!(s.usage.is_empty());
        let ix = crate::domain::usage::UsageIndex::new(&s.usage);
        let e = ix.credential(crate::domain::CredentialRef::Secret(
            &s.applications[0].password_credentials[0],
        ));
        assert_eq!(
            e,
            crate::domain::usage::Evidence::Unknown(crate::domain::usage::Unknown::NotLoaded)
        );
        // Written back, it is a version 2 file; with no usage data the field is left out.
        let out = String::from_utf8(to_bytes(&s)).unwrap();
        assert!(out.contains("\"version\": 2"), "{out}");
        assert!(!out.contains("\"usage\""), "{out}");
    }

    #[test]
    fn usage_round_trips_through_a_version_2_file() {
        use crate::domain::usage::{SourceStatus, UsageData, UsageSource};
        let at = time::macros::datetime!(2026-01-01 00:00 UTC);
        let mut s = TenantSnapshot::empty("t", at);
        s.usage = UsageData {
            collected_at: Some(at),
            sources: vec![SourceStatus::read(UsageSource::SignInLog, Some(at), 2)],
            credentials: vec![],
            identities: vec![],
        };
        let back = parse(&to_bytes(&s), p()).unwrap();
        assert_eq!(back.usage, s.usage);
    }

    #[test]
    fn missing_field_names_the_field() {
        let e = parse(br#"{"format":"credwise-snapshot","version":1}"#, p()).unwrap_err();
        assert!(e.to_string().contains("tenantId"), "{e}");
    }
}
