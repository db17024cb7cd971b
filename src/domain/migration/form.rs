//! The migration forms as data: each migration's fields (name, label, help, the flag's help,
//! how it is edited, which FIC preset shows it, what the explorer pre-fills), and `Form`, a
//! migration's values by field name. The CLI builds its flags from this catalogue and the
//! explorer its form, so a field is added, renamed or explained in one place; a field's name is
//! its flag without `--` and the name `FieldError`s carry.
//!
//! `Form` turns the values into the typed forms (`CertificateForm`, `FicForm`,
//! `ManagedIdentityForm`) that validate and build plans. Pure data; may import the rest of
//! `domain`.

use std::collections::BTreeMap;

use super::fic_preset::FicPreset;
use super::retirement::{DEFAULT_IDLE_DAYS, GateOptions};
use super::{
    CertificateForm, CertificateInfo, FicForm, FieldError, IdSource, ManagedIdentityForm,
    MigrationKind, Plan, PlanContext,
};
use crate::domain::directory::Directory;

/// How a field is edited on screen (and taken on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text; a flag with a value.
    Text,
    /// On or off (`yes` or empty); a flag without a value.
    Toggle,
    /// One of these values; a flag with a value from the list.
    Choice(&'static [&'static str]),
}

/// What the explorer's form shows in a field before the user types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    Empty,
    Text(&'static str),
    /// The migrated identity's display name.
    IdentityName,
}

/// One field of a migration's form.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The flag without `--`; the name in `FieldError`s.
    pub name: &'static str,
    /// The label beside the field on screen.
    pub label: &'static str,
    /// One line of help beside the field.
    pub help: &'static str,
    /// The flag's `--help` text; empty: `help`.
    pub flag_help: &'static str,
    /// The flag's value placeholder (`ORG/REPO`); unused for a toggle.
    pub value_name: &'static str,
    /// The `--help` section the flag is listed under, if not the main one.
    pub heading: Option<&'static str>,
    pub kind: FieldKind,
    /// The FIC presets whose form shows the field; empty: every one.
    pub presets: &'static [FicPreset],
    pub prefill: Prefill,
    /// The flag is the SOURCE's global `--subscription`, not one of the subcommand's own.
    pub global_flag: bool,
}

impl FieldSpec {
    const fn text(name: &'static str, label: &'static str, help: &'static str) -> Self {
        Self {
            name,
            label,
            help,
            flag_help: "",
            value_name: "VALUE",
            heading: None,
            kind: FieldKind::Text,
            presets: &[],
            prefill: Prefill::Empty,
            global_flag: false,
        }
    }

    const fn flag(mut self, value_name: &'static str, flag_help: &'static str) -> Self {
        self.value_name = value_name;
        self.flag_help = flag_help;
        self
    }

    const fn only(mut self, presets: &'static [FicPreset], heading: &'static str) -> Self {
        self.presets = presets;
        self.heading = Some(heading);
        self
    }

    const fn prefill(mut self, prefill: Prefill) -> Self {
        self.prefill = prefill;
        self
    }

    const fn kind(mut self, kind: FieldKind) -> Self {
        self.kind = kind;
        self
    }

    /// The text of the flag's `--help`.
    pub fn flag_help(&self) -> &'static str {
        if self.flag_help.is_empty() {
            self.help
        } else {
            self.flag_help
        }
    }

    /// Whether the form shows the field while `preset` is chosen (`None`: not a FIC form).
    pub fn shown_for(&self, preset: Option<FicPreset>) -> bool {
        self.presets.is_empty() || preset.is_some_and(|p| self.presets.contains(&p))
    }
}

const REMOVE_SECRETS: FieldSpec = FieldSpec::text(
    "remove-secrets",
    "Remove secrets",
    "all, or keyIds separated by commas; empty keeps every secret (remove them later)",
)
.flag(
    "all|KEYID,...",
    "Remove client secrets once the new credential is verified: `all`, or keyIds separated by commas. Without it every secret stays.",
);

