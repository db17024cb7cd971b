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
//! characters is skipped unread, matching runs in index order (memory order) while the list
//! keeps its own sort, and membership of an ASCII word in an ASCII field is a byte scan
//! (`Quick`): a fuzzy word matches exactly when it is a subsequence, so nucleo's scoring is
//! kept for ranking fuzzy names and for the cases a scan cannot decide (non-ASCII text, which
//! normalisation may fold; anchored words, which nucleo matches past surrounding spaces).

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::directory::{Directory, EntryId};
use super::search::{NON_ASCII, char_mask, may_contain};

/// A membership test a byte scan decides as nucleo would, for an ASCII word without spaces
/// in an ASCII field. With smart case a word is case-sensitive exactly when it holds a
/// capital letter (nucleo folds the others to lower case).
#[derive(Debug, Clone)]
struct Quick {
    needle: Box<[u8]>,
    ignore_case: bool,
    /// A subsequence (fuzzy) rather than a contiguous run (`'word`, `!word`).
    gaps: bool,
}

impl Quick {
    fn of(atom: &Atom) -> Option<Self> {
        let needle: String = atom.needle_text().chars().collect();
        let gaps = match atom.kind {
            AtomKind::Fuzzy => true,
            AtomKind::Substring => false,
            _ => return None,
        };
        if needle.is_empty()
            || !needle.is_ascii()
            || needle.bytes().any(|b| b.is_ascii_whitespace())
        {
            return None;
        }
        Some(Self {
            ignore_case: !needle.bytes().any(|b| b.is_ascii_uppercase()),
            needle: needle.into_bytes().into_boxed_slice(),
            gaps,
        })
    }

    /// Whether the word matches `field` (ASCII).
    fn matches(&self, field: &[u8]) -> bool {
        let same = |h: u8, n: u8| {
            if self.ignore_case {
                h.to_ascii_lowercase() == n
            } else {
                h == n
            }
        };
        if self.gaps {
            let mut rest = self.needle.iter();
            let mut want = rest.next();
            for &h in field {
                match want {
                    Some(&n) if same(h, n) => want = rest.next(),
                    Some(_) => {}
                    None => break,
                }
            }
            want.is_none()
        } else {
            field.len() >= self.needle.len()
                && field
                    .windows(self.needle.len())
                    .any(|w| w.iter().zip(self.needle.iter()).all(|(&h, &n)| same(h, n)))
        }
    }
}

/// One word of the query: nucleo's atom, the mask of its characters and its byte scan.
#[derive(Clone)]
struct Word {
    atom: Atom,
    mask: u64,
    quick: Option<Quick>,
}

/// Below this many candidates one thread filters; above, two halves run side by side (the
/// machines credwise runs on have two cores or more, and a keystroke over 150,000 identities
/// is the one place the explorer waits on computation). Pure computation, the same result.
const SPLIT_AT: usize = 32_768;

