//! Incremental refresh (issue #13) against the emulator's delta queries: a refresh after
//! changes equals a full load of the changed tenant — changed objects merged (they come back
//! partial), new ones added, removed ones gone — at the cost of the changes only; the
//! federated credentials of changed applications are read again (delta does not track them)
//! and the rest come with the sweep; an expired or reset delta link makes the refresh a full
//! load; the sync state round-trips through the tenant cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::Duration;

use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::{Backend, Progress, Scope};
use credwise::domain::audit::AuditOptions;
use credwise::domain::{
    Application, FederatedIdentityCredential, PasswordCredential, ServicePrincipalType,
    TenantSnapshot, Timestamp,
};
use credwise::jobs::load::{self, Loading, Source};
use credwise::store::cache::CacheSlot;
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use emulator::Emulator;
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

fn backend(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        include_arm: false,
        retry: RetrySettings {
            max_retries: 4,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            max_total_wait: Duration::from_secs(3),
            try_timeout: Duration::from_secs(10),
            ..RetrySettings::default()
        },
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

fn tenant() -> TenantSnapshot {
    generate_tenant(
        &TenantSpec {
            applications: 120,
            service_principals: 260,
            credentials: 300,
            seed: 21,
        },
        NOW,
    )
}

/// The Graph part in a canonical order, for comparison.
fn graph_part(s: &TenantSnapshot) -> (Vec<Application>, Vec<credwise::domain::ServicePrincipal>) {
    let mut apps = s.applications.clone();
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    for a in &mut apps {
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
        a.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
    }
    let mut sps = s.service_principals.clone();
    sps.sort_by(|a, b| a.id.cmp(&b.id));
    (apps, sps)
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

#[tokio::test]
async fn a_refresh_merges_changed_partial_new_and_removed_objects_and_rereads_their_fics() {
    let emu = Emulator::start(tenant()).await;
    let b = backend(&emu);
    let first = b
        .load(&Scope::default(), &Progress::silent())
        .await
        .unwrap();
    let sync = b.sync_state().expect("a load takes delta links");

    // Changes: a renamed app that also gets a FIC, an app that loses its secrets, a new app
    // with a FIC, a deleted principal, a disabled one; and a FIC on an app nothing else
    // changes (delta cannot see it: the sweep brings it).
    let (renamed, emptied, unchanged, gone, disabled) = {
        let t = emu.snapshot();
        let with_secret = 3 + t.applications[3..]
            .iter()
            .position(|a| !a.password_credentials.is_empty())
            .unwrap();
        (
            t.applications[0].id.clone(),
            t.applications[with_secret].id.clone(),
            t.applications[1].id.clone(),
            t.service_principals[3].id.clone(),
            t.service_principals[4].id.clone(),
        )
    };
    let added = Application {
        id: "aaaaaaaa-0000-4000-8000-000000000001".into(),
        app_id: "aaaaaaaa-0000-4000-8000-000000000002".into(),
        display_name: "new-app".into(),
        sign_in_audience: Some("AzureADMyOrg".into()),
        publisher_domain: None,
        created_date_time: Some(NOW),
        password_credentials: vec![PasswordCredential {
            key_id: "aaaaaaaa-0000-4000-8000-000000000003".into(),
            display_name: Some("ci".into()),
            hint: Some("abc".into()),
            start_date_time: Some(NOW),
            end_date_time: Some(NOW + time::Duration::days(90)),
        }],
        key_credentials: vec![],
        federated_identity_credentials: vec![fic("new-app-deploy")],
        odata_type: None,
    };
    emu.mutate(|t| {
        let a = t.applications.iter_mut().find(|a| a.id == renamed).unwrap();
        a.display_name = "renamed by someone".into();
        a.federated_identity_credentials
            .push(fic("added-with-rename"));
        let e = t.applications.iter_mut().find(|a| a.id == emptied).unwrap();
        e.password_credentials.clear();
        let u = t
            .applications
            .iter_mut()
            .find(|a| a.id == unchanged)
            .unwrap();
        u.federated_identity_credentials
            .push(fic("invisible-to-delta"));
        t.applications.push(added.clone());
        t.service_principals.retain(|s| s.id != gone);
        let d = t
            .service_principals
            .iter_mut()
            .find(|s| s.id == disabled)
            .unwrap();
        d.account_enabled = Some(false);
    });
    emu.clear_requests();

    let r = b
        .refresh(
            (*first.snapshot).clone(),
            Some(&sync),
            &Scope::default(),
            &Progress::silent(),
        )
        .await
        .unwrap();
    assert!(!r.full);
    assert!(r.loaded.warnings.is_empty(), "{:?}", r.loaded.warnings);
    let ids = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let mut changed_apps = vec![renamed.clone(), emptied.clone()];
    changed_apps.sort();
    assert_eq!(ids(&r.applications.changed), changed_apps);
    assert_eq!(r.applications.added, vec![added.id.clone()]);
    assert!(r.applications.removed.is_empty());
    assert_eq!(r.service_principals.removed, vec![gone.clone()]);
    assert_eq!(r.service_principals.changed, vec![disabled.clone()]);
    assert_eq!(r.fics_reread, 3);

    // Partial objects merged: everything equals the changed tenant but the one FIC that
    // delta cannot see.
    let mut want = emu.snapshot();
    want.applications
        .iter_mut()
        .find(|a| a.id == unchanged)
        .unwrap()
        .federated_identity_credentials
        .retain(|f| f.name != "invisible-to-delta");
    assert_eq!(graph_part(&r.loaded.snapshot), graph_part(&want));

    // The cost of the changes only: two delta rounds and one `$batch` of FIC reads; no list.
    let requests = emu.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path_and_query.as_str()).collect();
    assert_eq!(paths.len(), 3, "{paths:#?}");
    assert_eq!(paths.iter().filter(|p| p.contains("/delta?")).count(), 2);
    assert_eq!(paths.iter().filter(|p| p.ends_with("/$batch")).count(), 1);

    // The sweep brings the FIC delta could not see.
    let sync2 = r.sync.clone().unwrap();
    assert!(sync2.graph_at >= sync.graph_at);
    let swept = b
        .sweep(
            (*r.loaded.snapshot).clone(),
            &Scope::default(),
            &Progress::silent(),
        )
        .await
        .unwrap();
    assert_eq!(graph_part(&swept.snapshot), graph_part(&emu.snapshot()));

    // Nothing changed since: the next round reports nothing and reads nothing else.
    emu.clear_requests();
    let quiet = b
        .refresh(
            (*swept.snapshot).clone(),
            b.sync_state().as_ref(),
            &Scope::default(),
            &Progress::silent(),
        )
        .await
        .unwrap();
    assert!(quiet.applications.is_empty() && quiet.service_principals.is_empty());
    assert_eq!(emu.requests().len(), 2);
}

#[tokio::test]
async fn an_expired_or_reset_delta_link_makes_the_refresh_a_full_load() {
    for expire in [
        (|e: &Emulator| e.age_delta_links(Duration::from_secs(7 * 24 * 3600 + 1))) as fn(&Emulator),
        |e: &Emulator| e.reset_delta_links(),
    ] {
        let emu = Emulator::start(tenant()).await;
        let b = backend(&emu);
        let first = b
            .load(&Scope::default(), &Progress::silent())
            .await
            .unwrap();
        let sync = b.sync_state().unwrap();
        emu.mutate(|t| {
            t.applications[0].display_name = "changed while the link expired".into();
            t.service_principals.truncate(200);
        });
        expire(&emu);
        let r = b
            .refresh(
                (*first.snapshot).clone(),
                Some(&sync),
                &Scope::default(),
                &Progress::silent(),
            )
            .await
            .unwrap();
        assert!(r.full);
        assert!(
            r.loaded
                .warnings
                .iter()
                .any(|w| w.area == credwise::backend::Area::Refresh),
            "{:?}",
            r.loaded.warnings
        );
        assert_eq!(graph_part(&r.loaded.snapshot), graph_part(&emu.snapshot()));
        // And fresh links to go on from.
        assert_ne!(r.sync.as_ref(), Some(&sync));
    }
}

#[tokio::test]
async fn without_a_sync_state_a_refresh_is_a_full_load() {
    let emu = Emulator::start(tenant()).await;
    let b = backend(&emu);
    let r = b
        .refresh(
            TenantSnapshot::empty("x", NOW),
            None,
            &Scope::default(),
            &Progress::silent(),
        )
        .await
        .unwrap();
    assert!(r.full && r.sync.is_some());
    assert_eq!(graph_part(&r.loaded.snapshot), graph_part(&emu.snapshot()));
}

#[tokio::test]
async fn the_cache_keeps_the_sync_state_beside_the_tenant() {
    let emu = Emulator::start(tenant()).await;
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "emulator"]);
    let source = Source {
        backend: Arc::new(backend(&emu)),
        cache: Some(slot.clone()),
    };
    load::fetch(&source, &Progress::silent()).await.unwrap();
    let sync = slot.read_sync().expect("kept beside the tenant");
    emu.mutate(|t| {
        let sp = t
            .service_principals
            .iter_mut()
            .find(|s| s.service_principal_type == ServicePrincipalType::Application)
            .unwrap();
        sp.display_name = "renamed".into();
    });
    // What a `--incremental` run does: the cached tenant and its sync state, refreshed.
    let r = load::refresh(&source, &Progress::silent()).await.unwrap();
    assert!(!r.full);
    assert_ne!(r.sync.as_ref(), Some(&sync));
    assert_eq!(r.service_principals.changed.len(), 1);
    assert_eq!(slot.read_sync(), r.sync);
    assert_eq!(
        graph_part(&slot.read().unwrap().unwrap()),
        graph_part(&emu.snapshot())
    );
}

