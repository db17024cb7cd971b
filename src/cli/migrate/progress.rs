//! What the CLI prints while a migration runs and when it ends: the run's options (from the
//! source, as the explorer's are) with the signals that stop it, each step's state as the job
//! announces it, the outcome in the job's words (and its exit code), and the JSON shapes of a
//! run and of a journal.

use std::future::Future;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{CliError, Env, PlanFormat};
use crate::cli::{SourceArgs, output};
use crate::domain::migration::PlanLine;
use crate::domain::migration::progress::StepState;
use crate::jobs::migrate::{self, Event, MigrateError, Options, RunOutcome, Summary};
use crate::sanitize;
use crate::store::journal::{JournalError, JournalState, SourceKind, SourceRecord};

/// Lines as text, with tenant strings stripped of control characters.
pub(super) fn lines_text(lines: Vec<PlanLine>) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&sanitize::display(&l.text));
        out.push('\n');
    }
    out
}

/// A run's options, the receiving end of its progress events, and the token a second signal
/// cancels.
pub(super) struct RunOptions {
    pub options: Options,
    pub events: Option<mpsc::UnboundedReceiver<Event>>,
    pub forced: CancellationToken,
}

impl RunOptions {
    /// The options for a run on `source` (`Options::for_source`: its backoff), with events,
    /// and Ctrl-C, SIGTERM (a CI runner cancelling the job) or SIGHUP (the terminal closed)
    /// finishing or journaling the current step before stopping; a second one stops at once.
    pub(super) fn new(env: &Env<'_>, source: SourceRecord) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut options = Options::for_source(env.clock.clone(), source);
        options.events = Some(tx);
        let forced = CancellationToken::new();
        let (cancel, again) = (options.cancel.clone(), forced.clone());
        tokio::spawn(async move {
            let mut signals = crate::runtime::signals::stop_signals();
            if let Some(name) = signals.recv().await {
                output::eprint(&format!(
                    "{name}: finishing the current step, then stopping… (again to stop at once)"
                ));
                cancel.cancel();
            }
            if signals.recv().await.is_some() {
                again.cancel();
            }
        });
        Self {
            options,
            events: Some(rx),
            forced,
        }
    }

    /// A fresh event channel, for another run with the same options (a rollback retried).
    pub(super) fn renew_events(&mut self) {
        let (tx, rx) = mpsc::unbounded_channel();
        self.options.events = Some(tx);
        self.events = Some(rx);
    }
}

/// Runs `job` unless a second signal comes first: then the step under way is left as the
/// journal has it (started, which `resume` checks before acting) and credwise stops now.
pub(super) async fn unless_forced<T>(
    job: impl Future<Output = Result<T, MigrateError>>,
    forced: &CancellationToken,
) -> Result<T, CliError> {
    tokio::select! {
        r = job => r.map_err(migrate_error),
        _ = forced.cancelled() => Err(interrupted_twice()),
    }
}

pub(super) fn interrupted_twice() -> CliError {
    CliError {
        code: crate::cli::exit::SERVICE,
        message: "interrupted twice: stopped in the middle of a step. The journal holds it as started; `credwise migrate resume` checks it before acting again, `credwise migrate rollback` undoes what was done.".into(),
    }
}

/// Prints progress events on stderr as they come; ends when the run's options are dropped.
pub(super) fn progress_printer(
    plan: &crate::domain::migration::Plan,
    run: &mut RunOptions,
) -> tokio::task::JoinHandle<()> {
    let titles: Vec<String> = plan
        .steps
        .iter()
        .map(|s| sanitize::display(&s.title).into_owned())
        .collect();
    let rx = run.events.take();
    tokio::spawn(async move {
        let Some(mut rx) = rx else { return };
        while let Some(e) = rx.recv().await {
            if let Some(line) = describe_event(&e, &titles) {
                output::eprint(&line);
            }
        }
    })
}

