//! The guided migration as the explorer runs it: pick a migration for the selected identity,
//! fill its form (inline messages per field, from the same validation the CLI uses), review
//! the plan with its Graph/ARM calls, confirm (typing the identity's name before any secret is
//! removed), watch the steps run one at a time, and read the outcome.
//!
//! The forms, their validation and the plans are `domain::migration`'s; running a plan
//! (certificate generation, journal, backend calls, verification) is `jobs::migrate`'s, asked
//! for with `Effect::RunMigration`, which answers with `Msg::Migration*` messages. This module
//! is pure state: no I/O, no clock, no randomness (previews use placeholder ids).

use std::sync::Arc;

use tui_input::{Input, InputRequest};

use super::{App, Effect, Mode, Status};
use crate::domain::Directory;
use crate::domain::audit::Remedy;
use crate::domain::migration::fic_preset::FicPreset;
use crate::domain::migration::{
    CertificateForm, FicForm, FieldError, ManagedIdentityForm, MigrationKind, Plan, PlanContext,
    SequentialIds,
};

/// Where the migration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Choosing one of the three migrations.
    Pick,
    /// Filling the chosen migration's form.
    Form,
    /// Reading the plan before anything changes.
    Review,
    /// Confirming; typing the identity's name when the plan removes secrets.
    Confirm,
    /// Steps running.
    Running,
    /// Done, failed, stopped or rolled back: the outcome.
    Done,
}

/// How a form field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Space toggles between `yes` and empty.
    Toggle,
    /// Space and ←/→ cycle through the values.
    Choice(&'static [&'static str]),
}

/// One field of a form. `name` is the CLI flag without `--`, the same word `FieldError` uses.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub kind: FieldKind,
    pub input: Input,
    /// The FIC presets the field belongs to; empty: every preset.
    pub presets: &'static [&'static str],
}

impl Field {
    fn new(name: &'static str, label: &'static str, help: &'static str) -> Self {
        Self {
            name,
            label,
            help,
            kind: FieldKind::Text,
            input: Input::default(),
            presets: &[],
        }
    }

    fn kind(mut self, kind: FieldKind) -> Self {
        self.kind = kind;
        self
    }

    fn value(mut self, v: &str) -> Self {
        self.input = Input::new(v.to_string());
        self
    }

    fn only(mut self, presets: &'static [&'static str]) -> Self {
        self.presets = presets;
        self
    }

    pub fn text(&self) -> &str {
        self.input.value()
    }
}

/// A step's state while the plan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    /// The change was made; its verification is running (Entra and ARM propagate with a
    /// delay).
    Applied,
    Verified,
    /// The verification already held: nothing to do (a resumed run).
    Skipped,
    Failed(String),
    /// Undone by a rollback.
    Undone,
    /// A secret removal a rollback left in place: a live tenant cannot bring a removed
    /// secret back.
    NotRestorable,
    /// Left in place by a rollback that keeps the new credential, so the identity keeps a
    /// usable credential.
    Kept,
}

/// How a run ended, from `jobs::migrate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Every step verified.
    pub completed: bool,
    pub message: String,
    /// The journal's id, for `credwise migrate resume|rollback ID`.
    pub journal_id: Option<String>,
    /// The Markdown migration record, when one was written.
    pub record: Option<String>,
    /// Key files written (secret-to-certificate), to say where they are.
    pub files: Vec<String>,
}

/// What the runtime needs to run a migration: the form as the user filled it and the tenant
/// it was validated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationForm {
    Certificate(CertificateForm),
    Fic(Box<FicForm>),
    ManagedIdentity(ManagedIdentityForm),
}

