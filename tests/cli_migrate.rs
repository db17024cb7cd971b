//! `credwise migrate …` through the real binary: dry runs (text snapshot, JSON), `--apply --yes`
//! on the demo tenant and on a snapshot file copy, refusals (read-only, no --yes without a
//! terminal, bad flags name the flag), and `status`/`resume`/`rollback` on journals in a
//! temporary `CREDWISE_DATA_DIR` with the clock pinned by `CREDWISE_NOW`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::cli::{Run, credwise, s};
use common::migration::{Fault, Faulty, Sample, demo_snapshot, normalized, options};
use credwise::backend::snapshot::SnapshotBackend;
use credwise::domain::TenantSnapshot;
use credwise::jobs::migrate::{self, RunOutcome};
use credwise::store::journal::{JournalStore, SourceRecord};
use credwise::store::snapshot_file;
use serde_json::Value;

/// A data directory and a copy of the demo tenant as a snapshot file.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        snapshot_file::save(&demo_snapshot(), &dir.path().join("tenant.json")).unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("tenant.json")
    }

    fn keys(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    fn store(&self) -> JournalStore {
        JournalStore::at(self.data().join("journals"))
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = credwise();
        cmd.env("CREDWISE_DATA_DIR", self.data())
            .env_remove("CREDWISE_PFX_PASSWORD");
        Run::of(&mut cmd, args)
    }

    fn saved(&self) -> TenantSnapshot {
        snapshot_file::load(&self.file()).unwrap()
    }

    /// Every file under the temporary directory except the key files, with stdout/stderr.
    fn everything_but_keys(&self, runs: &[&Run]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        fn walk(p: &Path, skip: &Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(p).unwrap() {
                let p = e.unwrap().path();
                if p.starts_with(skip) {
                    continue;
                }
                if p.is_dir() {
                    walk(&p, skip, out);
                } else {
                    out.push((
                        p.display().to_string(),
                        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                    ));
                }
            }
        }
        walk(self.dir.path(), &self.keys(), &mut out);
        for r in runs {
            out.push(("stdout".into(), r.stdout.clone()));
            out.push(("stderr".into(), r.stderr.clone()));
        }
        out
    }
}

fn app<'a>(s: &'a TenantSnapshot, name: &str) -> &'a credwise::domain::Application {
    s.applications
        .iter()
        .find(|a| a.display_name == name)
        .unwrap()
}

const FIC: &[&str] = &[
    "migrate",
    "secret-to-fic",
    "--identity",
    "invoice-worker",
    "--github-repo",
    "fabrikam/invoice-worker",
    "--environment",
    "production",
];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let env = Env::new();
    let out = env
        .run(&with(FIC, &["--demo", "--remove-secrets", "all"]))
        .succeeded();
    insta::assert_snapshot!("secret_to_fic_dry_run", out);
    assert!(!env.data().exists(), "a dry run journals nothing");
    // On a snapshot file too: the file is untouched.
    let before = std::fs::read(env.file()).unwrap();
    let out = env
        .run(&with(FIC, &["--snapshot", s(&env.file())]))
        .succeeded();
    assert!(out.contains("Dry run: nothing was changed"));
    assert_eq!(std::fs::read(env.file()).unwrap(), before);
}

#[test]
fn dry_run_as_json() {
    let env = Env::new();
    let out = env
        .run(&with(
            FIC,
            &["--demo", "--remove-secrets", "all", "--output", "json"],
        ))
        .succeeded();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "secret-to-fic");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["action"]["change"], "add-federated-credential");
    assert_eq!(steps[0]["calls"][0]["method"], "POST");
    assert_eq!(steps[2]["removesSecret"], true);
    assert!(steps[2]["precondition"].is_object());
    assert!(
        v["guidance"][0]["text"]
            .as_str()
            .unwrap()
            .contains("id-token: write")
    );
}

#[test]
fn dry_runs_of_the_other_migrations() {
    let env = Env::new();
    let out = env
        .run(&[
            "migrate",
            "secret-to-certificate",
            "--demo",
            "--identity",
            "payroll-api",
        ])
        .succeeded();
    assert!(out.contains("generated when applied"), "{out}");
    assert!(out.contains("PATCH https://graph.microsoft.com/v1.0/applications/"));
    assert_eq!(
        std::fs::read_dir(env.keys()).unwrap().count(),
        0,
        "no key written"
    );
    let out = env
        .run(&[
            "migrate",
            "secret-to-managed-identity",
            "--demo",
            "--identity",
            "invoice-worker",
            "--create",
            "id-invoice-worker",
            "--resource-group",
            "rg-invoices-prod",
            "--location",
            "westeurope",
        ])
        .succeeded();
    assert!(
        out.contains("PUT https://management.azure.com/subscriptions/"),
        "{out}"
    );
    assert!(out.contains("Microsoft.Authorization/roleAssignments/"));
    assert!(out.contains("provisional ids"));
}

