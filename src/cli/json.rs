//! The JSON shapes of `credwise list --output json` and `credwise show --output json`, shared
//! so that an identity reads the same in both (show adds `links` and `roleAssignments`).
//!
//! Field names follow Microsoft Graph where Graph has one (`keyId`, `displayName`,
//! `startDateTime`, `endDateTime`, `issuer`, `subject`, `audiences`…) so scripts written
//! against Graph output read ours too; the CLI contract in PRODUCT.md names the fields that
//! must never change. Absent values are left out rather than written as `null`. Timestamps are
//! RFC 3339. These types borrow from the `Directory` and exist only to be serialized.

use serde::Serialize;

use crate::domain::credential::CredentialRef;
use crate::domain::directory::{Directory, Entry, EntryId, ObjectRef};
use crate::domain::expiry::{self, ExpiryStatus, Thresholds};
use crate::domain::last_used::LastUsed;
use crate::domain::links::{Link, Relation};
use crate::domain::usage::{Evidence, Unknown, UsageSource};
use crate::domain::{CredentialType, IdentityKind, RoleAssignment, Timestamp};

/// One identity with its credentials.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityJson<'a> {
    pub kind: IdentityKind,
    /// The object id (a managed identity's principal id).
    pub id: &'a str,
    pub display_name: &'a str,
    /// `appId`, or a managed identity's `clientId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_type: Option<&'a str>,
    /// Graph's `@odata.type` of a kind of application or service principal (e.g.
    /// `#microsoft.graph.agentIdentity`), as Graph sent it.
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<&'a str>,
    /// The ARM id of a user-assigned identity, or of a system-assigned identity's resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<&'a str>,
    /// The earliest end date among its secrets and certificates.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub nearest_expiry: Option<Timestamp>,
    /// When it last signed in, over itself and its credentials, or why that is unknown.
    pub last_used: LastUsedJson,
    pub credentials: Vec<CredentialJson<'a>>,
    /// `show` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<LinkJson<'a>>>,
    /// `show` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_assignments: Option<Vec<RoleAssignmentJson<'a>>>,
}

/// One credential. `type` decides which of the optional fields can appear.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialJson<'a> {
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// Secrets and certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<&'a str>,
    /// Federated credentials: the FIC's immutable name, its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<&'a str>,
    /// A secret's first characters as Graph reports them (never the secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'a str>,
    /// A certificate's thumbprint, upper-case hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    /// A certificate's Graph `type` (`AsymmetricX509Cert`…); renamed because `type` is ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<&'a str>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<Timestamp>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date_time: Option<Timestamp>,
    /// Secrets and certificates: "in 12d", "expired 3d ago", "never".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
    /// Secrets and certificates: `expired`, `critical`, `warning`, `healthy` or `never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_matching_expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audiences: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// When it last signed in, or why that is unknown (`list` and `show`; not in CSV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<LastUsedJson>,
}

/// Usage evidence (`domain::usage::Evidence`): what the sign-in data says, as of when it
/// was collected. `unknown` is never "unused": `reason` and the fields beside it say why.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastUsedJson {
    /// `signed-in`, `failing` (the latest attempt failed), `no-sign-in` (none in the span the
    /// data covers) or `unknown`.
    pub evidence: &'static str,
    /// The LAST USED column's words: "3d ago", "none 30d+", "failing", "unknown".
    pub summary: String,
    /// The details' words: "last sign-in 3d ago (the sign-in log)", "unknown: needs …".
    pub description: String,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sign_in: Option<Timestamp>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_failure: Option<Timestamp>,
    /// `no-sign-in`: the start of the span without a sign-in.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_sign_in_since: Option<Timestamp>,
    /// When the sign-in data was collected.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub as_of: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<UsageSource>,
    /// `unknown`: `reason` (`missing-permission`, `licence`, `cloud`, `not-loaded`,
    /// `not-reported`, `window`, `failed`) and its detail (`permission`, `requirement`…).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<Unknown>,
}