/// `--idle-days`: how long the secrets to remove must have been idle (the retirement gate).
const IDLE_DAYS: FieldSpec = FieldSpec::text(
    "idle-days",
    "Idle days",
    "a secret is removed once unused this many days (sign-in data)",
)
.flag(
    "N",
    "Remove a secret only once the sign-in data shows it unused for N days (0–365; default 7), and the new credential signing in since it was added; otherwise the removal waits and `credwise migrate resume` checks again.",
)
.prefill(Prefill::Text("7"));

/// `--without-usage-evidence`: the retirement gate's explicit override.
const WITHOUT_USAGE_EVIDENCE: FieldSpec = FieldSpec::text(
    "without-usage-evidence",
    "No evidence",
    "space toggles: remove without sign-in evidence (journaled)",
)
.flag(
    "",
    "Remove the secrets even when the sign-in data does not show them idle or the new credential in use. The journal and the record note the override and what was missing.",
)
.kind(FieldKind::Toggle);

/// The retirement gate's fields: every migration that removes secrets has them, and `migrate
/// resume` takes them as flags too (it checks the gate again).
pub const GATE_FIELDS: &[FieldSpec] = &[IDLE_DAYS, WITHOUT_USAGE_EVIDENCE];

/// The largest `--idle-days`: a year, longer than any sign-in source keeps.
pub const MAX_IDLE_DAYS: i64 = 365;

/// The gate's options from `idle-days` and `without-usage-evidence` values (empty: the
/// defaults), or the field's error.
pub fn gate_options(idle_days: &str, without: bool) -> Result<GateOptions, FieldError> {
    let idle_days = match idle_days.trim() {
        "" => DEFAULT_IDLE_DAYS,
        v => match v.parse::<i64>() {
            Ok(n) if (0..=MAX_IDLE_DAYS).contains(&n) => n,
            _ => {
                return Err(FieldError::new(
                    "idle-days",
                    format!("{v:?} is not a number of days from 0 to {MAX_IDLE_DAYS}"),
                ));
            }
        },
    };
    Ok(GateOptions {
        idle_days,
        without_usage_evidence: without,
    })
}

const CERTIFICATE: &[FieldSpec] = &[
    FieldSpec::text(
        "certificate",
        "Certificate file",
        "your PEM or PFX; empty: credwise generates a self-signed RSA certificate",
    )
    .flag(
        "FILE",
        "Upload this certificate (PEM, PFX or DER; only its public part) instead of generating one. A protected PFX is opened with CREDWISE_PFX_PASSWORD.",
    ),
    FieldSpec::text(
        "validity-months",
        "Validity (months)",
        "1 to 24; short-lived leaks less",
    )
    .flag(
        "N",
        "Validity of a generated certificate, in months (1–24; default 12).",
    )
    .prefill(Prefill::Text("12")),
    FieldSpec::text(
        "common-name",
        "Common name",
        "CN of a generated certificate",
    )
    .flag(
        "NAME",
        "Common name of a generated certificate (default: the application's name).",
    )
    .prefill(Prefill::IdentityName),
    FieldSpec::text(
        "key-out",
        "Key directory",
        "where the private key goes (PEM and PFX, 0600); never uploaded",
    )
    .flag(
        "DIR",
        "Directory for a generated private key: <name>.pem (certificate and key), <name>.pfx (passphrase from CREDWISE_PFX_PASSWORD, or none), <name>.crt; created 0600, never overwritten. Required with --apply when credwise generates the certificate.",
    )
    .prefill(Prefill::Text(".")),
    REMOVE_SECRETS,
    IDLE_DAYS,
    WITHOUT_USAGE_EVIDENCE,
];

const GH: &[FicPreset] = &[FicPreset::GitHub];
const K8S: &[FicPreset] = &[FicPreset::Kubernetes];
const MI: &[FicPreset] = &[FicPreset::ManagedIdentity];
const OIDC: &[FicPreset] = &[FicPreset::Oidc];
const PRESET_VALUES: &[&str] = &["github", "kubernetes", "managed-identity", "oidc"];

