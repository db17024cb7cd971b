//! The rules on client secrets and certificates: expiry, lifetime, a secret beside a stronger
//! credential, a secret on a multi-tenant app, a service principal's own password, and an
//! application left without any way to sign in.

use super::*;

impl<'a> Auditor<'a> {
    /// Every rule about one client secret.
    pub(super) fn secret(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        path: &mut Option<SecretPath>,
        holder: impl Fn() -> Holder<'a> + Copy,
        stronger: Option<&Stronger<'_>>,
    ) {
        let now = self.opts.now;
        let expired = is_expired(c.end_date_time, now);
        self.expiry(o, Cred::Secret(c), path, holder);
        if !expired {
            self.long_lifetime(o, c, path, holder);
            if let Some(st) = stronger {
                self.beside_stronger(o, c, st, holder());
            }
            self.unused(o, CredentialRef::Secret(c), Place::of(holder()));
            self.in_use_beside_replacement(o, c, holder());
        }
        let p = *path.get_or_insert_with(|| self.secret_path(holder()));
        self.push(
            o,
            Head {
                about: const { &about(CLIENT_SECRET, "Client secret", CITE_NOT_FOR_PRODUCTION) },
                severity: Severity::Low,
                secret: true,
            },
            Some(c.key_id.clone()),
            format!(
                "{} holds client secret {}: a shared secret that can leak and has to be rotated by hand.",
                o.name,
                Label(c.display_name.as_deref(), &c.key_id)
            ),
            Remedy::Wizard {
                outcome: p.outcome(),
                text: "Run the decision wizard (`credwise wizard`, or w on the identity) to find the credential to replace it.".into(),
            },
        );
    }

