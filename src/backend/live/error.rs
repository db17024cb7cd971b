//! From an HTTP failure to a typed `backend::Error` a person can act on: 401 says to sign in
//! again, 403 names the Graph permission or Azure role the call needs (`Need`), 404 says what
//! was missing, 429 says how long to wait, and anything else keeps the service's `code`,
//! `message` and request id for a support ticket. Graph and ARM error bodies share the
//! `{"error":{"code","message"}}` shape; Graph adds `innerError.request-id`, ARM sends
//! `x-ms-request-id` as a header. Service text is untrusted and is sanitised before it can
//! reach a terminal.
//!
//! Imports azure_core's header types and the sanitizer.

use std::time::Duration;

use azure_core::http::headers::{HeaderName, Headers};
use serde::Deserialize;

use super::retry;
use crate::backend::Error;
use crate::backend::sign_in::SignInFailure;

/// What a call needs from the caller's rights, so a 403 can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading applications, service principals and their credentials.
    GraphRead,
    /// Adding or removing credentials on applications and service principals.
    GraphWrite,
    /// Reading subscriptions, identities and role assignments.
    ArmRead,
    /// Creating and deleting user-assigned identities and writing their FICs.
    IdentityWrite,
    /// Creating and deleting role assignments.
    RoleAssignmentWrite,
    /// Reading the sign-in reports and the sign-in log (`backend::live::usage`).
    AuditLogRead,
    /// Reading a repository on GitHub (`backend::github`).
    GitHubRead,
}

impl Need {
    pub fn permission(self) -> &'static str {
        match self {
            Need::GraphRead => "Microsoft Graph permission Application.Read.All",
            Need::GraphWrite => {
                "Microsoft Graph permission Application.ReadWrite.All (or \
                 Application.ReadWrite.OwnedBy, as an owner of the application)"
            }
            Need::ArmRead => "Azure role Reader on the subscription",
            Need::IdentityWrite => {
                "Azure role Managed Identity Contributor on the identity's resource group"
            }
            Need::RoleAssignmentWrite => {
                "Azure role User Access Administrator (or Role Based Access Control \
                 Administrator) on the assignment's scope"
            }
            Need::AuditLogRead => "Microsoft Graph permission AuditLog.Read.All",
            Need::GitHubRead => {
                "a GitHub token (GITHUB_TOKEN) that may read the repository, or more of \
                 GitHub's rate limit (60 requests an hour without a token)"
            }
        }
    }

    /// How to get `permission`: who grants it and where, for a person signed in with `az
    /// login` and for a workload. Roles and permissions as `graph-arm-api.md` §2.4 and §5
    /// cite them (Microsoft Graph permissions reference, the FIC and sign-in report pages,
    /// Azure built-in roles).
    pub fn advice(self) -> &'static str {
        match self {
            Need::GraphRead => {
                "a person needs a directory role that reads applications (Directory Readers is \
                 the least privileged built-in one); a workload needs Application.Read.All \
                 granted with admin consent (Entra admin center › App registrations › the app › \
                 API permissions › Grant admin consent)"
            }
            Need::GraphWrite => {
                "ask an owner of the application to add you as an owner (App registrations › the \
                 app › Owners), or an admin for Cloud Application Administrator; a workload \
                 needs Application.ReadWrite.OwnedBy with admin consent and to own the app"
            }
            Need::ArmRead => {
                "ask an Owner or User Access Administrator of the subscription: az role \
                 assignment create --assignee <you> --role Reader --scope /subscriptions/<id>"
            }
            Need::IdentityWrite => {
                "ask an Owner or User Access Administrator: az role assignment create \
                 --assignee <you> --role \"Managed Identity Contributor\" --scope <resource \
                 group id>"
            }
            Need::RoleAssignmentWrite => {
                "ask an Owner of the scope for User Access Administrator, or for Role Based \
                 Access Control Administrator (which a condition can limit to the roles this \
                 migration copies)"
            }
            Need::AuditLogRead => {
                "a person needs Reports Reader (or Security Reader); a workload needs \
                 AuditLog.Read.All with admin consent; sign-in data also needs a Microsoft Entra \
                 ID P1 or P2 licence in the tenant"
            }
            Need::GitHubRead => {
                "set GITHUB_TOKEN to a token that may read the repository's metadata (a \
                 fine-grained token with Metadata: read)"
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<ErrorBody>,
}

/// Graph's and ARM's error object (`{"code", "message", "innerError": {"request-id"}}`), in
/// an answer's body or appended to a list cut off mid-stream (`page`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<Inner>,
}

