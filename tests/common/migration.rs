//! Shared helpers for the migration tests: plans for each migration on the demo tenant, run
//! options with a pinned clock and fast backoff, a journal store in a temporary directory,
//! order-insensitive snapshot comparison, and `Faulty`, a `Backend` wrapper that fails, throttles
//! or "kills" (panics after the change took effect, before the run can journal it) at a chosen
//! step and records the order of every apply and check.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use credwise::backend::snapshot::SnapshotBackend;
use credwise::backend::{Applied, Backend, Error, Loaded, Progress, Scope, demo};
use credwise::domain::change::Target;
use credwise::domain::migration::{
    CertificateForm, CertificateInfo, FicForm, ManagedIdentityForm, Plan, PlanContext,
    SequentialIds,
};
use credwise::domain::{Change, Check, CheckOutcome, Directory, ObjectCredentials, TenantSnapshot};
use credwise::jobs::migrate::{self, Backoff, Options};
use credwise::store::journal::{JournalStore, SourceKind, SourceRecord};

use super::NOW;

/// Credential lists and role assignments as sets: Graph promises no order, and an undo adds a
/// removed credential back at the end.
pub fn normalized(mut s: TenantSnapshot) -> TenantSnapshot {
    for a in &mut s.applications {
        a.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    for p in &mut s.service_principals {
        p.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        p.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
    }
    for u in &mut s.user_assigned_identities {
        u.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    s.user_assigned_identities.sort_by(|x, y| x.id.cmp(&y.id));
    s.role_assignments.sort_by(|x, y| x.id.cmp(&y.id));
    s
}

pub fn demo_snapshot() -> TenantSnapshot {
    demo::snapshot(NOW)
}

pub fn demo_backend() -> Arc<SnapshotBackend> {
    Arc::new(SnapshotBackend::in_memory(demo_snapshot(), "demo"))
}

pub fn store(dir: &Path) -> JournalStore {
    JournalStore::at(dir.join("journals"))
}

/// Fast options for the tests of a run's other rules (faults, resume, rollback, lockout):
/// they remove secrets on the explicit `--without-usage-evidence` override, since a fresh
/// credential has no sign-ins yet. The retirement gate's own branches are
/// `tests/migration_gate.rs`'s, with the gate's defaults.
pub fn options() -> Options {
    let mut o = Options::new(Arc::new(|| NOW));
    o.backoff = Backoff::FAST;
    o.gate.without_usage_evidence = true;
    o
}

pub fn demo_source() -> SourceRecord {
    SourceRecord {
        kind: SourceKind::Demo,
        description: "demo".into(),
        path: None,
        tenant: None,
        cloud: None,
    }
}

/// A real generated certificate, made once per test binary (RSA key generation is slow in
/// debug builds). Its private key is dropped unwritten.
pub fn certificate() -> CertificateInfo {
    static CERT: OnceLock<CertificateInfo> = OnceLock::new();
    CERT.get_or_init(|| {
        credwise::jobs::migrate::certificate::generate("payroll-api", 12, NOW, None)
            .unwrap()
            .0
    })
    .clone()
}

pub fn ctx(dir: &Directory) -> PlanContext<'_> {
    PlanContext {
        dir,
        now: NOW,
        guidance: migrate::guidance(),
    }
}

/// The three migrations as the tests run them, on the demo tenant, each removing the
/// identity's secrets at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    Certificate,
    FicGitHub,
    ManagedIdentityCreate,
    ManagedIdentityExisting,
}

impl Sample {
    pub const ALL: [Sample; 4] = [
        Sample::Certificate,
        Sample::FicGitHub,
        Sample::ManagedIdentityCreate,
        Sample::ManagedIdentityExisting,
    ];

