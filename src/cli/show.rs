//! `credwise show ID`: one identity in full.

use clap::Args;

use super::{CliError, Format};
use crate::backend::Backend;
use crate::domain::Timestamp;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An object id, an appId/clientId, or an exact display name.
    pub id: String,
    /// Output format (table or json).
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

pub async fn run(args: &ShowArgs, backend: &dyn Backend, now: Timestamp) -> Result<(), CliError> {
    let _ = (args, backend, now);
    Err(CliError::usage("show: not implemented yet"))
}
