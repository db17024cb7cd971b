//! The dependency rule, checked by reading the sources: every layer imports only the layers
//! below it (use trees parsed and expanded, so a grouped or nested import is caught; no
//! exceptions), `domain` is pure (no I/O, clock, terminal, HTTP or outer layer), `app` knows no terminal, and the inner layers never reach
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

// ---------------------------------------------------------------------------------------------
// The layer rule on parsed paths: every `use` tree expanded (`use crate::{app, tui::view}`
// names `crate::app` and `crate::tui::view`), every `crate::…`/`super::…` path written in code
// resolved against the file's module, then checked against what each layer may import.

/// What each top-level module may import from the crate, besides itself. The arrows of
/// ARCHITECTURE.md: tui / cli → runtime → app → jobs → backend / store → domain; `sanitize`
/// is a leaf every layer may use; `config` is read by the outer layers.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("sanitize", &[]),
    ("store", &["domain", "sanitize"]),
    ("backend", &["domain", "sanitize", "store"]),
    ("jobs", &["backend", "domain", "sanitize", "store"]),
    ("app", &["backend", "domain", "jobs", "sanitize"]),
    ("config", &["app", "domain", "sanitize", "store"]),
    (
        "runtime",
        &["app", "backend", "domain", "jobs", "sanitize", "store"],
    ),
    (
        "cli",
        &[
            "app", "backend", "config", "domain", "jobs", "runtime", "sanitize", "store",
        ],
    ),
    (
        "tui",
        &[
            "app", "backend", "config", "domain", "jobs", "runtime", "sanitize", "store",
        ],
    ),
];

/// External crates (and std modules) a layer must not name.
const FORBIDDEN_EXTERNAL: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "tokio",
            "std::fs",
            "std::env",
            "std::net",
            "std::process",
            "std::io",
            "std::thread::sleep",
            "std::thread::spawn",
            "std::time::SystemTime",
            "std::time::Instant",
            "reqwest",
            "azure_core",
            "azure_identity",
            "crossterm",
            "ratatui",
            "directories",
            "tui_input",
            "tracing_subscriber",
        ],
    ),
    ("app", &["crossterm", "ratatui", "tokio", "std::fs"]),
    ("jobs", &["crossterm", "ratatui"]),
    ("backend", &["crossterm", "ratatui"]),
    ("store", &["crossterm", "ratatui"]),
    ("runtime", &["crossterm", "ratatui"]),
];

/// Expands one use tree (`a::{b, c::{d as e, self}}`) into its paths (`a::b`, `a::c::d`,
/// `a::c`); renames and globs are dropped.
fn expand(tree: &str) -> Vec<String> {
    // Renames go first (`x as y`: the `as` and the new name), then every blank.
    let mut tokens = tree.split_whitespace().peekable();
    let mut tree = String::new();
    while let Some(t) = tokens.next() {
        if t == "as" {
            if let Some(next) = tokens.next() {
                tree.extend(
                    next.chars()
                        .skip_while(|c| c.is_alphanumeric() || *c == '_'),
                );
            }
        } else {
            tree.push_str(t);
        }
    }
    let Some(open) = tree.find('{') else {
        return vec![tree.trim_end_matches("::*").to_string()];
    };
    let prefix = &tree[..open]; // ends with `::` (or is empty for `{a, b}`)
    let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            expand(p).into_iter().map(move |rest| {
                if rest == "self" {
                    prefix.trim_end_matches("::").to_string()
                } else {
                    format!("{prefix}{rest}")
                }
            })
        })
        .collect()
}

/// Every path `text` names, with its line: the `use` trees expanded, and `crate::…` or
/// `super::…` paths written in code. Comments and string literals are left out.
fn named_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let lines: Vec<String> = text
        .lines()
        .map(|l| strip_strings(l.split("//").next().unwrap_or("")))
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        if let Some(rest) = t.strip_prefix("use ") {
            let mut stmt = rest.to_string();
            let first = i;
            while !stmt.contains(';') && i + 1 < lines.len() {
                i += 1;
                stmt.push_str(&lines[i]);
            }
            let stmt = stmt.split(';').next().unwrap_or("");
            out.extend(expand(stmt).into_iter().map(|p| (first + 1, p)));
        } else {
            for start in ["crate::", "super::"] {
                let mut from = 0;
                while let Some(at) = lines[i][from..].find(start) {
                    let at = from + at;
                    let before = lines[i][..at].chars().last();
                    let path: String = lines[i][at..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                        out.push((i + 1, path.trim_end_matches(':').to_string()));
                    }
                    from = at + start.len();
                }
            }
        }
        i += 1;
    }
    out
}

/// A line without the contents of its string literals (so `"crate::x"` in a message is not
/// an import).
fn strip_strings(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
                out.push(c);
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        out.push(c);
    }
    out
}

/// The top-level module a path resolves to from the file at `module` (`["app", "keymap"]`),
/// or `None` for an external path or the crate root.
fn layer_of(path: &str, module: &[String]) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<String> = match segs.first() {
        Some(&"crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some(&"super") | Some(&"self") => module.to_vec(),
        _ => return None,
    };
    while let Some(&s) = segs.first() {
        match s {
            "super" => {
                base.pop();
                segs.remove(0);
            }
            "self" => {
                segs.remove(0);
            }
            _ => break,
        }
    }
    base.extend(segs.iter().map(|s| s.to_string()));
    base.first().cloned().filter(|s| !s.is_empty())
}

