//! The journal commands: `migrate status [ID] [--record]` lists journals or shows one (and
//! writes a missing record), `migrate resume [ID]` and `migrate rollback [ID]` reopen the
//! journal's source and go on through `jobs::migrate`; a rollback that would leave the
//! identity without a usable credential asks (on a terminal) to keep the new credential or to
//! type the identity's name, and names the commands otherwise.

use std::io::IsTerminal;

use clap::Args;

use super::progress::{
    RunOptions, abandoned_demo, clock_only, finish, interrupted_twice, journal_error,
    migrate_error, progress_printer, rfc3339, state_json, state_text,
};
use super::{CliError, Env, PlanFormat};
use crate::cli::output;
use crate::cli::table::Table;
use crate::jobs::migrate;
use crate::sanitize;
use crate::store::journal::{JournalState, JournalStore, SourceKind};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The journal id (from `credwise migrate status`).
    pub journal_id: Option<String>,
    /// Print the migration's Markdown record (once it has ended).
    #[arg(long, requires = "journal_id")]
    pub record: bool,
    #[arg(long, short = 'o', value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// The journal id (default: the most recent open migration).
    pub journal_id: Option<String>,
    /// Answer the confirmation (scripts); required when stdin is not a terminal.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub gate: super::GateArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// When undoing the new credential would leave the identity without a usable one (its
    /// removed secrets cannot come back on a live tenant), keep it: undo everything else and
    /// close the migration as rolled back except the new credential.
    #[arg(long, conflicts_with = "force")]
    pub keep_new_credential: bool,
    /// Undo everything, even when that leaves the identity without a usable credential: its
    /// workload can no longer sign in. Asks you to type the identity's name; --yes does not
    /// answer that, and without a terminal --confirm-lockout must.
    #[arg(long)]
    pub force: bool,
    /// With --force: the identity's display name or object id, confirming that it may be
    /// left without a usable credential (for scripts, or when there is no terminal).
    #[arg(long, value_name = "NAME", requires = "force")]
    pub confirm_lockout: Option<String>,
}

/// `credwise migrate status [ID] [--record]`.
pub(super) fn status(args: &StatusArgs) -> Result<(), CliError> {
    let store = JournalStore::open_default().map_err(journal_error)?;
    let Some(id) = &args.journal_id else {
        // A migration killed after its journal closed has no record yet: write it now.
        for id in migrate::rebuild_missing_records(&store).map_err(journal_error)? {
            output::eprint(&format!("wrote the missing record of migration {id}"));
        }
        let (all, bad) = store.list().map_err(journal_error)?;
        for e in &bad {
            output::eprint(&format!("warning: {e}"));
        }
        if args.output == PlanFormat::Json {
            let v: Vec<serde_json::Value> = all.iter().map(state_json).collect();
            output::print(&crate::cli::json::to_pretty(&v)?);
            return Ok(());
        }
        if all.is_empty() {
            output::print(&format!(
                "No migrations journaled in {}.\n",
                store.dir().display()
            ));
            return Ok(());
        }
        let mut t = Table::new(&[
            "JOURNAL",
            "MIGRATION",
            "IDENTITY",
            "STATUS",
            "STEPS",
            "UPDATED",
        ]);
        for s in &all {
            let done = s.steps.iter().filter(|p| p.is_complete()).count();
            t.row([
                s.id.as_str(),
                s.migration.as_str(),
                &sanitize::display(&s.plan.identity.display_name),
                s.status(),
                &format!("{done}/{}", s.steps.len()),
                &rfc3339(s.updated_at),
            ]);
        }
        let mut table = t.render();
        if !table.ends_with('\n') {
            table.push('\n');
        }
        output::print(&table);
        return Ok(());
    };
    let state = store.read(id).map_err(journal_error)?;
    // An ended migration whose record is missing (killed after its journal closed) gets it.
    migrate::ensure_record(&store, &state).map_err(journal_error)?;
    if args.record {
        let md = store.read_record(id).map_err(|e| match e {
            crate::store::journal::JournalError::NotFound(_) => CliError::usage(format!(
                "migration {id} has no record yet: it is written when the migration ends (done, rolled back or abandoned)"
            )),
            e => journal_error(e),
        })?;
        output::print(&md);
        return Ok(());
    }
    if args.output == PlanFormat::Json {
        output::print(&crate::cli::json::to_pretty(&state_json(&state))?);
        return Ok(());
    }
    output::print(&state_text(&state));
    Ok(())
}

