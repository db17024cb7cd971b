//! The explorer's event loop: terminal events (through `input`), the runtime's messages, the
//! spinner and the clock in; `update`; effects out to the `runtime`; a frame drawn. A signal
//! while a migration runs first lets its current step finish or be journaled (the run is
//! stopped and the loop waits for it to end, the screen saying so); a second signal ends at
//! once (the journal already holds the step as started, which `resume` checks before acting).
//! Ctrl-C pressed in the migration screen instead holds the run before its next step while it
//! asks.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::theme::Theme;
use super::ui_state::UiState;
use super::{input, terminal, view};
use crate::app::{App, Command, Msg, update};
use crate::backend::Backend;
use crate::domain::Timestamp;
use crate::domain::audit::suppress::Suppression;
use crate::runtime::ticker::Ticker;
use crate::runtime::{Opener, Runtime, Source, signals};
use crate::store::cache::CacheSlot;
use crate::store::journal::SourceRecord;
use crate::{config, store};

/// How the explorer ended, other than by the user quitting; `main` gives each its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// It could not start or go on: a configuration file, the theme, the terminal (the message
    /// says which and why).
    #[error("{0}")]
    Setup(String),
    /// A signal stopped a running migration: what became of it and how to go on.
    #[error("{0}")]
    Interrupted(String),
}

/// Runs the explorer until the user quits. `live_clock` is false when the time is pinned
/// (`CREDWISE_NOW`), so screens stay reproducible.
pub async fn run(
    backend: Arc<dyn Backend>,
    cache: Option<CacheSlot>,
    record: SourceRecord,
    read_only: bool,
    now: Timestamp,
    live_clock: bool,
    opener: Opener,
) -> Result<(), Error> {
    // Configuration errors are reported before the screen is taken over.
    let settings =
        config::load(store::paths::config_dir()).map_err(|e| Error::Setup(e.to_string()))?;
    let mut app = App::new(backend.describe(), read_only, now);
    app.thresholds = settings.config.thresholds();
    app.sort = settings.config.sort();
    app.recent_snapshots = recent_snapshots();
    // The table is embedded and validated by the tests; should it ever fail, the explorer
    // still runs and `w` says why the wizard is missing.
    match crate::app::wizard::decision_table() {
        Ok(table) => app.decision_table = Some(Arc::new(table)),
        Err(e) => {
            app.status = Some(crate::app::Status {
                text: e.to_string(),
                is_error: true,
            })
        }
    }
    let theme = Theme::from_env_and(settings.theme.as_ref()).map_err(Error::Setup)?;
    let ui = UiState::new(settings.keymap, theme);
    let source = Source {
        tenant: crate::jobs::load::Source { backend, cache },
        record,
    };
    event_loop(
        app,
        ui,
        Some(source),
        settings.suppressions,
        settings.config.ui.mouse,
        live_clock,
        Some(opener),
    )
    .await
}

/// The snapshot files used lately (`store::recent`), as the user would type them: the home
/// directory as `~/`, which `:open` expands again.
fn recent_snapshots() -> Vec<String> {
    let Some(list) = store::recent::default_path() else {
        return Vec::new();
    };
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    store::recent::read(&list)
        .into_iter()
        .map(
            |s| match home.as_deref().and_then(|h| s.path.strip_prefix(h).ok()) {
                Some(rest) => format!("~/{}", rest.display()),
                None => s.path.display().to_string(),
            },
        )
        .collect()
}

/// `credwise wizard`: the decision wizard alone, full-screen. No tenant, no network, no
/// credential is looked up.
pub async fn run_wizard(now: Timestamp) -> Result<(), Error> {
    let settings =
        config::load(store::paths::config_dir()).map_err(|e| Error::Setup(e.to_string()))?;
    let table = crate::app::wizard::decision_table().map_err(|e| Error::Setup(e.to_string()))?;
    let app = App::standalone_wizard(Arc::new(table), now);
    let theme = Theme::from_env_and(settings.theme.as_ref()).map_err(Error::Setup)?;
    let ui = UiState::new(settings.keymap, theme);
    event_loop(
        app,
        ui,
        None,
        Vec::new(),
        settings.config.ui.mouse,
        false,
        None,
    )
    .await
}

