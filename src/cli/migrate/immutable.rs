//! `credwise migrate github-immutable-subject`: name-based GitHub Actions federated credentials
//! to GitHub's immutable subjects, for one identity (`--identity`) or in bulk (`--all`,
//! `--github-org ORG`). The owner and repository ids come from `--owner-id/--repo-id` (one
//! identity) or GitHub's REST API (`--github-api-url`, a token from `GITHUB_TOKEN`/`GH_TOKEN`
//! when set: `backend::github` keeps it redacted and sends it over https only). Its plan needs
//! those ids, which a form of strings does not carry, so the plans are built here from
//! `domain::migration::github_immutable` and handed to `jobs::migrate` as drafts
//! (`draft_plan`): from there on it is the other migrations' path — dry run by default, the
//! open-migration refusal, `--apply` confirmed, one journal per identity, the retirement gate
//! before each old credential's removal (`--idle-days`, `--without-usage-evidence`), `migrate
//! status|resume|rollback` per journal.
//!
//! A bulk run prints one summary table at the end (identity, old subject, new subject,
//! outcome) and exits with the worst outcome's code: 0 done, 4 waiting on usage evidence, 2 a
//! refusal, a rejected change or an identity left out (its ids unknown, no room under the
//! cap), 3 a service failure or a stop (ranked in that order).

use std::io::IsTerminal;

use clap::Args;

use super::plan::invalid;
use super::progress::{
    RunOptions, finish, lines_text, progress_printer, summary_json, unless_forced,
};
use super::{CliError, Env, GateArgs, Loaded, PlanFormat, RunArgs, no_terminal};
use crate::backend::github::{GitHub, GitHubConfig};
use crate::backend::live::RetrySettings;
use crate::cli::exit;
use crate::cli::output;
use crate::cli::table::Table;
use crate::domain::migration::github_immutable::{self, BulkScope, ImmutableSubjectForm, KnownIds};
use crate::domain::migration::{PlanContext, retirement::GateOptions};
use crate::domain::{Directory, Timestamp};
use crate::jobs::migrate::{self, Draft, Summary};
use crate::sanitize;
use crate::store::journal::JournalStore;

