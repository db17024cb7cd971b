//! `check` and `apply` of the live backend: every `Check` and `Change` as Graph/ARM calls,
//! and the read of one object's credentials (`credentials`) the lockout guard needs.
//! Each change first reads what its undo needs (a secret's metadata, a certificate with its
//! `key`, a FIC with its expression, an identity with its FICs, a role assignment), then
//! changes, and returns the undo with the ids the service chose. Writes to one user-assigned
//! identity are serialised (ARM answers 409 to concurrent FIC writes).
//!
//! May import the Graph and ARM clients and the domain.

use super::LiveBackend;
use super::arm::{AUTHORIZATION_API, MSI_API, MSI_FIC_API, condition_lost};
use super::error::Need;
use super::graph::owner_path;
use crate::backend::wire::WireKey;
use crate::backend::{Applied, Error};
use crate::domain::change::{ApplyError, Target};
use crate::domain::verify;
use crate::domain::{Change, Check, CheckOutcome, KeyCredential, ObjectCredentials, Timestamp};

impl LiveBackend {
    /// The Graph path of an application or service principal target.
    fn graph_owner(&self, target: &Target, what: &str) -> Result<String, Error> {
        match target {
            Target::Application(id) => Ok(owner_path("applications", id)),
            Target::ServicePrincipal(id) => Ok(owner_path("servicePrincipals", id)),
            Target::UserAssignedIdentity(id) => Err(Error::Unavailable(format!(
                "user-assigned managed identity {id} has no {what}"
            ))),
        }
    }

    /// Answers a check. Content checks read the object and compare it with
    /// `domain::verify`: a certificate's thumbprint as Graph encodes `customKeyIdentifier`
    /// (or, when Graph left it out, the SHA-1 of the `key` it returns), a federated credential
    /// from v1.0 — or beta, the only version that returns a flexible credential's
    /// `claimsMatchingExpression` —, an identity's ids and a role assignment's grant from ARM.
    pub(super) async fn check_inner(&self, check: &Check) -> Result<CheckOutcome, Error> {
        let present = |yes: bool| {
            if yes {
                CheckOutcome::Holds
            } else {
                CheckOutcome::Missing
            }
        };
        Ok(match check {
            Check::CredentialPresent { target, id } => {
                present(self.credential_present(target, id).await?)
            }
            Check::CredentialAbsent { target, id } => {
                present(!self.credential_present(target, id).await?)
            }
            Check::UserAssignedIdentityPresent { id } => {
                present(self.arm.identity(id).await?.is_some())
            }
            Check::RoleAssignmentPresent { id } => {
                present(self.arm.role_assignment(id).await?.is_some())
            }
            Check::CertificateMatches {
                target,
                key_id,
                thumbprint,
            } => {
                let keys = self.keys_of(target).await?;
                verify::certificate(
                    key_id,
                    thumbprint.as_deref(),
                    keys.iter().find(|k| k.key_id.eq_ignore_ascii_case(key_id)),
                )
            }
            Check::FederatedCredentialMatches { target, credential } => {
                let found = match target {
                    Target::Application(id) => {
                        self.graph
                            .fic(&owner_path("applications", id), &credential.name)
                            .await?
                    }
                    Target::UserAssignedIdentity(id) => {
                        self.arm.identity_fic(id, &credential.name).await?
                    }
                    Target::ServicePrincipal(_) => None,
                };
                verify::federated(credential, found.as_ref())
            }
            Check::UserAssignedIdentityMatches {
                id,
                principal_id,
                client_id,
            } => verify::managed_identity(
                id,
                principal_id.as_deref(),
                client_id.as_deref(),
                self.arm.identity(id).await?.as_ref(),
            ),
            Check::RoleAssignmentMatches { assignment } => verify::role_assignment(
                assignment,
                self.arm.role_assignment(&assignment.id).await?.as_ref(),
            ),
        })
    }

    /// The credentials `target` holds now: secrets and certificates (with thumbprints) from
    /// Graph, federated credentials from Graph or, for a user-assigned identity, ARM.
    pub(super) async fn credentials_inner(
        &self,
        target: &Target,
    ) -> Result<ObjectCredentials, Error> {
        match target {
            Target::Application(_) | Target::ServicePrincipal(_) => {
                let owner = self.graph_owner(target, "credentials")?;
                let fics = async {
                    match target {
                        Target::Application(_) => self.graph.fics(&owner, false).await,
                        _ => Ok(vec![]),
                    }
                };
                let (creds, keys, federated) = futures::try_join!(
                    self.graph.credentials_of(&owner),
                    self.keys_of(target),
                    fics
                )?;
                Ok(ObjectCredentials {
                    passwords: creds.passwords,
                    keys,
                    federated,
                })
            }
            Target::UserAssignedIdentity(id) => Ok(ObjectCredentials {
                passwords: vec![],
                keys: vec![],
                federated: self.arm.identity_fics(id).await?,
            }),
        }
    }

