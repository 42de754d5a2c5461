//! Staying under `maxmemory`: Redis's `performEvictions`.
//!
//! Before each command (and when CONFIG SET lowers the limit), a worker that
//! finds `used_memory` over `maxmemory` evicts keys by the configured policy
//! until it is back under, or until `maxmemory-eviction-tenacity`'s time
//! budget runs out (then the cron carries on, so one command never stalls
//! long). If nothing can be evicted (`noeviction`, or a volatile policy with
//! no key holding a TTL), the caller refuses commands that would use more
//! memory with Redis's OOM error.
//!
//! An eviction is a deletion like any other for the rest of the server: it
//! invalidates WATCH, sends tracking invalidations and publishes the
//! `evicted` keyspace event. Choosing the keys is `store::evict`'s job.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Instant;

use crate::commands::notify::{self, Event};
use crate::config::MaxmemoryPolicy;
use crate::server::{Server, WorkerStats};
use crate::store::evict::{evict_key, EvictionPool, Rank};
use crate::util::alloc::used_memory;

/// What `perform_evictions` achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is under the limit (or there is no limit).
    Ok,
    /// Still over, but keys are being evicted; commands may run.
    Running,
    /// Over the limit with nothing left to evict: refuse commands that
    /// need memory.
    Fail,
}

/// A call ran out of time while still over the limit: the workers' cron
/// carries on (Redis's `evictionTimeProc`). Only then: memory that is over
/// the limit for a moment because replies and invalidations are on their
/// way to sockets must not trigger evictions of its own, or evicting keys
/// that tracking clients cache would feed itself until the keyspace is gone.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// True while evictions left unfinished by a command wait for the cron.
pub fn unfinished() -> bool {
    RUNNING.load(Relaxed)
}

thread_local! {
    /// Each worker's candidate pool, kept between calls as Redis keeps its
    /// one pool, so good candidates carry over.
    static POOL: RefCell<EvictionPool> = RefCell::new(EvictionPool::new(crate::store::random_seed()));
}

/// Redis's `evictionTimeLimitUs`: how long one call may evict, from
/// `maxmemory-eviction-tenacity` (10 gives 500 us; 100 means no limit).
fn time_limit_us(tenacity: u64) -> u64 {
    if tenacity <= 10 {
        50 * tenacity
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// The memory the limit applies to: `used_memory` less output on its way
/// between threads (Redis leaves replication and AOF buffers out likewise).
pub fn counted_memory(srv: &Server) -> usize {
    used_memory().saturating_sub(srv.deliveries_in_flight())
}

/// Where the events and invalidations of evictions go.
pub struct Sink<'a> {
    /// The client whose command triggered the eviction (0: the cron).
    pub client_id: u64,
    /// Its pushes that precede its reply, if any.
    pub pushes: Option<&'a mut Vec<u8>>,
    /// Its protocol.
    pub resp3: bool,
}

/// Evicts keys until memory is under `maxmemory`, within the tenacity time
/// budget. `stats` counts the evictions.
pub fn perform_evictions(srv: &Server, stats: &WorkerStats, sink: Sink<'_>) -> Outcome {
    let max = srv.hot.maxmemory.load(Relaxed) as usize;
    let used = counted_memory(srv);
    if max == 0 || used <= max {
        RUNNING.store(false, Relaxed);
        return Outcome::Ok;
    }
    let policy = MaxmemoryPolicy::from_index(srv.hot.maxmemory_policy.load(Relaxed));
    let (volatile, rank) = match policy {
        MaxmemoryPolicy::NoEviction => {
            RUNNING.store(false, Relaxed);
            return Outcome::Fail;
        }
        MaxmemoryPolicy::VolatileLru => (true, Some(Rank::Lru)),
        MaxmemoryPolicy::VolatileLfu => (true, Some(Rank::Lfu)),
        MaxmemoryPolicy::VolatileTtl => (true, Some(Rank::Ttl)),
        MaxmemoryPolicy::VolatileRandom => (true, None),
        MaxmemoryPolicy::AllkeysLru => (false, Some(Rank::Lru)),
        MaxmemoryPolicy::AllkeysLfu => (false, Some(Rank::Lfu)),
        MaxmemoryPolicy::AllkeysRandom => (false, None),
    };
    let samples = srv.hot.maxmemory_samples.load(Relaxed).max(1) as usize;
    let limit_us = time_limit_us(srv.hot.eviction_tenacity.load(Relaxed));
    let notify_mask = notify::mask(srv) & crate::config::notify::EVICTED;
    let start = Instant::now();
    let to_free = used - max;
    let mut freed = 0usize;
    let mut evicted = 0u64;
    let mut events: Vec<Event> = Vec::new();
    let mut outcome = Outcome::Ok;
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let mut rounds = 0u64;
        while freed < to_free {
            rounds += 1;
            if rounds.is_multiple_of(16) && start.elapsed().as_micros() as u64 > limit_us {
                // Over budget: if still over the limit, the cron goes on.
                if counted_memory(srv) > max {
                    outcome = Outcome::Running;
                }
                break;
            }
            let victim = match rank {
                None => pool.random_key(&srv.keyspace, volatile),
                Some(rank) => best_candidate(&mut pool, srv, volatile, rank, samples),
            };
            let Some((db, key)) = victim else {
                outcome = Outcome::Fail;
                break;
            };
            let Some(gave_back) = evict_key(&srv.keyspace, db, &key, volatile) else {
                continue;
            };
            freed += gave_back;
            evicted += 1;
            if notify_mask != 0 {
                events.push(Event::new(
                    crate::config::notify::EVICTED,
                    "evicted",
                    &key,
                    db,
                ));
            }
        }
    });
    RUNNING.store(outcome == Outcome::Running, Relaxed);
    if evicted > 0 {
        stats.evicted_keys.fetch_add(evicted, Relaxed);
        let mut sink_buf = Vec::new();
        let pushes = match sink.pushes {
            Some(p) => p,
            None => &mut sink_buf,
        };
        if !events.is_empty() {
            let mut me = crate::pubsub::Publisher {
                client_id: sink.client_id,
                pushes: &mut *pushes,
                resp3: sink.resp3,
            };
            notify::publish(srv, &mut events, &mut me);
        }
        if crate::tracking::has_pending() {
            let caller = (sink.client_id != 0).then_some(crate::tracking::Caller {
                id: sink.client_id,
                after: &mut *pushes,
                resp3: sink.resp3,
            });
            crate::tracking::flush(srv, caller);
        }
    }
    outcome
}

/// The best candidate still present: refills the pool until one is found
/// or the keyspace has nothing to sample.
fn best_candidate(
    pool: &mut EvictionPool,
    srv: &Server,
    volatile: bool,
    rank: Rank,
    samples: usize,
) -> Option<(usize, Vec<u8>)> {
    // A pool entry may be stale (the key deleted or renamed since); the
    // caller skips those. Sampling first keeps the pool fresh, as Redis
    // samples on every eviction.
    let sampled = pool.populate(&srv.keyspace, volatile, rank, samples);
    if sampled == 0 {
        pool.clear();
        return None;
    }
    pool.pop_best().map(|c| (c.db, c.key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_budget_matches_redis() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert!(time_limit_us(99) > 1_000_000);
        assert_eq!(time_limit_us(100), u64::MAX);
    }
}
