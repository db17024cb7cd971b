//! The guided migration as the explorer runs it, as sequences of messages: pick, form with
//! inline validation, the plan, the confirmation (typed name before secrets go), progress and
//! the outcome — no terminal; plus screen snapshots of each stage.
#![allow(clippy::unwrap_used)]

mod common;

use common::{explorer_app, render, ui};
use credwise::app::migration::Stage;
use credwise::app::{App, Command, Effect, LoadState, Mode, Msg, update};
use credwise::domain::migration::MigrationKind;
use credwise::domain::migration::progress::{StepProgress, StepState};
use credwise::jobs::migrate::{Finished, RunOutcome};
use tui_input::InputRequest;

/// A key pressed on the migration's screen, through the keymap of its stage.
fn key(app: &mut App, k: &str) -> Vec<Effect> {
    common::press(app, k)
}

fn type_in(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Msg::Edit(InputRequest::InsertChar(c)));
    }
}

/// The explorer with `name` selected (through the `/` filter).
fn select(name: &str) -> App {
    let mut app = explorer_app();
    update(&mut app, Msg::Command(Command::Filter));
    common::type_text(&mut app, &format!("'{name}"));
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    let dir = app.dir.clone().unwrap();
    let pos = app
        .visible
        .iter()
        .position(|&e| dir.display_name_of(dir.entry(e)) == name)
        .unwrap();
    app.selected = pos;
    app
}

fn stage(app: &App) -> Stage {
    app.migration.as_ref().unwrap().stage
}

/// Moves the form's focus to the field named `name`.
fn focus(app: &mut App, name: &str) {
    while app.migration.as_ref().unwrap().focus > 0 {
        key(app, "up");
    }
    for _ in 0..40 {
        let m = app.migration.as_ref().unwrap();
        if m.focused_field().unwrap().name() == name {
            return;
        }
        key(app, "down");
    }
    panic!("no field {name}");
}

/// Empties the fields the tenant pre-filled (what a user does to start from nothing).
fn clear_prefilled(app: &mut App) {
    let names: Vec<&str> = {
        let m = app.migration.as_ref().unwrap();
        m.visible_fields()
            .iter()
            .map(|&i| &m.fields[i])
            .filter(|f| f.from_tenant().is_some() && f.name() != "preset")
            .map(|f| f.name())
            .collect()
    };
    for name in names {
        focus(app, name);
        update(app, Msg::Edit(InputRequest::DeleteLine));
    }
}

/// payroll-api → secret-to-fic (GitHub, branch main of another repository), on the plan
/// screen.
fn fic_plan(remove: bool) -> App {
    let mut app = select("payroll-api");
    update(&mut app, Msg::Command(Command::Migrate));
    assert_eq!(app.mode, Mode::Migrate);
    key(&mut app, "2");
    assert_eq!(stage(&app), Stage::Form);
    clear_prefilled(&mut app);
    focus(&mut app, "github-repo");
    type_in(&mut app, "fabrikam/payroll-api");
    focus(&mut app, "branch");
    type_in(&mut app, "main");
    if remove {
        focus(&mut app, "remove-secrets");
        type_in(&mut app, "all");
    }
    key(&mut app, "enter");
    assert_eq!(
        stage(&app),
        Stage::Plan,
        "{:?}",
        app.migration.as_ref().unwrap().errors
    );
    app
}

#[test]
fn m_opens_the_pick_screen_with_the_audit_recommendation() {
    let mut app = select("payroll-api");
    assert!(update(&mut app, Msg::Command(Command::Migrate)).is_empty());
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Pick);
    assert_eq!(m.identity_name, "payroll-api");
    // payroll-api has a secret beside a federated credential: the audit points to secret-to-fic.
    assert_eq!(m.recommended, Some(MigrationKind::SecretToFic));
    assert_eq!(MigrationKind::ALL[m.pick], MigrationKind::SecretToFic);
    key(&mut app, "esc");
    assert!(app.migration.is_none());
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn read_only_refuses_to_start_a_migration() {
    let mut app = select("payroll-api");
    app.read_only = true;
    update(&mut app, Msg::Command(Command::Migrate));
    assert!(app.migration.is_none());
    assert!(app.status.clone().unwrap().text.contains("read-only"));
}

