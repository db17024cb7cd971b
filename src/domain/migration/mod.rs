//! Guided migrations as pure data: a `Plan` of `Step`s (precondition, action, verification,
//! undo, the equivalent Graph/ARM calls) for moving a workload identity off its client secrets,
//! built from a form of strings that the CLI and the TUI fill alike.
//!
//! - `plan`: `Plan`, `Step`, their rendering as lines, the preview and the rebinding of
//!   provisional ids once Azure has chosen the real ones.
//! - `secret_to_certificate`, `secret_to_fic`, `secret_to_managed_identity`: one form each
//!   (`…Form { fields as strings }`, `validate(&Directory) -> Vec<FieldError>`,
//!   `build_plan(&PlanContext, …) -> Result<Plan, Vec<FieldError>>`).
//! - `form`: each migration's fields as data (names, labels, help, presets), which the CLI's
//!   flags and the explorer's form are built from, and `Form`, the values by field name.
//! - `progress`: a step's state as journals, events and screens share it.
//! - `fic_preset`: the federated credential presets (GitHub Actions, Kubernetes, managed
//!   identity, any OIDC issuer) and the validation Entra applies, before anything is sent.
//! - `github_immutable`: name-based GitHub FICs to GitHub's immutable subjects, one plan per
//!   identity or in bulk; `flexible`: the claims-expression grammar, GitHub patterns and the
//!   plan that merges similar FICs into one flexible FIC; `retirement`: the gate that decides
//!   from the usage evidence whether a removal step may go, must wait or was overridden.
//! - `guidance`: the config snippets and follow-ups, rendered from `assets/migration-guidance.toml`
//!   (passed in as text: this layer reads no file).
//!
//! Randomness (GUIDs for keyIds and role assignment names) comes in through `IdSource` and the
//! clock as a `Timestamp`, so a plan is a function of its inputs. May import serde, time,
//! thiserror and the rest of `domain`; no I/O.

pub mod fic_preset;
pub mod flexible;
pub mod form;
pub mod github_immutable;
pub mod guidance;
pub mod plan;
pub mod prefill;
pub mod progress;
pub mod retirement;
pub mod safety;
pub mod secret_to_certificate;
pub mod secret_to_fic;
pub mod secret_to_managed_identity;
pub mod words;

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::change::{Change, Check, Target};
use super::credential::PasswordCredential;
use super::directory::{Directory, FindError, ObjectRef};
use super::kind::IdentityKind;
use super::objects::ManagedIdentityFlavour;
use super::snapshot::Cloud;

pub use form::{FieldKind, FieldSpec, Form};
pub use guidance::GuidanceTemplates;
pub use plan::{ApiCall, LineKind, Plan, PlanIdentity, PlanLine, RefusedStep, Snippet, Step};
pub use secret_to_certificate::{CertificateForm, CertificateInfo};
pub use secret_to_fic::FicForm;
pub use secret_to_managed_identity::ManagedIdentityForm;
pub use words::Words;

/// The migrations, named as on the command line (`credwise migrate <kind>`) and in the
/// decision wizard's outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationKind {
    SecretToCertificate,
    SecretToFic,
    SecretToManagedIdentity,
    /// Name-based GitHub Actions FICs to GitHub's immutable `owner@id/repo@id` subjects
    /// (`github_immutable`). Named as on the command line (kebab-case alone would write
    /// `git-hub-…`); journals written with that spelling still read.
    #[serde(
        rename = "github-immutable-subject",
        alias = "git-hub-immutable-subject"
    )]
    GitHubImmutableSubject,
    /// Several classic FICs to one flexible FIC with a claims expression (`flexible`).
    MergeFederatedCredentials,
}

impl MigrationKind {
    /// The migrations off a client secret: what the explorer's migration picker offers and
    /// what the decision wizard's outcomes lead to.
    pub const ALL: [MigrationKind; 3] = [
        Self::SecretToCertificate,
        Self::SecretToFic,
        Self::SecretToManagedIdentity,
    ];

    /// Every kind, the secret migrations first.
    pub const EVERY: [MigrationKind; 5] = [
        Self::SecretToCertificate,
        Self::SecretToFic,
        Self::SecretToManagedIdentity,
        Self::GitHubImmutableSubject,
        Self::MergeFederatedCredentials,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecretToCertificate => "secret-to-certificate",
            Self::SecretToFic => "secret-to-fic",
            Self::SecretToManagedIdentity => "secret-to-managed-identity",
            Self::GitHubImmutableSubject => "github-immutable-subject",
            Self::MergeFederatedCredentials => "merge-federated-credentials",
        }
    }

    /// A heading for screens and records.
    pub fn title(self) -> &'static str {
        match self {
            Self::SecretToCertificate => "Client secret → certificate",
            Self::SecretToFic => "Client secret → federated identity credential",
            Self::SecretToManagedIdentity => "Client secret → managed identity",
            Self::GitHubImmutableSubject => "GitHub name-based subjects → immutable subjects",
            Self::MergeFederatedCredentials => "Federated credentials → one flexible credential",
        }
    }

    /// Whether the migration moves a workload off its client secrets (the explorer's picker).
    pub fn retires_secrets(self) -> bool {
        Self::ALL.contains(&self)
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::EVERY.into_iter().find(|k| k.as_str() == s.trim())
    }
}

