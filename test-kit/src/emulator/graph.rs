//! Microsoft Graph v1.0 and beta: applications, service principals, their credentials and
//! federated identity credentials, `$count`, `/organization`. Every rule here comes from the
//! reference (`graph-arm-api.md` §1–§3); where the reference leaves an error's wording open,
//! the message is Graph-like and the code is the one the reference names.

use std::time::Duration;

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use credwise::domain::{
    FederatedIdentityCredential, KeyCredential, PasswordCredential, ServicePrincipalType,
};

use super::graph_json::{
    APP_PROPS, AppJson, FicJson, Page, PasswordJson, SP_PROPS, Selection, SpJson, V1_SUBJECT_NULL,
    Version,
};
use super::state::{State, fic_position};
use super::throttle::{graph_cost, retry_after_decimal};
use super::wire::{
    Req, Resp, alternate_key, base64, date, graph_error, graph_fail, is_guid, new_guid, parse_date,
    unbase64,
};
use super::{Inner, filter};

/// At most 20 FICs per application (reference §1.8).
pub const FIC_LIMIT: usize = 20;
/// The page size of a list with `$expand`, whatever `$top` asks.
pub const EXPAND_PAGE: usize = 100;
const THROTTLED_BODY: &str =
    include_str!("../../../tests/fixtures/real/graph-error-429-throttled.json");

fn segments(path: &str, version: Version) -> Vec<&str> {
    let rest = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(version.prefix()))
        .unwrap_or("");
    rest.split('/').filter(|s| !s.is_empty()).collect()
}

pub fn is_batch(path: &str, version: Version) -> bool {
    matches!(segments(path, version).as_slice(), [one] if *one == "$batch")
}

/// The ResourceUnit cost of a Graph request.
pub fn cost(req: &Req, version: Version) -> u32 {
    let segs = segments(&req.path, version);
    let first = segs.first().copied().unwrap_or("");
    graph_cost(&req.method, first, &req.query)
}

/// An application list read whose `$select` names `keyCredentials`: capped at 150 per minute
/// and tenant (reference §1.2).
pub fn selects_keys_of_application_list(req: &Req, version: Version) -> bool {
    req.method == "GET"
        && matches!(segments(&req.path, version).as_slice(), [one] if one.eq_ignore_ascii_case("applications"))
        && req.param("$select").is_some_and(|s| {
            s.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("keyCredentials"))
        })
}

/// The 429 body of the reference's fixture, with a fresh date.
pub fn throttled_body() -> Resp {
    let mut v: Value = serde_json::from_str(THROTTLED_BODY).unwrap_or_else(|_| json!({}));
    if let Some(inner) = v
        .pointer_mut("/error/innerError")
        .and_then(Value::as_object_mut)
    {
        let now = time::OffsetDateTime::now_utc();
        inner.insert(
            "date".into(),
            date(now).trim_end_matches('Z').to_string().into(),
        );
    }
    Resp::json_value(429, &v)
}

/// Throttled by the token bucket: 429, decimal `Retry-After`, the throttling headers.
pub fn throttled(wait: Duration) -> Resp {
    throttled_body()
        .with_header("retry-after", retry_after_decimal(wait))
        .with_header("x-ms-throttle-information", "ResourceUnitLimitExceeded")
        .with_header("x-ms-throttle-scope", "Tenant_Application/ReadWrite")
}

fn bad_request(message: &str) -> Resp {
    graph_fail(400, "Request_BadRequest", message)
}

fn unsupported_query(message: &str) -> Resp {
    graph_fail(400, "Request_UnsupportedQuery", message)
}

