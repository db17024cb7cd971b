//! The interactive wizard as sequences of messages: walking to an outcome, going back,
//! changing an earlier answer (later answers that no longer apply are dropped), pre-filling
//! from an identity of the demo tenant, closing, and exporting the decision record.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{NOW, loaded_app};
use credwise::app::wizard::{Screen, decision_table, screen};
use credwise::app::{App, Command, Effect, Mode, Msg, update};
use credwise::domain::IdentityKind;

fn standalone() -> App {
    App::standalone_wizard(Arc::new(decision_table().unwrap()), NOW)
}

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    update(app, Msg::Command(c))
}

/// The fact of the question on screen, or "summary".
fn on_screen(app: &App) -> String {
    let table = app.decision_table.clone().unwrap();
    match screen(app, &table).unwrap() {
        Screen::Question { question, .. } => question.fact.clone(),
        Screen::Summary(r) => format!("summary:{}", r.outcome),
    }
}

/// Picks the answer with `value` for the question on screen and presses Enter.
fn answer(app: &mut App, value: &str) {
    let table = app.decision_table.clone().unwrap();
    let Some(Screen::Question { question, .. }) = screen(app, &table) else {
        panic!("no question on screen")
    };
    let i = question
        .answers
        .iter()
        .position(|a| a.value == value)
        .unwrap();
    cmd(app, Command::SelectFirst);
    for _ in 0..i {
        cmd(app, Command::SelectNext);
    }
    cmd(app, Command::Open);
}

#[test]
fn walking_to_a_system_assigned_identity() {
    let mut app = standalone();
    assert_eq!(app.mode, Mode::Wizard);
    assert_eq!(on_screen(&app), "user_present");
    answer(&mut app, "false");
    assert_eq!(on_screen(&app), "hosting");
    answer(&mut app, "azure");
    assert_eq!(on_screen(&app), "target");
    answer(&mut app, "entra-same-tenant");
    assert_eq!(on_screen(&app), "identity_scope");
    answer(&mut app, "single-resource");
    assert_eq!(on_screen(&app), "summary:system-assigned-managed-identity");
}

#[test]
fn progress_counts_the_longest_remaining_path() {
    let mut app = standalone();
    let table = app.decision_table.clone().unwrap();
    let Some(Screen::Question {
        number, at_most, ..
    }) = screen(&app, &table)
    else {
        panic!()
    };
    assert_eq!((number, at_most), (1, 5));
    answer(&mut app, "false");
    answer(&mut app, "azure");
    let Some(Screen::Question {
        number, at_most, ..
    }) = screen(&app, &table)
    else {
        panic!()
    };
    assert_eq!((number, at_most), (3, 4));
}

#[test]
fn back_keeps_answers_and_changing_one_drops_what_no_longer_applies() {
    let mut app = standalone();
    answer(&mut app, "false");
    answer(&mut app, "azure");
    answer(&mut app, "entra-same-tenant");
    assert_eq!(on_screen(&app), "identity_scope");
    cmd(&mut app, Command::Back);
    // ← (or h), as on screen: back too.
    common::press(&mut app, "left");
    assert_eq!(on_screen(&app), "hosting");
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(
        w.answers.get("target"),
        Some("entra-same-tenant"),
        "back keeps answers"
    );
    // The highlighted answer is the one given.
    let table = app.decision_table.clone().unwrap();
    let q = table.question("hosting").unwrap();
    assert_eq!(q.answers[w.option].value, "azure");
    // Moving outside Azure: `target` no longer applies and is dropped.
    answer(&mut app, "outside-azure");
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.answers.get("target"), None);
    assert_eq!(on_screen(&app), "token_issuer");
    answer(&mut app, "github-actions");
    assert_eq!(on_screen(&app), "summary:workload-identity-federation");
}

#[test]
fn confirming_the_same_answer_keeps_the_later_ones() {
    let mut app = standalone();
    answer(&mut app, "false");
    answer(&mut app, "azure");
    answer(&mut app, "entra-other-tenant");
    assert_eq!(
        on_screen(&app),
        "summary:managed-identity-as-federated-credential"
    );
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::Back);
    assert_eq!(on_screen(&app), "hosting");
    cmd(&mut app, Command::Open);
    cmd(&mut app, Command::Open);
    assert_eq!(
        on_screen(&app),
        "summary:managed-identity-as-federated-credential"
    );
}

