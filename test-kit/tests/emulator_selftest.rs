//! The Graph/ARM emulator (`tests/emulator/`) exercised over real loopback HTTP: paging with
//! opaque tokens, query-option rules, `$batch`, FIC validations, secrets and certificates,
//! UAMIs and their FICs, role assignments, Resource Graph, every fault action, throttling, and
//! the state seen through `snapshot()`. It serves the demo tenant and a generated large one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use credwise::backend::demo;
use credwise::domain::{ServicePrincipalType, TenantSnapshot, Timestamp};
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use emulator::{Emulator, Fault, FaultAction, Matcher, Options, ThrottleBudget};
use serde_json::{Value, json};
use sha1::Digest;
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);
const UAMI_API: &str = "api-version=2024-11-30";
const RA_API: &str = "api-version=2022-04-01";

fn demo_tenant() -> TenantSnapshot {
    demo::snapshot(NOW)
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// `error.code` of a Graph or ARM error body.
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
    let client = reqwest::Client::new();
    let mut rb = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

async fn get(url: &str) -> Reply {
    send("GET", url, &[], None).await
}

async fn get_eventual(url: &str) -> Reply {
    send("GET", url, &[("ConsistencyLevel", "eventual")], None).await
}

/// Follows `@odata.nextLink` (or ARM's `nextLink`) verbatim; returns every item and the
/// number of pages.
async fn crawl(first: &str, headers: &[(&str, &str)]) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut url = first.to_string();
    loop {
        let r = send("GET", &url, headers, None).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        pages += 1;
        let v = r.json();
        items.extend(v["value"].as_array().unwrap().iter().cloned());
        let next = v["@odata.nextLink"].as_str().or(v["nextLink"].as_str());
        match next {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    (items, pages)
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

fn assert_unique_and_complete(got: &[String], want: impl IntoIterator<Item = String>) {
    let got_set: HashSet<&String> = got.iter().collect();
    assert_eq!(got_set.len(), got.len(), "an object came twice");
    let want: HashSet<String> = want.into_iter().collect();
    assert_eq!(got_set.len(), want.len());
    for id in &want {
        assert!(got_set.contains(id), "{id} missing");
    }
}

fn token_of(next_link: &str) -> String {
    next_link
        .split("$skiptoken=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Paging.

#[tokio::test]
async fn paging_with_opaque_tokens_visits_every_object_exactly_once() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();

    let (apps, pages) = crawl(&format!("{g}/applications?$top=5"), &[]).await;
    assert_unique_and_complete(&ids(&apps), snap.applications.iter().map(|a| a.id.clone()));
    assert_eq!(pages, snap.applications.len().div_ceil(5));

    let (sps, _) = crawl(&format!("{g}/servicePrincipals?$top=7"), &[]).await;
    assert_unique_and_complete(
        &ids(&sps),
        snap.service_principals.iter().map(|s| s.id.clone()),
    );

    // The default page size is 100: the demo fits one page, with no nextLink.
    let r = get(&format!("{g}/applications")).await;
    assert_eq!(
        r.json()["value"].as_array().unwrap().len(),
        snap.applications.len()
    );
    assert!(r.json().get("@odata.nextLink").is_none());

    let mis: Vec<String> = snap
        .service_principals
        .iter()
        .filter(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .map(|s| s.id.clone())
        .collect();
    let (got, _) = crawl(
        &format!(
            "{g}/servicePrincipals?$filter=servicePrincipalType%20eq%20'ManagedIdentity'&$top=2"
        ),
        &[],
    )
    .await;
    assert_unique_and_complete(&ids(&got), mis);
}

#[tokio::test]
async fn next_links_are_absolute_keep_the_query_and_carry_an_opaque_token() {
    let emu = Emulator::start(demo_tenant()).await;
    let g = emu.graph_url();
    let r = get(&format!("{g}/applications?$top=3&$select=id,displayName")).await;
    let next = r.json()["@odata.nextLink"].as_str().unwrap().to_string();
    assert!(next.starts_with(&format!("{g}/applications?")), "{next}");
    assert!(next.contains("$top=3") && next.contains("$select=id,displayName"));
    let token = token_of(&next);
    assert!(token.parse::<u64>().is_err(), "a plain offset: {token}");
    assert_ne!(token, "3");

    // Tampered, made up, or from another collection: 400.
    let mut tampered = token.clone();
    tampered.insert(0, 'x');
    for bad in [tampered, "3".to_string(), "MTAw".to_string()] {
        let r = get(&format!("{g}/applications?$top=3&$skiptoken={bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.code(), "Request_BadRequest");
    }
    let r = get(&format!("{g}/servicePrincipals?$top=3&$skiptoken={token}")).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn page_tokens_expire_by_age_or_on_demand() {
    let snap = demo_tenant();
    let g = |emu: &Emulator| format!("{}/applications?$top=5", emu.graph_url());
    let expired = |r: &Reply| {
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.code(), "Directory_ExpiredPageToken");
        assert_eq!(
            r.json()["error"]["message"],
            "Token not found: token is either invalid or expired"
        );
    };
    // By age: a token older than the lifetime.
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            skip_token_lifetime: Some(Duration::from_millis(50)),
            ..Default::default()
        },
    )
    .await;
    let first = get(&g(&emu)).await;
    assert_eq!(first.status, 200, "the first page needs no token");
    let next = first.json()["@odata.nextLink"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(get(&next).await.status, 200, "a fresh token is good");
    tokio::time::sleep(Duration::from_millis(80)).await;
    expired(&get(&next).await);
    // On demand: the next token redeemed, whatever its age, then tokens work again.
    let emu = Emulator::start(snap).await;
    let next = get(&g(&emu)).await.json()["@odata.nextLink"]
        .as_str()
        .unwrap()
        .to_string();
    emu.expire_next_skip_tokens(1);
    assert_eq!(
        get(&g(&emu)).await.status,
        200,
        "a first page is not counted"
    );
    expired(&get(&next).await);
    assert_eq!(get(&next).await.status, 200);
}

#[tokio::test]
async fn agent_identities_come_with_their_type_and_without_an_app_id() {
    let mut snap = demo_tenant();
    credwise_test_kit::tenant::add_agent_identities(&mut snap, 2, 3);
    snap.applications[0].app_id = String::new();
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();
    let r = get(&format!("{g}/servicePrincipals?$top=999")).await;
    let agents: Vec<Value> = r.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["@odata.type"] == "#microsoft.graph.agentIdentity")
        .cloned()
        .collect();
    assert_eq!(agents.len(), 2);
    for a in &agents {
        assert!(a["appId"].is_null(), "{a}");
        assert_eq!(a["servicePrincipalType"], "ServiceIdentity");
        assert_eq!(a["servicePrincipalNames"], json!([]));
    }
    // The annotation comes first, whatever `$select` says, as OData writes it.
    let at = r
        .text
        .find(r##"{"@odata.type":"#microsoft.graph.agentIdentity","id":"##);
    assert!(at.is_some(), "{}", r.text);
    let selected = get(&format!("{g}/servicePrincipals?$select=displayName")).await;
    assert!(
        selected
            .text
            .contains(r##""@odata.type":"#microsoft.graph.agentIdentityBlueprintPrincipal""##)
    );
    // An application without an appId: `null`, and no object is found by an empty one.
    let app = get(&format!("{g}/applications/{}", snap.applications[0].id)).await;
    assert!(app.json()["appId"].is_null());
    assert_eq!(
        get(&format!("{g}/applications(appId='')")).await.status,
        404
    );
}

#[tokio::test]
async fn links_name_the_host_a_forwarding_client_called() {
    let emu = Emulator::start(demo_tenant()).await;
    let r = send(
        "GET",
        &format!("{}/applications?$top=2", emu.graph_url()),
        &[
            ("x-forwarded-host", "graph.microsoft.com"),
            ("x-forwarded-proto", "https"),
        ],
        None,
    )
    .await;
    let next = r.json()["@odata.nextLink"].as_str().unwrap().to_string();
    assert!(
        next.starts_with("https://graph.microsoft.com/v1.0/applications?"),
        "{next}"
    );
}

#[tokio::test]
async fn empty_pages_are_served_when_asked_and_crawls_still_complete() {
    let snap = demo_tenant();
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            empty_pages: true,
            ..Default::default()
        },
    )
    .await;
    let first = format!("{}/applications?$top=10", emu.graph_url());
    let (apps, pages) = crawl(&first, &[]).await;
    assert_unique_and_complete(&ids(&apps), snap.applications.iter().map(|a| a.id.clone()));
    let full = snap.applications.len().div_ceil(10);
    assert_eq!(pages, 2 * full - 1, "an empty page before each later page");
    let second = get(&first).await.json()["@odata.nextLink"]
        .as_str()
        .unwrap()
        .to_string();
    let r = get(&second).await.json();
    assert_eq!(r["value"].as_array().unwrap().len(), 0);
    assert!(r["@odata.nextLink"].is_string());
}

#[tokio::test]
async fn a_large_generated_tenant_pages_completely_at_999() {
    let spec = TenantSpec {
        applications: 20_000,
        service_principals: 40_000,
        credentials: 60_000,
        seed: 11,
    };
    let snap = generate_tenant(&spec, NOW);
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();
    let started = Instant::now();
    let (apps, pages) = crawl(
        &format!(
            "{g}/applications?$top=999&$select=id,appId,displayName,passwordCredentials,keyCredentials"
        ),
        &[],
    )
    .await;
    assert_eq!(pages, 20_000usize.div_ceil(999));
    assert_unique_and_complete(&ids(&apps), snap.applications.iter().map(|a| a.id.clone()));
    // With `$expand`, pages of 100 whatever `$top` says; from beta, where flexible FICs
    // serialise.
    let (with_fics, pages) = crawl(
        &format!(
            "{}/applications?$top=999&$select=id&$expand=federatedIdentityCredentials",
            emu.graph_beta_url()
        ),
        &[],
    )
    .await;
    assert_eq!(pages, 20_000usize.div_ceil(100));
    let fics: usize = with_fics
        .iter()
        .map(|a| a["federatedIdentityCredentials"].as_array().unwrap().len())
        .sum();
    let want: usize = snap
        .applications
        .iter()
        .map(|a| a.federated_identity_credentials.len())
        .sum();
    assert_eq!(fics, want);
    let (sps, _) = crawl(&format!("{g}/servicePrincipals?$top=999"), &[]).await;
    assert_eq!(sps.len(), 40_000);
    let (mis, _) = crawl(
        &format!(
            "{g}/servicePrincipals?$top=999&$filter=servicePrincipalType eq 'ManagedIdentity'"
        ),
        &[],
    )
    .await;
    let want_mis = snap
        .service_principals
        .iter()
        .filter(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .count();
    assert_eq!(mis.len(), want_mis);
    // Not a timing test (benches measure speed); a generous bound only catches an O(n²).
    assert!(started.elapsed() < Duration::from_secs(60));
}

// ---------------------------------------------------------------------------------------------
// Query options.

#[tokio::test]
async fn select_returns_only_the_selected_properties_and_the_id() {
    let emu = Emulator::start(demo_tenant()).await;
    let g = emu.graph_url();
    let r = get(&format!("{g}/applications?$select=displayName,appId")).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .contains("$metadata#applications(")
    );
    for app in v["value"].as_array().unwrap() {
        let keys: HashSet<&str> = app
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["id", "displayName", "appId"]));
    }
    let r = get(&format!("{g}/applications?$select=displayName,nonsense")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "Request_BadRequest");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nonsense")
    );

    // Without $select: Graph's property names, credentials with `hint` and `key: null`.
    let v = get(&format!("{g}/applications")).await.json();
    let app = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            !a["passwordCredentials"].as_array().unwrap().is_empty()
                && !a["keyCredentials"].as_array().unwrap().is_empty()
        })
        .expect("a demo app with a secret and a certificate");
    for k in [
        "appId",
        "displayName",
        "signInAudience",
        "createdDateTime",
        "tags",
    ] {
        assert!(app.get(k).is_some(), "{k}");
    }
    assert!(
        app.get("federatedIdentityCredentials").is_none(),
        "no FICs without $expand"
    );
    let secret = &app["passwordCredentials"][0];
    assert!(secret.get("hint").is_some() && secret.get("keyId").is_some());
    assert!(secret.get("secretText").is_none());
    assert!(app["keyCredentials"][0]["key"].is_null());

    let sp = get(&format!("{g}/servicePrincipals?$top=1")).await.json()["value"][0].clone();
    for k in [
        "servicePrincipalType",
        "alternativeNames",
        "appOwnerOrganizationId",
        "tags",
        "accountEnabled",
    ] {
        assert!(sp.get(k).is_some(), "{k}");
    }
}

