//! ARM's objects: user-assigned identities and role assignments, as `az` prints them (flat) or
//! as the REST API answers (nested under `properties`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::graph::WireFic;
use super::{Checked, last_segment, non_empty, null_as_empty};
use crate::domain::{FederatedIdentityCredential, RoleAssignment, UserAssignedIdentity};

/// A user-assigned identity: `az identity list` prints it flat, ARM nests the identity's
/// ids under `properties`.
#[derive(Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a user-assigned identity object"
)]
pub(crate) struct WireIdentity {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    resource_type: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    /// Checked after the ids, so that a file of some other kind of object (whose `tags` is
    /// an array, say) is reported as the wrong file rather than as a bad `tags`.
    #[serde(default)]
    tags: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "null_as_empty")]
    federated_identity_credentials: Vec<Checked<FederatedIdentityCredential, WireFic>>,
    #[serde(default)]
    properties: Option<Box<WireIdentity>>,
}

const UAMI_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

impl TryFrom<WireIdentity> for UserAssignedIdentity {
    type Error = String;

    fn try_from(w: WireIdentity) -> Result<Self, String> {
        let p = w.properties.map(|b| *b).unwrap_or_default();
        let id = non_empty(w.id.or(p.id)).ok_or("a user-assigned identity without an id")?;
        // Most likely the wrong file was passed; say so rather than import nonsense.
        if !id.starts_with('/') {
            return Err(format!(
                "{id:?} is not an ARM resource id; expected `az identity list` output"
            ));
        }
        if let Some(t) = non_empty(w.resource_type.or(p.resource_type))
            && !t.eq_ignore_ascii_case(UAMI_TYPE)
        {
            return Err(format!(
                "{id:?} is a {t}, not a user-assigned identity ({UAMI_TYPE})"
            ));
        }
        let principal_id = non_empty(w.principal_id.or(p.principal_id))
            .ok_or_else(|| format!("user-assigned identity {id:?} has no principalId"))?;
        let client_id = non_empty(w.client_id.or(p.client_id))
            .ok_or_else(|| format!("user-assigned identity {id:?} has no clientId"))?;
        let tags = arm_tags(w.tags.or(p.tags)).ok_or_else(|| {
            format!("the tags of user-assigned identity {id:?} are not an object")
        })?;
        let fics = if w.federated_identity_credentials.is_empty() {
            p.federated_identity_credentials
        } else {
            w.federated_identity_credentials
        };
        Ok(Self {
            name: non_empty(w.name.or(p.name)).unwrap_or_else(|| last_segment(&id).to_string()),
            location: non_empty(w.location.or(p.location)),
            principal_id,
            client_id,
            tenant_id: non_empty(w.tenant_id.or(p.tenant_id)),
            tags,
            federated_identity_credentials: fics.into_iter().map(|c| c.0).collect(),
            id,
        })
    }
}

/// ARM tags: an object of strings. `null` (no tags, or a tag without a value) is tolerated,
/// and a number or boolean a hand-written file may hold is kept as its JSON text; `None` when
/// `tags` is not an object at all.
fn arm_tags(tags: Option<serde_json::Value>) -> Option<BTreeMap<String, String>> {
    use serde_json::Value;
    match tags {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(Value::Object(map)) => Some(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Some(_) => None,
    }
}

/// A role assignment: `az role assignment list` prints it flat, ARM nests it under
/// `properties`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a role assignment object")]
pub(crate) struct WireRoleAssignment {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    resource_type: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    principal_type: Option<String>,
    #[serde(default)]
    role_definition_id: Option<String>,
    #[serde(default)]
    role_definition_name: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    condition_version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    delegated_managed_identity_resource_id: Option<String>,
    #[serde(default)]
    properties: Option<Box<WireRoleAssignment>>,
}

const ROLE_ASSIGNMENT_TYPE: &str = "Microsoft.Authorization/roleAssignments";

impl TryFrom<WireRoleAssignment> for RoleAssignment {
    type Error = String;

    fn try_from(w: WireRoleAssignment) -> Result<Self, String> {
        let p = w.properties.map(|b| *b).unwrap_or_default();
        let id = non_empty(w.id.or(p.id)).ok_or("a role assignment without an id")?;
        if let Some(t) = non_empty(w.resource_type.or(p.resource_type))
            && !t.eq_ignore_ascii_case(ROLE_ASSIGNMENT_TYPE)
        {
            return Err(format!(
                "{id:?} is a {t}, not a role assignment ({ROLE_ASSIGNMENT_TYPE})"
            ));
        }
        let missing = |field: &str| format!("role assignment {id:?} has no {field}");
        Ok(Self {
            principal_id: non_empty(w.principal_id.or(p.principal_id))
                .ok_or_else(|| missing("principalId"))?,
            principal_type: non_empty(w.principal_type.or(p.principal_type)).map(Into::into),
            role_definition_id: non_empty(w.role_definition_id.or(p.role_definition_id))
                .ok_or_else(|| missing("roleDefinitionId"))?
                .into(),
            role_definition_name: non_empty(w.role_definition_name.or(p.role_definition_name))
                .map(Into::into),
            scope: non_empty(w.scope.or(p.scope))
                .ok_or_else(|| missing("scope"))?
                .into(),
            condition: non_empty(w.condition.or(p.condition)),
            condition_version: non_empty(w.condition_version.or(p.condition_version)),
            description: non_empty(w.description.or(p.description)),
            delegated_managed_identity_resource_id: non_empty(
                w.delegated_managed_identity_resource_id
                    .or(p.delegated_managed_identity_resource_id),
            ),
            id,
        })
    }
}
