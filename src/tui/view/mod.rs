//! Rendering: a pure function of `&App` (plus the view's own `UiState`) onto a ratatui
//! `Frame`. Layout adapts to the terminal: three panes side by side from 130 columns, the list
//! above the details from 70, and a one-line navigation bar below that; under 40x12 a polite
//! "too small" message. Only visible rows are built, so a frame costs the same for 100 or
//! 150,000 identities.

mod dashboard;
mod details;
mod findings;
mod help;
mod list;
mod migration;
mod nav;
mod sign_in;
mod status_bar;
mod title;
mod wizard;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use super::ui_state::{Areas, UiState};
use crate::app::{App, Mode, NavItem, Pane};

/// The smallest terminal the explorer draws in.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole screen.
pub fn render(app: &App, ui: &mut UiState, frame: &mut Frame) {
    ui.frame_count = ui.frame_count.wrapping_add(1);
    ui.areas = Areas::default();
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(ui, frame, area);
        return;
    }
    // A migration left unfinished has a line of its own above the status line, so no later
    // message overwrites it.
    let notice = app.journal_notice();
    let [title_area, body, notice_area, status_area, hints_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(u16::from(notice.is_some())),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    title::render(app, ui, frame, title_area);
    if let Some(text) = &notice {
        status_bar::render_notice(text, ui, frame, notice_area);
    }
    status_bar::render_status(app, ui, frame, status_area);
    status_bar::render_hints(app, ui, frame, hints_area);

    if app.wizard.as_ref().is_some_and(|w| w.standalone) {
        wizard::render(app, ui, frame, body);
        return;
    }
    if let Some(f) = app.sign_in_needed() {
        sign_in::render(f, &app.recent_snapshots, ui, frame, body);
        if app.mode == Mode::Help {
            help::render(app, ui, frame, body);
        }
        return;
    }

    if body.width >= 130 {
        // Details need 51 columns for a label and a GUID side by side.
        let details_width = (body.width * 2 / 5).max(51);
        let [nav_area, list_area, details_area] = Layout::horizontal([
            Constraint::Length(24),
            Constraint::Fill(1),
            Constraint::Length(details_width),
        ])
        .areas(body);
        nav::render(app, ui, frame, nav_area);
        right_side(app, ui, frame, list_area, details_area);
    } else if body.width >= 70 {
        let [nav_area, right] =
            Layout::horizontal([Constraint::Length(24), Constraint::Fill(1)]).areas(body);
        let [list_area, details_area] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(right);
        nav::render(app, ui, frame, nav_area);
        right_side(app, ui, frame, list_area, details_area);
    } else {
        let [bar, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body);
        nav::render_bar(app, ui, frame, bar);
        if rest.height >= 14 {
            let [list_area, details_area] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(rest);
            right_side(app, ui, frame, list_area, details_area);
        } else if app.nav_item() == NavItem::Dashboard {
            dashboard::render(app, ui, frame, rest);
        } else if app.focus == Pane::Details {
            details_pane(app, ui, frame, rest);
        } else {
            list_pane(app, ui, frame, rest);
        }
    }

    if app.mode == Mode::Help {
        help::render(app, ui, frame, body);
    }
    if app.mode == Mode::Wizard {
        let inset = if body.width >= 90 { 4 } else { 0 };
        let area = Rect::new(body.x + inset, body.y, body.width - 2 * inset, body.height);
        wizard::render(app, ui, frame, area);
    }
    if app.mode == Mode::Migrate {
        let inset = if body.width >= 90 { 4 } else { 0 };
        let area = Rect::new(body.x + inset, body.y, body.width - 2 * inset, body.height);
        migration::render(app, ui, frame, area);
    }
}

/// The list and details panes for the navigation item: identities, findings, or the
/// dashboard over both.
fn right_side(app: &App, ui: &mut UiState, frame: &mut Frame, list_area: Rect, details_area: Rect) {
    if app.nav_item() == NavItem::Dashboard {
        dashboard::render(app, ui, frame, list_area.union(details_area));
        return;
    }
    list_pane(app, ui, frame, list_area);
    details_pane(app, ui, frame, details_area);
}

fn list_pane(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    if app.nav_item() == NavItem::Findings {
        findings::render_list(app, ui, frame, area);
    } else {
        list::render(app, ui, frame, area);
    }
}

fn details_pane(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    if app.nav_item() == NavItem::Findings {
        findings::render_details(app, ui, frame, area);
    } else {
        details::render(app, ui, frame, area);
    }
}

fn too_small(ui: &UiState, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("Terminal too small", ui.theme.heading),
        Line::raw(format!("{}x{}", area.width, area.height)),
        Line::raw(format!("credwise needs {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::styled("q quits", ui.theme.dim),
    ];
    let height = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(height) / 2;
    let centered = Rect::new(area.x, y, area.width, height);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        centered,
    );
}

/// A pane's block: rounded border, bold and coloured when focused.
fn pane_block<'a>(title: Line<'a>, focused: bool, ui: &UiState) -> Block<'a> {
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused {
            ui.theme.border_focused
        } else {
            ui.theme.border
        })
        .title(title)
}

/// The first row a list of `len` rows shows in `height` rows so that `selected` is visible,
/// moving the window from `offset` as little as possible. Lists are virtualised: only the
/// rows from there on are built.
fn window(offset: &mut usize, selected: usize, len: usize, height: usize) -> usize {
    if selected < *offset {
        *offset = selected;
    } else if selected >= *offset + height {
        *offset = selected + 1 - height;
    }
    *offset = (*offset).min(len.saturating_sub(height));
    *offset
}