#[test]
fn the_form_shows_each_problem_beside_its_field() {
    let mut app = select("payroll-api");
    update(&mut app, Msg::Command(Command::Migrate));
    key(&mut app, "2");
    // GitHub preset with nothing filled in.
    clear_prefilled(&mut app);
    key(&mut app, "enter");
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Form, "nothing is planned with errors");
    assert!(!m.errors_of("github-repo").is_empty(), "{:?}", m.errors);
    assert_eq!(
        m.focused_field().unwrap().name(),
        "github-repo",
        "focus goes to the first field with a problem"
    );
    // A bad name is named as such.
    focus(&mut app, "github-repo");
    type_in(&mut app, "fabrikam/payroll-api");
    focus(&mut app, "branch");
    type_in(&mut app, "main");
    focus(&mut app, "name");
    type_in(&mut app, "-bad name!");
    key(&mut app, "enter");
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Form);
    assert!(!m.errors_of("name").is_empty(), "{:?}", m.errors);
    assert!(m.errors_of("github-repo").is_empty(), "{:?}", m.errors);
}

#[test]
fn the_preset_decides_which_fields_show() {
    let mut app = select("aks-shipments");
    update(&mut app, Msg::Command(Command::Migrate));
    key(&mut app, "2");
    let names = |app: &App| {
        let m = app.migration.as_ref().unwrap();
        m.visible_fields()
            .iter()
            .map(|&i| m.fields[i].name())
            .collect::<Vec<_>>()
    };
    // Its Kubernetes federated credential chose the preset.
    assert!(names(&app).contains(&"k8s-issuer"));
    assert!(!names(&app).contains(&"github-repo"));
    // ← on the preset moves to GitHub.
    key(&mut app, "left");
    assert!(names(&app).contains(&"github-repo"));
    assert!(!names(&app).contains(&"k8s-issuer"));
}

#[test]
fn confirming_without_removal_is_a_yes_and_emits_the_run() {
    let mut app = fic_plan(false);
    let m = app.migration.as_ref().unwrap();
    assert!(!m.needs_typed_confirmation());
    assert!(
        m.plan
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .all(|s| !s.removes_secret)
    );
    key(&mut app, "a");
    assert_eq!(stage(&app), Stage::Confirm);
    let effects = key(&mut app, "y");
    assert_eq!(stage(&app), Stage::Running);
    assert!(
        matches!(effects.as_slice(), [Effect::RunMigration(_)]),
        "{effects:?}"
    );
}

#[test]
fn removing_secrets_needs_the_identity_name_typed() {
    let mut app = fic_plan(true);
    key(&mut app, "enter");
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Confirm);
    assert!(m.needs_typed_confirmation());
    // `y` is just a letter here.
    assert!(key(&mut app, "y").is_empty());
    assert!(key(&mut app, "enter").is_empty());
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Confirm);
    assert!(m.confirm_error.is_some());
    // Clear and type the name.
    update(&mut app, Msg::Edit(InputRequest::DeletePrevChar));
    type_in(&mut app, "payroll-api");
    let effects = key(&mut app, "enter");
    assert_eq!(stage(&app), Stage::Running);
    assert!(matches!(effects.as_slice(), [Effect::RunMigration(_)]));
}

