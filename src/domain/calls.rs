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

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Sent as it is: these fields, in the order a plan shows them (JSON has no order).
    Fields(Vec<(&'static str, Value)>),
    /// `{"keyCredentials": […]}`: the object's certificates as the read before it returned
    /// them (each with its `key`), changed by the edit. The PATCH replaces the collection,
    /// and Graph's `addKey` needs a proof signed by an existing certificate, which an
    /// application moving off secrets does not have.
    KeyCredentials(KeyEdit),
}

impl Body {
    /// The JSON of a `Fields` body; `None` for one that needs what a read returned.
    pub fn json(&self) -> Option<Value> {
        match self {
            Body::Fields(fields) => Some(Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )),
            Body::KeyCredentials(_) => None,
        }
    }

    /// The body as a person reads it: a new certificate's data shows as a placeholder, the
    /// existing certificates as their number (`existing_keys`) when it is known.
    pub fn text(&self, existing_keys: Option<usize>) -> String {
        match self {
            Body::Fields(fields) => fields_text(fields),
            Body::KeyCredentials(KeyEdit::Append { entry, .. }) => {
                let existing = match existing_keys {
                    Some(n) => format!("the {n} existing"),
                    None => "the existing".to_string(),
                };
                let mut shown: Vec<String> = Vec::with_capacity(entry.len() + 1);
                for (k, v) in entry {
                    shown.push(format!("\"{k}\": {}", text(v)));
                    if *k == "usage" {
                        shown.push("\"key\": <public certificate, base64 DER>".to_string());
                    }
                }
                format!(
                    "{{\"keyCredentials\": [{existing}, + {{{}}}]}}",
                    shown.join(", ")
                )
            }
            Body::KeyCredentials(KeyEdit::Remove { key_id }) => {
                format!("{{\"keyCredentials\": [the existing, without keyId {key_id}]}}")
            }
        }
    }
}

/// How a certificate PATCH changes the collection it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEdit {
    /// Appends the new certificate: `entry` is its metadata (`keyId`, `type`, `usage`, then
    /// what it has of `displayName`, `customKeyIdentifier`, `startDateTime`,
    /// `endDateTime`) and `key` its public certificate (standard base64 of the DER), `None`
    /// until it is generated.
    Append {
        entry: Vec<(&'static str, Value)>,
        key: Option<String>,
    },
    /// Takes the certificate with this `keyId` out.
    Remove { key_id: String },
}