/// `e` in the JSON shape; `now` only words the relative times.
pub fn last_used(e: &Evidence, now: Timestamp) -> LastUsedJson {
    let mut out = LastUsedJson {
        evidence: "unknown",
        summary: e.short(now),
        description: e.describe(now),
        last_sign_in: None,
        last_failure: None,
        no_sign_in_since: None,
        as_of: None,
        source: e.source(),
        unknown: None,
    };
    match e {
        Evidence::SignedIn { at, as_of, .. } => {
            out.evidence = "signed-in";
            out.last_sign_in = Some(*at);
            out.as_of = Some(*as_of);
        }
        Evidence::Failing {
            at,
            last_success,
            as_of,
            ..
        } => {
            out.evidence = "failing";
            out.last_failure = Some(*at);
            out.last_sign_in = *last_success;
            out.as_of = Some(*as_of);
        }
        Evidence::Idle { since, as_of, .. } => {
            out.evidence = "no-sign-in";
            out.no_sign_in_since = Some(*since);
            out.as_of = Some(*as_of);
        }
        Evidence::Unknown(u) => out.unknown = Some(u.clone()),
    }
    out
}

/// One link of `show`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkJson<'a> {
    /// What the link means from this identity's side ("service principal", "attached to"…).
    pub relation: &'static str,
    pub label: String,
    pub detail: String,
    /// The object id of the linked identity, when it is one in this tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_kind: Option<IdentityKind>,
}

/// One Azure role assignment of `show`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentJson<'a> {
    pub id: &'a str,
    /// Who holds it: the identity itself, or an application's service principal.
    pub principal_id: &'a str,
    /// The role's name, or its definition's GUID when the name was not resolved.
    pub role: &'a str,
    pub role_definition_id: &'a str,
    pub scope: &'a str,
    /// The ABAC condition that narrows the role, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<&'a str>,
}

/// The status word of a secret's or certificate's end date.
pub fn status_word(s: ExpiryStatus) -> &'static str {
    match s {
        ExpiryStatus::Expired => "expired",
        ExpiryStatus::Critical => "critical",
        ExpiryStatus::Warning => "warning",
        ExpiryStatus::Healthy => "healthy",
        // A secret without an end date does not expire either.
        ExpiryStatus::Never | ExpiryStatus::NoEnd => "never",
    }
}

/// Identity `id` as `list` prints it, with its usage evidence from `used` (made once for
/// the whole tenant).
pub fn identity<'a>(
    dir: &'a Directory,
    id: EntryId,
    used: &LastUsed,
    now: Timestamp,
) -> IdentityJson<'a> {
    let e = dir.entry(id);
    let s = dir.snapshot();
    let sign_in_audience = match e.object {
        ObjectRef::Application(i) => s
            .applications
            .get(i as usize)
            .and_then(|a| a.sign_in_audience.as_deref()),
        _ => None,
    };
    IdentityJson {
        kind: e.kind,
        id: dir.id_of(e),
        display_name: dir.display_name_of(e),
        app_id: dir.app_id_of(e),
        service_principal_type: dir.service_principal_type_of(e).map(|t| t.as_str()),
        odata_type: dir.odata_type_of(e),
        resource_id: dir.arm_id_of(e),
        sign_in_audience,
        nearest_expiry: e.nearest_expiry,
        last_used: last_used(used.identity(id), now),
        credentials: dir
            .credentials_of(e)
            .into_iter()
            .zip(used.credentials(id))
            .map(|(c, evidence)| CredentialJson {
                last_used: Some(last_used(evidence, now)),
                ..credential(c, now)
            })
            .collect(),
        links: None,
        role_assignments: None,
    }
}

