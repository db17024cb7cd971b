//! The composition root: parses the command line, reads the clock, picks the concrete backend
//! (the only place that names one) and hands over to the CLI commands or the explorer.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use credwise::app::OpenRequest;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig};
use credwise::backend::read_only::ReadOnly;
use credwise::backend::snapshot::SnapshotBackend;
use credwise::backend::{self, Backend};
use credwise::cli::{self, AuthArg, Cli, CliError, CloudArg, Command, SourceArgs, output};
use credwise::domain::{Cloud, Timestamp};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = &cli.log_file
        && let Err(e) = credwise::store::log_file::init(path)
    {
        return fail(CliError::usage(format!(
            "--log-file {}: {e}",
            path.display()
        )));
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        command = command_name(cli.command.as_ref()),
        read_only = cli.read_only,
        "credwise started"
    );
    clean_up_after_interrupted_writes();
    let now = match now() {
        Ok(now) => now,
        Err(e) => return fail(e),
    };
    let runtime = match credwise::runtime::threads::runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(CliError::usage(format!("cannot start the runtime: {e}"))),
    };
    match runtime.block_on(run(cli, now)) {
        Ok(()) => {
            tracing::info!(code = 0, "credwise ended");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// A write that was interrupted (a kill mid-save) leaves its temporary file behind: the
/// directories credwise keeps for itself are swept of old ones at every start (a directory a
/// snapshot is written to is swept on the first write into it).
fn clean_up_after_interrupted_writes() {
    use credwise::store::{files, paths};
    let journals = paths::data_dir().map(|d| d.join("journals"));
    for dir in [paths::cache_dir(), journals].into_iter().flatten() {
        files::clean_stale_temp_files(&dir);
    }
}

/// The command's name for the log (its arguments stay out: paths and names are the user's).
fn command_name(c: Option<&Command>) -> &'static str {
    match c {
        None => "explorer",
        Some(Command::List(_)) => "list",
        Some(Command::Show(_)) => "show",
        Some(Command::Audit(_)) => "audit",
        Some(Command::Snapshot(_)) => "snapshot",
        Some(Command::Wizard(_)) => "wizard",
        Some(Command::Migrate(_)) => "migrate",
        Some(Command::Completions { .. }) => "completions",
        Some(Command::Man) => "man",
    }
}

fn fail(e: CliError) -> ExitCode {
    tracing::warn!(code = e.code, error = ?e.message, "credwise ended with an error");
    output::eprint(&format!("credwise: {}", e.message));
    ExitCode::from(e.code)
}

/// The current time; `CREDWISE_NOW` (RFC 3339) pins it, so demos, screenshots and tests
/// show the same "in 12d" every day.
fn now() -> Result<Timestamp, CliError> {
    match std::env::var("CREDWISE_NOW") {
        Ok(v) => {
            Timestamp::parse(&v, &time::format_description::well_known::Rfc3339).map_err(|e| {
                CliError::usage(format!("CREDWISE_NOW={v:?} is not an RFC 3339 time: {e}"))
            })
        }
        Err(_) => Ok(Timestamp::now_utc()),
    }
}

/// Opens SOURCE for a CLI command: the backend, and the cache slot a live tenant's loads are
/// remembered in (`jobs::load`), the one the explorer starts from.
fn open_cli_source(
    source: &SourceArgs,
    read_only: bool,
    now: Timestamp,
) -> Result<credwise::jobs::load::Source, CliError> {
    Ok(credwise::jobs::load::Source {
        backend: open_source(source, read_only, now)?,
        cache: source.cache_slot(),
    })
}

/// Opens SOURCE: the demo tenant, a snapshot file, or the live tenant.
fn open_source(
    source: &SourceArgs,
    read_only: bool,
    now: Timestamp,
) -> Result<Arc<dyn Backend>, CliError> {
    let backend: Arc<dyn Backend> = if source.demo {
        Arc::new(SnapshotBackend::in_memory(
            backend::demo::snapshot(now),
            "demo",
        ))
    } else if let Some(path) = &source.snapshot {
        Arc::new(SnapshotBackend::from_file(path.clone())?)
    } else {
        Arc::new(LiveBackend::new(live_config(source, now))?)
    };
    Ok(if read_only {
        Arc::new(ReadOnly(backend))
    } else {
        backend
    })
}

/// The live source's settings from the command line. The backend's clock follows `now()`:
/// pinned by `CREDWISE_NOW`, the real clock otherwise.
fn live_config(source: &SourceArgs, now: Timestamp) -> LiveConfig {
    let pinned = std::env::var_os("CREDWISE_NOW").is_some();
    let clock = Arc::new(move || if pinned { now } else { Timestamp::now_utc() });
    LiveConfig {
        cloud: match source.cloud {
            CloudArg::Public => Cloud::Public,
            CloudArg::Usgov => Cloud::Usgov,
            CloudArg::China => Cloud::China,
        },
        auth: match source.auth {
            AuthArg::Auto => AuthMode::Auto,
            AuthArg::Cli => AuthMode::Cli,
            AuthArg::DeveloperTools => AuthMode::DeveloperTools,
            AuthArg::ManagedIdentity => AuthMode::ManagedIdentity,
            AuthArg::WorkloadIdentity => AuthMode::WorkloadIdentity,
            AuthArg::None => AuthMode::None,
        },
        tenant: source.tenant.clone().filter(|t| !t.trim().is_empty()),
        graph_url: source.graph_url.clone(),
        arm_url: source.arm_url.clone(),
        subscriptions: source.subscriptions.clone(),
        ..LiveConfig::new(clock)
    }
}

/// How the explorer's end becomes the CLI contract's exit code: it could not start or go on
/// (a bad configuration file, an unusable terminal) is bad usage; a signal that stopped a
/// running migration exits as an interrupted CLI migration does.
fn explorer_error(e: credwise::tui::Error) -> CliError {
    let code = match e {
        credwise::tui::Error::Setup(_) => cli::exit::USAGE,
        credwise::tui::Error::Interrupted(_) => cli::exit::SERVICE,
    };
    CliError {
        code,
        message: e.to_string(),
    }
}

/// Remembers a snapshot file that was opened or written, for the explorer's `:open` list
/// (`store::recent`). A convenience: a failure is logged, never the command's.
fn remember_snapshot(path: &std::path::Path, now: Timestamp) {
    let Some(list) = credwise::store::recent::default_path() else {
        return;
    };
    if let Err(e) = credwise::store::recent::remember(&list, path, now) {
        tracing::warn!(list = ?list, error = %e, "the recent snapshots list was not updated");
    }
}

/// `result`, remembering `path` (a snapshot read or written) when it is a success.
fn remembering<T>(
    result: Result<T, CliError>,
    path: Option<&std::path::Path>,
    now: Timestamp,
) -> Result<T, CliError> {
    if let (Ok(_), Some(path)) = (&result, path) {
        remember_snapshot(path, now);
    }
    result
}

async fn run(cli: Cli, now: Timestamp) -> Result<(), CliError> {
    let read_only = cli.read_only;
    match &cli.command {
        None => {
            let backend = open_source(&cli.source, read_only, now)?;
            if let Some(path) = &cli.source.snapshot {
                remember_snapshot(path, now);
            }
            let record = cli.source.record(backend.describe());
            let base = cli.source.clone();
            // `d` on the sign-in screen, `:demo` and `:open FILE`: the source the command line
            // would have opened, with the same --read-only.
            let opener: credwise::runtime::Opener = Box::new(move |request| {
                let mut args = base.clone();
                args.demo = false;
                args.snapshot = None;
                match request {
                    OpenRequest::Demo => args.demo = true,
                    OpenRequest::Snapshot(path) => {
                        // The shell would have expanded `~/`; the command line does it here.
                        let home = std::env::var_os("HOME");
                        args.snapshot = Some(match (path.strip_prefix("~/"), home) {
                            (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
                            _ => path.into(),
                        });
                    }
                }
                let backend = open_source(&args, read_only, now).map_err(|e| e.message)?;
                if let Some(path) = &args.snapshot {
                    remember_snapshot(path, now);
                }
                Ok(credwise::runtime::Source {
                    record: args.record(backend.describe()),
                    tenant: credwise::jobs::load::Source {
                        backend,
                        cache: args.cache_slot(),
                    },
                })
            });
            credwise::tui::run(
                backend,
                cli.source.cache_slot(),
                record,
                read_only,
                now,
                std::env::var_os("CREDWISE_NOW").is_none(),
                opener,
            )
            .await
            .map_err(explorer_error)
        }
        Some(Command::List(args)) => {
            let source = open_cli_source(&cli.source, read_only, now)?;
            let done = cli::list::run(args, &source, now).await;
            remembering(done, cli.source.snapshot.as_deref(), now)
        }
        Some(Command::Show(args)) => {
            let source = open_cli_source(&cli.source, read_only, now)?;
            let done = cli::show::run(args, &source, now).await;
            remembering(done, cli.source.snapshot.as_deref(), now)
        }
        Some(Command::Audit(args)) => {
            let source = open_cli_source(&cli.source, read_only, now)?;
            let done = cli::audit::run(args, &source, now).await;
            remembering(done, cli.source.snapshot.as_deref(), now)
        }
        Some(Command::Snapshot(cli::snapshot::SnapshotCommand::Save(args))) => {
            let source = open_cli_source(&cli.source, read_only, now)?;
            let done = cli::snapshot::save(args, &source).await;
            remembering(done, Some(&args.out), now)
        }
        Some(Command::Snapshot(cli::snapshot::SnapshotCommand::ImportAz(args))) => {
            let done = cli::snapshot::import_az(args, cli.source.tenant.as_deref(), now);
            remembering(done, Some(&args.out), now)
        }
        Some(Command::Wizard(args)) => {
            cli::wizard::check_no_source(&cli.source)?;
            match &args.answers {
                Some(file) => cli::wizard::run(args, file, now),
                None => credwise::tui::run_wizard(now).await.map_err(explorer_error),
            }
        }
        Some(Command::Migrate(cmd)) => {
            let pinned = std::env::var_os("CREDWISE_NOW").is_some();
            let clock: cli::migrate::Clock = if pinned {
                std::sync::Arc::new(move || now)
            } else {
                std::sync::Arc::new(Timestamp::now_utc)
            };
            let open = |source: &SourceArgs| open_source(source, read_only, now);
            let env = cli::migrate::Env {
                source: &cli.source,
                read_only,
                clock,
                open: &open,
            };
            cli::migrate::run(cmd, &env).await
        }
        Some(Command::Completions { shell }) => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "credwise", &mut buf);
            output::print_bytes(&buf);
            Ok(())
        }
        Some(Command::Man) => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| CliError::usage(format!("cannot render the man page: {e}")))?;
            output::print_bytes(&buf);
            Ok(())
        }
    }
}
