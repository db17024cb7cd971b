//! Sign-in data on the wire: the items of the two beta reports (`appCredentialSignInActivity`,
//! `servicePrincipalSignInActivity`) and the sign-in log's `signIn`, in every published shape:
//! - as Graph answers them (camelCase; reference §5, G-signin; beta `signIn` resource);
//! - as `az rest` saves a page of them (the same objects under `value`);
//! - as the Entra admin center's sign-in log "Download JSON" writes them: a bare array of the
//!   same camelCase `signIn` objects (what Microsoft's MSIdentityTools `Get-MsIdAzureUsers
//!   -SignInsJsonPath` reads, AzureAD/MSIdentityTools `src/Get-MsIdAzureUsers.ps1`);
//! - as Log Analytics exports the `AADServicePrincipalSignInLogs` table: PascalCase columns
//!   (`CreatedDateTime`, `AppId`, `ServicePrincipalCredentialKeyId`,
//!   `ServicePrincipalCredentialThumbprint`, `FederatedCredentialId`, `ResultType`; Azure
//!   Monitor table reference).
//!
//! Read leniently, because the published examples are sloppy (reference §5): `expirationDate`
//! beside `expirationDateTime`, offsets like `-8:00`, request ids like `guid1`, `keyType`
//! `secret` beside the documented `clientSecret`. Only what usage needs is kept: ids, times,
//! the credential used and whether the sign-in succeeded — never an IP address, a user agent
//! or a location.

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::non_empty;
use super::timestamp::lenient_timestamp;
use crate::domain::Timestamp;
use crate::domain::credential::CredentialType;
use crate::domain::usage::{
    CredentialActivity, CredentialOrigin, IdentityActivity, SignInEvent, UsageSource,
};

/// `signInActivity`: `{lastSignInDateTime, lastSignInRequestId}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSignInActivity {
    #[serde(default, deserialize_with = "lenient_timestamp")]
    last_sign_in_date_time: Option<Timestamp>,
    #[serde(default)]
    last_sign_in_request_id: Option<String>,
}

/// One `appCredentialSignInActivity`.
#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "an appCredentialSignInActivity object"
)]
pub(crate) struct WireCredentialReportItem {
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    key_type: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    app_object_id: Option<String>,
    #[serde(default)]
    service_principal_object_id: Option<String>,
    #[serde(default)]
    credential_origin: Option<String>,
    #[serde(default)]
    sign_in_activity: Option<WireSignInActivity>,
}

impl TryFrom<WireCredentialReportItem> for CredentialActivity {
    type Error = String;

    fn try_from(w: WireCredentialReportItem) -> Result<Self, String> {
        let Some(key) = non_empty(w.key_id) else {
            return Err("an appCredentialSignInActivity without a keyId".into());
        };
        // The resource page says `clientSecret`; the published example of a single item says
        // `secret`.
        let credential_type = match w.key_type.as_deref().map(str::trim) {
            Some("clientSecret") | Some("secret") => CredentialType::Secret,
            Some("certificate") => CredentialType::Certificate,
            other => {
                return Err(format!(
                    "appCredentialSignInActivity of keyId {key}: keyType {} is not clientSecret or certificate",
                    other.map_or_else(|| "missing".to_string(), |t| format!("{t:?}"))
                ));
            }
        };
        let origin = w.credential_origin.as_deref().map(CredentialOrigin::parse);
        let owner_id = match origin {
            Some(CredentialOrigin::ServicePrincipal) => non_empty(w.service_principal_object_id),
            _ => non_empty(w.app_object_id),
        };
        let activity = w.sign_in_activity.unwrap_or_default();
        Ok(Self {
            source: UsageSource::CredentialReport,
            credential_type,
            key,
            thumbprint: None,
            app_id: non_empty(w.app_id),
            owner_id,
            origin,
            last_sign_in: activity.last_sign_in_date_time,
            last_request_id: non_empty(activity.last_sign_in_request_id),
            last_failure: None,
        })
    }
}

/// One `servicePrincipalSignInActivity`.
#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a servicePrincipalSignInActivity object"
)]
pub(crate) struct WireServicePrincipalReportItem {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    application_authentication_client_sign_in_activity: Option<WireSignInActivity>,
    #[serde(default)]
    last_sign_in_activity: Option<WireSignInActivity>,
}

impl TryFrom<WireServicePrincipalReportItem> for IdentityActivity {
    type Error = String;

