//! The audit rules. `run` makes one pass over the directory's entries; each identity is read
//! once, and the few tenant-wide facts a rule needs (which appIds belong to App Proxy, which
//! principals hold Azure roles, which principal ids are managed identities) come from lookups
//! built once, before the pass.
//!
//! Every finding cites the seed passage (`docs/seeds/`) behind its rule, verbatim, and names a
//! remedy: a wizard outcome, a guided migration, or an action by hand. Noise (Microsoft's
//! first-party apps, App Proxy's auto-rotated secrets) is dropped and counted unless
//! `include_noise` asks for it; managed identities' own certificates are Azure's business and
//! never looked at.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use time::Duration;

use std::sync::Arc;

use super::{About, AuditOptions, Finding, Remedy, Report, Severity};
use crate::domain::CredentialRef;
use crate::domain::Timestamp;
use crate::domain::credential::{FederatedIdentityCredential, KeyCredential, PasswordCredential};
use crate::domain::directory::{Directory, EntryId, ObjectRef};
use crate::domain::expiry::{self, NEVER_YEAR};
use crate::domain::kind::IdentityKind;
use crate::domain::links::{FicKind, classify_fic, is_tenant_entra_issuer};
use crate::domain::objects::{Application, ServicePrincipal, ServicePrincipalType};
use crate::domain::shared_str::SharedStr;
use crate::domain::snapshot::{Cloud, TenantSnapshot};
use crate::domain::usage::{Evidence, Unused, UsageIndex};

mod cites;
mod federation;
mod place;

use place::{Holder, Place};
mod secrets;
mod usage;

use cites::*;
use usage::source_words;

pub const CREDENTIAL_EXPIRED: &str = "credential-expired";
pub const CREDENTIAL_EXPIRING: &str = "credential-expiring";
pub const SECRET_LONG_LIFETIME: &str = "secret-long-lifetime";
pub const SECRET_BESIDE_STRONGER: &str = "secret-beside-stronger-credential";
pub const SECRET_ON_MULTI_TENANT_APP: &str = "secret-on-multi-tenant-app";
pub const SERVICE_PRINCIPAL_PASSWORD: &str = "service-principal-password";
pub const FIC_NEAR_LIMIT: &str = "fic-near-limit";
pub const FIC_DUPLICATE: &str = "fic-duplicate";
pub const FIC_SUBJECT_LINT: &str = "fic-subject-lint";
pub const MI_FIC_UNKNOWN_PRINCIPAL: &str = "mi-fic-unknown-principal";
pub const APPLICATION_STALE: &str = "application-stale";
pub const CLIENT_SECRET: &str = "client-secret";
pub const CREDENTIAL_UNUSED: &str = "credential-unused";
pub const SECRET_IN_USE_BESIDE_REPLACEMENT: &str = "secret-in-use-beside-replacement";

/// Every rule id, in the order the README lists them.
pub const RULE_IDS: [&str; 14] = [
    CREDENTIAL_EXPIRED,
    CREDENTIAL_EXPIRING,
    SECRET_LONG_LIFETIME,
    SECRET_BESIDE_STRONGER,
    SECRET_ON_MULTI_TENANT_APP,
    SERVICE_PRINCIPAL_PASSWORD,
    FIC_NEAR_LIMIT,
    FIC_DUPLICATE,
    FIC_SUBJECT_LINT,
    MI_FIC_UNKNOWN_PRINCIPAL,
    APPLICATION_STALE,
    CLIENT_SECRET,
    CREDENTIAL_UNUSED,
    SECRET_IN_USE_BESIDE_REPLACEMENT,
];

/// The noise reasons, as `Report::noise` names them.
pub const NOISE_FIRST_PARTY: &str = "Microsoft first-party apps";
pub const NOISE_APP_PROXY: &str = "App Proxy auto-rotated secrets";

/// The tenants Microsoft's own applications live in (`appOwnerOrganizationId`).
const MICROSOFT_TENANTS: [&str; 2] = [
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
];

/// The tag App Proxy puts on its service principals; their secrets rotate by themselves.
const APP_PROXY_TAG: &str = "WindowsAzureActiveDirectoryOnPremApp";