/// Identity `id` as `show` prints it: the list shape plus links and role assignments.
pub fn identity_in_full<'a>(
    dir: &'a Directory,
    id: EntryId,
    used: &LastUsed,
    now: Timestamp,
) -> IdentityJson<'a> {
    let e = dir.entry(id);
    let mut out = identity(dir, id, used, now);
    out.links = Some(dir.links_of(e).into_iter().map(|l| link(dir, l)).collect());
    out.role_assignments = Some(
        role_assignments_for(dir, e)
            .into_iter()
            .map(role_assignment)
            .collect(),
    );
    out
}

/// What the identity can access in Azure, sorted by scope then role. An application holds
/// no role assignments itself, but owners ask "what can my app reach", so an application
/// answers with those of its service principals in this tenant.
pub fn role_assignments_for<'a>(dir: &'a Directory, e: &Entry) -> Vec<&'a RoleAssignment> {
    let mut out = if e.kind == IdentityKind::Application {
        dir.links_of(e)
            .into_iter()
            .filter(|l| l.relation == Relation::ServicePrincipal)
            .filter_map(|l| l.target)
            .flat_map(|t| dir.role_assignments_of(dir.entry(t)))
            .collect()
    } else {
        dir.role_assignments_of(e)
    };
    out.sort_by(|a, b| {
        a.scope
            .cmp(&b.scope)
            .then_with(|| a.role_name().cmp(b.role_name()))
            .then_with(|| a.id.cmp(&b.id))
    });
    out.dedup_by(|a, b| a.id == b.id);
    out
}

pub fn credential(c: CredentialRef<'_>, now: Timestamp) -> CredentialJson<'_> {
    let mut out = CredentialJson {
        credential_type: c.credential_type(),
        key_id: None,
        name: None,
        display_name: None,
        hint: None,
        thumbprint: None,
        key_type: None,
        usage: None,
        start_date_time: None,
        end_date_time: None,
        expires_in: None,
        status: None,
        issuer: None,
        subject: None,
        claims_matching_expression: None,
        audiences: None,
        description: None,
        last_used: None,
    };
    match c {
        CredentialRef::Secret(p) => {
            out.key_id = Some(&p.key_id);
            out.display_name = p.display_name.as_deref();
            out.hint = p.hint.as_deref();
        }
        CredentialRef::Certificate(k) => {
            out.key_id = Some(&k.key_id);
            out.display_name = k.display_name.as_deref();
            out.thumbprint = k.thumbprint();
            out.key_type = k.key_type.as_deref();
            out.usage = k.usage.as_deref();
        }
        CredentialRef::Federated(f) => {
            out.name = Some(&f.name);
            out.issuer = Some(&f.issuer);
            out.subject = f.subject.as_deref();
            out.claims_matching_expression = f.claims_matching_expression.as_deref();
            out.audiences = Some(&f.audiences);
            out.description = f.description.as_deref();
        }
    }
    if c.credential_type() != CredentialType::Federated {
        out.start_date_time = c.start();
        out.end_date_time = c.end();
        out.expires_in = Some(match c.end() {
            Some(end) => expiry::relative(Some(end), now),
            None => "never".to_string(),
        });
        out.status = Some(status_word(expiry::status(
            c.end(),
            now,
            Thresholds::default(),
        )));
    }
    out
}

fn link(dir: &Directory, l: Link) -> LinkJson<'_> {
    let target = l.target.map(|t| dir.entry(t));
    LinkJson {
        relation: l.relation.label(),
        label: l.label,
        detail: l.detail,
        target_id: target.map(|t| dir.id_of(t)),
        target_kind: target.map(|t| t.kind),
    }
}

fn role_assignment(r: &RoleAssignment) -> RoleAssignmentJson<'_> {
    RoleAssignmentJson {
        id: &r.id,
        principal_id: &r.principal_id,
        role: r.role_name(),
        role_definition_id: &r.role_definition_id,
        scope: &r.scope,
        condition: r.condition.as_deref(),
        condition_version: r.effective_condition_version(),
    }
}

