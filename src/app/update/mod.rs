//! `update`: the one place the explorer's state changes. Pure apart from the `App` it is
//! given: no I/O, no clock (time comes in as `Msg::Tick`), so every behaviour is testable as a
//! sequence of messages.

use tui_input::InputRequest;

use super::command::Command;
use super::msg::{Effect, Msg};
use super::{App, Crumb, LoadState, Mode, NavItem, Pane, SortKey, Status};
use crate::backend::Area;
use crate::domain::{EntryId, portal};

mod line;

use line::{command_line, open};

/// Applies `msg` to `app` and returns the effects the runtime must carry out.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Command(c) => {
            // A mode acts on the commands of its keymap context, and on nothing else.
            if !app.context().reacts_to().contains(&c) {
                return Vec::new();
            }
            return match app.mode {
                Mode::Help => {
                    help_command(app, c);
                    Vec::new()
                }
                Mode::Wizard => super::wizard::command(app, c),
                Mode::Migrate => super::migration::command(app, c),
                Mode::Filter => filter_command(app, c),
                Mode::Command => command_line(app, c),
                Mode::Normal => command(app, c),
            };
        }
        Msg::Edit(req) => match app.mode {
            Mode::Filter => {
                if app.filter.handle(req).is_some() {
                    // Ranked, the best match is what the user is after (as in fzf); in a
                    // chosen order, the selection stays put while it is still listed.
                    let ranked = app.effective_sort() == SortKey::Match;
                    let keep = if ranked { None } else { app.selected_entry() };
                    app.refilter(keep);
                }
            }
            Mode::Command => {
                app.command.handle(req);
            }
            Mode::Migrate => super::migration::edit(app, req),
            Mode::Normal | Mode::Help | Mode::Wizard => {}
        },
        Msg::ClickNav(i) => {
            app.mode = Mode::Normal;
            app.focus = Pane::Nav;
            select_nav(app, i);
        }
        Msg::ClickList(i) => {
            app.mode = Mode::Normal;
            app.focus = Pane::List;
            match app.nav_item() {
                NavItem::Findings => {
                    if i < app.visible_findings.len() {
                        app.finding_selected = i;
                    }
                }
                item => {
                    if item == NavItem::Dashboard {
                        select_nav(app, App::nav_index(NavItem::All));
                    }
                    if i < app.visible.len() {
                        select_row(app, i);
                    }
                }
            }
        }
        Msg::ClickDetails(link) => {
            app.mode = Mode::Normal;
            app.focus = Pane::Details;
            if let Some(i) = link
                && i < followable_links(app).len()
            {
                app.link_selected = Some(i);
            }
        }
        Msg::Scroll(pane, delta) => match pane {
            Pane::Nav => {
                let i = step(app.nav_selected, delta, NavItem::ALL.len());
                select_nav(app, i);
            }
            Pane::List if app.nav_item() == NavItem::Findings => {
                app.finding_selected =
                    step(app.finding_selected, delta, app.visible_findings.len());
            }
            Pane::List => {
                let i = step(app.selected, delta, app.visible.len());
                select_row(app, i);
            }
            Pane::Details => scroll_details(app, delta),
        },
        Msg::ListRows(rows) => app.list_rows = rows.max(1),
        Msg::HelpLimit(max) => {
            app.help_max_scroll = max;
            app.help_scroll = app.help_scroll.min(max);
        }
        Msg::Tick(now) => {
            app.now = now;
            // O(tenant): worked out off the UI thread, then swapped in (`Recounted`).
            if app.dir.is_some() {
                return vec![Effect::Recount];
            }
        }
        Msg::Recounted(r) => {
            if app.install_recount(*r) {
                return vec![Effect::Recount];
            }
        }
        Msg::LoadProgress(p) => {
            if matches!(app.load, LoadState::Loading(_)) || app.sweeping {
                match app.phases.iter_mut().find(|q| q.stage == p.stage) {
                    Some(q) => *q = p.clone(),
                    None => app.phases.push(p.clone()),
                }
            }
            if matches!(app.load, LoadState::Loading(_)) {
                app.load = LoadState::Loading(Some(p));
            }
        }
        Msg::TenantLoaded {
            dir,
            audit,
            warnings,
            cached_at,
            refresh,
        } => {
            // Worked out here, on the caller's thread; the runtime sends `TenantReady`
            // instead, made off the UI thread.
            let mut ready = super::Ready::new(*dir, audit.map(|a| *a), warnings);
            ready.cached_at = cached_at;
            ready.refresh = refresh;
            app.install(ready);
        }
        Msg::TenantReady(ready) => {
            app.install(*ready);
        }
        Msg::SweepFailed(e) => {
            app.sweeping = false;
            app.phases.clear();
            error(
                app,
                format!("sweep failed: {e} — the refreshed tenant stays; r tries again"),
            );
        }
        Msg::SignInNeeded(f) if app.dir.is_none() => {
            app.load = LoadState::SignIn(f);
            // The screen says it all; a status line would repeat it.
            app.status = None;
            app.mode = Mode::Normal;
        }
        Msg::SignInNeeded(f) => return update(app, Msg::LoadFailed(f.headline())),
        Msg::SourceOpened(source) => {
            app.source_opened(source);
            info(app, "opened; loading…");
        }
        Msg::LoadFailed(e) => {
            app.load = LoadState::Failed(e.clone());
            app.phases.clear();
            app.sweeping = false;
            let text = match (app.cached_at, &app.dir) {
                (Some(at), _) => format!(
                    "refresh failed: {e} — showing the cache from {}; r retries",
                    crate::domain::expiry::as_of(at, app.now)
                ),
                // What the load had read stays, said to be partial: never taken for whole.
                (None, Some(dir)) if app.partial => format!(
                    "load failed: {e} — showing the {} identities read before it stopped (partial: no Azure part, no findings); r retries",
                    dir.len()
                ),
                _ => e,
            };
            app.status = Some(Status {
                text,
                is_error: true,
            });
        }
        Msg::MigrationStarted { plan, done } => super::migration::started(app, *plan, done),
        Msg::MigrationStep {
            index,
            state,
            message,
        } => super::migration::step(app, index, state, message),
        Msg::MigrationFinished(outcome) => super::migration::finished(app, outcome),
        Msg::JournalFound(j) => super::migration::journal_found(app, j),
        Msg::RollbackRefused(choice) => super::migration::rollback_refused(app, *choice),
        Msg::Interrupted(signal) => super::migration::interrupted(app, &signal),
        Msg::EffectFailed(e) => error(app, e),
        Msg::Notice(text) => info(app, text),
        Msg::Exported(paths) => {
            if let Some(w) = app.wizard.as_mut() {
                w.exported = Some(paths.join(" and "));
            }
            info(
                app,
                format!("exported the decision record to {}", paths.join(" and ")),
            );
        }
    }
    Vec::new()
}

