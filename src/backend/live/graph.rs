//! The Microsoft Graph client: the reads of a tenant crawl and the credential writes of a
//! migration, each a documented v1.0 call (reference §1–§3), beta only where v1.0 cannot say
//! it (flexible federated credentials).
//!
//! The crawl is shaped by Graph's limits: applications come with `$expand=
//! federatedIdentityCredentials` (complete, as an app has at most 20), minimal `$select`s
//! (a `$select` costs one resource unit less) and `$top=999`, so 20,000 applications are 21
//! requests; `@odata.nextLink` is followed verbatim; `$count` (with `ConsistencyLevel:
//! eventual`, which cannot be combined with `$expand`) only feeds progress totals, so its
//! failure costs nothing but the total. A v1.0 FIC with `subject: null` is a flexible one
//! whose expression only beta shows; those apps' FICs are re-read from beta through `$batch`
//! (20 per batch, a few batches in flight, items correlated by id because they come back in
//! any order, a throttled item re-submitted after its own `Retry-After`).
//!
//! May import the HTTP layer, the wire types and the domain.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use azure_core::http::Method;
use futures::StreamExt;
use serde::Deserialize;

use super::error::Need;
use super::http::{Service, segment};
use super::retry::{self, Mode};
use super::wire::{self, FicMatch, Me, Organization, Page, WireApp, WireFicItem, WireSp};
use crate::backend::import::{WirePassword, null_as_empty};
use crate::backend::{Error, OneTimeSecret, Progress, Warning};
use crate::domain::{
    Application, FederatedIdentityCredential, PasswordCredential, ServicePrincipal,
};

/// The properties of an application credwise shows; `keyCredentials` brings certificate
/// metadata (its `key` is null on lists).
const APP_SELECT: &str = "id,appId,displayName,signInAudience,publisherDomain,createdDateTime,\
                          passwordCredentials,keyCredentials";
/// The properties of a service principal credwise shows, for every type (enterprise apps,
/// managed identities — told apart by `alternativeNames` — legacy principals).
const SP_SELECT: &str = "id,appId,displayName,servicePrincipalType,alternativeNames,\
                         accountEnabled,appOwnerOrganizationId,passwordCredentials,\
                         keyCredentials,tags";
/// Graph's `$batch` limit.
pub const BATCH_SIZE: usize = 20;

const EVENTUAL: (&str, &str) = ("consistencylevel", "eventual");

/// The Graph client of one session.
#[derive(Debug)]
pub struct Graph {
    pub svc: Service,
    pub v1: String,
    pub beta: String,
    pub page_size: u32,
    pub batch_concurrency: usize,
}

/// A progress total that may arrive after the first pages (`$count` runs alongside them).
struct Total(AtomicU64);

impl Total {
    const UNKNOWN: u64 = u64::MAX;

    fn new() -> Self {
        Self(AtomicU64::new(Self::UNKNOWN))
    }

    fn set(&self, v: Option<u64>) {
        if let Some(v) = v {
            self.0.store(v, Ordering::Relaxed);
        }
    }

    fn get(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|v| *v != Self::UNKNOWN)
    }
}

impl Graph {
    /// The signed-in tenant (`GET /organization`); needs more than Application.Read.All for an
    /// application, so callers treat a failure as "unknown", not as an error.
    pub async fn organization(&self) -> Result<Organization, Error> {
        let url = format!("{}/organization?$select=id,displayName", self.v1);
        let page: Page<Organization> = self.svc.get_json(&url, &[], Need::GraphRead).await?;
        page.value.into_iter().next().ok_or_else(|| Error::Decode {
            service: self.svc.name,
            message: "/organization listed no tenant".into(),
        })
    }

    /// The signed-in user (`GET /me`); fails for applications and managed identities.
    pub async fn me(&self) -> Result<Me, Error> {
        let url = format!("{}/me?$select=id,displayName,userPrincipalName", self.v1);
        self.svc.get_json(&url, &[], Need::GraphRead).await
    }

    /// The size of a collection, for progress; `None` when Graph will not say.
    pub async fn count(&self, collection: &str) -> Option<u64> {
        let url = format!("{}/{collection}/$count", self.v1);
        let reply = self
            .svc
            .send(
                Mode::Read,
                Method::Get,
                &url,
                &[EVENTUAL],
                None,
                Need::GraphRead,
            )
            .await
            .ok()?;
        std::str::from_utf8(&reply.body).ok()?.trim().parse().ok()
    }

