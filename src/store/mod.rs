//! The keyspace: databases split into shards, each behind its own lock.
//!
//! A key's shard is its Redis Cluster hash slot (CRC16, honouring `{hash
//! tags}`) modulo [`SHARDS`], so keys of one slot always share a shard and two
//! worker threads rarely contend for the same lock. A command locks the
//! shards of all its keys in ascending order (deadlock-free) before it runs,
//! which makes multi-key commands such as MSET or RENAME atomic; commands
//! whose keys are unknown up front lock every shard in order.

pub mod access;
pub mod db;
pub mod dict;
pub mod entry;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod intset;
pub mod listpack;
pub mod quicklist;
pub mod scantable;
pub mod set;
pub mod value;
pub mod waiters;
pub mod zset;
pub mod ztree;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use parking_lot::{Mutex, MutexGuard};

pub use db::{Db, Lookup};
pub use entry::{Entry, EntryMut, EntryRef, NewValue, ValueRef};
pub use value::{StrEnc, Value, ValueType};

/// Number of shards; a power of two no larger than the 16384 hash slots.
pub const SHARDS: usize = 1024;

static HASHER: OnceLock<foldhash::fast::FixedState> = OnceLock::new();

/// The per-process seeded hash used by every key table. Seeded randomly at
/// start-up so that a client can't pick keys that all collide.
pub fn hash_key(key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    HASHER
        .get_or_init(|| foldhash::fast::FixedState::with_seed(random_seed()))
        .hash_one(key)
}

/// A random seed from the kernel, falling back to the clock.
pub fn random_seed() -> u64 {
    let mut buf = [0u8; 8];
    // SAFETY: getrandom writes at most buf.len() bytes into buf.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
    if n == 8 {
        u64::from_le_bytes(buf)
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    }
}

static LRU_CLOCK: AtomicU32 = AtomicU32::new(0);

/// Redis's 24-bit LRU clock in seconds, refreshed by the server cron.
pub fn lru_clock() -> u32 {
    LRU_CLOCK.load(Ordering::Relaxed)
}

/// Advances the LRU clock from the current time.
pub fn update_lru_clock(now_ms: i64) {
    LRU_CLOCK.store(((now_ms / 1000) as u32) & 0x00FF_FFFF, Ordering::Relaxed);
    access::update_minutes(now_ms);
}

/// Seconds since the access recorded as `lru`, as OBJECT IDLETIME reports.
pub fn idle_seconds(lru: u32) -> u64 {
    let now = lru_clock();
    if now >= lru {
        (now - lru) as u64
    } else {
        (now as u64 + 0x0100_0000) - lru as u64
    }
}

/// Resizes an exactly sized blob (listpack, intset) to `new_len` bytes,
/// new bytes zeroed: one reallocation, like Redis's `zrealloc` of them.
pub(crate) fn resize_boxed(buf: &mut Box<[u8]>, new_len: usize) {
    let mut v = std::mem::take(buf).into_vec();
    if new_len > v.len() {
        v.reserve_exact(new_len - v.len());
    }
    v.resize(new_len, 0);
    *buf = v.into_boxed_slice();
}

/// The databases' keys that fall into one shard.
pub struct Shard {
    /// One table per database (`databases` of them).
    pub dbs: Box<[Db]>,
    /// Clients blocked on keys of this shard.
    pub waiters: waiters::Waiters,
    /// Clients WATCHing keys of this shard.
    pub watchers: waiters::Watchers,
    /// Keys of this shard that tracking clients may cache.
    pub tracked: crate::tracking::TrackedKeys,
}

/// Padding so that neighbouring shard locks don't share a cache line.
#[repr(align(64))]
struct PaddedShard(Mutex<Shard>);

