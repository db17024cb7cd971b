//! Issue #10's "done when": ONE tenant as real tenants are — flexible FICs on applications
//! AND on user-assigned identities, role assignments narrowed by ABAC conditions, agent
//! identities (a service principal type and an `@odata.type` credwise has never seen, no
//! `appId`), an application whose `appId` is null, and 2,000 applications — loads completely
//! through `LiveBackend::load`, Graph and ARM, against the emulator, which models the
//! services' failures (v1.0 breaks off at a flexible FIC, `$expand` pages of 100, identity
//! FICs whose expression exists only at the preview, conditions only from 2020-03-01-preview
//! on); every flexible FIC (application and identity) shows its expression and every
//! condition is kept; the load costs exactly the requests the documented page sizes give,
//! Graph and ARM counted apart (the formulas are written in the test); the unknown types show
//! on screen and in JSON; and a flexible app FIC is removed and restored through
//! `LiveBackend::apply`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use credwise_test_kit::emulator;

use std::sync::Arc;
use std::time::Duration;

use common::{NOW, render, screen, type_text, ui};
use credwise::app::{App, Command, Msg, update};
use credwise::backend::live::{
    AuthMode, LiveBackend, LiveConfig, PartitionSettings, RetrySettings,
};
use credwise::backend::{Backend, Progress, Scope};
use credwise::domain::change::Target;
use credwise::domain::{
    Change, Check, Directory, FederatedIdentityCredential, RoleAssignment, ServicePrincipalType,
    TenantSnapshot,
};
use credwise_test_kit::tenant::{TenantSpec, add_agent_identities, generate_tenant};
use emulator::Emulator;

const APPS: usize = 2_000;
const SPS: usize = 3_000;
const AGENTS: usize = 12;

/// The tenant: 2,000 generated applications (some with flexible FICs already), 40 more apps
/// with a flexible FIC beside their classic ones, agent identities with their blueprint, and
/// one application whose `appId` is null.
fn real_tenant() -> TenantSnapshot {
    let mut t = generate_tenant(
        &TenantSpec {
            applications: APPS,
            service_principals: SPS,
            credentials: APPS * 2,
            seed: 10,
        },
        NOW,
    );
    for (i, app) in t.applications.iter_mut().step_by(50).enumerate() {
        app.federated_identity_credentials.truncate(19);
        app.federated_identity_credentials
            .push(FederatedIdentityCredential {
                id: Some(format!("0f1e0000-0000-4000-8000-{i:012}")),
                name: format!("gitlab-any-branch-{i}"),
                issuer: "https://gitlab.com".into(),
                subject: None,
                claims_matching_expression: Some(format!(
                    "claims['sub'] matches 'project_path:contoso/app-{i}:ref_type:branch:ref:*'"
                )),
                audiences: vec!["api://AzureADTokenExchange".into()],
                description: Some("every branch".into()),
            });
    }
    t.applications[7].app_id = String::new();
    add_agent_identities(&mut t, AGENTS, 10);
    // Flexible FICs on user-assigned identities too: every fourth identity gets one (in place
    // of its last classic one when it has the most an identity may hold).
    for (i, u) in t.user_assigned_identities.iter_mut().step_by(4).enumerate() {
        u.federated_identity_credentials.truncate(19);
        u.federated_identity_credentials
            .push(FederatedIdentityCredential {
                id: None,
                name: format!("aks-any-namespace-account-{i}"),
                issuer: format!("https://oidc.prod-aks.azure.com/{i}/issuer/"),
                subject: None,
                claims_matching_expression: Some(format!(
                    "claims['sub'] matches 'system:serviceaccount:team-{i}:*'"
                )),
                audiences: vec!["api://AzureADTokenExchange".into()],
                // ARM's FIC resource has no description.
                description: None,
            });
    }
    // Role assignments narrowed by a condition: every fifth assignment of a service
    // principal reads blobs of one container only.
    for (i, a) in t
        .role_assignments
        .iter_mut()
        .filter(|a| a.principal_type.as_deref() == Some("ServicePrincipal"))
        .step_by(5)
        .enumerate()
    {
        a.condition = Some(format!(
            "((!(ActionMatches{{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'container-{i}'))"
        ));
        a.condition_version = Some("2.0".into());
        a.description = Some(format!("container-{i} only"));
    }
    t
}

fn backend(emu: &Emulator, include_arm: bool) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        include_arm,
        retry: RetrySettings {
            max_retries: 4,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            max_total_wait: Duration::from_secs(3),
            try_timeout: Duration::from_secs(10),
            max_connection_retries: 2,
            ..RetrySettings::default()
        },
        // One query per list: the request count below is that of the unsplit lists; the
        // partitioned crawl (the default above 2,000 objects) has its own counts in
        // tests/crawl_partitions.rs.
        partitions: PartitionSettings {
            min_objects: u64::MAX,
            ..PartitionSettings::default()
        },
        ..LiveConfig::new(Arc::new(|| NOW))
    })
    .unwrap()
}

