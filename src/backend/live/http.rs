//! One HTTP client per service (Graph, ARM), built on `azure_core::http::Pipeline`: a read
//! pipeline and a write pipeline that share one bearer-token policy, so each service's token
//! is fetched once and cached for the session (the az CLI credential does not cache; this is
//! what keeps credwise from starting `az` per request). Both pipelines carry credwise's own
//! retry policy (`retry`), in read or write mode.
//!
//! Every URL a `Service` sends to must be on the origin it was built for: an
//! `@odata.nextLink` that points anywhere else is refused before the token could follow it.
//! Responses come back as `Reply`; a non-2xx status becomes a typed error (`error`).
//!
//! May import azure_core and tokio.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, Method, Pipeline, PipelineSendOptions, Request, RetryOptions,
    Transport, Url,
};
use serde::de::DeserializeOwned;

use super::endpoints::same_origin;
use super::error::{self, Need};
use super::pace::Pacer;
use super::retry::{Mode, RetryPolicy, RetrySettings};
use crate::backend::Error;

/// A response with a 2xx status.
#[derive(Debug)]
pub struct Reply {
    pub body: azure_core::Bytes,
}

/// The HTTP client of one service.
#[derive(Debug)]
pub struct Service {
    /// `Graph` or `ARM`, for messages.
    pub name: &'static str,
    origin: Url,
    read: Pipeline,
    write: Pipeline,
    pub settings: RetrySettings,
    /// Paces every try of both pipelines against the service's budgets (`pace`).
    pub pacer: Arc<Pacer>,
}

impl Service {
    /// A client for the service at `base`. `credential` is `None` only with `--auth none`
    /// (a loopback emulator), where no token is sent at all.
    pub fn new(
        name: &'static str,
        base: &str,
        credential: Option<Arc<dyn TokenCredential>>,
        scope: &str,
        settings: RetrySettings,
        transport: Option<Transport>,
        pacer: Arc<Pacer>,
    ) -> Result<Self, Error> {
        let origin = Url::parse(base)
            .map_err(|e| Error::Endpoint(format!("{name} URL {base}: not a URL ({e})")))?;
        let bearer: Option<Arc<dyn Policy>> = credential.as_ref().map(|c| {
            Arc::new(BearerTokenAuthorizationPolicy::new(c.clone(), [scope])) as Arc<dyn Policy>
        });
        let pipeline = |mode: Mode| {
            let retry: Arc<dyn Policy> = Arc::new(
                RetryPolicy::new(settings.clone(), mode, credential.is_some()).paced(pacer.clone()),
            );
            let options = ClientOptions {
                // credwise's policy replaces azure_core's (see `retry`).
                retry: RetryOptions::none(),
                transport: transport.clone(),
                ..Default::default()
            };
            Pipeline::new(
                Some("credwise"),
                Some(env!("CARGO_PKG_VERSION")),
                options,
                vec![retry],
                bearer.iter().cloned().collect(),
                None,
            )
        };
        Ok(Self {
            name,
            read: pipeline(Mode::Read),
            write: pipeline(Mode::Write),
            origin,
            settings,
            pacer,
        })
    }

