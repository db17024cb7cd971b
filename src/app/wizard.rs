//! The wizard as the explorer runs it: the embedded decision table, and the state of one run
//! (answers, which question is on screen, the highlighted answer, the export). Full-screen
//! from `credwise wizard`, or over the explorer with `w`, pre-filled from the selected
//! identity.

use crate::domain::wizard::{Answers, DecisionTable, TableError};

/// `assets/decision-table.toml`, compiled in.
pub const DECISION_TABLE: &str = include_str!("../../assets/decision-table.toml");

/// The embedded decision table, validated.
pub fn decision_table() -> Result<DecisionTable, TableError> {
    DecisionTable::parse(DECISION_TABLE)
}

/// One run of the wizard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WizardState {
    pub answers: Answers,
    /// Index into the path's questions; the path's length means the summary.
    pub cursor: usize,
    /// The highlighted answer of the question on screen.
    pub option: usize,
    /// The identity the wizard was started for.
    pub subject: Option<String>,
    /// Why each pre-filled fact was suggested.
    pub prefill_reasons: Vec<(String, String)>,
    /// Where the decision record was exported.
    pub exported: Option<String>,
    /// Started as `credwise wizard`: closing it quits.
    pub standalone: bool,
    pub scroll: u16,
}

impl WizardState {
    pub fn new(
        answers: Answers,
        subject: Option<String>,
        prefill_reasons: Vec<(String, String)>,
        standalone: bool,
    ) -> Self {
        Self {
            answers,
            cursor: 0,
            option: 0,
            subject,
            prefill_reasons,
            exported: None,
            standalone,
            scroll: 0,
        }
    }
}

use super::{App, Command, Effect, Mode, Status};
use crate::domain::expiry;
use crate::domain::wizard::Record;
use crate::domain::wizard::prefill;

/// What the wizard shows now.
pub enum Screen<'t> {
    /// The question at the cursor, with the answers path so far.
    Question {
        question: &'t crate::domain::wizard::Question,
        number: usize,
        at_most: usize,
    },
    Summary(Box<Record>),
}

/// The screen for the current state, or `None` without a wizard or a table.
pub fn screen<'t>(app: &'t App, table: &'t DecisionTable) -> Option<Screen<'t>> {
    let w = app.wizard.as_ref()?;
    let path = table.path(&w.answers);
    if let Some(q) = path.questions.get(w.cursor) {
        return Some(Screen::Question {
            question: q,
            number: w.cursor + 1,
            at_most: table.max_questions(&w.answers).max(w.cursor + 1),
        });
    }
    let decision = table.decide(&w.answers).ok()?;
    let mut record = Record::new(
        table,
        &decision,
        &w.answers,
        &expiry::date(app.now),
        env!("CARGO_PKG_VERSION"),
    );
    record.subject = w.subject.clone();
    Some(Screen::Summary(Box::new(record)))
}

/// Highlights the current answer (or the pre-filled one) of the question at the cursor.
pub fn sync_option(app: &mut App) {
    let Some(table) = app.decision_table.clone() else {
        return;
    };
    let Some(w) = app.wizard.as_mut() else {
        return;
    };
    let path = table.path(&w.answers);
    w.option = path
        .questions
        .get(w.cursor)
        .and_then(|q| {
            let v = w.answers.get(&q.fact)?;
            q.answers.iter().position(|a| a.value == v)
        })
        .unwrap_or(0);
}

/// `w`: starts the wizard, pre-filled from the selected identity.
pub fn open(app: &mut App) {
    if app.decision_table.is_none() {
        app.status = Some(Status {
            text: "the decision table did not load; the wizard is unavailable".into(),
            is_error: true,
        });
        return;
    }
    let (answers, subject, reasons) = match (&app.dir, app.selected_entry()) {
        (Some(dir), Some(id)) => {
            let e = dir.entry(id);
            let suggestions = prefill::suggestions(dir, e);
            let mut answers = Answers::default();
            let mut reasons = Vec::new();
            for s in &suggestions {
                answers.prefill(s.fact, s.value);
                reasons.push((s.fact.to_string(), s.why.clone()));
            }
            (answers, Some(dir.display_name_of(e).to_string()), reasons)
        }
        _ => (Answers::default(), None, Vec::new()),
    };
    app.wizard = Some(WizardState::new(answers, subject, reasons, false));
    app.mode = Mode::Wizard;
    sync_option(app);
}

