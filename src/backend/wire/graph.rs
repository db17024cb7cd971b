//! Graph's objects: applications, service principals, their passwords and keys, and federated
//! identity credentials (Graph writes them flat; ARM's UAMI FICs nest them under `properties`,
//! which [`WireFic`] reads too).

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::timestamp::lenient_timestamp;
use super::{Checked, non_empty, null_as_empty};
use crate::domain::{
    Application, FederatedIdentityCredential, KeyCredential, PasswordCredential, ServicePrincipal,
    ServicePrincipalType, Timestamp,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "an application object")]
pub(crate) struct WireApplication {
    /// Missing in `$select`-ed exports and in shortened doc examples.
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    /// Set on kinds of application (`#microsoft.graph.agentIdentityBlueprint`).
    #[serde(default, rename = "@odata.type")]
    odata_type: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    sign_in_audience: Option<String>,
    #[serde(default)]
    publisher_domain: Option<String>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    created_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "null_as_empty")]
    password_credentials: Vec<WirePassword>,
    #[serde(default, deserialize_with = "null_as_empty")]
    key_credentials: Vec<WireKey>,
    /// Present only when exported with `$expand=federatedIdentityCredentials`.
    #[serde(default, deserialize_with = "null_as_empty")]
    federated_identity_credentials: Vec<Checked<FederatedIdentityCredential, WireFic>>,
    /// Only service principals have it: its presence means `az ad sp list` output was given
    /// as the applications file, which would otherwise import without complaint.
    #[serde(default)]
    service_principal_type: Option<IgnoredAny>,
}

impl TryFrom<WireApplication> for Application {
    type Error = String;

    fn try_from(w: WireApplication) -> Result<Self, String> {
        let app_id = non_empty(w.app_id).unwrap_or_default();
        if w.service_principal_type.is_some() {
            return Err(wrong_file(
                &w.id.unwrap_or(app_id),
                "a service principal",
                "--service-principals",
            ));
        }
        // Without its object id an app is still identified by its appId, which is unique in
        // the tenant; the index looks objects up by either. Without both it is nothing.
        let id = non_empty(w.id)
            .or_else(|| Some(app_id.clone()).filter(|a| !a.is_empty()))
            .ok_or("an application with neither an id nor an appId")?;
        Ok(Self {
            display_name: non_empty(w.display_name).unwrap_or_else(|| {
                if app_id.is_empty() {
                    id.clone()
                } else {
                    app_id.clone()
                }
            }),
            id,
            app_id,
            odata_type: non_empty(w.odata_type),
            sign_in_audience: non_empty(w.sign_in_audience).map(Into::into),
            publisher_domain: non_empty(w.publisher_domain).map(Into::into),
            created_date_time: w.created_date_time,
            password_credentials: w.password_credentials.into_iter().map(Into::into).collect(),
            key_credentials: w.key_credentials.into_iter().map(Into::into).collect(),
            federated_identity_credentials: w
                .federated_identity_credentials
                .into_iter()
                .map(|c| c.0)
                .collect(),
        })
    }
}

