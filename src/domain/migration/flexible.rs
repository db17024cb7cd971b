//! Flexible federated identity credentials: a `claimsMatchingExpression` instead of one exact
//! subject, so one credential trusts every branch, tag or environment a pattern matches — the
//! documented answer to the limit of 20 FICs (entra-docs
//! `workload-identities-flexible-federated-identity-credentials.md`, reference §1.7).
//!
//! The expression language, as documented (language version 1): clauses
//! `claims['<claim>'] <operator> '<comparand>'` joined by ` and `, each part separated by a
//! single space; operators `matches` (wildcards `*` for any run of characters and `?` for one)
//! and `eq`. Issuers and claims: GitHub (`https://token.actions.githubusercontent.com`: `sub`
//! and `job_workflow_ref`), GitLab (`https://gitlab.com`, or `https://gitlab.<x>.com` / `.ca`:
//! `sub`), Terraform Cloud (`https://app.terraform.io`, `https://app.eu.terraform.io`: `sub`).
//! Single quotes are "escape characters" inside the language; how one is written inside a
//! comparand is not documented, so a comparand holding one is refused.
//!
//! Written through the API version that knows them: Graph beta for applications, ARM
//! `2025-01-31-preview` for user-assigned identities (`backend::live` does both).
//!
//! Also here: `merge_plan`, the plan behind `fic-near-limit`'s remedy — several classic GitHub
//! FICs of one repository and one kind of ref become one flexible FIC, then go.
//!
//! Pure. May import the rest of `domain`.

use super::fic_preset::{self, GITHUB_ISSUER, GitHubRef};
use super::plan::{self, Plan, PlanIdentity, Snippet, Step};
use super::{FieldError, MigrationKind, PlanContext, find, slug};
use crate::domain::change::{Change, Check, MAX_FICS, Target};
use crate::domain::credential::FederatedIdentityCredential;
use crate::domain::directory::{Directory, ObjectRef};
use crate::domain::kind::IdentityKind;

/// A clause's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Matches,
    Eq,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matches => "matches",
            Self::Eq => "eq",
        }
    }
}

/// `claims['<claim>'] <operator> '<comparand>'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub claim: String,
    pub operator: Operator,
    pub comparand: String,
}

/// A parsed expression: its clauses, joined by `and`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub clauses: Vec<Clause>,
}

impl Expression {
    /// The expression as the API takes it.
    pub fn render(&self) -> String {
        self.clauses
            .iter()
            .map(|c| {
                format!(
                    "claims['{}'] {} '{}'",
                    c.claim,
                    c.operator.as_str(),
                    c.comparand
                )
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// The `sub` clause's comparand, if there is one.
    pub fn subject(&self) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.claim == "sub")
    }
}

/// Parses an expression in the documented grammar; the error says where it went wrong.
pub fn parse(text: &str) -> Result<Expression, String> {
    if text.trim() != text {
        return Err("must not start or end with whitespace".into());
    }
    if text.is_empty() {
        return Err("required".into());
    }
    let mut clauses = Vec::new();
    let mut rest = text;
    loop {
        let after = rest
            .strip_prefix("claims['")
            .ok_or_else(|| format!("expected claims['<claim>'] at {:?}", head(rest)))?;
        let (claim, after) = after
            .split_once("']")
            .ok_or_else(|| "a claim lookup is not closed with ']".to_string())?;
        if claim.is_empty() || !claim.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{claim:?} is not a claim name"));
        }
        let after = after
            .strip_prefix(' ')
            .ok_or_else(|| "one space must follow the claim lookup".to_string())?;
        let (operator, after) = if let Some(a) = after.strip_prefix("matches ") {
            (Operator::Matches, a)
        } else if let Some(a) = after.strip_prefix("eq ") {
            (Operator::Eq, a)
        } else {
            return Err(format!(
                "expected the operator matches or eq, then one space, at {:?}",
                head(after)
            ));
        };
        let after = after
            .strip_prefix('\'')
            .ok_or_else(|| "the comparand must be in single quotes".to_string())?;
        let (comparand, after) = after
            .split_once('\'')
            .ok_or_else(|| "the comparand's closing quote is missing".to_string())?;
        if comparand.is_empty() {
            return Err("the comparand is empty".into());
        }
        if comparand.chars().any(char::is_control) {
            return Err("the comparand holds control characters".into());
        }
        if operator == Operator::Eq && (comparand.contains('*') || comparand.contains('?')) {
            return Err(format!(
                "eq compares exactly: {comparand:?} has a wildcard (use matches)"
            ));
        }
        clauses.push(Clause {
            claim: claim.to_string(),
            operator,
            comparand: comparand.to_string(),
        });
        if after.is_empty() {
            break;
        }
        rest = after.strip_prefix(" and ").ok_or_else(|| {
            format!(
                "expected \" and \" and another clause, or the end, at {:?}",
                head(after)
            )
        })?;
    }
    Ok(Expression { clauses })
}

