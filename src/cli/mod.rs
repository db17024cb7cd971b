//! The command line: clap definitions for every command of the CLI contract (PRODUCT.md) and
//! the non-interactive commands themselves. `output` is the only writer to stdout.
//!
//! May import `app`, `jobs`, `backend`, `store` and `domain`; never the terminal UI.

pub mod audit;
pub mod exit;
pub mod json;
pub mod list;
pub mod migrate;
pub mod output;
pub mod show;
pub mod snapshot;
pub mod table;
pub mod wizard;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Explore, audit and retire the client secrets of Microsoft Entra ID and Azure workload
/// identities.
///
/// Without a command, credwise opens the interactive explorer on SOURCE: --demo (the
/// embedded demo tenant), --snapshot FILE, or the live tenant (the default).
#[derive(Debug, Parser)]
#[command(name = "credwise", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Disable every change to the tenant (migrations, credential writes).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Write what credwise does to FILE (appended, created 0600), for a bug report: the
    /// command, loads, migration steps, errors and the requests sent — never a secret, token
    /// or key. CREDWISE_LOG (e.g. `debug`) changes what is kept.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the tenant comes from. The same flags work before or after a command.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Use the embedded demo tenant (no Azure needed; changes stay in memory).
    #[arg(long, global = true, conflicts_with = "snapshot")]
    pub demo: bool,

    /// Use a snapshot file (from `credwise snapshot save` or `snapshot import-az`).
    #[arg(long, global = true, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// The tenant to sign in to (live source).
    #[arg(
        long,
        global = true,
        value_name = "ID",
        env = "AZURE_TENANT_ID",
        hide_env_values = true
    )]
    pub tenant: Option<String>,

    /// The Azure cloud of the live tenant.
    #[arg(long, global = true, value_enum, default_value_t = CloudArg::Public)]
    pub cloud: CloudArg,

    /// How to get tokens for the live tenant.
    #[arg(long, global = true, value_enum, default_value_t = AuthArg::Auto)]
    pub auth: AuthArg,

    /// Microsoft Graph base URL (default: the cloud's public host).
    #[arg(long, global = true, value_name = "URL")]
    pub graph_url: Option<String>,

    /// Azure Resource Manager base URL (default: the cloud's public host).
    #[arg(long, global = true, value_name = "URL")]
    pub arm_url: Option<String>,

    /// Limit Azure reads to this subscription (repeatable).
    #[arg(long = "subscription", global = true, value_name = "ID")]
    pub subscriptions: Vec<String>,

    /// Neither start from nor write the tenant cache (live source).
    #[arg(long, global = true)]
    pub no_cache: bool,
}

impl SourceArgs {
    /// What a migration journal records of SOURCE, so `migrate resume` and `rollback` can
    /// open the same tenant again.
    pub fn record(&self, description: String) -> crate::store::journal::SourceRecord {
        use crate::store::journal::SourceRecord;
        if self.demo {
            SourceRecord::demo(description)
        } else if let Some(p) = &self.snapshot {
            SourceRecord::snapshot(p, description)
        } else {
            SourceRecord::live(description, self.tenant.clone(), self.cloud_name())
        }
    }

