//! What `--log-file` keeps of a live load (its default filter): every request, never the
//! token (azure_core's logging policy redacts `Authorization`).
//!
//! A test binary of its own, because tracing decides once per call site, for the whole
//! process, whether anyone listens to it: in `live_backend`, whose other tests crawl the
//! emulator on other threads at the same moment, this test's scoped subscriber now and then
//! heard nothing under load (seen in two full runs on a busy machine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::loopback::{MARKER, signed_in, token};
use credwise::backend::live::LiveConfig;
use credwise::backend::{Backend, Progress, Scope};
use credwise::domain::Timestamp;
use time::macros::datetime;

const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

#[test]
fn the_log_of_a_live_load_names_the_requests_and_never_the_token() {
    #[derive(Clone, Default)]
    struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            credwise::store::log_file::DEFAULT_FILTER,
        ))
        .finish();
    // One thread, so every event of the load reaches this thread's subscriber.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let (_emu, b, credential) = signed_in(
                credwise::backend::demo::snapshot(NOW),
                LiveConfig::new(Arc::new(|| NOW)),
            )
            .await;
            b.load(&Scope::default(), &Progress::silent())
                .await
                .unwrap();
            assert!(credential.calls.load(std::sync::atomic::Ordering::Relaxed) > 0);
        })
    });
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("==> Request"), "{text}");
    assert!(text.contains("/v1.0/applications"), "{text}");
    assert!(!text.contains(MARKER), "the token reached the log");
    assert!(!text.contains(&token()), "the token reached the log");
}
