//! The guided migration as the explorer runs it: pick a migration for the selected identity,
//! fill its form (inline messages per field, from the same validation the CLI uses), review
//! the plan with its Graph/ARM calls, confirm (typing the identity's name before any secret is
//! removed), watch the steps run one at a time, and read the outcome.
//!
//! The forms (their fields are `domain::migration::form`'s catalogue), their validation and
//! the plans are `domain::migration`'s; running a plan (certificate generation, journal,
//! backend calls, verification) is `jobs::migrate`'s, asked for with `Effect::RunMigration`,
//! which answers with `Msg::Migration*` messages carrying the job's own step states and
//! outcome. This module is pure state: no I/O, no clock, no randomness (previews use
//! placeholder ids).

use std::sync::Arc;

use tui_input::{Input, InputRequest};

use super::{App, Command, Context, Effect, Mode, Status};
use crate::domain::Directory;
use crate::domain::audit::Remedy;
use crate::domain::migration::form::{self, FieldSpec, Prefill};
use crate::domain::migration::prefill::{self, Suggestion};
use crate::domain::migration::progress::{StepProgress, StepState};
use crate::domain::migration::retirement;
use crate::domain::migration::{
    FieldError, FieldKind, Form, MigrationKind, Plan, PlanContext, SequentialIds,
};
use crate::jobs::migrate::Finished;

mod journal;
mod state;

pub use journal::{continue_journal, journal_found, offers_rollback, rollback_refused};
use journal::{lockout_command, roll_back, rollback_refusal};
pub use state::{
    Field, LockoutChoice, MigrationRequest, MigrationState, OpenJournal, Stage, fields,
};

fn say(app: &mut App, text: impl Into<String>, is_error: bool) {
    app.status = Some(Status {
        text: text.into(),
        is_error,
    });
}

/// `m`: starts a migration for the selected identity, on the pick screen with the migration
/// its findings recommend highlighted.
pub fn open(app: &mut App) {
    if app.read_only {
        say(
            app,
            "read-only mode: migrations are disabled (started with --read-only)",
            true,
        );
        return;
    }
    if let Some(why) = partial_refusal(app) {
        say(app, why, true);
        return;
    }
    let (Some(dir), Some(id)) = (app.dir.clone(), app.selected_entry()) else {
        say(app, "select an identity to migrate first", true);
        return;
    };
    let e = dir.entry(id);
    // Only an identity that holds client secrets (or whose application does) can migrate;
    // say why not before any form.
    if let Err(why) = crate::domain::migration::resolve_source(&dir, dir.id_of(e)) {
        say(app, why.message.labels(), true);
        return;
    }
    let recommended = app.report.as_ref().and_then(|r| {
        r.by_identity
            .of(id)
            .iter()
            .find_map(|&i| match &r.findings.get(i as usize)?.remedy {
                Remedy::Migration { migration, .. } => MigrationKind::parse(migration),
                _ => None,
            })
    });
    let pick = recommended
        .and_then(|k| MigrationKind::ALL.iter().position(|&x| x == k))
        .unwrap_or(0);
    let mut m = MigrationState::new(
        Stage::Pick,
        MigrationKind::ALL[pick],
        dir.id_of(e).to_string(),
        dir.display_name_of(e).to_string(),
    );
    m.recommended = recommended;
    m.suggestions = prefill::suggestions(&dir, dir.id_of(e));
    m.fields = fields(m.kind, &m.identity_name, &m.suggestions);
    app.migration = Some(m);
    app.mode = Mode::Migrate;
}

/// `open`, straight to `kind`'s form (`:migrate secret-to-fic`).
/// Why no migration may start now: the tenant on screen is partial (its load still runs,
/// or stopped), and a plan made from it could miss a credential, a managed identity or a
/// role assignment the migration must know about.
pub(crate) fn partial_refusal(app: &App) -> Option<&'static str> {
    if !app.partial {
        None
    } else if matches!(app.load, super::LoadState::Loading(_)) {
        Some("the tenant is still loading (partial): migrations start once it is complete")
    } else {
        Some(
            "the tenant on screen is partial (its load did not complete): r loads it again; migrations need the whole tenant",
        )
    }
}

pub fn open_kind(app: &mut App, kind: MigrationKind) {
    open(app);
    if let Some(m) = app.migration.as_mut() {
        m.pick = MigrationKind::ALL
            .iter()
            .position(|&k| k == kind)
            .unwrap_or(0);
        m.kind = kind;
        m.fields = fields(kind, &m.identity_name, &m.suggestions);
        m.stage = Stage::Form;
    }
}

fn close(app: &mut App) -> Vec<Effect> {
    let ran = app
        .migration
        .as_ref()
        .is_some_and(|m| m.stage == Stage::Done);
    app.migration = None;
    app.mode = super::Mode::Normal;
    if ran {
        // The tenant changed: load it again to show the new credential.
        app.load = super::LoadState::Loading(None);
        return vec![Effect::Load];
    }
    Vec::new()
}

