//! The reads of each `Check`, and of one object's credentials for the lockout rule.

use super::*;

/// The reads that say whether an object holds a credential with some id (a keyId, or a
/// federated credential's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// An application or service principal: its secrets and certificates, then — an
    /// application's, when none has the id — its federated credentials (beta).
    Graph {
        credentials: Request,
        federated: Option<Request>,
    },
    /// A user-assigned identity: its federated credentials.
    Arm { federated: Request },
}

impl Presence {
    pub fn requests(&self) -> Vec<&Request> {
        match self {
            Presence::Graph {
                credentials,
                federated,
            } => std::iter::once(credentials).chain(federated).collect(),
            Presence::Arm { federated } => vec![federated],
        }
    }
}

pub fn presence(target: &Target) -> Result<Presence, Refused> {
    match target {
        Target::Application(id) => Ok(Presence::Graph {
            credentials: secrets_read(target, "credentials")?,
            federated: Some(app_fics_read(id).only_when(When::NotASecretOrCertificate)),
        }),
        Target::ServicePrincipal(_) => Ok(Presence::Graph {
            credentials: secrets_read(target, "credentials")?,
            federated: None,
        }),
        Target::UserAssignedIdentity(id) => Ok(Presence::Arm {
            federated: identity_fics_read(id)?,
        }),
    }
}

/// The certificates of an application or service principal with their keys, for a
/// thumbprint when Graph left `customKeyIdentifier` out.
pub fn certificates(target: &Target) -> Result<Request, Refused> {
    keys_read(target)
}

/// One federated credential by name: an application's from beta (`GET
/// …/federatedIdentityCredentials/{name}`, the name being the alternate key:
/// federatedidentitycredential-get.md), an identity's at the preview (A-msi
/// `FederatedIdentityCredentials_Get`); `None` for a service principal, which holds none.
pub fn federated_credential(target: &Target, name: &str) -> Result<Option<Request>, Refused> {
    match target {
        Target::Application(id) => Ok(Some(app_fic(Method::Get, Api::GraphBeta, id, name))),
        Target::UserAssignedIdentity(id) => Ok(Some(identity_fic(Method::Get, id, name)?)),
        Target::ServicePrincipal(_) => Ok(None),
    }
}

/// `GET {identity}?api-version=2024-11-30` (A-msi `UserAssignedIdentities_Get`).
pub fn identity(id: &str) -> Result<Request, Refused> {
    Ok(arm(Method::Get, Object::UserAssignedIdentity, id)?.api_version(MSI_API))
}

/// `GET {assignment id}?api-version=2022-04-01` (A-authz `RoleAssignments_GetById`, the
/// same path as `RoleAssignments_Get`).
pub fn role_assignment(id: &str) -> Result<Request, Refused> {
    Ok(arm(Method::Get, Object::RoleAssignment, id)?.api_version(AUTHORIZATION_API))
}

/// Every request `check` makes, in the order sent.
pub fn check(check: &Check) -> Result<Vec<Request>, Refused> {
    Ok(match check {
        Check::CredentialPresent { target, id: _ } | Check::CredentialAbsent { target, id: _ } => {
            presence(target)?.requests().into_iter().cloned().collect()
        }
        Check::CertificateMatches { target, .. } => vec![certificates(target)?],
        Check::FederatedCredentialMatches { target, credential } => {
            federated_credential(target, &credential.name)?
                .into_iter()
                .collect()
        }
        Check::UserAssignedIdentityPresent { id }
        | Check::UserAssignedIdentityMatches { id, .. } => {
            vec![identity(id)?]
        }
        Check::RoleAssignmentPresent { id } => vec![role_assignment(id)?],
        Check::RoleAssignmentMatches { assignment } => vec![role_assignment(&assignment.id)?],
    })
}

/// What an object can sign in with now, read for the lockout rule before a secret
/// removal and every undo: an application's or service principal's secrets and its
/// certificates with their keys (for thumbprints), an application's or user-assigned
/// identity's federated credentials (Graph beta, the ARM preview). Sent in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReads {
    pub secrets: Option<Request>,
    pub certificates: Option<Request>,
    pub federated: Option<Request>,
}

impl CredentialReads {
    pub fn requests(&self) -> Vec<&Request> {
        [&self.secrets, &self.certificates, &self.federated]
            .into_iter()
            .flatten()
            .collect()
    }
}

pub fn credentials(target: &Target) -> Result<CredentialReads, Refused> {
    const WHY: &str = "what the identity can still sign in with, for the lockout rule";
    Ok(match target {
        Target::Application(id) => CredentialReads {
            secrets: Some(secrets_read(target, "credentials")?.reads_for(WHY)),
            certificates: Some(keys_read(target)?.reads_for(WHY)),
            federated: Some(app_fics_read(id).reads_for(WHY)),
        },
        Target::ServicePrincipal(_) => CredentialReads {
            secrets: Some(secrets_read(target, "credentials")?.reads_for(WHY)),
            certificates: Some(keys_read(target)?.reads_for(WHY)),
            federated: None,
        },
        Target::UserAssignedIdentity(id) => CredentialReads {
            secrets: None,
            certificates: None,
            federated: Some(identity_fics_read(id)?.reads_for(WHY)),
        },
    })
}
