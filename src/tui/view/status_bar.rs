//! The bottom lines: a standing notice when there is one (a migration left unfinished), the
//! input line (filter or command being typed, or the last message) and the key hints of what
//! is on screen, generated from its keymap context (`Keymap::hints`).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::span;
use crate::app::{App, Mode};
use crate::sanitize;
use crate::tui::ui_state::UiState;

pub(super) fn render_status(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let (prefix, input) = match app.mode {
        Mode::Filter => ("/", Some(&app.filter)),
        Mode::Command => (":", Some(&app.command)),
        _ => ("", None),
    };
    if let Some(input) = input {
        let width = area.width.saturating_sub(2) as usize;
        let scroll = input.visual_scroll(width);
        let shown: String = input.value().chars().skip(scroll).collect();
        let line = Line::from(vec![
            span(prefix, t.key),
            Span::raw(sanitize::display(&shown).into_owned()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let x = (input.visual_cursor().max(scroll) - scroll) as u16 + 1;
        frame.set_cursor_position(Position::new(
            area.x + x.min(area.width.saturating_sub(1)),
            area.y,
        ));
        return;
    }
    if let Some(status) = &app.status {
        let style = if status.is_error { t.error } else { t.info };
        frame.render_widget(
            Paragraph::new(Line::styled(
                sanitize::display(&status.text).into_owned(),
                style,
            )),
            area,
        );
    }
}

/// The standing notice line (a migration left unfinished), in the warning colour.
pub(super) fn render_notice(text: &str, ui: &UiState, frame: &mut Frame, area: Rect) {
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("⚠ {}", sanitize::display(text)),
            ui.theme.warning,
        )),
        area,
    );
}

/// The key hints of what is on screen, generated from its keymap context.
pub(super) fn render_hints(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let mut spans = Vec::new();
    let mut used = 0usize;
    // What has been typed towards a command (`5`, `g`, `12g`), as vim's showcmd.
    let typed = format!(
        "{}{}",
        ui.count.map(|n| n.to_string()).unwrap_or_default(),
        ui.pending.map(|k| k.label()).unwrap_or_default()
    );
    if !typed.is_empty() {
        used += typed.chars().count() + 2;
        spans.push(span(format!(" {typed} "), t.key));
    }
    for (key, desc) in ui.keymap.hints_except(app.context(), &app.withheld()) {
        let w = key.chars().count() + desc.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(span(format!(" {key}"), t.key));
        spans.push(span(format!(" {desc} "), t.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
