//! Import of `az` CLI JSON output into a [`TenantSnapshot`]: what
//! `credwise snapshot import-az` reads.
//!
//! This module owns the wire boundary between files a user exported — `az ad app list --all`,
//! `az ad sp list --all`, `az identity list` and `az role assignment list --all` — and the domain
//! model. It accepts the array `az` prints and also a Graph or ARM page object
//! (`{"value": […]}`), so `az rest` output and saved API responses import too; for ARM objects
//! it accepts both the flattened shape `az` prints and the REST shape that nests fields under
//! `properties`. It is deliberately lenient about what real exports contain (unknown fields,
//! `null`s, missing optional fields, timestamps with any number of fractional digits or no
//! offset at all) and strict about the rest: anything else is an [`ImportError`] that names
//! the file, line and column, so the CLI can exit 2 without writing a half-made snapshot.
//!
//! The live backend (`live::wire`) reads Graph and ARM pages through the same wire types
//! (`pub(crate)` for that reason), so a file and a live crawl agree on every quirk.
//!
//! Secret material stops here. The wire types below have no field for `secretText` or for a
//! certificate's `key` blob, so serde skips those values without keeping them, and error
//! messages never quote a string value that serde found where it expected something else.
//!
//! The import also fills in what the files imply but do not list: an [`AzureResource`] for every
//! system-assigned managed identity (its host resource's ARM id is in the principal's
//! `alternativeNames`), and the tenant id when the caller does not give one.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::domain::objects::ManagedIdentityFlavour;
use crate::domain::{
    Application, AzureResource, Cloud, FederatedIdentityCredential, KeyCredential,
    PasswordCredential, ResourceIdentity, RoleAssignment, ServicePrincipal, ServicePrincipalType,
    SnapshotSource, TenantSnapshot, Timestamp, UserAssignedIdentity,
};

/// The files to import; each is optional, but at least one identity file must be given.
#[derive(Debug, Clone, Copy, Default)]
pub struct AzImport<'a> {
    /// `az ad app list --all` output.
    pub apps: Option<&'a Path>,
    /// `az ad sp list --all` output.
    pub service_principals: Option<&'a Path>,
    /// `az identity list` output.
    pub managed_identities: Option<&'a Path>,
    /// `az role assignment list --all` output.
    pub role_assignments: Option<&'a Path>,
    /// Overrides the tenant id inferred from the files.
    pub tenant_id: Option<&'a str>,
}

/// Why an import failed. Every variant about a file names it, so the message alone tells the
/// user what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no input: give at least one of --apps, --service-principals, --managed-identities")]
    NoInput,
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", .path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Two objects with one id (a file given twice, two exports concatenated, an edited
    /// file): a change by id could reach the wrong one. Names both, with their files.
    #[error("{0}")]
    DuplicateId(Box<DuplicateIn>),
}

/// Two objects of one id in the imported files.
#[derive(Debug)]
pub struct DuplicateIn {
    pub id: String,
    /// File, 0-based position in its array, name.
    pub first: (PathBuf, usize, String),
    pub second: (PathBuf, usize, String),
}

impl std::fmt::Display for DuplicateIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = |p: &(PathBuf, usize, String)| {
            format!("{}: item {} ({:?})", p.0.display(), p.1 + 1, p.2)
        };
        write!(
            f,
            "{} and {} have the same id {}; each object may appear once",
            place(&self.first),
            place(&self.second),
            self.id
        )
    }
}

impl ImportError {
    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::NoInput => None,
            Self::Read { path, .. } | Self::Malformed { path, .. } => Some(path),
            Self::DuplicateId(d) => Some(&d.first.0),
        }
    }
}

/// Reads the given files and builds one snapshot from them. `captured_at` comes from the caller
/// because the files do not say when they were exported.
pub fn import(
    inputs: &AzImport<'_>,
    captured_at: Timestamp,
) -> Result<TenantSnapshot, ImportError> {
    import_with_warnings(inputs, captured_at).map(|i| i.snapshot)
}

/// An import, and what the user should know about the files that did not stop it.
#[derive(Debug)]
pub struct Imported {
    pub snapshot: TenantSnapshot,
    /// Each names its file, e.g. a file that holds only the first page of a list.
    pub warnings: Vec<String>,
}

/// `import`, with the warnings about the files.
pub fn import_with_warnings(
    inputs: &AzImport<'_>,
    captured_at: Timestamp,
) -> Result<Imported, ImportError> {
    if inputs.apps.is_none()
        && inputs.service_principals.is_none()
        && inputs.managed_identities.is_none()
    {
        return Err(ImportError::NoInput);
    }
    let mut warnings = Vec::new();
    let applications = load(inputs.apps, parse_applications, &mut warnings)?;
    let service_principals = load(
        inputs.service_principals,
        parse_service_principals,
        &mut warnings,
    )?;
    let user_assigned_identities = load(
        inputs.managed_identities,
        parse_managed_identities,
        &mut warnings,
    )?;
    let role_assignments = load(
        inputs.role_assignments,
        parse_role_assignments,
        &mut warnings,
    )?;

    let tenant_id = inputs
        .tenant_id
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            infer_tenant_id(
                &applications,
                &service_principals,
                &user_assigned_identities,
            )
        });
    let resources = system_assigned_resources(&service_principals, Vec::new());

    let snapshot = TenantSnapshot {
        tenant_id,
        tenant_display_name: None,
        captured_at,
        source: SnapshotSource::AzImport,
        // `az` output does not say which cloud it came from, so the default cloud is assumed.
        cloud: Cloud::Public,
        applications,
        service_principals,
        user_assigned_identities,
        resources,
        role_assignments,
    };
    if let Some(d) = snapshot.duplicate_id() {
        // Each collection came from one file; the resources are derived from the principals.
        let file = |collection: &str| {
            let p = match collection {
                "applications" => inputs.apps,
                "servicePrincipals" | "resources" => inputs.service_principals,
                "userAssignedIdentities" => inputs.managed_identities,
                _ => inputs.role_assignments,
            };
            p.map(Path::to_path_buf).unwrap_or_default()
        };
        return Err(ImportError::DuplicateId(Box::new(DuplicateIn {
            id: d.id,
            first: (file(d.first.collection), d.first.index, d.first.name),
            second: (file(d.second.collection), d.second.index, d.second.name),
        })));
    }
    Ok(Imported { snapshot, warnings })
}