fn describe_event(e: &Event, titles: &[String]) -> Option<String> {
    let n = titles.len();
    let title = |i: usize| titles.get(i).cloned().unwrap_or_default();
    let said = |m: &Option<String>| sanitize::display(m.as_deref().unwrap_or("")).into_owned();
    Some(match e {
        Event::Started { journal_id, .. } => format!("Journal {journal_id}"),
        Event::Step {
            index,
            state,
            message,
        } => match state {
            StepState::Started => format!("[{}/{n}] {}", index + 1, title(*index)),
            StepState::AlreadyInPlace => "      already in place: skipped".into(),
            StepState::Applied => "      applied".into(),
            StepState::Verified => "      verified".into(),
            StepState::Failed => format!("      failed: {}", said(message)),
            StepState::UndoStarted => format!("[undo {}/{n}] {}", index + 1, title(*index)),
            StepState::Undone => "      undone".into(),
            StepState::UndoFailed => format!("      undo failed: {}", said(message)),
            StepState::NotRestorable => format!("      left as it is: {}", said(message)),
            StepState::Kept => format!("      {}", said(message)),
            StepState::Waiting => format!("      {}", said(message)),
        },
        Event::Verifying { attempt, .. } if *attempt > 1 => {
            format!("      verifying (attempt {attempt})")
        }
        Event::Verifying { .. } => return None,
        Event::Rebound {
            principal_id,
            client_id,
        } => format!("      Azure chose principal id {principal_id}, client id {client_id}"),
        Event::Finished { .. } => return None,
    })
}

pub(super) fn journal_error(e: JournalError) -> CliError {
    let code = match e {
        JournalError::Io { .. } => 3,
        _ => 2,
    };
    CliError {
        code,
        message: e.to_string(),
    }
}

pub(super) fn migrate_error(e: MigrateError) -> CliError {
    CliError {
        code: crate::cli::exit::of_migrate(&e),
        message: e.to_string(),
    }
}

/// Prints how a run ended, in the job's words; an outcome that leaves the journal open (a
/// failure, a stop) becomes the error and its exit code.
pub(super) fn finish(
    summary: &Summary,
    source: &SourceArgs,
    format: PlanFormat,
) -> Result<(), CliError> {
    let id = &summary.journal_id;
    if format == PlanFormat::Json {
        output::print(&crate::cli::json::to_pretty(&summary_json(summary))?);
    }
    let wording = summary.wording();
    if !summary.outcome.ended() {
        let mut message = sanitize::display(&wording.headline).into_owned();
        for d in &wording.details {
            message.push('\n');
            message.push_str(&sanitize::display(d));
        }
        return Err(CliError {
            code: crate::cli::exit::of_outcome(&summary.outcome),
            message,
        });
    }
    if format != PlanFormat::Text {
        return Ok(());
    }
    let mut s = String::new();
    if summary.outcome == RunOutcome::Done {
        s.push_str(&lines_text(summary.state.plan.guidance_lines()));
    }
    s.push_str(&format!(
        "\n{} Journal {id}.\n",
        sanitize::display(&wording.headline)
    ));
    for d in &wording.details {
        s.push_str(&format!("- {}\n", sanitize::display(d)));
    }
    if let Some(r) = &summary.record {
        s.push_str(&format!(
            "Record: {} (`credwise migrate status {id} --record`).\n",
            r.display()
        ));
    }
    if source.demo || summary.state.source.kind == SourceKind::Demo {
        s.push_str("The demo tenant keeps changes in memory only: nothing was saved to a tenant or a file.\n");
    } else if let Some(p) = &summary.state.source.path {
        s.push_str(&format!("Updated {}.\n", p.display()));
    }
    output::print(&s);
    Ok(())
}

pub(super) fn summary_json(summary: &Summary) -> serde_json::Value {
    let mut v = state_json(&summary.state);
    v["outcome"] = summary.outcome.word().into();
    let app_id = summary.state.plan.identity.app_id.as_deref();
    match &summary.outcome {
        RunOutcome::RolledBackExceptSecrets { unrestored } => {
            v["unrestoredSecrets"] = unrestored
                .iter()
                .map(|u| {
                    serde_json::json!({
                        "step": u.index + 1,
                        "keyId": u.key_id,
                        "displayName": u.display_name,
                        "remedy": u.remedy(app_id),
                    })
                })
                .collect::<Vec<_>>()
                .into();
        }
        RunOutcome::RolledBackKeeping { kept, .. } => {
            v["keptCredentials"] = kept
                .iter()
                .map(|k| serde_json::json!({ "step": k.index + 1, "credential": k.what }))
                .collect::<Vec<_>>()
                .into();
        }
        _ => {}
    }
    if let Some(r) = &summary.record {
        v["record"] = r.display().to_string().into();
    }
    v
}

