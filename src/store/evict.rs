//! Choosing and deleting keys when memory is over `maxmemory`.
//!
//! Redis does not keep keys in LRU order (a list would cost two pointers per
//! key and a write on every read); it samples `maxmemory-samples` random keys
//! and keeps the best candidates seen so far in a small pool, evicting the
//! best of the pool. The pool makes the approximation close to true LRU
//! (Redis's own measurements), because good candidates survive between
//! rounds. This module does the same over our shards: a round walks the
//! shards from a random one, taking one random key per database from each
//! shard it visits (a shard is locked with `try_lock`, so a contended shard
//! is skipped, never waited for), until it has seen `samples` keys.
//!
//! Ranks, as Redis's `evictionPoolPopulate`: idle seconds for LRU,
//! `255 - counter` for LFU, `u64::MAX - expire` for TTL: higher is evicted
//! first.

use super::dict::next_rand;
use super::{Keyspace, SHARDS};

/// Candidates kept between rounds (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// How candidates are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// Least recently used first.
    Lru,
    /// Least frequently used first.
    Lfu,
    /// Nearest expiry first.
    Ttl,
}

/// A key that may be evicted.
#[derive(Debug)]
pub struct Candidate {
    /// Higher is evicted first.
    pub score: u64,
    /// Its database.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
}

/// The best candidates seen by one worker's sampling rounds.
#[derive(Debug)]
pub struct EvictionPool {
    /// Ascending by score: the best candidate is last.
    best: Vec<Candidate>,
    rng: u64,
    /// The ranking and key set the candidates were chosen under: scores of
    /// different policies don't compare (a TTL score dwarfs any idle time),
    /// so a policy change starts the pool over.
    policy: Option<(Rank, bool)>,
}

impl EvictionPool {
    /// An empty pool with its own random stream.
    pub fn new(seed: u64) -> EvictionPool {
        EvictionPool {
            best: Vec::with_capacity(POOL_SIZE),
            rng: seed | 1,
            policy: None,
        }
    }

    /// Candidates held.
    pub fn len(&self) -> usize {
        self.best.len()
    }

    /// True when no candidate is held.
    pub fn is_empty(&self) -> bool {
        self.best.is_empty()
    }

    /// Forgets every candidate (the policy changed, or a FLUSHALL).
    pub fn clear(&mut self) {
        self.best.clear();
    }

    /// Samples about `samples` keys (only keys with a TTL if `volatile`)
    /// into the pool. Returns the number of keys sampled: 0 means the whole
    /// keyspace (as far as uncontended shards go) has nothing to offer.
    pub fn populate(&mut self, ks: &Keyspace, volatile: bool, rank: Rank, samples: usize) -> usize {
        if self.policy != Some((rank, volatile)) {
            self.best.clear();
            self.policy = Some((rank, volatile));
        }
        let start = next_rand(&mut self.rng) as usize % SHARDS;
        let mut seen = 0;
        let mut found: Vec<(u64, usize, Vec<u8>)> = Vec::new();
        for i in 0..SHARDS {
            if seen >= samples {
                break;
            }
            let rng = &mut self.rng;
            let sampled = ks.try_with_shard((start + i) % SHARDS, |sh| {
                let mut n = 0;
                for (dbi, db) in sh.dbs.iter().enumerate() {
                    let e = if volatile {
                        db.random_volatile(rng)
                    } else {
                        db.dict().random(rng)
                    };
                    if let Some(e) = e {
                        let score = match rank {
                            Rank::Lru => super::idle_seconds(e.lru()),
                            Rank::Lfu => 255 - super::access::lfu_counter(e.lru()) as u64,
                            Rank::Ttl => u64::MAX - e.expire().unwrap_or(i64::MAX).max(0) as u64,
                        };
                        found.push((score, dbi, e.key().to_vec()));
                        n += 1;
                    }
                }
                n
            });
            seen += sampled.unwrap_or(0);
        }
        for (score, db, key) in found {
            self.insert(score, db, key);
        }
        seen
    }

