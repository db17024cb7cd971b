//! The title line: tenant, source, counts, how fresh the tenant is, the read-only badge and
//! load progress.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::span;
use crate::app::{App, LoadState};
use crate::backend::ProgressEvent;
use crate::sanitize;
use crate::tui::ui_state::UiState;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// A ten-cell progress bar, `▕█████░░░░░▏`.
fn bar(done: u64, total: u64) -> String {
    const CELLS: u64 = 10;
    let filled = (done.min(total) * CELLS)
        .checked_div(total)
        .unwrap_or(CELLS)
        .min(CELLS);
    let mut s = String::from("▕");
    for i in 0..CELLS {
        s.push(if i < filled { '█' } else { '░' });
    }
    s.push('▏');
    s
}

/// One phase with its bar, `applications ▕███░░░░░░░▏ 1200/4000` (a leading space).
fn one_phase(p: &ProgressEvent) -> String {
    match p.total {
        Some(total) => format!(" {} {} {}/{}", p.stage, bar(p.done, total), p.done, total),
        None => format!(" {} {}", p.stage, p.done),
    }
}

/// The phases of the running load, in the order they started, one short item each: the
/// three Graph lists by name, the Azure stages as one ("Azure: role assignments 60%"), done
/// ones ticked.
fn phases(app: &App) -> Vec<String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for p in &app.phases {
        let azure = matches!(
            p.stage.as_str(),
            "subscriptions" | "managed identities" | "resources" | "role assignments"
        );
        let group = if azure { "Azure" } else { p.stage.as_str() };
        // Percentages keep four phases on one line.
        let count = match p.total {
            Some(t) if p.done >= t => "✓".to_string(),
            Some(t) => format!("{}%", p.done * 100 / t.max(1)),
            None => p.done.to_string(),
        };
        let item = if azure {
            format!("Azure: {} {count}", p.stage)
        } else {
            format!("{} {count}", p.stage)
        };
        match out.iter_mut().find(|(g, _)| g == group) {
            Some(slot) => slot.1 = item,
            None => out.push((group.to_string(), item)),
        }
    }
    out.into_iter().map(|(_, item)| item).collect()
}

pub(super) fn render(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let mut spans: Vec<Span> = vec![span(" credwise ", t.title)];
    if let Some(dir) = &app.dir {
        let s = dir.snapshot();
        let tenant = s
            .tenant_display_name
            .as_deref()
            .map(|n| sanitize::display(n).into_owned())
            .unwrap_or_else(|| sanitize::display(&s.tenant_id).into_owned());
        // A partial tenant does not know its name yet.
        let sep = if tenant.is_empty() {
            ""
        } else {
            spans.push(span(tenant, t.heading));
            " · "
        };
        spans.push(span(
            format!("{sep}{} · {} identities", app.source, dir.len()),
            t.dim,
        ));
    } else {
        spans.push(span(app.source.clone(), t.dim));
    }
    if let Some((fresh, cached)) = app.freshness() {
        spans.push(span(
            format!("  {fresh}"),
            if cached { t.warning } else { t.dim },
        ));
    }
    match &app.load {
        LoadState::Loading(p) => {
            let spin = SPINNER[(ui.frame_count / 2) as usize % SPINNER.len()];
            let now = phases(app);
            // Several phases at once (the Graph lists, Azure): one short item each; a single
            // one keeps its bar.
            let what = match p {
                _ if now.len() > 1 => format!(" {spin} {}", now.join(" · ")),
                Some(p) => format!(" {spin}{}", one_phase(p)),
                None => format!(" {spin} loading…"),
            };
            spans.push(span(what, t.info));
        }
        LoadState::Loaded if app.sweeping => {
            let frame_no = (ui.frame_count / 2) as usize % SPINNER.len();
            let mut what = format!("  {} sweeping", SPINNER[frame_no]);
            let now = phases(app);
            if !now.is_empty() {
                what.push_str(": ");
                what.push_str(&now.join(" · "));
            }
            spans.push(span(what, t.info));
        }
        LoadState::Failed(_) if app.dir.is_some() => spans.push(span("  refresh failed", t.error)),
        LoadState::Failed(_) => spans.push(span("  load failed", t.error)),
        LoadState::SignIn(_) if app.dir.is_some() => {
            spans.push(span("  refresh failed: not signed in", t.error))
        }
        LoadState::SignIn(_) => spans.push(span("  not signed in", t.error)),
        LoadState::Loaded => {}
    }
    if app.read_only {
        spans.push(span("  ", t.dim));
        spans.push(span(" RO ", t.read_only));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
