//! `credwise migrate …`: the CLI's adapter to `jobs::migrate`.
//!
//! `secret-to-certificate|secret-to-fic|secret-to-managed-identity [SOURCE] --identity ID
//! [plan flags] [--remove-secrets all|KEYID,...] [--apply] [--yes] [--output text|json]` prints
//! the plan (steps, verifications, undos, the equivalent Graph/ARM calls) and changes nothing;
//! with `--apply` it asks for confirmation on a terminal (typing the identity's name when
//! secrets are to be removed), refuses without `--yes` when stdin is not a terminal, and runs
//! the plan through `jobs::migrate`, journaled. `status [ID] [--record]`, `resume [ID]` and
//! `rollback [ID]` work on journals (no id: the most recent open one).
//!
//! `github-immutable-subject (--identity ID | --all | --github-org ORG) [--owner-id N
//! --repo-id N] [--github-api-url URL] [--keep-old]` takes the same path from a plan built
//! with GitHub's ids (`immutable`), one journal per identity and a summary table in bulk;
//! `merge-federated-credentials --identity ID [--github-repo OWNER/REPO] [--keep-old]`
//! (`merge`) the same way from the identity's credentials.
//!
//! The plan flags are built from the form catalogue (`domain::migration::form`), as the
//! explorer's form is. `plan` holds the three migrations' command, `journals` the journal
//! commands, `progress` what is printed while a run goes on and how it ended.
//!
//! Exit codes: 0 success; 2 bad flags, an invalid plan, a refusal (read-only, no --yes, a lock)
//! or a change the tenant rejects; 3 a service, authentication or network failure; 4 waiting on
//! usage evidence before a removal (the retirement gate: nothing removed, `resume` checks
//! again; `--idle-days` and `--without-usage-evidence` are the catalogue's `GATE_FIELDS`).

mod immutable;
mod journals;
mod merge;
mod plan;
mod progress;

use std::io::IsTerminal;
use std::marker::PhantomData;
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Subcommand, ValueEnum};

use super::{CliError, SourceArgs};
use crate::backend::Backend;
use crate::domain::migration::form::{self, FieldSpec};
use crate::domain::migration::{FieldKind, MigrationKind};
pub use crate::jobs::migrate::Clock;

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Replace client secrets with a certificate (generated, or yours with --certificate).
    SecretToCertificate(Box<FormArgs<SecretToCertificate>>),
    /// Replace client secrets with a federated identity credential (GitHub Actions,
    /// Kubernetes, a managed identity, any OIDC issuer).
    SecretToFic(Box<FormArgs<SecretToFic>>),
    /// Move a service principal's workload to a managed identity: create or pick one, copy
    /// the Azure role assignments, then retire the secrets.
    SecretToManagedIdentity(Box<FormArgs<SecretToManagedIdentity>>),
    /// Move GitHub Actions federated credentials with a name-based subject
    /// (repo:OWNER/REPO:…) to GitHub's immutable subjects (repo:OWNER@ID/REPO@ID:…), for one
    /// identity or in bulk (--all, --github-org): add the new credential beside the old one,
    /// say what to switch in the repository, remove the old one once the new one signs in.
    GithubImmutableSubject(Box<immutable::ImmutableArgs>),
    /// Merge classic GitHub federated credentials of one repository that differ only by
    /// branch, tag or environment into one flexible credential (a claims-matching
    /// expression), then remove them: room under the limit of 20 (the audit's
    /// fic-near-limit remedy).
    MergeFederatedCredentials(Box<merge::MergeArgs>),
    /// Show journaled migrations (no id: all of them), or one migration's steps.
    Status(journals::StatusArgs),
    /// Continue an interrupted migration, or one waiting on usage evidence (no id: the most
    /// recent open one); the retirement gate is checked again before each removal.
    Resume(journals::ResumeArgs),
    /// Undo what a migration changed, newest first (no id: the most recent open one). It
    /// never leaves the identity without a usable credential unless told to with --force:
    /// when undoing would (a removed secret cannot come back on a live tenant), it stops
    /// before changing anything and says what is safe.
    Rollback(journals::RollbackArgs),
}

/// The flags every migration has besides its form's.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The identity whose secrets are replaced: object id, appId or exact display name.
    #[arg(long, value_name = "ID")]
    pub identity: String,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Whether and how a migration runs: the flags every `migrate` subcommand that changes the
