//! The details pane: properties, the credentials table, links (followable with Enter) and
//! Azure role assignments of the selected identity, with the usage evidence of the identity
//! and of each credential (from `App::last_used`: "last sign-in 3d ago (…)", "no sign-in in
//! 30 days (…)", "unknown: needs AuditLog.Read.All"), wrapped with a hanging indent. Secret values are not in the model, so
//! they cannot be shown here; tenant strings pass through `sanitize`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, pane_block, span, truncate, truncate_left, wrap_at};
use crate::app::{App, Pane};
use crate::domain::directory::{Directory, Entry, ObjectRef};
use crate::domain::expiry;
use crate::domain::links::classify_fic;
use crate::domain::usage::Evidence;
use crate::domain::{CredentialRef, IdentityKind, objects::arm_segment};
use crate::sanitize;
use crate::tui::theme::{Theme, severity_label};
use crate::tui::ui_state::UiState;

pub(super) fn render(app: &App, ui: &mut UiState, frame: &mut Frame, area: Rect) {
    let t = ui.theme.clone();
    let focused = app.focus == Pane::Details;
    let block = pane_block(Line::from(span(" Details ", t.header)), focused, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    ui.areas.details = Some(area);
    let (Some(dir), Some(id)) = (&app.dir, app.selected_entry()) else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Select an identity to see its details.",
                t.dim,
            )),
            inner,
        );
        return;
    };
    let e = dir.entry(id);
    let width = inner.width as usize;
    let (lines, link_lines) = build(app, dir, e, &t, width, focused);

    // Scroll so the selected link is visible, starting from the user's own scroll.
    let mut scroll = app.details_scroll as usize;
    let height = inner.height as usize;
    if focused && let Some(&line) = app.link_selected.and_then(|i| link_lines.get(i)) {
        if line < scroll {
            scroll = line;
        } else if line >= scroll + height {
            scroll = line + 1 - height;
        }
    }
    scroll = scroll.min(lines.len().saturating_sub(1));
    for (i, &line) in link_lines.iter().enumerate() {
        if line >= scroll && line < scroll + height {
            ui.areas
                .link_rows
                .push((inner.y + (line - scroll) as u16, i));
        }
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(height)
        .map(|l| clip(l, width))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// What the details of a partial tenant's identity say about its Azure side (managed
/// identities, role assignments, resources), which only a complete load reads.
fn partial_note(app: &App) -> Option<&'static str> {
    if !app.partial {
        None
    } else if matches!(app.load, crate::app::LoadState::Loading(_)) {
        Some(
            "still loading: managed identities, role assignments and resources (and federated credentials not read yet) come when the load completes",
        )
    } else {
        Some(
            "not loaded: the load stopped before the Azure part (managed identities, role assignments, resources); r loads again",
        )
    }
}

/// A credential's usage evidence, under its other lines, wrapped under its own start.
fn push_evidence(
    lines: &mut Vec<Line<'_>>,
    evidence: Option<&Evidence>,
    now: crate::domain::Timestamp,
    t: &Theme,
    width: usize,
) {
    let Some(e) = evidence else { return };
    let line = Line::from(vec![
        Span::raw("       "),
        // A source's failure message is the service's text: untrusted.
        span(
            sanitize::display(&e.describe(now)).into_owned(),
            evidence_style(e, t),
        ),
    ]);
    lines.extend(wrap_at(line, width, 7));
}

/// A failing credential stands out; unknown is quiet (it is a reason, not a finding).
fn evidence_style(e: &Evidence, t: &Theme) -> Style {
    match e {
        Evidence::Failing { .. } => t.error,
        Evidence::Unknown(_) => t.dim,
        Evidence::SignedIn { .. } | Evidence::Idle { .. } => t.info,
    }
}

