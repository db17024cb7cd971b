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

pub use journal::{continue_journal, journal_found, offers_rollback, rollback_refused};
use journal::{lockout_command, roll_back, rollback_refusal};

/// Where the migration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Choosing one of the three migrations.
    Pick,
    /// Filling the chosen migration's form.
    Form,
    /// Reading the plan before anything changes.
    Plan,
    /// Confirming; typing the identity's name when the plan removes secrets.
    Confirm,
    /// Steps running.
    Running,
    /// Done, failed, stopped or rolled back: the outcome.
    Done,
}

/// One field of the form on screen: what the catalogue says of it, and what is typed.
#[derive(Debug, Clone)]
pub struct Field {
    pub spec: &'static FieldSpec,
    pub input: Input,
    /// Pre-filled from the tenant: the value suggested and why (the form marks it while the
    /// value is unchanged).
    pub suggested: Option<(String, String)>,
}

impl Field {
    fn new(spec: &'static FieldSpec, identity_name: &str, suggestion: Option<&Suggestion>) -> Self {
        let value = match (suggestion, spec.prefill) {
            (Some(s), _) => s.value.as_str(),
            (None, Prefill::Empty) => "",
            (None, Prefill::Text(v)) => v,
            (None, Prefill::IdentityName) => identity_name,
        };
        Self {
            spec,
            input: Input::new(value.to_string()),
            suggested: suggestion.map(|s| (s.value.clone(), s.why.clone())),
        }
    }

    /// Why the value is what the tenant suggested, while it still is.
    pub fn from_tenant(&self) -> Option<&str> {
        self.suggested
            .as_ref()
            .filter(|(v, _)| v == self.text())
            .map(|(_, why)| why.as_str())
    }

    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    pub fn text(&self) -> &str {
        self.input.value()
    }
}

/// A migration left open (interrupted, failed or stopped), found in the journals at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJournal {
    pub id: String,
    pub kind: MigrationKind,
    pub identity: String,
    pub identity_name: String,
    /// 0-based; the first step not done.
    pub next_step: usize,
    pub steps: usize,
}

/// A rollback that stopped before it would leave the identity without a usable credential:
/// the explanation, and the choice the CLI offers too — keep the new credential (`k`), or
/// type the identity's name to remove it anyway (`f`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutChoice {
    pub journal_id: String,
    pub explanation: String,
    pub identity_name: String,
    /// `f` was pressed: the identity's name is being typed (into `MigrationState::confirm`).
    pub typing: bool,
}

/// The request behind `Effect::RunMigration`.
#[derive(Debug, Clone)]
pub struct MigrationRequest {
    pub form: Form,
    pub dir: Arc<Directory>,
}

impl PartialEq for MigrationRequest {
    fn eq(&self, other: &Self) -> bool {
        // The request is identified by its form; the directory is the one on screen.
        self.form == other.form && Arc::ptr_eq(&self.dir, &other.dir)
    }
}

impl Eq for MigrationRequest {}

/// One migration on screen.
#[derive(Debug, Clone)]
pub struct MigrationState {
    pub stage: Stage,
    /// The identity's object id (what the forms' `identity` field holds).
    pub identity: String,
    pub identity_name: String,
    /// The migration its findings point to, if any.
    pub recommended: Option<MigrationKind>,
    /// The highlighted migration on the pick screen.
    pub pick: usize,
    pub kind: MigrationKind,
    pub fields: Vec<Field>,
    /// What the tenant suggests for every migration's form (`domain::migration::prefill`).
    pub suggestions: Vec<Suggestion>,
    /// Index into `visible_fields()`.
    pub focus: usize,
    pub errors: Vec<FieldError>,
    /// The plan under review (with placeholder ids), or the one running.
    pub plan: Option<Plan>,
    /// Each removal's usage evidence as it stands (the retirement gate's preview, in
    /// `retirement::evidence_lines`' words), for the confirm screen.
    pub evidence: Vec<String>,
    pub scroll: u16,
    /// The identity's name, typed to confirm the removal of secrets.
    pub confirm: Input,
    pub confirm_error: Option<String>,
    /// Each step's progress, as the run announces it.
    pub steps: Vec<StepProgress>,
    /// Ctrl-C was pressed while a step ran: the question "stop after this step?" is shown.
    pub asking_stop: bool,
    /// The user asked to stop; the job finishes or journals the current step.
    pub stopping: bool,
    pub outcome: Option<Finished>,
    /// A refused rollback's explanation and choice, shown with the outcome.
    pub lockout: Option<LockoutChoice>,
    /// The run on screen undoes a migration (`:rollback`, `u`): its outcome offers no undo.
    pub rolling_back: bool,
    /// `u` was pressed on the outcome: "roll it back?" is asked.
    pub asking_rollback: bool,
}