    /// Follows a Graph list from `first` to its last page, reporting progress per page.
    async fn pages<W, T>(
        &self,
        first: String,
        stage: &str,
        total: &Total,
        progress: &Progress,
        convert: impl Fn(W) -> T,
    ) -> Result<Vec<T>, Error>
    where
        W: serde::de::DeserializeOwned,
    {
        let mut out = Vec::new();
        let mut url = first;
        progress.report(stage, 0, total.get());
        loop {
            let page: Page<W> = self.svc.get_json(&url, &[], Need::GraphRead).await?;
            out.extend(page.value.into_iter().map(&convert));
            progress.report(stage, out.len() as u64, total.get());
            match page.next_link {
                // A link back to the same page would loop forever.
                Some(next) if next == url => {
                    return Err(Error::Decode {
                        service: self.svc.name,
                        message: format!("{stage}: the next page link repeats the current one"),
                    });
                }
                Some(next) => url = next,
                None => return Ok(out),
            }
        }
    }

    /// Every application with its secrets, certificates and (v1.0) federated credentials.
    pub async fn applications(&self, progress: &Progress) -> Result<Vec<Application>, Error> {
        let url = format!(
            "{}/applications?$select={APP_SELECT}&$expand=federatedIdentityCredentials&$top={}",
            self.v1, self.page_size
        );
        let total = Total::new();
        let (count, apps) = futures::join!(
            async { total.set(self.count("applications").await) },
            self.pages(url, "applications", &total, progress, |w: WireApp| w.0)
        );
        let () = count;
        let apps = apps?;
        progress.report("applications", apps.len() as u64, Some(apps.len() as u64));
        Ok(apps)
    }

    /// Every service principal, of every type.
    pub async fn service_principals(
        &self,
        progress: &Progress,
    ) -> Result<Vec<ServicePrincipal>, Error> {
        let url = format!(
            "{}/servicePrincipals?$select={SP_SELECT}&$top={}",
            self.v1, self.page_size
        );
        let total = Total::new();
        let (count, sps) = futures::join!(
            async { total.set(self.count("servicePrincipals").await) },
            self.pages(url, "service principals", &total, progress, |w: WireSp| {
                w.0
            })
        );
        let () = count;
        let sps = sps?;
        let n = sps.len() as u64;
        progress.report("service principals", n, Some(n));
        Ok(sps)
    }

    /// The beta view of the federated credentials of `apps` (object ids), for flexible FICs.
    /// Returns what was read, and a warning for the apps whose FICs could not be re-read
    /// (they keep their v1.0 form, without the expression).
    pub async fn flexible_fics(
        &self,
        apps: &[String],
        progress: &Progress,
    ) -> (
        HashMap<String, Vec<FederatedIdentityCredential>>,
        Option<Warning>,
    ) {
        const STAGE: &str = "federated credentials";
        let total = apps.len() as u64;
        let mut read: HashMap<String, Vec<FederatedIdentityCredential>> = HashMap::new();
        let mut failed: Vec<(String, String)> = Vec::new();
        let mut pending: Vec<String> = apps.to_vec();
        let mut waited = Duration::ZERO;
        let mut round = 0u32;
        progress.report(STAGE, 0, Some(total));
        while !pending.is_empty() {
            // Collected first: a stream over a borrowing closure would make this future
            // not `Send`.
            let batches: Vec<_> = pending
                .chunks(BATCH_SIZE)
                .map(|chunk| self.fic_batch(chunk.to_vec()))
                .collect();
            let outcomes: Vec<Vec<(String, Item)>> = futures::stream::iter(batches)
                .buffer_unordered(self.batch_concurrency.max(1))
                .collect()
                .await;
            let mut again = Vec::new();
            let mut delay: Option<Duration> = None;
            for (app, item) in outcomes.into_iter().flatten() {
                match item {
                    Item::Read(fics) => {
                        read.insert(app, fics);
                    }
                    Item::Retry(after) => {
                        delay = delay.max(Some(after.unwrap_or(self.svc.settings.initial_delay)));
                        again.push(app);
                    }
                    Item::Failed(why) => failed.push((app, why)),
                }
            }
            progress.report(STAGE, read.len() as u64, Some(total));
            pending = again;
            if pending.is_empty() {
                break;
            }
            // Graph counts requests made while throttled, so wait before re-submitting.
            let delay = delay.unwrap_or(self.svc.settings.initial_delay);
            round += 1;
            if round > self.svc.settings.max_retries
                || waited + delay > self.svc.settings.max_total_wait
            {
                failed.extend(
                    pending
                        .drain(..)
                        .map(|a| (a, "still throttled after retries".to_string())),
                );
                break;
            }
            waited += delay;
            tokio::time::sleep(delay).await;
        }
        let warning = failed.first().map(|(_, why)| Warning {
            area: STAGE.into(),
            message: format!(
                "the flexible federated credentials of {} application(s) could not be read \
                 from Graph beta ({why}); they are shown without their claims expression",
                failed.len()
            ),
        });
        (read, warning)
    }

