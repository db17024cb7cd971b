//! The rules on sign-in evidence: `credential-unused` and `secret-in-use-beside-replacement`,
//! and the evidence every remedy reads (`Evidence::held_by`: a managed identity's silence in
//! the service principal sign-in log is no evidence).

use super::*;

impl<'a> Auditor<'a> {
    /// The usage evidence of `c` where it is held (`Evidence::held_by`: a managed identity's
    /// silence in the sign-in log proves nothing).
    pub(super) fn evidence(&self, c: CredentialRef<'_>, place: Place<'_>) -> Evidence {
        self.usage
            .credential(c)
            .held_by(place.is_managed_identity())
    }

    /// `credential-unused`: no sign-in for `unused_days` days, in data that covers them.
    /// Unknown data never fires it.
    pub(super) fn unused(&mut self, o: &Owner<'_>, c: CredentialRef<'_>, place: Place<'_>) {
        let evidence = self.evidence(c, place);
        let Unused::Yes { days } = evidence.unused_for(self.opts.unused_days) else {
            return;
        };
        // A credential younger than the threshold has not been idle that long.
        if let Some(start) = c.start()
            && (self.opts.now - start).whole_days() < self.opts.unused_days
        {
            return;
        }
        let (severity, about, noun) = match c {
            CredentialRef::Secret(_) => (
                Severity::Medium,
                const { &about(CREDENTIAL_UNUSED, "Unused secret", CITE_EXPOSED) },
                "Secret",
            ),
            CredentialRef::Certificate(_) => (
                Severity::Low,
                const { &about(CREDENTIAL_UNUSED, "Unused certificate", CITE_EXPOSED) },
                "Certificate",
            ),
            CredentialRef::Federated(_) => (
                Severity::Low,
                const {
                    &about(
                        CREDENTIAL_UNUSED,
                        "Unused federated credential",
                        CITE_EXPOSED,
                    )
                },
                "Federated credential",
            ),
        };
        let label = match c {
            CredentialRef::Secret(p) => Label(p.display_name.as_deref(), &p.key_id).to_string(),
            CredentialRef::Certificate(k) => {
                Label(k.display_name.as_deref(), &k.key_id).to_string()
            }
            CredentialRef::Federated(f) => format!("\"{}\"", f.name),
        };
        self.push(
            o,
            Head {
                about,
                severity,
                secret: matches!(c, CredentialRef::Secret(_)),
            },
            Some(match c {
                CredentialRef::Secret(p) => p.key_id.clone(),
                CredentialRef::Certificate(k) => k.key_id.clone(),
                CredentialRef::Federated(f) => f.name.as_str().into(),
            }),
            format!(
                "{noun} {label} on {} is unused: {}.",
                o.name,
                evidence.describe(self.opts.now)
            ),
            Remedy::Action {
                text: format!(
                    "Safe to remove: unused for {days} days ({}). Remove it: `{}`.",
                    source_words(&evidence),
                    place.remove_command(c)
                )
                .into(),
            },
        );
    }

    /// `secret-in-use-beside-replacement`: the secret signed in after a newer credential was
    /// added (a certificate or secret by its start date; a federated credential, whose
    /// creation Graph does not date, once it has signed in itself).
    pub(super) fn in_use_beside_replacement(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        holder: Holder<'_>,
    ) {
        let now = self.opts.now;
        let evidence = self.usage.credential(CredentialRef::Secret(c));
        let Some(used) = evidence.last_sign_in() else {
            return;
        };
        let newer = |start: Option<Timestamp>| {
            start.filter(|s| c.start_date_time.is_none_or(|mine| *s > mine))
        };
        let (passwords, keys, fics): (
            &[PasswordCredential],
            &[KeyCredential],
            &[FederatedIdentityCredential],
        ) = match holder {
            Holder::App(a) => (
                &a.password_credentials,
                &a.key_credentials,
                &a.federated_identity_credentials,
            ),
            Holder::Sp(p) => (&p.password_credentials, &p.key_credentials, &[]),
        };
        let mut replacements: Vec<(Timestamp, String)> = Vec::new();
        for k in keys.iter().filter(|k| !is_expired(k.end_date_time, now)) {
            if let Some(added) = newer(k.start_date_time) {
                replacements.push((
                    added,
                    format!(
                        "certificate {} was added on {}",
                        Label(k.display_name.as_deref(), &k.key_id),
                        Day(added)
                    ),
                ));
            }
        }
        for p in passwords
            .iter()
            .filter(|p| p.key_id != c.key_id && !is_expired(p.end_date_time, now))
        {
            if let Some(added) = newer(p.start_date_time) {
                replacements.push((
                    added,
                    format!(
                        "secret {} was added on {}",
                        Label(p.display_name.as_deref(), &p.key_id),
                        Day(added)
                    ),
                ));
            }
        }
        for f in fics {
            if let Some(at) = self
                .usage
                .credential(CredentialRef::Federated(f))
                .last_sign_in()
            {
                replacements.push((
                    at,
                    format!(
                        "federated credential \"{}\" was signing in ({})",
                        f.name,
                        crate::domain::usage::ago(at, now)
                    ),
                ));
            }
        }
        let Some((_, what)) = replacements
            .into_iter()
            .filter(|(since, _)| used > *since)
            .min_by_key(|(since, _)| *since)
        else {
            return;
        };
        self.push(
            o,
            Head {
                about: const { &about(SECRET_IN_USE_BESIDE_REPLACEMENT, "Secret still used beside its replacement", CITE_OUTAGES) },
                severity: Severity::Medium,
                secret: true,
            },
            Some(c.key_id.clone()),
            format!(
                "Client secret {} on {} still signs in after {what}: {}. A workload still uses the old secret; removing it now would break that workload.",
                Label(c.display_name.as_deref(), &c.key_id),
                o.name,
                evidence.describe(now)
            ),
            Remedy::Action {
                text: "Find the workload that still signs in with the secret (its request ids are in the sign-in log) and move it to the new credential; remove the secret once it has been idle for a week.".into(),
            },
        );
    }
}

/// The source of a fact, in words, for a remedy ("the credential sign-in report").
pub(super) fn source_words(e: &Evidence) -> &'static str {
    e.source().map_or("sign-in data", |s| s.words())
}
