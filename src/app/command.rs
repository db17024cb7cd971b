//! The commands a key can run. Their serde names are the `run` names of `keymap.toml`, so
//! the config, the help overlay and the tests use the same words.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    FocusLeft,
    FocusRight,
    SelectNext,
    SelectPrev,
    PageDown,
    PageUp,
    HalfPageDown,
    HalfPageUp,
    SelectFirst,
    SelectLast,
    /// Enter: open the selected identity's details, or follow the selected link.
    Open,
    /// Go back to where the last followed link was followed from.
    Back,
    Filter,
    CommandLine,
    CycleSort,
    CopyId,
    OpenPortal,
    Reload,
    /// Start the decision wizard (pre-filled from the selected identity).
    Wizard,
    /// Export the wizard's decision record.
    Export,
    /// Start a guided migration for the selected identity.
    Migrate,
    /// Unbinds a key in a user keymap.
    None,
}

impl Command {
    /// Every command, in the order the help overlay lists them.
    pub const ALL: [Command; 26] = [
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
        Command::Open,
        Command::Back,
        Command::Filter,
        Command::CommandLine,
        Command::CycleSort,
        Command::CopyId,
        Command::OpenPortal,
        Command::Reload,
        Command::Wizard,
        Command::Export,
        Command::Migrate,
        Command::None,
    ];

    /// The keymap name (`select-next`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Command::ALL {
            assert_eq!(Command::from_name(&c.name()), Some(c));
        }
        assert_eq!(Command::SelectNext.name(), "select-next");
        assert_eq!(Command::from_name("no-such-thing"), None);
    }
}
