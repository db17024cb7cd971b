#![allow(clippy::unwrap_used)]
//! The decision table (`assets/decision-table.toml`) against its sources, the seed documents
//! copied verbatim into `docs/seeds/`. First the citations: every cited section is an exact
//! substring of its seed, every seed file exists, the eight outcome ids of the CLI contract are
//! there once each with at least two reasons. Then one named test per row of every table in the
//! seeds (002's hosting table, 003's credential types, 004's system- vs user-assigned
//! comparison) and per scenario of the seeds without tables (000, 001), each run through the
//! engine: the answers that describe the row lead to the outcome the seed recommends, the walk
//! asks only what that path needs, and the outcome cites the seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use credwise::domain::wizard::{Answers, Decision, DecisionTable, Outcome};

const TABLE_TEXT: &str = include_str!("../assets/decision-table.toml");

const OUTCOME_IDS: [&str; 8] = [
    "passwordless-user-sign-in",
    "system-assigned-managed-identity",
    "user-assigned-managed-identity",
    "managed-identity-as-federated-credential",
    "workload-identity-federation",
    "key-vault-secret-via-managed-identity",
    "certificate",
    "client-secret-dev-test-only",
];

/// The outcomes that are a service principal's (an app registration's) credential.
const SERVICE_PRINCIPAL_OUTCOMES: [&str; 3] = [
    "workload-identity-federation",
    "certificate",
    "client-secret-dev-test-only",
];

/// The outcomes where the workload signs in as a managed identity (directly or to read a vault).
const MANAGED_IDENTITY_OUTCOMES: [&str; 3] = [
    "system-assigned-managed-identity",
    "user-assigned-managed-identity",
    "key-vault-secret-via-managed-identity",
];

// ───────────────────────────────────────────────────────────── helpers ──

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("seeds")
}

fn seed_text(name: &str) -> String {
    std::fs::read_to_string(seeds_dir().join(name))
        .unwrap_or_else(|e| panic!("docs/seeds/{name}: {e}"))
}

fn raw() -> toml::Table {
    toml::from_str(TABLE_TEXT).unwrap()
}

fn array<'a>(v: &'a toml::Value, key: &str) -> &'a Vec<toml::Value> {
    v.get(key)
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("{key} should be an array in {v:?}"))
}

fn string<'a>(v: &'a toml::Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("{key} should be a string in {v:?}"))
}

/// Every citation in the table: (where, seed, section).
fn citations() -> Vec<(String, String, String)> {
    let raw = toml::Value::Table(raw());
    let mut out = Vec::new();
    for q in array(&raw, "questions") {
        for c in array(q, "cites") {
            out.push((
                format!("question {}", string(q, "fact")),
                string(c, "seed").to_string(),
                string(c, "section").to_string(),
            ));
        }
    }
    for o in array(&raw, "outcomes") {
        for r in array(o, "reasons") {
            out.push((
                format!("outcome {}", string(o, "id")),
                string(r, "seed").to_string(),
                string(r, "section").to_string(),
            ));
        }
    }
    out
}

fn table() -> &'static DecisionTable {
    static TABLE: OnceLock<DecisionTable> = OnceLock::new();
    TABLE.get_or_init(|| DecisionTable::parse(TABLE_TEXT).unwrap())
}

fn decide(facts: &[(&str, &str)]) -> Decision<'static> {
    let mut answers = Answers::default();
    for (fact, value) in facts {
        answers.set(fact, value);
    }
    table()
        .decide(&answers)
        .unwrap_or_else(|e| panic!("{facts:?}: {e}"))
}

fn outcome_of(facts: &[(&str, &str)]) -> &'static str {
    decide(facts).outcome.id.as_str()
}

fn outcome(id: &str) -> &'static Outcome {
    table()
        .outcome(id)
        .unwrap_or_else(|| panic!("no outcome {id}"))
}

/// The outcome gives a reason citing the seed whose file name starts with `seed` (e.g. "004")
/// at a section containing `section`.
fn assert_cites(id: &str, seed: &str, section: &str) {
    let o = outcome(id);
    assert!(
        o.reasons
            .iter()
            .any(|r| r.seed.starts_with(seed) && r.section.contains(section)),
        "outcome {id} should cite seed {seed} at {section:?}: {:#?}",
        o.reasons
    );
}

