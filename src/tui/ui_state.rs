//! What the view keeps between frames that is not the explorer's state: the keymap and theme
//! it draws hints and colours from, scroll offsets, and where each pane landed on screen so
//! mouse clicks can be mapped back to rows.

use ratatui::layout::Rect;

use super::theme::Theme;
use crate::app::keymap::{Key, Keymap};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Areas {
    pub nav: Option<Rect>,
    /// The list's rows (inside the border, below the header).
    pub list_rows: Option<Rect>,
    pub details: Option<Rect>,
    /// Screen row → index of a followable link, for clicks in the details pane.
    pub link_rows: Vec<(u16, usize)>,
    /// Screen row → navigation item.
    pub nav_rows: Vec<(u16, usize)>,
}

#[derive(Debug, Clone)]
pub struct UiState {
    pub keymap: Keymap,
    pub theme: Theme,
    /// First visible row of the list.
    pub list_offset: usize,
    pub areas: Areas,
    /// Frames drawn, for the loading spinner.
    pub frame_count: u64,
    /// How far the help overlay could scroll when last drawn.
    pub help_max_scroll: Option<u16>,
    /// The key that started a sequence (`g` of `gg`), waiting for the next.
    pub pending: Option<Key>,
    /// A count typed before a move (`5` of `5j`).
    pub count: Option<u32>,
}

impl UiState {
    pub fn new(keymap: Keymap, theme: Theme) -> Self {
        Self {
            keymap,
            theme,
            list_offset: 0,
            areas: Areas::default(),
            frame_count: 0,
            help_max_scroll: None,
            pending: None,
            count: None,
        }
    }
}
