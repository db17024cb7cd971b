#![allow(clippy::unwrap_used)]
//! The audit rules (`domain::audit::rules`), one at a time: for each rule a small tenant where
//! it fires and one where it must not, built with the tiny builder below. Then the thresholds
//! (`expiring_within_days`, `max_secret_lifetime_days`), the noise that is hidden by default
//! (Microsoft first-party apps, App Proxy secrets), suppressions, and the demo tenant: every
//! rule fires on it, every finding cites a passage that is verbatim in its seed, and the
//! findings come worst first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use credwise::domain::audit::rules::RULE_IDS;
use credwise::domain::audit::suppress::Suppression;
use credwise::domain::audit::{AuditOptions, Finding, Remedy, Report, Severity, audit};
use credwise::domain::{
    Application, Cloud, Directory, FederatedIdentityCredential, KeyCredential, PasswordCredential,
    RoleAssignment, ServicePrincipal, ServicePrincipalType, TenantSnapshot, Timestamp,
    UserAssignedIdentity,
};
use credwise::store::snapshot_file;
use time::Duration;
use time::macros::{date, datetime};

const NOW: Timestamp = datetime!(2026-01-01 09:00 UTC);
const TENANT: &str = "3d1e2be9-a10a-4a0c-8380-7ce190f98ed9";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const EXCHANGE: &str = "api://AzureADTokenExchange";
const MICROSOFT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

// ───────────────────────────────────────────────────────────── builder ──

/// A small tenant, built one object at a time; ids are counters dressed as GUIDs.
struct T {
    s: TenantSnapshot,
    n: u64,
}

impl T {
    fn new() -> Self {
        Self {
            s: TenantSnapshot::empty(TENANT, NOW),
            n: 0,
        }
    }

    fn guid(&mut self) -> String {
        self.n += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.n)
    }

    /// An app registration without a service principal.
    fn app(&mut self, name: &str) -> &mut Application {
        let (id, app_id) = (self.guid(), self.guid());
        self.s.applications.push(Application {
            id,
            app_id,
            display_name: name.into(),
            sign_in_audience: Some("AzureADMyOrg".into()),
            publisher_domain: None,
            created_date_time: Some(NOW - Duration::days(400)),
            password_credentials: vec![],
            key_credentials: vec![],
            federated_identity_credentials: vec![],
            odata_type: None,
        });
        self.s.applications.last_mut().unwrap()
    }

    /// An app registration and its service principal (named `name (sp)`).
    fn app_with_sp(&mut self, name: &str) -> &mut Application {
        let app_id = self.app(name).app_id.clone();
        let sp = self.sp(&format!("{name} (sp)"));
        sp.app_id = app_id;
        self.s.applications.last_mut().unwrap()
    }

    /// An Application-type service principal owned by this tenant.
    fn sp(&mut self, name: &str) -> &mut ServicePrincipal {
        let (id, app_id) = (self.guid(), self.guid());
        self.s.service_principals.push(ServicePrincipal {
            id,
            app_id,
            display_name: name.into(),
            service_principal_type: ServicePrincipalType::Application,
            alternative_names: vec![],
            account_enabled: Some(true),
            app_owner_organization_id: Some(TENANT.into()),
            password_credentials: vec![],
            key_credentials: vec![],
            tags: vec![],
            odata_type: None,
        });
        self.s.service_principals.last_mut().unwrap()
    }

    /// A user-assigned identity and its ManagedIdentity principal (owned by Microsoft's
    /// services tenant, as real ones are); returns the principal id.
    fn uami(&mut self, name: &str, fics: Vec<FederatedIdentityCredential>) -> String {
        let (principal, client) = (self.guid(), self.guid());
        let rid = format!(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        );
        self.s.user_assigned_identities.push(UserAssignedIdentity {
            id: rid.clone(),
            name: name.into(),
            location: None,
            principal_id: principal.clone(),
            client_id: client.clone(),
            tenant_id: Some(TENANT.into()),
            tags: BTreeMap::new(),
            federated_identity_credentials: fics,
        });
        let sp = self.sp(name);
        sp.id = principal.clone();
        sp.app_id = client;
        sp.service_principal_type = ServicePrincipalType::ManagedIdentity;
        sp.alternative_names = vec!["isExplicit=True".into(), rid.into()];
        sp.app_owner_organization_id = Some(MICROSOFT.into());
        principal
    }

    /// A system-assigned identity's principal; returns its id.
    fn sami(&mut self, name: &str) -> String {
        let sp = self.sp(name);
        sp.service_principal_type = ServicePrincipalType::ManagedIdentity;
        sp.alternative_names = vec![
            "isExplicit=False".into(),
            format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/{name}")
                .into(),
        ];
        sp.app_owner_organization_id = Some(MICROSOFT.into());
        sp.id.clone()
    }

    fn grant(&mut self, principal_id: &str) {
        let id = self.guid();
        self.s.role_assignments.push(RoleAssignment {
            id,
            principal_id: principal_id.into(),
            principal_type: Some("ServicePrincipal".into()),
            role_definition_id: "/providers/Microsoft.Authorization/roleDefinitions/r".into(),
            role_definition_name: Some("Reader".into()),
            scope: "/subscriptions/s".into(),
            ..Default::default()
        });
    }

    fn audit(self) -> Out {
        self.audit_with(&AuditOptions::new(NOW))
    }

    fn audit_with(self, opts: &AuditOptions) -> Out {
        let dir = Directory::new(self.s);
        let report = audit(&dir, opts, &[]);
        Out { dir, report }
    }
}

