//! Throttling as the reference describes it (§3.2, §3.3): Graph's identity token bucket of
//! ResourceUnits with a separate write quota (per tier: S, M, L), ARM's per-subscription (and
//! tenant) read/write buckets, the managed-identity provider's own request rates, and Resource
//! Graph's per-user query quota. `cost` pairs these budgets with the latency model.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Graph's tiers for one application in one tenant, by the tenant's size (throttling-limits:
/// "S: under 50 users, M: 50-500 users, L: above 500 users").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    S,
    M,
    L,
}

impl Tier {
    /// ResourceUnits per 10 seconds: 3,500, 5,000, 8,000 (throttling-limits, "Identity and
    /// access service limits").
    pub fn resource_units(self) -> f64 {
        match self {
            Tier::S => 3_500.0,
            Tier::M => 5_000.0,
            Tier::L => 8_000.0,
        }
    }
}

/// The managed-identity provider's own limits on user-assigned identity requests, per second
/// (entra-docs workload-identity-federation-considerations.md, "Throttling limits"): list by
/// resource group or subscription 15 per tenant and 5 per subscription, get 30 and 10,
/// create or update 10 and 2, delete 10 and 2. Whether federated-credential requests count
/// against them is not documented (**unconfirmed**): they are charged to ARM's buckets only.
#[derive(Debug, Clone, PartialEq)]
pub struct MsiRates {
    pub list_per_tenant: f64,
    pub list_per_subscription: f64,
    pub get_per_tenant: f64,
    pub get_per_subscription: f64,
    pub write_per_tenant: f64,
    pub write_per_subscription: f64,
}

impl MsiRates {
    pub fn documented() -> Self {
        Self {
            list_per_tenant: 15.0,
            list_per_subscription: 5.0,
            get_per_tenant: 30.0,
            get_per_subscription: 10.0,
            write_per_tenant: 10.0,
            write_per_subscription: 2.0,
        }
    }
}

/// The budgets. Every bucket refills continuously at `capacity / window`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleBudget {
    /// Graph ResourceUnits per `graph_window` (S tier: 3,500 per 10 s).
    pub graph_resource_units: f64,
    pub graph_window: Duration,
    /// Graph writes per `graph_write_window` (3,000 per 2 min 30 s).
    pub graph_writes: f64,
    pub graph_write_window: Duration,
    /// Application list reads that `$select` `keyCredentials`, per minute and tenant (150,
    /// application-list docs: "a throttling limit of 150 requests per minute for every
    /// tenant").
    pub graph_key_selects_per_minute: f64,
    /// The "minute" of that cap: tests shorten it to reach the cap in a second.
    pub graph_key_select_window: Duration,
    /// ARM reads: bucket size and refill per second, per subscription and for the tenant.
    pub arm_reads: f64,
    pub arm_reads_per_second: f64,
    /// ARM writes and deletes: bucket size and refill per second.
    pub arm_writes: f64,
    pub arm_writes_per_second: f64,
    /// Resource Graph queries per `arg_window` (15 per 5 s).
    pub arg_queries: f64,
    pub arg_window: Duration,
    /// The managed-identity provider's request rates (`None`: not modelled).
    pub msi: Option<MsiRates>,
    /// Graph "keeps counting usage while you are throttled": when set, a throttled request
    /// still costs its RUs, so immediate retries push the wait further out. Off by default so
    /// a client that waits exactly `Retry-After` always gets through.
    pub charge_throttled: bool,
}

impl ThrottleBudget {
    /// Graph's S tier (fewer than 50 users) for one application in one tenant, ARM's 2024
    /// token bucket, the managed-identity provider's rates and Resource Graph's default user
    /// quota.
    pub fn graph_s_tier() -> Self {
        Self::graph_tier(Tier::S)
    }

    /// The budgets of a tenant of `tier` (the ResourceUnit bucket is the only figure that
    /// depends on it).
    pub fn graph_tier(tier: Tier) -> Self {
        Self {
            graph_resource_units: tier.resource_units(),
            graph_window: Duration::from_secs(10),
            graph_writes: 3_000.0,
            graph_write_window: Duration::from_secs(150),
            graph_key_selects_per_minute: 150.0,
            graph_key_select_window: Duration::from_secs(60),
            arm_reads: 250.0,
            arm_reads_per_second: 25.0,
            arm_writes: 200.0,
            arm_writes_per_second: 10.0,
            arg_queries: 15.0,
            arg_window: Duration::from_secs(5),
            msi: Some(MsiRates::documented()),
            charge_throttled: false,
        }
    }