/// The message for an object that belongs in another input file.
fn wrong_file(id: &str, what: &str, flag: &str) -> String {
    format!("the object {id:?} is {what}; give this file with {flag}")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a service principal object")]
pub(crate) struct WireServicePrincipal {
    id: String,
    /// `null` or missing on agent identities.
    #[serde(default)]
    app_id: Option<String>,
    /// Set on kinds of service principal (`#microsoft.graph.agentIdentity`, …).
    #[serde(default, rename = "@odata.type")]
    odata_type: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    service_principal_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    alternative_names: Vec<String>,
    #[serde(default)]
    account_enabled: Option<bool>,
    #[serde(default)]
    app_owner_organization_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    password_credentials: Vec<WirePassword>,
    #[serde(default, deserialize_with = "null_as_empty")]
    key_credentials: Vec<WireKey>,
    #[serde(default, deserialize_with = "null_as_empty")]
    tags: Vec<String>,
    /// Only applications have it (the permissions they request): its presence means
    /// `az ad app list` output was given as the service principals file.
    #[serde(default)]
    required_resource_access: Option<IgnoredAny>,
}

impl TryFrom<WireServicePrincipal> for ServicePrincipal {
    type Error = String;

    fn try_from(w: WireServicePrincipal) -> Result<Self, String> {
        if w.required_resource_access.is_some() {
            return Err(wrong_file(&w.id, "an application", "--apps"));
        }
        let app_id = non_empty(w.app_id).unwrap_or_default();
        Ok(Self {
            display_name: non_empty(w.display_name).unwrap_or_else(|| {
                if app_id.is_empty() {
                    w.id.clone()
                } else {
                    app_id.clone()
                }
            }),
            id: w.id,
            app_id,
            odata_type: non_empty(w.odata_type),
            // Older exports and doc examples omit the type; every such principal is an
            // app's instance.
            service_principal_type: non_empty(w.service_principal_type)
                .map_or(ServicePrincipalType::Application, |t| {
                    ServicePrincipalType::parse(&t)
                }),
            alternative_names: w.alternative_names.into_iter().map(Into::into).collect(),
            account_enabled: w.account_enabled,
            app_owner_organization_id: non_empty(w.app_owner_organization_id).map(Into::into),
            password_credentials: w.password_credentials.into_iter().map(Into::into).collect(),
            key_credentials: w.key_credentials.into_iter().map(Into::into).collect(),
            tags: w.tags,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a passwordCredential object")]
pub(crate) struct WirePassword {
    key_id: String,
    /// Older secrets have none, and `az` prints `null`.
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    start_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    end_date_time: Option<Timestamp>,
}

impl From<WirePassword> for PasswordCredential {
    fn from(w: WirePassword) -> Self {
        Self {
            key_id: w.key_id.into(),
            display_name: non_empty(w.display_name),
            hint: non_empty(w.hint),
            start_date_time: w.start_date_time,
            end_date_time: w.end_date_time,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a keyCredential object")]
pub(crate) struct WireKey {
    key_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    custom_key_identifier: Option<String>,
    #[serde(default, rename = "type")]
    key_type: Option<String>,
    #[serde(default)]
    usage: Option<String>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    start_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    end_date_time: Option<Timestamp>,
}

impl From<WireKey> for KeyCredential {
    fn from(w: WireKey) -> Self {
        Self {
            key_id: w.key_id.into(),
            display_name: non_empty(w.display_name),
            custom_key_identifier: non_empty(w.custom_key_identifier),
            key_type: non_empty(w.key_type).map(Into::into),
            usage: non_empty(w.usage).map(Into::into),
            start_date_time: w.start_date_time,
            end_date_time: w.end_date_time,
        }
    }
}

/// A federated identity credential as Graph (flat) or ARM (`properties`) writes it.
#[derive(Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a federatedIdentityCredential object"
)]
pub(crate) struct WireFic {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    claims_matching_expression: Option<WireExpression>,
    #[serde(default)]
    audiences: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    properties: Option<Box<WireFic>>,
}

/// Beta Graph and preview ARM write `{"languageVersion": 1, "value": "…"}`; accept a bare
/// string too.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a claimsMatchingExpression: a string or {\"value\": \"…\"}"
)]
enum WireExpression {
    Text(String),
    Object { value: String },
}

impl TryFrom<WireFic> for FederatedIdentityCredential {
    type Error = String;

    fn try_from(w: WireFic) -> Result<Self, String> {
        let p = w.properties.map(|b| *b).unwrap_or_default();
        let name =
            non_empty(w.name.or(p.name)).ok_or("a federated identity credential without a name")?;
        let issuer = non_empty(w.issuer.or(p.issuer))
            .ok_or_else(|| format!("federated identity credential {name:?} has no issuer"))?;
        let expression = w
            .claims_matching_expression
            .or(p.claims_matching_expression)
            .map(|e| match e {
                WireExpression::Text(v) | WireExpression::Object { value: v } => v,
            });
        Ok(Self {
            // An ARM FIC's `id` is its resource path; ARM FICs are keyed by name alone, and the
            // model's `id` is Graph's.
            id: non_empty(w.id).filter(|id| !id.starts_with('/')),
            subject: non_empty(w.subject.or(p.subject)),
            claims_matching_expression: non_empty(expression),
            audiences: w.audiences.or(p.audiences).unwrap_or_default(),
            description: non_empty(w.description.or(p.description)),
            name,
            issuer,
        })
    }
}
