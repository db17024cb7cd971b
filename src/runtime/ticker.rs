//! A tick for the explorer's event loop that does not depend on the runtime's async workers.
//! The event loop runs on the main thread (`block_on`), but tokio's timers are turned by the
//! workers: while both are busy, a `tokio::time::interval` there fires late, and the screen
//! waits with it. Key events already wake the loop from crossterm's own thread; this ticker
//! wakes it the same way, from a thread that only sleeps.
//!
//! May import tokio's sync primitives and std's threads; nothing of credwise.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// Wakes whoever waits on `tick` every `period` (missed ticks are not queued: a late waiter
/// gets one). The thread ends with the first tick after the `Ticker` is dropped.
pub struct Ticker {
    notify: Arc<Notify>,
    period: Duration,
    /// False when the thread could not be started: `tick` then falls back to tokio's timer.
    threaded: bool,
}

impl Ticker {
    pub fn every(period: Duration) -> Self {
        let notify = Arc::new(Notify::new());
        let weak = Arc::downgrade(&notify);
        let threaded = std::thread::Builder::new()
            .name("credwise-ticker".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(period);
                    match weak.upgrade() {
                        Some(n) => n.notify_one(),
                        None => break,
                    }
                }
            })
            .is_ok();
        Self {
            notify,
            period,
            threaded,
        }
    }

    /// The next tick.
    pub async fn tick(&self) {
        if self.threaded {
            self.notify.notified().await;
        } else {
            tokio::time::sleep(self.period).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// It ticks on a runtime that has no timers at all (tokio would panic on one).
    #[test]
    fn ticks_without_the_runtime_timers() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime without timers");
        let ticker = Ticker::every(Duration::from_millis(5));
        rt.block_on(async {
            for _ in 0..3 {
                // A generous bound only a hang reaches.
                let started = std::time::Instant::now();
                ticker.tick().await;
                assert!(started.elapsed() < Duration::from_secs(30));
            }
        });
    }
}
