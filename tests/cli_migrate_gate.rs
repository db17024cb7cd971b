//! The retirement gate through the real binary, on a snapshot file of the demo tenant: the
//! dry run shows each removal's evidence (text and JSON); `--apply` without the evidence stops
//! before the removal (exit 4, the words say it waits and how to go on) and `migrate status`
//! lists it as waiting on evidence (table, one journal, JSON); `resume` waits again while the
//! evidence is missing, and goes on once the snapshot's sign-in data shows the new certificate
//! in use; `--without-usage-evidence` removes at once, noted in the journal and the record.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::cli::{Run, credwise, s};
use common::migration::demo_snapshot;
use credwise::cli::exit::WAITING as EXIT_WAITING;
use credwise::domain::credential::CredentialType;
use credwise::domain::usage::{CredentialActivity, UsageSource};
use credwise::domain::{Change, TenantSnapshot, Timestamp};
use credwise::store::journal::{JournalStore, Record};
use credwise::store::snapshot_file;
use serde_json::Value;

/// The orders-web application: its secret idle for 120 days beside a certificate.
const ORDERS_WEB: &str = "93dee85d-eb1e-4b1a-9a20-faee04e5950d";

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

    fn file(&self) -> PathBuf {
        self.dir.path().join("tenant.json")
    }

    fn store(&self) -> JournalStore {
        JournalStore::at(self.dir.path().join("data").join("journals"))
    }

    /// The binary with this environment's data directory, at `now`.
    fn run_at(&self, now: &str, args: &[&str]) -> Run {
        let mut cmd = credwise();
        cmd.env("CREDWISE_DATA_DIR", self.dir.path().join("data"))
            .env("CREDWISE_NOW", now)
            .env_remove("CREDWISE_PFX_PASSWORD");
        Run::of(&mut cmd, args)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_at(common::cli::NOW, args)
    }

    fn certificate_migration(&self, identity: &str, more: &[&str]) -> Run {
        let keys = self.dir.path().join("keys");
        let file = self.file();
        let mut args = vec![
            "migrate",
            "secret-to-certificate",
            "--snapshot",
            s(&file),
            "--identity",
            identity,
            "--key-out",
            s(&keys),
            "--remove-secrets",
            "all",
        ];
        args.extend(more);
        self.run(&args)
    }

    fn secrets_of(&self, id: &str) -> usize {
        let snap: TenantSnapshot = snapshot_file::load(&self.file()).unwrap();
        snap.applications
            .iter()
            .find(|a| a.id == id || a.display_name == id)
            .unwrap()
            .password_credentials
            .len()
    }
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

#[test]
fn the_dry_run_shows_each_removals_usage_evidence() {
    let env = Env::new();
    let out = env.certificate_migration("payroll-api", &[]).succeeded();
    assert!(
        out.contains("Usage evidence (a removal goes once the new credential has signed in since it was added and the credential it removes has been idle 7 days"),
        "{out}"
    );
    assert!(out.contains("waits for usage evidence"), "{out}");
    assert!(out.contains("still signs in"), "{out}");
    let out = env
        .certificate_migration(ORDERS_WEB, &["--idle-days", "30", "-o", "json"])
        .succeeded();
    let v: Value = serde_json::from_str(&out).unwrap();
    let evidence = v["usageEvidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{v}");
    assert_eq!(evidence[0]["step"], 2);
    assert_eq!(evidence[0]["verdict"], "wait");
    let shown = evidence[0]["shown"].to_string();
    assert!(shown.contains("has been idle for 120 days"), "{shown}");
    assert!(shown.contains("at least the 30 asked"), "{shown}");
    // A bad --idle-days names the flag.
    let err = env
        .certificate_migration("payroll-api", &["--idle-days", "soon"])
        .was_usage_error();
    assert!(err.contains("--idle-days"), "{err}");
}

