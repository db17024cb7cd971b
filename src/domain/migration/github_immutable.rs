//! `github-immutable-subject`: GitHub Actions federated credentials whose subject names the
//! repository (`repo:OWNER/REPO:…`) move to GitHub's immutable subjects
//! (`repo:OWNER@OWNER_ID/REPO@REPO_ID:…`), which a renamed, transferred or re-created
//! repository cannot take over. Microsoft's published recipe (entra-docs
//! `workload-identities-github-immutable-subjects.md`, reference §6.2) is the plan: add the
//! immutable-subject FIC beside the old one, switch the repository to immutable subjects,
//! validate (the new FIC's sign-ins, `federatedCredentialId`, where sign-in data exists),
//! remove the old FIC. From 15 July 2026 GitHub applies immutable subjects to repositories
//! that are created, renamed or transferred; name-based FICs then fail (AADSTS700213).
//!
//! - `find`: every name-based GitHub FIC of the tenant's applications and user-assigned
//!   identities (GitHub's issuer exactly; `owner` and `repo` without ids).
//! - `build_plan`: one identity's plan; the owner and repository ids come from the user
//!   (`--owner-id/--repo-id`) or GitHub's REST API (`backend::github`), as `KnownIds`.
//! - `build_bulk`: one plan per identity, for all of them or one GitHub organisation.
//!
//! The limit of 20 FICs counts: a plan adds a new FIC per old one before it removes any, so
//! an identity with room for fewer migrates that many and says what stays.
//!
//! Pure. May import the rest of `domain`.

use std::collections::BTreeMap;

use super::fic_preset::{self, GITHUB_ISSUER};
use super::flexible::{fic_holder, holder_of, old_removal, split_github_subject};
use super::plan::{Plan, PlanIdentity, Snippet, Step};
use super::{FieldError, MigrationKind, PlanContext};
use crate::domain::change::{Change, Check, MAX_FICS};
use crate::domain::credential::FederatedIdentityCredential;
use crate::domain::directory::Directory;

/// GitHub's numeric ids of a repository and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoIds {
    pub owner_id: String,
    pub repo_id: String,
}

/// Known ids by `owner/repo`, lower-cased (GitHub names are case-insensitive).
pub type KnownIds = BTreeMap<String, RepoIds>;

/// The key of `owner/repo` in `KnownIds`.
pub fn repo_key(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}").to_ascii_lowercase()
}

/// A name-based GitHub FIC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameBased {
    pub identity: PlanIdentity,
    pub fic: FederatedIdentityCredential,
    pub owner: String,
    pub repo: String,
    /// What follows `repo:OWNER/REPO:` (`ref:refs/heads/main`, `environment:prod`…).
    pub tail: String,
}

/// `(owner, repo, tail)` of a name-based GitHub subject; `None` for anything else (an
/// immutable subject, another form).
fn name_based(subject: &str) -> Option<(&str, &str, &str)> {
    let (owner, repo, tail) = split_github_subject(subject)?;
    let plain = |s: &str| !s.contains('@') && !s.contains('/');
    (plain(owner) && plain(repo)).then_some((owner, repo, tail))
}

/// The name-based GitHub FICs of `fics` (of `identity`).
fn of(identity: &PlanIdentity, fics: &[FederatedIdentityCredential]) -> Vec<NameBased> {
    fics.iter()
        .filter(|f| f.issuer == GITHUB_ISSUER)
        .filter_map(|f| {
            let (owner, repo, tail) = name_based(f.subject.as_deref()?)?;
            Some(NameBased {
                identity: identity.clone(),
                fic: f.clone(),
                owner: owner.to_string(),
                repo: repo.to_string(),
                tail: tail.to_string(),
            })
        })
        .collect()
}