fn info(app: &mut App, text: impl Into<String>) {
    app.status = Some(Status {
        text: text.into(),
        is_error: false,
    });
}

fn error(app: &mut App, text: impl Into<String>) {
    app.status = Some(Status {
        text: text.into(),
        is_error: true,
    });
}

/// Moves `i` by `delta` within `0..len`.
fn step(i: usize, delta: i32, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let moved = i as i64 + i64::from(delta);
    moved.clamp(0, len as i64 - 1) as usize
}

fn select_nav(app: &mut App, i: usize) {
    if i < NavItem::ALL.len() && i != app.nav_selected {
        app.nav_selected = i;
        app.rebuild();
    }
}

fn select_row(app: &mut App, i: usize) {
    if i != app.selected {
        app.selected = i;
        app.link_selected = None;
        app.details_scroll = 0;
    }
}

fn scroll_details(app: &mut App, delta: i32) {
    let v = i64::from(app.details_scroll) + i64::from(delta);
    app.details_scroll = v.clamp(0, i64::from(u16::MAX)) as u16;
}

/// The targets of the selected identity's links that can be followed.
pub fn followable_links(app: &App) -> Vec<EntryId> {
    match (&app.dir, app.selected_entry()) {
        (Some(dir), Some(id)) => dir
            .links_of(dir.entry(id))
            .into_iter()
            .filter_map(|l| l.target)
            .collect(),
        _ => Vec::new(),
    }
}

