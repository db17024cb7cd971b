//! Sign-in data: the beta reports `/reports/appCredentialSignInActivities` and
//! `/reports/servicePrincipalSignInActivities`, and the sign-in log `/auditLogs/signIns`, all
//! made from one list of service principal sign-ins. The list starts as the snapshot's usage
//! facts (each last sign-in or failure becomes one sign-in) and grows with
//! `Emulator::record_sign_in`, so a test can make a credential sign in and watch a report or a
//! migration see it.
//!
//! Each rule and its public source is a row of the behaviour table in `mod.rs`: paging with
//! opaque `$skiptoken`s, the documented filters (`appId`/`keyId eq` on the reports;
//! `createdDateTime ge|le`, `signInEventTypes/any(t: t eq '…')` on the log), the log newest
//! first and its beta-only event-type filter, the licence, permission and role errors, and the
//! reports' throttling (five requests per 10 seconds per app and tenant, counted whatever the
//! answer, as Graph keeps counting while it throttles).

use std::collections::{HashMap, VecDeque};
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;

use credwise::domain::TenantSnapshot;
use credwise::domain::credential::CredentialType;

use super::graph_json::Version;
use super::wire::{Req, Resp, base64, date, graph_fail, new_guid, parse_date};
use super::{Inner, lock};

/// Who may read sign-in data, per source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Access {
    #[default]
    Granted,
    /// The tenant has no Entra ID P1/P2: 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    NoLicence,
    /// The caller lacks AuditLog.Read.All: 403 `Authentication_MSGraphPermissionMissing`.
    NoPermission,
    /// A delegated caller without a reports role: 403
    /// `Authentication_RequestFromUnsupportedUserRole`.
    NoRole,
    /// The route does not exist here (a tenant or cloud without the beta report): 400
    /// "Resource not found for the segment", as for any unknown segment.
    Missing,
}

/// How the sign-in sources behave.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    pub credential_report: Access,
    pub service_principal_report: Access,
    pub sign_in_log: Access,
    /// Report page size when `$top` is not given.
    pub report_page: usize,
    /// The sign-in log's default and largest page.
    pub log_page: usize,
    /// `(requests, per)` across the three routes; `None`: never throttled.
    pub limit: Option<(usize, Duration)>,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self {
            credential_report: Access::Granted,
            service_principal_report: Access::Granted,
            sign_in_log: Access::Granted,
            report_page: 100,
            log_page: 1000,
            limit: Some((5, Duration::from_secs(10))),
        }
    }
}

/// One service principal sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub id: String,
    pub at: OffsetDateTime,
    pub app_id: String,
    pub service_principal_id: String,
    pub key_id: Option<String>,
    pub thumbprint: Option<String>,
    pub federated_credential_id: Option<String>,
    /// `clientSecret`, `certificate`, `federatedIdentityCredential`.
    pub client_credential_type: String,
    /// 0 for a success.
    pub error_code: i64,
}

/// The sign-in list and the reports' request window.
#[derive(Debug, Default)]
pub struct SignIns {
    pub events: Vec<SignIn>,
    window: VecDeque<Instant>,
}