/// A secret valid from `start` to `end`, in days from NOW.
fn secret(name: &str, start: i64, end: i64) -> PasswordCredential {
    PasswordCredential {
        key_id: format!("secret-{name}").into(),
        display_name: Some(name.into()),
        hint: Some("abc".into()),
        start_date_time: Some(NOW + Duration::days(start)),
        end_date_time: Some(NOW + Duration::days(end)),
    }
}

/// A client-authentication certificate valid from `start` to `end`, in days from NOW.
fn cert(name: &str, start: i64, end: i64) -> KeyCredential {
    KeyCredential {
        key_id: format!("cert-{name}").into(),
        display_name: Some(format!("CN={name}")),
        custom_key_identifier: None,
        key_type: Some("AsymmetricX509Cert".into()),
        usage: Some("Verify".into()),
        start_date_time: Some(NOW + Duration::days(start)),
        end_date_time: Some(NOW + Duration::days(end)),
    }
}

fn fic(name: &str, issuer: &str, subject: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: issuer.into(),
        subject: Some(subject.into()),
        claims_matching_expression: None,
        audiences: vec![EXCHANGE.into()],
        description: None,
    }
}

fn github(name: &str, subject: &str) -> FederatedIdentityCredential {
    fic(name, GITHUB, subject)
}

fn entra_issuer() -> String {
    format!("https://login.microsoftonline.com/{TENANT}/v2.0")
}

/// An audit's result with the directory, to name identities.
struct Out {
    dir: Directory,
    report: Report,
}

impl Out {
    fn name(&self, f: &Finding) -> &str {
        self.dir.display_name_of(self.dir.entry(f.identity))
    }

    /// The findings of `rule` on the identity named `name`.
    fn of(&self, rule: &str, name: &str) -> Vec<&Finding> {
        self.report
            .findings
            .iter()
            .filter(|f| f.rule() == rule && self.name(f) == name)
            .collect()
    }

    /// The one finding of `rule` on `name`.
    fn one(&self, rule: &str, name: &str) -> &Finding {
        let v = self.of(rule, name);
        assert_eq!(v.len(), 1, "{rule} on {name}: {:#?}", self.report.findings);
        v[0]
    }

    fn none(&self, rule: &str) {
        let v: Vec<_> = self
            .report
            .findings
            .iter()
            .filter(|f| f.rule() == rule)
            .map(|f| (self.name(f), &*f.message))
            .collect();
        assert!(v.is_empty(), "{rule} fired: {v:#?}");
    }

    fn rules(&self) -> BTreeSet<&'static str> {
        self.report.findings.iter().map(|f| f.rule()).collect()
    }
}

fn migration(f: &Finding) -> &'static str {
    match &f.remedy {
        Remedy::Migration { migration, .. } => migration,
        other => panic!("not a migration: {other:?}"),
    }
}

fn outcome(f: &Finding) -> &'static str {
    match &f.remedy {
        Remedy::Wizard { outcome, .. } => outcome,
        other => panic!("not a wizard remedy: {other:?}"),
    }
}

fn is_action(f: &Finding) -> bool {
    matches!(f.remedy, Remedy::Action { .. })
}

// ───────────────────────────────────────────────────── credential-expired ──

#[test]
fn credential_expired_fires_on_expired_secrets_and_certificates() {
    let mut t = T::new();
    let a = t.app_with_sp("old");
    a.password_credentials.push(secret("s", -400, -3));
    a.key_credentials.push(cert("c", -400, -1));
    let out = t.audit();
    let v = out.of("credential-expired", "old");
    assert_eq!(v.len(), 2);
    for f in v {
        assert_eq!(f.severity, Severity::High);
        assert!(is_action(f));
        assert!(f.message.contains("expired on 2025-12-"), "{}", f.message);
    }
    let s = out.of("credential-expired", "old");
    let ids: BTreeSet<_> = s.iter().map(|f| f.credential_id.as_deref()).collect();
    assert_eq!(ids, BTreeSet::from([Some("secret-s"), Some("cert-c")]));
}

#[test]
fn credential_expired_does_not_fire_on_valid_or_never_ending_credentials() {
    let mut t = T::new();
    let a = t.app_with_sp("fine");
    a.password_credentials.push(secret("s", -10, 100));
    a.key_credentials.push(cert("c", -10, 1));
    let mut never = secret("never", -10, 0);
    never.end_date_time = Some(datetime!(2299-12-31 0:00 UTC));
    a.password_credentials.push(never);
    t.audit().none("credential-expired");
}

// ──────────────────────────────────────────────────── credential-expiring ──

#[test]
fn credential_expiring_is_high_within_a_week_and_medium_later() {
    let mut t = T::new();
    t.app_with_sp("soon")
        .password_credentials
        .push(secret("s", -100, 5));
    t.app_with_sp("later")
        .key_credentials
        .push(cert("c", -100, 20));
    let out = t.audit();
    let soon = out.one("credential-expiring", "soon");
    assert_eq!(soon.severity, Severity::High);
    assert_eq!(soon.credential_id.as_deref(), Some("secret-s"));
    assert!(soon.message.contains("2026-01-06"), "{}", soon.message);
    let later = out.one("credential-expiring", "later");
    assert_eq!(later.severity, Severity::Medium);
    // A certificate is rotated, not migrated.
    assert!(is_action(later) && later.remedy.text().contains("Rotate"));
}

#[test]
fn credential_expiring_does_not_fire_outside_the_window() {
    let mut t = T::new();
    let a = t.app_with_sp("far");
    a.password_credentials.push(secret("s", -100, 40));
    a.key_credentials.push(cert("c", -100, 300));
    t.audit().none("credential-expiring");
}