#[test]
fn progress_ctrl_c_asks_then_stops_and_the_outcome_reloads_on_close() {
    let mut app = fic_plan(false);
    key(&mut app, "enter");
    key(&mut app, "y");
    update(
        &mut app,
        Msg::MigrationStep {
            index: 0,
            state: StepState::Started,
            message: None,
        },
    );
    assert_eq!(
        app.migration.as_ref().unwrap().steps[0].state,
        Some(StepState::Started)
    );
    // Ctrl-C asks first, holding the run before its next step; `n` lets it go on.
    assert_eq!(key(&mut app, "ctrl-c"), vec![Effect::PauseMigration(true)]);
    assert!(app.migration.as_ref().unwrap().asking_stop);
    assert!(key(&mut app, "ctrl-c").is_empty(), "asked already");
    assert_eq!(key(&mut app, "n"), vec![Effect::PauseMigration(false)]);
    assert!(!app.migration.as_ref().unwrap().asking_stop);
    key(&mut app, "ctrl-c");
    assert_eq!(key(&mut app, "y"), vec![Effect::StopMigration]);
    assert!(app.migration.as_ref().unwrap().stopping);

    update(
        &mut app,
        Msg::MigrationFinished(Finished {
            completed: false,
            wording: RunOutcome::Cancelled { next: 1 }.wording(
                "20261122-120000-secret-to-fic-1",
                false,
                None,
            ),
            journal_id: Some("20261122-120000-secret-to-fic-1".into()),
            record: None,
            key_files: vec![],
        }),
    );
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Done);
    assert_eq!(
        m.steps[0],
        StepProgress::announced(StepState::Failed, Some("stopped".into()))
    );
    assert_eq!(key(&mut app, "esc"), vec![Effect::Load]);
    assert!(app.migration.is_none());
    assert!(matches!(app.load, LoadState::Loading(_)));
}

#[test]
fn migrate_command_line_goes_straight_to_the_form() {
    let mut app = select("orders-web");
    update(&mut app, Msg::Command(Command::CommandLine));
    for c in "migrate secret-to-certificate".chars() {
        update(&mut app, Msg::Edit(InputRequest::InsertChar(c)));
    }
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Form);
    assert_eq!(m.kind, MigrationKind::SecretToCertificate);
    assert_eq!(m.focused_field().unwrap().name(), "certificate");
}

mod screens {
    use super::*;

    fn snap(name: &str, app: &App) {
        for (w, h) in [(120, 40), (80, 24)] {
            let mut ui = ui();
            let t = render(app, &mut ui, w, h);
            insta::assert_snapshot!(format!("migration_{name}_{w}x{h}"), t.backend());
        }
    }

    #[test]
    fn pick() {
        let mut app = select("payroll-api");
        update(&mut app, Msg::Command(Command::Migrate));
        snap("pick", &app);
    }

    /// payroll-api's form as it opens: pre-filled from its production credential, marked.
    #[test]
    fn form_pre_filled() {
        let mut app = select("payroll-api");
        update(&mut app, Msg::Command(Command::Migrate));
        key(&mut app, "2");
        focus(&mut app, "environment");
        snap("form_pre_filled", &app);
    }

    #[test]
    fn form_with_errors() {
        let mut app = select("payroll-api");
        update(&mut app, Msg::Command(Command::Migrate));
        key(&mut app, "2");
        super::clear_prefilled(&mut app);
        key(&mut app, "enter");
        snap("form", &app);
    }

    #[test]
    fn plan() {
        snap("plan", &fic_plan(true));
    }

    #[test]
    fn confirm() {
        let mut app = fic_plan(true);
        key(&mut app, "enter");
        type_in(&mut app, "payroll");
        snap("confirm", &app);
    }

    #[test]
    fn progress_and_done() {
        let mut app = fic_plan(true);
        key(&mut app, "enter");
        type_in(&mut app, "payroll-api");
        key(&mut app, "enter");
        update(
            &mut app,
            Msg::MigrationStep {
                index: 0,
                state: StepState::Verified,
                message: None,
            },
        );
        update(
            &mut app,
            Msg::MigrationStep {
                index: 1,
                state: StepState::Started,
                message: None,
            },
        );
        snap("progress", &app);
        update(
            &mut app,
            Msg::MigrationStep {
                index: 1,
                state: StepState::Verified,
                message: None,
            },
        );
        update(
            &mut app,
            Msg::MigrationFinished(Finished {
                completed: true,
                wording: RunOutcome::Done.wording(
                    "20261122-120000-secret-to-fic-0001",
                    false,
                    None,
                ),
                journal_id: Some("20261122-120000-secret-to-fic-0001".into()),
                record: Some("/data/journals/20261122-120000-secret-to-fic-0001.md".into()),
                key_files: vec![],
            }),
        );
        snap("done", &app);
    }
}

