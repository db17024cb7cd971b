//! Runs a confirmed migration for the explorer: builds the final plan (fresh ids; for a
//! certificate, generates it and writes the key files first), then `jobs::migrate::run` on
//! the backend, turning its events into `Msg::Migration*` for the screen. The journal,
//! verification with backoff, locking and the record are the job's, exactly as for the CLI.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::Msg;
use crate::app::migration::{
    LockoutChoice, MigrationForm, MigrationRequest, OpenJournal, Outcome, StepStatus,
};
use crate::backend::Backend;
use crate::domain::Timestamp;
use crate::domain::migration::{FieldError, Plan, PlanContext};
use crate::jobs::migrate::{self, Event, RandomIds, RollbackMode, RunOutcome};
use crate::store::journal::{JournalStore, SourceRecord};

/// What a run needs from the explorer: the backend, the clock, what the backend is, and the
/// pause gate.
#[derive(Clone)]
pub struct Context {
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

/// Runs `job` in the background and reports its outcome; `cancel` (replaced here) stops it
/// between steps.
fn spawn<F, J>(tx: &mpsc::UnboundedSender<Msg>, cancel: &mut CancellationToken, job: J)
where
    J: FnOnce(mpsc::UnboundedSender<Msg>, CancellationToken) -> F,
    F: std::future::Future<Output = Outcome> + Send + 'static,
{
    *cancel = CancellationToken::new();
    let fut = job(tx.clone(), cancel.clone());
    let tx = tx.clone();
    tokio::spawn(async move {
        let outcome = fut.await;
        let _ = tx.send(Msg::MigrationFinished(outcome));
    });
}

/// Starts a confirmed migration.
pub fn start(
    ctx: Context,
    source: SourceRecord,
    request: MigrationRequest,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
) {
    spawn(tx, cancel, move |tx, cancel| async move {
        run(ctx, source, request, &tx, cancel).await
    });
}

fn failed(message: String) -> Outcome {
    Outcome {
        completed: false,
        message,
        journal_id: None,
        record: None,
        files: vec![],
    }
}

fn field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

async fn run(
    ctx: Context,
    source: SourceRecord,
    request: MigrationRequest,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: CancellationToken,
) -> Outcome {
    let now = ctx.now;
    let store = match JournalStore::open_default() {
        Ok(s) => s,
        Err(e) => return failed(format!("cannot keep a journal: {e}")),
    };
    // One open migration per identity: say so before a certificate is generated for nothing.
    if let Err(e) = migrate::ensure_no_open_migration(&store, request.form.identity(), None) {
        return failed(e.to_string());
    }
    let (plan, files) = match tokio::task::spawn_blocking(move || final_plan(&request, now)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return failed(e),
        Err(e) => return failed(format!("planning failed: {e}")),
    };
    let _ = tx.send(Msg::MigrationStarted(Box::new(plan.clone())));
    let (options, forwarding) = options(&ctx, tx, cancel);
    let result = migrate::run(ctx.backend.as_ref(), &store, plan, source, &options).await;
    drop(options);
    let _ = forwarding.await;
    outcome(result, files)
}

/// Looks for a migration left open in the journals and tells the screen about it.
pub fn find_open_journal(tx: &mpsc::UnboundedSender<Msg>) {
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
pub fn resume(
    ctx: Context,
    journal_id: String,
    rollback: Option<RollbackMode>,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
) {
    spawn(tx, cancel, move |tx, cancel| async move {
        let store = match JournalStore::open_default() {
            Ok(s) => s,
            Err(e) => return failed(format!("cannot read the journal: {e}")),
        };
        // The plan and what is already done, from the journal, before the run goes on.
        if let Ok(state) = store.read(&journal_id) {
            let _ = tx.send(Msg::MigrationStarted(Box::new(state.plan.clone())));
            for (index, p) in state.steps.iter().enumerate() {
                let status = if p.already_in_place {
                    StepStatus::Skipped
                } else if p.is_complete() {
                    StepStatus::Verified
                } else {
                    continue;
                };
                let _ = tx.send(step(index, status));
            }
        }
        let (mut options, forwarding) = options(&ctx, &tx, cancel);
        options.source = Some(ctx.source.clone());
        let backend = ctx.backend.as_ref();
        let result = match &rollback {
            Some(mode) => {
                migrate::rollback_with(backend, &store, &journal_id, mode, &options).await
            }
            None => migrate::resume(backend, &store, &journal_id, &options).await,
        };
        drop(options);
        let _ = forwarding.await;
        if let Err(migrate::MigrateError::Lockout {
            journal_id,
            lockout,
            changed_nothing,
        }) = &result
        {
            // The same explanation and choice as the CLI's: keep the new credential, or
            // type the identity's name to remove it anyway.
            let explanation = format!(
                "Rollback stopped{}: {lockout}.",
                if *changed_nothing {
                    " before changing anything"
                } else {
                    ""
                }
            );
            let _ = tx.send(Msg::RollbackRefused(Box::new(LockoutChoice {
                journal_id: journal_id.clone(),
                explanation: explanation.clone(),
                identity_name: lockout.identity.clone(),
                typing: false,
            })));
            return failed(explanation);
        }
        outcome(result, vec![])
    });
}

/// The job's options, with its events forwarded to the screen as `Msg::MigrationStep`.
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
            let msg = match e {
                Event::StepStarted { index } | Event::UndoStarted { index } => {
                    step(index, StepStatus::Running)
                }
                Event::StepApplied { index } => step(index, StepStatus::Applied),
                Event::StepVerified { index } => step(index, StepStatus::Verified),
                Event::StepSkipped { index, .. } => step(index, StepStatus::Skipped),
                Event::StepFailed { index, error } | Event::UndoFailed { index, error } => {
                    step(index, StepStatus::Failed(error))
                }
                Event::StepUndone { index } => step(index, StepStatus::Undone),
                Event::UndoNotPossible { index, .. } => step(index, StepStatus::NotRestorable),
                Event::StepKept { index, .. } => step(index, StepStatus::Kept),
                _ => continue,
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
    let mut options = migrate::Options::new(clock);
    options.cancel = cancel;
    options.events = Some(etx);
    options.pause = Some(ctx.pause.clone());
    (options, forwarding)
}

/// How the run ended, in the screen's words.
fn outcome(result: Result<migrate::Summary, migrate::MigrateError>, files: Vec<String>) -> Outcome {
    match result {
        Ok(summary) => {
            let (completed, message) = match &summary.outcome {
                RunOutcome::Done => (true, "Migration done: every step verified.".to_string()),
                RunOutcome::RolledBack => (
                    true,
                    "Rolled back: every change of this migration was undone.".to_string(),
                ),
                RunOutcome::Abandoned => (true, "Abandoned; the tenant was not touched.".into()),
                RunOutcome::RolledBackExceptSecrets { unrestored } => {
                    let app_id = summary.state.plan.identity.app_id.as_deref();
                    let what: Vec<String> = unrestored.iter().map(|u| u.remedy(app_id)).collect();
                    (
                        true,
                        format!(
                            "Rolled back, except what a live tenant cannot undo: {}.",
                            what.join("; ")
                        ),
                    )
                }
                RunOutcome::RolledBackKeeping { kept, unrestored } => {
                    let app_id = summary.state.plan.identity.app_id.as_deref();
                    let mut message = format!("Migration {}.", migrate::kept_words(kept));
                    for u in unrestored {
                        message.push_str(&format!(" {}.", u.remedy(app_id)));
                    }
                    (true, message)
                }
                RunOutcome::Failed { index, error, .. } => (
                    false,
                    format!(
                        "Step {} failed: {error}. Nothing is lost: resume or roll back.",
                        index + 1
                    ),
                ),
                RunOutcome::Cancelled { next } if summary.state.rolling_back => (
                    false,
                    format!(
                        "Stopped before undoing step {}; the journal keeps the place: `credwise migrate rollback {}` (or :rollback) goes on.",
                        next + 1,
                        summary.journal_id
                    ),
                ),
                RunOutcome::Cancelled { next } => (
                    false,
                    format!(
                        "Stopped before step {}; the journal keeps the place: `credwise migrate resume {id}` continues it, `credwise migrate rollback {id}` undoes it (or :resume, :rollback).",
                        next + 1,
                        id = summary.journal_id
                    ),
                ),
                RunOutcome::RollbackFailed { index, error, .. } => (
                    false,
                    format!(
                        "Undoing step {} failed: {error}. Run the rollback again.",
                        index + 1
                    ),
                ),
            };
            Outcome {
                completed,
                message,
                journal_id: Some(summary.journal_id),
                record: summary.record.map(|p| p.display().to_string()),
                files,
            }
        }
        Err(e) => failed(e.to_string()),
    }
}

fn step(index: usize, status: StepStatus) -> Msg {
    Msg::MigrationStep { index, status }
}

/// The plan to run: fresh GUIDs, and for a certificate the real one — generated (key files
/// written 0600 into the chosen directory before anything is sent) or read from the user's
/// file. Returns the plan and the key files written.
fn final_plan(request: &MigrationRequest, now: Timestamp) -> Result<(Plan, Vec<String>), String> {
    let dir = &request.dir;
    let ctx = PlanContext {
        dir,
        now,
        guidance: migrate::guidance(),
    };
    let mut ids = RandomIds;
    match &request.form {
        MigrationForm::Fic(f) => f
            .build_plan(&ctx, &mut ids)
            .map(|p| (p, vec![]))
            .map_err(|e| field_errors(&e)),
        MigrationForm::ManagedIdentity(f) => f
            .build_plan(&ctx, &mut ids)
            .map(|p| (p, vec![]))
            .map_err(|e| field_errors(&e)),
        MigrationForm::Certificate(f) => {
            let errors = f.validate_for_apply(dir);
            if !errors.is_empty() {
                return Err(field_errors(&errors));
            }
            let info = crate::jobs::certificate::prepare(f, &identity_name(dir, &f.identity), now)
                .map_err(|e| e.to_string())?;
            let files = [&info.key_file, &info.pfx_file]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            f.build_plan(&ctx, &mut ids, Some(&info))
                .map(|p| (p, files))
                .map_err(|e| field_errors(&e))
        }
    }
}

fn identity_name(dir: &crate::domain::Directory, query: &str) -> String {
    dir.find(query)
        .map(|id| dir.display_name_of(dir.entry(id)).to_string())
        .unwrap_or_else(|_| query.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Directory;
    use crate::domain::change::Target;
    use crate::domain::migration::{FicForm, SequentialIds};
    use crate::jobs::migrate::UnrestoredSecret;
    use crate::store::journal::{Record, VERSION};

    #[test]
    fn a_rollback_that_left_a_secret_removed_says_which_and_what_to_do() {
        let now = time::macros::datetime!(2026-11-22 12:00 UTC);
        let dir = Directory::new(crate::backend::demo::snapshot(now));
        let ctx = PlanContext {
            dir: &dir,
            now,
            guidance: migrate::guidance(),
        };
        let plan = FicForm {
            identity: "payroll-api".into(),
            github_repo: "fabrikam/payroll-api".into(),
            branch: "main".into(),
            remove_secrets: "all".into(),
            ..Default::default()
        }
        .build_plan(&ctx, &mut SequentialIds::default())
        .expect("a plan");
        let app_id = plan.identity.app_id.clone().expect("an appId");
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let store = JournalStore::at(tmp.path().to_path_buf());
        let id = JournalStore::new_id(plan.kind, now);
        store
            .create(&Record::Opened {
                version: VERSION,
                journal_id: id.clone(),
                at: now,
                migration: plan.kind,
                source: SourceRecord::live("live", None, "public"),
                principal: None,
                plan: Box::new(plan.clone()),
            })
            .expect("a journal");
        let summary = migrate::Summary {
            journal_id: id.clone(),
            outcome: RunOutcome::RolledBackExceptSecrets {
                unrestored: vec![UnrestoredSecret {
                    index: 1,
                    target: Target::Application(plan.identity.object_id.clone()),
                    key_id: "edd94576-2989-43e8-aeff-9e28d1e80ca4".into(),
                    display_name: Some("payroll-prod-2025".into()),
                }],
            },
            record: None,
            state: store.read(&id).expect("the journal"),
        };
        let o = outcome(Ok(summary), vec![]);
        assert!(o.completed);
        assert!(
            o.message.starts_with("Rolled back, except"),
            "{}",
            o.message
        );
        assert!(o.message.contains("\"payroll-prod-2025\""), "{}", o.message);
        assert!(
            o.message.contains(&format!(
                "az ad app credential reset --id {app_id} --append"
            )),
            "{}",
            o.message
        );
        assert_eq!(o.journal_id.as_deref(), Some(id.as_str()));
    }
}
