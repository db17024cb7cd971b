//! The embedded demo tenant (`--demo`): `assets/demo-tenant.json`, compiled into the binary.
//! Its dates are written relative to 2026-01-01 and moved by whole days to *now* when it is
//! loaded, so the demo always shows expired, soon-expiring and healthy credentials.

use std::path::Path;

use crate::domain::{SnapshotSource, TenantSnapshot, Timestamp};
use crate::store::snapshot_file;

const DEMO: &[u8] = include_bytes!("../../assets/demo-tenant.json");

/// The demo tenant as of `now`.
pub fn snapshot(now: Timestamp) -> TenantSnapshot {
    // The asset is checked by tests/demo_tenant.rs; an empty tenant is the fallback that
    // keeps a broken build usable rather than a panic.
    let mut s = snapshot_file::parse(DEMO, Path::new("assets/demo-tenant.json"))
        .unwrap_or_else(|_| TenantSnapshot::empty("demo", now));
    let days = (now.date() - s.captured_at.date()).whole_days();
    s.shift_times(time::Duration::days(days));
    s.source = SnapshotSource::Demo;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn demo_parses_and_is_shifted_to_now() {
        let now = datetime!(2026-11-22 15:00 UTC);
        let s = snapshot(now);
        assert_eq!(s.captured_at.date(), now.date());
        assert_eq!(s.source, SnapshotSource::Demo);
        let raw = snapshot_file::parse(DEMO, Path::new("demo")).unwrap();
        assert_eq!(s.credential_count(), raw.credential_count());
    }
}
