//! Azure Resource Manager at the root of the emulator: subscriptions, user-assigned managed
//! identities and their FICs (`Microsoft.ManagedIdentity`), role assignments and definitions
//! (`Microsoft.Authorization`), the system-assigned identity of a resource, and Resource Graph.
//! Every request needs `api-version`; reads carry `x-ms-ratelimit-remaining-*`; errors have
//! ARM's `{"error":{"code","message"}}` shape (reference §2.4–§2.7, §3.3, §3.4).

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use credwise::domain::objects::arm_segment;
use credwise::domain::{
    FederatedIdentityCredential, RoleAssignment, ServicePrincipal, ServicePrincipalType,
    UserAssignedIdentity,
};

use super::Inner;
use super::state::{FOREIGN_TENANT, MICROSOFT_SERVICES_TENANT, State};
use super::throttle::{MsiOp, hms, retry_after_whole};
use super::wire::{ARM_JSON, Req, Resp, arm_fail, is_guid, new_guid};

/// At most 20 FICs per user-assigned identity (reference §1.8).
pub const FIC_LIMIT: usize = 20;
const UAMI_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
const FIC_TYPE: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
const ROLE_ASSIGNMENT_TYPE: &str = "Microsoft.Authorization/roleAssignments";

/// Built-in roles the emulator can name (`roleDefinitions/{id}`), besides the names the
/// snapshot's role assignments carry.
const BUILT_IN_ROLES: &[(&str, &str)] = &[
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader"),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
    ),
    (
        "f1a07417-d97a-45cb-824c-7a7467783830",
        "Managed Identity Operator",
    ),
    (
        "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
        "Managed Identity Contributor",
    ),
    (
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "Storage Blob Data Contributor",
    ),
    (
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "Storage Blob Data Reader",
    ),
    (
        "4633458b-17de-408a-b874-0445c86b69e6",
        "Key Vault Secrets User",
    ),
    ("7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull"),
    (
        "de139f84-1756-47ae-9be6-808fbbe84772",
        "Website Contributor",
    ),
    (
        "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
        "Azure Service Bus Data Sender",
    ),
    (
        "3913510d-42f4-4e42-8a64-420c390055eb",
        "Monitoring Metrics Publisher",
    ),
];

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn json_resp(status: u16, v: &Value) -> Resp {
    let mut r = Resp::json_value(status, v);
    r.headers = vec![("content-type".into(), ARM_JSON.into())];
    r
}

fn not_found(what: &str) -> Resp {
    arm_fail(
        404,
        "ResourceNotFound",
        &format!("The resource '{what}' was not found."),
    )
}

fn bad(code: &str, message: &str) -> Resp {
    arm_fail(400, code, message)
}

fn method_not_allowed(req: &Req) -> Resp {
    arm_fail(
        405,
        "MethodNotAllowed",
        &format!(
            "The method '{}' is not allowed on '{}'.",
            req.method, req.path
        ),
    )
}

/// The lower-cased UAMI id of a FIC write (`PUT`/`DELETE …/federatedIdentityCredentials/{name}`),
/// which holds that identity's write flag for the length of the request.
pub fn fic_write_key(req: &Req) -> Option<String> {
    if req.method != "PUT" && req.method != "DELETE" {
        return None;
    }
    let lower = req.path.to_ascii_lowercase();
    let marker = "/federatedidentitycredentials/";
    let at = lower.find(marker)?;
    let parent = &lower[..at];
    let rest = &lower[at + marker.len()..];
    (parent.contains("/providers/microsoft.managedidentity/userassignedidentities/")
        && !rest.is_empty()
        && !rest.contains('/'))
    .then(|| parent.trim_end_matches('/').to_string())
}

/// 409 for the second of two concurrent FIC writes on one identity (reference §2.4).
pub fn concurrent_fic_write() -> Resp {
    arm_fail(
        409,
        "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
        "Too many Federated Identity Credentials are written concurrently for the managed identity. Write them one at a time.",
    )
}

/// The subscription a path is in, if any.
fn subscription_of(req: &Req) -> Option<String> {
    arm_segment(&req.path, "subscriptions").map(str::to_string)
}

/// 429 from ARM's token bucket (or an injected throttle fault).
pub fn throttled(req: &Req, retry_after: &str) -> Resp {
    let op = match req.method.as_str() {
        "GET" | "HEAD" => "read",
        "DELETE" => "delete",
        _ => "write",
    };
    let (code, message) = match subscription_of(req) {
        Some(sub) => (
            "SubscriptionRequestsThrottled",
            format!(
                "Number of '{op}' requests for subscription '{sub}' exceeded. Please try again after '{retry_after}' seconds after the last request."
            ),
        ),
        None => (
            "TenantRequestsThrottled",
            format!(
                "Number of '{op}' requests for the tenant exceeded. Please try again after '{retry_after}' seconds after the last request."
            ),
        ),
    };
    arm_fail(429, code, &message).with_header("retry-after", retry_after)
}