    fn try_from(w: WireServicePrincipalReportItem) -> Result<Self, String> {
        let Some(app_id) = non_empty(w.app_id) else {
            return Err("a servicePrincipalSignInActivity without an appId".into());
        };
        let at = |a: Option<WireSignInActivity>| a.and_then(|a| a.last_sign_in_date_time);
        Ok(Self {
            source: UsageSource::ServicePrincipalReport,
            app_id,
            service_principal_id: None,
            last_app_only: at(w.application_authentication_client_sign_in_activity),
            last_any: at(w.last_sign_in_activity),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus {
    #[serde(default)]
    error_code: Option<i64>,
}

/// One `signIn` (Graph, camelCase) or `AADServicePrincipalSignInLogs` row (Log Analytics,
/// PascalCase).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a signIn object")]
pub(crate) struct WireSignIn {
    #[serde(default, alias = "Id")]
    id: Option<String>,
    #[serde(
        default,
        alias = "CreatedDateTime",
        deserialize_with = "lenient_timestamp"
    )]
    created_date_time: Option<Timestamp>,
    #[serde(default, alias = "AppId")]
    app_id: Option<String>,
    #[serde(default, alias = "ServicePrincipalId")]
    service_principal_id: Option<String>,
    #[serde(default, alias = "ServicePrincipalCredentialKeyId")]
    service_principal_credential_key_id: Option<String>,
    #[serde(default, alias = "ServicePrincipalCredentialThumbprint")]
    service_principal_credential_thumbprint: Option<String>,
    #[serde(default, alias = "FederatedCredentialId")]
    federated_credential_id: Option<String>,
    #[serde(default, alias = "ClientCredentialType")]
    client_credential_type: Option<String>,
    #[serde(default)]
    status: Option<WireStatus>,
    /// Log Analytics: `0` (or `"0"`) for a success, an error code otherwise.
    #[serde(default, rename = "ResultType")]
    result_type: Option<serde_json::Value>,
}

impl TryFrom<WireSignIn> for SignInEvent {
    type Error = String;

    fn try_from(w: WireSignIn) -> Result<Self, String> {
        let Some(at) = w.created_date_time else {
            return Err(format!(
                "sign-in {} has no createdDateTime",
                w.id.as_deref().unwrap_or("(no id)")
            ));
        };
        // Without a status a sign-in is not counted as a success: a success it is not is
        // what could let a secret be removed too early; a failure only keeps it.
        let succeeded = match (&w.status, &w.result_type) {
            (
                Some(WireStatus {
                    error_code: Some(c),
                }),
                _,
            ) => *c == 0,
            (_, Some(serde_json::Value::Number(n))) => n.as_i64() == Some(0),
            (_, Some(serde_json::Value::String(s))) => {
                s.trim() == "0" || s.trim().eq_ignore_ascii_case("success")
            }
            _ => false,
        };
        Ok(Self {
            at,
            app_id: non_empty(w.app_id),
            service_principal_id: non_empty(w.service_principal_id),
            key_id: non_empty(w.service_principal_credential_key_id),
            thumbprint: non_empty(w.service_principal_credential_thumbprint),
            federated_credential_id: non_empty(w.federated_credential_id),
            client_credential_type: non_empty(w.client_credential_type),
            succeeded,
            request_id: non_empty(w.id),
        })
    }
}

/// An item of an imported file, whichever of the three it is.
#[derive(Debug)]
pub(crate) enum UsageItem {
    Credential(CredentialActivity),
    Identity(IdentityActivity),
    SignIn(SignInEvent),
}

impl<'de> Deserialize<'de> for UsageItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let has = |k: &str| map.contains_key(k);
        let value = serde_json::Value::Object(map.clone());
        let fail = |e: serde_json::Error| de::Error::custom(super::redact_strings(&e.to_string()));
        if has("keyId") && (has("signInActivity") || has("keyType")) {
            let w: WireCredentialReportItem = serde_json::from_value(value).map_err(fail)?;
            return w
                .try_into()
                .map(UsageItem::Credential)
                .map_err(de::Error::custom);
        }
        if has("lastSignInActivity")
            || has("applicationAuthenticationClientSignInActivity")
            || has("delegatedClientSignInActivity")
        {
            let w: WireServicePrincipalReportItem = serde_json::from_value(value).map_err(fail)?;
            return w
                .try_into()
                .map(UsageItem::Identity)
                .map_err(de::Error::custom);
        }
        if has("createdDateTime") || has("CreatedDateTime") {
            let w: WireSignIn = serde_json::from_value(value).map_err(fail)?;
            return w
                .try_into()
                .map(UsageItem::SignIn)
                .map_err(de::Error::custom);
        }
        Err(de::Error::custom(
            "not a sign-in (signIn), appCredentialSignInActivity or \
             servicePrincipalSignInActivity object: it has none of createdDateTime, keyId with \
             signInActivity, or lastSignInActivity",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/real")
                .join(name),
        )
        .unwrap()
    }

    #[derive(Deserialize)]
    struct Page<T> {
        value: Vec<T>,
    }

    #[test]
    fn the_published_credential_report_reads_despite_its_quirks() {
        let page: Page<WireCredentialReportItem> = serde_json::from_slice(&read(
            "graph-beta-appcredentialsigninactivities-list-response.json",
        ))
        .unwrap();
        let items: Vec<CredentialActivity> = page
            .value
            .into_iter()
            .map(|w| w.try_into().unwrap())
            .collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].key, "83f45296-fb8f-4aaa-a399-ac51084e02b7");
        assert_eq!(items[0].credential_type, CredentialType::Certificate);
        assert_eq!(items[0].origin, Some(CredentialOrigin::Application));
        assert_eq!(
            items[0].owner_id.as_deref(),
            Some("6920caa5-1cae-4bc8-bf59-9c0b8495d240")
        );
        // `2021-03-18T00:00:00-8:00`: an offset without its leading zero.
        assert_eq!(
            items[0].last_sign_in,
            Some(time::macros::datetime!(2021-03-18 08:00 UTC))
        );
        assert_eq!(items[0].last_request_id.as_deref(), Some("guid1"));
        assert_eq!(items[1].origin, Some(CredentialOrigin::ServicePrincipal));
        assert_eq!(
            items[1].owner_id.as_deref(),
            Some("afb9dcdc-34ef-4d8e-91b5-4f094758100c")
        );
    }

    #[test]
    fn the_published_service_principal_report_reads() {
        let page: Page<WireServicePrincipalReportItem> = serde_json::from_slice(&read(
            "graph-beta-serviceprincipalsigninactivities-list-response.json",
        ))
        .unwrap();
        let items: Vec<IdentityActivity> = page
            .value
            .into_iter()
            .map(|w| w.try_into().unwrap())
            .collect();
        assert_eq!(items[0].app_id, "83f45296-fb8f-4aaa-a399-ac51084e02b7");
        assert_eq!(
            items[0].last_app_only,
            Some(time::macros::datetime!(2021-03-01 08:00 UTC))
        );
        assert_eq!(
            items[0].last_any,
            Some(time::macros::datetime!(2021-04-01 00:00 UTC))
        );
    }

    #[test]
    fn key_types_as_documented_and_as_published() {
        for (t, want) in [
            ("clientSecret", Some(CredentialType::Secret)),
            ("secret", Some(CredentialType::Secret)),
            ("certificate", Some(CredentialType::Certificate)),
            ("unknownFutureValue", None),
        ] {
            let json = format!(r#"{{"keyId":"k","keyType":"{t}","signInActivity":null}}"#);
            let w: WireCredentialReportItem = serde_json::from_str(&json).unwrap();
            let got: Result<CredentialActivity, _> = w.try_into();
            assert_eq!(got.ok().map(|c| c.credential_type), want, "{t}");
        }
    }

    #[test]
    fn sign_ins_in_graph_and_log_analytics_shapes() {
        let graph = r#"{"id":"r1","createdDateTime":"2026-11-20T10:00:00Z","appId":"a",
            "servicePrincipalId":"s","servicePrincipalCredentialKeyId":"k",
            "servicePrincipalCredentialThumbprint":"","federatedCredentialId":null,
            "signInEventTypes":["servicePrincipal"],"status":{"errorCode":0},
            "ipAddress":"192.0.2.1"}"#;
        let e: SignInEvent = serde_json::from_str::<WireSignIn>(graph)
            .unwrap()
            .try_into()
            .unwrap();
        assert!(e.succeeded);
        assert_eq!(e.key_id.as_deref(), Some("k"));
        assert_eq!(e.thumbprint, None);
        let la = r#"{"TimeGenerated":"2026-11-20T10:00:01Z","CreatedDateTime":"2026-11-20T10:00:00Z",
            "AppId":"a","ServicePrincipalId":"s","FederatedCredentialId":"f","ResultType":"0",
            "ClientCredentialType":"federatedIdentityCredential"}"#;
        let e: SignInEvent = serde_json::from_str::<WireSignIn>(la)
            .unwrap()
            .try_into()
            .unwrap();
        assert!(e.succeeded);
        assert_eq!(e.federated_credential_id.as_deref(), Some("f"));
        let failed = r#"{"createdDateTime":"2026-11-20T10:00:00Z","status":{"errorCode":7000222}}"#;
        let e: SignInEvent = serde_json::from_str::<WireSignIn>(failed)
            .unwrap()
            .try_into()
            .unwrap();
        assert!(!e.succeeded);
        let no_status = r#"{"createdDateTime":"2026-11-20T10:00:00Z"}"#;
        let e: SignInEvent = serde_json::from_str::<WireSignIn>(no_status)
            .unwrap()
            .try_into()
            .unwrap();
        assert!(!e.succeeded, "a sign-in without a status is not a success");
    }

    #[test]
    fn items_are_told_apart_by_their_fields() {
        let items: Vec<UsageItem> = serde_json::from_str(
            r#"[{"keyId":"k","keyType":"certificate","signInActivity":{}},
                {"appId":"a","lastSignInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z"}},
                {"createdDateTime":"2026-01-01T00:00:00Z","appId":"a"}]"#,
        )
        .unwrap();
        assert!(matches!(items[0], UsageItem::Credential(_)));
        assert!(matches!(items[1], UsageItem::Identity(_)));
        assert!(matches!(items[2], UsageItem::SignIn(_)));
        let e = serde_json::from_str::<Vec<UsageItem>>(r#"[{"displayName":"an app"}]"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a sign-in"), "{e}");
    }
}
