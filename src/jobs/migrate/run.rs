//! The forward run: `run` starts a migration (journal opened, identity locked), `resume`
//! continues one from its first step not done. Each step: journal `started` → if its
//! verification already holds, record it and move on (idempotent resume after a crash between
//! an action and its journal record) → check the precondition → before the first secret
//! removal, check every earlier step again → the lockout rule on the credentials as they are
//! now → the retirement gate on the usage evidence read now (`gate`): without it the run
//! stops before the removal, journaled `waiting`, and `resume` asks again → apply → journal
//! `applied` (with the undo, any ids Azure chose, and the gate's decision: the evidence, or
//! the override and what was missing) → verify, retrying with backoff → journal `verified`. A
//! failure stops the run with the step journaled as failed; nothing is lost and `resume`
//! continues from there. Between steps the run waits while paused and stops when cancelled.
//!
//! May import `backend`, `store` and `domain`.

use super::checks::{self, Failure, Verified, check_with_retry};
use super::error::MigrateError;
use super::gate::{self, Evidence};
use super::journal::Journal;
use super::journals::{close, ensure_no_open_migration, ensure_same_source, read_open, stop};
use super::options::{Event, Options};
use super::outcome::{RunOutcome, Summary};
use crate::backend::Backend;
use crate::domain::CheckOutcome;
use crate::domain::change::Change;
use crate::domain::migration::Plan;
use crate::domain::migration::plan::describe_check;
use crate::domain::migration::progress::{Phase, StepState};
use crate::domain::migration::retirement::{GateDecision, GateVerdict};
use crate::domain::migration::safety;
use crate::store::journal::{CreatedIds, JournalStore, Outcome, Record, SourceRecord, VERSION};

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
        journal_id: id,
        at,
        migration: plan.kind,
        source,
        principal,
        plan: Box::new(plan),
        gate: Some(options.gate),
    };
    let journal = Journal::create(store, opened)?;
    forward(backend, store, journal, options).await
}

/// Continues an open migration from its first step not done.
pub async fn resume(
    backend: &dyn Backend,
    store: &JournalStore,
    journal_id: &str,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let state = read_open(store, journal_id, None)?;
    if state.rolling_back {
        return Err(MigrateError::RollingBack(state.id));
    }
    ensure_same_source(backend, &state, options).await?;
    // Opened for writing (a torn last line cut) only under the identity's lock.
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let journal = Journal::open(store, journal_id)?;
    forward(backend, store, journal, options).await
}

/// Journals step `index` as failed in `phase` and ends the run there.
fn failed(
    mut journal: Journal,
    index: usize,
    phase: Phase,
    f: Failure,
    options: &Options,
) -> Result<Summary, MigrateError> {
    journal.step(index, StepState::Failed, options, |r| {
        r.phase = Some(phase);
        r.error = Some(f.message.clone());
        r.expected = f.expected;
        r.found = f.found;
    })?;
    let outcome = RunOutcome::Failed {
        index,
        error: f.message,
        cause: f.cause,
    };
    Ok(stop(journal, outcome, options))
}

/// What a step's checks before its action decided.
enum Before {
    /// Go on to the action; a removal carries the retirement gate's decision.
    Act(Option<GateDecision>),
    /// The retirement gate holds this removal back until the evidence shows it is safe.
    Wait(GateDecision),
    /// The change is in place: the step is done (journaled).
    Done,
    /// The step failed here.
    Fail(Phase, Failure),
}

