//! `credwise list`: every identity with its credentials, as a table, JSON or CSV, with when
//! each last signed in (LAST USED, `lastUsed`) from the snapshot's usage evidence.
//!
//! The order is fixed — kind (applications, service principals, user-assigned, then
//! system-assigned managed identities), then display name ignoring case, then object id — so
//! two runs on the same tenant print the same bytes and CI diffs stay quiet.

use std::io::Write;

use clap::Args;

use super::table::{Align, Table, truncate};
use super::{CliError, Format, json, output};
use crate::domain::credential::CredentialRef;
use crate::domain::directory::{Directory, EntryId};
use crate::domain::expiry;
use crate::domain::last_used::LastUsed;
use crate::domain::{IdentityKind, Timestamp};
use crate::jobs::load::Source;
use crate::sanitize;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only identities of this kind: application, service-principal,
    /// user-assigned-managed-identity, system-assigned-managed-identity (or app, sp, uami,
    /// sami).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Output format: a table for people, JSON for scripts, CSV (one row per credential) for
    /// spreadsheets.
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub output: Format,
    #[command(flatten)]
    pub load: super::LoadArgs,
}

/// Display names longer than this are cut in the table (JSON and CSV keep them whole).
const NAME_WIDTH: usize = 40;

pub async fn run(args: &ListArgs, source: &Source, now: Timestamp) -> Result<(), CliError> {
    // Check the flag before loading: a typo should not wait for a tenant to load.
    let kind = args.kind.as_deref().map(parse_kind).transpose()?;
    let dir = super::load_directory(source, args.load.incremental).await?;
    let entries = sorted_entries(&dir, kind);
    // Written as it is made: the whole listing of a large tenant is 20–180 MB of text.
    output::stream(|out| match args.output {
        Format::Table => table(&dir, &entries, &LastUsed::new(&dir), now, out),
        Format::Json => {
            let used = LastUsed::new(&dir);
            json::write_pretty(
                out,
                &json::Lazy::new(
                    entries
                        .iter()
                        .map(|&id| json::identity(&dir, id, &used, now)),
                ),
            )
        }
        Format::Csv => csv(&dir, &entries, now, out),
    })
}

/// Parses `--kind`, naming the allowed values when it is not one of them.
pub fn parse_kind(s: &str) -> Result<IdentityKind, CliError> {
    IdentityKind::parse(s).ok_or_else(|| {
        let allowed: Vec<&str> = IdentityKind::ALL.iter().map(|k| k.as_str()).collect();
        CliError::usage(format!(
            "unknown kind {:?}; expected one of: {}",
            sanitize::display(s),
            allowed.join(", ")
        ))
    })
}

/// The identities of `kind` (or all) in the documented order.
pub fn sorted_entries(dir: &Directory, kind: Option<IdentityKind>) -> Vec<EntryId> {
    let mut entries: Vec<(EntryId, String)> = (0..dir.len() as EntryId)
        .filter(|&id| kind.is_none_or(|k| dir.entry(id).kind == k))
        .map(|id| (id, dir.display_name_of(dir.entry(id)).to_lowercase()))
        .collect();
    entries.sort_by(|(a, an), (b, bn)| {
        let (a, b) = (dir.entry(*a), dir.entry(*b));
        a.kind
            .cmp(&b.kind)
            .then_with(|| an.cmp(bn))
            .then_with(|| dir.id_of(a).cmp(dir.id_of(b)))
    });
    entries.into_iter().map(|(id, _)| id).collect()
}