impl ErrorBody {
    pub fn request_id(&self) -> Option<String> {
        self.inner.as_ref().and_then(|i| i.request_id.clone())
    }
}

#[derive(Debug, Default, Deserialize)]
struct Inner {
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const X_MS_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
const CORRELATION_ID: HeaderName = HeaderName::from_static("x-ms-correlation-request-id");

/// Service text, cleaned and cut to a readable length.
fn clean(s: &str) -> String {
    let cleaned = crate::sanitize::display(s.trim());
    let mut out: String = cleaned.chars().take(500).collect();
    if cleaned.chars().count() > 500 {
        out.push('…');
    }
    out
}

/// The typed error for a non-2xx response to `what` (e.g. `GET /v1.0/applications`).
pub fn from_response(
    service: &'static str,
    need: Need,
    what: &str,
    status: u16,
    headers: &Headers,
    body: &[u8],
) -> Error {
    let parsed = serde_json::from_slice::<Envelope>(body)
        .ok()
        .and_then(|e| e.error)
        .unwrap_or_default();
    let code = parsed
        .code
        .as_deref()
        .map(clean)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("HTTP{status}"));
    let message = parsed.message.as_deref().map(clean).unwrap_or_default();
    let message = if message.is_empty() {
        // Not JSON (a proxy's page, a truncated body): a short, cleaned excerpt.
        let text = String::from_utf8_lossy(body);
        let excerpt = clean(&text.chars().take(200).collect::<String>());
        if excerpt.is_empty() {
            format!("HTTP {status} with no body")
        } else {
            excerpt
        }
    } else {
        message
    };
    let request_id = headers
        .get_optional_str(&REQUEST_ID)
        .or_else(|| headers.get_optional_str(&X_MS_REQUEST_ID))
        .map(str::to_string)
        .or_else(|| parsed.request_id())
        .or_else(|| {
            headers
                .get_optional_str(&CORRELATION_ID)
                .map(str::to_string)
        })
        .map(|id| clean(&id))
        .unwrap_or_else(|| "none".to_string());
    match status {
        401 => Error::Unauthorized(format!(
            "{service} refused the request {what} ({code}: {message}); sign in again \
             (`az login`) or check --tenant"
        )),
        403 => Error::Forbidden {
            permission: need.permission().to_string(),
            advice: need.advice().to_string(),
            message: format!("{service} {what}: {code}: {message} (request id {request_id})"),
        },
        404 => Error::NotFound(format!("{service} {what}: {code}: {message}")),
        429 => Error::Throttled {
            retry_after_secs: retry::retry_after(headers)
                .unwrap_or(Duration::ZERO)
                .as_secs_f64()
                .ceil() as u64,
        },
        _ => Error::Service {
            service,
            code,
            message: format!("{message} ({what}, HTTP {status})"),
            request_id,
        },
    }
}

/// A transport failure (`azure_core::Error` from the pipeline) as a typed error.
pub fn from_transport(service: &'static str, what: &str, e: &azure_core::Error) -> Error {
    use azure_core::error::ErrorKind;
    // The outermost message of azure_core's errors is generic ("failed to execute request");
    // the cause underneath says what happened.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    let text = clean(&text);
    if let Some(failure) = sign_in_failure(e) {
        return Error::SignIn(Box::new(failure.clone()));
    }
    match e.kind() {
        ErrorKind::Credential => Error::Unauthorized(text),
        _ if text.contains(retry::STALLED) => Error::Network(format!(
            "{service} {what}: the connection stalled ({text}); try again later"
        )),
        // The request went out and the answer broke off: for a write, the change may have
        // been made, which is what a resumed migration checks before acting again.
        _ if text.contains("error decoding response body") => Error::Network(format!(
            "{service} {what}: the answer was cut off ({text}); {}",
            if what.starts_with("GET ") {
                "try again"
            } else {
                "the change may have been made: `credwise migrate resume` checks before doing \
                 it again"
            }
        )),
        _ if text.contains("Connection refused") || text.contains("tcp connect error") => {
            Error::Network(format!(
                "{service} {what}: cannot connect ({text}); check the network, a proxy \
                 (HTTPS_PROXY) or --graph-url/--arm-url"
            ))
        }
        _ => Error::Network(format!("{service} {what}: {text}")),
    }
}