fn load<T>(
    path: Option<&Path>,
    parse: fn(&[u8], &Path) -> Result<Vec<T>, ImportError>,
    warnings: &mut Vec<String>,
) -> Result<Vec<T>, ImportError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let items = parse(&bytes, path)?;
    if has_next_link(&bytes) {
        warnings.push(format!(
            "{}: this is one page of a Graph or ARM list (it has a next link), so the rest of \
             the tenant is missing from it; export with `--all` (`az ad app list --all`, \
             `az ad sp list --all`) or follow the next link until there is none",
            path.display()
        ));
    }
    Ok(items)
}

/// Whether a page object (`{"value": […]}`) names a further page: `@odata.nextLink`
/// (Graph) or `nextLink` (ARM). `az … list` prints an array, which never does.
fn has_next_link(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Link {
        #[serde(default, rename = "@odata.nextLink", alias = "nextLink")]
        next_link: Option<String>,
    }
    decode_text(bytes)
        .ok()
        .and_then(|text| serde_json::from_slice::<Link>(&text).ok())
        .and_then(|l| l.next_link)
        .is_some_and(|l| !l.trim().is_empty())
}

/// Parses `az ad app list --all` output (or a Graph `GET /applications` page).
pub fn parse_applications(bytes: &[u8], path: &Path) -> Result<Vec<Application>, ImportError> {
    parse_list::<Checked<Application, WireApplication>>(bytes, path)
        .map(|items| items.into_iter().map(|c| c.0).collect())
}

/// Parses `az ad sp list --all` output (or a Graph `GET /servicePrincipals` page).
pub fn parse_service_principals(
    bytes: &[u8],
    path: &Path,
) -> Result<Vec<ServicePrincipal>, ImportError> {
    parse_list::<Checked<ServicePrincipal, WireServicePrincipal>>(bytes, path)
        .map(|items| items.into_iter().map(|c| c.0).collect())
}

/// Parses `az identity list` output (or an ARM `userAssignedIdentities` list page).
pub fn parse_managed_identities(
    bytes: &[u8],
    path: &Path,
) -> Result<Vec<UserAssignedIdentity>, ImportError> {
    parse_list::<Checked<UserAssignedIdentity, WireIdentity>>(bytes, path)
        .map(|items| items.into_iter().map(|c| c.0).collect())
}

/// Parses `az role assignment list --all` output (or an ARM `roleAssignments` list page).
pub fn parse_role_assignments(
    bytes: &[u8],
    path: &Path,
) -> Result<Vec<RoleAssignment>, ImportError> {
    parse_list::<Checked<RoleAssignment, WireRoleAssignment>>(bytes, path)
        .map(|items| items.into_iter().map(|c| c.0).collect())
}

// ---------------------------------------------------------------------------------------------
// Top level: an array, or a page object with `value`.

fn parse_list<T: de::DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<Vec<T>, ImportError> {
    let text = decode_text(bytes).map_err(|message| ImportError::Malformed {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message,
    })?;
    // serde_json checks UTF-8 itself and reports where it breaks.
    serde_json::from_slice::<List<T>>(&text)
        .map(|list| list.0)
        .map_err(|e| malformed(path, &e))
}

/// The file as UTF-8 bytes without a byte-order mark. PowerShell 5's `>` writes UTF-16 with a
/// byte-order mark and `Out-File -Encoding utf8` a UTF-8 one; both are common on Windows, where
/// `az` output is often redirected that way, and serde_json accepts neither.
fn decode_text(bytes: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| unit([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16(&units)
            .map(|s| Cow::Owned(s.into_bytes()))
            .map_err(|_| "the file is not valid UTF-16 text".to_string())
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => Ok(Cow::Borrowed(rest)),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => Ok(Cow::Borrowed(bytes)),
    }
}

fn malformed(path: &Path, e: &serde_json::Error) -> ImportError {
    let full = e.to_string();
    // serde_json appends " at line L column C"; the position goes in front instead.
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let bare = full.strip_suffix(&suffix).unwrap_or(&full);
    let bare = redact_strings(bare);
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("the JSON ends too early (truncated?): {bare}"),
        serde_json::error::Category::Syntax => format!("not valid JSON: {bare}"),
        _ => bare,
    };
    ImportError::Malformed {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Replaces the quoted value in serde's `string "…"` with a placeholder: a value that is in the
/// wrong place may be a secret (say, a secret pasted where a credential object belongs), and
/// error messages end up in terminals and CI logs.
pub(crate) fn redact_strings(message: &str) -> String {
    const MARK: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        out.push_str("string (value not shown)");
        let quoted = &rest[at + MARK.len()..];
        // serde writes the value with `{:?}`, so a quote inside it is escaped.
        let mut escaped = false;
        let mut end = quoted.len();
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &quoted[end..];
    }
    out.push_str(rest);
    out
}

/// A list of `T` given either as a JSON array (what `az … list` prints) or as a Graph/ARM page
/// object whose `value` is that array.
struct List<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a JSON array as `az … list` prints it, or a page object {\"value\": […]}",
                )
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut value: Option<Vec<T>> = None;
                let mut service_error: Option<serde_json::Value> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "value" => {
                            if value.is_some() {
                                return Err(de::Error::duplicate_field("value"));
                            }
                            value = Some(map.next_value()?);
                        }
                        // A saved `az rest` call that failed holds Graph's or ARM's error body.
                        "error" => service_error = Some(map.next_value()?),
                        // `@odata.context`, `@odata.nextLink`, `nextLink`…: page metadata.
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if let Some(list) = value {
                    return Ok(List(list));
                }
                if let Some(e) = service_error {
                    let text = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
                    let detail: String = format!("{} {}", text("code"), text("message"))
                        .trim()
                        .chars()
                        .take(300)
                        .collect();
                    return Err(de::Error::custom(format!(
                        "this is an error response, not a list: {detail}"
                    )));
                }
                Err(de::Error::custom(
                    "expected a JSON array as `az … list` prints it, or a page object with a \
                     \"value\" array; this object has no \"value\" (is it the output of a \
                     `show` command?)",
                ))
            }
        }

        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// A domain object deserialized through a wire type `W` whose conversion can fail; the failure