impl SignIns {
    /// The sign-ins the snapshot's usage facts stand for.
    pub fn from_snapshot(snap: &TenantSnapshot) -> Self {
        let mut events = Vec::new();
        let owner = |key: &str, t: CredentialType| -> Option<(String, Option<String>)> {
            for a in &snap.applications {
                let found = match t {
                    CredentialType::Secret | CredentialType::Certificate => {
                        a.password_credentials
                            .iter()
                            .any(|c| c.key_id.eq_ignore_ascii_case(key))
                            || a.key_credentials
                                .iter()
                                .any(|c| c.key_id.eq_ignore_ascii_case(key))
                    }
                    CredentialType::Federated => a
                        .federated_identity_credentials
                        .iter()
                        .any(|f| f.id.as_deref() == Some(key) || f.name == key),
                };
                if found {
                    let tp = a
                        .key_credentials
                        .iter()
                        .find(|c| c.key_id.eq_ignore_ascii_case(key))
                        .and_then(|c| c.thumbprint());
                    return Some((a.app_id.clone(), tp));
                }
            }
            for s in &snap.service_principals {
                if s.password_credentials
                    .iter()
                    .any(|c| c.key_id.eq_ignore_ascii_case(key))
                    || s.key_credentials
                        .iter()
                        .any(|c| c.key_id.eq_ignore_ascii_case(key))
                {
                    let tp = s
                        .key_credentials
                        .iter()
                        .find(|c| c.key_id.eq_ignore_ascii_case(key))
                        .and_then(|c| c.thumbprint());
                    return Some((s.app_id.clone(), tp));
                }
            }
            for u in &snap.user_assigned_identities {
                if u.federated_identity_credentials
                    .iter()
                    .any(|f| f.name == key)
                {
                    return Some((u.client_id.clone(), None));
                }
            }
            None
        };
        let sp_of = |app_id: &str| {
            snap.service_principals
                .iter()
                .find(|s| s.app_id.eq_ignore_ascii_case(app_id))
                .map(|s| s.id.clone())
                .unwrap_or_default()
        };
        for c in &snap.usage.credentials {
            let Some((app_id, thumbprint)) = c
                .app_id
                .clone()
                .map(|a| (a, None))
                .or_else(|| owner(&c.key, c.credential_type))
            else {
                continue;
            };
            let thumbprint =
                thumbprint.or_else(|| owner(&c.key, c.credential_type).and_then(|o| o.1));
            let federated = c.credential_type == CredentialType::Federated;
            let event = |at: OffsetDateTime, error_code: i64| SignIn {
                id: new_guid(),
                at,
                app_id: app_id.clone(),
                service_principal_id: sp_of(&app_id),
                key_id: (!federated).then(|| c.key.clone()),
                thumbprint: if c.credential_type == CredentialType::Certificate {
                    thumbprint.clone()
                } else {
                    None
                },
                federated_credential_id: federated.then(|| c.key.clone()),
                client_credential_type: match c.credential_type {
                    CredentialType::Secret => "clientSecret",
                    CredentialType::Certificate => "certificate",
                    CredentialType::Federated => "federatedIdentityCredential",
                }
                .into(),
                error_code,
            };
            if let Some(at) = c.last_sign_in {
                events.push(event(at, 0));
            }
            if let Some(at) = c.last_failure {
                // AADSTS7000222: the client secret keys are expired.
                events.push(event(at, 7_000_222));
            }
        }
        for i in &snap.usage.identities {
            let known = events
                .iter()
                .any(|e: &SignIn| e.app_id.eq_ignore_ascii_case(&i.app_id));
            if let (false, Some(at)) = (known, i.last_app_only.or(i.last_any)) {
                events.push(SignIn {
                    id: new_guid(),
                    at,
                    app_id: i.app_id.clone(),
                    service_principal_id: sp_of(&i.app_id),
                    key_id: None,
                    thumbprint: None,
                    federated_credential_id: None,
                    client_credential_type: "none".into(),
                    error_code: 0,
                });
            }
        }
        Self {
            events,
            window: VecDeque::new(),
        }
    }

    /// Counts one request; `Some(wait)` when it is over the limit.
    fn admit(&mut self, limit: Option<(usize, Duration)>) -> Option<Duration> {
        let (n, per) = limit?;
        let now = Instant::now();
        while self
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= per)
        {
            self.window.pop_front();
        }
        self.window.push_back(now);
        if self.window.len() <= n.max(1) {
            return None;
        }
        // Until enough of the window's requests are older than `per` to leave a free slot.
        let k = self.window.len() - n.max(1);
        let t = self.window[k - 1];
        Some((t + per).saturating_duration_since(now))
    }
}

