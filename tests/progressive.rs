//! Progressive loading (issue #13, item 4) and the sweep after `r` (item 5): a first load
//! without a cached tenant shows the identities as they arrive — listed, filterable, with
//! details that say the Azure part is still loading and migrations refused until the tenant
//! is whole —; the whole tenant replaces the partial one keeping the selection and the
//! filter; a cached tenant is never replaced by a partial one. As messages into `update`,
//! and through the runtime against the Graph/ARM emulator.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{NOW, render, screen, type_text, ui};
use credwise::app::{App, Command, LoadState, Mode, Msg, NavItem, Ready, update};
use credwise::backend::demo;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::{Backend, ProgressEvent};
use credwise::domain::audit::overview::overview;
use credwise::domain::audit::{AuditOptions, audit};
use credwise::domain::{Directory, FederatedIdentityCredential, IdentityKind, TenantSnapshot};
use credwise::jobs::load::Source;
use credwise::runtime::{Runtime, Source as RuntimeSource};
use credwise::store::cache::CacheSlot;
use credwise::store::journal::SourceRecord;
use credwise_test_kit::emulator::{self, Emulator, Fault, Matcher};
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use tokio::sync::mpsc::UnboundedReceiver;

fn cmd(app: &mut App, c: Command) {
    update(app, Msg::Command(c));
}

/// The first `apps` applications and `sps` service principals of `s`, as a partial tenant:
/// what the first pages of a load bring (Graph only).
fn partial(s: &TenantSnapshot, apps: usize, sps: usize) -> Msg {
    let mut t = TenantSnapshot::empty("", NOW);
    t.applications = s.applications[..apps].to_vec();
    t.service_principals = s.service_principals[..sps].to_vec();
    let mut r = Ready::new(Directory::new(t), None, vec![]);
    r.partial = true;
    Msg::TenantReady(Box::new(r))
}

/// `s` whole, audited, as the load's last word.
fn whole(s: &TenantSnapshot) -> Msg {
    let dir = Directory::new(s.clone());
    let report = audit(&dir, &AuditOptions::new(NOW), &[]);
    let o = overview(&dir, &report, NOW);
    Msg::TenantLoaded {
        dir: Box::new(dir),
        audit: Some(Box::new((report, o))),
        warnings: vec![],
        cached_at: None,
        refresh: None,
    }
}

fn selected_id(app: &App) -> String {
    let dir = app.dir.as_ref().unwrap();
    dir.id_of(dir.entry(app.selected_entry().unwrap()))
        .to_string()
}

fn names(app: &App) -> Vec<String> {
    let dir = app.dir.as_ref().unwrap();
    app.visible
        .iter()
        .map(|&i| dir.display_name_of(dir.entry(i)).to_string())
        .collect()
}

/// Selects the first listed application that holds a client secret (one a migration can
/// start from).
fn select_app_with_secret(app: &mut App) {
    let dir = app.dir.clone().unwrap();
    app.selected = app
        .visible
        .iter()
        .position(|&i| {
            let e = dir.entry(i);
            e.kind == IdentityKind::Application
                && e.count(credwise::domain::CredentialType::Secret) > 0
        })
        .unwrap();
}

#[test]
fn a_partial_tenant_is_listed_and_filterable_with_no_findings_yet() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    update(&mut app, partial(&s, 10, 12));
    assert!(app.partial);
    assert!(matches!(app.load, LoadState::Loading(_)), "{:?}", app.load);
    assert_eq!(app.nav_item(), NavItem::All, "the list, not the dashboard");
    assert_eq!(app.visible.len(), 22);
    assert_eq!(app.nav_count(NavItem::All), 22);
    assert!(app.report.is_none(), "no audit of a partial tenant");
    assert!(
        app.status.as_ref().unwrap().text.contains("as they arrive"),
        "{:?}",
        app.status
    );
    assert_eq!(
        app.freshness(),
        Some(("partial, still loading".to_string(), true))
    );
    // The filter works on what has arrived.
    let first = s.applications[0].display_name.clone();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, &first);
    cmd(&mut app, Command::Submit);
    assert!(!app.visible.is_empty());
    assert!(
        names(&app).iter().all(|n| n.contains(&first)),
        "{:?}",
        names(&app)
    );
    assert!(app.visible.len() < 22);
}

