//! The `:` commands as one typed table: each command's name, aliases, argument and
//! description, which the command line parses with, completes from and the `?` overlay lists.
//! Pure; `update` carries a parsed command out.

use crate::domain::IdentityKind;
use crate::domain::migration::MigrationKind;

/// A `:` command, with its argument where it takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineCommand<'a> {
    /// `None`: every kind.
    Kind(Option<IdentityKind>),
    Sort(&'a str),
    Filter(&'a str),
    Secrets,
    Certificates,
    Federated,
    Expired,
    Expiring,
    All,
    Dashboard,
    Findings,
    /// `:reload` refreshes incrementally (as `r`); `:reload full` loads the whole tenant.
    Reload {
        full: bool,
    },
    Resume,
    Rollback,
    Dismiss,
    /// `None`: choose on the pick screen.
    Migrate(Option<MigrationKind>),
    /// `:open FILE`: a snapshot file.
    Open(&'a str),
    Demo,
    Help,
    Quit,
}

/// One row of the table.
#[derive(Debug)]
pub struct LineCommandSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The argument as the help writes it (`KIND|all`), empty when there is none.
    pub args: &'static str,
    pub desc: &'static str,
    takes: Takes,
}

/// What a command does with the text after its name.
#[derive(Debug)]
enum Takes {
    /// Nothing (what follows is ignored, as `:all please` always was).
    Nothing(LineCommand<'static>),
    Argument(fn(&str) -> Result<LineCommand<'_>, String>),
}

impl LineCommandSpec {
    /// `kind KIND|all`, as completion and the help show it.
    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            self.name.to_string()
        } else {
            format!("{} {}", self.name, self.args)
        }
    }
}

fn kind(arg: &str) -> Result<LineCommand<'_>, String> {
    if arg.is_empty() || arg == "all" {
        return Ok(LineCommand::Kind(None));
    }
    IdentityKind::parse(arg)
        .map(|k| LineCommand::Kind(Some(k)))
        .ok_or_else(|| {
            format!(
                "unknown kind {arg:?}: use application, service-principal, \
                 user-assigned-managed-identity, system-assigned-managed-identity or all"
            )
        })
}

fn migrate(arg: &str) -> Result<LineCommand<'_>, String> {
    if arg.is_empty() {
        return Ok(LineCommand::Migrate(None));
    }
    MigrationKind::parse(arg)
        .map(|k| LineCommand::Migrate(Some(k)))
        .ok_or_else(|| {
            format!(
                "unknown migration {arg:?}: use secret-to-certificate, secret-to-fic or \
                 secret-to-managed-identity"
            )
        })
}

/// Every `:` command, in the order the help lists them.
pub const LINE_COMMANDS: &[LineCommandSpec] = &[
    LineCommandSpec {
        name: "kind",
        aliases: &["k"],
        args: "KIND|all",
        desc: "list one kind (application, sp, uami, sami)",
        takes: Takes::Argument(kind),
    },
    LineCommandSpec {
        name: "sort",
        aliases: &["s"],
        args: "name|kind|expiry|last-used|match",
        desc: "order the list",
        takes: Takes::Argument(|a| Ok(LineCommand::Sort(a))),
    },
    LineCommandSpec {
        name: "filter",
        aliases: &["f"],
        args: "TEXT",
        desc: "set the / filter",
        takes: Takes::Argument(|a| Ok(LineCommand::Filter(a))),
    },
    LineCommandSpec {
        name: "secrets",
        aliases: &[],
        args: "",
        desc: "identities with client secrets",
        takes: Takes::Nothing(LineCommand::Secrets),
    },
    LineCommandSpec {
        name: "certificates",
        aliases: &["certs"],
        args: "",
        desc: "identities with certificates",
        takes: Takes::Nothing(LineCommand::Certificates),
    },
    LineCommandSpec {
        name: "federated",
        aliases: &["fic", "fics"],
        args: "",
        desc: "identities with federated credentials",
        takes: Takes::Nothing(LineCommand::Federated),
    },
    LineCommandSpec {
        name: "expired",
        aliases: &[],
        args: "",
        desc: "identities with an expired credential",
        takes: Takes::Nothing(LineCommand::Expired),
    },
    LineCommandSpec {
        name: "expiring",
        aliases: &[],
        args: "",
        desc: "identities with a credential expiring soon",
        takes: Takes::Nothing(LineCommand::Expiring),
    },
    LineCommandSpec {
        name: "all",
        aliases: &[],
        args: "",
        desc: "every identity",
        takes: Takes::Nothing(LineCommand::All),
    },
    LineCommandSpec {
        name: "dashboard",
        aliases: &["dash"],
        args: "",
        desc: "the tenant at a glance",
        takes: Takes::Nothing(LineCommand::Dashboard),
    },
    LineCommandSpec {
        name: "findings",
        aliases: &["audit"],
        args: "",
        desc: "every audit finding, worst first",
        takes: Takes::Nothing(LineCommand::Findings),
    },
    LineCommandSpec {
        name: "reload",
        aliases: &["r"],
        args: "[full]",
        desc: "refresh what changed since the last load (as r); full: load the whole tenant again",
        takes: Takes::Argument(reload),
    },
    LineCommandSpec {
        name: "resume",
        aliases: &[],
        args: "",
        desc: "continue the unfinished migration found at start",
        takes: Takes::Nothing(LineCommand::Resume),
    },
    LineCommandSpec {
        name: "rollback",
        aliases: &[],
        args: "",
        desc: "undo the unfinished migration found at start",
        takes: Takes::Nothing(LineCommand::Rollback),
    },
    LineCommandSpec {
        name: "dismiss",
        aliases: &[],
        args: "",
        desc: "hide the notice about an unfinished migration (:resume and :rollback still work)",
        takes: Takes::Nothing(LineCommand::Dismiss),
    },
    LineCommandSpec {
        name: "migrate",
        aliases: &["m"],
        args: "[secret-to-certificate|secret-to-fic|secret-to-managed-identity]",
        desc: "migrate the selected identity",
        takes: Takes::Argument(migrate),
    },
    LineCommandSpec {
        name: "open",
        aliases: &["o", "e"],
        args: "[FILE|N]",
        desc: "open a snapshot file (credwise snapshot save, import-az) in place of this tenant; \
               with no file, list the ones used lately, N opening the Nth (Tab completes them)",
        takes: Takes::Argument(open),
    },
    LineCommandSpec {
        name: "demo",
        aliases: &[],
        args: "",
        desc: "open the demo tenant in place of this one",
        takes: Takes::Nothing(LineCommand::Demo),
    },
    LineCommandSpec {
        name: "help",
        aliases: &["h"],
        args: "",
        desc: "the key and command overview",
        takes: Takes::Nothing(LineCommand::Help),
    },
    LineCommandSpec {
        name: "quit",
        aliases: &["q", "q!"],
        args: "",
        desc: "leave credwise (also q)",
        takes: Takes::Nothing(LineCommand::Quit),
    },
];

