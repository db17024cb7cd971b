//! The explorer keeps drawing while a tenant loads: budget ≥ 30 frames per second, i.e. no gap
//! between two frames longer than 33 ms.
//!
//! One measurement = one whole load of the budget tenant (`TenantSpec::budget()`, 150,000
//! identities) through `jobs::load::load` — the backend's load, then indexing and the audit
//! on blocking threads — while the same loop shape as `tui::run` draws 200×60 frames of the
//! explorer on the runtime's own thread every 16 ms, feeding it the progress messages and, at
//! the end, `TenantLoaded` (whose recount and sort run on the UI thread, as in the app). The
//! runtime has two workers, as the binary's does. What is reported (criterion's "time") is the
//! **longest gap between two frames** during the load; the median gap and the frame count go
//! to stderr.
//!
//! `max_frame_gap_live_crawl` does the same while the live backend crawls the crawl budget's
//! tenant (20,000 applications, 40,000 service principals, Graph and ARM) from the Graph/ARM
//! emulator with 50 ms latency per request: the emulator runs on its own runtime in this
//! process, so it competes for the same two cores — harder than a real tenant far away.
//!
//! Run with `cargo bench --bench load_frames`.

// Benchmarks report on stderr and may panic on broken fixtures.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use credwise::app::keymap::Keymap;
use credwise::app::{App, Msg, update};
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig};
use credwise::backend::snapshot::SnapshotBackend;
use credwise::backend::{Backend, Progress};
use credwise::domain::audit::AuditOptions;
use credwise::domain::{TenantSnapshot, Timestamp};
use credwise::jobs;
use credwise::tui::theme::Theme;
use credwise::tui::ui_state::UiState;
use credwise::tui::view;
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn tenant() -> &'static (Arc<TenantSnapshot>, Timestamp) {
    static T: OnceLock<(Arc<TenantSnapshot>, Timestamp)> = OnceLock::new();
    T.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc();
        (Arc::new(generate_tenant(&TenantSpec::budget(), now)), now)
    })
}

/// Frame gaps observed during one load.
struct Gaps {
    max: Duration,
    median: Duration,
    frames: usize,
    load: Duration,
    /// `update(TenantLoaded)` on the UI thread.
    final_update: Duration,
}

fn one_load(rt: &tokio::runtime::Runtime, backend: Arc<dyn Backend>, now: Timestamp) -> Gaps {
    rt.block_on(async move {
        let mut app = App::new("budget", true, now);
        let mut ui = UiState::new(Keymap::defaults(), Theme::new(true));
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        let (ptx, mut prx) = mpsc::unbounded_channel();
        let progress = Progress::new(ptx, CancellationToken::new());
        let started = Instant::now();
        let (ltx, mut loading) = mpsc::unbounded_channel();
        tokio::spawn(jobs::load::explore(
            jobs::load::Source {
                backend,
                cache: None,
            },
            false,
            progress,
            AuditOptions::new(now),
            vec![],
            ltx,
        ));
        let mut ticker = tokio::time::interval(Duration::from_millis(16));
        let mut gaps = Vec::new();
        let final_update;
        let mut last = Instant::now();
        let mut draw =
            |app: &App, ui: &mut UiState, last: &mut Instant, gaps: &mut Vec<Duration>| {
                terminal.draw(|f| view::render(app, ui, f)).unwrap();
                let t = Instant::now();
                gaps.push(t - *last);
                *last = t;
            };
        loop {
            tokio::select! {
                Some(done) = loading.recv() => {
                    let jobs::load::Loading::Fresh(a) = done else {
                        panic!("the load did not give a fresh tenant");
                    };
                    let t = Instant::now();
                    update(&mut app, Msg::TenantLoaded {
                        dir: Box::new(a.dir),
                        audit: Some(Box::new((a.report, a.overview))),
                        warnings: a.warnings,
                        cached_at: None,
                        refresh: None,
                    });
                    final_update = t.elapsed();
                    draw(&app, &mut ui, &mut last, &mut gaps);
                    break;
                }
                Some(p) = prx.recv() => { update(&mut app, Msg::LoadProgress(p)); }
                _ = ticker.tick() => draw(&app, &mut ui, &mut last, &mut gaps),
            }
        }
        let load = started.elapsed();
        // The first "gap" is from before the first frame.
        gaps.remove(0);
        let max = gaps.iter().copied().max().unwrap_or_default();
        let mut sorted = gaps.clone();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        Gaps {
            max,
            median,
            frames: gaps.len() + 1,
            load,
            final_update,
        }
    })
}

fn frames_while_loading(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("frames_while_loading");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("max_frame_gap_150k", |b| {
        b.iter_custom(|iters| {
            let mut worst = Duration::ZERO;
            for _ in 0..iters {
                let (snapshot, now) = tenant();
                let backend: Arc<dyn Backend> = Arc::new(SnapshotBackend::in_memory(
                    TenantSnapshot::clone(snapshot),
                    "budget",
                ));
                let gaps = one_load(&rt, backend, *now);
                report(&gaps);
                worst = worst.max(gaps.max);
            }
            worst * iters as u32
        })
    });
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (_, now) = tenant();
    let crawl_tenant = credwise_test_kit::tenant::generate_tenant(
        &TenantSpec {
            applications: 20_000,
            service_principals: 40_000,
            credentials: 40_000,
            seed: 0x00C0_FFEE,
        },
        *now,
    );
    g.bench_function("max_frame_gap_live_crawl", |b| {
        b.iter_custom(|iters| {
            let mut worst = Duration::ZERO;
            for _ in 0..iters {
                let emu = server.block_on(emulator::Emulator::start_with(
                    crawl_tenant.clone(),
                    emulator::Options {
                        latency: Duration::from_millis(50),
                        ..emulator::Options::default()
                    },
                ));
                let pinned = *now;
                let backend: Arc<dyn Backend> = Arc::new(
                    LiveBackend::new(LiveConfig {
                        auth: AuthMode::None,
                        graph_url: Some(emu.graph_url()),
                        arm_url: Some(emu.arm_url()),
                        ..LiveConfig::new(Arc::new(move || pinned))
                    })
                    .expect("a live backend"),
                );
                let gaps = one_load(&rt, backend, *now);
                report(&gaps);
                worst = worst.max(gaps.max);
            }
            worst * iters as u32
        })
    });
    g.finish();
}

fn report(gaps: &Gaps) {
    eprintln!(
        "load {:.0?}: {} frames, median gap {:.1?}, longest gap {:.1?} (≥ {:.0} fps), \
         TenantLoaded update {:.1?}",
        gaps.load,
        gaps.frames,
        gaps.median,
        gaps.max,
        1.0 / gaps.max.as_secs_f64(),
        gaps.final_update
    );
}

criterion_group!(benches, frames_while_loading);
criterion_main!(benches);
