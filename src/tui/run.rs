//! The event loop: terminal events, job results and timers in, `update`, effects out, render.
//! The terminal is restored on every way out: normal quit, error (a guard's `Drop`), panic
//! (ratatui's hook) and SIGTERM/SIGINT/SIGHUP from outside. A signal while a migration runs
//! first lets its current step finish or be journaled (the run is cancelled and the loop
//! waits for it to end, the screen saying so); a second signal ends at once (the journal
//! already holds the step as started, which `resume` checks before acting). Ctrl-C pressed in
//! the migration screen instead holds the run before its next step while it asks.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyCode, KeyEvent, KeyEventKind,
    KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::keymap::Key;
use super::theme::Theme;
use super::ui_state::UiState;
use super::view;
use crate::app::migration::MigrateKey;
use crate::app::{App, Command, Effect, Mode, Msg, Pane, update};
use crate::backend::{Backend, Progress};
use crate::cli::CliError;
use crate::domain::Timestamp;
use crate::domain::audit::AuditOptions;
use crate::domain::audit::suppress::Suppression;
use crate::store::cache::CacheSlot;
use crate::store::journal::SourceRecord;
use crate::{config, jobs, store};

/// Restores the terminal when dropped, whatever path leaves `run`.
struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.mouse {
            let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        }
        ratatui::restore();
        // ratatui's restore leaves the alternate screen and raw mode but not the hidden
        // cursor; a shell after a signal-ended run needs it back.
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
    }
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
) -> Result<(), CliError> {
    // Configuration errors are reported before the screen is taken over.
    let settings =
        config::load(store::paths::config_dir()).map_err(|e| CliError::usage(e.to_string()))?;
    let mut app = App::new(backend.describe(), read_only, now);
    app.thresholds = settings.config.thresholds();
    app.sort = settings.config.sort();
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
    let ui = UiState::new(settings.keymap, Theme::from_env());
    event_loop(
        app,
        ui,
        Some(Source {
            backend,
            cache,
            record,
        }),
        settings.suppressions,
        settings.config.ui.mouse,
        live_clock,
    )
    .await
}

/// `credwise wizard`: the decision wizard alone, full-screen. No tenant, no network, no
/// credential is looked up.
pub async fn run_wizard(now: Timestamp) -> Result<(), CliError> {
    let settings =
        config::load(store::paths::config_dir()).map_err(|e| CliError::usage(e.to_string()))?;
    let table = crate::app::wizard::decision_table().map_err(|e| CliError::usage(e.to_string()))?;
    let app = App::standalone_wizard(Arc::new(table), now);
    let ui = UiState::new(settings.keymap, Theme::from_env());
    event_loop(app, ui, None, Vec::new(), settings.config.ui.mouse, false).await
}

