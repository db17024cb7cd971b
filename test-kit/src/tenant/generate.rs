//! A generator of large, realistic tenants for the performance benchmarks (`benches/`) and for
//! tests that need volume (`TenantSpec`, `generate_tenant`, `add_agent_identities`).
//!
//! The output depends only on the spec (with its seed) and `now`: a tiny inline PRNG
//! (splitmix64) drives every choice, so a benchmark run measures the same tenant every time
//! without a dependency on `rand`. Names are built from word lists so that the `/` filter has
//! realistic, varied text to match, and end dates spread around `now` so every expiry status
//! (expired, expiring soon, healthy, "never") is present. Azure facts and object shapes come
//! from `super::shared`, as the demo tenant's do.

use std::collections::BTreeMap;

use time::Duration;

use credwise::domain::usage::{
    CredentialActivity, CredentialOrigin, IdentityActivity, SourceStatus, UsageData, UsageSource,
};
use credwise::domain::{
    Application, AzureResource, CredentialType, FederatedIdentityCredential, KeyCredential,
    PasswordCredential, ResourceIdentity, RoleAssignment, ServicePrincipal, ServicePrincipalType,
    SnapshotSource, TenantSnapshot, Timestamp, UserAssignedIdentity,
};

use super::shared::{
    GITHUB_ISSUER, MICROSOFT_SERVICES_TENANT, NEVER, TOKEN_EXCHANGE, aks_issuer, base64,
    entra_issuer, managed_identity_principal, resource_group_id, role_assignment,
    service_principal,
};

/// How big a tenant to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantSpec {
    pub applications: usize,
    /// Every service principal: those of the tenant's own apps, managed identities, third-party
    /// applications and legacy principals.
    pub service_principals: usize,
    /// Secrets, certificates and federated identity credentials together, as
    /// `TenantSnapshot::credential_count` counts them.
    pub credentials: usize,
    pub seed: u64,
}

impl TenantSpec {
    /// The large tenant the performance budgets are stated for.
    pub fn budget() -> Self {
        Self {
            applications: 50_000,
            service_principals: 100_000,
            credentials: 200_000,
            seed: 0x00C0_FFEE_CAFE_F00D,
        }
    }
}

/// The tenant described by `spec`, with dates around `now`.
///
/// The counts are exact as long as the credentials fit under the per-object caps (20 FICs
/// per application or identity, 40 secrets or certificates per object); a spec that asks for
/// more gets as many as fit.
pub fn generate_tenant(spec: &TenantSpec, now: Timestamp) -> TenantSnapshot {
    let mut g = Gen::new(spec, now);
    g.applications(spec.applications);
    let plan = SpPlan::new(spec.applications, spec.service_principals);
    g.own_app_principals(plan.own_apps);
    g.user_assigned(plan.user_assigned);
    g.system_assigned(plan.system_assigned);
    g.user_assigned_only_resources(plan.user_assigned / 2);
    g.third_party(plan.third_party);
    g.legacy(plan.legacy);
    g.credentials(spec.credentials);
    g.role_assignments();
    g.finish()
}

