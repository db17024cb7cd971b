//! The rules on federated identity credentials: the 20 per holder, duplicates, subject lint
//! (GitHub's forms, audiences per cloud) and managed identities trusted as FIC.

use super::*;

impl<'a> Auditor<'a> {
    /// FIC count, duplicates, subject lint and (on apps) managed identities as FIC.
    pub(super) fn federated(
        &mut self,
        o: &Owner<'_>,
        fics: &[FederatedIdentityCredential],
        place: Place<'_>,
    ) {
        if fics.is_empty() {
            return;
        }
        let on_app = matches!(place, Place::App(_));
        let n = fics.len();
        if n >= FIC_WARN_AT {
            let severity = if n >= FIC_MEDIUM_AT {
                Severity::Medium
            } else {
                Severity::Low
            };
            let text = if on_app {
                "Before adding more, merge similar subjects into one flexible FIC (claimsMatchingExpression, for GitHub, GitLab and Terraform Cloud) or split the workloads across another app registration."
            } else {
                "Before adding more, split the workloads across another user-assigned identity (flexible FICs on managed identities are in preview only)."
            };
            self.push(
                o,
                Head {
                    about: const { &about(FIC_NEAR_LIMIT, "Near the 20-FIC limit", CITE_FIC_LIMIT) },
                    severity,
                    secret: false,
                },
                None,
                format!(
                    "{} has {n} of the {FIC_LIMIT} federated credentials allowed ({} left).",
                    o.name,
                    FIC_LIMIT.saturating_sub(n)
                ),
                match crate::domain::migration::flexible::merge_candidates(fics).first() {
                    // A plan: several classic GitHub FICs of one repository become one
                    // flexible FIC.
                    Some(c) => Remedy::Migration {
                        migration: "merge-federated-credentials",
                        text: format!(
                            "Merge the {} GitHub credentials of {} ({}) into one flexible credential matching {}: `credwise migrate merge-federated-credentials --identity {}`. It trusts every subject the pattern matches: check that is what you want.",
                            c.fics.len(),
                            c.repository,
                            c.fics
                                .iter()
                                .map(|f| f.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            c.replacement.matcher(),
                            o.name
                        )
                        .into(),
                    },
                    None => Remedy::Action { text: text.into() },
                },
            );
        }
        for (j, f) in fics.iter().enumerate() {
            if let Some(first) = fics[..j]
                .iter()
                .find(|g| g.issuer == f.issuer && g.matcher() == f.matcher())
            {
                self.push(
                    o,
                    Head {
                        about: const { &about(FIC_DUPLICATE, "Duplicate federated credential", CITE_FIC_LIMIT) },
                        severity: Severity::Medium,
                        secret: false,
                    },
                    Some(f.name.as_str().into()),
                    format!(
                        "Federated credential \"{}\" on {} repeats \"{}\" (issuer {}, subject {}): one of them is redundant and takes one of the {FIC_LIMIT} slots.",
                        f.name,
                        o.name,
                        first.name,
                        f.issuer,
                        f.matcher()
                    ),
                    Remedy::Action {
                        text: format!(
                            "Delete \"{}\" once nothing refers to it by name.",
                            f.name
                        ).into(),
                    },
                );
            }
            self.lint(o, f);
            if on_app {
                self.managed_identity_fic(o, f);
            }
            self.unused(o, CredentialRef::Federated(f), place);
        }
    }

    /// `fic-subject-lint`: issuer, GitHub subject and audience mistakes that Entra accepts at
    /// creation and that fail only at token exchange.
    fn lint(&mut self, o: &Owner<'_>, f: &FederatedIdentityCredential) {
        let head = |severity, about| Head {
            about,
            severity,
            secret: false,
        };
        if f.issuer.trim() != f.issuer {
            self.push(
                o,
                head(Severity::High, const { &about(FIC_SUBJECT_LINT, "Whitespace around the FIC issuer", CITE_FIC_PROVIDERS) }),
                Some(f.name.as_str().into()),
                format!(
                    "Federated credential \"{}\" on {} has spaces around its issuer \"{}\": no token's issuer matches it.",
                    f.name, o.name, f.issuer
                ),
                Remedy::Action {
                    text: "Set the issuer exactly as the provider writes it, without the spaces.".into(),
                },
            );
        }
        let issuer = f.issuer.trim();
        let github = issuer.trim_end_matches('/') == GITHUB_ISSUER;
        if github && issuer != GITHUB_ISSUER {
            self.push(
                o,
                head(Severity::High, const { &about(FIC_SUBJECT_LINT, "GitHub issuer with a trailing slash", CITE_FIC_PROVIDERS) }),
                Some(f.name.as_str().into()),
                format!(
                    "Federated credential \"{}\" on {} has issuer {issuer}, but GitHub's tokens say {GITHUB_ISSUER} (no trailing slash): it never matches.",
                    f.name, o.name
                ),
                Remedy::Action {
                    text: format!(
                        "Set the FIC's issuer to {GITHUB_ISSUER}, without the slash."
                    ).into(),
                },
            );
        }
        if github && let Some(subject) = f.subject.as_deref() {
            match github_subject(subject) {
                GitHubSubject::PullRequestTypo => self.push(
                    o,
                    head(Severity::High, const { &about(FIC_SUBJECT_LINT, "GitHub subject says pull-request", CITE_FIC_PROVIDERS) }),
                    Some(f.name.as_str().into()),
                    format!(
                        "Federated credential \"{}\" on {} has subject {subject}: GitHub writes pull_request (underscore), so it never matches.",
                        f.name, o.name
                    ),
                    Remedy::Action {
                        text: "Change the subject to end in :pull_request.".into(),
                    },
                ),
                GitHubSubject::Unknown => self.push(
                    o,
                    head(Severity::Medium, const { &about(FIC_SUBJECT_LINT, "Unexpected GitHub subject", CITE_FIC_PROVIDERS) }),
                    Some(f.name.as_str().into()),
                    format!(
                        "Federated credential \"{}\" on {} has subject {subject}, none of GitHub's forms (repo:OWNER/REPO: then ref:refs/heads/…, ref:refs/tags/…, environment:NAME or pull_request): unless the repository customised its subject claim, it never matches.",
                        f.name, o.name
                    ),
                    Remedy::Action {
                        text: "Check the sub claim of the workflow's token and set the FIC's subject to exactly that.".into(),
                    },
                ),
                GitHubSubject::Immutable => self.push(
                    o,
                    head(Severity::Info, const { &about(FIC_SUBJECT_LINT, "Immutable GitHub subject", CITE_FIC_PROVIDERS) }),
                    Some(f.name.as_str().into()),
                    format!(
                        "Federated credential \"{}\" on {} uses GitHub's immutable subject ({subject}); make sure the repository opted in.",
                        f.name, o.name
                    ),
                    Remedy::Action {
                        text: "Nothing to fix if the repository uses immutable subjects; otherwise its tokens carry the name-based subject and this FIC does not match.".into(),
                    },
                ),
                GitHubSubject::Known => {}
            }
        }
        if let Some(problem) = audience_problem(f, self.s.cloud) {
            self.push(
                o,
                head(Severity::Medium, const { &about(FIC_SUBJECT_LINT, "Unexpected FIC audience", CITE_FIC_PROVIDERS) }),
                Some(f.name.as_str().into()),
                format!(
                    "Federated credential \"{}\" on {} {problem}.",
                    f.name, o.name
                ),
                Remedy::Action {
                    text: format!(
                        "Set the audience to {} (and request that audience in the workload's token).",
                        expected_audience(self.s.cloud)
                    ).into(),
                },
            );
        }
    }

    /// `mi-fic-unknown-principal`: an app FIC that trusts a managed identity must name a
    /// user-assigned one of this tenant.
    fn managed_identity_fic(&mut self, o: &Owner<'_>, f: &FederatedIdentityCredential) {
        let s = self.s;
        if classify_fic(f, &s.tenant_id, s.cloud) != FicKind::ManagedIdentity {
            return;
        }
        let subject = f.subject.as_deref().unwrap_or("");
        let target = self.dir.managed_identity_by_principal(subject);
        let problem = match target.map(|t| self.dir.entry(t)) {
            Some(e) if e.kind == IdentityKind::UserAssignedManagedIdentity => return,
            Some(e) => format!(
                "the system-assigned identity of {}, which Entra does not accept as a federated credential",
                self.dir.display_name_of(e)
            ),
            None => match self.client_id_owner(subject) {
                Some(name) => format!(
                    "the client id of {name}, not its principal (object) id, so no token matches"
                ),
                None => "no managed identity of this tenant (deleted, or never here)".to_string(),
            },
        };
        self.push(
            o,
            Head {
                about: const { &about(MI_FIC_UNKNOWN_PRINCIPAL, "FIC trusts no user-assigned identity", CITE_MI_FIC) },
                severity: Severity::High,
                secret: false,
            },
            Some(f.name.as_str().into()),
            format!(
                "Federated credential \"{}\" on {} trusts principal {subject}: {problem}.",
                f.name, o.name
            ),
            Remedy::Action {
                text: "Point the FIC at the principal (object) id of a user-assigned managed identity of this tenant, or delete it.".into(),
            },
        );
    }
}

/// How a GitHub Actions subject reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GitHubSubject {
    /// One of the default forms, name-based.
    Known,
    /// One of the default forms, with `owner@id/repo@id`.
    Immutable,
    /// `:pull-request`, the common misspelling of `:pull_request`.
    PullRequestTypo,
    Unknown,
}

