//! One guided migration's state as the explorer keeps it: the stage it is at, the form's
//! fields (the domain's catalogue, pre-filled from the tenant and marked so, edited as
//! tui-input lines), the preview plan and its evidence, the typed confirmation, each step's
//! progress and the outcome. What the keys do to it is `app::migration`'s.
//!
//! Pure state; may import what `app::migration` imports.

use super::*;

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
    pub(super) fn new(
        spec: &'static FieldSpec,
        identity_name: &str,
        suggestion: Option<&Suggestion>,
    ) -> Self {
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
    pub(super) fn new(
        stage: Stage,
        kind: MigrationKind,
        identity: String,
        identity_name: String,
    ) -> Self {
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

    pub(super) fn focused_field_mut(&mut self) -> Option<&mut Field> {
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
