//! Azure portal addresses of identities, for `o` in the explorer (opened in a browser, or
//! printed where there is none).

use super::directory::{Directory, Entry};
use super::kind::IdentityKind;

/// The portal page of the identity.
pub fn url(dir: &Directory, e: &Entry) -> String {
    let s = dir.snapshot();
    let host = s.cloud.portal_host();
    let id = dir.id_of(e);
    let app_id = dir.app_id_of(e).unwrap_or("");
    match e.kind {
        IdentityKind::Application => format!(
            "https://{host}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{app_id}"
        ),
        IdentityKind::ServicePrincipal => format!(
            "https://{host}/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/{id}/appId/{app_id}"
        ),
        IdentityKind::UserAssignedManagedIdentity | IdentityKind::SystemAssignedManagedIdentity => {
            match dir.arm_id_of(e) {
                Some(arm) => format!("https://{host}/#@{}/resource{arm}", s.tenant_id),
                None => format!(
                    "https://{host}/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/{id}/appId/{app_id}"
                ),
            }
        }
    }
}