impl KeyEdit {
    /// The collection to PATCH, from the one read: the new certificate appended (refused if
    /// one with its keyId is there), or the named one taken out (refused if it is not).
    pub fn apply(&self, mut keys: Vec<Value>) -> Result<Vec<Value>, Refused> {
        let key_id_of = |k: &Value| {
            k.get("keyId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match self {
            KeyEdit::Append { entry, key } => {
                let id = entry
                    .iter()
                    .find(|(k, _)| *k == "keyId")
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("")
                    .to_string();
                let key = key.as_deref().ok_or_else(|| {
                    Refused::Unavailable(format!(
                        "certificate {id} cannot be uploaded without its public certificate"
                    ))
                })?;
                if keys.iter().any(|k| key_id_of(k).eq_ignore_ascii_case(&id)) {
                    return Err(Refused::Rejected(ApplyError::AlreadyExists {
                        what: "certificate",
                        id,
                    }));
                }
                let mut new: serde_json::Map<String, Value> = entry
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect();
                new.insert("key".into(), key.into());
                keys.push(Value::Object(new));
                Ok(keys)
            }
            KeyEdit::Remove { key_id } => {
                let at = keys
                    .iter()
                    .position(|k| key_id_of(k).eq_ignore_ascii_case(key_id))
                    .ok_or_else(|| {
                        Refused::Rejected(ApplyError::Missing {
                            what: "certificate",
                            id: key_id.clone(),
                        })
                    })?;
                keys.remove(at);
                Ok(keys)
            }
        }
    }

    /// Whether the edit can be made at all: a new certificate needs its public part.
    pub fn ready(&self) -> Result<(), Refused> {
        match self {
            KeyEdit::Append { key: None, .. } => self.apply(Vec::new()).map(drop),
            _ => Ok(()),
        }
    }

    /// The PATCH body for the collection read: `{"keyCredentials": apply(keys)}`.
    pub fn body(&self, keys: Vec<Value>) -> Result<Value, Refused> {
        Ok(serde_json::json!({ "keyCredentials": self.apply(keys)? }))
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

// ---------------------------------------------------------------------------------------------
// Changes, one function each.

/// A read, then the write it prepares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadThenWrite {
    pub read: Request,
    pub write: Request,
}

/// `POST {object}/addPassword` with `{"passwordCredential": {displayName, startDateTime,
/// endDateTime}}` — what the change has of them (v1.0 api/application-addpassword.md,
/// serviceprincipal-addpassword.md). Graph picks the keyId and the value.
pub fn add_password(target: &Target, c: &PasswordCredential) -> Result<Request, Refused> {
    let (object, path) = graph_owner(target, "client secrets")?;
    let mut pc = serde_json::Map::new();
    if let Some(name) = &c.display_name {
        pc.insert("displayName".into(), name.clone().into());
    }
    for (key, value) in [
        ("startDateTime", c.start_date_time),
        ("endDateTime", c.end_date_time),
    ] {
        if let Some(t) = value {
            pc.insert(key.into(), rfc3339(t)?.into());
        }
    }
    Ok(Request::new(Method::Post, Api::GraphV1, object, path)
        .with_path(&["addPassword"])
        .fields(vec![("passwordCredential", Value::Object(pc))])
        .note("the new value is shown once, never stored"))
}

/// The secret's metadata (for the undo), then `POST {object}/removePassword` with
/// `{"keyId"}` (v1.0 api/application-removepassword.md).
pub fn remove_password(target: &Target, key_id: &str) -> Result<ReadThenWrite, Refused> {
    let read = secrets_read(target, "client secrets")?
        .reads_for("the secret's name and dates, for the undo");
    let (object, path) = graph_owner(target, "client secrets")?;
    let write = Request::new(Method::Post, Api::GraphV1, object, path)
        .with_path(&["removePassword"])
        .fields(vec![("keyId", key_id.into())]);
    Ok(ReadThenWrite { read, write })
}

/// The certificates with their keys, then `PATCH {object}` with the list and the new one
/// appended (concepts/applications-how-to-add-certificate.md; the Azure CLI does the same:
/// `addKey` needs a proof signed by an existing certificate).
pub fn add_key(
    target: &Target,
    c: &KeyCredential,
    key: Option<&str>,
) -> Result<ReadThenWrite, Refused> {
    let read = keys_read(target)?
        .reads_for("the certificates with their keys: the PATCH sends the list back whole");
    let (object, path) = graph_owner(target, "certificates")?;
    let mut entry: Vec<(&'static str, Value)> = vec![
        ("keyId", c.key_id.clone().into()),
        (
            "type",
            c.key_type.as_deref().unwrap_or("AsymmetricX509Cert").into(),
        ),
        ("usage", c.usage.as_deref().unwrap_or("Verify").into()),
    ];
    if let Some(n) = &c.display_name {
        entry.push(("displayName", n.clone().into()));
    }
    // Graph computes the thumbprint when it is left out.
    if let Some(k) = &c.custom_key_identifier {
        entry.push(("customKeyIdentifier", k.clone().into()));
    }
    if let Some(t) = c.start_date_time {
        entry.push(("startDateTime", rfc3339(t)?.into()));
    }
    if let Some(t) = c.end_date_time {
        entry.push(("endDateTime", rfc3339(t)?.into()));
    }
    let mut write = Request::new(Method::Patch, Api::GraphV1, object, path);
    write.body = Some(Body::KeyCredentials(KeyEdit::Append {
        entry,
        key: key.map(str::to_string),
    }));
    Ok(ReadThenWrite { read, write })
}

/// The certificates with their keys (the removed one is the undo), then `PATCH {object}`
/// with the list without it.
pub fn remove_key(target: &Target, key_id: &str) -> Result<ReadThenWrite, Refused> {
    let read = keys_read(target)?.reads_for(
        "the certificates with their keys: the PATCH sends the others back, the removed one is the undo",
    );
    let (object, path) = graph_owner(target, "certificates")?;
    let mut write = Request::new(Method::Patch, Api::GraphV1, object, path);
    write.body = Some(Body::KeyCredentials(KeyEdit::Remove {
        key_id: key_id.to_string(),
    }));
    Ok(ReadThenWrite { read, write })
}

/// An application's: `POST {application}/federatedIdentityCredentials` — v1.0 with a
/// `subject` (v1.0 api/application-post-federatedidentitycredentials.md), beta with a
/// `claimsMatchingExpression` (beta resources/federatedidentitycredential.md: flexible
/// credentials exist only there). A user-assigned identity's: `PUT
/// {identity}/federatedIdentityCredentials/{name}` at the preview with `properties`
/// `{issuer, audiences, subject | claimsMatchingExpression}` (A-msi 2025-01-31-preview
/// `FederatedIdentityCredentials_CreateOrUpdate`; the preview takes one or the other).
pub fn add_federated_credential(
    target: &Target,
    fic: &FederatedIdentityCredential,
) -> Result<Request, Refused> {
    let matcher = matcher(fic)?;
    match target {
        Target::Application(id) => {
            let (api, matcher_field) = match matcher {
                Matcher::Subject(s) => (Api::GraphV1, ("subject", Value::from(s))),
                Matcher::Expression(e) => (
                    Api::GraphBeta,
                    ("claimsMatchingExpression", claims_matching_expression(e)),
                ),
            };
            let mut fields: Vec<(&'static str, Value)> = vec![
                ("name", fic.name.clone().into()),
                ("issuer", fic.issuer.clone().into()),
                matcher_field,
                ("audiences", fic.audiences.clone().into()),
            ];
            if let Some(d) = &fic.description {
                fields.push(("description", d.clone().into()));
            }
            Ok(Request::new(
                Method::Post,
                api,
                Object::Application,
                vec![
                    "applications".into(),
                    id.clone(),
                    "federatedIdentityCredentials".into(),
                ],
            )
            .fields(fields))
        }
        Target::UserAssignedIdentity(id) => {
            let mut properties = serde_json::json!({
                "issuer": fic.issuer,
                "audiences": fic.audiences,
            });
            match matcher {
                Matcher::Subject(s) => properties["subject"] = s.into(),
                Matcher::Expression(e) => {
                    properties["claimsMatchingExpression"] = claims_matching_expression(e)
                }
            }
            Ok(identity_fic(Method::Put, id, &fic.name)?.fields(vec![("properties", properties)]))
        }
        Target::ServicePrincipal(id) => Err(Refused::Unavailable(format!(
            "service principal {id} cannot hold federated credentials; add the credential to its application"
        ))),
    }
}

/// The credential as it is (for the undo; an application's from beta, the only version
/// that serialises a flexible one), then its `DELETE` — an application's on v1.0
/// (federatedidentitycredential-delete.md; by name, as the Azure CLI does), an identity's at
/// the preview (A-msi `FederatedIdentityCredentials_Delete`).
pub fn remove_federated_credential(target: &Target, name: &str) -> Result<ReadThenWrite, Refused> {
    const WHY: &str = "the credential with its expression, for the undo";
    match target {
        Target::Application(id) => Ok(ReadThenWrite {
            read: app_fic(Method::Get, Api::GraphBeta, id, name).reads_for(WHY),
            write: app_fic(Method::Delete, Api::GraphV1, id, name),
        }),
        Target::UserAssignedIdentity(id) => Ok(ReadThenWrite {
            read: identity_fic(Method::Get, id, name)?.reads_for(WHY),
            write: identity_fic(Method::Delete, id, name)?,
        }),
        Target::ServicePrincipal(id) => Err(Refused::Rejected(ApplyError::Missing {
            what: "federated identity credential",
            id: format!("{name} on {id}"),
        })),
    }
}

/// Creating a user-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIdentity {
    /// Must answer 404: ARM's `PUT` answers 200 for an existing identity, and the undo would
    /// then delete something this change did not create.
    pub read: Request,
    /// `PUT {identity}?api-version=2024-11-30` with `{location, tags}` (A-msi
    /// `UserAssignedIdentities_CreateOrUpdate`); Azure answers with its principal and client
    /// ids.
    pub create: Request,
    /// One `PUT` per federated credential the identity comes with (the undo of a deletion).
    pub credentials: Vec<Request>,
    /// `DELETE` of the identity, only when a credential is refused.
    pub take_back: Request,
}

pub fn create_identity(identity: &UserAssignedIdentity) -> Result<CreateIdentity, Refused> {
    let location = identity.location.as_deref().ok_or_else(|| {
        Refused::Unavailable(format!(
            "user-assigned identity {} needs a location (an Azure region) to be created",
            identity.name
        ))
    })?;
    let read = arm(Method::Get, Object::UserAssignedIdentity, &identity.id)?
        .api_version(MSI_API)
        .reads_for("that no identity has this id (it must answer 404)");
    let mut fields: Vec<(&'static str, Value)> = vec![("location", location.into())];
    if !identity.tags.is_empty() {
        fields.push((
            "tags",
            serde_json::to_value(&identity.tags).unwrap_or(Value::Null),
        ));
    }
    let create = arm(Method::Put, Object::UserAssignedIdentity, &identity.id)?
        .api_version(MSI_API)
        .fields(fields)
        .note("Azure returns the principalId and clientId");
    let credentials = identity
        .federated_identity_credentials
        .iter()
        .map(|f| add_federated_credential(&Target::UserAssignedIdentity(identity.id.clone()), f))
        .collect::<Result<Vec<_>, _>>()?;
    let take_back = arm(Method::Delete, Object::UserAssignedIdentity, &identity.id)?
        .api_version(MSI_API)
        .only_when(When::CredentialRefused);
    Ok(CreateIdentity {
        read,
        create,
        credentials,
        take_back,
    })
}

/// Deleting a user-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteIdentity {
    pub read: Request,
    pub credentials: Request,
    /// `DELETE {identity}?api-version=2024-11-30` (A-msi `UserAssignedIdentities_Delete`).
    pub delete: Request,
}

pub fn delete_identity(id: &str) -> Result<DeleteIdentity, Refused> {
    Ok(DeleteIdentity {
        read: arm(Method::Get, Object::UserAssignedIdentity, id)?
            .api_version(MSI_API)
            .reads_for("the identity, for the undo"),
        credentials: identity_fics_read(id)?.reads_for("its federated credentials, for the undo"),
        delete: arm(Method::Delete, Object::UserAssignedIdentity, id)?.api_version(MSI_API),
    })
}

/// Creating a role assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRoleAssignment {
    /// `PUT {assignment id}?api-version=2022-04-01` with `{"properties": {roleDefinitionId,
    /// principalId, principalType, condition, conditionVersion, description,
    /// delegatedManagedIdentityResourceId}}` — what the assignment has of them (A-authz
    /// `RoleAssignments_Create`, `RoleAssignmentProperties`).
    pub create: Request,
    /// `GET` of it, only when the `PUT`'s answer is not the assignment.
    pub read_back: Request,
    /// `DELETE` of it, only when ARM did not keep its condition.
    pub take_back: Request,
}