fn reload(arg: &str) -> Result<LineCommand<'_>, String> {
    match arg {
        "" => Ok(LineCommand::Reload { full: false }),
        "full" => Ok(LineCommand::Reload { full: true }),
        _ => Err(format!(
            "unknown reload {arg:?}: :reload refreshes what changed, :reload full loads everything"
        )),
    }
}

/// `:open FILE`, `:open N` (the Nth recent snapshot) and `:open` alone (the recent list) are
/// told apart by `update`, which holds the list.
fn open(arg: &str) -> Result<LineCommand<'_>, String> {
    Ok(LineCommand::Open(arg))
}

/// Parses a command line (without its `:`). `Ok(None)` for an empty line; an unknown name or
/// a bad argument is a message for the status line. `:app`, `:sp`, `:uami` and `:sami` list a
/// kind, as k9s' resource aliases do.
pub fn parse(line: &str) -> Result<Option<LineCommand<'_>>, String> {
    let line = line.trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    if name.is_empty() {
        return Ok(None);
    }
    if let Some(spec) = LINE_COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
    {
        return match spec.takes {
            Takes::Nothing(c) => Ok(Some(c)),
            Takes::Argument(parse) => parse(arg).map(Some),
        };
    }
    IdentityKind::parse(name)
        .map(|k| Some(LineCommand::Kind(Some(k))))
        .ok_or_else(|| format!("unknown command :{name} (Tab completes, :help lists)"))
}

/// The commands whose name starts with `typed`, for Tab.
pub fn completions(typed: &str) -> Vec<&'static str> {
    LINE_COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|name| name.starts_with(typed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_alias_parses_to_its_command() {
        for spec in LINE_COMMANDS {
            // A file to open is given one.
            let arg = if spec.args.starts_with("FILE") {
                " x"
            } else {
                ""
            };
            let line = format!("{}{arg}", spec.name);
            let by_name = parse(&line).unwrap_or_else(|e| panic!(":{line}: {e}"));
            assert!(by_name.is_some(), "{}", spec.name);
            for alias in spec.aliases {
                let line = format!("{alias}{arg}");
                assert_eq!(parse(&line), Ok(by_name), ":{alias} is :{}", spec.name);
            }
            assert!(!spec.desc.is_empty());
        }
        let mut names: Vec<&str> = LINE_COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a name or alias twice");
    }

    #[test]
    fn arguments_and_errors() {
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(
            parse("kind uami"),
            Ok(Some(LineCommand::Kind(Some(
                IdentityKind::UserAssignedManagedIdentity
            ))))
        );
        assert_eq!(parse("k all"), Ok(Some(LineCommand::Kind(None))));
        assert_eq!(parse("sp"), parse("kind sp"));
        assert_eq!(
            parse("filter  pay roll "),
            Ok(Some(LineCommand::Filter("pay roll")))
        );
        assert!(parse("kind robots").unwrap_err().contains("unknown kind"));
        assert!(
            parse("migrate sideways")
                .unwrap_err()
                .contains("unknown migration")
        );
        assert!(parse("fly").unwrap_err().contains("unknown command :fly"));
        assert_eq!(completions("ex"), ["expired", "expiring"]);
        assert_eq!(
            parse("reload"),
            Ok(Some(LineCommand::Reload { full: false }))
        );
        assert_eq!(
            parse("r full"),
            Ok(Some(LineCommand::Reload { full: true }))
        );
        assert!(parse("reload half").unwrap_err().contains("unknown reload"));
    }
}
