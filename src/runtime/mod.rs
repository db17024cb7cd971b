//! The explorer's runtime: carries out the `Effect`s `app::update` asks for — loading the
//! tenant (`jobs::load`: the cache first, then the backend), running, holding, stopping,
//! resuming and rolling back a migration (`jobs::migrate`), writing exports, opening URLs —
//! on tokio, and sends what comes back as `Msg`s. It knows no terminal: the clipboard comes
//! in as a function (the terminal's OSC 52), and the event loop that draws and reads keys is
//! `tui`'s. Also the OS signals that stop a run (`signals`), for the explorer and the CLI.
//!
//! May import `app`, `jobs`, `backend`, `store` and `domain`, tokio and the filesystem — **no**
//! ratatui or crossterm.

mod files;
mod load;
mod migration;
pub mod signals;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::app::{App, Effect, Msg};
use crate::domain::audit::AuditOptions;
use crate::domain::audit::suppress::Suppression;
use crate::jobs::migrate::{Pause, RollbackMode};
use crate::store::journal::SourceRecord;

/// Where the explorer's tenant comes from: the backend and its cache slot, and what a
/// migration's journal records as its source (for `resume` and `rollback`).
pub struct Source {
    pub tenant: crate::jobs::load::Source,
    pub record: SourceRecord,
}

/// Puts text on the clipboard (the terminal's OSC 52), or says why it could not.
pub type Clipboard = Box<dyn Fn(&str) -> Result<(), String> + Send>;

/// What the explorer's effects are carried out with.
pub struct Runtime {
    /// `None` for the standalone wizard, which loads nothing.
    source: Option<Source>,
    suppressions: Vec<Suppression>,
    tx: mpsc::UnboundedSender<Msg>,
    load_cancel: CancellationToken,
    migration_cancel: CancellationToken,
    /// The gate of the running migration (`true`: hold before the next step).
    migration_pause: watch::Sender<bool>,
    /// False when the time is pinned (`CREDWISE_NOW`): journals then use the app's `now`.
    live_clock: bool,
    clipboard: Clipboard,
}

impl Runtime {
    pub fn new(
        source: Option<Source>,
        suppressions: Vec<Suppression>,
        tx: mpsc::UnboundedSender<Msg>,
        live_clock: bool,
        clipboard: Clipboard,
    ) -> Self {
        Self {
            source,
            suppressions,
            tx,
            load_cancel: CancellationToken::new(),
            migration_cancel: CancellationToken::new(),
            migration_pause: watch::channel(false).0,
            live_clock,
            clipboard,
        }
    }

    /// The first work of a session: look for an unfinished migration's journal, and load the
    /// tenant starting from the cache.
    pub fn start(&mut self, app: &App) {
        if let Some(source) = &self.source {
            migration::find_open_journal(&self.tx);
            load::start(
                source,
                true,
                &self.tx,
                &mut self.load_cancel,
                audit_options(app),
                self.suppressions.clone(),
            );
        }
    }

    /// Carries out one effect.
    pub fn execute(&mut self, effect: Effect, app: &App) {
        let tx = self.tx.clone();
        match effect {
            Effect::Load => {
                if let Some(source) = &self.source {
                    let options = audit_options(app);
                    let suppressions = self.suppressions.clone();
                    load::start(
                        source,
                        false,
                        &tx,
                        &mut self.load_cancel,
                        options,
                        suppressions,
                    );
                }
            }
            Effect::Copy(text) => {
                if let Err(e) = (self.clipboard)(&text) {
                    let _ = tx.send(Msg::EffectFailed(format!("could not copy: {e}")));
                }
            }
            Effect::OpenUrl(url) => files::open_url(&url, &tx),
            Effect::WriteFiles(written) => files::write_files(written, &tx),
            Effect::ExportRecord(from) => files::export_record(&from, &tx),
            Effect::RunMigration(request) => {
                if let Some(ctx) = self.migration_context(app) {
                    migration::start(ctx, *request, &tx, &mut self.migration_cancel);
                }
            }
            Effect::PauseMigration(hold) => {
                self.migration_pause.send_replace(hold);
            }
            Effect::StopMigration => self.stop_migration(),
            Effect::ContinueMigration {
                journal_id,
                rollback,
            } => {
                if let Some(ctx) = self.migration_context(app) {
                    let mode = rollback.then_some(RollbackMode::Safe);
                    migration::resume(ctx, journal_id, mode, &tx, &mut self.migration_cancel);
                }
            }
            Effect::RollbackMigration { journal_id, mode } => {
                if let Some(ctx) = self.migration_context(app) {
                    migration::resume(ctx, journal_id, Some(mode), &tx, &mut self.migration_cancel);
                }
            }
        }
    }

    /// Stops the running migration after (or journaling) its current step: cancelled, and
    /// no longer held.
    pub fn stop_migration(&mut self) {
        self.migration_cancel.cancel();
        self.migration_pause.send_replace(false);
    }

    /// The session ends: the load stops, and a running migration stops between steps (its
    /// journal keeps the place for `resume`).
    pub fn shutdown(&mut self) {
        self.load_cancel.cancel();
        self.stop_migration();
    }

    /// What a migration needs from the session; a new one starts unheld.
    fn migration_context(&self, app: &App) -> Option<migration::Context> {
        let source = self.source.as_ref()?;
        self.migration_pause.send_replace(false);
        Some(migration::Context {
            backend: source.tenant.backend.clone(),
            now: app.now,
            live_clock: self.live_clock,
            source: source.record.clone(),
            pause: Pause::new(self.migration_pause.subscribe()),
        })
    }
}

/// The audit the load job runs: today, and the warning window of the config.
fn audit_options(app: &App) -> AuditOptions {
    let mut options = AuditOptions::new(app.now);
    options.expiring_within_days = app.thresholds.warning_days;
    options
}
