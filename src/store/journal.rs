//! Migration journals: one append-only JSON-lines file per migration in
//! `paths::data_dir()/journals/`, fsynced after every record, so a run that dies at any
//! instant can be resumed or rolled back from what is on disk. A journal holds ids, the plan
//! (`Change`s and `Check`s: metadata and public certificates only), step states, the source,
//! timestamps and the signed-in principal — never a secret, token or private key: every record
//! is checked for secret material before it is written.
//!
//! Beside each journal: its Markdown record (`<id>.md`) once the migration ends, and in
//! `journals/locks/` one lock file per target identity, so a second credwise cannot work on
//! the same identity at the same time. A lock whose process is gone is stale and taken over.
//! Journals, records and locks are 0600 in 0700 folders (`store::files`).
//!
//! May import `domain`, serde and the filesystem.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use super::files::{self, Access};
use crate::domain::Timestamp;
use crate::domain::change::Change;
pub use crate::domain::migration::progress::{Phase, StepProgress, StepState};
use crate::domain::migration::retirement::{GateDecision, GateOptions};
use crate::domain::migration::{MigrationKind, Plan};

/// The journal format's version, in the first record.
pub const VERSION: u32 = 1;

/// What kind of tenant a migration ran on. On disk as `demo`, `snapshot` or `live`, the words
/// journals have always held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// The embedded demo tenant: changes live in memory only.
    Demo,
    /// A snapshot file.
    Snapshot,
    /// A live tenant.
    Live,
}

impl SourceKind {
    /// The word on disk and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Snapshot => "snapshot",
            Self::Live => "live",
        }
    }
}

/// Where a migration's tenant came from, so `resume` and `rollback` can reopen it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRecord {
    pub kind: SourceKind,
    /// The backend's own description (`snapshot contoso.json`).
    pub description: String,
    /// The snapshot file, absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
}

impl SourceRecord {
    /// A live tenant (not the demo or a snapshot file).
    pub fn is_live(&self) -> bool {
        self.kind == SourceKind::Live
    }

    /// The embedded demo tenant (changes live in memory only).
    pub fn demo(description: impl Into<String>) -> Self {
        Self {
            kind: SourceKind::Demo,
            description: description.into(),
            path: None,
            tenant: None,
            cloud: None,
        }
    }

    /// A snapshot file; the path is made absolute so `resume` finds it from anywhere.
    pub fn snapshot(path: &Path, description: impl Into<String>) -> Self {
        Self {
            kind: SourceKind::Snapshot,
            description: description.into(),
            path: Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())),
            tenant: None,
            cloud: None,
        }
    }

    /// The live tenant.
    pub fn live(description: impl Into<String>, tenant: Option<String>, cloud: &str) -> Self {
        Self {
            kind: SourceKind::Live,
            description: description.into(),
            path: None,
            tenant,
            cloud: Some(cloud.to_string()),
        }
    }
}

/// How a migration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Done,
    RolledBack,
    Abandoned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::RolledBack => "rolled back",
            Self::Abandoned => "abandoned",
        }
    }
}

/// The ids Azure chose for an identity a step created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedIds {
    pub principal_id: String,
    pub client_id: String,
}

