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
//! Pure; may import nothing outside `std`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{DefaultHasher, Hasher};

/// Ids → values, built once.
#[derive(Debug, Clone, Default)]
pub struct IdIndex {
    /// Hash → the id's values, `values[start..start + len]`; `COLLIDED` as start: look in
    /// `collided`.
    slots: HashMap<u64, (u32, u32)>,
    values: Vec<u32>,
    collided: HashMap<String, Vec<u32>>,
    fold_case: bool,
}

const COLLIDED: u32 = u32::MAX;

/// How an id is compared: ASCII case folded (GUIDs, ARM ids) or exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Insensitive,
    Sensitive,
}

fn hash(id: &str, fold_case: bool) -> u64 {
    let mut h = DefaultHasher::new();
    for b in id.bytes() {
        h.write_u8(if fold_case { b.to_ascii_lowercase() } else { b });
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
    slots: HashMap<u64, Slot<'a>>,
    collided: HashMap<String, Vec<u32>>,
    fold_case: bool,
}

enum Slot<'a> {
    One(&'a str, Vec<u32>),
    Collided,
}

impl<'a> IdIndexBuilder<'a> {
    pub fn new(case: Case, capacity: usize) -> Self {
        Self {
            slots: HashMap::with_capacity(capacity),
            collided: HashMap::new(),
            fold_case: case == Case::Insensitive,
        }
    }

    /// Adds `value` under `id` (once: adding it again changes nothing). An empty id is not
    /// an id.
    pub fn add(&mut self, id: &'a str, value: u32) {
        if id.is_empty() {
            return;
        }
        let fold = self.fold_case;
        match self.slots.entry(hash(id, fold)) {
            Entry::Vacant(v) => {
                v.insert(Slot::One(id, vec![value]));
            }
            Entry::Occupied(mut o) => match o.get_mut() {
                Slot::One(first, values) if same(first, id, fold) => {
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
                Slot::One(first, values) => {
                    // Two ids, one hash: both are kept by their text from now on.
                    self.collided
                        .insert(text(first, fold), std::mem::take(values));
                    self.collided.insert(text(id, fold), vec![value]);
                    o.insert(Slot::Collided);
                }
                Slot::Collided => {
                    let values = self.collided.entry(text(id, fold)).or_default();
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
            },
        }
    }

    pub fn finish(self) -> IdIndex {
        let mut slots = HashMap::with_capacity(self.slots.len());
        let mut values = Vec::with_capacity(self.slots.len());
        for (h, slot) in self.slots {
            match slot {
                Slot::One(_, v) => {
                    slots.insert(h, (values.len() as u32, v.len() as u32));
                    values.extend(v);
                }
                Slot::Collided => {
                    slots.insert(h, (COLLIDED, 0));
                }
            }
        }
        IdIndex {
            slots,
            values,
            collided: self.collided,
            fold_case: self.fold_case,
        }
    }
}

impl IdIndex {
    /// The values of `id`. `is_key_of(value, id)` says whether `value` is indexed under
    /// `id` (the caller reads the id back from the snapshot): an id absent from the index
    /// whose hash is a present one's finds nothing.
    pub fn get(&self, id: &str, is_key_of: impl Fn(u32, &str) -> bool) -> &[u32] {
        match self.slots.get(&hash(id, self.fold_case)) {
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
    fn ids_that_share_a_hash_are_kept_apart_by_their_text() {
        // Force a collision: the builder's slot for one hash holds another id already.
        let mut b = IdIndexBuilder::new(Case::Insensitive, 2);
        let h = hash("first", true);
        b.slots.insert(h, Slot::One("other", vec![9]));
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
        let slot = ix.slots.remove(&hash("present", true)).unwrap();
        ix.slots.insert(hash("absent", true), slot);
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
