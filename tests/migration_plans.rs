//! Migration plans, pure: the federated credential rules and presets as tables, each form's
//! per-field validation, the plan invariants (secret removals last, guarded by the new
//! credential), the guidance templates, rebinding Azure's ids, and the property "apply every
//! step, then every undo in reverse, leaves the tenant unchanged" for every migration kind over
//! generated inputs.
#![allow(clippy::unwrap_used)]

mod common;

use common::NOW;
use common::conditions::{CONTAINER_CONDITION, STORAGE_ACCOUNT};
use common::migration::{Sample, certificate, ctx, demo_snapshot, normalized};
use credwise::domain::change::Target;
use credwise::domain::migration::fic_preset::{
    self, FicPreset, GitHubRef, audience_for, entra_issuer, github_subject, kubernetes_subject,
};
use credwise::domain::migration::guidance::{TAGS, VARIABLES, Vars};
use credwise::domain::migration::{
    CertificateForm, FicForm, ManagedIdentityForm, MigrationKind, Plan, SequentialIds,
};
use credwise::domain::objects::{ServicePrincipal, ServicePrincipalType, UserAssignedIdentity};
use credwise::domain::{
    Application, Change, Cloud, Directory, FederatedIdentityCredential, PasswordCredential,
    TenantSnapshot,
};
use credwise::jobs::migrate;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// FIC rules
// ---------------------------------------------------------------------------------------------

#[test]
fn fic_name_rule() {
    let long = "a".repeat(120);
    let too_long = "a".repeat(121);
    for (name, ok) in [
        ("abc", true),
        ("github-main_1", true),
        ("9lives", true),
        (long.as_str(), true),
        ("ab", false),
        (too_long.as_str(), false),
        ("-abc", false),
        ("_abc", false),
        ("has space", false),
        ("dot.name", false),
        ("ünï", false),
        ("", false),
    ] {
        assert_eq!(fic_preset::validate_name(name).is_ok(), ok, "{name:?}");
    }
}

#[test]
fn fic_issuer_rule() {
    let long = format!("https://example.com/{}", "a".repeat(600));
    for (issuer, ok) in [
        ("https://token.actions.githubusercontent.com", true),
        ("https://westeurope.oic.prod-aks.azure.com/t/i/", true),
        ("https://login.microsoftonline.com/t/v2.0", true),
        ("https://localhost:8443/issuer", true),
        ("http://token.actions.githubusercontent.com", false),
        ("token.actions.githubusercontent.com", false),
        (" https://example.com", false),
        ("https://example.com ", false),
        ("https://exa mple.com", false),
        ("https://", false),
        ("https:///path", false),
        ("https://bad_host!/x", false),
        (long.as_str(), false),
        ("", false),
    ] {
        assert_eq!(
            fic_preset::validate_issuer(issuer).is_ok(),
            ok,
            "{issuer:?}"
        );
    }
}

#[test]
fn fic_subject_rule() {
    let max = "s".repeat(600);
    let over = "s".repeat(601);
    for (subject, ok) in [
        ("repo:o/r:ref:refs/heads/main", true),
        ("system:serviceaccount:ns:sa", true),
        (max.as_str(), true),
        (over.as_str(), false),
        ("", false),
        (" leading", false),
        ("trailing ", false),
        ("repo:o/r:ref:refs/heads/*", false),
        ("tab\tinside", false),
    ] {
        assert_eq!(
            fic_preset::validate_subject(subject).is_ok(),
            ok,
            "{subject:?}"
        );
    }
}

