//! The guided migration over the explorer: the stage line (pick › form › plan › confirm › run
//! › done), then the stage's screen: the three migrations with the one the audit recommends,
//! the form with a message under each field that has a problem, the plan with its Graph/ARM
//! calls, the confirmation (typing the identity's name before secrets go), the steps with a
//! spinner and per-step results, and the outcome with what is left for the user to do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};

use super::{pane_block, span, wrap_at, wrap_hanging};

/// Where a form field's value starts: after the focus mark and the label column.
const FORM_VALUE_COLUMN: usize = 21;
use crate::app::App;
use crate::app::migration::{LockoutChoice, MigrationState, Stage};
use crate::domain::migration::FieldKind;
use crate::domain::migration::progress::{StepProgress, StepState};
use crate::domain::migration::{LineKind, MigrationKind, Plan, words};
use crate::sanitize;
use crate::tui::theme::Theme;
use crate::tui::ui_state::UiState;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

pub(super) fn render(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    frame.render_widget(Clear, area);
    let Some(m) = app.migration.as_ref() else {
        return;
    };
    let title = format!(
        " Migrate · {} · {} ",
        sanitize::display(&m.identity_name),
        m.kind.title()
    );
    let block = pane_block(Line::from(span(title, t.header)), true, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 || inner.width < 20 {
        return;
    }
    let [stages, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(stage_line(m, &t)), stages);
    let lines = match m.stage {
        Stage::Pick => pick(m, &t),
        Stage::Form => form(m, &t),
        Stage::Plan => plan_lines(m.plan.as_ref(), &t),
        Stage::Confirm => confirm(m, &t),
        Stage::Running => running(m, &t, ui.frame_count),
        Stage::Done => done(m, &t),
    };
    let scroll = match m.stage {
        Stage::Plan | Stage::Done => m.scroll,
        // Keep the focused field in view on a short screen.
        Stage::Form => form_scroll(m, body.height),
        _ => 0,
    };
    // Wrapped rows keep their indent: a form field's under its value, the rest under where
    // their text began.
    let width = body.width as usize;
    let lines: Vec<Line<'static>> = lines
        .into_iter()
        .flat_map(|l| match m.stage {
            Stage::Form => wrap_at(l, width, FORM_VALUE_COLUMN),
            _ => wrap_hanging(l, width),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
}

fn stage_line(m: &MigrationState, t: &Theme) -> Line<'static> {
    let stages = [
        (Stage::Pick, "pick"),
        (Stage::Form, "form"),
        (Stage::Plan, "plan"),
        (Stage::Confirm, "confirm"),
        (Stage::Running, "run"),
        (Stage::Done, "done"),
    ];
    let mut spans = Vec::new();
    for (i, (stage, name)) in stages.iter().enumerate() {
        if i > 0 {
            spans.push(span(" › ", t.dim));
        }
        spans.push(if *stage == m.stage {
            span(name.to_string(), t.selected)
        } else {
            span(name.to_string(), t.dim)
        });
    }
    Line::from(spans)
}

fn pick(m: &MigrationState, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![
        Line::from(span(
            "Which credential should replace the client secrets?",
            t.title,
        )),
        Line::raw(""),
    ];
    for (i, kind) in MigrationKind::ALL.iter().enumerate() {
        let chosen = i == m.pick;
        let mut head = vec![
            span(if chosen { " › " } else { "   " }, t.key),
            span(
                format!("{} {}", i + 1, kind.title()),
                if chosen { t.selected } else { t.heading },
            ),
        ];
        if m.recommended == Some(*kind) {
            head.push(span("  ★ recommended by the audit", t.info));
        }
        out.push(Line::from(head));
        out.push(Line::from(span(
            format!("     {}", pick_help(*kind)),
            t.dim,
        )));
        out.push(Line::raw(""));
    }
    out
}

fn pick_help(kind: MigrationKind) -> &'static str {
    match kind {
        MigrationKind::SecretToCertificate => {
            "A certificate whose private key never leaves the host; for workloads outside Azure \
             with no token issuer."
        }
        MigrationKind::SecretToFic => {
            "No credential to store at all: trust GitHub Actions, a Kubernetes cluster, a \
             managed identity or any OIDC issuer."
        }
        MigrationKind::SecretToManagedIdentity => {
            "For workloads hosted in Azure: a user-assigned managed identity with the same Azure \
             roles."
        }
        MigrationKind::GitHubImmutableSubject => {
            "GitHub Actions FICs from name-based subjects to owner and repository ids, which a \
             renamed or re-created repository cannot take over."
        }
        MigrationKind::MergeFederatedCredentials => {
            "Several federated credentials of one repository as one flexible credential, below \
             the limit of 20."
        }
    }
}

fn form(m: &MigrationState, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for e in m.other_errors() {
        out.push(Line::from(span(
            format!(
                "✗ {}: {}",
                words::label(e.field),
                sanitize::display(&e.message.labels())
            ),
            t.error,
        )));
    }
    if !out.is_empty() {
        out.push(Line::raw(""));
    }
    let visible = m.visible_fields();
    for (pos, &i) in visible.iter().enumerate() {
        let f = &m.fields[i];
        let focused = pos == m.focus;
        let value = match f.spec.kind {
            FieldKind::Text => f.text().to_string(),
            FieldKind::Toggle => if f.text() == "yes" { "[x]" } else { "[ ]" }.to_string(),
            FieldKind::Choice(values) => values
                .iter()
                .map(|v| {
                    if *v == f.text() {
                        format!("({v})")
                    } else {
                        v.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("  "),
        };
        let mut spans = vec![
            span(if focused { "› " } else { "  " }, t.key),
            span(
                format!("{:<18} ", f.spec.label),
                if focused { t.heading } else { t.header },
            ),
        ];
        if focused && f.spec.kind == FieldKind::Text {
            // The cursor as a reversed cell, so it shows without the terminal's own.
            let cursor = f.input.visual_cursor();
            let chars: Vec<char> = value.chars().collect();
            let before: String = chars.iter().take(cursor).collect();
            let at: String = chars
                .get(cursor)
                .map(|c| c.to_string())
                .unwrap_or(" ".into());
            let after: String = chars.iter().skip(cursor + 1).collect();
            spans.push(span(sanitize::display(&before).into_owned(), Style::new()));
            spans.push(span(at, Style::new().add_modifier(Modifier::REVERSED)));
            spans.push(span(sanitize::display(&after).into_owned(), Style::new()));
        } else {
            spans.push(span(
                sanitize::display(&value).into_owned(),
                if focused { t.selected } else { Style::new() },
            ));
        }
        if f.from_tenant().is_some() {
            spans.push(span("  (from the tenant)", t.info));
        }
        out.push(Line::from(spans));
        for e in m.errors_of(f.name()) {
            out.push(Line::from(span(
                format!("{:>21}✗ {}", "", sanitize::display(&e)),
                t.error,
            )));
        }
        if focused && !f.spec.help.is_empty() {
            out.push(Line::from(span(
                format!("{:>21}{}", "", f.spec.help),
                t.dim,
            )));
        }
        if focused && let Some(why) = f.from_tenant() {
            out.push(Line::from(span(
                format!("{:>21}Pre-filled {}.", "", sanitize::display(why)),
                t.dim,
            )));
        }
    }
    out
}

/// The first line to show so the focused field (and its messages) stays on screen.
fn form_scroll(m: &MigrationState, height: u16) -> u16 {
    let visible = m.visible_fields();
    let mut line = m.other_errors().len() + usize::from(!m.other_errors().is_empty());
    for (pos, &i) in visible.iter().enumerate() {
        if pos == m.focus {
            break;
        }
        line += 1 + m.errors_of(m.fields[i].name()).len();
    }
    let below = 2 + m.focused_field().map_or(0, |f| m.errors_of(f.name()).len());
    (line + below).saturating_sub(height as usize) as u16
}

fn plan_lines(plan: Option<&Plan>, t: &Theme) -> Vec<Line<'static>> {
    let Some(plan) = plan else {
        return vec![Line::styled("No plan.", t.error)];
    };
    plan.lines()
        .into_iter()
        .map(|l| {
            let style = match l.kind {
                LineKind::Heading => t.title,
                LineKind::StepTitle => t.heading,
                LineKind::Call => t.link,
                LineKind::Warning => t.error,
                LineKind::Verify => t.info,
                LineKind::Undo | LineKind::Precondition | LineKind::Note => t.dim,
                LineKind::SnippetTitle => t.header,
                _ => Style::new(),
            };
            Line::from(span(sanitize::display(&l.text).into_owned(), style))
        })
        .collect()
}

fn confirm(m: &MigrationState, t: &Theme) -> Vec<Line<'static>> {
    let Some(plan) = m.plan.as_ref() else {
        return vec![];
    };
    let removals = plan.steps.iter().filter(|s| s.removes_secret).count();
    let mut out = vec![
        Line::from(span(
            format!(
                "{} step(s) will run one at a time; each is verified before the next starts.",
                plan.steps.len()
            ),
            t.title,
        )),
        Line::raw(""),
    ];
    if removals > 0 {
        out.push(Line::from(span(
            format!(
                "⚠ This plan removes {removals} client secret(s), after the new credential is \
                 verified. Anything still using them stops working."
            ),
            t.error,
        )));
        out.push(Line::raw(""));
        out.push(Line::from(span(
            "Type the identity's name to confirm, Enter to apply, Esc to go back:",
            Style::new(),
        )));
        let typed = m.confirm.value();
        out.push(Line::from(vec![
            span("  › ", t.key),
            span(sanitize::display(typed).into_owned(), t.heading),
            span(" ", Style::new().add_modifier(Modifier::REVERSED)),
        ]));
        out.push(Line::from(span(
            format!("    ({})", sanitize::display(&m.identity_name)),
            t.dim,
        )));
        if let Some(e) = &m.confirm_error {
            out.push(Line::from(span(format!("  ✗ {e}"), t.error)));
        }
        // What the sign-in data says about each removal (the run waits without it), below
        // the name being typed so that a small screen keeps the prompt in view.
        if !m.evidence.is_empty() {
            out.push(Line::raw(""));
        }
        for (n, l) in m.evidence.iter().enumerate() {
            let style = if n == 0 {
                t.heading
            } else if l.trim_start().starts_with('✗') {
                t.warning
            } else {
                t.dim
            };
            out.push(Line::from(span(sanitize::display(l).into_owned(), style)));
        }
    } else {
        out.push(Line::from(span(
            "No secret is removed: they stay until you run the removal later.",
            t.dim,
        )));
        out.push(Line::raw(""));
        out.push(Line::from(vec![
            span("Apply the plan? ", Style::new()),
            span("y", t.key),
            span(" apply  ", t.dim),
            span("n", t.key),
            span(" back", t.dim),
        ]));
    }
    out
}

fn running(m: &MigrationState, t: &Theme, frame_count: u64) -> Vec<Line<'static>> {
    let Some(plan) = m.plan.as_ref() else {
        return vec![];
    };
    let spinner = SPINNER[(frame_count / 2) as usize % SPINNER.len()];
    let mut out = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let progress = m.steps.get(i).cloned().unwrap_or_default();
        out.push(step_line(i, &step.title, &progress, spinner, t));
        if let Some(e) = &progress.error {
            out.push(Line::from(span(
                format!("      {}", sanitize::display(e)),
                t.error,
            )));
        }
        if progress
            .state
            .is_some_and(|s| s.is_running() || s == StepState::Applied)
        {
            for call in &step.calls {
                out.push(Line::from(span(
                    format!("      {}", sanitize::display(&call.line())),
                    t.dim,
                )));
            }
        }
    }
    out.push(Line::raw(""));
    if m.asking_stop {
        out.push(Line::from(vec![
            span(
                "Held before the next step. Stop here? The current step finishes or is journaled; resume later with ",
                t.heading,
            ),
            span("credwise migrate resume", t.key),
            span(".  ", t.heading),
            span("y", t.key),
            span(" stop  ", t.dim),
            span("n", t.key),
            span(" go on", t.dim),
        ]));
    } else if m.stopping {
        out.push(Line::from(span(
            "Stopping after the current step…",
            t.heading,
        )));
    }
    out
}

