//! The catalogue of calls: every Microsoft Graph and Azure Resource Manager request a
//! `Change` and a `Check` make, and the read of one object's credentials that the lockout
//! rule asks for, as data — method, service root (Graph v1.0, Graph beta, ARM), path,
//! query options (`api-version`, `$select`), body fields, and why a read is made. A plan
//! prints it (`migration::plan`, rendered with the cloud's public hosts) and the live backend
//! sends it (on its own endpoints, e.g. `--graph-url`), so what a plan promises is what goes
//! out; `tests/calls_catalogue.rs` runs every kind through the live backend against the
//! emulator and compares what the emulator received with what this module printed.
//!
//! Each operation is one function with a typed result (`remove_password` → a read and a
//! write, `create_identity` → a read, a create, one PUT per federated credential and the
//! DELETE that takes it back), so the live backend takes its requests from here by name and
//! cannot send one the catalogue does not have. `change`, `check` and `credentials` list them
//! in the order they are sent.
//!
//! What the live backend adds, and only this: a request answered 429 (any method), 503 or
//! 504 (reads only), or not answered at all (the connection failed), is sent again after its
//! `Retry-After` or a backoff (`Request::sent_again_after`); a read whose answer cannot be
//! decoded (cut off) is read again; an ARM list follows its `nextLink`
//! (`Request::follows_next_link`). A request with `only_when` is sent only in that case.
//! The tenant crawl's lists and `$batch` reads are not here: they change nothing and the
//! plan does not print them (`backend::live::graph` documents them).
//!
//! Sources, one per operation, are named on each function (the Graph API reference pages in
//! microsoftgraph/microsoft-graph-docs-contrib, the ARM specifications in
//! Azure/azure-rest-api-specs, the Azure CLI).
//!
//! Pure: may import the domain's change, credential and object types, serde_json and time.

use serde_json::Value;

use super::change::{ApplyError, Change, Check, Target};
use super::credential::{FederatedIdentityCredential, KeyCredential, PasswordCredential};
use super::objects::{RoleAssignment, UserAssignedIdentity};
use super::snapshot::Cloud;

/// User-assigned identities themselves (get, create, delete).
pub const MSI_API: &str = "2024-11-30";
/// Their federated credentials, classic and flexible: the stable schemas require `subject`
/// and know no `claimsMatchingExpression`; the preview has both (`az identity
/// federated-credential` uses it since Azure/azure-cli#31436). One version for every FIC
/// call keeps a read and the undo it feeds in the same schema.
pub const MSI_FIC_API: &str = "2025-01-31-preview";
/// Role assignments with their ABAC conditions.
pub const AUTHORIZATION_API: &str = "2022-04-01";
/// An object's secrets and certificates (metadata; `key` stays null).
pub const CREDENTIALS_SELECT: &str = "id,passwordCredentials,keyCredentials";
/// An object's certificates with their `key`: Graph returns `key` only on a single-object
/// read that `$select`s `keyCredentials` (v1.0 resources/keycredential.md).
pub const KEYS_SELECT: &str = "keyCredentials";

/// The service root a request is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    GraphV1,
    /// Only where v1.0 cannot say it: federated credentials, which v1.0 cannot serialise
    /// when one is flexible, and creating a flexible one.
    GraphBeta,
    Arm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The kind of object a request reads or writes: the live backend names the permission or
/// role a 403 lacks by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Object {
    Application,
    ServicePrincipal,
    /// The identity or one of its federated credentials.
    UserAssignedIdentity,
    RoleAssignment,
}

/// The case in which a request marked `only_when` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// A presence check found no secret or certificate with that id: it may name a
    /// federated credential.
    NotASecretOrCertificate,
    /// ARM's answer to the role assignment's `PUT` is not the assignment.
    AnswerIsNotTheAssignment,
    /// ARM's answer does not carry the condition that was sent.
    ConditionNotKept,
    /// ARM refused one of a new identity's federated credentials.
    CredentialRefused,
}

impl When {
    pub fn words(self) -> &'static str {
        match self {
            When::NotASecretOrCertificate => {
                "when no secret or certificate has that id: it may name a federated credential"
            }
            When::AnswerIsNotTheAssignment => "when ARM's answer to the PUT is not the assignment",
            When::ConditionNotKept => {
                "when ARM did not keep the condition: the assignment is removed again and the step fails"
            }
            When::CredentialRefused => {
                "when ARM refuses a federated credential: the identity is deleted again (all or nothing) and the step fails"
            }
        }
    }
}

/// Why the catalogue has no request for a change or check: it cannot be made on that
/// object. The live backend sends nothing and fails with this (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Rejected(#[from] ApplyError),
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub api: Api,
    pub object: Object,
    /// The path below the service root, one segment each, as they are (the live backend
    /// percent-encodes each, so an id can never add a segment or a query).
    pub path: Vec<String>,
    /// Query options in the order sent.
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Body>,
    /// For a read a change makes before it writes: what it reads, and what for.
    pub read_for: Option<&'static str>,
    pub only_when: Option<When>,
    /// Said after the body ("the new value is shown once, never stored").
    pub note: Option<&'static str>,
    /// An ARM list: the live backend follows its `nextLink` to the last page.
    pub follows_next_link: bool,
}

