//! User configuration: `assets/config.toml` holds the defaults (embedded); the user's
//! `config.toml` and `keymap.toml` in the config directory override them key by key, and
//! `theme.toml` recolours the explorer (read here, applied by `tui::theme`). A
//! mistake in a user file is an error that names the file and the key, never a silent default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::app::SortKey;
use crate::app::keymap::{DEFAULT_KEYMAP, Keymap};
use crate::domain::audit::suppress::Suppression;
use crate::domain::expiry::Thresholds;

pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub ui: UiConfig,
    pub expiry: ExpiryConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    pub mouse: bool,
    pub sort: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryConfig {
    pub critical_days: i64,
    pub warning_days: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
}

impl Config {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            critical_days: self.expiry.critical_days,
            warning_days: self.expiry.warning_days,
        }
    }

    pub fn sort(&self) -> SortKey {
        SortKey::parse(&self.ui.sort).unwrap_or(SortKey::Name)
    }

    /// The defaults merged with a user file's text; `user` is (file, text).
    pub fn from_sources(user: Option<(&Path, &str)>) -> Result<Self, ConfigError> {
        let invalid = |file: &Path, message: String| ConfigError::Invalid {
            file: file.display().to_string(),
            message,
        };
        let defaults_path = Path::new("assets/config.toml");
        let mut merged: toml::Table =
            toml::from_str(DEFAULT_CONFIG).map_err(|e| invalid(defaults_path, e.to_string()))?;
        let blame = match user {
            Some((path, text)) => {
                let table: toml::Table =
                    toml::from_str(text).map_err(|e| invalid(path, e.to_string()))?;
                merge(&mut merged, table);
                path
            }
            None => defaults_path,
        };
        let config: Config = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| invalid(blame, e.message().to_string()))?;
        if SortKey::parse(&config.ui.sort).is_none() {
            return Err(invalid(
                blame,
                format!("ui.sort = {:?}: use {}", config.ui.sort, SortKey::names()),
            ));
        }
        if config.expiry.critical_days < 0
            || config.expiry.warning_days < config.expiry.critical_days
        {
            return Err(invalid(
                blame,
                "expiry: need 0 ≤ critical_days ≤ warning_days".to_string(),
            ));
        }
        Ok(config)
    }
}

/// Overlays `user` on `base`, table by table, so a user file names only what it changes.
fn merge(base: &mut toml::Table, user: toml::Table) {
    for (k, v) in user {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(u)) => merge(b, u),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Config, keymap and audit suppressions as the explorer uses them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub keymap: Keymap,
    /// From `ignore.toml` in the config directory, when there is one.
    pub suppressions: Vec<Suppression>,
    /// The user's `theme.toml` (file, text), read here and applied by the terminal layer.
    pub theme: Option<(PathBuf, String)>,
}

/// Reads a suppression file; errors name the file.
pub fn read_suppressions(path: &Path) -> Result<Vec<Suppression>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.display().to_string(),
        source,
    })?;
    crate::domain::audit::suppress::parse(&text).map_err(|message| ConfigError::Invalid {
        file: path.display().to_string(),
        message,
    })
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            file: path.display().to_string(),
            source,
        }),
    }
}

/// Loads the defaults and the user's overrides from `dir` (the config directory).
pub fn load(dir: Option<PathBuf>) -> Result<Settings, ConfigError> {
    let (config_text, keymap_text, config_path, keymap_path) = match &dir {
        Some(d) => {
            let (c, k) = (d.join("config.toml"), d.join("keymap.toml"));
            (read_optional(&c)?, read_optional(&k)?, c, k)
        }
        None => (None, None, PathBuf::new(), PathBuf::new()),
    };
    let config = Config::from_sources(config_text.as_deref().map(|t| (config_path.as_path(), t)))?;
    let keymap = Keymap::from_sources(
        DEFAULT_KEYMAP,
        keymap_text.as_deref().map(|t| (keymap_path.as_path(), t)),
    )
    .map_err(|e| ConfigError::Invalid {
        file: keymap_path.display().to_string(),
        message: match e {
            crate::app::keymap::KeymapError::Invalid { message, .. } => message,
        },
    })?;
    let suppressions = match &dir {
        Some(d) if d.join("ignore.toml").is_file() => read_suppressions(&d.join("ignore.toml"))?,
        _ => Vec::new(),
    };
    let theme = match &dir {
        Some(d) => {
            let path = d.join("theme.toml");
            read_optional(&path)?.map(|text| (path, text))
        }
        None => None,
    };
    Ok(Settings {
        config,
        keymap,
        suppressions,
        theme,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let c = Config::from_sources(None).unwrap();
        assert!(c.ui.mouse);
        assert_eq!(c.thresholds(), Thresholds::default());
    }

    #[test]
    fn user_values_override_key_by_key() {
        let c = Config::from_sources(Some((Path::new("c.toml"), "[expiry]\nwarning_days = 60\n")))
            .unwrap();
        assert_eq!(c.expiry.warning_days, 60);
        assert_eq!(c.expiry.critical_days, 7);
        assert!(c.ui.mouse);
    }

    #[test]
    fn the_list_can_start_sorted_by_last_use() {
        let c = Config::from_sources(Some((Path::new("c.toml"), "[ui]\nsort = \"last-used\"\n")))
            .unwrap();
        assert_eq!(c.sort(), SortKey::LastUsed);
    }

    #[test]
    fn unknown_keys_name_file_and_key() {
        let e = Config::from_sources(Some((Path::new("/x/config.toml"), "[ui]\nmose = false\n")))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/x/config.toml: "), "{e}");
        assert!(e.contains("mose"), "{e}");
        let e = Config::from_sources(Some((Path::new("c.toml"), "[ui]\nsort = \"size\"\n")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ui.sort"), "{e}");
        assert!(e.contains("last-used"), "the error names every sort: {e}");
        let e = Config::from_sources(Some((Path::new("c.toml"), "[ui\n")))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml: "), "{e}");
    }
}