fn flexible(s: &TenantSnapshot) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = s
        .applications
        .iter()
        .flat_map(|a| {
            a.federated_identity_credentials.iter().filter_map(|f| {
                f.claims_matching_expression
                    .clone()
                    .map(|e| (a.id.clone(), f.name.clone(), e))
            })
        })
        .collect();
    out.sort();
    out
}

/// Every flexible FIC of a user-assigned identity: (identity, name, expression).
fn flexible_on_identities(s: &TenantSnapshot) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = s
        .user_assigned_identities
        .iter()
        .flat_map(|u| {
            u.federated_identity_credentials.iter().filter_map(|f| {
                f.claims_matching_expression
                    .clone()
                    .map(|e| (u.id.clone(), f.name.clone(), e))
            })
        })
        .collect();
    out.sort();
    out
}

/// Pages of a list of `n` items at `page` per page: an empty list is one (empty) page.
fn pages(n: usize, page: usize) -> usize {
    n.div_ceil(page).max(1)
}

#[tokio::test]
async fn a_real_tenant_loads_completely_at_the_documented_request_count() {
    let tenant = real_tenant();
    let emu = Emulator::start(tenant.clone()).await;
    let loaded = backend(&emu, true)
        .load(&Scope::default(), &Progress::silent())
        .await
        .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let (got, mut want) = (
        common::crawl_order((*loaded.snapshot).clone()),
        common::crawl_order(emu.snapshot()),
    );
    // Complete: every application and principal, every credential, as the service holds it.
    assert_eq!(got.applications.len(), APPS + 1);
    assert_eq!(got.applications, want.applications);
    assert_eq!(got.service_principals, want.service_principals);
    // …every identity with its FICs, every resource, every role assignment of the tenant's
    // principals (the emulator also serves those of users and groups, which a load leaves
    // out) with its condition.
    assert_eq!(got.user_assigned_identities, want.user_assigned_identities);
    assert_eq!(got.resources, want.resources);
    let principals: std::collections::HashSet<String> = want
        .service_principals
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    let all_assignments = want.role_assignments.clone();
    want.role_assignments
        .retain(|r| principals.contains(&r.principal_id.to_ascii_lowercase()));
    assert_eq!(got.role_assignments.len(), want.role_assignments.len());
    for (g, w) in got.role_assignments.iter().zip(&want.role_assignments) {
        // credwise names every role whose definition ARM can read.
        let w = RoleAssignment {
            role_definition_name: g.role_definition_name.clone(),
            ..w.clone()
        };
        assert_eq!(g, &w);
    }

    // Every flexible FIC with its expression: the applications' (the generator's and the 40
    // added) and the identities'.
    let flex = flexible(&got);
    assert!(flex.len() >= 40, "{}", flex.len());
    assert_eq!(flex, flexible(&want));
    let flex = flexible_on_identities(&got);
    assert!(flex.len() >= 10, "{}", flex.len());
    assert_eq!(flex, flexible_on_identities(&want));
    // Every condition, with its version.
    let conditions = |s: &[RoleAssignment]| -> Vec<(String, String, String)> {
        s.iter()
            .filter_map(|r| {
                Some((
                    r.id.clone(),
                    r.condition.clone()?,
                    r.effective_condition_version()?.to_string(),
                ))
            })
            .collect()
    };
    assert!(conditions(&got.role_assignments).len() >= 10);
    assert_eq!(
        conditions(&got.role_assignments),
        conditions(&want.role_assignments)
    );

    // The app without an appId and the agent identities are kept, types as they came.
    assert!(got.applications.iter().any(|a| a.app_id.is_empty()));
    let agents: Vec<_> = got
        .service_principals
        .iter()
        .filter(|s| s.odata_type.as_deref() == Some("#microsoft.graph.agentIdentity"))
        .collect();
    assert_eq!(agents.len(), AGENTS);
    assert!(agents.iter().all(|a| a.app_id.is_empty()
        && a.service_principal_type == ServicePrincipalType::Other("ServiceIdentity".into())));
    assert!(got.service_principals.iter().any(
        |s| s.odata_type.as_deref() == Some("#microsoft.graph.agentIdentityBlueprintPrincipal")
    ));

    let requests = emu.requests();
    let (graph, arm): (Vec<_>, Vec<_>) = requests.iter().partition(|r| {
        r.path_and_query.starts_with("/v1.0/") || r.path_and_query.starts_with("/beta/")
    });
    assert!(requests.iter().all(|r| r.status == 200), "{requests:#?}");

    // Graph: `/organization`, two `$count`s, two delta links "from now" (for the next
    // incremental refresh), the v1.0 application list at 999 per page (Graph's
    // largest `$top`, application-list.md), the beta FIC list at 100 per page (`$expand`'s
    // cap, microsoft-graph-docs#21506), the service principal list at 999 per page. Nothing
    // else: no FIC read per application.
    let (a, s) = (want.applications.len(), want.service_principals.len());
    let graph_expected = 1 + 2 + 2 + a.div_ceil(999) + a.div_ceil(100) + s.div_ceil(999);
    assert_eq!(
        graph.len(),
        graph_expected,
        "{:#?}",
        graph.iter().map(|r| &r.path_and_query).collect::<Vec<_>>()
    );
    assert_eq!(graph_expected, 1 + 2 + 2 + 3 + 21 + 4);

    // ARM, with P the list page size — ARM documents none (its list examples show a
    // `nextLink`); the emulator's is `Options::arm_page` — and Resource Graph's largest page,
    // 1,000 rows (`options.$top`, A-arg): the subscription list (the tenant's S subscriptions
    // and the other tenant's one the token also sees) ⌈(S+1)/P⌉; per subscription the
    // identities ⌈U_s/P⌉ and the role assignments at, above or below it ⌈A_s/P⌉ (an empty
    // list is one page); one FIC list per identity (at most 20 FICs: one page); one Resource
    // Graph query per 300 subscriptions, ⌈R/1000⌉ pages; and one role definition read per role
    // the kept assignments use (ARM's assignments do not carry the role's name).
    let p = emu.options().arm_page;
    let subscription_of = |id: &str| {
        credwise::domain::objects::arm_segment(id, "subscriptions").map(str::to_ascii_lowercase)
    };
    let mut subscriptions: Vec<String> = want
        .user_assigned_identities
        .iter()
        .map(|u| u.id.as_str())
        .chain(want.resources.iter().map(|r| r.id.as_str()))
        .chain(all_assignments.iter().map(|r| r.scope.as_str()))
        .filter_map(subscription_of)
        .collect();
    subscriptions.sort();
    subscriptions.dedup();
    let in_sub = |sub: &str, id: &str| subscription_of(id).as_deref() == Some(sub);
    let identities_pages: usize = subscriptions
        .iter()
        .map(|sub| {
            pages(
                want.user_assigned_identities
                    .iter()
                    .filter(|u| in_sub(sub, &u.id))
                    .count(),
                p,
            )
        })
        .sum();
    let assignment_pages: usize = subscriptions
        .iter()
        .map(|sub| {
            pages(
                all_assignments
                    .iter()
                    .filter(|r| in_sub(sub, &r.scope))
                    .count(),
                p,
            )
        })
        .sum();
    // Resource Graph: the subscriptions in up to four groups of one size, at most 300 each,
    // queried side by side; each group's rows in pages of 1,000.
    let resource_graph_pages: usize = subscriptions
        .chunks(subscriptions.len().div_ceil(4).clamp(1, 300))
        .map(|group| {
            let rows = want
                .resources
                .iter()
                .filter(|r| group.iter().any(|sub| in_sub(sub, &r.id)))
                .count();
            pages(rows, 1000)
        })
        .sum();
    let mut roles: Vec<String> = want
        .role_assignments
        .iter()
        .map(|r| {
            r.role_definition_id
                .rsplit('/')
                .next()
                .unwrap()
                .to_ascii_lowercase()
        })
        .collect();
    roles.sort();
    roles.dedup();
    let arm_expected = pages(subscriptions.len() + 1, p)
        + identities_pages
        + want.user_assigned_identities.len()
        + resource_graph_pages
        + assignment_pages
        + roles.len();
    assert_eq!(
        arm.len(),
        arm_expected,
        "{:#?}",
        arm.iter().map(|r| &r.path_and_query).collect::<Vec<_>>()
    );
    // Each kind of ARM request, counted apart, so a wrong total says which one is off.
    let count = |needle: &str| {
        arm.iter()
            .filter(|r| r.path_and_query.contains(needle))
            .count()
    };
    assert_eq!(
        count("/federatedIdentityCredentials?"),
        want.user_assigned_identities.len()
    );
    assert_eq!(count("/roleDefinitions/"), roles.len());
    assert_eq!(count("/roleAssignments?"), assignment_pages);
    assert_eq!(count("Microsoft.ResourceGraph"), resource_graph_pages);
}