#[test]
fn expiring_within_days_moves_the_window() {
    let build = || {
        let mut t = T::new();
        t.app_with_sp("a")
            .password_credentials
            .push(secret("s", -100, 40));
        t.app_with_sp("b")
            .password_credentials
            .push(secret("s", -100, 20));
        t
    };
    let mut wide = AuditOptions::new(NOW);
    wide.expiring_within_days = 60;
    let out = build().audit_with(&wide);
    assert_eq!(
        out.one("credential-expiring", "a").severity,
        Severity::Medium
    );
    assert_eq!(out.of("credential-expiring", "b").len(), 1);
    let mut narrow = AuditOptions::new(NOW);
    narrow.expiring_within_days = 10;
    build().audit_with(&narrow).none("credential-expiring");
}

#[test]
fn expiring_secrets_get_the_migration_their_context_suggests() {
    let mut t = T::new();
    let a = t.app_with_sp("ci");
    a.password_credentials.push(secret("s", -100, 5));
    a.federated_identity_credentials
        .push(github("main", "repo:o/r:ref:refs/heads/main"));
    let m = t.app_with_sp("multi");
    m.password_credentials.push(secret("s", -100, 5));
    m.sign_in_audience = Some("AzureADMultipleOrgs".into());
    t.app_with_sp("azure")
        .password_credentials
        .push(secret("s", -100, 5));
    let sp_id = t.s.service_principals.last().unwrap().id.clone();
    t.grant(&sp_id);
    t.app_with_sp("plain")
        .password_credentials
        .push(secret("s", -100, 5));
    let out = t.audit();
    let m = |n| migration(out.one("credential-expiring", n));
    assert_eq!(m("ci"), "secret-to-fic");
    assert_eq!(m("multi"), "secret-to-fic");
    assert_eq!(m("azure"), "secret-to-managed-identity");
    assert_eq!(m("plain"), "secret-to-certificate");
}

// ─────────────────────────────────────────────────── secret-long-lifetime ──

#[test]
fn secret_long_lifetime_is_medium_over_the_maximum_and_critical_when_never_ending() {
    let mut t = T::new();
    t.app_with_sp("year")
        .password_credentials
        .push(secret("s", -100, 265));
    let mut never = secret("forever", -1000, 0);
    never.end_date_time = Some(datetime!(2299-12-31 0:00 UTC));
    t.app_with_sp("forever").password_credentials.push(never);
    // No start date: what is left of it counts.
    let mut open = secret("open", 0, 200);
    open.start_date_time = None;
    t.app_with_sp("open").password_credentials.push(open);
    let out = t.audit();
    let year = out.one("secret-long-lifetime", "year");
    assert_eq!(year.severity, Severity::Medium);
    assert!(year.message.contains("365 days"), "{}", year.message);
    assert!(matches!(year.remedy, Remedy::Migration { .. }));
    let forever = out.one("secret-long-lifetime", "forever");
    assert_eq!(forever.severity, Severity::Critical);
    assert!(
        forever.message.contains("2299-12-31"),
        "{}",
        forever.message
    );
    assert!(
        out.one("secret-long-lifetime", "open")
            .message
            .contains("200 days")
    );
}

#[test]
fn secret_long_lifetime_does_not_fire_on_short_expired_or_certificate_lifetimes() {
    let mut t = T::new();
    let a = t.app_with_sp("ok");
    a.password_credentials.push(secret("short", -100, 80));
    // Expired: `credential-expired` says what to do with it.
    a.password_credentials.push(secret("old", -800, -1));
    a.key_credentials.push(cert("long", -100, 900));
    let mut open = secret("open", 0, 100);
    open.start_date_time = None;
    a.password_credentials.push(open);
    t.audit().none("secret-long-lifetime");
}

#[test]
fn max_secret_lifetime_days_moves_the_limit() {
    let build = || {
        let mut t = T::new();
        t.app_with_sp("year")
            .password_credentials
            .push(secret("s", -100, 265));
        t
    };
    let mut lax = AuditOptions::new(NOW);
    lax.max_secret_lifetime_days = 400;
    build().audit_with(&lax).none("secret-long-lifetime");
    let mut strict = AuditOptions::new(NOW);
    strict.max_secret_lifetime_days = 90;
    let out = build().audit_with(&strict);
    assert!(
        out.one("secret-long-lifetime", "year")
            .message
            .contains("90-day")
    );
}

// ─────────────────────────────────────── secret-beside-stronger-credential ──

#[test]
fn secret_beside_a_certificate_or_a_fic_is_a_probable_leftover() {
    let mut t = T::new();
    let a = t.app_with_sp("with-cert");
    a.password_credentials.push(secret("s", -10, 100));
    a.key_credentials.push(cert("c", -10, 300));
    let b = t.app_with_sp("with-fic");
    b.password_credentials.push(secret("s", -10, 100));
    b.federated_identity_credentials
        .push(github("main", "repo:o/r:ref:refs/heads/main"));
    let sp = t.sp("sp-with-cert");
    sp.password_credentials.push(secret("p", -10, 100));
    sp.key_credentials.push(cert("k", -10, 300));
    let out = t.audit();
    let cert_f = out.one("secret-beside-stronger-credential", "with-cert");
    assert_eq!(cert_f.severity, Severity::Medium);
    assert_eq!(cert_f.credential_id.as_deref(), Some("secret-s"));
    assert!(cert_f.message.contains("CN=c"), "{}", cert_f.message);
    assert_eq!(cert_f.seed(), "000_551eab9194109a8d.txt");
    let fic_f = out.one("secret-beside-stronger-credential", "with-fic");
    assert!(fic_f.message.contains("\"main\""), "{}", fic_f.message);
    assert_eq!(fic_f.seed(), "001_2945f96ca3742079.txt");
    assert!(fic_f.remedy.text().contains("remove it"));
    out.one("secret-beside-stronger-credential", "sp-with-cert");
}

