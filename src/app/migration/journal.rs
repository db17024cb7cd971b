//! A migration's journal from the explorer: the unfinished one found at start (`:resume`,
//! `:rollback`), `u` on an outcome (roll this run back), and the choice a rollback that would
//! lock the identity out offers (keep the new credential, or type the name to go on).

use super::*;

/// An open journal was found at start: the standing notice (`App::journal_notice`) says so,
/// and how to go on, until the user acts on it or dismisses it.
pub fn journal_found(app: &mut App, journal: OpenJournal) {
    app.open_journal = Some(journal);
    app.journal_notice_dismissed = false;
}

/// `:resume` / `:rollback`: the open journal's migration on the progress screen, run by
/// `jobs::migrate` from its journal.
pub fn continue_journal(app: &mut App, rollback: bool) -> Vec<Effect> {
    if app.read_only {
        say(
            app,
            "read-only mode: migrations are disabled (started with --read-only)",
            true,
        );
        return Vec::new();
    }
    if let Some(why) = partial_refusal(app) {
        say(app, why, true);
        return Vec::new();
    }
    let Some(j) = app.open_journal.take() else {
        say(app, "no unfinished migration to continue", true);
        return Vec::new();
    };
    let mut m = MigrationState::new(
        Stage::Running,
        j.kind,
        j.identity.clone(),
        j.identity_name.clone(),
    );
    m.rolling_back = rollback;
    app.migration = Some(m);
    app.mode = Mode::Migrate;
    vec![Effect::ContinueMigration {
        journal_id: j.id,
        rollback,
    }]
}

/// Whether the outcome on screen offers `u` (roll back).
pub fn offers_rollback(read_only: bool, m: &MigrationState) -> bool {
    rollback_refusal(read_only, m).is_none()
}

/// Why the outcome on screen offers no rollback, if it does not: read-only, a rollback's own
/// outcome, or a run that never journaled (refused before it started).
pub(super) fn rollback_refusal(read_only: bool, m: &MigrationState) -> Option<&'static str> {
    if read_only {
        Some("read-only mode: migrations are disabled (started with --read-only)")
    } else if m.rolling_back {
        Some("this was a rollback: there is nothing to undo")
    } else if m
        .outcome
        .as_ref()
        .and_then(|o| o.journal_id.as_ref())
        .is_none()
    {
        Some("nothing ran, so there is nothing to roll back")
    } else {
        None
    }
}

/// `y` to "roll it back?": the journal of the run on screen is undone on the progress screen,
/// under the lockout rule (`RollbackMode::Safe`); a refusal offers its choice as `:rollback`
/// does.
pub(super) fn roll_back(app: &mut App) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    m.asking_rollback = false;
    let Some(journal_id) = m.outcome.as_ref().and_then(|o| o.journal_id.clone()) else {
        return Vec::new();
    };
    m.rolling_back = true;
    m.outcome = None;
    m.steps.clear();
    m.stage = Stage::Running;
    m.scroll = 0;
    vec![Effect::RollbackMigration {
        journal_id,
        mode: crate::jobs::migrate::RollbackMode::Safe,
    }]
}

/// On the outcome of a rollback that stopped: `k` keeps the new credential, `f` then the
/// identity's name removes it anyway; `Esc` leaves everything as it is.
pub(super) fn lockout_command(app: &mut App, c: Command) -> Vec<Effect> {
    let Some(m) = app.migration.as_mut() else {
        return Vec::new();
    };
    let Some(choice) = m.lockout.as_mut() else {
        return Vec::new();
    };
    let mode = match (choice.typing, c) {
        (true, Command::Back) => {
            choice.typing = false;
            m.confirm_error = None;
            return Vec::new();
        }
        (true, Command::Submit) => {
            let typed = m.confirm.value().trim();
            let name = choice.identity_name.trim();
            if typed == name || typed == crate::sanitize::display(name) {
                crate::jobs::migrate::RollbackMode::Force {
                    confirmation: choice.identity_name.clone(),
                }
            } else {
                m.confirm_error = Some(format!(
                    "type the name exactly: {}",
                    crate::sanitize::display(name)
                ));
                return Vec::new();
            }
        }
        (false, Command::KeepCredential) => crate::jobs::migrate::RollbackMode::KeepNewCredential,
        (false, Command::Force) => {
            choice.typing = true;
            m.confirm = Input::default();
            m.confirm_error = None;
            return Vec::new();
        }
        (false, Command::Close) => return close(app),
        _ => return Vec::new(),
    };
    let journal_id = choice.journal_id.clone();
    m.lockout = None;
    m.outcome = None;
    m.stage = Stage::Running;
    m.scroll = 0;
    vec![Effect::RollbackMigration { journal_id, mode }]
}

/// A rollback stopped: undoing would leave the identity without a usable credential. The
/// outcome that follows shows the explanation and the choice.
pub fn rollback_refused(app: &mut App, choice: LockoutChoice) {
    if let Some(m) = app.migration.as_mut() {
        m.lockout = Some(choice);
    }
}