#[tokio::test]
async fn flexible_fics_and_unknown_types_show_in_json_and_on_screen() {
    let emu = Emulator::start(real_tenant()).await;
    let loaded = backend(&emu, true)
        .load(&Scope::default(), &Progress::silent())
        .await
        .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let snapshot = (*loaded.snapshot).clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    credwise::store::snapshot_file::save(&snapshot, &file).unwrap();

    // `list --output json`: each flexible FIC with its expression and no subject; the agent
    // identities with their type and no appId.
    let out = common::cli::ok(&[
        "list",
        "--snapshot",
        common::cli::s(&file),
        "--output",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let identities = list.as_array().unwrap();
    let shown: Vec<(String, String, String)> = identities
        .iter()
        .filter(|i| i["kind"] == "application")
        .flat_map(|i| {
            let id = i["id"].as_str().unwrap().to_string();
            i["credentials"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["type"] == "federated" && c.get("claimsMatchingExpression").is_some())
                .map(move |c| {
                    assert!(c.get("subject").is_none(), "{c}");
                    (
                        id.clone(),
                        c["name"].as_str().unwrap().to_string(),
                        c["claimsMatchingExpression"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut shown = shown;
    shown.sort();
    assert_eq!(shown, flexible(&snapshot));
    let agents: Vec<&serde_json::Value> = identities
        .iter()
        .filter(|i| i["@odata.type"] == "#microsoft.graph.agentIdentity")
        .collect();
    assert_eq!(agents.len(), AGENTS);
    for a in &agents {
        assert_eq!(a["kind"], "service-principal");
        assert_eq!(a["servicePrincipalType"], "ServiceIdentity");
        assert!(a.get("appId").is_none(), "{a}");
    }
    assert!(identities.iter().any(|i| i["@odata.type"]
        == "#microsoft.graph.agentIdentityBlueprint"
        && i["kind"] == "application"));

    // On screen: the details pane names what the object is.
    let mut app = App::new("live", false, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(Directory::new(snapshot)),
            audit: None,
            warnings: vec![],
            cached_at: None,
            refresh: None,
        },
    );
    update(&mut app, Msg::Command(Command::Open));
    update(&mut app, Msg::Command(Command::Filter));
    type_text(&mut app, "^support-agent-003$");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    update(&mut app, Msg::Command(Command::Open));
    let text = screen(&render(&app, &mut ui(), 120, 40));
    assert!(
        text.contains("Service principal · ServiceIdentity · agentIdentity"),
        "{text}"
    );
}

#[tokio::test]
async fn a_flexible_app_fic_is_removed_and_restored() {
    let tenant = real_tenant();
    let emu = Emulator::start(tenant.clone()).await;
    let b = backend(&emu, false);
    let app = tenant
        .applications
        .iter()
        .find(|a| {
            // One of the added flexible FICs, beside classic ones.
            a.federated_identity_credentials.len() > 1
                && a.federated_identity_credentials
                    .iter()
                    .any(|f| f.name.starts_with("gitlab-any-branch-"))
        })
        .unwrap()
        .clone();
    let fic = app
        .federated_identity_credentials
        .iter()
        .find(|f| f.name.starts_with("gitlab-any-branch-"))
        .unwrap()
        .clone();
    assert!(fic.claims_matching_expression.is_some());
    let target = Target::Application(app.id.clone());
    let present = Check::CredentialPresent {
        target: target.clone(),
        id: fic.name.clone(),
    };
    assert!(b.check(&present).await.unwrap());
    let removed = b
        .apply(&Change::RemoveFederatedCredential {
            target: target.clone(),
            name: fic.name.clone(),
        })
        .await
        .unwrap();
    assert!(!b.check(&present).await.unwrap());
    // The undo holds the FIC as beta gave it: the expression, no subject.
    let Change::AddFederatedCredential { credential, .. } = &removed.undo else {
        panic!("{:?}", removed.undo)
    };
    assert_eq!(
        credential.claims_matching_expression,
        fic.claims_matching_expression
    );
    assert_eq!(credential.subject, None);
    b.apply(&removed.undo).await.unwrap();
    assert!(b.check(&present).await.unwrap());
    // Restored as it was (Graph gives the re-created FIC a new id), through beta, the only
    // version that takes an expression; no FIC was read through v1.0.
    let now = emu.snapshot();
    let restored = now
        .applications
        .iter()
        .find(|a| a.id == app.id)
        .unwrap()
        .federated_identity_credentials
        .iter()
        .find(|f| f.name == fic.name)
        .unwrap();
    assert_eq!(
        FederatedIdentityCredential {
            id: None,
            ..restored.clone()
        },
        FederatedIdentityCredential { id: None, ..fic }
    );
    let log = emu.requests();
    assert!(log.iter().any(|r| r.method == "POST"
        && r.path_and_query.starts_with(&format!(
            "/beta/applications/{}/federatedIdentityCredentials",
            app.id
        ))));
    assert!(log.iter().all(|r| !(r.method == "GET"
        && r.path_and_query.starts_with("/v1.0/")
        && r.path_and_query.contains("federatedIdentityCredentials"))));
}
