//! The dashboard, the first screen after a load: the secretless score, identities by kind,
//! credentials by type, findings by severity, a chart of what expires in each of the next
//! twelve weeks, what the sign-in evidence says of secrets (unused ones, ones still used
//! beside their replacement; "unknown" with the reason when no source could be read), and the
//! worst findings. Any list key hands over to the identity list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use super::{fit, pane_block, span, truncate, wrap_at};
use crate::app::App;
use crate::domain::audit::Severity;
use crate::domain::audit::overview::WEEKS;
use crate::domain::{CredentialType, IdentityKind};
use crate::sanitize;
use crate::tui::theme::severity_label;
use crate::tui::ui_state::UiState;

/// The width of the sign-in evidence lines' labels ("Secrets still used after a migration").
const USAGE_LABEL: usize = 37;

pub(super) fn render(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    let block = pane_block(Line::from(span(" Dashboard ", t.header)), true, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (Some(o), Some(dir)) = (&app.overview, &app.dir) else {
        let text = if app.partial {
            "Loading… the overview comes with the whole tenant; All identities lists what has arrived."
        } else if app.audit_pending {
            "Auditing the cached tenant… the overview follows in a moment; All identities lists it."
        } else {
            "Loading…"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, t.dim)).wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    let width = inner.width as usize;

    // The score, as a bar you can read without colour.
    let score = o.score();
    let bar_width = width.saturating_sub(40).clamp(10, 40);
    let filled = bar_width * usize::from(score) / 100;
    let score_line = Line::from(vec![
        span("Secretless ", t.heading),
        span(format!("{score:>3}% "), t.title),
        span("█".repeat(filled), t.info),
        span("░".repeat(bar_width - filled), t.dim),
        span(
            format!(
                "  {} of {} hold no client secret",
                o.secretless, o.identities
            ),
            t.dim,
        ),
    ]);

    let col = (width / 3).max(18);
    let mut rows: Vec<Line> = vec![Line::from(vec![
        span(fit("Identities", col), t.heading),
        span(fit("Credentials", col), t.heading),
        span("Findings", t.heading),
    ])];
    let kinds: Vec<(String, usize)> = IdentityKind::ALL
        .iter()
        .zip(o.kinds)
        .map(|(k, n)| (k.title().to_string(), n))
        .collect();
    let creds: Vec<(String, usize)> = CredentialType::ALL
        .iter()
        .zip(o.credentials)
        .map(|(c, n)| {
            let name = match c {
                CredentialType::Secret => "Client secrets",
                CredentialType::Certificate => "Certificates",
                CredentialType::Federated => "Federated",
            };
            (name.to_string(), n)
        })
        .chain(std::iter::once(("Expired now".to_string(), o.expired)))
        .collect();
    for i in 0..5 {
        let cell = |items: &[(String, usize)]| match items.get(i) {
            Some((name, n)) => {
                let count = n.to_string();
                format!(
                    "{}{count}  ",
                    fit(name, col.saturating_sub(count.len() + 2))
                )
            }
            None => " ".repeat(col),
        };
        let sev = Severity::ALL[i];
        rows.push(Line::from(vec![
            Span::raw(fit(&cell(&kinds), col)),
            Span::raw(fit(&cell(&creds), col)),
            span(format!("{:<5}", severity_label(sev)), t.severity(sev)),
            Span::raw(format!("{:>6}", o.findings[i])),
        ]));
    }

    // Counts of the audit's findings, named by their rules so the findings view's filter finds
    // them; without any sign-in data, the reason instead of a zero that reads as "all used".
    let usage_line = |label: &str, n: usize, rule: &str| -> Line<'static> {
        let head = span(fit(label, USAGE_LABEL), t.heading);
        match &o.usage_unknown {
            Some(u) => Line::from(vec![
                head,
                span(
                    sanitize::display(&format!("unknown: {}", u.words())).into_owned(),
                    t.dim,
                ),
            ]),
            None => Line::from(vec![
                head,
                span(format!("{n:>5}  "), t.title),
                span(rule.to_string(), t.dim),
            ]),
        }
    };
    let usage: Vec<Line> = [
        usage_line(
            &format!("Secrets unused for {} days", o.unused_days),
            o.unused_secrets,
            crate::domain::audit::rules::CREDENTIAL_UNUSED,
        ),
        usage_line(
            "Secrets still used after a migration",
            o.secrets_in_use_beside_replacement,
            crate::domain::audit::rules::SECRET_IN_USE_BESIDE_REPLACEMENT,
        ),
    ]
    .into_iter()
    // A rule's name that does not fit goes under its line, slightly indented.
    .flat_map(|l| wrap_at(l, width, 4))
    .collect();
    // Too short a pane keeps its room for the table and the worst findings.
    let usage_rows = if inner.height >= 14 { usage.len() } else { 0 } as u16;
    let usage_gap = u16::from(usage_rows > 0);

    let top: Vec<Line> = app
        .report
        .as_deref()
        .map(|r| {
            r.findings
                .iter()
                .take(6)
                .map(|f| {
                    let name =
                        sanitize::display(dir.display_name_of(dir.entry(f.identity))).into_owned();
                    Line::from(vec![
                        span(
                            format!("{:<5}", severity_label(f.severity)),
                            t.severity(f.severity),
                        ),
                        span(format!("{} ", truncate(&name, 28)), Style::new()),
                        span(truncate(f.title(), width.saturating_sub(36)), t.dim),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();

    let room = inner.height.saturating_sub(usage_rows + usage_gap);
    let chart_height = if room >= 26 {
        8
    } else if room >= 20 {
        6
    } else {
        0
    };
    let [
        score_area,
        _,
        table_area,
        _,
        usage_area,
        _,
        chart_title,
        chart_area,
        _,
        top_title,
        top_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(6),
        Constraint::Length(1),
        Constraint::Length(usage_rows),
        Constraint::Length(usage_gap),
        Constraint::Length(if chart_height > 0 { 1 } else { 0 }),
        Constraint::Length(chart_height),
        Constraint::Length(if chart_height > 0 { 1 } else { 0 }),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(score_line), score_area);
    frame.render_widget(Paragraph::new(rows), table_area);
    frame.render_widget(Paragraph::new(usage), usage_area);
    if chart_height > 0 {
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                span("Expiring, week by week ", t.heading),
                span("(secrets and certificates, next 12 weeks)", t.dim),
            ])),
            chart_title,
        );
        let bars: Vec<Bar> = o
            .expiring_per_week
            .iter()
            .enumerate()
            .map(|(w, n)| {
                let style = if w == 0 {
                    t.error
                } else if w < 4 {
                    t.severity(Severity::Medium)
                } else {
                    t.info
                };
                Bar::default()
                    .value(*n)
                    .label(Line::from(format!("w{}", w + 1)))
                    .style(style)
            })
            .collect();
        let gap = 1u16;
        let bar_width =
            ((chart_area.width.saturating_sub(gap * WEEKS as u16)) / WEEKS as u16).clamp(1, 6);
        frame.render_widget(
            BarChart::default()
                .data(BarGroup::default().bars(&bars))
                .bar_width(bar_width)
                .bar_gap(gap)
                .value_style(t.header),
            chart_area,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            span("Worst findings ", t.heading),
            span("(Findings view: :findings)", t.dim),
        ])),
        top_title,
    );
    frame.render_widget(Paragraph::new(top), top_area);
}
