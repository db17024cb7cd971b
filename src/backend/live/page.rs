//! Reading a Graph list page as real tenants send it, not as the documentation promises it:
//! one object that does not fit the documented shape must not cost the page, and a page that
//! Graph stopped writing half-way must be told apart from a connection that was cut.
//!
//! Two failure modes are handled here, both byte-level and free of I/O:
//!
//! - **The in-stream error.** Graph serialises a list while it writes the response. When an
//!   object cannot be serialised — Graph v1.0 declares a federated identity credential's
//!   `subject` non-nullable, and a flexible credential has none — the status line (200) is
//!   already on the wire, so Graph stops mid-object and appends an error object:
//!   `…,"issuer":"https://gitlab.com"{"error":{"code":"InternalServerError","message":"The
//!   property 'subject[Nullable=False]' of type 'Edm.String' has a null value, which is not
//!   allowed.",…}}` (observed: Azure/azure-workload-identity#373, 2024-12-06;
//!   microsoftgraph/msgraph-sdk-python#1359). Fetching the page again gives the same bytes,
//!   so this is a service error about one object, never a truncation to retry.
//!   [`in_stream_error`] finds the error object and names the object whose serialisation
//!   broke: the last complete `id` before the cut.
//! - **An object that does not fit.** [`decode`] first parses the page whole (the common,
//!   fast case); if that fails it walks the page's array element by element, keeps every
//!   object that converts, and names the ones that do not ([`Rejected`]).
//!
//! May import serde, serde_json, the wire types (and the import's `Checked`) and the sanitizer.

use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::ErrorBody;
use super::wire::Page;
use crate::backend::wire::Checked;

/// A page read leniently.
#[derive(Debug)]
pub struct Lenient<T> {
    pub items: Vec<T>,
    pub next_link: Option<String>,
    /// Objects that did not fit the documented shape: skipped, each named.
    pub rejected: Vec<Rejected>,
    /// Graph stopped writing the page: `items` are the complete objects before the cut, and
    /// the page has no next link (it was never written).
    pub broken: Option<InStreamError>,
}

/// An object left out of a page, named so that a person can find it in the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// `id` (and `displayName` or `name`) as far as they could be read.
    pub object: String,
    pub why: String,
}

/// The error object Graph appended to a response it could not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InStreamError {
    /// The `id` of the object whose serialisation broke (the last complete `id` before the
    /// cut), when the page got that far.
    pub object_id: Option<String>,
    /// Its `name` (a federated credential's) when it was written before the cut.
    pub object_name: Option<String>,
    pub code: String,
    pub message: String,
    pub request_id: String,
}

