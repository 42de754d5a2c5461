//! The key table of one database in one shard.
//!
//! A chained hash table whose chains run through the entries themselves (the
//! `next` field at the start of every [`Entry`]), so a key costs one bucket
//! pointer plus its entry, with no separate node. The table is a power of two
//! so that SCAN can use Redis's reverse-binary cursor: a key present for the
//! whole scan is returned even if the table grows or shrinks between calls.
//! Tables are per shard and therefore small, so resizing is done at once
//! rather than incrementally.

use std::ptr::{self, NonNull};

use super::entry::{Entry, EntryMut, EntryRef, Header};
use super::hash_key;

/// A hash table of owned entries.
pub struct Dict {
    table: Box<[*mut Header]>,
    len: usize,
}

// SAFETY: the table exclusively owns every entry linked in it; access is
// serialised by the shard lock that owns the Dict.
unsafe impl Send for Dict {}

impl Default for Dict {
    fn default() -> Self {
        Dict {
            table: Box::new([]),
            len: 0,
        }
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Dict {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (for `DEBUG HTSTATS`-like introspection).
    pub fn buckets(&self) -> usize {
        self.table.len()
    }

    fn mask(&self) -> usize {
        self.table.len().wrapping_sub(1)
    }

    /// The link (bucket slot or predecessor's `next`) pointing at `key`'s entry.
    fn find_link(&self, key: &[u8], hash: u64) -> Option<*mut *mut Header> {
        if self.table.is_empty() {
            return None;
        }
        let mut link =
            &self.table[hash as usize & self.mask()] as *const *mut Header as *mut *mut Header;
        // SAFETY: links point into the table or into live entries we own.
        unsafe {
            while let Some(p) = NonNull::new(*link) {
                let e = EntryRef::from_ptr(p);
                if e.key() == key {
                    return Some(link);
                }
                link = &mut (*p.as_ptr()).next;
            }
        }
        None
    }

    /// The entry for `key` as a raw pointer, for callers that decide what to
    /// do with it (read, modify or delete) after one lookup.
    pub(crate) fn find(&self, key: &[u8], hash: u64) -> Option<NonNull<Header>> {
        let link = self.find_link(key, hash)?;
        // SAFETY: find_link only returns links to live entries.
        unsafe { NonNull::new(*link) }
    }

    /// Looks a key up.
    pub fn get(&self, key: &[u8], hash: u64) -> Option<EntryRef<'_>> {
        let link = self.find_link(key, hash)?;
        // SAFETY: find_link only returns links to live entries.
        unsafe { Some(EntryRef::from_ptr(NonNull::new_unchecked(*link))) }
    }

    /// Looks a key up for modification.
    pub fn get_mut(&mut self, key: &[u8], hash: u64) -> Option<EntryMut<'_>> {
        let link = self.find_link(key, hash)?;
        // SAFETY: as in `get`; `&mut self` makes the borrow exclusive.
        unsafe { Some(EntryMut::from_ptr(NonNull::new_unchecked(*link))) }
    }

    /// Inserts `entry`, returning the entry it replaced (same key), if any.
    /// The caller passes the key's hash so it is computed once per command.
    pub fn insert(&mut self, entry: Entry, hash: u64) -> Option<Entry> {
        if let Some(link) = self.find_link(entry.as_ref().key(), hash) {
            let raw = entry.into_raw();
            // SAFETY: `link` points at the old entry, which we unlink and hand
            // back; the new entry takes its place in the chain.
            unsafe {
                let old = NonNull::new_unchecked(*link);
                EntryMut::from_ptr(raw).set_next((*old.as_ptr()).next);
                *link = raw.as_ptr();
                (*old.as_ptr()).next = ptr::null_mut();
                return Some(Entry::from_raw(old));
            }
        }
        // Load factor up to 2: chains run through the entries themselves
        // (no separate nodes), so a slightly longer chain costs one pointer
        // hop while halving the bucket array saves ~5 bytes per key.
        if self.len >= 2 * self.table.len() {
            self.resize((self.table.len() * 2).max(4));
        }
        let b = hash as usize & self.mask();
        let raw = entry.into_raw();
        // SAFETY: we own `raw`; pushing it at the head of its bucket's chain.
        unsafe { EntryMut::from_ptr(raw).set_next(self.table[b]) };
        self.table[b] = raw.as_ptr();
        self.len += 1;
        None
    }

    /// Removes and returns the entry for `key`.
    pub fn remove(&mut self, key: &[u8], hash: u64) -> Option<Entry> {
        let link = self.find_link(key, hash)?;
        // SAFETY: unlinking a live entry we own and returning ownership.
        let e = unsafe {
            let p = NonNull::new_unchecked(*link);
            *link = (*p.as_ptr()).next;
            (*p.as_ptr()).next = ptr::null_mut();
            Entry::from_raw(p)
        };
        self.len -= 1;
        if self.len == 0 {
            // Most shards of a small database are empty: they keep no table.
            self.table = Box::new([]);
        } else if self.table.len() > 4 && self.len < self.table.len() / 8 {
            self.resize((self.len * 2).next_power_of_two().max(4));
        }
        Some(e)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        for slot in self.table.iter_mut() {
            let mut p = *slot;
            *slot = ptr::null_mut();
            while let Some(nn) = NonNull::new(p) {
                // SAFETY: each chained entry is owned by the table exactly once.
                unsafe {
                    p = (*nn.as_ptr()).next;
                    drop(Entry::from_raw(nn));
                }
            }
        }
        self.table = Box::new([]);
        self.len = 0;
    }

