//! Issue #10, item 6: one catalogue of calls. What a plan prints as a step's Graph/ARM calls is
//! what the live backend sends. Every kind of step a plan can hold — each `Change` (add/remove
//! a secret and a certificate; add/remove a FIC on an application and on a user-assigned
//! identity, classic and flexible; create/delete an identity, with and without FICs; add/remove
//! a role assignment, with and without a condition), each `Check`, and the lockout rule's
//! read — runs through `LiveBackend` against the emulator, and the requests the emulator
//! received (method, path, `api-version` and `$select`, body fields) are exactly the ones the
//! catalogue printed for it, in order. The only requests the live backend adds are the ones the
//! catalogue says it adds: the same request again after a status it names
//! (`Request::sent_again_after`), and a request marked `only_when`, in that case only.
//!
//! Then the plans themselves: every step of a real plan of each migration, printed with the
//! cloud's public hosts, is what the live backend sends for it. And the catalogue's bodies are
//! the published request examples (Graph API reference, ARM specification examples).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::Duration;

use common::NOW;
use common::conditions::{STORAGE_ACCOUNT, with_conditioned_assignment};
use common::migration::{Sample, certificate};
use credwise::backend::Backend;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig, RetrySettings};
use credwise::domain::calls::{self, Api, Body, Hosts, Request, When};
use credwise::domain::change::Target;
use credwise::domain::migration::safety::removes_access;
use credwise::domain::migration::{ApiCall, Plan, plan};
use credwise::domain::{
    Change, Check, CheckOutcome, FederatedIdentityCredential, KeyCredential, PasswordCredential,
    RoleAssignment, TenantSnapshot, UserAssignedIdentity,
};
use emulator::{Emulator, Fault, FaultAction, LoggedRequest, Matcher};
use serde_json::Value;

fn backend(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        retry: RetrySettings {
            max_retries: 4,
            initial_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(3),
            try_timeout: Duration::from_secs(10),
            max_connection_retries: 2,
            ..RetrySettings::default()
        },
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

/// The emulator serves Graph (`/v1.0`, `/beta`) and ARM at its root.
fn hosts(emu: &Emulator) -> Hosts {
    Hosts {
        graph: emu.base_url(),
        arm: emu.base_url(),
    }
}

fn prefix(api: Api) -> &'static str {
    match api {
        Api::GraphV1 => "/v1.0",
        Api::GraphBeta => "/beta",
        Api::Arm => "",
    }
}

/// One request as the catalogue printed it, and what it carries on the wire.
#[derive(Debug)]
struct Printed {
    call: ApiCall,
    path_and_query: String,
    /// The exact JSON body; `None`: no body.
    body: Option<Value>,
    again_after: &'static [u16],
}

/// What the catalogue prints for `requests` on the emulator's hosts, keeping the requests
/// marked `only_when` whose case `holds`; `keys` is what the certificate read before a
/// certificate PATCH answered.
fn printed(
    emu: &Emulator,
    requests: &[Request],
    holds: &[When],
    keys: Option<&[Value]>,
) -> Vec<Printed> {
    let hosts = hosts(emu);
    requests
        .iter()
        .filter(|r| r.only_when.is_none_or(|w| holds.contains(&w)))
        .map(|r| {
            let call = ApiCall::from_request(r, &hosts, keys.map(|k| k.len()));
            // The catalogue marks its reads and its conditional requests when it prints them.
            assert_eq!(call.read.is_some(), r.read_for.is_some());
            assert_eq!(call.only_when.is_some(), r.only_when.is_some());
            assert!(call.line().contains(&call.url));
            Printed {
                path_and_query: format!("{}{}", prefix(r.api), r.relative_url()),
                body: match &r.body {
                    None => None,
                    Some(Body::KeyCredentials(edit)) => Some(
                        edit.body(keys.expect("the keys read before the PATCH").to_vec())
                            .unwrap(),
                    ),
                    Some(b) => b.json(),
                },
                again_after: r.sent_again_after(),
                call,
            }
        })
        .collect()
}

fn same(r: &LoggedRequest, p: &Printed) -> bool {
    r.method == p.call.method && r.path_and_query == p.path_and_query
}

/// Asserts that the emulator received exactly `expected`, in order, allowing only the repeats
/// the catalogue names (a request answered with a status in its `sent_again_after`, followed by
/// the same request); returns how many such repeats there were.
fn assert_sent(emu: &Emulator, expected: &[Printed], scenario: &str) -> usize {
    let log = emu.requests();
    let shown = |log: &[LoggedRequest]| {
        log.iter()
            .map(|r| format!("{} {} -> {}", r.method, r.path_and_query, r.status))
            .collect::<Vec<_>>()
    };
    let mut i = 0;
    let mut repeats = 0;
    for (n, p) in expected.iter().enumerate() {
        while let (Some(r), Some(next)) = (log.get(i), log.get(i + 1))
            && same(r, p)
            && p.again_after.contains(&r.status)
            && same(next, p)
        {
            i += 1;
            repeats += 1;
        }
        let Some(r) = log.get(i) else {
            panic!(
                "{scenario}: request {} was printed but not sent: {}\nsent: {:#?}",
                n + 1,
                p.call.line(),
                shown(&log)
            );
        };
        assert!(
            same(r, p),
            "{scenario}: request {} printed as {}\nsent: {:#?}",
            n + 1,
            p.call.line(),
            shown(&log)
        );
        // The URL the user reads is the URL on the wire (these ids and names need no
        // percent-encoding), api-version and `$select` included.
        assert_eq!(
            format!("{}{}", emu.base_url(), r.path_and_query),
            p.call.url,
            "{scenario}"
        );
        match &p.body {
            None => assert!(
                r.body.is_empty(),
                "{scenario}: {} sent {}",
                p.call.line(),
                r.body
            ),
            Some(want) => {
                let got: Value = serde_json::from_str(&r.body).unwrap();
                assert_eq!(&got, want, "{scenario}: the body of {}", p.call.line());
                let text = p.call.body.as_deref().unwrap_or("");
                for key in want.as_object().unwrap().keys() {
                    assert!(
                        text.contains(&format!("\"{key}\"")),
                        "{scenario}: {key} is sent but not printed: {text}"
                    );
                }
            }
        }
        i += 1;
    }
    assert_eq!(
        i,
        log.len(),
        "{scenario}: sent but never printed: {:#?}",
        shown(&log[i..])
    );
    repeats
}

