//! Input: a terminal event (crossterm) becomes the messages it means. A key is looked up in
//! the keymap context of what is on screen (`App::context`): bound, it is a `Msg::Command`;
//! unbound where text is typed (the filter and command lines, a migration's text field, a
//! name typed to confirm), it is a `Msg::Edit`. Clicks and scrolls land on the panes of the
//! last frame.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::ui_state::UiState;
use crate::app::keymap::{Key, KeyCodeOrd, NAMED_KEYS};
use crate::app::{App, Context, Mode, Msg, Pane};

/// The crossterm key codes the keymap's named keys stand for.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

/// The keymap's key for a terminal key event, if bindings can name it.
pub fn key_of(ev: &KeyEvent) -> Option<Key> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let alt = ev.modifiers.contains(KeyModifiers::ALT);
    let code = match ev.code {
        KeyCode::Char(c) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
        KeyCode::F(n) => KeyCodeOrd::F(n),
        other => {
            let name = NAMED.iter().find(|(_, k)| *k == other)?.0;
            KeyCodeOrd::Named(NAMED_KEYS.iter().find(|n| **n == name)?)
        }
    };
    Some(Key { code, ctrl, alt })
}

/// Turns a terminal event into messages.
pub fn to_msgs(app: &App, ui: &UiState, ev: &Event) -> Vec<Msg> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            let context = app.context();
            if let Some(msg) = key_msg(context, ui, ev, key) {
                return vec![msg];
            }
            // A terminal sends Esc then a key as Alt+key when they arrive together (slow
            // SSH, paste). An unbound Alt+key where nothing is typed is that: Esc, then the key.
            if matches!(app.mode, Mode::Normal | Mode::Help | Mode::Wizard)
                && key.modifiers.contains(KeyModifiers::ALT)
            {
                let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
                let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
                return [esc, plain]
                    .iter()
                    .filter_map(|k| key_of(k).and_then(|k| ui.keymap.lookup(context, &k)))
                    .map(Msg::Command)
                    .collect();
            }
            Vec::new()
        }
        Event::Mouse(m) if matches!(app.mode, Mode::Normal | Mode::Filter | Mode::Command) => {
            mouse_msg(app, ui, m).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

fn key_msg(context: Context, ui: &UiState, ev: &Event, key: &KeyEvent) -> Option<Msg> {
    if let Some(c) = key_of(key).and_then(|k| ui.keymap.lookup(context, &k)) {
        return Some(Msg::Command(c));
    }
    if context.takes_text() {
        return tui_input::backend::crossterm::to_input_request(ev).map(Msg::Edit);
    }
    None
}

fn contains(r: Option<ratatui::layout::Rect>, x: u16, y: u16) -> bool {
    r.is_some_and(|r| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
}

fn mouse_msg(app: &App, ui: &UiState, m: &MouseEvent) -> Option<Msg> {
    let (x, y) = (m.column, m.row);
    let a = &ui.areas;
    let pane = if contains(a.nav, x, y) {
        Pane::Nav
    } else if contains(a.details, x, y) {
        Pane::Details
    } else {
        Pane::List
    };
    match m.kind {
        MouseEventKind::ScrollDown => Some(Msg::Scroll(pane, 3)),
        MouseEventKind::ScrollUp => Some(Msg::Scroll(pane, -3)),
        MouseEventKind::Down(MouseButton::Left) => match pane {
            Pane::Nav => a
                .nav_rows
                .iter()
                .find(|(row, _)| *row == y)
                .map(|(_, i)| Msg::ClickNav(*i)),
            Pane::Details if contains(a.details, x, y) => Some(Msg::ClickDetails(
                a.link_rows
                    .iter()
                    .find(|(row, _)| *row == y)
                    .map(|(_, i)| *i),
            )),
            _ => {
                let rows = a.list_rows?;
                contains(Some(rows), x, y)
                    .then(|| Msg::ClickList(ui.list_offset + (y - rows.y) as usize))
                    .filter(|_| !app.visible.is_empty())
            }
        },
        _ => None,
    }
}
