//! Running a migration plan on any `Backend`, one step at a time, journaled; shared by the
//! CLI and the TUI.
//!
//! Each step: journal `started` → if its verification already holds, record it and move on
//! (idempotent resume after a crash between an action and its journal record) → check the
//! precondition → apply → journal `applied` (with the undo and any ids Azure chose) → verify,
//! retrying with backoff (Entra and ARM propagate changes with a delay) → journal `verified`.
//! A failure stops the run with the step journaled as failed; nothing is lost and `resume`
//! continues from there. `rollback` undoes, in reverse, every step this migration changed.
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
//!   would leave no usable credential. A rollback is simulated first: one that would break
//!   the rule stops before changing anything (`MigrateError::Lockout`) unless it is told to
//!   keep the new credential (`RollbackMode::KeepNewCredential`) or, confirmed by the
//!   identity's name, to go ahead (`RollbackMode::Force`).
//!
//! A new migration refuses an identity that has an open journal; `resume` and `rollback`
//! refuse a source that is not the journal's (another tenant, another snapshot file).
//!
//! Progress goes out as `Event`s over a channel (for a spinner and per-step results). A
//! `CancellationToken` stops the run (and a rollback) between steps: the current step is
//! finished or journaled, never left unrecorded. A `Pause` holds it between steps while a
//! screen asks whether to stop. The lock on the identity is held for the whole run.
//!
//! API for screens:
//! - `run(backend, store, plan, source, &options)` starts a new migration,
//! - `resume(backend, store, journal_id, &options)` continues one,
//! - `rollback(backend, store, journal_id, &options)` undoes one (`rollback_with` chooses
//!   what to do when undoing would lock the identity out),
//! - `abandon(store, journal_id, clock)` ends one without touching the tenant;
//!
//! each returns a `Summary` (the journal id, the `RunOutcome`, the record's path, the state).
//! `ensure_record` and `rebuild_missing_records` write the record of a migration that ended
//! without one (killed after its last journal line).
//!
//! May import `backend`, `store` and `domain`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, Error as BackendError, Progress, Scope};
use crate::domain::change::{Change, Check, Target};
use crate::domain::migration::plan::describe_check;
use crate::domain::migration::safety::{self, Inventory, Lockout, Workload};
use crate::domain::migration::{GuidanceTemplates, IdSource, MigrationKind, Plan};
use crate::domain::{CheckOutcome, Timestamp};
use crate::store::journal::{
    CreatedIds, JournalError, JournalState, JournalStore, JournalWriter, Outcome, Phase, Record,
    SourceRecord, StepState, VERSION,
};

/// The embedded guidance templates (`assets/migration-guidance.toml`).
pub fn guidance() -> &'static GuidanceTemplates {
    static TEMPLATES: std::sync::OnceLock<GuidanceTemplates> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        // Checked by tests (`guidance_asset_parses`); an empty set keeps a broken build usable.
        GuidanceTemplates::parse(include_str!("../../assets/migration-guidance.toml"))
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

/// The current time, as the caller sees it (`CREDWISE_NOW` pins it in tests).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How verification retries while a change propagates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Checks in all, the first included.
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Backoff {
    /// For tenants: about a minute and a half of retries (a new FIC or role assignment can
    /// take minutes to show everywhere).
    pub const LIVE: Backoff = Backoff {
        attempts: 8,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(20),
    };

    /// For tests and snapshots: immediate.
    pub const FAST: Backoff = Backoff {
        attempts: 3,
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
}

/// Holds a run before its next step while it is set (a screen asking "stop after the current
/// step?"): the step under way finishes, the next does not start until the pause is lifted or
/// the run is cancelled. `watch` keeps only the latest value, which is all a gate needs.
#[derive(Debug, Clone)]
pub struct Pause(watch::Receiver<bool>);

impl Pause {
    /// A gate that follows `rx` (`true`: hold).
    pub fn new(rx: watch::Receiver<bool>) -> Self {
        Self(rx)
    }
}

/// What a run is told.
#[derive(Clone)]
pub struct Options {
    pub backoff: Backoff,
    pub cancel: CancellationToken,
    pub events: Option<mpsc::UnboundedSender<Event>>,
    pub clock: Clock,
    /// The source this process opened (`SourceRecord` of the CLI's SOURCE or the explorer's
    /// backend): `resume` and `rollback` refuse one that is not the journal's (another
    /// snapshot file, a live tenant for a snapshot's journal). `None` skips that comparison;
    /// the tenant id is compared either way.
    pub source: Option<SourceRecord>,
    /// Between steps, the run waits while this is set (and not cancelled).
    pub pause: Option<Pause>,
}

impl Options {
    pub fn new(clock: Clock) -> Self {
        Self {
            backoff: Backoff::LIVE,
            cancel: CancellationToken::new(),
            events: None,
            clock,
            source: None,
            pause: None,
        }
    }

    /// Waits, between two steps, while the run is paused; returns at once when it is not,
    /// or when the run is cancelled (the caller then stops).
    async fn hold(&self) {
        let Some(Pause(rx)) = &self.pause else {
            return;
        };
        let mut rx = rx.clone();
        tokio::select! {
            // A closed channel (the screen is gone) holds nothing back.
            _ = rx.wait_for(|paused| !*paused) => {}
            _ = self.cancel.cancelled() => {}
        }
    }

    fn emit(&self, e: Event) {
        if let Some(tx) = &self.events {
            // The screen may be gone; progress is best-effort, the journal is not.
            let _ = tx.send(e);
        }
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

/// Progress of a run, for screens. Indexes are 0-based step numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started {
        journal_id: String,
        steps: usize,
    },
    StepStarted {
        index: usize,
    },
    /// The step's verification already held: nothing to do.
    StepSkipped {
        index: usize,
        reason: String,
    },
    StepApplied {
        index: usize,
    },
    /// A verification attempt (1-based) is about to run.
    StepVerifying {
        index: usize,
        attempt: u32,
    },
    StepVerified {
        index: usize,
    },
    StepFailed {
        index: usize,
        error: String,
    },
    /// Azure chose these ids for the identity the plan created; later steps use them.
    Rebound {
        principal_id: String,
        client_id: String,
    },
    UndoStarted {
        index: usize,
    },
    StepUndone {
        index: usize,
    },
    UndoFailed {
        index: usize,
        error: String,
    },
    /// The step removed a secret, which this backend cannot bring back; the rollback left
    /// it removed and goes on with the other steps.
    UndoNotPossible {
        index: usize,
        reason: String,
    },
    /// A rollback that keeps the new credential left this step's change in place: undoing
    /// it would leave the identity without a usable credential.
    StepKept {
        index: usize,
        reason: String,
    },
    Finished {
        outcome: RunOutcome,
    },
}

/// How a run (or rollback) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every step verified; the migration is closed.
    Done,
    /// Step `index` failed; the journal stays open for `resume` or `rollback`. `exit_code` is
    /// the CLI contract's (2 bad input or refused, 3 service failure).
    Failed {
        index: usize,
        error: String,
        exit_code: u8,
    },
    /// Cancelled; `next` is the first step not done (in a rollback: the next step to undo).
    Cancelled { next: usize },
    /// Every change of this migration was undone; the migration is closed.
    RolledBack,
    /// Every change was undone except these secret removals, which the backend cannot undo
    /// (a live tenant: a removed secret's value is gone for good). The migration is closed;
    /// the workload needs a new secret (`UnrestoredSecret::remedy`) or the new credential.
    RolledBackExceptSecrets { unrestored: Vec<UnrestoredSecret> },
    /// Rolled back except the new credential, kept because undoing it would have left the
    /// identity without a usable credential (`RollbackMode::KeepNewCredential`), and except
    /// the secret removals the backend cannot undo. The migration is closed.
    RolledBackKeeping {
        kept: Vec<KeptStep>,
        unrestored: Vec<UnrestoredSecret>,
    },
    /// Undoing step `index` failed; run `rollback` again.
    RollbackFailed {
        index: usize,
        error: String,
        exit_code: u8,
    },
    /// Closed without touching the tenant.
    Abandoned,
}