#[test]
fn apply_on_the_demo_tenant_says_changes_stay_in_memory() {
    let env = Env::new();
    let run = env.run(&with(
        FIC,
        &[
            "--demo",
            "--remove-secrets",
            "all",
            "--without-usage-evidence",
            "--apply",
            "--yes",
        ],
    ));
    let out = run.succeeded();
    assert!(out.contains("Migration done"), "{out}");
    assert!(out.contains("in memory only"), "{out}");
    let (journals, _) = env.store().list().unwrap();
    assert_eq!(journals.len(), 1);
    let id = journals[0].id.clone();
    let status = env.run(&["migrate", "status"]).succeeded();
    assert!(status.contains(&id) && status.contains("done"), "{status}");
    let record = env.run(&["migrate", "status", &id, "--record"]).succeeded();
    assert!(record.starts_with("# Migration record"), "{record}");
    assert!(record.contains("in memory only"));
    let one = env
        .run(&["migrate", "status", &id, "-o", "json"])
        .succeeded();
    let v: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["status"], "done");
    assert_eq!(v["steps"].as_array().unwrap().len(), 3);
}

#[test]
fn apply_on_a_snapshot_file_shows_the_new_credential_and_no_secret() {
    let env = Env::new();
    let run = env.run(&with(
        FIC,
        &[
            "--snapshot",
            s(&env.file()),
            "--remove-secrets",
            "all",
            "--without-usage-evidence",
            "--apply",
            "--yes",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("[1/3]"),
        "progress on stderr: {}",
        run.stderr
    );
    let saved = env.saved();
    let a = app(&saved, "invoice-worker");
    assert!(a.password_credentials.is_empty());
    assert!(a.federated_identity_credentials.iter().any(
        |f| f.subject.as_deref() == Some("repo:fabrikam/invoice-worker:environment:production")
    ));
    for (name, text) in env.everything_but_keys(&[&run]) {
        assert!(!text.contains("PRIVATE KEY"), "{name}");
        assert!(!text.contains("secretText"), "{name}");
    }
}

#[test]
fn certificate_apply_writes_private_key_files_and_uploads_only_the_public_part() {
    let env = Env::new();
    let run = env.run(&[
        "migrate",
        "secret-to-certificate",
        "--snapshot",
        s(&env.file()),
        "--identity",
        "payroll-api",
        "--key-out",
        s(&env.keys()),
        "--validity-months",
        "6",
        "--remove-secrets",
        "all",
        "--without-usage-evidence",
        "--apply",
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files: Vec<PathBuf> = std::fs::read_dir(env.keys())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    #[cfg(unix)]
    for f in &files {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", f.display());
    }
    let pem = files
        .iter()
        .find(|f| f.extension().unwrap() == "pem")
        .unwrap();
    let pfx = files
        .iter()
        .find(|f| f.extension().unwrap() == "pfx")
        .unwrap();
    let pem_text = std::fs::read_to_string(pem).unwrap();
    assert!(pem_text.contains("BEGIN PRIVATE KEY"));
    let key_line = pem_text
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)
        .and_then(|k| k.lines().find(|l| l.len() > 40))
        .unwrap()
        .to_string();
    let pfx_b64 = azure_core::base64::encode(std::fs::read(pfx).unwrap());
    for (name, text) in env.everything_but_keys(&[&run]) {
        assert!(!text.contains("PRIVATE KEY"), "{name}");
        assert!(!text.contains(&key_line), "{name}");
        assert!(!text.contains(&pfx_b64[..64]), "{name}");
    }
    let saved = env.saved();
    let a = app(&saved, "payroll-api");
    assert!(a.password_credentials.is_empty());
    assert_eq!(a.key_credentials.len(), 1);
    let thumb = a.key_credentials[0].thumbprint().unwrap();
    assert!(
        run.stdout.contains(&thumb),
        "the config names the thumbprint"
    );
    assert!(run.stdout.contains(s(pfx)), "the config names the PFX file");
    assert_eq!(
        a.key_credentials[0].end_date_time.unwrap().date(),
        time::macros::date!(2027 - 05 - 22)
    );
}

#[test]
fn refusals_exit_2_and_say_why() {
    let env = Env::new();
    // Read-only.
    let err = env
        .run(&with(FIC, &["--demo", "--read-only", "--apply", "--yes"]))
        .was_usage_error();
    assert!(err.contains("read-only"), "{err}");
    // --apply without --yes and without a terminal.
    let err = env
        .run(&with(FIC, &["--snapshot", s(&env.file()), "--apply"]))
        .was_usage_error();
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(
        normalized(env.saved()),
        normalized(demo_snapshot()),
        "nothing changed"
    );
    assert!(!env.data().join("journals").exists() || env.store().list().unwrap().0.is_empty());
    // Bad flags name the flag.
    for (args, flag) in [
        (
            vec![
                "migrate",
                "secret-to-fic",
                "--demo",
                "--identity",
                "invoice-worker",
                "--github-repo",
                "nope",
                "--branch",
                "main",
            ],
            "--github-repo",
        ),
        (
            vec![
                "migrate",
                "secret-to-fic",
                "--demo",
                "--identity",
                "invoice-worker",
                "--issuer",
                "http://x",
                "--subject",
                "s",
            ],
            "--issuer",
        ),
        (
            vec![
                "migrate",
                "secret-to-fic",
                "--demo",
                "--identity",
                "nobody",
                "--issuer",
                "https://x",
                "--subject",
                "s",
            ],
            "--identity",
        ),
        (
            vec![
                "migrate",
                "secret-to-fic",
                "--demo",
                "--identity",
                "invoice-worker",
                "--github-repo",
                "a/b",
                "--branch",
                "x",
                "--tag",
                "y",
            ],
            "--tag",
        ),
        (
            vec![
                "migrate",
                "secret-to-fic",
                "--demo",
                "--identity",
                "invoice-worker",
                "--github-repo",
                "a/b",
                "--branch",
                "x",
                "--remove-secrets",
                "nope",
            ],
            "--remove-secrets",
        ),
        (
            vec![
                "migrate",
                "secret-to-certificate",
                "--demo",
                "--identity",
                "payroll-api",
                "--apply",
                "--yes",
            ],
            "--key-out",
        ),
        (
            vec![
                "migrate",
                "secret-to-certificate",
                "--demo",
                "--identity",
                "payroll-api",
                "--validity-months",
                "99",
            ],
            "--validity-months",
        ),
        (
            vec![
                "migrate",
                "secret-to-managed-identity",
                "--demo",
                "--identity",
                "invoice-worker",
            ],
            "--create",
        ),
        (vec!["migrate", "secret-to-fic", "--demo"], "--identity"),
        (
            vec![
                "migrate",
                "secret-to-fic",
                "--demo",
                "--identity",
                "x",
                "--no-such-flag",
            ],
            "--no-such-flag",
        ),
    ] {
        let err = env.run(&args).was_usage_error();
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

/// A journal left open by a run that failed at step `k`, made through the library on the
/// snapshot file (the CLI cannot inject faults).
fn interrupted(env: &Env, sample: Sample, k: usize) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let backend = std::sync::Arc::new(SnapshotBackend::from_file(env.file()).unwrap());
    let faulty = Faulty::failing(backend, Fault::ServerError, k);
    let plan = sample.plan(&demo_snapshot(), "all");
    let source = SourceRecord {
        kind: credwise::store::journal::SourceKind::Snapshot,
        description: "snapshot tenant.json".into(),
        path: Some(env.file()),
        tenant: None,
        cloud: None,
    };
    let summary = rt
        .block_on(migrate::run(
            &faulty,
            &env.store(),
            plan,
            source,
            &options(),
        ))
        .unwrap();
    assert!(matches!(summary.outcome, RunOutcome::Failed { .. }));
    summary.journal_id
}

#[test]
fn status_resume_and_rollback_on_journals() {
    let env = Env::new();
    assert!(
        env.run(&["migrate", "status"])
            .succeeded()
            .contains("No migrations")
    );
    let err = env.run(&["migrate", "resume", "--yes"]).was_usage_error();
    assert!(err.contains("no open migration"), "{err}");

    let id = interrupted(&env, Sample::FicGitHub, 1);
    let status = env.run(&["migrate", "status", &id]).succeeded();
    assert!(
        status.contains("failed") && status.contains("verified"),
        "{status}"
    );
    assert!(status.contains(&format!("credwise migrate resume {id}")));
    let err = env
        .run(&["migrate", "status", &id, "--record"])
        .was_usage_error();
    assert!(err.contains("no record yet"), "{err}");
    // Without a terminal, resume needs --yes.
    assert!(
        env.run(&["migrate", "resume"])
            .was_usage_error()
            .contains("--yes")
    );
    // No id: the most recent open migration, on the source its journal names.
    let out = env
        .run(&["migrate", "resume", "--yes", "--without-usage-evidence"])
        .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    let done = env.saved();
    assert!(app(&done, "invoice-worker").password_credentials.is_empty());
    assert!(
        env.run(&["migrate", "status", &id, "--record"])
            .succeeded()
            .contains("done and verified")
    );
    // Without an id, rollback finds no open migration and names the finished one with the
    // exact command that undoes it.
    let err = env.run(&["migrate", "rollback", "--yes"]).was_usage_error();
    let command = format!(
        "credwise migrate rollback {id} --snapshot {}",
        env.file().display()
    );
    assert!(
        err.contains(&format!("the latest finished one is {id}")) && err.contains(&command),
        "{err}"
    );
    // A finished migration rolls back by id; the file is as it was.
    let out = env.run(&["migrate", "rollback", &id, "--yes"]).succeeded();
    assert!(out.contains("rolled back"), "{out}");
    assert_eq!(normalized(env.saved()), normalized(demo_snapshot()));
    let err = env
        .run(&["migrate", "rollback", &id, "--yes"])
        .was_usage_error();
    assert!(err.contains("already ended"), "{err}");
    // Rollback of an interrupted one, with no id.
    let id2 = interrupted(&env, Sample::ManagedIdentityCreate, 2);
    let out = env.run(&["migrate", "rollback", "--yes"]).succeeded();
    assert!(out.contains(&id2), "{out}");
    assert_eq!(normalized(env.saved()), normalized(demo_snapshot()));
    // Unknown ids and ids that are paths are refused.
    assert!(
        env.run(&["migrate", "status", "no-such-id"])
            .was_usage_error()
            .contains("no migration journal")
    );
    assert!(
        env.run(&["migrate", "resume", "../../etc/passwd", "--yes"])
            .was_usage_error()
            .contains("no migration journal")
    );
}

#[test]
fn a_demo_migration_cannot_be_resumed_by_another_process() {
    let env = Env::new();
    // An open journal of a demo run (its process ended).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let faulty = Faulty::failing(common::migration::demo_backend(), Fault::ServerError, 0);
    let plan = Sample::FicGitHub.plan(&demo_snapshot(), "");
    let summary = rt
        .block_on(migrate::run(
            &faulty,
            &env.store(),
            plan,
            common::migration::demo_source(),
            &options(),
        ))
        .unwrap();
    let err = env.run(&["migrate", "resume", "--yes"]).was_usage_error();
    assert!(err.contains("demo tenant"), "{err}");
    assert!(err.contains("abandoned"), "{err}");
    let record = env
        .run(&["migrate", "status", &summary.journal_id, "--record"])
        .succeeded();
    assert!(record.contains("abandoned"));
}

/// `--log-file`: a whole migration's log holds what happened (the command, the load, every
/// step) and none of the private key it generated; the file is the owner's alone.
#[test]
fn the_log_file_tells_the_run_and_holds_no_key_material() {
    let env = Env::new();
    let log = env.dir.path().join("credwise.log");
    let run = env.run(&[
        "--log-file",
        s(&log),
        "migrate",
        "secret-to-certificate",
        "--snapshot",
        s(&env.file()),
        "--identity",
        "payroll-api",
        "--key-out",
        s(&env.keys()),
        "--remove-secrets",
        "all",
        "--without-usage-evidence",
        "--apply",
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    for want in [
        "credwise started",
        "tenant loaded",
        "applications=",
        "migration",
        "Started",
        "Verified",
        "credwise ended",
    ] {
        assert!(text.contains(want), "{want:?} not in the log:\n{text}");
    }
    // The canary: every line of the generated key's body, and the PEM markers.
    let pem = std::fs::read_dir(env.keys())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pem"))
        .unwrap();
    let pem = std::fs::read_to_string(pem).unwrap();
    assert!(pem.contains("PRIVATE KEY"));
    assert!(!text.contains("PRIVATE KEY"));
    for line in pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
    {
        assert!(!text.contains(line), "key material in the log");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The terminal got nothing of it.
    assert!(!run.stderr.contains("tenant loaded") && !run.stdout.contains("tenant loaded"));
}

#[test]
fn a_log_file_that_cannot_be_written_is_a_usage_error() {
    let env = Env::new();
    let run = env.run(&[
        "--demo",
        "--log-file",
        "/nonexistent/dir/credwise.log",
        "list",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--log-file /nonexistent/dir/credwise.log"),
        "{}",
        run.stderr
    );
}
