//! `credwise migrate …`: the three migrations and the journal commands.
//!
//! `secret-to-certificate|secret-to-fic|secret-to-managed-identity [SOURCE] --identity ID
//! [plan flags] [--remove-secrets all|KEYID,...] [--apply] [--yes] [--output text|json]` prints
//! the plan (steps, verifications, undos, the equivalent Graph/ARM calls) and changes nothing;
//! with `--apply` it asks for confirmation on a terminal (typing the identity's name when
//! secrets are to be removed), refuses without `--yes` when stdin is not a terminal, and runs
//! the plan through `jobs::migrate`, journaled. `status [ID] [--record]`, `resume [ID]` and
//! `rollback [ID]` work on journals (no id: the most recent open one).
//!
//! Exit codes: 0 success; 2 bad flags, an invalid plan, a refusal (read-only, no --yes, a lock)
//! or a change the tenant rejects; 3 a service, authentication or network failure.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use tokio::sync::mpsc;

use super::table::Table;
use super::{CliError, SourceArgs, output};
use crate::backend::Backend;
use crate::domain::migration::{
    CertificateForm, CertificateInfo, FicForm, FieldError, ManagedIdentityForm, Plan, PlanContext,
};
use crate::jobs::certificate;
pub use crate::jobs::migrate::Clock;
use crate::jobs::migrate::{self, Backoff, Event, Options, RandomIds, RunOutcome};
use crate::sanitize;
use crate::store::journal::{JournalState, JournalStore, StepState};

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Replace client secrets with a certificate (generated, or yours with --certificate).
    SecretToCertificate(Box<CertificateArgs>),
    /// Replace client secrets with a federated identity credential (GitHub Actions,
    /// Kubernetes, a managed identity, any OIDC issuer).
    SecretToFic(Box<FicArgs>),
    /// Move a service principal's workload to a managed identity: create or pick one, copy
    /// the Azure role assignments, then retire the secrets.
    SecretToManagedIdentity(Box<ManagedIdentityArgs>),
    /// Show journaled migrations (no id: all of them), or one migration's steps.
    Status(StatusArgs),
    /// Continue an interrupted migration (no id: the most recent open one).
    Resume(JournalArgs),
    /// Undo what a migration changed, newest first (no id: the most recent open one). It
    /// never leaves the identity without a usable credential unless told to with --force:
    /// when undoing would (a removed secret cannot come back on a live tenant), it stops
    /// before changing anything and says what is safe.
    Rollback(RollbackArgs),
}