#[tokio::test]
async fn expand_brings_federated_credentials_inline_on_applications_only() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();
    let r = get(&format!(
        "{}/applications?$select=id&$expand=federatedIdentityCredentials",
        emu.graph_beta_url()
    ))
    .await;
    // Graph's property order (the published examples), `claimsMatchingExpression` last in
    // beta: the order decides where v1.0 breaks a flexible FIC off.
    let at = r.text.find(r#""federatedIdentityCredentials":[{"#).unwrap();
    let first = &r.text[at..at + r.text[at..].find('}').unwrap()];
    let order: Vec<usize> = [
        "id",
        "name",
        "issuer",
        "subject",
        "description",
        "audiences",
        "claimsMatchingExpression",
    ]
    .iter()
    .map(|k| first.find(&format!("\"{k}\":")).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{first}");
    let v = r.json();
    for app in v["value"].as_array().unwrap() {
        let want = snap
            .applications
            .iter()
            .find(|a| a.id == app["id"].as_str().unwrap())
            .unwrap();
        let fics = app["federatedIdentityCredentials"].as_array().unwrap();
        assert_eq!(fics.len(), want.federated_identity_credentials.len());
        for f in fics {
            for k in [
                "id",
                "name",
                "issuer",
                "subject",
                "audiences",
                "description",
                "claimsMatchingExpression",
            ] {
                assert!(f.get(k).is_some(), "{k}");
            }
        }
    }
    let r = get(&format!(
        "{g}/servicePrincipals?$expand=federatedIdentityCredentials"
    ))
    .await;
    assert_eq!(r.status, 400);
    let r = get(&format!("{g}/applications?$expand=owners")).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn count_needs_consistency_level_and_comes_on_the_first_page_only() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();
    let r = get(&format!("{g}/applications?$count=true")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "Request_BadRequest");

    let first = get_eventual(&format!("{g}/applications?$count=true&$top=10")).await;
    assert_eq!(first.status, 200);
    let v = first.json();
    assert_eq!(v["@odata.count"], json!(snap.applications.len()));
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$count=true"));
    // Headers are not carried into later pages: without it, the next page is refused.
    assert_eq!(get(next).await.status, 400);
    let second = get_eventual(next).await;
    assert_eq!(second.status, 200);
    assert!(second.json().get("@odata.count").is_none());

    // $expand does not go with advanced queries.
    let r = get_eventual(&format!(
        "{g}/applications?$count=true&$expand=federatedIdentityCredentials"
    ))
    .await;
    assert_eq!(r.status, 400);

    // The $count segment: plain text, advanced query only; the MI filter works with it.
    let r = get_eventual(&format!("{g}/applications/$count")).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.text, snap.applications.len().to_string());
    assert_eq!(get(&format!("{g}/applications/$count")).await.status, 400);
    let mis = snap
        .service_principals
        .iter()
        .filter(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .count();
    let r = get_eventual(&format!(
        "{g}/servicePrincipals/%24count?$filter=servicePrincipalType eq 'ManagedIdentity'"
    ))
    .await;
    assert_eq!(r.text, mis.to_string());
    let r = get_eventual(&format!("{g}/servicePrincipals/$count")).await;
    assert_eq!(r.text, snap.service_principals.len().to_string());
}

#[tokio::test]
async fn filters_follow_the_documented_support() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();
    let mis = snap
        .service_principals
        .iter()
        .filter(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .count();
    for filter in [
        "servicePrincipalType eq 'ManagedIdentity'",
        "(servicePrincipalType eq 'ManagedIdentity')",
        "servicePrincipalType+eq+'ManagedIdentity'",
    ] {
        let r = get(&format!("{g}/servicePrincipals?$filter={filter}")).await;
        assert_eq!(r.status, 200, "{filter}");
        let v = r.json();
        let got = v["value"].as_array().unwrap();
        assert_eq!(got.len(), mis, "{filter}");
        assert!(
            got.iter()
                .all(|s| s["servicePrincipalType"] == "ManagedIdentity")
        );
    }
    // The documented filters work without advanced query parameters…
    for (path, filter) in [
        ("servicePrincipals", "displayName eq 'x'"),
        ("servicePrincipals", "startswith(displayName,'a')"),
        (
            "servicePrincipals",
            "startswith(appId,'a') or startswith(appId,'A')",
        ),
        (
            "applications",
            "appId eq '00000000-0000-0000-0000-000000000000'",
        ),
        (
            "applications",
            "createdDateTime ge 2020-01-01T00:00:00Z and createdDateTime le 2030-01-01T00:00:00Z",
        ),
    ] {
        let r = get(&format!("{g}/{path}?$filter={filter}")).await;
        assert_eq!(r.status, 200, "{filter}");
    }
    // …and what the documentation does not list is refused: `startsWith` on an
    // application's appId (it supports `eq` only), `gt`, `endsWith`, other properties.
    for (path, filter) in [
        ("applications", "startswith(appId,'a')"),
        ("applications", "createdDateTime gt 2020-01-01T00:00:00Z"),
        ("servicePrincipals", "endswith(appId,'a')"),
        ("servicePrincipals", "publisherName eq 'x'"),
    ] {
        let r = get(&format!("{g}/{path}?$filter={filter}")).await;
        assert_eq!(r.status, 400, "{filter}");
        assert_eq!(r.code(), "Request_UnsupportedQuery", "{filter}");
    }
    // `ne` and `not` need the advanced query parameters.
    let r = get(&format!("{g}/servicePrincipals?$filter=appId ne 'x'")).await;
    assert_eq!((r.status, r.code().as_str()), (400, "Request_BadRequest"));
}

#[tokio::test]
async fn top_is_between_1_and_999() {
    let emu = Emulator::start(demo_tenant()).await;
    let g = emu.graph_url();
    assert_eq!(get(&format!("{g}/applications?$top=999")).await.status, 200);
    for bad in ["1000", "0", "-1", "ten"] {
        let r = get(&format!("{g}/applications?$top={bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.code(), "Request_BadRequest");
    }
    assert_eq!(
        get(&format!("{g}/applications?$orderby=displayName"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn responses_carry_request_ids_and_errors_have_graphs_shape() {
    let emu = Emulator::start(demo_tenant()).await;
    let g = emu.graph_url();
    let r = send(
        "GET",
        &format!("{g}/applications/00000000-0000-0000-0000-000000000001"),
        &[("client-request-id", "abc-123")],
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "Request_ResourceNotFound");
    assert_eq!(r.header("client-request-id").unwrap(), "abc-123");
    let request_id = r.header("request-id").unwrap();
    let inner = &r.json()["error"]["innerError"];
    assert_eq!(inner["request-id"], json!(request_id));
    assert_eq!(inner["client-request-id"], json!("abc-123"));
    assert!(inner["date"].is_string());
    assert!(r.header("x-ms-resource-unit").is_some());
}

#[tokio::test]
async fn single_objects_by_id_and_app_id_and_certificate_keys_on_select() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let g = emu.graph_url();
    let app = snap
        .applications
        .iter()
        .find(|a| !a.key_credentials.is_empty())
        .unwrap();
    let by_id = get(&format!("{g}/applications/{}", app.id)).await.json();
    let by_app_id = get(&format!("{g}/applications(appId='{}')", app.app_id))
        .await
        .json();
    assert_eq!(by_id["id"], json!(app.id));
    assert_eq!(by_app_id["id"], json!(app.id));
    assert!(by_id["keyCredentials"][0]["key"].is_null());
    let v = get(&format!(
        "{g}/applications/{}?$select=keyCredentials",
        app.id
    ))
    .await
    .json();
    let key = v["keyCredentials"][0]["key"].as_str().unwrap();
    assert_eq!(key, emu.key_credential_key(&app.key_credentials[0].key_id));
    let sp = &snap.service_principals[0];
    let v = get(&format!("{g}/servicePrincipals(appId='{}')", sp.app_id))
        .await
        .json();
    assert_eq!(v["id"], json!(sp.id));
    assert_eq!(
        get(&format!("{g}/servicePrincipals(appId='nope')"))
            .await
            .status,
        404
    );
    assert_eq!(get(&format!("{g}/nothingHere")).await.status, 400);
    let org = get(&format!("{g}/organization")).await.json();
    assert_eq!(org["value"][0]["id"], json!(snap.tenant_id));
}

// ---------------------------------------------------------------------------------------------
// Federated identity credentials on applications.

fn fic_body(name: &str, subject: &str) -> Value {
    json!({
        "name": name,
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": subject,
        "audiences": ["api://AzureADTokenExchange"],
    })
}

/// The body Graph v1.0 sends for a list that holds a flexible FIC: 200, the JSON cut off
/// right after the FIC's `issuer` value, Graph's error object appended at once
/// (Azure/azure-workload-identity#373; microsoftgraph/msgraph-sdk-python#1359).
fn assert_broken_after_issuer(r: &Reply, issuer: &str) {
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    let cut = format!(
        "\"issuer\":\"{issuer}\"{{\"error\":{{\"code\":\"InternalServerError\",\"message\":\"The property 'subject[Nullable=False]' of type 'Edm.String' has a null value, which is not allowed.\",\"innerError\":{{"
    );
    assert!(r.text.contains(&cut), "{}", r.text);
    assert!(r.text.ends_with("}}}"), "{}", r.text);
}

#[tokio::test]
async fn the_v1_breakage_is_byte_for_byte_the_observed_one() {
    // The tenant of Azure/azure-workload-identity#373's comment: one app, one flexible FIC,
    // ids as published ("UUID").
    let mut snap = demo_tenant();
    snap.applications.truncate(1);
    snap.applications[0].id = "UUID".into();
    snap.applications[0].federated_identity_credentials =
        vec![credwise::domain::FederatedIdentityCredential {
            id: Some("UUID".into()),
            name: "FlexFic1".into(),
            issuer: "https://gitlab.com".into(),
            subject: None,
            claims_matching_expression: Some("claims['sub'] matches 'project_path:x:*'".into()),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }];
    let emu = Emulator::start(snap).await;
    let got = get(&format!(
        "{}/applications/UUID/federatedIdentityCredentials",
        emu.graph_url()
    ))
    .await
    .text;
    let observed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/real/graph-v1-fic-list-flexible-instream-error.txt"),
    )
    .unwrap();
    // What differs by nature: the host, the date and the request ids.
    let mut normalized = got.replace(&emu.base_url(), "https://graph.microsoft.com");
    for key in [
        "\"date\":\"",
        "\"request-id\":\"",
        "\"client-request-id\":\"",
    ] {
        let at = normalized.find(key).unwrap() + key.len();
        let end = at + normalized[at..].find('"').unwrap();
        let value = if key.contains("date") {
            "2024-12-06T23:19:12"
        } else {
            "UUID"
        };
        normalized.replace_range(at..end, value);
    }
    assert_eq!(normalized, observed);
}

#[tokio::test]
async fn flexible_fics_break_every_v1_read_and_come_whole_from_beta() {
    let mut snap = demo_tenant();
    // The demo's own flexible FIC aside, one on an app that has none.
    for a in &mut snap.applications {
        a.federated_identity_credentials
            .retain(|f| f.claims_matching_expression.is_none());
    }
    let app = snap.applications[0].clone();
    let issuer = "https://gitlab.com";
    snap.applications[0].federated_identity_credentials.push(
        credwise::domain::FederatedIdentityCredential {
            id: Some("6f4b3c2a-0000-4000-8000-00000000f1e1".into()),
            name: "FlexFic1".into(),
            issuer: issuer.into(),
            subject: None,
            claims_matching_expression: Some(
                "claims['sub'] matches 'project_path:contoso/api:ref_type:branch:ref:*'".into(),
            ),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        },
    );
    let emu = Emulator::start(snap).await;
    let path = format!("/applications/{}/federatedIdentityCredentials", app.id);
    let (g, b) = (emu.graph_url(), emu.graph_beta_url());
    // The FIC list, the single FIC, the app with `$expand`, the app list with `$expand`.
    for url in [
        format!("{g}{path}"),
        format!("{g}{path}/FlexFic1"),
        format!(
            "{g}/applications/{}?$expand=federatedIdentityCredentials",
            app.id
        ),
        format!("{g}/applications?$select=id&$expand=federatedIdentityCredentials"),
    ] {
        assert_broken_after_issuer(&get(&url).await, issuer);
    }
    // The app's classic FIC comes whole before it, as in #1359's report.
    let list = get(&format!("{g}{path}")).await.text;
    assert!(
        list.starts_with(&format!(
            "{{\"@odata.context\":\"{g}/$metadata#applications('{}')/federatedIdentityCredentials\",\"value\":[{{\"id\":",
            app.id
        )),
        "{list}"
    );
    assert!(
        list.contains(r#"},{"id":"6f4b3c2a-0000-4000-8000-00000000f1e1","name":"FlexFic1","issuer":"https://gitlab.com"{"error":"#),
        "{list}"
    );
    // A `$batch` item that reads it breaks the batch response off in the same way.
    let batch = send(
        "POST",
        &format!("{g}/$batch"),
        &[],
        Some(json!({"requests": [batch_get("1", &path)]})),
    )
    .await;
    assert_broken_after_issuer(&batch, issuer);
    assert!(
        batch.text.starts_with(r#"{"responses":[{"#),
        "{}",
        batch.text
    );
    assert!(
        batch
            .text
            .contains(r#""id":"1","status":200,"body":{"@odata.context""#)
    );
    // Without `$expand`, and for the other apps, v1.0 answers whole.
    assert_eq!(
        get(&format!("{g}/applications?$select=id,appId"))
            .await
            .json()["value"]
            .as_array()
            .unwrap()
            .len(),
        emu.snapshot().applications.len()
    );
    // Beta serialises it whole, the expression included.
    let beta = get(&format!("{b}{path}")).await.json();
    let f = beta["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "FlexFic1")
        .unwrap()
        .clone();
    assert!(f["subject"].is_null());
    assert_eq!(f["claimsMatchingExpression"]["languageVersion"], json!(1));
    assert!(
        f["claimsMatchingExpression"]["value"]
            .as_str()
            .unwrap()
            .contains("ref_type:branch:ref:*")
    );
    assert_eq!(
        get(&format!("{b}{path}/FlexFic1")).await.json()["name"],
        "FlexFic1"
    );

    // Creating one: beta only.
    let flexible = json!({
        "name": "flexible-two",
        "issuer": "https://token.actions.githubusercontent.com",
        "claimsMatchingExpression": {"languageVersion": 1, "value": "claims['sub'] matches 'repo:contoso/web:*'"},
        "audiences": ["api://AzureADTokenExchange"],
    });
    let r = send(
        "POST",
        &format!("{}{path}", emu.graph_url()),
        &[],
        Some(flexible.clone()),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = send(
        "POST",
        &format!("{}{path}", emu.graph_beta_url()),
        &[],
        Some(flexible),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn fic_create_read_update_upsert_and_delete() {
    let snap = demo_tenant();
    let app = snap
        .applications
        .iter()
        .find(|a| a.federated_identity_credentials.is_empty())
        .unwrap()
        .clone();
    let emu = Emulator::start(snap).await;
    let base = format!(
        "{}/applications/{}/federatedIdentityCredentials",
        emu.graph_url(),
        app.id
    );

    let r = send(
        "POST",
        &base,
        &[],
        Some(fic_body(
            "deploy-main",
            "repo:contoso/api:ref:refs/heads/main",
        )),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(
        created["@odata.context"]
            .as_str()
            .unwrap()
            .contains("federatedIdentityCredentials/$entity")
    );
    assert_eq!(created["description"], Value::Null);

    assert_eq!(
        get(&format!("{base}/{id}")).await.json()["name"],
        "deploy-main"
    );
    assert_eq!(
        get(&format!("{base}/deploy-main")).await.json()["id"],
        json!(id)
    );

    let r = send(
        "PATCH",
        &format!("{base}/deploy-main"),
        &[],
        Some(json!({"description": "main branch"})),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        get(&format!("{base}/{id}")).await.json()["description"],
        "main branch"
    );
    let r = send(
        "PATCH",
        &format!("{base}/{id}"),
        &[],
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(r.status, 400, "name is immutable");

    // Upsert: created (201 + body) with Prefer, updated (204); without Prefer a missing one
    // is 404.
    let upsert = format!("{base}(name='deploy-env')");
    let body = json!({"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/api:environment:prod", "audiences": ["api://AzureADTokenExchange"]});
    let r = send("PATCH", &upsert, &[], Some(body.clone())).await;
    assert_eq!(r.status, 404);
    let r = send(
        "PATCH",
        &upsert,
        &[("Prefer", "create-if-missing")],
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["name"], "deploy-env");
    let r = send(
        "PATCH",
        &upsert,
        &[("Prefer", "create-if-missing")],
        Some(body),
    )
    .await;
    assert_eq!(r.status, 204);

    let names: Vec<String> = emu
        .snapshot()
        .applications
        .iter()
        .find(|a| a.id == app.id)
        .unwrap()
        .federated_identity_credentials
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(names, ["deploy-main", "deploy-env"]);

    let v = get(&format!(
        "{base}?$filter=subject eq 'repo:contoso/api:environment:prod'"
    ))
    .await
    .json();
    assert_eq!(v["value"].as_array().unwrap().len(), 1);

    assert_eq!(
        send("DELETE", &format!("{base}/{id}"), &[], None)
            .await
            .status,
        204
    );
    assert_eq!(get(&format!("{base}/{id}")).await.status, 404);
    assert_eq!(
        send("DELETE", &format!("{base}/{id}"), &[], None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn fic_validations_answer_400_with_graph_error_bodies() {
    let snap = demo_tenant();
    let app = snap
        .applications
        .iter()
        .find(|a| a.federated_identity_credentials.is_empty())
        .unwrap()
        .clone();
    let emu = Emulator::start(snap).await;
    let base = format!(
        "{}/applications/{}/federatedIdentityCredentials",
        emu.graph_url(),
        app.id
    );
    let long = "x".repeat(601);
    let mut cases = vec![
        ("bad name", fic_body("-starts-with-dash", "s")),
        ("short name", fic_body("ab", "s")),
        ("name with space", fic_body("has space", "s")),
        ("long name", fic_body(&"n".repeat(121), "s")),
        ("long subject", fic_body("long-subject", &long)),
        (
            "no subject",
            json!({"name": "no-subject", "issuer": "https://i", "audiences": ["a"]}),
        ),
    ];
    let mut two = fic_body("two-audiences", "s");
    two["audiences"] = json!(["api://AzureADTokenExchange", "api://other"]);
    cases.push(("two audiences", two));
    let mut none = fic_body("no-audience", "s");
    none["audiences"] = json!([]);
    cases.push(("no audience", none));
    let mut issuer = fic_body("long-issuer", "s");
    issuer["issuer"] = json!(format!("https://{long}"));
    cases.push(("long issuer", issuer));
    for (what, body) in cases {
        let r = send("POST", &base, &[], Some(body)).await;
        assert_eq!(r.status, 400, "{what}: {}", r.text);
        assert_eq!(r.code(), "Request_BadRequest", "{what}");
        assert!(r.json()["error"]["innerError"]["request-id"].is_string());
    }
    assert_eq!(
        send("POST", &base, &[], Some(fic_body("a_b-3", "s")))
            .await
            .status,
        201
    );
    // Same issuer and subject under another name; same name again.
    assert_eq!(
        send("POST", &base, &[], Some(fic_body("other-name", "s")))
            .await
            .status,
        400
    );
    assert_eq!(
        send("POST", &base, &[], Some(fic_body("a_b-3", "t")))
            .await
            .status,
        400
    );
    // Up to 20 per application.
    for k in 1..20 {
        let r = send(
            "POST",
            &base,
            &[],
            Some(fic_body(&format!("fic-{k}"), &format!("subject-{k}"))),
        )
        .await;
        assert_eq!(r.status, 201, "{k}");
    }
    let r = send("POST", &base, &[], Some(fic_body("fic-21", "subject-21"))).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("20")
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets and certificates.

#[tokio::test]
async fn add_and_remove_password_on_applications_and_service_principals() {
    let snap = demo_tenant();
    let app = snap.applications[0].clone();
    let sp = snap
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == ServicePrincipalType::Application)
        .unwrap()
        .clone();
    let mi = snap
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .unwrap()
        .clone();
    let emu = Emulator::start(snap).await;
    let g = emu.graph_url();

    let r = send(
        "POST",
        &format!("{g}/applications/{}/addPassword", app.id),
        &[],
        Some(json!({"passwordCredential": {"displayName": "rotation"}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let pc = r.json();
    let secret = pc["secretText"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 40);
    assert_eq!(pc["hint"], json!(&secret[..3]));
    assert_eq!(pc["displayName"], "rotation");
    let key_id = pc["keyId"].as_str().unwrap().to_string();
    let start = time::OffsetDateTime::parse(
        pc["startDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let end = time::OffsetDateTime::parse(
        pc["endDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((end - start).whole_days(), 730, "two years by default");

    let r = send(
        "POST",
        &format!("{g}/servicePrincipals/{}/addPassword", sp.id),
        &[],
        Some(json!({"passwordCredential": {}})),
    )
    .await;
    assert_eq!(r.status, 200);
    let sp_secret = r.json()["secretText"].as_str().unwrap().to_string();
    assert_eq!(emu.secret_texts(), [secret.clone(), sp_secret.clone()]);

    // Reads never show a secret text, and neither does the snapshot.
    let listing = get(&format!("{g}/applications?$top=999")).await.text
        + &get(&format!("{g}/servicePrincipals?$top=999")).await.text
        + &get(&format!("{g}/applications/{}", app.id)).await.text;
    assert!(!listing.contains(&secret) && !listing.contains(&sp_secret));
    assert!(!listing.contains("secretText"));
    let snap_text = serde_json::to_string(&emu.snapshot()).unwrap();
    assert!(!snap_text.contains(&secret));
    let now = emu.snapshot();
    let stored = now.applications.iter().find(|a| a.id == app.id).unwrap();
    assert!(
        stored
            .password_credentials
            .iter()
            .any(|c| c.key_id == key_id && c.hint.as_deref() == Some(&secret[..3]))
    );

    // Managed identities can't be given secrets.
    let r = send(
        "POST",
        &format!("{g}/servicePrincipals/{}/addPassword", mi.id),
        &[],
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 400);

    let remove = |id: String| {
        let url = format!("{g}/applications/{}/removePassword", app.id);
        async move { send("POST", &url, &[], Some(json!({"keyId": id}))).await }
    };
    assert_eq!(remove(key_id.clone()).await.status, 204);
    let r = remove(key_id.clone()).await;
    assert_eq!(r.status, 400, "unknown keyId");
    let after = emu.snapshot();
    assert!(
        !after
            .applications
            .iter()
            .find(|a| a.id == app.id)
            .unwrap()
            .password_credentials
            .iter()
            .any(|c| c.key_id == key_id)
    );
}

fn test_certificate(cn: &str) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.not_before = NOW - time::Duration::days(1);
    p.not_after = NOW + time::Duration::days(365);
    p.self_signed(&key).unwrap().der().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[tokio::test]
async fn key_credential_dates_must_lie_within_the_certificate() {
    let snap = demo_tenant();
    let app = snap.applications[0].clone();
    let emu = Emulator::start(snap).await;
    let url = format!("{}/applications/{}", emu.graph_url(), app.id);
    let der = test_certificate("dated");
    let (nb, na) = (
        NOW - time::Duration::days(1),
        NOW + time::Duration::days(365),
    );
    let rfc = |t: Timestamp| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let body = |start: Timestamp, end: Timestamp| {
        json!({"keyCredentials": [{
            "keyId": "7a1b2c3d-0000-4000-8000-00000000da7e", "type": "AsymmetricX509Cert",
            "usage": "Verify", "key": b64(&der),
            "startDateTime": rfc(start), "endDateTime": rfc(end),
        }]})
    };
    let second = time::Duration::seconds(1);
    // The end past notAfter: Graph's KeyCredentialsInvalidEndDate.
    let r = send("PATCH", &url, &[], Some(body(nb, na + second))).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "KeyCredentialsInvalidEndDate".into())
    );
    assert_eq!(
        r.json()["error"]["message"],
        "Key credential end date is invalid."
    );
    // The start before notBefore (modelled the same way; unconfirmed).
    let r = send("PATCH", &url, &[], Some(body(nb - second, na))).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "KeyCredentialsInvalidStartDate".into())
    );
    // The validity itself, and anything inside it, is accepted (the reported fix of the
    // error sends notAfter exactly).
    let r = send("PATCH", &url, &[], Some(body(nb, na))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send("PATCH", &url, &[], Some(body(nb + second, na - second))).await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[tokio::test]
async fn patch_key_credentials_replaces_the_collection() {
    let snap = demo_tenant();
    let app = snap
        .applications
        .iter()
        .find(|a| a.key_credentials.len() == 1)
        .unwrap()
        .clone();
    let old = app.key_credentials[0].clone();
    let emu = Emulator::start(snap).await;
    let url = format!("{}/applications/{}", emu.graph_url(), app.id);
    let der = test_certificate("new-cert");
    let new_key_id = "6f4d2c3b-1a2b-4c3d-8e9f-0a1b2c3d4e5f";

    // The existing entry with `key: null` (as a list read gives it), plus a new certificate.
    let body = json!({"keyCredentials": [
        {"keyId": old.key_id, "type": "AsymmetricX509Cert", "usage": "Verify", "key": null},
        {"keyId": new_key_id, "type": "AsymmetricX509Cert", "usage": "Verify", "key": b64(&der), "displayName": "CN=new-cert"},
    ]});
    let r = send("PATCH", &url, &[], Some(body)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let now = emu.snapshot();
    let creds = &now
        .applications
        .iter()
        .find(|a| a.id == app.id)
        .unwrap()
        .key_credentials;
    assert_eq!(creds.len(), 2);
    assert_eq!(creds[0], old, "the existing certificate is kept as it was");
    let new = &creds[1];
    assert_eq!(
        new.custom_key_identifier.as_deref(),
        Some(b64(&sha1::Sha1::digest(&der)).as_str()),
        "thumbprint computed"
    );
    assert!(new.end_date_time.is_some(), "dates from the certificate");
    assert_eq!(emu.key_credential_key(new_key_id), b64(&der));
    let v = get(&format!("{url}?$select=keyCredentials")).await.json();
    assert_eq!(v["keyCredentials"][1]["key"], json!(b64(&der)));

    // Sending back the full list read with $select also works; leaving one out removes it.
    let full = v["keyCredentials"].clone();
    assert_eq!(
        send("PATCH", &url, &[], Some(json!({"keyCredentials": full})))
            .await
            .status,
        204
    );
    let only_new = json!({"keyCredentials": [v["keyCredentials"][1].clone()]});
    assert_eq!(send("PATCH", &url, &[], Some(only_new)).await.status, 204);
    let keys: Vec<String> = emu
        .snapshot()
        .applications
        .iter()
        .find(|a| a.id == app.id)
        .unwrap()
        .key_credentials
        .iter()
        .map(|c| c.key_id.to_string())
        .collect();
    assert_eq!(keys, [new_key_id]);

    // A new entry without a key, a key that is no certificate, and passwordCredentials: 400.
    for body in [
        json!({"keyCredentials": [{"keyId": "11111111-2222-4333-8444-555555555555", "type": "AsymmetricX509Cert", "usage": "Verify"}]}),
        json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": b64(b"not a certificate")}]}),
        json!({"passwordCredentials": []}),
    ] {
        let r = send("PATCH", &url, &[], Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
    }
    // addKey needs a proof signed by an existing valid certificate.
    let r = send("POST", &format!("{url}/addKey"), &[], Some(json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": b64(&der)}, "passwordCredential": null, "proof": "eyJ0eXAiOiJ..."}))).await;
    assert_eq!(r.status, 400);
}

// ---------------------------------------------------------------------------------------------
// $batch.

fn batch_get(id: &str, url: &str) -> Value {
    json!({"id": id, "method": "GET", "url": url})
}

#[tokio::test]
async fn batch_limits_ids_urls_and_headers() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let url = format!("{}/$batch", emu.graph_url());
    let app = &snap.applications[0].id;
    let ok: Vec<Value> = (0..20)
        .map(|k| batch_get(&k.to_string(), &format!("/applications/{app}")))
        .collect();
    assert_eq!(
        send("POST", &url, &[], Some(json!({"requests": ok})))
            .await
            .status,
        200
    );
    let too_many: Vec<Value> = (0..21)
        .map(|k| batch_get(&k.to_string(), "/applications"))
        .collect();
    let bad_bodies = [
        json!({"requests": too_many}),
        json!({"requests": [batch_get("a", "/applications"), batch_get("A", "/servicePrincipals")]}),
        json!({"requests": [batch_get("1", "https://graph.microsoft.com/v1.0/applications")]}),
        json!({"requests": [{"id": "1", "method": "POST", "url": format!("/applications/{app}/addPassword"), "body": {}}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/applications", "dependsOn": ["9"]}]}),
        json!({"requests": []}),
        json!({"nothing": true}),
    ];
    for body in bad_bodies {
        let r = send("POST", &url, &[], Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
    }
}

#[tokio::test]
async fn batch_items_run_through_the_handlers_and_come_back_shuffled() {
    let mut snap = demo_tenant();
    // v1.0 cannot serialise a flexible FIC (see the flexible FIC test); these items read v1.0.
    for a in &mut snap.applications {
        a.federated_identity_credentials
            .retain(|f| f.claims_matching_expression.is_none());
    }
    let emu = Emulator::start(snap.clone()).await;
    let url = format!("{}/$batch", emu.graph_url());
    let requests: Vec<Value> = snap
        .applications
        .iter()
        .take(20)
        .enumerate()
        .map(|(k, a)| {
            batch_get(
                &k.to_string(),
                &format!("applications/{}/federatedIdentityCredentials", a.id),
            )
        })
        .collect();
    let mut orders = HashSet::new();
    for _ in 0..4 {
        let v = send("POST", &url, &[], Some(json!({"requests": requests})))
            .await
            .json();
        let responses = v["responses"].as_array().unwrap();
        assert_eq!(responses.len(), 20);
        let order: Vec<String> = responses
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        for r in responses {
            assert_eq!(r["status"], 200);
            let k: usize = r["id"].as_str().unwrap().parse().unwrap();
            let want = snap.applications[k].federated_identity_credentials.len();
            assert_eq!(r["body"]["value"].as_array().unwrap().len(), want);
            assert!(
                r["headers"]["content-type"].is_string()
                    || r["headers"]["Content-Type"].is_string()
            );
        }
        orders.insert(order);
    }
    assert!(orders.len() > 1, "responses always in the same order");
    assert_eq!(emu.batch_items().len(), 80);
    assert!(
        emu.batch_items()[0]
            .path_and_query
            .starts_with("/v1.0/applications/")
    );

    // A write item with its Content-Type header.
    let app = &snap.applications[1].id;
    let v = send("POST", &url, &[], Some(json!({"requests": [
        {"id": "w", "method": "POST", "url": format!("/applications/{app}/federatedIdentityCredentials"), "headers": {"Content-Type": "application/json"}, "body": fic_body("from-batch", "repo:contoso/batch:ref:refs/heads/main")}
    ]}))).await.json();
    assert_eq!(v["responses"][0]["status"], 201, "{v}");
}

#[tokio::test]
async fn batch_depends_on_gives_424_after_a_failed_dependency() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let url = format!("{}/$batch", emu.graph_url());
    let app = &snap.applications[0].id;
    let v = send(
        "POST",
        &url,
        &[],
        Some(json!({"requests": [
            batch_get("1", "/applications/00000000-0000-0000-0000-00000000dead"),
            {"id": "2", "method": "GET", "url": format!("/applications/{app}"), "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": format!("/applications/{app}"), "dependsOn": ["2"]},
            batch_get("4", &format!("/applications/{app}")),
            {"id": "5", "method": "GET", "url": format!("/applications/{app}"), "dependsOn": ["4"]},
        ]})),
    )
    .await
    .json();
    let status = |id: &str| {
        v["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(status("1"), 404);
    assert_eq!(status("2"), 424);
    assert_eq!(status("3"), 424);
    assert_eq!(status("4"), 200);
    assert_eq!(status("5"), 200);
}

#[tokio::test]
async fn batch_items_are_throttled_and_faulted_one_by_one() {
    let snap = demo_tenant();
    let mut budget = ThrottleBudget::scaled(0.001);
    budget.graph_resource_units = 10.0;
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            throttle: Some(budget),
            ..Default::default()
        },
    )
    .await;
    let url = format!("{}/$batch", emu.graph_url());
    // 20 × `GET /applications/{id}` at 2 RU each against a 10 RU bucket.
    let requests: Vec<Value> = snap
        .applications
        .iter()
        .take(20)
        .enumerate()
        .map(|(k, a)| batch_get(&k.to_string(), &format!("/applications/{}", a.id)))
        .collect();
    let v = send("POST", &url, &[], Some(json!({"requests": requests})))
        .await
        .json();
    let responses = v["responses"].as_array().unwrap();
    let ok = responses.iter().filter(|r| r["status"] == 200).count();
    let throttled: Vec<&Value> = responses.iter().filter(|r| r["status"] == 429).collect();
    assert_eq!(ok, 5);
    assert_eq!(throttled.len(), 15);
    for r in throttled {
        let ra = r["headers"]["retry-after"].as_str().unwrap();
        assert!(ra.parse::<f64>().unwrap() > 0.0);
        assert_eq!(r["body"]["error"]["code"], "TooManyRequests");
    }

    // A fault on one item: that item only.
    let emu = Emulator::start(snap.clone()).await;
    let url = format!("{}/$batch", emu.graph_url());
    let target = &snap.applications[3].id;
    emu.inject(Fault::graph_status(
        Matcher::new("GET", &format!("/applications/{target}")),
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    ));
    let requests: Vec<Value> = snap
        .applications
        .iter()
        .take(5)
        .enumerate()
        .map(|(k, a)| batch_get(&k.to_string(), &format!("/applications/{}", a.id)))
        .collect();
    let v = send("POST", &url, &[], Some(json!({"requests": requests})))
        .await
        .json();
    for r in v["responses"].as_array().unwrap() {
        let want = if r["id"] == "3" { 403 } else { 200 };
        assert_eq!(r["status"], want);
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication.

#[tokio::test]
async fn a_required_bearer_is_checked_and_logged() {
    let emu = Emulator::start_with(
        demo_tenant(),
        Options {
            require_bearer: Some("t0k3n".into()),
            ..Default::default()
        },
    )
    .await;
    let g = format!("{}/applications", emu.graph_url());
    let r = get(&g).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "InvalidAuthenticationToken");
    assert!(r.header("www-authenticate").is_some());
    let r = send("GET", &g, &[("Authorization", "Bearer wrong")], None).await;
    assert_eq!(r.status, 401);
    let r = send("GET", &g, &[("Authorization", "Bearer t0k3n")], None).await;
    assert_eq!(r.status, 200);
    let r = get(&format!(
        "{}/subscriptions?api-version=2022-12-01",
        emu.arm_url()
    ))
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "AuthenticationFailed");
    let log = emu.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(
        log.iter().map(|l| l.status).collect::<Vec<_>>(),
        [401, 401, 200, 401]
    );
    assert!(
        log[2]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer t0k3n")
    );
    assert_eq!(log[2].method, "GET");
    assert_eq!(log[2].path_and_query, "/v1.0/applications");
}

// ---------------------------------------------------------------------------------------------
// ARM.

fn first_uami(snap: &TenantSnapshot) -> credwise::domain::UserAssignedIdentity {
    snap.user_assigned_identities[0].clone()
}

#[tokio::test]
async fn arm_needs_an_api_version_and_lists_subscriptions_of_two_tenants() {
    let snap = demo_tenant();
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            arm_page: 2,
            ..Default::default()
        },
    )
    .await;
    let a = emu.arm_url();
    let r = get(&format!("{a}/subscriptions")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "MissingApiVersionParameter");
    assert!(
        r.header("x-ms-request-id").is_some() && r.header("x-ms-correlation-request-id").is_some()
    );

    let (subs, pages) = crawl(&format!("{a}/subscriptions?api-version=2022-12-01"), &[]).await;
    assert!(pages > 1);
    let tenants: HashSet<&str> = subs
        .iter()
        .map(|s| s["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(
        tenants,
        HashSet::from([snap.tenant_id.as_str(), emulator::FOREIGN_TENANT])
    );
    let uami_sub = first_uami(&snap).subscription_id().unwrap().to_string();
    assert!(subs.iter().any(|s| s["subscriptionId"] == json!(uami_sub)));
    let r = get(&format!("{a}/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{UAMI_API}", emulator::FOREIGN_SUBSCRIPTION)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "InvalidAuthenticationTokenTenant");
    let r = get(&format!("{a}/subscriptions/99999999-9999-4999-8999-999999999999/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{UAMI_API}")).await;
    assert_eq!(r.status, 404);
    let r = get(&format!("{a}/subscriptions/{uami_sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{UAMI_API}")).await;
    assert!(
        r.header("x-ms-ratelimit-remaining-subscription-reads")
            .is_some()
    );
}

#[tokio::test]
async fn uamis_page_by_subscription_with_skip_tokens() {
    let snap = demo_tenant();
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            arm_page: 2,
            ..Default::default()
        },
    )
    .await;
    let mut seen = Vec::new();
    let subs: HashSet<String> = snap
        .user_assigned_identities
        .iter()
        .map(|u| u.subscription_id().unwrap().to_string())
        .collect();
    for sub in subs {
        let (items, _) = crawl(&format!("{}/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{UAMI_API}", emu.arm_url()), &[]).await;
        for u in &items {
            assert_eq!(
                u["type"],
                "Microsoft.ManagedIdentity/userAssignedIdentities"
            );
            assert!(
                u["properties"]["principalId"].is_string()
                    && u["properties"]["clientId"].is_string()
            );
            assert_eq!(u["properties"]["isolationScope"], "None");
        }
        seen.extend(ids(&items));
    }
    assert_unique_and_complete(
        &seen,
        snap.user_assigned_identities.iter().map(|u| u.id.clone()),
    );
    let r = get(&format!("{}/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{UAMI_API}&$skiptoken=bogus", emu.arm_url(), first_uami(&snap).subscription_id().unwrap())).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn creating_a_uami_creates_its_service_principal_and_deleting_removes_both() {
    let snap = demo_tenant();
    let sub = first_uami(&snap).subscription_id().unwrap().to_string();
    let emu = Emulator::start(snap).await;
    let url = format!(
        "{}/subscriptions/{sub}/resourceGroups/rg-new/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-new?{UAMI_API}",
        emu.arm_url()
    );
    let r = send(
        "PUT",
        &url,
        &[],
        Some(json!({"location": "westeurope", "tags": {"env": "prod"}})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let u = r.json();
    let principal = u["properties"]["principalId"].as_str().unwrap().to_string();
    let client = u["properties"]["clientId"].as_str().unwrap().to_string();
    let arm_id = u["id"].as_str().unwrap().to_string();
    assert_eq!(u["properties"]["tenantId"], json!(emu.snapshot().tenant_id));
    let sp = get(&format!(
        "{}/servicePrincipals/{principal}",
        emu.graph_url()
    ))
    .await
    .json();
    assert_eq!(sp["appId"], json!(client));
    assert_eq!(sp["servicePrincipalType"], "ManagedIdentity");
    assert_eq!(sp["alternativeNames"], json!(["isExplicit=True", arm_id]));

    let r = send(
        "PUT",
        &url,
        &[],
        Some(json!({"location": "westeurope", "tags": {}})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["properties"]["principalId"],
        json!(principal),
        "same identity"
    );
    assert_eq!(
        send("PUT", &url, &[], Some(json!({"tags": {}})))
            .await
            .status,
        400,
        "location required"
    );
    assert_eq!(get(&url).await.status, 200);

    assert_eq!(send("DELETE", &url, &[], None).await.status, 200);
    assert_eq!(send("DELETE", &url, &[], None).await.status, 204);
    assert_eq!(get(&url).await.status, 404);
    assert_eq!(
        get(&format!(
            "{}/servicePrincipals/{principal}",
            emu.graph_url()
        ))
        .await
        .status,
        404
    );
    assert!(
        !emu.snapshot()
            .user_assigned_identities
            .iter()
            .any(|u| u.principal_id == principal)
    );
}

fn arm_fic(subject: &str) -> Value {
    json!({"properties": {"issuer": "https://oidc.prod-aks.azure.com/t/i/", "subject": subject, "audiences": ["api://AzureADTokenExchange"]}})
}

#[tokio::test]
async fn uami_fic_validations_and_writes() {
    let snap = demo_tenant();
    let u = first_uami(&snap);
    let emu = Emulator::start(snap).await;
    let base = format!("{}{}/federatedIdentityCredentials", emu.arm_url(), u.id);
    let at = |name: &str| format!("{base}/{name}?{UAMI_API}");

    let r = send(
        "PUT",
        &at("aks-web"),
        &[],
        Some(arm_fic("system:serviceaccount:web:app")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["type"],
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    );
    assert_eq!(
        send(
            "PUT",
            &at("aks-web"),
            &[],
            Some(arm_fic("system:serviceaccount:web:app"))
        )
        .await
        .status,
        200
    );

    let mut two = arm_fic("s2");
    two["properties"]["audiences"] = json!(["a", "b"]);
    let cases = [
        ("-bad", arm_fic("s1"), "is invalid"),
        ("good-name", two, "exactly one audience"),
        ("good-name", json!({"properties": {}}), "empty properties"),
        (
            "other-name",
            arm_fic("system:serviceaccount:web:app"),
            "Issuer and subject combination already exists",
        ),
    ];
    for (name, body, message) in cases {
        let r = send("PUT", &at(name), &[], Some(body)).await;
        assert_eq!(r.status, 400, "{name}: {}", r.text);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{}",
            r.text
        );
    }
    let missing = format!(
        "{}/subscriptions/{}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope/federatedIdentityCredentials/x-y-z?{UAMI_API}",
        emu.arm_url(),
        u.subscription_id().unwrap()
    );
    let r = send("PUT", &missing, &[], Some(arm_fic("s"))).await;
    assert_eq!(r.status, 404);
    assert!(
        r.text
            .contains("The parent user-assigned identity doesn't exist.")
    );

    let existing = u.federated_identity_credentials.len() + 1;
    for k in existing..20 {
        assert_eq!(
            send(
                "PUT",
                &at(&format!("fic-{k}")),
                &[],
                Some(arm_fic(&format!("s-{k}")))
            )
            .await
            .status,
            201
        );
    }
    assert_eq!(
        send("PUT", &at("fic-21"), &[], Some(arm_fic("s-21")))
            .await
            .status,
        400
    );
    let (items, _) = crawl(&format!("{base}?{UAMI_API}&$top=7"), &[]).await;
    assert_eq!(items.len(), 20);

    assert_eq!(send("DELETE", &at("aks-web"), &[], None).await.status, 200);
    assert_eq!(send("DELETE", &at("aks-web"), &[], None).await.status, 204);
    assert_eq!(get(&at("aks-web")).await.status, 404);
    let now = emu.snapshot();
    let stored = now
        .user_assigned_identities
        .iter()
        .find(|x| x.id == u.id)
        .unwrap();
    assert_eq!(stored.federated_identity_credentials.len(), 19);
}

#[tokio::test]
async fn concurrent_fic_writes_on_one_uami_conflict() {
    let snap = demo_tenant();
    let (u1, u2) = (
        snap.user_assigned_identities[0].clone(),
        snap.user_assigned_identities[1].clone(),
    );
    let emu = Emulator::start_with(
        snap,
        Options {
            latency: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await;
    let url = |u: &credwise::domain::UserAssignedIdentity, n: &str| {
        format!(
            "{}{}/federatedIdentityCredentials/{n}?{UAMI_API}",
            emu.arm_url(),
            u.id
        )
    };
    let (first, second) = (url(&u1, "first-one"), url(&u1, "second-one"));
    let (a, b) = tokio::join!(
        send("PUT", &first, &[], Some(arm_fic("s-1"))),
        send("PUT", &second, &[], Some(arm_fic("s-2"))),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    let conflict = if a.status == 409 { a } else { b };
    assert!(conflict.code().starts_with("Concurrent"));
    // Different identities are written in parallel.
    let (one, two) = (url(&u1, "third-one"), url(&u2, "third-one"));
    let (a, b) = tokio::join!(
        send("PUT", &one, &[], Some(arm_fic("s-3"))),
        send("PUT", &two, &[], Some(arm_fic("s-3"))),
    );
    assert_eq!((a.status, b.status), (201, 201));
}

#[tokio::test]
async fn role_assignments_list_create_conflict_and_delete() {
    let snap = demo_tenant();
    let ra = snap.role_assignments[0].clone();
    let sub = credwise::domain::objects::arm_segment(&ra.scope, "subscriptions")
        .unwrap()
        .to_string();
    let emu = Emulator::start_with(
        snap.clone(),
        Options {
            arm_page: 3,
            ..Default::default()
        },
    )
    .await;
    let a = emu.arm_url();
    let list = format!(
        "{a}/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments?{RA_API}"
    );
    let (got, _) = crawl(
        &format!("{list}&$filter=principalId%20eq%20'{}'", ra.principal_id),
        &[],
    )
    .await;
    let want: Vec<String> = snap
        .role_assignments
        .iter()
        .filter(|r| {
            r.principal_id == ra.principal_id
                && (r
                    .scope
                    .to_lowercase()
                    .starts_with(&format!("/subscriptions/{sub}")))
        })
        .map(|r| r.id.clone())
        .collect();
    assert_unique_and_complete(&ids(&got), want);
    let item = &got[0];
    for k in ["roleDefinitionId", "principalId", "principalType", "scope"] {
        assert!(item["properties"].get(k).is_some(), "{k}");
    }
    assert_eq!(item["type"], "Microsoft.Authorization/roleAssignments");
    let (all, pages) = crawl(&list, &[]).await;
    assert!(pages > 1);
    let in_sub = snap
        .role_assignments
        .iter()
        .filter(|r| {
            r.scope
                .to_lowercase()
                .starts_with(&format!("/subscriptions/{sub}"))
        })
        .count();
    assert_eq!(all.len(), in_sub);
    assert_eq!(
        get(&format!("{list}&$filter=displayName eq 'x'"))
            .await
            .status,
        400
    );

    // PUT at a resource-group scope for a managed identity.
    let mi = snap
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .unwrap();
    let name = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    let scope = format!("/subscriptions/{sub}/resourceGroups/rg-new");
    let put =
        format!("{a}{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?{RA_API}");
    let reader = format!(
        "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    );
    let body = json!({"properties": {"roleDefinitionId": reader, "principalId": mi.id, "principalType": "ServicePrincipal"}});
    let r = send("PUT", &put, &[], Some(body.clone())).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["properties"]["scope"], json!(scope));
    let other = put.replace(name, "3f2504e0-4f89-41d3-9a0c-0305e82c3302");
    let r = send("PUT", &other, &[], Some(body.clone())).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "RoleAssignmentExists");
    // A principal the directory does not know is refused unless its type is given (the
    // documented way around a replication delay).
    let mut ghost = body.clone();
    ghost["properties"]["principalId"] = json!("00000000-0000-4000-8000-000000000abc");
    ghost["properties"]
        .as_object_mut()
        .unwrap()
        .remove("principalType");
    let r = send("PUT", &other, &[], Some(ghost)).await;
    assert_eq!(r.code(), "PrincipalNotFound");
    assert!(
        r.text.contains("set the role assignment principalType"),
        "{}",
        r.text
    );
    let created = emu
        .snapshot()
        .role_assignments
        .iter()
        .find(|r| r.id.ends_with(name))
        .cloned()
        .unwrap();
    assert_eq!(created.role_definition_name.as_deref(), Some("Reader"));
    // The principal's assignments seen from the subscription include the one below it.
    let (got, _) = crawl(&format!("{list}&$filter=principalId eq '{}'", mi.id), &[]).await;
    assert!(ids(&got).iter().any(|id| id.ends_with(name)));
    let def = get(&format!("{a}{reader}?{RA_API}")).await.json();
    assert_eq!(def["properties"]["roleName"], "Reader");

    assert_eq!(send("DELETE", &put, &[], None).await.status, 200);
    assert_eq!(send("DELETE", &put, &[], None).await.status, 204);
    assert!(
        !emu.snapshot()
            .role_assignments
            .iter()
            .any(|r| r.id.ends_with(name))
    );
}

const ARG_QUERY: &str = "resources | where isnotempty(identity) and tostring(identity.type) !~ 'None' | project id, name, type, location, subscriptionId, identity";

#[tokio::test]
async fn resource_graph_pages_by_skip_token() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        emu.arm_url()
    );
    let subs: Vec<String> = emu
        .snapshot()
        .resources
        .iter()
        .filter_map(|r| {
            credwise::domain::objects::arm_segment(&r.id, "subscriptions").map(str::to_string)
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut options = json!({"$top": 4, "resultFormat": "objectArray"});
        if let Some(t) = &token {
            options["$skipToken"] = json!(t);
        }
        let r = send(
            "POST",
            &url,
            &[],
            Some(json!({"subscriptions": subs, "query": ARG_QUERY, "options": options})),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.header("x-ms-user-quota-remaining").is_some());
        assert!(
            r.header("x-ms-user-quota-resets-after")
                .unwrap()
                .contains(':')
        );
        let v = r.json();
        assert_eq!(v["resultTruncated"], "false");
        let data = v["data"].as_array().unwrap();
        assert_eq!(v["count"], json!(data.len()));
        for d in data {
            let t = d["type"].as_str().unwrap();
            assert_eq!(t, t.to_lowercase());
            assert!(d["identity"]["type"].is_string() && d["subscriptionId"].is_string());
        }
        seen.extend(ids(data));
        pages += 1;
        match v["$skipToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let with_identity: Vec<String> = snap
        .resources
        .iter()
        .filter(|r| !r.identity.identity_type.eq_ignore_ascii_case("none"))
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(pages, with_identity.len().div_ceil(4));
    assert_unique_and_complete(&seen, with_identity);

    // The user-assigned map carries principal and client ids.
    let with_ua = snap
        .resources
        .iter()
        .find(|r| !r.identity.user_assigned_identities.is_empty())
        .unwrap();
    let r = send(
        "POST",
        &url,
        &[],
        Some(json!({"subscriptions": subs, "query": ARG_QUERY, "options": {"$top": 1000}})),
    )
    .await
    .json();
    let d = r["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == json!(with_ua.id))
        .unwrap()
        .clone();
    let ua =
        &d["identity"]["userAssignedIdentities"][&with_ua.identity.user_assigned_identities[0]];
    assert!(
        ua["principalId"].is_string() && ua["clientId"].is_string(),
        "{d}"
    );

    for body in [
        json!({"subscriptions": subs, "query": "resources | project id"}),
        json!({"subscriptions": subs, "query": ARG_QUERY, "options": {"$top": 1001}}),
        json!({"subscriptions": subs, "query": ARG_QUERY, "options": {"$skipToken": "nope"}}),
    ] {
        assert_eq!(
            send("POST", &url, &[], Some(body.clone())).await.status,
            400,
            "{body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Faults.

#[tokio::test]
async fn status_faults_skip_then_act_a_number_of_times() {
    let emu = Emulator::start(demo_tenant()).await;
    let url = format!("{}/servicePrincipals", emu.graph_url());
    emu.inject(
        Fault::graph_status(
            Matcher::new("GET", "/servicePrincipals"),
            500,
            "UnknownError",
            "boom",
        )
        .skip(1)
        .times(2),
    );
    let statuses = [
        get(&url).await.status,
        get(&url).await.status,
        get(&url).await.status,
        get(&url).await.status,
    ];
    assert_eq!(statuses, [200, 500, 500, 200]);
    // Other methods and paths are not matched.
    emu.inject(Fault::graph_status(
        Matcher::new("POST", "/servicePrincipals"),
        500,
        "UnknownError",
        "boom",
    ));
    assert_eq!(get(&url).await.status, 200);
    emu.clear_faults();
    let arm = format!("{}/subscriptions?api-version=2022-12-01", emu.arm_url());
    emu.inject(Fault::arm_status(Matcher::path("/subscriptions"), 403, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Resources/subscriptions/read'."));
    let r = get(&arm).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "AuthorizationFailed");
    assert!(r.header("x-ms-request-id").is_some());
    emu.inject(
        Fault::new(
            Matcher::path("/subscriptions"),
            FaultAction::Status {
                status: 409,
                headers: vec![("x-custom".into(), "1".into())],
                body: emulator::arm_error("Conflict", "busy"),
            },
        )
        .always(),
    );
    for _ in 0..3 {
        let r = get(&arm).await;
        assert_eq!(
            (r.status, r.header("x-custom").as_deref()),
            (409, Some("1"))
        );
    }
    emu.clear_faults();
    assert_eq!(get(&arm).await.status, 200);
}

#[tokio::test]
async fn throttle_faults_send_429_with_the_retry_after_given() {
    let emu = Emulator::start(demo_tenant()).await;
    emu.inject(Fault::new(
        Matcher::path("/applications"),
        FaultAction::Throttle {
            retry_after: "2.128".into(),
        },
    ));
    let r = get(&format!("{}/applications", emu.graph_url())).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("2.128"));
    let v = r.json();
    assert_eq!(v["error"]["code"], "TooManyRequests");
    assert_eq!(v["error"]["innerError"]["status"], "429");
    emu.inject(Fault::new(
        Matcher::path("/subscriptions"),
        FaultAction::Throttle {
            retry_after: "3".into(),
        },
    ));
    let r = get(&format!(
        "{}/subscriptions?api-version=2022-12-01",
        emu.arm_url()
    ))
    .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("3"));
    assert!(r.code().contains("Throttled"));
}

#[tokio::test]
async fn truncated_responses_break_off_mid_body() {
    let emu = Emulator::start(demo_tenant()).await;
    let url = format!("{}/applications", emu.graph_url());
    emu.inject(Fault::new(
        Matcher::path("/applications"),
        FaultAction::Truncate,
    ));
    let r = reqwest::Client::new().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let declared: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(declared > 100);
    assert!(r.bytes().await.is_err(), "the body must not complete");
    assert_eq!(get(&url).await.status, 200, "one time only");
    // Inside a batch the whole batch response is cut.
    let app = emu.snapshot().applications[0].id.clone();
    emu.inject(Fault::new(
        Matcher::path(&format!("/applications/{app}")),
        FaultAction::Truncate,
    ));
    let r = reqwest::Client::new()
        .post(format!("{}/$batch", emu.graph_url()))
        .json(&json!({"requests": [batch_get("1", &format!("/applications/{app}"))]}))
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_err());
}

#[tokio::test]
async fn stalled_requests_say_nothing_for_a_while() {
    let emu = Emulator::start(demo_tenant()).await;
    let url = format!("{}/applications", emu.graph_url());
    emu.inject(Fault::new(
        Matcher::path("/applications"),
        FaultAction::Stall(Duration::from_secs(30)),
    ));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.get(&url).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    emu.inject(Fault::new(
        Matcher::path("/applications"),
        FaultAction::Stall(Duration::from_millis(200)),
    ));
    let started = Instant::now();
    assert_eq!(get(&url).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

/// `Close`: the request is read, then the connection closes with no answer at all — no status
/// line, no header — as a network cut or a dropping proxy looks to a client.
#[tokio::test]
async fn closed_connections_answer_nothing() {
    let emu = Emulator::start(demo_tenant()).await;
    emu.inject(Fault::new(Matcher::path("/subscriptions"), FaultAction::Close).times(2));
    let url = format!("{}/subscriptions?api-version=2022-12-01", emu.arm_url());
    for _ in 0..2 {
        let err = reqwest::Client::new().get(&url).send().await.unwrap_err();
        assert!(err.status().is_none(), "{err:?}");
        assert!(err.is_request() || err.is_connect(), "{err:?}");
    }
    assert_eq!(get(&url).await.status, 200, "two times only");
    let logged = emu.requests();
    assert_eq!(logged.len(), 3, "every closed request is logged");
    // Inside a batch, the whole batch response is cut off.
    let app = emu.snapshot().applications[0].id.clone();
    emu.inject(Fault::new(
        Matcher::path(&format!("/applications/{app}")),
        FaultAction::Close,
    ));
    let r = reqwest::Client::new()
        .post(format!("{}/$batch", emu.graph_url()))
        .json(&json!({"requests": [batch_get("1", &format!("/applications/{app}"))]}))
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_err());
}

#[tokio::test]
async fn unauthorized_faults_look_like_an_expired_token() {
    let emu = Emulator::start(demo_tenant()).await;
    emu.inject(
        Fault::new(
            Matcher::path("/servicePrincipals"),
            FaultAction::Unauthorized,
        )
        .skip(1),
    );
    let url = format!("{}/servicePrincipals?$top=5", emu.graph_url());
    assert_eq!(get(&url).await.status, 200);
    let r = get(&url).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "InvalidAuthenticationToken");
    emu.inject(Fault::new(
        Matcher::path("/subscriptions"),
        FaultAction::Unauthorized,
    ));
    let r = get(&format!(
        "{}/subscriptions?api-version=2022-12-01",
        emu.arm_url()
    ))
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "ExpiredAuthenticationToken");
}

// ---------------------------------------------------------------------------------------------
// Throttling.

#[tokio::test]
async fn graph_throttling_answers_429_with_a_decimal_retry_after_and_recovers() {
    let budget = ThrottleBudget::scaled(0.01); // 35 RU per 10 s: 3.5 RU/s
    let emu = Emulator::start_with(
        demo_tenant(),
        Options {
            throttle: Some(budget),
            ..Default::default()
        },
    )
    .await;
    let url = format!("{}/applications", emu.graph_url());
    let mut saw_percentage = false;
    let mut throttled = None;
    for _ in 0..40 {
        let r = get(&url).await;
        assert_eq!(
            r.header("x-ms-resource-unit").as_deref(),
            Some("2"),
            "GET applications costs 2 RU"
        );
        saw_percentage |= r.header("x-ms-throttle-limit-percentage").is_some();
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(r.status, 200);
    }
    let r = throttled.expect("the bucket runs dry");
    assert!(saw_percentage, "x-ms-throttle-limit-percentage above 80 %");
    let retry_after = r.header("retry-after").unwrap();
    assert!(retry_after.contains('.'), "decimal seconds: {retry_after}");
    let wait: f64 = retry_after.parse().unwrap();
    assert!(wait > 0.0 && wait < 1.0, "{wait}");
    assert_eq!(r.code(), "TooManyRequests");
    tokio::time::sleep(Duration::from_secs_f64(wait + 0.05)).await;
    assert_eq!(get(&url).await.status, 200, "recovered after Retry-After");

    // $select lowers the cost by one, a small $top by one more (minimum 1).
    let r = get(&format!(
        "{}/servicePrincipals?$select=id&$top=5",
        emu.graph_url()
    ))
    .await;
    assert_eq!(r.header("x-ms-resource-unit").as_deref(), Some("1"));
    let r = get(&format!(
        "{}/applications?$select=id&$expand=federatedIdentityCredentials",
        emu.graph_url()
    ))
    .await;
    assert_eq!(r.header("x-ms-resource-unit").as_deref(), Some("2"));
}

#[tokio::test]
async fn arm_reads_are_throttled_per_subscription() {
    let mut budget = ThrottleBudget::scaled(0.01);
    budget.arm_reads = 3.0;
    budget.arm_reads_per_second = 2.0;
    let snap = demo_tenant();
    let subs: Vec<String> = snap
        .user_assigned_identities
        .iter()
        .map(|u| u.subscription_id().unwrap().to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    assert!(subs.len() >= 2);
    let emu = Emulator::start_with(
        snap,
        Options {
            throttle: Some(budget),
            ..Default::default()
        },
    )
    .await;
    let url = |s: &str| {
        format!(
            "{}/subscriptions/{s}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{UAMI_API}",
            emu.arm_url()
        )
    };
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = get(&url(&subs[0])).await;
        assert_eq!(r.status, 200);
        remaining.push(
            r.header("x-ms-ratelimit-remaining-subscription-reads")
                .unwrap(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let r = get(&url(&subs[0])).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.code(), "SubscriptionRequestsThrottled");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert_eq!(
        get(&url(&subs[1])).await.status,
        200,
        "another subscription has its own bucket"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&url(&subs[0])).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// State.

#[tokio::test]
async fn snapshot_starts_as_served_and_follows_mutations() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let before = emu.snapshot();
    assert_eq!(before.applications.len(), snap.applications.len());
    assert_eq!(before.service_principals, snap.service_principals);
    assert_eq!(
        before.user_assigned_identities,
        snap.user_assigned_identities
    );
    assert_eq!(before.role_assignments, snap.role_assignments);
    for (a, b) in before.applications.iter().zip(&snap.applications) {
        assert_eq!(a.password_credentials, b.password_credentials);
        assert_eq!(a.key_credentials, b.key_credentials);
        assert_eq!(
            a.federated_identity_credentials.len(),
            b.federated_identity_credentials.len()
        );
    }
    let app = &snap.applications[0];
    send(
        "POST",
        &format!(
            "{}/applications/{}/federatedIdentityCredentials",
            emu.graph_url(),
            app.id
        ),
        &[],
        Some(fic_body("state-check", "repo:x/y:ref:refs/heads/main")),
    )
    .await;
    let after = emu.snapshot();
    assert!(
        after.applications[0]
            .federated_identity_credentials
            .iter()
            .any(|f| f.name == "state-check")
    );
    assert_eq!(
        emu.snapshot().credential_count(),
        snap.credential_count() + 1
    );
}

#[tokio::test]
async fn a_removed_certificate_can_be_put_back_with_its_key_and_principals_take_patches_too() {
    let snap = demo_tenant();
    let app = snap
        .applications
        .iter()
        .find(|a| a.key_credentials.len() == 1)
        .unwrap()
        .clone();
    let sp = snap
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == ServicePrincipalType::Application)
        .unwrap()
        .clone();
    let mi = snap
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .unwrap()
        .clone();
    let emu = Emulator::start(snap).await;
    let url = format!("{}/applications/{}", emu.graph_url(), app.id);
    let read = get(&format!("{url}?$select=keyCredentials")).await.json();
    let entry = read["keyCredentials"][0].clone();
    assert_eq!(
        send("PATCH", &url, &[], Some(json!({"keyCredentials": []})))
            .await
            .status,
        204
    );
    assert!(
        emu.snapshot()
            .applications
            .iter()
            .find(|a| a.id == app.id)
            .unwrap()
            .key_credentials
            .is_empty()
    );
    // The undo: the same entry with the key read before the removal.
    let r = send("PATCH", &url, &[], Some(json!({"keyCredentials": [entry]}))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let now = emu.snapshot();
    assert_eq!(
        now.applications
            .iter()
            .find(|a| a.id == app.id)
            .unwrap()
            .key_credentials,
        app.key_credentials
    );

    let der = test_certificate("sp-signing");
    let sp_url = format!("{}/servicePrincipals/{}", emu.graph_url(), sp.id);
    let body = json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": b64(&der)}]});
    assert_eq!(
        send("PATCH", &sp_url, &[], Some(body.clone())).await.status,
        204
    );
    assert_eq!(
        emu.snapshot()
            .service_principals
            .iter()
            .find(|s| s.id == sp.id)
            .unwrap()
            .key_credentials
            .len(),
        1
    );
    let mi_url = format!("{}/servicePrincipals/{}", emu.graph_url(), mi.id);
    assert_eq!(send("PATCH", &mi_url, &[], Some(body)).await.status, 400);
}

#[tokio::test]
async fn application_lists_selecting_key_credentials_have_their_own_cap() {
    let mut budget = ThrottleBudget::scaled(0.01);
    assert_eq!(budget.graph_key_selects_per_minute, 150.0, "not scaled");
    budget.graph_key_selects_per_minute = 2.0;
    let emu = Emulator::start_with(
        demo_tenant(),
        Options {
            throttle: Some(budget),
            ..Default::default()
        },
    )
    .await;
    let with_keys = format!("{}/applications?$select=id,keyCredentials", emu.graph_url());
    assert_eq!(get(&with_keys).await.status, 200);
    assert_eq!(get(&with_keys).await.status, 200);
    let r = get(&with_keys).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").unwrap().parse::<f64>().unwrap() > 1.0);
    // Other reads are not held back by it.
    assert_eq!(
        get(&format!(
            "{}/applications?$select=id,passwordCredentials",
            emu.graph_url()
        ))
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn odd_requests_get_4xx_answers_not_crashes() {
    let snap = demo_tenant();
    let app = snap.applications[0].id.clone();
    let uami = snap.user_assigned_identities[0].id.clone();
    let emu = Emulator::start(snap).await;
    let (g, a) = (emu.graph_url(), emu.arm_url());
    let cases: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", g.clone(), None),
        ("GET", format!("{g}/applications()"), None),
        ("GET", format!("{g}/applications(appId=')"), None),
        ("GET", format!("{g}/applications/%FF%FE"), None),
        ("GET", format!("{g}/applications?$select=,,,"), None),
        (
            "GET",
            format!("{g}/applications?$top=99999999999999999999999"),
            None,
        ),
        ("GET", format!("{g}/servicePrincipals?$filter=(((("), None),
        (
            "GET",
            format!("{g}/servicePrincipals?$filter=servicePrincipalType eq '"),
            None,
        ),
        (
            "POST",
            format!("{g}/applications/{app}/addPassword"),
            Some(
                json!({"passwordCredential": {"startDateTime": "9999-12-31T23:59:59Z", "endDateTime": "2030-01-01T00:00:00Z"}}),
            ),
        ),
        (
            "POST",
            format!("{g}/applications/{app}/addPassword"),
            Some(json!({"passwordCredential": {"endDateTime": "yesterday"}})),
        ),
        (
            "POST",
            format!("{g}/applications/{app}/removePassword"),
            Some(json!([1, 2])),
        ),
        (
            "PATCH",
            format!("{g}/applications/{app}"),
            Some(json!({"keyCredentials": [{"key": "%%%"}]})),
        ),
        (
            "PATCH",
            format!("{g}/applications/{app}"),
            Some(json!({"keyCredentials": "no"})),
        ),
        (
            "POST",
            format!("{g}/applications/{app}/federatedIdentityCredentials"),
            Some(json!({"name": 5})),
        ),
        (
            "PATCH",
            format!("{g}/applications/{app}/federatedIdentityCredentials(name='')"),
            Some(json!({})),
        ),
        ("GET", format!("{g}/$batch"), None),
        ("GET", format!("{a}/"), None),
        (
            "GET",
            format!("{a}/subscriptions/x/resourceGroups?api-version=1"),
            None,
        ),
        (
            "PUT",
            format!("{a}{uami}/federatedIdentityCredentials/ok-name?{UAMI_API}"),
            Some(json!({"properties": "x"})),
        ),
        (
            "PUT",
            format!("{a}{uami}?{UAMI_API}"),
            Some(json!({"location": 1})),
        ),
        (
            "PUT",
            format!("{a}/providers/Microsoft.Authorization/roleAssignments/not-a-guid?{RA_API}"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("{a}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"),
            Some(json!("text")),
        ),
        (
            "GET",
            format!(
                "{a}/providers/Microsoft.ManagedIdentity/identities/default?api-version=2023-01-31"
            ),
            None,
        ),
    ];
    for (method, url, body) in cases {
        let r = send(method, &url, &[], body.clone()).await;
        assert!(
            (400..500).contains(&r.status),
            "{method} {url} {body:?}: {} {}",
            r.status,
            r.text
        );
    }
    // Inside a batch, odd items are answered one by one, in a 200: a nested batch with 400,
    // a dependency cycle with 424.
    let nested = send(
        "POST",
        &format!("{g}/$batch"),
        &[],
        Some(json!({"requests": [{"id": "1", "method": "GET", "url": "/$batch"}]})),
    )
    .await;
    assert_eq!(nested.status, 200);
    assert_eq!(nested.json()["responses"][0]["status"], 400);
    let cycle = send(
        "POST",
        &format!("{g}/$batch"),
        &[],
        Some(json!({"requests": [
            {"id": "1", "method": "GET", "url": "/applications", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/applications", "dependsOn": ["1"]},
        ]})),
    )
    .await;
    assert_eq!(cycle.status, 200);
    for r in cycle.json()["responses"].as_array().unwrap() {
        assert_eq!(r["status"], 424);
    }
}

#[tokio::test]
async fn links_stay_on_the_host_the_client_called() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap.clone()).await;
    let host = [("Host", "localhost:4242")];
    let r = send(
        "GET",
        &format!("{}/applications?$top=2", emu.graph_url()),
        &host,
        None,
    )
    .await;
    let next = r.json()["@odata.nextLink"].as_str().unwrap().to_string();
    assert!(
        next.starts_with("http://localhost:4242/v1.0/applications?"),
        "{next}"
    );
    assert!(
        r.json()["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:4242/")
    );
    let r = send(
        "POST",
        &format!("{}/$batch", emu.graph_url()),
        &host,
        Some(json!({"requests": [batch_get("1", "/servicePrincipals?$top=1")]})),
    )
    .await;
    let next = r.json()["responses"][0]["body"]["@odata.nextLink"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        next.starts_with("http://localhost:4242/v1.0/servicePrincipals?"),
        "{next}"
    );
    let r = send(
        "GET",
        &format!("{}/subscriptions?api-version=2022-12-01", emu.arm_url()),
        &host,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    // Without a Host header override, links name the emulator's own address.
    let next = get(&format!("{}/applications?$top=2", emu.graph_url()))
        .await
        .json()["@odata.nextLink"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.starts_with(&emu.graph_url()), "{next}");
}

/// Role assignments keep their ABAC condition as ARM does at 2022-04-01: stored and shown
/// with their version and description; no version means 2.0; another version, or a condition
/// over 8 KB, is refused; one assignment per principal, role and scope whatever the
/// condition; the same name again edits the condition; an api-version from before conditions
/// shows none of these properties.
#[tokio::test]
async fn role_assignment_conditions_are_kept_validated_and_versioned() {
    let snap = demo_tenant();
    let sub = first_uami(&snap).subscription_id().unwrap().to_string();
    let mi = snap
        .service_principals
        .iter()
        .find(|s| s.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .unwrap()
        .clone();
    let emu = Emulator::start(snap).await;
    let a = emu.arm_url();
    let scope = format!("/subscriptions/{sub}/resourceGroups/rg-abac");
    let at = |name: &str, api: &str| {
        format!("{a}{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?{api}")
    };
    let reader = format!(
        "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    );
    let condition = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'blobs-example-container'))";
    let body = |c: Option<&str>, v: Option<&str>| {
        let mut p = json!({"roleDefinitionId": reader, "principalId": mi.id, "principalType": "ServicePrincipal", "description": "one container"});
        if let Some(c) = c {
            p["condition"] = json!(c);
        }
        if let Some(v) = v {
            p["conditionVersion"] = json!(v);
        }
        json!({ "properties": p })
    };
    let first = "7c1e2f10-0000-4000-8000-000000000001";
    let r = send(
        "PUT",
        &at(first, RA_API),
        &[],
        Some(body(Some(condition), Some("2.0"))),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let p = &r.json()["properties"];
    assert_eq!(p["condition"], condition);
    assert_eq!(p["conditionVersion"], "2.0");
    assert_eq!(p["description"], "one container");
    assert!(
        p["createdOn"].is_string() && p["updatedOn"].is_string(),
        "{p}"
    );
    assert!(
        p.get("delegatedManagedIdentityResourceId")
            .unwrap()
            .is_null()
    );
    let read = get(&at(first, RA_API)).await.json();
    assert_eq!(read["properties"]["condition"], condition);
    let stored = emu
        .snapshot()
        .role_assignments
        .into_iter()
        .find(|r| r.id.ends_with(first))
        .unwrap();
    assert_eq!(stored.condition.as_deref(), Some(condition));

    // Another condition for the same principal, role and scope is still the same tuple.
    let second = "7c1e2f10-0000-4000-8000-000000000002";
    let r = send(
        "PUT",
        &at(second, RA_API),
        &[],
        Some(body(Some("@Resource[x] StringEquals 'y'"), Some("2.0"))),
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "RoleAssignmentExists"),
        "{}",
        r.text
    );
    // The existing one is named by its GUID without dashes, as ARM does.
    assert!(r.text.contains(&first.replace('-', "")), "{}", r.text);
    let r = send("PUT", &at(second, RA_API), &[], Some(body(None, None))).await;
    assert_eq!(r.code(), "RoleAssignmentExists");
    // The same name again edits the condition.
    let r = send(
        "PUT",
        &at(first, RA_API),
        &[],
        Some(body(Some("@Resource[x] StringEquals 'z'"), None)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["properties"]["condition"],
        "@Resource[x] StringEquals 'z'"
    );
    assert_eq!(
        r.json()["properties"]["conditionVersion"],
        "2.0",
        "the default version"
    );

    let too_long = "a".repeat(8 * 1024 + 1);
    for (c, v, message) in [
        (
            condition,
            Some("1.0"),
            "The given role assignment condition is invalid.",
        ),
        (too_long.as_str(), None, "8192"),
    ] {
        let r = send(
            "PUT",
            &at("7c1e2f10-0000-4000-8000-000000000003", RA_API),
            &[],
            Some(body(Some(c), v)),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains(message), "{}", r.text);
    }

    // An api-version from before conditions knows none of them.
    let old = get(&at(first, "api-version=2015-07-01")).await.json();
    for k in ["condition", "conditionVersion", "description"] {
        assert!(old["properties"].get(k).is_none(), "{k}: {old}");
    }
    assert_eq!(
        send("DELETE", &at(first, RA_API), &[], None).await.status,
        200
    );
    let r = send(
        "PUT",
        &at(first, "api-version=2015-07-01"),
        &[],
        Some(body(Some(condition), Some("2.0"))),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(get(&at(first, RA_API)).await.json()["properties"]["condition"].is_null());
}

/// User-assigned identity FICs have api-version-dependent schemas: the preview takes and
/// shows `claimsMatchingExpression` (a subject or an expression, not both, the expression
/// with its languageVersion); the stable versions require `subject` and show no expression.
#[tokio::test]
async fn uami_fic_schemas_depend_on_the_api_version() {
    const PREVIEW: &str = "api-version=2025-01-31-preview";
    let snap = demo_tenant();
    let u = first_uami(&snap);
    let emu = Emulator::start(snap).await;
    let base = format!("{}{}/federatedIdentityCredentials", emu.arm_url(), u.id);
    let at = |name: &str, api: &str| format!("{base}/{name}?{api}");
    let expression = "claims['sub'] matches 'system:serviceaccount:web:*'";
    let flexible = json!({"properties": {"issuer": "https://oidc.prod-aks.azure.com/t/i/", "audiences": ["api://AzureADTokenExchange"], "claimsMatchingExpression": {"languageVersion": 1, "value": expression}}});

    let r = send("PUT", &at("web-any", PREVIEW), &[], Some(flexible.clone())).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["properties"]["claimsMatchingExpression"]["value"],
        expression
    );
    assert!(r.json()["properties"].get("subject").is_none());
    let read = get(&at("web-any", PREVIEW)).await.json();
    assert_eq!(
        read["properties"]["claimsMatchingExpression"]["languageVersion"],
        1
    );
    let (listed, _) = crawl(&format!("{base}?{PREVIEW}"), &[]).await;
    let item = listed.iter().find(|f| f["name"] == "web-any").unwrap();
    assert_eq!(
        item["properties"]["claimsMatchingExpression"]["value"],
        expression
    );
    // A classic FIC at the preview still has its subject.
    let r = send(
        "PUT",
        &at("web-one", PREVIEW),
        &[],
        Some(arm_fic("system:serviceaccount:web:one")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["properties"]["subject"],
        "system:serviceaccount:web:one"
    );

    // The stable schemas do not know the expression (unconfirmed: what a stable read of a
    // flexible FIC gives is not documented; the emulator leaves both out).
    for api in [UAMI_API, "api-version=2023-01-31"] {
        let read = get(&at("web-any", api)).await.json();
        assert!(
            read["properties"].get("claimsMatchingExpression").is_none(),
            "{api}: {read}"
        );
        assert!(read["properties"].get("subject").is_none(), "{api}: {read}");
        let r = send("PUT", &at("web-two", api), &[], Some(flexible.clone())).await;
        assert_eq!(r.status, 400, "{api}: {}", r.text);
        assert!(r.text.contains("subject"), "{}", r.text);
    }

    let mut both = flexible.clone();
    both["properties"]["subject"] = json!("system:serviceaccount:web:two");
    let mut no_version = flexible.clone();
    no_version["properties"]["claimsMatchingExpression"] = json!({ "value": expression });
    let mut neither = flexible.clone();
    neither["properties"]
        .as_object_mut()
        .unwrap()
        .remove("claimsMatchingExpression");
    for (body, message) in [
        (both, "not both"),
        (no_version, "languageVersion"),
        (neither, "not both"),
    ] {
        let r = send("PUT", &at("web-three", PREVIEW), &[], Some(body)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains(message), "{}", r.text);
    }
    assert_eq!(
        send("DELETE", &at("web-any", PREVIEW), &[], None)
            .await
            .status,
        200
    );
    assert_eq!(
        send("DELETE", &at("web-any", PREVIEW), &[], None)
            .await
            .status,
        204
    );
}

/// Rows handed in as they are ride on the first Resource Graph page, counted in
/// `totalRecords` and `count`.
#[tokio::test]
async fn raw_resource_graph_rows_are_served_on_the_first_page() {
    let snap = demo_tenant();
    let emu = Emulator::start(snap).await;
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        emu.arm_url()
    );
    let query = |options: Value| json!({"query": ARG_QUERY, "options": options});
    let before = send("POST", &url, &[], Some(query(json!({"$top": 1000}))))
        .await
        .json();
    let row = json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/odd", "identity": "SystemAssigned"});
    emu.add_resource_graph_row(row.clone());
    let after = send("POST", &url, &[], Some(query(json!({"$top": 1000}))))
        .await
        .json();
    assert_eq!(
        after["totalRecords"],
        before["totalRecords"].as_u64().unwrap() + 1
    );
    assert_eq!(after["count"], before["count"].as_u64().unwrap() + 1);
    assert_eq!(after["data"].as_array().unwrap().last().unwrap(), &row);
}