    /// The certificates of an application or service principal, each with its thumbprint.
    async fn keys_of(&self, target: &Target) -> Result<Vec<KeyCredential>, Error> {
        let owner = self.graph_owner(target, "certificates")?;
        let raw = self.graph.key_credentials(&owner).await?;
        raw.into_iter()
            .map(|v| {
                let der = v
                    .get("key")
                    .and_then(|k| k.as_str())
                    .and_then(decode_base64);
                let mut k: KeyCredential = serde_json::from_value::<WireKey>(v)
                    .map(Into::into)
                    .map_err(|e| Error::Decode {
                        service: "Graph",
                        message: format!("keyCredential: {e}"),
                    })?;
                if k.custom_key_identifier.is_none()
                    && let Some(der) = der
                {
                    // Graph fills customKeyIdentifier with the thumbprint unless told
                    // otherwise; without it, the thumbprint is the SHA-1 of the certificate.
                    use sha1::Digest;
                    k.custom_key_identifier = Some(
                        sha1::Sha1::digest(&der)
                            .iter()
                            .map(|b| format!("{b:02X}"))
                            .collect(),
                    );
                }
                Ok(k)
            })
            .collect()
    }

    pub(super) async fn credential_present(
        &self,
        target: &Target,
        id: &str,
    ) -> Result<bool, Error> {
        match target {
            Target::Application(_) | Target::ServicePrincipal(_) => {
                let owner = self.graph_owner(target, "credentials")?;
                let creds = self.graph.credentials_of(&owner).await?;
                if creds
                    .passwords
                    .iter()
                    .any(|p| p.key_id.eq_ignore_ascii_case(id))
                    || creds.key_ids.iter().any(|k| k.eq_ignore_ascii_case(id))
                {
                    return Ok(true);
                }
                if matches!(target, Target::ServicePrincipal(_)) {
                    return Ok(false);
                }
                Ok(self
                    .graph
                    .fics(&owner, false)
                    .await?
                    .iter()
                    .any(|f| f.name == id))
            }
            Target::UserAssignedIdentity(arm_id) => Ok(self
                .arm
                .identity_fics(arm_id)
                .await?
                .iter()
                .any(|f| f.name == id)),
        }
    }