/// The whole ARM side: `api-version`, subscription checks, throttling, the route and the
/// remaining-quota headers.
pub fn serve(inner: &Inner, req: &Req) -> Resp {
    let api_version = match req.param("api-version") {
        Some(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => {
            return bad(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            );
        }
    };
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let sub = match segs.as_slice() {
        [first, sub, ..] if eq(first, "subscriptions") => Some(sub.to_string()),
        _ => None,
    };
    if let Some(sub) = &sub {
        let st = inner.read();
        match st.subscription(sub) {
            Some(s) if s.tenant_id != st.snap.tenant_id => {
                return arm_fail(
                    401,
                    "InvalidAuthenticationTokenTenant",
                    &format!(
                        "The access token is from the wrong issuer 'https://sts.windows.net/{}/'. It must match the tenant 'https://sts.windows.net/{FOREIGN_TENANT}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{FOREIGN_TENANT}' to get the token.",
                        st.snap.tenant_id
                    ),
                );
            }
            Some(_) => {}
            None => {
                return arm_fail(
                    404,
                    "SubscriptionNotFound",
                    &format!("The subscription '{sub}' could not be found."),
                );
            }
        }
    }
    let is_arg = matches!(segs.as_slice(), [p, ns, r] if eq(p, "providers") && eq(ns, "Microsoft.ResourceGraph") && eq(r, "resources"));
    // ARM's token bucket, per subscription (tenant-level calls share the "" bucket). Resource
    // Graph has its own quota instead.
    let (write, kind) = match req.method.as_str() {
        "GET" | "HEAD" => (false, "reads"),
        "DELETE" => (true, "deletes"),
        _ => (true, "writes"),
    };
    let scope = if sub.is_some() {
        "subscription"
    } else {
        "tenant"
    };
    let remaining = if is_arg {
        None
    } else {
        match &inner.throttles {
            Some(t) => match super::lock(t).arm(sub.as_deref().unwrap_or(""), kind) {
                Ok(n) => Some(n.to_string()),
                Err(wait) => {
                    return throttled(req, &retry_after_whole(wait))
                        .with_header(&format!("x-ms-ratelimit-remaining-{scope}-{kind}"), "0");
                }
            },
            None => Some(if write { "1199" } else { "11999" }.to_string()),
        }
    };
    // The managed-identity provider's own rates on user-assigned identity requests.
    if let (Some(op), Some(t)) = (msi_op(&segs, &req.method), &inner.throttles)
        && let Err(wait) = super::lock(t).msi(sub.as_deref().unwrap_or(""), op)
    {
        return throttled(req, &retry_after_whole(wait));
    }
    let resp = route(inner, req, &segs, &api_version);
    match remaining {
        Some(n) => resp.with_header(&format!("x-ms-ratelimit-remaining-{scope}-{kind}"), n),
        None => resp,
    }
}

/// Which user-assigned identity operation a request is, for the provider's rates: a list of
/// a subscription's or a resource group's identities, or one identity read, written or
/// deleted (not its federated credentials).
fn msi_op(segs: &[&str], method: &str) -> Option<MsiOp> {
    let at = segs.iter().position(|s| eq(s, "userAssignedIdentities"))?;
    let provider = at.checked_sub(1).map(|i| segs[i])?;
    if !eq(provider, "Microsoft.ManagedIdentity") {
        return None;
    }
    match (segs.len() - at, method) {
        (1, "GET") => Some(MsiOp::List),
        (2, "GET") => Some(MsiOp::Get),
        (2, _) => Some(MsiOp::Write),
        _ => None,
    }
}

fn route(inner: &Inner, req: &Req, segs: &[&str], api_version: &str) -> Resp {
    // Role assignments and definitions can hang under any scope (even a UAMI), so they are
    // recognised first, by the last `providers/Microsoft.Authorization` in the path.
    if let Some(p) = (0..segs.len().saturating_sub(2))
        .rev()
        .find(|&p| eq(segs[p], "providers") && eq(segs[p + 1], "Microsoft.Authorization"))
    {
        let scope = format!("/{}", segs[..p].join("/"));
        let tail = &segs[p + 2..];
        return match tail {
            [t] if eq(t, "roleAssignments") => match req.method.as_str() {
                "GET" => list_role_assignments(inner, req, &scope, api_version),
                _ => method_not_allowed(req),
            },
            [t, name] if eq(t, "roleAssignments") => match req.method.as_str() {
                "GET" => get_role_assignment(inner, &scope, name, api_version),
                "PUT" => put_role_assignment(inner, req, &scope, name, api_version),
                "DELETE" => delete_role_assignment(inner, &scope, name, api_version),
                _ => method_not_allowed(req),
            },
            [t, name] if eq(t, "roleDefinitions") && req.method == "GET" => {
                get_role_definition(inner, &scope, name)
            }
            _ => unknown_path(req),
        };
    }
    match segs {
        [s] if eq(s, "subscriptions") && req.method == "GET" => list_subscriptions(inner, req),
        [s, sub] if eq(s, "subscriptions") && req.method == "GET" => {
            let st = inner.read();
            match st.subscription(sub) {
                Some(x) => json_resp(200, &subscription_json(x)),
                None => not_found(sub),
            }
        }
        [p, ns, r]
            if eq(p, "providers") && eq(ns, "Microsoft.ResourceGraph") && eq(r, "resources") =>
        {
            match req.method.as_str() {
                "POST" => resource_graph(inner, req),
                _ => method_not_allowed(req),
            }
        }
        [s, sub, p, ns, t]
            if eq(s, "subscriptions")
                && eq(p, "providers")
                && eq(ns, "Microsoft.ManagedIdentity")
                && eq(t, "userAssignedIdentities") =>
        {
            match req.method.as_str() {
                "GET" => list_uamis(inner, req, sub, None, api_version),
                _ => method_not_allowed(req),
            }
        }
        [s, sub, g, rg, p, ns, t, rest @ ..]
            if eq(s, "subscriptions")
                && eq(g, "resourceGroups")
                && eq(p, "providers")
                && eq(ns, "Microsoft.ManagedIdentity")
                && eq(t, "userAssignedIdentities") =>
        {
            uami_route(inner, req, sub, rg, rest, api_version)
        }
        [.., p, ns, i, d]
            if eq(p, "providers")
                && eq(ns, "Microsoft.ManagedIdentity")
                && eq(i, "identities")
                && eq(d, "default")
                && req.method == "GET" =>
        {
            let scope = format!("/{}", segs[..segs.len() - 4].join("/"));
            system_assigned_identity(inner, &scope)
        }
        _ => unknown_path(req),
    }
}

fn unknown_path(req: &Req) -> Resp {
    arm_fail(
        404,
        "NotFound",
        &format!(
            "The request path '{}' is not served by the credwise emulator.",
            req.path
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Paging.

/// Indexes of the next page of `len` items matching `hit`, starting at `start`, and where the
/// page after it starts (the next match, found by scanning on, so a full listing scans every
/// item once and the last page has no nextLink).
fn scan_page(
    len: usize,
    start: usize,
    top: usize,
    hit: impl Fn(usize) -> bool,
) -> (Vec<usize>, Option<usize>) {
    let mut page = Vec::new();
    let mut i = start;
    while i < len && page.len() < top {
        if hit(i) {
            page.push(i);
        }
        i += 1;
    }
    let next = (i..len).find(|&j| hit(j));
    (page, next)
}

fn arm_next_link(req: &Req, token: &str) -> String {
    let kept = req.raw_query_without(&["$skiptoken"]);
    let sep = if kept.is_empty() { "" } else { "&" };
    format!("{}{}?{kept}{sep}$skiptoken={token}", req.base, req.raw_path)
}

/// The start of this page, from `$skiptoken` (or `$skipToken`).
fn page_start(inner: &Inner, req: &Req, kind: &str) -> Result<usize, Resp> {
    match req.param("$skiptoken") {
        None => Ok(0),
        Some(t) => inner
            .tokens
            .redeem(kind, t)
            .ok_or_else(|| bad("InvalidSkipToken", "The $skiptoken is invalid.")),
    }
}

fn page_json(inner: &Inner, req: &Req, kind: &str, value: Vec<Value>, next: Option<usize>) -> Resp {
    let mut o = Map::new();
    o.insert("value".into(), Value::Array(value));
    if let Some(n) = next {
        o.insert(
            "nextLink".into(),
            arm_next_link(req, &inner.tokens.issue(kind, n)).into(),
        );
    }
    json_resp(200, &Value::Object(o))
}

// ---------------------------------------------------------------------------------------------
// Subscriptions.

fn subscription_json(s: &super::state::Subscription) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.id,
        "tenantId": s.tenant_id,
        "displayName": s.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    })
}

fn list_subscriptions(inner: &Inner, req: &Req) -> Resp {
    let kind = "subscriptions";
    let start = match page_start(inner, req, kind) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let st = inner.read();
    let subs = &st.subscriptions;
    let (page, next) = scan_page(subs.len(), start, inner.options.arm_page.max(1), |_| true);
    let value = page.iter().map(|&i| subscription_json(&subs[i])).collect();
    page_json(inner, req, kind, value, next)
}

// ---------------------------------------------------------------------------------------------
// User-assigned managed identities.

fn uami_arm_id(sub: &str, rg: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourcegroups/{rg}/providers/{UAMI_TYPE}/{name}")
}

fn uami_json(u: &UserAssignedIdentity, api_version: &str) -> Value {
    let mut props = json!({
        "tenantId": u.tenant_id,
        "principalId": u.principal_id,
        "clientId": u.client_id,
    });
    // `isolationScope` arrived with 2024-11-30.
    if api_version >= "2024-11-30"
        && let Some(o) = props.as_object_mut()
    {
        o.insert("isolationScope".into(), "None".into());
    }
    json!({
        "id": u.id,
        "name": u.name,
        "type": UAMI_TYPE,
        "location": u.location,
        "tags": u.tags,
        "properties": props,
    })
}

fn list_uamis(inner: &Inner, req: &Req, sub: &str, rg: Option<&str>, api_version: &str) -> Resp {
    let kind = format!(
        "uami:{}:{}",
        sub.to_ascii_lowercase(),
        rg.unwrap_or("").to_ascii_lowercase()
    );
    let start = match page_start(inner, req, &kind) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let st = inner.read();
    let list = &st.snap.user_assigned_identities;
    let hit = |i: usize| {
        let u = &list[i];
        u.subscription_id().is_some_and(|s| eq(s, sub))
            && rg.is_none_or(|rg| u.resource_group().is_some_and(|g| eq(g, rg)))
    };
    let (page, next) = scan_page(list.len(), start, inner.options.arm_page.max(1), hit);
    let value = page
        .iter()
        .map(|&i| uami_json(&list[i], api_version))
        .collect();
    page_json(inner, req, &kind, value, next)
}

fn uami_name_is_valid(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=128).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

fn uami_route(
    inner: &Inner,
    req: &Req,
    sub: &str,
    rg: &str,
    rest: &[&str],
    api_version: &str,
) -> Resp {
    match rest {
        [] => match req.method.as_str() {
            "GET" => list_uamis(inner, req, sub, Some(rg), api_version),
            _ => method_not_allowed(req),
        },
        [name] => {
            let id = uami_arm_id(sub, rg, name);
            match req.method.as_str() {
                "GET" => match inner.read().uami(&id) {
                    Some(u) => json_resp(200, &uami_json(u, api_version)),
                    None => not_found(&format!("{UAMI_TYPE}/{name}")),
                },
                "PUT" => put_uami(inner, req, sub, rg, name, api_version),
                "PATCH" => patch_uami(inner, req, &id, api_version),
                "DELETE" => delete_uami(inner, &id),
                _ => method_not_allowed(req),
            }
        }
        [name, f] if eq(f, "federatedIdentityCredentials") => match req.method.as_str() {
            "GET" => list_uami_fics(inner, req, &uami_arm_id(sub, rg, name), api_version),
            _ => method_not_allowed(req),
        },
        [name, f, fic] if eq(f, "federatedIdentityCredentials") => {
            let id = uami_arm_id(sub, rg, name);
            match req.method.as_str() {
                "GET" => get_uami_fic(inner, &id, fic, api_version),
                "PUT" => put_uami_fic(inner, req, &id, fic, api_version),
                "DELETE" => delete_uami_fic(inner, &id, fic),
                _ => method_not_allowed(req),
            }
        }
        _ => unknown_path(req),
    }
}

fn tags_of(v: Option<&Value>) -> Result<BTreeMap<String, String>, Resp> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(bad(
                    "InvalidRequestContent",
                    &format!("The value of tag '{k}' must be a string."),
                )),
            })
            .collect(),
        Some(_) => Err(bad("InvalidRequestContent", "'tags' must be an object.")),
    }
}