#[tokio::test]
async fn every_remembered_load_keeps_its_sync_state_and_a_bad_cache_refreshes_in_full() {
    let emu = Emulator::start(tenant()).await;
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "emulator"]);
    let source = Source {
        backend: Arc::new(backend(&emu)),
        cache: Some(slot.clone()),
    };
    // Nothing cached: the refresh is a full load, remembered with its links.
    let r = load::refresh(&source, &Progress::silent()).await.unwrap();
    assert!(r.full && r.sync.is_some());
    assert_eq!(slot.read_sync(), r.sync);
    // A cached tenant that cannot be read: said, and its links are not used (a full load).
    std::fs::write(slot.path(), b"{").unwrap();
    let r = load::refresh(&source, &Progress::silent()).await.unwrap();
    assert!(r.full);
    assert!(
        r.loaded
            .warnings
            .iter()
            .any(|w| w.area == credwise::backend::Area::Cache
                && w.message.starts_with("cache ignored")),
        "{:?}",
        r.loaded.warnings
    );
    assert_eq!(
        graph_part(&slot.read().unwrap().unwrap()),
        graph_part(&emu.snapshot())
    );
    // The explorer's load keeps the links of its load too.
    std::fs::remove_file(slot.sync_path()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    load::explore(
        source.clone(),
        false,
        Progress::silent(),
        AuditOptions::new(NOW),
        vec![],
        tx,
    )
    .await;
    let mut fresh = false;
    while let Ok(l) = rx.try_recv() {
        fresh |= matches!(l, Loading::Fresh(_));
    }
    assert!(fresh);
    assert_eq!(slot.read_sync(), source.backend.sync_state());
    assert!(slot.read_sync().is_some());
    // And the sweep, the background half of a refresh.
    std::fs::remove_file(slot.sync_path()).unwrap();
    let swept = load::sweep(
        &source,
        r.loaded.snapshot.as_ref().clone(),
        &Progress::silent(),
    )
    .await
    .unwrap();
    assert!(swept.warnings.is_empty(), "{:?}", swept.warnings);
    assert_eq!(slot.read_sync(), source.backend.sync_state());
    assert!(slot.read_sync().is_some());
}

