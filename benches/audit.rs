//! The audit's performance budget, measured on the generated large tenant
//! (`TenantSpec::budget()`: 50,000 applications, 100,000 service principals, 200,000
//! credentials), and its comparison with `jq`:
//!
//! - `audit/full`: `audit()` over the indexed tenant (the `Directory` is built once), ≤ 500 ms;
//!   `audit/with_overview` adds the dashboard's `overview()` of the report;
//! - the `jq` comparison: the tenant's applications written as `az ad app list` JSON, and the
//!   question "which application secrets are expired or expire within 30 days" answered end to
//!   end (read the file, parse, count) by credwise (`parse_applications` and a loop) and by
//!   `jq` (a child process, median of three runs), with the same `now`. The goal is credwise
//!   at least 5x faster than `jq`, parse included. The whole credwise audit of that file
//!   (parse, wrap into a snapshot, index, audit every rule) is timed too, for honesty: that is
//!   what answering with credwise's own audit costs.
//!
//! Run with `cargo bench --bench audit`; the comparison's times, counts and ratio are printed
//! to stderr. Without `jq` on `PATH` only the `jq` side is skipped.

// Benchmarks report on stderr and may panic on broken fixtures.
#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use credwise::backend::import::parse_applications;
use credwise::domain::audit::overview::overview;
use credwise::domain::audit::{AuditOptions, Report, Severity, audit};
use credwise::domain::{Directory, SnapshotSource, TenantSnapshot, Timestamp};
use credwise_test_kit::tenant::{TenantSpec, generate_tenant};
use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use time::format_description::well_known::Rfc3339;

/// "Expiring" for the comparison, as `AuditOptions::new` has it by default.
const EXPIRING_WITHIN_DAYS: i64 = 30;

/// What every benchmark shares: generated once, because generating takes seconds.
struct Fixture {
    dir: Directory,
    /// The tenant's applications as `az ad app list` prints them.
    apps_json: Vec<u8>,
    /// Whole seconds, so that `jq`'s string comparison of RFC 3339 times agrees with
    /// credwise's comparison of instants (the generator's dates are whole seconds too).
    now: Timestamp,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let started = Instant::now();
        let utc = time::OffsetDateTime::now_utc();
        let now = utc.replace_nanosecond(0).unwrap_or(utc);
        let snapshot = generate_tenant(&TenantSpec::budget(), now);
        let apps_json = serde_json::to_vec(&snapshot.applications).unwrap();
        eprintln!(
            "budget tenant: {} applications, {} service principals, {} UAMIs, {} credentials; \
             `az ad app list` JSON {:.1} MB; generated in {:.1?}",
            snapshot.applications.len(),
            snapshot.service_principals.len(),
            snapshot.user_assigned_identities.len(),
            snapshot.credential_count(),
            apps_json.len() as f64 / 1e6,
            started.elapsed(),
        );
        let dir = Directory::new(snapshot);
        eprintln!("budget tenant: {} identities in the index", dir.len());
        Fixture {
            dir,
            apps_json,
            now,
        }
    })
}

fn report_summary(report: &Report) -> String {
    let noise: usize = report.noise.iter().map(|(_, n)| n).sum();
    format!(
        "{} findings (critical {}, high {}, medium {}, low {}, info {}), {noise} noise",
        report.findings.len(),
        report.count(Severity::Critical),
        report.count(Severity::High),
        report.count(Severity::Medium),
        report.count(Severity::Low),
        report.count(Severity::Info),
    )
}

fn bench_audit(c: &mut Criterion) {
    let f = fixture();
    let opts = AuditOptions::new(f.now);
    let report = audit(&f.dir, &opts, &[]);
    eprintln!("audit of the budget tenant: {}", report_summary(&report));

    let mut g = c.benchmark_group("audit");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("full", |b| {
        b.iter(|| audit(black_box(&f.dir), black_box(&opts), &[]));
    });
    g.bench_function("with_overview", |b| {
        b.iter(|| {
            let report = audit(black_box(&f.dir), black_box(&opts), &[]);
            overview(&f.dir, &report, f.now)
        });
    });
    g.finish();
}

