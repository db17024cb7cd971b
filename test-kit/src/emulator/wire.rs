//! What one request and one response are inside the emulator, independent of axum, so that a
//! `$batch` item runs through exactly the same code as a real HTTP request. Also the small
//! encodings both APIs need: percent-decoding, query parsing, base64, opaque skip tokens,
//! error bodies and dates.

use std::fmt::Write as _;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A request as the routes see it: decoded path, parsed query, headers and body.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// The path, percent-decoded, without the query.
    pub path: String,
    /// The path as it came (still encoded), for `nextLink`s.
    pub raw_path: String,
    /// The query as it came (still encoded), for building `nextLink`s that keep it.
    pub raw_query: String,
    /// The query, decoded (`+` is a space, as form encoding has it).
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// `http://{host}` as the client addressed the emulator (its `Host` header), so links
    /// stay on the host that was called, as Graph's do; set by the server.
    pub base: String,
}

impl Req {
    pub fn new(method: &str, path_and_query: &str, headers: HeaderMap, body: Vec<u8>) -> Self {
        let (raw_path, raw_query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_and_query, ""),
        };
        Self {
            method: method.to_ascii_uppercase(),
            path: percent_decode(raw_path, false),
            raw_path: raw_path.to_string(),
            raw_query: raw_query.to_string(),
            query: parse_query(raw_query),
            headers,
            body,
            base: String::new(),
        }
    }

    /// The first value of a query option, matched case-insensitively (OData system query
    /// options are case-insensitive in Graph; ARM's `api-version` is too).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The raw query without the given options (to append a fresh `$skiptoken`).
    pub fn raw_query_without(&self, names: &[&str]) -> String {
        self.raw_query
            .split('&')
            .filter(|part| !part.is_empty())
            .filter(|part| {
                let key = percent_decode(part.split('=').next().unwrap_or(""), true);
                !names.iter().any(|n| key.eq_ignore_ascii_case(n))
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    pub fn json_body(&self) -> Result<serde_json::Value, String> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err("the request body is empty".into());
        }
        serde_json::from_slice(&self.body).map_err(|e| format!("the request body is not JSON: {e}"))
    }
}

/// A response before it goes on the wire (or into a `$batch` item).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How many objects a collection page holds: the cost model's latency grows with it.
    pub objects: usize,
}

