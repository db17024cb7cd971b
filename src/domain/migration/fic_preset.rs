//! Federated identity credential presets and the rules Entra ID applies to an FIC, checked
//! before anything is sent (Entra accepts a wrong issuer or subject silently; it only fails
//! at token exchange, minutes later, with AADSTS70021).
//!
//! Rules (graph-arm-api.md §1.7, §6): name 3–120 characters `^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$`;
//! issuer an https URL of at most 600 characters with no whitespace (a stray space in `iss`
//! blocks the exchange); subject at most 600 characters; exactly one audience; at most 20 FICs
//! per application; (issuer, subject) unique per application. Presets: GitHub Actions (branch,
//! environment, tag, pull request; the immutable `owner@id/repo@id` subject form), Kubernetes
//! service accounts, a user-assigned managed identity as FIC, any OIDC issuer.

use serde::{Deserialize, Serialize};

use super::words::Words;
use crate::domain::change::MAX_FICS;
use crate::domain::credential::FederatedIdentityCredential;
use crate::domain::snapshot::Cloud;

pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The longest issuer, subject, audience or description Entra stores.
pub const MAX_FIELD: usize = 600;

/// Which kind of workload the FIC trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FicPreset {
    GitHub,
    Kubernetes,
    ManagedIdentity,
    Oidc,
}

impl FicPreset {
    pub const ALL: [FicPreset; 4] = [
        Self::GitHub,
        Self::Kubernetes,
        Self::ManagedIdentity,
        Self::Oidc,
    ];

    /// The guidance tag and the CLI word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::Kubernetes => "kubernetes",
            Self::ManagedIdentity => "managed-identity",
            Self::Oidc => "oidc",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::GitHub => "GitHub Actions",
            Self::Kubernetes => "Kubernetes service account",
            Self::ManagedIdentity => "Managed identity as FIC",
            Self::Oidc => "Any OIDC issuer",
        }
    }
}

/// What a GitHub Actions job's token names in its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitHubRef {
    Branch(String),
    Environment(String),
    Tag(String),
    PullRequest,
}

/// The audience Entra expects from a token exchange in `cloud`.
pub fn audience_for(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => "api://AzureADTokenExchange",
        Cloud::Usgov => "api://AzureADTokenExchangeUSGov",
        Cloud::China => "api://AzureADTokenExchangeChina",
    }
}

/// The login host of `cloud` (for issuers and authority URLs).
pub fn login_host(cloud: Cloud) -> &'static str {
    cloud.entra_issuer_hosts()[0]
}

/// `https://{login host}/{tenant}/v2.0`: the tenant's Entra issuer, which a managed identity's
/// tokens carry.
pub fn entra_issuer(cloud: Cloud, tenant_id: &str) -> String {
    format!("https://{}/{tenant_id}/v2.0", login_host(cloud))
}

/// The subject of a GitHub Actions token: `repo:ORG/REPO:…`, or with `ids = (owner id, repo
/// id)` the immutable form `repo:ORG@OWNERID/REPO@REPOID:…`, which survives a rename and cannot
/// be taken over by whoever registers the old name.
pub fn github_subject(repo: &str, r: &GitHubRef, ids: Option<(&str, &str)>) -> String {
    let repo_part = match (ids, repo.split_once('/')) {
        (Some((owner_id, repo_id)), Some((owner, name))) => {
            format!("{owner}@{owner_id}/{name}@{repo_id}")
        }
        _ => repo.to_string(),
    };
    let tail = match r {
        GitHubRef::Branch(b) => format!("ref:refs/heads/{b}"),
        GitHubRef::Environment(e) => format!("environment:{e}"),
        GitHubRef::Tag(t) => format!("ref:refs/tags/{t}"),
        // GitHub emits `pull_request` (one Entra page says `pull-request`: a typo).
        GitHubRef::PullRequest => "pull_request".to_string(),
    };
    format!("repo:{repo_part}:{tail}")
}

/// `system:serviceaccount:NAMESPACE:NAME`.
pub fn kubernetes_subject(namespace: &str, service_account: &str) -> String {
    format!("system:serviceaccount:{namespace}:{service_account}")
}

/// The FIC name rule: `^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(3..=120).contains(&len) {
        return Err(format!("must be 3 to 120 characters (it has {len})"));
    }
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or digit".into());
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(format!(
            "may hold only letters, digits, '-' and '_' (found {c:?})"
        ));
    }
    Ok(())
}

/// An issuer must be an https URL with a host, without whitespace, at most 600 characters.
pub fn validate_issuer(issuer: &str) -> Result<(), String> {
    if issuer.is_empty() {
        return Err("required".into());
    }
    if issuer.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "must not contain whitespace (Entra compares it with the token's `iss` exactly)".into(),
        );
    }
    if issuer.len() > MAX_FIELD {
        return Err(format!("must be at most {MAX_FIELD} characters"));
    }
    let Some(rest) = issuer.strip_prefix("https://") else {
        return Err("must be an https:// URL".into());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(format!("{host:?} is not a host name"));
    }
    Ok(())
}

/// A subject must be non-empty, at most 600 characters, without surrounding whitespace, and
/// without wildcards (classic FICs match exactly).
pub fn validate_subject(subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        return Err("required".into());
    }
    if subject.trim() != subject || subject.chars().any(char::is_control) {
        return Err("must not start or end with whitespace or hold control characters".into());
    }
    if subject.len() > MAX_FIELD {
        return Err(format!("must be at most {MAX_FIELD} characters"));
    }
    if subject.contains('*') {
        return Err(
            "wildcards are not supported by federated credentials; add one per subject".into(),
        );
    }
    Ok(())
}