/// The result of `run`, `resume`, `rollback` or `abandon`.
#[derive(Debug, Clone)]
pub struct Summary {
    pub journal_id: String,
    pub outcome: RunOutcome,
    /// The Markdown record, once the migration has ended.
    pub record: Option<PathBuf>,
    pub state: JournalState,
}

/// A step whose change a rollback kept, so the identity keeps a usable credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptStep {
    /// The step (0-based).
    pub index: usize,
    /// What stays, in words (`federated credential "deploy"`).
    pub what: String,
}

/// How a rollback ended that kept the new credential, in the words the CLI, the explorer and
/// the record all use.
pub fn kept_words(kept: &[KeptStep]) -> String {
    let what: Vec<String> = kept.iter().map(|k| k.what.clone()).collect();
    format!(
        "rolled back except the new credential, kept so that the identity keeps a usable credential: {}",
        what.join("; ")
    )
}

/// The steps a rollback kept (journaled `kept`).
pub fn kept_steps(state: &JournalState) -> Vec<KeptStep> {
    state
        .steps
        .iter()
        .enumerate()
        .filter(|(_, p)| p.state == Some(StepState::Kept))
        .filter_map(|(index, _)| {
            let step = state.plan.steps.get(index)?;
            Some(KeptStep {
                index,
                what: kept_label(&step.action),
            })
        })
        .collect()
}

/// What an undo would have taken away, had it not been kept.
fn kept_label(action: &Change) -> String {
    match action {
        Change::AddKey { credential, .. } => {
            let thumb = credential
                .thumbprint()
                .map(|t| format!(", thumbprint {t}"))
                .unwrap_or_default();
            format!("certificate keyId {}{thumb}", credential.key_id)
        }
        Change::AddFederatedCredential { credential, .. } => {
            format!("federated credential {:?}", credential.name)
        }
        Change::CreateUserAssignedIdentity { identity } => {
            format!("managed identity {} ({})", identity.name, identity.id)
        }
        Change::AddRoleAssignment { assignment } => format!(
            "role assignment {} ({} at {})",
            assignment.id,
            assignment.role_name(),
            assignment.scope
        ),
        other => crate::domain::migration::plan::describe_change(other),
    }
}

/// A client secret this migration removed and a rollback could not bring back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnrestoredSecret {
    /// The step (0-based) that removed it.
    pub index: usize,
    pub target: Target,
    pub key_id: String,
    pub display_name: Option<String>,
}

impl UnrestoredSecret {
    /// The secret in the user's words: `"prod" (keyId 1a2b…)`.
    pub fn label(&self) -> String {
        secret_label(&self.key_id, self.display_name.as_deref())
    }

    /// What to do instead: create a new secret beside the others (its value is shown once,
    /// by Azure CLI, not by credwise) and put it into the workload's configuration.
    /// `app_id` is the application's appId when the plan knows it (Azure CLI takes either id).
    pub fn remedy(&self, app_id: Option<&str>) -> String {
        let name = self
            .display_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| format!(" --display-name '{}'", n.replace('\'', "")))
            .unwrap_or_default();
        let command = match &self.target {
            Target::Application(id) => format!(
                "az ad app credential reset --id {} --append{name}",
                app_id.unwrap_or(id)
            ),
            Target::ServicePrincipal(id) => {
                format!("az ad sp credential reset --id {id} --append{name}")
            }
            Target::UserAssignedIdentity(id) => format!("(no secrets on {id})"),
        };
        format!(
            "secret {} was removed and cannot come back (a new secret always gets a new keyId and value): if the workload still needs a secret, create a new one with `{command}` and update the workload's configuration with its value",
            self.label()
        )
    }
}

fn secret_label(key_id: &str, display_name: Option<&str>) -> String {
    match display_name {
        Some(n) if !n.is_empty() => format!("\"{n}\" (keyId {key_id})"),
        _ => format!("keyId {key_id}"),
    }
}

/// The secret removals a rollback left in place (steps journaled `not-restorable`).
pub fn unrestored_secrets(state: &JournalState) -> Vec<UnrestoredSecret> {
    state
        .steps
        .iter()
        .enumerate()
        .filter(|(_, p)| p.state == Some(StepState::NotRestorable))
        .filter_map(|(index, p)| {
            let undo = p
                .undo
                .as_ref()
                .or(state.plan.steps.get(index).map(|s| &s.undo))?;
            match undo {
                Change::AddPassword { target, credential } => Some(UnrestoredSecret {
                    index,
                    target: target.clone(),
                    key_id: credential.key_id.clone(),
                    display_name: credential.display_name.clone(),
                }),
                _ => None,
            }
        })
        .collect()
}