/// tenant shares, and the refusals that come before anything is read.
#[derive(Debug, Clone, Copy, Args)]
pub struct RunArgs {
    /// Run the plan (without it, credwise prints the plan and changes nothing).
    #[arg(long)]
    pub apply: bool,
    /// Answer the confirmation (scripts); required with --apply when stdin is not a terminal.
    #[arg(long)]
    pub yes: bool,
    /// Format of the plan (and of the result with --apply).
    #[arg(long, short = 'o', value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

impl RunArgs {
    /// `--apply` under `--read-only`, or without a terminal to confirm on and no `--yes`:
    /// refused before the tenant is read.
    pub(super) fn refusal(&self, read_only: bool) -> Result<(), CliError> {
        if self.apply && read_only {
            return Err(CliError::from(crate::backend::Error::ReadOnly));
        }
        if self.apply && !self.yes && !std::io::stdin().is_terminal() {
            return Err(no_terminal());
        }
        Ok(())
    }
}

/// `--apply` with nobody to confirm it.
pub(super) fn no_terminal() -> CliError {
    CliError::usage(
        "--apply changes the tenant and stdin is not a terminal to confirm on: add --yes",
    )
}

/// The tenant a migration plans on, read from the source and not remembered: the cache is
/// what the explorer starts from, and the tenant is about to change.
pub(super) struct Loaded {
    pub backend: Arc<dyn Backend>,
    pub dir: crate::domain::Directory,
    pub now: crate::domain::Timestamp,
}

pub(super) async fn load(env: &Env<'_>) -> Result<Loaded, CliError> {
    let backend = (env.open)(env.source)?;
    let tenant = crate::jobs::load::Source {
        backend: backend.clone(),
        cache: None,
    };
    let dir = crate::cli::load_directory(&tenant, false).await?;
    let now = (env.clock)();
    Ok(Loaded { backend, dir, now })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
}

/// A migration whose form a subcommand takes.
pub trait FormKind {
    const KIND: MigrationKind;
}

#[derive(Debug)]
pub struct SecretToCertificate;
#[derive(Debug)]
pub struct SecretToFic;
#[derive(Debug)]
pub struct SecretToManagedIdentity;

impl FormKind for SecretToCertificate {
    const KIND: MigrationKind = MigrationKind::SecretToCertificate;
}
impl FormKind for SecretToFic {
    const KIND: MigrationKind = MigrationKind::SecretToFic;
}
impl FormKind for SecretToManagedIdentity {
    const KIND: MigrationKind = MigrationKind::SecretToManagedIdentity;
}

/// A migration subcommand's arguments: the common flags, and one flag per field of the
/// migration's form (the catalogue's name, help, value name and section).
#[derive(Debug)]
pub struct FormArgs<K> {
    pub common: CommonArgs,
    /// The form fields given, by name (a switch given is `yes`).
    pub values: Vec<(&'static str, String)>,
    kind: PhantomData<K>,
}

/// The fields a subcommand has flags of its own for (a global flag is the SOURCE's).
fn own_fields(kind: MigrationKind) -> impl Iterator<Item = &'static FieldSpec> {
    form::fields(kind).iter().filter(|f| !f.global_flag)
}

/// A form field's flag.
fn flag(f: &'static FieldSpec) -> Arg {
    let mut arg = Arg::new(f.name).long(f.name);
    if !f.flag_help().is_empty() {
        // As clap's derive writes a doc comment's help: without the closing full stop.
        arg = arg.help(f.flag_help().strip_suffix('.').unwrap_or(f.flag_help()));
    }
    if let Some(h) = f.heading {
        arg = arg.help_heading(h);
    }
    match f.kind {
        FieldKind::Toggle => arg.action(ArgAction::SetTrue),
        FieldKind::Choice(values) => arg
            .value_name(f.value_name)
            .value_parser(clap::builder::PossibleValuesParser::new(values)),
        FieldKind::Text => arg.value_name(f.value_name),
    }
}

impl<K: FormKind> FromArgMatches for FormArgs<K> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let common = CommonArgs::from_arg_matches(m)?;
        let values = given(form::fields(K::KIND), m);
        Ok(Self {
            common,
            values,
            kind: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<K: FormKind> Args for FormArgs<K> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        CommonArgs::augment_args(cmd).args(own_fields(K::KIND).map(flag))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The retirement gate's flags (`form::GATE_FIELDS`: `--idle-days`,
/// `--without-usage-evidence`), for `migrate resume`: the same catalogue entries the
/// migrations' forms have.
#[derive(Debug, Default)]
pub struct GateArgs {
    /// The gate fields given, by name (a switch given is `yes`).
    pub values: Vec<(&'static str, String)>,
}

impl GateArgs {
    /// The gate's options, or the flag's error.
    pub fn options(&self) -> Result<crate::domain::migration::retirement::GateOptions, CliError> {
        let value = |n: &str| {
            self.values
                .iter()
                .find(|(k, _)| *k == n)
                .map_or("", |(_, v)| v.as_str())
        };
        form::gate_options(value("idle-days"), value("without-usage-evidence") == "yes")
            .map_err(|e| plan::invalid(vec![e]))
    }
}

fn given(fields: &'static [FieldSpec], m: &ArgMatches) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .filter(|f| !f.global_flag)
        .filter_map(|f| match f.kind {
            FieldKind::Toggle => m.get_flag(f.name).then(|| (f.name, "yes".to_string())),
            _ => m.get_one::<String>(f.name).map(|v| (f.name, v.clone())),
        })
        .collect()
}

impl FromArgMatches for GateArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            values: given(form::GATE_FIELDS, m),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for GateArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(form::GATE_FIELDS.iter().map(flag))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
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
        MigrateCommand::SecretToCertificate(a) => plan::command(a, env).await,
        MigrateCommand::SecretToFic(a) => plan::command(a, env).await,
        MigrateCommand::SecretToManagedIdentity(a) => plan::command(a, env).await,
        MigrateCommand::GithubImmutableSubject(a) => immutable::command(a, env).await,
        MigrateCommand::MergeFederatedCredentials(a) => merge::command(a, env).await,
        MigrateCommand::Status(a) => journals::status(a),
        MigrateCommand::Resume(a) => {
            let gate = a.gate.options()?;
            journals::continue_journal(&a.journal, None, gate, env).await
        }
        MigrateCommand::Rollback(a) => {
            journals::continue_journal(&a.journal, Some(a), Default::default(), env).await
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn every_form_field_is_a_flag_of_its_subcommand() {
        let mut cli = crate::cli::Cli::command();
        cli.build();
        let migrate = cli.find_subcommand("migrate").expect("the migrate command");
        for kind in MigrationKind::ALL {
            let sub = migrate
                .find_subcommand(kind.as_str())
                .unwrap_or_else(|| panic!("migrate {}", kind.as_str()));
            for f in form::fields(kind) {
                let arg = sub
                    .get_arguments()
                    .find(|a| a.get_long() == Some(f.name))
                    .unwrap_or_else(|| panic!("{} has no --{}", kind.as_str(), f.name));
                assert_eq!(
                    arg.is_global_set(),
                    f.global_flag,
                    "--{} of {}",
                    f.name,
                    kind.as_str()
                );
                let takes_value = !matches!(arg.get_action(), ArgAction::SetTrue);
                assert_eq!(takes_value, f.kind != FieldKind::Toggle, "--{}", f.name);
            }
        }
        // `resume` checks the retirement gate again: it takes the gate's fields as flags.
        let resume = migrate.find_subcommand("resume").expect("migrate resume");
        for f in form::GATE_FIELDS {
            let arg = resume
                .get_arguments()
                .find(|a| a.get_long() == Some(f.name))
                .unwrap_or_else(|| panic!("resume has no --{}", f.name));
            let takes_value = !matches!(arg.get_action(), ArgAction::SetTrue);
            assert_eq!(takes_value, f.kind != FieldKind::Toggle, "--{}", f.name);
        }
    }

    #[test]
    fn resume_takes_the_gate_options() {
        let cli = crate::cli::Cli::try_parse_from([
            "credwise",
            "migrate",
            "resume",
            "ID",
            "--idle-days",
            "30",
            "--without-usage-evidence",
        ])
        .expect("parses");
        let Some(crate::cli::Command::Migrate(MigrateCommand::Resume(a))) = cli.command else {
            panic!("not resume");
        };
        let gate = a.gate.options().expect("valid");
        assert_eq!(gate.idle_days, 30);
        assert!(gate.without_usage_evidence);
        let bad = crate::cli::Cli::try_parse_from([
            "credwise",
            "migrate",
            "resume",
            "--idle-days",
            "soon",
        ])
        .expect("parses");
        let Some(crate::cli::Command::Migrate(MigrateCommand::Resume(a))) = bad.command else {
            panic!("not resume");
        };
        let e = a.gate.options().expect_err("not a number");
        assert!(e.message.contains("--idle-days"), "{}", e.message);
    }

    #[test]
    fn a_form_flag_reaches_the_form_by_its_field_name() {
        let cli = crate::cli::Cli::try_parse_from([
            "credwise",
            "migrate",
            "secret-to-fic",
            "--identity",
            "payroll-api",
            "--github-repo",
            "fabrikam/payroll",
            "--pull-request",
            "--preset",
            "github",
        ])
        .expect("parses");
        let Some(crate::cli::Command::Migrate(MigrateCommand::SecretToFic(a))) = cli.command else {
            panic!("not secret-to-fic");
        };
        assert_eq!(a.common.identity, "payroll-api");
        assert!(
            a.values
                .contains(&("github-repo", "fabrikam/payroll".to_string()))
        );
        assert!(a.values.contains(&("pull-request", "yes".to_string())));
        assert!(a.values.contains(&("preset", "github".to_string())));
        assert!(
            crate::cli::Cli::try_parse_from([
                "credwise",
                "migrate",
                "secret-to-fic",
                "--identity",
                "x",
                "--preset",
                "nonsense"
            ])
            .is_err(),
            "a preset is one of the catalogue's values"
        );
    }
}
