//! Input: a terminal event (crossterm) becomes the messages it means — through the keymap in
//! normal, help and wizard mode; as text edits in the filter and command lines and in a
//! migration's fields; as clicks and scrolls on the panes.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::keymap::Key;
use super::ui_state::UiState;
use crate::app::migration::MigrateKey;
use crate::app::{App, Command, Mode, Msg, Pane};

/// Turns a terminal event into messages, through the keymap in normal mode.
pub fn to_msgs(app: &App, ui: &UiState, ev: &Event) -> Vec<Msg> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            if let Some(msg) = key_msg(app, ui, ev, key) {
                return vec![msg];
            }
            // A terminal sends Esc then a key as Alt+key when they arrive together (slow
            // SSH, paste). An unbound Alt+key in normal mode is that: Esc, then the key.
            if matches!(app.mode, Mode::Normal | Mode::Help | Mode::Wizard)
                && key.modifiers.contains(KeyModifiers::ALT)
            {
                let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
                let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
                return [esc, plain]
                    .iter()
                    .filter_map(|k| {
                        Key::from_event(k).and_then(|k| ui.keymap.lookup(app.focus, &k))
                    })
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

fn key_msg(app: &App, ui: &UiState, ev: &Event, key: &KeyEvent) -> Option<Msg> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if app.mode == Mode::Migrate {
        return migrate_key(app, ev, key, ctrl_c).map(Msg::MigrateKey);
    }
    // Ctrl-C leaves from anywhere, even mid-typing.
    if ctrl_c {
        return Some(Msg::Command(Command::Quit));
    }
    match app.mode {
        Mode::Filter => match key.code {
            KeyCode::Esc => Some(Msg::FilterCancel),
            KeyCode::Enter => Some(Msg::FilterAccept),
            KeyCode::Down => Some(Msg::Command(Command::SelectNext)),
            KeyCode::Up => Some(Msg::Command(Command::SelectPrev)),
            _ => tui_input::backend::crossterm::to_input_request(ev).map(Msg::FilterEdit),
        },
        Mode::Command => match key.code {
            KeyCode::Esc => Some(Msg::CommandCancel),
            KeyCode::Enter => Some(Msg::CommandAccept),
            KeyCode::Tab => Some(Msg::CommandComplete),
            _ => tui_input::backend::crossterm::to_input_request(ev).map(Msg::CommandEdit),
        },
        // Handled by `migrate_key` above.
        Mode::Migrate => None,
        Mode::Normal | Mode::Help | Mode::Wizard => {
            let k = Key::from_event(key)?;
            ui.keymap.lookup(app.focus, &k).map(Msg::Command)
        }
    }
}

/// Keys under a migration: Ctrl-C asks before a running step is stopped; letters are text
/// where a field or the confirmation takes text, and commands elsewhere.
fn migrate_key(app: &App, ev: &Event, key: &KeyEvent, ctrl_c: bool) -> Option<MigrateKey> {
    if ctrl_c {
        return Some(MigrateKey::Interrupt);
    }
    let typing = app.migration.as_ref().is_some_and(|m| m.is_typing());
    Some(match key.code {
        KeyCode::Up => MigrateKey::Up,
        KeyCode::Down => MigrateKey::Down,
        KeyCode::Tab => MigrateKey::Next,
        KeyCode::BackTab => MigrateKey::Prev,
        KeyCode::PageUp => MigrateKey::PageUp,
        KeyCode::PageDown => MigrateKey::PageDown,
        KeyCode::Enter => MigrateKey::Enter,
        KeyCode::Esc => MigrateKey::Esc,
        KeyCode::Left if !typing => MigrateKey::Left,
        KeyCode::Right if !typing => MigrateKey::Right,
        KeyCode::Char(c) if !typing && !key.modifiers.contains(KeyModifiers::CONTROL) => {
            MigrateKey::Char(c)
        }
        _ if typing => MigrateKey::Edit(tui_input::backend::crossterm::to_input_request(ev)?),
        _ => return None,
    })
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
