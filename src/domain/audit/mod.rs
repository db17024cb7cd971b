//! The audit: rules that read a `Directory` and report `Finding`s — what is wrong, how bad,
//! why (citing a seed), and the fix (a wizard outcome or a migration). Pure: *now*, the
//! thresholds and the suppressions come in as arguments.
//!
//! Every rule has a stable id (`credential-expired`, …) that scripts, suppression files and
//! the README use. Noise is suppressed by default and counted: Microsoft first-party apps and
//! App Proxy's auto-rotated secrets.

pub mod overview;
pub mod rules;
pub mod suppress;

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::directory::{Directory, EntryId};
use super::shared_str::SharedStr;

/// How bad a finding is, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// At least as bad as `other`.
    pub fn at_least(self, other: Severity) -> bool {
        self <= other
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to fix a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Remedy {
    /// Ask the wizard: the outcome it is expected to recommend (an outcome id).
    Wizard { outcome: &'static str, text: Text },
    /// A guided migration (`secret-to-certificate`, `secret-to-fic`,
    /// `secret-to-managed-identity`).
    Migration { migration: &'static str, text: Text },
    /// Something to do by hand.
    Action { text: Text },
}

impl Remedy {
    pub fn text(&self) -> &str {
        match self {
            Remedy::Wizard { text, .. }
            | Remedy::Migration { text, .. }
            | Remedy::Action { text } => text,
        }
    }

    fn text_mut(&mut self) -> &mut Text {
        match self {
            Remedy::Wizard { text, .. }
            | Remedy::Migration { text, .. }
            | Remedy::Action { text } => text,
        }
    }
}

/// A remedy's text: fixed, or written for its finding. A written text is shared by every
/// finding whose remedy reads the same (`Text::share`): a large tenant's quarter of a million
/// findings hold a few thousand distinct remedies, most of them written the same way for
/// tens of thousands of secrets.
#[derive(Debug, Clone)]
pub enum Text {
    Fixed(&'static str),
    Written(Arc<str>),
}

impl Text {
    /// The same text, sharing the copy `seen` already holds, or adding this one to it.
    fn share(&mut self, seen: &mut HashSet<Arc<str>>) {
        if let Text::Written(t) = self {
            match seen.get(&**t) {
                Some(first) => *t = first.clone(),
                None => {
                    seen.insert(t.clone());
                }
            }
        }
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Fixed(t) => t,
            Text::Written(t) => t,
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Text {}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl From<&'static str> for Text {
    fn from(t: &'static str) -> Self {
        Text::Fixed(t)
    }
}

impl From<String> for Text {
    fn from(t: String) -> Self {
        Text::Written(t.into())
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(t: Cow<'static, str>) -> Self {
        match t {
            Cow::Borrowed(t) => Text::Fixed(t),
            Cow::Owned(t) => t.into(),
        }
    }
}

/// What every finding of one kind shares: its rule, its title and the seed passage behind
/// it. Static: a finding points at it rather than holding four strings of its own.
#[derive(Debug, PartialEq, Eq)]
pub struct About {
    /// The rule's stable id.
    pub rule: &'static str,
    /// The rule's short title (one rule may have several, e.g. for secrets and
    /// certificates).
    pub title: &'static str,
    /// The seed file behind the rule, and a verbatim passage of it.
    pub seed: &'static str,
    pub section: &'static str,
}

/// One finding on one identity (and maybe one of its credentials). Kept small: a large
/// tenant has a quarter of a million.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub about: &'static About,
    pub severity: Severity,
    pub identity: EntryId,
    /// `keyId` of a secret or certificate (the snapshot's own copy, shared), or a FIC's
    /// name.
    pub credential_id: Option<SharedStr>,
    pub message: Box<str>,
    pub remedy: Remedy,
}

impl Finding {
    /// The rule's stable id.
    pub fn rule(&self) -> &'static str {
        self.about.rule
    }

    pub fn title(&self) -> &'static str {
        self.about.title
    }

    pub fn seed(&self) -> &'static str {
        self.about.seed
    }

    pub fn section(&self) -> &'static str {
        self.about.section
    }
}

/// What the audit is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    pub now: Timestamp,
    /// `--expiring-within DAYS` (default 30).
    pub expiring_within_days: i64,
    /// The longest lifetime a secret may have (default 180 days).
    pub max_secret_lifetime_days: i64,
    /// Report what is suppressed by default as noise (first-party apps, App Proxy secrets).
    pub include_noise: bool,
    /// `credential-unused` fires after this many days without a sign-in, in data that covers
    /// them (default 90).
    pub unused_days: i64,
}