#[test]
fn the_details_of_a_partial_identity_say_its_azure_side_is_still_loading() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    update(&mut app, partial(&s, 20, 20));
    cmd(&mut app, Command::Open);
    let mut ui = ui();
    let t = render(&app, &mut ui, 120, 40);
    let text = screen(&t);
    assert!(text.contains("Azure        still loading"), "{text}");
    assert!(text.contains("not read yet"), "{text}");
    assert!(
        !text.contains("Findings ("),
        "no findings before the audit: {text}"
    );

    // The whole tenant: the note goes.
    update(&mut app, whole(&s));
    let t = render(&app, &mut ui, 120, 40);
    assert!(!screen(&t).contains("still loading"));
}

/// The cached tenant as the runtime sends it first: indexed, its audit still running.
fn cached_unaudited(dir: &Arc<Directory>, at: credwise::domain::Timestamp) -> Msg {
    let mut r = Ready::shared(dir.clone(), None, None, vec![]);
    r.cached_at = Some(at);
    r.audit_pending = true;
    Msg::TenantReady(Box::new(r))
}

/// The same cached tenant with its audit.
fn cached_audited(dir: &Arc<Directory>, at: credwise::domain::Timestamp) -> Msg {
    let report = audit(dir, &AuditOptions::new(NOW), &[]);
    let o = overview(dir, &report, NOW);
    let mut r = Ready::shared(dir.clone(), None, Some((report, o)), vec![]);
    r.cached_at = Some(at);
    Msg::TenantReady(Box::new(r))
}

#[test]
fn the_cached_tenant_is_listed_before_its_audit_and_never_shows_no_findings() {
    let s = demo::snapshot(NOW);
    let dir = Arc::new(Directory::new(s.clone()));
    let at = NOW - time::Duration::hours(3);
    let mut app = App::new("live", false, NOW);
    let mut ui = ui();
    update(&mut app, cached_unaudited(&dir, at));
    // Listed and filterable at once, shown as the cache, with no audit yet.
    assert!(app.audit_pending && !app.partial);
    assert_eq!(
        app.nav_item(),
        NavItem::All,
        "the list, not an empty dashboard"
    );
    assert_eq!(app.visible.len(), demo_len(&s));
    assert!(app.report.is_none() && app.overview.is_none());
    assert_eq!(
        app.freshness(),
        Some(("from cache, 3h old".to_string(), true))
    );
    let status = app.status.as_ref().unwrap().text.clone();
    assert!(status.contains("auditing"), "{status}");
    // The details and the findings say the audit runs: never "none".
    cmd(&mut app, Command::Open);
    let text = screen(&render(&app, &mut ui, 120, 40));
    assert!(text.contains("the audit is running"), "{text}");
    assert!(!text.contains("Findings ("), "{text}");
    update(&mut app, Msg::ClickNav(App::nav_index(NavItem::Findings)));
    let text = screen(&render(&app, &mut ui, 120, 40));
    assert!(
        text.contains("audit of the cached tenant is running"),
        "{text}"
    );
    assert!(!text.contains("No findings"), "{text}");
    update(&mut app, Msg::ClickNav(App::nav_index(NavItem::Dashboard)));
    let text = screen(&render(&app, &mut ui, 120, 40));
    assert!(text.contains("Auditing the cached tenant"), "{text}");
    // A partial tenant does not replace it.
    update(&mut app, partial(&s, 2, 2));
    assert!(Arc::ptr_eq(app.dir.as_ref().unwrap(), &dir) && !app.partial);

    // A filter and a selection, then the audited copy: same place, now with findings.
    update(&mut app, Msg::ClickNav(App::nav_index(NavItem::All)));
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "a");
    cmd(&mut app, Command::Submit);
    app.selected = app.visible.len() / 2;
    let chosen = selected_id(&app);
    let listed = app.visible.len();
    update(&mut app, cached_audited(&dir, at));
    assert!(!app.audit_pending);
    assert!(app.report.is_some() && app.overview.is_some());
    assert_eq!(app.nav_item(), NavItem::All);
    assert_eq!(app.filter.value(), "a");
    assert_eq!(app.visible.len(), listed);
    assert_eq!(selected_id(&app), chosen);
    assert_eq!(
        app.freshness(),
        Some(("from cache, 3h old".to_string(), true))
    );
    assert!(
        matches!(app.load, LoadState::Loading(_)),
        "the live load goes on"
    );
    update(&mut app, Msg::ClickNav(App::nav_index(NavItem::Findings)));
    let text = screen(&render(&app, &mut ui, 120, 40));
    assert!(
        !text.contains("audit of the cached tenant is running"),
        "{text}"
    );

    // The fresh tenant replaces it as before.
    update(&mut app, whole(&s));
    assert_eq!(app.cached_at, None);
    assert!(!app.audit_pending);
    assert_eq!(app.load, LoadState::Loaded);
}