    pub fn plan(self, snapshot: &TenantSnapshot, remove: &str) -> Plan {
        let dir = Directory::new(snapshot.clone());
        let ctx = ctx(&dir);
        let mut ids = SequentialIds::default();
        match self {
            Sample::Certificate => CertificateForm {
                identity: "payroll-api".into(),
                remove_secrets: remove.into(),
                ..Default::default()
            }
            .build_plan(&ctx, &mut ids, Some(&certificate()))
            .unwrap(),
            Sample::FicGitHub => FicForm {
                identity: "invoice-worker".into(),
                github_repo: "fabrikam/invoice-worker".into(),
                environment: "production".into(),
                remove_secrets: remove.into(),
                ..Default::default()
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

/// One backend call, as `Faulty` saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Apply(Change),
    /// A check and its answer.
    Check(Check, CheckOutcome),
}

/// What `Faulty` does at its `at`-th apply (0-based, counting every apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Fails before the change takes effect, as a 500 from the service.
    ServerError,
    /// Fails as a 409 conflict.
    Conflict,
    /// Throttled (429) before the change takes effect.
    Throttled,
    /// The change takes effect, then the process "dies" before credwise can journal it.
    KillAfterApply,
    /// The process "dies" just before the change is sent.
    KillBeforeApply,
    /// The change takes effect, then its answer is lost (a network failure).
    LostAnswer,
}

/// A backend wrapper for fault injection and for recording the order of calls.
pub struct Faulty {
    pub inner: Arc<dyn Backend>,
    pub fault: Fault,
    pub at: usize,
    /// Answer every check with a 429 this many times first.
    pub throttle_checks: Mutex<usize>,
    /// Azure's ids for a created identity (replacing the plan's provisional ones).
    pub azure_ids: Option<(String, String)>,
    /// Answer `restores_removed_secrets` with this instead of the inner backend's answer: a
    /// snapshot that behaves like a live tenant, where a removed secret cannot come back.
    pub restores_secrets: Option<bool>,
    pub applies: Mutex<usize>,
    pub log: Mutex<Vec<Op>>,
}

impl Faulty {
    pub fn new(inner: Arc<dyn Backend>) -> Self {
        Self {
            inner,
            fault: Fault::None,
            at: usize::MAX,
            throttle_checks: Mutex::new(0),
            azure_ids: None,
            restores_secrets: None,
            applies: Mutex::new(0),
            log: Mutex::new(vec![]),
        }
    }

    pub fn failing(inner: Arc<dyn Backend>, fault: Fault, at: usize) -> Self {
        Self {
            fault,
            at,
            ..Self::new(inner)
        }
    }

    pub fn ops(&self) -> Vec<Op> {
        self.log.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Backend for Faulty {
    fn describe(&self) -> String {
        format!("faulty {}", self.inner.describe())
    }

    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        self.inner.load(scope, progress).await
    }

    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        self.inner.credentials(target).await
    }

    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        self.inner.tenant_id().await
    }

    fn restores_removed_secrets(&self) -> bool {
        self.restores_secrets
            .unwrap_or_else(|| self.inner.restores_removed_secrets())
    }

    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        {
            let mut t = self.throttle_checks.lock().unwrap();
            if *t > 0 {
                *t -= 1;
                return Err(Error::Throttled {
                    retry_after_secs: 0,
                });
            }
        }
        let answer = self.inner.examine(check).await?;
        self.log
            .lock()
            .unwrap()
            .push(Op::Check(check.clone(), answer.clone()));
        Ok(answer)
    }

    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        let n = {
            let mut a = self.applies.lock().unwrap();
            *a += 1;
            *a - 1
        };
        if n == self.at {
            match self.fault {
                Fault::None | Fault::KillAfterApply | Fault::LostAnswer => {}
                Fault::KillBeforeApply => panic!("simulated crash before applying change {n}"),
                Fault::ServerError => {
                    return Err(Error::Service {
                        service: "Graph",
                        code: "500".into(),
                        message: "Internal Server Error".into(),
                        request_id: "req-1".into(),
                    });
                }
                Fault::Conflict => {
                    return Err(Error::Service {
                        service: "ARM",
                        code: "409".into(),
                        message: "Conflict".into(),
                        request_id: "req-2".into(),
                    });
                }
                Fault::Throttled => {
                    return Err(Error::Throttled {
                        retry_after_secs: 1,
                    });
                }
            }
        }
        // Azure picks a created identity's ids.
        let change = match (change, &self.azure_ids) {
            (Change::CreateUserAssignedIdentity { identity }, Some((p, c))) => {
                let mut identity = identity.clone();
                identity.principal_id = p.clone();
                identity.client_id = c.clone();
                Change::CreateUserAssignedIdentity { identity }
            }
            _ => change.clone(),
        };
        let applied = self.inner.apply(&change).await?;
        self.log.lock().unwrap().push(Op::Apply(change));
        if n == self.at && self.fault == Fault::KillAfterApply {
            panic!("simulated crash after applying change {n}");
        }
        if n == self.at && self.fault == Fault::LostAnswer {
            return Err(Error::Network(
                "the connection closed before the answer".into(),
            ));
        }
        Ok(applied)
    }
}

/// The tenant after loading it from `backend`.
pub async fn tenant(backend: &dyn Backend) -> TenantSnapshot {
    (*backend
        .load(&Scope::default(), &Progress::silent())
        .await
        .unwrap()
        .snapshot)
        .clone()
}

/// Whether `seen` is the check `planned` once Azure's ids are known (a created identity's
/// check learns its principal and client ids when the identity exists).
pub fn same_check(planned: &Check, seen: &Check) -> bool {
    match (planned, seen) {
        (
            Check::UserAssignedIdentityMatches {
                id: a,
                principal_id: None,
                ..
            },
            Check::UserAssignedIdentityMatches { id: b, .. },
        ) => a.eq_ignore_ascii_case(b),
        (
            Check::RoleAssignmentMatches { assignment: a },
            Check::RoleAssignmentMatches { assignment: b },
        ) => {
            a.id == b.id
                && a.role_definition_id == b.role_definition_id
                && a.scope == b.scope
                && a.condition == b.condition
        }
        _ => planned == seen,
    }
}

/// Every secret removal comes after each earlier step's verification — a content check —
/// was asked and held.
pub fn removals_follow_verification(plan: &Plan, ops: &[Op]) -> Result<(), String> {
    let guards: Vec<&Check> = plan
        .steps
        .iter()
        .filter(|s| !s.removes_secret)
        .map(|s| &s.verification)
        .collect();
    for g in &guards {
        if !g.by_content() {
            return Err(format!("{g:?} does not compare content"));
        }
    }
    for (i, op) in ops.iter().enumerate() {
        if let Op::Apply(Change::RemovePassword { key_id, .. }) = op {
            for g in &guards {
                let held = ops[..i]
                    .iter()
                    .any(|o| matches!(o, Op::Check(c, CheckOutcome::Holds) if same_check(g, c)));
                if !held {
                    return Err(format!(
                        "secret {key_id} removed before {g:?} was verified:\n{ops:#?}"
                    ));
                }
            }
        }
    }
    Ok(())
}