    /// One `$batch` of beta FIC reads; each app's outcome.
    async fn fic_batch(&self, apps: Vec<String>) -> Vec<(String, Item)> {
        let requests: Vec<serde_json::Value> = apps
            .iter()
            .enumerate()
            .map(|(i, app)| {
                serde_json::json!({
                    "id": (i + 1).to_string(),
                    "method": "GET",
                    "url": format!("/applications/{}/federatedIdentityCredentials", segment(app)),
                })
            })
            .collect();
        let body = serde_json::json!({ "requests": requests });
        let url = format!("{}/$batch", self.beta);
        let response: wire::BatchResponse = match self
            .svc
            .read_json(Method::Post, &url, &[], Some(&body), Need::GraphRead)
            .await
        {
            Ok(r) => r,
            Err(Error::Throttled { retry_after_secs }) => {
                let after = Duration::from_secs(retry_after_secs);
                return apps
                    .into_iter()
                    .map(|a| (a, Item::Retry(Some(after))))
                    .collect();
            }
            Err(e) => {
                let why = e.to_string();
                return apps
                    .into_iter()
                    .map(|a| (a, Item::Failed(why.clone())))
                    .collect();
            }
        };
        let mut by_id: HashMap<String, wire::BatchItem> = response
            .responses
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        apps.into_iter()
            .enumerate()
            .map(|(i, app)| {
                let item = match by_id.remove(&(i + 1).to_string()) {
                    None => Item::Retry(None),
                    Some(r) => self.fic_item(r),
                };
                (app, item)
            })
            .collect()
    }

