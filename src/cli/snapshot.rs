//! `credwise snapshot save|import-az`: write a tenant to a snapshot file, from any SOURCE or
//! from `az` CLI JSON.
//!
//! Both write through `store::snapshot_file::save`, which renames a finished temporary file
//! over the target, and an import is fully parsed before anything is written — so a bad input
//! file leaves no output file behind, and an existing one untouched.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CliError, output};
use crate::backend::import::{AzImport, import_with_warnings};
use crate::domain::{Directory, IdentityKind, Timestamp};
use crate::jobs::load::Source;
use crate::store::snapshot_file;

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Save the SOURCE tenant to a snapshot file.
    Save(SaveArgs),
    /// Turn `az ad app list --all`, `az ad sp list --all` and `az identity list` JSON into a
    /// snapshot file.
    ImportAz(ImportAzArgs),
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The snapshot file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub load: super::LoadArgs,
}

#[derive(Debug, Args)]
pub struct ImportAzArgs {
    /// Output of `az ad app list --all`.
    #[arg(long, value_name = "FILE")]
    pub apps: Option<PathBuf>,
    /// Output of `az ad sp list --all`.
    #[arg(long, value_name = "FILE")]
    pub service_principals: Option<PathBuf>,
    /// Output of `az identity list`.
    #[arg(long, value_name = "FILE")]
    pub managed_identities: Option<PathBuf>,
    /// Output of `az role assignment list --all`.
    #[arg(long, value_name = "FILE")]
    pub role_assignments: Option<PathBuf>,
    /// Sign-in data: an exported sign-in log (Entra admin center "Download JSON", `az rest`
    /// on /auditLogs/signIns, Log Analytics) or a sign-in report (appCredentialSignInActivities,
    /// servicePrincipalSignInActivities); may be given more than once.
    #[arg(long, value_name = "FILE")]
    pub sign_ins: Vec<PathBuf>,
    /// The snapshot file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn save(args: &SaveArgs, source: &Source) -> Result<(), CliError> {
    let dir = super::load_directory(source, args.load.incremental).await?;
    let line = format!("saved {} to {}\n", counts(&dir), args.out.display());
    snapshot_file::save(dir.snapshot(), &args.out).map_err(crate::backend::Error::from)?;
    output::print(&line);
    Ok(())
}

pub fn import_az(
    args: &ImportAzArgs,
    tenant: Option<&str>,
    now: Timestamp,
) -> Result<(), CliError> {
    let inputs = AzImport {
        apps: args.apps.as_deref(),
        service_principals: args.service_principals.as_deref(),
        managed_identities: args.managed_identities.as_deref(),
        role_assignments: args.role_assignments.as_deref(),
        tenant_id: tenant,
    };
    // Every import error is about the user's files (missing, unreadable, malformed): bad
    // input, exit 2, with the file, line and column in the message.
    let imported =
        import_with_warnings(&inputs, now).map_err(|e| CliError::usage(e.to_string()))?;
    // Not errors: the import goes on, and says what it is missing.
    for w in &imported.warnings {
        output::eprint(&format!("warning: {}", crate::sanitize::display(w)));
    }
    let mut snapshot = imported.snapshot;
    if !args.sign_ins.is_empty() {
        let paths: Vec<&std::path::Path> = args.sign_ins.iter().map(PathBuf::as_path).collect();
        let usage = crate::backend::usage_import::import_sign_ins(&paths, now)
            .map_err(|e| CliError::usage(e.to_string()))?;
        for w in &usage.warnings {
            output::eprint(&format!("warning: {}", crate::sanitize::display(w)));
        }
        snapshot.usage = usage.data;
    }
    let roles = snapshot.role_assignments.len();
    let dir = Directory::without_search(snapshot);
    let line = format!(
        "imported {}{} into {} (tenant {})\n",
        counts(&dir),
        match roles {
            0 => String::new(),
            1 => ", 1 role assignment".to_string(),
            n => format!(", {n} role assignments"),
        },
        args.out.display(),
        dir.snapshot().tenant_id,
    );
    snapshot_file::save(dir.snapshot(), &args.out).map_err(crate::backend::Error::from)?;
    output::print(&line);
    Ok(())
}

/// "109 identities (39 applications, 43 service principals, 11 user-assigned and 16
/// system-assigned managed identities) with 86 credentials".
fn counts(dir: &Directory) -> String {
    let n = |k: IdentityKind| dir.count_kind(k);
    format!(
        "{} {} ({} applications, {} service principals, {} user-assigned and {} \
         system-assigned managed identities) with {} credentials",
        dir.len(),
        if dir.len() == 1 {
            "identity"
        } else {
            "identities"
        },
        n(IdentityKind::Application),
        n(IdentityKind::ServicePrincipal),
        n(IdentityKind::UserAssignedManagedIdentity),
        n(IdentityKind::SystemAssignedManagedIdentity),
        dir.snapshot().credential_count()
    )
}
