//! The `/` filter: fzf-style fuzzy matching (nucleo) over each identity's display name, object
//! id, appId/clientId and FIC subjects and issuers.
//!
//! The query is split into words; every word must match at least one of the fields, so
//! `payroll prod` finds the payroll app through its name and its `…:environment:production`
//! FIC. fzf's syntax works: `'exact`, `^prefix`, `suffix$`, and `!word` excludes identities
//! where any field contains the word. Case is smart: a capital letter makes a word
//! case-sensitive.
//!
//! Speed (150,000 identities, one keystroke well under a frame): fields come from the
//! directory's contiguous search text, a field whose character mask lacks one of a word's
//! characters is skipped unread, and matching runs in index order (memory order) while the
//! list keeps its own sort.

use nucleo_matcher::pattern::{Atom, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::directory::{Directory, EntryId};
use super::search::{char_mask, may_contain};

/// A compiled filter query with its reusable match buffers.
pub struct Filter {
    atoms: Vec<(Atom, u64)>,
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
        let atoms = pattern
            .atoms
            .into_iter()
            .map(|a| {
                let needle: String = a.needle_text().chars().collect();
                let mask = char_mask(&needle);
                (a, mask)
            })
            .collect();
        Some(Self {
            atoms,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        })
    }

    /// True when every word matches (or, for `!words`, avoids) the entry's fields.
    pub fn matches(&mut self, dir: &Directory, id: EntryId) -> bool {
        let Self {
            atoms,
            matcher,
            buf,
        } = self;
        atoms.iter().all(|(atom, needle)| {
            let mut hit = dir.search_fields(id).any(|(text, mask)| {
                may_contain(mask, *needle) && {
                    // A negative atom scores Some(0) when it does NOT match; invert that.
                    let scored = atom.score(Utf32Str::new(text, buf), matcher).is_some();
                    scored != atom.negative
                }
            });
            if atom.negative {
                hit = !hit;
            }
            hit
        })
    }

    /// The ids among `candidates` that match, in the same order. Matching runs in index order
    /// (where the search text lies in memory), then the candidates' order is restored.
    pub fn apply(&mut self, dir: &Directory, candidates: &[EntryId]) -> Vec<EntryId> {
        let mut in_memory_order = candidates.to_vec();
        in_memory_order.sort_unstable();
        let mut hit = vec![false; dir.len()];
        for id in in_memory_order {
            if self.matches(dir, id) {
                hit[id as usize] = true;
            }
        }
        candidates
            .iter()
            .copied()
            .filter(|&id| hit[id as usize])
            .collect()
    }
}
