#![allow(clippy::unwrap_used)]
//! Coverage checks for the embedded demo tenant, `assets/demo-tenant.json` (built by
//! `credwise_test_kit::tenant::demo`; regenerate it with `cargo run -p credwise-test-kit
//! --example demo_tenant`). Every later feature is demonstrated on it, so each test pins one
//! thing the demo must contain. Dates are checked against the raw snapshot, relative to
//! its `capturedAt` anchor (2026-01-01T09:00:00Z), before any load-time shift.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use credwise::domain::objects::{ManagedIdentityFlavour, arm_segment};
use credwise::domain::{
    Application, Cloud, FederatedIdentityCredential, KeyCredential, PasswordCredential,
    ServicePrincipal, ServicePrincipalType, SnapshotSource, TenantSnapshot,
};
use credwise::store::snapshot_file;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const ASSET: &[u8] = include_bytes!("../assets/demo-tenant.json");
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const TOKEN_EXCHANGE: &str = "api://AzureADTokenExchange";

fn snap() -> TenantSnapshot {
    snapshot_file::parse(ASSET, Path::new("assets/demo-tenant.json")).unwrap()
}

fn anchor() -> OffsetDateTime {
    datetime!(2026-01-01 09:00 UTC)
}

/// Every client secret: (owner display name, secret), apps and service principals alike.
fn secrets(s: &TenantSnapshot) -> Vec<(&str, &PasswordCredential)> {
    let apps = s.applications.iter().flat_map(|a| {
        a.password_credentials
            .iter()
            .map(move |c| (a.display_name.as_str(), c))
    });
    let sps = s.service_principals.iter().flat_map(|p| {
        p.password_credentials
            .iter()
            .map(move |c| (p.display_name.as_str(), c))
    });
    apps.chain(sps).collect()
}

/// Every certificate: (owner display name, certificate).
fn certificates(s: &TenantSnapshot) -> Vec<(&str, &KeyCredential)> {
    let apps = s.applications.iter().flat_map(|a| {
        a.key_credentials
            .iter()
            .map(move |c| (a.display_name.as_str(), c))
    });
    let sps = s.service_principals.iter().flat_map(|p| {
        p.key_credentials
            .iter()
            .map(move |c| (p.display_name.as_str(), c))
    });
    apps.chain(sps).collect()
}

fn app_fics(s: &TenantSnapshot) -> Vec<(&Application, &FederatedIdentityCredential)> {
    s.applications
        .iter()
        .flat_map(|a| a.federated_identity_credentials.iter().map(move |f| (a, f)))
        .collect()
}

/// Every FIC with its holder's name (apps and user-assigned MIs).
fn fics(s: &TenantSnapshot) -> Vec<(&str, &FederatedIdentityCredential)> {
    let apps = s.applications.iter().flat_map(|a| {
        a.federated_identity_credentials
            .iter()
            .map(move |f| (a.display_name.as_str(), f))
    });
    let uamis = s.user_assigned_identities.iter().flat_map(|u| {
        u.federated_identity_credentials
            .iter()
            .map(move |f| (u.name.as_str(), f))
    });
    apps.chain(uamis).collect()
}

fn is_mi(sp: &ServicePrincipal) -> bool {
    sp.service_principal_type == ServicePrincipalType::ManagedIdentity
}

fn system_assigned(s: &TenantSnapshot) -> Vec<&ServicePrincipal> {
    s.service_principals
        .iter()
        .filter(|p| p.managed_identity_flavour() == Some(ManagedIdentityFlavour::SystemAssigned))
        .collect()
}

fn is_never(t: OffsetDateTime) -> bool {
    t.year() >= 2299
}

/// Secrets whose end lies in (anchor + from, anchor + to].
fn secrets_ending_between(s: &TenantSnapshot, from: Duration, to: Duration) -> Vec<&str> {
    let a = s.captured_at;
    secrets(s)
        .into_iter()
        .filter(|(_, c)| c.end_date_time.is_some_and(|e| e > a + from && e <= a + to))
        .map(|(o, _)| o)
        .collect()
}

fn assert_unique<'a>(what: &str, ids: impl IntoIterator<Item = &'a str>) {
    let mut seen = BTreeSet::new();
    for id in ids {
        assert!(
            seen.insert(id.to_ascii_lowercase()),
            "duplicate {what}: {id}"
        );
    }
    assert!(!seen.is_empty(), "no {what} at all");
}

// ---- envelope and shape ---------------------------------------------------------------------

#[test]
fn parses_as_a_demo_snapshot_anchored_at_2026_01_01() {
    let s = snap();
    assert_eq!(s.captured_at, anchor());
    assert_eq!(s.source, SnapshotSource::Demo);
    assert_eq!(s.cloud, Cloud::Public);
    assert_eq!(s.tenant_display_name.as_deref(), Some("Fabrikam Logistics"));
    assert_eq!(s.tenant_id.len(), 36);
    let head = std::str::from_utf8(&ASSET[..80]).unwrap_or("");
    assert!(head.contains("\"format\": \"credwise-snapshot\""), "{head}");
}

#[test]
fn asset_is_in_the_form_credwise_itself_writes() {
    // The generator writes keys in serde's order and omits what serde skips, so saving the
    // parsed snapshot gives back the very same bytes. If a field is added to the model,
    // regenerate with `cargo run -p credwise-test-kit --example demo_tenant` (after teaching
    // the builder the field).
    let s = snap();
    let bytes = snapshot_file::to_bytes(&s);
    let back = snapshot_file::parse(&bytes, Path::new("round-trip.json")).unwrap();
    assert_eq!(back, s);
    assert!(
        bytes == ASSET,
        "assets/demo-tenant.json differs from credwise's own serialization of it"
    );
}

