//! The snapshot file: versioned JSON, `{"format": "credwise-snapshot", "version": 2, …}`
//! followed by the `TenantSnapshot` fields (documented in README.md). Version 2 added
//! `usage` (sign-in evidence); version 1 files load, with usage "not loaded".
//!
//! Loading reads the file in blocks and parses it as it reads, its lists in batches on
//! several threads (`store::json_split` cuts them; a 150,000-identity tenant, 200 MB of JSON,
//! loads in about 0.4 s on two cores, against 2 s parsed whole from a reader), never holding
//! more than a few batches as bytes (holding the file's bytes beside the parsed snapshot
//! would double the peak); then it checks the envelope. Texts the tenant repeats are shared
//! as they are read (`SharedStr`). A file that does not parse in batches is parsed again
//! whole, streaming, which gives the error: when the body does not parse, the envelope alone
//! is read to tell a file from a newer credwise ("upgrade") from a damaged one; every error
//! names the file and, for JSON errors, the line and column. A UTF-8 byte order mark is
//! skipped, as the az import does. Saving writes a temporary file in the same directory and
//! renames it over the target (`store::files`), so a crash never leaves half a snapshot
//! behind.

use crate::domain::shared_str::Sharing;
use crate::domain::snapshot::Compact;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{self, Access};
use super::json_split;
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
    fn into_snapshot(
        self,
        path: &Path,
        compacted: Compacted,
    ) -> Result<TenantSnapshot, SnapshotFileError> {
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
        if compacted == Compacted::Not {
            snapshot.compact();
        }
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

/// Whether the lists of a file as read are compacted already (`in_batches` does it on its
/// threads, batch by batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compacted {
    Already,
    Not,
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
        Ok(file) => file.into_snapshot(path, Compacted::Not),
        Err(e) => Err(explain(serde_json::from_slice(bytes), &e, path)),
    }
}

/// Reads and parses a snapshot file: in batches on several threads as it is read
/// (`in_batches`); a file that does not parse that way is parsed again whole, streaming, for
/// the exact error (or, should the two ever disagree, for the result).
pub fn load(path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
    match in_batches(path, BATCH_BYTES) {
        Some(file) => file.into_snapshot(path, Compacted::Already),
        None => load_streaming(path),
    }
}

/// The lists of a snapshot file that hold nearly all of its bytes, in `Parsed`'s order.
const LISTS: &[&str] = &[
    "applications",
    "servicePrincipals",
    "userAssignedIdentities",
    "resources",
    "roleAssignments",
];

/// About how many bytes of JSON a batch holds: enough that a thread spends its time
/// parsing, not waiting; few enough that the batches in flight stay a few megabytes.
const BATCH_BYTES: usize = 1 << 20;

/// One batch of one of the `LISTS`, parsed.
enum Parsed {
    Applications(Vec<crate::domain::Application>),
    ServicePrincipals(Vec<crate::domain::ServicePrincipal>),
    UserAssignedIdentities(Vec<crate::domain::UserAssignedIdentity>),
    Resources(Vec<crate::domain::AzureResource>),
    RoleAssignments(Vec<crate::domain::RoleAssignment>),
}

impl Parsed {
    fn compact(&mut self, t: &mut Sharing) {
        match self {
            Self::Applications(l) => l.compact(t),
            Self::ServicePrincipals(l) => l.compact(t),
            Self::UserAssignedIdentities(l) => l.compact(t),
            Self::Resources(l) => l.compact(t),
            Self::RoleAssignments(l) => l.compact(t),
        }
    }

    fn from_batch(batch: &json_split::Batch) -> Option<Self> {
        let b = &batch.bytes[..];
        Some(match batch.list {
            0 => Self::Applications(serde_json::from_slice(b).ok()?),
            1 => Self::ServicePrincipals(serde_json::from_slice(b).ok()?),
            2 => Self::UserAssignedIdentities(serde_json::from_slice(b).ok()?),
            3 => Self::Resources(serde_json::from_slice(b).ok()?),
            _ => Self::RoleAssignments(serde_json::from_slice(b).ok()?),
        })
    }
}