    /// The S tier with every capacity (and so every refill rate) multiplied by `factor`, the
    /// windows unchanged: `scaled(0.01)` is 35 RU per 10 s, so a test reaches the limit in a
    /// few requests and recovers within a second. Capacities never drop below 2. The
    /// per-minute `keyCredentials` list cap and the managed-identity provider's rates stay
    /// as they are: scaled, they would make a test wait half a minute for its third page;
    /// set the fields to test them.
    pub fn scaled(factor: f64) -> Self {
        let s = Self::graph_s_tier();
        let f = |x: f64| (x * factor).max(2.0);
        Self {
            graph_resource_units: f(s.graph_resource_units),
            graph_writes: f(s.graph_writes),
            arm_reads: f(s.arm_reads),
            arm_reads_per_second: s.arm_reads_per_second * factor,
            arm_writes: f(s.arm_writes),
            arm_writes_per_second: s.arm_writes_per_second * factor,
            arg_queries: f(s.arg_queries),
            ..s
        }
    }
}

/// A continuously refilling token bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub capacity: f64,
    level: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(capacity: f64, per_second: f64) -> Self {
        Self {
            capacity,
            level: capacity,
            per_second: per_second.max(1e-9),
            last: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.level = (self.level + dt * self.per_second).min(self.capacity);
        self.last = now;
    }

    /// Takes `cost`, or says how long until it could be taken. `charge_anyway` takes it even
    /// when refused (the level may go negative, down to minus the capacity).
    pub fn take(&mut self, cost: f64, charge_anyway: bool) -> Result<(), Duration> {
        self.refill(Instant::now());
        if self.level >= cost {
            self.level -= cost;
            return Ok(());
        }
        let wait = (cost - self.level) / self.per_second;
        if charge_anyway {
            self.level = (self.level - cost).max(-self.capacity);
        }
        Err(Duration::from_secs_f64(wait.max(0.001)))
    }

    /// The share of the bucket in use, 0.0–1.0 (or more when charged below zero).
    pub fn used(&self) -> f64 {
        (self.capacity - self.level) / self.capacity
    }

    pub fn remaining(&self) -> f64 {
        self.level.max(0.0)
    }
}

/// Every bucket of one emulator.
#[derive(Debug)]
pub struct Throttles {
    pub budget: ThrottleBudget,
    pub graph_ru: Bucket,
    pub graph_writes: Bucket,
    graph_key_selects: Bucket,
    /// Keyed by lower-cased subscription id (`""` is the tenant scope); writes and deletes
    /// have a bucket each, keyed `"{subscription}|{kind}"`.
    arm_reads: HashMap<String, Bucket>,
    arm_writes: HashMap<String, Bucket>,
    arg_window_start: Instant,
    arg_used: f64,
    /// The managed-identity provider's rates, keyed `"{kind}|{subscription}"` (`""` for the
    /// tenant).
    msi: HashMap<String, Bucket>,
}

/// What a managed-identity provider request is, for its rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsiOp {
    List,
    Get,
    Write,
}

/// The outcome of asking a bucket.
pub enum Verdict {
    Allowed,
    Throttled(Duration),
}

impl Throttles {
    pub fn new(budget: ThrottleBudget) -> Self {
        let per = |cap: f64, w: Duration| cap / w.as_secs_f64().max(1e-3);
        Self {
            graph_ru: Bucket::new(
                budget.graph_resource_units,
                per(budget.graph_resource_units, budget.graph_window),
            ),
            graph_writes: Bucket::new(
                budget.graph_writes,
                per(budget.graph_writes, budget.graph_write_window),
            ),
            graph_key_selects: Bucket::new(
                budget.graph_key_selects_per_minute,
                per(
                    budget.graph_key_selects_per_minute,
                    budget.graph_key_select_window,
                ),
            ),
            arm_reads: HashMap::new(),
            arm_writes: HashMap::new(),
            arg_window_start: Instant::now(),
            arg_used: 0.0,
            msi: HashMap::new(),
            budget,
        }
    }

