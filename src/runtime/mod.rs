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
pub mod threads;
pub mod ticker;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::app::{App, Effect, Msg, OpenRequest, ViewKey};
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

/// Opens another source while the explorer runs (the demo, a snapshot file), as the command
/// line would, or says why it cannot.
pub type Opener = Box<dyn Fn(&OpenRequest) -> Result<Source, String> + Send>;

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
    /// `None` where nothing else can be opened (the standalone wizard).
    opener: Option<Opener>,
    /// What the app shows (`observe`), for the load to make each tenant ready for it.
    view: watch::Sender<Option<ViewKey>>,
}

impl Runtime {
    pub fn new(
        source: Option<Source>,
        suppressions: Vec<Suppression>,
        tx: mpsc::UnboundedSender<Msg>,
        live_clock: bool,
        clipboard: Clipboard,
        opener: Option<Opener>,
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
            opener,
            view: watch::channel(None).0,
        }
    }

    /// Keeps what the app shows current for the loads (the event loop calls it after every
    /// message): cheap, a comparison of a few fields.
    pub fn observe(&self, app: &App) {
        let key = app.view_key();
        self.view.send_if_modified(|k| {
            if k.as_ref() == Some(&key) {
                false
            } else {
                *k = Some(key);
                true
            }
        });
    }

    /// Drops what the app let go of (`App::take_retired`) on a blocking thread: freeing a
    /// large tenant takes longer than a frame.
    pub fn retire(&self, retired: Vec<Box<dyn std::any::Any + Send>>) {
        if !retired.is_empty() {
            tokio::task::spawn_blocking(move || drop(retired));
        }
    }

    /// The first work of a session: look for an unfinished migration's journal, and load the
    /// tenant starting from the cache.
    pub fn start(&mut self, app: &App) {
        self.observe(app);
        if let Some(source) = &self.source {
            migration::find_open_journal(&self.tx);
            load::start(
                source,
                load::Start::FromCache,
                &self.tx,
                &mut self.load_cancel,
                audit_options(app),
                self.suppressions.clone(),
                self.view.subscribe(),
            );
        }
    }

    /// Carries out one effect.
    pub fn execute(&mut self, effect: Effect, app: &App) {
        self.observe(app);
        let tx = self.tx.clone();
        match effect {
            Effect::Load | Effect::Refresh => {
                if let Some(source) = &self.source {
                    let options = audit_options(app);
                    let suppressions = self.suppressions.clone();
                    let how = if effect == Effect::Refresh {
                        load::Start::Incremental
                    } else {
                        load::Start::Full
                    };
                    load::start(
                        source,
                        how,
                        &tx,
                        &mut self.load_cancel,
                        options,
                        suppressions,
                        self.view.subscribe(),
                    );
                }
            }
            Effect::Open(request) => self.open(&request, app),
            Effect::Recount => {
                // O(tenant) (a 150,000-identity tenant's counts and lists): off the UI
                // thread, and the async ones.
                if let Some(job) = app.recount_job() {
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(Msg::Recounted(Box::new(job.run())));
                    });
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

    /// Replaces the source with `request`'s and loads it; the old source's load stops.
    fn open(&mut self, request: &OpenRequest, app: &App) {
        let Some(opener) = &self.opener else {
            let _ = self
                .tx
                .send(Msg::EffectFailed("nothing else can be opened here".into()));
            return;
        };
        match opener(request) {
            Ok(source) => {
                self.load_cancel.cancel();
                let _ = self
                    .tx
                    .send(Msg::SourceOpened(source.tenant.backend.describe()));
                self.source = Some(source);
                if let Some(source) = &self.source {
                    load::start(
                        source,
                        load::Start::FromCache,
                        &self.tx,
                        &mut self.load_cancel,
                        audit_options(app),
                        self.suppressions.clone(),
                        self.view.subscribe(),
                    );
                }
            }
            Err(e) => {
                let _ = self.tx.send(Msg::EffectFailed(e));
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