#[derive(Debug, Args)]
pub struct ImmutableArgs {
    /// The identity whose name-based GitHub credentials move: an application (object id,
    /// appId or exact display name) or a user-assigned managed identity.
    #[arg(long, value_name = "ID", conflicts_with_all = ["all", "github_org"], required_unless_present_any = ["all", "github_org"])]
    pub identity: Option<String>,
    /// Every application and user-assigned identity with a name-based GitHub credential (one
    /// journal per identity).
    #[arg(long, conflicts_with = "github_org")]
    pub all: bool,
    /// The name-based credentials of this GitHub organisation (or user) only, on every
    /// identity that has one (one journal per identity).
    #[arg(long, value_name = "ORG")]
    pub github_org: Option<String>,
    /// GitHub's numeric id of the repository's owner (with --identity, when it trusts one
    /// repository; otherwise credwise asks GitHub).
    #[arg(long, value_name = "N", requires_all = ["identity", "repo_id"])]
    pub owner_id: Option<String>,
    /// GitHub's numeric id of the repository (with --owner-id).
    #[arg(long, value_name = "N", requires_all = ["identity", "owner_id"])]
    pub repo_id: Option<String>,
    /// GitHub's REST API, for the ids (a token is read from GITHUB_TOKEN or GH_TOKEN when
    /// set, and sent over https only).
    #[arg(long, value_name = "URL", default_value = crate::backend::github::DEFAULT_API_URL)]
    pub github_api_url: String,
    /// Keep the name-based credentials (by default each is removed once its replacement has
    /// signed in and it is idle: the retirement gate).
    #[arg(long)]
    pub keep_old: bool,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

impl ImmutableArgs {
    fn bulk(&self) -> Option<BulkScope> {
        if self.all {
            Some(BulkScope::All)
        } else {
            self.github_org
                .as_ref()
                .map(|o| BulkScope::Organisation(o.trim().to_string()))
        }
    }
}

/// The plans of a run, and the identities left out with the reason.
pub(super) struct Plans {
    pub drafts: Vec<Draft>,
    pub skipped: Vec<(String, String)>,
}

/// What the federated-credential migrations' commands share besides their plans.
pub(super) struct Flags {
    pub run: RunArgs,
    pub gate: GateOptions,
}

/// The tenant of a federated-credential migration, after the refusals that come before any
/// read (`--read-only` with `--apply`, `--apply` without a terminal or `--yes`).
pub(super) async fn load(flags: &Flags, env: &Env<'_>) -> Result<Loaded, CliError> {
    flags.run.refusal(env.read_only)?;
    super::load(env).await
}

/// `credwise migrate github-immutable-subject …`.
pub(super) async fn command(args: &ImmutableArgs, env: &Env<'_>) -> Result<(), CliError> {
    let flags = Flags {
        run: args.run,
        gate: args.gate.options()?,
    };
    let loaded = load(&flags, env).await?;
    let plans = plans(args, &loaded.dir, loaded.now, flags.gate).await?;
    execute(plans, args.bulk().is_some(), &flags, env, &loaded).await
}

/// Prints the plans (a dry run) or, with `--apply`, confirms and runs each through
/// `jobs::migrate`, one journal per identity.
pub(super) async fn execute(
    plans: Plans,
    bulk: bool,
    flags: &Flags,
    env: &Env<'_>,
    loaded: &Loaded,
) -> Result<(), CliError> {
    let Loaded { backend, dir, now } = loaded;
    let (dir, now, gate) = (dir, *now, flags.gate);
    if !flags.run.apply {
        print_plans(&plans, flags.run.output, bulk)?;
        return Ok(());
    }
    if plans.drafts.is_empty() {
        print_plans(&plans, flags.run.output, bulk)?;
        return Err(CliError::usage(
            "no identity has a federated credential to move: nothing was changed",
        ));
    }
    let store = JournalStore::open_default().map_err(super::progress::journal_error)?;
    if flags.run.output == PlanFormat::Text {
        plans
            .drafts
            .iter()
            .for_each(super::plan::print_before_confirming);
    }
    confirm(&plans, flags.run.yes)?;

    let source = env.source.record(backend.describe());
    let mut run = RunOptions::new(env, source.clone());
    run.options.gate = gate;
    let mut results: Vec<(Draft, Result<Summary, CliError>)> = Vec::new();
    let count = plans.drafts.len();
    for (i, draft) in plans.drafts.into_iter().enumerate() {
        if run.options.cancel.is_cancelled() {
            results.push((
                draft,
                Err(CliError {
                    code: exit::SERVICE,
                    message: "not started: the run was stopped".into(),
                }),
            ));
            continue;
        }
        if bulk {
            output::eprint(&format!(
                "== {} ({}/{count})",
                sanitize::display(&draft.plan.identity.display_name),
                i + 1
            ));
        }
        let identity = draft.plan.identity.clone();
        if let Err(e) =
            migrate::ensure_no_open_migration(&store, &identity.object_id, Some(&identity.target))
        {
            results.push((draft, Err(super::progress::migrate_error(e))));
            continue;
        }
        let kept = draft.clone();
        let prepared = match migrate::finish(draft, dir, &store, now) {
            Ok(p) => p,
            Err(e) => {
                results.push((kept, Err(super::plan::prepare_error(e))));
                continue;
            }
        };
        run.renew_events();
        let printer = progress_printer(&prepared.plan, &mut run);
        let summary = unless_forced(
            migrate::run(
                backend.as_ref(),
                &store,
                prepared.plan,
                source.clone(),
                &run.options,
            ),
            &run.forced,
        )
        .await;
        // Dropping the sender ends the printer before the next identity's lines.
        run.options.events = None;
        let _ = printer.await;
        let stop = matches!(&summary, Err(e) if e.code == 3 && run.forced.is_cancelled());
        results.push((kept, summary));
        if stop {
            break;
        }
    }
    drop(run);

    if !bulk && results.len() == 1 && plans.skipped.is_empty() {
        let Some((_, summary)) = results.pop() else {
            return Ok(());
        };
        return finish(&summary?, env.source, flags.run.output);
    }
    report_bulk(&results, &plans.skipped, env, flags.run.output)
}

/// The drafts of the identities in scope, the ids looked up where they are not given.
async fn plans(
    args: &ImmutableArgs,
    dir: &Directory,
    now: Timestamp,
    gate: GateOptions,
) -> Result<Plans, CliError> {
    let ctx = PlanContext {
        dir,
        now,
        guidance: migrate::guidance(),
    };
    match args.bulk() {
        None => {
            let form = ImmutableSubjectForm {
                identity: args.identity.clone().unwrap_or_default(),
                owner_id: args.owner_id.clone().unwrap_or_default(),
                repo_id: args.repo_id.clone().unwrap_or_default(),
                remove_old: !args.keep_old,
            };
            let missing = form.missing_ids(dir, &KnownIds::new()).map_err(invalid)?;
            let known = if missing.is_empty() {
                KnownIds::new()
            } else {
                let found = github(args)?.lookup(&missing).await;
                said(&found.renamed);
                if let Some((repo, e)) = found.failed.into_iter().next() {
                    return Err(CliError {
                        code: exit::of_error(&e),
                        message: format!(
                            "GitHub did not give the ids of {}: {} (give --owner-id and --repo-id instead)",
                            sanitize::display(&repo),
                            sanitize::display(&e.to_string())
                        ),
                    });
                }
                found.ids
            };
            let plan = form.build_plan(&ctx, &known).map_err(invalid)?;
            Ok(Plans {
                drafts: vec![migrate::draft_plan(plan, gate, dir, now)],
                skipped: Vec::new(),
            })
        }
        Some(scope) => {
            let found = github_immutable::find(dir);
            let in_scope: Vec<_> = found
                .into_iter()
                .filter(|n| match &scope {
                    BulkScope::All => true,
                    BulkScope::Organisation(org) => n.owner.eq_ignore_ascii_case(org),
                })
                .collect();
            let repos = github_immutable::repositories(&in_scope);
            let mut known = KnownIds::new();
            if !repos.is_empty() {
                let found = github(args)?.lookup(&repos).await;
                said(&found.renamed);
                for (repo, e) in &found.failed {
                    output::eprint(&format!(
                        "warning: GitHub did not give the ids of {}: {}",
                        sanitize::display(repo),
                        sanitize::display(&e.to_string())
                    ));
                }
                known = found.ids;
            }
            let bulk = github_immutable::build_bulk(&ctx, &scope, &known, !args.keep_old);
            Ok(Plans {
                drafts: bulk
                    .plans
                    .into_iter()
                    .map(|p| migrate::draft_plan(p, gate, dir, now))
                    .collect(),
                skipped: bulk.skipped,
            })
        }
    }
}

fn github(args: &ImmutableArgs) -> Result<GitHub, CliError> {
    let config = GitHubConfig::from_env(Some(&args.github_api_url));
    Ok(GitHub::new(&config, None, RetrySettings::default())?)
}

/// GitHub's notes on repositories that answered under another name, on stderr.
fn said(renamed: &[String]) {
    for r in renamed {
        output::eprint(&format!("note: {}", sanitize::display(r)));
    }
}

/// The dry run: every plan with its usage evidence, the identities left out, and — in bulk —
/// the summary table.
fn print_plans(plans: &Plans, format: PlanFormat, bulk: bool) -> Result<(), CliError> {
    if format == PlanFormat::Json {
        let mut list = Vec::new();
        for d in &plans.drafts {
            list.push(super::plan::plan_json(d)?);
        }
        let skipped: Vec<serde_json::Value> = plans
            .skipped
            .iter()
            .map(|(identity, reason)| serde_json::json!({ "identity": identity, "reason": reason }))
            .collect();
        let v = if bulk {
            serde_json::json!({ "plans": list, "skipped": skipped })
        } else {
            list.into_iter().next().unwrap_or_default()
        };
        output::print(&crate::cli::json::to_pretty(&v)?);
        return Ok(());
    }
    let mut s = String::new();
    for d in &plans.drafts {
        s.push_str(&lines_text(d.plan.lines()));
        s.push_str(&super::plan::evidence_text(d));
        s.push('\n');
    }
    if bulk {
        let mut table = summary_table();
        for d in &plans.drafts {
            rows(&mut table, d, "planned");
        }
        for (identity, reason) in &plans.skipped {
            table.row([identity.as_str(), "", "", &format!("skipped: {reason}")]);
        }
        if table.is_empty() {
            s.push_str("No identity has a name-based GitHub federated credential in scope.\n");
        } else {
            s.push_str(&table.render());
        }
    }
    s.push_str("\nDry run: nothing was changed. Add --apply to run this plan.\n");
    output::print(&s);
    Ok(())
}

fn summary_table() -> Table {
    Table::new(&["IDENTITY", "OLD SUBJECT", "NEW SUBJECT", "OUTCOME"])
}

/// One row per credential the plan moves (the table sanitizes every cell).
fn rows(table: &mut Table, draft: &Draft, outcome: &str) {
    let name = &draft.plan.identity.display_name;
    for (old, new) in github_immutable::subject_pairs(&draft.plan) {
        table.row([name.as_str(), &old, &new, outcome]);
    }
}

/// How bad an exit code is, for the worst of a bulk run: done, waiting, refused, failed.
fn severity(code: u8) -> u8 {
    match code {
        0 => 0,
        exit::WAITING => 1,
        exit::USAGE => 2,
        _ => 3,
    }
}

/// A bulk run's end: each identity's outcome in the job's words, the summary table, and the
/// worst exit code as the command's.
fn report_bulk(
    results: &[(Draft, Result<Summary, CliError>)],
    skipped: &[(String, String)],
    env: &Env<'_>,
    format: PlanFormat,
) -> Result<(), CliError> {
    let mut worst = 0u8;
    let mut table = summary_table();
    let mut runs = Vec::new();
    let mut text = String::new();
    for (draft, result) in results {
        let name = sanitize::display(&draft.plan.identity.display_name).into_owned();
        match result {
            Ok(summary) => {
                let code = exit::of_outcome(&summary.outcome);
                if severity(code) > severity(worst) {
                    worst = code;
                }
                rows(&mut table, draft, summary.outcome.word());
                runs.push(summary_json(summary));
                let wording = summary.wording();
                if summary.outcome == migrate::RunOutcome::Done {
                    text.push_str(&lines_text(summary.state.plan.guidance_lines()));
                }
                text.push_str(&format!(
                    "{name}: {} Journal {}.\n",
                    sanitize::display(&wording.headline),
                    summary.journal_id
                ));
                for d in &wording.details {
                    text.push_str(&format!("- {}\n", sanitize::display(d)));
                }
            }
            Err(e) => {
                if severity(e.code) > severity(worst) {
                    worst = e.code;
                }
                let first = e.message.lines().next().unwrap_or_default();
                rows(&mut table, draft, &format!("refused: {first}"));
                runs.push(serde_json::json!({
                    "identity": draft.plan.identity.display_name,
                    "outcome": "refused",
                    "error": e.message,
                }));
                text.push_str(&format!("{name}: {}\n", sanitize::display(&e.message)));
            }
        }
    }
    for (identity, reason) in skipped {
        table.row([identity.as_str(), "", "", &format!("skipped: {reason}")]);
    }
    // An identity left out (its ids unknown, no room under the cap) did not move: the run
    // did not do all it was asked, as a refused plan.
    if !skipped.is_empty() && severity(2) > severity(worst) {
        worst = 2;
    }
    if format == PlanFormat::Json {
        let summary: Vec<serde_json::Value> = results
            .iter()
            .flat_map(|(d, r)| {
                let outcome = match r {
                    Ok(s) => s.outcome.word().to_string(),
                    Err(_) => "refused".to_string(),
                };
                github_immutable::subject_pairs(&d.plan)
                    .into_iter()
                    .map(move |(old, new)| {
                        serde_json::json!({
                            "identity": d.plan.identity.display_name,
                            "oldSubject": old,
                            "newSubject": new,
                            "outcome": outcome,
                        })
                    })
            })
            .collect();
        output::print(&crate::cli::json::to_pretty(&serde_json::json!({
            "runs": runs,
            "skipped": skipped.iter().map(|(i, r)| serde_json::json!({"identity": i, "reason": r})).collect::<Vec<_>>(),
            "summary": summary,
        }))?);
    } else {
        text.push('\n');
        text.push_str(&table.render());
        if env.source.demo {
            text.push_str("The demo tenant keeps changes in memory only: nothing was saved to a tenant or a file.\n");
        } else if let Some(p) = &env.source.snapshot {
            text.push_str(&format!("Updated {}.\n", p.display()));
        }
        output::print(&text);
    }
    if worst == 0 {
        Ok(())
    } else {
        Err(CliError {
            code: worst,
            message: format!(
                "not every identity's migration is done (exit {worst}: {}); `credwise migrate status` lists the journals",
                match severity(worst) {
                    1 => "waiting on usage evidence",
                    2 => "refused or rejected",
                    _ => "failed or stopped",
                }
            ),
        })
    }
}

/// Asks once for the whole run: on a terminal `y`; without one only `--yes` will do.
fn confirm(plans: &Plans, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let steps: usize = plans.drafts.iter().map(|d| d.plan.steps.len()).sum();
    output::prompt(&format!(
        "\nApply {steps} step(s) to {} identit{}? [y/N] ",
        plans.drafts.len(),
        if plans.drafts.len() == 1 { "y" } else { "ies" }
    ));
    let answer = super::journals::read_answer()?;
    if matches!(answer.as_str(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        Err(CliError::usage("not confirmed: nothing was changed"))
    }
}