/// One line of a journal.
// A record lives only while it is written or read, one at a time: its size does not matter,
// and flat fields keep the journal's JSON lines plain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Record {
    #[serde(rename_all = "camelCase")]
    Opened {
        version: u32,
        journal_id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: Timestamp,
        migration: MigrationKind,
        source: SourceRecord,
        /// Who the changes go out as; `None` when the backend cannot tell.
        #[serde(default)]
        principal: Option<String>,
        plan: Box<Plan>,
        /// The retirement gate's options the run was started with (`--idle-days`,
        /// `--without-usage-evidence`); `None` in a journal from before they were kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gate: Option<GateOptions>,
    },
    #[serde(rename_all = "camelCase")]
    Step {
        index: usize,
        state: StepState,
        #[serde(with = "time::serde::rfc3339")]
        at: Timestamp,
        /// The step's action took effect through this migration (an `applied` record, or a
        /// resumed step found in place after an earlier start).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        applied: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        undo: Option<Change>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created: Option<CreatedIds>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phase: Option<Phase>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// A look-alike failed the step: what the step made, in words…
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected: Option<String>,
        /// …and what the tenant holds under the same name or id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        found: Option<String>,
        /// The retirement gate's decision on a removal: what the usage evidence showed and
        /// what it did not (a `waiting` step; an `applied` one that went with the evidence or
        /// on `--without-usage-evidence`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gate: Option<GateDecision>,
    },
    RollbackStarted {
        #[serde(with = "time::serde::rfc3339")]
        at: Timestamp,
    },
    Closed {
        outcome: Outcome,
        #[serde(with = "time::serde::rfc3339")]
        at: Timestamp,
    },
}

impl Record {
    /// A step record with only the state set.
    pub fn step(index: usize, state: StepState, at: Timestamp) -> Self {
        Record::Step {
            index,
            state,
            at,
            applied: false,
            undo: None,
            created: None,
            phase: None,
            error: None,
            note: None,
            expected: None,
            found: None,
            gate: None,
        }
    }
}

/// A journal read back: the plan (with the ids Azure chose bound in), each step's progress,
/// and how it ended, if it did.
#[derive(Debug, Clone)]
pub struct JournalState {
    pub id: String,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub migration: MigrationKind,
    pub source: SourceRecord,
    pub principal: Option<String>,
    pub plan: Plan,
    /// The gate options the run was started with, when the journal kept them.
    pub gate: Option<GateOptions>,
    pub steps: Vec<StepProgress>,
    pub rolling_back: bool,
    pub closed: Option<(Outcome, Timestamp)>,
    pub records: Vec<Record>,
    /// The last line was torn (a crash mid-write) and was ignored.
    pub truncated_tail: bool,
}

impl JournalState {
    fn from_records(
        records: Vec<Record>,
        truncated_tail: bool,
        path: &Path,
    ) -> Result<Self, JournalError> {
        let corrupt = |m: &str| JournalError::Corrupt {
            path: path.to_path_buf(),
            message: m.to_string(),
        };
        let Some(Record::Opened {
            version,
            journal_id,
            at,
            migration,
            source,
            principal,
            plan,
            gate,
        }) = records.first().cloned()
        else {
            return Err(corrupt("the first record is not `opened`"));
        };
        if version > VERSION {
            return Err(corrupt(&format!(
                "journal version {version} is newer than this credwise understands ({VERSION})"
            )));
        }
        let mut plan = *plan;
        // A journal from before content checks verifies by id: upgrade it from the actions,
        // so resuming or rolling it back compares content too.
        plan.upgrade_checks();
        let mut state = Self {
            steps: vec![StepProgress::default(); plan.steps.len()],
            id: journal_id,
            opened_at: at,
            updated_at: at,
            migration,
            source,
            principal,
            plan,
            gate,
            rolling_back: false,
            closed: None,
            records: Vec::with_capacity(records.len()),
            truncated_tail,
        };
        let mut records = records.into_iter();
        if let Some(opened) = records.next() {
            state.records.push(opened);
        }
        for r in records {
            state.apply(r).map_err(|m| corrupt(&m))?;
        }
        Ok(state)
    }