#[test]
fn a_migration_is_refused_until_the_tenant_is_complete() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    update(&mut app, partial(&s, s.applications.len(), 0));
    select_app_with_secret(&mut app);
    cmd(&mut app, Command::Migrate);
    assert_eq!(app.mode, Mode::Normal, "no migration from a partial tenant");
    assert!(app.migration.is_none());
    let status = app.status.clone().unwrap();
    assert!(status.is_error);
    assert!(
        status.text.contains("still loading") && status.text.contains("complete"),
        "{status:?}"
    );

    // Whole: the same identity migrates.
    update(&mut app, whole(&s));
    select_app_with_secret(&mut app);
    cmd(&mut app, Command::Migrate);
    assert_eq!(app.mode, Mode::Migrate, "{:?}", app.status);
}

#[test]
fn the_selection_the_filter_and_the_details_survive_partial_swaps() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    update(&mut app, partial(&s, 10, 10));
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "a");
    cmd(&mut app, Command::Submit);
    cmd(&mut app, Command::SelectNext);
    cmd(&mut app, Command::SelectNext);
    cmd(&mut app, Command::Open);
    update(&mut app, Msg::Scroll(credwise::app::Pane::Details, 3));
    let chosen = selected_id(&app);
    let before = app.visible.len();

    update(&mut app, partial(&s, 30, 40));
    assert_eq!(app.filter.value(), "a");
    assert_eq!(
        selected_id(&app),
        chosen,
        "the same identity stays selected"
    );
    assert_eq!(app.details_scroll, 3, "the details stay where they were");
    assert_eq!(app.focus, credwise::app::Pane::Details);
    assert!(app.visible.len() > before, "more identities match now");
    // The filter still applies: the list is what typing it over this tenant gives.
    let mut fresh = App::new("check", false, NOW);
    update(&mut fresh, partial(&s, 30, 40));
    cmd(&mut fresh, Command::Filter);
    type_text(&mut fresh, "a");
    cmd(&mut fresh, Command::Submit);
    assert_eq!(names(&app), names(&fresh));

    // The whole tenant replaces the partial one, keeping the selection and the filter, and
    // does not take the user to the dashboard.
    update(&mut app, whole(&s));
    assert!(!app.partial);
    assert_eq!(app.load, LoadState::Loaded);
    assert!(app.report.is_some(), "audited once whole");
    assert_eq!(app.nav_item(), NavItem::All);
    assert_eq!(app.filter.value(), "a");
    assert_eq!(selected_id(&app), chosen);
    assert_eq!(app.dir.as_ref().unwrap().len(), demo_len(&s));
    assert!(
        !app.freshness().is_some_and(|f| f.0.starts_with("partial")),
        "not partial any more"
    );
}

fn demo_len(s: &TenantSnapshot) -> usize {
    Directory::new(s.clone()).len()
}