#[test]
fn secret_alone_or_beside_an_expired_certificate_is_not_a_leftover() {
    let mut t = T::new();
    t.app_with_sp("alone")
        .password_credentials
        .push(secret("s", -10, 100));
    let b = t.app_with_sp("dead-cert");
    b.password_credentials.push(secret("s", -10, 100));
    b.key_credentials.push(cert("c", -400, -10));
    let c = t.app_with_sp("dead-secret");
    c.password_credentials.push(secret("s", -400, -10));
    c.key_credentials.push(cert("c", -10, 300));
    t.audit().none("secret-beside-stronger-credential");
}

// ─────────────────────────────────────────────── secret-on-multi-tenant-app ──

#[test]
fn secret_on_multi_tenant_app_is_high_and_points_at_mi_as_fic() {
    let mut t = T::new();
    let a = t.app_with_sp("saas");
    a.sign_in_audience = Some("AzureADMultipleOrgs".into());
    a.password_credentials.push(secret("a", -10, 100));
    a.password_credentials.push(secret("b", -10, 200));
    let out = t.audit();
    let f = out.one("secret-on-multi-tenant-app", "saas");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.credential_id, None);
    assert!(
        f.message.contains("2 valid client secrets"),
        "{}",
        f.message
    );
    assert_eq!(outcome(f), "managed-identity-as-federated-credential");
}

#[test]
fn secret_on_multi_tenant_app_needs_a_multi_tenant_app_with_a_live_secret() {
    let mut t = T::new();
    t.app_with_sp("single")
        .password_credentials
        .push(secret("s", -10, 100));
    let a = t.app_with_sp("saas-expired");
    a.sign_in_audience = Some("AzureADMultipleOrgs".into());
    a.password_credentials.push(secret("s", -400, -10));
    let b = t.app_with_sp("saas-secretless");
    b.sign_in_audience = Some("AzureADandPersonalMicrosoftAccount".into());
    b.key_credentials.push(cert("c", -10, 300));
    t.audit().none("secret-on-multi-tenant-app");
}

// ─────────────────────────────────────────────── service-principal-password ──

#[test]
fn service_principal_password_fires_on_application_and_legacy_principals() {
    let mut t = T::new();
    t.sp("enterprise-app")
        .password_credentials
        .push(secret("p", -10, 100));
    let legacy = t.sp("legacy");
    legacy.service_principal_type = ServicePrincipalType::Legacy;
    legacy.password_credentials.push(secret("a", -400, -10));
    legacy.password_credentials.push(secret("b", -10, 300));
    let out = t.audit();
    let f = out.one("service-principal-password", "enterprise-app");
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.remedy.text().contains("app registration"));
    let l = out.one("service-principal-password", "legacy");
    assert!(
        l.message.contains("2 password credentials"),
        "{}",
        l.message
    );
    assert!(l.remedy.text().contains("Legacy"));
}

#[test]
fn saml_signing_passwords_are_not_service_principal_passwords() {
    let mut t = T::new();
    let sign = t.sp("saml-sign");
    sign.password_credentials.push(secret("p", -10, 600));
    let mut k = cert("signing", -10, 600);
    k.usage = Some("Sign".into());
    sign.key_credentials.push(k);
    let pw = t.sp("saml-x509-password");
    pw.password_credentials.push(secret("p", -10, 600));
    let mut k = cert("signing", -10, 600);
    k.key_type = Some("X509CertAndPassword".into());
    pw.key_credentials.push(k);
    t.sp("no-passwords")
        .key_credentials
        .push(cert("c", -10, 300));
    let out = t.audit();
    out.none("service-principal-password");
    // The signing password is the certificate's: no secret rule reads it either.
    assert!(out.report.findings.is_empty(), "{:#?}", out.report.findings);
}

#[test]
fn managed_identity_key_credentials_never_produce_findings() {
    let mut t = T::new();
    t.uami("id-app", vec![]);
    t.sami("web-app");
    for sp in &mut t.s.service_principals {
        sp.key_credentials.push(cert("azure-managed", -100, -1));
        sp.password_credentials.push(secret("odd", -100, -1));
    }
    let mut opts = AuditOptions::new(NOW);
    opts.include_noise = true;
    let out = t.audit_with(&opts);
    assert!(out.report.findings.is_empty(), "{:#?}", out.report.findings);
}

// ──────────────────────────────────────────────────────────── fic-near-limit ──

fn k8s_fics(n: usize) -> Vec<FederatedIdentityCredential> {
    (0..n)
        .map(|i| {
            fic(
                &format!("ns-{i}"),
                "https://westeurope.oic.prod-aks.azure.com/t/g/",
                &format!("system:serviceaccount:ns-{i}:sa"),
            )
        })
        .collect()
}

#[test]
fn fic_near_limit_is_low_from_16_and_medium_from_19() {
    let mut t = T::new();
    t.app_with_sp("sixteen").federated_identity_credentials = k8s_fics(16);
    t.app_with_sp("nineteen").federated_identity_credentials = k8s_fics(19);
    t.uami("id-eighteen", k8s_fics(18));
    let out = t.audit();
    let f = out.one("fic-near-limit", "sixteen");
    assert_eq!(f.severity, Severity::Low);
    assert!(f.message.contains("16 of the 20"), "{}", f.message);
    assert!(f.remedy.text().contains("claimsMatchingExpression"));
    assert_eq!(
        out.one("fic-near-limit", "nineteen").severity,
        Severity::Medium
    );
    let u = out.one("fic-near-limit", "id-eighteen");
    assert_eq!(u.severity, Severity::Low);
    assert!(u.remedy.text().contains("split"));
}

