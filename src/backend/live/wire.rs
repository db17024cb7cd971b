//! The JSON shapes of the Graph and ARM responses the live backend reads, and their
//! conversion to domain types. Objects (applications, service principals, credentials,
//! user-assigned identities, role assignments) go through the same wire types as the `az`
//! import (`backend::import`), so both paths agree on every quirk: `null` collections,
//! lenient timestamps, ARM's `properties` nesting, flexible FICs, and no field for
//! `secretText` or a certificate's `key` — those are dropped by serde, not filtered later.
//! What only a live crawl sees lives here: page envelopes (`@odata.nextLink`, `nextLink`),
//! `$batch` envelopes, subscriptions, Resource Graph rows, and the one
//! response that carries a secret (`addPassword`), which is split at once into metadata and
//! a `OneTimeSecret`.
//!
//! Imports the domain and the import module's wire types.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::backend::OneTimeSecret;
use crate::backend::import::{
    Checked, WireFic, WireIdentity, WirePassword, WireRoleAssignment, arm_name_and_type, non_empty,
    null_as_empty,
};
use crate::domain::{
    AzureResource, FederatedIdentityCredential, PasswordCredential, ResourceIdentity,
    RoleAssignment, UserAssignedIdentity,
};

pub type WireUami = Checked<UserAssignedIdentity, WireIdentity>;
pub type WireFicItem = Checked<FederatedIdentityCredential, WireFic>;
pub type WireRole = Checked<RoleAssignment, WireRoleAssignment>;

/// One page of a Graph or ARM list. Graph names the link `@odata.nextLink`, ARM `nextLink`.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink", alias = "nextLink")]
    pub next_link: Option<String>,
}

/// `GET /organization`: the signed-in tenant.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `GET /me`, for the migration record's "who".
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// An ARM subscription (`GET /subscriptions`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscription_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// An ARM role definition, for the role's name.
#[derive(Debug, Deserialize)]
pub struct RoleDefinition {
    #[serde(default)]
    pub properties: Option<RoleDefinitionProperties>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionProperties {
    #[serde(default)]
    pub role_name: Option<String>,
}

/// A Resource Graph response page.
#[derive(Debug, Deserialize)]
pub struct ResourceGraphPage {
    #[serde(default, rename = "totalRecords")]
    pub total_records: Option<u64>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub data: Vec<ResourceRow>,
    #[serde(default, rename = "$skipToken")]
    pub skip_token: Option<String>,
}

/// One row of the Resource Graph query (`project id, name, type, location, subscriptionId,
/// identity`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRow {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub identity: Option<RowIdentity>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowIdentity {
    #[serde(default, rename = "type")]
    pub identity_type: Option<String>,
    #[serde(default)]
    pub principal_id: Option<String>,
    /// Keyed by the user-assigned identity's ARM id; the values (principalId, clientId) are
    /// known from the identities themselves.
    #[serde(default)]
    pub user_assigned_identities: Option<BTreeMap<String, serde::de::IgnoredAny>>,
}

impl ResourceRow {
    /// The domain resource; `None` for a row without an identity (the query filters those,
    /// but a row is not trusted to obey it).
    pub fn into_resource(self) -> Option<AzureResource> {
        let identity = self.identity?;
        let identity_type = non_empty(identity.identity_type)?;
        if identity_type.eq_ignore_ascii_case("None") {
            return None;
        }
        // Resource Graph lower-cases `type`; the id keeps the provider's own casing, which is
        // what ARM and the portal show.
        let (id_name, id_type) = arm_name_and_type(&self.id).unzip();
        let resource_type = match (id_type, non_empty(self.resource_type)) {
            (Some(from_id), Some(t)) if from_id.eq_ignore_ascii_case(&t) => from_id,
            (_, Some(t)) => t,
            (Some(from_id), None) => from_id,
            (None, None) => String::new(),
        };
        let mut user_assigned: Vec<String> = identity
            .user_assigned_identities
            .map(|m| m.into_keys().collect())
            .unwrap_or_default();
        user_assigned.sort_by_key(|k| k.to_ascii_lowercase());
        Some(AzureResource {
            name: non_empty(self.name).or(id_name).unwrap_or_default(),
            resource_type,
            location: non_empty(self.location),
            identity: ResourceIdentity {
                identity_type,
                principal_id: non_empty(identity.principal_id),
                user_assigned_identities: user_assigned,
            },
            id: self.id,
        })
    }
}

