//! A tenant's display name carrying terminal escapes — OSC 52 (which writes the reader's
//! clipboard), CSI, a right-to-left override, DEL and the C1 CSI — through every writer of
//! text: the CLI's tables, CSV, Markdown and JSON, the migration journal, its record and
//! `migrate status --record`, the wizard's exported decision record, and the explorer's typed
//! confirmation. Nothing a terminal would act on may come out; JSON keeps the name exactly,
//! escaped.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::NOW;
use common::cli::{Run, credwise, s};
use credwise::app::migration::Stage;
use credwise::app::wizard::{Screen, decision_table, screen};
use credwise::app::{App, Command, Effect, Msg, update};
use credwise::domain::audit::overview::overview;
use credwise::domain::audit::{AuditOptions, audit};
use credwise::domain::{Directory, IdentityKind, TenantSnapshot};
use credwise::store::snapshot_file;
use tui_input::InputRequest;

/// payroll-api's new name: OSC 52 clipboard write, a clear-screen CSI, U+202E, DEL, C1 CSI.
const HOSTILE: &str = "pay\x1b]52;c;ZXZpbA==\x07roll\x1b[2J\u{202E}gpj.exe\u{7f}\u{9b}31m-api";
/// What a screen shows of it.
const SHOWN: &str = "pay]52;c;ZXZpbA==roll[2Jgpj.exe31m-api";

/// The demo tenant with payroll-api (the application and its service principal) renamed.
fn hostile_tenant() -> TenantSnapshot {
    let mut snap = credwise::backend::demo::snapshot(NOW);
    let app = snap
        .applications
        .iter_mut()
        .find(|a| a.display_name == "payroll-api")
        .unwrap();
    app.display_name = HOSTILE.into();
    let app_id = app.app_id.clone();
    for sp in &mut snap.service_principals {
        if sp.app_id == app_id {
            sp.display_name = HOSTILE.into();
        }
    }
    snap
}

fn app_id(snap: &TenantSnapshot) -> String {
    snap.applications
        .iter()
        .find(|a| a.display_name == HOSTILE)
        .unwrap()
        .app_id
        .clone()
}

/// Fails when `text` holds a character a terminal acts on: a control character other than a
/// line feed or a tab, or a bidi control.
fn assert_inert(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what} holds {bad:?}:\n{}",
        text.escape_debug()
    );
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        snapshot_file::save(&hostile_tenant(), &dir.path().join("tenant.json")).unwrap();
        Self { dir }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("tenant.json")
    }

    fn journals(&self) -> PathBuf {
        self.dir.path().join("data/journals")
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = credwise();
        cmd.env("CREDWISE_DATA_DIR", self.dir.path().join("data"));
        Run::of(&mut cmd, args)
    }

    /// Runs `args` on the snapshot, expects success, checks stdout and stderr are inert and
    /// returns stdout.
    fn inert(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_inert(&format!("stderr of {args:?}"), &r.stderr);
        let out = r.succeeded();
        assert_inert(&format!("stdout of {args:?}"), &out);
        out
    }
}

/// Every element of a JSON document, to find the name in it.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The JSON output parses, and holds the name exactly as the tenant has it.
fn assert_keeps_the_name(what: &str, json: &str) {
    let v: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{what}: {e}\n{json}"));
    let mut all = Vec::new();
    strings(&v, &mut all);
    assert!(
        all.iter().any(|s| s.contains(HOSTILE)),
        "{what} lost the name: {}",
        json.escape_debug()
    );
}

#[test]
fn hostile_names_reach_no_list_show_or_audit_output_raw() {
    let env = Env::new();
    let file = env.file();
    let f = s(&file);
    let id = app_id(&hostile_tenant());

    let table = env.inert(&["list", "--snapshot", f]);
    assert!(table.contains("pay]52;c;ZXZpbA==roll"), "{table}");
    env.inert(&["list", "--snapshot", f, "--output", "csv"]);
    let json = env.inert(&["list", "--snapshot", f, "--output", "json"]);
    assert_keeps_the_name("list --output json", &json);

    let block = env.inert(&["show", "--snapshot", f, &id]);
    assert!(block.starts_with(SHOWN), "{block}");
    let json = env.inert(&["show", "--snapshot", f, &id, "--output", "json"]);
    assert_keeps_the_name("show --output json", &json);

    for format in ["table", "csv", "markdown"] {
        let out = env.inert(&["audit", "--snapshot", f, "--output", format]);
        assert!(out.contains("roll"), "{format}: {out}");
    }
    let json = env.inert(&["audit", "--snapshot", f, "--output", "json"]);
    assert_keeps_the_name("audit --output json", &json);
}

