//! The terminal explorer.

use std::sync::Arc;

use crate::backend::Backend;
use crate::cli::CliError;
use crate::domain::Timestamp;

pub async fn run(backend: Arc<dyn Backend>, read_only: bool, now: Timestamp) -> Result<(), CliError> {
    let _ = (backend, read_only, now);
    Err(CliError::usage("explorer: in progress"))
}
