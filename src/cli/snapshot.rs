//! `credwise snapshot save|import-az`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use crate::backend::Backend;
use crate::domain::Timestamp;

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
    /// The snapshot file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn save(args: &SaveArgs, backend: &dyn Backend) -> Result<(), CliError> {
    let _ = (args, backend);
    Err(CliError::usage("snapshot save: not implemented yet"))
}

pub fn import_az(args: &ImportAzArgs, tenant: Option<&str>, now: Timestamp) -> Result<(), CliError> {
    let _ = (args, tenant, now);
    Err(CliError::usage("snapshot import-az: not implemented yet"))
}
