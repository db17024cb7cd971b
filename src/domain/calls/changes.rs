//! The requests of each `Change`, one function per operation, with its source.

use super::*;

/// A read, then the write it prepares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadThenWrite {
    pub read: Request,
    pub write: Request,
}

/// `POST {object}/addPassword` with `{"passwordCredential": {displayName, startDateTime,
/// endDateTime}}` — what the change has of them (v1.0 api/application-addpassword.md,
/// serviceprincipal-addpassword.md). Graph picks the keyId and the value.
pub fn add_password(target: &Target, c: &PasswordCredential) -> Result<Request, Refused> {
    let (object, path) = graph_owner(target, "client secrets")?;
    let mut pc = serde_json::Map::new();
    if let Some(name) = &c.display_name {
        pc.insert("displayName".into(), name.clone().into());
    }
    for (key, value) in [
        ("startDateTime", c.start_date_time),
        ("endDateTime", c.end_date_time),
    ] {
        if let Some(t) = value {
            pc.insert(key.into(), rfc3339(t)?.into());
        }
    }
    Ok(Request::new(Method::Post, Api::GraphV1, object, path)
        .with_path(&["addPassword"])
        .fields(vec![("passwordCredential", Value::Object(pc))])
        .note("the new value is shown once, never stored"))
}

/// The secret's metadata (for the undo), then `POST {object}/removePassword` with
/// `{"keyId"}` (v1.0 api/application-removepassword.md).
pub fn remove_password(target: &Target, key_id: &str) -> Result<ReadThenWrite, Refused> {
    let read = secrets_read(target, "client secrets")?
        .reads_for("the secret's name and dates, for the undo");
    let (object, path) = graph_owner(target, "client secrets")?;
    let write = Request::new(Method::Post, Api::GraphV1, object, path)
        .with_path(&["removePassword"])
        .fields(vec![("keyId", key_id.into())]);
    Ok(ReadThenWrite { read, write })
}

/// The certificates with their keys, then `PATCH {object}` with the list and the new one
/// appended (concepts/applications-how-to-add-certificate.md; the Azure CLI does the same:
/// `addKey` needs a proof signed by an existing certificate).
pub fn add_key(
    target: &Target,
    c: &KeyCredential,
    key: Option<&str>,
) -> Result<ReadThenWrite, Refused> {
    let read = keys_read(target)?
        .reads_for("the certificates with their keys: the PATCH sends the list back whole");
    let (object, path) = graph_owner(target, "certificates")?;
    let mut entry: Vec<(&'static str, Value)> = vec![
        ("keyId", c.key_id.clone().into()),
        (
            "type",
            c.key_type.as_deref().unwrap_or("AsymmetricX509Cert").into(),
        ),
        ("usage", c.usage.as_deref().unwrap_or("Verify").into()),
    ];
    if let Some(n) = &c.display_name {
        entry.push(("displayName", n.clone().into()));
    }
    // Graph computes the thumbprint when it is left out.
    if let Some(k) = &c.custom_key_identifier {
        entry.push(("customKeyIdentifier", k.clone().into()));
    }
    if let Some(t) = c.start_date_time {
        entry.push(("startDateTime", rfc3339(t)?.into()));
    }
    if let Some(t) = c.end_date_time {
        entry.push(("endDateTime", rfc3339(t)?.into()));
    }
    let mut write = Request::new(Method::Patch, Api::GraphV1, object, path);
    write.body = Some(Body::KeyCredentials(KeyEdit::Append {
        entry,
        key: key.map(str::to_string),
    }));
    Ok(ReadThenWrite { read, write })
}

/// The certificates with their keys (the removed one is the undo), then `PATCH {object}`
/// with the list without it.
pub fn remove_key(target: &Target, key_id: &str) -> Result<ReadThenWrite, Refused> {
    let read = keys_read(target)?.reads_for(
        "the certificates with their keys: the PATCH sends the others back, the removed one is the undo",
    );
    let (object, path) = graph_owner(target, "certificates")?;
    let mut write = Request::new(Method::Patch, Api::GraphV1, object, path);
    write.body = Some(Body::KeyCredentials(KeyEdit::Remove {
        key_id: key_id.to_string(),
    }));
    Ok(ReadThenWrite { read, write })
}

