//! The Markdown record of a finished migration, for the change log: what changed and when,
//! as which signed-in principal, what was verified, and what remains for the user (deploy the
//! config change, attach the identity, wait for propagation). Written beside the journal when
//! a migration ends (done, rolled back or abandoned); `credwise migrate status ID --record`
//! prints it. Made only of journal data, so it holds no secret either.
//!
//! Tenant strings (display names, service messages, snippets that quote them) are untrusted:
//! table cells go through `sanitize::display` and the whole record through `sanitize::text`,
//! so printing the record (`cat`, `migrate status --record`) cannot run an escape sequence.
//! The outcome is `RunOutcome`'s, in its words. May import `store` and `domain`.

use super::outcome::{RunOutcome, kept_steps, unrestored_secrets};
use crate::domain::Timestamp;
use crate::domain::migration::plan::describe_check;
use crate::domain::migration::retirement::GateVerdict;
use crate::store::journal::{JournalState, Outcome, SourceKind, StepState};

fn ts(t: Timestamp) -> String {
    crate::domain::rfc3339(t)
}

/// Table cells and list items hold tenant strings: keep them on one line, pipes escaped, no
/// control or bidi characters.
fn cell(s: &str) -> String {
    crate::sanitize::display(&s.replace(['\n', '\r'], " ")).replace('|', "\\|")
}

pub fn render(state: &JournalState) -> String {
    crate::sanitize::text(&render_raw(state)).into_owned()
}

