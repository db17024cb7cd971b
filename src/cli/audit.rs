//! `credwise audit`: every identity's credentials checked against the audit rules, printed as
//! a table for people, JSON or CSV for scripts, or Markdown for a pull request or a CI job
//! summary — and, with `--fail-on SEVERITY`, a gate that exits 1 when a finding at or above
//! that severity remains after the suppressions.
//!
//! The notes around the findings (what a suppression file hid, what was left out as noise,
//! suppressions past their date) are part of the report in the table and Markdown; for JSON
//! and CSV they go to stderr, so stdout stays machine-readable.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::table::{Align, Lines, truncate, width};
use super::{CliError, json, output};
use crate::config::ConfigError;
use crate::domain::audit::suppress::Suppression;
use crate::domain::audit::{self, AuditOptions, Finding, Remedy, Report, Severity};
use crate::domain::directory::Directory;
use crate::domain::{IdentityKind, Timestamp};
use crate::jobs::load::Source;
use crate::sanitize;

/// The longest `--expiring-within`/`--max-secret-lifetime`: a century is already no limit, and
/// a bound keeps date arithmetic in range.
const MAX_DAYS: i64 = 36_500;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Output format: a table for people, JSON or CSV for scripts, Markdown for a pull
    /// request or a CI job summary.
    #[arg(long, short = 'o', value_enum, default_value_t = AuditFormat::Table)]
    pub output: AuditFormat,
    /// Exit 1 when a finding at or above this severity remains after suppressions (a CI
    /// gate). Without it, findings do not change the exit code.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Report secrets and certificates that expire within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(i64).range(0..=MAX_DAYS))]
    pub expiring_within: i64,
    /// The longest lifetime a client secret may have, in days; longer ones are findings.
    #[arg(long, value_name = "DAYS", default_value_t = 180,
          value_parser = clap::value_parser!(i64).range(0..=MAX_DAYS))]
    pub max_secret_lifetime: i64,
    /// A suppression file (TOML) of accepted findings, each with a reason and an expiry date.
    /// Default: ignore.toml in the config directory, when it exists.
    #[arg(long, value_name = "FILE")]
    pub ignore: Option<PathBuf>,
    /// Include what is left out as noise by default: findings on Microsoft first-party apps
    /// and on App Proxy's auto-rotated secrets.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub load: super::LoadArgs,
}

/// The formats of the audit report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Aligned columns and a summary, for a terminal.
    #[default]
    Table,
    /// A pretty JSON array of findings.
    Json,
    /// One row per finding, with a header.
    Csv,
    /// A report for a pull request or a CI job summary.
    Markdown,
}

/// `--fail-on`: the severities, as the CLI names them. The domain stays free of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl SeverityArg {
    pub fn severity(self) -> Severity {
        match self {
            Self::Critical => Severity::Critical,
            Self::High => Severity::High,
            Self::Medium => Severity::Medium,
            Self::Low => Severity::Low,
            Self::Info => Severity::Info,
        }
    }
}

/// Audits the tenant of `source`, prints the report and applies the gate.
pub async fn run(args: &AuditArgs, source: &Source, now: Timestamp) -> Result<(), CliError> {
    // Read the suppressions before the tenant: a typo in the file should not wait for a load.
    let ignore = ignore_file(args.ignore.as_deref());
    let suppressions = match &ignore {
        Some(path) => read_suppressions(path)?,
        None => Vec::new(),
    };
    let dir = super::load_directory(source, args.load.incremental).await?;
    let opts = AuditOptions {
        now,
        expiring_within_days: args.expiring_within,
        max_secret_lifetime_days: args.max_secret_lifetime,
        include_noise: args.all,
        ..AuditOptions::new(now)
    };
    let report = audit::audit(&dir, &opts, &suppressions);
    let notes = notes(&report, ignore.as_deref());
    match args.output {
        // Written as they are made: 240,000 findings are 30–190 MB of text.
        AuditFormat::Table => output::stream(|out| {
            // A closed pipe is not an error (`output::stream` ends quietly).
            let _ = table(&dir, &report, &notes, out);
            Ok(())
        })?,
        AuditFormat::Markdown => output::stream(|out| {
            let _ = markdown(&dir, &report, &notes, now, out);
            Ok(())
        })?,
        AuditFormat::Json => {
            print_notes(&notes);
            output::stream(|out| {
                json::write_pretty(
                    out,
                    &json::Lazy::new(report.findings.iter().map(|f| finding_json(&dir, f))),
                )
            })?
        }
        AuditFormat::Csv => {
            print_notes(&notes);
            output::stream(|out| csv(&dir, &report.findings, out))?
        }
    }
    match args.fail_on.map(SeverityArg::severity) {
        Some(gate) => check_gate(&report, gate),
        None => Ok(()),
    }
}

