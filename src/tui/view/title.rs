//! The title line: tenant, source, counts, how fresh the tenant is, the read-only badge and
//! load progress.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::span;
use crate::app::{App, LoadState};
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
        spans.push(span(tenant, t.heading));
        spans.push(span(
            format!(" · {} · {} identities", app.source, dir.len()),
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
            let frame_no = (ui.frame_count / 2) as usize % SPINNER.len();
            let what = match p {
                Some(p) => match p.total {
                    Some(total) => format!(
                        " {} {} {} {}/{}",
                        SPINNER[frame_no],
                        p.stage,
                        bar(p.done, total),
                        p.done,
                        total
                    ),
                    None => format!(" {} {} {}", SPINNER[frame_no], p.stage, p.done),
                },
                None => format!(" {} loading…", SPINNER[frame_no]),
            };
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
