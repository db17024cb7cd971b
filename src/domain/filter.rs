//! The `/` filter: fzf-style fuzzy matching (nucleo) over each identity's display name, object
//! id, appId/clientId and FIC subjects and issuers.
//!
//! The query is split into words; every word must match at least one of the fields, so
//! `payroll prod` finds the payroll app through its name and its `…:environment:production`
//! FIC. fzf's syntax works: `'exact`, `^prefix`, `suffix$`, and `!word` excludes identities
//! where any field contains the word. Case is smart: a capital letter makes a word
//! case-sensitive.
//!
//! Ranking (`Filter::rank`): the best matches first. The display name decides the tier —
//! the name is the query (exact), starts with it (prefix), contains it (substring), or only
//! the fuzzy match holds — then, among fuzzy matches, the name's fuzzy score (nucleo's,
//! summed over the words), then the name. So `/payroll` lists `payroll` and `payroll-api` before
//! `aa-assets-payroll-admin-dev-3`. `highlights` gives the characters of a shown name that a
//! query matched, for the list to mark them.
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
    /// The positive words joined by one space, lower case: what the name tiers compare.
    words: String,
}

/// How well the display name matches the whole query; lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Exact,
    Prefix,
    Substring,
    Fuzzy,
}

impl Tier {
    /// The tier of `name` for the lower-case query `words`.
    pub fn of(name: &str, words: &str) -> Tier {
        if words.is_empty() {
            return Tier::Fuzzy;
        }
        // Without allocating for the usual ASCII names: a keystroke ranks every match.
        if name.is_ascii() && words.is_ascii() {
            let (n, w) = (name.as_bytes(), words.as_bytes());
            return if n.eq_ignore_ascii_case(w) {
                Tier::Exact
            } else if n.len() > w.len() && n[..w.len()].eq_ignore_ascii_case(w) {
                Tier::Prefix
            } else if n.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)) {
                Tier::Substring
            } else {
                Tier::Fuzzy
            };
        }
        let name = name.to_lowercase();
        if name == words {
            Tier::Exact
        } else if name.starts_with(words) {
            Tier::Prefix
        } else if name.contains(words) {
            Tier::Substring
        } else {
            Tier::Fuzzy
        }
    }
}

impl Filter {
    /// `None` for a query with no words (everything matches).
    pub fn new(query: &str) -> Option<Self> {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        if pattern.atoms.is_empty() {
            return None;
        }
        let words = pattern
            .atoms
            .iter()
            .filter(|a| !a.negative)
            .map(|a| a.needle_text().chars().collect::<String>().to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
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
            words,
        })
    }

    /// How well the entry's display name (its first search field) matches the positive
    /// words: the sum of their scores there, 0 for a word matched only in another field. Only
    /// for entries `matches` accepted: membership stays the short-circuiting check.
    fn name_score(&mut self, dir: &Directory, id: EntryId) -> u32 {
        let Self {
            atoms,
            matcher,
            buf,
            ..
        } = self;
        let Some((name, mask)) = dir.search_fields(id).next() else {
            return 0;
        };
        atoms
            .iter()
            .filter(|(atom, needle)| !atom.negative && may_contain(mask, *needle))
            .filter_map(|(atom, _)| atom.score(Utf32Str::new(name, buf), matcher))
            .map(u32::from)
            .sum()
    }

    /// The ids among `candidates` that match, best first: by the name's tier, then the fuzzy
    /// score, then the name.
    pub fn rank(&mut self, dir: &Directory, candidates: &[EntryId]) -> Vec<EntryId> {
        let mut in_memory_order = candidates.to_vec();
        in_memory_order.sort_unstable();
        let mut scored: Vec<(Tier, std::cmp::Reverse<u32>, u32, EntryId)> = Vec::new();
        for id in in_memory_order {
            if self.matches(dir, id) {
                let tier = Tier::of(dir.display_name_of(dir.entry(id)), &self.words);
                // Within exact, prefix and substring the name decides; only fuzzy matches need
                // the score (a keystroke ranks every match: `p` matches 56% of 150,000).
                let score = if tier == Tier::Fuzzy {
                    self.name_score(dir, id)
                } else {
                    0
                };
                scored.push((tier, std::cmp::Reverse(score), dir.name_rank(id), id));
            }
        }
        scored.sort_unstable();
        scored.into_iter().map(|(.., id)| id).collect()
    }

    /// True when every word matches (or, for `!words`, avoids) the entry's fields.
    pub fn matches(&mut self, dir: &Directory, id: EntryId) -> bool {
        let Self {
            atoms,
            matcher,
            buf,
            ..
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

/// Marks what a query matched in the names a list shows: the query parsed and the matcher
/// made once per frame (nucleo's matcher holds sizeable buffers), then `of` per row.
pub struct Highlighter {
    atoms: Vec<Atom>,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Highlighter {
    pub fn new(query: &str) -> Self {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        Self {
            atoms: pattern.atoms.into_iter().filter(|a| !a.negative).collect(),
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }

    /// The character positions of `shown` (a name as the list shows it) that the query's
    /// words match, sorted and without repeats; empty for an empty query.
    pub fn of(&mut self, shown: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for atom in &self.atoms {
            atom.indices(
                Utf32Str::new(shown, &mut self.buf),
                &mut self.matcher,
                &mut out,
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `Highlighter::new(query).of(shown)`, for one name.
pub fn highlights(query: &str, shown: &str) -> Vec<u32> {
    Highlighter::new(query).of(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_of_a_name() {
        for (name, words, tier) in [
            ("payroll", "payroll", Tier::Exact),
            ("Payroll", "payroll", Tier::Exact),
            ("payroll-api", "payroll", Tier::Prefix),
            ("app-payroll-api", "payroll", Tier::Substring),
            ("pay-roll", "payroll", Tier::Fuzzy),
            ("anything", "", Tier::Fuzzy),
        ] {
            assert_eq!(Tier::of(name, words), tier, "{name} / {words}");
        }
    }

    #[test]
    fn highlights_mark_the_matched_characters() {
        assert_eq!(
            highlights("payroll", "app-payroll-api"),
            (4..11).collect::<Vec<u32>>()
        );
        assert_eq!(highlights("'api !prod", "payroll-api"), vec![8, 9, 10]);
        assert!(highlights("", "payroll-api").is_empty());
        assert!(highlights("zzz", "payroll-api").is_empty());
    }
}