/// `PUT …/userAssignedIdentities/{name}`: 201 with new ids (and the identity's
/// `ManagedIdentity` service principal in Graph), or 200 when it existed (tags replaced).
fn put_uami(inner: &Inner, req: &Req, sub: &str, rg: &str, name: &str, api_version: &str) -> Resp {
    if !uami_name_is_valid(name) {
        return bad(
            "InvalidResourceName",
            &format!(
                "Resource name '{name}' is invalid. It must be 3-128 characters of letters, digits, '-' and '_', starting with a letter or digit."
            ),
        );
    }
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return bad("InvalidRequestContent", &m),
    };
    let Some(location) = body
        .get("location")
        .and_then(Value::as_str)
        .filter(|l| !l.trim().is_empty())
    else {
        return bad(
            "LocationRequired",
            "The location property is required for this definition.",
        );
    };
    let tags = match tags_of(body.get("tags")) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let id = uami_arm_id(sub, rg, name);
    let mut st = inner.write();
    if let Some(i) = st.uami_index(&id) {
        let u = &mut st.snap.user_assigned_identities[i];
        if let Some(old) = &u.location
            && !eq(old, location)
        {
            return bad(
                "InvalidResourceLocation",
                &format!(
                    "The resource '{name}' already exists in location '{old}' in resource group '{rg}'. A resource with the same name cannot be created in location '{location}'."
                ),
            );
        }
        u.tags = tags;
        return json_resp(200, &uami_json(u, api_version));
    }
    let u = UserAssignedIdentity {
        id: id.clone(),
        name: name.to_string(),
        location: Some(location.to_string()),
        principal_id: new_guid(),
        client_id: new_guid(),
        tenant_id: Some(st.snap.tenant_id.clone()),
        tags,
        federated_identity_credentials: vec![],
    };
    st.add_sp(ServicePrincipal {
        id: u.principal_id.clone(),
        app_id: u.client_id.clone(),
        display_name: name.to_string(),
        service_principal_type: ServicePrincipalType::ManagedIdentity,
        alternative_names: vec!["isExplicit=True".into(), id.into()],
        account_enabled: Some(true),
        app_owner_organization_id: Some(MICROSOFT_SERVICES_TENANT.into()),
        password_credentials: vec![],
        key_credentials: vec![],
        tags: vec![],
        odata_type: None,
    });
    let body = uami_json(&u, api_version);
    st.add_uami(u);
    json_resp(201, &body)
}

