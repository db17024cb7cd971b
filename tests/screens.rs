//! Screen snapshots of the explorer (ratatui `TestBackend` + insta) at 80x24, 120x40 and
//! 40x12 with a fixed *now*, plus a property test that rendering never panics at any size.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    NOW, app_with, explorer_app, loaded_app, render, screen, type_text, ui, unlicensed_snapshot,
};
use credwise::app::{App, Command, Msg, update};
use proptest::prelude::*;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (40, 12)];

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        let mut ui = ui();
        let t = render(app, &mut ui, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

fn cmd(app: &mut App, c: Command) {
    update(app, Msg::Command(c));
}

#[test]
fn explorer() {
    snap("explorer", &explorer_app());
}

#[test]
fn dashboard() {
    snap("dashboard", &loaded_app());
}

#[test]
fn findings_view() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "findings");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    cmd(&mut app, Command::SelectNext);
    snap("findings", &app);
}

#[test]
fn details() {
    let mut app = explorer_app();
    // An app registration with secrets, certificates and links.
    update(&mut app, Msg::Command(Command::Filter));
    type_text(&mut app, "^payroll-api$");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    cmd(&mut app, Command::Open);
    snap("details", &app);
}

#[test]
fn filter() {
    let mut app = explorer_app();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "repo:fabrikam");
    snap("filter", &app);
}

#[test]
fn the_filter_marks_the_matched_characters_of_each_name() {
    let mut app = explorer_app();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "payroll");
    let mut ui = ui();
    let t = render(&app, &mut ui, 120, 40);
    let buf = t.backend().buffer();
    let matched = ui.theme.matched;
    // The row of `app-payroll-api`: exactly its `payroll` is marked.
    let row = (0..buf.area.height)
        .find(|&y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("app-payroll-api ")
        })
        .expect("app-payroll-api listed");
    let line: Vec<(String, bool)> = (0..buf.area.width)
        .map(|x| {
            let c = &buf[(x, row)];
            (
                c.symbol().to_string(),
                c.modifier.contains(matched.add_modifier),
            )
        })
        .collect();
    let text: String = line.iter().map(|(s, _)| s.as_str()).collect();
    let start = text.find("app-payroll-api").unwrap();
    let start = text[..start].chars().count();
    let marked: String = line
        .iter()
        .skip(start)
        .take("app-payroll-api".len())
        .map(|(s, m)| if *m { s.to_uppercase() } else { s.clone() })
        .collect();
    assert_eq!(marked, "app-PAYROLL-api");
}

#[test]
fn sign_in() {
    let mut app = App::new("live", false, NOW);
    update(
        &mut app,
        Msg::SignInNeeded(Box::new(common::sign_in_failure())),
    );
    snap("sign_in", &app);
    // A hostile reason is shown escaped, never sent to the terminal.
    let t = render(&app, &mut ui(), 120, 40);
    let screen = common::screen(&t);
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
}

#[test]
fn help() {
    let mut app = explorer_app();
    cmd(&mut app, Command::Help);
    snap("help", &app);
}

#[test]
fn command_line() {
    let mut app = explorer_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "kind uami");
    snap("command_line", &app);
}

#[test]
fn kind_view_after_command() {
    let mut app = loaded_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "kind uami");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    snap("kind_uami", &app);
}

#[test]
fn too_small() {
    let app = explorer_app();
    for (w, h) in [(39, 12), (40, 11), (20, 5)] {
        let mut ui = ui();
        let t = render(&app, &mut ui, w, h);
        insta::assert_snapshot!(format!("too_small_{w}x{h}"), t.backend());
    }
}

#[test]
fn read_only_shows_a_badge_in_the_title() {
    let title = |read_only: bool| {
        let app = App::new("demo", read_only, NOW);
        let mut ui = ui();
        let t = render(&app, &mut ui, 80, 24);
        common::screen(&t).lines().next().unwrap_or("").to_string()
    };
    assert!(title(true).contains(" RO "), "{}", title(true));
    assert!(!title(false).contains(" RO "), "{}", title(false));
}

