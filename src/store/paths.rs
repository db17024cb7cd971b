//! Where credwise keeps its files: the user's config directory (config.toml, keymap.toml) and
//! cache directory, from the `directories` crate. `CREDWISE_CONFIG_DIR` overrides the config
//! directory (tests and portable setups).

use std::path::PathBuf;

/// The directory holding `config.toml` and `keymap.toml`, if the platform has one.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CREDWISE_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "credwise").map(|d| d.config_dir().to_path_buf())
}

/// The directory for the tenant cache (last snapshot per tenant). `CREDWISE_CACHE_DIR`
/// overrides it.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CREDWISE_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "credwise").map(|d| d.cache_dir().to_path_buf())
}