/// What a rollback does when undoing a step would leave the identity without a usable
/// credential.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RollbackMode {
    /// Stop before changing anything and say why (`MigrateError::Lockout`).
    #[default]
    Safe,
    /// Undo everything else and keep the new credential; the migration closes as rolled back
    /// except that (`RunOutcome::RolledBackKeeping`).
    KeepNewCredential,
    /// Undo everything, leaving the identity without a usable credential. `confirmation`
    /// must be the identity's display name or object id, as the user typed it.
    Force { confirmation: String },
}

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
    /// The CLI contract's exit code: 2 for refusals and bad input, 3 for service failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            MigrateError::Backend(e) => e.exit_code(),
            MigrateError::Journal(JournalError::Io { .. }) => 3,
            _ => 2,
        }
    }
}

/// The open migration of an identity (by object id or by the object whose credentials it
/// changes), if there is one.
pub fn open_migration_of(
    store: &JournalStore,
    object_id: &str,
    target: Option<&Target>,
) -> Result<Option<JournalState>, JournalError> {
    let (all, _) = store.list()?;
    Ok(all.into_iter().rev().find(|s| {
        s.closed.is_none()
            && (s.plan.identity.object_id.eq_ignore_ascii_case(object_id)
                || target.is_some_and(|t| &s.plan.identity.target == t))
    }))
}

/// Refuses an identity that has an open migration, naming its journal and the commands that
/// end it. The CLI and the explorer ask before they generate anything; `run` asks again
/// under the identity's lock.
pub fn ensure_no_open_migration(
    store: &JournalStore,
    object_id: &str,
    target: Option<&Target>,
) -> Result<(), MigrateError> {
    match open_migration_of(store, object_id, target)? {
        None => Ok(()),
        Some(s) => Err(MigrateError::OpenMigration {
            identity: s.plan.identity.display_name.clone(),
            object_id: s.plan.identity.object_id.clone(),
            journal_id: s.id.clone(),
            migration: s.migration.as_str(),
            status: s.status(),
        }),
    }
}

/// Starts a new migration: opens its journal, takes the identity's lock, runs every step.
pub async fn run(
    backend: &dyn Backend,
    store: &JournalStore,
    plan: Plan,
    source: SourceRecord,
    options: &Options,
) -> Result<Summary, MigrateError> {
    plan.check_order().map_err(MigrateError::UnsafePlan)?;
    let at = options.now();
    let id = JournalStore::new_id(plan.kind, at);
    let _lock = store.lock(&plan.identity.object_id, &id)?;
    // Under the lock: no other credwise can open a journal for this identity meanwhile.
    ensure_no_open_migration(store, &plan.identity.object_id, Some(&plan.identity.target))?;
    let principal = backend.signed_in_principal().await;
    let opened = Record::Opened {
        version: VERSION,
        journal_id: id.clone(),
        at,
        migration: plan.kind,
        source,
        principal,
        plan: Box::new(plan),
    };
    let mut writer = store.create(&opened)?;
    let state = store.read(&id)?;
    forward(backend, store, &mut writer, state, options).await
}

/// Continues an open migration from its first step not done.
pub async fn resume(
    backend: &dyn Backend,
    store: &JournalStore,
    journal_id: &str,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let state = store.read(journal_id)?;
    if let Some((o, _)) = state.closed {
        return Err(MigrateError::Closed {
            id: state.id,
            outcome: o.as_str(),
        });
    }
    if state.rolling_back {
        return Err(MigrateError::RollingBack(state.id));
    }
    ensure_same_source(backend, &state, options).await?;
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let (mut writer, state) = store.open(journal_id)?;
    forward(backend, store, &mut writer, state, options).await
}

/// Refuses a backend that is not the journal's source: another kind of source or another
/// snapshot file (when the caller says what it opened), or another tenant.
async fn ensure_same_source(
    backend: &dyn Backend,
    state: &JournalState,
    options: &Options,
) -> Result<(), MigrateError> {
    let journal = &state.source;
    if let Some(given) = &options.source {
        let where_ = |s: &SourceRecord| match (&s.path, s.kind.as_str()) {
            (Some(p), _) => format!("snapshot file {}", p.display()),
            (None, "live") => format!(
                "the live tenant{}",
                s.tenant
                    .as_deref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default()
            ),
            (None, kind) => format!("the {kind} tenant"),
        };
        let same_file = match (&journal.path, &given.path) {
            (Some(a), Some(b)) => same_path(a, b),
            (None, None) => true,
            _ => false,
        };
        if journal.kind != given.kind || !same_file {
            return Err(MigrateError::WrongSource {
                journal_id: state.id.clone(),
                journal: where_(journal),
                given: where_(given),
            });
        }
    }
    let want = state.plan.tenant_id.trim();
    if let Some(got) = backend.tenant_id().await?
        && !want.is_empty()
        && want != "unknown"
        && got != "unknown"
        && !got.trim().eq_ignore_ascii_case(want)
    {
        return Err(MigrateError::WrongTenant {
            journal_id: state.id.clone(),
            journal_tenant: want.to_string(),
            given_tenant: got,
        });
    }
    Ok(())
}

fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}

/// Undoes, newest first, every step this migration changed, then closes it — unless that
/// would leave the identity without a usable credential: then it stops before changing
/// anything (`MigrateError::Lockout`). Works on an open migration and on one that is done;
/// not on one already rolled back or abandoned.
pub async fn rollback(
    backend: &dyn Backend,
    store: &JournalStore,
    journal_id: &str,
    options: &Options,
) -> Result<Summary, MigrateError> {
    rollback_with(backend, store, journal_id, &RollbackMode::Safe, options).await
}

