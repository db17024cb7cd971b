//! Checking a decision table whole: its structure (`table`) and its coverage, found by walking
//! every combination of fact values with the engine — exactly one rule decides each, every
//! rule is reachable, every outcome used, and no question is asked on a path whose rule does
//! not need it. `DecisionTable::parse` returns only a table that passed. Depends on `table`
//! and `engine`, which do not depend on it (or on each other's checks).

use std::collections::BTreeMap;

use super::engine::Answers;
use super::table::{DecisionTable, Rule, TableError, err};

impl DecisionTable {
    /// Parses and validates a table.
    pub fn parse(text: &str) -> Result<Self, TableError> {
        let table: DecisionTable = toml::from_str(text).map_err(|e| TableError(e.to_string()))?;
        table.validate()?;
        Ok(table)
    }

    /// The whole check: structure, then coverage.
    pub fn validate(&self) -> Result<(), TableError> {
        self.validate_structure()?;
        self.validate_coverage()
    }

    /// Exactly one rule per combination; every rule reachable and every outcome used; no
    /// question asked that the deciding rule does not need.
    fn validate_coverage(&self) -> Result<(), TableError> {
        let mut used: BTreeMap<&str, usize> =
            self.rules.iter().map(|r| (r.id.as_str(), 0)).collect();
        for combo in self.combinations() {
            let matching: Vec<&Rule> = self.rules.iter().filter(|r| r.matches(&combo)).collect();
            let describe = || {
                combo
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let rule = match matching[..] {
                [one] => one,
                [] => return err(format!("no rule decides {}", describe())),
                _ => {
                    let ids: Vec<&str> = matching.iter().map(|r| r.id.as_str()).collect();
                    return err(format!(
                        "rules {} all decide {}: exactly one must",
                        ids.join(", "),
                        describe()
                    ));
                }
            };
            *used.entry(rule.id.as_str()).or_default() += 1;
            let answers = Answers::from_map(combo.clone());
            let decision = self
                .decide(&answers)
                .map_err(|e| TableError(format!("walking {}: {e}", describe())))?;
            if decision.rule.id != rule.id {
                return err(format!(
                    "walking {} ends at rule {:?}, not {:?}",
                    describe(),
                    decision.rule.id,
                    rule.id
                ));
            }
            if let Some(extra) = decision.asked.iter().find(|f| !rule.when.contains_key(**f)) {
                return err(format!(
                    "question {extra:?} is asked on the way to rule {:?}, which does not need it",
                    rule.id
                ));
            }
        }
        if let Some((id, _)) = used.iter().find(|(_, n)| **n == 0) {
            return err(format!("rule {id:?} is never reached"));
        }
        for o in &self.outcomes {
            if !self.rules.iter().any(|r| r.outcome == o.id) {
                return err(format!("outcome {:?} is never reached", o.id));
            }
        }
        Ok(())
    }
}
