//! The `/` filter: fzf-style fuzzy matching (nucleo) over each identity's display name, object
//! id, appId/clientId and FIC subjects and issuers.
//!
//! The query is split into words; every word must match at least one of the fields, so
//! `payroll prod` finds the payroll app through its name and its `…:environment:production`
//! FIC. fzf's syntax works: `'exact`, `^prefix`, `suffix$`, and `!word` excludes identities
//! where any field contains the word. Case is smart: a capital letter makes a word
//! case-sensitive.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::directory::{Directory, EntryId};

/// A compiled filter query with its reusable match buffers.
pub struct Filter {
    pattern: Pattern,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Filter {
    /// `None` for a query with no words (everything matches).
    pub fn new(query: &str) -> Option<Self> {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        if pattern.atoms.is_empty() {
            return None;
        }
        Some(Self {
            pattern,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        })
    }

    /// True when every word matches (or, for `!words`, avoids) the entry's fields.
    pub fn matches(&mut self, dir: &Directory, id: EntryId) -> bool {
        let e = dir.entry(id);
        let Self {
            pattern,
            matcher,
            buf,
        } = self;
        pattern.atoms.iter().all(|atom| {
            if atom.negative {
                // Excluded as soon as one field contains the word.
                !dir.for_each_search_text(e, |text| {
                    atom.score(Utf32Str::new(text, buf), matcher).is_none()
                })
            } else {
                dir.for_each_search_text(e, |text| {
                    atom.score(Utf32Str::new(text, buf), matcher).is_some()
                })
            }
        })
    }

    /// The ids among `candidates` that match, in the same order.
    pub fn apply(&mut self, dir: &Directory, candidates: &[EntryId]) -> Vec<EntryId> {
        candidates
            .iter()
            .copied()
            .filter(|&id| self.matches(dir, id))
            .collect()
    }
}
