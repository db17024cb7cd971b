//! Unit tests of `pace`.

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).expect("url")
}

#[test]
fn graph_costs_follow_the_documented_table() {
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let get = Method::Get;
    assert_eq!(graph_cost(&get, "applications", &q(&[])), 2);
    assert_eq!(
        graph_cost(&get, "applications", &q(&[("$select", "id")])),
        1
    );
    assert_eq!(
        graph_cost(
            &get,
            "applications",
            &q(&[
                ("$select", "id"),
                ("$expand", "federatedIdentityCredentials")
            ])
        ),
        2
    );
    assert_eq!(
        graph_cost(&get, "servicePrincipals", &q(&[("$top", "5")])),
        1
    );
    assert_eq!(graph_cost(&Method::Post, "applications", &q(&[])), 1);
}

#[test]
fn counts_and_resource_graph_queries_take_no_place_in_flight() {
    let g = Pacer::new(Api::Graph, PaceSettings::documented(Api::Graph));
    let count = g.charge(
        &Method::Get,
        &url("https://graph.microsoft.com/v1.0/applications/$count?$filter=createdDateTime%20ge%202020-01-01T00:00:00Z"),
        None,
    );
    assert!(count.count && !count.takes_a_place() && count.graph_ru >= 1.0);
    let page = g.charge(
        &Method::Get,
        &url("https://graph.microsoft.com/v1.0/applications?$top=999"),
        None,
    );
    assert!(page.takes_a_place());
    let a = Pacer::new(Api::Arm, PaceSettings::documented(Api::Arm));
    let arg = a.charge(
        &Method::Post,
        &url("https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=x"),
        None,
    );
    assert!(!arg.takes_a_place());
}

#[tokio::test]
async fn a_count_goes_while_every_place_is_taken() {
    let settings = PaceSettings {
        initial_in_flight: 1,
        max_in_flight: 1,
        ..PaceSettings::documented(Api::Graph)
    };
    let p = Pacer::new(Api::Graph, settings);
    let page = url("https://graph.microsoft.com/v1.0/servicePrincipals?$top=999");
    let _held = p.acquire(&Method::Get, &page, None).await;
    let count = url("https://graph.microsoft.com/v1.0/applications/$count");
    let went = tokio::time::timeout(
        Duration::from_secs(5),
        p.acquire(&Method::Get, &count, None),
    )
    .await;
    assert!(went.is_ok(), "a $count waited for a page's place");
    // A page does wait.
    let waited = tokio::time::timeout(
        Duration::from_millis(100),
        p.acquire(&Method::Get, &page, None),
    )
    .await;
    assert!(waited.is_err());
}

#[test]
fn arm_requests_find_their_bucket_and_the_identity_rates() {
    let p = Pacer::new(Api::Arm, PaceSettings::documented(Api::Arm));
    let c = p.charge(
        &Method::Get,
        &url("https://management.azure.com/subscriptions/S1/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30"),
        None,
    );
    assert_eq!(c.arm, Some(("s1".into(), "reads")));
    assert_eq!(c.msi, vec![("list|".into(), 15.0), ("list|s1".into(), 5.0)]);
    // A federated credential list is an ARM read, not a provider list.
    let c = p.charge(
        &Method::Get,
        &url("https://management.azure.com/subscriptions/S1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u/federatedIdentityCredentials?api-version=x"),
        None,
    );
    assert!(c.msi.is_empty());
    let c = p.charge(
        &Method::Post,
        &url("https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=x"),
        None,
    );
    assert!(c.arg && c.arm.is_none());
    assert_eq!(hms("00:00:04"), Some(Duration::from_secs(4)));
}