/// The credential chain's `SignInFailure`, wherever the pipeline wrapped it.
fn sign_in_failure(e: &azure_core::Error) -> Option<&SignInFailure> {
    if let Some(f) = e.downcast_ref::<SignInFailure>() {
        return Some(f);
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(f) = s.downcast_ref::<SignInFailure>() {
            return Some(f);
        }
        if let Some(f) = s
            .downcast_ref::<azure_core::Error>()
            .and_then(|inner| inner.downcast_ref::<SignInFailure>())
        {
            return Some(f);
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::live::retry::headers;

    #[test]
    fn a_graph_403_names_the_permission() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied",
            "message":"Insufficient privileges to complete the operation.",
            "innerError":{"date":"2026-01-01T00:00:00","request-id":"r-1"}}}"#;
        let e = from_response(
            "Graph",
            Need::GraphRead,
            "GET /v1.0/applications",
            403,
            &headers(&[]),
            body,
        );
        let text = e.to_string();
        assert!(text.contains("Application.Read.All"), "{text}");
        assert!(text.contains("Insufficient privileges"), "{text}");
        assert!(text.contains("r-1"), "{text}");
        assert_eq!(e.cause(), crate::backend::Cause::Service);
    }

    #[test]
    fn service_errors_keep_code_message_and_request_id() {
        let body = br#"{"error":{"code":"InternalServerError","message":"Boom\u001b[31m"}}"#;
        let e = from_response(
            "ARM",
            Need::ArmRead,
            "GET /subscriptions",
            500,
            &headers(&[("x-ms-request-id", "arm-9")]),
            body,
        );
        match &e {
            Error::Service {
                service,
                code,
                message,
                request_id,
            } => {
                assert_eq!((*service, code.as_str()), ("ARM", "InternalServerError"));
                assert!(message.starts_with("Boom[31m"), "{message}");
                assert_eq!(request_id, "arm-9");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_statuses() {
        let h = headers(&[("retry-after", "2.128")]);
        assert!(matches!(
            from_response("Graph", Need::GraphRead, "x", 429, &h, b""),
            Error::Throttled {
                retry_after_secs: 3
            }
        ));
        assert!(matches!(
            from_response("Graph", Need::GraphRead, "x", 404, &h, b"{}"),
            Error::NotFound(_)
        ));
        let e = from_response("Graph", Need::GraphRead, "x", 401, &h, b"");
        assert!(e.to_string().contains("az login"), "{e}");
        let e = from_response(
            "Graph",
            Need::GraphRead,
            "x",
            502,
            &h,
            b"<html>bad gateway</html>",
        );
        assert!(e.to_string().contains("<html>bad gateway"), "{e}");
    }

    #[test]
    fn real_error_bodies() {
        let read = |name: &str| {
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/real")
                    .join(name),
            )
            .unwrap()
        };
        let e = from_response(
            "Graph",
            Need::GraphRead,
            "GET /v1.0/applications",
            400,
            &headers(&[]),
            &read("graph-error-example.json"),
        );
        match e {
            Error::Service {
                code, request_id, ..
            } => {
                assert!(!code.starts_with("HTTP"), "{code}");
                assert_ne!(request_id, "none");
            }
            other => panic!("{other:?}"),
        }
        let e = from_response(
            "Graph",
            Need::GraphRead,
            "GET /v1.0/applications",
            429,
            &headers(&[("retry-after", "2.128")]),
            &read("graph-error-429-throttled.json"),
        );
        assert!(
            matches!(
                e,
                Error::Throttled {
                    retry_after_secs: 3
                }
            ),
            "{e:?}"
        );
    }
}
