//! The explorer's behaviour as sequences of messages: no terminal, just `update` on an `App`
//! loaded with the demo tenant, asserting state and emitted effects.
#![allow(clippy::unwrap_used)]

mod common;

use common::{NOW, loaded_app, type_text};
use credwise::app::{App, Command, Effect, LoadState, Mode, Msg, NavItem, Pane, SortKey, update};
use credwise::domain::IdentityKind;

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    update(app, Msg::Command(c))
}

fn name(app: &App) -> String {
    let dir = app.dir.as_ref().unwrap();
    dir.display_name_of(dir.entry(app.selected_entry().unwrap()))
        .to_string()
}

fn kind(app: &App) -> IdentityKind {
    let dir = app.dir.as_ref().unwrap();
    dir.entry(app.selected_entry().unwrap()).kind
}

fn filter(app: &mut App, text: &str) {
    cmd(app, Command::Filter);
    type_text(app, text);
    update(app, Msg::Command(credwise::app::Command::Submit));
}

#[test]
fn loading_fills_the_list_sorted_by_name() {
    let app = loaded_app();
    let dir = app.dir.as_ref().unwrap();
    assert_eq!(app.load, LoadState::Loaded);
    assert_eq!(app.visible.len(), dir.len());
    assert_eq!(app.nav_count(NavItem::All), dir.len());
    let names: Vec<String> = app
        .visible
        .iter()
        .map(|&i| dir.display_name_of(dir.entry(i)).to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    // Counts by kind add up.
    let by_kind: usize = IdentityKind::ALL
        .iter()
        .map(|&k| app.nav_count(NavItem::Kind(k)))
        .sum();
    assert_eq!(by_kind, dir.len());
}

#[test]
fn moving_the_selection() {
    let mut app = loaded_app();
    update(&mut app, Msg::ListRows(10));
    cmd(&mut app, Command::SelectNext);
    assert_eq!(app.selected, 1);
    cmd(&mut app, Command::PageDown);
    assert_eq!(app.selected, 11);
    cmd(&mut app, Command::HalfPageUp);
    assert_eq!(app.selected, 6);
    cmd(&mut app, Command::SelectLast);
    assert_eq!(app.selected, app.visible.len() - 1);
    cmd(&mut app, Command::SelectNext);
    assert_eq!(app.selected, app.visible.len() - 1, "stays on the last row");
    cmd(&mut app, Command::SelectFirst);
    assert_eq!(app.selected, 0);
    cmd(&mut app, Command::SelectPrev);
    assert_eq!(app.selected, 0, "stays on the first row");
}

#[test]
fn focus_cycles_through_the_panes() {
    let mut app = loaded_app();
    assert_eq!(app.focus, Pane::List);
    cmd(&mut app, Command::FocusNext);
    assert_eq!(app.focus, Pane::Details);
    cmd(&mut app, Command::FocusNext);
    assert_eq!(app.focus, Pane::Nav);
    cmd(&mut app, Command::FocusPrev);
    assert_eq!(app.focus, Pane::Details);
    cmd(&mut app, Command::FocusLeft);
    assert_eq!(app.focus, Pane::List);
    cmd(&mut app, Command::FocusLeft);
    assert_eq!(app.focus, Pane::Nav);
    cmd(&mut app, Command::FocusRight);
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn navigation_pane_selects_a_kind() {
    let mut app = loaded_app();
    cmd(&mut app, Command::FocusLeft);
    assert_eq!(app.nav_item(), NavItem::Dashboard, "the first screen");
    for _ in 0..3 {
        cmd(&mut app, Command::SelectNext);
    }
    assert_eq!(app.nav_item(), NavItem::Kind(IdentityKind::Application));
    assert_eq!(
        app.visible.len(),
        app.nav_count(NavItem::Kind(IdentityKind::Application))
    );
    let dir = app.dir.clone().unwrap();
    assert!(
        app.visible
            .iter()
            .all(|&i| dir.entry(i).kind == IdentityKind::Application)
    );
    cmd(&mut app, Command::Open);
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn filter_narrows_and_escape_clears() {
    let mut app = loaded_app();
    let all = app.visible.len();
    cmd(&mut app, Command::Filter);
    assert_eq!(app.mode, Mode::Filter);
    type_text(&mut app, "payroll");
    assert!(app.visible.len() < all && !app.visible.is_empty());
    let dir = app.dir.clone().unwrap();
    assert!(
        app.visible
            .iter()
            .any(|&i| dir.display_name_of(dir.entry(i)) == "payroll-api")
    );
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.filter.value(), "payroll");
    cmd(&mut app, Command::Back);
    assert_eq!(app.filter.value(), "");
    assert_eq!(app.visible.len(), all);
}

fn visible_names(app: &App) -> Vec<String> {
    let dir = app.dir.as_ref().unwrap();
    app.visible
        .iter()
        .map(|&i| dir.display_name_of(dir.entry(i)).to_string())
        .collect()
}

#[test]
fn filter_ranks_exact_then_prefix_then_substring_then_fuzzy() {
    use credwise::domain::filter::Tier;
    let mut app = loaded_app();
    filter(&mut app, "payroll");
    assert_eq!(app.effective_sort(), SortKey::Match);
    let names = visible_names(&app);
    assert_eq!(names[0], "payroll-api", "a prefix match first: {names:?}");
    let tiers: Vec<Tier> = names.iter().map(|n| Tier::of(n, "payroll")).collect();
    assert!(tiers.is_sorted(), "tiers out of order: {names:?}");
    for t in [Tier::Prefix, Tier::Substring, Tier::Fuzzy] {
        assert!(tiers.contains(&t), "no {t:?} match in {names:?}");
    }
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(at("payroll-api") < at("app-payroll-api"));
    assert!(at("payroll-api") < at("id-payroll-batch"));
    let mut exact = loaded_app();
    filter(&mut exact, "payroll-api");
    assert_eq!(
        visible_names(&exact)[..4],
        [
            "payroll-api",
            "payroll-api",
            "payroll-api-sandbox",
            "app-payroll-api"
        ],
        "exact (app and service principal), then prefix, then substring"
    );

    // A sort chosen while the filter is typed holds over the ranking...
    cmd(&mut app, Command::CycleSort);
    assert_eq!(app.effective_sort(), SortKey::Name);
    let by_name = visible_names(&app);
    let mut sorted = by_name.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(by_name, sorted);
    assert_eq!(by_name.len(), names.len());
    // ...until the filter is cleared; the sort key applies to the whole list.
    cmd(&mut app, Command::Back);
    assert!(!app.sort_explicit);
    assert_eq!(app.effective_sort(), SortKey::Name);
    filter(&mut app, "payroll");
    assert_eq!(visible_names(&app), names, "a new filter ranks again");
}

#[test]
fn a_sort_key_applies_with_no_filter_and_match_falls_back_to_name() {
    let mut app = loaded_app();
    update(&mut app, Msg::Command(Command::CommandLine));
    type_text(&mut app, "sort match");
    update(&mut app, Msg::Command(Command::Submit));
    assert_eq!(app.sort, SortKey::Match);
    assert_eq!(app.effective_sort(), SortKey::Name);
    let names = visible_names(&app);
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
}

#[test]
fn sort_by_last_use_puts_the_least_recently_used_first_and_unknown_last() {
    let mut app = loaded_app();
    update(&mut app, Msg::Command(Command::CommandLine));
    type_text(&mut app, "sort last-used");
    update(&mut app, Msg::Command(Command::Submit));
    assert_eq!(app.sort, SortKey::LastUsed);
    assert_eq!(app.effective_sort(), SortKey::LastUsed);
    assert_eq!(app.status.as_ref().unwrap().text, "sorted by last-used");
    let dir = app.dir.clone().unwrap();
    let rows: Vec<(String, String)> = app
        .visible
        .iter()
        .map(|&id| {
            (
                app.last_used.identity(id).short(NOW),
                dir.display_name_of(dir.entry(id)).to_string(),
            )
        })
        .collect();
    // The demo's order in steps: those idle over the log's 30 days (by name; the demo's
    // sign-ins are all more recent), then the sign-ins oldest first, the newest last among the
    // known, then every unknown (by name). The unit table in `domain::last_used` puts a
    // sign-in older than the window before the idle ones.
    let first_signed = rows.iter().position(|(u, _)| u.ends_with(" ago")).unwrap();
    let first_unknown = rows.iter().position(|(u, _)| u == "unknown").unwrap();
    assert!(first_signed > 0 && first_signed < first_unknown, "{rows:?}");
    assert!(
        rows[..first_signed].iter().all(|(u, _)| u == "none 30d+"),
        "{rows:?}"
    );
    assert_eq!(rows[first_signed].0, "4d ago", "{rows:?}");
    assert_eq!(rows[first_unknown - 1].0, "1d ago", "{rows:?}");
    assert!(
        rows[first_unknown..].iter().all(|(u, _)| u == "unknown"),
        "{rows:?}"
    );
    let idle: Vec<&str> = rows
        .iter()
        .filter(|(u, _)| u == "none 30d+")
        .map(|(_, n)| n.as_str())
        .collect();
    let mut by_name = idle.clone();
    by_name.sort_by_key(|n| n.to_lowercase());
    assert_eq!(idle, by_name, "ties by name");
    // Every step of the whole list is in order of the key, ties by name.
    let keys: Vec<_> = app
        .visible
        .iter()
        .map(|&id| (app.last_used.order_key(id), dir.name_rank(id)))
        .collect();
    assert!(keys.is_sorted(), "{rows:?}");
}

#[test]
fn the_sort_cycle_and_the_errors_name_last_used() {
    let mut app = loaded_app();
    cmd(&mut app, Command::Open);
    let mut seen = Vec::new();
    for _ in 0..4 {
        cmd(&mut app, Command::CycleSort);
        seen.push(app.sort);
    }
    assert_eq!(
        seen,
        [
            SortKey::Kind,
            SortKey::Expiry,
            SortKey::LastUsed,
            SortKey::Match
        ]
    );
    update(&mut app, Msg::Command(Command::CommandLine));
    type_text(&mut app, "sort size");
    update(&mut app, Msg::Command(Command::Submit));
    let err = app.status.as_ref().unwrap();
    assert!(err.is_error);
    assert!(
        err.text
            .ends_with("use name, kind, expiry, last-used or match"),
        "{}",
        err.text
    );
    assert_eq!(SortKey::parse("last-used"), Some(SortKey::LastUsed));
}

#[test]
fn filter_cancel_drops_the_text() {
    let mut app = loaded_app();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "zzzz-nothing");
    assert!(app.visible.is_empty());
    update(&mut app, Msg::Command(Command::Cancel));
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.visible.is_empty());
}

