//! The decision table (`assets/decision-table.toml`) as data: questions (one per fact, in the
//! order they are asked, each with answers and help citing a seed), rules (conditions on facts
//! → one outcome) and outcomes (title, summary, reasons citing seeds, alternative, what to
//! avoid, next steps, the migration it leads to).
//!
//! `DecisionTable::parse` (in `check`, which walks the table with the engine) validates before
//! it returns: unique ids, known facts and values, every outcome citing a seed (here), and —
//! by walking every combination of fact values — exactly one rule for each, every rule
//! reachable, every outcome used, and no question asked on a path whose rule does not need it.
//! A bad table is rejected with a message naming the problem. This module imports no other
//! part of the wizard.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The table format this build reads.
pub const TABLE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionTable {
    pub version: u32,
    pub questions: Vec<Question>,
    pub rules: Vec<Rule>,
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// The seed file name, e.g. `004_fe3a017d48f9b0bd.txt`.
    pub seed: String,
    /// A heading or phrase of that seed, verbatim.
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The fact this question settles (`user_present`, `hosting`…).
    pub fact: String,
    pub text: String,
    pub help: String,
    pub cites: Vec<Citation>,
    pub answers: Vec<AnswerOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: String,
    pub label: String,
    pub explanation: String,
}

/// One fact value or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Values {
    One(String),
    Many(Vec<String>),
}

