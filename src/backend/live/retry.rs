//! When and how long to wait before trying a request again. azure_core's own retry policy
//! reads `Retry-After` as whole seconds, and Graph sends decimals (`Retry-After: 2.128`,
//! reference §3.2) — which azure_core drops, falling back to its backoff. So this is credwise's
//! own policy, an azure_core `Policy` in each pipeline:
//!
//! - reads (`Mode::Read`, GETs and the read-only POSTs `$batch` and Resource Graph) are retried
//!   on 429, 503, 504, transport errors, a stalled try (no complete response within
//!   `try_timeout`) and once on a 401 when a credential can fetch a fresh token;
//! - writes (`Mode::Write`) are retried only on 429 and on connection errors, where the
//!   request was never sent: a POST answered 500 may have happened, and a second addPassword
//!   would mint a second secret;
//! - the server's delay (`x-ms-retry-after-ms`, `retry-after-ms`, `Retry-After` in decimal
//!   seconds or as an HTTP date) is honoured, otherwise capped exponential backoff with
//!   jitter; and the total wait is capped, so a tenant that stays throttled fails with a 429
//!   (mapped to `Error::Throttled`) instead of hanging;
//! - transport failures (a connection refused, reset or closed before the answer, an answer
//!   cut off, a stalled try) have a budget of their own, much shorter than the throttling
//!   cap: `max_connection_retries` retries within `transport_budget` of wall time, counted
//!   from the start of the first try that failed, tries included. A blip is ridden out; a
//!   network that is down is reported within a minute instead of after minutes of retries.
//!
//! Every figure is in `RetrySettings`, so tests run in milliseconds.
//!
//! May import azure_core and tokio.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use azure_core::error::ErrorKind;
use azure_core::http::StatusCode;
use azure_core::http::headers::{HeaderName, Headers};
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Request};

use super::pace::Pacer;

/// The knobs of the retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySettings {
    /// Retries after the first try.
    pub max_retries: u32,
    /// The first backoff delay; doubled on each retry.
    pub initial_delay: Duration,
    /// The longest single backoff delay (a server's `Retry-After` may be longer).
    pub max_delay: Duration,
    /// The most time one request may spend waiting between tries, all retries together.
    pub max_total_wait: Duration,
    /// How long one try may take, body included, before it counts as stalled.
    pub try_timeout: Duration,
    /// Retries after a transport failure (a refused, reset or closed connection, an answer
    /// cut off, a stalled try): a blip is ridden out, but a network that is down (or an
    /// emulator that is gone) fails in seconds, not minutes.
    pub max_connection_retries: u32,
    /// The most wall time one request may spend on transport failures, from the start of the
    /// first try that failed: tries after it are cut short to fit, and none starts once it is
    /// spent. Throttling (429 and its `Retry-After`) is not counted here.
    pub transport_budget: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_retries: 8,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(180),
            // Graph's largest pages (999 service principals) come in seconds; a try that has
            // not finished in 45 s is stalled, and a stall still fails within the budget.
            try_timeout: Duration::from_secs(45),
            max_connection_retries: 2,
            transport_budget: Duration::from_secs(50),
        }
    }
}

/// Reads may be repeated freely; writes only when they certainly did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

/// The policy; one instance per pipeline.
#[derive(Debug)]
pub struct RetryPolicy {
    settings: RetrySettings,
    mode: Mode,
    /// Whether a 401 may be worth one more try: the bearer policy drops its cached token on a
    /// 401, so the retry carries a fresh one (a token that expired mid-crawl).
    refresh_on_401: bool,
    jitter: Jitter,
    /// Waits before every try until the service's budgets allow it (`pace`); its wait is not
    /// part of a try's timeout.
    pacer: Option<Arc<Pacer>>,
}

impl RetryPolicy {
    pub fn new(settings: RetrySettings, mode: Mode, refresh_on_401: bool) -> Self {
        Self {
            settings,
            mode,
            refresh_on_401,
            jitter: Jitter::new(),
            pacer: None,
        }
    }

