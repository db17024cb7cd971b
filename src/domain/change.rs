//! Mutations as data. A `Change` is what a migration step asks a backend to do; the live
//! backend turns it into Graph/ARM calls, the snapshot backend applies it with
//! `TenantSnapshot::apply`, and the plan preview shows it. `apply` returns the inverse change,
//! so every step has an undo and "apply then undo" leaves the tenant as it was.
//!
//! A `Change` never carries a secret value: `AddPassword` describes the secret's metadata and
//! the backend hands the one-time `secretText` to the user without storing it.

use serde::{Deserialize, Serialize};

use super::credential::{
    FederatedIdentityCredential, KeyCredential, ObjectCredentials, PasswordCredential,
};
use super::objects::{RoleAssignment, UserAssignedIdentity};
use super::snapshot::TenantSnapshot;
use super::verify::{self, CheckOutcome};

/// The object a credential change is made on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum Target {
    /// An application, by object id.
    Application(String),
    /// A service principal, by object id.
    ServicePrincipal(String),
    /// A user-assigned managed identity, by ARM resource id.
    UserAssignedIdentity(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    AddPassword {
        target: Target,
        credential: PasswordCredential,
    },
    RemovePassword {
        target: Target,
        key_id: String,
    },
    AddKey {
        target: Target,
        credential: KeyCredential,
        /// The public certificate (standard base64 of its DER), which the live backend uploads
        /// in `keyCredentials[].key`. Public data, never a private key; `None` when the
        /// certificate is not at hand (an undo of a removal on a snapshot).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    RemoveKey {
        target: Target,
        key_id: String,
    },
    AddFederatedCredential {
        target: Target,
        credential: FederatedIdentityCredential,
    },
    RemoveFederatedCredential {
        target: Target,
        name: String,
    },
    CreateUserAssignedIdentity {
        identity: UserAssignedIdentity,
    },
    DeleteUserAssignedIdentity {
        id: String,
    },
    AddRoleAssignment {
        assignment: RoleAssignment,
    },
    RemoveRoleAssignment {
        id: String,
    },
}

/// A question a verification step asks of the tenant.
///
/// Plans ask by content (`CertificateMatches`, `FederatedCredentialMatches`,
/// `UserAssignedIdentityMatches`, `RoleAssignmentMatches`): a look-alike with the expected
/// name or id is not the change a step made. `CredentialPresent`, `UserAssignedIdentityPresent`
/// and `RoleAssignmentPresent` ask by id only; journals written before content checks hold
/// them, and `Plan::upgrade_checks` turns them into content checks from each step's action
/// when such a journal is read. One that cannot be upgraded is still answered, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum Check {
    /// The credential (`keyId`, or FIC name) is present on the target, whatever its content.
    CredentialPresent { target: Target, id: String },
    /// The credential is gone from the target.
    CredentialAbsent { target: Target, id: String },
    /// A user-assigned managed identity with this ARM id exists, whatever its ids.
    UserAssignedIdentityPresent { id: String },
    /// A role assignment with this ARM id exists, whatever it grants.
    RoleAssignmentPresent { id: String },
    /// A certificate with this keyId and, when known, this SHA-1 thumbprint (upper-case hex;
    /// Graph's `customKeyIdentifier`) is on the target.
    CertificateMatches {
        target: Target,
        key_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thumbprint: Option<String>,
    },
    /// A federated credential with this name, issuer, subject (or claims expression) and
    /// audiences is on the target.
    FederatedCredentialMatches {
        target: Target,
        credential: FederatedIdentityCredential,
    },
    /// A user-assigned managed identity with this ARM id and, once Azure has chosen them (see
    /// `Plan::rebind`), these principal and client ids.
    UserAssignedIdentityMatches {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        principal_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// A role assignment with this id that grants the same: principal, role definition, scope,
    /// condition and condition version (`verify::role_words`).
    RoleAssignmentMatches { assignment: RoleAssignment },
}

