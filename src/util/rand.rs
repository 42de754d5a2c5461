//! A fast per-thread random source for commands that pick random elements
//! (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY): not
//! cryptographic, just cheap and seeded from the kernel per thread, so
//! clients can't predict picks across restarts.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(crate::store::random_seed() | 1);
}

/// The next pseudo-random number (xorshift64*).
pub fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A uniform index below `n` (`n` > 0).
pub fn below(n: usize) -> usize {
    ((next_u64() as u128 * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let i = super::below(7);
            assert!(i < 7);
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
