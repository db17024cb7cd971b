//! The rules about journals that hold across runs: one open migration per identity, `resume`
//! and `rollback` only on the journal's own source and tenant, and every ended migration with
//! its Markdown record (`ensure_record`, `rebuild_missing_records`, and `close`, which ends a
//! run by writing both).
//!
//! May import `backend`, `store` and `domain`.

use std::path::{Path, PathBuf};

use super::error::MigrateError;
use super::journal::Journal;
use super::options::{Event, Options};
use super::outcome::{RunOutcome, Summary};
use crate::backend::Backend;
use crate::domain::change::Target;
use crate::store::journal::{
    JournalError, JournalState, JournalStore, Outcome, Record, SourceKind, SourceRecord,
};

/// The open migration of an identity (by object id or by the object whose credentials it
/// changes), if there is one.
pub fn open_migration_of(
    store: &JournalStore,
    object_id: &str,
    target: Option<&Target>,
) -> Result<Option<JournalState>, JournalError> {
    let (all, _) = store.list()?;
    Ok(all.into_iter().rev().find(|s| {
        s.closed.is_none()
            && (s.plan.identity.object_id.eq_ignore_ascii_case(object_id)
                || target.is_some_and(|t| &s.plan.identity.target == t))
    }))
}

/// Refuses an identity that has an open migration, naming its journal and the commands that
/// end it. `prepare` asks before anything is generated; `run` asks again under the identity's
/// lock.
pub fn ensure_no_open_migration(
    store: &JournalStore,
    object_id: &str,
    target: Option<&Target>,
) -> Result<(), MigrateError> {
    match open_migration_of(store, object_id, target)? {
        None => Ok(()),
        Some(s) => Err(MigrateError::OpenMigration {
            identity: s.plan.identity.display_name.clone(),
            object_id: s.plan.identity.object_id.clone(),
            journal_id: s.id.clone(),
            migration: s.migration.as_str(),
            status: s.status(),
        }),
    }
}

/// Refuses a backend that is not the journal's source: another kind of source or another
/// snapshot file (when the caller says what it opened), or another tenant.
pub(super) async fn ensure_same_source(
    backend: &dyn Backend,
    state: &JournalState,
    options: &Options,
) -> Result<(), MigrateError> {
    let journal = &state.source;
    if let Some(given) = &options.source {
        let where_ = |s: &SourceRecord| match (&s.path, s.kind) {
            (Some(p), _) => format!("snapshot file {}", p.display()),
            (None, SourceKind::Live) => format!(
                "the live tenant{}",
                s.tenant
                    .as_deref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default()
            ),
            (None, kind) => format!("the {} tenant", kind.as_str()),
        };
        let same_file = match (&journal.path, &given.path) {
            (Some(a), Some(b)) => same_path(a, b),
            (None, None) => true,
            _ => false,
        };
        if journal.kind != given.kind || !same_file {
            return Err(MigrateError::WrongSource {
                journal_id: state.id.clone(),
                journal: where_(journal),
                given: where_(given),
            });
        }
    }
    let want = state.plan.tenant_id.trim();
    if let Some(got) = backend.tenant_id().await?
        && !want.is_empty()
        && want != "unknown"
        && got != "unknown"
        && !got.trim().eq_ignore_ascii_case(want)
    {
        return Err(MigrateError::WrongTenant {
            journal_id: state.id.clone(),
            journal_tenant: want.to_string(),
            given_tenant: got,
        });
    }
    Ok(())
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}

/// The record of an ended migration, written from its journal when it is missing (credwise
/// was killed between the journal's `closed` line and the record). `None` for a migration
/// that has not ended.
pub fn ensure_record(
    store: &JournalStore,
    state: &JournalState,
) -> Result<Option<PathBuf>, JournalError> {
    if state.closed.is_none() {
        return Ok(None);
    }
    let path = store.record_path(&state.id);
    if path.exists() {
        return Ok(Some(path));
    }
    store
        .write_record(&state.id, &super::record::render(state))
        .map(Some)
}

/// `ensure_record` for every journal; returns the ids whose record was rebuilt.
pub fn rebuild_missing_records(store: &JournalStore) -> Result<Vec<String>, JournalError> {
    let (all, _) = store.list()?;
    let mut rebuilt = Vec::new();
    for state in &all {
        if state.closed.is_some() && !store.record_path(&state.id).exists() {
            ensure_record(store, state)?;
            rebuilt.push(state.id.clone());
        }
    }
    Ok(rebuilt)
}

/// Ends a migration: the `closed` record, then the Markdown record beside the journal.
pub(super) fn close(
    store: &JournalStore,
    mut journal: Journal,
    outcome: Outcome,
    run_outcome: RunOutcome,
    options: &Options,
) -> Result<Summary, MigrateError> {
    journal.append(Record::Closed {
        outcome,
        at: options.now(),
    })?;
    let state = journal.into_state();
    let record = store.write_record(&state.id, &super::record::render(&state))?;
    options.emit(Event::Finished {
        outcome: run_outcome.clone(),
    });
    Ok(Summary {
        journal_id: state.id.clone(),
        outcome: run_outcome,
        record: Some(record),
        state,
    })
}

/// Ends a run that leaves the journal open (a failure, a stop): announces the outcome.
pub(super) fn stop(journal: Journal, outcome: RunOutcome, options: &Options) -> Summary {
    options.emit(Event::Finished {
        outcome: outcome.clone(),
    });
    let state = journal.into_state();
    Summary {
        journal_id: state.id.clone(),
        outcome,
        record: None,
        state,
    }
}

/// Journal `journal_id`'s state, refused when it is closed, unless it closed as `reopens`
/// (a rollback undoes a migration that is done).
pub(super) fn read_open(
    store: &JournalStore,
    journal_id: &str,
    reopens: Option<Outcome>,
) -> Result<JournalState, MigrateError> {
    let state = store.read(journal_id)?;
    match state.closed {
        Some((o, _)) if Some(o) != reopens => Err(MigrateError::Closed {
            id: state.id,
            outcome: o.as_str(),
        }),
        _ => Ok(state),
    }
}

/// Ends a migration without touching the tenant (a demo run whose process ended, or one the
/// user gives up on), and writes its record.
pub fn abandon(
    store: &JournalStore,
    journal_id: &str,
    options: &Options,
) -> Result<Summary, MigrateError> {
    let state = read_open(store, journal_id, None)?;
    let _lock = store.lock(&state.plan.identity.object_id, &state.id)?;
    let journal = Journal::open(store, journal_id)?;
    close(
        store,
        journal,
        Outcome::Abandoned,
        RunOutcome::Abandoned,
        options,
    )
}
