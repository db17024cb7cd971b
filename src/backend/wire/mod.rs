//! The Graph and ARM wire types: how credwise reads applications, service principals, their
//! credentials, user-assigned identities and role assignments from JSON, whether the JSON is a
//! file a user exported (`backend::import`, `az … list` output) or a page the live backend
//! fetched (`backend::live`). One reading for both, so a file and a live crawl agree on every
//! quirk: `null` for an empty collection, `""` for "not set", timestamps with any number of
//! fractional digits or no offset, ARM objects flat (as `az` prints them) or nested under
//! `properties` (as the REST API answers).
//!
//! Secret material stops here. The wire types have no field for `secretText` or for a
//! certificate's `key` blob, so serde skips those values without keeping them, and error
//! messages never quote a string value that serde found where it expected something else
//! ([`redact_strings`]).
//!
//! Layout: `graph` (applications, service principals, passwords, keys, federated identity
//! credentials), `arm` (user-assigned identities, role assignments), `usage` (sign-in reports
//! and sign-in log entries), `timestamp` (the lenient RFC 3339 reader), `implied` (what a
//! set of objects implies: system-assigned identities' resources, the tenant). May import `domain` and serde only.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer};

mod arm;
mod graph;
mod implied;
mod timestamp;
pub(crate) mod usage;

pub(crate) use arm::{WireIdentity, WireRoleAssignment};
pub(crate) use graph::{WireApplication, WireFic, WireKey, WirePassword, WireServicePrincipal};
pub(crate) use implied::{arm_name_and_type, infer_tenant_id, system_assigned_resources};

/// Replaces the quoted value in serde's `string "…"` with a placeholder: a value that is in the
/// wrong place may be a secret (say, a secret pasted where a credential object belongs), and
/// error messages end up in terminals and CI logs.
pub(crate) fn redact_strings(message: &str) -> String {
    const MARK: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        out.push_str("string (value not shown)");
        let quoted = &rest[at + MARK.len()..];
        // serde writes the value with `{:?}`, so a quote inside it is escaped.
        let mut escaped = false;
        let mut end = quoted.len();
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &quoted[end..];
    }
    out.push_str(rest);
    out
}

/// A domain object deserialized through a wire type `W` whose conversion can fail; the failure
/// becomes a serde error, so serde_json gives it the position of the offending object.
pub(crate) struct Checked<T, W>(pub(crate) T, PhantomData<W>);

impl<'de, T, W> Deserialize<'de> for Checked<T, W>
where
    W: Deserialize<'de> + TryInto<T, Error = String>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = W::deserialize(d)?;
        wire.try_into()
            .map(|t| Checked(t, PhantomData))
            .map_err(de::Error::custom)
    }
}

/// `null` and a missing array both mean "none": `az` prints `null` for collections Graph did
/// not return.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(d).map(Option::unwrap_or_default)
}

/// Treats `""` like `null`: `az` and hand-edited files use both for "not set".
pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// The last segment of an ARM id: a resource's name.
fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
