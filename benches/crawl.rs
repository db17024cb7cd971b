//! The crawl budgets of issue #13, under the emulator's cost model (`emulator::cost`,
//! `Options::realistic()`: Graph pages whose latency grows with what they return, fitted to
//! cisagov/ScubaGear#1718; ARM requests of 100 ms; Graph's S-tier ResourceUnit bucket, the
//! 150-a-minute `keyCredentials` list cap, ARM's read bucket per subscription, the
//! managed-identity provider's rates, Resource Graph's user quota), on the 150k tenant
//! (`TenantSpec::budget()`: 50,000 applications, 100,000 service principals, 8,100
//! user-assigned identities over 33 subscriptions), Graph and ARM. One run each, a plain
//! harness (`cargo bench --bench crawl`); figures and verdicts go to stderr, each with the
//! load average (`/proc/loadavg`), as the machine may be shared.
//!
//! ## The lower bound the model implies
//!
//! With L0 = 100 ms, c = 4.48 ms per service principal and 4.96 ms per application (a page
//! of n objects takes `L0 + c·n`), an ARM request La = 100 ms, and the budgets above:
//!
//! ```text
//! T_min = max(T_graph, T_arm, T_arg)
//!
//! T_graph = L0 (delta links "from now", taken before the lists)
//!         + L0 (the first `$count`)
//!         + max( max over the 256 appId-prefix partitions p of pages(n_p, 999)·(L0 + c_sp·page),
//!                ⌈A / 150⌉ applications in one v1.0 page: L0 + c_app·⌈A/150⌉
//!                  (the keyCredentials cap lets 150 v1.0 list requests go in the first
//!                  minute, so no plan reads A applications from v1.0 in fewer, larger
//!                  chains),
//!                one beta page of 100 applications with their FICs: L0 + 100·c_app,
//!                max(0, RU − 3,500) / 350 RU/s )
//! T_arm   = La (subscriptions)
//!         + max( the provider's list rate, 15 a second per tenant with a burst of 15:
//!                  (P − 15)/15 s + La (the last identity-list page) + La (a FIC list of
//!                  one of its identities), P = Σ_s ⌈U_s / 100⌉ list pages,
//!                max over subscriptions s of
//!                  ⌈U_s/100⌉·La + La + max(0, R_s − 250)/25 s
//!                  (the list pages, one FIC list, the bucket's refill for the R_s reads
//!                  the subscription needs: list pages, U_s FIC lists, role-assignment
//!                  pages),
//!                max over s of the role-assignment pages ⌈RA_s/100⌉·La + La (a role's name) )
//! T_arg   = La (subscriptions) + max( Q·La, ⌊(Q − 1)/15⌋·5 s + La ),
//!           Q = ⌈rows / 1,000⌉ Resource Graph pages, 15 queries per 5 s window
//! ```
//!
//! Every term is a chain of requests that cannot overlap (a page's next link arrives with
//! it; a list's items are known when it arrives) or a bucket's refill, computed from the
//! model's own constants and the tenant's counts; the terms run side by side, so the bound
//! is their maximum. It does not charge credwise's own choices (how finely it partitions,
//! the tenant lookup, its `$count` bisection), so it is a bound for any client, not the
//! time of credwise's plan.
//!
//! ## The budgets
//!
//! - credwise's full load ≤ 1.25 × T_min;
//! - ≥ 10× faster than a sequential crawl of pages of 999 (today's peers' shape:
//!   applications from v1.0 `$top=999`, their FICs from beta `$expand` (pages of 100),
//!   service principals `$top=999`, then every subscription's identities and one FIC list
//!   per identity, one request at a time), and than an `az`-shaped crawl (`az ad app list
//!   --all`, `az ad sp list --all`: pages of 100 with no `$select`; `az ad app
//!   federated-credential list` per application; `az account list`, `az identity list` and
//!   `az identity federated-credential list` per identity, `az role assignment list` per
//!   subscription; one at a time). Both are sequential, so each is timed on a proportional
//!   subset (1/SEQ_SUBSET and 1/AZ_SUBSET of every count, the same generator) and scaled:
//!   every term of their cost is linear in the tenant's size (pages of a fixed size, one
//!   request per object), and one request at a time never reaches a bucket (10 a second
//!   against ARM's 25 and the provider's 15). Set `CREDWISE_BENCH_FULL=1` to time them on
//!   the whole tenant instead (about 33 minutes and 2 hours).
//! - a delta refresh after 100 changed objects (50 applications and 50 service principals
//!   renamed) ≤ 3 s: two delta rounds, and the 50 applications' FICs read again through beta
//!   `$batch`.

