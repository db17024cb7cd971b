//! `cargo run -p credwise-test-kit --bin write-tenant -- FILE`: writes the generated budget
//! tenant (`TenantSpec::budget()`, 150,081 identities) to a snapshot file, so the real
//! `credwise` binary can be measured on it (peak memory with `/usr/bin/time -v`, README
//! "What a crawl costs"). Generating takes seconds; the benches build the same tenant.

// A developer tool: it reports on stderr and has no caller to hand an error to.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use credwise::store::snapshot_file;
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write-tenant FILE");
        return ExitCode::from(2);
    };
    let snapshot = generate_tenant(&TenantSpec::budget(), time::OffsetDateTime::now_utc());
    match snapshot_file::save(&snapshot, &path) {
        Ok(()) => {
            eprintln!(
                "wrote {} applications, {} service principals, {} user-assigned identities, \
                 {} credentials to {}",
                snapshot.applications.len(),
                snapshot.service_principals.len(),
                snapshot.user_assigned_identities.len(),
                snapshot.credential_count(),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