#[test]
fn a_partial_tenant_never_replaces_a_cached_or_whole_one() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    let mut cached = Ready::new(Directory::new(s.clone()), None, vec![]);
    cached.cached_at = Some(NOW - time::Duration::hours(2));
    update(&mut app, Msg::TenantReady(Box::new(cached)));
    let n = app.dir.as_ref().unwrap().len();
    update(&mut app, partial(&s, 3, 3));
    assert_eq!(app.dir.as_ref().unwrap().len(), n, "the cache stays");
    assert!(!app.partial);
    assert!(app.cached_at.is_some());
    update(&mut app, whole(&s));
    update(&mut app, partial(&s, 3, 3));
    assert_eq!(app.dir.as_ref().unwrap().len(), n, "the whole tenant stays");
    assert!(!app.partial);
}

#[test]
fn a_failed_load_keeps_the_partial_tenant_and_says_it_is_partial() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    update(&mut app, partial(&s, 10, 10));
    update(
        &mut app,
        Msg::LoadFailed("network: connection reset".into()),
    );
    assert!(app.partial);
    assert_eq!(app.dir.as_ref().unwrap().len(), 20, "nothing read is lost");
    let status = app.status.clone().unwrap();
    assert!(status.is_error);
    assert!(
        status.text.contains("network: connection reset")
            && status.text.contains("20 identities read before it stopped")
            && status.text.contains("partial"),
        "{status:?}"
    );
    assert_eq!(
        app.freshness(),
        Some(("partial: the load stopped".to_string(), true))
    );
    select_app_with_secret(&mut app);
    cmd(&mut app, Command::Migrate);
    assert!(app.migration.is_none());
    assert!(
        app.status.as_ref().unwrap().text.contains("partial"),
        "{:?}",
        app.status
    );
    let mut ui = ui();
    cmd(&mut app, Command::Open);
    let t = render(&app, &mut ui, 120, 40);
    assert!(
        screen(&t).contains("not loaded: the load stopped"),
        "{}",
        screen(&t)
    );
}

/// A view prepared off the UI thread for what the app showed then is the view `update` would
/// have worked out; when the user changed the view meanwhile, the stale one is not used.
#[test]
fn a_prepared_view_fits_the_app_or_is_worked_out_again() {
    let s = demo::snapshot(NOW);
    let base = || {
        let mut app = App::new("live", false, NOW);
        update(&mut app, partial(&s, 10, 10));
        app
    };
    let ready = |key: &credwise::app::ViewKey| {
        let mut t = TenantSnapshot::empty("", NOW);
        t.applications = s.applications[..40].to_vec();
        t.service_principals = s.service_principals[..40].to_vec();
        let mut r = Ready::new(Directory::new(t), None, vec![]);
        r.partial = true;
        r.prepare(key);
        Msg::TenantReady(Box::new(r))
    };
    // Prepared for the app as it is.
    let mut a = base();
    let key = a.view_key();
    update(&mut a, ready(&key));
    let mut b = base();
    update(&mut b, partial(&s, 40, 40));
    assert_eq!(a.visible, b.visible);
    assert_eq!(a.nav_counts, b.nav_counts);

    // Prepared before the user typed a filter and sorted by kind: worked out again.
    let mut a = base();
    let stale = a.view_key();
    cmd(&mut a, Command::Filter);
    type_text(&mut a, "sp");
    cmd(&mut a, Command::Submit);
    cmd(&mut a, Command::CycleSort);
    update(&mut a, ready(&stale));
    let mut b = base();
    cmd(&mut b, Command::Filter);
    type_text(&mut b, "sp");
    cmd(&mut b, Command::Submit);
    cmd(&mut b, Command::CycleSort);
    update(&mut b, partial(&s, 40, 40));
    assert_eq!(
        a.visible, b.visible,
        "the filter and sort of now, not of then"
    );
    assert!(!a.visible.is_empty());
}

