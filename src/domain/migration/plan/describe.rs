//! A plan's steps in words: what a change, a check and an undo do, with the requests each
//! sends, as the plan's text, the progress screens and the migration record say them.
//!
//! Pure; may import the rest of `domain`.

use super::{ApiCall, Step};
use crate::domain::change::{Change, Check, Target};

/// What rollback does about a secret removal, as the plan, the README and the engine say it.
pub const SECRET_UNDO_NOTE: &str = "A removed secret cannot come back with its value: on a live tenant rollback leaves it removed (Graph would give a new secret a new keyId and value) and says how to make a new one; a snapshot puts it back.";

/// What rollback does about a new credential, as the plan, the README and the engine say it.
pub const LAST_CREDENTIAL_UNDO_NOTE: &str = "Rollback undoes this only while the identity keeps another usable credential; otherwise it stops before changing anything and offers to keep it.";

/// The `Undo:` line of a step: its undo in words, except for a secret removal, whose "undo"
/// is not the same secret on a live tenant.
pub fn describe_undo(step: &Step) -> String {
    match (&step.undo, step.removes_secret) {
        (Change::AddPassword { target, credential }, true) => format!(
            "none on a live tenant (the secret stays removed); a snapshot puts keyId {} back on {}",
            credential.key_id,
            target_words(target)
        ),
        (undo, _) => describe_change(undo),
    }
}

fn target_words(t: &Target) -> String {
    match t {
        Target::Application(id) => format!("application {id}"),
        Target::ServicePrincipal(id) => format!("service principal {id}"),
        Target::UserAssignedIdentity(id) => format!("managed identity {id}"),
    }
}

/// A change in words.
pub fn describe_change(c: &Change) -> String {
    match c {
        Change::AddPassword { target, credential } => format!(
            "add a client secret{} (keyId {}) to {}",
            credential
                .display_name
                .as_deref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default(),
            credential.key_id,
            target_words(target)
        ),
        Change::RemovePassword { target, key_id } => format!(
            "remove client secret keyId {key_id} from {}",
            target_words(target)
        ),
        Change::AddKey {
            target, credential, ..
        } => {
            let thumb = credential
                .thumbprint()
                .map(|t| format!(", thumbprint {t}"))
                .unwrap_or_default();
            format!(
                "add certificate keyId {}{thumb} to {}",
                credential.key_id,
                target_words(target)
            )
        }
        Change::RemoveKey { target, key_id } => format!(
            "remove certificate keyId {key_id} from {}",
            target_words(target)
        ),
        Change::AddFederatedCredential { target, credential } => format!(
            "add federated credential {:?} (issuer {}, subject {}, audience {}) to {}",
            credential.name,
            credential.issuer,
            credential.matcher(),
            credential.audiences.join(" "),
            target_words(target)
        ),
        Change::RemoveFederatedCredential { target, name } => format!(
            "remove federated credential {name:?} from {}",
            target_words(target)
        ),
        Change::CreateUserAssignedIdentity { identity } => format!(
            "create user-assigned managed identity {} in {}",
            identity.name,
            identity
                .location
                .as_deref()
                .unwrap_or("its resource group's region")
        ),
        Change::DeleteUserAssignedIdentity { id } => {
            format!("delete user-assigned managed identity {id}")
        }
        Change::AddRoleAssignment { assignment } => {
            let condition = match &assignment.condition {
                Some(c) => format!(
                    ", only where its condition (version {}) holds: {c}",
                    assignment.effective_condition_version().unwrap_or("2.0")
                ),
                None => String::new(),
            };
            format!(
                "assign role {} at {} to principal {}{condition}",
                assignment.role_name(),
                assignment.scope,
                assignment.principal_id
            )
        }
        Change::RemoveRoleAssignment { id } => format!("remove role assignment {id}"),
    }
}

/// A check in words.
pub fn describe_check(c: &Check) -> String {
    match c {
        Check::CredentialPresent { target, id } => {
            format!("credential {id} is present on {}", target_words(target))
        }
        Check::CredentialAbsent { target, id } => {
            format!("credential {id} is gone from {}", target_words(target))
        }
        Check::UserAssignedIdentityPresent { id } => {
            format!("managed identity {id} exists")
        }
        Check::RoleAssignmentPresent { id } => format!("role assignment {id} exists"),
        Check::CertificateMatches {
            target,
            key_id,
            thumbprint,
        } => match thumbprint {
            Some(t) => format!(
                "certificate keyId {key_id} with thumbprint {t} is on {}",
                target_words(target)
            ),
            None => format!(
                "certificate keyId {key_id} (thumbprint known once generated) is on {}",
                target_words(target)
            ),
        },
        Check::FederatedCredentialMatches { target, credential } => format!(
            "federated credential {:?} is on {} with issuer {}, subject {} and audience {}",
            credential.name,
            target_words(target),
            credential.issuer,
            credential.matcher(),
            credential.audiences.join(" ")
        ),
        Check::UserAssignedIdentityMatches {
            id,
            principal_id,
            client_id,
        } => match (principal_id, client_id) {
            (Some(p), Some(c)) => {
                format!("managed identity {id} exists with principal id {p} and client id {c}")
            }
            _ => format!("managed identity {id} exists (with the ids Azure chose)"),
        },
        Check::RoleAssignmentMatches { assignment } => format!(
            "role assignment {} grants {} at {} to principal {}{}",
            assignment.id,
            assignment.role_name(),
            assignment.scope,
            assignment.principal_id,
            assignment
                .condition
                .as_deref()
                .map(|c| format!(" under condition {c:?}"))
                .unwrap_or_default()
        ),
    }
}

/// ` (GET …; GET … (only when …))`, or nothing for no call.
pub(super) fn calls_in_brackets(calls: &[ApiCall]) -> String {
    if calls.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = calls.iter().map(ApiCall::line).collect();
    format!(" ({})", lines.join("; "))
}
