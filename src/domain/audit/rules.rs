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

use super::{AuditOptions, Finding, Remedy, Report, Severity};
use crate::domain::CredentialRef;
use crate::domain::Timestamp;
use crate::domain::credential::{FederatedIdentityCredential, KeyCredential, PasswordCredential};
use crate::domain::directory::{Directory, EntryId, ObjectRef};
use crate::domain::expiry::{self, NEVER_YEAR};
use crate::domain::kind::IdentityKind;
use crate::domain::links::{FicKind, classify_fic, is_tenant_entra_issuer};
use crate::domain::objects::{
    Application, ServicePrincipal, ServicePrincipalType, UserAssignedIdentity,
};
use crate::domain::snapshot::{Cloud, TenantSnapshot};
use crate::domain::usage::{Evidence, Unused, UsageIndex};

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

/// A seed passage: the file under `docs/seeds/` and a verbatim substring of it.
#[derive(Clone, Copy)]
struct Cite {
    seed: &'static str,
    section: &'static str,
}

const SEED_000: &str = "000_551eab9194109a8d.txt";
const SEED_001: &str = "001_2945f96ca3742079.txt";
const SEED_002: &str = "002_266b9969444d8f64.txt";
const SEED_003: &str = "003_a9cdbd4cfc1da392.txt";
const SEED_004: &str = "004_fe3a017d48f9b0bd.txt";