#[test]
fn an_open_journal_found_at_start_is_offered_and_resumed() {
    use credwise::app::migration::OpenJournal;
    let mut app = explorer_app();
    update(
        &mut app,
        Msg::JournalFound(OpenJournal {
            id: "20261122-120000-secret-to-fic-0001".into(),
            kind: MigrationKind::SecretToFic,
            identity: "c4f97ea9-96b5-4c0a-9c97-883d8b37a641".into(),
            identity_name: "payroll-api".into(),
            next_step: 1,
            steps: 2,
        }),
    );
    let notice = app.journal_notice().unwrap();
    assert!(
        notice.contains("unfinished migration secret-to-fic of payroll-api (step 2 of 2)")
            && notice.contains(":resume")
            && notice.contains(":rollback"),
        "{notice}"
    );
    update(&mut app, Msg::Command(Command::CommandLine));
    for c in "resume".chars() {
        update(&mut app, Msg::Edit(InputRequest::InsertChar(c)));
    }
    let effects = update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert_eq!(
        effects,
        vec![Effect::ContinueMigration {
            journal_id: "20261122-120000-secret-to-fic-0001".into(),
            rollback: false
        }]
    );
    assert_eq!(app.mode, Mode::Migrate);
    assert_eq!(stage(&app), Stage::Running);
    assert!(app.open_journal.is_none(), "offered once");
    assert!(app.journal_notice().is_none());
}

#[test]
fn rollback_without_an_open_journal_says_so() {
    let mut app = explorer_app();
    update(&mut app, Msg::Command(Command::CommandLine));
    for c in "rollback".chars() {
        update(&mut app, Msg::Edit(InputRequest::InsertChar(c)));
    }
    assert!(update(&mut app, Msg::Command(credwise::app::Command::Submit)).is_empty());
    assert!(app.migration.is_none());
    assert!(
        app.status
            .clone()
            .unwrap()
            .text
            .contains("no unfinished migration")
    );
}

#[test]
fn an_identity_without_secrets_says_why_instead_of_opening() {
    // A user-assigned managed identity has no client secret to migrate.
    let mut app = explorer_app();
    update(&mut app, Msg::Command(Command::CommandLine));
    for c in "kind uami".chars() {
        update(&mut app, Msg::Edit(InputRequest::InsertChar(c)));
    }
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    update(&mut app, Msg::Command(Command::Migrate));
    assert!(app.migration.is_none());
    assert_eq!(app.mode, Mode::Normal);
    let status = app.status.clone().unwrap();
    assert!(status.is_error);
    assert!(status.text.contains("managed identity"), "{status:?}");
}

