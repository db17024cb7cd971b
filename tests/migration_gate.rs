//! The retirement gate wired into every migration run (`jobs::migrate`): before a secret
//! removal the usage evidence is read fresh from the backend, and the removal goes with it,
//! waits without it (journaled `waiting`, nothing removed, `resume` asks again), goes on the
//! explicit override (journaled and recorded with what was missing). On the demo tenant's own
//! evidence (payroll-api's secret still signs in beside its replacement; orders-web's has been
//! idle for 120 days) and on evidence that arrives later, as a new sign-in read would bring it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::NOW;
use common::migration::{certificate, ctx, demo_backend, demo_snapshot, demo_source, store};
use credwise::backend::{Applied, Backend, Error, Loaded, Progress, Scope, UsageRequest};
use credwise::cli::exit;
use credwise::domain::change::Target;
use credwise::domain::credential::CredentialType;
use credwise::domain::migration::retirement::GateVerdict;
use credwise::domain::migration::{CertificateForm, Plan, SequentialIds};
use credwise::domain::usage::{CredentialActivity, UsageData, UsageSource};
use credwise::domain::{Change, Check, CheckOutcome, Directory, ObjectCredentials, Timestamp};
use credwise::jobs::migrate::{self, Options, RunOutcome};
use credwise::store::journal::{JournalStore, Outcome, Record, StepState};

/// The orders-web application (its name is shared with its service principal and a
/// system-assigned identity).
const ORDERS_WEB: &str = "93dee85d-eb1e-4b1a-9a20-faee04e5950d";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Run options as a user's: the gate's defaults (7 idle days, no override).
fn gated() -> Options {
    let mut o = common::migration::options();
    o.gate = Default::default();
    o
}

/// A backend whose sign-in evidence the test controls, as a later read of the reports and
/// the log would bring it; everything else is the wrapped tenant's.
struct WithUsage {
    inner: Arc<dyn Backend>,
    usage: Mutex<Option<UsageData>>,
    reads: Mutex<usize>,
}

impl WithUsage {
    fn new(inner: Arc<dyn Backend>) -> Self {
        Self {
            inner,
            usage: Mutex::new(None),
            reads: Mutex::new(0),
        }
    }

    fn set(&self, usage: UsageData) {
        *self.usage.lock().unwrap() = Some(usage);
    }
}

#[async_trait::async_trait]
impl Backend for WithUsage {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        self.inner.load(scope, progress).await
    }
    async fn load_usage(
        &self,
        request: &UsageRequest,
        progress: &Progress,
    ) -> Result<UsageData, Error> {
        *self.reads.lock().unwrap() += 1;
        let given = self.usage.lock().unwrap().clone();
        match given {
            Some(u) => Ok(u),
            None => self.inner.load_usage(request, progress).await,
        }
    }
    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        self.inner.examine(check).await
    }
    async fn credentials(&self, target: &Target) -> Result<ObjectCredentials, Error> {
        self.inner.credentials(target).await
    }
    async fn tenant_id(&self) -> Result<Option<String>, Error> {
        self.inner.tenant_id().await
    }
    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        self.inner.apply(change).await
    }
}

/// secret-to-certificate for `identity`, removing every secret.
fn plan_for(identity: &str) -> Plan {
    let snap = demo_snapshot();
    let dir = Directory::new(snap);
    CertificateForm {
        identity: identity.into(),
        remove_secrets: "all".into(),
        ..Default::default()
    }
    .build_plan(
        &ctx(&dir),
        &mut SequentialIds::default(),
        Some(&certificate()),
    )
    .unwrap()
}

fn new_key_id(plan: &Plan) -> String {
    plan.steps
        .iter()
        .find_map(|s| match &s.action {
            Change::AddKey { credential, .. } => Some(credential.key_id.to_string()),
            _ => None,
        })
        .unwrap()
}

fn removal(plan: &Plan) -> usize {
    plan.steps.iter().position(|s| s.removes_secret).unwrap()
}