#[test]
fn asset_has_no_control_characters_or_escapes() {
    for (i, b) in ASSET.iter().enumerate() {
        assert!(
            *b >= 0x20 || *b == b'\n',
            "control byte {b:#04x} at offset {i}"
        );
    }
    let text = std::str::from_utf8(ASSET).unwrap();
    assert!(!text.contains('\\'), "no JSON escapes are expected");
    assert!(text.ends_with("}\n"));
}

#[test]
fn identities_total_at_least_80_across_every_kind() {
    let s = snap();
    let apps = s.applications.len();
    let non_mi_sps = s.service_principals.iter().filter(|p| !is_mi(p)).count();
    let uamis = s.user_assigned_identities.len();
    let samis = system_assigned(&s).len();
    let total = apps + non_mi_sps + uamis + samis;
    assert!(total >= 80, "only {total} identities");
    assert!(apps >= 25, "{apps} apps");
    assert!(non_mi_sps >= 25, "{non_mi_sps} non-MI service principals");
    assert!(uamis >= 8, "{uamis} user-assigned MIs");
    assert!(samis >= 10, "{samis} system-assigned MIs");
    // Every MI principal is either a UAMI's or a system-assigned one.
    let mi_sps = s.service_principals.iter().filter(|p| is_mi(p)).count();
    assert_eq!(mi_sps, uamis + samis);
}

#[test]
fn all_ids_are_unique() {
    let s = snap();
    assert_unique(
        "directory object id",
        s.applications
            .iter()
            .map(|a| a.id.as_str())
            .chain(s.service_principals.iter().map(|p| p.id.as_str())),
    );
    assert_unique(
        "app appId",
        s.applications.iter().map(|a| a.app_id.as_str()),
    );
    assert_unique(
        "service principal appId",
        s.service_principals.iter().map(|p| p.app_id.as_str()),
    );
    assert_unique(
        "credential keyId",
        secrets(&s)
            .into_iter()
            .map(|(_, c)| c.key_id.as_str())
            .chain(certificates(&s).into_iter().map(|(_, c)| c.key_id.as_str())),
    );
    assert_unique(
        "app FIC id",
        app_fics(&s)
            .into_iter()
            .map(|(_, f)| f.id.as_deref().unwrap()),
    );
    assert_unique(
        "UAMI id",
        s.user_assigned_identities.iter().map(|u| u.id.as_str()),
    );
    assert_unique("resource id", s.resources.iter().map(|r| r.id.as_str()));
    assert_unique(
        "role assignment id",
        s.role_assignments.iter().map(|r| r.id.as_str()),
    );
}

#[test]
fn every_guid_is_well_formed() {
    fn guid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && parts.iter().all(|p| {
                p.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            })
    }
    let s = snap();
    let mut all = vec![s.tenant_id.as_str()];
    for a in &s.applications {
        all.extend([a.id.as_str(), a.app_id.as_str()]);
    }
    for p in &s.service_principals {
        all.extend([p.id.as_str(), p.app_id.as_str()]);
        all.extend(p.app_owner_organization_id.as_deref());
    }
    for u in &s.user_assigned_identities {
        all.extend([u.principal_id.as_str(), u.client_id.as_str()]);
    }
    for (_, c) in secrets(&s) {
        all.push(&c.key_id);
    }
    for (_, c) in certificates(&s) {
        all.push(&c.key_id);
    }
    for id in all {
        assert!(guid(id), "not a GUID: {id}");
    }
}

#[test]
fn credentials_start_before_they_end() {
    let s = snap();
    for (owner, c) in secrets(&s) {
        let (st, en) = (c.start_date_time.unwrap(), c.end_date_time.unwrap());
        assert!(
            st < en,
            "{owner}: secret {} ends before it starts",
            c.key_id
        );
        assert!(
            st <= anchor(),
            "{owner}: secret {} starts in the future",
            c.key_id
        );
    }
    for (owner, c) in certificates(&s) {
        let (st, en) = (c.start_date_time.unwrap(), c.end_date_time.unwrap());
        assert!(
            st < en,
            "{owner}: certificate {} ends before it starts",
            c.key_id
        );
        assert!(
            st <= anchor(),
            "{owner}: certificate {} starts in the future",
            c.key_id
        );
    }
}

// ---- apps and service principals ----------------------------------------------------------

#[test]
fn most_apps_have_their_service_principal_and_a_few_do_not() {
    let s = snap();
    let sps: BTreeMap<&str, &ServicePrincipal> = s
        .service_principals
        .iter()
        .map(|p| (p.app_id.as_str(), p))
        .collect();
    let mut without = vec![];
    for a in &s.applications {
        match sps.get(a.app_id.as_str()) {
            Some(sp) => {
                assert_eq!(sp.display_name, a.display_name);
                assert_eq!(sp.service_principal_type, ServicePrincipalType::Application);
                assert_eq!(sp.app_owner_organization_id.as_deref(), Some(&*s.tenant_id));
            }
            None => without.push(a.display_name.as_str()),
        }
    }
    assert!(
        (1..=5).contains(&without.len()),
        "apps without SP: {without:?}"
    );
    assert!(s.applications.len() - without.len() >= 4 * s.applications.len() / 5);
}

#[test]
fn third_party_service_principals_have_a_foreign_owner_and_no_app_registration() {
    let s = snap();
    let app_ids: BTreeSet<&str> = s.applications.iter().map(|a| a.app_id.as_str()).collect();
    let foreign: Vec<&str> = s
        .service_principals
        .iter()
        .filter(|p| p.service_principal_type == ServicePrincipalType::Application)
        .filter(|p| {
            p.app_owner_organization_id
                .as_deref()
                .is_some_and(|o| o != s.tenant_id)
        })
        .inspect(|p| assert!(!app_ids.contains(p.app_id.as_str()), "{}", p.display_name))
        .map(|p| p.display_name.as_str())
        .collect();
    assert!(foreign.len() >= 3, "third-party SPs: {foreign:?}");
}

