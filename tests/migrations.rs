//! Migrations run end to end through `jobs::migrate` on the demo tenant and on snapshot files:
//! fault injection at every step (a 500, a 409, a 429, or a "kill" after the change took
//! effect but before it was journaled) followed by resume reaches the same end state as an
//! uninterrupted run; rollback restores the original; no path removes a secret before the new
//! credential is verified; read-only refuses; the lock refuses a second run; a torn journal
//! line is survived; cancellation finishes the current step; Azure's ids for a created identity
//! are used; and no journal, record or snapshot holds secret material.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::NOW;
use common::migration::{
    Fault, Faulty, Op, Sample, certificate, demo_backend, demo_snapshot, demo_source, normalized,
    options, store, tenant,
};
use credwise::backend::read_only::ReadOnly;
use credwise::backend::snapshot::SnapshotBackend;
use credwise::backend::{Applied, Backend, Cause, Error, Loaded, Progress, Scope};
use credwise::cli::exit;
use credwise::domain::migration::{CertificateForm, Plan, SequentialIds};
use credwise::domain::{Change, Check, CheckOutcome, Directory, TenantSnapshot};
use credwise::jobs::migrate::certificate as cert_job;
use credwise::jobs::migrate::{self, Event, MigrateError, RunOutcome};
use credwise::store::journal::{JournalError, JournalStore, Outcome, Record, StepState};
use credwise::store::snapshot_file;
use tokio_util::sync::CancellationToken;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The end state of an uninterrupted run of `plan` on the demo tenant.
fn reference_end_state(plan: &Plan) -> TenantSnapshot {
    normalized(plan.preview(&demo_snapshot()).unwrap())
}

async fn run(backend: &dyn Backend, store: &JournalStore, plan: &Plan) -> migrate::Summary {
    migrate::run(backend, store, plan.clone(), demo_source(), &options())
        .await
        .unwrap()
}

#[test]
fn each_migration_runs_end_to_end_on_the_demo_tenant() {
    rt().block_on(async {
        for sample in Sample::ALL {
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            let backend = demo_backend();
            let plan = sample.plan(&demo_snapshot(), "all");
            let summary = run(backend.as_ref(), &store, &plan).await;
            assert_eq!(summary.outcome, RunOutcome::Done, "{sample:?}");
            let after = normalized(tenant(backend.as_ref()).await);
            assert_eq!(after, reference_end_state(&plan), "{sample:?}");
            // The identity's secrets are gone; the new credential is there.
            let app = after
                .applications
                .iter()
                .find(|a| a.id == plan.identity.object_id)
                .unwrap();
            assert!(app.password_credentials.is_empty(), "{sample:?}");
            for step in &plan.steps {
                assert!(after.check(&step.verification).unwrap().holds());
            }
            // Journal closed as done, record written beside it.
            let state = store.read(&summary.journal_id).unwrap();
            assert_eq!(state.closed.map(|c| c.0), Some(Outcome::Done));
            assert!(
                state
                    .steps
                    .iter()
                    .all(|p| p.state == Some(StepState::Verified))
            );
            let record = std::fs::read_to_string(summary.record.unwrap()).unwrap();
            assert!(record.contains("done and verified"), "{record}");
            assert!(record.contains("Signed-in principal | unknown"));
            assert!(record.contains("What remains for you"));
        }
    });
}

#[test]
fn each_migration_runs_on_a_snapshot_file_which_then_shows_the_new_credential() {
    rt().block_on(async {
        for sample in Sample::ALL {
            for remove in ["all", ""] {
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join("tenant.json");
                snapshot_file::save(&demo_snapshot(), &file).unwrap();
                let backend = SnapshotBackend::from_file(file.clone()).unwrap();
                let plan = sample.plan(&demo_snapshot(), remove);
                let summary = run(&backend, &store(dir.path()), &plan).await;
                assert_eq!(summary.outcome, RunOutcome::Done);
                let saved = snapshot_file::load(&file).unwrap();
                assert_eq!(normalized(saved.clone()), reference_end_state(&plan));
                let app = saved
                    .applications
                    .iter()
                    .find(|a| a.id == plan.identity.object_id)
                    .unwrap();
                let before = demo_snapshot()
                    .applications
                    .into_iter()
                    .find(|a| a.id == plan.identity.object_id)
                    .unwrap();
                if remove == "all" {
                    assert!(
                        app.password_credentials.is_empty(),
                        "{sample:?}: no secret left"
                    );
                } else {
                    assert_eq!(app.password_credentials, before.password_credentials);
                }
                match sample {
                    Sample::Certificate => {
                        let c = certificate();
                        assert!(
                            app.key_credentials
                                .iter()
                                .any(|k| k.thumbprint().as_deref() == Some(c.thumbprint.as_str())),
                            "the file shows the new certificate"
                        );
                    }
                    Sample::FicGitHub => assert_eq!(
                        app.federated_identity_credentials.len(),
                        before.federated_identity_credentials.len() + 1
                    ),
                    Sample::ManagedIdentityCreate => assert!(
                        saved
                            .user_assigned_identities
                            .iter()
                            .any(|u| u.name == "id-invoice-worker")
                    ),
                    Sample::ManagedIdentityExisting => {}
                }
            }
        }
    });
}

