//! What a set of objects implies beyond what it lists: an Azure resource for every
//! system-assigned managed identity (named in its principal's `alternativeNames`), and the
//! tenant the objects belong to.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::objects::ManagedIdentityFlavour;
use crate::domain::{
    Application, AzureResource, ResourceIdentity, ServicePrincipal, UserAssignedIdentity,
};

/// Adds an [`AzureResource`] for each system-assigned managed identity's host, so the explorer
/// can show what the identity belongs to without a Resource Graph export. Resources already in
/// `resources` (compared case-insensitively, as ARM ids are) are left alone.
pub(crate) fn system_assigned_resources(
    service_principals: &[ServicePrincipal],
    mut resources: Vec<AzureResource>,
) -> Vec<AzureResource> {
    let mut seen: BTreeSet<String> = resources
        .iter()
        .map(|r| r.id.to_ascii_lowercase())
        .collect();
    for sp in service_principals {
        if sp.managed_identity_flavour() != Some(ManagedIdentityFlavour::SystemAssigned) {
            continue;
        }
        let Some(id) = sp.resource_id() else {
            continue;
        };
        // An id with no provider segment does not say what the resource is; skip rather
        // than invent a type.
        let Some((name, resource_type)) = arm_name_and_type(id) else {
            continue;
        };
        if !seen.insert(id.to_ascii_lowercase()) {
            continue;
        }
        resources.push(AzureResource {
            id: id.to_string(),
            name,
            resource_type: resource_type.into(),
            location: None,
            identity: ResourceIdentity {
                identity_type: "SystemAssigned".into(),
                principal_id: Some(sp.id.clone()),
                user_assigned_identities: Vec::new(),
            },
        });
    }
    resources
}

/// The name and type of the resource an ARM id names, from its last `providers` segment on:
/// `…/providers/Microsoft.Web/sites/app/slots/stg` is `app/slots/stg` of type
/// `Microsoft.Web/sites/slots`.
pub(crate) fn arm_name_and_type(id: &str) -> Option<(String, String)> {
    let segments: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let at = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
    let namespace = segments.get(at + 1)?;
    let rest = segments.get(at + 2..)?;
    if rest.len() < 2 || rest.len() % 2 != 0 {
        return None;
    }
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    Some((
        rest[1..].join("/"),
        format!("{namespace}/{}", types.join("/")),
    ))
}

/// The tenant the files describe: the managed identities say it outright; otherwise the
/// tenant that owns the imported apps' own principals (a principal of an app from another
/// tenant says nothing about this one, and managed identities' principals are owned by a
/// Microsoft tenant).
pub(crate) fn infer_tenant_id(
    applications: &[Application],
    service_principals: &[ServicePrincipal],
    identities: &[UserAssignedIdentity],
) -> String {
    if let Some(t) = most_common(identities.iter().filter_map(|u| u.tenant_id.as_deref())) {
        return t;
    }
    let app_ids: BTreeSet<&str> = applications
        .iter()
        .map(|a| a.app_id.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    most_common(
        service_principals
            .iter()
            .filter(|sp| app_ids.contains(sp.app_id.as_str()))
            .filter_map(|sp| sp.app_owner_organization_id.as_deref()),
    )
    .unwrap_or_else(|| "unknown".to_string())
}

/// The most frequent value, ties going to the lexically smallest so the result does not
/// depend on file order.
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values.map(str::trim).filter(|v| !v.is_empty()) {
        // Tenant ids are GUIDs, equal in any case; Graph writes them in lower case.
        *counts.entry(v.to_ascii_lowercase()).or_default() += 1;
    }
    let mut best: Option<(String, usize)> = None;
    for (v, n) in counts {
        if best.as_ref().is_none_or(|(_, b)| n > *b) {
            best = Some((v, n));
        }
    }
    best.map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ServicePrincipalType;

    #[test]
    fn arm_names_and_types() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/slots/stg";
        assert_eq!(
            arm_name_and_type(id),
            Some(("app/slots/stg".into(), "Microsoft.Web/sites/slots".into()))
        );
        let vm =
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(
            arm_name_and_type(vm),
            Some(("vm1".into(), "Microsoft.Compute/virtualMachines".into()))
        );
        assert_eq!(
            arm_name_and_type("/subscriptions/s/resourceGroups/rg"),
            None
        );
        assert_eq!(
            arm_name_and_type("/subscriptions/s/providers/Microsoft.Web/sites"),
            None
        );
    }

    #[test]
    fn tenant_prefers_identities_then_own_apps() {
        let app = |app_id: &str| Application {
            id: app_id.into(),
            app_id: app_id.into(),
            display_name: app_id.into(),
            sign_in_audience: None,
            publisher_domain: None,
            created_date_time: None,
            password_credentials: vec![],
            key_credentials: vec![],
            federated_identity_credentials: vec![],
            odata_type: None,
        };
        let sp = |app_id: &str, owner: &str| ServicePrincipal {
            id: format!("sp-{app_id}"),
            app_id: app_id.into(),
            display_name: app_id.into(),
            service_principal_type: ServicePrincipalType::Application,
            alternative_names: vec![],
            account_enabled: None,
            app_owner_organization_id: Some(owner.into()),
            password_credentials: vec![],
            key_credentials: vec![],
            tags: vec![],
            odata_type: None,
        };
        let apps = [app("a1"), app("a2")];
        // Microsoft's first-party principals outnumber ours, but they are not our apps.
        let sps = [
            sp("a1", "ours"),
            sp("a2", "ours"),
            sp("graph", "msft"),
            sp("teams", "msft"),
            sp("sharepoint", "msft"),
        ];
        assert_eq!(infer_tenant_id(&apps, &sps, &[]), "ours");
        assert_eq!(infer_tenant_id(&[], &sps, &[]), "unknown");
        assert_eq!(
            most_common(["b", "a", "b", "a"].into_iter()).as_deref(),
            Some("a")
        );
    }
}
