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

mod lock;
mod record;

pub use lock::LockGuard;
pub use record::{CreatedIds, JournalState, Outcome, Record, SourceKind, SourceRecord, VERSION};

use super::files::{self, Access};
use crate::domain::Timestamp;
use crate::domain::migration::MigrationKind;
pub use crate::domain::migration::progress::{Phase, StepProgress, StepState};

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

    /// Takes the lock for `identity` (an object id), or says who holds it (`lock::take`).
    pub fn lock(&self, identity: &str, journal_id: &str) -> Result<LockGuard, JournalError> {
        self.ensure_dir()?;
        lock::take(&self.dir.join("locks"), identity, journal_id)
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

#[cfg(test)]
mod tests;
