//! The Microsoft Graph client: the reads of a tenant crawl and the credential writes of a
//! migration, each a documented v1.0 call (reference §1–§3), beta only where v1.0 cannot say
//! it: federated identity credentials, which v1.0 cannot even serialise when one is flexible.
//!
//! **Why the crawl is three lists.** Graph v1.0 declares a FIC's `subject` non-nullable and
//! has no `claimsMatchingExpression`; a list that holds a flexible FIC is answered 200 with
//! the JSON cut off after that FIC's `issuer` and an error object appended (`page`), and the
//! page's `@odata.nextLink` is never written — nothing after it can be read from v1.0. Beta
//! serialises FICs whole. And `$expand` caps a page at 100 objects whatever `$top` says
//! (microsoftgraph/microsoft-graph-docs#21506, "confirmed with Dev from code"), while an
//! application list that `$select`s `keyCredentials` is limited to 150 requests per minute
//! per tenant (application-list docs). For A applications, page size P = 999 and the
//! `$expand` cap E = 100, the options cost:
//!
//! | option | requests | why not / why |
//! | --- | --- | --- |
//! | v1.0 `$expand=federatedIdentityCredentials` | ⌈A/E⌉ | one flexible FIC ends the crawl |
//! | beta `$expand`, every property from beta | ⌈A/E⌉ | every page `$select`s `keyCredentials`: 200 pages for 20,000 apps overrun the 150/min cap; and every property would come from beta |
//! | v1.0 list + each app's FICs by beta `$batch` | ⌈A/P⌉ + ⌈A/20⌉ | Graph counts each batch item: A requests against the throttling budget |
//! | **v1.0 list (`$select`, no `$expand`) + beta `$select=id&$expand`** | **⌈A/P⌉ + ⌈A/E⌉** | chosen: 21 + 200 for 20,000 apps, 10 % more than beta alone, but only the 21 v1.0 pages select `keyCredentials`, every property but FICs comes from v1.0, and the two lists run at once, so the crawl takes no longer than the `$expand` chain |
//!
//! The two application lists are joined by object id. An app the beta list does not have
//! (created meanwhile, or after a beta page broke off) gets its FICs read alone, through beta
//! `$batch` (20 per batch, a few in flight, items correlated by id because they come back in
//! any order, a throttled item re-submitted after its own `Retry-After`); an app only beta
//! listed (created or deleted meanwhile) is left out with a warning naming it. Service
//! principals are the third list, `$select` and `$top=999`. `$count` (with `ConsistencyLevel:
//! eventual`, which `$expand` excludes) only feeds progress totals.
//!
//! **What never fails a load:** an object that does not fit the documented shape (skipped,
//! named in a warning); an `appId` that is null (kept); a type credwise has not seen (kept as
//! it came); a `$skiptoken` that expired mid-list (`Directory_ExpiredPageToken`,
//! `DirectoryPageTokenNotFoundException`, "Token not found: token is either invalid or
//! expired"): that list starts again from its first page, once — a second expiry is an error
//! that says so. A v1.0 list that Graph breaks off is an error naming the object, as nothing
//! after it can be read.
//!
//! May import the HTTP layer, the page decoder, the wire types and the domain.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use azure_core::http::Method;
use futures::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::crawl::{Created, PartitionSettings, SpPart, Stage, offer, sp_partitions};
use super::error::Need;
use super::http::{DECODE_RETRIES, Service, segment};
use super::page::{self, InStreamError, Lenient, Rejected};
use super::retry::{self, Mode};
use super::wire::{self, Me, Organization, Page};
use crate::backend::wire::{
    Checked, WireApplication, WireFic, WireServicePrincipal, null_as_empty,
};
use crate::backend::{Area, Arrived, Error, Progress, Warning};
use crate::domain::{Application, FederatedIdentityCredential, ServicePrincipal, Timestamp};

/// The properties of an application credwise shows; `keyCredentials` brings certificate
/// metadata (its `key` is null on lists).
pub const APP_SELECT: &str = "id,appId,displayName,signInAudience,publisherDomain,createdDateTime,\
                          passwordCredentials,keyCredentials";
/// The properties of a service principal credwise shows, for every type (enterprise apps,
/// managed identities — told apart by `alternativeNames` — legacy principals, agent
/// identities).
pub const SP_SELECT: &str = "id,appId,displayName,servicePrincipalType,alternativeNames,\
                         accountEnabled,appOwnerOrganizationId,passwordCredentials,\
                         keyCredentials,tags";
