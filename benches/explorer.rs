//! The explorer's performance budgets, measured on the generated large tenant
//! (`TenantSpec::budget()`: 50,000 applications, 100,000 service principals, 200,000
//! credentials):
//!
//! - `load_and_index`: snapshot file bytes → `snapshot_file::parse` → `Directory::new`, ≤ 1 s
//!   (`parse` and `index` are also timed alone, to show where the time goes);
//! - `filter_keystroke`: `Filter::new(query)` + `rank` over every identity (the matches,
//!   best first, as the list shows them while a filter is typed), ≤ 16 ms;
//! - `render_frame`: one full 200×60 frame (`tui::view::render` through ratatui's `Terminal`
//!   on a `TestBackend`), ≤ 8 ms;
//! - peak memory after loading and indexing, ≤ 400 MB: measured in a child process that does
//!   only what the app does (read the file, parse, index) and reads its own `VmHWM` (Linux),
//!   because this process also holds the generator's output and the benchmarks' copies.
//!
//! - `app_update`: the same work as the app does it, with no budget of its own: one filter
//!   keystroke through `update` (it filters the sorted list of the selected navigation item),
//!   and the clock tick, which recounts and re-sorts everything like `TenantLoaded` does.
//!
//! Run with `cargo bench --bench explorer`; figures the budgets do not cover (file size,
//! match counts, memory) are printed to stderr.

// Benchmarks report on stderr and may panic on broken fixtures.
#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use credwise::app::keymap::Keymap;
use credwise::app::{App, LoadState, Msg, update};
use credwise::app::{NavItem, Pane};
use credwise::domain::audit::overview::overview;
use credwise::domain::audit::{AuditOptions, audit};
use credwise::domain::filter::Filter;
use credwise::domain::{Directory, EntryId, Timestamp};
use credwise::store::snapshot_file;
use credwise::tui::theme::Theme;
use credwise::tui::ui_state::UiState;
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_input::InputRequest;

/// Set (to a snapshot file path) in the child process that measures peak memory.
const PEAK_CHILD_ENV: &str = "CREDWISE_BENCH_PEAK_MEMORY_OF";

/// What every benchmark shares: generated once, because generating takes seconds.
struct Fixture {
    /// The budget tenant as a snapshot file's bytes.
    bytes: Vec<u8>,
    /// Shared with the `App`s the app-level benchmarks build.
    dir: Arc<Directory>,
    all: Vec<EntryId>,
    now: Timestamp,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let started = Instant::now();
        let now = time::OffsetDateTime::now_utc();
        let snapshot = generate_tenant(&TenantSpec::budget(), now);
        let bytes = snapshot_file::to_bytes(&snapshot);
        eprintln!(
            "budget tenant: {} applications, {} service principals, {} UAMIs, {} credentials, \
             {} resources, {} role assignments; snapshot file {:.1} MB ({} bytes); generated \
             in {:.1?}",
            snapshot.applications.len(),
            snapshot.service_principals.len(),
            snapshot.user_assigned_identities.len(),
            snapshot.credential_count(),
            snapshot.resources.len(),
            snapshot.role_assignments.len(),
            bytes.len() as f64 / 1e6,
            bytes.len(),
            started.elapsed(),
        );
        let dir = Arc::new(Directory::new(snapshot));
        let all = (0..dir.len() as EntryId).collect();
        eprintln!("budget tenant: {} identities in the index", dir.len());
        Fixture {
            bytes,
            dir,
            all,
            now,
        }
    })
}

/// An explorer showing the budget tenant, as after `Msg::TenantLoaded` (whose recount and
/// rebuild a clock tick repeats; the directory is shared rather than copied).
fn loaded_app(f: &Fixture) -> App {
    let mut app = App::new("budget.json", true, f.now);
    app.dir = Some(Arc::clone(&f.dir));
    app.load = LoadState::Loaded;
    recount(&mut app);
    app
}

/// What a clock tick makes the runtime work out (`Effect::Recount`, on a blocking thread),
/// swapped in as the event loop would.
fn recount(app: &mut App) {
    if let Some(job) = app.recount_job() {
        update(app, Msg::Recounted(Box::new(job.run())));
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Msg::Edit(InputRequest::InsertChar(c)));
    }
}

fn load_and_index(bytes: &[u8]) -> Directory {
    let snapshot = snapshot_file::parse(bytes, Path::new("budget.json")).unwrap();
    Directory::new(snapshot)
}

/// `VmHWM` (peak resident set) and `VmRSS` of this process in MB, from `/proc/self/status`.
fn memory_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// The child's whole job: load and index the file the way the app does, then report.
fn peak_memory_child(path: &str) -> ! {
    let started = Instant::now();
    let snapshot = snapshot_file::load(Path::new(path)).unwrap();
    let loaded = started.elapsed();
    let dir = Directory::new(snapshot);
    let total = started.elapsed();
    match memory_mb() {
        Some((hwm, rss)) => eprintln!(
            "peak memory (child: read file + parse + index, {} identities): VmHWM {hwm:.0} MB, \
             VmRSS afterwards {rss:.0} MB (budget 400 MB); load from disk {loaded:.1?}, with \
             index {total:.1?}",
            dir.len()
        ),
        None => eprintln!("peak memory: /proc/self/status unavailable (not Linux?)"),
    }
    std::process::exit(0)
}

