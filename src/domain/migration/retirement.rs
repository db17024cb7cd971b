//! The retirement gate: before a migration removes a credential (a client secret, or the old
//! federated credential of a `github-immutable-subject` plan), the usage evidence decides
//! whether the removal may go, must wait, or goes on the user's explicit word:
//!
//! - **go**: the replacement has signed in since it was added, and the credential to remove
//!   has been idle for `idle_days` (default 7) in data that covers those days;
//! - **wait**: either is not shown (no sign-in yet, the old credential still signs in, or
//!   no evidence at all: no licence, no permission, data not loaded) — resume re-checks;
//! - **overridden**: `--without-usage-evidence`; the decision keeps what was missing, so the
//!   journal and the record say the removal went without it.
//!
//! The replacement of a removal step is the credential its precondition checks (every removal
//! step is guarded by the new credential's verification, `Plan::check_order`), so a plan with
//! several pairs — an immutable-subject plan moving three FICs — pairs each removal with its
//! own replacement. The evidence is written in words for the plan, the confirm screen, the
//! journal and the record.
//!
//! Pure: the time and the evidence come in as arguments. `jobs::migrate` asks `gate` before
//! each removal on the evidence it reads then; the plan and the explorer's confirm screen show
//! `preview` (the evidence as it stands before the run); the options are the form catalogue's
//! fields (`form::GATE_FIELDS`: `--idle-days`, `--without-usage-evidence`).

use serde::{Deserialize, Serialize};

use super::plan::Plan;
use crate::domain::change::{Change, Check};
use crate::domain::credential::{CredentialRef, ObjectCredentials};
use crate::domain::usage::{Evidence, Unused, UsageData, UsageIndex};
use crate::domain::{IdentityKind, TenantSnapshot, Timestamp};

/// The default for `--idle-days`.
pub const DEFAULT_IDLE_DAYS: i64 = 7;

/// How strict the gate is. The journal's `opened` record keeps a run's, so the explorer's
/// `:resume` carries them on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GateOptions {
    /// `--idle-days`: how long the credential to remove must have been idle.
    pub idle_days: i64,
    /// `--without-usage-evidence`: remove without the evidence (noted in the journal).
    pub without_usage_evidence: bool,
}

impl Default for GateOptions {
    fn default() -> Self {
        Self {
            idle_days: DEFAULT_IDLE_DAYS,
            without_usage_evidence: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateVerdict {
    Go,
    Wait,
    Overridden,
}

impl GateVerdict {
    pub fn words(self) -> &'static str {
        match self {
            Self::Go => "may go",
            Self::Wait => "waits for usage evidence",
            Self::Overridden => "goes without usage evidence (--without-usage-evidence)",
        }
    }
}

/// The gate's answer for one removal step, with the evidence in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GateDecision {
    /// The removal step (0-based).
    pub step: usize,
    pub verdict: GateVerdict,
    /// What the evidence shows, one sentence each.
    pub shown: Vec<String>,
    /// What it does not show: why the step waits, or what the override went without.
    pub missing: Vec<String>,
}

impl GateDecision {
    /// The decision as lines for a plan or a confirm screen.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Usage evidence for step {}: {}",
            self.step + 1,
            self.verdict.words()
        )];
        out.extend(self.shown.iter().map(|s| format!("  ✓ {s}")));
        out.extend(self.missing.iter().map(|s| format!("  ✗ {s}")));
        out
    }
}

/// The decisions as the plan and the confirm screen show them: a heading that says what the
/// gate asks, then each removal's `GateDecision::lines`. Empty when nothing is removed.
pub fn evidence_lines(decisions: &[GateDecision], opts: &GateOptions) -> Vec<String> {
    if decisions.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!(
        "Usage evidence (a removal goes once the new credential has signed in since it was added and the credential it removes has been idle {} days{}):",
        opts.idle_days,
        if opts.without_usage_evidence {
            "; --without-usage-evidence: it goes without"
        } else {
            "; until then the run waits before it, and resume checks again"
        }
    )];
    for d in decisions {
        out.extend(d.lines());
    }
    out
}

