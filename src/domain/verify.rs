//! Verification by content: what a `Check` expects of the object it names, and how the object
//! found in the tenant compares. A look-alike (a federated credential with the expected name but
//! another subject, a certificate with the expected keyId but another thumbprint, a role
//! assignment with the expected id at another scope) is not the change a migration made: it is
//! reported as `CheckOutcome::Differs` with both sides in words, so the step fails instead of
//! counting someone else's object as verified.
//!
//! The snapshot backend (`TenantSnapshot::check`) and the live backend compare with the same
//! functions here. Pure: may import the rest of `domain` only.

use super::credential::{FederatedIdentityCredential, KeyCredential};
use super::objects::{RoleAssignment, UserAssignedIdentity};

/// The answer to a `Check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The check holds: the object is there with the expected content (or, for an absence
    /// check, it is gone).
    Holds,
    /// The check does not hold and nothing stands in the way: the object is not there (or, for
    /// an absence check, it is still there).
    Missing,
    /// An object with the expected key is there, but its content is not what the step made.
    Differs { expected: String, found: String },
}

impl CheckOutcome {
    pub fn holds(&self) -> bool {
        matches!(self, CheckOutcome::Holds)
    }

    fn of(expected: String, found: String) -> Self {
        if expected == found {
            CheckOutcome::Holds
        } else {
            CheckOutcome::Differs { expected, found }
        }
    }
}

/// A certificate: its keyId and, when known, its thumbprint. Graph sends `customKeyIdentifier`
/// base64-encoded (Edm.Binary) and `az` sometimes as hex; `KeyCredential::thumbprint` reads both.
pub fn certificate(
    key_id: &str,
    thumbprint: Option<&str>,
    found: Option<&KeyCredential>,
) -> CheckOutcome {
    let Some(k) = found else {
        return CheckOutcome::Missing;
    };
    let Some(want) = thumbprint else {
        // The plan did not know the thumbprint (a dry run's placeholder): the keyId is all.
        return CheckOutcome::Holds;
    };
    let words = |t: Option<&str>| match t {
        Some(t) => format!("certificate keyId {key_id} with thumbprint {t}"),
        None => format!("certificate keyId {key_id} without a thumbprint"),
    };
    let got = k.thumbprint();
    match got.as_deref() {
        Some(t) if t.eq_ignore_ascii_case(want) => CheckOutcome::Holds,
        other => CheckOutcome::Differs {
            expected: words(Some(&want.to_ascii_uppercase())),
            found: words(other),
        },
    }
}

/// A federated credential: name, issuer, subject or claims expression, and audiences (as a
/// set: Entra keeps exactly one). Entra compares the issuer and subject with the token's claims
/// exactly, so these compare exactly too; the description is not compared (it grants nothing).
pub fn federated(
    expected: &FederatedIdentityCredential,
    found: Option<&FederatedIdentityCredential>,
) -> CheckOutcome {
    match found {
        None => CheckOutcome::Missing,
        Some(f) => CheckOutcome::of(fic_words(expected), fic_words(f)),
    }
}

/// A federated credential's content in words, as `federated` compares it.
pub fn fic_words(f: &FederatedIdentityCredential) -> String {
    let matcher = match (&f.subject, &f.claims_matching_expression) {
        (Some(s), _) => format!("subject {s:?}"),
        (None, Some(e)) => format!("claims expression {e:?}"),
        (None, None) => "no subject or expression".to_string(),
    };
    let mut audiences = f.audiences.clone();
    audiences.sort();
    audiences.dedup();
    format!(
        "federated credential {:?}: issuer {:?}, {matcher}, audiences [{}]",
        f.name,
        f.issuer,
        audiences.join(", ")
    )
}

/// A user-assigned managed identity: its ARM id (case-insensitive, as ARM compares) and, once
/// Azure has chosen them, its principal and client ids.
pub fn managed_identity(
    id: &str,
    principal_id: Option<&str>,
    client_id: Option<&str>,
    found: Option<&UserAssignedIdentity>,
) -> CheckOutcome {
    let Some(u) = found else {
        return CheckOutcome::Missing;
    };
    let same = |want: Option<&str>, got: &str| want.is_none_or(|w| w.eq_ignore_ascii_case(got));
    if same(principal_id, &u.principal_id) && same(client_id, &u.client_id) {
        return CheckOutcome::Holds;
    }
    let words =
        |p: &str, c: &str| format!("managed identity {id} with principal id {p} and client id {c}");
    CheckOutcome::Differs {
        expected: words(
            principal_id.unwrap_or(&u.principal_id),
            client_id.unwrap_or(&u.client_id),
        ),
        found: words(&u.principal_id, &u.client_id),
    }
}

/// A role assignment: what it grants — principal, role definition, scope, condition and its
/// version. The id alone says nothing: a name can be reused for another grant.
pub fn role_assignment(expected: &RoleAssignment, found: Option<&RoleAssignment>) -> CheckOutcome {
    match found {
        None => CheckOutcome::Missing,
        Some(f) => CheckOutcome::of(role_words(expected), role_words(f)),
    }
}

