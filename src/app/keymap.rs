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

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a binding applies: every mode of the explorer, and for the panes of the explorer a
/// `global` context they fall back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    Global,
    Nav,
    List,
    Details,
    Dashboard,
    Findings,
    Help,
    Filter,
    CommandLine,
    Wizard,
    WizardSummary,
    MigratePick,
    MigrateForm,
    MigrateFormText,
    MigratePlan,
    MigrateConfirm,
    MigrateConfirmName,
    MigrateRun,
    MigrateStop,
    MigrateDone,
    MigrateRollback,
    MigrateLockout,
    MigrateLockoutName,
    SignIn,
}

/// The commands every pane of the explorer reaches through `global` (each binds its own Enter).
const PANE: &[Command] = &[
    Command::Quit,
    Command::Help,
    Command::FocusNext,
    Command::FocusPrev,
    Command::FocusLeft,
    Command::FocusRight,
    Command::SelectNext,
    Command::SelectPrev,
    Command::PageDown,
    Command::PageUp,
    Command::HalfPageDown,
    Command::HalfPageUp,
    Command::SelectFirst,
    Command::SelectLast,
    Command::Back,
    Command::Filter,
    Command::CommandLine,
    Command::Reload,
    Command::Wizard,
    Command::Export,
    Command::Migrate,
];

impl Context {
    pub const ALL: [Context; 24] = [
        Context::Global,
        Context::Nav,
        Context::List,
        Context::Details,
        Context::Dashboard,
        Context::Findings,
        Context::Help,
        Context::Filter,
        Context::CommandLine,
        Context::Wizard,
        Context::WizardSummary,
        Context::MigratePick,
        Context::MigrateForm,
        Context::MigrateFormText,
        Context::MigratePlan,
        Context::MigrateConfirm,
        Context::MigrateConfirmName,
        Context::MigrateRun,
        Context::MigrateStop,
        Context::MigrateDone,
        Context::MigrateRollback,
        Context::MigrateLockout,
        Context::MigrateLockoutName,
        Context::SignIn,
    ];

