//! A property test over random sequences of apply / kill / resume / rollback, on every
//! migration kind (certificate, each federated credential preset, a managed identity created
//! and an existing one), with and without removing secrets, on the snapshot backend as it is
//! (a removed secret comes back on rollback) and as a live tenant behaves (it cannot). A
//! "kill" is the process dying at an arbitrary point: just before a change is sent, after a
//! change took effect but before its journal record (a panic in a backend wrapper), or a
//! lost answer. After every operation:
//!
//! - the identity never has zero usable credentials (a secret or certificate within its
//!   dates, a federated credential, or — for a move to a managed identity — that identity
//!   with every role assignment the plan grants it), counted here independently of the
//!   engine's own rule;
//! - no secret is ever removed before every earlier step's verification — a content check —
//!   was asked and held;
//!
//! and at the end, once the migration is finished or rolled back, the tenant is exactly what
//! its journal says: the original plus every step done, kept or left unrestorable.
//!
//! A smaller run does the same against the live backend and the Graph/ARM emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::Duration;

use common::NOW;
use common::migration::{
    Fault, Faulty, Op, certificate, ctx, demo_backend, demo_snapshot, demo_source, normalized,
    options, removals_follow_verification, store, tenant,
};
use credwise::backend::Backend;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::domain::migration::{
    CertificateForm, FicForm, ManagedIdentityForm, Plan, SequentialIds,
};
use credwise::domain::{Change, Directory, TenantSnapshot};
use credwise::jobs::migrate::{self, RollbackMode};
use credwise::store::journal::{JournalState, JournalStore, StepState};
use proptest::prelude::*;

/// Every migration kind and preset, on identities that hold nothing but secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Certificate,
    FicGitHub,
    FicKubernetes,
    FicManagedIdentity,
    FicOidc,
    ManagedIdentityCreate,
    ManagedIdentityExisting,
}

const KINDS: [Kind; 7] = [
    Kind::Certificate,
    Kind::FicGitHub,
    Kind::FicKubernetes,
    Kind::FicManagedIdentity,
    Kind::FicOidc,
    Kind::ManagedIdentityCreate,
    Kind::ManagedIdentityExisting,
];

/// Which secrets the plan removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Remove {
    None,
    First,
    All,
}