/// What a read of `r` answers now (the keys a certificate PATCH sends back), read beside the
/// backend; the log is cleared after it.
async fn answer(emu: &Emulator, r: &Request) -> Value {
    let url = format!("{}{}{}", emu.base_url(), prefix(r.api), r.relative_url());
    let v = reqwest::get(url).await.unwrap().json().await.unwrap();
    emu.clear_requests();
    v
}

/// Applies `change`, asserting that what was sent is what the catalogue prints for it.
async fn apply(
    emu: &Emulator,
    b: &LiveBackend,
    change: &Change,
    holds: &[When],
    scenario: &str,
) -> Change {
    let requests = calls::change(change).unwrap();
    let keys = match change {
        Change::AddKey { .. } | Change::RemoveKey { .. } => {
            let v = answer(emu, &requests[0]).await;
            Some(v["keyCredentials"].as_array().unwrap().clone())
        }
        _ => None,
    };
    let expected = printed(emu, &requests, holds, keys.as_deref());
    emu.clear_requests();
    let applied = b
        .apply(change)
        .await
        .unwrap_or_else(|e| panic!("{scenario}: {e}"));
    assert_sent(emu, &expected, scenario);
    emu.clear_requests();
    applied.undo
}

/// Asks `check`, asserting that what was read is what the catalogue prints for it.
async fn examine(
    emu: &Emulator,
    b: &LiveBackend,
    check: &Check,
    holds: &[When],
    scenario: &str,
) -> CheckOutcome {
    let expected = printed(emu, &calls::check(check).unwrap(), holds, None);
    emu.clear_requests();
    let outcome = b
        .examine(check)
        .await
        .unwrap_or_else(|e| panic!("{scenario}: {e}"));
    assert_sent(emu, &expected, scenario);
    emu.clear_requests();
    outcome
}

/// The demo tenant with a conditioned role assignment on invoice-worker's principal.
fn tenant() -> (TenantSnapshot, RoleAssignment) {
    with_conditioned_assignment(common::migration::demo_snapshot(), |_| {})
}

fn app(t: &TenantSnapshot, name: &str) -> String {
    t.applications
        .iter()
        .find(|a| a.display_name == name)
        .unwrap()
        .id
        .clone()
}

fn sp(t: &TenantSnapshot, name: &str) -> String {
    t.service_principals
        .iter()
        .find(|s| s.display_name == name)
        .unwrap()
        .id
        .clone()
}

fn uami(t: &TenantSnapshot, name: &str) -> UserAssignedIdentity {
    t.user_assigned_identities
        .iter()
        .find(|u| u.name == name)
        .unwrap()
        .clone()
}

fn classic(name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some(format!("repo:fabrikam/{name}:ref:refs/heads/main")),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: Some("main branch".into()),
    }
}

fn flexible(name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        subject: None,
        claims_matching_expression: Some(format!(
            "claims['sub'] matches 'repo:fabrikam/{name}:ref:refs/heads/*'"
        )),
        description: None,
        ..classic(name)
    }
}