    /// Adds one record after `opened` to what the journal says: the step's progress, the ids
    /// Azure chose (bound into the plan), a rollback begun, the migration closed. A run keeps
    /// its journal's state this way, in memory, as it appends: the file is read once, when
    /// the run opens it. `Err` names what does not fit (a second `opened`, a step past the
    /// plan).
    pub fn apply(&mut self, record: Record) -> Result<(), String> {
        match &record {
            Record::Opened { .. } => return Err("a second `opened` record".into()),
            Record::Step {
                index,
                state,
                at,
                applied,
                undo,
                created,
                phase,
                error,
                expected,
                found,
                note,
                gate,
            } => {
                let Some(p) = self.steps.get_mut(*index) else {
                    return Err(format!("a record for step {index}, past the plan"));
                };
                p.state = Some(*state);
                p.at = Some(*at);
                p.applied |= *applied;
                p.verified |= *state == StepState::Verified;
                p.already_in_place |= *state == StepState::AlreadyInPlace;
                if undo.is_some() {
                    p.undo = undo.clone();
                }
                p.phase = *phase;
                p.error = error.clone();
                p.expected = expected.clone();
                p.found = found.clone();
                p.note = note.clone();
                // The decision stays with the step until another replaces it.
                if gate.is_some() {
                    p.gate = gate.clone();
                }
                if let Some(c) = created {
                    self.plan.rebind(&c.principal_id, &c.client_id);
                }
                self.updated_at = *at;
            }
            Record::RollbackStarted { at } => {
                // A finished migration can still be rolled back: that reopens it.
                self.rolling_back = true;
                self.closed = None;
                self.updated_at = *at;
            }
            Record::Closed { outcome, at } => {
                self.closed = Some((*outcome, *at));
                self.updated_at = *at;
            }
        }
        self.records.push(record);
        Ok(())
    }

    /// The state of a journal that holds only its `opened` record (a run that just created
    /// it knows what it wrote and reads nothing back).
    pub fn from_opened(opened: Record, path: &Path) -> Result<Self, JournalError> {
        Self::from_records(vec![opened], false, path)
    }

    /// The first step not yet complete on the way forward.
    pub fn next_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.is_complete())
    }

    /// The removal step the retirement gate holds back (journaled `waiting`), if any.
    pub fn waiting(&self) -> Option<usize> {
        self.steps.iter().position(StepProgress::is_waiting)
    }

    /// `open`, `waiting on evidence`, `rolling back`, or how it ended.
    pub fn status(&self) -> &'static str {
        match (self.closed, self.rolling_back) {
            (Some((o, _)), _) => o.as_str(),
            (None, true) => "rolling back",
            (None, false) if self.waiting().is_some() => "waiting on evidence",
            (None, false) => "open",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("no data directory for journals: set CREDWISE_DATA_DIR")]
    NoDataDir,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a credwise journal: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("no migration journal {0:?} (see `credwise migrate status`)")]
    NotFound(String),
    #[error("refusing to journal secret material ({0}); this is a bug in credwise")]
    SecretMaterial(&'static str),
    #[error(
        "another credwise is migrating {identity} ({holder}); wait for it, or remove {} if that process is gone",
        lock.display()
    )]
    Locked {
        identity: String,
        holder: String,
        lock: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The markers of secret material that must never reach a journal or a record.
pub fn secret_marker(text: &str) -> Option<&'static str> {
    if text.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if text.contains("secretText") {
        return Some("a secretText");
    }
    if looks_like_jwt(text) {
        return Some("a token");
    }
    None
}

/// Three base64url segments starting with `eyJ` (`{"` encoded): a JWT.
fn looks_like_jwt(text: &str) -> bool {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").any(|(i, _)| {
        let rest = &text[i..];
        let token: String = rest
            .chars()
            .take_while(|&c| url_safe(c) || c == '.')
            .collect();
        let parts: Vec<&str> = token.split('.').collect();
        parts.len() >= 3 && parts[..3].iter().all(|p| p.len() >= 8)
    })
}

/// The journals directory.
#[derive(Debug, Clone)]
pub struct JournalStore {
    dir: PathBuf,
    /// Journal files read through this store (and its clones): a run keeps its journal's
    /// state in memory, so this stays small whatever the plan's length (tests count it).
    reads: Arc<AtomicUsize>,
}

impl JournalStore {
    /// `paths::data_dir()/journals`.
    pub fn open_default() -> Result<Self, JournalError> {
        let base = super::paths::data_dir().ok_or(JournalError::NoDataDir)?;
        Ok(Self::at(base.join("journals")))
    }