impl Request {
    fn new(method: Method, api: Api, object: Object, path: Vec<String>) -> Self {
        Self {
            method,
            api,
            object,
            path,
            query: Vec::new(),
            body: None,
            read_for: None,
            only_when: None,
            note: None,
            follows_next_link: false,
        }
    }

    fn query(mut self, key: &'static str, value: &str) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    fn api_version(self, version: &str) -> Self {
        self.query("api-version", version)
    }

    fn fields(mut self, fields: Vec<(&'static str, Value)>) -> Self {
        self.body = Some(Body::Fields(fields));
        self
    }

    fn reads_for(mut self, why: &'static str) -> Self {
        self.read_for = Some(why);
        self
    }

    fn only_when(mut self, when: When) -> Self {
        self.only_when = Some(when);
        self
    }

    fn note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }

    fn with_path(mut self, more: &[&str]) -> Self {
        self.path.extend(more.iter().map(|s| s.to_string()));
        self
    }

    /// Whether the request only reads.
    pub fn is_read(&self) -> bool {
        self.method == Method::Get
    }

    /// The statuses after which the live backend sends the same request again (after
    /// `Retry-After`, or a capped backoff): 429 for every request; 503 and 504 only for
    /// reads, because a write that failed there may have taken effect. A connection that
    /// fails before any answer is tried again too, for writes only when nothing was sent.
    pub fn sent_again_after(&self) -> &'static [u16] {
        if self.is_read() {
            &[429, 503, 504]
        } else {
            &[429]
        }
    }

    /// Path and query as sent, relative to the service root: each segment
    /// percent-encoded (`encode_segment`), the query options as they are (they are
    /// constants).
    pub fn relative_url(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            out.push('/');
            out.push_str(&encode_segment(s));
        }
        out.push_str(&self.query_text());
        out
    }

    /// The request's URL on `hosts`, as a person reads it (segments as they are).
    pub fn url(&self, hosts: &Hosts) -> String {
        format!(
            "{}/{}{}",
            hosts.base(self.api),
            self.path.join("/"),
            self.query_text()
        )
    }

    fn query_text(&self) -> String {
        if self.query.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", pairs.join("&"))
    }

    /// The body and the note as a person reads them.
    pub fn body_text(&self, existing_keys: Option<usize>) -> Option<String> {
        match (&self.body, self.note) {
            (Some(b), Some(n)) => Some(format!("{} ({n})", b.text(existing_keys))),
            (Some(b), None) => Some(b.text(existing_keys)),
            (None, _) => None,
        }
    }
}

/// The hosts a request is rendered on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// Graph's root, without the version (`https://graph.microsoft.com`).
    pub graph: String,
    /// ARM's root.
    pub arm: String,
}

impl Hosts {
    /// The cloud's public hosts, as a plan shows them.
    pub fn public(cloud: Cloud) -> Self {
        let (graph, arm) = match cloud {
            Cloud::Public => (
                "https://graph.microsoft.com",
                "https://management.azure.com",
            ),
            Cloud::Usgov => (
                "https://graph.microsoft.us",
                "https://management.usgovcloudapi.net",
            ),
            Cloud::China => (
                "https://microsoftgraph.chinacloudapi.cn",
                "https://management.chinacloudapi.cn",
            ),
        };
        Self {
            graph: graph.into(),
            arm: arm.into(),
        }
    }

    /// The root of `api`: Graph with its version, or ARM.
    pub fn base(&self, api: Api) -> String {
        match api {
            Api::GraphV1 => format!("{}/v1.0", self.graph),
            Api::GraphBeta => format!("{}/beta", self.graph),
            Api::Arm => self.arm.clone(),
        }
    }
}

