//! `SharedStr`: text that many objects of a tenant repeat — a role definition id, a scope, the
//! tenant that owns an application, a resource type — held once and shared.
//!
//! A 150,000-identity tenant repeats a few hundred role definition ids (138 bytes each) over
//! 80,000 role assignments, and a few dozen owner tenant ids over 100,000 service principals.
//! As `String`s, every copy is an allocation of its own: tens of megabytes. A `SharedStr` is an
//! `Arc<str>`; `Sharing` makes equal texts of a snapshot point at one copy: while a snapshot
//! is read (`Sharing::while_reading`, so a repeated text is never allocated twice) and after
//! it is assembled from pages (`TenantSnapshot::compact`). It reads, compares, hashes,
//! orders, prints and serializes as the text it holds, so code and files see a string.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Text shared by every object that repeats it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is the very copy this one points at (not just equal text).
    pub fn same_copy(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Equal texts made one: each text seen first is kept, and later equal ones point at it.
#[derive(Debug, Default)]
pub struct Sharing(HashSet<Arc<str>, foldhash::fast::RandomState>);

impl Sharing {
    /// `s`, pointing at the copy of its text seen first.
    pub fn share(&mut self, s: &mut SharedStr) {
        match self.0.get(&*s.0) {
            Some(first) => {
                if !Arc::ptr_eq(first, &s.0) {
                    s.0 = first.clone();
                }
            }
            None => {
                self.0.insert(s.0.clone());
            }
        }
    }

    /// `text` as a `SharedStr`: the copy seen first, or a new one kept for later.
    fn text(&mut self, text: &str) -> SharedStr {
        match self.0.get(text) {
            Some(first) => SharedStr(first.clone()),
            None => {
                let new: Arc<str> = text.into();
                self.0.insert(new.clone());
                SharedStr(new)
            }
        }
    }

    /// Runs `read`, sharing the texts of every `SharedStr` it deserializes on this thread:
    /// a file's repeated texts are allocated once, not once each and then shared. Within an
    /// outer `while_reading`, the outer sharing goes on.
    pub fn while_reading<T>(read: impl FnOnce() -> T) -> T {
        /// Ends the sharing when `read` returns or unwinds.
        struct Done(bool);
        impl Drop for Done {
            fn drop(&mut self) {
                if self.0 {
                    READING.with(|r| r.borrow_mut().take());
                }
            }
        }
        let started = READING.with(|r| {
            let mut r = r.borrow_mut();
            let start = r.is_none();
            if start {
                *r = Some(Sharing::default());
            }
            start
        });
        let _done = Done(started);
        read()
    }

    pub fn share_option(&mut self, s: &mut Option<SharedStr>) {
        if let Some(s) = s {
            self.share(s);
        }
    }

    /// How many distinct texts it has seen.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        Self(s.into())
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        Self(s.into())
    }
}

impl From<SharedStr> for serde_json::Value {
    fn from(s: SharedStr) -> Self {
        serde_json::Value::String(s.0.to_string())
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == *other.0
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

thread_local! {
    /// The sharing of the `Sharing::while_reading` running on this thread, if any.
    static READING: RefCell<Option<Sharing>> = const { RefCell::new(None) };
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Visitor)
    }
}

/// Reads a string without a copy of its own: the text is looked up in the sharing first.
struct Visitor;

impl serde::de::Visitor<'_> for Visitor {
    type Value = SharedStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SharedStr, E> {
        Ok(READING.with(|r| match r.borrow_mut().as_mut() {
            Some(sharing) => sharing.text(v),
            None => SharedStr::from(v),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_point_at_the_first_copy_and_others_stay_apart() {
        let mut sharing = Sharing::default();
        let mut a = SharedStr::from("Reader");
        let mut b = SharedStr::from(String::from("Reader"));
        let mut c = SharedStr::from("Owner");
        assert!(!Arc::ptr_eq(&a.0, &b.0));
        for s in [&mut a, &mut b, &mut c] {
            sharing.share(s);
        }
        assert!(Arc::ptr_eq(&a.0, &b.0), "equal texts share one copy");
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert_eq!((a.as_str(), c.as_str()), ("Reader", "Owner"));
        assert_eq!(sharing.len(), 2);
    }

    #[test]
    fn it_reads_compares_and_serializes_as_its_text() {
        let s = SharedStr::from("/subscriptions/x");
        assert_eq!(s, "/subscriptions/x");
        assert_eq!(*"/subscriptions/x", s);
        assert_eq!(s, String::from("/subscriptions/x"));
        assert!(s.starts_with("/subscriptions"));
        assert_eq!(
            format!("{s} {s:?}"),
            "/subscriptions/x \"/subscriptions/x\""
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"/subscriptions/x\"");
        let back: SharedStr = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let escaped: SharedStr = serde_json::from_str(r#""a\"b""#).unwrap();
        assert_eq!(escaped, "a\"b");
        assert!(serde_json::from_str::<SharedStr>("3").is_err());
    }

    #[test]
    fn texts_read_together_are_shared_and_reading_ends_with_the_call() {
        let json = r#"["Reader", "Owner", "Reader", "Reader"]"#;
        let read: Vec<SharedStr> = Sharing::while_reading(|| {
            // A nested read goes on sharing with the outer one.
            let inner: Vec<SharedStr> =
                Sharing::while_reading(|| serde_json::from_str(r#"["Reader"]"#).unwrap());
            let mut v: Vec<SharedStr> = serde_json::from_str(json).unwrap();
            v.extend(inner);
            v
        });
        assert!(read[0].same_copy(&read[2]) && read[0].same_copy(&read[3]));
        assert!(read[0].same_copy(&read[4]), "the nested read shared too");
        assert!(!read[0].same_copy(&read[1]));
        // Outside, each string read is its own copy again.
        let apart: Vec<SharedStr> = serde_json::from_str(json).unwrap();
        assert!(!apart[0].same_copy(&apart[2]));
        // A read that panics ends the sharing too.
        let _ = std::panic::catch_unwind(|| Sharing::while_reading(|| panic!("bad file")));
        let apart: Vec<SharedStr> = serde_json::from_str(json).unwrap();
        assert!(!apart[0].same_copy(&apart[2]));
    }
}
