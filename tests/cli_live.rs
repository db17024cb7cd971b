//! The real `credwise` binary against the Graph/ARM emulator over loopback
//! (`--graph-url http://127.0.0.1:PORT/v1.0 --arm-url http://127.0.0.1:PORT --auth none`), and
//! the refused URL/auth combinations of PRODUCT.md's "Live endpoints".
//!
//! The emulator runs in the test's runtime; the binary runs on a blocking thread meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use common::cli::{Run, credwise, s, usage_error};
use emulator::{Emulator, Fault, FaultAction, Matcher};

/// Runs credwise against `emu` with `args` on a blocking thread.
async fn run_against(emu: &Emulator, args: &[&str]) -> Run {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend([
        "--graph-url".into(),
        emu.graph_url(),
        "--arm-url".into(),
        emu.arm_url(),
        "--auth".into(),
        "none".into(),
    ]);
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        Run::of(&mut credwise(), &refs)
    })
    .await
    .unwrap()
}

fn demo() -> credwise::domain::TenantSnapshot {
    credwise::backend::demo::snapshot(common::NOW)
}

#[tokio::test]
async fn list_shows_the_emulators_tenant() {
    let emu = Emulator::start(demo()).await;
    let live = run_against(&emu, &["list", "--output", "json"])
        .await
        .succeeded();
    // The same tenant from a snapshot file lists the same way.
    let mut snap = emu.snapshot();
    for u in &mut snap.user_assigned_identities {
        // ARM's FIC resource has no description; the demo tenant gives some anyway.
        for f in &mut u.federated_identity_credentials {
            f.description = None;
        }
    }
    // `list` reads no sign-in data from a live tenant: its identities' usage is "not
    // loaded", as a snapshot's without sign-in data is.
    snap.usage = Default::default();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    credwise::store::snapshot_file::save(&snap, &file).unwrap();
    let offline = Run::of(
        &mut credwise(),
        &["list", "--snapshot", s(&file), "--output", "json"],
    )
    .succeeded();
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
    let (live, offline) = (parse(&live), parse(&offline));
    assert!(live.as_array().unwrap().len() > 20);
    for i in live.as_array().unwrap() {
        assert_eq!(i["lastUsed"]["reason"], "not-loaded", "never unused: {i}");
    }
    assert_eq!(live, offline);
}

