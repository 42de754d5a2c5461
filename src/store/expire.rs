//! The active expiry cycle: Redis's adaptive sampling, per shard.
//!
//! Lazy expiry (deleting a key when it is touched after its TTL) leaves keys
//! nobody reads. Each worker therefore runs, `hz` times a second, a cycle over
//! its share of the shards: sample up to 20 keys with a TTL per database,
//! delete the expired ones, and sample again while more than 10% of a sample
//! was expired, until the time budget (25% of a cron tick by default, as in
//! Redis's slow cycle) runs out. The cycle resumes where it stopped next tick.

use std::time::{Duration, Instant};

use super::dict::next_rand;
use super::Keyspace;

/// Keys sampled per database per round (Redis's `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
const SAMPLE: usize = 20;

/// Per-worker cursor of the cycle.
#[derive(Debug, Default)]
pub struct ExpireCycle {
    next_shard: usize,
    rng: u64,
}

/// What one run of the cycle did, for INFO stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct CycleStats {
    /// Keys deleted.
    pub expired: u64,
    /// Keys sampled.
    pub sampled: u64,
    /// The time budget ran out before every shard was visited.
    pub timed_out: bool,
}

impl ExpireCycle {
    /// A cycle with its own random stream.
    pub fn new(seed: u64) -> ExpireCycle {
        ExpireCycle {
            next_shard: 0,
            rng: seed | 1,
        }
    }

    /// Runs over the shards `worker, worker + workers, ...` until `budget` is
    /// spent, calling `on_expired(db, key)` for each key it deletes (for stats,
    /// notifications and propagation).
    pub fn run(
        &mut self,
        ks: &Keyspace,
        worker: usize,
        workers: usize,
        now_ms: i64,
        budget: Duration,
        mut on_expired: impl FnMut(usize, &[u8]),
    ) -> CycleStats {
        let start = Instant::now();
        let mut stats = CycleStats::default();
        let mine: Vec<usize> = (worker..super::SHARDS).step_by(workers.max(1)).collect();
        if mine.is_empty() {
            return stats;
        }
        for _ in 0..mine.len() {
            let shard = mine[self.next_shard % mine.len()];
            self.next_shard = (self.next_shard + 1) % mine.len();
            let rng = &mut self.rng;
            // A shard held elsewhere (a script holds them all) is skipped
            // this time: the worker must not wait.
            let _ = ks.try_with_shard(shard, |sh| {
                for (dbi, db) in sh.dbs.iter_mut().enumerate() {
                    loop {
                        let n = db.volatile_len().min(SAMPLE);
                        if n == 0 {
                            break;
                        }
                        let mut expired_keys: Vec<Vec<u8>> = Vec::new();
                        for _ in 0..n {
                            if let Some(e) = db.random_volatile(rng) {
                                if e.expire().is_some_and(|w| w <= now_ms) {
                                    expired_keys.push(e.key().to_vec());
                                }
                            }
                        }
                        stats.sampled += n as u64;
                        let found = expired_keys.len();
                        expired_keys.sort_unstable();
                        expired_keys.dedup();
                        for k in &expired_keys {
                            let h = super::hash_key(k);
                            if db.remove(k, h).is_some() {
                                stats.expired += 1;
                                sh.watchers.touch(dbi, k, false);
                                let tracking = &crate::tracking::TRACKING;
                                if !tracking.idle() {
                                    tracking.key_changed(&mut sh.tracked, k, 0);
                                }
                                on_expired(dbi, k);
                            }
                        }
                        if found * 10 <= n || start.elapsed() >= budget {
                            break;
                        }
                    }
                }
            });
            if start.elapsed() >= budget {
                stats.timed_out = true;
                break;
            }
        }
        let _ = next_rand(&mut self.rng);
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{hash_key, shard_of, Entry, NewValue, StrEnc};

    #[test]
    fn deletes_expired_keys_only() {
        let ks = Keyspace::new(2);
        for i in 0..2000 {
            let k = format!("key{i}");
            let exp = if i % 2 == 0 { Some(100) } else { Some(10_000) };
            ks.with_shard(shard_of(k.as_bytes()), |sh| {
                sh.dbs[1].insert(
                    Entry::new(k.as_bytes(), NewValue::Str(b"v", StrEnc::Embstr), exp),
                    hash_key(k.as_bytes()),
                );
            });
        }
        let mut cycle = ExpireCycle::new(42);
        let mut total = 0;
        for _ in 0..50 {
            total += cycle
                .run(&ks, 0, 1, 5_000, Duration::from_secs(1), |db, _| {
                    assert_eq!(db, 1)
                })
                .expired;
        }
        assert_eq!(total, 1000);
        let mut left = 0;
        for s in 0..crate::store::SHARDS {
            ks.with_shard(s, |sh| left += sh.dbs[1].len());
        }
        assert_eq!(left, 1000);
    }
}