/// On a snapshot file, secret-to-managed-identity copies a conditioned role assignment with
/// the same condition (read back from the saved file), and a rollback takes the copy away.
#[test]
fn a_conditioned_role_assignment_is_copied_with_its_condition_on_a_snapshot_file() {
    use common::conditions::{CONTAINER_CONDITION, copy_among, with_conditioned_assignment};
    rt().block_on(async {
        let (tenant0, original) = with_conditioned_assignment(demo_snapshot(), |_| {});
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tenant.json");
        snapshot_file::save(&tenant0, &file).unwrap();
        let backend = SnapshotBackend::from_file(file.clone()).unwrap();
        let plan = Sample::ManagedIdentityCreate.plan(&tenant0, "all");
        let store = store(dir.path());
        let summary = run(&backend, &store, &plan).await;
        assert_eq!(summary.outcome, RunOutcome::Done);
        let saved = snapshot_file::load(&file).unwrap();
        let mi = saved
            .user_assigned_identities
            .iter()
            .find(|u| u.name == "id-invoice-worker")
            .unwrap();
        let copy =
            copy_among(&saved.role_assignments, &original, &mi.principal_id).expect("copied");
        assert_eq!(copy.condition.as_deref(), Some(CONTAINER_CONDITION));
        assert_eq!(copy.condition_version.as_deref(), Some("2.0"));
        assert_eq!(copy.description, original.description);
        assert_eq!(
            normalized(saved),
            normalized(plan.preview(&tenant0).unwrap())
        );
        let rolled = migrate::rollback(&backend, &store, &summary.journal_id, &options())
            .await
            .unwrap();
        // The snapshot puts the removed secrets back too.
        assert_eq!(rolled.outcome, RunOutcome::RolledBack);
        assert_eq!(
            normalized(snapshot_file::load(&file).unwrap()),
            normalized(tenant0)
        );
    });
}

/// Removing a conditioned role assignment from a snapshot and undoing it puts it back with
/// its condition, version and description.
#[test]
fn the_undo_of_a_removed_conditioned_assignment_restores_its_condition_on_a_snapshot() {
    use common::conditions::with_conditioned_assignment;
    rt().block_on(async {
        let (tenant0, original) = with_conditioned_assignment(demo_snapshot(), |_| {});
        let backend = SnapshotBackend::in_memory(tenant0.clone(), "test");
        let applied = backend
            .apply(&Change::RemoveRoleAssignment {
                id: original.id.clone(),
            })
            .await
            .unwrap();
        let Change::AddRoleAssignment { assignment } = &applied.undo else {
            panic!("{:?}", applied.undo)
        };
        assert_eq!(assignment, &original);
        assert!(!tenant(&backend).await.role_assignments.contains(&original));
        backend.apply(&applied.undo).await.unwrap();
        let back = tenant(&backend).await;
        assert!(back.role_assignments.contains(&original));
        assert_eq!(normalized(back), normalized(tenant0));
    });
}

/// Every fault at every step, then `resume` on the healthy backend: the same end state as an
/// uninterrupted run, and nothing lost on the way.
#[test]
fn a_failure_at_every_step_then_resume_reaches_the_same_end_state() {
    rt().block_on(async {
        for sample in Sample::ALL {
            let plan = sample.plan(&demo_snapshot(), "all");
            let want = reference_end_state(&plan);
            for fault in [Fault::ServerError, Fault::Conflict, Fault::Throttled] {
                for k in 0..plan.steps.len() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = store(dir.path());
                    let inner = demo_backend();
                    let faulty = Faulty::failing(inner.clone(), fault, k);
                    let summary = run(&faulty, &store, &plan).await;
                    match &summary.outcome {
                        RunOutcome::Failed { index, cause, .. } => {
                            assert_eq!(*index, k, "{sample:?} {fault:?}");
                            assert_eq!(*cause, Cause::Service, "a service failure");
                            assert_eq!(exit::of_outcome(&summary.outcome), 3, "exits 3");
                        }
                        other => panic!("{sample:?} {fault:?} at {k}: {other:?}"),
                    }
                    let state = store.read(&summary.journal_id).unwrap();
                    assert!(state.closed.is_none(), "the journal stays open");
                    assert_eq!(state.steps[k].state, Some(StepState::Failed));
                    assert_eq!(state.next_step(), Some(k));
                    let resumed =
                        migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
                            .await
                            .unwrap();
                    assert_eq!(resumed.outcome, RunOutcome::Done);
                    assert_eq!(
                        normalized(tenant(inner.as_ref()).await),
                        want,
                        "{sample:?} {fault:?} at {k}"
                    );
                }
            }
        }
    });
}