/// `rollback`, saying what to do when undoing a step would leave the identity without a
/// usable credential.
pub async fn rollback_with(
    backend: &dyn Backend,
    store: &JournalStore,
    journal_id: &str,
    mode: &RollbackMode,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let state = store.read(journal_id)?;
    if let Some((o, _)) = state.closed
        && o != Outcome::Done
    {
        return Err(MigrateError::Closed {
            id: state.id,
            outcome: o.as_str(),
        });
    }
    if let RollbackMode::Force { confirmation } = mode {
        let id = &state.plan.identity;
        let c = confirmation.trim();
        if c.is_empty() || !(c == id.display_name.trim() || c.eq_ignore_ascii_case(&id.object_id)) {
            return Err(MigrateError::ForceNotConfirmed {
                identity: id.display_name.clone(),
                object_id: id.object_id.clone(),
                given: confirmation.clone(),
            });
        }
    }
    ensure_same_source(backend, &state, options).await?;
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let (mut w, mut state) = store.open(journal_id)?;
    let undos = pending_undos(&state);

    // First the whole rollback on paper, against the credentials the identity has now: one
    // that would break the lockout rule stops here, before any change.
    let mut keep: Vec<usize> = Vec::new();
    if !matches!(mode, RollbackMode::Force { .. }) {
        let (breaking, first) = simulate(backend, &state, &undos, options).await?;
        match (mode, first) {
            (RollbackMode::KeepNewCredential, _) => keep = breaking,
            (_, Some(lockout)) => {
                return Err(MigrateError::Lockout {
                    journal_id: state.id.clone(),
                    lockout: Box::new(lockout),
                    changed_nothing: true,
                });
            }
            (_, None) => {}
        }
    }

    options.emit(Event::Started {
        journal_id: state.id.clone(),
        steps: state.plan.steps.len(),
    });
    if !state.rolling_back {
        w.append(&Record::RollbackStarted { at: options.now() })?;
    }
    for (index, undo) in undos {
        let step = state.plan.steps[index].clone();
        if keep.contains(&index) {
            kept(&mut w, &state, index, options)?;
            state = store.read(journal_id)?;
            continue;
        }
        // Between undos, as between steps: held while paused, stopped when cancelled (the
        // journal stays rolling back; `rollback` again continues).
        options.hold().await;
        if options.cancel.is_cancelled() {
            let outcome = RunOutcome::Cancelled { next: index };
            options.emit(Event::Finished {
                outcome: outcome.clone(),
            });
            return Ok(Summary {
                journal_id: state.id.clone(),
                outcome,
                record: None,
                state: store.read(journal_id)?,
            });
        }
        options.emit(Event::UndoStarted { index });
        // Undo only what is there, and only what this migration made: a step that failed
        // before its action took effect has nothing to undo, and a look-alike is not ours.
        match check_with_retry(backend, &step.verification, options).await {
            Ok(CheckOutcome::Holds) => {}
            Ok(CheckOutcome::Missing) => {
                let mut r = Record::step(index, StepState::Undone, options.now());
                if let Record::Step { note, .. } = &mut r {
                    *note = Some("nothing to undo: the change was not in place".into());
                }
                w.append(&r)?;
                options.emit(Event::StepUndone { index });
                continue;
            }
            Ok(CheckOutcome::Differs { expected, found }) => {
                let f = Failure::look_alike(&step.verification, expected, found, true);
                return undo_failed(store, &mut w, &state, index, f, options);
            }
            Err(e) => return undo_failed(store, &mut w, &state, index, e.into(), options),
        }
        if let Change::AddPassword { credential, .. } = &undo
            && !backend.restores_removed_secrets()
        {
            // Graph's addPassword would make a different secret (new keyId, new value): not
            // an undo. The removal stays; the record says what to do instead.
            let reason = format!(
                "secret {} cannot be restored on a live tenant: a removed secret's value is gone, and a new secret gets a new keyId and value",
                secret_label(&credential.key_id, credential.display_name.as_deref())
            );
            let mut r = Record::step(index, StepState::NotRestorable, options.now());
            if let Record::Step {
                phase,
                undo: u,
                note,
                applied,
                ..
            } = &mut r
            {
                *phase = Some(Phase::Undo);
                *u = Some(undo.clone());
                *note = Some(reason.clone());
                *applied = true;
            }
            w.append(&r)?;
            options.emit(Event::UndoNotPossible { index, reason });
            state = store.read(journal_id)?;
            continue;
        }
        // The rule again, on the credentials as they are at this instant: the tenant may
        // have changed since the simulation.
        let mut forced = None;
        if safety::removes_access(&undo) {
            let inv = match inventory(backend, &state, options).await {
                Ok(inv) => inv,
                Err(e) => return undo_failed(store, &mut w, &state, index, e.into(), options),
            };
            if let Err(mut lockout) = safety::guard(&state.plan, &inv, index, &undo, true) {
                lockout.unrestored = unrestored_words(&state);
                match mode {
                    RollbackMode::Safe => {
                        return Err(MigrateError::Lockout {
                            journal_id: state.id.clone(),
                            lockout,
                            changed_nothing: false,
                        });
                    }
                    RollbackMode::KeepNewCredential => {
                        kept(&mut w, &state, index, options)?;
                        state = store.read(journal_id)?;
                        continue;
                    }
                    RollbackMode::Force { .. } => {
                        forced = Some(format!(
                            "forced (the identity's name was typed to confirm): {lockout}"
                        ));
                    }
                }
            }
        }
        w.append(&Record::step(index, StepState::UndoStarted, options.now()))?;
        let applied = match backend.apply(&undo).await {
            Ok(a) => a,
            Err(e) => return undo_failed(store, &mut w, &state, index, e.into(), options),
        };
        let mut note = forced;
        if applied.secret.is_some() {
            // Re-adding a removed secret makes a new value; credwise never shows or keeps one.
            note = Some("a secret was added back with a new value, which credwise discarded unseen; the old value is gone".to_string());
        }
        drop(applied);
        // Undone when the step's verification no longer holds.
        let mut gone = false;
        for attempt in 1..=options.backoff.attempts {
            match backend.examine(&step.verification).await {
                Ok(CheckOutcome::Holds) => {}
                Ok(_) => {
                    gone = true;
                    break;
                }
                Err(e) => return undo_failed(store, &mut w, &state, index, e.into(), options),
            }
            if attempt < options.backoff.attempts {
                sleep(delay(options.backoff, attempt), &options.cancel).await;
            }
        }
        if !gone {
            let e = Failure::message(format!(
                "the undo was applied but step {} still shows as in place after {} checks",
                index + 1,
                options.backoff.attempts
            ));
            return undo_failed(store, &mut w, &state, index, e, options);
        }
        let mut r = Record::step(index, StepState::Undone, options.now());
        if let Record::Step { note: n, .. } = &mut r {
            *n = note;
        }
        w.append(&r)?;
        options.emit(Event::StepUndone { index });
        state = store.read(journal_id)?;
    }
    let state = store.read(journal_id)?;
    let unrestored = unrestored_secrets(&state);
    let kept = kept_steps(&state);
    let outcome = if !kept.is_empty() {
        RunOutcome::RolledBackKeeping { kept, unrestored }
    } else if unrestored.is_empty() {
        RunOutcome::RolledBack
    } else {
        RunOutcome::RolledBackExceptSecrets { unrestored }
    };
    close(
        store,
        &mut w,
        journal_id,
        Outcome::RolledBack,
        outcome,
        options,
    )
}

