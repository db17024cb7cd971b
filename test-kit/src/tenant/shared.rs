//! What both tenant builders take from Azure and Entra as they are: Microsoft's services tenant,
//! the token-exchange audience, issuers, the built-in role definitions, and the shapes of the
//! objects Azure creates (a managed identity's service principal, an ARM id, a role
//! assignment). Kept in one place so the demo tenant and the generated ones cannot disagree on
//! a fact. Imports `credwise::domain` only.

use credwise::domain::{RoleAssignment, ServicePrincipal, ServicePrincipalType, Timestamp};
use time::macros::datetime;

/// The tenant that owns Microsoft's first-party applications (and, in Graph, the managed
/// identities' principals).
pub const MICROSOFT_SERVICES_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
/// The audience Entra's token exchange expects in a federated identity credential.
pub const TOKEN_EXCHANGE: &str = "api://AzureADTokenExchange";
/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The portal's old "never expires" date.
pub const NEVER: Timestamp = datetime!(2299-12-31 00:00 UTC);

/// Built-in Azure role definitions: `(roleName, definition GUID)`, the same GUID in every
/// subscription.
pub const BUILT_IN_ROLES: &[(&str, &str)] = &[
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    (
        "Key Vault Secrets User",
        "4633458b-17de-408a-b874-0445c86b69e6",
    ),
    (
        "Key Vault Secrets Officer",
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    ),
    (
        "Key Vault Crypto User",
        "12338af0-0e69-4776-bea7-57ae8d297424",
    ),
    (
        "Storage Blob Data Contributor",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    ),
    (
        "Storage Blob Data Reader",
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    ),
    (
        "Storage Queue Data Contributor",
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    ),
    ("AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d"),
    ("AcrPush", "8311e382-0749-4cb8-b61a-304f252e45ec"),
    (
        "Azure Service Bus Data Sender",
        "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    ),
    (
        "Azure Service Bus Data Receiver",
        "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    ),
    ("Monitoring Reader", "43d0d8ad-25c7-4714-9337-8ba259a9fe05"),
    (
        "Monitoring Metrics Publisher",
        "3913510d-42f4-4e42-8a64-420c390055eb",
    ),
    (
        "Website Contributor",
        "de139f84-1756-47ae-9be6-808fbbe84772",
    ),
    (
        "Virtual Machine Contributor",
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
    ),
];

/// The definition GUID of a built-in role; an unknown name is a bug in a builder's table,
/// found by the builders' tests.
pub fn role_definition_guid(role: &str) -> &'static str {
    BUILT_IN_ROLES
        .iter()
        .find(|(name, _)| *name == role)
        .map_or("00000000-0000-0000-0000-000000000000", |(_, id)| id)
}

/// A resource group's ARM id.
pub fn resource_group_id(subscription: &str, resource_group: &str) -> String {
    format!("/subscriptions/{subscription}/resourceGroups/{resource_group}")
}

/// A resource's ARM id.
pub fn resource_id(
    subscription: &str,
    resource_group: &str,
    resource_type: &str,
    name: &str,
) -> String {
    format!(
        "{}/providers/{resource_type}/{name}",
        resource_group_id(subscription, resource_group)
    )
}

/// The issuer of this tenant's Entra tokens (a managed identity used as a FIC presents one).
pub fn entra_issuer(tenant_id: &str) -> String {
    format!("https://login.microsoftonline.com/{tenant_id}/v2.0")
}

/// An AKS cluster's OIDC issuer.
pub fn aks_issuer(region: &str, tenant_id: &str, cluster_guid: &str) -> String {
    format!("https://{region}.oic.prod-aks.azure.com/{tenant_id}/{cluster_guid}/")
}

/// A service principal with no credentials, enabled, owned by no organisation; builders
/// override what they need with struct update syntax.
pub fn service_principal(
    id: String,
    app_id: String,
    display_name: String,
    kind: ServicePrincipalType,
) -> ServicePrincipal {
    ServicePrincipal {
        id,
        app_id,
        display_name,
        service_principal_type: kind,
        alternative_names: Vec::new(),
        account_enabled: Some(true),
        app_owner_organization_id: None,
        password_credentials: Vec::new(),
        key_credentials: Vec::new(),
        tags: Vec::new(),
        odata_type: None,
    }
}

/// The service principal Azure creates for a managed identity: type `ManagedIdentity`, the
/// client id as `appId`, and `alternativeNames` saying whether it is user-assigned
/// (`isExplicit=True`) and naming the ARM resource.
pub fn managed_identity_principal(
    principal_id: String,
    client_id: String,
    display_name: String,
    arm_id: &str,
    user_assigned: bool,
) -> ServicePrincipal {
    let explicit = if user_assigned {
        "isExplicit=True"
    } else {
        "isExplicit=False"
    };
    ServicePrincipal {
        alternative_names: vec![explicit.into(), arm_id.into()],
        ..service_principal(
            principal_id,
            client_id,
            display_name,
            ServicePrincipalType::ManagedIdentity,
        )
    }
}

/// A role assignment of a built-in role at `scope`, named `name` (a GUID), with its
/// definition id in `subscription` as ARM writes it.
pub fn role_assignment(
    name: &str,
    principal_id: String,
    principal_type: &str,
    role: &str,
    scope: String,
    subscription: &str,
) -> RoleAssignment {
    RoleAssignment {
        id: format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        principal_id,
        principal_type: Some(principal_type.to_string().into()),
        role_definition_id: format!(
            "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}",
            role_definition_guid(role)
        )
        .into(),
        role_definition_name: Some(role.to_string().into()),
        scope: scope.into(),
        ..Default::default()
    }
}

/// Standard base64 with padding, as Graph writes a certificate's `customKeyIdentifier`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn every_role_has_a_distinct_guid() {
        let mut ids: Vec<&str> = BUILT_IN_ROLES.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BUILT_IN_ROLES.len());
        assert_eq!(
            role_definition_guid("Reader"),
            "acdd72a7-3385-48ef-bd42-f606fba81ae7"
        );
    }
}