#[tokio::test]
async fn every_change_sends_exactly_the_requests_the_catalogue_prints() {
    let (t, conditioned) = tenant();
    let emu = Emulator::start(t.clone()).await;
    let b = backend(&emu);
    let orders = Target::Application(app(&t, "orders-web"));
    let sap = Target::ServicePrincipal(sp(&t, "sap-erp-connector"));
    let shipments = uami(&t, "id-shipments-workload");
    let shipments_target = Target::UserAssignedIdentity(shipments.id.clone());

    // Secrets, on an application and on a service principal: add, then its undo (remove).
    for (target, what) in [(&orders, "application"), (&sap, "service principal")] {
        let undo = apply(
            &emu,
            &b,
            &Change::AddPassword {
                target: target.clone(),
                credential: PasswordCredential {
                    key_id: "ignored: Graph picks it".into(),
                    display_name: Some("rotation 2026-11".into()),
                    hint: None,
                    start_date_time: Some(NOW),
                    end_date_time: Some(NOW + time::Duration::days(90)),
                },
            },
            &[],
            &format!("add a secret to a {what}"),
        )
        .await;
        assert!(matches!(undo, Change::RemovePassword { .. }), "{undo:?}");
        apply(
            &emu,
            &b,
            &undo,
            &[],
            &format!("remove a secret from a {what}"),
        )
        .await;
    }

    // A certificate: added (the list read with its keys, PATCHed back whole with the new
    // one), then removed (read again, PATCHed without it).
    let cert = certificate();
    let add_key = Change::AddKey {
        target: orders.clone(),
        credential: KeyCredential {
            key_id: "6f1c9a38-21b4-4d7e-9c11-5e0d6a2b7c40".into(),
            display_name: Some(cert.subject.clone()),
            custom_key_identifier: None,
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
            start_date_time: Some(cert.not_before + time::Duration::seconds(1)),
            end_date_time: Some(cert.not_after - time::Duration::seconds(1)),
        },
        key: Some(cert.der_base64.clone()),
    };
    let undo = apply(&emu, &b, &add_key, &[], "add a certificate").await;
    apply(&emu, &b, &undo, &[], "remove a certificate").await;

    // Federated credentials: classic and flexible, on an application (v1.0, beta) and on a
    // user-assigned identity (the ARM preview); removed (read whole first, for the undo), and
    // the removal undone.
    for (target, on) in [
        (&orders, "an application"),
        (&shipments_target, "a user-assigned identity"),
    ] {
        for fic in [classic("calls-classic"), flexible("calls-flexible")] {
            let kind = if fic.subject.is_some() {
                "classic"
            } else {
                "flexible"
            };
            let add = Change::AddFederatedCredential {
                target: target.clone(),
                credential: fic.clone(),
            };
            let remove = apply(&emu, &b, &add, &[], &format!("add a {kind} FIC to {on}")).await;
            let restore = apply(
                &emu,
                &b,
                &remove,
                &[],
                &format!("remove a {kind} FIC from {on}"),
            )
            .await;
            let Change::AddFederatedCredential { credential, .. } = &restore else {
                panic!("{restore:?}")
            };
            assert_eq!(
                credential.claims_matching_expression,
                fic.claims_matching_expression
            );
            apply(
                &emu,
                &b,
                &restore,
                &[],
                &format!("restore a {kind} FIC on {on}"),
            )
            .await;
        }
    }

    // User-assigned identities: created bare, deleted (read with its FICs first); created with
    // FICs (one PUT each), deleted, and the deletion undone (the identity with its FICs).
    let rg = shipments.id[..shipments.id.find("/providers/").unwrap()].to_string();
    let identity = |name: &str, fics: Vec<FederatedIdentityCredential>| UserAssignedIdentity {
        id: format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"),
        name: name.into(),
        location: Some("westeurope".into()),
        principal_id: String::new(),
        client_id: String::new(),
        tenant_id: None,
        tags: Default::default(),
        federated_identity_credentials: fics,
    };
    let delete = apply(
        &emu,
        &b,
        &Change::CreateUserAssignedIdentity {
            identity: identity("id-calls-bare", vec![]),
        },
        &[],
        "create an identity",
    )
    .await;
    apply(&emu, &b, &delete, &[], "delete an identity").await;
    let mut tagged = identity(
        "id-calls-fics",
        vec![classic("calls-classic"), flexible("calls-flexible")],
    );
    tagged.tags.insert("owner".into(), "platform".into());
    let delete = apply(
        &emu,
        &b,
        &Change::CreateUserAssignedIdentity { identity: tagged },
        &[],
        "create an identity with FICs and tags",
    )
    .await;
    let recreate = apply(&emu, &b, &delete, &[], "delete an identity with FICs").await;
    let Change::CreateUserAssignedIdentity { identity: read } = &recreate else {
        panic!("{recreate:?}")
    };
    assert_eq!(read.federated_identity_credentials.len(), 2);
    apply(
        &emu,
        &b,
        &recreate,
        &[],
        "undo the deletion of an identity with FICs",
    )
    .await;

    // Role assignments, without and with a condition (copied to another principal, as
    // secret-to-managed-identity does): added, removed (read first, condition included), and
    // the removal undone.
    for (principal, condition, kind) in [
        ("id-invoices-logic", None, "a role assignment"),
        (
            "id-payroll-batch",
            conditioned.condition.clone(),
            "a conditioned role assignment",
        ),
    ] {
        let assignment = RoleAssignment {
            id: format!(
                "{STORAGE_ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/{}",
                if condition.is_some() {
                    "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
                } else {
                    "3a9d2c1e-4b5f-4e6a-8c7d-9e0f1a2b3c4d"
                }
            ),
            principal_id: sp(&t, principal),
            condition_version: condition.as_ref().map(|_| "2.0".to_string()),
            description: condition.as_ref().map(|_| "one container".to_string()),
            condition,
            ..conditioned.clone()
        };
        let add = Change::AddRoleAssignment {
            assignment: assignment.clone(),
        };
        let remove = apply(&emu, &b, &add, &[], &format!("add {kind}")).await;
        let restore = apply(&emu, &b, &remove, &[], &format!("remove {kind}")).await;
        let Change::AddRoleAssignment { assignment: read } = &restore else {
            panic!("{restore:?}")
        };
        assert_eq!(read.condition, assignment.condition);
        apply(&emu, &b, &restore, &[], &format!("restore {kind}")).await;
    }
}

