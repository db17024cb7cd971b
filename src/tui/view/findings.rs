//! The findings view: every audit finding, worst first, filterable with `/`; the details pane
//! shows the selected finding in full with its remedy and source. Enter goes to the
//! identity, `w` opens the wizard for it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{list_title, pane_block, row_style, span, truncate, window, wrap_at, wrap_hanging};
use crate::app::{App, Pane};
use crate::domain::audit::{Finding, Remedy, Severity};
use crate::sanitize;
use crate::tui::theme::{Theme, severity_label};
use crate::tui::ui_state::UiState;

pub(super) fn render_list(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    let focused = app.focus == Pane::List;
    let total = app.report.as_ref().map_or(0, |r| r.findings.len());
    let mut title = list_title(
        "Findings",
        app.visible_findings.len(),
        total,
        app.filter.value(),
        ui,
    );
    // The groups at a glance: how many findings of each severity.
    if let Some(o) = &app.overview {
        for (s, n) in Severity::ALL.iter().zip(o.findings) {
            if n > 0 {
                title.push(span(format!("{} {n} ", severity_label(*s)), t.severity(*s)));
            }
        }
    }
    let block = pane_block(Line::from(title), focused, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (Some(dir), Some(report)) = (&app.dir, &app.report) else {
        let why = if app.partial {
            Some(
                "The audit runs when the whole tenant has loaded: findings that depend on the Azure part or on identities not read yet would be wrong.",
            )
        } else if app.audit_pending {
            Some("The audit of the cached tenant is running: its findings follow in a moment.")
        } else {
            None
        };
        if let Some(why) = why {
            frame.render_widget(
                Paragraph::new(Line::styled(why, t.dim))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
        }
        return;
    };
    if app.visible_findings.is_empty() {
        let msg = if total == 0 {
            "No findings: nothing to fix here."
        } else {
            "No finding matches the filter (Esc clears)."
        };
        frame.render_widget(Paragraph::new(Line::styled(msg, t.dim)), inner);
        return;
    }
    if inner.height < 2 {
        return;
    }
    let rows_area = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let height = rows_area.height as usize;
    ui.areas.list_rows = Some(rows_area);
    let selected = app.finding_selected.min(app.visible_findings.len() - 1);
    let offset = window(
        &mut ui.list_offset,
        selected,
        app.visible_findings.len(),
        height,
    );
    let wide = inner.width >= 70;
    let rows: Vec<Row> = app.visible_findings
        [offset..(offset + height).min(app.visible_findings.len())]
        .iter()
        .enumerate()
        .map(|(i, &fi)| {
            let f = &report.findings[fi as usize];
            let name = sanitize::display(dir.display_name_of(dir.entry(f.identity))).into_owned();
            // Grouped by severity: the label heads each group (and the window's first row).
            let at = offset + i;
            let heads_group = at == offset
                || report.findings[app.visible_findings[at - 1] as usize].severity != f.severity;
            let mut cells = vec![
                Cell::from(if heads_group {
                    Span::styled(severity_label(f.severity), t.severity(f.severity))
                } else {
                    Span::styled("  │", t.dim)
                }),
                Cell::from(name),
                Cell::from(f.title()),
            ];
            if wide {
                cells.insert(2, Cell::from(Span::styled(f.rule(), t.dim)));
            }
            let row = Row::new(cells);
            row.style(row_style(offset + i == selected, focused, &t))
        })
        .collect();
    let (header, widths) = if wide {
        (
            Row::new(["SEV", "IDENTITY", "RULE", "FINDING"]),
            vec![
                Constraint::Length(4),
                Constraint::Percentage(28),
                Constraint::Length(26),
                Constraint::Fill(1),
            ],
        )
    } else {
        (
            Row::new(["SEV", "IDENTITY", "FINDING"]),
            vec![
                Constraint::Length(4),
                Constraint::Percentage(40),
                Constraint::Fill(1),
            ],
        )
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header.style(t.header))
            .column_spacing(1),
        inner,
    );
}

pub(super) fn render_details(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    let focused = app.focus == Pane::Details;
    let block = pane_block(Line::from(span(" Finding ", t.header)), focused, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    ui.areas.details = Some(area);
    let (Some(dir), Some(f)) = (&app.dir, app.selected_finding()) else {
        return;
    };
    let width = inner.width as usize;
    let mut lines = finding_lines(f, &t, width);
    let e = dir.entry(f.identity);
    let on = Line::from(vec![
        span("on ", t.dim),
        Span::raw(sanitize::display(dir.display_name_of(e)).into_owned()),
        span(format!(" ({})", e.kind), t.dim),
    ]);
    lines.splice(1..1, wrap_at(on, width, 3));
    lines.push(Line::raw(""));
    lines.extend(wrap_hanging(
        Line::from(vec![
            span("enter", t.key),
            span(" go to the identity   ", t.dim),
            span("w", t.key),
            span(" wizard for it", t.dim),
        ]),
        width,
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A finding as lines wrapped to `width`: severity and title, message, remedy (wrapped rows
/// under the remedy's text, past its `Fix:` label), source.
pub(super) fn finding_lines(f: &Finding, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        span(
            format!("{} ", severity_label(f.severity)),
            t.severity(f.severity),
        ),
        span(f.title(), t.title),
    ])];
    if let Some(c) = &f.credential_id {
        lines.push(Line::from(vec![
            span("credential ", t.dim),
            Span::raw(sanitize::display(c).into_owned()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(sanitize::display(&f.message).into_owned()));
    lines.push(Line::raw(""));
    let (label, extra) = match &f.remedy {
        Remedy::Wizard { outcome, .. } => ("Fix (wizard): ", format!(" → {outcome}")),
        Remedy::Migration { migration, .. } => (
            "Fix (migration): ",
            format!(" → credwise migrate {migration}"),
        ),
        Remedy::Action { .. } => ("Fix: ", String::new()),
    };
    lines.extend(wrap_at(
        Line::from(vec![
            span(label, t.heading),
            Span::raw(f.remedy.text().to_string()),
        ]),
        width,
        label.chars().count(),
    ));
    if !extra.is_empty() {
        lines.push(Line::from(span(truncate(&extra, 200), t.key)));
    }
    lines.push(Line::from(span(
        format!("Source: {} — {}", f.seed(), f.section()),
        t.dim,
    )));
    lines.push(Line::from(span(format!("Rule: {}", f.rule()), t.dim)));
    // The remedy is wrapped already; the rest hangs under where its text begins.
    lines
        .into_iter()
        .flat_map(|l| {
            if l.width() > width {
                wrap_hanging(l, width)
            } else {
                vec![l]
            }
        })
        .collect()
}