/// The undos a rollback makes, newest first: every step this migration may have changed
/// and has not undone (nor left in place for good).
fn pending_undos(state: &JournalState) -> Vec<(usize, Change)> {
    (0..state.steps.len())
        .rev()
        .filter_map(|index| {
            let p = &state.steps[index];
            let settled = matches!(
                p.state,
                Some(StepState::Undone) | Some(StepState::NotRestorable) | Some(StepState::Kept)
            );
            if settled || p.already_in_place || !p.may_have_applied() {
                return None;
            }
            let undo = p
                .undo
                .clone()
                .unwrap_or_else(|| state.plan.steps[index].undo.clone());
            Some((index, undo))
        })
        .collect()
}

/// Journals a step as kept by a rollback that keeps the new credential.
fn kept(
    w: &mut JournalWriter,
    state: &JournalState,
    index: usize,
    options: &Options,
) -> Result<(), MigrateError> {
    let reason = format!(
        "kept: undoing it would leave {} without a usable credential ({} stays)",
        state.plan.identity.display_name,
        kept_label(&state.plan.steps[index].action)
    );
    let mut r = Record::step(index, StepState::Kept, options.now());
    if let Record::Step { note, applied, .. } = &mut r {
        *note = Some(reason.clone());
        *applied = true;
    }
    w.append(&r)?;
    options.emit(Event::StepKept { index, reason });
    Ok(())
}

/// The rollback on paper: each undo in order against the inventory read now (a secret a
/// snapshot puts back counts again; a removal a live tenant cannot undo stays removed; an
/// undo of a change that is not in place removes nothing). Returns the undos that would each
/// have left the identity without a usable credential — what a rollback that keeps the new
/// credential leaves in place — and the first one's `Lockout`, with every reason.
async fn simulate(
    backend: &dyn Backend,
    state: &JournalState,
    undos: &[(usize, Change)],
    options: &Options,
) -> Result<(Vec<usize>, Option<Lockout>), MigrateError> {
    if !undos.iter().any(|(_, u)| safety::removes_access(u)) {
        return Ok((Vec::new(), None));
    }
    let restores = backend.restores_removed_secrets();
    let mut inv = inventory(backend, state, options).await?;
    let mut unrestored = unrestored_words(state);
    let mut breaking = Vec::new();
    let mut first = None;
    for (index, undo) in undos {
        if let Change::AddPassword { credential, .. } = undo {
            if !restores {
                unrestored.push(secret_words(
                    &credential.key_id,
                    credential.display_name.as_deref(),
                ));
            } else if let Some(back) = safety::gives(&state.plan, undo, options.now()) {
                inv = inv.with(back);
            }
            continue;
        }
        if let Some(back) = safety::gives(&state.plan, undo, options.now()) {
            inv = inv.with(back);
            continue;
        }
        if !safety::removes_access(undo) {
            continue;
        }
        let step = &state.plan.steps[*index];
        if !check_with_retry(backend, &step.verification, options)
            .await?
            .holds()
        {
            continue;
        }
        match safety::guard(&state.plan, &inv, *index, undo, true) {
            Err(mut lockout) => {
                breaking.push(*index);
                if first.is_none() {
                    lockout.unrestored = unrestored.clone();
                    first = Some(*lockout);
                }
            }
            Ok(()) => {
                if let Some(taken) = safety::takes(&state.plan, undo) {
                    inv = inv.without(&taken);
                }
            }
        }
    }
    Ok((breaking, first))
}

/// The secrets this migration removed that a rollback already left removed, in words.
fn unrestored_words(state: &JournalState) -> Vec<String> {
    unrestored_secrets(state)
        .iter()
        .map(|u| secret_words(&u.key_id, u.display_name.as_deref()))
        .collect()
}

fn secret_words(key_id: &str, display_name: Option<&str>) -> String {
    format!("client secret {}", secret_label(key_id, display_name))
}

/// What the identity can sign in with now: its credentials read from the backend, and — for
/// a move to a managed identity — whether that identity and every grant this migration
/// verified are in place, by content.
async fn inventory(
    backend: &dyn Backend,
    state: &JournalState,
    options: &Options,
) -> Result<Inventory, BackendError> {
    let plan = &state.plan;
    let credentials = backend.credentials(&plan.identity.target).await?;
    let verified: Vec<bool> = state
        .steps
        .iter()
        .map(|p| (p.verified || p.already_in_place) && p.state != Some(StepState::Undone))
        .collect();
    let mut identity_in_place = false;
    if plan.kind == MigrationKind::SecretToManagedIdentity {
        let grants: Vec<usize> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(
                    s.action,
                    Change::CreateUserAssignedIdentity { .. } | Change::AddRoleAssignment { .. }
                )
            })
            .map(|(i, _)| i)
            .collect();
        identity_in_place = true;
        if grants.is_empty() {
            // An existing identity that already held every role: the removals' guard says
            // whether it is (still) there.
            match plan
                .first_removal()
                .and_then(|i| plan.steps[i].precondition.as_ref())
            {
                Some(guard) => {
                    identity_in_place = check_with_retry(backend, guard, options).await?.holds()
                }
                None => identity_in_place = false,
            }
        }
        for i in grants {
            if !verified[i]
                || !check_with_retry(backend, &plan.steps[i].verification, options)
                    .await?
                    .holds()
            {
                identity_in_place = false;
                break;
            }
        }
    }
    Ok(Workload {
        plan,
        verified: &verified,
        credentials: &credentials,
        identity_in_place,
        now: options.now(),
    }
    .inventory())
}

