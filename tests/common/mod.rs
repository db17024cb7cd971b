//! Shared test helpers: the demo tenant at a fixed *now*, an `App` loaded with it, and
//! rendering to ratatui's `TestBackend`.
#![allow(dead_code, clippy::unwrap_used)]

pub mod cli;
pub mod conditions;
pub mod loopback;
pub mod migration;

use credwise::app::keymap::Keymap;
use credwise::app::{App, Msg, update};
use credwise::backend::demo;
use credwise::domain::audit::overview::overview;
use credwise::domain::audit::{AuditOptions, audit};
use credwise::domain::{Directory, Timestamp};
use credwise::tui::theme::Theme;
use credwise::tui::ui_state::UiState;
use credwise::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use time::macros::datetime;

/// The fixed "today" of every screen and flow test.
pub const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

pub fn demo_dir() -> Directory {
    Directory::new(demo::snapshot(NOW))
}

/// An explorer with the demo tenant loaded and audited: it shows the dashboard.
pub fn loaded_app() -> App {
    let mut app = App::new("demo", false, NOW);
    let dir = demo_dir();
    let report = audit(&dir, &AuditOptions::new(NOW), &[]);
    let overview = overview(&dir, &report, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(dir),
            audit: Some(Box::new((report, overview))),
            warnings: vec![],
            cached_at: None,
            refresh: None,
        },
    );
    app
}

/// The demo tenant as a tenant without a Microsoft Entra ID P1/P2 licence sees it: every
/// sign-in source unavailable for the licence, so no usage evidence at all.
pub fn unlicensed_snapshot() -> credwise::domain::TenantSnapshot {
    use credwise::domain::usage::{SourceStatus, Unknown, UsageData, UsageSource};
    let mut s = demo::snapshot(NOW);
    let licence = Unknown::Licence {
        requirement: "Microsoft Entra ID P1 or P2".into(),
    };
    s.usage = UsageData {
        collected_at: Some(NOW),
        sources: UsageSource::ALL
            .into_iter()
            .map(|source| SourceStatus::unavailable(source, licence.clone()))
            .collect(),
        credentials: vec![],
        identities: vec![],
    };
    s
}

/// An explorer loaded and audited with `snapshot`: it shows the dashboard.
pub fn app_with(snapshot: credwise::domain::TenantSnapshot) -> App {
    let mut app = App::new("snapshot", false, NOW);
    let dir = Directory::new(snapshot);
    let report = audit(&dir, &AuditOptions::new(NOW), &[]);
    let overview = overview(&dir, &report, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(dir),
            audit: Some(Box::new((report, overview))),
            warnings: vec![],
            cached_at: None,
            refresh: None,
        },
    );
    app
}

/// The demo loaded, on the identity list (the dashboard left with Enter).
pub fn explorer_app() -> App {
    let mut app = loaded_app();
    update(&mut app, Msg::Command(credwise::app::Command::Open));
    app
}

pub fn ui() -> UiState {
    UiState::new(Keymap::defaults(), Theme::new(false))
}

/// Renders `app` at `w`x`h` and returns the terminal (its backend prints the screen).
pub fn render(app: &App, ui: &mut UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::render(app, ui, f)).unwrap();
    terminal
}

/// The screen as text lines.
pub fn screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Presses `key` (a keymap name: `enter`, `ctrl-c`, `y`, `space`) on what is on screen, as the
/// terminal would: through the default keymap of `app.context()`; a key bound to nothing there
/// is text where text is typed, and nothing elsewhere.
pub fn press(app: &mut App, key: &str) -> Vec<credwise::app::Effect> {
    use credwise::app::keymap::{Key, KeyCodeOrd};
    let k = Key::parse(key).unwrap_or_else(|| panic!("no key {key:?}"));
    let context = app.context();
    match Keymap::defaults().lookup(context, &k) {
        Some(c) => update(app, Msg::Command(c)),
        None => match k.code {
            KeyCodeOrd::Char(c) if context.takes_text() && !k.ctrl && !k.alt => {
                update(app, Msg::Edit(tui_input::InputRequest::InsertChar(c)))
            }
            _ => Vec::new(),
        },
    }
}

/// Types `text` into whatever input is active (the filter, the command line, a form field).
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Msg::Edit(tui_input::InputRequest::InsertChar(c)));
    }
}

/// Why no credential worked, as the live backend's chain reports it (one hostile reason).
pub fn sign_in_failure() -> credwise::backend::sign_in::SignInFailure {
    use credwise::backend::sign_in::{Attempt, SignInFailure};
    SignInFailure {
        resource: "https://graph.microsoft.com".into(),
        tried: vec![
            Attempt::new(
                "workload identity",
                true,
                "AZURE_FEDERATED_TOKEN_FILE and AZURE_CLIENT_ID not set",
            ),
            Attempt::new(
                "managed identity",
                true,
                "not on Azure compute (no IDENTITY_ENDPOINT or MSI_ENDPOINT, and the instance metadata endpoint did not answer)",
            ),
            Attempt::new(
                "Azure CLI",
                false,
                "AzureCliCredential authentication failed. ERROR: Please run 'az login' to setup account.\u{1b}]52;c;aGk=\u{7} To troubleshoot, visit https://aka.ms/azsdk/rust/identity/troubleshoot#azure-cli",
            ),
            Attempt::new("Azure Developer CLI", false, "azd not found on PATH"),
        ],
        steps: vec![
            "run `az login` (or `azd auth login`) and try again".into(),
            "or run `credwise --demo` to look around without a tenant".into(),
        ],
    }
}

/// A snapshot in the order a comparison of crawls needs: every list by id (FICs by name,
/// credentials by keyId), and what ARM's shapes cannot carry left out — a user-assigned
/// identity's FIC has no description, and a resource's identity block is a map, so one entry
/// per identity.
pub fn crawl_order(mut s: credwise::domain::TenantSnapshot) -> credwise::domain::TenantSnapshot {
    s.applications.sort_by(|a, b| a.id.cmp(&b.id));
    for a in &mut s.applications {
        a.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    s.service_principals.sort_by(|a, b| a.id.cmp(&b.id));
    s.user_assigned_identities.sort_by(|a, b| a.id.cmp(&b.id));
    for u in &mut s.user_assigned_identities {
        u.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
        // ARM's FIC resource has no description.
        for f in &mut u.federated_identity_credentials {
            f.description = None;
        }
    }
    s.resources.sort_by(|a, b| a.id.cmp(&b.id));
    for r in &mut s.resources {
        // ARM's identity block is a map keyed by identity id: one entry per identity.
        r.identity.user_assigned_identities.sort();
        r.identity.user_assigned_identities.dedup();
    }
    s.role_assignments.sort_by(|a, b| a.id.cmp(&b.id));
    s
}
