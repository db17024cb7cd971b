//! The live backend against the Graph/ARM emulator (`credwise_test_kit::emulator`) over real
//! loopback HTTP: a full load equals the emulator's tenant; paging, `$batch`, throttling, every
//! error mapping, faults mid-crawl, cancellation, partial loads; and every `Change` applied and
//! undone through the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::{Duration, Instant};

use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::{Backend, Error, Loaded, Progress, Scope};
use credwise::domain::{TenantSnapshot, Timestamp};
use emulator::{Emulator, Fault, FaultAction, Matcher, Options};
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

/// Retries in milliseconds, so fault tests run fast.
fn fast_retries() -> RetrySettings {
    RetrySettings {
        max_retries: 4,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_total_wait: Duration::from_secs(3),
        try_timeout: Duration::from_secs(3),
        max_connection_retries: 2,
        ..RetrySettings::default()
    }
}

fn config(emu: &Emulator) -> LiveConfig {
    LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: fast_retries(),
        ..LiveConfig::new(Arc::new(|| NOW))
    }
}

fn backend(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(config(emu)).unwrap()
}

/// A backend that takes no delta links at load: for faults injected on a list's path, which
/// its `…/delta` request would take first (fault paths match as substrings).
fn backend_without_delta(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        track_changes: false,
        ..config(emu)
    })
    .unwrap()
}

async fn load(b: &LiveBackend) -> Result<Loaded, Error> {
    b.load(&Scope::default(), &Progress::silent()).await
}

fn demo() -> TenantSnapshot {
    credwise::backend::demo::snapshot(NOW)
}

/// The snapshot with every list in a canonical order and the fields a crawl cannot know
/// (where the snapshot came from, when) set alike.
fn canonical(mut s: TenantSnapshot) -> TenantSnapshot {
    s.captured_at = NOW;
    // A tenant load reads no sign-ins (`load_usage` does, after it): the usage facts of the
    // snapshot the emulator serves are not part of it.
    s.usage = Default::default();
    s.source = credwise::domain::SnapshotSource::Live;
    s.tenant_id = s.tenant_id.to_ascii_lowercase();
    common::crawl_order(s)
}

/// Compares item by item, so a failure shows the first differing item, not two pages of
/// Debug output.
fn same_items<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what} #{i}");
    }
    assert_eq!(got.len(), want.len(), "{what}");
}

fn assert_same_tenant(got: &TenantSnapshot, want: &TenantSnapshot) {
    let (got, mut want) = (canonical(got.clone()), canonical(want.clone()));
    // A crawl keeps the role assignments of the tenant's service principals; the emulator
    // also serves those of users and groups (the bench generator makes some).
    let principals: std::collections::HashSet<&str> = want
        .service_principals
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let kept: Vec<_> = want
        .role_assignments
        .iter()
        .filter(|r| principals.contains(r.principal_id.as_str()))
        .cloned()
        .collect();
    want.role_assignments = kept;
    // credwise names every role whose definition ARM can read; the snapshot may leave some
    // unnamed.
    let mut got = got;
    for (g, w) in got.role_assignments.iter_mut().zip(&want.role_assignments) {
        if w.role_definition_name.is_none() && g.id == w.id {
            g.role_definition_name = None;
        }
    }
    assert_eq!(got.applications, want.applications);
    assert_eq!(got.service_principals, want.service_principals);
    assert_eq!(got.user_assigned_identities, want.user_assigned_identities);
    same_items(&got.resources, &want.resources, "resources");
    same_items(
        &got.role_assignments,
        &want.role_assignments,
        "role assignments",
    );
    assert_eq!(got.role_assignments, want.role_assignments);
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_full_load_equals_the_emulators_tenant() {
    let emu = Emulator::start(demo()).await;
    let b = backend(&emu);
    let loaded = load(&b).await.unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.snapshot.captured_at, NOW);
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    assert!(b.describe().starts_with("live "), "{}", b.describe());
}

fn fault(method: &str, path: &str, action: FaultAction) -> Fault {
    Fault::new(Matcher::new(method, path), action)
}

/// A generated tenant big enough for several pages at a small `$top`.
fn generated(apps: usize, sps: usize) -> TenantSnapshot {
    use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
    generate_tenant(
        &TenantSpec {
            applications: apps,
            service_principals: sps,
            credentials: apps * 2,
            seed: 7,
        },
        NOW,
    )
}

#[tokio::test]
async fn paging_follows_next_links_through_empty_pages() {
    let snap = generated(45, 80);
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            empty_pages: true,
            ..Options::default()
        },
    )
    .await;
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 7,
        ..config(&emu)
    })
    .unwrap();
    let loaded = load(&b).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    let requests = emu.requests();
    let pages = |collection: &str| {
        requests
            .iter()
            .filter(|r| {
                r.path_and_query
                    .starts_with(&format!("/v1.0/{collection}?"))
                    && r.status == 200
            })
            .collect::<Vec<_>>()
    };
    let apps = pages("applications");
    // Every page of 7, an empty page before each page after the first, and the empty last
    // page is not needed: ceil(45 / 7) = 7 pages plus 6 empty ones.
    assert_eq!(
        apps.len(),
        13,
        "{:#?}",
        apps.iter().map(|r| &r.path_and_query).collect::<Vec<_>>()
    );
    assert!(
        apps[0].path_and_query.contains("%24top=7") || apps[0].path_and_query.contains("$top=7")
    );
    assert!(
        apps[1..]
            .iter()
            .all(|r| r.path_and_query.to_ascii_lowercase().contains("skiptoken"))
    );
    assert!(pages("servicePrincipals").len() >= 80 / 7);
}

/// A generated tenant where 45 of 50 apps hold a flexible FIC beside classic ones.
fn flexible_tenant() -> TenantSnapshot {
    use credwise::domain::FederatedIdentityCredential;
    let mut snap = generated(50, 60);
    for (i, app) in snap.applications.iter_mut().take(45).enumerate() {
        app.federated_identity_credentials.truncate(3);
        app.federated_identity_credentials
            .push(FederatedIdentityCredential {
                id: Some(format!("00000000-0000-4000-8000-{i:012}")),
                name: format!("flexible-{i}"),
                issuer: "https://token.actions.githubusercontent.com".into(),
                subject: None,
                claims_matching_expression: Some(format!(
                    "claims['sub'] matches 'repo:contoso/app-{i}:ref:refs/heads/*'"
                )),
                audiences: vec!["api://AzureADTokenExchange".into()],
                description: None,
            });
    }
    snap
}

fn flexible_count(s: &TenantSnapshot) -> usize {
    s.applications
        .iter()
        .flat_map(|a| &a.federated_identity_credentials)
        .filter(|f| f.claims_matching_expression.is_some())
        .count()
}

#[tokio::test]
async fn flexible_federated_credentials_come_whole_from_the_beta_list() {
    let snap = flexible_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 7,
        ..config(&emu)
    })
    .unwrap();
    let loaded = load(&b).await.unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    assert!(flexible_count(&loaded.snapshot) >= 45);
    assert_eq!(flexible_count(&loaded.snapshot), flexible_count(&snap));
    let log = emu.requests();
    // No FIC is read through v1.0 (it breaks its answer off at a flexible FIC), no batch is
    // needed, and the beta list pages by 7 (under the `$expand` cap of 100).
    assert!(
        log.iter().all(|r| !(r.path_and_query.starts_with("/v1.0/")
            && r.path_and_query.contains("federatedIdentityCredentials"))),
        "a FIC read through v1.0"
    );
    assert!(!log.iter().any(|r| r.path_and_query.contains("$batch")));
    let beta_pages = log
        .iter()
        .filter(|r| r.path_and_query.starts_with("/beta/applications?"))
        .count();
    assert_eq!(beta_pages, 50usize.div_ceil(7));
}