fn clear_filter(app: &mut App) {
    if !app.filter.value().is_empty() {
        app.filter.reset();
        let keep = app.selected_entry();
        app.refilter(keep);
    }
}

/// The `/` line's commands; text comes as `Msg::Edit`.
fn filter_command(app: &mut App, c: Command) -> Vec<Effect> {
    match c {
        Command::Submit => app.mode = Mode::Normal,
        Command::Cancel => {
            app.mode = Mode::Normal;
            clear_filter(app);
        }
        // The list follows the filter while it is typed.
        Command::SelectNext | Command::SelectPrev => return command(app, c),
        Command::Quit => app.quit = true,
        _ => {}
    }
    Vec::new()
}

fn help_command(app: &mut App, c: Command) {
    help_scroll_by(app, c);
    app.help_scroll = app.help_scroll.min(app.help_max_scroll);
}

fn help_scroll_by(app: &mut App, c: Command) {
    match c {
        Command::SelectNext => app.help_scroll = app.help_scroll.saturating_add(1),
        Command::SelectPrev => app.help_scroll = app.help_scroll.saturating_sub(1),
        Command::PageDown | Command::HalfPageDown => {
            app.help_scroll = app.help_scroll.saturating_add(10)
        }
        Command::PageUp | Command::HalfPageUp => {
            app.help_scroll = app.help_scroll.saturating_sub(10)
        }
        Command::SelectFirst => app.help_scroll = 0,
        Command::SelectLast => app.help_scroll = app.help_max_scroll,
        Command::Close => app.mode = Mode::Normal,
        _ => {}
    }
}

/// Commands that work on the identity list: on the dashboard they first hand over to it.
fn is_list_command(c: Command) -> bool {
    matches!(
        c,
        Command::SelectNext
            | Command::SelectPrev
            | Command::PageDown
            | Command::PageUp
            | Command::HalfPageDown
            | Command::HalfPageUp
            | Command::SelectFirst
            | Command::SelectLast
            | Command::Open
            | Command::Back
            | Command::Filter
            | Command::CycleSort
            | Command::CopyId
            | Command::OpenPortal
            | Command::Wizard
            | Command::Migrate
    )
}

