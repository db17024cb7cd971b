//! The safety scenarios of issue #11 through the real binary: the reproduced lockout
//! (`secret-to-certificate --remove-secrets all --apply` against the emulator, then `migrate
//! rollback`), the choices a refused rollback offers (`--keep-new-credential`, `--force`
//! with `--confirm-lockout`), one open migration per identity, `rollback` on another snapshot
//! file, files with duplicate ids, and a record missing after a kill (written by `migrate
//! status`). Named after the scenarios; each fails on the code before the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::path::{Path, PathBuf};

use common::cli::{Run, credwise, s};
use common::migration::{Fault, Faulty, Sample, demo_backend, demo_snapshot, options};
use credwise::domain::TenantSnapshot;
use credwise::jobs::migrate::{self, RunOutcome};
use credwise::store::journal::{JournalStore, SourceRecord};
use credwise::store::snapshot_file;
use emulator::Emulator;

/// Runs the binary with its data and cache in `home`, off the async threads.
async fn credwise_in(home: &Path, args: Vec<String>) -> Run {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = credwise();
        cmd.env("CREDWISE_DATA_DIR", home.join("data"))
            .env("CREDWISE_CACHE_DIR", home.join("cache"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        Run::of(&mut cmd, &refs)
    })
    .await
    .unwrap()
}

fn blocking_in(home: &Path, args: &[&str]) -> Run {
    let mut cmd = credwise();
    cmd.env("CREDWISE_DATA_DIR", home.join("data"))
        .env("CREDWISE_CACHE_DIR", home.join("cache"));
    Run::of(&mut cmd, args)
}

/// `words` against the emulator (`--auth none` on loopback).
fn live_args(words: &[&str], emu: &Emulator) -> Vec<String> {
    let mut all: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    all.extend([
        "--graph-url".into(),
        emu.graph_url(),
        "--arm-url".into(),
        emu.arm_url(),
        "--auth".into(),
        "none".into(),
    ]);
    all
}

/// The credentials `show --output json` lists for `identity`.
async fn credentials_shown(home: &Path, emu: &Emulator, identity: &str) -> Vec<serde_json::Value> {
    let out = credwise_in(
        home,
        live_args(&["show", identity, "--output", "json"], emu),
    )
    .await
    .succeeded();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["credentials"].as_array().cloned().unwrap_or_default()
}

/// `secret-to-certificate --remove-secrets all --apply` on invoice-worker (two secrets,
/// nothing else) against the emulator; returns the journal id.
async fn migrate_invoice_worker_to_a_certificate(home: &Path, emu: &Emulator) -> String {
    let keys = home.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let out = credwise_in(
        home,
        live_args(
            &[
                "migrate",
                "secret-to-certificate",
                "--identity",
                "invoice-worker",
                "--key-out",
                s(&keys),
                "--remove-secrets",
                "all",
                "--without-usage-evidence",
                "--apply",
                "--yes",
            ],
            emu,
        ),
    )
    .await
    .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    let credentials = credentials_shown(home, emu, "invoice-worker").await;
    assert_eq!(
        credentials.len(),
        1,
        "only the certificate: {credentials:?}"
    );
    assert_eq!(credentials[0]["type"], "certificate");
    JournalStore::at(home.join("data/journals"))
        .list()
        .unwrap()
        .0
        .pop()
        .unwrap()
        .id
}

