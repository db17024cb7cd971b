//! `credwise list`: every identity with its credentials, as a table, JSON or CSV.

use clap::Args;

use super::{CliError, Format};
use crate::backend::Backend;
use crate::domain::Timestamp;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only identities of this kind: application, service-principal,
    /// user-assigned-managed-identity, system-assigned-managed-identity.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

pub async fn run(args: &ListArgs, backend: &dyn Backend, now: Timestamp) -> Result<(), CliError> {
    let _ = (args, backend, now);
    Err(CliError::usage("list: not implemented yet"))
}