impl MigrationForm {
    /// The identity the form migrates (its object id, as the explorer fills it).
    pub fn identity(&self) -> &str {
        match self {
            MigrationForm::Certificate(f) => &f.identity,
            MigrationForm::Fic(f) => &f.identity,
            MigrationForm::ManagedIdentity(f) => &f.identity,
        }
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
    pub form: MigrationForm,
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
    /// Index into `visible_fields()`.
    pub focus: usize,
    pub errors: Vec<FieldError>,
    /// The plan under review (with placeholder ids), or the one running.
    pub plan: Option<Plan>,
    pub scroll: u16,
    /// The identity's name, typed to confirm the removal of secrets.
    pub confirm: Input,
    pub confirm_error: Option<String>,
    pub steps: Vec<StepStatus>,
    /// Ctrl-C was pressed while a step ran: the question "stop after this step?" is shown.
    pub asking_stop: bool,
    /// The user asked to stop; the job finishes or journals the current step.
    pub stopping: bool,
    pub outcome: Option<Outcome>,
    /// A refused rollback's explanation and choice, shown with the outcome.
    pub lockout: Option<LockoutChoice>,
}

/// A key while a migration is on screen, as the runtime read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateKey {
    Up,
    Down,
    /// Tab.
    Next,
    /// Shift-Tab.
    Prev,
    Left,
    Right,
    PageUp,
    PageDown,
    Enter,
    Esc,
    /// A character where no text is being edited (`y`, `n`, `a`, space…).
    Char(char),
    /// Editing the focused text field or the confirmation.
    Edit(InputRequest),
    /// Ctrl-C.
    Interrupt,
}

impl MigrationState {
    /// A migration of `kind` for the identity, at `stage`, with `kind`'s form.
    fn new(stage: Stage, kind: MigrationKind, identity: String, identity_name: String) -> Self {
        Self {
            stage,
            fields: fields(kind, &identity_name),
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
            scroll: 0,
            confirm: Input::default(),
            confirm_error: None,
            steps: vec![],
            asking_stop: false,
            stopping: false,
            outcome: None,
            lockout: None,
        }
    }

    /// True while a text field or the confirmation line takes typed characters.
    pub fn is_typing(&self) -> bool {
        match self.stage {
            Stage::Form => self
                .focused_field()
                .is_some_and(|f| f.kind == FieldKind::Text),
            Stage::Confirm => self.needs_typed_confirmation(),
            Stage::Done => self.lockout.as_ref().is_some_and(|l| l.typing),
            _ => false,
        }
    }

    /// The form's fields that apply now (the FIC fields of the chosen preset).
    pub fn visible_fields(&self) -> Vec<usize> {
        let preset = self
            .fields
            .iter()
            .find(|f| f.name == "preset")
            .map(|f| f.text().to_string());
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.presets.is_empty() || preset.as_deref().is_some_and(|p| f.presets.contains(&p))
            })
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
    pub fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
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
                    .any(|&i| self.fields[i].name == e.field)
            })
            .collect()
    }

    /// The plan removes client secrets: confirming means typing the identity's name.
    pub fn needs_typed_confirmation(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| p.first_removal().is_some())
    }

    fn value(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text().trim().to_string())
            .unwrap_or_default()
    }

    /// The form as the domain's struct, from the fields.
    pub fn form(&self) -> MigrationForm {
        let v = |n: &str| self.value(n);
        match self.kind {
            MigrationKind::SecretToCertificate => MigrationForm::Certificate(CertificateForm {
                identity: self.identity.clone(),
                certificate: v("certificate"),
                validity_months: v("validity-months"),
                common_name: v("common-name"),
                key_out: v("key-out"),
                remove_secrets: v("remove-secrets"),
            }),
            // The FIC migrations are not in the picker (`MigrationKind::ALL`) yet; their screens
            // come after #12. Until then they read like the FIC form.
            MigrationKind::SecretToFic
            | MigrationKind::GitHubImmutableSubject
            | MigrationKind::MergeFederatedCredentials => {
                let preset = FicPreset::ALL
                    .into_iter()
                    .find(|p| p.as_str() == v("preset"));
                let only = |name: &str, p: FicPreset| {
                    if preset == Some(p) {
                        v(name)
                    } else {
                        String::new()
                    }
                };
                MigrationForm::Fic(Box::new(FicForm {
                    identity: self.identity.clone(),
                    preset,
                    github_repo: only("github-repo", FicPreset::GitHub),
                    branch: only("branch", FicPreset::GitHub),
                    environment: only("environment", FicPreset::GitHub),
                    tag: only("tag", FicPreset::GitHub),
                    pull_request: preset == Some(FicPreset::GitHub) && v("pull-request") == "yes",
                    github_owner_id: only("github-owner-id", FicPreset::GitHub),
                    github_repo_id: only("github-repo-id", FicPreset::GitHub),
                    k8s_issuer: only("k8s-issuer", FicPreset::Kubernetes),
                    namespace: only("namespace", FicPreset::Kubernetes),
                    service_account: only("service-account", FicPreset::Kubernetes),
                    managed_identity: only("managed-identity", FicPreset::ManagedIdentity),
                    issuer: only("issuer", FicPreset::Oidc),
                    subject: only("subject", FicPreset::Oidc),
                    name: v("name"),
                    audience: v("audience"),
                    description: v("description"),
                    remove_secrets: v("remove-secrets"),
                }))
            }
            MigrationKind::SecretToManagedIdentity => {
                MigrationForm::ManagedIdentity(ManagedIdentityForm {
                    identity: self.identity.clone(),
                    create: v("create"),
                    resource_group: v("resource-group"),
                    location: v("location"),
                    subscription: v("subscription"),
                    managed_identity: v("managed-identity"),
                    remove_secrets: v("remove-secrets"),
                })
            }
        }
    }
}

