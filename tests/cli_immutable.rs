//! `credwise migrate github-immutable-subject` through the real binary: the dry run of one
//! application with the ids given (the whole text), a bulk dry run whose ids come from the
//! loopback GitHub stand-in (one request per repository, the summary table), `--apply` on a
//! snapshot copy of the demo for one application, one user-assigned identity and in bulk (one
//! journal per identity), the retirement gate holding the old credentials back (exit 4) until
//! `resume --without-usage-evidence`, `rollback` restoring the name-based credentials, the worst
//! outcome as a bulk run's exit code, `--read-only`, and hostile tenant strings sanitized.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::cli::{Run, credwise, s, snapshot_with_apps};
use common::migration::demo_snapshot;
use credwise::domain::TenantSnapshot;
use credwise::store::journal::JournalStore;
use credwise::store::snapshot_file;
use credwise_test_kit::github::{GitHubStandIn, Repo};

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// GitHub's stand-in knowing the demo's repositories, on a runtime of its own (the binary runs
/// synchronously beside it).
struct GitHub {
    stand_in: GitHubStandIn,
    _rt: tokio::runtime::Runtime,
}

impl GitHub {
    fn demo() -> Self {
        Self::demo_without(&[])
    }

    /// The stand-in without the repositories named in `missing`.
    fn demo_without(missing: &[&str]) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let repos = credwise_test_kit::tenant::demo::github_repositories()
            .into_iter()
            .filter(|(_, _, name, _)| !missing.contains(name))
            .map(|(owner, owner_id, name, id)| Repo {
                owner: owner.into(),
                owner_id,
                name: name.into(),
                id,
                private: false,
            })
            .collect();
        let stand_in = rt.block_on(GitHubStandIn::start(repos));
        Self { stand_in, _rt: rt }
    }

    fn url(&self) -> String {
        self.stand_in.url()
    }
}

/// A data directory and a copy of the demo tenant as a snapshot file.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        snapshot_file::save(&demo_snapshot(), &dir.path().join("tenant.json")).unwrap();
        Self { dir }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("tenant.json")
    }

    fn store(&self) -> JournalStore {
        JournalStore::at(self.dir.path().join("data").join("journals"))
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = credwise();
        cmd.env("CREDWISE_DATA_DIR", self.dir.path().join("data"))
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN");
        Run::of(&mut cmd, args)
    }

    /// `migrate github-immutable-subject` on the snapshot copy, with `extra`.
    fn migrate(&self, extra: &[&str]) -> Run {
        let file = self.file();
        let mut args = vec![
            "migrate",
            "github-immutable-subject",
            "--snapshot",
            s(&file),
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn saved(&self) -> TenantSnapshot {
        snapshot_file::load(&self.file()).unwrap()
    }
}

/// The GitHub subjects of `identity` (an application or a user-assigned identity), sorted.
fn github_subjects(s: &TenantSnapshot, identity: &str) -> Vec<String> {
    let fics = s
        .applications
        .iter()
        .find(|a| a.display_name == identity)
        .map(|a| a.federated_identity_credentials.clone())
        .or_else(|| {
            s.user_assigned_identities
                .iter()
                .find(|u| u.name == identity)
                .map(|u| u.federated_identity_credentials.clone())
        })
        .unwrap_or_else(|| panic!("no identity {identity}"));
    let mut out: Vec<String> = fics
        .into_iter()
        .filter(|f| f.issuer == GITHUB_ISSUER)
        .filter_map(|f| f.subject)
        .collect();
    out.sort();
    out
}

/// Whether `subject` is name-based (`repo:OWNER/REPO:…` without ids).
fn name_based(subject: &str) -> bool {
    subject
        .strip_prefix("repo:")
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(repo, _)| !repo.contains('@'))
}

