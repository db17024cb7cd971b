//! Pacing: every request waits here, before each try, until the services' documented
//! budgets say it can go, so a crawl that runs dozens of requests at once does not draw a
//! 429 from a bucket it could have seen coming. One `Pacer` per service (Graph, ARM; GitHub's
//! REST API has one too, with no budget but AIMD: `Api::Other`), shared by its read and
//! write pipelines; the retry policy (`retry`) asks it before a try and tells
//! it what came back.
//!
//! - **How many at once**: AIMD on the number of requests in flight — slow start from
//!   `initial_in_flight` (one more per answer), then one more per `limit` answers up to
//!   `max_in_flight`; halved on a 429 or when Graph says the bucket is 90 % used. Graph and
//!   ARM document no limit on concurrency; AIMD is how credwise finds the one a tenant has.
//!   Two kinds of request take no place, as each is a chain the rest waits for and would
//!   otherwise queue behind thousands of pages: Resource Graph queries (they have their own
//!   quota; a query's pages follow one another) and Graph's `$count`s (a number each, charged
//!   its ResourceUnit like any read; the application ranges are planned by rounds of them
//!   before the application lists can start).
//! - **Graph's ResourceUnit bucket** per application and tenant (throttling-limits: S tier
//!   3,500 RU per 10 s, the smallest, assumed unless told): each request is charged its
//!   documented cost before it goes (`graph_cost`), corrected by the answer's
//!   `x-ms-resource-unit`, and the estimate is pulled down to what
//!   `x-ms-throttle-limit-percentage` (sent above 80 % use) says is left. A 429 stops every
//!   Graph request until its `Retry-After` has passed: "Graph keeps counting usage while
//!   you are throttled".
//! - **The 150 application lists per minute** that `$select` `keyCredentials`
//!   (application-list docs).
//! - **ARM's buckets** per subscription (and the tenant) and kind — reads 250, +25/s;
//!   writes and deletes 200, +10/s (request-limits-and-throttling) — are read from the
//!   `x-ms-ratelimit-remaining-{subscription,tenant}-{reads,writes,deletes}` headers and
//!   refilled at the documented rate in between. A header counts the requests ARM had
//!   received when it answered, so the requests of that bucket sent after it (still on
//!   their way) are taken off what it says, and an answer older than the last one applied
//!   is ignored.
//! - **Each subscription paced on its own** (ARM): its requests in flight have their own
//!   AIMD limit, and a 429 from a subscription's bucket halves that subscription's limit
//!   and holds that subscription's requests until its `Retry-After` has passed — the other
//!   subscriptions, whose buckets are their own, keep going. The service-wide limit
//!   (`max_in_flight`, the sockets) still bounds them all, and only a tenant-level 429
//!   halves it.
//! - **The managed-identity provider's rates** (lists 15/s per tenant and 5/s per
//!   subscription, gets 30/10, writes 10/2; workload-identity-federation-considerations) —
//!   they send no header, so the documented rates are kept locally.
//! - **Resource Graph's quota**: 15 queries per 5 s per user (resource-graph throttling),
//!   then what `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` say; at zero,
//!   queries wait for the reset.
//!
//! May import azure_core's URL and header types and tokio.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use azure_core::http::headers::{HeaderName, Headers};
use azure_core::http::{Method, Url};

/// The key of Resource Graph's queries in `State::arm_sequence`.
const ARG_SEQUENCE: &str = "resource graph";

/// Tokens of an ARM bucket never spent (see `Pacer::acquire`).
const ARM_RESERVE: f64 = 1.0;

/// Which service a pacer paces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Graph,
    Arm,
    /// A service with no budget credwise paces against (GitHub's REST API, read once per
    /// repository a plan names): AIMD on the requests in flight only.
    Other,
}

