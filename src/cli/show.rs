//! `credwise show ID`: one identity in full — properties, credentials, links and Azure role
//! assignments — as a readable block or as the `list` JSON object plus `links` and
//! `roleAssignments`.
//!
//! ID goes through `Directory::find`, so an appId shared by an application and its service
//! principal means the application (it holds the credentials), and a display name shared by
//! unrelated identities is an error that lists them instead of a guess.

use clap::Args;

use super::table::{Table, truncate};
use super::{CliError, Format, json, output};
use crate::domain::credential::CredentialRef;
use crate::domain::directory::{Directory, Entry, EntryId, FindError, ObjectRef};
use crate::domain::expiry;
use crate::domain::{IdentityKind, Timestamp};
use crate::jobs::load::Source;
use crate::sanitize;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An object id, an appId/clientId, an ARM resource id, or an exact display name.
    pub id: String,
    /// Output format (table or json).
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub output: Format,
    #[command(flatten)]
    pub load: super::LoadArgs,
}

/// Long names and FIC subjects are cut in the tables; JSON keeps them whole.
const CELL_WIDTH: usize = 64;

pub async fn run(args: &ShowArgs, source: &Source, now: Timestamp) -> Result<(), CliError> {
    if args.output == Format::Csv {
        return Err(CliError::usage(
            "show supports table and json output (--output table|json); \
             use `credwise list --output csv` for CSV",
        ));
    }
    let dir = super::load_directory(source, args.load.incremental).await?;
    let id = find(&dir, &args.id)?;
    let e = dir.entry(id);
    let text = match args.output {
        Format::Json => {
            let used = crate::domain::last_used::LastUsed::new(&dir);
            json::to_pretty(&json::identity_in_full(&dir, id, &used, now))?
        }
        _ => block(&dir, e, now),
    };
    output::print(&text);
    Ok(())
}

/// The one identity `query` names, or a usage error that says why there is none.
pub fn find(dir: &Directory, query: &str) -> Result<EntryId, CliError> {
    match dir.find(query) {
        Ok(id) => Ok(id),
        Err(FindError::NotFound) => Err(CliError::usage(format!(
            "no identity matches {:?} (give an object id, an appId/clientId, an ARM id or an \
             exact display name; `credwise list` shows them)",
            sanitize::display(query)
        ))),
        Err(FindError::Ambiguous(ids)) => {
            let mut t = Table::new(&["KIND", "NAME", "ID"]).indent(2);
            let mut hits: Vec<&Entry> = ids.iter().map(|&i| dir.entry(i)).collect();
            hits.sort_by(|a, b| a.kind.cmp(&b.kind).then(dir.id_of(a).cmp(dir.id_of(b))));
            for e in hits {
                t.row([e.kind.as_str(), dir.display_name_of(e), dir.id_of(e)]);
            }
            Err(CliError::usage(format!(
                "{} identities are named {:?}; give one of their ids instead:\n{}",
                ids.len(),
                sanitize::display(query),
                t.render().trim_end()
            )))
        }
    }
}