fn head(s: &str) -> String {
    s.chars().take(24).collect()
}

/// The claims an issuer's flexible FICs may test, or `None` when it has no flexible FICs.
pub fn supported_claims(issuer: &str) -> Option<&'static [&'static str]> {
    if issuer == GITHUB_ISSUER {
        return Some(&["sub", "job_workflow_ref"]);
    }
    if issuer == "https://app.terraform.io" || issuer == "https://app.eu.terraform.io" {
        return Some(&["sub"]);
    }
    if issuer == "https://gitlab.com" {
        return Some(&["sub"]);
    }
    // `https://gitlab.<x>.com` and `https://gitlab.<x>.ca`, `<x>` any label.
    let gitlab = issuer.strip_prefix("https://gitlab.").and_then(|h| {
        h.strip_suffix(".com")
            .or_else(|| h.strip_suffix(".ca"))
            .filter(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    });
    gitlab.map(|_| &["sub"][..])
}

/// Checks an expression for an issuer: the grammar, the issuer's support, its claims, and
/// at least one `sub` clause (a credential that does not pin the subject would trust any
/// workload of the issuer).
pub fn validate(issuer: &str, text: &str) -> Result<Expression, String> {
    let e = parse(text)?;
    let Some(claims) = supported_claims(issuer) else {
        return Err(format!(
            "{issuer} has no flexible federated credentials: they exist for GitHub ({GITHUB_ISSUER}), GitLab (https://gitlab.com) and Terraform Cloud (https://app.terraform.io) tokens"
        ));
    };
    for c in &e.clauses {
        if !claims.contains(&c.claim.as_str()) {
            return Err(format!(
                "claim {:?} cannot be matched for {issuer} (it supports {})",
                c.claim,
                claims.join(" and ")
            ));
        }
    }
    if e.subject().is_none() {
        return Err(
            "needs a claims['sub'] clause: without one it would trust any workload of the issuer"
                .into(),
        );
    }
    Ok(e)
}

/// Whether a branch, tag or environment value is a pattern (`*` or `?`).
pub fn is_pattern(value: &str) -> bool {
    value.contains('*') || value.contains('?')
}

/// `claims['sub'] matches 'repo:ORG/REPO:ref:refs/heads/<pattern>'` (or the immutable
/// `ORG@ID/REPO@ID` form with `ids`).
pub fn github_expression(repo: &str, r: &GitHubRef, ids: Option<(&str, &str)>) -> String {
    format!(
        "claims['sub'] matches '{}'",
        fic_preset::github_subject(repo, r, ids)
    )
}

/// A GitHub subject split into its repository and the rest: `repo:OWNER/REPO:<tail>`.
pub fn split_github_subject(subject: &str) -> Option<(&str, &str, &str)> {
    let rest = subject.strip_prefix("repo:")?;
    let (repo, tail) = rest.split_once(':')?;
    let (owner, name) = repo.split_once('/')?;
    (!owner.is_empty() && !name.is_empty() && !tail.is_empty()).then_some((owner, name, tail))
}

/// A group of classic GitHub FICs that one flexible FIC can replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeCandidate {
    /// `owner/repo` (as the subjects write it).
    pub repository: String,
    /// `ref:refs/heads/`, `ref:refs/tags/` or `environment:`.
    pub kind: &'static str,
    pub fics: Vec<FederatedIdentityCredential>,
    /// The flexible credential that replaces them.
    pub replacement: FederatedIdentityCredential,
}

const KINDS: [(&str, &str); 3] = [
    ("ref:refs/heads/", "branches"),
    ("ref:refs/tags/", "tags"),
    ("environment:", "environments"),
];

