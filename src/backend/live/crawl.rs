//! Partitioned paging: each of the crawl's three lists (applications from v1.0, their
//! federated credentials from beta, service principals from v1.0) split into independent
//! queries Graph serves without advanced query parameters, all followed at once, within the
//! pacer's budgets (`pace`).
//!
//! **Why.** A list is a chain of pages (a page's `@odata.nextLink` exists only once the page
//! has arrived), and a page's latency grows with what it returns: paging one query is
//! sequential by nature, so a large tenant takes minutes to read however big the pages
//! (cisagov/ScubaGear#1718: 110,469 service principals in 10 minutes). Independent queries
//! over disjoint parts of a list are chains that run side by side.
//!
//! **How each list is split** — only with what the documentation says works by default
//! (see the emulator's `filter` module for the table and sources):
//!
//! - *Service principals* by the first hex digit of `appId` (`startsWith` is supported on a
//!   principal's `appId`), sixteen queries, or 256 by the first two when the list is large.
//!   Whether `startsWith` compares case-insensitively is not documented, so each query
//!   names both cases (`startsWith(appId,'a') or startsWith(appId,'A')`): correct either
//!   way, no object twice. With two digits, an `appId` of one character would fall between
//!   the prefixes: one more query (`appId in (…)`) takes those. Objects without an `appId` —
//!   agent identities — are under no prefix: the documented cast
//!   `/servicePrincipals/microsoft.graph.agentIdentity` lists them (pages of at most 100).
//! - *Applications* support only `eq` on `appId` (application.md), so they are split by
//!   `createdDateTime`, whose `ge` and `le` work by default (filter-directory-objects.md):
//!   ranges found by bisection with `$count` (cheap, plain-text answers) until each holds
//!   about one page, their bounds at half seconds (directory times are whole seconds, so no
//!   object sits on a bound), the first and last open-ended. Applications whose
//!   `createdDateTime` is null — `eq null` needs the advanced query parameters — are one more
//!   v1.0 query with them (it has no `$expand`); their federated credentials are read one by
//!   one through beta `$batch`, as for any application the beta list did not return.
//!   The same ranges split the beta list (`$select=id&$expand=federatedIdentityCredentials`,
//!   which advanced parameters would refuse). The v1.0 list selects `keyCredentials`, which
//!   caps it at 150 requests a minute: one page per range keeps it under the cap up to
//!   ≈ 100,000 applications, and the pacer holds the rest.
//! - A list under `min_objects` (by its `$count`) is one query, as before: a small tenant
//!   costs no more requests than it did.
//!
//! **Completeness.** The union of a list's queries is checked against its `$count`
//! (eventually consistent, so a disagreement is a warning, not a failure): an object whose
//! `appId` is not hexadecimal, a principal without `appId` that is not an agent identity, an
//! application created before 2000 with a fractional second on a bound would show there.
//!
//! May import the Graph client, the page decoder, the domain and tokio.

use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::graph::Graph;
use crate::backend::{Arrived, Error, Progress};
use crate::domain::Timestamp;

/// When lists are split (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSettings {
    /// A list with fewer objects than this (by `$count`) is read as one query.
    pub min_objects: u64,
    /// Service principals are split by two hex digits (256 queries) above this many.
    pub two_digits_above: u64,
    /// The most applications one `createdDateTime` range should hold.
    pub app_range_target: u64,
}

impl Default for PartitionSettings {
    fn default() -> Self {
        Self {
            min_objects: 2_000,
            two_digits_above: 16_000,
            app_range_target: 999,
        }
    }
}

/// One application partition: a `createdDateTime` range (bounds inclusive; `None` is open),
/// the null ones, or the whole list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    All,
    Range {
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    },
    Null,
}

fn literal(t: Timestamp) -> String {
    crate::domain::rfc3339(t)
}

impl Created {
    /// Its `$filter`, if any.
    pub fn filter(&self) -> Option<String> {
        match self {
            Created::All => None,
            Created::Null => Some("createdDateTime eq null".into()),
            Created::Range { from, to } => match (from, to) {
                (Some(a), Some(b)) => Some(format!(
                    "createdDateTime ge {} and createdDateTime le {}",
                    literal(*a),
                    literal(*b)
                )),
                (Some(a), None) => Some(format!("createdDateTime ge {}", literal(*a))),
                (None, Some(b)) => Some(format!("createdDateTime le {}", literal(*b))),
                // No bound at all would be every non-null date, which `le`/`ge` alone
                // cannot say; a range always has one.
                (None, None) => Some(format!(
                    "createdDateTime le {}",
                    literal(time::macros::datetime!(9999-12-31 23:59:59 UTC))
                )),
            },
        }
    }