/// The readable block: title, properties, credentials, links, role assignments.
fn block(dir: &Directory, e: &Entry, now: Timestamp) -> String {
    let mut out = String::new();
    out.push_str(&sanitize::display(dir.display_name_of(e)));
    out.push('\n');
    out.push_str(&properties(dir, e, now));

    let credentials = dir.credentials_of(e);
    let (fics, others): (Vec<_>, Vec<_>) = credentials
        .into_iter()
        .partition(|c| matches!(c, CredentialRef::Federated(_)));

    out.push_str(&format!("\nSecrets and certificates ({})\n", others.len()));
    if others.is_empty() {
        out.push_str(match e.kind {
            IdentityKind::UserAssignedManagedIdentity
            | IdentityKind::SystemAssignedManagedIdentity => {
                "  none (Azure manages this identity's keys)\n"
            }
            _ => "  none\n",
        });
    } else {
        let mut t = Table::new(&[
            "TYPE",
            "NAME",
            "ID",
            "HINT/THUMBPRINT",
            "EXPIRES",
            "END DATE",
        ])
        .indent(2);
        for c in &others {
            let detail = match c {
                CredentialRef::Secret(p) => p.hint.as_deref().map(|h| format!("{h}…")),
                CredentialRef::Certificate(k) => k.thumbprint(),
                CredentialRef::Federated(_) => None,
            };
            t.row([
                c.credential_type().as_str().to_string(),
                truncate(
                    &sanitize::display(c.display_name().unwrap_or("")),
                    CELL_WIDTH,
                ),
                c.id().to_string(),
                detail.unwrap_or_default(),
                expiry::relative(c.end(), now),
                c.end().map(expiry::date).unwrap_or_default(),
            ]);
        }
        out.push_str(&t.render());
    }

    // FICs only exist on applications and user-assigned identities; elsewhere the empty
    // section would suggest something is missing.
    if !fics.is_empty()
        || matches!(
            e.kind,
            IdentityKind::Application | IdentityKind::UserAssignedManagedIdentity
        )
    {
        out.push_str(&format!("\nFederated credentials ({}/20)\n", fics.len()));
        if fics.is_empty() {
            out.push_str("  none\n");
        } else {
            let mut t = Table::new(&["NAME", "ISSUER", "SUBJECT", "AUDIENCES"]).indent(2);
            for c in &fics {
                if let CredentialRef::Federated(f) = c {
                    t.row([
                        f.name.clone(),
                        f.issuer.clone(),
                        truncate(&sanitize::display(f.matcher()), CELL_WIDTH),
                        f.audiences.join(" "),
                    ]);
                }
            }
            out.push_str(&t.render());
        }
    }

    let links = dir.links_of(e);
    out.push_str(&format!("\nLinks ({})\n", links.len()));
    if links.is_empty() {
        out.push_str("  none\n");
    } else {
        let mut t = Table::new(&["RELATION", "TARGET", "DETAIL"]).indent(2);
        for l in &links {
            // Link labels are a name and a resource type: both matter, so neither is cut.
            t.row([l.relation.label(), &l.label, &l.detail]);
        }
        out.push_str(&t.render());
    }

    let roles = json::role_assignments_for(dir, e);
    // An application's roles belong to its service principal; say so, or the owner might
    // think they could be removed from the app.
    let whose = if e.kind == IdentityKind::Application {
        ", held by its service principal"
    } else {
        ""
    };
    out.push_str(&format!("\nRole assignments ({}{whose})\n", roles.len()));
    if roles.is_empty() {
        out.push_str("  none\n");
    } else {
        let mut t = Table::new(&["ROLE", "SCOPE"]).indent(2);
        for r in roles {
            // A condition narrows the role; the JSON output carries its text.
            let role = match &r.condition {
                Some(_) => format!("{} (with a condition)", r.role_name()),
                None => r.role_name().to_string(),
            };
            t.row([role.as_str(), &r.scope]);
        }
        out.push_str(&t.render());
    }
    out
}

/// The properties under the title, as aligned `name  value` lines.
fn properties(dir: &Directory, e: &Entry, now: Timestamp) -> String {
    let s = dir.snapshot();
    let mut props: Vec<(&str, String)> = vec![
        ("kind", e.kind.as_str().to_string()),
        ("object id", dir.id_of(e).to_string()),
    ];
    let is_mi = matches!(
        e.kind,
        IdentityKind::UserAssignedManagedIdentity | IdentityKind::SystemAssignedManagedIdentity
    );
    if let Some(app_id) = dir.app_id_of(e) {
        props.push((
            if is_mi { "client id" } else { "app id" },
            app_id.to_string(),
        ));
    }
    if let Some(t) = dir.service_principal_type_of(e) {
        props.push(("type", t.as_str().to_string()));
    }
    if let Some(t) = dir.odata_type_of(e) {
        props.push(("@odata.type", t.to_string()));
    }
    match e.object {
        ObjectRef::Application(i) => {
            if let Some(a) = s.applications.get(i as usize) {
                let audience = a
                    .sign_in_audience
                    .as_deref()
                    .unwrap_or_default()
                    .to_string();
                props.push(("sign-in audience", audience));
                if let Some(d) = &a.publisher_domain {
                    props.push(("publisher domain", d.to_string()));
                }
                if let Some(c) = a.created_date_time {
                    props.push(("created", expiry::date(c)));
                }
            }
        }
        ObjectRef::ServicePrincipal(i) | ObjectRef::SystemAssigned(i) => {
            if let Some(p) = s.service_principals.get(i as usize) {
                if let Some(enabled) = p.account_enabled {
                    props.push(("enabled", if enabled { "yes" } else { "no" }.to_string()));
                }
                if let Some(owner) = &p.app_owner_organization_id {
                    let owner = if owner.eq_ignore_ascii_case(&s.tenant_id) {
                        format!("{owner} (this tenant)")
                    } else {
                        owner.to_string()
                    };
                    props.push(("owner tenant", owner));
                }
            }
        }
        ObjectRef::UserAssigned { arm, .. } => {
            if let Some(u) = arm.and_then(|a| s.user_assigned_identities.get(a as usize)) {
                if let Some(l) = &u.location {
                    props.push(("location", l.clone()));
                }
            } else {
                props.push((
                    "ARM resource",
                    "not in this snapshot (no ARM access?)".to_string(),
                ));
            }
        }
    }
    if let Some(arm) = dir.arm_id_of(e) {
        let label = if e.kind == IdentityKind::SystemAssignedManagedIdentity {
            "resource"
        } else {
            "ARM id"
        };
        props.push((label, arm.to_string()));
    }
    if let Some(end) = e.nearest_expiry {
        props.push((
            "nearest expiry",
            format!(
                "{} ({})",
                expiry::date(end),
                expiry::relative(Some(end), now)
            ),
        ));
    }
    let width = props.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in props {
        let line = format!("  {k:<width$}  {}", sanitize::display(&v));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