/// Where the explorer's tenant comes from: the backend, and the cache it starts from.
struct Source {
    backend: Arc<dyn Backend>,
    cache: Option<CacheSlot>,
    /// What a migration's journal records as its source, for `resume` and `rollback`.
    record: SourceRecord,
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
) -> Result<(), CliError> {
    let mut terminal = ratatui::try_init()
        .map_err(|e| CliError::usage(format!("cannot use this terminal: {e}")))?;
    let _guard = TerminalGuard { mouse };
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
        // ratatui's hook (installed by `try_init`) restores raw mode and the screen but not
        // mouse reporting; without this a panic leaves the shell printing escape codes on
        // every mouse move.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
            previous(info);
        }));
    }

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut rt = Runtime {
        source,
        suppressions,
        tx: tx.clone(),
        load_cancel: CancellationToken::new(),
        migration_cancel: CancellationToken::new(),
        migration_pause: watch::channel(false).0,
        live_clock,
    };
    if rt.source.is_some() {
        super::migration_run::find_open_journal(&tx);
    }
    if let Some(source) = &rt.source {
        start_load(
            source,
            true,
            &tx,
            &mut rt.load_cancel,
            audit_options(&app),
            rt.suppressions.clone(),
        );
    }

    let mut events = EventStream::new();
    let mut spinner = tokio::time::interval(Duration::from_millis(250));
    let mut clock = tokio::time::interval(Duration::from_secs(60));
    clock.tick().await;
    let mut terminate = signal_stream();
    // Set when a signal asked credwise to end: its name, and whether a migration was running
    // then (the loop goes on until the run has finished or journaled its step).
    let mut ending: Option<(&'static str, bool)> = None;

    loop {
        terminal
            .draw(|f| view::render(&app, &mut ui, f))
            .map_err(|e| CliError::usage(format!("cannot draw: {e}")))?;
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
                    let mut msgs = to_msgs(&app, &ui, &ev);
                    let last = msgs.pop();
                    for m in msgs {
                        apply(&mut app, m, &mut rt);
                    }
                    last
                }
                Some(Err(e)) => return Err(CliError::usage(format!("terminal input failed: {e}"))),
                None => Some(Msg::Command(Command::Quit)),
            },
            Some(msg) = rx.recv() => Some(msg),
            _ = spinner.tick() => None,
            _ = clock.tick() => live_clock.then(|| Msg::Tick(Timestamp::now_utc())),
            Some(signal) = terminate.recv() => {
                if ending.is_some() || !migration_running(&app) {
                    // Nothing to finish, or asked twice: end now.
                    ending = ending.or(Some((signal, false)));
                    break;
                }
                ending = Some((signal, true));
                rt.migration_cancel.cancel();
                rt.migration_pause.send_replace(false);
                Some(Msg::Interrupted(signal.to_string()))
            }
        };
        if let Some(msg) = msg {
            apply(&mut app, msg, &mut rt);
        }
    }
    rt.load_cancel.cancel();
    // A running migration stops between steps; its journal keeps the place for `resume`.
    rt.migration_cancel.cancel();
    rt.migration_pause.send_replace(false);
    match ending {
        Some((signal, true)) => ended_by(signal, &app),
        _ => Ok(()),
    }
}

/// Whether a migration (or its rollback) is under way on screen.
fn migration_running(app: &App) -> bool {
    app.migration
        .as_ref()
        .is_some_and(|m| m.stage == crate::app::migration::Stage::Running)
}

/// How credwise ends after `signal` stopped a running migration: what became of it and how
/// to go on (printed once the terminal is restored), unless it had finished after all.
fn ended_by(signal: &str, app: &App) -> Result<(), CliError> {
    let outcome = app.migration.as_ref().and_then(|m| m.outcome.as_ref());
    match outcome {
        Some(o) if o.completed => Ok(()),
        Some(o) => Err(CliError {
            code: 3,
            message: format!("{signal}: {}", o.wording.one_line()),
        }),
        // A second signal ended the loop before the run could.
        None => Err(CliError {
            code: 3,
            message: format!(
                "{signal} twice: stopped in the middle of a step; the journal holds it as started, and `credwise migrate resume` checks it before acting again."
            ),
        }),
    }
}

/// What the loop carries out effects with.
struct Runtime {
    source: Option<Source>,
    suppressions: Vec<Suppression>,
    tx: mpsc::UnboundedSender<Msg>,
    load_cancel: CancellationToken,
    migration_cancel: CancellationToken,
    /// The gate of the running migration (`true`: hold before the next step).
    migration_pause: watch::Sender<bool>,
    live_clock: bool,
}