    /// Whether this query needs the advanced query parameters (`eq null`).
    pub fn advanced(&self) -> bool {
        matches!(self, Created::Null)
    }
}

const HEX: &[u8] = b"0123456789abcdef";

/// `startsWith(appId,…)` for every case variant of `prefix` (letters a–f both ways).
fn prefix_filter(prefix: &str) -> String {
    let mut variants = vec![String::new()];
    for c in prefix.chars() {
        let mut next = Vec::new();
        for v in &variants {
            next.push(format!("{v}{c}"));
            if c.is_ascii_alphabetic() {
                next.push(format!("{v}{}", c.to_ascii_uppercase()));
            }
        }
        variants = next;
    }
    variants
        .iter()
        .map(|v| format!("startsWith(appId,'{v}')"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A service principal partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpPart {
    All,
    /// `appId` starting with this (hex, lower case; both cases are asked).
    Prefix(String),
    /// `appId` of exactly one hex digit (between two-digit prefixes).
    Short,
    /// The agent identity cast.
    Agents,
}

impl SpPart {
    pub fn filter(&self) -> Option<String> {
        match self {
            SpPart::All | SpPart::Agents => None,
            SpPart::Prefix(p) => Some(prefix_filter(p)),
            SpPart::Short => {
                let values: Vec<String> = HEX
                    .iter()
                    .map(|c| char::from(*c))
                    .chain(('A'..='F').collect::<Vec<_>>())
                    .map(|c| format!("'{c}'"))
                    .collect();
                Some(format!("appId in ({})", values.join(",")))
            }
        }
    }
}

/// The service principal partitions for a list of `count` (unknown: one query).
pub fn sp_partitions(count: Option<u64>, s: &PartitionSettings) -> Vec<SpPart> {
    let Some(n) = count.filter(|n| *n >= s.min_objects) else {
        return vec![SpPart::All];
    };
    let mut parts: Vec<SpPart> = if n > s.two_digits_above {
        let mut v: Vec<SpPart> = HEX
            .iter()
            .flat_map(|a| {
                HEX.iter()
                    .map(move |b| SpPart::Prefix(format!("{}{}", char::from(*a), char::from(*b))))
            })
            .collect();
        v.push(SpPart::Short);
        v
    } else {
        HEX.iter()
            .map(|a| SpPart::Prefix(char::from(*a).to_string()))
            .collect()
    };
    parts.push(SpPart::Agents);
    parts
}

/// Where application ranges start and stop being split: the directory did not exist before
/// 2000, and nothing is created a day ahead of the clock. Objects outside fall in the
/// open-ended first and last ranges.
fn span(now: Timestamp) -> (Timestamp, Timestamp) {
    (
        time::macros::datetime!(2000-01-01 00:00:00.5 UTC),
        now + time::Duration::days(1),
    )
}

/// `t` moved to its second's half (bounds never fall on a whole second).
fn half(t: Timestamp) -> Timestamp {
    t.replace_nanosecond(500_000_000).unwrap_or(t)
}

/// A half-second instant between `a` and `b`.
fn midpoint(a: Timestamp, b: Timestamp) -> Timestamp {
    half(a + (b - a) / 2)
}

/// A progress stage shared by the partitions of one list.
pub struct Stage<'a> {
    pub name: &'static str,
    pub done: AtomicU64,
    pub total: &'a super::graph::Total,
    pub progress: &'a Progress,
}

impl Stage<'_> {
    pub fn add(&self, n: u64) {
        let d = self.done.fetch_add(n, Ordering::Relaxed) + n;
        self.progress.report(self.name, d, self.total.get());
    }

    pub fn sub(&self, n: u64) {
        let d = self.done.fetch_sub(n, Ordering::Relaxed).saturating_sub(n);
        self.progress.report(self.name, d, self.total.get());
    }
}

impl Graph {
    /// `$count` of `collection` (a path under v1.0) with `filter` (advanced query
    /// parameters); `Ok(None)` when Graph will not say (`Graph::count`).
    pub async fn count_where(
        &self,
        collection: &str,
        filter: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        let url = match filter {
            None => format!("{}/{collection}/$count", self.v1),
            Some(f) => format!("{}/{collection}/$count?$filter={f}", self.v1),
        };
        self.count_url(&url).await
    }

    /// The `createdDateTime` ranges that split the applications into parts of about
    /// `target` (module docs), plus the null ones. Falls back to one query when Graph will
    /// not count.
    pub async fn plan_app_ranges(
        &self,
        target: u64,
        now: Timestamp,
    ) -> Result<Vec<Created>, Error> {
        let (start, end) = span(now);
        let target = target.max(1);
        // A range [a, b) is read as `ge a and le b − 1 µs`; its bounds are half seconds.
        let range = |a: Timestamp, b: Timestamp| Created::Range {
            from: Some(a),
            to: Some(b - time::Duration::microseconds(1)),
        };
        // Sixteen slices first (one round of counts), then halves until small enough.
        let step = (end - start) / 16;
        let mut pending: Vec<(Timestamp, Timestamp)> = (0..16)
            .map(|i| {
                let a = if i == 0 {
                    start
                } else {
                    half(start + step * i)
                };
                let b = if i == 15 {
                    end
                } else {
                    half(start + step * (i + 1))
                };
                (a, b)
            })
            .collect();
        let mut leaves: Vec<(Timestamp, Timestamp, u64)> = Vec::new();
        while !pending.is_empty() {
            let counts: Vec<Option<u64>> =
                futures::future::try_join_all(pending.iter().map(|(a, b)| {
                    let f = range(*a, *b).filter();
                    async move { self.count_where("applications", f.as_deref()).await }
                }))
                .await?;
            let mut next = Vec::new();
            for ((a, b), n) in pending.into_iter().zip(counts) {
                let Some(n) = n else {
                    return Ok(vec![Created::All]);
                };
                if n <= target || (b - a) < time::Duration::seconds(4) {
                    leaves.push((a, b, n));
                } else {
                    let m = midpoint(a, b);
                    next.push((a, m));
                    next.push((m, b));
                }
            }
            pending = next;
        }
        leaves.sort_by_key(|(a, _, _)| *a);
        // Neighbours merge while they fit in one part: empty years cost no query.
        let mut merged: Vec<(Timestamp, Timestamp, u64)> = Vec::new();
        for (a, b, n) in leaves {
            match merged.last_mut() {
                Some(last) if last.2 + n <= target => {
                    last.1 = b;
                    last.2 += n;
                }
                _ => merged.push((a, b, n)),
            }
        }
        let last = merged.len().saturating_sub(1);
        let mut out: Vec<Created> = merged
            .iter()
            .enumerate()
            .map(|(i, (a, b, _))| Created::Range {
                from: (i > 0).then_some(*a),
                to: (i < last).then(|| *b - time::Duration::microseconds(1)),
            })
            .collect();
        out.push(Created::Null);
        Ok(out)
    }

    /// Follows every partition of one list at once; returns each partition's result in
    /// order.
    pub async fn follow_all<W, T>(
        &self,
        firsts: Vec<String>,
        stage: &Stage<'_>,
        sink: &(dyn Fn(&[T]) + Send + Sync),
    ) -> Vec<Result<super::graph::Listed<T>, Error>>
    where
        W: serde::de::DeserializeOwned + TryInto<T, Error = String> + Send,
        T: Send,
    {
        let mut running: FuturesUnordered<_> = firsts
            .iter()
            .enumerate()
            .map(|(i, url)| async move { (i, self.list::<W, T>(url, stage, sink).await) })
            .collect();
        let mut out: Vec<Option<Result<super::graph::Listed<T>, Error>>> =
            (0..firsts.len()).map(|_| None).collect();
        while let Some((i, r)) = running.next().await {
            let failed = r.is_err();
            out[i] = Some(r);
            // One failed partition fails the list: the rest need not finish.
            if failed {
                break;
            }
        }
        drop(running);
        out.into_iter().flatten().collect()
    }
}

impl Graph {
    /// Every application's federated credentials, read again (a sweep after an incremental
    /// refresh): the beta list split as in a load, then the applications of `ids` it did not
    /// return one by one through `$batch`. Keys are lower-cased object ids.
    pub async fn sweep_fics(
        &self,
        ids: &[String],
        progress: &Progress,
        now: Timestamp,
    ) -> Result<
        (
            std::collections::HashMap<String, Vec<crate::domain::FederatedIdentityCredential>>,
            Vec<crate::backend::Warning>,
        ),
        Error,
    > {
        let total = super::graph::Total::new();
        let n = self.count("applications").await?;
        total.set(n);
        let parts = match n {
            Some(n) if n >= self.partitions.min_objects => {
                self.plan_app_ranges(self.partitions.app_range_target, now)
                    .await?
            }
            _ => vec![Created::All],
        };
        let stage = Stage {
            name: "federated credentials",
            done: AtomicU64::new(0),
            total: &total,
            progress,
        };
        let firsts: Vec<String> = parts
            .iter()
            .filter(|p| !p.advanced())
            .map(|p| self.fic_url(p))
            .collect();
        let results = self
            .follow_all::<super::graph::WireAppFics, super::graph::AppFics>(
                firsts,
                &stage,
                &|_: &[super::graph::AppFics]| {},
            )
            .await;
        let mut by_id = std::collections::HashMap::new();
        let mut rejected = Vec::new();
        for r in results {
            for app in r?.items {
                rejected.extend(app.rejected);
                by_id.insert(app.id.to_ascii_lowercase(), app.fics);
            }
        }
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !by_id.contains_key(&id.to_ascii_lowercase()))
            .cloned()
            .collect();
        let mut warnings = Vec::new();
        if !missing.is_empty() {
            let (read, failed, more) = self.fics_of(&missing, progress).await?;
            rejected.extend(more);
            for (id, list) in read {
                by_id.insert(id.to_ascii_lowercase(), list);
            }
            if let Some((_, why)) = failed.first() {
                warnings.push(crate::backend::Warning {
                    area: crate::backend::Area::FederatedCredentials,
                    message: format!(
                        "the federated credentials of {} application(s) could not be read \
                         again ({why}); they are shown as they were",
                        failed.len()
                    ),
                });
            }
        }
        warnings.extend(super::graph::rejected_warning(
            crate::backend::Area::FederatedCredentials,
            rejected,
        ));
        Ok((by_id, warnings))
    }
}