/// becomes a serde error, so serde_json gives it the position of the offending object.
pub(crate) struct Checked<T, W>(pub(crate) T, PhantomData<W>);

impl<'de, T, W> Deserialize<'de> for Checked<T, W>
where
    W: Deserialize<'de> + TryInto<T, Error = String>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = W::deserialize(d)?;
        wire.try_into()
            .map(|t| Checked(t, PhantomData))
            .map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Field helpers.

/// `null` and a missing array both mean "none": `az` prints `null` for collections Graph did
/// not return.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(d).map(Option::unwrap_or_default)
}

/// A timestamp as real exports write it; see [`parse_timestamp`].
pub(crate) fn lenient_timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Timestamp>, D::Error> {
    struct TsVisitor;

    impl Visitor<'_> for TsVisitor {
        type Value = Option<Timestamp>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp or null")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_timestamp(s).map(Some).map_err(E::custom)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    // `deserialize_any` (not `deserialize_option`) so that the error is raised while serde_json
    // still points at the string, and the position it reports is the timestamp's.
    d.deserialize_any(TsVisitor)
}

/// Parses RFC 3339 and the looser forms Graph, ARM and `az` emit: 0–9 (or more, truncated)
/// fractional digits, `Z`/`z` or an offset like `+00:00`, `+0000`, `+00` or `-8:00`, a `T`,
/// `t` or space between date and time, optional seconds, and no offset at all, which in
/// Graph's and `az`'s output means UTC. The offset as written is kept.
fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let s = text.trim();
    let invalid = || {
        let shown: String = s.chars().take(64).collect();
        format!(
            "invalid timestamp {shown:?}: expected RFC 3339 like 2024-05-01T10:00:00Z \
             (an offset may be omitted for UTC)"
        )
    };
    let mut p = Cursor {
        s: s.as_bytes(),
        at: 0,
    };

    let year = p.digits(4, 4).ok_or_else(invalid)?;
    p.expect(b'-').ok_or_else(invalid)?;
    let month = p.digits(2, 2).ok_or_else(invalid)?;
    p.expect(b'-').ok_or_else(invalid)?;
    let day = p.digits(2, 2).ok_or_else(invalid)?;
    if !(p.eat(b'T') || p.eat(b't') || p.eat(b' ')) {
        return Err(invalid());
    }
    let hour = p.digits(2, 2).ok_or_else(invalid)?;
    p.expect(b':').ok_or_else(invalid)?;
    let minute = p.digits(2, 2).ok_or_else(invalid)?;
    let second = if p.eat(b':') {
        p.digits(2, 2).ok_or_else(invalid)?
    } else {
        0
    };
    let mut nanos = 0u32;
    if p.eat(b'.') || p.eat(b',') {
        let start = p.at;
        while p.peek().is_some_and(|b| b.is_ascii_digit()) {
            p.at += 1;
        }
        let digits = &s.as_bytes()[start..p.at];
        if digits.is_empty() {
            return Err(invalid());
        }
        // Beyond nanoseconds the digits carry nothing the model can hold.
        for i in 0..9 {
            let d = digits.get(i).map_or(0, |b| u32::from(b - b'0'));
            nanos = nanos * 10 + d;
        }
    }
    let (sign, off_h, off_m) = match p.peek() {
        None => (1, 0, 0),
        Some(b'Z' | b'z') => {
            p.at += 1;
            (1, 0, 0)
        }
        Some(c @ (b'+' | b'-')) => {
            p.at += 1;
            let sign = if c == b'-' { -1 } else { 1 };
            let h = p.digits(1, 2).ok_or_else(invalid)?;
            let m = if p.eat(b':') {
                p.digits(2, 2).ok_or_else(invalid)?
            } else {
                p.digits(2, 2).unwrap_or(0)
            };
            // RFC 3339 offsets stay within a day; `time` would take up to 25:59.
            if h > 23 || m > 59 {
                return Err(invalid());
            }
            (sign, h, m)
        }
        Some(_) => return Err(invalid()),
    };
    if p.peek().is_some() {
        return Err(invalid());
    }

    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(invalid)?;
    let date =
        time::Date::from_calendar_date(year as i32, month, day as u8).map_err(|_| invalid())?;
    let clock = time::Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| invalid())?;
    let offset = time::UtcOffset::from_hms(sign * off_h as i8, sign * off_m as i8, 0)
        .map_err(|_| invalid())?;
    Ok(time::PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

/// A byte cursor for [`parse_timestamp`].
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    /// `min..=max` ASCII digits as a number (at most 4 digits, so it fits in a `u16`).
    fn digits(&mut self, min: usize, max: usize) -> Option<u16> {
        let start = self.at;
        let mut value = 0u16;
        while self.at - start < max {
            match self.peek() {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u16::from(b - b'0');
                    self.at += 1;
                }
                _ => break,
            }
        }
        (self.at - start >= min).then_some(value)
    }
}

