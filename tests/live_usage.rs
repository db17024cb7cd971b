//! Sign-in evidence from a live tenant (`Backend::load_usage`) against the emulator's reports
//! and sign-in log: last use per credential from each source, the licence and permission
//! errors as "unknown" with their reason (never a false "unused"), the fallback from the
//! reports to the log, pacing that never draws a 429 and riding out one that comes anyway,
//! per-page progress, cancellation, a page budget that shrinks the log's window truthfully,
//! and clouds without the reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::{Duration, Instant};

use credwise::backend::live::usage::Pace;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::{Backend, Error, Progress, UsageRequest};
use credwise::domain::credential::{
    CredentialRef, CredentialType, FederatedIdentityCredential, KeyCredential, PasswordCredential,
};
use credwise::domain::usage::{
    Evidence, SourceOutcome, Unknown, Unused, UsageData, UsageIndex, UsageSource,
};
use credwise::domain::{
    Application, Cloud, ServicePrincipal, ServicePrincipalType, TenantSnapshot, Timestamp,
};
use emulator::{Access, Emulator, Options, SignIn, SignInOptions};
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);
const APP: &str = "11111111-0000-4000-8000-00000000a001";
const APP_OBJECT: &str = "11111111-0000-4000-8000-00000000b001";
const SP: &str = "11111111-0000-4000-8000-00000000c001";
const USED: &str = "22222222-0000-4000-8000-000000000001";
const IDLE: &str = "22222222-0000-4000-8000-000000000002";
const CERT: &str = "22222222-0000-4000-8000-000000000003";
const FIC_ID: &str = "33333333-0000-4000-8000-000000000001";
/// The emulator's window and the client's pace in tests: five per 300 ms.
const WINDOW: Duration = Duration::from_millis(300);

fn days_ago(d: i64) -> Timestamp {
    NOW - time::Duration::days(d)
}

fn secret(key: &str, start_days_ago: i64) -> PasswordCredential {
    PasswordCredential {
        key_id: key.into(),
        display_name: Some(format!("secret {}", &key[key.len() - 1..])),
        hint: None,
        start_date_time: Some(days_ago(start_days_ago)),
        end_date_time: Some(NOW + time::Duration::days(300)),
    }
}

fn tenant() -> TenantSnapshot {
    let mut s = TenantSnapshot::empty("72f98800-0000-4000-8000-000000000001", NOW);
    s.applications.push(Application {
        id: APP_OBJECT.into(),
        app_id: APP.into(),
        display_name: "payroll-api".into(),
        sign_in_audience: Some("AzureADMyOrg".into()),
        publisher_domain: None,
        created_date_time: Some(days_ago(500)),
        password_credentials: vec![secret(USED, 200), secret(IDLE, 200)],
        key_credentials: vec![KeyCredential {
            key_id: CERT.into(),
            display_name: Some("CN=payroll".into()),
            custom_key_identifier: Some("52ED9B5038A47B9E2E2190715CC238359D4F8F73".into()),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
            start_date_time: Some(days_ago(100)),
            end_date_time: Some(NOW + time::Duration::days(200)),
        }],
        federated_identity_credentials: vec![FederatedIdentityCredential {
            id: Some(FIC_ID.into()),
            name: "github-main".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: Some("repo:contoso/payroll:ref:refs/heads/main".into()),
            claims_matching_expression: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }],
        odata_type: None,
    });
    s.service_principals.push(ServicePrincipal {
        id: SP.into(),
        app_id: APP.into(),
        display_name: "payroll-api".into(),
        service_principal_type: ServicePrincipalType::Application,
        alternative_names: vec![],
        account_enabled: Some(true),
        app_owner_organization_id: None,
        password_credentials: vec![],
        key_credentials: vec![],
        tags: vec![],
        odata_type: None,
    });
    s
}