/// Sends `items` to whoever watches the load, when someone does.
pub fn offer<T: Clone>(progress: &Progress, items: &[T], wrap: impl FnOnce(Vec<T>) -> Arrived) {
    if progress.wants_pages() && !items.is_empty() {
        progress.arrived(wrap(items.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_both_cases_and_cover_every_hex_start() {
        assert_eq!(prefix_filter("0"), "startsWith(appId,'0')");
        assert_eq!(
            prefix_filter("a1"),
            "startsWith(appId,'a1') or startsWith(appId,'A1')"
        );
        assert_eq!(prefix_filter("ab").matches(" or ").count(), 3);
        let s = PartitionSettings::default();
        assert_eq!(sp_partitions(Some(10), &s), vec![SpPart::All]);
        assert_eq!(sp_partitions(None, &s), vec![SpPart::All]);
        let sixteen = sp_partitions(Some(5_000), &s);
        assert_eq!(sixteen.len(), 17);
        assert_eq!(sixteen.last(), Some(&SpPart::Agents));
        let many = sp_partitions(Some(100_000), &s);
        assert_eq!(many.len(), 256 + 2);
        assert!(many.contains(&SpPart::Short));
        assert_eq!(
            SpPart::Short.filter().unwrap(),
            "appId in ('0','1','2','3','4','5','6','7','8','9','a','b','c','d','e','f','A','B','C','D','E','F')"
        );
    }

    #[test]
    fn ranges_have_half_second_bounds_and_open_ends() {
        let a = time::macros::datetime!(2020-01-01 00:00:00 UTC);
        let b = time::macros::datetime!(2020-01-01 00:00:10 UTC);
        assert_eq!(midpoint(a, b).nanosecond(), 500_000_000);
        assert_eq!(
            Created::Range {
                from: Some(time::macros::datetime!(2020-01-01 00:00:00.5 UTC)),
                to: None
            }
            .filter()
            .unwrap(),
            "createdDateTime ge 2020-01-01T00:00:00.5Z"
        );
        assert!(Created::Null.advanced() && !Created::All.advanced());
    }
}
