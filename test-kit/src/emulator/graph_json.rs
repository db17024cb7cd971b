//! Graph's JSON for applications, service principals and their credentials, written straight
//! from the domain types with `$select` applied (no intermediate `serde_json::Value`, so a
//! 999-object page stays cheap). `secretText` is never written here: it exists only in the
//! `addPassword` response.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use credwise::domain::{
    Application, FederatedIdentityCredential, KeyCredential, PasswordCredential, ServicePrincipal,
    ServicePrincipalType, Timestamp,
};

use super::state::State;
use super::wire::{base64, date};

/// The API version a response is rendered for; it decides how flexible FICs look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    Beta,
}

impl Version {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

/// Application properties, in the order Graph writes them.
pub const APP_PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "appId",
    "createdDateTime",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "identifierUris",
    "notes",
    "publisherDomain",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "keyCredentials",
    "passwordCredentials",
];

/// Service principal properties. `createdDateTime` is accepted in `$select` (the reference
/// calls it unverified on principals) and written as `null`; it is not in the default set.
pub const SP_PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "accountEnabled",
    "alternativeNames",
    "appDisplayName",
    "appId",
    "appOwnerOrganizationId",
    "createdDateTime",
    "displayName",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
    "keyCredentials",
    "passwordCredentials",
];

const SP_CREATED: usize = 7;

/// Navigation properties that `$select` may name without effect.
const NAVIGATION: &[&str] = &[
    "federatedIdentityCredentials",
    "owners",
    "appRoleAssignments",
    "extensionProperties",
];

/// Which properties to write: a bit per entry of `APP_PROPS` / `SP_PROPS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    mask: u32,
    /// `$select` was given (single-object reads then return `keyCredentials[].key`).
    pub explicit: bool,
}

impl Selection {
    pub fn all_apps() -> Self {
        Self {
            mask: (1u32 << APP_PROPS.len()) - 1,
            explicit: false,
        }
    }

    pub fn all_sps() -> Self {
        Self {
            mask: ((1u32 << SP_PROPS.len()) - 1) & !(1 << SP_CREATED),
            explicit: false,
        }
    }

    /// Parses `$select` against `props`; an unknown property is Graph's 400
    /// "Could not find a property named '…' on type '…'".
    pub fn parse(select: &str, props: &[&str], type_name: &str) -> Result<Self, String> {
        let mut mask = 1u32; // `id` always comes back
        for name in select.split(',').map(str::trim) {
            if name.is_empty() {
                return Err(format!(
                    "Syntax error: an empty property name in $select '{select}'."
                ));
            }
            if let Some(i) = props.iter().position(|p| p.eq_ignore_ascii_case(name)) {
                mask |= 1 << i;
            } else if !NAVIGATION.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
                ));
            }
        }
        Ok(Self {
            mask,
            explicit: true,
        })
    }

    pub fn has(&self, i: usize) -> bool {
        self.mask & (1 << i) != 0
    }

    /// Exactly the properties of `mask` (bit `i` is `APP_PROPS[i]` / `SP_PROPS[i]`).
    pub fn from_mask(mask: u32) -> Self {
        Self {
            mask,
            explicit: true,
        }
    }

    pub fn mask(&self) -> u32 {
        self.mask
    }
}

fn opt_date<S: SerializeMap>(m: &mut S, key: &str, t: Option<Timestamp>) -> Result<(), S::Error> {
    m.serialize_entry(key, &t.map(date))
}

pub struct PasswordJson<'a>(pub &'a PasswordCredential);

impl Serialize for PasswordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("customKeyIdentifier", &None::<String>)?;
        m.serialize_entry("displayName", &c.display_name)?;
        opt_date(&mut m, "endDateTime", c.end_date_time)?;
        m.serialize_entry("hint", &c.hint)?;
        m.serialize_entry("keyId", &c.key_id)?;
        opt_date(&mut m, "startDateTime", c.start_date_time)?;
        m.end()
    }
}

pub struct KeyJson<'a> {
    pub cred: &'a KeyCredential,
    /// base64 DER, only on a single-object `$select=keyCredentials`.
    pub key: Option<String>,
}