fn patch_uami(inner: &Inner, req: &Req, id: &str, api_version: &str) -> Resp {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return bad("InvalidRequestContent", &m),
    };
    let mut st = inner.write();
    let Some(i) = st.uami_index(id) else {
        return not_found(id);
    };
    if body.get("tags").is_some() {
        match tags_of(body.get("tags")) {
            Ok(t) => st.snap.user_assigned_identities[i].tags = t,
            Err(r) => return r,
        }
    }
    json_resp(
        200,
        &uami_json(&st.snap.user_assigned_identities[i], api_version),
    )
}

/// `DELETE`: 200 deleted (with its service principal), 204 when it did not exist. Role
/// assignments stay behind, as in Azure (they show as "Identity not found").
fn delete_uami(inner: &Inner, id: &str) -> Resp {
    let mut st = inner.write();
    match st.remove_uami(id) {
        Some(u) => {
            st.remove_sp(&u.principal_id);
            Resp::empty(200)
        }
        None => Resp::empty(204),
    }
}

/// The date part of an api-version (`2025-01-31` of `2025-01-31-preview`), for comparisons.
fn api_date(api_version: &str) -> &str {
    api_version.get(..10).unwrap_or(api_version)
}

/// Whether a `Microsoft.ManagedIdentity` api-version's FIC schema has
/// `claimsMatchingExpression`: only the previews from 2025-01-31-preview on. The stable
/// 2023-01-31 and 2024-11-30 schemas require `subject` and have no expression (their
/// `ManagedIdentity.json`); `az identity federated-credential` moved to 2025-01-31-preview
/// for it (Azure/azure-cli#31436).
pub fn fic_schema_has_expression(api_version: &str) -> bool {
    api_version.ends_with("-preview") && api_date(api_version) >= "2025-01-31"
}

/// A UAMI FIC as `api_version` shows it. A flexible FIC read at a version whose schema has no
/// `claimsMatchingExpression` comes back with neither a subject nor an expression: the
/// service's answer there is not documented, and leaving out what the schema does not know
/// is the best-sourced guess (ARM projects a resource per api-version, as the identity
/// blocks in Azure/azure-sdk-for-net#27044 show). **Unconfirmed.**
fn fic_arm_json(uami_id: &str, f: &FederatedIdentityCredential, api_version: &str) -> Value {
    let mut props = Map::new();
    props.insert("issuer".into(), f.issuer.clone().into());
    match &f.claims_matching_expression {
        Some(e) if fic_schema_has_expression(api_version) => {
            props.insert(
                "claimsMatchingExpression".into(),
                json!({ "languageVersion": 1, "value": e }),
            );
        }
        Some(_) => {}
        None => {
            props.insert("subject".into(), f.subject.clone().into());
        }
    }
    props.insert("audiences".into(), json!(f.audiences));
    json!({
        "id": format!("{uami_id}/federatedIdentityCredentials/{}", f.name),
        "name": f.name,
        "type": FIC_TYPE,
        "properties": Value::Object(props),
    })
}

fn parent_missing() -> Resp {
    arm_fail(
        404,
        "ParentResourceNotFound",
        "The parent user-assigned identity doesn't exist.",
    )
}

fn list_uami_fics(inner: &Inner, req: &Req, id: &str, api_version: &str) -> Resp {
    let kind = format!("uamific:{}", id.to_ascii_lowercase());
    let start = match page_start(inner, req, &kind) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let top = match req.param("$top") {
        None => inner.options.arm_page.max(1),
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return bad("InvalidParameter", &format!("Invalid $top value '{t}'.")),
        },
    };
    let st = inner.read();
    let Some(u) = st.uami(id) else {
        return parent_missing();
    };
    let fics = &u.federated_identity_credentials;
    let (page, next) = scan_page(fics.len(), start, top, |_| true);
    let value = page
        .iter()
        .map(|&i| fic_arm_json(&u.id, &fics[i], api_version))
        .collect();
    page_json(inner, req, &kind, value, next)
}

fn get_uami_fic(inner: &Inner, id: &str, name: &str, api_version: &str) -> Resp {
    let st = inner.read();
    let Some(u) = st.uami(id) else {
        return parent_missing();
    };
    match u
        .federated_identity_credentials
        .iter()
        .find(|f| eq(&f.name, name))
    {
        Some(f) => json_resp(200, &fic_arm_json(&u.id, f, api_version)),
        None => not_found(&format!("{FIC_TYPE}/{name}")),
    }
}

