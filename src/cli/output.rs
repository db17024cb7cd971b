//! The one place that writes to stdout and stderr. Output to a closed pipe
//! (`credwise list | head`) ends quietly instead of panicking.
//!
//! Every line goes through `sanitize::text` on its way out: whatever a command formatted, no
//! tenant string can carry an escape sequence (OSC 52 writing the clipboard, CSI moving the
//! cursor) or a bidi override to the user's terminal or to the log it is piped into. JSON is
//! escaped before it gets here (`sanitize::json`), so this pass leaves it unchanged.

use std::io::Write;

/// Writes `text` to stdout; a closed pipe is not an error worth reporting.
pub fn print(text: &str) {
    let text = crate::sanitize::text(text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Writes raw bytes to stdout (man pages, completion scripts).
pub fn print_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|_| out.flush());
}

/// Writes a message line to stderr.
pub fn eprint(text: &str) {
    let text = crate::sanitize::text(text);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// True when stderr is a terminal: progress is drawn only there, never into a log or a pipe.
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// Redraws the progress line on stderr in place (`\r` + erase line); `None` clears it.
pub fn eprint_progress(text: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = match text {
        // Only the line-clearing escape is credwise's own; the progress text is sanitised.
        Some(t) => write!(err, "\r\x1b[2K{}", crate::sanitize::display(t)),
        None => write!(err, "\r\x1b[2K"),
    };
    let _ = err.flush();
}

/// Writes a prompt to stderr without a newline, so the answer is typed on the same line.
pub fn prompt(text: &str) {
    let text = crate::sanitize::text(text);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}
