//! `snapshot import-az --sign-ins FILE`, through the real binary: an exported sign-in log and
//! a report become the snapshot's usage evidence, a file that is one page warns, and a bad file
//! is exit 2 naming the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{fixture_in, ok, run, s, usage_error};
use credwise::domain::CredentialRef;
use credwise::domain::usage::{SourceOutcome, UsageIndex, UsageSource};
use credwise::store::snapshot_file;

#[test]
fn sign_ins_and_reports_become_the_snapshots_usage() {
    let dir = tempfile::tempdir().unwrap();
    let apps = fixture_in("az", "apps.json");
    let app: serde_json::Value = serde_json::from_slice(&std::fs::read(&apps).unwrap()).unwrap();
    let first = &app.as_array().unwrap()[0];
    let app_id = first["appId"].as_str().unwrap();
    let key = first["passwordCredentials"][0]["keyId"].as_str().unwrap();
    // The Entra admin center's "Download JSON": a bare array of signIn objects.
    let log = dir.path().join("signins.json");
    std::fs::write(
        &log,
        format!(
            r#"[{{"id":"r1","createdDateTime":"2026-11-20T08:00:00Z","appId":"{app_id}",
                "servicePrincipalCredentialKeyId":"{key}","signInEventTypes":["servicePrincipal"],
                "status":{{"errorCode":0}}}}]"#
        ),
    )
    .unwrap();
    let out = dir.path().join("tenant.json");
    let stdout = ok(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&apps),
        "--sign-ins",
        s(&log),
        "--sign-ins",
        s(&fixture_in(
            "real",
            "graph-beta-appcredentialsigninactivities-list-response.json",
        )),
        "--out",
        s(&out),
    ]);
    assert!(stdout.starts_with("imported "), "{stdout}");
    let snap = snapshot_file::load(&out).unwrap();
    assert!(matches!(
        snap.usage.source(UsageSource::SignInLog).unwrap().outcome,
        SourceOutcome::Read {
            covers_from: None,
            ..
        }
    ));
    assert!(snap.usage.source(UsageSource::CredentialReport).is_some());
    let a = snap
        .applications
        .iter()
        .find(|a| a.app_id == app_id)
        .unwrap();
    let secret = a
        .password_credentials
        .iter()
        .find(|p| p.key_id == key)
        .unwrap();
    let e = UsageIndex::new(&snap.usage).credential(CredentialRef::Secret(secret));
    assert_eq!(
        e.last_sign_in(),
        Some(time::macros::datetime!(2026-11-20 08:00 UTC))
    );
}

#[test]
fn a_bad_sign_in_file_is_exit_2_naming_it_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-sign-ins.json");
    std::fs::write(&bad, r#"[{"displayName":"an app, not a sign-in"}]"#).unwrap();
    let out = dir.path().join("tenant.json");
    let err = usage_error(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&fixture_in("az", "apps.json")),
        "--sign-ins",
        s(&bad),
        "--out",
        s(&out),
    ]);
    assert!(err.contains(s(&bad)), "{err}");
    assert!(err.contains("not a sign-in"), "{err}");
    assert!(!out.exists());
}

#[test]
fn one_page_of_the_log_warns() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.json");
    std::fs::write(
        &page,
        r#"{"value":[],"@odata.nextLink":"https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x"}"#,
    )
    .unwrap();
    let r = run(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&fixture_in("az", "apps.json")),
        "--sign-ins",
        s(&page),
        "--out",
        s(&dir.path().join("t.json")),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("one page of a list"), "{}", r.stderr);
}
