//! The usage evidence rules, table by table.

use super::*;
use crate::domain::credential::{FederatedIdentityCredential, PasswordCredential};
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

fn days_ago(d: i64) -> Timestamp {
    NOW - time::Duration::days(d)
}

fn secret(key: &str, start: Option<Timestamp>) -> PasswordCredential {
    PasswordCredential {
        key_id: key.into(),
        display_name: None,
        hint: None,
        start_date_time: start,
        end_date_time: None,
    }
}

fn fic(id: Option<&str>, name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: id.map(str::to_string),
        name: name.into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some("repo:o/r:ref:refs/heads/main".into()),
        claims_matching_expression: None,
        audiences: vec![],
        description: None,
    }
}

fn activity(source: UsageSource, t: CredentialType, key: &str) -> CredentialActivity {
    CredentialActivity {
        source,
        credential_type: t,
        key: key.into(),
        thumbprint: None,
        app_id: Some("app-1".into()),
        owner_id: None,
        origin: None,
        last_sign_in: None,
        last_request_id: None,
        last_failure: None,
    }
}

fn data(sources: Vec<SourceStatus>, credentials: Vec<CredentialActivity>) -> UsageData {
    UsageData {
        collected_at: Some(NOW),
        sources,
        credentials,
        identities: vec![],
    }
}

#[test]
fn nothing_loaded_is_unknown_not_unused() {
    let d = UsageData::default();
    let ix = UsageIndex::new(&d);
    let s = secret("k1", None);
    let e = ix.credential(CredentialRef::Secret(&s));
    assert_eq!(e, Evidence::Unknown(Unknown::NotLoaded));
    assert_eq!(e.unused_for(0), Unused::Unknown(Unknown::NotLoaded));
    assert_eq!(e.describe(NOW), "unknown: sign-in data not loaded");
    assert_eq!(ix.identity("app-1"), Evidence::Unknown(Unknown::NotLoaded));
}

#[test]
fn a_report_sign_in_gives_the_last_use_with_its_origin() {
    let mut a = activity(UsageSource::CredentialReport, CredentialType::Secret, "K1");
    a.last_sign_in = Some(days_ago(120));
    a.origin = Some(CredentialOrigin::Application);
    let d = data(
        vec![SourceStatus::read(UsageSource::CredentialReport, None, 1)],
        vec![a],
    );
    let ix = UsageIndex::new(&d);
    let s = secret("k1", None);
    let e = ix.credential(CredentialRef::Secret(&s));
    assert_eq!(e.idle_days(), Some(120));
    assert_eq!(e.unused_for(90), Unused::Yes { days: 120 });
    assert_eq!(e.unused_for(180), Unused::No);
    assert_eq!(
        e.describe(NOW),
        "last sign-in 120d ago (the credential sign-in report, on the application)"
    );
    assert_eq!(e.short(NOW), "120d ago");
}

#[test]
fn a_report_that_does_not_mention_a_credential_proves_nothing() {
    let d = data(
        vec![SourceStatus::read(UsageSource::CredentialReport, None, 3)],
        vec![],
    );
    let ix = UsageIndex::new(&d);
    let s = secret("k1", Some(days_ago(400)));
    let e = ix.credential(CredentialRef::Secret(&s));
    assert_eq!(e, Evidence::Unknown(Unknown::NotReported));
    assert!(matches!(e.unused_for(1), Unused::Unknown(_)));
}

#[test]
fn the_log_window_says_idle_only_for_the_days_it_covers() {
    let d = data(
        vec![SourceStatus::read(
            UsageSource::SignInLog,
            Some(days_ago(30)),
            4,
        )],
        vec![],
    );
    let ix = UsageIndex::new(&d);
    let old = secret("k1", Some(days_ago(400)));
    let e = ix.credential(CredentialRef::Secret(&old));
    assert_eq!(e.unused_for(30), Unused::Yes { days: 30 });
    assert_eq!(
        e.unused_for(90),
        Unused::Unknown(Unknown::Window { covered_days: 30 })
    );
    assert_eq!(e.describe(NOW), "no sign-in in 30 days (the sign-in log)");
    // Added ten days ago: idle for ten days only.
    let new = secret("k2", Some(days_ago(10)));
    let e = ix.credential(CredentialRef::Secret(&new));
    assert_eq!(e.idle_days(), Some(10));
    assert!(matches!(e.unused_for(30), Unused::Unknown(_)));
}

#[test]
fn a_failed_sign_in_in_the_log_is_not_unused() {
    let mut a = activity(UsageSource::SignInLog, CredentialType::Secret, "k1");
    a.last_failure = Some(days_ago(2));
    let d = data(
        vec![SourceStatus::read(
            UsageSource::SignInLog,
            Some(days_ago(30)),
            1,
        )],
        vec![a],
    );
    let ix = UsageIndex::new(&d);
    let s = secret("k1", None);
    let e = ix.credential(CredentialRef::Secret(&s));
    assert!(matches!(e, Evidence::Failing { .. }), "{e:?}");
    assert_eq!(e.unused_for(1), Unused::No);
}

#[test]
fn federated_credentials_are_found_by_id_or_by_name() {
    let mut a = activity(UsageSource::SignInLog, CredentialType::Federated, "f-guid");
    a.last_sign_in = Some(days_ago(1));
    let mut b = activity(UsageSource::SignInLog, CredentialType::Federated, "gh-main");
    b.last_sign_in = Some(days_ago(3));
    let d = data(
        vec![SourceStatus::read(
            UsageSource::SignInLog,
            Some(days_ago(30)),
            1,
        )],
        vec![a, b],
    );
    let ix = UsageIndex::new(&d);
    let by_id = fic(Some("F-GUID"), "other-name");
    assert_eq!(
        ix.credential(CredentialRef::Federated(&by_id))
            .last_sign_in(),
        Some(days_ago(1))
    );
    let by_name = fic(None, "gh-main");
    assert_eq!(
        ix.credential(CredentialRef::Federated(&by_name))
            .last_sign_in(),
        Some(days_ago(3))
    );
}