/// The label and explanation of one answer, lower-cased.
fn answer_text(fact: &str, value: &str) -> String {
    let q = table().question(fact).unwrap();
    let a = q.answers.iter().find(|a| a.value == value).unwrap();
    format!("{} {}", a.label, a.explanation).to_lowercase()
}

fn help(fact: &str) -> String {
    table().question(fact).unwrap().help.to_lowercase()
}

/// Every full combination of fact values for which `keep` holds, with its decision.
fn decisions_where(
    keep: impl Fn(&BTreeMap<String, String>) -> bool,
) -> Vec<(BTreeMap<String, String>, Decision<'static>)> {
    let out: Vec<_> = table()
        .combinations()
        .into_iter()
        .filter(|c| keep(c))
        .map(|c| {
            let d = table().decide(&Answers::from_map(c.clone())).unwrap();
            (c, d)
        })
        .collect();
    assert!(!out.is_empty(), "no combination matched");
    out
}

fn is(c: &BTreeMap<String, String>, fact: &str, value: &str) -> bool {
    c.get(fact).is_some_and(|v| v == value)
}

const NO_USER: (&str, &str) = ("user_present", "false");
const IN_AZURE: (&str, &str) = ("hosting", "azure");
const OUTSIDE_AZURE: (&str, &str) = ("hosting", "outside-azure");
const AZURE_WITHOUT_MI: (&str, &str) = ("hosting", "azure-without-managed-identity");
const SAME_TENANT: (&str, &str) = ("target", "entra-same-tenant");
const OTHER_TENANT: (&str, &str) = ("target", "entra-other-tenant");
const NON_ENTRA: (&str, &str) = ("target", "non-entra");
const SINGLE: (&str, &str) = ("identity_scope", "single-resource");
const SHARED: (&str, &str) = ("identity_scope", "shared");
const NO_ISSUER: (&str, &str) = ("token_issuer", "none");
const PRODUCTION: (&str, &str) = ("environment", "production");
const DEV_TEST: (&str, &str) = ("environment", "dev-test");

// ───────────────────────────────────────────────── the table and its citations ──

#[test]
fn the_table_parses_and_passes_the_engines_validation() {
    let t = table();
    let facts: Vec<&str> = t.questions.iter().map(|q| q.fact.as_str()).collect();
    assert_eq!(
        facts,
        [
            "user_present",
            "hosting",
            "target",
            "identity_scope",
            "token_issuer",
            "environment",
            "secrets_store"
        ]
    );
}

#[test]
fn facts_and_values_are_those_of_the_cli_contract() {
    let want: [(&str, &[&str]); 7] = [
        ("user_present", &["true", "false"]),
        (
            "hosting",
            &["azure", "azure-without-managed-identity", "outside-azure"],
        ),
        (
            "target",
            &["entra-same-tenant", "entra-other-tenant", "non-entra"],
        ),
        ("identity_scope", &["single-resource", "shared"]),
        (
            "token_issuer",
            &["github-actions", "kubernetes", "other-oidc", "none"],
        ),
        ("environment", &["production", "dev-test"]),
        ("secrets_store", &["true", "false"]),
    ];
    for (fact, values) in want {
        assert_eq!(table().values(fact), values, "values of {fact}");
    }
}

#[test]
fn every_cited_seed_exists_in_docs_seeds() {
    for (place, seed, _) in citations() {
        assert!(
            seeds_dir().join(&seed).is_file(),
            "{place} cites {seed}, which is not in docs/seeds"
        );
    }
}

#[test]
fn every_cited_section_is_verbatim_in_its_seed() {
    let mut missing = Vec::new();
    for (place, seed, section) in citations() {
        if !seed_text(&seed).contains(&section) {
            missing.push(format!("{place}: {seed}: {section:?}"));
        }
    }
    assert!(
        missing.is_empty(),
        "sections not found verbatim:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_seed_in_docs_is_cited() {
    let cited: BTreeSet<String> = citations().into_iter().map(|(_, s, _)| s).collect();
    let mut seeds = 0;
    for entry in std::fs::read_dir(seeds_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".txt") {
            seeds += 1;
            assert!(cited.contains(&name), "seed {name} is never cited");
        }
    }
    assert_eq!(seeds, 5, "docs/seeds should hold the five seeds");
}