/// The reproduction from the issue: rollback used to delete the certificate after the
/// secrets were removed for good (`"credentials": []`, exit 0). It now refuses, exit 2,
/// naming the identity and the safe choices, and changes nothing.
#[tokio::test]
async fn migrate_rollback_after_removing_every_secret_on_a_live_tenant_refuses_to_lock_out() {
    let emu = Emulator::start(demo_snapshot()).await;
    let home = tempfile::tempdir().unwrap();
    let id = migrate_invoice_worker_to_a_certificate(home.path(), &emu).await;
    let before = emu.snapshot();

    let err = credwise_in(
        home.path(),
        live_args(&["migrate", "rollback", &id, "--yes"], &emu),
    )
    .await
    .was_usage_error();
    assert!(err.contains("invoice-worker"), "{err}");
    assert!(err.contains("without a usable credential"), "{err}");
    assert!(err.contains("before changing anything"), "{err}");
    assert!(err.contains("certificate"), "the last credential: {err}");
    assert!(
        err.contains("invoice-worker-2025"),
        "the lost secret: {err}"
    );
    assert!(
        err.contains(&format!(
            "credwise migrate rollback {id} --keep-new-credential"
        )),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert!(err.contains("--confirm-lockout"), "{err}");
    assert_eq!(emu.snapshot(), before, "nothing changed");
    let credentials = credentials_shown(home.path(), &emu, "invoice-worker").await;
    assert_eq!(credentials.len(), 1, "{credentials:?}");
}

/// The safe choice: keep the new credential, close the migration as rolled back except it.
#[tokio::test]
async fn migrate_rollback_keep_new_credential_closes_the_migration_and_keeps_the_certificate() {
    let emu = Emulator::start(demo_snapshot()).await;
    let home = tempfile::tempdir().unwrap();
    let id = migrate_invoice_worker_to_a_certificate(home.path(), &emu).await;
    let out = credwise_in(
        home.path(),
        live_args(
            &["migrate", "rollback", &id, "--keep-new-credential", "--yes"],
            &emu,
        ),
    )
    .await
    .succeeded();
    assert!(
        out.contains("rolled back except the new credential"),
        "{out}"
    );
    assert!(out.contains("az ad app credential reset"), "{out}");
    let credentials = credentials_shown(home.path(), &emu, "invoice-worker").await;
    assert_eq!(
        credentials.len(),
        1,
        "the certificate stays: {credentials:?}"
    );
    let status = credwise_in(
        home.path(),
        vec![
            "migrate".into(),
            "status".into(),
            id.clone(),
            "--output".into(),
            "json".into(),
        ],
    )
    .await
    .succeeded();
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v["status"], "rolled back");
    assert_eq!(v["steps"][0]["state"], "kept");
    let record = credwise_in(
        home.path(),
        vec![
            "migrate".into(),
            "status".into(),
            id.clone(),
            "--record".into(),
        ],
    )
    .await
    .succeeded();
    assert!(
        record.contains("rolled back except the new credential"),
        "the record says the same: {record}"
    );
}

/// The unsafe choice needs the identity's name: `--yes` does not answer it, and without a
/// terminal `--confirm-lockout NAME` must.
#[tokio::test]
async fn migrate_rollback_force_needs_the_identity_name_and_then_locks_out() {
    let emu = Emulator::start(demo_snapshot()).await;
    let home = tempfile::tempdir().unwrap();
    let id = migrate_invoice_worker_to_a_certificate(home.path(), &emu).await;
    let before = emu.snapshot();
    let err = credwise_in(
        home.path(),
        live_args(&["migrate", "rollback", &id, "--force", "--yes"], &emu),
    )
    .await
    .was_usage_error();
    assert!(err.contains("--confirm-lockout"), "{err}");
    assert_eq!(emu.snapshot(), before);
    let err = credwise_in(
        home.path(),
        live_args(
            &[
                "migrate",
                "rollback",
                &id,
                "--force",
                "--confirm-lockout",
                "payroll-api",
                "--yes",
            ],
            &emu,
        ),
    )
    .await
    .was_usage_error();
    assert!(err.contains("neither"), "another name is refused: {err}");
    assert_eq!(emu.snapshot(), before);
    let out = credwise_in(
        home.path(),
        live_args(
            &[
                "migrate",
                "rollback",
                &id,
                "--force",
                "--confirm-lockout",
                "invoice-worker",
                "--yes",
            ],
            &emu,
        ),
    )
    .await
    .succeeded();
    assert!(out.contains("rolled back"), "{out}");
    let credentials = credentials_shown(home.path(), &emu, "invoice-worker").await;
    assert!(credentials.is_empty(), "forced: {credentials:?}");
}

/// A data directory and a copy of the demo tenant as a snapshot file.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        snapshot_file::save(&demo_snapshot(), &dir.path().join("tenant.json")).unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        Self { dir }
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("tenant.json")
    }

    fn store(&self) -> JournalStore {
        JournalStore::at(self.dir.path().join("data/journals"))
    }
}

/// A new migration on an identity that has an open one used to start. It is refused, exit 2,
/// naming the open journal and how to end it — before a certificate is generated.
#[test]
fn migrate_on_an_identity_with_an_open_migration_is_refused() {
    let f = Files::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let plan = Sample::FicGitHub.plan(&demo_snapshot(), "all");
    let faulty = Faulty::failing(demo_backend(), Fault::ServerError, 1);
    let open = rt
        .block_on(migrate::run(
            &faulty,
            &f.store(),
            plan,
            SourceRecord::snapshot(&f.file(), "snapshot tenant.json"),
            &options(),
        ))
        .unwrap();
    assert!(matches!(open.outcome, RunOutcome::Failed { .. }));
    let before = snapshot_file::load(&f.file()).unwrap();
    let keys = f.home().join("keys");
    let err = blocking_in(
        f.home(),
        &[
            "migrate",
            "secret-to-certificate",
            "--snapshot",
            s(&f.file()),
            "--identity",
            "invoice-worker",
            "--key-out",
            s(&keys),
            "--apply",
            "--yes",
        ],
    )
    .was_usage_error();
    assert!(err.contains(&open.journal_id), "{err}");
    assert!(
        err.contains(&format!("credwise migrate resume {}", open.journal_id)),
        "{err}"
    );
    assert!(
        err.contains(&format!("credwise migrate rollback {}", open.journal_id)),
        "{err}"
    );
    assert_eq!(snapshot_file::load(&f.file()).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(&keys).unwrap().count(),
        0,
        "no private key was generated"
    );
}

