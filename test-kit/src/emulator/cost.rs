//! The cost model: what a request costs in time and in throttling budget, in one place, so
//! tests and benches measure a crawl against the services' real limits instead of a flat
//! latency. `CostModel` holds the latencies; the budgets it goes with are
//! `throttle::ThrottleBudget` (Graph's ResourceUnit bucket per tier, the write quota, the
//! `keyCredentials` list cap, ARM's buckets, the managed-identity provider's rates, Resource
//! Graph's quota). `realistic()` pairs both as the benches use them.
//!
//! **Graph page latency.** A collection page costs a fixed part plus a part per object it
//! returns:
//!
//! ```text
//! latency(n) = L0 + c · n
//! ```
//!
//! The one public measurement of sequential paging at scale is cisagov/ScubaGear#1718 (a
//! user's run of 2026-06-03): 110,469 service principals in 10 min 05.7 s through
//! `Invoke-GraphDirectly` — default pages of 100 (no `$top`), a `$select` of eight
//! properties, one page at a time — that is 1,105 pages at 0.548 s each; and 6,427
//! applications in 38.8 s, 65 pages at 0.596 s. These fix L0 + 100·c. How the time splits
//! between the fixed part and the part per object is not published: L0 = 100 ms is
//! **unconfirmed** (a small directory read's round trip), which gives c = 4.48 ms per service
//! principal and 4.96 ms per application. The model's consequence is the one that matters for
//! a crawler: a page of 999 costs ≈ 4.6 s, so larger pages save only the fixed part, and a
//! list is as fast as its longest chain of pages — paging one query is sequential by nature
//! (Microsoft's own tenant assessment takes hours on large tenants:
//! microsoft/zerotrustassessment#1217, #1236).
//!
//! An expanded page costs as many objects as it returns (each application with its
//! federated credentials); `$count` and single-object reads cost L0. ARM requests cost a
//! flat `arm_request` (100 ms, the latency at which issue #13 measured `snapshot save`;
//! **unconfirmed** as a service figure), Resource Graph queries too.

use std::time::Duration;

use super::throttle::{ThrottleBudget, Tier};

/// Latencies of the emulated services (see the module docs for the formula and sources).
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// L0: the fixed part of every Graph request.
    pub graph_request: Duration,
    /// c for service principals (and everything but applications).
    pub graph_per_object: Duration,
    /// c for applications (their pages are larger: credentials, FICs).
    pub graph_per_application: Duration,
    /// Every ARM request and Resource Graph query.
    pub arm_request: Duration,
}

impl CostModel {
    /// The figures fitted to cisagov/ScubaGear#1718 (module docs).
    pub fn published() -> Self {
        Self {
            graph_request: Duration::from_millis(100),
            graph_per_object: Duration::from_micros(4_480),
            graph_per_application: Duration::from_micros(4_960),
            arm_request: Duration::from_millis(100),
        }
    }

    /// Every latency multiplied by `factor` (tests run the model at a hundredth of real time).
    pub fn scaled(factor: f64) -> Self {
        let p = Self::published();
        Self {
            graph_request: p.graph_request.mul_f64(factor),
            graph_per_object: p.graph_per_object.mul_f64(factor),
            graph_per_application: p.graph_per_application.mul_f64(factor),
            arm_request: p.arm_request.mul_f64(factor),
        }
    }

    /// The latency of a Graph answer holding `objects` objects (`applications` when they are
    /// applications).
    pub fn graph(&self, objects: usize, applications: bool) -> Duration {
        let per = if applications {
            self.graph_per_application
        } else {
            self.graph_per_object
        };
        self.graph_request + per * objects as u32
    }
}

/// The cost model and the S-tier budgets together: what the benches run against.
pub fn realistic() -> (CostModel, ThrottleBudget) {
    (CostModel::published(), ThrottleBudget::graph_tier(Tier::S))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_reproduces_the_published_baseline() {
        let m = CostModel::published();
        // 1,105 pages of 100 service principals: 10 min 05 s in ScubaGear#1718.
        let sps = m.graph(100, false) * 1_105;
        assert!((600..=612).contains(&sps.as_secs()), "{sps:?}");
        // 65 pages of 100 applications: 38.8 s.
        let apps = m.graph(100, true) * 65;
        assert!((38..=40).contains(&apps.as_secs()), "{apps:?}");
    }
}