pub fn add_role_assignment(a: &RoleAssignment) -> Result<AddRoleAssignment, Refused> {
    let at = |method| {
        arm(method, Object::RoleAssignment, &a.id).map(|r| r.api_version(AUTHORIZATION_API))
    };
    Ok(AddRoleAssignment {
        create: at(Method::Put)?.fields(vec![("properties", a.create_properties())]),
        read_back: at(Method::Get)?
            .reads_for("the assignment as ARM keeps it, condition included")
            .only_when(When::AnswerIsNotTheAssignment),
        take_back: at(Method::Delete)?.only_when(When::ConditionNotKept),
    })
}

/// The assignment with its condition (for the undo), then its `DELETE` (A-authz
/// `RoleAssignments_Delete`).
pub fn remove_role_assignment(id: &str) -> Result<ReadThenWrite, Refused> {
    Ok(ReadThenWrite {
        read: arm(Method::Get, Object::RoleAssignment, id)?
            .api_version(AUTHORIZATION_API)
            .reads_for("the assignment with its condition, for the undo"),
        write: arm(Method::Delete, Object::RoleAssignment, id)?.api_version(AUTHORIZATION_API),
    })
}

/// Every request `change` makes, in the order sent (conditional ones included, marked).
pub fn change(change: &Change) -> Result<Vec<Request>, Refused> {
    let pair = |p: ReadThenWrite| vec![p.read, p.write];
    Ok(match change {
        Change::AddPassword { target, credential } => vec![add_password(target, credential)?],
        Change::RemovePassword { target, key_id } => pair(remove_password(target, key_id)?),
        Change::AddKey {
            target,
            credential,
            key,
        } => pair(add_key(target, credential, key.as_deref())?),
        Change::RemoveKey { target, key_id } => pair(remove_key(target, key_id)?),
        Change::AddFederatedCredential { target, credential } => {
            vec![add_federated_credential(target, credential)?]
        }
        Change::RemoveFederatedCredential { target, name } => {
            pair(remove_federated_credential(target, name)?)
        }
        Change::CreateUserAssignedIdentity { identity } => {
            let c = create_identity(identity)?;
            let mut out = vec![c.read, c.create];
            out.extend(c.credentials);
            out.push(c.take_back);
            out
        }
        Change::DeleteUserAssignedIdentity { id } => {
            let d = delete_identity(id)?;
            vec![d.read, d.credentials, d.delete]
        }
        Change::AddRoleAssignment { assignment } => {
            let a = add_role_assignment(assignment)?;
            vec![a.create, a.read_back, a.take_back]
        }
        Change::RemoveRoleAssignment { id } => pair(remove_role_assignment(id)?),
    })
}

