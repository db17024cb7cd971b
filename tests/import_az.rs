#![allow(clippy::unwrap_used)]
//! `credwise snapshot import-az`'s parser against hand-written `az` output
//! (`tests/fixtures/az/`) and published Graph/ARM examples (`tests/fixtures/real/`).

use std::path::{Path, PathBuf};

use credwise::backend::import::{
    AzImport, ImportError, import, parse_applications, parse_managed_identities,
    parse_role_assignments, parse_service_principals,
};
use credwise::domain::objects::ManagedIdentityFlavour;
use credwise::domain::{ServicePrincipalType, SnapshotSource, TenantSnapshot, Timestamp};
use time::macros::datetime;

const CONTOSO: &str = "3d4c58bd-adee-4c14-84e6-7013564875a3";
/// The base64 public certificate in `apps.json`'s second key credential.
const KEY_BLOB: &str = "MIIDBjCCAe6gAwIBAgIQ7YaItKQ07NEPg/EPnps7FqEpot/cc0rzDaI7ET5yNEkbHXAXxh+0bcQFNMYzzTHA5IX2btwFxeRpykvXTtWeDOiRZiXiALOntPxhwQgUbcWDXYA1PzlMYR/cbCdHJNRLcxK2yJMbsbD9eLjMTz/WCbZ4K++ay/YMQGp2/nKO9nFGYbfHpMwoY9y2Dp/Zj6m2h4KbGhaDAPS5WsE7IB+PdR+USP/GI/NQbrWAZqwfrq8J0qJM";
/// The `secretText` someone left in `apps.json`.
const SECRET_TEXT: &str = "Zx8Q~hunter2.NotARealSecretValue_ab12cd34EfGh";

fn az(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/az")
        .join(name)
}

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn now() -> Timestamp {
    datetime!(2025-01-15 12:00:00 UTC)
}

/// The JSON value at `pointer` in a file, re-serialized (ARM examples wrap the body).
fn extract(path: &Path, pointer: &str) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_slice(&read(path)).unwrap();
    serde_json::to_vec(v.pointer(pointer).unwrap()).unwrap()
}

fn import_all() -> TenantSnapshot {
    let (apps, sps, ids, ras) = (
        az("apps.json"),
        az("service-principals.json"),
        az("identities.json"),
        az("role-assignments.json"),
    );
    import(
        &AzImport {
            apps: Some(&apps),
            service_principals: Some(&sps),
            managed_identities: Some(&ids),
            role_assignments: Some(&ras),
            tenant_id: None,
        },
        now(),
    )
    .unwrap()
}

/// `path:line:column: …` with numbers, as the CLI prints it.
fn assert_positioned(err: &ImportError, path: &Path) -> (usize, usize) {
    let msg = err.to_string();
    let prefix = format!("{}:", path.display());
    let rest = msg
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{msg:?} does not start with {prefix:?}"));
    let mut parts = rest.splitn(3, ':');
    let line: usize = parts.next().unwrap().parse().unwrap();
    let column: usize = parts.next().unwrap().parse().unwrap();
    assert!(line >= 1, "{msg}");
    match err {
        ImportError::Malformed {
            line: l, column: c, ..
        } => assert_eq!((*l, *c), (line, column)),
        other => panic!("not Malformed: {other:?}"),
    }
    (line, column)
}

// ---- az output ------------------------------------------------------------------------------

#[test]
fn imports_a_whole_az_export() {
    let snap = import_all();
    assert_eq!(snap.tenant_id, CONTOSO);
    assert_eq!(snap.tenant_display_name, None);
    assert_eq!(snap.captured_at, now());
    assert_eq!(snap.source, SnapshotSource::AzImport);
    assert_eq!(snap.applications.len(), 3);
    assert_eq!(snap.service_principals.len(), 7);
    assert_eq!(snap.user_assigned_identities.len(), 2);
    assert_eq!(snap.role_assignments.len(), 3);
    // Two system-assigned identities, so two host resources; UAMIs are not resources here.
    assert_eq!(snap.resources.len(), 2);
    // Apps: 4 secrets + 2 certificates; principals: 2 secrets + 2 managed-identity certificates.
    assert_eq!(snap.credential_count(), 10);
}

