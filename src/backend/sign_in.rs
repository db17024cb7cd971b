//! Why no credential gave a token, as data: each source tried with what happened to it, and
//! what to do next. The live backend's credential chain fills it in; the CLI prints it as a
//! short list and the explorer shows it as its sign-in screen (`r` retries, `d` opens the
//! demo, `:open FILE` a snapshot), so the two say the same thing.
//!
//! Reasons come from the credential libraries and the tools they call (`az`, `azd`): they are
//! untrusted text, shown through `sanitize` by whoever renders them, and cut here on a word
//! boundary so a long message never ends in the middle of a URL.

use std::fmt;

/// The rights reading a tenant needs, least privilege first (what to ask an admin for).
pub const READ_RIGHTS: &[(&str, &str)] = &[
    (
        "Microsoft Graph",
        "Application.Read.All (delegated or application)",
    ),
    ("Azure RBAC", "Reader on the subscriptions to explore"),
];

/// What happened to one source of tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// `Azure CLI`, `managed identity`…
    pub source: String,
    /// Not applicable here (nothing was asked), as opposed to asked and refused.
    pub skipped: bool,
    pub reason: String,
}

/// No source of tokens worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFailure {
    /// The resource a token was asked for (`https://graph.microsoft.com`).
    pub resource: String,
    pub tried: Vec<Attempt>,
    /// What to do, best first (`az login --tenant …`, the demo).
    pub steps: Vec<String>,
}

/// The longest reason kept, in characters (`az` can print pages).
const REASON_MAX: usize = 240;

impl Attempt {
    pub fn new(source: impl Into<String>, skipped: bool, reason: &str) -> Self {
        Self {
            source: source.into(),
            skipped,
            reason: short_reason(reason),
        }
    }

    /// `skipped` or `failed`.
    pub fn outcome(&self) -> &'static str {
        if self.skipped { "skipped" } else { "failed" }
    }
}

impl SignInFailure {
    /// A tenant the sign-in service does not know is the first thing to fix: it goes first in
    /// the steps. The service answers `invalid_tenant` with "AADSTS90002: Tenant '…' not found.
    /// Check to make sure you have the correct tenant ID and are signing into the correct
    /// cloud." (as `az login --tenant` prints it in Azure/azure-cli#23130, #22145, #23021).
    pub fn explain_tenant_not_found(&mut self) {
        if self.tried.iter().any(|a| a.reason.contains("AADSTS90002")) {
            self.steps.insert(
                0,
                "the tenant was not found (AADSTS90002): check --tenant or AZURE_TENANT_ID for a typo (a tenant id, or a domain such as contoso.onmicrosoft.com), and --cloud for a sovereign cloud's tenant".to_string(),
            );
        }
    }

    /// One line: what failed and the first thing to do.
    pub fn headline(&self) -> String {
        let first = self.steps.first().map(String::as_str).unwrap_or_default();
        format!("not signed in (no credential gave a token); {first}")
    }

    /// The failure as the CLI prints it: one line per source, then the steps and the rights,
    /// never cut.
    pub fn lines(&self) -> Vec<String> {
        let width = self
            .tried
            .iter()
            .map(|a| a.source.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = vec![format!(
            "no credential gave a token for {}. Tried:",
            self.resource
        )];
        for a in &self.tried {
            out.push(format!(
                "  {:width$}  {}: {}",
                a.source,
                a.outcome(),
                a.reason
            ));
        }
        out.push("Next:".to_string());
        for s in &self.steps {
            out.push(format!("  - {s}"));
        }
        out.push("Reading a tenant needs:".to_string());
        for (service, right) in READ_RIGHTS {
            out.push(format!("  - {service}: {right}"));
        }
        out
    }
}

impl fmt::Display for SignInFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

impl std::error::Error for SignInFailure {}

/// A reason on one line, without the credential library's boilerplate (`AzureCliCredential
/// authentication failed.`), cut on a word boundary (a URL stays whole or goes).
fn short_reason(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let skip = match words.as_slice() {
        [name, "authentication", "failed.", rest @ ..]
            if name.ends_with("Credential") && !rest.is_empty() =>
        {
            3
        }
        _ => 0,
    };
    let text = words[skip..]
        .join(" ")
        .replace(" To troubleshoot, visit ", "; see ");
    cut_between_words(&text, REASON_MAX)
}

/// `s` in at most `room` characters, cut after a whole word with `…` (a URL stays whole or
/// goes); a single word too long for the room is cut where it must be. The CLI's list and the
/// sign-in screen's one line per source both cut with it.
pub fn cut_between_words(s: &str, room: usize) -> String {
    if s.chars().count() <= room {
        return s.to_string();
    }
    let mut out = String::new();
    for word in s.split(' ') {
        let next = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if next + 1 > room {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = s.chars().take(room.saturating_sub(1)).collect();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reason_is_cut_between_words_never_inside_a_url() {
        let url = "https://aka.ms/azsdk/rust/identity/troubleshoot#azure-cli";
        let long = format!("{} see {url}", "word ".repeat(45));
        let a = Attempt::new("Azure CLI", false, &long);
        assert!(a.reason.chars().count() <= REASON_MAX, "{}", a.reason);
        assert!(a.reason.ends_with('…'));
        assert_eq!(cut_between_words("abcdefghij", 5), "abcd…");
        assert_eq!(cut_between_words("ab cd ef", 6), "ab cd…");
        assert_eq!(cut_between_words("ab cd", 5), "ab cd");
        assert!(!a.reason.contains("https://aka.ms/azsdk/rust/identit") || a.reason.contains(url));
        let short = Attempt::new(
            "Azure CLI",
            false,
            &format!("Please run 'az login'.\n{url}"),
        );
        assert_eq!(short.reason, format!("Please run 'az login'. {url}"));
    }

    #[test]
    fn a_tenant_the_service_does_not_know_is_the_first_thing_to_fix() {
        let mut f = SignInFailure {
            resource: "https://graph.microsoft.com".into(),
            tried: vec![Attempt::new(
                "Azure CLI",
                false,
                "ERROR: AADSTS90002: Tenant 'contoso.onmicrosft.com' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
            )],
            steps: vec!["run `az login`".into()],
        };
        f.explain_tenant_not_found();
        assert!(f.steps[0].contains("AADSTS90002") && f.steps[0].contains("--tenant"));
        assert_eq!(f.steps.len(), 2);
        let mut g = SignInFailure {
            tried: vec![Attempt::new("Azure CLI", false, "Please run 'az login'")],
            ..f.clone()
        };
        g.steps = vec!["run `az login`".into()];
        g.explain_tenant_not_found();
        assert_eq!(g.steps.len(), 1);
    }

    #[test]
    fn lines_list_every_source_the_steps_and_the_rights() {
        let f = SignInFailure {
            resource: "https://graph.microsoft.com".into(),
            tried: vec![
                Attempt::new("managed identity", true, "not on Azure compute"),
                Attempt::new("Azure CLI", false, "Please run 'az login'"),
            ],
            steps: vec!["run `az login`, then r".into(), "`credwise --demo`".into()],
        };
        let text = f.to_string();
        for want in [
            "no credential gave a token for https://graph.microsoft.com",
            "  managed identity  skipped: not on Azure compute",
            "  Azure CLI         failed: Please run 'az login'",
            "  - run `az login`, then r",
            "  - Microsoft Graph: Application.Read.All",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
    }
}
