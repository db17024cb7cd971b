//! The explorer keeps drawing while a tenant loads: budget ≥ 30 frames per second, i.e. no gap
//! between two frames longer than 33 ms; and it is usable soon: the first usable screen
//! (identities listed and filterable) within 5 s on a first load under the emulator's cost
//! model, within 1 s from the cache.
//!
//! Every measurement drives the explorer's own path: `runtime::Runtime` (the cache, the
//! backend, partial tenants of a first load, each tenant made ready off the UI thread for what
//! the app shows) while the same loop shape as `tui::run` draws 200×60 frames of the explorer
//! on the runtime's own thread every 16 ms — paced by `runtime::ticker`, as the binary paces its
//! spinner, so a frame never waits for tokio's timers — and applies every message as the
//! event loop does (`update`, then what was let go of dropped off the thread, then
//! `observe`). The runtime has two workers, as the binary's does. What is reported
//! (criterion's "time") is the **longest gap between two frames** (the `frames_while_loading`
//! group) or the **time to the first usable screen** (`first_usable_screen`); the median gap,
//! the frame count, the partial tenants, where the longest gap fell, the longest `update`, the
//! longest frame and how late a 16 ms tokio timer beside it fired ("timer lag": the runtime's
//! workers, which turn its timers and sockets, were busy that long) go to stderr. Loads are a
//! `SETTLE` apart, so none is measured against the previous one's leftovers.
//!
//! - `max_frame_gap_150k`: the budget tenant (`TenantSpec::budget()`, 150,000 identities) from
//!   a snapshot in memory, no cache: index and audit on blocking threads, then the swap.
//! - `max_frame_gap_live_crawl`: the live backend crawls the crawl budget's tenant (20,000
//!   applications, 40,000 service principals, Graph and ARM) from the Graph/ARM emulator with
//!   50 ms latency per request, no cache, so partial tenants stream in: the emulator runs on
//!   its own runtime in this process, so it competes for the same two cores — harder than a
//!   real tenant far away —, at the priority of the binary's background threads
//!   (`runtime::threads`), as the runtime under test does: the thread that draws keeps the
//!   process's.
//! - `first_load_cost_model`: the same tenant under the emulator's cost model
//!   (`emulator::cost::realistic()`: Graph page latency by objects returned, the S tier's
//!   budget), until the first usable screen; the load is then cancelled.
//! - `from_cache_150k`: the budget tenant in the cache, until the cached tenant is on screen.
//!
//! Run with `cargo bench --bench load_frames`.

// Benchmarks report on stderr and may panic on broken fixtures.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use credwise_test_kit::emulator;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use credwise::app::keymap::Keymap;
use credwise::app::{App, Msg, update};
use credwise::backend::Backend;
use credwise::backend::live::{AuthMode, LiveBackend, LiveConfig};
use credwise::backend::snapshot::SnapshotBackend;
use credwise::domain::{TenantSnapshot, Timestamp};
use credwise::runtime::ticker::Ticker;
use credwise::runtime::{Runtime, Source};
use credwise::store::cache::CacheSlot;
use credwise::store::journal::SourceRecord;
use credwise::tui::theme::Theme;
use credwise::tui::ui_state::UiState;
use credwise::tui::view;
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

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
    /// When the longest gap ended, from the start (where in the load it happened).
    max_at: Duration,
    median: Duration,
    frames: usize,
    load: Duration,
    /// The longest `update` of one message on the UI thread.
    longest_update: Duration,
    /// The longest frame drawn, and the longest a 16 ms tick was late (the timer is driven
    /// by the runtime's workers: a late tick with short updates and frames means the workers
    /// were busy, not the UI thread).
    longest_draw: Duration,
    longest_tick_lag: Duration,
    /// From the start to the first frame with identities listed.
    first_usable: Duration,
    partials: usize,
}

/// When a measurement ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// The whole, fresh tenant is on screen.
    Whole,
    /// The first screen with identities listed (then the load is cancelled).
    FirstUsable,
}

