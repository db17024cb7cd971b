//! The runtime's adapter to `jobs::migrate`: a confirmed form goes through `prepare` (the
//! plan with fresh ids, a generated certificate's key files written first) and `run`; `:resume`
//! and `:rollback` go to `resume` and `rollback_with`. The run's events become
//! `Msg::MigrationStep`s and its ending a `Msg::MigrationFinished`, worded by the job. Options
//! come from `Options::for_source`, as the CLI's do; `:resume` carries the gate options the
//! journal recorded for the run (`--idle-days`, `--without-usage-evidence`). Looks for an open
//! journal at start.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::Msg;
use crate::app::migration::{LockoutChoice, MigrationRequest, OpenJournal};
use crate::backend::Backend;
use crate::domain::Timestamp;
use crate::domain::migration::progress::StepProgress;
use crate::jobs::migrate::{self, Event, Finished, RollbackMode};
use crate::store::journal::{JournalStore, SourceRecord};

/// What a run needs from the explorer: the backend, the clock, what the backend is, and the
/// pause gate.
#[derive(Clone)]
pub(super) struct Context {
    pub backend: Arc<dyn Backend>,
    pub now: Timestamp,
    /// False when the time is pinned (`CREDWISE_NOW`): the journal then uses `now`.
    pub live_clock: bool,
    /// The explorer's source as a journal records it: `:resume` and `:rollback` refuse a
    /// journal of another source.
    pub source: SourceRecord,
    /// Held while the screen asks whether to stop: the run waits before its next step.
    pub pause: migrate::Pause,
}

/// Runs `job` in the background and reports how it ended; `cancel` (replaced here) stops it
/// between steps.
fn spawn<F, J>(tx: &mpsc::UnboundedSender<Msg>, cancel: &mut CancellationToken, job: J)
where
    J: FnOnce(mpsc::UnboundedSender<Msg>, CancellationToken) -> F,
    F: std::future::Future<Output = Finished> + Send + 'static,
{
    *cancel = CancellationToken::new();
    let fut = job(tx.clone(), cancel.clone());
    let tx = tx.clone();
    tokio::spawn(async move {
        let finished = fut.await;
        let _ = tx.send(Msg::MigrationFinished(finished));
    });
}

/// Starts a confirmed migration.
pub(super) fn start(
    ctx: Context,
    request: MigrationRequest,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
) {
    spawn(tx, cancel, move |tx, cancel| async move {
        let store = match JournalStore::open_default() {
            Ok(s) => s,
            Err(e) => return Finished::refused(format!("cannot keep a journal: {e}")),
        };
        let now = ctx.now;
        let prep_store = store.clone();
        // The form was validated with its gate fields; `prepare` refuses a bad one.
        let gate = request.form.gate_options().unwrap_or_default();
        let prepared = tokio::task::spawn_blocking(move || {
            migrate::prepare(&request.form, &request.dir, &prep_store, now)
        })
        .await;
        let prepared = match prepared {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Finished::refused(e.to_string()),
            Err(e) => return Finished::refused(format!("planning failed: {e}")),
        };
        let _ = tx.send(Msg::MigrationStarted {
            plan: Box::new(prepared.plan.clone()),
            done: vec![],
        });
        let (mut options, forwarding) = options(&ctx, &tx, cancel);
        options.gate = gate;
        let backend = ctx.backend.as_ref();
        let result =
            migrate::run(backend, &store, prepared.plan, ctx.source.clone(), &options).await;
        drop(options);
        let _ = forwarding.await;
        match result {
            Ok(summary) => Finished::of(&summary, prepared.key_files),
            Err(e) => Finished::refused(e.to_string()),
        }
    });
}

