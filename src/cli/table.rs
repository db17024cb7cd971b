//! Plain-text tables for the CLI: left-aligned columns padded to the widest cell, two spaces
//! apart, no trailing blanks. Cells are sanitized here, at the last step before the terminal,
//! so no tenant string can carry an escape sequence to the user's screen, and the width counts
//! East Asian wide characters as two columns so names in any script line up.

use crate::sanitize;

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table under construction: a header and rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    /// Each row's cells joined by `SEP`, one string per row: a table of a 150,000-identity
    /// tenant holds over a million cells, and one allocation per cell cost tens of megabytes.
    rows: Vec<String>,
    indent: usize,
}

/// Between the cells of a stored row: a control character, so `sanitize::display` has taken it
/// out of every cell.
const SEP: char = '\u{1f}';

impl Table {
    /// A table with these column headings, every column left-aligned.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_string()).collect(),
            align: vec![Align::Left; header.len()],
            rows: Vec::new(),
            indent: 0,
        }
    }

    /// Sets the alignment of column `col` (counts read better right-aligned).
    pub fn align(mut self, col: usize, align: Align) -> Self {
        if let Some(a) = self.align.get_mut(col) {
            *a = align;
        }
        self
    }

    /// Prefixes every line with `n` spaces (tables nested under a heading).
    pub fn indent(mut self, n: usize) -> Self {
        self.indent = n;
        self
    }

    /// Adds a row; cells are sanitized, missing cells are blank and extra ones dropped.
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row = String::new();
        let mut n = 0;
        for c in cells.into_iter().take(self.header.len()) {
            if n > 0 {
                row.push(SEP);
            }
            row.push_str(&sanitize::display(c.as_ref()));
            n += 1;
        }
        // Missing cells are blank.
        for _ in n.max(1)..self.header.len() {
            row.push(SEP);
        }
        row.shrink_to_fit();
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row after the header, each ending in a newline.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail; the text is the cells' UTF-8 and ASCII padding.
        let _ = self.write_to(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the table as `render` makes it, one line at a time.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row.split(SEP)) {
                *w = (*w).max(width(cell));
            }
        }
        let mut lines = Lines::new(widths, self.align.clone(), self.indent);
        lines.write(out, &mut self.header.iter().map(String::as_str))?;
        for row in &self.rows {
            lines.write(out, &mut row.split(SEP))?;
        }
        Ok(())
    }
}

/// A table's lines written one at a time, with column widths known beforehand: what `Table`
/// writes once it has measured its rows, and what a table too large to keep (the audit's
/// findings) writes after a first pass measured it. Cells are written as given (sanitized by
/// the caller).
pub struct Lines {
    widths: Vec<usize>,
    align: Vec<Align>,
    indent: usize,
    line: String,
}

impl Lines {
    pub fn new(widths: Vec<usize>, align: Vec<Align>, indent: usize) -> Self {
        Self {
            widths,
            align,
            indent,
            line: String::new(),
        }
    }

    /// One line: the cells padded to their columns, trailing blanks trimmed.
    pub fn write(
        &mut self,
        out: &mut impl std::io::Write,
        cells: &mut dyn Iterator<Item = &str>,
    ) -> std::io::Result<()> {
        let line = &mut self.line;
        line.clear();
        line.push_str(&" ".repeat(self.indent));
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let w = self.widths.get(i).copied().unwrap_or(0);
            let pad = " ".repeat(w.saturating_sub(width(cell)));
            match self.align.get(i).copied().unwrap_or(Align::Left) {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
        }
        let end = line.trim_end().len();
        line.truncate(end);
        line.push('\n');
        out.write_all(line.as_bytes())
    }
}

/// `s` cut to at most `max` columns, with `…` marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        // Leave one column for the ellipsis.
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The number of terminal columns `s` takes.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// A small approximation of `wcwidth`: combining marks and zero-width characters take no
/// column, East Asian wide and fullwidth characters and most emoji take two. It needs no
/// extra dependency and is right for the names tenants actually use.
fn char_width(c: char) -> usize {
    match u32::from(c) {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_without_trailing_blanks() {
        let mut t = Table::new(&["A", "COUNT", "C"]).align(1, Align::Right);
        t.row(["long value", "3", ""]);
        t.row(["x", "12", "end"]);
        assert_eq!(
            t.render(),
            "A           COUNT  C\nlong value      3\nx              12  end\n"
        );
    }

    #[test]
    fn missing_cells_are_blank_and_extra_ones_dropped() {
        // Rows are stored as one string each: the cell count must survive the round trip.
        let mut t = Table::new(&["A", "B", "C"]).align(2, Align::Right);
        t.row(["1"]);
        t.row(Vec::<String>::new());
        t.row(["x", "y", "z", "dropped"]);
        t.row(["sep\u{1f}in", "", "9"]);
        assert_eq!(t.render(), "A      B  C\n1\n\nx      y  z\nsepin     9\n");
    }

    #[test]
    fn cells_are_sanitized() {
        let mut t = Table::new(&["NAME"]);
        t.row(["evil\x1b[2Jname"]);
        assert_eq!(t.render(), "NAME\nevil[2Jname\n");
    }

    #[test]
    fn truncation_marks_the_cut_and_respects_wide_characters() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdefg", 6), "abcde…");
        assert_eq!(truncate("日本語のアプリ", 6), "日本…");
        assert_eq!(width("日本…"), 5);
    }
}