/// Feeds the runtime's messages to `update` until a tenant arrives that is not the cache's
/// (or a load fails), and returns the effects `update` asked for along the way.
async fn until_loaded(
    app: &mut credwise::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<credwise::app::Msg>,
) {
    use credwise::app::{Msg, update};
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("a load ends")
            .expect("the runtime is alive");
        // The runtime sends tenants made ready off the UI thread; the sweep after `r` (a
        // tenant with `swept`) is waited for by the tests that want it.
        let done = match &msg {
            Msg::TenantReady(r) => r.cached_at.is_none() && !r.partial && r.swept.is_none(),
            Msg::TenantLoaded {
                cached_at: None, ..
            }
            | Msg::LoadFailed(_) => true,
            _ => false,
        };
        update(app, msg);
        if done {
            return;
        }
    }
}

/// Until the sweep after an `r` lands (or fails).
async fn until_swept(
    app: &mut credwise::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<credwise::app::Msg>,
) {
    use credwise::app::{Msg, update};
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("a sweep ends")
            .expect("the runtime is alive");
        let done = match &msg {
            Msg::TenantReady(r) => r.swept.is_some(),
            Msg::SweepFailed(_) => true,
            _ => false,
        };
        update(app, msg);
        if done {
            return;
        }
    }
}