/// Exit 1 (with a message saying why) when a finding at or above `gate` remains.
fn check_gate(report: &Report, gate: Severity) -> Result<(), CliError> {
    let n = report
        .findings
        .iter()
        .filter(|f| f.severity.at_least(gate))
        .count();
    if n == 0 {
        return Ok(());
    }
    Err(CliError {
        code: super::exit::FINDINGS,
        message: format!(
            "audit failed: {} at or above {gate} (--fail-on {gate})",
            plural(n, "finding")
        ),
    })
}

/// `--ignore FILE`, or `ignore.toml` in the config directory when it exists.
fn ignore_file(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    crate::store::paths::config_dir()
        .map(|d| d.join("ignore.toml"))
        .filter(|p| p.is_file())
}

/// Reads and parses a suppression file (through `config`'s reader, the explorer's too);
/// every problem is bad input naming the file.
pub fn read_suppressions(path: &Path) -> Result<Vec<Suppression>, CliError> {
    let name = sanitize::display(&path.display().to_string()).into_owned();
    crate::config::read_suppressions(path).map_err(|e| match e {
        ConfigError::Read { source, .. } => {
            CliError::usage(format!("cannot read suppression file {name}: {source}"))
        }
        ConfigError::Invalid { message, .. } => {
            // toml's messages span several lines (a caret under the culprit); keep them,
            // indented under the file name, because the excerpt shows where the problem is.
            let e = message.trim_end().replace('\n', "\n  ");
            // Our own messages start with the line: `FILE:LINE: …`, as compilers write it.
            let (place, e) = match e.strip_prefix("line ") {
                Some(rest) => match rest.split_once(": ") {
                    Some((line, rest)) => (format!("{name}:{line}"), rest.to_string()),
                    None => (name.clone(), e.clone()),
                },
                None => (name.clone(), e.clone()),
            };
            CliError::usage(format!("suppression file {place}: {}", sanitize_lines(&e)))
        }
    })
}

