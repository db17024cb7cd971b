//! `check` and `apply` of the live backend, and the read of one object's credentials
//! (`credentials`) the lockout guard needs: every request comes from the catalogue of calls
//! (`domain::calls`) — the same one a plan prints — and is sent on this session's endpoints.
//! Each change first makes the reads its undo needs (a secret's metadata, the certificates
//! with their `key`, a FIC with its expression, an identity with its FICs, a role
//! assignment), then writes, and returns the undo with the ids the service chose. Writes to
//! one user-assigned identity are serialised (ARM answers 409 to concurrent FIC writes).
//! Requests are sent one after the other, in the catalogue's order.
//!
//! May import the Graph and ARM clients, the HTTP layer and the domain.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::LiveBackend;
use super::arm::{self, condition_lost};
use super::error::Need;
use super::http::{Reply, Service};
use super::retry::Mode;
use super::wire::{self, CreatedIdentity, Page, WireFicItem, WireRole, WireUami};
use crate::backend::wire::{WireKey, WirePassword, null_as_empty};
use crate::backend::{Applied, Error};
use crate::domain::calls::{self, Api, Body, KeyEdit, Object, Presence, Refused, Request};
use crate::domain::change::{ApplyError, Target};
use crate::domain::verify;
use crate::domain::{
    Change, Check, CheckOutcome, FederatedIdentityCredential, KeyCredential, ObjectCredentials,
    PasswordCredential, RoleAssignment, UserAssignedIdentity,
};

/// A change or check the catalogue has no request for: nothing is sent (exit 2).
fn refused(r: Refused) -> Error {
    match r {
        Refused::Unavailable(message) => Error::Unavailable(message),
        Refused::Rejected(e) => Error::Rejected(e),
    }
}

/// The permission or role a 403 to this request lacks.
fn need(r: &Request) -> Need {
    match (r.is_read(), r.api, r.object) {
        (true, Api::Arm, _) => Need::ArmRead,
        (true, _, _) => Need::GraphRead,
        (false, _, Object::Application | Object::ServicePrincipal) => Need::GraphWrite,
        (false, _, Object::UserAssignedIdentity) => Need::IdentityWrite,
        (false, _, Object::RoleAssignment) => Need::RoleAssignmentWrite,
    }
}

fn http_method(m: calls::Method) -> azure_core::http::Method {
    use azure_core::http::Method;
    match m {
        calls::Method::Get => Method::Get,
        calls::Method::Post => Method::Post,
        calls::Method::Put => Method::Put,
        calls::Method::Patch => Method::Patch,
        calls::Method::Delete => Method::Delete,
    }
}

/// The body of a request the catalogue gives whole.
fn fields(r: &Request) -> Option<serde_json::Value> {
    r.body.as_ref().and_then(Body::json)
}

/// The secrets and certificates of one object.
struct Credentials {
    passwords: Vec<PasswordCredential>,
    key_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCredentials {
    #[serde(default, deserialize_with = "null_as_empty")]
    password_credentials: Vec<WirePassword>,
    /// Kept as Graph sent them, to be sent back whole by a PATCH.
    #[serde(default, deserialize_with = "null_as_empty")]
    key_credentials: Vec<serde_json::Value>,
}

impl LiveBackend {
    // -----------------------------------------------------------------------------------------
    // Sending a catalogue request.

    fn service(&self, api: Api) -> &Service {
        match api {
            Api::GraphV1 | Api::GraphBeta => &self.graph.svc,
            Api::Arm => &self.arm.svc,
        }
    }

    /// The request on this session's endpoints (`--graph-url`, `--arm-url`).
    fn url(&self, r: &Request) -> String {
        let base = match r.api {
            Api::GraphV1 => &self.graph.v1,
            Api::GraphBeta => &self.graph.beta,
            Api::Arm => &self.arm.base,
        };
        format!("{base}{}", r.relative_url())
    }

    async fn read<T: DeserializeOwned>(&self, r: &Request) -> Result<T, Error> {
        self.service(r.api)
            .get_json(&self.url(r), &[], need(r))
            .await
    }