    /// A store in `dir` (tests).
    pub fn at(dir: PathBuf) -> Self {
        Self {
            dir,
            reads: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many journal files this store has read so far.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `journals/` is credwise's own: 0700, tightened if an older credwise left it open.
    fn ensure_dir(&self) -> Result<(), JournalError> {
        files::own_private_dir(&self.dir).map_err(io(&self.dir))
    }

    pub fn journal_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    pub fn record_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.md"))
    }

    /// A new journal id: `20261122-120000-secret-to-fic-1a2b3c4d`.
    pub fn new_id(kind: MigrationKind, at: Timestamp) -> String {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}-{}-{}",
            at.year(),
            at.month() as u8,
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            kind.as_str(),
            &suffix[..8]
        )
    }

    /// Creates a journal whose first record is `opened` (which names its id).
    pub fn create(&self, opened: &Record) -> Result<JournalWriter, JournalError> {
        let Record::Opened { journal_id, .. } = opened else {
            return Err(JournalError::Corrupt {
                path: self.dir.clone(),
                message: "a journal starts with an `opened` record".into(),
            });
        };
        if !valid_id(journal_id) {
            return Err(JournalError::NotFound(journal_id.clone()));
        }
        self.ensure_dir()?;
        let path = self.journal_path(journal_id);
        let file = files::open_private_append(&path, true).map_err(io(&path))?;
        files::sync_dir(&self.dir);
        let mut w = JournalWriter { file, path };
        w.append(opened)?;
        Ok(w)
    }

    /// Reads a journal. A torn last line (a crash mid-write) is ignored; any other bad line
    /// is an error that names it.
    pub fn read(&self, id: &str) -> Result<JournalState, JournalError> {
        if !valid_id(id) {
            return Err(JournalError::NotFound(id.to_string()));
        }
        let path = self.journal_path(id);
        self.reads.fetch_add(1, Ordering::Relaxed);
        let mut text = String::new();
        match File::open(&path) {
            Ok(mut f) => f.read_to_string(&mut text).map_err(io(&path))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(JournalError::NotFound(id.to_string()));
            }
            Err(e) => return Err(io(&path)(e)),
        };
        parse(&text, &path)
    }

    /// Opens a journal to append to it, after cutting a torn last line.
    pub fn open(&self, id: &str) -> Result<(JournalWriter, JournalState), JournalError> {
        let state = self.read(id)?;
        let path = self.journal_path(id);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        // A journal an older credwise wrote 0644 becomes its owner's only.
        files::make_private(&path).map_err(io(&path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io(&path))?;
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            let keep = bytes
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            file.set_len(keep as u64).map_err(io(&path))?;
            file.sync_data().map_err(io(&path))?;
        }
        file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        Ok((JournalWriter { file, path }, state))
    }

    /// Every journal, oldest first. Unreadable ones are skipped (and listed in the second
    /// value) so one bad file does not hide the rest.
    pub fn list(&self) -> Result<(Vec<JournalState>, Vec<JournalError>), JournalError> {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((out, bad)),
            Err(e) => return Err(io(&self.dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".jsonl") {
                match self.read(id) {
                    Ok(s) => out.push(s),
                    Err(e) => bad.push(e),
                }
            }
        }
        out.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
        Ok((out, bad))
    }

    /// The most recently started journal that has not ended.
    pub fn latest_open(&self) -> Result<Option<JournalState>, JournalError> {
        Ok(self
            .list()?
            .0
            .into_iter()
            .rev()
            .find(|s| s.closed.is_none()))
    }

    /// Writes the Markdown record beside the journal (atomically), without any control or
    /// bidi character a terminal would act on (`sanitize::text`).
    pub fn write_record(&self, id: &str, markdown: &str) -> Result<PathBuf, JournalError> {
        if let Some(what) = secret_marker(markdown) {
            return Err(JournalError::SecretMaterial(what));
        }
        let markdown = crate::sanitize::text(markdown);
        self.ensure_dir()?;
        let path = self.record_path(id);
        files::write_atomically(&path, markdown.as_bytes(), Access::Private).map_err(io(&path))?;
        Ok(path)
    }

    pub fn read_record(&self, id: &str) -> Result<String, JournalError> {
        let path = self.record_path(id);
        std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                JournalError::NotFound(format!("{id} (record)"))
            } else {
                io(&path)(e)
            }
        })
    }

    /// Takes the lock for `identity` (an object id), or says who holds it. A lock left by a
    /// process that is gone is stale and taken over.
    pub fn lock(&self, identity: &str, journal_id: &str) -> Result<LockGuard, JournalError> {
        self.ensure_dir()?;
        let dir = self.dir.join("locks");
        files::own_private_dir(&dir).map_err(io(&dir))?;
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
}