/// The demo's evidence read again at `at + 1h`, now with the new certificate signing in at
/// `at`: what a sign-in read brings once the workload uses the new credential.
fn evidence_with_new_certificate(plan: &Plan, at: Timestamp) -> UsageData {
    let mut usage = demo_snapshot().usage;
    usage.collected_at = Some(at + time::Duration::hours(1));
    usage.credentials.push(CredentialActivity {
        source: UsageSource::CredentialReport,
        credential_type: CredentialType::Certificate,
        key: new_key_id(plan),
        thumbprint: None,
        app_id: plan.identity.app_id.clone(),
        owner_id: Some(plan.identity.object_id.clone()),
        origin: None,
        last_sign_in: Some(at),
        last_request_id: None,
        last_failure: None,
    });
    usage
}

async fn secrets_of(backend: &dyn Backend, plan: &Plan) -> usize {
    backend
        .credentials(&plan.identity.target)
        .await
        .unwrap()
        .passwords
        .len()
}

#[test]
fn a_removal_without_evidence_waits_and_nothing_is_removed() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let backend = demo_backend();
        // payroll-api: its secret signed in yesterday, and the new certificate never did.
        let plan = plan_for("payroll-api");
        let at = removal(&plan);
        let summary = migrate::run(
            backend.as_ref(),
            &store,
            plan.clone(),
            demo_source(),
            &gated(),
        )
        .await
        .unwrap();
        let RunOutcome::Waiting {
            index,
            missing,
            idle_days,
        } = &summary.outcome
        else {
            panic!("{:?}", summary.outcome);
        };
        assert_eq!((*index, *idle_days), (at, 7));
        assert!(
            missing.iter().any(|m| m.contains("still signs in")),
            "{missing:?}"
        );
        assert!(
            missing
                .iter()
                .any(|m| m.contains("has not been seen signing in since it was added")),
            "{missing:?}"
        );
        assert_eq!(exit::of_outcome(&summary.outcome), exit::WAITING);
        assert!(!summary.outcome.ended());
        let words = summary.wording();
        assert!(
            words
                .headline
                .starts_with(&format!("Waiting before step {}", at + 1)),
            "{words:?}"
        );
        let all = words.one_line();
        assert!(all.contains("Nothing was removed"), "{all}");
        assert!(
            all.contains(&format!("credwise migrate resume {}", summary.journal_id)),
            "{all}"
        );
        assert!(all.contains("--without-usage-evidence"), "{all}");
        // Nothing removed; the new certificate is in place.
        assert_eq!(secrets_of(backend.as_ref(), &plan).await, 1);
        // The journal: open, the removal `waiting` with the decision, durable on disk.
        let state = store.read(&summary.journal_id).unwrap();
        assert_eq!(state.closed, None);
        assert_eq!(state.waiting(), Some(at));
        assert_eq!(state.status(), "waiting on evidence");
        assert!(state.steps[..at].iter().all(|p| p.is_complete()));
        let gate = state.steps[at].gate.clone().unwrap();
        assert_eq!(gate.verdict, GateVerdict::Wait);
        assert_eq!(&gate.missing, missing);
        assert!(!state.steps[at].applied);
        // No record yet: the migration has not ended.
        assert!(summary.record.is_none());
    });
}

