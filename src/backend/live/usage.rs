//! Sign-in evidence from a live tenant: `LiveBackend::load_usage`. Three sources, best first,
//! each tried on its own and recorded with its outcome, so one that is missing (a permission,
//! the licence, the cloud) never hides what the others say:
//!
//! | source | call | what it gives | needs |
//! | --- | --- | --- | --- |
//! | credential report | beta `GET /reports/appCredentialSignInActivities` | last sign-in per secret and certificate (keyId), with `credentialOrigin` | AuditLog.Read.All; Entra ID P1/P2; global cloud only |
//! | service principal report | beta `GET /reports/servicePrincipalSignInActivities` | last sign-in per service principal (app-only as a client, any) | the same |
//! | sign-in log | beta `GET /auditLogs/signIns?$filter=createdDateTime ge … and signInEventTypes/any(t: t eq 'servicePrincipal')` | every service principal sign-in, newest first, naming `servicePrincipalCredentialKeyId`, `servicePrincipalCredentialThumbprint`, `federatedCredentialId` | AuditLog.Read.All (and Directory.Read.All, documented); Entra ID P1/P2 |
//!
//! Sources (reference §5 and G-signin): the list pages in microsoftgraph/microsoft-graph-docs-contrib
//! (`api-reference/beta/api/reportroot-list-appcredentialsigninactivities.md`,
//! `reportroot-list-serviceprincipalsigninactivities.md`, `signin-list.md`: permissions, the
//! global-only national-cloud table, "descending order based on createdDateTime", pages of
//! 1,000); the service principal filter from entra-docs "How to analyze activity logs with
//! Microsoft Graph" (beta, `signInEventTypes/any(t: t eq 'servicePrincipal')`), which also
//! names the licence (P1 or P2) and its error, "Neither tenant is B2C or tenant doesn't have
//! premium license" — `403 Authentication_RequestFromNonPremiumTenantOrB2CTenant` as users
//! report it (microsoftgraph/microsoft-graph-docs-contrib#3033, turbot/steampipe-plugin-azuread#98);
//! the missing permission as observed, `403 Authentication_MSGraphPermissionMissing` "Calling
//! principal does not have required MSGraph permissions AuditLog.Read.All", also with
//! Directory.Read.All alone, which the page lists (microsoft-graph-docs-contrib#8997: the
//! observed behaviour wins); and a directory role the signed-in user lacks,
//! `Authentication_RequestFromUnsupportedUserRole` (AzureAD/MSIdentityTools
//! `Get-MsIdAzureUsers.ps1`).
//!
//! **Paced.** Graph's "identity and access reports" limit is five requests per 10 seconds per
//! app per tenant (`concepts/throttling-limits.md`, `includes/throttling-entra-logs-reports.md`:
//! it names `signIn` and `auditLogRoot`; the two sign-in activity reports are not named, and
//! are paced the same as the cautious reading). Every request of this module waits for a slot
//! of `Pace` (a sliding window, shared by the three sources and by every call of one backend),
//! so a load never draws a 429 it could have seen coming; a 429 that comes anyway is ridden out
//! by the retry policy after its `Retry-After`.
//!
//! **Never "unused" without data.** A source that fails is recorded as unavailable with its
//! reason and the next one is tried; the sign-in log's window is the days asked (at most 30,
//! what a P1/P2 tenant keeps: entra-docs "Microsoft Entra data retention"), or — when the page
//! budget ends the read first — back to the oldest sign-in read, which is still true because
//! the log comes newest first. Cancelling drops every request in flight.
//!
//! May import the HTTP layer, the page decoder, the wire types and the domain.

use std::time::Duration;

use azure_core::http::Method;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::Need;
use super::graph::Graph;
use super::page;
use super::retry::Mode;
use crate::backend::wire::usage::{
    WireCredentialReportItem, WireServicePrincipalReportItem, WireSignIn,
};
use crate::backend::{Error, Progress, UsageRequest};
use crate::domain::usage::{
    CredentialActivity, IdentityActivity, LogAggregate, SignInEvent, SourceStatus, Unknown,
    UsageData, UsageSource,
};
use crate::domain::{Cloud, Timestamp};

/// How fast the sign-in sources may be called: at most `requests` in any `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub requests: u32,
    pub per: Duration,
}

impl Default for Pace {
    /// Graph's identity and access reports limit: five requests per 10 seconds per app and
    /// tenant.
    fn default() -> Self {
        Self {
            requests: 5,
            per: Duration::from_secs(10),
        }
    }
}