/// The title of a list pane: its name, the count (`shown/total` while filtered) and the
/// filter.
fn list_title<'a>(
    name: &str,
    shown: usize,
    total: usize,
    filter: &str,
    ui: &UiState,
) -> Vec<Span<'a>> {
    let t = &ui.theme;
    let mut title = vec![
        span(format!(" {name} "), t.header),
        span(
            if filter.is_empty() {
                format!("{total} ")
            } else {
                format!("{shown}/{total} ")
            },
            t.dim,
        ),
    ];
    if !filter.is_empty() {
        title.push(span(
            format!("/{} ", crate::sanitize::display(filter)),
            t.key,
        ));
    }
    title
}

/// A list row's style: highlighted when selected, dimmer when its pane has no focus.
fn row_style(selected: bool, focused: bool, t: &crate::tui::theme::Theme) -> Style {
    match (selected, focused) {
        (true, true) => t.selected,
        (true, false) => t.selected_unfocused,
        (false, _) => Style::new(),
    }
}

/// `s` cut to `width` columns with an ellipsis.
fn truncate(s: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let count = s.chars().count();
    if count <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `s` cut from the left to `width` columns, keeping its end (the informative part of an
/// ARM id).
fn truncate_left(s: &str, width: usize) -> String {
    let count = s.chars().count();
    if count <= width || width == 0 {
        return s.to_string();
    }
    let mut out = String::from("…");
    out.extend(s.chars().skip(count - width + 1));
    out
}

/// `s` padded or cut to exactly `width` columns.
fn fit(s: &str, width: usize) -> String {
    let t = truncate(s, width);
    let n = t.chars().count();
    format!("{t}{}", " ".repeat(width.saturating_sub(n)))
}

fn span<'a>(text: impl Into<std::borrow::Cow<'a, str>>, style: Style) -> Span<'a> {
    Span::styled(text, style)
}

/// The columns a wrapped line's continuation rows are indented by: its leading spaces, and a
/// list marker after them (`- `, `• `, `✓ `, `✗ `, `1. `), so the text lines up under itself.
fn hanging_indent(text: &str) -> usize {
    let spaces = text.chars().take_while(|c| *c == ' ').count();
    let rest: String = text.chars().skip(spaces).take(5).collect();
    let marker = [
        "- ", "• ", "· ", "✓ ", "✗ ", "✔ ", "→ ", "! ", "› ", "○ ", "● ", "◐ ",
    ]
    .iter()
    .find(|m| rest.starts_with(**m))
    .map(|m| m.chars().count())
    .or_else(|| {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        (digits > 0 && rest.chars().skip(digits).take(2).eq(". ".chars())).then_some(digits + 2)
    })
    .unwrap_or(0);
    spaces + marker
}

/// `wrap_hanging` over every line: text for a pane of `width` columns that keeps its hanging
/// indents (bullets, numbered steps, answers) where ratatui's `Wrap` would start rows at the
/// left edge.
fn wrap_lines(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .flat_map(|l| wrap_hanging(l, width))
        .collect()
}

/// Wraps `line` to `width` columns between words, each continuation row indented to where
/// the text began (`hanging_indent`); styles carry over. A word longer than a row is cut.
fn wrap_hanging(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let indent = hanging_indent(&text);
    wrap_at(line, width, indent)
}

/// Wraps `line` to `width` columns between words, continuation rows indented by `indent`
/// (at most half the width).
fn wrap_at(line: Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let len: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
    if width == 0 || len <= width {
        return vec![line];
    }
    let indent = indent.min(width / 2);
    let chars: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    // Rows as (char, style) runs, broken at the last space that fits.
    let mut rows: Vec<Vec<(char, Style)>> = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < chars.len() {
        let room = if first { width } else { width - indent };
        let end = (start + room).min(chars.len());
        let cut = if end == chars.len() {
            end
        } else {
            chars[start..=end]
                .iter()
                .rposition(|(c, _)| *c == ' ')
                .map(|p| start + p)
                .filter(|&p| p > start + usize::from(first) * indent)
                .unwrap_or(end)
        };
        let mut row: Vec<(char, Style)> = Vec::new();
        if !first {
            row.extend(std::iter::repeat_n((' ', Style::new()), indent));
        }
        row.extend_from_slice(&chars[start..cut]);
        rows.push(row);
        start = cut;
        while start < chars.len() && chars[start].0 == ' ' {
            start += 1;
        }
        first = false;
    }
    rows.into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (c, style) in row {
                match spans.last_mut() {
                    Some(s) if s.style == style => s.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            Line::from(spans).style(line.style)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'static>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wrapped_rows_hang_under_the_text() {
        let l = Line::from("  - remove the client secret once the certificate signs in");
        assert_eq!(
            texts(&wrap_hanging(l, 30)),
            [
                "  - remove the client secret",
                "    once the certificate signs",
                "    in",
            ]
        );
        let l = Line::from("12. one two three four five");
        assert_eq!(
            texts(&wrap_hanging(l, 14)),
            ["12. one two", "    three four", "    five"]
        );
        // Fits: untouched; a word longer than a row is cut.
        assert_eq!(texts(&wrap_hanging(Line::from("short"), 10)), ["short"]);
        assert_eq!(
            texts(&wrap_hanging(Line::from("abcdefghijkl"), 5)),
            ["abcde", "fghij", "kl"]
        );
    }

    #[test]
    fn styles_survive_the_wrap() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let l = Line::from(vec![
            Span::raw("  key "),
            Span::styled("value that wraps", bold),
        ]);
        let rows = wrap_hanging(l, 14);
        assert_eq!(texts(&rows), ["  key value", "  that wraps"]);
        assert!(
            rows[1]
                .spans
                .iter()
                .any(|s| s.style == bold && s.content.contains("that"))
        );
    }
}
