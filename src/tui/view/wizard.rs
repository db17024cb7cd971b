//! The decision wizard: one question at a time with its answers and an explanation pane
//! (why the question matters, what the highlighted answer means, the seeds it comes from),
//! progress ("question 2 of at most 5"), and the summary with outcome, reasons and their
//! citations, alternative, what to avoid, next steps and the answers given.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{pane_block, span, wrap_lines};
use crate::app::App;
use crate::app::wizard::{Screen, screen};
use crate::domain::wizard::{Question, Record};
use crate::sanitize;
use crate::tui::theme::Theme;
use crate::tui::ui_state::UiState;

pub(super) fn render(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    frame.render_widget(Clear, area);
    let (Some(table), Some(w)) = (app.decision_table.as_deref(), app.wizard.as_ref()) else {
        return;
    };
    let title = match &w.subject {
        Some(s) => format!(" Decision wizard · {} ", sanitize::display(s)),
        None => " Decision wizard ".to_string(),
    };
    let block = pane_block(Line::from(span(title, t.header)), true, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match screen(app, table) {
        Some(Screen::Question {
            question,
            number,
            at_most,
        }) => render_question(app, &t, frame, inner, question, number, at_most),
        Some(Screen::Summary(record)) => render_summary(app, &t, frame, inner, &record),
        None => frame.render_widget(
            Paragraph::new(Line::styled(
                "The answers do not lead to a decision.",
                t.error,
            )),
            inner,
        ),
    }
}

fn render_question(
    app: &App,
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
    q: &Question,
    number: usize,
    at_most: usize,
) {
    let Some(w) = app.wizard.as_ref() else {
        return;
    };
    let mut left: Vec<Line> = vec![
        Line::from(span(
            format!("Question {number} of at most {at_most}"),
            t.dim,
        )),
        Line::from(span(q.text.clone(), t.title)),
        Line::raw(""),
    ];
    let current = w.answers.get(&q.fact);
    for (i, a) in q.answers.iter().enumerate() {
        let highlighted = i == w.option;
        let mut spans = vec![
            span(if highlighted { " › " } else { "   " }, t.key),
            span(
                a.label.clone(),
                if highlighted {
                    t.selected
                } else {
                    Style::new()
                },
            ),
        ];
        if current == Some(a.value.as_str()) {
            let mark = if w.answers.is_prefilled(&q.fact) {
                "  (from the tenant)"
            } else {
                "  ✓"
            };
            spans.push(span(mark, t.info));
        }
        left.push(Line::from(spans));
    }
    if w.answers.is_prefilled(&q.fact)
        && let Some((_, why)) = w.prefill_reasons.iter().find(|(f, _)| f == &q.fact)
    {
        left.push(Line::raw(""));
        left.push(Line::from(span(format!("Pre-filled: {why}."), t.dim)));
    }

    let mut right: Vec<Line> = vec![Line::from(span("Why it matters", t.heading))];
    right.extend(paragraphs(&q.help));
    if let Some(a) = q.answers.get(w.option) {
        right.push(Line::raw(""));
        right.push(Line::from(span(format!("“{}”", a.label), t.heading)));
        right.extend(paragraphs(&a.explanation));
    }
    right.push(Line::raw(""));
    for c in &q.cites {
        right.push(Line::from(span(
            format!("Source: {} — {}", c.seed, c.section),
            t.dim,
        )));
    }

    if area.width >= 100 {
        let [l, r] =
            Layout::horizontal([Constraint::Percentage(48), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(wrap_lines(left, l.width.into())), l);
        let block = ratatui::widgets::Block::new()
            .borders(ratatui::widgets::Borders::LEFT)
            .border_style(t.border);
        let inner = pad(block.inner(r));
        frame.render_widget(block, r);
        frame.render_widget(Paragraph::new(wrap_lines(right, inner.width.into())), inner);
    } else {
        left.push(Line::raw(""));
        left.extend(right);
        frame.render_widget(Paragraph::new(wrap_lines(left, area.width.into())), area);
    }
}

/// Text from the table as lines: its line breaks are paragraph breaks on screen too.
fn paragraphs(text: &str) -> Vec<Line<'static>> {
    text.trim()
        .lines()
        .map(|l| Line::raw(l.trim_end().to_string()))
        .collect()
}

fn pad(r: Rect) -> Rect {
    Rect::new(r.x + 1, r.y, r.width.saturating_sub(1), r.height)
}

fn bullet(t: &Theme, text: String) -> Line<'static> {
    Line::from(vec![Span::styled("  • ", t.key), Span::raw(text)])
}

fn render_summary(app: &App, t: &Theme, frame: &mut Frame, area: Rect, r: &Record) {
    let Some(w) = app.wizard.as_ref() else {
        return;
    };
    let mut lines: Vec<Line> = vec![Line::from(vec![
        span("Recommended: ", t.dim),
        span(r.title.clone(), t.title),
    ])];
    lines.extend(paragraphs(&r.summary));
    lines.push(Line::raw(""));
    lines.push(Line::from(span("Why", t.heading)));
    for reason in &r.reasons {
        lines.push(Line::from(vec![
            Span::styled("  • ", t.key),
            Span::raw(reason.text.clone()),
            Span::styled(format!("  [{} — {}]", reason.seed, reason.section), t.dim),
        ]));
    }
    if let Some(alt) = &r.alternative {
        lines.push(Line::raw(""));
        lines.push(Line::from(span("Next-best alternative", t.heading)));
        lines.push(Line::from(vec![
            Span::styled(format!("  {}: ", alt.title), t.key),
            Span::raw(alt.summary.split_whitespace().collect::<Vec<_>>().join(" ")),
        ]));
    }
    if !r.avoid.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(span("Avoid", t.heading)));
        lines.extend(r.avoid.iter().map(|a| bullet(t, a.clone())));
    }
    if !r.next_steps.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(span("Next steps", t.heading)));
        for (i, s) in r.next_steps.iter().enumerate() {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}. ", i + 1), t.key),
                Span::raw(s.clone()),
            ]));
        }
    }
    if r.migration != "none" {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            span("Migration: ", t.heading),
            span(
                format!("credwise migrate {} --identity <ID>", r.migration),
                t.key,
            ),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(span("Your answers", t.heading)));
    for a in &r.answers {
        let mut spans = vec![
            Span::styled("  • ", t.key),
            Span::raw(format!("{} → {}", a.question, a.answer)),
        ];
        if a.prefilled {
            spans.push(span("  (from the tenant)", t.info));
        }
        lines.push(Line::from(spans));
    }
    if let Some(path) = &w.exported {
        lines.push(Line::raw(""));
        lines.push(Line::from(span(format!("Exported to {path}"), t.info)));
    }
    frame.render_widget(
        Paragraph::new(wrap_lines(lines, area.width.into())).scroll((w.scroll, 0)),
        area,
    );
}
