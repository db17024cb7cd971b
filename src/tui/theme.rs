//! Colours and text styles. With `NO_COLOR` set (https://no-color.org) every style keeps its
//! emphasis (bold, reversed, dim) and drops its colour, so focus, selection and severity stay
//! visible on monochrome terminals. A user's `theme.toml` recolours the roles (`recolour`);
//! NO_COLOR still wins.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::domain::audit::Severity;
use crate::domain::expiry::ExpiryStatus;

/// A severity in four letters, for narrow columns.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "MED",
        Severity::Low => "LOW",
        Severity::Info => "INFO",
    }
}

/// The roles `theme.toml` may recolour.
pub const ROLES: &[&str] = &[
    "title",
    "border",
    "border_focused",
    "selected_bg",
    "selected_fg",
    "header",
    "heading",
    "dim",
    "key",
    "link",
    "error",
    "info",
    "warning",
    "matched",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    colors: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub header: Style,
    pub heading: Style,
    pub dim: Style,
    pub key: Style,
    pub link: Style,
    pub error: Style,
    pub info: Style,
    /// Something to keep in mind, not an error (data from the cache).
    pub warning: Style,
    pub read_only: Style,
    /// The characters of a name that the filter matched.
    pub matched: Style,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        let c = |style: Style, fg: Color| if color { style.fg(fg) } else { style };
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Self {
            color,
            title: c(bold, Color::Cyan),
            border: c(Style::new(), Color::DarkGray),
            border_focused: c(bold, Color::Cyan),
            selected: if color {
                Style::new().bg(Color::Cyan).fg(Color::Black)
            } else {
                Style::new().add_modifier(Modifier::REVERSED)
            },
            selected_unfocused: if color {
                Style::new().bg(Color::DarkGray).fg(Color::White)
            } else {
                Style::new().add_modifier(Modifier::UNDERLINED)
            },
            header: c(bold, Color::Gray),
            heading: c(bold, Color::Yellow),
            dim: if color {
                Style::new().fg(Color::DarkGray)
            } else {
                Style::new().add_modifier(Modifier::DIM)
            },
            key: c(bold, Color::Cyan),
            link: c(Style::new().add_modifier(Modifier::UNDERLINED), Color::Blue),
            error: c(bold, Color::Red),
            info: c(Style::new(), Color::Green),
            warning: c(Style::new(), Color::Yellow),
            read_only: c(bold.add_modifier(Modifier::REVERSED), Color::Red),
            matched: c(bold.add_modifier(Modifier::UNDERLINED), Color::Yellow),
        }
    }

    /// Honours `NO_COLOR` (any non-empty value).
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self::new(!no_color)
    }

    /// `from_env`, recoloured by the user's `theme.toml` (file, text); `NO_COLOR` still wins.
    pub fn from_env_and(file: Option<&(PathBuf, String)>) -> Result<Self, String> {
        let mut theme = Self::from_env();
        if let Some((path, text)) = file {
            theme
                .recolour(text)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(theme)
    }

    /// Applies a `theme.toml`: `[colors]` with any of the roles below, each a colour name
    /// (`red`, `lightblue`, `darkgray`…), `#rrggbb` or a 256-colour index. An unknown role or
    /// colour is an error naming it. Without colour (NO_COLOR) nothing changes.
    pub fn recolour(&mut self, text: &str) -> Result<(), String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let Some(colors) = file.colors else {
            return Ok(());
        };
        let mut parsed = Vec::new();
        for (role, value) in &colors {
            let color: Color = value
                .parse()
                .map_err(|_| format!("[colors] {role} = {value:?} is not a colour (a name such as lightblue, #rrggbb, or 0-255)"))?;
            if !ROLES.contains(&role.as_str()) {
                return Err(format!(
                    "[colors] {role}: unknown (known: {})",
                    ROLES.join(", ")
                ));
            }
            parsed.push((role.as_str(), color));
        }
        if !self.color {
            return Ok(());
        }
        for (role, c) in parsed {
            match role {
                "title" => self.title = self.title.fg(c),
                "border" => self.border = self.border.fg(c),
                "border_focused" => self.border_focused = self.border_focused.fg(c),
                "selected_bg" => self.selected = self.selected.bg(c),
                "selected_fg" => self.selected = self.selected.fg(c),
                "header" => self.header = self.header.fg(c),
                "heading" => self.heading = self.heading.fg(c),
                "dim" => self.dim = self.dim.fg(c),
                "key" => self.key = self.key.fg(c),
                "link" => self.link = self.link.fg(c),
                "error" => self.error = self.error.fg(c),
                "info" => self.info = self.info.fg(c),
                "warning" => self.warning = self.warning.fg(c),
                "matched" => self.matched = self.matched.fg(c),
                _ => {}
            }
        }
        Ok(())
    }

    pub fn severity(&self, s: Severity) -> Style {
        let (fg, m) = match s {
            Severity::Critical => (Color::Red, Modifier::BOLD | Modifier::REVERSED),
            Severity::High => (Color::LightRed, Modifier::BOLD),
            Severity::Medium => (Color::Yellow, Modifier::empty()),
            Severity::Low => (Color::Blue, Modifier::empty()),
            Severity::Info => (Color::DarkGray, Modifier::empty()),
        };
        if self.color {
            Style::new().fg(fg).add_modifier(m)
        } else {
            Style::new().add_modifier(m)
        }
    }

    pub fn expiry(&self, status: ExpiryStatus) -> Style {
        let (fg, m) = match status {
            ExpiryStatus::Expired => (Color::Red, Modifier::BOLD),
            ExpiryStatus::Critical => (Color::LightRed, Modifier::BOLD),
            ExpiryStatus::Warning => (Color::Yellow, Modifier::empty()),
            ExpiryStatus::Healthy => (Color::Green, Modifier::empty()),
            ExpiryStatus::Never => (Color::Magenta, Modifier::ITALIC),
            ExpiryStatus::NoEnd => (Color::DarkGray, Modifier::empty()),
        };
        if self.color {
            Style::new().fg(fg).add_modifier(m)
        } else {
            Style::new().add_modifier(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_file_recolours_its_roles_and_keeps_the_emphasis() {
        let mut t = Theme::new(true);
        t.recolour(
            "[colors]\ntitle = \"#ff8800\"\nselected_bg = \"lightblue\"\nmatched = \"201\"\n",
        )
        .unwrap();
        assert_eq!(t.title.fg, Some(Color::Rgb(0xff, 0x88, 0x00)));
        assert!(t.title.add_modifier.contains(Modifier::BOLD));
        assert_eq!(t.selected.bg, Some(Color::LightBlue));
        assert_eq!(t.matched.fg, Some(Color::Indexed(201)));
        // The rest is untouched.
        assert_eq!(t.error, Theme::new(true).error);
    }

    #[test]
    fn mistakes_name_the_role_or_colour_and_no_color_still_wins() {
        let mut t = Theme::new(true);
        let e = t.recolour("[colors]\ntitel = \"red\"\n").unwrap_err();
        assert!(e.contains("titel") && e.contains("known:"), "{e}");
        let e = t.recolour("[colors]\ntitle = \"reddish\"\n").unwrap_err();
        assert!(e.contains("\"reddish\" is not a colour"), "{e}");
        let e = t.recolour("[colours]\ntitle = \"red\"\n").unwrap_err();
        assert!(e.contains("colours"), "{e}");
        let mut plain = Theme::new(false);
        plain.recolour("[colors]\ntitle = \"red\"\n").unwrap();
        assert_eq!(plain, Theme::new(false));
    }
}