    fn fic_item(&self, r: wire::BatchItem) -> Item {
        match r.status {
            200..=299 => match serde_json::from_value::<Page<WireFicItem>>(r.body) {
                Ok(page) => Item::Read(page.value.into_iter().map(|f| f.0).collect()),
                Err(e) => Item::Failed(format!("unreadable batch item ({e})")),
            },
            429 | 503 | 504 => Item::Retry(retry::retry_after_in(&r.headers)),
            status => {
                let code = r
                    .body
                    .pointer("/error/code")
                    .and_then(|c| c.as_str())
                    .unwrap_or("");
                Item::Failed(crate::sanitize::display(&format!("HTTP {status} {code}")).into())
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Writes and single-object reads. `owner` is `/applications/{id}` or
    // `/servicePrincipals/{id}` (see `owner_path`).

    async fn write(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<super::http::Reply, Error> {
        self.svc
            .send(Mode::Write, method, url, &[], body, Need::GraphWrite)
            .await
    }

    /// `POST {owner}/addPassword`: Graph picks the keyId and the value; the value comes back
    /// once, as a `OneTimeSecret`.
    pub async fn add_password(
        &self,
        owner: &str,
        credential: &PasswordCredential,
    ) -> Result<(PasswordCredential, Option<OneTimeSecret>), Error> {
        let mut pc = serde_json::Map::new();
        if let Some(name) = &credential.display_name {
            pc.insert("displayName".into(), name.clone().into());
        }
        for (key, value) in [
            ("startDateTime", credential.start_date_time),
            ("endDateTime", credential.end_date_time),
        ] {
            if let Some(t) = value {
                pc.insert(key.into(), rfc3339(t)?.into());
            }
        }
        let body = serde_json::json!({ "passwordCredential": pc });
        let url = format!("{}{owner}/addPassword", self.v1);
        let reply = self.write(Method::Post, &url, Some(&body)).await?;
        let added: wire::AddedPassword = self.svc.json(&reply, &url)?;
        Ok(added.split())
    }

    pub async fn remove_password(&self, owner: &str, key_id: &str) -> Result<(), Error> {
        let body = serde_json::json!({ "keyId": key_id });
        let url = format!("{}{owner}/removePassword", self.v1);
        self.write(Method::Post, &url, Some(&body)).await.map(drop)
    }

    /// The secrets and certificates of one object (metadata; `key` stays null here).
    pub async fn credentials_of(&self, owner: &str) -> Result<Credentials, Error> {
        let url = format!(
            "{}{owner}?$select=id,passwordCredentials,keyCredentials",
            self.v1
        );
        let w: WireCredentials = self.svc.get_json(&url, &[], Need::GraphRead).await?;
        Ok(Credentials {
            passwords: w.password_credentials.into_iter().map(Into::into).collect(),
            key_ids: w
                .key_credentials
                .iter()
                .filter_map(|k| k.get("keyId").and_then(|v| v.as_str()).map(str::to_string))
                .collect(),
        })
    }

    /// The key credentials of one object with their `key` blobs, as Graph sent them: what a
    /// PATCH of `keyCredentials` must send back (it replaces the whole collection).
    pub async fn key_credentials(&self, owner: &str) -> Result<Vec<serde_json::Value>, Error> {
        let url = format!("{}{owner}?$select=keyCredentials", self.v1);
        let w: WireCredentials = self.svc.get_json(&url, &[], Need::GraphRead).await?;
        Ok(w.key_credentials)
    }

    pub async fn set_key_credentials(
        &self,
        owner: &str,
        keys: Vec<serde_json::Value>,
    ) -> Result<(), Error> {
        let body = serde_json::json!({ "keyCredentials": keys });
        let url = format!("{}{owner}", self.v1);
        self.write(Method::Patch, &url, Some(&body)).await.map(drop)
    }

    /// The federated credentials of an application (v1.0, or beta for expressions).
    pub async fn fics(
        &self,
        owner: &str,
        beta: bool,
    ) -> Result<Vec<FederatedIdentityCredential>, Error> {
        let base = if beta { &self.beta } else { &self.v1 };
        let url = format!("{base}{owner}/federatedIdentityCredentials");
        let page: Page<WireFicItem> = self.svc.get_json(&url, &[], Need::GraphRead).await?;
        Ok(page.value.into_iter().map(|f| f.0).collect())
    }

    /// One federated credential by name, read from beta when v1.0 hides its expression;
    /// `None` when it does not exist.
    pub async fn fic(
        &self,
        owner: &str,
        name: &str,
    ) -> Result<Option<FederatedIdentityCredential>, Error> {
        let mut fic = None;
        for base in [&self.v1, &self.beta] {
            let url = format!(
                "{base}{owner}/federatedIdentityCredentials/{}",
                segment(name)
            );
            match self
                .svc
                .get_json::<WireFicItem>(&url, &[], Need::GraphRead)
                .await
            {
                Ok(f) if f.0.subject.is_none() && f.0.claims_matching_expression.is_none() => {
                    fic = Some(f.0);
                }
                Ok(f) => return Ok(Some(f.0)),
                Err(Error::NotFound(_)) => return Ok(fic),
                Err(e) => return Err(e),
            }
        }
        Ok(fic)
    }

    /// Creates a federated credential; a flexible one (a claims expression) through beta,
    /// the only version that knows `claimsMatchingExpression`.
    pub async fn add_fic(
        &self,
        owner: &str,
        fic: &FederatedIdentityCredential,
    ) -> Result<(), Error> {
        let mut body = serde_json::json!({
            "name": fic.name,
            "issuer": fic.issuer,
            "audiences": fic.audiences,
        });
        if let Some(d) = &fic.description {
            body["description"] = d.clone().into();
        }
        let base = match FicMatch::of(fic)? {
            FicMatch::Subject(subject) => {
                body["subject"] = subject.into();
                &self.v1
            }
            FicMatch::Expression(expression) => {
                body["claimsMatchingExpression"] = FicMatch::expression_json(expression);
                &self.beta
            }
        };
        let url = format!("{base}{owner}/federatedIdentityCredentials");
        self.write(Method::Post, &url, Some(&body)).await.map(drop)
    }

    pub async fn delete_fic(&self, owner: &str, name: &str) -> Result<(), Error> {
        let url = format!(
            "{}{owner}/federatedIdentityCredentials/{}",
            self.v1,
            segment(name)
        );
        self.write(Method::Delete, &url, None).await.map(drop)
    }
}

/// The path of the object a credential change targets.
pub fn owner_path(collection: &str, id: &str) -> String {
    format!("/{collection}/{}", segment(id))
}

enum Item {
    Read(Vec<FederatedIdentityCredential>),
    Retry(Option<Duration>),
    Failed(String),
}

/// The credentials of one object.
pub struct Credentials {
    pub passwords: Vec<PasswordCredential>,
    pub key_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCredentials {
    #[serde(default, deserialize_with = "null_as_empty")]
    password_credentials: Vec<WirePassword>,
    /// Kept as Graph sent them, to be sent back whole by a PATCH.
    #[serde(default, deserialize_with = "null_as_empty")]
    key_credentials: Vec<serde_json::Value>,
}

fn rfc3339(t: crate::domain::Timestamp) -> Result<String, Error> {
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::Unavailable(format!("cannot write the date {t}: {e}")))
}
