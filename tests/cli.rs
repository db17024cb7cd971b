#![allow(clippy::unwrap_used)]
//! The non-interactive CLI, end to end: the real `credwise` binary run on the demo tenant,
//! snapshot files and `az` JSON fixtures, with the clock pinned by `CREDWISE_NOW` so every
//! "in 12d" is the same on every day. These tests pin the CLI contract of PRODUCT.md — command
//! and flag names, JSON field names, CSV columns, exit codes — because scripts depend on it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::cli::{KINDS, NOW, credwise, fixture_in, ok, run, s, snapshot_with_apps, usage_error};
use credwise::store::snapshot_file;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let text = ok(args);
    assert!(
        text.ends_with("}\n") || text.ends_with("]\n"),
        "no trailing newline"
    );
    serde_json::from_str(&text).unwrap()
}

fn demo_identities() -> Vec<Value> {
    json(&["list", "--demo", "--output", "json"])
        .as_array()
        .unwrap()
        .clone()
}

fn fixture(name: &str) -> PathBuf {
    fixture_in("az", name)
}

fn app(id: &str, app_id: &str, name: &str) -> Value {
    serde_json::json!({"id": id, "appId": app_id, "displayName": name})
}

// ---------------------------------------------------------------------------------------
// list

#[test]
fn list_table_on_the_demo_tenant() {
    let out = ok(&["list", "--demo"]);
    assert!(out.starts_with("KIND"), "{out}");
    let n = demo_identities().len();
    assert!(
        out.ends_with(&format!("\n{n} identities\n")),
        "footer: {out}"
    );
    insta::assert_snapshot!("list_demo_table", out);
}

#[test]
fn list_table_cuts_long_names_and_aligns_columns() {
    let out = ok(&["list", "--demo"]);
    let lines: Vec<&str> = out.lines().collect();
    let header = lines[0];
    let id_col = header.find("ID ").unwrap();
    for line in &lines[1..lines.len() - 1] {
        // Every ID starts under its heading, whatever the name's length.
        let id = &line[line.char_indices().nth(id_col).unwrap().0..];
        assert!(id.chars().nth(8) == Some('-'), "misaligned row: {line}");
    }
    assert!(
        out.contains('…'),
        "the demo has a name longer than 40 characters; it should be cut"
    );
}

