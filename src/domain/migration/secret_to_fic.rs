//! secret → federated identity credential: add an FIC to the application for the workload's
//! token issuer (GitHub Actions, a Kubernetes cluster, a user-assigned managed identity, any
//! OIDC issuer), verify it, then — when chosen — remove the secrets. The form holds every
//! preset's fields; the preset is chosen explicitly (TUI) or by which fields are filled (CLI).

use serde::{Deserialize, Serialize};

use super::fic_preset::{self, FicPreset, Fit, GitHubRef};
use super::flexible;
use super::plan::{Plan, Step};
use super::words::Words;
use super::{
    FieldError, IdSource, MigrationKind, PlanContext, Source, removal_steps,
    resolve_managed_identity, resolve_source, secret_notes, secrets_to_remove, slug,
};
use crate::domain::change::Target;
use crate::domain::credential::FederatedIdentityCredential;
use crate::domain::directory::Directory;
use crate::domain::objects::ManagedIdentityFlavour;

/// The secret-to-fic form: every field as the user typed it. Field names in `FieldError`s are
/// the kebab-case CLI flags (`github-repo`, `k8s-issuer`…).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FicForm {
    /// `--identity`: the application (object id, appId or exact display name).
    pub identity: String,
    /// The preset; `None` infers it from the filled fields (the CLI's way).
    #[serde(default)]
    pub preset: Option<FicPreset>,
    pub github_repo: String,
    pub branch: String,
    pub environment: String,
    pub tag: String,
    pub pull_request: bool,
    pub github_owner_id: String,
    pub github_repo_id: String,
    pub k8s_issuer: String,
    pub namespace: String,
    pub service_account: String,
    pub managed_identity: String,
    pub issuer: String,
    pub subject: String,
    /// `--name`: the FIC's name (default: derived from the preset's fields).
    pub name: String,
    /// `--audience` (default: the cloud's token-exchange audience).
    pub audience: String,
    pub description: String,
    /// `--remove-secrets`: empty, `all`, or keyIds separated by commas.
    pub remove_secrets: String,
}