/// The module path of a source file (`src/app/keymap.rs` → `app::keymap`).
fn module_of(file: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// For each line of `text`, the inline modules (`mod tests {`) it lies in, outermost first.
/// Braces are counted outside comments and string literals.
fn inline_modules(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // (name, the brace depth outside it)
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    for raw in text.lines() {
        // A brace in a character literal (`'{'`, `b'}'`) opens or closes nothing.
        let line = strip_strings(raw.split("//").next().unwrap_or(""))
            .replace("'{'", "''")
            .replace("'}'", "''");
        let t = line.trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        let opens_module = t.strip_prefix("mod ").and_then(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            rest[name.len()..]
                .trim_start()
                .starts_with('{')
                .then_some(name)
        });
        if let Some(name) = opens_module {
            open.push((name, depth));
        }
        out.push(open.iter().map(|(n, _)| n.clone()).collect());
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    while open.last().is_some_and(|(_, d)| *d >= depth) {
                        open.pop();
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Every import of a layer it may not make, as `file:line: path`.
fn layer_violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in files {
        let module = module_of(file);
        let Some(layer) = module.first().cloned() else {
            continue;
        };
        let Some((_, allowed)) = ALLOWED.iter().find(|(l, _)| *l == layer) else {
            continue; // lib.rs and main.rs may name anything
        };
        let inline = inline_modules(text);
        for (line, path) in named_paths(text) {
            // Inside `mod tests { … }`, `super` is the file's module, not its parent.
            let mut module = module.clone();
            module.extend(inline[line - 1].iter().cloned());
            if let Some(target) = layer_of(&path, &module)
                && target != layer
                && !allowed.contains(&target.as_str())
            {
                found.push(format!(
                    "{}:{line}: {layer} → {target} ({path})",
                    file.display()
                ));
            }
            if let Some((_, banned)) = FORBIDDEN_EXTERNAL.iter().find(|(l, _)| *l == layer)
                && let Some(b) = banned
                    .iter()
                    .find(|b| path == **b || path.starts_with(&format!("{b}::")))
            {
                found.push(format!(
                    "{}:{line}: {layer} names {b} ({path})",
                    file.display()
                ));
            }
        }
    }
    found
}

fn sources() -> Vec<(PathBuf, String)> {
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect()
}

#[test]
fn every_layer_imports_only_what_lies_below_it() {
    let v = layer_violations(&sources());
    assert!(v.is_empty(), "layer rule broken:\n{}", v.join("\n"));
}

#[test]
fn grouped_and_nested_imports_are_caught() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let planted = |file: &str, text: &str| layer_violations(&[(src.join(file), text.to_string())]);
    // Grouped, nested, multi-line, renamed and relative: each names the outer layer.
    let v = planted("domain/x.rs", "use crate::{app, tui::{view, input}};\n");
    assert_eq!(v.len(), 3, "{v:?}");
    let v = planted(
        "jobs/migrate/y.rs",
        "use crate::{\n    domain::Timestamp,\n    app::Msg as M,\n};\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("jobs → app"), "{v:?}");
    let v = planted("store/z.rs", "use super::super::tui::theme;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    let v = planted(
        "backend/w.rs",
        "fn f() { crate::cli::output::print(\"x\"); }\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    let v = planted(
        "domain/v.rs",
        "use std::{collections::BTreeMap, fs::File};\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("std::fs"), "{v:?}");
    // In an inline module, `super` is the file's own module: the backend's tests may name
    // the backend's items; reaching up from them is caught like anywhere else.
    let v = planted(
        "backend/mod.rs",
        "pub struct Warning;\n#[cfg(test)]\nmod tests {\n    use super::Warning;\n    fn f() {}\n}\nuse super::tui::theme;\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains(":7: backend → tui"), "{v:?}");
    let v = planted(
        "backend/mod.rs",
        "mod tests {\n    use super::super::app::Msg;\n}\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("backend → app"), "{v:?}");
    // A closing brace in a character literal does not end the module.
    let v = planted(
        "backend/mod.rs",
        "mod tests {\n    fn f(c: char) -> bool { c == '}' }\n    use super::Warning;\n}\n",
    );
    assert!(v.is_empty(), "{v:?}");
    // Allowed ones, a string and a comment are not imports.
    let v = planted(
        "app/u.rs",
        "use crate::{domain::X, jobs::{load, migrate}};\n// crate::tui::x\nlet s = \"crate::tui\";\n",
    );
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn use_trees_expand() {
    let mut got = expand("crate::{app::{self, Msg}, tui::view as v, domain::*}");
    got.sort();
    assert_eq!(
        got,
        [
            "crate::app",
            "crate::app::Msg",
            "crate::domain",
            "crate::tui::view"
        ]
    );
    assert_eq!(
        layer_of("super::super::app::X", &["jobs".into(), "migrate".into()]),
        Some("app".into())
    );
}