#[tokio::test]
async fn every_check_and_the_lockout_read_read_exactly_what_the_catalogue_prints() {
    let (t, conditioned) = tenant();
    let emu = Emulator::start(t.clone()).await;
    let b = backend(&emu);
    let payroll_id = app(&t, "payroll-api");
    let payroll = Target::Application(payroll_id.clone());
    let orders = Target::Application(app(&t, "orders-web"));
    let sap = Target::ServicePrincipal(sp(&t, "sap-erp-connector"));
    let shipments = uami(&t, "id-shipments-workload");
    let shipments_target = Target::UserAssignedIdentity(shipments.id.clone());
    let secret = t
        .applications
        .iter()
        .find(|a| a.id == payroll_id)
        .unwrap()
        .password_credentials[0]
        .key_id
        .to_string();
    let app_fic = t
        .applications
        .iter()
        .find(|a| a.id == payroll_id)
        .unwrap()
        .federated_identity_credentials[0]
        .clone();
    let orders_key = t
        .applications
        .iter()
        .find(|a| a.display_name == "orders-web")
        .unwrap()
        .key_credentials[0]
        .clone();

    // A flexible FIC on the application and on the identity, so both kinds are read.
    let undo_app = b
        .apply(&Change::AddFederatedCredential {
            target: payroll.clone(),
            credential: flexible("calls-flexible"),
        })
        .await
        .unwrap();
    let undo_uami = b
        .apply(&Change::AddFederatedCredential {
            target: shipments_target.clone(),
            credential: flexible("calls-flexible"),
        })
        .await
        .unwrap();
    emu.clear_requests();

    let holds = |o: CheckOutcome| o == CheckOutcome::Holds;
    let none: &[When] = &[];
    let fic_name: &[When] = &[When::NotASecretOrCertificate];
    let cases: Vec<(Check, &[When], bool, &str)> = vec![
        (
            Check::CredentialPresent {
                target: payroll.clone(),
                id: secret.clone(),
            },
            none,
            true,
            "a secret is present (found among the secrets: one read)",
        ),
        (
            Check::CredentialPresent {
                target: payroll.clone(),
                id: app_fic.name.clone(),
            },
            fic_name,
            true,
            "a FIC is present by name (not a secret: the FICs are read too)",
        ),
        (
            Check::CredentialAbsent {
                target: payroll.clone(),
                id: "0d5e6f70-0000-4000-8000-000000000000".into(),
            },
            fic_name,
            true,
            "a removed secret is gone (both reads)",
        ),
        (
            Check::CredentialPresent {
                target: sap.clone(),
                id: t
                    .service_principals
                    .iter()
                    .find(|s| s.display_name == "sap-erp-connector")
                    .unwrap()
                    .password_credentials[0]
                    .key_id
                    .to_string(),
            },
            none,
            true,
            "a service principal's secret is present",
        ),
        (
            Check::CredentialPresent {
                target: shipments_target.clone(),
                id: "calls-flexible".into(),
            },
            none,
            true,
            "an identity's FIC is present",
        ),
        (
            Check::CertificateMatches {
                target: orders.clone(),
                key_id: orders_key.key_id.to_string(),
                thumbprint: orders_key.thumbprint(),
            },
            none,
            true,
            "an application's certificate matches",
        ),
        (
            Check::CertificateMatches {
                target: sap.clone(),
                key_id: "a9b8c7d6-0000-4000-8000-000000000000".into(),
                thumbprint: None,
            },
            none,
            false,
            "a service principal's certificate is missing",
        ),
        (
            Check::FederatedCredentialMatches {
                target: payroll.clone(),
                credential: app_fic.clone(),
            },
            none,
            true,
            "an application's classic FIC matches",
        ),
        (
            Check::FederatedCredentialMatches {
                target: payroll.clone(),
                credential: flexible("calls-flexible"),
            },
            none,
            true,
            "an application's flexible FIC matches (read from beta)",
        ),
        (
            Check::FederatedCredentialMatches {
                target: shipments_target.clone(),
                credential: shipments.federated_identity_credentials[0].clone(),
            },
            none,
            true,
            "an identity's classic FIC matches",
        ),
        (
            Check::FederatedCredentialMatches {
                target: shipments_target.clone(),
                credential: flexible("calls-flexible"),
            },
            none,
            true,
            "an identity's flexible FIC matches (read at the preview)",
        ),
        (
            Check::FederatedCredentialMatches {
                target: sap.clone(),
                credential: classic("calls-classic"),
            },
            none,
            false,
            "a service principal holds no FIC (nothing is read)",
        ),
        (
            Check::UserAssignedIdentityPresent {
                id: shipments.id.clone(),
            },
            none,
            true,
            "an identity is present",
        ),
        (
            Check::UserAssignedIdentityMatches {
                id: shipments.id.clone(),
                principal_id: Some(shipments.principal_id.clone()),
                client_id: Some(shipments.client_id.clone()),
            },
            none,
            true,
            "an identity matches its ids",
        ),
        (
            Check::RoleAssignmentPresent {
                id: conditioned.id.clone(),
            },
            none,
            true,
            "a role assignment is present",
        ),
        (
            Check::RoleAssignmentMatches {
                assignment: conditioned.clone(),
            },
            none,
            true,
            "a conditioned role assignment matches, condition included",
        ),
        (
            Check::RoleAssignmentMatches {
                assignment: RoleAssignment {
                    condition: None,
                    condition_version: None,
                    ..conditioned.clone()
                },
            },
            none,
            false,
            "the same assignment without its condition does not match",
        ),
    ];
    for (check, conditions, expected, scenario) in cases {
        let outcome = examine(&emu, &b, &check, conditions, scenario).await;
        assert_eq!(holds(outcome.clone()), expected, "{scenario}: {outcome:?}");
    }

    // The lockout rule's read of an application, a service principal and an identity.
    for (target, scenario) in [
        (&payroll, "the lockout read of an application"),
        (&sap, "the lockout read of a service principal"),
        (&shipments_target, "the lockout read of an identity"),
    ] {
        let reads = calls::credentials(target).unwrap();
        let expected = printed(
            &emu,
            &reads.requests().into_iter().cloned().collect::<Vec<_>>(),
            &[],
            None,
        );
        let got = b.credentials(target).await.unwrap();
        assert_sent(&emu, &expected, scenario);
        emu.clear_requests();
        if target == &payroll || target == &shipments_target {
            assert!(
                got.federated
                    .iter()
                    .any(|f| f.claims_matching_expression.is_some()),
                "{scenario}: {got:?}"
            );
        }
    }
    b.apply(&undo_app.undo).await.unwrap();
    b.apply(&undo_uami.undo).await.unwrap();
}