const REMOVE_HELP: &str =
    "all, or keyIds separated by commas; empty keeps every secret (remove them later)";

/// The fields of `kind`'s form, pre-filled where a sensible default exists.
pub fn fields(kind: MigrationKind, identity_name: &str) -> Vec<Field> {
    const GH: &[&str] = &["github"];
    const K8S: &[&str] = &["kubernetes"];
    const MI: &[&str] = &["managed-identity"];
    const OIDC: &[&str] = &["oidc"];
    match kind {
        MigrationKind::SecretToCertificate => vec![
            Field::new(
                "certificate",
                "Certificate file",
                "your PEM or PFX; empty: credwise generates a self-signed RSA certificate",
            ),
            Field::new(
                "validity-months",
                "Validity (months)",
                "1 to 24; short-lived leaks less",
            )
            .value("12"),
            Field::new(
                "common-name",
                "Common name",
                "CN of a generated certificate",
            )
            .value(identity_name),
            Field::new(
                "key-out",
                "Key directory",
                "where the private key goes (PEM and PFX, 0600); never uploaded",
            )
            .value("."),
            Field::new("remove-secrets", "Remove secrets", REMOVE_HELP),
        ],
        MigrationKind::SecretToFic => vec![
            Field::new(
                "preset",
                "Workload",
                "who presents the token (space or ←/→ to change)",
            )
            .kind(FieldKind::Choice(&[
                "github",
                "kubernetes",
                "managed-identity",
                "oidc",
            ]))
            .value("github"),
            Field::new("github-repo", "Repository", "ORG/REPO").only(GH),
            Field::new(
                "branch",
                "Branch",
                "one of branch, environment, tag or pull request",
            )
            .only(GH),
            Field::new(
                "environment",
                "Environment",
                "a GitHub environment (wins over branch)",
            )
            .only(GH),
            Field::new("tag", "Tag", "a tag, e.g. v1.2.3").only(GH),
            Field::new("pull-request", "Pull requests", "space toggles")
                .kind(FieldKind::Toggle)
                .only(GH),
            Field::new(
                "github-owner-id",
                "Owner id",
                "numeric; with the repository id gives the immutable subject",
            )
            .only(GH),
            Field::new("github-repo-id", "Repository id", "numeric").only(GH),
            Field::new(
                "k8s-issuer",
                "Cluster issuer",
                "the cluster's OIDC issuer URL, exactly",
            )
            .only(K8S),
            Field::new("namespace", "Namespace", "").only(K8S),
            Field::new("service-account", "Service account", "").only(K8S),
            Field::new(
                "managed-identity",
                "Managed identity",
                "a user-assigned identity: name, client id, principal id or ARM id",
            )
            .only(MI),
            Field::new("issuer", "Issuer", "https URL, exactly as the token's iss").only(OIDC),
            Field::new("subject", "Subject", "exactly as the token's sub").only(OIDC),
            Field::new(
                "name",
                "FIC name",
                "3–120: letters, digits, - and _; default derived",
            ),
            Field::new(
                "audience",
                "Audience",
                "default: the cloud's token-exchange audience",
            ),
            Field::new("description", "Description", "optional"),
            Field::new("remove-secrets", "Remove secrets", REMOVE_HELP),
        ],
        MigrationKind::SecretToManagedIdentity => vec![
            Field::new(
                "managed-identity",
                "Existing identity",
                "a user-assigned identity to use, or leave empty and create one",
            ),
            Field::new(
                "create",
                "Create named",
                "the new user-assigned identity's name",
            ),
            Field::new("resource-group", "Resource group", "for a new identity"),
            Field::new(
                "location",
                "Location",
                "for a new identity, e.g. westeurope",
            ),
            Field::new(
                "subscription",
                "Subscription",
                "for a new identity (default: the first)",
            ),
            Field::new("remove-secrets", "Remove secrets", REMOVE_HELP),
        ],
        // Not in the picker yet (after #12): no form in the explorer.
        MigrationKind::GitHubImmutableSubject | MigrationKind::MergeFederatedCredentials => {
            vec![]
        }
    }
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
    let (Some(dir), Some(id)) = (app.dir.clone(), app.selected_entry()) else {
        say(app, "select an identity to migrate first", true);
        return;
    };
    let e = dir.entry(id);
    // Only an identity that holds client secrets (or whose application does) can migrate;
    // say why not before any form.
    if let Err(why) = crate::domain::migration::resolve_source(&dir, dir.id_of(e)) {
        say(app, why.message, true);
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
    app.migration = Some(m);
    app.mode = Mode::Migrate;
}

/// `open`, straight to `kind`'s form (`:migrate secret-to-fic`).
pub fn open_kind(app: &mut App, kind: MigrationKind) {
    open(app);
    if let Some(m) = app.migration.as_mut() {
        m.pick = MigrationKind::ALL
            .iter()
            .position(|&k| k == kind)
            .unwrap_or(0);
        m.kind = kind;
        m.fields = fields(kind, &m.identity_name);
        m.stage = Stage::Form;
    }
}

/// An open journal was found at start: the standing notice (`App::journal_notice`) says so,
/// and how to go on, until the user acts on it or dismisses it.
pub fn journal_found(app: &mut App, journal: OpenJournal) {
    app.open_journal = Some(journal);
    app.journal_notice_dismissed = false;
}

/// `:resume` / `:rollback`: the open journal's migration on the progress screen, run by
/// `jobs::migrate` from its journal.
pub fn continue_journal(app: &mut App, rollback: bool) -> Vec<Effect> {
    if app.read_only {
        say(
            app,
            "read-only mode: migrations are disabled (started with --read-only)",
            true,
        );
        return Vec::new();
    }
    let Some(j) = app.open_journal.take() else {
        say(app, "no unfinished migration to continue", true);
        return Vec::new();
    };
    app.migration = Some(MigrationState::new(
        Stage::Running,
        j.kind,
        j.identity.clone(),
        j.identity_name.clone(),
    ));
    app.mode = Mode::Migrate;
    vec![Effect::ContinueMigration {
        journal_id: j.id,
        rollback,
    }]
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
    let mut ids = SequentialIds::default();
    let built = match m.form() {
        MigrationForm::Certificate(f) => {
            let errors = f.validate_for_apply(&dir);
            if errors.is_empty() {
                f.build_plan(&ctx, &mut ids, None)
            } else {
                Err(errors)
            }
        }
        MigrationForm::Fic(f) => f.build_plan(&ctx, &mut ids),
        MigrationForm::ManagedIdentity(f) => f.build_plan(&ctx, &mut ids),
    };
    match built {
        Ok(plan) => {
            m.errors.clear();
            m.plan = Some(plan);
            m.scroll = 0;
            m.stage = Stage::Review;
        }
        Err(errors) => {
            m.errors = errors;
            // Focus the first field with a problem.
            let visible = m.visible_fields();
            if let Some(pos) = visible
                .iter()
                .position(|&i| m.errors.iter().any(|e| e.field == m.fields[i].name))
            {
                m.focus = pos;
            }
        }
    }
}

/// Keys while a migration is on screen.
pub fn key(app: &mut App, key: MigrateKey) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    match m.stage {
        Stage::Pick => match key {
            MigrateKey::Up | MigrateKey::Prev => m.pick = m.pick.saturating_sub(1),
            MigrateKey::Down | MigrateKey::Next => {
                m.pick = (m.pick + 1).min(MigrationKind::ALL.len() - 1)
            }
            MigrateKey::Char(c @ '1'..='3') => {
                m.pick = (c as usize) - ('1' as usize);
                choose(m);
            }
            MigrateKey::Enter => choose(m),
            MigrateKey::Esc | MigrateKey::Char('q') | MigrateKey::Interrupt => {
                return close(app);
            }
            _ => {}
        },
        Stage::Form => return form_key(app, key),
        Stage::Review => match key {
            MigrateKey::Down | MigrateKey::Char('j') => m.scroll = m.scroll.saturating_add(1),
            MigrateKey::Up | MigrateKey::Char('k') => m.scroll = m.scroll.saturating_sub(1),
            MigrateKey::PageDown | MigrateKey::Char(' ') => m.scroll = m.scroll.saturating_add(10),
            MigrateKey::PageUp => m.scroll = m.scroll.saturating_sub(10),
            MigrateKey::Enter | MigrateKey::Char('a') => {
                m.stage = Stage::Confirm;
                m.confirm = Input::default();
                m.confirm_error = None;
            }
            MigrateKey::Esc | MigrateKey::Char('e') => m.stage = Stage::Form,
            MigrateKey::Char('q') | MigrateKey::Interrupt => return close(app),
            _ => {}
        },
        Stage::Confirm => return confirm_key(app, key),
        // While the question is on screen the run is held before its next step: left
        // unanswered, nothing more happens to the tenant.
        Stage::Running => match key {
            MigrateKey::Char('y') if m.asking_stop => {
                m.asking_stop = false;
                m.stopping = true;
                return vec![Effect::StopMigration];
            }
            MigrateKey::Char('n') | MigrateKey::Esc if m.asking_stop => {
                m.asking_stop = false;
                return vec![Effect::PauseMigration(false)];
            }
            MigrateKey::Interrupt | MigrateKey::Esc | MigrateKey::Char('q')
                if !m.stopping && !m.asking_stop =>
            {
                m.asking_stop = true;
                return vec![Effect::PauseMigration(true)];
            }
            _ => {}
        },
        Stage::Done if m.lockout.is_some() => return lockout_key(app, key),
        Stage::Done => match key {
            MigrateKey::Char('e') => match m.outcome.as_ref().and_then(|o| o.record.clone()) {
                Some(record) => return vec![Effect::ExportRecord(record)],
                None => say(app, "this run wrote no migration record", true),
            },
            MigrateKey::Down | MigrateKey::Char('j') => m.scroll = m.scroll.saturating_add(1),
            MigrateKey::Up | MigrateKey::Char('k') => m.scroll = m.scroll.saturating_sub(1),
            MigrateKey::PageDown | MigrateKey::Char(' ') => m.scroll = m.scroll.saturating_add(10),
            MigrateKey::PageUp => m.scroll = m.scroll.saturating_sub(10),
            MigrateKey::Esc | MigrateKey::Enter | MigrateKey::Char('q') | MigrateKey::Interrupt => {
                return close(app);
            }
            _ => {}
        },
    }
    Vec::new()
}