/// Graph's `$batch` limit.
pub const BATCH_SIZE: usize = 20;
/// Graph's page size for a list with `$expand`, whatever `$top` asks (see the module docs).
pub const EXPAND_PAGE: u32 = 100;
/// How often one list may start again after its page token expired.
const RESTARTS: u32 = 1;
/// The agent identity list's page: "The default and maximum page size is 100"
/// (v1.0/api/agentidentity-list.md).
const AGENT_PAGE: u32 = 100;

const EVENTUAL: (&str, &str) = ("consistencylevel", "eventual");

const FIC_STAGE: &str = "federated credentials";

/// The Graph client of one session.
#[derive(Debug)]
pub struct Graph {
    pub svc: Service,
    pub v1: String,
    pub beta: String,
    pub page_size: u32,
    pub batch_concurrency: usize,
    /// When lists are split into partitions (`crawl`).
    pub partitions: PartitionSettings,
}

/// A progress total that may arrive after the first pages (`$count` runs alongside them).
pub struct Total(AtomicU64);

impl Total {
    const UNKNOWN: u64 = u64::MAX;

    pub fn new() -> Self {
        Self(AtomicU64::new(Self::UNKNOWN))
    }

    pub fn set(&self, v: Option<u64>) {
        if let Some(v) = v {
            self.0.store(v, Ordering::Relaxed);
        }
    }

    pub fn get(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|v| *v != Self::UNKNOWN)
    }
}

/// What one list read: its objects, the ones left out, and where Graph broke it off.
pub struct Listed<T> {
    pub items: Vec<T>,
    pub rejected: Vec<Rejected>,
    pub broken: Option<InStreamError>,
}

/// The Graph side of a tenant.
#[derive(Debug)]
pub struct Crawled {
    pub applications: Vec<Application>,
    pub service_principals: Vec<ServicePrincipal>,
    /// What was left out or could not be read, each naming the objects.
    pub warnings: Vec<Warning>,
}

/// One application's federated credentials as the beta list gives them.
#[derive(Clone)]
pub struct AppFics {
    pub id: String,
    pub fics: Vec<FederatedIdentityCredential>,
    pub rejected: Vec<Rejected>,
}

/// `{"id": …, "federatedIdentityCredentials": […]}`: each FIC is converted on its own, so
/// one that does not fit costs only itself.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAppFics {
    id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    federated_identity_credentials: Vec<serde_json::Value>,
}

impl TryFrom<WireAppFics> for AppFics {
    type Error = String;

    fn try_from(w: WireAppFics) -> Result<Self, String> {
        let owner = format!("application {}", w.id);
        let (fics, rejected) = fics_leniently(w.federated_identity_credentials, &owner);
        Ok(Self {
            id: w.id,
            fics,
            rejected,
        })
    }
}

/// The FICs among `values` that convert, and a `Rejected` naming each that does not.
fn fics_leniently(
    values: Vec<serde_json::Value>,
    owner: &str,
) -> (Vec<FederatedIdentityCredential>, Vec<Rejected>) {
    let mut fics = Vec::with_capacity(values.len());
    let mut rejected = Vec::new();
    for v in values {
        let raw = serde_json::to_vec(&v).unwrap_or_default();
        match serde_json::from_value::<Checked<FederatedIdentityCredential, WireFic>>(v) {
            Ok(f) => fics.push(f.0),
            Err(e) => rejected.push(Rejected {
                object: format!("federated credential {} of {owner}", page::name_of(&raw)),
                why: crate::backend::wire::redact_strings(&e.to_string()),
            }),
        }
    }
    (fics, rejected)
}