// Benchmarks report on stderr and may panic on a broken setup.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig};
use credwise::backend::{Backend, Progress, Scope};
use credwise::domain::{TenantSnapshot, Timestamp};
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use emulator::{CostModel, Emulator, Options, ThrottleBudget};

/// The sequential crawl of pages of 999 runs on 1/SEQ_SUBSET of the tenant.
const SEQ_SUBSET: usize = 20;
/// The `az`-shaped crawl runs on 1/AZ_SUBSET of the tenant.
const AZ_SUBSET: usize = 100;
/// ARM's list page (the emulator's `Options::arm_page`).
const ARM_PAGE: usize = 100;

fn now() -> Timestamp {
    time::macros::datetime!(2026-11-22 12:00 UTC)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn spec(divisor: usize) -> TenantSpec {
    let b = TenantSpec::budget();
    TenantSpec {
        applications: b.applications / divisor,
        service_principals: b.service_principals / divisor,
        credentials: b.credentials / divisor,
        seed: b.seed,
    }
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn subscription_of(arm_id: &str) -> Option<String> {
    credwise::domain::objects::arm_segment(arm_id, "subscriptions").map(lower)
}

/// The lower bound's terms (module docs), each in seconds.
struct Bound {
    graph: f64,
    sp_chain: f64,
    app_v1: f64,
    app_beta: f64,
    arm: f64,
    msi_lists: f64,
    worst_subscription: (String, f64, usize),
    roles: f64,
    arg: f64,
    arg_queries: usize,
}

impl Bound {
    fn total(&self) -> f64 {
        self.graph.max(self.arm).max(self.arg)
    }

    fn of(t: &TenantSnapshot, m: &CostModel, b: &ThrottleBudget) -> Bound {
        let l0 = m.graph_request.as_secs_f64();
        let c_sp = m.graph_per_object.as_secs_f64();
        let c_app = m.graph_per_application.as_secs_f64();
        let la = m.arm_request.as_secs_f64();
        // Service principals: the 256 two-digit appId prefixes (and the agent identities'
        // cast, pages of 100).
        let mut parts: BTreeMap<String, usize> = BTreeMap::new();
        for sp in &t.service_principals {
            let key = match sp.app_id.get(..2) {
                Some(p) if sp.app_id.len() > 1 => lower(p),
                _ if sp.app_id.is_empty() => "agents".into(),
                _ => "short".into(),
            };
            *parts.entry(key).or_default() += 1;
        }
        let chain = |n: usize, page: usize, c: f64| -> f64 {
            let full = n / page;
            let rest = n % page;
            full as f64 * (l0 + c * page as f64) + if rest > 0 { l0 + c * rest as f64 } else { 0.0 }
        };
        let sp_chain = parts
            .iter()
            .map(|(k, n)| chain(*n, if k == "agents" { 100 } else { 999 }, c_sp))
            .fold(0.0, f64::max);
        let apps = t.applications.len();
        let app_v1 = l0 + c_app * apps.div_ceil(150) as f64;
        let app_beta = l0 + c_app * 100.0;
        // ResourceUnits: v1.0 applications 1 each (`$select`), beta 2 (`$select`, `$expand`),
        // service principals 1, per page; the S tier's burst covers them.
        let ru = 150.0 + 2.0 * apps.div_ceil(100) as f64 + parts.len() as f64;
        let ru_wait = (ru - b.graph_resource_units).max(0.0)
            / (b.graph_resource_units / b.graph_window.as_secs_f64());
        let graph = 2.0 * l0 + sp_chain.max(app_v1).max(app_beta).max(ru_wait);

        // ARM, per subscription.
        let mut uamis: BTreeMap<String, usize> = BTreeMap::new();
        for u in &t.user_assigned_identities {
            if let Some(s) = subscription_of(&u.id) {
                *uamis.entry(s).or_default() += 1;
            }
        }
        let subscriptions: Vec<String> = uamis.keys().cloned().collect();
        let mut role_pages: BTreeMap<String, usize> = BTreeMap::new();
        for s in &subscriptions {
            let scope = format!("/subscriptions/{s}");
            let n = t
                .role_assignments
                .iter()
                .filter(|r| {
                    let rs = lower(r.scope.trim_end_matches('/'));
                    rs.starts_with(&scope) || scope.starts_with(&rs)
                })
                .count();
            role_pages.insert(s.clone(), n.div_ceil(ARM_PAGE).max(1));
        }
        let list_pages: usize = uamis.values().map(|u| u.div_ceil(ARM_PAGE).max(1)).sum();
        let msi = b.msi.clone().expect("the provider's rates");
        let msi_lists =
            (list_pages as f64 - msi.list_per_tenant).max(0.0) / msi.list_per_tenant + 2.0 * la;
        let mut worst_subscription = (String::new(), 0.0, 0);
        for (s, u) in &uamis {
            let pages = u.div_ceil(ARM_PAGE).max(1);
            let reads = pages + u + role_pages[s];
            let t = pages as f64 * la
                + la
                + (reads as f64 - b.arm_reads).max(0.0) / b.arm_reads_per_second;
            if t > worst_subscription.1 {
                worst_subscription = (s.clone(), t, reads);
            }
        }
        let roles = role_pages
            .values()
            .map(|p| *p as f64 * la + la)
            .fold(0.0, f64::max);
        let arm = la + msi_lists.max(worst_subscription.1).max(roles);
        // Resource Graph: the resources with an identity in the tenant's subscriptions.
        let rows = t
            .resources
            .iter()
            .filter(|r| subscription_of(&r.id).is_some())
            .count();
        let q = rows.div_ceil(1_000).max(1);
        let per_window = b.arg_queries as usize;
        let arg = la
            + (q as f64 * la).max(((q - 1) / per_window) as f64 * b.arg_window.as_secs_f64() + la);
        Bound {
            graph,
            sp_chain,
            app_v1,
            app_beta,
            arm,
            msi_lists,
            worst_subscription,
            roles,
            arg,
            arg_queries: q,
        }
    }
}

fn backend(emu: &Emulator) -> LiveBackend {
    LiveBackend::new(LiveConfig {
        auth: AuthMode::None,
        graph_url: Some(emu.graph_url()),
        arm_url: Some(emu.arm_url()),
        ..LiveConfig::new(Arc::new(now))
    })
    .unwrap()
}

/// One request at a time, as the sequential crawls send them.
struct Sequential {
    client: reqwest::Client,
    requests: usize,
}

impl Sequential {
    async fn get(&mut self, url: &str) -> serde_json::Value {
        self.requests += 1;
        let r = self.client.get(url).send().await.unwrap();
        assert!(r.status().is_success(), "{url}: {}", r.status());
        r.json().await.unwrap()
    }

    /// Every page of a list (Graph's `@odata.nextLink`, ARM's `nextLink`).
    async fn all(&mut self, first: String) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut url = first;
        loop {
            let page = self.get(&url).await;
            out.extend(page["value"].as_array().cloned().unwrap_or_default());
            match page["@odata.nextLink"]
                .as_str()
                .or(page["nextLink"].as_str())
            {
                Some(next) => url = next.to_string(),
                None => return out,
            }
        }
    }
}

const MSI: &str = "2024-11-30";
const MSI_FIC: &str = "2025-01-31-preview";

/// Today's peers' shape: pages of 999, one request at a time. Returns the requests sent.
async fn sequential_999(emu: &Emulator) -> usize {
    let mut s = Sequential {
        client: reqwest::Client::new(),
        requests: 0,
    };
    let g = emu.graph_url();
    let beta = emu.graph_beta_url();
    s.all(format!("{g}/applications?$top=999")).await;
    s.all(format!(
        "{beta}/applications?$select=id&$expand=federatedIdentityCredentials&$top=999"
    ))
    .await;
    s.all(format!("{g}/servicePrincipals?$top=999")).await;
    arm_one_by_one(&mut s, emu).await;
    s.requests
}

/// The `az` shape: pages of 100 without `$select`, one FIC list per application, then ARM.
async fn az_shaped(emu: &Emulator) -> usize {
    let mut s = Sequential {
        client: reqwest::Client::new(),
        requests: 0,
    };
    let g = emu.graph_url();
    let beta = emu.graph_beta_url();
    let apps = s.all(format!("{g}/applications")).await;
    s.all(format!("{g}/servicePrincipals")).await;
    for app in &apps {
        let id = app["id"].as_str().unwrap();
        // From beta: `az ad app federated-credential list` reads v1.0, which breaks off at
        // the first flexible FIC (Azure/azure-cli#32816); the request and its cost are the
        // same.
        s.get(&format!(
            "{beta}/applications/{id}/federatedIdentityCredentials"
        ))
        .await;
    }
    arm_one_by_one(&mut s, emu).await;
    s.requests
}

/// Subscriptions, then each one's identities, their FIC lists and its role assignments.
async fn arm_one_by_one(s: &mut Sequential, emu: &Emulator) {
    let arm = emu.arm_url();
    let subs = s
        .all(format!("{arm}/subscriptions?api-version=2022-12-01"))
        .await;
    let tenant = emu.snapshot().tenant_id.to_ascii_lowercase();
    // Only the tenant's own subscriptions (`az account list` shows others' too).
    for sub in subs
        .iter()
        .filter(|s| s["tenantId"].as_str().map(lower).as_deref() == Some(tenant.as_str()))
    {
        let id = sub["subscriptionId"].as_str().unwrap().to_string();
        let uamis = s
            .all(format!(
                "{arm}/subscriptions/{id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI}"
            ))
            .await;
        for u in uamis {
            let uid = u["id"].as_str().unwrap();
            s.all(format!(
                "{arm}{uid}/federatedIdentityCredentials?api-version={MSI_FIC}"
            ))
            .await;
        }
        s.all(format!(
            "{arm}/subscriptions/{id}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
        ))
        .await;
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (model, budget) = emulator::cost::realistic();
    let started = Instant::now();
    let full = generate_tenant(&TenantSpec::budget(), now());
    let subscriptions: std::collections::BTreeSet<String> = full
        .user_assigned_identities
        .iter()
        .filter_map(|u| subscription_of(&u.id))
        .collect();
    eprintln!(
        "tenant: {} applications, {} service principals, {} user-assigned identities over {} \
         subscriptions, {} resources, {} role assignments; generated in {:.1?}",
        full.applications.len(),
        full.service_principals.len(),
        full.user_assigned_identities.len(),
        subscriptions.len(),
        full.resources.len(),
        full.role_assignments.len(),
        started.elapsed()
    );
    let bound = Bound::of(&full, &model, &budget);
    eprintln!(
        "lower bound T_min = {:.2} s = max(T_graph {:.2} s [SP partition {:.2} s, v1.0 \
         applications {:.2} s, beta page {:.2} s], T_arm {:.2} s [provider list rate {:.2} s, \
         subscription {} {:.2} s for {} reads, role assignments {:.2} s], T_arg {:.2} s [{} \
         queries])",
        bound.total(),
        bound.graph,
        bound.sp_chain,
        bound.app_v1,
        bound.app_beta,
        bound.arm,
        bound.msi_lists,
        bound.worst_subscription.0,
        bound.worst_subscription.1,
        bound.worst_subscription.2,
        bound.roles,
        bound.arg,
        bound.arg_queries,
    );

    // credwise's full load, on a fresh emulator (a first crawl starts with every budget).
    let emu = rt.block_on(Emulator::start_with(full.clone(), Options::realistic()));
    let b = backend(&emu);
    let t = Instant::now();
    let loaded = rt
        .block_on(b.load(&Scope::default(), &Progress::silent()))
        .unwrap();
    let ours = t.elapsed().as_secs_f64();
    let load_ours = load_average();
    assert_eq!(loaded.snapshot.applications.len(), full.applications.len());
    assert_eq!(
        loaded.snapshot.user_assigned_identities.len(),
        full.user_assigned_identities.len()
    );
    let log = emu.requests();
    let graph_requests = log
        .iter()
        .filter(|r| r.path_and_query.starts_with("/v1.0") || r.path_and_query.starts_with("/beta"))
        .count();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let arm_peak = emulator::peak_in_flight(log.iter().filter(|r| r.subscription().is_some()));
    let last_arg = log
        .iter()
        .filter(|r| r.path_and_query.contains("Microsoft.ResourceGraph"))
        .count();
    let (gs, as_) = b.pace_stats();
    eprintln!(
        "credwise full load: {ours:.2} s (load average {load_ours}); {} requests ({graph_requests} \
         Graph, {} ARM, {last_arg} Resource Graph), {throttled} answered 429; ARM requests in \
         flight at most {arm_peak}; paced waits: Graph {:.1?}, ARM {:.1?}",
        log.len(),
        log.len() - graph_requests,
        gs.waited,
        as_.waited,
    );
    if std::env::var_os("CREDWISE_BENCH_TIMELINE").is_some() {
        // When each kind of request started and ended, relative to the load's start.
        let t0 = log.iter().map(|r| r.at).min().unwrap();
        let mut kinds: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
        for r in &log {
            let p = lower(&r.path_and_query);
            let kind = if p.contains("/$count") {
                "$count"
            } else if p.contains("resourcegraph") {
                "arg"
            } else if p.contains("federatedidentitycredentials?") && p.contains("/subscriptions/") {
                "uami fics"
            } else if p.contains("userassignedidentities?") {
                "uami lists"
            } else if p.contains("roleassignments") {
                "role assignments"
            } else if p.contains("roledefinitions") {
                "role names"
            } else if p.starts_with("/beta/applications") {
                "beta applications"
            } else if p.starts_with("/v1.0/applications") {
                "v1.0 applications"
            } else if p.starts_with("/v1.0/serviceprincipals") {
                "service principals"
            } else {
                "other"
            };
            let a = r.at.duration_since(t0).as_secs_f64();
            let e = r.finished.map_or(a, |f| f.duration_since(t0).as_secs_f64());
            let k = kinds.entry(kind.into()).or_insert((f64::MAX, 0.0, 0));
            k.0 = k.0.min(a);
            k.1 = k.1.max(e);
            k.2 += 1;
        }
        for (k, (a, e, n)) in kinds {
            eprintln!("  {k:<20} {n:>6} requests, {a:>6.2} s → {e:>6.2} s");
        }
        let arg: Vec<String> = log
            .iter()
            .filter(|r| r.path_and_query.contains("Microsoft.ResourceGraph"))
            .map(|r| format!("{:.2}", r.at.duration_since(t0).as_secs_f64()))
            .collect();
        eprintln!("  Resource Graph queries sent at (s): {}", arg.join(" "));
    }

    // A delta refresh after 100 changed objects.
    let sync = b.sync_state().expect("a load takes delta links");
    let app_ids: Vec<String> = full
        .applications
        .iter()
        .step_by(997)
        .take(50)
        .map(|a| a.id.clone())
        .collect();
    let sp_ids: Vec<String> = full
        .service_principals
        .iter()
        .step_by(1_999)
        .take(50)
        .map(|s| s.id.clone())
        .collect();
    emu.mutate(|t| {
        for a in t
            .applications
            .iter_mut()
            .filter(|a| app_ids.contains(&a.id))
        {
            a.display_name = format!("{} (renamed)", a.display_name);
        }
        for s in t
            .service_principals
            .iter_mut()
            .filter(|s| sp_ids.contains(&s.id))
        {
            s.display_name = format!("{} (renamed)", s.display_name);
        }
    });
    let t = Instant::now();
    let refreshed = rt
        .block_on(b.refresh(
            (*loaded.snapshot).clone(),
            Some(&sync),
            &Scope::default(),
            &Progress::silent(),
        ))
        .unwrap();
    let delta = t.elapsed().as_secs_f64();
    let load_delta = load_average();
    assert!(!refreshed.full);
    let changed = refreshed.applications.changed.len() + refreshed.service_principals.changed.len();
    drop(emu);

    // The sequential crawls.
    let whole = std::env::var_os("CREDWISE_BENCH_FULL").is_some();
    let measure = |divisor: usize, crawl: &dyn Fn(&Emulator) -> usize| {
        let divisor = if whole { 1 } else { divisor };
        let tenant = if divisor == 1 {
            full.clone()
        } else {
            generate_tenant(&spec(divisor), now())
        };
        let emu = rt.block_on(Emulator::start_with(tenant, Options::realistic()));
        let t = Instant::now();
        let requests = crawl(&emu);
        let measured = t.elapsed().as_secs_f64();
        (
            measured,
            measured * divisor as f64,
            requests,
            divisor,
            load_average(),
        )
    };
    let (seq_measured, seq, seq_requests, seq_div, load_seq) =
        measure(SEQ_SUBSET, &|emu| rt.block_on(sequential_999(emu)));
    let (az_measured, az, az_requests, az_div, load_az) =
        measure(AZ_SUBSET, &|emu| rt.block_on(az_shaped(emu)));

    let over = ours / bound.total();
    eprintln!(
        "\nfull load: {ours:.2} s = {over:.2} × T_min {:.2} s (budget ≤ 1.25×): {} [load average {load_ours}]\n\
         sequential, pages of 999: {seq_measured:.1} s for 1/{seq_div} ({seq_requests} requests) → \
         {seq:.0} s; credwise {:.0}× faster (budget ≥ 10×): {} [load average {load_seq}]\n\
         az-shaped: {az_measured:.1} s for 1/{az_div} ({az_requests} requests) → {az:.0} s; \
         credwise {:.0}× faster (budget ≥ 10×): {} [load average {load_az}]\n\
         delta refresh after 100 changed objects ({changed} merged as changed): {delta:.2} s \
         (budget ≤ 3 s): {} [load average {load_delta}]",
        bound.total(),
        verdict(over <= 1.25),
        seq / ours,
        verdict(seq / ours >= 10.0),
        az / ours,
        verdict(az / ours >= 10.0),
        verdict(delta <= 3.0),
    );
}