#[test]
fn filter_matches_fic_subjects_and_excludes_with_bang() {
    let mut app = loaded_app();
    filter(&mut app, "'environment:production");
    assert!(!app.visible.is_empty());
    let dir = app.dir.clone().unwrap();
    for &i in &app.visible {
        let e = dir.entry(i);
        let hit = dir.credentials_of(e).iter().any(|c| match c {
            credwise::domain::CredentialRef::Federated(f) => {
                f.matcher().contains("environment:production")
            }
            _ => false,
        });
        assert!(
            hit,
            "{} should have a production FIC",
            dir.display_name_of(e)
        );
    }
    let mut app = loaded_app();
    let all = app.visible.len();
    filter(&mut app, "!payroll");
    assert!(app.visible.len() < all);
    assert!(
        app.visible
            .iter()
            .all(|&i| !dir.display_name_of(dir.entry(i)).contains("payroll"))
    );
}

#[test]
fn following_a_link_and_coming_back() {
    let mut app = loaded_app();
    filter(&mut app, "'payroll-api");
    while kind(&app) != IdentityKind::Application {
        cmd(&mut app, Command::SelectNext);
    }
    let app_name = name(&app);
    cmd(&mut app, Command::Open);
    assert_eq!(app.focus, Pane::Details);
    assert_eq!(app.link_selected, None, "details open at the top");
    cmd(&mut app, Command::Open);
    assert_eq!(app.link_selected, Some(0), "the first Enter picks a link");
    cmd(&mut app, Command::Open);
    assert_eq!(kind(&app), IdentityKind::ServicePrincipal);
    assert_eq!(name(&app), app_name);
    assert_eq!(app.history.len(), 1);
    cmd(&mut app, Command::Back);
    assert_eq!(kind(&app), IdentityKind::Application);
    assert_eq!(app.filter.value(), "'payroll-api");
    assert!(app.history.is_empty());
    cmd(&mut app, Command::Back);
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn following_leaves_a_filter_that_hides_the_target() {
    let mut app = loaded_app();
    // Only app registrations: the SP is not listed, so following switches to all identities.
    update(
        &mut app,
        Msg::ClickNav(App::nav_index(NavItem::Kind(IdentityKind::Application))),
    );
    filter(&mut app, "'payroll-api");
    cmd(&mut app, Command::Open);
    cmd(&mut app, Command::SelectNext);
    cmd(&mut app, Command::Open);
    assert_eq!(kind(&app), IdentityKind::ServicePrincipal);
    assert_eq!(app.nav_item(), NavItem::All);
    cmd(&mut app, Command::Back);
    assert_eq!(app.nav_item(), NavItem::Kind(IdentityKind::Application));
    assert_eq!(kind(&app), IdentityKind::Application);
}

#[test]
fn command_line_switches_kind_and_sort() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "kind uami");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert_eq!(
        app.nav_item(),
        NavItem::Kind(IdentityKind::UserAssignedManagedIdentity)
    );
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "sort expiry");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert_eq!(app.sort, SortKey::Expiry);
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "sp");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert_eq!(
        app.nav_item(),
        NavItem::Kind(IdentityKind::ServicePrincipal)
    );
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "bogus");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    let status = app.status.clone().unwrap();
    assert!(
        status.is_error && status.text.contains(":bogus"),
        "{status:?}"
    );
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "q");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert!(app.quit);
}

