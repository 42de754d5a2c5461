//! Memory accounting behind `used_memory`, `maxmemory` and eviction.
//!
//! Redis counts every allocation in `zmalloc` and compares the count with
//! `maxmemory` before each command, so the count has to be accurate to a few
//! kilobytes and cheap to read. jemalloc's own statistics (`stats.allocated`)
//! need an epoch refresh that walks every arena (microseconds), far too slow
//! to run before every command, so no crate gives this: [`CountingAlloc`]
//! wraps the real allocator and counts.
//!
//! Each thread counts its net allocation in a slot of its own (a
//! cache-line-padded atomic only that thread writes, with a plain load and
//! store rather than a locked add), and a reader sums the slots of the
//! threads that ever allocated. So the hot path touches no shared cache
//! line, and a reading is exact: eviction, which measures what it frees and
//! compares with a limit a few kilobytes away, sees every thread's
//! allocations and frees at once, wherever they happened.
//!
//! Sizes are counted as jemalloc's size class for the request (8-byte
//! quantum, as `.cargo/config.toml` builds it), as Redis counts
//! `zmalloc_size`, so the total matches what jemalloc reports as allocated.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};

/// Threads with a slot of their own; any more share [`SHARED`].
const SLOTS: usize = 64;

/// One thread's net allocation, alone on its cache line.
#[repr(align(64))]
struct Slot(AtomicIsize);

static COUNTS: [Slot; SLOTS] = [const { Slot(AtomicIsize::new(0)) }; SLOTS];

/// Slots handed out so far (may run past `SLOTS`).
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// The count of threads beyond the first `SLOTS`.
static SHARED: AtomicIsize = AtomicIsize::new(0);

/// Highest [`used_memory`] seen by [`note_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

const NO_SLOT: usize = usize::MAX;

thread_local! {
    /// This thread's slot. A const-initialised `Cell` without a destructor:
    /// reading it never allocates nor fails, even while the thread exits.
    static MY_SLOT: Cell<usize> = const { Cell::new(NO_SLOT) };
}

/// jemalloc's size class for an `n`-byte request with an 8-byte quantum:
/// multiples of 8 up to 64, then four classes per doubling (80, 96, 112,
/// 128, 160, ...).
#[inline]
pub const fn size_class(n: usize) -> usize {
    if n <= 64 {
        (n + 7) & !7
    } else {
        let step = 1usize << ((n - 1).ilog2() - 2);
        (n + step - 1) & !(step - 1)
    }
}

#[inline]
fn account(delta: isize) {
    MY_SLOT.with(|slot| {
        let mut i = slot.get();
        if i == NO_SLOT {
            i = NEXT_SLOT.fetch_add(1, Relaxed);
            slot.set(i);
        }
        match COUNTS.get(i) {
            // Only this thread writes its slot: no read-modify-write needed.
            Some(c) => c.0.store(c.0.load(Relaxed) + delta, Relaxed),
            None => {
                SHARED.fetch_add(delta, Relaxed);
            }
        }
    });
}

/// Bytes allocated by the process, as Redis's `used_memory`: the sum of
/// every thread's count (memory allocated on one thread and freed on
/// another nets out in the sum).
pub fn used_memory() -> usize {
    let n = NEXT_SLOT.load(Relaxed).min(SLOTS);
    let sum: isize = COUNTS[..n].iter().map(|c| c.0.load(Relaxed)).sum();
    (sum + SHARED.load(Relaxed)).max(0) as usize
}

/// What this thread allocated less what it freed, since it started (any
/// thread's memory it freed counts against it): the difference of two
/// readings is exactly what the thread's own work in between cost or gave
/// back, whatever other threads do meanwhile. `None` for a thread beyond
/// the slots, which shares one count.
pub fn thread_net() -> Option<isize> {
    let i = MY_SLOT.with(|s| s.get());
    COUNTS.get(i).map(|c| c.0.load(Relaxed))
}

/// Records the current usage in the peak and returns the peak.
pub fn note_peak() -> usize {
    let used = used_memory();
    PEAK.fetch_max(used, Relaxed).max(used)
}

/// Starts the peak over from the current usage (CONFIG RESETSTAT, as
/// Redis 7.0's `MEMORY` stats reset).
pub fn reset_peak() {
    PEAK.store(used_memory(), Relaxed);
}

/// A global allocator counting what `A` hands out.
pub struct CountingAlloc<A>(pub A);

// SAFETY: every method forwards to `A` unchanged; the counting only reads the
// layouts and touches a thread-local and an atomic, never the memory.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc(layout);
        if !p.is_null() {
            account(size_class(layout.size()) as isize);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc_zeroed(layout);
        if !p.is_null() {
            account(size_class(layout.size()) as isize);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout);
        account(-(size_class(layout.size()) as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.0.realloc(ptr, layout, new_size);
        if !p.is_null() {
            account(size_class(new_size) as isize - size_class(layout.size()) as isize);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_follow_jemalloc() {
        let want = [
            (1, 8),
            (8, 8),
            (9, 16),
            (40, 40),
            (41, 48),
            (64, 64),
            (65, 80),
            (128, 128),
            (129, 160),
            (257, 320),
            (4097, 5120),
            (14336, 14336),
            (16385, 20480),
        ];
        for (n, class) in want {
            assert_eq!(size_class(n), class, "size {n}");
        }
    }

    #[test]
    fn counts_of_all_threads_add_up() {
        // Unit tests run on the system allocator, so only `account` counts.
        std::thread::spawn(|| {
            account(100);
            let mine = MY_SLOT.with(|s| s.get());
            let slot = &COUNTS[mine].0;
            let at = slot.load(Relaxed);
            account(-40);
            assert_eq!(slot.load(Relaxed), at - 40);
            let before = used_memory() as isize;
            account(1 << 20);
            assert!(used_memory() as isize >= before + (1 << 20) - (1 << 16));
            account(-(1 << 20));
        })
        .join()
        .unwrap();
    }
}
