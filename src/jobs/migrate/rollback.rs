//! Rollback: undo, newest first, every step this migration changed, then close the migration —
//! never leaving the identity without a usable credential unless told to. The whole rollback is
//! first simulated against the credentials the identity has now (`simulate`): one that would
//! break the lockout rule stops before any change (`MigrateError::Lockout`), unless the user
//! chose to keep the new credential (`RollbackMode::KeepNewCredential`) or, confirmed by the
//! identity's name, to go ahead (`RollbackMode::Force`). Each undo checks that the step's
//! change is in place and is this migration's (by content), applies the rule again on the
//! credentials as they are at that instant, and waits until the change is gone. A secret
//! removal a backend cannot undo (a live tenant) stays removed, journaled `not-restorable`.
//!
//! May import `backend`, `store` and `domain`.

use super::checks::{self, Failure, check_with_retry};
use super::error::MigrateError;
use super::journal::Journal;
use super::journals::{close, ensure_same_source, read_open, stop};
use super::options::{Event, Options};
use super::outcome::{RunOutcome, Summary, kept_label, secret_label, unrestored_secrets};
use crate::backend::Backend;
use crate::domain::CheckOutcome;
use crate::domain::change::Change;
use crate::domain::migration::progress::{Phase, StepState};
use crate::domain::migration::safety::{self, Lockout};
use crate::store::journal::{JournalState, JournalStore, Outcome, Record};

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
    let state = read_open(store, journal_id, Some(Outcome::Done))?;
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
    let mut journal = Journal::open(store, journal_id)?;
    let undos = pending_undos(journal.state());

    // First the whole rollback on paper, against the credentials the identity has now: one
    // that would break the lockout rule stops here, before any change.
    let mut keep: Vec<usize> = Vec::new();
    if !matches!(mode, RollbackMode::Force { .. }) {
        let (breaking, first) = simulate(backend, journal.state(), &undos, options).await?;
        match (mode, first) {
            (RollbackMode::KeepNewCredential, _) => keep = breaking,
            (_, Some(lockout)) => {
                return Err(MigrateError::Lockout {
                    journal_id: journal.state().id.clone(),
                    lockout: Box::new(lockout),
                    changed_nothing: true,
                });
            }
            (_, None) => {}
        }
    }

    options.emit(Event::Started {
        journal_id: journal.state().id.clone(),
        steps: journal.state().plan.steps.len(),
    });
    if !journal.state().rolling_back {
        journal.append(Record::RollbackStarted { at: options.now() })?;
    }
    for (index, undo) in undos {
        if keep.contains(&index) {
            kept(&mut journal, index, options)?;
            continue;
        }
        // Between undos, as between steps: held while paused, stopped when cancelled (the
        // journal stays rolling back; `rollback` again continues).
        if options.held_then_cancelled().await {
            return Ok(stop(
                journal,
                RunOutcome::Cancelled { next: index },
                options,
            ));
        }
        match undo_one(backend, &mut journal, index, &undo, mode, options).await? {
            Undo::Next => {}
            Undo::Failed(f) => return undo_failed(journal, index, f, options),
            Undo::Refused(lockout) => {
                return Err(MigrateError::Lockout {
                    journal_id: journal.state().id.clone(),
                    lockout,
                    changed_nothing: false,
                });
            }
        }
    }
    let outcome = RunOutcome::rolled_back(journal.state());
    close(store, journal, Outcome::RolledBack, outcome, options)
}

/// What became of one undo.
enum Undo {
    /// Undone, found not in place, kept, or left removed: on to the next.
    Next,
    Failed(Failure),
    /// The lockout rule refused it, and the mode says to stop.
    Refused(Box<Lockout>),
}