impl Resp {
    pub fn json(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), GRAPH_JSON.into())],
            body,
            objects: 0,
        }
    }

    pub fn json_value(status: u16, value: &serde_json::Value) -> Self {
        Self::json(status, serde_json::to_vec(value).unwrap_or_default())
    }

    pub fn text(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into_bytes(),
            objects: 0,
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![],
            body: vec![],
            objects: 0,
        }
    }

    /// Says how many objects this page holds (see `objects`).
    pub fn with_objects(mut self, n: usize) -> Self {
        self.objects = n;
        self
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
pub const ARM_JSON: &str = "application/json; charset=utf-8";

/// Graph's error body: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
pub fn graph_error(code: &str, message: &str) -> String {
    graph_error_with_ids(code, message, &new_guid(), &new_guid())
}

pub fn graph_error_with_ids(
    code: &str,
    message: &str,
    request_id: &str,
    client_request_id: &str,
) -> String {
    // In Graph's order (code, message, innerError: date, request-id, client-request-id), as
    // the published and observed bodies have it.
    let s = |v: &str| serde_json::Value::from(v).to_string();
    format!(
        r#"{{"error":{{"code":{},"message":{},"innerError":{{"date":{},"request-id":{},"client-request-id":{}}}}}}}"#,
        s(code),
        s(message),
        s(&graph_error_date()),
        s(request_id),
        s(client_request_id)
    )
}

/// ARM's error body: `{"error":{"code","message"}}`.
pub fn arm_error(code: &str, message: &str) -> String {
    serde_json::json!({ "error": { "code": code, "message": message } }).to_string()
}

/// A Graph error response (the ids are filled in later, when the response gets its headers).
pub fn graph_fail(status: u16, code: &str, message: &str) -> Resp {
    Resp::json(status, graph_error(code, message).into_bytes())
}

pub fn arm_fail(status: u16, code: &str, message: &str) -> Resp {
    let mut r = Resp::json(status, arm_error(code, message).into_bytes());
    r.headers = vec![("content-type".into(), ARM_JSON.into())];
    r
}

/// `innerError.date` as Graph writes it: seconds, no offset.
fn graph_error_date() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

pub fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

/// RFC 3339 in UTC (`…Z`), as Graph and ARM send dates.
pub fn date(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Percent-decoding; in queries `+` stands for a space.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(p, true), String::new()),
        })
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard or URL-safe base64, padding optional; `None` for anything else.
pub fn unbase64(s: &str) -> Option<Vec<u8>> {
    let trimmed = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64url(bytes: &[u8]) -> String {
    base64(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// Opaque paging tokens: `kind` names the collection (so a token of one list is refused by
/// another), `position` is where the next page starts, and the time it was issued lets a
/// token expire as Graph's do. The tag (a keyed SHA-256) makes a token that was edited or
/// made up fail with 400, as a real service's would.
#[derive(Debug, Clone)]
pub struct SkipTokens {
    salt: [u8; 16],
    start: std::time::Instant,
}

impl SkipTokens {
    pub fn new() -> Self {
        Self {
            salt: *uuid::Uuid::new_v4().as_bytes(),
            start: std::time::Instant::now(),
        }
    }

    fn tag(&self, kind: &str, position: usize, issued_ms: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(kind.as_bytes());
        h.update(position.to_le_bytes());
        h.update(issued_ms.to_le_bytes());
        let d = h.finalize();
        d[..9].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn issue(&self, kind: &str, position: usize) -> String {
        let issued_ms = self.start.elapsed().as_millis() as u64;
        base64url(
            format!(
                "{position}.{issued_ms}.{}",
                self.tag(kind, position, issued_ms)
            )
            .as_bytes(),
        )
    }

    pub fn redeem(&self, kind: &str, token: &str) -> Option<usize> {
        self.redeem_with_age(kind, token).map(|(p, _)| p)
    }

    /// The position and how long ago the token was issued.
    pub fn redeem_with_age(&self, kind: &str, token: &str) -> Option<(usize, std::time::Duration)> {
        let raw = String::from_utf8(unbase64(token)?).ok()?;
        let mut parts = raw.splitn(3, '.');
        let position: usize = parts.next()?.parse().ok()?;
        let issued_ms: u64 = parts.next()?.parse().ok()?;
        let tag = parts.next()?;
        (self.tag(kind, position, issued_ms) == tag).then(|| {
            let now = self.start.elapsed().as_millis() as u64;
            (
                position,
                std::time::Duration::from_millis(now.saturating_sub(issued_ms)),
            )
        })
    }
}

/// A small deterministic-enough PRNG (splitmix64) for shuffling `$batch` responses and making
/// secret texts, seeded from a random GUID.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> Self {
        let b = uuid::Uuid::new_v4().as_u128();
        Self((b >> 64) as u64 ^ b as u64)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

/// `name(key='value')` → `("name", Some(("key", "value")))`; a plain segment has no key.
pub fn alternate_key(segment: &str) -> (&str, Option<(&str, &str)>) {
    if let Some(open) = segment.find('(')
        && segment.ends_with(')')
    {
        let name = &segment[..open];
        let inner = &segment[open + 1..segment.len() - 1];
        if let Some((k, v)) = inner.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(v);
            return (name, Some((k.trim(), v)));
        }
        // `applications('id')` is OData's key syntax too.
        let v = inner
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or(inner);
        return (name, Some(("id", v)));
    }
    (segment, None)
}
