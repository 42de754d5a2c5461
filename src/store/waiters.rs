//! Clients blocked on keys (BLPOP, BZPOPMIN, BLMOVE...), registered in the
//! shard of each key they wait on.
//!
//! The registry lives beside the keys under the same shard lock, so a
//! blocking command that finds its keys empty registers itself before any
//! other thread can push to them: no wake-up is lost. A write that creates a
//! list or sorted set checks the registry of that key's shard (an empty map
//! costs one branch) and reports the key as *ready*; after the command the
//! worker that ran it serves the waiters of each ready key in the order they
//! blocked, each under the locks of its own keys (see
//! `commands::blocking`). Only the waiters of that key are touched: waking
//! one key never wakes every client.
//!
//! A waiter's fate is decided by one atomic state shared between the thread
//! serving it and the worker owning its connection (which times it out,
//! unblocks it for CLIENT UNBLOCK or drops it on disconnect): whoever moves
//! it out of [`WAITING`] first wins.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use super::value::ValueType;

/// Blocked, nobody is acting on it.
pub const WAITING: u8 = 0;
/// A thread is re-running its command with a key that became ready.
pub const SERVING: u8 = 1;
/// Served: its reply is on the way to its worker.
pub const SERVED: u8 = 2;
/// Timed out (or CLIENT UNBLOCK ... TIMEOUT): reply with a null array.
pub const TIMED_OUT: u8 = 3;
/// CLIENT UNBLOCK ... ERROR: reply with the UNBLOCKED error.
pub const UNBLOCKED_ERROR: u8 = 4;
/// The connection closed: reply with nothing.
pub const GONE: u8 = 5;

/// One blocked client.
#[derive(Debug)]
pub struct Waiter {
    /// Connection id.
    pub client_id: u64,
    /// Worker owning the connection: replies are sent through its mailbox.
    pub worker: usize,
    /// Database the command runs in.
    pub db: usize,
    /// RESP3 replies.
    pub resp3: bool,
    /// The command to run again when a key becomes ready.
    pub argv: Vec<Vec<u8>>,
    /// Keys it waits on, deduplicated, in argument order.
    pub keys: Vec<Vec<u8>>,
    /// The type whose arrival serves it (Redis 7.0 serves list waiters only
    /// when a list appears, zset waiters only for a sorted set).
    pub wants: ValueType,
    /// Unix ms at which it times out; `None` waits forever.
    pub deadline_ms: Option<i64>,
    state: AtomicU8,
}

impl Waiter {
    /// A new waiter in state [`WAITING`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client_id: u64,
        worker: usize,
        db: usize,
        resp3: bool,
        argv: Vec<Vec<u8>>,
        keys: Vec<Vec<u8>>,
        wants: ValueType,
        deadline_ms: Option<i64>,
    ) -> Waiter {
        Waiter {
            client_id,
            worker,
            db,
            resp3,
            argv,
            keys,
            wants,
            deadline_ms,
            state: AtomicU8::new(WAITING),
        }
    }

    /// Current state.
    pub fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// Moves from `from` to `to`; false if another thread got there first.
    pub fn transition(&self, from: u8, to: u8) -> bool {
        self.state
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Sets the state unconditionally (only the thread holding SERVING does).
    pub fn set_state(&self, to: u8) {
        self.state.store(to, Ordering::Release)
    }
}

/// The waiters of one shard, per (database, key), in blocking order.
#[derive(Default)]
pub struct Waiters {
    map: HashMap<Vec<u8>, VecDeque<Arc<Waiter>>>,
}

/// The keys of database `db` among registry keys made by [`slot_key`].
fn keys_in_db<'a>(slots: impl Iterator<Item = &'a Vec<u8>>, db: usize) -> Vec<Vec<u8>> {
    let prefix = (db as u64).to_le_bytes();
    slots
        .filter(|k| k.starts_with(&prefix))
        .map(|k| k[8..].to_vec())
        .collect()
}

fn slot_key(db: usize, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 8);
    k.extend_from_slice(&(db as u64).to_le_bytes());
    k.extend_from_slice(key);
    k
}

impl Waiters {
    /// True when nobody in this shard is blocked (the common case, checked on
    /// every collection write).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Queues `w` behind the earlier waiters of `key`.
    pub fn add(&mut self, db: usize, key: &[u8], w: Arc<Waiter>) {
        self.map.entry(slot_key(db, key)).or_default().push_back(w);
    }

    /// True if someone waits on `key`.
    pub fn has(&self, db: usize, key: &[u8]) -> bool {
        !self.map.is_empty() && self.map.contains_key(&slot_key(db, key))
    }