/// Journal ids are file names: letters, digits and '-' only (no path tricks).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn parse(text: &str, path: &Path) -> Result<JournalState, JournalError> {
    let mut records = Vec::new();
    let mut truncated_tail = false;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (n, line) in lines.iter().enumerate() {
        let last = n + 1 == lines.len();
        let complete = line.ends_with('\n');
        let body = line.trim_end_matches(['\n', '\r']);
        if body.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(body) {
            Ok(r) if complete || !last => records.push(r),
            // A last line without its newline was cut by a crash mid-write, even when it
            // happens to parse: the record was never acknowledged.
            Ok(_) => truncated_tail = true,
            Err(_) if last => truncated_tail = true,
            Err(e) => {
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    message: format!("line {}: {e}", n + 1),
                });
            }
        }
    }
    JournalState::from_records(records, truncated_tail, path)
}

/// Appends records to one journal, each fsynced before `append` returns.
#[derive(Debug)]
pub struct JournalWriter {
    file: File,
    path: PathBuf,
}

impl JournalWriter {
    pub fn append(&mut self, record: &Record) -> Result<(), JournalError> {
        let line = serde_json::to_string(record).map_err(|e| JournalError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        if let Some(what) = secret_marker(&line) {
            return Err(JournalError::SecretMaterial(what));
        }
        // A journal is read with `cat` and `tail -f` too: tenant strings go in escaped, and
        // read back unchanged.
        let mut line = crate::sanitize::json(&line).into_owned();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(io(&self.path))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_markers_are_found() {
        assert!(secret_marker("-----BEGIN PRIVATE KEY-----").is_some());
        assert!(secret_marker("{\"secretText\":\"x\"}").is_some());
        assert!(
            secret_marker(
                "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln"
            )
            .is_some()
        );
        assert!(secret_marker("a plain plan with eyJ in it").is_none());
        assert!(secret_marker("MIIC8DCCAdigAwIBAgIQ").is_none());
    }

    /// Journals written while the kind was a free string read back the same, and are written
    /// back byte for byte; a kind no credwise wrote is an error, not a guess.
    #[test]
    fn source_kinds_keep_their_words_on_disk() {
        let written_before = [
            (r#"{"kind":"demo","description":"demo"}"#, SourceKind::Demo),
            (
                r#"{"kind":"snapshot","description":"snapshot t.json","path":"/tmp/t.json"}"#,
                SourceKind::Snapshot,
            ),
            (
                r#"{"kind":"live","description":"live","tenant":"contoso","cloud":"public"}"#,
                SourceKind::Live,
            ),
        ];
        for (line, kind) in written_before {
            let source: SourceRecord = serde_json::from_str(line).unwrap();
            assert_eq!(source.kind, kind, "{line}");
            assert_eq!(serde_json::to_string(&source).unwrap(), line);
        }
        assert!(
            serde_json::from_str::<SourceRecord>(r#"{"kind":"cloud","description":"x"}"#).is_err()
        );
        assert_eq!(SourceRecord::demo("demo").kind.as_str(), "demo");
    }

    #[test]
    fn ids_are_file_names() {
        assert!(valid_id("20261122-120000-secret-to-fic-1a2b3c4d"));
        assert!(!valid_id("../etc/passwd"));
        assert!(!valid_id(""));
    }
}
