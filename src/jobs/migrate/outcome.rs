//! How a run ends, modelled once (`RunOutcome`) and told once: `RunOutcome::wording` is the
//! sentence the CLI prints, the explorer shows and a signal-ended explorer leaves on the
//! terminal; `RunOutcome::status` is the Markdown record's short form; `RunOutcome::word` the
//! stable word of `--output json`. `Finished` is a run's ending as a screen keeps it.
//!
//! Also what a rollback leaves behind, read back from any journal: the secret removals it could
//! not undo (`unrestored_secrets`, with the Azure CLI remedy) and the new credential it kept
//! (`kept_steps`). May import `store` and `domain`.

use std::path::PathBuf;

use crate::backend::Cause;

use crate::domain::change::{Change, Target};
use crate::domain::migration::plan::describe_change;
use crate::domain::migration::progress::StepState;
use crate::store::journal::{JournalState, Outcome};

/// How a run (or rollback) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every step verified; the migration is closed.
    Done,
    /// Step `index` failed; the journal stays open for `resume` or `rollback`. `cause` says
    /// whose failure it was (the CLI makes it its exit code).
    Failed {
        index: usize,
        error: String,
        cause: Cause,
    },
    /// Cancelled; `next` is the first step not done (in a rollback: the next step to undo).
    Cancelled { next: usize },
    /// Every change of this migration was undone; the migration is closed.
    RolledBack,
    /// Every change was undone except these secret removals, which the backend cannot undo
    /// (a live tenant: a removed secret's value is gone for good). The migration is closed;
    /// the workload needs a new secret (`UnrestoredSecret::remedy`) or the new credential.
    RolledBackExceptSecrets { unrestored: Vec<UnrestoredSecret> },
    /// Rolled back except the new credential, kept because undoing it would have left the
    /// identity without a usable credential (`RollbackMode::KeepNewCredential`), and except
    /// the secret removals the backend cannot undo. The migration is closed.
    RolledBackKeeping {
        kept: Vec<KeptStep>,
        unrestored: Vec<UnrestoredSecret>,
    },
    /// Undoing step `index` failed; run `rollback` again.
    RollbackFailed {
        index: usize,
        error: String,
        cause: Cause,
    },
    /// Closed without touching the tenant.
    Abandoned,
    /// The retirement gate holds removal step `index` back: the usage evidence does not show
    /// the new credential signing in and the old one idle (`missing`, one sentence each).
    /// Nothing was removed; the journal stays open (step journaled `waiting`) and `resume`
    /// checks the evidence again. `idle_days` is what the gate asked.
    Waiting {
        index: usize,
        missing: Vec<String>,
        idle_days: i64,
    },
}

/// An outcome in words: a headline, and lines that follow it (remedies, what to run next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    pub headline: String,
    pub details: Vec<String>,
}