/// The budgets credwise paces against: the documented figures unless a caller (a test
/// against a scaled emulator) says otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct PaceSettings {
    pub initial_in_flight: usize,
    pub max_in_flight: usize,
    /// Graph ResourceUnits per `graph_window` (the S tier: 3,500 per 10 s).
    pub graph_resource_units: f64,
    pub graph_window: Duration,
    /// Application lists that `$select` `keyCredentials`, per `key_select_window` (150 a
    /// minute).
    pub key_selects: f64,
    pub key_select_window: Duration,
    /// ARM: bucket sizes and refills per second, per subscription and for the tenant.
    pub arm_reads: f64,
    pub arm_reads_per_second: f64,
    pub arm_writes: f64,
    pub arm_writes_per_second: f64,
    /// The managed-identity provider's rates per second: (per tenant, per subscription).
    pub msi_list: (f64, f64),
    pub msi_get: (f64, f64),
    pub msi_write: (f64, f64),
    /// Resource Graph's user quota: queries per window (15 per 5 s), assumed until its
    /// headers say what is left.
    pub arg_queries: f64,
    pub arg_window: Duration,
}

impl PaceSettings {
    /// The documented budgets (module docs); `max_in_flight` is credwise's own cap.
    pub fn documented(api: Api) -> Self {
        Self {
            // Graph's pages take seconds (their latency grows with what they return), so a
            // slow start from 8 would spend a crawl's first rounds ramping up; its
            // ResourceUnit estimate, not the count in flight, keeps it within its budget.
            initial_in_flight: match api {
                Api::Graph => 32,
                Api::Arm | Api::Other => 8,
            },
            // Neither service documents a limit on requests in flight; these are sockets.
            // A 150k-object tenant is about 1,000 s of Graph page time and 900 s of ARM
            // request time under the cost model (`benches/crawl.rs`): read within its
            // ten-second bound, that is a hundred and more of each at once.
            max_in_flight: match api {
                Api::Graph => 256,
                Api::Arm => 256,
                Api::Other => 8,
            },
            graph_resource_units: 3_500.0,
            graph_window: Duration::from_secs(10),
            key_selects: 150.0,
            key_select_window: Duration::from_secs(60),
            arm_reads: 250.0,
            arm_reads_per_second: 25.0,
            arm_writes: 200.0,
            arm_writes_per_second: 10.0,
            msi_list: (15.0, 5.0),
            msi_get: (30.0, 10.0),
            msi_write: (10.0, 2.0),
            arg_queries: 15.0,
            arg_window: Duration::from_secs(5),
        }
    }
}

/// What a pacer saw, for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaceStats {
    pub requests: u64,
    /// Answers with status 429.
    pub throttled: u64,
    pub max_in_flight: usize,
    /// Time requests spent waiting for a budget (summed over requests).
    pub waited: Duration,
}

/// A continuously refilling estimate of a server-side bucket.
#[derive(Debug, Clone)]
struct Estimate {
    capacity: f64,
    per_second: f64,
    level: f64,
    at: Instant,
}

impl Estimate {
    fn new(capacity: f64, per_second: f64) -> Self {
        Self {
            capacity,
            per_second: per_second.max(1e-9),
            level: capacity,
            at: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + dt * self.per_second).min(self.capacity);
        self.at = now;
    }

    /// How long until `cost` can be taken (zero: now).
    fn wait_for(&mut self, cost: f64, now: Instant) -> Duration {
        self.refill(now);
        if self.level >= cost {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(((cost - self.level) / self.per_second).max(0.001))
        }
    }
}