/// Ends a migration without touching the tenant (a demo run whose process ended, or one the
/// user gives up on), and writes its record.
pub fn abandon(
    store: &JournalStore,
    journal_id: &str,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let state = store.read(journal_id)?;
    if let Some((o, _)) = state.closed {
        return Err(MigrateError::Closed {
            id: state.id,
            outcome: o.as_str(),
        });
    }
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let (mut w, _) = store.open(journal_id)?;
    close(
        store,
        &mut w,
        journal_id,
        Outcome::Abandoned,
        RunOutcome::Abandoned,
        options,
    )
}

/// The record of an ended migration, written from its journal when it is missing (credwise
/// was killed between the journal's `closed` line and the record). `None` for a migration
/// that has not ended.
pub fn ensure_record(
    store: &JournalStore,
    state: &JournalState,
) -> Result<Option<PathBuf>, JournalError> {
    if state.closed.is_none() {
        return Ok(None);
    }
    let path = store.record_path(&state.id);
    if path.exists() {
        return Ok(Some(path));
    }
    store
        .write_record(&state.id, &super::migration_record::render(state))
        .map(Some)
}

/// `ensure_record` for every journal; returns the ids whose record was rebuilt.
pub fn rebuild_missing_records(store: &JournalStore) -> Result<Vec<String>, JournalError> {
    let (all, _) = store.list()?;
    let mut rebuilt = Vec::new();
    for state in &all {
        if state.closed.is_some() && !store.record_path(&state.id).exists() {
            ensure_record(store, state)?;
            rebuilt.push(state.id.clone());
        }
    }
    Ok(rebuilt)
}

fn close(
    store: &JournalStore,
    w: &mut JournalWriter,
    journal_id: &str,
    outcome: Outcome,
    run_outcome: RunOutcome,
    options: &Options,
) -> Result<Summary, MigrateError> {
    w.append(&Record::Closed {
        outcome,
        at: options.now(),
    })?;
    let state = store.read(journal_id)?;
    let record = store.write_record(journal_id, &super::migration_record::render(&state))?;
    options.emit(Event::Finished {
        outcome: run_outcome.clone(),
    });
    Ok(Summary {
        journal_id: journal_id.to_string(),
        outcome: run_outcome,
        record: Some(record),
        state,
    })
}

/// Why a step (or its undo) failed: the message, the exit code, and a look-alike's two sides.
struct Failure {
    message: String,
    exit_code: u8,
    expected: Option<String>,
    found: Option<String>,
}

impl Failure {
    fn message(message: String) -> Self {
        Self {
            message,
            exit_code: 2,
            expected: None,
            found: None,
        }
    }

    /// A look-alike stands where the step's change should be: exit 2 (the tenant is not what
    /// this migration made), both sides named.
    fn look_alike(check: &Check, expected: String, found: String, undo: bool) -> Self {
        let what = if undo {
            "not undone: what is in place is not what this migration made"
        } else {
            "not verified: a look-alike is in place"
        };
        Self {
            message: format!(
                "{what} ({}): expected {expected}; found {found}",
                describe_check(check)
            ),
            exit_code: 2,
            expected: Some(expected),
            found: Some(found),
        }
    }
}

impl From<BackendError> for Failure {
    fn from(e: BackendError) -> Self {
        Self {
            message: e.to_string(),
            exit_code: e.exit_code(),
            expected: None,
            found: None,
        }
    }
}

fn undo_failed(
    store: &JournalStore,
    w: &mut JournalWriter,
    state: &JournalState,
    index: usize,
    f: Failure,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let mut r = Record::step(index, StepState::UndoFailed, options.now());
    if let Record::Step {
        phase,
        error,
        expected,
        found,
        ..
    } = &mut r
    {
        *phase = Some(Phase::Undo);
        *error = Some(f.message.clone());
        *expected = f.expected.clone();
        *found = f.found.clone();
    }
    w.append(&r)?;
    options.emit(Event::UndoFailed {
        index,
        error: f.message.clone(),
    });
    let outcome = RunOutcome::RollbackFailed {
        index,
        error: f.message,
        exit_code: f.exit_code,
    };
    options.emit(Event::Finished {
        outcome: outcome.clone(),
    });
    Ok(Summary {
        journal_id: state.id.clone(),
        outcome,
        record: None,
        state: store.read(&state.id)?,
    })
}