/// The explorer's `r`: the runtime refreshes from the cached tenant's delta links (only the
/// delta requests and the changed application's federated credentials reach Graph), the
/// changed name shows, and the status line says what changed; `:reload full` lists again.
#[tokio::test]
async fn the_explorers_r_refreshes_only_what_changed_and_reload_full_reads_everything() {
    use credwise::app::{App, Command, Effect, Msg, update};
    use credwise::runtime::{Runtime, Source as RuntimeSource};
    use credwise::store::journal::SourceRecord;

    let emu = Emulator::start(tenant()).await;
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "emulator"]);
    let source = RuntimeSource {
        tenant: Source {
            backend: Arc::new(backend(&emu)),
            cache: Some(slot.clone()),
        },
        record: SourceRecord::live("emulator", None, "public"),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runtime = Runtime::new(Some(source), vec![], tx, false, Box::new(|_| Ok(())), None);
    let mut app = App::new("live", false, NOW);
    runtime.start(&app);
    until_loaded(&mut app, &mut rx).await;
    assert!(app.status.as_ref().unwrap().text.starts_with("loaded "));
    // The explorer remembers the tenant after it shows it.
    // (A generous bound: only a hang should reach it, on a loaded machine.)
    for _ in 0..3000 {
        if slot.read_sync().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        slot.read_sync().is_some(),
        "the first load kept its delta links"
    );

    let (renamed, gone) = {
        let t = emu.snapshot();
        (
            t.applications[0].id.clone(),
            t.service_principals[5].id.clone(),
        )
    };
    emu.mutate(|t| {
        t.applications[0].display_name = "renamed-by-someone".into();
        t.service_principals.retain(|s| s.id != gone);
    });
    emu.clear_requests();
    let effects = update(&mut app, Msg::Command(Command::Reload));
    assert_eq!(effects, vec![Effect::Refresh]);
    for e in effects {
        runtime.execute(e, &app);
    }
    until_loaded(&mut app, &mut rx).await;
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "refreshed: 1 changed, 1 removed"
    );
    let d = app.dir.clone().unwrap();
    let shown = d.find(&renamed).unwrap();
    assert_eq!(d.display_name_of(d.entry(shown)), "renamed-by-someone");
    assert!(d.find(&gone).is_err(), "the removed principal is gone");
    // The sweep follows in the background (every application's FICs, as delta does not
    // track them); its requests come after the refresh's.
    until_swept(&mut app, &mut rx).await;
    let paths: Vec<String> = emu
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    // One delta round per list, and one batch that reads the changed app's federated
    // credentials again (delta does not track them).
    assert!(paths.len() >= 3, "{paths:#?}");
    let (refresh, sweep) = paths.split_at(3);
    assert_eq!(refresh.iter().filter(|p| p.contains("/delta?")).count(), 2);
    assert!(refresh.iter().any(|p| p.ends_with("/$batch")), "{paths:#?}");
    assert!(
        sweep
            .iter()
            .all(|p| !p.contains("/delta?") && !p.starts_with("/v1.0/servicePrincipals?")),
        "the sweep lists no service principals: {paths:#?}"
    );
    let items: Vec<String> = emu
        .batch_items()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        !items.is_empty() && items[0].contains(&renamed),
        "the renamed app's FICs first: {items:#?}"
    );

    // `:reload full` lists the tenant again.
    emu.clear_requests();
    update(&mut app, Msg::Command(Command::CommandLine));
    for c in "reload full".chars() {
        update(&mut app, Msg::Edit(credwise::app::update::insert(c)));
    }
    let effects = update(&mut app, Msg::Command(Command::Submit));
    assert_eq!(effects, vec![Effect::Load]);
    for e in effects {
        runtime.execute(e, &app);
    }
    until_loaded(&mut app, &mut rx).await;
    assert!(app.refreshed.is_none());
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.path_and_query.contains("/applications?")),
        "a full load lists the applications"
    );
    runtime.shutdown();
}
