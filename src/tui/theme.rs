//! Colours and text styles. With `NO_COLOR` set (https://no-color.org) every style keeps its
//! emphasis (bold, reversed, dim) and drops its colour, so focus, selection and severity stay
//! visible on monochrome terminals.

use ratatui::style::{Color, Modifier, Style};

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
