//! The dependency rule, checked by reading the sources: `domain` is pure (no I/O, clock,
//! terminal, HTTP or outer layer), `app` knows no terminal, and the inner layers never reach
//! for the outer ones. Cheap, and it fails the build the day someone takes a shortcut.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Lines of code in `layer` that mention any of `forbidden`, ignoring comments.
fn violations(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let files = if dir.is_dir() {
        rust_files(&dir)
    } else {
        vec![dir.with_extension("rs")]
    };
    assert!(!files.is_empty(), "no sources found for {layer}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!(
                        "{}:{}: {word}: {}",
                        file.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

const IO_AND_CLOCK: &[&str] = &[
    "tokio",
    "std::fs",
    "std::env",
    "std::net",
    "std::process",
    "std::io",
    // Scoped threads for data parallelism are allowed; sleeping and detached threads are not.
    "thread::sleep",
    "thread::spawn",
    "reqwest",
    "azure_",
    "crossterm",
    "ratatui",
    "directories",
    "tui_input",
    "now_utc",
    "now_local",
    "SystemTime",
    "Instant::now",
    "include_bytes",
    "include_str",
];

const OUTER_LAYERS: &[&str] = &[
    "crate::backend",
    "crate::store",
    "crate::jobs",
    "crate::app",
    "crate::tui",
    "crate::cli",
    "crate::config",
];

#[test]
fn domain_is_pure() {
    let mut forbidden = IO_AND_CLOCK.to_vec();
    forbidden.extend_from_slice(OUTER_LAYERS);
    let v = violations("domain", &forbidden);
    assert!(v.is_empty(), "domain must stay pure:\n{}", v.join("\n"));
}

#[test]
fn app_knows_no_terminal_and_no_clock() {
    let v = violations(
        "app",
        &[
            "crossterm",
            "ratatui",
            "crate::tui",
            "crate::cli",
            "now_utc",
            "std::fs",
            "tokio::",
        ],
    );
    assert!(
        v.is_empty(),
        "app must not touch the terminal:\n{}",
        v.join("\n")
    );
}

#[test]
fn inner_layers_do_not_reach_outward() {
    for layer in ["backend", "store", "jobs"] {
        let v = violations(
            layer,
            &[
                "crossterm",
                "ratatui",
                "crate::tui",
                "crate::cli",
                "crate::app",
            ],
        );
        assert!(v.is_empty(), "{layer} reaches outward:\n{}", v.join("\n"));
    }
}

#[test]
fn only_output_and_main_print() {
    let mut found = Vec::new();
    for file in rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        if file.ends_with("cli/output.rs") || file.ends_with("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if ["println!", "print!(", "eprintln!", "eprint!(", "dbg!"]
                .iter()
                .any(|w| code.contains(w))
            {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "print outside cli/output.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_has_a_doc_paragraph() {
    let mut missing = Vec::new();
    for file in rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        if !text.trim_start().starts_with("//!") {
            missing.push(file.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a //! paragraph:\n{}",
        missing.join("\n")
    );
}