/// The process dies after a change took effect and before credwise journaled it: resume finds
/// the change in place (it does not apply it twice) and finishes.
#[test]
fn a_kill_after_the_change_at_every_step_then_resume_reaches_the_same_end_state() {
    let rt = rt();
    for sample in Sample::ALL {
        let plan = sample.plan(&demo_snapshot(), "all");
        let want = reference_end_state(&plan);
        for k in 0..plan.steps.len() {
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            let inner = demo_backend();
            let faulty = Arc::new(Faulty::failing(inner.clone(), Fault::KillAfterApply, k));
            let (f, s, p) = (faulty.clone(), store.clone(), plan.clone());
            let crashed = rt.block_on(async move {
                tokio::spawn(async move {
                    migrate::run(f.as_ref(), &s, p, demo_source(), &options()).await
                })
                .await
            });
            assert!(crashed.unwrap_err().is_panic(), "the run died");
            let (open, _) = store.list().unwrap();
            let state = &open[0];
            assert_eq!(
                state.steps[k].state,
                Some(StepState::Started),
                "not journaled as applied"
            );
            let summary = rt
                .block_on(migrate::resume(
                    inner.as_ref(),
                    &store,
                    &state.id,
                    &options(),
                ))
                .unwrap();
            assert_eq!(summary.outcome, RunOutcome::Done);
            assert_eq!(
                rt.block_on(tenant(inner.as_ref())).pipe(normalized),
                want,
                "{sample:?} at {k}"
            );
            let state = store.read(&state.id).unwrap();
            assert!(
                state.steps[k].applied,
                "resume counts the step as done by this migration"
            );
        }
    }
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

#[test]
fn rollback_after_a_failure_at_every_step_restores_the_original() {
    rt().block_on(async {
        let original = normalized(demo_snapshot());
        for sample in Sample::ALL {
            let plan = sample.plan(&demo_snapshot(), "all");
            for k in 0..plan.steps.len() {
                let dir = tempfile::tempdir().unwrap();
                let store = store(dir.path());
                let inner = demo_backend();
                let faulty = Faulty::failing(inner.clone(), Fault::ServerError, k);
                let summary = run(&faulty, &store, &plan).await;
                assert!(matches!(summary.outcome, RunOutcome::Failed { .. }));
                let rolled =
                    migrate::rollback(inner.as_ref(), &store, &summary.journal_id, &options())
                        .await
                        .unwrap();
                assert_eq!(rolled.outcome, RunOutcome::RolledBack);
                assert_eq!(
                    normalized(tenant(inner.as_ref()).await),
                    original,
                    "{sample:?} at {k}"
                );
                let state = store.read(&summary.journal_id).unwrap();
                assert_eq!(state.closed.map(|c| c.0), Some(Outcome::RolledBack));
                assert!(
                    store
                        .read_record(&summary.journal_id)
                        .unwrap()
                        .contains("rolled back")
                );
                // An ended migration is neither resumed nor rolled back again.
                assert!(matches!(
                    migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options()).await,
                    Err(MigrateError::Closed { .. })
                ));
                assert!(matches!(
                    migrate::rollback(inner.as_ref(), &store, &summary.journal_id, &options())
                        .await,
                    Err(MigrateError::Closed { .. })
                ));
            }
        }
    });
}

#[test]
fn a_finished_migration_can_be_rolled_back_completely() {
    rt().block_on(async {
        let original = normalized(demo_snapshot());
        for sample in Sample::ALL {
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            let backend = demo_backend();
            let plan = sample.plan(&demo_snapshot(), "all");
            let summary = run(backend.as_ref(), &store, &plan).await;
            assert_eq!(summary.outcome, RunOutcome::Done);
            let rolled =
                migrate::rollback(backend.as_ref(), &store, &summary.journal_id, &options())
                    .await
                    .unwrap();
            assert_eq!(rolled.outcome, RunOutcome::RolledBack);
            assert_eq!(
                normalized(tenant(backend.as_ref()).await),
                original,
                "{sample:?}"
            );
            let record = store.read_record(&summary.journal_id).unwrap();
            assert!(record.contains("done, then undone"), "{record}");
        }
    });
}

