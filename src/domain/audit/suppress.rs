//! Suppressions: accepted findings, each with a reason and an expiry date, read from a TOML
//! file (`--ignore FILE`, or `ignore.toml` in the config directory):
//!
//! ```toml
//! [[ignore]]
//! rule = "secret-long-lifetime"      # a rule id, or "*"
//! identity = "legacy-ftp-bridge"     # object id, appId/clientId or exact display name
//! credential = "…"                   # optional: one keyId or FIC name
//! reason = "vendor cannot rotate; replaced in Q1"
//! expires = 2027-01-31
//! ```
//!
//! A suppression past its date hides nothing and is reported, so accepted risk is revisited.
//!
//! `rule` must be a rule id of this credwise or `*`: anything else is an error naming the line
//! and the value (a typo would otherwise hide nothing, silently, for good). `identity` is
//! checked against the tenant being audited: one that matches no identity hides nothing and
//! is reported with its line — a warning, not an error, because one suppression file (the
//! config directory's `ignore.toml`) serves every tenant credwise opens, and an identity that
//! was deleted since is not a mistake in the file.

use serde::{Deserialize, Serialize};

use super::Report;
use crate::domain::Timestamp;
use crate::domain::directory::Directory;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub rule: String,
    pub identity: String,
    pub credential: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`; the suppression holds through that day (UTC).
    pub expires: time::Date,
    /// The line of its `identity` in the file (1-based); 0 when it was not read from a file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    ignore: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: toml::Spanned<String>,
    identity: toml::Spanned<String>,
    #[serde(default)]
    credential: Option<String>,
    reason: String,
    expires: toml::value::Datetime,
}

/// Parses a suppression file's text; errors name the entry and what is wrong (the caller adds
/// the file name).
pub fn parse(text: &str) -> Result<Vec<Suppression>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let line_of = |span: std::ops::Range<usize>| {
        text.get(..span.start)
            .map(|before| before.matches('\n').count() + 1)
            .unwrap_or(0)
    };
    file.ignore
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let n = i + 1;
            let rule = e.rule.get_ref();
            if rule != "*" && !super::rules::RULE_IDS.contains(&rule.as_str()) {
                return Err(format!(
                    "line {}: unknown rule {rule:?} ([[ignore]] entry {n}); use \"*\" or one of: {}",
                    line_of(e.rule.span()),
                    super::rules::RULE_IDS.join(", ")
                ));
            }
            if e.reason.trim().is_empty() {
                return Err(format!(
                    "[[ignore]] entry {n}: a suppression needs a reason"
                ));
            }
            let d = e.expires.date.ok_or_else(|| {
                format!("[[ignore]] entry {n}: expires must be a date (YYYY-MM-DD)")
            })?;
            let month = time::Month::try_from(d.month)
                .map_err(|_| format!("[[ignore]] entry {n}: bad month in expires"))?;
            let expires = time::Date::from_calendar_date(i32::from(d.year), month, d.day)
                .map_err(|e| format!("[[ignore]] entry {n}: bad expires date: {e}"))?;
            let line = line_of(e.identity.span());
            Ok(Suppression {
                rule: e.rule.into_inner(),
                identity: e.identity.into_inner(),
                credential: e.credential,
                reason: e.reason,
                expires,
                line,
            })
        })
        .collect()
}

fn matches_identity(dir: &Directory, s: &Suppression, id: u32) -> bool {
    let e = dir.entry(id);
    let want = s.identity.trim();
    dir.id_of(e).eq_ignore_ascii_case(want)
        || dir
            .app_id_of(e)
            .is_some_and(|a| a.eq_ignore_ascii_case(want))
        || dir.display_name_of(e) == want
}

/// Removes suppressed findings from `report`; reports the suppressions past their date and
/// those whose identity is not in this tenant.
pub fn apply(dir: &Directory, report: &mut Report, suppressions: &[Suppression], now: Timestamp) {
    report.unmatched_suppressions = suppressions
        .iter()
        .filter(|s| !(0..dir.len() as u32).any(|id| matches_identity(dir, s, id)))
        .cloned()
        .collect();
    let today = now.to_offset(time::UtcOffset::UTC).date();
    let (live, expired): (Vec<&Suppression>, Vec<&Suppression>) =
        suppressions.iter().partition(|s| s.expires >= today);
    report.expired_suppressions = expired.into_iter().cloned().collect();
    let before = report.findings.len();
    report.findings.retain(|f| {
        !live.iter().any(|s| {
            (s.rule == "*" || s.rule == f.rule())
                && s.credential
                    .as_deref()
                    .is_none_or(|c| f.credential_id.as_deref() == Some(c))
                && matches_identity(dir, s, f.identity)
        })
    });
    report.suppressed += before - report.findings.len();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_and_dates() {
        let s = parse(
            "[[ignore]]\nrule = \"*\"\nidentity = \"x\"\nreason = \"ok\"\nexpires = 2027-01-31\n",
        )
        .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].expires.to_string(), "2027-01-31");
    }

    #[test]
    fn rejects_what_it_cannot_honour() {
        let no_reason =
            "[[ignore]]\nrule = \"*\"\nidentity = \"x\"\nreason = \" \"\nexpires = 2027-01-31\n";
        assert!(parse(no_reason).unwrap_err().contains("needs a reason"));
        let no_date =
            "[[ignore]]\nrule = \"*\"\nidentity = \"x\"\nreason = \"r\"\nexpires = 10:00:00\n";
        assert!(parse(no_date).unwrap_err().contains("must be a date"));
        let unknown = "[[ignore]]\nrule = \"*\"\nidentity = \"x\"\nreason = \"r\"\nexpires = 2027-01-31\nuntil = 1\n";
        assert!(parse(unknown).unwrap_err().contains("until"));
    }

    #[test]
    fn an_unknown_rule_is_named_with_its_line() {
        let text = "# accepted\n\n[[ignore]]\nrule = \"secret-long-lifetme\"\nidentity = \"x\"\nreason = \"r\"\nexpires = 2027-01-31\n";
        let e = parse(text).unwrap_err();
        assert!(
            e.starts_with("line 4: unknown rule \"secret-long-lifetme\" ([[ignore]] entry 1)"),
            "{e}"
        );
        assert!(e.contains("secret-long-lifetime"), "the known ids: {e}");
        let ok = parse(&text.replace("lifetme", "lifetime")).unwrap();
        assert_eq!(ok[0].line, 5, "the identity's line");
    }
}
