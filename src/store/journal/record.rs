//! What a journal holds: its records (one JSON line each, as written) and the state they add
//! up to (`JournalState`), with the source a migration ran on and how it ended.
//!
//! May import `domain` and serde.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::JournalError;
use crate::domain::Timestamp;
use crate::domain::change::Change;
use crate::domain::migration::progress::{Phase, StepProgress, StepState};
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
    pub(super) fn from_records(
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