// ---------------------------------------------------------------------------------------------
// Checks and the lockout rule's read.

/// The reads that say whether an object holds a credential with some id (a keyId, or a
/// federated credential's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// An application or service principal: its secrets and certificates, then — an
    /// application's, when none has the id — its federated credentials (beta).
    Graph {
        credentials: Request,
        federated: Option<Request>,
    },
    /// A user-assigned identity: its federated credentials.
    Arm { federated: Request },
}

impl Presence {
    pub fn requests(&self) -> Vec<&Request> {
        match self {
            Presence::Graph {
                credentials,
                federated,
            } => std::iter::once(credentials).chain(federated).collect(),
            Presence::Arm { federated } => vec![federated],
        }
    }
}

pub fn presence(target: &Target) -> Result<Presence, Refused> {
    match target {
        Target::Application(id) => Ok(Presence::Graph {
            credentials: secrets_read(target, "credentials")?,
            federated: Some(app_fics_read(id).only_when(When::NotASecretOrCertificate)),
        }),
        Target::ServicePrincipal(_) => Ok(Presence::Graph {
            credentials: secrets_read(target, "credentials")?,
            federated: None,
        }),
        Target::UserAssignedIdentity(id) => Ok(Presence::Arm {
            federated: identity_fics_read(id)?,
        }),
    }
}