/// The groups of `fics` that a flexible FIC could merge: at least two classic GitHub FICs of
/// one repository, one audience and one kind of ref. The pattern is their longest common
/// prefix followed by `*` (which may trust more than today's subjects: the plan says so).
pub fn merge_candidates(fics: &[FederatedIdentityCredential]) -> Vec<MergeCandidate> {
    let mut groups: Vec<(
        String,
        &'static str,
        Vec<String>,
        Vec<FederatedIdentityCredential>,
    )> = Vec::new();
    for f in fics {
        let (Some(subject), true) = (f.subject.as_deref(), f.issuer == GITHUB_ISSUER) else {
            continue;
        };
        let Some((owner, name, tail)) = split_github_subject(subject) else {
            continue;
        };
        let Some((kind, value)) = KINDS
            .iter()
            .find_map(|(k, _)| tail.strip_prefix(k).map(|v| (*k, v)))
        else {
            continue;
        };
        let repository = format!("{owner}/{name}");
        let audiences = f.audiences.join(" ");
        match groups.iter_mut().find(|(r, k, _, g)| {
            *r == repository && *k == kind && g[0].audiences.join(" ") == audiences
        }) {
            Some((_, _, values, g)) => {
                values.push(value.to_string());
                g.push(f.clone());
            }
            None => groups.push((repository, kind, vec![value.to_string()], vec![f.clone()])),
        }
    }
    let taken: Vec<&str> = fics.iter().map(|f| f.name.as_str()).collect();
    groups
        .into_iter()
        .filter(|(_, _, _, g)| g.len() >= 2)
        .map(|(repository, kind, values, g)| {
            let prefix = common_prefix(&values);
            let words = KINDS
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or("refs", |(_, w)| *w);
            let (owner, name) = repository.split_once('/').unwrap_or((&repository, ""));
            let base = slug(&["github", owner, name, words], 110);
            let mut fic_name = base.clone();
            let mut n = 2;
            while taken.contains(&fic_name.as_str()) && n < 100 {
                fic_name = format!("{base}-{n}");
                n += 1;
            }
            MergeCandidate {
                replacement: FederatedIdentityCredential {
                    id: None,
                    name: fic_name,
                    issuer: GITHUB_ISSUER.into(),
                    subject: None,
                    claims_matching_expression: Some(format!(
                        "claims['sub'] matches 'repo:{repository}:{kind}{prefix}*'"
                    )),
                    audiences: g[0].audiences.clone(),
                    description: Some(format!(
                        "Replaces {} classic credentials of {repository} (merged by credwise)",
                        g.len()
                    )),
                },
                repository,
                kind,
                fics: g,
            }
        })
        .collect()
}

/// The longest common prefix of `values` (whole characters; no quote).
fn common_prefix(values: &[String]) -> String {
    let Some(first) = values.first() else {
        return String::new();
    };
    let mut prefix: String = first.clone();
    for v in &values[1..] {
        let n = prefix
            .chars()
            .zip(v.chars())
            .take_while(|(a, b)| a == b)
            .count();
        prefix = prefix.chars().take(n).collect();
    }
    prefix.replace('\'', "")
}

