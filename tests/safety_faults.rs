//! Fault injection for the promise "a migration never leaves a workload unable to sign in and
//! never trusts what it did not verify" (issue #11): each test drives one reproduced scenario
//! through `jobs::migrate` — on the demo tenant in memory, on snapshot files, or on a
//! `LiveBackend` against the Graph/ARM emulator — and is named after it.
//!
//! - a rollback after every secret was removed on a live tenant (the secrets cannot come
//!   back) does not delete the new certificate, federated credential or managed identity;
//! - a look-alike — a federated credential with the plan's name but another subject, a
//!   certificate with the plan's keyId but another thumbprint, a role assignment with the
//!   plan's id at another scope — is never taken for the step's change: not when resuming,
//!   not in the recheck before a removal, not by the undo;
//! - a second migration on an identity with an open one is refused; `resume` refuses another
//!   tenant's snapshot file;
//! - snapshot files and `az` imports with two objects of one id are refused, naming both.
//!
//! These tests use only what `jobs::migrate`, the backends and the stores offered before the
//! fix, so each scenario fails on that code and passes after; the two named "…may…" and
//! "…still…" guard the other side (the rules refuse only what they must) and pass on both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::Duration;

use common::NOW;
use common::migration::{
    Fault, Faulty, certificate, ctx, demo_backend, demo_snapshot, demo_source, options, store,
    tenant,
};
use credwise::backend::Backend;
use credwise::backend::import::{AzImport, import};
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::snapshot::SnapshotBackend;
use credwise::domain::change::Target;
use credwise::domain::migration::{
    CertificateForm, FicForm, ManagedIdentityForm, Plan, SequentialIds,
};
use credwise::domain::{
    Application, Change, Directory, FederatedIdentityCredential, KeyCredential, TenantSnapshot,
};
use credwise::jobs::migrate::{self, RunOutcome};
use credwise::store::journal::{JournalStore, Outcome, SourceRecord};
use credwise::store::snapshot_file;
use emulator::Emulator;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The migrations of an identity that holds nothing but client secrets, each removing every
/// secret: after them, the new credential is all the identity can sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// invoice-worker (two secrets) → a certificate.
    Certificate,
    /// invoice-worker → a GitHub Actions federated credential.
    Fic,
    /// invoice-worker → a new user-assigned managed identity with its roles.
    ManagedIdentityCreate,
    /// legacy-ftp-bridge → the existing id-invoices-logic.
    ManagedIdentityExisting,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Certificate,
        Kind::Fic,
        Kind::ManagedIdentityCreate,
        Kind::ManagedIdentityExisting,
    ];

    fn plan(self, snapshot: &TenantSnapshot, remove: &str) -> Plan {
        let dir = Directory::new(snapshot.clone());
        let ctx = ctx(&dir);
        let mut ids = SequentialIds::default();
        match self {
            Kind::Certificate => CertificateForm {
                identity: "invoice-worker".into(),
                remove_secrets: remove.into(),
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids, Some(&certificate()))
            .unwrap(),
            Kind::Fic => fic_form(remove).build_plan(&ctx, &mut ids).unwrap(),
            Kind::ManagedIdentityCreate => ManagedIdentityForm {
                identity: "invoice-worker".into(),
                create: "id-invoice-worker".into(),
                resource_group: "rg-invoices-prod".into(),
                location: "westeurope".into(),
                remove_secrets: remove.into(),
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Kind::ManagedIdentityExisting => ManagedIdentityForm {
                identity: "legacy-ftp-bridge".into(),
                managed_identity: "id-invoices-logic".into(),
                remove_secrets: remove.into(),
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
        }
    }
}

fn fic_form(remove: &str) -> FicForm {
    FicForm {
        identity: "invoice-worker".into(),
        github_repo: "fabrikam/invoice-worker".into(),
        environment: "production".into(),
        remove_secrets: remove.into(),
        ..Default::default()
    }
}

fn app<'a>(s: &'a TenantSnapshot, plan: &Plan) -> &'a Application {
    s.applications
        .iter()
        .find(|a| a.id == plan.identity.object_id)
        .expect("the plan's application")
}

