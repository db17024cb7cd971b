//! The CLI contract's exit codes, and the one place a failure becomes a number: the backend
//! and the jobs say whose failure it was (`backend::Cause`), a migration how it ended
//! (`RunOutcome`), and this module maps them. Nothing below the CLI knows these numbers.
//!
//! May import `backend` and `jobs`.

use crate::backend::{self, Cause};
use crate::jobs::migrate::{MigrateError, RunOutcome};

/// `credwise audit --fail-on`: a finding at or above the severity remains.
pub const FINDINGS: u8 = 1;
/// Bad usage or input, or a change refused: the user has something to fix.
pub const USAGE: u8 = 2;
/// A service, authentication or network failure, or a run stopped by a signal.
pub const SERVICE: u8 = 3;
/// A migration that waits on usage evidence: not a failure (nothing is wrong, run `resume`
/// later) and not done either, so scripts can tell it apart.
pub const WAITING: u8 = 4;

/// The exit code for a failure of `cause`.
pub fn of_cause(cause: Cause) -> u8 {
    match cause {
        Cause::Refused => USAGE,
        Cause::Service => SERVICE,
    }
}

/// The exit code for a backend error: 2 bad input or refused, 3 a service failure.
pub fn of_error(e: &backend::Error) -> u8 {
    of_cause(e.cause())
}

/// The exit code for a migration that could not run: 2 for refusals and bad input, 3 for a
/// service (or disk) failure.
pub fn of_migrate(e: &MigrateError) -> u8 {
    of_cause(e.cause())
}

/// The exit code for how a migration ended: 0 when it ended as asked, the failure's for a
/// failed step or undo, 3 for a stop, 4 while it waits on usage evidence.
pub fn of_outcome(outcome: &RunOutcome) -> u8 {
    match outcome {
        RunOutcome::Failed { cause, .. } | RunOutcome::RollbackFailed { cause, .. } => {
            of_cause(*cause)
        }
        RunOutcome::Cancelled { .. } => SERVICE,
        RunOutcome::Waiting { .. } => WAITING,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_and_outcomes_keep_the_contract_codes() {
        assert_eq!(of_error(&backend::Error::ReadOnly), 2);
        assert_eq!(of_error(&backend::Error::Network("reset".into())), 3);
        let failed = |cause| RunOutcome::Failed {
            index: 0,
            error: "boom".into(),
            cause,
        };
        assert_eq!(of_outcome(&failed(Cause::Refused)), 2);
        assert_eq!(of_outcome(&failed(Cause::Service)), 3);
        assert_eq!(of_outcome(&RunOutcome::Cancelled { next: 1 }), 3);
        assert_eq!(
            of_outcome(&RunOutcome::Waiting {
                index: 2,
                missing: vec![],
                idle_days: 30
            }),
            4
        );
        assert_eq!(of_outcome(&RunOutcome::Done), 0);
        assert_eq!(of_outcome(&RunOutcome::Abandoned), 0);
    }
}
