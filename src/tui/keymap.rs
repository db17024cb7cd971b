//! Key bindings: the defaults in `assets/keymap.toml`, merged key by key with the user's
//! `keymap.toml`. A binding runs an `app::Command` by its serde name; its `desc` feeds the
//! help overlay and the status-bar hints, so they cannot go stale. Unknown contexts, fields,
//! keys or commands in a user file are errors that name the file and the culprit.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use crate::app::{Command, Pane};

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    Global,
    Nav,
    List,
    Details,
}

impl Context {
    pub fn of(pane: Pane) -> Self {
        match pane {
            Pane::Nav => Context::Nav,
            Pane::List => Context::List,
            Pane::Details => Context::Details,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Nav => "Navigation pane",
            Context::List => "Identity list",
            Context::Details => "Details pane",
        }
    }
}

/// A key with its modifiers, as written in the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` reduced to what bindings use, ordered for stable maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
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
        } else if let Some((name, _)) = NAMED.iter().find(|(n, _)| *n == rest) {
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

    /// The key a terminal event stands for, if bindings can name it.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, k)| *k == other)?.0),
        };
        Some(Key { code, ctrl, alt })
    }

    /// How the help overlay writes the key.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    on: Vec<String>,
    run: String,
    #[serde(default)]
    desc: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    global: Vec<BindingFile>,
    #[serde(default)]
    nav: Vec<BindingFile>,
    #[serde(default)]
    list: Vec<BindingFile>,
    #[serde(default)]
    details: Vec<BindingFile>,
}

/// One key's binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub run: Command,
    pub desc: String,
    /// Position in the files, so help lists keys in the order they were written.
    pub seq: usize,
}

/// All bindings, by context and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    map: BTreeMap<(Context, Key), Binding>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Keymap {
    /// The built-in bindings.
    pub fn defaults() -> Self {
        // The embedded defaults are tested (`defaults_parse`); an empty map is never used.
        Self::from_sources(DEFAULT_KEYMAP, None).unwrap_or(Keymap {
            map: BTreeMap::new(),
        })
    }

    /// The defaults merged with a user file's text; `user` is (file name, text).
    pub fn from_sources(defaults: &str, user: Option<(&Path, &str)>) -> Result<Self, KeymapError> {
        let mut map = BTreeMap::new();
        merge(&mut map, defaults, Path::new("assets/keymap.toml"))?;
        if let Some((path, text)) = user {
            merge(&mut map, text, path)?;
        }
        Ok(Keymap { map })
    }

    /// The command for `key` in the focused pane, falling back to the global bindings.
    pub fn lookup(&self, pane: Pane, key: &Key) -> Option<Command> {
        self.map
            .get(&(Context::of(pane), *key))
            .or_else(|| self.map.get(&(Context::Global, *key)))
            .map(|b| b.run)
            .filter(|c| *c != Command::None)
    }

    /// Every binding of a context, grouped by command: (keys, desc), in `Command::ALL` order.
    pub fn describe(&self, context: Context) -> Vec<(Vec<Key>, Command, String)> {
        let mut out: Vec<(Vec<Key>, Command, String)> = Vec::new();
        let mut bound: Vec<(&Key, &Binding)> = self
            .map
            .iter()
            .filter(|((ctx, _), b)| *ctx == context && b.run != Command::None)
            .map(|((_, k), b)| (k, b))
            .collect();
        bound.sort_by_key(|(_, b)| b.seq);
        for (key, b) in bound {
            match out.iter_mut().find(|(_, c, d)| *c == b.run && *d == b.desc) {
                Some(entry) => entry.0.push(*key),
                None => out.push((vec![*key], b.run, b.desc.clone())),
            }
        }
        let order = |c: &Command| {
            Command::ALL
                .iter()
                .position(|x| x == c)
                .unwrap_or(usize::MAX)
        };
        out.sort_by_key(|(keys, c, _)| (order(c), keys.first().copied()));
        out
    }

    /// The first key bound to `command` in `context` or globally, for hints.
    pub fn key_for(&self, context: Context, command: Command) -> Option<Key> {
        let find = |ctx: Context| {
            self.describe(ctx)
                .into_iter()
                .find(|(_, c, _)| *c == command)
                .and_then(|(keys, _, _)| keys.first().copied())
        };
        find(context).or_else(|| find(Context::Global))
    }
}

