//! Where credwise keeps its files: the user's config directory (config.toml, keymap.toml),
//! cache directory and data directory (migration journals and records), from the
//! `directories` crate. `CREDWISE_CONFIG_DIR` and `CREDWISE_DATA_DIR` override them (tests and
//! portable setups).

use std::path::PathBuf;

/// The directory holding `config.toml` and `keymap.toml`, if the platform has one.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CREDWISE_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "credwise").map(|d| d.config_dir().to_path_buf())
}

/// The directory holding migration journals and records (`journals/`), if the platform has
/// one. `CREDWISE_DATA_DIR` overrides it.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CREDWISE_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "credwise").map(|d| d.data_dir().to_path_buf())
}