fn sign_in(at: Timestamp, key: Option<&str>, fic: Option<&str>, ok: bool) -> SignIn {
    SignIn {
        id: uuid::Uuid::new_v4().to_string(),
        at,
        app_id: APP.into(),
        service_principal_id: SP.into(),
        key_id: key.map(str::to_string),
        thumbprint: (key == Some(CERT)).then(|| "52ED9B5038A47B9E2E2190715CC238359D4F8F73".into()),
        federated_credential_id: fic.map(str::to_string),
        client_credential_type: match (key, fic) {
            (Some(CERT), _) => "certificate",
            (Some(_), _) => "clientSecret",
            _ => "federatedIdentityCredential",
        }
        .into(),
        error_code: if ok { 0 } else { 7_000_222 },
    }
}

fn options(sign_ins: SignInOptions) -> Options {
    Options {
        sign_ins,
        ..Options::default()
    }
}

fn fast(limit: usize) -> SignInOptions {
    SignInOptions {
        limit: Some((limit, WINDOW)),
        ..SignInOptions::default()
    }
}

async fn emulator_with(sign_ins: SignInOptions) -> Emulator {
    let emu = Emulator::start_with(tenant(), options(sign_ins)).await;
    emu.record_sign_in(sign_in(days_ago(3), Some(USED), None, true));
    emu.record_sign_in(sign_in(days_ago(45), Some(USED), None, true));
    emu.record_sign_in(sign_in(days_ago(40), Some(CERT), None, true));
    emu.record_sign_in(sign_in(days_ago(1), None, Some(FIC_ID), true));
    emu
}

fn backend(emu: &Emulator, pace: Pace, cloud: Cloud) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        cloud,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: RetrySettings {
            max_retries: 6,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(400),
            max_total_wait: Duration::from_secs(10),
            try_timeout: Duration::from_secs(5),
            ..RetrySettings::default()
        },
        usage_pace: pace,
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

fn pace(requests: u32) -> Pace {
    Pace {
        requests,
        per: WINDOW,
    }
}

async fn usage(b: &LiveBackend, request: &UsageRequest) -> UsageData {
    b.load_usage(request, &Progress::silent()).await.unwrap()
}

