//! User configuration through the real binary: a mistake in `config.toml` or `keymap.toml`
//! stops the explorer before it takes over the terminal, with a message naming the file and
//! the key, and exit code 2.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn explorer_with(file: &str, text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    let out = Command::cargo_bin("credwise")
        .unwrap()
        .arg("--demo")
        .env("CREDWISE_CONFIG_DIR", dir.path())
        .env("CREDWISE_NOW", "2026-11-22T12:00:00Z")
        .write_stdin("")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let path = dir.path().join(file).display().to_string();
    assert!(
        stderr.contains(&path),
        "stderr should name {path}: {stderr}"
    );
    (out.status.code().unwrap(), stderr)
}

#[test]
fn unknown_config_key_is_named() {
    let (code, err) = explorer_with("config.toml", "[ui]\nmouse = true\ncolour = \"blue\"\n");
    assert_eq!(code, 2);
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn bad_config_value_is_named() {
    let (code, err) = explorer_with("config.toml", "[ui]\nsort = \"size\"\n");
    assert_eq!(code, 2);
    assert!(err.contains("ui.sort"), "{err}");
}

#[test]
fn config_syntax_error_is_named() {
    let (code, err) = explorer_with("config.toml", "[expiry\nwarning_days = 3\n");
    assert_eq!(code, 2);
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn unknown_keymap_command_is_named() {
    let (code, err) = explorer_with("keymap.toml", "[[list]]\non = [\"x\"]\nrun = \"explode\"\n");
    assert_eq!(code, 2);
    assert!(err.contains("explode"), "{err}");
}

#[test]
fn unknown_key_name_is_named() {
    let (code, err) = explorer_with(
        "keymap.toml",
        "[[global]]\non = [\"hyper-q\"]\nrun = \"quit\"\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("hyper-q"), "{err}");
}
