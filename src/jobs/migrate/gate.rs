//! The retirement gate in a run: before a removal step acts, the usage evidence is read fresh
//! from the backend (`Backend::load_usage`: a snapshot's or the demo's own evidence, a live
//! tenant's sign-in reports and log) and the target's credentials as they are now, and
//! `domain::migration::retirement::gate` decides. The evidence is read once per run, at the
//! first removal that needs it: a live read is paced (a few requests per 10 s) and every
//! removal of one run asks about the same moment. With `--without-usage-evidence` nothing is
//! read: the decision is `overridden`, recording that the evidence was not read.
//!
//! When the replacement was added is what the journal says: the record of the step whose
//! verification is the removal's precondition (the step that added it), or — for one found
//! already in place — when the migration opened, the earliest moment this migration can
//! vouch for. A read that fails is no evidence: the decision says why and the step waits.
//!
//! May import `backend`, `store` and `domain`.

use super::options::Options;
use crate::backend::{Backend, Progress, UsageRequest};
use crate::domain::Timestamp;
use crate::domain::migration::retirement::{self, GateDecision, GateInput, GateVerdict};
use crate::domain::usage::UsageData;
use crate::store::journal::JournalState;

/// The evidence of one run, read at the first removal that asks.
#[derive(Default)]
pub(super) struct Evidence {
    usage: Option<Result<UsageData, String>>,
}

impl Evidence {
    async fn usage(
        &mut self,
        backend: &dyn Backend,
        options: &Options,
    ) -> &Result<UsageData, String> {
        let read = match self.usage.take() {
            Some(read) => read,
            None => {
                // Cancelled with the run; the progress of this read goes nowhere.
                let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
                let progress = Progress::new(tx, options.cancel.clone());
                backend
                    .load_usage(&UsageRequest::default(), &progress)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        self.usage.insert(read)
    }
}

/// When the credential that removal step `index` relies on was added, as the journal says.
pub(super) fn replacement_added(state: &JournalState, index: usize) -> Timestamp {
    let Some(pre) = state
        .plan
        .steps
        .get(index)
        .and_then(|s| s.precondition.as_ref())
    else {
        return state.opened_at;
    };
    state.plan.steps[..index]
        .iter()
        .zip(&state.steps)
        .find(|(s, _)| &s.verification == pre)
        .and_then(|(_, p)| {
            if p.already_in_place && !p.applied {
                None
            } else {
                p.at
            }
        })
        .unwrap_or(state.opened_at)
}

/// What an overridden decision records in place of the evidence it did not read.
pub(super) const NOT_READ_OVERRIDDEN: &str =
    "the sign-in data was not read: --without-usage-evidence overrides the gate";

/// The gate's decision on removal step `index`, on the evidence as it is now.
pub(super) async fn decide(
    backend: &dyn Backend,
    state: &JournalState,
    index: usize,
    evidence: &mut Evidence,
    options: &Options,
) -> GateDecision {
    if options.gate.without_usage_evidence {
        // The override decides whatever the evidence says: reading it only to list what was
        // missing cost a live tenant minutes of paced sign-in reads (five requests per 10 s).
        return unread(index, NOT_READ_OVERRIDDEN.into(), options);
    }
    let added = replacement_added(state, index);
    let credentials = match backend.credentials(&state.plan.identity.target).await {
        Ok(c) => c,
        Err(e) => {
            return unread(
                index,
                format!("the credentials could not be read: {e}"),
                options,
            );
        }
    };
    let usage = match evidence.usage(backend, options).await {
        Ok(u) => u,
        Err(e) => {
            return unread(
                index,
                format!("the sign-in data could not be read: {e}"),
                options,
            );
        }
    };
    let input = GateInput {
        plan: &state.plan,
        credentials: &credentials,
        replacement_added: added,
        usage,
    };
    retirement::gate(&input, index, &options.gate)
}

/// No evidence at all: the step waits, or goes on the override, saying why.
fn unread(index: usize, why: String, options: &Options) -> GateDecision {
    GateDecision {
        step: index,
        verdict: if options.gate.without_usage_evidence {
            GateVerdict::Overridden
        } else {
            GateVerdict::Wait
        },
        shown: Vec::new(),
        missing: vec![why],
    }
}

/// The journal's note on a removal that went without the evidence.
pub(super) fn override_note(decision: &GateDecision) -> String {
    format!(
        "removed without usage evidence (--without-usage-evidence); missing: {}",
        decision.missing.join("; ")
    )
}
