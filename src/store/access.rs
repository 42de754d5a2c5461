//! What a key's 24-bit access field means: Redis's LRU clock, or its LFU
//! pair of a 16-bit "last decrement" time in minutes and an 8-bit
//! logarithmic access counter.
//!
//! Which one is chosen by `maxmemory-policy` (an `*-lfu` policy selects LFU),
//! as in Redis: the field is reinterpreted in place when the policy changes
//! at run time, and converges after a while, which Redis documents too. The
//! counter grows with probability `1 / ((counter - 5) * lfu-log-factor + 1)`
//! per access and loses one point per `lfu-decay-time` minutes without
//! access, so 255 means "a million hits" at the default factor of 10.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

/// The counter a new key starts with, so it is not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

static LFU_MODE: AtomicBool = AtomicBool::new(false);
static LFU_LOG_FACTOR: AtomicU32 = AtomicU32::new(10);
static LFU_DECAY_TIME: AtomicU32 = AtomicU32::new(1);
/// Unix time in minutes, modulo 2^16, refreshed by the cron with the LRU clock.
static MINUTES: AtomicU32 = AtomicU32::new(0);

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// Applies `maxmemory-policy`, `lfu-log-factor` and `lfu-decay-time`.
pub fn configure(lfu: bool, log_factor: u32, decay_time: u32) {
    LFU_MODE.store(lfu, Relaxed);
    LFU_LOG_FACTOR.store(log_factor, Relaxed);
    LFU_DECAY_TIME.store(decay_time, Relaxed);
}

/// True when the access field holds LFU data.
#[inline]
pub fn lfu_mode() -> bool {
    LFU_MODE.load(Relaxed)
}

/// Advances the minute clock (called with the LRU clock's update).
pub fn update_minutes(now_ms: i64) {
    MINUTES.store(((now_ms / 60_000) as u32) & 0xFFFF, Relaxed);
}

fn minutes() -> u32 {
    MINUTES.load(Relaxed)
}

/// The access field of a key created now.
#[inline]
pub fn initial() -> u32 {
    if lfu_mode() {
        (minutes() << 8) | LFU_INIT_VAL
    } else {
        super::lru_clock()
    }
}

/// The access field after one more access to a key whose field was `old`.
#[inline]
pub fn touched(old: u32) -> u32 {
    if lfu_mode() {
        let counter = log_incr(lfu_counter(old));
        (minutes() << 8) | counter
    } else {
        super::lru_clock()
    }
}

/// The access field of a key given an LFU counter (RESTORE FREQ, an RDB's
/// FREQ opcode).
pub fn with_counter(counter: u8) -> u32 {
    (minutes() << 8) | counter as u32
}

/// The access field for a key whose dump (RDB, RESTORE) carried an idle
/// time or an LFU counter, if the current policy keeps that kind of data:
/// the counter under an LFU policy, the idle time under any other (Redis's
/// `objectSetLRUOrLFU`). `None`: keep the field of a fresh key.
pub fn from_dump(lru_idle: Option<u64>, lfu_freq: Option<u8>) -> Option<u32> {
    if lfu_mode() {
        lfu_freq.map(with_counter)
    } else {
        lru_idle.map(|idle| super::lru_clock().wrapping_sub(idle as u32) & 0x00FF_FFFF)
    }
}

/// The LFU counter of a field, decayed by the minutes since it was last
/// decremented (what OBJECT FREQ reports and eviction ranks by).
pub fn lfu_counter(field: u32) -> u32 {
    let last = field >> 8;
    let counter = field & 0xFF;
    let decay = LFU_DECAY_TIME.load(Relaxed);
    if decay == 0 {
        return counter;
    }
    let now = minutes();
    let elapsed = if now >= last {
        now - last
    } else {
        65535 - last + now
    };
    counter.saturating_sub(elapsed / decay)
}

/// Increments a counter logarithmically: the higher it is, the less likely.
fn log_incr(counter: u32) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * LFU_LOG_FACTOR.load(Relaxed) as f64 + 1.0);
    if random_unit() < p {
        counter + 1
    } else {
        counter
    }
}

/// A uniform number in [0, 1) from a per-thread xorshift stream.
fn random_unit() -> f64 {
    RNG.with(|r| {
        let mut x = r.get();
        if x == 0 {
            x = super::random_seed() | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_grows_logarithmically_and_saturates() {
        // Averaged over many keys, so the coin flips' spread doesn't matter:
        // with factor 10, reaching counter c takes 5(c-5)(c-6)+(c-5) hits,
        // so 100 hits give about 9.5 and 1,000 about 19.5 (Redis's table
        // says 10 and 18).
        let mean = |hits: usize| {
            let keys = 200;
            let mut total = 0;
            for _ in 0..keys {
                let mut c = LFU_INIT_VAL;
                for _ in 0..hits {
                    c = log_incr(c);
                }
                total += c;
            }
            total as f64 / keys as f64
        };
        let m100 = mean(100);
        let m1000 = mean(1000);
        assert!((8.5..=11.0).contains(&m100), "100 hits: {m100}");
        assert!((17.5..=21.5).contains(&m1000), "1000 hits: {m1000}");
        assert_eq!(log_incr(255), 255);
    }

    #[test]
    fn counter_decays_per_period() {
        update_minutes(1_000 * 60_000);
        let now = minutes();
        let field = (now.wrapping_sub(3) & 0xFFFF) << 8 | 10;
        assert_eq!(lfu_counter(field), 7);
        let field = (now.wrapping_sub(30) & 0xFFFF) << 8 | 10;
        assert_eq!(lfu_counter(field), 0);
    }
}