    /// The context's table name in `keymap.toml` (`[[migrate-plan]]`).
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Nav => "nav",
            Context::List => "list",
            Context::Details => "details",
            Context::Dashboard => "dashboard",
            Context::Findings => "findings",
            Context::Help => "help",
            Context::Filter => "filter",
            Context::CommandLine => "command-line",
            Context::Wizard => "wizard",
            Context::WizardSummary => "wizard-summary",
            Context::MigratePick => "migrate-pick",
            Context::MigrateForm => "migrate-form",
            Context::MigrateFormText => "migrate-form-text",
            Context::MigratePlan => "migrate-plan",
            Context::MigrateConfirm => "migrate-confirm",
            Context::MigrateConfirmName => "migrate-confirm-name",
            Context::MigrateRun => "migrate-run",
            Context::MigrateStop => "migrate-stop",
            Context::MigrateDone => "migrate-done",
            Context::MigrateRollback => "migrate-rollback",
            Context::MigrateLockout => "migrate-lockout",
            Context::MigrateLockoutName => "migrate-lockout-name",
            Context::SignIn => "sign-in",
        }
    }

    /// The heading the `?` overlay gives the context.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Nav => "Navigation pane",
            Context::List => "Identity list",
            Context::Details => "Details pane",
            Context::Dashboard => "Dashboard",
            Context::Findings => "Findings",
            Context::Help => "This overlay",
            Context::Filter => "Typing a filter (/)",
            Context::CommandLine => "Typing a command (:)",
            Context::Wizard => "Decision wizard: a question",
            Context::WizardSummary => "Decision wizard: the decision",
            Context::MigratePick => "Migration: choosing one",
            Context::MigrateForm => "Migration: the form",
            Context::MigrateFormText => "Migration: the form, typing in a field",
            Context::MigratePlan => "Migration: the plan",
            Context::MigrateConfirm => "Migration: confirming",
            Context::MigrateConfirmName => "Migration: confirming by typing the name",
            Context::MigrateRun => "Migration: running",
            Context::MigrateStop => "Migration: stop after this step?",
            Context::MigrateDone => "Migration: the outcome",
            Context::MigrateRollback => "Migration: roll it back?",
            Context::MigrateLockout => "Migration: a rollback that would lock the identity out",
            Context::MigrateLockoutName => "Migration: removing it anyway, typing the name",
            Context::SignIn => "Signing in: no credential worked",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Where a key not bound here is looked up next, in order: the panes share `global`, and
    /// the dashboard and the findings stand in the list pane, so the list's keys work there.
    pub fn fallback(self) -> &'static [Context] {
        match self {
            Context::Nav | Context::List | Context::Details => &[Context::Global],
            Context::Dashboard | Context::Findings => &[Context::List, Context::Global],
            _ => &[],
        }
    }

    /// A key bound to nothing here edits the text being typed (the filter, the command line,
    /// a form field, a name typed to confirm).
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Context::Filter
                | Context::CommandLine
                | Context::MigrateFormText
                | Context::MigrateConfirmName
                | Context::MigrateLockoutName
        )
    }

    /// Every command the explorer acts on in this context; `update` ignores any other.
    pub fn reacts_to(self) -> Vec<Command> {
        use Command::*;
        let pane =
            |more: &[Command]| -> Vec<Command> { PANE.iter().chain(more).copied().collect() };
        match self {
            // Not a mode of its own: what the panes share.
            Context::Global => PANE.to_vec(),
            Context::Nav => pane(&[Open]),
            Context::List | Context::Dashboard | Context::Findings => {
                pane(&[Open, CycleSort, CopyId, OpenPortal])
            }
            Context::Details => pane(&[Open, CopyId, OpenPortal]),
            Context::Help => vec![
                SelectNext,
                SelectPrev,
                PageDown,
                PageUp,
                HalfPageDown,
                HalfPageUp,
                SelectFirst,
                SelectLast,
                Close,
            ],
            Context::Filter => vec![Submit, Cancel, SelectNext, SelectPrev, Quit],
            Context::CommandLine => vec![Submit, Complete, Cancel, Quit],
            Context::Wizard => vec![
                SelectNext,
                SelectPrev,
                SelectFirst,
                SelectLast,
                Open,
                Back,
                Close,
                Export,
            ],
            Context::WizardSummary => vec![
                Export,
                SelectNext,
                SelectPrev,
                PageDown,
                PageUp,
                HalfPageDown,
                HalfPageUp,
                Back,
                Close,
            ],
            Context::MigratePick => vec![SelectPrev, SelectNext, Pick1, Pick2, Pick3, Open, Close],
            Context::MigrateForm => vec![
                SelectNext, SelectPrev, ChangeNext, ChangePrev, Submit, Back, Close,
            ],
            Context::MigrateFormText => vec![SelectNext, SelectPrev, Submit, Back, Close],
            Context::MigratePlan => {
                vec![
                    SelectNext, SelectPrev, PageDown, PageUp, Apply, EditForm, Close,
                ]
            }
            Context::MigrateConfirm | Context::MigrateStop | Context::MigrateRollback => {
                vec![Confirm, Decline]
            }
            Context::MigrateConfirmName | Context::MigrateLockoutName => vec![Submit, Back],
            Context::MigrateRun => vec![Interrupt],
            Context::MigrateDone => vec![
                Export, Rollback, SelectNext, SelectPrev, PageDown, PageUp, Close,
            ],
            Context::MigrateLockout => vec![KeepCredential, Force, Close],
            Context::SignIn => vec![Reload, OpenDemo, CommandLine, Help, Quit],
        }
    }

    /// The panes' hints, in order of usefulness: each command's first key and description,
    /// here or in `global`. `None`: the hints are the context's own bindings, in file order.
    fn hinted(self) -> Option<&'static [Command]> {
        use Command::*;
        const LIST: &[Command] = &[
            Open,
            Filter,
            CopyId,
            OpenPortal,
            CycleSort,
            Back,
            CommandLine,
            Help,
            Quit,
        ];
        const FINDINGS: &[Command] = &[Open, Wizard, Filter, CopyId, Back, Help, Quit];
        const DASHBOARD: &[Command] = &[Open, Filter, FocusNext, Help, Quit];
        match self {
            Context::Nav | Context::List | Context::Details => Some(LIST),
            Context::Findings => Some(FINDINGS),
            Context::Dashboard => Some(DASHBOARD),
            // (`None` alone would be `Command::None` here.)
            _ => Option::None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn defaults_parse() {
        let km = Keymap::from_sources(DEFAULT_KEYMAP, None).unwrap();
        assert_eq!(
            km.lookup(Context::List, &key("j")),
            Some(Command::SelectNext)
        );
        assert_eq!(
            km.lookup(Context::List, &key("ctrl-c")),
            Some(Command::Quit)
        );
        assert_eq!(
            km.lookup(Context::Details, &key("enter")),
            Some(Command::Open)
        );
        assert_eq!(
            km.lookup(Context::List, &key("G")),
            Some(Command::SelectLast)
        );
        assert_eq!(
            km.lookup(Context::MigrateRun, &key("ctrl-c")),
            Some(Command::Interrupt)
        );
        assert_eq!(
            km.lookup(Context::MigrateRun, &key("j")),
            None,
            "no fallback"
        );
    }

    #[test]
    fn user_bindings_replace_key_by_key() {
        let user = "[[global]]\non = [\"x\"]\nrun = \"quit\"\n\n[[global]]\non = [\"q\"]\nrun = \"none\"\n";
        let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
        assert_eq!(km.lookup(Context::List, &key("x")), Some(Command::Quit));
        assert_eq!(km.lookup(Context::List, &key("q")), None);
        // ctrl-c shared the default binding with q and keeps it.
        assert_eq!(
            km.lookup(Context::List, &key("ctrl-c")),
            Some(Command::Quit)
        );
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
    fn sequences_parse_label_and_resolve() {
        let gg = Keys::parse("g g").unwrap();
        assert_eq!(gg.prefix, Some(key("g")));
        assert_eq!(gg.label(), "gg");
        assert!(Keys::parse("g g g").is_none());
        assert!(Keys::parse("g hyper").is_none());
        let km = Keymap::defaults();
        assert_eq!(km.resolve(Context::List, None, &key("g")), Lookup::Pending);
        assert_eq!(
            km.resolve(Context::List, Some(key("g")), &key("g")),
            Lookup::Run(Command::SelectFirst)
        );
        assert_eq!(
            km.resolve(Context::List, Some(key("g")), &key("j")),
            Lookup::Unbound
        );
        // A key bound alone wins over the sequences it starts.
        let user = "[[global]]\non = [\"g\"]\nrun = \"select-last\"\n";
        let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
        assert_eq!(
            km.resolve(Context::List, None, &key("g")),
            Lookup::Run(Command::SelectLast)
        );
    }

    #[test]
    fn hint_labels_pair_arrows_and_range_digits() {
        let l = |v: &[&str]| join_labels(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(l(&["↑", "↓", "1", "2", "3"]), "↑↓/1-3");
        assert_eq!(l(&["tab", "↑", "↓"]), "tab/↑↓");
        assert_eq!(l(&["space", "←", "→"]), "space/←→");
        assert_eq!(l(&["j", "k"]), "j/k");
        assert_eq!(l(&["1", "2"]), "1/2");
    }

    /// Every command the explorer acts on in a context has a key there (or in the context it
    /// falls back to) and a description; nothing is reachable only by a key the screen never
    /// names.
    #[test]
    fn every_reachable_command_has_a_binding_and_a_description_in_its_context() {
        let km = Keymap::defaults();
        for ctx in Context::ALL {
            for c in ctx.reacts_to() {
                let bound = std::iter::once(ctx)
                    .chain(ctx.fallback().iter().copied())
                    .flat_map(|x| km.describe(x))
                    .find(|(_, cmd, _)| *cmd == c);
                let Some((keys, _, desc)) = bound else {
                    panic!("[[{}]] has no key for {}", ctx.name(), c.name());
                };
                assert!(!keys.is_empty() && !desc.trim().is_empty(), "{c:?}");
            }
            // And nothing is bound that the context ignores.
            for (_, c, _) in km.describe(ctx) {
                assert!(
                    ctx.reacts_to().contains(&c),
                    "[[{}]] binds {}, which it does not act on",
                    ctx.name(),
                    c.name()
                );
            }
            assert!(
                ctx == Context::Global || !km.hints(ctx).is_empty(),
                "[[{}]] gives no hint",
                ctx.name()
            );
        }
    }

    #[test]
    fn a_user_rebind_changes_the_hint() {
        let km = Keymap::defaults();
        assert!(km.hints(Context::MigrateDone)[0] == ("e".into(), "export record".into()));
        let user = "[[migrate-done]]\non = [\"x\"]\nrun = \"export\"\ndesc = \"export record\"\n\n[[migrate-done]]\non = [\"e\"]\nrun = \"none\"\n";
        let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
        let hints = km.hints(Context::MigrateDone);
        assert!(
            hints.contains(&("x".into(), "export record".into())),
            "{hints:?}"
        );
        assert!(!hints.iter().any(|(k, _)| k == "e"), "{hints:?}");
        // The panes' hints follow a rebind too.
        let user = "[[list]]\non = [\"c\"]\nrun = \"copy-id\"\ndesc = \"copy the id\"\n\n[[list]]\non = [\"y\"]\nrun = \"none\"\n";
        let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
        assert!(
            km.hints(Context::List)
                .contains(&("c".into(), "copy the id".into()))
        );
    }
}