    /// The same policy, pacing every try with `pacer`.
    pub fn paced(mut self, pacer: Arc<Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// The capped exponential backoff before retry number `retry` (1-based), with ±20 %
    /// jitter so that concurrent requests do not come back in lockstep.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .settings
            .initial_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
            .min(self.settings.max_delay);
        base.mul_f64(0.8 + 0.4 * self.jitter.next_unit())
    }
}

/// A stalled try: the timeout error carries this message, so the caller can say what
/// happened.
pub const STALLED: &str = "no complete response within the try timeout";

#[async_trait::async_trait]
impl Policy for RetryPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let mut waited = Duration::ZERO;
        let mut retries = 0u32;
        let mut transport_failures = 0u32;
        // When the first try that ended in a transport failure started.
        let mut failing_since: Option<Instant> = None;
        let mut refreshed = false;
        loop {
            let try_timeout = match failing_since {
                Some(since) => self.settings.try_timeout.min(
                    self.settings
                        .transport_budget
                        .saturating_sub(since.elapsed()),
                ),
                None => self.settings.try_timeout,
            };
            let permit = match &self.pacer {
                Some(p) => {
                    let body = match request.body() {
                        azure_core::http::Body::Bytes(b) => Some(b.to_vec()),
                        _ => None,
                    };
                    let (method, url) = (request.method(), request.url().clone());
                    Some(p.acquire(&method, &url, body.as_deref()).await)
                }
                None => None,
            };
            let started = Instant::now();
            let result =
                match tokio::time::timeout(try_timeout, next[0].send(ctx, request, &next[1..]))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => Err(azure_core::Error::with_message(ErrorKind::Io, STALLED)),
                };
            if let (Some(p), Some(permit), Ok(response)) = (&self.pacer, &permit, &result) {
                p.observe(permit, u16::from(response.status()), response.headers());
            }
            drop(permit);
            let delay = match &result {
                Ok(response) => {
                    let status = response.status();
                    match decide(self.mode, status) {
                        Decision::Done => return result,
                        Decision::RefreshToken => {
                            if !self.refresh_on_401 || refreshed {
                                return result;
                            }
                            refreshed = true;
                            // Not a retry: the first 401 only costs a token refresh.
                            continue;
                        }
                        Decision::Retry => retry_after(response.headers())
                            .map(|d| {
                                d + self
                                    .settings
                                    .initial_delay
                                    .mul_f64(0.1 * self.jitter.next_unit())
                            })
                            .unwrap_or_else(|| self.backoff(retries + 1)),
                    }
                }
                Err(e) => {
                    let retryable = match (self.mode, e.kind()) {
                        (_, ErrorKind::Connection) => true,
                        // A timeout or a cut connection after the request went out: a read
                        // is repeated, a write may have happened.
                        (Mode::Read, ErrorKind::Io) => true,
                        _ => false,
                    };
                    if !retryable {
                        return result;
                    }
                    transport_failures += 1;
                    let since = *failing_since.get_or_insert(started);
                    let delay = self.backoff(transport_failures);
                    if transport_failures > self.settings.max_connection_retries
                        || since.elapsed() + delay >= self.settings.transport_budget
                    {
                        return result;
                    }
                    delay
                }
            };
            if retries >= self.settings.max_retries || waited + delay > self.settings.max_total_wait
            {
                return result;
            }
            retries += 1;
            waited += delay;
            tokio::time::sleep(delay).await;
        }
    }
}

enum Decision {
    Done,
    Retry,
    RefreshToken,
}

fn decide(mode: Mode, status: StatusCode) -> Decision {
    match (mode, u16::from(status)) {
        (_, 429) => Decision::Retry,
        (_, 401) => Decision::RefreshToken,
        (Mode::Read, 503 | 504) => Decision::Retry,
        _ => Decision::Done,
    }
}

const X_MS_RETRY_AFTER_MS: HeaderName = HeaderName::from_static("x-ms-retry-after-ms");
const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");

/// The longest server delay credwise accepts from one header; anything longer is treated as
/// this (the total-wait cap then decides whether to wait at all).
const MAX_SERVER_DELAY: Duration = Duration::from_secs(3600);

