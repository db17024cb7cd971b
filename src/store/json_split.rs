//! Cuts a JSON document, read in blocks, into pieces that parse on their own: the elements of
//! its large top-level arrays in batches (`[e1,e2,…]`), and the rest of the document with
//! those arrays left empty. A snapshot file is one object whose lists (applications, service
//! principals, …) hold nearly all of its bytes; parsed this way, the batches parse from
//! memory on several threads while the file is still being read, and no more than a few
//! batches are ever held as bytes (a 150,000-identity tenant is 200 MB of JSON).
//!
//! The splitter only finds where values begin and end: strings (with their escapes), and the
//! nesting of objects and arrays. It validates nothing else, and it need not: the pieces are
//! parsed by serde_json, which does. What it guarantees is the other half: when the pieces
//! all parse, so does the whole document, to the same values. The rest keeps every byte but
//! the arrays' contents; a batch holds whole elements cut at the commas between them; an
//! array cut into batches whose last one is empty (a trailing comma: `[{…},]`) is reported
//! as not splittable. When the document is not even well nested (`Split::finish` says so) or
//! a piece does not parse, the caller parses the file whole, as before, for the exact error.
//!
//! Pure: bytes in, bytes out; no file, no thread.

/// A batch of one list's elements, as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Which of the splitter's `lists` the elements belong to.
    pub list: usize,
    pub bytes: Vec<u8>,
}

/// Where a byte that is not in a string sends the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    /// In the root object, waiting for a member's name.
    Key,
    /// A member's name was read; waiting for the `:` (`Some`: the name is a list's).
    Colon(Option<usize>),
    /// After the `:`; waiting for the value (`Some`: the name is a list's).
    Value(Option<usize>),
    /// In a value, or between a value and the next `,`.
    Other,
}

/// The scan of one document.
#[derive(Debug)]
pub struct Split<'l> {
    lists: &'l [&'l str],
    target: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    member: Member,
    /// The member name being read (`in_string` at depth 1, `Member::Key`).
    key: Option<Vec<u8>>,
    /// Inside which list's array the scan is (its elements are at depth 2).
    list: Option<usize>,
    batch: Vec<u8>,
    /// The current array was cut at least once: its last batch must not be empty.
    cut: bool,
    rest: Vec<u8>,
    broken: bool,
}

/// The document is not well nested: a string or a value does not end, or ends twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSplittable;

