//! Fabrikam Logistics, credwise's embedded demo tenant (`assets/demo-tenant.json`, compiled into
//! the binary by `credwise::backend::demo`).
//!
//! A fictional company (fabrikam-logistics.example) with about a hundred workload identities of
//! every kind credwise knows: app registrations and their service principals, third-party
//! (multi-tenant) service principals, a Legacy principal, an unknown-type principal,
//! user-assigned managed identities (with their ManagedIdentity service principals and
//! federated credentials) and system-assigned managed identities (with the Azure resources that
//! host them), plus Azure role assignments. It is built to show every feature of credwise on one
//! data set: expired / expiring / long-lived / never-expiring secrets, secrets with no name,
//! certificates, GitHub Actions / Kubernetes / GitLab / Terraform Cloud / Google / Azure DevOps
//! federated credentials (including the immutable GitHub subject form and a flexible
//! `claimsMatchingExpression` FIC), a managed identity used as a federated credential, an app
//! close to the limit of 20 FICs, a multi-tenant app holding secrets, a deployment slot, and
//! display names with unicode and long names. For the audit it also holds one example of each
//! finding: FICs with a `:pull-request` subject, a trailing-slash GitHub issuer, GitHub's default
//! audience and an unknown subject form, a duplicate FIC, a FIC trusting a system-assigned
//! identity, two Microsoft first-party principals with certificates of their own, and an App
//! Proxy application with its auto-rotated secrets (both noise the audit hides by default).
//! Its sign-in evidence (`usage`) shows last use per credential, a secret still used beside its
//! replacement, a secret unused for 120 days and an expired secret still presented; its
//! name-based GitHub federated credentials (on apps and on a user-assigned identity) are what
//! `github-immutable-subject` migrates, with the repositories' ids in `github_repositories`.
//! `tests/demo_tenant.rs` checks that it still covers all of that.
//!
//! Dates are written relative to the fixed anchor `capturedAt = 2026-01-01T09:00:00Z`; credwise
//! moves them by whole days to today when it loads the demo, so "expires in 5 days" stays true
//! whenever it runs. "Never" expiring secrets end in the year 2299. Ids are deterministic (name
//! based, see [`gid`]), so the file is the same on every run.
//!
//! To change the demo tenant, edit this file and regenerate the asset from the repository root:
//!
//! ```text
//! cargo run -p credwise-test-kit --example demo_tenant            # writes assets/demo-tenant.json
//! cargo run -p credwise-test-kit --example demo_tenant -- --check # exit 1 when it is stale
//! ```
//!
//! The unit test `the_committed_asset_is_what_this_file_builds` fails while the two differ.

use std::collections::{BTreeMap, HashMap};

use sha1::Digest as _;
use time::{Date, Duration, Month};

use credwise::domain::usage::{
    CredentialActivity, CredentialOrigin, IdentityActivity, SourceStatus, UsageData, UsageSource,
};
use credwise::domain::{
    Application, AzureResource, Cloud, CredentialType, FederatedIdentityCredential, KeyCredential,
    PasswordCredential, ResourceIdentity, ServicePrincipal, ServicePrincipalType, SnapshotSource,
    TenantSnapshot, Timestamp, UserAssignedIdentity,
};
use credwise::store::snapshot_file;

use super::shared::{
    GITHUB_ISSUER, MICROSOFT_SERVICES_TENANT, NEVER, TOKEN_EXCHANGE, aks_issuer, base64,
    entra_issuer, managed_identity_principal, resource_group_id, resource_id, role_assignment,
    service_principal,
};

/// The anchor every date is written relative to, and the snapshot's `capturedAt`.
const ANCHOR: Timestamp = time::macros::datetime!(2026-01-01 09:00 UTC);
const DOMAIN: &str = "fabrikam-logistics.example";
const TENANT_NAME: &str = "Fabrikam Logistics";

/// The DNS namespace of RFC 4122 (appendix C).
const NAMESPACE_DNS: [u8; 16] = [
    0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
];