fn assert_no_removal_before_verification(plan: &Plan, ops: &[Op]) {
    if let Err(e) = common::migration::removals_follow_verification(plan, ops) {
        panic!("{e}");
    }
}

#[test]
fn no_path_removes_a_secret_before_the_new_credential_is_verified() {
    rt().block_on(async {
        for sample in Sample::ALL {
            let plan = sample.plan(&demo_snapshot(), "all");
            // Uninterrupted.
            let dir = tempfile::tempdir().unwrap();
            let faulty = Faulty::new(demo_backend());
            run(&faulty, &store(dir.path()), &plan).await;
            let ops = faulty.ops();
            assert!(
                ops.iter()
                    .any(|o| matches!(o, Op::Apply(Change::RemovePassword { .. })))
            );
            assert_no_removal_before_verification(&plan, &ops);
            // Interrupted at every step and resumed: the resumed run checks again.
            for k in 0..plan.steps.len() {
                let dir = tempfile::tempdir().unwrap();
                let store = store(dir.path());
                let inner = demo_backend();
                let first = Faulty::failing(inner.clone(), Fault::ServerError, k);
                let summary = run(&first, &store, &plan).await;
                let second = Faulty::new(inner.clone());
                migrate::resume(&second, &store, &summary.journal_id, &options())
                    .await
                    .unwrap();
                assert_no_removal_before_verification(&plan, &first.ops());
                // The resumed run verifies again before it removes anything.
                assert_no_removal_before_verification(&plan, &second.ops());
            }
        }
    });
}

#[test]
fn a_removal_whose_new_credential_vanished_is_refused() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        // Stop before the first removal…
        let faulty = Faulty::failing(inner.clone(), Fault::ServerError, 1);
        let summary = run(&faulty, &store, &plan).await;
        // …then someone deletes the new federated credential behind credwise's back.
        inner.apply(&plan.steps[0].undo).await.unwrap();
        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        match resumed.outcome {
            RunOutcome::Failed { index, error, .. } => {
                assert_eq!(index, 1);
                assert!(error.contains("precondition not met"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        let app = tenant(inner.as_ref())
            .await
            .applications
            .into_iter()
            .find(|a| a.id == plan.identity.object_id)
            .unwrap();
        assert_eq!(app.password_credentials.len(), 2, "no secret was removed");
        // Rolling back touches only what this migration changed and is still there.
        let before = normalized(tenant(inner.as_ref()).await);
        let rolled = migrate::rollback(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert_eq!(rolled.outcome, RunOutcome::RolledBack);
        assert_eq!(normalized(tenant(inner.as_ref()).await), before);
        assert_eq!(before, normalized(demo_snapshot()));
    });
}

#[test]
fn throttled_checks_are_waited_out() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let faulty = Faulty::new(demo_backend());
        *faulty.throttle_checks.lock().unwrap() = 2;
        let summary = run(&faulty, &store(dir.path()), &plan).await;
        assert_eq!(summary.outcome, RunOutcome::Done);
    });
}

#[test]
fn read_only_refuses_every_step_with_a_clear_message() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let inner = demo_backend();
        let ro = ReadOnly(inner.clone());
        let summary = run(&ro, &store(dir.path()), &plan).await;
        match summary.outcome {
            RunOutcome::Failed {
                index,
                error,
                cause,
            } => {
                assert_eq!(index, 0);
                assert_eq!(cause, Cause::Refused);
                assert_eq!(exit::of_cause(cause), 2);
                assert!(error.contains("read-only"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(tenant(inner.as_ref()).await, demo_snapshot());
    });
}

#[test]
fn a_second_credwise_on_the_same_identity_is_refused_and_a_stale_lock_is_taken_over() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let backend = demo_backend();
        {
            let _held = store.lock(&plan.identity.object_id, "other-run").unwrap();
            let err = migrate::run(
                backend.as_ref(),
                &store,
                plan.clone(),
                demo_source(),
                &options(),
            )
            .await
            .unwrap_err();
            assert!(
                matches!(err, MigrateError::Journal(JournalError::Locked { .. })),
                "{err}"
            );
            assert!(err.to_string().contains("another credwise"), "{err}");
            assert_eq!(credwise::cli::exit::of_migrate(&err), 2);
            assert!(store.list().unwrap().0.is_empty(), "nothing journaled");
        }
        // A lock left by a process that is gone.
        let lock = dir
            .path()
            .join("journals/locks")
            .join(format!("{}.lock", plan.identity.object_id));
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into()));
        std::fs::write(
            &lock,
            format!(r#"{{"pid":4294967,"host":"{host}","journalId":"dead"}}"#),
        )
        .unwrap();
        let summary = run(backend.as_ref(), &store, &plan).await;
        assert_eq!(summary.outcome, RunOutcome::Done);
        assert!(!lock.exists(), "the lock is released when the run ends");
    });
}