/// Updates the app with `msg` and carries out the effects.
fn apply(app: &mut App, msg: Msg, rt: &mut Runtime) {
    let tx = rt.tx.clone();
    for effect in update(app, msg) {
        match effect {
            Effect::Load => {
                if let Some(source) = &rt.source {
                    let options = audit_options(app);
                    let suppressions = rt.suppressions.clone();
                    start_load(
                        source,
                        false,
                        &tx,
                        &mut rt.load_cancel,
                        options,
                        suppressions,
                    );
                }
            }
            Effect::Copy(text) => copy(&text, &tx),
            Effect::OpenUrl(url) => open_url(&url, &tx),
            Effect::WriteFiles(files) => write_files(files, &tx),
            Effect::RunMigration(request) => {
                if let Some(source) = &rt.source {
                    rt.migration_pause.send_replace(false);
                    let ctx = migration_context(source, app, rt);
                    let cancel = &mut rt.migration_cancel;
                    super::migration_run::start(ctx, *request, &tx, cancel);
                }
            }
            Effect::PauseMigration(hold) => {
                rt.migration_pause.send_replace(hold);
            }
            Effect::StopMigration => {
                rt.migration_cancel.cancel();
                rt.migration_pause.send_replace(false);
            }
            Effect::ExportRecord(from) => export_record(&from, &tx),
            Effect::ContinueMigration {
                journal_id,
                rollback,
            } => {
                if let Some(source) = &rt.source {
                    rt.migration_pause.send_replace(false);
                    let ctx = migration_context(source, app, rt);
                    let cancel = &mut rt.migration_cancel;
                    let mode = rollback.then_some(crate::jobs::migrate::RollbackMode::Safe);
                    super::migration_run::resume(ctx, journal_id, mode, &tx, cancel);
                }
            }
            Effect::RollbackMigration { journal_id, mode } => {
                if let Some(source) = &rt.source {
                    rt.migration_pause.send_replace(false);
                    let ctx = migration_context(source, app, rt);
                    let cancel = &mut rt.migration_cancel;
                    super::migration_run::resume(ctx, journal_id, Some(mode), &tx, cancel);
                }
            }
        }
    }
}

fn migration_context(source: &Source, app: &App, rt: &Runtime) -> super::migration_run::Context {
    super::migration_run::Context {
        backend: source.backend.clone(),
        now: app.now,
        live_clock: rt.live_clock,
        source: source.record.clone(),
        pause: crate::jobs::migrate::Pause::new(rt.migration_pause.subscribe()),
    }
}

/// The audit the load job runs: today, and the warning window of the config.
fn audit_options(app: &App) -> AuditOptions {
    let mut options = AuditOptions::new(app.now);
    options.expiring_within_days = app.thresholds.warning_days;
    options
}

/// Loads the tenant in the background: first from the cache when `from_cache` (the explorer
/// opens at once on the last snapshot), then from the backend, remembering the result in the
/// cache. A newer load cancels an older one.
fn start_load(
    source: &Source,
    from_cache: bool,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) {
    cancel.cancel();
    *cancel = CancellationToken::new();
    let (ptx, mut prx) = mpsc::unbounded_channel();
    let progress = Progress::new(ptx, cancel.clone());
    let backend = source.backend.clone();
    let cache = source.cache.clone();
    let tx = tx.clone();
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(p) = prx.recv().await {
            if forward.send(Msg::LoadProgress(p)).is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        // A cache that cannot be read is said at once and again with the fresh tenant, so
        // the message outlives the load that replaces it.
        let mut cache_problem = None;
        if let Some(slot) = cache.clone().filter(|_| from_cache) {
            match jobs::load::from_cache(slot, options.clone(), suppressions.clone()).await {
                Ok(Some(a)) => {
                    let _ = tx.send(loaded(a));
                }
                Ok(None) => {}
                Err(e) => {
                    let _ = tx.send(Msg::EffectFailed(e.clone()));
                    cache_problem = Some(e);
                }
            }
        }
        match jobs::load::load(backend, progress, options, suppressions).await {
            Ok(mut a) => {
                let snapshot = a.dir.shared_snapshot();
                if let Some(message) = cache_problem {
                    a.warnings.push(crate::backend::Warning {
                        area: "cache".into(),
                        message,
                    });
                }
                let _ = tx.send(loaded(a));
                if let Some(slot) = cache {
                    let remembered = crate::backend::Loaded {
                        snapshot,
                        warnings: vec![],
                    };
                    if let Err(e) = crate::backend::cache::remember(&slot, &remembered).await {
                        let _ = tx.send(Msg::EffectFailed(e));
                    }
                }
            }
            Err(crate::backend::Error::Cancelled) => {}
            Err(e) => {
                let _ = tx.send(Msg::LoadFailed(e.to_string()));
            }
        }
    });
}

fn loaded(a: jobs::load::Audited) -> Msg {
    Msg::TenantLoaded {
        dir: Box::new(a.dir),
        audit: Some(Box::new((a.report, a.overview))),
        warnings: a.warnings,
        cached_at: a.cached_at,
    }
}