/// A path segment with everything outside the unreserved set percent-encoded (parentheses
/// and quotes kept, for Graph's alternate keys), so an id or a name can never add a
/// segment, a query or a fragment to a URL.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'(' | b')' | b'\'')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The segments of an ARM resource id: it must start with `/subscriptions/` (or be a
/// provider-level `/providers/…` path), and no segment may be empty, `.` or `..`.
pub fn arm_segments(id: &str) -> Result<Vec<String>, Refused> {
    let trimmed = id.trim().trim_end_matches('/');
    let starts = |prefix: &str| {
        trimmed
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    if !(starts("/subscriptions/") || starts("/providers/"))
        || segments
            .iter()
            .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(Refused::Unavailable(format!(
            "{id:?} is not an Azure resource id (/subscriptions/…)"
        )));
    }
    Ok(segments.into_iter().map(str::to_string).collect())
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

/// The Graph object a credential change targets; a user-assigned identity has none of
/// `what`.
fn graph_owner(target: &Target, what: &str) -> Result<(Object, Vec<String>), Refused> {
    match target {
        Target::Application(id) => {
            Ok((Object::Application, vec!["applications".into(), id.clone()]))
        }
        Target::ServicePrincipal(id) => Ok((
            Object::ServicePrincipal,
            vec!["servicePrincipals".into(), id.clone()],
        )),
        Target::UserAssignedIdentity(id) => Err(Refused::Unavailable(format!(
            "user-assigned managed identity {id} has no {what}"
        ))),
    }
}

fn arm(method: Method, object: Object, id: &str) -> Result<Request, Refused> {
    Ok(Request::new(method, Api::Arm, object, arm_segments(id)?))
}

/// `GET {object}?$select=id,passwordCredentials,keyCredentials` (v1.0 api/application-get.md,
/// serviceprincipal-get.md).
fn secrets_read(target: &Target, what: &str) -> Result<Request, Refused> {
    let (object, path) = graph_owner(target, what)?;
    Ok(Request::new(Method::Get, Api::GraphV1, object, path).query("$select", CREDENTIALS_SELECT))
}

/// `GET {object}?$select=keyCredentials`: the certificates with their `key`
/// (v1.0 resources/keycredential.md: `key` only on such a read).
fn keys_read(target: &Target) -> Result<Request, Refused> {
    let (object, path) = graph_owner(target, "certificates")?;
    Ok(Request::new(Method::Get, Api::GraphV1, object, path).query("$select", KEYS_SELECT))
}

/// `GET /beta/applications/{id}/federatedIdentityCredentials` (beta
/// api/application-list-federatedidentitycredentials.md): beta, because v1.0 breaks its
/// answer off at a flexible credential (Azure/azure-workload-identity#373).
fn app_fics_read(id: &str) -> Request {
    Request::new(
        Method::Get,
        Api::GraphBeta,
        Object::Application,
        vec![
            "applications".into(),
            id.into(),
            "federatedIdentityCredentials".into(),
        ],
    )
}

/// `GET {identity}/federatedIdentityCredentials?api-version=2025-01-31-preview` (A-msi
/// `FederatedIdentityCredentials_List`), every page.
fn identity_fics_read(id: &str) -> Result<Request, Refused> {
    let mut r = arm(Method::Get, Object::UserAssignedIdentity, id)?
        .with_path(&["federatedIdentityCredentials"])
        .api_version(MSI_FIC_API);
    r.follows_next_link = true;
    Ok(r)
}

/// `{identity}/federatedIdentityCredentials/{name}?api-version=2025-01-31-preview`.
fn identity_fic(method: Method, id: &str, name: &str) -> Result<Request, Refused> {
    let mut r = arm(method, Object::UserAssignedIdentity, id)?.api_version(MSI_FIC_API);
    r.path.push("federatedIdentityCredentials".into());
    r.path.push(name.into());
    Ok(r)
}

/// `{application}/federatedIdentityCredentials/{name}` on `api`.
fn app_fic(method: Method, api: Api, id: &str, name: &str) -> Request {
    Request::new(
        method,
        api,
        Object::Application,
        vec![
            "applications".into(),
            id.into(),
            "federatedIdentityCredentials".into(),
            name.into(),
        ],
    )
}

fn rfc3339(t: super::Timestamp) -> Result<String, Refused> {
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Refused::Unavailable(format!("cannot write the date {t}: {e}")))
}

/// `claimsMatchingExpression` as Graph beta and the ARM preview take it (beta
/// resources/federatedidentityexpression.md; A-msi 2025-01-31-preview
/// `ClaimsMatchingExpression`): language version 1.
pub fn claims_matching_expression(expression: &str) -> Value {
    serde_json::json!({ "languageVersion": 1, "value": expression })
}

/// What a federated credential matches: its subject, or (a flexible one) its expression.
enum Matcher<'a> {
    Subject(&'a str),
    Expression(&'a str),
}

fn matcher(fic: &FederatedIdentityCredential) -> Result<Matcher<'_>, Refused> {
    match (&fic.subject, &fic.claims_matching_expression) {
        (Some(s), _) => Ok(Matcher::Subject(s)),
        (None, Some(e)) => Ok(Matcher::Expression(e)),
        (None, None) => Err(Refused::Unavailable(format!(
            "federated credential {} has neither a subject nor a claims expression",
            fic.name
        ))),
    }
}

/// JSON as a person reads it: `{"k": v, …}`, `[a, b]`, scalars as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(&Value::from(k.as_str())), text(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(text).collect();
            format!("[{}]", parts.join(", "))
        }
        other => scalar(other),
    }
}

fn scalar(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn fields_text(fields: &[(&'static str, Value)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {}", text(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

mod body;
mod changes;
mod checks;
#[cfg(test)]
mod tests;

pub use body::{Body, KeyEdit};
pub use changes::*;
pub use checks::*;
