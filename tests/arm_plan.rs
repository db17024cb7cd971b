//! ARM planned per subscription (issue #13, item 3) against the emulator: a tenant over
//! several subscriptions, one of which holds many user-assigned identities. Each
//! subscription's federated-credential lists are paced in its own bucket, so the big one —
//! held to its bucket's refill — draws no 429 and holds none of the small ones back, and
//! the subscriptions are read side by side rather than four requests at a time. Request
//! counts in flight are read from the emulator's log (arrival and answer of each request),
//! never from timings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use credwise::backend::live::{
    AuthMode, LiveBackend, LiveConfig, PaceSettings, PacedApi, RetrySettings,
};
use credwise::backend::{Backend, Progress, Scope};
use credwise::domain::{
    FederatedIdentityCredential, SnapshotSource, TenantSnapshot, Timestamp, UserAssignedIdentity,
};
use emulator::{CostModel, Emulator, LoggedRequest, Options, ThrottleBudget, peak_in_flight};
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);
const TENANT: &str = "11111111-2222-4333-8444-555555555555";
/// Sorts first among the subscriptions, so the old plan (one queue over every identity, in
/// subscription order) put all of its identities ahead of the others'.
const BIG: &str = "00000000-0000-4000-8000-00000000b16b";
const SMALL: [&str; 3] = [
    "10000000-0000-4000-8000-000000000001",
    "20000000-0000-4000-8000-000000000002",
    "30000000-0000-4000-8000-000000000003",
];
const BIG_IDENTITIES: usize = 500;
const SMALL_IDENTITIES: usize = 6;
/// The emulator's read bucket per subscription: 20 tokens, 250 a second (ARM's is 250 and
/// 25: the same shape, ten times faster to drain and refill).
const BUCKET: f64 = 20.0;
const REFILL: f64 = 250.0;

fn identity(sub: &str, i: usize) -> UserAssignedIdentity {
    let n = format!("{:012x}", i + 1);
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/rg-work/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{i}"
    );
    UserAssignedIdentity {
        id,
        name: format!("id-{i}"),
        location: Some("westeurope".into()),
        principal_id: format!("{}-0000-4000-8000-{n}", &sub[..8]),
        client_id: format!("{}-0000-4000-9000-{n}", &sub[..8]),
        tenant_id: Some(TENANT.into()),
        tags: BTreeMap::new(),
        federated_identity_credentials: vec![FederatedIdentityCredential {
            id: None,
            name: "aks".into(),
            issuer: "https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/".into(),
            subject: Some(format!("system:serviceaccount:work:svc-{i}")),
            claims_matching_expression: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }],
    }
}

fn tenant() -> TenantSnapshot {
    let mut t = TenantSnapshot::empty(TENANT.to_string(), NOW);
    t.source = SnapshotSource::Live;
    t.user_assigned_identities = (0..BIG_IDENTITIES)
        .map(|i| identity(BIG, i))
        .chain(
            SMALL
                .iter()
                .flat_map(|s| (0..SMALL_IDENTITIES).map(move |i| identity(s, i))),
        )
        .collect();
    t
}

fn budget() -> ThrottleBudget {
    ThrottleBudget {
        arm_reads: BUCKET,
        arm_reads_per_second: REFILL,
        ..ThrottleBudget::graph_s_tier()
    }
}

fn fast_retries() -> RetrySettings {
    RetrySettings {
        max_retries: 6,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_total_wait: Duration::from_secs(20),
        try_timeout: Duration::from_secs(20),
        max_connection_retries: 2,
        ..RetrySettings::default()
    }
}

/// A FIC list of one identity.
fn is_fic_list(r: &LoggedRequest) -> bool {
    r.path_and_query
        .to_ascii_lowercase()
        .contains("/federatedidentitycredentials?")
}

async fn load(arm_pace: PaceSettings) -> (Emulator, credwise::backend::Loaded) {
    let emu = Emulator::start_with(
        tenant(),
        Options {
            throttle: Some(budget()),
            // Every ARM request takes 20 ms: the cost model at a fifth of real time.
            cost: Some(CostModel::scaled(0.2)),
            ..Options::default()
        },
    )
    .await;
    let b = LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: fast_retries(),
        arm_pace,
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap();
    let loaded = b
        .load(&Scope::default(), &Progress::silent())
        .await
        .unwrap();
    (emu, loaded)
}

fn check_plan(emu: &Emulator, loaded: &credwise::backend::Loaded) {
    // Everything read: every identity with its credential.
    let uamis = &loaded.snapshot.user_assigned_identities;
    assert_eq!(uamis.len(), BIG_IDENTITIES + 3 * SMALL_IDENTITIES);
    assert!(
        uamis
            .iter()
            .all(|u| u.federated_identity_credentials.len() == 1)
    );
    let arm: Vec<LoggedRequest> = emu
        .requests()
        .into_iter()
        .filter(|r| {
            !r.path_and_query.starts_with("/v1.0") && !r.path_and_query.starts_with("/beta")
        })
        .collect();
    // No 429 from any bucket: the big subscription was held to its refill.
    let throttled: Vec<&str> = arm
        .iter()
        .filter(|r| r.status == 429)
        .map(|r| r.path_and_query.as_str())
        .collect();
    assert!(throttled.is_empty(), "{throttled:#?}");
    let fics = |sub: &str| -> Vec<&LoggedRequest> {
        arm.iter()
            .filter(|r| is_fic_list(r) && r.subscription().as_deref() == Some(sub))
            .collect()
    };
    let big = fics(BIG);
    assert_eq!(
        big.len(),
        BIG_IDENTITIES,
        "one FIC list per identity, none again"
    );
    // The small subscriptions were not queued behind the big one: each of them had its
    // FIC lists sent before a quarter of the big one's had arrived (one queue in
    // subscription order sent them after more than 240 of them).
    for sub in SMALL {
        let first = fics(sub).iter().map(|r| r.at).min().expect("a FIC list");
        let before = big.iter().filter(|r| r.at < first).count();
        assert!(
            before < BIG_IDENTITIES / 4,
            "subscription {sub} waited behind {before} of the big subscription's reads"
        );
    }
    // Side by side, not four at a time: more than four ARM requests were answered at once,
    // the big subscription alone had more than four in flight, and never more than its
    // queue.
    let all_fics: Vec<&LoggedRequest> = arm.iter().filter(|r| is_fic_list(r)).collect();
    assert!(peak_in_flight(all_fics.iter().copied()) > 4);
    let big_peak = peak_in_flight(big.iter().copied());
    assert!(
        big_peak > 4 && big_peak <= LiveConfig::new(Arc::new(|| NOW)).arm_per_subscription,
        "{big_peak}"
    );
}

/// The pacer told the emulator's budgets: no 429, and the plan above.
#[tokio::test]
async fn subscriptions_are_paced_in_their_own_buckets_side_by_side() {
    let (emu, loaded) = load(PaceSettings {
        arm_reads: BUCKET,
        arm_reads_per_second: REFILL,
        ..PaceSettings::documented(PacedApi::Arm)
    })
    .await;
    check_plan(&emu, &loaded);
}

/// The pacer told ARM's documented budgets (250 tokens, 25 a second) while the emulator's
/// bucket is twenty tokens: what the `x-ms-ratelimit-remaining-subscription-reads` headers
/// say is all it has to go by, and it is enough.
#[tokio::test]
async fn the_remaining_reads_headers_alone_keep_a_subscription_out_of_429s() {
    let (emu, loaded) = load(PaceSettings::documented(PacedApi::Arm)).await;
    check_plan(&emu, &loaded);
}
