//! The effects that reach outside the tenant: the decision record's export, a migration
//! record copied to where credwise was started (never over a file), and a URL opened in a
//! browser (or shown, where there is none). Each answers with a `Msg`.

use std::io::Write;

use tokio::sync::mpsc;

use crate::app::Msg;

/// Writes the exported decision record next to where credwise was started.
pub(super) fn write_files(files: Vec<(String, String)>, tx: &mpsc::UnboundedSender<Msg>) {
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
pub(super) fn export_record(from: &str, tx: &mpsc::UnboundedSender<Msg>) {
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

/// Opens `url` in a browser where there is one; otherwise shows it to copy by hand.
pub(super) fn open_url(url: &str, tx: &mpsc::UnboundedSender<Msg>) {
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