impl AuditOptions {
    pub fn new(now: Timestamp) -> Self {
        Self {
            now,
            expiring_within_days: 30,
            max_secret_lifetime_days: 180,
            include_noise: false,
            unused_days: 90,
        }
    }
}

/// The audit's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Worst first, then by identity and rule.
    pub findings: Vec<Finding>,
    /// Findings left out as noise, by reason ("Microsoft first-party apps", …).
    pub noise: Vec<(String, usize)>,
    /// Findings a suppression file hid.
    pub suppressed: usize,
    /// Suppressions whose date has passed (they no longer hide anything).
    pub expired_suppressions: Vec<suppress::Suppression>,
    /// Suppressions whose identity is not in this tenant (they hide nothing).
    pub unmatched_suppressions: Vec<suppress::Suppression>,
    /// Each identity's findings, built with the report so a screen never has to regroup
    /// hundreds of thousands of findings on its own thread.
    pub by_identity: FindingsByIdentity,
    /// The days without a sign-in after which `credential-unused` fired
    /// (`AuditOptions::unused_days`), for the screens that count its findings.
    pub unused_days: i64,
}

/// Indices into `Report::findings` grouped by identity, worst first, in two flat arrays
/// (offsets and items) rather than one small vector per identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingsByIdentity {
    /// `items[offsets[id]..offsets[id + 1]]` are identity `id`'s findings.
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl FindingsByIdentity {
    /// Groups `findings` (already worst first) by identity, for `identities` identities.
    pub fn new(findings: &[Finding], identities: usize) -> Self {
        let mut offsets = vec![0u32; identities + 1];
        for f in findings {
            if let Some(n) = offsets.get_mut(f.identity as usize + 1) {
                *n += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut next = offsets.clone();
        let mut items = vec![0u32; offsets.last().copied().unwrap_or(0) as usize];
        for (i, f) in findings.iter().enumerate() {
            if let Some(slot) = next.get_mut(f.identity as usize) {
                items[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        Self { offsets, items }
    }

    /// The findings of identity `id` (indices into `Report::findings`), worst first.
    pub fn of(&self, id: EntryId) -> &[u32] {
        let i = id as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }
}

impl Report {
    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }

    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
}

/// Audits every identity of `dir`, then applies `suppressions`.
pub fn audit(
    dir: &Directory,
    opts: &AuditOptions,
    suppressions: &[suppress::Suppression],
) -> Report {
    let mut report = rules::run(dir, opts);
    suppress::apply(dir, &mut report, suppressions, opts.now);
    let order = |a: &Finding, b: &Finding| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| dir.name_rank(a.identity).cmp(&dir.name_rank(b.identity)))
            .then_with(|| a.rule().cmp(b.rule()))
            .then_with(|| a.credential_id.cmp(&b.credential_id))
    };
    // The rules already emit findings in this order; sorting again would allocate a scratch
    // buffer of half a large report for nothing.
    if !report.findings.is_sorted_by(|a, b| order(a, b).is_le()) {
        report.findings.sort_by(order);
    }
    report.by_identity = FindingsByIdentity::new(&report.findings, dir.len());
    report.unused_days = opts.unused_days;
    report
}

#[cfg(test)]
mod by_identity_tests {
    use super::*;

    fn finding(identity: EntryId) -> Finding {
        Finding {
            about: &About {
                rule: "client-secret",
                title: "t",
                seed: "000",
                section: "s",
            },
            severity: Severity::Low,
            identity,
            credential_id: None,
            message: "".into(),
            remedy: Remedy::Action { text: "r".into() },
        }
    }

    #[test]
    fn groups_findings_by_identity_in_report_order() {
        let findings = [finding(2), finding(0), finding(2), finding(1), finding(2)];
        let by = FindingsByIdentity::new(&findings, 4);
        assert_eq!(by.of(0), &[1]);
        assert_eq!(by.of(1), &[3]);
        assert_eq!(by.of(2), &[0, 2, 4]);
        assert_eq!(by.of(3), &[] as &[u32]);
        assert_eq!(
            by.of(99),
            &[] as &[u32],
            "out of range is empty, not a panic"
        );
        assert_eq!(FindingsByIdentity::default().of(0), &[] as &[u32]);
    }
}