    fn insert(&mut self, score: u64, db: usize, key: Vec<u8>) {
        if let Some(i) = self.best.iter().position(|c| c.db == db && c.key == key) {
            // Seen again: keep the fresher score.
            self.best.remove(i);
        }
        if self.best.len() == POOL_SIZE {
            if score <= self.best[0].score {
                return;
            }
            self.best.remove(0);
        }
        let at = self.best.partition_point(|c| c.score <= score);
        self.best.insert(at, Candidate { score, db, key });
    }

    /// Takes the best candidate out of the pool.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.best.pop()
    }

    /// A random key (with a TTL if `volatile`), for the random policies:
    /// from the first database that has one in a random shard.
    pub fn random_key(&mut self, ks: &Keyspace, volatile: bool) -> Option<(usize, Vec<u8>)> {
        let start = next_rand(&mut self.rng) as usize % SHARDS;
        for i in 0..SHARDS {
            let rng = &mut self.rng;
            let hit = ks.try_with_shard((start + i) % SHARDS, |sh| {
                let dbs = sh.dbs.len().max(1);
                let first = next_rand(rng) as usize % dbs;
                for d in 0..dbs {
                    let dbi = (first + d) % dbs;
                    let db = &sh.dbs[dbi];
                    let e = if volatile {
                        db.random_volatile(rng)
                    } else {
                        db.dict().random(rng)
                    };
                    if let Some(e) = e {
                        return Some((dbi, e.key().to_vec()));
                    }
                }
                None
            });
            if let Some(Some(k)) = hit {
                return Some(k);
            }
        }
        None
    }
}

