//! Pre-filling the wizard from what the tenant shows about an identity: a managed identity
//! runs in Azure and has no user; a GitHub Actions FIC means a GitHub token issuer; a
//! Kubernetes FIC a cluster issuer; a multi-tenant app reaches another tenant; a
//! system-assigned identity serves one resource, a user-assigned one attached to several is
//! shared. Each suggestion says why, and the user can change it.

use super::engine::Answers;
use crate::domain::CredentialRef;
use crate::domain::directory::{Directory, Entry, ObjectRef};
use crate::domain::kind::IdentityKind;
use crate::domain::links::{FicKind, classify_fic};

/// A fact the tenant suggests, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub fact: &'static str,
    pub value: &'static str,
    pub why: String,
}

/// What the tenant tells about `e`.
pub fn suggestions(dir: &Directory, e: &Entry) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let mut push = |fact, value, why: &str| {
        out.push(Suggestion {
            fact,
            value,
            why: why.to_string(),
        })
    };
    if matches!(
        e.kind,
        IdentityKind::SystemAssignedManagedIdentity | IdentityKind::UserAssignedManagedIdentity
    ) {
        push(
            "user_present",
            "false",
            "a managed identity signs in as a workload",
        );
        push(
            "hosting",
            "azure",
            "a managed identity's principal means it runs in Azure",
        );
    }
    match e.kind {
        IdentityKind::SystemAssignedManagedIdentity => {
            push(
                "identity_scope",
                "single-resource",
                "a system-assigned identity serves one resource",
            );
        }
        IdentityKind::UserAssignedManagedIdentity => {
            let attached = dir
                .arm_id_of(e)
                .map(|a| dir.attached_resources(a).len())
                .unwrap_or(0);
            if attached >= 2 {
                push(
                    "identity_scope",
                    "shared",
                    "it is attached to several resources",
                );
            }
        }
        IdentityKind::Application | IdentityKind::ServicePrincipal => {
            let s = dir.snapshot();
            if let ObjectRef::Application(i) = e.object
                && s.applications[i as usize].is_multi_tenant()
            {
                push("target", "entra-other-tenant", "the app is multi-tenant");
            }
            let kinds: Vec<FicKind> = dir
                .credentials_of(e)
                .iter()
                .filter_map(|c| match c {
                    CredentialRef::Federated(f) => Some(classify_fic(f, &s.tenant_id, s.cloud)),
                    _ => None,
                })
                .collect();
            let issuer = if kinds.contains(&FicKind::GitHubActions) {
                Some((
                    "github-actions",
                    "it has a GitHub Actions federated credential",
                ))
            } else if kinds.contains(&FicKind::Kubernetes) {
                Some(("kubernetes", "it has a Kubernetes federated credential"))
            } else if kinds.contains(&FicKind::Other) {
                Some((
                    "other-oidc",
                    "it has a federated credential for an OIDC issuer",
                ))
            } else {
                None
            };
            if let Some((value, why)) = issuer {
                push(
                    "user_present",
                    "false",
                    "a federated credential signs in a workload",
                );
                push(
                    "hosting",
                    "outside-azure",
                    "its federated credential trusts an issuer outside Azure",
                );
                push("token_issuer", value, why);
            }
        }
    }
    out
}

/// The suggestions as pre-filled answers.
pub fn prefill(dir: &Directory, e: &Entry) -> Answers {
    let mut a = Answers::default();
    for s in suggestions(dir, e) {
        a.prefill(s.fact, s.value);
    }
    a
}