/// What the gate reads.
#[derive(Debug, Clone, Copy)]
pub struct GateInput<'a> {
    pub plan: &'a Plan,
    /// The identity's credentials as the tenant has them now: a new federated credential's
    /// Graph id (what the sign-in log names) exists only once it was created.
    pub credentials: &'a ObjectCredentials,
    /// When the replacement was added: the journal's record of the step that added it (or,
    /// for one found already in place, when the plan was made).
    pub replacement_added: Timestamp,
    pub usage: &'a UsageData,
}

/// The decision for each removal step of `input.plan`, in order.
pub fn gates(input: &GateInput<'_>, opts: &GateOptions) -> Vec<GateDecision> {
    input
        .plan
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.removes_secret)
        .map(|(i, _)| gate(input, i, opts))
        .collect()
}

/// The decisions a plan's removals would get from `snapshot`'s evidence if they ran at `now`:
/// what the plan and the confirm screen show. The target's credentials are taken as they will
/// be once the steps before the removals are applied (so the replacement is known), and the
/// replacement as added `now`: the evidence cannot show it signing in yet, which is why a
/// fresh run waits at its first removal unless the replacement was already in place.
/// Empty when the plan removes nothing or its steps do not apply to `snapshot`.
pub fn preview(
    plan: &Plan,
    snapshot: &TenantSnapshot,
    now: Timestamp,
    opts: &GateOptions,
) -> Vec<GateDecision> {
    if !plan.steps.iter().any(|s| s.removes_secret) {
        return Vec::new();
    }
    let mut after = snapshot.clone();
    for s in plan.steps.iter().filter(|s| !s.removes_secret) {
        if after.apply(&s.action).is_err() {
            return Vec::new();
        }
    }
    let Ok(credentials) = after.credentials_of(&plan.identity.target) else {
        return Vec::new();
    };
    let input = GateInput {
        plan,
        credentials: &credentials,
        replacement_added: now,
        usage: &snapshot.usage,
    };
    plan.steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.removes_secret)
        .map(|(i, _)| decide(&input, i, opts, false))
        .collect()
}

/// The decision for removal step `step`.
pub fn gate(input: &GateInput<'_>, step: usize, opts: &GateOptions) -> GateDecision {
    decide(input, step, opts, true)
}

/// `gate`; `fresh_data` asks that the data be newer than the replacement (a preview, made
/// before the replacement exists, does not: its data is older by definition).
fn decide(
    input: &GateInput<'_>,
    step: usize,
    opts: &GateOptions,
    fresh_data: bool,
) -> GateDecision {
    let ix = UsageIndex::new(input.usage);
    let mut shown = Vec::new();
    let mut missing = Vec::new();
    let s = &input.plan.steps[step];
    if let Some(at) = input.usage.collected_at
        && fresh_data
        && at < input.replacement_added
    {
        missing.push(format!(
            "the sign-in data is from {}, before the new credential was added ({}): load it again",
            crate::domain::expiry::date(at),
            crate::domain::expiry::date(input.replacement_added)
        ));
    }
    // The replacement: what the removal's precondition checks.
    match replacement(input, s.precondition.as_ref(), &ix) {
        Some((what, evidence)) => {
            let now = input.usage.collected_at.unwrap_or(input.replacement_added);
            if evidence.signed_in_since(input.replacement_added) {
                shown.push(format!(
                    "the new {what} has signed in since it was added: {}",
                    evidence.describe(now)
                ));
            } else {
                missing.push(format!(
                    "the new {what} has not been seen signing in since it was added ({}): {}",
                    crate::domain::expiry::date(input.replacement_added),
                    evidence.describe(now)
                ));
            }
        }
        None => missing.push(
            "this step names no new credential whose sign-ins credwise can look up".to_string(),
        ),
    }
    // The credential to remove.
    match removed(input, &s.action, &ix) {
        Some((what, evidence)) => {
            let now = input.usage.collected_at.unwrap_or(input.replacement_added);
            match evidence.unused_for(opts.idle_days) {
                Unused::Yes { days } => shown.push(format!(
                    "{what} has been idle for {days} days ({}), at least the {} asked",
                    evidence.describe(now),
                    opts.idle_days
                )),
                Unused::No => missing.push(format!(
                    "{what} still signs in: {} (it must be idle for {} days)",
                    evidence.describe(now),
                    opts.idle_days
                )),
                Unused::Unknown(u) => missing.push(format!(
                    "no evidence that {what} has been idle for {} days: unknown, {}",
                    opts.idle_days,
                    u.words()
                )),
            }
        }
        None => missing.push("the credential this step removes is not known".to_string()),
    }
    let verdict = match (missing.is_empty(), opts.without_usage_evidence) {
        (true, _) => GateVerdict::Go,
        (false, true) => GateVerdict::Overridden,
        (false, false) => GateVerdict::Wait,
    };
    GateDecision {
        step,
        verdict,
        shown,
        missing,
    }
}

