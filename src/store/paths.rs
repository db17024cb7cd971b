//! Where credwise keeps its files: the user's config directory (config.toml, keymap.toml),
//! cache directory (the tenant cache) and data directory (migration journals and records),
//! from the `directories` crate. `CREDWISE_CONFIG_DIR`, `CREDWISE_CACHE_DIR` and
//! `CREDWISE_DATA_DIR` override them (tests and portable setups).

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The directory holding `config.toml` and `keymap.toml`, if the platform has one.
pub fn config_dir() -> Option<PathBuf> {
    dir("CREDWISE_CONFIG_DIR", ProjectDirs::config_dir)
}

/// The directory for the tenant cache (last snapshot per tenant).
pub fn cache_dir() -> Option<PathBuf> {
    dir("CREDWISE_CACHE_DIR", ProjectDirs::cache_dir)
}

/// The directory holding migration journals and records (`journals/`).
pub fn data_dir() -> Option<PathBuf> {
    dir("CREDWISE_DATA_DIR", ProjectDirs::data_dir)
}

/// `env` when set, else the platform's directory picked by `pick`.
fn dir(env: &str, pick: fn(&ProjectDirs) -> &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(env) {
        return Some(PathBuf::from(dir));
    }
    ProjectDirs::from("", "", "credwise").map(|d| pick(&d).to_path_buf())
}
