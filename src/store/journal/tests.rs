//! Unit tests of `journal`.

use super::*;

#[test]
fn secret_markers_are_found() {
    assert!(secret_marker("-----BEGIN PRIVATE KEY-----").is_some());
    assert!(secret_marker("{\"secretText\":\"x\"}").is_some());
    assert!(
        secret_marker("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln")
            .is_some()
    );
    assert!(secret_marker("a plain plan with eyJ in it").is_none());
    assert!(secret_marker("MIIC8DCCAdigAwIBAgIQ").is_none());
}

/// Journals written while the kind was a free string read back the same, and are written
/// back byte for byte; a kind no credwise wrote is an error, not a guess.
#[test]
fn source_kinds_keep_their_words_on_disk() {
    let written_before = [
        (r#"{"kind":"demo","description":"demo"}"#, SourceKind::Demo),
        (
            r#"{"kind":"snapshot","description":"snapshot t.json","path":"/tmp/t.json"}"#,
            SourceKind::Snapshot,
        ),
        (
            r#"{"kind":"live","description":"live","tenant":"contoso","cloud":"public"}"#,
            SourceKind::Live,
        ),
    ];
    for (line, kind) in written_before {
        let source: SourceRecord = serde_json::from_str(line).unwrap();
        assert_eq!(source.kind, kind, "{line}");
        assert_eq!(serde_json::to_string(&source).unwrap(), line);
    }
    assert!(serde_json::from_str::<SourceRecord>(r#"{"kind":"cloud","description":"x"}"#).is_err());
    assert_eq!(SourceRecord::demo("demo").kind.as_str(), "demo");
}

#[test]
fn ids_are_file_names() {
    assert!(valid_id("20261122-120000-secret-to-fic-1a2b3c4d"));
    assert!(!valid_id("../etc/passwd"));
    assert!(!valid_id(""));
}