#[test]
fn applications_keep_metadata_and_tolerate_nulls() {
    let apps = parse_applications(&read(&az("apps.json")), &az("apps.json")).unwrap();
    let orders = &apps[0];
    assert_eq!(orders.id, "d677a7be-d022-43d3-9836-8d0495e94f7d");
    assert_eq!(orders.display_name, "orders-api");
    assert_eq!(orders.sign_in_audience.as_deref(), Some("AzureADMyOrg"));
    assert_eq!(
        orders.publisher_domain.as_deref(),
        Some("contoso.onmicrosoft.com")
    );
    assert_eq!(
        orders.created_date_time,
        Some(datetime!(2022-01-10 08:14:57 UTC))
    );
    assert!(orders.federated_identity_credentials.is_empty());

    // An old secret with `displayName: null` and 7 fractional digits.
    let old = &orders.password_credentials[0];
    assert_eq!(old.display_name, None);
    assert_eq!(old.hint.as_deref(), Some("Q~a"));
    assert_eq!(
        old.end_date_time,
        Some(datetime!(2024-01-10 08:15:22.8733333 UTC))
    );
    // "+00:00" offsets with 7 digits.
    let ci = &orders.password_credentials[1];
    assert_eq!(ci.display_name.as_deref(), Some("ci-2024"));
    assert_eq!(
        ci.start_date_time,
        Some(datetime!(2024-06-01 09:00:00.1234567 UTC))
    );

    // Certificates: metadata kept, `key` gone (there is no field for it).
    let cert = &orders.key_credentials[0];
    assert_eq!(cert.key_id, "89f7c4dc-38f7-4b59-944c-88f45a32dc4b");
    assert_eq!(cert.display_name.as_deref(), Some("CN=orders-api"));
    assert_eq!(cert.key_type.as_deref(), Some("AsymmetricX509Cert"));
    assert_eq!(cert.usage.as_deref(), Some("Verify"));
    // Graph's base64 `customKeyIdentifier` and az's hex one both give the thumbprint.
    assert_eq!(
        cert.thumbprint().as_deref(),
        Some("52FA5B5038A475B9EE2190715CC238359D4F8F73")
    );
    let with_blob = &orders.key_credentials[1];
    assert_eq!(
        with_blob.thumbprint().as_deref(),
        Some("52ED9B5038A47B9E2E2190715CC238359D4F8F73")
    );
    assert_eq!(
        with_blob.end_date_time,
        Some(datetime!(2026-06-30 12:00:00 UTC))
    );

    // A timestamp without an offset is UTC.
    let billing = &apps[1];
    assert!(billing.is_multi_tenant());
    assert_eq!(
        billing.created_date_time,
        Some(datetime!(2023-02-14 11:30:00 UTC))
    );
    assert_eq!(
        billing.password_credentials[0].end_date_time,
        Some(datetime!(2025-02-14 11:31:09.52 UTC))
    );

    // `displayName: null` on the app itself: its appId stands in.
    let legacy = &apps[2];
    assert_eq!(legacy.display_name, "a59da085-7cef-4aa4-93b4-12a315fa7a2d");
    assert!(legacy.key_credentials.is_empty());
    assert!(legacy.federated_identity_credentials.is_empty());
    assert_eq!(legacy.sign_in_audience, None);
    assert_eq!(
        legacy.password_credentials[0].start_date_time,
        Some(datetime!(2019-03-05 16:20:41.1234567 UTC))
    );
    assert_eq!(
        legacy.password_credentials[0].end_date_time,
        Some(datetime!(2299-12-31 05:00:00 UTC))
    );
}

#[test]
fn no_secret_or_key_material_survives() {
    let raw = String::from_utf8(read(&az("apps.json"))).unwrap();
    assert!(raw.contains(SECRET_TEXT) && raw.contains(KEY_BLOB));

    let snap = import_all();
    let json = serde_json::to_string(&snap).unwrap();
    let pretty = serde_json::to_string_pretty(&snap).unwrap();
    let debug = format!("{snap:?}");
    for out in [&json, &pretty, &debug] {
        assert!(!out.contains(SECRET_TEXT));
        assert!(!out.contains(&SECRET_TEXT[3..]));
        assert!(!out.contains(KEY_BLOB));
        assert!(!out.contains(&KEY_BLOB[..40]));
        assert!(!out.contains("secretText"));
        assert!(!out.contains("\"key\""));
    }
    // The hint is Graph's public first three characters, not the secret.
    assert!(json.contains("\"hint\":\"Zx8\""));
}

