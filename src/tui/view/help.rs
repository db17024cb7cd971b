//! The `?` overlay: every binding of every keymap context, the `:` commands and the filter
//! syntax, generated from the keymap and the command table so it always tells the truth.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};

use super::{fit, pane_block, span};
use crate::app::line_command::LINE_COMMANDS;
use crate::app::{App, Context};
use crate::tui::ui_state::UiState;

pub(super) fn render(app: &App, ui: &mut UiState, frame: &mut Frame, body: Rect) {
    let t = &ui.theme;
    let width = body.width.saturating_sub(4).clamp(20, 76);
    let height = body.height.saturating_sub(2).max(3);
    let area = Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, area);
    let block = pane_block(Line::from(span(" Help — esc closes ", t.header)), true, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let key_width = 18usize.min(inner.width as usize / 2);
    let mut lines: Vec<Line> = Vec::new();
    for ctx in Context::ALL {
        let bindings = ui.keymap.describe(ctx);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(span(ctx.title(), t.heading)));
        for (keys, _, desc) in bindings {
            let keys: Vec<String> = keys.iter().map(|k| k.label()).collect();
            lines.push(Line::from(vec![
                span(format!("  {}", fit(&keys.join(" "), key_width)), t.key),
                span(desc, ratatui::style::Style::new()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(span("Commands (:)", t.heading)));
    for c in LINE_COMMANDS {
        lines.push(Line::from(vec![
            span(
                format!("  {}", fit(&format!(":{}", c.name), key_width)),
                t.key,
            ),
            span(
                if c.args.is_empty() {
                    c.desc.to_string()
                } else {
                    format!("{} — {}", c.usage(), c.desc)
                },
                ratatui::style::Style::new(),
            ),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(span("Filter (/)", t.heading)));
    for (k, d) in [
        (
            "words",
            "fuzzy match on name, ids, appId, FIC subject/issuer",
        ),
        ("'word", "exact substring"),
        ("^word / word$", "prefix / suffix"),
        ("!word", "exclude identities containing word"),
        ("Capital", "a capital letter makes a word case-sensitive"),
    ] {
        lines.push(Line::from(vec![
            span(format!("  {}", fit(k, key_width)), t.key),
            span(d, ratatui::style::Style::new()),
        ]));
    }
    let max_scroll = (lines.len() as u16).saturating_sub(inner.height);
    ui.help_max_scroll = Some(max_scroll);
    frame.render_widget(
        Paragraph::new(lines).scroll((app.help_scroll.min(max_scroll), 0)),
        inner,
    );
}
