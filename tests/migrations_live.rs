//! Migrations run end to end through `jobs::migrate` on a `LiveBackend` pointed at the
//! Graph/ARM emulator (`credwise_test_kit::emulator`) over loopback with `--auth none`: every
//! migration (certificate, each FIC preset, a created and an existing managed identity) with
//! and without removing the secrets ends in the emulator's tenant; a 409, 429 or 500 at every
//! step's write is ridden through or stops the run with the step journaled as failed, and
//! `resume` then reaches the same end state while `rollback` restores what can be restored; a
//! POST answered 500 is never sent twice; a removed secret is reported as not restorable on a
//! live tenant; and no journal, record or request log holds secret material or a bearer token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::NOW;
use common::migration::{ctx, demo_snapshot, demo_source, options, store};
use credwise::backend::Backend;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::backend::read_only::ReadOnly;
use credwise::domain::change::Target;
use credwise::domain::migration::{
    CertificateForm, CertificateInfo, FicForm, ManagedIdentityForm, Plan, SequentialIds,
};
use credwise::domain::{Change, Directory, TenantSnapshot};
use credwise::jobs::migrate::certificate as cert_job;
use credwise::jobs::migrate::{self, Event, RollbackMode, RunOutcome};
use credwise::store::journal::{JournalStore, Outcome, StepState};
use emulator::{Emulator, Fault, FaultAction, Matcher};

/// Retries in milliseconds, so fault tests run fast.
fn fast_retries() -> RetrySettings {
    RetrySettings {
        max_retries: 4,
        initial_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(3),
        try_timeout: Duration::from_secs(5),
        max_connection_retries: 2,
        ..RetrySettings::default()
    }
}

fn live(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: fast_retries(),
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

/// A generated certificate with its key files (PEM, PFX) written 0600 into `dir`.
struct KeyFiles {
    info: CertificateInfo,
    key_pem: String,
}

fn key_files(dir: &Path) -> KeyFiles {
    let (mut info, key) = cert_job::generate("payroll-api", 12, NOW, None).unwrap();
    let base = cert_job::file_base("payroll-api", &info);
    cert_job::write_key_files(dir, &base, &mut info, key).unwrap();
    let key_pem = std::fs::read_to_string(info.key_file.as_ref().unwrap()).unwrap();
    assert!(key_pem.contains("BEGIN PRIVATE KEY"));
    KeyFiles { info, key_pem }
}

/// Every migration and preset, as run against the emulator's demo tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sample {
    Certificate,
    FicGitHub,
    FicKubernetes,
    FicManagedIdentity,
    FicOidc,
    ManagedIdentityCreate,
    ManagedIdentityExisting,
}

impl Sample {
    /// The fault tests' samples: one FIC preset stands for all (they send the same requests).
    const FAULTS: [Sample; 5] = [
        Sample::Certificate,
        Sample::FicGitHub,
        Sample::ManagedIdentityCreate,
        Sample::ManagedIdentityExisting,
        Sample::FicManagedIdentity,
    ];

    const ALL: [Sample; 7] = [
        Sample::Certificate,
        Sample::FicGitHub,
        Sample::FicKubernetes,
        Sample::FicManagedIdentity,
        Sample::FicOidc,
        Sample::ManagedIdentityCreate,
        Sample::ManagedIdentityExisting,
    ];

    /// The plan on the demo tenant; `remove` is `--remove-secrets` (`all` or empty).
    fn plan(self, remove: &str, cert: Option<&CertificateInfo>) -> Plan {
        self.plan_on(&demo_snapshot(), remove, cert)
    }

