#![allow(clippy::unwrap_used)]
//! `credwise audit` end to end: the real binary run on the demo tenant and on small snapshot
//! files, with the clock pinned by `CREDWISE_NOW` and the config directory pointed at an empty
//! temporary directory, so a developer's own `ignore.toml` never changes a result. These tests
//! pin the CLI contract of PRODUCT.md for the audit — the JSON fields, the CSV columns and the
//! gate's exit codes (0 clean or no gate, 1 the gate tripped, 2 bad usage or input) — because
//! CI pipelines depend on them. The expectations are derived from the JSON output where they
//! depend on the rules, so the tests stay true as the rules and the demo tenant grow.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::cli::{KINDS, Run, credwise, fixture_in, s, snapshot_with_apps};
use serde_json::Value;

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// Runs credwise with `config` as its config directory.
fn run_in(config: &Path, args: &[&str]) -> Run {
    Run::of(credwise().env("CREDWISE_CONFIG_DIR", config), args)
}

/// Runs credwise with an empty config directory of its own.
fn run(args: &[&str]) -> Run {
    let config = tempfile::tempdir().unwrap();
    run_in(config.path(), args)
}

/// Runs a command that must exit 0 and returns its stdout.
fn ok(args: &[&str]) -> String {
    run(args).succeeded()
}

/// Runs a command that must fail with exit code 2 and print nothing on stdout; returns stderr.
fn usage_error(args: &[&str]) -> String {
    run(args).was_usage_error()
}

