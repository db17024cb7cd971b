//! The emulator's sign-in sources over loopback HTTP, the rules a client could get wrong:
//! the log without an event-type filter lists no service principal sign-ins, the event type
//! is a beta filter, an unknown filter is refused, the log comes newest first, a report
//! filters by `keyId`, and the throttling window counts every request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use credwise::domain::Timestamp;
use credwise_test_kit::emulator::{Emulator, Options, SignIn, SignInOptions};
use serde_json::Value;
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

fn sign_in(days: i64, key: &str) -> SignIn {
    SignIn {
        id: format!("req-{days}"),
        at: NOW - time::Duration::days(days),
        app_id: "app".into(),
        service_principal_id: "sp".into(),
        key_id: Some(key.into()),
        thumbprint: None,
        federated_credential_id: None,
        client_credential_type: "clientSecret".into(),
        error_code: 0,
    }
}

async fn emulator(limit: Option<(usize, Duration)>) -> Emulator {
    let mut snap = credwise::backend::demo::snapshot(NOW);
    snap.usage = Default::default();
    let emu = Emulator::start_with(
        snap,
        Options {
            sign_ins: SignInOptions {
                limit,
                ..SignInOptions::default()
            },
            ..Options::default()
        },
    )
    .await;
    for d in [5, 1, 9] {
        emu.record_sign_in(sign_in(d, "k1"));
    }
    emu
}

const SP_FILTER: &str = "signInEventTypes/any(t:%20t%20eq%20%27servicePrincipal%27)";

#[tokio::test]
async fn the_log_needs_the_beta_event_type_filter_and_comes_newest_first() {
    let emu = emulator(None).await;
    let (status, body) = get(&format!("{}/auditLogs/signIns", emu.graph_beta_url())).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["value"].as_array().unwrap().len(),
        0,
        "user sign-ins only"
    );
    let (status, body) = get(&format!(
        "{}/auditLogs/signIns?$filter={SP_FILTER}",
        emu.graph_beta_url()
    ))
    .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["req-1", "req-5", "req-9"]);
    assert_eq!(body["value"][0]["signInEventTypes"][0], "servicePrincipal");
    let (status, _) = get(&format!(
        "{}/auditLogs/signIns?$filter={SP_FILTER}",
        emu.graph_url()
    ))
    .await;
    assert_eq!(status, 400, "the event type is a beta filter");
    let (status, body) = get(&format!(
        "{}/auditLogs/signIns?$filter=userId%20eq%20%27x%27",
        emu.graph_beta_url()
    ))
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );
}

#[tokio::test]
async fn the_log_pages_and_filters_by_date() {
    let emu = emulator(None).await;
    let url = format!(
        "{}/auditLogs/signIns?$filter=createdDateTime%20ge%202026-11-16T00:00:00Z%20and%20{SP_FILTER}&$top=1",
        emu.graph_beta_url()
    );
    let (_, first) = get(&url).await;
    assert_eq!(first["value"][0]["id"], "req-1");
    let next = first["@odata.nextLink"].as_str().unwrap().to_string();
    let (_, second) = get(&next).await;
    assert_eq!(second["value"][0]["id"], "req-5");
    assert!(
        second.get("@odata.nextLink").is_none(),
        "the 9-day-old one is filtered out"
    );
}

#[tokio::test]
async fn reports_are_beta_and_filter_by_key_id() {
    let emu = emulator(None).await;
    let key = emu.snapshot().applications[0].password_credentials[0]
        .key_id
        .clone();
    emu.record_sign_in(sign_in(2, &key));
    let (status, body) = get(&format!(
        "{}/reports/appCredentialSignInActivities?$filter=keyId%20eq%20%27{key}%27",
        emu.graph_beta_url()
    ))
    .await;
    assert_eq!(status, 200);
    let items = body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["keyType"], "clientSecret");
    assert_eq!(items[0]["credentialOrigin"], "application");
    assert!(items[0]["signInActivity"]["lastSignInDateTime"].is_string());
    let (status, body) = get(&format!(
        "{}/reports/appCredentialSignInActivities",
        emu.graph_url()
    ))
    .await;
    assert_eq!(status, 400, "no v1.0 report");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("segment"),
        "{body}"
    );
}

#[tokio::test]
async fn the_window_counts_every_request_and_says_when_to_come_back() {
    let emu = emulator(Some((2, Duration::from_millis(400)))).await;
    let url = format!(
        "{}/reports/servicePrincipalSignInActivities",
        emu.graph_beta_url()
    );
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = reqwest::get(&url).await.unwrap();
        statuses.push((
            r.status().as_u16(),
            r.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<f64>().unwrap()),
        ));
    }
    assert_eq!(statuses[0], (200, None));
    assert_eq!(statuses[1], (200, None));
    assert_eq!(statuses[2].0, 429);
    let wait = statuses[2].1.unwrap();
    assert!(wait > 0.0 && wait <= 0.4, "{wait}");
    assert_eq!(statuses[3].0, 429);
    tokio::time::sleep(Duration::from_secs_f64(statuses[3].1.unwrap() + 0.05)).await;
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 200);
}