/// The certificates of an application or service principal with their keys, for a
/// thumbprint when Graph left `customKeyIdentifier` out.
pub fn certificates(target: &Target) -> Result<Request, Refused> {
    keys_read(target)
}

/// One federated credential by name: an application's from beta (`GET
/// …/federatedIdentityCredentials/{name}`, the name being the alternate key:
/// federatedidentitycredential-get.md), an identity's at the preview (A-msi
/// `FederatedIdentityCredentials_Get`); `None` for a service principal, which holds none.
pub fn federated_credential(target: &Target, name: &str) -> Result<Option<Request>, Refused> {
    match target {
        Target::Application(id) => Ok(Some(app_fic(Method::Get, Api::GraphBeta, id, name))),
        Target::UserAssignedIdentity(id) => Ok(Some(identity_fic(Method::Get, id, name)?)),
        Target::ServicePrincipal(_) => Ok(None),
    }
}

/// `GET {identity}?api-version=2024-11-30` (A-msi `UserAssignedIdentities_Get`).
pub fn identity(id: &str) -> Result<Request, Refused> {
    Ok(arm(Method::Get, Object::UserAssignedIdentity, id)?.api_version(MSI_API))
}

/// `GET {assignment id}?api-version=2022-04-01` (A-authz `RoleAssignments_GetById`, the
/// same path as `RoleAssignments_Get`).
pub fn role_assignment(id: &str) -> Result<Request, Refused> {
    Ok(arm(Method::Get, Object::RoleAssignment, id)?.api_version(AUTHORIZATION_API))
}