fn live(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: RetrySettings {
            max_retries: 2,
            initial_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(10),
            max_total_wait: Duration::from_secs(2),
            try_timeout: Duration::from_secs(5),
            max_connection_retries: 1,
            ..RetrySettings::default()
        },
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

/// The new credential (or managed identity with its roles) of a finished `plan` is in place.
fn new_credential_in_place(s: &TenantSnapshot, plan: &Plan) -> bool {
    plan.steps
        .iter()
        .filter(|st| !st.removes_secret)
        .all(|st| match &st.action {
            Change::AddKey { credential, .. } => app(s, plan)
                .key_credentials
                .iter()
                .any(|k| k.key_id == credential.key_id),
            Change::AddFederatedCredential { credential, .. } => app(s, plan)
                .federated_identity_credentials
                .iter()
                .any(|f| f.name == credential.name),
            Change::CreateUserAssignedIdentity { identity } => s
                .user_assigned_identities
                .iter()
                .any(|u| u.id.eq_ignore_ascii_case(&identity.id)),
            Change::AddRoleAssignment { assignment } => s
                .role_assignments
                .iter()
                .any(|r| r.id.eq_ignore_ascii_case(&assignment.id)),
            _ => true,
        })
}

// ---------------------------------------------------------------------------------------------
// 1. Rollback must not leave an identity with no credential.

/// Reproduced with `secret-to-certificate --remove-secrets all --apply`, then `migrate
/// rollback`: on a live tenant the removed secrets cannot come back, and rollback used to
/// delete the new credential anyway (`"credentials": []`, exit 0). Now it stops before
/// changing anything, for every kind of migration.
#[test]
fn rollback_after_every_secret_was_removed_on_a_live_tenant_keeps_the_new_credential() {
    rt().block_on(async {
        for kind in Kind::ALL {
            let plan = kind.plan(&demo_snapshot(), "all");
            let emu = Emulator::start(demo_snapshot()).await;
            let b = live(&emu);
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            let done = migrate::run(&b, &store, plan.clone(), demo_source(), &options())
                .await
                .unwrap();
            assert_eq!(done.outcome, RunOutcome::Done, "{kind:?}");
            let after_run = emu.snapshot();
            assert!(
                app(&after_run, &plan).password_credentials.is_empty(),
                "{kind:?}: every secret removed"
            );

            let rolled = migrate::rollback(&b, &store, &done.journal_id, &options()).await;
            assert!(
                rolled.is_err(),
                "{kind:?}: a rollback that would lock the identity out must stop: {:?}",
                rolled.map(|s| s.outcome)
            );
            let now = emu.snapshot();
            assert!(
                new_credential_in_place(&now, &plan),
                "{kind:?}: the new credential is still there"
            );
            assert_eq!(now, after_run, "{kind:?}: nothing changed");
            assert_eq!(
                store.read(&done.journal_id).unwrap().closed.map(|c| c.0),
                Some(Outcome::Done),
                "{kind:?}: the journal still says done"
            );
        }
    });
}

/// The guard is no blanket refusal: when the run stopped after one of two secret removals on
/// a live tenant, the other secret is still there, so the rollback may delete the new
/// credential (the identity keeps that secret) and goes through.
#[test]
fn a_rollback_that_leaves_a_secret_in_place_may_remove_the_new_credential() {
    rt().block_on(async {
        let plan = Kind::Fic.plan(&demo_snapshot(), "all");
        let emu = Emulator::start(demo_snapshot()).await;
        let b = live(&emu);
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        // The first removal goes through, the second is answered 500.
        let mut fault = emulator::Fault::new(
            emulator::Matcher::new("POST", "/removePassword"),
            emulator::FaultAction::Status {
                status: 500,
                headers: vec![],
                body: emulator::graph_error("UnknownError", "boom"),
            },
        );
        fault.skip = 1;
        emu.inject(fault);
        let summary = migrate::run(&b, &store, plan.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert!(
            matches!(summary.outcome, RunOutcome::Failed { index: 2, .. }),
            "{:?}",
            summary.outcome
        );
        let rolled = migrate::rollback(&b, &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert!(
            matches!(rolled.outcome, RunOutcome::RolledBackExceptSecrets { .. }),
            "{:?}",
            rolled.outcome
        );
        let now = emu.snapshot();
        assert_eq!(app(&now, &plan).password_credentials.len(), 1);
        assert!(
            !app(&now, &plan)
                .federated_identity_credentials
                .iter()
                .any(|f| f.name == fic_of(&plan).name),
            "the new credential was undone"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// 2. Verification by content.

fn evil(name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.to_string(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some("repo:evil/attacker:ref:refs/heads/main".into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

fn fic_of(plan: &Plan) -> FederatedIdentityCredential {
    match &plan.steps[0].action {
        Change::AddFederatedCredential { credential, .. } => credential.clone(),
        other => panic!("{other:?}"),
    }
}

/// A migration stopped before its FIC was created; someone then created a FIC with the same
/// name but subject `repo:evil/attacker:…`. `resume` used to mark the step verified and
/// remove every secret.
#[test]
fn resume_does_not_take_a_look_alike_federated_credential_for_the_new_one() {
    rt().block_on(async {
        let plan = Kind::Fic.plan(&demo_snapshot(), "all");
        let target = plan.identity.target.clone();
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let first = Faulty::failing(inner.clone(), Fault::ServerError, 0);
        let summary = migrate::run(&first, &store, plan.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert!(matches!(
            summary.outcome,
            RunOutcome::Failed { index: 0, .. }
        ));
        let name = fic_of(&plan).name;
        inner
            .apply(&Change::AddFederatedCredential {
                target,
                credential: evil(&name),
            })
            .await
            .unwrap();

        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        let RunOutcome::Failed { index, error, .. } = &resumed.outcome else {
            panic!("a look-alike must not verify: {:?}", resumed.outcome)
        };
        assert_eq!(*index, 0);
        assert!(error.contains("repo:evil/attacker"), "found: {error}");
        assert!(
            error.contains("repo:fabrikam/invoice-worker:environment:production"),
            "expected: {error}"
        );
        let after = tenant(inner.as_ref()).await;
        assert_eq!(
            app(&after, &plan).password_credentials.len(),
            2,
            "no secret was removed"
        );
        let journal = std::fs::read_to_string(store.journal_path(&summary.journal_id)).unwrap();
        assert!(
            journal.contains("repo:evil/attacker"),
            "journaled: {journal}"
        );
    });
}

/// The new FIC was verified; then, before the removals ran, it was swapped for a look-alike
/// with the same name. The recheck before the removal used to be by name and removed every
/// secret.
#[test]
fn the_recheck_before_a_removal_does_not_take_a_look_alike_for_the_new_credential() {
    rt().block_on(async {
        let plan = Kind::Fic.plan(&demo_snapshot(), "all");
        let target = plan.identity.target.clone();
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let first = Faulty::failing(inner.clone(), Fault::ServerError, 1);
        let summary = migrate::run(&first, &store, plan.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert!(matches!(
            summary.outcome,
            RunOutcome::Failed { index: 1, .. }
        ));
        let name = fic_of(&plan).name;
        inner
            .apply(&Change::RemoveFederatedCredential {
                target: target.clone(),
                name: name.clone(),
            })
            .await
            .unwrap();
        inner
            .apply(&Change::AddFederatedCredential {
                target,
                credential: evil(&name),
            })
            .await
            .unwrap();
        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        let RunOutcome::Failed { index, error, .. } = &resumed.outcome else {
            panic!("{:?}", resumed.outcome)
        };
        assert_eq!(*index, 1);
        assert!(error.contains("repo:evil/attacker"), "{error}");
        assert_eq!(
            app(&tenant(inner.as_ref()).await, &plan)
                .password_credentials
                .len(),
            2,
            "no secret was removed"
        );
    });
}

/// A certificate with the plan's keyId but another thumbprint is not the uploaded one.
#[test]
fn resume_does_not_take_a_certificate_with_another_thumbprint_for_the_new_one() {
    rt().block_on(async {
        let plan = Kind::Certificate.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let first = Faulty::failing(inner.clone(), Fault::ServerError, 0);
        let summary = migrate::run(&first, &store, plan.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert!(matches!(
            summary.outcome,
            RunOutcome::Failed { index: 0, .. }
        ));
        let Change::AddKey { credential, .. } = &plan.steps[0].action else {
            panic!()
        };
        let other = KeyCredential {
            custom_key_identifier: Some("0123456789ABCDEF0123456789ABCDEF01234567".into()),
            ..credential.clone()
        };
        inner
            .apply(&Change::AddKey {
                target: plan.identity.target.clone(),
                credential: other,
                key: None,
            })
            .await
            .unwrap();
        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        let RunOutcome::Failed { index, error, .. } = &resumed.outcome else {
            panic!("{:?}", resumed.outcome)
        };
        assert_eq!(*index, 0);
        assert!(error.contains("0123456789ABCDEF"), "{error}");
        assert_eq!(
            app(&tenant(inner.as_ref()).await, &plan)
                .password_credentials
                .len(),
            2
        );
    });
}

/// A role assignment with the plan's id that grants the role at another scope is not the
/// copied grant.
#[test]
fn resume_does_not_take_a_role_assignment_with_another_scope_for_the_copied_one() {
    rt().block_on(async {
        let plan = Kind::ManagedIdentityExisting.plan(&demo_snapshot(), "all");
        let (k, grant) = plan
            .steps
            .iter()
            .enumerate()
            .find_map(|(i, s)| match &s.action {
                Change::AddRoleAssignment { assignment } => Some((i, assignment.clone())),
                _ => None,
            })
            .expect("the plan copies a role");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let first = Faulty::failing(inner.clone(), Fault::ServerError, k);
        let summary = migrate::run(&first, &store, plan.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert!(matches!(summary.outcome, RunOutcome::Failed { index, .. } if index == k));
        let mut wider = grant.clone();
        wider.scope = format!(
            "/subscriptions/{}",
            credwise::domain::objects::arm_segment(&grant.scope, "subscriptions").unwrap()
        )
        .into();
        wider.role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635".into();
        wider.role_definition_name = Some("Owner".into());
        inner
            .apply(&Change::AddRoleAssignment { assignment: wider })
            .await
            .unwrap();
        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert!(
            matches!(resumed.outcome, RunOutcome::Failed { index, .. } if index == k),
            "{:?}",
            resumed.outcome
        );
        assert_eq!(
            app(&tenant(inner.as_ref()).await, &plan)
                .password_credentials
                .len(),
            2,
            "no secret was removed"
        );
    });
}

/// A finished migration whose FIC was since replaced by a look-alike: rollback must not
/// delete someone else's credential because it bears the plan's name.
#[test]
fn rollback_does_not_undo_a_look_alike_of_the_new_credential() {
    rt().block_on(async {
        let plan = Kind::Fic.plan(&demo_snapshot(), "");
        let target = plan.identity.target.clone();
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let done = migrate::run(
            inner.as_ref(),
            &store,
            plan.clone(),
            demo_source(),
            &options(),
        )
        .await
        .unwrap();
        assert_eq!(done.outcome, RunOutcome::Done);
        let name = fic_of(&plan).name;
        inner
            .apply(&Change::RemoveFederatedCredential {
                target: target.clone(),
                name: name.clone(),
            })
            .await
            .unwrap();
        inner
            .apply(&Change::AddFederatedCredential {
                target,
                credential: evil(&name),
            })
            .await
            .unwrap();
        let rolled = migrate::rollback(inner.as_ref(), &store, &done.journal_id, &options())
            .await
            .unwrap();
        assert!(
            matches!(rolled.outcome, RunOutcome::RollbackFailed { index: 0, .. }),
            "{:?}",
            rolled.outcome
        );
        let fics = app(&tenant(inner.as_ref()).await, &plan)
            .federated_identity_credentials
            .clone();
        assert!(
            fics.contains(&evil(&name)),
            "someone else's credential stays: {fics:?}"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// 3. One open migration per identity; the journal's tenant only.

/// A new migration on an identity with an open one used to start; the two then raced over
/// the identity's credentials.
#[test]
fn a_second_migration_on_an_identity_with_an_open_one_is_refused() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let fic = Kind::Fic.plan(&demo_snapshot(), "all");
        let first = Faulty::failing(inner.clone(), Fault::ServerError, 1);
        let open = migrate::run(&first, &store, fic.clone(), demo_source(), &options())
            .await
            .unwrap();
        assert!(matches!(open.outcome, RunOutcome::Failed { .. }));
        let before = tenant(inner.as_ref()).await;
        let cert = Kind::Certificate.plan(&demo_snapshot(), "");
        let second = migrate::run(inner.as_ref(), &store, cert, demo_source(), &options()).await;
        let Err(e) = second else {
            panic!(
                "a second migration started: {:?}",
                second.map(|s| s.outcome)
            )
        };
        let message = e.to_string();
        assert!(message.contains(&open.journal_id), "{message}");
        assert!(
            message.contains(&format!("credwise migrate resume {}", open.journal_id)),
            "{message}"
        );
        assert!(
            message.contains(&format!("credwise migrate rollback {}", open.journal_id)),
            "{message}"
        );
        assert_eq!(credwise::cli::exit::of_migrate(&e), 2);
        assert_eq!(tenant(inner.as_ref()).await, before, "nothing changed");
        assert_eq!(store.list().unwrap().0.len(), 1, "no second journal");
    });
}

/// A journal was resumed into another tenant's snapshot file, which then got the migration's
/// changes.
#[test]
fn resume_refuses_a_snapshot_file_of_another_tenant() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let ours = dir.path().join("ours.json");
        snapshot_file::save(&demo_snapshot(), &ours).unwrap();
        let mut foreign_tenant = demo_snapshot();
        foreign_tenant.tenant_id = "99999999-8888-7777-6666-555555555555".into();
        let theirs = dir.path().join("theirs.json");
        snapshot_file::save(&foreign_tenant, &theirs).unwrap();

        let plan = Kind::Fic.plan(&demo_snapshot(), "all");
        let backend = Arc::new(SnapshotBackend::from_file(ours.clone()).unwrap());
        let first = Faulty::failing(backend, Fault::ServerError, 0);
        let summary = migrate::run(
            &first,
            &store,
            plan.clone(),
            SourceRecord::snapshot(&ours, "snapshot ours.json"),
            &options(),
        )
        .await
        .unwrap();
        assert!(matches!(summary.outcome, RunOutcome::Failed { .. }));

        let other = SnapshotBackend::from_file(theirs.clone()).unwrap();
        let resumed = migrate::resume(&other, &store, &summary.journal_id, &options()).await;
        let Err(e) = resumed else {
            panic!(
                "resumed into another tenant: {:?}",
                resumed.map(|s| s.outcome)
            )
        };
        let message = e.to_string();
        assert!(message.contains(&foreign_tenant.tenant_id), "{message}");
        assert!(message.contains(&plan.tenant_id), "{message}");
        assert_eq!(
            snapshot_file::load(&theirs).unwrap(),
            foreign_tenant,
            "the other file is untouched"
        );
        let rolled = migrate::rollback(&other, &store, &summary.journal_id, &options()).await;
        assert!(rolled.is_err(), "rollback refuses it too");
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Duplicate ids.

fn app_json(id: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "appId": format!("{id}-app"),
        "displayName": name,
        "passwordCredentials": [],
        "keyCredentials": [],
    })
}

/// Two applications with one object id: a migration of the second changed the first and
/// reported every step verified. A snapshot file like that is refused, naming both.
#[test]
fn a_snapshot_file_with_two_objects_of_one_id_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::cli::snapshot_with_apps(
        dir.path(),
        serde_json::json!([
            app_json("a1", "payroll-api"),
            app_json("a2", "billing"),
            app_json("a1", "payroll-api-copy")
        ]),
    );
    let err = snapshot_file::load(&path).expect_err("two objects of one id");
    let message = err.to_string();
    assert!(message.contains("tenant.json"), "{message}");
    assert!(message.contains("\"payroll-api\""), "{message}");
    assert!(message.contains("\"payroll-api-copy\""), "{message}");
    assert!(message.contains("a1"), "{message}");
    assert!(SnapshotBackend::from_file(path).is_err());

    // An application and a service principal share the directory's id space.
    let mut s = demo_snapshot();
    let app_id = s.applications[0].id.clone();
    s.service_principals[0].id = app_id.clone();
    let path = dir.path().join("clash.json");
    std::fs::write(&path, snapshot_file::to_bytes(&s)).unwrap();
    let message = snapshot_file::load(&path).unwrap_err().to_string();
    assert!(message.contains(&app_id), "{message}");
    assert!(message.contains("applications"), "{message}");
    assert!(message.contains("servicePrincipals"), "{message}");
}

/// `snapshot import-az` with one object twice (a file concatenated with itself, an app and a
/// principal sharing an object id) is refused, naming both files and places.
#[test]
fn an_az_import_with_two_objects_of_one_id_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let apps = dir.path().join("apps.json");
    std::fs::write(
        &apps,
        serde_json::to_vec(&serde_json::json!([
            app_json("a1", "payroll-api"),
            app_json("a1", "payroll-api-copy")
        ]))
        .unwrap(),
    )
    .unwrap();
    let err = import(
        &AzImport {
            apps: Some(&apps),
            ..Default::default()
        },
        NOW,
    )
    .expect_err("two applications of one id");
    let message = err.to_string();
    assert!(message.contains("apps.json"), "{message}");
    assert!(message.contains("item 1"), "{message}");
    assert!(message.contains("item 2"), "{message}");
    assert!(message.contains("payroll-api-copy"), "{message}");

    let one = dir.path().join("one.json");
    std::fs::write(
        &one,
        serde_json::to_vec(&serde_json::json!([app_json("x1", "payroll-api")])).unwrap(),
    )
    .unwrap();
    let sps = dir.path().join("sps.json");
    std::fs::write(
        &sps,
        serde_json::to_vec(&serde_json::json!([{
            "id": "x1",
            "appId": "other-app",
            "displayName": "billing",
            "servicePrincipalType": "Application",
        }]))
        .unwrap(),
    )
    .unwrap();
    let message = import(
        &AzImport {
            apps: Some(&one),
            service_principals: Some(&sps),
            ..Default::default()
        },
        NOW,
    )
    .expect_err("an application and a service principal of one id")
    .to_string();
    assert!(message.contains("one.json"), "{message}");
    assert!(message.contains("sps.json"), "{message}");
    assert!(message.contains("x1"), "{message}");
}

/// The journal of a migration on a snapshot file whose objects are unique stays usable: the
/// refusal is about the file, not about snapshots in general.
#[test]
fn a_snapshot_file_with_unique_ids_still_loads_and_migrates() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenant.json");
        snapshot_file::save(&demo_snapshot(), &path).unwrap();
        let backend = SnapshotBackend::from_file(path.clone()).unwrap();
        let plan = Kind::Fic.plan(&demo_snapshot(), "all");
        let store: JournalStore = store(dir.path());
        let summary = migrate::run(
            &backend,
            &store,
            plan.clone(),
            SourceRecord::snapshot(&path, "snapshot tenant.json"),
            &options(),
        )
        .await
        .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done);
        let saved = snapshot_file::load(&path).unwrap();
        assert!(
            app(&saved, &plan)
                .federated_identity_credentials
                .iter()
                .any(|f| f == &fic_of(&plan))
        );
        assert!(matches!(
            plan.identity.target,
            Target::Application(ref id) if id == &app(&saved, &plan).id
        ));
    });
}

/// A journal written before content checks holds `credential-present` by name. It still
/// loads, its checks are upgraded from the steps' actions, and resuming it does not take a
/// look-alike for the new credential either.
#[test]
fn an_old_journal_that_verified_by_name_is_upgraded_and_resumes_by_content() {
    use credwise::domain::Check;
    use credwise::store::journal::{Record, VERSION};
    rt().block_on(async {
        let mut plan = Kind::Fic.plan(&demo_snapshot(), "all");
        let target = plan.identity.target.clone();
        let name = fic_of(&plan).name;
        // As an older credwise wrote it: the FIC verified (and the removals guarded) by name.
        let old = Check::CredentialPresent {
            target: target.clone(),
            id: name.clone(),
        };
        plan.steps[0].verification = old.clone();
        for st in &mut plan.steps[1..] {
            st.precondition = Some(old.clone());
        }
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let id = JournalStore::new_id(plan.kind, NOW);
        store
            .create(&Record::Opened {
                version: VERSION,
                journal_id: id.clone(),
                at: NOW,
                migration: plan.kind,
                source: demo_source(),
                principal: None,
                plan: Box::new(plan.clone()),
                gate: None,
            })
            .unwrap();
        let read = store.read(&id).unwrap();
        assert!(
            !matches!(
                read.plan.steps[0].verification,
                Check::CredentialPresent { .. }
            ),
            "upgraded: {:?}",
            read.plan.steps[0].verification
        );
        assert_eq!(
            read.plan.steps[1].precondition.as_ref(),
            Some(&read.plan.steps[0].verification),
            "the removal's guard is the upgraded verification"
        );

        let inner = demo_backend();
        inner
            .apply(&Change::AddFederatedCredential {
                target,
                credential: evil(&name),
            })
            .await
            .unwrap();
        let resumed = migrate::resume(inner.as_ref(), &store, &id, &options())
            .await
            .unwrap();
        assert!(
            matches!(resumed.outcome, RunOutcome::Failed { index: 0, .. }),
            "{:?}",
            resumed.outcome
        );
        assert_eq!(
            app(&tenant(inner.as_ref()).await, &plan)
                .password_credentials
                .len(),
            2
        );
    });
}

/// Graph may list an object twice when the collection changes between pages. The live load
/// keeps one copy — the later, fresher one — and says so, so a later migration cannot act on
/// a stale twin.
#[test]
fn a_live_crawl_that_lists_an_object_twice_keeps_one_copy_and_warns() {
    use credwise::backend::{Progress, Scope};
    rt().block_on(async {
        let mut s = demo_snapshot();
        let mut later = s.applications[0].clone();
        later.display_name = format!("{} (renamed)", later.display_name);
        s.applications.push(later.clone());
        let emu = Emulator::start(s).await;
        let loaded = live(&emu)
            .load(&Scope::default(), &Progress::silent())
            .await
            .unwrap();
        let copies: Vec<&Application> = loaded
            .snapshot
            .applications
            .iter()
            .filter(|a| a.id == later.id)
            .collect();
        assert_eq!(copies.len(), 1, "one copy");
        assert_eq!(copies[0].display_name, later.display_name, "the later one");
        let warning = loaded
            .warnings
            .iter()
            .find(|w| w.area == credwise::backend::Area::Duplicates)
            .expect("a warning");
        assert!(warning.message.contains(&later.id), "{}", warning.message);
    });
}