#[test]
fn legacy_service_principal_has_its_own_secrets() {
    let s = snap();
    let legacy: Vec<_> = s
        .service_principals
        .iter()
        .filter(|p| p.service_principal_type == ServicePrincipalType::Legacy)
        .collect();
    assert!(!legacy.is_empty());
    assert!(legacy.iter().any(|p| !p.password_credentials.is_empty()));
}

#[test]
fn application_service_principals_hold_their_own_secrets() {
    let s = snap();
    let n = s
        .service_principals
        .iter()
        .filter(|p| p.service_principal_type == ServicePrincipalType::Application)
        .filter(|p| !p.password_credentials.is_empty())
        .count();
    assert!(n >= 2, "{n} Application SPs with SP-level secrets");
}

#[test]
fn unknown_service_principal_type_is_kept() {
    let s = snap();
    assert!(
        s.service_principals.iter().any(
            |p| p.service_principal_type == ServicePrincipalType::Other("AgentIdentity".into())
        )
    );
}

#[test]
fn a_service_principal_is_disabled() {
    let s = snap();
    let disabled: Vec<_> = s
        .service_principals
        .iter()
        .filter(|p| p.account_enabled == Some(false))
        .collect();
    assert!(!disabled.is_empty());
    // It still holds credentials worth auditing: its app has a secret.
    assert!(disabled.iter().any(|p| {
        s.applications
            .iter()
            .any(|a| a.app_id == p.app_id && !a.password_credentials.is_empty())
    }));
}

#[test]
fn multi_tenant_app_holds_secrets() {
    let s = snap();
    assert!(
        s.applications
            .iter()
            .any(|a| a.is_multi_tenant() && !a.password_credentials.is_empty())
    );
}

#[test]
fn tricky_display_names_unicode_and_long() {
    let s = snap();
    let names: Vec<&str> = s
        .applications
        .iter()
        .map(|a| a.display_name.as_str())
        .chain(s.service_principals.iter().map(|p| p.display_name.as_str()))
        .collect();
    assert!(names.contains(&"café-menu-sync"));
    assert!(names.iter().any(|n| !n.is_ascii()));
    assert!(names.iter().any(|n| n.chars().count() >= 60));
    assert!(names.iter().all(|n| !n.chars().any(char::is_control)));
}

#[test]
fn some_display_names_are_shared_by_several_identities() {
    // `orders-web` is an app (and its SP) and the web app's system-assigned identity: `show
    // orders-web` must be ambiguous.
    let s = snap();
    let n = s
        .service_principals
        .iter()
        .filter(|p| p.display_name == "orders-web")
        .count();
    assert_eq!(n, 2);
}

// ---- client secrets -------------------------------------------------------------------------

#[test]
fn several_secrets_are_expired_one_over_400_days_ago() {
    let s = snap();
    let a = s.captured_at;
    let expired: Vec<_> = secrets(&s)
        .into_iter()
        .filter(|(_, c)| c.end_date_time.unwrap() <= a)
        .collect();
    assert!(expired.len() >= 4, "{} expired secrets", expired.len());
    assert!(
        expired
            .iter()
            .any(|(_, c)| c.end_date_time.unwrap() < a - Duration::days(400))
    );
}

#[test]
fn at_least_two_secrets_expire_within_7_days() {
    let s = snap();
    let soon = secrets_ending_between(&s, Duration::ZERO, Duration::days(7));
    assert!(soon.len() >= 2, "{soon:?}");
}

#[test]
fn at_least_three_secrets_expire_in_8_to_30_days() {
    let s = snap();
    let later = secrets_ending_between(&s, Duration::days(7), Duration::days(30));
    assert!(later.len() >= 3, "{later:?}");
}

#[test]
fn many_secrets_are_healthy() {
    let s = snap();
    let a = s.captured_at;
    let healthy = secrets(&s)
        .into_iter()
        .filter(|(_, c)| {
            let e = c.end_date_time.unwrap();
            e > a + Duration::days(30) && !is_never(e)
        })
        .count();
    assert!(healthy >= 12, "{healthy} healthy secrets");
}

#[test]
fn a_secret_has_a_two_year_lifetime() {
    let s = snap();
    assert!(secrets(&s).into_iter().any(|(_, c)| {
        let life = c.end_date_time.unwrap() - c.start_date_time.unwrap();
        c.end_date_time.unwrap() > s.captured_at
            && life >= Duration::days(729)
            && life <= Duration::days(731)
    }));
}

#[test]
fn a_secret_never_expires_year_2299() {
    let s = snap();
    assert!(
        secrets(&s)
            .into_iter()
            .any(|(_, c)| c.end_date_time.unwrap().year() == 2299)
    );
}

#[test]
fn older_secrets_have_no_display_name() {
    let s = snap();
    let unnamed_on_apps = s
        .applications
        .iter()
        .flat_map(|a| &a.password_credentials)
        .filter(|c| c.display_name.is_none())
        .count();
    assert!(unnamed_on_apps >= 2, "{unnamed_on_apps}");
    // …and among them one that is still valid.
    assert!(
        secrets(&s)
            .into_iter()
            .any(|(_, c)| c.display_name.is_none() && c.end_date_time.unwrap() > s.captured_at)
    );
}

#[test]
fn secret_hints_are_three_characters() {
    let s = snap();
    let hints: Vec<&str> = secrets(&s)
        .into_iter()
        .filter_map(|(_, c)| c.hint.as_deref())
        .collect();
    assert!(hints.len() >= 20, "{} hints", hints.len());
    for h in hints {
        assert_eq!(h.chars().count(), 3, "hint {h:?}");
    }
}

// ---- certificates ---------------------------------------------------------------------------