#[test]
fn a_torn_last_journal_line_is_ignored_and_resume_works() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let faulty = Faulty::failing(inner.clone(), Fault::ServerError, 1);
        let summary = run(&faulty, &store, &plan).await;
        let path = store.journal_path(&summary.journal_id);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(br#"{"record":"step","index":1,"state":"app"#);
        std::fs::write(&path, &bytes).unwrap();
        let state = store.read(&summary.journal_id).unwrap();
        assert!(state.truncated_tail);
        assert_eq!(state.steps[1].state, Some(StepState::Failed));
        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert_eq!(resumed.outcome, RunOutcome::Done);
        // The torn line was cut before appending: every line parses now.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'));
        for line in text.lines() {
            serde_json::from_str::<Record>(line).unwrap();
        }
        // A bad line in the middle is an error that names it.
        let mut lines: Vec<&str> = text.lines().collect();
        lines.insert(1, "not json");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let err = store.read(&summary.journal_id).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    });
}

/// Cancels the run's token when its `at`-th change is applied.
struct CancelAt {
    inner: Arc<dyn Backend>,
    at: usize,
    n: std::sync::Mutex<usize>,
    cancel: CancellationToken,
}

#[async_trait::async_trait]
impl Backend for CancelAt {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        self.inner.load(scope, progress).await
    }
    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        self.inner.examine(check).await
    }
    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        let n = {
            let mut n = self.n.lock().unwrap();
            *n += 1;
            *n - 1
        };
        if n == self.at {
            self.cancel.cancel();
        }
        self.inner.apply(change).await
    }
}

#[test]
fn cancellation_finishes_the_current_step_then_stops() {
    rt().block_on(async {
        let plan = Sample::ManagedIdentityCreate.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let mut o = options();
        let backend = CancelAt {
            inner: inner.clone(),
            at: 1,
            n: std::sync::Mutex::new(0),
            cancel: o.cancel.clone(),
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        o.events = Some(tx);
        let summary = migrate::run(&backend, &store, plan.clone(), demo_source(), &o)
            .await
            .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Cancelled { next: 2 });
        let state = store.read(&summary.journal_id).unwrap();
        assert_eq!(
            state.steps[1].state,
            Some(StepState::Verified),
            "the current step finished"
        );
        assert_eq!(state.steps[2].state, None, "the next one never started");
        drop(o);
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        assert!(events.contains(&Event::Step {
            index: 1,
            state: StepState::Verified,
            message: None
        }));
        assert!(events.contains(&Event::Finished {
            outcome: RunOutcome::Cancelled { next: 2 }
        }));
        let resumed = migrate::resume(inner.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert_eq!(resumed.outcome, RunOutcome::Done);
        assert_eq!(
            normalized(tenant(inner.as_ref()).await),
            reference_end_state(&plan)
        );
        // Cancelled before it starts: nothing is touched.
        let o = options();
        o.cancel.cancel();
        let fresh = demo_backend();
        let dir = tempfile::tempdir().unwrap();
        let summary = migrate::run(
            fresh.as_ref(),
            &store_at(dir.path()),
            plan,
            demo_source(),
            &o,
        )
        .await
        .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Cancelled { next: 0 });
        assert_eq!(tenant(fresh.as_ref()).await, demo_snapshot());
    });
}

fn store_at(p: &std::path::Path) -> JournalStore {
    store(p)
}

#[test]
fn events_report_each_step_in_order() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut o = options();
        o.events = Some(tx);
        let summary = migrate::run(
            demo_backend().as_ref(),
            &store(dir.path()),
            plan,
            demo_source(),
            &o,
        )
        .await
        .unwrap();
        drop(o);
        let mut events = Vec::new();
        let mut overrides = 0;
        while let Some(mut e) = rx.recv().await {
            // A removal's `applied` carries the override's note (these options remove
            // without usage evidence); the gate's own events are tests/migration_gate.rs's.
            if let Event::Step {
                state: StepState::Applied,
                message,
                ..
            } = &mut e
                && message
                    .take_if(|m| m.starts_with("removed without usage evidence"))
                    .is_some()
            {
                overrides += 1;
            }
            events.push(e);
        }
        let removals = summary
            .state
            .plan
            .steps
            .iter()
            .filter(|s| s.removes_secret)
            .count();
        assert_eq!(overrides, removals);
        let mut want = vec![Event::Started {
            journal_id: summary.journal_id.clone(),
            steps: 3,
        }];
        for index in 0..3 {
            let step = |state| Event::Step {
                index,
                state,
                message: None,
            };
            want.extend([
                step(StepState::Started),
                step(StepState::Applied),
                Event::Verifying { index, attempt: 1 },
                step(StepState::Verified),
            ]);
        }
        want.push(Event::Finished {
            outcome: RunOutcome::Done,
        });
        assert_eq!(events, want);
    });
}