#[test]
fn standalone_back_on_the_first_question_stays_and_q_quits() {
    let mut app = standalone();
    cmd(&mut app, Command::Back);
    assert_eq!(app.mode, Mode::Wizard);
    assert!(!app.quit);
    common::press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn export_writes_markdown_and_json_from_the_summary() {
    let mut app = standalone();
    assert!(
        cmd(&mut app, Command::Export).is_empty(),
        "nothing to export yet"
    );
    answer(&mut app, "true");
    assert_eq!(on_screen(&app), "summary:passwordless-user-sign-in");
    let effects = cmd(&mut app, Command::Export);
    let [Effect::WriteFiles(files)] = &effects[..] else {
        panic!("{effects:?}")
    };
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "credwise-decision-passwordless-user-sign-in-2026-11-22.md",
            "credwise-decision-passwordless-user-sign-in-2026-11-22.json"
        ]
    );
    assert!(files[0].1.starts_with("# Credential decision: "));
    let json: serde_json::Value = serde_json::from_str(&files[1].1).unwrap();
    assert_eq!(json["outcome"], "passwordless-user-sign-in");
    assert!(
        json["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["seed"].as_str().unwrap().ends_with(".txt"))
    );
    update(
        &mut app,
        Msg::Exported(names.iter().map(|s| s.to_string()).collect()),
    );
    assert!(app.wizard.as_ref().unwrap().exported.is_some());
}

fn select(app: &mut App, name: &str, kind: IdentityKind) {
    let dir = app.dir.clone().unwrap();
    let i = app
        .visible
        .iter()
        .position(|&id| {
            let e = dir.entry(id);
            e.kind == kind && dir.display_name_of(e) == name
        })
        .unwrap();
    update(app, Msg::ClickList(i));
}

#[test]
fn w_prefills_from_a_managed_identity_and_marks_it() {
    let mut app = loaded_app();
    app.decision_table = Some(Arc::new(decision_table().unwrap()));
    select(
        &mut app,
        "id-orders-shared",
        IdentityKind::UserAssignedManagedIdentity,
    );
    cmd(&mut app, Command::Wizard);
    assert_eq!(app.mode, Mode::Wizard);
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.subject.as_deref(), Some("id-orders-shared"));
    assert_eq!(w.answers.get("hosting"), Some("azure"));
    assert!(w.answers.is_prefilled("hosting"));
    assert_eq!(
        w.answers.get("identity_scope"),
        Some("shared"),
        "attached to 4 resources"
    );
    // Accepting the pre-filled answers keeps their mark.
    cmd(&mut app, Command::Open);
    cmd(&mut app, Command::Open);
    assert!(app.wizard.as_ref().unwrap().answers.is_prefilled("hosting"));
    answer(&mut app, "entra-same-tenant");
    cmd(&mut app, Command::Open);
    assert_eq!(on_screen(&app), "summary:user-assigned-managed-identity");
    let table = app.decision_table.clone().unwrap();
    let Some(Screen::Summary(r)) = screen(&app, &table) else {
        panic!()
    };
    assert!(r.answers.iter().any(|a| a.fact == "hosting" && a.prefilled));
    assert!(r.answers.iter().any(|a| a.fact == "target" && !a.prefilled));
    // q closes the overlay, back to the explorer.
    common::press(&mut app, "q");
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quit);
}

#[test]
fn w_prefills_a_github_issuer_from_a_github_fic() {
    let mut app = loaded_app();
    app.decision_table = Some(Arc::new(decision_table().unwrap()));
    select(&mut app, "github-deploy-infra", IdentityKind::Application);
    cmd(&mut app, Command::Wizard);
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.answers.get("token_issuer"), Some("github-actions"));
    assert_eq!(w.answers.get("hosting"), Some("outside-azure"));
    for _ in 0..3 {
        cmd(&mut app, Command::Open);
    }
    assert_eq!(on_screen(&app), "summary:workload-identity-federation");
}

#[test]
fn w_prefills_another_tenant_for_a_multi_tenant_app() {
    let mut app = loaded_app();
    app.decision_table = Some(Arc::new(decision_table().unwrap()));
    select(
        &mut app,
        "carrier-portal-connector",
        IdentityKind::Application,
    );
    cmd(&mut app, Command::Wizard);
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.answers.get("target"), Some("entra-other-tenant"));
    assert!(w.answers.is_prefilled("target"));
}

#[test]
fn without_a_table_w_explains() {
    let mut app = common::explorer_app();
    cmd(&mut app, Command::Wizard);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.status.unwrap().is_error);
}