#[test]
fn fic_near_limit_does_not_fire_at_15() {
    let mut t = T::new();
    t.app_with_sp("fifteen").federated_identity_credentials = k8s_fics(15);
    t.uami("id-fifteen", k8s_fics(15));
    t.audit().none("fic-near-limit");
}

// ──────────────────────────────────────────────────────────── fic-duplicate ──

#[test]
fn fic_duplicate_names_the_second_of_two_identical_trusts() {
    let mut t = T::new();
    t.app_with_sp("twice").federated_identity_credentials = vec![
        github("prod", "repo:o/r:environment:production"),
        github("prod-copy", "repo:o/r:environment:production"),
    ];
    t.uami(
        "id-twice",
        vec![
            github("a", "repo:o/r:ref:refs/heads/main"),
            github("b", "repo:o/r:ref:refs/heads/main"),
        ],
    );
    let out = t.audit();
    let f = out.one("fic-duplicate", "twice");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.credential_id.as_deref(), Some("prod-copy"));
    assert!(f.message.contains("\"prod\""), "{}", f.message);
    out.one("fic-duplicate", "id-twice");
}

#[test]
fn fic_duplicate_needs_the_same_issuer_and_subject() {
    let mut t = T::new();
    t.app_with_sp("distinct").federated_identity_credentials = vec![
        github("main", "repo:o/r:ref:refs/heads/main"),
        github("dev", "repo:o/r:ref:refs/heads/dev"),
        fic(
            "gitlab",
            "https://gitlab.com",
            "repo:o/r:ref:refs/heads/main",
        ),
    ];
    // The same subject on two holders is fine.
    t.app_with_sp("other").federated_identity_credentials =
        vec![github("main", "repo:o/r:ref:refs/heads/main")];
    t.audit().none("fic-duplicate");
}

// ──────────────────────────────────────────────────────── fic-subject-lint ──

fn lint_of<'a>(out: &'a Out, name: &str, fic_name: &str) -> Vec<&'a Finding> {
    out.of("fic-subject-lint", name)
        .into_iter()
        .filter(|f| f.credential_id.as_deref() == Some(fic_name))
        .collect()
}

#[test]
fn fic_subject_lint_catches_each_mistake_with_its_own_message() {
    let mut t = T::new();
    let mut wrong_aud = github("aud", "repo:o/r:ref:refs/tags/v1");
    wrong_aud.audiences = vec!["https://github.com/o".into()];
    let mut two_aud = github("two-aud", "repo:o/r:ref:refs/tags/v2");
    two_aud.audiences.push("api://other".into());
    let mut usgov_aud = github("usgov-aud", "repo:o/r:ref:refs/tags/v3");
    usgov_aud.audiences = vec!["api://AzureADTokenExchangeUSGov".into()];
    t.app_with_sp("ci").federated_identity_credentials = vec![
        github("pr", "repo:o/r:pull-request"),
        fic(
            "slash",
            &format!("{GITHUB}/"),
            "repo:o/r:ref:refs/heads/main",
        ),
        fic(
            "space",
            &format!("{GITHUB} "),
            "repo:o/r:ref:refs/heads/dev",
        ),
        wrong_aud,
        two_aud,
        usgov_aud,
        github("odd", "repo:o/r:ref:main"),
        github("immutable", "repo:o@1/r@2:ref:refs/heads/main"),
    ];
    let out = t.audit();
    let one = |n: &str| {
        let v = lint_of(&out, "ci", n);
        assert_eq!(v.len(), 1, "{n}: {v:#?}");
        (v[0].severity, v[0].message.clone())
    };
    let (sev, msg) = one("pr");
    assert_eq!(sev, Severity::High);
    assert!(msg.contains("pull_request"), "{msg}");
    let (sev, msg) = one("slash");
    assert_eq!(sev, Severity::High);
    assert!(msg.contains("trailing slash"), "{msg}");
    assert_eq!(one("space").0, Severity::High);
    let (sev, msg) = one("aud");
    assert_eq!(sev, Severity::Medium);
    assert!(msg.contains("https://github.com/o"), "{msg}");
    assert!(one("two-aud").1.contains("2 audiences"));
    assert!(one("usgov-aud").1.contains("usgov cloud"));
    assert_eq!(one("odd").0, Severity::Medium);
    let (sev, msg) = one("immutable");
    assert_eq!(sev, Severity::Info);
    assert!(msg.contains("opted in"), "{msg}");
}

#[test]
fn fic_subject_lint_accepts_every_correct_form() {
    let mut t = T::new();
    let mut flexible = github("flex", "");
    flexible.subject = None;
    flexible.claims_matching_expression =
        Some("claims['sub'] matches 'repo:o/r:ref:refs/heads/*'".into());
    t.app_with_sp("ci").federated_identity_credentials = vec![
        github("main", "repo:o/r:ref:refs/heads/main"),
        github("tag", "repo:o/r:ref:refs/tags/v1.2.0"),
        github("env", "repo:o/r:environment:production"),
        github("pr", "repo:o/r:pull_request"),
        flexible,
        // AKS issuers do end with a slash.
        fic(
            "aks",
            "https://westeurope.oic.prod-aks.azure.com/t/g/",
            "system:serviceaccount:ns:sa",
        ),
        fic("gcp", "https://accounts.google.com", "1234567890"),
    ];
    t.audit().none("fic-subject-lint");
    // The cloud's own audience is the right one there.
    let mut us = T::new();
    us.s.cloud = Cloud::Usgov;
    let mut f = github("main", "repo:o/r:ref:refs/heads/main");
    f.audiences = vec!["api://AzureADTokenExchangeUSGov".into()];
    us.app_with_sp("gov").federated_identity_credentials = vec![f];
    us.audit().none("fic-subject-lint");
}