/// A compiled filter query with its reusable match buffers.
#[derive(Clone)]
pub struct Filter {
    atoms: Vec<Word>,
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
            .map(|atom| {
                let needle: String = atom.needle_text().chars().collect();
                Word {
                    mask: char_mask(&needle),
                    quick: Quick::of(&atom),
                    atom,
                }
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
            .filter(|w| !w.atom.negative && may_contain(mask, w.mask))
            .filter_map(|w| w.atom.score(Utf32Str::new(name, buf), matcher))
            .map(u32::from)
            .sum()
    }

    /// The ids among `candidates` that match, best first: by the name's tier, then the fuzzy
    /// score, then the name.
    pub fn rank(&mut self, dir: &Directory, candidates: &[EntryId]) -> Vec<EntryId> {
        let mut scored = self.each_match(dir, candidates, |f, id| {
            let tier = Tier::of(dir.search_name(id), &f.words);
            // Within exact, prefix and substring the name decides; only fuzzy matches need
            // the score (a keystroke ranks every match: `p` matches 56% of 150,000).
            let score = if tier == Tier::Fuzzy {
                f.name_score(dir, id)
            } else {
                0
            };
            (tier, std::cmp::Reverse(score), dir.name_rank(id), id)
        });
        scored.sort_unstable();
        scored.into_iter().map(|(.., id)| id).collect()
    }

    /// `keep(self, id)` of every matching id among `candidates`, in index order (where the
    /// search text lies in memory); large sets in two halves at once.
    fn each_match<T: Send>(
        &mut self,
        dir: &Directory,
        candidates: &[EntryId],
        keep: impl Fn(&mut Filter, EntryId) -> T + Sync,
    ) -> Vec<T> {
        let mut ids = candidates.to_vec();
        ids.sort_unstable();
        let run = |f: &mut Filter, part: &[EntryId]| -> Vec<T> {
            let mut out = Vec::new();
            for &id in part {
                if f.matches(dir, id) {
                    out.push(keep(f, id));
                }
            }
            out
        };
        if ids.len() < SPLIT_AT {
            return run(self, &ids);
        }
        let (first, second) = ids.split_at(ids.len() / 2);
        let mut other = self.clone();
        std::thread::scope(|scope| {
            let later = scope.spawn(|| run(&mut other, second));
            let mut out = run(self, first);
            out.extend(
                later
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
            out
        })
    }

    /// True when every word matches (or, for `!words`, avoids) the entry's fields.
    pub fn matches(&mut self, dir: &Directory, id: EntryId) -> bool {
        let Self {
            atoms,
            matcher,
            buf,
            ..
        } = self;
        atoms.iter().all(|word| {
            let found = dir.search_fields(id).any(|(text, mask)| {
                may_contain(mask, word.mask)
                    && match &word.quick {
                        Some(quick) if mask & NON_ASCII == 0 => quick.matches(text.as_bytes()),
                        // A negative atom scores Some(0) when it does NOT match; invert that.
                        _ => {
                            let scored = word.atom.score(Utf32Str::new(text, buf), matcher);
                            scored.is_some() != word.atom.negative
                        }
                    }
            });
            found != word.atom.negative
        })
    }

    /// The ids among `candidates` that match, in the same order.
    pub fn apply(&mut self, dir: &Directory, candidates: &[EntryId]) -> Vec<EntryId> {
        let mut hit = vec![false; dir.len()];
        for id in self.each_match(dir, candidates, |_, id| id) {
            hit[id as usize] = true;
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

    /// Every string over a small alphabet with both cases and a separator, up to `len`.
    fn strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn the_byte_scan_decides_membership_exactly_as_nucleo() {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let haystacks = strings(&['a', 'b', 'B', '-'], 5);
        let mut checked = 0;
        for needle in strings(&['a', 'b', 'B', '-'], 3).iter().skip(1) {
            for query in [needle.clone(), format!("'{needle}"), format!("!{needle}")] {
                let pattern = Pattern::parse(&query, CaseMatching::Smart, Normalization::Smart);
                for atom in &pattern.atoms {
                    let quick = Quick::of(atom).expect("an ASCII fuzzy or substring word");
                    for h in &haystacks {
                        let nucleo = atom.score(Utf32Str::new(h, &mut buf), &mut matcher);
                        let matched = nucleo.is_some() != atom.negative;
                        let scanned = quick.matches(h.as_bytes());
                        if scanned != matched {
                            // nucleo 0.3.1 misses a contiguous run of a word that starts
                            // with `--` past the haystack's start (`'--a` in `b--a`); the scan
                            // is right there, and that is the only disagreement allowed.
                            let run = needle.to_lowercase() == *needle
                                && h.to_lowercase().contains(needle.as_str())
                                || h.contains(needle.as_str());
                            assert!(
                                atom.kind == AtomKind::Substring
                                    && needle.starts_with("--")
                                    && run
                                    && scanned,
                                "{query:?} in {h:?}: scan {scanned}, nucleo {matched}"
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn anchored_and_non_ascii_words_are_left_to_nucleo() {
        for query in ["^pay", "api$", "^payroll$", "café", "pay\\ roll"] {
            let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
            assert!(
                pattern.atoms.iter().all(|a| Quick::of(a).is_none()),
                "{query}"
            );
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
