//! The decision wizard's engine: the decision table as data (`table`), the walk that asks
//! only the questions a path needs (`engine`), the table's whole check (`check`: structure,
//! and coverage by walking it), pre-filled answers (`prefill`) and the decision record
//! (`record`). Pure: the table text comes in as a string and the date as an argument.

mod check;
pub mod engine;
pub mod prefill;
pub mod record;
pub mod table;

pub use engine::{Answers, DecideError, Decision, Path};
pub use record::Record;
pub use table::{
    AnswerOption, Citation, DecisionTable, Migration, Outcome, Question, Rule, TableError,
};