/// What a role assignment grants, in words, normalised the way ARM compares: GUIDs and ARM ids
/// case-insensitively, the role definition by its GUID (ARM returns the subscription-scoped
/// form of a definition id that may have been sent tenant-scoped), a condition without a
/// version as version 2.0 (ARM's only and default version).
pub fn role_words(a: &RoleAssignment) -> String {
    let role = a
        .role_definition_id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let scope = a.scope.trim_end_matches('/').to_ascii_lowercase();
    let condition = match a
        .condition
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => format!(
            "condition {c:?} (version {})",
            a.effective_condition_version().unwrap_or("2.0").trim()
        ),
        None => "no condition".to_string(),
    };
    format!(
        "role {role} for principal {} at scope {scope}, {condition}",
        a.principal_id.to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fic(subject: &str) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: None,
            name: "deploy".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: Some(subject.into()),
            claims_matching_expression: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }
    }

    #[test]
    fn a_federated_credential_with_the_same_name_but_another_subject_differs() {
        let want = fic("repo:fabrikam/api:environment:production");
        assert_eq!(federated(&want, Some(&want)), CheckOutcome::Holds);
        assert_eq!(federated(&want, None), CheckOutcome::Missing);
        let mut described = want.clone();
        described.description = Some("another description".into());
        described.id = Some("an id Graph chose".into());
        assert_eq!(federated(&want, Some(&described)), CheckOutcome::Holds);
        let evil = fic("repo:evil/attacker:ref:refs/heads/main");
        let CheckOutcome::Differs { expected, found } = federated(&want, Some(&evil)) else {
            panic!("a look-alike must differ")
        };
        assert!(expected.contains("repo:fabrikam/api:environment:production"));
        assert!(found.contains("repo:evil/attacker"), "{found}");
        let mut other_issuer = want.clone();
        other_issuer.issuer.push('/');
        assert!(!federated(&want, Some(&other_issuer)).holds());
        let mut other_audience = want.clone();
        other_audience.audiences = vec!["api://other".into()];
        assert!(!federated(&want, Some(&other_audience)).holds());
        let mut flexible = want.clone();
        flexible.subject = None;
        flexible.claims_matching_expression = Some("claims['sub'] matches 'repo:*'".into());
        assert!(!federated(&want, Some(&flexible)).holds());
        assert_eq!(federated(&flexible, Some(&flexible)), CheckOutcome::Holds);
    }

    #[test]
    fn a_certificate_matches_on_its_thumbprint_in_either_encoding() {
        let hex = "52ED9B5038A47B9E2E2190715CC238359D4F8F73";
        let key = |cki: Option<&str>| KeyCredential {
            key_id: "k1".into(),
            display_name: None,
            custom_key_identifier: cki.map(str::to_string),
            key_type: None,
            usage: None,
            start_date_time: None,
            end_date_time: None,
        };
        // Graph's Edm.Binary encoding (base64 of the 20 bytes) and az's hex.
        let b64 = "Uu2bUDike54uIZBxXMI4NZ1Pj3M=";
        assert!(certificate("k1", Some(hex), Some(&key(Some(b64)))).holds());
        assert!(certificate("k1", Some(hex), Some(&key(Some(&hex.to_lowercase())))).holds());
        assert_eq!(certificate("k1", Some(hex), None), CheckOutcome::Missing);
        let CheckOutcome::Differs { expected, found } = certificate(
            "k1",
            Some(hex),
            Some(&key(Some("0000000000000000000000000000000000000000"))),
        ) else {
            panic!("another thumbprint must differ")
        };
        assert!(expected.contains(hex), "{expected}");
        assert!(found.contains("0000000000"), "{found}");
        assert!(!certificate("k1", Some(hex), Some(&key(None))).holds());
        assert!(certificate("k1", None, Some(&key(None))).holds());
    }

    #[test]
    fn a_managed_identity_matches_on_its_ids_once_known() {
        let u = UserAssignedIdentity {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1".into(),
            name: "id1".into(),
            location: None,
            principal_id: "P1".into(),
            client_id: "c1".into(),
            tenant_id: None,
            tags: Default::default(),
            federated_identity_credentials: vec![],
        };
        let id = u.id.to_lowercase();
        assert!(managed_identity(&id, None, None, Some(&u)).holds());
        assert!(managed_identity(&id, Some("p1"), Some("C1"), Some(&u)).holds());
        assert!(!managed_identity(&id, Some("p2"), Some("c1"), Some(&u)).holds());
        assert_eq!(
            managed_identity(&id, None, None, None),
            CheckOutcome::Missing
        );
    }

    #[test]
    fn a_role_assignment_matches_on_what_it_grants() {
        let want = RoleAssignment {
            id: "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/r1".into(),
            principal_id: "p1".into(),
            principal_type: Some("ServicePrincipal".into()),
            role_definition_id: "/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7"
                .into(),
            role_definition_name: Some("Reader".into()),
            scope: "/subscriptions/s".into(),
            condition: None,
            condition_version: None,
            description: None,
            delegated_managed_identity_resource_id: None,
        };
        let mut same = want.clone();
        same.role_definition_id =
            "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7".into();
        same.scope = "/subscriptions/S/".into();
        same.role_definition_name = None;
        same.description = Some("copied by credwise".into());
        assert!(role_assignment(&want, Some(&same)).holds());
        let mut wider = want.clone();
        wider.scope = "/".into();
        assert!(!role_assignment(&want, Some(&wider)).holds());
        let mut other_role = want.clone();
        other_role.role_definition_id = "/providers/x/roleDefinitions/8e3af657".into();
        assert!(!role_assignment(&want, Some(&other_role)).holds());
        let mut other_principal = want.clone();
        other_principal.principal_id = "p2".into();
        assert!(!role_assignment(&want, Some(&other_principal)).holds());
        let mut conditioned = want.clone();
        conditioned.condition = Some("@Resource[x] StringEquals 'y'".into());
        let CheckOutcome::Differs { expected, found } = role_assignment(&conditioned, Some(&want))
        else {
            panic!("a dropped condition grants more")
        };
        assert!(expected.contains("StringEquals"), "{expected}");
        assert!(found.contains("no condition"), "{found}");
        let mut versioned = conditioned.clone();
        versioned.condition_version = Some("2.0".into());
        assert!(role_assignment(&conditioned, Some(&versioned)).holds());
        assert_eq!(role_assignment(&want, None), CheckOutcome::Missing);
    }
}