/// Deletes an eviction candidate if it still exists (and, for a volatile
/// policy, still has a TTL), invalidating WATCH and tracking as any
/// deletion does. Returns the bytes the deletion itself gave back (`None`
/// for a key that is gone, a "ghost"): like Redis, what the invalidations
/// and events then cost is not netted against it, or a server with many
/// tracking clients would evict its whole keyspace to pay for the messages.
///
/// The shard is only tried, never waited for: a busy shard's candidate is
/// skipped like a ghost. Besides never parking a worker, this keeps a
/// CONFIG SET maxmemory inside EXEC, whose transaction holds some shards,
/// from waiting on a lock its own thread holds.
pub fn evict_key(ks: &Keyspace, db: usize, key: &[u8], volatile: bool) -> Option<usize> {
    use crate::util::alloc::{thread_net, used_memory};
    let h = super::hash_key(key);
    ks.try_with_shard(super::shard_of(key), |sh| {
        let table = sh.dbs.get_mut(db)?;
        match table.get(key, h) {
            Some(e) if !volatile || e.expire().is_some() => {}
            _ => return None,
        }
        // This thread frees the value, so its own count measures the gain
        // exactly, unaffected by other workers allocating meanwhile.
        let freed = match thread_net() {
            Some(before) => {
                drop(table.remove(key, h));
                thread_net().map_or(0, |after| (before - after).max(0) as usize)
            }
            None => {
                let before = used_memory();
                drop(table.remove(key, h));
                before.saturating_sub(used_memory())
            }
        };
        sh.watchers.touch(db, key, false);
        let tracking = &crate::tracking::TRACKING;
        if !tracking.idle() {
            tracking.key_changed(&mut sh.tracked, key, 0);
        }
        crate::repl::propagate_del(db, key);
        Some(freed)
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{hash_key, shard_of, Entry, NewValue, StrEnc};

    fn put(ks: &Keyspace, db: usize, key: &str, expire: Option<i64>, lru: u32) {
        ks.with_shard(shard_of(key.as_bytes()), |sh| {
            let mut e = Entry::new(key.as_bytes(), NewValue::Str(b"v", StrEnc::Embstr), expire);
            e.as_mut().set_lru(lru);
            sh.dbs[db].insert(e, hash_key(key.as_bytes()));
        });
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut pool = EvictionPool::new(7);
        for i in 0..40u64 {
            pool.insert((i * 7919) % 101, 0, format!("k{i}").into_bytes());
        }
        assert_eq!(pool.len(), POOL_SIZE);
        let mut last = u64::MAX;
        while let Some(c) = pool.pop_best() {
            assert!(c.score <= last);
            last = c.score;
        }
        // The 16 highest of 40 distinct scores below 101 are all >= 50.
        assert!(last >= 50, "worst kept {last}");
    }

    #[test]
    fn a_key_seen_twice_is_held_once() {
        let mut pool = EvictionPool::new(7);
        pool.insert(5, 0, b"a".to_vec());
        pool.insert(9, 0, b"a".to_vec());
        pool.insert(9, 1, b"a".to_vec());
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn lru_sampling_finds_old_keys_and_volatile_only_sees_ttls() {
        let ks = Keyspace::new(2);
        let clock = crate::store::lru_clock();
        for i in 0..500 {
            // Even keys are idle for 1000 s and have a TTL.
            let (exp, lru) = if i % 2 == 0 {
                (Some(i64::MAX / 2), clock.wrapping_sub(1000) & 0xFF_FFFF)
            } else {
                (None, clock)
            };
            put(&ks, 1, &format!("key{i}"), exp, lru);
        }
        let mut pool = EvictionPool::new(3);
        for _ in 0..20 {
            assert!(pool.populate(&ks, false, Rank::Lru, 5) > 0);
        }
        let best = pool.pop_best().unwrap();
        assert_eq!(best.score, 1000);
        let n: usize = best.key[3..]
            .iter()
            .fold(0, |a, d| a * 10 + (d - b'0') as usize);
        assert_eq!(n % 2, 0);

        let mut volatile = EvictionPool::new(5);
        volatile.populate(&ks, true, Rank::Ttl, 50);
        while let Some(c) = volatile.pop_best() {
            assert!(evict_key(&ks, c.db, &c.key, true).is_some());
            let n: usize = c.key[3..]
                .iter()
                .fold(0, |a, d| a * 10 + (d - b'0') as usize);
            assert_eq!(n % 2, 0, "only keys with a TTL");
        }
    }

    #[test]
    fn a_policy_change_starts_the_pool_over() {
        let ks = Keyspace::new(1);
        for i in 0..200 {
            put(
                &ks,
                0,
                &format!("k{i}"),
                Some(1_000 + i),
                crate::store::lru_clock(),
            );
        }
        let mut pool = EvictionPool::new(9);
        pool.populate(&ks, true, Rank::Ttl, 20);
        assert!(!pool.is_empty());
        // TTL scores (about 2^64) would outrank every idle time.
        pool.populate(&ks, false, Rank::Lru, 5);
        while let Some(c) = pool.pop_best() {
            assert!(
                c.score < 1 << 24,
                "an LRU score, not a TTL one: {}",
                c.score
            );
        }
    }

    #[test]
    fn empty_keyspace_offers_nothing_and_ghosts_are_refused() {
        let ks = Keyspace::new(1);
        let mut pool = EvictionPool::new(1);
        assert_eq!(pool.populate(&ks, false, Rank::Lru, 5), 0);
        assert!(pool.random_key(&ks, false).is_none());
        put(&ks, 0, "persistent", None, 0);
        assert!(pool.random_key(&ks, true).is_none());
        assert!(evict_key(&ks, 0, b"persistent", true).is_none());
        assert_eq!(
            pool.random_key(&ks, false),
            Some((0, b"persistent".to_vec()))
        );
        assert!(evict_key(&ks, 0, b"persistent", false).is_some());
        assert!(evict_key(&ks, 0, b"persistent", false).is_none());
    }
}