fn not_found(id: &str) -> Resp {
    graph_fail(
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// A page token Graph no longer knows: 400 `Directory_ExpiredPageToken` (the status: a
/// Microsoft support article on that error; the code: Microsoft Q&A 2337800,
/// microsoftgraph/msgraph-sdk-java#368), with the message Graph gives for an expired
/// `$skiptoken` ("Token not found…": microsoftgraph/msgraph-sdk-powershell#451). That this
/// code and this message come together is unconfirmed.
pub fn expired_page_token() -> Resp {
    graph_fail(
        400,
        "Directory_ExpiredPageToken",
        "Token not found: token is either invalid or expired",
    )
}

fn method_not_allowed() -> Resp {
    graph_fail(
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
}

fn segment_not_found(segment: &str) -> Resp {
    graph_fail(
        400,
        "BadRequest",
        &format!("Resource not found for the segment '{segment}'."),
    )
}

/// JSON written the way Graph writes it: while it serialises. An object that cannot be
/// serialised (a flexible FIC in v1.0, `graph_json::FicJson`) ends the body where it broke,
/// and Graph's error object follows at once, under the status already sent (observed:
/// Azure/azure-workload-identity#373, microsoftgraph/msgraph-sdk-python#1359).
fn json_resp<T: serde::Serialize>(status: u16, value: &T) -> Resp {
    let mut body = Vec::new();
    if serde_json::to_writer(&mut body, value).is_err() {
        body.extend_from_slice(graph_error("InternalServerError", V1_SUBJECT_NULL).as_bytes());
    }
    Resp::json(status, body)
}

fn eventual(req: &Req) -> bool {
    req.header("consistencylevel")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// The route of a Graph request (after faults and throttling).
pub fn route(inner: &Inner, req: &Req, version: Version) -> Resp {
    let segs = segments(&req.path, version);
    let Some((first, rest)) = segs.split_first() else {
        return segment_not_found(version.prefix());
    };
    if let Some(resp) = super::usage::route(inner, req, version, &segs) {
        return resp;
    }
    let (name, key) = alternate_key(first);
    if name.eq_ignore_ascii_case("applications") {
        return applications(inner, req, version, key, rest);
    }
    if name.eq_ignore_ascii_case("servicePrincipals") {
        return service_principals(inner, req, version, key, rest);
    }
    match (name.to_ascii_lowercase().as_str(), rest) {
        ("organization", []) if req.method == "GET" => organization(inner, req, version),
        ("me", _) => graph_fail(
            400,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ),
        ("$batch", []) => graph_fail(
            400,
            "BadRequest",
            "Nested $batch requests are not supported.",
        ),
        _ => segment_not_found(name),
    }
}

fn organization(inner: &Inner, req: &Req, version: Version) -> Resp {
    let st = inner.read();
    let s = &st.snap;
    json_resp(
        200,
        &json!({
            "@odata.context": format!("{}/{}/$metadata#organization", req.base, version.prefix()),
            "value": [{
                "id": s.tenant_id,
                "displayName": s.tenant_display_name.clone().unwrap_or_else(|| "Contoso".into()),
                "verifiedDomains": [],
            }]
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Collections: query options, paging.

/// Which collection a list reads; it is also the skip token's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Collection {
    Applications,
    ServicePrincipals {
        sp_type: Option<String>,
        /// `/servicePrincipals/microsoft.graph.agentIdentity`: the cast to agent identities.
        agents: bool,
    },
}

impl Collection {
    fn token_kind(&self) -> String {
        match self {
            Self::Applications => "applications".into(),
            Self::ServicePrincipals {
                sp_type: None,
                agents,
            } => format!("servicePrincipals{}", if *agents { ":agents" } else { "" }),
            Self::ServicePrincipals {
                sp_type: Some(t), ..
            } => format!("servicePrincipals:{t}"),
        }
    }

    fn on(&self) -> filter::On {
        match self {
            Self::Applications => filter::On::Applications,
            Self::ServicePrincipals { .. } => filter::On::ServicePrincipals,
        }
    }
}

/// The agent identity cast segment (`microsoft.graph.agentIdentity`, also `graph.…`).
fn is_agent_cast(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase();
    s == "microsoft.graph.agentidentity" || s == "graph.agentidentity"
}

/// `delta` or its fully qualified name `microsoft.graph.delta` (delta-query-overview.md).
fn is_delta(segment: &str) -> bool {
    segment == "delta" || segment.eq_ignore_ascii_case("microsoft.graph.delta")
}

/// The OData type of an agent identity.
const AGENT_IDENTITY: &str = "#microsoft.graph.agentIdentity";

/// The page size of the agent identity list: "The default and maximum page size is 100
/// agent identity objects" (v1.0/api/agentidentity-list.md).
const AGENT_PAGE: usize = 100;

struct ListQuery {
    top: usize,
    sel: Selection,
    select_raw: Option<String>,
    expand: bool,
    count: bool,
    /// Where this page starts, and whether an empty page was already served there.
    position: usize,
    empty_served: bool,
    first_page: bool,
    /// A `$filter` other than `servicePrincipalType eq`, checked against the documented
    /// support (`filter`).
    filter: Option<filter::Filter>,
    /// The skip token's kind: the collection and the filter, so a token of one query is
    /// refused by another.
    kind: String,
}

/// `servicePrincipalType eq 'X'`, also parenthesised; `None` for anything else.
fn parse_sp_type_filter(filter: &str) -> Option<String> {
    let mut f = filter.trim();
    while let Some(inner) = f.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        f = inner.trim();
    }
    let words: Vec<&str> = f.split_whitespace().collect();
    match words.as_slice() {
        [prop, op, value]
            if prop.eq_ignore_ascii_case("servicePrincipalType")
                && op.eq_ignore_ascii_case("eq") =>
        {
            let v = value.strip_prefix('\'')?.strip_suffix('\'')?;
            (!v.is_empty() && !v.contains('\'')).then(|| v.to_string())
        }
        _ => None,
    }
}

fn parse_list_query(
    inner: &Inner,
    req: &Req,
    collection: &mut Collection,
) -> Result<ListQuery, Resp> {
    let is_apps = *collection == Collection::Applications;
    for (k, _) in &req.query {
        let known = [
            "$top",
            "$select",
            "$expand",
            "$count",
            "$filter",
            "$skiptoken",
        ];
        if k.starts_with('$') && !known.iter().any(|n| n.eq_ignore_ascii_case(k)) {
            return Err(bad_request(&format!(
                "The query option '{k}' is not supported by this emulator (it serves $top, $select, $expand, $count, $filter and $skiptoken)."
            )));
        }
    }
    let top = match req.param("$top") {
        None => super::GRAPH_DEFAULT_PAGE.min(inner.options.max_page.max(1)),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=inner.options.max_page).contains(&n) => n,
            _ => {
                return Err(bad_request(&format!(
                    "Invalid page size specified: '{v}'. Must be between 1 and {} inclusive.",
                    inner.options.max_page
                )));
            }
        },
    };
    let (props, type_name) = if is_apps {
        (APP_PROPS, "application")
    } else {
        (SP_PROPS, "servicePrincipal")
    };
    let select_raw = req.param("$select").map(str::to_string);
    let sel = match &select_raw {
        Some(s) => Selection::parse(s, props, type_name).map_err(|m| bad_request(&m))?,
        None if is_apps => Selection::all_apps(),
        None => Selection::all_sps(),
    };
    let expand = match req.param("$expand") {
        None => false,
        Some(e)
            if is_apps
                && e.trim()
                    .eq_ignore_ascii_case("federatedIdentityCredentials") =>
        {
            true
        }
        Some(e) => {
            return Err(bad_request(&format!(
                "Could not find a property named '{}' on type 'microsoft.graph.{type_name}' that can be expanded here.",
                e.trim()
            )));
        }
    };
    let count = match req.param("$count").map(str::trim) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(bad_request(&format!(
                "Invalid value '{v}' for the query option $count."
            )));
        }
    };
    if count && !eventual(req) {
        return Err(bad_request(
            "$count is not currently supported without the header 'ConsistencyLevel: eventual'.",
        ));
    }
    if count && expand {
        // "$expand isn't supported together with advanced query parameters" (reference §1.4).
        return Err(bad_request(
            "$expand is not supported with advanced query parameters ($count=true and ConsistencyLevel: eventual).",
        ));
    }
    let mut checked = None;
    if let Some(text) = req.param("$filter") {
        let agents = matches!(
            collection,
            Collection::ServicePrincipals { agents: true, .. }
        );
        let sp_type = (!is_apps && !agents)
            .then(|| parse_sp_type_filter(text))
            .flatten();
        match sp_type {
            Some(t) => {
                *collection = Collection::ServicePrincipals {
                    sp_type: Some(t),
                    agents: false,
                }
            }
            None => {
                let f = filter::Filter::parse(
                    collection.on(),
                    text,
                    count && eventual(req),
                    inner.options.case_sensitive_filters,
                )
                .map_err(|r| graph_fail(400, r.code, &r.message))?;
                checked = Some(f);
            }
        }
    }
    let kind = match (&checked, req.param("$filter")) {
        (Some(_), Some(text)) => format!("{}|{text}", collection.token_kind()),
        _ => collection.token_kind(),
    };
    let (position, empty_served, first_page) = match req.param("$skiptoken") {
        None => (0, false, true),
        Some(t) => match inner.tokens.redeem_with_age(&kind, t) {
            Some((_, age))
                if inner.take_expired_token()
                    || inner.options.skip_token_lifetime.is_some_and(|l| age > l) =>
            {
                return Err(expired_page_token());
            }
            Some((p, _)) => (p / 2, p % 2 == 1, false),
            None => {
                return Err(bad_request(
                    "The $skiptoken is invalid or belongs to another query.",
                ));
            }
        },
    };
    Ok(ListQuery {
        top,
        sel,
        select_raw,
        expand,
        count,
        position,
        empty_served,
        first_page,
        filter: checked,
        kind,
    })
}

/// The absolute nextLink: same host, the original query, a fresh `$skiptoken`.
fn next_link(req: &Req, token: &str) -> String {
    let kept = req.raw_query_without(&["$skiptoken"]);
    let sep = if kept.is_empty() { "" } else { "&" };
    format!("{}{}?{kept}{sep}$skiptoken={token}", req.base, req.raw_path)
}

fn context(base: &str, version: Version, set: &str, select: Option<&str>) -> String {
    match select {
        Some(s) => format!(
            "{}/{}/$metadata#{set}({})",
            base,
            version.prefix(),
            s.replace(' ', "")
        ),
        None => format!("{}/{}/$metadata#{set}", base, version.prefix()),
    }
}

/// Graph answers an empty page with a nextLink when `Options::empty_pages` asks for it: before
/// every page after the first, once.
fn empty_page_first(inner: &Inner, q: &ListQuery) -> bool {
    inner.options.empty_pages && !q.first_page && !q.empty_served
}

fn list_applications(inner: &Inner, req: &Req, version: Version) -> Resp {
    let mut collection = Collection::Applications;
    let q = match parse_list_query(inner, req, &mut collection) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let st = inner.read();
    let apps = &st.snap.applications;
    let ctx = context(&req.base, version, "applications", q.select_raw.as_deref());
    if empty_page_first(inner, &q) {
        let token = inner.tokens.issue(&q.kind, q.position * 2 + 1);
        let page: Page<'_, AppJson<'_>> = Page {
            context: &ctx,
            count: None,
            next_link: Some(next_link(req, &token)),
            value: vec![],
        };
        return json_resp(200, &page);
    }
    // `$expand` caps a page at 100 objects whatever `$top` asks
    // (microsoftgraph/microsoft-graph-docs#21506/#21516; community reports of exactly 100).
    let top = if q.expand {
        q.top.min(EXPAND_PAGE)
    } else {
        q.top
    };
    let matches = |i: usize| q.filter.as_ref().is_none_or(|f| f.matches_app(&apps[i]));
    // A filtered page is served from an index, as Graph's are: it holds up to `top`
    // matches, and the next page starts at the next match.
    let start = q.position.min(apps.len());
    let mut picked = Vec::with_capacity(top.min(apps.len()));
    let mut i = start;
    while i < apps.len() && picked.len() < top {
        if matches(i) {
            picked.push(i);
        }
        i += 1;
    }
    let value: Vec<AppJson<'_>> = picked
        .iter()
        .map(|&k| AppJson {
            app: &apps[k],
            context: None,
            sel: q.sel,
            expand_fics: q.expand,
            version,
            with_keys: None,
        })
        .collect();
    let next = (i..apps.len())
        .find(|&j| matches(j))
        .map(|j| next_link(req, &inner.tokens.issue(&q.kind, j * 2)));
    let count = (q.count && q.first_page).then(|| (0..apps.len()).filter(|&j| matches(j)).count());
    let n = value.len();
    let page = Page {
        context: &ctx,
        count,
        next_link: next,
        value,
    };
    json_resp(200, &page).with_objects(n)
}

fn sp_matches(st: &State, i: usize, sp_type: Option<&str>) -> bool {
    sp_type.is_none_or(|t| {
        st.snap.service_principals[i]
            .service_principal_type
            .as_str()
            .eq_ignore_ascii_case(t)
    })
}

fn is_agent(sp: &credwise::domain::ServicePrincipal) -> bool {
    sp.odata_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(AGENT_IDENTITY))
}

fn list_service_principals(inner: &Inner, req: &Req, version: Version, agents: bool) -> Resp {
    let mut collection = Collection::ServicePrincipals {
        sp_type: None,
        agents,
    };
    let q = match parse_list_query(inner, req, &mut collection) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Collection::ServicePrincipals { sp_type, .. } = &collection else {
        return bad_request("unreachable collection");
    };
    let st = inner.read();
    let sps = &st.snap.service_principals;
    let set = if agents {
        "servicePrincipals/microsoft.graph.agentIdentity"
    } else {
        "servicePrincipals"
    };
    let ctx = context(&req.base, version, set, q.select_raw.as_deref());
    if empty_page_first(inner, &q) {
        let token = inner.tokens.issue(&q.kind, q.position * 2 + 1);
        let page: Page<'_, SpJson<'_>> = Page {
            context: &ctx,
            count: None,
            next_link: Some(next_link(req, &token)),
            value: vec![],
        };
        return json_resp(200, &page);
    }
    let top = if agents { q.top.min(AGENT_PAGE) } else { q.top };
    let matches = |i: usize| {
        sp_matches(&st, i, sp_type.as_deref())
            && (!agents || is_agent(&sps[i]))
            && q.filter.as_ref().is_none_or(|f| f.matches_sp(&sps[i]))
    };
    let start = q.position.min(sps.len());
    // A `servicePrincipalType` read scans a bounded stretch of the directory per page, so a
    // sparse filter yields short (even empty) pages with a nextLink, as Graph's do; other
    // filters and the agent cast are served from an index, `top` matches a page.
    let budget = if sp_type.is_some() {
        top.saturating_mul(4)
    } else {
        usize::MAX
    };
    let mut value = Vec::with_capacity(top.min(sps.len()));
    let mut i = start;
    while i < sps.len() && value.len() < top && i - start < budget {
        if matches(i) {
            value.push(SpJson {
                sp: &sps[i],
                sel: q.sel,
                with_keys: None,
            });
        }
        i += 1;
    }
    // The next page starts at the next match: a filtered tail without one gets no nextLink,
    // and a whole crawl scans each principal once.
    let next = (i..sps.len())
        .find(|&j| matches(j))
        .map(|j| next_link(req, &inner.tokens.issue(&q.kind, j * 2)));
    let count = (q.count && q.first_page).then(|| (0..sps.len()).filter(|&j| matches(j)).count());
    let n = value.len();
    let page = Page {
        context: &ctx,
        count,
        next_link: next,
        value,
    };
    json_resp(200, &page).with_objects(n)
}

/// `GET /applications/$count`, `/servicePrincipals/$count` (and the agent cast's): plain
/// text, advanced query only, with the same `$filter`s as the lists.
fn count(inner: &Inner, req: &Req, apps: bool, agents: bool) -> Resp {
    if req.method != "GET" {
        return method_not_allowed();
    }
    if !eventual(req) {
        return bad_request(
            "Count is not currently supported without the header 'ConsistencyLevel: eventual'.",
        );
    }
    let st = inner.read();
    let on = if apps {
        filter::On::Applications
    } else {
        filter::On::ServicePrincipals
    };
    let (sp_type, checked) = match req.param("$filter") {
        None => (None, None),
        Some(f) => match (!apps).then(|| parse_sp_type_filter(f)).flatten() {
            Some(t) => (Some(t), None),
            None => {
                match filter::Filter::parse(on, f, true, inner.options.case_sensitive_filters) {
                    Ok(c) => (None, Some(c)),
                    Err(r) => return graph_fail(400, r.code, &r.message),
                }
            }
        },
    };
    let n = if apps {
        st.snap
            .applications
            .iter()
            .filter(|a| checked.as_ref().is_none_or(|f| f.matches_app(a)))
            .count()
    } else {
        (0..st.snap.service_principals.len())
            .filter(|&j| {
                let sp = &st.snap.service_principals[j];
                sp_matches(&st, j, sp_type.as_deref())
                    && (!agents || is_agent(sp))
                    && checked.as_ref().is_none_or(|f| f.matches_sp(sp))
            })
            .count()
    };
    Resp::text(200, n.to_string())
}

// ---------------------------------------------------------------------------------------------
// Applications.

/// The object a request names: by `/{id}` or by `(appId='…')`, and the path after it.
struct Target<'a> {
    key: &'a str,
    by_app_id: bool,
    rest: &'a [&'a str],
}