/// The rules whose findings about an App Proxy secret are noise: its expiry, lifetime and use
/// are App Proxy's to manage, and it cannot be replaced by another kind of credential.
const APP_PROXY_RULES: [&str; 6] = [
    CREDENTIAL_EXPIRED,
    CREDENTIAL_EXPIRING,
    SECRET_LONG_LIFETIME,
    CLIENT_SECRET,
    CREDENTIAL_UNUSED,
    SECRET_IN_USE_BESIDE_REPLACEMENT,
];

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
const FIC_LIMIT: usize = 20;
/// From this many FICs on, a holder is reported as near the limit.
const FIC_WARN_AT: usize = 16;
/// From this many, the warning is medium: one or two more and it is full.
const FIC_MEDIUM_AT: usize = 19;
/// An expiring credential this close to its end is high.
const EXPIRING_HIGH_DAYS: i64 = 7;

/// Audits every identity of `dir`. The findings come in the order `audit` puts them in (worst
/// first, then by identity name, rule and credential), so that its stable sort only has to
/// confirm it.
pub fn run(dir: &Directory, opts: &AuditOptions) -> Report {
    let mut a = Auditor::new(dir, opts);
    let s = dir.snapshot();
    for (i, e) in dir.entries().iter().enumerate() {
        let id = i as EntryId;
        match e.object {
            ObjectRef::Application(x) => a.application(id, &s.applications[x as usize]),
            ObjectRef::ServicePrincipal(x) => {
                a.service_principal(id, &s.service_principals[x as usize]);
            }
            ObjectRef::UserAssigned { arm: Some(x), .. } => {
                let u = &s.user_assigned_identities[x as usize];
                let o = Owner {
                    id,
                    name: &u.name,
                    noise: Noise::None,
                };
                a.federated(&o, &u.federated_identity_credentials, Place::Uami(u));
            }
            // A system-assigned identity has no credential of its own to audit, and a
            // user-assigned one's service principal certificates are Azure-managed.
            ObjectRef::UserAssigned { arm: None, .. } | ObjectRef::SystemAssigned(_) => {}
        }
    }
    let mut report = a.finish();
    report.findings = in_report_order(dir, report.findings);
    // Pushed one by one, the list may hold twice the room it needs.
    report.findings.shrink_to_fit();
    report
}

/// `findings` sorted as `audit` sorts them: by a packed integer key (severity, name rank)
/// computed once per finding, the rule and the credential id breaking ties. On a large tenant
/// this is several times faster than comparing the findings themselves, whose name rank is a
/// lookup away; the findings are then moved into place without a second buffer.
fn in_report_order(dir: &Directory, mut findings: Vec<Finding>) -> Vec<Finding> {
    let mut order: Vec<(u64, u32)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let key = ((f.severity as u64) << 32) | u64::from(dir.name_rank(f.identity));
            (key, i as u32)
        })
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| {
                let (fa, fb) = (&findings[a.1 as usize], &findings[b.1 as usize]);
                fa.rule()
                    .cmp(fb.rule())
                    .then_with(|| fa.credential_id.cmp(&fb.credential_id))
            })
            .then(a.1.cmp(&b.1))
    });
    // Position k takes the finding now at `from[k]`. Each cycle of the permutation is walked
    // once with swaps; the finding displaced from the cycle's start always sits at `k`.
    let mut from: Vec<u32> = order.into_iter().map(|(_, i)| i).collect();
    for start in 0..from.len() {
        let mut k = start;
        while from[k] as usize != k {
            let src = from[k] as usize;
            from[k] = k as u32;
            if src == start {
                break;
            }
            findings.swap(k, src);
            k = src;
        }
    }
    findings
}

/// Why an identity's findings may be noise.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Noise {
    None,
    FirstParty,
    AppProxy,
}

/// The identity being audited.
struct Owner<'a> {
    id: EntryId,
    name: &'a str,
    noise: Noise,
}

/// What a finding is, apart from its specifics.
struct Head {
    about: &'static About,
    severity: Severity,
    /// About one client secret (App Proxy noise is about secrets only).
    secret: bool,
}

