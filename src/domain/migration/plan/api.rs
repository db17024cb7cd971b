//! The Graph and ARM requests of a plan's steps as text (`ApiCall`), rendered from the
//! catalogue of calls (`domain::calls`) that the live backend sends from, on the cloud's
//! public hosts.
//!
//! Pure; may import the rest of `domain`.

use serde::{Deserialize, Serialize};

use crate::domain::calls::{self, Hosts, Request};
use crate::domain::change::{Change, Check, Target};
use crate::domain::snapshot::Cloud;

/// One Graph or ARM request, as text for the user to read: method, URL and a summary of the
/// body, rendered from the catalogue (`domain::calls`) that the live backend sends from.
/// Never holds a secret (a new certificate shows as "the public certificate"). `read` and
/// `onlyWhen` are left out of JSON when they are empty, so plans journaled before them read
/// as they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCall {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A read made before the write: what it reads, and what for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    /// The case in which the request is sent, when it is not always ("when …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_when: Option<String>,
}

impl ApiCall {
    /// `request` on `hosts`; `existing_keys` is how many certificates a certificate PATCH
    /// sends back, when it is known.
    pub fn from_request(request: &Request, hosts: &Hosts, existing_keys: Option<usize>) -> Self {
        Self {
            method: request.method.as_str().to_string(),
            url: request.url(hosts),
            body: request.body_text(existing_keys),
            read: request.read_for.map(str::to_string),
            only_when: request.only_when.map(|w| w.words().to_string()),
        }
    }

    /// `POST https://…  {body}` on one line, then what a read is for and when the request
    /// is sent, if not always.
    pub fn line(&self) -> String {
        let mut s = format!("{} {}", self.method, self.url);
        if let Some(b) = &self.body {
            s.push_str("  ");
            s.push_str(b);
        }
        if let Some(r) = &self.read {
            s.push_str(&format!("  (read: {r})"));
        }
        if let Some(w) = &self.only_when {
            s.push_str(&format!(" (only {w})"));
        }
        s
    }
}

/// The requests that make `change`, from the catalogue, on the cloud's public hosts;
/// `existing_keys` is the number of certificates the target holds before it (a certificate
/// is added by PATCHing the whole list). A change the catalogue refuses (a secret on a
/// managed identity) has none: no backend can make it, and the plan's preview refuses it.
pub fn api_calls(change: &Change, cloud: Cloud, existing_keys: usize) -> Vec<ApiCall> {
    rendered(calls::change(change), cloud, Some(existing_keys))
}

/// The reads of what `target` can still sign in with, which a run makes before every
/// secret removal (the lockout rule), from the catalogue.
pub fn lockout_calls(target: &Target, cloud: Cloud) -> Vec<ApiCall> {
    rendered(
        calls::credentials(target).map(|c| c.requests().into_iter().cloned().collect()),
        cloud,
        None,
    )
}

/// The reads that answer `check`, from the catalogue.
pub fn check_calls(check: &Check, cloud: Cloud) -> Vec<ApiCall> {
    rendered(calls::check(check), cloud, None)
}

fn rendered(
    requests: Result<Vec<Request>, calls::Refused>,
    cloud: Cloud,
    existing_keys: Option<usize>,
) -> Vec<ApiCall> {
    let hosts = Hosts::public(cloud);
    requests
        .unwrap_or_default()
        .iter()
        .map(|r| ApiCall::from_request(r, &hosts, existing_keys))
        .collect()
}