/// Whether a failed page request says its `$skiptoken` expired (Graph keeps page tokens for
/// minutes): `Directory_ExpiredPageToken` (400), `DirectoryPageTokenNotFoundException`, or the
/// message "Token not found: token is either invalid or expired" with an empty code.
fn expired_page_token(e: &Error) -> bool {
    let (code, message) = match e {
        Error::Service { code, message, .. } => (code.as_str(), message.as_str()),
        Error::NotFound(message) => ("", message.as_str()),
        _ => return false,
    };
    let code = code.to_ascii_lowercase();
    code.contains("expiredpagetoken")
        || code.contains("pagetokennotfound")
        || message.contains("token is either invalid or expired")
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

    /// The size of a collection, for progress and partitions; `Ok(None)` when Graph will
    /// not say (a tenant without advanced queries), an error when the network or the
    /// service failed (the lists would fail the same way: the load fails now, not after
    /// another transport budget).
    pub async fn count(&self, collection: &str) -> Result<Option<u64>, Error> {
        self.count_url(&format!("{}/{collection}/$count", self.v1))
            .await
    }

    /// A `$count` answer (plain text, advanced query only); see `count`.
    pub async fn count_url(&self, url: &str) -> Result<Option<u64>, Error> {
        let reply = match self
            .svc
            .send(
                Mode::Read,
                Method::Get,
                url,
                &[EVENTUAL],
                None,
                Need::GraphRead,
            )
            .await
        {
            Ok(r) => r,
            Err(e @ (Error::Network(_) | Error::Throttled { .. } | Error::Cancelled)) => {
                return Err(e);
            }
            Err(_) => return Ok(None),
        };
        Ok(std::str::from_utf8(&reply.body)
            .ok()
            .and_then(|t| t.trim().parse().ok()))
    }

    /// One page, read leniently. A body that is not a page (or was cut short without
    /// Graph's error object) is fetched again a few times: a read is safe to repeat.
    async fn page<W, T>(
        &self,
        url: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<Lenient<T>, Error>
    where
        W: DeserializeOwned + TryInto<T, Error = String>,
    {
        let mut attempt = 0;
        loop {
            let reply = self
                .svc
                .send(Mode::Read, Method::Get, url, headers, None, Need::GraphRead)
                .await?;
            if let Some(page) = page::decode::<W, T>(&reply.body, "value") {
                return Ok(page);
            }
            if attempt >= DECODE_RETRIES {
                return Err(
                    match serde_json::from_slice::<Page<serde::de::IgnoredAny>>(&reply.body) {
                        Err(e) => self.svc.decode_error(&reply, url, &e),
                        Ok(_) => Error::Decode {
                            service: self.svc.name,
                            message: format!("{url}: the page could not be read"),
                        },
                    },
                );
            }
            attempt += 1;
            tokio::time::sleep(self.svc.settings.initial_delay).await;
        }
    }

    /// Follows a Graph list from `first` to its last page, counting each page into `stage`
    /// and handing it to `sink`. A page token that expires starts the list again from
    /// `first` (the objects read so far are dropped and uncounted, so none is counted
    /// twice), at most `RESTARTS` times. `headers` go with every page (advanced queries need
    /// theirs again on each: "Headers such as ConsistencyLevel are not carried").
    pub async fn list<W, T>(
        &self,
        first: &str,
        stage: &Stage<'_>,
        sink: &(dyn Fn(&[T]) + Send + Sync),
    ) -> Result<Listed<T>, Error>
    where
        W: DeserializeOwned + TryInto<T, Error = String>,
    {
        let headers: &[(&'static str, &str)] = if first.contains("$count=true") {
            &[EVENTUAL]
        } else {
            &[]
        };
        let mut restarts = 0;
        'stream: loop {
            let mut out = Listed {
                items: Vec::new(),
                rejected: Vec::new(),
                broken: None,
            };
            let mut url = first.to_string();
            loop {
                let page = match self.page::<W, T>(&url, headers).await {
                    Ok(page) => page,
                    Err(e) if url != first && expired_page_token(&e) => {
                        if restarts < RESTARTS {
                            restarts += 1;
                            stage.sub(out.items.len() as u64);
                            continue 'stream;
                        }
                        return Err(e.explained(|| {
                            format!(
                                " — the {} list's page token expired again after the list \
                                 started over; Graph keeps page tokens for minutes only: try \
                                 again",
                                stage.name
                            )
                        }));
                    }
                    Err(e) => return Err(e),
                };
                sink(&page.items);
                stage.add(page.items.len() as u64);
                out.items.extend(page.items);
                out.rejected.extend(page.rejected);
                if page.broken.is_some() {
                    out.broken = page.broken;
                    return Ok(out);
                }
                match page.next_link {
                    // A link back to the same page would loop forever.
                    Some(next) if next == url => {
                        return Err(Error::Decode {
                            service: self.svc.name,
                            message: format!(
                                "{}: the next page link repeats the current one",
                                stage.name
                            ),
                        });
                    }
                    Some(next) => url = next,
                    None => return Ok(out),
                }
            }
        }
    }

    /// A v1.0 list's objects; a list Graph broke off is an error naming the object, since
    /// the page's next link was never written.
    fn complete<T>(
        &self,
        listed: Listed<T>,
        stage: &str,
        url: &str,
    ) -> Result<(Vec<T>, Vec<Rejected>), Error> {
        match listed.broken {
            Some(b) => Err(self
                .svc
                .in_stream(url, &b)
                .explained(|| format!("; the {stage} after it cannot be read from Graph v1.0"))),
            None => Ok((listed.items, listed.rejected)),
        }
    }

    /// The first page of a service principal partition.
    fn sp_url(&self, part: &SpPart) -> String {
        let filter = part
            .filter()
            .map(|f| format!("&$filter={f}"))
            .unwrap_or_default();
        match part {
            SpPart::Agents => format!(
                "{}/servicePrincipals/microsoft.graph.agentIdentity?$select={SP_SELECT}&$top={AGENT_PAGE}",
                self.v1
            ),
            _ => format!(
                "{}/servicePrincipals?$select={SP_SELECT}&$top={}{filter}",
                self.v1, self.page_size
            ),
        }
    }

    /// The first page of an application partition (v1.0, `$select`, no `$expand`).
    fn app_url(&self, part: &Created) -> String {
        let filter = part
            .filter()
            .map(|f| format!("&$filter={f}"))
            .unwrap_or_default();
        // `eq null` is an advanced query: `$count=true` (and the header, which `list` adds).
        let advanced = if part.advanced() { "&$count=true" } else { "" };
        format!(
            "{}/applications?$select={APP_SELECT}&$top={}{filter}{advanced}",
            self.v1, self.page_size
        )
    }

    /// The first page of an application partition's federated credentials (beta, `$expand`,
    /// pages of 100).
    pub fn fic_url(&self, part: &Created) -> String {
        let filter = part
            .filter()
            .map(|f| format!("&$filter={f}"))
            .unwrap_or_default();
        format!(
            "{}/applications?$select=id&$expand=federatedIdentityCredentials&$top={}{filter}",
            self.beta,
            self.page_size.min(EXPAND_PAGE)
        )
    }

    /// The Graph side of a tenant: applications (v1.0) with their federated credentials
    /// (beta), and service principals (v1.0), each list split into partitions followed at
    /// once (`crawl`), the three lists at once (see the module docs). `now` bounds the
    /// application ranges.
    pub async fn crawl(&self, progress: &Progress, now: Timestamp) -> Result<Crawled, Error> {
        let (app_total, sp_total) = (Total::new(), Total::new());
        let stage = |name: &'static str, total| Stage {
            name,
            done: AtomicU64::new(0),
            total,
            progress,
        };
        let (app_stage, fic_stage, sp_stage) = (
            stage("applications", &app_total),
            stage(FIC_STAGE, &app_total),
            stage("service principals", &sp_total),
        );
        let sp_sink = |items: &[ServicePrincipal]| {
            offer(progress, items, Arrived::ServicePrincipals);
        };
        let app_sink = |items: &[Application]| {
            offer(progress, items, Arrived::Applications);
        };
        let fic_sink = |items: &[AppFics]| {
            if progress.wants_pages() && !items.is_empty() {
                progress.arrived(Arrived::FederatedCredentials(
                    items
                        .iter()
                        .map(|a| (a.id.clone(), a.fics.clone()))
                        .collect(),
                ));
            }
        };
        let sps_part = async {
            let n = self.count("servicePrincipals").await?;
            sp_total.set(n);
            progress.report(sp_stage.name, 0, n);
            let parts = sp_partitions(n, &self.partitions);
            let firsts: Vec<String> = parts.iter().map(|p| self.sp_url(p)).collect();
            let results = self
                .follow_all::<WireServicePrincipal, ServicePrincipal>(
                    firsts.clone(),
                    &sp_stage,
                    &sp_sink,
                )
                .await;
            Ok::<_, Error>((firsts, results, n))
        };
        let apps_part = async {
            let n = self.count("applications").await?;
            app_total.set(n);
            progress.report(app_stage.name, 0, n);
            progress.report(fic_stage.name, 0, n);
            let parts = match n {
                Some(n) if n >= self.partitions.min_objects => {
                    self.plan_app_ranges(self.partitions.app_range_target, now)
                        .await?
                }
                _ => vec![Created::All],
            };
            let v1: Vec<String> = parts.iter().map(|p| self.app_url(p)).collect();
            let beta: Vec<String> = parts
                .iter()
                .filter(|p| !p.advanced())
                .map(|p| self.fic_url(p))
                .collect();
            let (apps, fics) = futures::join!(
                self.follow_all::<WireApplication, Application>(v1.clone(), &app_stage, &app_sink),
                self.follow_all::<WireAppFics, AppFics>(beta, &fic_stage, &fic_sink),
            );
            Ok::<_, Error>((v1, apps, fics, n))
        };
        let ((sp_urls, sp_results, sp_count), (app_urls, app_results, fic_results, app_count)) =
            futures::try_join!(sps_part, apps_part)?;

        // What Graph broke off ends the load, naming the page (a look at each partition);
        // the lists are then joined on a blocking thread: joining, matching the federated
        // credentials to their applications and naming what was left out are O(tenant), and
        // an async thread held that long stalls the timers and sockets everything else (the
        // explorer's frames among them) waits on.
        let mut app_lists = Vec::with_capacity(app_urls.len());
        for (url, r) in app_urls.iter().zip(app_results) {
            app_lists.push(self.complete(r?, "applications", url)?);
        }
        let mut sp_lists = Vec::with_capacity(sp_urls.len());
        for (url, r) in sp_urls.iter().zip(sp_results) {
            sp_lists.push(self.complete(r?, "service principals", url)?);
        }
        let fic_lists = fic_results.into_iter().collect::<Result<Vec<_>, _>>()?;
        let Joined {
            mut applications,
            service_principals,
            mut warnings,
            mut fic_rejected,
            missing,
        } = blocking(move || join_lists(app_lists, sp_lists, fic_lists, app_count, sp_count))
            .await?;
        let n = applications.len() as u64;
        progress.report("applications", n, Some(n));
        let s = service_principals.len() as u64;
        progress.report("service principals", s, Some(s));
        if !missing.is_empty() {
            let (read, failed, rejected) = self.fics_of(&missing, progress).await?;
            fic_rejected.extend(rejected);
            let (apps, warning) = blocking(move || {
                let warning = fill_missing(&mut applications, read, &failed);
                (applications, warning)
            })
            .await?;
            applications = apps;
            warnings.extend(warning);
        }
        warnings.extend(rejected_warning(Area::FederatedCredentials, fic_rejected));
        let f = applications
            .iter()
            .map(|a| a.federated_identity_credentials.len() as u64)
            .sum();
        progress.report(FIC_STAGE, f, Some(f));
        Ok(Crawled {
            applications,
            service_principals,
            warnings,
        })
    }
}