fn lookup_key<'a>(
    key: Option<(&'a str, &'a str)>,
    rest: &'a [&'a str],
) -> Result<Option<Target<'a>>, Resp> {
    let target = |key, by_app_id, rest| {
        Some(Target {
            key,
            by_app_id,
            rest,
        })
    };
    match key {
        Some((k, v)) if k.eq_ignore_ascii_case("appId") => Ok(target(v, true, rest)),
        Some((k, v)) if k.eq_ignore_ascii_case("id") => Ok(target(v, false, rest)),
        Some((k, _)) => Err(bad_request(&format!(
            "The alternate key '{k}' is not supported by this emulator (it serves id and appId)."
        ))),
        None => match rest.split_first() {
            Some((id, more)) if *id != "$count" => Ok(target(id, false, more)),
            _ => Ok(None),
        },
    }
}

fn applications(
    inner: &Inner,
    req: &Req,
    version: Version,
    key: Option<(&str, &str)>,
    rest: &[&str],
) -> Resp {
    if key.is_none() && matches!(rest, [d] if is_delta(d)) {
        return super::delta::serve(inner, req, version, true);
    }
    let target = match lookup_key(key, rest) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(Target {
        key: id,
        by_app_id,
        rest: more,
    }) = target
    else {
        return match (rest, req.method.as_str()) {
            ([], "GET") => list_applications(inner, req, version),
            ([c], _) if *c == "$count" => count(inner, req, true, false),
            _ => method_not_allowed(),
        };
    };
    let Some(index) = inner.read().app_index(id, by_app_id) else {
        return not_found(id);
    };
    let Some((action, tail)) = more.split_first() else {
        return match req.method.as_str() {
            "GET" => get_application(inner, req, version, index),
            "PATCH" => patch_object(inner, req, &ObjectRef::App(index)),
            _ => method_not_allowed(),
        };
    };
    let (action_name, action_key) = alternate_key(action);
    match (action_name, tail, req.method.as_str()) {
        ("addPassword", [], "POST") => add_password(inner, req, version, &ObjectRef::App(index)),
        ("removePassword", [], "POST") => remove_password(inner, req, &ObjectRef::App(index)),
        ("addKey" | "removeKey", [], "POST") => graph_fail(
            400,
            "Request_BadRequest",
            "Proof of possession validation failed. Applications that don't have any existing valid certificates can't use this action; use the Update application operation (PATCH keyCredentials) instead.",
        ),
        ("federatedIdentityCredentials", _, _) => {
            fics(inner, req, version, index, action_key, tail)
        }
        ("addPassword" | "removePassword" | "addKey" | "removeKey", [], _) => method_not_allowed(),
        _ => segment_not_found(action),
    }
}