fn parse_findings(text: &str) -> Vec<Value> {
    assert!(text.ends_with("]\n"), "no trailing newline: {text:?}");
    serde_json::from_str::<Value>(text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The findings of `audit ARGS --output json`.
fn findings(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    parse_findings(&ok(&all))
}

fn demo_findings() -> Vec<Value> {
    findings(&["--demo"])
}

fn count_rule(findings: &[Value], rule: &str) -> usize {
    findings.iter().filter(|f| f["rule"] == rule).count()
}

fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    fixture_in("audit", name)
}

/// A suppression entry hiding exactly `f` (by rule, object id and credential).
fn suppression_for(f: &Value, expires: &str) -> String {
    let mut entry = format!(
        "[[ignore]]\nrule = {}\nidentity = {}\n",
        f["rule"], f["identityId"]
    );
    if let Some(c) = f["credentialId"].as_str() {
        entry.push_str(&format!("credential = {c:?}\n"));
    }
    entry.push_str(&format!(
        "reason = \"accepted in a test\"\nexpires = {expires}\n"
    ));
    entry
}

/// A demo finding that a suppression by rule, identity and credential hides alone.
fn unique_demo_finding(findings: &[Value]) -> &Value {
    let key = |f: &Value| {
        (
            f["rule"].to_string(),
            f["identityId"].to_string(),
            f["credentialId"].to_string(),
        )
    };
    let mut counts: BTreeMap<_, usize> = BTreeMap::new();
    for f in findings {
        *counts.entry(key(f)).or_default() += 1;
    }
    findings
        .iter()
        .find(|f| f["credentialId"].is_string() && counts[&key(f)] == 1)
        .expect("the demo has a finding about one credential")
}

// ---------------------------------------------------------------------------------------
// JSON

#[test]
fn json_findings_have_the_contract_fields() {
    let findings = demo_findings();
    assert!(!findings.is_empty(), "the demo tenant has no findings");
    let identities: Vec<Value> =
        serde_json::from_str::<Value>(&ok(&["list", "--demo", "--output", "json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .clone();
    let by_id: BTreeMap<&str, &Value> = identities
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i))
        .collect();
    for f in &findings {
        for field in ["rule", "title", "message", "remedy", "seed", "section"] {
            assert!(
                f[field].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{field} missing or empty: {f}"
            );
        }
        assert!(
            f["rule"]
                .as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "rule ids are kebab-case: {f}"
        );
        assert!(SEVERITIES.contains(&f["severity"].as_str().unwrap()), "{f}");
        assert!(KINDS.contains(&f["identityKind"].as_str().unwrap()), "{f}");
        let identity = by_id
            .get(f["identityId"].as_str().unwrap())
            .unwrap_or_else(|| panic!("identityId is not an identity of the tenant: {f}"));
        assert_eq!(f["identityKind"], identity["kind"], "{f}");
        assert_eq!(f["identityName"], identity["displayName"], "{f}");
        if let Some(c) = f.get("credentialId") {
            let c = c.as_str().unwrap();
            let creds = identity["credentials"].as_array().unwrap();
            assert!(
                creds.iter().any(|k| k["keyId"] == c || k["name"] == c),
                "credentialId {c} is not a credential of the identity: {f}"
            );
        }
        match f["remedyKind"].as_str().unwrap() {
            "wizard" => {
                assert!(f["wizardOutcome"].is_string(), "{f}");
                assert!(f.get("migration").is_none(), "{f}");
            }
            "migration" => {
                let m = f["migration"].as_str().unwrap();
                assert!(
                    [
                        "secret-to-certificate",
                        "secret-to-fic",
                        "secret-to-managed-identity"
                    ]
                    .contains(&m),
                    "{f}"
                );
                assert!(f.get("wizardOutcome").is_none(), "{f}");
            }
            "action" => {
                assert!(f.get("wizardOutcome").is_none() && f.get("migration").is_none());
            }
            other => panic!("remedyKind {other}: {f}"),
        }
        assert!(
            f.get("secretText").is_none() && f.get("key").is_none(),
            "never a secret value: {f}"
        );
    }
    // Worst first.
    let ranks: Vec<usize> = findings
        .iter()
        .map(|f| rank(f["severity"].as_str().unwrap()))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
}

#[test]
fn demo_json_snapshot() {
    let out = ok(&["audit", "--demo", "--output", "json"]);
    insta::assert_snapshot!("audit_demo_json", out);
}

#[test]
fn json_keeps_stdout_machine_readable() {
    // Whatever notes the audit has (noise left out, suppressions) go to stderr.
    let r = run(&["audit", "--demo", "--output", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    parse_findings(&r.stdout);
    let all = findings(&["--demo", "--all"]);
    if all.len() > demo_findings().len() {
        assert!(r.stderr.contains("not shown:"), "{}", r.stderr);
        assert!(r.stderr.contains("--all shows them"), "{}", r.stderr);
    }
}

#[test]
fn same_tenant_same_bytes() {
    for format in ["table", "json", "csv", "markdown"] {
        assert_eq!(
            ok(&["audit", "--demo", "-o", format]),
            ok(&["audit", "--demo", "-o", format]),
            "{format}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// table

#[test]
fn demo_table_snapshot() {
    let out = ok(&["audit", "--demo"]);
    insta::assert_snapshot!("audit_demo_table", out);
}

#[test]
fn table_has_a_row_per_finding_and_a_summary() {
    let findings = demo_findings();
    let out = ok(&["audit", "--demo"]);
    let lines: Vec<&str> = out.lines().collect();
    let header = lines[0];
    for col in ["SEVERITY", "RULE", "IDENTITY", "CREDENTIAL", "FINDING"] {
        assert!(header.contains(col), "{header}");
    }
    // FINDING fills each row up to 100 columns, but keeps at least 40 for the title.
    let finding_col = header.find("FINDING").unwrap();
    let budget = 100usize.saturating_sub(finding_col).max(40);
    let rows = &lines[1..=findings.len()];
    for (row, f) in rows.iter().zip(&findings) {
        assert!(row.starts_with(f["severity"].as_str().unwrap()), "{row}");
        assert!(row.contains(f["rule"].as_str().unwrap()), "{row}");
        let finding: String = row.chars().skip(finding_col).collect();
        let title = f["title"].as_str().unwrap();
        assert!(
            finding.starts_with(title) || finding.ends_with('…'),
            "FINDING does not start with the title {title:?}: {row}"
        );
        assert!(finding.chars().count() <= budget, "FINDING too wide: {row}");
    }
    let summary = lines[findings.len() + 1];
    assert!(
        summary.starts_with(&format!("{} findings: ", findings.len())),
        "{summary}"
    );
    for sev in SEVERITIES {
        let n = findings.iter().filter(|f| f["severity"] == sev).count();
        if n > 0 {
            assert!(summary.contains(&format!("{n} {sev}")), "{summary}");
        }
    }
}

#[test]
fn table_names_the_noise_it_leaves_out() {
    let out = ok(&["audit", "--demo"]);
    let default = demo_findings().len();
    let all = findings(&["--demo", "--all"]);
    assert!(all.len() >= default, "--all shows fewer findings");
    if all.len() > default {
        let line = out.lines().find(|l| l.starts_with("not shown: ")).unwrap();
        assert!(line.ends_with("; --all shows them"), "{line}");
        assert!(!ok(&["audit", "--demo", "--all"]).contains("not shown: "));
    }
}

#[test]
fn empty_tenant_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_with_apps(dir.path(), serde_json::json!([]));
    assert_eq!(ok(&["audit", "--snapshot", s(&path)]), "no findings\n");
    assert!(findings(&["--snapshot", s(&path)]).is_empty());
}

#[test]
fn table_and_csv_strip_terminal_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_with_apps(
        dir.path(),
        serde_json::json!([{
            "id": "aaaaaaaa-0000-0000-0000-000000000001",
            "appId": "bbbbbbbb-0000-0000-0000-000000000001",
            "displayName": "evil\u{1b}]0;pwned\u{7}\u{1b}[2Japp",
            "passwordCredentials": [{
                "keyId": "cccccccc-0000-0000-0000-000000000001",
                "startDateTime": "2026-01-01T00:00:00Z",
                "endDateTime": "2026-11-01T00:00:00Z"
            }]
        }]),
    );
    let found = findings(&["--snapshot", s(&path)]);
    assert!(!found.is_empty(), "an expired secret is a finding");
    for format in ["table", "csv", "markdown"] {
        let out = ok(&["audit", "--snapshot", s(&path), "-o", format]);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{format}: {out:?}"
        );
        assert!(out.contains("evil]0;pwned[2Japp") || out.contains("evil\\]0;pwned\\[2Japp"));
    }
}

// ---------------------------------------------------------------------------------------
// the gate

#[test]
fn fail_on_trips_at_or_above_the_severity() {
    let findings = demo_findings();
    let worst = findings
        .iter()
        .map(|f| rank(f["severity"].as_str().unwrap()))
        .min();
    for (i, gate) in SEVERITIES.iter().enumerate() {
        let r = run(&["audit", "--demo", "--fail-on", gate]);
        let trips = worst.is_some_and(|w| w <= i);
        assert_eq!(r.code, i32::from(trips), "--fail-on {gate}: {}", r.stderr);
        // The report is printed either way; the gate only adds the exit code and a reason.
        assert!(r.stdout.starts_with("SEVERITY"), "{}", r.stdout);
        if trips {
            let n = findings
                .iter()
                .filter(|f| rank(f["severity"].as_str().unwrap()) <= i)
                .count();
            assert!(
                r.stderr.contains(&format!("{n} finding")) && r.stderr.contains(gate),
                "{}",
                r.stderr
            );
        }
    }
}

#[test]
fn fail_on_critical_on_the_demo() {
    let has_critical = demo_findings().iter().any(|f| f["severity"] == "critical");
    let r = run(&["audit", "--demo", "--fail-on", "critical", "-o", "json"]);
    assert_eq!(r.code, i32::from(has_critical), "{}", r.stderr);
    parse_findings(&r.stdout);
}

#[test]
fn without_fail_on_findings_exit_zero() {
    assert!(!demo_findings().is_empty());
    for format in ["table", "json", "csv", "markdown"] {
        let r = run(&["audit", "--demo", "-o", format]);
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
    }
}

#[test]
fn fail_on_passes_on_a_clean_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let empty = snapshot_with_apps(dir.path(), serde_json::json!([]));
    let r = run(&["audit", "--snapshot", s(&empty), "--fail-on", "info"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let dir = tempfile::tempdir().unwrap();
    let healthy = snapshot_with_apps(
        dir.path(),
        serde_json::json!([{
            "id": "aaaaaaaa-0000-0000-0000-000000000002",
            "appId": "bbbbbbbb-0000-0000-0000-000000000002",
            "displayName": "certificate-only-api",
            "signInAudience": "AzureADMyOrg",
            "keyCredentials": [{
                "keyId": "cccccccc-0000-0000-0000-000000000002",
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
                "startDateTime": "2026-10-01T00:00:00Z",
                "endDateTime": "2027-10-01T00:00:00Z"
            }]
        }]),
    );
    let r = run(&["audit", "--snapshot", s(&healthy), "--fail-on", "high"]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
}

#[test]
fn bad_flags_are_usage_errors() {
    let err = usage_error(&["audit", "--demo", "--fail-on", "severe"]);
    for sev in SEVERITIES {
        assert!(err.contains(sev), "{err}");
    }
    usage_error(&["audit", "--demo", "--output", "xml"]);
    for flag in ["--expiring-within", "--max-secret-lifetime"] {
        usage_error(&["audit", "--demo", &format!("{flag}=-1")]);
        usage_error(&["audit", "--demo", flag, "soon"]);
        usage_error(&["audit", "--demo", flag, "99999999"]);
    }
}

#[test]
fn help_documents_every_flag() {
    let out = ok(&["audit", "--help"]);
    for want in [
        "--output",
        "markdown",
        "--fail-on",
        "critical",
        "--expiring-within",
        "--max-secret-lifetime",
        "--ignore",
        "--all",
        "--demo",
        "--snapshot",
    ] {
        assert!(out.contains(want), "{want} missing from:\n{out}");
    }
}

// ---------------------------------------------------------------------------------------
// thresholds

#[test]
fn expiring_within_widens_the_window() {
    let default = count_rule(&demo_findings(), "credential-expiring");
    let year = count_rule(
        &findings(&["--demo", "--expiring-within", "365"]),
        "credential-expiring",
    );
    assert!(year > default, "365 days: {year}, default: {default}");
    let none = count_rule(
        &findings(&["--demo", "--expiring-within", "0"]),
        "credential-expiring",
    );
    assert!(none <= default, "0 days: {none}, default: {default}");
}

#[test]
fn max_secret_lifetime_moves_the_policy() {
    let default = count_rule(&demo_findings(), "secret-long-lifetime");
    let strict = count_rule(
        &findings(&["--demo", "--max-secret-lifetime", "30"]),
        "secret-long-lifetime",
    );
    let lax = count_rule(
        &findings(&["--demo", "--max-secret-lifetime", "36500"]),
        "secret-long-lifetime",
    );
    assert!(
        strict >= default && default >= lax,
        "{strict} {default} {lax}"
    );
    assert!(strict > lax, "the policy changes nothing: {strict} {lax}");
}

#[test]
fn all_shows_at_least_as_many_findings() {
    let default = demo_findings();
    let all = findings(&["--demo", "--all"]);
    assert!(all.len() >= default.len());
    let keys = |v: &[Value]| -> BTreeSet<String> {
        v.iter()
            .map(|f| format!("{}/{}/{}", f["rule"], f["identityId"], f["credentialId"]))
            .collect()
    };
    assert!(
        keys(&default).is_subset(&keys(&all)),
        "--all lost a finding"
    );
}

// ---------------------------------------------------------------------------------------
// suppressions

#[test]
fn a_suppression_hides_one_finding_and_says_so() {
    let before = demo_findings();
    let target = unique_demo_finding(&before);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ignore.toml");
    std::fs::write(&file, suppression_for(target, "2027-06-30")).unwrap();

    let r = run(&["audit", "--demo", "--ignore", s(&file), "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = parse_findings(&r.stdout);
    assert_eq!(after.len(), before.len() - 1);
    assert!(!after.contains(target), "{target} is still reported");
    assert!(r.stderr.contains("1 suppressed"), "{}", r.stderr);

    let table = ok(&["audit", "--demo", "--ignore", s(&file)]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("1 suppressed by ignore file")),
        "{table}"
    );
    let md = ok(&["audit", "--demo", "--ignore", s(&file), "-o", "markdown"]);
    assert!(md.contains("1 suppressed"), "{md}");
}

#[test]
fn a_suppression_by_name_and_rule_hides_every_match() {
    let before = demo_findings();
    let target = unique_demo_finding(&before);
    let name = target["identityName"].as_str().unwrap();
    let rule = target["rule"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("by-name.toml");
    std::fs::write(
        &file,
        format!(
            "[[ignore]]\nrule = {rule:?}\nidentity = {name:?}\nreason = \"r\"\nexpires = 2027-01-01\n"
        ),
    )
    .unwrap();
    let after = findings(&["--demo", "--ignore", s(&file)]);
    let hidden = before
        .iter()
        .filter(|f| f["rule"] == rule && f["identityName"] == name)
        .count();
    assert!(hidden >= 1);
    assert_eq!(after.len(), before.len() - hidden);
}

#[test]
fn an_expired_suppression_is_reported_and_hides_nothing() {
    let before = demo_findings();
    let target = unique_demo_finding(&before);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ignore.toml");
    std::fs::write(&file, suppression_for(target, "2026-11-21")).unwrap();

    let r = run(&["audit", "--demo", "--ignore", s(&file), "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(parse_findings(&r.stdout), before);
    assert!(r.stderr.contains("expired on 2026-11-21"), "{}", r.stderr);

    let table = ok(&["audit", "--demo", "--ignore", s(&file)]);
    let rule = target["rule"].as_str().unwrap();
    let id = target["identityId"].as_str().unwrap();
    assert!(
        table.contains(&format!("suppression for {rule} on {id}"))
            && table.contains("expired on 2026-11-21"),
        "{table}"
    );
    assert!(!table.contains("suppressed by"), "{table}");

    // The day it expires, it still holds.
    std::fs::write(&file, suppression_for(target, "2026-11-22")).unwrap();
    assert_eq!(
        findings(&["--demo", "--ignore", s(&file)]).len(),
        before.len() - 1
    );
}

#[test]
fn the_fixture_suppressions_behave_as_documented() {
    // An expired blanket suppression: reported, and the audit is unchanged.
    let before = demo_findings();
    let r = run(&[
        "audit",
        "--demo",
        "--ignore",
        s(&fixture("expired.toml")),
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(parse_findings(&r.stdout), before);
    assert!(r.stderr.contains("expired on 2026-06-30"), "{}", r.stderr);

    // The example of the README: a rule on a name, every rule on one credential of an appId.
    let r = run(&[
        "audit",
        "--demo",
        "--ignore",
        s(&fixture("example.toml")),
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = parse_findings(&r.stdout);
    let hidden: Vec<&Value> = before
        .iter()
        .filter(|f| {
            (f["rule"] == "secret-long-lifetime" && f["identityName"] == "legacy-ftp-bridge")
                || f["credentialId"] == "edd94576-2989-43e8-aeff-9e28d1e80ca4"
        })
        .collect();
    assert!(hidden.len() >= 2, "the example hides nothing: {hidden:?}");
    assert_eq!(after.len(), before.len() - hidden.len());
    assert!(hidden.iter().all(|f| !after.contains(f)));
    assert!(
        r.stderr
            .contains(&format!("{} suppressed by ignore file", hidden.len())),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_suppression_files_are_usage_errors_naming_the_file() {
    let cases = [
        ("bad-syntax.toml", "line 4"),
        ("bad-no-reason.toml", "entry 2"),
        ("bad-date.toml", "expires"),
        ("bad-unknown-key.toml", "until"),
    ];
    for (file, want) in cases {
        let path = fixture(file);
        let err = usage_error(&["audit", "--demo", "--ignore", s(&path)]);
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(want), "{file}: {want} missing from {err}");
        assert!(!err.contains('\u{1b}'));
    }
    let err = usage_error(&["audit", "--demo", "--ignore", "no-such-ignore.toml"]);
    assert!(err.contains("no-such-ignore.toml"), "{err}");
}

#[test]
fn ignore_toml_in_the_config_dir_is_used_automatically() {
    let before = demo_findings();
    let target = unique_demo_finding(&before);
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("ignore.toml"),
        suppression_for(target, "2027-06-30"),
    )
    .unwrap();

    let r = run_in(config.path(), &["audit", "--demo", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(parse_findings(&r.stdout).len(), before.len() - 1);
    assert!(r.stderr.contains("1 suppressed"), "{}", r.stderr);

    // --ignore replaces it.
    let other = tempfile::tempdir().unwrap();
    let empty = other.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let r = run_in(
        config.path(),
        &["audit", "--demo", "--ignore", s(&empty), "-o", "json"],
    );
    assert_eq!(parse_findings(&r.stdout).len(), before.len());

    // A broken one in the config dir is an error too, naming it.
    std::fs::write(config.path().join("ignore.toml"), "[[ignore]\n").unwrap();
    let r = run_in(config.path(), &["audit", "--demo"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ignore.toml"), "{}", r.stderr);
}

#[test]
fn suppressions_apply_before_the_gate() {
    let before = demo_findings();
    let worst = before[0]["severity"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.toml");
    // Accept every finding of the worst severity, one entry per finding.
    let text: String = before
        .iter()
        .filter(|f| f["severity"] == worst)
        .map(|f| {
            format!(
                "[[ignore]]\nrule = {}\nidentity = {}\nreason = \"r\"\nexpires = 2027-01-01\n",
                f["rule"], f["identityId"]
            )
        })
        .collect();
    std::fs::write(&file, text).unwrap();
    assert_eq!(run(&["audit", "--demo", "--fail-on", worst]).code, 1);
    let r = run(&["audit", "--demo", "--fail-on", worst, "--ignore", s(&file)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------
// CSV and Markdown

#[test]
fn csv_has_one_row_per_finding() {
    let findings = demo_findings();
    let out = ok(&["audit", "--demo", "--output", "csv"]);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
            "rule",
            "severity",
            "identityId",
            "identityKind",
            "identityName",
            "credentialId",
            "title",
            "message",
            "remedy",
            "seed",
            "section"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(&findings) {
        assert_eq!(&row[0], f["rule"].as_str().unwrap());
        assert_eq!(&row[1], f["severity"].as_str().unwrap());
        assert_eq!(&row[2], f["identityId"].as_str().unwrap());
        assert_eq!(&row[5], f["credentialId"].as_str().unwrap_or(""));
        assert_eq!(&row[8], f["remedy"].as_str().unwrap());
    }
}

#[test]
fn markdown_reads_as_a_report() {
    let findings = demo_findings();
    let out = ok(&["audit", "--demo", "--output", "markdown"]);
    assert!(
        out.starts_with("# credwise audit: Fabrikam Logistics"),
        "{out}"
    );
    assert!(out.contains("2026-11-22"), "{out}");
    assert!(
        out.contains("| severity | findings |\n| --- | ---: |\n"),
        "{out}"
    );
    for sev in SEVERITIES {
        let n = findings.iter().filter(|f| f["severity"] == sev).count();
        assert!(out.contains(&format!("| {sev} | {n} |\n")), "{sev}: {out}");
        let mut heading = sev.to_string();
        heading[..1].make_ascii_uppercase();
        assert_eq!(
            out.contains(&format!("\n## {heading} ({n})\n")),
            n > 0,
            "{sev}: {out}"
        );
    }
    // One table row per finding, each naming its rule.
    let rows = out
        .lines()
        .filter(|l| l.starts_with("| `") && l.ends_with(" |"))
        .count();
    assert_eq!(rows, findings.len());
}

#[test]
fn an_unknown_rule_in_a_suppression_file_is_an_error_naming_the_file_line_and_value() {
    let path = fixture("bad-unknown-rule.toml");
    let err = usage_error(&["audit", "--demo", "--ignore", s(&path)]);
    let want = format!(
        "suppression file {}:3: unknown rule \"secret-long-lifetme\"",
        path.display()
    );
    assert!(err.contains(&want), "{want:?} not in {err}");
    assert!(
        err.contains("secret-long-lifetime"),
        "the known rule ids: {err}"
    );
    // The explorer reads the config directory's ignore.toml the same way, before the screen.
    let config = tempfile::tempdir().unwrap();
    std::fs::copy(&path, config.path().join("ignore.toml")).unwrap();
    let r = run_in(config.path(), &["audit", "--demo"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(":3: unknown rule"), "{}", r.stderr);
}

#[test]
fn an_unknown_identity_in_a_suppression_file_is_a_warning_naming_the_line_and_value() {
    let path = fixture("unknown-identity.toml");
    let table = ok(&["audit", "--demo", "--ignore", s(&path)]);
    let want = format!(
        "warning: {}:10: identity \"paroll-api\" is not in this tenant",
        path.display()
    );
    assert!(table.contains(&want), "{want:?} not in {table}");
    assert!(table.contains("hides nothing"), "{table}");
    // The first entry matches: no warning for it, and it still hides its finding.
    assert!(!table.contains("\"legacy-ftp-bridge\" is not"), "{table}");
    let r = run(&["audit", "--demo", "--ignore", s(&path), "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&want), "{}", r.stderr);
    parse_findings(&r.stdout);
    let md = ok(&["audit", "--demo", "--ignore", s(&path), "-o", "markdown"]);
    assert!(
        md.contains("identity \"paroll-api\" is not in this tenant"),
        "{md}"
    );
}
