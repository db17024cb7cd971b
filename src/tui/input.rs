//! Input: a terminal event (crossterm) becomes the messages it means. A key is looked up in
//! the keymap context of what is on screen (`App::context`): bound, it is a `Msg::Command`;
//! unbound where text is typed (the filter and command lines, a migration's text field, a
//! name typed to confirm), it is a `Msg::Edit`. Where nothing is typed, a key may start a
//! sequence (`gg`) and digits make a count, as in vim: `5j` moves five rows, `12G` and `12gg`
//! go to row 12; a count before anything else is dropped. Clicks and scrolls land on the panes
//! of the last frame.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::ui_state::UiState;
use crate::app::Command;
use crate::app::keymap::{Key, KeyCodeOrd, Lookup, NAMED_KEYS};
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

/// The largest count a key takes; more digits are ignored.
const MAX_COUNT: u32 = 99_999;

/// Turns a terminal event into messages. Keeps a started sequence and a typed count in `ui`.
pub fn to_msgs(app: &App, ui: &mut UiState, ev: &Event) -> Vec<Msg> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            let context = app.context();
            if context.takes_text() {
                ui.pending = None;
                ui.count = None;
                return key_msg(context, ui, ev, key).into_iter().collect();
            }
            let Some(k) = key_of(key) else {
                ui.pending = None;
                ui.count = None;
                return Vec::new();
            };
            if let Some(d) = count_digit(ui, context, &k) {
                ui.count = Some((ui.count.unwrap_or(0) * 10 + d).min(MAX_COUNT));
                return Vec::new();
            }
            match ui.keymap.resolve(context, ui.pending.take(), &k) {
                Lookup::Run(c) => return counted(c, ui.count.take()),
                Lookup::Pending => {
                    ui.pending = Some(k);
                    return Vec::new();
                }
                Lookup::Unbound => ui.count = None,
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
            ui.pending = None;
            ui.count = None;
            mouse_msg(app, ui, m).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// The digit `k` adds to a count: a plain digit the context binds to nothing, not after a
/// sequence's first key, and `0` only inside a count.
fn count_digit(ui: &UiState, context: Context, k: &Key) -> Option<u32> {
    let KeyCodeOrd::Char(c) = k.code else {
        return None;
    };
    let d = c.to_digit(10)?;
    let starts = d != 0 || ui.count.is_some();
    (starts
        && !k.ctrl
        && !k.alt
        && ui.pending.is_none()
        && ui.keymap.resolve(context, None, k) == Lookup::Unbound)
        .then_some(d)
}

/// A command with the count typed before it: a move repeated, `G`/`gg` to that row (the
/// first, then down), anything else once.
fn counted(c: Command, count: Option<u32>) -> Vec<Msg> {
    let n = count.unwrap_or(1).max(1) as usize;
    match c {
        Command::SelectNext
        | Command::SelectPrev
        | Command::PageDown
        | Command::PageUp
        | Command::HalfPageDown
        | Command::HalfPageUp => std::iter::repeat_with(|| Msg::Command(c)).take(n).collect(),
        Command::SelectFirst | Command::SelectLast if count.is_some() => {
            std::iter::once(Msg::Command(Command::SelectFirst))
                .chain(std::iter::repeat_with(|| Msg::Command(Command::SelectNext)).take(n - 1))
                .collect()
        }
        _ => vec![Msg::Command(c)],
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