/// A name-based UUID (RFC 4122 version 5: the first 16 bytes of SHA-1 over namespace and
/// name), stamped with `version` and the RFC variant.
fn name_uuid(namespace: &[u8; 16], name: &str, version: u8) -> [u8; 16] {
    let mut hash = sha1::Sha1::new();
    hash.update(namespace);
    hash.update(name.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// A deterministic GUID from a path of names: version-5 bits under the demo domain's namespace,
/// stamped as version 4 so it looks like the random GUIDs Entra and Azure hand out.
pub fn gid(parts: &[&str]) -> String {
    let namespace = name_uuid(&NAMESPACE_DNS, DOMAIN, 5);
    uuid::Uuid::from_bytes(name_uuid(&namespace, &parts.join("/"), 4)).to_string()
}

fn sha256(text: &str) -> [u8; 32] {
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// A day: an offset in days from the anchor's date, or a calendar date.
#[derive(Clone, Copy)]
enum Day {
    Offset(i64),
    On(i32, Month, u8),
}

impl From<i64> for Day {
    fn from(offset: i64) -> Self {
        Self::Offset(offset)
    }
}

/// `day` at a time of day (07:00–17:59) derived from `key`, so dates look hand-made but are
/// stable.
fn at(day: Day, key: &str) -> Timestamp {
    let date = match day {
        Day::Offset(n) => ANCHOR.date() + Duration::days(n),
        Day::On(y, m, d) => Date::from_calendar_date(y, m, d).unwrap_or(ANCHOR.date()),
    };
    let h = sha256(&format!("tod/{key}"));
    date.midnight().assume_utc()
        + Duration::hours(7 + i64::from(h[0] % 11))
        + Duration::minutes(i64::from(h[1] % 60))
        + Duration::seconds(i64::from(h[2] % 60))
}

/// Graph's `hint`: the first three characters of the (here imaginary) secret.
fn hint_for(key: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";
    sha256(&format!("hint/{key}"))[..3]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A deterministic SHA-1-sized thumbprint, base64 as Graph sends it.
fn thumbprint_b64(key: &str) -> String {
    base64(&sha1::Sha1::digest(format!("cert/{key}").as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Credential specifications: each is built for an owner, so ids depend on the owner's name.

/// When a secret ends.
#[derive(Clone, Copy)]
enum End {
    On(Day),
    Never,
}

/// A client secret ending at `end`, starting `life` days before unless `start` is given.
struct Secret {
    display: Option<&'static str>,
    end: End,
    life: i64,
    start: Option<Day>,
    hint: bool,
    key: Option<&'static str>,
}

/// A named secret ending `end` days from the anchor after `life` days.
fn secret(display: &'static str, end: i64, life: i64) -> Secret {
    Secret {
        display: Some(display),
        end: End::On(Day::Offset(end)),
        life,
        start: None,
        hint: true,
        key: None,
    }
}

/// A secret without a display name (older tooling), identified by `key`.
fn unnamed_secret(key: &'static str, end: i64, life: i64) -> Secret {
    Secret {
        display: None,
        key: Some(key),
        ..secret("", end, life)
    }
}

impl Secret {
    fn without_hint(self) -> Self {
        Self {
            hint: false,
            ..self
        }
    }

    fn build(&self, owner: &str) -> PasswordCredential {
        let key = format!("secret/{owner}/{}", self.key.or(self.display).unwrap_or(""));
        let (start, end) = match self.end {
            End::Never => (at(self.start.unwrap_or(Day::Offset(-1500)), &key), NEVER),
            End::On(day) => {
                let end = at(day, &key);
                let start = match self.start {
                    Some(d) => at(d, &key),
                    None => end - Duration::days(self.life),
                };
                (start, end)
            }
        };
        PasswordCredential {
            key_id: gid(&[&key]).into(),
            display_name: self.display.map(str::to_string),
            hint: self.hint.then(|| hint_for(&key)),
            start_date_time: Some(start),
            end_date_time: Some(end),
        }
    }
}

/// A certificate (public part only): a keyCredential with a SHA-1 thumbprint.
struct Cert {
    subject_cn: &'static str,
    end: i64,
    life: i64,
    usage: &'static str,
}

fn cert(subject_cn: &'static str, end: i64, life: i64) -> Cert {
    Cert {
        subject_cn,
        end,
        life,
        usage: "Verify",
    }
}

impl Cert {
    fn build(&self, owner: &str) -> KeyCredential {
        let key = format!("cert/{owner}/{}/{}", self.subject_cn, self.usage);
        let end = at(Day::Offset(self.end), &key);
        KeyCredential {
            key_id: gid(&[&key]).into(),
            display_name: Some(format!("CN={}", self.subject_cn)),
            custom_key_identifier: Some(thumbprint_b64(&format!(
                "{owner}/{}/{}",
                self.subject_cn, self.end
            ))),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some(self.usage.into()),
            start_date_time: Some(end - Duration::days(self.life)),
            end_date_time: Some(end),
        }
    }
}

/// A federated identity credential. App FICs get a Graph `id`; UAMI FICs (ARM) do not.
struct Fic {
    name: String,
    issuer: String,
    subject: Option<String>,
    expression: Option<&'static str>,
    description: Option<&'static str>,
    audiences: Option<&'static str>,
}

fn fic(name: impl Into<String>, issuer: impl Into<String>, subject: impl Into<String>) -> Fic {
    Fic {
        name: name.into(),
        issuer: issuer.into(),
        subject: Some(subject.into()),
        expression: None,
        description: None,
        audiences: None,
    }
}

/// A flexible FIC: a claims-matching expression instead of a subject.
fn flexible(name: &str, issuer: &str, expression: &'static str) -> Fic {
    Fic {
        subject: None,
        expression: Some(expression),
        ..fic(name, issuer, "")
    }
}

fn github(name: &str, subject: &str) -> Fic {
    fic(name, GITHUB_ISSUER, subject)
}

fn k8s(name: impl Into<String>, issuer: &str, namespace: &str, service_account: &str) -> Fic {
    fic(
        name,
        issuer,
        format!("system:serviceaccount:{namespace}:{service_account}"),
    )
}

impl Fic {
    fn described(self, description: &'static str) -> Self {
        Self {
            description: Some(description),
            ..self
        }
    }

    fn build(&self, owner: &str, with_id: bool) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: with_id.then(|| gid(&["fic", owner, &self.name])),
            name: self.name.clone(),
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            claims_matching_expression: self.expression.map(str::to_string),
            audiences: vec![self.audiences.unwrap_or(TOKEN_EXCHANGE).to_string()],
            description: self.description.map(str::to_string),
        }
    }
}

/// An app registration and what comes with it.
struct App {
    audience: &'static str,
    created: i64,
    secrets: Vec<Secret>,
    certs: Vec<Cert>,
    fics: Vec<Fic>,
    /// Whether its service principal is in this tenant.
    sp: bool,
    sp_enabled: bool,
    sp_secrets: Vec<Secret>,
    sp_tags: &'static [&'static str],
}

fn created(days: i64) -> App {
    App {
        audience: "AzureADMyOrg",
        created: days,
        secrets: Vec::new(),
        certs: Vec::new(),
        fics: Vec::new(),
        sp: true,
        sp_enabled: true,
        sp_secrets: Vec::new(),
        sp_tags: &[],
    }
}

// ---------------------------------------------------------------------------------------------
// The tenant as it is built.

struct Demo {
    tenant_id: String,
    snapshot: TenantSnapshot,
    /// Principal ids by a short name, for role assignments and MI-as-FIC subjects;
    /// system-assigned identities are keyed `mi:<display name>` (orders-web is both an app and
    /// a web app's identity).
    principals: HashMap<String, String>,
}

impl Demo {
    fn new() -> Self {
        let tenant_id = gid(&["tenant"]);
        let mut snapshot = TenantSnapshot::empty(tenant_id.clone(), ANCHOR);
        snapshot.tenant_display_name = Some(TENANT_NAME.into());
        snapshot.source = SnapshotSource::Demo;
        snapshot.cloud = Cloud::Public;
        Self {
            tenant_id,
            snapshot,
            principals: HashMap::new(),
        }
    }

    fn principal(&self, name: &str) -> String {
        self.principals.get(name).cloned().unwrap_or_default()
    }

    /// A service principal named `name` (its id derived from the name), with its credentials;
    /// returned for the few fields a caller sets beyond these.
    fn push_sp(
        &mut self,
        name: &str,
        app_id: String,
        kind: ServicePrincipalType,
        owner_org: Option<String>,
        secrets: &[Secret],
        certs: &[Cert],
    ) -> &mut ServicePrincipal {
        let sp_id = gid(&["sp", name]);
        self.principals.insert(name.into(), sp_id.clone());
        let owner = format!("sp/{name}");
        let sps = &mut self.snapshot.service_principals;
        sps.push(ServicePrincipal {
            app_owner_organization_id: owner_org.map(Into::into),
            password_credentials: secrets.iter().map(|s| s.build(&owner)).collect(),
            key_credentials: certs.iter().map(|c| c.build(&owner)).collect(),
            ..service_principal(sp_id, app_id, name.into(), kind)
        });
        let last = sps.len() - 1;
        &mut sps[last]
    }

    /// An app registration and (unless `spec.sp` is false) its service principal here.
    fn app(&mut self, name: &str, spec: App) {
        let app_id = gid(&["app", name, "appId"]);
        self.snapshot.applications.push(Application {
            id: gid(&["app", name, "object"]),
            app_id: app_id.clone(),
            display_name: name.into(),
            sign_in_audience: Some(spec.audience.into()),
            publisher_domain: Some(DOMAIN.into()),
            created_date_time: Some(at(Day::Offset(spec.created), &format!("created/{name}"))),
            password_credentials: spec.secrets.iter().map(|s| s.build(name)).collect(),
            key_credentials: spec.certs.iter().map(|c| c.build(name)).collect(),
            federated_identity_credentials: spec.fics.iter().map(|f| f.build(name, true)).collect(),
            odata_type: None,
        });
        if spec.sp {
            let tenant = Some(self.tenant_id.clone());
            let kind = ServicePrincipalType::Application;
            let sp = self.push_sp(name, app_id, kind, tenant, &spec.sp_secrets, &[]);
            sp.account_enabled = Some(spec.sp_enabled);
            sp.tags = spec.sp_tags.iter().map(|t| t.to_string()).collect();
        }
    }

    /// The principal of a multi-tenant app another organisation (`owner`) publishes.
    fn third_party_sp(&mut self, name: &str, owner: &str, secrets: &[Secret], certs: &[Cert]) {
        let app_id = gid(&["foreign-app", owner, name]);
        let owner_org = Some(foreign_tenant(owner));
        let kind = ServicePrincipalType::Application;
        self.push_sp(name, app_id, kind, owner_org, secrets, certs);
    }

    /// A Microsoft first-party application's principal (Microsoft Graph, Exchange Online…): in
    /// every tenant, owned by Microsoft's services tenant, not the tenant's to manage.
    fn first_party_sp(&mut self, name: &str, app_id: &str, certs: &[Cert]) {
        let owner_org = Some(MICROSOFT_SERVICES_TENANT.to_string());
        let kind = ServicePrincipalType::Application;
        self.push_sp(name, app_id.into(), kind, owner_org, &[], certs);
    }

    /// A user-assigned managed identity and its ManagedIdentity service principal.
    fn uami(
        &mut self,
        name: &str,
        subscription: &str,
        resource_group: &str,
        tags: &[(&str, &str)],
        fics: &[Fic],
    ) -> String {
        let rid = resource_id(
            subscription,
            resource_group,
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            name,
        );
        let principal = gid(&["uami-principal", name]);
        let client = gid(&["uami-client", name]);
        self.principals.insert(name.into(), principal.clone());
        self.snapshot
            .user_assigned_identities
            .push(UserAssignedIdentity {
                id: rid.clone(),
                name: name.into(),
                location: Some("westeurope".into()),
                principal_id: principal.clone(),
                client_id: client.clone(),
                tenant_id: Some(self.tenant_id.clone()),
                tags: tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
                federated_identity_credentials: fics.iter().map(|f| f.build(name, false)).collect(),
            });
        self.snapshot
            .service_principals
            .push(managed_identity_principal(
                principal,
                client,
                name.into(),
                &rid,
                true,
            ));
        rid
    }

    /// An Azure resource with an identity block; `system` also adds the system-assigned
    /// managed identity's service principal, named `sp_name` (the resource's name unless given).
    fn resource(&mut self, r: Resource) {
        let mut kinds = Vec::new();
        if r.system {
            kinds.push("SystemAssigned");
        }
        if !r.uamis.is_empty() {
            kinds.push("UserAssigned");
        }
        let mut principal_id = None;
        if r.system {
            let principal = gid(&["sami-principal", &r.id]);
            let display = r.sp_name.unwrap_or(r.name);
            self.principals
                .insert(format!("mi:{display}"), principal.clone());
            let client = gid(&["sami-client", &r.id]);
            self.snapshot
                .service_principals
                .push(managed_identity_principal(
                    principal.clone(),
                    client,
                    display.into(),
                    &r.id,
                    false,
                ));
            principal_id = Some(principal);
        }
        self.snapshot.resources.push(AzureResource {
            id: r.id,
            name: r.name.into(),
            resource_type: r.resource_type.into(),
            location: Some(r.location.into()),
            identity: ResourceIdentity {
                identity_type: kinds.join(", ").into(),
                principal_id,
                user_assigned_identities: r.uamis,
            },
        });
    }

    fn grant(&mut self, principal_name: &str, role: &str, scope: &str) {
        let principal = self.principal(principal_name);
        let subscription = scope.split('/').nth(2).unwrap_or_default();
        let name = gid(&["ra", &principal, role, scope]);
        let assignment = role_assignment(
            &name,
            principal,
            "ServicePrincipal",
            role,
            scope.into(),
            subscription,
        );
        self.snapshot.role_assignments.push(assignment);
    }
}

/// An Azure resource to add.
struct Resource {
    id: String,
    name: &'static str,
    resource_type: &'static str,
    location: &'static str,
    system: bool,
    uamis: Vec<String>,
    sp_name: Option<&'static str>,
}

/// A resource in a resource group, with a system-assigned identity when `system`, and the
/// user-assigned identities `uamis` attached.
fn resource(
    subscription: &str,
    resource_group: &str,
    resource_type: &'static str,
    name: &'static str,
    system: bool,
    uamis: &[&String],
) -> Resource {
    Resource {
        id: resource_id(subscription, resource_group, resource_type, name),
        name,
        resource_type,
        location: "westeurope",
        system,
        uamis: uamis.iter().map(|u| u.to_string()).collect(),
        sp_name: None,
    }
}

/// The tenants that own the third-party multi-tenant apps.
fn foreign_tenant(owner: &str) -> String {
    let domain = match owner {
        "northwind" => "northwind-monitoring.example",
        "contoso" => "contoso-freight.example",
        "tailwind" => "tailwind-hr.example",
        "litware" => "litware-expense.example",
        _ => "adatum-backup.example",
    };
    gid(&["foreign-tenant", domain])
}

fn subscription_scope(subscription: &str) -> String {
    format!("/subscriptions/{subscription}")
}

/// The demo tenant as of its anchor date (credwise moves it to today when it loads it).
pub fn snapshot() -> TenantSnapshot {
    let mut t = Demo::new();
    let tenant = t.tenant_id.clone();
    let sub_prod = gid(&["subscription", "fabrikam-prod"]);
    let sub_nonprod = gid(&["subscription", "fabrikam-nonprod"]);
    let sub_platform = gid(&["subscription", "fabrikam-platform"]);
    let (prod, nonprod, platform) = (
        sub_prod.as_str(),
        sub_nonprod.as_str(),
        sub_platform.as_str(),
    );

    // Scopes that are not managed-identity hosts (so they are not in `resources`).
    let kv = "Microsoft.KeyVault/vaults";
    let storage = "Microsoft.Storage/storageAccounts";
    let kv_payroll = resource_id(prod, "rg-payroll-prod", kv, "kv-payroll-prod");
    let kv_orders = resource_id(prod, "rg-orders-prod", kv, "kv-orders-prod");
    let kv_platform = resource_id(platform, "rg-platform-shared", kv, "kv-fabrikam-platform");
    let st_payroll = resource_id(prod, "rg-payroll-prod", storage, "stpayrollprod");
    let st_lake = resource_id(prod, "rg-data-prod", storage, "stfabrikamdatalake");
    let st_ftp = resource_id(prod, "rg-legacy-prod", storage, "stftpdropprod");
    let st_invoices = resource_id(prod, "rg-invoices-prod", storage, "stinvoicesprod");
    let acr = resource_id(
        platform,
        "rg-platform-shared",
        "Microsoft.ContainerRegistry/registries",
        "acrfabrikamprod",
    );
    let sb = "Microsoft.ServiceBus/namespaces";
    let sb_orders = resource_id(prod, "rg-orders-prod", sb, "sb-fabrikam-orders");
    let sb_shipments = resource_id(prod, "rg-shipments-prod", sb, "sb-fabrikam-shipments");

    let aks_shipments = aks_issuer(
        "westeurope",
        &tenant,
        &gid(&["aks-oidc", "aks-shipments-prod"]),
    );
    let aks_platform = aks_issuer(
        "northeurope",
        &tenant,
        &gid(&["aks-oidc", "aks-platform-prod"]),
    );
    let terraform = "https://app.terraform.io";

    // ---- User-assigned managed identities ----------------------------------------------------

    let no_fics: &[Fic] = &[];
    let id_orders = t.uami(
        "id-orders-shared",
        prod,
        "rg-orders-prod",
        &[("owner", "orders-team"), ("env", "prod")],
        no_fics,
    );
    let id_kv_reader = t.uami(
        "id-keyvault-reader",
        platform,
        "rg-platform-shared",
        &[("owner", "platform-team")],
        no_fics,
    );
    let id_invoices_logic = t.uami("id-invoices-logic", prod, "rg-invoices-prod", &[], no_fics);
    t.uami(
        "id-shipments-workload",
        prod,
        "rg-shipments-prod",
        &[
            ("owner", "shipments-team"),
            ("env", "prod"),
            ("workload", "aks"),
        ],
        &[
            k8s(
                "aks-shipments-api",
                &aks_shipments,
                "shipments",
                "shipments-api",
            ),
            k8s(
                "aks-shipments-worker",
                &aks_shipments,
                "shipments",
                "shipments-worker",
            )
            .described("Background worker that books carrier slots"),
        ],
    );
    let aks_node_group = "MC_rg-shipments-prod_aks-shipments-prod_westeurope";
    let id_aks_kubelet = t.uami(
        "aks-shipments-prod-agentpool",
        prod,
        aks_node_group,
        &[],
        no_fics,
    );
    let id_payroll = t.uami(
        "id-payroll-batch",
        prod,
        "rg-payroll-prod",
        &[("owner", "payroll-team")],
        no_fics,
    );
    let id_edi = t.uami(
        "id-edi-connector",
        prod,
        "rg-integration-prod",
        &[("owner", "integration-team"), ("env", "prod")],
        no_fics,
    );
    let id_data = t.uami(
        "id-data-lake-ingest",
        prod,
        "rg-data-prod",
        &[("owner", "data-team")],
        no_fics,
    );
    t.uami(
        "id-github-platform-deploy",
        platform,
        "rg-platform-shared",
        &[],
        &[
            github(
                "platform-tools-main",
                "repo:fabrikam/platform-tools:ref:refs/heads/main",
            ),
            github(
                "platform-tools-production",
                "repo:fabrikam/platform-tools:environment:production",
            )
            .described("Deploys shared platform components"),
        ],
    );
    t.uami(
        "id-terraform-platform",
        platform,
        "rg-platform-shared",
        &[],
        &[
            fic(
                "tfc-platform-prod-plan",
                terraform,
                "organization:fabrikam:project:platform:workspace:platform-prod:run_phase:plan",
            ),
            fic(
                "tfc-platform-prod-apply",
                terraform,
                "organization:fabrikam:project:platform:workspace:platform-prod:run_phase:apply",
            ),
        ],
    );
    t.uami(
        "id-migration-temp",
        nonprod,
        "rg-orders-dev",
        &[("created-by", "jdoe"), ("delete-after", "2025-06-30")],
        no_fics,
    );

    // ---- Azure resources and system-assigned managed identities ------------------------------

    let web = "Microsoft.Web/sites";
    let vm = "Microsoft.Compute/virtualMachines";
    let logic = "Microsoft.Logic/workflows";
    let aks = "Microsoft.ContainerService/managedClusters";
    let orders_web = resource(
        prod,
        "rg-orders-prod",
        web,
        "orders-web",
        true,
        &[&id_orders],
    );
    let orders_web_id = orders_web.id.clone();
    t.resource(orders_web);
    t.resource(Resource {
        id: format!("{orders_web_id}/slots/staging"),
        name: "orders-web/staging",
        resource_type: "Microsoft.Web/sites/slots",
        location: "westeurope",
        system: true,
        uamis: Vec::new(),
        sp_name: Some("orders-web/slots/staging"),
    });
    let rg = "rg-orders-prod";
    t.resource(resource(
        prod,
        rg,
        web,
        "func-order-events",
        true,
        &[&id_orders],
    ));
    t.resource(resource(
        prod,
        rg,
        vm,
        "vm-orders-batch-01",
        true,
        &[&id_orders],
    ));
    t.resource(resource(
        prod,
        rg,
        "Microsoft.App/containerApps",
        "ca-orders-api",
        false,
        &[&id_orders, &id_kv_reader],
    ));
    t.resource(resource(
        prod,
        rg,
        "Microsoft.Sql/servers",
        "sql-fabrikam-orders",
        true,
        &[],
    ));
    let rg = "rg-invoices-prod";
    t.resource(resource(prod, rg, web, "func-invoices", true, &[]));
    t.resource(resource(
        prod,
        rg,
        logic,
        "logic-invoice-approvals",
        true,
        &[],
    ));
    t.resource(resource(
        prod,
        rg,
        logic,
        "logic-invoice-ingest",
        false,
        &[&id_invoices_logic],
    ));
    t.resource(resource(
        prod,
        "rg-shipments-prod",
        aks,
        "aks-shipments-prod",
        true,
        &[],
    ));
    t.resource(resource(
        prod,
        aks_node_group,
        "Microsoft.Compute/virtualMachineScaleSets",
        "aks-nodepool1-31415926-vmss",
        false,
        &[&id_aks_kubelet],
    ));
    t.resource(resource(
        prod,
        "rg-legacy-prod",
        vm,
        "vm-ftp-bridge-01",
        true,
        &[],
    ));
    let rg = "rg-payroll-prod";
    t.resource(resource(
        prod,
        rg,
        web,
        "app-payroll-api",
        true,
        &[&id_payroll],
    ));
    t.resource(resource(
        prod,
        rg,
        vm,
        "vm-payroll-batch-01",
        false,
        &[&id_payroll],
    ));
    let rg = "rg-integration-prod";
    t.resource(resource(
        prod,
        rg,
        "Microsoft.ApiManagement/service",
        "apim-fabrikam-prod",
        true,
        &[],
    ));
    t.resource(resource(
        prod,
        rg,
        web,
        "edi-connector-web",
        false,
        &[&id_edi],
    ));
    let rg = "rg-data-prod";
    t.resource(resource(
        prod,
        rg,
        "Microsoft.DataFactory/factories",
        "adf-fabrikam-ingest",
        true,
        &[&id_data],
    ));
    t.resource(resource(
        prod,
        rg,
        web,
        "func-lake-ingest",
        false,
        &[&id_data],
    ));
    t.resource(resource(
        platform,
        "rg-platform-shared",
        "Microsoft.Automation/automationAccounts",
        "aa-fabrikam-runbooks",
        true,
        &[&id_kv_reader],
    ));
    t.resource(Resource {
        location: "northeurope",
        ..resource(
            platform,
            "rg-platform-aks",
            aks,
            "aks-platform-prod",
            true,
            &[],
        )
    });
    t.resource(resource(
        nonprod,
        "rg-orders-dev",
        web,
        "orders-web-dev",
        true,
        &[],
    ));
    t.resource(Resource {
        location: "northeurope",
        ..resource(nonprod, "rg-devbox", vm, "vm-jumpbox-01", true, &[])
    });

    // ---- App registrations (and their service principals) ------------------------------------

    t.app(
        "payroll-api",
        App {
            secrets: vec![secret("payroll-prod-2025", 5, 180)],
            fics: vec![
                github(
                    "payroll-production",
                    "repo:fabrikam/payroll:environment:production",
                )
                .described("GitHub Actions deployments to the production environment"),
            ],
            ..created(-1210)
        },
    );
    t.app(
        "orders-web",
        App {
            secrets: vec![secret("orders-web-prod", 210, 365)],
            certs: vec![cert("orders-web.fabrikam-logistics.example", 300, 730)],
            ..created(-1460)
        },
    );
    t.app(
        "invoice-worker",
        App {
            secrets: vec![
                secret("invoice-worker-2024", -3, 365),
                secret("invoice-worker-2025", 362, 365),
            ],
            ..created(-1000)
        },
    );
    t.app(
        "github-deploy-infra",
        App {
            secrets: vec![secret("bootstrap-do-not-use", -120, 90)],
            fics: vec![
                github("infra-main", "repo:fabrikam/infra:ref:refs/heads/main")
                    .described("Terraform apply from the main branch"),
                flexible(
                    "infra-any-branch",
                    GITHUB_ISSUER,
                    "claims['sub'] matches 'repo:fabrikam/infra:ref:refs/heads/*'",
                )
                .described("Flexible FIC: plan on every branch"),
            ],
            ..created(-520)
        },
    );
    t.app(
        "web-frontend-ci",
        App {
            fics: vec![
                github("web-pull-requests", "repo:fabrikam/web:pull_request"),
                github("web-main", "repo:fabrikam/web:ref:refs/heads/main"),
            ],
            ..created(-400)
        },
    );
    t.app(
        "driver-app-release",
        App {
            fics: vec![github(
                "driver-app-v1-2-0",
                "repo:fabrikam/driver-app:ref:refs/tags/v1.2.0",
            )],
            ..created(-300)
        },
    );
    t.app(
        "payments-api",
        App {
            certs: vec![cert("payments-api.fabrikam-logistics.example", 420, 730)],
            fics: vec![
                github(
                    "payments-api-main",
                    "repo:fabrikam@5544123/payments-api@821093847:ref:refs/heads/main",
                )
                .described("Immutable owner/repository ids (GitHub's new subject format)"),
            ],
            ..created(-640)
        },
    );
    t.app(
        "aks-shipments",
        App {
            secrets: vec![secret("shipments-api-k8s-secret", 140, 365)],
            fics: vec![k8s(
                "aks-shipments-prod-api",
                &aks_shipments,
                "shipments",
                "shipments-api",
            )],
            ..created(-880)
        },
    );
    const PLATFORM_NAMESPACES: [&str; 19] = [
        "analytics",
        "billing",
        "cert-manager",
        "customs",
        "external-dns",
        "fleet",
        "ingress-nginx",
        "invoices",
        "keda",
        "monitoring",
        "notifications",
        "orders",
        "payroll",
        "pricing",
        "returns",
        "routing",
        "tracking",
        "warehouse",
        "yard",
    ];
    t.app(
        "aks-platform-workloads",
        App {
            fics: PLATFORM_NAMESPACES
                .iter()
                .map(|ns| {
                    let name = format!("aks-platform-prod-{ns}");
                    k8s(name, &aks_platform, ns, "workload-identity-sa")
                })
                .collect(),
            ..created(-450)
        },
    );
    let entra = entra_issuer(&tenant);
    let edi_principal = t.principal("id-edi-connector");
    t.app(
        "customs-edi-connector",
        App {
            audience: "AzureADMultipleOrgs",
            fics: vec![
                fic("mi-id-edi-connector", entra.as_str(), edi_principal)
                    .described("Managed identity id-edi-connector as a federated credential"),
            ],
            ..created(-560)
        },
    );
    t.app(
        "carrier-portal-connector",
        App {
            audience: "AzureADMultipleOrgs",
            secrets: vec![
                secret("carrier-portal-2025", 19, 365),
                secret("carrier-portal-2026", 340, 365),
            ],
            ..created(-900)
        },
    );
    t.app(
        "legacy-ftp-bridge",
        App {
            secrets: vec![
                unnamed_secret("initial", -430, 730).without_hint(),
                Secret {
                    end: End::Never,
                    start: Some(Day::Offset(-1500)),
                    ..secret("ftp-bridge-forever", 0, 365)
                },
            ],
            ..created(-2400)
        },
    );
    t.app(
        "gitlab-analytics-ci",
        App {
            fics: vec![fic(
                "gitlab-analytics-main",
                "https://gitlab.com",
                "project_path:fabrikam-group/analytics:ref_type:branch:ref:main",
            )],
            ..created(-350)
        },
    );
    t.app(
        "terraform-cloud-landing-zones",
        App {
            fics: vec![
                fic(
                    "tfc-lz-prod-plan",
                    terraform,
                    "organization:fabrikam:project:landing-zones:workspace:lz-prod:run_phase:plan",
                ),
                fic(
                    "tfc-lz-prod-apply",
                    terraform,
                    "organization:fabrikam:project:landing-zones:workspace:lz-prod:run_phase:apply",
                ),
            ],
            ..created(-610)
        },
    );
    t.app(
        "gcp-bigquery-export",
        App {
            fics: vec![
                fic(
                    "gcp-bq-exporter-sa",
                    "https://accounts.google.com",
                    "113374589223017726458",
                )
                .described(
                    "Google service account bq-exporter@fabrikam-analytics.iam.gserviceaccount.com",
                ),
            ],
            ..created(-280)
        },
    );
    t.app(
        "ado-service-connection-prod",
        App {
            fics: vec![
                fic(
                    "ado-logistics-platform-arm-prod",
                    format!(
                        "https://vstoken.dev.azure.com/{}",
                        gid(&["ado-org", "fabrikam"])
                    ),
                    "sc://fabrikam/logistics-platform/arm-prod",
                )
                .described("Azure DevOps service connection"),
            ],
            ..created(-330)
        },
    );
    t.app(
        "hr-onboarding-sync",
        App {
            secrets: vec![Secret {
                end: End::On(Day::On(2027, Month::March, 1)),
                start: Some(Day::On(2025, Month::March, 1)),
                ..secret("hr-sync-24-months", 0, 365)
            }],
            ..created(-1100)
        },
    );
    t.app(
        "fleet-telemetry-api",
        App {
            certs: vec![
                cert("fleet-telemetry-2025", 40, 365),
                cert("fleet-telemetry-2026", 360, 365),
            ],
            ..created(-990)
        },
    );
    t.app(
        "customs-declarations-signer",
        App {
            certs: vec![cert("customs-signer.fabrikam-logistics.example", 18, 365)],
            ..created(-760)
        },
    );
    t.app(
        "edi-as2-gateway",
        App {
            certs: vec![cert("as2.fabrikam-logistics.example", -12, 730)],
            ..created(-1300)
        },
    );
    t.app(
        "pricing-engine",
        App {
            certs: vec![cert("pricing-engine", 250, 365)],
            ..created(-510)
        },
    );
    t.app(
        "sharepoint-archive-bot",
        App {
            secrets: vec![secret("archive-bot", 12, 180)],
            ..created(-700)
        },
    );
    t.app(
        "teams-shift-notifier",
        App {
            secrets: vec![secret("teams-notifier", 27, 365)],
            ..created(-380)
        },
    );
    t.app(
        "servicenow-incident-bridge",
        App {
            secrets: vec![secret("snow-bridge-prod", 2, 365)],
            ..created(-820)
        },
    );
    t.app(
        "backup-reporting",
        App {
            secrets: vec![secret("backup-reporting", 95, 365)],
            sp_secrets: vec![secret("sp-reporting-key", 45, 180)],
            ..created(-670)
        },
    );
    t.app(
        "café-menu-sync",
        App {
            secrets: vec![secret("menu-sync", 150, 365)],
            ..created(-220)
        },
    );
    t.app(
        "fabrikam-logistics-european-warehouse-management-system-integration-prod",
        App {
            secrets: vec![secret("wms-eu-integration", 700, 1095)],
            ..created(-1050)
        },
    );
    t.app(
        "grafana-azure-monitor",
        App {
            secrets: vec![secret("grafana", 260, 365)],
            ..created(-590)
        },
    );
    t.app(
        "powerbi-embedded-reports",
        App {
            secrets: vec![secret("powerbi-embed", 80, 365)],
            certs: vec![cert(
                "powerbi-embedded.fabrikam-logistics.example",
                500,
                730,
            )],
            ..created(-720)
        },
    );
    t.app(
        "carrier-rates-scraper",
        App {
            secrets: vec![secret("rates-scraper", -60, 365)],
            sp_enabled: false,
            ..created(-940)
        },
    );
    t.app("mobile-driver-app", created(-800));
    t.app(
        "warehouse-scanner-sync",
        App {
            secrets: vec![
                unnamed_secret("initial", 400, 730),
                secret("scanner-2025", 230, 365),
            ],
            ..created(-1400)
        },
    );
    t.app(
        "sap-erp-connector",
        App {
            secrets: vec![
                secret("sap-2023", -200, 365),
                secret("sap-2024", 170, 365),
                secret("sap-2025-24m", 520, 730),
            ],
            sp_secrets: vec![unnamed_secret("sp-initial", 300, 365)],
            ..created(-1700)
        },
    );
    t.app(
        "routing-optimizer",
        App {
            secrets: vec![secret("routing-prod", 55, 180)],
            fics: vec![github(
                "routing-main",
                "repo:fabrikam/routing:ref:refs/heads/main",
            )],
            ..created(-460)
        },
    );
    t.app(
        "tracking-api",
        App {
            fics: vec![
                github(
                    "tracking-main",
                    "repo:fabrikam/tracking:ref:refs/heads/main",
                ),
                github(
                    "tracking-staging",
                    "repo:fabrikam/tracking:environment:staging",
                ),
            ],
            ..created(-420)
        },
    );
    t.app(
        "customer-notifications",
        App {
            secrets: vec![secret("notifications-prod", 6, 365)],
            ..created(-600)
        },
    );
    // FICs with the mistakes Entra accepts at creation and that only fail at token exchange.
    t.app(
        "mobile-api-ci",
        App {
            fics: vec![
                github(
                    "mobile-api-pull-requests",
                    "repo:fabrikam/mobile-api:pull-request",
                ),
                fic(
                    "mobile-api-main",
                    format!("{GITHUB_ISSUER}/"),
                    "repo:fabrikam/mobile-api:ref:refs/heads/main",
                )
                .described("Issuer copied from prose with a trailing slash"),
                Fic {
                    audiences: Some("https://github.com/fabrikam"),
                    ..github(
                        "mobile-api-release",
                        "repo:fabrikam/mobile-api:ref:refs/tags/release",
                    )
                    .described("Audience left at GitHub's default")
                },
                github("mobile-api-nightly", "repo:fabrikam/mobile-api:ref:nightly"),
            ],
            ..created(-240)
        },
    );
    // The same trust added twice under two names.
    let returns = "repo:fabrikam/returns-portal:environment:production";
    t.app(
        "returns-portal-deploy",
        App {
            fics: vec![
                github("returns-portal-production", returns),
                github("returns-portal-prod-deploy", returns),
            ],
            ..created(-310)
        },
    );
    // A managed identity as FIC that cannot work: the subject is a system-assigned identity.
    let func_invoices = t.principal("mi:func-invoices");
    t.app(
        "invoice-archive-exporter",
        App {
            fics: vec![
                fic("mi-func-invoices", entra.as_str(), func_invoices)
                    .described("System-assigned identity of func-invoices"),
            ],
            ..created(-200)
        },
    );
    // An Application Proxy app: its secrets are created and rotated by App Proxy itself.
    t.app(
        "intranet-app-proxy",
        App {
            secrets: vec![
                unnamed_secret("app-proxy-1", -25, 365),
                unnamed_secret("app-proxy-2", 340, 365),
            ],
            sp_tags: &[
                "WindowsAzureActiveDirectoryOnPremApp",
                "WindowsAzureActiveDirectoryIntegratedApp",
            ],
            ..created(-900)
        },
    );
    // App registrations without a service principal in this tenant.
    t.app(
        "payroll-api-sandbox",
        App {
            secrets: vec![secret("sandbox", 70, 90)],
            sp: false,
            ..created(-150)
        },
    );
    t.app(
        "old-intranet-poc",
        App {
            sp: false,
            ..created(-2100)
        },
    );
    t.app(
        "test-app-do-not-delete",
        App {
            secrets: vec![unnamed_secret("initial", -610, 365).without_hint()],
            sp: false,
            ..created(-1800)
        },
    );

    // ---- Service principals with no app registration here -----------------------------------

    t.third_party_sp("Northwind Cloud Monitoring", "northwind", &[], &[]);
    t.third_party_sp("Contoso Freight Rates", "contoso", &[], &[]);
    // A SAML SSO gallery app: the SP holds its own signing certificate and its password.
    let sso = "Microsoft Azure Federated SSO Certificate";
    t.third_party_sp(
        "Tailwind HR Cloud",
        "tailwind",
        &[unnamed_secret("saml-signing", 640, 1095)],
        &[
            Cert {
                usage: "Sign",
                ..cert(sso, 640, 1095)
            },
            cert(sso, 640, 1095),
        ],
    );
    t.third_party_sp("Litware Expense Sync", "litware", &[], &[]);
    // Microsoft's own applications: their credentials are Microsoft's to manage.
    t.first_party_sp(
        "Microsoft Graph",
        "00000003-0000-0000-c000-000000000000",
        &[cert("graph.microsoft.com", -40, 365)],
    );
    t.first_party_sp(
        "Office 365 Exchange Online",
        "00000002-0000-0ff1-ce00-000000000000",
        &[cert("outlook.office365.com", 4, 365)],
    );
    t.third_party_sp("Adatum Backup as a Service", "adatum", &[], &[]);
    // A Legacy principal (created with the MSOnline module long ago) with its own secrets.
    t.push_sp(
        "FabrikamBatchScheduler",
        gid(&["legacy", "FabrikamBatchScheduler", "appId"]),
        ServicePrincipalType::Legacy,
        None,
        &[
            unnamed_secret("2022", -900, 365).without_hint(),
            unnamed_secret("2024", 120, 730).without_hint(),
        ],
        &[],
    );
    // A principal type this build does not know: it must be kept as it came.
    t.push_sp(
        "procurement-assistant-agent",
        gid(&["agent", "procurement-assistant-agent", "appId"]),
        ServicePrincipalType::Other("AgentIdentity".into()),
        Some(tenant.clone()),
        &[],
        &[],
    );

    // ---- Role assignments --------------------------------------------------------------------

    let sub = subscription_scope;
    let rg = resource_group_id;
    let grants: Vec<(&str, &str, String)> = vec![
        ("github-deploy-infra", "Owner", sub(prod)), // the risky one
        (
            "terraform-cloud-landing-zones",
            "Contributor",
            sub(platform),
        ),
        (
            "terraform-cloud-landing-zones",
            "User Access Administrator",
            sub(platform),
        ),
        (
            "id-terraform-platform",
            "Contributor",
            rg(platform, "rg-platform-shared"),
        ),
        (
            "id-github-platform-deploy",
            "Contributor",
            rg(platform, "rg-platform-aks"),
        ),
        ("id-github-platform-deploy", "AcrPush", acr.clone()),
        ("payroll-api", "Key Vault Secrets User", kv_payroll.clone()),
        (
            "payroll-api",
            "Storage Blob Data Contributor",
            st_payroll.clone(),
        ),
        (
            "mi:app-payroll-api",
            "Key Vault Secrets User",
            kv_payroll.clone(),
        ),
        (
            "id-payroll-batch",
            "Storage Blob Data Contributor",
            st_payroll.clone(),
        ),
        ("orders-web", "Reader", rg(prod, "rg-orders-prod")),
        (
            "orders-web",
            "Azure Service Bus Data Sender",
            sb_orders.clone(),
        ),
        ("orders-web", "Key Vault Secrets User", kv_orders.clone()),
        (
            "id-orders-shared",
            "Key Vault Secrets User",
            kv_orders.clone(),
        ),
        ("mi:orders-web", "Storage Blob Data Reader", st_lake.clone()),
        (
            "id-orders-shared",
            "Azure Service Bus Data Sender",
            sb_orders.clone(),
        ),
        ("id-orders-shared", "AcrPull", acr.clone()),
        (
            "mi:orders-web/slots/staging",
            "Key Vault Secrets User",
            kv_orders.clone(),
        ),
        (
            "mi:func-order-events",
            "Azure Service Bus Data Receiver",
            sb_orders.clone(),
        ),
        (
            "mi:vm-orders-batch-01",
            "Storage Blob Data Reader",
            st_lake.clone(),
        ),
        (
            "invoice-worker",
            "Storage Queue Data Contributor",
            st_invoices.clone(),
        ),
        (
            "invoice-worker",
            "Azure Service Bus Data Receiver",
            sb_orders.clone(),
        ),
        (
            "mi:func-invoices",
            "Storage Blob Data Contributor",
            st_invoices.clone(),
        ),
        (
            "mi:logic-invoice-approvals",
            "Storage Blob Data Reader",
            st_invoices.clone(),
        ),
        (
            "id-invoices-logic",
            "Storage Queue Data Contributor",
            st_invoices.clone(),
        ),
        (
            "aks-shipments",
            "Azure Service Bus Data Sender",
            sb_shipments.clone(),
        ),
        (
            "id-shipments-workload",
            "Azure Service Bus Data Sender",
            sb_shipments.clone(),
        ),
        (
            "id-shipments-workload",
            "Azure Service Bus Data Receiver",
            sb_shipments.clone(),
        ),
        ("aks-shipments-prod-agentpool", "AcrPull", acr.clone()),
        (
            "mi:aks-shipments-prod",
            "Contributor",
            rg(prod, aks_node_group),
        ),
        (
            "aks-platform-workloads",
            "Key Vault Secrets User",
            kv_platform.clone(),
        ),
        (
            "mi:aks-platform-prod",
            "Reader",
            rg(platform, "rg-platform-aks"),
        ),
        (
            "legacy-ftp-bridge",
            "Contributor",
            rg(prod, "rg-legacy-prod"),
        ),
        (
            "legacy-ftp-bridge",
            "Storage Blob Data Contributor",
            st_ftp.clone(),
        ),
        ("mi:vm-ftp-bridge-01", "Reader", rg(prod, "rg-legacy-prod")),
        (
            "id-data-lake-ingest",
            "Storage Blob Data Contributor",
            st_lake.clone(),
        ),
        (
            "mi:adf-fabrikam-ingest",
            "Storage Blob Data Contributor",
            st_lake.clone(),
        ),
        (
            "gcp-bigquery-export",
            "Storage Blob Data Reader",
            st_lake.clone(),
        ),
        (
            "gitlab-analytics-ci",
            "Storage Blob Data Contributor",
            st_lake.clone(),
        ),
        (
            "ado-service-connection-prod",
            "Contributor",
            rg(prod, "rg-orders-prod"),
        ),
        (
            "web-frontend-ci",
            "Website Contributor",
            orders_web_id.clone(),
        ),
        (
            "web-frontend-ci",
            "Contributor",
            rg(nonprod, "rg-orders-dev"),
        ),
        ("driver-app-release", "AcrPush", acr.clone()),
        ("tracking-api", "AcrPush", acr.clone()),
        ("payments-api", "Key Vault Secrets User", kv_orders.clone()),
        (
            "id-keyvault-reader",
            "Key Vault Secrets User",
            kv_platform.clone(),
        ),
        (
            "mi:aa-fabrikam-runbooks",
            "Virtual Machine Contributor",
            sub(nonprod),
        ),
        ("grafana-azure-monitor", "Monitoring Reader", sub(prod)),
        ("grafana-azure-monitor", "Monitoring Reader", sub(platform)),
        ("Northwind Cloud Monitoring", "Monitoring Reader", sub(prod)),
        ("Adatum Backup as a Service", "Reader", sub(prod)),
        (
            "FabrikamBatchScheduler",
            "Contributor",
            rg(prod, "rg-orders-prod"),
        ),
        (
            "sap-erp-connector",
            "Azure Service Bus Data Sender",
            sb_orders.clone(),
        ),
        ("backup-reporting", "Reader", sub(prod)),
        (
            "id-edi-connector",
            "Key Vault Secrets User",
            kv_orders.clone(),
        ),
        (
            "customs-declarations-signer",
            "Key Vault Crypto User",
            kv_orders.clone(),
        ),
        ("mi:orders-web-dev", "Reader", rg(nonprod, "rg-orders-dev")),
        ("mi:vm-jumpbox-01", "Reader", sub(nonprod)),
        (
            "id-migration-temp",
            "Contributor",
            rg(nonprod, "rg-orders-dev"),
        ),
        (
            "mi:apim-fabrikam-prod",
            "Key Vault Secrets User",
            kv_orders.clone(),
        ),
        (
            "mi:sql-fabrikam-orders",
            "Key Vault Crypto User",
            kv_orders.clone(),
        ),
        (
            "carrier-rates-scraper",
            "Reader",
            rg(nonprod, "rg-orders-dev"),
        ),
        (
            "routing-optimizer",
            "Key Vault Secrets Officer",
            kv_orders.clone(),
        ),
    ];
    for (principal, role, scope) in &grants {
        t.grant(principal, role, scope);
    }
    t.snapshot.usage = usage(&t.snapshot);
    t.snapshot
}

/// The demo's sign-in evidence, as a load of the three sources would find it at the anchor:
/// the credential report and the service principal report read, and 30 days of the sign-in
/// log. It shows last use per credential (from the report, with its origin, and from the log,
/// federated credentials by their id), a secret still signing in beside the federated
/// credential meant to replace it (payroll-api: `secret-in-use-beside-replacement`), a secret
/// beside a certificate unused for 120 days (orders-web: `credential-unused`, "safe to
/// remove"), an expired secret something still presents (invoice-worker), and credentials the
/// data says nothing about.
fn usage(s: &TenantSnapshot) -> UsageData {
    // `n` days (and a few hours) before the anchor, so "120 days ago" is 120 whole days.
    let day = |n: i64, key: &str| {
        let h = sha256(&format!("signin/{key}"));
        ANCHOR + Duration::days(n)
            - Duration::hours(1 + i64::from(h[0] % 8))
            - Duration::minutes(i64::from(h[1] % 60))
    };
    let app = |name: &str| s.applications.iter().find(|a| a.display_name == name);
    let app_id = |name: &str| app(name).map(|a| a.app_id.clone()).unwrap_or_default();
    let secret_key = |owner: &str, display: &str| {
        app(owner)
            .and_then(|a| {
                a.password_credentials
                    .iter()
                    .find(|c| c.display_name.as_deref() == Some(display))
            })
            .map(|c| c.key_id.clone())
            .unwrap_or_default()
    };
    let cert_key = |owner: &str| {
        app(owner)
            .and_then(|a| a.key_credentials.first())
            .map(|c| c.key_id.clone())
            .unwrap_or_default()
    };
    let fic_id = |owner: &str, name: &str| {
        app(owner)
            .and_then(|a| {
                a.federated_identity_credentials
                    .iter()
                    .find(|f| f.name == name)
            })
            .and_then(|f| f.id.clone())
            .unwrap_or_default()
    };
    let report = |owner: &str, t: CredentialType, key: String, days: i64| CredentialActivity {
        source: UsageSource::CredentialReport,
        credential_type: t,
        last_sign_in: Some(day(days, &key)),
        last_request_id: Some(gid(&["signin-request", &key])),
        app_id: Some(app_id(owner)),
        owner_id: app(owner).map(|a| a.id.clone()),
        origin: Some(CredentialOrigin::Application),
        thumbprint: None,
        last_failure: None,
        key,
    };
    let log =
        |owner_app_id: String, t: CredentialType, key: String, days: i64| CredentialActivity {
            source: UsageSource::SignInLog,
            credential_type: t,
            last_sign_in: Some(day(days, &key)),
            last_request_id: Some(gid(&["signin-request", &key])),
            app_id: Some(owner_app_id),
            owner_id: None,
            origin: None,
            thumbprint: None,
            last_failure: None,
            key,
        };
    use CredentialType::{Certificate, Federated, Secret};
    let uami_client = |name: &str| {
        s.user_assigned_identities
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.client_id.clone())
            .unwrap_or_default()
    };
    let mut credentials = vec![
        // payroll-api: the GitHub credential signs in, and so — after it — does the secret.
        report(
            "payroll-api",
            Secret,
            secret_key("payroll-api", "payroll-prod-2025").to_string(),
            -1,
        ),
        log(
            app_id("payroll-api"),
            Secret,
            secret_key("payroll-api", "payroll-prod-2025").to_string(),
            -1,
        ),
        log(
            app_id("payroll-api"),
            Federated,
            fic_id("payroll-api", "payroll-production"),
            -3,
        ),
        // orders-web: the certificate does the work; the secret has been idle for 120 days.
        report(
            "orders-web",
            Secret,
            secret_key("orders-web", "orders-web-prod").to_string(),
            -120,
        ),
        report(
            "orders-web",
            Certificate,
            cert_key("orders-web").to_string(),
            -1,
        ),
        // invoice-worker: the new secret signs in; the expired one is still presented.
        report(
            "invoice-worker",
            Secret,
            secret_key("invoice-worker", "invoice-worker-2025").to_string(),
            -1,
        ),
        report(
            "invoice-worker",
            Secret,
            secret_key("invoice-worker", "invoice-worker-2024").to_string(),
            -4,
        ),
        report(
            "payments-api",
            Certificate,
            cert_key("payments-api").to_string(),
            -2,
        ),
        log(
            app_id("payments-api"),
            Federated,
            fic_id("payments-api", "payments-api-main"),
            -2,
        ),
        log(
            app_id("github-deploy-infra"),
            Federated,
            fic_id("github-deploy-infra", "infra-main"),
            -10,
        ),
        log(
            app_id("github-deploy-infra"),
            Federated,
            fic_id("github-deploy-infra", "infra-any-branch"),
            -1,
        ),
        log(
            app_id("web-frontend-ci"),
            Federated,
            fic_id("web-frontend-ci", "web-main"),
            -2,
        ),
        log(
            app_id("web-frontend-ci"),
            Federated,
            fic_id("web-frontend-ci", "web-pull-requests"),
            -6,
        ),
        // A user-assigned identity's FIC has no Graph id: the log is taken to name it.
        log(
            uami_client("id-github-platform-deploy"),
            Federated,
            "platform-tools-main".into(),
            -4,
        ),
    ];
    credentials.push(CredentialActivity {
        last_failure: Some(day(-1, "invoice-worker-2024-failed")),
        ..log(
            app_id("invoice-worker"),
            Secret,
            secret_key("invoice-worker", "invoice-worker-2024").to_string(),
            -4,
        )
    });
    let identity = |name: &str, client: String, days: i64| IdentityActivity {
        source: UsageSource::ServicePrincipalReport,
        service_principal_id: None,
        last_app_only: Some(day(days, name)),
        last_any: Some(day(days, name)),
        app_id: client,
    };
    let identities = vec![
        identity("payroll-api", app_id("payroll-api"), -1),
        identity("orders-web", app_id("orders-web"), -1),
        identity("invoice-worker", app_id("invoice-worker"), -1),
        identity("payments-api", app_id("payments-api"), -2),
        identity("web-frontend-ci", app_id("web-frontend-ci"), -2),
        identity("github-deploy-infra", app_id("github-deploy-infra"), -1),
        identity(
            "id-github-platform-deploy",
            uami_client("id-github-platform-deploy"),
            -4,
        ),
    ];
    UsageData {
        collected_at: Some(ANCHOR),
        sources: vec![
            SourceStatus::read(UsageSource::CredentialReport, None, 1),
            SourceStatus::read(UsageSource::ServicePrincipalReport, None, 1),
            SourceStatus::read(UsageSource::SignInLog, Some(ANCHOR - Duration::days(30)), 1),
        ],
        credentials,
        identities,
    }
}

/// The GitHub repositories the demo's federated credentials name, with made-up ids, for a
/// GitHub stand-in (`credwise_test_kit::github`) serving the demo's immutable-subject
/// migrations: `(owner, owner id, repository, repository id)`.
pub fn github_repositories() -> Vec<(&'static str, u64, &'static str, u64)> {
    const FABRIKAM: u64 = 5_544_123;
    vec![
        ("fabrikam", FABRIKAM, "payroll", 731_002_101),
        ("fabrikam", FABRIKAM, "infra", 731_002_102),
        ("fabrikam", FABRIKAM, "web", 731_002_103),
        ("fabrikam", FABRIKAM, "driver-app", 731_002_104),
        ("fabrikam", FABRIKAM, "payments-api", 821_093_847),
        ("fabrikam", FABRIKAM, "mobile-api", 731_002_105),
        ("fabrikam", FABRIKAM, "returns-portal", 731_002_106),
        ("fabrikam", FABRIKAM, "platform-tools", 731_002_107),
        ("fabrikam", FABRIKAM, "routing", 731_002_108),
        ("fabrikam", FABRIKAM, "tracking", 731_002_109),
    ]
}

/// The demo tenant as the bytes of `assets/demo-tenant.json`.
pub fn asset_bytes() -> Vec<u8> {
    snapshot_file::to_bytes(&snapshot())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gids_are_name_based_and_look_random() {
        // Python: uuid.UUID(bytes=uuid.uuid5(uuid.uuid5(NAMESPACE_DNS, DOMAIN), "tenant").bytes, version=4)
        assert_eq!(gid(&["tenant"]), "e08eb884-c14e-4104-9a5a-3a8c10881fd0");
        assert_eq!(gid(&["tenant"]), gid(&["tenant"]));
        assert_ne!(gid(&["tenant"]), gid(&["tenants"]));
    }

    #[test]
    fn the_committed_asset_is_what_this_file_builds() {
        let committed = include_bytes!("../../../assets/demo-tenant.json");
        let built = asset_bytes();
        if built != committed {
            let built = String::from_utf8_lossy(&built);
            let committed = String::from_utf8_lossy(committed);
            let line = built
                .lines()
                .zip(committed.lines())
                .position(|(a, b)| a != b)
                .map_or(built.lines().count().min(committed.lines().count()), |n| n);
            panic!(
                "assets/demo-tenant.json differs from the demo builder at line {}:\n built:     {:?}\n committed: {:?}\n\
                 regenerate it with `cargo run -p credwise-test-kit --example demo_tenant`",
                line + 1,
                built.lines().nth(line),
                committed.lines().nth(line)
            );
        }
    }
}
