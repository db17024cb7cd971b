//! The commands a key can run: the intents `Msg::Command` carries, in every mode. Their serde
//! names are the `run` names of `keymap.toml`, so the config, the help overlay and the tests
//! use the same words. Which ones a mode acts on is `keymap::Context::reacts_to`.

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
    /// Close what is on screen (the help overlay, the wizard, a migration's screen).
    Close,
    /// Enter where something is typed or chosen: keep the filter, run the command line, plan
    /// the form, confirm by the typed name.
    Submit,
    /// Leave the line being typed and drop what was typed.
    Cancel,
    /// Complete the command being typed.
    Complete,
    /// Choose the first, second or third migration.
    #[serde(rename = "pick-1")]
    Pick1,
    #[serde(rename = "pick-2")]
    Pick2,
    #[serde(rename = "pick-3")]
    Pick3,
    /// Change the focused form field to its next (or previous) value.
    ChangeNext,
    ChangePrev,
    /// Go on from the plan to the confirmation.
    Apply,
    /// Back from the plan to the form.
    EditForm,
    /// Yes to the question on screen (apply; stop after this step).
    Confirm,
    /// No to the question on screen.
    Decline,
    /// Ask to stop the running migration after its current step.
    Interrupt,
    /// A rollback that would lock the identity out: keep the new credential.
    KeepCredential,
    /// …or remove it anyway, after typing the identity's name.
    Force,
    /// Open the demo tenant instead (from the sign-in screen).
    OpenDemo,
    /// Undo the migration on screen (its journal, step by step in reverse), after a yes.
    Rollback,
    /// Unbinds a key in a user keymap.
    None,
}

impl Command {
    /// Every command, in the order the help overlay lists them.
    pub const ALL: [Command; 44] = [
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
        Command::Close,
        Command::Submit,
        Command::Cancel,
        Command::Complete,
        Command::Pick1,
        Command::Pick2,
        Command::Pick3,
        Command::ChangeNext,
        Command::ChangePrev,
        Command::Apply,
        Command::EditForm,
        Command::Confirm,
        Command::Decline,
        Command::Interrupt,
        Command::KeepCredential,
        Command::Force,
        Command::OpenDemo,
        Command::Rollback,
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