#[test]
fn apps_with_both_secret_and_certificate_and_apps_with_certificates_only() {
    let s = snap();
    let both = s
        .applications
        .iter()
        .filter(|a| !a.password_credentials.is_empty() && !a.key_credentials.is_empty())
        .count();
    let cert_only = s
        .applications
        .iter()
        .filter(|a| {
            !a.key_credentials.is_empty()
                && a.password_credentials.is_empty()
                && a.federated_identity_credentials.is_empty()
        })
        .count();
    assert!(both >= 2, "{both} apps with a secret and a certificate");
    assert!(cert_only >= 3, "{cert_only} apps with certificates only");
}

#[test]
fn certificates_are_x509_with_sha1_thumbprints() {
    let s = snap();
    let certs = certificates(&s);
    assert!(certs.len() >= 8);
    for (owner, c) in certs {
        assert_eq!(c.key_type.as_deref(), Some("AsymmetricX509Cert"), "{owner}");
        assert!(
            matches!(c.usage.as_deref(), Some("Verify" | "Sign")),
            "{owner}"
        );
        let tp = c.thumbprint().unwrap();
        assert_eq!(tp.len(), 40, "{owner}: {tp}");
        assert!(tp.bytes().all(|b| b.is_ascii_hexdigit()), "{owner}: {tp}");
    }
}

#[test]
fn an_app_certificate_is_expired_and_one_expires_within_30_days() {
    let s = snap();
    let a = s.captured_at;
    let ends: Vec<OffsetDateTime> = s
        .applications
        .iter()
        .flat_map(|x| &x.key_credentials)
        .map(|c| c.end_date_time.unwrap())
        .collect();
    assert!(ends.iter().any(|e| *e <= a));
    assert!(ends.iter().any(|e| *e > a && *e <= a + Duration::days(30)));
    assert!(ends.iter().any(|e| *e > a + Duration::days(30)));
}

// ---- federated identity credentials ---------------------------------------------------------

#[test]
fn github_subjects_cover_branch_environment_pull_request_tag_and_immutable_form() {
    let s = snap();
    let subjects: BTreeSet<&str> = fics(&s)
        .into_iter()
        .filter(|(_, f)| f.issuer == GITHUB)
        .filter_map(|(_, f)| f.subject.as_deref())
        .collect();
    for want in [
        "repo:fabrikam/infra:ref:refs/heads/main",
        "repo:fabrikam/payroll:environment:production",
        "repo:fabrikam/web:pull_request",
        "repo:fabrikam@5544123/payments-api@821093847:ref:refs/heads/main",
    ] {
        assert!(subjects.contains(want), "missing {want}");
    }
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("repo:fabrikam/") && s.ends_with(":ref:refs/tags/v1.2.0"))
    );
}

#[test]
fn flexible_github_fic_has_an_expression_and_no_subject() {
    let s = snap();
    let flexible: Vec<_> = app_fics(&s)
        .into_iter()
        .filter(|(_, f)| f.claims_matching_expression.is_some())
        .collect();
    assert_eq!(flexible.len(), 1);
    let (_, f) = flexible[0];
    assert_eq!(f.issuer, GITHUB);
    assert_eq!(f.subject, None);
    assert_eq!(
        f.claims_matching_expression.as_deref(),
        Some("claims['sub'] matches 'repo:fabrikam/infra:ref:refs/heads/*'")
    );
    // Every other FIC has a subject.
    assert!(
        fics(&s)
            .into_iter()
            .all(|(_, f)| f.subject.is_some() != f.claims_matching_expression.is_some())
    );
}

#[test]
fn every_fic_uses_the_token_exchange_audience_but_one_audit_example() {
    let s = snap();
    let mut odd = vec![];
    for (owner, f) in fics(&s) {
        if f.audiences != [TOKEN_EXCHANGE] {
            odd.push((owner, f.name.as_str(), f.audiences.clone()));
        }
    }
    // GitHub's default audience, left in by mistake: the audit's `fic-subject-lint` example.
    assert_eq!(
        odd,
        [(
            "mobile-api-ci",
            "mobile-api-release",
            vec!["https://github.com/fabrikam".to_string()]
        )]
    );
}

#[test]
fn fic_names_are_valid_and_unique_per_holder() {
    let s = snap();
    let mut seen = BTreeSet::new();
    for (owner, f) in fics(&s) {
        assert!((3..=120).contains(&f.name.len()), "{owner}/{}", f.name);
        assert!(
            f.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{owner}/{}",
            f.name
        );
        assert!(seen.insert((owner, f.name.as_str())), "{owner}/{}", f.name);
    }
}

#[test]
fn app_fics_have_graph_ids_and_uami_fics_do_not() {
    let s = snap();
    assert!(app_fics(&s).into_iter().all(|(_, f)| f.id.is_some()));
    assert!(
        s.user_assigned_identities
            .iter()
            .flat_map(|u| &u.federated_identity_credentials)
            .all(|f| f.id.is_none())
    );
}

#[test]
fn aks_fics_are_on_apps_and_on_user_assigned_identities() {
    let s = snap();
    let aks = |f: &FederatedIdentityCredential| {
        f.issuer.starts_with("https://")
            && f.issuer
                .contains(&format!(".oic.prod-aks.azure.com/{}/", s.tenant_id))
            && f.issuer.ends_with('/')
            && f.subject
                .as_deref()
                .is_some_and(|x| x.starts_with("system:serviceaccount:"))
    };
    let want = "system:serviceaccount:shipments:shipments-api";
    assert!(
        s.applications
            .iter()
            .flat_map(|a| &a.federated_identity_credentials)
            .any(|f| aks(f) && f.subject.as_deref() == Some(want))
    );
    assert!(
        s.user_assigned_identities
            .iter()
            .flat_map(|u| &u.federated_identity_credentials)
            .any(|f| aks(f) && f.subject.as_deref() == Some(want))
    );
}