#[test]
fn service_principals_of_every_type() {
    let path = az("service-principals.json");
    let sps = parse_service_principals(&read(&path), &path).unwrap();
    let by_name = |n: &str| sps.iter().find(|s| s.display_name == n).unwrap();

    let orders = by_name("orders-api");
    assert_eq!(
        orders.service_principal_type,
        ServicePrincipalType::Application
    );
    assert_eq!(orders.account_enabled, Some(true));
    assert_eq!(orders.app_owner_organization_id.as_deref(), Some(CONTOSO));
    assert_eq!(
        orders.password_credentials[0].end_date_time,
        Some(datetime!(2025-10-01 07:00:00.5555555 UTC))
    );

    let vm = by_name("vm-orders-01");
    assert_eq!(
        vm.managed_identity_flavour(),
        Some(ManagedIdentityFlavour::SystemAssigned)
    );
    assert_eq!(vm.key_credentials.len(), 1);
    let slot = by_name("orders-web/slots/staging");
    assert_eq!(
        slot.managed_identity_flavour(),
        Some(ManagedIdentityFlavour::SystemAssigned)
    );
    let uami = by_name("id-orders-gh");
    assert_eq!(
        uami.managed_identity_flavour(),
        Some(ManagedIdentityFlavour::UserAssigned)
    );

    let legacy = by_name("contoso-legacy-sync");
    assert_eq!(legacy.service_principal_type, ServicePrincipalType::Legacy);
    assert!(legacy.alternative_names.is_empty());
    assert_eq!(legacy.app_owner_organization_id, None);
    assert_eq!(
        legacy.password_credentials[0].end_date_time,
        Some(datetime!(2030-08-17 21:06:43 UTC))
    );
}

#[test]
fn system_assigned_identities_get_their_host_resource() {
    let snap = import_all();
    let vm = snap
        .resources
        .iter()
        .find(|r| r.resource_type == "Microsoft.Compute/virtualMachines")
        .unwrap();
    assert_eq!(vm.name, "vm-orders-01");
    assert_eq!(
        vm.id,
        "/subscriptions/29f55142-8d54-410e-abf3-dede39dff480/resourcegroups/rg-orders/providers/Microsoft.Compute/virtualMachines/vm-orders-01"
    );
    assert_eq!(vm.identity.identity_type, "SystemAssigned");
    assert_eq!(
        vm.identity.principal_id.as_deref(),
        Some("564e9460-e14d-4d47-a5b9-201ba4a8ad0d")
    );
    assert!(vm.identity.user_assigned_identities.is_empty());

    let slot = snap
        .resources
        .iter()
        .find(|r| r.resource_type == "Microsoft.Web/sites/slots")
        .unwrap();
    assert_eq!(slot.name, "orders-web/slots/staging");
    assert_eq!(
        slot.identity.principal_id.as_deref(),
        Some("d4df7144-9b77-47a4-b4da-1b98df6cc96f")
    );
}

#[test]
fn user_assigned_identities_from_az_identity_list() {
    let path = az("identities.json");
    let ids = parse_managed_identities(&read(&path), &path).unwrap();
    let gh = &ids[0];
    assert_eq!(gh.name, "id-orders-gh");
    assert_eq!(gh.principal_id, "62fdb6f0-a548-47f4-936f-3ca9a011b022");
    assert_eq!(gh.client_id, "20cdad14-a810-4e22-8cde-88547466ec57");
    assert_eq!(gh.tenant_id.as_deref(), Some(CONTOSO));
    assert_eq!(gh.location.as_deref(), Some("westeurope"));
    assert_eq!(gh.tags["owner"], "team-orders");
    assert_eq!(gh.resource_group(), Some("rg-identities"));
    assert!(gh.federated_identity_credentials.is_empty());
    // `tags: null`.
    assert!(ids[1].tags.is_empty());
}