#[test]
fn the_eight_outcome_ids_exist_exactly_once() {
    let raw = toml::Value::Table(raw());
    let ids: Vec<&str> = array(&raw, "outcomes")
        .iter()
        .map(|o| string(o, "id"))
        .collect();
    for id in OUTCOME_IDS {
        assert_eq!(
            ids.iter().filter(|i| **i == id).count(),
            1,
            "{id} in {ids:?}"
        );
    }
    assert_eq!(ids.len(), OUTCOME_IDS.len(), "no other outcomes: {ids:?}");
}

#[test]
fn every_outcome_has_at_least_two_reasons_each_citing_a_seed() {
    let raw = toml::Value::Table(raw());
    for o in array(&raw, "outcomes") {
        let reasons = array(o, "reasons");
        assert!(
            reasons.len() >= 2,
            "outcome {} has < 2 reasons",
            string(o, "id")
        );
        for r in reasons {
            assert!(!string(r, "text").trim().is_empty());
            assert!(!string(r, "section").trim().is_empty());
            assert!(string(r, "seed").ends_with(".txt"));
        }
    }
}

#[test]
fn every_question_help_cites_a_seed() {
    let raw = toml::Value::Table(raw());
    for q in array(&raw, "questions") {
        assert!(
            !array(q, "cites").is_empty(),
            "question {} cites nothing",
            string(q, "fact")
        );
        assert!(!string(q, "help").trim().is_empty());
    }
}

#[test]
fn every_outcome_has_a_summary_next_steps_and_things_to_avoid() {
    for o in &table().outcomes {
        assert!(o.summary.len() > 100, "{}: summary too short", o.id);
        assert!(o.next_steps.len() >= 3, "{}: next steps", o.id);
        assert!(o.avoid.len() >= 2, "{}: avoid", o.id);
    }
}

// ──────────────────────────── 000: application identity credentials with no user ──

#[test]
fn seed_000_managed_identities_are_the_best_practice_on_azure() {
    for scope in [SINGLE, SHARED] {
        let id = outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, scope]);
        assert!(MANAGED_IDENTITY_OUTCOMES.contains(&id), "{id}");
        assert_cites(id, "000", "Best practice: use Managed Identities");
    }
}

#[test]
fn seed_000_certificate_is_more_secure_than_a_secret_key() {
    for hosting in [OUTSIDE_AZURE, AZURE_WITHOUT_MI] {
        assert_eq!(
            outcome_of(&[NO_USER, hosting, NO_ISSUER, PRODUCTION]),
            "certificate"
        );
    }
    assert_cites(
        "certificate",
        "000",
        "private key of the certificate never leaves",
    );
}

#[test]
fn seed_000_secret_key_acceptable_only_with_secrets_management() {
    let with_store = decide(&[
        NO_USER,
        OUTSIDE_AZURE,
        NO_ISSUER,
        DEV_TEST,
        ("secrets_store", "true"),
    ]);
    assert_eq!(with_store.outcome.id, "client-secret-dev-test-only");
    assert_cites(
        "client-secret-dev-test-only",
        "000",
        "sophisticated secrets management infrastructure",
    );
    // Without a store, a secret is the emailed-spreadsheet case 000 warns about.
    let without = decide(&[
        NO_USER,
        OUTSIDE_AZURE,
        NO_ISSUER,
        DEV_TEST,
        ("secrets_store", "false"),
    ]);
    assert_eq!(without.outcome.id, "certificate");
    assert_cites("certificate", "000", "insecure location like a spreadsheet");
}

#[test]
fn seed_000_no_user_account_as_a_service_account() {
    // Four client credential types identify an application; a user account is not one of them.
    let warned: Vec<&str> = table()
        .outcomes
        .iter()
        .filter(|o| o.avoid.iter().any(|a| a.contains("user account")))
        .map(|o| o.id.as_str())
        .collect();
    assert!(warned.len() >= 6, "{warned:?}");
    assert_cites(
        "passwordless-user-sign-in",
        "000",
        "passwordless or have an MFA",
    );
    assert_cites(
        "workload-identity-federation",
        "000",
        "Client credential options",
    );
}

