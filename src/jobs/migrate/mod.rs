//! The migration use case, in one place for the CLI and the explorer: from a filled form to a
//! plan (`prepare`), running it on any `Backend` one step at a time, journaled (`run`,
//! `resume`), undoing it (`rollback`), and how it ended, in one wording (`outcome`) that the
//! CLI, the explorer and the Markdown record (`record`) share.
//!
//! Two safety rules hold on every path:
//! - **Verification by content.** Every check compares what the step made (a federated
//!   credential's issuer, subject and audiences; a certificate's thumbprint; an identity's
//!   ids; a role assignment's grant) — already-in-place, verify, precondition, the recheck
//!   before removals and the undo's presence check alike. A look-alike (`CheckOutcome::
//!   Differs`) fails the step, with both sides in the error and the journal.
//! - **No lockout** (`domain::migration::safety`). Before every change that removes a
//!   credential or an identity — each secret removal and every undo — the identity's
//!   credentials are read from the tenant as they are now, and the change is refused if it
//!   would leave no usable credential (`rollback` says how a rollback keeps to it).
//! - **No removal on the user's word alone** (`gate`, `domain::migration::retirement`). Right
//!   before a secret removal acts, the usage evidence is read fresh: without evidence that the
//!   new credential signs in and the secret is idle, the run stops there (`waiting`, nothing
//!   removed) until `resume` finds it, or the user overrides it explicitly (journaled).
//!
//! A new migration refuses an identity that has an open journal; `resume` and `rollback`
//! refuse a source that is not the journal's (another tenant, another snapshot file). The
//! journal's state is kept in memory while it is appended to (`journal`): a run reads its
//! journal file once.
//!
//! Progress goes out as `Event`s (`options`): each step's `StepState`, as the journal records
//! it. A `CancellationToken` stops a run (and a rollback) between steps: the current step is
//! finished or journaled, never left unrecorded. A `Pause` holds it between steps while a
//! screen asks whether to stop. The lock on the identity is held for the whole run.
//!
//! | module | holds |
//! | --- | --- |
//! | `prepare` | form → validated plan (`draft`), certificate generated after the confirmation (`finish`) |
//! | `certificate` | generating a certificate and its key files, reading the user's |
//! | `options` | `Options`, `Backoff` (picked from the source), `Pause`, `Event` |
//! | `run` | the forward run: `run`, `resume` |
//! | `rollback` | `rollback`, `rollback_with`, `RollbackMode`, the simulation |
//! | `checks` | checks with retries, verification with backoff, the lockout inventory, `Failure` |
//! | `gate` | the retirement gate before each removal, on the evidence read fresh from the backend |
//! | `journal` | an open journal with its state in memory |
//! | `journals` | one open migration per identity, the journal's own source, records, `abandon` |
//! | `outcome` | `RunOutcome` and its wording, `Summary`, `Finished`, what a rollback left |
//! | `error` | `MigrateError` |
//! | `record` | the Markdown record |
//!
//! May import `backend`, `store` and `domain`.

pub mod certificate;
mod checks;
mod error;
mod gate;
mod journal;
mod journals;
mod options;
pub mod outcome;
pub mod prepare;
pub mod record;
mod rollback;
mod run;

use crate::domain::migration::{GuidanceTemplates, IdSource};

pub use error::MigrateError;
pub use journals::{
    abandon, ensure_no_open_migration, ensure_record, open_migration_of, rebuild_missing_records,
};
pub use options::{Backoff, Clock, Event, Options, Pause};
pub use outcome::{
    Finished, KeptStep, RunOutcome, Summary, UnrestoredSecret, Wording, kept_steps, kept_words,
    unrestored_secrets,
};
pub use prepare::{Draft, PrepareError, Prepared, draft, draft_plan, finish, prepare};
pub use rollback::{RollbackMode, rollback, rollback_with};
pub use run::{resume, run};

/// The embedded guidance templates (`assets/migration-guidance.toml`).
pub fn guidance() -> &'static GuidanceTemplates {
    static TEMPLATES: std::sync::OnceLock<GuidanceTemplates> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        // Checked by tests (`guidance_asset_parses`); an empty set keeps a broken build usable.
        GuidanceTemplates::parse(include_str!("../../../assets/migration-guidance.toml"))
            .unwrap_or_else(|_| GuidanceTemplates::empty())
    })
}

/// Random v4 GUIDs for plans.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn guid(&mut self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