fn command(app: &mut App, c: Command) -> Vec<Effect> {
    if app.nav_item() == NavItem::Dashboard && app.focus != Pane::Nav && is_list_command(c) {
        select_nav(app, App::nav_index(NavItem::All));
        // Enter and Esc only leave the dashboard, and nothing acts on a row the user has not
        // seen; moves, the filter and the sort go on in the list.
        if matches!(
            c,
            Command::Open
                | Command::Back
                | Command::CopyId
                | Command::OpenPortal
                | Command::Wizard
                | Command::Migrate
        ) {
            return Vec::new();
        }
    }
    if app.nav_item() == NavItem::Findings
        && app.focus != Pane::Nav
        && let Some(effects) = findings_command(app, c)
    {
        return effects;
    }
    let page = app.list_rows.max(1) as i32;
    match c {
        Command::Quit => app.quit = true,
        Command::Help => {
            app.mode = Mode::Help;
            app.help_scroll = 0;
        }
        Command::FocusNext => {
            app.focus = match app.focus {
                Pane::Nav => Pane::List,
                Pane::List => Pane::Details,
                Pane::Details => Pane::Nav,
            }
        }
        Command::FocusPrev => {
            app.focus = match app.focus {
                Pane::Nav => Pane::Details,
                Pane::List => Pane::Nav,
                Pane::Details => Pane::List,
            }
        }
        Command::FocusLeft => {
            app.focus = match app.focus {
                Pane::Details => Pane::List,
                _ => Pane::Nav,
            }
        }
        Command::FocusRight => {
            app.focus = match app.focus {
                Pane::Nav => Pane::List,
                _ => Pane::Details,
            }
        }
        Command::SelectNext => move_selection(app, 1),
        Command::SelectPrev => move_selection(app, -1),
        // Pages scroll the details pane's text; j/k pick its links.
        Command::PageDown if app.focus == Pane::Details => scroll_details(app, 10),
        Command::PageUp if app.focus == Pane::Details => scroll_details(app, -10),
        Command::HalfPageDown if app.focus == Pane::Details => scroll_details(app, 5),
        Command::HalfPageUp if app.focus == Pane::Details => scroll_details(app, -5),
        Command::PageDown => move_selection(app, page),
        Command::PageUp => move_selection(app, -page),
        Command::HalfPageDown => move_selection(app, (page / 2).max(1)),
        Command::HalfPageUp => move_selection(app, -(page / 2).max(1)),
        Command::SelectFirst => move_selection(app, i32::MIN / 2),
        Command::SelectLast => move_selection(app, i32::MAX / 2),
        Command::Open => match app.focus {
            Pane::Nav => app.focus = Pane::List,
            Pane::List => {
                if app.selected_entry().is_some() {
                    app.focus = Pane::Details;
                    app.link_selected = None;
                    app.details_scroll = 0;
                }
            }
            Pane::Details => {
                let links = followable_links(app);
                match app.link_selected {
                    // The first Enter picks the first link, the next one follows it.
                    None if !links.is_empty() => app.link_selected = Some(0),
                    Some(i) if i < links.len() => follow(app, links[i]),
                    _ => info(app, "no link to follow here"),
                }
            }
        },
        Command::Back => back(app),
        Command::Filter => {
            app.mode = Mode::Filter;
            app.focus = Pane::List;
        }
        Command::CommandLine => {
            app.mode = Mode::Command;
            app.command.reset();
        }
        Command::CycleSort => {
            app.choose_sort(app.effective_sort().next());
            info(app, format!("sorted by {}", app.sort.as_str()));
        }
        Command::CopyId => {
            if let (Some(dir), Some(id)) = (app.dir.clone(), app.selected_entry()) {
                let object_id = dir.id_of(dir.entry(id)).to_string();
                info(app, format!("copied {object_id}"));
                return vec![Effect::Copy(object_id)];
            }
        }
        Command::OpenPortal => {
            if let (Some(dir), Some(id)) = (app.dir.clone(), app.selected_entry()) {
                return vec![Effect::OpenUrl(portal::url(&dir, dir.entry(id)))];
            }
        }
        Command::Wizard => super::wizard::open(app),
        Command::Migrate => super::migration::open(app),
        Command::Export => info(app, "export works from the wizard's summary (w starts it)"),
        Command::Reload => {
            app.load = LoadState::Loading(None);
            app.sweeping = false;
            app.phases.clear();
            info(app, "refreshing what changed…");
            return vec![Effect::Refresh];
        }
        Command::OpenDemo => return open(app, super::OpenRequest::Demo),
        // The commands of the other modes.
        _ => {}
    }
    Vec::new()
}