// ───────────────────────────────────────────── 001: secretless authentication ──

#[test]
fn seed_001_user_facing_client_uses_passwordless_sign_in() {
    let d = decide(&[("user_present", "true")]);
    assert_eq!(d.outcome.id, "passwordless-user-sign-in");
    assert_eq!(d.asked, ["user_present"], "no other question");
    let summary = d.outcome.summary.as_str();
    for method in [
        "Windows Hello for Business",
        "Platform Credential for macOS",
        "smart card",
        "Microsoft Authenticator",
        "FIDO2",
        "certificate-based authentication",
    ] {
        assert!(summary.contains(method), "summary should list {method}");
    }
    assert_cites(
        "passwordless-user-sign-in",
        "001",
        "Client application (user-facing)",
    );
}

#[test]
fn seed_001_azure_service_same_tenant_uses_managed_identity() {
    for (scope, want) in [
        (SINGLE, "system-assigned-managed-identity"),
        (SHARED, "user-assigned-managed-identity"),
    ] {
        let d = decide(&[NO_USER, IN_AZURE, SAME_TENANT, scope]);
        assert_eq!(d.outcome.id, want);
        assert_eq!(
            d.asked,
            ["user_present", "hosting", "target", "identity_scope"]
        );
        assert!(d.outcome.summary.contains("DefaultAzureCredential"));
        assert_cites(want, "001", "(same tenant)");
    }
}

#[test]
fn seed_001_azure_service_across_tenants_uses_managed_identity_as_fic() {
    let d = decide(&[NO_USER, IN_AZURE, OTHER_TENANT]);
    assert_eq!(d.outcome.id, "managed-identity-as-federated-credential");
    assert_eq!(d.asked, ["user_present", "hosting", "target"]);
    assert_eq!(d.outcome.migration.as_str(), "secret-to-fic");
    let steps = d.outcome.next_steps.join("\n");
    assert!(steps.contains("https://login.microsoftonline.com/<your-tenant-id>/v2.0"));
    assert!(steps.contains("api://AzureADTokenExchange"));
    assert!(steps.contains("principal (object) id"));
    assert_cites(d.outcome.id.as_str(), "001", "(across tenants)");
}

#[test]
fn seed_001_azure_service_to_non_entra_resource_uses_key_vault_and_managed_identity() {
    let d = decide(&[NO_USER, IN_AZURE, NON_ENTRA]);
    assert_eq!(d.outcome.id, "key-vault-secret-via-managed-identity");
    assert_eq!(d.asked, ["user_present", "hosting", "target"]);
    assert_cites(
        d.outcome.id.as_str(),
        "001",
        "non-Microsoft Entra protected resources",
    );
}

#[test]
fn seed_001_external_workload_uses_workload_identity_federation() {
    for issuer in ["github-actions", "kubernetes", "other-oidc"] {
        for hosting in [OUTSIDE_AZURE, AZURE_WITHOUT_MI] {
            let d = decide(&[NO_USER, hosting, ("token_issuer", issuer)]);
            assert_eq!(d.outcome.id, "workload-identity-federation", "{issuer}");
            assert_eq!(d.asked, ["user_present", "hosting", "token_issuer"]);
        }
    }
    assert_cites(
        "workload-identity-federation",
        "001",
        "External workload (outside Azure)",
    );
    // An app or a user-assigned managed identity can trust the external provider.
    assert_cites(
        "workload-identity-federation",
        "001",
        "user-assigned managed identity to trust an external identity provider",
    );
}

// ────────────────────────────── 002: the hosting table (rows × account types) ──

#[test]
fn seed_002_hosted_in_azure_recommends_managed_identity() {
    for scope in [SINGLE, SHARED] {
        let id = outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, scope]);
        assert!(id.ends_with("-managed-identity"), "{id}");
        assert_cites(id, "002", "Service is hosted in Azure.");
    }
    assert!(MANAGED_IDENTITY_OUTCOMES.contains(&outcome_of(&[NO_USER, IN_AZURE, NON_ENTRA])));
}