/// Runs the steps not yet done, in order.
async fn forward(
    backend: &dyn Backend,
    store: &JournalStore,
    w: &mut JournalWriter,
    mut state: JournalState,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let id = state.id.clone();
    options.emit(Event::Started {
        journal_id: id.clone(),
        steps: state.plan.steps.len(),
    });
    let mut rechecked = false;
    for index in 0..state.steps.len() {
        if state.steps[index].is_complete() {
            continue;
        }
        // Between steps: a screen asking whether to stop holds the run here.
        options.hold().await;
        if options.cancel.is_cancelled() {
            let outcome = RunOutcome::Cancelled { next: index };
            options.emit(Event::Finished {
                outcome: outcome.clone(),
            });
            return Ok(Summary {
                journal_id: id,
                outcome,
                record: None,
                state,
            });
        }
        // An earlier attempt that may have made the change: if it is in place now, it is
        // this migration's (to undo on rollback), not a pre-existing state.
        let resumed = state.steps[index].may_have_applied();
        w.append(&Record::step(index, StepState::Started, options.now()))?;
        options.emit(Event::StepStarted { index });
        let step = state.plan.steps[index].clone();

        // Already in place? After a crash between the action and its record, this is how
        // the step is found done instead of being applied twice. By content: a look-alike
        // under the same name is not this step's change.
        match check_with_retry(backend, &step.verification, options).await {
            Ok(CheckOutcome::Holds)
                if !resumed && matches!(step.action, Change::CreateUserAssignedIdentity { .. }) =>
            {
                // An identity this migration did not create has taken the planned ARM id
                // since the plan: its ids are not the ones later steps would grant roles to.
                let f = Failure::message(format!(
                    "not created: a managed identity with this id already exists, made by someone else since the plan ({}); plan again with --managed-identity to use it",
                    describe_check(&step.verification)
                ));
                return failed(store, w, &state, index, Phase::Check, f, options);
            }
            Ok(CheckOutcome::Holds) => {
                let now = options.now();
                let mut r = if resumed {
                    let mut r = Record::step(index, StepState::Verified, now);
                    if let Record::Step {
                        applied,
                        note,
                        undo,
                        ..
                    } = &mut r
                    {
                        *applied = true;
                        *undo = Some(step.undo.clone());
                        *note = Some("found in place on resume".into());
                    }
                    r
                } else {
                    Record::step(index, StepState::AlreadyInPlace, now)
                };
                if resumed
                    && let Change::CreateUserAssignedIdentity { identity } = &step.action
                    && let Some(ids) = created_ids(backend, &identity.id).await
                    && let Record::Step { created, .. } = &mut r
                {
                    *created = Some(ids);
                }
                w.append(&r)?;
                if let Record::Step {
                    created: Some(c), ..
                } = &r
                {
                    options.emit(Event::Rebound {
                        principal_id: c.principal_id.clone(),
                        client_id: c.client_id.clone(),
                    });
                }
                options.emit(if resumed {
                    Event::StepVerified { index }
                } else {
                    Event::StepSkipped {
                        index,
                        reason: "already in place".into(),
                    }
                });
                state = store.read(&id)?;
                continue;
            }
            Ok(CheckOutcome::Missing) => {}
            Ok(CheckOutcome::Differs { expected, found }) => {
                let f = Failure::look_alike(&step.verification, expected, found, false);
                return failed(store, w, &state, index, Phase::Check, f, options);
            }
            Err(e) => return failed(store, w, &state, index, Phase::Check, e.into(), options),
        }
        if let Some(pre) = &step.precondition {
            match check_with_retry(backend, pre, options).await {
                Ok(CheckOutcome::Holds) => {}
                Ok(CheckOutcome::Missing) => {
                    let f =
                        Failure::message(format!("precondition not met: {}", describe_check(pre)));
                    return failed(store, w, &state, index, Phase::Precondition, f, options);
                }
                Ok(CheckOutcome::Differs { expected, found }) => {
                    let mut f = Failure::look_alike(pre, expected, found, false);
                    f.message = format!("precondition not met: {}", f.message);
                    return failed(store, w, &state, index, Phase::Precondition, f, options);
                }
                Err(e) => {
                    return failed(
                        store,
                        w,
                        &state,
                        index,
                        Phase::Precondition,
                        e.into(),
                        options,
                    );
                }
            }
        }
        // Before the first secret removal of this run, every earlier step is checked again,
        // also those verified by an earlier run: the tenant may have changed since.
        if step.removes_secret && !rechecked {
            for (j, earlier) in state.plan.steps[..index].iter().enumerate() {
                if earlier.removes_secret {
                    continue;
                }
                let f = match check_with_retry(backend, &earlier.verification, options).await {
                    Ok(CheckOutcome::Holds) => continue,
                    Ok(CheckOutcome::Missing) => Failure::message(format!(
                        "precondition not met: step {} is no longer in place ({}); no secret was removed",
                        j + 1,
                        describe_check(&earlier.verification)
                    )),
                    Ok(CheckOutcome::Differs { expected, found }) => {
                        let mut f =
                            Failure::look_alike(&earlier.verification, expected, found, false);
                        f.message = format!(
                            "precondition not met: step {} is no longer what it made, {}; no secret was removed",
                            j + 1,
                            f.message
                        );
                        f
                    }
                    Err(e) => e.into(),
                };
                return failed(store, w, &state, index, Phase::Precondition, f, options);
            }
            rechecked = true;
        }
        // No removal may leave the identity without a usable credential, read as it is now.
        if safety::removes_access(&step.action) {
            let inv = match inventory(backend, &state, options).await {
                Ok(inv) => inv,
                Err(e) => {
                    return failed(
                        store,
                        w,
                        &state,
                        index,
                        Phase::Precondition,
                        e.into(),
                        options,
                    );
                }
            };
            if let Err(lockout) = safety::guard(&state.plan, &inv, index, &step.action, false) {
                let f = Failure::message(format!(
                    "precondition not met: {lockout}; no secret was removed"
                ));
                return failed(store, w, &state, index, Phase::Precondition, f, options);
            }
        }
        let applied = match backend.apply(&step.action).await {
            Ok(a) => a,
            Err(e) => return failed(store, w, &state, index, Phase::Apply, e.into(), options),
        };
        // No plan step creates a secret; should a backend return one anyway, it is dropped
        // here, unseen and unjournaled.
        let discarded_secret = applied.secret.is_some();
        let created = applied.created.as_ref().map(|c| CreatedIds {
            principal_id: c.principal_id.clone(),
            client_id: c.client_id.clone(),
        });
        let mut r = Record::step(index, StepState::Applied, options.now());
        if let Record::Step {
            applied: a,
            undo,
            created: c,
            note,
            ..
        } = &mut r
        {
            *a = true;
            *undo = Some(applied.undo.clone());
            *c = created.clone();
            if discarded_secret {
                *note = Some("the service returned a secret value; credwise discarded it".into());
            }
        }
        drop(applied);
        w.append(&r)?;
        options.emit(Event::StepApplied { index });
        // The step's checks learn the ids Azure chose for a created identity.
        let verification = if let Some(c) = created {
            state = store.read(&id)?;
            options.emit(Event::Rebound {
                principal_id: c.principal_id,
                client_id: c.client_id,
            });
            state.plan.steps[index].verification.clone()
        } else {
            step.verification.clone()
        };
        match verify(backend, &verification, index, options).await {
            Verified::Yes => {
                let mut r = Record::step(index, StepState::Verified, options.now());
                if let Record::Step { applied, .. } = &mut r {
                    *applied = true;
                }
                w.append(&r)?;
                options.emit(Event::StepVerified { index });
            }
            Verified::No => {
                let f = Failure::message(format!(
                    "the change was applied but did not show after {} checks; run `credwise migrate resume {id}` later (it checks again before doing anything)",
                    options.backoff.attempts
                ));
                return failed(store, w, &state, index, Phase::Verify, f, options);
            }
            Verified::LookAlike { expected, found } => {
                let f = Failure::look_alike(&verification, expected, found, false);
                return failed(store, w, &state, index, Phase::Verify, f, options);
            }
            Verified::Cancelled => {
                // The step stays `applied` in the journal; resume verifies it.
                let outcome = RunOutcome::Cancelled { next: index };
                options.emit(Event::Finished {
                    outcome: outcome.clone(),
                });
                return Ok(Summary {
                    journal_id: id.clone(),
                    outcome,
                    record: None,
                    state: store.read(&id)?,
                });
            }
            Verified::Error(e) => {
                return failed(store, w, &state, index, Phase::Verify, e.into(), options);
            }
        }
        state = store.read(&id)?;
    }
    close(store, w, &id, Outcome::Done, RunOutcome::Done, options)
}

