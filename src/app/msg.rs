//! Messages into `update` and effects out of it. Intents are imperative (`Command`, `Edit`),
//! results are past tense (`TenantLoaded`, `LoadFailed`). No message carries a raw key: the
//! keymap turns keys into commands first.

use tui_input::InputRequest;

use super::command::Command;
use crate::backend::{ProgressEvent, Warning};
use crate::domain::audit::Report;
use crate::domain::audit::overview::Overview;
use crate::domain::{Directory, Timestamp};

#[derive(Debug)]
pub enum Msg {
    /// What a key bound in the current context's keymap means.
    Command(Command),
    /// Editing the text being typed: the `/` filter, the `:` command line, a migration's form
    /// field or the name typed to confirm.
    Edit(InputRequest),
    /// A click on a navigation item.
    ClickNav(usize),
    /// A click on a list row (index into `visible`).
    ClickList(usize),
    /// A click in the details pane, on a link (index among followable links) or elsewhere.
    ClickDetails(Option<usize>),
    /// Mouse wheel over a pane: positive is down.
    Scroll(super::Pane, i32),
    /// The list's height in rows, after a resize.
    ListRows(usize),
    /// How far the help overlay can scroll at the current size.
    HelpLimit(u16),
    /// The clock moved on: the counts and lists that depend on it are worked out again off
    /// the UI thread (`Effect::Recount`, then `Recounted`).
    Tick(Timestamp),
    /// The lists and counts of the tenant on screen, worked out again for the clock's new
    /// minute (`app::ready::Recount`); dropped when the tenant or the view changed meanwhile.
    Recounted(Box<super::ready::Recounted>),
    LoadProgress(ProgressEvent),
    TenantLoaded {
        dir: Box<Directory>,
        /// The audit and overview of the tenant, when they were made.
        audit: Option<Box<(Report, Overview)>>,
        warnings: Vec<Warning>,
        /// Set when this is the cached tenant shown while the live load runs: when it was
        /// captured. `None` for a fresh load.
        cached_at: Option<Timestamp>,
        /// Set when this tenant came from an incremental refresh (`r`): what it did.
        refresh: Option<Refresh>,
    },
    /// A tenant made ready off the UI thread (`app::ready`): the runtime's way of delivering
    /// the cached, partial, fresh and swept tenants.
    TenantReady(Box<super::Ready>),
    /// The sweep after an incremental refresh failed: a warning, the tenant stays.
    SweepFailed(String),
    LoadFailed(String),
    /// No credential gave a token: why, source by source.
    SignInNeeded(Box<crate::backend::sign_in::SignInFailure>),
    /// The runtime switched to another source (its title line); its load has started.
    SourceOpened(String),
    /// The result of an effect that can fail (copy, open).
    EffectFailed(String),
    /// Something worth telling the user (a URL to open by hand).
    Notice(String),
    /// The decision record was written to these files.
    Exported(Vec<String>),
    /// The migration run started with this plan (fresh ids, the real certificate); `done`
    /// is the progress of the steps a continued migration had completed.
    MigrationStarted {
        plan: Box<crate::domain::migration::Plan>,
        done: Vec<crate::domain::migration::progress::StepProgress>,
    },
    /// A step of the running migration reached `state` (`message`: a failure's error, or a
    /// note), as the job journals it.
    MigrationStep {
        index: usize,
        state: crate::domain::migration::progress::StepState,
        message: Option<String>,
    },
    MigrationFinished(crate::jobs::migrate::Finished),
    /// An unfinished migration's journal was found at start.
    JournalFound(super::migration::OpenJournal),
    /// A rollback stopped: undoing would leave the identity without a usable credential.
    RollbackRefused(Box<super::migration::LockoutChoice>),
    /// A signal from outside (SIGTERM, SIGINT, SIGHUP, named here) asks credwise to end: a
    /// running migration finishes or journals its current step first.
    Interrupted(String),
}

/// What an incremental refresh did (`jobs::load::refresh`), for the status and title lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// It was a full load: no delta link was kept, or Graph no longer knew it (a warning on
    /// the load with area `refresh` says so).
    pub full: bool,
    /// Applications and service principals delta reported, by what happened to them.
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    /// When the Azure part (managed identities, role assignments) was last read: a delta
    /// refresh reads Graph only. `None` when unknown.
    pub azure_at: Option<Timestamp>,
}

/// Work for the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Load the tenant from the backend, in full.
    Load,
    /// Work out the lists and counts of the tenant on screen again, off the UI thread
    /// (`App::recount_job`), answered by `Msg::Recounted`: the clock moved on.
    Recount,
    /// Refresh the tenant incrementally: only what changed since the cached tenant (a full
    /// load when there is no delta link or it expired).
    Refresh,
    /// Switch to another source and load it.
    Open(OpenRequest),
    /// Put text on the clipboard (OSC 52, so it works over SSH).
    Copy(String),
    /// Open an address in a browser, or show it where there is none.
    OpenUrl(String),
    /// Write files (path, contents): the decision record export.
    WriteFiles(Vec<(String, String)>),
    /// Run a migration (`jobs::migrate`), reporting back with `Msg::Migration*`.
    RunMigration(Box<super::migration::MigrationRequest>),
    /// Hold the running migration before its next step (`true`) while the user is asked
    /// whether to stop, or let it go on (`false`).
    PauseMigration(bool),
    /// Stop the running migration after (or journaling) its current step.
    StopMigration,
    /// Copy the migration record (a file beside the journal) to where credwise was started.
    ExportRecord(String),
    /// Resume (or roll back) the migration of this journal.
    ContinueMigration { journal_id: String, rollback: bool },
    /// Roll back the migration of this journal as the user chose after a rollback stopped
    /// because it would have left the identity without a usable credential.
    RollbackMigration {
        journal_id: String,
        mode: crate::jobs::migrate::RollbackMode,
    },
}

/// A source the explorer can switch to while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenRequest {
    /// The embedded demo tenant.
    Demo,
    /// A snapshot file, as typed after `:open`.
    Snapshot(String),
}
