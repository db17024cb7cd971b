//! The directory and Azure objects a tenant snapshot holds, in the shapes Graph and ARM give
//! them: applications, service principals, user-assigned managed identities (ARM resources),
//! Azure resources with an `identity` block, and role assignments.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Timestamp;
use super::credential::{FederatedIdentityCredential, KeyCredential, PasswordCredential};
use super::shared_str::SharedStr;

/// An app registration (`application`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Object id.
    pub id: String,
    /// Client id, shared with the application's service principals. Empty when Graph gave
    /// none (`null`): such an object is kept, and links to nothing by appId.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub app_id: String,
    pub display_name: String,
    /// `AzureADMyOrg`, `AzureADMultipleOrgs`, `AzureADandPersonalMicrosoftAccount`,
    /// `PersonalMicrosoftAccount`; kept as a string so new values survive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<SharedStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_domain: Option<SharedStr>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<Timestamp>,
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    /// At most 20 per application.
    #[serde(default)]
    pub federated_identity_credentials: Vec<FederatedIdentityCredential>,
    /// Graph's `@odata.type` when the object is a kind of application, e.g.
    /// `#microsoft.graph.agentIdentityBlueprint`; `None` for a plain application.
    #[serde(
        default,
        rename = "@odata.type",
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
}

impl Application {
    /// Apps that other tenants can consent to (`AzureADMultipleOrgs` and the audiences that
    /// include it).
    pub fn is_multi_tenant(&self) -> bool {
        matches!(
            self.sign_in_audience.as_deref(),
            Some("AzureADMultipleOrgs") | Some("AzureADandPersonalMicrosoftAccount")
        )
    }
}

/// `servicePrincipalType`. Unknown future values are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServicePrincipalType {
    Application,
    ManagedIdentity,
    Legacy,
    SocialIdp,
    Other(String),
}

impl ServicePrincipalType {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Application => "Application",
            Self::ManagedIdentity => "ManagedIdentity",
            Self::Legacy => "Legacy",
            Self::SocialIdp => "SocialIdp",
            Self::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "Application" => Self::Application,
            "ManagedIdentity" => Self::ManagedIdentity,
            "Legacy" => Self::Legacy,
            "SocialIdp" => Self::SocialIdp,
            other => Self::Other(other.to_string()),
        }
    }
}

impl Serialize for ServicePrincipalType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServicePrincipalType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Self::parse(&s))
    }
}

/// Which kind of managed identity a `ManagedIdentity` service principal stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedIdentityFlavour {
    SystemAssigned,
    UserAssigned,
}

/// A service principal (enterprise application, managed identity, legacy principal…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    /// Empty when Graph gave none: agent identities (`#microsoft.graph.agentIdentity`) have
    /// no `appId` of their own.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub app_id: String,
    pub display_name: String,
    pub service_principal_type: ServicePrincipalType,
    /// For managed identities: `isExplicit=True|False` and the ARM id of the UAMI or of the
    /// host resource.
    #[serde(default)]
    pub alternative_names: Vec<SharedStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// The tenant that owns the application this principal instantiates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_owner_organization_id: Option<SharedStr>,
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    /// On managed identities these are Azure-managed and not the owner's concern.
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    /// Graph's `tags`, e.g. `WindowsAzureActiveDirectoryOnPremApp` on App Proxy applications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Graph's `@odata.type` when the object is a kind of service principal, e.g.
    /// `#microsoft.graph.agentIdentity` (an agent identity, `servicePrincipalType`
    /// `ServiceIdentity`, no `appId`) or `#microsoft.graph.agentIdentityBlueprintPrincipal`;
    /// `None` for a plain service principal. Kept as it came, known or not.
    #[serde(
        default,
        rename = "@odata.type",
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
}

