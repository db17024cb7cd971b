//! The `:` command line: typing and Tab completion (commands, and after `:open ` the
//! snapshots used lately), and carrying out a line parsed by `line_command`'s one table.

use super::*;

/// The `:` line's commands; text comes as `Msg::Edit`.
pub(super) fn command_line(app: &mut App, c: Command) -> Vec<Effect> {
    match c {
        Command::Submit => {
            app.mode = Mode::Normal;
            let line = app.command.value().to_string();
            app.command.reset();
            return run_command_line(app, &line);
        }
        Command::Complete => complete_command(app),
        Command::Cancel => {
            app.mode = Mode::Normal;
            app.command.reset();
        }
        Command::Quit => app.quit = true,
        _ => {}
    }
    Vec::new()
}

fn complete_command(app: &mut App) {
    let typed = app.command.value().trim_start().to_string();
    if let Some((name, partial)) = typed.split_once(' ') {
        if crate::app::line_command::parse(&format!("{name} x"))
            .is_ok_and(|c| matches!(c, Some(crate::app::line_command::LineCommand::Open(_))))
        {
            complete_recent(app, name, partial.trim_start());
        }
        return;
    }
    let matches = crate::app::line_command::completions(&typed);
    match matches[..] {
        [one] => {
            app.command = tui_input::Input::new(format!("{one} "));
        }
        [] => error(app, format!("no command starts with {typed:?}")),
        _ => info(app, matches.join("  ")),
    }
}

/// Tab after `:open `: the snapshots used lately that start with what is typed.
fn complete_recent(app: &mut App, name: &str, partial: &str) {
    let matches: Vec<String> = app
        .recent_snapshots
        .iter()
        .filter(|p| p.starts_with(partial))
        .cloned()
        .collect();
    match &matches[..] {
        [one] => app.command = tui_input::Input::new(format!("{name} {one}")),
        [] if app.recent_snapshots.is_empty() => info(app, "no snapshot was used lately"),
        [] => error(app, format!("no recent snapshot starts with {partial:?}")),
        [first, ..] if partial.is_empty() => {
            // Nothing typed yet: the newest, the one most often wanted.
            app.command = tui_input::Input::new(format!("{name} {first}"));
        }
        many => info(
            app,
            many.iter()
                .map(|p| crate::sanitize::display(p).into_owned())
                .collect::<Vec<_>>()
                .join("  "),
        ),
    }
}

/// Carries out a `:` line, parsed by the one table (`line_command`).
fn run_command_line(app: &mut App, line: &str) -> Vec<Effect> {
    use crate::app::line_command::LineCommand as L;
    use crate::domain::CredentialType;
    let parsed = match crate::app::line_command::parse(line) {
        Ok(Some(c)) => c,
        Ok(None) => return Vec::new(),
        Err(e) => {
            error(app, e);
            return Vec::new();
        }
    };
    match parsed {
        L::Quit => app.quit = true,
        L::Help => {
            app.mode = Mode::Help;
            app.help_scroll = 0;
        }
        L::Reload { full: false } => return command(app, Command::Reload),
        L::Reload { full: true } => {
            app.load = LoadState::Loading(None);
            info(app, "loading the whole tenant…");
            return vec![Effect::Load];
        }
        L::Open(arg) => return open_snapshot(app, arg),
        L::Demo => return open(app, crate::app::OpenRequest::Demo),
        L::Resume => return crate::app::migration::continue_journal(app, false),
        L::Rollback => return crate::app::migration::continue_journal(app, true),
        L::Dismiss => {
            if app.journal_notice().is_some() {
                app.journal_notice_dismissed = true;
                info(app, "notice hidden; :resume and :rollback still work");
            } else {
                info(app, "no notice to dismiss");
            }
        }
        L::Migrate(None) => crate::app::migration::open(app),
        L::Migrate(Some(k)) => crate::app::migration::open_kind(app, k),
        L::All | L::Kind(None) => select_nav(app, App::nav_index(NavItem::All)),
        L::Kind(Some(k)) => select_nav(app, App::nav_index(NavItem::Kind(k))),
        L::Dashboard => select_nav(app, App::nav_index(NavItem::Dashboard)),
        L::Findings => select_nav(app, App::nav_index(NavItem::Findings)),
        L::Secrets => select_nav(app, App::nav_index(NavItem::With(CredentialType::Secret))),
        L::Certificates => select_nav(
            app,
            App::nav_index(NavItem::With(CredentialType::Certificate)),
        ),
        L::Federated => select_nav(
            app,
            App::nav_index(NavItem::With(CredentialType::Federated)),
        ),
        L::Expired => select_nav(app, App::nav_index(NavItem::Expired)),
        L::Expiring => select_nav(app, App::nav_index(NavItem::Expiring)),
        L::Sort(arg) => match SortKey::parse(arg) {
            Some(k) => {
                app.choose_sort(k);
                info(app, format!("sorted by {}", k.as_str()));
            }
            None => error(
                app,
                format!("unknown sort {arg:?}: use {}", SortKey::names()),
            ),
        },
        L::Filter(arg) => {
            app.filter = tui_input::Input::new(arg.to_string());
            let keep = app.selected_entry();
            app.refilter(keep);
        }
    }
    Vec::new()
}

/// Switches to another source, unless a migration is running on this one.
/// `:open FILE` opens it; `:open N` the Nth snapshot used lately; `:open` alone lists them.
fn open_snapshot(app: &mut App, arg: &str) -> Vec<Effect> {
    let recent = &app.recent_snapshots;
    let path = match arg.parse::<usize>() {
        Ok(n) if (1..=recent.len()).contains(&n) => recent[n - 1].clone(),
        _ if arg.is_empty() && recent.is_empty() => {
            error(
                app,
                ":open needs a snapshot file: :open FILE (no snapshot was used lately)",
            );
            return Vec::new();
        }
        _ if arg.is_empty() => {
            let list: Vec<String> = recent
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{} {}", i + 1, crate::sanitize::display(p)))
                .collect();
            info(
                app,
                format!("recent: {}  — :open N opens one", list.join(" · ")),
            );
            return Vec::new();
        }
        _ => arg.to_string(),
    };
    app.opening = Some(path.clone());
    open(app, crate::app::OpenRequest::Snapshot(path))
}

pub(super) fn open(app: &mut App, request: crate::app::OpenRequest) -> Vec<Effect> {
    if app.migration_running() {
        error(
            app,
            "a migration is running: let it finish before opening another tenant",
        );
        return Vec::new();
    }
    info(app, "opening…");
    vec![Effect::Open(request)]
}
