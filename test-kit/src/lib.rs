//! credwise's test support, kept out of the product: `tenant` builds tenants (the embedded demo
//! tenant, `assets/demo-tenant.json`, and large generated ones for benchmarks and volume
//! tests), `emulator` serves one over loopback HTTP as Microsoft Graph and Azure Resource
//! Manager do, and `github` stands in for GitHub's REST API (repository ids). It may import anything of `credwise` and the test-only crates; credwise's
//! integration tests, benches and examples take it as a dev-dependency, its unit tests never
//! (they compile a second `credwise` whose types would not match the kit's).

pub mod emulator;
pub mod github;
pub mod tenant;
