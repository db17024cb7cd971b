//! The retirement gate as pure logic (`domain::migration::retirement`): a removal goes when
//! the replacement has signed in since it was added and the credential to remove has been
//! idle for the days asked; it waits without that evidence (the replacement not seen, the old
//! credential still in use, no licence, data older than the replacement); the override goes
//! and keeps what was missing. Each removal step is paired with its own replacement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::NOW;
use common::migration::{Sample, demo_snapshot};
use credwise::domain::credential::CredentialType;
use credwise::domain::migration::Plan;
use credwise::domain::migration::retirement::{GateInput, GateOptions, GateVerdict, gate, gates};
use credwise::domain::usage::{CredentialActivity, SourceStatus, Unknown, UsageData, UsageSource};
use credwise::domain::{ObjectCredentials, TenantSnapshot, Timestamp};

fn ago(days: i64) -> Timestamp {
    NOW - time::Duration::days(days)
}

/// The plan and the target's credentials once every step before the removals is applied.
fn applied(sample: Sample) -> (Plan, ObjectCredentials) {
    let snap = demo_snapshot();
    let plan = sample.plan(&snap, "all");
    let mut after: TenantSnapshot = snap.clone();
    for s in plan.steps.iter().filter(|s| !s.removes_secret) {
        after.apply(&s.action).unwrap();
    }
    let creds = after.credentials_of(&plan.identity.target).unwrap();
    (plan, creds)
}

fn fact(t: CredentialType, key: &str, signed_in_days_ago: i64) -> CredentialActivity {
    CredentialActivity {
        source: UsageSource::SignInLog,
        credential_type: t,
        key: key.into(),
        thumbprint: None,
        app_id: None,
        owner_id: None,
        origin: None,
        last_sign_in: Some(ago(signed_in_days_ago)),
        last_request_id: None,
        last_failure: None,
    }
}

fn log(facts: Vec<CredentialActivity>) -> UsageData {
    UsageData {
        collected_at: Some(NOW),
        sources: vec![SourceStatus::read(UsageSource::SignInLog, Some(ago(30)), 3)],
        credentials: facts,
        identities: vec![],
    }
}

fn new_certificate(plan: &Plan) -> String {
    plan.steps
        .iter()
        .find_map(|s| match &s.action {
            credwise::domain::Change::AddKey { credential, .. } => {
                Some(credential.key_id.to_string())
            }
            _ => None,
        })
        .unwrap()
}

fn decide(
    plan: &Plan,
    creds: &ObjectCredentials,
    usage: &UsageData,
    added: i64,
    opts: GateOptions,
) -> Vec<(GateVerdict, Vec<String>, Vec<String>)> {
    let input = GateInput {
        plan,
        credentials: creds,
        replacement_added: ago(added),
        usage,
    };
    gates(&input, &opts)
        .into_iter()
        .map(|d| (d.verdict, d.shown, d.missing))
        .collect()
}

#[test]
fn goes_when_the_new_credential_signs_in_and_the_secret_is_idle() {
    let (plan, creds) = applied(Sample::Certificate);
    let cert = new_certificate(&plan);
    let usage = log(vec![fact(CredentialType::Certificate, &cert, 2)]);
    let got = decide(&plan, &creds, &usage, 5, GateOptions::default());
    assert!(!got.is_empty());
    for (verdict, shown, missing) in got {
        assert_eq!(verdict, GateVerdict::Go, "{missing:?}");
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].starts_with("the new certificate keyId"),
            "{}",
            shown[0]
        );
        assert!(
            shown[1].contains("has been idle for 30 days"),
            "{}",
            shown[1]
        );
    }
}

#[test]
fn waits_until_the_new_credential_has_signed_in() {
    let (plan, creds) = applied(Sample::Certificate);
    let cert = new_certificate(&plan);
    // Signed in before it was added (a clock, a replayed entry): not since.
    for usage in [
        log(vec![]),
        log(vec![fact(CredentialType::Certificate, &cert, 9)]),
    ] {
        for (verdict, _, missing) in decide(&plan, &creds, &usage, 5, GateOptions::default()) {
            assert_eq!(verdict, GateVerdict::Wait);
            assert!(
                missing[0].contains("has not been seen signing in since it was added"),
                "{missing:?}"
            );
        }
    }
}

#[test]
fn waits_while_the_secret_still_signs_in_or_has_not_been_idle_long_enough() {
    let (plan, creds) = applied(Sample::Certificate);
    let cert = new_certificate(&plan);
    let secret = creds.passwords[0].key_id.clone();
    let usage = log(vec![
        fact(CredentialType::Certificate, &cert, 1),
        fact(CredentialType::Secret, &secret, 3),
    ]);
    let got = decide(&plan, &creds, &usage, 5, GateOptions::default());
    let (verdict, _, missing) = got
        .iter()
        .find(|(_, _, m)| m.iter().any(|m| m.contains("still signs in")))
        .expect("the step of the secret that signed in waits");
    assert_eq!(*verdict, GateVerdict::Wait);
    assert!(missing[0].contains("last sign-in 3d ago"), "{missing:?}");
    // Idle for three days: enough with --idle-days 2.
    let lenient = GateOptions {
        idle_days: 2,
        ..GateOptions::default()
    };
    assert!(
        decide(&plan, &creds, &usage, 5, lenient)
            .iter()
            .all(|(v, _, _)| *v == GateVerdict::Go)
    );
}