/// The server's requested delay: `x-ms-retry-after-ms` or `retry-after-ms` (milliseconds), or
/// `Retry-After` in seconds — decimals included — or as an HTTP date.
pub fn retry_after(headers: &Headers) -> Option<Duration> {
    let number = |name: &HeaderName, scale: f64| {
        headers
            .get_optional_str(name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| Duration::from_secs_f64((v * scale).min(MAX_SERVER_DELAY.as_secs_f64())))
    };
    number(&X_MS_RETRY_AFTER_MS, 0.001)
        .or_else(|| number(&RETRY_AFTER_MS, 0.001))
        .or_else(|| number(&RETRY_AFTER, 1.0))
        .or_else(|| {
            let date = headers.get_optional_str(&RETRY_AFTER)?;
            let at = azure_core::time::parse_rfc7231(date.trim()).ok()?;
            let wait = at - azure_core::time::OffsetDateTime::now_utc();
            Some(
                Duration::try_from(wait)
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_SERVER_DELAY),
            )
        })
}

/// `Retry-After` of a `$batch` item, whose headers are a JSON object.
pub fn retry_after_in(headers: &serde_json::Map<String, serde_json::Value>) -> Option<Duration> {
    let mut h = Headers::new();
    for (k, v) in headers {
        if let Some(v) = v.as_str() {
            h.insert(k.to_ascii_lowercase(), v.to_string());
        } else if let Some(n) = v.as_f64() {
            h.insert(k.to_ascii_lowercase(), n.to_string());
        }
    }
    retry_after(&h)
}

/// A tiny lock-free PRNG (splitmix64) for jitter; seeded from a fresh UUID, so two processes
/// do not share a sequence. Jitter needs spread, not cryptographic quality.
#[derive(Debug)]
struct Jitter(AtomicU64);

impl Jitter {
    fn new() -> Self {
        Self(AtomicU64::new(uuid::Uuid::new_v4().as_u64_pair().0))
    }

    /// A number in [0, 1).
    fn next_unit(&self) -> f64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Headers from name/value pairs, for tests.
#[cfg(test)]
pub fn headers(pairs: &[(&str, &str)]) -> Headers {
    let mut h = Headers::new();
    for (k, v) in pairs {
        h.insert(k.to_string(), v.to_string());
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_every_form() {
        let ms = |m: u64| Some(Duration::from_millis(m));
        assert_eq!(retry_after(&headers(&[("retry-after", "2.128")])), ms(2128));
        assert_eq!(retry_after(&headers(&[("retry-after", "10")])), ms(10_000));
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "150")])), ms(150));
        assert_eq!(
            retry_after(&headers(&[
                ("x-ms-retry-after-ms", "75"),
                ("retry-after", "9")
            ])),
            ms(75)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&headers(&[])), None);
        // A date in the past means "now".
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Fri, 01 Jan 2021 00:00:00 GMT"
            )])),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1e9")])),
            Some(MAX_SERVER_DELAY)
        );
        let mut item = serde_json::Map::new();
        item.insert("Retry-After".into(), serde_json::json!("0.5"));
        assert_eq!(retry_after_in(&item), ms(500));
        item.insert("Retry-After".into(), serde_json::json!(3));
        assert_eq!(retry_after_in(&item), ms(3000));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::new(
            RetrySettings {
                initial_delay: Duration::from_millis(100),
                max_delay: Duration::from_millis(1000),
                ..RetrySettings::default()
            },
            Mode::Read,
            false,
        );
        for (retry, base) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let d = p.backoff(retry).as_millis() as u64;
            assert!(d >= base * 8 / 10 && d <= base * 12 / 10, "{retry}: {d}");
        }
        let spread: std::collections::BTreeSet<u128> =
            (0..20).map(|_| p.backoff(3).as_micros()).collect();
        assert!(spread.len() > 10, "no jitter: {spread:?}");
    }

    #[test]
    fn writes_are_not_retried_on_server_errors() {
        for status in [500u16, 502, 503, 504] {
            assert!(matches!(decide(Mode::Write, status.into()), Decision::Done));
        }
        assert!(matches!(decide(Mode::Write, 429.into()), Decision::Retry));
        assert!(matches!(decide(Mode::Read, 503.into()), Decision::Retry));
        assert!(matches!(decide(Mode::Read, 500.into()), Decision::Done));
        assert!(matches!(decide(Mode::Read, 404.into()), Decision::Done));
    }
}