#[test]
fn command_line_completes_with_tab() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "exp");
    update(&mut app, Msg::Command(Command::Complete));
    // "expired" and "expiring" share the prefix: both are offered.
    assert!(app.status.as_ref().unwrap().text.contains("expired"));
    type_text(&mut app, "ire");
    update(&mut app, Msg::Command(Command::Complete));
    assert_eq!(app.command.value(), "expired ");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    assert_eq!(app.nav_item(), NavItem::Expired);
    assert!(app.visible.len() >= 3);
}

#[test]
fn sorting_by_expiry_puts_the_nearest_first() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CycleSort);
    assert_eq!(app.sort, SortKey::Kind);
    cmd(&mut app, Command::CycleSort);
    assert_eq!(app.sort, SortKey::Expiry);
    let dir = app.dir.clone().unwrap();
    let ends: Vec<_> = app
        .visible
        .iter()
        .map(|&i| dir.entry(i).nearest_expiry)
        .collect();
    let known: Vec<_> = ends.iter().take_while(|e| e.is_some()).collect();
    assert!(known.windows(2).all(|w| w[0] <= w[1]));
    assert!(ends[known.len()..].iter().all(Option::is_none));
}

#[test]
fn copy_and_portal_emit_effects() {
    let mut app = loaded_app();
    filter(&mut app, "'payroll-api");
    while kind(&app) != IdentityKind::Application {
        cmd(&mut app, Command::SelectNext);
    }
    let dir = app.dir.clone().unwrap();
    let e = dir.entry(app.selected_entry().unwrap());
    let effects = cmd(&mut app, Command::CopyId);
    assert_eq!(effects, vec![Effect::Copy(dir.id_of(e).to_string())]);
    let effects = cmd(&mut app, Command::OpenPortal);
    let [Effect::OpenUrl(url)] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert!(url.starts_with("https://portal.azure.com/"), "{url}");
    assert!(url.contains(dir.app_id_of(e).unwrap()), "{url}");
}