// ---------------------------------------------------------------------------------------------
// Wire types. They list only what the model keeps; serde skips every other field, which is how
// `secretText` and `key` are dropped.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "an application object")]
pub(crate) struct WireApplication {
    /// Missing in `$select`-ed exports and in shortened doc examples.
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    /// Set on kinds of application (`#microsoft.graph.agentIdentityBlueprint`).
    #[serde(default, rename = "@odata.type")]
    odata_type: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    sign_in_audience: Option<String>,
    #[serde(default)]
    publisher_domain: Option<String>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    created_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "null_as_empty")]
    password_credentials: Vec<WirePassword>,
    #[serde(default, deserialize_with = "null_as_empty")]
    key_credentials: Vec<WireKey>,
    /// Present only when exported with `$expand=federatedIdentityCredentials`.
    #[serde(default, deserialize_with = "null_as_empty")]
    federated_identity_credentials: Vec<Checked<FederatedIdentityCredential, WireFic>>,
    /// Only service principals have it: its presence means `az ad sp list` output was given
    /// as the applications file, which would otherwise import without complaint.
    #[serde(default)]
    service_principal_type: Option<IgnoredAny>,
}

impl TryFrom<WireApplication> for Application {
    type Error = String;

    fn try_from(w: WireApplication) -> Result<Self, String> {
        let app_id = non_empty(w.app_id).unwrap_or_default();
        if w.service_principal_type.is_some() {
            return Err(wrong_file(
                &w.id.unwrap_or(app_id),
                "a service principal",
                "--service-principals",
            ));
        }
        // Without its object id an app is still identified by its appId, which is unique in
        // the tenant; the index looks objects up by either. Without both it is nothing.
        let id = non_empty(w.id)
            .or_else(|| Some(app_id.clone()).filter(|a| !a.is_empty()))
            .ok_or("an application with neither an id nor an appId")?;
        Ok(Self {
            display_name: non_empty(w.display_name).unwrap_or_else(|| {
                if app_id.is_empty() {
                    id.clone()
                } else {
                    app_id.clone()
                }
            }),
            id,
            app_id,
            odata_type: non_empty(w.odata_type),
            sign_in_audience: non_empty(w.sign_in_audience),
            publisher_domain: non_empty(w.publisher_domain),
            created_date_time: w.created_date_time,
            password_credentials: w.password_credentials.into_iter().map(Into::into).collect(),
            key_credentials: w.key_credentials.into_iter().map(Into::into).collect(),
            federated_identity_credentials: w
                .federated_identity_credentials
                .into_iter()
                .map(|c| c.0)
                .collect(),
        })
    }
}

/// The message for an object that belongs in another input file.
fn wrong_file(id: &str, what: &str, flag: &str) -> String {
    format!("the object {id:?} is {what}; give this file with {flag}")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a service principal object")]
pub(crate) struct WireServicePrincipal {
    id: String,
    /// `null` or missing on agent identities.
    #[serde(default)]
    app_id: Option<String>,
    /// Set on kinds of service principal (`#microsoft.graph.agentIdentity`, …).
    #[serde(default, rename = "@odata.type")]
    odata_type: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    service_principal_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    alternative_names: Vec<String>,
    #[serde(default)]
    account_enabled: Option<bool>,
    #[serde(default)]
    app_owner_organization_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    password_credentials: Vec<WirePassword>,
    #[serde(default, deserialize_with = "null_as_empty")]
    key_credentials: Vec<WireKey>,
    #[serde(default, deserialize_with = "null_as_empty")]
    tags: Vec<String>,
    /// Only applications have it (the permissions they request): its presence means
    /// `az ad app list` output was given as the service principals file.
    #[serde(default)]
    required_resource_access: Option<IgnoredAny>,
}

impl TryFrom<WireServicePrincipal> for ServicePrincipal {
    type Error = String;

    fn try_from(w: WireServicePrincipal) -> Result<Self, String> {
        if w.required_resource_access.is_some() {
            return Err(wrong_file(&w.id, "an application", "--apps"));
        }
        let app_id = non_empty(w.app_id).unwrap_or_default();
        Ok(Self {
            display_name: non_empty(w.display_name).unwrap_or_else(|| {
                if app_id.is_empty() {
                    w.id.clone()
                } else {
                    app_id.clone()
                }
            }),
            id: w.id,
            app_id,
            odata_type: non_empty(w.odata_type),
            // Older exports and doc examples omit the type; every such principal is an
            // app's instance.
            service_principal_type: non_empty(w.service_principal_type)
                .map_or(ServicePrincipalType::Application, |t| {
                    ServicePrincipalType::parse(&t)
                }),
            alternative_names: w.alternative_names,
            account_enabled: w.account_enabled,
            app_owner_organization_id: non_empty(w.app_owner_organization_id),
            password_credentials: w.password_credentials.into_iter().map(Into::into).collect(),
            key_credentials: w.key_credentials.into_iter().map(Into::into).collect(),
            tags: w.tags,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a passwordCredential object")]
pub(crate) struct WirePassword {
    key_id: String,
    /// Older secrets have none, and `az` prints `null`.
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    start_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    end_date_time: Option<Timestamp>,
}

impl From<WirePassword> for PasswordCredential {
    fn from(w: WirePassword) -> Self {
        Self {
            key_id: w.key_id,
            display_name: non_empty(w.display_name),
            hint: non_empty(w.hint),
            start_date_time: w.start_date_time,
            end_date_time: w.end_date_time,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a keyCredential object")]
pub(crate) struct WireKey {
    key_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    custom_key_identifier: Option<String>,
    #[serde(default, rename = "type")]
    key_type: Option<String>,
    #[serde(default)]
    usage: Option<String>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    start_date_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_timestamp")]
    end_date_time: Option<Timestamp>,
}

impl From<WireKey> for KeyCredential {
    fn from(w: WireKey) -> Self {
        Self {
            key_id: w.key_id,
            display_name: non_empty(w.display_name),
            custom_key_identifier: non_empty(w.custom_key_identifier),
            key_type: non_empty(w.key_type),
            usage: non_empty(w.usage),
            start_date_time: w.start_date_time,
            end_date_time: w.end_date_time,
        }
    }
}

/// A federated identity credential as Graph (flat) or ARM (`properties`) writes it.
#[derive(Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a federatedIdentityCredential object"
)]
pub(crate) struct WireFic {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    claims_matching_expression: Option<WireExpression>,
    #[serde(default)]
    audiences: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    properties: Option<Box<WireFic>>,
}

/// Beta Graph and preview ARM write `{"languageVersion": 1, "value": "…"}`; accept a bare
/// string too.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a claimsMatchingExpression: a string or {\"value\": \"…\"}"
)]
enum WireExpression {
    Text(String),
    Object { value: String },
}

impl TryFrom<WireFic> for FederatedIdentityCredential {
    type Error = String;

    fn try_from(w: WireFic) -> Result<Self, String> {
        let p = w.properties.map(|b| *b).unwrap_or_default();
        let name =
            non_empty(w.name.or(p.name)).ok_or("a federated identity credential without a name")?;
        let issuer = non_empty(w.issuer.or(p.issuer))
            .ok_or_else(|| format!("federated identity credential {name:?} has no issuer"))?;
        let expression = w
            .claims_matching_expression
            .or(p.claims_matching_expression)
            .map(|e| match e {
                WireExpression::Text(v) | WireExpression::Object { value: v } => v,
            });
        Ok(Self {
            // An ARM FIC's `id` is its resource path; ARM FICs are keyed by name alone, and the
            // model's `id` is Graph's.
            id: non_empty(w.id).filter(|id| !id.starts_with('/')),
            subject: non_empty(w.subject.or(p.subject)),
            claims_matching_expression: non_empty(expression),
            audiences: w.audiences.or(p.audiences).unwrap_or_default(),
            description: non_empty(w.description.or(p.description)),
            name,
            issuer,
        })
    }
}

/// A user-assigned identity: `az identity list` prints it flat, ARM nests the identity's
/// ids under `properties`.
#[derive(Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a user-assigned identity object"
)]
pub(crate) struct WireIdentity {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    resource_type: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    /// Checked after the ids, so that a file of some other kind of object (whose `tags` is
    /// an array, say) is reported as the wrong file rather than as a bad `tags`.
    #[serde(default)]
    tags: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "null_as_empty")]
    federated_identity_credentials: Vec<Checked<FederatedIdentityCredential, WireFic>>,
    #[serde(default)]
    properties: Option<Box<WireIdentity>>,
}

