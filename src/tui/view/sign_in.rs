//! The sign-in screen, shown instead of the panes while no credential has given a token and
//! no tenant is on screen: each source of tokens on one line with what happened to it, then
//! what to do (sign in and `r`, `d` for the demo, `:open FILE` for a snapshot) and the rights
//! to ask an admin for. Each source keeps to one line, its reason cut between words (the CLI
//! prints it whole); other text wraps under itself.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{pane_block, span, wrap_lines};
use crate::backend::sign_in::{READ_RIGHTS, SignInFailure, cut_between_words};
use crate::sanitize;
use crate::tui::ui_state::UiState;

pub(super) fn render(
    f: &SignInFailure,
    recent: &[String],
    ui: &mut UiState,
    frame: &mut Frame,
    area: Rect,
) {
    let t = ui.theme.clone();
    let block = pane_block(Line::from(span(" Sign in ", t.title)), true, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width.saturating_sub(2) as usize;

    let mut lines: Vec<Line<'static>> = vec![
        Line::from(span(
            format!(
                "No credential gave credwise a token for {}.",
                sanitize::display(&f.resource).into_owned()
            ),
            t.error,
        )),
        Line::default(),
        Line::from(span("Tried", t.heading)),
    ];
    let name_width = f
        .tried
        .iter()
        .map(|a| a.source.chars().count())
        .max()
        .unwrap_or(0);
    for a in &f.tried {
        let mark = if a.skipped { "· " } else { "✗ " };
        let source = sanitize::display(&a.source).into_owned();
        // One line per source: the reason cut between words (the CLI prints it whole), the
        // troubleshooting link left out unless it is all there is.
        let reason = sanitize::display(&a.reason).into_owned();
        let reason = match reason.split_once("; see https://") {
            Some((before, _)) if !before.trim().is_empty() => before.to_string(),
            _ => reason,
        };
        let room = width.saturating_sub(2 + name_width + 2 + a.outcome().len() + 2);
        lines.push(Line::from(vec![
            span(mark, if a.skipped { t.dim } else { t.error }),
            span(format!("{source:name_width$}  "), t.key),
            span(format!("{}: ", a.outcome()), t.dim),
            span(
                cut_between_words(&reason, room),
                ratatui::style::Style::new(),
            ),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(span("What to do", t.heading)));
    for step in &f.steps {
        lines.push(Line::from(vec![
            span("- ", t.dim),
            span(
                sanitize::display(step).into_owned(),
                ratatui::style::Style::new(),
            ),
        ]));
    }
    lines.push(Line::from(vec![
        span("- ", t.dim),
        span("then ", ratatui::style::Style::new()),
        span("r", t.key),
        span(" retries here; ", ratatui::style::Style::new()),
        span("d", t.key),
        span(" opens the demo tenant; ", ratatui::style::Style::new()),
        span(":open FILE", t.key),
        span(
            " opens a snapshot (credwise snapshot save, snapshot import-az)",
            ratatui::style::Style::new(),
        ),
    ]));
    // The snapshots used lately, the quickest way to something to look at.
    for (i, path) in recent.iter().take(3).enumerate() {
        lines.push(Line::from(vec![
            span("  ", t.dim),
            span(format!(":open {}", i + 1), t.key),
            span(
                format!("  {}", sanitize::display(path)),
                ratatui::style::Style::new(),
            ),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(span(
        "Rights to ask an admin for (read only, least privilege)",
        t.heading,
    )));
    for (service, right) in READ_RIGHTS {
        lines.push(Line::from(vec![
            span("- ", t.dim),
            span(format!("{service}: "), t.key),
            span(*right, ratatui::style::Style::new()),
        ]));
    }

    let wrapped = wrap_lines(lines, width);
    let text_area = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    frame.render_widget(Paragraph::new(wrapped), text_area);
}
