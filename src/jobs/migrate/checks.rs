//! Asking the tenant, as the forward run and the rollback both do: a check that rides out
//! throttling, a verification that waits for propagation (with backoff), what the identity
//! can sign in with now (the lockout rule's inventory), the ids of an identity created before
//! a crash, and `Failure`, why a step or an undo failed.
//!
//! May import `backend`, `store` and `domain`.

use std::time::Duration;

use super::options::Options;
use crate::backend::{Backend, Cause, Error as BackendError, Progress, Scope};
use crate::domain::CheckOutcome;
use crate::domain::change::{Change, Check};
use crate::domain::migration::MigrationKind;
use crate::domain::migration::plan::describe_check;
use crate::domain::migration::progress::StepState;
use crate::domain::migration::safety::{Inventory, Workload};
use crate::store::journal::{CreatedIds, JournalState};

/// Why a step (or its undo) failed: the message, the exit code, and a look-alike's two sides.
pub(super) struct Failure {
    pub message: String,
    pub cause: Cause,
    pub expected: Option<String>,
    pub found: Option<String>,
}

impl Failure {
    pub(super) fn message(message: String) -> Self {
        Self {
            message,
            cause: Cause::Refused,
            expected: None,
            found: None,
        }
    }

    /// A look-alike stands where the step's change should be: exit 2 (the tenant is not what
    /// this migration made), both sides named.
    pub(super) fn look_alike(check: &Check, expected: String, found: String, undo: bool) -> Self {
        let what = if undo {
            "not undone: what is in place is not what this migration made"
        } else {
            "not verified: a look-alike is in place"
        };
        Self {
            message: format!(
                "{what} ({}): expected {expected}; found {found}",
                describe_check(check)
            ),
            cause: Cause::Refused,
            expected: Some(expected),
            found: Some(found),
        }
    }
}

impl From<BackendError> for Failure {
    fn from(e: BackendError) -> Self {
        Self {
            message: e.to_string(),
            cause: e.cause(),
            expected: None,
            found: None,
        }
    }
}

/// What a verification found after its retries.
pub(super) enum Verified {
    Yes,
    No,
    /// Something stands under the step's name or id, but it is not what the step made.
    LookAlike {
        expected: String,
        found: String,
    },
    Cancelled,
    Error(BackendError),
}

/// Checks `check` until it holds, with backoff; throttling waits as the service asks (capped).
/// A look-alike ends the wait at once: propagation does not turn one object into another.
pub(super) async fn verify(
    backend: &dyn Backend,
    check: &Check,
    index: usize,
    o: &Options,
) -> Verified {
    for attempt in 1..=o.backoff.attempts {
        o.emit(super::options::Event::Verifying { index, attempt });
        match backend.examine(check).await {
            Ok(CheckOutcome::Holds) => return Verified::Yes,
            Ok(CheckOutcome::Missing) => {}
            Ok(CheckOutcome::Differs { expected, found }) => {
                return Verified::LookAlike { expected, found };
            }
            Err(BackendError::Throttled { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs).min(o.backoff.max_delay);
                if !o.sleep(wait.max(o.backoff.delay(attempt))).await {
                    return Verified::Cancelled;
                }
                continue;
            }
            Err(e) => return Verified::Error(e),
        }
        if attempt < o.backoff.attempts && !o.sleep(o.backoff.delay(attempt)).await {
            return Verified::Cancelled;
        }
    }
    Verified::No
}

/// Checks until `check` no longer holds (an undo taking effect), with backoff: `Ok(true)`
/// once it is gone.
pub(super) async fn gone(
    backend: &dyn Backend,
    check: &Check,
    o: &Options,
) -> Result<bool, BackendError> {
    for attempt in 1..=o.backoff.attempts {
        if !backend.examine(check).await?.holds() {
            return Ok(true);
        }
        if attempt < o.backoff.attempts {
            o.sleep(o.backoff.delay(attempt)).await;
        }
    }
    Ok(false)
}

/// A check that rides out throttling (up to `attempts` tries); other errors return at once.
pub(super) async fn check_with_retry(
    backend: &dyn Backend,
    check: &Check,
    o: &Options,
) -> Result<CheckOutcome, BackendError> {
    let attempts = o.backoff.attempts;
    let mut last = None;
    for attempt in 1..=attempts {
        match backend.examine(check).await {
            Ok(v) => return Ok(v),
            Err(BackendError::Throttled { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs).min(o.backoff.max_delay);
                last = Some(BackendError::Throttled { retry_after_secs });
                if attempt < attempts {
                    o.sleep(wait.max(o.backoff.delay(attempt))).await;
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(BackendError::Cancelled))
}

/// What the identity can sign in with now: its credentials read from the backend, and — for
/// a move to a managed identity — whether that identity and every grant this migration
/// verified are in place, by content.
pub(super) async fn inventory(
    backend: &dyn Backend,
    state: &JournalState,
    options: &Options,
) -> Result<Inventory, BackendError> {
    let plan = &state.plan;
    let credentials = backend.credentials(&plan.identity.target).await?;
    let verified: Vec<bool> = state
        .steps
        .iter()
        .map(|p| (p.verified || p.already_in_place) && p.state != Some(StepState::Undone))
        .collect();
    let mut identity_in_place = false;
    if plan.kind == MigrationKind::SecretToManagedIdentity {
        let grants: Vec<usize> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(
                    s.action,
                    Change::CreateUserAssignedIdentity { .. } | Change::AddRoleAssignment { .. }
                )
            })
            .map(|(i, _)| i)
            .collect();
        identity_in_place = true;
        if grants.is_empty() {
            // An existing identity that already held every role: the removals' guard says
            // whether it is (still) there.
            match plan
                .first_removal()
                .and_then(|i| plan.steps[i].precondition.as_ref())
            {
                Some(guard) => {
                    identity_in_place = check_with_retry(backend, guard, options).await?.holds()
                }
                None => identity_in_place = false,
            }
        }
        for i in grants {
            if !verified[i]
                || !check_with_retry(backend, &plan.steps[i].verification, options)
                    .await?
                    .holds()
            {
                identity_in_place = false;
                break;
            }
        }
    }
    Ok(Workload {
        plan,
        verified: &verified,
        credentials: &credentials,
        identity_in_place,
        now: options.now(),
    }
    .inventory())
}

/// The ids of an identity found already created on resume (its create step was applied but
/// not journaled before a crash): read back from the tenant.
pub(super) async fn created_ids(backend: &dyn Backend, arm_id: &str) -> Option<CreatedIds> {
    let scope = Scope {
        subscriptions: crate::domain::objects::arm_segment(arm_id, "subscriptions")
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
    };
    let loaded = backend.load(&scope, &Progress::silent()).await.ok()?;
    loaded
        .snapshot
        .user_assigned_identities
        .iter()
        .find(|u| u.id.eq_ignore_ascii_case(arm_id))
        .map(|u| CreatedIds {
            principal_id: u.principal_id.clone(),
            client_id: u.client_id.clone(),
        })
}