/// Cuts a line to `width` columns with an ellipsis: long subjects and issuers are clipped
/// rather than wrapped, so every credential keeps its shape.
fn clip(line: Line<'_>, width: usize) -> Line<'_> {
    let total: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return line;
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::new();
    for s in line.spans {
        if left == 0 {
            break;
        }
        let n = s.content.chars().count();
        if n <= left {
            left -= n;
            spans.push(s);
        } else {
            let cut: String = s.content.chars().take(left).collect();
            spans.push(Span::styled(cut, s.style));
            left = 0;
        }
    }
    spans.push(Span::raw("…"));
    Line::from(spans)
}

/// What the identity is, with the kind Graph named when it is a kind credwise has no word
/// for (`@odata.type`, e.g. `agentIdentity`). Tenant text: sanitised by the caller.
fn kind_line(dir: &Directory, e: &Entry) -> String {
    let kind = base_kind_line(dir, e);
    match dir.odata_type_of(e) {
        Some(t) => format!(
            "{kind} · {}",
            t.strip_prefix("#microsoft.graph.").unwrap_or(t)
        ),
        None => kind,
    }
}

fn base_kind_line(dir: &Directory, e: &Entry) -> String {
    let s = dir.snapshot();
    match e.object {
        ObjectRef::Application(i) => {
            let a = &s.applications[i as usize];
            if a.is_multi_tenant() {
                "App registration · multi-tenant".to_string()
            } else {
                "App registration".to_string()
            }
        }
        ObjectRef::ServicePrincipal(i) => {
            let p = &s.service_principals[i as usize];
            let foreign = p
                .app_owner_organization_id
                .as_deref()
                .is_some_and(|o| !o.eq_ignore_ascii_case(&s.tenant_id));
            format!(
                "Service principal · {}{}",
                p.service_principal_type.as_str(),
                if foreign {
                    " · from another tenant"
                } else {
                    ""
                }
            )
        }
        ObjectRef::UserAssigned { .. } => "User-assigned managed identity".to_string(),
        ObjectRef::SystemAssigned(_) => "System-assigned managed identity".to_string(),
    }
}

fn props(dir: &Directory, e: &Entry) -> Vec<(&'static str, String)> {
    let s = dir.snapshot();
    let mut p: Vec<(&'static str, String)> = Vec::new();
    let id = dir.id_of(e).to_string();
    let app_id = dir.app_id_of(e).unwrap_or("").to_string();
    match e.object {
        ObjectRef::Application(i) => {
            let a = &s.applications[i as usize];
            p.push(("Object id", id));
            p.push(("Client id", app_id));
            if let Some(aud) = &a.sign_in_audience {
                p.push(("Audience", aud.to_string()));
            }
            if let Some(d) = &a.publisher_domain {
                p.push(("Publisher", d.to_string()));
            }
            if let Some(c) = a.created_date_time {
                p.push(("Created", expiry::date(c)));
            }
        }
        ObjectRef::ServicePrincipal(i) => {
            let sp = &s.service_principals[i as usize];
            p.push(("Object id", id));
            p.push(("App id", app_id));
            if let Some(enabled) = sp.account_enabled {
                p.push(("Enabled", if enabled { "yes" } else { "no" }.to_string()));
            }
            if let Some(o) = &sp.app_owner_organization_id {
                p.push(("Owner tenant", o.to_string()));
            }
        }
        ObjectRef::UserAssigned { arm, .. } => {
            p.push(("Principal id", id));
            p.push(("Client id", app_id));
            if let Some(a) = arm {
                let u = &s.user_assigned_identities[a as usize];
                if let Some(sub) = u.subscription_id() {
                    p.push(("Subscription", sub.to_string()));
                }
                if let Some(rg) = u.resource_group() {
                    p.push(("Group", rg.to_string()));
                }
                if let Some(l) = &u.location {
                    p.push(("Location", l.clone()));
                }
                if !u.tags.is_empty() {
                    let tags: Vec<String> =
                        u.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    p.push(("Tags", tags.join(" ")));
                }
            } else {
                p.push(("ARM", "not in snapshot (no Azure read access?)".to_string()));
            }
        }
        ObjectRef::SystemAssigned(_) => {
            p.push(("Principal id", id));
            p.push(("Client id", app_id));
            if let Some(arm) = dir.arm_id_of(e) {
                if let Some(sub) = arm_segment(arm, "subscriptions") {
                    p.push(("Subscription", sub.to_string()));
                }
                if let Some(rg) = arm_segment(arm, "resourceGroups") {
                    p.push(("Group", rg.to_string()));
                }
            }
        }
    }
    p
}

/// The pane's lines, and for each followable link the index of its line.
fn build<'a>(
    app: &App,
    dir: &'a Directory,
    e: &Entry,
    t: &Theme,
    width: usize,
    focused: bool,
) -> (Vec<Line<'a>>, Vec<usize>) {
    let mut lines: Vec<Line> = Vec::new();
    let name = sanitize::display(dir.display_name_of(e)).into_owned();
    lines.push(Line::from(span(name, t.title)));
    lines.push(Line::from(span(
        sanitize::display(&kind_line(dir, e)).into_owned(),
        t.dim,
    )));
    lines.push(Line::raw(""));
    // A partial tenant has no Azure part yet: say so before anything reads as final.
    if let Some(note) = partial_note(app) {
        let line = Line::from(vec![span(fit("Azure", 13), t.dim), span(note, t.warning)]);
        lines.extend(wrap_at(line, width, 13));
    }
    for (k, v) in props(dir, e) {
        lines.push(Line::from(vec![
            span(fit(k, 13), t.dim),
            Span::raw(sanitize::display(&v).into_owned()),
        ]));
    }
    let id = app.selected_entry();
    if let Some(id) = id {
        let evidence = app.last_used.identity(id);
        let line = Line::from(vec![
            span(fit("Last used", 13), t.dim),
            span(
                sanitize::display(&evidence.describe(app.now)).into_owned(),
                evidence_style(evidence, t),
            ),
        ]);
        lines.extend(wrap_at(line, width, 13));
    }
    let evidence: &[Evidence] = id.map_or(&[], |id| app.last_used.credentials(id));

    // Credentials.
    let creds = dir.credentials_of(e);
    lines.push(Line::raw(""));
    lines.push(Line::from(span(
        format!("Credentials ({})", creds.len()),
        t.heading,
    )));
    if creds.is_empty() {
        let why = match e.kind {
            IdentityKind::SystemAssignedManagedIdentity
            | IdentityKind::UserAssignedManagedIdentity => "none: Azure manages them",
            _ => "none",
        };
        lines.push(Line::from(span(format!("  {why}"), t.dim)));
    }
    let s = dir.snapshot();
    let name_width = width.saturating_sub(6 + 12 + 15).clamp(8, 40);
    for (i, c) in creds.iter().enumerate() {
        let ty = c.credential_type().short();
        let label = c
            .display_name()
            .map(|n| sanitize::display(n).into_owned())
            .unwrap_or_else(|| "(no name)".to_string());
        match c {
            CredentialRef::Secret(_) | CredentialRef::Certificate(_) => {
                let end = c.end();
                let status = expiry::status(end, app.now, app.thresholds);
                lines.push(Line::from(vec![
                    span(format!("  {ty:<4} "), t.key),
                    Span::raw(fit(&label, name_width)),
                    span(
                        format!(" {:<10} ", end.map(expiry::date).unwrap_or_default()),
                        t.dim,
                    ),
                    span(expiry::relative(end, app.now), t.expiry(status)),
                ]));
                let mut meta = format!("       keyId {}", c.id());
                match c {
                    CredentialRef::Secret(p) => {
                        if let Some(h) = &p.hint {
                            meta.push_str(&format!(" · hint {}…", sanitize::display(h)));
                        }
                        if let Some(days) =
                            expiry::lifetime_days(p.start_date_time, p.end_date_time)
                        {
                            meta.push_str(&format!(" · lifetime {days}d"));
                        }
                    }
                    CredentialRef::Certificate(k) => {
                        if let Some(tp) = k.thumbprint() {
                            meta.push_str(&format!(" · thumbprint {}", sanitize::display(&tp)));
                        }
                        if let (Some(ty), Some(us)) = (&k.key_type, &k.usage) {
                            meta.push_str(&format!(" · {ty}/{us}"));
                        }
                    }
                    CredentialRef::Federated(_) => {}
                }
                lines.push(Line::from(span(meta, t.dim)));
                push_evidence(&mut lines, evidence.get(i), app.now, t, width);
            }
            CredentialRef::Federated(f) => {
                let kind = classify_fic(f, &s.tenant_id, s.cloud).label();
                lines.push(Line::from(vec![
                    span(format!("  {ty:<4} "), t.key),
                    Span::raw(label),
                    span(format!("  {kind}"), t.info),
                ]));
                let what = if f.subject.is_some() {
                    "subject"
                } else {
                    "claims "
                };
                lines.push(Line::from(span(
                    format!("       {what} {}", sanitize::display(f.matcher())),
                    t.dim,
                )));
                lines.push(Line::from(span(
                    format!("       issuer  {}", sanitize::display(&f.issuer)),
                    t.dim,
                )));
                push_evidence(&mut lines, evidence.get(i), app.now, t, width);
            }
        }
    }

    // Findings.
    let id_findings: Vec<&crate::domain::audit::Finding> = match (&app.report, app.selected_entry())
    {
        (Some(r), Some(id)) => r
            .by_identity
            .of(id)
            .iter()
            .filter_map(|&i| r.findings.get(i as usize))
            .collect(),
        _ => Vec::new(),
    };
    if app.report.is_none() && app.audit_pending {
        lines.push(Line::raw(""));
        lines.push(Line::from(span("Findings", t.heading)));
        lines.push(Line::from(span("  the audit is running", t.dim)));
    }
    if app.report.is_some() {
        lines.push(Line::raw(""));
        lines.push(Line::from(span(
            format!("Findings ({})", id_findings.len()),
            t.heading,
        )));
        if id_findings.is_empty() {
            lines.push(Line::from(span("  none", t.dim)));
        }
        for f in id_findings {
            lines.push(Line::from(vec![
                span(
                    format!("  {:<5}", severity_label(f.severity)),
                    t.severity(f.severity),
                ),
                Span::raw(f.title()),
            ]));
            lines.push(Line::from(span(
                format!("       {}", sanitize::display(&f.message)),
                t.dim,
            )));
            lines.push(Line::from(vec![
                span("       fix: ", t.dim),
                span(f.remedy.text().to_string(), t.info),
            ]));
        }
    }

    // Links.
    let links = dir.links_of(e);
    let mut link_lines = Vec::new();
    lines.push(Line::raw(""));
    lines.push(Line::from(span(
        format!("Links ({})", links.len()),
        t.heading,
    )));
    if links.is_empty() {
        lines.push(Line::from(span("  none", t.dim)));
    }
    for l in &links {
        let label = sanitize::display(&l.label).into_owned();
        let followable = l.target.is_some();
        let selected = followable && focused && Some(link_lines.len()) == app.link_selected;
        let marker = if followable { "→ " } else { "  " };
        let style = if selected {
            t.selected
        } else if followable {
            t.link
        } else {
            Style::new()
        };
        if followable {
            link_lines.push(lines.len());
        }
        lines.push(Line::from(vec![
            span(format!("  {marker}"), t.key),
            span(format!("{} ", l.relation.label()), t.dim),
            span(truncate(&label, width.saturating_sub(26).max(10)), style),
        ]));
        lines.push(Line::from(span(
            format!(
                "      {}",
                truncate_left(&sanitize::display(&l.detail), width.saturating_sub(6))
            ),
            t.dim,
        )));
    }

    // Role assignments.
    let roles = dir.role_assignments_of(e);
    lines.push(Line::raw(""));
    lines.push(Line::from(span(
        format!("Azure role assignments ({})", roles.len()),
        t.heading,
    )));
    if roles.is_empty() {
        let why = if app.partial {
            "  not read yet: Azure comes with the whole tenant"
        } else if e.kind == IdentityKind::Application {
            "  an app registration holds none: see its service principal"
        } else {
            "  none"
        };
        lines.push(Line::from(span(why, t.dim)));
    }
    for r in roles {
        let mut parts = vec![
            Span::raw(format!("  {}", sanitize::display(r.role_name()))),
            span(format!(" on {}", scope_label(&r.scope)), t.dim),
        ];
        if r.condition.is_some() {
            parts.push(span(", with a condition", t.dim));
        }
        lines.push(Line::from(parts));
    }
    (lines, link_lines)
}

/// A scope as a reader names it: "subscription 1234…", "rg payroll", "kv-payroll".
fn scope_label(scope: &str) -> String {
    let scope = sanitize::display(scope);
    let parts: Vec<&str> = scope.trim_matches('/').split('/').collect();
    match parts.len() {
        0 | 1 => scope.to_string(),
        2 => format!("subscription {}", parts[1]),
        4 => format!("resource group {}", parts[3]),
        n => format!("{} ({})", parts[n - 1], parts[n - 2]),
    }
}
