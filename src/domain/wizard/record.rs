//! The decision record: the answers (and which were pre-filled from the tenant), the outcome,
//! its reasons with their seed citations, the alternative, what to avoid, next steps, the date
//! and the credwise version. It exports as JSON and as Markdown that reads on its own in a
//! pull request.

use serde::Serialize;

use super::engine::{Answers, Decision};
use super::table::{DecisionTable, Reason};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAnswer {
    pub fact: String,
    pub value: String,
    pub question: String,
    pub answer: String,
    pub prefilled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAlternative {
    pub id: String,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub outcome: String,
    pub title: String,
    pub summary: String,
    pub reasons: Vec<Reason>,
    pub answers: Vec<RecordAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<RecordAlternative>,
    pub avoid: Vec<String>,
    pub next_steps: Vec<String>,
    pub migration: String,
    /// What the record is about, when it was made for an identity of a tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub credwise_version: String,
}

impl Record {
    pub fn new(
        table: &DecisionTable,
        decision: &Decision<'_>,
        answers: &Answers,
        date: &str,
        version: &str,
    ) -> Self {
        let o = decision.outcome;
        let answers = decision
            .asked
            .iter()
            .filter_map(|fact| {
                let q = table.question(fact)?;
                let value = answers.get(fact)?;
                let label = q
                    .answers
                    .iter()
                    .find(|a| a.value == value)
                    .map(|a| a.label.clone())
                    .unwrap_or_else(|| value.to_string());
                Some(RecordAnswer {
                    fact: fact.to_string(),
                    value: value.to_string(),
                    question: q.text.clone(),
                    answer: label,
                    prefilled: answers.is_prefilled(fact),
                })
            })
            .collect();
        Record {
            outcome: o.id.clone(),
            title: o.title.clone(),
            summary: o.summary.clone(),
            reasons: o.reasons.clone(),
            answers,
            alternative: table.outcome(&o.alternative).map(|a| RecordAlternative {
                id: a.id.clone(),
                title: a.title.clone(),
                summary: a.summary.clone(),
            }),
            avoid: o.avoid.clone(),
            next_steps: o.next_steps.clone(),
            migration: o.migration.as_str().to_string(),
            subject: None,
            date: date.to_string(),
            credwise_version: version.to_string(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Markdown for a pull request or a wiki page.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        md.push_str(&format!("# Credential decision: {}\n\n", self.title));
        if let Some(s) = &self.subject {
            md.push_str(&format!("For **{}**. ", md_escape(s)));
        }
        md.push_str(&format!(
            "Recorded {} with credwise {} (`{}`).\n\n",
            self.date, self.credwise_version, self.outcome
        ));
        md.push_str(&format!("{}\n\n", self.summary));
        md.push_str("## Answers\n\n| question | answer |\n| --- | --- |\n");
        for a in &self.answers {
            let mark = if a.prefilled {
                " *(from the tenant)*"
            } else {
                ""
            };
            md.push_str(&format!(
                "| {} | {} (`{}={}`){mark} |\n",
                md_cell(&a.question),
                md_cell(&a.answer),
                a.fact,
                a.value
            ));
        }
        md.push_str("\n## Why\n\n");
        let mut sources: Vec<&str> = Vec::new();
        for r in &self.reasons {
            md.push_str(&format!("- {} ({}, \"{}\")\n", r.text, r.seed, r.section));
            if !sources.contains(&r.seed.as_str()) {
                sources.push(&r.seed);
            }
        }
        if let Some(alt) = &self.alternative {
            md.push_str(&format!(
                "\n## Next-best alternative\n\n**{}** (`{}`): {}\n",
                alt.title, alt.id, alt.summary
            ));
        }
        if !self.avoid.is_empty() {
            md.push_str("\n## Avoid\n\n");
            for a in &self.avoid {
                md.push_str(&format!("- {a}\n"));
            }
        }
        if !self.next_steps.is_empty() {
            md.push_str("\n## Next steps\n\n");
            for (i, s) in self.next_steps.iter().enumerate() {
                md.push_str(&format!("{}. {s}\n", i + 1));
            }
        }
        if self.migration != "none" {
            md.push_str(&format!(
                "\nMigration: `credwise migrate {} --identity <ID>`.\n",
                self.migration
            ));
        }
        md.push_str(&format!("\nSources: {}.\n", sources.join(", ")));
        md
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `s` as inline Markdown text: markup characters escaped, line breaks folded into spaces (a
/// tenant's display name must not start a heading of its own).
fn md_escape(s: &str) -> String {
    s.chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .flat_map(|c| {
            let escape = matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '|' | '\\');
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}