fn get_application(inner: &Inner, req: &Req, version: Version, index: usize) -> Resp {
    let select_raw = req.param("$select");
    let sel = match select_raw {
        Some(s) => match Selection::parse(s, APP_PROPS, "application") {
            Ok(sel) => sel,
            Err(m) => return bad_request(&m),
        },
        None => Selection::all_apps(),
    };
    let expand = match req.param("$expand") {
        None => false,
        Some(e)
            if e.trim()
                .eq_ignore_ascii_case("federatedIdentityCredentials") =>
        {
            true
        }
        Some(e) => {
            return bad_request(&format!(
                "Could not find a property named '{e}' on type 'microsoft.graph.application' that can be expanded here."
            ));
        }
    };
    let st = inner.read();
    let app = &st.snap.applications[index];
    let ctx = format!(
        "{}/$entity",
        context(&req.base, version, "applications", select_raw)
    );
    json_resp(
        200,
        &AppJson {
            app,
            context: Some(&ctx),
            sel,
            expand_fics: expand,
            version,
            // `key` comes back only when selected on a single object (reference §1.2).
            with_keys: sel.explicit.then_some(&*st),
        },
    )
}

/// `PATCH /applications/{id}` and `/servicePrincipals/{id}`: `keyCredentials` replaces the
/// whole collection (reference §2.2); `displayName` and `notes` are accepted too.
/// `passwordCredentials` cannot be patched, and managed identities not at all.
fn patch_object(inner: &Inner, req: &Req, obj_ref: &ObjectRef) -> Resp {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return bad_request(&m),
    };
    let Some(obj) = body.as_object() else {
        return bad_request("The request body must be a JSON object.");
    };
    for k in obj.keys() {
        if !["keyCredentials", "displayName", "notes", "@odata.type"].contains(&k.as_str()) {
            let msg = if k == "passwordCredentials" {
                "Updating passwordCredentials is not supported; use addPassword and removePassword."
                    .to_string()
            } else {
                format!("Property '{k}' cannot be updated through this emulator.")
            };
            return bad_request(&msg);
        }
    }
    let mut st = inner.write();
    let owner = match obj_ref.find(&st) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Owner::Sp(i) = owner
        && st.snap.service_principals[i].service_principal_type
            == ServicePrincipalType::ManagedIdentity
    {
        return bad_request(
            "Managed identity service principals can't be updated or modified directly.",
        );
    }
    if let Some(kc) = obj.get("keyCredentials") {
        let Some(entries) = kc.as_array() else {
            return bad_request("keyCredentials must be an array.");
        };
        let existing = match owner {
            Owner::App(i) => &st.snap.applications[i].key_credentials,
            Owner::Sp(i) => &st.snap.service_principals[i].key_credentials,
        };
        let (creds, keys) = match replace_key_credentials(&st, existing, entries) {
            Ok(x) => x,
            Err(r) => return r,
        };
        // Keys of removed credentials stay known, so an undo can put one back with its key.
        for (key_id, der) in keys {
            st.set_key(&key_id, der);
        }
        match owner {
            Owner::App(i) => st.snap.applications[i].key_credentials = creds,
            Owner::Sp(i) => st.snap.service_principals[i].key_credentials = creds,
        }
    }
    if let Some(name) = obj.get("displayName").and_then(Value::as_str) {
        match owner {
            Owner::App(i) => st.snap.applications[i].display_name = name.to_string(),
            Owner::Sp(i) => st.snap.service_principals[i].display_name = name.to_string(),
        }
    }
    Resp::empty(204)
}

