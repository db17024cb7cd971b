//! The three migrations' command: the form from the flags, `jobs::migrate::draft` for the plan
//! (printed, and nothing changed, without `--apply`), then the open-migration refusal, the
//! confirmation, `finish` (a generated certificate made only now) and the run, printed as it
//! goes.

use std::io::IsTerminal;

use super::progress::{RunOptions, finish, lines_text, progress_printer, unless_forced};
use super::{CliError, Env, FormArgs, FormKind, PlanFormat, no_terminal};
use crate::cli::output;
use crate::domain::migration::{FieldError, Form, MigrationKind, Plan};
use crate::jobs::migrate::{self, PrepareError};
use crate::sanitize;
use crate::store::journal::JournalStore;

/// Field errors as one usage error that names each flag.
pub(super) fn invalid(errors: Vec<FieldError>) -> CliError {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            if e.field == "preset" {
                format!("  {}", sanitize::display(&e.message.flags()))
            } else {
                format!("  --{}: {}", e.field, sanitize::display(&e.message.flags()))
            }
        })
        .collect();
    CliError::usage(format!("the plan is not valid:\n{}", lines.join("\n")))
}

pub(super) fn prepare_error(e: PrepareError) -> CliError {
    match e {
        PrepareError::Invalid(errors) => invalid(errors),
        PrepareError::Certificate(e) => CliError::usage(e.to_string()),
        PrepareError::Migrate(e) => super::progress::migrate_error(e),
    }
}

/// `credwise migrate <kind> …`.
pub(super) async fn command<K: FormKind>(
    args: &FormArgs<K>,
    env: &Env<'_>,
) -> Result<(), CliError> {
    let common = &args.common.run;
    common.refusal(env.read_only)?;
    let mut form = Form::new(K::KIND, args.common.identity.clone());
    for (name, value) in &args.values {
        form.set(name, value.clone());
    }
    if K::KIND == MigrationKind::SecretToManagedIdentity {
        // The form's subscription is the SOURCE's global `--subscription`.
        if env.source.subscriptions.len() > 1 {
            return Err(CliError::usage(
                "--subscription: give one subscription to create the managed identity in",
            ));
        }
        if let Some(s) = env.source.subscriptions.first() {
            form.set("subscription", s.clone());
        }
    }
    let super::Loaded { backend, dir, now } = super::load(env).await?;
    let draft = migrate::draft(&form, &dir, now, common.apply).map_err(prepare_error)?;
    if !common.apply {
        match common.output {
            PlanFormat::Json => output::print(&crate::cli::json::to_pretty(&plan_json(&draft)?)?),
            PlanFormat::Text => {
                output::print(&lines_text(draft.plan.lines()));
                output::print(&evidence_text(&draft));
                output::print("\nDry run: nothing was changed. Add --apply to run this plan.\n");
            }
        }
        return Ok(());
    }

    // One open migration per identity: say so before anything is printed or asked, and
    // before a certificate is generated for nothing (`finish` asks again).
    let store = JournalStore::open_default().map_err(super::progress::journal_error)?;
    let identity = &draft.plan.identity;
    migrate::ensure_no_open_migration(&store, &identity.object_id, Some(&identity.target))
        .map_err(super::progress::migrate_error)?;
    if common.output == PlanFormat::Text {
        print_before_confirming(&draft);
    }
    confirm(&draft.plan, common.yes)?;
    let gate = draft.gate;

    let prepared = migrate::finish(draft, &dir, &store, now).map_err(prepare_error)?;
    if !prepared.key_files.is_empty() {
        output::eprint(&format!(
            "Private key written (mode 0600): {}",
            prepared.key_files.join(", ")
        ));
    }
    let source = env.source.record(backend.describe());
    let mut run = RunOptions::new(env, source.clone());
    run.options.gate = gate;
    let printer = progress_printer(&prepared.plan, &mut run);
    let summary = unless_forced(
        migrate::run(
            backend.as_ref(),
            &store,
            prepared.plan,
            source,
            &run.options,
        ),
        &run.forced,
    )
    .await;
    drop(run);
    let _ = printer.await;
    finish(&summary?, env.source, common.output)
}

/// What a text run prints of a plan before asking: its overview, notes and evidence. The
/// user's part is printed after the run, with the ids and files it produced.
pub(super) fn print_before_confirming(draft: &migrate::Draft) {
    let mut lines = draft.plan.overview_lines();
    lines.extend(draft.plan.note_lines());
    output::print(&lines_text(lines));
    output::print(&evidence_text(draft));
}

/// The retirement gate's evidence per removal, after the plan (empty when nothing is removed).
pub(super) fn evidence_text(draft: &migrate::Draft) -> String {
    let lines = draft.evidence_lines();
    if lines.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n");
    for l in lines {
        s.push_str(&sanitize::display(&l));
        s.push('\n');
    }
    s
}

/// The plan as `--output json` prints it: the plan's own fields, and `usageEvidence` (one
/// object per removal step: `step`, 1-based, `verdict`, `shown`, `missing`) when it removes
/// anything.
pub(super) fn plan_json(draft: &migrate::Draft) -> Result<serde_json::Value, CliError> {
    let mut v = serde_json::to_value(&draft.plan)
        .map_err(|e| CliError::usage(format!("cannot write the plan as JSON: {e}")))?;
    if !draft.evidence.is_empty()
        && let Some(o) = v.as_object_mut()
    {
        o.insert(
            "usageEvidence".into(),
            super::progress::evidence_json(&draft.evidence),
        );
    }
    Ok(v)
}

/// Asks before changing anything: on a terminal, `y` — or the identity's name when secrets
/// are removed; without a terminal only `--yes` will do.
fn confirm(plan: &Plan, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let removes = plan.steps.iter().filter(|s| s.removes_secret).count();
    let name = sanitize::display(&plan.identity.display_name).into_owned();
    let prompt = if removes > 0 {
        format!(
            "\nThis removes {removes} client secret(s) of {name} once the new credential is verified.\nType the identity's name ({name}) to apply: "
        )
    } else {
        format!(
            "\nApply these {} step(s) to {name}? [y/N] ",
            plan.steps.len()
        )
    };
    output::prompt(&prompt);
    let answer = super::journals::read_answer()?;
    let ok = if removes > 0 {
        answer == name || answer == plan.identity.display_name
    } else {
        matches!(answer.as_str(), "y" | "Y" | "yes" | "Yes")
    };
    if ok {
        Ok(())
    } else {
        Err(CliError::usage("not confirmed: nothing was changed"))
    }
}
