//! Unit tests of `wire`.

use super::*;
use crate::backend::wire::{WireApplication, WireServicePrincipal};
use crate::domain::{Application, ServicePrincipal};

type WireApp = Checked<Application, WireApplication>;
type WireSp = Checked<ServicePrincipal, WireServicePrincipal>;

#[test]
fn pages_of_both_services() {
    let graph: Page<WireApp> = serde_json::from_str(
        r#"{"@odata.context":"c","@odata.count":2,"value":[{"id":"o","appId":"a"}],
            "@odata.nextLink":"https://graph.microsoft.com/v1.0/applications?$skiptoken=x"}"#,
    )
    .unwrap();
    assert_eq!(graph.value.len(), 1);
    assert!(graph.next_link.unwrap().ends_with("$skiptoken=x"));
    let arm: Page<Subscription> =
        serde_json::from_str(r#"{"value":null,"nextLink":"https://m/x"}"#).unwrap();
    assert!(arm.value.is_empty());
    assert_eq!(arm.next_link.as_deref(), Some("https://m/x"));
    let last: Page<Subscription> = serde_json::from_str(r#"{"value":[]}"#).unwrap();
    assert_eq!(last.next_link, None);
}

fn row(json: &str) -> Row {
    read_row(serde_json::from_str(json).unwrap())
}

#[test]
fn resource_rows_keep_the_id_casing_of_the_type() {
    let Row::Resource(r) = row(
        r#"{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app1",
            "name":"app1","type":"microsoft.web/sites","location":"westeurope",
            "subscriptionId":"s",
            "identity":{"type":"SystemAssigned, UserAssigned","principalId":"p1","tenantId":"t",
              "userAssignedIdentities":{"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1":
                {"principalId":"p2","clientId":"c2"}}}}"#,
    ) else {
        panic!("a resource")
    };
    assert_eq!(r.resource_type, "Microsoft.Web/sites");
    assert_eq!(r.identity.principal_id.as_deref(), Some("p1"));
    assert_eq!(r.identity.user_assigned_identities.len(), 1);
    assert_eq!(
        row(r#"{"id":"/x","identity":{"type":"None"}}"#),
        Row::NoIdentity
    );
}

/// Resource Graph's `identity` is a dynamic column: a row whose identity is not an
/// object is skipped with its id named, never a failed page.
#[test]
fn rows_whose_identity_is_not_an_object_are_named_and_skipped() {
    for (identity, kind) in [
        (r#""SystemAssigned""#, "a string"),
        (r#"["SystemAssigned"]"#, "an array"),
        ("null", "null"),
        ("7", "a number"),
    ] {
        let Row::Unreadable(why) = row(&format!(
            r#"{{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/odd","identity":{identity}}}"#
        )) else {
            panic!("{identity} is not readable")
        };
        assert!(why.contains("/providers/Microsoft.Web/sites/odd"), "{why}");
        assert!(why.contains(kind), "{why}");
    }
    let Row::Unreadable(why) = row(
        r#"{"id":"/subscriptions/s/x/y","identity":{"type":"UserAssigned","userAssignedIdentities":["/u1"]}}"#,
    ) else {
        panic!("an array of identities is not readable")
    };
    assert!(
        why.contains("/subscriptions/s/x/y") && why.contains("an array"),
        "{why}"
    );
    assert_eq!(
        row(r#"{"name":"no id"}"#),
        Row::Unreadable("a row without an id".into())
    );
    assert!(matches!(row("[1]"), Row::Unreadable(w) if w.contains("an array")));
    // A whole page with odd rows still parses.
    let page: ResourceGraphPage = serde_json::from_str(
        r#"{"totalRecords":3,"data":[{"id":"/a","identity":"x"},null,{"id":"/b","identity":{"type":"SystemAssigned","principalId":"p"}}]}"#,
    )
    .unwrap();
    let read: Vec<Row> = page.data.into_iter().map(read_row).collect();
    assert!(matches!(&read[2], Row::Resource(r) if r.id == "/b"));
    assert!(matches!(&read[0], Row::Unreadable(_)) && matches!(&read[1], Row::Unreadable(_)));
}

/// Shapes real ARM payloads have shown: `userAssignedIdentities` values `null` or `{}`
/// (pulumi/pulumi-azure-native#350), empty principal ids and `type: None`
/// (Azure/azure-sdk-for-net#31693), lower-cased and space-less type lists, and types
/// credwise does not know (`NotSpecified`, Azure/azure-powershell#21876).
#[test]
fn identity_shapes_seen_in_real_payloads() {
    let Row::Resource(r) = row(
        r#"{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a",
            "identity":{"type":"systemassigned,userassigned","principalId":"p",
              "userAssignedIdentities":{"/u2":null,"/U1":{}}}}"#,
    ) else {
        panic!("a resource")
    };
    assert_eq!(r.identity.identity_type, "SystemAssigned, UserAssigned");
    assert_eq!(r.identity.user_assigned_identities, ["/U1", "/u2"]);
    assert_eq!(r.name, "a");
    assert_eq!(
        row(r#"{"id":"/l","identity":{"principalId":"","tenantId":"","type":"None"}}"#),
        Row::NoIdentity
    );
    let Row::Resource(r) =
        row(r#"{"id":"/c","identity":{"type":"NotSpecified","principalId":""}}"#)
    else {
        panic!("an unknown type is kept")
    };
    assert_eq!(
        (r.identity.identity_type.as_str(), r.identity.principal_id),
        ("NotSpecified", None)
    );
    assert_eq!(
        canonical_identity_type("UserAssigned,SystemAssigned"),
        "UserAssigned, SystemAssigned"
    );
}

/// Any JSON value at all, a few levels deep, with the keys a row has.
fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("SystemAssigned, UserAssigned"),
            Just("None"),
            Just("/sub/x")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let key = prop_oneof![
            Just("id".to_string()),
            Just("identity".to_string()),
            Just("type".to_string()),
            Just("principalId".to_string()),
            Just("userAssignedIdentities".to_string()),
            Just("name".to_string()),
            "[a-z/]{0,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(key, inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    /// Whatever Resource Graph puts in a row, reading it never panics, and a row it
    /// cannot read says why.
    #[test]
    fn any_row_is_read_or_named(v in any_json()) {
        if let Row::Unreadable(why) = read_row(v) {
            proptest::prop_assert!(!why.is_empty());
        }
    }
}

#[test]
fn added_password_splits_the_secret_off() {
    let added: AddedPassword = serde_json::from_str(
        r#"{"customKeyIdentifier":null,"displayName":"ci","endDateTime":"2027-01-01T00:00:00Z",
            "hint":"Xy7","keyId":"k1","secretText":"Xy7~very-secret","startDateTime":"2026-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let (meta, secret) = added.split();
    assert_eq!(meta.key_id, "k1");
    assert_eq!(meta.hint.as_deref(), Some("Xy7"));
    assert_eq!(secret.unwrap().expose(), "Xy7~very-secret");
    assert!(!format!("{meta:?}").contains("very-secret"));
}

/// The published payloads in `tests/fixtures/real/` (Graph doc examples as bodies, ARM
/// spec examples with the body under `responses.<status>.body`).
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn arm_body(name: &str, status: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
    v["responses"][status]["body"].clone()
}

#[test]
fn real_graph_payloads() {
    let apps: Page<WireApp> =
        serde_json::from_slice(&fixture("graph-application-list-response.json")).unwrap();
    assert!(!apps.value.is_empty());
    assert!(apps.value.iter().all(|a| !a.0.app_id.is_empty()));
    let sps: Page<WireSp> =
        serde_json::from_slice(&fixture("graph-serviceprincipal-list-response.json")).unwrap();
    assert_eq!(sps.value[0].0.id, "59e617e5-e447-4adc-8b88-00af644d7c92");
    let fics: Page<WireFicItem> =
        serde_json::from_slice(&fixture("graph-fic-list-response.json")).unwrap();
    let f = &fics.value[0].0;
    assert_eq!(
        f.id.as_deref(),
        Some("bdad0963-4a7a-43ae-b569-e67e1da3f2c0")
    );
    assert!(!f.issuer.is_empty() && f.subject.is_some() && f.audiences.len() == 1);
    let added: AddedPassword =
        serde_json::from_slice(&fixture("graph-addpassword-response.json")).unwrap();
    let (meta, secret) = added.split();
    assert_eq!(meta.key_id, "f0b0b335-1d71-4883-8f98-567911bfdca6");
    assert_eq!(meta.hint.as_deref(), Some("[6g"));
    assert_eq!(secret.unwrap().expose(), "[6gyXA5S20@MN+WRXAJ]I-TO7g1:h2P8");
    let batch: BatchResponse =
        serde_json::from_slice(&fixture("graph-batch-response.json")).unwrap();
    let statuses: Vec<u16> = batch.responses.iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&403),
        "{statuses:?}"
    );
    assert!(batch.responses.iter().all(|r| !r.id.is_empty()));
}

fn arm_request(name: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
    v["parameters"].clone()
}

/// The published role assignment, role definition, UAMI FIC (preview) and Resource Graph
/// examples, through the wire types the live backend reads them with.
#[test]
fn real_arm_payloads_of_every_call() {
    for (name, status) in [
        ("arm-role-assignment-create-2022-04-01.json", "201"),
        ("arm-role-assignment-create-2022-04-01.json", "200"),
        ("arm-role-assignment-get-2022-04-01.json", "200"),
        ("arm-role-assignment-delete-2022-04-01.json", "200"),
    ] {
        let r: WireRole = serde_json::from_value(arm_body(name, status)).unwrap();
        assert_eq!(
            r.0.principal_id, "ce2ce14e-85d7-4629-bdbc-454d0519d987",
            "{name}"
        );
        let named = arm_request(name)["roleAssignmentName"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            r.0.id.ends_with(&format!("/roleAssignments/{named}")),
            "{name}"
        );
        assert_eq!(r.0.condition, None, "{name}");
    }
    let deleted = arm_body("arm-role-assignment-delete-2022-04-01.json", "204");
    assert!(deleted.is_null(), "204 has no body: {deleted}");
    let def: RoleDefinition =
        serde_json::from_value(arm_body("arm-role-definition-get-2022-04-01.json", "200")).unwrap();
    assert_eq!(
        def.properties.unwrap().role_name.as_deref(),
        Some("Role name")
    );

    // A real conditioned assignment: what az sent and what ARM answered.
    let name = "arm-role-assignment-create-condition-2022-04-01.json";
    let answered: WireRole = serde_json::from_value(arm_body(name, "201")).unwrap();
    let a = answered.0;
    assert_eq!(
        a.condition.as_deref(),
        Some(
            "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:Name] stringEquals 'foo'"
        )
    );
    assert_eq!(a.condition_version.as_deref(), Some("2.0"));
    assert_eq!(
        a.description.as_deref(),
        Some("Role assignment foo to check on bar")
    );
    assert_eq!(a.delegated_managed_identity_resource_id, None);
    // credwise's PUT body for that assignment has the fields az sent.
    let sent = arm_request(name)["parameters"]["properties"].clone();
    let ours = a.create_properties();
    for k in [
        "roleDefinitionId",
        "principalId",
        "principalType",
        "condition",
        "conditionVersion",
        "description",
    ] {
        assert_eq!(ours[k], sent[k], "{k}");
    }
    let listed: Page<WireRole> = serde_json::from_value(arm_body(
        "arm-role-assignments-list-az-recording-2022-04-01.json",
        "200",
    ))
    .unwrap();
    assert_eq!(listed.value.len(), 2);
    assert!(listed.value.iter().all(|r| r.0.condition.is_none()
        && r.0.condition_version.is_none()
        && r.0.description.is_none()
        && r.0.scope == "/"));

    // UAMI FICs at the preview: classic and flexible side by side.
    let fics: Page<WireFicItem> =
        serde_json::from_value(arm_body("arm-uami-fic-list-2025-01-31-preview.json", "200"))
            .unwrap();
    assert!(
        fics.next_link
            .unwrap()
            .contains("api-version=2025-01-31-preview")
    );
    let (classic, flexible) = (&fics.value[0].0, &fics.value[1].0);
    assert_eq!(
        classic.subject.as_deref(),
        Some("system:serviceaccount:ns:svcaccount")
    );
    assert_eq!(classic.claims_matching_expression, None);
    assert_eq!(flexible.name, "flexibleFicResourceName");
    assert_eq!(flexible.subject, None);
    assert_eq!(
        flexible.claims_matching_expression.as_deref(),
        Some("claims['sub'] matches system:serviceaccount:ns:*")
    );
    let get: WireFicItem =
        serde_json::from_value(arm_body("arm-uami-fic-get-2025-01-31-preview.json", "200"))
            .unwrap();
    assert_eq!(get.0.name, "ficResourceName");
    assert!(get.0.subject.is_some());
    for (name, status) in [
        ("arm-uami-flexible-fic-get-2025-01-31-preview.json", "200"),
        (
            "arm-uami-flexible-fic-create-2025-01-31-preview.json",
            "201",
        ),
        (
            "arm-uami-flexible-fic-create-2025-01-31-preview.json",
            "200",
        ),
    ] {
        let f: WireFicItem = serde_json::from_value(arm_body(name, status)).unwrap();
        assert!(
            f.0.claims_matching_expression.is_some() && f.0.subject.is_none(),
            "{name}"
        );
    }
    // credwise writes a flexible FIC with the body the example shows.
    let sent = arm_request("arm-uami-flexible-fic-create-2025-01-31-preview.json")
        ["parameters"]["properties"]["claimsMatchingExpression"]
        .clone();
    assert_eq!(
        crate::domain::calls::claims_matching_expression(
            "claims['sub'] matches system:serviceaccount:ns:*"
        ),
        sent
    );
    let classic: WireFicItem =
        serde_json::from_value(arm_body("arm-uami-fic-create-2023-01-31.json", "201")).unwrap();
    assert!(classic.0.subject.is_some());
    for name in [
        "arm-uami-fic-delete-2024-11-30.json",
        "arm-uami-delete-2024-11-30.json",
    ] {
        let v: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
        let codes: Vec<&String> = v["responses"].as_object().unwrap().keys().collect();
        assert_eq!(
            codes,
            ["200", "204"],
            "{name}: deleting what is gone is a 204"
        );
    }

    // The next page of Resource Graph: the request repeats the query with the token.
    let next = arm_request("arm-resourcegraph-next-page-query-2024-04-01.json");
    assert!(next["query"]["options"]["$skipToken"].is_string());
    let page: ResourceGraphPage = serde_json::from_value(arm_body(
        "arm-resourcegraph-next-page-query-2024-04-01.json",
        "200",
    ))
    .unwrap();
    assert_eq!(page.data.len(), 3);
    assert!(page.skip_token.is_some());
}

#[test]
fn real_graph_payloads_of_issue_10() {
    let org: Page<Organization> =
        serde_json::from_slice(&fixture("graph-organization-list-response.json")).unwrap();
    assert_eq!(org.value[0].id, "84841066-274d-4ec0-a5c1-276be684bdd3");
    assert_eq!(org.value[0].display_name.as_deref(), Some("Contoso"));
    // An agent identity: no appId, a type credwise keeps as it came.
    let agents: Page<WireSp> =
        serde_json::from_slice(&fixture("graph-agentidentity-list-response.json")).unwrap();
    let a = &agents.value[0].0;
    assert_eq!(a.app_id, "");
    assert_eq!(a.display_name, "My Agent Identity");
    assert_eq!(
        a.service_principal_type,
        crate::domain::ServicePrincipalType::Other("ServiceIdentity".into())
    );
    let created: WireSp =
        serde_json::from_slice(&fixture("graph-agentidentity-create-response.json")).unwrap();
    assert_eq!(
        created.0.odata_type.as_deref(),
        Some("#microsoft.graph.agentIdentity")
    );
    assert_eq!(created.0.app_id, "");
    let beta: Page<WireFicItem> =
        serde_json::from_slice(&fixture("graph-beta-fic-list-response.json")).unwrap();
    assert_eq!(beta.value[0].0.name, "testing");
    assert!(beta.value[0].0.claims_matching_expression.is_none());
    let created: WireFicItem =
        serde_json::from_slice(&fixture("graph-fic-create-response.json")).unwrap();
    assert_eq!(
        created.0.id.as_deref(),
        Some("d9b7bf1e-429e-4678-8132-9b00c9846cc4")
    );
    let counted: serde_json::Value =
        serde_json::from_slice(&fixture("graph-application-list-count-response.json")).unwrap();
    let page: Page<WireApp> = serde_json::from_value(counted.clone()).unwrap();
    assert_eq!(counted["@odata.count"], 1);
    assert_eq!(page.value.len(), 1);
}

#[test]
fn real_arm_payloads() {
    let subs: Page<Subscription> =
        serde_json::from_value(arm_body("arm-subscriptions-list-2022-12-01.json", "200")).unwrap();
    assert_eq!(
        subs.value[0].tenant_id.as_deref(),
        Some("31c75423-32d6-4322-88b7-c478bdde4858")
    );
    let uamis: Page<WireUami> = serde_json::from_value(arm_body(
        "arm-uami-list-by-subscription-2024-11-30.json",
        "200",
    ))
    .unwrap();
    assert!(uamis.next_link.unwrap().contains("$skiptoken"));
    assert_eq!(uamis.value[0].0.name, "identityName");
    let fics: Page<WireFicItem> =
        serde_json::from_value(arm_body("arm-uami-fic-list-2024-11-30.json", "200")).unwrap();
    let f = &fics.value[0].0;
    assert_eq!(
        (f.name.as_str(), f.id.as_deref()),
        ("ficResourceName", None)
    );
    assert!(f.subject.is_some() && !f.issuer.is_empty());
    let roles: Page<WireRole> = serde_json::from_value(arm_body(
        "arm-role-assignments-list-for-scope-2022-04-01.json",
        "200",
    ))
    .unwrap();
    let r = &roles.value[0].0;
    assert_eq!(r.principal_id, "ce2ce14e-85d7-4629-bdbc-454d0519d987");
    assert_eq!(
        r.scope,
        "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"
    );
    let page: ResourceGraphPage = serde_json::from_value(arm_body(
        "arm-resourcegraph-first-page-query-2024-04-01.json",
        "200",
    ))
    .unwrap();
    assert_eq!(page.total_records, Some(386));
    assert!(page.skip_token.is_some());
    // The published rows (disks) have no identity: none becomes a resource.
    assert!(!page.data.is_empty());
    assert!(
        page.data
            .into_iter()
            .all(|r| matches!(read_row(r), Row::Unreadable(w) if w.contains("no identity")))
    );
    for status in ["200", "201"] {
        let created: CreatedIdentity =
            serde_json::from_value(arm_body("arm-uami-create-2024-11-30.json", status)).unwrap();
        assert_eq!(
            created.properties.principal_id,
            "25cc773c-7f05-40fc-a104-32d2300754ad"
        );
    }
}
