//! Migration forms pre-filled from the tenant, each value with the reason it was suggested
//! (the form marks it, as the wizard marks its pre-filled answers):
//! - secret → federated credential: the preset and its fields from a federated credential the
//!   application already has (its name and audience too, so the plan finds it there and only
//!   the secret's removal is left) — a GitHub one gives the repository and the branch, environment,
//!   tag or pull requests; a Kubernetes one the cluster issuer, namespace and service account;
//!   a managed identity as FIC the identity;
//! - secret → managed identity: the user-assigned identity the application already trusts as
//!   a FIC, and the resource group and location where its service principal's roles are and
//!   its resources run. (A UAMI attached where the app runs is not suggested: the tenant model
//!   does not say where an app registration's code runs.)
//!
//! Pure: reads a `Directory`. The user can change every value.

use std::collections::BTreeMap;

use super::MigrationKind;
use crate::domain::directory::Directory;
use crate::domain::links::{FicKind, classify_fic};
use crate::domain::{FederatedIdentityCredential, IdentityKind};

/// One field's suggested value, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: MigrationKind,
    /// The form field's name (`github-repo`).
    pub field: &'static str,
    pub value: String,
    pub why: String,
}

/// The suggestions for every migration of the identity `object_id` (an application, or a
/// service principal whose application is in the tenant).
pub fn suggestions(dir: &Directory, object_id: &str) -> Vec<Suggestion> {
    let Ok(source) = super::resolve_source(dir, object_id) else {
        return Vec::new();
    };
    let s = dir.snapshot();
    let fics: &[FederatedIdentityCredential] = s
        .applications
        .iter()
        .find(|a| a.id == source.identity.object_id)
        .map_or(&[], |a| a.federated_identity_credentials.as_slice());
    let mut out = Vec::new();
    let mut push = |kind, field: &'static str, value: &str, why: String| {
        out.push(Suggestion {
            kind,
            field,
            value: value.to_string(),
            why,
        })
    };
    let fic = MigrationKind::SecretToFic;
    let mi = MigrationKind::SecretToManagedIdentity;
    let kinds: Vec<(FicKind, &FederatedIdentityCredential)> = fics
        .iter()
        .map(|f| (classify_fic(f, &s.tenant_id, s.cloud), f))
        .collect();
    let trusted = trusted_identity(dir, &kinds);

    // The first of GitHub, Kubernetes, managed identity decides the preset.
    if let Some((_, f)) = kinds.iter().find(|(k, _)| *k == FicKind::GitHubActions)
        && let Some((repo, what)) = github_subject(f.subject.as_deref().unwrap_or_default())
    {
        let why = format!("from its federated credential {:?}", f.name);
        push(fic, "preset", "github", why.clone());
        push(fic, "github-repo", repo, why.clone());
        match what {
            GitHubRef::Branch(b) => push(fic, "branch", b, why.clone()),
            GitHubRef::Environment(e) => push(fic, "environment", e, why.clone()),
            GitHubRef::Tag(t) => push(fic, "tag", t, why.clone()),
            GitHubRef::PullRequest => push(fic, "pull-request", "yes", why.clone()),
        }
        same_credential(f, &mut push, why);
    } else if let Some((_, f)) = kinds.iter().find(|(k, _)| *k == FicKind::Kubernetes)
        && let Some((ns, sa)) = kubernetes_subject(f.subject.as_deref().unwrap_or_default())
    {
        let why = format!("from its federated credential {:?}", f.name);
        push(fic, "preset", "kubernetes", why.clone());
        push(fic, "k8s-issuer", &f.issuer, why.clone());
        push(fic, "namespace", ns, why.clone());
        push(fic, "service-account", sa, why.clone());
        same_credential(f, &mut push, why);
    } else if let Some(name) = &trusted {
        let why = "its federated credential already trusts this managed identity".to_string();
        push(fic, "preset", "managed-identity", why.clone());
        push(fic, "managed-identity", name, why);
    }

    // Secret → managed identity: the identity it already trusts.
    if let Some(name) = &trusted {
        push(
            mi,
            "managed-identity",
            name,
            "its federated credential already trusts this managed identity".to_string(),
        );
    }
    if let Some(principal) = &source.principal_id
        && let Some(rg) = busiest_resource_group(dir, principal)
    {
        push(
            mi,
            "resource-group",
            &rg.name,
            format!(
                "where {} of its service principal's role assignments are",
                rg.roles
            ),
        );
        if let Some(location) = rg.location {
            push(
                mi,
                "location",
                &location,
                format!("where its resources in {} run", rg.name),
            );
        }
    }
    out
}