/// `resume` and `rollback`.
pub(super) async fn continue_journal(
    args: &JournalArgs,
    rollback: Option<&RollbackArgs>,
    gate: crate::domain::migration::retirement::GateOptions,
    env: &Env<'_>,
) -> Result<(), CliError> {
    let verb = if rollback.is_some() {
        "rollback"
    } else {
        "resume"
    };
    if env.read_only {
        return Err(CliError::from(crate::backend::Error::ReadOnly));
    }
    let store = JournalStore::open_default().map_err(journal_error)?;
    let state = match &args.journal_id {
        Some(id) => store.read(id).map_err(journal_error)?,
        None => match store.latest_open().map_err(journal_error)? {
            Some(state) => state,
            None => return Err(nothing_open(&store, verb, rollback.is_some())),
        },
    };
    if let Some((o, _)) = state.closed
        && !(rollback.is_some() && o == crate::store::journal::Outcome::Done)
    {
        return Err(CliError::usage(format!(
            "migration {} has already ended ({})",
            state.id,
            o.as_str()
        )));
    }
    // The source: what the user gave, else what the journal names.
    let given = env.source.demo || env.source.snapshot.is_some();
    if !given && state.source.kind == SourceKind::Demo {
        let summary =
            migrate::abandon(&store, &state.id, &clock_only(env)).map_err(migrate_error)?;
        return Err(abandoned_demo(&state.id, verb, &summary));
    }
    let source = if given {
        env.source.clone()
    } else {
        let mut s = env.source.clone();
        s.snapshot = state.source.path.clone();
        if s.tenant.is_none() {
            s.tenant = state.source.tenant.clone();
        }
        s
    };
    let backend = (env.open)(&source)?;
    // `resume` and `rollback` refuse a source that is not the journal's; its backoff is the
    // source's, as for any run.
    let mut run = RunOptions::new(env, source.record(backend.describe()));
    run.options.gate = gate;
    let interactive = std::io::stdin().is_terminal();
    if !args.yes {
        if !interactive {
            return Err(CliError::usage(format!(
                "{verb} changes the tenant and stdin is not a terminal to confirm on: add --yes"
            )));
        }
        output::print(&state_text(&state));
        output::prompt(&format!(
            "\n{verb} migration {} on {}? [y/N] ",
            state.id,
            backend.describe()
        ));
        if !matches!(read_answer()?.as_str(), "y" | "Y" | "yes" | "Yes") {
            return Err(CliError::usage("not confirmed: nothing was changed"));
        }
    }
    let mut mode = match rollback {
        None => None,
        Some(r) if r.keep_new_credential => Some(migrate::RollbackMode::KeepNewCredential),
        Some(r) if r.force => Some(force_mode(r, &state, interactive)?),
        Some(_) => Some(migrate::RollbackMode::Safe),
    };
    loop {
        let printer = progress_printer(&state.plan, &mut run);
        let options = &run.options;
        let job = async {
            match &mode {
                Some(m) => {
                    migrate::rollback_with(backend.as_ref(), &store, &state.id, m, options).await
                }
                None => migrate::resume(backend.as_ref(), &store, &state.id, options).await,
            }
        };
        // A second signal stops at once (the first finishes or journals the current step).
        let result = tokio::select! {
            r = job => r,
            _ = run.forced.cancelled() => return Err(interrupted_twice()),
        };
        // The printer ends once the run's event sender is gone.
        run.options.events = None;
        let _ = printer.await;
        match result {
            Ok(summary) => return finish(&summary, &source, PlanFormat::Text),
            Err(migrate::MigrateError::Lockout {
                journal_id,
                lockout,
                changed_nothing,
            }) => {
                let explained = lockout_text(&journal_id, &lockout, changed_nothing);
                // On a terminal the user chooses; a script gets the choices as commands.
                if !interactive || args.yes {
                    return Err(CliError::usage(explained));
                }
                output::eprint(&explained);
                output::prompt(
                    "\nk  keep the new credential and close the migration as rolled back except it\nf  remove it anyway, leaving the identity without a usable credential\nanything else: change nothing\n[k/f/N] ",
                );
                mode = match read_answer()?.as_str() {
                    "k" | "K" => Some(migrate::RollbackMode::KeepNewCredential),
                    "f" | "F" => Some(force_mode(
                        &RollbackArgs {
                            journal: JournalArgs {
                                journal_id: Some(journal_id.clone()),
                                yes: args.yes,
                            },
                            keep_new_credential: false,
                            force: true,
                            confirm_lockout: None,
                        },
                        &state,
                        interactive,
                    )?),
                    _ => return Err(CliError::usage("nothing was changed")),
                };
                run.renew_events();
            }
            Err(e) => return Err(migrate_error(e)),
        }
    }
}

