//! The federated-credential plans run through the existing migration engine (journaled,
//! verified by content, rolled back), before their CLI and screens exist: a
//! `github-immutable-subject` plan for one app and one user-assigned identity of the demo on a
//! snapshot and against the emulator (Graph v1.0 for the app, ARM at the preview for the
//! identity), and a flexible `secret-to-fic` credential written through beta.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::Duration;

use common::NOW;
use common::migration::{
    ctx, demo_backend, demo_snapshot, demo_source, normalized, options, store, tenant,
};
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::domain::migration::github_immutable::{
    ImmutableSubjectForm, KnownIds, RepoIds, repo_key,
};
use credwise::domain::migration::{FicForm, MigrationKind, Plan, SequentialIds};
use credwise::domain::{Directory, TenantSnapshot};
use credwise::jobs::migrate::{self, RunOutcome};
use emulator::Emulator;

fn ids() -> KnownIds {
    credwise_test_kit::tenant::demo::github_repositories()
        .into_iter()
        .map(|(o, oid, r, rid)| {
            (
                repo_key(o, r),
                RepoIds {
                    owner_id: oid.to_string(),
                    repo_id: rid.to_string(),
                },
            )
        })
        .collect()
}

fn immutable(s: &TenantSnapshot, identity: &str) -> Plan {
    let dir = Directory::new(s.clone());
    ImmutableSubjectForm {
        identity: identity.into(),
        remove_old: true,
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &ids())
    .unwrap()
}

fn live(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: RetrySettings {
            max_retries: 4,
            initial_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(3),
            try_timeout: Duration::from_secs(5),
            ..RetrySettings::default()
        },
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

/// The FICs of `identity` as `(name, subject)`, sorted.
fn fics(s: &TenantSnapshot, identity: &str) -> Vec<(String, String)> {
    let list = s
        .applications
        .iter()
        .find(|a| a.display_name == identity)
        .map(|a| a.federated_identity_credentials.clone())
        .or_else(|| {
            s.user_assigned_identities
                .iter()
                .find(|u| u.name == identity)
                .map(|u| u.federated_identity_credentials.clone())
        })
        .unwrap();
    let mut out: Vec<(String, String)> = list
        .into_iter()
        .map(|f| (f.name.clone(), f.matcher().to_string()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn immutable_subjects_run_and_roll_back_on_the_demo() {
    for identity in ["payroll-api", "id-github-platform-deploy"] {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let backend = demo_backend();
        let before = demo_snapshot();
        let plan = immutable(&before, identity);
        assert_eq!(plan.kind, MigrationKind::GitHubImmutableSubject);
        let summary = migrate::run(
            backend.as_ref(),
            &store,
            plan.clone(),
            demo_source(),
            &options(),
        )
        .await
        .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done, "{identity}");
        let after = tenant(backend.as_ref()).await;
        assert_eq!(
            normalized(after.clone()),
            normalized(plan.preview(&before).unwrap()),
            "{identity}"
        );
        assert!(
            fics(&after, identity)
                .iter()
                .all(|(_, m)| !m.starts_with("repo:fabrikam/")),
            "{identity}: {:?}",
            fics(&after, identity)
        );
        let rolled = migrate::rollback(backend.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert_eq!(rolled.outcome, RunOutcome::RolledBack, "{identity}");
        assert_eq!(
            fics(&tenant(backend.as_ref()).await, identity),
            fics(&before, identity),
            "{identity}"
        );
    }
}

#[tokio::test]
async fn immutable_subjects_run_against_the_emulator() {
    let before = demo_snapshot();
    let emu = Emulator::start(before.clone()).await;
    let backend = live(&emu);
    for identity in ["payroll-api", "id-github-platform-deploy"] {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let plan = immutable(&before, identity);
        let summary = migrate::run(&backend, &store, plan.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done, "{identity}");
        let want: Vec<(String, String)> = fics(&plan.preview(&before).unwrap(), identity);
        assert_eq!(fics(&emu.snapshot(), identity), want, "{identity}");
    }
    // The identity's FICs went through ARM at the preview, the app's through Graph.
    let requests = emu.requests();
    assert!(requests.iter().any(|r| r.method == "PUT"
        && r.path_and_query.contains("/federatedIdentityCredentials/platform-tools-main-immutable?api-version=2025-01-31-preview")));
    assert!(requests.iter().any(|r| {
        r.method == "DELETE"
            && r.path_and_query
                .contains("/federatedIdentityCredentials/payroll-production")
    }));
}

#[tokio::test]
async fn a_github_pattern_is_written_as_a_flexible_credential_through_beta() {
    let before = demo_snapshot();
    let emu = Emulator::start(before.clone()).await;
    let backend = live(&emu);
    let dir = Directory::new(before.clone());
    let plan = FicForm {
        identity: "invoice-worker".into(),
        github_repo: "fabrikam/invoice-worker".into(),
        branch: "release/*".into(),
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default())
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let summary = migrate::run(
        &backend,
        &store(tmp.path()),
        plan,
        demo_source(),
        &options(),
    )
    .await
    .unwrap();
    assert_eq!(summary.outcome, RunOutcome::Done);
    let post = emu
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path_and_query.contains("/federatedIdentityCredentials"))
        .unwrap();
    assert!(
        post.path_and_query.starts_with("/beta/applications/"),
        "{}",
        post.path_and_query
    );
    assert!(
        post.body.contains("claimsMatchingExpression"),
        "{}",
        post.body
    );
    assert!(
        fics(&emu.snapshot(), "invoice-worker").contains(&(
            "github-fabrikam-invoice-worker-branch-release".to_string(),
            "claims['sub'] matches 'repo:fabrikam/invoice-worker:ref:refs/heads/release/*'"
                .to_string()
        )),
        "{:?}",
        fics(&emu.snapshot(), "invoice-worker")
    );
}