const CITE_OUTAGES: Cite = Cite {
    seed: SEED_004,
    section: "Manual handling of secrets and certificates are a known source of security issues and outages.",
};
const CITE_NO_ROTATION: Cite = Cite {
    seed: SEED_003,
    section: "No auto-rotation",
};
const CITE_CERT_STRONGER: Cite = Cite {
    seed: SEED_000,
    section: "Certificate-based client credentials are more secure than secret keys.",
};
const CITE_FEDERATION: Cite = Cite {
    seed: SEED_001,
    section: "Workload identity federation allows an external app to access Microsoft Entra protected resources without managing secrets.",
};
const CITE_ACROSS_TENANTS: Cite = Cite {
    seed: SEED_001,
    section: "Using a managed identity as a federated identity credential allows your Azure hosted workload to access Microsoft Entra protected resources across tenants without managing secrets.",
};
const CITE_SP_CERTIFICATES: Cite = Cite {
    seed: SEED_002,
    section: "Unlike client secrets, client certificates cannot accidentally be embedded in code.",
};
const CITE_FIC_LIMIT: Cite = Cite {
    seed: SEED_004,
    section: "There's a limit of 20 FICs when using managed identities as FIC on an Entra ID App.",
};
const CITE_FIC_PROVIDERS: Cite = Cite {
    seed: SEED_003,
    section: "For federation with other Identity Providers (e.g. GitHub) or federation with Azure Managed Identity",
};
const CITE_MI_FIC: Cite = Cite {
    seed: SEED_004,
    section: "Use managed identity as a Federated Identity Credential (FIC) on an Entra ID app",
};
const CITE_SP_PER_TENANT: Cite = Cite {
    seed: SEED_002,
    section: "A service principal is created in (local to) each tenant where the application is used",
};
const CITE_NOT_FOR_PRODUCTION: Cite = Cite {
    seed: SEED_003,
    section: "Not for production",
};
const CITE_EXPOSED: Cite = Cite {
    seed: SEED_001,
    section: "If exposed, these credentials could be used to gain unauthorized access to sensitive information",
};

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
                fa.rule
                    .cmp(fb.rule)
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
    rule: &'static str,
    severity: Severity,
    title: &'static str,
    cite: Cite,
    /// About one client secret (App Proxy noise is about secrets only).
    secret: bool,
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
    fn key_id(self) -> &'a str {
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
        credential: Option<&str>,
        message: String,
        remedy: Remedy,
    ) {
        if !self.opts.include_noise {
            match o.noise {
                Noise::FirstParty => {
                    self.noise_first_party += 1;
                    return;
                }
                Noise::AppProxy if head.secret && APP_PROXY_RULES.contains(&head.rule) => {
                    self.noise_app_proxy += 1;
                    return;
                }
                _ => {}
            }
        }
        self.out.push(Finding {
            rule: head.rule,
            severity: head.severity,
            identity: o.id,
            credential_id: credential.map(str::to_string),
            title: head.title,
            message,
            remedy,
            seed: head.cite.seed,
            section: head.cite.section,
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

    // ---- credentials --------------------------------------------------------------------

    /// Every rule about one client secret.
    fn secret(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        path: &mut Option<SecretPath>,
        holder: impl Fn() -> Holder<'a> + Copy,
        stronger: Option<&Stronger<'_>>,
    ) {
        let now = self.opts.now;
        let expired = is_expired(c.end_date_time, now);
        self.expiry(o, Cred::Secret(c), path, holder);
        if !expired {
            self.long_lifetime(o, c, path, holder);
            if let Some(st) = stronger {
                self.beside_stronger(o, c, st, holder());
            }
            self.unused(o, CredentialRef::Secret(c), Place::of(holder()));
            self.in_use_beside_replacement(o, c, holder());
        }
        let p = *path.get_or_insert_with(|| self.secret_path(holder()));
        self.push(
            o,
            Head {
                rule: CLIENT_SECRET,
                severity: Severity::Low,
                title: "Client secret",
                cite: CITE_NOT_FOR_PRODUCTION,
                secret: true,
            },
            Some(&c.key_id),
            format!(
                "{} holds client secret {}: a shared secret that can leak and has to be rotated by hand.",
                o.name,
                Label(c.display_name.as_deref(), &c.key_id)
            ),
            Remedy::Wizard {
                outcome: p.outcome(),
                text: "Run the decision wizard (`credwise wizard`, or w on the identity) to find the credential to replace it.".into(),
            },
        );
    }

    /// `credential-expired` and `credential-expiring`.
    fn expiry(
        &mut self,
        o: &Owner<'_>,
        c: Cred<'_>,
        path: &mut Option<SecretPath>,
        holder: impl Fn() -> Holder<'a>,
    ) {
        let now = self.opts.now;
        let Some(end) = c.end() else { return };
        if end.year() >= NEVER_YEAR {
            return;
        }
        let left = end - now;
        let secret = matches!(c, Cred::Secret(_));
        if left <= Duration::ZERO {
            let fallback = if secret {
                "Remove it if nothing uses it any more; if something does, it can no longer sign in: replace the secret now."
            } else {
                "Remove it if nothing uses it any more; if something does, it can no longer sign in: upload a new certificate now."
            };
            let cref = match c {
                Cred::Secret(p) => CredentialRef::Secret(p),
                Cred::Certificate(k) => CredentialRef::Certificate(k),
            };
            let evidence = self.evidence(cref, Place::of(holder()));
            let text: Cow<'static, str> = match evidence.unused_for(self.opts.unused_days) {
                Unused::Yes { days } => format!(
                    "Safe to remove: unused for {days} days ({}). Remove it: `{}`.",
                    source_words(&evidence),
                    Place::of(holder()).remove_command(cref)
                )
                .into(),
                Unused::No => format!(
                    "Something still uses or presents it: {}. Give that workload a valid credential, then remove this one.",
                    evidence.describe(now)
                )
                .into(),
                Unused::Unknown(_) => fallback.into(),
            };
            self.push(
                o,
                Head {
                    rule: CREDENTIAL_EXPIRED,
                    severity: Severity::High,
                    title: if secret {
                        "Expired secret"
                    } else {
                        "Expired certificate"
                    },
                    cite: CITE_OUTAGES,
                    secret,
                },
                Some(c.key_id()),
                format!(
                    "{} {} on {} expired on {} ({}): an app still using it is down, or it is a leftover.",
                    c.title_noun(),
                    c.label(),
                    o.name,
                    Day(end),
                    expiry::relative(Some(end), now),
                ),
                Remedy::Action { text },
            );
            return;
        }
        if left > self.expiring_within {
            return;
        }
        let severity = if left <= Duration::days(EXPIRING_HIGH_DAYS) {
            Severity::High
        } else {
            Severity::Medium
        };
        let date = Day(end);
        let remedy = match c {
            Cred::Secret(_) => {
                let p = *path.get_or_insert_with(|| self.secret_path(holder()));
                Remedy::Migration {
                    migration: p.migration(),
                    text: format!(
                        "Rather than rotating it, retire it before {date}: {}.",
                        p.advice()
                    ).into(),
                }
            }
            Cred::Certificate(_) => Remedy::Action {
                text: format!(
                    "Rotate it before {date}: add the new certificate beside it, switch the workload over, then remove the old one."
                ).into(),
            },
        };
        self.push(
            o,
            Head {
                rule: CREDENTIAL_EXPIRING,
                severity,
                title: if secret {
                    "Secret expiring soon"
                } else {
                    "Certificate expiring soon"
                },
                cite: CITE_OUTAGES,
                secret,
            },
            Some(c.key_id()),
            format!(
                "{} {} on {} expires on {date} ({}).",
                c.title_noun(),
                c.label(),
                o.name,
                expiry::relative(Some(end), now)
            ),
            remedy,
        );
    }

    fn long_lifetime(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        path: &mut Option<SecretPath>,
        holder: impl Fn() -> Holder<'a>,
    ) {
        let now = self.opts.now;
        let Some(end) = c.end_date_time else { return };
        let label = Label(c.display_name.as_deref(), &c.key_id);
        let max = self.opts.max_secret_lifetime_days;
        let (severity, title, message) = if end.year() >= NEVER_YEAR {
            (
                Severity::Critical,
                "Secret never expires",
                format!(
                    "Secret {label} on {} ends on {}: in practice it never expires, so a leaked copy works for good.",
                    o.name,
                    Day(end)
                ),
            )
        } else {
            // Without a start date, what is left of it is all that can be judged.
            let days = (end - c.start_date_time.unwrap_or(now)).whole_days();
            if days <= max {
                return;
            }
            (
                Severity::Medium,
                "Long-lived secret",
                format!(
                    "Secret {label} on {} lives {days} days (until {}), over the {max}-day maximum.",
                    o.name,
                    Day(end)
                ),
            )
        };
        let p = *path.get_or_insert_with(|| self.secret_path(holder()));
        self.push(
            o,
            Head {
                rule: SECRET_LONG_LIFETIME,
                severity,
                title,
                cite: CITE_NO_ROTATION,
                secret: true,
            },
            Some(&c.key_id),
            message,
            Remedy::Migration {
                migration: p.migration(),
                text: format!(
                    "Move off the secret: {}. Until then, replace it with one that lives at most {max} days.",
                    p.advice()
                ).into(),
            },
        );
    }

    fn beside_stronger(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        stronger: &Stronger<'_>,
        holder: Holder<'_>,
    ) {
        let (what, cite) = match stronger {
            Stronger::Certificate(l) => (format!("certificate {l}"), CITE_CERT_STRONGER),
            Stronger::Federated(n) => (format!("federated credential \"{n}\""), CITE_FEDERATION),
        };
        let evidence = self.evidence(CredentialRef::Secret(c), Place::of(holder));
        let now = self.opts.now;
        let text = match evidence.unused_for(self.opts.unused_days) {
            Unused::Yes { days } => format!(
                "Safe to remove: unused for {days} days ({}). Remove it: `{}`.",
                source_words(&evidence),
                Place::of(holder).remove_command(CredentialRef::Secret(c))
            ),
            Unused::No => format!(
                "It still signs in: {}. Move that workload to the {what} first, then remove the secret.",
                evidence.describe(now)
            ),
            Unused::Unknown(crate::domain::usage::Unknown::Window { covered_days }) => format!(
                "No sign-in in the {covered_days} days the sign-in data covers: confirm nothing uses the secret over a longer span (the sign-in logs), then remove it."
            ),
            Unused::Unknown(u) => format!(
                "Confirm nothing uses the secret any more (sign-in logs; credwise's sign-in data: unknown, {}), then remove it.",
                u.words()
            ),
        };
        self.push(
            o,
            Head {
                rule: SECRET_BESIDE_STRONGER,
                severity: Severity::Medium,
                title: "Secret beside a stronger credential",
                cite,
                secret: true,
            },
            Some(&c.key_id),
            format!(
                "{} holds secret {} beside {what}: the secret is probably a leftover of the move to it.",
                o.name,
                Label(c.display_name.as_deref(), &c.key_id)
            ),
            Remedy::Action { text: text.into() },
        );
    }

    /// The usage evidence of `c` where it is held (`Evidence::held_by`: a managed identity's
    /// silence in the sign-in log proves nothing).
    fn evidence(&self, c: CredentialRef<'_>, place: Place<'_>) -> Evidence {
        self.usage
            .credential(c)
            .held_by(place.is_managed_identity())
    }

    /// `credential-unused`: no sign-in for `unused_days` days, in data that covers them.
    /// Unknown data never fires it.
    fn unused(&mut self, o: &Owner<'_>, c: CredentialRef<'_>, place: Place<'_>) {
        let evidence = self.evidence(c, place);
        let Unused::Yes { days } = evidence.unused_for(self.opts.unused_days) else {
            return;
        };
        // A credential younger than the threshold has not been idle that long.
        if let Some(start) = c.start()
            && (self.opts.now - start).whole_days() < self.opts.unused_days
        {
            return;
        }
        let (severity, title, noun) = match c {
            CredentialRef::Secret(_) => (Severity::Medium, "Unused secret", "Secret"),
            CredentialRef::Certificate(_) => (Severity::Low, "Unused certificate", "Certificate"),
            CredentialRef::Federated(_) => (
                Severity::Low,
                "Unused federated credential",
                "Federated credential",
            ),
        };
        let label = match c {
            CredentialRef::Secret(p) => Label(p.display_name.as_deref(), &p.key_id).to_string(),
            CredentialRef::Certificate(k) => {
                Label(k.display_name.as_deref(), &k.key_id).to_string()
            }
            CredentialRef::Federated(f) => format!("\"{}\"", f.name),
        };
        self.push(
            o,
            Head {
                rule: CREDENTIAL_UNUSED,
                severity,
                title,
                cite: CITE_EXPOSED,
                secret: matches!(c, CredentialRef::Secret(_)),
            },
            Some(c.id()),
            format!(
                "{noun} {label} on {} is unused: {}.",
                o.name,
                evidence.describe(self.opts.now)
            ),
            Remedy::Action {
                text: format!(
                    "Safe to remove: unused for {days} days ({}). Remove it: `{}`.",
                    source_words(&evidence),
                    place.remove_command(c)
                )
                .into(),
            },
        );
    }

    /// `secret-in-use-beside-replacement`: the secret signed in after a newer credential was
    /// added (a certificate or secret by its start date; a federated credential, whose
    /// creation Graph does not date, once it has signed in itself).
    fn in_use_beside_replacement(
        &mut self,
        o: &Owner<'_>,
        c: &PasswordCredential,
        holder: Holder<'_>,
    ) {
        let now = self.opts.now;
        let evidence = self.usage.credential(CredentialRef::Secret(c));
        let Some(used) = evidence.last_sign_in() else {
            return;
        };
        let newer = |start: Option<Timestamp>| {
            start.filter(|s| c.start_date_time.is_none_or(|mine| *s > mine))
        };
        let (passwords, keys, fics): (
            &[PasswordCredential],
            &[KeyCredential],
            &[FederatedIdentityCredential],
        ) = match holder {
            Holder::App(a) => (
                &a.password_credentials,
                &a.key_credentials,
                &a.federated_identity_credentials,
            ),
            Holder::Sp(p) => (&p.password_credentials, &p.key_credentials, &[]),
        };
        let mut replacements: Vec<(Timestamp, String)> = Vec::new();
        for k in keys.iter().filter(|k| !is_expired(k.end_date_time, now)) {
            if let Some(added) = newer(k.start_date_time) {
                replacements.push((
                    added,
                    format!(
                        "certificate {} was added on {}",
                        Label(k.display_name.as_deref(), &k.key_id),
                        Day(added)
                    ),
                ));
            }
        }
        for p in passwords
            .iter()
            .filter(|p| p.key_id != c.key_id && !is_expired(p.end_date_time, now))
        {
            if let Some(added) = newer(p.start_date_time) {
                replacements.push((
                    added,
                    format!(
                        "secret {} was added on {}",
                        Label(p.display_name.as_deref(), &p.key_id),
                        Day(added)
                    ),
                ));
            }
        }
        for f in fics {
            if let Some(at) = self
                .usage
                .credential(CredentialRef::Federated(f))
                .last_sign_in()
            {
                replacements.push((
                    at,
                    format!(
                        "federated credential \"{}\" was signing in ({})",
                        f.name,
                        crate::domain::usage::ago(at, now)
                    ),
                ));
            }
        }
        let Some((_, what)) = replacements
            .into_iter()
            .filter(|(since, _)| used > *since)
            .min_by_key(|(since, _)| *since)
        else {
            return;
        };
        self.push(
            o,
            Head {
                rule: SECRET_IN_USE_BESIDE_REPLACEMENT,
                severity: Severity::Medium,
                title: "Secret still used beside its replacement",
                cite: CITE_OUTAGES,
                secret: true,
            },
            Some(&c.key_id),
            format!(
                "Client secret {} on {} still signs in after {what}: {}. A workload still uses the old secret; removing it now would break that workload.",
                Label(c.display_name.as_deref(), &c.key_id),
                o.name,
                evidence.describe(now)
            ),
            Remedy::Action {
                text: "Find the workload that still signs in with the secret (its request ids are in the sign-in log) and move it to the new credential; remove the secret once it has been idle for a week.".into(),
            },
        );
    }

    fn multi_tenant_secret(&mut self, o: &Owner<'_>, app: &Application, live: usize) {
        let audience = app.sign_in_audience.as_deref().unwrap_or("multi-tenant");
        self.push(
            o,
            Head {
                rule: SECRET_ON_MULTI_TENANT_APP,
                severity: Severity::High,
                title: "Secret on a multi-tenant app",
                cite: CITE_ACROSS_TENANTS,
                secret: false,
            },
            None,
            format!(
                "{} is multi-tenant ({audience}) and holds {live} valid client {}: whoever has one can act as the app in every tenant that consented to it.",
                o.name,
                plural(live, "secret", "secrets")
            ),
            Remedy::Wizard {
                outcome: "managed-identity-as-federated-credential",
                text: "Run the decision wizard (`credwise wizard`, or w on the identity): a managed identity as the app's federated credential lets an Azure-hosted workload reach other tenants without a secret.".into(),
            },
        );
    }

    fn sp_password(&mut self, o: &Owner<'_>, sp: &ServicePrincipal) {
        let n = sp.password_credentials.len();
        let legacy = sp.service_principal_type == ServicePrincipalType::Legacy;
        let text = if legacy {
            "A Legacy principal has no app registration: replace it with an app registration that uses a certificate or a federated credential, then remove these passwords."
        } else {
            "Move the credential to the app registration, where its owners see and rotate it, or replace it with a certificate or a federated credential; then remove the principal's passwords."
        };
        self.push(
            o,
            Head {
                rule: SERVICE_PRINCIPAL_PASSWORD,
                severity: Severity::Medium,
                title: "Service principal holds its own password",
                cite: CITE_SP_CERTIFICATES,
                secret: false,
            },
            None,
            format!(
                "Service principal {} ({}) holds {n} password {} of its own, {}.",
                o.name,
                sp.service_principal_type.as_str(),
                plural(n, "credential", "credentials"),
                if legacy {
                    "with no app registration where anyone would see them"
                } else {
                    "which its app registration does not show"
                }
            ),
            Remedy::Action { text: text.into() },
        );
    }

    fn stale(&mut self, o: &Owner<'_>, app: &Application) {
        let has_sp = self
            .dir
            .by_id(&app.app_id)
            .iter()
            .any(|&t| self.dir.entry(t).kind == IdentityKind::ServicePrincipal);
        if has_sp {
            return;
        }
        let created = app
            .created_date_time
            .map(|t| format!(" (created {})", Day(t)))
            .unwrap_or_default();
        self.push(
            o,
            Head {
                rule: APPLICATION_STALE,
                severity: Severity::Low,
                title: "Unused app registration",
                cite: CITE_SP_PER_TENANT,
                secret: false,
            },
            None,
            format!(
                "{}{created} has no credential and no service principal in this tenant: nothing signs in as it here.",
                o.name
            ),
            Remedy::Action {
                text: "Delete it if nothing uses it (check other tenants it may be consented in first).".into(),
            },
        );
    }

    // ---- federated identity credentials ---------------------------------------------------

    /// FIC count, duplicates, subject lint and (on apps) managed identities as FIC.
    fn federated(&mut self, o: &Owner<'_>, fics: &[FederatedIdentityCredential], place: Place<'_>) {
        if fics.is_empty() {
            return;
        }
        let on_app = matches!(place, Place::App(_));
        let n = fics.len();
        if n >= FIC_WARN_AT {
            let severity = if n >= FIC_MEDIUM_AT {
                Severity::Medium
            } else {
                Severity::Low
            };
            let text = if on_app {
                "Before adding more, merge similar subjects into one flexible FIC (claimsMatchingExpression, for GitHub, GitLab and Terraform Cloud) or split the workloads across another app registration."
            } else {
                "Before adding more, split the workloads across another user-assigned identity (flexible FICs on managed identities are in preview only)."
            };
            self.push(
                o,
                Head {
                    rule: FIC_NEAR_LIMIT,
                    severity,
                    title: "Near the 20-FIC limit",
                    cite: CITE_FIC_LIMIT,
                    secret: false,
                },
                None,
                format!(
                    "{} has {n} of the {FIC_LIMIT} federated credentials allowed ({} left).",
                    o.name,
                    FIC_LIMIT.saturating_sub(n)
                ),
                match crate::domain::migration::flexible::merge_candidates(fics).first() {
                    // A plan: several classic GitHub FICs of one repository become one
                    // flexible FIC.
                    Some(c) => Remedy::Migration {
                        migration: "merge-federated-credentials",
                        text: format!(
                            "Merge the {} GitHub credentials of {} ({}) into one flexible credential matching {}: `credwise migrate merge-federated-credentials --identity {}`. It trusts every subject the pattern matches: check that is what you want.",
                            c.fics.len(),
                            c.repository,
                            c.fics
                                .iter()
                                .map(|f| f.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            c.replacement.matcher(),
                            o.name
                        )
                        .into(),
                    },
                    None => Remedy::Action { text: text.into() },
                },
            );
        }
        for (j, f) in fics.iter().enumerate() {
            if let Some(first) = fics[..j]
                .iter()
                .find(|g| g.issuer == f.issuer && g.matcher() == f.matcher())
            {
                self.push(
                    o,
                    Head {
                        rule: FIC_DUPLICATE,
                        severity: Severity::Medium,
                        title: "Duplicate federated credential",
                        cite: CITE_FIC_LIMIT,
                        secret: false,
                    },
                    Some(&f.name),
                    format!(
                        "Federated credential \"{}\" on {} repeats \"{}\" (issuer {}, subject {}): one of them is redundant and takes one of the {FIC_LIMIT} slots.",
                        f.name,
                        o.name,
                        first.name,
                        f.issuer,
                        f.matcher()
                    ),
                    Remedy::Action {
                        text: format!(
                            "Delete \"{}\" once nothing refers to it by name.",
                            f.name
                        ).into(),
                    },
                );
            }
            self.lint(o, f);
            if on_app {
                self.managed_identity_fic(o, f);
            }
            self.unused(o, CredentialRef::Federated(f), place);
        }
    }

    /// `fic-subject-lint`: issuer, GitHub subject and audience mistakes that Entra accepts at
    /// creation and that fail only at token exchange.
    fn lint(&mut self, o: &Owner<'_>, f: &FederatedIdentityCredential) {
        let head = |severity, title| Head {
            rule: FIC_SUBJECT_LINT,
            severity,
            title,
            cite: CITE_FIC_PROVIDERS,
            secret: false,
        };
        if f.issuer.trim() != f.issuer {
            self.push(
                o,
                head(Severity::High, "Whitespace around the FIC issuer"),
                Some(&f.name),
                format!(
                    "Federated credential \"{}\" on {} has spaces around its issuer \"{}\": no token's issuer matches it.",
                    f.name, o.name, f.issuer
                ),
                Remedy::Action {
                    text: "Set the issuer exactly as the provider writes it, without the spaces.".into(),
                },
            );
        }
        let issuer = f.issuer.trim();
        let github = issuer.trim_end_matches('/') == GITHUB_ISSUER;
        if github && issuer != GITHUB_ISSUER {
            self.push(
                o,
                head(Severity::High, "GitHub issuer with a trailing slash"),
                Some(&f.name),
                format!(
                    "Federated credential \"{}\" on {} has issuer {issuer}, but GitHub's tokens say {GITHUB_ISSUER} (no trailing slash): it never matches.",
                    f.name, o.name
                ),
                Remedy::Action {
                    text: format!(
                        "Set the FIC's issuer to {GITHUB_ISSUER}, without the slash."
                    ).into(),
                },
            );
        }
        if github && let Some(subject) = f.subject.as_deref() {
            match github_subject(subject) {
                GitHubSubject::PullRequestTypo => self.push(
                    o,
                    head(Severity::High, "GitHub subject says pull-request"),
                    Some(&f.name),
                    format!(
                        "Federated credential \"{}\" on {} has subject {subject}: GitHub writes pull_request (underscore), so it never matches.",
                        f.name, o.name
                    ),
                    Remedy::Action {
                        text: "Change the subject to end in :pull_request.".into(),
                    },
                ),
                GitHubSubject::Unknown => self.push(
                    o,
                    head(Severity::Medium, "Unexpected GitHub subject"),
                    Some(&f.name),
                    format!(
                        "Federated credential \"{}\" on {} has subject {subject}, none of GitHub's forms (repo:OWNER/REPO: then ref:refs/heads/…, ref:refs/tags/…, environment:NAME or pull_request): unless the repository customised its subject claim, it never matches.",
                        f.name, o.name
                    ),
                    Remedy::Action {
                        text: "Check the sub claim of the workflow's token and set the FIC's subject to exactly that.".into(),
                    },
                ),
                GitHubSubject::Immutable => self.push(
                    o,
                    head(Severity::Info, "Immutable GitHub subject"),
                    Some(&f.name),
                    format!(
                        "Federated credential \"{}\" on {} uses GitHub's immutable subject ({subject}); make sure the repository opted in.",
                        f.name, o.name
                    ),
                    Remedy::Action {
                        text: "Nothing to fix if the repository uses immutable subjects; otherwise its tokens carry the name-based subject and this FIC does not match.".into(),
                    },
                ),
                GitHubSubject::Known => {}
            }
        }
        if let Some(problem) = audience_problem(f, self.s.cloud) {
            self.push(
                o,
                head(Severity::Medium, "Unexpected FIC audience"),
                Some(&f.name),
                format!(
                    "Federated credential \"{}\" on {} {problem}.",
                    f.name, o.name
                ),
                Remedy::Action {
                    text: format!(
                        "Set the audience to {} (and request that audience in the workload's token).",
                        expected_audience(self.s.cloud)
                    ).into(),
                },
            );
        }
    }

    /// `mi-fic-unknown-principal`: an app FIC that trusts a managed identity must name a
    /// user-assigned one of this tenant.
    fn managed_identity_fic(&mut self, o: &Owner<'_>, f: &FederatedIdentityCredential) {
        let s = self.s;
        if classify_fic(f, &s.tenant_id, s.cloud) != FicKind::ManagedIdentity {
            return;
        }
        let subject = f.subject.as_deref().unwrap_or("");
        let target = self.dir.managed_identity_by_principal(subject);
        let problem = match target.map(|t| self.dir.entry(t)) {
            Some(e) if e.kind == IdentityKind::UserAssignedManagedIdentity => return,
            Some(e) => format!(
                "the system-assigned identity of {}, which Entra does not accept as a federated credential",
                self.dir.display_name_of(e)
            ),
            None => match self.client_id_owner(subject) {
                Some(name) => format!(
                    "the client id of {name}, not its principal (object) id, so no token matches"
                ),
                None => "no managed identity of this tenant (deleted, or never here)".to_string(),
            },
        };
        self.push(
            o,
            Head {
                rule: MI_FIC_UNKNOWN_PRINCIPAL,
                severity: Severity::High,
                title: "FIC trusts no user-assigned identity",
                cite: CITE_MI_FIC,
                secret: false,
            },
            Some(&f.name),
            format!(
                "Federated credential \"{}\" on {} trusts principal {subject}: {problem}.",
                f.name, o.name
            ),
            Remedy::Action {
                text: "Point the FIC at the principal (object) id of a user-assigned managed identity of this tenant, or delete it.".into(),
            },
        );
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

/// Where a credential lives, for the command that removes it.
#[derive(Clone, Copy)]
enum Place<'a> {
    App(&'a Application),
    Sp(&'a ServicePrincipal),
    Uami(&'a UserAssignedIdentity),
}

impl<'a> Place<'a> {
    /// A user-assigned identity, or a managed identity's service principal.
    fn is_managed_identity(&self) -> bool {
        match self {
            Place::Uami(_) => true,
            Place::Sp(sp) => sp.service_principal_type == ServicePrincipalType::ManagedIdentity,
            Place::App(_) => false,
        }
    }

    fn of(h: Holder<'a>) -> Self {
        match h {
            Holder::App(a) => Place::App(a),
            Holder::Sp(p) => Place::Sp(p),
        }
    }

    /// The `az` command that removes `c` (Azure CLI's `ad app credential delete`,
    /// `ad sp credential delete`, `ad app federated-credential delete`,
    /// `identity federated-credential delete`).
    fn remove_command(self, c: CredentialRef<'_>) -> String {
        let cert = if matches!(c, CredentialRef::Certificate(_)) {
            " --cert"
        } else {
            ""
        };
        match (self, c) {
            (Place::App(a), CredentialRef::Federated(f)) => format!(
                "az ad app federated-credential delete --id {} --federated-credential-id {}",
                a.app_id, f.name
            ),
            (Place::App(a), _) => format!(
                "az ad app credential delete --id {} --key-id {}{cert}",
                a.app_id,
                c.id()
            ),
            (Place::Sp(p), _) => format!(
                "az ad sp credential delete --id {} --key-id {}{cert}",
                p.id,
                c.id()
            ),
            (Place::Uami(u), _) => format!(
                "az identity federated-credential delete --name {} --identity-name {} --resource-group {}",
                c.id(),
                u.name,
                u.resource_group().unwrap_or("<resource group>")
            ),
        }
    }
}

/// The source of a fact, in words, for a remedy ("the credential sign-in report").
fn source_words(e: &Evidence) -> &'static str {
    e.source().map_or("sign-in data", |s| s.words())
}

/// The object that holds a secret.
#[derive(Clone, Copy)]
enum Holder<'a> {
    App(&'a Application),
    Sp(&'a ServicePrincipal),
}

/// The credential that makes a secret beside it look like a leftover.
enum Stronger<'a> {
    Certificate(Label<'a>),
    Federated(&'a str),
}

/// How a GitHub Actions subject reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GitHubSubject {
    /// One of the default forms, name-based.
    Known,
    /// One of the default forms, with `owner@id/repo@id`.
    Immutable,
    /// `:pull-request`, the common misspelling of `:pull_request`.
    PullRequestTypo,
    Unknown,
}

fn github_subject(subject: &str) -> GitHubSubject {
    if subject.ends_with(":pull-request") {
        return GitHubSubject::PullRequestTypo;
    }
    let Some((repo, tail)) = subject
        .strip_prefix("repo:")
        .and_then(|r| r.split_once(':'))
    else {
        return GitHubSubject::Unknown;
    };
    let Some((owner, name)) = repo.split_once('/') else {
        return GitHubSubject::Unknown;
    };
    let immutable = match (id_suffixed(owner), id_suffixed(name)) {
        (Some(false), Some(false)) => false,
        (Some(true), Some(true)) => true,
        // Half-immutable, malformed ids, or empty parts: no token looks like that.
        _ => return GitHubSubject::Unknown,
    };
    let nonempty = |p: &str| tail.strip_prefix(p).is_some_and(|v| !v.is_empty());
    let known = tail == "pull_request"
        || nonempty("ref:refs/heads/")
        || nonempty("ref:refs/tags/")
        || nonempty("environment:");
    match (known, immutable) {
        (false, _) => GitHubSubject::Unknown,
        (true, false) => GitHubSubject::Known,
        (true, true) => GitHubSubject::Immutable,
    }
}

/// `Some(true)` for `name@digits`, `Some(false)` for a plain name, `None` when malformed.
fn id_suffixed(part: &str) -> Option<bool> {
    if part.is_empty() || part.contains('/') {
        return None;
    }
    match part.split_once('@') {
        None => Some(false),
        Some((n, id)) => {
            (!n.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
                .then_some(true)
        }
    }
}

const AUDIENCES: [(Cloud, &str); 3] = [
    (Cloud::Public, "api://AzureADTokenExchange"),
    (Cloud::Usgov, "api://AzureADTokenExchangeUSGov"),
    (Cloud::China, "api://AzureADTokenExchangeChina"),
];

fn expected_audience(cloud: Cloud) -> &'static str {
    AUDIENCES
        .iter()
        .find(|(c, _)| *c == cloud)
        .map_or(AUDIENCES[0].1, |(_, a)| a)
}

/// What is wrong with a FIC's audiences, as the end of a sentence; `None` when nothing is.
fn audience_problem(f: &FederatedIdentityCredential, cloud: Cloud) -> Option<String> {
    let expected = expected_audience(cloud);
    let [aud] = f.audiences.as_slice() else {
        return Some(format!(
            "has {} audiences; a FIC takes exactly one, {expected}",
            f.audiences.len()
        ));
    };
    if aud == expected {
        return None;
    }
    Some(match AUDIENCES.iter().find(|(_, a)| a == aud) {
        Some((other, _)) => format!(
            "has audience {aud}, the {} cloud's, but this tenant is in the {} cloud",
            other.as_str(),
            cloud.as_str()
        ),
        None => format!("has audience {aud} instead of {expected}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_subject_forms() {
        use GitHubSubject::*;
        let cases = [
            ("repo:o/r:ref:refs/heads/main", Known),
            ("repo:o/r:ref:refs/tags/v1.0", Known),
            ("repo:o/r:environment:prod", Known),
            ("repo:o/r:pull_request", Known),
            ("repo:o@12/r@34:ref:refs/heads/main", Immutable),
            ("repo:o@12/r@34:pull_request", Immutable),
            ("repo:o/r:pull-request", PullRequestTypo),
            ("repo:o/r:ref:main", Unknown),
            ("repo:o/r:ref:refs/heads/", Unknown),
            ("repo:o@12/r:pull_request", Unknown),
            ("repo:o@x/r@34:pull_request", Unknown),
            ("repo:o:pull_request", Unknown),
            ("o/r:pull_request", Unknown),
            ("repo:/r:pull_request", Unknown),
        ];
        for (s, want) in cases {
            assert_eq!(github_subject(s), want, "{s}");
        }
    }

    #[test]
    fn seed_sections_are_not_empty() {
        for c in [
            CITE_OUTAGES,
            CITE_NO_ROTATION,
            CITE_CERT_STRONGER,
            CITE_FEDERATION,
            CITE_ACROSS_TENANTS,
            CITE_SP_CERTIFICATES,
            CITE_FIC_LIMIT,
            CITE_FIC_PROVIDERS,
            CITE_MI_FIC,
            CITE_SP_PER_TENANT,
            CITE_NOT_FOR_PRODUCTION,
            CITE_EXPOSED,
        ] {
            assert!(c.seed.ends_with(".txt") && !c.section.is_empty());
        }
    }
}