#[test]
fn role_assignments_from_az() {
    let path = az("role-assignments.json");
    let ras = parse_role_assignments(&read(&path), &path).unwrap();
    assert_eq!(ras.len(), 3);
    assert_eq!(ras[0].principal_id, "62fdb6f0-a548-47f4-936f-3ca9a011b022");
    assert_eq!(ras[0].principal_type.as_deref(), Some("ServicePrincipal"));
    assert_eq!(ras[0].role_name(), "Contributor");
    assert_eq!(
        ras[2].scope,
        "/subscriptions/29f55142-8d54-410e-abf3-dede39dff480/resourceGroups/rg-orders/providers/Microsoft.Storage/storageAccounts/stordersdata"
    );
}

#[test]
fn graph_page_with_expanded_fics() {
    let path = az("apps-page-expanded.json");
    let apps = parse_applications(&read(&path), &path).unwrap();
    let fics = &apps[0].federated_identity_credentials;
    assert_eq!(fics.len(), 2);
    assert_eq!(fics[0].name, "github-main");
    assert_eq!(
        fics[0].id.as_deref(),
        Some("5423ecb0-eba2-43ec-a6a5-19ee596a2726")
    );
    assert_eq!(fics[0].description, None);
    assert_eq!(
        fics[1].subject.as_deref(),
        Some("564e9460-e14d-4d47-a5b9-201ba4a8ad0d")
    );
    assert_eq!(fics[1].audiences, ["api://AzureADTokenExchange"]);
}

// ---- tenant id ------------------------------------------------------------------------------

#[test]
fn tenant_from_flag_then_identities_then_own_apps() {
    let (apps, sps, ids) = (
        az("apps.json"),
        az("service-principals.json"),
        az("identities.json"),
    );
    let given = import(
        &AzImport {
            managed_identities: Some(&ids),
            tenant_id: Some("11111111-2222-3333-4444-555555555555"),
            ..AzImport::default()
        },
        now(),
    )
    .unwrap();
    assert_eq!(given.tenant_id, "11111111-2222-3333-4444-555555555555");

    // Without identities: the owner of the imported apps' own principals, not Microsoft's
    // tenant (which owns the Graph and managed identity principals).
    let from_apps = import(
        &AzImport {
            apps: Some(&apps),
            service_principals: Some(&sps),
            ..AzImport::default()
        },
        now(),
    )
    .unwrap();
    assert_eq!(from_apps.tenant_id, CONTOSO);

    let sps_only = import(
        &AzImport {
            service_principals: Some(&sps),
            ..AzImport::default()
        },
        now(),
    )
    .unwrap();
    assert_eq!(sps_only.tenant_id, "unknown");
    assert_eq!(sps_only.resources.len(), 2);
}

// ---- errors ---------------------------------------------------------------------------------

#[test]
fn no_input_is_an_error() {
    let ras = az("role-assignments.json");
    for inputs in [
        AzImport::default(),
        AzImport {
            role_assignments: Some(&ras),
            tenant_id: Some(CONTOSO),
            ..AzImport::default()
        },
    ] {
        let err = import(&inputs, now()).unwrap_err();
        assert!(matches!(err, ImportError::NoInput));
        assert_eq!(
            err.to_string(),
            "no input: give at least one of --apps, --service-principals, --managed-identities"
        );
    }
}

#[test]
fn unreadable_file_names_the_file() {
    let missing = az("does-not-exist.json");
    let err = import(
        &AzImport {
            apps: Some(&missing),
            ..AzImport::default()
        },
        now(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Read { .. }));
    assert_eq!(err.path(), Some(missing.as_path()));
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: cannot read: ", missing.display())),
        "{msg}"
    );
}

#[test]
fn truncated_json_reports_file_line_and_column() {
    let path = az("bad-truncated-apps.json");
    let text = String::from_utf8(read(&path)).unwrap();
    let err = import(
        &AzImport {
            apps: Some(&path),
            ..AzImport::default()
        },
        now(),
    )
    .unwrap_err();
    let (line, column) = assert_positioned(&err, &path);
    // The error is where the file stops.
    assert_eq!(line, text.lines().count());
    assert_eq!(column, text.lines().last().unwrap().len());
    let msg = err.to_string();
    assert!(msg.contains("ends too early"), "{msg}");
    assert!(
        msg.contains(&format!("bad-truncated-apps.json:{line}:{column}: ")),
        "{msg}"
    );
    // The truncated file holds a key blob; the message does not.
    assert!(!msg.contains(&KEY_BLOB[..20]), "{msg}");
}