/// Keys on the outcome of a rollback that stopped: `k` keeps the new credential, `f` then the
/// identity's name removes it anyway; `Esc` leaves everything as it is.
fn lockout_key(app: &mut App, key: MigrateKey) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    let Some(choice) = m.lockout.as_mut() else {
        return Vec::new();
    };
    let mode = if choice.typing {
        match key {
            MigrateKey::Esc | MigrateKey::Interrupt => {
                choice.typing = false;
                m.confirm_error = None;
                return Vec::new();
            }
            MigrateKey::Enter => {
                let typed = m.confirm.value().trim();
                let name = choice.identity_name.trim();
                if typed == name || typed == crate::sanitize::display(name) {
                    crate::jobs::migrate::RollbackMode::Force {
                        confirmation: choice.identity_name.clone(),
                    }
                } else {
                    m.confirm_error = Some(format!(
                        "type the name exactly: {}",
                        crate::sanitize::display(name)
                    ));
                    return Vec::new();
                }
            }
            MigrateKey::Edit(req) => {
                m.confirm.handle(req);
                m.confirm_error = None;
                return Vec::new();
            }
            MigrateKey::Char(c) => {
                m.confirm.handle(InputRequest::InsertChar(c));
                m.confirm_error = None;
                return Vec::new();
            }
            _ => return Vec::new(),
        }
    } else {
        match key {
            MigrateKey::Char('k') => crate::jobs::migrate::RollbackMode::KeepNewCredential,
            MigrateKey::Char('f') => {
                choice.typing = true;
                m.confirm = Input::default();
                m.confirm_error = None;
                return Vec::new();
            }
            MigrateKey::Esc | MigrateKey::Enter | MigrateKey::Char('q') | MigrateKey::Interrupt => {
                return close(app);
            }
            _ => return Vec::new(),
        }
    };
    let journal_id = choice.journal_id.clone();
    m.lockout = None;
    m.outcome = None;
    m.stage = Stage::Running;
    m.scroll = 0;
    vec![Effect::RollbackMigration { journal_id, mode }]
}