/// Runs the steps not yet done, in order.
async fn forward(
    backend: &dyn Backend,
    store: &JournalStore,
    mut journal: Journal,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let id = journal.state().id.clone();
    options.emit(Event::Started {
        journal_id: id.clone(),
        steps: journal.state().plan.steps.len(),
    });
    let mut rechecked = false;
    let mut evidence = Evidence::default();
    for index in 0..journal.state().steps.len() {
        if journal.state().steps[index].is_complete() {
            continue;
        }
        // Between steps: a screen asking whether to stop holds the run here.
        if options.held_then_cancelled().await {
            return Ok(stop(
                journal,
                RunOutcome::Cancelled { next: index },
                options,
            ));
        }
        // An earlier attempt that may have made the change: if it is in place now, it is
        // this migration's (to undo on rollback), not a pre-existing state.
        let resumed = journal.state().steps[index].may_have_applied();
        journal.step(index, StepState::Started, options, |_| {})?;
        let step = journal.state().plan.steps[index].clone();

        let decision = match before(
            backend,
            &mut journal,
            index,
            resumed,
            &mut rechecked,
            &mut evidence,
            options,
        )
        .await?
        {
            Before::Act(decision) => decision,
            Before::Wait(decision) => return waiting(journal, index, decision, options),
            Before::Done => continue,
            Before::Fail(phase, f) => return failed(journal, index, phase, f, options),
        };
        let overridden = decision
            .as_ref()
            .filter(|d| d.verdict == GateVerdict::Overridden)
            .map(gate::override_note);

        let applied = match backend.apply(&step.action).await {
            Ok(a) => a,
            Err(e) => return failed(journal, index, Phase::Apply, e.into(), options),
        };
        // No plan step creates a secret; should a backend return one anyway, it is dropped
        // here, unseen and unjournaled.
        let discarded_secret = applied.secret.is_some();
        let created = applied.created.as_ref().map(|c| CreatedIds {
            principal_id: c.principal_id.clone(),
            client_id: c.client_id.clone(),
        });
        let undo = applied.undo.clone();
        drop(applied);
        journal.step(index, StepState::Applied, options, |r| {
            r.applied = true;
            r.undo = Some(undo);
            r.created = created.clone();
            r.gate = decision;
            r.note = overridden;
            if discarded_secret {
                r.note = Some("the service returned a secret value; credwise discarded it".into());
            }
        })?;
        // The step's checks learn the ids Azure chose for a created identity (the journal's
        // state bound them into the plan).
        if let Some(c) = created {
            options.emit(Event::Rebound {
                principal_id: c.principal_id,
                client_id: c.client_id,
            });
        }
        let verification = journal.state().plan.steps[index].verification.clone();
        match checks::verify(backend, &verification, index, options).await {
            Verified::Yes => {
                journal.step(index, StepState::Verified, options, |r| r.applied = true)?;
            }
            Verified::No => {
                let f = Failure::message(format!(
                    "the change was applied but did not show after {} checks; run `credwise migrate resume {id}` later (it checks again before doing anything)",
                    options.backoff.attempts
                ));
                return failed(journal, index, Phase::Verify, f, options);
            }
            Verified::LookAlike { expected, found } => {
                let f = Failure::look_alike(&verification, expected, found, false);
                return failed(journal, index, Phase::Verify, f, options);
            }
            Verified::Cancelled => {
                // The step stays `applied` in the journal; resume verifies it.
                return Ok(stop(
                    journal,
                    RunOutcome::Cancelled { next: index },
                    options,
                ));
            }
            Verified::Error(e) => {
                return failed(journal, index, Phase::Verify, e.into(), options);
            }
        }
    }
    close(store, journal, Outcome::Done, RunOutcome::Done, options)
}

/// Journals removal step `index` as waiting on usage evidence (the decision with it) and ends
/// the run there, open: nothing was removed, and `resume` asks the gate again.
fn waiting(
    mut journal: Journal,
    index: usize,
    decision: GateDecision,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let missing = decision.missing.clone();
    journal.step(index, StepState::Waiting, options, |r| {
        r.note = Some(format!("waiting on usage evidence: {}", missing.join("; ")));
        r.gate = Some(decision);
    })?;
    let outcome = RunOutcome::Waiting {
        index,
        missing,
        idle_days: options.gate.idle_days,
    };
    Ok(stop(journal, outcome, options))
}