const UAMI_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

impl TryFrom<WireIdentity> for UserAssignedIdentity {
    type Error = String;

    fn try_from(w: WireIdentity) -> Result<Self, String> {
        let p = w.properties.map(|b| *b).unwrap_or_default();
        let id = non_empty(w.id.or(p.id)).ok_or("a user-assigned identity without an id")?;
        // Most likely the wrong file was passed; say so rather than import nonsense.
        if !id.starts_with('/') {
            return Err(format!(
                "{id:?} is not an ARM resource id; expected `az identity list` output"
            ));
        }
        if let Some(t) = non_empty(w.resource_type.or(p.resource_type))
            && !t.eq_ignore_ascii_case(UAMI_TYPE)
        {
            return Err(format!(
                "{id:?} is a {t}, not a user-assigned identity ({UAMI_TYPE})"
            ));
        }
        let principal_id = non_empty(w.principal_id.or(p.principal_id))
            .ok_or_else(|| format!("user-assigned identity {id:?} has no principalId"))?;
        let client_id = non_empty(w.client_id.or(p.client_id))
            .ok_or_else(|| format!("user-assigned identity {id:?} has no clientId"))?;
        let tags = arm_tags(w.tags.or(p.tags)).ok_or_else(|| {
            format!("the tags of user-assigned identity {id:?} are not an object")
        })?;
        let fics = if w.federated_identity_credentials.is_empty() {
            p.federated_identity_credentials
        } else {
            w.federated_identity_credentials
        };
        Ok(Self {
            name: non_empty(w.name.or(p.name)).unwrap_or_else(|| last_segment(&id).to_string()),
            location: non_empty(w.location.or(p.location)),
            principal_id,
            client_id,
            tenant_id: non_empty(w.tenant_id.or(p.tenant_id)),
            tags,
            federated_identity_credentials: fics.into_iter().map(|c| c.0).collect(),
            id,
        })
    }
}