#[test]
fn a_removal_goes_when_the_new_credential_signs_in_and_the_secret_is_idle() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        // orders-web: its secret has been idle for 120 days; the new certificate signs in.
        let plan = plan_for(ORDERS_WEB);
        let backend = WithUsage::new(demo_backend());
        backend.set(evidence_with_new_certificate(
            &plan,
            NOW + time::Duration::minutes(30),
        ));
        let summary = migrate::run(&backend, &store, plan.clone(), demo_source(), &gated())
            .await
            .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done);
        assert_eq!(secrets_of(&backend, &plan).await, 0);
        let at = removal(&plan);
        let state = store.read(&summary.journal_id).unwrap();
        let gate = state.steps[at].gate.clone().unwrap();
        assert_eq!(gate.verdict, GateVerdict::Go, "{gate:?}");
        assert!(gate.missing.is_empty());
        assert!(
            gate.shown[0].starts_with("the new certificate keyId"),
            "{gate:?}"
        );
        assert!(
            gate.shown[1].contains("has been idle for 120 days"),
            "{gate:?}"
        );
        assert_eq!(
            *backend.reads.lock().unwrap(),
            1,
            "one read of the evidence per run"
        );
        let record = std::fs::read_to_string(summary.record.unwrap()).unwrap();
        assert!(record.contains("## Usage evidence"), "{record}");
        assert!(
            record.contains(&format!("Usage evidence for step {}: may go", at + 1)),
            "{record}"
        );
        assert!(!record.contains("without usage evidence"), "{record}");
    });
}

#[test]
fn the_idle_days_asked_decide_whether_an_idle_secret_may_go() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let plan = plan_for(ORDERS_WEB);
        let backend = WithUsage::new(demo_backend());
        backend.set(evidence_with_new_certificate(
            &plan,
            NOW + time::Duration::minutes(30),
        ));
        let mut options = gated();
        options.gate.idle_days = 200;
        let summary = migrate::run(&backend, &store, plan.clone(), demo_source(), &options)
            .await
            .unwrap();
        let RunOutcome::Waiting {
            missing, idle_days, ..
        } = &summary.outcome
        else {
            panic!("{:?}", summary.outcome);
        };
        assert_eq!(*idle_days, 200);
        assert!(
            missing.iter().any(|m| m.contains("200 days")),
            "{missing:?}"
        );
        assert_eq!(secrets_of(&backend, &plan).await, 1);
    });
}

#[test]
fn a_waiting_removal_goes_on_resume_once_the_evidence_arrives() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let plan = plan_for(ORDERS_WEB);
        let at = removal(&plan);
        let backend = WithUsage::new(demo_backend());
        // The demo's evidence: read before the certificate was added, so it cannot show it.
        let first = migrate::run(&backend, &store, plan.clone(), demo_source(), &gated())
            .await
            .unwrap();
        let RunOutcome::Waiting { missing, .. } = &first.outcome else {
            panic!("{:?}", first.outcome);
        };
        assert!(
            missing
                .iter()
                .any(|m| m.contains("before the new credential was added")),
            "{missing:?}"
        );
        let id = first.journal_id.clone();
        // Resumed with no new evidence: it waits again, and still removes nothing.
        let again = migrate::resume(&backend, &store, &id, &gated())
            .await
            .unwrap();
        assert!(matches!(again.outcome, RunOutcome::Waiting { index, .. } if index == at));
        assert_eq!(secrets_of(&backend, &plan).await, 1);
        // The workload signs in with the new certificate; a new read shows it.
        backend.set(evidence_with_new_certificate(
            &plan,
            NOW + time::Duration::hours(2),
        ));
        let done = migrate::resume(&backend, &store, &id, &gated())
            .await
            .unwrap();
        assert_eq!(done.outcome, RunOutcome::Done);
        assert_eq!(secrets_of(&backend, &plan).await, 0);
        let state = store.read(&id).unwrap();
        assert_eq!(state.closed.map(|c| c.0), Some(Outcome::Done));
        assert_eq!(
            state.steps[at].gate.as_ref().unwrap().verdict,
            GateVerdict::Go
        );
        // The journal tells the story: waiting twice, then applied and verified.
        let states: Vec<StepState> = state
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Step { index, state, .. } if *index == at => Some(*state),
                _ => None,
            })
            .collect();
        assert_eq!(
            states,
            [
                StepState::Started,
                StepState::Waiting,
                StepState::Started,
                StepState::Waiting,
                StepState::Started,
                StepState::Applied,
                StepState::Verified
            ]
        );
    });
}