#[cfg(test)]
mod kind_tests {
    use super::MigrationKind;

    #[test]
    fn every_kind_is_serialized_as_its_command_name() {
        for k in MigrationKind::EVERY {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<MigrationKind>(&json).ok(), Some(k));
        }
        assert_eq!(
            serde_json::from_str::<MigrationKind>("\"git-hub-immutable-subject\"").ok(),
            Some(MigrationKind::GitHubImmutableSubject),
            "an older journal's spelling"
        );
    }
}

/// Where fresh GUIDs come from (key ids, role assignment names, provisional ids). The jobs
/// layer passes random v4 GUIDs; tests pass `SequentialIds`.
pub trait IdSource {
    fn guid(&mut self) -> String;
}

/// Deterministic GUIDs (`00000000-0000-4000-8000-000000000001`, …) for tests and previews.
#[derive(Debug, Clone, Default)]
pub struct SequentialIds(u64);

impl IdSource for SequentialIds {
    fn guid(&mut self) -> String {
        self.0 += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.0)
    }
}

/// A problem with one field of a migration form. `field` is the form field's name, which is
/// also the CLI flag's name without `--` (`github-repo`, `remove-secrets`…), so the TUI can
/// show the message beside the field and the CLI can name the flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: Words,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<Words>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--{}: {}", self.field, self.message)
    }
}

/// What every plan builder needs besides its form: the indexed tenant, the current time and
/// the guidance templates.
pub struct PlanContext<'a> {
    pub dir: &'a Directory,
    pub now: Timestamp,
    pub guidance: &'a GuidanceTemplates,
}

/// The identity a migration starts from, resolved from `--identity`: what a screen shows
/// before the form (its secrets, to choose which to remove).
#[derive(Debug, Clone)]
pub struct Source {
    pub identity: PlanIdentity,
    /// The client secrets it holds (on the application, or on a service principal without
    /// an application in this tenant).
    pub secrets: Vec<PasswordCredential>,
    /// The service principal holding the Azure role assignments (the application's own SP).
    pub principal_id: Option<String>,
}

/// Resolves `query` (object id, appId or exact display name) to an identity that holds client
/// secrets: an application, or a service principal that is not a managed identity. A service
/// principal whose application is in this tenant resolves to that application, which holds
/// the credentials. Screens use it to offer a migration only where there is a secret to move.
pub fn resolve_source(dir: &Directory, query: &str) -> Result<Source, FieldError> {
    let field = "identity";
    if query.trim().is_empty() {
        return Err(FieldError::new(
            field,
            "required: an object id, appId or exact display name",
        ));
    }
    let id = find(dir, field, query)?;
    let s = dir.snapshot();
    let mut entry = *dir.entry(id);
    if let ObjectRef::ServicePrincipal(i) = entry.object {
        let sp = &s.service_principals[i as usize];
        if let Some(app) = dir
            .by_id(&sp.app_id)
            .iter()
            .copied()
            .find(|&e| dir.entry(e).kind == IdentityKind::Application)
        {
            entry = *dir.entry(app);
        }
    }
    match entry.object {
        ObjectRef::Application(i) => {
            let app = &s.applications[i as usize];
            let principal_id = s
                .service_principals
                .iter()
                .find(|p| p.app_id == app.app_id)
                .map(|p| p.id.clone());
            Ok(Source {
                identity: PlanIdentity {
                    kind: IdentityKind::Application,
                    object_id: app.id.clone(),
                    app_id: Some(app.app_id.clone()),
                    display_name: app.display_name.clone(),
                    target: Target::Application(app.id.clone()),
                },
                secrets: app.password_credentials.clone(),
                principal_id,
            })
        }
        ObjectRef::ServicePrincipal(i) => {
            let sp = &s.service_principals[i as usize];
            Ok(Source {
                identity: PlanIdentity {
                    kind: IdentityKind::ServicePrincipal,
                    object_id: sp.id.clone(),
                    app_id: Some(sp.app_id.clone()),
                    display_name: sp.display_name.clone(),
                    target: Target::ServicePrincipal(sp.id.clone()),
                },
                secrets: sp.password_credentials.clone(),
                principal_id: Some(sp.id.clone()),
            })
        }
        ObjectRef::UserAssigned { .. } | ObjectRef::SystemAssigned(_) => Err(FieldError::new(
            field,
            format!(
                "{} is a managed identity: it has no client secret to migrate",
                dir.display_name_of(&entry)
            ),
        )),
    }
}

