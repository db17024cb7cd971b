//! Serves a tenant through the in-process Graph + ARM emulator (the one the integration tests
//! use), so credwise can be tried against "live" endpoints on loopback:
//!
//! ```text
//! cargo run --example emulator -- --demo --port 8080 --latency-ms 20   # from the repository root
//! credwise list --graph-url http://127.0.0.1:8080/v1.0 --arm-url http://127.0.0.1:8080 --auth none
//! ```
//!
//! Options: `--demo` (the default), `--snapshot FILE`, or `--generate N` (a generated tenant of N
//! applications, 2N service principals and 3N credentials, as the crawl bench uses); `--port N`
//! (0 or absent: any free port), `--latency-ms N` (added to every request), `--throttle`
//! (Graph's S-tier budget, ARM's token bucket).
// An example is a small program of its own: it prints where it listens.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use credwise_test_kit::emulator;

use std::path::PathBuf;
use std::time::Duration;

use credwise::backend::demo;
use credwise::store::snapshot_file;
use credwise_test_kit::tenant::{TenantSpec, add_agent_identities, generate_tenant};

struct Args {
    snapshot: Option<PathBuf>,
    generate: Option<usize>,
    port: u16,
    latency_ms: u64,
    throttle: bool,
}

fn usage() -> String {
    "usage: cargo run --example emulator -- [--demo | --snapshot FILE | --generate N] [--port N] [--latency-ms N] [--throttle]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        snapshot: None,
        generate: None,
        port: 0,
        latency_ms: 0,
        throttle: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or(format!("{name} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--demo" => {
                args.snapshot = None;
                args.generate = None;
            }
            "--snapshot" => args.snapshot = Some(PathBuf::from(value("--snapshot")?)),
            "--generate" => {
                args.generate = Some(
                    value("--generate")?
                        .parse()
                        .map_err(|_| format!("--generate needs a number\n{}", usage()))?,
                );
            }
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|_| format!("--port needs a number\n{}", usage()))?;
            }
            "--latency-ms" => {
                args.latency_ms = value("--latency-ms")?
                    .parse()
                    .map_err(|_| format!("--latency-ms needs a number\n{}", usage()))?;
            }
            "--throttle" => args.throttle = true,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument '{other}'\n{}", usage())),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let snapshot = match (&args.snapshot, args.generate) {
        (None, Some(n)) => {
            let mut t = generate_tenant(
                &TenantSpec {
                    applications: n,
                    service_principals: 2 * n,
                    credentials: 3 * n,
                    seed: 7,
                },
                now,
            );
            // Real tenants now hold agent identities too (no appId, a new type).
            add_agent_identities(&mut t, (n / 100).max(1), 7);
            t
        }
        (None, None) => demo::snapshot(now),
        (Some(path), _) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| snapshot_file::parse(&bytes, path).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                return std::process::ExitCode::from(2);
            }
        },
    };
    let options = emulator::Options {
        latency: Duration::from_millis(args.latency_ms),
        throttle: args.throttle.then(emulator::ThrottleBudget::graph_s_tier),
        ..Default::default()
    };
    let emu = emulator::Emulator::start_on(snapshot, options, args.port).await;
    println!("Graph (v1.0): {}", emu.graph_url());
    println!("Graph (beta): {}", emu.graph_beta_url());
    println!("ARM:          {}", emu.arm_url());
    println!();
    println!(
        "try: credwise list --graph-url {} --arm-url {} --auth none",
        emu.graph_url(),
        emu.arm_url()
    );
    println!("Ctrl-C stops the emulator.");
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
