//! Tenant strings are untrusted: a display name can carry escape sequences that would move
//! the cursor, change colours, set the window title or write the reader's clipboard (OSC 52),
//! and bidirectional overrides that make text read differently from what it is. Every writer
//! of text that a terminal may show goes through one of three functions here:
//!
//! - `display`: one line on screen (the TUI, table cells, messages): control characters (C0,
//!   DEL, C1, line breaks included) and the Unicode bidi controls are removed;
//! - `text`: a whole document (CLI output, Markdown records, exported decision records, CSV):
//!   the same, except that line feeds and tabs stay, so the layout survives;
//! - `json`: serialized JSON: the characters `serde_json` leaves raw (DEL, C1, the bidi
//!   controls) are written as `\uXXXX` escapes, so the JSON stays lossless — a parser reads
//!   back the exact tenant string — while the bytes on a terminal are inert. `JsonFormatter`
//!   does the same while serializing, for output too large to hold as one string.
//!
//! May import nothing of credwise.

use std::borrow::Cow;

/// Whether `c` must never reach the terminal.
fn is_unsafe(c: char) -> bool {
    // `is_control` is C0, DEL and C1 (U+0080–U+009F: a terminal reads U+009B as CSI).
    c.is_control() || is_bidi_control(c)
}

/// The Unicode bidirectional formatting characters: embeddings, overrides and isolates
/// reorder what is displayed (U+202E shows `exe.txt` as `txt.exe`), and the marks steer it.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// `s` without control, escape and bidi-override characters; borrowed when already clean.
pub fn display(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_unsafe) {
        Cow::Owned(s.chars().filter(|&c| !is_unsafe(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Whether `c` may stay in a multi-line document: line feeds and tabs are layout, not escapes.
fn is_unsafe_in_text(c: char) -> bool {
    c != '\n' && c != '\t' && is_unsafe(c)
}

/// A whole document for a terminal or a file a terminal may print (`cat`, `less -R`): as
/// `display`, but line feeds and tabs stay. A carriage return goes too: it moves the cursor
/// back over what a line already showed.
pub fn text(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_unsafe_in_text) {
        Cow::Owned(s.chars().filter(|&c| !is_unsafe_in_text(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Serialized JSON with every control and bidi character that is still raw written as a
/// `\uXXXX` escape. `serde_json` escapes C0 itself but writes DEL, C1 and the bidi controls
/// as they are. Outside strings JSON holds only ASCII punctuation and whitespace, so every
/// such character is inside a string, where the escape means the same character: nothing is
/// lost. JSON's own whitespace (line feeds, tabs, spaces) is left alone.
pub fn json(serialized: &str) -> Cow<'_, str> {
    if !serialized.chars().any(is_unsafe_in_text) {
        return Cow::Borrowed(serialized);
    }
    let mut out = String::with_capacity(serialized.len() + 16);
    for c in serialized.chars() {
        if is_unsafe_in_text(c) {
            // Every such character is in the Basic Multilingual Plane: one escape each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `serde_json`'s pretty formatter that escapes as `json` does, while serializing: the same
/// bytes as `json(&serde_json::to_string_pretty(v)?)`, written straight to a stream, so a
/// 150,000-identity listing or snapshot is never held as one string (issue #13's memory
/// budget). Strings are the only place such characters can be. Pretty by default; over
/// `CompactFormatter` it writes no whitespace (the tenant cache, read more than looked at).
#[derive(Default)]
pub struct JsonFormatter<F = serde_json::ser::PrettyFormatter<'static>>(F);

impl JsonFormatter {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for JsonFormatter<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| is_unsafe_in_text(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            // Every such character is in the Basic Multilingual Plane: one escape each.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Serializes `value` as pretty JSON into `writer` through `JsonFormatter`.
pub fn write_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, JsonFormatter::new());
    value.serialize(&mut ser)
}

/// Serializes `value` as JSON with no whitespace into `writer`, escaped as `write_json` does.
pub fn write_compact_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let formatter = JsonFormatter(serde_json::ser::CompactFormatter);
    let mut ser = serde_json::Serializer::with_formatter(writer, formatter);
    value.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(display("payroll\x1b[31m-api\x07"), "payroll[31m-api");
        assert_eq!(display("a\u{202E}b\u{9b}c\r\n"), "abc");
        assert!(matches!(display("café-menu"), Cow::Borrowed(_)));
    }

    #[test]
    fn documents_keep_their_lines_and_lose_their_escapes() {
        let osc52 = "a\x1b]52;c;ZXZpbA==\x07b\n\tc\r\u{7f}\u{9b}2J\u{202E}d\u{2067}\n";
        assert_eq!(text(osc52), "a]52;c;ZXZpbA==b\n\tc2Jd\n");
        assert!(matches!(text("# Title\n\n| a | b |\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_json_formatter_writes_what_json_makes_of_serde_output() {
        let v = serde_json::json!({
            "n": "x\x1b]52;c;QQ==\x07\u{7f}\u{9b}\u{202E}\u{2066}y\u{200F}",
            "list": [1, {"a": "caf\u{e9}\t\n"}, []],
            "empty": {},
        });
        let mut streamed = Vec::new();
        write_json(&mut streamed, &v).unwrap();
        let whole = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), json(&whole));
        assert_ne!(json(&whole), whole, "the case must need escapes");
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw_and_stays_lossless() {
        let name = "x\x1b]52;c;QQ==\x07\u{7f}\u{9b}\u{202E}\u{2066}y";
        let serialized = serde_json::to_string_pretty(&serde_json::json!({ "n": name })).unwrap();
        let escaped = json(&serialized);
        assert!(!escaped.chars().any(is_unsafe_in_text), "{escaped:?}");
        assert!(
            escaped.contains("\\u007f") && escaped.contains("\\u009b"),
            "{escaped}"
        );
        assert!(
            escaped.contains("\\u202e") && escaped.contains("\\u2066"),
            "{escaped}"
        );
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["n"], name);
        assert!(matches!(json("{\n  \"a\": 1\n}"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn output_never_holds_a_control_character(s in any::<String>()) {
            let out = display(&s);
            prop_assert!(!out.chars().any(is_unsafe));
            // Printable text is kept as it is.
            let kept: String = s.chars().filter(|&c| !is_unsafe(c)).collect();
            prop_assert_eq!(out.as_ref(), kept.as_str());
            let doc = text(&s);
            prop_assert!(!doc.chars().any(is_unsafe_in_text));
        }

        #[test]
        fn json_round_trips_any_string(s in any::<String>()) {
            let serialized = serde_json::to_string(&s).unwrap();
            let escaped = json(&serialized);
            prop_assert!(!escaped.chars().any(is_unsafe_in_text));
            let back: String = serde_json::from_str(&escaped).unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