/// Finds one identity, with the CLI's messages for "not found" and "ambiguous".
pub(crate) fn find(dir: &Directory, field: &'static str, query: &str) -> Result<u32, FieldError> {
    match dir.find(query) {
        Ok(id) => Ok(id),
        Err(FindError::NotFound) => Err(FieldError::new(
            field,
            format!("no identity with object id, appId or display name {query:?}"),
        )),
        Err(FindError::Ambiguous(ids)) => {
            let candidates: Vec<String> = ids
                .iter()
                .take(10)
                .map(|&i| {
                    let e = dir.entry(i);
                    format!(
                        "{} ({}, {})",
                        dir.id_of(e),
                        e.kind.as_str(),
                        dir.display_name_of(e)
                    )
                })
                .collect();
            Err(FieldError::new(
                field,
                format!(
                    "{query:?} names {} identities; use one of their ids: {}",
                    ids.len(),
                    candidates.join("; ")
                ),
            ))
        }
    }
}

/// A managed identity picked by `--managed-identity`.
#[derive(Debug, Clone)]
pub(crate) struct PickedIdentity {
    pub flavour: ManagedIdentityFlavour,
    pub name: String,
    pub principal_id: String,
    pub client_id: String,
    /// The UAMI's ARM id, or the host resource of a system-assigned identity.
    pub resource_id: Option<String>,
}

/// Resolves `--managed-identity` to a managed identity with a known principal id.
pub(crate) fn resolve_managed_identity(
    dir: &Directory,
    field: &'static str,
    query: &str,
) -> Result<PickedIdentity, FieldError> {
    // A name shared with the app and the resource it belongs to ("orders-web") means the
    // managed identity when exactly one of the candidates is one.
    let id = match dir.find(query) {
        Err(FindError::Ambiguous(ids)) => {
            let mis: Vec<u32> = ids
                .iter()
                .copied()
                .filter(|&i| {
                    matches!(
                        dir.entry(i).kind,
                        IdentityKind::UserAssignedManagedIdentity
                            | IdentityKind::SystemAssignedManagedIdentity
                    )
                })
                .collect();
            match mis.as_slice() {
                [one] => *one,
                _ => find(dir, field, query)?,
            }
        }
        _ => find(dir, field, query)?,
    };
    let e = dir.entry(id);
    let flavour = match e.kind {
        IdentityKind::UserAssignedManagedIdentity => ManagedIdentityFlavour::UserAssigned,
        IdentityKind::SystemAssignedManagedIdentity => ManagedIdentityFlavour::SystemAssigned,
        other => {
            return Err(FieldError::new(
                field,
                format!(
                    "{} is a {}, not a managed identity",
                    dir.display_name_of(e),
                    other.as_str()
                ),
            ));
        }
    };
    let principal_id = dir.id_of(e).to_string();
    if principal_id.is_empty() {
        return Err(FieldError::new(
            field,
            format!(
                "the principal id of {} is not known in this snapshot",
                dir.display_name_of(e)
            ),
        ));
    }
    Ok(PickedIdentity {
        flavour,
        name: dir.display_name_of(e).to_string(),
        principal_id,
        client_id: dir.app_id_of(e).unwrap_or("").to_string(),
        resource_id: dir.arm_id_of(e).map(str::to_string),
    })
}

/// The secrets `--remove-secrets` names on `source` (none when the identity did not resolve);
/// a problem with the flag goes to `errors`, as every form collects them.
pub(crate) fn secrets_to_remove(
    value: &str,
    source: Option<&Source>,
    errors: &mut Vec<FieldError>,
) -> Vec<PasswordCredential> {
    let Some(source) = source else {
        return vec![];
    };
    select_secrets(value, &source.secrets).unwrap_or_else(|e| {
        errors.push(e);
        vec![]
    })
}