// ─────────────────────────────────────────────── mi-fic-unknown-principal ──

#[test]
fn mi_fic_unknown_principal_fires_on_system_assigned_missing_and_client_ids() {
    let mut t = T::new();
    let sami = t.sami("func-x");
    t.uami("id-real", vec![]);
    let client_id = t.s.user_assigned_identities[0].client_id.clone();
    let issuer = entra_issuer();
    t.app_with_sp("trusts").federated_identity_credentials = vec![
        fic("system", &issuer, &sami),
        fic("gone", &issuer, "0b5d3f0e-1111-4222-8333-944455556666"),
        fic("client", &issuer, &client_id),
    ];
    let out = t.audit();
    let v = out.of("mi-fic-unknown-principal", "trusts");
    let by: BTreeMap<&str, &Finding> = v
        .iter()
        .map(|f| (f.credential_id.as_deref().unwrap(), *f))
        .collect();
    assert_eq!(by.len(), 3);
    assert!(by.values().all(|f| f.severity == Severity::High));
    assert!(
        by["system"]
            .message
            .contains("system-assigned identity of func-x")
    );
    assert!(by["gone"].message.contains("no managed identity"));
    assert!(by["client"].message.contains("client id of id-real"));
}

#[test]
fn mi_fic_unknown_principal_accepts_user_assigned_identities() {
    let mut t = T::new();
    let uami = t.uami("id-real", vec![]);
    let other_tenant =
        "https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0";
    t.app_with_sp("trusts").federated_identity_credentials = vec![
        fic("mi", &entra_issuer(), &uami),
        // Another tenant's issuer is not MI-as-FIC, and Azure DevOps subjects are not GUIDs.
        fic(
            "foreign",
            other_tenant,
            "0b5d3f0e-1111-4222-8333-944455556666",
        ),
        fic("ado", &entra_issuer(), "/eid1/c/pub/t/abc/a/def/sc/1/2"),
    ];
    t.audit().none("mi-fic-unknown-principal");
}

// ─────────────────────────────────────────────────────── application-stale ──

#[test]
fn application_stale_fires_without_credentials_or_service_principal() {
    let mut t = T::new();
    t.app("poc");
    let out = t.audit();
    let f = out.one("application-stale", "poc");
    assert_eq!(f.severity, Severity::Low);
    assert!(
        f.message.contains("no credential and no service principal"),
        "{}",
        f.message
    );
    assert!(f.remedy.text().contains("Delete it if nothing uses it"));
}

#[test]
fn application_stale_does_not_fire_with_a_credential_or_a_service_principal() {
    let mut t = T::new();
    t.app_with_sp("has-sp");
    t.app("has-fic")
        .federated_identity_credentials
        .push(github("main", "repo:o/r:ref:refs/heads/main"));
    t.app("has-cert").key_credentials.push(cert("c", -10, 300));
    t.audit().none("application-stale");
}

// ─────────────────────────────────────────────────────────── client-secret ──

#[test]
fn every_client_secret_gets_one_low_finding_with_a_wizard_guess() {
    let mut t = T::new();
    let a = t.app_with_sp("ci");
    a.password_credentials.push(secret("s", -10, 100));
    a.federated_identity_credentials
        .push(github("main", "repo:o/r:ref:refs/heads/main"));
    let m = t.app_with_sp("saas");
    m.sign_in_audience = Some("AzureADMultipleOrgs".into());
    m.password_credentials.push(secret("s", -10, 100));
    let p = t.app_with_sp("plain");
    p.password_credentials.push(secret("a", -10, 100));
    p.password_credentials.push(secret("b", -400, -1));
    t.sp("sp").password_credentials.push(secret("s", -10, 100));
    let out = t.audit();
    assert_eq!(
        outcome(out.one("client-secret", "ci")),
        "workload-identity-federation"
    );
    assert_eq!(
        outcome(out.one("client-secret", "saas")),
        "managed-identity-as-federated-credential"
    );
    let plain = out.of("client-secret", "plain");
    assert_eq!(plain.len(), 2);
    for f in plain.iter().chain(&out.of("client-secret", "sp")) {
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(outcome(f), "certificate");
        assert!(f.remedy.text().contains("credwise wizard"));
    }
}

#[test]
fn client_secret_does_not_fire_without_secrets() {
    let mut t = T::new();
    let a = t.app_with_sp("secretless");
    a.key_credentials.push(cert("c", -10, 300));
    a.federated_identity_credentials
        .push(github("main", "repo:o/r:ref:refs/heads/main"));
    t.audit().none("client-secret");
}

// ───────────────────────────────────────────────────────────────── noise ──

fn noisy_tenant() -> T {
    let mut t = T::new();
    let graph = t.sp("Microsoft Graph");
    graph.app_owner_organization_id = Some(MICROSOFT.into());
    graph.key_credentials.push(cert("graph", -400, -10));
    graph.password_credentials.push(secret("g", -10, 100));
    let proxy = t.app_with_sp("intranet-proxy");
    proxy.password_credentials.push(secret("old", -400, -20));
    proxy.password_credentials.push(secret("new", -20, 345));
    t.s.service_principals.last_mut().unwrap().tags = vec![
        "WindowsAzureActiveDirectoryOnPremApp".into(),
        "WindowsAzureActiveDirectoryIntegratedApp".into(),
    ];
    // A managed identity's principal is owned by Microsoft's tenant too, but its FICs are ours.
    t.uami(
        "id-dup",
        vec![
            github("a", "repo:o/r:pull_request"),
            github("b", "repo:o/r:pull_request"),
        ],
    );
    t
}