/// A step's checks before its action: already in place (by content), its precondition, the
/// recheck of every earlier step before the first secret removal, the lockout rule, and the
/// retirement gate on the usage evidence.
async fn before(
    backend: &dyn Backend,
    journal: &mut Journal,
    index: usize,
    resumed: bool,
    rechecked: &mut bool,
    evidence: &mut Evidence,
    options: &Options,
) -> Result<Before, MigrateError> {
    let step = journal.state().plan.steps[index].clone();
    // Already in place? After a crash between the action and its record, this is how the step
    // is found done instead of being applied twice. By content: a look-alike under the same
    // name is not this step's change.
    match check_with_retry(backend, &step.verification, options).await {
        Ok(CheckOutcome::Holds)
            if !resumed && matches!(step.action, Change::CreateUserAssignedIdentity { .. }) =>
        {
            // An identity this migration did not create has taken the planned ARM id since
            // the plan: its ids are not the ones later steps would grant roles to.
            let f = Failure::message(format!(
                "not created: a managed identity with this id already exists, made by someone else since the plan ({}); plan again with --managed-identity to use it",
                describe_check(&step.verification)
            ));
            return Ok(Before::Fail(Phase::Check, f));
        }
        Ok(CheckOutcome::Holds) if resumed => {
            let mut created = None;
            if let Change::CreateUserAssignedIdentity { identity } = &step.action {
                created = checks::created_ids(backend, &identity.id).await;
            }
            if let Some(c) = &created {
                options.emit(Event::Rebound {
                    principal_id: c.principal_id.clone(),
                    client_id: c.client_id.clone(),
                });
            }
            journal.step(index, StepState::Verified, options, |r| {
                r.applied = true;
                r.undo = Some(step.undo.clone());
                r.note = Some("found in place on resume".into());
                r.created = created;
            })?;
            return Ok(Before::Done);
        }
        Ok(CheckOutcome::Holds) => {
            journal.step(index, StepState::AlreadyInPlace, options, |_| {})?;
            return Ok(Before::Done);
        }
        Ok(CheckOutcome::Missing) => {}
        Ok(CheckOutcome::Differs { expected, found }) => {
            let f = Failure::look_alike(&step.verification, expected, found, false);
            return Ok(Before::Fail(Phase::Check, f));
        }
        Err(e) => return Ok(Before::Fail(Phase::Check, e.into())),
    }
    if let Some(pre) = &step.precondition {
        let f = match check_with_retry(backend, pre, options).await {
            Ok(CheckOutcome::Holds) => None,
            Ok(CheckOutcome::Missing) => Some(Failure::message(format!(
                "precondition not met: {}",
                describe_check(pre)
            ))),
            Ok(CheckOutcome::Differs { expected, found }) => {
                let mut f = Failure::look_alike(pre, expected, found, false);
                f.message = format!("precondition not met: {}", f.message);
                Some(f)
            }
            Err(e) => Some(e.into()),
        };
        if let Some(f) = f {
            return Ok(Before::Fail(Phase::Precondition, f));
        }
    }
    let state = journal.state();
    // Before the first secret removal of this run, every earlier step is checked again,
    // also those verified by an earlier run: the tenant may have changed since.
    if step.removes_secret && !*rechecked {
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
                    let mut f = Failure::look_alike(&earlier.verification, expected, found, false);
                    f.message = format!(
                        "precondition not met: step {} is no longer what it made, {}; no secret was removed",
                        j + 1,
                        f.message
                    );
                    f
                }
                Err(e) => e.into(),
            };
            return Ok(Before::Fail(Phase::Precondition, f));
        }
        *rechecked = true;
    }
    // No removal may leave the identity without a usable credential, read as it is now.
    if safety::removes_access(&step.action) {
        let inv = match checks::inventory(backend, state, options).await {
            Ok(inv) => inv,
            Err(e) => return Ok(Before::Fail(Phase::Precondition, e.into())),
        };
        if let Err(lockout) = safety::guard(&state.plan, &inv, index, &step.action, false) {
            let f = Failure::message(format!(
                "precondition not met: {lockout}; no secret was removed"
            ));
            return Ok(Before::Fail(Phase::Precondition, f));
        }
    }
    // The removal goes only on evidence that nothing needs the credential any more (or on
    // the user's explicit override, journaled with what was missing).
    if step.removes_secret {
        let decision = gate::decide(backend, state, index, evidence, options).await;
        if decision.verdict == GateVerdict::Wait {
            return Ok(Before::Wait(decision));
        }
        return Ok(Before::Act(Some(decision)));
    }
    Ok(Before::Act(None))
}
