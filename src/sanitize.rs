//! Tenant strings are untrusted: a display name can carry escape sequences that would move
//! the cursor, change colours or set the window title. Everything from a tenant passes through
//! `display` before it reaches a terminal: control characters (C0, DEL, C1) and the Unicode
//! bidirectional overrides are removed.

use std::borrow::Cow;

/// Whether `c` must never reach the terminal.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidi embeddings, overrides and isolates can reorder what is displayed.
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `s` without control, escape and bidi-override characters; borrowed when already clean.
pub fn display(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_unsafe) {
        Cow::Owned(s.chars().filter(|&c| !is_unsafe(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
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

    proptest! {
        #[test]
        fn output_never_holds_a_control_character(s in any::<String>()) {
            let out = display(&s);
            prop_assert!(!out.chars().any(is_unsafe));
            // Printable text is kept as it is.
            let kept: String = s.chars().filter(|&c| !is_unsafe(c)).collect();
            prop_assert_eq!(out.as_ref(), kept.as_str());
        }
    }
}