fn render_raw(state: &JournalState) -> String {
    let plan = &state.plan;
    let id = &plan.identity;
    let mut md = format!("# Migration record: {}\n\n", plan.kind.title());
    md.push_str("| | |\n| --- | --- |\n");
    let mut row = |k: &str, v: String| md.push_str(&format!("| {k} | {} |\n", cell(&v)));
    row("Journal", state.id.clone());
    row("Migration", plan.kind.as_str().to_string());
    row(
        "Identity",
        format!(
            "{} ({} {}{})",
            id.display_name,
            id.kind.as_str(),
            id.object_id,
            id.app_id
                .as_deref()
                .map(|a| format!(", appId {a}"))
                .unwrap_or_default()
        ),
    );
    row(
        "Tenant",
        format!("{} ({} cloud)", plan.tenant_id, plan.cloud.as_str()),
    );
    row("Source", state.source.description.clone());
    row(
        "Signed-in principal",
        state
            .principal
            .clone()
            .unwrap_or_else(|| "unknown".to_string()),
    );
    row("Started", ts(state.opened_at));
    let unrestored = unrestored_secrets(state);
    let kept = kept_steps(state);
    let (outcome, ended) = match (RunOutcome::of_journal(state), state.closed) {
        (Some(o), Some((_, at))) => (o.status(), ts(at)),
        _ => (state.status().to_string(), String::from("-")),
    };
    row("Ended", ended);
    row("Outcome", outcome);
    md.push_str(&format!("\n{}\n", plan.summary));
    if state.source.kind == SourceKind::Demo {
        md.push_str("\nThe source was the demo tenant: the changes lived in memory only.\n");
    }

    md.push_str("\n## What changed\n\n");
    for (i, (step, p)) in plan.steps.iter().zip(&state.steps).enumerate() {
        let when = p.at.map(ts).unwrap_or_default();
        let what = match p.state {
            None => "not run".to_string(),
            Some(StepState::AlreadyInPlace) => {
                format!("already in place, nothing changed ({when})")
            }
            Some(StepState::Verified) => format!("done and verified ({when})"),
            Some(StepState::Applied) => format!("applied, not verified ({when})"),
            Some(StepState::Started) => format!("started, outcome unknown ({when})"),
            Some(StepState::Failed) => format!(
                "failed ({when}): {}",
                cell(p.error.as_deref().unwrap_or("unknown error"))
            ),
            Some(StepState::UndoStarted) => format!("undo started ({when})"),
            Some(StepState::Undone) if p.applied => match p.note.as_deref() {
                Some(n) if n.starts_with("forced") => {
                    format!("done, then undone ({when}) — {}", cell(n))
                }
                _ => format!("done, then undone ({when})"),
            },
            Some(StepState::Undone) => format!("nothing to undo ({when})"),
            Some(StepState::UndoFailed) => format!(
                "undo failed ({when}): {}",
                cell(p.error.as_deref().unwrap_or("unknown error"))
            ),
            Some(StepState::NotRestorable) => {
                format!("done; cannot be undone on a live tenant, left removed ({when})")
            }
            Some(StepState::Kept) => format!(
                "done; kept by the rollback, so that the identity keeps a usable credential ({when})"
            ),
            Some(StepState::Waiting) => {
                format!("waiting on usage evidence, nothing removed ({when})")
            }
        };
        let overridden = p
            .gate
            .as_ref()
            .filter(|g| g.verdict == GateVerdict::Overridden && p.applied)
            .map(|_| " — removed without usage evidence (--without-usage-evidence)")
            .unwrap_or_default();
        md.push_str(&format!(
            "{}. {} — {what}{overridden}\n",
            i + 1,
            cell(&step.title)
        ));
    }

    // Each removal's evidence as the gate weighed it, an override with what was missing.
    let decisions: Vec<_> = state.steps.iter().filter_map(|p| p.gate.as_ref()).collect();
    if !decisions.is_empty() {
        md.push_str("\n## Usage evidence\n\n");
        for d in decisions {
            for (n, line) in d.lines().iter().enumerate() {
                let indent = if n == 0 { "- " } else { "  - " };
                md.push_str(&format!("{indent}{}\n", cell(line.trim_start())));
            }
        }
    }

    let verified: Vec<String> = plan
        .steps
        .iter()
        .zip(&state.steps)
        .filter(|(_, p)| {
            matches!(
                p.state,
                Some(StepState::Verified) | Some(StepState::AlreadyInPlace) | Some(StepState::Kept)
            )
        })
        .map(|(s, _)| describe_check(&s.verification))
        .collect();
    md.push_str("\n## What was verified\n\n");
    if verified.is_empty() {
        md.push_str("Nothing.\n");
    }
    for v in verified {
        md.push_str(&format!("- {}\n", cell(&v)));
    }

    md.push_str("\n## What remains for you\n\n");
    match state.closed.map(|(o, _)| o) {
        Some(Outcome::Done) => {
            for f in &plan.follow_ups {
                md.push_str(&format!("- {}\n", cell(f)));
            }
            if plan.follow_ups.is_empty() {
                md.push_str("- Nothing.\n");
            }
        }
        Some(Outcome::RolledBack) if !kept.is_empty() => {
            for k in &kept {
                md.push_str(&format!(
                    "- Step {}: {} stays. The identity signs in with it; remove it yourself only once the workload has another credential.\n",
                    k.index + 1,
                    cell(&k.what)
                ));
            }
            md.push_str(
                "- Every other change of this migration that could be undone was undone. Revert any configuration you changed that the kept credential does not need.\n",
            );
            for u in &unrestored {
                md.push_str(&format!(
                    "- Step {}: {}.\n",
                    u.index + 1,
                    cell(&u.remedy(id.app_id.as_deref()))
                ));
            }
        }
        Some(Outcome::RolledBack) if !unrestored.is_empty() => {
            md.push_str(
                "- Every other change of this migration was undone. Revert any configuration you already changed.\n",
            );
            for u in &unrestored {
                md.push_str(&format!(
                    "- Step {}: {}.\n",
                    u.index + 1,
                    cell(&u.remedy(id.app_id.as_deref()))
                ));
            }
        }
        Some(Outcome::RolledBack) => md.push_str(
            "- The tenant is back as it was before this migration. Revert any configuration you already changed.\n",
        ),
        Some(Outcome::Abandoned) | None => md.push_str(
            "- The migration was left unfinished: check the steps above, and start it again if it is still wanted.\n",
        ),
    }
    if state.closed.map(|(o, _)| o) == Some(Outcome::Done) && !plan.guidance.is_empty() {
        md.push_str("\n## Configuration change\n");
        for s in &plan.guidance {
            md.push_str(&format!(
                "\n{}:\n\n```{}\n{}\n```\n",
                s.title, s.language, s.text
            ));
        }
    }
    md
}