#[tokio::test]
async fn the_remaining_reads_header_holds_requests_until_the_bucket_refills() {
    let settings = PaceSettings {
        arm_reads: 10.0,
        arm_reads_per_second: 100.0,
        ..PaceSettings::documented(Api::Arm)
    };
    let p = Pacer::new(Api::Arm, settings);
    let u = url("https://management.azure.com/subscriptions/s/resourceGroups?api-version=x");
    let permit = p.acquire(&Method::Get, &u, None).await;
    // ARM says nothing is left: the next read waits for one token (10 ms at 100/s).
    p.observe(
        &permit,
        200,
        &super::super::retry::headers(&[("x-ms-ratelimit-remaining-subscription-reads", "0")]),
    );
    drop(permit);
    let t = Instant::now();
    let _next = p.acquire(&Method::Get, &u, None).await;
    assert!(t.elapsed() >= Duration::from_millis(9), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_throttled_subscription_waits_and_the_others_go_on() {
    let p = Pacer::new(Api::Arm, PaceSettings::documented(Api::Arm));
    let a = url("https://management.azure.com/subscriptions/a/resourceGroups?api-version=x");
    let b = url("https://management.azure.com/subscriptions/b/resourceGroups?api-version=x");
    let permit = p.acquire(&Method::Get, &a, None).await;
    p.observe(&permit, 200, &Headers::new());
    let grown = p.lock().limit;
    p.observe(
        &permit,
        429,
        &super::super::retry::headers(&[
            ("retry-after", "60"),
            ("x-ms-ratelimit-remaining-subscription-reads", "0"),
        ]),
    );
    drop(permit);
    // The service's limit is not halved by one subscription's bucket; that
    // subscription's own is.
    assert!((p.lock().limit - grown).abs() < 1e-9);
    assert!(p.lock().lanes["a"].limit < 8.0);
    // Subscription b's bucket is its own: its read goes at once.
    let t = Instant::now();
    let other = p.acquire(&Method::Get, &b, None).await;
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(other);
    // Subscription a waits for its Retry-After.
    let held = tokio::time::timeout(
        Duration::from_millis(200),
        p.acquire(&Method::Get, &a, None),
    )
    .await;
    assert!(
        held.is_err(),
        "a throttled subscription's read went before its Retry-After"
    );
}

#[tokio::test]
async fn a_remaining_reads_header_counts_what_arm_had_received_when_it_answered() {
    let p = Pacer::new(Api::Arm, PaceSettings::documented(Api::Arm));
    let u = url("https://management.azure.com/subscriptions/s/resourceGroups?api-version=x");
    let first = p.acquire(&Method::Get, &u, None).await;
    let second = p.acquire(&Method::Get, &u, None).await;
    let third = p.acquire(&Method::Get, &u, None).await;
    let left = |n: &str| {
        super::super::retry::headers(&[("x-ms-ratelimit-remaining-subscription-reads", n)])
    };
    let level = |p: &Pacer| p.lock().arm["s|reads"].level;
    // The first answer's 100 did not count the two requests sent after it.
    p.observe(&first, 200, &left("100"));
    assert!((level(&p) - 98.0).abs() < 0.5, "{}", level(&p));
    // The third's answer is the newest…
    p.observe(&third, 200, &left("40"));
    assert!((level(&p) - 40.0).abs() < 0.5, "{}", level(&p));
    // …and the second's, older, changes nothing.
    p.observe(&second, 200, &left("200"));
    assert!((level(&p) - 40.0).abs() < 0.5, "{}", level(&p));
}

#[tokio::test]
async fn aimd_halves_on_throttling_and_grows_back() {
    let p = Pacer::new(Api::Graph, PaceSettings::documented(Api::Graph));
    let u = url("https://graph.microsoft.com/v1.0/servicePrincipals?$select=id");
    let permit = p.acquire(&Method::Get, &u, None).await;
    p.observe(&permit, 200, &Headers::new());
    let grown = p.lock().limit;
    assert!(grown > 8.0);
    p.observe(
        &permit,
        429,
        &super::super::retry::headers(&[("retry-after", "0.01")]),
    );
    let halved = p.lock().limit;
    assert!((halved - grown / 2.0).abs() < 1e-9, "{grown} → {halved}");
    assert_eq!(p.stats().throttled, 1);
}

#[tokio::test]
async fn another_service_is_charged_no_graph_or_arm_budget() {
    let p = Pacer::new(Api::Other, PaceSettings::documented(Api::Other));
    // A path Graph's and ARM's charges would both read something into.
    let u = url("https://api.github.com/v1.0/applications?$select=keyCredentials");
    let c = p.charge(&Method::Get, &u, None);
    assert!(c.graph_ru == 0.0 && !c.key_select && !c.arg && c.arm.is_none() && c.msi.is_empty());
    // A 429 halves how many go at once, and pauses nothing else.
    let permit = p.acquire(&Method::Get, &u, None).await;
    p.observe(
        &permit,
        429,
        &super::super::retry::headers(&[("retry-after", "60")]),
    );
    drop(permit);
    assert!((p.lock().limit - 4.0).abs() < 1e-9);
    let t = Instant::now();
    let _next = p.acquire(&Method::Get, &u, None).await;
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}