/// Adds what real tenants now hold beside apps and principals: `count` agent identities
/// (`#microsoft.graph.agentIdentity`, `servicePrincipalType` `ServiceIdentity`, no `appId`:
/// Graph's agentIdentity resource and its list example), each with the blueprint they come
/// from as an application (`#microsoft.graph.agentIdentityBlueprint`) and its principal
/// (`#microsoft.graph.agentIdentityBlueprintPrincipal`). Ids are derived from `seed`, so the
/// result is as repeatable as `generate_tenant`'s. Kept apart from `generate_tenant` so the
/// budget tenants of the benchmarks stay what they were.
pub fn add_agent_identities(snapshot: &mut TenantSnapshot, count: usize, seed: u64) {
    if count == 0 {
        return;
    }
    let mut rng = Rng(seed ^ 0xA6E7_1D00);
    let tenant = snapshot.tenant_id.clone();
    let blueprint_app_id = rng.guid();
    snapshot.applications.push(Application {
        id: rng.guid(),
        app_id: blueprint_app_id.clone(),
        display_name: "agent-blueprint-support".into(),
        sign_in_audience: Some("AzureADMyOrg".into()),
        publisher_domain: None,
        created_date_time: None,
        password_credentials: Vec::new(),
        key_credentials: Vec::new(),
        federated_identity_credentials: Vec::new(),
        odata_type: Some("#microsoft.graph.agentIdentityBlueprint".into()),
    });
    snapshot.service_principals.push(ServicePrincipal {
        app_owner_organization_id: Some(tenant.into()),
        odata_type: Some("#microsoft.graph.agentIdentityBlueprintPrincipal".into()),
        ..service_principal(
            rng.guid(),
            blueprint_app_id,
            "agent-blueprint-support".into(),
            ServicePrincipalType::Other("AgentIdentityBlueprintPrincipal".into()),
        )
    });
    for i in 0..count {
        snapshot.service_principals.push(ServicePrincipal {
            odata_type: Some("#microsoft.graph.agentIdentity".into()),
            ..service_principal(
                rng.guid(),
                String::new(),
                format!("support-agent-{i:03}"),
                ServicePrincipalType::Other("ServiceIdentity".into()),
            )
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Word lists. Big enough that names repeat only partly, as in a real tenant.

const DOMAINS: &[&str] = &[
    "payroll",
    "orders",
    "invoices",
    "billing",
    "inventory",
    "shipping",
    "customer",
    "catalog",
    "search",
    "identity",
    "reporting",
    "analytics",
    "ledger",
    "pricing",
    "checkout",
    "fulfilment",
    "returns",
    "loyalty",
    "marketing",
    "crm",
    "hr",
    "timesheet",
    "expenses",
    "procurement",
    "warehouse",
    "fleet",
    "telemetry",
    "notifications",
    "email",
    "sms",
    "documents",
    "archive",
    "backup",
    "monitoring",
    "logging",
    "gateway",
    "portal",
    "mobile",
    "partner",
    "supplier",
    "contracts",
    "claims",
    "policy",
    "risk",
    "fraud",
    "payments",
    "treasury",
    "tax",
    "audit",
    "compliance",
    "onboarding",
    "scheduler",
    "datalake",
    "forecast",
    "recommend",
    "chat",
    "kb",
    "booking",
    "tickets",
    "assets",
];

const COMPONENTS: &[&str] = &[
    "api",
    "worker",
    "web",
    "func",
    "job",
    "sync",
    "etl",
    "bot",
    "cli",
    "daemon",
    "gateway",
    "admin",
    "connector",
    "importer",
    "exporter",
    "service",
    "processor",
    "ui",
];

/// Words written in capitals in "Title Case" display names.
const ACRONYMS: &[&str] = &["api", "etl", "crm", "hr", "sms", "kb", "ui", "cli"];

const ENVS: &[&str] = &["prod", "dev", "test", "staging", "uat", "qa"];

const TEAMS: &[&str] = &[
    "fin", "ops", "platform", "data", "sec", "retail", "people", "sales", "mkt", "eng",
];

const GITHUB_ORGS: &[&str] = &["contoso", "contoso-platform", "contoso-data", "fabrikam"];

const LOCATIONS: &[&str] = &[
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "westus2",
    "uksouth",
    "swedencentral",
    "germanywestcentral",
];

const VENDORS: &[&str] = &[
    "Salesforce",
    "ServiceNow",
    "Slack",
    "Zoom",
    "Atlassian Cloud",
    "GitHub Enterprise",
    "Datadog",
    "PagerDuty",
    "Workday",
    "DocuSign",
    "Adobe Acrobat Sign",
    "Box",
    "Dropbox Business",
    "Miro",
    "Figma",
    "Zendesk",
    "HubSpot",
    "Snowflake",
    "Databricks",
    "Tableau",
    "SAP Concur",
    "Cisco Webex",
    "Splunk",
    "New Relic",
    "Twilio",
    "Mailchimp",
    "Asana",
    "Notion",
    "Lucidchart",
    "Greenhouse",
];

const VENDOR_SUFFIXES: &[&str] = &[
    "",
    " SSO",
    " Connector",
    " (EU)",
    " Provisioning",
    " for Teams",
    " Integration",
];

/// `(resource type, name prefix)` of resources that carry a system-assigned identity.
const RESOURCE_TYPES: &[(&str, &str)] = &[
    ("Microsoft.Web/sites", "app"),
    ("Microsoft.Web/sites", "func"),
    ("Microsoft.Compute/virtualMachines", "vm"),
    ("Microsoft.Logic/workflows", "logic"),
    ("Microsoft.App/containerApps", "ca"),
    ("Microsoft.DataFactory/factories", "adf"),
    ("Microsoft.Automation/automationAccounts", "aa"),
    ("Microsoft.Compute/virtualMachineScaleSets", "vmss"),
    ("Microsoft.Sql/servers", "sql"),
];

const SLOTS: &[&str] = &["staging", "canary", "preview", "blue", "green"];

/// Built-in roles the generated assignments grant (`super::shared::BUILT_IN_ROLES` holds their
/// definition ids).
const ROLES: &[&str] = &[
    "Owner",
    "Contributor",
    "Reader",
    "Storage Blob Data Contributor",
    "Storage Blob Data Reader",
    "Key Vault Secrets User",
    "AcrPull",
    "Website Contributor",
    "Azure Service Bus Data Sender",
    "Monitoring Metrics Publisher",
];

const SECRET_LABELS: &[&str] = &[
    "ci-deploy",
    "terraform",
    "manual",
    "postman-test",
    "rotation",
    "backup-key",
    "prod",
    "legacy-client",
];

const DAY: i64 = 86_400;
/// Per-object caps: Entra allows 20 FICs per application or identity; 40 secrets or
/// certificates keeps the heaviest objects plausible.
const FIC_CAP: usize = 20;
const KEY_CAP: usize = 40;

/// Adds sign-in evidence to a generated tenant, as a load of the three sources would find it
/// at `now`: the credential report names about two thirds of the secrets and certificates
/// (last sign-ins spread over the past year, a tenth of them more than 90 days ago), the
/// service principal report every app with a sign-in, and 30 days of the sign-in log name
/// about half the applications' federated credentials. Derived from `seed`; kept apart from
/// `generate_tenant` so the budget tenants of the benchmarks stay what they were.
pub fn add_usage(snapshot: &mut TenantSnapshot, now: Timestamp, seed: u64) {
    let mut rng = Rng(seed ^ 0x05A6_E0DA_7A00);
    let mut credentials = Vec::new();
    let mut identities: BTreeMap<String, Timestamp> = BTreeMap::new();
    let seen = |app_id: &str, at: Timestamp, ids: &mut BTreeMap<String, Timestamp>| {
        let e = ids.entry(app_id.to_string()).or_insert(at);
        if at > *e {
            *e = at;
        }
    };
    let mut report = |rng: &mut Rng,
                      t: CredentialType,
                      key: &str,
                      app_id: &str,
                      owner: &str,
                      origin: CredentialOrigin,
                      ids: &mut BTreeMap<String, Timestamp>| {
        if !rng.chance(0.66) {
            return;
        }
        let days = if rng.chance(0.1) {
            rng.range(91, 365)
        } else {
            rng.range(0, 90)
        };
        let at = now - Duration::days(days) - Duration::minutes(rng.range(0, 1440));
        seen(app_id, at, ids);
        credentials.push(CredentialActivity {
            source: UsageSource::CredentialReport,
            credential_type: t,
            key: key.to_string(),
            thumbprint: None,
            app_id: Some(app_id.to_string()),
            owner_id: Some(owner.to_string()),
            origin: Some(origin),
            last_sign_in: Some(at),
            last_request_id: Some(rng.guid()),
            last_failure: None,
        });
    };
    for a in &snapshot.applications {
        for c in &a.password_credentials {
            let o = CredentialOrigin::Application;
            report(
                &mut rng,
                CredentialType::Secret,
                &c.key_id,
                &a.app_id,
                &a.id,
                o,
                &mut identities,
            );
        }
        for c in &a.key_credentials {
            let o = CredentialOrigin::Application;
            report(
                &mut rng,
                CredentialType::Certificate,
                &c.key_id,
                &a.app_id,
                &a.id,
                o,
                &mut identities,
            );
        }
    }
    for p in &snapshot.service_principals {
        if p.service_principal_type == ServicePrincipalType::ManagedIdentity {
            continue;
        }
        for c in &p.password_credentials {
            let o = CredentialOrigin::ServicePrincipal;
            report(
                &mut rng,
                CredentialType::Secret,
                &c.key_id,
                &p.app_id,
                &p.id,
                o,
                &mut identities,
            );
        }
    }
    for a in &snapshot.applications {
        for f in &a.federated_identity_credentials {
            let Some(id) = f.id.clone() else { continue };
            if !rng.chance(0.5) {
                continue;
            }
            let at = now - Duration::days(rng.range(0, 30)) - Duration::minutes(rng.range(0, 1440));
            seen(&a.app_id, at, &mut identities);
            credentials.push(CredentialActivity {
                source: UsageSource::SignInLog,
                credential_type: CredentialType::Federated,
                key: id,
                thumbprint: None,
                app_id: Some(a.app_id.clone()),
                owner_id: None,
                origin: None,
                last_sign_in: Some(at),
                last_request_id: Some(rng.guid()),
                last_failure: None,
            });
        }
    }
    snapshot.usage = UsageData {
        collected_at: Some(now),
        sources: vec![
            SourceStatus::read(UsageSource::CredentialReport, None, 1),
            SourceStatus::read(UsageSource::ServicePrincipalReport, None, 1),
            SourceStatus::read(UsageSource::SignInLog, Some(now - Duration::days(30)), 1),
        ],
        credentials,
        identities: identities
            .into_iter()
            .map(|(app_id, at)| IdentityActivity {
                source: UsageSource::ServicePrincipalReport,
                app_id,
                service_principal_id: None,
                last_app_only: Some(at),
                last_any: Some(at),
            })
            .collect(),
    };
}

// ---------------------------------------------------------------------------------------------

/// splitmix64: tiny, fast and good enough to make data look random.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by the multiply-shift method (no modulo bias
    /// worth mentioning).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below(hi.saturating_sub(lo).max(1) as usize) as i64
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An element of a non-empty list.
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// A random (version 4) GUID.
    fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// Appends `sp` and returns its index.
fn push_sp(list: &mut Vec<ServicePrincipal>, sp: ServicePrincipal) -> u32 {
    list.push(sp);
    (list.len() - 1) as u32
}

/// `base` moved by `seconds`, saturating rather than panicking at the calendar's ends.
fn at(base: Timestamp, seconds: i64) -> Timestamp {
    base.saturating_add(Duration::seconds(seconds))
}

fn title_case(word: &str) -> String {
    if ACRONYMS.contains(&word) {
        return word.to_ascii_uppercase();
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// How the service principals split up.
struct SpPlan {
    own_apps: usize,
    user_assigned: usize,
    system_assigned: usize,
    third_party: usize,
    legacy: usize,
}

impl SpPlan {
    fn new(applications: usize, service_principals: usize) -> Self {
        // Most app registrations have their service principal in their home tenant; the rest
        // of the principals are mostly managed identities and consented third-party apps.
        let own_apps = (applications * 92 / 100).min(service_principals);
        let rest = service_principals - own_apps;
        let system_assigned = rest * 55 / 100;
        let user_assigned = rest * 15 / 100;
        let legacy = rest * 2 / 100;
        Self {
            own_apps,
            user_assigned,
            system_assigned,
            third_party: rest - system_assigned - user_assigned - legacy,
            legacy,
        }
    }
}

/// Where a generated object lives; it drives names in FIC subjects and role scopes.
#[derive(Clone)]
struct Place {
    slug: String,
    domain: &'static str,
    subscription: usize,
    resource_group: String,
}

/// A service principal that can hold role assignments, and how likely it is to have some.
struct Principal {
    id: String,
    place: Option<Place>,
    roles: (f64, usize),
}

struct Gen {
    rng: Rng,
    base: Timestamp,
    snapshot: TenantSnapshot,
    subscriptions: Vec<String>,
    vendor_tenants: Vec<String>,
    /// Parallel to `snapshot.applications`.
    app_places: Vec<Place>,
    /// Applications whose deployments use workload identity federation.
    fic_apps: Vec<u32>,
    /// Index into `snapshot.service_principals` and a label for credential names.
    sp_with_keys: Vec<(u32, String)>,
    third_party_sps: Vec<(u32, String)>,
    /// UAMIs (indices into `user_assigned_identities`) whose workloads federate.
    fic_uamis: Vec<u32>,
    uami_places: Vec<Place>,
    principals: Vec<Principal>,
    /// Every ARM id handed out, lower-case (ARM ids are case-insensitive): names are drawn
    /// from word lists, and two objects with one id make the snapshot file unloadable.
    arm_ids: std::collections::HashSet<String>,
}

impl Gen {
    fn new(spec: &TenantSpec, now: Timestamp) -> Self {
        let mut rng = Rng(spec.seed);
        // Graph dates have whole seconds; UTC keeps the file like a live snapshot's.
        let utc = now.to_offset(time::UtcOffset::UTC);
        let base = utc.replace_nanosecond(0).unwrap_or(utc);
        let tenant_id = rng.guid();
        let mut snapshot = TenantSnapshot::empty(tenant_id, base);
        snapshot.tenant_display_name = Some(format!(
            "Contoso (generated: {} apps, {} service principals)",
            spec.applications, spec.service_principals
        ));
        snapshot.source = SnapshotSource::Live;
        let subscriptions = (0..(spec.applications / 1_500).clamp(4, 60))
            .map(|_| rng.guid())
            .collect();
        let vendor_tenants = VENDORS.iter().map(|_| rng.guid()).collect();
        Self {
            rng,
            base,
            snapshot,
            subscriptions,
            vendor_tenants,
            app_places: Vec::new(),
            fic_apps: Vec::new(),
            sp_with_keys: Vec::new(),
            third_party_sps: Vec::new(),
            fic_uamis: Vec::new(),
            uami_places: Vec::new(),
            principals: Vec::new(),
            arm_ids: Default::default(),
        }
    }

    /// A place in the estate: domain word, slug and resource group.
    fn place(&mut self) -> Place {
        let domain = *self.rng.pick(DOMAINS);
        let component = *self.rng.pick(COMPONENTS);
        let env = *self.rng.pick(ENVS);
        let slug = if self.rng.chance(0.15) {
            let other = *self.rng.pick(DOMAINS);
            format!("{domain}-{other}-{component}")
        } else {
            format!("{domain}-{component}")
        };
        Place {
            slug,
            domain,
            subscription: self.rng.below(self.subscriptions.len()),
            resource_group: format!("rg-{domain}-{env}"),
        }
    }

    /// An app registration's display name, in one of the styles tenants accumulate.
    fn app_name(&mut self, p: &Place) -> String {
        let env = *self.rng.pick(ENVS);
        match self.rng.below(10) {
            0..=3 => format!("{}-{env}", p.slug),
            4 | 5 => format!("{}-{:02}", p.slug, self.rng.range(1, 41)),
            6 => format!("{}-{}", self.rng.pick(TEAMS), p.slug),
            7 => {
                let words: Vec<String> = p.slug.split('-').map(title_case).collect();
                format!("{} ({})", words.join(" "), title_case(env))
            }
            8 => format!("sp-{}-{env}-{}", p.slug, self.rng.range(1, 10)),
            _ => p.slug.clone(),
        }
    }

    /// `name`, or `name-2`, `name-3`… when an object of `resource_type` in `p`'s resource
    /// group already has it. It draws nothing from the PRNG, so the rest of the tenant stays
    /// as it was.
    fn unique_name(&mut self, p: &Place, resource_type: &str, name: String) -> String {
        let parent = format!("{}/providers/{resource_type}/", self.arm_prefix(p));
        let mut candidate = name.clone();
        let mut n = 2;
        while !self
            .arm_ids
            .insert(format!("{parent}{candidate}").to_ascii_lowercase())
        {
            candidate = format!("{name}-{n}");
            n += 1;
        }
        candidate
    }

    fn arm_prefix(&self, p: &Place) -> String {
        resource_group_id(&self.subscriptions[p.subscription], &p.resource_group)
    }

    fn applications(&mut self, n: usize) {
        self.snapshot.applications.reserve(n);
        for i in 0..n {
            let place = self.place();
            let display_name = self.app_name(&place);
            let audience = match self.rng.below(100) {
                0..=84 => "AzureADMyOrg",
                85..=96 => "AzureADMultipleOrgs",
                _ => "AzureADandPersonalMicrosoftAccount",
            };
            let app = Application {
                id: self.rng.guid(),
                app_id: self.rng.guid(),
                display_name,
                sign_in_audience: Some(audience.to_string().into()),
                publisher_domain: Some("contoso.onmicrosoft.com".into()),
                created_date_time: Some(at(self.base, -self.rng.range(DAY, 3_000 * DAY))),
                password_credentials: Vec::new(),
                key_credentials: Vec::new(),
                federated_identity_credentials: Vec::new(),
                odata_type: None,
            };
            if self.rng.chance(0.3) {
                self.fic_apps.push(i as u32);
            }
            self.snapshot.applications.push(app);
            self.app_places.push(place);
        }
    }

    /// Service principals of `k` of the tenant's own apps, chosen evenly at random
    /// (selection sampling keeps the count exact).
    fn own_app_principals(&mut self, k: usize) {
        let n = self.snapshot.applications.len();
        let mut needed = k;
        for i in 0..n {
            if needed == 0 {
                break;
            }
            if self.rng.below(n - i) >= needed {
                continue;
            }
            needed -= 1;
            let app = &self.snapshot.applications[i];
            let (app_id, display_name) = (app.app_id.clone(), app.display_name.clone());
            let enabled = !self.rng.chance(0.04);
            let id = self.rng.guid();
            let label = self.app_places[i].slug.clone();
            let place = self.app_places[i].clone();
            let sp = ServicePrincipal {
                account_enabled: Some(enabled),
                app_owner_organization_id: Some(self.snapshot.tenant_id.clone().into()),
                ..service_principal(
                    id.clone(),
                    app_id,
                    display_name,
                    ServicePrincipalType::Application,
                )
            };
            let idx = push_sp(&mut self.snapshot.service_principals, sp);
            self.sp_with_keys.push((idx, label));
            self.principals.push(Principal {
                id,
                place: Some(place),
                roles: (0.25, 2),
            });
        }
    }

    /// `n` user-assigned identities with their service principals; one in a hundred principals
    /// has no ARM record (no ARM access to its subscription) and as many ARM records have no
    /// principal (a stale directory read).
    fn user_assigned(&mut self, n: usize) {
        let orphans = n / 100;
        for i in 0..n + orphans {
            let place = self.place();
            let name = match self.rng.below(3) {
                0 => format!("id-{}", place.slug),
                1 => format!("id-{}-{}", place.domain, self.rng.pick(ENVS)),
                _ => format!("uami-{}-{:02}", place.slug, self.rng.range(1, 30)),
            };
            let name = self.unique_name(
                &place,
                "Microsoft.ManagedIdentity/userAssignedIdentities",
                name,
            );
            let arm_id = format!(
                "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
                self.arm_prefix(&place)
            );
            let principal_id = self.rng.guid();
            let client_id = self.rng.guid();
            let has_sp = i < n;
            let has_arm = !(has_sp && i % 100 == 99);
            if has_sp {
                push_sp(
                    &mut self.snapshot.service_principals,
                    ServicePrincipal {
                        app_owner_organization_id: Some(
                            MICROSOFT_SERVICES_TENANT.to_string().into(),
                        ),
                        ..managed_identity_principal(
                            principal_id.clone(),
                            client_id.clone(),
                            name.clone(),
                            &arm_id,
                            true,
                        )
                    },
                );
                self.principals.push(Principal {
                    id: principal_id.clone(),
                    place: Some(place.clone()),
                    roles: (1.0, 2),
                });
            }
            if has_arm {
                let env = *self.rng.pick(ENVS);
                let team = *self.rng.pick(TEAMS);
                let tags = BTreeMap::from([
                    ("env".to_string(), env.to_string()),
                    ("owner".to_string(), format!("{team}-team")),
                ]);
                if self.rng.chance(0.4) {
                    self.fic_uamis
                        .push(self.snapshot.user_assigned_identities.len() as u32);
                }
                self.snapshot
                    .user_assigned_identities
                    .push(UserAssignedIdentity {
                        id: arm_id,
                        name,
                        location: Some(self.rng.pick(LOCATIONS).to_string()),
                        principal_id,
                        client_id,
                        tenant_id: Some(self.snapshot.tenant_id.clone()),
                        tags,
                        federated_identity_credentials: Vec::new(),
                    });
                self.uami_places.push(place);
            }
        }
    }

    /// A few user-assigned identities to attach to a resource.
    fn some_uamis(&mut self, max: usize) -> Vec<String> {
        let uamis = &self.snapshot.user_assigned_identities;
        if uamis.is_empty() {
            return Vec::new();
        }
        let k = 1 + self.rng.below(max);
        (0..k)
            .map(|_| uamis[self.rng.below(uamis.len())].id.clone())
            .collect()
    }

    /// `n` resources with a system-assigned identity, and the identities' principals.
    fn system_assigned(&mut self, n: usize) {
        for _ in 0..n {
            let place = self.place();
            let (resource_type, prefix) = *self.rng.pick(RESOURCE_TYPES);
            let env = *self.rng.pick(ENVS);
            let site = format!("{prefix}-{}-{env}-{}", place.slug, self.rng.range(1, 20));
            let site = self.unique_name(&place, resource_type, site);
            let arm_site = format!(
                "{}/providers/{resource_type}/{site}",
                self.arm_prefix(&place)
            );
            // A deployment slot has an identity of its own, named after site and slot.
            let slot = (resource_type == "Microsoft.Web/sites" && self.rng.chance(0.12))
                .then(|| *self.rng.pick(SLOTS));
            let (arm_id, name, sp_name, rtype) = match slot {
                Some(slot) => (
                    format!("{arm_site}/slots/{slot}"),
                    format!("{site}/{slot}"),
                    format!("{site}/slots/{slot}"),
                    "Microsoft.Web/sites/slots".to_string(),
                ),
                None => (arm_site, site.clone(), site, resource_type.to_string()),
            };
            let principal_id = self.rng.guid();
            let client_id = self.rng.guid();
            push_sp(
                &mut self.snapshot.service_principals,
                ServicePrincipal {
                    app_owner_organization_id: Some(MICROSOFT_SERVICES_TENANT.to_string().into()),
                    ..managed_identity_principal(
                        principal_id.clone(),
                        client_id,
                        sp_name,
                        &arm_id,
                        false,
                    )
                },
            );
            let attached = if self.rng.chance(0.15) {
                self.some_uamis(2)
            } else {
                Vec::new()
            };
            let identity_type = if attached.is_empty() {
                "SystemAssigned"
            } else {
                "SystemAssigned, UserAssigned"
            };
            self.snapshot.resources.push(AzureResource {
                id: arm_id,
                name,
                resource_type: rtype.into(),
                location: Some(self.rng.pick(LOCATIONS).to_string().into()),
                identity: ResourceIdentity {
                    identity_type: identity_type.to_string().into(),
                    principal_id: Some(principal_id.clone()),
                    user_assigned_identities: attached,
                },
            });
            self.principals.push(Principal {
                id: principal_id,
                place: Some(place),
                roles: (1.0, 2),
            });
        }
    }

    /// `n` resources that use only user-assigned identities.
    fn user_assigned_only_resources(&mut self, n: usize) {
        if self.snapshot.user_assigned_identities.is_empty() {
            return;
        }
        for _ in 0..n {
            let place = self.place();
            let (resource_type, prefix) = *self.rng.pick(RESOURCE_TYPES);
            let name = format!("{prefix}-{}-{}", place.slug, self.rng.pick(ENVS));
            let name = self.unique_name(&place, resource_type, name);
            let attached = self.some_uamis(3);
            self.snapshot.resources.push(AzureResource {
                id: format!(
                    "{}/providers/{resource_type}/{name}",
                    self.arm_prefix(&place)
                ),
                name,
                resource_type: resource_type.to_string().into(),
                location: Some(self.rng.pick(LOCATIONS).to_string().into()),
                identity: ResourceIdentity {
                    identity_type: "UserAssigned".into(),
                    principal_id: None,
                    user_assigned_identities: attached,
                },
            });
        }
    }

    /// `n` principals of multi-tenant apps from other publishers.
    fn third_party(&mut self, n: usize) {
        for _ in 0..n {
            let v = self.rng.below(VENDORS.len());
            let suffix = *self.rng.pick(VENDOR_SUFFIXES);
            let display_name = if self.rng.chance(0.3) {
                format!("{}{suffix} {}", VENDORS[v], self.rng.range(1, 100))
            } else {
                format!("{}{suffix}", VENDORS[v])
            };
            let id = self.rng.guid();
            let app_id = self.rng.guid();
            let enabled = !self.rng.chance(0.1);
            let idx = push_sp(
                &mut self.snapshot.service_principals,
                ServicePrincipal {
                    account_enabled: Some(enabled),
                    app_owner_organization_id: Some(self.vendor_tenants[v].clone().into()),
                    ..service_principal(
                        id.clone(),
                        app_id,
                        display_name,
                        ServicePrincipalType::Application,
                    )
                },
            );
            let label = VENDORS[v].to_ascii_lowercase().replace(' ', "-");
            self.sp_with_keys.push((idx, label.clone()));
            self.third_party_sps.push((idx, label));
            self.principals.push(Principal {
                id,
                place: None,
                roles: (0.02, 1),
            });
        }
    }

    fn legacy(&mut self, n: usize) {
        for _ in 0..n {
            let place = self.place();
            let display_name = if self.rng.chance(0.5) {
                format!("legacy-{}-svc", place.slug)
            } else {
                format!(
                    "{} Legacy Service {}",
                    title_case(place.domain),
                    self.rng.range(1, 50)
                )
            };
            let (id, app_id) = (self.rng.guid(), self.rng.guid());
            let enabled = self.rng.chance(0.7);
            let idx = push_sp(
                &mut self.snapshot.service_principals,
                ServicePrincipal {
                    account_enabled: Some(enabled),
                    ..service_principal(id, app_id, display_name, ServicePrincipalType::Legacy)
                },
            );
            self.sp_with_keys.push((idx, place.slug));
        }
    }

    /// A start and end date: 12% expired, 8% ending within 30 days, 70% healthy, 10% "never".
    fn window(&mut self, lifetimes_days: &[i64]) -> (Timestamp, Timestamp) {
        let life = Duration::days(*self.rng.pick(lifetimes_days));
        let r = self.rng.unit();
        let end = if r < 0.12 {
            at(self.base, -self.rng.range(3_600, 720 * DAY))
        } else if r < 0.20 {
            at(self.base, self.rng.range(3_600, 30 * DAY))
        } else if r < 0.90 {
            at(self.base, self.rng.range(31 * DAY, 730 * DAY))
        } else {
            return (at(self.base, -self.rng.range(0, 2_000 * DAY)), NEVER);
        };
        (end.saturating_sub(life), end)
    }

    fn secret(&mut self, label: &str) -> PasswordCredential {
        const HINT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~_.-";
        let (start, end) = self.window(&[90, 180, 365, 730]);
        let display_name = match self.rng.below(10) {
            // Secrets made by old tooling have no name.
            0 => None,
            1..=4 => Some(format!("{label}-{}", end.year())),
            _ => Some(self.rng.pick(SECRET_LABELS).to_string()),
        };
        let hint = (0..3)
            .map(|_| char::from(*self.rng.pick(HINT)))
            .collect::<String>();
        PasswordCredential {
            key_id: self.rng.guid().into(),
            display_name,
            hint: Some(hint),
            start_date_time: Some(start),
            end_date_time: Some(end),
        }
    }

    fn certificate(&mut self, label: &str, usage: &str) -> KeyCredential {
        let (start, end) = self.window(&[365, 730, 1_095]);
        let thumbprint: Vec<u8> = (0..20).map(|_| self.rng.next_u64() as u8).collect();
        let display_name = if self.rng.chance(0.5) {
            format!("CN={label}")
        } else {
            format!("CN={label}.contoso.com")
        };
        KeyCredential {
            key_id: self.rng.guid().into(),
            display_name: Some(display_name),
            custom_key_identifier: Some(base64(&thumbprint)),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some(usage.to_string().into()),
            start_date_time: Some(start),
            end_date_time: Some(end),
        }
    }

    /// The `k`-th FIC of an application, or of a user-assigned identity (`on_uami`), whose
    /// workloads are mostly AKS pods and whose FICs, being ARM objects, have no Graph id.
    fn fic(&mut self, p: &Place, k: usize, on_uami: bool) -> FederatedIdentityCredential {
        let org = *self.rng.pick(GITHUB_ORGS);
        let env = *self.rng.pick(ENVS);
        let repo = &p.slug;
        let roll = if on_uami {
            if self.rng.chance(0.7) { 60 } else { 0 }
        } else {
            self.rng.below(100)
        };
        let uamis = &self.snapshot.user_assigned_identities;
        let (name, issuer, subject, claims) = match roll {
            0..=49 => {
                let subject = match self.rng.below(4) {
                    0 => format!("repo:{org}/{repo}:environment:{env}"),
                    1 => format!("repo:{org}/{repo}:ref:refs/heads/main"),
                    2 => format!("repo:{org}/{repo}:pull_request"),
                    _ => format!("repo:{org}/{repo}:ref:refs/tags/v{}", self.rng.range(1, 9)),
                };
                (
                    format!("github-{repo}-{env}"),
                    GITHUB_ISSUER.to_string(),
                    Some(subject),
                    None,
                )
            }
            50..=54 => (
                format!("github-{repo}-branches"),
                GITHUB_ISSUER.to_string(),
                None,
                Some(format!(
                    "claims['sub'] matches 'repo:{org}/{repo}:ref:refs/heads/*'"
                )),
            ),
            55..=69 => {
                let location = *self.rng.pick(LOCATIONS);
                (
                    format!("aks-{}-{env}", p.domain),
                    aks_issuer(location, &self.snapshot.tenant_id, &self.rng.guid()),
                    Some(format!("system:serviceaccount:{}:{repo}", p.domain)),
                    None,
                )
            }
            70..=84 => (
                format!("ado-{}-{env}", p.domain),
                format!("https://vstoken.dev.azure.com/{}", self.rng.guid()),
                Some(format!("sc://contoso/{}/{repo}-{env}", p.domain)),
                None,
            ),
            85..=89 => (
                format!("tfc-{repo}-{env}"),
                "https://app.terraform.io".to_string(),
                Some(format!(
                    "organization:contoso:project:{}:workspace:{repo}-{env}:run_phase:apply",
                    p.domain
                )),
                None,
            ),
            // A managed identity of this tenant as the credential (MI-as-FIC).
            90..=94 if !uamis.is_empty() => {
                let u = &uamis[self.rng.below(uamis.len())];
                (
                    format!("mi-{}", u.name),
                    entra_issuer(&self.snapshot.tenant_id),
                    Some(u.principal_id.clone()),
                    None,
                )
            }
            _ => (
                format!("gitlab-{repo}-{env}"),
                "https://gitlab.com".to_string(),
                Some(format!(
                    "project_path:{org}/{repo}:ref_type:branch:ref:main"
                )),
                None,
            ),
        };
        // Names are unique per owner.
        let name = if k == 0 { name } else { format!("{name}-{k}") };
        let description = self
            .rng
            .chance(0.3)
            .then(|| format!("Deployments of {repo} to {env}"));
        FederatedIdentityCredential {
            id: (!on_uami).then(|| self.rng.guid()),
            name,
            issuer,
            subject,
            claims_matching_expression: claims,
            audiences: vec![TOKEN_EXCHANGE.to_string()],
            description,
        }
    }

    /// Spreads `budget` credentials over `owners` slots, at most `cap` each: 70% land on a
    /// uniformly random owner, 30% on a "hot" twentieth of them, so most objects have a few
    /// and some have many, as in real tenants. Returns the counts and what did not fit.
    fn distribute(&mut self, owners: usize, budget: usize, cap: usize) -> (Vec<usize>, usize) {
        let mut counts = vec![0usize; owners];
        if owners == 0 {
            return (counts, budget);
        }
        let placed = budget.min(owners * cap);
        let hot = (owners / 20).max(1);
        let stride = owners / hot;
        for _ in 0..placed {
            let mut k = if self.rng.chance(0.3) {
                self.rng.below(hot) * stride
            } else {
                self.rng.below(owners)
            };
            // Terminates: `placed` never exceeds the total capacity.
            while counts[k] >= cap {
                k = (k + 1) % owners;
            }
            counts[k] += 1;
        }
        (counts, budget - placed)
    }

    fn credentials(&mut self, total: usize) {
        let per_mille = |m: usize| total * m / 1000;
        let (app_fic, uami_fic, sp_cert, sp_secret, app_cert) = (
            per_mille(200),
            per_mille(70),
            per_mille(30),
            per_mille(50),
            per_mille(200),
        );
        let app_secret = total - app_fic - uami_fic - sp_cert - sp_secret - app_cert;

        // Capped kinds first, each passing on what did not fit, so the total stays exact.
        let fic_apps = std::mem::take(&mut self.fic_apps);
        let (counts, carry) = self.distribute(fic_apps.len(), app_fic, FIC_CAP);
        for (&app, &c) in fic_apps.iter().zip(&counts) {
            let place = self.app_places[app as usize].clone();
            let fics: Vec<_> = (0..c).map(|k| self.fic(&place, k, false)).collect();
            self.snapshot.applications[app as usize].federated_identity_credentials = fics;
        }

        let fic_uamis = std::mem::take(&mut self.fic_uamis);
        let (counts, carry) = self.distribute(fic_uamis.len(), uami_fic + carry, FIC_CAP);
        for (&u, &c) in fic_uamis.iter().zip(&counts) {
            let place = self.uami_places[u as usize].clone();
            let fics: Vec<_> = (0..c).map(|k| self.fic(&place, k, true)).collect();
            self.snapshot.user_assigned_identities[u as usize].federated_identity_credentials =
                fics;
        }

        let third = std::mem::take(&mut self.third_party_sps);
        let (counts, carry) = self.distribute(third.len(), sp_cert + carry, KEY_CAP);
        for ((sp, label), &c) in third.iter().zip(&counts) {
            // SAML single sign-on: signing certificates.
            let certs: Vec<_> = (0..c).map(|_| self.certificate(label, "Sign")).collect();
            self.snapshot.service_principals[*sp as usize].key_credentials = certs;
        }

        let with_keys = std::mem::take(&mut self.sp_with_keys);
        let (counts, carry) = self.distribute(with_keys.len(), sp_secret + carry, KEY_CAP);
        for ((sp, label), &c) in with_keys.iter().zip(&counts) {
            let secrets: Vec<_> = (0..c).map(|_| self.secret(label)).collect();
            self.snapshot.service_principals[*sp as usize].password_credentials = secrets;
        }

        let apps = self.snapshot.applications.len();
        let (counts, carry) = self.distribute(apps, app_cert + carry, KEY_CAP);
        for (i, &c) in counts.iter().enumerate() {
            let slug = self.app_places[i].slug.clone();
            let certs: Vec<_> = (0..c).map(|_| self.certificate(&slug, "Verify")).collect();
            self.snapshot.applications[i].key_credentials = certs;
        }

        let (counts, _) = self.distribute(apps, app_secret + carry, KEY_CAP);
        for (i, &c) in counts.iter().enumerate() {
            let slug = self.app_places[i].slug.clone();
            let secrets: Vec<_> = (0..c).map(|_| self.secret(&slug)).collect();
            self.snapshot.applications[i].password_credentials = secrets;
        }
    }

    /// Azure role assignments of the principals (most managed identities have one or two),
    /// plus some of users and groups so the index holds foreign principal ids too.
    fn role_assignments(&mut self) {
        let principals = std::mem::take(&mut self.principals);
        let resources = self.snapshot.resources.len();
        for p in &principals {
            let (probability, max) = p.roles;
            if !self.rng.chance(probability) {
                continue;
            }
            for _ in 0..1 + self.rng.below(max) {
                let ra = self.role_assignment(
                    p.id.clone(),
                    "ServicePrincipal",
                    p.place.as_ref(),
                    resources,
                );
                self.snapshot.role_assignments.push(ra);
            }
        }
        for _ in 0..principals.len() / 20 {
            let kind = if self.rng.chance(0.5) {
                "User"
            } else {
                "Group"
            };
            let id = self.rng.guid();
            let ra = self.role_assignment(id, kind, None, resources);
            self.snapshot.role_assignments.push(ra);
        }
    }

    fn role_assignment(
        &mut self,
        principal_id: String,
        principal_type: &str,
        place: Option<&Place>,
        resources: usize,
    ) -> RoleAssignment {
        let sub = match place {
            Some(p) => p.subscription,
            None => self.rng.below(self.subscriptions.len()),
        };
        let scope = match (self.rng.below(10), place) {
            (0 | 1, _) => format!("/subscriptions/{}", self.subscriptions[sub]),
            (2..=6, Some(p)) => self.arm_prefix(p),
            _ if resources > 0 => self.snapshot.resources[self.rng.below(resources)]
                .id
                .clone(),
            _ => format!("/subscriptions/{}", self.subscriptions[sub]),
        };
        let role = *self.rng.pick(ROLES);
        let name = self.rng.guid();
        // Some come back unresolved (no permission to read role definitions).
        let resolved = !self.rng.chance(0.1);
        let mut assignment = role_assignment(
            &name,
            principal_id,
            principal_type,
            role,
            scope,
            &self.subscriptions[sub],
        );
        if !resolved {
            assignment.role_definition_name = None;
        }
        assignment
    }

    /// Shuffles the service principals (Graph lists them in no useful order) and hands the
    /// snapshot over.
    fn finish(mut self) -> TenantSnapshot {
        let sps = &mut self.snapshot.service_principals;
        for i in (1..sps.len()).rev() {
            let j = self.rng.below(i + 1);
            sps.swap(i, j);
        }
        self.snapshot
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use time::macros::datetime;

    use super::*;
    use credwise::domain::expiry::{self, ExpiryStatus, Thresholds};
    use credwise::domain::{Directory, IdentityKind};
    use credwise::store::snapshot_file;

    const NOW: Timestamp = datetime!(2026-06-01 12:34:56.789 UTC);

    fn small(seed: u64) -> TenantSpec {
        TenantSpec {
            applications: 1_000,
            service_principals: 2_000,
            credentials: 4_000,
            seed,
        }
    }

    #[test]
    fn counts_are_exact_and_output_is_deterministic() {
        let s = generate_tenant(&small(7), NOW);
        assert_eq!(s.applications.len(), 1_000);
        assert_eq!(s.service_principals.len(), 2_000);
        assert_eq!(s.credential_count(), 4_000);
        assert!(!s.resources.is_empty() && !s.role_assignments.is_empty());
        assert_eq!(s, generate_tenant(&small(7), NOW));
        assert_ne!(s, generate_tenant(&small(8), NOW));
    }

    #[test]
    fn every_object_has_an_id_of_its_own() {
        // Names come from word lists: without `unique_name` two user-assigned identities of
        // one resource group drew the same name, and credwise refused the file.
        for seed in 1..=6 {
            let s = generate_tenant(&small(seed), NOW);
            assert_eq!(s.duplicate_id().map(|d| d.to_string()), None, "seed {seed}");
        }
    }

    #[test]
    fn fics_stay_under_the_cap_with_unique_names() {
        // Many FICs on few owners pushes the hot ones to the cap.
        let s = generate_tenant(
            &TenantSpec {
                applications: 100,
                service_principals: 300,
                credentials: 3_000,
                seed: 1,
            },
            NOW,
        );
        assert_eq!(s.credential_count(), 3_000);
        let lists = s
            .applications
            .iter()
            .map(|a| &a.federated_identity_credentials)
            .chain(
                s.user_assigned_identities
                    .iter()
                    .map(|u| &u.federated_identity_credentials),
            );
        let mut max = 0;
        for fics in lists {
            max = max.max(fics.len());
            let names: HashSet<&str> = fics.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names.len(), fics.len());
        }
        assert_eq!(max, FIC_CAP);
    }

    #[test]
    fn identities_index_as_every_kind() {
        let s = generate_tenant(&small(3), NOW);
        let resources: HashSet<&str> = s.resources.iter().map(|r| r.id.as_str()).collect();
        for sp in &s.service_principals {
            if sp.alternative_names.first().map(|n| n.as_str()) == Some("isExplicit=False") {
                let rid = sp.resource_id().unwrap();
                assert!(resources.contains(rid), "{rid}");
            }
        }
        let dir = Directory::new(s);
        for kind in IdentityKind::ALL {
            assert!(dir.count_kind(kind) > 0, "{kind:?}");
        }
        let matched = dir
            .entries()
            .iter()
            .filter(|e| {
                matches!(
                    e.object,
                    credwise::domain::directory::ObjectRef::UserAssigned {
                        arm: Some(_),
                        sp: Some(_)
                    }
                )
            })
            .count();
        assert!(matched * 10 > dir.count_kind(IdentityKind::UserAssignedManagedIdentity) * 9);
    }

    #[test]
    fn end_dates_cover_every_status_and_survive_the_snapshot_file() {
        let s = generate_tenant(&small(5), NOW);
        let statuses: HashSet<ExpiryStatus> = s
            .applications
            .iter()
            .flat_map(|a| a.password_credentials.iter().map(|c| c.end_date_time))
            .map(|end| expiry::status(end, NOW, Thresholds::default()))
            .collect();
        for st in [
            ExpiryStatus::Expired,
            ExpiryStatus::Critical,
            ExpiryStatus::Warning,
            ExpiryStatus::Healthy,
            ExpiryStatus::Never,
        ] {
            assert!(statuses.contains(&st), "{st:?}");
        }
        let back = snapshot_file::parse(&snapshot_file::to_bytes(&s), Path::new("gen")).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn usage_names_credentials_of_the_tenant_and_is_deterministic() {
        let mut a = generate_tenant(&small(7), NOW);
        let mut b = a.clone();
        add_usage(&mut a, NOW, 7);
        add_usage(&mut b, NOW, 7);
        assert_eq!(a.usage, b.usage);
        let keys: std::collections::HashSet<&str> = a
            .applications
            .iter()
            .flat_map(|x| {
                x.password_credentials
                    .iter()
                    .map(|c| c.key_id.as_str())
                    .chain(x.key_credentials.iter().map(|c| c.key_id.as_str()))
                    .chain(
                        x.federated_identity_credentials
                            .iter()
                            .filter_map(|f| f.id.as_deref()),
                    )
            })
            .chain(
                a.service_principals
                    .iter()
                    .flat_map(|p| p.password_credentials.iter().map(|c| c.key_id.as_str())),
            )
            .collect();
        assert!(
            a.usage.credentials.len() > 1000,
            "{}",
            a.usage.credentials.len()
        );
        assert!(
            a.usage
                .credentials
                .iter()
                .all(|c| keys.contains(c.key.as_str()))
        );
        assert!(
            a.usage
                .credentials
                .iter()
                .any(|c| c.last_sign_in.is_some_and(|t| (NOW - t).whole_days() > 90))
        );
        let json = serde_json::to_string(&a.usage).unwrap();
        assert_eq!(
            serde_json::from_str::<credwise::domain::usage::UsageData>(&json).unwrap(),
            a.usage
        );
    }

    #[test]
    fn degenerate_specs_do_not_panic() {
        for (apps, sps, creds) in [(0, 0, 0), (0, 0, 50), (3, 0, 10), (0, 5, 10), (1, 1, 500)] {
            let s = generate_tenant(
                &TenantSpec {
                    applications: apps,
                    service_principals: sps,
                    credentials: creds,
                    seed: 9,
                },
                NOW,
            );
            assert_eq!(s.applications.len(), apps);
            assert_eq!(s.service_principals.len(), sps);
            assert!(s.credential_count() <= creds);
        }
    }
}