#[test]
fn apply_waits_without_evidence_then_resume_goes_on_once_it_arrives() {
    let env = Env::new();
    let run = env.certificate_migration(ORDERS_WEB, &["--apply", "--yes"]);
    assert_eq!(run.code, i32::from(EXIT_WAITING), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Waiting before step 2: removing the secret needs usage evidence."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Nothing was removed."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("credwise migrate resume "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--without-usage-evidence"),
        "{}",
        run.stderr
    );
    assert_eq!(env.secrets_of(ORDERS_WEB), 1, "nothing removed");
    let (journals, _) = env.store().list().unwrap();
    assert_eq!(journals.len(), 1);
    let id = journals[0].id.clone();

    // `status` lists it as waiting on evidence, in every shape.
    let table = env.run(&["migrate", "status"]).succeeded();
    let row = table.lines().find(|l| l.contains(&id)).unwrap();
    assert!(row.contains("waiting on evidence"), "{table}");
    let one = env.run(&["migrate", "status", &id]).succeeded();
    assert!(one.contains(" 2. waiting "), "{one}");
    assert!(
        one.contains("Usage evidence for step 2: waits for usage evidence"),
        "{one}"
    );
    assert!(
        one.contains("Waiting on usage evidence. Next: `credwise migrate resume"),
        "{one}"
    );
    let v: Value =
        serde_json::from_str(&env.run(&["migrate", "status", "-o", "json"]).succeeded()).unwrap();
    assert_eq!(v[0]["status"], "waiting on evidence");
    assert_eq!(v[0]["steps"][1]["state"], "waiting");
    assert_eq!(v[0]["steps"][1]["usageEvidence"]["verdict"], "wait");
    assert!(v[0]["steps"][0]["usageEvidence"].is_null());

    // A day later, no new sign-in data: it waits again.
    let later = "2026-11-23T12:00:00Z";
    let again = env.run_at(later, &["migrate", "resume", &id, "--yes"]);
    assert_eq!(again.code, i32::from(EXIT_WAITING), "{}", again.stderr);
    assert_eq!(env.secrets_of(ORDERS_WEB), 1);

    // The workload now signs in with the new certificate; the snapshot's sign-in data says so.
    let state = env.store().read(&id).unwrap();
    let key = state
        .plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Change::AddKey { credential, .. } => Some(credential.key_id.clone()),
            _ => None,
        })
        .unwrap();
    let mut snap: TenantSnapshot = snapshot_file::load(&env.file()).unwrap();
    snap.usage.collected_at = Some(ts("2026-11-24T11:00:00Z"));
    snap.usage.credentials.push(CredentialActivity {
        source: UsageSource::CredentialReport,
        credential_type: CredentialType::Certificate,
        key: key.to_string(),
        thumbprint: None,
        app_id: None,
        owner_id: Some(ORDERS_WEB.into()),
        origin: None,
        last_sign_in: Some(ts("2026-11-24T10:00:00Z")),
        last_request_id: None,
        last_failure: None,
    });
    snapshot_file::save(&snap, &env.file()).unwrap();
    let done = env.run_at("2026-11-24T12:00:00Z", &["migrate", "resume", &id, "--yes"]);
    let out = done.succeeded();
    assert!(out.contains("Migration done"), "{out}");
    assert_eq!(env.secrets_of(ORDERS_WEB), 0);
    let record = env.run(&["migrate", "status", &id, "--record"]).succeeded();
    assert!(
        record.contains("Usage evidence for step 2: may go"),
        "{record}"
    );
    assert!(record.contains("has been idle for 122 days"), "{record}");
}

#[test]
fn without_usage_evidence_removes_and_the_journal_and_record_note_it() {
    let env = Env::new();
    let run = env.certificate_migration(
        "payroll-api",
        &["--apply", "--yes", "--without-usage-evidence"],
    );
    let out = run.succeeded();
    assert!(out.contains("Migration done"), "{out}");
    assert_eq!(env.secrets_of("payroll-api"), 0);
    let (journals, _) = env.store().list().unwrap();
    let state = &journals[0];
    let note = state
        .records
        .iter()
        .find_map(|r| match r {
            Record::Step {
                index: 1,
                note: Some(n),
                ..
            } => Some(n.clone()),
            _ => None,
        })
        .unwrap();
    assert!(note.contains("--without-usage-evidence"), "{note}");
    assert!(note.contains("the sign-in data was not read"), "{note}");
    let record = env
        .run(&["migrate", "status", &state.id, "--record"])
        .succeeded();
    assert!(
        record.contains("removed without usage evidence (--without-usage-evidence)"),
        "{record}"
    );
    assert!(record.contains("goes without usage evidence"), "{record}");
}

#[test]
fn resume_without_usage_evidence_removes_a_waiting_secret() {
    let env = Env::new();
    let run = env.certificate_migration("payroll-api", &["--apply", "--yes"]);
    assert_eq!(run.code, i32::from(EXIT_WAITING), "{}", run.stderr);
    let (journals, _) = env.store().list().unwrap();
    let id = journals[0].id.clone();
    let out = env
        .run(&[
            "migrate",
            "resume",
            &id,
            "--yes",
            "--without-usage-evidence",
        ])
        .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    assert_eq!(env.secrets_of("payroll-api"), 0);
    let record = env.run(&["migrate", "status", &id, "--record"]).succeeded();
    assert!(
        record.contains("removed without usage evidence"),
        "{record}"
    );
}
