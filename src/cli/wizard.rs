//! `credwise wizard --answers FILE`: the decision wizard without a terminal, for scripts and
//! docs. It reads a flat TOML or JSON table of facts (`user_present = false`,
//! `hosting = "azure"`…), walks the embedded decision table with them and prints the decision
//! record as Markdown or JSON. Offline: it takes no SOURCE, opens no tenant and uses no
//! network.
//!
//! Every problem with the answers file is bad input (exit 2) and says what and where: the file
//! and line:column of a syntax error, the fact whose value is neither a string nor a boolean,
//! an unknown fact (with the known ones), an unknown value or a missing fact the path needs
//! (with the allowed values).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{CliError, SourceArgs, output};
use crate::app::wizard::decision_table;
use crate::domain::Timestamp;
use crate::domain::wizard::{Answers, DecideError, DecisionTable, Record};
use crate::sanitize;

#[derive(Debug, Args)]
pub struct WizardArgs {
    /// A TOML or JSON file of facts (e.g. `user_present = false`, `hosting = "azure"`): print
    /// the decision record instead of starting the interactive wizard.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Format of the decision record printed with --answers.
    #[arg(long, short = 'o', value_enum, default_value_t = RecordFormat::Markdown)]
    pub output: RecordFormat,
}

/// The formats of a decision record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    /// Markdown that reads on its own in a pull request.
    #[default]
    Markdown,
    /// Pretty JSON, at least `outcome` and `reasons` (each citing a seed file).
    Json,
}

/// The wizard needs no tenant: a SOURCE flag is a mistake worth pointing out.
pub fn check_no_source(source: &SourceArgs) -> Result<(), CliError> {
    if source.demo || source.snapshot.is_some() {
        return Err(CliError::usage(
            "wizard takes no SOURCE: it needs no tenant (drop --demo/--snapshot)",
        ));
    }
    Ok(())
}

/// Decides from the answers file and prints the decision record.
pub fn run(args: &WizardArgs, answers_file: &Path, now: Timestamp) -> Result<(), CliError> {
    let table = decision_table().map_err(|e| {
        CliError::usage(format!(
            "{e} (the embedded decision table is broken: a bug in this build)"
        ))
    })?;
    let record = record_from_file(&table, answers_file, now)?;
    let text = match args.output {
        RecordFormat::Markdown => record.to_markdown(),
        RecordFormat::Json => sanitize::json(&record.to_json()).into_owned(),
    };
    output::print(&text);
    Ok(())
}

/// Reads, checks and decides the answers in `path`.
pub fn record_from_file(
    table: &DecisionTable,
    path: &Path,
    now: Timestamp,
) -> Result<Record, CliError> {
    let name = sanitize::display(&path.display().to_string()).into_owned();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read answers file {name}: {e}")))?;
    let facts = parse_facts(&text, path, &name)?;
    let answers = to_answers(table, facts).map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    let decision = table
        .decide(&answers)
        .map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    Ok(Record::new(
        table,
        &decision,
        &answers,
        &crate::domain::expiry::date(now),
        env!("CARGO_PKG_VERSION"),
    ))
}

/// One value of the answers file, before it is checked against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RawValue {
    Text(String),
    /// Any other kind of value, by its name ("a number", "an array"…).
    Other(&'static str),
}

/// Parses the file as JSON or TOML (by extension; otherwise JSON, then TOML) into a flat map.
fn parse_facts(
    text: &str,
    path: &Path,
    name: &str,
) -> Result<BTreeMap<String, RawValue>, CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("json") => parse_json(text, name),
        Some("toml") => parse_toml(text, name),
        _ => parse_json(text, name).or_else(|json_err| {
            parse_toml(text, name).map_err(|toml_err| {
                // Report the syntax the file looks like it is trying to be.
                if text.trim_start().starts_with('{') {
                    json_err
                } else {
                    toml_err
                }
            })
        }),
    }
}

fn parse_json(text: &str, name: &str) -> Result<BTreeMap<String, RawValue>, CliError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        let msg = msg.strip_suffix(&position).unwrap_or(&msg);
        CliError::usage(format!(
            "{name}:{}:{}: not valid JSON: {msg}",
            e.line(),
            e.column()
        ))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(not_a_table(name));
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => RawValue::Text(s),
                serde_json::Value::Bool(b) => RawValue::Text(b.to_string()),
                serde_json::Value::Null => RawValue::Other("null"),
                serde_json::Value::Number(_) => RawValue::Other("a number"),
                serde_json::Value::Array(_) => RawValue::Other("an array"),
                serde_json::Value::Object(_) => RawValue::Other("an object"),
            };
            (k, v)
        })
        .collect())
}

fn parse_toml(text: &str, name: &str) -> Result<BTreeMap<String, RawValue>, CliError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        CliError::usage(format!(
            "{name}:{line}:{column}: not valid TOML: {}",
            e.message().trim_end()
        ))
    })?;
    Ok(table
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                toml::Value::String(s) => RawValue::Text(s),
                toml::Value::Boolean(b) => RawValue::Text(b.to_string()),
                toml::Value::Integer(_) | toml::Value::Float(_) => RawValue::Other("a number"),
                toml::Value::Datetime(_) => RawValue::Other("a date"),
                toml::Value::Array(_) => RawValue::Other("an array"),
                toml::Value::Table(_) => RawValue::Other("a table"),
            };
            (k, v)
        })
        .collect())
}

fn not_a_table(name: &str) -> CliError {
    CliError::usage(format!(
        "{name}: expected a table of facts, like {{\"user_present\": false, \"hosting\": \"azure\"}}"
    ))
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Checks every fact against the table: known facts, string or boolean values, allowed values.
fn to_answers(table: &DecisionTable, facts: BTreeMap<String, RawValue>) -> Result<Answers, String> {
    let mut values = BTreeMap::new();
    for (fact, value) in facts {
        let Some(question) = table.question(&fact) else {
            return Err(DecideError::UnknownFact {
                fact: sanitize::display(&fact).into_owned(),
                known: table.questions.iter().map(|q| q.fact.clone()).collect(),
            }
            .to_string());
        };
        match value {
            RawValue::Text(v) => {
                values.insert(fact, v);
            }
            RawValue::Other(kind) => {
                let allowed: Vec<&str> =
                    question.answers.iter().map(|a| a.value.as_str()).collect();
                return Err(format!(
                    "{fact} is {kind}; it takes a string or true/false (allowed: {})",
                    allowed.join(", ")
                ));
            }
        }
    }
    let answers = Answers::from_map(values);
    table.check_answers(&answers).map_err(|e| e.to_string())?;
    Ok(answers)
}
