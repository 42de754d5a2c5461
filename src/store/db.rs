//! One database's keys within one shard, with its expiry index.
//!
//! Keys with a TTL are also listed in `volatile`, a vector of pointers to
//! their entries (each entry stores its index there, so removal is O(1)). The
//! active expiry cycle samples it uniformly, which stays cheap however few of
//! the keys have a TTL: the role Redis's separate `expires` dict plays, at
//! 8 bytes per volatile key instead of a dict entry.

use std::ptr::NonNull;

use super::dict::{next_rand, Dict};
use super::entry::{Entry, EntryMut, EntryRef, Header};

/// Keys of one database in one shard.
#[derive(Default)]
pub struct Db {
    dict: Dict,
    volatile: Vec<NonNull<Header>>,
}

// SAFETY: `volatile` points only into entries owned by `dict`; both move and
// are accessed together under the shard lock.
unsafe impl Send for Db {}

/// What the lazy-expiry check found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// No such key.
    Missing,
    /// The key had expired and was deleted now.
    Expired,
    /// The key exists.
    Live,
}

impl Db {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The key table, for scans and iteration.
    pub fn dict(&self) -> &Dict {
        &self.dict
    }

    /// The entry for `key`, expired or not.
    pub fn get(&self, key: &[u8], hash: u64) -> Option<EntryRef<'_>> {
        self.dict.get(key, hash)
    }

    /// The entry for `key` for modification, expired or not.
    pub fn get_mut(&mut self, key: &[u8], hash: u64) -> Option<EntryMut<'_>> {
        self.dict.get_mut(key, hash)
    }

    /// Finds `key` with one table lookup, deleting it instead if its TTL has
    /// passed at `now_ms`.
    pub fn lookup(&mut self, key: &[u8], hash: u64, now_ms: i64) -> (Lookup, Option<EntryMut<'_>>) {
        let Some(p) = self.dict.find(key, hash) else {
            return (Lookup::Missing, None);
        };
        // SAFETY: `p` is a live entry of `dict`, and `&mut self` gives us
        // exclusive access to it until the returned borrow ends.
        let expired = unsafe { EntryRef::from_ptr(p) }
            .expire()
            .is_some_and(|w| w <= now_ms);
        if expired {
            self.remove(key, hash);
            return (Lookup::Expired, None);
        }
        // SAFETY: as above; the entry was not removed.
        (Lookup::Live, Some(unsafe { EntryMut::from_ptr(p) }))
    }

    /// Deletes `key` if its TTL has passed at `now_ms`, reporting what it found.
    pub fn expire_if_needed(&mut self, key: &[u8], hash: u64, now_ms: i64) -> Lookup {
        match self.dict.get(key, hash) {
            None => Lookup::Missing,
            Some(e) => match e.expire() {
                Some(when) if when <= now_ms => {
                    self.remove(key, hash);
                    Lookup::Expired
                }
                _ => Lookup::Live,
            },
        }
    }

    /// Stores `entry`, replacing any entry of the same key (returned).
    pub fn insert(&mut self, entry: Entry, hash: u64) -> Option<Entry> {
        let raw = entry.raw();
        let volatile = entry.as_ref().expire().is_some();
        let old = self.dict.insert(entry, hash);
        if let Some(idx) = old.as_ref().and_then(|o| o.as_ref().volatile_idx()) {
            self.volatile_remove(idx);
        }
        if volatile {
            self.volatile_add(raw);
        }
        old
    }

    /// Removes `key`, returning its entry.
    pub fn remove(&mut self, key: &[u8], hash: u64) -> Option<Entry> {
        let old = self.dict.remove(key, hash)?;
        if let Some(idx) = old.as_ref().volatile_idx() {
            self.volatile_remove(idx);
        }
        Some(old)
    }

    /// Sets or clears the expiry of an existing key. Returns false if absent.
    pub fn set_expire(&mut self, key: &[u8], hash: u64, expire: Option<i64>) -> bool {
        let Some(e) = self.dict.get(key, hash) else {
            return false;
        };
        match (e.expire(), expire) {
            (None, None) => return true,
            (Some(_), Some(when)) => {
                if let Some(mut m) = self.dict.get_mut(key, hash) {
                    m.set_expire_in_place(when);
                }
                return true;
            }
            _ => {}
        }
        if let Some(old) = self.remove(key, hash) {
            self.insert(old.with_expire(expire), hash);
        }
        true
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.volatile.clear();
        self.dict.clear();
    }

    /// Moves all keys out, leaving this database empty (for lazy freeing and
    /// SWAPDB).
    pub fn take(&mut self) -> Db {
        std::mem::take(self)
    }

    /// A random key with a TTL, for the active expiry cycle.
    pub fn random_volatile(&self, rng: &mut u64) -> Option<EntryRef<'_>> {
        if self.volatile.is_empty() {
            return None;
        }
        let i = next_rand(rng) as usize % self.volatile.len();
        // SAFETY: volatile holds pointers to live entries of `dict`.
        Some(unsafe { EntryRef::from_ptr(self.volatile[i]) })
    }

    fn volatile_add(&mut self, raw: NonNull<Header>) {
        let idx = self.volatile.len() as u32;
        self.volatile.push(raw);
        // SAFETY: raw is a live entry of `dict` that we have exclusive access to.
        unsafe { EntryMut::from_ptr(raw).set_volatile_idx(idx) };
    }

    fn volatile_remove(&mut self, idx: u32) {
        let idx = idx as usize;
        if idx >= self.volatile.len() {
            return;
        }
        self.volatile.swap_remove(idx);
        if let Some(&moved) = self.volatile.get(idx) {
            // SAFETY: moved is a live entry of `dict`.
            unsafe { EntryMut::from_ptr(moved).set_volatile_idx(idx as u32) };
        }
        if self.volatile.is_empty() {
            // 1,024 shards per database: empty ones hold nothing.
            self.volatile = Vec::new();
        } else if self.volatile.capacity() > 64
            && self.volatile.len() < self.volatile.capacity() / 4
        {
            self.volatile.shrink_to(self.volatile.len() * 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::NewValue;
    use crate::store::hash_key;
    use crate::store::value::StrEnc;

    fn put(db: &mut Db, k: &str, exp: Option<i64>) {
        db.insert(
            Entry::new(k.as_bytes(), NewValue::Str(b"v", StrEnc::Embstr), exp),
            hash_key(k.as_bytes()),
        );
    }

    #[test]
    fn volatile_index_tracks_entries() {
        let mut db = Db::default();
        for i in 0..100 {
            put(
                &mut db,
                &format!("k{i}"),
                if i % 2 == 0 { Some(1000 + i) } else { None },
            );
        }
        assert_eq!(db.volatile_len(), 50);
        for i in (0..100).step_by(4) {
            let k = format!("k{i}");
            db.remove(k.as_bytes(), hash_key(k.as_bytes()));
        }
        assert_eq!(db.volatile_len(), 25);
        // Clearing and adding TTLs through set_expire keeps the index exact.
        for i in 0..100 {
            let k = format!("k{i}");
            db.set_expire(
                k.as_bytes(),
                hash_key(k.as_bytes()),
                if i % 3 == 0 { Some(5) } else { None },
            );
        }
        let mut expect = 0;
        db.dict()
            .for_each(|e| expect += e.expire().is_some() as usize);
        assert_eq!(db.volatile_len(), expect);
        let mut rng = 7;
        for _ in 0..100 {
            let e = db.random_volatile(&mut rng).expect("some volatile key");
            assert_eq!(e.expire(), Some(5));
        }
        assert_eq!(
            db.expire_if_needed(b"k3", hash_key(b"k3"), 10),
            Lookup::Expired
        );
        assert_eq!(
            db.expire_if_needed(b"k3", hash_key(b"k3"), 10),
            Lookup::Missing
        );
        assert_eq!(
            db.expire_if_needed(b"k1", hash_key(b"k1"), 10),
            Lookup::Live
        );
    }
}