/// Every name-based GitHub subject of the tenant, as `(identity, subject)`.
fn all_name_based(s: &TenantSnapshot) -> Vec<(String, String)> {
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
                .filter(|f| f.issuer == GITHUB_ISSUER)
                .filter_map(|f| f.subject.clone())
                .filter(|s| name_based(s))
                .map(move |s| (n.clone(), s))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn journal_id(stderr: &str) -> String {
    stderr
        .split("Journal ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap()
        .trim_end_matches('.')
        .to_string()
}

#[test]
fn the_dry_run_of_one_application_prints_its_plan_and_what_to_switch_in_github() {
    let env = Env::new();
    let out = env
        .run(&[
            "--demo",
            "migrate",
            "github-immutable-subject",
            "--identity",
            "payroll-api",
            "--owner-id",
            "5544123",
            "--repo-id",
            "731002101",
        ])
        .succeeded();
    insta::assert_snapshot!("github_immutable_subject_dry_run", out);
    assert!(
        env.store().list().unwrap().0.is_empty(),
        "a dry run journals nothing"
    );
}

#[test]
fn a_bulk_dry_run_asks_github_once_per_repository_and_ends_with_the_summary_table() {
    let env = Env::new();
    let github = GitHub::demo();
    let url = github.url();
    let before = env.saved();
    let run = env.migrate(&["--all", "--github-api-url", &url]);
    let out = run.succeeded();
    let name_based = all_name_based(&before);
    assert!(name_based.len() >= 4, "the demo has some: {name_based:?}");
    // One row per name-based credential, with its immutable replacement.
    let table = out
        .split_once("IDENTITY")
        .map(|(_, t)| t)
        .expect("the summary table");
    for (identity, subject) in &name_based {
        let row = table
            .lines()
            .find(|l| l.contains(subject.as_str()))
            .unwrap_or_else(|| panic!("no row for {identity} {subject}:\n{out}"));
        assert!(row.starts_with(identity.as_str()), "{row}");
        assert!(row.contains("@5544123/"), "{row}");
        assert!(row.trim_end().ends_with("planned"), "{row}");
    }
    let mut repos: Vec<String> = github
        .stand_in
        .requests()
        .into_iter()
        .map(|r| r.path.to_ascii_lowercase())
        .collect();
    let asked = repos.len();
    repos.sort();
    repos.dedup();
    assert_eq!(asked, repos.len(), "one request per repository: {repos:?}");
    assert!(
        repos.iter().all(|p| p.starts_with("/repos/fabrikam/")),
        "{repos:?}"
    );
    assert_eq!(env.saved(), before, "a dry run changes nothing");
    assert!(env.store().list().unwrap().0.is_empty());
    assert!(out.contains("Dry run: nothing was changed"), "{out}");
}

#[test]
fn one_application_and_one_user_assigned_identity_move_and_roll_back_on_a_snapshot() {
    for identity in ["payroll-api", "id-github-platform-deploy"] {
        let env = Env::new();
        let github = GitHub::demo();
        let url = github.url();
        let before = env.saved();
        let old = github_subjects(&before, identity);
        assert!(old.iter().any(|s| name_based(s)), "{identity}: {old:?}");
        let run = env.migrate(&[
            "--identity",
            identity,
            "--github-api-url",
            &url,
            "--apply",
            "--yes",
            "--without-usage-evidence",
        ]);
        let id = journal_id(&run.stderr);
        let out = run.succeeded();
        assert!(out.contains("Migration done"), "{identity}: {out}");
        assert!(out.contains("use_immutable_subject=true"), "{out}");
        let after = github_subjects(&env.saved(), identity);
        assert!(
            after.iter().all(|s| !name_based(s)),
            "{identity}: {after:?}"
        );
        assert_eq!(
            after.len(),
            old.len(),
            "{identity}: one immutable credential per name-based one"
        );
        let journals = env.store().list().unwrap().0;
        assert_eq!(journals.len(), 1);
        assert_eq!(journals[0].migration.as_str(), "github-immutable-subject");
        // The journal keeps the run's gate options, for the explorer's `:resume`.
        let gate = journals[0].gate.unwrap();
        assert!(
            gate.without_usage_evidence && gate.idle_days == 7,
            "{gate:?}"
        );
        let rolled = env
            .run(&[
                "migrate",
                "rollback",
                &id,
                "--yes",
                "--snapshot",
                s(&env.file()),
            ])
            .succeeded();
        assert!(rolled.contains("Migration rolled back"), "{rolled}");
        assert_eq!(github_subjects(&env.saved(), identity), old, "{identity}");
    }
}

#[test]
fn a_bulk_run_journals_each_identity_and_moves_every_name_based_credential() {
    let env = Env::new();
    let github = GitHub::demo();
    let url = github.url();
    let before = all_name_based(&env.saved());
    let mut identities: Vec<&str> = before.iter().map(|(i, _)| i.as_str()).collect();
    identities.sort();
    identities.dedup();
    let run = env.migrate(&[
        "--github-org",
        "fabrikam",
        "--github-api-url",
        &url,
        "--apply",
        "--yes",
        "--without-usage-evidence",
    ]);
    let out = run.succeeded();
    assert_eq!(all_name_based(&env.saved()), vec![], "{out}");
    let journals = env.store().list().unwrap().0;
    let mut journaled: Vec<String> = journals
        .iter()
        .map(|j| j.plan.identity.display_name.clone())
        .collect();
    journaled.sort();
    assert_eq!(journaled, identities, "one journal per identity");
    assert!(journals.iter().all(|j| j.status() == "done"), "{out}");
    let table = out.split_once("IDENTITY").map(|(_, t)| t).expect("table");
    for (identity, subject) in &before {
        let row = table
            .lines()
            .find(|l| l.contains(subject.as_str()))
            .unwrap_or_else(|| panic!("no row for {identity} {subject}:\n{out}"));
        assert!(row.trim_end().ends_with("done"), "{row}");
    }
}

#[test]
fn without_evidence_the_old_credentials_wait_then_resume_removes_them() {
    let env = Env::new();
    let github = GitHub::demo();
    let url = github.url();
    let old = github_subjects(&env.saved(), "payroll-api");
    let run = env.migrate(&["--all", "--github-api-url", &url, "--apply", "--yes"]);
    assert_eq!(run.code, 4, "waiting on usage evidence: {}", run.stderr);
    assert!(run.stdout.contains("waiting"), "{}", run.stdout);
    // The new credentials are there beside the old ones; nothing was removed.
    let now = github_subjects(&env.saved(), "payroll-api");
    assert!(old.iter().all(|o| now.contains(o)), "{now:?}");
    assert_eq!(now.len(), 2 * old.len(), "{now:?}");
    let journals = env.store().list().unwrap().0;
    let payroll = journals
        .iter()
        .find(|j| j.plan.identity.display_name == "payroll-api")
        .unwrap();
    assert!(payroll.waiting().is_some());
    let out = env
        .run(&[
            "migrate",
            "resume",
            &payroll.id,
            "--yes",
            "--without-usage-evidence",
            "--snapshot",
            s(&env.file()),
        ])
        .succeeded();
    assert!(out.contains("Migration done"), "{out}");
    let after = github_subjects(&env.saved(), "payroll-api");
    assert!(after.iter().all(|s| !name_based(s)), "{after:?}");
}

#[test]
fn a_bulk_run_exits_with_its_worst_outcome() {
    let env = Env::new();
    let github = GitHub::demo();
    let url = github.url();
    // payroll-api's migration waits (exit 4) and stays open…
    let first = env.migrate(&[
        "--identity",
        "payroll-api",
        "--github-api-url",
        &url,
        "--apply",
        "--yes",
    ]);
    assert_eq!(first.code, 4, "{}", first.stderr);
    // …so the bulk run refuses it (2) while the others are done (0): exit 2.
    let run = env.migrate(&[
        "--all",
        "--github-api-url",
        &url,
        "--apply",
        "--yes",
        "--without-usage-evidence",
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let table = run.stdout.split_once("IDENTITY").map(|(_, t)| t).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("payroll-api") && l.contains("refused")),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.trim_end().ends_with("done")),
        "{table}"
    );
}

#[test]
fn read_only_refuses_and_bad_flags_are_named() {
    let env = Env::new();
    let before = env.saved();
    let r = env.migrate(&[
        "--identity",
        "payroll-api",
        "--owner-id",
        "1",
        "--repo-id",
        "2",
        "--apply",
        "--yes",
        "--read-only",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(env.saved(), before);
    let e = env
        .migrate(&[
            "--identity",
            "payroll-api",
            "--owner-id",
            "x1",
            "--repo-id",
            "2",
        ])
        .was_usage_error();
    assert!(e.contains("--owner-id"), "{e}");
    // One of --identity, --all, --github-org.
    assert_ne!(env.migrate(&[]).code, 0);
    assert_ne!(env.migrate(&["--all", "--identity", "payroll-api"]).code, 0);
}

#[test]
fn hostile_tenant_strings_are_sanitized_in_the_plan_and_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let evil_name = "deploy\u{1b}]52;c;aGk=\u{7}\u{202e}";
    let file = snapshot_with_apps(
        dir.path(),
        serde_json::json!([{
            "id": "0b000000-0000-4000-8000-000000000001",
            "appId": "0a000000-0000-4000-8000-000000000001",
            "displayName": "evil\u{1b}[2Japp",
            "passwordCredentials": [],
            "keyCredentials": [],
            "federatedIdentityCredentials": [{
                "name": evil_name,
                "issuer": GITHUB_ISSUER,
                "subject": "repo:fabrikam/pay\u{202e}roll:ref:refs/heads/main",
                "audiences": ["api://AzureADTokenExchange"]
            }]
        }]),
    );
    let mut cmd = credwise();
    cmd.env("CREDWISE_DATA_DIR", dir.path().join("data"));
    let one = Run::of(
        &mut cmd,
        &[
            "migrate",
            "github-immutable-subject",
            "--snapshot",
            s(&file),
            "--identity",
            "0b000000-0000-4000-8000-000000000001",
            "--owner-id",
            "5544123",
            "--repo-id",
            "731002101",
        ],
    );
    let out = one.succeeded();
    for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!out.contains(bad), "{bad:?} in {out:?}");
    }
    assert!(out.contains("repo:fabrikam@5544123/pay"), "{out}");
    // In bulk GitHub does not know the repository: the warning and the skipped row say so,
    // sanitized too.
    let github = GitHub::demo();
    let url = github.url();
    let mut cmd = credwise();
    cmd.env("CREDWISE_DATA_DIR", dir.path().join("data"));
    let bulk = Run::of(
        &mut cmd,
        &[
            "migrate",
            "github-immutable-subject",
            "--snapshot",
            s(&file),
            "--all",
            "--github-api-url",
            &url,
        ],
    );
    assert_eq!(bulk.code, 0, "{}", bulk.stderr);
    assert!(bulk.stdout.contains("skipped:"), "{}", bulk.stdout);
    assert!(
        bulk.stderr.contains("GitHub has no repository"),
        "{}",
        bulk.stderr
    );
    for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!bulk.stdout.contains(bad), "{bad:?} in {:?}", bulk.stdout);
        assert!(!bulk.stderr.contains(bad), "{bad:?} in {:?}", bulk.stderr);
    }
}

