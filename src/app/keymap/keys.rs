//! `Key` and `Keys`: a key with its modifiers as the keymap writes it (`ctrl-c`, `pgdown`,
//! `G`), parsed and labelled, and a binding of one key or two in sequence (`g g`).

/// A key with its modifiers, as written in the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// A key's code reduced to what bindings use, ordered for stable maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

/// The named keys a keymap may use (the terminal layer maps its key codes onto these names).
pub const NAMED_KEYS: &[&str] = &[
    "enter",
    "esc",
    "tab",
    "backtab",
    "up",
    "down",
    "left",
    "right",
    "pgup",
    "pgdown",
    "home",
    "end",
    "backspace",
    "delete",
    "insert",
];

impl Key {
    /// Parses `j`, `G`, `?`, `enter`, `ctrl-c`, `alt-x`, `shift-tab`, `f1`.
    pub fn parse(s: &str) -> Option<Key> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else if rest == "shift-tab" {
                rest = "backtab";
            } else {
                break;
            }
        }
        let code = if rest == "space" {
            KeyCodeOrd::Char(' ')
        } else if let Some(name) = NAMED_KEYS.iter().find(|n| **n == rest) {
            KeyCodeOrd::Named(name)
        } else if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return None;
            }
            KeyCodeOrd::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => {
                    KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c })
                }
                _ => return None,
            }
        };
        Some(Key { code, ctrl, alt })
    }

    /// How hints and the help overlay write the key.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.ctrl {
            s.push_str("ctrl-");
        }
        if self.alt {
            s.push_str("alt-");
        }
        match self.code {
            KeyCodeOrd::Char(' ') => s.push_str("space"),
            KeyCodeOrd::Char(c) => s.push(c),
            KeyCodeOrd::F(n) => s.push_str(&format!("f{n}")),
            KeyCodeOrd::Named(n) => s.push_str(match n {
                "up" => "↑",
                "down" => "↓",
                "left" => "←",
                "right" => "→",
                "backtab" => "shift-tab",
                other => other,
            }),
        }
        s
    }
}

/// What a binding is pressed with: one key, or a key after another (`g g`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Keys {
    pub prefix: Option<Key>,
    pub key: Key,
}

impl Keys {
    /// Parses a key (`j`, `ctrl-d`) or two separated by a space (`g g`).
    pub fn parse(s: &str) -> Option<Keys> {
        let mut parts = s.split_whitespace();
        let (a, b) = (parts.next()?, parts.next());
        if parts.next().is_some() {
            return None;
        }
        Some(match b {
            None => Keys {
                prefix: None,
                key: Key::parse(a)?,
            },
            Some(b) => Keys {
                prefix: Some(Key::parse(a)?),
                key: Key::parse(b)?,
            },
        })
    }

    /// How hints and the help overlay write the keys (`gg`, `ctrl-d`).
    pub fn label(&self) -> String {
        match self.prefix {
            Some(p) => format!("{}{}", p.label(), self.key.label()),
            None => self.key.label(),
        }
    }
}