/// The journal keeps its state in memory as the run appends: a run of any length reads no
/// journal file back (it wrote the only one it needs), a rollback reads its journal twice
/// (once to check it, once under the identity's lock to append), whatever the number of
/// steps. Before, the engine re-read the whole file after every step and at the end: a run
/// of N steps read it N + 2 times, a rollback of N undos N + 4 times.
#[test]
fn a_run_reads_its_journal_once_not_once_per_step() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let steps = plan.steps.len();
        assert!(steps >= 3, "{steps}");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let backend = demo_backend();
        let source = demo_source();
        let before = store.reads();
        let summary = migrate::run(backend.as_ref(), &store, plan.clone(), source, &options())
            .await
            .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done);
        // `run` lists the journals once to refuse a second open migration on the identity
        // (none here); the run itself reads nothing back.
        assert_eq!(store.reads() - before, 0, "journal files read by a run");
        // What the run kept in memory is what the file says.
        let on_disk = store.read(&summary.journal_id).unwrap();
        assert_eq!(on_disk.steps, summary.state.steps);
        assert_eq!(on_disk.closed, summary.state.closed);

        let before = store.reads();
        let back = migrate::rollback(backend.as_ref(), &store, &summary.journal_id, &options())
            .await
            .unwrap();
        assert_eq!(back.outcome, RunOutcome::RolledBack);
        assert_eq!(
            store.reads() - before,
            2,
            "journal files read by a rollback"
        );
        let on_disk = store.read(&summary.journal_id).unwrap();
        assert_eq!(on_disk.steps, back.state.steps);
        assert_eq!(on_disk.plan, back.state.plan);
    });
}

#[test]
fn azure_chooses_the_new_identity_ids_and_later_steps_use_them() {
    let rt = rt();
    let azure = (
        "a2a2a2a2-0000-4000-8000-00000000000a".to_string(),
        "c1c1c1c1-0000-4000-8000-00000000000c".to_string(),
    );
    let plan = Sample::ManagedIdentityCreate.plan(&demo_snapshot(), "all");
    let check = |s: &TenantSnapshot, journal: &JournalStore, id: &str| {
        let uami = s
            .user_assigned_identities
            .iter()
            .find(|u| u.name == "id-invoice-worker")
            .unwrap();
        assert_eq!(uami.principal_id, azure.0);
        assert_eq!(uami.client_id, azure.1);
        let copied: Vec<_> = s
            .role_assignments
            .iter()
            .filter(|a| a.principal_id == azure.0)
            .collect();
        assert_eq!(
            copied.len(),
            2,
            "role assignments go to Azure's principal id"
        );
        let state = journal.read(id).unwrap();
        let text = serde_json::to_string(&state.plan).unwrap();
        let p = plan.provisional.clone().unwrap();
        assert!(
            !text.contains(&p.client_id),
            "the journaled plan is rebound"
        );
        assert!(
            state
                .plan
                .guidance
                .iter()
                .any(|g| g.text.contains(&azure.1))
        );
    };
    // Uninterrupted.
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let inner = demo_backend();
    let mut faulty = Faulty::new(inner.clone());
    faulty.azure_ids = Some(azure.clone());
    let summary = rt.block_on(run(&faulty, &store, &plan));
    assert_eq!(summary.outcome, RunOutcome::Done);
    check(
        &rt.block_on(tenant(inner.as_ref())),
        &store,
        &summary.journal_id,
    );
    let record = store.read_record(&summary.journal_id).unwrap();
    assert!(
        record.contains(&azure.1),
        "the record's config uses Azure's client id"
    );
    // Killed right after the create, before its ids were journaled: resume reads them back.
    let dir = tempfile::tempdir().unwrap();
    let store = self::store(dir.path());
    let inner = demo_backend();
    let mut faulty = Faulty::failing(inner.clone(), Fault::KillAfterApply, 0);
    faulty.azure_ids = Some(azure.clone());
    let faulty = Arc::new(faulty);
    let (f, s, p) = (faulty.clone(), store.clone(), plan.clone());
    let crashed = rt.block_on(async move {
        tokio::spawn(
            async move { migrate::run(f.as_ref(), &s, p, demo_source(), &options()).await },
        )
        .await
    });
    assert!(crashed.is_err());
    let id = store.list().unwrap().0[0].id.clone();
    let summary = rt
        .block_on(migrate::resume(inner.as_ref(), &store, &id, &options()))
        .unwrap();
    assert_eq!(summary.outcome, RunOutcome::Done);
    check(&rt.block_on(tenant(inner.as_ref())), &store, &id);
}