#[tokio::test]
async fn the_requests_the_catalogue_sends_only_in_some_cases_and_its_repeats() {
    let (t, conditioned) = tenant();
    let emu = Emulator::start(t.clone()).await;
    let b = backend(&emu);
    let copy = |name: &str| RoleAssignment {
        id: format!("{STORAGE_ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        principal_id: sp(&t, "id-invoices-logic"),
        ..conditioned.clone()
    };

    // ARM's answer to the PUT is not the assignment: it is read back.
    let a = copy("1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b");
    emu.inject(Fault::new(
        Matcher::new("PUT", "/roleAssignments/1e2f3a4b"),
        FaultAction::Status {
            status: 201,
            headers: vec![],
            body: String::new(),
        },
    ));
    let expected = printed(
        &emu,
        &calls::change(&Change::AddRoleAssignment {
            assignment: a.clone(),
        })
        .unwrap(),
        &[When::AnswerIsNotTheAssignment],
        None,
    );
    // The fault answered in place of the emulator: nothing was created, so the read back
    // finds nothing, and a conditioned assignment ARM does not show is not trusted.
    let err = b
        .apply(&Change::AddRoleAssignment {
            assignment: a.clone(),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("did not show"), "{err}");
    let expected: Vec<Printed> = expected
        .into_iter()
        .chain(printed(
            &emu,
            &[calls::add_role_assignment(&a).unwrap().take_back],
            &[When::ConditionNotKept],
            None,
        ))
        .collect();
    assert_sent(&emu, &expected, "an answer that is not the assignment");
    emu.clear_requests();

    // ARM kept the assignment without its condition: it is deleted again.
    let a = copy("2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c");
    let answered = serde_json::json!({
        "id": a.id,
        "name": "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c",
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": a.role_definition_id,
            "principalId": a.principal_id,
            "principalType": "ServicePrincipal",
            "scope": a.scope,
        }
    });
    emu.inject(Fault::new(
        Matcher::new("PUT", "/roleAssignments/2f3a4b5c"),
        FaultAction::Status {
            status: 201,
            headers: vec![],
            body: answered.to_string(),
        },
    ));
    let expected = printed(
        &emu,
        &calls::change(&Change::AddRoleAssignment {
            assignment: a.clone(),
        })
        .unwrap(),
        &[When::ConditionNotKept],
        None,
    );
    let err = b
        .apply(&Change::AddRoleAssignment { assignment: a })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("without its condition"), "{err}");
    assert_sent(&emu, &expected, "a condition ARM did not keep");
    emu.clear_requests();

    // A new identity's FIC that ARM refuses: the identity is deleted again.
    let shipments = uami(&t, "id-shipments-workload");
    let rg = &shipments.id[..shipments.id.find("/providers/").unwrap()];
    let identity = UserAssignedIdentity {
        id: format!(
            "{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-calls-refused"
        ),
        name: "id-calls-refused".into(),
        location: Some("westeurope".into()),
        principal_id: String::new(),
        client_id: String::new(),
        tenant_id: None,
        tags: Default::default(),
        federated_identity_credentials: vec![classic("calls-classic"), flexible("calls-flexible")],
    };
    emu.inject(Fault::new(
        Matcher::new("PUT", "/federatedIdentityCredentials/calls-flexible"),
        FaultAction::Status {
            status: 400,
            headers: vec![],
            body: emulator::arm_error("BadRequest", "refused"),
        },
    ));
    let change = Change::CreateUserAssignedIdentity { identity };
    let expected = printed(
        &emu,
        &calls::change(&change).unwrap(),
        &[When::CredentialRefused],
        None,
    );
    assert!(b.apply(&change).await.is_err());
    assert_sent(&emu, &expected, "a refused FIC of a new identity");
    assert!(
        !emu.snapshot()
            .user_assigned_identities
            .iter()
            .any(|u| u.name == "id-calls-refused")
    );
    emu.clear_requests();

    // A write answered 429 is sent again after its Retry-After; a read answered 503 too. The
    // catalogue says so (`sent_again_after`), and nothing else is added.
    let orders = Target::Application(app(&t, "orders-web"));
    emu.inject(Fault::new(
        Matcher::new("POST", "/addPassword"),
        FaultAction::Throttle {
            retry_after: "0.01".into(),
        },
    ));
    let add = Change::AddPassword {
        target: orders.clone(),
        credential: PasswordCredential {
            key_id: Default::default(),
            display_name: Some("after a 429".into()),
            hint: None,
            start_date_time: None,
            end_date_time: None,
        },
    };
    let expected = printed(&emu, &calls::change(&add).unwrap(), &[], None);
    let undo = b.apply(&add).await.unwrap().undo;
    assert_eq!(assert_sent(&emu, &expected, "a throttled write"), 1);
    emu.clear_requests();
    emu.inject(Fault::new(
        Matcher::new("GET", "/applications/"),
        FaultAction::Status {
            status: 503,
            headers: vec![],
            body: emulator::graph_error("ServiceUnavailable", "try again"),
        },
    ));
    let expected = printed(&emu, &calls::change(&undo).unwrap(), &[], None);
    b.apply(&undo).await.unwrap();
    assert_eq!(assert_sent(&emu, &expected, "a read answered 503"), 1);
    emu.clear_requests();

    // A write answered 503 is not sent again (it may have taken effect): the catalogue does
    // not name 503 for writes, and the backend fails instead.
    emu.inject(Fault::new(
        Matcher::new("POST", "/addPassword"),
        FaultAction::Status {
            status: 503,
            headers: vec![],
            body: emulator::graph_error("ServiceUnavailable", "try again"),
        },
    ));
    assert!(b.apply(&add).await.is_err());
    let sent = emu.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        !calls::add_password(
            &orders,
            &PasswordCredential {
                key_id: Default::default(),
                display_name: None,
                hint: None,
                start_date_time: None,
                end_date_time: None,
            }
        )
        .unwrap()
        .sent_again_after()
        .contains(&503)
    );
}

