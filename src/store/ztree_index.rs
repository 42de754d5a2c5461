//! The member index of [`ZTree`](super::ZTree): member → leaf, for O(1)
//! ZSCORE, and the ZSCAN cursor.
//!
//! An open-addressing table (linear probing, backward-shift deletion, no
//! tombstones) of 8-byte slots. A slot holds the low 32 bits of the member's
//! hash (its *tag*) and the id of the leaf that stores the member; the member
//! bytes themselves live only in the leaf. A lookup probes the slots whose tag
//! matches and searches those leaves. Slots carry no other identity, so two
//! members of one leaf with the same tag have interchangeable slots: every
//! operation keeps the multiset of `(tag, leaf)` slots equal to the multiset
//! of `(tag(m), leaf(m))` over the members, which is all lookups need.
//!
//! A slot's home bucket is `tag & mask`, so the table can be resized from the
//! tags alone (no member is rehashed) and ZSCAN can use Redis's reverse-binary
//! cursor over home buckets (see `dictScan` in Redis's dict.c): a member
//! present for the whole scan is reported even if the table grows or shrinks
//! between calls. With linear probing, the members whose home is bucket `b`
//! all sit in the run of occupied slots starting at `b`.

/// An unused slot (its leaf half is the NIL leaf id, never a real leaf).
const EMPTY: u64 = u64::MAX;
/// Smallest non-empty table.
const MIN_SLOTS: usize = 8;
/// Largest table: home buckets come from the 32-bit tag.
const MAX_SLOTS: usize = 1 << 32;

#[inline]
fn pack(tag: u32, leaf: u32) -> u64 {
    (u64::from(tag) << 32) | u64::from(leaf)
}

#[inline]
fn tag_of(slot: u64) -> u32 {
    (slot >> 32) as u32
}

#[inline]
fn leaf_of(slot: u64) -> u32 {
    slot as u32
}

/// The member → leaf table.
#[derive(Clone, Default)]
pub(super) struct Index {
    slots: Vec<u64>,
    len: usize,
}

impl Index {
    /// Number of occupied slots (= members).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<u64>()
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Calls `f(leaf)` for every slot with this tag, in probe order, until
    /// `f` returns `Some`.
    #[inline]
    pub(super) fn find_map<T>(&self, tag: u32, mut f: impl FnMut(u32) -> Option<T>) -> Option<T> {
        let mask = self.mask();
        let mut i = tag as usize & mask;
        for _ in 0..self.slots.len() {
            let s = *self.slots.get(i)?;
            if s == EMPTY {
                return None;
            }
            if tag_of(s) == tag {
                if let Some(t) = f(leaf_of(s)) {
                    return Some(t);
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Position of the slot `(tag, leaf)`.
    fn position(&self, tag: u32, leaf: u32) -> Option<usize> {
        let want = pack(tag, leaf);
        let mask = self.mask();
        let mut i = tag as usize & mask;
        for _ in 0..self.slots.len() {
            let s = *self.slots.get(i)?;
            if s == EMPTY {
                return None;
            }
            if s == want {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Adds the slot `(tag, leaf)`, growing the table past 7/8 load.
    pub(super) fn insert(&mut self, tag: u32, leaf: u32) {
        let cap = self.slots.len();
        if (self.len + 1) * 8 > cap * 7 && cap < MAX_SLOTS {
            self.resize((cap * 2).max(MIN_SLOTS));
        }
        let mask = self.mask();
        let mut i = tag as usize & mask;
        for _ in 0..self.slots.len() {
            match self.slots.get_mut(i) {
                Some(s) if *s == EMPTY => {
                    *s = pack(tag, leaf);
                    self.len += 1;
                    return;
                }
                Some(_) => i = (i + 1) & mask,
                None => return,
            }
        }
    }

    /// Moves one slot `(tag, from)` to `(tag, to)`: its member changed leaf.
    pub(super) fn relocate(&mut self, tag: u32, from: u32, to: u32) {
        if let Some(i) = self.position(tag, from) {
            if let Some(s) = self.slots.get_mut(i) {
                *s = pack(tag, to);
            }
        }
    }

    /// Removes one slot `(tag, leaf)`, shrinking the table below 1/8 load.
    pub(super) fn remove(&mut self, tag: u32, leaf: u32) {
        let Some(mut hole) = self.position(tag, leaf) else {
            return;
        };
        // Backward shift: pull later members of the run into the hole while
        // that keeps each at or after its home bucket.
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let s = self.slots.get(j).copied().unwrap_or(EMPTY);
            if s == EMPTY || j == hole {
                break;
            }
            let home = tag_of(s) as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                if let Some(h) = self.slots.get_mut(hole) {
                    *h = s;
                }
                hole = j;
            }
        }
        if let Some(h) = self.slots.get_mut(hole) {
            *h = EMPTY;
        }
        self.len -= 1;
        let cap = self.slots.len();
        if self.len == 0 {
            self.slots = Vec::new();
        } else if cap > MIN_SLOTS && self.len * 8 < cap {
            self.resize((self.len * 2).next_power_of_two().max(MIN_SLOTS));
        }
    }

    /// Rebuilds the table with `cap` slots (a power of two) from the tags.
    fn resize(&mut self, cap: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; cap]);
        let mask = cap - 1;
        for s in old.into_iter().filter(|&s| s != EMPTY) {
            let mut i = tag_of(s) as usize & mask;
            while let Some(slot) = self.slots.get_mut(i) {
                if *slot == EMPTY {
                    *slot = s;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }

    /// Visits the slots whose home bucket is the one `cursor` names and
    /// returns the next cursor (0 when the scan is complete), as `dictScan`.
    pub(super) fn scan(&self, cursor: u64, mut f: impl FnMut(u32, u32)) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.mask();
        let bucket = cursor as usize & mask;
        let mut i = bucket;
        for _ in 0..self.slots.len() {
            let s = self.slots.get(i).copied().unwrap_or(EMPTY);
            if s == EMPTY {
                break;
            }
            if tag_of(s) as usize & mask == bucket {
                f(tag_of(s), leaf_of(s));
            }
            i = (i + 1) & mask;
        }
        // Increment the reversed cursor over the mask bits.
        let m = mask as u64;
        let mut v = cursor | !m;
        v = v.reverse_bits().wrapping_add(1).reverse_bits();
        v
    }

    /// Test support: every slot as `(tag, leaf)`, and a check of the
    /// linear-probing invariant (no empty slot between a member and home).
    #[cfg(test)]
    pub(super) fn check(&self) -> Vec<(u32, u32)> {
        let mask = self.mask();
        let mut out = Vec::new();
        for (i, &s) in self.slots.iter().enumerate() {
            if s == EMPTY {
                continue;
            }
            out.push((tag_of(s), leaf_of(s)));
            let mut k = tag_of(s) as usize & mask;
            while k != i {
                assert_ne!(self.slots[k], EMPTY, "hole between home and slot");
                k = (k + 1) & mask;
            }
        }
        assert_eq!(out.len(), self.len);
        if self.len > 0 {
            assert!(self.len * 8 <= self.slots.len() * 7);
        }
        out
    }

    /// Test support: number of slots.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }
}
