//! A migration `Plan`: the identity it changes, its ordered `Step`s (each a precondition, an
//! action, a verification and an undo, with the Graph/ARM calls it makes as text, rendered
//! from the catalogue the live backend sends from), and what the user must do outside
//! credwise (config snippets, follow-ups).
//!
//! Invariants every builder keeps (and `Plan::check_order` asserts): the steps that remove a
//! client secret come last, are flagged `removes_secret`, and each has the new credential's
//! presence as its precondition, so no run can remove a secret before the replacement is in
//! place and verified. Nothing in a plan is secret: `Change`s carry metadata and public
//! certificates only.

mod api;
mod describe;

pub use api::{ApiCall, api_calls, check_calls, lockout_calls};
use describe::calls_in_brackets;
pub use describe::{
    LAST_CREDENTIAL_UNDO_NOTE, SECRET_UNDO_NOTE, describe_change, describe_check, describe_undo,
};

use serde::{Deserialize, Serialize};

use super::MigrationKind;
use crate::domain::Timestamp;
use crate::domain::change::{ApplyError, Change, Check, Target};
use crate::domain::credential::FederatedIdentityCredential;
use crate::domain::kind::IdentityKind;
use crate::domain::snapshot::{Cloud, TenantSnapshot};

/// The identity a plan migrates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanIdentity {
    pub kind: IdentityKind,
    pub object_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub display_name: String,
    /// The object whose credentials change (the application, or a service principal).
    pub target: Target,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the step does, in the user's words ("Upload the certificate CN=payroll-api").
    pub title: String,
    /// What must hold before the action runs; the run stops with the step failed otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precondition: Option<Check>,
    pub action: Change,
    /// What must hold after the action (retried with backoff: Entra and ARM propagate
    /// changes with a delay). When it already holds, the action is skipped: that is how a run
    /// resumes after a crash between the action and its journal record.
    pub verification: Check,
    /// The change that undoes the action.
    pub undo: Change,
    /// The Graph/ARM requests a run sends for the action, from the catalogue of calls
    /// (`domain::calls`) on the cloud's public hosts, reads included; for a secret removal,
    /// the lockout rule's reads come first.
    pub calls: Vec<ApiCall>,
    /// The step removes a client secret: it needs typed confirmation (TUI) or
    /// `--remove-secrets` and a confirmation (CLI), and runs only after every earlier step
    /// verified.
    #[serde(default)]
    pub removes_secret: bool,
    /// What the undo cannot restore, shown beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_note: Option<String>,
}

impl Step {
    /// The step that adds federated credential `credential` to `target`: verified by content
    /// (a credential of this name that trusts another subject is not this one), undone by
    /// removing it. Its verification is what guards the removals it replaces.
    pub(crate) fn add_federated_credential(
        title: String,
        target: &Target,
        credential: &FederatedIdentityCredential,
        cloud: Cloud,
    ) -> Step {
        let action = Change::AddFederatedCredential {
            target: target.clone(),
            credential: credential.clone(),
        };
        Step {
            title,
            precondition: None,
            calls: api_calls(&action, cloud, 0),
            action,
            verification: Check::FederatedCredentialMatches {
                target: target.clone(),
                credential: credential.clone(),
            },
            undo: Change::RemoveFederatedCredential {
                target: target.clone(),
                name: credential.name.clone(),
            },
            removes_secret: false,
            undo_note: None,
        }
    }
}

/// A config snippet the user applies outside credwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snippet {
    pub title: String,
    /// `json`, `yaml`, `csharp`, `rust`, `shell`…
    pub language: String,
    pub text: String,
}

/// Ids a plan uses for a managed identity that does not exist yet. Azure chooses the real
/// `principalId` and `clientId` when it creates the identity; `Plan::rebind` replaces these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionalIdentity {
    pub principal_id: String,
    pub client_id: String,
}

/// A step the plan refuses to take, and why: a role assignment whose condition cannot be
/// carried over is left out rather than copied without it (which would grant more than the
/// original). Shown beside the steps, in the text and in `--output json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedStep {
    /// The step as it would have read ("Grant Storage Blob Data Reader at … to id-app").
    pub title: String,
    /// The object it is about (a role assignment's ARM id).
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub kind: MigrationKind,
    pub identity: PlanIdentity,
    pub tenant_id: String,
    pub cloud: Cloud,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Timestamp,
    /// One sentence: what the migration does.
    pub summary: String,
    pub steps: Vec<Step>,
    /// Config changes for the user (Microsoft.Identity.Web, azure_identity, workflow files…).
    #[serde(default)]
    pub guidance: Vec<Snippet>,
    /// What remains for the user once the steps are done.
    #[serde(default)]
    pub follow_ups: Vec<String>,
    /// Warnings and facts worth reading before applying.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional: Option<ProvisionalIdentity>,
    /// Steps the plan will not take, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedStep>,
}