/// The credwise side of the comparison: read, parse, count the secrets that end before
/// `threshold` (expired or expiring).
fn credwise_expiring_secrets(path: &Path, threshold: Timestamp) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let apps = parse_applications(&bytes, path).unwrap();
    apps.iter()
        .flat_map(|a| &a.password_credentials)
        .filter(|p| p.end_date_time.is_some_and(|end| end < threshold))
        .count()
}

/// The whole credwise audit of the same file: parse, wrap into a snapshot, index, audit.
fn credwise_audit_of_file(path: &Path, now: Timestamp) -> Report {
    let bytes = std::fs::read(path).unwrap();
    let applications = parse_applications(&bytes, path).unwrap();
    let snapshot = TenantSnapshot {
        source: SnapshotSource::AzImport,
        applications,
        ..TenantSnapshot::empty("00000000-0000-0000-0000-000000000000", now)
    };
    let dir = Directory::new(snapshot);
    audit(&dir, &AuditOptions::new(now), &[])
}

fn jq_filter(threshold: &str) -> String {
    format!(
        "[.[] | .passwordCredentials[]? | select(.endDateTime != null and .endDateTime < \
         \"{threshold}\")] | length"
    )
}

/// One `jq` run: its wall time and its answer; `None` when `jq` cannot be started.
fn run_jq(filter: &str, path: &Path) -> Option<(Duration, usize)> {
    let started = Instant::now();
    let out = Command::new("jq").arg(filter).arg(path).output().ok()?;
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "jq failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    Some((elapsed, count))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Wall times of `runs` calls of `work`, its median and the last answer.
fn timed<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let out = work();
        times.push(started.elapsed());
        last = Some(out);
    }
    (median(times), last.unwrap())
}

fn bench_jq_comparison(c: &mut Criterion) {
    let f = fixture();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &f.apps_json).unwrap();
    let path = file.path();
    let threshold = f.now + time::Duration::days(EXPIRING_WITHIN_DAYS);
    let threshold_text = threshold.format(&Rfc3339).unwrap();
    let filter = jq_filter(&threshold_text);

    eprintln!(
        "expired or expiring secrets (endDateTime < {threshold_text}), {:.1} MB of `az ad app \
         list` JSON:",
        f.apps_json.len() as f64 / 1e6
    );
    // One untimed run each warms the page cache and the allocator. The timed runs alternate,
    // so that both sides see the same load on a shared machine.
    let expected = credwise_expiring_secrets(path, threshold);
    let jq_found = run_jq(&filter, path).is_some();
    let (mut credwise_times, mut jq_times) = (Vec::new(), Vec::new());
    let mut jq_count = None;
    for round in 0..5 {
        let started = Instant::now();
        let count = credwise_expiring_secrets(black_box(path), threshold);
        credwise_times.push(started.elapsed());
        assert_eq!(count, expected);
        if jq_found && round < 3 {
            let (t, n) = run_jq(&filter, path).unwrap();
            jq_times.push(t);
            jq_count = Some(n);
        }
    }
    let credwise_time = median(credwise_times);
    eprintln!(
        "  credwise (read + parse_applications + count): median of 5 {credwise_time:.1?}, \
         {expected} secrets"
    );
    match jq_count {
        None => eprintln!("jq not found: install jq to run the comparison"),
        Some(count) => {
            let jq_time = median(jq_times);
            eprintln!("  jq '{filter}': median of 3 {jq_time:.1?}, {count} secrets");
            assert_eq!(count, expected, "jq and credwise disagree");
            let ratio = jq_time.as_secs_f64() / credwise_time.as_secs_f64();
            eprintln!(
                "  ratio jq / credwise: {ratio:.1}x (goal: at least 5x) — {}",
                if ratio >= 5.0 { "met" } else { "NOT met" }
            );
        }
    }
    let (audit_time, report) = timed(3, || credwise_audit_of_file(black_box(path), f.now));
    eprintln!(
        "  credwise full audit of the file (read + parse + snapshot + index + audit): median \
         of 3 {audit_time:.1?}; {}",
        report_summary(&report)
    );

    let mut g = c.benchmark_group("jq_comparison");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("credwise_expiring_secrets", |b| {
        b.iter(|| credwise_expiring_secrets(black_box(path), threshold));
    });
    g.bench_function("credwise_audit_of_file", |b| {
        b.iter_batched(
            || (),
            |()| credwise_audit_of_file(black_box(path), f.now),
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, bench_audit, bench_jq_comparison);
criterion_main!(benches);