/// Every request `check` makes, in the order sent.
pub fn check(check: &Check) -> Result<Vec<Request>, Refused> {
    Ok(match check {
        Check::CredentialPresent { target, id: _ } | Check::CredentialAbsent { target, id: _ } => {
            presence(target)?.requests().into_iter().cloned().collect()
        }
        Check::CertificateMatches { target, .. } => vec![certificates(target)?],
        Check::FederatedCredentialMatches { target, credential } => {
            federated_credential(target, &credential.name)?
                .into_iter()
                .collect()
        }
        Check::UserAssignedIdentityPresent { id }
        | Check::UserAssignedIdentityMatches { id, .. } => {
            vec![identity(id)?]
        }
        Check::RoleAssignmentPresent { id } => vec![role_assignment(id)?],
        Check::RoleAssignmentMatches { assignment } => vec![role_assignment(&assignment.id)?],
    })
}

/// What an object can sign in with now, read for the lockout rule before a secret
/// removal and every undo: an application's or service principal's secrets and its
/// certificates with their keys (for thumbprints), an application's or user-assigned
/// identity's federated credentials (Graph beta, the ARM preview). Sent in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReads {
    pub secrets: Option<Request>,
    pub certificates: Option<Request>,
    pub federated: Option<Request>,
}

impl CredentialReads {
    pub fn requests(&self) -> Vec<&Request> {
        [&self.secrets, &self.certificates, &self.federated]
            .into_iter()
            .flatten()
            .collect()
    }
}

