//! A migration step's progress, modelled once: the `StepState` a journal records, the
//! `StepProgress` that sums up a step's records, read by `resume`/`rollback`, the CLI's
//! `migrate status`, the explorer's progress screen and the Markdown record alike. The run's
//! events carry the same `StepState`, so no screen keeps a state model of its own.
//!
//! Pure data (serde for the journal's lines); may import the rest of `domain`.

use serde::{Deserialize, Serialize};

use super::retirement::GateDecision;
use crate::domain::Timestamp;
use crate::domain::change::Change;

/// The state a step record reports (and a run's event announces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    /// The step began (before its checks and action).
    Started,
    /// Its verification held before this migration did anything: nothing was changed.
    AlreadyInPlace,
    /// The action succeeded; the record holds its undo.
    Applied,
    /// The verification held after the action.
    Verified,
    /// The step stopped; `phase` says where and `error` why.
    Failed,
    UndoStarted,
    Undone,
    UndoFailed,
    /// A rollback left this secret removal in place: the backend cannot bring a removed
    /// secret back (on a live tenant `addPassword` makes a new keyId and value). `note` says
    /// which secret and what to do; a later rollback leaves the step as it is.
    NotRestorable,
    /// A rollback chosen to keep the new credential left this step's change in place:
    /// undoing it would have left the identity without a usable credential. `note` says which.
    Kept,
    /// The retirement gate held this removal back: the usage evidence does not show the new
    /// credential signing in or the old one idle (`gate` says what is missing). Nothing was
    /// removed; the run stopped before the step, and `resume` checks the evidence again.
    Waiting,
}

impl StepState {
    /// The state's name, as the journal writes it and `migrate status` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::AlreadyInPlace => "already-in-place",
            Self::Applied => "applied",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::UndoStarted => "undo-started",
            Self::Undone => "undone",
            Self::UndoFailed => "undo-failed",
            Self::NotRestorable => "not-restorable",
            Self::Kept => "kept",
            Self::Waiting => "waiting",
        }
    }

    /// A step is under way (forward or undoing).
    pub fn is_running(self) -> bool {
        matches!(self, Self::Started | Self::UndoStarted)
    }
}

/// Where a failed step stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Asking whether the step was already done.
    Check,
    Precondition,
    Apply,
    Verify,
    Undo,
}

/// What the records say about one step: its latest state and what its history adds (whether
/// this migration applied or verified it, the undo it journaled, the last error or note).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepProgress {
    /// `None`: not started.
    pub state: Option<StepState>,
    pub applied: bool,
    /// This migration verified the step's change (by content) at some point.
    pub verified: bool,
    pub already_in_place: bool,
    pub undo: Option<Change>,
    pub phase: Option<Phase>,
    pub error: Option<String>,
    /// The last record's note (why a step was kept, a forced undo…).
    pub note: Option<String>,
    /// A look-alike's two sides, when one failed the step.
    pub expected: Option<String>,
    pub found: Option<String>,
    pub at: Option<Timestamp>,
    /// The retirement gate's latest decision on this removal (waiting, gone, overridden).
    pub gate: Option<GateDecision>,
}

impl StepProgress {
    /// Whether this migration may have made the step's change: it did (`applied`), or an
    /// attempt got as far as the action before it stopped (a crash after `started`, a failure
    /// while applying or verifying). A failure in the checks before the action never changed
    /// anything.
    pub fn may_have_applied(&self) -> bool {
        self.applied
            || match self.state {
                Some(StepState::Started)
                | Some(StepState::UndoStarted)
                | Some(StepState::UndoFailed) => true,
                Some(StepState::Failed) => matches!(self.phase, Some(Phase::Apply | Phase::Verify)),
                _ => false,
            }
    }

    /// The step needs nothing more on the way forward.
    pub fn is_complete(&self) -> bool {
        matches!(
            self.state,
            Some(StepState::Verified) | Some(StepState::AlreadyInPlace)
        )
    }

    /// The retirement gate holds this removal until the usage evidence shows it is safe.
    pub fn is_waiting(&self) -> bool {
        self.state == Some(StepState::Waiting)
    }

    /// The state's name, `pending` before the step started.
    pub fn state_word(&self) -> &'static str {
        self.state.map_or("pending", StepState::as_str)
    }

    /// A state as a run announces it (no history): what a screen shows while the run goes
    /// on. `message` is the failure's error, or the note of a kept or unrestorable step.
    pub fn announced(state: StepState, message: Option<String>) -> Self {
        let failed = matches!(state, StepState::Failed | StepState::UndoFailed);
        Self {
            state: Some(state),
            already_in_place: state == StepState::AlreadyInPlace,
            verified: state == StepState::Verified,
            error: message.clone().filter(|_| failed),
            note: message.filter(|_| !failed),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_words_are_the_journal_names() {
        for s in [
            StepState::Started,
            StepState::AlreadyInPlace,
            StepState::Applied,
            StepState::Verified,
            StepState::Failed,
            StepState::UndoStarted,
            StepState::Undone,
            StepState::UndoFailed,
            StepState::NotRestorable,
            StepState::Kept,
            StepState::Waiting,
        ] {
            let json = serde_json::to_string(&s).expect("serializes");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(StepProgress::default().state_word(), "pending");
    }

    #[test]
    fn an_announced_failure_carries_its_error_and_a_kept_step_its_note() {
        let f = StepProgress::announced(StepState::Failed, Some("boom".into()));
        assert_eq!(f.error.as_deref(), Some("boom"));
        assert_eq!(f.note, None);
        let k = StepProgress::announced(StepState::Kept, Some("kept: …".into()));
        assert_eq!(k.error, None);
        assert_eq!(k.note.as_deref(), Some("kept: …"));
        assert!(StepProgress::announced(StepState::AlreadyInPlace, None).is_complete());
    }
}