#[test]
fn reload_asks_for_a_load() {
    let mut app = loaded_app();
    assert_eq!(cmd(&mut app, Command::Reload), vec![Effect::Refresh]);
    assert!(matches!(app.load, LoadState::Loading(_)));
    // The old list stays visible while loading.
    assert!(!app.visible.is_empty());
}

/// `:reload` refreshes as `r` does; `:reload full` loads the whole tenant; anything else is
/// an error that asks for nothing.
#[test]
fn reload_full_is_a_full_load_and_reload_alone_a_refresh() {
    let mut app = loaded_app();
    let line = |app: &mut App, text: &str| {
        cmd(app, Command::CommandLine);
        type_text(app, text);
        cmd(app, Command::Submit)
    };
    assert_eq!(line(&mut app, "reload"), vec![Effect::Refresh]);
    assert_eq!(line(&mut app, "reload full"), vec![Effect::Load]);
    assert!(matches!(app.load, LoadState::Loading(_)));
    assert_eq!(line(&mut app, "reload sideways"), vec![]);
    assert!(app.status.as_ref().is_some_and(|s| s.is_error));
}

fn refreshed(
    refresh: credwise::app::msg::Refresh,
    warnings: Vec<credwise::backend::Warning>,
) -> Msg {
    Msg::TenantLoaded {
        dir: Box::new(common::demo_dir()),
        audit: None,
        warnings,
        cached_at: None,
        refresh: Some(refresh),
    }
}

