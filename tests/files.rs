//! The files credwise writes, through the real binary: snapshot files keep their mode across a
//! migration and are 0600 when new; journals, records and locks are 0600 in 0700 folders
//! (an older credwise's 0755 journal folder is tightened); temporary files are created under
//! an unpredictable name (a planted symlink cannot redirect a save) and an interrupted
//! write's leftovers are cleaned on the next start; a snapshot with a UTF-8 byte order mark
//! loads.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::cli::{Run, credwise, s};
use common::migration::demo_snapshot;
use credwise::store::snapshot_file;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A temporary home for one test: the demo tenant as `tenant.json`, a data and a cache
/// directory.
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

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn journals(&self) -> PathBuf {
        self.data().join("journals")
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = credwise();
        cmd.env("CREDWISE_DATA_DIR", self.data())
            .env("CREDWISE_CACHE_DIR", self.cache());
        Run::of(&mut cmd, args)
    }

    /// secret-to-fic on payroll-api, every secret removed, applied to the snapshot file.
    fn migrate(&self) -> String {
        self.run(&[
            "migrate",
            "secret-to-fic",
            "--snapshot",
            s(&self.file()),
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
        ])
        .succeeded()
    }
}

#[test]
fn a_migration_keeps_a_0600_snapshot_0600() {
    let env = Env::new();
    chmod(&env.file(), 0o600);
    env.migrate();
    assert_eq!(mode(&env.file()), 0o600);
    // Another mode the user chose is kept too.
    chmod(&env.file(), 0o640);
    env.run(&[
        "migrate",
        "secret-to-certificate",
        "--snapshot",
        s(&env.file()),
        "--identity",
        "invoice-worker",
        "--key-out",
        s(env.dir.path()),
        "--apply",
        "--yes",
    ])
    .succeeded();
    assert_eq!(mode(&env.file()), 0o640);
}

#[test]
fn a_new_snapshot_file_is_private() {
    let env = Env::new();
    let out = env.dir.path().join("saved.json");
    env.run(&["snapshot", "save", "--demo", "--out", s(&out)])
        .succeeded();
    assert_eq!(mode(&out), 0o600);
    let imported = env.dir.path().join("imported.json");
    let apps = common::cli::fixture_in("az", "apps.json");
    env.run(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&apps),
        "--out",
        s(&imported),
    ])
    .succeeded();
    assert_eq!(mode(&imported), 0o600);
}

#[test]
fn journals_records_and_locks_are_private_in_private_folders() {
    let env = Env::new();
    // An older credwise made the folder 0755.
    std::fs::create_dir_all(env.journals()).unwrap();
    chmod(&env.journals(), 0o755);
    env.migrate();
    assert_eq!(mode(&env.journals()), 0o700, "journals/");
    let locks = env.journals().join("locks");
    assert_eq!(mode(&locks), 0o700, "journals/locks/");
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(env.journals()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            kinds.push(p.extension().unwrap().to_string_lossy().into_owned());
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["jsonl", "md"]);
    // A lock file, while one is held, is 0600 too.
    let store = credwise::store::journal::JournalStore::at(env.journals());
    let guard = store.lock("some-identity", "some-journal").unwrap();
    let lock = std::fs::read_dir(&locks).unwrap().next().unwrap().unwrap();
    assert_eq!(mode(&lock.path()), 0o600);
    drop(guard);
}

/// Sets `p`'s modification time an hour back.
fn age(p: &Path) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

#[test]
fn temp_files_of_an_interrupted_write_are_cleaned_on_the_next_start() {
    let env = Env::new();
    std::fs::create_dir_all(env.journals()).unwrap();
    std::fs::create_dir_all(env.cache()).unwrap();
    // Left behind by writes that were killed: the naming of this credwise and of the one
    // before it, in the snapshot's folder, the journals and the cache.
    let snapshot_dir = env.dir.path();
    let stale = [
        snapshot_dir.join(".tenant.json.0123456789abcdef0123456789abcdef.credwise-tmp"),
        snapshot_dir.join(".tenant.json.4242.tmp"),
        env.journals()
            .join(".20261122-120000-secret-to-fic-1a2b3c4d.md.4242.tmp"),
        env.cache().join(".tenant~public~x~y.json.4242.tmp"),
        env.cache()
            .join(".tenant~public~x~y.json.fedcba9876543210fedcba9876543210.credwise-tmp"),
    ];
    for p in &stale {
        std::fs::write(p, b"half a file").unwrap();
        age(p);
    }
    // A write in progress right now, and files that only look alike, stay.
    let fresh = snapshot_dir.join(".tenant.json.00000000000000000000000000000000.credwise-tmp");
    std::fs::write(&fresh, b"being written").unwrap();
    let unrelated = snapshot_dir.join(".notes.txt.12.tmp");
    std::fs::write(&unrelated, b"mine").unwrap();
    age(&unrelated);

    // Any start sweeps the cache and the journals; a write sweeps the snapshot's folder.
    env.run(&["migrate", "status"]).succeeded();
    for p in &stale[2..] {
        assert!(!p.exists(), "{} is still there", p.display());
    }
    env.migrate();
    for p in &stale {
        assert!(!p.exists(), "{} is still there", p.display());
    }
    assert!(fresh.exists() && unrelated.exists());
}

#[test]
fn a_planted_symlink_at_the_temporary_name_cannot_redirect_a_save() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.json");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    // The name a save by this process used to write through (`.<name>.<pid>.tmp`).
    let predictable = dir
        .path()
        .join(format!(".t.json.{}.tmp", std::process::id()));
    std::os::unix::fs::symlink(&victim, &predictable).unwrap();
    snapshot_file::save(&demo_snapshot(), &target).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(
        std::fs::symlink_metadata(&target).unwrap().is_file(),
        "the snapshot is a file, not a link"
    );
    assert_eq!(snapshot_file::load(&target).unwrap(), demo_snapshot());
    // The save left nothing of its own behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".credwise-tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_snapshot_with_a_utf8_bom_loads() {
    let env = Env::new();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(env.file()).unwrap());
    let bom = env.dir.path().join("bom.json");
    std::fs::write(&bom, &bytes).unwrap();
    let out = env
        .run(&["list", "--snapshot", s(&bom), "--kind", "application"])
        .succeeded();
    assert!(out.contains("payroll-api"), "{out}");
    // A migration reads it, and writes it back without the mark.
    let r = env.run(&[
        "migrate",
        "secret-to-fic",
        "--snapshot",
        s(&bom),
        "--identity",
        "payroll-api",
        "--github-repo",
        "fabrikam/payroll-api",
        "--branch",
        "main",
        "--apply",
        "--yes",
    ]);
    r.succeeded();
    assert!(std::fs::read(&bom).unwrap().starts_with(b"{"));
    // The in-memory parser takes it as well.
    assert_eq!(
        snapshot_file::parse(&bytes, &bom).unwrap(),
        snapshot_file::load(&env.file()).unwrap()
    );
}
