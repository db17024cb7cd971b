//! Unit tests of `audit`.

use super::*;

#[test]
fn noise_line_names_each_reason() {
    let noise = vec![
        ("Microsoft first-party apps".to_string(), 3),
        ("App Proxy auto-rotated secrets".to_string(), 2),
        ("nothing".to_string(), 0),
    ];
    assert_eq!(
        noise_line(&noise).as_deref(),
        Some(
            "not shown: 3 findings on Microsoft first-party apps, 2 on App Proxy \
             auto-rotated secrets; --all shows them"
        )
    );
    assert_eq!(noise_line(&[]), None);
    assert_eq!(
        noise_line(&[("x".to_string(), 1)]).as_deref(),
        Some("not shown: 1 finding on x; --all shows them")
    );
}

#[test]
fn markdown_cells_cannot_break_the_table() {
    assert_eq!(md("a|b<script>\n*x*"), "a\\|b&lt;script&gt;\\*x\\*");
    assert_eq!(md("evil\x1b[2J"), "evil\\[2J");
}

#[test]
fn credential_ids_are_shortened() {
    assert_eq!(
        short_credential("edd94576-2989-43e8-aeff-9e28d1e80ca4"),
        "edd94576"
    );
    assert_eq!(short_credential("main"), "main");
    assert_eq!(
        short_credential("a-very-long-federated-name"),
        "a-very-long…"
    );
}

#[test]
fn headings_are_capitalized() {
    assert_eq!(heading(Severity::Critical), "Critical");
    assert_eq!(heading(Severity::Info), "Info");
}
