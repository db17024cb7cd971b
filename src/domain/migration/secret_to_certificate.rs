//! secret → certificate: upload the public part of a certificate (self-signed and generated
//! by credwise, or the user's own) as a key credential, verify it, then — when chosen —
//! remove the secrets. The private key never enters a plan: `CertificateInfo` holds the public
//! certificate and where the key files went, and the jobs layer generates, reads and writes
//! the files.

use serde::{Deserialize, Serialize};

use super::plan::{self, Plan, Step};
use super::secret_to_fic::{check, removal_words};
use super::{
    FieldError, IdSource, MigrationKind, PlanContext, Source, removal_steps, resolve_source,
    secret_notes, secrets_to_remove,
};
use crate::domain::Timestamp;
use crate::domain::change::{Change, Check, Target};
use crate::domain::credential::KeyCredential;
use crate::domain::directory::Directory;

/// How far inside the certificate's validity the key credential's dates are kept: Graph
/// rejects a date outside it (`KeyCredentialsInvalidEndDate`, "Key credential end date is
/// invalid."), and the Azure CLI sends `notBefore + 1 s` and `notAfter − 1 s` for that
/// reason (`_validate_app_dates` in its role module).
pub const INSIDE_VALIDITY: time::Duration = time::Duration::seconds(1);

/// Default and limits of `--validity-months` for a generated certificate.
pub const DEFAULT_VALIDITY_MONTHS: u32 = 12;
pub const MAX_VALIDITY_MONTHS: u32 = 24;

/// The secret-to-certificate form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CertificateForm {
    /// `--identity`: the application (object id, appId or exact display name).
    pub identity: String,
    /// `--certificate FILE`: the user's PEM or PFX; empty: credwise generates one.
    pub certificate: String,
    /// `--validity-months` of a generated certificate (default 12).
    pub validity_months: String,
    /// `--common-name` of a generated certificate (default: the application's name).
    pub common_name: String,
    /// `--key-out DIR`: where a generated private key is written (needed to apply).
    pub key_out: String,
    /// `--remove-secrets`: empty, `all`, or keyIds separated by commas.
    pub remove_secrets: String,
}

/// The public facts of the certificate to upload. Never a private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// Standard base64 of the DER certificate (Graph's `keyCredentials[].key`).
    pub der_base64: String,
    /// SHA-1 thumbprint, upper-case hex (what the portal shows; Graph's default
    /// `customKeyIdentifier`).
    pub thumbprint: String,
    /// SHA-256 thumbprint, upper-case hex.
    pub thumbprint_sha256: String,
    /// `CN=…`.
    pub subject: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: Timestamp,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: Timestamp,
    /// credwise generated it (and wrote the key files below).
    pub generated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfx_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
}

impl CertificateForm {
    /// The validity in months (a bad value reads as the default; `validate` reports it).
    pub fn validity(&self) -> u32 {
        self.validity_months
            .trim()
            .parse()
            .unwrap_or(DEFAULT_VALIDITY_MONTHS)
    }

    /// The common name for a generated certificate.
    pub fn common_name_for(&self, display_name: &str) -> String {
        let cn = self.common_name.trim();
        if cn.is_empty() {
            display_name.chars().take(64).collect()
        } else {
            cn.to_string()
        }
    }

    /// Whether credwise generates the certificate (no `--certificate`).
    pub fn generates(&self) -> bool {
        self.certificate.trim().is_empty()
    }

    /// Every problem with the form, per field.
    pub fn validate(&self, dir: &Directory) -> Vec<FieldError> {
        match self.resolve(dir) {
            Ok(_) => vec![],
            Err(e) => e,
        }
    }

    /// The problems that only matter when applying: a generated key needs `--key-out`.
    pub fn validate_for_apply(&self, dir: &Directory) -> Vec<FieldError> {
        let mut errors = self.validate(dir);
        if self.generates() && self.key_out.trim().is_empty() {
            errors.push(FieldError::new(
                "key-out",
                "required to apply: the directory where credwise writes the new private key (PEM and PFX, mode 0600)",
            ));
        }
        errors
    }