    /// A read of one object; `None` when it does not exist (404).
    async fn read_optional<T: DeserializeOwned>(&self, r: &Request) -> Result<Option<T>, Error> {
        match self.read(r).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A list: its `value`, every page of it when the catalogue says it follows `nextLink`.
    async fn read_list<T: DeserializeOwned>(&self, r: &Request) -> Result<Vec<T>, Error> {
        if r.follows_next_link {
            return arm::pages(self.service(r.api), self.url(r), need(r)).await;
        }
        Ok(self.read::<Page<T>>(r).await?.value)
    }

    async fn write(
        &self,
        r: &Request,
        body: Option<&serde_json::Value>,
    ) -> Result<(String, Reply), Error> {
        let url = self.url(r);
        let reply = self
            .service(r.api)
            .send(Mode::Write, http_method(r.method), &url, &[], body, need(r))
            .await?;
        Ok((url, reply))
    }

    async fn secrets(&self, r: &Request) -> Result<Credentials, Error> {
        let w: WireCredentials = self.read(r).await?;
        Ok(Credentials {
            passwords: w.password_credentials.into_iter().map(Into::into).collect(),
            key_ids: w
                .key_credentials
                .iter()
                .filter_map(|k| k.get("keyId").and_then(|v| v.as_str()).map(str::to_string))
                .collect(),
        })
    }

    /// The key credentials with their `key` blobs, as Graph sent them: what a PATCH of
    /// `keyCredentials` must send back (it replaces the whole collection).
    async fn raw_keys(&self, r: &Request) -> Result<Vec<serde_json::Value>, Error> {
        Ok(self.read::<WireCredentials>(r).await?.key_credentials)
    }

    async fn fics(&self, r: &Request) -> Result<Vec<FederatedIdentityCredential>, Error> {
        Ok(self
            .read_list::<WireFicItem>(r)
            .await?
            .into_iter()
            .map(|f| f.0)
            .collect())
    }

    // -----------------------------------------------------------------------------------------
    // Checks.

    /// Answers a check. Content checks read the object and compare it with
    /// `domain::verify`: a certificate's thumbprint as Graph encodes `customKeyIdentifier`
    /// (or, when Graph left it out, the SHA-1 of the `key` it returns), a federated credential
    /// from beta (the only Graph version that returns a flexible credential's
    /// `claimsMatchingExpression`) or the ARM preview, an identity's ids and a role
    /// assignment's grant from ARM.
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
            Check::UserAssignedIdentityPresent { id } => present(
                self.read_optional::<WireUami>(&calls::identity(id).map_err(refused)?)
                    .await?
                    .is_some(),
            ),
            Check::RoleAssignmentPresent { id } => present(
                self.read_optional::<WireRole>(&calls::role_assignment(id).map_err(refused)?)
                    .await?
                    .is_some(),
            ),
            Check::CertificateMatches {
                target,
                key_id,
                thumbprint,
            } => {
                let keys = self
                    .keys_of(&calls::certificates(target).map_err(refused)?)
                    .await?;
                verify::certificate(
                    key_id,
                    thumbprint.as_deref(),
                    keys.iter().find(|k| k.key_id.eq_ignore_ascii_case(key_id)),
                )
            }
            Check::FederatedCredentialMatches { target, credential } => {
                let found =
                    match calls::federated_credential(target, &credential.name).map_err(refused)? {
                        Some(r) => self.read_optional::<WireFicItem>(&r).await?.map(|f| f.0),
                        // A service principal holds none.
                        None => None,
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
                self.read_optional::<WireUami>(&calls::identity(id).map_err(refused)?)
                    .await?
                    .map(|w| w.0)
                    .as_ref(),
            ),
            Check::RoleAssignmentMatches { assignment } => verify::role_assignment(
                assignment,
                self.read_optional::<WireRole>(
                    &calls::role_assignment(&assignment.id).map_err(refused)?,
                )
                .await?
                .map(|w| w.0)
                .as_ref(),
            ),
        })
    }

    /// The credentials `target` holds now: secrets and certificates (with thumbprints) from
    /// Graph, federated credentials from Graph beta or, for a user-assigned identity, ARM.
    pub(super) async fn credentials_inner(
        &self,
        target: &Target,
    ) -> Result<ObjectCredentials, Error> {
        let reads = calls::credentials(target).map_err(refused)?;
        let passwords = match &reads.secrets {
            Some(r) => self.secrets(r).await?.passwords,
            None => vec![],
        };
        let keys = match &reads.certificates {
            Some(r) => self.keys_of(r).await?,
            None => vec![],
        };
        let federated = match &reads.federated {
            Some(r) => self.fics(r).await?,
            None => vec![],
        };
        Ok(ObjectCredentials {
            passwords,
            keys,
            federated,
        })
    }

