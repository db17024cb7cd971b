//! Key bindings, the one source of what a key does and of what the screen says about it: the
//! defaults in `assets/keymap.toml`, merged key by key with the user's `keymap.toml`. Every
//! mode of the explorer has a context (`App::context`); a binding runs an `app::Command` by its
//! serde name in its context, and its `desc` is what the status bar's hints and the `?` overlay
//! say — both are generated from here, so a user's rebind shows. Unknown contexts, fields, keys
//! or commands in a user file are errors that name the file and the culprit.
//!
//! A binding's key may be two keys pressed one after the other (`"g g"`, as in vim); a key
//! bound alone wins over the sequences it starts, so such a sequence is never reachable.
//!
//! Pure: the terminal's key events are turned into `Key`s by `tui::input`. May import serde,
//! toml and the rest of `app`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::Command;

pub const DEFAULT_KEYMAP: &str = include_str!("../../../assets/keymap.toml");

mod context;
mod keys;
#[cfg(test)]
mod tests;

pub use context::Context;
pub use keys::{Key, KeyCodeOrd, Keys, NAMED_KEYS};

/// What a key does after the keys pressed before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Run(Command),
    /// The key starts a sequence: wait for the next.
    Pending,
    Unbound,
}

/// Hint labels joined for one description: arrows pair up (`↑↓`, `←→`), a run of three or
/// more consecutive digits becomes a range (`1-3`), the rest is joined with `/`.
fn join_labels(labels: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < labels.len() {
        let l = &labels[i];
        let next = labels.get(i + 1).map(String::as_str);
        let pair = matches!(
            (l.as_str(), next),
            ("↑", Some("↓")) | ("↓", Some("↑")) | ("←", Some("→")) | ("→", Some("←"))
        );
        if pair {
            parts.push(format!("{l}{}", next.unwrap_or_default()));
            i += 2;
            continue;
        }
        let digit = |s: &str| s.len() == 1 && s.as_bytes()[0].is_ascii_digit();
        if digit(l) {
            let mut j = i;
            while labels
                .get(j + 1)
                .is_some_and(|n| digit(n) && n.as_bytes()[0] == labels[j].as_bytes()[0] + 1)
            {
                j += 1;
            }
            if j - i >= 2 {
                parts.push(format!("{l}-{}", labels[j]));
                i = j + 1;
                continue;
            }
        }
        parts.push(l.clone());
        i += 1;
    }
    parts.join("/")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    on: Vec<String>,
    run: String,
    #[serde(default)]
    desc: Option<String>,
    /// `false`: listed by `?`, not in the status bar's hints.
    #[serde(default = "yes")]
    hint: bool,
}

fn yes() -> bool {
    true
}

/// One key's binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub run: Command,
    pub desc: String,
    /// Shown in the status bar's hints.
    pub hint: bool,
    /// The `[[context]]` table it came from (numbered across the files, defaults first) and
    /// its place in that table's `on`, so hints and help keep the order they were written in.
    pub entry: usize,
    pub pos: usize,
}