#[test]
fn without_evidence_it_waits_unless_overridden_and_the_override_keeps_what_was_missing() {
    let (plan, creds) = applied(Sample::Certificate);
    let usage = UsageData {
        collected_at: Some(NOW),
        sources: vec![SourceStatus::unavailable(
            UsageSource::SignInLog,
            Unknown::Licence {
                requirement: "Microsoft Entra ID P1 or P2".into(),
            },
        )],
        credentials: vec![],
        identities: vec![],
    };
    for (verdict, shown, missing) in decide(&plan, &creds, &usage, 5, GateOptions::default()) {
        assert_eq!(verdict, GateVerdict::Wait);
        assert!(shown.is_empty());
        assert_eq!(missing.len(), 2);
        assert!(
            missing[1].contains("unknown, needs a Microsoft Entra ID P1 or P2 licence"),
            "{}",
            missing[1]
        );
    }
    let overridden = GateOptions {
        without_usage_evidence: true,
        ..GateOptions::default()
    };
    for (verdict, _, missing) in decide(&plan, &creds, &usage, 5, overridden) {
        assert_eq!(verdict, GateVerdict::Overridden);
        assert_eq!(missing.len(), 2, "the journal notes what it went without");
    }
    // Not loaded at all: the same.
    for (verdict, ..) in decide(
        &plan,
        &creds,
        &UsageData::default(),
        5,
        GateOptions::default(),
    ) {
        assert_eq!(verdict, GateVerdict::Wait);
    }
}

#[test]
fn data_older_than_the_replacement_cannot_show_it() {
    let (plan, creds) = applied(Sample::Certificate);
    let cert = new_certificate(&plan);
    let mut usage = log(vec![fact(CredentialType::Certificate, &cert, 2)]);
    usage.collected_at = Some(ago(8));
    let input = GateInput {
        plan: &plan,
        credentials: &creds,
        replacement_added: ago(5),
        usage: &usage,
    };
    let step = plan.first_removal().unwrap();
    let d = gate(&input, step, &GateOptions::default());
    assert_eq!(d.verdict, GateVerdict::Wait);
    assert!(
        d.missing[0].contains("before the new credential was added"),
        "{:?}",
        d.missing
    );
    assert!(
        d.lines()[0].ends_with("waits for usage evidence"),
        "{:?}",
        d.lines()
    );
}

#[test]
fn a_federated_credential_is_seen_by_the_id_graph_gave_it() {
    let (plan, mut creds) = applied(Sample::FicGitHub);
    // The live tenant gives the new FIC an id; the sign-in log names it.
    let name = plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            credwise::domain::Change::AddFederatedCredential { credential, .. } => {
                Some(credential.name.clone())
            }
            _ => None,
        })
        .unwrap();
    let f = creds.federated.iter_mut().find(|f| f.name == name).unwrap();
    f.id = Some("0f1c0000-0000-4000-8000-00000000abcd".into());
    let usage = log(vec![fact(
        CredentialType::Federated,
        "0f1c0000-0000-4000-8000-00000000abcd",
        1,
    )]);
    // invoice-worker's secrets were added two days ago: idle for two days at most.
    let opts = GateOptions {
        idle_days: 2,
        ..GateOptions::default()
    };
    let got = decide(&plan, &creds, &usage, 4, opts);
    assert!(!got.is_empty());
    for (verdict, shown, missing) in got {
        assert_eq!(verdict, GateVerdict::Go, "{missing:?}");
        assert!(
            shown[0].contains(&format!("federated credential {name:?}")),
            "{shown:?}"
        );
    }
}

#[test]
fn a_managed_identitys_silence_in_the_sign_in_log_never_lets_a_removal_go() {
    // The same evidence that lets an application's removal go (above)…
    let (mut plan, creds) = applied(Sample::Certificate);
    let cert = new_certificate(&plan);
    let usage = log(vec![fact(CredentialType::Certificate, &cert, 2)]);
    // …proves nothing for a managed identity: the service principal sign-in log leaves its
    // sign-ins out (Microsoft Learn, "What are service principal sign-ins"), so the credential
    // to remove is not idle, it is unknown, and the removal waits.
    for kind in [
        credwise::domain::IdentityKind::UserAssignedManagedIdentity,
        credwise::domain::IdentityKind::SystemAssignedManagedIdentity,
    ] {
        plan.identity.kind = kind;
        let got = decide(&plan, &creds, &usage, 5, GateOptions::default());
        assert!(!got.is_empty());
        for (verdict, _, missing) in got {
            assert_eq!(verdict, GateVerdict::Wait, "{kind}: {missing:?}");
            assert!(
                missing.iter().any(|m| m.contains("no sign-in recorded")),
                "{kind}: {missing:?}"
            );
        }
    }
}