#[test]
fn fic_audience_rule_is_exactly_one() {
    assert!(fic_preset::validate_audience("api://AzureADTokenExchange").is_ok());
    for bad in ["", "api://a,api://b", "api://a api://b", &"a".repeat(601)] {
        assert!(fic_preset::validate_audience(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn github_subjects_per_ref_and_immutable_form() {
    let repo = "contoso/payments-api";
    let cases = [
        (
            GitHubRef::Branch("main".into()),
            "repo:contoso/payments-api:ref:refs/heads/main",
        ),
        (
            GitHubRef::Environment("prod".into()),
            "repo:contoso/payments-api:environment:prod",
        ),
        (
            GitHubRef::Tag("v1.2".into()),
            "repo:contoso/payments-api:ref:refs/tags/v1.2",
        ),
        (
            GitHubRef::PullRequest,
            "repo:contoso/payments-api:pull_request",
        ),
    ];
    for (r, want) in &cases {
        assert_eq!(github_subject(repo, r, None), *want);
    }
    assert_eq!(
        github_subject(
            repo,
            &GitHubRef::Branch("main".into()),
            Some(("5544123", "821093847"))
        ),
        "repo:contoso@5544123/payments-api@821093847:ref:refs/heads/main"
    );
    assert_eq!(
        kubernetes_subject("shipments", "api"),
        "system:serviceaccount:shipments:api"
    );
}

#[test]
fn audiences_and_issuers_per_cloud() {
    assert_eq!(audience_for(Cloud::Public), "api://AzureADTokenExchange");
    assert_eq!(
        audience_for(Cloud::Usgov),
        "api://AzureADTokenExchangeUSGov"
    );
    assert_eq!(
        audience_for(Cloud::China),
        "api://AzureADTokenExchangeChina"
    );
    assert_eq!(
        entra_issuer(Cloud::Public, "t"),
        "https://login.microsoftonline.com/t/v2.0"
    );
    assert_eq!(
        entra_issuer(Cloud::Usgov, "t"),
        "https://login.microsoftonline.us/t/v2.0"
    );
    assert_eq!(
        entra_issuer(Cloud::China, "t"),
        "https://login.partner.microsoftonline.cn/t/v2.0"
    );
}

// ---------------------------------------------------------------------------------------------
// A small tenant in each cloud, for the MI-as-FIC preset
// ---------------------------------------------------------------------------------------------

const TENANT: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const APP: &str = "aaaaaaaa-0000-4000-8000-0000000000a1";
const UAMI_PRINCIPAL: &str = "aaaaaaaa-0000-4000-8000-0000000000b1";
const UAMI_CLIENT: &str = "aaaaaaaa-0000-4000-8000-0000000000b2";
const SAMI_PRINCIPAL: &str = "aaaaaaaa-0000-4000-8000-0000000000c1";
const UAMI_ID: &str = "/subscriptions/aaaaaaaa-0000-4000-8000-0000000000d1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-worker";

fn secret(key_id: &str) -> PasswordCredential {
    PasswordCredential {
        key_id: key_id.into(),
        display_name: Some("prod".into()),
        hint: Some("abc".into()),
        start_date_time: None,
        end_date_time: None,
    }
}

fn fic(name: &str, issuer: &str, subject: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: issuer.into(),
        subject: Some(subject.into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

fn small_tenant(cloud: Cloud) -> TenantSnapshot {
    let mut s = TenantSnapshot::empty(TENANT, NOW);
    s.cloud = cloud;
    s.applications.push(Application {
        id: APP.into(),
        app_id: "aaaaaaaa-0000-4000-8000-0000000000a2".into(),
        display_name: "worker".into(),
        sign_in_audience: Some("AzureADMultipleOrgs".into()),
        publisher_domain: None,
        created_date_time: None,
        password_credentials: vec![secret("aaaaaaaa-0000-4000-8000-0000000000e1")],
        key_credentials: vec![],
        federated_identity_credentials: vec![],
        odata_type: None,
    });
    s.user_assigned_identities.push(UserAssignedIdentity {
        id: UAMI_ID.into(),
        name: "id-worker".into(),
        location: Some("westeurope".into()),
        principal_id: UAMI_PRINCIPAL.into(),
        client_id: UAMI_CLIENT.into(),
        tenant_id: Some(TENANT.into()),
        tags: Default::default(),
        federated_identity_credentials: vec![],
    });
    s.service_principals.push(ServicePrincipal {
        id: SAMI_PRINCIPAL.into(),
        app_id: "aaaaaaaa-0000-4000-8000-0000000000c2".into(),
        display_name: "vm-worker".into(),
        service_principal_type: ServicePrincipalType::ManagedIdentity,
        alternative_names: vec![
            "isExplicit=False".into(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-worker"
                .into(),
        ],
        account_enabled: Some(true),
        app_owner_organization_id: None,
        password_credentials: vec![],
        key_credentials: vec![],
        tags: vec![],
        odata_type: None,
    });
    s
}

fn fic_plan(s: &TenantSnapshot, form: &FicForm) -> Result<Plan, Vec<(String, String)>> {
    let dir = Directory::new(s.clone());
    form.build_plan(&ctx(&dir), &mut SequentialIds::default())
        .map_err(|e| {
            e.into_iter()
                .map(|f| (f.field.to_string(), f.message.flags()))
                .collect()
        })
}

fn added_fic(plan: &Plan) -> FederatedIdentityCredential {
    match &plan.steps[0].action {
        Change::AddFederatedCredential { credential, .. } => credential.clone(),
        other => panic!("first step is {other:?}"),
    }
}

#[test]
fn managed_identity_as_fic_in_every_cloud() {
    for (cloud, host, audience) in [
        (
            Cloud::Public,
            "login.microsoftonline.com",
            "api://AzureADTokenExchange",
        ),
        (
            Cloud::Usgov,
            "login.microsoftonline.us",
            "api://AzureADTokenExchangeUSGov",
        ),
        (
            Cloud::China,
            "login.partner.microsoftonline.cn",
            "api://AzureADTokenExchangeChina",
        ),
    ] {
        let s = small_tenant(cloud);
        for by in ["id-worker", UAMI_PRINCIPAL, UAMI_CLIENT] {
            let plan = fic_plan(
                &s,
                &FicForm {
                    identity: "worker".into(),
                    managed_identity: by.into(),
                    ..Default::default()
                },
            )
            .unwrap();
            let f = added_fic(&plan);
            assert_eq!(
                f.issuer,
                format!("https://{host}/{TENANT}/v2.0"),
                "{cloud:?}"
            );
            // The subject is the MI's principal (object) id, never its client id.
            assert_eq!(f.subject.as_deref(), Some(UAMI_PRINCIPAL));
            assert_eq!(f.audiences, vec![audience.to_string()]);
            assert_eq!(f.name, "mi-id-worker");
            // The credwise explorer recognises what it made as MI-as-FIC.
            assert_eq!(
                credwise::domain::links::classify_fic(&f, TENANT, cloud),
                credwise::domain::links::FicKind::ManagedIdentity
            );
            let text = plan.to_text();
            assert!(
                text.contains(UAMI_CLIENT),
                "the assertion code names the MI's client id"
            );
        }
    }
}

#[test]
fn system_assigned_identity_is_refused_as_fic_with_the_reason() {
    let s = small_tenant(Cloud::Public);
    let err = fic_plan(
        &s,
        &FicForm {
            identity: "worker".into(),
            managed_identity: "vm-worker".into(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err[0].0, "managed-identity");
    assert!(err[0].1.contains("system-assigned"), "{}", err[0].1);
    assert!(err[0].1.contains("user-assigned"), "{}", err[0].1);
}

#[test]
fn each_preset_builds_its_issuer_subject_and_audience() {
    let s = small_tenant(Cloud::Public);
    let base = FicForm {
        identity: "worker".into(),
        ..Default::default()
    };
    let cases: Vec<(FicForm, &str, &str, &str)> = vec![
        (
            FicForm {
                github_repo: "contoso/api".into(),
                branch: "main".into(),
                ..base.clone()
            },
            "https://token.actions.githubusercontent.com",
            "repo:contoso/api:ref:refs/heads/main",
            "github-contoso-api-branch-main",
        ),
        (
            FicForm {
                github_repo: "contoso/api".into(),
                pull_request: true,
                github_owner_id: "12".into(),
                github_repo_id: "34".into(),
                ..base.clone()
            },
            "https://token.actions.githubusercontent.com",
            "repo:contoso@12/api@34:pull_request",
            "github-contoso-api-pull-request",
        ),
        (
            FicForm {
                k8s_issuer: "https://westeurope.oic.prod-aks.azure.com/t/i/".into(),
                namespace: "shipments".into(),
                service_account: "api".into(),
                ..base.clone()
            },
            // Kept exactly, trailing slash included.
            "https://westeurope.oic.prod-aks.azure.com/t/i/",
            "system:serviceaccount:shipments:api",
            "k8s-shipments-api",
        ),
        (
            FicForm {
                issuer: "https://accounts.google.com".into(),
                subject: "112233445566778899".into(),
                name: "gcp-export".into(),
                audience: "api://custom".into(),
                ..base.clone()
            },
            "https://accounts.google.com",
            "112233445566778899",
            "gcp-export",
        ),
    ];
    for (form, issuer, subject, name) in cases {
        let plan = fic_plan(&s, &form).unwrap();
        let f = added_fic(&plan);
        assert_eq!(f.issuer, issuer);
        assert_eq!(f.subject.as_deref(), Some(subject));
        assert_eq!(f.name, name);
        let want_audience = if form.audience.is_empty() {
            "api://AzureADTokenExchange"
        } else {
            "api://custom"
        };
        assert_eq!(f.audiences, vec![want_audience.to_string()]);
        plan.check_order().unwrap();
    }
}

#[test]
fn fic_form_errors_name_their_field() {
    let s = small_tenant(Cloud::Public);
    let gh = FicForm {
        identity: "worker".into(),
        github_repo: "contoso/api".into(),
        branch: "main".into(),
        ..Default::default()
    };
    let cases: Vec<(FicForm, &str)> = vec![
        (
            FicForm {
                identity: "worker".into(),
                ..Default::default()
            },
            "preset",
        ),
        (
            FicForm {
                identity: "nobody".into(),
                ..gh.clone()
            },
            "identity",
        ),
        (
            FicForm {
                issuer: "https://x.example".into(),
                ..gh.clone()
            },
            "issuer",
        ),
        (
            FicForm {
                github_repo: "not-a-repo".into(),
                ..gh.clone()
            },
            "github-repo",
        ),
        (
            FicForm {
                branch: String::new(),
                ..gh.clone()
            },
            "branch",
        ),
        (
            FicForm {
                tag: "v1".into(),
                ..gh.clone()
            },
            "tag",
        ),
        (
            // A pattern makes a flexible FIC now; one with a quote cannot be written.
            FicForm {
                branch: "feature/*'".into(),
                ..gh.clone()
            },
            "branch",
        ),
        (
            FicForm {
                github_owner_id: "12".into(),
                ..gh.clone()
            },
            "github-repo-id",
        ),
        (
            FicForm {
                github_owner_id: "x".into(),
                github_repo_id: "34".into(),
                ..gh.clone()
            },
            "github-owner-id",
        ),
        (
            FicForm {
                name: "-bad".into(),
                ..gh.clone()
            },
            "name",
        ),
        (
            FicForm {
                audience: "a,b".into(),
                ..gh.clone()
            },
            "audience",
        ),
        (
            FicForm {
                description: "d".repeat(601),
                ..gh.clone()
            },
            "description",
        ),
        (
            FicForm {
                remove_secrets: "00000000-0000-0000-0000-000000000000".into(),
                ..gh.clone()
            },
            "remove-secrets",
        ),
        (
            FicForm {
                identity: "worker".into(),
                k8s_issuer: "http://cluster".into(),
                namespace: "ns".into(),
                service_account: "sa".into(),
                ..Default::default()
            },
            "k8s-issuer",
        ),
        (
            FicForm {
                identity: "worker".into(),
                k8s_issuer: "https://cluster.example".into(),
                namespace: "Not_A_Label".into(),
                service_account: "sa".into(),
                ..Default::default()
            },
            "namespace",
        ),
        (
            FicForm {
                identity: "worker".into(),
                k8s_issuer: "https://cluster.example".into(),
                namespace: "ns".into(),
                service_account: "SA!".into(),
                ..Default::default()
            },
            "service-account",
        ),
        (
            FicForm {
                identity: "worker".into(),
                issuer: "https://issuer.example".into(),
                subject: "x".repeat(601),
                ..Default::default()
            },
            "subject",
        ),
        (
            FicForm {
                identity: "worker".into(),
                issuer: "https://issuer.example ".into(),
                subject: "x".into(),
                ..Default::default()
            },
            "issuer",
        ),
        (
            FicForm {
                identity: "worker".into(),
                managed_identity: "no-such-mi".into(),
                ..Default::default()
            },
            "managed-identity",
        ),
        (
            FicForm {
                identity: "id-worker".into(),
                ..gh.clone()
            },
            "identity",
        ),
    ];
    for (form, field) in cases {
        let dir = Directory::new(s.clone());
        let errors = form.validate(&dir);
        assert!(
            errors.iter().any(|e| e.field == field),
            "{form:?}: expected an error on {field}, got {errors:?}"
        );
        assert!(fic_plan(&s, &form).is_err());
    }
    assert!(gh.validate(&Directory::new(s.clone())).is_empty());
}

#[test]
fn twenty_federated_credentials_is_the_limit() {
    let mut s = small_tenant(Cloud::Public);
    for i in 0..19 {
        s.applications[0].federated_identity_credentials.push(fic(
            &format!("fic-{i}"),
            "https://i.example",
            &format!("s{i}"),
        ));
    }
    let form = FicForm {
        identity: "worker".into(),
        issuer: "https://i.example".into(),
        subject: "new".into(),
        ..Default::default()
    };
    assert!(fic_plan(&s, &form).is_ok(), "the 20th is allowed");
    s.applications[0].federated_identity_credentials.push(fic(
        "fic-19",
        "https://i.example",
        "s19",
    ));
    let err = fic_plan(&s, &form).unwrap_err();
    assert_eq!(err[0].0, "identity");
    assert!(err[0].1.contains("20"), "{}", err[0].1);
}

#[test]
fn issuer_and_subject_must_be_unique_but_an_identical_credential_is_found_in_place() {
    let mut s = small_tenant(Cloud::Public);
    s.applications[0].federated_identity_credentials.push(fic(
        "existing",
        "https://token.actions.githubusercontent.com",
        "repo:contoso/api:ref:refs/heads/main",
    ));
    let form = FicForm {
        identity: "worker".into(),
        github_repo: "contoso/api".into(),
        branch: "main".into(),
        name: "another-name".into(),
        ..Default::default()
    };
    let err = fic_plan(&s, &form).unwrap_err();
    assert_eq!(err[0].0, "github-repo");
    assert!(err[0].1.contains("existing"));
    // The same name with a different subject is a conflict on --name.
    let err = fic_plan(
        &s,
        &FicForm {
            name: "existing".into(),
            branch: "dev".into(),
            ..form.clone()
        },
    )
    .unwrap_err();
    assert_eq!(err[0].0, "name");
    // The very same credential: a later run that only removes the secrets.
    let plan = fic_plan(
        &s,
        &FicForm {
            name: "existing".into(),
            remove_secrets: "all".into(),
            ..form.clone()
        },
    )
    .unwrap();
    assert!(plan.notes.iter().any(|n| n.contains("already has")));
    let after = plan.preview(&s);
    assert!(
        after.is_err(),
        "the add step would conflict if it were not skipped"
    );
    assert!(
        s.check(&plan.steps[0].verification).unwrap().holds(),
        "its verification already holds, so the run skips it"
    );
    // A derived name that is taken gets a suffix.
    let mut s2 = small_tenant(Cloud::Public);
    s2.applications[0].federated_identity_credentials.push(fic(
        "github-contoso-api-branch-main",
        "https://other.example",
        "x",
    ));
    let plan = fic_plan(
        &s2,
        &FicForm {
            name: String::new(),
            ..form
        },
    )
    .unwrap();
    assert_eq!(added_fic(&plan).name, "github-contoso-api-branch-main-2");
}

// ---------------------------------------------------------------------------------------------
// Certificate and managed identity forms
// ---------------------------------------------------------------------------------------------

#[test]
fn certificate_form_validation() {
    let s = small_tenant(Cloud::Public);
    let dir = Directory::new(s.clone());
    let ok = CertificateForm {
        identity: "worker".into(),
        ..Default::default()
    };
    assert!(ok.validate(&dir).is_empty());
    let apply = ok.validate_for_apply(&dir);
    assert_eq!(apply.len(), 1);
    assert_eq!(apply[0].field, "key-out");
    for (form, field) in [
        (
            CertificateForm {
                validity_months: "0".into(),
                ..ok.clone()
            },
            "validity-months",
        ),
        (
            CertificateForm {
                validity_months: "25".into(),
                ..ok.clone()
            },
            "validity-months",
        ),
        (
            CertificateForm {
                validity_months: "twelve".into(),
                ..ok.clone()
            },
            "validity-months",
        ),
        (
            CertificateForm {
                common_name: "c".repeat(65),
                ..ok.clone()
            },
            "common-name",
        ),
        (
            CertificateForm {
                identity: "vm-worker".into(),
                ..ok.clone()
            },
            "identity",
        ),
    ] {
        let e = form.validate(&dir);
        assert!(e.iter().any(|e| e.field == field), "{form:?}: {e:?}");
    }
    // A dry run plans a placeholder certificate; its dates follow --validity-months.
    let plan = CertificateForm {
        validity_months: "3".into(),
        ..ok.clone()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default(), None)
    .unwrap();
    match &plan.steps[0].action {
        Change::AddKey {
            credential, key, ..
        } => {
            assert!(key.is_none());
            assert_eq!(
                credential.end_date_time,
                Some(time::macros::datetime!(2027-02-22 12:00 UTC))
            );
            assert_eq!(credential.display_name.as_deref(), Some("CN=worker"));
        }
        other => panic!("{other:?}"),
    }
    // An expired certificate is refused.
    let mut expired = certificate();
    expired.not_after = NOW - time::Duration::days(1);
    let err = ok
        .build_plan(&ctx(&dir), &mut SequentialIds::default(), Some(&expired))
        .unwrap_err();
    assert_eq!(err[0].field, "certificate");
}

#[test]
fn a_certificate_is_uploaded_with_dates_one_second_inside_its_validity() {
    // Graph rejects key-credential dates outside the certificate's validity
    // (KeyCredentialsInvalidEndDate); the Azure CLI keeps them one second inside it.
    let s = demo_snapshot();
    let dir = Directory::new(s.clone());
    let cert = certificate();
    let plan = CertificateForm {
        identity: "payroll-api".into(),
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default(), Some(&cert))
    .unwrap();
    let Change::AddKey { credential, .. } = &plan.steps[0].action else {
        panic!("{:?}", plan.steps[0].action)
    };
    let second = time::Duration::seconds(1);
    assert_eq!(credential.start_date_time, Some(cert.not_before + second));
    assert_eq!(credential.end_date_time, Some(cert.not_after - second));
}

#[test]
fn a_certificate_already_uploaded_keeps_its_key_id() {
    let s = demo_snapshot();
    let plan = Sample::Certificate.plan(&s, "");
    let after = plan.preview(&s).unwrap();
    let dir = Directory::new(after.clone());
    let again = CertificateForm {
        identity: "payroll-api".into(),
        remove_secrets: "all".into(),
        ..Default::default()
    }
    .build_plan(
        &ctx(&dir),
        &mut SequentialIds::default(),
        Some(&certificate()),
    )
    .unwrap();
    assert_eq!(again.steps[0].verification, plan.steps[0].verification);
    assert!(after.check(&again.steps[0].verification).unwrap().holds());
}

#[test]
fn managed_identity_form_validation() {
    let s = demo_snapshot();
    let dir = Directory::new(s.clone());
    let base = ManagedIdentityForm {
        identity: "invoice-worker".into(),
        ..Default::default()
    };
    let create = ManagedIdentityForm {
        create: "id-new".into(),
        resource_group: "rg-x".into(),
        location: "westeurope".into(),
        ..base.clone()
    };
    assert!(
        create.validate(&dir).is_empty(),
        "{:?}",
        create.validate(&dir)
    );
    for (form, field) in [
        (base.clone(), "create"),
        (
            ManagedIdentityForm {
                managed_identity: "id-invoices-logic".into(),
                ..create.clone()
            },
            "managed-identity",
        ),
        (
            ManagedIdentityForm {
                create: "x".into(),
                ..create.clone()
            },
            "create",
        ),
        (
            ManagedIdentityForm {
                resource_group: String::new(),
                ..create.clone()
            },
            "resource-group",
        ),
        (
            ManagedIdentityForm {
                resource_group: "rg.".into(),
                ..create.clone()
            },
            "resource-group",
        ),
        (
            ManagedIdentityForm {
                location: String::new(),
                ..create.clone()
            },
            "location",
        ),
        (
            ManagedIdentityForm {
                location: "west-europe!".into(),
                ..create.clone()
            },
            "location",
        ),
        (
            ManagedIdentityForm {
                subscription: "not-a-guid".into(),
                ..create.clone()
            },
            "subscription",
        ),
        (
            ManagedIdentityForm {
                create: "id-invoices-logic".into(),
                resource_group: "rg-invoices-prod".into(),
                ..create.clone()
            },
            "create",
        ),
        (
            ManagedIdentityForm {
                managed_identity: "payroll-api".into(),
                ..base.clone()
            },
            "managed-identity",
        ),
        (
            ManagedIdentityForm {
                identity: "id-invoices-logic".into(),
                ..create.clone()
            },
            "identity",
        ),
    ] {
        let e = form.validate(&dir);
        assert!(
            e.iter().any(|e| e.field == field),
            "{form:?}: expected {field}, got {e:?}"
        );
    }
    // Location names are normalised ("West Europe" → westeurope).
    let plan = ManagedIdentityForm {
        location: "West Europe".into(),
        ..create.clone()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default())
    .unwrap();
    assert!(plan.steps[0].title.contains("westeurope"));
    // An app whose principal holds roles in several subscriptions needs --subscription.
    let e = ManagedIdentityForm {
        identity: "github-deploy-infra".into(),
        ..create.clone()
    }
    .validate(&dir);
    assert!(
        e.is_empty() || e.iter().any(|e| e.field == "subscription"),
        "{e:?}"
    );
}

#[test]
fn secret_to_managed_identity_copies_every_role_assignment_with_new_ids() {
    let s = demo_snapshot();
    let plan = Sample::ManagedIdentityCreate.plan(&s, "all");
    let sp = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "invoice-worker")
        .unwrap();
    let roles: Vec<_> = s
        .role_assignments
        .iter()
        .filter(|a| a.principal_id == sp.id)
        .collect();
    assert!(!roles.is_empty());
    let provisional = plan.provisional.clone().unwrap();
    let copied: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|st| match &st.action {
            Change::AddRoleAssignment { assignment } => Some(assignment.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), roles.len());
    for a in &copied {
        assert_eq!(a.principal_id, provisional.principal_id);
        assert!(
            roles
                .iter()
                .any(|r| r.role_definition_id == a.role_definition_id
                    && r.scope == a.scope
                    && r.id != a.id)
        );
        assert!(a.id.starts_with(a.scope.as_str()));
    }
    assert!(matches!(
        plan.steps[0].action,
        Change::CreateUserAssignedIdentity { .. }
    ));
    assert_eq!(plan.steps.last().map(|s| s.removes_secret), Some(true));
}

fn with_conditioned_assignment(
    edit: impl FnOnce(&mut credwise::domain::RoleAssignment),
) -> (TenantSnapshot, credwise::domain::RoleAssignment) {
    common::conditions::with_conditioned_assignment(demo_snapshot(), edit)
}

fn copy_of<'a>(
    plan: &'a Plan,
    original: &credwise::domain::RoleAssignment,
) -> Option<&'a credwise::domain::RoleAssignment> {
    // Every assignment a plan adds is for the managed identity.
    plan.steps.iter().find_map(|st| match &st.action {
        Change::AddRoleAssignment { assignment } => {
            common::conditions::copy_among([assignment], original, &assignment.principal_id)
        }
        _ => None,
    })
}

#[test]
fn a_conditioned_role_assignment_is_copied_with_its_condition_and_shown() {
    let (s, original) = with_conditioned_assignment(|_| {});
    let plan = Sample::ManagedIdentityCreate.plan(&s, "all");
    assert!(plan.refused.is_empty(), "{:?}", plan.refused);
    let copy = copy_of(&plan, &original).expect("the conditioned assignment is copied");
    assert_eq!(copy.condition.as_deref(), Some(CONTAINER_CONDITION));
    assert_eq!(copy.condition_version.as_deref(), Some("2.0"));
    assert_eq!(copy.description, original.description);
    assert_ne!(copy.principal_id, original.principal_id);
    // The step says so, and its ARM call carries the condition.
    let step = plan
        .steps
        .iter()
        .find(|st| matches!(&st.action, Change::AddRoleAssignment { assignment } if assignment.id == copy.id))
        .unwrap();
    assert!(step.title.ends_with("with its condition"), "{}", step.title);
    let body: serde_json::Value =
        serde_json::from_str(step.calls[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["properties"]["condition"], CONTAINER_CONDITION);
    assert_eq!(body["properties"]["conditionVersion"], "2.0");
    assert!(step.calls[0].url.ends_with("?api-version=2022-04-01"));
    let text = plan.to_text();
    assert!(
        text.contains("only where its condition (version 2.0) holds"),
        "{text}"
    );
    assert!(text.contains("blobs-example-container"));
    // `--output json` is the plan: the action carries the condition.
    let json = serde_json::to_value(&plan).unwrap();
    let actions: Vec<&serde_json::Value> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| &st["action"])
        .filter(|a| a["change"] == "add-role-assignment")
        .collect();
    assert!(
        actions
            .iter()
            .any(|a| a["assignment"]["condition"] == CONTAINER_CONDITION)
    );
    // The preview holds the copy with its condition.
    let after = plan.preview(&s).unwrap();
    assert!(
        after
            .role_assignments
            .iter()
            .any(|r| r.id == copy.id && r.condition.as_deref() == Some(CONTAINER_CONDITION))
    );
}

#[test]
fn a_condition_without_a_version_is_copied_at_the_default_version() {
    let (s, original) = with_conditioned_assignment(|a| a.condition_version = None);
    let plan = Sample::ManagedIdentityCreate.plan(&s, "");
    let copy = copy_of(&plan, &original).unwrap();
    assert_eq!(copy.condition_version.as_deref(), Some("2.0"));
}

/// What cannot be carried over is refused, named, and never copied without its condition.
#[test]
fn a_condition_that_cannot_be_carried_makes_the_plan_refuse_that_step() {
    let sp_id = |s: &TenantSnapshot| {
        s.service_principals
            .iter()
            .find(|p| p.display_name == "invoice-worker")
            .unwrap()
            .id
            .clone()
    };
    let own = sp_id(&demo_snapshot());
    type Edit = Box<dyn Fn(&mut credwise::domain::RoleAssignment)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|a| a.condition_version = Some("1.0".into())),
            "ARM accepts only 2.0",
        ),
        (
            Box::new(|a| {
                a.condition = Some("@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals @Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Engineering_Project]".into())
            }),
            "@Principal",
        ),
        (
            Box::new(|a| {
                a.delegated_managed_identity_resource_id = Some(
                    "/subscriptions/85317b7a-5eec-4483-8386-3c5bff1f3936/providers/Microsoft.Authorization/policyAssignments/deploy-diagnostics".into(),
                )
            }),
            "Azure Lighthouse",
        ),
        (
            Box::new(move |a| {
                a.condition = Some(format!(
                    "@Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {{{own}}}"
                ))
            }),
            "names the service principal itself",
        ),
        (
            Box::new(|a| a.condition = Some("x".repeat(8 * 1024 + 1))),
            "8 KB",
        ),
    ];
    for (edit, why) in cases {
        let (s, original) = with_conditioned_assignment(edit);
        let plan = Sample::ManagedIdentityCreate.plan(&s, "");
        assert!(
            copy_of(&plan, &original).is_none(),
            "{why}: not copied in any form"
        );
        assert_eq!(plan.refused.len(), 1, "{why}");
        let r = &plan.refused[0];
        assert_eq!(r.id, original.id, "{why}");
        assert!(r.reason.contains(why), "{why}: {}", r.reason);
        assert!(r.title.contains("Storage Blob Data Reader"), "{}", r.title);
        let text = plan.to_text();
        assert!(
            text.contains("Refused") && text.contains(&r.reason),
            "{text}"
        );
        assert!(
            text.contains(&format!("role assignment {}", original.id)),
            "{text}"
        );
        assert!(plan.summary.contains("1 refused"), "{}", plan.summary);
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["refused"][0]["id"], original.id.as_str());
        // The other assignments are still copied.
        assert_eq!(
            plan.steps
                .iter()
                .filter(|st| matches!(st.action, Change::AddRoleAssignment { .. }))
                .count(),
            2
        );
        // Secrets are not removed while part of the access could not be copied.
        let dir = Directory::new(s.clone());
        let err = ManagedIdentityForm {
            identity: "invoice-worker".into(),
            create: "id-invoice-worker".into(),
            resource_group: "rg-invoices-prod".into(),
            location: "westeurope".into(),
            remove_secrets: "all".into(),
            ..Default::default()
        }
        .build_plan(&ctx(&dir), &mut SequentialIds::default())
        .unwrap_err();
        assert_eq!(err[0].field, "remove-secrets");
        assert!(
            err[0].message.flags().contains(&original.id),
            "{}",
            err[0].message
        );
    }
}

/// ARM keeps one assignment per principal, role and scope, condition or not: the same
/// condition already held is skipped; another one (or none) is a refusal, not a second
/// assignment and not a silent skip.
#[test]
fn an_assignment_already_held_counts_only_with_the_same_condition() {
    let (mut s, original) = with_conditioned_assignment(|_| {});
    let mi = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "id-invoices-logic")
        .unwrap()
        .id
        .clone();
    let plan_for = |s: &TenantSnapshot| {
        let dir = Directory::new(s.clone());
        ManagedIdentityForm {
            identity: "invoice-worker".into(),
            managed_identity: "id-invoices-logic".into(),
            ..Default::default()
        }
        .build_plan(&ctx(&dir), &mut SequentialIds::default())
        .unwrap()
    };
    let held = |condition: Option<&str>| credwise::domain::RoleAssignment {
        id: format!(
            "{STORAGE_ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/0d9e1f7a-1111-4222-8333-944455556666"
        ),
        principal_id: mi.clone(),
        condition: condition.map(str::to_string),
        condition_version: condition.map(|_| "2.0".to_string()),
        ..original.clone()
    };
    s.role_assignments.push(held(Some(CONTAINER_CONDITION)));
    let plan = plan_for(&s);
    assert!(copy_of(&plan, &original).is_none() && plan.refused.is_empty());
    // (id-invoices-logic already held the queue role as well.)
    assert!(
        plan.notes.iter().any(|n| n.contains("already holds 2 of")),
        "{:?}",
        plan.notes
    );
    for (other, words) in [
        (None, "without a condition"),
        (
            Some("@Resource[x] StringEquals 'y'"),
            "with a different condition",
        ),
    ] {
        s.role_assignments.pop();
        s.role_assignments.push(held(other));
        let plan = plan_for(&s);
        assert!(copy_of(&plan, &original).is_none(), "{words}");
        assert_eq!(plan.refused.len(), 1, "{words}");
        assert!(
            plan.refused[0].reason.contains(words),
            "{}",
            plan.refused[0].reason
        );
        assert!(
            plan.refused[0]
                .reason
                .contains("one assignment per principal, role and scope")
        );
    }
}

#[test]
fn rebinding_replaces_every_provisional_id() {
    let s = demo_snapshot();
    let mut plan = Sample::ManagedIdentityCreate.plan(&s, "");
    let p = plan.provisional.clone().unwrap();
    let text = serde_json::to_string(&plan).unwrap();
    assert!(text.contains(&p.principal_id) && text.contains(&p.client_id));
    let (real_p, real_c) = (
        "99999999-0000-4000-8000-000000000001",
        "99999999-0000-4000-8000-000000000002",
    );
    assert!(plan.rebind(real_p, real_c));
    let text = serde_json::to_string(&plan).unwrap();
    assert!(!text.contains(&p.principal_id), "{text}");
    assert!(!text.contains(&p.client_id));
    assert!(text.contains(real_p) && text.contains(real_c));
    assert!(
        !plan.rebind(real_p, real_c),
        "a second rebind changes nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Plan invariants and rendering
// ---------------------------------------------------------------------------------------------

#[test]
fn every_sample_plan_removes_secrets_last_and_guarded() {
    let s = demo_snapshot();
    for sample in Sample::ALL {
        let plan = sample.plan(&s, "all");
        plan.check_order().unwrap();
        let first = plan.first_removal().unwrap_or_else(|| panic!("{sample:?}"));
        assert!(first > 0);
        for st in &plan.steps[first..] {
            assert!(st.removes_secret);
            let guard = st.precondition.as_ref().unwrap();
            assert!(
                plan.steps[..first].iter().any(|e| &e.verification == guard),
                "{sample:?}: removal guarded by an earlier verification"
            );
            assert!(st.undo_note.is_some());
        }
        let keep = sample.plan(&s, "");
        assert_eq!(keep.first_removal(), None);
        assert!(keep.notes.iter().any(|n| n.contains("stay")), "{sample:?}");
        // The preview holds every verification.
        let after = plan.preview(&s).unwrap();
        for st in &plan.steps {
            assert!(
                after.check(&st.verification).unwrap().holds(),
                "{}",
                st.title
            );
        }
        // Rendered: each step has its action, calls, verification and undo.
        let lines = plan.lines();
        for i in 0..plan.steps.len() {
            use credwise::domain::migration::LineKind::*;
            for kind in [StepTitle, Action, Call, Verify, Undo] {
                assert!(
                    lines.iter().any(|l| l.step == Some(i) && l.kind == kind),
                    "{sample:?} step {i} has no {kind:?} line"
                );
            }
        }
        let text = plan.to_text();
        assert!(!text.contains("PRIVATE KEY") && !text.contains("secretText"));
        assert!(!text.contains("{{"), "{text}");
    }
}

#[test]
fn an_unsafe_plan_is_caught() {
    let s = demo_snapshot();
    let mut plan = Sample::FicGitHub.plan(&s, "all");
    plan.steps.swap(0, 1);
    assert!(plan.check_order().is_err());
    let mut plan = Sample::FicGitHub.plan(&s, "all");
    plan.steps[1].precondition = None;
    assert!(plan.check_order().is_err());
}

// ---------------------------------------------------------------------------------------------
// Guidance templates
// ---------------------------------------------------------------------------------------------

#[test]
fn guidance_asset_parses_and_renders_without_gaps() {
    let t = credwise::domain::migration::GuidanceTemplates::parse(include_str!(
        "../assets/migration-guidance.toml"
    ))
    .unwrap();
    let mut vars = Vars::new();
    for v in VARIABLES {
        vars.insert(v, format!("VALUE-{v}"));
    }
    for kind in MigrationKind::ALL {
        for tag in TAGS {
            let (snippets, follow_ups) = t.render(kind, &[tag], &vars);
            for text in snippets
                .iter()
                .map(|s| s.text.clone())
                .chain(follow_ups.clone())
            {
                assert!(!text.contains("{{"), "{kind:?}/{tag}: {text}");
                for v in VARIABLES {
                    assert!(!text.contains(&format!("<{v}>")), "{kind:?}/{tag}: {text}");
                }
            }
        }
        let (s, f) = t.render(kind, &[], &vars);
        assert!(!s.is_empty() || !f.is_empty(), "{kind:?} has guidance");
    }
    assert!(
        migrate::guidance()
            .render(MigrationKind::SecretToFic, &["github"], &vars)
            .0
            .len()
            == 1
    );
}

#[test]
fn plans_fill_every_placeholder_they_use() {
    let s = demo_snapshot();
    for sample in Sample::ALL {
        let plan = sample.plan(&s, "");
        for text in plan
            .guidance
            .iter()
            .map(|g| g.text.clone())
            .chain(plan.follow_ups.clone())
        {
            for v in VARIABLES {
                assert!(!text.contains(&format!("<{v}>")), "{sample:?}: {text}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The property: every step, then every undo in reverse, leaves the tenant unchanged
// ---------------------------------------------------------------------------------------------

/// Applications of the demo tenant that hold client secrets.
fn apps_with_secrets(s: &TenantSnapshot) -> Vec<String> {
    s.applications
        .iter()
        .filter(|a| !a.password_credentials.is_empty())
        .map(|a| a.id.clone())
        .collect()
}

fn generated_plan(s: &TenantSnapshot, kind: u8, app: &str, variant: u8, remove: u8) -> Plan {
    let dir = Directory::new(s.clone());
    let ctx = ctx(&dir);
    let mut ids = SequentialIds::default();
    let app_secrets = &s
        .applications
        .iter()
        .find(|a| a.id == app)
        .unwrap()
        .password_credentials;
    let remove = match remove % 3 {
        0 => String::new(),
        1 => "all".into(),
        _ => app_secrets[0].key_id.to_string(),
    };
    let result = match kind % 3 {
        0 => CertificateForm {
            identity: app.into(),
            remove_secrets: remove,
            ..Default::default()
        }
        .build_plan(
            &ctx,
            &mut ids,
            variant.is_multiple_of(2).then(certificate).as_ref(),
        ),
        1 => {
            let mut f = FicForm {
                identity: app.into(),
                remove_secrets: remove,
                ..Default::default()
            };
            match variant % 4 {
                0 => {
                    f.github_repo = "contoso/app".into();
                    f.branch = format!("release-{variant}");
                }
                1 => {
                    f.k8s_issuer = "https://oidc.prod-aks.azure.com/x/".into();
                    f.namespace = "ns".into();
                    f.service_account = format!("sa-{variant}");
                }
                2 => f.managed_identity = "id-orders-shared".into(),
                _ => {
                    f.issuer = "https://accounts.google.com".into();
                    f.subject = format!("{variant}");
                }
            }
            f.build_plan(&ctx, &mut ids)
        }
        _ => {
            let mut f = ManagedIdentityForm {
                identity: app.into(),
                remove_secrets: remove,
                ..Default::default()
            };
            if variant.is_multiple_of(2) {
                f.create = format!("id-gen-{variant}");
                f.resource_group = "rg-gen".into();
                f.location = "westeurope".into();
                f.subscription = "85317b7a-5eec-4483-8386-3c5bff1f3936".into();
            } else {
                f.managed_identity = "id-keyvault-reader".into();
            }
            f.build_plan(&ctx, &mut ids)
        }
    };
    result.unwrap_or_else(|e| panic!("kind {kind} variant {variant} on {app}: {e:?}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn every_plan_applied_then_undone_in_reverse_leaves_the_tenant_unchanged(
        kind in 0u8..3,
        pick in any::<proptest::sample::Index>(),
        variant in 0u8..16,
        remove in 0u8..3,
    ) {
        let original = demo_snapshot();
        let apps = apps_with_secrets(&original);
        let app = &apps[pick.index(apps.len())];
        let plan = generated_plan(&original, kind, app, variant, remove);
        prop_assert!(plan.check_order().is_ok());
        let mut s = original.clone();
        let mut undos = Vec::new();
        for st in &plan.steps {
            let undo = s.apply(&st.action).unwrap();
            prop_assert!(s.check(&st.verification).unwrap().holds(), "{}", st.title);
            undos.push(undo);
        }
        if !plan.steps.is_empty() {
            prop_assert_ne!(&normalized(s.clone()), &normalized(original.clone()));
        }
        // The plan's own undos (what a rollback uses when nothing was journaled)…
        let mut by_plan = s.clone();
        for st in plan.steps.iter().rev() {
            by_plan.apply(&st.undo).unwrap();
        }
        prop_assert_eq!(normalized(by_plan), normalized(original.clone()));
        // …and the undos the snapshot returned.
        for u in undos.iter().rev() {
            s.apply(u).unwrap();
        }
        prop_assert_eq!(normalized(s), normalized(original));
    }
}

#[test]
fn targets_are_the_identity_that_holds_the_secrets() {
    let s = demo_snapshot();
    // A service principal whose application is in the tenant resolves to the application.
    let sp = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "invoice-worker")
        .unwrap();
    let dir = Directory::new(s.clone());
    let plan = FicForm {
        identity: sp.id.clone(),
        issuer: "https://issuer.example".into(),
        subject: "s".into(),
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default())
    .unwrap();
    assert!(matches!(plan.identity.target, Target::Application(_)));
    assert_eq!(plan.identity.display_name, "invoice-worker");
}

#[test]
fn presets_are_named_for_the_cli() {
    let words: Vec<&str> = FicPreset::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(words, ["github", "kubernetes", "managed-identity", "oidc"]);
}

#[test]
fn a_system_assigned_identity_can_take_over_and_a_shared_name_means_the_managed_identity() {
    let s = demo_snapshot();
    let dir = Directory::new(s.clone());
    // "orders-web" names an app, its service principal and the web app's own identity.
    let plan = ManagedIdentityForm {
        identity: "invoice-worker".into(),
        managed_identity: "orders-web".into(),
        remove_secrets: "all".into(),
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &mut SequentialIds::default())
    .unwrap();
    assert!(plan.provisional.is_none());
    assert!(
        plan.guidance
            .iter()
            .any(|g| g.text.contains("ManagedIdentityId.SystemAssigned")),
        "system-assigned code, no client id"
    );
    plan.check_order().unwrap();
    let sami = s
        .service_principals
        .iter()
        .find(|p| {
            p.display_name == "orders-web"
                && p.service_principal_type == ServicePrincipalType::ManagedIdentity
        })
        .unwrap();
    // Every role assignment of invoice-worker's principal is copied, each to the web app's
    // identity: counted, so a plan that copies none fails here.
    let worker = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "invoice-worker")
        .unwrap();
    let held = s
        .role_assignments
        .iter()
        .filter(|a| a.principal_id == worker.id)
        .count();
    assert!(held > 0, "the demo's invoice-worker holds roles");
    let copied: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|st| match &st.action {
            Change::AddRoleAssignment { assignment } => Some(assignment),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), held, "{}", plan.to_text());
    for assignment in copied {
        assert_eq!(assignment.principal_id, sami.id);
    }
}

/// The explorer shows a form's messages beside its fields: they name other fields by their
/// labels, never by a flag, and every field a message names is one of the form's (or the
/// identity, chosen before it). The CLI writes the same messages with flags.
#[test]
fn form_messages_name_fields_by_label_on_screen_and_by_flag_on_the_command_line() {
    use credwise::domain::migration::{Form, form, words};
    let dir = Directory::new(demo_snapshot());
    let cases: &[(MigrationKind, &[(&str, &str)])] = &[
        (MigrationKind::SecretToFic, &[]),
        (
            MigrationKind::SecretToFic,
            &[("github-repo", "fabrikam/payroll")],
        ),
        (
            MigrationKind::SecretToFic,
            &[
                ("github-repo", "fabrikam/payroll"),
                ("k8s-issuer", "https://k"),
            ],
        ),
        (
            MigrationKind::SecretToFic,
            &[
                ("github-repo", "fabrikam/payroll"),
                ("branch", "main"),
                ("tag", "v1"),
                ("github-owner-id", "1"),
            ],
        ),
        (
            MigrationKind::SecretToFic,
            &[
                ("github-repo", "fabrikam/payroll"),
                ("branch", "main"),
                ("github-repo-id", "2"),
            ],
        ),
        (MigrationKind::SecretToManagedIdentity, &[]),
        (
            MigrationKind::SecretToManagedIdentity,
            &[("create", "id-new"), ("managed-identity", "id-other")],
        ),
        (
            MigrationKind::SecretToManagedIdentity,
            &[("create", "id-new")],
        ),
        (
            MigrationKind::SecretToCertificate,
            &[("idle-days", "a week")],
        ),
    ];
    let mut named = 0;
    for (kind, values) in cases {
        let mut f = Form::new(*kind, "payroll-api");
        for (k, v) in *values {
            f.set(k, *v);
        }
        let errors = f.validate(&dir, true);
        assert!(!errors.is_empty(), "{kind:?} {values:?} is valid");
        for e in &errors {
            let on_screen = e.message.labels();
            assert!(
                !on_screen.contains("--"),
                "{kind:?} {values:?}: {on_screen}"
            );
            for field in e.message.fields() {
                named += 1;
                assert!(
                    form::field(*kind, field).is_some() || field == "identity",
                    "{kind:?}: {field} is not a field of the form"
                );
                assert!(on_screen.contains(words::label(field)), "{on_screen}");
                assert!(e.message.flags().contains(&format!("--{field}")));
            }
        }
    }
    assert!(named >= 10, "the cases name only {named} fields");
}
