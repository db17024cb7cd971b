//! Tenants built in code: `generate` (large, realistic tenants from a seed, for benchmarks and
//! volume tests) and `demo` (Fabrikam Logistics, the embedded demo tenant, written to
//! `assets/demo-tenant.json`). Both build `credwise::domain` objects; the Azure facts and
//! object shapes they share live in `shared`.

pub mod demo;
pub mod generate;
mod shared;

pub use generate::{TenantSpec, add_agent_identities, add_usage, generate_tenant};