#[test]
fn seed_002_hosted_in_azure_without_managed_identity_support_uses_service_principal() {
    // "Recommended if the service supports a Managed Identity" — and a service principal if not.
    for (c, d) in decisions_where(|c| {
        is(c, "user_present", "false") && is(c, "hosting", "azure-without-managed-identity")
    }) {
        let id = d.outcome.id.as_str();
        assert!(SERVICE_PRINCIPAL_OUTCOMES.contains(&id), "{c:?} → {id}");
        assert!(!d.asked.contains(&"target"), "{c:?}: target not needed");
        assert!(!d.asked.contains(&"identity_scope"), "{c:?}");
    }
    for id in ["workload-identity-federation", "certificate"] {
        assert_cites(id, "002", "If you can't use a managed identity");
    }
}

#[test]
fn seed_002_not_hosted_in_azure_recommends_service_principal() {
    for (c, d) in
        decisions_where(|c| is(c, "user_present", "false") && is(c, "hosting", "outside-azure"))
    {
        let id = d.outcome.id.as_str();
        assert!(SERVICE_PRINCIPAL_OUTCOMES.contains(&id), "{c:?} → {id}");
    }
    assert_cites("certificate", "002", "Service is not hosted in Azure.");
    assert_cites(
        "workload-identity-federation",
        "002",
        "Service is not hosted in Azure.",
    );
}

#[test]
fn seed_002_not_hosted_in_azure_cannot_use_managed_identity() {
    for (c, d) in decisions_where(|c| is(c, "hosting", "outside-azure")) {
        let id = d.outcome.id.as_str();
        assert!(
            !MANAGED_IDENTITY_OUTCOMES.contains(&id)
                && id != "managed-identity-as-federated-credential",
            "{c:?} → {id}"
        );
    }
}

#[test]
fn seed_002_multi_tenant_recommends_service_principal() {
    // In Azure the multi-tenant app (a service principal in each tenant) takes the managed
    // identity as its federated credential; it is not a managed identity used on its own.
    let id = outcome_of(&[NO_USER, IN_AZURE, OTHER_TENANT]);
    assert_eq!(id, "managed-identity-as-federated-credential");
    assert_cites(id, "002", "Service is multi-tenant");
    assert!(
        outcome(id)
            .summary
            .contains("multi-tenant app registration")
    );
    // Outside Azure, every outcome is a service principal's credential.
    for hosting in [OUTSIDE_AZURE, AZURE_WITHOUT_MI] {
        let id = outcome_of(&[NO_USER, hosting, NO_ISSUER, PRODUCTION]);
        assert!(SERVICE_PRINCIPAL_OUTCOMES.contains(&id), "{id}");
    }
}

#[test]
fn seed_002_user_account_not_recommended() {
    // No walk ends at a user account, and the workload outcomes warn against one.
    for (c, d) in decisions_where(|_| true) {
        assert!(!d.outcome.id.contains("user-account"), "{c:?}");
    }
    for id in OUTCOME_IDS {
        let warns = outcome(id)
            .avoid
            .iter()
            .any(|a| a.contains("user account") && a.contains("002"));
        assert!(warns, "{id} should warn against a user account (000, 002)");
    }
}

#[test]
fn seed_002_service_principal_prefers_certificate_over_secret() {
    assert_eq!(
        outcome_of(&[NO_USER, AZURE_WITHOUT_MI, NO_ISSUER, PRODUCTION]),
        "certificate"
    );
    assert_cites("certificate", "002", "use client certificates if possible");
    assert_eq!(
        outcome("client-secret-dev-test-only").alternative,
        "certificate"
    );
}

// ───────────────────────────────────────── 003: the credential types table ──

#[test]
fn seed_003_secret_for_development_and_testing() {
    let d = decide(&[
        NO_USER,
        OUTSIDE_AZURE,
        NO_ISSUER,
        DEV_TEST,
        ("secrets_store", "true"),
    ]);
    assert_eq!(d.outcome.id, "client-secret-dev-test-only");
    assert_eq!(
        d.asked,
        [
            "user_present",
            "hosting",
            "token_issuer",
            "environment",
            "secrets_store"
        ]
    );
    assert_cites("client-secret-dev-test-only", "003", "Development/testing");
}