    /// `public`, `usgov` or `china`.
    pub fn cloud_name(&self) -> &'static str {
        match self.cloud {
            CloudArg::Public => "public",
            CloudArg::Usgov => "usgov",
            CloudArg::China => "china",
        }
    }

    /// True when SOURCE is the live tenant (neither --demo nor --snapshot).
    pub fn is_live(&self) -> bool {
        !self.demo && self.snapshot.is_none()
    }

    /// The live tenant's slot in the user's cache: one per cloud, tenant and Graph endpoint, so
    /// an emulator on loopback never mixes with the real tenant. `None` for --demo,
    /// --snapshot and --no-cache.
    pub fn cache_slot(&self) -> Option<crate::store::cache::CacheSlot> {
        if !self.is_live() || self.no_cache {
            return None;
        }
        let cloud = self.cloud_name();
        let tenant = self.tenant.as_deref().unwrap_or("signed-in");
        let endpoint = self
            .graph_url
            .as_deref()
            .map(|u| u.split("://").nth(1).unwrap_or(u))
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("default");
        crate::store::cache::CacheSlot::in_user_cache(&[cloud, tenant, endpoint])
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    #[default]
    Public,
    Usgov,
    China,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    #[default]
    Auto,
    Cli,
    DeveloperTools,
    ManagedIdentity,
    WorkloadIdentity,
    None,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List workload identities with their credentials.
    List(list::ListArgs),
    /// Show one identity: properties, credentials, links and role assignments.
    Show(show::ShowArgs),
    /// Audit every identity's credentials: findings with severity and remedy.
    Audit(audit::AuditArgs),
    /// Save or import snapshots.
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
    /// Recommend a credential type (offline: no tenant, no network)
    Wizard(wizard::WizardArgs),
    /// Move an identity off its client secrets: plan (dry run by default), apply, resume,
    /// roll back.
    #[command(subcommand)]
    Migrate(migrate::MigrateCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// Output formats shared by the commands (each accepts the subset its contract names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// A failed command: the message for stderr and the exit code of the CLI contract
/// (2 bad usage or input, 3 service/authentication/network failure).
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl From<crate::backend::Error> for CliError {
    fn from(e: crate::backend::Error) -> Self {
        Self {
            code: exit::of_error(&e),
            message: e.to_string(),
        }
    }
}

/// How the commands that read a tenant load it.
#[derive(Debug, Clone, Default, Args)]
pub struct LoadArgs {
    /// Start from the cached tenant and its delta links (live source): Graph's delta queries
    /// read only what changed since, and the federated credentials of changed applications.
    /// The Azure part and the federated credentials of unchanged applications stay as
    /// cached. Without a cached tenant and its links (or when Graph no longer knows them)
    /// this is a full load, and stderr says so.
    #[arg(long)]
    pub incremental: bool,
}

/// Loads the tenant of `source` (`jobs::load::fetch`: remembered in the cache of a live
/// source; `jobs::load::refresh` when `incremental`, which says on stderr what it did) and
/// indexes it, for the commands. On a terminal, progress is drawn on stderr while it loads
/// ("applications 1,200/4,000").
pub async fn load_directory(
    source: &crate::jobs::load::Source,
    incremental: bool,
) -> Result<crate::domain::Directory, CliError> {
    let (progress, drawer) = if output::stderr_is_terminal() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = crate::backend::Progress::new(tx, Default::default());
        let drawer = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                output::eprint_progress(Some(&progress_line(&p)));
            }
            output::eprint_progress(None);
        });
        (progress, Some(drawer))
    } else {
        (crate::backend::Progress::silent(), None)
    };
    let (loaded, said) = if incremental {
        match crate::jobs::load::refresh(source, &progress).await {
            Ok(r) => {
                let said = refresh_line(&r);
                (Ok(r.loaded), Some(said))
            }
            Err(e) => (Err(e), None),
        }
    } else {
        (crate::jobs::load::fetch(source, &progress).await, None)
    };
    // Dropping the sender ends the drawer, which clears its line before anything else prints.
    drop(progress);
    if let Some(d) = drawer {
        let _ = d.await;
    }
    let loaded = loaded?;
    if let Some(said) = said {
        output::eprint(&said);
    }
    for w in &loaded.warnings {
        output::eprint(&format!("warning: {}: {}", w.area, w.message));
    }
    // No command of the CLI filters by text: the index without the search text.
    Ok(crate::domain::Directory::without_search(loaded.snapshot))
}

/// What `--incremental` did, for stderr: what delta reported and how old the parts it did
/// not read are, or that it read the whole tenant (a warning of the load says why when Graph
/// no longer knew the links).
pub fn refresh_line(r: &crate::backend::Refreshed) -> String {
    if r.full {
        return if r
            .loaded
            .warnings
            .iter()
            .any(|w| w.area == crate::backend::Area::Refresh)
        {
            "incremental: read the whole tenant (see the warning below)".to_string()
        } else {
            "incremental: no cached tenant with delta links to start from; read the whole tenant"
                .to_string()
        };
    }
    let (mut added, mut changed, mut removed) = (0, 0, 0);
    for m in [&r.applications, &r.service_principals] {
        added += m.added.len();
        changed += m.changed.len();
        removed += m.removed.len();
    }
    let azure = r
        .sync
        .as_ref()
        .map(|s| {
            format!(
                "; the Azure part is as of {}",
                crate::domain::expiry::as_of(s.arm_at, r.loaded.snapshot.captured_at)
            )
        })
        .unwrap_or_default();
    format!(
        "incremental: {added} added, {changed} changed, {removed} removed since the cached \
         tenant (Graph delta){azure}"
    )
}

/// One progress report as a line: `loading applications 1200/4000 (30%)`.
pub fn progress_line(p: &crate::backend::ProgressEvent) -> String {
    match p.total {
        Some(total) if total > 0 => format!(
            "loading {} {}/{} ({}%)",
            p.stage,
            p.done,
            total,
            p.done.min(total) * 100 / total
        ),
        _ => format!("loading {} {}", p.stage, p.done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ProgressEvent;

    #[test]
    fn progress_lines() {
        let p = |done, total| ProgressEvent {
            stage: "applications".into(),
            done,
            total,
        };
        assert_eq!(
            progress_line(&p(1200, Some(4000))),
            "loading applications 1200/4000 (30%)"
        );
        assert_eq!(progress_line(&p(5, None)), "loading applications 5");
        assert_eq!(progress_line(&p(9, Some(0))), "loading applications 9");
    }
}