/// Exactly one audience, at most 600 characters.
pub fn validate_audience(audience: &str) -> Result<(), String> {
    if audience.is_empty() {
        return Err("required".into());
    }
    if audience.contains(',') || audience.chars().any(char::is_whitespace) {
        return Err("exactly one audience: no spaces or commas".into());
    }
    if audience.len() > MAX_FIELD {
        return Err(format!("must be at most {MAX_FIELD} characters"));
    }
    Ok(())
}

/// An optional description: at most 600 characters.
pub fn validate_description(description: &str) -> Result<(), String> {
    if description.len() > MAX_FIELD {
        return Err(format!("must be at most {MAX_FIELD} characters"));
    }
    Ok(())
}

/// How a new FIC relates to the ones an application already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// It can be added.
    New,
    /// An identical FIC (same name, issuer, subject and audience) is already there: the step
    /// will find it verified and skip its action (a re-run to remove the secrets later).
    AlreadyPresent,
    /// It cannot be added: `(field, message)`.
    Conflict(&'static str, Words),
}

/// Checks `fic` against `existing`: the name is unique, (issuer, subject) is unique, and the
/// application stays within 20 FICs.
pub fn fit(existing: &[FederatedIdentityCredential], fic: &FederatedIdentityCredential) -> Fit {
    if let Some(same) = existing.iter().find(|e| e.name == fic.name) {
        let identical = same.issuer == fic.issuer
            && same.subject == fic.subject
            && same.claims_matching_expression == fic.claims_matching_expression
            && same.audiences == fic.audiences;
        return if identical {
            Fit::AlreadyPresent
        } else {
            Fit::Conflict(
                "name",
                Words::from(format!(
                    "the application already has a federated credential named {:?} (issuer {}, subject {}); choose another ",
                    same.name,
                    same.issuer,
                    same.matcher()
                ))
                .field("name"),
            )
        };
    }
    // What a FIC matches is its subject or, for a flexible one, its expression.
    if let Some(dup) = existing
        .iter()
        .find(|e| e.issuer == fic.issuer && e.matcher() == fic.matcher())
    {
        return Fit::Conflict(
            "subject",
            format!(
                "the application already trusts this issuer and subject in federated credential {:?}",
                dup.name
            )
            .into(),
        );
    }
    if existing.len() >= MAX_FICS {
        return Fit::Conflict(
            "identity",
            format!(
                "the application already has {} federated credentials, the most Entra ID allows ({MAX_FICS}); remove one first",
                existing.len()
            )
            .into(),
        );
    }
    Fit::New
}

/// `ORG/REPO` as GitHub allows them.
pub fn validate_github_repo(repo: &str) -> Result<(), String> {
    let Some((owner, name)) = repo.split_once('/') else {
        return Err("expected ORG/REPO".into());
    };
    let owner_ok = (1..=39).contains(&owner.len())
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-');
    if !owner_ok {
        return Err(format!("{owner:?} is not a GitHub owner name"));
    }
    let name_ok = (1..=100).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(format!("{name:?} is not a GitHub repository name"));
    }
    Ok(())
}

/// A branch, tag or environment pattern for a flexible FIC: a name that may hold the wildcards
/// `*` and `?` (not a quote, which the expression language escapes in a way it does not
/// document).
pub fn validate_ref_pattern(value: &str) -> Result<(), String> {
    let plain: String = value.replace(['*', '?'], "x");
    validate_ref_name(&plain)?;
    if value.contains('\'') {
        return Err("must not contain a quote".into());
    }
    Ok(())
}

/// A branch, tag or environment name: non-empty, no whitespace or ':' (which would change the
/// subject's structure), no wildcard.
pub fn validate_ref_name(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain whitespace".into());
    }
    if value.contains(':') {
        return Err("must not contain ':'".into());
    }
    if value.contains('*') || value.contains('?') {
        return Err(
            "wildcards need a flexible federated credential (a claims expression), which credwise makes for a pattern like release/*".into(),
        );
    }
    if value.starts_with("refs/") {
        return Err("give the short name (main, not refs/heads/main)".into());
    }
    Ok(())
}

/// A GitHub numeric id (for the immutable subject form).
pub fn validate_numeric_id(value: &str) -> Result<(), String> {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) || value.len() > 20 {
        return Err("expected a number (GitHub's numeric id)".into());
    }
    Ok(())
}

/// A Kubernetes namespace: an RFC 1123 label.
pub fn validate_namespace(ns: &str) -> Result<(), String> {
    if !is_dns_label(ns, 63) {
        return Err(
            "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
                .into(),
        );
    }
    Ok(())
}

/// A Kubernetes service account name: an RFC 1123 subdomain.
pub fn validate_service_account(sa: &str) -> Result<(), String> {
    let ok = !sa.is_empty() && sa.len() <= 253 && sa.split('.').all(|l| is_dns_label(l, 63));
    if !ok {
        return Err(
            "must be a DNS subdomain: lowercase letters, digits, '-' and '.', at most 253 characters"
                .into(),
        );
    }
    Ok(())
}

fn is_dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