fn table(
    dir: &Directory,
    entries: &[EntryId],
    used: &LastUsed,
    now: Timestamp,
    out: &mut output::Stream,
) -> Result<(), CliError> {
    let mut t = Table::new(&[
        "KIND",
        "NAME",
        "ID",
        "APP ID",
        "SECRETS",
        "CERTS",
        "FICS",
        "LAST USED",
        "NEAREST EXPIRY",
    ])
    .align(4, Align::Right)
    .align(5, Align::Right)
    .align(6, Align::Right);
    for &id in entries {
        let e = dir.entry(id);
        // Sanitize before truncating, so the cut counts the characters that will show.
        let name = sanitize::display(dir.display_name_of(e));
        t.row([
            e.kind.short().to_string(),
            truncate(&name, NAME_WIDTH),
            dir.id_of(e).to_string(),
            dir.app_id_of(e).unwrap_or("").to_string(),
            e.secrets.to_string(),
            e.certificates.to_string(),
            e.federated.to_string(),
            // The explorer's words: never "unused" without data.
            used.identity(id).short(now),
            // Blank rather than "—" when nothing expires: FIC-only and managed identities
            // are the good news, and a blank column lets the eye skip them.
            match e.nearest_expiry {
                Some(end) => expiry::relative(Some(end), now),
                None => String::new(),
            },
        ]);
    }
    // A closed pipe is not an error (`output::stream` ends quietly).
    let _ = t
        .write_to(out)
        .and_then(|()| out.write_all(count_line(entries.len()).as_bytes()));
    Ok(())
}

/// "N identities", the table's last line.
pub fn count_line(n: usize) -> String {
    if n == 1 {
        "1 identity\n".to_string()
    } else {
        format!("{n} identities\n")
    }
}

/// The CSV columns, in order; one row per credential.
const CSV_HEADER: [&str; 14] = [
    "kind",
    "id",
    "displayName",
    "appId",
    "credentialType",
    "credentialId",
    "credentialDisplayName",
    "startDateTime",
    "endDateTime",
    "issuer",
    "subject",
    "audiences",
    "expiresIn",
    "status",
];

fn csv(
    dir: &Directory,
    entries: &[EntryId],
    now: Timestamp,
    out: &mut output::Stream,
) -> Result<(), CliError> {
    let fail = |e: csv::Error| CliError::usage(format!("cannot write CSV: {e}"));
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER).map_err(fail)?;
    for &id in entries {
        let e = dir.entry(id);
        let identity = [
            e.kind.as_str().to_string(),
            dir.id_of(e).to_string(),
            dir.display_name_of(e).to_string(),
            dir.app_id_of(e).unwrap_or("").to_string(),
        ];
        let credentials = dir.credentials_of(e);
        if credentials.is_empty() {
            let mut row = identity.to_vec();
            row.resize(CSV_HEADER.len(), String::new());
            w.write_record(clean(&row)).map_err(fail)?;
        }
        for c in credentials {
            let mut row = identity.to_vec();
            row.extend(credential_cells(c, now));
            w.write_record(clean(&row)).map_err(fail)?;
        }
    }
    w.flush()
        .map_err(|e| CliError::usage(format!("cannot write CSV: {e}")))
}

/// The credential columns of a CSV row, from `credentialType` to `status`.
fn credential_cells(c: CredentialRef<'_>, now: Timestamp) -> Vec<String> {
    let j = json::credential(c, now);
    let time = |t: Option<Timestamp>| t.map(crate::domain::rfc3339).unwrap_or_default();
    vec![
        j.credential_type.as_str().to_string(),
        c.id().to_string(),
        j.display_name.unwrap_or("").to_string(),
        time(j.start_date_time),
        time(j.end_date_time),
        j.issuer.unwrap_or("").to_string(),
        j.subject
            .or(j.claims_matching_expression)
            .unwrap_or("")
            .to_string(),
        // Audiences are URIs and never hold a space; one cell keeps one row per credential.
        j.audiences.map(|a| a.join(" ")).unwrap_or_default(),
        j.expires_in.unwrap_or_default(),
        j.status.unwrap_or("").to_string(),
    ]
}

/// CSV is often viewed with `cat` or `column`: strip terminal escapes from tenant strings
/// as the table does (the csv crate quotes but does not filter them).
fn clean(row: &[String]) -> Vec<String> {
    row.iter()
        .map(|c| sanitize::display(c).into_owned())
        .collect()
}