fn step_line(
    i: usize,
    title: &str,
    progress: &StepProgress,
    spinner: &str,
    t: &Theme,
) -> Line<'static> {
    let (mark, word, style) = match progress.state {
        None => ("·".to_string(), "", t.dim),
        Some(StepState::Started | StepState::UndoStarted) => {
            (spinner.to_string(), "running", t.info)
        }
        Some(StepState::Applied) => (spinner.to_string(), "verifying", t.info),
        Some(StepState::Verified) => ("✓".to_string(), "verified", t.info),
        Some(StepState::AlreadyInPlace) => ("↷".to_string(), "already done", t.dim),
        Some(StepState::Failed | StepState::UndoFailed) => ("✗".to_string(), "failed", t.error),
        Some(StepState::Undone) => ("↺".to_string(), "undone", t.dim),
        Some(StepState::NotRestorable) => ("!".to_string(), "cannot be undone", t.warning),
        Some(StepState::Kept) => (
            "■".to_string(),
            "kept (the identity's last credential)",
            t.warning,
        ),
        Some(StepState::Waiting) => ("…".to_string(), "waiting on usage evidence", t.warning),
    };
    let mut spans = vec![
        span(format!(" {mark} "), style),
        span(
            format!("{}. {}", i + 1, sanitize::display(title)),
            if progress.state.is_none() {
                t.dim
            } else {
                Style::new()
            },
        ),
    ];
    if !word.is_empty() {
        spans.push(span(format!("  {word}"), style));
    }
    Line::from(spans)
}