/// The new `keyCredentials` collection and the DER of every entry.
#[allow(clippy::type_complexity)]
fn replace_key_credentials(
    st: &State,
    existing: &[KeyCredential],
    entries: &[Value],
) -> Result<(Vec<KeyCredential>, Vec<(String, Vec<u8>)>), Resp> {
    let mut creds = Vec::with_capacity(entries.len());
    let mut keys = Vec::with_capacity(entries.len());
    for e in entries {
        let Some(o) = e.as_object() else {
            return Err(bad_request("Each keyCredential must be an object."));
        };
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let key_id = match s("keyId") {
            Some(k) if is_guid(&k) => k,
            Some(k) => {
                return Err(bad_request(&format!(
                    "Invalid value specified for property 'keyId' of resource 'KeyCredential': '{k}'."
                )));
            }
            None => new_guid(),
        };
        if creds
            .iter()
            .any(|c: &KeyCredential| c.key_id.eq_ignore_ascii_case(&key_id))
        {
            return Err(bad_request(&format!(
                "Duplicate keyId '{key_id}' in keyCredentials."
            )));
        }
        let old = existing
            .iter()
            .find(|c| c.key_id.eq_ignore_ascii_case(&key_id));
        // The key the emulator holds for this keyId: uploaded earlier (even if since removed)
        // or the placeholder of a snapshot credential. Sent back unchanged, it is accepted
        // without being a certificate; a credential still present may omit it.
        let held = st.key_der(&key_id);
        let known = old.map(|_| held.clone());
        let (der, cert) = match (s("key"), &known) {
            (Some(k), _) => {
                let Some(der) = unbase64(&k).filter(|d| !d.is_empty()) else {
                    return Err(bad_request(
                        "Invalid value specified for property 'key' of resource 'KeyCredential'.",
                    ));
                };
                if der == held {
                    (der, None)
                } else {
                    match x509_parser::parse_x509_certificate(&der) {
                        Ok((_, cert)) => {
                            let nb = cert.validity().not_before.timestamp();
                            let na = cert.validity().not_after.timestamp();
                            let subject = cert.subject().to_string();
                            (der, Some((nb, na, subject)))
                        }
                        Err(_) => {
                            return Err(bad_request(
                                "Invalid value specified for property 'key' of resource 'KeyCredential': the key is not an X.509 certificate (base64 DER of the public certificate).",
                            ));
                        }
                    }
                }
            }
            (None, Some(der)) => (der.clone(), None),
            (None, None) => {
                return Err(bad_request(&format!(
                    "keyCredential '{key_id}' has no 'key' and is not an existing credential of this application."
                )));
            }
        };
        let ts = |secs: i64| time::OffsetDateTime::from_unix_timestamp(secs).ok();
        let date_field = |k: &str| -> Result<Option<time::OffsetDateTime>, Resp> {
            match s(k) {
                None => Ok(None),
                Some(v) => parse_date(&v).map(Some).ok_or_else(|| {
                    bad_request(&format!("Invalid value '{v}' for property '{k}'."))
                }),
            }
        };
        let start = date_field("startDateTime")?
            .or_else(|| cert.as_ref().and_then(|c| ts(c.0)))
            .or_else(|| old.and_then(|c| c.start_date_time));
        let end = date_field("endDateTime")?
            .or_else(|| cert.as_ref().and_then(|c| ts(c.1)))
            .or_else(|| old.and_then(|c| c.end_date_time));
        if let (Some(a), Some(b)) = (start, end)
            && b <= a
        {
            return Err(bad_request(
                "Key credential end date must be later than its start date.",
            ));
        }
        // A new certificate's dates must lie within its validity: an end after notAfter is
        // `KeyCredentialsInvalidEndDate` (observed: microsoft/b2c-to-meeid-migration-tool#10
        // and #18; Azure/azure-cli#11146; the Azure CLI keeps both dates one second inside
        // the certificate for this reason, `_validate_app_dates` in its role module). The
        // start before notBefore is modelled the same way; that error is unconfirmed.
        if let Some((nb, na, _)) = &cert {
            if start.zip(ts(*nb)).is_some_and(|(s, nb)| s < nb) {
                return Err(graph_fail(
                    400,
                    "KeyCredentialsInvalidStartDate",
                    "Key credential start date is invalid.",
                ));
            }
            if end.zip(ts(*na)).is_some_and(|(e, na)| e > na) {
                return Err(graph_fail(
                    400,
                    "KeyCredentialsInvalidEndDate",
                    "Key credential end date is invalid.",
                ));
            }
        }
        let identifier = s("customKeyIdentifier")
            .or_else(|| {
                old.filter(|_| cert.is_none())
                    .and_then(|c| c.custom_key_identifier.clone())
            })
            .or_else(|| Some(base64(&Sha1::digest(&der))));
        let display_name = s("displayName")
            .or_else(|| old.and_then(|c| c.display_name.clone()))
            .or_else(|| cert.as_ref().map(|c| c.2.clone()));
        creds.push(KeyCredential {
            key_id: key_id.clone().into(),
            display_name,
            custom_key_identifier: identifier,
            key_type: s("type")
                .map(Into::into)
                .or_else(|| old.and_then(|c| c.key_type.clone()))
                .or_else(|| Some("AsymmetricX509Cert".into())),
            usage: s("usage")
                .map(Into::into)
                .or_else(|| old.and_then(|c| c.usage.clone()))
                .or_else(|| Some("Verify".into())),
            start_date_time: start,
            end_date_time: end,
        });
        keys.push((key_id, der));
    }
    Ok((creds, keys))
}