/// `rollback` on another snapshot file than the journal's (here: of the same tenant) used to
/// undo the journal's steps on that file.
#[test]
fn migrate_rollback_on_another_snapshot_file_is_refused_naming_both() {
    let f = Files::new();
    let out = blocking_in(
        f.home(),
        &[
            "migrate",
            "secret-to-fic",
            "--snapshot",
            s(&f.file()),
            "--identity",
            "invoice-worker",
            "--github-repo",
            "fabrikam/invoice-worker",
            "--environment",
            "production",
            "--apply",
            "--yes",
        ],
    )
    .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    let id = f.store().list().unwrap().0.pop().unwrap().id;
    let other = f.home().join("other.json");
    snapshot_file::save(&demo_snapshot(), &other).unwrap();
    let err = blocking_in(
        f.home(),
        &["migrate", "rollback", &id, "--snapshot", s(&other), "--yes"],
    )
    .was_usage_error();
    assert!(err.contains("tenant.json"), "the journal's file: {err}");
    assert!(err.contains("other.json"), "the given file: {err}");
    let untouched: TenantSnapshot = snapshot_file::load(&other).unwrap();
    assert_eq!(untouched, demo_snapshot(), "the other file is untouched");
}

/// A snapshot file and an `az` import with one object twice are bad input: exit 2, naming
/// both objects and where they are; no output file is written.
#[test]
fn list_and_import_az_refuse_duplicate_ids_naming_both() {
    let f = Files::new();
    let mut s2 = demo_snapshot();
    let copy = s2.applications[1].clone();
    let mut twin = copy.clone();
    twin.display_name = "payroll-api-shadow".into();
    s2.applications.push(twin);
    let dup = f.home().join("dup.json");
    std::fs::write(&dup, snapshot_file::to_bytes(&s2)).unwrap();
    let err = blocking_in(f.home(), &["list", "--snapshot", s(&dup)]).was_usage_error();
    assert!(err.contains("dup.json"), "{err}");
    assert!(err.contains(&copy.id), "{err}");
    assert!(err.contains(&format!("{:?}", copy.display_name)), "{err}");
    assert!(err.contains("\"payroll-api-shadow\""), "{err}");

    let apps = f.home().join("apps.json");
    let list = serde_json::to_vec(&vec![&copy, &copy]).unwrap();
    std::fs::write(&apps, list).unwrap();
    let out = f.home().join("imported.json");
    let err = blocking_in(
        f.home(),
        &[
            "snapshot",
            "import-az",
            "--apps",
            s(&apps),
            "--out",
            s(&out),
        ],
    )
    .was_usage_error();
    assert!(err.contains("apps.json"), "{err}");
    assert!(err.contains("item 1") && err.contains("item 2"), "{err}");
    assert!(!out.exists(), "nothing written");
}

/// credwise killed after a journal's `closed` line and before the Markdown record: the
/// migration is done but has no record. `migrate status` writes it from the journal, and
/// `status ID --record` prints it.
#[test]
fn a_migration_killed_after_closing_gets_its_record_from_migrate_status() {
    let f = Files::new();
    blocking_in(
        f.home(),
        &[
            "migrate",
            "secret-to-fic",
            "--snapshot",
            s(&f.file()),
            "--identity",
            "invoice-worker",
            "--github-repo",
            "fabrikam/invoice-worker",
            "--environment",
            "production",
            "--apply",
            "--yes",
        ],
    )
    .succeeded();
    let id = f.store().list().unwrap().0.pop().unwrap().id;
    let record = f.store().record_path(&id);
    let written = std::fs::read_to_string(&record).unwrap();
    std::fs::remove_file(&record).unwrap();

    blocking_in(f.home(), &["migrate", "status"]).succeeded();
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        written,
        "the same record, rebuilt from the journal"
    );
    std::fs::remove_file(&record).unwrap();
    let printed = blocking_in(f.home(), &["migrate", "status", &id, "--record"]).succeeded();
    assert_eq!(printed, written);
}