/// Every name-based GitHub FIC of the tenant, identity by identity, in the directory's order.
pub fn find(dir: &Directory) -> Vec<NameBased> {
    let mut out = Vec::new();
    for id in 0..dir.len() as u32 {
        let e = dir.entry(id);
        if !matches!(
            e.kind,
            crate::domain::IdentityKind::Application
                | crate::domain::IdentityKind::UserAssignedManagedIdentity
        ) {
            continue;
        }
        if let Some((identity, fics)) = holder_of(dir, id) {
            out.extend(of(&identity, fics));
        }
    }
    out
}

/// The distinct `(owner, repo)` of `found`, for the ids to look up.
pub fn repositories(found: &[NameBased]) -> Vec<(String, String)> {
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for f in found {
        seen.entry(repo_key(&f.owner, &f.repo))
            .or_insert_with(|| (f.owner.clone(), f.repo.clone()));
    }
    seen.into_values().collect()
}

/// The form of one identity's migration: fields as typed, named as the CLI flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImmutableSubjectForm {
    /// `--identity`: an application (or its service principal) or a user-assigned identity.
    pub identity: String,
    /// `--owner-id` and `--repo-id`: GitHub's ids, when the identity trusts one repository and
    /// the user knows them (otherwise credwise asks GitHub's REST API).
    pub owner_id: String,
    pub repo_id: String,
    /// Remove the old FICs once the new ones are verified (each removal waits for the usage
    /// evidence: the new FIC has signed in, the old one is idle).
    pub remove_old: bool,
}

impl ImmutableSubjectForm {
    /// The repositories whose ids the plan needs and `known` lacks: what to ask GitHub for.
    pub fn missing_ids(
        &self,
        dir: &Directory,
        known: &KnownIds,
    ) -> Result<Vec<(String, String)>, Vec<FieldError>> {
        let (identity, fics) = fic_holder(dir, &self.identity)?;
        let known = self.with_given_ids(&identity, fics, known)?;
        Ok(repositories(&of(&identity, fics))
            .into_iter()
            .filter(|(o, r)| !known.contains_key(&repo_key(o, r)))
            .collect())
    }