    /// Sends one request and returns its 2xx reply, or the typed error.
    pub async fn send(
        &self,
        mode: Mode,
        method: Method,
        url: &str,
        headers: &[(&'static str, &str)],
        body: Option<&serde_json::Value>,
        need: Need,
    ) -> Result<Reply, Error> {
        let parsed = Url::parse(url).map_err(|e| Error::Decode {
            service: self.name,
            message: format!("bad URL {url:?}: {e}"),
        })?;
        let what = format!("{} {}", method, parsed.path());
        if !same_origin(&self.origin, &parsed) {
            return Err(Error::Decode {
                service: self.name,
                message: format!(
                    "a link points to {} instead of {}; not followed",
                    origin_of(&parsed),
                    origin_of(&self.origin)
                ),
            });
        }
        let mut request = Request::new(parsed, method);
        for (name, value) in headers {
            request.insert_header(*name, value.to_string());
        }
        if let Some(body) = body {
            request.insert_header("content-type", "application/json");
            let bytes = serde_json::to_vec(body).map_err(|e| Error::Decode {
                service: self.name,
                message: format!("cannot encode the request body: {e}"),
            })?;
            request.set_body(bytes);
        }
        let pipeline = match mode {
            Mode::Read => &self.read,
            Mode::Write => &self.write,
        };
        let options = PipelineSendOptions {
            skip_checks: true,
            ..Default::default()
        };
        let response = pipeline
            .send(&Context::new(), &mut request, Some(options))
            .await
            .map_err(|e| error::from_transport(self.name, &what, &e))?;
        let (status, headers, body) = response.deconstruct();
        let status = u16::from(status);
        let body = azure_core::Bytes::from(body);
        if !(200..300).contains(&status) {
            return Err(error::from_response(
                self.name, need, &what, status, &headers, &body,
            ));
        }
        Ok(Reply { body })
    }

    /// GETs `url` and decodes its JSON. A 2xx body that does not decode (a connection cut
    /// mid-body that still looked complete) is fetched again a few times before it becomes
    /// a `Decode` error: a read is safe to repeat, and a half page must never pass as a page.
    /// A body Graph broke off itself, with its error object appended (`page`), is the
    /// service's answer: a `Service` error naming the object, at once.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&'static str, &str)],
        need: Need,
    ) -> Result<T, Error> {
        self.read_json(Method::Get, url, headers, None, need).await
    }

    /// A read that is a POST (`$batch` of GETs, Resource Graph queries), decoded like
    /// `get_json`.
    pub async fn read_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        headers: &[(&'static str, &str)],
        body: Option<&serde_json::Value>,
        need: Need,
    ) -> Result<T, Error> {
        let mut attempt = 0;
        loop {
            let reply = self
                .send(Mode::Read, method, url, headers, body, need)
                .await?;
            let decoded = serde_json::from_slice::<T>(&reply.body);
            // Graph stopped writing and appended an error: the same bytes come back every
            // time, so this is the service's answer, not a cut to fetch again.
            if decoded.is_err()
                && let Some((_, e)) = super::page::in_stream_error(&reply.body)
            {
                return Err(self.in_stream(url, &e));
            }
            match decoded {
                Ok(v) => return Ok(v),
                Err(e) if attempt < DECODE_RETRIES => {
                    attempt += 1;
                    let _ = e;
                    tokio::time::sleep(self.settings.initial_delay).await;
                }
                Err(e) => {
                    return Err(self.decode_error(&reply, url, &e));
                }
            }
        }
    }

    /// The error for a 200 that Graph broke off with an in-stream error object: it names the
    /// object whose serialisation failed.
    pub fn in_stream(&self, url: &str, e: &super::page::InStreamError) -> Error {
        let path = Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        Error::Service {
            service: self.name,
            code: e.code.clone(),
            message: format!(
                "GET {path} answered 200 but broke off at {} with an error in the body: {}",
                e.object(),
                e.message
            ),
            request_id: if e.request_id.is_empty() {
                "none".into()
            } else {
                e.request_id.clone()
            },
        }
    }

    /// Decodes the JSON body of a write's reply.
    pub fn json<T: DeserializeOwned>(&self, reply: &Reply, url: &str) -> Result<T, Error> {
        serde_json::from_slice(&reply.body).map_err(|e| self.decode_error(reply, url, &e))
    }

    pub fn decode_error(&self, reply: &Reply, url: &str, e: &serde_json::Error) -> Error {
        let path = Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        let how = if e.is_eof() {
            "the body ends too early (cut off?)"
        } else {
            "the body is not the JSON the API documents"
        };
        // serde's message may quote a value from the body; the position is enough.
        Error::Decode {
            service: self.name,
            message: format!(
                "{path}: {how} (line {} column {}, {} bytes)",
                e.line(),
                e.column(),
                reply.body.len()
            ),
        }
    }
}

/// How often a read whose body did not decode is fetched again.
pub const DECODE_RETRIES: u32 = 2;

fn origin_of(u: &Url) -> String {
    match u.port() {
        Some(p) => format!("{}://{}:{p}", u.scheme(), u.host_str().unwrap_or("")),
        None => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")),
    }
}

/// A path segment with everything outside the unreserved set percent-encoded, so an id or a
/// name can never add a segment, a query or a fragment to a URL (the catalogue's rule).
pub fn segment(s: &str) -> String {
    crate::domain::calls::encode_segment(s)
}

/// An ARM resource id as a URL path: it must start with `/subscriptions/` (or be a
/// provider-level path) and each segment is encoded like `segment`; `..` is refused.
pub fn arm_path(id: &str) -> Result<String, Error> {
    let segments =
        crate::domain::calls::arm_segments(id).map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(segments
        .iter()
        .map(|s| format!("/{}", segment(s)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_escape() {
        assert_eq!(segment("0f1e-AB_c.d"), "0f1e-AB_c.d");
        assert_eq!(segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert_eq!(
            arm_path("/subscriptions/s1/resourceGroups/rg 1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1/").unwrap(),
            "/subscriptions/s1/resourceGroups/rg%201/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1"
        );
        for bad in [
            "",
            "subscriptions/s",
            "/subscriptions/s/../x",
            "/subscriptions//x",
            "https://evil/x",
        ] {
            assert!(arm_path(bad).is_err(), "{bad}");
        }
    }
}
