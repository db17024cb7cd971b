//! A live load that fails says it failed. Against the emulator: a network or service failure
//! in any Azure phase (connections closed before answering, a 5xx after retries, a stall)
//! fails the load with a network or service error (exit 3), where a missing permission stays
//! a named warning; a network cut is reported within the transport budget, not after minutes
//! of retries. Through the real binary: `list` and `snapshot save` exit 3 within a minute,
//! leave a good tenant cache as it was and write no snapshot file.
#![allow(clippy::unwrap_used)]

mod common;
use credwise_test_kit::emulator;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::{Backend, Error, Loaded, Progress, Scope};
use emulator::{Emulator, Fault, FaultAction, Matcher};

fn demo() -> credwise::domain::TenantSnapshot {
    credwise::backend::demo::snapshot(common::NOW)
}

/// The emulator's URLs, with credwise's default retry settings unless `retry` says otherwise.
fn live(emu: &Emulator, retry: Option<RetrySettings>) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: retry.unwrap_or_default(),
        ..LiveConfig::new(Arc::new(|| common::NOW))
    })
    .unwrap()
}

/// Retries in milliseconds.
fn fast() -> RetrySettings {
    RetrySettings {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_total_wait: Duration::from_secs(3),
        try_timeout: Duration::from_secs(3),
        ..RetrySettings::default()
    }
}

async fn load(b: &LiveBackend) -> Result<Loaded, Error> {
    b.load(&Scope::default(), &Progress::silent()).await
}

/// Every ARM connection closes before answering: subscriptions, identities, their federated
/// credentials, role assignments, Resource Graph.
fn cut_arm(emu: &Emulator) {
    for path in ["/subscriptions", "/providers/"] {
        emu.inject(Fault::new(Matcher::path(path), FaultAction::Close).always());
    }
}

#[tokio::test]
async fn a_network_cut_on_arm_fails_the_load_within_the_transport_budget() {
    let emu = Emulator::start(demo()).await;
    cut_arm(&emu);
    // credwise's own retry settings: the cut is reported in seconds, where it used to be
    // retried for the three minutes of the throttling cap and then pass as a warning.
    let b = live(&emu, None);
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(60), load(&b))
        .await
        .expect("the load did not end within a minute");
    let err = match result {
        Ok(l) => panic!("a network cut passed for a load, with {:?}", l.warnings),
        Err(e) => e,
    };
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    assert!(err.to_string().contains("ARM"), "{err}");
    assert_eq!(credwise::cli::exit::of_error(&err), 3);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Each request was tried three times (two retries), no more.
    let tries = emu
        .requests()
        .iter()
        .filter(|r| r.path_and_query.starts_with("/subscriptions?"))
        .count();
    assert_eq!(tries, 3);
}

#[tokio::test]
async fn a_network_or_service_failure_in_any_azure_phase_fails_the_load() {
    let emu = Emulator::start(demo()).await;
    let b = live(&emu, Some(fast()));
    let phases = [
        // The list per subscription (and the reads after it).
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "identities",
        ),
        // Each identity's federated credentials.
        ("userAssignedIdentities/", "identity FICs"),
        (
            "/providers/Microsoft.Authorization/roleAssignments",
            "role assignments",
        ),
        ("/providers/Microsoft.ResourceGraph", "Resource Graph"),
    ];
    for (path, phase) in phases {
        let actions = [
            FaultAction::Close,
            FaultAction::Status {
                status: 500,
                headers: vec![],
                body: emulator::arm_error("InternalServerError", "Something broke."),
            },
            FaultAction::Stall(Duration::from_secs(30)),
        ];
        for action in actions {
            emu.clear_faults();
            emu.inject(Fault::new(Matcher::path(path), action.clone()).always());
            let b = if matches!(action, FaultAction::Stall(_)) {
                live(
                    &emu,
                    Some(RetrySettings {
                        try_timeout: Duration::from_millis(300),
                        ..fast()
                    }),
                )
            } else {
                live(&emu, Some(fast()))
            };
            let err = match load(&b).await {
                Ok(l) => panic!(
                    "{phase}, {action:?}: the load passed, with {:?}",
                    l.warnings
                ),
                Err(e) => e,
            };
            assert!(
                matches!(err, Error::Network(_) | Error::Service { .. }),
                "{phase}, {action:?}: {err:?}"
            );
            assert_eq!(
                credwise::cli::exit::of_error(&err),
                3,
                "{phase}, {action:?}"
            );
        }
    }
    // A missing permission in the same phases stays a warning, and the rest loads.
    for (path, phase) in phases {
        emu.clear_faults();
        emu.inject(
            Fault::arm_status(
                Matcher::path(path),
                403,
                "AuthorizationFailed",
                "No access.",
            )
            .always(),
        );
        let loaded = load(&b)
            .await
            .unwrap_or_else(|e| panic!("{phase}: a 403 failed the load: {e}"));
        assert_eq!(loaded.warnings.len(), 1, "{phase}: {:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].message.contains("AuthorizationFailed"),
            "{phase}: {:?}",
            loaded.warnings
        );
        assert_eq!(
            loaded.snapshot.applications.len(),
            demo().applications.len()
        );
    }
}

