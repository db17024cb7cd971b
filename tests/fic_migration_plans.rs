//! The federated-credential migrations as plans: `github-immutable-subject` (one identity, an
//! app or a user-assigned identity; ids given or looked up; the limit of 20; bulk for all or
//! one organisation; each removal paired with its own replacement by the retirement gate),
//! flexible FICs in `secret-to-fic` (a GitHub branch, tag or environment pattern becomes a
//! validated claims expression written through beta), and `merge-federated-credentials`, the
//! plan behind `fic-near-limit`'s remedy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::NOW;
use common::migration::ctx;
use credwise::domain::audit::{AuditOptions, Remedy, audit};
use credwise::domain::change::{Change, Target};
use credwise::domain::credential::{CredentialType, FederatedIdentityCredential};
use credwise::domain::migration::github_immutable::{
    self, BulkScope, ImmutableSubjectForm, KnownIds, RepoIds, build_bulk, find,
};
use credwise::domain::migration::retirement::{GateInput, GateOptions, GateVerdict, gates};
use credwise::domain::migration::{FicForm, MigrationKind, Plan, SequentialIds, flexible};
use credwise::domain::usage::{CredentialActivity, SourceStatus, UsageData, UsageSource};
use credwise::domain::{Application, Directory, TenantSnapshot, UserAssignedIdentity};

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const UAMI: &str = "/subscriptions/00000000-0000-4000-8000-0000000000s1/resourceGroups/rg-ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-deployer";