const FIC: &[FieldSpec] = &[
    FieldSpec::text(
        "preset",
        "Workload",
        "who presents the token (space or ←/→ to change)",
    )
    .flag(
        "PRESET",
        "Who presents the token: github, kubernetes, managed-identity or oidc (default: the preset whose flags are given).",
    )
    .kind(FieldKind::Choice(PRESET_VALUES))
    .prefill(Prefill::Text("github")),
    FieldSpec::text("github-repo", "Repository", "ORG/REPO")
        .flag(
            "ORG/REPO",
            "GitHub Actions preset: the repository (with --branch, --environment, --tag or --pull-request).",
        )
        .only(GH, "GitHub Actions"),
    FieldSpec::text(
        "branch",
        "Branch",
        "one of branch, environment, tag or pull request",
    )
    .flag("NAME", "Jobs on this branch may sign in.")
    .only(GH, "GitHub Actions"),
    FieldSpec::text(
        "environment",
        "Environment",
        "a GitHub environment (wins over branch)",
    )
    .flag(
        "NAME",
        "Jobs that use this deployment environment may sign in.",
    )
    .only(GH, "GitHub Actions"),
    FieldSpec::text("tag", "Tag", "a tag, e.g. v1.2.3")
        .flag("NAME", "Jobs on this tag may sign in.")
        .only(GH, "GitHub Actions"),
    FieldSpec::text("pull-request", "Pull requests", "space toggles")
        .flag("", "Pull-request jobs may sign in.")
        .kind(FieldKind::Toggle)
        .only(GH, "GitHub Actions"),
    FieldSpec::text(
        "github-owner-id",
        "Owner id",
        "numeric; with the repository id gives the immutable subject",
    )
    .flag(
        "N",
        "The owner's numeric id, for the immutable subject (with --github-repo-id).",
    )
    .only(GH, "GitHub Actions"),
    FieldSpec::text("github-repo-id", "Repository id", "numeric")
        .flag(
            "N",
            "The repository's numeric id, for the immutable subject (with --github-owner-id).",
        )
        .only(GH, "GitHub Actions"),
    FieldSpec::text(
        "k8s-issuer",
        "Cluster issuer",
        "the cluster's OIDC issuer URL, exactly",
    )
    .flag(
        "URL",
        "Kubernetes preset: the cluster's OIDC issuer URL (with --namespace and --service-account).",
    )
    .only(K8S, "Kubernetes"),
    FieldSpec::text("namespace", "Namespace", "")
        .flag("NS", "")
        .only(K8S, "Kubernetes"),
    FieldSpec::text("service-account", "Service account", "")
        .flag("SA", "")
        .only(K8S, "Kubernetes"),
    FieldSpec::text(
        "managed-identity",
        "Managed identity",
        "a user-assigned identity: name, client id, principal id or ARM id",
    )
    .flag(
        "ID",
        "Managed-identity-as-FIC preset: the user-assigned managed identity whose tokens the app accepts (object id, client id or name).",
    )
    .only(MI, "Managed identity"),
    FieldSpec::text("issuer", "Issuer", "https URL, exactly as the token's iss")
        .flag("URL", "Any OIDC issuer: its URL (with --subject).")
        .only(OIDC, "Any OIDC issuer"),
    FieldSpec::text("subject", "Subject", "exactly as the token's sub")
        .flag(
            "S",
            "Any OIDC issuer: the exact `sub` claim of the workload's tokens.",
        )
        .only(OIDC, "Any OIDC issuer"),
    FieldSpec::text(
        "name",
        "FIC name",
        "3–120: letters, digits, - and _; default derived",
    )
    .flag(
        "NAME",
        "The federated credential's name (default: derived from the preset).",
    ),
    FieldSpec::text(
        "audience",
        "Audience",
        "default: the cloud's token-exchange audience",
    )
    .flag(
        "AUD",
        "The audience (default: api://AzureADTokenExchange, or the cloud's variant).",
    ),
    FieldSpec::text("description", "Description", "optional")
        .flag("TEXT", "A description stored with the credential."),
    REMOVE_SECRETS,
    IDLE_DAYS,
    WITHOUT_USAGE_EVIDENCE,
];