/// The file parsed in batches (`store::json_split`): this thread reads the file and cuts its
/// lists into batches of about `batch_bytes`, which threads parse from memory as they come
/// (serde_json parses a slice about twice as fast as a reader) and compact; this thread puts
/// each parsed batch in its list as soon as the ones before it are in, then parses the rest
/// of the file. At most a few batches are held as bytes or as parsed lists beside the
/// tenant: a parsed batch lives in its thread's memory arena, which reuses it for the next
/// batch once it has been moved out (holding them all until the end cost 50 MB on a
/// 150,000-identity tenant). `None` when the file cannot be read or any piece does not parse:
/// the caller then parses it whole.
fn in_batches(path: &Path, batch_bytes: usize) -> Option<FileIn> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, mpsc};

    let mut reader = std::fs::File::open(path).and_then(without_bom).ok()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let (work, jobs) = mpsc::sync_channel::<(usize, json_split::Batch)>(threads);
    let jobs = Mutex::new(jobs);
    let (done, results) = mpsc::channel::<(usize, Option<Parsed>)>();
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (jobs, done, failed) = (&jobs, done.clone(), &failed);
            scope.spawn(move || {
                // Each thread shares the texts it reads, and compacts what it parsed (a text
                // two threads read is then held twice: a few hundred bytes).
                let mut sharing = Sharing::default();
                Sharing::while_reading(|| {
                    loop {
                        let job = jobs
                            .lock()
                            .map_err(|_| ())
                            .and_then(|j| j.recv().map_err(|_| ()));
                        let Ok((seq, batch)) = job else { break };
                        let parsed = if failed.load(Ordering::Relaxed) {
                            None
                        } else {
                            Parsed::from_batch(&batch).map(|mut p| {
                                p.compact(&mut sharing);
                                p
                            })
                        };
                        drop(batch);
                        if parsed.is_none() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if done.send((seq, parsed)).is_err() {
                            break;
                        }
                    }
                })
            });
        }
        drop(done);
        let mut lists = Lists::default();
        let mut split = json_split::Split::new(LISTS, batch_bytes);
        let mut batches = 0;
        loop {
            let Ok(block) = reader.fill_buf() else {
                failed.store(true, Ordering::Relaxed);
                break;
            };
            if block.is_empty() || failed.load(Ordering::Relaxed) {
                break;
            }
            split.feed(block, &mut |batch| {
                if work.send((batches, batch)).is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                batches += 1;
            });
            let read = block.len();
            reader.consume(read);
            while let Ok(result) = results.try_recv() {
                lists.take(result);
            }
        }
        drop(work);
        // The rest (the envelope, the tenant's name, usage) parses while the last batches do.
        let head = split.finish().ok().and_then(|rest| {
            Sharing::while_reading(|| serde_json::from_slice::<FileIn>(&rest).ok())
        });
        for result in results {
            lists.take(result);
        }
        let mut head = head?;
        if failed.load(Ordering::Relaxed) || lists.next != batches || !lists.waiting.is_empty() {
            return None;
        }
        head.put_back(lists)?;
        Some(head)
    })
}

/// The lists as their batches come back parsed, in the file's order.
#[derive(Default)]
struct Lists {
    applications: Vec<crate::domain::Application>,
    service_principals: Vec<crate::domain::ServicePrincipal>,
    user_assigned_identities: Vec<crate::domain::UserAssignedIdentity>,
    resources: Vec<crate::domain::AzureResource>,
    role_assignments: Vec<crate::domain::RoleAssignment>,
    /// The batch to put in next.
    next: usize,
    /// Batches parsed before one that comes ahead of them in the file. A batch that did not
    /// parse never comes, so `next` stops short of the count of batches.
    waiting: std::collections::BTreeMap<usize, Parsed>,
}

impl Lists {
    fn take(&mut self, (seq, parsed): (usize, Option<Parsed>)) {
        let Some(parsed) = parsed else { return };
        self.waiting.insert(seq, parsed);
        while let Some(parsed) = self.waiting.remove(&self.next) {
            // Moved in, and the batch's own list freed, as soon as it is its turn: a large
            // list grows by remapping its pages, not by holding two copies.
            match parsed {
                Parsed::Applications(b) => self.applications.extend(b),
                Parsed::ServicePrincipals(b) => self.service_principals.extend(b),
                Parsed::UserAssignedIdentities(b) => self.user_assigned_identities.extend(b),
                Parsed::Resources(b) => self.resources.extend(b),
                Parsed::RoleAssignments(b) => self.role_assignments.extend(b),
            }
            self.next += 1;
        }
    }
}

impl FileIn {
    /// Puts the lists parsed in batches in. The rest read them as `[]`; one that is not empty
    /// there came under a name written differently (an escape), which a whole parse refuses
    /// as a duplicate when the list also came plainly: `None`.
    fn put_back(&mut self, lists: Lists) -> Option<()> {
        fn put<T: Compact>(list: &mut Vec<T>, parsed: Vec<T>) -> Option<()> {
            if parsed.is_empty() {
                // The rest's own (empty, or under an escaped name): compacted here.
                list.compact(&mut Sharing::default());
                return Some(());
            }
            if !list.is_empty() {
                return None;
            }
            *list = parsed;
            // No room left over from growing (issue #13's memory budget).
            list.shrink_to_fit();
            Some(())
        }
        put(&mut self.applications, lists.applications)?;
        put(&mut self.service_principals, lists.service_principals)?;
        put(
            &mut self.user_assigned_identities,
            lists.user_assigned_identities,
        )?;
        put(&mut self.resources, lists.resources)?;
        put(&mut self.role_assignments, lists.role_assignments)
    }
}