#[test]
fn noise_is_dropped_and_counted_by_default() {
    let out = noisy_tenant().audit();
    assert!(out.of("credential-expired", "Microsoft Graph").is_empty());
    assert!(
        out.of("service-principal-password", "Microsoft Graph")
            .is_empty()
    );
    assert!(out.of("credential-expired", "intranet-proxy").is_empty());
    assert!(out.of("client-secret", "intranet-proxy").is_empty());
    assert!(out.of("secret-long-lifetime", "intranet-proxy").is_empty());
    out.one("fic-duplicate", "id-dup");
    let noise: BTreeMap<&str, usize> = out
        .report
        .noise
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    // Graph: its expired certificate, its secret (client-secret) and its own password; the
    // proxy: the expired secret (expired, client-secret) and the current one (long lifetime,
    // client-secret).
    assert_eq!(noise["Microsoft first-party apps"], 3);
    assert_eq!(noise["App Proxy auto-rotated secrets"], 4);
    assert_eq!(noise.len(), 2);
}

#[test]
fn include_noise_reports_everything_and_counts_nothing() {
    let mut opts = AuditOptions::new(NOW);
    opts.include_noise = true;
    let out = noisy_tenant().audit_with(&opts);
    out.one("credential-expired", "Microsoft Graph");
    out.one("service-principal-password", "Microsoft Graph");
    out.one("credential-expired", "intranet-proxy");
    out.one("secret-long-lifetime", "intranet-proxy");
    assert_eq!(out.of("client-secret", "intranet-proxy").len(), 2);
    assert!(out.report.noise.is_empty());
}

#[test]
fn noise_counts_only_what_there_is() {
    let mut t = T::new();
    t.app_with_sp("plain")
        .password_credentials
        .push(secret("s", -400, -1));
    assert!(t.audit().report.noise.is_empty());
}

#[test]
fn the_tenants_own_apps_are_not_first_party_even_in_microsofts_tenant() {
    let mut t = T::new();
    t.s.tenant_id = MICROSOFT.into();
    let sp = t.sp("internal-tool");
    sp.app_owner_organization_id = Some(MICROSOFT.into());
    sp.password_credentials.push(secret("s", -10, 100));
    let out = t.audit();
    out.one("service-principal-password", "internal-tool");
    assert!(out.report.noise.is_empty());
}

// ─────────────────────────────────────────────────────────── suppressions ──

fn suppression(rule: &str, identity: &str, expires: time::Date) -> Suppression {
    Suppression {
        rule: rule.into(),
        identity: identity.into(),
        credential: None,
        reason: "accepted".into(),
        expires,
        line: 0,
    }
}

#[test]
fn a_live_suppression_hides_its_findings_and_an_expired_one_is_reported() {
    let mut t = T::new();
    t.app_with_sp("legacy")
        .password_credentials
        .push(secret("s", -400, -1));
    let dir = Directory::new(t.s);
    let opts = AuditOptions::new(NOW);
    let live = suppression("credential-expired", "legacy", date!(2026 - 06 - 30));
    let report = audit(&dir, &opts, std::slice::from_ref(&live));
    assert_eq!(report.suppressed, 1);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule() != "credential-expired")
    );
    assert!(report.findings.iter().any(|f| f.rule() == "client-secret"));
    assert!(report.expired_suppressions.is_empty());

    let expired = suppression("credential-expired", "legacy", date!(2025 - 12 - 31));
    let report = audit(&dir, &opts, std::slice::from_ref(&expired));
    assert_eq!(report.suppressed, 0);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule() == "credential-expired")
    );
    assert_eq!(report.expired_suppressions, [expired]);
}

// ──────────────────────────────────────────────────────────── demo tenant ──

fn demo() -> TenantSnapshot {
    snapshot_file::parse(
        include_bytes!("../assets/demo-tenant.json"),
        Path::new("assets/demo-tenant.json"),
    )
    .unwrap()
}

/// The demo audited on its anchor day (2026-01-01), the day its dates are written against.
fn demo_audit(include_noise: bool) -> Out {
    let s = demo();
    let mut opts = AuditOptions::new(s.captured_at);
    opts.include_noise = include_noise;
    let dir = Directory::new(s);
    let report = audit(&dir, &opts, &[]);
    Out { dir, report }
}

#[test]
fn findings_whose_remedies_read_the_same_share_one_copy_of_the_text() {
    use credwise::domain::audit::Text;
    use std::sync::Arc;
    // Three secrets expiring the same day on three apps: the remedy text is written for
    // each ("retire it before …") and reads the same.
    let mut t = T::new();
    for name in ["a", "b", "c"] {
        let a = t.app_with_sp(name);
        a.password_credentials.push(secret("s", -30, 10));
    }
    let out = t.audit();
    let report = &out.report;
    let texts: Vec<&Arc<str>> = report
        .findings
        .iter()
        .filter(|f| f.rule() == "credential-expiring")
        .map(|f| match &f.remedy {
            Remedy::Migration {
                text: Text::Written(t),
                ..
            } => t,
            other => panic!("a written migration remedy, not {other:?}"),
        })
        .collect();
    assert_eq!(texts.len(), 3);
    assert!(texts.iter().all(|t| Arc::ptr_eq(t, texts[0])), "{texts:?}");
    // Texts that differ stay apart.
    let all: BTreeSet<&str> = report.findings.iter().map(|f| f.remedy.text()).collect();
    assert!(all.len() > 1);
}