fn github_subject(subject: &str) -> GitHubSubject {
    if subject.ends_with(":pull-request") {
        return GitHubSubject::PullRequestTypo;
    }
    let Some((repo, tail)) = subject
        .strip_prefix("repo:")
        .and_then(|r| r.split_once(':'))
    else {
        return GitHubSubject::Unknown;
    };
    let Some((owner, name)) = repo.split_once('/') else {
        return GitHubSubject::Unknown;
    };
    let immutable = match (id_suffixed(owner), id_suffixed(name)) {
        (Some(false), Some(false)) => false,
        (Some(true), Some(true)) => true,
        // Half-immutable, malformed ids, or empty parts: no token looks like that.
        _ => return GitHubSubject::Unknown,
    };
    let nonempty = |p: &str| tail.strip_prefix(p).is_some_and(|v| !v.is_empty());
    let known = tail == "pull_request"
        || nonempty("ref:refs/heads/")
        || nonempty("ref:refs/tags/")
        || nonempty("environment:");
    match (known, immutable) {
        (false, _) => GitHubSubject::Unknown,
        (true, false) => GitHubSubject::Known,
        (true, true) => GitHubSubject::Immutable,
    }
}

/// `Some(true)` for `name@digits`, `Some(false)` for a plain name, `None` when malformed.
fn id_suffixed(part: &str) -> Option<bool> {
    if part.is_empty() || part.contains('/') {
        return None;
    }
    match part.split_once('@') {
        None => Some(false),
        Some((n, id)) => {
            (!n.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
                .then_some(true)
        }
    }
}

const AUDIENCES: [(Cloud, &str); 3] = [
    (Cloud::Public, "api://AzureADTokenExchange"),
    (Cloud::Usgov, "api://AzureADTokenExchangeUSGov"),
    (Cloud::China, "api://AzureADTokenExchangeChina"),
];

fn expected_audience(cloud: Cloud) -> &'static str {
    AUDIENCES
        .iter()
        .find(|(c, _)| *c == cloud)
        .map_or(AUDIENCES[0].1, |(_, a)| a)
}