/// Looks for a migration left open in the journals and tells the screen about it.
pub(super) fn find_open_journal(tx: &mpsc::UnboundedSender<Msg>) {
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let Ok(store) = JournalStore::open_default() else {
            return;
        };
        // A migration killed after its journal closed gets its record now.
        let _ = migrate::rebuild_missing_records(&store);
        if let Ok(Some(state)) = store.latest_open() {
            let _ = tx.send(Msg::JournalFound(OpenJournal {
                id: state.id.clone(),
                kind: state.migration,
                identity: state.plan.identity.object_id.clone(),
                identity_name: state.plan.identity.display_name.clone(),
                next_step: state.next_step().unwrap_or(0),
                steps: state.plan.steps.len(),
            }));
        }
    });
}

/// `:resume` / `:rollback` (and the choice after a refused rollback): continues a journaled
/// migration on the progress screen. `rollback` is `None` to resume.
pub(super) fn resume(
    ctx: Context,
    journal_id: String,
    rollback: Option<RollbackMode>,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
) {
    spawn(tx, cancel, move |tx, cancel| async move {
        let store = match JournalStore::open_default() {
            Ok(s) => s,
            Err(e) => return Finished::refused(format!("cannot read the journal: {e}")),
        };
        // The plan and what is already done, from the journal, before the run goes on; and
        // the gate options the run was started with (`--idle-days`, the override), which a
        // resume carries on: the explorer has no flags of its own to give.
        let mut recorded_gate = None;
        if let Ok(state) = store.read(&journal_id) {
            recorded_gate = state.gate;
            let done = state
                .steps
                .iter()
                .map(|p| {
                    if p.is_complete() {
                        p.clone()
                    } else {
                        StepProgress::default()
                    }
                })
                .collect();
            let _ = tx.send(Msg::MigrationStarted {
                plan: Box::new(state.plan.clone()),
                done,
            });
        }
        let (mut options, forwarding) = options(&ctx, &tx, cancel);
        options.gate = recorded_gate.unwrap_or_default();
        let backend = ctx.backend.as_ref();
        let result = match &rollback {
            Some(mode) => {
                migrate::rollback_with(backend, &store, &journal_id, mode, &options).await
            }
            None => migrate::resume(backend, &store, &journal_id, &options).await,
        };
        drop(options);
        let _ = forwarding.await;
        match result {
            Ok(summary) => Finished::of(&summary, vec![]),
            Err(migrate::MigrateError::Lockout {
                journal_id,
                lockout,
                changed_nothing,
            }) => {
                // The same explanation and choice as the CLI's: keep the new credential, or
                // type the identity's name to remove it anyway.
                let explanation = format!(
                    "Rollback stopped{}: {lockout}.",
                    if changed_nothing {
                        " before changing anything"
                    } else {
                        ""
                    }
                );
                let _ = tx.send(Msg::RollbackRefused(Box::new(LockoutChoice {
                    journal_id,
                    explanation: explanation.clone(),
                    identity_name: lockout.identity.clone(),
                    typing: false,
                })));
                Finished::refused(explanation)
            }
            Err(e) => Finished::refused(e.to_string()),
        }
    });
}

/// The job's options for the explorer's source, with its events forwarded to the screen as
/// `Msg::MigrationStep`.
fn options(
    ctx: &Context,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: CancellationToken,
) -> (migrate::Options, tokio::task::JoinHandle<()>) {
    let (now, live_clock) = (ctx.now, ctx.live_clock);
    let (etx, mut erx) = mpsc::unbounded_channel();
    let forward = tx.clone();
    let forwarding = tokio::spawn(async move {
        while let Some(e) = erx.recv().await {
            let Event::Step {
                index,
                state,
                message,
            } = e
            else {
                continue;
            };
            let msg = Msg::MigrationStep {
                index,
                state,
                message,
            };
            if forward.send(msg).is_err() {
                break;
            }
        }
    });
    let clock: migrate::Clock = if live_clock {
        Arc::new(Timestamp::now_utc)
    } else {
        Arc::new(move || now)
    };
    let mut options = migrate::Options::for_source(clock, ctx.source.clone());
    options.cancel = cancel;
    options.events = Some(etx);
    options.pause = Some(ctx.pause.clone());
    (options, forwarding)
}
