//! Terminal events to messages: the keymap in normal mode, text editing in the filter and
//! command lines, Ctrl-C from anywhere, Esc+key arriving glued together as Alt+key, and mouse
//! clicks mapped through the areas of the last frame.
#![allow(clippy::unwrap_used)]

mod common;

use common::{explorer_app, loaded_app, render, ui};
use credwise::app::{Command, Mode, Msg, Pane, update};
use credwise::tui::input::to_msgs;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

fn key(code: KeyCode, m: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, m))
}

fn commands(msgs: &[Msg]) -> Vec<Command> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Command(c) => Some(*c),
            _ => None,
        })
        .collect()
}

#[test]
fn normal_keys_go_through_the_keymap() {
    let app = loaded_app();
    let ui = ui();
    let j = to_msgs(&app, &ui, &key(KeyCode::Char('j'), KeyModifiers::NONE));
    assert_eq!(commands(&j), vec![Command::SelectNext]);
    let big_g = to_msgs(&app, &ui, &key(KeyCode::Char('G'), KeyModifiers::SHIFT));
    assert_eq!(commands(&big_g), vec![Command::SelectLast]);
    let unbound = to_msgs(&app, &ui, &key(KeyCode::Char('Z'), KeyModifiers::SHIFT));
    assert!(unbound.is_empty());
}

#[test]
fn glued_escape_and_key_are_two_commands() {
    let app = loaded_app();
    let ui = ui();
    let msgs = to_msgs(&app, &ui, &key(KeyCode::Char('j'), KeyModifiers::ALT));
    assert_eq!(commands(&msgs), vec![Command::Back, Command::SelectNext]);
}

#[test]
fn typing_in_the_filter_edits_text_and_ctrl_c_still_quits() {
    let mut app = loaded_app();
    update(&mut app, Msg::Command(Command::Filter));
    assert_eq!(app.mode, Mode::Filter);
    let ui = ui();
    let q = to_msgs(&app, &ui, &key(KeyCode::Char('q'), KeyModifiers::NONE));
    assert!(matches!(q[..], [Msg::Edit(_)]), "q is text here");
    let esc = to_msgs(&app, &ui, &key(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(commands(&esc), vec![Command::Cancel]);
    let ctrl_c = to_msgs(&app, &ui, &key(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(commands(&ctrl_c), vec![Command::Quit]);
}

#[test]
fn clicks_land_on_what_was_drawn() {
    let app = explorer_app();
    let mut ui = ui();
    let _ = render(&app, &mut ui, 120, 40);
    let rows = ui.areas.list_rows.unwrap();
    let click = |x, y| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    let msgs = to_msgs(&app, &ui, &click(rows.x + 2, rows.y + 4));
    assert!(matches!(msgs[..], [Msg::ClickList(4)]), "{msgs:?}");
    let (y, item) = ui.areas.nav_rows[2];
    let nav = ui.areas.nav.unwrap();
    let msgs = to_msgs(&app, &ui, &click(nav.x + 3, y));
    assert!(
        matches!(msgs[..], [Msg::ClickNav(i)] if i == item),
        "{msgs:?}"
    );
    let wheel = Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: rows.x + 2,
        row: rows.y + 1,
        modifiers: KeyModifiers::NONE,
    });
    let msgs = to_msgs(&app, &ui, &wheel);
    assert!(matches!(msgs[..], [Msg::Scroll(Pane::List, 3)]), "{msgs:?}");
}
