//! The navigation pane: the kinds of identity and the credential and expiry views, each with
//! its count; and its one-line form for narrow terminals.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, pane_block, span};
use crate::app::{App, NavItem, Pane};
use crate::tui::ui_state::UiState;

pub(super) fn render(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    let focused = app.focus == Pane::Nav;
    let block = pane_block(Line::from(span(" Views ", t.header)), focused, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    ui.areas.nav = Some(area);

    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    for (i, item) in NavItem::ALL.iter().enumerate() {
        if let Some(section) = item.section() {
            if !lines.is_empty() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::from(span(section.to_string(), t.heading)));
        }
        let count = match item {
            NavItem::Dashboard => app
                .overview
                .as_ref()
                .map(|o| format!("{}%", o.score()))
                .unwrap_or_default(),
            // No audit yet (a partial tenant): no count rather than a false zero.
            NavItem::Findings if app.report.is_none() => String::new(),
            _ => app.nav_counts.get(i).copied().unwrap_or(0).to_string(),
        };
        let label_width = width.saturating_sub(count.len() + 1);
        let text = format!("{} {count}", fit(item.title(), label_width));
        let style = if i == app.nav_selected {
            if focused {
                t.selected
            } else {
                t.selected_unfocused
            }
        } else {
            ratatui::style::Style::new()
        };
        let y = inner.y + lines.len() as u16;
        if y < inner.y + inner.height {
            ui.areas.nav_rows.push((y, i));
        }
        lines.push(Line::from(span(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `‹ App registrations 42 ›` across the top of narrow layouts.
pub(super) fn render_bar(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let focused = app.focus == Pane::Nav;
    let item = app.nav_item();
    let count = app.nav_counts.get(app.nav_selected).copied().unwrap_or(0);
    let style = if focused { t.selected } else { t.header };
    let line = Line::from(vec![
        Span::styled("‹ ", t.dim),
        Span::styled(format!("{} {count}", item.title()), style),
        Span::styled(" ›", t.dim),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    ui.areas.nav = Some(area);
}