#[test]
fn a_single_object_is_not_a_list() {
    let path = az("bad-show-output.json");
    let err = parse_applications(&read(&path), &path).unwrap_err();
    let (line, _) = assert_positioned(&err, &path);
    assert_eq!(line, 8);
    let msg = err.to_string();
    assert!(msg.contains("no \"value\""), "{msg}");
}

#[test]
fn a_field_of_the_wrong_type_is_malformed() {
    let path = az("bad-wrong-type-sps.json");
    let err = parse_service_principals(&read(&path), &path).unwrap_err();
    let (line, _) = assert_positioned(&err, &path);
    assert_eq!(line, 13, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("invalid type"), "{msg}");
    assert!(msg.contains("expected a boolean"), "{msg}");
}

#[test]
fn a_garbage_timestamp_is_malformed() {
    let path = az("bad-timestamp-apps.json");
    let err = parse_applications(&read(&path), &path).unwrap_err();
    let (line, _) = assert_positioned(&err, &path);
    assert_eq!(line, 10, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("invalid timestamp \"14/02/2025 11:31:09\""),
        "{msg}"
    );
}

#[test]
fn an_az_error_message_is_not_json() {
    let path = az("bad-not-json.json");
    let err = parse_applications(&read(&path), &path).unwrap_err();
    assert_eq!(assert_positioned(&err, &path), (1, 1));
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}

#[test]
fn the_wrong_file_for_identities_says_so() {
    let path = az("service-principals.json");
    let err = parse_managed_identities(&read(&path), &path).unwrap_err();
    assert_positioned(&err, &path);
    assert!(
        err.to_string().contains("is not an ARM resource id"),
        "{err}"
    );
}

#[test]
fn apps_and_principals_given_the_wrong_way_round_say_so() {
    let (apps, sps) = (az("apps.json"), az("service-principals.json"));
    let err = parse_applications(&read(&sps), &sps).unwrap_err();
    assert_positioned(&err, &sps);
    assert!(
        err.to_string()
            .contains("is a service principal; give this file with --service-principals"),
        "{err}"
    );
    let err = parse_service_principals(&read(&apps), &apps).unwrap_err();
    assert_positioned(&err, &apps);
    assert!(
        err.to_string()
            .contains("is an application; give this file with --apps"),
        "{err}"
    );
}

#[test]
fn a_bad_file_fails_the_whole_import() {
    let (good, bad) = (az("apps.json"), az("bad-wrong-type-sps.json"));
    let err = import(
        &AzImport {
            apps: Some(&good),
            service_principals: Some(&bad),
            ..AzImport::default()
        },
        now(),
    )
    .unwrap_err();
    assert_eq!(err.path(), Some(bad.as_path()));
}

// ---- published Graph and ARM examples -------------------------------------------------------

#[test]
fn graph_application_list_page() {
    let path = real("graph-application-list-response.json");
    let apps = parse_applications(&read(&path), &path).unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].app_id, "00000000-0000-0000-0000-000000000000");
    // The published example has no `id`; the appId stands in.
    assert_eq!(apps[0].id, apps[0].app_id);
    assert_eq!(apps[0].display_name, "My app");
    assert_eq!(apps[0].publisher_domain.as_deref(), Some("contoso.com"));
    assert!(apps[0].password_credentials.is_empty());
}

#[test]
fn graph_service_principal_list_page() {
    let path = real("graph-serviceprincipal-list-response.json");
    let sps = parse_service_principals(&read(&path), &path).unwrap();
    assert_eq!(sps.len(), 1);
    let sp = &sps[0];
    assert_eq!(sp.id, "59e617e5-e447-4adc-8b88-00af644d7c92");
    assert_eq!(sp.display_name, "foo");
    assert_eq!(sp.service_principal_type, ServicePrincipalType::Application);
    assert_eq!(sp.account_enabled, Some(true));
    assert_eq!(
        sp.app_owner_organization_id.as_deref(),
        Some("1bc1c026-2f7b-48a5-98da-afa2fd8bc7bc")
    );
}

