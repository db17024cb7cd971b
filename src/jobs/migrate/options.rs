//! What a run is told: the verification backoff (picked from the source, in one place, for
//! the CLI and the explorer alike), cancellation, the pause gate a screen holds while it asks
//! whether to stop, the clock, the source the caller opened, and where progress `Event`s go.
//!
//! May import `store` (the source record) and `domain`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::outcome::RunOutcome;
use crate::domain::Timestamp;
use crate::domain::migration::progress::StepState;
use crate::domain::migration::retirement::GateOptions;
use crate::store::journal::SourceRecord;

/// The current time, as the caller sees it (`CREDWISE_NOW` pins it in tests).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How verification retries while a change propagates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Checks in all, the first included.
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Backoff {
    /// For tenants: about a minute and a half of retries (a new FIC or role assignment can
    /// take minutes to show everywhere).
    pub const LIVE: Backoff = Backoff {
        attempts: 8,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(20),
    };

    /// For tests and snapshots: immediate.
    pub const FAST: Backoff = Backoff {
        attempts: 3,
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };

    /// The backoff a source needs: a snapshot (a file or the demo) answers at once, a live
    /// tenant needs time to propagate. The one place the CLI and the explorer take it from.
    pub fn for_source(source: &SourceRecord) -> Self {
        if source.is_live() {
            Self::LIVE
        } else {
            Self::FAST
        }
    }

    /// The wait after attempt `attempt` (1-based): doubling from `first_delay`, capped.
    pub(super) fn delay(self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Holds a run before its next step while it is set (a screen asking "stop after the current
/// step?"): the step under way finishes, the next does not start until the pause is lifted or
/// the run is cancelled. `watch` keeps only the latest value, which is all a gate needs.
#[derive(Debug, Clone)]
pub struct Pause(watch::Receiver<bool>);

impl Pause {
    /// A gate that follows `rx` (`true`: hold).
    pub fn new(rx: watch::Receiver<bool>) -> Self {
        Self(rx)
    }
}

/// Progress of a run, for screens. Indexes are 0-based step numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started {
        journal_id: String,
        steps: usize,
    },
    /// A step reached `state`; `message` is a failure's error, or why a step was skipped,
    /// kept or left as it is.
    Step {
        index: usize,
        state: StepState,
        message: Option<String>,
    },
    /// A verification attempt (1-based) is about to run.
    Verifying {
        index: usize,
        attempt: u32,
    },
    /// Azure chose these ids for the identity the plan created; later steps use them.
    Rebound {
        principal_id: String,
        client_id: String,
    },
    Finished {
        outcome: RunOutcome,
    },
}

/// What a run is told.
#[derive(Clone)]
pub struct Options {
    pub backoff: Backoff,
    pub cancel: CancellationToken,
    pub events: Option<mpsc::UnboundedSender<Event>>,
    pub clock: Clock,
    /// The source this process opened (`SourceRecord` of the CLI's SOURCE or the explorer's
    /// backend): `resume` and `rollback` refuse one that is not the journal's (another
    /// snapshot file, a live tenant for a snapshot's journal). `None` skips that comparison;
    /// the tenant id is compared either way.
    pub source: Option<SourceRecord>,
    /// Between steps, the run waits while this is set (and not cancelled).
    pub pause: Option<Pause>,
    /// The retirement gate before each removal: `--idle-days` and the explicit
    /// `--without-usage-evidence` override (default: 7 days, no override).
    pub gate: GateOptions,
}

impl Options {
    /// Options with the live backoff and no source to compare.
    pub fn new(clock: Clock) -> Self {
        Self {
            backoff: Backoff::LIVE,
            cancel: CancellationToken::new(),
            events: None,
            clock,
            source: None,
            pause: None,
            gate: GateOptions::default(),
        }
    }

    /// The options for a run on `source`, as the CLI and the explorer both start one: its
    /// backoff, and the source `resume` and `rollback` compare with the journal's.
    pub fn for_source(clock: Clock, source: SourceRecord) -> Self {
        Self {
            backoff: Backoff::for_source(&source),
            source: Some(source),
            ..Self::new(clock)
        }
    }

    /// Waits, between two steps, while the run is paused; returns at once when it is not,
    /// or when the run is cancelled (the caller then stops).
    /// Between two steps: held while the screen asks whether to stop, then whether the run
    /// was cancelled.
    pub(super) async fn held_then_cancelled(&self) -> bool {
        self.hold().await;
        self.cancel.is_cancelled()
    }

    async fn hold(&self) {
        let Some(Pause(rx)) = &self.pause else {
            return;
        };
        let mut rx = rx.clone();
        tokio::select! {
            // A closed channel (the screen is gone) holds nothing back.
            _ = rx.wait_for(|paused| !*paused) => {}
            _ = self.cancel.cancelled() => {}
        }
    }

    pub(super) fn emit(&self, e: Event) {
        // Every step of every run, in the `--log-file` log (events carry no key material).
        tracing::info!(event = ?e, "migration");
        if let Some(tx) = &self.events {
            // The screen may be gone; progress is best-effort, the journal is not.
            let _ = tx.send(e);
        }
    }

    /// Announces a step's new state.
    pub(super) fn step(&self, index: usize, state: StepState, message: Option<String>) {
        self.emit(Event::Step {
            index,
            state,
            message,
        });
    }

    pub(super) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Sleeps unless cancelled first; false when cancelled.
    pub(super) async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.cancel.cancelled() => false,
        }
    }
}