/// A 200 whose body Graph broke off after `issuer` with its error object (the observed
/// shape, Azure/azure-workload-identity#373), listing `apps` before the broken one.
fn broken_beta_page(apps: &[&str], broken_app: &str) -> String {
    let whole: Vec<String> = apps
        .iter()
        .map(|id| format!(r#"{{"id":"{id}","federatedIdentityCredentials":[]}}"#))
        .collect();
    let mut body = format!(
        r#"{{"@odata.context":"https://graph.microsoft.com/beta/$metadata#applications(id,federatedIdentityCredentials())","value":[{}"#,
        whole.join(",")
    );
    if !whole.is_empty() {
        body.push(',');
    }
    body.push_str(&format!(
        r#"{{"id":"{broken_app}","federatedIdentityCredentials":[{{"id":"0d0d0d0d-0000-4000-8000-000000000bad","name":"odd-one","issuer":"https://gitlab.com""#
    ));
    body.push_str(&emulator::graph_error(
        "InternalServerError",
        "Something could not be serialised.",
    ));
    body
}

#[tokio::test]
async fn a_beta_list_broken_off_mid_page_leaves_the_rest_to_batches() {
    let snap = flexible_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let ids: Vec<String> = snap.applications.iter().map(|a| a.id.clone()).collect();
    // The third page of the beta list (apps 14 to 20) is broken off at its first app: apps
    // 14 to 49 are read alone, through beta `$batch`. (A broken page's complete objects are
    // kept: `page`'s unit tests.)
    let page = broken_beta_page(&[], &ids[14]);
    emu.inject(fault("GET", "/beta/applications", status(200, page)).skip(2));
    // One batch item is throttled: it alone is re-submitted after its Retry-After.
    emu.inject(
        fault(
            "GET",
            "/federatedIdentityCredentials",
            FaultAction::Throttle {
                retry_after: "0.2".into(),
            },
        )
        .skip(25),
    );
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 7,
        batch_concurrency: 2,
        ..config(&emu)
    })
    .unwrap();
    let started = Instant::now();
    let loaded = load(&b).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    assert_eq!(flexible_count(&loaded.snapshot), flexible_count(&snap));
    // One warning, naming the object where the list broke and what Graph said.
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0].message;
    assert!(
        w.contains("object 0d0d0d0d-0000-4000-8000-000000000bad (name \"odd-one\")")
            && w.contains("Something could not be serialised.")
            && w.contains("read one by one"),
        "{w}"
    );
    let log = emu.requests();
    let beta_pages = log
        .iter()
        .filter(|r| r.path_and_query.starts_with("/beta/applications?"))
        .count();
    assert_eq!(beta_pages, 3, "no page after the broken one");
    let batches = log
        .iter()
        .filter(|r| r.path_and_query.starts_with("/beta/$batch"))
        .count();
    assert_eq!(batches, 3, "two batches (20 + 16) and one re-submission");
    let items = emu.batch_items();
    assert_eq!(items.len(), 36 + 1);
    assert_eq!(items.iter().filter(|i| i.status == 429).count(), 1);
}

/// The apps a broken beta list leaves to `$batch` are read or the load fails: a network
/// failure there is not "no federated credentials" (issue #11: failures say they failed).
#[tokio::test]
async fn a_network_failure_of_the_federated_credential_batches_fails_the_load() {
    let snap = flexible_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let ids: Vec<String> = snap.applications.iter().map(|a| a.id.clone()).collect();
    let page = broken_beta_page(&[], &ids[14]);
    emu.inject(fault("GET", "/beta/applications", status(200, page)).skip(2));
    emu.inject(fault("POST", "/beta/$batch", FaultAction::Close).always());
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 7,
        ..config(&emu)
    })
    .unwrap();
    let err = load(&b).await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    assert_eq!(credwise::cli::exit::of_error(&err), 3);
}

#[tokio::test]
async fn an_app_only_the_beta_list_has_is_left_out_and_named() {
    // The application was deleted between the two lists: v1.0 no longer lists it, beta did.
    let snap = demo();
    let emu = Emulator::start(snap.clone()).await;
    let (kept, gone) = snap.applications.split_at(snap.applications.len() - 1);
    let page = serde_json::json!({
        "value": kept
            .iter()
            .map(|a| serde_json::json!({"id": a.id, "appId": a.app_id, "displayName": a.display_name}))
            .collect::<Vec<_>>(),
    })
    .to_string();
    // Twice: the `$count` request may take one.
    emu.inject(fault("GET", "/v1.0/applications", status(200, page)).times(2));
    let loaded = load(&backend_without_delta(&emu)).await.unwrap();
    assert_eq!(loaded.snapshot.applications.len(), kept.len());
    assert!(
        !loaded
            .snapshot
            .applications
            .iter()
            .any(|a| a.id == gone[0].id)
    );
    let w: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|w| w.area == credwise::backend::Area::FederatedCredentials)
        .collect();
    assert_eq!(w.len(), 1, "{:?}", loaded.warnings);
    assert!(
        w[0].message
            .starts_with("1 application(s) appeared in the federated-credential list")
            && w[0].message.contains(&gone[0].id.to_ascii_lowercase()),
        "{}",
        w[0].message
    );
}

#[tokio::test]
async fn a_v1_list_broken_off_fails_the_load_naming_the_object() {
    let emu = Emulator::start(demo()).await;
    let body = r#"{"@odata.context":"x","value":[{"id":"11111111-0000-4000-8000-000000000001","appId":"a1","displayName":"fine"},{"id":"22222222-0000-4000-8000-000000000002","displayName":"odd""#
        .to_string()
        + &emulator::graph_error(
        "InternalServerError",
        "The property 'x' has a null value.",
    );
    // Twice: the `$count` request may take one.
    emu.inject(fault("GET", "/v1.0/servicePrincipals", status(200, body)).times(2));
    let err = load(&backend_without_delta(&emu)).await.unwrap_err();
    let Error::Service { code, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "InternalServerError");
    assert!(
        message.contains("object 22222222-0000-4000-8000-000000000002")
            && message.contains("The property 'x' has a null value.")
            && message.contains("cannot be read from Graph v1.0"),
        "{message}"
    );
    // The service's answer, not a cut connection: it was not fetched again.
    let pages = emu
        .requests()
        .iter()
        .filter(|r| r.path_and_query.starts_with("/v1.0/servicePrincipals?"))
        .count();
    assert_eq!(pages, 1);
    assert_eq!(credwise::cli::exit::of_error(&err), 3);
}

#[tokio::test]
async fn objects_that_do_not_fit_are_left_out_and_named() {
    let emu = Emulator::start(demo()).await;
    // A page with a principal whose secret has no keyId and one whose date is no date, among
    // good ones.
    let body = serde_json::json!({
        "value": [
            {"id": "11111111-0000-4000-8000-000000000001", "appId": "a1", "displayName": "fine"},
            {"id": "22222222-0000-4000-8000-000000000002", "displayName": "odd",
             "passwordCredentials": [{"displayName": "no key id"}]},
            {"id": "33333333-0000-4000-8000-000000000003", "displayName": "when",
             "keyCredentials": [{"keyId": "k", "endDateTime": "someday"}]},
            {"id": "44444444-0000-4000-8000-000000000004", "appId": null, "displayName": "agent",
             "servicePrincipalType": "ServiceIdentity", "@odata.type": "#microsoft.graph.agentIdentity"},
        ]
    })
    .to_string();
    emu.inject(fault("GET", "/v1.0/servicePrincipals", status(200, body)).times(2));
    let loaded = load(&backend_without_delta(&emu)).await.unwrap();
    let sps = &loaded.snapshot.service_principals;
    assert_eq!(sps.len(), 2, "{sps:?}");
    let agent = sps.iter().find(|s| s.display_name == "agent").unwrap();
    assert_eq!(agent.app_id, "");
    assert_eq!(
        agent.odata_type.as_deref(),
        Some("#microsoft.graph.agentIdentity")
    );
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert_eq!(w.area, credwise::backend::Area::ServicePrincipals);
    assert!(
        w.message.starts_with("2 object(s)")
            && w.message
                .contains("22222222-0000-4000-8000-000000000002 (\"odd\")")
            && w.message
                .contains("33333333-0000-4000-8000-000000000003 (\"when\")")
            && w.message.contains("keyId"),
        "{}",
        w.message
    );
    assert!(
        !w.message.contains("someday"),
        "a value is quoted: {}",
        w.message
    );
}

#[tokio::test]
async fn an_expired_page_token_starts_that_list_again_once() {
    let snap = generated(45, 80);
    let emu = Emulator::start(snap.clone()).await;
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 7,
        ..config(&emu)
    })
    .unwrap();
    emu.expire_next_skip_tokens(1);
    let loaded = load(&b).await.unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // Nothing lost, nothing twice.
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    let log = emu.requests();
    let expired: Vec<_> = log.iter().filter(|r| r.status == 400).collect();
    assert_eq!(expired.len(), 1);
    // The list whose token expired read its first page again; the others did not.
    let first_pages: Vec<&str> = log
        .iter()
        .filter(|r| r.status == 200 && !r.path_and_query.contains("skiptoken"))
        .filter(|r| r.path_and_query.contains("$top=") || r.path_and_query.contains("%24top="))
        .map(|r| r.path_and_query.as_str())
        .collect();
    assert_eq!(first_pages.len(), 3 + 1, "{first_pages:#?}");
}

#[tokio::test]
async fn a_page_token_that_expires_again_fails_with_a_clear_error() {
    let emu = Emulator::start_with(
        generated(45, 80),
        Options {
            skip_token_lifetime: Some(Duration::ZERO),
            ..Options::default()
        },
    )
    .await;
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 7,
        ..config(&emu)
    })
    .unwrap();
    let err = load(&b).await.unwrap_err();
    let Error::Service { code, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "Directory_ExpiredPageToken");
    assert!(
        message.contains("expired again after the list started over")
            && message.contains("try again"),
        "{message}"
    );
    // Bounded: each list started over once at most.
    let restarts = emu.requests().iter().filter(|r| r.status == 400).count();
    assert!(restarts <= 6, "{restarts}");
}

/// The request after a 429 on the same URL, and the time between them.
fn retry_gap(emu: &Emulator) -> Duration {
    let log = emu.requests();
    let at = log.iter().position(|r| r.status == 429).expect("a 429");
    let retry = log[at + 1..]
        .iter()
        .find(|r| r.path_and_query == log[at].path_and_query)
        .expect("the retry");
    retry.at - log[at].at
}