/// The retirement gate's decisions as JSON: `step` (1-based), `verdict` (`go`, `wait`,
/// `overridden`), `shown` and `missing` (sentences).
pub(super) fn evidence_json(
    decisions: &[crate::domain::migration::retirement::GateDecision],
) -> serde_json::Value {
    decisions
        .iter()
        .map(|d| {
            serde_json::json!({
                "step": d.step + 1,
                "verdict": d.verdict,
                "shown": d.shown,
                "missing": d.missing,
            })
        })
        .collect::<Vec<_>>()
        .into()
}

/// A journal as `migrate status --output json` prints it.
pub(super) fn state_json(state: &JournalState) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = state
        .plan
        .steps
        .iter()
        .zip(&state.steps)
        .map(|(s, p)| {
            let mut v = serde_json::json!({
                "title": s.title,
                "state": p.state_word(),
                "removesSecret": s.removes_secret,
                "error": p.error,
                "expected": p.expected,
                "found": p.found,
            });
            // The retirement gate's decision, on a removal it weighed.
            if let Some(g) = &p.gate {
                v["usageEvidence"] = evidence_json(std::slice::from_ref(g))[0].clone();
            }
            v
        })
        .collect();
    serde_json::json!({
        "journalId": state.id,
        "migration": state.migration.as_str(),
        "identity": {
            "id": state.plan.identity.object_id,
            "displayName": state.plan.identity.display_name,
            "kind": state.plan.identity.kind.as_str(),
        },
        "status": state.status(),
        "source": state.source.description,
        "startedAt": rfc3339(state.opened_at),
        "updatedAt": rfc3339(state.updated_at),
        "steps": steps,
    })
}

pub(super) use crate::domain::rfc3339;

/// A journal as `migrate status ID` prints it.
pub(super) fn state_text(state: &JournalState) -> String {
    let mut s = format!(
        "Journal {}\n{} of {} — {}\nSource: {}\nStarted {}, updated {}\n\n",
        state.id,
        state.migration.title(),
        sanitize::display(&state.plan.identity.display_name),
        state.status(),
        sanitize::display(&state.source.description),
        rfc3339(state.opened_at),
        rfc3339(state.updated_at)
    );
    for (i, (step, p)) in state.plan.steps.iter().zip(&state.steps).enumerate() {
        s.push_str(&format!(
            "{:>2}. {:<16} {}\n",
            i + 1,
            p.state_word(),
            sanitize::display(&step.title)
        ));
        if let Some(e) = &p.error {
            s.push_str(&format!("    {}\n", sanitize::display(e)));
        }
        // A removal the gate holds back: what the evidence shows and what it does not.
        if let Some(g) = p.gate.as_ref().filter(|_| p.is_waiting()) {
            for l in g.lines() {
                s.push_str(&format!("    {}\n", sanitize::display(&l)));
            }
        }
    }
    if state.truncated_tail {
        s.push_str("\n(The last journal line was cut by a crash and was ignored.)\n");
    }
    if state.closed.is_none() && state.waiting().is_some() {
        s.push_str(&format!(
            "\nWaiting on usage evidence. Next: `credwise migrate resume {0}` checks it again and goes on once it is there; add --without-usage-evidence to remove without it; `credwise migrate rollback {0}` undoes.\n",
            state.id
        ));
    } else if state.closed.is_none() {
        s.push_str(&format!(
            "\nNext: `credwise migrate resume {0}` or `credwise migrate rollback {0}`.\n",
            state.id
        ));
    }
    s
}

/// The abandoned demo journal's `Options`: its clock only (it changes no tenant).
pub(super) fn clock_only(env: &Env<'_>) -> Options {
    Options::new(env.clock.clone())
}

/// The migrate module's error for a source-less demo journal, with the record written.
pub(super) fn abandoned_demo(id: &str, verb: &str, summary: &migrate::Summary) -> CliError {
    CliError::usage(format!(
        "migration {id} ran on the demo tenant, whose changes lived in memory only: there is nothing to {verb}. It is now closed as abandoned (record: {}).",
        summary
            .record
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    ))
}
