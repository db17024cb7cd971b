//! Shared helpers for running the real `credwise` binary end to end: the clock pinned by
//! `CREDWISE_NOW`, what a run printed and how it ended, the exit-code expectations of the CLI
//! contract (0 success, 2 bad usage or input), fixture paths and small snapshot files.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The fixed "now" of every CLI test ([`super::NOW`] as RFC 3339), given as `CREDWISE_NOW`.
pub const NOW: &str = "2026-11-22T12:00:00Z";

/// The identity kinds of the CLI contract, as `--kind` and the JSON `kind` spell them.
pub const KINDS: [&str; 4] = [
    "application",
    "service-principal",
    "user-assigned-managed-identity",
    "system-assigned-managed-identity",
];

/// The `credwise` binary with the clock pinned to [`NOW`], and its cache and journals in this
/// test process's own temporary directory, never the developer's (a test may point them
/// elsewhere).
pub fn credwise() -> Command {
    let mut cmd = Command::cargo_bin("credwise").unwrap();
    let scratch = std::env::temp_dir().join(format!("credwise-tests-{}", std::process::id()));
    cmd.env("CREDWISE_NOW", NOW)
        .env("CREDWISE_CACHE_DIR", scratch.join("cache"))
        .env("CREDWISE_DATA_DIR", scratch.join("data"))
        // A tenant id from the developer's environment must not leak into imports.
        .env_remove("AZURE_TENANT_ID");
    cmd
}

/// What a run printed and how it ended.
pub struct Run {
    /// The arguments it was given, for failure messages.
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `cmd` with `args` to its end.
    pub fn of(cmd: &mut Command, args: &[&str]) -> Run {
        let out = cmd.args(args).output().unwrap();
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Asserts that the run exited 0 and returns its stdout.
    pub fn succeeded(self) -> String {
        assert_eq!(
            self.code, 0,
            "credwise {:?} failed: {}",
            self.args, self.stderr
        );
        self.stdout
    }

    /// Asserts that the run failed with exit code 2 and printed nothing on stdout; returns
    /// its stderr.
    pub fn was_usage_error(self) -> String {
        assert_eq!(
            self.code, 2,
            "credwise {:?}: stdout {:?} stderr {:?}",
            self.args, self.stdout, self.stderr
        );
        assert!(
            self.stdout.is_empty(),
            "credwise {:?} printed {:?}",
            self.args,
            self.stdout
        );
        self.stderr
    }
}

/// Runs [`credwise`] with `args`.
pub fn run(args: &[&str]) -> Run {
    Run::of(&mut credwise(), args)
}

/// Runs a command that must succeed and returns its stdout.
pub fn ok(args: &[&str]) -> String {
    run(args).succeeded()
}

/// Runs a command that must fail with exit code 2 and print nothing on stdout; returns stderr.
pub fn usage_error(args: &[&str]) -> String {
    run(args).was_usage_error()
}

/// The fixture file `name` in `tests/fixtures/<group>/`.
pub fn fixture_in(group: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(group)
        .join(name)
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A snapshot file with the given applications (JSON objects) and nothing else.
pub fn snapshot_with_apps(dir: &Path, apps: Value) -> PathBuf {
    let body = serde_json::json!({
        "format": "credwise-snapshot",
        "version": 1,
        "tenantId": "11111111-2222-3333-4444-555555555555",
        "capturedAt": "2026-11-01T00:00:00Z",
        "applications": apps,
    });
    let path = dir.join("tenant.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&body).unwrap()).unwrap();
    path
}
