//! A tenant whose service principal holds a role assignment narrowed by an ABAC condition,
//! for the tests that copy, remove and restore such assignments (plans, snapshot runs, the
//! live backend against the emulator).
#![allow(dead_code)]

use credwise::domain::{RoleAssignment, TenantSnapshot};

/// The condition of the Azure RBAC docs' example ("Read access if container name equals
/// blobs-example-container", MicrosoftDocs/azure-docs
/// `articles/role-based-access-control/conditions-role-assignments-cli.md`).
pub const CONTAINER_CONDITION: &str = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'blobs-example-container'))";

/// A storage account of the demo tenant that invoice-worker's service principal uses.
pub const STORAGE_ACCOUNT: &str = "/subscriptions/85317b7a-5eec-4483-8386-3c5bff1f3936/resourceGroups/rg-invoices-prod/providers/Microsoft.Storage/storageAccounts/stinvoicesprod";

/// Storage Blob Data Reader, whose data actions conditions narrow.
pub const BLOB_DATA_READER: &str = "/subscriptions/85317b7a-5eec-4483-8386-3c5bff1f3936/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

/// `s` with invoice-worker's service principal also holding Storage Blob Data Reader on one
/// container only (changed by `edit`); returns the tenant and that assignment.
pub fn with_conditioned_assignment(
    mut s: TenantSnapshot,
    edit: impl FnOnce(&mut RoleAssignment),
) -> (TenantSnapshot, RoleAssignment) {
    let sp = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "invoice-worker")
        .expect("the demo tenant's invoice-worker")
        .id
        .clone();
    let mut a = RoleAssignment {
        id: format!(
            "{STORAGE_ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/5c1d0a4e-7a0e-4c43-9d43-0b7d3bd0c0de"
        ),
        principal_id: sp,
        principal_type: Some("ServicePrincipal".into()),
        role_definition_id: BLOB_DATA_READER.into(),
        role_definition_name: Some("Storage Blob Data Reader".into()),
        scope: STORAGE_ACCOUNT.into(),
        condition: Some(CONTAINER_CONDITION.into()),
        condition_version: Some("2.0".into()),
        description: Some("Read access if container name equals blobs-example-container".into()),
        delegated_managed_identity_resource_id: None,
    };
    edit(&mut a);
    s.role_assignments.push(a.clone());
    (s, a)
}

/// The copy of `original` (same role, same scope) held by `principal` among `assignments`.
pub fn copy_among<'a>(
    assignments: impl IntoIterator<Item = &'a RoleAssignment>,
    original: &RoleAssignment,
    principal: &str,
) -> Option<&'a RoleAssignment> {
    assignments.into_iter().find(|a| {
        a.role_definition_id
            .eq_ignore_ascii_case(&original.role_definition_id)
            && a.scope.eq_ignore_ascii_case(&original.scope)
            && a.principal_id.eq_ignore_ascii_case(principal)
    })
}