impl Serialize for KeyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.cred;
        let mut m = s.serialize_map(Some(8))?;
        m.serialize_entry("customKeyIdentifier", &c.custom_key_identifier)?;
        m.serialize_entry("displayName", &c.display_name)?;
        opt_date(&mut m, "endDateTime", c.end_date_time)?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("keyId", &c.key_id)?;
        opt_date(&mut m, "startDateTime", c.start_date_time)?;
        m.serialize_entry("type", &c.key_type)?;
        m.serialize_entry("usage", &c.usage)?;
        m.end()
    }
}

struct Seq<I>(std::cell::Cell<Option<I>>);

impl<I, T> Serialize for Seq<I>
where
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if let Some(it) = self.0.take() {
            for x in it {
                seq.serialize_element(&x)?;
            }
        }
        seq.end()
    }
}

fn seq<I: Iterator>(it: I) -> Seq<I> {
    Seq(std::cell::Cell::new(Some(it)))
}

/// What Graph v1.0 appends when it cannot serialise a flexible FIC (see `FicJson`).
pub const V1_SUBJECT_NULL: &str = "The property 'subject[Nullable=False]' of type 'Edm.String' has a null value, which is not allowed.";

/// A FIC, its properties in the order Graph writes them (the published examples: `id`,
/// `name`, `issuer`, `subject`, `description`, `audiences`; beta adds
/// `claimsMatchingExpression`). v1.0 declares `subject` non-nullable and has no
/// `claimsMatchingExpression`: a flexible FIC fails to serialise right after its `issuer`,
/// and the serializer's error is where the response is broken off (`graph::stream`).
pub struct FicJson<'a> {
    pub fic: &'a FederatedIdentityCredential,
    pub version: Version,
    /// `@odata.context` first (a single FIC read).
    pub context: Option<&'a str>,
}

impl Serialize for FicJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.fic;
        let flexible = f.claims_matching_expression.is_some() || f.subject.is_none();
        let mut m = s.serialize_map(None)?;
        if let Some(c) = self.context {
            m.serialize_entry("@odata.context", c)?;
        }
        m.serialize_entry("id", &f.id)?;
        m.serialize_entry("name", &f.name)?;
        m.serialize_entry("issuer", &f.issuer)?;
        if self.version == Version::V1 && flexible {
            return Err(serde::ser::Error::custom(V1_SUBJECT_NULL));
        }
        let subject = if f.claims_matching_expression.is_some() {
            None
        } else {
            f.subject.as_deref()
        };
        m.serialize_entry("subject", &subject)?;
        m.serialize_entry("description", &f.description)?;
        m.serialize_entry("audiences", &f.audiences)?;
        if self.version == Version::Beta {
            let expr = f
                .claims_matching_expression
                .as_ref()
                .map(|v| serde_json::json!({ "languageVersion": 1, "value": v }));
            m.serialize_entry("claimsMatchingExpression", &expr)?;
        }
        m.end()
    }
}

pub struct AppJson<'a> {
    pub app: &'a Application,
    /// `@odata.context` first (a single application read).
    pub context: Option<&'a str>,
    pub sel: Selection,
    pub expand_fics: bool,
    pub version: Version,
    /// Write `keyCredentials[].key` (a single object read with `$select`).
    pub with_keys: Option<&'a State>,
}

