//! The terminal explorer: `terminal` (taken over and always restored, OSC 52 copy), `input`
//! (crossterm events → `Msg`s through `app::keymap`), `event_loop` (events in, `app::update`,
//! effects to the `runtime`, a frame drawn), `theme`, `ui_state` and `view/*`
//! (render functions of `&App`).
//!
//! May import `runtime`, `app`, `jobs`, `backend`, `store`, `config`, `sanitize` and `domain`,
//! crossterm and ratatui — never `cli`: the explorer ends with its own `Error`, which `main`
//! turns into an exit code.

mod event_loop;
pub mod input;
mod terminal;
pub mod theme;
pub mod ui_state;
pub mod view;

pub use event_loop::{Error, run, run_wizard};