#[test]
fn loading_screen() {
    let app = App::new("snapshot tenant.json", true, NOW);
    let mut ui = ui();
    let t = render(&app, &mut ui, 80, 24);
    insta::assert_snapshot!("loading_80x24", t.backend());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn render_never_panics(
        w in 1u16..220,
        h in 1u16..70,
        moves in proptest::collection::vec(0usize..12, 0..20),
    ) {
        let mut app = loaded_app();
        let commands = [
            Command::SelectNext, Command::SelectLast, Command::FocusNext, Command::Open,
            Command::Open, Command::Back, Command::PageDown, Command::Help, Command::Help,
            Command::CycleSort, Command::FocusPrev, Command::SelectFirst,
        ];
        for m in moves {
            update(&mut app, Msg::Command(commands[m]));
        }
        let mut ui = ui();
        let _ = render(&app, &mut ui, w, h);
    }
}

mod wizard_screens {
    use super::common::{NOW, loaded_app, render, ui};
    use credwise::app::wizard::decision_table;
    use credwise::app::{App, Command, Msg, update};
    use std::sync::Arc;

    fn snap2(name: &str, app: &App) {
        for (w, h) in [(80, 24), (120, 40)] {
            let mut ui = ui();
            let t = render(app, &mut ui, w, h);
            insta::assert_snapshot!(format!("wizard_{name}_{w}x{h}"), t.backend());
        }
    }

    fn standalone() -> App {
        App::standalone_wizard(Arc::new(decision_table().unwrap()), NOW)
    }

    fn cmd(app: &mut App, c: Command) {
        update(app, Msg::Command(c));
    }

    #[test]
    fn first_question() {
        snap2("first_question", &standalone());
    }

    #[test]
    fn mid_way_after_back_over_the_explorer() {
        let mut app = loaded_app();
        app.decision_table = Some(Arc::new(decision_table().unwrap()));
        // A user-assigned identity: pre-filled answers, marked as from the tenant.
        let dir = app.dir.clone().unwrap();
        let i = app
            .visible
            .iter()
            .position(|&id| dir.display_name_of(dir.entry(id)) == "id-orders-shared")
            .unwrap();
        update(&mut app, Msg::ClickList(i));
        cmd(&mut app, Command::Wizard);
        cmd(&mut app, Command::Open);
        cmd(&mut app, Command::Open);
        cmd(&mut app, Command::Open);
        cmd(&mut app, Command::Back);
        snap2("mid_way_back", &app);
    }

    fn summary() -> App {
        let mut app = standalone();
        // No user, in Azure, same tenant, one resource.
        for downs in [1, 0, 0, 0] {
            cmd(&mut app, Command::SelectFirst);
            for _ in 0..downs {
                cmd(&mut app, Command::SelectNext);
            }
            cmd(&mut app, Command::Open);
        }
        app
    }

    #[test]
    fn summary_screen() {
        snap2("summary", &summary());
    }

    #[test]
    fn export_done() {
        let mut app = summary();
        cmd(&mut app, Command::Export);
        update(
            &mut app,
            Msg::Exported(vec![
                "credwise-decision-system-assigned-managed-identity-2026-11-22.md".into(),
                "credwise-decision-system-assigned-managed-identity-2026-11-22.json".into(),
            ]),
        );
        cmd(&mut app, Command::SelectLast);
        cmd(&mut app, Command::PageDown);
        cmd(&mut app, Command::PageDown);
        snap2("export_done", &app);
    }
}

#[test]
fn cached_tenant_while_refreshing() {
    let mut app = App::new("live", false, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(common::demo_dir()),
            audit: None,
            warnings: vec![],
            cached_at: Some(NOW - time::Duration::minutes(95)),
            refresh: None,
        },
    );
    update(
        &mut app,
        Msg::LoadProgress(credwise::backend::ProgressEvent {
            stage: "applications".into(),
            done: 1_200,
            total: Some(4_000),
        }),
    );
    cmd(&mut app, Command::Open);
    let mut ui = ui();
    let t = render(&app, &mut ui, 160, 24);
    let title = common::screen(&t).lines().next().unwrap_or("").to_string();
    assert!(title.contains("from cache, 1h old"), "{title}");
    assert!(
        title.contains("applications ▕███░░░░░░░▏ 1200/4000"),
        "{title}"
    );
    insta::assert_snapshot!("cached_refreshing_160x24", t.backend());
}