/// All shards of all databases.
pub struct Keyspace {
    shards: Box<[PaddedShard]>,
    num_dbs: usize,
    /// The script engine holds, or is taking, every shard: workers must not
    /// wait for a shard then, since a script may hold them for seconds (see
    /// [`Keyspace::lock_or_park`]).
    engine: std::sync::atomic::AtomicUsize,
}

/// A key's shard index.
pub fn shard_of(key: &[u8]) -> usize {
    crate::util::crc16::key_hash_slot(key) as usize & (SHARDS - 1)
}

impl Keyspace {
    /// An empty keyspace with `num_dbs` databases.
    pub fn new(num_dbs: usize) -> Keyspace {
        let shards = (0..SHARDS)
            .map(|_| {
                PaddedShard(Mutex::new(Shard {
                    dbs: (0..num_dbs).map(|_| Db::default()).collect(),
                    waiters: waiters::Waiters::default(),
                    watchers: waiters::Watchers::default(),
                    tracked: Default::default(),
                }))
            })
            .collect();
        Keyspace {
            shards,
            num_dbs,
            engine: 0.into(),
        }
    }

    /// True while the script engine holds (or is taking) every shard.
    pub fn engine_active(&self) -> bool {
        self.engine.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// Announces that the script engine is about to take every shard
    /// (`true`) or has released them (`false`).
    /// (A count: the replication link also holds the keyspace while it
    /// loads a snapshot.)
    pub fn set_engine_active(&self, on: bool) {
        use std::sync::atomic::Ordering::SeqCst;
        if on {
            self.engine.fetch_add(1, SeqCst);
        } else {
            self.engine.fetch_sub(1, SeqCst);
        }
    }

    /// Takes `first` for a worker: waits only while its holder is a
    /// short command, never while the script engine is active (`None`: the
    /// caller parks the connection and retries).
    ///
    /// Once a thread holds the first shard it needs, the engine holds none
    /// of the shards after it: the engine takes every shard in ascending
    /// order and keeps them until the script ends, so it would hold this
    /// one too. The rest can then be waited for safely.
    fn first_or_park(&self, first: usize) -> Option<MutexGuard<'_, Shard>> {
        let mut spins = 0u32;
        loop {
            if let Some(g) = self.shards[first].0.try_lock() {
                return Some(g);
            }
            if self.engine_active() {
                return None;
            }
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Locks `shards` (sorted, deduplicated) for a worker that may wait for
    /// other workers' commands but not for a script: `None` while the
    /// script engine holds the keyspace (see [`Keyspace::first_or_park`]).
    pub fn lock_or_park(&self, shards: &[usize]) -> Option<Locked<'_>> {
        let Some((&first, rest)) = shards.split_first() else {
            return Some(Locked::default());
        };
        let mut locked = Locked::default();
        locked.push(first, self.first_or_park(first)?);
        for &s in rest {
            locked.push(s, self.shards[s].0.lock());
        }
        Some(locked)
    }

    /// [`Keyspace::lock_all`] for a worker: `None` while the script engine
    /// holds the keyspace.
    pub fn lock_all_or_park(&self) -> Option<Locked<'_>> {
        std::mem::forget(self.first_or_park(0)?);
        for s in self.shards[1..].iter() {
            std::mem::forget(s.0.lock());
        }
        Some(Locked {
            first: None,
            rest: Vec::new(),
            all: Some(self),
        })
    }

    /// Number of databases.
    pub fn num_dbs(&self) -> usize {
        self.num_dbs
    }