impl Wording {
    /// Headline and details on one line, as a status bar or a signal's last message says it.
    pub fn one_line(&self) -> String {
        let mut s = self.headline.clone();
        for d in &self.details {
            s.push(' ');
            s.push_str(d);
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl RunOutcome {
    /// The migration ended as asked: done, rolled back (wholly or but for what cannot or must
    /// not be undone) or abandoned. Anything else leaves the journal open.
    pub fn ended(&self) -> bool {
        matches!(
            self,
            Self::Done
                | Self::RolledBack
                | Self::RolledBackExceptSecrets { .. }
                | Self::RolledBackKeeping { .. }
                | Self::Abandoned
        )
    }

    /// The stable word for scripts (`--output json`'s `outcome`).
    pub fn word(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed { .. } => "failed",
            Self::Cancelled { .. } => "cancelled",
            Self::RolledBack => "rolled-back",
            Self::RolledBackExceptSecrets { .. } => "rolled-back-except-secrets",
            Self::RolledBackKeeping { .. } => "rolled-back-keeping-new-credential",
            Self::RollbackFailed { .. } => "rollback-failed",
            Self::Abandoned => "abandoned",
            Self::Waiting { .. } => "waiting",
        }
    }

    /// Whose failure a failed step or undo was; `None` for every other outcome (the CLI
    /// gives each of those its own exit code).
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Self::Failed { cause, .. } | Self::RollbackFailed { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    /// The outcome in the words every screen uses. `journal_id` goes into the commands that
    /// continue; `rolling_back` tells a stopped rollback from a stopped run; `app_id` is the
    /// application's appId for the remedy of a secret that cannot come back.
    pub fn wording(&self, journal_id: &str, rolling_back: bool, app_id: Option<&str>) -> Wording {
        let id = journal_id;
        let remedies = |unrestored: &[UnrestoredSecret]| -> Vec<String> {
            unrestored
                .iter()
                .map(|u| format!("{}.", u.remedy(app_id)))
                .collect()
        };
        let (headline, details) = match self {
            Self::Done => ("Migration done: every step verified.".to_string(), vec![]),
            Self::RolledBack => (
                "Migration rolled back: every change of this migration was undone.".to_string(),
                vec![],
            ),
            Self::Abandoned => (
                "Migration abandoned: the tenant was not touched.".to_string(),
                vec![],
            ),
            Self::RolledBackExceptSecrets { unrestored } => (
                format!(
                    "Migration rolled back, except {} removed secret{} that cannot be restored on a live tenant.",
                    unrestored.len(),
                    plural(unrestored.len())
                ),
                remedies(unrestored),
            ),
            Self::RolledBackKeeping { kept, unrestored } => (
                format!("Migration {}.", kept_words(kept)),
                remedies(unrestored),
            ),
            Self::Failed { index, error, .. } => (
                format!("Step {} failed: {error}.", index + 1),
                vec![format!(
                    "Nothing is lost: `credwise migrate resume {id}` continues from this step, `credwise migrate rollback {id}` undoes what was done."
                )],
            ),
            Self::Cancelled { next } if rolling_back => (
                format!(
                    "Stopped before undoing step {}; every step before it is journaled.",
                    next + 1
                ),
                vec![format!(
                    "`credwise migrate rollback {id}` continues the rollback."
                )],
            ),
            Self::Cancelled { next } => (
                format!(
                    "Stopped before step {}; every step before it is journaled.",
                    next + 1
                ),
                vec![format!(
                    "`credwise migrate resume {id}` continues, `credwise migrate rollback {id}` undoes."
                )],
            ),
            Self::Waiting {
                index,
                missing,
                idle_days,
            } => {
                let mut details: Vec<String> =
                    missing.iter().map(|m| format!("Not shown: {m}.")).collect();
                details.push(format!(
                    "Nothing was removed. Once the workload signs in with the new credential and the credential to remove has been idle {idle_days} days, `credwise migrate resume {id}` checks the evidence again and goes on; `credwise migrate resume {id} --without-usage-evidence` removes it without the evidence (the journal and the record note it); `credwise migrate rollback {id}` undoes."
                ));
                (
                    format!(
                        "Waiting before step {}: removing the secret needs usage evidence.",
                        index + 1
                    ),
                    details,
                )
            }
            Self::RollbackFailed { index, error, .. } => (
                format!("Undoing step {} failed: {error}.", index + 1),
                vec![format!(
                    "Run `credwise migrate rollback {id}` again once the cause is fixed."
                )],
            ),
        };
        Wording { headline, details }
    }

    /// How a closed journal ended, from its records; `None` while it is open.
    pub fn of_journal(state: &JournalState) -> Option<Self> {
        let (closure, _) = state.closed?;
        Some(match closure {
            Outcome::Done => Self::Done,
            Outcome::Abandoned => Self::Abandoned,
            Outcome::RolledBack => Self::rolled_back(state),
        })
    }

    /// A rollback's outcome once every undo is done: what it kept and what it could not
    /// restore, from the journal.
    pub(super) fn rolled_back(state: &JournalState) -> Self {
        let (kept, unrestored) = (kept_steps(state), unrestored_secrets(state));
        if !kept.is_empty() {
            Self::RolledBackKeeping { kept, unrestored }
        } else if unrestored.is_empty() {
            Self::RolledBack
        } else {
            Self::RolledBackExceptSecrets { unrestored }
        }
    }

    /// The short form the Markdown record's `Outcome` row shows.
    pub fn status(&self) -> String {
        match self {
            Self::Done => "done".into(),
            Self::RolledBack => "rolled back".into(),
            Self::Abandoned => "abandoned".into(),
            Self::RolledBackExceptSecrets { unrestored } => format!(
                "rolled back, except {} removed secret{} that cannot be restored",
                unrestored.len(),
                plural(unrestored.len())
            ),
            Self::RolledBackKeeping { kept, .. } => kept_words(kept),
            Self::Waiting { index, .. } => {
                format!("waiting on usage evidence before step {}", index + 1)
            }
            other => other.word().into(),
        }
    }
}

/// The result of `run`, `resume`, `rollback` or `abandon`.
#[derive(Debug, Clone)]
pub struct Summary {
    pub journal_id: String,
    pub outcome: RunOutcome,
    /// The Markdown record, once the migration has ended.
    pub record: Option<PathBuf>,
    pub state: JournalState,
}

impl Summary {
    /// The outcome in words (see `RunOutcome::wording`).
    pub fn wording(&self) -> Wording {
        self.outcome.wording(
            &self.journal_id,
            self.state.rolling_back,
            self.state.plan.identity.app_id.as_deref(),
        )
    }
}

/// How a run ended, as a screen keeps it: the wording, and where the journal, the record and
/// any key files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The migration ended as asked (`RunOutcome::ended`).
    pub completed: bool,
    pub wording: Wording,
    /// The journal's id, for `credwise migrate resume|rollback ID`.
    pub journal_id: Option<String>,
    /// The Markdown migration record, when one was written.
    pub record: Option<String>,
    /// Key files written (secret-to-certificate), to say where they are.
    pub key_files: Vec<String>,
}

impl Finished {
    /// A run's summary, with the key files it wrote.
    pub fn of(summary: &Summary, key_files: Vec<String>) -> Self {
        Self {
            completed: summary.outcome.ended(),
            wording: summary.wording(),
            journal_id: Some(summary.journal_id.clone()),
            record: summary.record.as_ref().map(|p| p.display().to_string()),
            key_files,
        }
    }

    /// A run that did not start or was refused: why.
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            completed: false,
            wording: Wording {
                headline: message.into(),
                details: vec![],
            },
            journal_id: None,
            record: None,
            key_files: vec![],
        }
    }
}

