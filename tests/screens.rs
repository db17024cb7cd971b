//! Screen snapshots of the explorer (ratatui `TestBackend` + insta) at 80x24, 120x40 and
//! 40x12 with a fixed *now*, plus a property test that rendering never panics at any size.
#![allow(clippy::unwrap_used)]

mod common;

use common::{NOW, loaded_app, render, type_text, ui};
use credwise::app::{App, Command, Msg, update};
use proptest::prelude::*;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (40, 12)];

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        let mut ui = ui();
        let t = render(app, &mut ui, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

fn cmd(app: &mut App, c: Command) {
    update(app, Msg::Command(c));
}

#[test]
fn explorer() {
    snap("explorer", &loaded_app());
}

#[test]
fn details() {
    let mut app = loaded_app();
    // An app registration with secrets, certificates and links.
    update(&mut app, Msg::Command(Command::Filter));
    type_text(&mut app, "^payroll-api$", true);
    update(&mut app, Msg::FilterAccept);
    cmd(&mut app, Command::Open);
    snap("details", &app);
}

#[test]
fn filter() {
    let mut app = loaded_app();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "repo:fabrikam", true);
    snap("filter", &app);
}

#[test]
fn help() {
    let mut app = loaded_app();
    cmd(&mut app, Command::Help);
    snap("help", &app);
}

#[test]
fn command_line() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "kind uami", false);
    snap("command_line", &app);
}

#[test]
fn kind_view_after_command() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "kind uami", false);
    update(&mut app, Msg::CommandAccept);
    snap("kind_uami", &app);
}

#[test]
fn too_small() {
    let app = loaded_app();
    for (w, h) in [(39, 12), (40, 11), (20, 5)] {
        let mut ui = ui();
        let t = render(&app, &mut ui, w, h);
        insta::assert_snapshot!(format!("too_small_{w}x{h}"), t.backend());
    }
}

#[test]
fn loading_screen() {
    let app = App::new("snapshot tenant.json", true, NOW);
    let mut ui = ui();
    let t = render(&app, &mut ui, 80, 24);
    insta::assert_snapshot!("loading_80x24", t.backend());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn render_never_panics(
        w in 1u16..220,
        h in 1u16..70,
        moves in proptest::collection::vec(0usize..12, 0..20),
    ) {
        let mut app = loaded_app();
        let commands = [
            Command::SelectNext, Command::SelectLast, Command::FocusNext, Command::Open,
            Command::Open, Command::Back, Command::PageDown, Command::Help, Command::Help,
            Command::CycleSort, Command::FocusPrev, Command::SelectFirst,
        ];
        for m in moves {
            update(&mut app, Msg::Command(commands[m]));
        }
        let mut ui = ui();
        let _ = render(&app, &mut ui, w, h);
    }
}
