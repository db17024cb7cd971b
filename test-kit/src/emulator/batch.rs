//! Graph JSON batching (`POST /$batch`, reference §3.1): at most 20 requests with unique ids and
//! relative URLs, `headers` with a `Content-Type` whenever there is a body, `dependsOn` (a
//! failed dependency gives 424). Each item runs through the same faults, throttling and routes
//! as an HTTP request; the responses come back in shuffled order.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::graph_json::Version;
use super::wire::{Req, Resp, graph_fail};
use super::{Api, Inner, lock};

pub const BATCH_LIMIT: usize = 20;

struct Item {
    id: String,
    depends_on: Vec<String>,
    req: Req,
    path_and_query: String,
}

fn bad(message: &str) -> Resp {
    graph_fail(400, "BadRequest", message)
}

fn parse(outer: &Req, version: Version) -> Result<Vec<Item>, Resp> {
    let body = outer.json_body().map_err(|m| bad(&m))?;
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Err(bad(
            "Invalid batch payload format: 'requests' must be an array.",
        ));
    };
    if requests.is_empty() {
        return Err(bad("Invalid batch payload format: 'requests' is empty."));
    }
    if requests.len() > BATCH_LIMIT {
        return Err(bad(&format!(
            "The number of requests in the batch ({}) exceeds the limit of {BATCH_LIMIT}.",
            requests.len()
        )));
    }
    let mut items: Vec<Item> = Vec::with_capacity(requests.len());
    for r in requests {
        let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
        let Some(id) = s("id").filter(|i| !i.is_empty()) else {
            return Err(bad("Every batch request needs an 'id'."));
        };
        if items.iter().any(|i| i.id.eq_ignore_ascii_case(&id)) {
            return Err(bad(&format!(
                "Batch request ids must be unique; '{id}' appears more than once."
            )));
        }
        let Some(method) = s("method") else {
            return Err(bad(&format!("Batch request '{id}' has no 'method'.")));
        };
        let Some(url) = s("url") else {
            return Err(bad(&format!("Batch request '{id}' has no 'url'.")));
        };
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Err(bad(&format!(
                "Batch request '{id}' has an absolute URL; batch URLs must be relative (e.g. /applications)."
            )));
        }
        let mut headers = HeaderMap::new();
        match r.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(h)) => {
                for (k, v) in h {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if let (Ok(name), Ok(value)) = (
                        HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                        HeaderValue::from_str(&v),
                    ) {
                        headers.append(name, value);
                    }
                }
            }
            Some(_) => return Err(bad(&format!("Batch request '{id}' has invalid 'headers'."))),
        }
        let body = match r.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(b) => {
                if !headers.contains_key("content-type") {
                    return Err(bad(&format!(
                        "Write request id : {id} does not contain Content-Type header or body."
                    )));
                }
                serde_json::to_vec(b).unwrap_or_default()
            }
        };
        let depends_on = match r.get("dependsOn") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(_) => {
                return Err(bad(&format!(
                    "Batch request '{id}' has invalid 'dependsOn'."
                )));
            }
        };
        let rel = if url.starts_with('/') {
            url.clone()
        } else {
            format!("/{url}")
        };
        let path_and_query = format!("/{}{rel}", version.prefix());
        let mut req = Req::new(&method, &path_and_query, headers, body);
        req.base = outer.base.clone();
        items.push(Item {
            id,
            depends_on,
            req,
            path_and_query,
        });
    }
    for item in &items {
        for dep in &item.depends_on {
            if dep.eq_ignore_ascii_case(&item.id)
                || !items.iter().any(|i| i.id.eq_ignore_ascii_case(dep))
            {
                return Err(bad(&format!(
                    "Batch request '{}' depends on '{dep}', which is not another request of this batch.",
                    item.id
                )));
            }
        }
    }
    Ok(items)
}

fn item_json(id: &str, resp: &Resp) -> Value {
    let mut headers = Map::new();
    for (k, v) in &resp.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
    }
    let mut o = Map::new();
    o.insert("id".into(), id.into());
    o.insert("status".into(), resp.status.into());
    o.insert("headers".into(), Value::Object(headers));
    if !resp.body.is_empty() {
        let is_json = resp
            .header("content-type")
            .is_some_and(|c| c.contains("json"));
        let body = if is_json {
            serde_json::from_slice(&resp.body).unwrap_or(Value::Null)
        } else {
            Value::String(String::from_utf8_lossy(&resp.body).into_owned())
        };
        o.insert("body".into(), body);
    }
    Value::Object(o)
}