/// A rollback stopped: undoing would leave the identity without a usable credential. The
/// outcome that follows shows the explanation and the choice.
pub fn rollback_refused(app: &mut App, choice: LockoutChoice) {
    if let Some(m) = app.migration.as_mut() {
        m.lockout = Some(choice);
    }
}

fn choose(m: &mut MigrationState) {
    let kind = MigrationKind::ALL[m.pick.min(MigrationKind::ALL.len() - 1)];
    if kind != m.kind || m.fields.is_empty() {
        m.kind = kind;
        m.fields = fields(kind, &m.identity_name);
    }
    m.errors.clear();
    m.focus = 0;
    m.stage = Stage::Form;
}

fn form_key(app: &mut App, key: MigrateKey) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    let count = m.visible_fields().len();
    match key {
        MigrateKey::Down | MigrateKey::Next => m.focus = (m.focus + 1).min(count.saturating_sub(1)),
        MigrateKey::Up | MigrateKey::Prev => m.focus = m.focus.saturating_sub(1),
        MigrateKey::Esc => {
            m.stage = Stage::Pick;
            m.errors.clear();
        }
        MigrateKey::Interrupt => return close(app),
        MigrateKey::Enter => review(app),
        MigrateKey::Left | MigrateKey::Right | MigrateKey::Char(' ') => {
            let forward = key != MigrateKey::Left;
            if let Some(f) = m.focused_field_mut() {
                match f.kind {
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
                    FieldKind::Text => {
                        let req = match key {
                            MigrateKey::Left => InputRequest::GoToPrevChar,
                            MigrateKey::Right => InputRequest::GoToNextChar,
                            _ => InputRequest::InsertChar(' '),
                        };
                        f.input.handle(req);
                    }
                }
            }
            // The preset decides which fields show; keep the focus on the preset.
            m.focus = m.focus.min(m.visible_fields().len().saturating_sub(1));
        }
        MigrateKey::Edit(req) => {
            if let Some(f) = m.focused_field_mut()
                && f.kind == FieldKind::Text
            {
                f.input.handle(req);
            }
        }
        MigrateKey::Char(c) => {
            if let Some(f) = m.focused_field_mut()
                && f.kind == FieldKind::Text
            {
                f.input.handle(InputRequest::InsertChar(c));
            }
        }
        MigrateKey::PageUp | MigrateKey::PageDown => {}
    }
    Vec::new()
}