fn fic_name_is_valid(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=120).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// `PUT …/federatedIdentityCredentials/{name}` with the documented validations (reference
/// §2.4): 201 created, 200 replaced.
fn put_uami_fic(inner: &Inner, req: &Req, id: &str, name: &str, api_version: &str) -> Resp {
    if inner.read().uami(id).is_none() {
        return parent_missing();
    }
    if !fic_name_is_valid(name) {
        return bad(
            "BadRequest",
            &format!("Federated Identity Credential name '{name}' is invalid."),
        );
    }
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return bad("InvalidRequestContent", &m),
    };
    let props = match body.get("properties").and_then(Value::as_object) {
        Some(p) if !p.is_empty() => p,
        _ => {
            return bad(
                "BadRequest",
                "The federated identity credential request has empty properties.",
            );
        }
    };
    let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(issuer) = text("issuer").filter(|s| !s.trim().is_empty()) else {
        return bad(
            "BadRequest",
            "The issuer of a federated identity credential is required.",
        );
    };
    // Flexible FICs (`claimsMatchingExpression`) exist only in the 2025-01-31 preview and
    // later; a stable version's schema does not know the property, and its `subject` is
    // required.
    let expression = if fic_schema_has_expression(api_version) {
        match props.get("claimsMatchingExpression") {
            None | Some(Value::Null) => None,
            Some(e) => {
                // Both are required in the preview's `ClaimsMatchingExpression`.
                let value = e.get("value").and_then(Value::as_str);
                let version = e.get("languageVersion").and_then(Value::as_i64);
                match (value, version) {
                    (Some(v), Some(_)) if !v.trim().is_empty() => Some(v.to_string()),
                    _ => {
                        return bad(
                            "BadRequest",
                            "claimsMatchingExpression needs a value and a languageVersion.",
                        );
                    }
                }
            }
        }
    } else {
        None
    };
    let subject = text("subject").filter(|s| !s.is_empty());
    match (&subject, &expression) {
        (Some(_), Some(_)) => {
            return bad(
                "BadRequest",
                "Either 'subject' or 'claimsMatchingExpression' must be defined, but not both.",
            );
        }
        (None, None) if fic_schema_has_expression(api_version) => {
            return bad(
                "BadRequest",
                "Either 'subject' or 'claimsMatchingExpression' must be defined, but not both.",
            );
        }
        (None, None) => {
            return bad(
                "BadRequest",
                "The subject of a federated identity credential is required.",
            );
        }
        _ => {}
    }
    let audiences: Vec<String> = match props.get("audiences").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => vec![],
    };
    if audiences.len() != 1 {
        return bad(
            "BadRequest",
            "A federated identity credential must have exactly one audience.",
        );
    }
    if issuer.len() > 600 || subject.as_ref().is_some_and(|s| s.len() > 600) {
        return bad(
            "BadRequest",
            "The issuer and subject of a federated identity credential are at most 600 characters.",
        );
    }
    let fic = FederatedIdentityCredential {
        id: None,
        name: name.to_string(),
        issuer,
        subject,
        claims_matching_expression: expression,
        audiences,
        description: None,
    };
    let mut st = inner.write();
    let Some(i) = st.uami_index(id) else {
        return parent_missing();
    };
    let u = &mut st.snap.user_assigned_identities[i];
    let existing = u
        .federated_identity_credentials
        .iter()
        .position(|f| eq(&f.name, name));
    let clash = u
        .federated_identity_credentials
        .iter()
        .enumerate()
        .any(|(k, f)| {
            Some(k) != existing
                && f.issuer == fic.issuer
                && f.subject == fic.subject
                && f.claims_matching_expression == fic.claims_matching_expression
        });
    if clash {
        return bad(
            "BadRequest",
            "Issuer and subject combination already exists for this Managed Identity.",
        );
    }
    match existing {
        Some(k) => {
            u.federated_identity_credentials[k] = fic;
            json_resp(
                200,
                &fic_arm_json(&u.id, &u.federated_identity_credentials[k], api_version),
            )
        }
        None => {
            if u.federated_identity_credentials.len() >= FIC_LIMIT {
                return bad(
                    "BadRequest",
                    &format!(
                        "A user-assigned managed identity can have at most {FIC_LIMIT} federated identity credentials."
                    ),
                );
            }
            let body = fic_arm_json(&u.id, &fic, api_version);
            u.federated_identity_credentials.push(fic);
            json_resp(201, &body)
        }
    }
}

fn delete_uami_fic(inner: &Inner, id: &str, name: &str) -> Resp {
    let mut st = inner.write();
    let Some(i) = st.uami_index(id) else {
        return parent_missing();
    };
    let list = &mut st.snap.user_assigned_identities[i].federated_identity_credentials;
    match list.iter().position(|f| eq(&f.name, name)) {
        Some(k) => {
            list.remove(k);
            Resp::empty(200)
        }
        None => Resp::empty(204),
    }
}