#[test]
fn the_override_removes_without_evidence_and_the_journal_and_record_say_so() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let backend = demo_backend();
        let plan = plan_for("payroll-api");
        let at = removal(&plan);
        let mut options = gated();
        options.gate.without_usage_evidence = true;
        let summary = migrate::run(
            backend.as_ref(),
            &store,
            plan.clone(),
            demo_source(),
            &options,
        )
        .await
        .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done);
        assert_eq!(secrets_of(backend.as_ref(), &plan).await, 0);
        let state = store.read(&summary.journal_id).unwrap();
        let gate = state.steps[at].gate.clone().unwrap();
        assert_eq!(gate.verdict, GateVerdict::Overridden);
        // The override reads no sign-in data (a live read is paced): it says so instead.
        assert_eq!(
            gate.missing,
            vec![
                "the sign-in data was not read: --without-usage-evidence overrides the gate"
                    .to_string()
            ],
            "{gate:?}"
        );
        // The `applied` line notes the override and what was missing.
        let note = state
            .records
            .iter()
            .find_map(|r| match r {
                Record::Step {
                    index,
                    state: StepState::Applied,
                    note,
                    ..
                } if *index == at => note.clone(),
                _ => None,
            })
            .unwrap();
        assert!(
            note.starts_with("removed without usage evidence (--without-usage-evidence)"),
            "{note}"
        );
        assert!(note.contains("was not read"), "{note}");
        let record = std::fs::read_to_string(summary.record.unwrap()).unwrap();
        assert!(
            record.contains("removed without usage evidence (--without-usage-evidence)"),
            "{record}"
        );
        assert!(record.contains("goes without usage evidence"), "{record}");
        assert!(
            record.contains("✗") && record.contains("the sign-in data was not read"),
            "{record}"
        );
    });
}

#[test]
fn a_run_ended_while_waiting_leaves_a_journal_that_resume_checks_again() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan_for(ORDERS_WEB);
        let at = removal(&plan);
        let backend = WithUsage::new(demo_backend());
        let id = {
            // The first process: it stops at the gate and ends there.
            let store = store(dir.path());
            let s = migrate::run(&backend, &store, plan.clone(), demo_source(), &gated())
                .await
                .unwrap();
            assert!(matches!(s.outcome, RunOutcome::Waiting { .. }));
            s.journal_id
        };
        // A new process finds it from the journal alone: open, waiting on evidence.
        let store = JournalStore::at(dir.path().join("journals"));
        let (all, bad) = store.list().unwrap();
        assert!(bad.is_empty());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status(), "waiting on evidence");
        assert_eq!(all[0].waiting(), Some(at));
        // Killed between the removal's `started` and its `waiting` line: the journal's last
        // line is the `started` one. Resume must check again, not take the removal as done.
        let path = store.journal_path(&id);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        assert!(lines.last().unwrap().contains("\"waiting\""), "{text}");
        lines.pop();
        std::fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();
        let state = store.read(&id).unwrap();
        assert_eq!(state.steps[at].state, Some(StepState::Started));
        let again = migrate::resume(&backend, &store, &id, &gated())
            .await
            .unwrap();
        assert!(matches!(again.outcome, RunOutcome::Waiting { index, .. } if index == at));
        assert_eq!(secrets_of(&backend, &plan).await, 1, "nothing removed");
        // The evidence arrives; the next resume goes on from the journal.
        backend.set(evidence_with_new_certificate(
            &plan,
            NOW + time::Duration::hours(3),
        ));
        let done = migrate::resume(&backend, &store, &id, &gated())
            .await
            .unwrap();
        assert_eq!(done.outcome, RunOutcome::Done);
        assert_eq!(secrets_of(&backend, &plan).await, 0);
    });
}