/// The routes under `/reports` and `/auditLogs`; `None` for any other path.
pub fn route(inner: &Inner, req: &Req, version: Version, segs: &[&str]) -> Option<Resp> {
    let (what, access) = match segs {
        [r, x]
            if r.eq_ignore_ascii_case("reports")
                && x.eq_ignore_ascii_case("appCredentialSignInActivities") =>
        {
            (
                Route::CredentialReport,
                inner.options.sign_ins.credential_report,
            )
        }
        [r, x]
            if r.eq_ignore_ascii_case("reports")
                && x.eq_ignore_ascii_case("servicePrincipalSignInActivities") =>
        {
            (
                Route::ServicePrincipalReport,
                inner.options.sign_ins.service_principal_report,
            )
        }
        [a, x] if a.eq_ignore_ascii_case("auditLogs") && x.eq_ignore_ascii_case("signIns") => {
            (Route::Log, inner.options.sign_ins.sign_in_log)
        }
        _ => return None,
    };
    // The reports are beta only (no v1.0 resource page exists).
    if what != Route::Log && version == Version::V1 {
        return None;
    }
    let mut usage = lock(&inner.sign_ins);
    if let Some(wait) = usage.admit(inner.options.sign_ins.limit) {
        return Some(
            super::graph::throttled_body()
                .with_header("retry-after", super::throttle::retry_after_decimal(wait)),
        );
    }
    if req.method != "GET" {
        return Some(graph_fail(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        ));
    }
    if let Some(resp) = refused(access, what) {
        return Some(resp);
    }
    Some(match what {
        Route::CredentialReport => credential_report(inner, req, &usage),
        Route::ServicePrincipalReport => service_principal_report(inner, req, &usage),
        Route::Log => sign_in_log(inner, req, version, &usage),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    CredentialReport,
    ServicePrincipalReport,
    Log,
}

fn refused(access: Access, what: Route) -> Option<Resp> {
    Some(match access {
        Access::Granted => return None,
        Access::NoLicence => graph_fail(
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        ),
        Access::NoPermission => graph_fail(
            403,
            "Authentication_MSGraphPermissionMissing",
            "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
        ),
        Access::NoRole => graph_fail(
            403,
            "Authentication_RequestFromUnsupportedUserRole",
            "User is not in the allowed roles",
        ),
        Access::Missing => graph_fail(
            400,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                match what {
                    Route::CredentialReport => "appCredentialSignInActivities",
                    Route::ServicePrincipalReport => "servicePrincipalSignInActivities",
                    Route::Log => "signIns",
                }
            ),
        ),
    })
}

fn bad_request(message: &str) -> Resp {
    graph_fail(400, "Request_BadRequest", message)
}

/// `$top`, bounded by `max`; `default` without it.
fn top(req: &Req, default: usize, max: usize) -> Result<usize, Resp> {
    match req.param("$top") {
        None => Ok(default.min(max).max(1)),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad_request(&format!(
                "Invalid page size specified: '{v}'. Must be between 1 and {max} inclusive."
            ))),
        },
    }
}

/// Where this page starts, from its `$skiptoken` (of the same list and query).
fn position(inner: &Inner, req: &Req, kind: &str) -> Result<usize, Resp> {
    match req.param("$skiptoken") {
        None => Ok(0),
        Some(t) => inner
            .tokens
            .redeem(kind, t)
            .ok_or_else(|| bad_request("The $skiptoken is invalid or belongs to another query.")),
    }
}

fn next_link(req: &Req, token: &str) -> String {
    let kept = req.raw_query_without(&["$skiptoken"]);
    let sep = if kept.is_empty() { "" } else { "&" };
    format!("{}{}?{kept}{sep}$skiptoken={token}", req.base, req.raw_path)
}

/// One page of `items` from `start`, with `@odata.context` (of `set`) and the next link.
fn page(
    inner: &Inner,
    req: &Req,
    kind: &str,
    set: (Version, &str),
    items: Vec<Value>,
    start: usize,
    size: usize,
) -> Resp {
    let end = (start + size).min(items.len());
    let mut body = json!({
        "@odata.context": format!("{}/{}/$metadata#{}", req.base, set.0.prefix(), set.1),
    });
    if end < items.len() {
        body["@odata.nextLink"] = next_link(req, &inner.tokens.issue(kind, end)).into();
    }
    body["value"] = Value::Array(
        items
            .get(start..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default(),
    );
    Resp::json_value(200, &body)
}

/// `prop eq 'value'` for one of `props`, also parenthesised; `Ok(None)` without a filter.
fn eq_filter(req: &Req, props: &[&str]) -> Result<Option<(String, String)>, Resp> {
    let Some(f) = req.param("$filter") else {
        return Ok(None);
    };
    let mut s = f.trim();
    while let Some(x) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        s = x.trim();
    }
    let parsed = s.split_once(" eq ").and_then(|(p, v)| {
        let p = p.trim();
        let v = v.trim().strip_prefix('\'')?.strip_suffix('\'')?;
        props
            .iter()
            .find(|k| k.eq_ignore_ascii_case(p))
            .map(|k| (k.to_string(), v.to_string()))
    });
    parsed.map(Some).ok_or_else(|| {
        graph_fail(
            400,
            "Request_UnsupportedQuery",
            &format!(
                "Unsupported Query. This emulator filters the report by {} eq '…' only (got: {f}).",
                props.join(" or ")
            ),
        )
    })
}

fn activity(at: Option<OffsetDateTime>, request_id: Option<&str>) -> Value {
    match at {
        Some(t) => json!({ "lastSignInDateTime": date(t), "lastSignInRequestId": request_id }),
        None => json!({ "lastSignInDateTime": null, "lastSignInRequestId": null }),
    }
}

/// The latest success (time, request id) among `events`.
fn latest<'a>(events: impl Iterator<Item = &'a SignIn>) -> Option<(OffsetDateTime, &'a str)> {
    events
        .filter(|e| e.error_code == 0)
        .max_by_key(|e| e.at)
        .map(|e| (e.at, e.id.as_str()))
}