    /// Moves every entry out (for SWAPDB-free moves and lazy freeing).
    pub fn take(&mut self) -> Dict {
        std::mem::take(self)
    }

    fn resize(&mut self, size: usize) {
        let mut new: Box<[*mut Header]> = vec![ptr::null_mut(); size].into_boxed_slice();
        let mask = size - 1;
        for slot in self.table.iter() {
            let mut p = *slot;
            while let Some(nn) = NonNull::new(p) {
                // SAFETY: relinking live entries we own into the new table.
                unsafe {
                    p = (*nn.as_ptr()).next;
                    let b = hash_key(EntryRef::from_ptr(nn).key()) as usize & mask;
                    (*nn.as_ptr()).next = new[b];
                    new[b] = nn.as_ptr();
                }
            }
        }
        self.table = new;
    }

    /// Visits every entry.
    pub fn for_each<'a>(&'a self, mut f: impl FnMut(EntryRef<'a>)) {
        for slot in self.table.iter() {
            let mut p = *slot;
            while let Some(nn) = NonNull::new(p) {
                // SAFETY: chains hold live entries.
                let e = unsafe { EntryRef::from_ptr(nn) };
                p = e.next();
                f(e);
            }
        }
    }

    /// Visits the entries of the bucket(s) at `cursor` and returns the next
    /// cursor, 0 when the scan is complete (Redis's reverse-binary SCAN).
    pub fn scan<'a>(&'a self, cursor: u64, mut f: impl FnMut(EntryRef<'a>)) -> u64 {
        if self.table.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut p = self.table[(cursor & mask) as usize];
        while let Some(nn) = NonNull::new(p) {
            // SAFETY: chains hold live entries.
            let e = unsafe { EntryRef::from_ptr(nn) };
            p = e.next();
            f(e);
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// A uniformly chosen non-empty bucket's random entry (Redis's
    /// `dictGetRandomKey` approximation), for RANDOMKEY and eviction sampling.
    pub fn random(&self, rng: &mut u64) -> Option<EntryRef<'_>> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        loop {
            let b = next_rand(rng) as usize & mask;
            let head = self.table[b];
            if head.is_null() {
                continue;
            }
            let mut chain = 0usize;
            let mut p = head;
            while let Some(nn) = NonNull::new(p) {
                chain += 1;
                // SAFETY: chains hold live entries.
                p = unsafe { (*nn.as_ptr()).next };
            }
            let mut pick = next_rand(rng) as usize % chain;
            let mut p = head;
            loop {
                // SAFETY: pick < chain length, so p is live here.
                let e = unsafe { EntryRef::from_ptr(NonNull::new_unchecked(p)) };
                if pick == 0 {
                    return Some(e);
                }
                pick -= 1;
                p = e.next();
            }
        }
    }
}

/// xorshift64*: cheap randomness for sampling, not for security.
pub fn next_rand(state: &mut u64) -> u64 {
    let mut x = *state;
    if x == 0 {
        x = 0x9E37_79B9_7F4A_7C15;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::{NewValue, ValueRef};
    use crate::store::value::StrEnc;
    use std::collections::{BTreeMap, HashSet};

    fn put(d: &mut Dict, k: &[u8], v: &[u8]) -> bool {
        d.insert(
            Entry::new(k, NewValue::Str(v, StrEnc::Raw), None),
            hash_key(k),
        )
        .is_some()
    }

    proptest::proptest! {
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((0u8..3, 0u16..300, 0u8..255), 0..2000)) {
            let mut d = Dict::default();
            let mut model = BTreeMap::new();
            for (op, k, v) in ops {
                let key = format!("k{k}").into_bytes();
                match op {
                    0 => {
                        let replaced = put(&mut d, &key, &[v]);
                        proptest::prop_assert_eq!(replaced, model.insert(key.clone(), v).is_some());
                    }
                    1 => {
                        let removed = d.remove(&key, hash_key(&key)).is_some();
                        proptest::prop_assert_eq!(removed, model.remove(&key).is_some());
                    }
                    _ => {
                        let got = d.get(&key, hash_key(&key)).map(|e| match e.value() {
                            ValueRef::Str(s, _) => s[0],
                            _ => 0,
                        });
                        proptest::prop_assert_eq!(got, model.get(&key).copied());
                    }
                }
                proptest::prop_assert_eq!(d.len(), model.len());
            }
        }
    }

    #[test]
    fn scan_survives_resizes() {
        let mut d = Dict::default();
        for i in 0..1000 {
            put(&mut d, format!("key{i}").as_bytes(), b"v");
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |e| {
                seen.insert(e.key().to_vec());
            });
            step += 1;
            // Grow and shrink the table while scanning; keys 0..500 stay.
            if step == 50 {
                for i in 1000..5000 {
                    put(&mut d, format!("key{i}").as_bytes(), b"v");
                }
            }
            if step == 300 {
                for i in 500..5000 {
                    let k = format!("key{i}");
                    d.remove(k.as_bytes(), hash_key(k.as_bytes()));
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(format!("key{i}").as_bytes()), "missed key{i}");
        }
    }

    #[test]
    fn random_returns_members() {
        let mut d = Dict::default();
        let mut rng = 1;
        assert!(d.random(&mut rng).is_none());
        for i in 0..10 {
            put(&mut d, format!("k{i}").as_bytes(), b"v");
        }
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            seen.insert(d.random(&mut rng).map(|e| e.key().to_vec()));
        }
        assert_eq!(seen.len(), 10);
    }
}