/// The flags every migration has.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The identity whose secrets are replaced: object id, appId or exact display name.
    #[arg(long, value_name = "ID")]
    pub identity: String,
    /// Run the plan (without it, credwise prints the plan and changes nothing).
    #[arg(long)]
    pub apply: bool,
    /// Answer the confirmation (scripts); required with --apply when stdin is not a terminal.
    #[arg(long)]
    pub yes: bool,
    /// Remove client secrets once the new credential is verified: `all`, or keyIds
    /// separated by commas. Without it every secret stays.
    #[arg(long, value_name = "all|KEYID,...")]
    pub remove_secrets: Option<String>,
    /// Format of the plan (and of the result with --apply).
    #[arg(long, short = 'o', value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CertificateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Upload this certificate (PEM, PFX or DER; only its public part) instead of generating
    /// one. A protected PFX is opened with CREDWISE_PFX_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub certificate: Option<PathBuf>,
    /// Validity of a generated certificate, in months (1–24; default 12).
    #[arg(long, value_name = "N")]
    pub validity_months: Option<String>,
    /// Common name of a generated certificate (default: the application's name).
    #[arg(long, value_name = "NAME")]
    pub common_name: Option<String>,
    /// Directory for a generated private key: <name>.pem (certificate and key), <name>.pfx
    /// (passphrase from CREDWISE_PFX_PASSWORD, or none), <name>.crt; created 0600, never
    /// overwritten. Required with --apply when credwise generates the certificate.
    #[arg(long, value_name = "DIR")]
    pub key_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FicArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// GitHub Actions preset: the repository (with --branch, --environment, --tag or
    /// --pull-request).
    #[arg(long, value_name = "ORG/REPO", help_heading = "GitHub Actions")]
    pub github_repo: Option<String>,
    /// Jobs on this branch may sign in.
    #[arg(long, value_name = "NAME", help_heading = "GitHub Actions")]
    pub branch: Option<String>,
    /// Jobs that use this deployment environment may sign in.
    #[arg(long, value_name = "NAME", help_heading = "GitHub Actions")]
    pub environment: Option<String>,
    /// Jobs on this tag may sign in.
    #[arg(long, value_name = "NAME", help_heading = "GitHub Actions")]
    pub tag: Option<String>,
    /// Pull-request jobs may sign in.
    #[arg(long, help_heading = "GitHub Actions")]
    pub pull_request: bool,
    /// The owner's numeric id, for the immutable subject (with --github-repo-id).
    #[arg(long, value_name = "N", help_heading = "GitHub Actions")]
    pub github_owner_id: Option<String>,
    /// The repository's numeric id, for the immutable subject (with --github-owner-id).
    #[arg(long, value_name = "N", help_heading = "GitHub Actions")]
    pub github_repo_id: Option<String>,
    /// Kubernetes preset: the cluster's OIDC issuer URL (with --namespace and
    /// --service-account).
    #[arg(long, value_name = "URL", help_heading = "Kubernetes")]
    pub k8s_issuer: Option<String>,
    #[arg(long, value_name = "NS", help_heading = "Kubernetes")]
    pub namespace: Option<String>,
    #[arg(long, value_name = "SA", help_heading = "Kubernetes")]
    pub service_account: Option<String>,
    /// Managed-identity-as-FIC preset: the user-assigned managed identity whose tokens the
    /// app accepts (object id, client id or name).
    #[arg(long, value_name = "ID", help_heading = "Managed identity")]
    pub managed_identity: Option<String>,
    /// Any OIDC issuer: its URL (with --subject).
    #[arg(long, value_name = "URL", help_heading = "Any OIDC issuer")]
    pub issuer: Option<String>,
    /// Any OIDC issuer: the exact `sub` claim of the workload's tokens.
    #[arg(long, value_name = "S", help_heading = "Any OIDC issuer")]
    pub subject: Option<String>,
    /// The federated credential's name (default: derived from the preset).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The audience (default: api://AzureADTokenExchange, or the cloud's variant).
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// A description stored with the credential.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

#[derive(Debug, Args)]
pub struct ManagedIdentityArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Create a user-assigned managed identity with this name (with --resource-group and
    /// --location; the global --subscription chooses its subscription).
    #[arg(long, value_name = "NAME")]
    pub create: Option<String>,
    /// The resource group of the identity --create makes.
    #[arg(long, value_name = "RG")]
    pub resource_group: Option<String>,
    /// An Azure region, such as westeurope.
    #[arg(long, value_name = "LOCATION")]
    pub location: Option<String>,
    /// Use this existing managed identity (object id, client id or name) instead of --create.
    #[arg(long, value_name = "ID")]
    pub managed_identity: Option<String>,
}

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

/// Opens a SOURCE (the composition root knows the concrete backends).
pub type OpenSource<'a> = &'a dyn Fn(&SourceArgs) -> Result<Arc<dyn Backend>, CliError>;

/// What the composition root hands over: how to open a SOURCE, the clock, the read-only flag.
pub struct Env<'a> {
    pub source: &'a SourceArgs,
    pub read_only: bool,
    pub clock: Clock,
    pub open: OpenSource<'a>,
}