#[test]
fn the_plan_preview_shows_each_removals_evidence_from_the_snapshot() {
    use credwise::domain::migration::retirement::{self, GateOptions};
    let snap = demo_snapshot();
    for (identity, shown_or_missing) in [
        ("payroll-api", "still signs in"),
        (ORDERS_WEB, "has been idle for 120 days"),
    ] {
        let plan = plan_for(identity);
        let decisions = retirement::preview(&plan, &snap, NOW, &GateOptions::default());
        assert_eq!(decisions.len(), 1, "{identity}");
        let d = &decisions[0];
        // Fresh: the new certificate cannot have signed in yet.
        assert_eq!(d.verdict, GateVerdict::Wait, "{identity}");
        let lines = retirement::evidence_lines(&decisions, &GateOptions::default());
        assert!(lines[0].starts_with("Usage evidence ("), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains(shown_or_missing)),
            "{identity}: {lines:?}"
        );
    }
    // Nothing removed: no evidence to show.
    let dir = Directory::new(snap.clone());
    let keep = CertificateForm {
        identity: "payroll-api".into(),
        ..Default::default()
    }
    .build_plan(
        &ctx(&dir),
        &mut SequentialIds::default(),
        Some(&certificate()),
    )
    .unwrap();
    assert!(retirement::preview(&keep, &snap, NOW, &GateOptions::default()).is_empty());
}

/// Against the emulator, as on a live tenant: the run reads the sign-in reports and log
/// before the removal and waits (the new certificate has not signed in); a sign-in with the
/// certificate is logged a day later; `resume` reads the evidence again and removes the
/// secret, idle for 120 days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_live_tenant_the_removal_waits_until_the_logs_show_the_new_certificate() {
    use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig};
    use credwise_test_kit::emulator::{Emulator, SignIn};

    let snap = demo_snapshot();
    let emu = Emulator::start(snap.clone()).await;
    let now = Arc::new(Mutex::new(NOW));
    let clock = {
        let now = now.clone();
        Arc::new(move || *now.lock().unwrap())
    };
    let backend = LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        ..LiveConfig::new(clock.clone())
    })
    .unwrap();
    let mut options = gated();
    options.clock = clock;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let plan = plan_for(ORDERS_WEB);
    let at = removal(&plan);
    let source = credwise::store::journal::SourceRecord::live("emulator", None, "public");
    let first = migrate::run(&backend, &store, plan.clone(), source, &options)
        .await
        .unwrap();
    let RunOutcome::Waiting { missing, .. } = &first.outcome else {
        panic!("{:?}", first.outcome);
    };
    assert!(
        missing
            .iter()
            .any(|m| m.contains("has not been seen signing in since it was added")),
        "{missing:?}"
    );
    assert_eq!(secrets_of(&backend, &plan).await, 1, "nothing removed");
    let requests = |path: &str| {
        emu.requests()
            .iter()
            .filter(|r| r.path_and_query.contains(path))
            .count()
    };
    assert!(requests("/reports/appCredentialSignInActivities") >= 1);
    assert!(requests("/auditLogs/signIns") >= 1);

    // The workload signs in with the new certificate; a day later credwise is resumed.
    let app_id = plan.identity.app_id.clone().unwrap();
    let sp = snap
        .service_principals
        .iter()
        .find(|s| s.app_id == app_id)
        .unwrap();
    emu.record_sign_in(SignIn {
        id: "5f0b8a7e-3c1d-4f2a-9b6e-0d4c2a1b3e5f".into(),
        at: NOW + time::Duration::hours(12),
        app_id: app_id.clone(),
        service_principal_id: sp.id.clone(),
        key_id: Some(new_key_id(&plan)),
        thumbprint: None,
        federated_credential_id: None,
        client_credential_type: "certificate".into(),
        error_code: 0,
    });
    *now.lock().unwrap() = NOW + time::Duration::days(1);
    let done = migrate::resume(&backend, &store, &first.journal_id, &options)
        .await
        .unwrap();
    assert_eq!(done.outcome, RunOutcome::Done, "{:?}", done.state.steps[at]);
    assert_eq!(secrets_of(&backend, &plan).await, 0);
    let gate = done.state.steps[at].gate.clone().unwrap();
    assert_eq!(gate.verdict, GateVerdict::Go, "{gate:?}");
    assert!(
        gate.shown[1].contains("has been idle for 121 days"),
        "{gate:?}"
    );
}
