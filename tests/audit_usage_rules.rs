//! The audit rules that read sign-in evidence, as tables: `credential-unused` (fires only on
//! data that covers the days; unknown data never fires it), `secret-in-use-beside-replacement`
//! (the old secret signs in after a newer credential was added), and the remedies of
//! `credential-expired` and `secret-beside-stronger-credential` that now say "safe to remove:
//! unused for N days" or "it still signs in".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credwise::domain::audit::{AuditOptions, Finding, Severity, audit};
use credwise::domain::credential::{
    FederatedIdentityCredential, KeyCredential, PasswordCredential,
};
use credwise::domain::usage::{
    CredentialActivity, CredentialOrigin, SourceStatus, Unknown, UsageData, UsageSource,
};
use credwise::domain::{
    Application, CredentialType, Directory, ServicePrincipal, ServicePrincipalType, TenantSnapshot,
    Timestamp, UserAssignedIdentity,
};
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);
const APP: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const SECRET: &str = "5ec00000-0000-4000-8000-000000000001";
const CERT: &str = "ce000000-0000-4000-8000-000000000001";
const FIC: &str = "f1c00000-0000-4000-8000-000000000001";

fn ago(days: i64) -> Timestamp {
    NOW - time::Duration::days(days)
}

fn secret(key: &str, start: i64) -> PasswordCredential {
    PasswordCredential {
        key_id: key.into(),
        display_name: Some("prod".into()),
        hint: None,
        start_date_time: Some(ago(start)),
        end_date_time: Some(NOW + time::Duration::days(200)),
    }
}

fn cert(start: i64) -> KeyCredential {
    KeyCredential {
        key_id: CERT.into(),
        display_name: Some("CN=api".into()),
        custom_key_identifier: None,
        key_type: Some("AsymmetricX509Cert".into()),
        usage: Some("Verify".into()),
        start_date_time: Some(ago(start)),
        end_date_time: Some(NOW + time::Duration::days(200)),
    }
}

fn fic() -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: Some(FIC.into()),
        name: "github-main".into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some("repo:contoso/api:ref:refs/heads/main".into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

fn app(
    secrets: Vec<PasswordCredential>,
    certs: Vec<KeyCredential>,
    fics: Vec<FederatedIdentityCredential>,
) -> Application {
    Application {
        id: "0b000000-0000-4000-8000-000000000001".into(),
        app_id: APP.into(),
        display_name: "orders-api".into(),
        sign_in_audience: Some("AzureADMyOrg".into()),
        publisher_domain: None,
        created_date_time: Some(ago(900)),
        password_credentials: secrets,
        key_credentials: certs,
        federated_identity_credentials: fics,
        odata_type: None,
    }
}

fn sp() -> ServicePrincipal {
    ServicePrincipal {
        id: "5b000000-0000-4000-8000-000000000001".into(),
        app_id: APP.into(),
        display_name: "orders-api".into(),
        service_principal_type: ServicePrincipalType::Application,
        alternative_names: vec![],
        account_enabled: Some(true),
        app_owner_organization_id: None,
        password_credentials: vec![],
        key_credentials: vec![],
        tags: vec![],
        odata_type: None,
    }
}

/// A fact: `key` signed in `days` ago, as `source` says.
fn signed_in(source: UsageSource, t: CredentialType, key: &str, days: i64) -> CredentialActivity {
    CredentialActivity {
        source,
        credential_type: t,
        key: key.into(),
        thumbprint: None,
        app_id: Some(APP.into()),
        owner_id: None,
        origin: Some(CredentialOrigin::Application),
        last_sign_in: Some(ago(days)),
        last_request_id: None,
        last_failure: None,
    }
}

fn report() -> SourceStatus {
    SourceStatus::read(UsageSource::CredentialReport, None, 1)
}

fn log(days: i64) -> SourceStatus {
    SourceStatus::read(UsageSource::SignInLog, Some(ago(days)), 1)
}

fn usage(sources: Vec<SourceStatus>, facts: Vec<CredentialActivity>) -> UsageData {
    UsageData {
        collected_at: Some(NOW),
        sources,
        credentials: facts,
        identities: vec![],
    }
}

fn run(app: Application, usage: UsageData, unused_days: i64) -> Vec<Finding> {
    let mut s = TenantSnapshot::empty("t", NOW);
    s.applications.push(app);
    s.service_principals.push(sp());
    s.usage = usage;
    let mut opts = AuditOptions::new(NOW);
    opts.unused_days = unused_days;
    audit(&Directory::new(s), &opts, &[]).findings
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule() == rule).collect()
}