/// The evidence for each credential of the tenant, by name.
fn evidence(data: &UsageData) -> [(&'static str, Evidence); 4] {
    let t = tenant();
    let app = &t.applications[0];
    let ix = UsageIndex::new(data);
    [
        (
            "used secret",
            ix.credential(CredentialRef::Secret(&app.password_credentials[0])),
        ),
        (
            "idle secret",
            ix.credential(CredentialRef::Secret(&app.password_credentials[1])),
        ),
        (
            "certificate",
            ix.credential(CredentialRef::Certificate(&app.key_credentials[0])),
        ),
        (
            "federated",
            ix.credential(CredentialRef::Federated(
                &app.federated_identity_credentials[0],
            )),
        ),
    ]
}

fn statuses(emu: &Emulator, path: &str) -> Vec<u16> {
    emu.requests()
        .iter()
        .filter(|r| r.path_and_query.contains(path))
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn last_use_shows_per_credential_from_each_source() {
    let emu = emulator_with(fast(5)).await;
    let b = backend(&emu, pace(5), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    assert_eq!(data.collected_at, Some(NOW));
    for s in UsageSource::ALL {
        assert!(
            matches!(data.source(s).unwrap().outcome, SourceOutcome::Read { .. }),
            "{s:?}: {:?}",
            data.source(s)
        );
    }
    let [used, idle, cert, fic] = evidence(&data);
    // The credential report gives the latest sign-in, with the credential's origin.
    assert_eq!(used.1.last_sign_in(), Some(days_ago(3)), "{used:?}");
    assert_eq!(
        used.1.describe(NOW),
        "last sign-in 3d ago (the credential sign-in report, on the application)"
    );
    // Never used in the 30 days of the log: idle for 30 days, unknown beyond.
    assert_eq!(idle.1.unused_for(30), Unused::Yes { days: 30 }, "{idle:?}");
    assert_eq!(
        idle.1.unused_for(90),
        Unused::Unknown(Unknown::Window { covered_days: 30 })
    );
    assert_eq!(cert.1.last_sign_in(), Some(days_ago(40)), "{cert:?}");
    assert_eq!(cert.1.unused_for(30), Unused::Yes { days: 40 });
    // Federated credentials are named by the log only (`federatedCredentialId`).
    assert_eq!(fic.1.last_sign_in(), Some(days_ago(1)), "{fic:?}");
    assert_eq!(fic.1.source(), Some(UsageSource::SignInLog));
    let ix = UsageIndex::new(&data);
    assert_eq!(ix.identity(APP).last_sign_in(), Some(days_ago(1)));
    // The log is asked for 30 days of service principal sign-ins, in beta.
    let log = emu
        .requests()
        .into_iter()
        .find(|r| r.path_and_query.contains("/auditLogs/signIns"))
        .unwrap();
    assert!(log.path_and_query.starts_with("/beta/auditLogs/signIns?$filter=createdDateTime%20ge%202026-10-23T12:00:00Z%20and%20signInEventTypes/any(t:%20t%20eq%20%27servicePrincipal%27)"), "{}", log.path_and_query);
}

#[tokio::test]
async fn a_tenant_without_the_licence_shows_unknown_with_the_reason_and_no_false_unused() {
    let emu = emulator_with(SignInOptions {
        credential_report: Access::NoLicence,
        service_principal_report: Access::NoLicence,
        sign_in_log: Access::NoLicence,
        ..fast(5)
    })
    .await;
    let b = backend(&emu, pace(5), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    for s in UsageSource::ALL {
        assert_eq!(
            data.source(s).unwrap().outcome,
            SourceOutcome::Unavailable {
                unknown: Unknown::Licence {
                    requirement: "Microsoft Entra ID P1 or P2".into()
                }
            }
        );
    }
    for (name, e) in evidence(&data) {
        assert_eq!(
            e.describe(NOW),
            "unknown: needs a Microsoft Entra ID P1 or P2 licence",
            "{name}"
        );
        for days in [0, 1, 30, 90, 365] {
            assert!(
                matches!(e.unused_for(days), Unused::Unknown(Unknown::Licence { .. })),
                "{name} {days}"
            );
        }
    }
    assert!(statuses(&emu, "/reports/").iter().all(|s| *s == 403));
}

#[tokio::test]
async fn a_missing_permission_is_named() {
    let emu = emulator_with(SignInOptions {
        credential_report: Access::NoPermission,
        service_principal_report: Access::NoPermission,
        sign_in_log: Access::NoPermission,
        ..fast(5)
    })
    .await;
    let b = backend(&emu, pace(5), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    for (name, e) in evidence(&data) {
        assert_eq!(
            e.describe(NOW),
            "unknown: needs AuditLog.Read.All",
            "{name}"
        );
    }
}

#[tokio::test]
async fn without_the_reports_the_log_still_answers() {
    let emu = emulator_with(SignInOptions {
        credential_report: Access::Missing,
        service_principal_report: Access::NoRole,
        ..fast(5)
    })
    .await;
    let b = backend(&emu, pace(5), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    assert!(matches!(
        &data.source(UsageSource::CredentialReport).unwrap().outcome,
        SourceOutcome::Unavailable { unknown: Unknown::Failed { message } } if message.contains("appCredentialSignInActivities")
    ));
    assert!(matches!(
        &data.source(UsageSource::ServicePrincipalReport).unwrap().outcome,
        SourceOutcome::Unavailable { unknown: Unknown::MissingPermission { permission } } if permission.contains("Reports Reader")
    ));
    let [used, idle, cert, _] = evidence(&data);
    assert_eq!(used.1.last_sign_in(), Some(days_ago(3)));
    assert_eq!(used.1.source(), Some(UsageSource::SignInLog));
    assert_eq!(idle.1.unused_for(30), Unused::Yes { days: 30 });
    // 40 days ago is outside the log's 30 days: the log cannot name it, so it is idle for
    // the 30 days it covers and no more is claimed.
    assert_eq!(cert.1.idle_days(), Some(30), "{cert:?}");
}

/// Whether some `window` of the times holds more than `limit` of them.
fn over(times: &[Instant], limit: usize, window: Duration) -> Option<usize> {
    (0..times.len()).find(|&i| {
        times[i..]
            .iter()
            .take_while(|t| t.duration_since(times[i]) < window)
            .count()
            > limit
    })
}

#[tokio::test]
async fn paced_requests_never_draw_a_429() {
    let emu = emulator_with(SignInOptions {
        log_page: 2,
        report_page: 1,
        ..fast(5)
    })
    .await;
    for d in 0..20 {
        emu.record_sign_in(sign_in(days_ago(d), Some(USED), None, true));
    }
    let b = backend(&emu, pace(5), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    let requests: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| {
            r.path_and_query.contains("/reports/") || r.path_and_query.contains("/auditLogs/")
        })
        .collect();
    // 2 + 1 report pages and 11 log pages (22 sign-ins in 30 days, 2 per page).
    assert_eq!(
        requests.len(),
        14,
        "{:?}",
        requests
            .iter()
            .map(|r| &r.path_and_query)
            .collect::<Vec<_>>()
    );
    assert!(requests.iter().all(|r| r.status == 200));
    let times: Vec<Instant> = requests.iter().map(|r| r.at).collect();
    assert_eq!(over(&times, 5, WINDOW), None);
    assert!(matches!(
        data.source(UsageSource::SignInLog).unwrap().outcome,
        SourceOutcome::Read {
            pages: 11,
            partial: false,
            ..
        }
    ));
}

#[tokio::test]
async fn a_429_that_comes_anyway_is_ridden_out() {
    let emu = emulator_with(SignInOptions {
        log_page: 1,
        ..fast(2)
    })
    .await;
    // The client believes in ten per window; the service allows two.
    let b = backend(&emu, pace(10), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    let statuses = statuses(&emu, "/auditLogs/signIns");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.ends_with(&[200]));
    let [used, _, _, fic] = evidence(&data);
    assert_eq!(used.1.last_sign_in(), Some(days_ago(3)));
    assert_eq!(fic.1.last_sign_in(), Some(days_ago(1)));
    assert!(matches!(
        data.source(UsageSource::SignInLog).unwrap().outcome,
        SourceOutcome::Read { partial: false, .. }
    ));
}

#[tokio::test]
async fn progress_is_reported_per_page() {
    let emu = emulator_with(SignInOptions {
        log_page: 1,
        ..fast(50)
    })
    .await;
    let b = backend(&emu, pace(50), Cloud::Public);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let progress = Progress::new(tx, tokio_util::sync::CancellationToken::new());
    b.load_usage(&UsageRequest::default(), &progress)
        .await
        .unwrap();
    drop(progress);
    let mut log = Vec::new();
    while let Some(e) = rx.recv().await {
        if e.stage == "sign-ins: log" {
            log.push(e.done);
        }
    }
    // A start, then one report per page (2 sign-ins in 30 days, one per page).
    assert_eq!(log, [0, 1, 2]);
}

#[tokio::test]
async fn cancelling_stops_the_load() {
    let emu = emulator_with(SignInOptions {
        log_page: 1,
        ..fast(1000)
    })
    .await;
    for d in 0..30 {
        emu.record_sign_in(sign_in(days_ago(d), Some(USED), None, true));
    }
    // One request per second: the log alone would take half a minute.
    let b = backend(
        &emu,
        Pace {
            requests: 1,
            per: Duration::from_secs(1),
        },
        Cloud::Public,
    );
    let cancel = tokio_util::sync::CancellationToken::new();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let progress = Progress::new(tx, cancel.clone());
    let started = Instant::now();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stop.cancel();
    });
    let r = b.load_usage(&UsageRequest::default(), &progress).await;
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let sent = emu.requests().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        emu.requests().len(),
        sent,
        "nothing is sent after the cancel"
    );
}

#[tokio::test]
async fn a_page_budget_ends_the_window_where_the_read_stopped() {
    let emu = emulator_with(SignInOptions {
        log_page: 2,
        ..fast(50)
    })
    .await;
    emu.record_sign_in(sign_in(days_ago(10), Some(USED), None, true));
    let b = backend(&emu, pace(50), Cloud::Public);
    let data = usage(
        &b,
        &UsageRequest {
            max_log_pages: 1,
            ..UsageRequest::default()
        },
    )
    .await;
    // Newest first: the one page holds the sign-ins of 1 and 3 days ago.
    assert_eq!(
        data.source(UsageSource::SignInLog).unwrap().outcome,
        SourceOutcome::Read {
            covers_from: Some(days_ago(3)),
            pages: 1,
            partial: true
        }
    );
    let [_, idle, _, _] = evidence(&data);
    assert_eq!(idle.1.idle_days(), Some(3));
    assert_eq!(
        idle.1.unused_for(30),
        Unused::Unknown(Unknown::Window { covered_days: 3 })
    );
}

#[tokio::test]
async fn clouds_without_the_reports_are_not_asked_for_them() {
    let emu = emulator_with(fast(50)).await;
    let b = backend(&emu, pace(50), Cloud::Usgov);
    let data = usage(&b, &UsageRequest::default()).await;
    assert!(statuses(&emu, "/reports/").is_empty());
    assert_eq!(
        data.source(UsageSource::CredentialReport).unwrap().outcome,
        SourceOutcome::Unavailable {
            unknown: Unknown::Cloud {
                cloud: Cloud::Usgov
            }
        }
    );
    let [used, ..] = evidence(&data);
    assert_eq!(used.1.source(), Some(UsageSource::SignInLog));
}

#[tokio::test]
async fn a_failed_sign_in_keeps_a_credential_from_looking_unused() {
    let emu = emulator_with(fast(50)).await;
    emu.record_sign_in(sign_in(days_ago(2), Some(IDLE), None, false));
    let b = backend(&emu, pace(50), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    let [_, idle, _, _] = evidence(&data);
    assert!(matches!(idle.1, Evidence::Failing { .. }), "{idle:?}");
    assert_eq!(idle.1.unused_for(30), Unused::No);
}

#[tokio::test]
async fn a_generated_tenant_loads_every_fact_at_the_page_count_its_pages_give() {
    use credwise_test_kit::tenant::{TenantSpec, add_usage, generate_tenant};
    let mut t = generate_tenant(
        &TenantSpec {
            applications: 400,
            service_principals: 800,
            credentials: 1600,
            seed: 11,
        },
        NOW,
    );
    add_usage(&mut t, NOW, 11);
    let report_items = t
        .usage
        .credentials
        .iter()
        .filter(|c| c.source == UsageSource::CredentialReport)
        .count();
    let fic_items = t.usage.credentials.len() - report_items;
    let emu = Emulator::start_with(t.clone(), options(fast(50))).await;
    let b = backend(&emu, pace(50), Cloud::Public);
    let data = usage(&b, &UsageRequest::default()).await;
    let got_report = data
        .credentials
        .iter()
        .filter(|c| c.source == UsageSource::CredentialReport)
        .count();
    assert_eq!(got_report, report_items);
    let got_fics = data
        .credentials
        .iter()
        .filter(|c| c.credential_type == CredentialType::Federated)
        .count();
    assert_eq!(got_fics, fic_items);
    // Pages of 100 for the reports, 1,000 for the log: the request count is what they give.
    let pages = |n: usize, size: usize| n.div_ceil(size).max(1);
    let identities = data
        .identities
        .iter()
        .filter(|i| i.source == UsageSource::ServicePrincipalReport)
        .count();
    let log_entries: usize = emu
        .sign_ins()
        .iter()
        .filter(|e| (NOW - e.at).whole_days() < 30)
        .count();
    let expected = pages(report_items, 100) + pages(identities, 100) + pages(log_entries, 1000);
    let sent = emu
        .requests()
        .iter()
        .filter(|r| {
            r.path_and_query.contains("/reports/") || r.path_and_query.contains("/auditLogs/")
        })
        .count();
    assert_eq!(
        sent, expected,
        "{report_items} report items, {identities} identities, {log_entries} log entries"
    );
}