/// The title line says how fresh a live tenant is: Graph just refreshed by delta, the Azure
/// part as old as the load that read it (a delta refresh reads Graph only).
#[test]
fn title_says_how_fresh_a_refreshed_tenant_is() {
    let mut tenant = credwise::backend::demo::snapshot(NOW);
    tenant.source = credwise::domain::SnapshotSource::Live;
    tenant.captured_at = NOW - time::Duration::seconds(10);
    let mut app = App::new("live · contoso", false, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(credwise::domain::Directory::new(tenant)),
            audit: None,
            warnings: vec![],
            cached_at: None,
            refresh: Some(credwise::app::msg::Refresh {
                full: false,
                added: 0,
                changed: 3,
                removed: 1,
                azure_at: Some(NOW - time::Duration::hours(2)),
            }),
        },
    );
    cmd(&mut app, Command::Open);
    let mut ui = ui();
    let t = render(&app, &mut ui, 120, 24);
    let screen = common::screen(&t);
    let title = screen.lines().next().unwrap_or("");
    assert!(
        title.contains("refreshed just now · Azure as of 2h ago"),
        "{title}"
    );
    assert!(
        screen.contains("refreshed: 3 changed, 1 removed"),
        "the status line says what changed"
    );
    insta::assert_snapshot!("title_refreshed_120x24", t.backend());
}

