#![allow(clippy::unwrap_used)]
//! The explorer in a real terminal: the `credwise` binary runs inside a detached tmux session
//! of a fixed size, keys go in with `send-keys` and the screen comes back as text with
//! `capture-pane`. Unit tests of `update` and snapshot tests of the views cover behaviour and
//! drawing one piece at a time; only a real terminal shows that the pieces are wired
//! together — that keys reach the keymap through crossterm, that a resize redraws, and
//! above all that every way out (`q`, Ctrl-C mid-typing) gives the terminal back in cooked mode
//! on the normal screen. tmux is the terminal: it is scriptable, headless and reports the
//! alternate-screen flag. After credwise exits, the pane's shell prints the exit code and
//! `stty -a`, which read the state credwise left behind.
//!
//! Each test has its own tmux server (`-L credwise-test-…`, no user config), its own empty
//! config directory and a pinned clock, so tests run in parallel and see the same screens
//! every day. A missing tmux fails the tests (it never skips them): CI installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use credwise_test_kit::emulator;

const NOW: &str = "2026-11-22T12:00:00Z";
const TENANT: &str = "Fabrikam Logistics";
/// How long a screen may take to show what a test waits for.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Printed by the pane's shell once credwise has exited and `stty -a` has run.
const DONE: &str = "STTY-DONE";
/// Runs credwise (`$0` with `$@`), then reports what it left behind. The sleep keeps the pane
/// (and so its screen) alive until the test kills the server.
const SCRIPT: &str = r#""$0" "$@"; echo "EXIT=$?"; stty -a; echo STTY-DONE; sleep 60"#;

/// A tmux server running credwise in one session; killed on drop, pass or fail.
struct Tmux {
    socket: String,
    /// The socket file, which tmux leaves behind when its server is killed.
    socket_path: Option<PathBuf>,
    /// HOME and the config directory of credwise.
    home: TempDir,
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]).output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Tmux {
    /// Starts `credwise ARGS` in a `cols`x`rows` session on a fresh server.
    fn start(name: &str, cols: u16, rows: u16, args: &[&str]) -> Tmux {
        Self::start_with(name, cols, rows, args, &[])
    }

    /// `start`, with extra environment variables for credwise.
    fn start_with(name: &str, cols: u16, rows: u16, args: &[&str], env: &[(&str, &str)]) -> Tmux {
        require_tmux();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "credwise-test-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("config");
        std::fs::create_dir(&config).unwrap();
        let mut tmux = Tmux {
            socket,
            socket_path: None,
            home,
        };
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string());
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let mut argv = vec![
            "new-session".to_string(),
            "-d".into(),
            "-s".into(),
            "credwise".into(),
            "-x".into(),
            cols,
            "-y".into(),
            rows,
            // Start in the test's own directory: an export must not land in the checkout.
            "-c".into(),
            tmux.home.path().display().to_string(),
            "--".into(),
            // A clean environment: nothing of the developer's (config, tenant, browser) leaks in.
            "env".into(),
            "-i".into(),
            format!("PATH={path}"),
            format!("HOME={}", tmux.home.path().display()),
            "TERM=xterm-256color".into(),
            format!("CREDWISE_NOW={NOW}"),
            format!("CREDWISE_CONFIG_DIR={}", config.display()),
        ];
        argv.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        argv.extend([
            "sh".into(),
            "-c".into(),
            SCRIPT.into(),
            env!("CARGO_BIN_EXE_credwise").into(),
        ]);
        argv.extend(args.iter().map(|a| a.to_string()));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        tmux.run(&argv);
        tmux.socket_path = Some(PathBuf::from(tmux.display("#{socket_path}")));
        // Resizes are the test's to make, not the (absent) clients'.
        tmux.run(&["set-option", "-g", "window-size", "manual"]);
        tmux
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-u", "-f", "/dev/null", "-L", &self.socket])
            .args(args)
            .env("TERM", "xterm-256color")
            .env_remove("TMUX")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a tmux command that must succeed and returns its stdout.
    fn run(&self, args: &[&str]) -> String {
        let out: Output = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen, one line per row; wrapped lines joined.
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-t", "credwise"])
    }

    /// Sends tmux key names (`Enter`, `Escape`, `C-c`, `j`), one call per key, so no two
    /// keys reach credwise as one sequence.
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "credwise", key]);
        }
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "credwise", "-l", text]);
    }

    /// Sends Escape and waits until the screen shows `until`: an Escape followed too soon by
    /// another key reads as Alt plus that key.
    fn escape(&self, what: &str, until: impl Fn(&str) -> bool) -> String {
        self.keys(&["Escape"]);
        self.wait_until(what, until)
    }

    fn display(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "credwise", format])
            .trim()
            .to_string()
    }

    /// Polls the screen every 50 ms until `needle` is on it; fails with the last screen.
    fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?} on screen"), |s| s.contains(needle))
    }

    /// Polls the screen every 50 ms until `ready` holds on a settled screen; fails with the
    /// last screen. Settled: a second capture a moment later is the same, so a capture taken
    /// while credwise was half-way through drawing a frame (which a busy machine shows) never
    /// passes for the screen a test then inspects.
    fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                std::thread::sleep(Duration::from_millis(30));
                if self.screen() == screen {
                    return screen;
                }
                continue;
            }
            if start.elapsed() > TIMEOUT {
                panic!(
                    "timed out after {TIMEOUT:?} waiting for {what}; the screen:\n{}",
                    framed(&screen)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the demo tenant to be loaded and on screen.
    fn wait_loaded(&self) -> String {
        self.wait_until("the demo tenant loaded", |s| {
            s.contains(TENANT) && s.contains(&format!("loaded {DEMO_IDENTITIES} identities"))
        })
    }

    /// Waits for credwise to exit and checks it left with code 0, in cooked mode, on the
    /// normal screen.
    fn assert_exited_cleanly(&self) {
        self.assert_exited(0);
    }

    /// Waits for credwise to exit and checks it left with `code`, in cooked mode, on the
    /// normal screen; returns that screen.
    fn assert_exited(&self, code: u8) -> String {
        let screen = self.wait_for(DONE);
        // Anywhere on the screen: a credwise that did not leave the alternate screen leaves
        // the shell's output in the middle of its own.
        let exit: String = screen
            .split_once("EXIT=")
            .unwrap_or_else(|| panic!("no exit code on screen:\n{}", framed(&screen)))
            .1
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert_eq!(
            exit,
            code.to_string(),
            "credwise exited with {exit}:\n{}",
            framed(&screen)
        );
        assert_cooked(&screen);
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "the alternate screen is still on"
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "the cursor is hidden");
        // credwise's screen is gone: only the shell's output is left.
        assert!(
            !screen.contains(TENANT),
            "credwise's screen was left behind:\n{}",
            framed(&screen)
        );
        screen
    }
}