#[test]
fn managed_identity_as_fic_subject_is_a_uami_principal_id() {
    let s = snap();
    let entra = format!("https://login.microsoftonline.com/{}/v2.0", s.tenant_id);
    let principals: BTreeSet<&str> = s
        .user_assigned_identities
        .iter()
        .map(|u| u.principal_id.as_str())
        .collect();
    let mi_fics: Vec<_> = app_fics(&s)
        .into_iter()
        .filter(|(_, f)| f.issuer == entra)
        .collect();
    assert!(mi_fics.len() >= 2);
    let system: BTreeSet<&str> = system_assigned(&s)
        .into_iter()
        .map(|p| p.id.as_str())
        .collect();
    let mut broken = vec![];
    for (app, f) in mi_fics {
        let subject = f.subject.as_deref().unwrap();
        assert_eq!(f.audiences, [TOKEN_EXCHANGE]);
        if principals.contains(subject) {
            continue;
        }
        // The audit's `mi-fic-unknown-principal` example: Entra does not accept a
        // system-assigned identity as a federated credential.
        assert!(system.contains(subject), "{}: {subject}", app.display_name);
        broken.push(app.display_name.as_str());
    }
    assert_eq!(broken, ["invoice-archive-exporter"]);
}

#[test]
fn an_app_has_18_or_19_fics_and_none_exceeds_20() {
    let s = snap();
    assert!(
        s.applications
            .iter()
            .any(|a| { (18..=19).contains(&a.federated_identity_credentials.len()) })
    );
    for a in &s.applications {
        assert!(
            a.federated_identity_credentials.len() <= 20,
            "{}",
            a.display_name
        );
    }
    for u in &s.user_assigned_identities {
        assert!(u.federated_identity_credentials.len() <= 20, "{}", u.name);
    }
}

#[test]
fn other_issuers_gitlab_terraform_google_are_present() {
    let s = snap();
    let issuers: BTreeSet<&str> = fics(&s)
        .into_iter()
        .map(|(_, f)| f.issuer.as_str())
        .collect();
    for want in [
        "https://gitlab.com",
        "https://app.terraform.io",
        "https://accounts.google.com",
    ] {
        assert!(issuers.contains(want), "missing issuer {want}");
    }
}

// ---- managed identities and resources -------------------------------------------------------

#[test]
fn every_uami_has_its_managed_identity_service_principal() {
    let s = snap();
    for u in &s.user_assigned_identities {
        let sp = s
            .service_principals
            .iter()
            .find(|p| p.id == u.principal_id)
            .unwrap_or_else(|| panic!("no SP for {}", u.name));
        assert_eq!(sp.app_id, u.client_id, "{}", u.name);
        assert_eq!(sp.display_name, u.name);
        assert_eq!(
            sp.service_principal_type,
            ServicePrincipalType::ManagedIdentity
        );
        assert_eq!(
            sp.managed_identity_flavour(),
            Some(ManagedIdentityFlavour::UserAssigned)
        );
        assert_eq!(sp.alternative_names, ["isExplicit=True", u.id.as_str()]);
        assert_eq!(u.tenant_id.as_deref(), Some(&*s.tenant_id));
        assert!(u.id.ends_with(&format!(
            "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            u.name
        )));
    }
    // …and every user-assigned MI principal has its UAMI.
    for sp in s
        .service_principals
        .iter()
        .filter(|p| p.managed_identity_flavour() == Some(ManagedIdentityFlavour::UserAssigned))
    {
        assert!(
            s.user_assigned_identities
                .iter()
                .any(|u| u.principal_id == sp.id),
            "{}",
            sp.display_name
        );
    }
}

#[test]
fn every_system_assigned_principal_has_its_host_resource() {
    let s = snap();
    for sp in system_assigned(&s) {
        assert!(sp.alternative_names.iter().any(|n| n == "isExplicit=False"));
        let rid = sp.resource_id().unwrap();
        let r = s
            .resources
            .iter()
            .find(|r| r.id == rid)
            .unwrap_or_else(|| panic!("no resource {rid}"));
        assert!(r.identity.identity_type.contains("SystemAssigned"), "{rid}");
        assert_eq!(r.identity.principal_id.as_deref(), Some(sp.id.as_str()));
        if r.resource_type == "Microsoft.Web/sites/slots" {
            let (site, slot) = r.name.split_once('/').unwrap();
            assert_eq!(sp.display_name, format!("{site}/slots/{slot}"));
        } else {
            assert_eq!(sp.display_name, r.name);
        }
    }
    // …and every resource with a system-assigned identity has its principal.
    for r in &s.resources {
        let has_system = r.identity.identity_type.contains("SystemAssigned");
        assert_eq!(has_system, r.identity.principal_id.is_some(), "{}", r.id);
        if let Some(p) = &r.identity.principal_id {
            assert!(
                s.service_principals.iter().any(|sp| &sp.id == p),
                "{}",
                r.id
            );
        }
    }
}

#[test]
fn system_assigned_identities_live_on_many_resource_types() {
    let s = snap();
    let host = |sp: &ServicePrincipal| {
        let rid = sp.resource_id().unwrap();
        s.resources.iter().find(|r| r.id == rid).unwrap()
    };
    let hosts: Vec<_> = system_assigned(&s).into_iter().map(host).collect();
    let types: BTreeSet<&str> = hosts.iter().map(|r| r.resource_type.as_str()).collect();
    for want in [
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Web/sites",
        "Microsoft.Web/sites/slots",
        "Microsoft.Logic/workflows",
        "Microsoft.ContainerService/managedClusters",
    ] {
        assert!(types.contains(want), "no system-assigned MI on {want}");
    }
    // A Function app and an App Service are both `Microsoft.Web/sites`.
    assert!(
        hosts
            .iter()
            .any(|r| r.resource_type == "Microsoft.Web/sites" && r.name.starts_with("func-"))
    );
    assert!(
        hosts
            .iter()
            .any(|r| r.resource_type == "Microsoft.Web/sites" && !r.name.starts_with("func-"))
    );
    // Some hosts carry both kinds of identity.
    assert!(
        hosts
            .iter()
            .any(|r| r.identity.identity_type == "SystemAssigned, UserAssigned")
    );
}