    pub(super) async fn apply_inner(&self, change: &Change) -> Result<Applied, Error> {
        let plain = |undo: Change| Applied {
            undo,
            secret: None,
            created: None,
        };
        match change {
            Change::AddPassword { target, credential } => {
                let owner = self.graph_owner(target, "client secrets")?;
                let (created, secret) = self.graph.add_password(&owner, credential).await?;
                Ok(Applied {
                    undo: Change::RemovePassword {
                        target: target.clone(),
                        key_id: created.key_id,
                    },
                    secret,
                    created: None,
                })
            }
            Change::RemovePassword { target, key_id } => {
                let owner = self.graph_owner(target, "client secrets")?;
                let old = self
                    .graph
                    .credentials_of(&owner)
                    .await?
                    .passwords
                    .into_iter()
                    .find(|p| p.key_id.eq_ignore_ascii_case(key_id))
                    .ok_or_else(|| missing("secret", key_id))?;
                self.graph.remove_password(&owner, &old.key_id).await?;
                Ok(plain(Change::AddPassword {
                    target: target.clone(),
                    credential: old,
                }))
            }
            Change::AddKey {
                target,
                credential,
                key,
            } => {
                let owner = self.graph_owner(target, "certificates")?;
                let key = key.as_deref().ok_or_else(|| {
                    Error::Unavailable(format!(
                        "certificate {} cannot be uploaded without its public certificate",
                        credential.key_id
                    ))
                })?;
                let mut keys = self.graph.key_credentials(&owner).await?;
                if keys
                    .iter()
                    .any(|k| key_id_of(k).eq_ignore_ascii_case(&credential.key_id))
                {
                    return Err(Error::Rejected(ApplyError::AlreadyExists {
                        what: "certificate",
                        id: credential.key_id.clone(),
                    }));
                }
                keys.push(new_key_credential(credential, key)?);
                self.graph.set_key_credentials(&owner, keys).await?;
                Ok(plain(Change::RemoveKey {
                    target: target.clone(),
                    key_id: credential.key_id.clone(),
                }))
            }
            Change::RemoveKey { target, key_id } => {
                let owner = self.graph_owner(target, "certificates")?;
                let mut keys = self.graph.key_credentials(&owner).await?;
                let at = keys
                    .iter()
                    .position(|k| key_id_of(k).eq_ignore_ascii_case(key_id))
                    .ok_or_else(|| missing("certificate", key_id))?;
                let removed = keys.remove(at);
                let blob = removed
                    .get("key")
                    .and_then(|k| k.as_str())
                    .map(str::to_string);
                let credential: KeyCredential = serde_json::from_value::<WireKey>(removed)
                    .map(Into::into)
                    .map_err(|e| Error::Decode {
                        service: "Graph",
                        message: format!("keyCredential {key_id}: {e}"),
                    })?;
                self.graph.set_key_credentials(&owner, keys).await?;
                Ok(plain(Change::AddKey {
                    target: target.clone(),
                    credential,
                    key: blob,
                }))
            }
            Change::AddFederatedCredential { target, credential } => {
                match target {
                    Target::Application(id) => {
                        self.graph
                            .add_fic(&owner_path("applications", id), credential)
                            .await?
                    }
                    Target::UserAssignedIdentity(id) => {
                        let lock = self.identity_lock(id);
                        let _held = lock.lock().await;
                        self.arm.put_identity_fic(id, credential).await?
                    }
                    Target::ServicePrincipal(id) => {
                        return Err(Error::Unavailable(format!(
                            "service principal {id} cannot hold federated credentials; add \
                             the credential to its application"
                        )));
                    }
                }
                Ok(plain(Change::RemoveFederatedCredential {
                    target: target.clone(),
                    name: credential.name.clone(),
                }))
            }
            Change::RemoveFederatedCredential { target, name } => {
                let old =
                    match target {
                        Target::Application(id) => {
                            let owner = owner_path("applications", id);
                            let old =
                                self.graph.fic(&owner, name).await?.ok_or_else(|| {
                                    missing("federated identity credential", name)
                                })?;
                            self.graph.delete_fic(&owner, name).await?;
                            old
                        }
                        Target::UserAssignedIdentity(id) => {
                            let lock = self.identity_lock(id);
                            let _held = lock.lock().await;
                            let old =
                                self.arm.identity_fic(id, name).await?.ok_or_else(|| {
                                    missing("federated identity credential", name)
                                })?;
                            self.arm
                                .delete(
                                    &format!("{id}/federatedIdentityCredentials/{name}"),
                                    MSI_FIC_API,
                                    Need::IdentityWrite,
                                )
                                .await?;
                            old
                        }
                        Target::ServicePrincipal(id) => {
                            return Err(missing(
                                "federated identity credential",
                                &format!("{name} on {id}"),
                            ));
                        }
                    };
                Ok(plain(Change::AddFederatedCredential {
                    target: target.clone(),
                    credential: old,
                }))
            }
            Change::CreateUserAssignedIdentity { identity } => {
                // PUT would answer 200 for an existing identity, and the undo would then
                // delete something this change did not create.
                if self.arm.identity(&identity.id).await?.is_some() {
                    return Err(Error::Rejected(ApplyError::AlreadyExists {
                        what: "user-assigned managed identity",
                        id: identity.id.clone(),
                    }));
                }
                let mut created = self.arm.put_identity(identity).await?;
                let lock = self.identity_lock(&identity.id);
                let _held = lock.lock().await;
                for fic in &identity.federated_identity_credentials {
                    if let Err(e) = self.arm.put_identity_fic(&created.id, fic).await {
                        // All or nothing: without its credentials the identity is not what
                        // the plan asked for.
                        let _ = self
                            .arm
                            .delete(&created.id, MSI_API, Need::IdentityWrite)
                            .await;
                        return Err(e);
                    }
                    created.federated_identity_credentials.push(fic.clone());
                }
                Ok(Applied {
                    undo: Change::DeleteUserAssignedIdentity {
                        id: identity.id.clone(),
                    },
                    secret: None,
                    created: Some(created),
                })
            }
            Change::DeleteUserAssignedIdentity { id } => {
                let mut old = self
                    .arm
                    .identity(id)
                    .await?
                    .ok_or_else(|| missing("user-assigned managed identity", id))?;
                old.federated_identity_credentials = self.arm.identity_fics(id).await?;
                self.arm.delete(id, MSI_API, Need::IdentityWrite).await?;
                Ok(plain(Change::CreateUserAssignedIdentity { identity: old }))
            }
            Change::AddRoleAssignment { assignment } => {
                let (id, answered) = match self.arm.put_role_assignment(assignment).await {
                    Ok(x) => x,
                    Err(Error::Service { code, .. }) if code == "RoleAssignmentExists" => {
                        return Err(Error::Rejected(ApplyError::AlreadyExists {
                            what: "role assignment",
                            id: assignment.id.clone(),
                        }));
                    }
                    Err(e) => return Err(e),
                };
                // A conditioned assignment that came back without its condition grants more
                // than the plan asked for: take it away again and stop, rather than leave it.
                let lost = match &answered {
                    Some(a) => condition_lost(assignment, a),
                    None if assignment.condition.is_some() => {
                        Some("ARM did not show the assignment it created".to_string())
                    }
                    None => None,
                };
                if let Some(why) = lost {
                    let removed = self
                        .arm
                        .delete(&id, AUTHORIZATION_API, Need::RoleAssignmentWrite)
                        .await;
                    return Err(Error::Unavailable(format!(
                        "role assignment {id} ({} at {}) was created, but {why}; {}",
                        assignment.role_name(),
                        assignment.scope,
                        match removed {
                            Ok(()) => "it was removed again, because without its condition it grants more than the original".to_string(),
                            Err(e) => format!("removing it again failed ({e}): remove it by hand, because without its condition it grants more than the original"),
                        }
                    )));
                }
                Ok(plain(Change::RemoveRoleAssignment { id }))
            }
            Change::RemoveRoleAssignment { id } => {
                let old = self
                    .arm
                    .role_assignment(id)
                    .await?
                    .ok_or_else(|| missing("role assignment", id))?;
                self.arm
                    .delete(id, AUTHORIZATION_API, Need::RoleAssignmentWrite)
                    .await?;
                Ok(plain(Change::AddRoleAssignment { assignment: old }))
            }
        }
    }
}

