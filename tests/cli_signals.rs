//! SIGTERM and SIGINT to a CLI migration (`migrate … --apply`, `resume`, `rollback`) against the
//! emulator, sent while a step is in flight (the emulator's stall fault holds its request):
//! the step finishes and is journaled, the next one does not start, credwise exits non-zero
//! saying how to go on, and going on (`resume`, `rollback` again) gets to the end. A second
//! signal stops at once, leaving the step journaled as started for `resume` to check.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod common;
use credwise_test_kit::emulator;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use credwise::store::journal::{JournalState, JournalStore, StepState};
use emulator::{Emulator, Fault, FaultAction, Matcher};

fn demo() -> credwise::domain::TenantSnapshot {
    credwise::backend::demo::snapshot(common::NOW)
}

fn command(emu: &Emulator, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_credwise"));
    cmd.args(args)
        .args([
            "--graph-url",
            &emu.graph_url(),
            "--arm-url",
            &emu.arm_url(),
            "--auth",
            "none",
        ])
        .env("CREDWISE_NOW", common::cli::NOW)
        .env("CREDWISE_DATA_DIR", home.join("data"))
        .env("CREDWISE_CACHE_DIR", home.join("cache"))
        .env_remove("AZURE_TENANT_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The FIC migration of payroll-api, removing its secret at the end: two steps.
const MIGRATE: &[&str] = &[
    "migrate",
    "secret-to-fic",
    "--identity",
    "payroll-api",
    "--github-repo",
    "fabrikam/payroll-api",
    "--branch",
    "main",
    "--remove-secrets",
    "all",
    "--without-usage-evidence",
    "--apply",
    "--yes",
];

/// Waits until the emulator is answering a request that `m` matches (logged, no status yet).
fn wait_in_flight(emu: &Emulator, m: &Matcher) {
    let started = Instant::now();
    loop {
        let busy = emu.requests().iter().any(|r| {
            let path = r.path_and_query.split('?').next().unwrap_or("");
            r.status == 0 && m.matches(&r.method, path)
        });
        if busy {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no request in flight for {m:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

/// Waits for `child` to end (30 s at most) and returns its exit code (`None`: killed by a
/// signal) and stderr.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("credwise did not end within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

fn the_journal(home: &Path) -> JournalState {
    let (all, bad) = JournalStore::at(home.join("data/journals")).list().unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(all.len(), 1, "one journal");
    all.into_iter().next().unwrap()
}

/// payroll-api as the emulator holds it: (has the new FIC, its secrets).
fn payroll(emu: &Emulator) -> (bool, usize) {
    let app = emu
        .snapshot()
        .applications
        .into_iter()
        .find(|a| a.display_name == "payroll-api")
        .unwrap();
    let fic = app
        .federated_identity_credentials
        .iter()
        .any(|f| f.subject.as_deref() == Some("repo:fabrikam/payroll-api:ref:refs/heads/main"));
    (fic, app.password_credentials.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_or_sigint_to_a_cli_migration_finishes_the_step_and_says_how_to_resume() {
    for signal in ["TERM", "INT"] {
        let emu = Emulator::start(demo()).await;
        let home = tempfile::tempdir().unwrap();
        // The federated credential's creation (step 1) takes two seconds to be answered.
        let create = Matcher::new("POST", "/federatedIdentityCredentials");
        emu.inject(Fault::new(
            create.clone(),
            FaultAction::Stall(Duration::from_secs(2)),
        ));
        let (code, stderr) = tokio::task::block_in_place(|| {
            let child = command(&emu, home.path(), MIGRATE).spawn().unwrap();
            wait_in_flight(&emu, &create);
            kill(&child, signal);
            finish(child)
        });
        // Not killed mid-step: it ended by itself, non-zero, saying how to go on.
        assert_eq!(code, Some(3), "SIG{signal}: {stderr}");
        let journal = the_journal(home.path());
        let id = journal.id.clone();
        assert!(
            stderr.contains(&format!("SIG{signal}: finishing the current step")),
            "{stderr}"
        );
        assert!(
            stderr.contains("Stopped before step 2")
                && stderr.contains(&format!("credwise migrate resume {id}")),
            "SIG{signal}: {stderr}"
        );
        // Step 1 finished and was verified; step 2 (the secret's removal) never started.
        assert_eq!(journal.steps[0].state, Some(StepState::Verified), "{id}");
        assert_eq!(journal.steps[1].state, None, "{id}");
        assert!(journal.closed.is_none());
        assert_eq!(payroll(&emu), (true, 1), "the FIC is there, the secret too");

        // Resuming finishes the migration; the same signal during its (last) step lets that
        // step finish, so the migration ends done.
        let removing = Matcher::new("POST", "/removePassword");
        emu.inject(Fault::new(
            removing.clone(),
            FaultAction::Stall(Duration::from_secs(2)),
        ));
        let (code, stderr) = tokio::task::block_in_place(|| {
            let child = command(
                &emu,
                home.path(),
                &[
                    "migrate",
                    "resume",
                    &id,
                    "--yes",
                    "--without-usage-evidence",
                ],
            )
            .spawn()
            .unwrap();
            wait_in_flight(&emu, &removing);
            kill(&child, signal);
            finish(child)
        });
        assert_eq!(code, Some(0), "SIG{signal} during resume: {stderr}");
        assert_eq!(payroll(&emu), (true, 0));
        assert_eq!(the_journal(home.path()).status(), "done");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_a_cli_migration_at_once() {
    let emu = Emulator::start(demo()).await;
    let home = tempfile::tempdir().unwrap();
    let create = Matcher::new("POST", "/federatedIdentityCredentials");
    emu.inject(Fault::new(
        create.clone(),
        FaultAction::Stall(Duration::from_secs(20)),
    ));
    let started = Instant::now();
    let (code, stderr) = tokio::task::block_in_place(|| {
        let child = command(&emu, home.path(), MIGRATE).spawn().unwrap();
        wait_in_flight(&emu, &create);
        kill(&child, "TERM");
        std::thread::sleep(Duration::from_millis(200));
        kill(&child, "INT");
        finish(child)
    });
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "waited for the stall"
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("interrupted twice"), "{stderr}");
    let journal = the_journal(home.path());
    assert_eq!(journal.steps[0].state, Some(StepState::Started));
    // The lock on the identity went with the process: resume works at once.
    emu.clear_faults();
    let out = tokio::task::block_in_place(|| {
        command(
            &emu,
            home.path(),
            &[
                "migrate",
                "resume",
                &journal.id,
                "--yes",
                "--without-usage-evidence",
            ],
        )
        .output()
        .unwrap()
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(payroll(&emu), (true, 0));
}

/// A migration of several steps that removes no secret, so its rollback undoes them all.
const MIGRATE_TO_MI: &[&str] = &[
    "migrate",
    "secret-to-managed-identity",
    "--identity",
    "invoice-worker",
    "--create",
    "id-invoice-worker",
    "--resource-group",
    "rg-invoices-prod",
    "--location",
    "westeurope",
    "--apply",
    "--yes",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_a_cli_rollback_stops_between_undos() {
    let emu = Emulator::start(demo()).await;
    let home = tempfile::tempdir().unwrap();
    let out =
        tokio::task::block_in_place(|| command(&emu, home.path(), MIGRATE_TO_MI).output().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let journal = the_journal(home.path());
    let id = journal.id.clone();
    let steps = journal.steps.len();
    assert!(steps >= 2, "a rollback of several undos: {steps} steps");
    // The rollback's first undo (the last step: a role assignment) is slow to be answered.
    let deleting = Matcher::new("DELETE", "/roleAssignments/");
    emu.inject(Fault::new(
        deleting.clone(),
        FaultAction::Stall(Duration::from_secs(2)),
    ));
    let (code, stderr) = tokio::task::block_in_place(|| {
        let child = command(&emu, home.path(), &["migrate", "rollback", &id, "--yes"])
            .spawn()
            .unwrap();
        wait_in_flight(&emu, &deleting);
        kill(&child, "TERM");
        finish(child)
    });
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("Stopped before undoing step {}", steps - 1))
            && stderr.contains(&format!("credwise migrate rollback {id}")),
        "{stderr}"
    );
    let journal = the_journal(home.path());
    assert!(journal.rolling_back && journal.closed.is_none());
    // The undo in flight was finished and journaled; the one before it was not started.
    assert_eq!(journal.steps[steps - 1].state, Some(StepState::Undone));
    assert_eq!(journal.steps[steps - 2].state, Some(StepState::Verified));

    let out = tokio::task::block_in_place(|| {
        command(&emu, home.path(), &["migrate", "rollback", &id, "--yes"])
            .output()
            .unwrap()
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(the_journal(home.path()).status(), "rolled back");
}