/// Everything a migration leaves on disk or prints, searched for secret material.
fn assert_no_secret_material(texts: &[(String, String)], key_pem: &str, pfx: &[u8]) {
    let pfx_b64 = azure_core::base64::encode(pfx);
    // A line of the private key's base64 (the PEM's key block, past its header).
    let key_line = key_pem
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)
        .and_then(|k| k.lines().find(|l| l.len() > 40))
        .unwrap()
        .to_string();
    for (name, text) in texts {
        assert!(
            !text.contains("PRIVATE KEY"),
            "{name} holds a private key marker"
        );
        assert!(!text.contains("secretText"), "{name} holds a secretText");
        assert!(
            !text.contains(&key_line),
            "{name} holds private key material"
        );
        assert!(!text.contains(&pfx_b64[..64]), "{name} holds the PFX");
    }
}

#[test]
fn journals_records_and_snapshots_hold_no_secret_material_and_key_files_are_private() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let (mut info, key) = cert_job::generate("payroll-api", 12, NOW, Some("pfx-pass")).unwrap();
        let base = cert_job::file_base("payroll-api", &info);
        cert_job::write_key_files(&keys, &base, &mut info, key).unwrap();
        let key_pem = std::fs::read_to_string(info.key_file.as_ref().unwrap()).unwrap();
        let pfx = std::fs::read(info.pfx_file.as_ref().unwrap()).unwrap();
        assert!(key_pem.contains("BEGIN PRIVATE KEY"));
        #[cfg(unix)]
        for f in [&info.key_file, &info.pfx_file, &info.cert_file] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f.as_ref().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f:?}");
        }
        // The PFX opens with its passphrase and holds the same certificate.
        let read = cert_job::read_user_certificate(
            std::path::Path::new(info.pfx_file.as_ref().unwrap()),
            Some("pfx-pass"),
        )
        .unwrap();
        assert_eq!(read.thumbprint, info.thumbprint);
        // Writing again refuses to overwrite.
        let (mut again, key2) = cert_job::generate("payroll-api", 12, NOW, None).unwrap();
        assert!(cert_job::write_key_files(&keys, &base, &mut again, key2).is_err());

        let file = dir.path().join("tenant.json");
        snapshot_file::save(&demo_snapshot(), &file).unwrap();
        let backend = SnapshotBackend::from_file(file.clone()).unwrap();
        let snapshot_dir = Directory::new(demo_snapshot());
        let plan = CertificateForm {
            identity: "payroll-api".into(),
            remove_secrets: "all".into(),
            ..Default::default()
        }
        .build_plan(
            &common::migration::ctx(&snapshot_dir),
            &mut SequentialIds::default(),
            Some(&info),
        )
        .unwrap();
        let store = store(dir.path());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut o = options();
        o.events = Some(tx);
        let summary = migrate::run(&backend, &store, plan.clone(), demo_source(), &o)
            .await
            .unwrap();
        assert_eq!(summary.outcome, RunOutcome::Done);
        drop(o);
        let mut events = String::new();
        while let Some(e) = rx.recv().await {
            events.push_str(&format!("{e:?}\n"));
        }
        let mut texts = vec![
            (
                "snapshot".to_string(),
                std::fs::read_to_string(&file).unwrap(),
            ),
            ("events".to_string(), events),
            ("plan".to_string(), plan.to_text()),
        ];
        for entry in std::fs::read_dir(store.dir()).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                texts.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
        assert!(texts.len() >= 5, "journal and record were searched");
        assert_no_secret_material(&texts, &key_pem, &pfx);
        // The journal carries the public certificate, which is not secret.
        let journal = std::fs::read_to_string(store.journal_path(&summary.journal_id)).unwrap();
        assert!(journal.contains(&info.der_base64[..64]));
    });
}

#[test]
fn a_journal_refuses_secret_material() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mut plan = Sample::FicGitHub.plan(&demo_snapshot(), "");
    plan.notes
        .push("-----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY-----".into());
    let opened = Record::Opened {
        version: 1,
        journal_id: JournalStore::new_id(plan.kind, NOW),
        at: NOW,
        migration: plan.kind,
        source: demo_source(),
        principal: None,
        plan: Box::new(plan),
        gate: None,
    };
    let err = store.create(&opened).unwrap_err();
    assert!(matches!(err, JournalError::SecretMaterial(_)), "{err}");
}