impl Kind {
    fn identity(self) -> &'static str {
        match self {
            Kind::Certificate | Kind::FicGitHub | Kind::ManagedIdentityCreate => "invoice-worker",
            Kind::FicKubernetes => "carrier-portal-connector",
            Kind::FicManagedIdentity | Kind::ManagedIdentityExisting => "legacy-ftp-bridge",
            Kind::FicOidc => "sap-erp-connector",
        }
    }

    fn plan(self, s: &TenantSnapshot, remove: Remove) -> Plan {
        let dir = Directory::new(s.clone());
        let remove = match remove {
            Remove::None => String::new(),
            Remove::All => "all".into(),
            Remove::First => {
                let a = s
                    .applications
                    .iter()
                    .find(|a| a.display_name == self.identity())
                    .unwrap();
                a.password_credentials[0].key_id.to_string()
            }
        };
        let ctx = ctx(&dir);
        let mut ids = SequentialIds::default();
        let fic = FicForm {
            identity: self.identity().into(),
            remove_secrets: remove.clone(),
            ..Default::default()
        };
        match self {
            Kind::Certificate => CertificateForm {
                identity: self.identity().into(),
                remove_secrets: remove,
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids, Some(&certificate()))
            .unwrap(),
            Kind::FicGitHub => FicForm {
                github_repo: "fabrikam/invoice-worker".into(),
                environment: "production".into(),
                ..fic
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Kind::FicKubernetes => FicForm {
                k8s_issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/".into(),
                namespace: "shipments".into(),
                service_account: "shipments-api".into(),
                ..fic
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Kind::FicManagedIdentity => FicForm {
                managed_identity: "id-payroll-batch".into(),
                ..fic
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Kind::FicOidc => FicForm {
                issuer: "https://gitlab.example.com".into(),
                subject: "project_path:fabrikam/sap:ref_type:branch:ref:main".into(),
                ..fic
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Kind::ManagedIdentityCreate => ManagedIdentityForm {
                identity: self.identity().into(),
                create: "id-invoice-worker".into(),
                resource_group: "rg-invoices-prod".into(),
                location: "westeurope".into(),
                remove_secrets: remove,
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
            Kind::ManagedIdentityExisting => ManagedIdentityForm {
                identity: self.identity().into(),
                managed_identity: "id-invoices-logic".into(),
                remove_secrets: remove,
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids)
            .unwrap(),
        }
    }
}

/// How an operation's process ends, at its `n`-th change (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kill {
    None,
    /// Dies just before sending the change.
    Before(usize),
    /// The change took effect; dies before journaling it.
    After(usize),
    /// The change took effect; its answer is lost.
    Lost(usize),
    /// The service refuses the change (500).
    Refused(usize),
}

impl Kill {
    fn fault(self) -> (Fault, usize) {
        match self {
            Kill::None => (Fault::None, usize::MAX),
            Kill::Before(n) => (Fault::KillBeforeApply, n),
            Kill::After(n) => (Fault::KillAfterApply, n),
            Kill::Lost(n) => (Fault::LostAnswer, n),
            Kill::Refused(n) => (Fault::ServerError, n),
        }
    }
}

/// One thing the user (or a crash) does to the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Resume(Kill),
    /// `keep`: keep the new credential when undoing it would lock the identity out.
    Rollback {
        keep: bool,
        kill: Kill,
    },
}

fn kill() -> impl Strategy<Value = Kill> {
    prop_oneof![
        2 => Just(Kill::None),
        1 => (0usize..6).prop_map(Kill::Before),
        2 => (0usize..6).prop_map(Kill::After),
        1 => (0usize..6).prop_map(Kill::Lost),
        1 => (0usize..6).prop_map(Kill::Refused),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (kill()).prop_map(Action::Resume),
        (any::<bool>(), kill()).prop_map(|(keep, kill)| Action::Rollback { keep, kill }),
    ]
}

/// A scenario: the migration, whether the backend restores removed secrets, how the first
/// run ends, and what follows.
#[derive(Debug, Clone)]
struct Scenario {
    kind: Kind,
    remove: Remove,
    restores: bool,
    first: Kill,
    then: Vec<Action>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::sample::select(KINDS.to_vec()),
        prop_oneof![Just(Remove::None), Just(Remove::First), Just(Remove::All)],
        any::<bool>(),
        kill(),
        proptest::collection::vec(action(), 0..5),
    )
        .prop_map(|(kind, remove, restores, first, then)| Scenario {
            kind,
            remove,
            restores,
            first,
            then,
        })
}

/// The identity's usable credentials in `s`, counted without the engine's help: secrets and
/// certificates within their dates, federated credentials, and for a move to a managed
/// identity that identity once it exists with every role assignment the plan grants it.
fn usable(s: &TenantSnapshot, plan: &Plan) -> usize {
    let c = s.credentials_of(&plan.identity.target).unwrap();
    let valid = |start: Option<credwise::domain::Timestamp>,
                 end: Option<credwise::domain::Timestamp>| {
        start.is_none_or(|t| t <= NOW) && end.is_none_or(|t| t > NOW)
    };
    let mut n = c
        .passwords
        .iter()
        .filter(|p| valid(p.start_date_time, p.end_date_time))
        .count()
        + c.keys
            .iter()
            .filter(|k| valid(k.start_date_time, k.end_date_time))
            .count()
        + c.federated.len();
    let mut grants = plan.steps.iter().filter_map(|st| match &st.action {
        Change::CreateUserAssignedIdentity { identity } => Some(
            s.user_assigned_identities
                .iter()
                .any(|u| u.id.eq_ignore_ascii_case(&identity.id)),
        ),
        Change::AddRoleAssignment { assignment } => Some(
            s.role_assignments
                .iter()
                .any(|r| r.id.eq_ignore_ascii_case(&assignment.id)),
        ),
        _ => None,
    });
    let mut any = false;
    if grants.all(|g| {
        any = true;
        g
    }) && any
    {
        n += 1;
    }
    n
}

/// The tenant a closed journal describes: the original with every step done, kept, or left
/// unrestorable.
fn described(original: &TenantSnapshot, state: &JournalState) -> TenantSnapshot {
    let mut s = original.clone();
    for (step, p) in state.plan.steps.iter().zip(&state.steps) {
        let in_place = match p.state {
            Some(StepState::Verified) => !p.already_in_place,
            Some(StepState::Kept) | Some(StepState::NotRestorable) => true,
            _ => false,
        };
        if in_place {
            s.apply(&step.action).unwrap();
        }
    }
    s
}

/// What one operation did: its backend calls, and whether the process died.
struct Done {
    ops: Vec<Op>,
}

/// Runs one operation in its own task, so a simulated crash (a panic) ends only it.
async fn attempt<F>(faulty: Arc<Faulty>, job: F) -> Done
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let _ = tokio::spawn(job).await;
    Done { ops: faulty.ops() }
}