/// ARM tags: an object of strings. `null` (no tags, or a tag without a value) is tolerated,
/// and a number or boolean a hand-written file may hold is kept as its JSON text; `None` when
/// `tags` is not an object at all.
fn arm_tags(tags: Option<serde_json::Value>) -> Option<BTreeMap<String, String>> {
    use serde_json::Value;
    match tags {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(Value::Object(map)) => Some(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Some(_) => None,
    }
}

/// A role assignment: `az role assignment list` prints it flat, ARM nests it under
/// `properties`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a role assignment object")]
pub(crate) struct WireRoleAssignment {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    resource_type: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    principal_type: Option<String>,
    #[serde(default)]
    role_definition_id: Option<String>,
    #[serde(default)]
    role_definition_name: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    condition_version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    delegated_managed_identity_resource_id: Option<String>,
    #[serde(default)]
    properties: Option<Box<WireRoleAssignment>>,
}

const ROLE_ASSIGNMENT_TYPE: &str = "Microsoft.Authorization/roleAssignments";

impl TryFrom<WireRoleAssignment> for RoleAssignment {
    type Error = String;

    fn try_from(w: WireRoleAssignment) -> Result<Self, String> {
        let p = w.properties.map(|b| *b).unwrap_or_default();
        let id = non_empty(w.id.or(p.id)).ok_or("a role assignment without an id")?;
        if let Some(t) = non_empty(w.resource_type.or(p.resource_type))
            && !t.eq_ignore_ascii_case(ROLE_ASSIGNMENT_TYPE)
        {
            return Err(format!(
                "{id:?} is a {t}, not a role assignment ({ROLE_ASSIGNMENT_TYPE})"
            ));
        }
        let missing = |field: &str| format!("role assignment {id:?} has no {field}");
        Ok(Self {
            principal_id: non_empty(w.principal_id.or(p.principal_id))
                .ok_or_else(|| missing("principalId"))?,
            principal_type: non_empty(w.principal_type.or(p.principal_type)),
            role_definition_id: non_empty(w.role_definition_id.or(p.role_definition_id))
                .ok_or_else(|| missing("roleDefinitionId"))?,
            role_definition_name: non_empty(w.role_definition_name.or(p.role_definition_name)),
            scope: non_empty(w.scope.or(p.scope)).ok_or_else(|| missing("scope"))?,
            condition: non_empty(w.condition.or(p.condition)),
            condition_version: non_empty(w.condition_version.or(p.condition_version)),
            description: non_empty(w.description.or(p.description)),
            delegated_managed_identity_resource_id: non_empty(
                w.delegated_managed_identity_resource_id
                    .or(p.delegated_managed_identity_resource_id),
            ),
            id,
        })
    }
}

/// Treats `""` like `null`: `az` and hand-edited files use both for "not set".
pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

// ---------------------------------------------------------------------------------------------
// What the files imply.

/// Adds an [`AzureResource`] for each system-assigned managed identity's host, so the explorer
/// can show what the identity belongs to without a Resource Graph export. Resources already in
/// `resources` (compared case-insensitively, as ARM ids are) are left alone.
pub(crate) fn system_assigned_resources(
    service_principals: &[ServicePrincipal],
    mut resources: Vec<AzureResource>,
) -> Vec<AzureResource> {
    let mut seen: BTreeSet<String> = resources
        .iter()
        .map(|r| r.id.to_ascii_lowercase())
        .collect();
    for sp in service_principals {
        if sp.managed_identity_flavour() != Some(ManagedIdentityFlavour::SystemAssigned) {
            continue;
        }
        let Some(id) = sp.resource_id() else {
            continue;
        };
        // An id with no provider segment does not say what the resource is; skip rather
        // than invent a type.
        let Some((name, resource_type)) = arm_name_and_type(id) else {
            continue;
        };
        if !seen.insert(id.to_ascii_lowercase()) {
            continue;
        }
        resources.push(AzureResource {
            id: id.to_string(),
            name,
            resource_type,
            location: None,
            identity: ResourceIdentity {
                identity_type: "SystemAssigned".to_string(),
                principal_id: Some(sp.id.clone()),
                user_assigned_identities: Vec::new(),
            },
        });
    }
    resources
}

/// The name and type of the resource an ARM id names, from its last `providers` segment on:
/// `…/providers/Microsoft.Web/sites/app/slots/stg` is `app/slots/stg` of type
/// `Microsoft.Web/sites/slots`.
pub(crate) fn arm_name_and_type(id: &str) -> Option<(String, String)> {
    let segments: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let at = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
    let namespace = segments.get(at + 1)?;
    let rest = segments.get(at + 2..)?;
    if rest.len() < 2 || rest.len() % 2 != 0 {
        return None;
    }
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    Some((
        rest[1..].join("/"),
        format!("{namespace}/{}", types.join("/")),
    ))
}

/// The tenant the files describe: the managed identities say it outright; otherwise the
/// tenant that owns the imported apps' own principals (a principal of an app from another
/// tenant says nothing about this one, and managed identities' principals are owned by a
/// Microsoft tenant).
pub(crate) fn infer_tenant_id(
    applications: &[Application],
    service_principals: &[ServicePrincipal],
    identities: &[UserAssignedIdentity],
) -> String {
    if let Some(t) = most_common(identities.iter().filter_map(|u| u.tenant_id.as_deref())) {
        return t;
    }
    let app_ids: BTreeSet<&str> = applications
        .iter()
        .map(|a| a.app_id.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    most_common(
        service_principals
            .iter()
            .filter(|sp| app_ids.contains(sp.app_id.as_str()))
            .filter_map(|sp| sp.app_owner_organization_id.as_deref()),
    )
    .unwrap_or_else(|| "unknown".to_string())
}

/// The most frequent value, ties going to the lexically smallest so the result does not
/// depend on file order.
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values.map(str::trim).filter(|v| !v.is_empty()) {
        // Tenant ids are GUIDs, equal in any case; Graph writes them in lower case.
        *counts.entry(v.to_ascii_lowercase()).or_default() += 1;
    }
    let mut best: Option<(String, usize)> = None;
    for (v, n) in counts {
        if best.as_ref().is_none_or(|(_, b)| n > *b) {
            best = Some((v, n));
        }
    }
    best.map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("apps.json")
    }

    fn ts(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn timestamps_with_any_fraction_and_offset() {
        use time::macros::datetime;
        assert_eq!(
            ts("2024-05-01T10:00:00Z"),
            datetime!(2024-05-01 10:00:00 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00"),
            datetime!(2024-05-01 10:00:00 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.1234567"),
            datetime!(2024-05-01 10:00:00.1234567 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.1234567+00:00"),
            datetime!(2024-05-01 10:00:00.1234567 UTC)
        );
        assert_eq!(
            ts("2021-09-09T19:50:29.3086381Z"),
            datetime!(2021-09-09 19:50:29.3086381 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.5Z"),
            datetime!(2024-05-01 10:00:00.5 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.123456789123Z"),
            datetime!(2024-05-01 10:00:00.123456789 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00-08:00"),
            datetime!(2024-05-01 10:00:00 -8)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00-8:00"),
            datetime!(2024-05-01 10:00:00 -8)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00+0530"),
            datetime!(2024-05-01 10:00:00 +5:30)
        );
        assert_eq!(ts("2024-05-01 10:00z"), datetime!(2024-05-01 10:00:00 UTC));
        // The offset is kept as written.
        assert_eq!(ts("2024-05-01T10:00:00+02:00").offset().whole_hours(), 2);
    }

    #[test]
    fn garbage_timestamps_are_rejected() {
        for bad in [
            "",
            "next tuesday",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-05-01",
            "2024-05-01T25:00:00Z",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00Zjunk",
            "2024-05-01T10:00:00+25:00",
            "24-05-01T10:00:00Z",
            "1714557600",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn accepts_an_array_and_a_page_object() {
        let arr = br#"[{"appId":"a1","displayName":"One"}]"#;
        let page = br#"{"@odata.context":"x","value":[{"appId":"a1","displayName":"One"}],"@odata.nextLink":"y"}"#;
        assert_eq!(parse_applications(arr, p()).unwrap().len(), 1);
        assert_eq!(parse_applications(page, p()).unwrap().len(), 1);
        assert!(parse_applications(b"[]", p()).unwrap().is_empty());
    }

    #[test]
    fn a_page_with_a_next_link_is_told_apart_from_a_whole_list() {
        assert!(has_next_link(
            br#"{"value":[],"@odata.nextLink":"https://graph.microsoft.com/v1.0/applications?$skiptoken=x"}"#
        ));
        assert!(has_next_link(
            br#"{"value":[],"nextLink":"https://management.azure.com/x"}"#
        ));
        assert!(!has_next_link(br#"{"value":[],"@odata.nextLink":null}"#));
        assert!(!has_next_link(br#"{"value":[]}"#));
        assert!(!has_next_link(br#"[{"appId":"a"}]"#));
        // A UTF-8 byte-order mark (PowerShell's `Out-File`) does not hide it.
        assert!(has_next_link(
            b"\xEF\xBB\xBF{\"value\":[],\"nextLink\":\"n\"}"
        ));
    }

    #[test]
    fn objects_without_an_app_id_are_kept() {
        let sps = parse_service_principals(
            br##"[{"@odata.type":"#microsoft.graph.agentIdentity","id":"1b73","appId":null,
                  "displayName":"My Agent Identity","servicePrincipalType":"ServiceIdentity"},
                 {"id":"2c84","displayName":"no appId at all"}]"##,
            p(),
        )
        .unwrap();
        assert_eq!(sps[0].app_id, "");
        assert_eq!(
            sps[0].odata_type.as_deref(),
            Some("#microsoft.graph.agentIdentity")
        );
        assert_eq!(
            sps[0].service_principal_type,
            ServicePrincipalType::Other("ServiceIdentity".into())
        );
        assert_eq!(sps[1].display_name, "no appId at all");
        let apps = parse_applications(br#"[{"id":"o1","appId":null}]"#, p()).unwrap();
        assert_eq!((apps[0].id.as_str(), apps[0].app_id.as_str()), ("o1", ""));
        assert_eq!(apps[0].display_name, "o1");
    }

    #[test]
    fn other_top_levels_are_malformed_with_a_position() {
        for (bad, what) in [
            (&br#""hello""#[..], "expected a JSON array"),
            (b"42", "expected a JSON array"),
            (b"null", "expected a JSON array"),
            (br#"{"appId":"a1"}"#, "no \"value\""),
            (br#"{"value": 3}"#, "invalid type"),
            (b"", "ends too early"),
            (b"[{}]", "neither an id nor an appId"),
            (b"[] []", "trailing characters"),
        ] {
            let err = parse_applications(bad, p()).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("apps.json:"), "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(
                matches!(err, ImportError::Malformed { line: 1, .. }),
                "{msg}"
            );
        }
    }

    #[test]
    fn a_saved_error_response_says_what_the_service_said() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied",
            "message":"Insufficient privileges to complete the operation.",
            "innerError":{"request-id":"r"}}}"#;
        let msg = parse_applications(body, p()).unwrap_err().to_string();
        assert!(
            msg.ends_with(
                "this is an error response, not a list: Authorization_RequestDenied \
                 Insufficient privileges to complete the operation."
            ),
            "{msg}"
        );
    }

    #[test]
    fn byte_order_marks_are_accepted() {
        let json = r#"[{"appId":"a1","displayName":"Ünï"}]"#;
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend_from_slice(json.as_bytes());
        let mut le = vec![0xFF, 0xFE];
        le.extend(json.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(json.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [utf8, le, be] {
            let apps = parse_applications(&bytes, p()).unwrap();
            assert_eq!(apps[0].display_name, "Ünï");
        }
    }

    #[test]
    fn invalid_utf8_is_located() {
        let bad = b"[\n  {\"appId\": \"a\xff\"}]";
        let err = parse_applications(bad, p()).unwrap_err();
        assert!(
            matches!(err, ImportError::Malformed { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn values_in_the_wrong_place_are_not_quoted() {
        let bad = br#"[{"appId":"a1","passwordCredentials":["Xy7~s3cr3t.VALUE\"q"]}]"#;
        let msg = parse_applications(bad, p()).unwrap_err().to_string();
        assert!(!msg.contains("s3cr3t"), "{msg}");
        assert!(msg.contains("string (value not shown)"), "{msg}");
        assert!(msg.contains("passwordCredential object"), "{msg}");
        assert_eq!(
            redact_strings(r#"invalid type: string "a\"b", expected x; string "c""#),
            "invalid type: string (value not shown), expected x; string (value not shown)"
        );
    }

    #[test]
    fn nulls_and_missing_fields_are_tolerated() {
        let json = br#"[{"id":"o1","appId":"a1","displayName":null,"signInAudience":null,
            "passwordCredentials":null,"keyCredentials":null,"federatedIdentityCredentials":null,
            "createdDateTime":null}]"#;
        let app = &parse_applications(json, p()).unwrap()[0];
        assert_eq!(app.display_name, "a1");
        assert!(app.password_credentials.is_empty() && app.key_credentials.is_empty());
        assert_eq!(app.created_date_time, None);

        let json = br#"[{"id":"s1","appId":"a1","displayName":"x","servicePrincipalType":null,
            "alternativeNames":null}]"#;
        let sp = &parse_service_principals(json, p()).unwrap()[0];
        assert_eq!(sp.service_principal_type, ServicePrincipalType::Application);
        assert!(sp.alternative_names.is_empty());
    }

    #[test]
    fn fic_in_arm_shape() {
        let json = br#"[{"id":"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1",
            "name":"u1","properties":{"principalId":"p1","clientId":"c1","tenantId":"T1"},
            "federatedIdentityCredentials":[{"id":"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1/federatedIdentityCredentials/gh",
              "name":"gh","properties":{"issuer":"https://token.actions.githubusercontent.com",
              "subject":"repo:o/r:ref:refs/heads/main","audiences":["api://AzureADTokenExchange"]}}]}]"#;
        let u = &parse_managed_identities(json, p()).unwrap()[0];
        assert_eq!(u.principal_id, "p1");
        assert_eq!(u.tenant_id.as_deref(), Some("T1"));
        let f = &u.federated_identity_credentials[0];
        assert_eq!(f.id, None);
        assert_eq!(f.name, "gh");
        assert_eq!(f.subject.as_deref(), Some("repo:o/r:ref:refs/heads/main"));
        assert_eq!(f.audiences, ["api://AzureADTokenExchange"]);
    }

    #[test]
    fn flexible_fic_expression_in_both_shapes() {
        for expr in [
            r#""claims['sub'] matches 'repo:o/r:*'""#,
            r#"{"languageVersion":1,"value":"claims['sub'] matches 'repo:o/r:*'"}"#,
        ] {
            let json = format!(
                r#"[{{"appId":"a","federatedIdentityCredentials":[{{"name":"f","issuer":"i",
                "subject":null,"claimsMatchingExpression":{expr}}}]}}]"#
            );
            let app = &parse_applications(json.as_bytes(), p()).unwrap()[0];
            let f = &app.federated_identity_credentials[0];
            assert_eq!(f.matcher(), "claims['sub'] matches 'repo:o/r:*'");
        }
    }

    #[test]
    fn fic_without_issuer_is_malformed() {
        let json = br#"[{"appId":"a","federatedIdentityCredentials":[{"name":"f"}]}]"#;
        let msg = parse_applications(json, p()).unwrap_err().to_string();
        assert!(msg.contains("\"f\" has no issuer"), "{msg}");
    }

    #[test]
    fn identity_of_the_wrong_type_is_malformed() {
        let json = br#"[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a",
            "type":"Microsoft.Web/sites","principalId":"p","clientId":"c"}]"#;
        let msg = parse_managed_identities(json, p()).unwrap_err().to_string();
        assert!(msg.contains("not a user-assigned identity"), "{msg}");
        let json = br#"[{"id":"/x","name":"u"}]"#;
        let msg = parse_managed_identities(json, p()).unwrap_err().to_string();
        assert!(msg.contains("has no principalId"), "{msg}");
    }

    #[test]
    fn identity_tags_are_lenient_about_values_not_shape() {
        let ok = br#"[{"id":"/x/u","principalId":"p","clientId":"c",
            "tags":{"a":"1","b":null,"c":2}}]"#;
        let u = &parse_managed_identities(ok, p()).unwrap()[0];
        assert_eq!((u.tags["a"].as_str(), u.tags["b"].as_str()), ("1", ""));
        assert_eq!(u.tags["c"], "2");
        assert_eq!(u.name, "u");
        let bad = br#"[{"id":"/x/u","principalId":"p","clientId":"c","tags":["a"]}]"#;
        let msg = parse_managed_identities(bad, p()).unwrap_err().to_string();
        assert!(msg.contains("tags of user-assigned identity"), "{msg}");
    }

    #[test]
    fn role_assignment_without_scope_is_malformed() {
        let json = br#"[{"id":"/ra","principalId":"p","roleDefinitionId":"/rd"}]"#;
        let msg = parse_role_assignments(json, p()).unwrap_err().to_string();
        assert!(msg.contains("has no scope"), "{msg}");
    }

    #[test]
    fn arm_names_and_types() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/slots/stg";
        assert_eq!(
            arm_name_and_type(id),
            Some(("app/slots/stg".into(), "Microsoft.Web/sites/slots".into()))
        );
        let vm =
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(
            arm_name_and_type(vm),
            Some(("vm1".into(), "Microsoft.Compute/virtualMachines".into()))
        );
        assert_eq!(
            arm_name_and_type("/subscriptions/s/resourceGroups/rg"),
            None
        );
        assert_eq!(
            arm_name_and_type("/subscriptions/s/providers/Microsoft.Web/sites"),
            None
        );
    }

    #[test]
    fn tenant_prefers_identities_then_own_apps() {
        let app = |app_id: &str| Application {
            id: app_id.into(),
            app_id: app_id.into(),
            display_name: app_id.into(),
            sign_in_audience: None,
            publisher_domain: None,
            created_date_time: None,
            password_credentials: vec![],
            key_credentials: vec![],
            federated_identity_credentials: vec![],
            odata_type: None,
        };
        let sp = |app_id: &str, owner: &str| ServicePrincipal {
            id: format!("sp-{app_id}"),
            app_id: app_id.into(),
            display_name: app_id.into(),
            service_principal_type: ServicePrincipalType::Application,
            alternative_names: vec![],
            account_enabled: None,
            app_owner_organization_id: Some(owner.into()),
            password_credentials: vec![],
            key_credentials: vec![],
            tags: vec![],
            odata_type: None,
        };
        let apps = [app("a1"), app("a2")];
        // Microsoft's first-party principals outnumber ours, but they are not our apps.
        let sps = [
            sp("a1", "ours"),
            sp("a2", "ours"),
            sp("graph", "msft"),
            sp("teams", "msft"),
            sp("sharepoint", "msft"),
        ];
        assert_eq!(infer_tenant_id(&apps, &sps, &[]), "ours");
        assert_eq!(infer_tenant_id(&[], &sps, &[]), "unknown");
        assert_eq!(
            most_common(["b", "a", "b", "a"].into_iter()).as_deref(),
            Some("a")
        );
    }
}