pub async fn run(cmd: &MigrateCommand, env: &Env<'_>) -> Result<(), CliError> {
    match cmd {
        MigrateCommand::SecretToCertificate(a) => plan_command(Form::Certificate(a), env).await,
        MigrateCommand::SecretToFic(a) => plan_command(Form::Fic(a), env).await,
        MigrateCommand::SecretToManagedIdentity(a) => {
            plan_command(Form::ManagedIdentity(a), env).await
        }
        MigrateCommand::Status(a) => status(a),
        MigrateCommand::Resume(a) => journal_command(a, None, env).await,
        MigrateCommand::Rollback(a) => journal_command(&a.journal, Some(a), env).await,
    }
}

enum Form<'a> {
    Certificate(&'a CertificateArgs),
    Fic(&'a FicArgs),
    ManagedIdentity(&'a ManagedIdentityArgs),
}

impl Form<'_> {
    fn common(&self) -> &CommonArgs {
        match self {
            Form::Certificate(a) => &a.common,
            Form::Fic(a) => &a.common,
            Form::ManagedIdentity(a) => &a.common,
        }
    }
}

fn s(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

/// Field errors as one usage error that names each flag.
fn invalid(errors: Vec<FieldError>) -> CliError {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            if e.field == "preset" {
                format!("  {}", sanitize::display(&e.message))
            } else {
                format!("  --{}: {}", e.field, sanitize::display(&e.message))
            }
        })
        .collect();
    CliError::usage(format!("the plan is not valid:\n{}", lines.join("\n")))
}