/// Runs a batch; the flag says an item asked for the response to be truncated.
pub async fn run(inner: &Arc<Inner>, req: &Req, version: Version) -> (Resp, bool) {
    if req.method != "POST" {
        return (
            graph_fail(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            ),
            false,
        );
    }
    let items = match parse(req, version) {
        Ok(items) => items,
        Err(r) => return (r, false),
    };
    let api = Api::Graph(version);
    let mut results: HashMap<usize, Resp> = HashMap::new();
    let mut truncate = false;
    let status_of = |results: &HashMap<usize, Resp>, dep: &str| {
        items
            .iter()
            .position(|i| i.id.eq_ignore_ascii_case(dep))
            .and_then(|k| results.get(&k).map(|r| r.status))
    };
    loop {
        let pending: Vec<usize> = (0..items.len())
            .filter(|k| !results.contains_key(k))
            .collect();
        if pending.is_empty() {
            break;
        }
        let ready: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&k| {
                items[k]
                    .depends_on
                    .iter()
                    .all(|d| status_of(&results, d).is_some())
            })
            .collect();
        if ready.is_empty() {
            // A dependency cycle: nothing can run.
            for k in pending {
                results.insert(k, inner.finish(&items[k].req, api, failed_dependency(), 0));
            }
            break;
        }
        let mut to_run = Vec::new();
        for k in ready {
            let failed = items[k]
                .depends_on
                .iter()
                .any(|d| status_of(&results, d).is_some_and(|s| !(200..300).contains(&s)));
            if failed {
                results.insert(k, inner.finish(&items[k].req, api, failed_dependency(), 0));
            } else {
                to_run.push(k);
            }
        }
        let outs = futures::future::join_all(to_run.iter().map(|&k| {
            let item = &items[k];
            async move {
                let index = inner.log_request(&item.req, &item.path_and_query, true);
                let out = inner.dispatch(&item.req, api).await;
                inner.set_status(index, out.resp.status, true);
                out
            }
        }))
        .await;
        for (k, out) in to_run.into_iter().zip(outs) {
            truncate |= out.truncate;
            results.insert(k, out.resp);
        }
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    lock(&inner.rng).shuffle(&mut order);
    // Written item by item, as Graph streams it: an item whose body Graph broke off (a
    // flexible FIC read through v1.0) breaks the batch response off in the same place, the
    // items after it never written. Modelled on the list behaviour; unconfirmed for `$batch`.
    let mut body = br#"{"responses":["#.to_vec();
    for (n, k) in order.into_iter().enumerate() {
        let Some(r) = results.get(&k) else { continue };
        if n > 0 {
            body.push(b',');
        }
        if broken(r) {
            let mut head = item_json(
                &items[k].id,
                &Resp {
                    body: vec![],
                    ..r.clone()
                },
            );
            if let Some(o) = head.as_object_mut() {
                o.remove("body");
            }
            let head = serde_json::to_vec(&head).unwrap_or_default();
            body.extend_from_slice(&head[..head.len().saturating_sub(1)]);
            body.extend_from_slice(b",\"body\":");
            body.extend_from_slice(&r.body);
            return (Resp::json(200, body), truncate);
        }
        body.extend(serde_json::to_vec(&item_json(&items[k].id, r)).unwrap_or_default());
    }
    body.extend_from_slice(b"]}");
    (Resp::json(200, body), truncate)
}

/// A JSON body that Graph broke off with an in-stream error (`graph::json_resp`).
fn broken(r: &Resp) -> bool {
    r.header("content-type").is_some_and(|c| c.contains("json"))
        && serde_json::from_slice::<serde::de::IgnoredAny>(&r.body).is_err()
        && r.body.windows(9).any(|w| w == b"{\"error\":")
}

fn failed_dependency() -> Resp {
    graph_fail(
        424,
        "FailedDependency",
        "The request depends on a request of this batch that failed.",
    )
}
