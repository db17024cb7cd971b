//! Terminal events to messages: the keymap in normal mode, text editing in the filter and
//! command lines, Ctrl-C from anywhere, Esc+key arriving glued together as Alt+key, and mouse
//! clicks mapped through the areas of the last frame.
#![allow(clippy::unwrap_used)]

mod common;

use common::{explorer_app, loaded_app, render, ui};
use credwise::app::{App, Command, Mode, Msg, Pane, update};
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
    let mut ui = ui();
    let j = to_msgs(&app, &mut ui, &key(KeyCode::Char('j'), KeyModifiers::NONE));
    assert_eq!(commands(&j), vec![Command::SelectNext]);
    let big_g = to_msgs(&app, &mut ui, &key(KeyCode::Char('G'), KeyModifiers::SHIFT));
    assert_eq!(commands(&big_g), vec![Command::SelectLast]);
    let unbound = to_msgs(&app, &mut ui, &key(KeyCode::Char('Z'), KeyModifiers::SHIFT));
    assert!(unbound.is_empty());
}

#[test]
fn glued_escape_and_key_are_two_commands() {
    let app = loaded_app();
    let mut ui = ui();
    let msgs = to_msgs(&app, &mut ui, &key(KeyCode::Char('j'), KeyModifiers::ALT));
    assert_eq!(commands(&msgs), vec![Command::Back, Command::SelectNext]);
}

#[test]
fn typing_in_the_filter_edits_text_and_ctrl_c_still_quits() {
    let mut app = loaded_app();
    update(&mut app, Msg::Command(Command::Filter));
    assert_eq!(app.mode, Mode::Filter);
    let mut ui = ui();
    let q = to_msgs(&app, &mut ui, &key(KeyCode::Char('q'), KeyModifiers::NONE));
    assert!(matches!(q[..], [Msg::Edit(_)]), "q is text here");
    let esc = to_msgs(&app, &mut ui, &key(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(commands(&esc), vec![Command::Cancel]);
    let ctrl_c = to_msgs(
        &app,
        &mut ui,
        &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
    );
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
    let msgs = to_msgs(&app, &mut ui, &click(rows.x + 2, rows.y + 4));
    assert!(matches!(msgs[..], [Msg::ClickList(4)]), "{msgs:?}");
    let (y, item) = ui.areas.nav_rows[2];
    let nav = ui.areas.nav.unwrap();
    let msgs = to_msgs(&app, &mut ui, &click(nav.x + 3, y));
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
    let msgs = to_msgs(&app, &mut ui, &wheel);
    assert!(matches!(msgs[..], [Msg::Scroll(Pane::List, 3)]), "{msgs:?}");
}

fn press_char(app: &App, ui: &mut credwise::tui::ui_state::UiState, c: char) -> Vec<Command> {
    let m = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    commands(&to_msgs(app, ui, &key(KeyCode::Char(c), m)))
}

#[test]
fn gg_is_a_sequence_and_a_lone_g_waits() {
    let app = loaded_app();
    let mut ui = ui();
    assert!(
        press_char(&app, &mut ui, 'g').is_empty(),
        "g waits for the next key"
    );
    assert!(ui.pending.is_some());
    assert_eq!(press_char(&app, &mut ui, 'g'), vec![Command::SelectFirst]);
    assert!(ui.pending.is_none());
    // g then a key that ends no sequence: nothing, and the next key is itself again.
    assert!(press_char(&app, &mut ui, 'g').is_empty());
    assert!(press_char(&app, &mut ui, 'x').is_empty());
    assert_eq!(press_char(&app, &mut ui, 'j'), vec![Command::SelectNext]);
}

#[test]
fn a_count_repeats_a_move_and_goes_to_a_row() {
    let mut app = loaded_app();
    update(&mut app, Msg::ListRows(10));
    let mut ui = ui();
    assert!(press_char(&app, &mut ui, '1').is_empty());
    assert!(press_char(&app, &mut ui, '2').is_empty());
    assert_eq!(ui.count, Some(12));
    let msgs = to_msgs(&app, &mut ui, &key(KeyCode::Char('j'), KeyModifiers::NONE));
    assert_eq!(commands(&msgs), vec![Command::SelectNext; 12]);
    assert_eq!(ui.count, None, "a count is used once");
    for m in msgs {
        update(&mut app, m);
    }
    assert_eq!(app.selected, 12);
    // 5G and 5gg: row 5.
    press_char(&app, &mut ui, '5');
    for m in to_msgs(&app, &mut ui, &key(KeyCode::Char('G'), KeyModifiers::SHIFT)) {
        update(&mut app, m);
    }
    assert_eq!(app.selected, 4);
    press_char(&app, &mut ui, '3');
    press_char(&app, &mut ui, 'g');
    for m in to_msgs(&app, &mut ui, &key(KeyCode::Char('g'), KeyModifiers::NONE)) {
        update(&mut app, m);
    }
    assert_eq!(app.selected, 2);
    // A lone 0 is no count; a count before a command that is not a move runs it once.
    assert!(press_char(&app, &mut ui, '0').is_empty());
    assert_eq!(ui.count, None);
    press_char(&app, &mut ui, '4');
    assert_eq!(press_char(&app, &mut ui, '/'), vec![Command::Filter]);
}

#[test]
fn digits_a_context_binds_are_not_counts_and_text_takes_digits() {
    let mut app = explorer_app();
    let mut ui = ui();
    // The migration picker (of payroll-api, which has a secret) binds 1-3.
    update(&mut app, Msg::Command(Command::Filter));
    common::type_text(&mut app, "^payroll-api$");
    update(&mut app, Msg::Command(Command::Submit));
    update(&mut app, Msg::Command(Command::Migrate));
    assert_eq!(app.context(), credwise::app::Context::MigratePick);
    assert_eq!(press_char(&app, &mut ui, '2'), vec![Command::Pick2]);
    assert_eq!(ui.count, None);
    // The filter takes digits as text.
    let mut app = loaded_app();
    update(&mut app, Msg::Command(Command::Filter));
    let msgs = to_msgs(&app, &mut ui, &key(KeyCode::Char('7'), KeyModifiers::NONE));
    assert!(matches!(msgs[..], [Msg::Edit(_)]));
    assert_eq!(ui.count, None);
}

#[test]
fn the_status_bar_shows_what_is_typed_towards_a_command() {
    let app = loaded_app();
    let mut ui = ui();
    press_char(&app, &mut ui, '1');
    press_char(&app, &mut ui, '2');
    press_char(&app, &mut ui, 'g');
    let t = render(&app, &mut ui, 100, 30);
    let last = common::screen(&t).lines().last().unwrap().to_string();
    assert!(last.starts_with(" 12g "), "{last:?}");
}
