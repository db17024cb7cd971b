//! An index from ids (object ids, appIds, ARM ids) to numbers (entries, resources, role
//! assignments) that keeps no copy of the ids: a 150,000-identity tenant has some 300,000 of
//! them, and a `HashMap<String, _>` of lower-cased copies held about 45 MB of the explorer's
//! memory. Each id is hashed (case folded, or not); the values of one id sit in one shared
//! array; a lookup hashes the id it is given.
//!
//! Exact, not probabilistic: two ids of the tenant that share a hash are found at build time
//! and kept by their text in a side map (in practice it stays empty), and a lookup checks the
//! id against the first value it found (`is_key_of`), so an id absent from the tenant whose
//! hash happens to be another's finds nothing.
//!
//! Fast to build, because the cached tenant's first screen waits for it: the hash is
//! foldhash's, seeded per index (a tenant's ids cannot be chosen to collide on every
//! machine), fed the id in blocks rather than byte by byte; and the builder collects
//! (hash, value) pairs and sorts them once, rather than growing a small list per id (on a
//! 150,000-identity tenant that was 300,000 allocations, and most of the index's time).
//!
//! Pure; may import nothing outside `std` and `foldhash` (a hash function).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use foldhash::fast::RandomState;

/// Ids → values, built once.
#[derive(Debug, Clone, Default)]
pub struct IdIndex {
    /// Hash → the id's values, `values[start..start + len]`; `COLLIDED` as start: look in
    /// `collided`.
    slots: HashMap<u64, (u32, u32), RandomState>,
    values: Vec<u32>,
    collided: HashMap<String, Vec<u32>>,
    fold_case: bool,
    /// The seed of `hash`: the builder's, so lookups hash as the build did.
    seed: RandomState,
}

const COLLIDED: u32 = u32::MAX;

/// How an id is compared: ASCII case folded (GUIDs, ARM ids) or exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Insensitive,
    Sensitive,
}

/// The id's hash with ASCII case folded: the same for two ids that differ in case only.
pub fn folded_hash(seed: &RandomState, id: &str) -> u64 {
    hash(seed, id, true)
}

/// The id's hash, case folded or not: the same for two ids exactly when their (folded) bytes
/// are (but for collisions). Folded in blocks of a small buffer: an ARM id can be long.
fn hash(seed: &RandomState, id: &str, fold_case: bool) -> u64 {
    let mut h = seed.build_hasher();
    if fold_case {
        let mut block = [0u8; 64];
        for chunk in id.as_bytes().chunks(block.len()) {
            let block = &mut block[..chunk.len()];
            block.copy_from_slice(chunk);
            block.make_ascii_lowercase();
            h.write(block);
        }
    } else {
        h.write(id.as_bytes());
    }
    h.finish()
}

