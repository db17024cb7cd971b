//! The tenant at a glance, for the dashboard: identities by kind, credentials by type, the
//! secretless score (the share of workload identities that hold no client secret), how many
//! secrets and certificates end in each of the next twelve weeks, findings by severity, and
//! what the sign-in evidence says about secrets: how many went unused (`credential-unused`)
//! and how many still sign in beside their replacement (`secret-in-use-beside-replacement`),
//! counted from the audit's findings so the dashboard and the rules never disagree.

use super::rules::{CREDENTIAL_UNUSED, SECRET_IN_USE_BESIDE_REPLACEMENT};
use super::{Report, Severity};
use crate::domain::Timestamp;
use crate::domain::credential::{CredentialRef, CredentialType};
use crate::domain::directory::Directory;
use crate::domain::kind::IdentityKind;
use crate::domain::usage::Unknown;

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
    /// Secrets with no sign-in for `unused_days` days, in data that covers them.
    pub unused_secrets: usize,
    pub unused_days: i64,
    /// Secrets that signed in after a newer certificate, secret or federated credential was
    /// added beside them: the migration off them is not finished.
    pub secrets_in_use_beside_replacement: usize,
    /// Why no sign-in source could be read, when none was: the counts above are then 0 for
    /// want of data, not because every secret is in use.
    pub usage_unknown: Option<Unknown>,
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
    o.unused_days = report.unused_days;
    for f in &report.findings {
        if f.rule() == SECRET_IN_USE_BESIDE_REPLACEMENT {
            o.secrets_in_use_beside_replacement += 1;
        } else if f.rule() == CREDENTIAL_UNUSED && is_secret(dir, f) {
            o.unused_secrets += 1;
        }
    }
    o.usage_unknown = dir.snapshot().usage.unavailable();
    o
}

/// Whether the finding's credential is one of its identity's secrets (`credential-unused`
/// fires on certificates and federated credentials too).
fn is_secret(dir: &Directory, f: &super::Finding) -> bool {
    let Some(key) = f.credential_id.as_deref() else {
        return false;
    };
    dir.credentials_of(dir.entry(f.identity))
        .iter()
        .any(|c| matches!(c, CredentialRef::Secret(p) if p.key_id == key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{About, Finding, Remedy};
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

    fn finding(about: &'static About, credential: &str) -> Finding {
        Finding {
            about,
            severity: Severity::Medium,
            identity: 0,
            credential_id: Some(credential.into()),
            message: "".into(),
            remedy: Remedy::Action { text: "".into() },
        }
    }

    const UNUSED: About = About {
        rule: CREDENTIAL_UNUSED,
        title: "t",
        seed: "",
        section: "",
    };
    const IN_USE: About = About {
        rule: SECRET_IN_USE_BESIDE_REPLACEMENT,
        ..UNUSED
    };

    #[test]
    fn secrets_unused_and_still_used_count_the_rules_findings_on_secrets() {
        let json = r#"{"tenantId":"t","capturedAt":"2026-11-22T12:00:00Z",
            "applications":[{"id":"o1","appId":"a1","displayName":"app",
              "passwordCredentials":[{"keyId":"s1"},{"keyId":"s2"}],
              "keyCredentials":[{"keyId":"c1"}]}]}"#;
        let dir =
            Directory::new(serde_json::from_str::<crate::domain::TenantSnapshot>(json).unwrap());
        let report = Report {
            findings: vec![
                finding(&UNUSED, "s1"),
                // A certificate is not a secret.
                finding(&UNUSED, "c1"),
                finding(&IN_USE, "s2"),
            ],
            unused_days: 90,
            ..Report::default()
        };
        let o = overview(&dir, &report, NOW);
        assert_eq!(o.unused_secrets, 1);
        assert_eq!(o.secrets_in_use_beside_replacement, 1);
        assert_eq!(o.unused_days, 90);
        // No sign-in data at all: the counts stand beside the reason.
        assert_eq!(o.usage_unknown, Some(Unknown::NotLoaded));
    }
}
