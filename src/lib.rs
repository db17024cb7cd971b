//! credwise: explore the workload identities of a Microsoft Entra ID tenant, their credentials
//! and links, and move them off client secrets.
//!
//! Layers (see ARCHITECTURE.md): `tui`/`cli` → `runtime` → `app` → `jobs` → `backend`/`store`
//! → `domain`. Arrows point inward; `domain` is pure.

pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
pub mod domain;
pub mod jobs;
pub mod runtime;
pub mod sanitize;
pub mod store;
pub mod tui;