fn credential_report(inner: &Inner, req: &Req, usage: &MutexGuard<'_, SignIns>) -> Resp {
    let filter = match eq_filter(req, &["appId", "keyId"]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let size = match top(req, inner.options.sign_ins.report_page, 999) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let start = match position(inner, req, "reports:credentials") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = inner.read();
    let s = &st.snap;
    let mut by_key: HashMap<String, Vec<&SignIn>> = HashMap::new();
    for e in &usage.events {
        if let Some(k) = &e.key_id {
            by_key.entry(k.to_ascii_lowercase()).or_default().push(e);
        }
    }
    let mut items = Vec::new();
    let mut push = |key_id: &str,
                    secret: bool,
                    end: Option<OffsetDateTime>,
                    app_id: &str,
                    app_object: &str,
                    sp_object: &str,
                    origin: &str| {
        let Some((at, rid)) = by_key
            .get(&key_id.to_ascii_lowercase())
            .and_then(|es| latest(es.iter().copied()))
        else {
            return;
        };
        if let Some((p, v)) = &filter {
            let field = if p == "appId" { app_id } else { key_id };
            if !field.eq_ignore_ascii_case(v) {
                return;
            }
        }
        items.push(json!({
            "id": base64(format!("{key_id}|{origin}").as_bytes()),
            "keyId": key_id,
            "keyType": if secret { "clientSecret" } else { "certificate" },
            "keyUsage": if secret { "sign" } else { "verify" },
            "appId": app_id,
            "appObjectId": app_object,
            "servicePrincipalObjectId": sp_object,
            "resourceId": null,
            "credentialOrigin": origin,
            "expirationDateTime": end.map(date),
            "signInActivity": activity(Some(at), Some(rid)),
        }));
    };
    for a in &s.applications {
        let sp = s
            .service_principals
            .iter()
            .find(|p| p.app_id.eq_ignore_ascii_case(&a.app_id))
            .map(|p| p.id.as_str())
            .unwrap_or("");
        for c in &a.password_credentials {
            push(
                &c.key_id,
                true,
                c.end_date_time,
                &a.app_id,
                &a.id,
                sp,
                "application",
            );
        }
        for c in &a.key_credentials {
            push(
                &c.key_id,
                false,
                c.end_date_time,
                &a.app_id,
                &a.id,
                sp,
                "application",
            );
        }
    }
    for p in &s.service_principals {
        let app = s
            .applications
            .iter()
            .find(|a| a.app_id.eq_ignore_ascii_case(&p.app_id))
            .map(|a| a.id.as_str())
            .unwrap_or("");
        for c in &p.password_credentials {
            push(
                &c.key_id,
                true,
                c.end_date_time,
                &p.app_id,
                app,
                &p.id,
                "servicePrincipal",
            );
        }
        for c in &p.key_credentials {
            push(
                &c.key_id,
                false,
                c.end_date_time,
                &p.app_id,
                app,
                &p.id,
                "servicePrincipal",
            );
        }
    }
    page(
        inner,
        req,
        "reports:credentials",
        (Version::Beta, "reports/appCredentialSignInActivities"),
        items,
        start,
        size,
    )
}

fn service_principal_report(inner: &Inner, req: &Req, usage: &MutexGuard<'_, SignIns>) -> Resp {
    let filter = match eq_filter(req, &["appId"]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let size = match top(req, inner.options.sign_ins.report_page, 999) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let start = match position(inner, req, "reports:servicePrincipals") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = inner.read();
    let mut items = Vec::new();
    for p in &st.snap.service_principals {
        if p.app_id.is_empty() {
            continue;
        }
        if let Some((_, v)) = &filter
            && !p.app_id.eq_ignore_ascii_case(v)
        {
            continue;
        }
        let mine = || {
            usage
                .events
                .iter()
                .filter(|e| e.app_id.eq_ignore_ascii_case(&p.app_id))
        };
        let Some((at, rid)) = latest(mine()) else {
            continue;
        };
        // Service principal sign-ins are app-only, as a client.
        items.push(json!({
            "id": base64(p.app_id.as_bytes()),
            "appId": p.app_id,
            "delegatedClientSignInActivity": activity(None, None),
            "delegatedResourceSignInActivity": activity(None, None),
            "applicationAuthenticationClientSignInActivity": activity(Some(at), Some(rid)),
            "applicationAuthenticationResourceSignInActivity": activity(None, None),
            "lastSignInActivity": activity(Some(at), Some(rid)),
        }));
    }
    page(
        inner,
        req,
        "reports:servicePrincipals",
        (Version::Beta, "reports/servicePrincipalSignInActivities"),
        items,
        start,
        size,
    )
}

/// The log's `$filter`: clauses joined by `and` — `createdDateTime ge|le <date>` and (beta)
/// `signInEventTypes/any(t: t eq '<type>')`.
struct LogFilter {
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    event_type: Option<String>,
}

fn parse_log_filter(filter: Option<&str>, version: Version) -> Result<LogFilter, Resp> {
    let mut out = LogFilter {
        from: None,
        to: None,
        event_type: None,
    };
    let Some(f) = filter else {
        return Ok(out);
    };
    let unsupported = |clause: &str| {
        graph_fail(
            400,
            "Request_UnsupportedQuery",
            &format!("Invalid filter clause: {clause}"),
        )
    };
    for clause in f.split(" and ") {
        let mut c = clause.trim();
        while let Some(x) = c.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
            c = x.trim();
        }
        if let Some(rest) = c.strip_prefix("createdDateTime ") {
            let (op, value) = rest
                .trim()
                .split_once(' ')
                .ok_or_else(|| unsupported(clause))?;
            let t = parse_date(value.trim()).ok_or_else(|| unsupported(clause))?;
            match op {
                "ge" => out.from = Some(t),
                "le" => out.to = Some(t),
                _ => return Err(unsupported(clause)),
            }
        } else if let Some(rest) = c.strip_prefix("signInEventTypes/any(") {
            if version == Version::V1 {
                return Err(unsupported(clause));
            }
            let inner = rest.strip_suffix(')').ok_or_else(|| unsupported(clause))?;
            let (var, cond) = inner.split_once(':').ok_or_else(|| unsupported(clause))?;
            let value = cond
                .trim()
                .strip_prefix(&format!("{} eq ", var.trim()))
                .and_then(|v| v.trim().strip_prefix('\''))
                .and_then(|v| v.strip_suffix('\''))
                .ok_or_else(|| unsupported(clause))?;
            out.event_type = Some(value.to_string());
        } else {
            return Err(unsupported(clause));
        }
    }
    Ok(out)
}

fn sign_in_log(
    inner: &Inner,
    req: &Req,
    version: Version,
    usage: &MutexGuard<'_, SignIns>,
) -> Resp {
    let filter = match parse_log_filter(req.param("$filter"), version) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let max = inner.options.sign_ins.log_page.max(1);
    let size = match top(req, max, max) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let kind = format!("signIns:{}", req.param("$filter").unwrap_or(""));
    let start = match position(inner, req, &kind) {
        Ok(p) => p,
        Err(r) => return r,
    };
    // Without an event type the list holds interactive user sign-ins only ("the user
    // sign-ins"), and this tenant's list is all service principal sign-ins.
    let service_principal = filter
        .event_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("servicePrincipal"));
    let st = inner.read();
    let mut events: Vec<&SignIn> = usage
        .events
        .iter()
        .filter(|_| service_principal)
        .filter(|e| filter.from.is_none_or(|f| e.at >= f))
        .filter(|e| filter.to.is_none_or(|t| e.at <= t))
        .collect();
    // Newest first.
    events.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    let items: Vec<Value> = events
        .into_iter()
        .map(|e| {
            let sp = st.sp_by_object_id(&e.service_principal_id);
            let name = sp.map(|p| p.display_name.as_str()).unwrap_or("");
            json!({
                "id": e.id,
                "createdDateTime": date(e.at),
                "appId": e.app_id,
                "appDisplayName": name,
                "ipAddress": "192.0.2.10",
                "correlationId": e.id,
                "resourceDisplayName": "Microsoft Graph",
                "resourceId": "00000003-0000-0000-c000-000000000000",
                "servicePrincipalId": e.service_principal_id,
                "servicePrincipalName": name,
                "servicePrincipalCredentialKeyId": e.key_id.clone().unwrap_or_default(),
                "servicePrincipalCredentialThumbprint": e.thumbprint.clone().unwrap_or_default(),
                "federatedCredentialId": e.federated_credential_id,
                "clientCredentialType": e.client_credential_type,
                "signInEventTypes": ["servicePrincipal"],
                "status": {
                    "errorCode": e.error_code,
                    "failureReason": if e.error_code == 0 { Value::Null } else { "The provided client secret keys are expired.".into() },
                },
            })
        })
        .collect();
    page(
        inner,
        req,
        &kind,
        (version, "auditLogs/signIns"),
        items,
        start,
        size,
    )
}