/// Pretty JSON with a trailing newline, as every `--output json` prints it. Control and bidi
/// characters in tenant strings are written as `\uXXXX` escapes (`sanitize::json`): the
/// value parses back unchanged, and the bytes are inert on a terminal.
/// Writes `value` as `to_pretty` would make it, straight to `out`.
pub fn write_pretty<T: Serialize + ?Sized>(
    out: &mut super::output::Stream,
    value: &T,
) -> Result<(), super::CliError> {
    use std::io::Write;
    let fail = |e: String| super::CliError::usage(format!("cannot write JSON: {e}"));
    crate::sanitize::write_json(&mut *out, value).map_err(|e| fail(e.to_string()))?;
    out.write_all(b"\n").map_err(|e| fail(e.to_string()))
}

/// A JSON array made from an iterator as it is written: the elements of a 150,000-identity
/// listing are built one at a time and never held together (issue #13's memory budget).
/// Serializing it a second time writes an empty array.
pub struct Lazy<I>(std::cell::Cell<Option<I>>);

impl<I> Lazy<I> {
    pub fn new(items: I) -> Self {
        Self(std::cell::Cell::new(Some(items)))
    }
}

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Lazy<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => serializer.collect_seq(items),
            None => serializer.collect_seq(std::iter::empty::<T>()),
        }
    }
}

pub fn to_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, super::CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| super::CliError::usage(format!("cannot write JSON: {e}")))?;
    let mut text = crate::sanitize::json(&text).into_owned();
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FederatedIdentityCredential, KeyCredential, PasswordCredential};
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

    fn to_value(c: CredentialRef<'_>) -> serde_json::Value {
        serde_json::to_value(credential(c, NOW)).unwrap()
    }

    #[test]
    fn certificate_keeps_graph_names_without_clashing_with_type() {
        let k = KeyCredential {
            key_id: "k1".into(),
            display_name: Some("CN=api".into()),
            custom_key_identifier: Some("52ed9b5038a47b9e2e2190715cc238359d4f8f73".into()),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
            start_date_time: Some(datetime!(2026-01-01 0:00 UTC)),
            end_date_time: Some(datetime!(2026-11-25 12:00 UTC)),
        };
        let v = to_value(CredentialRef::Certificate(&k));
        assert_eq!(v["type"], "certificate");
        assert_eq!(v["keyType"], "AsymmetricX509Cert");
        assert_eq!(v["usage"], "Verify");
        assert_eq!(v["thumbprint"], "52ED9B5038A47B9E2E2190715CC238359D4F8F73");
        assert_eq!(v["endDateTime"], "2026-11-25T12:00:00Z");
        assert_eq!(v["expiresIn"], "in 3d");
        assert_eq!(v["status"], "critical");
        assert!(v.get("issuer").is_none() && v.get("name").is_none());
    }

    #[test]
    fn secret_without_end_never_expires() {
        let p = PasswordCredential {
            key_id: "p1".into(),
            display_name: None,
            hint: Some("abc".into()),
            start_date_time: None,
            end_date_time: None,
        };
        let v = to_value(CredentialRef::Secret(&p));
        assert_eq!(v["status"], "never");
        assert_eq!(v["expiresIn"], "never");
        assert_eq!(v["hint"], "abc");
        assert!(v.get("displayName").is_none());
    }

    #[test]
    fn federated_credential_has_no_expiry() {
        let f = FederatedIdentityCredential {
            id: Some("graph-id".into()),
            name: "main".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: Some("repo:o/r:ref:refs/heads/main".into()),
            claims_matching_expression: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        };
        let v = to_value(CredentialRef::Federated(&f));
        assert_eq!(v["type"], "federated");
        assert_eq!(v["name"], "main");
        assert_eq!(v["audiences"][0], "api://AzureADTokenExchange");
        for absent in [
            "keyId",
            "status",
            "expiresIn",
            "endDateTime",
            "startDateTime",
        ] {
            assert!(v.get(absent).is_none(), "{absent}: {v}");
        }
    }
}