pub(super) fn read_answer() -> Result<String, CliError> {
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::usage(format!("cannot read the confirmation: {e}")))?;
    Ok(answer.trim().to_string())
}

/// `--force`: the identity's name, from `--confirm-lockout` or typed on the terminal after
/// a sentence that names the consequence. `--yes` does not answer it.
fn force_mode(
    r: &RollbackArgs,
    state: &JournalState,
    interactive: bool,
) -> Result<migrate::RollbackMode, CliError> {
    if let Some(name) = &r.confirm_lockout {
        return Ok(migrate::RollbackMode::Force {
            confirmation: name.clone(),
        });
    }
    let name = sanitize::display(&state.plan.identity.display_name).into_owned();
    if !interactive {
        return Err(CliError::usage(format!(
            "--force may leave {name} without a usable credential, and there is no terminal to confirm on: add --confirm-lockout '{}' (the identity's name) or --confirm-lockout {} (its object id)",
            name.replace('\'', ""),
            state.plan.identity.object_id
        )));
    }
    output::prompt(&format!(
        "\n--force may leave {name} without a usable credential: its workload would no longer sign in, and a removed secret cannot come back.\nType the identity's name ({name}) to go ahead: "
    ));
    let typed = read_answer()?;
    // The engine checks the name again; the unsanitised name is accepted too.
    let confirmation = if typed == name {
        state.plan.identity.display_name.clone()
    } else {
        typed
    };
    Ok(migrate::RollbackMode::Force { confirmation })
}

/// A refused rollback: why, and the commands for what is safe and for what is not.
fn lockout_text(
    journal_id: &str,
    lockout: &crate::domain::migration::safety::Lockout,
    changed_nothing: bool,
) -> String {
    let name = sanitize::display(&lockout.identity).replace('\'', "");
    format!(
        "Rollback stopped{}: {}.\n\
         - To keep the new credential and close the migration as rolled back except it: `credwise migrate rollback {journal_id} --keep-new-credential`.\n\
         - To remove it anyway and leave {name} without a usable credential: `credwise migrate rollback {journal_id} --force` (you type the identity's name; in scripts add --confirm-lockout '{name}').",
        if changed_nothing {
            " before changing anything"
        } else {
            ""
        },
        sanitize::display(&lockout.to_string()),
    )
}

/// No open migration: for a rollback, the latest finished one and the exact command that
/// undoes it (a migration that ended done is closed, so a bare `rollback` does not find it).
fn nothing_open(store: &JournalStore, verb: &str, rollback: bool) -> CliError {
    let latest_done = rollback
        .then(|| store.list().ok())
        .flatten()
        .and_then(|(states, _)| {
            states.into_iter().rev().find(|s| {
                matches!(s.closed, Some((crate::store::journal::Outcome::Done, _)))
                    && s.source.kind != SourceKind::Demo
            })
        });
    match latest_done {
        Some(s) => {
            let source = match (&s.source.path, &s.source.tenant) {
                (Some(path), _) => {
                    format!(" --snapshot {}", shell_word(&path.display().to_string()))
                }
                (None, Some(tenant)) => format!(" --tenant {}", shell_word(tenant)),
                (None, None) => String::new(),
            };
            CliError::usage(format!(
                "no open migration to roll back; the latest finished one is {} ({} of {}, done {}). To undo it: credwise migrate rollback {}{source}",
                s.id,
                s.migration.as_str(),
                crate::sanitize::display(&s.plan.identity.display_name),
                s.closed
                    .map(|(_, at)| crate::domain::expiry::date(at))
                    .unwrap_or_default(),
                s.id,
            ))
        }
        None => CliError::usage(format!(
            "no open migration to {verb} (`credwise migrate status` lists them)"
        )),
    }
}

/// `s` as one shell word: quoted when it holds anything but plain characters.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", crate::sanitize::display(s).replace('\'', "'\\''"))
    }
}