fn faulty(inner: Arc<dyn Backend>, kill: Kill, restores: bool) -> Arc<Faulty> {
    let (fault, at) = kill.fault();
    let mut f = Faulty::failing(inner, fault, at);
    f.restores_secrets = Some(restores);
    Arc::new(f)
}

/// Plays `sc` on `inner` (whose tenant starts as `original`) and checks the properties.
async fn play(
    sc: &Scenario,
    inner: Arc<dyn Backend>,
    original: &TenantSnapshot,
    read: &(dyn Fn() -> TenantSnapshot + Send + Sync),
    compare: &(dyn Fn(&TenantSnapshot, &TenantSnapshot) -> bool + Send + Sync),
) -> Result<(), TestCaseError> {
    let plan = sc.kind.plan(original, sc.remove);
    let dir = tempfile::tempdir().unwrap();
    let store: JournalStore = store(dir.path());
    let mut log: Vec<Op> = Vec::new();
    let check = |log: &[Op], what: &str| -> Result<(), TestCaseError> {
        let now = read();
        prop_assert!(
            usable(&now, &plan) >= 1,
            "{what}: the identity has no usable credential ({sc:?})"
        );
        removals_follow_verification(&plan, log)
            .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
        Ok(())
    };

    let f = faulty(inner.clone(), sc.first, sc.restores);
    let (p, s, ff) = (plan.clone(), store.clone(), f.clone());
    log.extend(
        attempt(f.clone(), async move {
            let _ = migrate::run(ff.as_ref(), &s, p, demo_source(), &options()).await;
        })
        .await
        .ops,
    );
    check(&log, "the first run")?;
    let Some(id) = store.list().unwrap().0.first().map(|j| j.id.clone()) else {
        return Ok(());
    };
    for (i, a) in sc.then.iter().enumerate() {
        let (kill, rollback) = match *a {
            Action::Resume(k) => (k, None),
            Action::Rollback { keep, kill } => (
                kill,
                Some(if keep {
                    RollbackMode::KeepNewCredential
                } else {
                    RollbackMode::Safe
                }),
            ),
        };
        let f = faulty(inner.clone(), kill, sc.restores);
        let (s, ff, id2) = (store.clone(), f.clone(), id.clone());
        log.extend(
            attempt(f.clone(), async move {
                let _ = match rollback {
                    Some(m) => migrate::rollback_with(ff.as_ref(), &s, &id2, &m, &options()).await,
                    None => migrate::resume(ff.as_ref(), &s, &id2, &options()).await,
                };
            })
            .await
            .ops,
        );
        check(&log, &format!("after {a:?} (#{i})"))?;
    }

    // Finish: resume what is open, or roll back what is being rolled back (keeping the new
    // credential when it is the last), then compare the tenant with the journal.
    let state = store.read(&id).unwrap();
    if state.closed.is_none() {
        let f = faulty(inner.clone(), Kill::None, sc.restores);
        let result = if state.rolling_back {
            migrate::rollback_with(
                f.as_ref(),
                &store,
                &id,
                &RollbackMode::KeepNewCredential,
                &options(),
            )
            .await
        } else {
            migrate::resume(f.as_ref(), &store, &id, &options()).await
        };
        log.extend(f.ops());
        prop_assert!(result.is_ok(), "finishing: {result:?}");
        check(&log, "finishing")?;
    }
    let state = store.read(&id).unwrap();
    prop_assert!(
        state.closed.is_some(),
        "the journal is closed: {}",
        state.status()
    );
    let want = described(original, &state);
    let got = read();
    prop_assert!(
        compare(&got, &want),
        "the tenant is what the journal says ({sc:?}):\njournal steps {:?}",
        state.steps.iter().map(|p| p.state).collect::<Vec<_>>()
    );
    prop_assert!(
        store.record_path(&id).exists(),
        "an ended migration has its record"
    );
    Ok(())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The simulated crashes are panics; keep them off the test output.
fn quiet_simulated_crashes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let simulated = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("simulated crash"));
            if !simulated {
                previous(info);
            }
        }));
    });
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    /// On the snapshot backend: never zero usable credentials, never a removal before a
    /// verification by content, and the journal's end state is the tenant's.
    #[test]
    fn any_sequence_of_apply_kill_resume_and_rollback_keeps_the_identity_able_to_sign_in(
        sc in scenario()
    ) {
        quiet_simulated_crashes();
        let rt = rt();
        let inner = demo_backend();
        let original = demo_snapshot();
        let reader = inner.clone();
        let read = move || {
            let b = reader.clone();
            futures::executor::block_on(async move { tenant(b.as_ref()).await })
        };
        let compare = |a: &TenantSnapshot, b: &TenantSnapshot| {
            normalized(a.clone()) == normalized(b.clone())
        };
        rt.block_on(play(&sc, inner, &original, &read, &compare))?;
    }
}