/// What one request will be charged, decided before it goes.
#[derive(Debug, Clone, Default)]
struct Charge {
    graph_ru: f64,
    key_select: bool,
    /// `(scope, kind)`: `("", "reads")` is the tenant's read bucket.
    arm: Option<(String, &'static str)>,
    /// `(key, per second)` of each managed-identity provider rate it counts against.
    msi: Vec<(String, f64)>,
    arg: bool,
    /// The subscription an ARM request is paced under (`None`: tenant-level or not ARM).
    subscription: Option<String>,
    /// A Graph `$count`.
    count: bool,
}

/// One subscription's own pacing (ARM): AIMD on its requests in flight, and the pause a
/// 429 from its bucket asks for.
#[derive(Debug)]
struct Lane {
    limit: f64,
    ssthresh: f64,
    in_flight: usize,
    paused_until: Instant,
}

/// The order of one ARM bucket's requests: how many were sent, and the newest whose
/// remaining-quota header was applied.
#[derive(Debug, Default, Clone, Copy)]
struct Sequence {
    sent: u64,
    applied: u64,
}

#[derive(Debug)]
struct State {
    limit: f64,
    ssthresh: f64,
    in_flight: usize,
    /// ResourceUnits charged to requests still in flight (Graph has not counted them yet).
    ru_in_flight: f64,
    graph_ru: Estimate,
    key_selects: Estimate,
    arm: HashMap<String, Estimate>,
    arm_sequence: HashMap<String, Sequence>,
    lanes: HashMap<String, Lane>,
    msi: HashMap<String, Estimate>,
    arg_remaining: Option<f64>,
    arg_resets: Instant,
    /// No request goes before this (a 429's `Retry-After`).
    paused_until: Instant,
    stats: PaceStats,
}

/// The pacer of one service.
#[derive(Debug)]
pub struct Pacer {
    api: Api,
    settings: PaceSettings,
    state: Mutex<State>,
    freed: tokio::sync::Notify,
}

/// A request's place in flight; dropping it frees the place.
pub struct Permit<'a> {
    pacer: &'a Pacer,
    charge: Charge,
    /// Its place in its ARM bucket's order of sending (`Sequence::sent` when it went).
    sequence: u64,
}

impl Charge {
    /// Whether it takes a place in flight (a Resource Graph query and a `$count` do not: see
    /// the module docs).
    fn takes_a_place(&self) -> bool {
        !self.arg && !self.count
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut st = self.pacer.lock();
        if self.charge.takes_a_place() {
            st.in_flight = st.in_flight.saturating_sub(1);
        }
        st.ru_in_flight = (st.ru_in_flight - self.charge.graph_ru).max(0.0);
        if let Some(sub) = &self.charge.subscription
            && let Some(lane) = st.lanes.get_mut(sub)
        {
            lane.in_flight = lane.in_flight.saturating_sub(1);
        }
        drop(st);
        self.pacer.freed.notify_waiters();
    }
}