impl InStreamError {
    /// "object 1b3… (name "FlexFic1")", or "an object" when the cut came before any id.
    pub fn object(&self) -> String {
        match (&self.object_id, &self.object_name) {
            (Some(id), Some(name)) => format!("object {id} (name {name:?})"),
            (Some(id), None) => format!("object {id}"),
            _ => "an object".into(),
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: ErrorBody,
}

/// Where a body that is not valid JSON carries an appended Graph error object, and what it
/// says. `None` for every body that parses, and for a body that is merely cut short.
pub fn in_stream_error(body: &[u8]) -> Option<(usize, InStreamError)> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        return None;
    }
    const KEY: &[u8] = b"\"error\"";
    // The last `{"error":…}` that runs to the end of the body: an error object nested in a
    // complete value earlier on (a `$batch` item's body) does not.
    let mut end = body.len();
    while let Some(at) = rfind(&body[..end], KEY) {
        end = at;
        let Some(open) = body[..at].iter().rposition(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        if body[open] != b'{' || open == 0 {
            continue;
        }
        // The error object, then nothing but the end of the body (Graph may close the
        // brackets it had open; the observed bodies do not).
        let mut values =
            serde_json::Deserializer::from_slice(&body[open..]).into_iter::<Envelope>();
        let Some(Ok(envelope)) = values.next() else {
            continue;
        };
        let rest = &body[open + values.byte_offset()..];
        if !rest
            .iter()
            .all(|b| b.is_ascii_whitespace() || matches!(b, b'}' | b']'))
        {
            continue;
        }
        let clean = |s: Option<String>| {
            crate::sanitize::display(s.as_deref().unwrap_or("").trim()).into_owned()
        };
        let prefix = &body[..open];
        let id_at = last_key_value(prefix, b"id");
        let name = id_at
            .as_ref()
            .and_then(|(at, _)| last_key_value(&prefix[*at..], b"name").map(|(_, v)| v));
        let request_id = clean(envelope.error.request_id());
        let code = clean(envelope.error.code);
        return Some((
            open,
            InStreamError {
                object_id: id_at.map(|(_, v)| crate::sanitize::display(&v).into_owned()),
                object_name: name.map(|v| crate::sanitize::display(&v).into_owned()),
                code: if code.is_empty() {
                    "InternalServerError".into()
                } else {
                    code
                },
                message: clean(envelope.error.message),
                request_id,
            },
        ));
    }
    None
}

/// The last `"key":"value"` in `bytes` whose value is a plain string (ids and names are),
/// with the position of the key.
fn last_key_value(bytes: &[u8], key: &[u8]) -> Option<(usize, String)> {
    let quoted = [b"\"".as_slice(), key, b"\""].concat();
    let mut end = bytes.len();
    while let Some(at) = rfind(&bytes[..end], &quoted) {
        end = at;
        // A key follows `{` or `,`; the same text inside a string value does not count.
        let before = bytes[..at].iter().rposition(|b| !b.is_ascii_whitespace());
        if !before.is_some_and(|i| matches!(bytes[i], b'{' | b',')) {
            continue;
        }
        let mut s = Scanner {
            b: bytes,
            i: at + quoted.len(),
        };
        s.ws();
        if !s.eat(b':') {
            continue;
        }
        s.ws();
        let start = s.i;
        if s.string().is_none() {
            continue;
        }
        if let Ok(v) = serde_json::from_slice::<String>(&bytes[start..s.i]) {
            return Some((at, v));
        }
    }
    None
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

/// Decodes one page of `array` (`value` for lists, `responses` for `$batch`) into `T`s,
/// through the wire type `W`. `None` when the body is not a page at all, or was cut short
/// without an error object (a connection that broke: worth fetching again).
pub fn decode<W, T>(body: &[u8], array: &str) -> Option<Lenient<T>>
where
    W: DeserializeOwned + TryInto<T, Error = String>,
{
    if array == "value"
        && let Ok(page) = serde_json::from_slice::<Page<Checked<T, W>>>(body)
    {
        return Some(Lenient {
            items: page.value.into_iter().map(|c| c.0).collect(),
            next_link: page.next_link,
            rejected: Vec::new(),
            broken: None,
        });
    }
    let (prefix, broken) = match in_stream_error(body) {
        Some((at, e)) => (&body[..at], Some(e)),
        None => (body, None),
    };
    let scan = scan_page(prefix, array);
    if broken.is_none() && !scan.complete {
        return None;
    }
    let mut items = Vec::with_capacity(scan.elements.len());
    let mut rejected = Vec::new();
    for range in scan.elements {
        let raw = &prefix[range];
        let converted = serde_json::from_slice::<W>(raw)
            .map_err(|e| without_values(&e))
            .and_then(|w| w.try_into());
        match converted {
            Ok(t) => items.push(t),
            Err(why) => rejected.push(Rejected {
                object: name_of(raw),
                why: crate::sanitize::display(&why).into_owned(),
            }),
        }
    }
    Some(Lenient {
        items,
        next_link: scan.next_link,
        rejected,
        broken,
    })
}

/// serde's message without a quoted value (a value in the wrong place may be a secret) and
/// without its position (a page is one long line).
fn without_values(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let bare = full.strip_suffix(&suffix).unwrap_or(&full);
    crate::backend::wire::redact_strings(bare)
}

/// "`id` (displayName …)" of a raw object, as far as it can be read.
pub fn name_of(raw: &[u8]) -> String {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Names {
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        display_name: Option<serde_json::Value>,
        #[serde(default)]
        name: Option<serde_json::Value>,
    }
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(
            crate::sanitize::display(&s)
                .chars()
                .take(120)
                .collect::<String>(),
        ),
        _ => None,
    };
    match serde_json::from_slice::<Names>(raw) {
        Ok(n) => {
            let label = text(n.display_name).or_else(|| text(n.name));
            match (text(n.id), label) {
                (Some(id), Some(l)) => format!("{id} ({l:?})"),
                (Some(id), None) => id,
                (None, Some(l)) => format!("{l:?} (no id)"),
                (None, None) => "an object without an id".into(),
            }
        }
        Err(_) => "an object that is not a JSON object".into(),
    }
}

/// The structure of a page: the byte ranges of its array's complete elements, its next link,
/// and whether the page is complete.
#[derive(Debug, Default)]
struct Scan {
    elements: Vec<Range<usize>>,
    next_link: Option<String>,
    complete: bool,
}

fn scan_page(body: &[u8], array: &str) -> Scan {
    let mut out = Scan::default();
    let mut s = Scanner { b: body, i: 0 };
    s.ws();
    if !s.eat(b'{') {
        return out;
    }
    loop {
        s.ws();
        if s.eat(b'}') {
            s.ws();
            out.complete = s.i == body.len();
            return out;
        }
        let key_start = s.i;
        if s.string().is_none() {
            return out;
        }
        let key = serde_json::from_slice::<String>(&body[key_start..s.i]).unwrap_or_default();
        s.ws();
        if !s.eat(b':') {
            return out;
        }
        s.ws();
        if key == array {
            if !s.eat(b'[') {
                return out;
            }
            loop {
                s.ws();
                if s.eat(b']') {
                    break;
                }
                let start = s.i;
                if s.value().is_none() {
                    return out;
                }
                out.elements.push(start..s.i);
                s.ws();
                if !s.eat(b',') {
                    s.ws();
                    if s.eat(b']') {
                        break;
                    }
                    return out;
                }
            }
        } else {
            let start = s.i;
            if s.value().is_none() {
                return out;
            }
            if key == "@odata.nextLink" || key == "nextLink" {
                out.next_link = serde_json::from_slice::<Option<String>>(&body[start..s.i])
                    .ok()
                    .flatten();
            }
        }
        s.ws();
        if !s.eat(b',') {
            s.ws();
            if s.eat(b'}') {
                s.ws();
                out.complete = s.i == body.len();
            }
            return out;
        }
    }
}

/// A structural JSON walker: it checks nesting and string boundaries, not the grammar of
/// numbers and literals (serde does that when an element is decoded).
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&c);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// A string starting at the cursor; the cursor ends after its closing quote.
    fn string(&mut self) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => return Some(()),
                _ => {}
            }
        }
        None
    }

    /// Any value; `None` when the bytes end or break the structure before it is complete.
    fn value(&mut self) -> Option<()> {
        match *self.b.get(self.i)? {
            b'"' => self.string(),
            b'{' => {
                self.i += 1;
                self.ws();
                if self.eat(b'}') {
                    return Some(());
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    if !self.eat(b':') {
                        return None;
                    }
                    self.ws();
                    self.value()?;
                    self.ws();
                    if self.eat(b'}') {
                        return Some(());
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']') {
                    return Some(());
                }
                loop {
                    self.ws();
                    self.value()?;
                    self.ws();
                    if self.eat(b']') {
                        return Some(());
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.b.get(self.i).is_some_and(|c| {
                    !c.is_ascii_whitespace() && !matches!(c, b',' | b'}' | b']' | b'{' | b'[')
                }) {
                    self.i += 1;
                }
                // A scalar that runs into the end of the bytes may itself be cut short.
                (self.i > start && self.i < self.b.len()).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of Azure/azure-workload-identity#373 (comment of 2024-12-06), ids as
    /// published ("UUID").
    const OBSERVED: &str = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications('UUID')/federatedIdentityCredentials","value":[{"id":"UUID","name":"FlexFic1","issuer":"https://gitlab.com"{"error":{"code":"InternalServerError","message":"The property 'subject[Nullable=False]' of type 'Edm.String' has a null value, which is not allowed.","innerError":{"date":"2024-12-06T23:19:12","request-id":"UUID","client-request-id":"UUID"}}}"#;

    #[derive(Deserialize)]
    struct Thing {
        id: String,
        #[serde(default)]
        n: Option<u32>,
    }

    impl TryFrom<Thing> for (String, u32) {
        type Error = String;
        fn try_from(t: Thing) -> Result<Self, String> {
            t.n.map(|n| (t.id.clone(), n))
                .ok_or_else(|| format!("{} has no n", t.id))
        }
    }

    fn things(body: &str) -> Option<Lenient<(String, u32)>> {
        decode::<Thing, (String, u32)>(body.as_bytes(), "value")
    }

    #[test]
    fn the_observed_in_stream_error_names_the_object() {
        let (at, e) = in_stream_error(OBSERVED.as_bytes()).unwrap();
        assert!(OBSERVED[..at].ends_with(r#""issuer":"https://gitlab.com""#));
        assert_eq!(e.code, "InternalServerError");
        assert!(
            e.message.contains("subject[Nullable=False]"),
            "{}",
            e.message
        );
        assert_eq!(e.request_id, "UUID");
        assert_eq!(e.object_id.as_deref(), Some("UUID"));
        assert_eq!(e.object_name.as_deref(), Some("FlexFic1"));
        assert_eq!(e.object(), "object UUID (name \"FlexFic1\")");
        let page = things(OBSERVED).unwrap();
        assert!(page.items.is_empty() && page.next_link.is_none());
        assert!(page.broken.is_some());
    }

    #[test]
    fn objects_before_the_cut_are_kept() {
        let body = r#"{"value":[{"id":"a","n":1},{"id":"b","n":2,"nested":{"error":{"code":"x"}}},{"id":"c","name":"broken","k":"v"{"error":{"code":"InternalServerError","message":"m"}}}"#;
        let page = things(body).unwrap();
        let ids: Vec<&str> = page.items.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let e = page.broken.unwrap();
        assert_eq!(e.object_id.as_deref(), Some("c"));
        assert_eq!(e.object_name.as_deref(), Some("broken"));
        assert_eq!(e.request_id, "");
    }

    #[test]
    fn valid_json_and_plain_truncation_are_not_in_stream_errors() {
        // A complete body with an error object nested in it (a `$batch` item's body).
        let batch = r#"{"responses":[{"id":"1","status":403,"body":{"error":{"code":"Authorization_RequestDenied"}}}]}"#;
        assert!(in_stream_error(batch.as_bytes()).is_none());
        // Cut short, with no error object: a connection that broke.
        let cut = r#"{"value":[{"id":"a","n":1},{"id":"b","#;
        assert!(in_stream_error(cut.as_bytes()).is_none());
        assert!(things(cut).is_none());
        // An error body on its own is a valid document, not an in-stream error.
        assert!(in_stream_error(br#"{"error":{"code":"x","message":"y"}}"#).is_none());
        assert!(things("not json").is_none());
        assert!(things(r#"{"value":[{"id":"a","n":1}],"x":tru"#).is_none());
    }

    #[test]
    fn one_bad_object_does_not_cost_the_page() {
        let body = r#"{"@odata.nextLink":"https://graph/next","value":[{"id":"a","n":1},{"id":"b","displayName":"Bee"},{"id":7},{"id":"d","n":4}]}"#;
        let page = things(body).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_link.as_deref(), Some("https://graph/next"));
        assert!(page.broken.is_none());
        assert_eq!(page.rejected.len(), 2);
        assert_eq!(page.rejected[0].object, "b (\"Bee\")");
        assert_eq!(page.rejected[0].why, "b has no n");
        assert_eq!(page.rejected[1].object, "an object without an id");
    }

    #[test]
    fn the_fast_path_and_the_walk_agree_on_valid_pages() {
        let body = r#" { "value" : [ { "id" : "a" , "n" : 1 } , {"id":"e\"scaped]}","n":2} ] , "nextLink" : null } "#;
        let page = things(body).unwrap();
        let ids: Vec<&str> = page.items.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(ids, ["a", "e\"scaped]}"]);
        assert!(page.next_link.is_none() && page.rejected.is_empty());
        let empty = things(r#"{"value":[]}"#).unwrap();
        assert!(empty.items.is_empty());
    }

    #[test]
    fn keys_inside_strings_are_not_ids() {
        let body = br#"{"value":[{"id":"real","description":"\"id\":\"fake\"","issuer":"i"{"error":{"code":"c","message":"m"}}}"#;
        let (_, e) = in_stream_error(body).unwrap();
        assert_eq!(e.object_id.as_deref(), Some("real"));
    }

    use proptest::prelude::*;

    proptest! {
        // Pages are untrusted input: no byte string makes the decoder or the in-stream
        // search panic, and a cut anywhere in a page is never taken for a whole page.
        #[test]
        fn any_bytes_are_decoded_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = in_stream_error(&bytes);
            let _ = things(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn a_page_cut_anywhere_is_not_a_page(cut in 1usize..66) {
            let body = r#"{"value":[{"id":"a","n":1},{"id":"b","n":2}],"@odata.nextLink":"n"}"#;
            prop_assert!(things(&body[..body.len() - cut]).is_none());
            // The observed body cut short again is a cut, not Graph's error.
            let observed = &OBSERVED[..OBSERVED.len() - cut];
            prop_assert!(in_stream_error(observed.as_bytes()).is_none());
        }
    }

    #[test]
    fn hostile_text_in_the_error_is_cleaned() {
        let body = r#"{"value":[{"id":"a\u001b[31m"{"error":{"code":"X\u202e","message":"m\u001b]0;t\u0007"}}"#;
        let (_, e) = in_stream_error(body.as_bytes()).unwrap();
        for s in [&e.code, &e.message, e.object_id.as_ref().unwrap()] {
            assert!(
                !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{s:?}"
            );
        }
    }
}
