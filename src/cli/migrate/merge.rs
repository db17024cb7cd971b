//! `credwise migrate merge-federated-credentials --identity ID [--github-repo OWNER/REPO]`:
//! the plan behind the audit's `fic-near-limit` remedy (`domain::migration::flexible::
//! merge_plan`) — several classic GitHub credentials of one repository that differ only by
//! branch, tag or environment become one flexible credential, then go (`--keep-old` keeps
//! them). Its plan is built from the identity's credentials, not from a form of strings, so it
//! takes `immutable`'s path: a draft (`prepare::draft_plan`), dry run by default, `--apply`
//! confirmed, journaled, each old credential's removal behind the retirement gate.

use clap::Args;

use super::immutable::{self, Flags, Plans};
use super::plan::invalid;
use super::{CliError, Env, GateArgs, RunArgs};
use crate::domain::migration::{PlanContext, flexible};
use crate::jobs::migrate;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The identity whose GitHub credentials merge: an application (object id, appId or
    /// exact display name) or a user-assigned managed identity.
    #[arg(long, value_name = "ID")]
    pub identity: String,
    /// Merge only this repository's credentials (default: every group that can merge).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github_repo: Option<String>,
    /// Keep the merged credentials (by default each is removed once the flexible one has
    /// signed in and it is idle: the retirement gate).
    #[arg(long)]
    pub keep_old: bool,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `credwise migrate merge-federated-credentials …`.
pub(super) async fn command(args: &MergeArgs, env: &Env<'_>) -> Result<(), CliError> {
    let flags = Flags {
        run: args.run,
        gate: args.gate.options()?,
    };
    let loaded = immutable::load(&flags, env).await?;
    let ctx = PlanContext {
        dir: &loaded.dir,
        now: loaded.now,
        guidance: migrate::guidance(),
    };
    let plan = flexible::merge_plan(
        &ctx,
        &args.identity,
        args.github_repo.as_deref(),
        !args.keep_old,
    )
    .map_err(invalid)?;
    let plans = Plans {
        drafts: vec![migrate::draft_plan(
            plan,
            flags.gate,
            &loaded.dir,
            loaded.now,
        )],
        skipped: Vec::new(),
    };
    immutable::execute(plans, false, &flags, env, &loaded).await
}
