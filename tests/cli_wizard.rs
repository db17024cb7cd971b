#![allow(clippy::unwrap_used)]
//! `credwise wizard --answers FILE`, end to end: the real binary reads answers files from
//! `tests/fixtures/wizard/` (TOML and JSON, good and bad) with the clock pinned by
//! `CREDWISE_NOW`, and prints the decision record. These tests pin the wizard's part of the CLI
//! contract of PRODUCT.md — fact names and values, the eight outcome ids, `outcome` and
//! `reasons` citing seed files in the JSON, exit code 2 with the allowed values for bad input —
//! because scripts and docs depend on it.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::cli::{fixture_in, ok, s, usage_error};
use serde_json::Value;

const DATE: &str = "2026-11-22";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One answers file per outcome of the CLI contract, TOML and JSON mixed.
const OUTCOMES: [(&str, &str); 8] = [
    (
        "passwordless-user-sign-in.toml",
        "passwordless-user-sign-in",
    ),
    (
        "system-assigned-managed-identity.toml",
        "system-assigned-managed-identity",
    ),
    (
        "user-assigned-managed-identity.json",
        "user-assigned-managed-identity",
    ),
    (
        "managed-identity-as-federated-credential.json",
        "managed-identity-as-federated-credential",
    ),
    (
        "workload-identity-federation.toml",
        "workload-identity-federation",
    ),
    (
        "key-vault-secret-via-managed-identity.json",
        "key-vault-secret-via-managed-identity",
    ),
    ("certificate.toml", "certificate"),
    (
        "client-secret-dev-test-only.json",
        "client-secret-dev-test-only",
    ),
];

const FACTS: &str =
    "user_present, hosting, target, identity_scope, token_issuer, environment, secrets_store";

fn fixture(name: &str) -> PathBuf {
    fixture_in("wizard", name)
}

fn record_json(file: &str) -> Value {
    let f = fixture(file);
    let text = ok(&["wizard", "--answers", s(&f), "--output", "json"]);
    assert!(text.ends_with("}\n"), "no trailing newline: {text}");
    serde_json::from_str(&text).unwrap()
}

fn record_markdown(file: &str) -> String {
    let f = fixture(file);
    ok(&["wizard", "--answers", s(&f), "--output", "markdown"])
}

/// The facts an answers file gives, with their values as strings.
fn facts_in(file: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    let value: Value = if file.ends_with(".json") {
        serde_json::from_str(&text).unwrap()
    } else {
        serde_json::to_value(toml::from_str::<toml::Table>(&text).unwrap()).unwrap()
    };
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                other => panic!("{file}: {k} = {other}"),
            };
            (k.clone(), v)
        })
        .collect()
}