// ---------------------------------------------------------------------------------------------
// Secrets, on applications and service principals.

/// An object the request names, as routed. Applications are never removed, so an index stays
/// valid; service principals can go (with their UAMI), so they are found again by object id
/// under the lock that reads or changes them.
#[derive(Debug, Clone)]
enum ObjectRef {
    App(usize),
    Sp(String),
}

/// An object found under the current lock.
#[derive(Debug, Clone, Copy)]
enum Owner {
    App(usize),
    Sp(usize),
}

impl ObjectRef {
    fn find(&self, st: &State) -> Result<Owner, Resp> {
        match self {
            Self::App(i) => Ok(Owner::App(*i)),
            Self::Sp(id) => st
                .sp_index(id, false)
                .map(Owner::Sp)
                .ok_or_else(|| not_found(id)),
        }
    }
}

fn passwords(st: &mut State, owner: Owner) -> &mut Vec<PasswordCredential> {
    match owner {
        Owner::App(i) => &mut st.snap.applications[i].password_credentials,
        Owner::Sp(i) => &mut st.snap.service_principals[i].password_credentials,
    }
}

const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";

fn add_password(inner: &Inner, req: &Req, version: Version, obj: &ObjectRef) -> Resp {
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match req.json_body() {
            Ok(b) => b,
            Err(m) => return bad_request(&m),
        }
    };
    let pc = body.get("passwordCredential").cloned().unwrap_or(json!({}));
    let field = |k: &str| pc.get(k).and_then(Value::as_str).map(str::to_string);
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let parse = |k: &str| -> Result<Option<time::OffsetDateTime>, Resp> {
        match field(k) {
            None => Ok(None),
            Some(v) => parse_date(&v)
                .map(Some)
                .ok_or_else(|| bad_request(&format!("Invalid value '{v}' for property '{k}'."))),
        }
    };
    let start = match parse("startDateTime") {
        Ok(v) => v.unwrap_or(now),
        Err(r) => return r,
    };
    let end = match parse("endDateTime") {
        // Graph's default lifetime for addPassword is two years (reference §1.7).
        Ok(v) => v.unwrap_or(start.saturating_add(time::Duration::days(730))),
        Err(r) => return r,
    };
    if end <= start {
        return bad_request("Password credential end date must be later than its start date.");
    }
    let mut st = inner.write();
    let owner = match obj.find(&st) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Owner::Sp(i) = owner
        && st.snap.service_principals[i].service_principal_type
            == ServicePrincipalType::ManagedIdentity
    {
        return bad_request(
            "Managed identity service principals can't be updated or modified directly.",
        );
    }
    let secret: String = {
        let mut rng = super::lock(&inner.rng);
        (0..40)
            .map(|_| char::from(SECRET_ALPHABET[rng.below(SECRET_ALPHABET.len())]))
            .collect()
    };
    let cred = PasswordCredential {
        key_id: new_guid().into(),
        display_name: field("displayName"),
        hint: Some(secret[..3].to_string()),
        start_date_time: Some(start),
        end_date_time: Some(end),
    };
    let mut v = serde_json::to_value(PasswordJson(&cred)).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "@odata.context".into(),
            format!(
                "{}/{}/$metadata#microsoft.graph.passwordCredential",
                req.base,
                version.prefix()
            )
            .into(),
        );
        o.insert("secretText".into(), secret.clone().into());
    }
    passwords(&mut st, owner).push(cred);
    st.secrets.push(secret);
    Resp::json_value(200, &v)
}

