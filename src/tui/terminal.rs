//! The terminal: taken over for the explorer (raw mode, the alternate screen, mouse reporting
//! when configured) and restored on every way out — a normal quit, an error (the guard's
//! `Drop`), a panic (ratatui's hook, plus mouse reporting switched off) and a signal. Also the
//! clipboard, which a terminal provides over OSC 52 (locally or over SSH).

use std::io::Write;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::DefaultTerminal;

/// Restores the terminal when dropped, whatever path leaves the explorer.
pub struct TerminalGuard {
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

/// Takes the terminal over; the guard gives it back.
pub fn enter(mouse: bool) -> Result<(DefaultTerminal, TerminalGuard), String> {
    let terminal = ratatui::try_init().map_err(|e| format!("cannot use this terminal: {e}"))?;
    let guard = TerminalGuard { mouse };
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
    Ok((terminal, guard))
}

/// OSC 52: the terminal puts the text on the clipboard, locally or over SSH.
pub fn copy(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout();
    crossterm::execute!(
        out,
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
    )
    .and_then(|_| out.flush())
    .map_err(|e| e.to_string())
}
