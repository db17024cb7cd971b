//! The tenant at a glance, for the dashboard: identities by kind, credentials by type, the
//! secretless score (the share of workload identities that hold no client secret), how many
//! secrets and certificates end in each of the next twelve weeks, and findings by severity.

use super::{Report, Severity};
use crate::domain::Timestamp;
use crate::domain::credential::{CredentialRef, CredentialType};
use crate::domain::directory::Directory;
use crate::domain::kind::IdentityKind;

/// Weeks the expiry chart looks ahead.
pub const WEEKS: usize = 12;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// Identities per kind, in `IdentityKind::ALL` order.
    pub kinds: [usize; 4],
    /// Credentials per type, in `CredentialType::ALL` order.
    pub credentials: [usize; 3],
    /// Identities holding no client secret.
    pub secretless: usize,
    pub identities: usize,
    /// Secrets and certificates ending in week 1…12 from now.
    pub expiring_per_week: [u64; WEEKS],
    /// Already expired secrets and certificates.
    pub expired: usize,
    /// Findings per severity, in `Severity::ALL` order.
    pub findings: [usize; 5],
}

impl Overview {
    /// The secretless score in percent (100 for an empty tenant: nothing to fix).
    pub fn score(&self) -> u8 {
        if self.identities == 0 {
            return 100;
        }
        ((self.secretless * 100) / self.identities) as u8
    }
}

pub fn overview(dir: &Directory, report: &Report, now: Timestamp) -> Overview {
    let mut o = Overview {
        identities: dir.len(),
        ..Overview::default()
    };
    let week = time::Duration::weeks(1);
    for e in dir.entries() {
        if let Some(k) = IdentityKind::ALL.iter().position(|&k| k == e.kind) {
            o.kinds[k] += 1;
        }
        for (i, t) in CredentialType::ALL.iter().enumerate() {
            o.credentials[i] += usize::from(e.count(*t));
        }
        if e.secrets == 0 {
            o.secretless += 1;
        }
        // Only identities with something that ends need their credentials read.
        if e.nearest_expiry.is_some() {
            for c in dir.credentials_of(e) {
                let end = match c {
                    CredentialRef::Secret(_) | CredentialRef::Certificate(_) => c.end(),
                    CredentialRef::Federated(_) => None,
                };
                let Some(end) = end else { continue };
                if end <= now {
                    o.expired += 1;
                    continue;
                }
                let weeks = ((end - now).whole_seconds() / week.whole_seconds()) as usize;
                if weeks < WEEKS {
                    o.expiring_per_week[weeks] += 1;
                }
            }
        }
    }
    for (i, s) in Severity::ALL.iter().enumerate() {
        o.findings[i] = report.count(*s);
    }
    o
}