/// The form, resolved against a tenant: everything a plan needs.
struct Resolved {
    source: Source,
    preset: FicPreset,
    fic: FederatedIdentityCredential,
    already_present: bool,
    remove: Vec<crate::domain::PasswordCredential>,
    vars: Vec<(&'static str, String)>,
}

impl FicForm {
    /// Which preset the filled fields ask for; an error names the conflicting or missing flags.
    pub fn preset(&self) -> Result<FicPreset, FieldError> {
        if let Some(p) = self.preset {
            return Ok(p);
        }
        let mut found: Vec<(FicPreset, &'static str)> = Vec::new();
        if !self.github_repo.trim().is_empty() {
            found.push((FicPreset::GitHub, "github-repo"));
        }
        if !self.k8s_issuer.trim().is_empty() {
            found.push((FicPreset::Kubernetes, "k8s-issuer"));
        }
        if !self.managed_identity.trim().is_empty() {
            found.push((FicPreset::ManagedIdentity, "managed-identity"));
        }
        if !self.issuer.trim().is_empty() || !self.subject.trim().is_empty() {
            found.push((
                FicPreset::Oidc,
                if self.issuer.trim().is_empty() {
                    "subject"
                } else {
                    "issuer"
                },
            ));
        }
        match found.as_slice() {
            [(p, _)] => Ok(*p),
            [] => Err(FieldError::new(
                "preset",
                Words::of(
                    "say what the workload is: {github-repo}, {k8s-issuer}, {managed-identity}, or {issuer} with {subject}",
                ),
            )),
            [(_, a), (_, b), ..] => Err(FieldError::new(
                b,
                Words::default()
                    .field(a)
                    .and(" and ")
                    .field(b)
                    .and(" are different presets; choose one"),
            )),
        }
    }

    /// Every problem with the form, per field (empty: the form is valid).
    pub fn validate(&self, dir: &Directory) -> Vec<FieldError> {
        match self.resolve(dir) {
            Ok(_) => vec![],
            Err(errors) => errors,
        }
    }

    /// The plan, or the form's problems.
    pub fn build_plan(
        &self,
        ctx: &PlanContext<'_>,
        _ids: &mut dyn IdSource,
    ) -> Result<Plan, Vec<FieldError>> {
        let r = self.resolve(ctx.dir)?;
        let s = ctx.dir.snapshot();
        let target = r.source.identity.target.clone();
        let add = Step::add_federated_credential(
            format!(
                "Add federated credential {:?} trusting {} ({})",
                r.fic.name,
                r.fic.issuer,
                r.preset.title()
            ),
            &target,
            &r.fic,
            s.cloud,
        );
        let verification = add.verification.clone();
        let mut steps = vec![add];
        steps.extend(removal_steps(&target, &r.remove, &verification, s.cloud));

        let mut vars =
            super::common_vars(MigrationKind::SecretToFic, &r.source, &s.tenant_id, s.cloud);
        vars.insert("fic_name", r.fic.name.clone());
        vars.insert("issuer", r.fic.issuer.clone());
        vars.insert("subject", r.fic.matcher().to_string());
        vars.insert("audience", r.fic.audiences.join(" "));
        for (k, v) in &r.vars {
            vars.insert(k, v.clone());
        }
        let mut tags = vec![r.preset.as_str()];
        tags.push(if r.remove.is_empty() {
            "keep-secrets"
        } else {
            "remove-secrets"
        });
        let (guidance, follow_ups) = ctx
            .guidance
            .render(MigrationKind::SecretToFic, &tags, &vars);
        let mut notes = vec![
            "Entra ID accepts a wrong issuer or subject silently; it fails only at token exchange (AADSTS70021). The values were checked against the preset's format, not against the workload: test a sign-in before removing the secrets.".to_string(),
            "A new federated credential can take a few minutes to be honoured everywhere; the verification retries.".to_string(),
        ];
        if let Some(e) = &r.fic.claims_matching_expression {
            notes.push(format!(
                "A flexible federated credential ({e}): it trusts every subject the pattern matches, and is written through the API version that knows claims expressions (Graph beta for an application)."
            ));
        }
        if r.already_present {
            notes.push(format!(
                "The application already has this federated credential ({:?}): its step will be found verified and skipped.",
                r.fic.name
            ));
        }
        notes.extend(secret_notes(
            MigrationKind::SecretToFic,
            &r.source,
            r.remove.len(),
        ));
        let summary = format!(
            "Trust {} tokens for {} with federated credential {:?}{}.",
            r.preset.title(),
            r.source.identity.display_name,
            r.fic.name,
            removal_words(r.remove.len())
        );
        Ok(Plan {
            kind: MigrationKind::SecretToFic,
            identity: r.source.identity.clone(),
            tenant_id: s.tenant_id.clone(),
            cloud: s.cloud,
            created_at: ctx.now,
            summary,
            steps,
            guidance,
            follow_ups,
            notes,
            provisional: None,
            refused: Vec::new(),
        })
    }

    fn resolve(&self, dir: &Directory) -> Result<Resolved, Vec<FieldError>> {
        let mut errors = Vec::new();
        let s = dir.snapshot();
        let source = match resolve_source(dir, &self.identity) {
            Ok(src) => Some(src),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let existing: Vec<FederatedIdentityCredential> = match &source {
            Some(src) => match &src.identity.target {
                Target::Application(id) => s
                    .applications
                    .iter()
                    .find(|a| &a.id == id)
                    .map(|a| a.federated_identity_credentials.clone())
                    .unwrap_or_default(),
                _ => {
                    errors.push(FieldError::new(
                        "identity",
                        format!(
                            "{} is a service principal whose application is not in this tenant; federated credentials are added to the app registration (in its home tenant)",
                            src.identity.display_name
                        ),
                    ));
                    vec![]
                }
            },
            None => vec![],
        };
        let preset = match self.preset() {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let mut vars: Vec<(&'static str, String)> = Vec::new();
        // A GitHub pattern's claims expression (a flexible FIC), instead of a subject.
        let mut expression: Option<String> = None;
        let default_audience = fic_preset::audience_for(s.cloud).to_string();
        // (issuer, subject, default name) per preset.
        let mut parts: Option<(String, String, String)> = None;
        match preset {
            Some(FicPreset::GitHub) => {
                let repo = self.github_repo.trim();
                let repo_ok = check(
                    &mut errors,
                    "github-repo",
                    fic_preset::validate_github_repo(repo),
                );
                let mut refs: Vec<(&'static str, GitHubRef)> = Vec::new();
                if !self.branch.is_empty() {
                    refs.push(("branch", GitHubRef::Branch(self.branch.clone())));
                }
                if !self.environment.is_empty() {
                    refs.push((
                        "environment",
                        GitHubRef::Environment(self.environment.clone()),
                    ));
                }
                if !self.tag.is_empty() {
                    refs.push(("tag", GitHubRef::Tag(self.tag.clone())));
                }
                if self.pull_request {
                    refs.push(("pull-request", GitHubRef::PullRequest));
                }
                let gh_ref = match refs.as_slice() {
                    [(field, r)] => {
                        let ok = match r {
                            // A pattern (`release/*`) makes a flexible FIC.
                            GitHubRef::Branch(v)
                            | GitHubRef::Environment(v)
                            | GitHubRef::Tag(v)
                                if flexible::is_pattern(v) =>
                            {
                                check(&mut errors, field, fic_preset::validate_ref_pattern(v))
                            }
                            GitHubRef::Branch(v)
                            | GitHubRef::Environment(v)
                            | GitHubRef::Tag(v) => {
                                check(&mut errors, field, fic_preset::validate_ref_name(v))
                            }
                            GitHubRef::PullRequest => true,
                        };
                        ok.then(|| (*field, r.clone()))
                    }
                    [] => {
                        errors.push(FieldError::new(
                            "branch",
                            Words::of(
                                "say which jobs may sign in: one of {branch}, {environment}, {tag} or {pull-request}",
                            ),
                        ));
                        None
                    }
                    [(a, _), (b, _), ..] => {
                        errors.push(FieldError::new(
                            b,
                            Words::default().field(a).and(" and ").field(b).and(
                                " make different subjects; one federated credential has one subject (add a second credential for the other)",
                            ),
                        ));
                        None
                    }
                };
                let owner_id = self.github_owner_id.trim();
                let repo_id = self.github_repo_id.trim();
                let ids = match (owner_id.is_empty(), repo_id.is_empty()) {
                    (true, true) => None,
                    (false, false) => {
                        let a = check(
                            &mut errors,
                            "github-owner-id",
                            fic_preset::validate_numeric_id(owner_id),
                        );
                        let b = check(
                            &mut errors,
                            "github-repo-id",
                            fic_preset::validate_numeric_id(repo_id),
                        );
                        (a && b).then_some((owner_id, repo_id))
                    }
                    (true, false) => {
                        errors.push(FieldError::new(
                            "github-owner-id",
                            Words::of(
                                "the immutable subject needs both {github-owner-id} and {github-repo-id}",
                            ),
                        ));
                        None
                    }
                    (false, true) => {
                        errors.push(FieldError::new(
                            "github-repo-id",
                            Words::of(
                                "the immutable subject needs both {github-owner-id} and {github-repo-id}",
                            ),
                        ));
                        None
                    }
                };
                if let (true, Some((field, r))) = (repo_ok, gh_ref) {
                    let value = match &r {
                        GitHubRef::Branch(v) | GitHubRef::Environment(v) | GitHubRef::Tag(v) => {
                            v.as_str()
                        }
                        GitHubRef::PullRequest => "",
                    };
                    let subject = if flexible::is_pattern(value) {
                        let e = flexible::github_expression(repo, &r, ids);
                        if check(
                            &mut errors,
                            field,
                            flexible::validate(fic_preset::GITHUB_ISSUER, &e).map(drop),
                        ) {
                            expression = Some(e.clone());
                        }
                        e
                    } else {
                        fic_preset::github_subject(repo, &r, ids)
                    };
                    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
                    let default_name = slug(&["github", owner, name, field, value], 120);
                    vars.push(("github_on", github_on(&r)));
                    vars.push((
                        "github_environment",
                        match &r {
                            GitHubRef::Environment(e) => format!("\n    environment: {e}"),
                            _ => String::new(),
                        },
                    ));
                    parts = Some((fic_preset::GITHUB_ISSUER.to_string(), subject, default_name));
                }
            }
            Some(FicPreset::Kubernetes) => {
                // Not trimmed: Entra compares the issuer with the token's `iss` exactly, so a
                // stray space is reported, not silently dropped.
                let issuer = self.k8s_issuer.as_str();
                let a = check(
                    &mut errors,
                    "k8s-issuer",
                    fic_preset::validate_issuer(issuer),
                );
                let ns = self.namespace.trim();
                let sa = self.service_account.trim();
                let b = check(&mut errors, "namespace", fic_preset::validate_namespace(ns));
                let c = check(
                    &mut errors,
                    "service-account",
                    fic_preset::validate_service_account(sa),
                );
                if a && b && c {
                    vars.push(("namespace", ns.to_string()));
                    vars.push(("service_account", sa.to_string()));
                    parts = Some((
                        // The issuer exactly as the cluster reports it, trailing slash included.
                        issuer.to_string(),
                        fic_preset::kubernetes_subject(ns, sa),
                        slug(&["k8s", ns, sa], 120),
                    ));
                }
            }
            Some(FicPreset::ManagedIdentity) => {
                match resolve_managed_identity(dir, "managed-identity", &self.managed_identity) {
                    Ok(mi) if mi.flavour == ManagedIdentityFlavour::SystemAssigned => {
                        errors.push(FieldError::new(
                            "managed-identity",
                            format!(
                                "{} is a system-assigned managed identity; Entra ID accepts only user-assigned identities as a federated credential. Create or pick a user-assigned identity and attach it to the workload",
                                mi.name
                            ),
                        ));
                    }
                    Ok(mi) => {
                        vars.push(("mi_name", mi.name.clone()));
                        vars.push(("mi_client_id", mi.client_id.clone()));
                        vars.push(("mi_principal_id", mi.principal_id.clone()));
                        vars.push(("mi_resource_id", mi.resource_id.clone().unwrap_or_default()));
                        parts = Some((
                            fic_preset::entra_issuer(s.cloud, &s.tenant_id),
                            // The MI's object (principal) id, never its client id.
                            mi.principal_id.clone(),
                            slug(&["mi", &mi.name], 120),
                        ));
                    }
                    Err(e) => errors.push(e),
                }
            }
            Some(FicPreset::Oidc) => {
                let issuer = self.issuer.as_str();
                let a = check(&mut errors, "issuer", fic_preset::validate_issuer(issuer));
                let b = check(
                    &mut errors,
                    "subject",
                    fic_preset::validate_subject(&self.subject),
                );
                if a && b {
                    let host = issuer
                        .trim_start_matches("https://")
                        .split(['/', ':'])
                        .next()
                        .unwrap_or("");
                    parts = Some((
                        issuer.to_string(),
                        self.subject.clone(),
                        slug(&["oidc", host], 120),
                    ));
                }
            }
            None => {}
        }
        let audience = if self.audience.trim().is_empty() {
            default_audience
        } else {
            self.audience.trim().to_string()
        };
        check(
            &mut errors,
            "audience",
            fic_preset::validate_audience(&audience),
        );
        check(
            &mut errors,
            "description",
            fic_preset::validate_description(&self.description),
        );
        let name_given = !self.name.trim().is_empty();
        if name_given {
            check(
                &mut errors,
                "name",
                fic_preset::validate_name(self.name.trim()),
            );
        }
        let remove = secrets_to_remove(&self.remove_secrets, source.as_ref(), &mut errors);
        let (Some(source), Some(preset), Some((issuer, subject, default_name))) =
            (source, preset, parts)
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut fic = FederatedIdentityCredential {
            id: None,
            name: if name_given {
                self.name.trim().to_string()
            } else {
                default_name.clone()
            },
            issuer,
            subject: expression.is_none().then_some(subject),
            claims_matching_expression: expression,
            audiences: vec![audience],
            description: (!self.description.trim().is_empty())
                .then(|| self.description.trim().to_string()),
        };
        let mut fit = fic_preset::fit(&existing, &fic);
        if !name_given {
            // A derived name that is taken by a different credential gets a suffix.
            let mut n = 2;
            while matches!(fit, Fit::Conflict("name", _)) && n < 100 {
                fic.name = format!("{}-{n}", default_name.chars().take(115).collect::<String>());
                fit = fic_preset::fit(&existing, &fic);
                n += 1;
            }
        }
        let already_present = match fit {
            Fit::New => false,
            Fit::AlreadyPresent => true,
            Fit::Conflict(field, message) => {
                let field = match (field, preset) {
                    ("subject", FicPreset::GitHub) => "github-repo",
                    ("subject", FicPreset::Kubernetes) => "service-account",
                    ("subject", FicPreset::ManagedIdentity) => "managed-identity",
                    (f, _) => f,
                };
                return Err(vec![FieldError::new(field, message)]);
            }
        };
        Ok(Resolved {
            source,
            preset,
            fic,
            already_present,
            remove,
            vars,
        })
    }
}

/// The workflow's `on:` block for a GitHub ref.
fn github_on(r: &GitHubRef) -> String {
    match r {
        // A pattern is quoted: YAML would read a leading `*` as an alias.
        GitHubRef::Branch(b) if flexible::is_pattern(b) => {
            format!("on:\n  push:\n    branches: ['{b}']")
        }
        GitHubRef::Branch(b) => format!("on:\n  push:\n    branches: [{b}]"),
        GitHubRef::Tag(t) => format!("on:\n  push:\n    tags: ['{t}']"),
        GitHubRef::PullRequest => "on: pull_request".to_string(),
        GitHubRef::Environment(_) => "on: workflow_dispatch".to_string(),
    }
}

pub(crate) fn removal_words(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => ", then remove 1 client secret".to_string(),
        n => format!(", then remove {n} client secrets"),
    }
}

/// Records `r`'s error against `field`; true when there was none.
pub(crate) fn check(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    r: Result<(), impl Into<Words>>,
) -> bool {
    match r {
        Ok(()) => true,
        Err(m) => {
            errors.push(FieldError::new(field, m));
            false
        }
    }
}
