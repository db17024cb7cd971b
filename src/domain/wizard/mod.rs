//! The decision wizard's engine: the decision table as data (`table`), its validation, the
//! walk that asks only the questions a path needs (`engine`), and the decision record
//! (`record`). Pure: the table text comes in as a string and the date as an argument.

pub mod engine;
pub mod prefill;
pub mod record;
pub mod table;

pub use engine::{Answers, DecideError, Decision, Path};
pub use record::Record;
pub use table::{
    AnswerOption, Citation, DecisionTable, Migration, Outcome, Question, Rule, TableError,
};