#[test]
fn graph_fic_list_as_an_apps_fics() {
    let fic_page: serde_json::Value =
        serde_json::from_slice(&read(&real("graph-fic-list-response.json"))).unwrap();
    let apps = serde_json::json!([{
        "id": "bcd7c908-1c4d-4d48-93ee-ff38349a75c8",
        "appId": "00000000-0000-0000-0000-000000000001",
        "displayName": "fic app",
        "federatedIdentityCredentials": fic_page["value"],
    }]);
    let path = Path::new("fic-app.json");
    let apps = parse_applications(&serde_json::to_vec(&apps).unwrap(), path).unwrap();
    let fic = &apps[0].federated_identity_credentials[0];
    assert_eq!(
        fic.id.as_deref(),
        Some("bdad0963-4a7a-43ae-b569-e67e1da3f2c0")
    );
    assert_eq!(fic.name, "testing");
    assert_eq!(
        fic.issuer,
        "https://login.microsoftonline.com/3d1e2be9-a10a-4a0c-8380-7ce190f98ed9/v2.0"
    );
    assert_eq!(
        fic.subject.as_deref(),
        Some("a7d388c3-5e3f-4959-ac7d-786b3383006a")
    );
    assert_eq!(fic.audiences, ["api://AzureADTokenExchange"]);
    assert_eq!(
        fic.description.as_deref(),
        Some("This is my test  federated identity credential 03")
    );
}

#[test]
fn arm_uami_list_page_and_get() {
    let path = real("arm-uami-list-by-subscription-2024-11-30.json");
    // The body is an ARM page (`nextLink` + `value`), which parses as it is.
    let ids = parse_managed_identities(&extract(&path, "/responses/200/body"), &path).unwrap();
    let also =
        parse_managed_identities(&extract(&path, "/responses/200/body/value"), &path).unwrap();
    assert_eq!(ids, also);
    assert_eq!(ids.len(), 1);
    let u = &ids[0];
    assert_eq!(u.name, "identityName");
    assert_eq!(u.client_id, "4024ab25-56a8-4370-aea6-6389221caf29");
    assert_eq!(u.principal_id, "25cc773c-7f05-40fc-a104-32d2300754ad");
    assert_eq!(
        u.tenant_id.as_deref(),
        Some("b6c948ef-f6b5-4384-8354-da3a15eca969")
    );
    assert_eq!(u.location.as_deref(), Some("eastus"));
    assert_eq!(u.tags.len(), 2);
    assert_eq!(u.subscription_id(), Some("subid"));

    let get = real("arm-uami-get-2023-01-31.json");
    let body: serde_json::Value =
        serde_json::from_slice(&extract(&get, "/responses/200/body")).unwrap();
    let one = serde_json::to_vec(&serde_json::json!([body])).unwrap();
    let got = parse_managed_identities(&one, &get).unwrap();
    assert_eq!(got, ids);
}

#[test]
fn arm_role_assignment_list_page() {
    let path = real("arm-role-assignments-list-for-scope-2022-04-01.json");
    let ras = parse_role_assignments(&extract(&path, "/responses/200/body"), &path).unwrap();
    assert_eq!(ras.len(), 1);
    let ra = &ras[0];
    assert_eq!(ra.principal_id, "ce2ce14e-85d7-4629-bdbc-454d0519d987");
    assert_eq!(ra.principal_type.as_deref(), Some("User"));
    assert_eq!(
        ra.scope,
        "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"
    );
    assert_eq!(ra.role_definition_name, None);
    assert_eq!(ra.role_name(), "0b5fe924-9a61-425c-96af-cfe6e287ca2d");
    assert!(ra.id.ends_with("/b0f43c54-e787-4862-89b1-a653fa9cf747"));
}