/// The existing credential's name and audience, so the plan finds it already there (the
/// secret's removal then only waits on its verification); changing a field makes a new one.
fn same_credential(
    f: &FederatedIdentityCredential,
    push: &mut impl FnMut(MigrationKind, &'static str, &str, String),
    why: String,
) {
    push(MigrationKind::SecretToFic, "name", &f.name, why.clone());
    if let Some(audience) = f.audiences.first() {
        push(MigrationKind::SecretToFic, "audience", audience, why);
    }
}

/// A GitHub Actions subject's parts.
enum GitHubRef<'a> {
    Branch(&'a str),
    Environment(&'a str),
    Tag(&'a str),
    PullRequest,
}

/// `repo:ORG/REPO:…` → the repository and what it names.
fn github_subject(subject: &str) -> Option<(&str, GitHubRef<'_>)> {
    let rest = subject.strip_prefix("repo:")?;
    let (repo, what) = rest.split_once(':')?;
    let what = if let Some(b) = what.strip_prefix("ref:refs/heads/") {
        GitHubRef::Branch(b)
    } else if let Some(t) = what.strip_prefix("ref:refs/tags/") {
        GitHubRef::Tag(t)
    } else if let Some(e) = what.strip_prefix("environment:") {
        GitHubRef::Environment(e)
    } else if what == "pull_request" {
        GitHubRef::PullRequest
    } else {
        return None;
    };
    (repo.contains('/') && !repo.is_empty()).then_some((repo, what))
}

/// `system:serviceaccount:NS:SA` → (NS, SA).
fn kubernetes_subject(subject: &str) -> Option<(&str, &str)> {
    let (ns, sa) = subject
        .strip_prefix("system:serviceaccount:")?
        .split_once(':')?;
    (!ns.is_empty() && !sa.is_empty() && !sa.contains(':')).then_some((ns, sa))
}

/// The name of the user-assigned identity a managed-identity-as-FIC trusts, when it is in
/// the tenant.
fn trusted_identity(
    dir: &Directory,
    kinds: &[(FicKind, &FederatedIdentityCredential)],
) -> Option<String> {
    kinds
        .iter()
        .filter(|(k, _)| *k == FicKind::ManagedIdentity)
        .find_map(|(_, f)| {
            let id = dir.managed_identity_by_principal(f.subject.as_deref()?)?;
            let e = dir.entry(id);
            (e.kind == IdentityKind::UserAssignedManagedIdentity)
                .then(|| dir.display_name_of(e).to_string())
        })
}

struct ResourceGroup {
    name: String,
    roles: usize,
    location: Option<String>,
}

/// The resource group most of the principal's role assignments are in (ties: by name), with
/// the location most of the tenant's resources there run in.
fn busiest_resource_group(dir: &Directory, principal_id: &str) -> Option<ResourceGroup> {
    let s = dir.snapshot();
    let mut counts: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for r in s
        .role_assignments
        .iter()
        .filter(|r| r.principal_id.eq_ignore_ascii_case(principal_id))
    {
        if let Some(rg) = resource_group_of(&r.scope) {
            let e = counts
                .entry(rg.to_ascii_lowercase())
                .or_insert((rg.to_string(), 0));
            e.1 += 1;
        }
    }
    let (key, (name, roles)) = counts
        .into_iter()
        .max_by(|a, b| a.1.1.cmp(&b.1.1).then(b.0.cmp(&a.0)))?;
    let mut locations: BTreeMap<&str, usize> = BTreeMap::new();
    let in_group = |id: &str| resource_group_of(id).is_some_and(|g| g.eq_ignore_ascii_case(&key));
    let resources = s
        .resources
        .iter()
        .filter(|r| in_group(&r.id))
        .filter_map(|r| r.location.as_deref());
    let identities = s
        .user_assigned_identities
        .iter()
        .filter(|u| in_group(&u.id))
        .filter_map(|u| u.location.as_deref());
    for l in resources.chain(identities) {
        *locations.entry(l).or_default() += 1;
    }
    let location = locations
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(l, _)| l.to_string());
    Some(ResourceGroup {
        name,
        roles,
        location,
    })
}

/// `/subscriptions/…/resourceGroups/NAME/…` → NAME (ARM ids are case-insensitive).
fn resource_group_of(arm_id: &str) -> Option<&str> {
    let mut parts = arm_id.split('/');
    parts.find(|p| p.eq_ignore_ascii_case("resourceGroups"))?;
    parts.next().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_parse() {
        assert!(matches!(
            github_subject("repo:fabrikam/payroll:environment:production"),
            Some(("fabrikam/payroll", GitHubRef::Environment("production")))
        ));
        assert!(matches!(
            github_subject("repo:o/r:ref:refs/heads/main"),
            Some(("o/r", GitHubRef::Branch("main")))
        ));
        assert!(matches!(
            github_subject("repo:o/r:ref:refs/tags/v1"),
            Some(("o/r", GitHubRef::Tag("v1")))
        ));
        assert!(matches!(
            github_subject("repo:o/r:pull_request"),
            Some(("o/r", GitHubRef::PullRequest))
        ));
        assert!(github_subject("repo:o/r:job_workflow_ref:x").is_none());
        assert!(github_subject("repository_owner_id:1:repository_id:2").is_none());
        assert_eq!(
            kubernetes_subject("system:serviceaccount:payments:api"),
            Some(("payments", "api"))
        );
        assert_eq!(kubernetes_subject("system:serviceaccount:x"), None);
        assert_eq!(
            resource_group_of("/subscriptions/s/resourceGroups/rg-a/providers/x/y/z"),
            Some("rg-a")
        );
        assert_eq!(resource_group_of("/subscriptions/s"), None);
    }
}
