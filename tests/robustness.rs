//! Never panic on input: every parser of untrusted input — snapshot files, `az` JSON, user
//! config, keymaps, suppression files, the decision table, wizard answers files, key names —
//! gets arbitrary bytes and mutations of real, valid inputs, and must answer with a value or
//! an error, never a panic. (cargo-fuzz needs a nightly toolchain; these properties run on
//! stable in every test run.)
#![allow(clippy::unwrap_used)]

use std::path::Path;

use credwise::app::keymap::{DEFAULT_KEYMAP, Key, Keymap};
use credwise::app::wizard::{DECISION_TABLE, decision_table};
use credwise::backend::import;
use credwise::config::Config;
use credwise::domain::audit::suppress;
use credwise::domain::wizard::DecisionTable;
use credwise::store::snapshot_file;
use proptest::prelude::*;

const DEMO: &[u8] = include_bytes!("../assets/demo-tenant.json");
const AZ_APPS: &[u8] = include_bytes!("fixtures/az/apps.json");
const AZ_SPS: &[u8] = include_bytes!("fixtures/az/service-principals.json");
const AZ_MIS: &[u8] = include_bytes!("fixtures/az/identities.json");
const AZ_ROLES: &[u8] = include_bytes!("fixtures/az/role-assignments.json");
const CONFIG: &str = include_str!("../assets/config.toml");

/// A valid input with a few bytes changed, removed or inserted.
fn mutated(valid: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    let edits = proptest::collection::vec(
        (any::<proptest::sample::Index>(), any::<u8>(), 0u8..3),
        1..8,
    );
    edits.prop_map(move |edits| {
        let mut v = valid.to_vec();
        for (at, byte, kind) in edits {
            if v.is_empty() {
                v.push(byte);
                continue;
            }
            let i = at.index(v.len());
            match kind {
                0 => v[i] = byte,
                1 => {
                    v.remove(i);
                }
                _ => v.insert(i, byte),
            }
        }
        v
    })
}

/// A valid input cut short somewhere.
fn truncated(valid: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    any::<proptest::sample::Index>().prop_map(move |at| valid[..at.index(valid.len())].to_vec())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn snapshot_files(bytes in prop_oneof![
        mutated(DEMO), truncated(DEMO), proptest::collection::vec(any::<u8>(), 0..256)
    ]) {
        let _ = snapshot_file::parse(&bytes, Path::new("fuzz.json"));
    }

    #[test]
    fn az_exports(
        apps in prop_oneof![mutated(AZ_APPS), truncated(AZ_APPS)],
        sps in prop_oneof![mutated(AZ_SPS), truncated(AZ_SPS)],
        mis in prop_oneof![mutated(AZ_MIS), truncated(AZ_MIS)],
        roles in prop_oneof![mutated(AZ_ROLES), truncated(AZ_ROLES)],
    ) {
        let p = Path::new("fuzz.json");
        let _ = import::parse_applications(&apps, p);
        let _ = import::parse_service_principals(&sps, p);
        let _ = import::parse_managed_identities(&mis, p);
        let _ = import::parse_role_assignments(&roles, p);
    }

    #[test]
    fn user_config(bytes in prop_oneof![mutated(CONFIG.as_bytes()), truncated(CONFIG.as_bytes())]) {
        let _ = Config::from_sources(Some((Path::new("config.toml"), &text(&bytes))));
    }

    #[test]
    fn user_keymaps(bytes in prop_oneof![
        mutated(DEFAULT_KEYMAP.as_bytes()), truncated(DEFAULT_KEYMAP.as_bytes())
    ]) {
        let _ = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("keymap.toml"), &text(&bytes))));
    }

    #[test]
    fn key_names(s in "\\PC{0,12}") {
        if let Some(k) = Key::parse(&s) {
            // Whatever parses has a label that parses back to the same key, arrows aside.
            let label = k.label();
            if !["↑", "↓", "←", "→"].contains(&label.as_str()) {
                prop_assert_eq!(Key::parse(&label), Some(k));
            }
        }
    }

    #[test]
    fn suppression_files(bytes in prop_oneof![
        mutated(SUPPRESSIONS.as_bytes()), truncated(SUPPRESSIONS.as_bytes())
    ]) {
        let _ = suppress::parse(&text(&bytes));
    }

    #[test]
    fn decision_tables(bytes in prop_oneof![
        mutated(DECISION_TABLE.as_bytes()), truncated(DECISION_TABLE.as_bytes())
    ]) {
        // A damaged table is either still valid or rejected with a message; never a panic.
        if let Err(e) = DecisionTable::parse(&text(&bytes)) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn wizard_answers_files(
        bytes in prop_oneof![mutated(ANSWERS.as_bytes()), truncated(ANSWERS.as_bytes())],
        json in any::<bool>(),
    ) {
        let table = decision_table().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(if json { "a.json" } else { "a.toml" });
        std::fs::write(&path, &bytes).unwrap();
        let now = time::macros::datetime!(2026-11-22 12:00 UTC);
        let _ = credwise::cli::wizard::record_from_file(&table, &path, now);
    }
}

const SUPPRESSIONS: &str = "[[ignore]]\nrule = \"secret-long-lifetime\"\nidentity = \"legacy-ftp-bridge\"\nreason = \"vendor\"\nexpires = 2027-01-31\n";
const ANSWERS: &str = "user_present = false\nhosting = \"azure\"\ntarget = \"entra-same-tenant\"\nidentity_scope = \"shared\"\n";
