//! Issue #10's "done when", Graph side: a tenant as real tenants are — flexible FICs on
//! applications, agent identities (a service principal type and an `@odata.type` credwise
//! has never seen, no `appId`), an application whose `appId` is null, and 2,000 applications —
//! loads completely through `LiveBackend::load` against the emulator, which models Graph's
//! failures (v1.0 breaks off at a flexible FIC, `$expand` pages of 100); every flexible FIC
//! shows its expression (in the snapshot, in `list --output json`); the unknown types show on
//! screen and in JSON; the load costs exactly the requests the documented page sizes give;
//! and a flexible app FIC is removed and restored through `LiveBackend::apply`.
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
    Change, Check, Directory, FederatedIdentityCredential, ServicePrincipalType, TenantSnapshot,
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

fn sorted(mut s: TenantSnapshot) -> TenantSnapshot {
    s.applications.sort_by(|a, b| a.id.cmp(&b.id));
    for a in &mut s.applications {
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
        a.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
    }
    s.service_principals.sort_by(|a, b| a.id.cmp(&b.id));
    s
}

#[tokio::test]
async fn a_real_tenant_loads_completely_at_the_documented_request_count() {
    let tenant = real_tenant();
    let emu = Emulator::start(tenant.clone()).await;
    let loaded = backend(&emu, false)
        .load(&Scope::default(), &Progress::silent())
        .await
        .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let (got, want) = (sorted((*loaded.snapshot).clone()), sorted(emu.snapshot()));
    // Complete: every application and principal, every credential, as the service holds it.
    assert_eq!(got.applications.len(), APPS + 1);
    assert_eq!(got.applications, want.applications);
    assert_eq!(got.service_principals, want.service_principals);

    // Every flexible FIC with its expression (the generator's and the 40 added).
    let flex = flexible(&got);
    assert!(flex.len() >= 40, "{}", flex.len());
    assert_eq!(flex, flexible(&want));

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

    // The request count the documented page sizes give: `/organization`, two `$count`s, two
    // delta links "from now" (for the next incremental refresh), the v1.0 application list at
    // 999 per page, the beta FIC list at 100 per page (`$expand`'s cap), the service
    // principal list at 999 per page. Nothing else: no FIC read per app.
    let (a, s) = (want.applications.len(), want.service_principals.len());
    let expected = 1 + 2 + 2 + a.div_ceil(999) + a.div_ceil(100) + s.div_ceil(999);
    let graph: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| {
            r.path_and_query.starts_with("/v1.0/") || r.path_and_query.starts_with("/beta/")
        })
        .collect();
    assert_eq!(
        graph.len(),
        expected,
        "{:#?}",
        graph.iter().map(|r| &r.path_and_query).collect::<Vec<_>>()
    );
    assert_eq!(expected, 1 + 2 + 2 + 3 + 21 + 4);
    assert!(graph.iter().all(|r| r.status == 200));
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
        },
    );
    update(&mut app, Msg::Command(Command::Open));
    update(&mut app, Msg::Command(Command::Filter));
    type_text(&mut app, "^support-agent-003$", true);
    update(&mut app, Msg::FilterAccept);
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
