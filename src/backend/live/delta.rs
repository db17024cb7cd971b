//! Incremental refresh through Graph's delta queries (`/applications/delta`,
//! `/servicePrincipals/delta`; concepts/delta-query-overview.md):
//!
//! - a full load asks each list for a delta link "from now" (`$deltaToken=latest`, two
//!   requests, taken before the lists are read, so a change made during the crawl is
//!   reported again by the next refresh — a replay the merge absorbs);
//! - a refresh follows both links to the end of their rounds, with the same `$select` the
//!   crawl uses (kept in the links), and merges what they report into the cached tenant
//!   property by property (`domain::delta`: objects may come back partial);
//! - federated credentials are a navigation property, which delta does not track: the
//!   applications a round reports as added or changed have theirs read again from beta
//!   (`$batch`), and a sweep (`LiveBackend::sweep`) re-reads every application's and the
//!   Azure part in the background;
//! - a delta link that expired (seven days for directory objects) or that Graph reset —
//!   410 Gone, `syncStateNotFound` or `resyncRequired` — makes the refresh a full load.
//!
//! May import the Graph client, the wire types and the domain.

use serde::Deserialize;

use super::error::Need;
use super::graph::Graph;
use super::http::Service;
use super::page::Rejected;
use super::retry::Mode;
use crate::backend::Error;
use crate::backend::wire::{Checked, WireApplication, WireServicePrincipal};
use crate::domain::delta::{DeltaItem, Field, Fields};
use crate::domain::{Application, ServicePrincipal};
use azure_core::http::Method;

#[derive(Deserialize)]
struct DeltaPage {
    #[serde(default)]
    value: Vec<serde_json::Value>,
    #[serde(default, rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(default, rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

/// What a delta round found.
pub struct Round<T> {
    pub items: Vec<DeltaItem<T>>,
    /// Where the next round starts.
    pub link: String,
    pub rejected: Vec<Rejected>,
}

/// How a round ended.
pub enum Outcome<T> {
    Round(Round<T>),
    /// The link expired or was reset: only a full load brings the tenant up to date.
    Expired(String),
}

/// An object delta reports, read from its JSON.
pub trait FromDelta: Sized {
    /// JSON property → the field it is.
    const FIELDS: &'static [(&'static str, Field)];
    fn convert(v: serde_json::Value) -> Result<Self, String>;
}

impl FromDelta for Application {
    const FIELDS: &'static [(&'static str, Field)] = &[
        ("appId", Field::AppId),
        ("displayName", Field::DisplayName),
        ("signInAudience", Field::SignInAudience),
        ("publisherDomain", Field::PublisherDomain),
        ("createdDateTime", Field::CreatedDateTime),
        ("passwordCredentials", Field::PasswordCredentials),
        ("keyCredentials", Field::KeyCredentials),
        ("@odata.type", Field::ODataType),
    ];

    fn convert(v: serde_json::Value) -> Result<Self, String> {
        serde_json::from_value::<Checked<Application, WireApplication>>(v)
            .map(|c| c.0)
            .map_err(|e| crate::backend::wire::redact_strings(&e.to_string()))
    }
}

impl FromDelta for ServicePrincipal {
    const FIELDS: &'static [(&'static str, Field)] = &[
        ("appId", Field::AppId),
        ("displayName", Field::DisplayName),
        ("servicePrincipalType", Field::ServicePrincipalType),
        ("alternativeNames", Field::AlternativeNames),
        ("accountEnabled", Field::AccountEnabled),
        ("appOwnerOrganizationId", Field::AppOwnerOrganizationId),
        ("passwordCredentials", Field::PasswordCredentials),
        ("keyCredentials", Field::KeyCredentials),
        ("tags", Field::Tags),
        ("@odata.type", Field::ODataType),
    ];

    fn convert(v: serde_json::Value) -> Result<Self, String> {
        serde_json::from_value::<Checked<ServicePrincipal, WireServicePrincipal>>(v)
            .map(|c| c.0)
            .map_err(|e| crate::backend::wire::redact_strings(&e.to_string()))
    }
}