/// Writes the budget tenant to a temporary file and has a fresh copy of this binary load it.
fn measure_peak_memory(bytes: &[u8]) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(PEAK_CHILD_ENV, file.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    match report.lines().find(|l| l.starts_with("peak memory")) {
        Some(line) => eprintln!("{line}"),
        None => eprintln!("peak memory: the child process failed: {report}"),
    }
    if let Some((hwm, _)) = memory_mb() {
        eprintln!(
            "(this benchmark process, holding generator output and fixtures: VmHWM {hwm:.0} MB)"
        );
    }
}

fn bench_load_and_index(c: &mut Criterion) {
    if let Ok(path) = std::env::var(PEAK_CHILD_ENV) {
        peak_memory_child(&path);
    }
    let f = fixture();
    measure_peak_memory(&f.bytes);

    let mut g = c.benchmark_group("load_and_index");
    // About a second per iteration: ten flat samples keep the run short.
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(12));
    // One output at a time, dropped outside the timing: freeing is not part of loading.
    g.bench_function("total", |b| {
        b.iter_batched(
            || (),
            |()| load_and_index(black_box(&f.bytes)),
            BatchSize::PerIteration,
        );
    });
    g.bench_function("parse", |b| {
        b.iter_batched(
            || (),
            |()| snapshot_file::parse(black_box(&f.bytes), Path::new("budget.json")).unwrap(),
            BatchSize::PerIteration,
        );
    });
    g.bench_function("index", |b| {
        b.iter_batched(
            || f.dir.snapshot().clone(),
            Directory::new,
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn bench_filter_keystroke(c: &mut Criterion) {
    let f = fixture();
    // A GUID prefix as someone pastes part of an appId.
    let guid_prefix = f
        .dir
        .app_id_of(f.dir.entry(f.all[f.all.len() / 2]))
        .map(|id| id[..8].to_string())
        .unwrap_or_else(|| "3f2a".to_string());
    let queries = [
        ("p", "p".to_string()),
        ("pay", "pay".to_string()),
        ("payroll-api", "payroll-api".to_string()),
        ("repo:contoso", "repo:contoso".to_string()),
        ("guid-prefix", guid_prefix),
        ("!web api", "!web api".to_string()),
    ];
    for (label, q) in &queries {
        let hits = Filter::new(q).map_or(f.all.len(), |mut flt| flt.apply(&f.dir, &f.all).len());
        eprintln!(
            "filter {label:?} ({q}): {hits} of {} identities",
            f.all.len()
        );
    }

    let mut g = c.benchmark_group("filter_keystroke");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (label, q) in &queries {
        g.bench_with_input(BenchmarkId::from_parameter(label), q, |b, q| {
            b.iter(|| Filter::new(black_box(q)).map(|mut flt| flt.rank(&f.dir, black_box(&f.all))));
        });
    }
    g.finish();
}

fn bench_app_update(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("app_update");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    // The keystroke that turns "pa" into "pay"; the backspace that restores "pa" is untimed.
    let mut app = loaded_app(f);
    type_text(&mut app, "pa");
    g.bench_function("keystroke_pa_to_pay", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                update(&mut app, Msg::Edit(InputRequest::InsertChar('y')));
                timed += started.elapsed();
                update(&mut app, Msg::Edit(InputRequest::DeletePrevChar));
            }
            timed
        });
    });
    g.sampling_mode(SamplingMode::Flat);
    let mut app = loaded_app(f);
    g.bench_function("tick_recount_and_rebuild", |b| {
        // The recount runs off the UI thread now; this is its cost (a blocking thread's).
        b.iter(|| recount(&mut app));
    });
    g.finish();
}

fn bench_render_frame(c: &mut Criterion) {
    let f = fixture();
    let top = loaded_app(f);
    let mut middle = loaded_app(f);
    middle.selected = middle.visible.len() / 2;
    let mut filtered = loaded_app(f);
    type_text(&mut filtered, "pay");
    // With the audit, as the explorer draws it now: the worst-finding column and the
    // findings in details, the dashboard (the first screen) and the findings view.
    let report = audit(&f.dir, &AuditOptions::new(f.now), &[]);
    let overview = overview(&f.dir, &report, f.now);
    let audited = |item: NavItem| {
        let mut app = loaded_app(f);
        app.overview = Some(overview.clone());
        app.set_report(report.clone());
        app.recount();
        app.nav_selected = App::nav_index(item);
        app.focus = Pane::List;
        app
    };
    let with_findings = audited(NavItem::All);
    let dashboard = audited(NavItem::Dashboard);
    let findings = audited(NavItem::Findings);
    let mut g = c.benchmark_group("render_frame");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (label, app) in [
        ("top", &top),
        ("middle", &middle),
        ("filtered", &filtered),
        ("with_findings", &with_findings),
        ("dashboard", &dashboard),
        ("findings_view", &findings),
    ] {
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        let mut ui = UiState::new(Keymap::defaults(), Theme::new(true));
        g.bench_function(label, |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| credwise::tui::view::render(app, &mut ui, frame))
                    .unwrap()
                    .area
            });
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_load_and_index,
    bench_filter_keystroke,
    bench_render_frame,
    bench_app_update
);
criterion_main!(benches);