/// Fails, with the fix, when tmux cannot be run.
fn require_tmux() {
    let ok = Command::new("tmux")
        .arg("-V")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "tmux is required for the terminal tests: apt-get install tmux"
    );
}

/// The screen with a border, so trailing blanks and empty rows show in a failure message.
fn framed(screen: &str) -> String {
    let mut out = String::from("┌\n");
    for line in screen.lines() {
        out.push_str(&format!("│{line}\n"));
    }
    out.push('└');
    out
}

/// `stty -a` on `screen` shows a terminal in cooked mode: the flags raw mode clears are set.
fn assert_cooked(screen: &str) {
    let stty = screen
        .split_once("EXIT=")
        .map_or("", |(_, rest)| rest)
        .split(DONE)
        .next()
        .unwrap_or("");
    let flags: Vec<&str> = stty
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            flags.contains(&flag) && !flags.contains(&format!("-{flag}").as_str()),
            "the terminal is not back in cooked mode ({flag} is not set):\n{}",
            framed(screen)
        );
    }
}

/// The name and kind lines at the top of the details pane, wherever the layout puts it:
/// the two rows under its "Details" title, up to the pane's right border.
fn details_head(screen: &str) -> (String, String) {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let title: Vec<char> = " Details ".chars().collect();
    let found = rows.iter().enumerate().find_map(|(i, row)| {
        row.windows(title.len() + 1)
            .position(|w| matches!(w[0], '╭' | '┏') && w[1..] == title[..])
            .map(|col| (i, col))
    });
    let Some((top, col)) = found else {
        return (String::new(), String::new());
    };
    let inside = |row: usize| -> String {
        rows.get(row)
            .map(|r| {
                r.iter()
                    .skip(col + 1)
                    .take_while(|&&c| c != '│' && c != '┃')
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    };
    (inside(top + 1), inside(top + 2))
}

/// The title line of the identity list (the first line holding the sort marker).
/// How many identities the demo tenant has (assets/demo-tenant.json).
const DEMO_IDENTITIES: usize = 119;

fn list_title(screen: &str) -> &str {
    screen.lines().find(|l| l.contains('↓')).unwrap_or("")
}

#[test]
fn filter_help_follow_back_and_quit_restores_the_terminal() {
    let t = Tmux::start("main", 120, 40, &["--demo"]);
    let screen = t.wait_loaded();
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "credwise is not on the alternate screen"
    );
    // The dashboard comes first; Enter moves on to the identity list.
    assert!(screen.contains("Secretless"), "{}", framed(&screen));
    t.keys(&["Enter"]);
    let screen = t.wait_until("the identity list", |s| {
        list_title(s).contains(&format!("All identities {DEMO_IDENTITIES} "))
    });
    // Two identities on the first screen: one with "payroll" in its name, one without it
    // anywhere (name, ids, credentials).
    assert!(screen.contains("app-payroll-api"), "{}", framed(&screen));
    assert!(screen.contains("backup-reporting"), "{}", framed(&screen));

    // Filter.
    t.keys(&["/"]);
    t.wait_for("keep filter");
    t.type_text("payroll");
    t.keys(&["Enter"]);
    let screen = t.wait_until("the filter kept", |s| {
        list_title(s).contains("/payroll ") && !s.contains("keep filter")
    });
    let title = list_title(&screen);
    assert!(
        title.contains(&format!("All identities 6/{DEMO_IDENTITIES}")),
        "title: {title}"
    );
    for listed in ["payroll-api ", "payroll-api-sandbox", "id-payroll-batch"] {
        assert!(
            screen.contains(listed),
            "{listed} is not listed:\n{}",
            framed(&screen)
        );
    }
    assert!(
        !screen.contains("backup-reporting"),
        "backup-reporting does not match /payroll but is listed:\n{}",
        framed(&screen)
    );

    // Help.
    t.keys(&["?"]);
    let screen = t.wait_for("Help — esc closes");
    assert!(screen.contains("Everywhere"), "{}", framed(&screen));
    assert!(
        screen
            .lines()
            .any(|l| l.contains("  /  ") && l.contains(" filter ")),
        "no help line for / filter:\n{}",
        framed(&screen)
    );
    assert!(screen.contains("Identity list"), "{}", framed(&screen));
    // The command table is below the fold at 40 rows, after every context's keys.
    t.keys(&["G"]);
    let screen = t.wait_for("Commands (:)");
    assert!(screen.contains(":kind"), "{}", framed(&screen));
    let screen = t.escape("the help closed", |s| !s.contains("Help — esc closes"));
    assert!(
        list_title(&screen).contains("/payroll "),
        "{}",
        framed(&screen)
    );

    // Follow a link: the payroll-api app registration to its service principal, and back.
    t.keys(&["/"]);
    t.wait_for("keep filter");
    t.keys(&["BSpace"; 7]);
    t.type_text("payroll-api");
    t.keys(&["Enter"]);
    t.wait_until("the filter /payroll-api kept", |s| {
        list_title(s).contains("/payroll-api ") && !s.contains("keep filter")
    });
    // Best match first: the exact name, the app registration before its service principal;
    // `j` leaves it and `gg` comes back to it.
    t.keys(&["j"]);
    t.wait_until("the next match selected", |s| {
        details_head(s).1.starts_with("Service principal")
    });
    t.keys(&["g", "g"]);
    let screen = t.wait_until("the payroll-api app registration selected", |s| {
        let (name, kind) = details_head(s);
        name == "payroll-api" && kind.starts_with("App registration")
    });
    assert!(!screen.contains("┏ Details"), "{}", framed(&screen));
    t.keys(&["Enter"]);
    t.wait_for("┏ Details");
    // Select the only link (the pane scrolls to it), then follow it.
    t.keys(&["j"]);
    t.wait_for("→ service principal payroll-api");
    t.keys(&["Enter"]);
    let screen = t.wait_until("the service principal in the details", |s| {
        details_head(s).1.starts_with("Service principal")
    });
    assert_eq!(details_head(&screen).0, "payroll-api");
    assert!(
        screen.contains("→ payroll-api (Esc goes back)"),
        "{}",
        framed(&screen)
    );
    let screen = t.escape("back on the app registration", |s| {
        details_head(s).1.starts_with("App registration")
    });
    assert_eq!(details_head(&screen).0, "payroll-api");
    assert!(
        list_title(&screen).contains("/payroll-api "),
        "{}",
        framed(&screen)
    );

    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

#[test]
fn kind_command_shows_user_assigned_identities() {
    let t = Tmux::start("kind", 120, 40, &["--demo"]);
    t.wait_loaded();
    t.keys(&[":"]);
    t.wait_for("tab complete");
    t.type_text("kind uami");
    t.wait_for(":kind uami");
    t.keys(&["Enter"]);
    let screen = t.wait_until("the user-assigned list", |s| {
        list_title(s).contains("User-assigned MIs 11 ")
    });
    assert!(screen.contains("id-payroll-batch"), "{}", framed(&screen));
    assert!(
        !screen.contains("aa-fabrikam-runbooks"),
        "a system-assigned identity is listed:\n{}",
        framed(&screen)
    );
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

#[test]
fn ctrl_c_while_typing_a_filter_quits_and_restores_the_terminal() {
    let t = Tmux::start("ctrlc", 120, 40, &["--demo"]);
    t.wait_loaded();
    t.keys(&["/"]);
    t.wait_for("keep filter");
    t.type_text("pay");
    t.wait_until("the filter typed", |s| list_title(s).contains("/pay "));
    t.keys(&["C-c"]);
    t.assert_exited_cleanly();
}

#[test]
fn a_tiny_terminal_gets_a_message_and_the_explorer_comes_back() {
    let t = Tmux::start("resize", 120, 40, &["--demo"]);
    t.wait_loaded();
    t.run(&["resize-window", "-t", "credwise", "-x", "30", "-y", "10"]);
    let screen = t.wait_for("Terminal too small");
    assert!(screen.contains("40x12"), "{}", framed(&screen));
    assert!(!screen.contains(TENANT), "{}", framed(&screen));
    t.run(&["resize-window", "-t", "credwise", "-x", "100", "-y", "30"]);
    let screen = t.wait_until("the explorer back", |s| {
        s.contains(TENANT) && !s.contains("Terminal too small")
    });
    assert_eq!(t.display("#{window_width}x#{window_height}"), "100x30");
    assert!(
        screen.contains("Secretless"),
        "the dashboard again:\n{}",
        framed(&screen)
    );
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

/// A snapshot that is not JSON is reported, with the place of the error, before the screen
/// is taken over: nothing at all goes to stdout.
#[test]
fn a_malformed_snapshot_is_an_error_before_the_screen_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    for (name, text, place) in [
        ("truncated.json", "{", "1:1"),
        ("bad-key.json", "{\n  oops\n}", "2:3"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let out = credwise_in(&config, &["--snapshot", path_str(&file)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "stdout: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        let at = format!("{}:{place}", file.display());
        assert!(stderr.contains(&at), "stderr does not name {at}: {stderr}");
        assert!(
            !stderr.contains('\x1b'),
            "escape sequences on stderr: {stderr:?}"
        );
    }
}

/// The same in a terminal: the error is on the normal screen once credwise has exited, and
/// the terminal was never left in raw mode.
#[test]
fn a_malformed_snapshot_leaves_the_error_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(&file, "{").unwrap();
    let t = Tmux::start("snapshot", 120, 40, &["--snapshot", path_str(&file)]);
    let screen = t.assert_exited(2);
    let error = format!("credwise: {}:1:1", file.display());
    assert!(
        screen.contains(&error),
        "no {error:?}:\n{}",
        framed(&screen)
    );
}

fn credwise_in(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_credwise"))
        .args(args)
        .env("CREDWISE_NOW", NOW)
        .env("CREDWISE_CONFIG_DIR", config)
        .env("TERM", "xterm-256color")
        .env_remove("AZURE_TENANT_ID")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_wizard_is_answered_end_to_end_offline_and_exports_its_record() {
    let t = Tmux::start("wizard", 120, 40, &["wizard"]);
    t.wait_for("Question 1 of at most 5");
    // No user → outside Azure → GitHub Actions: workload identity federation.
    t.keys(&["j"]);
    t.wait_for("“No, it runs on its own”");
    t.keys(&["Enter"]);
    t.wait_for("Question 2 of");
    t.keys(&["G"]);
    t.wait_for("“Outside Azure (on-premises, another cloud, CI)”");
    t.keys(&["Enter"]);
    t.wait_for("Question 3 of");
    t.wait_for("GitHub Actions");
    // Back, and forward again: the earlier answer is still highlighted.
    t.keys(&["BSpace"]);
    t.wait_for("Question 2 of");
    t.wait_for("Outside Azure (on-premises, another cloud, CI)  ✓");
    t.keys(&["Enter"]);
    t.wait_for("Question 3 of");
    t.keys(&["Enter"]);
    let summary = t.wait_for("Recommended: Workload identity federation");
    assert!(summary.contains("Why"), "{}", framed(&summary));
    assert!(
        summary.contains(".txt —"),
        "citations name seed files:\n{}",
        framed(&summary)
    );
    t.keys(&["e"]);
    t.wait_for("exported the decision record");
    let md = t
        .home
        .path()
        .join("credwise-decision-workload-identity-federation-2026-11-22.md");
    let json = md.with_extension("json");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("# Credential decision: Workload identity federation"),
        "{text}"
    );
    assert!(text.contains("## Why") && text.contains(".txt"), "{text}");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(record["outcome"], "workload-identity-federation");
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

/// payroll-api's secret → a GitHub federated credential on the demo, confirmed by name,
/// removing the secret without usage evidence; the outcome screen.
fn migrate_payroll_api_to_github(t: &Tmux) -> String {
    t.wait_loaded();
    t.keys(&["Enter"]);
    t.keys(&["/"]);
    t.type_text("^payroll-api$");
    t.keys(&["Enter"]);
    t.wait_for("All identities 2/119");
    t.keys(&["m"]);
    t.wait_for("★ recommended by the audit");
    t.keys(&["2"]);
    t.wait_for("Workload           (github)");
    fill_new_github_credential(t);
    // The new credential has no sign-ins yet: remove without the evidence, explicitly.
    t.keys(&["Down", "Down"]);
    t.wait_for("› No evidence");
    t.keys(&["Space"]);
    t.wait_for("› No evidence        [x]");
    t.keys(&["Enter"]);
    t.wait_for("Step 2/2  Remove client secret");
    t.keys(&["a"]);
    t.wait_for("Type the identity's name to confirm");
    t.wait_for("goes without usage evidence");
    t.type_text("payroll-api");
    t.keys(&["Enter"]);
    t.wait_for("Migration done: every step verified.")
}

#[test]
fn a_migration_runs_end_to_end_on_the_demo_and_journals_no_secret() {
    let t = Tmux::start("migrate", 120, 40, &["--demo"]);
    let done = migrate_payroll_api_to_github(&t);
    assert!(
        done.contains("✓ 2. Remove client secret"),
        "{}",
        framed(&done)
    );
    // Closing reloads the tenant: the secret is gone, the federated credential is there.
    t.keys(&["Escape"]);
    let list = t.wait_until("payroll-api without its secret", |s| {
        s.lines()
            .any(|l| l.contains("payroll-api ") && l.contains(" app  ·   ·    2"))
    });
    assert!(!list.contains("Migrate ·"), "{}", framed(&list));
    let journals = t.home.path().join(".local/share/credwise/journals");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&journals).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("secretText") && !text.contains("PRIVATE KEY"));
            found.push(path.extension().unwrap().to_string_lossy().into_owned());
        }
    }
    found.sort();
    assert_eq!(found, ["jsonl", "md"], "a journal and its record");
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

#[test]
fn u_on_the_outcome_rolls_the_migration_back_after_a_yes() {
    let t = Tmux::start("migrate-undo", 120, 40, &["--demo"]);
    migrate_payroll_api_to_github(&t);
    t.keys(&["u"]);
    t.wait_for("Roll this migration back?");
    t.keys(&["n"]);
    t.wait_for("u roll back");
    t.keys(&["u"]);
    t.wait_for("Roll this migration back?");
    t.keys(&["y"]);
    let undone = t.wait_for("Migration rolled back: every change of this migration was undone.");
    assert!(!undone.contains("u roll back"), "{}", framed(&undone));
    assert!(
        !undone.contains("What is left for you to do"),
        "{}",
        framed(&undone)
    );
    // Closing reloads the tenant: the secret is back, the federated credential gone.
    t.keys(&["Escape"]);
    t.wait_until("payroll-api with its secret again", |s| {
        s.lines()
            .any(|l| l.contains("payroll-api ") && l.contains(" app  1   ·    1"))
    });
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

/// The emulator serving the demo tenant, on a runtime of its own (these tests are not async);
/// dropping the runtime takes the tenant away.
fn emulator() -> (tokio::runtime::Runtime, emulator::Emulator) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let now =
        time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap();
    let emu = rt.block_on(emulator::Emulator::start(
        credwise::backend::demo::snapshot(now),
    ));
    (rt, emu)
}

fn live_args(emu: &emulator::Emulator) -> Vec<String> {
    vec![
        "--graph-url".into(),
        emu.graph_url(),
        "--arm-url".into(),
        emu.arm_url(),
        "--auth".into(),
        "none".into(),
    ]
}

/// Runs `credwise list` on the live source `args` with its cache in `dir`, which a live load
/// fills; returns the cache file.
fn fill_cache(args: &[String], dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_credwise"))
        .arg("list")
        .args(args)
        .env("CREDWISE_NOW", NOW)
        .env("CREDWISE_CACHE_DIR", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cache_file(dir)
}

/// The one cache file in `dir` (the tenant, not the sync state kept beside it).
fn cache_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.to_string_lossy().ends_with(".sync.json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn the_explorer_starts_from_the_cache_and_keeps_it_when_the_refresh_fails() {
    let (rt, emu) = emulator();
    let cache = tempfile::tempdir().unwrap();
    let args = live_args(&emu);
    // A CLI load against the live source fills the cache.
    let file = fill_cache(&args, cache.path());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    // The tenant goes away; the explorer still opens on what was cached, and says why the
    // refresh failed.
    drop(emu);
    drop(rt);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let cache_dir = cache.path().display().to_string();
    let t = Tmux::start_with(
        "cache",
        160,
        30,
        &arg_refs,
        &[("CREDWISE_CACHE_DIR", &cache_dir)],
    );
    let screen = t.wait_for("from cache, just now");
    assert!(screen.contains(TENANT), "{}", framed(&screen));
    let failed = t.wait_until("the refresh failing", |s| s.contains("refresh failed"));
    // The first request to fail names the list: one of the two delta links a load takes
    // first (they run at once), or a list itself.
    assert!(
        ["/v1.0/applications", "/v1.0/servicePrincipals"]
            .iter()
            .any(|list| failed.contains(&format!("refresh failed: network: Graph GET {list}"))),
        "{}",
        framed(&failed)
    );
    assert!(failed.contains("Dashboard"), "{}", framed(&failed));
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

#[test]
fn a_corrupt_cache_is_ignored_with_a_warning_and_the_live_tenant_loads() {
    let (_rt, emu) = emulator();
    let cache = tempfile::tempdir().unwrap();
    let args = live_args(&emu);
    let file = fill_cache(&args, cache.path());
    std::fs::write(
        &file,
        b"{\"format\":\"credwise-snapshot\",\"version\":1,\"snap",
    )
    .unwrap();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let cache_dir = cache.path().display().to_string();
    let t = Tmux::start_with(
        "corrupt",
        160,
        30,
        &arg_refs,
        &[("CREDWISE_CACHE_DIR", &cache_dir)],
    );
    let loaded = t.wait_until("the live tenant", |s| {
        s.contains(TENANT) && s.contains("loaded 119 identities; cache ignored")
    });
    assert!(!loaded.contains("from cache"), "{}", framed(&loaded));
    // The live load writes a good cache over the corrupt one, just after it shows the tenant.
    let start = Instant::now();
    while credwise::store::snapshot_file::load(&file).is_err() {
        assert!(
            start.elapsed() < TIMEOUT,
            "the corrupt cache was not replaced"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

/// `r` after a change in the tenant: the explorer refreshes from the cache's delta links (only
/// the delta rounds and the changed application's federated credentials reach Graph), shows the
/// new name and says what changed, in the status line and the title.
#[test]
fn r_refreshes_what_changed_in_the_tenant() {
    let (rt, emu) = emulator();
    let cache = tempfile::tempdir().unwrap();
    let args = live_args(&emu);
    let file = fill_cache(&args, cache.path());
    let sync = file.with_extension("sync.json");
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let cache_dir = cache.path().display().to_string();
    let started = std::time::SystemTime::now();
    let t = Tmux::start_with(
        "refresh",
        160,
        30,
        &arg_refs,
        &[("CREDWISE_CACHE_DIR", &cache_dir)],
    );
    t.wait_until("the live tenant", |s| s.contains("loaded 119 identities"));
    // The explorer remembers its load (and its delta links) just after it shows it.
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let start = Instant::now();
    while !matches!((modified(&file), modified(&sync)), (Some(f), Some(l)) if f > started && l >= f)
    {
        assert!(start.elapsed() < 6 * TIMEOUT, "the load was not remembered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let renamed = rt.block_on(async {
        let id = emu.snapshot().applications[0].id.clone();
        emu.mutate(|t| t.applications[0].display_name = "zz-renamed-in-the-portal".into());
        emu.clear_requests();
        id
    });
    t.keys(&["r"]);
    // The refresh, then the sweep after it in the background (every application's FICs and
    // the Azure part again), which says what it found: nothing beside the rename.
    let screen = t.wait_until("the refresh and its sweep", |s| s.contains("sweep: "));
    assert!(screen.contains("refreshed just now"), "{}", framed(&screen));
    assert!(
        screen.contains("sweep: federated credentials and Azure read again, nothing else changed"),
        "{}",
        framed(&screen)
    );
    let paths: Vec<String> = emu
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    // The refresh's requests come first, the sweep's after them.
    assert!(paths.len() > 3, "{paths:#?}");
    assert_eq!(
        paths[..3].iter().filter(|p| p.contains("/delta?")).count(),
        2,
        "two delta rounds and one FIC batch: {paths:#?}"
    );
    assert!(
        paths[..3].iter().any(|p| p.ends_with("/$batch")),
        "{paths:#?}"
    );
    assert!(
        emu.batch_items()
            .first()
            .is_some_and(|r| r.path_and_query.contains(&renamed)),
        "the changed app's FICs first"
    );
    t.keys(&["/"]);
    t.wait_for("keep filter");
    t.type_text("zz-renamed");
    t.keys(&["Enter"]);
    t.wait_until("the renamed app listed", |s| {
        s.contains("zz-renamed-in-the-portal") && !s.contains("keep filter")
    });
    t.keys(&["Escape", "q"]);
    t.assert_exited_cleanly();
}

/// Two credwise processes migrate different identities of one snapshot file: the first has
/// read the file and waits at its confirmation while the second migrates another identity to
/// the end; then the first applies. The file holds both changes (the first re-reads it under
/// the file's lock instead of writing back what it read before).
#[test]
fn two_processes_migrating_one_snapshot_file_both_land() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    let now =
        time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap();
    credwise::store::snapshot_file::save(&credwise::backend::demo::snapshot(now), &file).unwrap();
    let fic = |identity: &str, repo: &str| -> Vec<String> {
        [
            "migrate",
            "secret-to-fic",
            "--snapshot",
            path_str(&file),
            "--identity",
            identity,
            "--github-repo",
            repo,
            "--branch",
            "main",
            "--apply",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let first = fic("payroll-api", "fabrikam/payroll-api");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let t = Tmux::start("two-writers", 120, 40, &first);
    t.wait_for("[y/N]");

    let mut second = fic("invoice-worker", "fabrikam/invoice-worker");
    second.push("--yes".into());
    let out = Command::new(env!("CARGO_BIN_EXE_credwise"))
        .args(&second)
        .env("CREDWISE_NOW", NOW)
        .env("CREDWISE_DATA_DIR", dir.path().join("data"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    t.type_text("y");
    t.keys(&["Enter"]);
    let screen = t.wait_for(DONE);
    assert!(screen.contains("EXIT=0"), "{}", framed(&screen));
    let saved = credwise::store::snapshot_file::load(&file).unwrap();
    for (name, subject) in [
        (
            "payroll-api",
            "repo:fabrikam/payroll-api:ref:refs/heads/main",
        ),
        (
            "invoice-worker",
            "repo:fabrikam/invoice-worker:ref:refs/heads/main",
        ),
    ] {
        let app = saved
            .applications
            .iter()
            .find(|a| a.display_name == name)
            .unwrap();
        assert!(
            app.federated_identity_credentials
                .iter()
                .any(|f| f.subject.as_deref() == Some(subject)),
            "{name} lost its federated credential: {:?}",
            app.federated_identity_credentials
        );
    }
}

/// The pid of credwise in the pane: the child of the pane's shell.
fn credwise_pid(t: &Tmux) -> u32 {
    let shell = t.display("#{pane_pid}");
    let start = Instant::now();
    loop {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …; comm may hold spaces, so read after the last ')'.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let ppid = rest.split_whitespace().nth(1).unwrap_or("");
            if ppid == shell && head.contains("(credwise") {
                return entry.file_name().to_string_lossy().parse().unwrap();
            }
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "no credwise process under {shell}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(t: &Tmux, name: &str) {
    let pid = credwise_pid(t).to_string();
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} {pid}");
}

#[test]
fn an_external_sigint_restores_the_terminal() {
    let t = Tmux::start("sigint", 120, 40, &["--demo"]);
    t.wait_loaded();
    signal(&t, "INT");
    t.assert_exited_cleanly();
}

/// The demo tenant on the emulator, the explorer on it (live), the FIC migration of
/// payroll-api removing its secret filled in up to the typed confirmation; the migration's
/// first write (the federated credential) takes `stall` to be answered once Enter confirms.
fn live_migration_confirming(
    name: &str,
    stall: Duration,
) -> (tokio::runtime::Runtime, emulator::Emulator, Tmux) {
    let (rt, emu) = emulator();
    let args = live_args(&emu);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = Tmux::start_with(
        name,
        160,
        40,
        &args,
        &[("CREDWISE_CACHE_DIR", "/nonexistent")],
    );
    t.wait_loaded();
    t.keys(&["Enter"]);
    t.keys(&["/"]);
    t.type_text("^payroll-api$");
    t.keys(&["Enter"]);
    t.wait_for("All identities 2/119");
    t.keys(&["m"]);
    t.wait_for("★ recommended by the audit");
    t.keys(&["2"]);
    t.wait_for("Workload           (github)");
    fill_new_github_credential(&t);
    t.keys(&["Enter"]);
    t.wait_for("Step 2/2  Remove client secret");
    t.keys(&["a"]);
    t.wait_for("Type the identity's name to confirm");
    t.type_text("payroll-api");
    emu.inject(emulator::Fault::new(
        creating_the_fic(),
        emulator::FaultAction::Stall(stall),
    ));
    (rt, emu, t)
}

fn creating_the_fic() -> emulator::Matcher {
    emulator::Matcher::new("POST", "/federatedIdentityCredentials")
}

fn removing_a_secret() -> emulator::Matcher {
    emulator::Matcher::new("POST", "/removePassword")
}

/// Requests the emulator saw that `m` matches: (answered, still in flight).
fn seen(emu: &emulator::Emulator, m: &emulator::Matcher) -> (usize, usize) {
    let hits: Vec<u16> = emu
        .requests()
        .iter()
        .filter(|r| m.matches(&r.method, r.path_and_query.split('?').next().unwrap_or("")))
        .map(|r| r.status)
        .collect();
    let in_flight = hits.iter().filter(|&&s| s == 0).count();
    (hits.len() - in_flight, in_flight)
}

fn wait_seen(emu: &emulator::Emulator, m: &emulator::Matcher, want: (usize, usize)) {
    let start = Instant::now();
    while seen(emu, m) != want {
        assert!(
            start.elapsed() < TIMEOUT,
            "{m:?}: {:?}, not {want:?}",
            seen(emu, m)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The one journal in the pane's data directory.
fn tmux_journal(t: &Tmux) -> credwise::store::journal::JournalState {
    let store = credwise::store::journal::JournalStore::at(
        t.home.path().join(".local/share/credwise/journals"),
    );
    let (all, _) = store.list().unwrap();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

#[test]
fn ctrl_c_during_a_run_holds_the_next_step_until_answered() {
    let (_rt, emu, t) = live_migration_confirming("hold", Duration::from_secs(2));
    t.keys(&["Enter"]);
    wait_seen(&emu, &creating_the_fic(), (0, 1));
    t.keys(&["C-c"]);
    t.wait_for("Held before the next step. Stop here?");
    // Step 1 finishes and is verified; then nothing happens while the question is open.
    wait_seen(&emu, &creating_the_fic(), (1, 0));
    t.wait_for("✓ 1. Add federated credential");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(seen(&emu, &removing_a_secret()), (0, 0), "step 2 ran");
    let screen = t.wait_for("Held before the next step. Stop here?");
    assert!(!screen.contains("Migration done"), "{}", framed(&screen));
    // `n`: it goes on to step 2, the removal, which the retirement gate holds: the tenant's
    // sign-in reports and log do not show the new credential signing in yet.
    t.keys(&["n"]);
    let screen = t.wait_for("Waiting before step 2: removing the secret needs usage evidence.");
    assert!(
        screen.contains("waiting on usage evidence"),
        "{}",
        framed(&screen)
    );
    assert!(screen.contains("still signs in"), "{}", framed(&screen));
    assert_eq!(seen(&emu, &removing_a_secret()), (0, 0), "nothing removed");
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.path_and_query.contains("/auditLogs/signIns")),
        "the gate read the sign-in log"
    );
    use credwise::store::journal::StepState;
    let journal = tmux_journal(&t);
    assert_eq!(journal.steps[0].state, Some(StepState::Verified));
    assert_eq!(journal.steps[1].state, Some(StepState::Waiting));
    assert_eq!(journal.status(), "waiting on evidence");
    t.escape("the migration closed", |s| {
        !s.contains("Waiting before step 2")
    });
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

#[test]
fn answering_yes_stops_after_the_current_step() {
    let (_rt, emu, t) = live_migration_confirming("stop", Duration::from_secs(2));
    t.keys(&["Enter"]);
    wait_seen(&emu, &creating_the_fic(), (0, 1));
    t.keys(&["C-c"]);
    t.wait_for("Held before the next step. Stop here?");
    t.keys(&["y"]);
    let done = t.wait_for("Stopped before step 2");
    assert!(
        done.contains("✓ 1. Add federated credential"),
        "{}",
        framed(&done)
    );
    assert_eq!(seen(&emu, &removing_a_secret()), (0, 0), "step 2 ran");
    let journal = tmux_journal(&t);
    use credwise::store::journal::StepState;
    assert_eq!(journal.steps[0].state, Some(StepState::Verified));
    assert_eq!(journal.steps[1].state, None);
    t.escape("the migration closed", |s| {
        !s.contains("Stopped before step 2")
    });
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

#[test]
fn sigterm_during_a_run_finishes_the_step_restores_the_terminal_and_says_how_to_resume() {
    let (_rt, emu, t) = live_migration_confirming("sigterm", Duration::from_secs(2));
    t.keys(&["Enter"]);
    wait_seen(&emu, &creating_the_fic(), (0, 1));
    signal(&t, "TERM");
    let screen = t.assert_exited(3);
    let journal = tmux_journal(&t);
    assert!(
        screen.contains(&format!("credwise migrate resume {}", journal.id)),
        "{}",
        framed(&screen)
    );
    use credwise::store::journal::StepState;
    assert_eq!(journal.steps[0].state, Some(StepState::Verified));
    assert_eq!(journal.steps[1].state, None);
    assert!(journal.closed.is_none());
    assert_eq!(seen(&emu, &creating_the_fic()), (1, 0));
    assert_eq!(seen(&emu, &removing_a_secret()), (0, 0));
}

/// With no credential (no `az` on PATH), the explorer opens on the sign-in screen: each
/// source with its reason, what to do; `d` opens the demo tenant in place of the live one.
#[test]
fn without_a_credential_the_sign_in_screen_says_what_to_do_and_d_opens_the_demo() {
    // A PATH with only what the pane's script needs: `az` and `azd` are not found.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["sh", "stty", "sleep"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(path.trim(), bin.path().join(tool)).unwrap();
    }
    let t = Tmux::start_with(
        "sign-in",
        100,
        30,
        &["--auth", "cli", "--tenant", "contoso.onmicrosoft.com"],
        &[("PATH", path_str(bin.path()))],
    );
    let screen = t.wait_for("What to do");
    for want in [
        "Sign in",
        "not signed in",
        "Azure CLI",
        "failed: az not found on PATH",
        "`az login --tenant contoso.onmicrosoft.com`",
        "d opens the demo tenant",
        "Application.Read.All",
    ] {
        assert!(
            screen.contains(want),
            "{want:?} missing:\n{}",
            framed(&screen)
        );
    }
    t.keys(&["d"]);
    t.wait_loaded();
    t.keys(&["q"]);
    t.assert_exited_cleanly();
}

/// On payroll-api's secret → federated credential form, pre-filled from its production
/// credential: a new credential instead (another repository, branch main; Ctrl-U empties what
/// the tenant filled in), removing every secret.
fn fill_new_github_credential(t: &Tmux) {
    t.wait_for("(from the tenant)");
    t.keys(&["Down", "C-u"]);
    t.type_text("fabrikam/payroll-api");
    t.keys(&["Down"]);
    t.type_text("main");
    // environment
    t.keys(&["Down", "C-u"]);
    // tag, pull requests, owner id, repository id, name
    t.keys(&["Down", "Down", "Down", "Down", "Down", "C-u"]);
    // audience, description, remove secrets
    t.keys(&["Down", "Down", "Down"]);
    t.wait_for("› Remove secrets");
    t.type_text("all");
}

/// A mistake in `theme.toml` is named (file and role) before the screen is taken: exit 2.
#[test]
fn a_bad_theme_file_is_an_error_before_the_screen_is_taken() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("theme.toml"),
        "[colors]\nborder_focus = \"cyan\"\n",
    )
    .unwrap();
    let out = credwise_in(config.path(), &["--demo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("theme.toml") && err.contains("border_focus"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "the screen was taken");
}

/// GitHub's stand-in knowing the demo's repositories, on a runtime of its own.
fn github_stand_in() -> (
    tokio::runtime::Runtime,
    credwise_test_kit::github::GitHubStandIn,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let repos = credwise_test_kit::tenant::demo::github_repositories()
        .into_iter()
        .map(
            |(owner, owner_id, name, id)| credwise_test_kit::github::Repo {
                owner: owner.into(),
                owner_id,
                name: name.into(),
                id,
                private: false,
            },
        )
        .collect();
    let gh = rt.block_on(credwise_test_kit::github::GitHubStandIn::start(repos));
    (rt, gh)
}

#[test]
fn a_bulk_immutable_subject_migration_runs_on_the_demo_in_a_terminal() {
    let (_rt, gh) = github_stand_in();
    let url = gh.url();
    let t = Tmux::start(
        "immutable",
        220,
        60,
        &[
            "--demo",
            "migrate",
            "github-immutable-subject",
            "--github-org",
            "fabrikam",
            "--github-api-url",
            &url,
            "--without-usage-evidence",
            "--apply",
        ],
    );
    // On a terminal the run asks once for every identity; nothing changes before the answer.
    let asked = t.wait_for("identities? [y/N]");
    assert!(
        asked.contains("Apply ") && !asked.contains("Journal "),
        "{}",
        framed(&asked)
    );
    t.type_text("y");
    t.keys(&["Enter"]);
    let screen = t.assert_exited(0);
    let table: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with("IDENTITY"))
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("The demo tenant"))
        .collect();
    assert!(
        table.len() > 10,
        "the summary table, a row per credential:\n{}",
        framed(&screen)
    );
    for row in &table[1..] {
        assert!(row.contains("@5544123/"), "{row}");
        assert!(row.trim_end().ends_with("done"), "{row}");
    }
    assert!(
        table
            .iter()
            .any(|r| r.starts_with("id-github-platform-deploy")),
        "the user-assigned identity too:\n{}",
        framed(&screen)
    );
    assert!(
        screen.contains("The demo tenant keeps changes in memory only"),
        "{}",
        framed(&screen)
    );
    // One journal per identity, each with its record.
    let journals = t.home.path().join(".local/share/credwise/journals");
    let count = |ext: &str| {
        std::fs::read_dir(&journals)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == ext)
            })
            .count()
    };
    assert_eq!(count("jsonl"), table.len() - 1 - duplicates(&table));
    assert_eq!(count("jsonl"), count("md"));
}

/// Rows of the same identity beyond its first: the journals are one per identity.
fn duplicates(rows: &[&str]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    rows[1..]
        .iter()
        .filter(|r| !seen.insert(r.split_whitespace().next().unwrap_or_default()))
        .count()
}

/// `:resume` in the explorer goes on with the gate options the run was started with: a run
/// started with `--without-usage-evidence` and stopped before its first step is resumed to
/// the end (with the defaults its removal would wait for sign-ins the new credential never
/// had).
#[test]
fn resume_in_the_explorer_carries_the_runs_gate_options() {
    use credwise::backend::snapshot::SnapshotBackend;
    use credwise::domain::Directory;
    use credwise::domain::migration::PlanContext;
    use credwise::domain::migration::github_immutable::{ImmutableSubjectForm, KnownIds, RepoIds};
    use credwise::jobs::migrate::{self, Options, RunOutcome};
    use credwise::store::journal::{JournalStore, SourceRecord};

    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("tenant.json");
    let now =
        time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap();
    credwise::store::snapshot_file::save(&credwise::backend::demo::snapshot(now), &file).unwrap();
    let backend = SnapshotBackend::from_file(file.clone()).unwrap();
    let dir = Directory::new(credwise::backend::demo::snapshot(now));
    let mut ids = KnownIds::new();
    ids.insert(
        "fabrikam/payroll".into(),
        RepoIds {
            owner_id: "5544123".into(),
            repo_id: "731002101".into(),
        },
    );
    let plan = ImmutableSubjectForm {
        identity: "payroll-api".into(),
        remove_old: true,
        ..Default::default()
    }
    .build_plan(
        &PlanContext {
            dir: &dir,
            now,
            guidance: migrate::guidance(),
        },
        &ids,
    )
    .unwrap();
    let store = JournalStore::at(data.path().join("journals"));
    let source = SourceRecord::snapshot(&file, format!("snapshot {}", file.display()));
    let mut options = Options::for_source(std::sync::Arc::new(move || now), source.clone());
    options.gate.without_usage_evidence = true;
    // Stopped before its first step: the journal is open, nothing done.
    options.cancel.cancel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let summary = rt
        .block_on(migrate::run(&backend, &store, plan, source, &options))
        .unwrap();
    assert!(
        matches!(summary.outcome, RunOutcome::Cancelled { .. }),
        "{:?}",
        summary.outcome
    );
    let data_dir = data.path().display().to_string();
    let t = Tmux::start_with(
        "resume-gate",
        120,
        40,
        &["--snapshot", path_str(&file)],
        &[("CREDWISE_DATA_DIR", &data_dir)],
    );
    t.wait_for("unfinished migration github-immutable-subject of payroll-api");
    t.keys(&[":"]);
    t.type_text("resume");
    t.keys(&["Enter"]);
    let done = t.wait_until("the resumed run's end", |s| {
        s.contains("Migration done") || s.contains("aiting")
    });
    assert!(
        done.contains("Migration done: every step verified."),
        "{}",
        framed(&done)
    );
    let saved = credwise::store::snapshot_file::load(&file).unwrap();
    let payroll = saved
        .applications
        .iter()
        .find(|a| a.display_name == "payroll-api")
        .unwrap();
    let subjects: Vec<&str> = payroll
        .federated_identity_credentials
        .iter()
        .filter_map(|f| f.subject.as_deref())
        .collect();
    assert_eq!(
        subjects,
        ["repo:fabrikam@5544123/payroll@731002101:environment:production"]
    );
}
