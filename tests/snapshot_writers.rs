//! One writer per snapshot file, in one process: two snapshot backends over the same file
//! (two migrations on different identities, each opened before the other wrote) both land;
//! concurrent changes all land; a change whose object another writer changed in the meantime
//! is refused with a message that says so, and writes nothing. The cross-process case (the
//! real binary twice) is in `tests/tmux.rs`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::migration::{ctx, demo_snapshot, options, store};
use credwise::backend::Backend;
use credwise::backend::snapshot::SnapshotBackend;
use credwise::domain::change::Target;
use credwise::domain::credential::FederatedIdentityCredential;
use credwise::domain::migration::{FicForm, Plan, SequentialIds};
use credwise::domain::{Change, Directory, TenantSnapshot};
use credwise::jobs::migrate::{self, RunOutcome};
use credwise::store::journal::SourceRecord;
use credwise::store::snapshot_file;

/// A GitHub federated credential for `identity` (branch main), removing its secrets.
fn fic_plan(snapshot: &TenantSnapshot, identity: &str, repo: &str) -> Plan {
    let dir = Directory::new(snapshot.clone());
    FicForm {
        identity: identity.into(),
        github_repo: repo.into(),
        branch: "main".into(),
        remove_secrets: "all".into(),
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default())
    .unwrap()
}

fn app<'a>(s: &'a TenantSnapshot, name: &str) -> &'a credwise::domain::Application {
    s.applications
        .iter()
        .find(|a| a.display_name == name)
        .unwrap()
}

fn fic(name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some(format!("repo:fabrikam/{name}:ref:refs/heads/main")),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

fn file_in(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("tenant.json");
    snapshot_file::save(&demo_snapshot(), &file).unwrap();
    file
}

#[tokio::test]
async fn two_migrations_on_different_identities_of_one_file_both_land() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_in(tmp.path());
    // Both opened (and planned) before either writes, as two credwise processes would.
    let first = SnapshotBackend::from_file(file.clone()).unwrap();
    let second = SnapshotBackend::from_file(file.clone()).unwrap();
    let snap = demo_snapshot();
    let payroll = fic_plan(&snap, "payroll-api", "fabrikam/payroll-api");
    let invoices = fic_plan(&snap, "invoice-worker", "fabrikam/invoice-worker");
    let source = SourceRecord::snapshot(&file, "snapshot tenant.json");
    let journals = store(tmp.path());
    let a = migrate::run(&first, &journals, payroll, source.clone(), &options())
        .await
        .unwrap();
    let b = migrate::run(&second, &journals, invoices, source, &options())
        .await
        .unwrap();
    assert_eq!((a.outcome, b.outcome), (RunOutcome::Done, RunOutcome::Done));

    let saved = snapshot_file::load(&file).unwrap();
    for (name, subject) in [
        (
            "payroll-api",
            "repo:fabrikam/payroll-api:ref:refs/heads/main",
        ),
        (
            "invoice-worker",
            "repo:fabrikam/invoice-worker:ref:refs/heads/main",
        ),
    ] {
        let a = app(&saved, name);
        assert!(
            a.federated_identity_credentials
                .iter()
                .any(|f| f.subject.as_deref() == Some(subject)),
            "{name} lost its federated credential: {:?}",
            a.federated_identity_credentials
        );
        assert!(a.password_credentials.is_empty(), "{name} kept its secrets");
    }
    // The last writer's view is the file: what it wrote on top of what it found.
    let seen = second
        .load(&Default::default(), &Default::default())
        .await
        .unwrap();
    assert!(
        *seen.snapshot == saved,
        "the backend's view is not the file"
    );
}

#[tokio::test]
async fn concurrent_changes_to_one_file_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_in(tmp.path());
    let snap = demo_snapshot();
    let names = ["payroll-api", "invoice-worker", "carrier-rates-scraper"];
    let backends: Vec<Arc<SnapshotBackend>> = names
        .iter()
        .map(|_| Arc::new(SnapshotBackend::from_file(file.clone()).unwrap()))
        .collect();
    let mut tasks = Vec::new();
    for (i, (b, name)) in backends.iter().zip(names).enumerate() {
        let target = Target::Application(app(&snap, name).id.clone());
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..5 {
                b.apply(&Change::AddFederatedCredential {
                    target: target.clone(),
                    credential: fic(&format!("writer-{i}-{n}")),
                })
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let saved = snapshot_file::load(&file).unwrap();
    for (i, name) in names.iter().enumerate() {
        let got: Vec<&str> = app(&saved, name)
            .federated_identity_credentials
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| n.starts_with("writer-"))
            .collect();
        let want: Vec<String> = (0..5).map(|n| format!("writer-{i}-{n}")).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[tokio::test]
async fn a_change_whose_target_changed_under_it_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_in(tmp.path());
    let snap = demo_snapshot();
    let payroll = app(&snap, "payroll-api");
    let target = Target::Application(payroll.id.clone());
    let secret = payroll.password_credentials[0].key_id.clone();
    let stale = SnapshotBackend::from_file(file.clone()).unwrap();
    let other = SnapshotBackend::from_file(file.clone()).unwrap();
    // Another writer changes payroll-api …
    other
        .apply(&Change::AddFederatedCredential {
            target: target.clone(),
            credential: fic("someone-else"),
        })
        .await
        .unwrap();
    let written = std::fs::read(&file).unwrap();
    // … so a change planned on what this backend read before is refused.
    let err = stale
        .apply(&Change::RemovePassword {
            target: target.clone(),
            key_id: secret.to_string(),
        })
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&file.display().to_string())
            && message.contains(&format!("application {}", payroll.id))
            && message.contains("changed in the file by another writer")
            && message.contains("the change was not made"),
        "{message}"
    );
    assert_eq!(credwise::cli::exit::of_error(&err), 2);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        written,
        "nothing was written"
    );
    // A change to another identity still goes through on the same backend.
    let invoices = app(&snap, "invoice-worker");
    stale
        .apply(&Change::AddFederatedCredential {
            target: Target::Application(invoices.id.clone()),
            credential: fic("mine"),
        })
        .await
        .unwrap();
    let saved = snapshot_file::load(&file).unwrap();
    assert!(
        app(&saved, "payroll-api")
            .federated_identity_credentials
            .iter()
            .any(|f| f.name == "someone-else")
    );
}
