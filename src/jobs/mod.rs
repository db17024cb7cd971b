//! Use-cases that run in the background and are shared by the TUI and the CLI. A job talks to
//! a `Backend` and returns results; it never touches the explorer's state (the runtime turns
//! its results into `Msg`s).

pub mod certificate;
pub mod load;
pub mod migrate;
pub mod migration_record;