fn source(backend: Arc<dyn Backend>, cache: Option<CacheSlot>) -> Source {
    Source {
        tenant: credwise::jobs::load::Source { backend, cache },
        record: SourceRecord::live("bench", None, "public"),
    }
}

/// How long a load's leftovers (an audit the cancelled load no longer sends, tenants freed on
/// blocking threads) get to finish before the next load starts, so no load is measured
/// against the previous one's work.
const SETTLE: Duration = Duration::from_millis(1500);

fn one_load(rt: &tokio::runtime::Runtime, source: Source, now: Timestamp, until: Until) -> Gaps {
    let gaps = one_load_unsettled(rt, source, now, until);
    std::thread::sleep(SETTLE);
    gaps
}

fn one_load_unsettled(
    rt: &tokio::runtime::Runtime,
    source: Source,
    now: Timestamp,
    until: Until,
) -> Gaps {
    rt.block_on(async move {
        let mut app = App::new("budget", true, now);
        let mut ui = UiState::new(Keymap::defaults(), Theme::new(true));
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut runtime = Runtime::new(Some(source), vec![], tx, false, Box::new(|_| Ok(())), None);
        let started = Instant::now();
        runtime.start(&app);
        // Frames are paced as the binary's event loop paces its spinner (`runtime::ticker`,
        // a thread of its own), at 16 ms; a tokio timer beside it measures how late the
        // runtime's own timers are (its workers turn them).
        let ticker = Ticker::every(Duration::from_millis(16));
        let timer_lag = Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let probe = tokio::spawn({
            let timer_lag = timer_lag.clone();
            async move {
                let mut interval = tokio::time::interval(Duration::from_millis(16));
                loop {
                    let due = interval.tick().await;
                    let lag = due.into_std().elapsed();
                    let mut worst = timer_lag.lock().unwrap();
                    *worst = (*worst).max(lag);
                }
            }
        });
        let mut gaps = Vec::new();
        let mut ends = Vec::new();
        let mut draws = Vec::new();
        let mut longest_update = Duration::ZERO;
        let mut first_usable = None;
        let mut partials = 0;
        let mut last = Instant::now();
        let mut draw =
            |app: &App, ui: &mut UiState, last: &mut Instant, gaps: &mut Vec<Duration>| {
                let before = Instant::now();
                terminal.draw(|f| view::render(app, ui, f)).unwrap();
                let t = Instant::now();
                draws.push(t - before);
                gaps.push(t - *last);
                ends.push(t - started);
                *last = t;
            };
        loop {
            tokio::select! {
                Some(msg) = rx.recv() => {
                    let whole = match &msg {
                        Msg::TenantReady(r) => !r.partial && r.cached_at.is_none(),
                        Msg::LoadFailed(e) => panic!("the load failed: {e}"),
                        _ => false,
                    };
                    partials += usize::from(matches!(&msg, Msg::TenantReady(r) if r.partial));
                    let t = Instant::now();
                    for e in update(&mut app, msg) {
                        runtime.execute(e, &app);
                    }
                    runtime.retire(app.take_retired());
                    runtime.observe(&app);
                    longest_update = longest_update.max(t.elapsed());
                    if first_usable.is_none() && !app.visible.is_empty() {
                        draw(&app, &mut ui, &mut last, &mut gaps);
                        first_usable = Some(started.elapsed());
                        if until == Until::FirstUsable {
                            break;
                        }
                    }
                    if whole {
                        draw(&app, &mut ui, &mut last, &mut gaps);
                        break;
                    }
                }
                () = ticker.tick() => {
                    draw(&app, &mut ui, &mut last, &mut gaps);
                }
            }
        }
        probe.abort();
        let longest_tick_lag = *timer_lag.lock().unwrap();
        let longest_draw = draws.iter().copied().max().unwrap_or_default();
        let load = started.elapsed();
        runtime.shutdown();
        // The first "gap" is from before the first frame.
        gaps.remove(0);
        ends.remove(0);
        let (max, max_at) = gaps
            .iter()
            .copied()
            .zip(ends.iter().copied())
            .max()
            .unwrap_or_default();
        let mut sorted = gaps.clone();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        Gaps {
            max,
            max_at,
            median,
            frames: gaps.len() + 1,
            load,
            longest_update,
            longest_draw,
            longest_tick_lag,
            first_usable: first_usable.unwrap_or(load),
            partials,
        }
    })
}