    /// The waiters of `key` in order (a snapshot: serving changes the queue).
    pub fn list(&self, db: usize, key: &[u8]) -> Vec<Arc<Waiter>> {
        if self.map.is_empty() {
            return Vec::new();
        }
        self.map
            .get(&slot_key(db, key))
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets `w` as a waiter of `key`.
    pub fn remove(&mut self, db: usize, key: &[u8], w: &Arc<Waiter>) {
        let k = slot_key(db, key);
        if let Some(q) = self.map.get_mut(&k) {
            q.retain(|x| !Arc::ptr_eq(x, w));
            if q.is_empty() {
                self.map.remove(&k);
            }
        }
    }

    /// Every (database, key) with waiters, for SWAPDB and FLUSHALL-like
    /// commands that change many keys at once.
    pub fn keys_in_db(&self, db: usize) -> Vec<Vec<u8>> {
        keys_in_db(self.map.keys(), db)
    }
}

/// Clients WATCHing keys of one shard, per (database, key): the flag each
/// one's EXEC checks, and whether the key was already expired (present but
/// past its TTL) when it was watched, as Redis's `watchedKey.expired`. A
/// write to a watched key, or its expiry, sets the flags, so the
/// transactions of those clients fail (Redis's `touchWatchedKey`); deleting
/// a key that was already expired when watched is no logical change.
#[derive(Default)]
pub struct Watchers {
    map: HashMap<Vec<u8>, Vec<WatchEntry>>,
}

/// One client watching one key.
pub struct WatchEntry {
    /// The client's "a watched key changed" flag.
    pub dirty: Arc<std::sync::atomic::AtomicBool>,
    /// The key was expired (but not yet deleted) when watched, or became
    /// an expired key through SWAPDB.
    pub expired: bool,
}

/// What a whole-database change (FLUSHDB, FLUSHALL, SWAPDB) does to one
/// watched key, seen before the change: Redis's `touchAllWatchedKeysInDb`.
#[derive(Clone, Copy)]
pub struct DbChange {
    /// The key is in the emptied (or swapped-out) database, expired or not.
    pub in_emptied: bool,
    /// The key is in the database swapped in (SWAPDB).
    pub in_replacement: bool,
    /// ... and is expired there.
    pub replacement_expired: bool,
}

impl Watchers {
    /// True when no key of this shard is watched (checked on every write).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Registers `flag` as watching `key`; `expired` if the key is present
    /// but past its TTL.
    pub fn add(
        &mut self,
        db: usize,
        key: &[u8],
        flag: &Arc<std::sync::atomic::AtomicBool>,
        expired: bool,
    ) {
        let v = self.map.entry(slot_key(db, key)).or_default();
        if !v.iter().any(|e| Arc::ptr_eq(&e.dirty, flag)) {
            v.push(WatchEntry {
                dirty: flag.clone(),
                expired,
            });
        }
    }

    /// Forgets `flag` as watching `key`.
    pub fn remove(&mut self, db: usize, key: &[u8], flag: &Arc<std::sync::atomic::AtomicBool>) {
        let k = slot_key(db, key);
        if let Some(v) = self.map.get_mut(&k) {
            v.retain(|e| !Arc::ptr_eq(&e.dirty, flag));
            if v.is_empty() {
                self.map.remove(&k);
            }
        }
    }

    /// Whether `flag`'s watch of `key` started on an expired key.
    pub fn watched_expired(
        &self,
        db: usize,
        key: &[u8],
        flag: &Arc<std::sync::atomic::AtomicBool>,
    ) -> bool {
        self.map
            .get(&slot_key(db, key))
            .is_some_and(|v| v.iter().any(|e| Arc::ptr_eq(&e.dirty, flag) && e.expired))
    }

    /// Marks the watchers of `key`, just changed; `exists` says whether
    /// it is present afterwards.
    pub fn touch(&mut self, db: usize, key: &[u8], exists: bool) {
        if self.map.is_empty() {
            return;
        }
        if let Some(v) = self.map.get_mut(&slot_key(db, key)) {
            for e in v {
                if e.expired && !exists {
                    // An already expired key deleted: no logical change.
                    e.expired = false;
                    continue;
                }
                e.dirty.store(true, Ordering::Release);
            }
        }
    }

    /// The keys of database `db` watched here.
    pub fn keys_in_db(&self, db: usize) -> Vec<Vec<u8>> {
        keys_in_db(self.map.keys(), db)
    }

    /// Applies a whole-database change to the watchers of `key` in `db`.
    pub fn touch_for_db_change(&mut self, db: usize, key: &[u8], c: DbChange) {
        if !(c.in_emptied || c.in_replacement) {
            return;
        }
        let Some(v) = self.map.get_mut(&slot_key(db, key)) else {
            return;
        };
        for e in v {
            if e.expired {
                if !c.in_replacement {
                    e.expired = false;
                    continue;
                } else if c.replacement_expired {
                    continue;
                }
            } else if !c.in_emptied && c.replacement_expired {
                e.expired = true;
                continue;
            }
            e.dirty.store(true, Ordering::Release);
        }
    }
}