/// A finding's static description, made in a `const` block so each finding points at one
/// shared copy: `const { &about(RULE, "Title", CITE) }`.
const fn about(rule: &'static str, title: &'static str, cite: Cite) -> About {
    About {
        rule,
        title,
        seed: cite.seed,
        section: cite.section,
    }
}

/// Where the objects holding a secret stand, which decides the migration to suggest.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SecretPath {
    /// The app already trusts an external identity provider (GitHub, Kubernetes…).
    Federation,
    /// Multi-tenant, or already trusting a managed identity: a managed identity as FIC.
    ManagedIdentityFic,
    /// Its service principal holds Azure roles: a managed identity could hold them instead.
    ManagedIdentity,
    Certificate,
}

impl SecretPath {
    fn migration(self) -> &'static str {
        match self {
            Self::Federation | Self::ManagedIdentityFic => "secret-to-fic",
            Self::ManagedIdentity => "secret-to-managed-identity",
            Self::Certificate => "secret-to-certificate",
        }
    }

    /// The wizard outcome most likely to come out for this secret.
    fn outcome(self) -> &'static str {
        match self {
            Self::Federation => "workload-identity-federation",
            Self::ManagedIdentityFic => "managed-identity-as-federated-credential",
            Self::ManagedIdentity => "user-assigned-managed-identity",
            Self::Certificate => "certificate",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Self::Federation => {
                "it already trusts an external identity provider, so a federated credential can replace the secret"
            }
            Self::ManagedIdentityFic => {
                "a managed identity as its federated credential can replace the secret"
            }
            Self::ManagedIdentity => {
                "its service principal holds Azure roles: if the workload runs in Azure, a managed identity can take them over"
            }
            Self::Certificate => {
                "a certificate (or, where the workload allows, a federated credential) can replace the secret"
            }
        }
    }
}

/// A credential being audited for expiry.
#[derive(Clone, Copy)]
enum Cred<'a> {
    Secret(&'a PasswordCredential),
    Certificate(&'a KeyCredential),
}

impl<'a> Cred<'a> {
    fn key_id(self) -> &'a SharedStr {
        match self {
            Cred::Secret(c) => &c.key_id,
            Cred::Certificate(c) => &c.key_id,
        }
    }

    fn end(self) -> Option<Timestamp> {
        match self {
            Cred::Secret(c) => c.end_date_time,
            Cred::Certificate(c) => c.end_date_time,
        }
    }

    fn title_noun(self) -> &'static str {
        match self {
            Cred::Secret(_) => "Secret",
            Cred::Certificate(_) => "Certificate",
        }
    }

    fn label(self) -> Label<'a> {
        match self {
            Cred::Secret(c) => Label(c.display_name.as_deref(), &c.key_id),
            Cred::Certificate(c) => Label(c.display_name.as_deref(), &c.key_id),
        }
    }
}

/// A credential's name in a message: its display name in quotes, or the start of its keyId.
struct Label<'a>(Option<&'a str>, &'a str);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => write!(f, "\"{name}\""),
            None => {
                let short = self.1.get(..8).unwrap_or(self.1);
                write!(f, "(unnamed, keyId {short}…)")
            }
        }
    }
}

/// `s` lower-cased, borrowed when it already is (ids almost always are).
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// A day as `YYYY-MM-DD` (UTC), written without an intermediate string.
struct Day(Timestamp);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0.to_offset(time::UtcOffset::UTC).date();
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

fn is_expired(end: Option<Timestamp>, now: Timestamp) -> bool {
    end.is_some_and(|e| e <= now)
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

struct Auditor<'a> {
    dir: &'a Directory,
    s: &'a TenantSnapshot,
    opts: &'a AuditOptions,
    expiring_within: Duration,
    /// appIds of App Proxy applications (from their tagged service principals).
    proxy_app_ids: HashSet<&'a str>,
    /// Principal ids holding Azure role assignments (lower-cased, as ARM compares them).
    role_holders: HashSet<Cow<'a, str>>,
    /// appIds whose service principal holds Azure role assignments.
    role_app_ids: HashSet<Cow<'a, str>>,
    out: Vec<Finding>,
    /// Every remedy text written so far, so findings that read the same share one copy.
    texts: HashSet<Arc<str>>,
    noise_first_party: usize,
    noise_app_proxy: usize,
    /// The snapshot's sign-in evidence, indexed once.
    usage: UsageIndex<'a>,
}