#[test]
fn seed_003_secret_not_for_production() {
    for (c, d) in decisions_where(|c| is(c, "environment", "production")) {
        assert_ne!(d.outcome.id, "client-secret-dev-test-only", "{c:?}");
    }
    let d = decide(&[NO_USER, OUTSIDE_AZURE, NO_ISSUER, PRODUCTION]);
    assert!(!d.asked.contains(&"secrets_store"));
    assert_cites("client-secret-dev-test-only", "003", "Not for production");
}

#[test]
fn seed_003_certificate_for_apps_not_hosted_on_azure() {
    let d = decide(&[NO_USER, OUTSIDE_AZURE, NO_ISSUER, PRODUCTION]);
    assert_eq!(d.outcome.id, "certificate");
    assert_eq!(
        d.asked,
        ["user_present", "hosting", "token_issuer", "environment"]
    );
    assert_eq!(d.outcome.migration.as_str(), "secret-to-certificate");
    assert_cites("certificate", "003", "Applications not hosted on Azure");
    // Its consideration: rotation.
    assert_cites(
        "certificate",
        "003",
        "Certificate rotation can be cumbersome",
    );
}

#[test]
fn seed_003_federated_credentials_for_other_idps_and_managed_identity() {
    // Other identity providers (e.g. GitHub) …
    assert_eq!(
        outcome_of(&[NO_USER, OUTSIDE_AZURE, ("token_issuer", "github-actions")]),
        "workload-identity-federation"
    );
    assert_cites(
        "workload-identity-federation",
        "003",
        "federation with other Identity Providers (e.g. GitHub)",
    );
    // … or federation with Azure Managed Identity.
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, OTHER_TENANT]),
        "managed-identity-as-federated-credential"
    );
}

#[test]
fn seed_003_federated_credential_with_managed_identity_preferred_in_production() {
    assert_cites(
        "managed-identity-as-federated-credential",
        "003",
        "The preferred credential to use in production is Federated Credential with Managed Identity.",
    );
}

// ─────────────────── 004: system-assigned vs user-assigned (the comparison table) ──

#[test]
fn seed_004_created_as_part_of_a_resource_is_system_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SINGLE]),
        "system-assigned-managed-identity"
    );
    assert!(answer_text("identity_scope", "single-resource").contains("created with the resource"));
}

#[test]
fn seed_004_created_as_a_stand_alone_resource_is_user_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SHARED]),
        "user-assigned-managed-identity"
    );
    assert!(help("identity_scope").contains("stand-alone azure resource"));
    assert!(
        outcome("user-assigned-managed-identity")
            .summary
            .contains("stand-alone")
    );
}

#[test]
fn seed_004_lifecycle_tied_to_resource_is_system_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SINGLE]),
        "system-assigned-managed-identity"
    );
    assert!(answer_text("identity_scope", "single-resource").contains("dies with it"));
    assert_cites(
        "system-assigned-managed-identity",
        "004",
        "Shared life cycle with the Azure resource",
    );
}

#[test]
fn seed_004_independent_lifecycle_is_user_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SHARED]),
        "user-assigned-managed-identity"
    );
    assert!(answer_text("identity_scope", "shared").contains("outlives"));
    assert!(help("identity_scope").contains("independent life cycle"));
    assert!(
        outcome("user-assigned-managed-identity")
            .avoid
            .iter()
            .any(|a| a.contains("deleted explicitly"))
    );
}

#[test]
fn seed_004_single_resource_uses_system_assigned() {
    let d = decide(&[NO_USER, IN_AZURE, SAME_TENANT, SINGLE]);
    assert_eq!(d.outcome.id, "system-assigned-managed-identity");
    assert_eq!(d.outcome.migration.as_str(), "secret-to-managed-identity");
    assert_eq!(d.outcome.alternative, "user-assigned-managed-identity");
    assert_cites(
        "system-assigned-managed-identity",
        "004",
        "It can only be associated with a single Azure resource.",
    );
}

#[test]
fn seed_004_shared_across_resources_uses_user_assigned() {
    let d = decide(&[NO_USER, IN_AZURE, SAME_TENANT, SHARED]);
    assert_eq!(d.outcome.id, "user-assigned-managed-identity");
    assert_eq!(d.outcome.migration.as_str(), "secret-to-managed-identity");
    assert_eq!(d.outcome.alternative, "system-assigned-managed-identity");
    assert!(answer_text("identity_scope", "shared").contains("shared by several resources"));
}

