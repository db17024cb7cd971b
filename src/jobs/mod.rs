//! Use-cases that run in the background and are shared by the TUI and the CLI, one folder or
//! file each: `load` (a tenant, indexed and audited) and `migrate` (a migration from form to
//! record). A job talks to a `Backend` and returns results; it never touches the explorer's
//! state (the runtime turns its results into `Msg`s).

pub mod load;
pub mod migrate;