impl<'a> Auditor<'a> {
    fn new(dir: &'a Directory, opts: &'a AuditOptions) -> Self {
        let s = dir.snapshot();
        let proxy_app_ids = s
            .service_principals
            .iter()
            .filter(|p| p.tags.iter().any(|t| t == APP_PROXY_TAG))
            .map(|p| p.app_id.as_str())
            .collect();
        let role_holders: HashSet<Cow<'a, str>> = s
            .role_assignments
            .iter()
            .map(|r| lower(&r.principal_id))
            .collect();
        let role_app_ids = s
            .service_principals
            .iter()
            .filter(|p| p.service_principal_type != ServicePrincipalType::ManagedIdentity)
            .filter(|p| role_holders.contains(&*lower(&p.id)))
            .map(|p| lower(&p.app_id))
            .collect();
        Self {
            dir,
            s,
            opts,
            role_holders,
            role_app_ids,
            expiring_within: Duration::days(opts.expiring_within_days),
            proxy_app_ids,
            // Most credentials bring a finding or two: growing a vector of findings that
            // large step by step would copy it again and again.
            out: Vec::with_capacity(s.credential_count() + s.applications.len() / 16),
            texts: HashSet::new(),
            noise_first_party: 0,
            noise_app_proxy: 0,
            usage: UsageIndex::new(&s.usage),
        }
    }

    fn finish(self) -> Report {
        let mut noise = Vec::new();
        if self.noise_first_party > 0 {
            noise.push((NOISE_FIRST_PARTY.to_string(), self.noise_first_party));
        }
        if self.noise_app_proxy > 0 {
            noise.push((NOISE_APP_PROXY.to_string(), self.noise_app_proxy));
        }
        Report {
            findings: self.out,
            noise,
            ..Report::default()
        }
    }

    /// Records a finding, or counts it as noise.
    fn push(
        &mut self,
        o: &Owner<'_>,
        head: Head,
        credential: Option<SharedStr>,
        message: String,
        mut remedy: Remedy,
    ) {
        if !self.opts.include_noise {
            match o.noise {
                Noise::FirstParty => {
                    self.noise_first_party += 1;
                    return;
                }
                Noise::AppProxy if head.secret && APP_PROXY_RULES.contains(&head.about.rule) => {
                    self.noise_app_proxy += 1;
                    return;
                }
                _ => {}
            }
        }
        remedy.text_mut().share(&mut self.texts);
        // Grown by a quarter, not doubled, when the first guess (one finding per credential)
        // falls short: a doubled list of a quarter of a million findings is mostly room.
        if self.out.len() == self.out.capacity() {
            self.out.reserve_exact(self.out.capacity() / 4 + 16);
        }
        self.out.push(Finding {
            about: head.about,
            severity: head.severity,
            identity: o.id,
            credential_id: credential,
            message: message.into_boxed_str(),
            remedy,
        });
    }

    // ---- identities ---------------------------------------------------------------------

    fn application(&mut self, id: EntryId, app: &'a Application) {
        let noise = if !self.proxy_app_ids.is_empty() && self.proxy_app_ids.contains(&*app.app_id) {
            Noise::AppProxy
        } else {
            Noise::None
        };
        let o = Owner {
            id,
            name: &app.display_name,
            noise,
        };
        let now = self.opts.now;
        let fics = &app.federated_identity_credentials;
        // Which migration suits its secrets: worked out once, and only if a finding needs it.
        let mut path = None;
        let stronger = app
            .key_credentials
            .iter()
            .find(|c| !is_expired(c.end_date_time, now))
            .map(|c| Stronger::Certificate(Label(c.display_name.as_deref(), &c.key_id)))
            .or_else(|| fics.first().map(|f| Stronger::Federated(&f.name)));
        let mut live_secrets = 0;
        for c in &app.password_credentials {
            let expired = is_expired(c.end_date_time, now);
            live_secrets += usize::from(!expired);
            self.secret(&o, c, &mut path, || Holder::App(app), stronger.as_ref());
        }
        for c in &app.key_credentials {
            self.expiry(&o, Cred::Certificate(c), &mut path, || Holder::App(app));
            if !is_expired(c.end_date_time, now) {
                self.unused(&o, CredentialRef::Certificate(c), Place::App(app));
            }
        }
        if app.is_multi_tenant() && live_secrets > 0 {
            self.multi_tenant_secret(&o, app, live_secrets);
        }
        self.federated(&o, fics, Place::App(app));
        if app.password_credentials.is_empty() && app.key_credentials.is_empty() && fics.is_empty()
        {
            self.stale(&o, app);
        }
    }