/// The new credential a removal's precondition checks, in words, and its evidence.
fn replacement(
    input: &GateInput<'_>,
    precondition: Option<&Check>,
    ix: &UsageIndex<'_>,
) -> Option<(String, Evidence)> {
    let now = input.credentials;
    match precondition? {
        Check::CertificateMatches { key_id, .. } => {
            let k = now.certificate(key_id)?;
            Some((
                format!("certificate keyId {key_id}"),
                ix.credential(CredentialRef::Certificate(k)),
            ))
        }
        Check::FederatedCredentialMatches { credential, .. } => {
            // As the tenant has it now: with the id Graph gave it.
            let f = now.federated_named(&credential.name)?;
            Some((
                format!("federated credential {:?}", f.name),
                ix.credential(CredentialRef::Federated(f)),
            ))
        }
        Check::UserAssignedIdentityMatches {
            id,
            client_id: Some(client),
            ..
        } => Some((format!("managed identity {id}"), ix.identity(client))),
        Check::UserAssignedIdentityMatches { .. } | Check::RoleAssignmentMatches { .. } => {
            let client = managed_identity_client_id(input.plan)?;
            Some((
                format!("managed identity (client id {client})"),
                ix.identity(&client),
            ))
        }
        Check::CredentialPresent { id, .. } => {
            let (p, k, f) = (now.secret(id), now.certificate(id), now.federated_named(id));
            let (what, c) = match (p, k, f) {
                (Some(p), _, _) => (format!("secret keyId {id}"), CredentialRef::Secret(p)),
                (_, Some(k), _) => (
                    format!("certificate keyId {id}"),
                    CredentialRef::Certificate(k),
                ),
                (_, _, Some(f)) => (
                    format!("federated credential {id:?}"),
                    CredentialRef::Federated(f),
                ),
                _ => return None,
            };
            Some((what, ix.credential(c)))
        }
        _ => None,
    }
}

/// The client id of a managed identity a plan moves the workload to, when the plan knows it.
fn managed_identity_client_id(plan: &Plan) -> Option<String> {
    plan.steps
        .iter()
        .find_map(|s| match &s.action {
            Change::CreateUserAssignedIdentity { identity } => Some(identity.client_id.clone()),
            _ => None,
        })
        .or_else(|| plan.provisional.as_ref().map(|p| p.client_id.clone()))
}

/// The credential a removal takes away, in words, and its evidence (`Evidence::held_by`: a
/// managed identity's silence in the sign-in log never makes its credential idle).
fn removed(
    input: &GateInput<'_>,
    action: &Change,
    ix: &UsageIndex<'_>,
) -> Option<(String, Evidence)> {
    let managed = matches!(
        input.plan.identity.kind,
        IdentityKind::UserAssignedManagedIdentity | IdentityKind::SystemAssignedManagedIdentity
    );
    removed_with_evidence(input, action, ix).map(|(what, ev)| (what, ev.held_by(managed)))
}

fn removed_with_evidence(
    input: &GateInput<'_>,
    action: &Change,
    ix: &UsageIndex<'_>,
) -> Option<(String, Evidence)> {
    let now = input.credentials;
    match action {
        Change::RemovePassword { key_id, .. } => {
            let p = now.secret(key_id)?;
            let name = p
                .display_name
                .as_deref()
                .map(|n| format!("{n:?} "))
                .unwrap_or_default();
            Some((
                format!("client secret {name}(keyId {key_id})"),
                ix.credential(CredentialRef::Secret(p)),
            ))
        }
        Change::RemoveKey { key_id, .. } => {
            let k = now.certificate(key_id)?;
            Some((
                format!("certificate keyId {key_id}"),
                ix.credential(CredentialRef::Certificate(k)),
            ))
        }
        Change::RemoveFederatedCredential { name, .. } => {
            let f = now.federated_named(name)?;
            Some((
                format!("federated credential {name:?}"),
                ix.credential(CredentialRef::Federated(f)),
            ))
        }
        _ => None,
    }
}