const MANAGED_IDENTITY: &[FieldSpec] = &[
    FieldSpec::text(
        "managed-identity",
        "Existing identity",
        "a user-assigned identity to use, or leave empty and create one",
    )
    .flag(
        "ID",
        "Use this existing managed identity (object id, client id or name) instead of --create.",
    ),
    FieldSpec::text(
        "create",
        "Create named",
        "the new user-assigned identity's name",
    )
    .flag(
        "NAME",
        "Create a user-assigned managed identity with this name (with --resource-group and --location; the global --subscription chooses its subscription).",
    ),
    FieldSpec::text("resource-group", "Resource group", "for a new identity")
        .flag("RG", "The resource group of the identity --create makes."),
    FieldSpec::text(
        "location",
        "Location",
        "for a new identity, e.g. westeurope",
    )
    .flag("LOCATION", "An Azure region, such as westeurope."),
    FieldSpec {
        global_flag: true,
        ..FieldSpec::text(
            "subscription",
            "Subscription",
            "for a new identity (default: the first)",
        )
    },
    REMOVE_SECRETS,
    IDLE_DAYS,
    WITHOUT_USAGE_EVIDENCE,
];

/// The fields of `kind`'s form, in the order the explorer shows them.
pub fn fields(kind: MigrationKind) -> &'static [FieldSpec] {
    match kind {
        MigrationKind::SecretToCertificate => CERTIFICATE,
        MigrationKind::SecretToFic => FIC,
        MigrationKind::SecretToManagedIdentity => MANAGED_IDENTITY,
        // Built by their own forms (`github_immutable::ImmutableSubjectForm`,
        // `flexible::merge_plan`), which need what a form of strings does not carry (GitHub's
        // ids, the FICs to merge); they are not in the picker nor on the command line yet.
        MigrationKind::GitHubImmutableSubject | MigrationKind::MergeFederatedCredentials => &[],
    }
}

/// The refusal of a form for a migration the catalogue has no form for.
fn no_form(kind: MigrationKind) -> FieldError {
    FieldError::new(
        "identity",
        format!(
            "{} plans are not built from this form (they need GitHub's ids or the credentials to merge)",
            kind.as_str()
        ),
    )
}

/// The label of the field named `name` in any form (the gate's fields included).
pub fn label_of(name: &str) -> Option<&'static str> {
    [CERTIFICATE, FIC, MANAGED_IDENTITY, GATE_FIELDS]
        .iter()
        .flat_map(|fields| fields.iter())
        .find(|f| f.name == name)
        .map(|f| f.label)
}

/// The field of `kind`'s form named `name`.
pub fn field(kind: MigrationKind, name: &str) -> Option<&'static FieldSpec> {
    fields(kind).iter().find(|f| f.name == name)
}

/// A migration's form as filled: the identity and each field's value by name (a toggle is
/// `yes` or empty; a field not given is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: MigrationKind,
    /// The identity to migrate: object id, appId or exact display name.
    pub identity: String,
    values: BTreeMap<&'static str, String>,
}

impl Form {
    pub fn new(kind: MigrationKind, identity: impl Into<String>) -> Self {
        Self {
            kind,
            identity: identity.into(),
            values: BTreeMap::new(),
        }
    }