impl Serialize for AppJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.app;
        let sel = self.sel;
        let mut m = s.serialize_map(None)?;
        if let Some(c) = self.context {
            m.serialize_entry("@odata.context", c)?;
        }
        // OData writes a derived type's annotation first, whatever `$select` says.
        if let Some(t) = &a.odata_type {
            m.serialize_entry("@odata.type", t)?;
        }
        let none = None::<String>;
        let empty: [&str; 0] = [];
        for (i, name) in APP_PROPS.iter().enumerate() {
            if !sel.has(i) {
                continue;
            }
            match *name {
                "id" => m.serialize_entry(name, &a.id)?,
                "appId" => m.serialize_entry(name, &non_empty(&a.app_id))?,
                "createdDateTime" => opt_date(&mut m, name, a.created_date_time)?,
                "displayName" => m.serialize_entry(name, &a.display_name)?,
                "identifierUris" | "tags" => m.serialize_entry(name, &empty)?,
                "publisherDomain" => m.serialize_entry(name, &a.publisher_domain)?,
                "signInAudience" => m.serialize_entry(name, &a.sign_in_audience)?,
                "keyCredentials" => {
                    let state = self.with_keys;
                    m.serialize_entry(
                        name,
                        &seq(a.key_credentials.iter().map(|c| KeyJson {
                            cred: c,
                            key: state.map(|st| base64(&st.key_der(&c.key_id))),
                        })),
                    )?;
                }
                "passwordCredentials" => {
                    m.serialize_entry(name, &seq(a.password_credentials.iter().map(PasswordJson)))?
                }
                _ => m.serialize_entry(name, &none)?,
            }
        }
        if self.expand_fics {
            let version = self.version;
            m.serialize_entry(
                "federatedIdentityCredentials",
                &seq(a
                    .federated_identity_credentials
                    .iter()
                    .take(20)
                    .map(|fic| FicJson {
                        fic,
                        version,
                        context: None,
                    })),
            )?;
        }
        m.end()
    }
}

pub struct SpJson<'a> {
    pub sp: &'a ServicePrincipal,
    pub sel: Selection,
    pub with_keys: Option<&'a State>,
}

impl Serialize for SpJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.sp;
        let mut m = s.serialize_map(None)?;
        if let Some(t) = &p.odata_type {
            m.serialize_entry("@odata.type", t)?;
        }
        let none = None::<String>;
        let is_mi = p.service_principal_type == ServicePrincipalType::ManagedIdentity;
        for (i, name) in SP_PROPS.iter().enumerate() {
            if !self.sel.has(i) {
                continue;
            }
            match *name {
                "id" => m.serialize_entry(name, &p.id)?,
                "accountEnabled" => m.serialize_entry(name, &p.account_enabled)?,
                "alternativeNames" => m.serialize_entry(name, &p.alternative_names)?,
                "appDisplayName" => {
                    let v = (!is_mi).then_some(p.display_name.as_str());
                    m.serialize_entry(name, &v)?;
                }
                "appId" => m.serialize_entry(name, &non_empty(&p.app_id))?,
                "appOwnerOrganizationId" => {
                    m.serialize_entry(name, &p.app_owner_organization_id)?
                }
                "displayName" => m.serialize_entry(name, &p.display_name)?,
                "servicePrincipalNames" => {
                    let mut names: Vec<&str> = non_empty(&p.app_id).into_iter().collect();
                    if let Some(rid) = p.resource_id().filter(|_| is_mi) {
                        names.push(rid);
                    }
                    m.serialize_entry(name, &names)?;
                }
                "servicePrincipalType" => m.serialize_entry(name, &p.service_principal_type)?,
                "signInAudience" => {
                    let v = is_mi.then_some("AzureADMyOrg");
                    m.serialize_entry(name, &v)?;
                }
                "tags" => m.serialize_entry(name, &p.tags)?,
                "keyCredentials" => {
                    let state = self.with_keys;
                    m.serialize_entry(
                        name,
                        &seq(p.key_credentials.iter().map(|c| KeyJson {
                            cred: c,
                            key: state.map(|st| base64(&st.key_der(&c.key_id))),
                        })),
                    )?;
                }
                "passwordCredentials" => {
                    m.serialize_entry(name, &seq(p.password_credentials.iter().map(PasswordJson)))?
                }
                _ => m.serialize_entry(name, &none)?,
            }
        }
        m.end()
    }
}

/// An empty `appId` is Graph's `null` (agent identities have none).
fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// A collection page: `@odata.context`, `@odata.count` (first page of a `$count=true` read),
/// `@odata.nextLink`, `value`.
pub struct Page<'a, T> {
    pub context: &'a str,
    pub count: Option<usize>,
    pub next_link: Option<String>,
    pub value: Vec<T>,
}

impl<T: Serialize> Serialize for Page<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("@odata.context", self.context)?;
        if let Some(c) = self.count {
            m.serialize_entry("@odata.count", &c)?;
        }
        if let Some(n) = &self.next_link {
            m.serialize_entry("@odata.nextLink", n)?;
        }
        m.serialize_entry("value", &self.value)?;
        m.end()
    }
}