    fn service_principal(&mut self, id: EntryId, sp: &'a ServicePrincipal) {
        let first_party = sp.app_owner_organization_id.as_deref().is_some_and(|org| {
            !org.eq_ignore_ascii_case(&self.s.tenant_id)
                && MICROSOFT_TENANTS
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(org))
        });
        let noise = if first_party {
            Noise::FirstParty
        } else if sp.tags.iter().any(|t| t == APP_PROXY_TAG) {
            Noise::AppProxy
        } else {
            Noise::None
        };
        let o = Owner {
            id,
            name: &sp.display_name,
            noise,
        };
        let now = self.opts.now;
        let mut path = None;
        // A SAML app's principal holds its token-signing certificate and, with it, the
        // password of that certificate's private key: not a client secret, and the
        // certificate's own expiry is what matters.
        let saml_signing = sp.key_credentials.iter().any(|k| {
            k.key_type.as_deref() == Some("X509CertAndPassword")
                || k.usage.as_deref() == Some("Sign")
        });
        if !saml_signing {
            let stronger = sp
                .key_credentials
                .iter()
                .find(|c| !is_expired(c.end_date_time, now))
                .map(|c| Stronger::Certificate(Label(c.display_name.as_deref(), &c.key_id)));
            for c in &sp.password_credentials {
                self.secret(&o, c, &mut path, || Holder::Sp(sp), stronger.as_ref());
            }
            if !sp.password_credentials.is_empty() {
                self.sp_password(&o, sp);
            }
        }
        for c in &sp.key_credentials {
            self.expiry(&o, Cred::Certificate(c), &mut path, || Holder::Sp(sp));
            // A SAML signing certificate signs tokens; it does not sign in.
            if !saml_signing && !is_expired(c.end_date_time, now) {
                self.unused(&o, CredentialRef::Certificate(c), Place::Sp(sp));
            }
        }
    }

    /// The managed identity whose client id is `id`, a common mix-up with the principal id.
    fn client_id_owner(&self, id: &str) -> Option<&'a str> {
        let dir = self.dir;
        dir.by_id(id).iter().find_map(|&t| {
            let e = dir.entry(t);
            (e.kind == IdentityKind::UserAssignedManagedIdentity
                && dir.app_id_of(e).is_some_and(|c| c.eq_ignore_ascii_case(id)))
            .then(|| dir.display_name_of(e))
        })
    }

    // ---- context ------------------------------------------------------------------------

    /// Which way off its secrets an identity most likely goes.
    fn secret_path(&self, holder: Holder<'_>) -> SecretPath {
        let s = self.s;
        match holder {
            Holder::App(app) => {
                let fics = &app.federated_identity_credentials;
                if fics
                    .iter()
                    .any(|f| !is_tenant_entra_issuer(&f.issuer, &s.tenant_id, s.cloud))
                {
                    return SecretPath::Federation;
                }
                if app.is_multi_tenant()
                    || fics
                        .iter()
                        .any(|f| classify_fic(f, &s.tenant_id, s.cloud) == FicKind::ManagedIdentity)
                {
                    return SecretPath::ManagedIdentityFic;
                }
                if self.role_app_ids.contains(&*lower(&app.app_id)) {
                    SecretPath::ManagedIdentity
                } else {
                    SecretPath::Certificate
                }
            }
            Holder::Sp(sp) => {
                if self.role_holders.contains(&*lower(&sp.id)) {
                    SecretPath::ManagedIdentity
                } else {
                    SecretPath::Certificate
                }
            }
        }
    }
}

/// The credential that makes a secret beside it look like a leftover.
enum Stronger<'a> {
    Certificate(Label<'a>),
    Federated(&'a str),
}