/// A backend whose load runs until it is cancelled: the fresh load behind a cached tenant,
/// so `from_cache_150k` measures the cache alone and leaves nothing running behind it.
struct Endless;

#[async_trait::async_trait]
impl Backend for Endless {
    fn describe(&self) -> String {
        "endless".into()
    }
    async fn load(
        &self,
        _scope: &credwise::backend::Scope,
        progress: &credwise::backend::Progress,
    ) -> Result<credwise::backend::Loaded, credwise::backend::Error> {
        progress.cancellation().cancelled().await;
        Err(credwise::backend::Error::Cancelled)
    }
    async fn examine(
        &self,
        _check: &credwise::domain::Check,
    ) -> Result<credwise::domain::CheckOutcome, credwise::backend::Error> {
        Err(credwise::backend::Error::ReadOnly)
    }
    async fn apply(
        &self,
        _change: &credwise::domain::Change,
    ) -> Result<credwise::backend::Applied, credwise::backend::Error> {
        Err(credwise::backend::Error::ReadOnly)
    }
}

fn crawl_tenant(now: Timestamp) -> TenantSnapshot {
    generate_tenant(
        &TenantSpec {
            applications: 20_000,
            service_principals: 40_000,
            credentials: 40_000,
            seed: 0x00C0_FFEE,
        },
        now,
    )
}

fn live(emu: &emulator::Emulator, now: Timestamp) -> Arc<dyn Backend> {
    Arc::new(
        LiveBackend::new(LiveConfig {
            auth: AuthMode::None,
            graph_url: Some(emu.graph_url()),
            arm_url: Some(emu.arm_url()),
            ..LiveConfig::new(Arc::new(move || now))
        })
        .expect("a live backend"),
    )
}

fn frames_while_loading(c: &mut Criterion) {
    // The binary's runtime: two workers, its threads below the one that draws.
    let rt = credwise::runtime::threads::runtime().unwrap();
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
                let gaps = one_load(&rt, source(backend, None), *now, Until::Whole);
                report(&gaps);
                worst = worst.max(gaps.max);
            }
            worst * iters as u32
        })
    });
    // The emulator stands in for Graph and ARM, which use none of the user's cores; here it
    // does, at the priority of the binary's background threads.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(credwise::runtime::threads::lower_this_threads_priority)
        .build()
        .unwrap();
    let (_, now) = tenant();
    let crawl_tenant = crawl_tenant(*now);
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
                let gaps = one_load(&rt, source(live(&emu, *now), None), *now, Until::Whole);
                report(&gaps);
                worst = worst.max(gaps.max);
            }
            worst * iters as u32
        })
    });
    g.finish();

    let mut g = c.benchmark_group("first_usable_screen");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("first_load_cost_model", |b| {
        b.iter_custom(|iters| {
            let mut worst = Duration::ZERO;
            for _ in 0..iters {
                let (cost, throttle) = emulator::cost::realistic();
                let emu = server.block_on(emulator::Emulator::start_with(
                    crawl_tenant.clone(),
                    emulator::Options {
                        cost: Some(cost),
                        throttle: Some(throttle),
                        ..emulator::Options::default()
                    },
                ));
                let gaps = one_load(
                    &rt,
                    source(live(&emu, *now), None),
                    *now,
                    Until::FirstUsable,
                );
                report(&gaps);
                worst = worst.max(gaps.first_usable);
            }
            worst * iters as u32
        })
    });
    let cache_dir = tempfile::tempdir().unwrap();
    let slot = CacheSlot::new(cache_dir.path(), &["public", "bench", "budget"]);
    slot.write(&tenant().0).unwrap();
    cache_breakdown(&slot, tenant().1);
    g.bench_function("from_cache_150k", |b| {
        b.iter_custom(|iters| {
            let mut worst = Duration::ZERO;
            for _ in 0..iters {
                let (_, now) = tenant();
                let gaps = one_load(
                    &rt,
                    source(Arc::new(Endless), Some(slot.clone())),
                    *now,
                    Until::FirstUsable,
                );
                report(&gaps);
                worst = worst.max(gaps.first_usable);
            }
            worst * iters as u32
        })
    });
    g.finish();
}