/// Runs O(tenant) work on a blocking thread (see `crawl`).
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Unavailable(format!("the load stopped: {e}")))
}

/// The lists of a crawl joined: its partitions' pages, and each application with the
/// federated credentials the beta list gave it.
struct Joined {
    applications: Vec<Application>,
    service_principals: Vec<ServicePrincipal>,
    warnings: Vec<Warning>,
    fic_rejected: Vec<Rejected>,
    /// Applications the beta list missed: their federated credentials are read alone.
    missing: Vec<String>,
}

/// Joins a crawl's lists (pure, O(tenant): called on a blocking thread).
fn join_lists(
    app_lists: Vec<(Vec<Application>, Vec<Rejected>)>,
    sp_lists: Vec<(Vec<ServicePrincipal>, Vec<Rejected>)>,
    fic_lists: Vec<Listed<AppFics>>,
    app_count: Option<u64>,
    sp_count: Option<u64>,
) -> Joined {
    let mut applications = Vec::new();
    let mut app_rejected = Vec::new();
    for (items, rejected) in app_lists {
        applications.extend(items);
        app_rejected.extend(rejected);
    }
    let mut service_principals = Vec::new();
    let mut sp_rejected = Vec::new();
    for (items, rejected) in sp_lists {
        service_principals.extend(items);
        sp_rejected.extend(rejected);
    }
    let mut fics = Listed {
        items: Vec::new(),
        rejected: Vec::new(),
        broken: None,
    };
    for part in fic_lists {
        fics.items.extend(part.items);
        fics.rejected.extend(part.rejected);
        if fics.broken.is_none() {
            fics.broken = part.broken;
        }
    }
    let mut warnings = Vec::new();
    warnings.extend(union_warning(
        Area::Applications,
        applications.len() as u64 + app_rejected.len() as u64,
        app_count,
    ));
    warnings.extend(union_warning(
        Area::ServicePrincipals,
        service_principals.len() as u64 + sp_rejected.len() as u64,
        sp_count,
    ));
    warnings.extend(rejected_warning(Area::Applications, app_rejected));
    warnings.extend(rejected_warning(Area::ServicePrincipals, sp_rejected));
    let mut fic_rejected = fics.rejected;
    if let Some(b) = &fics.broken {
        warnings.push(Warning {
            area: Area::FederatedCredentials,
            message: format!(
                "Graph beta broke off the federated-credential list at {} ({}: {}); the \
                 federated credentials of the applications after it are read one by one",
                b.object(),
                b.code,
                b.message
            ),
        });
    }
    let mut by_id: HashMap<String, Vec<FederatedIdentityCredential>> =
        HashMap::with_capacity(fics.items.len());
    for app in fics.items {
        fic_rejected.extend(app.rejected);
        by_id.insert(app.id.to_ascii_lowercase(), app.fics);
    }
    let mut missing = Vec::new();
    for app in &mut applications {
        match by_id.remove(&app.id.to_ascii_lowercase()) {
            Some(list) => app.federated_identity_credentials = list,
            None => missing.push(app.id.clone()),
        }
    }
    if !by_id.is_empty() {
        let mut only_beta: Vec<String> = by_id.into_keys().collect();
        only_beta.sort();
        warnings.push(Warning {
            area: Area::FederatedCredentials,
            message: format!(
                "{} application(s) appeared in the federated-credential list (Graph beta) \
                 but not in the application list (v1.0) — created or deleted while \
                 credwise read the tenant — and are not shown: {}",
                only_beta.len(),
                some(&only_beta)
            ),
        });
    }
    Joined {
        applications,
        service_principals,
        warnings,
        fic_rejected,
        missing,
    }
}