/// All bindings, by context and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    map: BTreeMap<(Context, Keys), Binding>,
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
        let mut entries = 0;
        merge(
            &mut map,
            &mut entries,
            defaults,
            Path::new("assets/keymap.toml"),
        )?;
        if let Some((path, text)) = user {
            merge(&mut map, &mut entries, text, path)?;
        }
        Ok(Keymap { map })
    }

    fn binding(&self, context: Context, keys: &Keys) -> Option<&Binding> {
        std::iter::once(context)
            .chain(context.fallback().iter().copied())
            .find_map(|ctx| self.map.get(&(ctx, *keys)))
    }

    /// The command `key` alone runs in `context` (or its fallback).
    pub fn lookup(&self, context: Context, key: &Key) -> Option<Command> {
        let keys = Keys {
            prefix: None,
            key: *key,
        };
        self.binding(context, &keys)
            .map(|b| b.run)
            .filter(|c| *c != Command::None)
    }

    /// What `key` does in `context` after `prefix` (the key that started a sequence, if
    /// any). A key bound alone runs; a key that starts a sequence waits for the next.
    pub fn resolve(&self, context: Context, prefix: Option<Key>, key: &Key) -> Lookup {
        if let Some(p) = prefix {
            let keys = Keys {
                prefix: Some(p),
                key: *key,
            };
            return match self.binding(context, &keys).map(|b| b.run) {
                Some(c) if c != Command::None => Lookup::Run(c),
                _ => Lookup::Unbound,
            };
        }
        if let Some(c) = self.lookup(context, key) {
            return Lookup::Run(c);
        }
        let starts = std::iter::once(context)
            .chain(context.fallback().iter().copied())
            .any(|ctx| {
                self.map.iter().any(|((c, k), b)| {
                    *c == ctx && k.prefix == Some(*key) && b.run != Command::None
                })
            });
        if starts {
            Lookup::Pending
        } else {
            Lookup::Unbound
        }
    }

    /// The bindings of a context, ordered as written.
    fn bound(&self, context: Context) -> Vec<(&Keys, &Binding)> {
        let mut bound: Vec<(&Keys, &Binding)> = self
            .map
            .iter()
            .filter(|((ctx, _), b)| *ctx == context && b.run != Command::None)
            .map(|((_, k), b)| (k, b))
            .collect();
        bound.sort_by_key(|(_, b)| (b.entry, b.pos));
        bound
    }

    /// Every binding of a context, grouped by command and description: (keys, command,
    /// desc), in the order they were written.
    pub fn describe(&self, context: Context) -> Vec<(Vec<Keys>, Command, String)> {
        let mut out: Vec<(Vec<Keys>, Command, String)> = Vec::new();
        for (key, b) in self.bound(context) {
            match out.iter_mut().find(|(_, c, d)| *c == b.run && *d == b.desc) {
                Some(entry) => entry.0.push(*key),
                None => out.push((vec![*key], b.run, b.desc.clone())),
            }
        }
        out
    }

    /// The status bar's hints in `context`: (keys, description). For the panes, their useful
    /// commands with their first key; elsewhere each hinted binding table's first key, the
    /// tables of one description sharing a hint (`↑↓/1-3 choose`).
    pub fn hints(&self, context: Context) -> Vec<(String, String)> {
        self.hints_except(context, &[])
    }

    /// `hints`, leaving out the commands the screen does not offer right now (`App::withheld`:
    /// no rollback on a rollback's own outcome).
    pub fn hints_except(&self, context: Context, withheld: &[Command]) -> Vec<(String, String)> {
        if let Some(commands) = context.hinted() {
            return commands
                .iter()
                .filter(|c| !withheld.contains(c))
                .filter_map(|c| {
                    std::iter::once(context)
                        .chain(context.fallback().iter().copied())
                        .find_map(|ctx| {
                            let (k, b) = self.bound(ctx).into_iter().find(|(_, b)| b.run == *c)?;
                            Some((k.label(), b.desc.clone()))
                        })
                })
                .collect();
        }
        let mut firsts: Vec<(usize, &Keys, &Binding)> = Vec::new();
        for (key, b) in self
            .bound(context)
            .into_iter()
            .filter(|(_, b)| b.hint && !withheld.contains(&b.run))
        {
            if !firsts.iter().any(|(entry, _, _)| *entry == b.entry) {
                firsts.push((b.entry, key, b));
            }
        }
        let mut groups: Vec<(Vec<String>, String)> = Vec::new();
        for (_, key, b) in firsts {
            match groups.iter_mut().find(|(_, d)| *d == b.desc) {
                Some(g) => g.0.push(key.label()),
                None => groups.push((vec![key.label()], b.desc.clone())),
            }
        }
        groups
            .into_iter()
            .map(|(labels, desc)| (join_labels(&labels), desc))
            .collect()
    }
}

fn merge(
    map: &mut BTreeMap<(Context, Keys), Binding>,
    entries: &mut usize,
    text: &str,
    path: &Path,
) -> Result<(), KeymapError> {
    let invalid = |message: String| KeymapError::Invalid {
        file: path.display().to_string(),
        message,
    };
    let file: BTreeMap<String, Vec<BindingFile>> =
        toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    // In the order the contexts are listed, so numbering does not depend on the map's.
    for context in Context::ALL {
        let Some(bindings) = file.get(context.name()) else {
            continue;
        };
        let name = context.name();
        for (i, b) in bindings.iter().enumerate() {
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
            let entry = *entries;
            *entries += 1;
            for (pos, k) in b.on.iter().enumerate() {
                let key = Keys::parse(k).ok_or_else(|| {
                    invalid(format!("[[{name}]] binding {}: unknown key {k:?}", i + 1))
                })?;
                let desc = b
                    .desc
                    .clone()
                    .unwrap_or_else(|| run.name().replace('-', " "));
                map.insert(
                    (context, key),
                    Binding {
                        run,
                        desc,
                        hint: b.hint,
                        entry,
                        pos,
                    },
                );
            }
        }
    }
    if let Some(unknown) = file.keys().find(|k| Context::parse(k).is_none()) {
        let known: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
        return Err(invalid(format!(
            "unknown context [[{unknown}]] (known: {})",
            known.join(", ")
        )));
    }
    Ok(())
}
