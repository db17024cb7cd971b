//! Why a migration job refused or stopped without an outcome: the journal, an unsafe plan, a
//! closed or rolling-back migration, a backend failure, a rollback that would lock the
//! identity out, an open migration on the identity, another source or tenant. May import
//! `store`, `backend` and `domain`.

use crate::backend::{Cause, Error as BackendError};
use crate::domain::migration::safety::Lockout;
use crate::store::journal::JournalError;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("the plan is unsafe: {0}")]
    UnsafePlan(String),
    #[error("migration {id} has already ended ({outcome})")]
    Closed { id: String, outcome: &'static str },
    #[error("migration {0} is being rolled back; continue with `credwise migrate rollback {0}`")]
    RollingBack(String),
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// Undoing would leave the identity without a usable credential.
    #[error(
        "{} {lockout}",
        if *changed_nothing { "rollback stopped before changing anything:" } else { "rollback stopped:" }
    )]
    Lockout {
        journal_id: String,
        lockout: Box<Lockout>,
        /// True when the refusal came before the first undo (the simulation); false when the
        /// tenant changed during the rollback and an undo found itself the last.
        changed_nothing: bool,
    },
    /// A forced rollback whose confirmation is not the identity's name.
    #[error(
        "--force leaves {identity} without a usable credential: confirm with the identity's name ({identity}) or object id ({object_id}); {given:?} is neither"
    )]
    ForceNotConfirmed {
        identity: String,
        object_id: String,
        given: String,
    },
    /// The identity has a migration that has not ended.
    #[error(
        "{identity} ({object_id}) has an open migration, journal {journal_id} ({migration}, {status}): continue it with `credwise migrate resume {journal_id}` or undo it with `credwise migrate rollback {journal_id}` before starting another"
    )]
    OpenMigration {
        identity: String,
        object_id: String,
        journal_id: String,
        migration: &'static str,
        status: &'static str,
    },
    /// `resume`/`rollback` on a source that is not the journal's.
    #[error(
        "migration {journal_id} ran on {journal}, not on {given}: open the journal's source (or leave out the SOURCE flags to use it)"
    )]
    WrongSource {
        journal_id: String,
        journal: String,
        given: String,
    },
    #[error(
        "migration {journal_id} ran in tenant {journal_tenant}, and this source is tenant {given_tenant}: open the journal's tenant (--tenant {journal_tenant})"
    )]
    WrongTenant {
        journal_id: String,
        journal_tenant: String,
        given_tenant: String,
    },
}

impl MigrateError {
    /// Whose failure this is: a refusal or bad input, or a service (or disk) failure.
    pub fn cause(&self) -> Cause {
        match self {
            MigrateError::Backend(e) => e.cause(),
            MigrateError::Journal(JournalError::Io { .. }) => Cause::Service,
            _ => Cause::Refused,
        }
    }
}