    /// Charges a user-assigned identity request against the provider's per-tenant and
    /// per-subscription rates (buckets of one second's worth).
    pub fn msi(&mut self, subscription: &str, op: MsiOp) -> Result<(), Duration> {
        let Some(rates) = self.budget.msi.clone() else {
            return Ok(());
        };
        let (tenant, per_sub) = match op {
            MsiOp::List => (rates.list_per_tenant, rates.list_per_subscription),
            MsiOp::Get => (rates.get_per_tenant, rates.get_per_subscription),
            MsiOp::Write => (rates.write_per_tenant, rates.write_per_subscription),
        };
        let sub = subscription.to_ascii_lowercase();
        for (key, rate) in [
            (format!("{op:?}|"), tenant),
            (format!("{op:?}|{sub}"), per_sub),
        ] {
            let bucket = self
                .msi
                .entry(key)
                .or_insert_with(|| Bucket::new(rate.max(1.0), rate));
            bucket.take(1.0, false)?;
        }
        Ok(())
    }

    /// Charges a Graph request of `ru` ResourceUnits (and one write for a write; one of the
    /// 150 per minute for an application list that selects `keyCredentials`).
    pub fn graph(&mut self, ru: u32, write: bool, key_select: bool) -> Verdict {
        let charge = self.budget.charge_throttled;
        if key_select && let Err(wait) = self.graph_key_selects.take(1.0, charge) {
            return Verdict::Throttled(wait);
        }
        if let Err(wait) = self.graph_ru.take(f64::from(ru), charge) {
            return Verdict::Throttled(wait);
        }
        if write && let Err(wait) = self.graph_writes.take(1.0, charge) {
            return Verdict::Throttled(wait);
        }
        Verdict::Allowed
    }

    /// `x-ms-throttle-limit-percentage`, sent only above 80 % use (0.8–1.8 in Graph's words).
    pub fn graph_limit_percentage(&self) -> Option<String> {
        let used = self.graph_ru.used();
        (used > 0.8).then(|| format!("{:.1}", used.min(1.8)))
    }

    /// Charges an ARM operation of `kind` (`reads`, `writes`, `deletes`) in `subscription`
    /// (`""` for tenant-level calls); returns what remains for `x-ms-ratelimit-remaining-*`.
    pub fn arm(&mut self, subscription: &str, kind: &str) -> Result<u32, Duration> {
        let b = &self.budget;
        let sub = subscription.to_ascii_lowercase();
        let (map, key, cap, rate) = if kind == "reads" {
            (
                &mut self.arm_reads,
                sub,
                b.arm_reads,
                b.arm_reads_per_second,
            )
        } else {
            (
                &mut self.arm_writes,
                format!("{sub}|{kind}"),
                b.arm_writes,
                b.arm_writes_per_second,
            )
        };
        let bucket = map.entry(key).or_insert_with(|| Bucket::new(cap, rate));
        bucket.take(1.0, false)?;
        Ok(bucket.remaining() as u32)
    }

    /// Charges a Resource Graph query against the fixed window; returns the remaining quota and
    /// the time until the window resets.
    pub fn arg(&mut self) -> Result<(u32, Duration), Duration> {
        let now = Instant::now();
        let window = self.budget.arg_window;
        if now.saturating_duration_since(self.arg_window_start) >= window {
            self.arg_window_start = now;
            self.arg_used = 0.0;
        }
        let resets = window.saturating_sub(now.saturating_duration_since(self.arg_window_start));
        if self.arg_used + 1.0 > self.budget.arg_queries {
            return Err(resets.max(Duration::from_millis(1)));
        }
        self.arg_used += 1.0;
        Ok(((self.budget.arg_queries - self.arg_used) as u32, resets))
    }
}

/// Graph's ResourceUnit cost of a request (reference §3.2): `GET applications` 2, any other
/// identity GET 1; `$select` −1, `$expand` +1, `$top` below 20 −1, at least 1; writes cost 1.
pub fn graph_cost(method: &str, first_segment: &str, query: &[(String, String)]) -> u32 {
    if method != "GET" {
        return 1;
    }
    let has = |name: &str| query.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut cost: i32 = if first_segment.starts_with("applications") {
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

/// `Retry-After` as Graph writes it: decimal seconds.
pub fn retry_after_decimal(wait: Duration) -> String {
    format!("{:.3}", wait.as_secs_f64().max(0.001))
}

/// `Retry-After` as ARM writes it: whole seconds, rounded up.
pub fn retry_after_whole(wait: Duration) -> String {
    format!("{}", wait.as_secs_f64().ceil().max(1.0) as u64)
}

/// `hh:mm:ss`, as in `x-ms-user-quota-resets-after`.
pub fn hms(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}