/// `display` per line: the file's text is echoed back in toml's excerpt, so it may hold
/// control characters, but the line breaks are ours.
fn sanitize_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| sanitize::display(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines around the findings: suppressed, left out as noise, expired suppressions and
/// those naming an identity that is not in the tenant.
#[derive(Debug, Default)]
struct Notes {
    suppressed: Option<String>,
    noise: Option<String>,
    /// Suppressions past their date, or naming an identity the tenant does not have.
    warnings: Vec<String>,
}

impl Notes {
    fn lines(&self) -> impl Iterator<Item = &str> {
        self.suppressed
            .iter()
            .chain(&self.noise)
            .chain(&self.warnings)
            .map(String::as_str)
    }
}

fn notes(report: &Report, ignore: Option<&Path>) -> Notes {
    let suppressed = (report.suppressed > 0).then(|| {
        let file = ignore
            .map(|p| format!(" {}", sanitize::display(&p.display().to_string())))
            .unwrap_or_default();
        format!("{} suppressed by ignore file{file}", report.suppressed)
    });
    let noise = noise_line(&report.noise);
    let warnings = report
        .expired_suppressions
        .iter()
        .map(|s| {
            let credential = s
                .credential
                .as_deref()
                .map(|c| format!(" credential {}", sanitize::display(c)))
                .unwrap_or_default();
            format!(
                "warning: suppression for {} on {}{credential} expired on {}; it no longer hides anything",
                sanitize::display(&s.rule),
                sanitize::display(&s.identity),
                s.expires
            )
        })
        .chain(report.unmatched_suppressions.iter().map(|s| {
            let file = ignore
                .map(|p| sanitize::display(&p.display().to_string()).into_owned())
                .unwrap_or_else(|| "the suppression file".into());
            format!(
                "warning: {file}:{}: identity {:?} is not in this tenant (no object id, appId or display name matches); the suppression for {} hides nothing",
                s.line,
                sanitize::display(&s.identity),
                sanitize::display(&s.rule),
            )
        }))
        .collect();
    Notes {
        suppressed,
        noise,
        warnings,
    }
}

/// "not shown: 3 findings on Microsoft first-party apps, 2 on App Proxy auto-rotated secrets;
/// --all shows them", or nothing when no noise was left out.
fn noise_line(noise: &[(String, usize)]) -> Option<String> {
    let parts: Vec<String> = noise
        .iter()
        .filter(|(_, n)| *n > 0)
        .enumerate()
        .map(|(i, (reason, n))| {
            if i == 0 {
                format!("{} on {reason}", plural(*n, "finding"))
            } else {
                format!("{n} on {reason}")
            }
        })
        .collect();
    (!parts.is_empty()).then(|| format!("not shown: {}; --all shows them", parts.join(", ")))
}

fn print_notes(notes: &Notes) {
    for line in notes.lines() {
        output::eprint(line);
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "5 findings: 1 critical, 2 high, 2 medium", or "no findings".
fn summary_line(report: &Report) -> String {
    if report.findings.is_empty() {
        return "no findings".to_string();
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|&s| {
            let n = report.count(s);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    format!(
        "{}: {}",
        plural(report.findings.len(), "finding"),
        counts.join(", ")
    )
}

// ---------------------------------------------------------------------------------------
// JSON

/// One finding of `audit --output json`. The CLI contract names `rule`, `severity`,
/// `identityId`, `credentialId`, `title`, `message` and `remedy`; the rest is added freely.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingJson<'a> {
    pub rule: &'static str,
    pub severity: Severity,
    /// The object id (a managed identity's principal id).
    pub identity_id: &'a str,
    pub identity_kind: IdentityKind,
    pub identity_name: &'a str,
    /// A secret's or certificate's `keyId`, or a FIC's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<&'a str>,
    pub title: &'a str,
    pub message: &'a str,
    /// What to do, in words.
    pub remedy: &'a str,
    /// `wizard`, `migration` or `action`.
    pub remedy_kind: &'static str,
    /// The wizard outcome the fix leads to (`remedyKind` `wizard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wizard_outcome: Option<&'static str>,
    /// The `credwise migrate` migration that fixes it (`remedyKind` `migration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<&'static str>,
    /// The seed file and section behind the rule.
    pub seed: &'static str,
    pub section: &'static str,
}

fn finding_json<'a>(dir: &'a Directory, f: &'a Finding) -> FindingJson<'a> {
    let e = dir.entry(f.identity);
    let (remedy_kind, wizard_outcome, migration) = match &f.remedy {
        Remedy::Wizard { outcome, .. } => ("wizard", Some(*outcome), None),
        Remedy::Migration { migration, .. } => ("migration", None, Some(*migration)),
        Remedy::Action { .. } => ("action", None, None),
    };
    FindingJson {
        rule: f.rule(),
        severity: f.severity,
        identity_id: dir.id_of(e),
        identity_kind: e.kind,
        identity_name: dir.display_name_of(e),
        credential_id: f.credential_id.as_deref(),
        title: f.title(),
        message: &f.message,
        remedy: f.remedy.text(),
        remedy_kind,
        wizard_outcome,
        migration,
        seed: f.seed(),
        section: f.section(),
    }
}

// ---------------------------------------------------------------------------------------
// CSV

/// The CSV columns, in order; one row per finding.
const CSV_HEADER: [&str; 11] = [
    "rule",
    "severity",
    "identityId",
    "identityKind",
    "identityName",
    "credentialId",
    "title",
    "message",
    "remedy",
    "seed",
    "section",
];

fn csv(dir: &Directory, findings: &[Finding], out: &mut output::Stream) -> Result<(), CliError> {
    let fail = |e: csv::Error| CliError::usage(format!("cannot write CSV: {e}"));
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER).map_err(fail)?;
    for f in findings.iter().map(|f| finding_json(dir, f)) {
        let row = [
            f.rule,
            f.severity.as_str(),
            f.identity_id,
            f.identity_kind.as_str(),
            f.identity_name,
            f.credential_id.unwrap_or(""),
            f.title,
            f.message,
            f.remedy,
            f.seed,
            f.section,
        ];
        // CSV is often read with `cat`: strip terminal escapes as the table does.
        w.write_record(row.iter().map(|c| sanitize::display(c).into_owned()))
            .map_err(fail)?;
    }
    w.flush()
        .map_err(|e| CliError::usage(format!("cannot write CSV: {e}")))
}

// ---------------------------------------------------------------------------------------
// Table

/// The width the table aims for: the FINDING column fills the line up to it, so a finding's
/// gist shows on one line of a terminal split in two or of a CI log.
const TABLE_WIDTH: usize = 100;
/// Identity names longer than this are cut in the table.
const NAME_WIDTH: usize = 24;
/// Credential ids (FIC names) longer than this are cut in the table.
const CREDENTIAL_WIDTH: usize = 12;
/// The FINDING column never gets narrower than this, even when the rule ids make the other
/// columns wide: a finding's title must stay readable (the longest are about 40 columns).
const MIN_FINDING_WIDTH: usize = 40;

/// A credential id short enough for a column: a GUID's first block (enough to tell the
/// credentials of one identity apart), a FIC name cut to `CREDENTIAL_WIDTH` columns.
fn short_credential(id: &str) -> String {
    let id = sanitize::display(id);
    let is_guid = id.len() == 36 && id.chars().filter(|&c| c == '-').count() == 4;
    match id.get(..8) {
        Some(head) if is_guid => head.to_string(),
        _ => truncate(&id, CREDENTIAL_WIDTH),
    }
}

fn table(
    dir: &Directory,
    report: &Report,
    notes: &Notes,
    out: &mut output::Stream,
) -> std::io::Result<()> {
    use std::io::Write;
    if !report.findings.is_empty() {
        // Two passes over the findings instead of a table kept in memory (a large tenant has
        // a quarter of a million of them): the first measures the columns, the second writes
        // each row as it makes it.
        let cells = |f: &Finding| -> [String; 4] {
            let e = dir.entry(f.identity);
            [
                f.severity.as_str().to_string(),
                f.rule().to_string(),
                truncate(&sanitize::display(dir.display_name_of(e)), NAME_WIDTH),
                f.credential_id
                    .as_deref()
                    .map(short_credential)
                    .unwrap_or_default(),
            ]
        };
        let header = ["SEVERITY", "RULE", "IDENTITY", "CREDENTIAL", "FINDING"];
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for f in &report.findings {
            for (w, c) in widths.iter_mut().zip(cells(f)) {
                *w = (*w).max(width(&sanitize::display(&c)));
            }
        }
        // The first four columns take what they need; FINDING gets the rest of the width.
        let used: usize = widths[..4].iter().map(|w| w + 2).sum();
        let finding_width = TABLE_WIDTH.saturating_sub(used).max(MIN_FINDING_WIDTH);
        // The last column's width only pads what the line's end trims.
        let mut lines = Lines::new(widths, vec![Align::Left; header.len()], 0);
        lines.write(out, &mut header.into_iter())?;
        for f in &report.findings {
            let gist = sanitize::display(&format!("{}: {}", f.title(), f.message)).into_owned();
            let [severity, rule, name, credential] = cells(f);
            let row = [
                severity,
                rule,
                name,
                credential,
                truncate(&gist, finding_width),
            ]
            .map(|c| sanitize::display(&c).into_owned());
            lines.write(out, &mut row.iter().map(String::as_str))?;
        }
    }
    let mut text = summary_line(report);
    text.push('\n');
    for line in notes.lines() {
        text.push_str(line);
        text.push('\n');
    }
    out.write_all(text.as_bytes())
}

// ---------------------------------------------------------------------------------------
// Markdown

/// A tenant string made safe for a Markdown table cell: no terminal escapes or line breaks
/// (`display` drops both), and no character that could end the cell, open a link or smuggle in HTML.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize::display(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A severity as a Markdown heading, "Critical".
fn heading(s: Severity) -> String {
    let word = s.as_str();
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The report as Markdown, written to `sink` a few tens of kilobytes at a time.
fn markdown(
    dir: &Directory,
    report: &Report,
    notes: &Notes,
    now: Timestamp,
    sink: &mut impl std::io::Write,
) -> std::io::Result<()> {
    /// How much Markdown is gathered before it is written.
    const CHUNK: usize = 1 << 16;
    let snapshot = dir.snapshot();
    let tenant = match &snapshot.tenant_display_name {
        Some(name) => format!("{} ({})", md(name), md(&snapshot.tenant_id)),
        None => md(&snapshot.tenant_id),
    };
    let date = now.to_offset(time::UtcOffset::UTC).date();
    let mut out = format!(
        "# credwise audit: {tenant}\n\n{date} · {} identities · {} · credwise {}\n\n",
        dir.len(),
        summary_line(report),
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("| severity | findings |\n| --- | ---: |\n");
    for s in Severity::ALL {
        out.push_str(&format!("| {s} | {} |\n", report.count(s)));
    }
    for s in Severity::ALL {
        let group: Vec<&Finding> = report.findings.iter().filter(|f| f.severity == s).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {} ({})\n\n", heading(s), group.len()));
        out.push_str(
            "| rule | identity | credential | finding | remedy |\n| --- | --- | --- | --- | --- |\n",
        );
        for f in group {
            let j = finding_json(dir, f);
            let remedy = match (j.wizard_outcome, j.migration) {
                (_, Some(m)) => format!("{} (`credwise migrate {m}`)", md(j.remedy)),
                (Some(o), None) => format!("{} (wizard: `{o}`)", md(j.remedy)),
                (None, None) => md(j.remedy),
            };
            out.push_str(&format!(
                "| `{}` | {} ({}) | {} | **{}**: {} | {} |\n",
                j.rule,
                md(j.identity_name),
                j.identity_kind.as_str(),
                j.credential_id
                    .map(|c| format!("`{}`", sanitize::display(c).replace(['`', '|'], "")))
                    .unwrap_or_default(),
                md(j.title),
                md(j.message),
                remedy,
            ));
            if out.len() >= CHUNK {
                sink.write_all(out.as_bytes())?;
                out.clear();
            }
        }
    }
    let lines: Vec<&str> = notes.lines().collect();
    if !lines.is_empty() {
        out.push_str("\n## Notes\n\n");
        for line in lines {
            out.push_str(&format!("- {}\n", md(line)));
        }
    }
    sink.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests;