#[test]
fn seed_004_workload_contained_within_a_single_resource_is_system_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SINGLE]),
        "system-assigned-managed-identity"
    );
    assert_cites(
        "system-assigned-managed-identity",
        "004",
        "Workloads contained within a single Azure resource.",
    );
}

#[test]
fn seed_004_workload_needing_an_independent_identity_is_system_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SINGLE]),
        "system-assigned-managed-identity"
    );
    assert!(help("identity_scope").contains("their own, independent identity"));
}

#[test]
fn seed_004_workload_on_multiple_resources_sharing_an_identity_is_user_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SHARED]),
        "user-assigned-managed-identity"
    );
    assert_cites(
        "user-assigned-managed-identity",
        "004",
        "Workloads that run on multiple resources and can share a single identity.",
    );
}

#[test]
fn seed_004_preauthorization_during_provisioning_is_user_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SHARED]),
        "user-assigned-managed-identity"
    );
    assert!(answer_text("identity_scope", "shared").contains("authorised before"));
    assert_cites(
        "user-assigned-managed-identity",
        "004",
        "Workloads needing preauthorization to a secure resource",
    );
}

#[test]
fn seed_004_resources_recycled_frequently_is_user_assigned() {
    assert_eq!(
        outcome_of(&[NO_USER, IN_AZURE, SAME_TENANT, SHARED]),
        "user-assigned-managed-identity"
    );
    assert!(answer_text("identity_scope", "shared").contains("recycled"));
    assert_cites(
        "user-assigned-managed-identity",
        "004",
        "Workloads where resources are recycled frequently",
    );
}

#[test]
fn seed_004_user_assigned_is_recommended_for_microsoft_services() {
    assert_cites(
        "user-assigned-managed-identity",
        "004",
        "recommended managed identity type for Microsoft services",
    );
    assert!(
        outcome("system-assigned-managed-identity")
            .summary
            .contains("Microsoft recommends")
    );
}

#[test]
fn seed_004_managed_identity_as_fic_is_limited_to_20_per_app() {
    let o = outcome("managed-identity-as-federated-credential");
    assert!(o.summary.contains("at most 20"));
    assert!(o.avoid.iter().any(|a| a.contains("20")));
    assert_cites(o.id.as_str(), "004", "limit of 20 FICs");
    assert_cites(o.id.as_str(), "004", "Whenever an Entra ID app is required");
    // Where the managed identity is used directly, an app registration the workload still
    // needs takes the identity as its federated credential rather than a secret.
    for id in [
        "system-assigned-managed-identity",
        "user-assigned-managed-identity",
    ] {
        assert!(
            outcome(id)
                .next_steps
                .iter()
                .any(|s| s.contains("app registration")
                    && s.contains("federated identity credential")),
            "{id}"
        );
    }
}

// ─────────────────────────────────────── the walk asks only what a path needs ──

#[test]
fn questions_are_asked_only_where_the_seeds_need_them() {
    for (c, d) in decisions_where(|_| true) {
        let asked = &d.asked;
        let azure = is(&c, "hosting", "azure");
        let user = is(&c, "user_present", "true");
        assert_eq!(
            asked.contains(&"hosting"),
            !user,
            "{c:?}: hosting only without a user"
        );
        assert_eq!(asked.contains(&"target"), !user && azure, "{c:?}: target");
        assert_eq!(
            asked.contains(&"identity_scope"),
            !user && azure && is(&c, "target", "entra-same-tenant"),
            "{c:?}: identity_scope"
        );
        assert_eq!(
            asked.contains(&"token_issuer"),
            !user && !azure,
            "{c:?}: token_issuer"
        );
        assert_eq!(
            asked.contains(&"environment"),
            !user && !azure && is(&c, "token_issuer", "none"),
            "{c:?}: environment"
        );
        assert_eq!(
            asked.contains(&"secrets_store"),
            asked.contains(&"environment") && is(&c, "environment", "dev-test"),
            "{c:?}: secrets_store"
        );
    }
}
