//! The explorer's notice about a migration left unfinished (found in the journals at start)
//! stays on screen until the user acts on it (`:resume`, `:rollback`) or dismisses it
//! (`:dismiss`): the tenant's load, a refresh or any other message do not overwrite it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{NOW, demo_dir, explorer_app, render, screen, ui};
use credwise::app::migration::OpenJournal;
use credwise::app::{App, Command, Effect, Msg, update};
use credwise::domain::migration::MigrationKind;
use tui_input::InputRequest;

const NOTICE: &str = "unfinished migration secret-to-fic of payroll-api (step 2 of 2)";

fn found() -> Msg {
    Msg::JournalFound(OpenJournal {
        id: "20261122-120000-secret-to-fic-0001".into(),
        kind: MigrationKind::SecretToFic,
        identity: "c4f97ea9-96b5-4c0a-9c97-883d8b37a641".into(),
        identity_name: "payroll-api".into(),
        next_step: 1,
        steps: 2,
    })
}

fn on_screen(app: &App) -> String {
    screen(&render(app, &mut ui(), 120, 40))
}

fn command_line(app: &mut App, line: &str) -> Vec<Effect> {
    update(app, Msg::Command(Command::CommandLine));
    for c in line.chars() {
        update(app, Msg::Edit(InputRequest::InsertChar(c)));
    }
    update(app, Msg::Command(credwise::app::Command::Submit))
}

fn loaded(app: &mut App) {
    update(
        app,
        Msg::TenantLoaded {
            dir: Box::new(demo_dir()),
            audit: None,
            warnings: vec![],
            cached_at: None,
            refresh: None,
        },
    );
}

#[test]
fn the_unfinished_migration_notice_stays_until_acted_on_or_dismissed() {
    // The journal is found while the tenant is still loading, as at start.
    let mut app = App::new("demo", false, NOW);
    update(&mut app, found());
    loaded(&mut app);
    assert!(
        app.status.as_ref().unwrap().text.contains("loaded"),
        "{:?}",
        app.status
    );
    let shown = on_screen(&app);
    assert!(shown.contains(NOTICE), "{shown}");
    // A refresh and other messages come and go; the notice stays.
    loaded(&mut app);
    update(&mut app, Msg::Notice("copied the object id".into()));
    let shown = on_screen(&app);
    assert!(
        shown.contains(NOTICE) && shown.contains("copied the object id"),
        "{shown}"
    );
    // Dismissed: gone from the screen, and :resume still finds the journal.
    command_line(&mut app, "dismiss");
    assert!(!on_screen(&app).contains(NOTICE));
    assert_eq!(
        command_line(&mut app, "resume"),
        vec![Effect::ContinueMigration {
            journal_id: "20261122-120000-secret-to-fic-0001".into(),
            rollback: false
        }]
    );
}

#[test]
fn acting_on_the_notice_takes_it_away() {
    let mut app = explorer_app();
    update(&mut app, found());
    assert!(on_screen(&app).contains(NOTICE));
    command_line(&mut app, "rollback");
    assert!(app.open_journal.is_none());
    assert!(!on_screen(&app).contains(NOTICE));
}
