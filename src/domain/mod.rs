//! The pure core of credwise: the tenant model, its index, links, expiry, filtering and the
//! `Change` data that mutations are made of.
//!
//! Nothing in here touches the outside world: no tokio, HTTP, terminal, filesystem, environment
//! or clock. The current time always comes in as an argument, so "expires in 12 days" is
//! deterministic in tests. `tests/architecture.rs` enforces this rule.

pub mod audit;
pub mod calls;
pub mod change;
pub mod credential;
pub mod delta;
pub mod directory;
pub mod expiry;
pub mod filter;
pub mod id_index;
pub mod kind;
pub mod last_used;
pub mod links;
pub mod migration;
pub mod objects;
pub mod portal;
pub mod search;
pub mod shared_str;
pub mod snapshot;
pub mod usage;
pub mod verify;
pub mod wizard;

pub use change::{Change, Check};
pub use credential::{
    CredentialRef, CredentialType, FederatedIdentityCredential, KeyCredential, ObjectCredentials,
    PasswordCredential,
};
pub use directory::{Directory, Entry, EntryId};
pub use kind::IdentityKind;
pub use objects::{
    Application, AzureResource, ResourceIdentity, RoleAssignment, ServicePrincipal,
    ServicePrincipalType, UserAssignedIdentity,
};
pub use snapshot::{Cloud, SnapshotSource, TenantSnapshot};
pub use verify::CheckOutcome;

/// Every timestamp in the model: an instant with the offset it was written with.
pub type Timestamp = time::OffsetDateTime;

/// `t` as RFC 3339 (`2026-11-22T12:00:00Z`), the one writer of instants for JSON, CSV,
/// journals, records and Graph filters; empty for a time RFC 3339 cannot write (a year outside
/// 0–9999), which neither a clock nor Graph gives.
pub fn rfc3339(t: Timestamp) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