impl ServicePrincipal {
    /// Classifies a managed identity's principal from `alternativeNames`, without relying on
    /// the order of the entries (Graph does not promise one).
    pub fn managed_identity_flavour(&self) -> Option<ManagedIdentityFlavour> {
        if self.service_principal_type != ServicePrincipalType::ManagedIdentity {
            return None;
        }
        let mut explicit_false = false;
        for name in &self.alternative_names {
            if name.eq_ignore_ascii_case("isExplicit=True")
                || name
                    .to_ascii_lowercase()
                    .contains("/providers/microsoft.managedidentity/userassignedidentities/")
            {
                return Some(ManagedIdentityFlavour::UserAssigned);
            }
            if name.eq_ignore_ascii_case("isExplicit=False") {
                explicit_false = true;
            }
        }
        // Without either marker the principal still is a managed identity; a resource-bound
        // one is the common case.
        let _ = explicit_false;
        Some(ManagedIdentityFlavour::SystemAssigned)
    }

    /// The ARM id found in `alternativeNames` (host resource or UAMI).
    pub fn resource_id(&self) -> Option<&str> {
        self.alternative_names
            .iter()
            .map(SharedStr::as_str)
            .find(|n| n.starts_with('/'))
    }
}

/// A user-assigned managed identity: the ARM resource (`Microsoft.ManagedIdentity/
/// userAssignedIdentities`) with its own federated identity credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentity {
    /// The ARM resource id.
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The object id of its service principal.
    pub principal_id: String,
    /// The `appId` of its service principal.
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// At most 20 per identity.
    #[serde(default)]
    pub federated_identity_credentials: Vec<FederatedIdentityCredential>,
}

impl UserAssignedIdentity {
    pub fn subscription_id(&self) -> Option<&str> {
        arm_segment(&self.id, "subscriptions")
    }

    pub fn resource_group(&self) -> Option<&str> {
        arm_segment(&self.id, "resourceGroups")
    }
}

/// `null` reads as an empty string (a snapshot of an object Graph gave no `appId`).
fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

/// The value after `/{name}/` in an ARM id, compared case-insensitively (ARM ids come with
/// `resourcegroups` and `resourceGroups` alike).
pub fn arm_segment<'a>(id: &'a str, name: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(name) {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// An Azure resource that has a managed identity (from Resource Graph): what a system-assigned
/// identity belongs to and what user-assigned identities are attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureResource {
    /// The ARM id; a deployment slot's is `…/sites/<app>/slots/<slot>`.
    pub id: String,
    pub name: String,
    /// The ARM resource type, e.g. `Microsoft.Web/sites`.
    #[serde(rename = "type")]
    pub resource_type: SharedStr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SharedStr>,
    pub identity: ResourceIdentity,
}

/// The ARM `identity` block of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceIdentity {
    /// `SystemAssigned`, `UserAssigned`, `SystemAssigned, UserAssigned` or `None`.
    #[serde(rename = "type")]
    pub identity_type: SharedStr,
    /// The system-assigned identity's principal id, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// ARM ids of the attached user-assigned identities.
    #[serde(default)]
    pub user_assigned_identities: Vec<String>,
}

/// An Azure role assignment of some principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub id: String,
    pub principal_id: String,
    /// `ServicePrincipal`, `User`, `Group`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<SharedStr>,
    pub role_definition_id: SharedStr,
    /// The role's name (`Reader`, `Storage Blob Data Contributor`…) when it was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_definition_name: Option<SharedStr>,
    pub scope: SharedStr,
    /// An ABAC condition that narrows the role (e.g. Storage Blob Data Reader on one
    /// container only): `@Resource[...] StringEquals '...'`. Copying the assignment without it
    /// would grant more than the original (ARM `2022-04-01` `properties.condition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The condition language version; ARM accepts `2.0` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Set on assignments made for a delegated managed identity (Azure Lighthouse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegated_managed_identity_resource_id: Option<String>,
}