async fn plan_command(form: Form<'_>, env: &Env<'_>) -> Result<(), CliError> {
    let common = form.common();
    if common.apply && env.read_only {
        return Err(CliError::from(crate::backend::Error::ReadOnly));
    }
    if common.apply && !common.yes && !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let backend = (env.open)(env.source)?;
    let dir = super::load_directory(backend.as_ref()).await?;
    let now = (env.clock)();
    let ctx = PlanContext {
        dir: &dir,
        now,
        guidance: migrate::guidance(),
    };
    let remove = s(&common.remove_secrets);
    let mut ids = RandomIds;
    let mut cert_form = None;
    let mut user_cert: Option<CertificateInfo> = None;
    let plan = match &form {
        Form::Certificate(a) => {
            let f = CertificateForm {
                identity: common.identity.clone(),
                certificate: a
                    .certificate
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                validity_months: s(&a.validity_months),
                common_name: s(&a.common_name),
                key_out: a
                    .key_out
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                remove_secrets: remove,
            };
            let errors = if common.apply {
                f.validate_for_apply(&dir)
            } else {
                f.validate(&dir)
            };
            if !errors.is_empty() {
                return Err(invalid(errors));
            }
            if let Some(path) = &a.certificate {
                let info = certificate::read_user_certificate(
                    path,
                    certificate::pfx_password().as_deref(),
                )
                .map_err(|e| CliError::usage(e.to_string()))?;
                user_cert = Some(info);
            }
            let plan = f
                .build_plan(&ctx, &mut ids, user_cert.as_ref())
                .map_err(invalid)?;
            cert_form = Some(f);
            plan
        }
        Form::Fic(a) => {
            let f = FicForm {
                identity: common.identity.clone(),
                preset: None,
                github_repo: s(&a.github_repo),
                branch: s(&a.branch),
                environment: s(&a.environment),
                tag: s(&a.tag),
                pull_request: a.pull_request,
                github_owner_id: s(&a.github_owner_id),
                github_repo_id: s(&a.github_repo_id),
                k8s_issuer: s(&a.k8s_issuer),
                namespace: s(&a.namespace),
                service_account: s(&a.service_account),
                managed_identity: s(&a.managed_identity),
                issuer: s(&a.issuer),
                subject: s(&a.subject),
                name: s(&a.name),
                audience: s(&a.audience),
                description: s(&a.description),
                remove_secrets: remove,
            };
            f.build_plan(&ctx, &mut ids).map_err(invalid)?
        }
        Form::ManagedIdentity(a) => {
            if env.source.subscriptions.len() > 1 {
                return Err(CliError::usage(
                    "--subscription: give one subscription to create the managed identity in",
                ));
            }
            let f = ManagedIdentityForm {
                identity: common.identity.clone(),
                create: s(&a.create),
                resource_group: s(&a.resource_group),
                location: s(&a.location),
                subscription: env
                    .source
                    .subscriptions
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                managed_identity: s(&a.managed_identity),
                remove_secrets: remove,
            };
            f.build_plan(&ctx, &mut ids).map_err(invalid)?
        }
    };
    if !common.apply {
        match common.output {
            PlanFormat::Json => output::print(&json(&plan)?),
            PlanFormat::Text => {
                output::print(&plan_text(&plan));
                output::print("\nDry run: nothing was changed. Add --apply to run this plan.\n");
            }
        }
        return Ok(());
    }

    // One open migration per identity: say so before anything is printed or asked, and
    // before a certificate is generated for nothing.
    let store = JournalStore::open_default().map_err(journal_error)?;
    migrate::ensure_no_open_migration(
        &store,
        &plan.identity.object_id,
        Some(&plan.identity.target),
    )
    .map_err(migrate_error)?;
    if common.output == PlanFormat::Text {
        // The user's part is printed after the run, with the ids and files it produced.
        let mut lines = plan.overview_lines();
        lines.extend(plan.note_lines());
        output::print(&lines_text(lines));
    }
    confirm(&plan, common.yes)?;

    // A generated certificate is made only now, after the confirmation: its private key is
    // written once, and the plan is rebuilt around its real thumbprint.
    let plan = match cert_form {
        Some(f) if f.generates() => {
            let info = certificate::prepare(&f, &plan.identity.display_name, now)
                .map_err(|e| CliError::usage(e.to_string()))?;
            output::eprint(&format!(
                "Private key written (mode 0600): {}, {}",
                info.key_file.as_deref().unwrap_or(""),
                info.pfx_file.as_deref().unwrap_or("")
            ));
            f.build_plan(&ctx, &mut ids, Some(&info)).map_err(invalid)?
        }
        _ => plan,
    };

    let source = env.source.record(backend.describe());
    let mut options = options(env, &plan);
    let printer = progress_printer(&plan, &mut options);
    let summary = unless_forced(
        migrate::run(backend.as_ref(), &store, plan, source, &options.0),
        &options.2,
    )
    .await;
    drop(options);
    let _ = printer.await;
    let summary = summary?;
    finish(&summary, env.source, common.output)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, CliError> {
    super::json::to_pretty(v)
}

/// The plan as text, with tenant strings stripped of control characters.
fn plan_text(plan: &Plan) -> String {
    lines_text(plan.lines())
}

fn lines_text(lines: Vec<crate::domain::migration::PlanLine>) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&sanitize::display(&l.text));
        out.push('\n');
    }
    out
}

fn no_terminal() -> CliError {
    CliError::usage(
        "--apply changes the tenant and stdin is not a terminal to confirm on: add --yes",
    )
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
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::usage(format!("cannot read the confirmation: {e}")))?;
    let answer = answer.trim();
    let ok = if removes > 0 {
        answer == name || answer == plan.identity.display_name
    } else {
        matches!(answer, "y" | "Y" | "yes" | "Yes")
    };
    if ok {
        Ok(())
    } else {
        Err(CliError::usage("not confirmed: nothing was changed"))
    }
}

/// Run options, the receiving end of the progress events, and the token a second signal
/// cancels.
struct RunOptions(
    Options,
    Option<mpsc::UnboundedReceiver<Event>>,
    tokio_util::sync::CancellationToken,
);