/// The CPU time this process has used so far (all its threads, those ended included), from
/// /proc/self/stat (Linux; zero elsewhere): beside each step's wall time, it tells a step's
/// own cost from the time it waited for a core on a busy machine.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command's closing parenthesis; utime and stime are the 14th and
    // 15th fields of the line, in clock ticks (100 a second on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

/// Where the time to the cached tenant's first screen goes, step by step (the steps
/// `jobs::load` and `runtime::load` take, in their order), wall and CPU time, to stderr.
fn cache_breakdown(slot: &CacheSlot, now: Timestamp) {
    use credwise::domain::Directory;
    use credwise::domain::audit::{AuditOptions, audit, overview::overview};
    let mut steps = Vec::new();
    let mut t = (Instant::now(), cpu_time());
    let mut lap = |what: &'static str, t: &mut (Instant, Duration)| {
        steps.push(format!(
            "{what} {:.0?} (CPU {:.0?})",
            t.0.elapsed(),
            cpu_time().saturating_sub(t.1)
        ));
        *t = (Instant::now(), cpu_time());
    };
    let first = slot.read().unwrap().unwrap();
    lap("CacheSlot::read (a first read, not on the path)", &mut t);
    drop(first);
    lap("drop", &mut t);
    let snapshot = slot.read().unwrap().unwrap();
    lap("CacheSlot::read", &mut t);
    let dir = Arc::new(Directory::new(snapshot));
    lap("Directory::new", &mut t);
    let mut ready = credwise::app::Ready::shared(dir.clone(), None, None, vec![]);
    ready.cached_at = Some(now);
    ready.audit_pending = true;
    lap("Ready::shared (usage evidence)", &mut t);
    let mut app = App::new("budget", true, now);
    ready.prepare(&app.view_key());
    lap("Ready::prepare", &mut t);
    update(&mut app, Msg::TenantReady(Box::new(ready)));
    lap("update(TenantReady)", &mut t);
    let options = AuditOptions::new(now);
    let report = audit(&dir, &options, &[]);
    lap("then audit", &mut t);
    let overview = overview(&dir, &report, now);
    lap("overview", &mut t);
    drop((report, overview));
    update(&mut app, Msg::Tick(now + time::Duration::minutes(1)));
    lap("update(Tick)", &mut t);
    drop((app, dir));
    lap("drop", &mut t);
    eprintln!("from the cache, step by step: {}", steps.join(", "));
}

fn report(gaps: &Gaps) {
    eprintln!(
        "load {:.0?}: first usable screen {:.2?}, {} partial tenants, {} frames, median gap \
         {:.1?}, longest gap {:.1?} (≥ {:.0} fps) ending at {:.2?}, longest update {:.1?}, longest frame {:.1?}, timer lag {:.1?}",
        gaps.load,
        gaps.first_usable,
        gaps.partials,
        gaps.frames,
        gaps.median,
        gaps.max,
        1.0 / gaps.max.as_secs_f64(),
        gaps.max_at,
        gaps.longest_update,
        gaps.longest_draw,
        gaps.longest_tick_lag
    );
}

criterion_group!(benches, frames_while_loading);
criterion_main!(benches);
