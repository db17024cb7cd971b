//! The live backend against the Graph/ARM emulator (`tests/emulator/`) over real loopback
//! HTTP: a full load equals the emulator's tenant; paging, `$batch`, throttling, every error
//! mapping, faults mid-crawl, cancellation, partial loads; and every `Change` applied and
//! undone through the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator;

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
    s.source = credwise::domain::SnapshotSource::Live;
    s.tenant_id = s.tenant_id.to_ascii_lowercase();
    s.applications.sort_by(|a, b| a.id.cmp(&b.id));
    for a in &mut s.applications {
        a.password_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    s.service_principals.sort_by(|a, b| a.id.cmp(&b.id));
    s.user_assigned_identities.sort_by(|a, b| a.id.cmp(&b.id));
    for u in &mut s.user_assigned_identities {
        u.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
        // ARM's FIC resource has no description (the demo tenant gives some anyway).
        for f in &mut u.federated_identity_credentials {
            f.description = None;
        }
    }
    s.resources.sort_by(|a, b| a.id.cmp(&b.id));
    for r in &mut s.resources {
        r.identity.user_assigned_identities.sort();
    }
    s.role_assignments.sort_by(|a, b| a.id.cmp(&b.id));
    s
}

fn assert_same_tenant(got: &TenantSnapshot, want: &TenantSnapshot) {
    let (got, want) = (canonical(got.clone()), canonical(want.clone()));
    assert_eq!(got.applications, want.applications);
    assert_eq!(got.service_principals, want.service_principals);
    assert_eq!(got.user_assigned_identities, want.user_assigned_identities);
    assert_eq!(got.resources, want.resources);
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