fn options(env: &Env<'_>, _plan: &Plan) -> RunOptions {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut o = Options::new(env.clock.clone());
    o.events = Some(tx);
    // A snapshot answers at once; a tenant needs time to propagate.
    o.backoff = if env.source.demo || env.source.snapshot.is_some() {
        Backoff::FAST
    } else {
        Backoff::LIVE
    };
    // Ctrl-C, SIGTERM (a CI runner cancelling the job) or SIGHUP (the terminal closed)
    // finish or journal the current step, then stop; a second one stops at once.
    let forced = tokio_util::sync::CancellationToken::new();
    let (cancel, again) = (o.cancel.clone(), forced.clone());
    tokio::spawn(async move {
        let mut signals = stop_signals();
        if let Some(name) = signals.recv().await {
            output::eprint(&format!(
                "{name}: finishing the current step, then stopping… (again to stop at once)"
            ));
            cancel.cancel();
        }
        if signals.recv().await.is_some() {
            again.cancel();
        }
    });
    RunOptions(o, Some(rx), forced)
}

/// SIGINT, SIGTERM and SIGHUP, by name, as they arrive.
fn stop_signals() -> mpsc::UnboundedReceiver<&'static str> {
    let (tx, rx) = mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, name) in [
            (SignalKind::interrupt(), "SIGINT"),
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::hangup(), "SIGHUP"),
        ] {
            if let Ok(mut s) = signal(kind) {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while s.recv().await.is_some() {
                        let _ = tx.send(name);
                    }
                });
            }
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send("Ctrl-C");
        }
    });
    rx
}

/// Runs `job` unless a second signal comes first: then the step under way is left as the
/// journal has it (started, which `resume` checks before acting) and credwise stops now.
async fn unless_forced<T>(
    job: impl std::future::Future<Output = Result<T, migrate::MigrateError>>,
    forced: &tokio_util::sync::CancellationToken,
) -> Result<T, CliError> {
    tokio::select! {
        r = job => r.map_err(migrate_error),
        _ = forced.cancelled() => Err(interrupted_twice()),
    }
}

fn interrupted_twice() -> CliError {
    CliError {
        code: 3,
        message: "interrupted twice: stopped in the middle of a step. The journal holds it as started; `credwise migrate resume` checks it before acting again, `credwise migrate rollback` undoes what was done.".into(),
    }
}

/// Prints progress events on stderr as they come; ends when the run's options are dropped.
fn progress_printer(plan: &Plan, options: &mut RunOptions) -> tokio::task::JoinHandle<()> {
    let titles: Vec<String> = plan
        .steps
        .iter()
        .map(|s| sanitize::display(&s.title).into_owned())
        .collect();
    let rx = options.1.take();
    tokio::spawn(async move {
        let Some(mut rx) = rx else { return };
        while let Some(e) = rx.recv().await {
            if let Some(line) = describe_event(&e, &titles) {
                output::eprint(&line);
            }
        }
    })
}

fn describe_event(e: &Event, titles: &[String]) -> Option<String> {
    let n = titles.len();
    let title = |i: usize| titles.get(i).cloned().unwrap_or_default();
    Some(match e {
        Event::Started { journal_id, .. } => format!("Journal {journal_id}"),
        Event::StepStarted { index } => format!("[{}/{n}] {}", index + 1, title(*index)),
        Event::StepSkipped { reason, .. } => format!("      {reason}: skipped"),
        Event::StepApplied { .. } => "      applied".into(),
        Event::StepVerifying { attempt, .. } if *attempt > 1 => {
            format!("      verifying (attempt {attempt})")
        }
        Event::StepVerifying { .. } => return None,
        Event::StepVerified { .. } => "      verified".into(),
        Event::StepFailed { error, .. } => {
            format!("      failed: {}", sanitize::display(error))
        }
        Event::Rebound {
            principal_id,
            client_id,
        } => format!("      Azure chose principal id {principal_id}, client id {client_id}"),
        Event::UndoStarted { index } => {
            format!("[undo {}/{n}] {}", index + 1, title(*index))
        }
        Event::StepUndone { .. } => "      undone".into(),
        Event::UndoFailed { error, .. } => {
            format!("      undo failed: {}", sanitize::display(error))
        }
        Event::UndoNotPossible { reason, .. } => {
            format!("      left as it is: {}", sanitize::display(reason))
        }
        Event::StepKept { reason, .. } => format!("      {}", sanitize::display(reason)),
        Event::Finished { .. } => return None,
    })
}