/// One object of a delta page as a merge item; `Err` names an object that does not fit.
fn item<T: FromDelta>(v: serde_json::Value) -> Result<DeltaItem<T>, Rejected> {
    let raw = serde_json::to_vec(&v).unwrap_or_default();
    let id = v.get("id").and_then(|i| i.as_str()).map(str::to_string);
    if v.get("@removed").is_some() {
        return id.map(DeltaItem::Removed).ok_or_else(|| Rejected {
            object: super::page::name_of(&raw),
            why: "a removed object without an id".into(),
        });
    }
    let fields = match v.as_object() {
        Some(o) => T::FIELDS
            .iter()
            .filter(|(k, _)| o.contains_key(*k))
            .fold(Fields::NONE, |f, (_, field)| f.with(*field)),
        None => Fields::NONE,
    };
    T::convert(v)
        .map(|object| DeltaItem::Changed { object, fields })
        .map_err(|why| Rejected {
            object: super::page::name_of(&raw),
            why,
        })
}

/// Whether an error says the delta link can no longer be used (module docs).
pub fn expired(e: &Error) -> bool {
    match e {
        Error::Service { code, message, .. } => {
            let code = code.to_ascii_lowercase();
            code.contains("syncstatenotfound")
                || code.contains("resyncrequired")
                || message.contains("HTTP 410")
        }
        _ => false,
    }
}

impl Graph {
    /// A delta link "from now" for `collection` with `select` (`$deltaToken=latest`);
    /// `Ok(None)` when Graph will not give one (the refresh then loads in full).
    pub async fn delta_link_now(
        &self,
        collection: &str,
        select: &str,
    ) -> Result<Option<String>, Error> {
        let url = format!(
            "{}/{collection}/delta?$select={select}&$deltatoken=latest",
            self.v1
        );
        match self
            .svc
            .get_json::<DeltaPage>(&url, &[], Need::GraphRead)
            .await
        {
            Ok(page) => Ok(page.delta_link),
            Err(e @ (Error::Network(_) | Error::Throttled { .. } | Error::Cancelled)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// Follows a delta link to the end of its round.
    pub async fn delta_round<T: FromDelta>(&self, link: &str) -> Result<Outcome<T>, Error> {
        let mut url = link.to_string();
        let mut items = Vec::new();
        let mut rejected = Vec::new();
        loop {
            let page = match delta_page(&self.svc, &url).await {
                Ok(p) => p,
                Err(e) if expired(&e) => return Ok(Outcome::Expired(e.to_string())),
                Err(e) => return Err(e),
            };
            for v in page.value {
                match item::<T>(v) {
                    Ok(i) => items.push(i),
                    Err(r) => rejected.push(r),
                }
            }
            match (page.next_link, page.delta_link) {
                (Some(next), _) if next == url => {
                    return Err(Error::Decode {
                        service: self.svc.name,
                        message: "a delta page links to itself".into(),
                    });
                }
                (Some(next), _) => url = next,
                (None, Some(link)) => {
                    return Ok(Outcome::Round(Round {
                        items,
                        link,
                        rejected,
                    }));
                }
                (None, None) => {
                    return Err(Error::Decode {
                        service: self.svc.name,
                        message: "a delta round ended without a delta link".into(),
                    });
                }
            }
        }
    }
}

async fn delta_page(svc: &Service, url: &str) -> Result<DeltaPage, Error> {
    let reply = svc
        .send(Mode::Read, Method::Get, url, &[], None, Need::GraphRead)
        .await?;
    serde_json::from_slice(&reply.body).map_err(|e| svc.decode_error(&reply, url, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_objects_say_which_fields_they_carry() {
        let v = serde_json::json!({"id": "a1", "displayName": "new name"});
        let Ok(DeltaItem::Changed { object, fields }) = item::<Application>(v) else {
            panic!("not a change")
        };
        assert_eq!(object.display_name, "new name");
        assert!(fields.has(Field::DisplayName));
        assert!(!fields.has(Field::PasswordCredentials) && !fields.has(Field::AppId));
        let v = serde_json::json!({"id": "s1", "@removed": {"reason": "changed"}});
        assert_eq!(
            item::<ServicePrincipal>(v).unwrap(),
            DeltaItem::Removed("s1".into())
        );
        assert!(item::<Application>(serde_json::json!({"@removed": {}})).is_err());
    }
}