#[test]
fn deployment_slot_has_its_own_system_assigned_identity() {
    let s = snap();
    let slot = s
        .resources
        .iter()
        .find(|r| {
            r.id.ends_with("/providers/Microsoft.Web/sites/orders-web/slots/staging")
        })
        .unwrap();
    assert_eq!(slot.resource_type, "Microsoft.Web/sites/slots");
    let site_id = slot.id.strip_suffix("/slots/staging").unwrap();
    assert!(s.resources.iter().any(|r| r.id == site_id));
    let sp = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "orders-web/slots/staging")
        .unwrap();
    assert_eq!(slot.identity.principal_id.as_deref(), Some(sp.id.as_str()));
}

#[test]
fn uamis_are_attached_to_several_resources_or_none() {
    let s = snap();
    let mut attached: BTreeMap<String, usize> = s
        .user_assigned_identities
        .iter()
        .map(|u| (u.id.to_ascii_lowercase(), 0))
        .collect();
    for r in &s.resources {
        let ua = &r.identity.user_assigned_identities;
        assert_eq!(
            !ua.is_empty(),
            r.identity.identity_type.contains("UserAssigned"),
            "{}",
            r.id
        );
        for id in ua {
            *attached
                .get_mut(&id.to_ascii_lowercase())
                .unwrap_or_else(|| panic!("{} lists unknown UAMI {id}", r.id)) += 1;
        }
    }
    assert!(attached.values().any(|n| *n >= 3), "{attached:?}");
    assert!(attached.values().any(|n| *n == 0), "{attached:?}");
    assert!(
        s.resources
            .iter()
            .any(|r| r.identity.identity_type == "UserAssigned"),
        "a resource with only user-assigned identities"
    );
}

#[test]
fn several_uamis_have_fics() {
    let s = snap();
    let n = s
        .user_assigned_identities
        .iter()
        .filter(|u| !u.federated_identity_credentials.is_empty())
        .count();
    assert!(n >= 2, "{n}");
}

#[test]
fn arm_ids_span_several_subscriptions_and_resource_groups() {
    let s = snap();
    let ids: Vec<&str> = s
        .resources
        .iter()
        .map(|r| r.id.as_str())
        .chain(s.user_assigned_identities.iter().map(|u| u.id.as_str()))
        .collect();
    let mut subs = BTreeSet::new();
    let mut rgs = BTreeSet::new();
    for id in &ids {
        assert!(id.starts_with("/subscriptions/"), "{id}");
        assert!(id.contains("/providers/"), "{id}");
        subs.insert(arm_segment(id, "subscriptions").unwrap());
        rgs.insert(arm_segment(id, "resourceGroups").unwrap());
    }
    assert!((2..=3).contains(&subs.len()), "{subs:?}");
    assert!(rgs.len() >= 5, "{rgs:?}");
}

// ---- role assignments -----------------------------------------------------------------------

#[test]
fn role_assignments_point_at_known_principals_with_built_in_roles() {
    let s = snap();
    let known = [
        ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
        ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
        ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
        (
            "Key Vault Secrets User",
            "4633458b-17de-408a-b874-0445c86b69e6",
        ),
        (
            "Storage Blob Data Contributor",
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ),
        ("AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d"),
    ];
    let principals: BTreeSet<&str> = s.service_principals.iter().map(|p| p.id.as_str()).collect();
    for ra in &s.role_assignments {
        assert!(principals.contains(ra.principal_id.as_str()), "{}", ra.id);
        assert_eq!(ra.principal_type.as_deref(), Some("ServicePrincipal"));
        assert!(ra.scope.starts_with("/subscriptions/"), "{}", ra.scope);
        assert!(
            ra.id.starts_with(&format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/",
                ra.scope
            )),
            "{}",
            ra.id
        );
        let sub = arm_segment(&ra.scope, "subscriptions").unwrap();
        assert!(
            ra.role_definition_id.starts_with(&format!(
                "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/"
            )),
            "{}",
            ra.role_definition_id
        );
        assert!(ra.role_definition_name.is_some());
        if let Some((_, guid)) = known.iter().find(|(n, _)| *n == ra.role_name()) {
            assert!(ra.role_definition_id.ends_with(guid), "{}", ra.role_name());
        }
    }
    let names: BTreeSet<&str> = s.role_assignments.iter().map(|r| r.role_name()).collect();
    for (name, _) in known {
        assert!(names.contains(name), "no {name} assignment");
    }
}

#[test]
fn role_assignments_cover_every_kind_of_identity() {
    let s = snap();
    let holders: BTreeSet<&str> = s
        .role_assignments
        .iter()
        .map(|r| r.principal_id.as_str())
        .collect();
    assert!(
        holders.len() >= 30,
        "{} principals with roles",
        holders.len()
    );
    let by_id: BTreeMap<&str, &ServicePrincipal> = s
        .service_principals
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let kinds: BTreeSet<String> = holders
        .iter()
        .map(|id| {
            let sp = by_id[id];
            match sp.managed_identity_flavour() {
                Some(f) => format!("{f:?}"),
                None => sp.service_principal_type.as_str().to_string(),
            }
        })
        .collect();
    for want in ["Application", "Legacy", "UserAssigned", "SystemAssigned"] {
        assert!(
            kinds.contains(want),
            "no role assignment for a {want} identity"
        );
    }
}