/// The status line says what a refresh did: what delta reported, or that it read the whole
/// tenant and why; a warning of the load still shows after it.
#[test]
fn a_refresh_says_what_changed_or_why_it_read_everything() {
    use credwise::app::msg::Refresh;
    use credwise::backend::Warning;
    let delta = |added, changed, removed| Refresh {
        full: false,
        added,
        changed,
        removed,
        azure_at: None,
    };
    let status = |app: &App| app.status.clone().unwrap();
    let mut app = loaded_app();
    cmd(&mut app, Command::Reload);
    update(&mut app, refreshed(delta(0, 3, 1), vec![]));
    assert_eq!(app.load, LoadState::Loaded);
    assert_eq!(status(&app).text, "refreshed: 3 changed, 1 removed");
    assert!(!status(&app).is_error);
    assert_eq!(app.refreshed, Some(delta(0, 3, 1)));

    update(&mut app, refreshed(delta(2, 0, 0), vec![]));
    assert_eq!(status(&app).text, "refreshed: 2 added");
    update(&mut app, refreshed(delta(0, 0, 0), vec![]));
    assert_eq!(status(&app).text, "refreshed: nothing changed");

    let full = Refresh {
        full: true,
        ..delta(0, 0, 0)
    };
    let n = app.dir.as_ref().unwrap().len();
    update(&mut app, refreshed(full.clone(), vec![]));
    assert_eq!(
        status(&app).text,
        format!("loaded {n} identities in full: no delta link was kept to refresh from")
    );
    let expired = Warning {
        area: credwise::backend::Area::Refresh,
        message: "the tenant was read in full: Graph no longer knows the saved delta link \
                  (410 Gone); delta links last seven days"
            .into(),
    };
    update(&mut app, refreshed(full, vec![expired]));
    assert!(
        status(&app).text.starts_with(&format!(
            "loaded {n} identities; the tenant was read in full"
        )) && status(&app).text.contains("410 Gone"),
        "{:?}",
        status(&app)
    );
    assert!(!status(&app).is_error, "a full load is not a failure");

    let fics = Warning {
        area: credwise::backend::Area::FederatedCredentials,
        message: "could not be read again".into(),
    };
    update(&mut app, refreshed(delta(0, 1, 0), vec![fics]));
    assert_eq!(
        status(&app).text,
        "refreshed: 1 changed; federated credentials: could not be read again"
    );
    assert!(status(&app).is_error);

    // A full load afterwards forgets the refresh.
    update(&mut app, tenant_loaded(None));
    assert_eq!(app.refreshed, None);
}

#[test]
fn help_swallows_keys_until_closed() {
    let mut app = loaded_app();
    cmd(&mut app, Command::Help);
    assert_eq!(app.mode, Mode::Help);
    cmd(&mut app, Command::SelectNext);
    assert_eq!(app.help_scroll, 1);
    assert_eq!(app.selected, 0, "the list does not move under the overlay");
    common::press(&mut app, "q");
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quit, "q closes help first");
    cmd(&mut app, Command::Help);
    common::press(&mut app, "j");
    assert_eq!(app.selected, 0, "j scrolls the overlay, not the list");
    common::press(&mut app, "esc");
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn clicks_select_and_focus() {
    let mut app = loaded_app();
    update(&mut app, Msg::ClickList(5));
    assert_eq!((app.focus, app.selected), (Pane::List, 5));
    update(&mut app, Msg::ClickList(100_000));
    assert_eq!(app.selected, 5, "a click past the end changes nothing");
    update(
        &mut app,
        Msg::ClickNav(App::nav_index(NavItem::Kind(
            IdentityKind::UserAssignedManagedIdentity,
        ))),
    );
    assert_eq!(app.focus, Pane::Nav);
    assert_eq!(
        app.nav_item(),
        NavItem::Kind(IdentityKind::UserAssignedManagedIdentity)
    );
    update(&mut app, Msg::Scroll(Pane::List, 3));
    assert_eq!(app.selected, 3);
}

#[test]
fn the_clock_moving_on_recounts_expiry_views_off_the_ui_thread() {
    let mut app = loaded_app();
    let expired = app.nav_count(NavItem::Expired);
    // The tick itself recounts nothing (O(tenant) on the UI thread): it asks the runtime.
    let effects = update(&mut app, Msg::Tick(NOW + time::Duration::days(800)));
    assert_eq!(effects, vec![Effect::Recount]);
    assert_eq!(app.nav_count(NavItem::Expired), expired);
    let job = app.recount_job().unwrap();
    update(&mut app, Msg::Recounted(Box::new(job.run())));
    assert!(app.nav_count(NavItem::Expired) > expired);
}