#[test]
fn credential_unused_fires_only_on_data_that_covers_the_days() {
    use CredentialType::*;
    use UsageSource::*;
    struct Case {
        name: &'static str,
        app: Application,
        usage: UsageData,
        days: i64,
        fires: Option<(&'static str, Severity)>,
    }
    let cases = [
        Case {
            name: "report: last sign-in 120 days ago",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(
                vec![report()],
                vec![signed_in(CredentialReport, Secret, SECRET, 120)],
            ),
            days: 90,
            fires: Some((SECRET, Severity::Medium)),
        },
        Case {
            name: "report: signed in 10 days ago",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(
                vec![report()],
                vec![signed_in(CredentialReport, Secret, SECRET, 10)],
            ),
            days: 90,
            fires: None,
        },
        Case {
            name: "no sign-in data loaded",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: UsageData::default(),
            days: 1,
            fires: None,
        },
        Case {
            name: "no licence",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(
                vec![SourceStatus::unavailable(
                    SignInLog,
                    Unknown::Licence {
                        requirement: "Microsoft Entra ID P1 or P2".into(),
                    },
                )],
                vec![],
            ),
            days: 1,
            fires: None,
        },
        Case {
            name: "the report does not mention it",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(vec![report()], vec![]),
            days: 1,
            fires: None,
        },
        Case {
            name: "the log covers 30 days, 90 asked",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(vec![log(30)], vec![]),
            days: 90,
            fires: None,
        },
        Case {
            name: "the log covers 30 days, 30 asked",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(vec![log(30)], vec![]),
            days: 30,
            fires: Some((SECRET, Severity::Medium)),
        },
        Case {
            name: "a secret added 20 days ago has not been idle 30",
            app: app(vec![secret(SECRET, 20)], vec![], vec![]),
            usage: usage(vec![log(30)], vec![]),
            days: 30,
            fires: None,
        },
        Case {
            name: "only a failed sign-in: something still presents it",
            app: app(vec![secret(SECRET, 400)], vec![], vec![]),
            usage: usage(
                vec![log(30)],
                vec![CredentialActivity {
                    last_sign_in: None,
                    last_failure: Some(ago(3)),
                    ..signed_in(SignInLog, Secret, SECRET, 0)
                }],
            ),
            days: 30,
            fires: None,
        },
        Case {
            name: "a certificate unused for 200 days",
            app: app(vec![], vec![cert(400)], vec![]),
            usage: usage(
                vec![report()],
                vec![signed_in(CredentialReport, Certificate, CERT, 200)],
            ),
            days: 90,
            fires: Some((CERT, Severity::Low)),
        },
        Case {
            name: "a federated credential idle over the log's window",
            app: app(vec![], vec![], vec![fic()]),
            usage: usage(vec![log(30)], vec![]),
            days: 30,
            fires: Some(("github-main", Severity::Low)),
        },
        Case {
            name: "a federated credential that signed in yesterday",
            app: app(vec![], vec![], vec![fic()]),
            usage: usage(vec![log(30)], vec![signed_in(SignInLog, Federated, FIC, 1)]),
            days: 30,
            fires: None,
        },
    ];
    for c in cases {
        let findings = run(c.app, c.usage, c.days);
        let unused = of(&findings, "credential-unused");
        match c.fires {
            None => assert!(unused.is_empty(), "{}: {unused:?}", c.name),
            Some((id, severity)) => {
                assert_eq!(unused.len(), 1, "{}: {unused:?}", c.name);
                assert_eq!(unused[0].credential_id.as_deref(), Some(id), "{}", c.name);
                assert_eq!(unused[0].severity, severity, "{}", c.name);
                assert!(
                    unused[0]
                        .remedy
                        .text()
                        .starts_with("Safe to remove: unused for "),
                    "{}: {}",
                    c.name,
                    unused[0].remedy.text()
                );
            }
        }
    }
}

#[test]
fn unused_findings_say_how_long_and_how_to_remove() {
    let findings = run(
        app(vec![secret(SECRET, 400)], vec![], vec![]),
        usage(
            vec![report()],
            vec![signed_in(
                UsageSource::CredentialReport,
                CredentialType::Secret,
                SECRET,
                120,
            )],
        ),
        90,
    );
    let f = of(&findings, "credential-unused")[0];
    assert_eq!(
        &*f.message,
        "Secret \"prod\" on orders-api is unused: last sign-in 120d ago (the credential sign-in report, on the application)."
    );
    assert_eq!(
        f.remedy.text(),
        format!(
            "Safe to remove: unused for 120 days (the credential sign-in report). Remove it: `az ad app credential delete --id {APP} --key-id {SECRET}`."
        )
    );
    // A user-assigned identity's federated credential: the service principal sign-in log
    // leaves managed identity sign-ins out (Microsoft Learn, "What are service principal
    // sign-ins in Microsoft Entra?"), so its silence there is no evidence: never "unused".
    let mut s = TenantSnapshot::empty("t", NOW);
    s.user_assigned_identities.push(UserAssignedIdentity {
        id: "/subscriptions/s1/resourceGroups/rg-ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ci".into(),
        name: "id-ci".into(),
        location: None,
        principal_id: "p".into(),
        client_id: "c".into(),
        tenant_id: None,
        tags: Default::default(),
        federated_identity_credentials: vec![FederatedIdentityCredential { id: None, ..fic() }],
    });
    s.usage = usage(vec![log(30)], vec![]);
    let mut opts = AuditOptions::new(NOW);
    opts.unused_days = 30;
    let report = audit(&Directory::new(s), &opts, &[]);
    assert!(
        of(&report.findings, "credential-unused").is_empty(),
        "{:?}",
        report.findings
    );
}

#[test]
fn secret_in_use_beside_replacement_fires_when_the_old_secret_signs_in_after_it() {
    use CredentialType::*;
    use UsageSource::*;
    let cases: [(&str, Application, Vec<CredentialActivity>, bool); 6] = [
        (
            "signed in two days ago, certificate added thirty days ago",
            app(vec![secret(SECRET, 400)], vec![cert(30)], vec![]),
            vec![signed_in(CredentialReport, Secret, SECRET, 2)],
            true,
        ),
        (
            "last sign-in before the certificate was added",
            app(vec![secret(SECRET, 400)], vec![cert(30)], vec![]),
            vec![signed_in(CredentialReport, Secret, SECRET, 40)],
            false,
        ),
        (
            "the certificate is older than the secret",
            app(vec![secret(SECRET, 100)], vec![cert(300)], vec![]),
            vec![signed_in(CredentialReport, Secret, SECRET, 2)],
            false,
        ),
        (
            "signed in after the federated credential was already signing in",
            app(vec![secret(SECRET, 400)], vec![], vec![fic()]),
            vec![
                signed_in(SignInLog, Secret, SECRET, 2),
                signed_in(SignInLog, Federated, FIC, 5),
            ],
            true,
        ),
        (
            "the federated credential signed in after the secret",
            app(vec![secret(SECRET, 400)], vec![], vec![fic()]),
            vec![
                signed_in(SignInLog, Secret, SECRET, 5),
                signed_in(SignInLog, Federated, FIC, 2),
            ],
            false,
        ),
        (
            "no sign-in data for the secret",
            app(vec![secret(SECRET, 400)], vec![cert(30)], vec![]),
            vec![],
            false,
        ),
    ];
    for (name, a, facts, fires) in cases {
        let findings = run(a, usage(vec![report(), log(30)], facts), 90);
        let got = of(&findings, "secret-in-use-beside-replacement");
        assert_eq!(got.len(), usize::from(fires), "{name}: {got:?}");
        if fires {
            assert_eq!(got[0].severity, Severity::Medium);
            assert!(
                got[0].message.contains("still signs in"),
                "{}",
                got[0].message
            );
        }
    }
}

#[test]
fn remedies_use_the_evidence() {
    use CredentialType::*;
    use UsageSource::*;
    let beside = |facts: Vec<CredentialActivity>, sources: Vec<SourceStatus>| {
        let findings = run(
            app(vec![secret(SECRET, 400)], vec![cert(300)], vec![]),
            usage(sources, facts),
            90,
        );
        of(&findings, "secret-beside-stronger-credential")[0]
            .remedy
            .text()
            .to_string()
    };
    assert!(
        beside(
            vec![signed_in(CredentialReport, Secret, SECRET, 150)],
            vec![report()]
        )
        .starts_with("Safe to remove: unused for 150 days (the credential sign-in report)")
    );
    assert!(
        beside(
            vec![signed_in(CredentialReport, Secret, SECRET, 1)],
            vec![report()]
        )
        .starts_with("It still signs in: last sign-in 1d ago")
    );
    assert_eq!(
        beside(vec![], vec![]),
        "Confirm nothing uses the secret any more (sign-in logs; credwise's sign-in data: unknown, sign-in data not loaded), then remove it."
    );
    // An expired secret: safe to remove when unused; otherwise the old advice.
    let mut old = secret(SECRET, 500);
    old.end_date_time = Some(ago(10));
    let expired = |facts: Vec<CredentialActivity>| {
        let findings = run(
            app(vec![old.clone()], vec![], vec![]),
            usage(vec![report()], facts),
            90,
        );
        assert!(
            of(&findings, "credential-unused").is_empty(),
            "expired: its own rule"
        );
        of(&findings, "credential-expired")[0]
            .remedy
            .text()
            .to_string()
    };
    assert!(
        expired(vec![signed_in(CredentialReport, Secret, SECRET, 200)])
            .starts_with("Safe to remove: unused for 200 days")
    );
    assert!(expired(vec![]).starts_with("Remove it if nothing uses it any more"));
}