fn journal_error(e: crate::store::journal::JournalError) -> CliError {
    let code = match e {
        crate::store::journal::JournalError::Io { .. } => 3,
        _ => 2,
    };
    CliError {
        code,
        message: e.to_string(),
    }
}

fn migrate_error(e: migrate::MigrateError) -> CliError {
    CliError {
        code: e.exit_code(),
        message: e.to_string(),
    }
}

/// Prints how a run ended; a failure becomes the exit code.
fn finish(
    summary: &migrate::Summary,
    source: &SourceArgs,
    format: PlanFormat,
) -> Result<(), CliError> {
    let id = &summary.journal_id;
    if format == PlanFormat::Json {
        output::print(&json(&summary_json(summary))?);
    }
    let text = |s: String| {
        if format == PlanFormat::Text {
            output::print(&s);
        }
    };
    match &summary.outcome {
        RunOutcome::Done | RunOutcome::RolledBack | RunOutcome::Abandoned => {
            let what = match summary.outcome {
                RunOutcome::Done => "Migration done",
                RunOutcome::RolledBack => "Migration rolled back",
                _ => "Migration abandoned",
            };
            let mut s = String::new();
            if summary.outcome == RunOutcome::Done {
                s.push_str(&lines_text(summary.state.plan.guidance_lines()));
            }
            s.push_str(&format!("\n{what}. Journal {id}.\n"));
            if let Some(r) = &summary.record {
                s.push_str(&format!(
                    "Record: {} (`credwise migrate status {id} --record`).\n",
                    r.display()
                ));
            }
            if source.demo || summary.state.source.kind == "demo" {
                s.push_str("The demo tenant keeps changes in memory only: nothing was saved to a tenant or a file.\n");
            } else if let Some(p) = &summary.state.source.path {
                s.push_str(&format!("Updated {}.\n", p.display()));
            }
            text(s);
            Ok(())
        }
        RunOutcome::RolledBackExceptSecrets { unrestored } => {
            // The rollback did all it can (running it again would not help): exit 0, and say
            // what remains, as the record does.
            let app_id = summary.state.plan.identity.app_id.as_deref();
            let mut s = format!(
                "\nMigration rolled back, except {} removed secret{} that cannot be restored on a live tenant. Journal {id}.\n",
                unrestored.len(),
                if unrestored.len() == 1 { "" } else { "s" }
            );
            for u in unrestored {
                s.push_str(&format!("- {}.\n", sanitize::display(&u.remedy(app_id))));
            }
            if let Some(r) = &summary.record {
                s.push_str(&format!(
                    "Record: {} (`credwise migrate status {id} --record`).\n",
                    r.display()
                ));
            }
            text(s);
            Ok(())
        }
        RunOutcome::RolledBackKeeping { kept, unrestored } => {
            let app_id = summary.state.plan.identity.app_id.as_deref();
            let mut s = format!(
                "\nMigration {}. Journal {id}.\n",
                sanitize::display(&migrate::kept_words(kept))
            );
            for u in unrestored {
                s.push_str(&format!("- {}.\n", sanitize::display(&u.remedy(app_id))));
            }
            if let Some(r) = &summary.record {
                s.push_str(&format!(
                    "Record: {} (`credwise migrate status {id} --record`).\n",
                    r.display()
                ));
            }
            text(s);
            Ok(())
        }
        RunOutcome::Failed {
            index,
            error,
            exit_code,
        } => Err(CliError {
            code: *exit_code,
            message: format!(
                "step {} failed: {}\nNothing was lost: `credwise migrate resume {id}` continues from this step, `credwise migrate rollback {id}` undoes what was done.",
                index + 1,
                sanitize::display(error)
            ),
        }),
        RunOutcome::Cancelled { next } if summary.state.rolling_back => Err(CliError {
            code: 3,
            message: format!(
                "stopped before undoing step {} (interrupted); every step before it is journaled. `credwise migrate rollback {id}` continues the rollback.",
                next + 1
            ),
        }),
        RunOutcome::Cancelled { next } => Err(CliError {
            code: 3,
            message: format!(
                "stopped before step {} (interrupted); every step before it is journaled. `credwise migrate resume {id}` continues, `credwise migrate rollback {id}` undoes.",
                next + 1
            ),
        }),
        RunOutcome::RollbackFailed {
            index,
            error,
            exit_code,
        } => Err(CliError {
            code: *exit_code,
            message: format!(
                "undoing step {} failed: {}\nRun `credwise migrate rollback {id}` again once the cause is fixed.",
                index + 1,
                sanitize::display(error)
            ),
        }),
    }
}