    /// Locks `shards` (sorted, deduplicated) without waiting. `None` if any is
    /// held by another thread: the caller parks the connection and retries,
    /// so a worker never blocks its event loop on a contended lock.
    pub fn try_lock(&self, shards: &[usize]) -> Option<Locked<'_>> {
        let mut locked = Locked::default();
        for &s in shards {
            let g = self.shards[s].0.try_lock()?;
            locked.push(s, g);
        }
        Some(locked)
    }

    /// Locks the given shards (sorted, deduplicated), waiting as needed.
    pub fn lock(&self, shards: &[usize]) -> Locked<'_> {
        let mut locked = Locked::default();
        for &s in shards {
            locked.push(s, self.shards[s].0.lock());
        }
        locked
    }

    /// Locks every shard in order, for commands over the whole keyspace.
    ///
    /// The guards are not kept (1,024 of them would be a 16 KiB vector
    /// allocated and freed per command, and counted in `used_memory` by
    /// INFO): the returned [`Locked`] reaches the shards through the mutexes
    /// it holds and unlocks them all when dropped.
    pub fn lock_all(&self) -> Locked<'_> {
        for s in self.shards.iter() {
            std::mem::forget(s.0.lock());
        }
        Locked {
            first: None,
            rest: Vec::new(),
            all: Some(self),
        }
    }

    /// Runs `f` on one shard, for background work such as active expiry.
    pub fn with_shard<R>(&self, idx: usize, f: impl FnOnce(&mut Shard) -> R) -> R {
        f(&mut self.shards[idx].0.lock())
    }

    /// Runs `f` on one shard if it is not locked elsewhere, for sampling
    /// that may skip a busy shard rather than wait (eviction).
    pub fn try_with_shard<R>(&self, idx: usize, f: impl FnOnce(&mut Shard) -> R) -> Option<R> {
        self.shards[idx].0.try_lock().map(|mut g| f(&mut g))
    }
}

/// The shard locks a command holds while it runs.
#[derive(Default)]
pub struct Locked<'a> {
    first: Option<(usize, MutexGuard<'a, Shard>)>,
    rest: Vec<(usize, MutexGuard<'a, Shard>)>,
    /// Every shard of this keyspace is locked, without guards (see
    /// [`Keyspace::lock_all`]); dropping unlocks them.
    all: Option<&'a Keyspace>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(ks) = self.all {
            for s in ks.shards.iter() {
                // SAFETY: `lock_all` locked every shard on this thread and
                // forgot the guards; this is the only unlock of each.
                unsafe { s.0.force_unlock() };
            }
        }
    }
}

impl<'a> Locked<'a> {
    fn push(&mut self, idx: usize, g: MutexGuard<'a, Shard>) {
        if self.first.is_none() {
            self.first = Some((idx, g));
        } else {
            self.rest.push((idx, g));
        }
    }

    /// True when every shard is held.
    pub fn holds_all(&self) -> bool {
        self.all.is_some()
    }

    /// The locked shard with index `idx`.
    pub fn shard(&mut self, idx: usize) -> Option<&mut Shard> {
        if let Some(ks) = self.all {
            let m = &ks.shards.get(idx)?.0;
            // SAFETY: the shard is locked by `lock_all` for as long as `self`
            // lives, and the `&mut self` borrow makes this the only reference.
            return Some(unsafe { &mut *m.data_ptr() });
        }
        if let Some((i, g)) = &mut self.first {
            if *i == idx {
                return Some(&mut **g);
            }
        }
        self.rest
            .iter_mut()
            .find(|(i, _)| *i == idx)
            .map(|(_, g)| &mut **g)
    }

    /// Every locked shard, in ascending index order.
    pub fn iter_mut<'s>(
        &'s mut self,
    ) -> impl Iterator<Item = (usize, &'s mut Shard)> + use<'s, 'a> {
        let all = self.all;
        let n = if all.is_some() { SHARDS } else { 0 };
        let held = (0..n).filter_map(move |i| {
            let m = &all?.shards[i].0;
            // SAFETY: locked by `lock_all` while `self` lives; each index is
            // yielded once, so the references are disjoint, and the
            // `&'s mut self` borrow excludes every other access.
            Some((i, unsafe { &mut *m.data_ptr() }))
        });
        self.first
            .iter_mut()
            .chain(self.rest.iter_mut())
            .map(|(i, g)| (*i, &mut **g))
            .chain(held)
    }
}