/// An application's: `POST {application}/federatedIdentityCredentials` — v1.0 with a
/// `subject` (v1.0 api/application-post-federatedidentitycredentials.md), beta with a
/// `claimsMatchingExpression` (beta resources/federatedidentitycredential.md: flexible
/// credentials exist only there). A user-assigned identity's: `PUT
/// {identity}/federatedIdentityCredentials/{name}` at the preview with `properties`
/// `{issuer, audiences, subject | claimsMatchingExpression}` (A-msi 2025-01-31-preview
/// `FederatedIdentityCredentials_CreateOrUpdate`; the preview takes one or the other).
pub fn add_federated_credential(
    target: &Target,
    fic: &FederatedIdentityCredential,
) -> Result<Request, Refused> {
    let matcher = matcher(fic)?;
    match target {
        Target::Application(id) => {
            let (api, matcher_field) = match matcher {
                Matcher::Subject(s) => (Api::GraphV1, ("subject", Value::from(s))),
                Matcher::Expression(e) => (
                    Api::GraphBeta,
                    ("claimsMatchingExpression", claims_matching_expression(e)),
                ),
            };
            let mut fields: Vec<(&'static str, Value)> = vec![
                ("name", fic.name.clone().into()),
                ("issuer", fic.issuer.clone().into()),
                matcher_field,
                ("audiences", fic.audiences.clone().into()),
            ];
            if let Some(d) = &fic.description {
                fields.push(("description", d.clone().into()));
            }
            Ok(Request::new(
                Method::Post,
                api,
                Object::Application,
                vec![
                    "applications".into(),
                    id.clone(),
                    "federatedIdentityCredentials".into(),
                ],
            )
            .fields(fields))
        }
        Target::UserAssignedIdentity(id) => {
            let mut properties = serde_json::json!({
                "issuer": fic.issuer,
                "audiences": fic.audiences,
            });
            match matcher {
                Matcher::Subject(s) => properties["subject"] = s.into(),
                Matcher::Expression(e) => {
                    properties["claimsMatchingExpression"] = claims_matching_expression(e)
                }
            }
            Ok(identity_fic(Method::Put, id, &fic.name)?.fields(vec![("properties", properties)]))
        }
        Target::ServicePrincipal(id) => Err(Refused::Unavailable(format!(
            "service principal {id} cannot hold federated credentials; add the credential to its application"
        ))),
    }
}

/// The credential as it is (for the undo; an application's from beta, the only version
/// that serialises a flexible one), then its `DELETE` — an application's on v1.0
/// (federatedidentitycredential-delete.md; by name, as the Azure CLI does), an identity's at
/// the preview (A-msi `FederatedIdentityCredentials_Delete`).
pub fn remove_federated_credential(target: &Target, name: &str) -> Result<ReadThenWrite, Refused> {
    const WHY: &str = "the credential with its expression, for the undo";
    match target {
        Target::Application(id) => Ok(ReadThenWrite {
            read: app_fic(Method::Get, Api::GraphBeta, id, name).reads_for(WHY),
            write: app_fic(Method::Delete, Api::GraphV1, id, name),
        }),
        Target::UserAssignedIdentity(id) => Ok(ReadThenWrite {
            read: identity_fic(Method::Get, id, name)?.reads_for(WHY),
            write: identity_fic(Method::Delete, id, name)?,
        }),
        Target::ServicePrincipal(id) => Err(Refused::Rejected(ApplyError::Missing {
            what: "federated identity credential",
            id: format!("{name} on {id}"),
        })),
    }
}

/// Creating a user-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIdentity {
    /// Must answer 404: ARM's `PUT` answers 200 for an existing identity, and the undo would
    /// then delete something this change did not create.
    pub read: Request,
    /// `PUT {identity}?api-version=2024-11-30` with `{location, tags}` (A-msi
    /// `UserAssignedIdentities_CreateOrUpdate`); Azure answers with its principal and client
    /// ids.
    pub create: Request,
    /// One `PUT` per federated credential the identity comes with (the undo of a deletion).
    pub credentials: Vec<Request>,
    /// `DELETE` of the identity, only when a credential is refused.
    pub take_back: Request,
}