impl MigrationState {
    /// A migration of `kind` for the identity, at `stage`, with `kind`'s form.
    fn new(stage: Stage, kind: MigrationKind, identity: String, identity_name: String) -> Self {
        Self {
            stage,
            fields: Vec::new(),
            suggestions: Vec::new(),
            identity,
            identity_name,
            recommended: None,
            pick: MigrationKind::ALL
                .iter()
                .position(|&k| k == kind)
                .unwrap_or(0),
            kind,
            focus: 0,
            errors: vec![],
            plan: None,
            evidence: Vec::new(),
            scroll: 0,
            confirm: Input::default(),
            confirm_error: None,
            steps: vec![],
            asking_stop: false,
            stopping: false,
            outcome: None,
            lockout: None,
            rolling_back: false,
            asking_rollback: false,
        }
    }

    /// The keymap context of the migration's screen.
    pub fn context(&self) -> Context {
        match self.stage {
            Stage::Pick => Context::MigratePick,
            Stage::Form
                if self
                    .focused_field()
                    .is_some_and(|f| f.spec.kind == FieldKind::Text) =>
            {
                Context::MigrateFormText
            }
            Stage::Form => Context::MigrateForm,
            Stage::Plan => Context::MigratePlan,
            Stage::Confirm if self.needs_typed_confirmation() => Context::MigrateConfirmName,
            Stage::Confirm => Context::MigrateConfirm,
            Stage::Running if self.asking_stop => Context::MigrateStop,
            Stage::Running => Context::MigrateRun,
            Stage::Done => match &self.lockout {
                Some(l) if l.typing => Context::MigrateLockoutName,
                Some(_) => Context::MigrateLockout,
                None if self.asking_rollback => Context::MigrateRollback,
                None => Context::MigrateDone,
            },
        }
    }

    /// True while a text field or a confirmation line takes typed characters.
    pub fn is_typing(&self) -> bool {
        self.context().takes_text()
    }

    /// The form's fields that apply now (the FIC fields of the chosen preset).
    pub fn visible_fields(&self) -> Vec<usize> {
        let preset = self
            .fields
            .iter()
            .find(|f| f.name() == "preset")
            .and_then(|f| {
                crate::domain::migration::fic_preset::FicPreset::ALL
                    .into_iter()
                    .find(|p| p.as_str() == f.text())
            });
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.spec.shown_for(preset))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn focused_field(&self) -> Option<&Field> {
        let i = *self.visible_fields().get(self.focus)?;
        self.fields.get(i)
    }

    fn focused_field_mut(&mut self) -> Option<&mut Field> {
        let i = *self.visible_fields().get(self.focus)?;
        self.fields.get_mut(i)
    }

    /// The messages for `field` from the last validation.
    /// In the form's words: fields by their labels.
    pub fn errors_of(&self, field: &str) -> Vec<String> {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.labels())
            .collect()
    }

    /// Messages about fields the form does not show (e.g. the identity itself).
    pub fn other_errors(&self) -> Vec<&FieldError> {
        self.errors
            .iter()
            .filter(|e| {
                !self
                    .visible_fields()
                    .iter()
                    .any(|&i| self.fields[i].name() == e.field)
            })
            .collect()
    }

    /// The plan removes client secrets: confirming means typing the identity's name.
    pub fn needs_typed_confirmation(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| p.first_removal().is_some())
    }

    /// The form as the user filled it: the fields that show (a field of another FIC
    /// preset keeps what was typed, but is not part of the form).
    pub fn form(&self) -> Form {
        let mut form = Form::new(self.kind, self.identity.clone());
        for &i in &self.visible_fields() {
            let f = &self.fields[i];
            form.set(f.name(), f.text());
        }
        form
    }
}

/// The fields of `kind`'s form, from the catalogue, pre-filled from the tenant where it
/// suggests a value, else where the catalogue says so.
pub fn fields(kind: MigrationKind, identity_name: &str, suggestions: &[Suggestion]) -> Vec<Field> {
    form::fields(kind)
        .iter()
        .map(|spec| {
            let s = suggestions
                .iter()
                .find(|s| s.kind == kind && s.field == spec.name);
            Field::new(spec, identity_name, s)
        })
        .collect()
}

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