    /// `known` plus the ids given with `--owner-id/--repo-id`, which apply to the one
    /// repository the identity trusts.
    fn with_given_ids(
        &self,
        identity: &PlanIdentity,
        fics: &[FederatedIdentityCredential],
        known: &KnownIds,
    ) -> Result<KnownIds, Vec<FieldError>> {
        let mut out = known.clone();
        let (owner_id, repo_id) = (self.owner_id.trim(), self.repo_id.trim());
        if owner_id.is_empty() && repo_id.is_empty() {
            return Ok(out);
        }
        let mut errors = Vec::new();
        for (field, v) in [("owner-id", owner_id), ("repo-id", repo_id)] {
            if let Err(m) = fic_preset::validate_numeric_id(v) {
                errors.push(FieldError::new(field, m));
            }
        }
        let repos = repositories(&of(identity, fics));
        match repos.as_slice() {
            [(o, r)] if errors.is_empty() => {
                out.insert(
                    repo_key(o, r),
                    RepoIds {
                        owner_id: owner_id.to_string(),
                        repo_id: repo_id.to_string(),
                    },
                );
            }
            [_] | [] => {}
            many => errors.push(FieldError::new(
                "owner-id",
                format!(
                    "{} trusts {} repositories ({}): the ids of one do not fit the others; let credwise ask GitHub for them",
                    identity.display_name,
                    many.len(),
                    many.iter()
                        .map(|(o, r)| format!("{o}/{r}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The plan, or the form's problems.
    pub fn build_plan(
        &self,
        ctx: &PlanContext<'_>,
        known: &KnownIds,
    ) -> Result<Plan, Vec<FieldError>> {
        let (identity, fics) = fic_holder(ctx.dir, &self.identity)?;
        let known = self.with_given_ids(&identity, fics, known)?;
        plan_for(ctx, &identity, fics, &known, self.remove_old)
    }
}

/// Which identities a bulk run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkScope {
    /// `--all`.
    All,
    /// `--organisation ORG`: the name-based FICs of that GitHub owner.
    Organisation(String),
}

/// A bulk run's plans, one per identity, and the identities left out with the reason.
#[derive(Debug, Clone, Default)]
pub struct BulkPlans {
    pub plans: Vec<Plan>,
    pub skipped: Vec<(String, String)>,
}

/// One plan per identity with name-based GitHub FICs in `scope`.
pub fn build_bulk(
    ctx: &PlanContext<'_>,
    scope: &BulkScope,
    known: &KnownIds,
    remove_old: bool,
) -> BulkPlans {
    let mut out = BulkPlans::default();
    let dir = ctx.dir;
    for id in 0..dir.len() as u32 {
        let Some((identity, fics)) = holder_of(dir, id) else {
            continue;
        };
        if !matches!(
            dir.entry(id).kind,
            crate::domain::IdentityKind::Application
                | crate::domain::IdentityKind::UserAssignedManagedIdentity
        ) {
            continue;
        }
        let mine = of(&identity, fics);
        let in_scope = mine.iter().any(|n| match scope {
            BulkScope::All => true,
            BulkScope::Organisation(org) => n.owner.eq_ignore_ascii_case(org),
        });
        if !in_scope {
            continue;
        }
        let only: Vec<FederatedIdentityCredential> = match scope {
            BulkScope::All => fics.to_vec(),
            // Only that organisation's FICs move; the others stay as they are.
            BulkScope::Organisation(org) => fics
                .iter()
                .filter(|f| {
                    f.subject
                        .as_deref()
                        .and_then(name_based)
                        .is_none_or(|(o, _, _)| o.eq_ignore_ascii_case(org))
                })
                .cloned()
                .collect(),
        };
        match plan_with_count(ctx, &identity, &only, fics.len(), known, remove_old) {
            Ok(p) => out.plans.push(p),
            Err(errors) => out.skipped.push((
                identity.display_name.clone(),
                errors
                    .iter()
                    .map(|e| e.message.flags())
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }
    out
}

fn plan_for(
    ctx: &PlanContext<'_>,
    identity: &PlanIdentity,
    fics: &[FederatedIdentityCredential],
    known: &KnownIds,
    remove_old: bool,
) -> Result<Plan, Vec<FieldError>> {
    plan_with_count(ctx, identity, fics, fics.len(), known, remove_old)
}

/// The plan for the name-based FICs among `fics`, on an identity that holds `held` FICs.
fn plan_with_count(
    ctx: &PlanContext<'_>,
    identity: &PlanIdentity,
    fics: &[FederatedIdentityCredential],
    held: usize,
    known: &KnownIds,
    remove_old: bool,
) -> Result<Plan, Vec<FieldError>> {
    let s = ctx.dir.snapshot();
    let found = of(identity, fics);
    if found.is_empty() {
        return Err(vec![FieldError::new(
            "identity",
            format!(
                "{} has no GitHub federated credential with a name-based subject (repo:OWNER/REPO:…)",
                identity.display_name
            ),
        )]);
    }
    let missing: Vec<String> = repositories(&found)
        .into_iter()
        .filter(|(o, r)| !known.contains_key(&repo_key(o, r)))
        .map(|(o, r)| format!("{o}/{r}"))
        .collect();
    if !missing.is_empty() {
        return Err(vec![FieldError::new(
            "owner-id",
            format!(
                "the owner and repository ids of {} are not known: give --owner-id and --repo-id, or let credwise ask GitHub (--github-api-url)",
                missing.join(", ")
            ),
        )]);
    }
    let room = MAX_FICS.saturating_sub(held);
    if room == 0 {
        return Err(vec![FieldError::new(
            "identity",
            format!(
                "{} has {held} federated credentials, the most Entra ID allows ({MAX_FICS}): no immutable one fits beside the old ones. Remove one, or merge some into a flexible credential (`merge-federated-credentials`), first",
                identity.display_name
            ),
        )]);
    }
    let taken: Vec<String> = fics.iter().map(|f| f.name.clone()).collect();
    let mut names_used: Vec<String> = taken.clone();
    let target = identity.target.clone();
    let mut adds = Vec::new();
    let mut removals = Vec::new();
    let mut pairs = Vec::new();
    // New credentials only: one already in place (an interrupted run) is counted in `held`.
    let mut added = 0;
    let mut made: BTreeMap<String, Check> = BTreeMap::new();
    for n in found.iter().take(room) {
        let ids = &known[&repo_key(&n.owner, &n.repo)];
        let subject = format!(
            "repo:{}@{}/{}@{}:{}",
            n.owner, ids.owner_id, n.repo, ids.repo_id, n.tail
        );
        // Two name-based FICs with one subject (a duplicate the tenant kept, e.g. under
        // another issuer spelling) get one immutable FIC: Entra refuses a second with the
        // same issuer and subject. The second old one is removed behind the same check.
        if let Some(verification) = made.get(&subject) {
            if remove_old {
                removals.push(old_removal(&target, &n.fic, verification, s.cloud));
            }
            continue;
        }
        // The pair (issuer, subject) is unique per identity: an immutable FIC for this
        // subject may already be there (an earlier, interrupted run).
        let existing = fics
            .iter()
            .find(|f| f.issuer == GITHUB_ISSUER && f.subject.as_deref() == Some(&subject));
        let new = match existing {
            Some(f) => f.clone(),
            None => {
                added += 1;
                let name = new_name(&n.fic.name, &names_used);
                names_used.push(name.clone());
                FederatedIdentityCredential {
                    id: None,
                    name,
                    issuer: GITHUB_ISSUER.into(),
                    subject: Some(subject.clone()),
                    claims_matching_expression: None,
                    audiences: n.fic.audiences.clone(),
                    description: Some(format!(
                        "Immutable subject for {:?} (credwise github-immutable-subject)",
                        n.fic.name
                    )),
                }
            }
        };
        let add = Step::add_federated_credential(
            format!(
                "Add federated credential {:?} trusting the immutable subject {subject}",
                new.name
            ),
            &target,
            &new,
            s.cloud,
        );
        let verification = add.verification.clone();
        adds.push(add);
        if remove_old {
            removals.push(old_removal(&target, &n.fic, &verification, s.cloud));
        }
        made.insert(subject.clone(), verification);
        pairs.push((n, new, subject));
    }
    let mut notes = Vec::new();
    if found.len() > room {
        notes.push(format!(
            "{} has room for {room} more federated credential(s) (at most {MAX_FICS}): {} of its {} name-based GitHub credentials move now; run again once the old ones are removed.",
            identity.display_name,
            room,
            found.len()
        ));
    }
    notes.push(format!(
        "{} holds {held} federated credential(s); this adds {added}: {} of the {MAX_FICS} Entra ID allows until the name-based ones are removed.",
        identity.display_name,
        held + added
    ));
    if !remove_old {
        notes.push("The name-based credentials stay for now: once the workflows sign in with the new ones (credwise shows their last sign-in), run again with the old ones removed; each removal waits for that evidence.".into());
    }
    notes.push("Immutable subjects exist on GitHub.com, not on GitHub Enterprise Server.".into());
    let mut by_repo: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, new, subject) in &pairs {
        by_repo
            .entry(format!("{}/{}", n.owner, n.repo))
            .or_default()
            .push(format!("{subject}   (federated credential {:?})", new.name));
    }
    let guidance = by_repo
        .iter()
        .map(|(repo, subjects)| Snippet {
            title: format!("In GitHub: switch {repo} to immutable subject claims"),
            language: "text".into(),
            text: format!(
                "Opt {repo} in to immutable subject claims: the toggle in the repository's (or its organisation's) OIDC settings, or GitHub's REST API (\"Set the customization template and opt-in or opt-out flag for an OIDC subject claim for a repository\"):\n  gh api --method PUT repos/{repo}/actions/oidc/customization/sub -F use_default=true -F use_immutable_subject=true\nThen `gh api repos/{repo}/actions/oidc/customization/sub` shows use_immutable_subject: true and the sub_claim_prefix its workflows' tokens carry. The subjects credwise trusts:\n{}",
                subjects.join("\n")
            ),
        })
        .collect();
    let follow_ups = vec![
        "Run each workflow once after the switch and check that it signs in: credwise shows the new credentials' last sign-in where sign-in data exists.".into(),
        "Repositories created, renamed or transferred from 15 July 2026 get immutable subjects automatically, and their name-based credentials stop matching (AADSTS700213).".into(),
    ];
    let mut steps = adds;
    steps.extend(removals);
    Ok(Plan {
        kind: MigrationKind::GitHubImmutableSubject,
        summary: format!(
            "Trust GitHub's immutable subjects for {} ({} federated credential(s)){}.",
            identity.display_name,
            pairs.len(),
            if remove_old {
                ", then remove the name-based ones"
            } else {
                ""
            }
        ),
        identity: identity.clone(),
        tenant_id: s.tenant_id.clone(),
        cloud: s.cloud,
        created_at: ctx.now,
        steps,
        guidance,
        follow_ups,
        notes,
        provisional: None,
        refused: Vec::new(),
    })
}

/// The name-based subject an immutable one replaces: `repo:O@1/R@2:tail` → `repo:O/R:tail`
/// (the ids dropped, as `plan_with_count` added them); `None` for a subject without ids.
pub fn name_based_of(immutable: &str) -> Option<String> {
    let (owner, repo, tail) = split_github_subject(immutable)?;
    let strip = |s: &str| -> Option<String> {
        let (name, id) = s.split_once('@')?;
        (!name.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| name.to_string())
    };
    Some(format!("repo:{}/{}:{tail}", strip(owner)?, strip(repo)?))
}

/// The `(old subject, new subject)` pairs of an immutable-subject plan, in its order: what a
/// bulk run's summary lists per identity.
pub fn subject_pairs(plan: &Plan) -> Vec<(String, String)> {
    plan.steps
        .iter()
        .filter_map(|s| match &s.action {
            Change::AddFederatedCredential { credential, .. } => {
                let new = credential.subject.as_deref()?;
                Some((name_based_of(new)?, new.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// `<old>-immutable` (cut to fit 120 characters), numbered if taken.
fn new_name(old: &str, taken: &[String]) -> String {
    let base: String = old.chars().take(110).collect();
    let mut name = format!("{base}-immutable");
    let mut n = 2;
    while taken.iter().any(|t| t == &name) && n < 100 {
        name = format!("{base}-immutable-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_name_based_subjects_are_found() {
        assert_eq!(
            name_based("repo:contoso/api:ref:refs/heads/main"),
            Some(("contoso", "api", "ref:refs/heads/main"))
        );
        assert_eq!(
            name_based("repo:contoso/api:environment:prod"),
            Some(("contoso", "api", "environment:prod"))
        );
        assert_eq!(name_based("repo:contoso@1/api@2:ref:refs/heads/main"), None);
        assert_eq!(name_based("system:serviceaccount:ns:sa"), None);
        assert_eq!(name_based("repo:contoso:pull_request"), None);
    }

    #[test]
    fn an_immutable_subject_gives_back_the_name_based_one() {
        assert_eq!(
            name_based_of("repo:Fabrikam@5544123/payroll@731002101:environment:production")
                .as_deref(),
            Some("repo:Fabrikam/payroll:environment:production")
        );
        assert_eq!(
            name_based_of("repo:fabrikam/payroll:ref:refs/heads/main"),
            None
        );
        assert_eq!(
            name_based_of("repo:fabrikam@x/payroll@1:ref:refs/heads/main"),
            None
        );
    }

    #[test]
    fn new_names_fit_and_do_not_collide() {
        assert_eq!(new_name("gh-main", &[]), "gh-main-immutable");
        assert_eq!(
            new_name("gh-main", &["gh-main-immutable".into()]),
            "gh-main-immutable-2"
        );
        let long = "x".repeat(120);
        let n = new_name(&long, &[]);
        assert!(n.len() <= 120);
        fic_preset::validate_name(&n).unwrap();
    }
}