    fn resolve(
        &self,
        dir: &Directory,
    ) -> Result<(Source, Vec<crate::domain::PasswordCredential>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let source = match resolve_source(dir, &self.identity) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if self.generates() {
            let v = self.validity_months.trim();
            if !v.is_empty() {
                let ok = v
                    .parse::<u32>()
                    .is_ok_and(|m| (1..=MAX_VALIDITY_MONTHS).contains(&m));
                check(
                    &mut errors,
                    "validity-months",
                    if ok {
                        Ok(())
                    } else {
                        Err(format!(
                            "expected a number of months from 1 to {MAX_VALIDITY_MONTHS} (a short-lived certificate leaks less)"
                        ))
                    },
                );
            }
            let cn = self.common_name.trim();
            let cn_ok = cn.chars().count() <= 64 && !cn.chars().any(char::is_control);
            check(
                &mut errors,
                "common-name",
                if cn_ok {
                    Ok(())
                } else {
                    Err("at most 64 characters, no control characters")
                },
            );
        }
        let remove = secrets_to_remove(&self.remove_secrets, source.as_ref(), &mut errors);
        match source {
            Some(s) if errors.is_empty() => Ok((s, remove)),
            _ => Err(errors),
        }
    }

    /// The plan. `certificate` is the certificate to upload; `None` (a dry run that would
    /// generate one) plans with a placeholder: its thumbprint is known once it is generated.
    pub fn build_plan(
        &self,
        ctx: &PlanContext<'_>,
        ids: &mut dyn IdSource,
        certificate: Option<&CertificateInfo>,
    ) -> Result<Plan, Vec<FieldError>> {
        let (source, remove) = self.resolve(ctx.dir)?;
        let s = ctx.dir.snapshot();
        let target = source.identity.target.clone();
        let existing: Vec<KeyCredential> = match &target {
            Target::Application(id) => s
                .applications
                .iter()
                .find(|a| &a.id == id)
                .map(|a| a.key_credentials.clone())
                .unwrap_or_default(),
            Target::ServicePrincipal(id) => s
                .service_principals
                .iter()
                .find(|p| &p.id == id)
                .map(|p| p.key_credentials.clone())
                .unwrap_or_default(),
            Target::UserAssignedIdentity(_) => vec![],
        };
        let mut notes = Vec::new();
        let credential = match certificate {
            Some(c) => {
                if c.not_after <= ctx.now {
                    return Err(vec![FieldError::new(
                        "certificate",
                        format!("the certificate expired on {}", date(c.not_after)),
                    )]);
                }
                if c.not_after - ctx.now < time::Duration::days(30) {
                    notes.push(format!(
                        "The certificate expires on {}, in less than 30 days.",
                        date(c.not_after)
                    ));
                }
                let same = existing
                    .iter()
                    .find(|k| k.thumbprint().as_deref() == Some(c.thumbprint.as_str()));
                if let Some(k) = same {
                    notes.push(format!(
                        "This certificate is already a key credential (keyId {}): its step will be found verified and skipped.",
                        k.key_id
                    ));
                }
                KeyCredential {
                    key_id: same
                        .map(|k| k.key_id.clone())
                        .unwrap_or_else(|| ids.guid().into()),
                    display_name: Some(c.subject.clone()),
                    custom_key_identifier: Some(c.thumbprint.clone()),
                    key_type: Some("AsymmetricX509Cert".into()),
                    usage: Some("Verify".into()),
                    start_date_time: Some(c.not_before + INSIDE_VALIDITY),
                    end_date_time: Some(c.not_after - INSIDE_VALIDITY),
                }
            }
            None => KeyCredential {
                key_id: ids.guid().into(),
                display_name: Some(format!(
                    "CN={}",
                    self.common_name_for(&source.identity.display_name)
                )),
                custom_key_identifier: None,
                key_type: Some("AsymmetricX509Cert".into()),
                usage: Some("Verify".into()),
                start_date_time: Some(ctx.now),
                end_date_time: Some(super::add_months(ctx.now, self.validity())),
            },
        };
        let action = Change::AddKey {
            target: target.clone(),
            credential: credential.clone(),
            key: certificate.map(|c| c.der_base64.clone()),
        };
        // By content: a certificate with this keyId but another thumbprint is not this one.
        let verification = Check::CertificateMatches {
            target: target.clone(),
            key_id: credential.key_id.to_string(),
            thumbprint: certificate.map(|c| c.thumbprint.to_ascii_uppercase()),
        };
        let title = match certificate {
            Some(c) => format!(
                "Upload the public certificate {} (thumbprint {}, valid until {}) as a key credential",
                c.subject,
                c.thumbprint,
                date(c.not_after)
            ),
            None => format!(
                "Upload a new self-signed certificate {} (RSA 2048, valid {} months; generated when applied) as a key credential",
                credential.display_name.as_deref().unwrap_or(""),
                self.validity()
            ),
        };
        let mut steps = vec![Step {
            title,
            precondition: None,
            calls: plan::api_calls(&action, s.cloud, existing.len()),
            action,
            verification: verification.clone(),
            undo: Change::RemoveKey {
                target: target.clone(),
                key_id: credential.key_id.to_string(),
            },
            removes_secret: false,
            undo_note: None,
        }];
        steps.extend(removal_steps(&target, &remove, &verification, s.cloud));

        let mut vars = super::common_vars(
            MigrationKind::SecretToCertificate,
            &source,
            &s.tenant_id,
            s.cloud,
        );
        let pending = |what: &str| format!("<{what}, known once generated>");
        vars.insert(
            "thumbprint",
            certificate
                .map(|c| c.thumbprint.clone())
                .unwrap_or_else(|| pending("thumbprint")),
        );
        vars.insert(
            "cert_subject",
            credential.display_name.clone().unwrap_or_default(),
        );
        vars.insert(
            "not_after",
            credential.end_date_time.map(date).unwrap_or_default(),
        );
        let file = |f: Option<&String>, what: &str| {
            f.cloned()
                .unwrap_or_else(|| format!("<{what} in --key-out>"))
        };
        vars.insert(
            "key_file",
            file(certificate.and_then(|c| c.key_file.as_ref()), "key file"),
        );
        vars.insert(
            "pfx_file",
            file(certificate.and_then(|c| c.pfx_file.as_ref()), "PFX file"),
        );
        vars.insert(
            "cert_file",
            file(
                certificate.and_then(|c| c.cert_file.as_ref()),
                "certificate file",
            ),
        );
        let generated = certificate.is_none_or(|c| c.generated);
        let tags = [
            if generated { "generated" } else { "provided" },
            if remove.is_empty() {
                "keep-secrets"
            } else {
                "remove-secrets"
            },
        ];
        let (guidance, follow_ups) =
            ctx.guidance
                .render(MigrationKind::SecretToCertificate, &tags, &vars);
        if generated {
            notes.push(
                "The private key is written once, mode 0600, to --key-out (PEM, and PFX protected by CREDWISE_PFX_PASSWORD when set); it never reaches the tenant, the journal or the screen. Move it to the workload's key store and delete the local copy."
                    .into(),
            );
        }
        notes.extend(secret_notes(
            MigrationKind::SecretToCertificate,
            &source,
            remove.len(),
        ));
        let summary = format!(
            "Add certificate {} to {}{}.",
            credential.display_name.as_deref().unwrap_or(""),
            source.identity.display_name,
            removal_words(remove.len())
        );
        Ok(Plan {
            kind: MigrationKind::SecretToCertificate,
            identity: source.identity.clone(),
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
}

fn date(t: Timestamp) -> String {
    t.date().to_string()
}