/// The ARM response to creating a user-assigned identity: the ids Azure chose.
#[derive(Debug, Deserialize)]
pub struct CreatedIdentity {
    pub properties: CreatedIdentityProperties,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedIdentityProperties {
    pub principal_id: String,
    pub client_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// `addPassword`'s response: the new secret's metadata and, once, its value.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedPassword {
    #[serde(flatten)]
    credential: WirePassword,
    #[serde(default)]
    secret_text: Option<String>,
}

impl AddedPassword {
    pub fn split(self) -> (PasswordCredential, Option<OneTimeSecret>) {
        (
            self.credential.into(),
            self.secret_text.map(OneTimeSecret::new),
        )
    }
}

/// What a federated credential matches: a subject (v1.0 and stable ARM) or a claims
/// expression (Graph beta, ARM preview), never both.
pub enum FicMatch<'a> {
    Subject(&'a str),
    Expression(&'a str),
}

impl<'a> FicMatch<'a> {
    pub fn of(fic: &'a FederatedIdentityCredential) -> Result<Self, crate::backend::Error> {
        match (&fic.subject, &fic.claims_matching_expression) {
            (Some(s), _) => Ok(Self::Subject(s)),
            (None, Some(e)) => Ok(Self::Expression(e)),
            (None, None) => Err(crate::backend::Error::Unavailable(format!(
                "federated credential {} has neither a subject nor a claims expression",
                fic.name
            ))),
        }
    }

    /// `claimsMatchingExpression` as Graph beta and ARM preview write it.
    pub fn expression_json(expression: &str) -> serde_json::Value {
        serde_json::json!({ "languageVersion": 1, "value": expression })
    }
}

/// A `$batch` response: items in any order, each with its own status.
#[derive(Debug, Deserialize)]
pub struct BatchResponse {
    #[serde(default)]
    pub responses: Vec<BatchItem>,
}

#[derive(Debug, Deserialize)]
pub struct BatchItem {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub body: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::import::{WireApplication, WireServicePrincipal};
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

    #[test]
    fn resource_rows_keep_the_id_casing_of_the_type() {
        let row: ResourceRow = serde_json::from_str(
            r#"{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app1",
                "name":"app1","type":"microsoft.web/sites","location":"westeurope",
                "subscriptionId":"s",
                "identity":{"type":"SystemAssigned, UserAssigned","principalId":"p1","tenantId":"t",
                  "userAssignedIdentities":{"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1":
                    {"principalId":"p2","clientId":"c2"}}}}"#,
        )
        .unwrap();
        let r = row.into_resource().unwrap();
        assert_eq!(r.resource_type, "Microsoft.Web/sites");
        assert_eq!(r.identity.principal_id.as_deref(), Some("p1"));
        assert_eq!(r.identity.user_assigned_identities.len(), 1);
        let none: ResourceRow =
            serde_json::from_str(r#"{"id":"/x","identity":{"type":"None"}}"#).unwrap();
        assert!(none.into_resource().is_none());
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
            serde_json::from_value(arm_body("arm-subscriptions-list-2022-12-01.json", "200"))
                .unwrap();
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
        assert!(page.data.into_iter().all(|r| r.into_resource().is_none()));
        for status in ["200", "201"] {
            let created: CreatedIdentity =
                serde_json::from_value(arm_body("arm-uami-create-2024-11-30.json", status))
                    .unwrap();
            assert_eq!(
                created.properties.principal_id,
                "25cc773c-7f05-40fc-a104-32d2300754ad"
            );
        }
    }
}