fn close(app: &mut App) {
    match app.wizard.as_ref() {
        Some(w) if w.standalone => app.quit = true,
        _ => {
            app.wizard = None;
            app.mode = Mode::Normal;
        }
    }
}

/// Whether the wizard shows its decision (every question on the path answered).
pub fn on_summary(app: &App) -> bool {
    match (app.wizard.as_ref(), app.decision_table.as_ref()) {
        (Some(w), Some(t)) => w.cursor >= t.path(&w.answers).questions.len(),
        _ => false,
    }
}

/// The wizard's commands (`Context::Wizard`, `Context::WizardSummary`).
pub fn command(app: &mut App, c: Command) -> Vec<Effect> {
    let Some(table) = app.decision_table.clone() else {
        close(app);
        return Vec::new();
    };
    let on_summary = matches!(screen(app, &table), Some(Screen::Summary(_)));
    let Some(w) = app.wizard.as_mut() else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    let options = table
        .path(&w.answers)
        .questions
        .get(w.cursor)
        .map(|q| q.answers.len())
        .unwrap_or(0);
    match c {
        Command::SelectNext if on_summary => w.scroll = w.scroll.saturating_add(1),
        Command::SelectPrev if on_summary => w.scroll = w.scroll.saturating_sub(1),
        Command::PageDown | Command::HalfPageDown if on_summary => {
            w.scroll = w.scroll.saturating_add(10)
        }
        Command::PageUp | Command::HalfPageUp if on_summary => {
            w.scroll = w.scroll.saturating_sub(10)
        }
        Command::SelectNext => w.option = (w.option + 1).min(options.saturating_sub(1)),
        Command::SelectPrev => w.option = w.option.saturating_sub(1),
        Command::SelectFirst => w.option = 0,
        Command::SelectLast => w.option = options.saturating_sub(1),
        Command::Open if !on_summary => answer(app, &table),
        Command::Back => {
            if w.cursor == 0 {
                if !w.standalone {
                    close(app);
                }
            } else {
                w.cursor -= 1;
                w.scroll = 0;
                sync_option(app);
            }
        }
        Command::Close => close(app),
        Command::Export if on_summary => return export(app, &table),
        Command::Export => {
            app.status = Some(Status {
                text: "answer the questions first: export works from the summary".into(),
                is_error: false,
            })
        }
        _ => {}
    }
    Vec::new()
}

/// Enter on a question: record the highlighted answer and move on. An unchanged answer keeps
/// its pre-filled mark; a changed one drops the answers that no longer apply.
fn answer(app: &mut App, table: &DecisionTable) {
    let Some(w) = app.wizard.as_mut() else {
        return;
    };
    let path = table.path(&w.answers);
    let Some(q) = path.questions.get(w.cursor) else {
        return;
    };
    let Some(chosen) = q.answers.get(w.option) else {
        return;
    };
    if w.answers.get(&q.fact) != Some(chosen.value.as_str()) {
        w.answers.set(&q.fact, &chosen.value);
        w.answers = table.relevant(&w.answers);
    }
    w.cursor += 1;
    w.scroll = 0;
    w.exported = None;
    sync_option(app);
}

fn export(app: &mut App, table: &DecisionTable) -> Vec<Effect> {
    let Some(Screen::Summary(record)) = screen(app, table) else {
        return Vec::new();
    };
    let stem = format!("credwise-decision-{}-{}", record.outcome, record.date);
    // The subject is a tenant's display name: the files are read with `cat` as often as in
    // an editor, so no escape sequence may ride along (the JSON keeps it, escaped).
    vec![Effect::WriteFiles(vec![
        (
            format!("{stem}.md"),
            crate::sanitize::text(&record.to_markdown()).into_owned(),
        ),
        (
            format!("{stem}.json"),
            crate::sanitize::json(&record.to_json()).into_owned(),
        ),
    ])]
}