    /// Sets a field of the form (a name the catalogue does not have is ignored).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        if let Some(f) = field(self.kind, name) {
            self.values.insert(f.name, value.into());
        }
    }

    /// A field's value, trimmed; empty when not given.
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", |v| v.trim())
    }

    /// The chosen FIC preset, when the form says one.
    pub fn preset(&self) -> Option<FicPreset> {
        FicPreset::ALL
            .into_iter()
            .find(|p| p.as_str() == self.value("preset"))
    }

    /// The retirement gate's options the form asks for (`idle-days`, `without-usage-evidence`).
    pub fn gate_options(&self) -> Result<GateOptions, FieldError> {
        gate_options(
            self.value("idle-days"),
            self.value("without-usage-evidence") == "yes",
        )
    }

    /// The secret-to-certificate form, when this is one.
    pub fn certificate(&self) -> Option<CertificateForm> {
        (self.kind == MigrationKind::SecretToCertificate).then(|| {
            let v = |n: &str| self.value(n).to_string();
            CertificateForm {
                identity: self.identity.clone(),
                certificate: v("certificate"),
                validity_months: v("validity-months"),
                common_name: v("common-name"),
                key_out: v("key-out"),
                remove_secrets: v("remove-secrets"),
            }
        })
    }

    fn fic(&self) -> FicForm {
        let v = |n: &str| self.value(n).to_string();
        FicForm {
            identity: self.identity.clone(),
            preset: self.preset(),
            github_repo: v("github-repo"),
            branch: v("branch"),
            environment: v("environment"),
            tag: v("tag"),
            pull_request: self.value("pull-request") == "yes",
            github_owner_id: v("github-owner-id"),
            github_repo_id: v("github-repo-id"),
            k8s_issuer: v("k8s-issuer"),
            namespace: v("namespace"),
            service_account: v("service-account"),
            managed_identity: v("managed-identity"),
            issuer: v("issuer"),
            subject: v("subject"),
            name: v("name"),
            audience: v("audience"),
            description: v("description"),
            remove_secrets: v("remove-secrets"),
        }
    }

    fn managed_identity(&self) -> ManagedIdentityForm {
        let v = |n: &str| self.value(n).to_string();
        ManagedIdentityForm {
            identity: self.identity.clone(),
            create: v("create"),
            resource_group: v("resource-group"),
            location: v("location"),
            subscription: v("subscription"),
            managed_identity: v("managed-identity"),
            remove_secrets: v("remove-secrets"),
        }
    }

    /// With a preset chosen, a filled field of another preset is a mistake to name rather
    /// than a value to drop.
    fn preset_conflicts(&self) -> Vec<FieldError> {
        let Some(preset) = self.preset() else {
            return Vec::new();
        };
        fields(self.kind)
            .iter()
            .filter(|f| !f.shown_for(Some(preset)) && !self.value(f.name).is_empty())
            .map(|f| {
                FieldError::new(
                    f.name,
                    format!(
                        "belongs to another preset than {}; leave it out",
                        preset.as_str()
                    ),
                )
            })
            .collect()
    }

    /// Every problem with the form, per field; `applying` adds what matters only to a run
    /// (a generated key needs `key-out`).
    pub fn validate(&self, dir: &Directory, applying: bool) -> Vec<FieldError> {
        let mut errors = self.preset_conflicts();
        if let Err(e) = self.gate_options() {
            errors.push(e);
        }
        errors.extend(match self.kind {
            MigrationKind::SecretToCertificate => {
                let f = self.certificate().unwrap_or_default();
                if applying {
                    f.validate_for_apply(dir)
                } else {
                    f.validate(dir)
                }
            }
            MigrationKind::SecretToFic => self.fic().validate(dir),
            MigrationKind::SecretToManagedIdentity => self.managed_identity().validate(dir),
            MigrationKind::GitHubImmutableSubject | MigrationKind::MergeFederatedCredentials => {
                vec![no_form(self.kind)]
            }
        });
        errors
    }

    /// The plan, or the form's problems. `certificate` is the one to upload (the user's, or
    /// one generated for this run); without it a certificate plan shows a placeholder.
    pub fn plan(
        &self,
        ctx: &PlanContext<'_>,
        ids: &mut dyn IdSource,
        certificate: Option<&CertificateInfo>,
        applying: bool,
    ) -> Result<Plan, Vec<FieldError>> {
        let errors = self.validate(ctx.dir, applying);
        if !errors.is_empty() {
            return Err(errors);
        }
        match self.kind {
            MigrationKind::SecretToCertificate => self
                .certificate()
                .unwrap_or_default()
                .build_plan(ctx, ids, certificate),
            MigrationKind::SecretToFic => self.fic().build_plan(ctx, ids),
            MigrationKind::SecretToManagedIdentity => self.managed_identity().build_plan(ctx, ids),
            MigrationKind::GitHubImmutableSubject | MigrationKind::MergeFederatedCredentials => {
                Err(vec![no_form(self.kind)])
            }
        }
    }
}

#[cfg(test)]
mod tests;