pub fn credentials(target: &Target) -> Result<CredentialReads, Refused> {
    const WHY: &str = "what the identity can still sign in with, for the lockout rule";
    Ok(match target {
        Target::Application(id) => CredentialReads {
            secrets: Some(secrets_read(target, "credentials")?.reads_for(WHY)),
            certificates: Some(keys_read(target)?.reads_for(WHY)),
            federated: Some(app_fics_read(id).reads_for(WHY)),
        },
        Target::ServicePrincipal(_) => CredentialReads {
            secrets: Some(secrets_read(target, "credentials")?.reads_for(WHY)),
            certificates: Some(keys_read(target)?.reads_for(WHY)),
            federated: None,
        },
        Target::UserAssignedIdentity(id) => CredentialReads {
            secrets: None,
            certificates: None,
            federated: Some(identity_fics_read(id)?.reads_for(WHY)),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Text.

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

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> Target {
        Target::Application("a1".into())
    }

    fn fic(subject: Option<&str>, expression: Option<&str>) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: None,
            name: "gh-main".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: subject.map(str::to_string),
            claims_matching_expression: expression.map(str::to_string),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }
    }

    #[test]
    fn a_flexible_app_credential_is_created_through_beta_with_its_expression() {
        let r = add_federated_credential(&app(), &fic(None, Some("claims['sub'] matches 'x*'")))
            .unwrap();
        assert_eq!((r.method, r.api), (Method::Post, Api::GraphBeta));
        let body = r.body.as_ref().unwrap().json().unwrap();
        assert_eq!(
            body["claimsMatchingExpression"],
            serde_json::json!({"languageVersion": 1, "value": "claims['sub'] matches 'x*'"})
        );
        assert!(body.get("subject").is_none());
        let classic =
            add_federated_credential(&app(), &fic(Some("repo:o/r:ref:refs/heads/main"), None))
                .unwrap();
        assert_eq!(classic.api, Api::GraphV1);
        assert_eq!(
            classic.url(&Hosts::public(Cloud::Public)),
            "https://graph.microsoft.com/v1.0/applications/a1/federatedIdentityCredentials"
        );
    }

    #[test]
    fn segments_are_encoded_on_the_wire_and_shown_as_they_are() {
        let r = remove_federated_credential(&app(), "a/b?c").unwrap().write;
        assert_eq!(
            r.relative_url(),
            "/applications/a1/federatedIdentityCredentials/a%2Fb%3Fc"
        );
        let id = "/subscriptions/s1/resourceGroups/rg 1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1/";
        assert_eq!(
            identity(id).unwrap().relative_url(),
            "/subscriptions/s1/resourceGroups/rg%201/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1?api-version=2024-11-30"
        );
        for bad in [
            "",
            "subscriptions/s",
            "/subscriptions/s/../x",
            "/subscriptions//x",
            "https://evil/x",
        ] {
            assert!(
                matches!(identity(bad), Err(Refused::Unavailable(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn key_edits_append_and_remove_and_refuse_what_does_not_fit() {
        let c = KeyCredential {
            key_id: "k2".into(),
            display_name: Some("CN=app".into()),
            custom_key_identifier: None,
            key_type: None,
            usage: None,
            start_date_time: Some(time::macros::datetime!(2026-01-01 0:00 UTC)),
            end_date_time: None,
        };
        let existing = vec![serde_json::json!({"keyId": "k1", "key": "AAAA"})];
        let add = add_key(&app(), &c, Some("TUlJQw==")).unwrap().write;
        let Some(Body::KeyCredentials(edit)) = &add.body else {
            panic!("{add:?}")
        };
        let body = edit.body(existing.clone()).unwrap();
        assert_eq!(body["keyCredentials"][0], existing[0]);
        let new = &body["keyCredentials"][1];
        assert_eq!(new["key"], "TUlJQw==");
        assert_eq!(new["type"], "AsymmetricX509Cert");
        assert_eq!(new["usage"], "Verify");
        assert_eq!(new["startDateTime"], "2026-01-01T00:00:00Z");
        assert!(new.get("customKeyIdentifier").is_none());
        assert_eq!(
            add.body_text(Some(1)).unwrap(),
            "{\"keyCredentials\": [the 1 existing, + {\"keyId\": \"k2\", \"type\": \"AsymmetricX509Cert\", \"usage\": \"Verify\", \"key\": <public certificate, base64 DER>, \"displayName\": \"CN=app\", \"startDateTime\": \"2026-01-01T00:00:00Z\"}]}"
        );
        // Twice is refused; without the certificate nothing can be uploaded.
        let twice = edit.apply(body["keyCredentials"].as_array().unwrap().clone());
        assert!(matches!(
            twice,
            Err(Refused::Rejected(ApplyError::AlreadyExists { .. }))
        ));
        let Some(Body::KeyCredentials(no_key)) = add_key(&app(), &c, None).unwrap().write.body
        else {
            panic!()
        };
        assert!(matches!(no_key.apply(vec![]), Err(Refused::Unavailable(_))));
        let remove = KeyEdit::Remove {
            key_id: "K1".into(),
        };
        assert_eq!(remove.apply(existing).unwrap(), Vec::<Value>::new());
        assert!(matches!(
            remove.apply(vec![]),
            Err(Refused::Rejected(ApplyError::Missing { .. }))
        ));
    }

    #[test]
    fn changes_on_objects_that_cannot_hold_them_are_refused() {
        let uami = Target::UserAssignedIdentity("/subscriptions/s/x".into());
        let sp = Target::ServicePrincipal("sp".into());
        assert!(remove_password(&uami, "k").is_err());
        assert!(
            add_key(
                &uami,
                &KeyCredential {
                    key_id: "k".into(),
                    display_name: None,
                    custom_key_identifier: None,
                    key_type: None,
                    usage: None,
                    start_date_time: None,
                    end_date_time: None,
                },
                None
            )
            .is_err()
        );
        assert!(add_federated_credential(&sp, &fic(Some("s"), None)).is_err());
        assert!(matches!(
            remove_federated_credential(&sp, "n"),
            Err(Refused::Rejected(ApplyError::Missing { .. }))
        ));
        assert!(add_federated_credential(&app(), &fic(None, None)).is_err());
        assert_eq!(federated_credential(&sp, "n").unwrap(), None);
    }

    #[test]
    fn reads_are_marked_and_only_writes_that_are_sure_to_be_unapplied_are_sent_again() {
        let p = remove_password(&app(), "k").unwrap();
        assert!(p.read.is_read() && p.read.read_for.is_some());
        assert!(!p.write.is_read() && p.write.read_for.is_none());
        assert_eq!(p.read.sent_again_after(), [429, 503, 504]);
        assert_eq!(p.write.sent_again_after(), [429]);
    }

    #[test]
    fn json_text_is_spaced_and_escaped() {
        let v = serde_json::json!({"b": [1, "x\"y"], "a": {"c": null}});
        assert_eq!(text(&v), r#"{"a": {"c": null}, "b": [1, "x\"y"]}"#);
    }
}