#[test]
fn one_identity_is_owner_of_a_subscription() {
    let s = snap();
    let owners: Vec<_> = s
        .role_assignments
        .iter()
        .filter(|r| r.role_name() == "Owner")
        .filter(|r| r.scope.split('/').filter(|p| !p.is_empty()).count() == 2)
        .collect();
    assert_eq!(owners.len(), 1);
}

// ---- load-time shift ------------------------------------------------------------------------

#[test]
fn shifting_by_whole_days_keeps_expiry_relative_to_the_anchor() {
    let raw = snap();
    let mut shifted = raw.clone();
    shifted.shift_times(Duration::days(137));
    assert_eq!(shifted.captured_at, anchor() + Duration::days(137));
    let windows = [
        (Duration::days(-10_000), Duration::ZERO),
        (Duration::ZERO, Duration::days(7)),
        (Duration::days(7), Duration::days(30)),
    ];
    for (from, to) in windows {
        assert_eq!(
            secrets_ending_between(&raw, from, to),
            secrets_ending_between(&shifted, from, to)
        );
    }
    assert!(
        secrets(&shifted)
            .into_iter()
            .any(|(_, c)| is_never(c.end_date_time.unwrap()))
    );
}

// ---- audit examples -------------------------------------------------------------------------

#[test]
fn fic_mistakes_for_the_subject_lint_are_present() {
    let s = snap();
    let on_mobile: BTreeMap<&str, &FederatedIdentityCredential> = fics(&s)
        .into_iter()
        .filter(|(o, _)| *o == "mobile-api-ci")
        .map(|(_, f)| (f.name.as_str(), f))
        .collect();
    let subject = |n: &str| on_mobile[n].subject.as_deref().unwrap();
    assert!(subject("mobile-api-pull-requests").ends_with(":pull-request"));
    assert_eq!(on_mobile["mobile-api-main"].issuer, format!("{GITHUB}/"));
    assert_eq!(
        subject("mobile-api-nightly"),
        "repo:fabrikam/mobile-api:ref:nightly"
    );
    // Nowhere else is the trailing-slash issuer used by accident.
    let slashed = fics(&s)
        .into_iter()
        .filter(|(_, f)| f.issuer == format!("{GITHUB}/"))
        .count();
    assert_eq!(slashed, 1);
}

#[test]
fn one_app_holds_the_same_trust_twice() {
    let s = snap();
    let dup: Vec<&str> = s
        .applications
        .iter()
        .filter(|a| {
            let f = &a.federated_identity_credentials;
            f.iter().enumerate().any(|(j, x)| {
                f[..j]
                    .iter()
                    .any(|y| y.issuer == x.issuer && y.subject == x.subject)
            })
        })
        .map(|a| a.display_name.as_str())
        .collect();
    assert_eq!(dup, ["returns-portal-deploy"]);
    // UAMIs keep their FICs distinct.
    for u in &s.user_assigned_identities {
        let f = &u.federated_identity_credentials;
        let pairs: BTreeSet<_> = f.iter().map(|x| (&x.issuer, &x.subject)).collect();
        assert_eq!(pairs.len(), f.len(), "{}", u.name);
    }
}

#[test]
fn microsoft_first_party_principals_hold_certificates() {
    let s = snap();
    let microsoft = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
    let first_party: Vec<&ServicePrincipal> = s
        .service_principals
        .iter()
        .filter(|p| p.app_owner_organization_id.as_deref() == Some(microsoft))
        .collect();
    let names: Vec<&str> = first_party
        .iter()
        .map(|p| p.display_name.as_str())
        .collect();
    assert_eq!(names, ["Microsoft Graph", "Office 365 Exchange Online"]);
    assert_eq!(
        first_party[0].app_id,
        "00000003-0000-0000-c000-000000000000"
    );
    assert_eq!(
        first_party[1].app_id,
        "00000002-0000-0ff1-ce00-000000000000"
    );
    let a = s.captured_at;
    // One expired and one expiring within a week: findings the audit drops as noise.
    let ends: Vec<OffsetDateTime> = first_party
        .iter()
        .flat_map(|p| &p.key_credentials)
        .map(|c| c.end_date_time.unwrap())
        .collect();
    assert!(ends.iter().any(|e| *e <= a));
    assert!(ends.iter().any(|e| *e > a && *e <= a + Duration::days(7)));
    assert!(
        first_party
            .iter()
            .all(|p| p.service_principal_type == ServicePrincipalType::Application)
    );
}

#[test]
fn app_proxy_application_has_tagged_principal_and_auto_rotated_secrets() {
    let s = snap();
    let app = s
        .applications
        .iter()
        .find(|a| a.display_name == "intranet-app-proxy")
        .unwrap();
    let sp = s
        .service_principals
        .iter()
        .find(|p| p.app_id == app.app_id)
        .unwrap();
    assert_eq!(
        sp.tags,
        [
            "WindowsAzureActiveDirectoryOnPremApp",
            "WindowsAzureActiveDirectoryIntegratedApp"
        ]
    );
    let a = s.captured_at;
    let ends: Vec<OffsetDateTime> = app
        .password_credentials
        .iter()
        .map(|c| c.end_date_time.unwrap())
        .collect();
    assert!(
        ends.iter().any(|e| *e <= a),
        "an expired auto-rotated secret"
    );
    assert!(ends.iter().any(|e| *e > a), "a current auto-rotated secret");
    // Only App Proxy principals carry tags in the demo.
    let tagged: Vec<&str> = s
        .service_principals
        .iter()
        .filter(|p| !p.tags.is_empty())
        .map(|p| p.display_name.as_str())
        .collect();
    assert_eq!(tagged, ["intranet-app-proxy"]);
}

