//! The Graph/ARM emulator (`tests/emulator/`) exercised over real loopback HTTP: paging,
//! query rules, `$batch`, validations, mutations, ARM, Resource Graph, faults and throttling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator;

use std::collections::HashSet;

use credwise::backend::demo;
use credwise::domain::Timestamp;
use emulator::Emulator;
use serde_json::Value;
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get_json(url: &str) -> (u16, Value) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Follows `@odata.nextLink` and returns every object's id and the number of pages.
async fn crawl(first: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut url = first.to_string();
    loop {
        let (status, v) = get_json(&url).await;
        assert_eq!(status, 200, "{url}: {v}");
        pages += 1;
        for o in v["value"].as_array().unwrap() {
            ids.push(o["id"].as_str().unwrap().to_string());
        }
        match v["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    (ids, pages)
}

#[tokio::test]
async fn paging_visits_every_object_once() {
    let snap = demo::snapshot(NOW);
    let emu = Emulator::start(snap.clone()).await;
    let (ids, pages) = crawl(&format!("{}/applications?$top=5", emu.graph_url())).await;
    assert_eq!(ids.len(), snap.applications.len());
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert_eq!(pages, snap.applications.len().div_ceil(5));
    let (ids, _) = crawl(&format!("{}/servicePrincipals?$top=7", emu.graph_url())).await;
    assert_eq!(ids.len(), snap.service_principals.len());
}