/// Writes the exported decision record next to where credwise was started.
fn write_files(files: Vec<(String, String)>, tx: &mpsc::UnboundedSender<Msg>) {
    let mut written = Vec::new();
    for (path, contents) in files {
        if let Err(e) = std::fs::write(&path, contents) {
            let _ = tx.send(Msg::EffectFailed(format!("could not write {path}: {e}")));
            return;
        }
        written.push(path);
    }
    let _ = tx.send(Msg::Exported(written));
}

/// Copies a migration record next to where credwise was started, never over a file.
fn export_record(from: &str, tx: &mpsc::UnboundedSender<Msg>) {
    let name = std::path::Path::new(from)
        .file_name()
        .map(|n| format!("credwise-migration-{}", n.to_string_lossy()))
        .unwrap_or_else(|| "credwise-migration.md".into());
    let result = std::fs::read_to_string(from).and_then(|text| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&name)?;
        // A record written by an older credwise may still hold a tenant's escape sequences.
        f.write_all(crate::sanitize::text(&text).as_bytes())
    });
    let _ = tx.send(match result {
        Ok(()) => Msg::Notice(format!("exported the migration record to {name}")),
        Err(e) => Msg::EffectFailed(format!("could not export the record to {name}: {e}")),
    });
}

/// OSC 52: the terminal puts the text on the clipboard, locally or over SSH.
fn copy(text: &str, tx: &mpsc::UnboundedSender<Msg>) {
    let mut out = std::io::stdout();
    let result = crossterm::execute!(
        out,
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
    )
    .and_then(|_| out.flush());
    if let Err(e) = result {
        let _ = tx.send(Msg::EffectFailed(format!("could not copy: {e}")));
    }
}

/// Opens `url` in a browser where there is one; otherwise shows it to copy by hand.
fn open_url(url: &str, tx: &mpsc::UnboundedSender<Msg>) {
    let graphical = cfg!(any(target_os = "macos", target_os = "windows"))
        || ["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    let msg = if graphical && open::that_detached(url).is_ok() {
        Msg::Notice(format!("opened {url}"))
    } else {
        Msg::Notice(format!("no browser here; open: {url}"))
    };
    let _ = tx.send(msg);
}

/// SIGTERM, SIGINT and SIGHUP from outside, by name. In raw mode the Ctrl-C key is a key
/// event, not a SIGINT: a SIGINT here came from `kill` (or a CI runner cancelling a job).
#[cfg(unix)]
fn signal_stream() -> mpsc::UnboundedReceiver<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = mpsc::unbounded_channel();
    for (kind, name) in [
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::hangup(), "SIGHUP"),
    ] {
        if let Ok(mut s) = signal(kind) {
            let tx = tx.clone();
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    let _ = tx.send(name);
                }
            });
        }
    }
    rx
}

#[cfg(not(unix))]
fn signal_stream() -> mpsc::UnboundedReceiver<&'static str> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send("Ctrl-C");
        }
    });
    rx
}