fn gh(name: &str, subject: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: GITHUB.into(),
        subject: Some(subject.into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

fn app(name: &str, fics: Vec<FederatedIdentityCredential>) -> Application {
    Application {
        id: format!("0b{name:0>30}"),
        app_id: format!("0a{name:0>30}"),
        display_name: name.into(),
        sign_in_audience: Some("AzureADMyOrg".into()),
        publisher_domain: None,
        created_date_time: None,
        password_credentials: vec![],
        key_credentials: vec![],
        federated_identity_credentials: fics,
        odata_type: None,
    }
}

fn tenant() -> TenantSnapshot {
    let mut s = TenantSnapshot::empty("t", NOW);
    s.applications.push(app(
        "shipping-api",
        vec![
            gh("gh-main", "repo:contoso/shipping:ref:refs/heads/main"),
            gh("gh-prod", "repo:contoso/shipping:environment:prod"),
            gh(
                "gh-done",
                "repo:contoso@55/shipping@77:ref:refs/heads/release",
            ),
            FederatedIdentityCredential {
                issuer: "https://oidc.prod-aks.azure.com/x/".into(),
                subject: Some("system:serviceaccount:ns:sa".into()),
                ..gh("aks", "x")
            },
        ],
    ));
    s.applications.push(app(
        "docs-site",
        vec![gh("gh-docs", "repo:tailwind/docs:ref:refs/heads/main")],
    ));
    s.user_assigned_identities.push(UserAssignedIdentity {
        id: UAMI.into(),
        name: "id-deployer".into(),
        location: Some("westeurope".into()),
        principal_id: "9d000000-0000-4000-8000-000000000001".into(),
        client_id: "9c000000-0000-4000-8000-000000000001".into(),
        tenant_id: None,
        tags: Default::default(),
        federated_identity_credentials: vec![gh("deploy", "repo:contoso/infra:environment:prod")],
    });
    s
}

fn ids() -> KnownIds {
    let mut k = BTreeMap::new();
    k.insert(
        "contoso/shipping".into(),
        RepoIds {
            owner_id: "55".into(),
            repo_id: "77".into(),
        },
    );
    k.insert(
        "contoso/infra".into(),
        RepoIds {
            owner_id: "55".into(),
            repo_id: "78".into(),
        },
    );
    k
}

fn plan(s: &TenantSnapshot, identity: &str, remove_old: bool) -> Plan {
    let dir = Directory::new(s.clone());
    ImmutableSubjectForm {
        identity: identity.into(),
        remove_old,
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &ids())
    .unwrap()
}

fn added(p: &Plan) -> Vec<FederatedIdentityCredential> {
    p.steps
        .iter()
        .filter_map(|s| match &s.action {
            Change::AddFederatedCredential { credential, .. } => Some(credential.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn finds_the_name_based_github_credentials_of_apps_and_user_assigned_identities() {
    let dir = Directory::new(tenant());
    let found: Vec<(String, String)> = find(&dir)
        .into_iter()
        .map(|n| (n.identity.display_name, n.fic.name))
        .collect();
    assert_eq!(found.len(), 4, "{found:?}");
    for want in ["gh-main", "gh-prod", "gh-docs", "deploy"] {
        assert!(found.iter().any(|(_, f)| f == want), "{want}: {found:?}");
    }
}

#[test]
fn one_app_gets_an_immutable_credential_per_name_based_one_then_loses_the_old() {
    let s = tenant();
    let p = plan(&s, "shipping-api", true);
    assert_eq!(p.kind, MigrationKind::GitHubImmutableSubject);
    p.check_order().unwrap();
    let new = added(&p);
    let subjects: Vec<&str> = new.iter().map(|f| f.subject.as_deref().unwrap()).collect();
    assert_eq!(
        subjects,
        [
            "repo:contoso@55/shipping@77:ref:refs/heads/main",
            "repo:contoso@55/shipping@77:environment:prod"
        ]
    );
    assert_eq!(new[0].name, "gh-main-immutable");
    let removed: Vec<&str> = p
        .steps
        .iter()
        .filter(|s| s.removes_secret)
        .map(|s| match &s.action {
            Change::RemoveFederatedCredential { name, .. } => name.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(removed, ["gh-main", "gh-prod"]);
    // The end state: immutable credentials only, the others untouched.
    let after = p.preview(&s).unwrap();
    let names: Vec<&str> = after.applications[0]
        .federated_identity_credentials
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["gh-done", "aks", "gh-main-immutable", "gh-prod-immutable"]
    );
    // Apply then undo leaves the tenant as it was.
    let mut t = s.clone();
    let undos: Vec<Change> = p
        .steps
        .iter()
        .map(|st| t.apply(&st.action).unwrap())
        .collect();
    for u in undos.iter().rev() {
        t.apply(u).unwrap();
    }
    assert_eq!(
        t.applications[0].federated_identity_credentials.len(),
        s.applications[0].federated_identity_credentials.len()
    );
    // What to switch in GitHub, per repository.
    let text = p.to_text();
    assert!(
        text.contains("In GitHub: switch contoso/shipping to immutable subject claims"),
        "{text}"
    );
    assert!(
        text.contains("[removes a credential: needs confirmation]"),
        "{text}"
    );
    assert!(
        !text.contains("A removed secret cannot come back"),
        "{text}"
    );
}

#[test]
fn two_name_based_credentials_with_one_subject_get_one_immutable_credential() {
    // Entra refuses a second FIC with the same issuer and subject (the emulator too): the
    // duplicate's removal is guarded by the one new credential.
    let mut s = TenantSnapshot::empty("t", NOW);
    let subject = "repo:contoso/shipping:environment:prod";
    s.applications.push(app(
        "returns",
        vec![gh("prod-a", subject), gh("prod-b", subject)],
    ));
    let p = plan(&s, "returns", true);
    let new = added(&p);
    assert_eq!(new.len(), 1, "{}", p.to_text());
    let removed: Vec<&str> = p
        .steps
        .iter()
        .filter_map(|st| match &st.action {
            Change::RemoveFederatedCredential { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(removed, ["prod-a", "prod-b"]);
    assert!(
        p.steps
            .iter()
            .filter(|st| st.removes_secret)
            .all(|st| st.precondition == Some(p.steps[0].verification.clone()))
    );
    assert_eq!(
        github_immutable::subject_pairs(&p),
        vec![(
            subject.to_string(),
            "repo:contoso@55/shipping@77:environment:prod".to_string()
        )]
    );
}

#[test]
fn a_user_assigned_identity_moves_through_arm() {
    let s = tenant();
    let p = plan(&s, "id-deployer", false);
    assert_eq!(p.identity.target, Target::UserAssignedIdentity(UAMI.into()));
    assert_eq!(p.steps.len(), 1, "the old one stays without remove_old");
    assert!(
        p.steps[0].calls[0].url.contains(
            "/federatedIdentityCredentials/deploy-immutable?api-version=2025-01-31-preview"
        ),
        "{:?}",
        p.steps[0].calls
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("run again with the old ones removed"))
    );
}

#[test]
fn ids_come_from_the_flags_for_one_repository_or_are_asked_for() {
    let s = tenant();
    let dir = Directory::new(s.clone());
    let c = ctx(&dir);
    let form = |owner: &str, repo: &str| ImmutableSubjectForm {
        identity: "docs-site".into(),
        owner_id: owner.into(),
        repo_id: repo.into(),
        remove_old: false,
    };
    let e = form("", "").build_plan(&c, &KnownIds::new()).unwrap_err();
    assert_eq!(e[0].field, "owner-id");
    assert!(
        e[0].message.flags().contains("tailwind/docs"),
        "{}",
        e[0].message
    );
    assert_eq!(
        form("", "").missing_ids(&dir, &KnownIds::new()).unwrap(),
        [("tailwind".to_string(), "docs".to_string())]
    );
    let p = form("9", "10").build_plan(&c, &KnownIds::new()).unwrap();
    assert_eq!(
        added(&p)[0].subject.as_deref(),
        Some("repo:tailwind@9/docs@10:ref:refs/heads/main")
    );
    let e = form("x9", "10")
        .build_plan(&c, &KnownIds::new())
        .unwrap_err();
    assert_eq!(e[0].field, "owner-id");
    let e = ImmutableSubjectForm {
        identity: "aks".into(),
        ..Default::default()
    }
    .build_plan(&c, &ids())
    .unwrap_err();
    assert_eq!(e[0].field, "identity");
}

#[test]
fn the_limit_of_twenty_counts() {
    let mut s = tenant();
    let fics = &mut s.applications[0].federated_identity_credentials;
    for i in 0..15 {
        fics.push(gh(
            &format!("k{i}"),
            &format!("repo:contoso@55/shipping@77:environment:e{i}"),
        ));
    }
    // 19 held, 2 name-based: room for one.
    let p = plan(&s, "shipping-api", true);
    assert_eq!(added(&p).len(), 1);
    assert!(
        p.notes.iter().any(|n| n.contains("room for 1 more")),
        "{:?}",
        p.notes
    );
    s.applications[0]
        .federated_identity_credentials
        .push(gh("k99", "repo:contoso@55/shipping@77:environment:x"));
    let dir = Directory::new(s);
    let e = ImmutableSubjectForm {
        identity: "shipping-api".into(),
        ..Default::default()
    }
    .build_plan(&ctx(&dir), &ids())
    .unwrap_err();
    assert!(
        e[0].message.flags().contains("merge-federated-credentials"),
        "{}",
        e[0].message
    );
}

#[test]
fn bulk_is_one_plan_per_identity_for_all_or_one_organisation() {
    let dir = Directory::new(tenant());
    let all = build_bulk(&ctx(&dir), &BulkScope::All, &ids(), true);
    let names: Vec<&str> = all
        .plans
        .iter()
        .map(|p| p.identity.display_name.as_str())
        .collect();
    assert_eq!(names, ["shipping-api", "id-deployer"], "{:?}", all.skipped);
    assert_eq!(all.skipped.len(), 1);
    assert_eq!(all.skipped[0].0, "docs-site");
    assert!(all.skipped[0].1.contains("tailwind/docs"));
    let contoso = build_bulk(
        &ctx(&dir),
        &BulkScope::Organisation("CONTOSO".into()),
        &ids(),
        true,
    );
    assert_eq!(contoso.plans.len(), 2);
    assert!(contoso.skipped.is_empty());
    let tailwind = build_bulk(
        &ctx(&dir),
        &BulkScope::Organisation("tailwind".into()),
        &ids(),
        true,
    );
    assert!(tailwind.plans.is_empty());
    assert_eq!(tailwind.skipped.len(), 1);
}

#[test]
fn the_gate_pairs_each_old_credential_with_its_own_replacement() {
    let s = tenant();
    let p = plan(&s, "shipping-api", true);
    let mut after = s.clone();
    for st in p.steps.iter().filter(|s| !s.removes_secret) {
        after.apply(&st.action).unwrap();
    }
    let mut creds = after.credentials_of(&p.identity.target).unwrap();
    for (i, f) in creds.federated.iter_mut().enumerate() {
        f.id = Some(format!("f0000000-0000-4000-8000-00000000000{i}"));
    }
    let main_new = creds
        .federated
        .iter()
        .find(|f| f.name == "gh-main-immutable")
        .unwrap();
    let usage = UsageData {
        collected_at: Some(NOW),
        sources: vec![SourceStatus::read(
            UsageSource::SignInLog,
            Some(NOW - time::Duration::days(30)),
            1,
        )],
        credentials: vec![CredentialActivity {
            source: UsageSource::SignInLog,
            credential_type: CredentialType::Federated,
            key: main_new.id.clone().unwrap(),
            thumbprint: None,
            app_id: None,
            owner_id: None,
            origin: None,
            last_sign_in: Some(NOW - time::Duration::days(1)),
            last_request_id: None,
            last_failure: None,
        }],
        identities: vec![],
    };
    let input = GateInput {
        plan: &p,
        credentials: &creds,
        replacement_added: NOW - time::Duration::days(2),
        usage: &usage,
    };
    let d = gates(&input, &GateOptions::default());
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].verdict, GateVerdict::Go, "{:?}", d[0]);
    assert_eq!(d[1].verdict, GateVerdict::Wait, "{:?}", d[1]);
    assert!(
        d[1].missing[0].contains("gh-prod-immutable"),
        "{:?}",
        d[1].missing
    );
}

fn fic_form(branch: &str, env: &str) -> FicForm {
    FicForm {
        identity: "shipping-api".into(),
        github_repo: "contoso/shipping".into(),
        branch: branch.into(),
        environment: env.into(),
        ..Default::default()
    }
}

#[test]
fn a_github_pattern_makes_a_flexible_credential_written_through_beta() {
    let dir = Directory::new(tenant());
    let p = fic_form("release/*", "")
        .build_plan(&ctx(&dir), &mut SequentialIds::default())
        .unwrap();
    let f = &added(&p)[0];
    assert_eq!(f.subject, None);
    assert_eq!(
        f.claims_matching_expression.as_deref(),
        Some("claims['sub'] matches 'repo:contoso/shipping:ref:refs/heads/release/*'")
    );
    assert_eq!(p.steps[0].calls[0].method, "POST");
    assert!(
        p.steps[0].calls[0]
            .url
            .starts_with("https://graph.microsoft.com/beta/applications/"),
        "{:?}",
        p.steps[0].calls
    );
    assert!(
        p.steps[0].calls[0]
            .body
            .as_deref()
            .unwrap()
            .contains("\"languageVersion\": 1")
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("flexible federated credential"))
    );
    assert!(
        p.to_text().contains("branches: ['release/*']"),
        "{}",
        p.to_text()
    );
    // An environment pattern too; a quote or a malformed pattern is refused by field.
    let p = fic_form("", "prod-?")
        .build_plan(&ctx(&dir), &mut SequentialIds::default())
        .unwrap();
    assert_eq!(
        added(&p)[0].claims_matching_expression.as_deref(),
        Some("claims['sub'] matches 'repo:contoso/shipping:environment:prod-?'")
    );
    let e = fic_form("it's/*", "")
        .build_plan(&ctx(&dir), &mut SequentialIds::default())
        .unwrap_err();
    assert_eq!(e[0].field, "branch");
    // Two flexible credentials with different patterns do not collide; the same one does.
    let mut s = tenant();
    s.applications[0].federated_identity_credentials.push(
        added(
            &fic_form("release/*", "")
                .build_plan(
                    &ctx(&Directory::new(tenant())),
                    &mut SequentialIds::default(),
                )
                .unwrap(),
        )[0]
        .clone(),
    );
    let dir = Directory::new(s);
    assert!(
        fic_form("hotfix/*", "")
            .build_plan(&ctx(&dir), &mut SequentialIds::default())
            .is_ok()
    );
    let p = fic_form("release/*", "")
        .build_plan(&ctx(&dir), &mut SequentialIds::default())
        .unwrap();
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("already has this federated credential")),
        "{:?}",
        p.notes
    );
}

#[test]
fn near_the_limit_the_remedy_is_a_merge_plan() {
    let mut s = tenant();
    let fics = &mut s.applications[0].federated_identity_credentials;
    for i in 0..14 {
        fics.push(gh(
            &format!("rel{i}"),
            &format!("repo:contoso/shipping:ref:refs/heads/release/{i}"),
        ));
    }
    let dir = Directory::new(s.clone());
    let report = audit(&dir, &AuditOptions::new(NOW), &[]);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule() == "fic-near-limit")
        .expect("18 FICs are near the limit");
    match &f.remedy {
        Remedy::Migration { migration, text } => {
            assert_eq!(*migration, "merge-federated-credentials");
            assert!(
                text.contains(
                    "credwise migrate merge-federated-credentials --identity shipping-api"
                ),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    let p = flexible::merge_plan(&ctx(&dir), "shipping-api", None, true).unwrap();
    assert_eq!(p.kind, MigrationKind::MergeFederatedCredentials);
    p.check_order().unwrap();
    let new = added(&p);
    assert_eq!(new.len(), 1);
    assert_eq!(
        new[0].claims_matching_expression.as_deref(),
        Some("claims['sub'] matches 'repo:contoso/shipping:ref:refs/heads/*'")
    );
    let after = p.preview(&s).unwrap();
    // main and release/0–13 merged into one; prod, gh-done and aks stay.
    assert_eq!(
        after.applications[0].federated_identity_credentials.len(),
        4
    );
    assert!(p.notes[0].contains("trusts every token whose subject matches"));
}
