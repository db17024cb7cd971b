//! The one place that writes to stdout and stderr. Output to a closed pipe
//! (`credwise list | head`) ends quietly instead of panicking.
//!
//! Every line goes through `sanitize::text` on its way out: whatever a command formatted, no
//! tenant string can carry an escape sequence (OSC 52 writing the clipboard, CSI moving the
//! cursor) or a bidi override to the user's terminal or to the log it is piped into. JSON is
//! escaped before it gets here (`sanitize::json`), so this pass leaves it unchanged.
//!
//! Large outputs (`list` and `audit` of a 150,000-identity tenant are 20–190 MB) are written
//! through `stream` piece by piece rather than built as one string first: issue #13 holds the
//! CLI under 400 MB on that tenant. The pieces get the same `sanitize::text` pass.

use std::io::{BufWriter, Write};

use super::CliError;

/// Writes `text` to stdout; a closed pipe is not an error worth reporting.
pub fn print(text: &str) {
    let text = crate::sanitize::text(text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Stdout for one long output, written piece by piece by `stream`'s caller: buffered, and
/// every piece sanitized as `print` does (a character split across two writes waits for its
/// other bytes, so the filter always sees whole characters).
pub type Stream = Sanitizing<BufWriter<std::io::StdoutLock<'static>>>;

/// A writer that passes on what it is given through `sanitize::text`, whole characters at a
/// time; `Stream` is one over stdout.
pub struct Sanitizing<W: Write> {
    out: W,
    /// The first bytes of a character whose rest has not been written yet.
    pending: Vec<u8>,
    /// An earlier write failed (a closed pipe): the output is over.
    failed: bool,
}

impl<W: Write> Sanitizing<W> {
    fn new(out: W) -> Self {
        Self {
            out,
            pending: Vec::new(),
            failed: false,
        }
    }

    fn write_text(&mut self, text: &str) -> std::io::Result<()> {
        self.out
            .write_all(crate::sanitize::text(text).as_bytes())
            .inspect_err(|_| self.failed = true)
    }
}

impl<W: Write> Write for Sanitizing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.pending.is_empty()
            && let Ok(text) = std::str::from_utf8(buf)
        {
            self.write_text(text)?;
            return Ok(buf.len());
        }
        self.pending.extend_from_slice(buf);
        let whole = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete character at the end: keep it for the next write.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // Not UTF-8 at all (nothing credwise writes): replaced, as `String` would have.
            Err(_) => {
                let text = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                self.write_text(&text)?;
                return Ok(buf.len());
            }
        };
        let head: Vec<u8> = self.pending.drain(..whole).collect();
        self.write_text(&String::from_utf8_lossy(&head))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush().inspect_err(|_| self.failed = true)
    }
}

/// Runs `write` on stdout as a `Stream` and flushes it. As with `print`, a failed write (a
/// closed pipe: `credwise list -o json | head`) ends the output quietly: `write` sees the
/// error and stops early, and it is not reported.
pub fn stream(write: impl FnOnce(&mut Stream) -> Result<(), CliError>) -> Result<(), CliError> {
    let mut s = Stream::new(BufWriter::with_capacity(1 << 16, std::io::stdout().lock()));
    let written = write(&mut s);
    let flushed = s.flush();
    if s.failed || flushed.is_err() {
        return Ok(());
    }
    written
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_sanitizes_whole_characters_split_across_writes() {
        let text = "é\u{1b}[2J日本\u{202E}x\n\tend";
        let bytes = text.as_bytes();
        // Every split point, so a character cut between two writes is met at every offset.
        for at in 0..=bytes.len() {
            let mut w = Sanitizing::new(Vec::new());
            w.write_all(&bytes[..at]).unwrap();
            w.write_all(&bytes[at..]).unwrap();
            w.flush().unwrap();
            assert_eq!(
                String::from_utf8(w.out).unwrap(),
                "é[2J日本x\n\tend",
                "split at {at}"
            );
        }
    }
}
