//! The walk through a decision table: which question comes next given the answers so far,
//! when a rule decides, how many questions are left at most, and which answers still apply
//! after an earlier one changes. A question is asked only while some still-possible rule
//! tests its fact, in the table's order.

use std::collections::{BTreeMap, BTreeSet};

use super::table::{DecisionTable, Outcome, Question, Rule};

/// Facts answered so far, and which of them were pre-filled from the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    values: BTreeMap<String, String>,
    prefilled: BTreeSet<String>,
}

impl Answers {
    pub fn from_map(values: BTreeMap<String, String>) -> Self {
        Self {
            values,
            prefilled: BTreeSet::new(),
        }
    }

    pub fn set(&mut self, fact: &str, value: &str) {
        self.values.insert(fact.to_string(), value.to_string());
        self.prefilled.remove(fact);
    }

    /// Sets an answer the tenant suggested; the user may change it.
    pub fn prefill(&mut self, fact: &str, value: &str) {
        self.values.insert(fact.to_string(), value.to_string());
        self.prefilled.insert(fact.to_string());
    }

    pub fn get(&self, fact: &str) -> Option<&str> {
        self.values.get(fact).map(String::as_str)
    }

    pub fn is_prefilled(&self, fact: &str) -> bool {
        self.prefilled.contains(fact)
    }

    pub fn remove(&mut self, fact: &str) {
        self.values.remove(fact);
        self.prefilled.remove(fact);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Keeps only the facts in `keep`.
    fn retain(&mut self, keep: &[&str]) {
        self.values.retain(|k, _| keep.contains(&k.as_str()));
        self.prefilled.retain(|k| keep.contains(&k.as_str()));
    }
}

/// Where a walk stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path<'t> {
    /// The questions on the path: those answered, then the next one to ask (if undecided).
    pub questions: Vec<&'t Question>,
    /// The deciding rule, once the answers settle it.
    pub decided: Option<&'t Rule>,
}

/// A finished decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'t> {
    pub rule: &'t Rule,
    pub outcome: &'t Outcome,
    /// The facts asked, in order.
    pub asked: Vec<&'t str>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error("missing fact {fact}: the answers need it (allowed: {})", allowed.join(", "))]
    Missing { fact: String, allowed: Vec<String> },
    #[error("unknown fact {fact:?} (known facts: {})", known.join(", "))]
    UnknownFact { fact: String, known: Vec<String> },
    #[error("{fact} = {value:?} is not allowed (allowed: {})", allowed.join(", "))]
    UnknownValue {
        fact: String,
        value: String,
        allowed: Vec<String>,
    },
    #[error("no rule decides these answers")]
    Undecided,
}

/// One step of the walk.
enum Step<'t> {
    Ask(&'t Question),
    Done(&'t Rule),
    Stuck,
}

impl DecisionTable {
    /// The rules the answers so far do not rule out.
    fn candidates<'t, 'a>(
        &'t self,
        answered: &'a BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'t Rule> + use<'t, 'a> {
        self.rules.iter().filter(move |r| {
            r.when
                .iter()
                .all(|(f, vs)| answered.get(f).is_none_or(|v| vs.contains(v)))
        })
    }

    /// The next step given the answers: ask a question, or a rule decides.
    fn step(&self, answered: &BTreeMap<String, String>) -> Step<'_> {
        let candidates: Vec<&Rule> = self.candidates(answered).collect();
        if let Some(rule) = candidates.iter().find(|r| r.matches(answered)) {
            return Step::Done(rule);
        }
        let needed = self.questions.iter().find(|q| {
            !answered.contains_key(&q.fact)
                && candidates.iter().any(|r| r.when.contains_key(&q.fact))
        });
        match needed {
            Some(q) => Step::Ask(q),
            None => Step::Stuck,
        }
    }

    /// Walks with `answers` as the oracle, as far as they go.
    pub fn path(&self, answers: &Answers) -> Path<'_> {
        let mut answered = BTreeMap::new();
        let mut questions = Vec::new();
        loop {
            match self.step(&answered) {
                Step::Done(rule) => {
                    return Path {
                        questions,
                        decided: Some(rule),
                    };
                }
                Step::Ask(q) => {
                    questions.push(q);
                    match answers.get(&q.fact) {
                        Some(v) if q.answers.iter().any(|a| a.value == v) => {
                            answered.insert(q.fact.clone(), v.to_string());
                        }
                        _ => {
                            return Path {
                                questions,
                                decided: None,
                            };
                        }
                    }
                }
                Step::Stuck => {
                    return Path {
                        questions,
                        decided: None,
                    };
                }
            }
        }
    }

    /// The answers that still apply: those the walk asks for. Changing an earlier answer can
    /// take the walk elsewhere; what it no longer asks is dropped.
    pub fn relevant(&self, answers: &Answers) -> Answers {
        let path = self.path(answers);
        let keep: Vec<&str> = path.questions.iter().map(|q| q.fact.as_str()).collect();
        let mut out = answers.clone();
        out.retain(&keep);
        out
    }

    /// The most questions the walk can still take in all, counting those answered.
    pub fn max_questions(&self, answers: &Answers) -> usize {
        let path = self.path(answers);
        let answered: BTreeMap<String, String> = path
            .questions
            .iter()
            .filter_map(|q| {
                answers
                    .get(&q.fact)
                    .map(|v| (q.fact.clone(), v.to_string()))
            })
            .collect();
        if path.decided.is_some() {
            return answered.len();
        }
        let remaining = self
            .candidates(&answered)
            .map(|r| r.when.keys().filter(|f| !answered.contains_key(*f)).count())
            .max()
            .unwrap_or(0);
        answered.len() + remaining
    }

    /// Checks every given fact and value; unknown ones are errors that list what is allowed.
    pub fn check_answers(&self, answers: &Answers) -> Result<(), DecideError> {
        for (fact, value) in answers.iter() {
            let Some(q) = self.question(fact) else {
                return Err(DecideError::UnknownFact {
                    fact: fact.to_string(),
                    known: self.questions.iter().map(|q| q.fact.clone()).collect(),
                });
            };
            if !q.answers.iter().any(|a| a.value == value) {
                return Err(DecideError::UnknownValue {
                    fact: fact.to_string(),
                    value: value.to_string(),
                    allowed: q.answers.iter().map(|a| a.value.clone()).collect(),
                });
            }
        }
        Ok(())
    }

    /// Decides from a complete set of answers (a fact the path does not need may be absent).
    pub fn decide(&self, answers: &Answers) -> Result<Decision<'_>, DecideError> {
        self.check_answers(answers)?;
        let path = self.path(answers);
        let asked: Vec<&str> = path.questions.iter().map(|q| q.fact.as_str()).collect();
        match path.decided {
            Some(rule) => {
                let outcome = self.outcome(&rule.outcome).ok_or(DecideError::Undecided)?;
                Ok(Decision {
                    rule,
                    outcome,
                    asked,
                })
            }
            None => match path.questions.last() {
                Some(q) if answers.get(&q.fact).is_none() => Err(DecideError::Missing {
                    fact: q.fact.clone(),
                    allowed: q.answers.iter().map(|a| a.value.clone()).collect(),
                }),
                _ => Err(DecideError::Undecided),
            },
        }
    }
}