/// A role assignment narrowed by an ABAC condition says so in the details pane.
#[test]
fn details_say_when_a_role_assignment_has_a_condition() {
    let (tenant, _) = common::conditions::with_conditioned_assignment(
        credwise::backend::demo::snapshot(NOW),
        |_| {},
    );
    let mut app = App::new("test", false, NOW);
    update(
        &mut app,
        Msg::TenantLoaded {
            dir: Box::new(credwise::domain::Directory::new(tenant)),
            audit: None,
            warnings: vec![],
            cached_at: None,
            refresh: None,
        },
    );
    cmd(&mut app, Command::Open);
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "^invoice-worker$");
    update(&mut app, Msg::Command(credwise::app::Command::Submit));
    let mut shown = String::new();
    // The application comes first; its service principal holds the roles.
    for _ in 0..2 {
        let mut ui = ui();
        shown = common::screen(&render(&app, &mut ui, 240, 90));
        if shown.contains("Storage Blob Data Reader") {
            break;
        }
        cmd(&mut app, Command::SelectNext);
    }
    let line = shown
        .lines()
        .find(|l| l.contains("Storage Blob Data Reader"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(line.contains(", with a condition"), "{line}");
    let unconditioned = shown
        .lines()
        .find(|l| l.contains("Storage Queue Data Contributor"))
        .unwrap();
    assert!(!unconditioned.contains("condition"), "{unconditioned}");
}

// ---------------------------------------------------------------------------------------
// Usage evidence: the LAST USED column, its sort, the details' line per credential, the
// dashboard's counts, and a tenant without the licence for sign-in data.

fn snap_at(name: &str, app: &App, sizes: &[(u16, u16)]) {
    for &(w, h) in sizes {
        let mut ui = ui();
        let t = render(app, &mut ui, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

/// The explorer with the identity named exactly `name` selected and opened.
fn details_of(mut app: App, name: &str) -> App {
    cmd(&mut app, Command::Filter);
    type_text(&mut app, &format!("^{name}$"));
    cmd(&mut app, Command::Submit);
    cmd(&mut app, Command::Open);
    app
}

#[test]
fn explorer_sorted_by_last_use() {
    let mut app = explorer_app();
    cmd(&mut app, Command::CommandLine);
    type_text(&mut app, "sort last-used");
    cmd(&mut app, Command::Submit);
    assert_eq!(app.sort, credwise::app::SortKey::LastUsed);
    snap_at("explorer_last_used", &app, &[(120, 40), (80, 24)]);
    // The column shows at 120 and 80 columns and gives way, like the others, at 40.
    for (w, shown) in [(120, true), (80, true), (40, false)] {
        let text = screen(&render(&app, &mut ui(), w, 24));
        assert_eq!(text.contains("LAST USED"), shown, "{w} columns:\n{text}");
        assert!(text.contains("EXPIRES"), "{text}");
    }
}

#[test]
fn details_show_each_credentials_evidence() {
    // A secret idle over the log's window beside two federated credentials that sign in.
    let app = details_of(explorer_app(), "github-deploy-infra");
    snap_at("details_usage_idle_and_used", &app, &[(120, 60), (80, 48)]);
    let text = screen(&render(&app, &mut ui(), 120, 60));
    assert!(
        text.contains("no sign-in in 30 days (the sign-in log)"),
        "{text}"
    );
    assert!(text.contains("last sign-in 1d ago"), "{text}");
    // A managed identity's federated credential without a sign-in: unknown, not idle.
    let app = details_of(explorer_app(), "id-github-platform-deploy");
    snap_at("details_usage_unknown", &app, &[(120, 60)]);
    let text = screen(&render(&app, &mut ui(), 120, 60));
    assert!(
        text.contains("unknown: no sign-in recorded in the data"),
        "{text}"
    );
    // A secret whose last attempt failed.
    let app = details_of(explorer_app(), "invoice-worker");
    snap_at("details_usage_failing", &app, &[(80, 48)]);
    let text = screen(&render(&app, &mut ui(), 120, 60));
    assert!(text.contains("its last sign-in attempt failed"), "{text}");
}

#[test]
fn a_tenant_without_the_licence_shows_unknown_with_the_reason_and_never_unused() {
    let reason = "unknown: needs a Microsoft Entra ID P1 or P2 licence";
    let dashboard = app_with(unlicensed_snapshot());
    let mut list = app_with(unlicensed_snapshot());
    cmd(&mut list, Command::Open);
    let details = details_of(app_with(unlicensed_snapshot()), "invoice-worker");
    snap_at("unlicensed_dashboard", &dashboard, &[(120, 40)]);
    snap_at("unlicensed_details", &details, &[(120, 60)]);
    for (what, app) in [
        ("dashboard", &dashboard),
        ("list", &list),
        ("details", &details),
    ] {
        for (w, h) in [(120, 40), (80, 24)] {
            let text = screen(&render(app, &mut ui(), w, h));
            for line in text.lines() {
                let l = line.to_lowercase();
                // The dashboard's label names what it counts; its value is the reason.
                assert!(
                    !l.contains("unused") || l.contains("unknown"),
                    "{what} {w}x{h} claims unused: {line}"
                );
                for claim in ["none 30d", "no sign-in in", "last sign-in", "failing"] {
                    assert!(
                        !l.contains(claim),
                        "{what} {w}x{h} claims {claim:?}: {line}"
                    );
                }
            }
            if what != "list" || w == 120 {
                assert!(
                    text.contains("unknown"),
                    "{what} {w}x{h} does not say unknown:\n{text}"
                );
            }
        }
    }
    let text = screen(&render(&details, &mut ui(), 120, 60));
    assert!(text.contains(reason), "{text}");
    let text = screen(&render(&dashboard, &mut ui(), 120, 40));
    assert!(text.contains(reason), "{text}");
    // No identity of the list is anything but unknown, and the sort puts none first for it.
    for &id in &list.visible {
        assert!(matches!(
            list.last_used.identity(id),
            credwise::domain::usage::Evidence::Unknown(_)
        ));
    }
    // And the audit fires no credential-unused on it.
    let report = dashboard.report.as_deref().unwrap();
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule() != "credential-unused")
    );
    let o = dashboard.overview.as_ref().unwrap();
    assert_eq!(o.unused_secrets, 0);
    assert!(o.usage_unknown.is_some());
}

#[test]
fn the_dashboard_counts_secrets_from_the_usage_rules_findings() {
    let app = loaded_app();
    let report = app.report.as_deref().unwrap();
    let o = app.overview.as_ref().unwrap();
    let count = |rule: &str, title: Option<&str>| {
        report
            .findings
            .iter()
            .filter(|f| f.rule() == rule && title.is_none_or(|t| f.title() == t))
            .count()
    };
    assert!(o.usage_unknown.is_none());
    assert_eq!(o.unused_days, 90);
    assert_eq!(
        o.unused_secrets,
        count("credential-unused", Some("Unused secret"))
    );
    assert_eq!(
        o.secrets_in_use_beside_replacement,
        count("secret-in-use-beside-replacement", None)
    );
    assert!(o.unused_secrets > 0 && o.secrets_in_use_beside_replacement > 0);
    let text = screen(&render(&app, &mut ui(), 120, 40));
    assert!(text.contains("Secrets unused for 90 days"), "{text}");
    assert!(text.contains("secret-in-use-beside-replacement"), "{text}");
}
