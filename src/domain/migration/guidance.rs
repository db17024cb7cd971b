//! What the user changes outside credwise after a migration: config snippets
//! (Microsoft.Identity.Web, azure_identity, GitHub workflows, Kubernetes manifests, az
//! commands) and follow-ups, as templates in `assets/migration-guidance.toml`. The text comes
//! in as a string (this layer reads no file); `parse` checks every placeholder and tag, so a
//! typo in the asset fails a test instead of reaching a user.
//!
//! A template is `{{name}}` placeholders in plain text; `when` lists the tags (`github`,
//! `generated`, `create`…) a plan must carry for the template to apply (any of them; empty:
//! always).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::MigrationKind;
use super::plan::Snippet;

/// The placeholders a template may use. Builders fill the ones their migration needs.
pub const VARIABLES: &[&str] = &[
    "tenant_id",
    "client_id",
    "object_id",
    "display_name",
    "login_host",
    "audience",
    "thumbprint",
    "cert_subject",
    "not_after",
    "key_file",
    "pfx_file",
    "cert_file",
    "fic_name",
    "issuer",
    "subject",
    "github_on",
    "github_environment",
    "namespace",
    "service_account",
    "mi_name",
    "mi_client_id",
    "mi_principal_id",
    "mi_resource_id",
    "migrate_command",
];

/// The tags a template's `when` may name.
pub const TAGS: &[&str] = &[
    "generated",
    "provided",
    "github",
    "kubernetes",
    "managed-identity",
    "oidc",
    "create",
    "existing",
    "user-assigned",
    "system-assigned",
    "remove-secrets",
    "keep-secrets",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnippetTemplate {
    migration: MigrationKind,
    #[serde(default)]
    when: Vec<String>,
    title: String,
    language: String,
    text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpTemplate {
    migration: MigrationKind,
    #[serde(default)]
    when: Vec<String>,
    text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    snippet: Vec<SnippetTemplate>,
    #[serde(default)]
    follow_up: Vec<FollowUpTemplate>,
}

/// The parsed guidance templates.
#[derive(Debug, Clone)]
pub struct GuidanceTemplates {
    snippets: Vec<SnippetTemplate>,
    follow_ups: Vec<FollowUpTemplate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("migration guidance: {0}")]
pub struct GuidanceError(pub String);

/// Values for the placeholders of one plan.
pub type Vars = BTreeMap<&'static str, String>;

impl GuidanceTemplates {
    /// No templates: plans without snippets or follow-ups.
    pub fn empty() -> Self {
        Self {
            snippets: vec![],
            follow_ups: vec![],
        }
    }

    pub fn parse(text: &str) -> Result<Self, GuidanceError> {
        let file: File = toml::from_str(text).map_err(|e| GuidanceError(e.to_string()))?;
        let check = |where_: &str, when: &[String], texts: &[&str]| {
            for tag in when {
                if !TAGS.contains(&tag.as_str()) {
                    return Err(GuidanceError(format!(
                        "{where_}: unknown tag {tag:?} (known: {})",
                        TAGS.join(", ")
                    )));
                }
            }
            for text in texts {
                for name in placeholders(text) {
                    if !VARIABLES.contains(&name) {
                        return Err(GuidanceError(format!(
                            "{where_}: unknown placeholder {{{{{name}}}}}"
                        )));
                    }
                }
            }
            Ok(())
        };
        for s in &file.snippet {
            check(
                &format!("snippet {:?}", s.title),
                &s.when,
                &[&s.text, &s.title],
            )?;
        }
        for f in &file.follow_up {
            check(&format!("follow-up {:?}", f.text), &f.when, &[&f.text])?;
        }
        Ok(Self {
            snippets: file.snippet,
            follow_ups: file.follow_up,
        })
    }

    /// The snippets and follow-ups of `kind` that apply to a plan with `tags`, filled in.
    pub fn render(
        &self,
        kind: MigrationKind,
        tags: &[&str],
        vars: &Vars,
    ) -> (Vec<Snippet>, Vec<String>) {
        let applies = |m: MigrationKind, when: &[String]| {
            m == kind && (when.is_empty() || when.iter().any(|w| tags.contains(&w.as_str())))
        };
        let snippets = self
            .snippets
            .iter()
            .filter(|s| applies(s.migration, &s.when))
            .map(|s| Snippet {
                title: fill(&s.title, vars),
                language: s.language.clone(),
                text: fill(s.text.trim_end(), vars),
            })
            .collect();
        let follow_ups = self
            .follow_ups
            .iter()
            .filter(|f| applies(f.migration, &f.when))
            .map(|f| fill(f.text.trim(), vars))
            .collect();
        (snippets, follow_ups)
    }
}

/// The placeholder names in `text`.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

/// Replaces every `{{name}}`; a missing value shows as `<name>` so the gap is visible.
fn fill(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match vars.get(name) {
            Some(v) => out.push_str(v),
            None => {
                out.push('<');
                out.push_str(name);
                out.push('>');
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_marks_missing_values() {
        let mut v = Vars::new();
        v.insert("client_id", "abc".into());
        assert_eq!(
            fill("id={{client_id}}, t={{ tenant_id }}", &v),
            "id=abc, t=<tenant_id>"
        );
        assert_eq!(fill("{ \"a\": {} }", &v), "{ \"a\": {} }");
    }

    #[test]
    fn rejects_unknown_placeholders_and_tags() {
        let bad = r#"
[[snippet]]
migration = "secret-to-fic"
title = "x"
language = "yaml"
text = "{{clientid}}"
"#;
        assert!(
            GuidanceTemplates::parse(bad)
                .unwrap_err()
                .0
                .contains("clientid")
        );
        let bad_tag = r#"
[[follow_up]]
migration = "secret-to-fic"
when = ["gihtub"]
text = "x"
"#;
        assert!(
            GuidanceTemplates::parse(bad_tag)
                .unwrap_err()
                .0
                .contains("gihtub")
        );
    }

    #[test]
    fn selects_by_migration_and_tag() {
        let t = GuidanceTemplates::parse(
            r#"
[[snippet]]
migration = "secret-to-fic"
when = ["github"]
title = "workflow"
language = "yaml"
text = "a"

[[snippet]]
migration = "secret-to-fic"
when = ["kubernetes"]
title = "manifest"
language = "yaml"
text = "b"

[[follow_up]]
migration = "secret-to-certificate"
text = "c"
"#,
        )
        .unwrap();
        let (s, f) = t.render(MigrationKind::SecretToFic, &["github"], &Vars::new());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].title, "workflow");
        assert!(f.is_empty());
    }
}
