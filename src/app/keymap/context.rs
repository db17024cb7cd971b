//! `Context`: every screen's keymap context, with its table name, its title in the help
//! overlay, the commands it acts on, its hints and what it falls back to.

use super::*;

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

    pub(super) fn parse(name: &str) -> Option<Self> {
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
    pub(super) fn hinted(self) -> Option<&'static [Command]> {
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