impl Pacer {
    pub fn new(api: Api, settings: PaceSettings) -> Self {
        let now = Instant::now();
        let state = State {
            limit: settings.initial_in_flight.max(1) as f64,
            ssthresh: settings.max_in_flight.max(1) as f64,
            in_flight: 0,
            ru_in_flight: 0.0,
            graph_ru: Estimate::new(
                settings.graph_resource_units,
                settings.graph_resource_units / settings.graph_window.as_secs_f64().max(1e-3),
            ),
            key_selects: Estimate::new(
                settings.key_selects,
                settings.key_selects / settings.key_select_window.as_secs_f64().max(1e-3),
            ),
            arm: HashMap::new(),
            arm_sequence: HashMap::new(),
            lanes: HashMap::new(),
            msi: HashMap::new(),
            // Until a query's answer says otherwise, a whole quota is left, and it resets a
            // window from now.
            arg_remaining: Some(settings.arg_queries),
            arg_resets: now + settings.arg_window,
            paused_until: now,
            stats: PaceStats::default(),
        };
        Self {
            api,
            settings,
            state: Mutex::new(state),
            freed: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stats(&self) -> PaceStats {
        self.lock().stats.clone()
    }

    /// What `method url` will cost (module docs).
    fn charge(&self, method: &Method, url: &Url, body: Option<&[u8]>) -> Charge {
        let mut c = Charge::default();
        let path = url.path();
        let query: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match self.api {
            Api::Graph => {
                let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                // `/v1.0/…` or `/beta/…`: the collection is the segment after the version.
                let first = segs.get(1).copied().unwrap_or("");
                if first == "$batch" {
                    // Every item counts against the bucket on its own (json-batching).
                    let items = body
                        .map(|b| b.windows(8).filter(|w| w == b"\"method\"").count())
                        .unwrap_or(1)
                        .max(1);
                    c.graph_ru = items as f64;
                } else {
                    c.graph_ru = f64::from(graph_cost(method, first, &query));
                    c.count = segs.last().is_some_and(|s| *s == "$count");
                    c.key_select = *method == Method::Get
                        && segs.len() == 2
                        && first.eq_ignore_ascii_case("applications")
                        && query.iter().any(|(k, v)| {
                            k.eq_ignore_ascii_case("$select")
                                && v.split(',')
                                    .any(|p| p.trim().eq_ignore_ascii_case("keyCredentials"))
                        });
                }
            }
            Api::Arm => {
                let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
                if lower.len() >= 3
                    && lower[0] == "providers"
                    && lower[1] == "microsoft.resourcegraph"
                {
                    c.arg = true;
                    return c;
                }
                let subscription = match lower.as_slice() {
                    [s, id, ..] if s == "subscriptions" => id.clone(),
                    _ => String::new(),
                };
                let kind = if *method == Method::Get || *method == Method::Head {
                    "reads"
                } else if *method == Method::Delete {
                    "deletes"
                } else {
                    "writes"
                };
                c.arm = Some((subscription.clone(), kind));
                c.subscription = Some(subscription.clone()).filter(|s| !s.is_empty());
                if let Some(at) = lower.iter().position(|s| s == "userassignedidentities")
                    && at > 0
                    && lower[at - 1] == "microsoft.managedidentity"
                {
                    let rates = match (lower.len() - at, kind) {
                        (1, "reads") => Some(("list", self.settings.msi_list)),
                        (2, "reads") => Some(("get", self.settings.msi_get)),
                        (2, _) => Some(("write", self.settings.msi_write)),
                        _ => None,
                    };
                    if let Some((op, (tenant, per_sub))) = rates {
                        c.msi.push((format!("{op}|"), tenant));
                        c.msi.push((format!("{op}|{subscription}"), per_sub));
                    }
                }
            }
            Api::Other => {}
        }
        c
    }

    /// Waits until `method url` may go, and takes its place in flight and its budget.
    pub async fn acquire(&self, method: &Method, url: &Url, body: Option<&[u8]>) -> Permit<'_> {
        let charge = self.charge(method, url, body);
        let started = Instant::now();
        loop {
            let freed = self.freed.notified();
            let wait = {
                let mut st = self.lock();
                let now = Instant::now();
                let mut wait = st.paused_until.saturating_duration_since(now);
                if charge.graph_ru > 0.0 {
                    wait = wait.max(st.graph_ru.wait_for(charge.graph_ru, now));
                }
                if charge.key_select {
                    wait = wait.max(st.key_selects.wait_for(1.0, now));
                }
                if let Some((scope, kind)) = &charge.arm {
                    let key = format!("{scope}|{kind}");
                    let (cap, rate) = self.arm_rates(kind);
                    let est = st
                        .arm
                        .entry(key.clone())
                        .or_insert_with(|| Estimate::new(cap, rate));
                    // One token kept back: two requests may reach ARM in the other order
                    // than they left the pacer, so a header can be one request behind.
                    wait = wait.max(est.wait_for(1.0 + ARM_RESERVE, now));
                }
                for (key, rate) in &charge.msi {
                    let est = st
                        .msi
                        .entry(key.clone())
                        .or_insert_with(|| Estimate::new(rate.max(1.0), *rate));
                    wait = wait.max(est.wait_for(1.0, now));
                }
                if charge.arg && st.arg_remaining.is_some_and(|r| r < 1.0) && now < st.arg_resets {
                    wait = wait.max(st.arg_resets - now);
                }
                let mut slot =
                    !charge.takes_a_place() || (st.in_flight as f64) < st.limit.floor().max(1.0);
                if let Some(sub) = &charge.subscription {
                    let initial = self.settings.initial_in_flight.max(1) as f64;
                    let max = self.settings.max_in_flight.max(1) as f64;
                    let lane = st.lanes.entry(sub.clone()).or_insert_with(|| Lane {
                        limit: initial,
                        ssthresh: max,
                        in_flight: 0,
                        paused_until: now,
                    });
                    wait = wait.max(lane.paused_until.saturating_duration_since(now));
                    slot &= (lane.in_flight as f64) < lane.limit.floor().max(1.0);
                }
                if wait.is_zero() && slot {
                    if charge.takes_a_place() {
                        st.in_flight += 1;
                    }
                    st.stats.requests += 1;
                    st.stats.max_in_flight = st.stats.max_in_flight.max(st.in_flight);
                    st.stats.waited += started.elapsed();
                    st.graph_ru.level -= charge.graph_ru;
                    st.ru_in_flight += charge.graph_ru;
                    if charge.key_select {
                        st.key_selects.level -= 1.0;
                    }
                    let mut sequence = 0;
                    if let Some((scope, kind)) = &charge.arm {
                        let key = format!("{scope}|{kind}");
                        if let Some(e) = st.arm.get_mut(&key) {
                            e.level -= 1.0;
                        }
                        let seq = st.arm_sequence.entry(key).or_default();
                        seq.sent += 1;
                        sequence = seq.sent;
                    }
                    if let Some(sub) = &charge.subscription
                        && let Some(lane) = st.lanes.get_mut(sub)
                    {
                        lane.in_flight += 1;
                    }
                    for (key, _) in &charge.msi {
                        if let Some(e) = st.msi.get_mut(key) {
                            e.level -= 1.0;
                        }
                    }
                    if charge.arg {
                        if let Some(r) = st.arg_remaining.as_mut() {
                            *r -= 1.0;
                        }
                        let seq = st.arm_sequence.entry(ARG_SEQUENCE.into()).or_default();
                        seq.sent += 1;
                        sequence = seq.sent;
                    }
                    return Permit {
                        pacer: self,
                        charge,
                        sequence,
                    };
                }
                if wait.is_zero() { None } else { Some(wait) }
            };
            match wait {
                // A budget: sleep until it refills (a place freed meanwhile wakes nothing).
                Some(w) => tokio::time::sleep(w.max(Duration::from_millis(1))).await,
                // No place in flight: wait for one to be freed.
                None => freed.await,
            }
        }
    }

    fn arm_rates(&self, kind: &str) -> (f64, f64) {
        if kind == "reads" {
            (self.settings.arm_reads, self.settings.arm_reads_per_second)
        } else {
            (
                self.settings.arm_writes,
                self.settings.arm_writes_per_second,
            )
        }
    }

    /// What an answer says about the budgets: the remaining-quota headers, the charge, a
    /// 429; and the AIMD step.
    pub fn observe(&self, permit: &Permit<'_>, status: u16, headers: &Headers) {
        let mut st = self.lock();
        let now = Instant::now();
        let header = |name: &str| {
            headers
                .get_optional_str(&HeaderName::from(name.to_string()))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let mut pressure = status == 429;
        match self.api {
            Api::Graph => {
                let cap = st.graph_ru.capacity;
                if let Some(actual) = header("x-ms-resource-unit")
                    && permit.charge.graph_ru > 0.0
                    && actual.is_finite()
                {
                    st.graph_ru.level += permit.charge.graph_ru - actual;
                }
                // Charged but not yet counted by Graph: the other requests in flight.
                let others = (st.ru_in_flight - permit.charge.graph_ru).max(0.0);
                match header("x-ms-throttle-limit-percentage") {
                    Some(used) if used.is_finite() => {
                        st.graph_ru.refill(now);
                        let left = cap * (1.0 - used) - others;
                        st.graph_ru.level = st.graph_ru.level.min(left);
                        pressure |= used >= 0.9;
                    }
                    // No header: less than 80 % is in use.
                    _ if status != 429 => {
                        st.graph_ru.refill(now);
                        st.graph_ru.level = st.graph_ru.level.max(cap * 0.2 - others);
                    }
                    _ => {}
                }
            }
            Api::Arm => {
                if let Some((scope, kind)) = &permit.charge.arm {
                    let which = if scope.is_empty() {
                        "tenant"
                    } else {
                        "subscription"
                    };
                    let key = format!("{scope}|{kind}");
                    let seq = st.arm_sequence.get(&key).copied().unwrap_or_default();
                    // Only the newest answer says what is left; the requests of this bucket
                    // sent after this one were not counted in it yet.
                    if permit.sequence > seq.applied
                        && let Some(left) =
                            header(&format!("x-ms-ratelimit-remaining-{which}-{kind}"))
                        && let Some(e) = st.arm.get_mut(&key)
                    {
                        let later = seq.sent.saturating_sub(permit.sequence) as f64;
                        e.level = (left - later).min(e.capacity);
                        e.at = now;
                        if let Some(s) = st.arm_sequence.get_mut(&key) {
                            s.applied = permit.sequence;
                        }
                    }
                    if status == 429
                        && let Some(e) = st.arm.get_mut(&key)
                    {
                        e.level = e.level.min(0.0);
                        e.at = now;
                    }
                }
                if permit.charge.arg {
                    // As for ARM's buckets: the newest answer, less the queries sent after it
                    // (queries of several subscription groups run at once).
                    let seq = st
                        .arm_sequence
                        .get(ARG_SEQUENCE)
                        .copied()
                        .unwrap_or_default();
                    if permit.sequence > seq.applied
                        && let Some(left) = header("x-ms-user-quota-remaining")
                    {
                        let later = seq.sent.saturating_sub(permit.sequence) as f64;
                        st.arg_remaining = Some(left - later);
                        if let Some(s) = st.arm_sequence.get_mut(ARG_SEQUENCE) {
                            s.applied = permit.sequence;
                        }
                    }
                    if let Some(resets) = headers
                        .get_optional_str(&HeaderName::from_static("x-ms-user-quota-resets-after"))
                        .and_then(hms)
                    {
                        st.arg_resets = now + resets;
                    }
                }
            }
            Api::Other => {}
        }
        if status == 429 {
            st.stats.throttled += 1;
            let after = super::retry::retry_after(headers).unwrap_or(Duration::from_secs(1));
            if self.api == Api::Graph {
                st.graph_ru.level = st.graph_ru.level.min(0.0);
                st.paused_until = st.paused_until.max(now + after);
            }
            // ARM: the subscription whose bucket said no waits; the others go on.
            if let Some(sub) = &permit.charge.subscription
                && let Some(lane) = st.lanes.get_mut(sub)
            {
                lane.paused_until = lane.paused_until.max(now + after);
            }
        }
        let max = self.settings.max_in_flight.max(1) as f64;
        let grow = |limit: f64, ssthresh: f64| {
            if limit < ssthresh {
                limit + 1.0
            } else {
                limit + 1.0 / limit
            }
            .min(max)
        };
        // A subscription's 429 is that subscription's: its own limit halves, the service's
        // does not.
        let lane = permit
            .charge
            .subscription
            .as_ref()
            .and_then(|sub| st.lanes.get_mut(sub));
        let own_lane = lane.is_some();
        if let Some(lane) = lane {
            if pressure {
                lane.ssthresh = (lane.limit / 2.0).max(1.0);
                lane.limit = lane.ssthresh;
            } else if (200..300).contains(&status) {
                lane.limit = grow(lane.limit, lane.ssthresh);
            }
        }
        if pressure && !own_lane {
            st.ssthresh = (st.limit / 2.0).max(1.0);
            st.limit = st.ssthresh;
        } else if (200..300).contains(&status) {
            st.limit = grow(st.limit, st.ssthresh);
        }
    }
}

/// Graph's ResourceUnit cost of a request (throttling-limits: `GET applications` 2, any
/// other identity GET 1, writes 1; `$select` −1, `$expand` +1, `$top` under 20 −1; at
/// least 1).
pub fn graph_cost(method: &Method, collection: &str, query: &[(String, String)]) -> u32 {
    if *method != Method::Get {
        return 1;
    }
    let has = |name: &str| query.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut cost: i32 = if collection.eq_ignore_ascii_case("applications") {
        2
    } else {
        1
    };
    if has("$select") {
        cost -= 1;
    }
    if has("$expand") {
        cost += 1;
    }
    let small_top = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("$top"))
        .and_then(|(_, v)| v.trim().parse::<u32>().ok())
        .is_some_and(|t| t < 20);
    if small_top {
        cost -= 1;
    }
    cost.max(1) as u32
}

/// `hh:mm:ss`, as in `x-ms-user-quota-resets-after`.
fn hms(s: &str) -> Option<Duration> {
    let mut parts = s.trim().split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    (sec.is_finite() && sec >= 0.0)
        .then(|| Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(sec))
}

#[cfg(test)]
mod tests;