/// The `merge-federated-credentials` plan for the identity `query` (an application or a
/// user-assigned identity): for each group `merge_candidates` finds (or only the one of
/// `repository`, when given), add the flexible FIC, verify it, then — with `remove_old` —
/// remove the classic FICs it replaces.
pub fn merge_plan(
    ctx: &PlanContext<'_>,
    query: &str,
    repository: Option<&str>,
    remove_old: bool,
) -> Result<Plan, Vec<FieldError>> {
    let dir = ctx.dir;
    let s = dir.snapshot();
    let (identity, fics) = fic_holder(dir, query)?;
    let mut groups = merge_candidates(fics);
    if let Some(r) = repository {
        groups.retain(|g| g.repository.eq_ignore_ascii_case(r));
    }
    if groups.is_empty() {
        return Err(vec![FieldError::new(
            "identity",
            format!(
                "{} has no two classic GitHub federated credentials of one repository and one kind of ref{} to merge",
                identity.display_name,
                repository.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
        )]);
    }
    if fics.len() + groups.len() > MAX_FICS {
        return Err(vec![FieldError::new(
            "identity",
            format!(
                "{} has {} federated credentials: adding {} flexible one(s) beside them goes past the limit of {MAX_FICS}; remove one first",
                identity.display_name,
                fics.len(),
                groups.len()
            ),
        )]);
    }
    let target = identity.target.clone();
    let mut steps = Vec::new();
    let mut removals = Vec::new();
    let mut notes = vec![
        "A flexible credential trusts every token whose subject matches its pattern: check that nobody who can push a matching branch, tag or environment should be able to sign in as this identity.".to_string(),
    ];
    for g in &groups {
        let new = g.replacement.clone();
        let add = Step::add_federated_credential(
            format!(
                "Add flexible federated credential {:?} ({})",
                new.name,
                new.matcher()
            ),
            &target,
            &new,
            s.cloud,
        );
        let verification = add.verification.clone();
        steps.push(add);
        notes.push(format!(
            "{} replaces {}: {}.",
            new.name,
            g.fics.len(),
            g.fics
                .iter()
                .map(|f| format!("{} ({})", f.name, f.matcher()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if remove_old {
            for f in &g.fics {
                removals.push(old_removal(&target, f, &verification, s.cloud));
            }
        }
    }
    steps.extend(removals);
    if !remove_old {
        notes.push("The classic credentials stay: once the workflows sign in through the flexible one, run again with the old ones removed.".into());
    }
    let guidance = vec![Snippet {
        title: "Nothing changes in the workflows".into(),
        language: "text".into(),
        text:
            "GitHub's tokens keep their subjects; the flexible credential matches them by pattern."
                .into(),
    }];
    Ok(Plan {
        kind: MigrationKind::MergeFederatedCredentials,
        summary: format!(
            "Merge {} federated credentials of {} into {} flexible one(s){}.",
            groups.iter().map(|g| g.fics.len()).sum::<usize>(),
            identity.display_name,
            groups.len(),
            if remove_old {
                ", then remove the merged ones"
            } else {
                ""
            }
        ),
        identity,
        tenant_id: s.tenant_id.clone(),
        cloud: s.cloud,
        created_at: ctx.now,
        steps,
        guidance,
        follow_ups: vec![
            "Run each workflow once and check that it signs in (the sign-in log names the flexible credential it used).".into(),
        ],
        notes,
        provisional: None,
        refused: Vec::new(),
    })
}

/// The step that removes classic FIC `f` once `guard` (its replacement) holds; the removal of
/// a federated credential can be undone (it holds no secret), and it needs the same
/// confirmation and usage evidence as a secret's.
pub(crate) fn old_removal(
    target: &Target,
    f: &FederatedIdentityCredential,
    guard: &Check,
    cloud: crate::domain::Cloud,
) -> Step {
    let action = Change::RemoveFederatedCredential {
        target: target.clone(),
        name: f.name.clone(),
    };
    Step {
        title: format!("Remove federated credential {:?} ({})", f.name, f.matcher()),
        precondition: Some(guard.clone()),
        calls: plan::api_calls(&action, cloud, 0),
        action,
        verification: Check::CredentialAbsent {
            target: target.clone(),
            id: f.name.clone(),
        },
        undo: Change::AddFederatedCredential {
            target: target.clone(),
            credential: FederatedIdentityCredential {
                id: None,
                ..f.clone()
            },
        },
        removes_secret: true,
        undo_note: None,
    }
}

/// The identity `query` names, as a plan identity, and its federated credentials: an
/// application or a user-assigned identity (the only holders of FICs).
pub(crate) fn fic_holder<'d>(
    dir: &'d Directory,
    query: &str,
) -> Result<(PlanIdentity, &'d [FederatedIdentityCredential]), Vec<FieldError>> {
    let field = "identity";
    if query.trim().is_empty() {
        return Err(vec![FieldError::new(
            field,
            "required: an object id, appId or exact display name",
        )]);
    }
    let id = find(dir, field, query).map_err(|e| vec![e])?;
    holder_of(dir, id).ok_or_else(|| {
        vec![FieldError::new(
            field,
            format!(
                "{} is a {}: federated credentials live on app registrations and user-assigned identities",
                dir.display_name_of(dir.entry(id)),
                dir.entry(id).kind.as_str()
            ),
        )]
    })
}

/// The plan identity and FICs of directory entry `id`, if it can hold FICs. A service
/// principal whose application is in this tenant stands for that application.
pub(crate) fn holder_of(
    dir: &Directory,
    id: u32,
) -> Option<(PlanIdentity, &[FederatedIdentityCredential])> {
    let s = dir.snapshot();
    let mut e = *dir.entry(id);
    if let ObjectRef::ServicePrincipal(i) = e.object
        && let Some(&app) = dir
            .by_id(&s.service_principals[i as usize].app_id)
            .iter()
            .find(|&&x| dir.entry(x).kind == IdentityKind::Application)
    {
        e = *dir.entry(app);
    }
    match e.object {
        ObjectRef::Application(i) => {
            let a = &s.applications[i as usize];
            Some((
                PlanIdentity {
                    kind: IdentityKind::Application,
                    object_id: a.id.clone(),
                    app_id: Some(a.app_id.clone()),
                    display_name: a.display_name.clone(),
                    target: Target::Application(a.id.clone()),
                },
                &a.federated_identity_credentials,
            ))
        }
        ObjectRef::UserAssigned { arm: Some(i), .. } => {
            let u = &s.user_assigned_identities[i as usize];
            Some((
                PlanIdentity {
                    kind: IdentityKind::UserAssignedManagedIdentity,
                    object_id: u.principal_id.clone(),
                    app_id: Some(u.client_id.clone()),
                    display_name: u.name.clone(),
                    target: Target::UserAssignedIdentity(u.id.clone()),
                },
                &u.federated_identity_credentials,
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