    /// The plan on `tenant`.
    fn plan_on(
        self,
        tenant: &TenantSnapshot,
        remove: &str,
        cert: Option<&CertificateInfo>,
    ) -> Plan {
        let dir = Directory::new(tenant.clone());
        let ctx = ctx(&dir);
        let mut ids = SequentialIds::default();
        let fic = |identity: &str| FicForm {
            identity: identity.into(),
            remove_secrets: remove.into(),
            ..Default::default()
        };
        match self {
            Sample::Certificate => CertificateForm {
                identity: "payroll-api".into(),
                remove_secrets: remove.into(),
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids, cert)
            .unwrap(),
            Sample::FicGitHub => FicForm {
                github_repo: "fabrikam/invoice-worker".into(),
                environment: "production".into(),
                ..fic("invoice-worker")
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Sample::FicKubernetes => FicForm {
                k8s_issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/".into(),
                namespace: "shipments".into(),
                service_account: "shipments-api".into(),
                ..fic("carrier-portal-connector")
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Sample::FicManagedIdentity => FicForm {
                managed_identity: "id-payroll-batch".into(),
                ..fic("legacy-ftp-bridge")
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Sample::FicOidc => FicForm {
                issuer: "https://gitlab.example.com".into(),
                subject: "project_path:fabrikam/sap:ref_type:branch:ref:main".into(),
                ..fic("sap-erp-connector")
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Sample::ManagedIdentityCreate => ManagedIdentityForm {
                identity: "invoice-worker".into(),
                create: "id-invoice-worker".into(),
                resource_group: "rg-invoices-prod".into(),
                location: "westeurope".into(),
                remove_secrets: remove.into(),
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Sample::ManagedIdentityExisting => ManagedIdentityForm {
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

/// A certificate made once per test binary (RSA key generation is slow in debug builds).
fn certificate() -> CertificateInfo {
    common::migration::certificate()
}

async fn run(backend: &dyn Backend, store: &JournalStore, plan: &Plan) -> migrate::Summary {
    migrate::run(backend, store, plan.clone(), demo_source(), &options())
        .await
        .unwrap()
}

/// The application (or its service principal) a plan migrates, in `s`.
fn app_of<'a>(s: &'a TenantSnapshot, plan: &Plan) -> &'a credwise::domain::Application {
    s.applications
        .iter()
        .find(|a| a.id == plan.identity.object_id)
        .unwrap()
}

/// The tenant with everything Azure picks for a created identity (its principal and client
/// ids, also those of its service principal and its role assignments) replaced by
/// placeholders, and every list in a canonical order: two runs of one plan compare equal.
fn canonical(s: TenantSnapshot, original: &TenantSnapshot) -> TenantSnapshot {
    let mut text = serde_json::to_string(&s).unwrap();
    let mut n = 0;
    for u in &s.user_assigned_identities {
        if original
            .user_assigned_identities
            .iter()
            .any(|o| o.id.eq_ignore_ascii_case(&u.id))
        {
            continue;
        }
        n += 1;
        text = text
            .replace(&u.principal_id, &format!("azure-principal-{n}"))
            .replace(&u.client_id, &format!("azure-client-{n}"));
    }
    let mut s: TenantSnapshot = serde_json::from_str(&text).unwrap();
    s.captured_at = NOW;
    s.tenant_id = s.tenant_id.to_ascii_lowercase();
    s.applications.sort_by(|a, b| a.id.cmp(&b.id));
    for a in &mut s.applications {
        a.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
        for f in &mut a.federated_identity_credentials {
            f.id = None;
        }
    }
    // Azure makes a service principal for a new identity; a plan's preview does not.
    s.service_principals
        .retain(|p| !p.id.starts_with("azure-principal-"));
    s.service_principals.sort_by(|a, b| a.id.cmp(&b.id));
    for u in &mut s.user_assigned_identities {
        u.id = u.id.to_ascii_lowercase();
    }
    s.user_assigned_identities.sort_by(|a, b| a.id.cmp(&b.id));
    for u in &mut s.user_assigned_identities {
        u.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    s.resources.sort_by(|a, b| a.id.cmp(&b.id));
    s.role_assignments.sort_by(|a, b| a.id.cmp(&b.id));
    s
}

/// Compares two tenants part by part, so a failure shows the first differing item.
fn assert_same(got: &TenantSnapshot, want: &TenantSnapshot, what: &str) {
    fn items<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g, w, "{what} #{i}");
        }
        assert_eq!(got.len(), want.len(), "{what}");
    }
    items(
        &got.applications,
        &want.applications,
        &format!("{what}: applications"),
    );
    items(
        &got.service_principals,
        &want.service_principals,
        &format!("{what}: service principals"),
    );
    items(
        &got.user_assigned_identities,
        &want.user_assigned_identities,
        &format!("{what}: identities"),
    );
    items(
        &got.role_assignments,
        &want.role_assignments,
        &format!("{what}: role assignments"),
    );
    assert_eq!(got, want, "{what}");
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// End to end.

/// The new credential, identity or role assignments a finished run left in the emulator.
fn assert_new_credential(
    emu: &Emulator,
    original: &TenantSnapshot,
    plan: &Plan,
    sample: Sample,
    summary: &migrate::Summary,
) {
    let after = emu.snapshot();
    let app = app_of(&after, plan);
    let before = app_of(original, plan);
    match sample {
        Sample::Certificate => {
            let Some(Change::AddKey {
                credential, key, ..
            }) = plan
                .steps
                .iter()
                .map(|s| &s.action)
                .find(|a| matches!(a, Change::AddKey { .. }))
            else {
                panic!("no upload step: {plan:#?}")
            };
            assert!(
                app.key_credentials
                    .iter()
                    .any(|k| k.key_id == credential.key_id)
            );
            // The emulator holds the public DER, whose SHA-1 is the plan's thumbprint.
            let held = emu.key_credential_key(&credential.key_id);
            assert_eq!(Some(&held), key.as_ref());
            let der = azure_core::base64::decode(&held).unwrap();
            let sha1: String = {
                use sha1::Digest;
                sha1::Sha1::digest(&der)
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect()
            };
            let thumbprint = credential.custom_key_identifier.clone().unwrap_or_default();
            assert_eq!(sha1, thumbprint, "the plan's thumbprint");
            assert!(x509_parser::parse_x509_certificate(&der).is_ok());
            assert_eq!(
                app.key_credentials.len(),
                before.key_credentials.len() + 1,
                "the other certificates stay"
            );
        }
        Sample::FicGitHub
        | Sample::FicKubernetes
        | Sample::FicManagedIdentity
        | Sample::FicOidc => {
            let Some(Change::AddFederatedCredential { credential, .. }) = plan
                .steps
                .iter()
                .map(|s| &s.action)
                .find(|a| matches!(a, Change::AddFederatedCredential { .. }))
            else {
                panic!("no FIC step: {plan:#?}")
            };
            let held = app
                .federated_identity_credentials
                .iter()
                .find(|f| f.name == credential.name)
                .expect("the new federated credential");
            assert_eq!(held.issuer, credential.issuer);
            assert_eq!(held.subject, credential.subject);
            assert_eq!(held.audiences, credential.audiences);
            if sample == Sample::FicManagedIdentity {
                let mi = after
                    .user_assigned_identities
                    .iter()
                    .find(|u| u.name == "id-payroll-batch")
                    .unwrap();
                assert_eq!(held.subject.as_deref(), Some(mi.principal_id.as_str()));
                assert!(held.issuer.contains(&after.tenant_id), "{}", held.issuer);
            }
        }
        Sample::ManagedIdentityCreate | Sample::ManagedIdentityExisting => {
            let name = if sample == Sample::ManagedIdentityCreate {
                "id-invoice-worker"
            } else {
                "id-invoices-logic"
            };
            let mi = after
                .user_assigned_identities
                .iter()
                .find(|u| u.name == name)
                .unwrap();
            let sp = after
                .service_principals
                .iter()
                .find(|s| s.app_id == before.app_id)
                .unwrap();
            let roles = |principal: &str, s: &TenantSnapshot| {
                let mut r: Vec<(String, String)> = s
                    .role_assignments
                    .iter()
                    .filter(|a| a.principal_id == principal)
                    .map(|a| {
                        (
                            a.role_definition_id.to_string(),
                            a.scope.to_ascii_lowercase(),
                        )
                    })
                    .collect();
                r.sort();
                r
            };
            let copied = roles(&mi.principal_id, &after);
            let had = roles(&mi.principal_id, original);
            let wanted = roles(&sp.id, original);
            assert!(!wanted.is_empty(), "{sample:?}: the sample copies roles");
            for r in &wanted {
                assert!(copied.contains(r), "{sample:?}: {r:?} copied");
            }
            assert_eq!(copied.len(), had.len() + wanted.len());
            if sample == Sample::ManagedIdentityCreate {
                // Azure chose the ids; later steps and the journal use them.
                let provisional = plan.provisional.clone().unwrap();
                assert_ne!(mi.principal_id, provisional.principal_id);
                assert_ne!(mi.client_id, provisional.client_id);
                assert!(uuid::Uuid::parse_str(&mi.principal_id).is_ok());
                assert!(
                    after
                        .service_principals
                        .iter()
                        .any(|s| s.id == mi.principal_id)
                );
                let state = &summary.state;
                let text = serde_json::to_string(&state.plan).unwrap();
                assert!(
                    !text.contains(&provisional.client_id),
                    "the journaled plan is rebound"
                );
                assert!(text.contains(&mi.client_id));
            }
        }
    }
}

#[test]
fn each_migration_runs_end_to_end_against_the_emulator() {
    rt().block_on(async {
        let keys_dir = tempfile::tempdir().unwrap();
        let keys = key_files(keys_dir.path());
        for sample in Sample::ALL {
            for remove in ["all", ""] {
                let emu = Emulator::start(demo_snapshot()).await;
                let original = emu.snapshot();
                let dir = tempfile::tempdir().unwrap();
                let store = store(dir.path());
                let plan = sample.plan(remove, Some(&keys.info));
                let summary = run(&live(&emu), &store, &plan).await;
                assert_eq!(summary.outcome, RunOutcome::Done, "{sample:?} {remove:?}");
                let after = emu.snapshot();
                let app = app_of(&after, &plan);
                let before = app_of(&original, &plan);
                if remove == "all" {
                    assert!(app.password_credentials.is_empty(), "{sample:?}");
                } else {
                    assert_eq!(app.password_credentials, before.password_credentials);
                }
                let state = store.read(&summary.journal_id).unwrap();
                assert_eq!(state.closed.map(|c| c.0), Some(Outcome::Done));
                assert!(
                    state
                        .steps
                        .iter()
                        .all(|p| p.state == Some(StepState::Verified))
                );
                let want = canonical(plan.preview(&original).unwrap(), &original);
                assert_same(
                    &canonical(after.clone(), &original),
                    &want,
                    &format!("{sample:?} {remove:?}"),
                );
                assert_new_credential(&emu, &original, &plan, sample, &summary);
            }
        }
    });
}

/// secret-to-managed-identity on a `LiveBackend` against the emulator, for an application
/// whose service principal holds Storage Blob Data Reader on one container only: the new
/// identity gets the same condition (read back from ARM, by a fresh load and by a `GET` of
/// the assignment), the run's end state is the plan's preview, and a rollback removes the
/// copy.
#[test]
fn a_conditioned_role_assignment_is_copied_with_its_condition_against_the_emulator() {
    use common::conditions::{CONTAINER_CONDITION, copy_among, with_conditioned_assignment};
    rt().block_on(async {
        let (tenant0, original) = with_conditioned_assignment(demo_snapshot(), |_| {});
        let emu = Emulator::start(tenant0.clone()).await;
        let start = emu.snapshot();
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let plan = Sample::ManagedIdentityCreate.plan_on(&tenant0, "all", None);
        assert!(plan.refused.is_empty(), "{:?}", plan.refused);
        let backend = live(&emu);
        let summary = run(&backend, &store, &plan).await;
        assert_eq!(summary.outcome, RunOutcome::Done);
        let after = emu.snapshot();
        let mi = after
            .user_assigned_identities
            .iter()
            .find(|u| u.name == "id-invoice-worker")
            .unwrap()
            .clone();
        // Read back through the live backend: a fresh load sees the copy with its condition.
        let loaded = backend
            .load(&Default::default(), &credwise::backend::Progress::silent())
            .await
            .unwrap();
        let copy = copy_among(
            &loaded.snapshot.role_assignments,
            &original,
            &mi.principal_id,
        )
        .expect("the copy");
        assert_eq!(copy.condition.as_deref(), Some(CONTAINER_CONDITION));
        assert_eq!(copy.condition_version.as_deref(), Some("2.0"));
        assert_eq!(copy.description, original.description);
        // And ARM's own answer for that assignment.
        let url = format!("{}{}?api-version=2022-04-01", emu.arm_url(), copy.id);
        let v: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert_eq!(v["properties"]["condition"], CONTAINER_CONDITION);
        assert_eq!(v["properties"]["conditionVersion"], "2.0");
        assert_eq!(v["properties"]["principalId"], mi.principal_id.as_str());
        let want = canonical(plan.preview(&start).unwrap(), &start);
        assert_same(&canonical(after, &start), &want, "conditioned copy");

        // The secrets are gone for good on a live tenant: a plain rollback would leave the
        // application with nothing to sign in with, so it refuses before changing anything.
        let refused = migrate::rollback(&backend, &store, &summary.journal_id, &options()).await;
        assert!(
            matches!(
                refused,
                Err(migrate::MigrateError::Lockout {
                    changed_nothing: true,
                    ..
                })
            ),
            "{refused:?}"
        );
        let name = app_of(&start, &plan).display_name.clone();
        let rolled = migrate::rollback_with(
            &backend,
            &store,
            &summary.journal_id,
            &migrate::RollbackMode::Force { confirmation: name },
            &options(),
        )
        .await
        .unwrap();
        assert!(
            matches!(rolled.outcome, RunOutcome::RolledBackExceptSecrets { .. }),
            "{:?}",
            rolled.outcome
        );
        let back = emu.snapshot();
        assert!(copy_among(&back.role_assignments, &original, &mi.principal_id).is_none());
        assert!(
            back.role_assignments.contains(&original),
            "the original is untouched"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Faults at every step.

/// The write request a step's action sends, as a fault matcher.
fn write_matcher(change: &Change) -> Matcher {
    let last = |id: &str| id.rsplit('/').next().unwrap_or_default().to_string();
    match change {
        Change::AddKey { target, .. } => match target {
            Target::Application(id) => Matcher::new("PATCH", &format!("/v1.0/applications/{id}")),
            other => panic!("{other:?}"),
        },
        Change::RemovePassword { .. } => Matcher::new("POST", "/removePassword"),
        Change::AddFederatedCredential { target, .. } => match target {
            Target::Application(_) => Matcher::new("POST", "/federatedIdentityCredentials"),
            _ => Matcher::new("PUT", "/federatedIdentityCredentials/"),
        },
        Change::CreateUserAssignedIdentity { identity } => {
            Matcher::new("PUT", &format!("/userAssignedIdentities/{}", identity.name))
        }
        Change::AddRoleAssignment { assignment } => {
            Matcher::new("PUT", &format!("/roleAssignments/{}", last(&assignment.id)))
        }
        other => panic!("no plan step does {other:?}"),
    }
}

/// A fault on step `k`'s write: earlier steps sending the same kind of request pass.
fn fault_at(plan: &Plan, k: usize, action: FaultAction) -> (Fault, Matcher, usize) {
    let m = write_matcher(&plan.steps[k].action);
    let skip = plan.steps[..k]
        .iter()
        .filter(|s| write_matcher(&s.action) == m)
        .count();
    (Fault::new(m.clone(), action).skip(skip), m, skip)
}

fn status(status: u16, code: &str) -> FaultAction {
    FaultAction::Status {
        status,
        headers: vec![],
        body: emulator::graph_error(code, "Injected by the test."),
    }
}

fn sent(emu: &Emulator, m: &Matcher) -> usize {
    emu.requests()
        .iter()
        .filter(|r| {
            let path = r.path_and_query.split('?').next().unwrap_or_default();
            m.matches(&r.method, path)
        })
        .count()
}

/// 409, 429 (with a decimal Retry-After) and 500 on every step's write: 429 is ridden
/// through; 409 and 500 stop the run with the step journaled as failed, the write sent once;
/// `resume` then reaches the end state of an uninterrupted run.
#[test]
fn a_fault_at_every_step_is_ridden_through_or_resumed_to_the_same_end_state() {
    rt().block_on(async {
        let cert = certificate();
        let mut runs = 0;
        for sample in Sample::FAULTS {
            let plan = sample.plan("all", Some(&cert));
            let original = demo_snapshot();
            let want = canonical(plan.preview(&original).unwrap(), &original);
            for (name, action) in [
                (
                    "409",
                    status(409, "Request_MultipleObjectsWithSameKeyValue"),
                ),
                (
                    "429",
                    FaultAction::Throttle {
                        retry_after: "0.01".into(),
                    },
                ),
                ("500", status(500, "UnknownError")),
            ] {
                for k in 0..plan.steps.len() {
                    let what = format!("{sample:?} {name} at step {k}");
                    let emu = Emulator::start(demo_snapshot()).await;
                    let b = live(&emu);
                    let dir = tempfile::tempdir().unwrap();
                    let store = store(dir.path());
                    let (fault, m, skip) = fault_at(&plan, k, action.clone());
                    emu.inject(fault);
                    let summary = run(&b, &store, &plan).await;
                    runs += 1;
                    if name == "429" {
                        assert_eq!(summary.outcome, RunOutcome::Done, "{what}");
                        let writes = plan
                            .steps
                            .iter()
                            .filter(|s| write_matcher(&s.action) == m)
                            .count();
                        assert_eq!(
                            sent(&emu, &m),
                            writes + 1,
                            "{what}: sent again after the wait"
                        );
                    } else {
                        let RunOutcome::Failed { index, cause, .. } = &summary.outcome else {
                            panic!("{what}: {:?}", summary.outcome)
                        };
                        assert_eq!(
                            (*index, *cause),
                            (k, credwise::backend::Cause::Service),
                            "{what}"
                        );
                        assert_eq!(
                            sent(&emu, &m),
                            skip + 1,
                            "{what}: a failed write is not repeated"
                        );
                        let state = store.read(&summary.journal_id).unwrap();
                        assert!(state.closed.is_none(), "{what}: the journal stays open");
                        assert_eq!(state.steps[k].state, Some(StepState::Failed), "{what}");
                        let resumed = migrate::resume(&b, &store, &summary.journal_id, &options())
                            .await
                            .unwrap();
                        assert_eq!(resumed.outcome, RunOutcome::Done, "{what}");
                    }
                    assert_same(&canonical(emu.snapshot(), &original), &want, &what);
                    assert!(emu.secret_texts().is_empty(), "{what}: no secret was made");
                }
            }
        }
        assert!(runs > 45, "{runs}");
    });
}

/// The change takes effect but its answer is cut off mid-body (the emulator's `Truncate`), at
/// every step: the run finishes or stops with the step failed, and `resume` finds the change
/// in place instead of making it twice.
#[test]
fn a_lost_answer_at_every_step_is_not_applied_twice() {
    rt().block_on(async {
        let cert = certificate();
        for sample in Sample::FAULTS {
            let plan = sample.plan("all", Some(&cert));
            let original = demo_snapshot();
            let want = canonical(plan.preview(&original).unwrap(), &original);
            for k in 0..plan.steps.len() {
                let what = format!("{sample:?} truncated at step {k}");
                let emu = Emulator::start(demo_snapshot()).await;
                let b = live(&emu);
                let dir = tempfile::tempdir().unwrap();
                let store = store(dir.path());
                let (fault, m, _) = fault_at(&plan, k, FaultAction::Truncate);
                emu.inject(fault);
                let summary = run(&b, &store, &plan).await;
                match &summary.outcome {
                    RunOutcome::Done => {}
                    RunOutcome::Failed { index, .. } => {
                        assert_eq!(*index, k, "{what}");
                        let resumed = migrate::resume(&b, &store, &summary.journal_id, &options())
                            .await
                            .unwrap();
                        assert_eq!(resumed.outcome, RunOutcome::Done, "{what}");
                    }
                    other => panic!("{what}: {other:?}"),
                }
                let writes = plan
                    .steps
                    .iter()
                    .filter(|s| write_matcher(&s.action) == m)
                    .count();
                assert_eq!(sent(&emu, &m), writes, "{what}: each write sent once");
                assert_same(&canonical(emu.snapshot(), &original), &want, &what);
            }
        }
    });
}

/// A 500 at every step, then `rollback`: the emulator's tenant is the original except for the
/// secrets removed before the fault, which a live tenant cannot bring back; the outcome and
/// the record name them.
#[test]
fn rollback_after_a_fault_at_every_step_restores_everything_restorable() {
    rt().block_on(async {
        let cert = certificate();
        for sample in Sample::FAULTS {
            let plan = sample.plan("all", Some(&cert));
            let original = demo_snapshot();
            for k in 0..plan.steps.len() {
                let what = format!("{sample:?} 500 at step {k}");
                let emu = Emulator::start(demo_snapshot()).await;
                let b = live(&emu);
                let dir = tempfile::tempdir().unwrap();
                let store = store(dir.path());
                emu.inject(fault_at(&plan, k, status(500, "UnknownError")).0);
                let summary = run(&b, &store, &plan).await;
                assert!(
                    matches!(summary.outcome, RunOutcome::Failed { index, .. } if index == k),
                    "{what}: {:?}",
                    summary.outcome
                );
                let rolled = migrate::rollback(&b, &store, &summary.journal_id, &options())
                    .await
                    .unwrap();
                // The secrets removed before step k stay removed.
                let removed: Vec<String> = plan.steps[..k]
                    .iter()
                    .filter_map(|s| match &s.action {
                        Change::RemovePassword { key_id, .. } => Some(key_id.clone()),
                        _ => None,
                    })
                    .collect();
                let mut expected = original.clone();
                for a in &mut expected.applications {
                    a.password_credentials
                        .retain(|p| !removed.iter().any(|r| p.key_id == *r));
                }
                assert_same(
                    &canonical(emu.snapshot(), &original),
                    &canonical(expected, &original),
                    &what,
                );
                assert!(
                    emu.secret_texts().is_empty(),
                    "{what}: no secret was added back"
                );
                let record = store.read_record(&summary.journal_id).unwrap();
                if removed.is_empty() {
                    assert_eq!(rolled.outcome, RunOutcome::RolledBack, "{what}");
                } else {
                    let RunOutcome::RolledBackExceptSecrets { unrestored } = &rolled.outcome else {
                        panic!("{what}: {:?}", rolled.outcome)
                    };
                    let ids: Vec<&String> = unrestored.iter().map(|u| &u.key_id).collect();
                    assert_eq!(ids.len(), removed.len(), "{what}");
                    for id in &removed {
                        assert!(ids.contains(&id), "{what}");
                        assert!(record.contains(id.as_str()), "{what}: {record}");
                    }
                    assert!(
                        record.contains("az ad app credential reset --id"),
                        "{record}"
                    );
                }
                let state = store.read(&summary.journal_id).unwrap();
                assert_eq!(
                    state.closed.map(|c| c.0),
                    Some(Outcome::RolledBack),
                    "{what}"
                );
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// A removed secret cannot come back on a live tenant.

/// A rollback that may leave the identity without a usable credential, confirmed by name.
fn force(plan: &Plan) -> RollbackMode {
    RollbackMode::Force {
        confirmation: plan.identity.display_name.clone(),
    }
}

/// Every secret was removed on a live tenant, where they cannot come back: a plain rollback
/// stops before changing anything (undoing the federated credential would lock the app out);
/// forced by the identity's name, it goes ahead, leaving the secrets removed, and a failure
/// half-way is finished by running it again.
#[test]
fn rolling_back_a_finished_migration_leaves_removed_secrets_removed_on_a_live_tenant() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan("all", None);
        let original = demo_snapshot();
        let secrets = app_of(&original, &plan).password_credentials.clone();
        assert_eq!(secrets.len(), 2);
        let emu = Emulator::start(demo_snapshot()).await;
        let b = live(&emu);
        assert!(!b.restores_removed_secrets());
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let summary = run(&b, &store, &plan).await;
        assert_eq!(summary.outcome, RunOutcome::Done);
        let done = emu.snapshot();

        // A plain rollback refuses before changing anything.
        emu.clear_requests();
        let refused = migrate::rollback(&b, &store, &summary.journal_id, &options()).await;
        let Err(migrate::MigrateError::Lockout {
            lockout,
            changed_nothing: true,
            ..
        }) = refused
        else {
            panic!("{refused:?}")
        };
        assert_eq!(lockout.identity, plan.identity.display_name);
        assert!(lockout.last.contains("federated credential"), "{lockout}");
        assert_eq!(lockout.unrestored.len(), 2, "{lockout}");
        assert_eq!(emu.snapshot(), done, "nothing changed");
        assert!(
            emu.requests().iter().all(|r| r.method == "GET"),
            "only reads were sent"
        );
        let state = store.read(&summary.journal_id).unwrap();
        assert_eq!(state.closed.map(|c| c.0), Some(Outcome::Done));
        assert!(!state.rolling_back, "the journal says nothing happened");

        // Forced without the identity's name: refused.
        let wrong = RollbackMode::Force {
            confirmation: "someone-else".into(),
        };
        assert!(matches!(
            migrate::rollback_with(&b, &store, &summary.journal_id, &wrong, &options()).await,
            Err(migrate::MigrateError::ForceNotConfirmed { .. })
        ));

        // Forced: the FIC's removal fails once: the rollback stops there, with the secret
        // steps already journaled as not restorable…
        emu.inject(status_fault(
            "DELETE",
            "/federatedIdentityCredentials/",
            500,
        ));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut o = options();
        o.events = Some(tx);
        let failed = migrate::rollback_with(&b, &store, &summary.journal_id, &force(&plan), &o)
            .await
            .unwrap();
        drop(o);
        assert!(
            matches!(failed.outcome, RunOutcome::RollbackFailed { index: 0, .. }),
            "{:?}",
            failed.outcome
        );
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        let skipped: Vec<usize> = events
            .iter()
            .filter_map(|e| match e {
                Event::Step {
                    index,
                    state: StepState::NotRestorable,
                    message,
                } => {
                    let reason = message.as_deref().unwrap_or_default();
                    assert!(reason.contains("cannot be restored"), "{reason}");
                    Some(*index)
                }
                _ => None,
            })
            .collect();
        assert_eq!(skipped, [2, 1], "newest first");
        let state = store.read(&summary.journal_id).unwrap();
        assert_eq!(state.steps[1].state, Some(StepState::NotRestorable));
        assert_eq!(state.steps[2].state, Some(StepState::NotRestorable));
        assert_eq!(state.steps[0].state, Some(StepState::UndoFailed));

        // …and the forced rollback run again finishes, still not touching the secrets.
        let rolled =
            migrate::rollback_with(&b, &store, &summary.journal_id, &force(&plan), &options())
                .await
                .unwrap();
        let RunOutcome::RolledBackExceptSecrets { unrestored } = &rolled.outcome else {
            panic!("{:?}", rolled.outcome)
        };
        let mut got: Vec<(&str, Option<&str>)> = unrestored
            .iter()
            .map(|u| (u.key_id.as_str(), u.display_name.as_deref()))
            .collect();
        got.sort();
        let mut want: Vec<(&str, Option<&str>)> = secrets
            .iter()
            .map(|p| (p.key_id.as_str(), p.display_name.as_deref()))
            .collect();
        want.sort();
        assert_eq!(got, want);
        let app_id = plan.identity.app_id.clone().unwrap();
        for u in unrestored {
            assert_eq!(
                u.target,
                Target::Application(plan.identity.object_id.clone())
            );
            let remedy = u.remedy(Some(&app_id));
            assert!(
                remedy.contains(&format!(
                    "az ad app credential reset --id {app_id} --append"
                )),
                "{remedy}"
            );
            assert!(remedy.contains("update the workload"), "{remedy}");
        }
        // The tenant: the FIC is gone, no secret was added (back or new).
        let after = emu.snapshot();
        let app = app_of(&after, &plan);
        assert!(app.password_credentials.is_empty());
        assert_eq!(
            app.federated_identity_credentials,
            app_of(&original, &plan).federated_identity_credentials
        );
        assert!(emu.secret_texts().is_empty());
        assert!(
            !emu.requests()
                .iter()
                .any(|r| r.path_and_query.contains("/addPassword"))
        );
        // The journal is closed as rolled back; the record says what could not be undone,
        // that the last credential went because it was forced, and what to do.
        let state = store.read(&summary.journal_id).unwrap();
        assert_eq!(state.closed.map(|c| c.0), Some(Outcome::RolledBack));
        assert_eq!(state.steps[0].state, Some(StepState::Undone));
        let record = store.read_record(&summary.journal_id).unwrap();
        assert!(
            record.contains(
                "| Outcome | rolled back, except 2 removed secrets that cannot be restored |"
            ),
            "{record}"
        );
        assert!(
            record.contains("cannot be undone on a live tenant"),
            "{record}"
        );
        assert!(record.contains("forced"), "{record}");
        for p in &secrets {
            assert!(record.contains(p.key_id.as_str()), "{record}");
        }
        assert!(record.contains("az ad app credential reset"), "{record}");
        // Ended: neither resumed nor rolled back again.
        assert!(matches!(
            migrate::rollback(&b, &store, &summary.journal_id, &options()).await,
            Err(migrate::MigrateError::Closed { .. })
        ));
    });
}

fn status_fault(method: &str, path: &str, code: u16) -> Fault {
    Fault::new(Matcher::new(method, path), status(code, "UnknownError"))
}

/// The snapshot backend keeps restoring removed secrets (same keyId and metadata), and the
/// wrappers say what the backend they wrap does.
#[test]
fn a_snapshot_restores_removed_secrets_and_wrappers_forward_the_answer() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan("all", None);
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let demo = common::migration::demo_backend();
        assert!(demo.restores_removed_secrets());
        let summary = run(demo.as_ref(), &store, &plan).await;
        assert_eq!(summary.outcome, RunOutcome::Done);
        let rolled = migrate::rollback(demo.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert_eq!(rolled.outcome, RunOutcome::RolledBack);
        let after = common::migration::tenant(demo.as_ref()).await;
        assert_eq!(
            common::migration::normalized(after),
            common::migration::normalized(demo_snapshot())
        );
        let record = store.read_record(&summary.journal_id).unwrap();
        assert!(record.contains("| Outcome | rolled back |"), "{record}");
        assert!(!record.contains("credential reset"), "{record}");

        let emu = Emulator::start(demo_snapshot()).await;
        let live: Arc<dyn Backend> = Arc::new(live(&emu));
        for (wrapped, want) in [
            (Arc::new(ReadOnly(live.clone())) as Arc<dyn Backend>, false),
            (Arc::new(ReadOnly(demo.clone())), true),
        ] {
            assert_eq!(
                wrapped.restores_removed_secrets(),
                want,
                "{}",
                wrapped.describe()
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// No secret material anywhere.

/// Everything in the journals directory (journals, records, locks), by name.
fn journal_texts(store: &JournalStore) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    let mut dirs = vec![store.dir().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                texts.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    texts
}

/// The emulator's log of every request and `$batch` item: method, path, headers, body.
fn request_texts(emu: &Emulator) -> Vec<(String, String)> {
    emu.requests()
        .into_iter()
        .chain(emu.batch_items())
        .map(|r| {
            let name = format!("{} {}", r.method, r.path_and_query);
            (
                name,
                format!(
                    "{} {} {:?} {}",
                    r.method, r.path_and_query, r.headers, r.body
                ),
            )
        })
        .collect()
}

/// After each migration (and its rollback), with a secret the emulator handed out just before
/// (so its value exists to be leaked) and real key files: no journal, record, event or logged
/// request holds the private key, a `secretText` value, or the word `secretText`.
#[test]
fn journals_records_events_and_the_request_log_hold_no_secret_material() {
    rt().block_on(async {
        let keys_dir = tempfile::tempdir().unwrap();
        let keys = key_files(keys_dir.path());
        #[cfg(unix)]
        for f in [&keys.info.key_file, &keys.info.pfx_file] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f.as_ref().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f:?}");
        }
        // The private key block's base64 lines (the key file holds the certificate too).
        let key_lines: Vec<String> = keys
            .key_pem
            .split("-----BEGIN PRIVATE KEY-----")
            .nth(1)
            .unwrap()
            .lines()
            .filter(|l| l.len() > 40)
            .map(str::to_string)
            .collect();
        assert!(key_lines.len() > 10);
        for sample in Sample::ALL {
            let emu = Emulator::start(demo_snapshot()).await;
            let b = live(&emu);
            // A fresh secret on the identity, which the migration then removes.
            let identity = sample.plan("", Some(&keys.info)).identity;
            let added = b
                .apply(&Change::AddPassword {
                    target: Target::Application(identity.object_id.clone()),
                    credential: credwise::domain::PasswordCredential {
                        key_id: "planned".into(),
                        display_name: Some("fresh".into()),
                        hint: None,
                        start_date_time: None,
                        end_date_time: None,
                    },
                })
                .await
                .unwrap();
            let value = added.secret.as_ref().unwrap().expose().to_string();
            assert_eq!(emu.secret_texts(), std::slice::from_ref(&value));
            drop(added);
            let plan = sample.plan_on(&emu.snapshot(), "all", Some(&keys.info));
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut o = options();
            o.events = Some(tx);
            let summary = migrate::run(&b, &store, plan.clone(), demo_source(), &o)
                .await
                .unwrap();
            assert_eq!(summary.outcome, RunOutcome::Done, "{sample:?}");
            // Forced (every secret is gone, so the new credential is the last): every undo
            // record is written.
            let rolled = migrate::rollback_with(&b, &store, &summary.journal_id, &force(&plan), &o)
                .await
                .unwrap();
            assert!(
                matches!(rolled.outcome, RunOutcome::RolledBackExceptSecrets { .. }),
                "{sample:?}: {:?}",
                rolled.outcome
            );
            drop(o);
            let mut events = String::new();
            while let Some(e) = rx.recv().await {
                events.push_str(&format!("{e:?}\n"));
            }
            let mut texts = journal_texts(&store);
            assert!(texts.len() >= 2, "{sample:?}: the journal and the record");
            texts.extend(request_texts(&emu));
            texts.push(("events".into(), events));
            texts.push((
                "outcome".into(),
                format!("{:?} {:?}", summary.outcome, rolled.outcome),
            ));
            for (name, text) in &texts {
                assert!(!text.contains("PRIVATE KEY"), "{sample:?}: {name}");
                for line in &key_lines {
                    assert!(
                        !text.contains(line),
                        "{sample:?}: {name} holds private key material"
                    );
                }
                assert!(
                    !text.contains(&value),
                    "{sample:?}: {name} holds a secret value"
                );
                assert!(!text.contains("secretText"), "{sample:?}: {name}");
                assert_eq!(
                    credwise::store::journal::secret_marker(text),
                    None,
                    "{sample:?}: {name}"
                );
            }
            // The removed secret's metadata is in the journal (so the record can name it);
            // its value is not.
            let journal = std::fs::read_to_string(store.journal_path(&summary.journal_id)).unwrap();
            assert!(journal.contains("fresh"), "{sample:?}");
        }
    });
}

mod tokens {
    //! A fake credential and the transport to the emulator (`tests/common/loopback.rs`).
    pub use crate::common::loopback::{MARKER, token};

    use super::*;

    pub async fn rig() -> (Emulator, LiveBackend) {
        let (emu, b, _) = crate::common::loopback::signed_in(
            demo_snapshot(),
            LiveConfig {
                retry: fast_retries(),
                ..LiveConfig::new(Arc::new(|| NOW))
            },
        )
        .await;
        (emu, b)
    }
}

/// A migration and its rollback with a bearer token: the token is in every request's
/// `Authorization` header and nowhere else — not in a journal, the record, a request's path,
/// body or other headers.
#[test]
fn no_bearer_token_reaches_a_journal_a_record_or_the_request_log() {
    rt().block_on(async {
        let (emu, b) = tokens::rig().await;
        for sample in [Sample::FicGitHub, Sample::ManagedIdentityCreate] {
            let plan = sample.plan("all", None);
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            let summary = run(&b, &store, &plan).await;
            assert_eq!(summary.outcome, RunOutcome::Done, "{sample:?}");
            let state = store.read(&summary.journal_id).unwrap();
            assert_eq!(
                state.principal.as_deref(),
                Some("application 11112222-3333-4444-5555-666677778888 (0b1c2d3e-0000-4000-8000-00000000c0de)")
            );
            migrate::rollback_with(
                &b,
                &store,
                &summary.journal_id,
                &force(&plan),
                &options(),
            )
            .await
            .unwrap();
            for (name, text) in journal_texts(&store) {
                assert!(!text.contains(tokens::MARKER), "{name}");
                assert_eq!(credwise::store::journal::secret_marker(&text), None, "{name}");
            }
        }
        let log = emu.requests();
        assert!(log.iter().any(|r| r.method == "POST"), "writes were sent");
        for r in &log {
            let auth: Vec<&str> = r
                .headers
                .iter()
                .filter(|(k, _)| k == "authorization")
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(auth, [format!("Bearer {}", tokens::token())], "{}", r.path_and_query);
            for (k, v) in &r.headers {
                assert!(k == "authorization" || !v.contains(tokens::MARKER), "{k}");
            }
            assert!(!r.path_and_query.contains(tokens::MARKER));
            assert!(!r.body.contains(tokens::MARKER));
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The real binary.

/// Runs the `credwise` binary with data and cache directories in `home`, on a blocking
/// thread (the emulator serves from this test's runtime meanwhile).
async fn credwise_in(home: &Path, args: Vec<String>) -> common::cli::Run {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = common::cli::credwise();
        cmd.env("CREDWISE_DATA_DIR", home.join("data"))
            .env("CREDWISE_CACHE_DIR", home.join("cache"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        common::cli::Run::of(&mut cmd, &refs)
    })
    .await
    .unwrap()
}

fn args(words: &[&str], emu: Option<&Emulator>) -> Vec<String> {
    let mut all: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    if let Some(emu) = emu {
        all.extend([
            "--graph-url".into(),
            emu.graph_url(),
            "--arm-url".into(),
            emu.arm_url(),
            "--auth".into(),
            "none".into(),
        ]);
    }
    all
}

#[tokio::test]
async fn the_binary_migrates_against_the_emulator_and_rolls_back() {
    let emu = Emulator::start(demo_snapshot()).await;
    let home = tempfile::tempdir().unwrap();
    let fic = [
        "migrate",
        "secret-to-fic",
        "--identity",
        "payroll-api",
        "--github-repo",
        "fabrikam/payroll-api",
        "--branch",
        "main",
        "--apply",
        "--yes",
    ];
    let out = credwise_in(home.path(), args(&fic, Some(&emu)))
        .await
        .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    assert!(out.contains("azure/login"), "the workflow snippet: {out}");

    // `status` (no source needed) shows it done.
    let status = credwise_in(
        home.path(),
        args(&["migrate", "status", "--output", "json"], None),
    )
    .await
    .succeeded();
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let journals = status.as_array().unwrap();
    assert_eq!(journals.len(), 1, "{status:#}");
    assert_eq!(journals[0]["status"], "done");
    assert_eq!(journals[0]["migration"], "secret-to-fic");
    assert!(
        journals[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "verified")
    );
    let id = journals[0]["journalId"].as_str().unwrap().to_string();
    let text = credwise_in(home.path(), args(&["migrate", "status"], None))
        .await
        .succeeded();
    assert!(text.contains(&id) && text.contains("done"), "{text}");

    // `list --output json` shows the FIC on payroll-api, as the emulator holds it.
    let list = credwise_in(home.path(), args(&["list", "--output", "json"], Some(&emu)))
        .await
        .succeeded();
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let app = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "application" && i["displayName"] == "payroll-api")
        .unwrap();
    let fics: Vec<&serde_json::Value> = app["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "federated")
        .collect();
    let subject = "repo:fabrikam/payroll-api:ref:refs/heads/main";
    let new = fics
        .iter()
        .find(|c| c["subject"] == subject)
        .unwrap_or_else(|| panic!("{app:#}"));
    assert_eq!(new["issuer"], "https://token.actions.githubusercontent.com");
    assert!(
        app["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "secret"),
        "the secret stays without --remove-secrets"
    );
    let held = emu.snapshot();
    let payroll = held
        .applications
        .iter()
        .find(|a| a.display_name == "payroll-api")
        .unwrap();
    assert!(
        payroll
            .federated_identity_credentials
            .iter()
            .any(|f| f.subject.as_deref() == Some(subject))
    );

    // Rolled back through the binary: the FIC is gone.
    let out = credwise_in(
        home.path(),
        args(&["migrate", "rollback", &id, "--yes"], Some(&emu)),
    )
    .await
    .succeeded();
    assert!(out.contains("Migration rolled back"), "{out}");
    let payroll_fics = |emu: &Emulator| {
        emu.snapshot()
            .applications
            .into_iter()
            .find(|a| a.display_name == "payroll-api")
            .unwrap()
    };
    assert!(
        !payroll_fics(&emu)
            .federated_identity_credentials
            .iter()
            .any(|f| f.subject.as_deref() == Some(subject))
    );

    // With --remove-secrets all, a rollback cannot bring the secret back: it exits 0 and
    // says which secret and what to do.
    let secret = payroll_fics(&emu).password_credentials[0].clone();
    let mut remove = fic.to_vec();
    remove.extend(["--remove-secrets", "all", "--without-usage-evidence"]);
    let sign_in_reads = |emu: &Emulator| {
        emu.requests()
            .iter()
            .filter(|r| {
                r.path_and_query.contains("/auditLogs/signIns")
                    || r.path_and_query.contains("/reports/")
            })
            .count()
    };
    let reads_before = sign_in_reads(&emu);
    let out = credwise_in(home.path(), args(&remove, Some(&emu)))
        .await
        .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    assert!(payroll_fics(&emu).password_credentials.is_empty());
    // The override reads no sign-in evidence: a live read is paced at five requests per 10 s.
    assert_eq!(sign_in_reads(&emu), reads_before, "no sign-in read");
    let id = out
        .split("Journal ")
        .nth(1)
        .and_then(|t| t.split('.').next())
        .unwrap()
        .to_string();
    let r = credwise_in(
        home.path(),
        args(&["migrate", "rollback", &id, "--yes"], Some(&emu)),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("except 1 removed secret"), "{}", r.stdout);
    assert!(r.stdout.contains(secret.key_id.as_str()), "{}", r.stdout);
    let app_id = payroll_fics(&emu).app_id;
    let command = format!("az ad app credential reset --id {app_id} --append");
    assert!(r.stdout.contains(&command), "{}", r.stdout);
    assert!(
        r.stderr.contains("left as it is"),
        "the progress line: {}",
        r.stderr
    );
    assert!(payroll_fics(&emu).password_credentials.is_empty());
    assert!(emu.secret_texts().is_empty());
    let status = credwise_in(
        home.path(),
        args(&["migrate", "status", &id, "--output", "json"], None),
    )
    .await
    .succeeded();
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["status"], "rolled back", "{status:#}");
    let states: Vec<&str> = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["undone", "not-restorable"], "{status:#}");
    let record = credwise_in(
        home.path(),
        args(&["migrate", "status", &id, "--record"], None),
    )
    .await
    .succeeded();
    assert!(
        record
            .contains("| Outcome | rolled back, except 1 removed secret that cannot be restored |"),
        "{record}"
    );
    assert!(record.contains(&command), "{record}");
}

/// The name-based GitHub subjects of the tenant, as `(identity, subject)`.
fn name_based_github(s: &TenantSnapshot) -> Vec<(String, String)> {
    let apps = s
        .applications
        .iter()
        .map(|a| (a.display_name.clone(), &a.federated_identity_credentials));
    let uamis = s
        .user_assigned_identities
        .iter()
        .map(|u| (u.name.clone(), &u.federated_identity_credentials));
    apps.chain(uamis)
        .flat_map(|(n, fics)| {
            fics.iter()
                .filter(|f| f.issuer == "https://token.actions.githubusercontent.com")
                .filter_map(|f| f.subject.clone())
                .filter(|s| {
                    s.strip_prefix("repo:")
                        .and_then(|r| r.split_once(':'))
                        .is_some_and(|(repo, _)| !repo.contains('@'))
                })
                .map(move |s| (n.clone(), s))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn the_binary_moves_github_subjects_in_bulk_against_the_emulator_and_rolls_one_back() {
    use credwise_test_kit::github::{GitHubStandIn, Repo};
    let before = demo_snapshot();
    let emu = Emulator::start(before.clone()).await;
    let github = GitHubStandIn::start(
        credwise_test_kit::tenant::demo::github_repositories()
            .into_iter()
            .map(|(owner, owner_id, name, id)| Repo {
                owner: owner.into(),
                owner_id,
                name: name.into(),
                id,
                private: false,
            })
            .collect(),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let moved = name_based_github(&before);
    assert!(!moved.is_empty());
    let url = github.url();
    let out = credwise_in(
        home.path(),
        args(
            &[
                "migrate",
                "github-immutable-subject",
                "--all",
                "--github-api-url",
                &url,
                "--apply",
                "--yes",
                "--without-usage-evidence",
            ],
            Some(&emu),
        ),
    )
    .await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(name_based_github(&emu.snapshot()), vec![], "{}", out.stdout);
    // The identity's credentials went through ARM at the preview, the apps' through Graph.
    let requests = emu.requests();
    assert!(requests.iter().any(|r| r.method == "PUT"
        && r.path_and_query.contains(
            "/federatedIdentityCredentials/platform-tools-main-immutable?api-version=2025-01-31-preview"
        )));
    assert!(requests.iter().any(|r| {
        r.method == "DELETE"
            && r.path_and_query.contains("/applications/")
            && r.path_and_query
                .contains("/federatedIdentityCredentials/payroll-production")
    }));

    // One identity's journal rolls back on its own: its name-based credentials come back.
    let store = JournalStore::at(home.path().join("data").join("journals"));
    let journals = store.list().unwrap().0;
    let payroll = journals
        .iter()
        .find(|j| j.plan.identity.display_name == "payroll-api")
        .unwrap();
    let r = credwise_in(
        home.path(),
        args(&["migrate", "rollback", &payroll.id, "--yes"], Some(&emu)),
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let back: Vec<(String, String)> = name_based_github(&emu.snapshot());
    let want: Vec<(String, String)> = moved
        .iter()
        .filter(|(i, _)| i == "payroll-api")
        .cloned()
        .collect();
    assert_eq!(back, want);
}