/// The cloud's public hosts, as plans print them, swapped for the emulator's.
fn on_emulator(emu: &Emulator, call: &ApiCall) -> ApiCall {
    let public = Hosts::public(credwise::domain::Cloud::Public);
    ApiCall {
        url: call
            .url
            .replace(&public.graph, &emu.base_url())
            .replace(&public.arm, &emu.base_url()),
        ..call.clone()
    }
}

/// Asserts that what the emulator received is `calls` as a plan printed them, in order; a
/// call printed "only when …" may be absent.
fn assert_plan_sent(emu: &Emulator, calls: &[ApiCall], scenario: &str) {
    let log = emu.requests();
    let mut i = 0;
    for call in calls {
        let call = on_emulator(emu, call);
        let Some(r) = log.get(i) else {
            assert!(
                call.only_when.is_some(),
                "{scenario}: printed, not sent: {}",
                call.line()
            );
            continue;
        };
        let url = format!("{}{}", emu.base_url(), r.path_and_query);
        if r.method != call.method || url != call.url {
            assert!(
                call.only_when.is_some(),
                "{scenario}: printed {}, sent {} {}",
                call.line(),
                r.method,
                r.path_and_query
            );
            continue;
        }
        match &call.body {
            None => assert!(
                r.body.is_empty(),
                "{scenario}: {} sent {}",
                call.line(),
                r.body
            ),
            Some(text) => {
                let got: Value = serde_json::from_str(&r.body).unwrap();
                // The printed body is the JSON sent, unless it carries a note or stands for
                // what a read returned (the certificates a PATCH sends back).
                let json = text.rfind("} (").map_or(text.as_str(), |at| &text[..=at]);
                match serde_json::from_str::<Value>(json) {
                    Ok(printed) => assert_eq!(printed, got, "{scenario}: {}", call.line()),
                    Err(_) => {
                        let keys = got["keyCredentials"].as_array().unwrap();
                        if let Some(at) = text.find("without keyId ") {
                            let id = text[at + 14..].trim_end_matches(&[']', '}'][..]);
                            assert!(keys.iter().all(|k| k["keyId"] != id), "{scenario}");
                        } else {
                            assert!(
                                text.contains(&format!("the {} existing", keys.len() - 1)),
                                "{scenario}: {text}"
                            );
                            let new = keys.last().unwrap();
                            for (k, v) in new.as_object().unwrap() {
                                if k != "key" {
                                    assert!(
                                        text.contains(&format!("\"{k}\": {v}")),
                                        "{scenario}: {k} = {v} is sent but not printed: {text}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        i += 1;
    }
    assert_eq!(
        i,
        log.len(),
        "{scenario}: sent but never printed: {:#?}",
        log[i..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.path_and_query))
            .collect::<Vec<_>>()
    );
}

/// Every step of a real plan of each migration, as the run takes it: its precondition, the
/// lockout rule's read before a removal, the action, the verification — each sends exactly
/// what the plan printed for it (the "Requires:", "Call:" and "Verify:" lines).
#[tokio::test]
async fn every_step_of_every_plan_sends_what_the_plan_printed() {
    for sample in Sample::ALL {
        let (t, _) = tenant();
        let emu = Emulator::start(t.clone()).await;
        let b = backend(&emu);
        let mut plan: Plan = sample.plan(&t, "all");
        assert!(plan.refused.is_empty(), "{sample:?}: {:?}", plan.refused);
        for i in 0..plan.steps.len() {
            let step = plan.steps[i].clone();
            let scenario = format!("{sample:?} step {}: {}", i + 1, step.title);
            if let Some(p) = &step.precondition {
                emu.clear_requests();
                assert_eq!(
                    b.examine(p).await.unwrap(),
                    CheckOutcome::Holds,
                    "{scenario}"
                );
                assert_plan_sent(&emu, &plan::check_calls(p, plan.cloud), &scenario);
            }
            emu.clear_requests();
            if removes_access(&step.action) {
                b.credentials(&plan.identity.target).await.unwrap();
            }
            let applied = b
                .apply(&step.action)
                .await
                .unwrap_or_else(|e| panic!("{scenario}: {e}"));
            assert_plan_sent(&emu, &step.calls, &scenario);
            if let Some(created) = &applied.created {
                plan.rebind(&created.principal_id, &created.client_id);
            }
            let step = plan.steps[i].clone();
            emu.clear_requests();
            assert_eq!(
                b.examine(&step.verification).await.unwrap(),
                CheckOutcome::Holds,
                "{scenario}"
            );
            assert_plan_sent(
                &emu,
                &plan::check_calls(&step.verification, plan.cloud),
                &scenario,
            );
        }
    }
}

fn published(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The path and api-version of an ARM specification example, from its parameters and the
/// operation's path template.
fn spec_url(example: &Value, template: &str) -> String {
    let p = &example["parameters"];
    let mut path = template.to_string();
    for (k, v) in p.as_object().unwrap() {
        if let Some(v) = v.as_str() {
            path = path.replace(&format!("{{{k}}}"), v);
        }
    }
    format!("{path}?api-version={}", p["api-version"].as_str().unwrap())
}

fn arm_body(example: &Value) -> &Value {
    &example["parameters"]["parameters"]
}

/// The catalogue's bodies are the published request examples, field for field, and its ARM
/// paths are the specification's path templates: Graph's API reference (addPassword,
/// removePassword, POST federatedIdentityCredentials, the keyCredentials PATCH of
/// "add a certificate"), GitLab's published beta body of a flexible FIC, and the ARM
/// specification examples (identity create, FIC create at a stable version and a flexible one
/// at the preview, role assignment create with and without a condition, as the Azure CLI
/// recorded it, and delete).
#[test]
fn the_catalogue_sends_the_published_request_shapes() {
    let app = Target::Application("a1".into());
    let body = |r: &Request| r.body.as_ref().unwrap().json().unwrap();

    // Graph v1.0 api/application-addpassword.md.
    let add = calls::add_password(
        &app,
        &PasswordCredential {
            key_id: Default::default(),
            display_name: Some("Password friendly name".into()),
            hint: None,
            start_date_time: None,
            end_date_time: None,
        },
    )
    .unwrap();
    assert_eq!(body(&add), published("graph-addpassword-request.json"));
    assert_eq!(add.relative_url(), "/applications/a1/addPassword");

    // Graph v1.0 api/application-removepassword.md.
    let remove = calls::remove_password(&app, "f0b0b335-1d71-4883-8f98-567911bfdca6")
        .unwrap()
        .write;
    assert_eq!(
        body(&remove),
        published("graph-removepassword-request.json")
    );
    assert_eq!(remove.relative_url(), "/applications/a1/removePassword");

    // Graph v1.0 api/application-post-federatedidentitycredentials.md.
    let fic_request = published("graph-fic-create-request.json");
    let fic: FederatedIdentityCredential = serde_json::from_value(fic_request.clone()).unwrap();
    let post = calls::add_federated_credential(&app, &fic).unwrap();
    assert_eq!((post.api, body(&post)), (Api::GraphV1, fic_request));
    assert_eq!(
        post.relative_url(),
        "/applications/a1/federatedIdentityCredentials"
    );

    // GitLab's beta body of a flexible FIC: the same, without its `"subject": null`.
    let mut flexible_request = published("graph-beta-fic-flexible-create-request.json");
    let flexible = FederatedIdentityCredential {
        id: None,
        name: flexible_request["name"].as_str().unwrap().into(),
        issuer: flexible_request["issuer"].as_str().unwrap().into(),
        subject: None,
        claims_matching_expression: Some(
            flexible_request["claimsMatchingExpression"]["value"]
                .as_str()
                .unwrap()
                .into(),
        ),
        audiences: vec![flexible_request["audiences"][0].as_str().unwrap().into()],
        description: Some(flexible_request["description"].as_str().unwrap().into()),
    };
    let post = calls::add_federated_credential(&app, &flexible).unwrap();
    flexible_request.as_object_mut().unwrap().remove("subject");
    assert_eq!((post.api, body(&post)), (Api::GraphBeta, flexible_request));

    // Graph concepts/applications-how-to-add-certificate.md: the PATCH of keyCredentials.
    let patch_request = published("graph-application-patch-keycredentials-request.json");
    let entry = &patch_request["keyCredentials"][0];
    let date = |k: &str| {
        time::OffsetDateTime::parse(
            entry[k].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let mut with_key_id = patch_request.clone();
    let key_id = "9c4a1b2d-0000-4000-8000-000000000000";
    with_key_id["keyCredentials"][0]["keyId"] = key_id.into();
    let add_key = calls::add_key(
        &app,
        &KeyCredential {
            key_id: key_id.into(),
            display_name: Some(entry["displayName"].as_str().unwrap().into()),
            custom_key_identifier: Some(entry["customKeyIdentifier"].as_str().unwrap().into()),
            key_type: Some(entry["type"].as_str().unwrap().into()),
            usage: Some(entry["usage"].as_str().unwrap().into()),
            start_date_time: Some(date("startDateTime")),
            end_date_time: Some(date("endDateTime")),
        },
        entry["key"].as_str(),
    )
    .unwrap();
    let Some(Body::KeyCredentials(edit)) = &add_key.write.body else {
        panic!("{add_key:?}")
    };
    // The published body carries no keyId (Graph makes one); credwise names its own.
    assert_eq!(edit.body(vec![]).unwrap(), with_key_id);
    assert_eq!(
        add_key.read.relative_url(),
        "/applications/a1?$select=keyCredentials"
    );
    assert_eq!(add_key.write.relative_url(), "/applications/a1");

    // ARM (A-msi): UserAssignedIdentities_CreateOrUpdate at 2024-11-30.
    const IDENTITY: &str = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}";
    let example = published("arm-uami-create-2024-11-30.json");
    let id = spec_url(&example, IDENTITY);
    let id = &id[..id.find('?').unwrap()];
    let create = calls::create_identity(&UserAssignedIdentity {
        id: id.into(),
        name: "resourceName".into(),
        location: Some("eastus".into()),
        principal_id: String::new(),
        client_id: String::new(),
        tenant_id: None,
        tags: serde_json::from_value(arm_body(&example)["tags"].clone()).unwrap(),
        federated_identity_credentials: vec![],
    })
    .unwrap()
    .create;
    assert_eq!(&body(&create), arm_body(&example));
    assert_eq!(create.relative_url(), spec_url(&example, IDENTITY));

    // FederatedIdentityCredentials_CreateOrUpdate: a classic FIC (the stable example: the
    // same body; credwise sends it at the preview) and a flexible one at the preview.
    let fic_template = format!(
        "{IDENTITY}/federatedIdentityCredentials/{{federatedIdentityCredentialResourceName}}"
    );
    for (name, same_version) in [
        ("arm-uami-fic-create-2023-01-31.json", false),
        ("arm-uami-flexible-fic-create-2025-01-31-preview.json", true),
    ] {
        let example = published(name);
        let properties = &arm_body(&example)["properties"];
        let fic = FederatedIdentityCredential {
            id: None,
            name: "ficResourceName".into(),
            issuer: properties["issuer"].as_str().unwrap().into(),
            subject: properties["subject"].as_str().map(str::to_string),
            claims_matching_expression: properties["claimsMatchingExpression"]["value"]
                .as_str()
                .map(str::to_string),
            audiences: vec![properties["audiences"][0].as_str().unwrap().into()],
            description: None,
        };
        let identity = spec_url(&example, IDENTITY);
        let identity = &identity[..identity.find('?').unwrap()];
        let put =
            calls::add_federated_credential(&Target::UserAssignedIdentity(identity.into()), &fic)
                .unwrap();
        assert_eq!(&body(&put), arm_body(&example), "{name}");
        let url = spec_url(&example, &fic_template);
        let path = &url[..url.find('?').unwrap()];
        assert_eq!(
            put.relative_url(),
            format!("{path}?api-version={}", calls::MSI_FIC_API),
            "{name}"
        );
        if same_version {
            assert_eq!(put.relative_url(), url, "{name}");
        }
    }

    // A-authz RoleAssignments_Create at 2022-04-01: the specification's example and the
    // conditioned one the Azure CLI recorded against the real service.
    const ASSIGNMENT: &str =
        "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}";
    for name in [
        "arm-role-assignment-create-2022-04-01.json",
        "arm-role-assignment-create-condition-2022-04-01.json",
    ] {
        let example = published(name);
        let p = &arm_body(&example)["properties"];
        let text = |k: &str| p[k].as_str().map(str::to_string);
        let url = spec_url(&example, ASSIGNMENT);
        let assignment = RoleAssignment {
            id: url[..url.find('?').unwrap()].into(),
            principal_id: text("principalId").unwrap(),
            principal_type: text("principalType").map(Into::into),
            role_definition_id: text("roleDefinitionId").unwrap().into(),
            role_definition_name: None,
            scope: format!("/{}", example["parameters"]["scope"].as_str().unwrap()).into(),
            condition: text("condition"),
            condition_version: text("conditionVersion"),
            description: text("description"),
            delegated_managed_identity_resource_id: None,
        };
        let put = calls::add_role_assignment(&assignment).unwrap().create;
        assert_eq!(&body(&put), arm_body(&example), "{name}");
        assert_eq!(put.relative_url(), url, "{name}");
    }
    let example = published("arm-role-assignment-delete-2022-04-01.json");
    let url = spec_url(&example, ASSIGNMENT);
    let delete = calls::remove_role_assignment(&url[..url.find('?').unwrap()])
        .unwrap()
        .write;
    assert_eq!(delete.relative_url(), url);
}

/// `migrate … --output json` carries each step's calls as the plan prints them: `method`,
/// `url`, `body`, and `read` / `onlyWhen` where they apply — the removal step's reads
/// (the lockout rule's, then the undo's) before its write, and the verification's FIC read
/// from beta.
#[test]
fn the_plans_calls_are_in_its_json() {
    let out = common::cli::ok(&[
        "migrate",
        "secret-to-fic",
        "--demo",
        "--identity",
        "invoice-worker",
        "--github-repo",
        "fabrikam/invoice-worker",
        "--environment",
        "production",
        "--remove-secrets",
        "all",
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let plan = Sample::FicGitHub.plan(&common::migration::demo_snapshot(), "all");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), plan.steps.len());
    for (json, step) in steps.iter().zip(&plan.steps) {
        let calls: Vec<ApiCall> = serde_json::from_value(json["calls"].clone()).unwrap();
        assert_eq!(calls, step.calls, "{}", step.title);
    }
    let removal = steps[1]["calls"].as_array().unwrap();
    let methods: Vec<&str> = removal
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["GET", "GET", "GET", "GET", "POST"]);
    assert!(removal[..4].iter().all(|c| c["read"].is_string()));
    assert!(removal[4].get("read").is_none() && removal[4].get("onlyWhen").is_none());
    assert!(
        removal[4]["url"]
            .as_str()
            .unwrap()
            .ends_with("/removePassword")
    );
    let verify = plan::check_calls(&plan.steps[0].verification, plan.cloud);
    assert_eq!(verify.len(), 1);
    assert!(
        verify[0]
            .url
            .starts_with("https://graph.microsoft.com/beta/applications/"),
        "{}",
        verify[0].url
    );
    let gone = plan::check_calls(&plan.steps[1].verification, plan.cloud);
    assert_eq!(gone.len(), 2);
    assert!(gone[0].only_when.is_none() && gone[1].only_when.is_some());
}
