//! The keymap: defaults, a user's file merged in, lookups, hints and help.

use super::*;

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

#[test]
fn defaults_parse() {
    let km = Keymap::from_sources(DEFAULT_KEYMAP, None).unwrap();
    assert_eq!(
        km.lookup(Context::List, &key("j")),
        Some(Command::SelectNext)
    );
    assert_eq!(
        km.lookup(Context::List, &key("ctrl-c")),
        Some(Command::Quit)
    );
    assert_eq!(
        km.lookup(Context::Details, &key("enter")),
        Some(Command::Open)
    );
    assert_eq!(
        km.lookup(Context::List, &key("G")),
        Some(Command::SelectLast)
    );
    assert_eq!(
        km.lookup(Context::MigrateRun, &key("ctrl-c")),
        Some(Command::Interrupt)
    );
    assert_eq!(
        km.lookup(Context::MigrateRun, &key("j")),
        None,
        "no fallback"
    );
}

#[test]
fn user_bindings_replace_key_by_key() {
    let user =
        "[[global]]\non = [\"x\"]\nrun = \"quit\"\n\n[[global]]\non = [\"q\"]\nrun = \"none\"\n";
    let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
    assert_eq!(km.lookup(Context::List, &key("x")), Some(Command::Quit));
    assert_eq!(km.lookup(Context::List, &key("q")), None);
    // ctrl-c shared the default binding with q and keeps it.
    assert_eq!(
        km.lookup(Context::List, &key("ctrl-c")),
        Some(Command::Quit)
    );
}

#[test]
fn unknown_things_name_file_and_culprit() {
    let cases = [
        (
            "[[global]]\non=[\"x\"]\nrun=\"fly\"\n",
            "unknown command \"fly\"",
        ),
        (
            "[[global]]\non=[\"hyper-x\"]\nrun=\"quit\"\n",
            "unknown key \"hyper-x\"",
        ),
        ("[[global]]\non=[\"x\"]\nrun=\"quit\"\ncolour=1\n", "colour"),
        ("[[sidebar]]\non=[\"x\"]\nrun=\"quit\"\n", "sidebar"),
    ];
    for (text, want) in cases {
        let e = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("my/keymap.toml"), text)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my/keymap.toml: "), "{e}");
        assert!(e.contains(want), "{e} should mention {want}");
    }
}

#[test]
fn keys_parse_and_label() {
    for s in [
        "j", "G", "?", "enter", "ctrl-c", "alt-x", "f1", "space", "pgdown",
    ] {
        assert!(Key::parse(s).is_some(), "{s}");
    }
    assert_eq!(key("shift-tab"), key("backtab"));
    assert!(Key::parse("f13").is_none());
    assert!(Key::parse("ab").is_none());
    assert_eq!(key("ctrl-d").label(), "ctrl-d");
    assert_eq!(key("down").label(), "↓");
}

#[test]
fn sequences_parse_label_and_resolve() {
    let gg = Keys::parse("g g").unwrap();
    assert_eq!(gg.prefix, Some(key("g")));
    assert_eq!(gg.label(), "gg");
    assert!(Keys::parse("g g g").is_none());
    assert!(Keys::parse("g hyper").is_none());
    let km = Keymap::defaults();
    assert_eq!(km.resolve(Context::List, None, &key("g")), Lookup::Pending);
    assert_eq!(
        km.resolve(Context::List, Some(key("g")), &key("g")),
        Lookup::Run(Command::SelectFirst)
    );
    assert_eq!(
        km.resolve(Context::List, Some(key("g")), &key("j")),
        Lookup::Unbound
    );
    // A key bound alone wins over the sequences it starts.
    let user = "[[global]]\non = [\"g\"]\nrun = \"select-last\"\n";
    let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
    assert_eq!(
        km.resolve(Context::List, None, &key("g")),
        Lookup::Run(Command::SelectLast)
    );
}

#[test]
fn hint_labels_pair_arrows_and_range_digits() {
    let l = |v: &[&str]| join_labels(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(l(&["↑", "↓", "1", "2", "3"]), "↑↓/1-3");
    assert_eq!(l(&["tab", "↑", "↓"]), "tab/↑↓");
    assert_eq!(l(&["space", "←", "→"]), "space/←→");
    assert_eq!(l(&["j", "k"]), "j/k");
    assert_eq!(l(&["1", "2"]), "1/2");
}

/// Every command the explorer acts on in a context has a key there (or in the context it
/// falls back to) and a description; nothing is reachable only by a key the screen never
/// names.
#[test]
fn every_reachable_command_has_a_binding_and_a_description_in_its_context() {
    let km = Keymap::defaults();
    for ctx in Context::ALL {
        for c in ctx.reacts_to() {
            let bound = std::iter::once(ctx)
                .chain(ctx.fallback().iter().copied())
                .flat_map(|x| km.describe(x))
                .find(|(_, cmd, _)| *cmd == c);
            let Some((keys, _, desc)) = bound else {
                panic!("[[{}]] has no key for {}", ctx.name(), c.name());
            };
            assert!(!keys.is_empty() && !desc.trim().is_empty(), "{c:?}");
        }
        // And nothing is bound that the context ignores.
        for (_, c, _) in km.describe(ctx) {
            assert!(
                ctx.reacts_to().contains(&c),
                "[[{}]] binds {}, which it does not act on",
                ctx.name(),
                c.name()
            );
        }
        assert!(
            ctx == Context::Global || !km.hints(ctx).is_empty(),
            "[[{}]] gives no hint",
            ctx.name()
        );
    }
}

#[test]
fn a_user_rebind_changes_the_hint() {
    let km = Keymap::defaults();
    assert!(km.hints(Context::MigrateDone)[0] == ("e".into(), "export record".into()));
    let user = "[[migrate-done]]\non = [\"x\"]\nrun = \"export\"\ndesc = \"export record\"\n\n[[migrate-done]]\non = [\"e\"]\nrun = \"none\"\n";
    let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
    let hints = km.hints(Context::MigrateDone);
    assert!(
        hints.contains(&("x".into(), "export record".into())),
        "{hints:?}"
    );
    assert!(!hints.iter().any(|(k, _)| k == "e"), "{hints:?}");
    // The panes' hints follow a rebind too.
    let user = "[[list]]\non = [\"c\"]\nrun = \"copy-id\"\ndesc = \"copy the id\"\n\n[[list]]\non = [\"y\"]\nrun = \"none\"\n";
    let km = Keymap::from_sources(DEFAULT_KEYMAP, Some((Path::new("u.toml"), user))).unwrap();
    assert!(
        km.hints(Context::List)
            .contains(&("c".into(), "copy the id".into()))
    );
}
