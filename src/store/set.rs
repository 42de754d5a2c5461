//! Sets: an [`IntSet`] while every member is an integer and there are at
//! most `set-max-intset-entries` of them, a [`ScanTable`] otherwise (Redis
//! 7.0's `t_set.c` rules, visible through `OBJECT ENCODING`). A set never
//! converts back.

use std::borrow::Cow;

use super::intset::{parse_set_int, IntSet};
use super::scantable::ScanTable;
use super::value::Limits;

/// A set value in one of its two encodings.
#[derive(Debug, Clone)]
pub enum Set {
    /// `intset`.
    Ints(IntSet),
    /// `hashtable`.
    Table(Box<ScanTable<()>>),
}

impl Set {
    /// A new empty set suited to its first member, as Redis's
    /// `setTypeCreate`: an intset if that member is an integer.
    pub fn for_member(first: &[u8]) -> Set {
        if parse_set_int(first).is_some() {
            Set::Ints(IntSet::new())
        } else {
            Set::Table(Box::default())
        }
    }

    /// A set of `members` (unique), encoded as Redis would after loading it.
    pub fn from_members(members: Vec<Vec<u8>>, lim: &Limits) -> Set {
        let ints: Option<Vec<i64>> = if members.len() <= lim.set_intset_entries {
            members.iter().map(|m| parse_set_int(m)).collect()
        } else {
            None
        };
        match ints {
            Some(v) => {
                let mut s = IntSet::new();
                for i in v {
                    s.insert(i);
                }
                Set::Ints(s)
            }
            None => {
                let mut t = ScanTable::with_capacity(members.len());
                for m in members {
                    t.insert(&m, ());
                }
                Set::Table(Box::new(t))
            }
        }
    }

    /// `intset` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Table(t) => t.len(),
        }
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes.
    pub fn mem_usage(&self) -> usize {
        match self {
            Set::Ints(s) => s.mem_usage(),
            Set::Table(t) => t.mem_usage(),
        }
    }

    /// True if `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_set_int(m).is_some_and(|i| s.contains(i)),
            Set::Table(t) => t.contains(m),
        }
    }

    /// Adds `m`; true if it is new. Converts to `hashtable` for a
    /// non-integer member or past `set-max-intset-entries`.
    pub fn add(&mut self, m: &[u8], lim: &Limits) -> bool {
        if let Set::Ints(s) = self {
            if let Some(i) = parse_set_int(m) {
                if !s.insert(i) {
                    return false;
                }
                if s.len() > lim.set_intset_entries {
                    self.convert();
                }
                return true;
            }
            self.convert();
        }
        match self {
            Set::Table(t) => t.insert_new(m, ()),
            Set::Ints(_) => false,
        }
    }

    /// Removes `m`; true if it was a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_set_int(m).is_some_and(|i| s.remove(i)),
            Set::Table(t) => t.remove(m).is_some(),
        }
    }

    /// Converts to `hashtable`.
    pub fn convert(&mut self) {
        if let Set::Ints(s) = self {
            let mut t = ScanTable::with_capacity(s.len());
            let mut buf = itoa::Buffer::new();
            for i in s.iter() {
                t.insert(buf.format(i).as_bytes(), ());
            }
            *self = Set::Table(Box::new(t));
        }
    }

    /// Calls `f` with every member.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            Set::Ints(s) => {
                let mut buf = itoa::Buffer::new();
                for i in s.iter() {
                    f(buf.format(i).as_bytes());
                }
            }
            Set::Table(t) => {
                for (k, _) in t.iter() {
                    f(k);
                }
            }
        }
    }

    /// Every member copied out.
    pub fn members(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m| out.push(m.to_vec()));
        out
    }

    /// A uniformly random member.
    pub fn random(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Set::Ints(s) => {
                if s.is_empty() {
                    return None;
                }
                let i = s.get(crate::util::rand::below(s.len()))?;
                Some(Cow::Owned(
                    itoa::Buffer::new().format(i).as_bytes().to_vec(),
                ))
            }
            Set::Table(t) => t
                .random(&mut crate::util::rand::next_u64)
                .map(|(k, _)| Cow::Borrowed(k)),
        }
    }

    /// Removes and returns a random member.
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        let m = self.random()?.into_owned();
        self.remove(&m);
        Some(m)
    }

    /// SSCAN step: the members of the cursor's buckets (an intset whole),
    /// and the next cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        match self {
            Set::Ints(_) => {
                self.for_each(f);
                0
            }
            Set::Table(t) => t.scan(cursor, |k, _| f(k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_until_a_string_or_too_many() {
        let l = Limits {
            set_intset_entries: 3,
            ..Limits::default()
        };
        let mut s = Set::for_member(b"1");
        assert!(s.add(b"1", &l));
        assert!(!s.add(b"1", &l));
        assert!(s.add(b"2", &l) && s.add(b"-3", &l));
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"4", &l));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.contains(b"-3") && !s.contains(b"5"));
        let mut t = Set::for_member(b"1");
        t.add(b"1", &l);
        t.add(b"01", &l);
        assert_eq!(t.encoding_name(), "hashtable");
        assert!(t.contains(b"1") && t.contains(b"01"));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn pop_removes_what_it_returns() {
        let l = Limits::default();
        let mut s = Set::for_member(b"a");
        for m in ["a", "b", "c"] {
            s.add(m.as_bytes(), &l);
        }
        let mut got = Vec::new();
        while let Some(m) = s.pop() {
            assert!(!s.contains(&m));
            got.push(m);
        }
        got.sort();
        assert_eq!(got, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }
}