fn missing(what: &'static str, id: &str) -> Error {
    Error::Rejected(ApplyError::Missing {
        what,
        id: id.to_string(),
    })
}

/// Standard base64 (Graph's Edm.Binary); `None` when it is not.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim().trim_end_matches('=').bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn key_id_of(k: &serde_json::Value) -> &str {
    k.get("keyId").and_then(|v| v.as_str()).unwrap_or("")
}

/// A new `keyCredentials` entry as Azure CLI builds it: the public certificate in `key`;
/// Graph computes `customKeyIdentifier` (the thumbprint) when it is left out.
fn new_key_credential(c: &KeyCredential, key: &str) -> Result<serde_json::Value, Error> {
    let rfc3339 = |t: Timestamp| {
        t.format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| Error::Unavailable(format!("cannot write the date {t}: {e}")))
    };
    let mut v = serde_json::json!({
        "keyId": c.key_id,
        "type": c.key_type.as_deref().unwrap_or("AsymmetricX509Cert"),
        "usage": c.usage.as_deref().unwrap_or("Verify"),
        "key": key,
    });
    if let Some(n) = &c.display_name {
        v["displayName"] = n.clone().into();
    }
    if let Some(k) = &c.custom_key_identifier {
        v["customKeyIdentifier"] = k.clone().into();
    }
    if let Some(t) = c.start_date_time {
        v["startDateTime"] = rfc3339(t)?.into();
    }
    if let Some(t) = c.end_date_time {
        v["endDateTime"] = rfc3339(t)?.into();
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_key_entries_carry_the_certificate() {
        let c = KeyCredential {
            key_id: "k1".into(),
            display_name: Some("CN=app".into()),
            custom_key_identifier: None,
            key_type: None,
            usage: None,
            start_date_time: Some(time::macros::datetime!(2026-01-01 0:00 UTC)),
            end_date_time: None,
        };
        let v = new_key_credential(&c, "TUlJQw==").unwrap();
        assert_eq!(v["key"], "TUlJQw==");
        assert_eq!(v["type"], "AsymmetricX509Cert");
        assert_eq!(v["usage"], "Verify");
        assert_eq!(v["startDateTime"], "2026-01-01T00:00:00Z");
        assert!(v.get("customKeyIdentifier").is_none());
    }
}