fn failed(
    store: &JournalStore,
    w: &mut JournalWriter,
    state: &JournalState,
    index: usize,
    phase: Phase,
    f: Failure,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let mut r = Record::step(index, StepState::Failed, options.now());
    if let Record::Step {
        phase: p,
        error,
        expected,
        found,
        ..
    } = &mut r
    {
        *p = Some(phase);
        *error = Some(f.message.clone());
        *expected = f.expected.clone();
        *found = f.found.clone();
    }
    w.append(&r)?;
    options.emit(Event::StepFailed {
        index,
        error: f.message.clone(),
    });
    let outcome = RunOutcome::Failed {
        index,
        error: f.message,
        exit_code: f.exit_code,
    };
    options.emit(Event::Finished {
        outcome: outcome.clone(),
    });
    Ok(Summary {
        journal_id: state.id.clone(),
        outcome,
        record: None,
        state: store.read(&state.id)?,
    })
}

enum Verified {
    Yes,
    No,
    /// Something stands under the step's name or id, but it is not what the step made.
    LookAlike {
        expected: String,
        found: String,
    },
    Cancelled,
    Error(BackendError),
}

/// Checks `check` until it holds, with backoff; throttling waits as the service asks (capped).
/// A look-alike ends the wait at once: propagation does not turn one object into another.
async fn verify(backend: &dyn Backend, check: &Check, index: usize, o: &Options) -> Verified {
    for attempt in 1..=o.backoff.attempts {
        o.emit(Event::StepVerifying { index, attempt });
        match backend.examine(check).await {
            Ok(CheckOutcome::Holds) => return Verified::Yes,
            Ok(CheckOutcome::Missing) => {}
            Ok(CheckOutcome::Differs { expected, found }) => {
                return Verified::LookAlike { expected, found };
            }
            Err(BackendError::Throttled { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs).min(o.backoff.max_delay);
                if !sleep(wait.max(delay(o.backoff, attempt)), &o.cancel).await {
                    return Verified::Cancelled;
                }
                continue;
            }
            Err(e) => return Verified::Error(e),
        }
        if attempt < o.backoff.attempts && !sleep(delay(o.backoff, attempt), &o.cancel).await {
            return Verified::Cancelled;
        }
    }
    Verified::No
}

/// A check that rides out throttling (up to `attempts` tries); other errors return at once.
async fn check_with_retry(
    backend: &dyn Backend,
    check: &Check,
    o: &Options,
) -> Result<CheckOutcome, BackendError> {
    let attempts = o.backoff.attempts;
    let mut last = None;
    for attempt in 1..=attempts {
        match backend.examine(check).await {
            Ok(v) => return Ok(v),
            Err(BackendError::Throttled { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs).min(o.backoff.max_delay);
                last = Some(BackendError::Throttled { retry_after_secs });
                if attempt < attempts {
                    sleep(wait.max(delay(o.backoff, attempt)), &o.cancel).await;
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(BackendError::Cancelled))
}

/// The wait after attempt `attempt` (1-based): doubling from `first_delay`, capped.
fn delay(b: Backoff, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    b.first_delay.saturating_mul(factor).min(b.max_delay)
}

/// Sleeps unless cancelled first; false when cancelled.
async fn sleep(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = cancel.cancelled() => false,
    }
}

/// The ids of an identity found already created on resume (its create step was applied but
/// not journaled before a crash): read back from the tenant.
async fn created_ids(backend: &dyn Backend, arm_id: &str) -> Option<CreatedIds> {
    let scope = Scope {
        subscriptions: crate::domain::objects::arm_segment(arm_id, "subscriptions")
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
    };
    let loaded = backend.load(&scope, &Progress::silent()).await.ok()?;
    loaded
        .snapshot
        .user_assigned_identities
        .iter()
        .find(|u| u.id.eq_ignore_ascii_case(arm_id))
        .map(|u| CreatedIds {
            principal_id: u.principal_id.clone(),
            client_id: u.client_id.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remedy_for_an_unrestored_secret_names_it_and_the_azure_cli_command() {
        let secret = |target, display_name: Option<&str>| UnrestoredSecret {
            index: 2,
            target,
            key_id: "k-1".into(),
            display_name: display_name.map(str::to_string),
        };
        let app = secret(Target::Application("obj-1".into()), Some("prod 'main'"));
        let r = app.remedy(Some("app-1"));
        assert!(
            r.starts_with("secret \"prod 'main'\" (keyId k-1) was removed"),
            "{r}"
        );
        assert!(
            r.contains(
                "`az ad app credential reset --id app-1 --append --display-name 'prod main'`"
            ),
            "{r}"
        );
        assert!(
            app.remedy(None).contains("--id obj-1 "),
            "without an appId, the object id"
        );
        let sp = secret(Target::ServicePrincipal("sp-1".into()), None);
        let r = sp.remedy(Some("app-1"));
        assert!(r.starts_with("secret keyId k-1 was removed"), "{r}");
        assert!(
            r.contains("`az ad sp credential reset --id sp-1 --append`"),
            "{r}"
        );
    }
}
