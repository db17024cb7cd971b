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
//! Progress goes out as `Event`s over a channel (for a spinner and per-step results). A
//! `CancellationToken` stops the run (and a rollback) between steps: the current step is
//! finished or journaled, never left unrecorded. A `Pause` holds it between steps while a
//! screen asks whether to stop. The lock on the identity is held for the whole run.
//!
//! API for screens:
//! - `run(backend, store, plan, source, &options)` starts a new migration,
//! - `resume(backend, store, journal_id, &options)` continues one,
//! - `rollback(backend, store, journal_id, &options)` undoes one,
//! - `abandon(store, journal_id, clock)` ends one without touching the tenant;
//!
//! each returns a `Summary` (the journal id, the `RunOutcome`, the record's path, the state).
//!
//! May import `backend`, `store` and `domain`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, Error as BackendError, Progress, Scope};
use crate::domain::Timestamp;
use crate::domain::change::{Change, Check, Target};
use crate::domain::migration::{GuidanceTemplates, IdSource, Plan};
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
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let (mut writer, state) = store.open(journal_id)?;
    forward(backend, store, &mut writer, state, options).await
}

/// Undoes, newest first, every step this migration changed, then closes it. Works on an open
/// migration and on one that is done; not on one already rolled back or abandoned.
pub async fn rollback(
    backend: &dyn Backend,
    store: &JournalStore,
    journal_id: &str,
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
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let (mut w, mut state) = store.open(journal_id)?;
    options.emit(Event::Started {
        journal_id: state.id.clone(),
        steps: state.plan.steps.len(),
    });
    if !state.rolling_back {
        w.append(&Record::RollbackStarted { at: options.now() })?;
    }
    for index in (0..state.steps.len()).rev() {
        let p = &state.steps[index];
        let undone = matches!(
            p.state,
            Some(StepState::Undone) | Some(StepState::NotRestorable)
        );
        if undone || p.already_in_place || !p.may_have_applied() {
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
        let step = state.plan.steps[index].clone();
        let undo = p.undo.clone().unwrap_or_else(|| step.undo.clone());
        options.emit(Event::UndoStarted { index });
        // Undo only what is there: a step that failed before its action took effect has
        // nothing to undo.
        let present = match check_with_retry(backend, &step.verification, options).await {
            Ok(v) => v,
            Err(e) => return undo_failed(store, &mut w, &state, index, e, options),
        };
        if !present {
            let mut r = Record::step(index, StepState::Undone, options.now());
            if let Record::Step { note, .. } = &mut r {
                *note = Some("nothing to undo: the change was not in place".into());
            }
            w.append(&r)?;
            options.emit(Event::StepUndone { index });
            continue;
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
        w.append(&Record::step(index, StepState::UndoStarted, options.now()))?;
        let applied = match backend.apply(&undo).await {
            Ok(a) => a,
            Err(e) => return undo_failed(store, &mut w, &state, index, e, options),
        };
        let mut note = None;
        if applied.secret.is_some() {
            // Re-adding a removed secret makes a new value; credwise never shows or keeps one.
            note = Some("a secret was added back with a new value, which credwise discarded unseen; the old value is gone".to_string());
        }
        drop(applied);
        // Undone when the step's verification no longer holds.
        let mut gone = false;
        for attempt in 1..=options.backoff.attempts {
            match backend.check(&step.verification).await {
                Ok(false) => {
                    gone = true;
                    break;
                }
                Ok(true) => {}
                Err(e) => return undo_failed(store, &mut w, &state, index, e, options),
            }
            if attempt < options.backoff.attempts {
                sleep(delay(options.backoff, attempt), &options.cancel).await;
            }
        }
        if !gone {
            let e = BackendError::Unavailable(format!(
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
    let unrestored = unrestored_secrets(&store.read(journal_id)?);
    let outcome = if unrestored.is_empty() {
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

fn undo_failed(
    store: &JournalStore,
    w: &mut JournalWriter,
    state: &JournalState,
    index: usize,
    e: BackendError,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let mut r = Record::step(index, StepState::UndoFailed, options.now());
    if let Record::Step { phase, error, .. } = &mut r {
        *phase = Some(Phase::Undo);
        *error = Some(e.to_string());
    }
    w.append(&r)?;
    options.emit(Event::UndoFailed {
        index,
        error: e.to_string(),
    });
    let outcome = RunOutcome::RollbackFailed {
        index,
        error: e.to_string(),
        exit_code: e.exit_code(),
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
        // the step is found done instead of being applied twice.
        match check_with_retry(backend, &step.verification, options).await {
            Ok(true) => {
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
            Ok(false) => {}
            Err(e) => return failed(store, w, &state, index, Phase::Check, e, options),
        }
        if let Some(pre) = &step.precondition {
            match check_with_retry(backend, pre, options).await {
                Ok(true) => {}
                Ok(false) => {
                    let e = BackendError::Unavailable(format!(
                        "precondition not met: {}",
                        crate::domain::migration::plan::describe_check(pre)
                    ));
                    return failed(store, w, &state, index, Phase::Precondition, e, options);
                }
                Err(e) => return failed(store, w, &state, index, Phase::Precondition, e, options),
            }
        }
        // Before the first secret removal of this run, every earlier step is checked again,
        // also those verified by an earlier run: the tenant may have changed since.
        if step.removes_secret && !rechecked {
            for (j, earlier) in state.plan.steps[..index].iter().enumerate() {
                if earlier.removes_secret {
                    continue;
                }
                match check_with_retry(backend, &earlier.verification, options).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let e = BackendError::Unavailable(format!(
                            "precondition not met: step {} is no longer in place ({}); no secret was removed",
                            j + 1,
                            crate::domain::migration::plan::describe_check(&earlier.verification)
                        ));
                        return failed(store, w, &state, index, Phase::Precondition, e, options);
                    }
                    Err(e) => {
                        return failed(store, w, &state, index, Phase::Precondition, e, options);
                    }
                }
            }
            rechecked = true;
        }
        let applied = match backend.apply(&step.action).await {
            Ok(a) => a,
            Err(e) => return failed(store, w, &state, index, Phase::Apply, e, options),
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
        if let Some(c) = created {
            state = store.read(&id)?;
            options.emit(Event::Rebound {
                principal_id: c.principal_id,
                client_id: c.client_id,
            });
        }
        match verify(backend, &step.verification, index, options).await {
            Verified::Yes => {
                let mut r = Record::step(index, StepState::Verified, options.now());
                if let Record::Step { applied, .. } = &mut r {
                    *applied = true;
                }
                w.append(&r)?;
                options.emit(Event::StepVerified { index });
            }
            Verified::No => {
                let e = BackendError::Unavailable(format!(
                    "the change was applied but did not show after {} checks; run `credwise migrate resume {id}` later (it checks again before doing anything)",
                    options.backoff.attempts
                ));
                return failed(store, w, &state, index, Phase::Verify, e, options);
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
                return failed(store, w, &state, index, Phase::Verify, e, options);
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
    e: BackendError,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let mut r = Record::step(index, StepState::Failed, options.now());
    if let Record::Step {
        phase: p, error, ..
    } = &mut r
    {
        *p = Some(phase);
        *error = Some(e.to_string());
    }
    w.append(&r)?;
    options.emit(Event::StepFailed {
        index,
        error: e.to_string(),
    });
    let outcome = RunOutcome::Failed {
        index,
        error: e.to_string(),
        exit_code: e.exit_code(),
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
    Cancelled,
    Error(BackendError),
}

/// Checks `check` until it holds, with backoff; throttling waits as the service asks (capped).
async fn verify(backend: &dyn Backend, check: &Check, index: usize, o: &Options) -> Verified {
    for attempt in 1..=o.backoff.attempts {
        o.emit(Event::StepVerifying { index, attempt });
        match backend.check(check).await {
            Ok(true) => return Verified::Yes,
            Ok(false) => {}
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
) -> Result<bool, BackendError> {
    let attempts = o.backoff.attempts;
    let mut last = None;
    for attempt in 1..=attempts {
        match backend.check(check).await {
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
