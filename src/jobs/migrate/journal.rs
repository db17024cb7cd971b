//! A run's journal: the file it appends to and the state those records add up to, kept in
//! memory. Each `append` is fsynced to disk first (the journal is what a crash leaves), then
//! folded into the state (`JournalState::apply`), so a run reads its journal file once, when
//! it opens it, and never again per step. Step records are announced as `Event::Step` at the
//! same time, so the screens see what the journal holds.
//!
//! May import `store` and `domain`.

use super::options::Options;
use crate::domain::Timestamp;
use crate::domain::migration::progress::{Phase, StepState};
use crate::store::journal::{JournalError, JournalState, JournalStore, JournalWriter, Record};

/// An open journal and what it says.
pub(super) struct Journal {
    writer: JournalWriter,
    state: JournalState,
}

impl Journal {
    /// Creates a journal whose first record is `opened`.
    pub(super) fn create(store: &JournalStore, opened: Record) -> Result<Self, JournalError> {
        let writer = store.create(&opened)?;
        let state = JournalState::from_opened(opened, writer.path())?;
        Ok(Self { writer, state })
    }

    /// Opens journal `id` to go on with it (the one read of its file).
    pub(super) fn open(store: &JournalStore, id: &str) -> Result<Self, JournalError> {
        let (writer, state) = store.open(id)?;
        Ok(Self { writer, state })
    }

    pub(super) fn state(&self) -> &JournalState {
        &self.state
    }

    pub(super) fn into_state(self) -> JournalState {
        self.state
    }

    /// Writes `record` (fsynced) and adds it to the state.
    pub(super) fn append(&mut self, record: Record) -> Result<(), JournalError> {
        self.writer.append(&record)?;
        self.state
            .apply(record)
            .map_err(|message| JournalError::Corrupt {
                path: self.writer.path().to_path_buf(),
                message,
            })
    }

    /// Journals step `index` in `state` with the fields `fill` sets (phase, error, note…),
    /// and announces it.
    pub(super) fn step(
        &mut self,
        index: usize,
        state: StepState,
        options: &Options,
        fill: impl FnOnce(&mut StepFields),
    ) -> Result<(), JournalError> {
        let mut f = StepFields::default();
        fill(&mut f);
        let message = f.error.clone().or_else(|| f.note.clone());
        self.append(f.record(index, state, options.now()))?;
        options.step(index, state, message);
        Ok(())
    }
}

/// The optional fields of a step record.
#[derive(Default)]
pub(super) struct StepFields {
    pub applied: bool,
    pub undo: Option<crate::domain::change::Change>,
    pub created: Option<crate::store::journal::CreatedIds>,
    pub phase: Option<Phase>,
    pub error: Option<String>,
    pub note: Option<String>,
    pub expected: Option<String>,
    pub found: Option<String>,
    pub gate: Option<crate::domain::migration::retirement::GateDecision>,
}

impl StepFields {
    fn record(self, index: usize, state: StepState, at: Timestamp) -> Record {
        Record::Step {
            index,
            state,
            at,
            applied: self.applied,
            undo: self.undo,
            created: self.created,
            phase: self.phase,
            error: self.error,
            note: self.note,
            expected: self.expected,
            found: self.found,
            gate: self.gate,
        }
    }
}
