//! `--log-file FILE`: what credwise did, for a bug report — `tracing` events written to a file
//! only its owner may read (0600), never to the terminal. It holds credwise's own events (the
//! command, loads and their counts, each migration step, errors) and the SDK's request lines
//! (method, URL and allow-listed headers: azure_core redacts `Authorization` and any query
//! parameter not on its list). No secret value, token or key material is ever logged; tenant
//! strings are logged escaped (`Debug`), so a hostile name cannot drive the terminal that
//! `cat`s the file. `CREDWISE_LOG` (an `EnvFilter`, e.g. `debug`) changes what is kept.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// What is kept without `CREDWISE_LOG`: credwise at debug, the SDK's request lines, warnings
/// from everything else.
pub const DEFAULT_FILTER: &str = "warn,credwise=debug,typespec_client_core::http=debug";

/// Opens `path` for appending (created 0600; an existing file is made private) and sends
/// every `tracing` event there from now on.
pub fn init(path: &Path) -> std::io::Result<()> {
    let file = open(path)?;
    let filter = std::env::var("CREDWISE_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

fn open(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    super::files::make_private(path)?;
    Ok(file)
}