/// Gives the applications the beta list missed the federated credentials read for them
/// alone; a warning names those that could not be read (O(tenant): a blocking thread).
fn fill_missing(
    applications: &mut [Application],
    mut read: HashMap<String, Vec<FederatedIdentityCredential>>,
    failed: &[(String, String)],
) -> Option<Warning> {
    for app in applications.iter_mut() {
        if let Some(list) = read.remove(&app.id) {
            app.federated_identity_credentials = list;
        }
    }
    let (_, why) = failed.first()?;
    let names: HashMap<&str, &str> = applications
        .iter()
        .map(|a| (a.id.as_str(), a.display_name.as_str()))
        .collect();
    let named: Vec<String> = failed
        .iter()
        .map(|(id, _)| match names.get(id.as_str()) {
            Some(name) => format!("{id} ({:?})", crate::sanitize::display(name)),
            None => id.clone(),
        })
        .collect();
    Some(Warning {
        area: Area::FederatedCredentials,
        message: format!(
            "the federated credentials of {} application(s) could not be read \
             ({why}) and are shown as none: {}",
            failed.len(),
            some(&named)
        ),
    })
}

/// A warning when a list's partitions together found another number of objects than its
/// `$count` (eventually consistent: objects created or deleted meanwhile also show here).
fn union_warning(area: Area, found: u64, counted: Option<u64>) -> Option<Warning> {
    let counted = counted?;
    (found != counted).then(|| Warning {
        area,
        message: format!(
            "credwise's queries together found {found} {area} where Graph counts {counted}: \
             objects were created or deleted while credwise read the tenant, or some {area} \
             fall outside the queries (an appId that is not hexadecimal, a principal without \
             appId that is not an agent identity); reload to read them again"
        ),
    })
}

/// At most five names, then how many more.
fn some(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut out = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

/// One warning naming the objects of `area` that were left out, and why.
pub fn rejected_warning(area: Area, rejected: Vec<Rejected>) -> Option<Warning> {
    let first = rejected.first()?;
    let named: Vec<String> = rejected.iter().map(|r| r.object.clone()).collect();
    Some(Warning {
        area,
        message: format!(
            "{} object(s) did not have the shape Graph documents and are not shown: {} (the \
             first: {})",
            rejected.len(),
            some(&named),
            first.why
        ),
    })
}

mod batch;

#[cfg(test)]
mod tests;