/// `:rollback` of a migration whose new credential is the identity's last: the job refuses
/// (nothing changed) and the screen shows the same explanation and choice as the CLI: `k`
/// keeps the new credential, `f` and the identity's name remove it anyway, `esc` changes
/// nothing.
#[test]
fn a_refused_rollback_explains_and_offers_keep_or_a_typed_force() {
    use credwise::app::migration::{LockoutChoice, OpenJournal};
    use credwise::jobs::migrate::RollbackMode;
    let journal = "20261122-120000-secret-to-fic-0002";
    let start = || {
        let mut app = explorer_app();
        update(
            &mut app,
            Msg::JournalFound(OpenJournal {
                id: journal.into(),
                kind: MigrationKind::SecretToFic,
                identity: "e87fdb3f-614f-4723-aef3-cf65a2d687b3".into(),
                identity_name: "invoice-worker".into(),
                next_step: 3,
                steps: 3,
            }),
        );
        update(&mut app, Msg::Command(Command::CommandLine));
        for c in "rollback".chars() {
            update(&mut app, Msg::Edit(InputRequest::InsertChar(c)));
        }
        assert_eq!(
            update(&mut app, Msg::Command(credwise::app::Command::Submit)),
            vec![Effect::ContinueMigration {
                journal_id: journal.into(),
                rollback: true
            }]
        );
        let explanation = "Rollback stopped before changing anything: undoing step 1 would leave invoice-worker (application e87fdb3f-614f-4723-aef3-cf65a2d687b3) without a usable credential: it removes federated credential \"deploy\", the last one.";
        update(
            &mut app,
            Msg::RollbackRefused(Box::new(LockoutChoice {
                journal_id: journal.into(),
                explanation: explanation.into(),
                identity_name: "invoice-worker".into(),
                typing: false,
            })),
        );
        update(
            &mut app,
            Msg::MigrationFinished(Finished::refused(explanation)),
        );
        app
    };

    let mut app = start();
    assert_eq!(stage(&app), Stage::Done);
    let screen = common::screen(&render(&app, &mut ui(), 120, 40));
    assert!(
        screen.contains("without a usable credential"),
        "the explanation: {screen}"
    );
    assert!(
        screen.contains("keep the new credential and close the migration as rolled back except it"),
        "{screen}"
    );
    assert!(screen.contains("remove it anyway"), "{screen}");
    assert_eq!(
        key(&mut app, "k"),
        vec![Effect::RollbackMigration {
            journal_id: journal.into(),
            mode: RollbackMode::KeepNewCredential
        }]
    );
    assert_eq!(stage(&app), Stage::Running);

    // Forcing takes the identity's name, typed; a wrong one is refused.
    let mut app = start();
    assert!(key(&mut app, "f").is_empty());
    assert!(app.migration.as_ref().unwrap().is_typing());
    type_in(&mut app, "payroll-api");
    assert!(key(&mut app, "enter").is_empty());
    let m = app.migration.as_ref().unwrap();
    assert!(
        m.confirm_error
            .as_deref()
            .is_some_and(|e| e.contains("invoice-worker")),
        "{:?}",
        m.confirm_error
    );
    let screen = common::screen(&render(&app, &mut ui(), 120, 40));
    assert!(screen.contains("Type the identity's name"), "{screen}");
    for _ in 0.."payroll-api".len() {
        update(&mut app, Msg::Edit(InputRequest::DeletePrevChar));
    }
    type_in(&mut app, "invoice-worker");
    assert_eq!(
        key(&mut app, "enter"),
        vec![Effect::RollbackMigration {
            journal_id: journal.into(),
            mode: RollbackMode::Force {
                confirmation: "invoice-worker".into()
            }
        }]
    );

    // Esc changes nothing: the screen closes.
    let mut app = start();
    key(&mut app, "esc");
    assert!(app.migration.is_none());
}

#[test]
fn no_other_tenant_opens_while_a_migration_runs() {
    let mut app = fic_plan(false);
    key(&mut app, "a");
    key(&mut app, "y");
    assert_eq!(stage(&app), Stage::Running);
    // Even from the explorer's command line (the run screen takes no `:`).
    app.mode = Mode::Normal;
    update(&mut app, Msg::Command(Command::CommandLine));
    common::type_text(&mut app, "demo");
    assert!(update(&mut app, Msg::Command(Command::Submit)).is_empty());
    let status = app.status.clone().unwrap();
    assert!(
        status.is_error && status.text.contains("migration is running"),
        "{status:?}"
    );
    assert!(app.dir.is_some());
}

fn field<'a>(app: &'a App, name: &str) -> &'a credwise::app::migration::Field {
    let m = app.migration.as_ref().unwrap();
    m.fields.iter().find(|f| f.name() == name).unwrap()
}