/// `GET /{resource}/providers/Microsoft.ManagedIdentity/identities/default`.
fn system_assigned_identity(inner: &Inner, scope: &str) -> Resp {
    let st = inner.read();
    let Some(r) = st.snap.resources.iter().find(|r| eq(&r.id, scope)) else {
        return not_found(scope);
    };
    let Some(principal_id) = r.identity.principal_id.as_deref().filter(|_| {
        r.identity
            .identity_type
            .to_ascii_lowercase()
            .contains("systemassigned")
    }) else {
        return not_found(&format!(
            "{scope}/providers/Microsoft.ManagedIdentity/identities/default"
        ));
    };
    let client_id = st.sp_by_object_id(principal_id).map(|sp| sp.app_id.clone());
    json_resp(
        200,
        &json!({
            "id": format!("{scope}/providers/Microsoft.ManagedIdentity/identities/default"),
            "name": "default",
            "type": "Microsoft.ManagedIdentity/identities",
            "location": r.location,
            "properties": {
                "tenantId": st.snap.tenant_id,
                "principalId": principal_id,
                "clientId": client_id,
            }
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Role assignments.

/// `scope` is `other` or an ancestor of it (ARM ids compare case-insensitively).
fn at_or_above(scope: &str, other: &str) -> bool {
    let s = scope.trim_end_matches('/').to_ascii_lowercase();
    let o = other.trim_end_matches('/').to_ascii_lowercase();
    s.is_empty() || o == s || o.starts_with(&format!("{s}/"))
}

/// Which role assignment properties an `Microsoft.Authorization` api-version knows:
/// `condition`/`conditionVersion` arrived with 2020-03-01-preview and `description` with
/// 2020-04-01-preview (Azure RBAC "Add or edit role assignment conditions using the REST
/// API": prerequisites), `delegatedManagedIdentityResourceId` with 2019-04-01-preview (Azure
/// Lighthouse "Deploy a policy that can be remediated"). 2022-04-01 has them all
/// (`RoleAssignmentProperties` in its `authorization-RoleAssignmentsCalls.json`).
#[derive(Clone, Copy)]
struct RaSchema {
    condition: bool,
    description: bool,
    delegated: bool,
}

fn ra_schema(api_version: &str) -> RaSchema {
    let d = api_date(api_version);
    RaSchema {
        condition: d >= "2020-03-01",
        description: d >= "2020-04-01",
        delegated: d >= "2019-04-01",
    }
}

/// The largest condition ("A condition can be up to 8 KB long") and description ("up to 2
/// KB") ARM takes (Azure RBAC conditions FAQ).
const CONDITION_LIMIT: usize = 8 * 1024;
const DESCRIPTION_LIMIT: usize = 2 * 1024;

/// A role assignment as ARM writes it at `api_version`: every property of the version's
/// schema, `null` where unset, as the 2022-04-01 answers recorded in Azure CLI's
/// `test_role_assignment_create_update.yaml` show.
fn role_assignment_json(st: &State, ra: &RoleAssignment, api_version: &str) -> Value {
    let name = ra.id.rsplit('/').next().unwrap_or("");
    let schema = ra_schema(api_version);
    let (created_on, updated_on) = st.role_assignment_time(&ra.id);
    let mut p = Map::new();
    p.insert(
        "roleDefinitionId".into(),
        ra.role_definition_id.as_str().into(),
    );
    p.insert("principalId".into(), ra.principal_id.clone().into());
    p.insert("principalType".into(), json!(ra.principal_type));
    p.insert("scope".into(), ra.scope.as_str().into());
    if schema.condition {
        p.insert("condition".into(), json!(ra.condition));
        p.insert(
            "conditionVersion".into(),
            json!(ra.effective_condition_version()),
        );
    }
    p.insert("createdOn".into(), created_on.into());
    p.insert("updatedOn".into(), updated_on.into());
    p.insert("createdBy".into(), Value::Null);
    p.insert("updatedBy".into(), Value::Null);
    if schema.delegated {
        p.insert(
            "delegatedManagedIdentityResourceId".into(),
            json!(ra.delegated_managed_identity_resource_id),
        );
    }
    if schema.description {
        p.insert("description".into(), json!(ra.description));
    }
    json!({
        "properties": Value::Object(p),
        "id": ra.id,
        "type": ROLE_ASSIGNMENT_TYPE,
        "name": name,
    })
}

enum RaFilter {
    All,
    AtScope,
    Principal(String),
}

fn parse_ra_filter(filter: Option<&str>) -> Result<RaFilter, Resp> {
    let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(RaFilter::All);
    };
    if f.eq_ignore_ascii_case("atScope()") {
        return Ok(RaFilter::AtScope);
    }
    let words: Vec<&str> = f.split_whitespace().collect();
    if let [prop, op, value] = words.as_slice()
        && eq(prop, "principalId")
        && eq(op, "eq")
    {
        let v = value.trim_matches('\'');
        if is_guid(v) {
            return Ok(RaFilter::Principal(v.to_string()));
        }
    }
    Err(bad(
        "UnsupportedQuery",
        &format!(
            "The filter '{f}' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{{value}}''."
        ),
    ))
}

/// At, above or below `scope` for a principal filter (and for no filter); at or above for
/// `atScope()` (reference §2.6).
fn list_role_assignments(inner: &Inner, req: &Req, scope: &str, api_version: &str) -> Resp {
    let filter = match parse_ra_filter(req.param("$filter")) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let kind = format!(
        "ra:{}:{}",
        scope.to_ascii_lowercase(),
        req.param("$filter").unwrap_or("").to_ascii_lowercase()
    );
    let start = match page_start(inner, req, &kind) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let st = inner.read();
    let list = &st.snap.role_assignments;
    let hit = |i: usize| {
        let ra = &list[i];
        let above = at_or_above(&ra.scope, scope);
        let below = at_or_above(scope, &ra.scope);
        match &filter {
            RaFilter::All => above || below,
            RaFilter::AtScope => above,
            RaFilter::Principal(p) => eq(&ra.principal_id, p) && (above || below),
        }
    };
    let (page, next) = scan_page(list.len(), start, inner.options.arm_page.max(1), hit);
    let value = page
        .iter()
        .map(|&i| role_assignment_json(&st, &list[i], api_version))
        .collect();
    page_json(inner, req, &kind, value, next)
}

fn role_assignment_id(scope: &str, name: &str) -> String {
    let scope = scope.trim_end_matches('/');
    format!("{scope}/providers/{ROLE_ASSIGNMENT_TYPE}/{name}")
}

fn get_role_assignment(inner: &Inner, scope: &str, name: &str, api_version: &str) -> Resp {
    let id = role_assignment_id(scope, name);
    let st = inner.read();
    match st.snap.role_assignments.iter().find(|r| eq(&r.id, &id)) {
        Some(ra) => json_resp(200, &role_assignment_json(&st, ra, api_version)),
        None => arm_fail(
            404,
            "RoleAssignmentNotFound",
            &format!("The role assignment '{name}' is not found."),
        ),
    }
}

fn role_name(st: &State, role_definition_id: &str) -> Option<String> {
    let guid = role_definition_id.rsplit('/').next()?;
    BUILT_IN_ROLES
        .iter()
        .find(|(id, _)| eq(id, guid))
        .map(|(_, n)| n.to_string())
        .or_else(|| {
            st.snap
                .role_assignments
                .iter()
                .find(|r| {
                    r.role_definition_id
                        .rsplit('/')
                        .next()
                        .is_some_and(|g| eq(g, guid))
                        && r.role_definition_name.is_some()
                })
                .and_then(|r| r.role_definition_name.as_deref().map(String::from))
        })
}

fn same_role(a: &str, b: &str) -> bool {
    match (a.rsplit('/').next(), b.rsplit('/').next()) {
        (Some(x), Some(y)) => eq(x, y),
        _ => false,
    }
}

/// The condition, condition version and description of a role assignment `PUT`, as ARM
/// takes them at `schema`'s version. A condition without a version gets 2.0 ("If
/// `condition` is specified without `conditionVersion`, the version is set to the default
/// value of 2.0"); any other version is refused with "The given role assignment condition is
/// invalid." (Azure RBAC conditions troubleshooting; MicrosoftDocs/azure-docs#119449 for
/// version 1.0 — the error *code* is not published: **unconfirmed**); an empty condition is
/// no condition (that is how one is deleted). A version without a condition is dropped
/// (**unconfirmed**). An api-version before conditions existed does not know the
/// properties: they are ignored, not refused (**unconfirmed**; the client's read-back of the
/// `PUT` answer guards against exactly this).
#[allow(clippy::type_complexity)]
fn condition_of(
    props: &Value,
    schema: RaSchema,
) -> Result<
    (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    Resp,
> {
    let text = |k: &str| -> Result<Option<String>, Resp> {
        match props.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(
                "InvalidRequestContent",
                &format!("The property '{k}' of a role assignment must be a string."),
            )),
        }
    };
    let (mut condition, mut version) = (None, None);
    if schema.condition {
        condition = text("condition")?;
        version = text("conditionVersion")?;
        match &condition {
            None => version = None,
            Some(c) => {
                let v = version.get_or_insert_with(|| "2.0".to_string());
                if v.trim() != "2.0" {
                    return Err(bad(
                        "InvalidRoleAssignmentCondition",
                        "The given role assignment condition is invalid.",
                    ));
                }
                if c.len() > CONDITION_LIMIT {
                    return Err(bad(
                        "InvalidRoleAssignmentCondition",
                        "The role assignment condition exceeds the maximum length of 8192 characters.",
                    ));
                }
            }
        }
    }
    let description = if schema.description {
        text("description")?
    } else {
        None
    };
    if description
        .as_ref()
        .is_some_and(|d| d.len() > DESCRIPTION_LIMIT)
    {
        return Err(bad(
            "InvalidRoleAssignmentDescription",
            "The role assignment description exceeds the maximum length of 2048 characters.",
        ));
    }
    let delegated = if schema.delegated {
        text("delegatedManagedIdentityResourceId")?
    } else {
        None
    };
    Ok((condition, version, description, delegated))
}

/// `PUT /{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`: 201; 409
/// `RoleAssignmentExists` for the same principal, role and scope under another name, with or
/// without a condition ("Is it possible to create a role assignment with and without a
/// condition, but using the same tuple of security principal, role definition, and scope?
/// No", Azure RBAC conditions FAQ); the same name again updates the condition, its version
/// and the description, the only editable properties (Azure RBAC conditions REST docs); a
/// principal that Graph does not know, named without a `principalType`, is
/// `PrincipalNotFound`.
fn put_role_assignment(
    inner: &Inner,
    req: &Req,
    scope: &str,
    name: &str,
    api_version: &str,
) -> Resp {
    if !is_guid(name) {
        return bad(
            "InvalidRoleAssignmentId",
            &format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        );
    }
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return bad("InvalidRequestContent", &m),
    };
    let props = body.get("properties").cloned().unwrap_or(Value::Null);
    let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(role_definition_id) = text("roleDefinitionId").filter(|r| !r.is_empty()) else {
        return bad(
            "InvalidRequestContent",
            "The request must have properties.roleDefinitionId.",
        );
    };
    let Some(principal_id) = text("principalId").filter(|p| is_guid(p)) else {
        return bad(
            "InvalidPrincipalId",
            "A valid principal ID must be provided for role assignment.",
        );
    };
    let (condition, condition_version, description, delegated) =
        match condition_of(&props, ra_schema(api_version)) {
            Ok(x) => x,
            Err(r) => return r,
        };
    let principal_type = text("principalType");
    let id = role_assignment_id(scope, name);
    let mut st = inner.write();
    // ARM looks the principal up in the directory unless the request says what type it is:
    // setting `principalType` is the documented way around `PrincipalNotFound` for a principal
    // that has not replicated yet (Azure RBAC troubleshooting, "Assigning a role to a new
    // principal sometimes fails"). Only service principals live in the emulated directory.
    if principal_type.is_none() && st.sp_by_object_id(&principal_id).is_none() {
        return bad(
            "PrincipalNotFound",
            &format!(
                "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                principal_id.replace('-', ""),
                st.snap.tenant_id
            ),
        );
    }
    let scope_norm = scope.trim_end_matches('/').to_string();
    let scope_norm = if scope_norm.is_empty() {
        "/".to_string()
    } else {
        scope_norm
    };
    let now = super::wire::date(time::OffsetDateTime::now_utc());
    if let Some(i) = st.snap.role_assignments.iter().position(|r| {
        eq(&r.principal_id, &principal_id)
            && same_role(&r.role_definition_id, &role_definition_id)
            && eq(
                r.scope.trim_end_matches('/'),
                scope_norm.trim_end_matches('/'),
            )
    }) {
        let existing_id = st.snap.role_assignments[i].id.clone();
        if eq(&existing_id, &id) {
            let created = st.role_assignment_time(&existing_id).0;
            st.role_assignment_times
                .insert(existing_id.to_ascii_lowercase(), (created, now));
            let ra = &mut st.snap.role_assignments[i];
            ra.condition = condition;
            ra.condition_version = condition_version;
            ra.description = description;
            let ra = ra.clone();
            return json_resp(200, &role_assignment_json(&st, &ra, api_version));
        }
        // ARM names the existing assignment by its GUID without dashes (as quoted from real
        // answers in public deployment logs).
        return arm_fail(
            409,
            "RoleAssignmentExists",
            &format!(
                "The role assignment already exists. The ID of the existing role assignment is {}.",
                existing_id
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .replace('-', "")
            ),
        );
    }
    if st.snap.role_assignments.iter().any(|r| eq(&r.id, &id)) {
        return arm_fail(
            409,
            "RoleAssignmentUpdateNotPermitted",
            "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
        );
    }
    let ra = RoleAssignment {
        id,
        principal_id,
        principal_type: principal_type.map(Into::into),
        role_definition_name: role_name(&st, &role_definition_id).map(Into::into),
        role_definition_id: role_definition_id.into(),
        scope: scope_norm.into(),
        condition,
        condition_version,
        description,
        delegated_managed_identity_resource_id: delegated,
    };
    st.role_assignment_times
        .insert(ra.id.to_ascii_lowercase(), (now.clone(), now));
    let body = role_assignment_json(&st, &ra, api_version);
    st.snap.role_assignments.push(ra);
    json_resp(201, &body)
}

fn delete_role_assignment(inner: &Inner, scope: &str, name: &str, api_version: &str) -> Resp {
    let id = role_assignment_id(scope, name);
    let mut st = inner.write();
    match st.snap.role_assignments.iter().position(|r| eq(&r.id, &id)) {
        Some(i) => {
            let body = role_assignment_json(&st, &st.snap.role_assignments[i], api_version);
            st.snap.role_assignments.remove(i);
            st.role_assignment_times.remove(&id.to_ascii_lowercase());
            json_resp(200, &body)
        }
        None => Resp::empty(204),
    }
}

fn get_role_definition(inner: &Inner, scope: &str, guid: &str) -> Resp {
    let st = inner.read();
    match role_name(&st, guid) {
        Some(n) => json_resp(
            200,
            &json!({
                "id": format!("{}/providers/Microsoft.Authorization/roleDefinitions/{guid}", scope.trim_end_matches('/')),
                "name": guid,
                "type": "Microsoft.Authorization/roleDefinitions",
                "properties": {
                    "roleName": n,
                    "type": "BuiltInRole",
                    "description": "",
                    "assignableScopes": ["/"],
                    "permissions": [],
                }
            }),
        ),
        None => arm_fail(
            404,
            "RoleDefinitionDoesNotExist",
            &format!("The specified role definition with ID '{guid}' does not exist."),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Resource Graph.

fn arg_error(status: u16, code: &str, detail: &str) -> Resp {
    let body = json!({
        "error": {
            "code": code,
            "message": "Please provide below info when asking for support: timestamp, correlationId.",
            "details": [{ "code": if status == 429 { "RateLimiting" } else { "InvalidQuery" }, "message": detail }]
        }
    });
    let mut r = json_resp(status, &body);
    r.status = status;
    r
}

/// `POST /providers/Microsoft.ResourceGraph/resources`: the one query credwise sends (any
/// query with `isnotempty(identity)`), over the snapshot's resources in the requested
/// subscriptions, paged by `$skipToken`, with the user-quota headers.
fn resource_graph(inner: &Inner, req: &Req) -> Resp {
    let (remaining, resets) = match &inner.throttles {
        Some(t) => match super::lock(t).arg() {
            Ok(x) => x,
            Err(wait) => {
                return arg_error(429, "RateLimiting", "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed.")
                    .with_header("retry-after", retry_after_whole(wait))
                    .with_header("x-ms-user-quota-remaining", "0")
                    .with_header("x-ms-user-quota-resets-after", hms(wait));
            }
        },
        None => (14, std::time::Duration::from_secs(5)),
    };
    let quota = |r: Resp| {
        r.with_header("x-ms-user-quota-remaining", remaining.to_string())
            .with_header("x-ms-user-quota-resets-after", hms(resets))
    };
    let body = match req.json_body() {
        Ok(b) => b,
        Err(m) => return quota(arg_error(400, "BadRequest", &m)),
    };
    let query = body.get("query").and_then(Value::as_str).unwrap_or("");
    if !query.to_ascii_lowercase().contains("isnotempty(identity)") {
        return quota(arg_error(
            400,
            "BadRequest",
            "Query is invalid. This emulator answers only the resources-with-identity query (isnotempty(identity)).",
        ));
    }
    let options = body.get("options").cloned().unwrap_or(Value::Null);
    if let Some(f) = options.get("resultFormat").and_then(Value::as_str)
        && !eq(f, "objectArray")
    {
        return quota(arg_error(
            400,
            "BadRequest",
            &format!("resultFormat '{f}' is not served by this emulator; use objectArray."),
        ));
    }
    let top = match options.get("$top") {
        None | Some(Value::Null) => 100,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=1000).contains(&n) => n as usize,
            _ => {
                return quota(arg_error(
                    400,
                    "BadRequest",
                    "The $top option must be between 1 and 1000.",
                ));
            }
        },
    };
    let skip = options.get("$skip").and_then(Value::as_u64).unwrap_or(0) as usize;
    let st = inner.read();
    let requested: Option<HashSet<String>> = body
        .get("subscriptions")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        });
    let mut subs_key: Vec<String> = requested.iter().flatten().cloned().collect();
    subs_key.sort();
    let kind = format!("arg:{}:{query}", subs_key.join(","));
    let start = match options.get("$skipToken").and_then(Value::as_str) {
        None => skip,
        Some(t) => match inner.tokens.redeem(&kind, t) {
            Some(p) => p,
            None => {
                return quota(arg_error(400, "BadRequest", "The $skipToken is invalid."));
            }
        },
    };
    let resources = &st.snap.resources;
    let hit = |i: usize| {
        let r = &resources[i];
        if eq(r.identity.identity_type.trim(), "None") || r.identity.identity_type.trim().is_empty()
        {
            return false;
        }
        let Some(sub) = arm_segment(&r.id, "subscriptions") else {
            return false;
        };
        match &requested {
            Some(set) => set.contains(&sub.to_ascii_lowercase()),
            None => st.is_own_subscription(sub),
        }
    };
    let total = (0..resources.len()).filter(|&i| hit(i)).count();
    // `$skip` counts matching rows; a skip token is a position in the scan.
    let start = if options.get("$skipToken").and_then(Value::as_str).is_some() {
        start
    } else {
        (0..resources.len())
            .filter(|&i| hit(i))
            .nth(start)
            .unwrap_or(resources.len())
    };
    let (page, next) = scan_page(resources.len(), start, top, hit);
    let mut data: Vec<Value> = page
        .iter()
        .map(|&i| {
            let r = &resources[i];
            let mut identity = Map::new();
            identity.insert("type".into(), r.identity.identity_type.as_str().into());
            if r.identity
                .identity_type
                .to_ascii_lowercase()
                .contains("systemassigned")
                && let Some(p) = &r.identity.principal_id
            {
                identity.insert("principalId".into(), p.clone().into());
                identity.insert("tenantId".into(), st.snap.tenant_id.clone().into());
            }
            if !r.identity.user_assigned_identities.is_empty() {
                let mut uas = Map::new();
                for ua in &r.identity.user_assigned_identities {
                    let v = match st.uami(ua) {
                        Some(u) => {
                            json!({ "principalId": u.principal_id, "clientId": u.client_id })
                        }
                        None => json!({}),
                    };
                    uas.insert(ua.clone(), v);
                }
                identity.insert("userAssignedIdentities".into(), Value::Object(uas));
            }
            json!({
                "id": r.id,
                "name": r.name,
                "type": r.resource_type.to_ascii_lowercase(),
                "location": r.location,
                "subscriptionId": arm_segment(&r.id, "subscriptions"),
                "identity": Value::Object(identity),
            })
        })
        .collect();
    // Raw rows (dynamic columns a test hands in) ride on the first page of a query whose
    // subscriptions hold them (by their `subscriptionId`, else their `id`): a query covers
    // only the subscriptions it names (A-arg `QueryRequest.subscriptions`).
    let raw: Vec<&Value> = st
        .raw_resource_rows
        .iter()
        .filter(|row| {
            let sub = row
                .get("subscriptionId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    row.get("id")
                        .and_then(Value::as_str)
                        .and_then(|id| arm_segment(id, "subscriptions"))
                        .map(str::to_string)
                });
            match (&requested, sub) {
                (Some(set), Some(sub)) => set.contains(&sub.to_ascii_lowercase()),
                (Some(_), None) => false,
                (None, _) => true,
            }
        })
        .collect();
    let first_page = options.get("$skipToken").and_then(Value::as_str).is_none() && skip == 0;
    if first_page {
        data.extend(raw.iter().map(|v| (*v).clone()));
    }
    let total = total + raw.len();
    let mut o = Map::new();
    o.insert("totalRecords".into(), total.into());
    o.insert("count".into(), data.len().into());
    o.insert("resultTruncated".into(), "false".into());
    o.insert("facets".into(), json!([]));
    if let Some(n) = next {
        o.insert("$skipToken".into(), inner.tokens.issue(&kind, n).into());
    }
    o.insert("data".into(), Value::Array(data));
    quota(json_resp(200, &Value::Object(o)))
}