/// A step whose change a rollback kept, so the identity keeps a usable credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptStep {
    /// The step (0-based).
    pub index: usize,
    /// What stays, in words (`federated credential "deploy"`).
    pub what: String,
}

/// How a rollback ended that kept the new credential, in the words the CLI, the explorer and
/// the record all use.
pub fn kept_words(kept: &[KeptStep]) -> String {
    let what: Vec<String> = kept.iter().map(|k| k.what.clone()).collect();
    format!(
        "rolled back except the new credential, kept so that the identity keeps a usable credential: {}",
        what.join("; ")
    )
}

/// The steps a rollback kept (journaled `kept`).
pub fn kept_steps(state: &JournalState) -> Vec<KeptStep> {
    state
        .steps
        .iter()
        .enumerate()
        .filter(|(_, p)| p.state == Some(StepState::Kept))
        .filter_map(|(index, _)| {
            let step = state.plan.steps.get(index)?;
            Some(KeptStep {
                index,
                what: kept_label(&step.action),
            })
        })
        .collect()
}

/// What an undo would have taken away, had it not been kept.
pub(super) fn kept_label(action: &Change) -> String {
    match action {
        Change::AddKey { credential, .. } => {
            let thumb = credential
                .thumbprint()
                .map(|t| format!(", thumbprint {t}"))
                .unwrap_or_default();
            format!("certificate keyId {}{thumb}", credential.key_id)
        }
        Change::AddFederatedCredential { credential, .. } => {
            format!("federated credential {:?}", credential.name)
        }
        Change::CreateUserAssignedIdentity { identity } => {
            format!("managed identity {} ({})", identity.name, identity.id)
        }
        Change::AddRoleAssignment { assignment } => format!(
            "role assignment {} ({} at {})",
            assignment.id,
            assignment.role_name(),
            assignment.scope
        ),
        other => describe_change(other),
    }
}

/// A client secret this migration removed and a rollback could not bring back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnrestoredSecret {
    /// The step (0-based) that removed it.
    pub index: usize,
    pub target: Target,
    pub key_id: String,
    pub display_name: Option<String>,
}

impl UnrestoredSecret {
    /// The secret in the user's words: `"prod" (keyId 1a2b…)`.
    pub fn label(&self) -> String {
        secret_label(&self.key_id, self.display_name.as_deref())
    }