fn outcome_word(o: &RunOutcome) -> &'static str {
    match o {
        RunOutcome::Done => "done",
        RunOutcome::Failed { .. } => "failed",
        RunOutcome::Cancelled { .. } => "cancelled",
        RunOutcome::RolledBack => "rolled-back",
        RunOutcome::RolledBackExceptSecrets { .. } => "rolled-back-except-secrets",
        RunOutcome::RolledBackKeeping { .. } => "rolled-back-keeping-new-credential",
        RunOutcome::RollbackFailed { .. } => "rollback-failed",
        RunOutcome::Abandoned => "abandoned",
    }
}

fn state_word(s: Option<StepState>) -> &'static str {
    match s {
        None => "pending",
        Some(StepState::Started) => "started",
        Some(StepState::AlreadyInPlace) => "already-in-place",
        Some(StepState::Applied) => "applied",
        Some(StepState::Verified) => "verified",
        Some(StepState::Failed) => "failed",
        Some(StepState::UndoStarted) => "undo-started",
        Some(StepState::Undone) => "undone",
        Some(StepState::UndoFailed) => "undo-failed",
        Some(StepState::NotRestorable) => "not-restorable",
        Some(StepState::Kept) => "kept",
    }
}

fn summary_json(summary: &migrate::Summary) -> serde_json::Value {
    let mut v = state_json(&summary.state);
    v["outcome"] = outcome_word(&summary.outcome).into();
    if let RunOutcome::RolledBackExceptSecrets { unrestored } = &summary.outcome {
        let app_id = summary.state.plan.identity.app_id.as_deref();
        v["unrestoredSecrets"] = unrestored
            .iter()
            .map(|u| {
                serde_json::json!({
                    "step": u.index + 1,
                    "keyId": u.key_id,
                    "displayName": u.display_name,
                    "remedy": u.remedy(app_id),
                })
            })
            .collect::<Vec<_>>()
            .into();
    }
    if let RunOutcome::RolledBackKeeping { kept, .. } = &summary.outcome {
        v["keptCredentials"] = kept
            .iter()
            .map(|k| serde_json::json!({ "step": k.index + 1, "credential": k.what }))
            .collect::<Vec<_>>()
            .into();
    }
    if let Some(r) = &summary.record {
        v["record"] = r.display().to_string().into();
    }
    v
}

fn state_json(state: &JournalState) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = state
        .plan
        .steps
        .iter()
        .zip(&state.steps)
        .map(|(s, p)| {
            serde_json::json!({
                "title": s.title,
                "state": state_word(p.state),
                "removesSecret": s.removes_secret,
                "error": p.error,
                "expected": p.expected,
                "found": p.found,
            })
        })
        .collect();
    serde_json::json!({
        "journalId": state.id,
        "migration": state.migration.as_str(),
        "identity": {
            "id": state.plan.identity.object_id,
            "displayName": state.plan.identity.display_name,
            "kind": state.plan.identity.kind.as_str(),
        },
        "status": state.status(),
        "source": state.source.description,
        "startedAt": rfc3339(state.opened_at),
        "updatedAt": rfc3339(state.updated_at),
        "steps": steps,
    })
}