fn live(emu: &emulator::Emulator) -> LiveBackend {
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

/// The emulator's tenant against the journal's account of it, on what a migration touches:
/// the identity's credentials (by keyId, name and content), the user-assigned identities and
/// the role assignments (by id; Azure adds its own fields and chooses a created identity's
/// ids, which the journal records).
fn same_on_the_emulator(plan: &Plan, got: &TenantSnapshot, want: &TenantSnapshot) -> bool {
    let creds = |s: &TenantSnapshot| {
        let c = s.credentials_of(&plan.identity.target).unwrap();
        let mut secrets: Vec<String> = c.passwords.iter().map(|p| p.key_id.to_string()).collect();
        let mut keys: Vec<String> = c.keys.iter().map(|k| k.key_id.to_string()).collect();
        let mut fics: Vec<String> = c
            .federated
            .iter()
            .map(credwise::domain::verify::fic_words)
            .collect();
        secrets.sort();
        keys.sort();
        fics.sort();
        (secrets, keys, fics)
    };
    let ids = |s: &TenantSnapshot| {
        let mut u: Vec<String> = s
            .user_assigned_identities
            .iter()
            .map(|u| u.id.to_ascii_lowercase())
            .collect();
        let mut r: Vec<String> = s
            .role_assignments
            .iter()
            .map(|r| r.id.to_ascii_lowercase())
            .collect();
        u.sort();
        r.sort();
        (u, r)
    };
    creds(got) == creds(want) && ids(got) == ids(want)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    /// The same against the live backend and the Graph/ARM emulator, where a removed secret
    /// cannot come back; fewer cases (each starts an emulator and speaks HTTP).
    #[test]
    fn on_a_live_tenant_too_no_sequence_locks_the_identity_out(
        sc in scenario().prop_map(|mut sc| { sc.restores = false; sc })
    ) {
        quiet_simulated_crashes();
        let rt = rt();
        rt.block_on(async {
            let emu = Arc::new(emulator::Emulator::start(demo_snapshot()).await);
            let inner: Arc<dyn Backend> = Arc::new(live(&emu));
            let original = demo_snapshot();
            let plan = sc.kind.plan(&original, sc.remove);
            let e = emu.clone();
            let read = move || e.snapshot();
            let compare = move |a: &TenantSnapshot, b: &TenantSnapshot| {
                same_on_the_emulator(&plan, a, b)
            };
            play(&sc, inner, &original, &read, &compare).await
        })?;
    }
}
