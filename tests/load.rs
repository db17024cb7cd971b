//! The one rule of the tenant cache (`jobs::load`), as the explorer (`explore`) and the CLI
//! (`fetch`) both use it: start from the cached tenant when asked, then the backend's; every
//! load from the backend is remembered; a cache that cannot be read or written is a warning,
//! never a failed load.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::NOW;
use credwise::backend::demo;
use credwise::backend::snapshot::SnapshotBackend;
use credwise::backend::{Backend, Progress};
use credwise::domain::audit::AuditOptions;
use credwise::jobs::load::{self, Loading, Source};
use credwise::store::cache::CacheSlot;

fn backend() -> Arc<dyn Backend> {
    Arc::new(SnapshotBackend::in_memory(demo::snapshot(NOW), "demo"))
}

/// What `explore` said, in order, as words: `cached N`, `ignored`, `fresh N (warnings)`,
/// `failed`, `not remembered`.
async fn explore(source: Source, from_cache: bool) -> Vec<String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    load::explore(
        source,
        from_cache,
        Progress::silent(),
        AuditOptions::new(NOW),
        vec![],
        tx,
    )
    .await;
    let mut said = Vec::new();
    while let Ok(l) = rx.try_recv() {
        said.push(match l {
            Loading::Cached(a) => {
                assert!(a.cached_at.is_some());
                format!("cached {}", a.dir.snapshot().applications.len())
            }
            Loading::CachedIndexed(d, _) => {
                format!("cached {} unaudited", d.snapshot().applications.len())
            }
            Loading::CacheIgnored(_) => "ignored".into(),
            Loading::Fresh(a) => {
                assert!(a.cached_at.is_none());
                let areas: Vec<String> = a.warnings.iter().map(|w| w.area.to_string()).collect();
                format!("fresh {} {areas:?}", a.dir.snapshot().applications.len())
            }
            Loading::Failed(e) => format!("failed {e}"),
            Loading::NotRemembered(_) => "not remembered".into(),
            Loading::Partial(d) => format!("partial {}", d.len()),
        });
    }
    said
}

#[tokio::test]
async fn the_explorer_starts_from_the_cache_then_shows_the_fresh_tenant_and_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "graph"]);
    let mut old = demo::snapshot(NOW);
    old.applications.truncate(3);
    slot.write(&old).unwrap();
    let apps = demo::snapshot(NOW).applications.len();
    let source = Source {
        backend: backend(),
        cache: Some(slot.clone()),
    };
    assert_eq!(
        explore(source.clone(), true).await,
        [
            "cached 3 unaudited".to_string(),
            "cached 3".to_string(),
            format!("fresh {apps} []")
        ]
    );
    assert_eq!(slot.read().unwrap().unwrap().applications.len(), apps);
    // A later load (a refresh) does not start from the cache, and remembers again.
    slot.write(&old).unwrap();
    assert_eq!(explore(source, false).await, [format!("fresh {apps} []")]);
    assert_eq!(slot.read().unwrap().unwrap().applications.len(), apps);
}

#[tokio::test]
async fn a_cache_that_cannot_be_read_is_said_twice_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(dir.path(), &["public", "t", "graph"]);
    std::fs::create_dir_all(slot.path().parent().unwrap()).unwrap();
    std::fs::write(slot.path(), b"{\"format\":\"credwise-snapshot\",\"vers").unwrap();
    let apps = demo::snapshot(NOW).applications.len();
    let source = Source {
        backend: backend(),
        cache: Some(slot.clone()),
    };
    assert_eq!(
        explore(source, true).await,
        ["ignored".to_string(), format!("fresh {apps} [\"cache\"]")]
    );
    assert_eq!(slot.read().unwrap().unwrap().applications.len(), apps);
}

#[tokio::test]
async fn a_cache_that_cannot_be_written_is_a_warning_for_the_cli_and_the_explorer() {
    let dir = tempfile::tempdir().unwrap();
    // The cache directory is a file: nothing can be written under it.
    let blocked = dir.path().join("not-a-directory");
    std::fs::write(&blocked, b"").unwrap();
    let source = Source {
        backend: backend(),
        cache: Some(CacheSlot::new(&blocked, &["public", "t", "graph"])),
    };
    let loaded = load::fetch(&source, &Progress::silent()).await.unwrap();
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.area == credwise::backend::Area::Cache)
        .unwrap();
    assert!(warning.message.starts_with("not cached"), "{warning:?}");
    let apps = demo::snapshot(NOW).applications.len();
    assert_eq!(
        explore(source, true).await,
        [format!("fresh {apps} []"), "not remembered".to_string()]
    );
}

#[tokio::test]
async fn without_a_cache_slot_a_load_is_the_backend_s_alone() {
    let source = Source {
        backend: backend(),
        cache: None,
    };
    let loaded = load::fetch(&source, &Progress::silent()).await.unwrap();
    assert!(loaded.warnings.is_empty());
    let apps = demo::snapshot(NOW).applications.len();
    assert_eq!(explore(source, true).await, [format!("fresh {apps} []")]);
}
