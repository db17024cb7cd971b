//! The identity list: a virtualised table (only visible rows are built) with name, kind,
//! credential counts, the worst finding, when it last signed in (LAST USED, from the
//! evidence `App::last_used` holds) and the nearest expiry in colour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{list_title, pane_block, row_style, span, truncate, window};
use crate::app::{App, LoadState, Pane};
use crate::domain::usage::Evidence;
use crate::domain::{expiry, filter};
use crate::sanitize;
use crate::tui::theme::severity_label;
use crate::tui::ui_state::UiState;

/// The name with the characters the filter matched marked, one span per run.
fn marked(
    name: String,
    marks: &mut filter::Highlighter,
    style: ratatui::style::Style,
) -> Line<'static> {
    let hits = marks.of(&name);
    if hits.is_empty() {
        return Line::from(name);
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut run = String::new();
    let mut run_hit = false;
    for (i, ch) in name.chars().enumerate() {
        let hit = hits.binary_search(&(i as u32)).is_ok();
        if hit != run_hit && !run.is_empty() {
            let text = std::mem::take(&mut run);
            spans.push(if run_hit {
                Span::styled(text, style)
            } else {
                Span::raw(text)
            });
        }
        run_hit = hit;
        run.push(ch);
    }
    spans.push(if run_hit {
        Span::styled(run, style)
    } else {
        Span::raw(run)
    });
    Line::from(spans)
}

pub(super) fn render(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    let focused = app.focus == Pane::List;
    let total = app.nav_counts.get(app.nav_selected).copied().unwrap_or(0);
    let mut title = list_title(
        app.nav_item().title(),
        app.visible.len(),
        total,
        app.filter.value(),
        ui,
    );
    title.push(span(format!("↓{} ", app.effective_sort().as_str()), t.dim));
    let block = pane_block(Line::from(title), focused, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 10 {
        return;
    }

    let Some(dir) = &app.dir else {
        let msg = match &app.load {
            LoadState::Failed(e) => Line::styled(format!("Could not load: {e}"), t.error),
            _ => Line::styled("Loading…", t.dim),
        };
        frame.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    if app.visible.is_empty() {
        let msg = if app.filter.value().is_empty() {
            "Nothing here.".to_string()
        } else {
            format!(
                "No identity matches /{}  (Esc clears)",
                sanitize::display(app.filter.value())
            )
        };
        frame.render_widget(Paragraph::new(Line::styled(msg, t.dim)), inner);
        return;
    }

    let rows_area = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let height = rows_area.height as usize;
    ui.areas.list_rows = Some(rows_area);
    let selected = app.selected.min(app.visible.len() - 1);
    let offset = window(&mut ui.list_offset, selected, app.visible.len(), height);

    // Full columns when there is room, then name + kind + worst + last used + expiry, then
    // without last used, then name + expiry. "expired 729d ago" is the longest expiry.
    let wide = inner.width >= 70;
    let medium = !wide && inner.width >= 38;
    let used_col = wide || inner.width >= 52;
    let expiry_width: u16 = if medium && used_col { 16 } else { 17 };
    let used_width = 9u16;
    let fixed = if wide {
        4 + 3 + 4 + 3 + 4 + expiry_width + 6 + used_width + 1
    } else if medium && used_col {
        4 + 5 + used_width + expiry_width + 4
    } else if medium {
        4 + 4 + expiry_width + 3
    } else {
        expiry_width + 1
    };
    let name_width = inner.width.saturating_sub(fixed).max(8) as usize;

    let header_style = t.header;
    let header = if wide {
        Row::new([
            "NAME",
            "KIND",
            "SEC",
            "CERT",
            "FIC",
            "WORST",
            "LAST USED",
            "EXPIRES",
        ])
        .style(header_style)
    } else if medium && used_col {
        Row::new(["NAME", "KIND", "WORST", "LAST USED", "EXPIRES"]).style(header_style)
    } else if medium {
        Row::new(["NAME", "KIND", "WORST", "EXPIRES"]).style(header_style)
    } else {
        Row::new(["NAME", "EXPIRES"]).style(header_style)
    };
    let now = app.now;
    let mut marks = filter::Highlighter::new(app.filter.value());
    let rows: Vec<Row> = app.visible[offset..(offset + height).min(app.visible.len())]
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let e = dir.entry(id);
            let name = marked(
                truncate(&sanitize::display(dir.display_name_of(e)), name_width),
                &mut marks,
                t.matched,
            );
            let status = expiry::status(e.nearest_expiry, now, app.thresholds);
            let exp = Cell::from(Span::styled(
                if e.nearest_expiry.is_some() {
                    expiry::relative(e.nearest_expiry, now)
                } else {
                    String::new()
                },
                t.expiry(status),
            ));
            let count = |n: u16| {
                Cell::from(if n == 0 {
                    "·".to_string()
                } else {
                    n.to_string()
                })
            };
            let worst = match app.worst_finding(id) {
                Some(f) => Cell::from(Span::styled(
                    severity_label(f.severity),
                    t.severity(f.severity),
                )),
                None => Cell::from(""),
            };
            // Never "unused" without data: the words are `Evidence::short`'s.
            let evidence = app.last_used.identity(id);
            let used = Cell::from(Span::styled(
                evidence.short(now),
                match evidence {
                    Evidence::Unknown(_) => t.dim,
                    Evidence::Failing { .. } => t.error,
                    Evidence::SignedIn { .. } | Evidence::Idle { .. } => Default::default(),
                },
            ));
            let row = if wide {
                Row::new(vec![
                    Cell::from(name),
                    Cell::from(Span::styled(e.kind.short(), t.dim)),
                    count(e.secrets),
                    count(e.certificates),
                    count(e.federated),
                    worst,
                    used,
                    exp,
                ])
            } else if medium && used_col {
                Row::new(vec![
                    Cell::from(name),
                    Cell::from(Span::styled(e.kind.short(), t.dim)),
                    worst,
                    used,
                    exp,
                ])
            } else if medium {
                Row::new(vec![
                    Cell::from(name),
                    Cell::from(Span::styled(e.kind.short(), t.dim)),
                    worst,
                    exp,
                ])
            } else {
                Row::new(vec![Cell::from(name), exp])
            };
            row.style(row_style(offset + i == selected, focused, &t))
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Length(5),
            Constraint::Length(used_width),
            Constraint::Length(expiry_width),
        ]
    } else if medium && used_col {
        vec![
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Length(used_width),
            Constraint::Length(expiry_width),
        ]
    } else if medium {
        vec![
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Length(expiry_width),
        ]
    } else {
        vec![Constraint::Fill(1), Constraint::Length(expiry_width)]
    };
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, inner);
    if app.visible.len() > height {
        let pos = format!(" {}/{} ", selected + 1, app.visible.len());
        let w = pos.chars().count() as u16;
        if area.width > w + 2 {
            let at = Rect::new(area.x + area.width - w - 1, area.y + area.height - 1, w, 1);
            frame.render_widget(Paragraph::new(Line::styled(pos, t.dim)), at);
        }
    }
}