#[test]
fn the_demo_fires_every_rule() {
    let out = demo_audit(false);
    let fired = out.rules();
    for rule in RULE_IDS {
        assert!(fired.contains(rule), "{rule} does not fire on the demo");
    }
    assert_eq!(fired.len(), RULE_IDS.len(), "{fired:?}");
    // …with each of the subject lint's mistakes, and both kinds of noise.
    let lint: BTreeSet<(&str, Severity)> = out
        .report
        .findings
        .iter()
        .filter(|f| f.rule() == "fic-subject-lint")
        .map(|f| (f.credential_id.as_deref().unwrap(), f.severity))
        .collect();
    for want in [
        ("mobile-api-pull-requests", Severity::High),
        ("mobile-api-main", Severity::High),
        ("mobile-api-release", Severity::Medium),
        ("mobile-api-nightly", Severity::Medium),
        ("payments-api-main", Severity::Info),
    ] {
        assert!(lint.contains(&want), "{want:?} not in {lint:?}");
    }
    let reasons: Vec<&str> = out.report.noise.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Microsoft first-party apps",
            "App Proxy auto-rotated secrets"
        ]
    );
}

#[test]
fn the_demo_pins_the_examples_behind_each_rule() {
    let out = demo_audit(false);
    out.one("fic-duplicate", "returns-portal-deploy");
    out.one("mi-fic-unknown-principal", "invoice-archive-exporter");
    out.one("application-stale", "old-intranet-poc");
    assert_eq!(
        out.one("fic-near-limit", "aks-platform-workloads").severity,
        Severity::Medium
    );
    out.one("secret-on-multi-tenant-app", "carrier-portal-connector");
    assert_eq!(
        out.one("secret-long-lifetime", "legacy-ftp-bridge")
            .severity,
        Severity::Critical
    );
    out.one("service-principal-password", "FabrikamBatchScheduler");
    // The SAML app's password is its signing certificate's.
    assert!(
        out.of("service-principal-password", "Tailwind HR Cloud")
            .is_empty()
    );
    assert!(out.of("client-secret", "Tailwind HR Cloud").is_empty());
    // Noise stays out.
    for name in [
        "Microsoft Graph",
        "Office 365 Exchange Online",
        "intranet-app-proxy",
    ] {
        assert!(
            out.report.findings.iter().all(|f| out.name(f) != name),
            "{name} reported"
        );
    }
    let shown = demo_audit(true);
    shown.one("credential-expired", "Microsoft Graph");
    assert_eq!(
        shown
            .one("credential-expiring", "Office 365 Exchange Online")
            .severity,
        Severity::High
    );
    shown.one("credential-expired", "intranet-app-proxy");
}

#[test]
fn every_demo_finding_cites_a_verbatim_seed_passage() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/seeds");
    let mut texts: BTreeMap<&str, String> = BTreeMap::new();
    let out = demo_audit(true);
    let mut cited = BTreeSet::new();
    for f in &out.report.findings {
        let text = texts
            .entry(f.seed())
            .or_insert_with(|| std::fs::read_to_string(seeds.join(f.seed())).unwrap());
        assert!(
            text.contains(f.section()),
            "{}: {:?} is not in {}",
            f.rule(),
            f.section(),
            f.seed()
        );
        cited.insert((f.rule(), f.seed()));
        assert!(
            !f.title().is_empty() && f.title().len() <= 40,
            "{}",
            f.title()
        );
        assert!(f.message.contains(out.name(f)), "{}", f.message);
        assert!(!f.remedy.text().is_empty());
    }
    // Every rule cites at least one seed.
    let rules: BTreeSet<&str> = cited.iter().map(|(r, _)| *r).collect();
    assert_eq!(rules.len(), RULE_IDS.len());
}

#[test]
fn findings_come_worst_first() {
    let out = demo_audit(false);
    let f = &out.report.findings;
    assert!(f.len() > 50, "{}", f.len());
    for w in f.windows(2) {
        assert!(
            w[0].severity <= w[1].severity,
            "{:?} before {:?}",
            w[0].severity,
            w[1].severity
        );
    }
    assert_eq!(out.report.worst(), Some(Severity::Critical));
    assert_eq!(f[0].severity, Severity::Critical);
}

#[test]
fn rules_already_emit_the_report_order() {
    // `audit`'s stable sort then only confirms the order: that is what keeps a 150,000-identity
    // audit inside its budget.
    let s = demo();
    let opts = AuditOptions::new(s.captured_at);
    let dir = Directory::new(s);
    let raw = credwise::domain::audit::rules::run(&dir, &opts);
    let sorted = audit(&dir, &opts, &[]);
    assert_eq!(raw.findings, sorted.findings);
}

#[test]
fn demo_managed_identities_have_no_credential_findings() {
    // Only their FICs (a UAMI's) can be at fault; their principals' certificates are Azure's.
    let out = demo_audit(true);
    for f in &out.report.findings {
        let kind = out.dir.entry(f.identity).kind;
        if kind == credwise::domain::IdentityKind::SystemAssignedManagedIdentity {
            panic!("finding on a system-assigned identity: {f:?}");
        }
        if kind == credwise::domain::IdentityKind::UserAssignedManagedIdentity {
            assert!(f.rule().starts_with("fic-"), "{f:?}");
        }
    }
}

#[test]
fn audit_is_deterministic() {
    let a = demo_audit(false).report;
    let b = demo_audit(false).report;
    assert_eq!(a, b);
}