#[test]
fn the_github_form_is_pre_filled_from_the_federated_credential_the_app_has() {
    let mut app = select("payroll-api");
    update(&mut app, Msg::Command(Command::Migrate));
    key(&mut app, "2");
    for (name, value) in [
        ("preset", "github"),
        ("github-repo", "fabrikam/payroll"),
        ("environment", "production"),
        ("name", "payroll-production"),
    ] {
        let f = field(&app, name);
        assert_eq!(f.text(), value, "{name}");
        assert!(
            f.from_tenant().unwrap().contains("payroll-production"),
            "{name}: {:?}",
            f.from_tenant()
        );
    }
    assert_eq!(field(&app, "branch").text(), "");
    assert!(field(&app, "branch").from_tenant().is_none());
    // The plan finds that credential there: its step is found verified and skipped.
    key(&mut app, "enter");
    assert_eq!(
        stage(&app),
        Stage::Plan,
        "{:?}",
        app.migration.as_ref().unwrap().errors
    );
    let plan = app.migration.as_ref().unwrap().plan.clone().unwrap();
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("already has this federated credential")),
        "{:#?}",
        plan.notes
    );
    // A changed value is the user's own: no longer marked.
    key(&mut app, "e");
    focus(&mut app, "environment");
    type_in(&mut app, "-eu");
    assert!(field(&app, "environment").from_tenant().is_none());
    assert!(field(&app, "github-repo").from_tenant().is_some());
}

#[test]
fn kubernetes_and_managed_identity_forms_are_pre_filled_too() {
    let mut app = select("aks-shipments");
    update(&mut app, Msg::Command(Command::Migrate));
    key(&mut app, "2");
    assert_eq!(field(&app, "preset").text(), "kubernetes");
    for name in ["k8s-issuer", "namespace", "service-account"] {
        let f = field(&app, name);
        assert!(!f.text().is_empty() && f.from_tenant().is_some(), "{name}");
    }
    assert!(field(&app, "k8s-issuer").text().starts_with("https://"));

    // secret → managed identity: where the service principal's roles and resources are.
    let mut app = select("payroll-api");
    update(&mut app, Msg::Command(Command::Migrate));
    key(&mut app, "3");
    let rg = field(&app, "resource-group");
    assert_eq!(rg.text(), "rg-payroll-prod");
    assert!(rg.from_tenant().unwrap().contains("role assignments"));
    let location = field(&app, "location");
    assert!(!location.text().is_empty() && location.from_tenant().is_some());
}

/// The retirement gate's fields are the form's: the idle days and the explicit override reach
/// the run's form, and the confirm screen weighs each removal's evidence with them; a bad
/// number of days is named beside its field.
#[test]
fn the_gate_fields_reach_the_run_and_the_confirm_screen_shows_the_evidence() {
    let mut app = fic_plan(true);
    key(&mut app, "a");
    assert_eq!(stage(&app), Stage::Confirm);
    let evidence = app.migration.as_ref().unwrap().evidence.clone();
    assert!(
        evidence[0].starts_with("Usage evidence (") && evidence[0].contains("idle 7 days"),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|l| l == "Usage evidence for step 2: waits for usage evidence"),
        "{evidence:?}"
    );
    assert!(
        evidence.iter().any(|l| l.contains("still signs in")),
        "{evidence:?}"
    );

    // Back to the form: 30 idle days, and the override.
    key(&mut app, "esc");
    key(&mut app, "esc");
    assert_eq!(stage(&app), Stage::Form);
    focus(&mut app, "idle-days");
    type_in(&mut app, "x");
    key(&mut app, "enter");
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Form);
    assert!(!m.errors_of("idle-days").is_empty(), "{:?}", m.errors);
    update(&mut app, Msg::Edit(InputRequest::DeletePrevChar));
    update(&mut app, Msg::Edit(InputRequest::DeletePrevChar));
    type_in(&mut app, "30");
    focus(&mut app, "without-usage-evidence");
    key(&mut app, "space");
    key(&mut app, "enter");
    assert_eq!(stage(&app), Stage::Plan);
    key(&mut app, "a");
    let evidence = app.migration.as_ref().unwrap().evidence.clone();
    assert!(evidence[0].contains("idle 30 days"), "{evidence:?}");
    assert!(
        evidence.iter().any(|l| l
            == "Usage evidence for step 2: goes without usage evidence (--without-usage-evidence)"),
        "{evidence:?}"
    );
    type_in(&mut app, "payroll-api");
    let effects = key(&mut app, "enter");
    let [Effect::RunMigration(request)] = &effects[..] else {
        panic!("{effects:?}");
    };
    let gate = request.form.gate_options().unwrap();
    assert_eq!(gate.idle_days, 30);
    assert!(gate.without_usage_evidence);
}