#[test]
fn saml_principal_signs_with_its_certificate_and_holds_its_password() {
    // The audit does not report a SAML app's own password as a service principal password.
    let s = snap();
    let sp = s
        .service_principals
        .iter()
        .find(|p| p.display_name == "Tailwind HR Cloud")
        .unwrap();
    assert!(!sp.password_credentials.is_empty());
    assert!(
        sp.key_credentials
            .iter()
            .any(|k| k.usage.as_deref() == Some("Sign"))
    );
}

#[test]
fn an_app_registration_has_no_credential_and_no_service_principal() {
    let s = snap();
    let sp_app_ids: BTreeSet<&str> = s
        .service_principals
        .iter()
        .map(|p| p.app_id.as_str())
        .collect();
    let bare: Vec<&str> = s
        .applications
        .iter()
        .filter(|a| {
            a.password_credentials.is_empty()
                && a.key_credentials.is_empty()
                && a.federated_identity_credentials.is_empty()
                && !sp_app_ids.contains(a.app_id.as_str())
        })
        .map(|a| a.display_name.as_str())
        .collect();
    assert_eq!(bare, ["old-intranet-poc"]);
}

// ---- Usage evidence and GitHub immutable subjects (issue #14) -------------------------------

fn evidence_of(
    s: &TenantSnapshot,
    app: &str,
    credential: &str,
) -> credwise::domain::usage::Evidence {
    use credwise::domain::CredentialRef;
    let a = s
        .applications
        .iter()
        .find(|a| a.display_name == app)
        .unwrap();
    let ix = credwise::domain::usage::UsageIndex::new(&s.usage);
    if let Some(p) = a
        .password_credentials
        .iter()
        .find(|p| p.display_name.as_deref() == Some(credential))
    {
        return ix.credential(CredentialRef::Secret(p));
    }
    if let Some(f) = a
        .federated_identity_credentials
        .iter()
        .find(|f| f.name == credential)
    {
        return ix.credential(CredentialRef::Federated(f));
    }
    ix.credential(CredentialRef::Certificate(&a.key_credentials[0]))
}

#[test]
fn the_demo_shows_usage_evidence_of_every_kind() {
    use credwise::domain::usage::{Evidence, SourceOutcome, Unused, UsageSource};
    let s = snap();
    assert_eq!(s.usage.collected_at, Some(anchor()));
    for source in UsageSource::ALL {
        assert!(matches!(
            s.usage.source(source).unwrap().outcome,
            SourceOutcome::Read { .. }
        ));
    }
    // A secret still signing in beside the federated credential that replaces it.
    let secret = evidence_of(&s, "payroll-api", "payroll-prod-2025");
    let fic = evidence_of(&s, "payroll-api", "payroll-production");
    assert!(secret.last_sign_in().unwrap() > fic.last_sign_in().unwrap());
    // A secret unused for 120 days beside a certificate in use.
    let idle = evidence_of(&s, "orders-web", "orders-web-prod");
    assert_eq!(idle.unused_for(90), Unused::Yes { days: 120 });
    assert_eq!(
        evidence_of(&s, "orders-web", "").unused_for(7),
        Unused::No,
        "the certificate"
    );
    // An expired secret that is still presented: its last attempt failed, after a success.
    let expired = evidence_of(&s, "invoice-worker", "invoice-worker-2024");
    assert!(
        matches!(
            expired,
            Evidence::Failing {
                last_success: Some(_),
                ..
            }
        ),
        "{expired:?}"
    );
    assert_eq!(expired.unused_for(1), Unused::No);
    // A credential nothing mentions is not called unused: idle only as far as the log goes.
    let tag = evidence_of(&s, "driver-app-release", "driver-app-v1-2-0");
    assert!(matches!(tag.unused_for(90), Unused::Unknown(_)), "{tag:?}");
}

#[test]
fn the_demo_has_name_based_github_credentials_to_move_to_immutable_subjects() {
    use credwise::domain::IdentityKind;
    use credwise::domain::migration::github_immutable::{
        BulkScope, ImmutableSubjectForm, KnownIds, RepoIds, build_bulk, find, repo_key,
    };
    use credwise::domain::migration::{GuidanceTemplates, PlanContext};
    let s = snap();
    let dir = credwise::domain::Directory::new(s.clone());
    let found = find(&dir);
    let kinds: BTreeSet<IdentityKind> = found.iter().map(|n| n.identity.kind).collect();
    assert!(kinds.contains(&IdentityKind::Application));
    assert!(kinds.contains(&IdentityKind::UserAssignedManagedIdentity));
    let ids: KnownIds = credwise_test_kit::tenant::demo::github_repositories()
        .into_iter()
        .map(|(o, oid, r, rid)| {
            (
                repo_key(o, r),
                RepoIds {
                    owner_id: oid.to_string(),
                    repo_id: rid.to_string(),
                },
            )
        })
        .collect();
    let guidance = GuidanceTemplates::empty();
    let ctx = PlanContext {
        dir: &dir,
        now: anchor(),
        guidance: &guidance,
    };
    for identity in ["payroll-api", "id-github-platform-deploy"] {
        let plan = ImmutableSubjectForm {
            identity: identity.into(),
            remove_old: true,
            ..Default::default()
        }
        .build_plan(&ctx, &ids)
        .unwrap();
        plan.check_order().unwrap();
        plan.preview(&s).unwrap();
        assert!(plan.to_text().contains("@5544123/"), "{}", plan.to_text());
    }
    let bulk = build_bulk(
        &ctx,
        &BulkScope::Organisation("fabrikam".into()),
        &ids,
        true,
    );
    assert!(bulk.plans.len() >= 5, "{:?}", bulk.skipped);
    assert!(bulk.skipped.is_empty(), "{:?}", bulk.skipped);
}