/// `az role assignment list` prints conditioned assignments flat, with `condition`,
/// `conditionVersion` and `description` (the published `az role assignment create
/// --condition` output, which has the same shape); an ARM list page nests them, `null` when
/// unset. Both keep the condition.
#[test]
fn az_role_assignment_output_with_a_condition() {
    let path = real("az-role-assignment-create-condition-output.json");
    // `list` prints an array of these objects.
    let list = format!("[{}]", String::from_utf8(read(&path)).unwrap());
    let ras = parse_role_assignments(list.as_bytes(), &path).unwrap();
    let ra = &ras[0];
    assert_eq!(
        ra.condition.as_deref(),
        Some(
            "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'blobs-example-container'))"
        )
    );
    assert_eq!(ra.condition_version.as_deref(), Some("2.0"));
    assert_eq!(
        ra.description.as_deref(),
        Some("Read access if container name equals blobs-example-container")
    );
    assert_eq!(ra.role_name(), "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");

    let path = real("arm-role-assignment-create-condition-2022-04-01.json");
    let page = format!(
        r#"{{"value":[{}]}}"#,
        String::from_utf8(extract(&path, "/responses/201/body")).unwrap()
    );
    let ras = parse_role_assignments(page.as_bytes(), &path).unwrap();
    assert_eq!(
        ras[0].condition.as_deref(),
        Some(
            "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:Name] stringEquals 'foo'"
        )
    );
    assert_eq!(ras[0].condition_version.as_deref(), Some("2.0"));
    let path = real("arm-role-assignments-list-az-recording-2022-04-01.json");
    let ras = parse_role_assignments(&extract(&path, "/responses/200/body"), &path).unwrap();
    assert!(
        ras.iter()
            .all(|r| r.condition.is_none() && r.description.is_none())
    );
    // Unset, they stay out of a snapshot.
    let snap_json = serde_json::to_string(&ras).unwrap();
    assert!(
        !snap_json.contains("\"condition\""),
        "unset fields are left out"
    );
}

#[test]
fn addpassword_response_loses_its_secret_text() {
    let path = real("graph-addpassword-response.json");
    let credential: serde_json::Value = serde_json::from_slice(&read(&path)).unwrap();
    let secret = credential["secretText"].as_str().unwrap().to_string();
    let apps = serde_json::json!([{
        "id": "d677a7be-d022-43d3-9836-8d0495e94f7d",
        "appId": "bf404f55-b225-45c7-9089-81499586b4a2",
        "displayName": "orders-api",
        "passwordCredentials": [credential],
    }]);
    let apps = parse_applications(&serde_json::to_vec(&apps).unwrap(), &path).unwrap();
    let pwd = &apps[0].password_credentials[0];
    assert_eq!(pwd.key_id, "f0b0b335-1d71-4883-8f98-567911bfdca6");
    assert_eq!(pwd.display_name.as_deref(), Some("Password friendly name"));
    assert_eq!(pwd.hint.as_deref(), Some("[6g"));
    assert_eq!(
        pwd.end_date_time,
        Some(datetime!(2021-09-09 19:50:29.3086381 UTC))
    );

    let mut snap = TenantSnapshot::empty(CONTOSO, now());
    snap.applications = apps;
    let json = serde_json::to_string(&snap).unwrap();
    assert!(!json.contains(&secret), "{json}");
    assert!(!json.contains(&secret[3..]), "{json}");
    assert!(!format!("{snap:?}").contains(&secret));
}

// ---- the result is a valid snapshot ----------------------------------------------------------

#[test]
fn imported_snapshot_round_trips_through_the_snapshot_file_format() {
    let snap = import_all();
    let bytes = credwise::store::snapshot_file::to_bytes(&snap);
    let back = credwise::store::snapshot_file::parse(&bytes, Path::new("imported.json")).unwrap();
    assert_eq!(back, snap);
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains(SECRET_TEXT) && !text.contains(KEY_BLOB));
}

// ---- robustness -----------------------------------------------------------------------------

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Damaged input is an error, never a panic, and never echoes the secret it holds.
    #[test]
    fn damaged_files_never_panic(
        edits in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8),
        cut in 0usize..100_000,
    ) {
        let path = az("apps.json");
        let mut bytes = read(&path);
        for (at, b) in edits {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1) + bytes.len() / 2);
        let p = Path::new("x.json");
        if let Err(e) = parse_applications(&bytes, p) {
            let msg = e.to_string();
            proptest::prop_assert!(msg.starts_with("x.json:"));
            proptest::prop_assert!(!msg.contains(&SECRET_TEXT[4..]));
        }
        let _ = parse_service_principals(&bytes, p);
        let _ = parse_managed_identities(&bytes, p);
        let _ = parse_role_assignments(&bytes, p);
    }
}