impl RoleAssignment {
    /// The role's name, or the last segment of its definition id.
    pub fn role_name(&self) -> &str {
        self.role_definition_name
            .as_deref()
            .unwrap_or_else(|| self.role_definition_id.rsplit('/').next().unwrap_or(""))
    }

    /// The condition's language version: the one given, or — for a condition without one —
    /// ARM's documented default, `2.0` ("If `condition` is specified without
    /// `conditionVersion`, the version is set to the default value of 2.0", Azure RBAC REST
    /// docs). `None` without a condition.
    pub fn effective_condition_version(&self) -> Option<&str> {
        self.condition.as_ref()?;
        Some(self.condition_version.as_deref().unwrap_or("2.0"))
    }

    /// Whether `other` narrows the role the same way: both unconditioned, or the same
    /// condition text at the same version. ARM stores the text as given, so it is compared
    /// as given (only surrounding whitespace aside).
    pub fn same_condition(&self, other: &RoleAssignment) -> bool {
        fn text(a: &RoleAssignment) -> Option<&str> {
            a.condition.as_deref().map(str::trim)
        }
        text(self) == text(other)
            && self.effective_condition_version() == other.effective_condition_version()
    }

    /// The `properties` of the ARM `PUT` that creates this assignment (api-version
    /// 2022-04-01): the condition travels with its version, so the new assignment grants no
    /// more than this one.
    pub fn create_properties(&self) -> serde_json::Value {
        let mut p = serde_json::json!({
            "roleDefinitionId": self.role_definition_id,
            "principalId": self.principal_id,
        });
        if let Some(t) = &self.principal_type {
            p["principalType"] = t.as_str().into();
        }
        if let Some(c) = &self.condition {
            p["condition"] = c.clone().into();
            p["conditionVersion"] = self.effective_condition_version().unwrap_or("2.0").into();
        }
        if let Some(d) = &self.description {
            p["description"] = d.clone().into();
        }
        if let Some(m) = &self.delegated_managed_identity_resource_id {
            p["delegatedManagedIdentityResourceId"] = m.clone().into();
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mi(names: &[&str]) -> ServicePrincipal {
        ServicePrincipal {
            id: "p".into(),
            app_id: "c".into(),
            display_name: "x".into(),
            service_principal_type: ServicePrincipalType::ManagedIdentity,
            alternative_names: names.iter().map(|&s| s.into()).collect(),
            account_enabled: None,
            app_owner_organization_id: None,
            password_credentials: vec![],
            key_credentials: vec![],
            tags: vec![],
            odata_type: None,
        }
    }

    #[test]
    fn classifies_managed_identities_in_any_order() {
        let ua = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1";
        let vm =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(
            mi(&["isExplicit=True", ua]).managed_identity_flavour(),
            Some(ManagedIdentityFlavour::UserAssigned)
        );
        assert_eq!(
            mi(&[ua]).managed_identity_flavour(),
            Some(ManagedIdentityFlavour::UserAssigned)
        );
        assert_eq!(
            mi(&[vm, "isExplicit=False"]).managed_identity_flavour(),
            Some(ManagedIdentityFlavour::SystemAssigned)
        );
        assert_eq!(mi(&[vm, "isExplicit=False"]).resource_id(), Some(vm));
    }

    #[test]
    fn unknown_service_principal_types_survive() {
        let t: ServicePrincipalType = serde_json::from_str("\"AgentIdentity\"").unwrap();
        assert_eq!(t, ServicePrincipalType::Other("AgentIdentity".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"AgentIdentity\"");
    }

    #[test]
    fn arm_segments_ignore_case() {
        let id = "/subscriptions/S1/resourcegroups/RG1/providers/x/y/z";
        assert_eq!(arm_segment(id, "resourceGroups"), Some("RG1"));
        assert_eq!(arm_segment(id, "subscriptions"), Some("S1"));
        assert_eq!(arm_segment(id, "nothing"), None);
    }
}