/// Every file in `dir`, with its text.
fn files_in(dir: &Path) -> Vec<(PathBuf, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_migration_of_a_hostile_name_writes_an_inert_journal_record_and_status() {
    let env = Env::new();
    let file = env.file();
    let id = app_id(&hostile_tenant());
    let migrate = |extra: &[&str]| {
        let mut args = vec![
            "migrate",
            "secret-to-fic",
            "--snapshot",
            s(&file),
            "--identity",
            &id,
            "--github-repo",
            "fabrikam/payroll-api",
            "--branch",
            "main",
            "--remove-secrets",
            "all",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };

    // The plan, as text and as JSON.
    env.inert(&refs(&migrate(&[])));
    let plan = env.inert(&refs(&migrate(&["--output", "json"])));
    assert_keeps_the_name("the plan as JSON", &plan);
    // The run.
    let done = env.inert(&refs(&migrate(&[
        "--apply",
        "--yes",
        "--without-usage-evidence",
    ])));
    assert!(done.contains("Migration done"), "{done}");

    let journal_id = env
        .inert(&["migrate", "status", "--output", "json"])
        .split("\"journalId\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let all = env.inert(&["migrate", "status"]);
    assert!(all.contains(&journal_id), "{all}");
    let one = env.inert(&["migrate", "status", &journal_id]);
    assert!(one.contains(SHOWN), "{one}");
    let json = env.inert(&["migrate", "status", &journal_id, "--output", "json"]);
    assert_keeps_the_name("migrate status --output json", &json);
    let record = env.inert(&["migrate", "status", &journal_id, "--record"]);
    assert!(record.contains(SHOWN), "{record}");

    // On disk: the journal (JSON lines, escaped, lossless) and the Markdown record.
    let on_disk = files_in(&env.journals());
    assert_eq!(on_disk.len(), 2, "{on_disk:?}");
    for (path, text) in &on_disk {
        assert_inert(&path.display().to_string(), text);
    }
    let journal = &on_disk
        .iter()
        .find(|(p, _)| p.extension().is_some_and(|e| e == "jsonl"))
        .unwrap()
        .1;
    assert_keeps_the_name("the journal's first line", journal.lines().next().unwrap());
    // The snapshot file the migration rewrote, too.
    let saved = std::fs::read_to_string(&file).unwrap();
    assert_inert("the snapshot file", &saved);
    assert_keeps_the_name("the snapshot file", &saved);
}

/// The explorer on the hostile tenant, on the identity list.
fn hostile_app() -> App {
    let mut app = App::new("test", false, NOW);
    let dir = Directory::new(hostile_tenant());
    let report = audit(&dir, &AuditOptions::new(NOW), &[]);
    let overview = overview(&dir, &report, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(dir),
            audit: Some(Box::new((report, overview))),
            warnings: vec![],
            cached_at: None,
            refresh: None,
        },
    );
    update(&mut app, Msg::Command(Command::Open));
    let dir = app.dir.clone().unwrap();
    app.selected = app
        .visible
        .iter()
        .position(|&e| {
            let e = dir.entry(e);
            e.kind == IdentityKind::Application && dir.display_name_of(e) == HOSTILE
        })
        .unwrap();
    app
}

#[test]
fn the_wizards_exported_record_of_a_hostile_name_is_inert() {
    let mut app = hostile_app();
    app.decision_table = Some(Arc::new(decision_table().unwrap()));
    update(&mut app, Msg::Command(Command::Wizard));
    assert_eq!(
        app.wizard.as_ref().unwrap().subject.as_deref(),
        Some(HOSTILE)
    );
    let table = app.decision_table.clone().unwrap();
    for _ in 0..10 {
        if matches!(screen(&app, &table), Some(Screen::Summary(_))) {
            break;
        }
        update(&mut app, Msg::Command(Command::Open));
    }
    let effects = update(&mut app, Msg::Command(Command::Export));
    let [Effect::WriteFiles(files)] = &effects[..] else {
        panic!("{effects:?}")
    };
    for (name, text) in files {
        assert_inert(name, text);
    }
    assert!(files[0].1.contains("roll"), "{}", files[0].1);
    assert_keeps_the_name("the exported JSON record", &files[1].1);
}

#[test]
fn the_typed_confirmation_takes_the_name_as_displayed() {
    let mut app = hostile_app();
    let key = |app: &mut App, k: &str| common::press(app, k);
    update(&mut app, Msg::Command(Command::Migrate));
    key(&mut app, "2");
    let fill = |app: &mut App, field: &str, text: &str| {
        for _ in 0..40 {
            if app
                .migration
                .as_ref()
                .unwrap()
                .focused_field()
                .unwrap()
                .name()
                == field
            {
                break;
            }
            common::press(app, "down");
        }
        // What the tenant pre-filled goes: a new credential.
        update(app, Msg::Edit(InputRequest::DeleteLine));
        for c in text.chars() {
            update(app, Msg::Edit(InputRequest::InsertChar(c)));
        }
    };
    fill(&mut app, "github-repo", "fabrikam/payroll-api");
    fill(&mut app, "branch", "main");
    fill(&mut app, "environment", "");
    fill(&mut app, "name", "");
    fill(&mut app, "remove-secrets", "all");
    key(&mut app, "enter");
    key(&mut app, "enter");
    let m = app.migration.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Confirm, "{:?}", m.errors);
    assert!(m.needs_typed_confirmation());
    for c in SHOWN.chars() {
        update(&mut app, Msg::Edit(InputRequest::InsertChar(c)));
    }
    let effects = key(&mut app, "enter");
    let m = app.migration.as_ref().unwrap();
    assert!(
        matches!(effects[..], [Effect::RunMigration(_)]),
        "typing the name as shown did not confirm: {:?}",
        m.confirm_error
    );
    assert_eq!(m.stage, Stage::Running);
}