/// Validates the form and builds the preview plan (placeholder ids; the run builds the final
/// plan with fresh ids and, for a certificate, the generated certificate's thumbprint).
fn review(app: &mut App) {
    let (Some(dir), Some(m)) = (app.dir.clone(), app.migration.as_mut()) else {
        return;
    };
    let ctx = PlanContext {
        dir: &dir,
        now: app.now,
        guidance: crate::jobs::migrate::guidance(),
    };
    let built = m
        .form()
        .plan(&ctx, &mut SequentialIds::default(), None, true);
    match built {
        Ok(plan) => {
            m.errors.clear();
            let gate = m.form().gate_options().unwrap_or_default();
            m.evidence = retirement::evidence_lines(
                &retirement::preview(&plan, dir.snapshot(), app.now, &gate),
                &gate,
            );
            m.plan = Some(plan);
            m.scroll = 0;
            m.stage = Stage::Plan;
        }
        Err(errors) => {
            m.errors = errors;
            // Focus the first field with a problem.
            let visible = m.visible_fields();
            if let Some(pos) = visible
                .iter()
                .position(|&i| m.errors.iter().any(|e| e.field == m.fields[i].name()))
            {
                m.focus = pos;
            }
        }
    }
}

/// The migration's commands, in the context of its stage (`MigrationState::context`).
pub fn command(app: &mut App, c: Command) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    match m.stage {
        Stage::Pick => match c {
            Command::SelectPrev => m.pick = m.pick.saturating_sub(1),
            Command::SelectNext => m.pick = (m.pick + 1).min(MigrationKind::ALL.len() - 1),
            Command::Pick1 | Command::Pick2 | Command::Pick3 => {
                m.pick = match c {
                    Command::Pick1 => 0,
                    Command::Pick2 => 1,
                    _ => 2,
                };
                choose(m);
            }
            Command::Open => choose(m),
            Command::Close => return close(app),
            _ => {}
        },
        Stage::Form => return form_command(app, c),
        Stage::Plan => match c {
            Command::SelectNext => m.scroll = m.scroll.saturating_add(1),
            Command::SelectPrev => m.scroll = m.scroll.saturating_sub(1),
            Command::PageDown => m.scroll = m.scroll.saturating_add(10),
            Command::PageUp => m.scroll = m.scroll.saturating_sub(10),
            Command::Apply => {
                m.stage = Stage::Confirm;
                m.confirm = Input::default();
                m.confirm_error = None;
            }
            Command::EditForm => m.stage = Stage::Form,
            Command::Close => return close(app),
            _ => {}
        },
        Stage::Confirm => return confirm_command(app, c),
        // While the question is on screen the run is held before its next step: left
        // unanswered, nothing more happens to the tenant.
        Stage::Running => match c {
            Command::Confirm if m.asking_stop => {
                m.asking_stop = false;
                m.stopping = true;
                return vec![Effect::StopMigration];
            }
            Command::Decline if m.asking_stop => {
                m.asking_stop = false;
                return vec![Effect::PauseMigration(false)];
            }
            Command::Interrupt if !m.stopping && !m.asking_stop => {
                m.asking_stop = true;
                return vec![Effect::PauseMigration(true)];
            }
            _ => {}
        },
        Stage::Done if m.lockout.is_some() => return lockout_command(app, c),
        Stage::Done if m.asking_rollback => match c {
            Command::Confirm => return roll_back(app),
            Command::Decline => m.asking_rollback = false,
            _ => {}
        },
        Stage::Done => match c {
            Command::Rollback => match rollback_refusal(app.read_only, m) {
                Some(why) => say(app, why, true),
                None => m.asking_rollback = true,
            },
            Command::Export => match m.outcome.as_ref().and_then(|o| o.record.clone()) {
                Some(record) => return vec![Effect::ExportRecord(record)],
                None => say(app, "this run wrote no migration record", true),
            },
            Command::SelectNext => m.scroll = m.scroll.saturating_add(1),
            Command::SelectPrev => m.scroll = m.scroll.saturating_sub(1),
            Command::PageDown => m.scroll = m.scroll.saturating_add(10),
            Command::PageUp => m.scroll = m.scroll.saturating_sub(10),
            Command::Close => return close(app),
            _ => {}
        },
    }
    Vec::new()
}

/// Text typed into the migration's screen: the focused form field, or the name typed to
/// confirm (a plan that removes secrets, a rollback forced past the lockout rule).
pub fn edit(app: &mut App, req: InputRequest) {
    let Some(m) = app.migration.as_mut() else {
        return;
    };
    match m.context() {
        Context::MigrateFormText => {
            if let Some(f) = m.focused_field_mut() {
                f.input.handle(req);
            }
        }
        Context::MigrateConfirmName | Context::MigrateLockoutName => {
            m.confirm.handle(req);
            m.confirm_error = None;
        }
        _ => {}
    }
}