/// A sliding-window limiter: a request starts only when fewer than `pace.requests` took a
/// slot in the last `pace.per`. A slot counts from when its request started until its answer
/// came (`Slot` is held meanwhile), then for `pace.per` from that answer: the service counts a
/// request when it arrives, somewhere in between, so a window counted from the answers can
/// never hold more than the service allows, however slow or uneven the network (a window
/// counted from the starts drew 429s when one request took longer to arrive than the next).
#[derive(Debug)]
pub struct Pacer {
    pace: Pace,
    /// Held while waiting for a slot, so slots go out in the order they were asked for.
    queue: Mutex<()>,
    /// The slots of the window: (id, when, still in flight).
    taken: std::sync::Mutex<Vec<(u64, Instant, bool)>>,
    next_id: std::sync::atomic::AtomicU64,
}

/// A request's slot: held until its answer came (dropping it marks the time).
#[derive(Debug)]
pub struct Slot<'a> {
    pacer: &'a Pacer,
    id: u64,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut taken = self.pacer.lock_taken();
        if let Some(e) = taken.iter_mut().find(|e| e.0 == self.id) {
            e.1 = Instant::now();
            e.2 = false;
        }
    }
}

impl Pacer {
    pub fn new(pace: Pace) -> Self {
        Self {
            pace,
            queue: Mutex::new(()),
            taken: std::sync::Mutex::new(Vec::new()),
            next_id: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn lock_taken(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Instant, bool)>> {
        // The list is valid whatever a panicking holder was doing: times only.
        self.taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for a slot and takes it; hold the `Slot` until the request's answer came.
    pub async fn slot(&self) -> Slot<'_> {
        let _turn = self.queue.lock().await;
        let limit = self.pace.requests.max(1) as usize;
        loop {
            let wake = {
                let mut taken = self.lock_taken();
                let now = Instant::now();
                taken.retain(|&(_, at, in_flight)| {
                    in_flight || now.duration_since(at) < self.pace.per
                });
                if taken.len() < limit {
                    let id = self
                        .next_id
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    taken.push((id, now, true));
                    return Slot { pacer: self, id };
                }
                // The first answered slot to leave the window; with every slot in flight,
                // look again shortly (an answer will free one).
                taken
                    .iter()
                    .filter(|e| !e.2)
                    .map(|e| e.1 + self.pace.per)
                    .min()
                    .unwrap_or(now + (self.pace.per / 10).min(Duration::from_millis(100)))
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// The licence Graph asks for before it hands out sign-in data.
pub const LICENCE: &str = "Microsoft Entra ID P1 or P2";

/// What the sign-in sources need, in words for `Unknown::MissingPermission`.
const PERMISSION: &str = "AuditLog.Read.All";
const ROLE: &str = "a directory role that may read sign-in reports (Reports Reader, Security Reader or Global Reader)";

const STAGE_CREDENTIALS: &str = "sign-ins: credential report";
const STAGE_IDENTITIES: &str = "sign-ins: service principal report";
const STAGE_LOG: &str = "sign-ins: log";

/// Why a source could not be read, or `None` when the load was cancelled (which ends it).
pub fn unavailable(e: &Error) -> Option<Unknown> {
    Some(match e {
        Error::Cancelled => return None,
        Error::Forbidden { message, .. } | Error::Unauthorized(message) => {
            if message.contains("RequestFromNonPremiumTenantOrB2CTenant")
                || message.contains("premium license")
            {
                Unknown::Licence {
                    requirement: LICENCE.into(),
                }
            } else if message.contains("RequestFromUnsupportedUserRole") {
                Unknown::MissingPermission {
                    permission: ROLE.into(),
                }
            } else {
                Unknown::MissingPermission {
                    permission: PERMISSION.into(),
                }
            }
        }
        other => Unknown::Failed {
            message: crate::sanitize::display(&other.to_string()).into_owned(),
        },
    })
}

/// Reads the sources `request` asks for, through `graph`'s beta endpoint, each paced by
/// `pacer`; `now` is when the read starts (the log's window ends there).
pub async fn load(
    graph: &Graph,
    cloud: Cloud,
    pacer: &Pacer,
    request: &UsageRequest,
    now: Timestamp,
    progress: &Progress,
) -> Result<UsageData, Error> {
    let mut data = UsageData {
        collected_at: Some(now),
        ..UsageData::default()
    };
    // The reports exist in the global cloud only (the pages' national-cloud tables).
    if cloud != Cloud::Public {
        for source in [
            UsageSource::CredentialReport,
            UsageSource::ServicePrincipalReport,
        ] {
            data.sources
                .push(SourceStatus::unavailable(source, Unknown::Cloud { cloud }));
        }
    } else {
        let url = format!("{}/reports/appCredentialSignInActivities", graph.beta);
        match list::<WireCredentialReportItem, CredentialActivity>(
            graph,
            pacer,
            &url,
            STAGE_CREDENTIALS,
            u32::MAX,
            progress,
        )
        .await
        {
            Ok(r) => {
                data.credentials.extend(r.items);
                data.sources.push(SourceStatus::read(
                    UsageSource::CredentialReport,
                    None,
                    r.pages,
                ));
            }
            Err(e) => data.sources.push(SourceStatus::unavailable(
                UsageSource::CredentialReport,
                unavailable(&e).ok_or(Error::Cancelled)?,
            )),
        }
        let url = format!("{}/reports/servicePrincipalSignInActivities", graph.beta);
        match list::<WireServicePrincipalReportItem, IdentityActivity>(
            graph,
            pacer,
            &url,
            STAGE_IDENTITIES,
            u32::MAX,
            progress,
        )
        .await
        {
            Ok(r) => {
                data.identities.extend(r.items);
                data.sources.push(SourceStatus::read(
                    UsageSource::ServicePrincipalReport,
                    None,
                    r.pages,
                ));
            }
            Err(e) => data.sources.push(SourceStatus::unavailable(
                UsageSource::ServicePrincipalReport,
                unavailable(&e).ok_or(Error::Cancelled)?,
            )),
        }
    }
    if request.sign_in_log {
        match sign_in_log(graph, pacer, request, now, progress).await {
            Ok((log, status)) => {
                let (credentials, identities) = log.into_facts();
                data.credentials.extend(credentials);
                data.identities.extend(identities);
                data.sources.push(status);
            }
            Err(e) => data.sources.push(SourceStatus::unavailable(
                UsageSource::SignInLog,
                unavailable(&e).ok_or(Error::Cancelled)?,
            )),
        }
    } else {
        data.sources.push(SourceStatus::unavailable(
            UsageSource::SignInLog,
            Unknown::NotLoaded,
        ));
    }
    Ok(data)
}

/// The service principal sign-ins of the last `request.log_days` days (at most 30), folded
/// into facts page by page; the status says which window the facts cover.
async fn sign_in_log(
    graph: &Graph,
    pacer: &Pacer,
    request: &UsageRequest,
    now: Timestamp,
    progress: &Progress,
) -> Result<(LogAggregate, SourceStatus), Error> {
    let days = i64::from(request.log_days.clamp(1, 30));
    let from = now - time::Duration::days(days);
    let filter = format!(
        "createdDateTime ge {} and signInEventTypes/any(t: t eq 'servicePrincipal')",
        rfc3339(from)
    );
    let mut url = format!(
        "{}/auditLogs/signIns?$filter={}",
        graph.beta,
        query_encode(&filter)
    );
    let mut log = LogAggregate::default();
    let mut pages = 0u32;
    progress.report(STAGE_LOG, 0, None);
    loop {
        let page = page::<WireSignIn, SignInEvent>(graph, pacer, &url).await?;
        pages += 1;
        for e in page.items {
            log.add(e);
        }
        progress.report(STAGE_LOG, log.events, None);
        match page.next_link {
            Some(next) if next == url => {
                return Err(Error::Decode {
                    service: graph.svc.name,
                    message: "the sign-in log's next page link repeats the current one".into(),
                });
            }
            Some(next) if pages >= request.max_log_pages.max(1) => {
                let _ = next;
                // Newest first: everything after the oldest sign-in read is in the data.
                let covers_from = log.oldest.unwrap_or(now).max(from);
                let status = SourceStatus {
                    source: UsageSource::SignInLog,
                    outcome: crate::domain::usage::SourceOutcome::Read {
                        covers_from: Some(covers_from),
                        pages,
                        partial: true,
                    },
                };
                return Ok((log, status));
            }
            Some(next) => url = next,
            None => {
                return Ok((
                    log,
                    SourceStatus::read(UsageSource::SignInLog, Some(from), pages),
                ));
            }
        }
    }
}

/// What a report read: its items and how many pages.
struct Listed<T> {
    items: Vec<T>,
    pages: u32,
}

/// Follows a report from `first` to its last page (or `max_pages`), reporting progress.
async fn list<W, T>(
    graph: &Graph,
    pacer: &Pacer,
    first: &str,
    stage: &str,
    max_pages: u32,
    progress: &Progress,
) -> Result<Listed<T>, Error>
where
    W: DeserializeOwned + TryInto<T, Error = String>,
{
    let mut out = Listed {
        items: Vec::new(),
        pages: 0,
    };
    let mut url = first.to_string();
    progress.report(stage, 0, None);
    loop {
        let page = page::<W, T>(graph, pacer, &url).await?;
        out.pages += 1;
        out.items.extend(page.items);
        progress.report(stage, out.items.len() as u64, None);
        match page.next_link {
            Some(next) if next == url => {
                return Err(Error::Decode {
                    service: graph.svc.name,
                    message: format!("{stage}: the next page link repeats the current one"),
                });
            }
            Some(next) if out.pages < max_pages => url = next,
            _ => return Ok(out),
        }
    }
}

/// One page, paced, read leniently: an item that does not fit costs only itself (they are
/// not named: a sign-in carries nothing a person would look for). A body that is not a page
/// is fetched once more (a read is safe to repeat).
async fn page<W, T>(graph: &Graph, pacer: &Pacer, url: &str) -> Result<page::Lenient<T>, Error>
where
    W: DeserializeOwned + TryInto<T, Error = String>,
{
    let mut attempt = 0;
    loop {
        // Held until the answer came: see `Pacer`.
        let _slot = pacer.slot().await;
        let reply = graph
            .svc
            .send(Mode::Read, Method::Get, url, &[], None, Need::AuditLogRead)
            .await?;
        match page::decode::<W, T>(&reply.body, "value") {
            Some(p) if p.broken.is_none() => return Ok(p),
            Some(p) => {
                let e = p.broken.unwrap_or_else(|| page::InStreamError {
                    object_id: None,
                    object_name: None,
                    code: String::new(),
                    message: String::new(),
                    request_id: String::new(),
                });
                return Err(graph.svc.in_stream(url, &e));
            }
            None if attempt < 1 => attempt += 1,
            None => {
                return Err(Error::Decode {
                    service: graph.svc.name,
                    message: format!(
                        "{}: the page could not be read",
                        url.split('?').next().unwrap_or(url)
                    ),
                });
            }
        }
    }
}

/// `2026-11-22T12:00:00Z`: OData's DateTimeOffset literal, whole seconds, UTC.
fn rfc3339(t: Timestamp) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A query value with everything but unreserved characters and `:` `/` `(` `)` encoded.
fn query_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b'/' | b'(' | b')')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_encoded_and_dated_in_utc() {
        let t = time::macros::datetime!(2026-11-22 13:04:05 +01:00);
        assert_eq!(rfc3339(t), "2026-11-22T12:04:05Z");
        assert_eq!(
            query_encode("createdDateTime ge 2026-11-22T12:04:05Z and x/any(t: t eq 'a')"),
            "createdDateTime%20ge%202026-11-22T12:04:05Z%20and%20x/any(t:%20t%20eq%20%27a%27)"
        );
    }

    #[test]
    fn errors_become_reasons() {
        let forbidden = |m: &str| Error::Forbidden {
            permission: "x".into(),
            message: m.into(),
            advice: "y".into(),
        };
        assert_eq!(
            unavailable(&forbidden(
                "Graph GET /beta/reports/x: Authentication_RequestFromNonPremiumTenantOrB2CTenant: Neither tenant is B2C or tenant doesn't have premium license"
            )),
            Some(Unknown::Licence {
                requirement: LICENCE.into()
            })
        );
        assert_eq!(
            unavailable(&forbidden(
                "Authentication_MSGraphPermissionMissing: Calling principal does not have required MSGraph permissions AuditLog.Read.All"
            )),
            Some(Unknown::MissingPermission {
                permission: "AuditLog.Read.All".into()
            })
        );
        assert!(matches!(
            unavailable(&forbidden("Authentication_RequestFromUnsupportedUserRole: x")),
            Some(Unknown::MissingPermission { permission }) if permission.contains("Reports Reader")
        ));
        assert!(matches!(
            unavailable(&Error::Throttled {
                retry_after_secs: 9
            }),
            Some(Unknown::Failed { .. })
        ));
        assert_eq!(unavailable(&Error::Cancelled), None);
    }

    #[tokio::test]
    async fn the_pacer_never_starts_more_than_its_limit_in_a_window() {
        let per = Duration::from_millis(200);
        let pacer = Pacer::new(Pace { requests: 3, per });
        let start = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..8 {
            pacer.slot().await;
            starts.push(Instant::now().duration_since(start));
        }
        for (i, t) in starts.iter().enumerate() {
            let in_window = starts
                .iter()
                .filter(|u| **u <= *t && *t - **u < per)
                .count();
            assert!(
                in_window <= 3,
                "request {i} at {t:?}: {in_window} in {per:?}"
            );
        }
        // Eight requests at three per window need at least two full windows.
        assert!(starts[7] >= 2 * per, "{starts:?}");
    }

    #[tokio::test]
    async fn a_slot_counts_until_its_answer_came() {
        let per = Duration::from_millis(100);
        let pacer = Pacer::new(Pace { requests: 1, per });
        let start = Instant::now();
        {
            let _slow = pacer.slot().await;
            // The request takes longer than the window to answer.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let _next = pacer.slot().await;
        // Counted from its start the next slot would be free after 100 ms; counted from the
        // answer, not before 350 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(350),
            "{:?}",
            start.elapsed()
        );
    }
}
