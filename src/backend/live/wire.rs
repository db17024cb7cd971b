//! The JSON shapes of the Graph and ARM responses the live backend reads, and their
//! conversion to domain types. Objects (applications, service principals, credentials,
//! user-assigned identities, role assignments) go through `backend::wire`, the wire types the
//! `az` import (`backend::import`) reads too, so both paths agree on every quirk: `null` collections,
//! lenient timestamps, ARM's `properties` nesting, flexible FICs, and no field for
//! `secretText` or a certificate's `key` — those are dropped by serde, not filtered later.
//! What only a live crawl sees lives here: page envelopes (`@odata.nextLink`, `nextLink`),
//! `$batch` envelopes, subscriptions, Resource Graph rows, and the one
//! response that carries a secret (`addPassword`), which is split at once into metadata and
//! a `OneTimeSecret`.
//!
//! Imports the domain and `backend::wire`.

use serde::Deserialize;

use crate::backend::OneTimeSecret;
use crate::backend::wire::{
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

/// A Resource Graph response page. Rows stay JSON until `read_row`: Resource Graph columns
/// are `dynamic`, so one odd row (an `identity` that is a string, an array or null) must
/// not fail the page.
#[derive(Debug, Deserialize)]
pub struct ResourceGraphPage {
    #[serde(default, rename = "totalRecords")]
    pub total_records: Option<u64>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub data: Vec<serde_json::Value>,
    #[serde(default, rename = "$skipToken")]
    pub skip_token: Option<String>,
}

/// One row of the Resource Graph query (`project id, name, type, location, subscriptionId,
/// identity`), read.
#[derive(Debug, PartialEq)]
pub enum Row {
    Resource(AzureResource),
    /// `identity.type` is `None` or empty: the resource has no managed identity.
    NoIdentity,
    /// A row credwise cannot read, and why (naming its resource id when it has one); it is
    /// skipped with a warning.
    Unreadable(String),
}

/// What kind of JSON value `v` is, for messages.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// ARM's identity types in their documented spelling: providers write
/// `SystemAssigned, UserAssigned`, some without the space, and Resource Graph rows have been
/// seen lower-cased; an unknown type (`NotSpecified`, say) is kept as it is.
pub fn canonical_identity_type(raw: &str) -> String {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            ["SystemAssigned", "UserAssigned", "None"]
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(p))
                .unwrap_or(p)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one Resource Graph row. The query filters rows without an identity, but a row is
/// not trusted to obey it.
pub fn read_row(row: serde_json::Value) -> Row {
    let serde_json::Value::Object(mut o) = row else {
        return Row::Unreadable(format!("a row that is {}, not an object", json_kind(&row)));
    };
    let Some(id) = o
        .get("id")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
    else {
        return Row::Unreadable("a row without an id".into());
    };
    let text = |o: &serde_json::Map<String, serde_json::Value>, k: &str| {
        non_empty(
            o.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        )
    };
    let identity = match o.remove("identity") {
        Some(serde_json::Value::Object(i)) => i,
        Some(other) => {
            return Row::Unreadable(format!(
                "{id}: its identity is {}, not an object",
                json_kind(&other)
            ));
        }
        None => return Row::Unreadable(format!("{id}: the row has no identity")),
    };
    let identity_type = match identity.get("type") {
        Some(serde_json::Value::String(t)) => canonical_identity_type(t),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => {
            return Row::Unreadable(format!(
                "{id}: its identity type is {}, not a string",
                json_kind(other)
            ));
        }
    };
    if identity_type.is_empty() || identity_type == "None" {
        return Row::NoIdentity;
    }
    // Keyed by the user-assigned identity's ARM id; the values (principalId, clientId, or
    // null) are known from the identities themselves.
    let mut user_assigned: Vec<String> = match identity.get("userAssignedIdentities") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        Some(other) => {
            return Row::Unreadable(format!(
                "{id}: its userAssignedIdentities is {}, not an object",
                json_kind(other)
            ));
        }
    };
    user_assigned.sort_by_key(|k| k.to_ascii_lowercase());
    // Resource Graph lower-cases `type`; the id keeps the provider's own casing, which is
    // what ARM and the portal show.
    let (id_name, id_type) = arm_name_and_type(&id).unzip();
    let resource_type = match (id_type, text(&o, "type")) {
        (Some(from_id), Some(t)) if from_id.eq_ignore_ascii_case(&t) => from_id,
        (_, Some(t)) => t,
        (Some(from_id), None) => from_id,
        (None, None) => String::new(),
    };
    Row::Resource(AzureResource {
        name: text(&o, "name").or(id_name).unwrap_or_default(),
        resource_type: resource_type.into(),
        location: text(&o, "location").map(Into::into),
        identity: ResourceIdentity {
            identity_type: identity_type.into(),
            principal_id: non_empty(
                identity
                    .get("principalId")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
            ),
            user_assigned_identities: user_assigned,
        },
        id,
    })
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
mod tests;
