//! The bottom lines: a standing notice when there is one (a migration left unfinished), the
//! input line (filter or command being typed, or the last message) and the key hints of the
//! focused pane, generated from the keymap's `desc`s.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::span;
use crate::app::{App, Command, Mode, NavItem, Pane};
use crate::sanitize;
use crate::tui::keymap::Context;
use crate::tui::ui_state::UiState;

pub(super) fn render_status(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let (prefix, input) = match app.mode {
        Mode::Filter => ("/", Some(&app.filter)),
        Mode::Command => (":", Some(&app.command)),
        _ => ("", None),
    };
    if let Some(input) = input {
        let width = area.width.saturating_sub(2) as usize;
        let scroll = input.visual_scroll(width);
        let shown: String = input.value().chars().skip(scroll).collect();
        let line = Line::from(vec![
            span(prefix, t.key),
            Span::raw(sanitize::display(&shown).into_owned()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let x = (input.visual_cursor().max(scroll) - scroll) as u16 + 1;
        frame.set_cursor_position(Position::new(
            area.x + x.min(area.width.saturating_sub(1)),
            area.y,
        ));
        return;
    }
    if let Some(status) = &app.status {
        let style = if status.is_error { t.error } else { t.info };
        frame.render_widget(
            Paragraph::new(Line::styled(
                sanitize::display(&status.text).into_owned(),
                style,
            )),
            area,
        );
    }
}

/// The standing notice line (a migration left unfinished), in the warning colour.
pub(super) fn render_notice(text: &str, ui: &UiState, frame: &mut Frame, area: Rect) {
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("⚠ {}", sanitize::display(text)),
            ui.theme.warning,
        )),
        area,
    );
}

/// The commands worth a hint, per pane, in order of usefulness.
const HINTS: &[Command] = &[
    Command::Open,
    Command::Filter,
    Command::CopyId,
    Command::OpenPortal,
    Command::CycleSort,
    Command::Back,
    Command::CommandLine,
    Command::Help,
    Command::Quit,
];

pub(super) fn render_hints(app: &App, ui: &UiState, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let context = Context::of(app.focus);
    let pairs: Vec<(String, String)> = match app.mode {
        Mode::Filter => vec![
            ("enter".into(), "keep filter".into()),
            ("esc".into(), "clear".into()),
            ("'word".into(), "exact".into()),
            ("!word".into(), "exclude".into()),
        ],
        Mode::Command => vec![
            ("enter".into(), "run".into()),
            ("tab".into(), "complete".into()),
            ("esc".into(), "cancel".into()),
        ],
        Mode::Help => vec![
            ("j/k".into(), "scroll".into()),
            ("esc".into(), "close".into()),
        ],
        Mode::Migrate => app
            .migration
            .as_ref()
            .map(super::migration::hints)
            .unwrap_or_default(),
        Mode::Wizard => {
            let summary = app.wizard.as_ref().is_some_and(|w| {
                app.decision_table
                    .as_ref()
                    .is_some_and(|t| w.cursor >= t.path(&w.answers).questions.len())
            });
            let close = if app.wizard.as_ref().is_some_and(|w| w.standalone) {
                "quit"
            } else {
                "close"
            };
            if summary {
                vec![
                    ("e".into(), "export record".into()),
                    ("j/k".into(), "scroll".into()),
                    ("←".into(), "back".into()),
                    ("q".into(), close.into()),
                ]
            } else {
                vec![
                    ("↑↓".into(), "choose".into()),
                    ("enter".into(), "answer".into()),
                    ("←/backspace".into(), "back".into()),
                    ("q".into(), close.into()),
                ]
            }
        }
        Mode::Normal if app.nav_item() == NavItem::Findings && app.focus != Pane::Nav => vec![
            ("enter".into(), "go to identity".into()),
            ("w".into(), "wizard".into()),
            ("/".into(), "filter".into()),
            ("y".into(), "copy id".into()),
            ("esc".into(), "back".into()),
            ("?".into(), "help".into()),
            ("q".into(), "quit".into()),
        ],
        Mode::Normal if app.nav_item() == NavItem::Dashboard && app.focus != Pane::Nav => vec![
            ("enter".into(), "identities".into()),
            (":findings".into(), "findings".into()),
            ("/".into(), "filter".into()),
            ("tab".into(), "panes".into()),
            ("?".into(), "help".into()),
            ("q".into(), "quit".into()),
        ],
        Mode::Normal => {
            let described = ui.keymap.describe(context);
            let global = ui.keymap.describe(Context::Global);
            HINTS
                .iter()
                .filter_map(|c| {
                    described
                        .iter()
                        .chain(global.iter())
                        .find(|(_, cmd, _)| cmd == c)
                        .map(|(keys, _, desc)| (keys[0].label(), desc.clone()))
                })
                .collect()
        }
    };
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (key, desc) in pairs {
        let w = key.chars().count() + desc.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(span(format!(" {key}"), t.key));
        spans.push(span(format!(" {desc} "), t.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