fn confirm_key(app: &mut App, key: MigrateKey) -> Vec<Effect> {
    let dir = app.dir.clone();
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    let typed = m.needs_typed_confirmation();
    let go = match key {
        MigrateKey::Esc | MigrateKey::Interrupt => {
            m.stage = Stage::Review;
            return Vec::new();
        }
        MigrateKey::Char('n') if !typed => {
            m.stage = Stage::Review;
            return Vec::new();
        }
        MigrateKey::Char('y') if !typed => true,
        MigrateKey::Enter if typed => {
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
        MigrateKey::Edit(req) if typed => {
            m.confirm.handle(req);
            m.confirm_error = None;
            false
        }
        MigrateKey::Char(c) if typed => {
            m.confirm.handle(InputRequest::InsertChar(c));
            m.confirm_error = None;
            false
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
        .map(|p| vec![StepStatus::Pending; p.steps.len()])
        .unwrap_or_default();
    m.scroll = 0;
    vec![Effect::RunMigration(Box::new(MigrationRequest {
        form: m.form(),
        dir,
    }))]
}

/// The run started with this plan (fresh ids, the real certificate).
pub fn started(app: &mut App, plan: Plan) {
    if let Some(m) = app.migration.as_mut() {
        m.steps = vec![StepStatus::Pending; plan.steps.len()];
        m.plan = Some(plan);
    }
}

/// A step changed state.
pub fn step(app: &mut App, index: usize, status: StepStatus) {
    if let Some(m) = app.migration.as_mut()
        && let Some(s) = m.steps.get_mut(index)
    {
        *s = status;
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
pub fn finished(app: &mut App, outcome: Outcome) {
    let text = outcome.message.clone();
    let is_error = !outcome.completed;
    if let Some(m) = app.migration.as_mut() {
        m.stage = Stage::Done;
        m.asking_stop = false;
        m.scroll = 0;
        // A step that was running when the run stopped did not finish.
        for s in &mut m.steps {
            if *s == StepStatus::Running {
                *s = StepStatus::Failed("stopped".into());
            }
        }
        m.outcome = Some(outcome);
    }
    say(app, text, is_error);
}