#[test]
fn the_title_shows_each_phase_of_the_load() {
    let s = demo::snapshot(NOW);
    let mut app = App::new("live", false, NOW);
    update(&mut app, partial(&s, 20, 20));
    for (stage, done, total) in [
        ("applications", 20, Some(45)),
        ("service principals", 20, Some(74)),
        ("federated credentials", 12, Some(45)),
        ("subscriptions", 2, Some(2)),
        ("role assignments", 1, Some(2)),
    ] {
        update(
            &mut app,
            Msg::LoadProgress(ProgressEvent {
                stage: stage.into(),
                done,
                total,
            }),
        );
    }
    let mut ui = ui();
    let t = render(&app, &mut ui, 200, 24);
    let title = screen(&t).lines().next().unwrap().to_string();
    assert!(
        title.contains("partial, still loading")
            && title.contains("credwise live · 40 identities")
            && title.contains(
                "applications 44% · service principals 27% · federated credentials 26% · Azure: role assignments 50%"
            ),
        "{title}"
    );
    // The partial state at a glance: list, title and details.
    cmd(&mut app, Command::Open);
    let t = render(&app, &mut ui, 120, 40);
    insta::assert_snapshot!("partial_explorer_120x40", t.backend());
    cmd(&mut app, Command::FocusLeft);
    cmd(&mut app, Command::FocusLeft);
    let findings = App::nav_index(NavItem::Findings);
    update(&mut app, Msg::ClickNav(findings));
    let t = render(&app, &mut ui, 80, 24);
    insta::assert_snapshot!("partial_findings_80x24", t.backend());
}

// Through the runtime, against the emulator.

fn live(emu: &Emulator, page: u32, arm: bool) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        include_arm: arm,
        graph_page_size: page,
        retry: RetrySettings {
            max_retries: 2,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(2),
            try_timeout: Duration::from_secs(10),
            ..RetrySettings::default()
        },
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

fn paged_tenant() -> TenantSnapshot {
    generate_tenant(
        &TenantSpec {
            applications: 300,
            service_principals: 600,
            credentials: 600,
            seed: 13,
        },
        NOW,
    )
}

fn runtime(backend: LiveBackend, cache: Option<CacheSlot>) -> (Runtime, UnboundedReceiver<Msg>) {
    let source = RuntimeSource {
        tenant: Source {
            backend: Arc::new(backend),
            cache,
        },
        record: SourceRecord::live("emulator", None, "public"),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (
        Runtime::new(Some(source), vec![], tx, false, Box::new(|_| Ok(())), None),
        rx,
    )
}

/// The next message, applied as the event loop does; what it was, in short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Partial(usize),
    /// The cached tenant before its audit.
    CachedUnaudited,
    Cached,
    Whole,
    Swept,
    Failed,
    SweepFailed,
    Other,
}

async fn step(app: &mut App, rt: &mut Runtime, rx: &mut UnboundedReceiver<Msg>) -> Seen {
    // A generous bound: only a hang should reach it, on a loaded machine.
    let msg = tokio::time::timeout(Duration::from_secs(120), rx.recv())
        .await
        .expect("the runtime answers")
        .expect("the runtime is alive");
    let seen = match &msg {
        Msg::TenantReady(r) if r.partial => Seen::Partial(r.dir.len()),
        Msg::TenantReady(r) if r.audit_pending => Seen::CachedUnaudited,
        Msg::TenantReady(r) if r.cached_at.is_some() => Seen::Cached,
        Msg::TenantReady(r) if r.swept.is_some() => Seen::Swept,
        Msg::TenantReady(_) => Seen::Whole,
        Msg::LoadFailed(_) => Seen::Failed,
        Msg::SweepFailed(_) => Seen::SweepFailed,
        _ => Seen::Other,
    };
    for e in update(app, msg) {
        rt.execute(e, app);
    }
    rt.retire(app.take_retired());
    rt.observe(app);
    seen
}

