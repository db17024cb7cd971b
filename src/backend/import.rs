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
//! Objects are read through `backend::wire`, the wire types the live backend reads Graph and
//! ARM pages with, so a file and a live crawl agree on every quirk; secret material stops
//! there (no field for `secretText` or a certificate's `key`), and error messages never quote
//! a string value that serde found where it expected something else.
//!
//! The import also fills in what the files imply but do not list: an [`AzureResource`] for every
//! system-assigned managed identity (its host resource's ARM id is in the principal's
//! `alternativeNames`), and the tenant id when the caller does not give one.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::wire::{
    Checked, WireApplication, WireIdentity, WireRoleAssignment, WireServicePrincipal,
    infer_tenant_id, redact_strings, system_assigned_resources,
};
use crate::domain::{
    Application, Cloud, RoleAssignment, ServicePrincipal, SnapshotSource, TenantSnapshot,
    Timestamp, UserAssignedIdentity,
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

    let mut snapshot = TenantSnapshot {
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
        // Sign-ins come from `--sign-ins` (`backend::usage_import`).
        usage: Default::default(),
    };
    snapshot.compact();
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
pub(crate) fn has_next_link(bytes: &[u8]) -> bool {
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

pub(crate) fn parse_list<T: de::DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
) -> Result<Vec<T>, ImportError> {
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

#[cfg(test)]
mod tests;