#[tokio::test]
async fn a_decimal_retry_after_is_honoured() {
    let emu = Emulator::start(demo()).await;
    emu.inject(fault(
        "GET",
        "/v1.0/servicePrincipals",
        FaultAction::Throttle {
            retry_after: "0.35".into(),
        },
    ));
    let loaded = load(&backend(&emu)).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    let gap = retry_gap(&emu);
    assert!(gap >= Duration::from_millis(350), "{gap:?}");
    assert!(gap < Duration::from_millis(350 + 500), "{gap:?}");
}

#[tokio::test]
async fn the_emulators_throttling_budget_is_waited_out() {
    let budget = emulator::ThrottleBudget {
        graph_resource_units: 4.0,
        graph_window: Duration::from_millis(500),
        ..emulator::ThrottleBudget::graph_s_tier()
    };
    let emu = Emulator::start_with(
        demo(),
        Options {
            throttle: Some(budget),
            ..Options::default()
        },
    )
    .await;
    let loaded = load(&backend(&emu)).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    let throttled = emu.requests().iter().filter(|r| r.status == 429).count();
    assert!(throttled > 0, "the budget never ran out");
    let gap = retry_gap(&emu);
    assert!(gap >= Duration::from_millis(100), "{gap:?}");
}

#[tokio::test]
async fn the_key_credentials_list_cap_is_ridden_out_and_not_multiplied() {
    // Graph's cap of 150 application-list reads per minute that `$select` keyCredentials,
    // shortened: 2 per 400 ms.
    let budget = emulator::ThrottleBudget {
        graph_key_selects_per_minute: 2.0,
        graph_key_select_window: Duration::from_millis(400),
        ..emulator::ThrottleBudget::graph_s_tier()
    };
    let snap = generated(20, 30);
    let emu = Emulator::start_with(
        snap,
        Options {
            throttle: Some(budget),
            ..Options::default()
        },
    )
    .await;
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 3,
        ..config(&emu)
    })
    .unwrap();
    let loaded = load(&b).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    let log = emu.requests();
    let selects_keys = |r: &&emulator::LoggedRequest| {
        r.path_and_query.contains("applications?") && r.path_and_query.contains("keyCredentials")
    };
    // Only the v1.0 application list selects keyCredentials, one request per page (and the
    // retries of the throttled ones); the beta FIC list selects `id` alone.
    let pages = log
        .iter()
        .filter(selects_keys)
        .filter(|r| r.status == 200)
        .count();
    assert_eq!(pages, 20usize.div_ceil(3));
    assert!(
        log.iter()
            .filter(selects_keys)
            .all(|r| r.path_and_query.starts_with("/v1.0/"))
    );
    let throttled = log
        .iter()
        .filter(selects_keys)
        .filter(|r| r.status == 429)
        .count();
    assert!(throttled > 0, "the cap was never reached");
    // Nothing else was throttled: the other lists do not count against that cap.
    assert!(
        log.iter()
            .filter(|r| r.status == 429)
            .all(|r| r.path_and_query.starts_with("/v1.0/applications?")),
    );
}

