//! The words of a form's validation messages, with the fields they name kept apart from the
//! text: the CLI writes a field as its flag (`--github-repo`), the explorer as the label beside
//! it on the form ("GitHub repository"), so neither reads the other's vocabulary. A message is
//! written once, in the domain, from a static template whose `{name}`s are form fields; text
//! that comes from the tenant or the user is appended as text and never read as a field.
//!
//! Pure; may import the rest of `domain::migration`.

use std::fmt;

use serde::{Serialize, Serializer};

use super::form;

/// A message that may name form fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(&'static str),
}

impl Words {
    /// The message `template`, each `{name}` in it a form field. The template is static, so
    /// nothing a tenant or a user typed can become a field reference.
    pub fn of(template: &'static str) -> Self {
        let mut words = Words::default();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open..].find('}') else {
                break;
            };
            words = words.and(&rest[..open]);
            words = words.field(&rest[open + 1..open + len]);
            rest = &rest[open + len + 1..];
        }
        words.and(rest)
    }

    /// The message with `text` after it, as it is.
    pub fn and(mut self, text: impl AsRef<str>) -> Self {
        let text = text.as_ref();
        if text.is_empty() {
            return self;
        }
        match self.0.last_mut() {
            Some(Part::Text(t)) => t.push_str(text),
            _ => self.0.push(Part::Text(text.to_string())),
        }
        self
    }

    /// The message with field `name` after it.
    pub fn field(mut self, name: &'static str) -> Self {
        self.0.push(Part::Field(name));
        self
    }

    /// The message with each field written by `name`.
    pub fn render(&self, name: impl Fn(&'static str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Field(f) => name(f),
            })
            .collect()
    }

    /// As the command line says it: each field as its flag.
    pub fn flags(&self) -> String {
        self.render(|f| format!("--{f}"))
    }

    /// As the explorer's form says it: each field as its label.
    pub fn labels(&self) -> String {
        self.render(|f| label(f).to_string())
    }

    /// The fields the message names, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().filter_map(|p| match p {
            Part::Field(f) => Some(*f),
            Part::Text(_) => None,
        })
    }
}

/// The label of form field `name` on screen: the catalogue's, or the name itself for the two
/// that are not form fields (`identity`, chosen before the form, and `preset`).
pub fn label(name: &'static str) -> &'static str {
    match name {
        "identity" => "Identity",
        "preset" => "Preset",
        _ => form::label_of(name).unwrap_or(name),
    }
}

impl From<String> for Words {
    fn from(text: String) -> Self {
        Words::default().and(text)
    }
}

impl From<&str> for Words {
    fn from(text: &str) -> Self {
        Words::default().and(text)
    }
}

/// The command line's words, for the CLI's output and logs.
impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.flags())
    }
}

impl Serialize for Words {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.flags())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_names_its_fields_as_flags_or_labels() {
        let w = Words::of("give {github-owner-id} and {github-repo-id} together");
        assert_eq!(
            w.flags(),
            "give --github-owner-id and --github-repo-id together"
        );
        assert_eq!(
            w.labels(),
            format!(
                "give {} and {} together",
                label("github-owner-id"),
                label("github-repo-id")
            )
        );
        assert_ne!(label("github-owner-id"), "github-owner-id");
        assert_eq!(
            w.fields().collect::<Vec<_>>(),
            ["github-owner-id", "github-repo-id"]
        );
    }

    #[test]
    fn text_appended_is_never_read_as_a_field() {
        let hostile = "{github-repo} {";
        let w = Words::of("{create} exists: ").and(hostile);
        assert_eq!(w.flags(), "--create exists: {github-repo} {");
        assert_eq!(w.fields().count(), 1);
        assert_eq!(Words::from(hostile).flags(), hostile);
    }

    #[test]
    fn an_unclosed_brace_in_a_template_is_text() {
        assert_eq!(Words::of("a {b").flags(), "a {b");
    }
}