fn choose(m: &mut MigrationState) {
    let kind = MigrationKind::ALL[m.pick.min(MigrationKind::ALL.len() - 1)];
    if kind != m.kind || m.fields.is_empty() {
        m.kind = kind;
        m.fields = fields(kind, &m.identity_name, &m.suggestions);
    }
    m.errors.clear();
    m.focus = 0;
    m.stage = Stage::Form;
}

fn form_command(app: &mut App, c: Command) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    let count = m.visible_fields().len();
    match c {
        Command::SelectNext => m.focus = (m.focus + 1).min(count.saturating_sub(1)),
        Command::SelectPrev => m.focus = m.focus.saturating_sub(1),
        Command::Back => {
            m.stage = Stage::Pick;
            m.errors.clear();
        }
        Command::Close => return close(app),
        Command::Submit => review(app),
        Command::ChangeNext | Command::ChangePrev => {
            let forward = c == Command::ChangeNext;
            if let Some(f) = m.focused_field_mut() {
                match f.spec.kind {
                    FieldKind::Toggle => {
                        let next = if f.text() == "yes" { "" } else { "yes" };
                        f.input = Input::new(next.to_string());
                    }
                    FieldKind::Choice(values) => {
                        let i = values.iter().position(|v| *v == f.text()).unwrap_or(0);
                        let n = values.len();
                        let j = if forward {
                            (i + 1) % n
                        } else {
                            (i + n - 1) % n
                        };
                        f.input = Input::new(values[j].to_string());
                    }
                    // A text field takes these keys as text (`edit`).
                    FieldKind::Text => {}
                }
            }
            // The preset decides which fields show; keep the focus on the preset.
            m.focus = m.focus.min(m.visible_fields().len().saturating_sub(1));
        }
        _ => {}
    }
    Vec::new()
}

fn confirm_command(app: &mut App, c: Command) -> Vec<Effect> {
    let dir = app.dir.clone();
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    let typed = m.needs_typed_confirmation();
    let go = match c {
        Command::Decline | Command::Back => {
            m.stage = Stage::Plan;
            return Vec::new();
        }
        Command::Confirm if !typed => true,
        Command::Submit if typed => {
            // The user types what the screen shows: the name without its control and bidi
            // characters (which could not be typed, and would hide what is confirmed).
            let shown = crate::sanitize::display(&m.identity_name);
            if m.confirm.value().trim() == shown.trim() {
                true
            } else {
                m.confirm_error = Some(format!("type the name exactly: {shown}"));
                false
            }
        }
        _ => false,
    };
    if !go {
        return Vec::new();
    }
    let Some(dir) = dir else {
        return Vec::new();
    };
    m.stage = Stage::Running;
    m.steps = m
        .plan
        .as_ref()
        .map(|p| vec![StepProgress::default(); p.steps.len()])
        .unwrap_or_default();
    m.scroll = 0;
    vec![Effect::RunMigration(Box::new(MigrationRequest {
        form: m.form(),
        dir,
    }))]
}

/// The run started with this plan (fresh ids, the real certificate) and, for a migration
/// continued from its journal, the steps it had done.
pub fn started(app: &mut App, plan: Plan, done: Vec<StepProgress>) {
    if let Some(m) = app.migration.as_mut() {
        m.steps = done;
        m.steps.resize(plan.steps.len(), StepProgress::default());
        m.plan = Some(plan);
    }
}

/// A step reached `state` (`message`: a failure's error, or a note).
pub fn step(app: &mut App, index: usize, state: StepState, message: Option<String>) {
    if let Some(m) = app.migration.as_mut()
        && let Some(s) = m.steps.get_mut(index)
    {
        *s = StepProgress::announced(state, message);
    }
}

/// A signal from outside: a running migration stops after its current step (the runtime
/// cancels it), and the screen says so until it has.
pub fn interrupted(app: &mut App, signal: &str) {
    let running = app
        .migration
        .as_mut()
        .filter(|m| m.stage == Stage::Running)
        .map(|m| {
            m.asking_stop = false;
            m.stopping = true;
        })
        .is_some();
    if running {
        say(
            app,
            format!("{signal}: finishing the current step, then quitting…"),
            true,
        );
    }
}

/// The run ended.
pub fn finished(app: &mut App, outcome: Finished) {
    let text = outcome.wording.headline.clone();
    let is_error = !outcome.completed;
    if let Some(m) = app.migration.as_mut() {
        m.stage = Stage::Done;
        m.asking_stop = false;
        m.scroll = 0;
        // A step that was running when the run stopped did not finish.
        for s in &mut m.steps {
            if s.state.is_some_and(StepState::is_running) {
                *s = StepProgress::announced(StepState::Failed, Some("stopped".into()));
            }
        }
        m.outcome = Some(outcome);
    }
    say(app, text, is_error);
}