fn reason_seeds(record: &Value) -> Vec<String> {
    record["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// good answers

#[test]
fn every_outcome_has_an_answers_file_and_the_contract_ids() {
    let ids: BTreeSet<&str> = OUTCOMES.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids.len(), 8);
    for (file, _) in OUTCOMES {
        assert!(fixture(file).is_file(), "{file}");
    }
}

#[test]
fn each_answers_file_decides_its_outcome_as_json() {
    for (file, outcome) in OUTCOMES {
        let record = record_json(file);
        assert_eq!(record["outcome"], outcome, "{file}: {record:#}");
        assert!(!record["title"].as_str().unwrap().is_empty(), "{file}");
        let seeds = reason_seeds(&record);
        assert!(!seeds.is_empty(), "{file}: no reasons");
        for r in record["reasons"].as_array().unwrap() {
            let seed = r["seed"].as_str().unwrap();
            assert!(seed.ends_with(".txt"), "{file}: reason cites {seed:?}");
            assert!(!r["text"].as_str().unwrap().is_empty(), "{file}: {r}");
            assert!(!r["section"].as_str().unwrap().is_empty(), "{file}: {r}");
        }
        assert_eq!(record["date"], DATE, "{file}");
        assert_eq!(record["credwiseVersion"], VERSION, "{file}");
        assert!(record.get("subject").is_none(), "{file}: no identity");

        // The answers are the facts asked, from the file, in order and none pre-filled.
        let given = facts_in(file);
        let answers = record["answers"].as_array().unwrap();
        assert!(!answers.is_empty(), "{file}");
        assert_eq!(answers[0]["fact"], "user_present", "{file}");
        for a in answers {
            let fact = a["fact"].as_str().unwrap();
            let value = a["value"].as_str().unwrap();
            assert!(
                given.iter().any(|(f, v)| f == fact && v == value),
                "{file}: {fact}={value} was not in the file"
            );
            assert_eq!(a["prefilled"], false, "{file}");
            assert!(!a["question"].as_str().unwrap().is_empty(), "{file}");
            assert!(!a["answer"].as_str().unwrap().is_empty(), "{file}");
        }
    }
}

#[test]
fn facts_the_path_does_not_need_are_not_in_the_record() {
    let asked = |file: &str| -> Vec<String> {
        record_json(file)["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["fact"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(asked("passwordless-user-sign-in.toml"), ["user_present"]);
    // `target` is in the file, but a workload outside Azure with a token issuer never needs it.
    assert!(!asked("workload-identity-federation.toml").contains(&"target".to_string()));
    let fic = asked("managed-identity-as-federated-credential.json");
    assert!(fic.contains(&"target".to_string()), "{fic:?}");
    assert!(!fic.contains(&"environment".to_string()), "{fic:?}");
    assert!(!fic.contains(&"secrets_store".to_string()), "{fic:?}");
}

#[test]
fn each_answers_file_prints_a_markdown_record() {
    for (file, _) in OUTCOMES {
        let record = record_json(file);
        let md = record_markdown(file);
        let title = record["title"].as_str().unwrap();
        assert!(
            md.starts_with(&format!("# Credential decision: {title}\n")),
            "{file}: {md}"
        );
        assert!(md.contains("\n## Why\n"), "{file}: {md}");
        assert!(md.contains("\n## Answers\n"), "{file}: {md}");
        for seed in reason_seeds(&record) {
            assert!(md.contains(&seed), "{file}: {seed} missing from {md}");
        }
        assert!(md.contains(DATE), "{file}: {md}");
        assert!(md.contains(&format!("credwise {VERSION}")), "{file}: {md}");
        assert!(md.ends_with('\n'), "{file}");
    }
}

#[test]
fn markdown_is_the_default_output() {
    let f = fixture("certificate.toml");
    assert_eq!(
        ok(&["wizard", "--answers", s(&f)]),
        record_markdown("certificate.toml")
    );
    assert_eq!(
        ok(&["wizard", "--answers", s(&f), "-o", "json"]),
        ok(&["wizard", "--answers", s(&f), "--output", "json"])
    );
}

#[test]
fn a_minimal_file_with_only_the_needed_facts_is_enough() {
    let record = record_json("minimal.toml");
    assert_eq!(
        record["outcome"],
        "managed-identity-as-federated-credential"
    );
    let asked: Vec<&str> = record["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["fact"].as_str().unwrap())
        .collect();
    assert_eq!(asked, ["user_present", "hosting", "target"]);
}

#[test]
fn files_without_a_known_extension_are_read_as_json_or_toml() {
    let json = record_json("json-without-extension.answers");
    let toml = record_json("toml-without-extension.answers");
    assert_eq!(json["outcome"], "workload-identity-federation");
    assert_eq!(json, toml);
}

#[test]
fn booleans_may_be_strings_and_the_record_does_not_depend_on_the_syntax() {
    // `user-assigned-managed-identity.json` says "false"; the same facts in TOML say false.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("same.toml");
    std::fs::write(
        &path,
        "user_present = false\nhosting = \"azure\"\ntarget = \"entra-same-tenant\"\n\
         identity_scope = \"shared\"\n",
    )
    .unwrap();
    let from_toml = ok(&["wizard", "--answers", s(&path), "--output", "json"]);
    let from_json = ok(&[
        "wizard",
        "--answers",
        s(&fixture("user-assigned-managed-identity.json")),
        "--output",
        "json",
    ]);
    assert_eq!(from_toml, from_json);
}

#[test]
fn the_record_is_the_same_every_run() {
    let f = fixture("workload-identity-federation.toml");
    assert_eq!(
        ok(&["wizard", "--answers", s(&f)]),
        ok(&["wizard", "--answers", s(&f)])
    );
}

#[test]
fn read_only_is_harmless() {
    let f = fixture("minimal.toml");
    let out = ok(&["--read-only", "wizard", "--answers", s(&f), "-o", "json"]);
    assert!(out.contains("managed-identity-as-federated-credential"));
}

#[test]
fn the_system_assigned_record_as_markdown() {
    insta::assert_snapshot!(
        "system_assigned_markdown",
        record_markdown("system-assigned-managed-identity.toml")
    );
}

#[test]
fn help_documents_the_flags() {
    let help = ok(&["wizard", "--help"]);
    for want in ["--answers", "--output", "markdown", "json"] {
        assert!(help.contains(want), "{want} missing from {help}");
    }
    let top = ok(&["--help"]);
    assert!(
        top.contains("wizard") && top.contains("offline: no tenant, no network"),
        "{top}"
    );
}

// ---------------------------------------------------------------------------------------
// bad answers and bad usage

fn bad(file: &str) -> String {
    let f = fixture(file);
    let err = usage_error(&["wizard", "--answers", s(&f)]);
    assert!(
        err.contains(file),
        "{file}: the message should name the file: {err}"
    );
    err
}

#[test]
fn a_missing_needed_fact_is_named_with_its_allowed_values() {
    let err = bad("bad-missing-hosting.toml");
    assert!(err.contains("hosting"), "{err}");
    assert!(
        err.contains("azure, azure-without-managed-identity, outside-azure"),
        "{err}"
    );
}

#[test]
fn an_empty_file_misses_the_first_fact() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("empty.toml", ""), ("empty.json", "{}")] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let err = usage_error(&["wizard", "--answers", s(&path)]);
        assert!(err.contains("user_present"), "{err}");
        assert!(err.contains("true, false"), "{err}");
    }
}

#[test]
fn an_unknown_value_lists_the_allowed_values() {
    let err = bad("bad-unknown-value.json");
    assert!(err.contains("hosting"), "{err}");
    assert!(err.contains("on-premises"), "{err}");
    assert!(
        err.contains("azure, azure-without-managed-identity, outside-azure"),
        "{err}"
    );
}

#[test]
fn values_are_matched_exactly() {
    let err = bad("bad-capitalised.toml");
    assert!(err.contains("user_present"), "{err}");
    assert!(err.contains("False"), "{err}");
    assert!(err.contains("true, false"), "{err}");
}

#[test]
fn an_unknown_fact_lists_the_known_facts() {
    let err = bad("bad-unknown-fact.toml");
    assert!(err.contains("language"), "{err}");
    assert!(err.contains(FACTS), "{err}");
}

#[test]
fn malformed_json_is_named_with_line_and_column() {
    let err = bad("bad-malformed.json");
    assert!(err.contains("bad-malformed.json:4:3"), "{err}");
    assert!(err.contains("JSON"), "{err}");
}

#[test]
fn malformed_toml_is_named_with_line_and_column() {
    let err = bad("bad-malformed.toml");
    assert!(err.contains("bad-malformed.toml:2:"), "{err}");
    assert!(err.contains("TOML"), "{err}");
}

#[test]
fn a_value_that_is_neither_a_string_nor_a_boolean_names_the_fact() {
    for (file, kind) in [
        ("bad-number.toml", "a number"),
        ("bad-array.json", "an array"),
    ] {
        let err = bad(file);
        assert!(err.contains("hosting"), "{file}: {err}");
        assert!(err.contains(kind), "{file}: {err}");
        assert!(
            err.contains("azure, azure-without-managed-identity, outside-azure"),
            "{file}: {err}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_table_of_facts_is_refused() {
    let err = bad("bad-not-a-table.json");
    assert!(err.contains("table of facts"), "{err}");
}

#[test]
fn a_missing_answers_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.toml");
    let err = usage_error(&["wizard", "--answers", s(&path)]);
    assert!(err.contains("nowhere.toml"), "{err}");
}

#[test]
fn the_wizard_takes_no_source() {
    let f = fixture("minimal.toml");
    for args in [
        vec!["--demo", "wizard", "--answers", s(&f)],
        vec!["wizard", "--demo", "--answers", s(&f)],
        vec!["wizard", "--snapshot", "tenant.json", "--answers", s(&f)],
        vec!["--demo", "wizard"],
    ] {
        let err = usage_error(&args);
        assert!(err.contains("takes no SOURCE"), "{args:?}: {err}");
    }
}

#[test]
fn only_markdown_and_json_are_record_formats() {
    let f = fixture("minimal.toml");
    for format in ["csv", "table"] {
        let err = usage_error(&["wizard", "--answers", s(&f), "--output", format]);
        assert!(err.contains(format), "{err}");
        assert!(err.contains("markdown"), "{err}");
    }
}