#[test]
fn list_json_has_the_contract_fields() {
    let ids = demo_identities();
    assert!(
        ids.len() > 50,
        "the demo tenant is nearly empty: {}",
        ids.len()
    );
    let mut kinds = BTreeSet::new();
    let mut types = BTreeSet::new();
    for i in &ids {
        let kind = i["kind"].as_str().unwrap();
        assert!(KINDS.contains(&kind), "{i}");
        kinds.insert(kind);
        assert!(i["id"].as_str().is_some_and(|s| !s.is_empty()), "{i}");
        assert!(i["displayName"].is_string(), "{i}");
        // Every kind has an appId (a managed identity's clientId) in the demo.
        assert!(i["appId"].as_str().is_some_and(|s| !s.is_empty()), "{i}");
        let creds = i["credentials"].as_array().unwrap();
        for c in creds {
            let t = c["type"].as_str().unwrap();
            types.insert(t.to_string());
            match t {
                "secret" | "certificate" => {
                    assert!(c["keyId"].is_string(), "{c}");
                    for field in ["startDateTime", "endDateTime"] {
                        let v = c[field].as_str().unwrap();
                        time::OffsetDateTime::parse(
                            v,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .unwrap();
                    }
                    assert!(
                        ["expired", "critical", "warning", "healthy", "never"]
                            .contains(&c["status"].as_str().unwrap()),
                        "{c}"
                    );
                    assert!(c["expiresIn"].is_string(), "{c}");
                    // Never anything that could be a secret value.
                    assert!(c.get("secretText").is_none() && c.get("key").is_none());
                }
                "federated" => {
                    assert!(c["name"].is_string(), "{c}");
                    assert!(c["issuer"].as_str().unwrap().starts_with("https://"), "{c}");
                    assert!(
                        c["subject"].is_string() || c["claimsMatchingExpression"].is_string(),
                        "{c}"
                    );
                    assert!(c["audiences"].is_array(), "{c}");
                    assert!(c.get("endDateTime").is_none(), "FICs do not expire: {c}");
                }
                other => panic!("unknown credential type {other}"),
            }
        }
        if let Some(n) = i.get("nearestExpiry") {
            assert!(n.is_string(), "{i}");
        }
        assert!(i.get("links").is_none(), "links are for show only");
    }
    assert_eq!(kinds.len(), 4, "every kind appears: {kinds:?}");
    assert_eq!(types.len(), 3, "every credential type appears: {types:?}");
}

#[test]
fn list_json_says_when_each_identity_and_credential_last_signed_in() {
    let mut seen = BTreeSet::new();
    for i in demo_identities() {
        let mut all = vec![i["lastUsed"].clone()];
        all.extend(
            i["credentials"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["lastUsed"].clone()),
        );
        for u in all {
            let evidence = u["evidence"].as_str().unwrap_or_else(|| panic!("{i}"));
            seen.insert(evidence.to_string());
            assert!(
                u["summary"].is_string() && u["description"].is_string(),
                "{u}"
            );
            let time = |field: &str| {
                time::OffsetDateTime::parse(
                    u[field].as_str().unwrap_or_else(|| panic!("{field}: {u}")),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap()
            };
            match evidence {
                "signed-in" => {
                    time("lastSignIn");
                    time("asOf");
                    assert!(u["source"].is_string(), "{u}");
                }
                "failing" => {
                    time("lastFailure");
                }
                "no-sign-in" => {
                    time("noSignInSince");
                    assert_eq!(u["source"], "sign-in-log", "{u}");
                    // The log is read for service principal sign-ins, which leave managed
                    // identities out: its silence says nothing about them.
                    assert!(
                        !i["kind"].as_str().unwrap().contains("managed-identity"),
                        "{i}"
                    );
                }
                "unknown" => {
                    assert!(u["reason"].is_string(), "{u}");
                    assert_eq!(u["summary"], "unknown", "{u}");
                }
                other => panic!("unknown evidence {other}: {u}"),
            }
        }
    }
    let want: BTreeSet<String> = ["signed-in", "failing", "no-sign-in", "unknown"]
        .map(String::from)
        .into();
    assert_eq!(seen, want, "the demo shows every kind of evidence");
}

#[test]
fn list_on_a_tenant_without_the_licence_says_unknown_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlicensed.json");
    snapshot_file::save(&common::unlicensed_snapshot(), &path).unwrap();
    let v: Value =
        serde_json::from_str(&ok(&["list", "--snapshot", s(&path), "-o", "json"])).unwrap();
    for i in v.as_array().unwrap() {
        let u = &i["lastUsed"];
        assert_eq!(u["evidence"], "unknown", "{i}");
        assert_eq!(u["reason"], "licence", "{i}");
        assert_eq!(u["requirement"], "Microsoft Entra ID P1 or P2", "{i}");
        for c in i["credentials"].as_array().unwrap() {
            assert_eq!(
                c["lastUsed"]["description"],
                "unknown: needs a Microsoft Entra ID P1 or P2 licence",
                "{c}"
            );
        }
    }
    let table = ok(&["list", "--snapshot", s(&path)]);
    let header = table.lines().next().unwrap();
    let col = header.find("LAST USED").unwrap();
    for line in table.lines().skip(1).filter(|l| l.len() > col) {
        let cell = line[line.char_indices().nth(col).unwrap().0..]
            .split("  ")
            .next()
            .unwrap();
        assert_eq!(cell, "unknown", "{line}");
    }
    assert!(!table.contains("none 30d"), "{table}");
}

#[test]
fn list_json_statuses_follow_the_clock() {
    let ids = demo_identities();
    let statuses: BTreeSet<String> = ids
        .iter()
        .flat_map(|i| i["credentials"].as_array().unwrap().clone())
        .filter_map(|c| c["status"].as_str().map(str::to_string))
        .collect();
    for want in ["expired", "critical", "warning", "healthy"] {
        assert!(
            statuses.contains(want),
            "no {want} credential in {statuses:?}"
        );
    }

    // A snapshot file does not move with the clock (the demo does): the same secret reads
    // differently at different times.
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(
        "aaaaaaaa-0000-0000-0000-000000000001",
        "bbbbbbbb-0000-0000-0000-000000000001",
        "worker",
    );
    a["passwordCredentials"] = serde_json::json!([{
        "keyId": "cccccccc-0000-0000-0000-000000000001",
        "startDateTime": "2026-06-01T00:00:00Z",
        "endDateTime": "2026-12-04T12:00:00Z",
    }]);
    let path = snapshot_with_apps(dir.path(), serde_json::json!([a]));
    let at = |now: &str| {
        let out = credwise()
            .env("CREDWISE_NOW", now)
            .args(["list", "--snapshot", s(&path), "-o", "json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let c = &v[0]["credentials"][0];
        (
            c["status"].as_str().unwrap().to_string(),
            c["expiresIn"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(at(NOW), ("warning".into(), "in 12d".into()));
    assert_eq!(
        at("2026-11-30T12:00:00Z"),
        ("critical".into(), "in 4d".into())
    );
    assert_eq!(
        at("2026-12-07T12:00:00Z"),
        ("expired".into(), "expired 3d ago".into())
    );
    assert_eq!(at("2026-01-01T00:00:00Z").0, "healthy");
}

#[test]
fn list_orders_by_kind_then_name_then_id() {
    let ids = demo_identities();
    let keys: Vec<(usize, String, String)> = ids
        .iter()
        .map(|i| {
            (
                KINDS
                    .iter()
                    .position(|k| *k == i["kind"].as_str().unwrap())
                    .unwrap(),
                i["displayName"].as_str().unwrap().to_lowercase(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // The order ignores case: a capitalised name is not pushed before lower-case ones.
    let names: Vec<&str> = ids
        .iter()
        .filter(|i| i["kind"] == "service-principal")
        .map(|i| i["displayName"].as_str().unwrap())
        .collect();
    let last_upper = names
        .iter()
        .rposition(|n| n.starts_with(char::is_uppercase))
        .unwrap();
    let first_lower = names
        .iter()
        .position(|n| n.starts_with(char::is_lowercase))
        .unwrap();
    assert!(last_upper > first_lower, "case-sensitive order: {names:?}");
}

#[test]
fn list_csv_has_one_row_per_credential() {
    let out = ok(&["list", "--demo", "--output", "csv"]);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header[..12],
        [
            "kind",
            "id",
            "displayName",
            "appId",
            "credentialType",
            "credentialId",
            "credentialDisplayName",
            "startDateTime",
            "endDateTime",
            "issuer",
            "subject",
            "audiences"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let ids = demo_identities();
    let expected: usize = ids
        .iter()
        .map(|i| i["credentials"].as_array().unwrap().len().max(1))
        .sum();
    assert_eq!(rows.len(), expected);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut per_identity: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        assert_eq!(row.len(), header.len());
        assert!(KINDS.contains(&&row[col("kind")]));
        *per_identity.entry(row[col("id")].to_string()).or_default() += 1;
        match &row[col("credentialType")] {
            "" => assert!(row[col("credentialId")].is_empty()),
            "federated" => {
                assert!(row[col("issuer")].starts_with("https://"));
                assert!(row[col("endDateTime")].is_empty());
            }
            "secret" | "certificate" => {
                assert!(!row[col("credentialId")].is_empty());
                assert!(row[col("issuer")].is_empty());
            }
            other => panic!("credentialType {other}"),
        }
    }
    assert_eq!(per_identity.len(), ids.len(), "every identity has a row");
}

#[test]
fn list_kind_filters_each_kind() {
    let all = demo_identities();
    for kind in KINDS {
        let ids = json(&["list", "--demo", "--kind", kind, "-o", "json"]);
        let ids = ids.as_array().unwrap();
        let want = all.iter().filter(|i| i["kind"] == kind).count();
        assert!(want > 0, "the demo has no {kind}");
        assert_eq!(ids.len(), want, "{kind}");
        assert!(ids.iter().all(|i| i["kind"] == kind), "{kind}");
        let table = ok(&["list", "--demo", "--kind", kind]);
        assert!(
            table.ends_with(&format!("\n{want} identities\n")),
            "{kind}: {table}"
        );
    }
    // Short aliases select the same identities as the contract names.
    assert_eq!(
        ok(&["list", "--demo", "--kind", "uami", "-o", "csv"]),
        ok(&[
            "list",
            "--demo",
            "--kind",
            "user-assigned-managed-identity",
            "-o",
            "csv"
        ])
    );
}

#[test]
fn list_rejects_an_unknown_kind_and_names_the_allowed_ones() {
    let err = usage_error(&["list", "--demo", "--kind", "robot"]);
    assert!(err.contains("robot"), "{err}");
    for kind in KINDS {
        assert!(err.contains(kind), "{err}");
    }
}

#[test]
fn list_help_documents_kind_and_output() {
    let out = ok(&["list", "--help"]);
    for want in [
        "--kind",
        "--output",
        "table",
        "json",
        "csv",
        "--demo",
        "--snapshot",
    ] {
        assert!(out.contains(want), "{want} missing from:\n{out}");
    }
}

#[test]
fn list_strips_terminal_escapes_from_tenant_strings() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_with_apps(
        dir.path(),
        serde_json::json!([app(
            "aaaaaaaa-0000-0000-0000-000000000001",
            "bbbbbbbb-0000-0000-0000-000000000001",
            "evil\u{1b}]0;pwned\u{7}\u{1b}[2Japp"
        )]),
    );
    for format in ["table", "csv"] {
        let out = ok(&["list", "--snapshot", s(&path), "-o", format]);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{format}: {out:?}"
        );
        assert!(out.contains("evil]0;pwned[2Japp"), "{format}: {out:?}");
    }
    // JSON keeps the name exactly; serde escapes the control characters.
    let out = ok(&["list", "--snapshot", s(&path), "-o", "json"]);
    assert!(!out.contains('\u{1b}'));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["displayName"], "evil\u{1b}]0;pwned\u{7}\u{1b}[2Japp");
}

// ---------------------------------------------------------------------------------------
// show

/// An application of the demo with its own service principal (same appId and name).
fn app_with_sp(ids: &[Value]) -> (&Value, &Value) {
    ids.iter()
        .filter(|i| i["kind"] == "application")
        .find_map(|a| {
            let sp = ids.iter().find(|i| {
                i["kind"] == "service-principal"
                    && i["appId"] == a["appId"]
                    && i["displayName"] == a["displayName"]
            })?;
            Some((a, sp))
        })
        .unwrap()
}

#[test]
fn show_by_object_id() {
    let ids = demo_identities();
    let (a, sp) = app_with_sp(&ids);
    for target in [a, sp] {
        let v = json(&[
            "show",
            "--demo",
            target["id"].as_str().unwrap(),
            "-o",
            "json",
        ]);
        assert_eq!(v["id"], target["id"]);
        assert_eq!(v["kind"], target["kind"]);
    }
}

#[test]
fn show_by_app_id_prefers_the_application() {
    let ids = demo_identities();
    let (a, _) = app_with_sp(&ids);
    let v = json(&["show", "--demo", a["appId"].as_str().unwrap(), "-o", "json"]);
    assert_eq!(v["kind"], "application");
    assert_eq!(v["id"], a["id"]);
    // The same with the appId in upper case: ids are not case-sensitive.
    let upper = a["appId"].as_str().unwrap().to_uppercase();
    let v = json(&["show", "--demo", &upper, "-o", "json"]);
    assert_eq!(v["id"], a["id"]);
}

#[test]
fn show_by_display_name_and_by_arm_id() {
    let ids = demo_identities();
    let (a, _) = app_with_sp(&ids);
    let v = json(&[
        "show",
        "--demo",
        a["displayName"].as_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(
        v["id"], a["id"],
        "a name shared only with its own SP means the app"
    );

    let uami = ids
        .iter()
        .find(|i| i["kind"] == "user-assigned-managed-identity" && i["resourceId"].is_string())
        .unwrap();
    let v = json(&[
        "show",
        "--demo",
        uami["resourceId"].as_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(v["id"], uami["id"]);
}

#[test]
fn show_json_is_the_list_object_plus_links_and_roles() {
    let ids = demo_identities();
    let (a, sp) = app_with_sp(&ids);
    let v = json(&["show", "--demo", a["id"].as_str().unwrap(), "-o", "json"]);
    for (key, value) in a.as_object().unwrap() {
        assert_eq!(&v[key], value, "{key} differs between list and show");
    }
    let links = v["links"].as_array().unwrap();
    let to_sp = links
        .iter()
        .find(|l| l["relation"] == "service principal")
        .unwrap();
    assert_eq!(to_sp["targetId"], sp["id"]);
    assert_eq!(to_sp["targetKind"], "service-principal");
    assert!(to_sp["label"].is_string() && to_sp["detail"].is_string());
    assert!(v["roleAssignments"].is_array());

    // An identity that holds Azure roles lists them with role, scope and id.
    let with_roles = ids
        .iter()
        .filter(|i| i["kind"] != "application")
        .map(|i| json(&["show", "--demo", i["id"].as_str().unwrap(), "-o", "json"]))
        .find(|v| !v["roleAssignments"].as_array().unwrap().is_empty())
        .unwrap();
    for r in with_roles["roleAssignments"].as_array().unwrap() {
        assert!(r["role"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
        assert!(r["scope"].as_str().unwrap().starts_with('/'), "{r}");
        assert!(r["id"].is_string(), "{r}");
        assert_eq!(r["principalId"], with_roles["id"]);
    }
}

/// A role assignment narrowed by an ABAC condition says so: `show` names it in the table and
/// carries the condition and its version in JSON.
#[test]
fn show_names_a_conditioned_role_assignment() {
    let (tenant, original) = common::conditions::with_conditioned_assignment(
        credwise::backend::demo::snapshot(time::macros::datetime!(2026-11-22 12:00 UTC)),
        |_| {},
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    snapshot_file::save(&tenant, &path).unwrap();
    let v = json(&[
        "show",
        "--snapshot",
        s(&path),
        &original.principal_id,
        "-o",
        "json",
    ]);
    let r = v["roleAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == original.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(r["condition"], common::conditions::CONTAINER_CONDITION);
    assert_eq!(r["conditionVersion"], "2.0");
    assert!(
        v["roleAssignments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["id"] != original.id.as_str())
            .all(|x| x.get("condition").is_none()),
        "no condition, no field"
    );
    let text = ok(&["show", "--snapshot", s(&path), &original.principal_id]);
    assert!(
        text.contains("Storage Blob Data Reader (with a condition)"),
        "{text}"
    );
}

#[test]
fn show_table_of_an_application() {
    let ids = demo_identities();
    // An application with every credential type, if the demo has one, else the richest.
    let app = ids
        .iter()
        .filter(|i| i["kind"] == "application")
        .max_by_key(|i| {
            let creds = i["credentials"].as_array().unwrap();
            let types: BTreeSet<&str> = creds.iter().map(|c| c["type"].as_str().unwrap()).collect();
            (types.len(), creds.len())
        })
        .unwrap();
    let out = ok(&["show", "--demo", app["id"].as_str().unwrap()]);
    assert!(out.starts_with(app["displayName"].as_str().unwrap()));
    for want in [
        "kind",
        "application",
        app["appId"].as_str().unwrap(),
        "Secrets and certificates",
        "Federated credentials",
        "Links",
        "Role assignments",
    ] {
        assert!(out.contains(want), "{want} missing:\n{out}");
    }
    insta::assert_snapshot!("show_demo_application", out);
}

#[test]
fn show_table_of_managed_identities() {
    let ids = demo_identities();
    for kind in [
        "user-assigned-managed-identity",
        "system-assigned-managed-identity",
    ] {
        let mi = ids.iter().find(|i| i["kind"] == kind).unwrap();
        let out = ok(&["show", "--demo", mi["id"].as_str().unwrap()]);
        assert!(out.contains("client id"), "{out}");
        assert!(out.contains(mi["resourceId"].as_str().unwrap()), "{out}");
        insta::assert_snapshot!(format!("show_demo_{kind}"), out);
    }
}

#[test]
fn show_ambiguous_name_lists_the_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_with_apps(
        dir.path(),
        serde_json::json!([
            app(
                "aaaaaaaa-0000-0000-0000-000000000001",
                "bbbbbbbb-0000-0000-0000-000000000001",
                "billing"
            ),
            app(
                "aaaaaaaa-0000-0000-0000-000000000002",
                "bbbbbbbb-0000-0000-0000-000000000002",
                "billing"
            ),
            app(
                "aaaaaaaa-0000-0000-0000-000000000003",
                "bbbbbbbb-0000-0000-0000-000000000003",
                "billing-v2"
            ),
        ]),
    );
    let err = usage_error(&["show", "--snapshot", s(&path), "billing"]);
    assert!(
        err.contains("aaaaaaaa-0000-0000-0000-000000000001"),
        "{err}"
    );
    assert!(
        err.contains("aaaaaaaa-0000-0000-0000-000000000002"),
        "{err}"
    );
    assert!(
        !err.contains("aaaaaaaa-0000-0000-0000-000000000003"),
        "{err}"
    );
    let candidate_lines = err
        .lines()
        .filter(|l| l.contains("application") && l.contains("billing"))
        .count();
    assert_eq!(candidate_lines, 2, "one line per candidate:\n{err}");
    // Each is still reachable by its id.
    let v = json(&[
        "show",
        "--snapshot",
        s(&path),
        "aaaaaaaa-0000-0000-0000-000000000002",
        "-o",
        "json",
    ]);
    assert_eq!(v["displayName"], "billing");
}

#[test]
fn show_unknown_id_is_a_usage_error() {
    let err = usage_error(&["show", "--demo", "no-such-identity-anywhere"]);
    assert!(err.contains("no identity matches"), "{err}");
    assert!(err.contains("no-such-identity-anywhere"), "{err}");
}

#[test]
fn show_rejects_csv() {
    let ids = demo_identities();
    let err = usage_error(&[
        "show",
        "--demo",
        ids[0]["id"].as_str().unwrap(),
        "-o",
        "csv",
    ]);
    assert!(err.contains("show supports table and json"), "{err}");
}

// ---------------------------------------------------------------------------------------
// snapshots

#[test]
fn snapshot_save_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("demo.json");
    let out = ok(&["snapshot", "save", "--demo", "--out", s(&first)]);
    let n = demo_identities().len();
    assert!(out.starts_with(&format!("saved {n} identities")), "{out}");
    assert_eq!(out.lines().count(), 1);

    let loaded = snapshot_file::load(&first).unwrap();
    assert!(!loaded.applications.is_empty());
    // save → load → save gives the same bytes.
    let second = dir.path().join("again.json");
    ok(&[
        "snapshot",
        "save",
        "--snapshot",
        s(&first),
        "--out",
        s(&second),
    ]);
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap()
    );
    assert_eq!(
        snapshot_file::to_bytes(&loaded),
        std::fs::read(&first).unwrap()
    );
    // And the saved file lists exactly what the demo lists.
    assert_eq!(
        ok(&["list", "--snapshot", s(&first), "-o", "json"]),
        ok(&["list", "--demo", "-o", "json"])
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn malformed_snapshot_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"format\": \"credwise-snapshot\",\n  \"version\": 1,\n  oops\n}\n",
    )
    .unwrap();
    let err = usage_error(&["list", "--snapshot", s(&path)]);
    assert!(err.contains(&format!("{}:4:3", path.display())), "{err}");
}

#[test]
fn newer_snapshot_version_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.json");
    std::fs::write(&path, r#"{"format":"credwise-snapshot","version":99}"#).unwrap();
    let err = usage_error(&["show", "--snapshot", s(&path), "x"]);
    assert!(err.contains("newer"), "{err}");
    assert!(err.contains("future.json"), "{err}");
}

#[test]
fn missing_snapshot_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.json");
    let err = usage_error(&["list", "--snapshot", s(&path)]);
    assert!(err.contains("nope.json"), "{err}");
}

#[test]
fn import_az_builds_a_loadable_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.json");
    let stdout = ok(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&fixture("apps.json")),
        "--service-principals",
        s(&fixture("service-principals.json")),
        "--managed-identities",
        s(&fixture("identities.json")),
        "--role-assignments",
        s(&fixture("role-assignments.json")),
        "--tenant",
        "99999999-8888-7777-6666-555555555555",
        "--out",
        s(&out),
    ]);
    assert!(stdout.starts_with("imported "), "{stdout}");
    assert!(stdout.contains("role assignment"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1);
    let snap = snapshot_file::load(&out).unwrap();
    assert_eq!(snap.tenant_id, "99999999-8888-7777-6666-555555555555");
    assert!(!snap.applications.is_empty());
    assert!(!snap.service_principals.is_empty());
    assert!(!snap.user_assigned_identities.is_empty());
    assert!(!snap.role_assignments.is_empty());
    // The import is usable as a SOURCE straight away.
    let ids = json(&["list", "--snapshot", s(&out), "-o", "json"]);
    assert!(ids.as_array().unwrap().len() >= snap.applications.len());
}

#[test]
fn import_az_of_one_page_of_a_list_warns_that_the_rest_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    // The published application list example, saved as one page of a longer list.
    let mut page: Value = serde_json::from_slice(
        &std::fs::read(fixture_in("real", "graph-application-list-response.json")).unwrap(),
    )
    .unwrap();
    page["@odata.nextLink"] =
        "https://graph.microsoft.com/v1.0/applications?$skiptoken=RFNwdAIAAQ".into();
    let apps = dir.path().join("apps-page-1.json");
    std::fs::write(&apps, page.to_string()).unwrap();
    let out = dir.path().join("out.json");
    let run = run(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&apps),
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("imported 1 identity "),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!(
            "warning: {}: this is one page of a Graph or ARM list",
            apps.display()
        )) && run.stderr.contains("the rest of the tenant is missing"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_file::load(&out).unwrap().applications.len(), 1);
    // The same page without a next link is the whole list: nothing to warn about.
    page.as_object_mut().unwrap().remove("@odata.nextLink");
    std::fs::write(&apps, page.to_string()).unwrap();
    let run = self::run(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&apps),
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn import_az_with_a_truncated_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let apps = std::fs::read_to_string(fixture("apps.json")).unwrap();
    let truncated = dir.path().join("apps-truncated.json");
    // Cut mid-way through a line, so the error has a line and a column to report.
    let cut: String = apps.lines().take(12).collect::<Vec<_>>().join("\n");
    std::fs::write(&truncated, &cut).unwrap();
    let out = dir.path().join("out.json");
    let err = usage_error(&[
        "snapshot",
        "import-az",
        "--apps",
        s(&truncated),
        "--out",
        s(&out),
    ]);
    assert!(
        err.contains(&format!("{}:12:", truncated.display())),
        "{err}"
    );
    assert!(
        !out.exists(),
        "a failed import must not write the output file"
    );
    // Nothing else was created either (no stray temporary file).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn import_az_without_inputs_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let err = usage_error(&["snapshot", "import-az", "--out", s(&out)]);
    assert!(err.contains("--apps"), "{err}");
    assert!(!out.exists());
}

#[test]
fn failed_import_leaves_an_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    std::fs::write(&out, "previous").unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[{\"id\": 42}]").unwrap();
    usage_error(&["snapshot", "import-az", "--apps", s(&bad), "--out", s(&out)]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
}

// ---------------------------------------------------------------------------------------
// everything else

#[test]
fn completions_and_man_page() {
    let bash = ok(&["completions", "bash"]);
    assert!(bash.contains("credwise"), "{bash}");
    assert!(bash.contains("--kind"), "completions know the list flags");
    let man = ok(&["man"]);
    assert!(man.starts_with(".TH") || man.contains(".SH NAME"), "{man}");
}

#[test]
fn bad_output_format_is_rejected_by_clap() {
    let r = run(&["list", "--demo", "-o", "yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("yaml"), "{}", r.stderr);
}

#[test]
fn snapshots_saved_or_read_are_remembered_for_the_explorers_open_list() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let saved = dir.path().join("demo.json");
    let run = |args: &[&str]| {
        common::cli::Run::of(
            common::cli::credwise().env("CREDWISE_DATA_DIR", &data),
            args,
        )
        .succeeded()
    };
    run(&["snapshot", "save", "--demo", "--out", s(&saved)]);
    let other = dir.path().join("other.json");
    std::fs::copy(&saved, &other).unwrap();
    run(&["list", "--snapshot", s(&other)]);
    let list = credwise::store::recent::read(&data.join("recent.json"));
    let paths: Vec<_> = list.iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [other.clone(), saved.clone()], "newest first");
    // A failed command remembers nothing.
    let missing = dir.path().join("missing.json");
    let failed = common::cli::Run::of(
        common::cli::credwise().env("CREDWISE_DATA_DIR", &data),
        &["list", "--snapshot", s(&missing)],
    );
    assert_ne!(failed.code, 0);
    assert_eq!(
        credwise::store::recent::read(&data.join("recent.json")).len(),
        2
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("recent.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