#[tokio::test]
async fn a_stall_is_cut_short_by_the_transport_budget() {
    let emu = Emulator::start(demo()).await;
    emu.inject(
        Fault::new(
            Matcher::new("GET", "/v1.0/servicePrincipals"),
            FaultAction::Stall(Duration::from_secs(30)),
        )
        .always(),
    );
    // Many retries allowed, each try up to 2 s: the budget of 3 s ends it, whatever is left.
    let b = live(
        &emu,
        Some(RetrySettings {
            try_timeout: Duration::from_secs(2),
            max_connection_retries: 10,
            transport_budget: Duration::from_secs(3),
            ..fast()
        }),
    );
    let started = Instant::now();
    let err = load(&b).await.unwrap_err();
    assert!(err.to_string().contains("stalled"), "{err}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2900) && took < Duration::from_millis(4500),
        "{took:?}"
    );
}

/// Runs the real binary with `args` against `emu`, its cache in `cache`; kills it after a
/// minute (the contract: a network cut is reported within one).
fn run_cli(emu: &Emulator, cache: &Path, args: &[&str]) -> (Option<i32>, String, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_credwise"));
    cmd.args(args)
        .args([
            "--graph-url",
            &emu.graph_url(),
            "--arm-url",
            &emu.arm_url(),
            "--auth",
            "none",
        ])
        .env("CREDWISE_NOW", common::cli::NOW)
        .env("CREDWISE_CACHE_DIR", cache)
        .env("CREDWISE_DATA_DIR", cache.join("data"))
        .env_remove("AZURE_TENANT_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    (code, stderr, started.elapsed())
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_cut_exits_3_keeps_the_cache_and_writes_no_snapshot() {
    let emu = Emulator::start(demo()).await;
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // A good load fills the cache.
    let (code, stderr, _) = {
        let (emu, cache) = (&emu, cache.clone());
        tokio::task::block_in_place(|| run_cli(emu, &cache, &["list"]))
    };
    assert_eq!(code, Some(0), "{stderr}");
    // The tenant and, beside it, where its incremental refresh starts (`….sync.json`).
    let cached = files_in(&cache);
    assert_eq!(cached.len(), 2, "{cached:?}");
    assert!(
        cached[1].to_string_lossy().ends_with(".sync.json"),
        "{cached:?}"
    );
    let good: Vec<Vec<u8>> = cached.iter().map(|f| std::fs::read(f).unwrap()).collect();

    cut_arm(&emu);
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let saved = out.join("tenant.json");
    for args in [
        vec!["list"],
        vec!["snapshot", "save", "--out", saved.to_str().unwrap()],
    ] {
        let (code, stderr, took) = tokio::task::block_in_place(|| run_cli(&emu, &cache, &args));
        assert_eq!(code, Some(3), "{args:?} ({took:?}): {stderr}");
        assert!(took < Duration::from_secs(60), "{args:?}: {took:?}");
        assert!(
            stderr.contains("network") && stderr.contains("ARM"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("warning"), "{args:?}: {stderr}");
        assert_eq!(files_in(&cache), cached, "{args:?}");
        let now: Vec<Vec<u8>> = cached.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert_eq!(now, good, "{args:?}: the cache changed");
    }
    assert!(
        std::fs::read_dir(&out).unwrap().next().is_none(),
        "snapshot save wrote something"
    );
}