#[tokio::test]
async fn a_graph_403_exits_3_naming_the_permission() {
    let emu = Emulator::start(demo()).await;
    emu.inject(
        Fault::new(
            Matcher::new("GET", "/v1.0/applications"),
            FaultAction::Status {
                status: 403,
                headers: vec![],
                body: emulator::graph_error(
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ),
            },
        )
        .always(),
    );
    let r = run_against(&emu, &["list"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("Application.Read.All"), "{}", r.stderr);
    assert!(r.stderr.contains("Insufficient privileges"), "{}", r.stderr);
}

#[tokio::test]
async fn without_azure_access_the_list_still_comes_with_a_warning() {
    let emu = Emulator::start(demo()).await;
    emu.inject(
        Fault::new(
            Matcher::new("GET", "/subscriptions"),
            FaultAction::Status {
                status: 403,
                headers: vec![],
                body: emulator::arm_error("AuthorizationFailed", "No access."),
            },
        )
        .always(),
    );
    let r = run_against(&emu, &["list", "--kind", "application"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("payroll-api"), "{}", r.stdout);
    assert!(r.stderr.contains("warning"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Reader on the subscription"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn snapshot_save_from_the_live_source() {
    let emu = Emulator::start(demo()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved.json");
    run_against(&emu, &["snapshot", "save", "--out", s(&file)])
        .await
        .succeeded();
    let saved = credwise::store::snapshot_file::load(&file).unwrap();
    assert_eq!(saved.source, credwise::domain::SnapshotSource::Live);
    assert_eq!(saved.applications.len(), emu.snapshot().applications.len());
}

#[test]
fn refused_endpoint_and_auth_combinations_exit_2() {
    for (args, want) in [
        (
            &[
                "list",
                "--graph-url",
                "http://graph.example.com/v1.0",
                "--auth",
                "none",
            ][..],
            "plain http:// is accepted only for loopback hosts",
        ),
        (
            &[
                "list",
                "--graph-url",
                "http://127.0.0.1:9/v1.0",
                "--arm-url",
                "http://127.0.0.1:9",
            ],
            "needs --auth none",
        ),
        (
            &[
                "list",
                "--graph-url",
                "http://127.0.0.1:9/v1.0",
                "--arm-url",
                "http://127.0.0.1:9",
                "--auth",
                "cli",
            ],
            "--auth is cli",
        ),
        (&["list", "--auth", "none"], "--auth none sends no token"),
        (
            &[
                "list",
                "--graph-url",
                "https://10.1.2.3/v1.0",
                "--arm-url",
                "https://10.1.2.3",
                "--auth",
                "none",
            ],
            "works only with a loopback endpoint",
        ),
        (
            &[
                "list",
                "--graph-url",
                "http://127.0.0.1:9",
                "--arm-url",
                "ftp://127.0.0.1/",
                "--auth",
                "none",
            ],
            "unsupported scheme",
        ),
        (&["list", "--auth", "none"], "the default --graph-url"),
    ] {
        let err = usage_error(args);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn without_az_login_the_message_says_what_to_do() {
    // An empty PATH: `az` and `azd` are not found, and nothing reaches the network.
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = credwise();
    cmd.env("PATH", empty.path());
    let r = Run::of(&mut cmd, &["list", "--auth", "developer-tools"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // A short list: each source on its own line, then what to do and what to ask for.
    let lines: Vec<&str> = r.stderr.lines().collect();
    for want in [
        "  Azure CLI            failed: ",
        "  Azure Developer CLI  failed: ",
        "  - run `az login` (or `azd auth login`) and try again",
        "  - or run `credwise --demo` to look around without a tenant",
        "  - Microsoft Graph: Application.Read.All (delegated or application)",
        "  - Azure RBAC: Reader on the subscriptions to explore",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "{want:?} not in {}",
            r.stderr
        );
    }
    // Never cut: no line ends in the middle of a word with an ellipsis, and nothing is lost
    // off a 600-character line.
    assert!(lines.len() >= 8, "{}", r.stderr);
    assert!(
        lines.iter().all(|l| l.chars().count() < 300),
        "{}",
        r.stderr
    );
}

/// `--incremental` (issue #13): a first run with nothing cached reads the whole tenant and says
/// so on stderr; after a change in the tenant, the next run reads only the two delta rounds
/// and the changed application's federated credentials, says what changed, and prints what a
/// full load prints. `show`, `audit` and `snapshot save` take the flag too.
#[tokio::test]
async fn incremental_reads_only_what_changed_since_the_cached_tenant() {
    let emu = Emulator::start(demo()).await;
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");
    let run = |args: Vec<String>| {
        let cache = cache.clone();
        let mut all = args;
        all.extend([
            "--graph-url".into(),
            emu.graph_url(),
            "--arm-url".into(),
            emu.arm_url(),
            "--auth".into(),
            "none".into(),
        ]);
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            Run::of(credwise().env("CREDWISE_CACHE_DIR", &cache), &refs)
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let list = args(&["list", "--output", "json", "--incremental"]);

    let first = run(list.clone()).await.unwrap();
    assert!(
        first.stderr.contains(
            "incremental: no cached tenant with delta links to start from; read the whole tenant"
        ),
        "{}",
        first.stderr
    );
    let _ = first.succeeded();

    let (renamed, gone) = {
        let t = emu.snapshot();
        let app = t.applications[0].id.clone();
        let sp = t
            .service_principals
            .iter()
            .find(|s| {
                s.app_id != t.applications[0].app_id
                    && s.service_principal_type
                        == credwise::domain::ServicePrincipalType::Application
            })
            .unwrap()
            .id
            .clone();
        (app, sp)
    };
    emu.mutate(|t| {
        t.applications[0].display_name = "renamed-in-the-portal".into();
        t.service_principals.retain(|s| s.id != gone);
    });
    emu.clear_requests();
    let second = run(list.clone()).await.unwrap();
    assert!(
        second.stderr.contains(
            "incremental: 0 added, 1 changed, 1 removed since the cached tenant (Graph delta)"
        ),
        "{}",
        second.stderr
    );
    let paths: Vec<String> = emu
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(
        paths.iter().filter(|p| p.contains("/delta?")).count(),
        2,
        "{paths:#?}"
    );
    assert_eq!(
        paths.len(),
        3,
        "two delta rounds and one FIC batch: {paths:#?}"
    );
    let items: Vec<String> = emu
        .batch_items()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        items.len() == 1 && items[0].contains(&renamed),
        "{items:#?}"
    );
    let incremental = second.succeeded();
    assert!(incremental.contains("renamed-in-the-portal"));
    assert!(!incremental.contains(&gone));

    // What a full load prints now.
    let full = run(args(&["list", "--output", "json"]))
        .await
        .unwrap()
        .succeeded();
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
    assert_eq!(parse(&incremental), parse(&full));

    let out = home.path().join("tenant.json");
    for a in [
        args(&["show", &renamed, "--incremental"]),
        args(&["audit", "--incremental", "--output", "json"]),
        vec![
            "snapshot".into(),
            "save".into(),
            "--incremental".into(),
            "--out".into(),
            out.display().to_string(),
        ],
    ] {
        let r = run(a).await.unwrap();
        assert!(
            r.stderr
                .contains("incremental: 0 added, 0 changed, 0 removed"),
            "{:?}: {}",
            r.args,
            r.stderr
        );
        assert!(
            r.code == 0 || (r.args[0] == "audit" && r.code == 1),
            "{:?}: {}",
            r.args,
            r.stderr
        );
    }
    assert!(out.exists());

    // A delta link Graph no longer knows: the whole tenant, and why.
    emu.reset_delta_links();
    let r = run(list).await.unwrap();
    let warned = r
        .stderr
        .find("warning: refresh: the tenant was read in full");
    let said = r
        .stderr
        .find("incremental: read the whole tenant (see the warning below)");
    assert!(
        matches!((said, warned), (Some(s), Some(w)) if s < w),
        "{}",
        r.stderr
    );
    assert_eq!(parse(&r.succeeded()), parse(&full));
}