    /// The certificates of an application or service principal, each with its thumbprint.
    async fn keys_of(&self, read: &Request) -> Result<Vec<KeyCredential>, Error> {
        let raw = self.raw_keys(read).await?;
        raw.into_iter()
            .map(|v| {
                let der = v
                    .get("key")
                    .and_then(|k| k.as_str())
                    .and_then(crate::domain::credential::decode_base64);
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
        match calls::presence(target).map_err(refused)? {
            Presence::Graph {
                credentials,
                federated,
            } => {
                let creds = self.secrets(&credentials).await?;
                if creds
                    .passwords
                    .iter()
                    .any(|p| p.key_id.eq_ignore_ascii_case(id))
                    || creds.key_ids.iter().any(|k| k.eq_ignore_ascii_case(id))
                {
                    return Ok(true);
                }
                match federated {
                    Some(r) => Ok(self.fics(&r).await?.iter().any(|f| f.name == id)),
                    None => Ok(false),
                }
            }
            Presence::Arm { federated } => {
                Ok(self.fics(&federated).await?.iter().any(|f| f.name == id))
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Changes.

    pub(super) async fn apply_inner(&self, change: &Change) -> Result<Applied, Error> {
        let plain = |undo: Change| Applied {
            undo,
            secret: None,
            created: None,
        };
        match change {
            Change::AddPassword { target, credential } => {
                let add = calls::add_password(target, credential).map_err(refused)?;
                let (url, reply) = self.write(&add, fields(&add).as_ref()).await?;
                let added: wire::AddedPassword = self.graph.svc.json(&reply, &url)?;
                let (created, secret) = added.split();
                Ok(Applied {
                    undo: Change::RemovePassword {
                        target: target.clone(),
                        key_id: created.key_id.to_string(),
                    },
                    secret,
                    created: None,
                })
            }
            Change::RemovePassword { target, key_id } => {
                let c = calls::remove_password(target, key_id).map_err(refused)?;
                let old = self
                    .secrets(&c.read)
                    .await?
                    .passwords
                    .into_iter()
                    .find(|p| p.key_id.eq_ignore_ascii_case(key_id))
                    .ok_or_else(|| missing("secret", key_id))?;
                self.write(&c.write, fields(&c.write).as_ref()).await?;
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
                let c = calls::add_key(target, credential, key.as_deref()).map_err(refused)?;
                let edit = key_edit(&c.write)?;
                // Without the public certificate nothing can be uploaded: say so before
                // reading anything.
                edit.ready().map_err(refused)?;
                let keys = self.raw_keys(&c.read).await?;
                let body = edit.body(keys).map_err(refused)?;
                self.write(&c.write, Some(&body)).await?;
                Ok(plain(Change::RemoveKey {
                    target: target.clone(),
                    key_id: credential.key_id.to_string(),
                }))
            }
            Change::RemoveKey { target, key_id } => {
                let c = calls::remove_key(target, key_id).map_err(refused)?;
                let edit = key_edit(&c.write)?;
                let keys = self.raw_keys(&c.read).await?;
                let removed = keys
                    .iter()
                    .find(|k| key_id_of(k).eq_ignore_ascii_case(key_id))
                    .cloned()
                    .ok_or_else(|| missing("certificate", key_id))?;
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
                let body = edit.body(keys).map_err(refused)?;
                self.write(&c.write, Some(&body)).await?;
                Ok(plain(Change::AddKey {
                    target: target.clone(),
                    credential,
                    key: blob,
                }))
            }
            Change::AddFederatedCredential { target, credential } => {
                let add = calls::add_federated_credential(target, credential).map_err(refused)?;
                match target {
                    Target::UserAssignedIdentity(id) => {
                        let lock = self.identity_lock(id);
                        let _held = lock.lock().await;
                        self.write(&add, fields(&add).as_ref()).await?;
                    }
                    _ => {
                        self.write(&add, fields(&add).as_ref()).await?;
                    }
                }
                Ok(plain(Change::RemoveFederatedCredential {
                    target: target.clone(),
                    name: credential.name.clone(),
                }))
            }
            Change::RemoveFederatedCredential { target, name } => {
                let c = calls::remove_federated_credential(target, name).map_err(refused)?;
                let lock = match target {
                    Target::UserAssignedIdentity(id) => Some(self.identity_lock(id)),
                    _ => None,
                };
                let _held = match &lock {
                    Some(l) => Some(l.lock().await),
                    None => None,
                };
                let old = self
                    .read_optional::<WireFicItem>(&c.read)
                    .await?
                    .map(|f| f.0)
                    .ok_or_else(|| missing("federated identity credential", name))?;
                self.write(&c.write, None).await?;
                Ok(plain(Change::AddFederatedCredential {
                    target: target.clone(),
                    credential: old,
                }))
            }
            Change::CreateUserAssignedIdentity { identity } => {
                let c = calls::create_identity(identity).map_err(refused)?;
                // PUT would answer 200 for an existing identity, and the undo would then
                // delete something this change did not create.
                if self.read_optional::<WireUami>(&c.read).await?.is_some() {
                    return Err(Error::Rejected(ApplyError::AlreadyExists {
                        what: "user-assigned managed identity",
                        id: identity.id.clone(),
                    }));
                }
                let (url, reply) = self.write(&c.create, fields(&c.create).as_ref()).await?;
                let answered: CreatedIdentity = self.arm.svc.json(&reply, &url)?;
                let mut created = UserAssignedIdentity {
                    principal_id: answered.properties.principal_id,
                    client_id: answered.properties.client_id,
                    tenant_id: answered.properties.tenant_id.or(identity.tenant_id.clone()),
                    federated_identity_credentials: Vec::new(),
                    ..identity.clone()
                };
                let lock = self.identity_lock(&identity.id);
                let _held = lock.lock().await;
                for (fic, put) in identity
                    .federated_identity_credentials
                    .iter()
                    .zip(&c.credentials)
                {
                    if let Err(e) = self.write(put, fields(put).as_ref()).await {
                        // All or nothing: without its credentials the identity is not what
                        // the plan asked for.
                        let _ = self.write(&c.take_back, None).await;
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
                let c = calls::delete_identity(id).map_err(refused)?;
                let mut old = self
                    .read_optional::<WireUami>(&c.read)
                    .await?
                    .map(|w| w.0)
                    .ok_or_else(|| missing("user-assigned managed identity", id))?;
                old.federated_identity_credentials = self.fics(&c.credentials).await?;
                self.write(&c.delete, None).await?;
                Ok(plain(Change::CreateUserAssignedIdentity { identity: old }))
            }
            Change::AddRoleAssignment { assignment } => {
                // ARM wants a GUID name under the scope: an id that is not one gets a fresh
                // GUID here, before the catalogue is asked, so its requests name the id sent.
                let sent = RoleAssignment {
                    id: arm::assignment_id(assignment),
                    ..assignment.clone()
                };
                let c = calls::add_role_assignment(&sent).map_err(refused)?;
                let (url, reply) = match self.write(&c.create, fields(&c.create).as_ref()).await {
                    Ok(x) => x,
                    Err(Error::Service { code, .. }) if code == "RoleAssignmentExists" => {
                        return Err(Error::Rejected(ApplyError::AlreadyExists {
                            what: "role assignment",
                            id: assignment.id.clone(),
                        }));
                    }
                    Err(e) => return Err(e),
                };
                // What ARM kept: the PUT's answer, or a read back when it is not one.
                let answered = match self.arm.svc.json::<WireRole>(&reply, &url) {
                    Ok(w) => Some(w.0),
                    Err(_) => self
                        .read_optional::<WireRole>(&c.read_back)
                        .await?
                        .map(|w| w.0),
                };
                // A conditioned assignment that came back without its condition grants more
                // than the plan asked for: take it away again and stop, rather than leave it.
                let lost = match &answered {
                    Some(a) => condition_lost(&sent, a),
                    None if sent.condition.is_some() => {
                        Some("ARM did not show the assignment it created".to_string())
                    }
                    None => None,
                };
                if let Some(why) = lost {
                    let removed = self.write(&c.take_back, None).await;
                    return Err(Error::Unavailable(format!(
                        "role assignment {} ({} at {}) was created, but {why}; {}",
                        sent.id,
                        sent.role_name(),
                        sent.scope,
                        match removed {
                            Ok(_) => "it was removed again, because without its condition it grants more than the original".to_string(),
                            Err(e) => format!("removing it again failed ({e}): remove it by hand, because without its condition it grants more than the original"),
                        }
                    )));
                }
                Ok(plain(Change::RemoveRoleAssignment { id: sent.id }))
            }
            Change::RemoveRoleAssignment { id } => {
                let c = calls::remove_role_assignment(id).map_err(refused)?;
                let old = self
                    .read_optional::<WireRole>(&c.read)
                    .await?
                    .map(|w| w.0)
                    .ok_or_else(|| missing("role assignment", id))?;
                self.write(&c.write, None).await?;
                Ok(plain(Change::AddRoleAssignment { assignment: old }))
            }
        }
    }
}

/// The edit a certificate PATCH of the catalogue makes.
fn key_edit(patch: &Request) -> Result<&KeyEdit, Error> {
    match &patch.body {
        Some(Body::KeyCredentials(edit)) => Ok(edit),
        _ => Err(Error::Unavailable(
            "the catalogue's certificate PATCH has no key edit".into(),
        )),
    }
}

fn missing(what: &'static str, id: &str) -> Error {
    Error::Rejected(ApplyError::Missing {
        what,
        id: id.to_string(),
    })
}

fn key_id_of(k: &serde_json::Value) -> &str {
    k.get("keyId").and_then(|v| v.as_str()).unwrap_or("")
}