fn remove_password(inner: &Inner, req: &Req, obj: &ObjectRef) -> Resp {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return bad_request(&m),
    };
    let Some(key_id) = body.get("keyId").and_then(Value::as_str) else {
        return bad_request("The request body must have a 'keyId'.");
    };
    let mut st = inner.write();
    let owner = match obj.find(&st) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Owner::Sp(i) = owner
        && st.snap.service_principals[i].service_principal_type
            == ServicePrincipalType::ManagedIdentity
    {
        return bad_request(
            "Managed identity service principals can't be updated or modified directly.",
        );
    }
    let list = passwords(&mut st, owner);
    match list
        .iter()
        .position(|c| c.key_id.eq_ignore_ascii_case(key_id))
    {
        Some(i) => {
            list.remove(i);
            Resp::empty(204)
        }
        None => bad_request(&format!(
            "No password credential found with keyId '{key_id}'."
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Federated identity credentials on applications.

fn fic_json(fic: &FederatedIdentityCredential, version: Version, context: Option<String>) -> Value {
    let mut v = serde_json::to_value(FicJson {
        fic,
        version,
        context: None,
    })
    .unwrap_or_else(|_| json!({}));
    if let (Some(o), Some(c)) = (v.as_object_mut(), context) {
        o.insert("@odata.context".into(), c.into());
    }
    v
}

fn fic_context(base: &str, version: Version, app_id: &str, entity: bool) -> String {
    format!(
        "{}/{}/$metadata#applications('{app_id}')/federatedIdentityCredentials{}",
        base,
        version.prefix(),
        if entity { "/$entity" } else { "" }
    )
}

fn fics(
    inner: &Inner,
    req: &Req,
    version: Version,
    index: usize,
    key: Option<(&str, &str)>,
    tail: &[&str],
) -> Resp {
    match (key, tail) {
        (None, []) => match req.method.as_str() {
            "GET" => list_fics(inner, req, version, index),
            "POST" => create_fic(inner, req, version, index, None),
            _ => method_not_allowed(),
        },
        (Some((k, name)), []) if k.eq_ignore_ascii_case("name") => match req.method.as_str() {
            "PATCH" => {
                let exists = {
                    let st = inner.read();
                    fic_position(
                        &st.snap.applications[index].federated_identity_credentials,
                        name,
                    )
                    .is_some()
                };
                let create = req
                    .header("prefer")
                    .is_some_and(|p| p.to_ascii_lowercase().contains("create-if-missing"));
                if !exists && create {
                    create_fic(inner, req, version, index, Some(name))
                } else {
                    update_fic(inner, req, version, index, name)
                }
            }
            "GET" => get_fic(inner, req, version, index, name),
            "DELETE" => delete_fic(inner, index, name),
            _ => method_not_allowed(),
        },
        (None, [id_or_name]) => match req.method.as_str() {
            "GET" => get_fic(inner, req, version, index, id_or_name),
            "PATCH" => update_fic(inner, req, version, index, id_or_name),
            "DELETE" => delete_fic(inner, index, id_or_name),
            _ => method_not_allowed(),
        },
        _ => segment_not_found(
            tail.first()
                .copied()
                .unwrap_or("federatedIdentityCredentials"),
        ),
    }
}

fn list_fics(inner: &Inner, req: &Req, version: Version, index: usize) -> Resp {
    // `$filter` (eq) on name, subject and issuer (reference §2.3).
    let filter = match req.param("$filter") {
        None => None,
        Some(f) => {
            let words: Vec<&str> = f.trim().splitn(3, ' ').collect();
            match words.as_slice() {
                [prop, op, value]
                    if op.eq_ignore_ascii_case("eq")
                        && ["name", "subject", "issuer"]
                            .iter()
                            .any(|p| p.eq_ignore_ascii_case(prop)) =>
                {
                    match value
                        .trim()
                        .strip_prefix('\'')
                        .and_then(|v| v.strip_suffix('\''))
                    {
                        Some(v) => Some((prop.to_ascii_lowercase(), v.to_string())),
                        None => return unsupported_query("Unsupported Query."),
                    }
                }
                _ => return unsupported_query("Unsupported Query."),
            }
        }
    };
    let st = inner.read();
    let app = &st.snap.applications[index];
    let value: Vec<FicJson<'_>> = app
        .federated_identity_credentials
        .iter()
        .filter(|f| match &filter {
            None => true,
            Some((p, v)) => match p.as_str() {
                "name" => f.name.eq_ignore_ascii_case(v),
                "subject" => f.subject.as_deref() == Some(v.as_str()),
                _ => f.issuer == *v,
            },
        })
        .map(|fic| FicJson {
            fic,
            version,
            context: None,
        })
        .collect();
    let ctx = fic_context(&req.base, version, &app.id, false);
    json_resp(
        200,
        &Page {
            context: &ctx,
            count: None,
            next_link: None,
            value,
        },
    )
}

fn get_fic(inner: &Inner, req: &Req, version: Version, index: usize, id_or_name: &str) -> Resp {
    let st = inner.read();
    let app = &st.snap.applications[index];
    // A single FIC breaks off in v1.0 as a list does (modelled on the list; unconfirmed).
    match fic_position(&app.federated_identity_credentials, id_or_name) {
        Some(i) => {
            let ctx = fic_context(&req.base, version, &app.id, true);
            json_resp(
                200,
                &FicJson {
                    fic: &app.federated_identity_credentials[i],
                    version,
                    context: Some(&ctx),
                },
            )
        }
        None => not_found(id_or_name),
    }
}

fn delete_fic(inner: &Inner, index: usize, id_or_name: &str) -> Resp {
    let mut st = inner.write();
    let list = &mut st.snap.applications[index].federated_identity_credentials;
    match fic_position(list, id_or_name) {
        Some(i) => {
            list.remove(i);
            Resp::empty(204)
        }
        None => not_found(id_or_name),
    }
}

/// The FIC fields a body sets; `None` = absent, `Some(None)` = explicitly null.
#[derive(Default)]
struct FicPatch {
    name: Option<String>,
    issuer: Option<String>,
    subject: Option<Option<String>>,
    expression: Option<Option<String>>,
    audiences: Option<Vec<String>>,
    description: Option<Option<String>>,
}

fn parse_fic_body(req: &Req, version: Version) -> Result<FicPatch, Resp> {
    let body = req.json_body().map_err(|m| bad_request(&m))?;
    let Some(o) = body.as_object() else {
        return Err(bad_request("The request body must be a JSON object."));
    };
    let mut p = FicPatch::default();
    let text = |k: &str, v: &Value| -> Result<Option<String>, Resp> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(bad_request(&format!(
                "Invalid value specified for property '{k}' of resource 'FederatedIdentityCredential'."
            ))),
        }
    };
    for (k, v) in o {
        match k.as_str() {
            "name" => p.name = text(k, v)?,
            "issuer" => p.issuer = text(k, v)?,
            "subject" => p.subject = Some(text(k, v)?),
            "description" => p.description = Some(text(k, v)?),
            "audiences" => {
                let Some(a) = v.as_array() else {
                    return Err(bad_request(
                        "Invalid value specified for property 'audiences' of resource 'FederatedIdentityCredential'.",
                    ));
                };
                let mut list = Vec::new();
                for x in a {
                    match x.as_str() {
                        Some(s) => list.push(s.to_string()),
                        None => {
                            return Err(bad_request(
                                "Invalid value specified for property 'audiences' of resource 'FederatedIdentityCredential'.",
                            ));
                        }
                    }
                }
                p.audiences = Some(list);
            }
            "claimsMatchingExpression" if version == Version::Beta => {
                p.expression = Some(match v {
                    Value::Null => None,
                    Value::Object(e) => match e.get("value").and_then(Value::as_str) {
                        Some(s) => Some(s.to_string()),
                        None => {
                            return Err(bad_request(
                                "claimsMatchingExpression needs a 'value' (and languageVersion 1).",
                            ));
                        }
                    },
                    _ => {
                        return Err(bad_request(
                            "Invalid value specified for property 'claimsMatchingExpression'.",
                        ));
                    }
                });
            }
            "id" | "@odata.type" | "@odata.context" | "@odata.id" => {}
            other => {
                return Err(bad_request(&format!(
                    "Invalid property '{other}' for resource 'microsoft.graph.federatedIdentityCredential' in {}.",
                    version.prefix()
                )));
            }
        }
    }
    Ok(p)
}

fn name_is_valid(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=120).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// The reference's FIC rules (§1.7, §7.3): name, lengths, exactly one audience, subject xor
/// expression, unique name and (issuer, subject) per app, at most 20.
fn validate_fic(
    list: &[FederatedIdentityCredential],
    fic: &FederatedIdentityCredential,
    replacing: Option<usize>,
) -> Result<(), Resp> {
    let invalid = |prop: &str, why: &str| {
        bad_request(&format!(
            "Invalid value specified for property '{prop}' of resource 'FederatedIdentityCredential'. {why}"
        ))
    };
    if !name_is_valid(&fic.name) {
        return Err(invalid(
            "name",
            "It must be 3-120 characters, start with a letter or digit, and contain only letters, digits, '-' and '_'.",
        ));
    }
    if fic.issuer.trim().is_empty() || fic.issuer.len() > 600 {
        return Err(invalid(
            "issuer",
            "It is required and at most 600 characters.",
        ));
    }
    match (&fic.subject, &fic.claims_matching_expression) {
        (Some(s), None) if !s.is_empty() && s.len() <= 600 => {}
        (None, Some(e)) if !e.trim().is_empty() => {}
        (Some(_), Some(_)) => {
            return Err(bad_request(
                "subject and claimsMatchingExpression are mutually exclusive.",
            ));
        }
        _ => {
            return Err(invalid(
                "subject",
                "It is required and at most 600 characters.",
            ));
        }
    }
    if fic.description.as_ref().is_some_and(|d| d.len() > 600) {
        return Err(invalid("description", "It is at most 600 characters."));
    }
    if fic.audiences.len() != 1 || fic.audiences.iter().any(|a| a.is_empty() || a.len() > 600) {
        return Err(invalid(
            "audiences",
            "Exactly one audience of at most 600 characters is required.",
        ));
    }
    for (i, other) in list.iter().enumerate() {
        if Some(i) == replacing {
            continue;
        }
        if other.name.eq_ignore_ascii_case(&fic.name) {
            return Err(bad_request(&format!(
                "A federated identity credential named '{}' already exists on this application.",
                fic.name
            )));
        }
        if other.issuer == fic.issuer
            && other.subject == fic.subject
            && other.claims_matching_expression == fic.claims_matching_expression
        {
            return Err(bad_request(
                "A federated identity credential with this issuer and subject already exists on this application.",
            ));
        }
    }
    if replacing.is_none() && list.len() >= FIC_LIMIT {
        return Err(bad_request(&format!(
            "An application can have at most {FIC_LIMIT} federated identity credentials."
        )));
    }
    Ok(())
}

fn create_fic(
    inner: &Inner,
    req: &Req,
    version: Version,
    index: usize,
    upsert_name: Option<&str>,
) -> Resp {
    let p = match parse_fic_body(req, version) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let name = match (upsert_name, p.name) {
        (Some(n), None) => n.to_string(),
        (Some(n), Some(b)) if b == n => b,
        (Some(_), Some(_)) => {
            return bad_request("The name in the body does not match the name in the URL.");
        }
        (None, Some(b)) => b,
        (None, None) => return bad_request("Property 'name' is required."),
    };
    let fic = FederatedIdentityCredential {
        id: Some(new_guid()),
        name,
        issuer: p.issuer.unwrap_or_default(),
        subject: p.subject.flatten(),
        claims_matching_expression: p.expression.flatten(),
        audiences: p.audiences.unwrap_or_default(),
        description: p.description.flatten(),
    };
    let mut st = inner.write();
    let app = &mut st.snap.applications[index];
    if let Err(r) = validate_fic(&app.federated_identity_credentials, &fic, None) {
        return r;
    }
    let body = fic_json(
        &fic,
        version,
        Some(fic_context(&req.base, version, &app.id, true)),
    );
    app.federated_identity_credentials.push(fic);
    Resp::json_value(201, &body)
}

fn update_fic(inner: &Inner, req: &Req, version: Version, index: usize, id_or_name: &str) -> Resp {
    let p = match parse_fic_body(req, version) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut st = inner.write();
    let list = &mut st.snap.applications[index].federated_identity_credentials;
    let Some(i) = fic_position(list, id_or_name) else {
        return not_found(id_or_name);
    };
    let mut fic = list[i].clone();
    let subject_given = p.subject.is_some();
    if let Some(n) = p.name
        && n != fic.name
    {
        return bad_request("Property 'name' is immutable.");
    }
    if let Some(v) = p.issuer {
        fic.issuer = v;
    }
    if let Some(v) = p.subject {
        fic.subject = v;
    }
    if let Some(v) = p.expression {
        fic.claims_matching_expression = v;
        if fic.claims_matching_expression.is_some() && !subject_given {
            fic.subject = None;
        }
    }
    if let Some(v) = p.audiences {
        fic.audiences = v;
    }
    if let Some(v) = p.description {
        fic.description = v;
    }
    if let Err(r) = validate_fic(list, &fic, Some(i)) {
        return r;
    }
    list[i] = fic;
    Resp::empty(204)
}

// ---------------------------------------------------------------------------------------------
// Service principals.

fn service_principals(
    inner: &Inner,
    req: &Req,
    version: Version,
    key: Option<(&str, &str)>,
    rest: &[&str],
) -> Resp {
    if key.is_none() {
        match rest {
            [d] if is_delta(d) => return super::delta::serve(inner, req, version, false),
            [cast] if is_agent_cast(cast) && req.method == "GET" => {
                return list_service_principals(inner, req, version, true);
            }
            [cast, c] if is_agent_cast(cast) && *c == "$count" => {
                return count(inner, req, false, true);
            }
            [cast, ..] if is_agent_cast(cast) => return method_not_allowed(),
            _ => {}
        }
    }
    let target = match lookup_key(key, rest) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(Target {
        key: id,
        by_app_id,
        rest: more,
    }) = target
    else {
        return match (rest, req.method.as_str()) {
            ([], "GET") => list_service_principals(inner, req, version, false),
            ([c], _) if *c == "$count" => count(inner, req, false, false),
            _ => method_not_allowed(),
        };
    };
    let found = {
        let st = inner.read();
        st.sp_index(id, by_app_id)
            .map(|i| st.snap.service_principals[i].id.clone())
    };
    let Some(sp_id) = found else {
        return not_found(id);
    };
    let obj = ObjectRef::Sp(sp_id);
    match (more, req.method.as_str()) {
        ([], "GET") => get_service_principal(inner, req, version, &obj),
        ([], "PATCH") => patch_object(inner, req, &obj),
        (["addPassword"], "POST") => add_password(inner, req, version, &obj),
        (["removePassword"], "POST") => remove_password(inner, req, &obj),
        ([] | ["addPassword"] | ["removePassword"], _) => method_not_allowed(),
        ([other, ..], _) => segment_not_found(other),
    }
}

fn get_service_principal(inner: &Inner, req: &Req, version: Version, obj: &ObjectRef) -> Resp {
    let select_raw = req.param("$select");
    let sel = match select_raw {
        Some(s) => match Selection::parse(s, SP_PROPS, "servicePrincipal") {
            Ok(sel) => sel,
            Err(m) => return bad_request(&m),
        },
        None => Selection::all_sps(),
    };
    let st = inner.read();
    let index = match obj.find(&st) {
        Ok(Owner::Sp(i)) => i,
        Ok(Owner::App(_)) => return bad_request("not a service principal"),
        Err(r) => return r,
    };
    let body = SpJson {
        sp: &st.snap.service_principals[index],
        sel,
        with_keys: sel.explicit.then_some(&*st),
    };
    let mut v = serde_json::to_value(&body).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "@odata.context".into(),
            format!(
                "{}/$entity",
                context(&req.base, version, "servicePrincipals", select_raw)
            )
            .into(),
        );
    }
    Resp::json_value(200, &v)
}