/// Keys in the findings view; `None` leaves the key to the ordinary handling.
fn findings_command(app: &mut App, c: Command) -> Option<Vec<Effect>> {
    let n = app.visible_findings.len();
    let page = app.list_rows.max(1) as i32;
    let mut step_by = |delta: i32| app.finding_selected = step(app.finding_selected, delta, n);
    match c {
        Command::SelectNext => step_by(1),
        Command::SelectPrev => step_by(-1),
        Command::PageDown => step_by(page),
        Command::PageUp => step_by(-page),
        Command::HalfPageDown => step_by((page / 2).max(1)),
        Command::HalfPageUp => step_by(-(page / 2).max(1)),
        Command::SelectFirst => step_by(i32::MIN / 2),
        Command::SelectLast => step_by(i32::MAX / 2),
        Command::Open => {
            let target = app.selected_finding()?.identity;
            jump_to_identity(app, target);
        }
        Command::Wizard => {
            let target = app.selected_finding()?.identity;
            jump_to_identity(app, target);
            super::wizard::open(app);
        }
        Command::Migrate => {
            let target = app.selected_finding()?.identity;
            jump_to_identity(app, target);
            super::migration::open(app);
        }
        Command::CopyId => {
            let dir = app.dir.clone()?;
            let id = dir
                .id_of(dir.entry(app.selected_finding()?.identity))
                .to_string();
            info(app, format!("copied {id}"));
            return Some(vec![Effect::Copy(id)]);
        }
        Command::OpenPortal => {
            let dir = app.dir.clone()?;
            let e = dir.entry(app.selected_finding()?.identity);
            return Some(vec![Effect::OpenUrl(portal::url(&dir, e))]);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// From a finding to its identity, remembering the way back.
fn jump_to_identity(app: &mut App, target: EntryId) {
    app.history.push(Crumb {
        nav: app.nav_selected,
        filter: app.filter.value().to_string(),
        entry: target,
        finding: app.finding_selected,
    });
    app.nav_selected = App::nav_index(NavItem::All);
    app.filter.reset();
    app.rebuild();
    if let Some(i) = app.visible.iter().position(|&v| v == target) {
        app.selected = i;
    }
    app.focus = Pane::Details;
    if let Some(dir) = &app.dir {
        let name = dir.display_name_of(dir.entry(target)).to_string();
        info(app, format!("→ {name} (Esc goes back)"));
    }
}

fn move_selection(app: &mut App, delta: i32) {
    match app.focus {
        Pane::Nav => {
            let i = step(app.nav_selected, delta, NavItem::ALL.len());
            select_nav(app, i);
        }
        Pane::List => {
            let i = step(app.selected, delta, app.visible.len());
            select_row(app, i);
        }
        Pane::Details => {
            let n = followable_links(app).len();
            if n == 0 {
                scroll_details(app, delta.clamp(-1000, 1000));
            } else {
                app.link_selected = Some(match app.link_selected {
                    None if delta > 0 => 0,
                    None => n - 1,
                    Some(i) => step(i, delta, n),
                });
            }
        }
    }
}

/// Jumps to `target`, remembering where we were.
fn follow(app: &mut App, target: EntryId) {
    let Some(from) = app.selected_entry() else {
        return;
    };
    app.history.push(Crumb {
        nav: app.nav_selected,
        filter: app.filter.value().to_string(),
        entry: from,
        finding: app.finding_selected,
    });
    if !app.visible.contains(&target) || app.nav_item() == NavItem::Findings {
        app.nav_selected = App::nav_index(NavItem::All);
        app.filter.reset();
        app.rebuild();
    }
    if let Some(i) = app.visible.iter().position(|&v| v == target) {
        app.selected = i;
    }
    app.link_selected = None;
    app.details_scroll = 0;
    app.focus = Pane::Details;
    if let Some(dir) = &app.dir {
        let name = dir.display_name_of(dir.entry(target)).to_string();
        info(app, format!("→ {name} (Esc goes back)"));
    }
}

/// Esc: undo the last follow, else leave the details pane, else clear the filter.
fn back(app: &mut App) {
    if let Some(c) = app.history.pop() {
        app.nav_selected = c.nav;
        app.filter = tui_input::Input::new(c.filter);
        app.rebuild();
        if let Some(i) = app.visible.iter().position(|&v| v == c.entry) {
            app.selected = i;
        }
        app.finding_selected = c.finding.min(app.visible_findings.len().saturating_sub(1));
        app.focus = if app.nav_item() == NavItem::Findings {
            Pane::List
        } else {
            Pane::Details
        };
        app.status = None;
    } else if app.focus == Pane::Details {
        app.focus = Pane::List;
    } else if !app.filter.value().is_empty() {
        clear_filter(app);
    }
}

/// What an incremental refresh did, for the status line: "refreshed: 3 changed, 1 removed",
/// or why it read the whole tenant.
pub(super) fn refresh_summary(
    r: &super::msg::Refresh,
    warnings: &[crate::backend::Warning],
    count: usize,
) -> String {
    if r.full {
        return match warnings.iter().find(|w| w.area == Area::Refresh) {
            Some(w) => format!("loaded {count} identities; {}", w.message),
            None => {
                format!("loaded {count} identities in full: no delta link was kept to refresh from")
            }
        };
    }
    let parts: Vec<String> = [
        (r.added, "added"),
        (r.changed, "changed"),
        (r.removed, "removed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "refreshed: nothing changed".to_string()
    } else {
        format!("refreshed: {}", parts.join(", "))
    }
}

/// The editing request for typing `c` (used by tests and the command line).
pub fn insert(c: char) -> InputRequest {
    InputRequest::InsertChar(c)
}