#[test]
fn a_recount_keeps_the_selection_and_is_dropped_when_the_view_moved_on() {
    let mut app = loaded_app();
    update(&mut app, Msg::ClickNav(App::nav_index(NavItem::All)));
    app.selected = 4;
    let chosen = app.selected_entry();
    app.details_scroll = 3;
    update(&mut app, Msg::Tick(NOW + time::Duration::days(1)));
    let job = app.recount_job().unwrap();
    update(&mut app, Msg::Recounted(Box::new(job.run())));
    assert_eq!(app.selected_entry(), chosen);
    assert_eq!(app.details_scroll, 3, "the details stay where they were");
    // Asked for, then the view changed (another filter): the answer no longer fits.
    update(&mut app, Msg::Tick(NOW + time::Duration::days(800)));
    let job = app.recount_job().unwrap();
    let expired = app.nav_count(NavItem::Expired);
    update(&mut app, Msg::Command(Command::Filter));
    type_text(&mut app, "payroll");
    update(&mut app, Msg::Command(Command::Submit));
    let listed = app.visible.clone();
    let effects = update(&mut app, Msg::Recounted(Box::new(job.run())));
    assert_eq!(app.visible, listed, "a stale recount is dropped");
    assert_eq!(app.nav_count(NavItem::Expired), expired);
    // … and asked for again, for the view on screen now.
    assert_eq!(effects, vec![Effect::Recount]);
    let job = app.recount_job().unwrap();
    update(&mut app, Msg::Recounted(Box::new(job.run())));
    assert!(app.nav_count(NavItem::Expired) > expired);
    assert_eq!(app.filter.value(), "payroll");
    // One for a tenant no longer on screen changes nothing and asks for nothing.
    let job = app.recount_job().unwrap();
    let mut other = loaded_app();
    assert!(update(&mut other, Msg::Recounted(Box::new(job.run()))).is_empty());
}

#[test]
fn load_failure_is_shown() {
    let mut app = App::new("snapshot x.json", false, NOW);
    update(&mut app, Msg::LoadFailed("x.json:1:2: bad".into()));
    assert_eq!(app.load, LoadState::Failed("x.json:1:2: bad".into()));
    assert!(app.status.unwrap().is_error);
}

#[test]
fn help_scroll_stops_at_the_end() {
    let mut app = loaded_app();
    cmd(&mut app, Command::Help);
    update(&mut app, Msg::HelpLimit(12));
    for _ in 0..5 {
        cmd(&mut app, Command::PageDown);
    }
    assert_eq!(app.help_scroll, 12);
    cmd(&mut app, Command::SelectPrev);
    assert_eq!(app.help_scroll, 11, "one step up is visible at once");
    cmd(&mut app, Command::SelectFirst);
    assert_eq!(app.help_scroll, 0);
    cmd(&mut app, Command::SelectLast);
    assert_eq!(app.help_scroll, 12);
}

/// The demo tenant as a load result: `cached_at` says whether it came from the cache.
fn tenant_loaded(cached_at: Option<credwise::domain::Timestamp>) -> Msg {
    let dir = common::demo_dir();
    Msg::TenantLoaded {
        dir: Box::new(dir),
        audit: None,
        warnings: vec![],
        cached_at,
        refresh: None,
    }
}

#[test]
fn the_cache_shows_at_once_and_the_fresh_load_replaces_it() {
    let mut app = App::new("live", false, NOW);
    let at = NOW - time::Duration::hours(3);
    update(&mut app, tenant_loaded(Some(at)));
    assert!(app.dir.is_some(), "the cached tenant is on screen");
    assert_eq!(app.cached_at, Some(at));
    assert!(
        matches!(app.load, LoadState::Loading(_)),
        "the live load goes on: {:?}",
        app.load
    );
    let status = app.status.clone().unwrap();
    assert!(
        status.text.contains("showing the cache from") && status.text.contains("3h ago"),
        "{status:?}"
    );
    assert_eq!(app.nav_item(), NavItem::Dashboard, "the first screen");

    // The user moves on while the refresh runs; the fresh tenant does not take them back.
    cmd(&mut app, Command::Open);
    cmd(&mut app, Command::SelectNext);
    cmd(&mut app, Command::SelectNext);
    let before = name(&app);
    update(&mut app, tenant_loaded(None));
    assert_eq!(app.load, LoadState::Loaded);
    assert_eq!(app.cached_at, None);
    assert_eq!(app.nav_item(), NavItem::All);
    assert_eq!(name(&app), before, "the same identity stays selected");
}