    /// `credential-expired` and `credential-expiring`.
    pub(super) fn expiry(
        &mut self,
        o: &Owner<'_>,
        c: Cred<'_>,
        path: &mut Option<SecretPath>,
        holder: impl Fn() -> Holder<'a>,
    ) {
        let now = self.opts.now;
        let Some(end) = c.end() else { return };
        if end.year() >= NEVER_YEAR {
            return;
        }
        let left = end - now;
        let secret = matches!(c, Cred::Secret(_));
        if left <= Duration::ZERO {
            let fallback = if secret {
                "Remove it if nothing uses it any more; if something does, it can no longer sign in: replace the secret now."
            } else {
                "Remove it if nothing uses it any more; if something does, it can no longer sign in: upload a new certificate now."
            };
            let cref = match c {
                Cred::Secret(p) => CredentialRef::Secret(p),
                Cred::Certificate(k) => CredentialRef::Certificate(k),
            };
            let evidence = self.evidence(cref, Place::of(holder()));
            let text: Cow<'static, str> = match evidence.unused_for(self.opts.unused_days) {
                Unused::Yes { days } => format!(
                    "Safe to remove: unused for {days} days ({}). Remove it: `{}`.",
                    source_words(&evidence),
                    Place::of(holder()).remove_command(cref)
                )
                .into(),
                Unused::No => format!(
                    "Something still uses or presents it: {}. Give that workload a valid credential, then remove this one.",
                    evidence.describe(now)
                )
                .into(),
                Unused::Unknown(_) => fallback.into(),
            };
            self.push(
                o,
                Head {
                    about: if secret {
                        const { &about(CREDENTIAL_EXPIRED, "Expired secret", CITE_OUTAGES) }
                    } else {
                        const { &about(CREDENTIAL_EXPIRED, "Expired certificate", CITE_OUTAGES) }
                    },
                    severity: Severity::High,
                    secret,
                },
                Some(c.key_id().clone()),
                format!(
                    "{} {} on {} expired on {} ({}): an app still using it is down, or it is a leftover.",
                    c.title_noun(),
                    c.label(),
                    o.name,
                    Day(end),
                    expiry::relative(Some(end), now),
                ),
                Remedy::Action { text: text.into() },
            );
            return;
        }
        if left > self.expiring_within {
            return;
        }
        let severity = if left <= Duration::days(EXPIRING_HIGH_DAYS) {
            Severity::High
        } else {
            Severity::Medium
        };
        let date = Day(end);
        let remedy = match c {
            Cred::Secret(_) => {
                let p = *path.get_or_insert_with(|| self.secret_path(holder()));
                Remedy::Migration {
                    migration: p.migration(),
                    text: format!(
                        "Rather than rotating it, retire it before {date}: {}.",
                        p.advice()
                    ).into(),
                }
            }
            Cred::Certificate(_) => Remedy::Action {
                text: format!(
                    "Rotate it before {date}: add the new certificate beside it, switch the workload over, then remove the old one."
                ).into(),
            },
        };
        self.push(
            o,
            Head {
                about: if secret {
                    const { &about(CREDENTIAL_EXPIRING, "Secret expiring soon", CITE_OUTAGES) }
                } else {
                    const {
                        &about(
                            CREDENTIAL_EXPIRING,
                            "Certificate expiring soon",
                            CITE_OUTAGES,
                        )
                    }
                },
                severity,
                secret,
            },
            Some(c.key_id().clone()),
            format!(
                "{} {} on {} expires on {date} ({}).",
                c.title_noun(),
                c.label(),
                o.name,
                expiry::relative(Some(end), now)
            ),
            remedy,
        );
    }

    pub(super) fn long_lifetime(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        path: &mut Option<SecretPath>,
        holder: impl Fn() -> Holder<'a>,
    ) {
        let now = self.opts.now;
        let Some(end) = c.end_date_time else { return };
        let label = Label(c.display_name.as_deref(), &c.key_id);
        let max = self.opts.max_secret_lifetime_days;
        let (severity, about, message) = if end.year() >= NEVER_YEAR {
            (
                Severity::Critical,
                const {
                    &about(
                        SECRET_LONG_LIFETIME,
                        "Secret never expires",
                        CITE_NO_ROTATION,
                    )
                },
                format!(
                    "Secret {label} on {} ends on {}: in practice it never expires, so a leaked copy works for good.",
                    o.name,
                    Day(end)
                ),
            )
        } else {
            // Without a start date, what is left of it is all that can be judged.
            let days = (end - c.start_date_time.unwrap_or(now)).whole_days();
            if days <= max {
                return;
            }
            (
                Severity::Medium,
                const { &about(SECRET_LONG_LIFETIME, "Long-lived secret", CITE_NO_ROTATION) },
                format!(
                    "Secret {label} on {} lives {days} days (until {}), over the {max}-day maximum.",
                    o.name,
                    Day(end)
                ),
            )
        };
        let p = *path.get_or_insert_with(|| self.secret_path(holder()));
        self.push(
            o,
            Head {
                about,
                severity,
                secret: true,
            },
            Some(c.key_id.clone()),
            message,
            Remedy::Migration {
                migration: p.migration(),
                text: format!(
                    "Move off the secret: {}. Until then, replace it with one that lives at most {max} days.",
                    p.advice()
                ).into(),
            },
        );
    }

    pub(super) fn beside_stronger(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        stronger: &Stronger<'_>,
        holder: Holder<'_>,
    ) {
        const TITLE: &str = "Secret beside a stronger credential";
        let (what, about) = match stronger {
            Stronger::Certificate(l) => (
                format!("certificate {l}"),
                const { &about(SECRET_BESIDE_STRONGER, TITLE, CITE_CERT_STRONGER) },
            ),
            Stronger::Federated(n) => (
                format!("federated credential \"{n}\""),
                const { &about(SECRET_BESIDE_STRONGER, TITLE, CITE_FEDERATION) },
            ),
        };
        let evidence = self.evidence(CredentialRef::Secret(c), Place::of(holder));
        let now = self.opts.now;
        let text = match evidence.unused_for(self.opts.unused_days) {
            Unused::Yes { days } => format!(
                "Safe to remove: unused for {days} days ({}). Remove it: `{}`.",
                source_words(&evidence),
                Place::of(holder).remove_command(CredentialRef::Secret(c))
            ),
            Unused::No => format!(
                "It still signs in: {}. Move that workload to the {what} first, then remove the secret.",
                evidence.describe(now)
            ),
            Unused::Unknown(crate::domain::usage::Unknown::Window { covered_days }) => format!(
                "No sign-in in the {covered_days} days the sign-in data covers: confirm nothing uses the secret over a longer span (the sign-in logs), then remove it."
            ),
            Unused::Unknown(u) => format!(
                "Confirm nothing uses the secret any more (sign-in logs; credwise's sign-in data: unknown, {}), then remove it.",
                u.words()
            ),
        };
        self.push(
            o,
            Head {
                about,
                severity: Severity::Medium,
                secret: true,
            },
            Some(c.key_id.clone()),
            format!(
                "{} holds secret {} beside {what}: the secret is probably a leftover of the move to it.",
                o.name,
                Label(c.display_name.as_deref(), &c.key_id)
            ),
            Remedy::Action { text: text.into() },
        );
    }

    pub(super) fn multi_tenant_secret(&mut self, o: &Owner<'_>, app: &Application, live: usize) {
        let audience = app.sign_in_audience.as_deref().unwrap_or("multi-tenant");
        self.push(
            o,
            Head {
                about: const { &about(SECRET_ON_MULTI_TENANT_APP, "Secret on a multi-tenant app", CITE_ACROSS_TENANTS) },
                severity: Severity::High,
                secret: false,
            },
            None,
            format!(
                "{} is multi-tenant ({audience}) and holds {live} valid client {}: whoever has one can act as the app in every tenant that consented to it.",
                o.name,
                plural(live, "secret", "secrets")
            ),
            Remedy::Wizard {
                outcome: "managed-identity-as-federated-credential",
                text: "Run the decision wizard (`credwise wizard`, or w on the identity): a managed identity as the app's federated credential lets an Azure-hosted workload reach other tenants without a secret.".into(),
            },
        );
    }

    pub(super) fn sp_password(&mut self, o: &Owner<'_>, sp: &ServicePrincipal) {
        let n = sp.password_credentials.len();
        let legacy = sp.service_principal_type == ServicePrincipalType::Legacy;
        let text = if legacy {
            "A Legacy principal has no app registration: replace it with an app registration that uses a certificate or a federated credential, then remove these passwords."
        } else {
            "Move the credential to the app registration, where its owners see and rotate it, or replace it with a certificate or a federated credential; then remove the principal's passwords."
        };
        self.push(
            o,
            Head {
                about: const {
                    &about(
                        SERVICE_PRINCIPAL_PASSWORD,
                        "Service principal holds its own password",
                        CITE_SP_CERTIFICATES,
                    )
                },
                severity: Severity::Medium,
                secret: false,
            },
            None,
            format!(
                "Service principal {} ({}) holds {n} password {} of its own, {}.",
                o.name,
                sp.service_principal_type.as_str(),
                plural(n, "credential", "credentials"),
                if legacy {
                    "with no app registration where anyone would see them"
                } else {
                    "which its app registration does not show"
                }
            ),
            Remedy::Action { text: text.into() },
        );
    }

    pub(super) fn stale(&mut self, o: &Owner<'_>, app: &Application) {
        let has_sp = self
            .dir
            .by_id(&app.app_id)
            .iter()
            .any(|&t| self.dir.entry(t).kind == IdentityKind::ServicePrincipal);
        if has_sp {
            return;
        }
        let created = app
            .created_date_time
            .map(|t| format!(" (created {})", Day(t)))
            .unwrap_or_default();
        self.push(
            o,
            Head {
                about: const { &about(APPLICATION_STALE, "Unused app registration", CITE_SP_PER_TENANT) },
                severity: Severity::Low,
                secret: false,
            },
            None,
            format!(
                "{}{created} has no credential and no service principal in this tenant: nothing signs in as it here.",
                o.name
            ),
            Remedy::Action {
                text: "Delete it if nothing uses it (check other tenants it may be consented in first).".into(),
            },
        );
    }
}