#[test]
fn the_reason_is_the_most_actionable_one() {
    let d = data(
        vec![
            SourceStatus::unavailable(
                UsageSource::CredentialReport,
                Unknown::Licence {
                    requirement: "Microsoft Entra ID P1 or P2".into(),
                },
            ),
            SourceStatus::unavailable(
                UsageSource::SignInLog,
                Unknown::MissingPermission {
                    permission: "AuditLog.Read.All".into(),
                },
            ),
        ],
        vec![],
    );
    let ix = UsageIndex::new(&d);
    let s = secret("k1", None);
    assert_eq!(
        ix.credential(CredentialRef::Secret(&s)).describe(NOW),
        "unknown: needs AuditLog.Read.All"
    );
    // A FIC is named by the log only: its reason is the log's.
    let f = fic(Some("x"), "n");
    assert_eq!(
        ix.credential(CredentialRef::Federated(&f)),
        Evidence::Unknown(Unknown::MissingPermission {
            permission: "AuditLog.Read.All".into()
        })
    );
}

#[test]
fn identities_take_the_latest_of_report_and_log() {
    let mut d = data(
        vec![SourceStatus::read(
            UsageSource::ServicePrincipalReport,
            None,
            1,
        )],
        vec![],
    );
    d.identities.push(IdentityActivity {
        source: UsageSource::ServicePrincipalReport,
        app_id: "APP-1".into(),
        service_principal_id: None,
        last_app_only: Some(days_ago(5)),
        last_any: Some(days_ago(1)),
    });
    let mut a = activity(UsageSource::SignInLog, CredentialType::Secret, "k");
    a.last_sign_in = Some(days_ago(2));
    d.credentials.push(a);
    let ix = UsageIndex::new(&d);
    let e = ix.identity("app-1");
    assert_eq!(e.last_sign_in(), Some(days_ago(2)));
    assert_eq!(e.source(), Some(UsageSource::SignInLog));
    assert_eq!(
        ix.identity("app-2"),
        Evidence::Unknown(Unknown::NotReported)
    );
}

#[test]
fn old_data_says_as_of_when() {
    let mut d = data(
        vec![SourceStatus::read(
            UsageSource::SignInLog,
            Some(days_ago(40)),
            1,
        )],
        vec![],
    );
    d.collected_at = Some(days_ago(10));
    let ix = UsageIndex::new(&d);
    let s = secret("k", None);
    assert_eq!(
        ix.credential(CredentialRef::Secret(&s)).describe(NOW),
        "no sign-in in 30 days as of 2026-11-12 (the sign-in log)"
    );
}

#[test]
fn the_log_folds_into_one_fact_per_credential() {
    let event = |d: i64, key: Option<&str>, fic: Option<&str>, ok: bool| SignInEvent {
        at: days_ago(d),
        app_id: Some("app-1".into()),
        service_principal_id: Some("sp-1".into()),
        key_id: key.map(str::to_string),
        thumbprint: None,
        federated_credential_id: fic.map(str::to_string),
        client_credential_type: None,
        succeeded: ok,
        request_id: Some(format!("r{d}")),
    };
    let mut log = LogAggregate::default();
    for e in [
        event(3, Some("K1"), None, true),
        event(1, Some("k1"), None, false),
        event(5, Some("k1"), None, true),
        event(2, None, Some("f1"), true),
        event(9, None, None, true),
    ] {
        log.add(e);
    }
    assert_eq!((log.events, log.oldest), (5, Some(days_ago(9))));
    let (creds, ids) = log.into_facts();
    assert_eq!(creds.len(), 2);
    let f = creds.iter().find(|c| c.key == "f1").unwrap();
    assert_eq!(f.credential_type, CredentialType::Federated);
    let k = creds.iter().find(|c| c.key != "f1").unwrap();
    assert_eq!(k.last_sign_in, Some(days_ago(3)));
    assert_eq!(k.last_request_id.as_deref(), Some("r3"));
    assert_eq!(k.last_failure, Some(days_ago(1)));
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].last_app_only, Some(days_ago(2)));
    assert_eq!(ids[0].service_principal_id.as_deref(), Some("sp-1"));
}

#[test]
fn round_trips_and_merges() {
    let mut a = activity(UsageSource::CredentialReport, CredentialType::Secret, "k");
    a.last_sign_in = Some(days_ago(3));
    a.origin = Some(CredentialOrigin::ServicePrincipal);
    let d = data(
        vec![
            SourceStatus::read(UsageSource::CredentialReport, None, 1),
            SourceStatus::unavailable(UsageSource::SignInLog, Unknown::NotLoaded),
        ],
        vec![a],
    );
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains("\"origin\":\"servicePrincipal\""), "{json}");
    let back: UsageData = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    let mut merged = d.clone();
    merged.merge(data(
        vec![SourceStatus::read(
            UsageSource::SignInLog,
            Some(days_ago(7)),
            2,
        )],
        vec![],
    ));
    assert!(matches!(
        merged.source(UsageSource::SignInLog).unwrap().outcome,
        SourceOutcome::Read { .. }
    ));
    let unknown: CredentialOrigin = serde_json::from_str("\"unknownFutureValue\"").unwrap();
    assert_eq!(unknown, CredentialOrigin::Other);
}