impl Check {
    /// Whether this check compares content (not only an id).
    pub fn by_content(&self) -> bool {
        matches!(
            self,
            Check::CertificateMatches { .. }
                | Check::FederatedCredentialMatches { .. }
                | Check::UserAssignedIdentityMatches { .. }
                | Check::RoleAssignmentMatches { .. }
                | Check::CredentialAbsent { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{0} is not in this tenant")]
    TargetNotFound(String),
    #[error("{what} {id} already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("{what} {id} does not exist")]
    Missing { what: &'static str, id: String },
    #[error("{target} already has 20 federated identity credentials, the most Entra ID allows")]
    FicLimit { target: String },
}

/// At most 20 federated identity credentials per application or user-assigned identity.
pub const MAX_FICS: usize = 20;

struct Creds<'a> {
    passwords: Option<&'a mut Vec<PasswordCredential>>,
    keys: Option<&'a mut Vec<KeyCredential>>,
    fics: Option<&'a mut Vec<FederatedIdentityCredential>>,
}

impl TenantSnapshot {
    fn creds_mut(&mut self, target: &Target) -> Result<Creds<'_>, ApplyError> {
        let not_found = || ApplyError::TargetNotFound(target_label(target));
        match target {
            Target::Application(id) => {
                let a = self
                    .applications
                    .iter_mut()
                    .find(|a| &a.id == id)
                    .ok_or_else(not_found)?;
                Ok(Creds {
                    passwords: Some(&mut a.password_credentials),
                    keys: Some(&mut a.key_credentials),
                    fics: Some(&mut a.federated_identity_credentials),
                })
            }
            Target::ServicePrincipal(id) => {
                let s = self
                    .service_principals
                    .iter_mut()
                    .find(|s| &s.id == id)
                    .ok_or_else(not_found)?;
                Ok(Creds {
                    passwords: Some(&mut s.password_credentials),
                    keys: Some(&mut s.key_credentials),
                    fics: None,
                })
            }
            Target::UserAssignedIdentity(id) => {
                let u = self
                    .user_assigned_identities
                    .iter_mut()
                    .find(|u| u.id.eq_ignore_ascii_case(id))
                    .ok_or_else(not_found)?;
                Ok(Creds {
                    passwords: None,
                    keys: None,
                    fics: Some(&mut u.federated_identity_credentials),
                })
            }
        }
    }

    /// Applies `change` and returns the change that undoes it. On error nothing changed.
    pub fn apply(&mut self, change: &Change) -> Result<Change, ApplyError> {
        use Change::*;
        let unsupported = |t: &Target| ApplyError::TargetNotFound(target_label(t));
        match change {
            AddPassword { target, credential } => {
                let list = self
                    .creds_mut(target)?
                    .passwords
                    .ok_or_else(|| unsupported(target))?;
                if list.iter().any(|c| c.key_id == credential.key_id) {
                    return Err(exists("secret", &credential.key_id));
                }
                list.push(credential.clone());
                Ok(RemovePassword {
                    target: target.clone(),
                    key_id: credential.key_id.to_string(),
                })
            }
            RemovePassword { target, key_id } => {
                let list = self
                    .creds_mut(target)?
                    .passwords
                    .ok_or_else(|| unsupported(target))?;
                let i = list
                    .iter()
                    .position(|c| &c.key_id == key_id)
                    .ok_or_else(|| missing("secret", key_id))?;
                Ok(AddPassword {
                    target: target.clone(),
                    credential: list.remove(i),
                })
            }
            AddKey {
                target, credential, ..
            } => {
                let list = self
                    .creds_mut(target)?
                    .keys
                    .ok_or_else(|| unsupported(target))?;
                if list.iter().any(|c| c.key_id == credential.key_id) {
                    return Err(exists("certificate", &credential.key_id));
                }
                list.push(credential.clone());
                Ok(RemoveKey {
                    target: target.clone(),
                    key_id: credential.key_id.to_string(),
                })
            }
            RemoveKey { target, key_id } => {
                let list = self
                    .creds_mut(target)?
                    .keys
                    .ok_or_else(|| unsupported(target))?;
                let i = list
                    .iter()
                    .position(|c| &c.key_id == key_id)
                    .ok_or_else(|| missing("certificate", key_id))?;
                Ok(AddKey {
                    target: target.clone(),
                    credential: list.remove(i),
                    key: None,
                })
            }
            AddFederatedCredential { target, credential } => {
                let list = self
                    .creds_mut(target)?
                    .fics
                    .ok_or_else(|| unsupported(target))?;
                if list.iter().any(|c| c.name == credential.name) {
                    return Err(exists("federated identity credential", &credential.name));
                }
                if list.len() >= MAX_FICS {
                    return Err(ApplyError::FicLimit {
                        target: target_label(target),
                    });
                }
                list.push(credential.clone());
                Ok(RemoveFederatedCredential {
                    target: target.clone(),
                    name: credential.name.clone(),
                })
            }
            RemoveFederatedCredential { target, name } => {
                let list = self
                    .creds_mut(target)?
                    .fics
                    .ok_or_else(|| unsupported(target))?;
                let i = list
                    .iter()
                    .position(|c| &c.name == name)
                    .ok_or_else(|| missing("federated identity credential", name))?;
                Ok(AddFederatedCredential {
                    target: target.clone(),
                    credential: list.remove(i),
                })
            }
            CreateUserAssignedIdentity { identity } => {
                if self
                    .user_assigned_identities
                    .iter()
                    .any(|u| u.id.eq_ignore_ascii_case(&identity.id))
                {
                    return Err(exists("user-assigned managed identity", &identity.id));
                }
                self.user_assigned_identities.push(identity.clone());
                Ok(DeleteUserAssignedIdentity {
                    id: identity.id.clone(),
                })
            }
            DeleteUserAssignedIdentity { id } => {
                let i = self
                    .user_assigned_identities
                    .iter()
                    .position(|u| u.id.eq_ignore_ascii_case(id))
                    .ok_or_else(|| missing("user-assigned managed identity", id))?;
                Ok(CreateUserAssignedIdentity {
                    identity: self.user_assigned_identities.remove(i),
                })
            }
            AddRoleAssignment { assignment } => {
                if self.role_assignments.iter().any(|r| r.id == assignment.id) {
                    return Err(exists("role assignment", &assignment.id));
                }
                self.role_assignments.push(assignment.clone());
                Ok(RemoveRoleAssignment {
                    id: assignment.id.clone(),
                })
            }
            RemoveRoleAssignment { id } => {
                let i = self
                    .role_assignments
                    .iter()
                    .position(|r| &r.id == id)
                    .ok_or_else(|| missing("role assignment", id))?;
                Ok(AddRoleAssignment {
                    assignment: self.role_assignments.remove(i),
                })
            }
        }
    }

    /// Answers a verification question against this snapshot, comparing content where the
    /// check has it (`domain::verify`).
    pub fn check(&self, check: &Check) -> Result<CheckOutcome, ApplyError> {
        let present = |yes: bool| {
            if yes {
                CheckOutcome::Holds
            } else {
                CheckOutcome::Missing
            }
        };
        let uami = |id: &str| {
            self.user_assigned_identities
                .iter()
                .find(|u| u.id.eq_ignore_ascii_case(id))
        };
        let role = |id: &str| {
            self.role_assignments
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(id))
        };
        Ok(match check {
            Check::CredentialPresent { target, id } => {
                let c = self.credentials_of(target)?;
                present(
                    c.passwords.iter().any(|x| &x.key_id == id)
                        || c.keys.iter().any(|x| &x.key_id == id)
                        || c.federated.iter().any(|x| &x.name == id),
                )
            }
            Check::CredentialAbsent { target, id } => {
                let c = self.credentials_of(target)?;
                present(
                    !(c.passwords.iter().any(|x| &x.key_id == id)
                        || c.keys.iter().any(|x| &x.key_id == id)
                        || c.federated.iter().any(|x| &x.name == id)),
                )
            }
            Check::UserAssignedIdentityPresent { id } => present(uami(id).is_some()),
            Check::RoleAssignmentPresent { id } => present(role(id).is_some()),
            Check::CertificateMatches {
                target,
                key_id,
                thumbprint,
            } => {
                let c = self.credentials_of(target)?;
                verify::certificate(
                    key_id,
                    thumbprint.as_deref(),
                    c.keys
                        .iter()
                        .find(|k| k.key_id.eq_ignore_ascii_case(key_id)),
                )
            }
            Check::FederatedCredentialMatches { target, credential } => {
                let c = self.credentials_of(target)?;
                verify::federated(
                    credential,
                    c.federated.iter().find(|f| f.name == credential.name),
                )
            }
            Check::UserAssignedIdentityMatches {
                id,
                principal_id,
                client_id,
            } => verify::managed_identity(
                id,
                principal_id.as_deref(),
                client_id.as_deref(),
                uami(id),
            ),
            Check::RoleAssignmentMatches { assignment } => {
                verify::role_assignment(assignment, role(&assignment.id))
            }
        })
    }

    /// The secrets, certificates and federated credentials `target` holds.
    pub fn credentials_of(&self, target: &Target) -> Result<ObjectCredentials, ApplyError> {
        let not_found = || ApplyError::TargetNotFound(target_label(target));
        Ok(match target {
            Target::Application(oid) => {
                let a = self
                    .applications
                    .iter()
                    .find(|a| &a.id == oid)
                    .ok_or_else(not_found)?;
                ObjectCredentials {
                    passwords: a.password_credentials.clone(),
                    keys: a.key_credentials.clone(),
                    federated: a.federated_identity_credentials.clone(),
                }
            }
            Target::ServicePrincipal(oid) => {
                let p = self
                    .service_principals
                    .iter()
                    .find(|p| &p.id == oid)
                    .ok_or_else(not_found)?;
                ObjectCredentials {
                    passwords: p.password_credentials.clone(),
                    keys: p.key_credentials.clone(),
                    federated: vec![],
                }
            }
            Target::UserAssignedIdentity(arm) => ObjectCredentials {
                passwords: vec![],
                keys: vec![],
                federated: self
                    .user_assigned_identities
                    .iter()
                    .find(|u| u.id.eq_ignore_ascii_case(arm))
                    .ok_or_else(not_found)?
                    .federated_identity_credentials
                    .clone(),
            },
        })
    }
}

fn target_label(t: &Target) -> String {
    match t {
        Target::Application(id) => format!("application {id}"),
        Target::ServicePrincipal(id) => format!("service principal {id}"),
        Target::UserAssignedIdentity(id) => format!("user-assigned managed identity {id}"),
    }
}

fn exists(what: &'static str, id: &str) -> ApplyError {
    ApplyError::AlreadyExists {
        what,
        id: id.to_string(),
    }
}

fn missing(what: &'static str, id: &str) -> ApplyError {
    ApplyError::Missing {
        what,
        id: id.to_string(),
    }
}