impl Values {
    pub fn contains(&self, v: &str) -> bool {
        match self {
            Values::One(x) => x == v,
            Values::Many(xs) => xs.iter().any(|x| x == v),
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            Values::One(x) => Box::new(std::iter::once(x.as_str())),
            Values::Many(xs) => Box::new(xs.iter().map(String::as_str)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// fact → the values it must have; every listed fact must match.
    pub when: BTreeMap<String, Values>,
    pub outcome: String,
}

impl Rule {
    pub fn matches(&self, facts: &BTreeMap<String, String>) -> bool {
        self.when
            .iter()
            .all(|(f, vs)| facts.get(f).is_some_and(|v| vs.contains(v)))
    }
}

/// The migration an outcome leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Migration {
    SecretToManagedIdentity,
    SecretToFic,
    SecretToCertificate,
    None,
}

impl Migration {
    pub fn as_str(self) -> &'static str {
        match self {
            Migration::SecretToManagedIdentity => "secret-to-managed-identity",
            Migration::SecretToFic => "secret-to-fic",
            Migration::SecretToCertificate => "secret-to-certificate",
            Migration::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub text: String,
    pub seed: String,
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub migration: Migration,
    /// The next-best outcome's id, or empty.
    #[serde(default)]
    pub alternative: String,
    #[serde(default)]
    pub avoid: Vec<String>,
    #[serde(default)]
    pub next_steps: Vec<String>,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("decision table: {0}")]
pub struct TableError(pub String);

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, TableError> {
    Err(TableError(msg.into()))
}

/// Seed files are named like `004_fe3a017d48f9b0bd.txt`.
fn is_seed_name(s: &str) -> bool {
    let Some(stem) = s.strip_suffix(".txt") else {
        return false;
    };
    let Some((n, hash)) = stem.split_once('_') else {
        return false;
    };
    n.len() == 3
        && n.bytes().all(|b| b.is_ascii_digit())
        && !hash.is_empty()
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

impl DecisionTable {
    pub fn question(&self, fact: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.fact == fact)
    }

    pub fn outcome(&self, id: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.id == id)
    }

    /// The values a fact can take, in the table's order.
    pub fn values(&self, fact: &str) -> Vec<&str> {
        self.question(fact)
            .map(|q| q.answers.iter().map(|a| a.value.as_str()).collect())
            .unwrap_or_default()
    }

    /// Every full combination of fact values, in question order.
    pub fn combinations(&self) -> Vec<BTreeMap<String, String>> {
        let mut all = vec![BTreeMap::new()];
        for q in &self.questions {
            let mut next = Vec::with_capacity(all.len() * q.answers.len());
            for partial in &all {
                for a in &q.answers {
                    let mut c = partial.clone();
                    c.insert(q.fact.clone(), a.value.clone());
                    next.push(c);
                }
            }
            all = next;
        }
        all
    }

    /// Everything about the table but its coverage (`check` walks every combination with the
    /// engine): version, unique ids, known facts and values, seeds cited.
    pub(super) fn validate_structure(&self) -> Result<(), TableError> {
        if self.version != TABLE_VERSION {
            return err(format!(
                "version {} is not supported (expected {TABLE_VERSION})",
                self.version
            ));
        }
        if self.questions.is_empty() || self.rules.is_empty() || self.outcomes.is_empty() {
            return err("needs questions, rules and outcomes");
        }
        let mut facts = BTreeSet::new();
        for q in &self.questions {
            if !facts.insert(q.fact.as_str()) {
                return err(format!("fact {:?} has two questions", q.fact));
            }
            if q.text.trim().is_empty() || q.help.trim().is_empty() {
                return err(format!("question {:?} needs text and help", q.fact));
            }
            if q.cites.is_empty() {
                return err(format!("question {:?} cites no seed", q.fact));
            }
            if q.answers.len() < 2 {
                return err(format!("question {:?} needs at least two answers", q.fact));
            }
            let mut values = BTreeSet::new();
            for a in &q.answers {
                if !values.insert(a.value.as_str()) {
                    return err(format!("question {:?} offers {:?} twice", q.fact, a.value));
                }
            }
            for c in &q.cites {
                if !is_seed_name(&c.seed) || c.section.trim().is_empty() {
                    return err(format!(
                        "question {:?} cites {:?}, which is not a seed file with a section",
                        q.fact, c.seed
                    ));
                }
            }
        }
        let mut outcome_ids = BTreeSet::new();
        for o in &self.outcomes {
            if !outcome_ids.insert(o.id.as_str()) {
                return err(format!("outcome {:?} is defined twice", o.id));
            }
            if o.reasons.is_empty() {
                return err(format!("outcome {:?} gives no reason", o.id));
            }
            for r in &o.reasons {
                if !is_seed_name(&r.seed) || r.section.trim().is_empty() {
                    return err(format!(
                        "outcome {:?}: reason {:?} does not cite a seed file and section",
                        o.id, r.text
                    ));
                }
            }
        }
        for o in &self.outcomes {
            if !o.alternative.is_empty()
                && (o.alternative == o.id || !outcome_ids.contains(o.alternative.as_str()))
            {
                return err(format!(
                    "outcome {:?}: alternative {:?} is not another outcome",
                    o.id, o.alternative
                ));
            }
        }
        let mut rule_ids = BTreeSet::new();
        for r in &self.rules {
            if !rule_ids.insert(r.id.as_str()) {
                return err(format!("rule {:?} is defined twice", r.id));
            }
            if r.when.is_empty() {
                return err(format!("rule {:?} has no condition", r.id));
            }
            if !outcome_ids.contains(r.outcome.as_str()) {
                return err(format!(
                    "rule {:?} leads to unknown outcome {:?}",
                    r.id, r.outcome
                ));
            }
            for (fact, values) in &r.when {
                let known = self.values(fact);
                if known.is_empty() {
                    return err(format!("rule {:?} tests unknown fact {fact:?}", r.id));
                }
                for v in values.iter() {
                    if !known.contains(&v) {
                        return err(format!(
                            "rule {:?}: {fact} = {v:?} is not an answer (allowed: {})",
                            r.id,
                            known.join(", ")
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
version = 1
[[questions]]
fact = "a"
text = "A?"
help = "h"
cites = [{ seed = "000_ab.txt", section = "S" }]
answers = [
  { value = "true", label = "yes", explanation = "e" },
  { value = "false", label = "no", explanation = "e" },
]
[[questions]]
fact = "b"
text = "B?"
help = "h"
cites = [{ seed = "000_ab.txt", section = "S" }]
answers = [
  { value = "x", label = "x", explanation = "e" },
  { value = "y", label = "y", explanation = "e" },
]
[[rules]]
id = "a"
when = { a = "true" }
outcome = "one"
[[rules]]
id = "not-a-x"
when = { a = "false", b = "x" }
outcome = "two"
[[rules]]
id = "not-a-y"
when = { a = "false", b = "y" }
outcome = "one"
[[outcomes]]
id = "one"
title = "One"
summary = "s"
migration = "none"
alternative = "two"
reasons = [{ text = "r", seed = "000_ab.txt", section = "S" }]
[[outcomes]]
id = "two"
title = "Two"
summary = "s"
migration = "secret-to-fic"
reasons = [{ text = "r", seed = "001_cd.txt", section = "S" }]
"#;

    #[test]
    fn a_good_table_parses() {
        let t = DecisionTable::parse(SMALL).unwrap();
        assert_eq!(t.combinations().len(), 4);
    }

    fn broken(from: &str, to: &str) -> String {
        assert!(SMALL.contains(from), "{from}");
        DecisionTable::parse(&SMALL.replacen(from, to, 1))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_tables_are_rejected_with_the_problem_named() {
        let cases = [
            (
                r#"when = { a = "false", b = "y" }"#,
                r#"when = { a = "false", b = "x" }"#,
                "all decide",
            ),
            (
                r#"when = { a = "false", b = "x" }"#,
                r#"when = { a = "false", b = ["x", "y"] }"#,
                "all decide",
            ),
            (r#"id = "not-a-y""#, r#"id = "a""#, "defined twice"),
            (
                r#"outcome = "two""#,
                r#"outcome = "three""#,
                "unknown outcome",
            ),
            (
                r#"when = { a = "true" }"#,
                r#"when = { a = "maybe" }"#,
                "not an answer",
            ),
            (
                r#"when = { a = "true" }"#,
                r#"when = { c = "true" }"#,
                "unknown fact",
            ),
            (
                "seed = \"001_cd.txt\"",
                "seed = \"notes.md\"",
                "does not cite a seed",
            ),
            (
                r#"alternative = "two""#,
                r#"alternative = "one""#,
                "not another outcome",
            ),
            ("version = 1", "version = 2", "version 2"),
            (r#"fact = "b""#, r#"fact = "a""#, "two questions"),
            (
                "summary = \"s\"\nmigration = \"none\"",
                "summary = \"s\"\nmigration = \"teleport\"",
                "teleport",
            ),
        ];
        for (from, to, want) in cases {
            let e = broken(from, to);
            assert!(e.contains(want), "{e:?} should mention {want:?}");
        }
    }

    #[test]
    fn a_combination_without_a_rule_is_named() {
        let e = broken(
            "[[rules]]\nid = \"not-a-y\"\nwhen = { a = \"false\", b = \"y\" }\noutcome = \"one\"\n",
            "",
        );
        assert!(e.contains("no rule decides a=false, b=y"), "{e}");
    }

    #[test]
    fn an_unneeded_question_is_caught() {
        // `a` is asked first (rules 2 and 3 need it), but for b = x rule 1 decides without it.
        let rules_start = SMALL.find("[[rules]]").unwrap();
        let outcomes_start = SMALL.find("[[outcomes]]").unwrap();
        let rules = r#"[[rules]]
id = "b-x"
when = { b = "x" }
outcome = "two"
[[rules]]
id = "a-y"
when = { a = "true", b = "y" }
outcome = "one"
[[rules]]
id = "not-a-y"
when = { a = "false", b = "y" }
outcome = "one"
"#;
        let text = format!(
            "{}{rules}{}",
            &SMALL[..rules_start],
            &SMALL[outcomes_start..]
        );
        let e = DecisionTable::parse(&text).unwrap_err().to_string();
        assert!(
            e.contains(r#"question "a" is asked on the way to rule "b-x""#),
            "{e}"
        );
    }
}