/// Reads and parses a snapshot file whole, streaming: the errors name the line and column.
fn load_streaming(path: &Path) -> Result<TenantSnapshot, SnapshotFileError> {
    let read_error = |source| SnapshotFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let reader = without_bom(file).map_err(read_error)?;
    match Sharing::while_reading(|| serde_json::from_reader::<_, FileIn>(reader)) {
        Ok(file) => file.into_snapshot(path, Compacted::Not),
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
    crate::sanitize::write_json(&mut out, &envelope(snapshot)).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes the file as `write` does with no whitespace: the same snapshot in about a fifth
/// fewer bytes, read that much faster. For the tenant cache, which people seldom read.
pub fn write_compact(
    snapshot: &TenantSnapshot,
    mut out: impl std::io::Write,
) -> std::io::Result<()> {
    crate::sanitize::write_compact_json(&mut out, &envelope(snapshot))
        .map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

fn envelope(snapshot: &TenantSnapshot) -> EnvelopeOut<'_> {
    EnvelopeOut {
        format: FORMAT,
        version: VERSION,
        snapshot,
    }
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

    /// The demo tenant with names that look like JSON's structure, escapes and all.
    fn hostile_tenant() -> TenantSnapshot {
        let demo = include_bytes!("../../assets/demo-tenant.json");
        let mut s = parse(demo, Path::new("demo-tenant.json")).unwrap();
        s.applications[0].display_name = r#"x\"],[{"a":1},"#.to_string();
        s.service_principals[1].display_name = "\\\"}]\u{1b}[31m".to_string();
        s.tenant_display_name = Some(r#""applications": [1]"#.to_string());
        s
    }

    fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_file_loads_in_batches_as_it_does_whole_in_any_layout_and_batch_size() {
        let dir = tempfile::tempdir().unwrap();
        let s = hostile_tenant();
        let mut compact = Vec::new();
        write_compact(&s, &mut compact).unwrap();
        assert!(!compact[..compact.len() - 1].contains(&b'\n'));
        let mut bom = BOM.to_vec();
        bom.extend(to_bytes(&s));
        for (name, bytes) in [("pretty", to_bytes(&s)), ("compact", compact), ("bom", bom)] {
            let path = write_file(dir.path(), name, &bytes);
            let whole = load_streaming(&path).unwrap();
            assert_eq!(whole, s, "{name}");
            for batch in [1, 300, BATCH_BYTES] {
                let batched = in_batches(&path, batch).expect("parses in batches");
                assert_eq!(
                    batched.into_snapshot(&path, Compacted::Already).unwrap(),
                    whole,
                    "{name} {batch}"
                );
            }
            assert_eq!(load(&path).unwrap(), whole);
        }
    }

    #[test]
    fn a_broken_element_in_a_list_is_reported_at_its_line_and_column_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let pretty = String::from_utf8(to_bytes(&hostile_tenant())).unwrap();
        // A service principal whose displayName is a number: only a parser of that element
        // sees it; the error must still name the file's line.
        let at = pretty.find("\"servicePrincipals\"").unwrap();
        let name = at + pretty[at..].find("\"displayName\": \"").unwrap();
        let broken = format!(
            "{}\"displayName\": 7,{}",
            &pretty[..name],
            &pretty[name..].split_once(',').unwrap().1
        );
        let line = broken[..name].matches('\n').count() + 1;
        let path = write_file(dir.path(), "broken.json", broken.as_bytes());
        assert!(in_batches(&path, 300).is_none());
        let e = load(&path).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:{line}:", path.display())), "{e}");
        assert!(e.contains("expected a string"), "{e}");
        // A trailing comma the batches alone would have let through.
        let trailing = pretty.replacen(
            "\n  ],\n  \"userAssignedIdentities\"",
            ",\n  ],\n  \"userAssignedIdentities\"",
            1,
        );
        assert_ne!(trailing, pretty);
        let path = write_file(dir.path(), "trailing.json", trailing.as_bytes());
        for batch in [1, 300, BATCH_BYTES] {
            assert!(in_batches(&path, batch).is_none(), "{batch}");
        }
        assert!(
            load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a valid snapshot")
        );
    }

    #[test]
    fn a_list_written_twice_is_refused_as_a_whole_parse_refuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let doc = br#"{"format":"credwise-snapshot","version":2,"tenantId":"t",
            "capturedAt":"2026-01-01T00:00:00Z","roleAssignments":[],
            "\u0072oleAssignments":[{"id":"r","principalId":"p","roleDefinitionId":"d","scope":"/"}]}"#;
        let path = write_file(dir.path(), "twice.json", doc);
        assert!(in_batches(&path, 1).is_none());
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("duplicate field"), "{e}");
    }

    #[test]
    fn missing_field_names_the_field() {
        let e = parse(br#"{"format":"credwise-snapshot","version":1}"#, p()).unwrap_err();
        assert!(e.to_string().contains("tenantId"), "{e}");
    }
}