#[test]
fn the_outcome_offers_a_rollback_after_a_yes_and_a_rollback_offers_none() {
    use credwise::jobs::migrate::RollbackMode;
    let journal = "20261122-120000-secret-to-fic-1";
    let mut app = fic_plan(false);
    key(&mut app, "enter");
    key(&mut app, "y");
    update(
        &mut app,
        Msg::MigrationFinished(Finished {
            completed: true,
            wording: RunOutcome::Done.wording(journal, false, None),
            journal_id: Some(journal.into()),
            record: None,
            key_files: vec![],
        }),
    );
    assert_eq!(stage(&app), Stage::Done);
    let screen = common::screen(&render(&app, &mut ui(), 120, 40));
    assert!(screen.contains("u roll back"), "the hint:\n{screen}");

    // `u` asks; `n` keeps the migration and changes nothing.
    assert!(key(&mut app, "u").is_empty());
    assert!(app.migration.as_ref().unwrap().asking_rollback);
    let screen = common::screen(&render(&app, &mut ui(), 120, 40));
    assert!(screen.contains("Roll this migration back?"), "{screen}");
    assert!(
        screen.contains("y roll back") && screen.contains("keep it"),
        "{screen}"
    );
    assert!(key(&mut app, "n").is_empty());
    assert!(!app.migration.as_ref().unwrap().asking_rollback);
    assert_eq!(stage(&app), Stage::Done);

    // `u` then `y` undoes this run's journal under the lockout rule.
    key(&mut app, "u");
    assert_eq!(
        key(&mut app, "y"),
        vec![Effect::RollbackMigration {
            journal_id: journal.into(),
            mode: RollbackMode::Safe,
        }]
    );
    assert_eq!(stage(&app), Stage::Running);

    // The rollback's own outcome offers nothing to undo.
    update(
        &mut app,
        Msg::MigrationFinished(Finished {
            completed: true,
            wording: RunOutcome::RolledBack.wording(journal, true, None),
            journal_id: Some(journal.into()),
            record: None,
            key_files: vec![],
        }),
    );
    let screen = common::screen(&render(&app, &mut ui(), 120, 40));
    assert!(
        !screen.contains("roll back"),
        "no hint after a rollback:\n{screen}"
    );
    assert!(key(&mut app, "u").is_empty());
    assert!(!app.migration.as_ref().unwrap().asking_rollback);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.is_error && s.text.contains("nothing to undo")),
        "{:?}",
        app.status
    );
}

#[test]
fn a_read_only_explorer_offers_no_rollback_on_the_outcome() {
    let mut app = fic_plan(false);
    key(&mut app, "enter");
    key(&mut app, "y");
    update(
        &mut app,
        Msg::MigrationFinished(Finished {
            completed: true,
            wording: RunOutcome::Done.wording("j-1", false, None),
            journal_id: Some("j-1".into()),
            record: None,
            key_files: vec![],
        }),
    );
    app.read_only = true;
    assert!(key(&mut app, "u").is_empty());
    assert!(!app.migration.as_ref().unwrap().asking_rollback);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.text.contains("read-only"))
    );
}