fn rfc3339(t: crate::domain::Timestamp) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `credwise migrate status [ID] [--record]`.
fn status(args: &StatusArgs) -> Result<(), CliError> {
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
            output::print(&json(&v)?);
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
        output::print(&json(&state_json(&state))?);
        return Ok(());
    }
    output::print(&state_text(&state));
    Ok(())
}

fn state_text(state: &JournalState) -> String {
    let mut s = format!(
        "Journal {}\n{} of {} — {}\nSource: {}\nStarted {}, updated {}\n\n",
        state.id,
        state.migration.title(),
        sanitize::display(&state.plan.identity.display_name),
        state.status(),
        sanitize::display(&state.source.description),
        rfc3339(state.opened_at),
        rfc3339(state.updated_at)
    );
    for (i, (step, p)) in state.plan.steps.iter().zip(&state.steps).enumerate() {
        s.push_str(&format!(
            "{:>2}. {:<16} {}\n",
            i + 1,
            state_word(p.state),
            sanitize::display(&step.title)
        ));
        if let Some(e) = &p.error {
            s.push_str(&format!("    {}\n", sanitize::display(e)));
        }
    }
    if state.truncated_tail {
        s.push_str("\n(The last journal line was cut by a crash and was ignored.)\n");
    }
    if state.closed.is_none() {
        s.push_str(&format!(
            "\nNext: `credwise migrate resume {0}` or `credwise migrate rollback {0}`.\n",
            state.id
        ));
    }
    s
}

/// `resume` and `rollback`.
async fn journal_command(
    args: &JournalArgs,
    rollback: Option<&RollbackArgs>,
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
        None => store.latest_open().map_err(journal_error)?.ok_or_else(|| {
            CliError::usage(format!(
                "no open migration to {verb} (`credwise migrate status` lists them)"
            ))
        })?,
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
    let mut opts = options(env, &state.plan);
    // The source: what the user gave, else what the journal names.
    let given = env.source.demo || env.source.snapshot.is_some();
    if !given && state.source.kind == "demo" {
        let summary = migrate::abandon(&store, &state.id, &opts.0).map_err(migrate_error)?;
        return Err(CliError::usage(format!(
            "migration {} ran on the demo tenant, whose changes lived in memory only: there is nothing to {verb}. It is now closed as abandoned (record: {}).",
            state.id,
            summary
                .record
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )));
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
    // `resume` and `rollback` refuse a source that is not the journal's.
    opts.0.source = Some(source.record(backend.describe()));
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
    opts.0.backoff = if source.demo || source.snapshot.is_some() {
        Backoff::FAST
    } else {
        Backoff::LIVE
    };
    let mut mode = match rollback {
        None => None,
        Some(r) if r.keep_new_credential => Some(migrate::RollbackMode::KeepNewCredential),
        Some(r) if r.force => Some(force_mode(r, &state, interactive)?),
        Some(_) => Some(migrate::RollbackMode::Safe),
    };
    loop {
        let printer = progress_printer(&state.plan, &mut opts);
        let job = async {
            match &mode {
                Some(m) => {
                    migrate::rollback_with(backend.as_ref(), &store, &state.id, m, &opts.0).await
                }
                None => migrate::resume(backend.as_ref(), &store, &state.id, &opts.0).await,
            }
        };
        // A second signal stops at once (the first finishes or journals the current step).
        let result = tokio::select! {
            r = job => r,
            _ = opts.2.cancelled() => return Err(interrupted_twice()),
        };
        // The printer ends once the run's event sender is gone.
        opts.0.events = None;
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
                let (tx, rx) = mpsc::unbounded_channel();
                opts.0.events = Some(tx);
                opts.1 = Some(rx);
            }
            Err(e) => return Err(migrate_error(e)),
        }
    }
}

fn read_answer() -> Result<String, CliError> {
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
