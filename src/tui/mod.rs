//! The terminal explorer: turns crossterm events into `Msg`s through the keymap, renders
//! `&App` with ratatui, and runs the event loop with the background jobs.
//!
//! May import `app`, `jobs`, `backend`, `config` and `domain`, crossterm and ratatui.

pub mod keymap;
mod migration_run;
pub mod run;
pub mod theme;
pub mod ui_state;
pub mod view;

pub use run::{run, run_wizard};