fn merge(
    map: &mut BTreeMap<(Context, Key), Binding>,
    text: &str,
    path: &Path,
) -> Result<(), KeymapError> {
    let invalid = |message: String| KeymapError::Invalid {
        file: path.display().to_string(),
        message,
    };
    let file: KeymapFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let contexts = [
        (Context::Global, "global", file.global),
        (Context::Nav, "nav", file.nav),
        (Context::List, "list", file.list),
        (Context::Details, "details", file.details),
    ];
    for (context, name, bindings) in contexts {
        for (i, b) in bindings.into_iter().enumerate() {
            let run = Command::from_name(&b.run).ok_or_else(|| {
                invalid(format!(
                    "[[{name}]] binding {}: unknown command {:?}",
                    i + 1,
                    b.run
                ))
            })?;
            if b.on.is_empty() {
                return Err(invalid(format!(
                    "[[{name}]] binding {}: `on` lists no key",
                    i + 1
                )));
            }
            for k in &b.on {
                let key = Key::parse(k).ok_or_else(|| {
                    invalid(format!("[[{name}]] binding {}: unknown key {k:?}", i + 1))
                })?;
                let desc = b
                    .desc
                    .clone()
                    .unwrap_or_else(|| run.name().replace('-', " "));
                let seq = map.len() + map.values().map(|b: &Binding| b.seq).max().unwrap_or(0);
                map.insert((context, key), Binding { run, desc, seq });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn defaults_parse() {
        let km = Keymap::from_sources(DEFAULT_KEYMAP, None).unwrap();
        assert_eq!(km.lookup(Pane::List, &key("j")), Some(Command::SelectNext));
        assert_eq!(km.lookup(Pane::List, &key("ctrl-c")), Some(Command::Quit));
        assert_eq!(km.lookup(Pane::Details, &key("enter")), Some(Command::Open));
        assert_eq!(km.lookup(Pane::List, &key("G")), Some(Command::SelectLast));
    }

    #[test]
    fn user_bindings_replace_key_by_key() {
        let user = "[[global]]\non = [\"x\"]\nrun = \"quit\"\n\n[[global]]\non = [\"q\"]\nrun = \"none\"\n";
        let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
        assert_eq!(km.lookup(Pane::List, &key("x")), Some(Command::Quit));
        assert_eq!(km.lookup(Pane::List, &key("q")), None);
        // ctrl-c shared the default binding with q and keeps it.
        assert_eq!(km.lookup(Pane::List, &key("ctrl-c")), Some(Command::Quit));
    }

    #[test]
    fn unknown_things_name_file_and_culprit() {
        let cases = [
            (
                "[[global]]\non=[\"x\"]\nrun=\"fly\"\n",
                "unknown command \"fly\"",
            ),
            (
                "[[global]]\non=[\"hyper-x\"]\nrun=\"quit\"\n",
                "unknown key \"hyper-x\"",
            ),
            ("[[global]]\non=[\"x\"]\nrun=\"quit\"\ncolour=1\n", "colour"),
            ("[[sidebar]]\non=[\"x\"]\nrun=\"quit\"\n", "sidebar"),
        ];
        for (text, want) in cases {
            let e = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("my/keymap.toml"), text)))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("my/keymap.toml: "), "{e}");
            assert!(e.contains(want), "{e} should mention {want}");
        }
    }

    #[test]
    fn keys_parse_and_label() {
        for s in [
            "j", "G", "?", "enter", "ctrl-c", "alt-x", "f1", "space", "pgdown",
        ] {
            assert!(Key::parse(s).is_some(), "{s}");
        }
        assert_eq!(key("shift-tab"), key("backtab"));
        assert!(Key::parse("f13").is_none());
        assert!(Key::parse("ab").is_none());
        assert_eq!(key("ctrl-d").label(), "ctrl-d");
        assert_eq!(key("down").label(), "↓");
    }

    #[test]
    fn events_map_to_keys() {
        let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), Some(key("ctrl-c")));
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Some(key("G")));
    }

    #[test]
    fn every_command_but_none_has_a_default_key() {
        let km = Keymap::defaults();
        for c in Command::ALL {
            if c == Command::None {
                continue;
            }
            let bound = [
                Context::Global,
                Context::Nav,
                Context::List,
                Context::Details,
            ]
            .iter()
            .any(|&ctx| km.describe(ctx).iter().any(|(_, cmd, _)| *cmd == c));
            assert!(bound, "{c:?} has no default key");
        }
    }
}