/// The loop shared by the explorer and the standalone wizard; `source` is `None` for the
/// wizard, which loads nothing.
async fn event_loop(
    mut app: App,
    mut ui: UiState,
    source: Option<Source>,
    suppressions: Vec<Suppression>,
    mouse: bool,
    live_clock: bool,
    opener: Option<Opener>,
) -> Result<(), Error> {
    let (mut terminal, _guard) = terminal::enter(mouse).map_err(Error::Setup)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut rt = Runtime::new(
        source,
        suppressions,
        tx,
        live_clock,
        Box::new(terminal::copy),
        opener,
    );
    rt.start(&app);

    let mut events = EventStream::new();
    // The spinner's tick comes from a thread of its own (`runtime::ticker`): tokio's timers
    // are turned by the async workers, which a load may keep busy.
    let spinner = Ticker::every(Duration::from_millis(250));
    let mut clock = tokio::time::interval(Duration::from_secs(60));
    clock.tick().await;
    let mut stop = signals::stop_signals();
    // Set when a signal asked credwise to end: its name, and whether a migration was running
    // then (the loop goes on until the run has finished or journaled its step).
    let mut ending: Option<(&'static str, bool)> = None;

    loop {
        terminal
            .draw(|f| view::render(&app, &mut ui, f))
            .map_err(|e| Error::Setup(format!("cannot draw: {e}")))?;
        if let Some(rows) = ui.areas.list_rows.map(|r| r.height as usize)
            && rows != app.list_rows
        {
            update(&mut app, Msg::ListRows(rows));
        }
        if let Some(max) = ui.help_max_scroll.take()
            && max != app.help_max_scroll
        {
            update(&mut app, Msg::HelpLimit(max));
        }
        if app.quit || (ending.is_some() && !migration_running(&app)) {
            break;
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    let mut msgs = input::to_msgs(&app, &mut ui, &ev);
                    let last = msgs.pop();
                    for m in msgs {
                        apply(&mut app, m, &mut rt);
                    }
                    last
                }
                Some(Err(e)) => return Err(Error::Setup(format!("terminal input failed: {e}"))),
                None => Some(Msg::Command(Command::Quit)),
            },
            Some(msg) = rx.recv() => Some(msg),
            _ = spinner.tick() => None,
            _ = clock.tick() => live_clock.then(|| Msg::Tick(Timestamp::now_utc())),
            Some(signal) = stop.recv() => {
                if ending.is_some() || !migration_running(&app) {
                    // Nothing to finish, or asked twice: end now.
                    ending = ending.or(Some((signal, false)));
                    break;
                }
                ending = Some((signal, true));
                rt.stop_migration();
                Some(Msg::Interrupted(signal.to_string()))
            }
        };
        if let Some(msg) = msg {
            apply(&mut app, msg, &mut rt);
        }
    }
    rt.shutdown();
    match ending {
        Some((signal, true)) => ended_by(signal, &app),
        _ => Ok(()),
    }
}

/// Updates the app with `msg` and hands the effects to the runtime.
fn apply(app: &mut App, msg: Msg, rt: &mut Runtime) {
    for effect in update(app, msg) {
        rt.execute(effect, app);
    }
    // A tenant swapped out is freed off this thread, and the loads learn what is shown.
    rt.retire(app.take_retired());
    rt.observe(app);
}

/// Whether a migration (or its rollback) is under way on screen.
fn migration_running(app: &App) -> bool {
    app.migration_running()
}

/// How credwise ends after `signal` stopped a running migration: what became of it and how
/// to go on (printed once the terminal is restored), unless it had finished after all.
fn ended_by(signal: &str, app: &App) -> Result<(), Error> {
    let outcome = app.migration.as_ref().and_then(|m| m.outcome.as_ref());
    match outcome {
        Some(o) if o.completed => Ok(()),
        Some(o) => Err(Error::Interrupted(format!(
            "{signal}: {}",
            o.wording.one_line()
        ))),
        // A second signal ended the loop before the run could.
        None => Err(Error::Interrupted(format!(
            "{signal} twice: stopped in the middle of a step; the journal holds it as started, and `credwise migrate resume` checks it before acting again."
        ))),
    }
}