/// Parses `--remove-secrets`: empty (keep every secret), `all`, or a comma-separated list of
/// keyIds, each of which must be one of `secrets`.
fn select_secrets(
    value: &str,
    secrets: &[PasswordCredential],
) -> Result<Vec<PasswordCredential>, FieldError> {
    let field = "remove-secrets";
    let value = value.trim();
    if value.is_empty() {
        return Ok(vec![]);
    }
    if value.eq_ignore_ascii_case("all") {
        if secrets.is_empty() {
            return Err(FieldError::new(
                field,
                "this identity has no client secret to remove",
            ));
        }
        return Ok(secrets.to_vec());
    }
    let mut out: Vec<PasswordCredential> = Vec::new();
    let mut unknown = Vec::new();
    for key_id in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match secrets
            .iter()
            .find(|s| s.key_id.eq_ignore_ascii_case(key_id))
        {
            Some(s) if !out.iter().any(|o| o.key_id == s.key_id) => out.push(s.clone()),
            Some(_) => {}
            None => unknown.push(key_id.to_string()),
        }
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = secrets.iter().map(|s| s.key_id.as_str()).collect();
        return Err(FieldError::new(
            field,
            format!(
                "no secret with keyId {} on this identity (its secrets: {})",
                unknown.join(", "),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        ));
    }
    if out.is_empty() {
        return Err(FieldError::new(
            field,
            "expected `all` or a comma-separated list of keyIds",
        ));
    }
    Ok(out)
}

/// A name that Entra and ARM accept as an FIC or resource name: ASCII letters, digits, `-`
/// and `_`, starting with a letter or digit, at most `max` characters.
pub(crate) fn slug(parts: &[&str], max: usize) -> String {
    let mut out = String::new();
    for part in parts {
        for c in part.chars() {
            let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            };
            if c == '-' && (out.is_empty() || out.ends_with('-')) {
                continue;
            }
            out.push(c);
        }
        if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(max).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The steps that remove `secrets` from `target`, each guarded by `guard` (the new
/// credential's presence), to come last in a plan.
pub(crate) fn removal_steps(
    target: &Target,
    secrets: &[PasswordCredential],
    guard: &Check,
    cloud: Cloud,
) -> Vec<Step> {
    secrets
        .iter()
        .map(|secret| {
            let action = Change::RemovePassword {
                target: target.clone(),
                key_id: secret.key_id.to_string(),
            };
            let name = secret
                .display_name
                .as_deref()
                .map(|n| format!("{n:?} "))
                .unwrap_or_default();
            Step {
                title: format!("Remove client secret {name}(keyId {})", secret.key_id),
                precondition: Some(guard.clone()),
                // The run reads what the identity can still sign in with before the
                // removal (the lockout rule), then removes.
                calls: [
                    plan::lockout_calls(target, cloud),
                    plan::api_calls(&action, cloud, 0),
                ]
                .concat(),
                action,
                verification: Check::CredentialAbsent {
                    target: target.clone(),
                    id: secret.key_id.to_string(),
                },
                undo: Change::AddPassword {
                    target: target.clone(),
                    credential: secret.clone(),
                },
                removes_secret: true,
                undo_note: Some(plan::SECRET_UNDO_NOTE.into()),
            }
        })
        .collect()
}

/// Notes about the secrets a plan keeps or removes.
pub(crate) fn secret_notes(kind: MigrationKind, source: &Source, removed: usize) -> Vec<String> {
    let mut notes = Vec::new();
    let total = source.secrets.len();
    if total == 0 {
        notes.push(format!(
            "{} has no client secret: the plan only adds the new credential.",
            source.identity.display_name
        ));
    } else if removed < total {
        notes.push(format!(
            "{} of {total} client secret(s) stay. Once the workload runs on the new credential, remove them: `credwise migrate {} --identity {} … --remove-secrets all --apply`.",
            total - removed,
            kind.as_str(),
            source.identity.object_id
        ));
    }
    notes
}

/// The guidance variables every migration has.
pub(crate) fn common_vars(
    kind: MigrationKind,
    source: &Source,
    tenant_id: &str,
    cloud: Cloud,
) -> guidance::Vars {
    let mut v = guidance::Vars::new();
    v.insert("tenant_id", tenant_id.to_string());
    v.insert(
        "client_id",
        source.identity.app_id.clone().unwrap_or_default(),
    );
    v.insert("object_id", source.identity.object_id.clone());
    v.insert("display_name", source.identity.display_name.clone());
    v.insert("login_host", fic_preset::login_host(cloud).to_string());
    v.insert("audience", fic_preset::audience_for(cloud).to_string());
    v.insert(
        "migrate_command",
        format!(
            "credwise migrate {} --identity {}",
            kind.as_str(),
            source.identity.object_id
        ),
    );
    v
}

/// `t` plus `months` calendar months, the day clamped to the target month's length.
pub fn add_months(t: Timestamp, months: u32) -> Timestamp {
    let total = t.month() as i32 - 1 + months as i32;
    let year = t.year() + total.div_euclid(12);
    let month = time::Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(t.month());
    let last = time::util::days_in_month(month, year);
    let day = t.day().min(last);
    match time::Date::from_calendar_date(year, month, day) {
        Ok(d) => t.replace_date(d),
        Err(_) => t + time::Duration::days(30 * i64::from(months)),
    }
}

#[cfg(test)]
mod tests;
