//! The text the `/` filter searches, laid out for speed: every searchable field of every
//! identity (display name, object id, appId, FIC subjects and issuers) in one contiguous
//! buffer, each field with a 64-bit mask of the characters it contains. A 150,000-identity
//! tenant has over half a million fields; scattered strings made the filter wait on memory,
//! and the mask lets it skip a field that lacks one of the query's characters without
//! reading it.

/// One bit per character class: a–z (case-folded), 0–9, a few separators, any other ASCII,
/// and "not ASCII" (which always needs a real check: normalization may match `é` to `e`).
pub fn char_mask(s: &str) -> u64 {
    let mut m = 0u64;
    for b in s.bytes() {
        m |= byte_bit(b);
    }
    m
}

const OTHER_ASCII: u64 = 1 << 62;
pub const NON_ASCII: u64 = 1 << 63;

fn byte_bit(b: u8) -> u64 {
    match b {
        b'a'..=b'z' => 1 << (b - b'a'),
        b'A'..=b'Z' => 1 << (b - b'A'),
        b'0'..=b'9' => 1 << (26 + b - b'0'),
        b'-' => 1 << 36,
        b'_' => 1 << 37,
        b'.' => 1 << 38,
        b':' => 1 << 39,
        b'/' => 1 << 40,
        b'@' => 1 << 41,
        b' ' => 1 << 42,
        0x80..=0xff => NON_ASCII,
        _ => OTHER_ASCII,
    }
}

/// Whether a field with `field` mask may contain every character of a needle with `needle`
/// mask. Never false for a field that does contain them.
pub fn may_contain(field: u64, needle: u64) -> bool {
    field & NON_ASCII != 0 || needle & NON_ASCII != 0 || needle & !field == 0
}

#[derive(Debug, Clone, Default)]
pub struct SearchText {
    text: String,
    /// (start, end) byte offsets into `text`, and the field's mask.
    fields: Vec<(u32, u32, u64)>,
    /// Entry `i`'s fields are `fields[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
}

impl SearchText {
    /// Room for `entries` entries of `fields` fields and `bytes` bytes in all.
    pub fn with_capacity(entries: usize, fields: usize, bytes: usize) -> Self {
        let mut starts = Vec::with_capacity(entries + 1);
        starts.push(0);
        Self {
            text: String::with_capacity(bytes),
            fields: Vec::with_capacity(fields),
            starts,
        }
    }

    /// Adds the entry's display name: always its first field, even when empty, so `first`
    /// is the name without a trip to the scattered snapshot strings.
    pub fn push_name(&mut self, s: &str) {
        self.push(s);
    }

    /// Adds a field to the entry being built (an empty one is left out).
    pub fn push_field(&mut self, s: &str) {
        if !s.is_empty() {
            self.push(s);
        }
    }

    fn push(&mut self, s: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        self.fields
            .push((start, self.text.len() as u32, char_mask(s)));
    }

    /// Closes the entry being built.
    pub fn end_entry(&mut self) {
        self.starts.push(self.fields.len() as u32);
    }

    /// The fields of entry `i`, with their masks.
    pub fn fields(&self, i: usize) -> impl Iterator<Item = (&str, u64)> {
        let (a, b) = (self.starts[i] as usize, self.starts[i + 1] as usize);
        self.fields[a..b]
            .iter()
            .map(|&(s, e, m)| (&self.text[s as usize..e as usize], m))
    }

    /// The first field of entry `i`: its display name when the entry began with `push_name`.
    pub fn first(&self, i: usize) -> &str {
        self.fields(i).next().map(|(s, _)| s).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_reject_a_real_match() {
        let fields = [
            "payroll-api",
            "repo:fabrikam/x@1:ref",
            "café",
            "A7D388C3-5E3F",
        ];
        let needles = ["pay", "PAY", "x@1", "cafe", "a7d3", "5e3f", "fab/x"];
        for f in fields {
            for n in needles {
                let contains_all = n
                    .chars()
                    .all(|c| f.to_lowercase().contains(c.to_ascii_lowercase()));
                if contains_all {
                    assert!(may_contain(char_mask(f), char_mask(n)), "{f} / {n}");
                }
            }
        }
        assert!(!may_contain(char_mask("payroll-api"), char_mask("zz")));
        assert!(
            may_contain(char_mask("café"), char_mask("zz")),
            "non-ASCII is always checked"
        );
    }

    #[test]
    fn fields_are_grouped_by_entry() {
        let mut s = SearchText::with_capacity(3, 5, 32);
        s.push_name("");
        s.push_field("x");
        s.end_entry();
        s.push_field("a");
        s.push_field("");
        s.push_field("b");
        s.end_entry();
        s.push_field("c");
        s.end_entry();
        assert_eq!(s.first(0), "", "an empty name stays the first field");
        assert_eq!(s.fields(1).map(|(t, _)| t).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(s.first(2), "c");
    }
}
