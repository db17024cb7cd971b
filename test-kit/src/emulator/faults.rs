//! Fault injection: a queue of faults, each matching requests by method and a path substring,
//! letting `skip` matching requests through and then acting on the next `times` of them.
//! Faults apply to real HTTP requests and to each `$batch` item alike.

use std::time::Duration;

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// `None` (or `"*"`) matches every method.
    pub method: Option<String>,
    /// A substring of the path (percent-decoded, with the `/v1.0` or `/beta` prefix for
    /// Graph), e.g. `"/servicePrincipals"`. Compared case-sensitively, like Graph paths are
    /// written; empty matches every path.
    pub path: String,
}

impl Matcher {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: (method != "*").then(|| method.to_ascii_uppercase()),
            path: path.to_string(),
        }
    }

    /// Any method.
    pub fn path(path: &str) -> Self {
        Self {
            method: None,
            path: path.to_string(),
        }
    }

    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.contains(&self.path)
    }
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status, headers and body (see `graph_error` / `arm_error`).
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// 429 with `Retry-After: <value>` (decimals allowed, e.g. `"2.128"`) and the throttled
    /// body of the API the path belongs to.
    Throttle { retry_after: String },
    /// Send the real response's headers and the first half of its body, then close the
    /// connection. In a `$batch` item it truncates the whole batch response.
    Truncate,
    /// Accept and say nothing for that long, then answer normally (a client with a shorter
    /// timeout gives up first).
    Stall(Duration),
    /// 401 `InvalidAuthenticationToken` (Graph) / `ExpiredAuthenticationToken` (ARM): a token
    /// that expired mid-crawl.
    Unauthorized,
    /// Read the request, then close the connection without a byte of answer (a network cut,
    /// a proxy or load balancer dropping the connection: the client sees "connection closed
    /// before message completed"). In a `$batch` item it cuts off the whole batch response,
    /// like `Truncate`.
    Close,
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub matcher: Matcher,
    /// Matching requests let through before the fault acts.
    pub skip: usize,
    /// How many matching requests it then acts on.
    pub times: usize,
    pub action: FaultAction,
}

impl Fault {
    /// Acts once, on the next matching request.
    pub fn new(matcher: Matcher, action: FaultAction) -> Self {
        Self {
            matcher,
            skip: 0,
            times: 1,
            action,
        }
    }

    pub fn skip(mut self, n: usize) -> Self {
        self.skip = n;
        self
    }

    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// Acts on every matching request until cleared.
    pub fn always(mut self) -> Self {
        self.times = usize::MAX;
        self
    }

    /// A Graph error answer, e.g. `Fault::graph_status(403, "Authorization_RequestDenied", "…")`.
    pub fn graph_status(matcher: Matcher, status: u16, code: &str, message: &str) -> Self {
        Self::new(
            matcher,
            FaultAction::Status {
                status,
                headers: vec![],
                body: super::graph_error(code, message),
            },
        )
    }

    /// An ARM error answer, e.g. `Fault::arm_status(403, "AuthorizationFailed", "…")`.
    pub fn arm_status(matcher: Matcher, status: u16, code: &str, message: &str) -> Self {
        Self::new(
            matcher,
            FaultAction::Status {
                status,
                headers: vec![],
                body: super::arm_error(code, message),
            },
        )
    }
}

/// The queue. Faults are consulted in the order they were injected; the first that matches
/// and still has work decides (a fault in its `skip` phase counts the request and lets it on
/// to the next fault).
#[derive(Debug, Default)]
pub struct Faults {
    queue: Vec<Fault>,
}

impl Faults {
    pub fn push(&mut self, fault: Fault) {
        self.queue.push(fault);
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// The action for this request, if a fault takes it.
    pub fn take(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        let mut hit = None;
        for (i, f) in self.queue.iter_mut().enumerate() {
            if f.times == 0 || !f.matcher.matches(method, path) {
                continue;
            }
            if f.skip > 0 {
                f.skip -= 1;
                continue;
            }
            if f.times != usize::MAX {
                f.times -= 1;
            }
            hit = Some((i, f.action.clone()));
            break;
        }
        let (i, action) = hit?;
        if self.queue[i].times == 0 {
            self.queue.remove(i);
        }
        Some(action)
    }
}
