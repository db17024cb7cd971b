//! Writes credwise's embedded demo tenant, `assets/demo-tenant.json`, from its builder
//! (`credwise_test_kit::tenant::demo`). Run from anywhere in the repository:
//!
//! ```text
//! cargo run -p credwise-test-kit --example demo_tenant            # writes the asset
//! cargo run -p credwise-test-kit --example demo_tenant -- --check # exit 1 when it is stale
//! ```
// An example is a small program of its own: it says what it wrote.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::ExitCode;

use credwise_test_kit::tenant::demo;

fn main() -> ExitCode {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo-tenant.json");
    let bytes = demo::asset_bytes();
    if std::env::args().skip(1).any(|a| a == "--check") {
        let current = std::fs::read(&out).unwrap_or_default();
        if current != bytes {
            eprintln!(
                "{} is stale: run cargo run -p credwise-test-kit --example demo_tenant",
                out.display()
            );
            return ExitCode::from(1);
        }
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&out, &bytes) {
        eprintln!("cannot write {}: {e}", out.display());
        return ExitCode::from(2);
    }
    let t = demo::snapshot();
    println!(
        "wrote {}: {} apps, {} service principals, {} user-assigned MIs, {} resources, {} role assignments",
        out.display(),
        t.applications.len(),
        t.service_principals.len(),
        t.user_assigned_identities.len(),
        t.resources.len(),
        t.role_assignments.len()
    );
    ExitCode::SUCCESS
}