    /// What to do instead: create a new secret beside the others (its value is shown once,
    /// by Azure CLI, not by credwise) and put it into the workload's configuration.
    /// `app_id` is the application's appId when the plan knows it (Azure CLI takes either id).
    pub fn remedy(&self, app_id: Option<&str>) -> String {
        let name = self
            .display_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| format!(" --display-name '{}'", n.replace('\'', "")))
            .unwrap_or_default();
        let command = match &self.target {
            Target::Application(id) => format!(
                "az ad app credential reset --id {} --append{name}",
                app_id.unwrap_or(id)
            ),
            Target::ServicePrincipal(id) => {
                format!("az ad sp credential reset --id {id} --append{name}")
            }
            Target::UserAssignedIdentity(id) => format!("(no secrets on {id})"),
        };
        format!(
            "secret {} was removed and cannot come back (a new secret always gets a new keyId and value): if the workload still needs a secret, create a new one with `{command}` and update the workload's configuration with its value",
            self.label()
        )
    }
}

/// A secret in the user's words: its display name when it has one, and its keyId.
pub(super) fn secret_label(key_id: &str, display_name: Option<&str>) -> String {
    match display_name {
        Some(n) if !n.is_empty() => format!("\"{n}\" (keyId {key_id})"),
        _ => format!("keyId {key_id}"),
    }
}

/// The secret removals a rollback left in place (steps journaled `not-restorable`).
pub fn unrestored_secrets(state: &JournalState) -> Vec<UnrestoredSecret> {
    state
        .steps
        .iter()
        .enumerate()
        .filter(|(_, p)| p.state == Some(StepState::NotRestorable))
        .filter_map(|(index, p)| {
            let undo = p
                .undo
                .as_ref()
                .or(state.plan.steps.get(index).map(|s| &s.undo))?;
            match undo {
                Change::AddPassword { target, credential } => Some(UnrestoredSecret {
                    index,
                    target: target.clone(),
                    key_id: credential.key_id.to_string(),
                    display_name: credential.display_name.clone(),
                }),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(target: Target, display_name: Option<&str>) -> UnrestoredSecret {
        UnrestoredSecret {
            index: 2,
            target,
            key_id: "k-1".into(),
            display_name: display_name.map(str::to_string),
        }
    }

    #[test]
    fn the_remedy_for_an_unrestored_secret_names_it_and_the_azure_cli_command() {
        let app = secret(Target::Application("obj-1".into()), Some("prod 'main'"));
        let r = app.remedy(Some("app-1"));
        assert!(
            r.starts_with("secret \"prod 'main'\" (keyId k-1) was removed"),
            "{r}"
        );
        assert!(
            r.contains(
                "`az ad app credential reset --id app-1 --append --display-name 'prod main'`"
            ),
            "{r}"
        );
        assert!(
            app.remedy(None).contains("--id obj-1 "),
            "without an appId, the object id"
        );
        let sp = secret(Target::ServicePrincipal("sp-1".into()), None);
        let r = sp.remedy(Some("app-1"));
        assert!(r.starts_with("secret keyId k-1 was removed"), "{r}");
        assert!(
            r.contains("`az ad sp credential reset --id sp-1 --append`"),
            "{r}"
        );
    }

    #[test]
    fn every_outcome_has_one_wording_with_the_commands_that_continue() {
        let id = "20261122-120000-secret-to-fic-1a2b3c4d";
        let failed = RunOutcome::Failed {
            index: 1,
            error: "boom".into(),
            cause: Cause::Service,
        };
        let w = failed.wording(id, false, None);
        assert_eq!(w.headline, "Step 2 failed: boom.");
        assert!(w.details[0].contains(&format!("credwise migrate resume {id}")));
        assert_eq!(failed.cause(), Some(Cause::Service));
        assert!(!failed.ended());

        let stopped = RunOutcome::Cancelled { next: 1 };
        assert!(
            stopped
                .wording(id, true, None)
                .headline
                .starts_with("Stopped before undoing step 2")
        );
        assert!(
            stopped
                .wording(id, false, None)
                .headline
                .starts_with("Stopped before step 2")
        );

        let except = RunOutcome::RolledBackExceptSecrets {
            unrestored: vec![secret(Target::Application("o".into()), Some("prod"))],
        };
        let w = except.wording(id, true, Some("app-1"));
        assert!(
            w.headline
                .contains("except 1 removed secret that cannot be restored"),
            "{w:?}"
        );
        assert!(w.details[0].contains("az ad app credential reset --id app-1"));
        assert!(except.ended());
        assert_eq!(except.cause(), None);
        assert_eq!(
            except.status(),
            "rolled back, except 1 removed secret that cannot be restored"
        );
        assert!(w.one_line().starts_with(&w.headline));
    }
}