#[test]
fn a_failed_refresh_keeps_the_cached_tenant_and_says_so() {
    let mut app = App::new("live", false, NOW);
    let at = NOW - time::Duration::days(2);
    update(&mut app, tenant_loaded(Some(at)));
    update(
        &mut app,
        Msg::LoadFailed("network: connection refused".into()),
    );
    assert!(app.dir.is_some(), "nothing is lost");
    assert_eq!(app.cached_at, Some(at));
    let status = app.status.clone().unwrap();
    assert!(status.is_error);
    assert!(
        status
            .text
            .contains("refresh failed: network: connection refused")
            && status.text.contains("2d ago")
            && status.text.contains("r retries"),
        "{status:?}"
    );
    // `r` tries again, without the cache.
    assert_eq!(cmd(&mut app, Command::Reload), vec![Effect::Refresh]);
    assert!(matches!(app.load, LoadState::Loading(_)));
}

#[test]
fn no_credential_shows_the_sign_in_screen_whose_keys_open_another_source() {
    use credwise::app::{Context, OpenRequest};
    let mut app = App::new("live", false, NOW);
    update(
        &mut app,
        Msg::SignInNeeded(Box::new(common::sign_in_failure())),
    );
    assert!(app.sign_in_needed().is_some());
    assert_eq!(app.context(), Context::SignIn);
    assert_eq!(app.status, None, "the screen says it, not the status line");
    assert_eq!(
        cmd(&mut app, Command::OpenDemo),
        vec![Effect::Open(OpenRequest::Demo)]
    );
    assert_eq!(cmd(&mut app, Command::Reload), vec![Effect::Refresh]);
    assert!(app.sign_in_needed().is_none(), "retrying: loading again");

    // `:open FILE` and `:demo` from the command line; `:open` alone says what it needs.
    let line = |app: &mut App, text: &str| {
        cmd(app, Command::CommandLine);
        type_text(app, text);
        cmd(app, Command::Submit)
    };
    assert_eq!(
        line(&mut app, "open ~/tenants/contoso.json"),
        vec![Effect::Open(OpenRequest::Snapshot(
            "~/tenants/contoso.json".into()
        ))]
    );
    assert_eq!(
        line(&mut app, "demo"),
        vec![Effect::Open(OpenRequest::Demo)]
    );
    assert!(line(&mut app, "open").is_empty());
    assert!(app.status.as_ref().unwrap().text.contains(":open FILE"));
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("no snapshot was used lately")
    );
}

#[test]
fn open_lists_opens_and_completes_the_snapshots_used_lately() {
    use credwise::app::OpenRequest;
    let mut app = loaded_app();
    app.recent_snapshots = vec![
        "~/tenants/contoso.json".into(),
        "~/tenants/fabrikam.json".into(),
        "/srv/backups/woodgrove.json".into(),
    ];
    let line = |app: &mut App, text: &str| {
        cmd(app, Command::CommandLine);
        type_text(app, text);
        cmd(app, Command::Submit)
    };
    // `:open` alone lists them, numbered, newest first.
    assert!(line(&mut app, "open").is_empty());
    let status = app.status.clone().unwrap();
    assert!(!status.is_error);
    assert!(
        status.text.contains("1 ~/tenants/contoso.json")
            && status.text.contains("3 /srv/backups/woodgrove.json")
            && status.text.contains(":open N"),
        "{status:?}"
    );
    // `:open 2` opens the second; a number past the list is a file name.
    assert_eq!(
        line(&mut app, "open 2"),
        vec![Effect::Open(OpenRequest::Snapshot(
            "~/tenants/fabrikam.json".into()
        ))]
    );
    assert_eq!(
        line(&mut app, "open 4"),
        vec![Effect::Open(OpenRequest::Snapshot("4".into()))]
    );
    // Tab after `:open `: the newest; after a prefix, the one it starts.
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "open ");
    cmd(&mut app, Command::Complete);
    assert_eq!(app.command.value(), "open ~/tenants/contoso.json");
    cmd(&mut app, Command::Cancel);
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "o /srv");
    cmd(&mut app, Command::Complete);
    assert_eq!(app.command.value(), "o /srv/backups/woodgrove.json");
    cmd(&mut app, Command::Cancel);
    // Once a requested file opens, it goes first.
    line(&mut app, "open 3");
    update(
        &mut app,
        Msg::SourceOpened("snapshot woodgrove.json".into()),
    );
    assert_eq!(
        app.recent_snapshots,
        [
            "/srv/backups/woodgrove.json",
            "~/tenants/contoso.json",
            "~/tenants/fabrikam.json"
        ]
    );
}