/// Undoes step `index` (`undo` is its undo).
async fn undo_one(
    backend: &dyn Backend,
    journal: &mut Journal,
    index: usize,
    undo: &Change,
    mode: &RollbackMode,
    options: &Options,
) -> Result<Undo, MigrateError> {
    let step = journal.state().plan.steps[index].clone();
    options.step(index, StepState::UndoStarted, None);
    // Undo only what is there, and only what this migration made: a step that failed before
    // its action took effect has nothing to undo, and a look-alike is not ours.
    match check_with_retry(backend, &step.verification, options).await {
        Ok(CheckOutcome::Holds) => {}
        Ok(CheckOutcome::Missing) => {
            journal.step(index, StepState::Undone, options, |r| {
                r.note = Some("nothing to undo: the change was not in place".into());
            })?;
            return Ok(Undo::Next);
        }
        Ok(CheckOutcome::Differs { expected, found }) => {
            let f = Failure::look_alike(&step.verification, expected, found, true);
            return Ok(Undo::Failed(f));
        }
        Err(e) => return Ok(Undo::Failed(e.into())),
    }
    if let Change::AddPassword { credential, .. } = undo
        && !backend.restores_removed_secrets()
    {
        // Graph's addPassword would make a different secret (new keyId, new value): not an
        // undo. The removal stays; the record says what to do instead.
        let reason = format!(
            "secret {} cannot be restored on a live tenant: a removed secret's value is gone, and a new secret gets a new keyId and value",
            secret_label(&credential.key_id, credential.display_name.as_deref())
        );
        journal.step(index, StepState::NotRestorable, options, |r| {
            r.phase = Some(Phase::Undo);
            r.undo = Some(undo.clone());
            r.note = Some(reason);
            r.applied = true;
        })?;
        return Ok(Undo::Next);
    }
    // The rule again, on the credentials as they are at this instant: the tenant may have
    // changed since the simulation.
    let mut forced = None;
    if safety::removes_access(undo) {
        let state = journal.state();
        let inv = match checks::inventory(backend, state, options).await {
            Ok(inv) => inv,
            Err(e) => return Ok(Undo::Failed(e.into())),
        };
        if let Err(mut lockout) = safety::guard(&state.plan, &inv, index, undo, true) {
            lockout.unrestored = unrestored_words(state);
            match mode {
                RollbackMode::Safe => return Ok(Undo::Refused(lockout)),
                RollbackMode::KeepNewCredential => {
                    kept(journal, index, options)?;
                    return Ok(Undo::Next);
                }
                RollbackMode::Force { .. } => {
                    forced = Some(format!(
                        "forced (the identity's name was typed to confirm): {lockout}"
                    ));
                }
            }
        }
    }
    // Journaled, not announced: the screens heard `undo-started` when the undo began.
    journal.append(Record::step(index, StepState::UndoStarted, options.now()))?;
    let applied = match backend.apply(undo).await {
        Ok(a) => a,
        Err(e) => return Ok(Undo::Failed(e.into())),
    };
    let mut note = forced;
    if applied.secret.is_some() {
        // Re-adding a removed secret makes a new value; credwise never shows or keeps one.
        note = Some("a secret was added back with a new value, which credwise discarded unseen; the old value is gone".to_string());
    }
    drop(applied);
    // Undone when the step's verification no longer holds.
    match checks::gone(backend, &step.verification, options).await {
        Ok(true) => {}
        Ok(false) => {
            return Ok(Undo::Failed(Failure::message(format!(
                "the undo was applied but step {} still shows as in place after {} checks",
                index + 1,
                options.backoff.attempts
            ))));
        }
        Err(e) => return Ok(Undo::Failed(e.into())),
    }
    journal.step(index, StepState::Undone, options, |r| r.note = note)?;
    Ok(Undo::Next)
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
fn kept(journal: &mut Journal, index: usize, options: &Options) -> Result<(), MigrateError> {
    let state = journal.state();
    let reason = format!(
        "kept: undoing it would leave {} without a usable credential ({} stays)",
        state.plan.identity.display_name,
        kept_label(&state.plan.steps[index].action)
    );
    journal.step(index, StepState::Kept, options, |r| {
        r.note = Some(reason);
        r.applied = true;
    })?;
    Ok(())
}

/// Journals the failed undo of step `index` and ends the rollback there.
fn undo_failed(
    mut journal: Journal,
    index: usize,
    f: Failure,
    options: &Options,
) -> Result<Summary, MigrateError> {
    journal.step(index, StepState::UndoFailed, options, |r| {
        r.phase = Some(Phase::Undo);
        r.error = Some(f.message.clone());
        r.expected = f.expected;
        r.found = f.found;
    })?;
    let outcome = RunOutcome::RollbackFailed {
        index,
        error: f.message,
        cause: f.cause,
    };
    Ok(stop(journal, outcome, options))
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
    let mut inv = checks::inventory(backend, state, options).await?;
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