pub fn create_identity(identity: &UserAssignedIdentity) -> Result<CreateIdentity, Refused> {
    let location = identity.location.as_deref().ok_or_else(|| {
        Refused::Unavailable(format!(
            "user-assigned identity {} needs a location (an Azure region) to be created",
            identity.name
        ))
    })?;
    let read = arm(Method::Get, Object::UserAssignedIdentity, &identity.id)?
        .api_version(MSI_API)
        .reads_for("that no identity has this id (it must answer 404)");
    let mut fields: Vec<(&'static str, Value)> = vec![("location", location.into())];
    if !identity.tags.is_empty() {
        fields.push((
            "tags",
            serde_json::to_value(&identity.tags).unwrap_or(Value::Null),
        ));
    }
    let create = arm(Method::Put, Object::UserAssignedIdentity, &identity.id)?
        .api_version(MSI_API)
        .fields(fields)
        .note("Azure returns the principalId and clientId");
    let credentials = identity
        .federated_identity_credentials
        .iter()
        .map(|f| add_federated_credential(&Target::UserAssignedIdentity(identity.id.clone()), f))
        .collect::<Result<Vec<_>, _>>()?;
    let take_back = arm(Method::Delete, Object::UserAssignedIdentity, &identity.id)?
        .api_version(MSI_API)
        .only_when(When::CredentialRefused);
    Ok(CreateIdentity {
        read,
        create,
        credentials,
        take_back,
    })
}

/// Deleting a user-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteIdentity {
    pub read: Request,
    pub credentials: Request,
    /// `DELETE {identity}?api-version=2024-11-30` (A-msi `UserAssignedIdentities_Delete`).
    pub delete: Request,
}

pub fn delete_identity(id: &str) -> Result<DeleteIdentity, Refused> {
    Ok(DeleteIdentity {
        read: arm(Method::Get, Object::UserAssignedIdentity, id)?
            .api_version(MSI_API)
            .reads_for("the identity, for the undo"),
        credentials: identity_fics_read(id)?.reads_for("its federated credentials, for the undo"),
        delete: arm(Method::Delete, Object::UserAssignedIdentity, id)?.api_version(MSI_API),
    })
}

/// Creating a role assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRoleAssignment {
    /// `PUT {assignment id}?api-version=2022-04-01` with `{"properties": {roleDefinitionId,
    /// principalId, principalType, condition, conditionVersion, description,
    /// delegatedManagedIdentityResourceId}}` — what the assignment has of them (A-authz
    /// `RoleAssignments_Create`, `RoleAssignmentProperties`).
    pub create: Request,
    /// `GET` of it, only when the `PUT`'s answer is not the assignment.
    pub read_back: Request,
    /// `DELETE` of it, only when ARM did not keep its condition.
    pub take_back: Request,
}

pub fn add_role_assignment(a: &RoleAssignment) -> Result<AddRoleAssignment, Refused> {
    let at = |method| {
        arm(method, Object::RoleAssignment, &a.id).map(|r| r.api_version(AUTHORIZATION_API))
    };
    Ok(AddRoleAssignment {
        create: at(Method::Put)?.fields(vec![("properties", a.create_properties())]),
        read_back: at(Method::Get)?
            .reads_for("the assignment as ARM keeps it, condition included")
            .only_when(When::AnswerIsNotTheAssignment),
        take_back: at(Method::Delete)?.only_when(When::ConditionNotKept),
    })
}

/// The assignment with its condition (for the undo), then its `DELETE` (A-authz
/// `RoleAssignments_Delete`).
pub fn remove_role_assignment(id: &str) -> Result<ReadThenWrite, Refused> {
    Ok(ReadThenWrite {
        read: arm(Method::Get, Object::RoleAssignment, id)?
            .api_version(AUTHORIZATION_API)
            .reads_for("the assignment with its condition, for the undo"),
        write: arm(Method::Delete, Object::RoleAssignment, id)?.api_version(AUTHORIZATION_API),
    })
}

/// Every request `change` makes, in the order sent (conditional ones included, marked).
pub fn change(change: &Change) -> Result<Vec<Request>, Refused> {
    let pair = |p: ReadThenWrite| vec![p.read, p.write];
    Ok(match change {
        Change::AddPassword { target, credential } => vec![add_password(target, credential)?],
        Change::RemovePassword { target, key_id } => pair(remove_password(target, key_id)?),
        Change::AddKey {
            target,
            credential,
            key,
        } => pair(add_key(target, credential, key.as_deref())?),
        Change::RemoveKey { target, key_id } => pair(remove_key(target, key_id)?),
        Change::AddFederatedCredential { target, credential } => {
            vec![add_federated_credential(target, credential)?]
        }
        Change::RemoveFederatedCredential { target, name } => {
            pair(remove_federated_credential(target, name)?)
        }
        Change::CreateUserAssignedIdentity { identity } => {
            let c = create_identity(identity)?;
            let mut out = vec![c.read, c.create];
            out.extend(c.credentials);
            out.push(c.take_back);
            out
        }
        Change::DeleteUserAssignedIdentity { id } => {
            let d = delete_identity(id)?;
            vec![d.read, d.credentials, d.delete]
        }
        Change::AddRoleAssignment { assignment } => {
            let a = add_role_assignment(assignment)?;
            vec![a.create, a.read_back, a.take_back]
        }
        Change::RemoveRoleAssignment { id } => pair(remove_role_assignment(id)?),
    })
}
