//! Unit tests of `form`.

use super::*;

#[test]
fn names_are_unique_flags_and_choices_are_the_presets() {
    for kind in MigrationKind::ALL {
        let names: Vec<&str> = fields(kind).iter().map(|f| f.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{kind:?}: {names:?}");
        for f in fields(kind) {
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                f.name
            );
            assert!(!f.label.is_empty(), "{}", f.name);
        }
    }
    let presets: Vec<&str> = FicPreset::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(PRESET_VALUES, presets.as_slice());
}

#[test]
fn a_field_of_another_preset_is_named_not_dropped() {
    let mut form = Form::new(MigrationKind::SecretToFic, "payroll-api");
    form.set("preset", "kubernetes");
    form.set("github-repo", "fabrikam/payroll");
    let errors = form.preset_conflicts();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "github-repo");
    form.set("github-repo", "");
    assert!(form.preset_conflicts().is_empty());
}

#[test]
fn the_federated_credential_kinds_have_no_form_and_refuse_one_by_name() {
    let dir = Directory::new(crate::domain::TenantSnapshot::empty(
        "t",
        time::macros::datetime!(2026-11-22 12:00 UTC),
    ));
    for kind in [
        MigrationKind::GitHubImmutableSubject,
        MigrationKind::MergeFederatedCredentials,
    ] {
        assert!(fields(kind).is_empty(), "{kind:?}");
        let errors = Form::new(kind, "payroll-api").validate(&dir, false);
        assert_eq!(errors.len(), 1, "{kind:?}");
        assert!(
            errors[0].message.flags().contains(kind.as_str()),
            "{errors:?}"
        );
    }
}

#[test]
fn the_gate_fields_are_in_every_form_and_give_the_gate_options() {
    for kind in MigrationKind::ALL {
        for g in GATE_FIELDS {
            assert_eq!(field(kind, g.name), Some(g), "{kind:?} lacks {}", g.name);
        }
        let mut form = Form::new(kind, "payroll-api");
        assert_eq!(form.gate_options(), Ok(GateOptions::default()));
        form.set("idle-days", "30");
        form.set("without-usage-evidence", "yes");
        assert_eq!(
            form.gate_options(),
            Ok(GateOptions {
                idle_days: 30,
                without_usage_evidence: true
            })
        );
        for bad in ["-1", "366", "a week"] {
            form.set("idle-days", bad);
            let e = form.gate_options().expect_err(bad);
            assert_eq!(e.field, "idle-days");
            assert!(e.message.flags().contains(bad), "{e:?}");
        }
    }
}

#[test]
fn unknown_names_are_ignored_and_values_trimmed() {
    let mut form = Form::new(MigrationKind::SecretToCertificate, "a");
    form.set("no-such-field", "x");
    form.set("common-name", "  cn  ");
    assert_eq!(form.value("common-name"), "cn");
    assert_eq!(form.value("no-such-field"), "");
    assert_eq!(form.certificate().map(|c| c.common_name), Some("cn".into()));
}