fn done(m: &MigrationState, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(o) = &m.outcome {
        out.push(Line::from(span(
            format!(
                "{} {}",
                if o.completed { "✓" } else { "✗" },
                sanitize::display(&o.wording.headline)
            ),
            if o.completed { t.info } else { t.error },
        )));
        // What follows the outcome (a remedy, the commands that continue), as the CLI says it.
        for d in &o.wording.details {
            out.push(Line::from(span(
                format!("  {}", sanitize::display(d)),
                if o.completed { t.warning } else { t.key },
            )));
        }
        if let Some(id) = &o.journal_id {
            out.push(Line::from(vec![
                span("Journal  ", t.header),
                span(id.clone(), Style::new()),
            ]));
        }
        if let Some(r) = &o.record {
            out.push(Line::from(vec![
                span("Record   ", t.header),
                span(sanitize::display(r).into_owned(), Style::new()),
            ]));
        }
        for f in &o.key_files {
            out.push(Line::from(vec![
                span("Key file ", t.header),
                span(sanitize::display(f).into_owned(), Style::new()),
                span("  (0600; keep it secret, never commit it)", t.dim),
            ]));
        }
        out.push(Line::raw(""));
    }
    if m.asking_rollback {
        out.push(Line::from(span(
            "Roll this migration back? Its steps are undone in reverse, from its journal; an undo \
             that would leave the identity without a usable credential stops and asks first.",
            t.heading,
        )));
        out.push(Line::raw(""));
    }
    if let Some(l) = &m.lockout {
        out.extend(lockout_choice(m, l, t));
    }
    if let Some(plan) = &m.plan {
        for (i, step) in plan.steps.iter().enumerate() {
            let progress = m.steps.get(i).cloned().unwrap_or_default();
            out.push(step_line(i, &step.title, &progress, "·", t));
        }
        // After a rollback the plan's follow-ups (deploy, delete the old secret) no longer apply.
        let (follow_ups, guidance) = if m.rolling_back {
            (&[][..], &[][..])
        } else {
            (&plan.follow_ups[..], &plan.guidance[..])
        };
        if !guidance.is_empty() || !follow_ups.is_empty() {
            out.push(Line::raw(""));
            out.push(Line::from(span("What is left for you to do", t.title)));
        }
        for f in follow_ups {
            out.push(Line::from(vec![
                span(" • ", t.key),
                span(sanitize::display(f).into_owned(), Style::new()),
            ]));
        }
        for s in guidance {
            out.push(Line::raw(""));
            out.push(Line::from(span(
                format!("{} ({})", sanitize::display(&s.title), s.language),
                t.header,
            )));
            for l in s.text.lines() {
                out.push(Line::from(span(
                    format!("  {}", sanitize::display(l)),
                    t.dim,
                )));
            }
        }
    }
    out
}

