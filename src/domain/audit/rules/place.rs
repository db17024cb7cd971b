//! Where a credential lives (an application, a service principal, a user-assigned identity)
//! and the Azure CLI command that removes it there, for the findings' remedies.
//!
//! Pure; may import the rest of `domain`.

use crate::domain::CredentialRef;
use crate::domain::objects::{
    Application, ServicePrincipal, ServicePrincipalType, UserAssignedIdentity,
};

/// Where a credential lives, for the command that removes it.
#[derive(Clone, Copy)]
pub(super) enum Place<'a> {
    App(&'a Application),
    Sp(&'a ServicePrincipal),
    Uami(&'a UserAssignedIdentity),
}

impl<'a> Place<'a> {
    /// A user-assigned identity, or a managed identity's service principal.
    pub(super) fn is_managed_identity(&self) -> bool {
        match self {
            Place::Uami(_) => true,
            Place::Sp(sp) => sp.service_principal_type == ServicePrincipalType::ManagedIdentity,
            Place::App(_) => false,
        }
    }

    pub(super) fn of(h: Holder<'a>) -> Self {
        match h {
            Holder::App(a) => Place::App(a),
            Holder::Sp(p) => Place::Sp(p),
        }
    }

    /// The `az` command that removes `c` (Azure CLI's `ad app credential delete`,
    /// `ad sp credential delete`, `ad app federated-credential delete`,
    /// `identity federated-credential delete`).
    pub(super) fn remove_command(self, c: CredentialRef<'_>) -> String {
        let cert = if matches!(c, CredentialRef::Certificate(_)) {
            " --cert"
        } else {
            ""
        };
        match (self, c) {
            (Place::App(a), CredentialRef::Federated(f)) => format!(
                "az ad app federated-credential delete --id {} --federated-credential-id {}",
                a.app_id, f.name
            ),
            (Place::App(a), _) => format!(
                "az ad app credential delete --id {} --key-id {}{cert}",
                a.app_id,
                c.id()
            ),
            (Place::Sp(p), _) => format!(
                "az ad sp credential delete --id {} --key-id {}{cert}",
                p.id,
                c.id()
            ),
            (Place::Uami(u), _) => format!(
                "az identity federated-credential delete --name {} --identity-name {} --resource-group {}",
                c.id(),
                u.name,
                u.resource_group().unwrap_or("<resource group>")
            ),
        }
    }
}

/// The object that holds a secret.
#[derive(Clone, Copy)]
pub(super) enum Holder<'a> {
    App(&'a Application),
    Sp(&'a ServicePrincipal),
}