/// What is wrong with a FIC's audiences, as the end of a sentence; `None` when nothing is.
fn audience_problem(f: &FederatedIdentityCredential, cloud: Cloud) -> Option<String> {
    let expected = expected_audience(cloud);
    let [aud] = f.audiences.as_slice() else {
        return Some(format!(
            "has {} audiences; a FIC takes exactly one, {expected}",
            f.audiences.len()
        ));
    };
    if aud == expected {
        return None;
    }
    Some(match AUDIENCES.iter().find(|(_, a)| a == aud) {
        Some((other, _)) => format!(
            "has audience {aud}, the {} cloud's, but this tenant is in the {} cloud",
            other.as_str(),
            cloud.as_str()
        ),
        None => format!("has audience {aud} instead of {expected}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_subject_forms() {
        use GitHubSubject::*;
        let cases = [
            ("repo:o/r:ref:refs/heads/main", Known),
            ("repo:o/r:ref:refs/tags/v1.0", Known),
            ("repo:o/r:environment:prod", Known),
            ("repo:o/r:pull_request", Known),
            ("repo:o@12/r@34:ref:refs/heads/main", Immutable),
            ("repo:o@12/r@34:pull_request", Immutable),
            ("repo:o/r:pull-request", PullRequestTypo),
            ("repo:o/r:ref:main", Unknown),
            ("repo:o/r:ref:refs/heads/", Unknown),
            ("repo:o@12/r:pull_request", Unknown),
            ("repo:o@x/r@34:pull_request", Unknown),
            ("repo:o:pull_request", Unknown),
            ("o/r:pull_request", Unknown),
            ("repo:/r:pull_request", Unknown),
        ];
        for (s, want) in cases {
            assert_eq!(github_subject(s), want, "{s}");
        }
    }
}