#[test]
fn the_sign_in_screen_offers_the_snapshots_used_lately() {
    let mut app = App::new("live", false, NOW);
    app.recent_snapshots = vec!["~/tenants/contoso.json".into()];
    update(
        &mut app,
        Msg::SignInNeeded(Box::new(common::sign_in_failure())),
    );
    let screen = common::screen(&common::render(&app, &mut common::ui(), 120, 40));
    assert!(
        screen.contains(":open 1  ~/tenants/contoso.json"),
        "{screen}"
    );
}

#[test]
fn a_failed_sign_in_over_a_tenant_on_screen_keeps_the_tenant() {
    let mut app = loaded_app();
    update(
        &mut app,
        Msg::SignInNeeded(Box::new(common::sign_in_failure())),
    );
    assert!(app.sign_in_needed().is_none());
    assert!(app.dir.is_some());
    let status = app.status.clone().unwrap();
    assert!(
        status.is_error && status.text.contains("not signed in"),
        "{status:?}"
    );
}

#[test]
fn opening_another_source_forgets_the_old_tenant_and_keeps_the_settings() {
    let mut app = loaded_app();
    app.sort = SortKey::Expiry;
    app.decision_table = Some(std::sync::Arc::new(
        credwise::app::wizard::decision_table().unwrap(),
    ));
    filter(&mut app, "payroll");
    update(&mut app, Msg::SourceOpened("snapshot contoso.json".into()));
    assert_eq!(app.source, "snapshot contoso.json");
    assert!(app.dir.is_none() && app.report.is_none() && app.visible.is_empty());
    assert_eq!(app.filter.value(), "");
    assert_eq!(app.load, LoadState::Loading(None));
    assert_eq!(app.sort, SortKey::Expiry);
    assert!(app.decision_table.is_some(), "the wizard still works");
}

/// The title's freshness follows the app's clock: the cache's age while the live load runs,
/// the load's age after it (moving on with `Msg::Tick`), a delta refresh with the Azure part's
/// older age; nothing for the demo, whose dates are today's.
#[test]
fn the_title_says_how_fresh_the_tenant_is() {
    use credwise::app::msg::Refresh;
    use time::Duration;
    let live = |captured: credwise::domain::Timestamp| {
        let mut s = credwise::backend::demo::snapshot(NOW);
        s.source = credwise::domain::SnapshotSource::Live;
        s.captured_at = captured;
        Box::new(credwise::domain::Directory::new(s))
    };
    let loaded = |dir, cached_at, refresh| Msg::TenantLoaded {
        dir,
        audit: None,
        warnings: vec![],
        cached_at,
        refresh,
    };
    let mut app = App::new("live", false, NOW);
    assert_eq!(app.freshness(), None, "nothing on screen yet");
    let two_h = NOW - Duration::hours(2);
    update(&mut app, loaded(live(two_h), Some(two_h), None));
    assert_eq!(app.freshness(), Some(("from cache, 2h old".into(), true)));

    update(
        &mut app,
        loaded(live(NOW - Duration::minutes(3)), None, None),
    );
    assert_eq!(app.freshness(), Some(("as of 3m ago".into(), false)));
    update(&mut app, Msg::Tick(NOW + Duration::minutes(10)));
    assert_eq!(app.freshness(), Some(("as of 13m ago".into(), false)));

    let delta = Refresh {
        full: false,
        added: 0,
        changed: 1,
        removed: 0,
        azure_at: Some(NOW - Duration::minutes(3)),
    };
    update(
        &mut app,
        loaded(live(NOW + Duration::minutes(10)), None, Some(delta.clone())),
    );
    assert_eq!(
        app.freshness(),
        Some(("refreshed just now · Azure as of 13m ago".into(), false))
    );
    // A refresh that read everything is as fresh as a load, Azure included.
    let full = Refresh {
        full: true,
        ..delta
    };
    update(
        &mut app,
        loaded(live(NOW + Duration::minutes(10)), None, Some(full)),
    );
    update(&mut app, Msg::Tick(NOW + Duration::minutes(15)));
    assert_eq!(app.freshness(), Some(("as of 5m ago".into(), false)));

    update(&mut app, tenant_loaded(None));
    assert_eq!(app.freshness(), None, "the demo's dates are today's");
}