async fn until(
    app: &mut App,
    rt: &mut Runtime,
    rx: &mut UnboundedReceiver<Msg>,
    wanted: impl Fn(Seen) -> bool,
) -> Vec<Seen> {
    let mut seen = Vec::new();
    loop {
        let s = step(app, rt, rx).await;
        seen.push(s);
        if wanted(s) {
            return seen;
        }
        assert!(!matches!(s, Seen::Failed), "{:?}", app.status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_load_without_cache_streams_partial_tenants_before_the_whole_one() {
    let t = paged_tenant();
    let emu = Emulator::start_with(
        t.clone(),
        emulator::Options {
            latency: Duration::from_millis(25),
            ..emulator::Options::default()
        },
    )
    .await;
    let (mut rt, mut rx) = runtime(live(&emu, 20, false), None);
    let mut app = App::new("live", false, NOW);
    rt.start(&app);
    // The first partial tenant, then a filter typed while the rest streams in.
    let seen = until(&mut app, &mut rt, &mut rx, |s| {
        matches!(s, Seen::Partial(_))
    })
    .await;
    assert!(!seen.contains(&Seen::Whole), "{seen:?}");
    assert!(app.partial && app.report.is_none());
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "1");
    cmd(&mut app, Command::Submit);
    rt.observe(&app);
    let seen = until(&mut app, &mut rt, &mut rx, |s| s == Seen::Whole).await;
    let sizes: Vec<usize> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Partial(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert!(
        !sizes.is_empty(),
        "partial tenants came before the whole one: {seen:?}"
    );
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    let whole = app.dir.as_ref().unwrap().len();
    assert_eq!(whole, 900);
    assert!(sizes[0] < whole, "{sizes:?}");
    assert!(!app.partial);
    assert_eq!(app.load, LoadState::Loaded);
    assert!(app.report.is_some());
    assert_eq!(app.filter.value(), "1", "the filter outlived every swap");
    let dir = app.dir.clone().unwrap();
    let mut expected = App::new("check", false, NOW);
    update(&mut expected, whole_of(&dir));
    cmd(&mut expected, Command::Filter);
    type_text(&mut expected, "1");
    cmd(&mut expected, Command::Submit);
    update(&mut expected, Msg::ClickNav(App::nav_index(NavItem::All)));
    assert_eq!(app.visible.len(), expected.visible.len());
    // Nothing partial after the whole tenant.
    rt.shutdown();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        assert!(
            !matches!(&m, Msg::TenantReady(r) if r.partial),
            "a partial tenant after the whole one"
        );
    }
}

fn whole_of(dir: &Directory) -> Msg {
    whole(dir.snapshot())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_stream_stops_the_crawl_and_keeps_the_partial_tenant_marked_partial() {
    let emu = Emulator::start_with(
        paged_tenant(),
        emulator::Options {
            latency: Duration::from_millis(40),
            ..emulator::Options::default()
        },
    )
    .await;
    let (mut rt, mut rx) = runtime(live(&emu, 10, false), None);
    let mut app = App::new("live", false, NOW);
    rt.start(&app);
    until(&mut app, &mut rt, &mut rx, |s| {
        matches!(s, Seen::Partial(_))
    })
    .await;
    let shown = app.dir.as_ref().unwrap().len();
    rt.shutdown();
    // In-flight requests end; then nothing more is asked.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = emu.requests().len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(emu.requests().len(), asked, "the crawl stopped");
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
        assert!(
            !matches!(m, Msg::TenantReady(_) | Msg::TenantLoaded { .. }),
            "no tenant after the load was cancelled"
        );
    }
    assert!(app.partial, "what arrived stays, marked partial");
    assert_eq!(app.dir.as_ref().unwrap().len(), shown);
    assert_eq!(app.freshness().map(|f| f.1), Some(true));
    select_first_app_with_secret_or_skip(&mut app);
    cmd(&mut app, Command::Migrate);
    assert!(
        app.migration.is_none(),
        "no migration from a partial tenant"
    );
}

fn select_first_app_with_secret_or_skip(app: &mut App) {
    let dir = app.dir.clone().unwrap();
    if let Some(i) = app
        .visible
        .iter()
        .position(|&i| dir.entry(i).count(credwise::domain::CredentialType::Secret) > 0)
    {
        app.selected = i;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_tenant_shows_first_and_no_partial_tenant_replaces_it() {
    let t = paged_tenant();
    let emu = Emulator::start_with(
        t.clone(),
        emulator::Options {
            latency: Duration::from_millis(10),
            ..emulator::Options::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "emulator"]);
    let mut old = t.clone();
    old.applications.truncate(100);
    old.captured_at = NOW - time::Duration::hours(5);
    slot.write(&old).unwrap();
    let (mut rt, mut rx) = runtime(live(&emu, 20, false), Some(slot));
    let mut app = App::new("live", false, NOW);
    rt.start(&app);
    let seen = until(&mut app, &mut rt, &mut rx, |s| s == Seen::Whole).await;
    let tenants: Vec<Seen> = seen
        .into_iter()
        .filter(|s| !matches!(s, Seen::Other))
        .collect();
    assert_eq!(
        tenants,
        vec![Seen::CachedUnaudited, Seen::Cached, Seen::Whole]
    );
    assert_eq!(app.dir.as_ref().unwrap().len(), 900);
    rt.shutdown();
}

fn fic(name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: Some(uuid::Uuid::new_v4().to_string()),
        name: name.into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some(format!("repo:contoso/{name}:ref:refs/heads/main")),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

fn small_tenant() -> TenantSnapshot {
    generate_tenant(
        &TenantSpec {
            applications: 60,
            service_principals: 120,
            credentials: 150,
            seed: 5,
        },
        NOW,
    )
}

/// A loaded explorer with a cache whose delta links are kept: what `r` refreshes from.
async fn loaded_with_cache(
    emu: &Emulator,
    slot: &CacheSlot,
) -> (App, Runtime, UnboundedReceiver<Msg>) {
    let (mut rt, mut rx) = runtime(live(emu, 999, false), Some(slot.clone()));
    let mut app = App::new("live", false, NOW);
    rt.start(&app);
    until(&mut app, &mut rt, &mut rx, |s| s == Seen::Whole).await;
    // The explorer remembers the tenant after it shows it (a bound only a hang reaches).
    for _ in 0..3000 {
        if slot.read_sync().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(slot.read_sync().is_some(), "the delta links were kept");
    (app, rt, rx)
}

fn fic_names(app: &App, app_id: &str) -> Vec<String> {
    let dir = app.dir.as_ref().unwrap();
    dir.snapshot()
        .applications
        .iter()
        .find(|a| a.id == app_id)
        .unwrap()
        .federated_identity_credentials
        .iter()
        .map(|f| f.name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_after_r_brings_a_federated_credential_delta_cannot_see() {
    let emu = Emulator::start(small_tenant()).await;
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "emulator"]);
    let (mut app, mut rt, mut rx) = loaded_with_cache(&emu, &slot).await;
    let quiet = emu.snapshot().applications[1].id.clone();
    // A FIC on an application nothing else changes: delta does not report it.
    emu.mutate(|t| {
        t.applications[1]
            .federated_identity_credentials
            .push(fic("seen-by-the-sweep"))
    });
    update(&mut app, Msg::Command(Command::Reload));
    rt.execute(credwise::app::Effect::Refresh, &app);
    until(&mut app, &mut rt, &mut rx, |s| s == Seen::Whole).await;
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "refreshed: nothing changed"
    );
    assert!(app.sweeping, "the sweep runs after the refresh");
    assert!(!fic_names(&app, &quiet).contains(&"seen-by-the-sweep".to_string()));
    let azure_before = app.refreshed.as_ref().unwrap().azure_at;

    until(&mut app, &mut rt, &mut rx, |s| s == Seen::Swept).await;
    assert!(!app.sweeping);
    assert!(fic_names(&app, &quiet).contains(&"seen-by-the-sweep".to_string()));
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "sweep: federated credentials of 1 application changed"
    );
    let r = app.refreshed.clone().unwrap();
    assert!(!r.full);
    assert!(r.azure_at.is_some() && r.azure_at >= azure_before);
    // Remembered like the refresh: the next start shows it.
    let cached = slot.read().unwrap().unwrap();
    let app_fics = &cached
        .applications
        .iter()
        .find(|a| a.id == quiet)
        .unwrap()
        .federated_identity_credentials;
    assert!(app_fics.iter().any(|f| f.name == "seen-by-the-sweep"));
    rt.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sweep_is_a_warning_and_the_refreshed_tenant_stays() {
    let emu = Emulator::start(small_tenant()).await;
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "emulator"]);
    let (mut app, mut rt, mut rx) = loaded_with_cache(&emu, &slot).await;
    let n = app.dir.as_ref().unwrap().len();
    // The beta list of federated credentials fails: only the sweep reads it.
    emu.inject(
        Fault::graph_status(
            Matcher::path("/beta/applications"),
            500,
            "generalException",
            "the sweep's read fails",
        )
        .always(),
    );
    update(&mut app, Msg::Command(Command::Reload));
    rt.execute(credwise::app::Effect::Refresh, &app);
    until(&mut app, &mut rt, &mut rx, |s| s == Seen::Whole).await;
    let seen = until(&mut app, &mut rt, &mut rx, |s| {
        matches!(s, Seen::SweepFailed | Seen::Swept)
    })
    .await;
    assert_eq!(seen.last(), Some(&Seen::SweepFailed));
    assert!(!app.sweeping);
    assert_eq!(app.load, LoadState::Loaded, "a warning, not a failed load");
    assert_eq!(app.dir.as_ref().unwrap().len(), n, "the tenant stays");
    let status = app.status.clone().unwrap();
    assert!(
        status.is_error
            && status.text.starts_with("sweep failed:")
            && status.text.contains("the refreshed tenant stays"),
        "{status:?}"
    );
    rt.shutdown();
}

/// The live backend never holds an async thread for the O(tenant) steps at the end of a load
/// (joining the lists, the federated credentials, the Azure part, duplicates, the room lists
/// give back): on a runtime with one thread, a task that ticks every 2 ms keeps ticking while
/// a tenant of 36,000 identities (Graph) is assembled. From the emulator's last answer on,
/// only the last page (100 objects) is left to read: the longest wait between two ticks
/// there is the assembly's hold on the thread (230–320 ms in a debug build when it ran
/// there; under 10 ms now). The emulator runs on threads of its own.
#[test]
fn the_live_load_assembles_the_tenant_off_the_async_threads() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let t = generate_tenant(
        &TenantSpec {
            applications: 12_000,
            service_principals: 24_000,
            credentials: 24_000,
            seed: 21,
        },
        NOW,
    );
    let emu = server.block_on(Emulator::start_with(t, emulator::Options::default()));
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (gaps, total) = client.block_on(async {
        let backend = live(&emu, 100, false);
        let ticking = Arc::new(std::sync::Mutex::new(Vec::new()));
        let ticks = ticking.clone();
        let ticker = tokio::spawn(async move {
            let mut last = std::time::Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                let now = std::time::Instant::now();
                ticks.lock().unwrap().push((now - last, now));
                last = now;
            }
        });
        let started = std::time::Instant::now();
        let loaded = backend
            .load(
                &credwise::backend::Scope::default(),
                &credwise::backend::Progress::silent(),
            )
            .await
            .unwrap();
        let total = started.elapsed();
        // The ticker's next tick ends the wait that a hold just before the load returned
        // made.
        tokio::time::sleep(Duration::from_millis(10)).await;
        ticker.abort();
        assert_eq!(loaded.snapshot.applications.len(), 12_000);
        let gaps = ticking.lock().unwrap().clone();
        (gaps, total)
    });
    let last_answer = emu
        .requests()
        .iter()
        .filter_map(|r| r.finished)
        .max()
        .unwrap();
    let after = gaps
        .iter()
        .filter(|(_, at)| *at > last_answer)
        .map(|(gap, _)| *gap)
        .max()
        .unwrap_or_default();
    assert!(
        after < Duration::from_millis(80),
        "an async thread was held for {after:?} after the last answer (the load took {total:?})"
    );
}

/// The clock's minute on a tenant on screen: the runtime works the counts out off the UI
/// thread and answers with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_recounts_for_the_clock_off_the_ui_thread() {
    let mut app = common::loaded_app();
    let expired = app.nav_count(NavItem::Expired);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut rt = Runtime::new(None, vec![], tx, false, Box::new(|_| Ok(())), None);
    for e in update(&mut app, Msg::Tick(NOW + time::Duration::days(800))) {
        rt.execute(e, &app);
    }
    let msg = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the runtime answers")
        .expect("the runtime is alive");
    assert!(matches!(msg, Msg::Recounted(_)), "{msg:?}");
    assert!(update(&mut app, msg).is_empty());
    assert!(app.nav_count(NavItem::Expired) > expired);
}