/// The federated credentials of application `name` as `(name, matcher)`, sorted.
fn app_fics(s: &TenantSnapshot, name: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = s
        .applications
        .iter()
        .find(|a| a.display_name == name)
        .unwrap()
        .federated_identity_credentials
        .iter()
        .map(|f| (f.name.clone(), f.matcher().to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn merge_federated_credentials_plans_applies_and_rolls_back_on_a_snapshot() {
    let env = Env::new();
    let before = app_fics(&env.saved(), "returns-portal-deploy");
    let merge = |extra: &[&str]| {
        let file = env.file();
        let mut args = vec![
            "migrate",
            "merge-federated-credentials",
            "--snapshot",
            s(&file),
            "--identity",
            "returns-portal-deploy",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let plan = merge(&[]).succeeded();
    assert!(
        plan.contains(
            "claims['sub'] matches 'repo:fabrikam/returns-portal:environment:production*'"
        ),
        "{plan}"
    );
    assert!(plan.contains("Dry run: nothing was changed"), "{plan}");
    assert_eq!(app_fics(&env.saved(), "returns-portal-deploy"), before);
    // Without evidence the old credentials wait (exit 4), the flexible one is there.
    let waits = merge(&["--apply", "--yes"]);
    assert_eq!(waits.code, 4, "{}", waits.stderr);
    let id = journal_id(&waits.stderr);
    assert_eq!(
        app_fics(&env.saved(), "returns-portal-deploy").len(),
        before.len() + 1
    );
    let done = env
        .run(&[
            "migrate",
            "resume",
            &id,
            "--yes",
            "--without-usage-evidence",
            "--snapshot",
            s(&env.file()),
        ])
        .succeeded();
    assert!(done.contains("Migration done"), "{done}");
    let after = app_fics(&env.saved(), "returns-portal-deploy");
    assert!(
        after.iter().all(|(_, m)| !m.starts_with("repo:")),
        "only the flexible credential among the GitHub ones: {after:?}"
    );
    let rolled = env
        .run(&[
            "migrate",
            "rollback",
            &id,
            "--yes",
            "--snapshot",
            s(&env.file()),
        ])
        .succeeded();
    assert!(rolled.contains("Migration rolled back"), "{rolled}");
    assert_eq!(app_fics(&env.saved(), "returns-portal-deploy"), before);
    // An identity with nothing to merge is a usage error naming --identity.
    let e = env
        .run(&[
            "migrate",
            "merge-federated-credentials",
            "--demo",
            "--identity",
            "payroll-api",
        ])
        .was_usage_error();
    assert!(e.contains("--identity"), "{e}");
}

#[test]
fn a_run_killed_after_a_change_resumes_from_its_journal_without_doing_it_twice() {
    use common::migration::{Fault, Faulty, ctx, options};
    use credwise::backend::snapshot::SnapshotBackend;
    use credwise::domain::Directory;
    use credwise::domain::migration::github_immutable::{
        ImmutableSubjectForm, KnownIds, RepoIds, repo_key,
    };
    use credwise::store::journal::SourceRecord;
    use std::sync::Arc;

    let ids: KnownIds = credwise_test_kit::tenant::demo::github_repositories()
        .into_iter()
        .map(|(o, oid, r, rid)| {
            (
                repo_key(o, r),
                RepoIds {
                    owner_id: oid.to_string(),
                    repo_id: rid.to_string(),
                },
            )
        })
        .collect();
    // Killed after the new credential was added (0), after the old one was removed (1).
    for k in [0, 1] {
        let env = Env::new();
        let before = env.saved();
        let dir = Directory::new(before.clone());
        let plan = ImmutableSubjectForm {
            identity: "payroll-api".into(),
            remove_old: true,
            ..Default::default()
        }
        .build_plan(&ctx(&dir), &ids)
        .unwrap();
        let want = github_subjects(&plan.preview(&before).unwrap(), "payroll-api");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let backend = Arc::new(SnapshotBackend::from_file(env.file()).unwrap());
        let faulty = Arc::new(Faulty::failing(backend, Fault::KillAfterApply, k));
        let source = SourceRecord {
            kind: credwise::store::journal::SourceKind::Snapshot,
            description: "snapshot tenant.json".into(),
            path: Some(env.file()),
            tenant: None,
            cloud: None,
        };
        let store = env.store();
        let crashed = rt.block_on(async move {
            tokio::spawn(async move {
                migrate_run(faulty.as_ref(), &store, plan, source, &options()).await
            })
            .await
        });
        assert!(crashed.is_err(), "step {k}: the run died");
        let open = env.store().list().unwrap().0;
        assert_eq!(open.len(), 1);
        let out = env
            .run(&[
                "migrate",
                "resume",
                &open[0].id,
                "--yes",
                "--without-usage-evidence",
                "--snapshot",
                s(&env.file()),
            ])
            .succeeded();
        assert!(out.contains("Migration done"), "step {k}: {out}");
        assert_eq!(
            github_subjects(&env.saved(), "payroll-api"),
            want,
            "step {k}: each change once"
        );
    }
}

async fn migrate_run(
    backend: &dyn credwise::backend::Backend,
    store: &JournalStore,
    plan: credwise::domain::migration::Plan,
    source: credwise::store::journal::SourceRecord,
    options: &credwise::jobs::migrate::Options,
) -> Result<credwise::jobs::migrate::Summary, credwise::jobs::migrate::MigrateError> {
    credwise::jobs::migrate::run(backend, store, plan, source, options).await
}

#[test]
fn a_github_token_never_reaches_the_output_or_a_journal_and_json_lists_plans_and_skips() {
    let env = Env::new();
    let github = GitHub::demo();
    let url = github.url();
    let token = "ghp_credwiseTestToken0123456789";
    let file = env.file();
    let mut cmd = credwise();
    cmd.env("CREDWISE_DATA_DIR", env.dir.path().join("data"))
        .env("GITHUB_TOKEN", token);
    let json = Run::of(
        &mut cmd,
        &[
            "migrate",
            "github-immutable-subject",
            "--snapshot",
            s(&file),
            "--all",
            "--github-api-url",
            &url,
            "--output",
            "json",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let plans = v["plans"].as_array().unwrap();
    assert!(plans.len() >= 4, "{v:#}");
    assert!(
        plans
            .iter()
            .all(|p| p["kind"] == "github-immutable-subject"),
        "{v:#}"
    );
    assert!(v["skipped"].as_array().unwrap().is_empty(), "{v:#}");
    let mut cmd = credwise();
    cmd.env("CREDWISE_DATA_DIR", env.dir.path().join("data"))
        .env("GITHUB_TOKEN", token);
    let applied = Run::of(
        &mut cmd,
        &[
            "migrate",
            "github-immutable-subject",
            "--snapshot",
            s(&file),
            "--all",
            "--github-api-url",
            &url,
            "--apply",
            "--yes",
            "--without-usage-evidence",
            "--log-file",
            s(&env.dir.path().join("credwise.log")),
        ],
    );
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    // Plain http on loopback: the stand-in never saw it either.
    assert!(
        github
            .stand_in
            .requests()
            .iter()
            .all(|r| r.headers.iter().all(|(_, v)| !v.contains(token)))
    );
    let mut texts = vec![json.stdout, json.stderr, applied.stdout, applied.stderr];
    fn walk(p: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned());
            }
        }
    }
    walk(env.dir.path(), &mut texts);
    assert!(texts.len() > 6, "journals, records and the log were read");
    for t in &texts {
        assert!(!t.contains(token), "the token leaked: {t}");
    }
}

#[test]
fn an_identity_whose_ids_github_does_not_give_is_skipped_and_the_run_exits_2() {
    let env = Env::new();
    let github = GitHub::demo_without(&["payroll"]);
    let url = github.url();
    let run = env.migrate(&[
        "--all",
        "--github-api-url",
        &url,
        "--apply",
        "--yes",
        "--without-usage-evidence",
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("GitHub did not give the ids of fabrikam/payroll"),
        "{}",
        run.stderr
    );
    let table = run.stdout.split_once("IDENTITY").map(|(_, t)| t).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("payroll-api") && l.contains("skipped:")),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.trim_end().ends_with("done")),
        "{table}"
    );
    // The others moved; payroll-api kept its name-based credential.
    let left = all_name_based(&env.saved());
    assert!(
        left.iter().all(|(i, _)| i == "payroll-api") && !left.is_empty(),
        "{left:?}"
    );
}