impl<'l> Split<'l> {
    /// A scan that cuts the arrays of the root object's members named in `lists` into
    /// batches of about `target` bytes.
    pub fn new(lists: &'l [&'l str], target: usize) -> Self {
        Self {
            lists,
            target: target.max(1),
            depth: 0,
            in_string: false,
            escaped: false,
            member: Member::Other,
            key: None,
            list: None,
            batch: Vec::new(),
            cut: false,
            rest: Vec::new(),
            broken: false,
        }
    }

    /// Scans the next block of the document, handing each batch that is complete to `emit`.
    pub fn feed(&mut self, block: &[u8], emit: &mut impl FnMut(Batch)) {
        // Bytes from `from` on belong where the scan is: the current batch inside a list's
        // array, the rest elsewhere. They are copied in runs, not byte by byte.
        let mut from = 0;
        let mut i = 0;
        while i < block.len() {
            if self.in_string && !self.escaped && self.key.is_none() {
                // Most of a snapshot's bytes are in strings: skip to where one may end.
                match memchr::memchr2(b'"', b'\\', &block[i..]) {
                    Some(n) => i += n,
                    None => break,
                }
            }
            let b = block[i];
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                    if let Some(key) = &mut self.key {
                        // An escaped name is never a list's (they are named plainly): it
                        // stays in the rest, where serde reads it.
                        key.push(0);
                    }
                } else if b == b'"' {
                    self.in_string = false;
                    if let Some(key) = self.key.take() {
                        let list = self.lists.iter().position(|l| l.as_bytes() == key);
                        self.member = Member::Colon(list);
                    }
                } else if let Some(key) = &mut self.key {
                    key.push(b);
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 && self.member == Member::Key {
                        self.key = Some(Vec::new());
                    } else {
                        self.value_starts();
                    }
                }
                b'{' | b'[' => {
                    let opens_list = match self.member {
                        Member::Value(Some(list)) if self.depth == 1 && b == b'[' => Some(list),
                        _ => None,
                    };
                    self.value_starts();
                    // Saturating: a file of four billion `[` must not overflow the count (it
                    // is refused by the parser, as anything nested past 128 levels is).
                    self.depth = self.depth.saturating_add(1);
                    if self.depth == 1 {
                        self.member = Member::Key;
                    }
                    if let Some(list) = opens_list {
                        // The `[` stays in the rest; the elements go to batches.
                        self.rest.extend_from_slice(&block[from..=i]);
                        from = i + 1;
                        self.list = Some(list);
                        self.cut = false;
                        self.start_batch();
                    }
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        self.broken = true;
                    }
                    if self.depth == 2
                        && let Some(list) = self.list.take()
                    {
                        self.batch.extend_from_slice(&block[from..i]);
                        from = i;
                        self.end_batch(list, true, emit);
                    }
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 1 {
                        self.member = Member::Other;
                    }
                }
                b',' => {
                    if self.depth == 1 {
                        self.member = Member::Key;
                    } else if self.depth == 2
                        && let Some(list) = self.list
                        && self.batch.len() + (i - from) >= self.target
                    {
                        self.batch.extend_from_slice(&block[from..i]);
                        from = i + 1;
                        self.end_batch(list, false, emit);
                        self.cut = true;
                        self.start_batch();
                    }
                }
                b':' => {
                    if self.depth == 1
                        && let Member::Colon(list) = self.member
                    {
                        self.member = Member::Value(list);
                    }
                }
                b' ' | b'\t' | b'\n' | b'\r' => {}
                _ => self.value_starts(),
            }
            i += 1;
        }
        let tail = &block[from..];
        if self.list.is_some() {
            self.batch.extend_from_slice(tail);
        } else {
            self.rest.extend_from_slice(tail);
        }
    }

    /// A value of the root object begins: if the member was a list's, it is not an array
    /// and stays in the rest.
    fn value_starts(&mut self) {
        if self.depth == 1
            && let Member::Value(_) = self.member
        {
            self.member = Member::Other;
        }
    }

    fn start_batch(&mut self) {
        self.batch = Vec::with_capacity(self.target + self.target / 8 + 2);
        self.batch.push(b'[');
    }

    /// Hands the batch on, at a `,` or at the array's `]` (`closing`). A batch with no
    /// element is not handed on; it is fine only as a whole empty array (`[]`): anywhere
    /// else (`[ , 1]`, `[1, ]` cut at the comma) the document does not parse, though every
    /// other piece would.
    fn end_batch(&mut self, list: usize, closing: bool, emit: &mut impl FnMut(Batch)) {
        let mut bytes = std::mem::take(&mut self.batch);
        if bytes[1..].iter().all(u8::is_ascii_whitespace) {
            if !closing || self.cut {
                self.broken = true;
            }
            return;
        }
        bytes.push(b']');
        emit(Batch { list, bytes });
    }

    /// The rest of the document: every byte but the lists' elements, so the lists read as
    /// empty arrays. `NotSplittable` when the document does not end where its root value
    /// does, inside a string, or with a list's array cut badly.
    pub fn finish(self) -> Result<Vec<u8>, NotSplittable> {
        if self.broken || self.in_string || self.depth != 0 || self.list.is_some() {
            return Err(NotSplittable);
        }
        Ok(self.rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const LISTS: &[&str] = &["a", "b"];

    /// Splits `doc` fed in blocks of `block` bytes with batches of about `target` bytes.
    fn split(
        doc: &[u8],
        block: usize,
        target: usize,
    ) -> Result<(Vec<Batch>, Vec<u8>), NotSplittable> {
        let mut s = Split::new(LISTS, target);
        let mut batches = Vec::new();
        for chunk in doc.chunks(block.max(1)) {
            s.feed(chunk, &mut |b| batches.push(b));
        }
        s.finish().map(|rest| (batches, rest))
    }

    /// The document the pieces stand for: the rest with each list's batches put back.
    fn join(batches: &[Batch], rest: &[u8]) -> Value {
        let mut doc: Value = serde_json::from_slice(rest).unwrap();
        for b in batches {
            let elements: Vec<Value> = serde_json::from_slice(&b.bytes).unwrap();
            doc[LISTS[b.list]].as_array_mut().unwrap().extend(elements);
        }
        doc
    }

    #[test]
    fn lists_come_out_in_batches_and_the_rest_keeps_everything_else() {
        let doc = br#"{"x": {"a": [9]}, "a": [{"s": "],\"["}, 2, [3, {"t": 4}], "}"], "b": [],
            "c": [1, 2], "n": null}"#;
        for block in [1, 2, 3, 7, 64, 4096] {
            for target in [1, 5, 1 << 20] {
                let (batches, rest) = split(doc, block, target).unwrap();
                assert_eq!(
                    join(&batches, &rest),
                    serde_json::from_slice::<Value>(doc).unwrap()
                );
                let rest: Value = serde_json::from_slice(&rest).unwrap();
                assert_eq!(rest["a"], serde_json::json!([]), "{block} {target}");
                assert_eq!(
                    rest["x"]["a"],
                    serde_json::json!([9]),
                    "nested names are not lists"
                );
                assert_eq!(rest["c"], serde_json::json!([1, 2]));
                let first: Vec<_> = batches.iter().filter(|b| b.list == 0).collect();
                if target == 1 {
                    assert_eq!(first.len(), 4, "one element a batch");
                } else if target > 1000 {
                    assert_eq!(first.len(), 1);
                }
                assert!(
                    batches.iter().all(|b| b.list == 0),
                    "an empty list has no batch"
                );
            }
        }
    }

    #[test]
    fn a_list_that_is_not_an_array_stays_in_the_rest() {
        let (batches, rest) = split(b"{\"a\": null, \"b\": [1]}", 2, 1).unwrap();
        assert_eq!(
            batches,
            [Batch {
                list: 1,
                bytes: b"[1]".to_vec()
            }]
        );
        assert_eq!(rest, b"{\"a\": null, \"b\": []}");
        let (batches, rest) = split(br#"{"a" : "[1,2]", "b":{"a":[1]}}"#, 3, 1).unwrap();
        assert!(batches.is_empty());
        assert_eq!(rest, br#"{"a" : "[1,2]", "b":{"a":[1]}}"#);
    }

    #[test]
    fn an_escaped_member_name_is_never_taken_for_a_list() {
        let doc = br#"{"\u0061": [1, 2], "a\"": [3]}"#;
        let (batches, rest) = split(doc, 5, 1).unwrap();
        assert!(batches.is_empty());
        assert_eq!(rest, doc);
    }

    #[test]
    fn documents_that_do_not_end_well_are_not_splittable() {
        for doc in [
            &br#"{"a": [1, 2"#[..],
            br#"{"a": "x}"#,
            br#"{"a": [1]}}"#,
            br#"]"#,
            br#"{"a": [1, 2, ]}"#,
        ] {
            assert_eq!(split(doc, 3, 1).map(|_| ()), Err(NotSplittable), "{doc:?}");
        }
        // A trailing comma in an array not cut before it is left to the parser of the batch.
        let (batches, _) = split(br#"{"a": [1, 2, ]}"#, 64, 1 << 20).unwrap();
        assert!(serde_json::from_slice::<Value>(&batches[0].bytes).is_err());
    }

    proptest::proptest! {
        /// Any document, fed in any blocks and cut into any batch size: every piece parses
        /// exactly when the document does, and the pieces put back are the document.
        #[test]
        fn the_pieces_parse_exactly_when_the_document_does(
            doc in proptest::string::string_regex(
                r#"\{( ?"[abc\\"]{0,2}" ?: ?(\[( ?(1|"[],\\"\[{}]{0,3}"|\{"a":\[2\]\}|\[\]) ?,?){0,4}\]|null|"x") ?,?){0,4}\}?"#
            ).unwrap(),
            block in 1usize..16,
            target in 1usize..24,
        ) {
            let whole = serde_json::from_slice::<Value>(doc.as_bytes());
            match split(doc.as_bytes(), block, target) {
                Err(NotSplittable) => {}
                Ok((batches, rest)) => {
                    let pieces_parse = serde_json::from_slice::<Value>(&rest)
                        .is_ok_and(|r| r.is_object())
                        && batches.iter().all(|b| {
                            serde_json::from_slice::<Vec<Value>>(&b.bytes).is_ok()
                        });
                    if pieces_parse {
                        let whole = whole.as_ref().map_err(|e| e.to_string());
                        proptest::prop_assert!(whole.is_ok(), "{doc}: {whole:?}");
                        // serde_json keeps the last of two members of one name; a snapshot's
                        // reader refuses them, so only unique names are compared.
                        let rest: Value = serde_json::from_slice(&rest).unwrap();
                        let names = doc.matches("\":").count();
                        if rest.as_object().unwrap().len() == names {
                            let rest = serde_json::to_vec(&rest).unwrap();
                            proptest::prop_assert_eq!(
                                join(&batches, &rest),
                                whole.unwrap().clone()
                            );
                        }
                    }
                }
            }
        }
    }
}