#[test]
fn abandoning_closes_a_migration_with_a_record_and_without_touching_the_tenant() {
    rt().block_on(async {
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let inner = demo_backend();
        let faulty = Faulty::failing(inner.clone(), Fault::ServerError, 1);
        let summary = run(&faulty, &store, &plan).await;
        let before = tenant(inner.as_ref()).await;
        assert_eq!(store.latest_open().unwrap().unwrap().id, summary.journal_id);
        let ended = migrate::abandon(&store, &summary.journal_id, &options()).unwrap();
        assert_eq!(ended.outcome, RunOutcome::Abandoned);
        assert_eq!(tenant(inner.as_ref()).await, before);
        assert!(store.latest_open().unwrap().is_none());
        let record = store.read_record(&summary.journal_id).unwrap();
        assert!(record.contains("| Outcome | abandoned |"), "{record}");
        assert!(record.contains("left unfinished"));
    });
}

/// A backend that says who is signed in.
struct SignedIn(Arc<dyn Backend>);

#[async_trait::async_trait]
impl Backend for SignedIn {
    fn describe(&self) -> String {
        "live (test)".into()
    }
    async fn signed_in_principal(&self) -> Option<String> {
        Some("ops@fabrikam.example".into())
    }
    async fn load(&self, scope: &Scope, progress: &Progress) -> Result<Loaded, Error> {
        self.0.load(scope, progress).await
    }
    async fn examine(&self, check: &Check) -> Result<CheckOutcome, Error> {
        self.0.examine(check).await
    }
    async fn apply(&self, change: &Change) -> Result<Applied, Error> {
        self.0.apply(change).await
    }
}

#[test]
fn the_record_names_the_signed_in_principal_and_what_remains() {
    rt().block_on(async {
        let plan = Sample::ManagedIdentityExisting.plan(&demo_snapshot(), "");
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let summary = run(&SignedIn(demo_backend()), &store, &plan).await;
        let record = store.read_record(&summary.journal_id).unwrap();
        assert!(
            record.contains("| Signed-in principal | ops@fabrikam.example |"),
            "{record}"
        );
        assert!(record.contains("Attach id-invoices-logic"), "{record}");
        assert!(record.contains("## What was verified"));
        assert!(
            record.contains("```shell"),
            "the config change is in the record"
        );
    });
}

mod robustness {
    //! Journals on disk and the user's certificate files are read back as untrusted input:
    //! arbitrary or mutated bytes give an error, never a panic.
    use super::*;
    use proptest::prelude::*;

    fn a_journal() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
        let faulty = Faulty::failing(demo_backend(), Fault::ServerError, 1);
        let summary = rt().block_on(run(&faulty, &store, &plan));
        std::fs::read(store.journal_path(&summary.journal_id)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn journals_with_mutated_bytes_never_panic(
            flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<proptest::sample::Index>(),
        ) {
            static JOURNAL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
            let mut bytes = JOURNAL.get_or_init(a_journal).clone();
            for (i, b) in flips {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            bytes.truncate(cut.index(bytes.len()) + 1);
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            std::fs::create_dir_all(store.dir()).unwrap();
            std::fs::write(store.journal_path("j-1"), &bytes).unwrap();
            let _ = store.read("j-1");
            let _ = store.list();
        }

        #[test]
        fn arbitrary_certificate_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("cert");
            std::fs::write(&p, &bytes).unwrap();
            prop_assert!(cert_job::read_user_certificate(&p, None).is_err());
        }
    }

    #[test]
    fn a_pem_certificate_with_its_key_reads_only_the_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (mut info, key) = cert_job::generate("reader", 12, NOW, None).unwrap();
        cert_job::write_key_files(dir.path(), "c", &mut info, key).unwrap();
        for f in [&info.key_file, &info.cert_file, &info.pfx_file] {
            let read =
                cert_job::read_user_certificate(std::path::Path::new(f.as_ref().unwrap()), None)
                    .unwrap();
            assert_eq!(read.thumbprint, info.thumbprint);
            assert!(!read.generated);
            assert_eq!(read.subject, "CN=reader");
        }
        // A PFX with a passphrase needs it.
        let (mut locked, key) = cert_job::generate("locked", 12, NOW, Some("s3cret")).unwrap();
        cert_job::write_key_files(dir.path(), "l", &mut locked, key).unwrap();
        let pfx = std::path::Path::new(locked.pfx_file.as_ref().unwrap());
        let err = cert_job::read_user_certificate(pfx, None).unwrap_err();
        assert!(err.to_string().contains("CREDWISE_PFX_PASSWORD"), "{err}");
        assert!(cert_job::read_user_certificate(pfx, Some("s3cret")).is_ok());
    }
}