#[tokio::test]
async fn a_tenant_that_stays_throttled_fails_with_throttled() {
    let emu = Emulator::start(demo()).await;
    emu.inject(
        fault(
            "GET",
            "/v1.0/applications",
            FaultAction::Throttle {
                retry_after: "0.3".into(),
            },
        )
        .always(),
    );
    let b = LiveBackend::new(LiveConfig {
        retry: RetrySettings {
            max_retries: 100,
            max_total_wait: Duration::from_secs(1),
            ..fast_retries()
        },
        ..config(&emu)
    })
    .unwrap();
    let started = Instant::now();
    let err = load(&b).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Throttled {
                retry_after_secs: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(credwise::cli::exit::of_error(&err), 3);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

fn status(status: u16, body: String) -> FaultAction {
    FaultAction::Status {
        status,
        headers: vec![],
        body,
    }
}

/// The error of a load while every `GET` of `path` fails with `action`.
async fn load_failing(emu: &Emulator, b: &LiveBackend, path: &str, action: FaultAction) -> Error {
    emu.inject(fault("GET", path, action).always());
    let err = load(b).await.unwrap_err();
    emu.clear_faults();
    err
}

#[tokio::test]
async fn graph_errors_are_typed() {
    let emu = Emulator::start(demo()).await;
    let b = backend(&emu);
    let graph = |status_code: u16, code: &str, message: &str| {
        status(status_code, emulator::graph_error(code, message))
    };

    let denied = graph(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    );
    let err = load_failing(&emu, &b, "/v1.0/servicePrincipals", denied).await;
    match &err {
        Error::Forbidden {
            permission,
            message,
            advice,
        } => {
            assert!(permission.contains("Application.Read.All"), "{permission}");
            assert!(message.contains("Insufficient privileges"), "{message}");
            assert!(advice.contains("Directory Readers"), "{advice}");
            assert!(advice.contains("Grant admin consent"), "{advice}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(credwise::cli::exit::of_error(&err), 3);

    let err = load_failing(&emu, &b, "/v1.0/applications", FaultAction::Unauthorized).await;
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert!(
        err.to_string().contains("InvalidAuthenticationToken"),
        "{err}"
    );

    let gone = graph(404, "Request_ResourceNotFound", "Gone.");
    let err = load_failing(&emu, &b, "/v1.0/applications", gone).await;
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");

    // A 500 keeps Graph's code, message and request id (Graph sends the id in a header and
    // in the body's innerError).
    let broke = graph(500, "UnknownError", "Something broke.");
    let err = load_failing(&emu, &b, "/v1.0/applications", broke).await;
    let failed: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.status == 500)
        .collect();
    assert!(!failed.is_empty());
    match &err {
        Error::Service {
            service,
            code,
            message,
            request_id,
        } => {
            assert_eq!(*service, "Graph");
            assert_eq!(code, "UnknownError");
            assert!(message.contains("Something broke."), "{message}");
            assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_401_mid_crawl_stops_the_load() {
    let emu = Emulator::start(demo()).await;
    // The $count and the first page pass; the token "expires" on the second page.
    emu.inject(
        fault("GET", "/v1.0/applications", FaultAction::Unauthorized)
            .skip(2)
            .always(),
    );
    let b = LiveBackend::new(LiveConfig {
        graph_page_size: 3,
        ..config(&emu)
    })
    .unwrap();
    let err = load(&b).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    let ok_pages = emu
        .requests()
        .iter()
        .filter(|r| r.path_and_query.starts_with("/v1.0/applications") && r.status == 200)
        .count();
    assert!(ok_pages >= 1, "the crawl was under way");
}

#[tokio::test]
async fn a_truncated_body_is_read_again_or_reported() {
    let emu = Emulator::start(demo()).await;
    emu.inject(fault(
        "GET",
        "/v1.0/servicePrincipals",
        FaultAction::Truncate,
    ));
    let loaded = load(&backend(&emu)).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());

    emu.inject(fault("GET", "/v1.0/servicePrincipals", FaultAction::Truncate).always());
    let err = load(&backend(&emu)).await.unwrap_err();
    assert!(
        matches!(err, Error::Network(_) | Error::Decode { .. }),
        "{err:?}"
    );
    let Error::Network(m) = &err else {
        panic!("{err:?}")
    };
    assert!(
        m.contains("the answer was cut off") && m.ends_with("try again"),
        "{m}"
    );
    assert_eq!(credwise::cli::exit::of_error(&err), 3);
}

#[tokio::test]
async fn a_stalled_connection_times_out() {
    let emu = Emulator::start(demo()).await;
    let b = LiveBackend::new(LiveConfig {
        retry: RetrySettings {
            try_timeout: Duration::from_millis(300),
            ..fast_retries()
        },
        ..config(&emu)
    })
    .unwrap();
    // Once: the retry gets through.
    emu.inject(fault(
        "GET",
        "/v1.0/applications",
        FaultAction::Stall(Duration::from_secs(5)),
    ));
    let loaded = load(&b).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    // Always: the load ends with a network error, not a hang.
    emu.inject(
        fault(
            "GET",
            "/v1.0/applications",
            FaultAction::Stall(Duration::from_secs(5)),
        )
        .always(),
    );
    let started = Instant::now();
    let err = load(&b).await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    assert!(err.to_string().contains("stalled"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_cancelled_load_ends_promptly() {
    use credwise::backend::ProgressEvent;
    let emu = Emulator::start_with(
        demo(),
        Options {
            latency: Duration::from_millis(150),
            ..Options::default()
        },
    )
    .await;
    let b = backend(&emu);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProgressEvent>();
    let cancel = tokio_util::sync::CancellationToken::new();
    let progress = Progress::new(tx, cancel.clone());
    let canceller = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            // Cancel as soon as the crawl has started reporting.
            rx.recv().await;
            cancel.cancel();
            Instant::now()
        })
    };
    let err = b.load(&Scope::default(), &progress).await.unwrap_err();
    let ended = Instant::now();
    let cancelled_at = canceller.await.unwrap();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert!(
        ended - cancelled_at < Duration::from_millis(100),
        "{:?}",
        ended - cancelled_at
    );
    // A cancelled progress is refused up front.
    let err = b.load(&Scope::default(), &progress).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled));
}

#[tokio::test]
async fn no_azure_access_keeps_the_graph_data_and_warns() {
    let snap = demo();
    let emu = Emulator::start(snap.clone()).await;
    emu.inject(
        fault(
            "GET",
            "/subscriptions",
            status(
                403,
                emulator::arm_error(
                    "AuthorizationFailed",
                    "The client does not have authorization to perform action.",
                ),
            ),
        )
        .always(),
    );
    let loaded = load(&backend(&emu)).await.unwrap();
    let s = &loaded.snapshot;
    assert_eq!(s.applications.len(), snap.applications.len());
    assert_eq!(s.service_principals.len(), snap.service_principals.len());
    assert!(s.user_assigned_identities.is_empty() && s.role_assignments.is_empty());
    // The system-assigned identities still say which resource they belong to.
    assert!(!s.resources.is_empty());
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(w.message.contains("Reader on the subscription"), "{w:?}");
    assert!(w.message.contains("AuthorizationFailed"), "{w:?}");
}

#[tokio::test]
async fn one_unreadable_phase_is_a_warning() {
    let emu = Emulator::start(demo()).await;
    emu.inject(
        fault(
            "POST",
            "/providers/Microsoft.ResourceGraph",
            status(403, emulator::arm_error("AuthorizationFailed", "No.")),
        )
        .always(),
    );
    let loaded = load(&backend(&emu)).await.unwrap();
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(
        loaded.warnings[0].area,
        credwise::backend::Area::ResourceGraph
    );
    assert!(!loaded.snapshot.user_assigned_identities.is_empty());
    assert!(!loaded.snapshot.role_assignments.is_empty());
}

#[tokio::test]
async fn subscriptions_of_other_tenants_and_outside_the_scope_are_left_out() {
    let snap = demo();
    let emu = Emulator::start(snap.clone()).await;
    let loaded = load(&backend(&emu)).await.unwrap();
    let foreign = emulator::FOREIGN_SUBSCRIPTION;
    assert!(
        !emu.requests()
            .iter()
            .any(|r| r.path_and_query.contains(foreign)),
        "the other tenant's subscription was read"
    );
    assert_eq!(
        loaded.snapshot.tenant_id,
        snap.tenant_id.to_ascii_lowercase()
    );
    let one = snap.user_assigned_identities[0]
        .subscription_id()
        .unwrap()
        .to_string();
    let scoped = b_with_scope(&emu, &one).await;
    assert!(
        scoped
            .snapshot
            .user_assigned_identities
            .iter()
            .all(|u| u.subscription_id() == Some(one.as_str()))
    );
    assert!(!scoped.snapshot.user_assigned_identities.is_empty());
}

async fn b_with_scope(emu: &Emulator, subscription: &str) -> Loaded {
    let b = backend(emu);
    b.load(
        &Scope {
            subscriptions: vec![subscription.to_string()],
        },
        &Progress::silent(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn progress_is_reported_per_phase() {
    use credwise::backend::ProgressEvent;
    let emu = Emulator::start(demo()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProgressEvent>();
    let progress = Progress::new(tx, tokio_util::sync::CancellationToken::new());
    let loaded = backend(&emu)
        .load(&Scope::default(), &progress)
        .await
        .unwrap();
    drop(progress);
    let mut last = std::collections::BTreeMap::new();
    while let Some(e) = rx.recv().await {
        last.insert(e.stage.clone(), (e.done, e.total));
    }
    let s = &loaded.snapshot;
    let n = |x: usize| (x as u64, Some(x as u64));
    assert_eq!(last["applications"], n(s.applications.len()));
    assert_eq!(last["service principals"], n(s.service_principals.len()));
    assert_eq!(
        last["managed identities"].0,
        s.user_assigned_identities.len() as u64
    );
    assert_eq!(last["resources"], n(s.resources.len()));
    for stage in ["federated credentials", "subscriptions", "role assignments"] {
        let (done, total) = last[stage];
        assert_eq!(Some(done), total, "{stage}");
    }
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    // Graph itself never does this; a man in the middle or a bug might.
    let emu = Emulator::start(demo()).await;
    let other = Emulator::start(demo()).await;
    let body = serde_json::json!({
        "value": [],
        "@odata.nextLink": format!("{}/applications?$skiptoken=x", other.graph_url()),
    })
    .to_string();
    // Twice: the `$count` request may take the first.
    emu.inject(fault("GET", "/v1.0/applications", status(200, body)).times(2));
    let err = load(&backend_without_delta(&emu)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("not followed"), "{err}");
    assert!(other.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Changes: each applied through the emulator, checked, and undone.

use credwise::domain::change::Target;
use credwise::domain::{
    Change, Check, FederatedIdentityCredential, KeyCredential, PasswordCredential, RoleAssignment,
    UserAssignedIdentity,
};

fn fic(name: &str, subject: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some(subject.into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

/// A self-signed certificate's DER, base64: what `AddKey` uploads.
fn certificate() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["credwise-test".to_string()]).unwrap();
    azure_core::base64::encode(params.self_signed(&key).unwrap().der())
}

/// The tenant with the ids a re-created object gets from the service blanked out: a
/// removed secret comes back as a new secret (new keyId and hint), a FIC gets a new id, a
/// re-created identity new principal and client ids.
fn without_service_ids(mut s: TenantSnapshot) -> TenantSnapshot {
    for a in &mut s.applications {
        for p in &mut a.password_credentials {
            p.key_id = Default::default();
            p.hint = None;
        }
        for f in &mut a.federated_identity_credentials {
            f.id = None;
        }
    }
    for sp in &mut s.service_principals {
        for p in &mut sp.password_credentials {
            p.key_id = Default::default();
            p.hint = None;
        }
    }
    canonical(s)
}

struct Rig {
    emu: Emulator,
    b: LiveBackend,
    original: TenantSnapshot,
}

impl Rig {
    async fn new() -> Self {
        Self::with(demo()).await
    }

    async fn with(tenant: TenantSnapshot) -> Self {
        let emu = Emulator::start(tenant).await;
        let b = backend(&emu);
        let original = emu.snapshot();
        Self { emu, b, original }
    }

    /// Applies `change`, asserts `check` holds and the tenant changed, undoes it, and asserts
    /// the tenant is back (exactly, or up to the ids the service picks when `exact` is
    /// false). Returns what the apply returned.
    async fn round_trip(&self, change: Change, check: impl Fn(&Change) -> Check, exact: bool) {
        let applied = self
            .b
            .apply(&change)
            .await
            .unwrap_or_else(|e| panic!("{change:?}: {e}"));
        assert!(
            self.b.check(&check(&applied.undo)).await.unwrap(),
            "check after {change:?}"
        );
        assert_ne!(
            canonical(self.emu.snapshot()),
            canonical(self.original.clone())
        );
        self.b
            .apply(&applied.undo)
            .await
            .unwrap_or_else(|e| panic!("undo of {change:?}: {e}"));
        if exact {
            assert_same_tenant(&self.emu.snapshot(), &self.original);
        } else {
            assert_eq!(
                without_service_ids(self.emu.snapshot()),
                without_service_ids(self.original.clone()),
                "after the undo of {change:?}"
            );
        }
    }
}

#[tokio::test]
async fn secrets_are_added_removed_and_restored() {
    let rig = Rig::new().await;
    let app = rig
        .original
        .applications
        .iter()
        .find(|a| !a.password_credentials.is_empty())
        .unwrap()
        .clone();
    let sp = rig
        .original
        .service_principals
        .iter()
        .find(|s| !s.password_credentials.is_empty())
        .unwrap()
        .clone();
    let new_secret = PasswordCredential {
        key_id: "planned".into(),
        display_name: Some("credwise rotation".into()),
        hint: None,
        start_date_time: None,
        end_date_time: Some(NOW + time::Duration::days(90)),
    };
    for target in [
        Target::Application(app.id.clone()),
        Target::ServicePrincipal(sp.id.clone()),
    ] {
        // Added: the secret's value comes back once, and only in `Applied::secret`.
        let applied = rig
            .b
            .apply(&Change::AddPassword {
                target: target.clone(),
                credential: new_secret.clone(),
            })
            .await
            .unwrap();
        let secret = applied.secret.as_ref().expect("a one-time secret");
        assert!(rig.emu.secret_texts().iter().any(|s| s == secret.expose()));
        assert!(!format!("{applied:?}").contains(secret.expose()));
        let Change::RemovePassword { key_id, .. } = &applied.undo else {
            panic!("{:?}", applied.undo)
        };
        assert_ne!(key_id, "planned", "the undo names the key Graph chose");
        let present = Check::CredentialPresent {
            target: target.clone(),
            id: key_id.clone(),
        };
        assert!(rig.b.check(&present).await.unwrap());
        rig.b.apply(&applied.undo).await.unwrap();
        assert!(!rig.b.check(&present).await.unwrap());
        assert_same_tenant(&rig.emu.snapshot(), &rig.original);
    }
    // Removed: the undo adds a secret with the same metadata (a new value, necessarily).
    let old = app.password_credentials[0].clone();
    let target = Target::Application(app.id.clone());
    rig.round_trip(
        Change::RemovePassword {
            target: target.clone(),
            key_id: old.key_id.to_string(),
        },
        |_| Check::CredentialAbsent {
            target: target.clone(),
            id: old.key_id.to_string(),
        },
        false,
    )
    .await;
    // Removing a secret that is not there changes nothing.
    let err = rig
        .b
        .apply(&Change::RemovePassword {
            target,
            key_id: "00000000-0000-0000-0000-000000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(credwise::cli::exit::of_error(&err), 2, "{err}");
}

#[tokio::test]
async fn certificate_dates_outside_the_certificate_are_refused_and_the_plans_are_not() {
    use credwise::domain::migration::{CertificateForm, PlanContext};
    let rig = Rig::new().await;
    let app = rig.original.applications[0].clone();
    let target = Target::Application(app.id.clone());
    // A certificate as a migration uploads it: its plan keeps the dates one second inside.
    let (info, _key) =
        credwise::jobs::migrate::certificate::generate("credwise-test", 12, NOW, None).unwrap();
    let dir = credwise::domain::Directory::new(rig.original.clone());
    let plan = CertificateForm {
        identity: app.id.clone(),
        ..Default::default()
    }
    .build_plan(
        &PlanContext {
            dir: &dir,
            now: NOW,
            guidance: credwise::jobs::migrate::guidance(),
        },
        &mut credwise::domain::migration::SequentialIds::default(),
        Some(&info),
    )
    .unwrap();
    let Change::AddKey {
        credential, key, ..
    } = plan.steps[0].action.clone()
    else {
        panic!("{:?}", plan.steps[0].action)
    };
    // Its end a second past the certificate's: Graph's KeyCredentialsInvalidEndDate.
    let late = KeyCredential {
        end_date_time: Some(info.not_after + time::Duration::seconds(1)),
        ..credential.clone()
    };
    let err = rig
        .b
        .apply(&Change::AddKey {
            target: target.clone(),
            credential: late,
            key: key.clone(),
        })
        .await
        .unwrap_err();
    let Error::Service { code, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "KeyCredentialsInvalidEndDate");
    assert!(
        message.contains("Key credential end date is invalid."),
        "{message}"
    );
    let early = KeyCredential {
        start_date_time: Some(info.not_before - time::Duration::seconds(1)),
        ..credential.clone()
    };
    let err = rig
        .b
        .apply(&Change::AddKey {
            target: target.clone(),
            credential: early,
            key: key.clone(),
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("KeyCredentialsInvalidStartDate"),
        "{err}"
    );
    // The plan's own dates are accepted, and Graph keeps them.
    rig.b
        .apply(&Change::AddKey {
            target: target.clone(),
            credential: credential.clone(),
            key,
        })
        .await
        .unwrap();
    let now = rig.emu.snapshot();
    let uploaded = now.applications[0]
        .key_credentials
        .iter()
        .find(|k| k.key_id == credential.key_id)
        .unwrap();
    assert_eq!(uploaded.start_date_time, credential.start_date_time);
    assert_eq!(uploaded.end_date_time, credential.end_date_time);
}

#[tokio::test]
async fn certificates_are_added_and_removed_without_dropping_the_others() {
    let rig = Rig::new().await;
    let app = rig
        .original
        .applications
        .iter()
        .find(|a| !a.key_credentials.is_empty())
        .unwrap()
        .clone();
    let target = Target::Application(app.id.clone());
    let credential = KeyCredential {
        key_id: uuid::Uuid::new_v4().to_string().into(),
        display_name: Some("CN=credwise-test".into()),
        custom_key_identifier: None,
        key_type: Some("AsymmetricX509Cert".into()),
        usage: Some("Verify".into()),
        start_date_time: None,
        end_date_time: None,
    };
    let add = Change::AddKey {
        target: target.clone(),
        credential: credential.clone(),
        key: Some(certificate()),
    };
    let present = |key_id: &str| Check::CredentialPresent {
        target: target.clone(),
        id: key_id.to_string(),
    };
    rig.round_trip(add.clone(), |_| present(&credential.key_id), true)
        .await;
    // Removing it again restores it, certificate included, from the undo.
    rig.b.apply(&add).await.unwrap();
    let with_key = rig.emu.snapshot();
    let applied = rig
        .b
        .apply(&Change::RemoveKey {
            target: target.clone(),
            key_id: credential.key_id.to_string(),
        })
        .await
        .unwrap();
    let Change::AddKey { key, .. } = &applied.undo else {
        panic!("{:?}", applied.undo)
    };
    assert!(key.is_some(), "the undo carries the certificate");
    let after = rig.emu.snapshot();
    let keys = |s: &TenantSnapshot| {
        s.applications
            .iter()
            .find(|a| a.id == app.id)
            .unwrap()
            .key_credentials
            .len()
    };
    assert_eq!(
        keys(&after),
        app.key_credentials.len(),
        "the other certificates stay"
    );
    rig.b.apply(&applied.undo).await.unwrap();
    assert_same_tenant(&rig.emu.snapshot(), &with_key);
    // Without the certificate there is nothing to upload.
    let err = rig
        .b
        .apply(&Change::AddKey {
            target,
            credential,
            key: None,
        })
        .await
        .unwrap_err();
    assert_eq!(credwise::cli::exit::of_error(&err), 2, "{err}");
}

#[tokio::test]
async fn existing_certificates_and_service_principal_certificates() {
    let rig = Rig::new().await;
    // An application's own certificate: removed, then put back from the undo with its key.
    let app = rig
        .original
        .applications
        .iter()
        .find(|a| !a.key_credentials.is_empty())
        .unwrap()
        .clone();
    let target = Target::Application(app.id.clone());
    let old = app.key_credentials[0].clone();
    rig.round_trip(
        Change::RemoveKey {
            target: target.clone(),
            key_id: old.key_id.to_string(),
        },
        |_| Check::CredentialAbsent {
            target: target.clone(),
            id: old.key_id.to_string(),
        },
        true,
    )
    .await;
    // A certificate on a service principal goes through the same PATCH (managed identities'
    // principals cannot be changed directly).
    let sp = rig
        .original
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == credwise::domain::ServicePrincipalType::Application)
        .unwrap()
        .clone();
    let target = Target::ServicePrincipal(sp.id.clone());
    let key_id = uuid::Uuid::new_v4().to_string();
    rig.round_trip(
        Change::AddKey {
            target: target.clone(),
            credential: KeyCredential {
                key_id: key_id.clone().into(),
                display_name: None,
                custom_key_identifier: None,
                key_type: None,
                usage: None,
                start_date_time: None,
                end_date_time: None,
            },
            key: Some(certificate()),
        },
        |_| Check::CredentialPresent {
            target: target.clone(),
            id: key_id.clone(),
        },
        true,
    )
    .await;
}

#[tokio::test]
async fn federated_credentials_on_apps_and_identities() {
    let rig = Rig::new().await;
    let app = rig
        .original
        .applications
        .iter()
        .find(|a| {
            a.federated_identity_credentials
                .iter()
                .any(|f| f.subject.is_some())
        })
        .unwrap()
        .clone();
    let uami = rig
        .original
        .user_assigned_identities
        .iter()
        .find(|u| !u.federated_identity_credentials.is_empty())
        .unwrap()
        .clone();
    for target in [
        Target::Application(app.id.clone()),
        Target::UserAssignedIdentity(uami.id.clone()),
    ] {
        let new = fic("credwise-test-main", "repo:contoso/new:ref:refs/heads/main");
        rig.round_trip(
            Change::AddFederatedCredential {
                target: target.clone(),
                credential: new.clone(),
            },
            |_| Check::CredentialPresent {
                target: target.clone(),
                id: new.name.clone(),
            },
            true,
        )
        .await;
    }
    // Removing existing ones: the undo re-creates them as they were.
    let old = app
        .federated_identity_credentials
        .iter()
        .find(|f| f.subject.is_some())
        .unwrap()
        .clone();
    let target = Target::Application(app.id.clone());
    rig.round_trip(
        Change::RemoveFederatedCredential {
            target: target.clone(),
            name: old.name.clone(),
        },
        |_| Check::CredentialAbsent {
            target: target.clone(),
            id: old.name.clone(),
        },
        false,
    )
    .await;
    let old = uami.federated_identity_credentials[0].clone();
    let target = Target::UserAssignedIdentity(uami.id.clone());
    let applied = rig
        .b
        .apply(&Change::RemoveFederatedCredential {
            target: target.clone(),
            name: old.name.clone(),
        })
        .await
        .unwrap();
    assert!(
        rig.b
            .check(&Check::CredentialAbsent {
                target: target.clone(),
                id: old.name.clone(),
            })
            .await
            .unwrap()
    );
    rig.b.apply(&applied.undo).await.unwrap();
    // (The app's FIC came back with a new id above.)
    assert_eq!(
        without_service_ids(rig.emu.snapshot()),
        without_service_ids(rig.original.clone())
    );
}

#[tokio::test]
async fn a_flexible_federated_credential_goes_through_beta() {
    let rig = Rig::new().await;
    let app = rig.original.applications[0].clone();
    let target = Target::Application(app.id.clone());
    let flexible = FederatedIdentityCredential {
        subject: None,
        claims_matching_expression: Some(
            "claims['sub'] matches 'repo:contoso/api:ref:refs/heads/*'".into(),
        ),
        ..fic("credwise-flexible", "unused")
    };
    let applied = rig
        .b
        .apply(&Change::AddFederatedCredential {
            target: target.clone(),
            credential: flexible.clone(),
        })
        .await
        .unwrap();
    assert!(
        rig.emu
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path_and_query.starts_with("/beta/applications/"))
    );
    // Removing it reads it back from beta, expression included, for the undo.
    let removed = rig.b.apply(&applied.undo).await.unwrap();
    let Change::AddFederatedCredential { credential, .. } = &removed.undo else {
        panic!("{:?}", removed.undo)
    };
    assert_eq!(
        credential.claims_matching_expression,
        flexible.claims_matching_expression
    );
    assert_same_tenant(&rig.emu.snapshot(), &rig.original);
}

#[tokio::test]
async fn user_assigned_identities_are_created_with_the_ids_azure_gives() {
    let rig = Rig::new().await;
    let sub = rig.original.user_assigned_identities[0]
        .subscription_id()
        .unwrap()
        .to_string();
    let planned = UserAssignedIdentity {
        id: format!(
            "/subscriptions/{sub}/resourceGroups/rg-credwise/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-credwise-test"
        ),
        name: "id-credwise-test".into(),
        location: Some("westeurope".into()),
        principal_id: "planned-principal".into(),
        client_id: "planned-client".into(),
        tenant_id: None,
        tags: Default::default(),
        federated_identity_credentials: vec![fic(
            "deploy-main",
            "repo:contoso/new:ref:refs/heads/main",
        )],
    };
    let create = Change::CreateUserAssignedIdentity {
        identity: planned.clone(),
    };
    let applied = rig.b.apply(&create).await.unwrap();
    let created = applied.created.clone().expect("the created identity");
    assert!(
        uuid::Uuid::parse_str(&created.principal_id).is_ok(),
        "{created:?}"
    );
    assert!(
        uuid::Uuid::parse_str(&created.client_id).is_ok(),
        "{created:?}"
    );
    assert_eq!(created.federated_identity_credentials.len(), 1);
    let now = rig.emu.snapshot();
    let held = now
        .user_assigned_identities
        .iter()
        .find(|u| u.id.eq_ignore_ascii_case(&planned.id))
        .unwrap();
    assert_eq!(held.principal_id, created.principal_id);
    assert_eq!(held.federated_identity_credentials.len(), 1);
    assert!(
        now.service_principals
            .iter()
            .any(|s| s.id == created.principal_id)
    );
    assert!(
        rig.b
            .check(&Check::UserAssignedIdentityPresent {
                id: planned.id.clone()
            })
            .await
            .unwrap()
    );
    // Creating it again is refused: the undo would delete what this change did not make.
    let err = rig.b.apply(&create).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    rig.b.apply(&applied.undo).await.unwrap();
    assert!(
        !rig.b
            .check(&Check::UserAssignedIdentityPresent { id: planned.id })
            .await
            .unwrap()
    );
    assert_same_tenant(&rig.emu.snapshot(), &rig.original);

    // Deleting an existing one: the undo creates it again, FICs included.
    let existing = rig
        .original
        .user_assigned_identities
        .iter()
        .find(|u| !u.federated_identity_credentials.is_empty())
        .unwrap()
        .clone();
    let applied = rig
        .b
        .apply(&Change::DeleteUserAssignedIdentity {
            id: existing.id.clone(),
        })
        .await
        .unwrap();
    assert!(
        !rig.emu
            .snapshot()
            .user_assigned_identities
            .iter()
            .any(|u| u.id == existing.id)
    );
    let back = rig.b.apply(&applied.undo).await.unwrap().created.unwrap();
    assert_eq!(back.name, existing.name);
    assert_eq!(
        back.federated_identity_credentials.len(),
        existing.federated_identity_credentials.len()
    );
}

#[tokio::test]
async fn role_assignments_are_added_and_removed() {
    let rig = Rig::new().await;
    let sp = rig.original.service_principals[0].clone();
    let sub = rig.original.user_assigned_identities[0]
        .subscription_id()
        .unwrap()
        .to_string();
    let assignment = RoleAssignment {
        id: "planned".into(),
        principal_id: sp.id.clone(),
        principal_type: Some("ServicePrincipal".into()),
        role_definition_id: format!(
            "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
        )
        .into(),
        role_definition_name: None,
        scope: format!("/subscriptions/{sub}/resourceGroups/rg-credwise").into(),
        ..Default::default()
    };
    rig.round_trip(
        Change::AddRoleAssignment {
            assignment: assignment.clone(),
        },
        |undo| match undo {
            Change::RemoveRoleAssignment { id } => Check::RoleAssignmentPresent { id: id.clone() },
            other => panic!("{other:?}"),
        },
        true,
    )
    .await;
    let existing = rig.original.role_assignments[0].clone();
    let applied = rig
        .b
        .apply(&Change::RemoveRoleAssignment {
            id: existing.id.clone(),
        })
        .await
        .unwrap();
    assert!(
        !rig.b
            .check(&Check::RoleAssignmentPresent {
                id: existing.id.clone()
            })
            .await
            .unwrap()
    );
    rig.b.apply(&applied.undo).await.unwrap();
    assert!(
        rig.b
            .check(&Check::RoleAssignmentPresent { id: existing.id })
            .await
            .unwrap()
    );
}

/// The body of the last logged request whose method is `method` and whose path contains
/// `path`, as JSON.
fn last_body(emu: &Emulator, method: &str, path: &str) -> serde_json::Value {
    let r = emu
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == method && r.path_and_query.contains(path))
        .unwrap_or_else(|| panic!("no {method} {path}"));
    serde_json::from_str(&r.body).unwrap()
}

/// Removing a role assignment narrowed by a condition, then undoing the removal, puts it
/// back with its condition, version and description: read back from the emulator.
#[tokio::test]
async fn the_undo_of_a_removed_conditioned_assignment_restores_its_condition() {
    use common::conditions::{CONTAINER_CONDITION, with_conditioned_assignment};
    let (tenant, original) = with_conditioned_assignment(demo(), |_| {});
    let rig = Rig::with(tenant).await;
    let applied = rig
        .b
        .apply(&Change::RemoveRoleAssignment {
            id: original.id.clone(),
        })
        .await
        .unwrap();
    let Change::AddRoleAssignment { assignment } = &applied.undo else {
        panic!("{:?}", applied.undo)
    };
    assert_eq!(assignment.condition.as_deref(), Some(CONTAINER_CONDITION));
    assert!(
        !rig.b
            .check(&Check::RoleAssignmentPresent {
                id: original.id.clone()
            })
            .await
            .unwrap()
    );
    rig.b.apply(&applied.undo).await.unwrap();
    let sent = last_body(&rig.emu, "PUT", "/roleAssignments/");
    assert_eq!(sent["properties"]["condition"], CONTAINER_CONDITION);
    assert_eq!(sent["properties"]["conditionVersion"], "2.0");
    assert_eq!(
        sent["properties"]["description"],
        original.description.as_deref().unwrap()
    );
    let back = rig
        .emu
        .snapshot()
        .role_assignments
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(&original.id))
        .expect("restored under its own id");
    assert_eq!(back.condition.as_deref(), Some(CONTAINER_CONDITION));
    assert_eq!(back.condition_version.as_deref(), Some("2.0"));
    assert_eq!(back.description, original.description);
    // A fresh load reads it with its condition too.
    let loaded = load(&rig.b).await.unwrap();
    let read = loaded
        .snapshot
        .role_assignments
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(&original.id))
        .unwrap();
    assert_eq!(read.condition.as_deref(), Some(CONTAINER_CONDITION));
    assert_same_tenant(&rig.emu.snapshot(), &rig.original);
}

/// An assignment ARM answers without the condition it was sent with grants more than asked:
/// credwise deletes it again and fails the change, saying so.
#[tokio::test]
async fn an_assignment_that_comes_back_without_its_condition_is_taken_away_again() {
    use common::conditions::{STORAGE_ACCOUNT, with_conditioned_assignment};
    let (tenant, original) = with_conditioned_assignment(demo(), |_| {});
    let rig = Rig::with(tenant).await;
    let mi = rig
        .original
        .service_principals
        .iter()
        .find(|s| s.display_name == "id-invoices-logic")
        .unwrap()
        .clone();
    let name = "0e4b6c2a-5d1f-4e3a-9b8c-7d6e5f4a3b2c";
    let copy = RoleAssignment {
        id: format!("{STORAGE_ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        principal_id: mi.id.clone(),
        ..original.clone()
    };
    // ARM stores it without the condition (as a version before conditions would).
    let answered = serde_json::json!({
        "id": copy.id,
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": copy.role_definition_id,
            "principalId": copy.principal_id,
            "principalType": "ServicePrincipal",
            "scope": copy.scope,
        }
    });
    rig.emu.inject(fault(
        "PUT",
        &format!("/roleAssignments/{name}"),
        status(201, answered.to_string()),
    ));
    let err = rig
        .b
        .apply(&Change::AddRoleAssignment {
            assignment: copy.clone(),
        })
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("without its condition"), "{text}");
    assert!(text.contains("removed again"), "{text}");
    assert!(
        rig.emu
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path_and_query.contains(name)),
        "the assignment is deleted again"
    );
    assert_same_tenant(&rig.emu.snapshot(), &rig.original);
}

/// A flexible federated credential on a user-assigned identity: a load shows its
/// expression, and removing it then undoing the removal puts it back, expression included,
/// all at the api-version whose schema has `claimsMatchingExpression`.
#[tokio::test]
async fn a_flexible_uami_credential_loads_with_its_expression_and_is_removed_and_restored() {
    let mut tenant = demo();
    let expression = "claims['sub'] matches 'system:serviceaccount:shipments:*'";
    let uami = tenant
        .user_assigned_identities
        .iter_mut()
        .find(|u| !u.federated_identity_credentials.is_empty())
        .unwrap();
    uami.federated_identity_credentials
        .push(FederatedIdentityCredential {
            id: None,
            name: "shipments-any".into(),
            issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/".into(),
            subject: None,
            claims_matching_expression: Some(expression.into()),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        });
    let uami_id = uami.id.clone();
    let rig = Rig::with(tenant).await;
    let loaded = load(&rig.b).await.unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let read = loaded
        .snapshot
        .user_assigned_identities
        .iter()
        .find(|u| u.id == uami_id)
        .unwrap()
        .federated_identity_credentials
        .iter()
        .find(|f| f.name == "shipments-any")
        .unwrap()
        .clone();
    assert_eq!(read.claims_matching_expression.as_deref(), Some(expression));
    assert_eq!(read.subject, None);
    assert_same_tenant(&loaded.snapshot, &rig.original);

    let target = Target::UserAssignedIdentity(uami_id.clone());
    let applied = rig
        .b
        .apply(&Change::RemoveFederatedCredential {
            target: target.clone(),
            name: "shipments-any".into(),
        })
        .await
        .unwrap();
    let Change::AddFederatedCredential { credential, .. } = &applied.undo else {
        panic!("{:?}", applied.undo)
    };
    assert_eq!(
        credential.claims_matching_expression.as_deref(),
        Some(expression)
    );
    assert!(
        rig.b
            .check(&Check::CredentialAbsent {
                target: target.clone(),
                id: "shipments-any".into(),
            })
            .await
            .unwrap()
    );
    rig.b.apply(&applied.undo).await.unwrap();
    let sent = last_body(
        &rig.emu,
        "PUT",
        "/federatedIdentityCredentials/shipments-any",
    );
    assert_eq!(
        sent["properties"]["claimsMatchingExpression"]["value"],
        expression
    );
    assert!(sent["properties"].get("subject").is_none(), "{sent}");
    assert_same_tenant(&rig.emu.snapshot(), &rig.original);
    // Every FIC call went to the preview, on the `federatedIdentityCredentials` path.
    let fic_calls: Vec<String> = rig
        .emu
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|p| p.contains("/userAssignedIdentities/") && p.contains("ederatedIdentity"))
        .collect();
    assert!(fic_calls.len() > 3, "{fic_calls:?}");
    for p in &fic_calls {
        assert!(p.contains("/federatedIdentityCredentials"), "{p}");
        assert!(p.contains("api-version=2025-01-31-preview"), "{p}");
    }
}

/// Resource Graph rows whose `identity` is not an object (a dynamic column) are skipped with
/// a warning that names them; the rest of the tenant, resources included, loads.
#[tokio::test]
async fn resource_graph_rows_that_cannot_be_read_are_skipped_with_a_warning() {
    let emu = Emulator::start(demo()).await;
    let sub = emu.snapshot().user_assigned_identities[0]
        .subscription_id()
        .unwrap()
        .to_string();
    let odd = |name: &str, identity: serde_json::Value| {
        serde_json::json!({
            "id": format!("/subscriptions/{sub}/resourceGroups/rg-odd/providers/Microsoft.Web/sites/{name}"),
            "name": name, "type": "microsoft.web/sites", "location": "westeurope",
            "subscriptionId": sub, "identity": identity,
        })
    };
    emu.add_resource_graph_row(odd("as-string", serde_json::json!("SystemAssigned")));
    emu.add_resource_graph_row(odd(
        "as-array",
        serde_json::json!([{"type": "SystemAssigned"}]),
    ));
    emu.add_resource_graph_row(odd("as-null", serde_json::Value::Null));
    emu.add_resource_graph_row(odd(
        "lower-case",
        serde_json::json!({"type": "systemassigned,userassigned", "principalId": "11111111-2222-4333-8444-555555555555", "userAssignedIdentities": {"/subscriptions/x/resourcegroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z": null}}),
    ));
    let b = backend(&emu);
    let loaded = load(&b).await.unwrap();
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.area == credwise::backend::Area::ResourceGraph)
        .expect("a warning about the skipped rows");
    for name in ["as-string", "as-array", "as-null"] {
        assert!(
            warning.message.contains(&format!("/sites/{name}")),
            "{}",
            warning.message
        );
    }
    assert!(
        warning.message.contains("3 row(s) skipped"),
        "{}",
        warning.message
    );
    // Everything else is there: the snapshot's resources and the readable odd row.
    let ids: Vec<&str> = loaded
        .snapshot
        .resources
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    for r in &emu.snapshot().resources {
        assert!(ids.contains(&r.id.as_str()), "{}", r.id);
    }
    let kept = loaded
        .snapshot
        .resources
        .iter()
        .find(|r| r.name == "lower-case")
        .unwrap();
    assert_eq!(kept.identity.identity_type, "SystemAssigned, UserAssigned");
    assert_eq!(kept.identity.user_assigned_identities.len(), 1);
    assert_eq!(loaded.snapshot.applications, emu.snapshot().applications);
}

#[tokio::test]
async fn a_post_answered_500_is_not_sent_again() {
    let rig = Rig::new().await;
    let app = rig.original.applications[0].clone();
    let add = Change::AddPassword {
        target: Target::Application(app.id.clone()),
        credential: PasswordCredential {
            key_id: "planned".into(),
            display_name: Some("x".into()),
            hint: None,
            start_date_time: None,
            end_date_time: None,
        },
    };
    let posts = |emu: &Emulator| {
        emu.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path_and_query.ends_with("/addPassword"))
            .count()
    };
    rig.emu.inject(fault(
        "POST",
        "/addPassword",
        status(500, emulator::graph_error("UnknownError", "Boom.")),
    ));
    let err = rig.b.apply(&add).await.unwrap_err();
    assert!(matches!(err, Error::Service { .. }), "{err:?}");
    assert_eq!(
        posts(&rig.emu),
        1,
        "a POST answered 500 may have happened: never repeated"
    );
    // A 429 means it did not happen: it is sent again after the wait.
    rig.emu.inject(fault(
        "POST",
        "/addPassword",
        FaultAction::Throttle {
            retry_after: "0.05".into(),
        },
    ));
    rig.b.apply(&add).await.unwrap();
    assert_eq!(posts(&rig.emu), 3);
}

#[tokio::test]
async fn writes_to_one_identity_are_serialised() {
    let emu = Emulator::start_with(
        demo(),
        Options {
            latency: Duration::from_millis(80),
            ..Options::default()
        },
    )
    .await;
    let b = backend(&emu);
    let uami = emu.snapshot().user_assigned_identities[0].clone();
    let target = Target::UserAssignedIdentity(uami.id.clone());
    let add = |n: &str| Change::AddFederatedCredential {
        target: target.clone(),
        credential: fic(n, &format!("system:serviceaccount:ns:{n}")),
    };
    let (one, two) = (add("first-one"), add("second-one"));
    let (a, c) = tokio::join!(b.apply(&one), b.apply(&two));
    a.unwrap();
    c.unwrap();
    assert!(emu.requests().iter().all(|r| r.status != 409));
}

#[tokio::test]
async fn changes_on_the_wrong_kind_of_object_are_refused_without_a_call() {
    let rig = Rig::new().await;
    let before = rig.emu.requests().len();
    let uami = Target::UserAssignedIdentity(rig.original.user_assigned_identities[0].id.clone());
    let sp = Target::ServicePrincipal(rig.original.service_principals[0].id.clone());
    for change in [
        Change::AddPassword {
            target: uami.clone(),
            credential: PasswordCredential {
                key_id: "k".into(),
                display_name: None,
                hint: None,
                start_date_time: None,
                end_date_time: None,
            },
        },
        Change::AddFederatedCredential {
            target: sp,
            credential: fic("abc", "x"),
        },
        Change::RemoveRoleAssignment {
            id: "https://evil.example/x".into(),
        },
    ] {
        let err = rig.b.apply(&change).await.unwrap_err();
        assert_eq!(credwise::cli::exit::of_error(&err), 2, "{change:?}: {err}");
    }
    assert_eq!(rig.emu.requests().len(), before);
}

// ---------------------------------------------------------------------------------------------
// Tokens: a fake credential, the real https URLs, and a transport that takes them to the
// emulator (reference/crates.md §1.6).

mod tokens {
    pub use crate::common::loopback::{FakeCredential, MARKER, token};

    use super::*;

    pub fn transport(emu: &Emulator) -> azure_core::http::Transport {
        crate::common::loopback::transport(&emu.base_url())
    }

    pub async fn rig() -> (Emulator, LiveBackend, Arc<FakeCredential>) {
        rig_with(demo(), 999).await
    }

    pub async fn rig_with(
        tenant: TenantSnapshot,
        page_size: u32,
    ) -> (Emulator, LiveBackend, Arc<FakeCredential>) {
        crate::common::loopback::signed_in(
            tenant,
            LiveConfig {
                retry: fast_retries(),
                graph_page_size: page_size,
                ..LiveConfig::new(Arc::new(|| NOW))
            },
        )
        .await
    }
}

#[tokio::test]
async fn the_token_goes_only_into_authorization_headers() {
    let (emu, b, credential) = tokens::rig().await;
    let loaded = load(&b).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    // One token per service, cached by the pipeline for the whole crawl.
    assert_eq!(
        credential.calls.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    let log = emu.requests();
    assert!(log.len() > 10);
    for r in &log {
        let auth: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(
            auth,
            [format!("Bearer {}", tokens::token())],
            "{}",
            r.path_and_query
        );
        for (k, v) in &r.headers {
            assert!(k == "authorization" || !v.contains(tokens::MARKER), "{k}");
        }
        assert!(!r.path_and_query.contains(tokens::MARKER));
        assert!(!r.body.contains(tokens::MARKER));
    }
    for item in emu.batch_items() {
        assert!(!format!("{item:?}").contains(tokens::MARKER));
    }
    // Nor in the snapshot, its Debug, the backend's Debug or the signed-in principal.
    let json = serde_json::to_string(&*loaded.snapshot).unwrap();
    assert!(!json.contains(tokens::MARKER));
    assert!(!format!("{loaded:?}{b:?}").contains(tokens::MARKER));
    let who = b.signed_in_principal().await.unwrap();
    assert_eq!(
        who,
        "application 11112222-3333-4444-5555-666677778888 (0b1c2d3e-0000-4000-8000-00000000c0de)"
    );
    assert!(!who.contains(tokens::MARKER));
}

#[tokio::test]
async fn no_error_message_carries_the_token() {
    let (emu, b, _) = tokens::rig().await;
    let mut errors = Vec::new();
    for action in [
        status(
            403,
            emulator::graph_error("Authorization_RequestDenied", "Insufficient privileges."),
        ),
        status(500, emulator::graph_error("UnknownError", "Boom.")),
        FaultAction::Truncate,
        FaultAction::Throttle {
            retry_after: "0.01".into(),
        },
    ] {
        emu.inject(fault("GET", "/v1.0/applications", action).always());
        errors.push(load(&b).await.unwrap_err());
        emu.clear_faults();
    }
    // A write that fails, too.
    emu.inject(fault(
        "POST",
        "/addPassword",
        status(400, emulator::graph_error("Request_BadRequest", "No.")),
    ));
    let app = emu.snapshot().applications[0].id.clone();
    errors.push(
        b.apply(&Change::AddPassword {
            target: Target::Application(app),
            credential: PasswordCredential {
                key_id: "k".into(),
                display_name: None,
                hint: None,
                start_date_time: None,
                end_date_time: None,
            },
        })
        .await
        .unwrap_err(),
    );
    for e in &errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(tokens::MARKER), "{text}");
    }
}

#[tokio::test]
async fn an_expired_token_mid_crawl_is_replaced() {
    let (emu, b, credential) = tokens::rig().await;
    emu.inject(fault("GET", "/v1.0/servicePrincipals", FaultAction::Unauthorized).skip(1));
    let loaded = load(&b).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    // The 401 dropped the cached Graph token; the retry fetched a fresh one.
    assert_eq!(
        credential.calls.load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    // A 401 that persists is an error, after one refresh.
    emu.inject(fault("GET", "/v1.0/servicePrincipals", FaultAction::Unauthorized).always());
    let err = load(&b).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_that_expires_deep_in_a_long_list_costs_one_page_again() {
    // 80 service principals in pages of 7; the token expires at the fifth page.
    let (emu, b, credential) = tokens::rig_with(generated(45, 80), 7).await;
    emu.inject(
        fault("GET", "/v1.0/servicePrincipals", FaultAction::Unauthorized)
            .skip(5)
            .times(1),
    );
    let loaded = load(&b).await.unwrap();
    assert_same_tenant(&loaded.snapshot, &emu.snapshot());
    assert_eq!(
        credential.calls.load(std::sync::atomic::Ordering::Relaxed),
        3,
        "one fresh Graph token"
    );
    let log = emu.requests();
    let sp_pages: Vec<&emulator::LoggedRequest> = log
        .iter()
        .filter(|r| r.path_and_query.starts_with("/v1.0/servicePrincipals?"))
        .collect();
    let refused: Vec<_> = sp_pages.iter().filter(|r| r.status == 401).collect();
    assert_eq!(refused.len(), 1);
    // The pages read before the 401 were kept: only the refused page was asked for again.
    let read: Vec<&str> = sp_pages
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.path_and_query.as_str())
        .collect();
    assert_eq!(read.len(), 80usize.div_ceil(7));
    let unique: std::collections::HashSet<&str> = read.iter().copied().collect();
    assert_eq!(unique.len(), read.len(), "a page was read twice");
    assert!(unique.contains(refused[0].path_and_query.as_str()));
}

#[tokio::test]
async fn when_no_credential_works_the_error_says_what_was_tried() {
    use credwise::backend::live::auth::{Chain, Link, Source};

    #[derive(Debug)]
    struct NotSignedIn;

    #[async_trait::async_trait]
    impl azure_core::credentials::TokenCredential for NotSignedIn {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "ERROR: Please run 'az login' to setup account.",
            ))
        }
    }

    let (emu, _, _) = tokens::rig().await;
    let chain = Chain::new(
        vec![
            Link {
                name: "workload identity",
                source: Source::Skipped(
                    "AZURE_FEDERATED_TOKEN_FILE and AZURE_CLIENT_ID not set".into(),
                ),
            },
            Link {
                name: "Azure CLI",
                source: Source::Ready(Arc::new(NotSignedIn)),
            },
        ],
        Duration::from_secs(1),
        vec![
            "run `az login` and try again".into(),
            "or run `credwise --demo`".into(),
        ],
    );
    let b = LiveBackend::new(LiveConfig {
        auth: AuthMode::Auto,
        credential: Some(Arc::new(chain)),
        transport: Some(tokens::transport(&emu)),
        retry: fast_retries(),
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap();
    let err = load(&b).await.unwrap_err();
    // The chain's failure comes out of the pipeline whole, for the sign-in screen.
    let Error::SignIn(f) = &err else {
        panic!("not a sign-in failure: {err:?}");
    };
    assert_eq!(f.resource, "https://graph.microsoft.com");
    let tried: Vec<(&str, bool)> = f
        .tried
        .iter()
        .map(|a| (a.source.as_str(), a.skipped))
        .collect();
    assert_eq!(tried, [("workload identity", true), ("Azure CLI", false)]);
    assert_eq!(credwise::cli::exit::of_error(&err), 3);
    let text = err.to_string();
    for want in [
        "workload identity  skipped: AZURE_FEDERATED_TOKEN_FILE and AZURE_CLIENT_ID not set",
        "Azure CLI          failed: ERROR: Please run 'az login' to setup account.",
        "  - or run `credwise --demo`",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    // Nothing was sent without a token.
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn a_tenant_that_cannot_be_reached_fails_in_seconds_not_minutes() {
    // A port nothing listens on: every connection is refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let b = LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(format!("http://127.0.0.1:{port}/v1.0")),
        arm_url: Some(format!("http://127.0.0.1:{port}")),
        // The shipped retry settings: two connection retries, then the error.
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap();
    let started = Instant::now();
    let err = load(&b).await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err}");
    assert!(
        err.to_string().contains("Connection refused")
            && err.to_string().contains("cannot connect"),
        "{err}"
    );
    // Before the cap a refused connection was retried for a minute and a half.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_cache_remembers_a_live_load_and_holds_no_token() {
    let (emu, b, _) = tokens::rig().await;
    let dir = tempfile::tempdir().unwrap();
    let slot = credwise::store::cache::CacheSlot::new(dir.path(), &["public", "signed-in", "t"]);
    let source = credwise::jobs::load::Source {
        backend: Arc::new(b),
        cache: Some(slot.clone()),
    };
    let loaded = credwise::jobs::load::fetch(&source, &Progress::silent())
        .await
        .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let cached = slot.read().unwrap().expect("a cached snapshot");
    assert_same_tenant(&cached, &emu.snapshot());
    let bytes = std::fs::read_to_string(slot.path()).unwrap();
    assert!(
        !bytes.contains(tokens::MARKER),
        "the token reached the cache"
    );
    assert!(
        !bytes.contains("eyJhbGciOiJSUzI1NiJ9"),
        "a JWT reached the cache"
    );
    for secret in emu.secret_texts() {
        assert!(!bytes.contains(&secret));
    }
}