/// A refused rollback's choice: keep the new credential, or type the name to remove it.
fn lockout_choice(m: &MigrationState, l: &LockoutChoice, t: &Theme) -> Vec<Line<'static>> {
    let name = sanitize::display(&l.identity_name).into_owned();
    let mut out = vec![
        Line::from(vec![
            span(" k ", t.key),
            span(
                "keep the new credential and close the migration as rolled back except it",
                Style::new(),
            ),
        ]),
        Line::from(vec![
            span(" f ", t.key),
            span(
                format!("remove it anyway: {name} is left without a usable credential"),
                t.error,
            ),
        ]),
        Line::from(vec![span(" esc ", t.key), span("change nothing", t.dim)]),
    ];
    if l.typing {
        out.push(Line::raw(""));
        out.push(Line::from(span(
            format!(
                "Type the identity's name to leave it without a usable credential ({name}), Enter to go ahead, Esc to go back:"
            ),
            t.error,
        )));
        out.push(Line::from(vec![
            span("  › ", t.key),
            span(sanitize::display(m.confirm.value()).into_owned(), t.heading),
            span(" ", Style::new().add_modifier(Modifier::REVERSED)),
        ]));
        if let Some(e) = &m.confirm_error {
            out.push(Line::from(span(format!("  ✗ {e}"), t.error)));
        }
    }
    out.push(Line::raw(""));
    out
}