fn same(a: &str, b: &str, fold_case: bool) -> bool {
    if fold_case {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn text(id: &str, fold_case: bool) -> String {
    if fold_case {
        id.to_ascii_lowercase()
    } else {
        id.to_string()
    }
}

/// What an index is built from: ids borrowed from the snapshot, never copied.
pub struct IdIndexBuilder<'a> {
    /// (hash, value, id) in the order they were added.
    added: Vec<(u64, u32, &'a str)>,
    fold_case: bool,
    seed: RandomState,
}

impl<'a> IdIndexBuilder<'a> {
    pub fn new(case: Case, capacity: usize) -> Self {
        Self {
            added: Vec::with_capacity(capacity),
            fold_case: case == Case::Insensitive,
            seed: RandomState::default(),
        }
    }

    /// Adds `value` under `id` (once: adding it again changes nothing). An empty id is not
    /// an id.
    pub fn add(&mut self, id: &'a str, value: u32) {
        if id.is_empty() {
            return;
        }
        let h = hash(&self.seed, id, self.fold_case);
        self.added.push((h, value, id));
    }

    pub fn finish(self) -> IdIndex {
        let Self {
            mut added,
            fold_case,
            seed,
        } = self;
        // Stable: each id's values stay in the order they were added.
        added.sort_by_key(|&(h, _, _)| h);
        let groups = added.chunk_by(|a, b| a.0 == b.0);
        let mut slots = HashMap::with_capacity_and_hasher(groups.clone().count(), seed.clone());
        let mut values = Vec::with_capacity(added.len());
        let mut collided: HashMap<String, Vec<u32>> = HashMap::new();
        for group in groups {
            let (h, _, first) = group[0];
            if group.iter().all(|&(_, _, id)| same(first, id, fold_case)) {
                let start = values.len();
                // Values usually come in rising order (a principal's thousands of role
                // assignments do): then a repeat can only be the last one, and the search
                // for one is left out until a value comes out of order.
                let mut rising = true;
                for &(_, v, _) in group {
                    match values[start..].last() {
                        Some(&last) if v == last => {}
                        Some(&last) if v > last && rising => values.push(v),
                        Some(&last) => {
                            if !values[start..].contains(&v) {
                                rising &= v > last;
                                values.push(v);
                            }
                        }
                        None => values.push(v),
                    }
                }
                slots.insert(h, (start as u32, (values.len() - start) as u32));
            } else {
                // Two ids, one hash: every id of that hash is kept by its text.
                for &(_, v, id) in group {
                    let vs = collided.entry(text(id, fold_case)).or_default();
                    if !vs.contains(&v) {
                        vs.push(v);
                    }
                }
                slots.insert(h, (COLLIDED, 0));
            }
        }
        values.shrink_to_fit();
        IdIndex {
            slots,
            values,
            collided,
            fold_case,
            seed,
        }
    }
}

impl IdIndex {
    /// The values of `id`. `is_key_of(value, id)` says whether `value` is indexed under
    /// `id` (the caller reads the id back from the snapshot): an id absent from the index
    /// whose hash is a present one's finds nothing.
    pub fn get(&self, id: &str, is_key_of: impl Fn(u32, &str) -> bool) -> &[u32] {
        match self.slots.get(&hash(&self.seed, id, self.fold_case)) {
            None => &[],
            Some(&(COLLIDED, _)) => self
                .collided
                .get(&text(id, self.fold_case))
                .map_or(&[], Vec::as_slice),
            Some(&(start, len)) => {
                let found = &self.values[start as usize..(start + len) as usize];
                match found.first() {
                    Some(&v) if is_key_of(v, id) => found,
                    _ => &[],
                }
            }
        }
    }

    /// How many ids share a hash with another (kept by their text).
    pub fn collisions(&self) -> usize {
        self.collided.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index over `ids` (value = position), checked by reading the id back.
    fn index(ids: &[&'static str], case: Case) -> IdIndex {
        index_of(ids, case)
    }

    fn index_of(ids: &[&str], case: Case) -> IdIndex {
        let mut b = IdIndexBuilder::new(case, ids.len());
        for (i, id) in ids.iter().enumerate() {
            b.add(id, i as u32);
        }
        b.finish()
    }

    #[test]
    fn finds_every_value_of_an_id_in_any_case_or_exactly() {
        let ids = ["AbC", "abc", "def", "", "x"];
        let ix = index(&ids, Case::Insensitive);
        let key_of = |v: u32, id: &str| ids[v as usize].eq_ignore_ascii_case(id);
        assert_eq!(ix.get("ABC", key_of), &[0, 1]);
        assert_eq!(ix.get("def", key_of), &[2]);
        assert_eq!(ix.get("", key_of), &[] as &[u32]);
        assert_eq!(ix.get("nope", key_of), &[] as &[u32]);
        let ix = index(&ids, Case::Sensitive);
        let key_of = |v: u32, id: &str| ids[v as usize] == id;
        assert_eq!(ix.get("abc", key_of), &[1]);
        assert_eq!(ix.get("ABC", key_of), &[] as &[u32]);
    }

    #[test]
    fn a_value_added_twice_under_one_id_is_kept_once() {
        let mut b = IdIndexBuilder::new(Case::Insensitive, 1);
        b.add("a", 7);
        b.add("A", 7);
        assert_eq!(b.finish().get("a", |_, _| true), &[7]);
    }

    #[test]
    fn values_added_out_of_order_keep_their_order_once_each() {
        let mut b = IdIndexBuilder::new(Case::Insensitive, 6);
        for (id, v) in [("a", 5), ("a", 1), ("A", 5), ("a", 1), ("A", 7), ("a", 3)] {
            b.add(id, v);
        }
        assert_eq!(b.finish().get("a", |_, _| true), &[5, 1, 7, 3]);
    }

    #[test]
    fn long_ids_fold_case_across_every_block_of_the_hash() {
        let upper = format!("/SUBSCRIPTIONS/{}/X", "AB".repeat(60));
        let lower = upper.to_ascii_lowercase();
        let mut other = lower.clone();
        other.replace_range(100..101, "z");
        let ids = [upper.as_str(), other.as_str()];
        let ix = index_of(&ids, Case::Insensitive);
        let key_of = |v: u32, id: &str| ids[v as usize].eq_ignore_ascii_case(id);
        assert_eq!(ix.get(&lower, key_of), &[0]);
        assert_eq!(ix.get(&other.to_ascii_uppercase(), key_of), &[1]);
    }

    #[test]
    fn ids_that_share_a_hash_are_kept_apart_by_their_text() {
        // Force a collision: another id was added under the hash "first" will have.
        let mut b = IdIndexBuilder::new(Case::Insensitive, 2);
        let h = hash(&b.seed, "first", true);
        b.added.push((h, 9, "other"));
        b.add("first", 1);
        b.add("FIRST", 2);
        let ix = b.finish();
        assert_eq!(ix.collisions(), 2);
        assert_eq!(ix.get("First", |_, _| false), &[1, 2]);
        // The first id's values moved to the side map with it.
        assert_eq!(ix.collided.get("other"), Some(&vec![9]));
    }

    #[test]
    fn an_absent_id_whose_hash_is_taken_finds_nothing() {
        let ids = ["present"];
        let mut ix = index(&ids, Case::Insensitive);
        // Pretend "absent" hashes like "present": move the slot.
        let slot = ix.slots.remove(&hash(&ix.seed, "present", true)).unwrap();
        ix.slots.insert(hash(&ix.seed, "absent", true), slot);
        let key_of = |v: u32, id: &str| ids[v as usize].eq_ignore_ascii_case(id);
        assert_eq!(ix.get("absent", key_of), &[] as &[u32]);
    }

    proptest::proptest! {
        /// Against a map of lower-cased copies (what the index replaced): the same values, in
        /// the order they were added, for ids present and absent, in any case.
        #[test]
        fn answers_as_a_map_of_lower_cased_ids_does(
            ids in proptest::collection::vec("[aAbB0-]{0,4}", 0..40),
            queries in proptest::collection::vec("[aAbBc0-]{0,4}", 0..20),
        ) {
            let mut model: HashMap<String, Vec<u32>> = HashMap::new();
            let mut b = IdIndexBuilder::new(Case::Insensitive, ids.len());
            for (i, id) in ids.iter().enumerate() {
                b.add(id, i as u32);
                if !id.is_empty() {
                    let v = model.entry(id.to_ascii_lowercase()).or_default();
                    if !v.contains(&(i as u32)) {
                        v.push(i as u32);
                    }
                }
            }
            let ix = b.finish();
            let key_of = |v: u32, id: &str| ids[v as usize].eq_ignore_ascii_case(id);
            for q in queries.iter().chain(ids.iter()) {
                let want = model.get(&q.to_ascii_lowercase()).map_or(&[][..], Vec::as_slice);
                proptest::prop_assert_eq!(ix.get(q, key_of), want, "{}", q);
            }
        }
    }
}