/// Why a plan's preview failed: step `step` (0-based) could not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step {} cannot apply: {error}", step + 1)]
pub struct PreviewError {
    pub step: usize,
    pub error: ApplyError,
}

/// What kind of line a rendered plan line is, so a screen can style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Field,
    StepTitle,
    Precondition,
    Action,
    Call,
    Verify,
    Undo,
    /// A step that removes a secret, or another warning.
    Warning,
    SnippetTitle,
    SnippetText,
    FollowUp,
    Note,
    Blank,
}

/// One line of a rendered plan; `step` is the 0-based step it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    pub kind: LineKind,
    pub step: Option<usize>,
    pub text: String,
}

impl Plan {
    /// The tenant as it would be after every step: `TenantSnapshot::apply` of each action.
    pub fn preview(&self, snapshot: &TenantSnapshot) -> Result<TenantSnapshot, PreviewError> {
        let mut s = snapshot.clone();
        for (step, st) in self.steps.iter().enumerate() {
            s.apply(&st.action)
                .map_err(|error| PreviewError { step, error })?;
        }
        Ok(s)
    }

    /// The index of the first step that removes a secret.
    pub fn first_removal(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.removes_secret)
    }

    /// Checks the ordering invariant: removal steps are last, and each is guarded by a
    /// precondition on the new credential (an earlier step's verification, or — on a re-run
    /// that only removes secrets — the replacement that is already in place).
    pub fn check_order(&self) -> Result<(), String> {
        let Some(first) = self.first_removal() else {
            return Ok(());
        };
        for (i, s) in self.steps.iter().enumerate().skip(first) {
            if !s.removes_secret {
                return Err(format!("step {} comes after a secret removal", i + 1));
            }
            match &s.precondition {
                None => {
                    return Err(format!(
                        "step {} removes a secret without checking the new credential first",
                        i + 1
                    ));
                }
                Some(p)
                    if first > 0 && !self.steps[..first].iter().any(|e| &e.verification == p) =>
                {
                    return Err(format!(
                        "step {} removes a secret guarded by a check no earlier step verifies",
                        i + 1
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Replaces the provisional principal and client ids of a managed identity to be created
    /// by the ones Azure chose, in every step, snippet and follow-up. Returns whether anything
    /// changed.
    pub fn rebind(&mut self, principal_id: &str, client_id: &str) -> bool {
        let Some(p) = self.provisional.clone() else {
            return false;
        };
        // The created identity's checks learn its ids now (also when Azure's equal the
        // provisional ones, as on a snapshot): from here on they compare them.
        let created: Vec<String> = self
            .steps
            .iter()
            .filter_map(|s| match &s.action {
                Change::CreateUserAssignedIdentity { identity } => Some(identity.id.clone()),
                _ => None,
            })
            .collect();
        let mut learned = false;
        for step in &mut self.steps {
            for check in step
                .precondition
                .iter_mut()
                .chain(std::iter::once(&mut step.verification))
            {
                if let Check::UserAssignedIdentityMatches {
                    id,
                    principal_id: p_id,
                    client_id: c_id,
                } = check
                    && created.iter().any(|c| c.eq_ignore_ascii_case(id))
                {
                    let known = (Some(principal_id.to_string()), Some(client_id.to_string()));
                    if (p_id.clone(), c_id.clone()) != known {
                        (*p_id, *c_id) = known;
                        learned = true;
                    }
                }
            }
        }
        if p.principal_id == principal_id && p.client_id == client_id {
            return learned;
        }
        let swap = |s: &mut String| {
            if *s == p.principal_id {
                *s = principal_id.to_string();
            } else if *s == p.client_id {
                *s = client_id.to_string();
            }
        };
        let swap_text = |s: &mut String| {
            *s = s
                .replace(&p.principal_id, principal_id)
                .replace(&p.client_id, client_id);
        };
        for step in &mut self.steps {
            for change in [&mut step.action, &mut step.undo] {
                match change {
                    Change::CreateUserAssignedIdentity { identity } => {
                        swap(&mut identity.principal_id);
                        swap(&mut identity.client_id);
                    }
                    Change::AddRoleAssignment { assignment } => swap(&mut assignment.principal_id),
                    Change::AddFederatedCredential { credential, .. } => {
                        if let Some(subject) = &mut credential.subject {
                            swap(subject);
                        }
                    }
                    _ => {}
                }
            }
            for check in step
                .precondition
                .iter_mut()
                .chain(std::iter::once(&mut step.verification))
            {
                match check {
                    Check::RoleAssignmentMatches { assignment } => {
                        swap(&mut assignment.principal_id)
                    }
                    Check::FederatedCredentialMatches { credential, .. } => {
                        if let Some(subject) = &mut credential.subject {
                            swap(subject);
                        }
                    }
                    _ => {}
                }
            }
            swap_text(&mut step.title);
            for call in &mut step.calls {
                swap_text(&mut call.url);
                if let Some(body) = &mut call.body {
                    swap_text(body);
                }
            }
        }
        for s in &mut self.guidance {
            swap_text(&mut s.text);
        }
        for f in self.follow_ups.iter_mut().chain(self.notes.iter_mut()) {
            swap_text(f);
        }
        swap_text(&mut self.summary);
        self.provisional = Some(ProvisionalIdentity {
            principal_id: principal_id.to_string(),
            client_id: client_id.to_string(),
        });
        true
    }

    /// Turns the id-only checks of a plan journaled before credwise verified by content
    /// (`Check::CredentialPresent { target, id }`, `UserAssignedIdentityPresent`,
    /// `RoleAssignmentPresent`) into content checks, from each step's action: what a step makes
    /// is what it must find. A removal's precondition names an earlier step's verification and
    /// is upgraded with it. Checks no action describes stay as they are (answered by id).
    /// Returns whether anything changed; `JournalState` calls it on every journal it reads.
    pub fn upgrade_checks(&mut self) -> bool {
        let mut upgraded: Vec<(Check, Check)> = Vec::new();
        for step in &mut self.steps {
            if let Some(new) = content_check(&step.verification, &step.action) {
                upgraded.push((std::mem::replace(&mut step.verification, new.clone()), new));
            }
        }
        for step in &mut self.steps {
            if let Some(pre) = &mut step.precondition
                && let Some((_, new)) = upgraded.iter().find(|(old, _)| old == pre)
            {
                *pre = new.clone();
            }
        }
        !upgraded.is_empty()
    }

    /// The plan as lines: `overview_lines`, then `guidance_lines`, then `note_lines`. The
    /// CLI prints them; the TUI styles them by `kind`.
    pub fn lines(&self) -> Vec<PlanLine> {
        let mut out = self.overview_lines();
        out.extend(self.guidance_lines());
        out.extend(self.note_lines());
        out
    }

    /// The heading, the identity, and each step with its precondition, action, calls,
    /// verification and undo.
    pub fn overview_lines(&self) -> Vec<PlanLine> {
        let mut out = Vec::new();
        let mut push = |kind, step, text: String| out.push(PlanLine { kind, step, text });
        push(
            LineKind::Heading,
            None,
            format!("{} ({})", self.kind.title(), self.kind.as_str()),
        );
        let id = &self.identity;
        let mut who = format!(
            "Identity: {} ({} {}",
            id.display_name,
            id.kind.as_str(),
            id.object_id
        );
        if let Some(app_id) = &id.app_id {
            who.push_str(&format!(", appId {app_id}"));
        }
        who.push(')');
        push(LineKind::Field, None, who);
        push(
            LineKind::Field,
            None,
            format!("Tenant: {} ({} cloud)", self.tenant_id, self.cloud.as_str()),
        );
        push(LineKind::Field, None, self.summary.clone());
        for (i, s) in self.steps.iter().enumerate() {
            let n = self.steps.len();
            push(LineKind::Blank, Some(i), String::new());
            let flag = match (&s.action, s.removes_secret) {
                (Change::RemovePassword { .. }, true) => "  [removes a secret: needs confirmation]",
                (_, true) => "  [removes a credential: needs confirmation]",
                _ => "",
            };
            push(
                LineKind::StepTitle,
                Some(i),
                format!("Step {}/{n}  {}{flag}", i + 1, s.title),
            );
            if let Some(p) = &s.precondition {
                push(
                    LineKind::Precondition,
                    Some(i),
                    format!(
                        "  Requires: {}{}",
                        describe_check(p),
                        calls_in_brackets(&check_calls(p, self.cloud))
                    ),
                );
            }
            push(
                LineKind::Action,
                Some(i),
                format!("  Action:   {}", describe_change(&s.action)),
            );
            for c in &s.calls {
                push(LineKind::Call, Some(i), format!("  Call:     {}", c.line()));
            }
            push(
                LineKind::Verify,
                Some(i),
                format!(
                    "  Verify:   {}{}",
                    describe_check(&s.verification),
                    calls_in_brackets(&check_calls(&s.verification, self.cloud))
                ),
            );
            push(
                LineKind::Undo,
                Some(i),
                format!("  Undo:     {}", describe_undo(s)),
            );
            // Written here rather than taken from `undo_note`, so a journal from an older
            // credwise (whose note promised to re-add the secret) reads what rollback does now.
            let note = if s.removes_secret && matches!(s.action, Change::RemovePassword { .. }) {
                Some(SECRET_UNDO_NOTE.to_string())
            } else if super::safety::removes_access(&s.undo) {
                Some(LAST_CREDENTIAL_UNDO_NOTE.to_string())
            } else {
                s.undo_note.clone()
            };
            if let Some(note) = note {
                push(LineKind::Warning, Some(i), format!("            {note}"));
            }
        }
        if !self.refused.is_empty() {
            push(LineKind::Blank, None, String::new());
            push(
                LineKind::Heading,
                None,
                "Refused (not done, and not done in a weaker form)".into(),
            );
            for r in &self.refused {
                push(LineKind::Warning, None, format!("  - {}", r.title));
                push(
                    LineKind::Warning,
                    None,
                    format!("    role assignment {}", r.id),
                );
                push(LineKind::Warning, None, format!("    {}", r.reason));
            }
        }
        out
    }

    /// What the user changes outside credwise (snippets) and does afterwards.
    pub fn guidance_lines(&self) -> Vec<PlanLine> {
        let mut out = Vec::new();
        let mut push = |kind, text: String| {
            out.push(PlanLine {
                kind,
                step: None,
                text,
            })
        };
        if !self.guidance.is_empty() {
            push(LineKind::Blank, String::new());
            push(LineKind::Heading, "What you change in the workload".into());
            for s in &self.guidance {
                push(LineKind::SnippetTitle, format!("  {}:", s.title));
                for line in s.text.lines() {
                    push(LineKind::SnippetText, format!("    {line}"));
                }
            }
        }
        if !self.follow_ups.is_empty() {
            push(LineKind::Blank, String::new());
            push(LineKind::Heading, "Afterwards".into());
            for f in &self.follow_ups {
                push(LineKind::FollowUp, format!("  - {f}"));
            }
        }
        out
    }

    /// Warnings and facts worth reading before applying.
    pub fn note_lines(&self) -> Vec<PlanLine> {
        let mut out = Vec::new();
        if !self.notes.is_empty() {
            out.push(PlanLine {
                kind: LineKind::Blank,
                step: None,
                text: String::new(),
            });
            out.push(PlanLine {
                kind: LineKind::Heading,
                step: None,
                text: "Notes".into(),
            });
            for n in &self.notes {
                out.push(PlanLine {
                    kind: LineKind::Note,
                    step: None,
                    text: format!("  - {n}"),
                });
            }
        }
        out
    }

    /// `lines()` joined, for the terminal and for records.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for l in self.lines() {
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }
}

/// The content check an id-only `check` stands for, given the step's `action`.
fn content_check(check: &Check, action: &Change) -> Option<Check> {
    match (check, action) {
        (
            Check::CredentialPresent { target, id },
            Change::AddKey {
                target: t,
                credential,
                ..
            },
        ) if t == target && credential.key_id.eq_ignore_ascii_case(id) => {
            Some(Check::CertificateMatches {
                target: target.clone(),
                key_id: credential.key_id.to_string(),
                thumbprint: credential.thumbprint(),
            })
        }
        (
            Check::CredentialPresent { target, id },
            Change::AddFederatedCredential {
                target: t,
                credential,
            },
        ) if t == target && &credential.name == id => Some(Check::FederatedCredentialMatches {
            target: target.clone(),
            credential: credential.clone(),
        }),
        (
            Check::UserAssignedIdentityPresent { id },
            Change::CreateUserAssignedIdentity { identity },
        ) if identity.id.eq_ignore_ascii_case(id) => Some(Check::UserAssignedIdentityMatches {
            id: identity.id.clone(),
            // Azure chooses them; `rebind` fills them in once the journal names them.
            principal_id: None,
            client_id: None,
        }),
        (Check::RoleAssignmentPresent { id }, Change::AddRoleAssignment { assignment })
            if assignment.id.eq_ignore_ascii_case(id) =>
        {
            Some(Check::RoleAssignmentMatches {
                assignment: assignment.clone(),
            })
        }
        _ => None,
    }
}