/// Turns a terminal event into messages, through the keymap in normal mode.
pub fn to_msgs(app: &App, ui: &UiState, ev: &Event) -> Vec<Msg> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            if let Some(msg) = key_msg(app, ui, ev, key) {
                return vec![msg];
            }
            // A terminal sends Esc then a key as Alt+key when they arrive together (slow
            // SSH, paste). An unbound Alt+key in normal mode is that: Esc, then the key.
            if matches!(app.mode, Mode::Normal | Mode::Help | Mode::Wizard)
                && key.modifiers.contains(KeyModifiers::ALT)
            {
                let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
                let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
                return [esc, plain]
                    .iter()
                    .filter_map(|k| {
                        Key::from_event(k).and_then(|k| ui.keymap.lookup(app.focus, &k))
                    })
                    .map(Msg::Command)
                    .collect();
            }
            Vec::new()
        }
        Event::Mouse(m) if matches!(app.mode, Mode::Normal | Mode::Filter | Mode::Command) => {
            mouse_msg(app, ui, m).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

fn key_msg(app: &App, ui: &UiState, ev: &Event, key: &KeyEvent) -> Option<Msg> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if app.mode == Mode::Migrate {
        return migrate_key(app, ev, key, ctrl_c).map(Msg::MigrateKey);
    }
    // Ctrl-C leaves from anywhere, even mid-typing.
    if ctrl_c {
        return Some(Msg::Command(Command::Quit));
    }
    match app.mode {
        Mode::Filter => match key.code {
            KeyCode::Esc => Some(Msg::FilterCancel),
            KeyCode::Enter => Some(Msg::FilterAccept),
            KeyCode::Down => Some(Msg::Command(Command::SelectNext)),
            KeyCode::Up => Some(Msg::Command(Command::SelectPrev)),
            _ => tui_input::backend::crossterm::to_input_request(ev).map(Msg::FilterEdit),
        },
        Mode::Command => match key.code {
            KeyCode::Esc => Some(Msg::CommandCancel),
            KeyCode::Enter => Some(Msg::CommandAccept),
            KeyCode::Tab => Some(Msg::CommandComplete),
            _ => tui_input::backend::crossterm::to_input_request(ev).map(Msg::CommandEdit),
        },
        // Handled by `migrate_key` above.
        Mode::Migrate => None,
        Mode::Normal | Mode::Help | Mode::Wizard => {
            let k = Key::from_event(key)?;
            ui.keymap.lookup(app.focus, &k).map(Msg::Command)
        }
    }
}

/// Keys under a migration: Ctrl-C asks before a running step is stopped; letters are text
/// where a field or the confirmation takes text, and commands elsewhere.
fn migrate_key(app: &App, ev: &Event, key: &KeyEvent, ctrl_c: bool) -> Option<MigrateKey> {
    if ctrl_c {
        return Some(MigrateKey::Interrupt);
    }
    let typing = app.migration.as_ref().is_some_and(|m| m.is_typing());
    Some(match key.code {
        KeyCode::Up => MigrateKey::Up,
        KeyCode::Down => MigrateKey::Down,
        KeyCode::Tab => MigrateKey::Next,
        KeyCode::BackTab => MigrateKey::Prev,
        KeyCode::PageUp => MigrateKey::PageUp,
        KeyCode::PageDown => MigrateKey::PageDown,
        KeyCode::Enter => MigrateKey::Enter,
        KeyCode::Esc => MigrateKey::Esc,
        KeyCode::Left if !typing => MigrateKey::Left,
        KeyCode::Right if !typing => MigrateKey::Right,
        KeyCode::Char(c) if !typing && !key.modifiers.contains(KeyModifiers::CONTROL) => {
            MigrateKey::Char(c)
        }
        _ if typing => MigrateKey::Edit(tui_input::backend::crossterm::to_input_request(ev)?),
        _ => return None,
    })
}

fn contains(r: Option<ratatui::layout::Rect>, x: u16, y: u16) -> bool {
    r.is_some_and(|r| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
}

fn mouse_msg(app: &App, ui: &UiState, m: &MouseEvent) -> Option<Msg> {
    let (x, y) = (m.column, m.row);
    let a = &ui.areas;
    let pane = if contains(a.nav, x, y) {
        Pane::Nav
    } else if contains(a.details, x, y) {
        Pane::Details
    } else {
        Pane::List
    };
    match m.kind {
        MouseEventKind::ScrollDown => Some(Msg::Scroll(pane, 3)),
        MouseEventKind::ScrollUp => Some(Msg::Scroll(pane, -3)),
        MouseEventKind::Down(MouseButton::Left) => match pane {
            Pane::Nav => a
                .nav_rows
                .iter()
                .find(|(row, _)| *row == y)
                .map(|(_, i)| Msg::ClickNav(*i)),
            Pane::Details if contains(a.details, x, y) => Some(Msg::ClickDetails(
                a.link_rows
                    .iter()
                    .find(|(row, _)| *row == y)
                    .map(|(_, i)| *i),
            )),
            _ => {
                let rows = a.list_rows?;
                contains(Some(rows), x, y)
                    .then(|| Msg::ClickList(ui.list_offset + (y - rows.y) as usize))
                    .filter(|_| !app.visible.is_empty())
            }
        },
        _ => None,
    }
}
