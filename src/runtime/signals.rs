//! The signals that ask credwise to stop, by name, as they arrive: SIGTERM (a CI runner
//! cancelling a job), SIGINT (Ctrl-C outside raw mode, or `kill -INT`) and SIGHUP (the
//! terminal closed); Ctrl-C elsewhere. The explorer's loop and the CLI's migration commands
//! both listen to this one stream: a running migration finishes or journals its step first.

use tokio::sync::mpsc;

/// A stream of the stop signals' names.
pub fn stop_signals() -> mpsc::UnboundedReceiver<&'static str> {
    let (tx, rx) = mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
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
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send("Ctrl-C");
        }
    });
    rx
}
