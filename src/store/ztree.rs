//! The large sorted-set encoding (Redis's "skiplist"): a counted B+tree of
//! leaves that store `(score, member)` entries inline, plus a hash index from
//! member to leaf.
//!
//! # Why this shape
//!
//! Redis 7.0 spends, per member of a skiplist zset, a dict entry (24 B, 32 B
//! as allocated), a bucket pointer, a skiplist node (24 B + 16 B per level,
//! 48–64 B allocated) and the member's sds (header and NUL, rounded up to a
//! size class). Measured on redis-server 7.0.15 (jemalloc) as the
//! `used_memory` delta after loading 1,000 keys × 1,000 members `member:N`
//! with integer scores (ZADD, 100 members per call, random order):
//! **110.4 B per member**.
//!
//! Here every member's bytes are stored exactly once, inline in a leaf:
//!
//! * **Leaves** are byte buffers of consecutive entries `score (8 B, LE) |
//!   member length (LEB128) | member bytes` (see `ztree_codec.rs`), at most
//!   [`LEAF_MAX`] bytes and [`ENTRY_CAP`] entries; an entry over half a leaf
//!   gets a leaf to itself, so it is not copied again by later neighbours.
//!   A buffer's capacity is kept at the allocator size class of its length
//!   rather than at a fixed node size, so a half-full leaf wastes nothing
//!   but the class rounding. Leaves are linked both ways, for iteration.
//! * **Internal nodes** keep, per child: its id, its entry count (rank and
//!   select in O(log n)), its leftmost leaf and that leaf's first score.
//!   They hold no member bytes: a descent decides by the child's first
//!   score and only on a tie (or for lex ranges) reads the first entry of
//!   the child's leftmost leaf. A score update that keeps the member
//!   between its neighbours (and is not a leaf's first entry) is a write
//!   of 8 bytes.
//! * **The index** (`ztree_index.rs`) is an open-addressing table of 8-byte slots,
//!   `(32-bit hash tag, leaf id)`. ZSCORE hashes the member, probes the slots
//!   with its tag and searches that one leaf. When entries move between
//!   leaves (split, merge) their slots are re-pointed. The same table gives
//!   ZSCAN Redis's reverse-binary cursor (see [`ZTree::scan`]).
//!
//! Measured the same way (1,000 trees × 1,000 `member:N` inserted in random
//! order, every allocation rounded up to jemalloc's size classes by a
//! counting allocator, and by the structural count in `ztree_tests.rs`,
//! `bytes_per_member`): **39.5 B per member**, member bytes included, against
//! Redis's 110.4 B. Of that, the leaf buffers are 20.8 B (payload 18.9 B:
//! score 8, length 1, member 9.9), the index 16.4 B (1,000 members is the
//! worst case of the power-of-two table: 2,048 slots at 49% load; at 1,500
//! or 3,000 members the total is 35.6 B), nodes and bookkeeping 2.3 B.
//!
//! Leaf size, by measurement (same load; ZSCORE/ZRANK timed on 20,000
//! members in cache): 512 B leaves 41.7 B/member, ZSCORE 88 ns, ZRANK
//! 205 ns; **1 KiB 39.3 B, 131 ns, 257 ns**; 2 KiB 38.5 B, 210 ns, 380 ns.
//! On 1,000,000 members (out of cache) ZSCORE takes ~0.4–0.5 µs, ZADD of a
//! new member ~0.6 µs, ZRANK ~0.7 µs.
//!
//! Everything is safe code: nodes live in arenas (`Vec`s) and refer to each
//! other by `u32` index, so there are no pointers to keep valid; pointers
//! would save no memory here, since members are stored inline.
//!
//! # Order
//!
//! Entries are ordered by score, then by member bytes (Rust's `[u8]` order is
//! Redis's `sdscmp`). Scores compare with `<`/`==` as Redis does, so `-0.0`
//! and `0.0` are equal scores and their order falls to the member, while the
//! stored score keeps its sign bit. Callers never insert NaN (Redis refuses
//! it); the order of a NaN score is unspecified but nothing panics.
//!
//! # Limits
//!
//! Ids are `u32` and the index takes its home bucket from a 32-bit tag, so a
//! tree holds fewer than 2^32 members (that would take > 70 GB in one key).

use std::cmp::Ordering;
use std::fmt;
use std::hash::BuildHasher;

#[path = "ztree_codec.rs"]
mod codec;
#[path = "ztree_index.rs"]
mod index;
#[path = "ztree_iter.rs"]
mod iter;

#[cfg(test)]
#[path = "ztree_tests.rs"]
mod tests;

pub use codec::size_class;
use codec::{
    entries, entries_from, entry_size, key_cmp, parse, reserve_class, shrink_class, write_entry,
};
use index::Index;
pub use iter::Iter;

/// Target size of a leaf buffer in bytes (see the module doc for the choice).
pub const LEAF_MAX: usize = 1024;
/// Most entries in one leaf: bounds in-leaf searches and the reverse
/// iterator's offset window.
pub const ENTRY_CAP: usize = 128;
/// Most children of an internal node.
const FAN: usize = 32;
/// The null node id.
const NIL: u32 = u32::MAX;

/// One end of a lexicographic range (ZRANGEBYLEX and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexBound<'a> {
    /// `-`: before every member.
    NegInf,
    /// `+`: after every member.
    PosInf,
    /// `[member`: the member itself is in the range.
    Incl(&'a [u8]),
    /// `(member`: the member itself is not in the range.
    Excl(&'a [u8]),
}

/// Node sizes; tests shrink them to build deep trees from few entries.
#[derive(Clone, Copy, Debug)]
struct Params {
    leaf_max: usize,
    entry_cap: usize,
    fan: usize,
    /// Masks hash tags; tests narrow it to force tag collisions.
    tag_mask: u32,
}

const DEFAULT_PARAMS: Params = Params {
    leaf_max: LEAF_MAX,
    entry_cap: ENTRY_CAP,
    fan: FAN,
    tag_mask: u32::MAX,
};

/// A leaf: encoded entries, their count and the neighbouring leaves.
#[derive(Clone, Default)]
struct Leaf {
    buf: Vec<u8>,
    n: u32,
    prev: u32,
    next: u32,
}

/// One child of an internal node.
#[derive(Clone, Copy)]
struct Slot {
    kid: u32,
    /// The leftmost leaf under `kid`, whose first entry is the child's
    /// smallest key.
    first: u32,
    /// Number of entries under `kid`.
    cnt: usize,
    /// Score of the first entry under `kid` (that of `first`'s first
    /// entry), so that most descent steps need not visit the leaf.
    score: f64,
}

/// An internal node.
#[derive(Clone, Default)]
struct Inner {
    slots: Vec<Slot>,
}

/// A sorted set: members ordered by (score, member) with O(log n) rank
/// operations and O(1) score lookup. See the module doc for the layout.
#[derive(Clone)]
pub struct ZTree {
    leaves: Vec<Leaf>,
    free_leaves: Vec<u32>,
    inners: Vec<Inner>,
    free_inners: Vec<u32>,
    index: Index,
    hasher: foldhash::fast::RandomState,
    root: u32,
    /// Number of internal levels above the leaves (0: the root is a leaf).
    height: u32,
    head: u32,
    tail: u32,
    len: usize,
    params: Params,
}

/// An entry about to be inserted.
struct NewEntry<'a> {
    score: f64,
    member: &'a [u8],
}

/// Right-hand siblings created by an insertion below a node: `(id, count)`.
#[derive(Default)]
struct Split {
    parts: [(u32, usize); 2],
    n: usize,
}

impl Split {
    fn one(id: u32, cnt: usize) -> Self {
        Split {
            parts: [(id, cnt), (NIL, 0)],
            n: 1,
        }
    }
    fn parts(&self) -> &[(u32, usize)] {
        &self.parts[..self.n.min(2)]
    }
}

/// A "comes before" test on the order, true on a prefix of the entries:
/// what a descent looks for.
#[derive(Clone, Copy)]
enum Before<'a> {
    /// key < (score, member)
    Key(f64, &'a [u8]),
    /// key <= (score, member)
    KeyOrEq(f64, &'a [u8]),
    ScoreLt(f64),
    ScoreLe(f64),
    LexLt(&'a [u8]),
    LexLe(&'a [u8]),
}

impl Before<'_> {
    /// The answer from a score alone, when it settles it.
    #[inline]
    fn by_score(self, s: f64) -> Option<bool> {
        match self {
            Before::Key(k, _) | Before::KeyOrEq(k, _) => {
                if s < k {
                    Some(true)
                } else if s > k {
                    Some(false)
                } else {
                    None
                }
            }
            Before::ScoreLt(b) => Some(s < b),
            Before::ScoreLe(b) => Some(s <= b),
            Before::LexLt(_) | Before::LexLe(_) => None,
        }
    }

    #[inline]
    fn test(self, s: f64, m: &[u8]) -> bool {
        match self {
            Before::Key(k, km) => key_cmp(s, m, k, km) == Ordering::Less,
            Before::KeyOrEq(k, km) => key_cmp(s, m, k, km) != Ordering::Greater,
            Before::ScoreLt(b) => s < b,
            Before::ScoreLe(b) => s <= b,
            Before::LexLt(b) => m < b,
            Before::LexLe(b) => m <= b,
        }
    }
}

/// What a removal descends to.
#[derive(Clone, Copy)]
enum Target<'a> {
    Key(f64, &'a [u8]),
    Rank(usize),
}

/// Where an entry was found: leaf, offset of the previous entry in that leaf,
/// its own offset and end, and its score.
struct Found {
    leaf: u32,
    prev: Option<usize>,
    off: usize,
    end: usize,
    score: f64,
}

// ---------------------------------------------------------------------------

impl Default for ZTree {
    fn default() -> Self {
        Self::new()
    }
}

impl ZTree {
    /// An empty set; allocates nothing until the first insert.
    pub fn new() -> Self {
        Self::with_params(DEFAULT_PARAMS)
    }

    fn with_params(params: Params) -> Self {
        ZTree {
            leaves: Vec::new(),
            free_leaves: Vec::new(),
            inners: Vec::new(),
            free_inners: Vec::new(),
            index: Index::default(),
            hasher: foldhash::fast::RandomState::default(),
            root: NIL,
            height: 0,
            head: NIL,
            tail: NIL,
            len: 0,
            params,
        }
    }

    /// Number of members (ZCARD), kept as a counter: O(1).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no member (the key then ceases to exist).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn tag(&self, member: &[u8]) -> u32 {
        (self.hasher.hash_one(member) as u32) & self.params.tag_mask
    }

    fn leaf(&self, id: u32) -> &Leaf {
        static EMPTY: Leaf = Leaf {
            buf: Vec::new(),
            n: 0,
            prev: NIL,
            next: NIL,
        };
        self.leaves.get(id as usize).unwrap_or(&EMPTY)
    }

    /// Finds `member` through the index.
    fn find(&self, member: &[u8], tag: u32) -> Option<Found> {
        self.index.find_map(tag, |leaf| {
            let mut prev = None;
            for (off, score, m, end) in entries(&self.leaf(leaf).buf) {
                if m == member {
                    return Some(Found {
                        leaf,
                        prev,
                        off,
                        end,
                        score,
                    });
                }
                prev = Some(off);
            }
            None
        })
    }

    /// The member's score (ZSCORE, ZMSCORE): one hash probe and a search of
    /// one leaf.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member, self.tag(member)).map(|f| f.score)
    }

    /// Adds `member` or changes its score (ZADD, ZINCRBY); returns the old
    /// score. An update to an equal score (`==`, so -0.0 keeps 0.0) changes
    /// nothing, and one that keeps the member between its neighbours
    /// rewrites the score in place; otherwise the entry is moved.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let tag = self.tag(member);
        let Some(found) = self.find(member, tag) else {
            self.insert_new(member, score, tag);
            return None;
        };
        let old = found.score;
        if old == score {
            return Some(old);
        }
        // Not for a leaf's first entry: its score is copied into the
        // ancestors' slots.
        if found.prev.is_some() && self.stays_in_order(&found, member, score) {
            if let Some(b) = self
                .leaves
                .get_mut(found.leaf as usize)
                .and_then(|l| l.buf.get_mut(found.off..found.off + 8))
            {
                b.copy_from_slice(&score.to_le_bytes());
            }
            return Some(old);
        }
        self.remove_root(Target::Key(old, member), 1);
        self.insert_new(member, score, tag);
        Some(old)
    }

    /// Whether the entry at `found` may take `score` without moving.
    fn stays_in_order(&self, found: &Found, member: &[u8], score: f64) -> bool {
        let leaf = self.leaf(found.leaf);
        let prev = match found.prev {
            Some(p) => parse(&leaf.buf, p).map(|(s, m, _)| (s, m)),
            None => entries(&self.leaf(leaf.prev).buf)
                .last()
                .map(|(_, s, m, _)| (s, m)),
        };
        let next = match parse(&leaf.buf, found.end) {
            Some((s, m, _)) => Some((s, m)),
            None => parse(&self.leaf(leaf.next).buf, 0).map(|(s, m, _)| (s, m)),
        };
        prev.is_none_or(|(s, m)| key_cmp(s, m, score, member) == Ordering::Less)
            && next.is_none_or(|(s, m)| key_cmp(score, member, s, m) == Ordering::Less)
    }

    /// Removes `member` (ZREM); returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let found = self.find(member, self.tag(member))?;
        self.remove_root(Target::Key(found.score, member), 1);
        Some(found.score)
    }

    /// 0-based ascending rank of `member` (ZRANK; ZREVRANK is `len-1-rank`).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_before(Before::Key(score, member)))
    }

    /// The entry at 0-based ascending `rank` (ZRANGE of one, ZRANDMEMBER).
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        let (leaf, idx) = self.locate_rank(rank)?;
        entries(&self.leaf(leaf).buf)
            .nth(idx)
            .map(|(_, s, m, _)| (m, s))
    }

    /// Ascending iteration from `rank` (ZRANGE and the BYSCORE/BYLEX forms
    /// once the start rank is known); borrows, allocates nothing.
    pub fn iter_from_rank(&self, rank: usize) -> Iter<'_> {
        Iter::new(
            self,
            rank,
            self.len.saturating_sub(1),
            self.len.saturating_sub(rank),
        )
    }

    /// Descending iteration from `rank` down to rank 0 (ZREVRANGE); empty
    /// when `rank >= len`.
    pub fn iter_rev_from_rank(&self, rank: usize) -> std::iter::Rev<Iter<'_>> {
        let remaining = if rank < self.len { rank + 1 } else { 0 };
        Iter::new(self, 0, rank, remaining).rev()
    }

    /// Every entry in order; double-ended, so `.rev()` walks down.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from_rank(0)
    }

    /// Number of entries whose score is `< min` (or `<= min` when
    /// `exclusive`): the rank where the score range starting at `min` begins.
    pub fn rank_of_score(&self, min: f64, exclusive: bool) -> usize {
        self.count_before(if exclusive {
            Before::ScoreLe(min)
        } else {
            Before::ScoreLt(min)
        })
    }

    /// Number of entries whose score is `< max` (exclusive) or `<= max`:
    /// one past the last rank of the score range ending at `max`.
    pub fn rank_after_score(&self, max: f64, exclusive: bool) -> usize {
        self.count_before(if exclusive {
            Before::ScoreLt(max)
        } else {
            Before::ScoreLe(max)
        })
    }

    /// Rank of the first member inside the lex range starting at `min`,
    /// assuming (as Redis's BYLEX commands do) that all scores are equal.
    pub fn rank_of_lex(&self, min: LexBound<'_>) -> usize {
        match min {
            LexBound::NegInf => 0,
            LexBound::PosInf => self.len,
            LexBound::Incl(b) => self.count_before(Before::LexLt(b)),
            LexBound::Excl(b) => self.count_before(Before::LexLe(b)),
        }
    }

    /// One past the rank of the last member inside the lex range ending at
    /// `max` (same all-scores-equal assumption).
    pub fn rank_after_lex(&self, max: LexBound<'_>) -> usize {
        match max {
            LexBound::NegInf => 0,
            LexBound::PosInf => self.len,
            LexBound::Incl(b) => self.count_before(Before::LexLe(b)),
            LexBound::Excl(b) => self.count_before(Before::LexLt(b)),
        }
    }

    /// Removes the entries of ranks `start..end_exclusive` (clamped to the
    /// set): the core of ZREMRANGEBYRANK/BYSCORE/BYLEX. Removes a leaf's
    /// worth per descent. Returns the number removed.
    pub fn remove_rank_range(&mut self, start: usize, end_exclusive: usize) -> usize {
        let end = end_exclusive.min(self.len);
        let mut left = end.saturating_sub(start);
        let total = left;
        while left > 0 {
            let got = self.remove_root(Target::Rank(start), left);
            if got == 0 {
                break;
            }
            left -= got.min(left);
        }
        total - left
    }

    /// Removes and returns the lowest entry (ZPOPMIN, BZPOPMIN).
    pub fn pop_first(&mut self) -> Option<(Vec<u8>, f64)> {
        self.pop_at(0)
    }

    /// Removes and returns the highest entry (ZPOPMAX, BZPOPMAX).
    pub fn pop_last(&mut self) -> Option<(Vec<u8>, f64)> {
        self.pop_at(self.len.checked_sub(1)?)
    }

    fn pop_at(&mut self, rank: usize) -> Option<(Vec<u8>, f64)> {
        let (m, s) = self.get_by_rank(rank)?;
        let out = (m.to_vec(), s);
        self.remove_rank_range(rank, rank + 1);
        Some(out)
    }

    /// One step of ZSCAN: calls `f` for the members of the index bucket that
    /// `cursor` names and returns the next cursor (0 when done; start at 0).
    ///
    /// The cursor is Redis's reverse-binary bucket cursor over the member
    /// index, so every member present for the whole scan is reported at
    /// least once, whatever is added, removed or re-scored in between and
    /// even if the index grows or shrinks; some may be reported twice. A
    /// rank or score cursor could not promise that (removals shift ranks,
    /// score updates move members behind the cursor).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        self.index.scan(cursor, |tag, leaf| {
            for (_, s, m, _) in entries(&self.leaf(leaf).buf) {
                if self.tag(m) == tag {
                    f(m, s);
                }
            }
        })
    }

    /// A member chosen uniformly (ZRANDMEMBER) from one draw of `rand`.
    pub fn random(&self, rand: &mut impl FnMut() -> u64) -> Option<(&[u8], f64)> {
        if self.len == 0 {
            return None;
        }
        let r = ((u128::from(rand()) * self.len as u128) >> 64) as usize;
        self.get_by_rank(r)
    }

    /// Approximate heap bytes held (MEMORY USAGE), counting capacities.
    pub fn mem_usage(&self) -> usize {
        use std::mem::size_of;
        let leaves: usize = self.leaves.iter().map(|l| l.buf.capacity()).sum();
        let inners: usize = self
            .inners
            .iter()
            .map(|i| i.slots.capacity() * size_of::<Slot>())
            .sum();
        leaves
            + inners
            + self.leaves.capacity() * size_of::<Leaf>()
            + self.inners.capacity() * size_of::<Inner>()
            + (self.free_leaves.capacity() + self.free_inners.capacity()) * 4
            + self.index.heap_bytes()
    }

    // -----------------------------------------------------------------------
    // Descents.

    /// Key of the first entry of leaf `id`.
    #[inline]
    fn first_key(&self, id: u32) -> Option<(f64, &[u8])> {
        parse(&self.leaf(id).buf, 0).map(|(s, m, _)| (s, m))
    }

    /// Number of entries for which `before` holds, `before` being true on a
    /// prefix of the order: a descent that skips whole children whose
    /// successor's first entry is still before.
    fn count_before(&self, before: Before) -> usize {
        let mut node = self.root;
        if node == NIL {
            return 0;
        }
        let mut rank = 0;
        for _ in 0..self.height {
            let Some(inner) = self.inners.get(node as usize) else {
                return rank;
            };
            let slots = &inner.slots;
            let i = self.last_child_where(slots, before);
            rank += slots[..i].iter().map(|s| s.cnt).sum::<usize>();
            match slots.get(i) {
                Some(s) => node = s.kid,
                None => return rank,
            }
        }
        rank + entries(&self.leaf(node).buf)
            .take_while(|&(_, s, m, _)| before.test(s, m))
            .count()
    }

    /// Largest `i` whose child starts with an entry for which `pred` holds
    /// (0 if none): binary search peeking at leftmost leaves.
    fn last_child_where(&self, slots: &[Slot], pred: Before) -> usize {
        let (mut lo, mut hi) = (0, slots.len());
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            let ok = slots.get(mid).is_some_and(|slot| {
                pred.by_score(slot.score).unwrap_or_else(|| {
                    self.first_key(slot.first)
                        .is_some_and(|(s, m)| pred.test(s, m))
                })
            });
            if ok {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The child of `slots` whose range holds the key (`<=` its first key).
    fn child_for_key(&self, slots: &[Slot], score: f64, member: &[u8]) -> usize {
        self.last_child_where(slots, Before::KeyOrEq(score, member))
    }

    /// Leaf and index within it of the entry at `rank`.
    fn locate_rank(&self, mut rank: usize) -> Option<(u32, usize)> {
        if rank >= self.len {
            return None;
        }
        let mut node = self.root;
        for _ in 0..self.height {
            let slots = &self.inners.get(node as usize)?.slots;
            let mut next = None;
            for s in slots {
                if rank < s.cnt {
                    next = Some(s.kid);
                    break;
                }
                rank -= s.cnt;
            }
            node = next?;
        }
        Some((node, rank))
    }

    // -----------------------------------------------------------------------
    // Node allocation.

    /// A new empty leaf linked after `after` (or as the only leaf).
    fn new_leaf_after(&mut self, after: u32) -> u32 {
        let next = if after == NIL {
            NIL
        } else {
            self.leaf(after).next
        };
        let leaf = Leaf {
            buf: Vec::new(),
            n: 0,
            prev: after,
            next,
        };
        let id = match self.free_leaves.pop() {
            Some(id) => {
                if let Some(l) = self.leaves.get_mut(id as usize) {
                    *l = leaf;
                }
                id
            }
            None => {
                self.leaves.push(leaf);
                (self.leaves.len() - 1) as u32
            }
        };
        match self.leaves.get_mut(after as usize) {
            Some(l) => l.next = id,
            None => self.head = id,
        }
        match self.leaves.get_mut(next as usize) {
            Some(l) => l.prev = id,
            None => self.tail = id,
        }
        id
    }

    /// Unlinks and frees leaf `id`.
    fn free_leaf(&mut self, id: u32) {
        let Some(l) = self.leaves.get_mut(id as usize) else {
            return;
        };
        let (prev, next) = (l.prev, l.next);
        *l = Leaf::default();
        match self.leaves.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.leaves.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        self.free_leaves.push(id);
    }

    fn new_inner(&mut self, slots: Vec<Slot>) -> u32 {
        let node = Inner { slots };
        match self.free_inners.pop() {
            Some(id) => {
                if let Some(n) = self.inners.get_mut(id as usize) {
                    *n = node;
                }
                id
            }
            None => {
                self.inners.push(node);
                (self.inners.len() - 1) as u32
            }
        }
    }

    fn free_inner(&mut self, id: u32) {
        if let Some(n) = self.inners.get_mut(id as usize) {
            *n = Inner::default();
            self.free_inners.push(id);
        }
    }

    /// A slot for node `kid` at `level` holding `cnt` entries.
    fn slot_for(&self, kid: u32, level: u32, cnt: usize) -> Slot {
        let first = self.leftmost(kid, level);
        let score = self.first_key(first).map_or(0.0, |k| k.0);
        Slot {
            kid,
            first,
            cnt,
            score,
        }
    }

    /// Current first score under slot `i` of `node`.
    fn first_score_of(&self, node: u32, i: usize) -> f64 {
        self.inners
            .get(node as usize)
            .and_then(|n| n.slots.get(i))
            .and_then(|s| self.first_key(s.first))
            .map_or(0.0, |k| k.0)
    }

    /// Leftmost leaf under node `id` at `level` (0: `id` is a leaf).
    fn leftmost(&self, id: u32, level: u32) -> u32 {
        if level == 0 {
            id
        } else {
            self.inners
                .get(id as usize)
                .and_then(|n| n.slots.first())
                .map_or(NIL, |s| s.first)
        }
    }

    /// Points the index at `to` for the entries of leaf `to` from byte
    /// `from_off`, which came from leaf `from`; the entry at `skip` (a new
    /// one, not yet indexed) is left out.
    fn relocate(&mut self, to: u32, from_off: usize, from: u32, skip: Option<usize>) {
        let ZTree {
            leaves,
            index,
            hasher,
            params,
            ..
        } = self;
        let Some(leaf) = leaves.get(to as usize) else {
            return;
        };
        for (off, _, m, _) in entries_from(&leaf.buf, from_off) {
            if Some(off) != skip {
                let tag = (hasher.hash_one(m) as u32) & params.tag_mask;
                index.relocate(tag, from, to);
            }
        }
    }

    /// Moves the bytes of leaf `l` from `off` to the end into leaf `to`
    /// (appending), re-pointing their index slots; returns how many entries
    /// moved.
    fn move_tail(&mut self, l: u32, off: usize, to: u32, skip: Option<usize>) -> usize {
        let tail: Vec<u8> = match self.leaves.get_mut(l as usize) {
            Some(leaf) if off == 0 => std::mem::take(&mut leaf.buf),
            Some(leaf) if off <= leaf.buf.len() => leaf.buf.split_off(off),
            _ => return 0,
        };
        let moved = entries(&tail).count();
        let Some(dst) = self.leaves.get_mut(to as usize) else {
            return 0;
        };
        let base = dst.buf.len();
        if base == 0 {
            dst.buf = tail;
        } else {
            reserve_class(&mut dst.buf, tail.len());
            dst.buf.extend_from_slice(&tail);
        }
        dst.n += moved as u32;
        if let Some(src) = self.leaves.get_mut(l as usize) {
            src.n = src.n.saturating_sub(moved as u32);
            shrink_class(&mut src.buf);
        }
        let skip = skip.and_then(|s| s.checked_sub(off)).map(|d| d + base);
        self.relocate(to, base, l, skip);
        moved
    }

    // -----------------------------------------------------------------------
    // Insertion.

    fn insert_new(&mut self, member: &[u8], score: f64, tag: u32) {
        let e = NewEntry { score, member };
        if self.root == NIL {
            let l = self.new_leaf_after(NIL);
            self.write_into(l, 0, &e);
            self.root = l;
            self.height = 0;
            self.len = 1;
            self.index.insert(tag, l);
            return;
        }
        let (leaf, split) = self.ins(self.root, self.height, &e);
        self.len += 1;
        if split.n > 0 {
            let old = self.root;
            let moved: usize = split.parts().iter().map(|p| p.1).sum();
            let mut slots = vec![self.slot_for(old, self.height, self.len - moved)];
            for &(kid, cnt) in split.parts() {
                slots.push(self.slot_for(kid, self.height, cnt));
            }
            self.root = self.new_inner(slots);
            self.height += 1;
        }
        self.index.insert(tag, leaf);
    }

    /// Inserts below `node`; returns the leaf that received the entry and
    /// the new right siblings of `node`.
    fn ins(&mut self, node: u32, level: u32, e: &NewEntry) -> (u32, Split) {
        if level == 0 {
            return self.leaf_ins(node, e);
        }
        let Some(inner) = self.inners.get(node as usize) else {
            return (NIL, Split::default());
        };
        let i = self.child_for_key(&inner.slots, e.score, e.member);
        let Some(kid) = inner.slots.get(i).map(|s| s.kid) else {
            return (NIL, Split::default());
        };
        let (leaf, split) = self.ins(kid, level - 1, e);
        let new: Vec<Slot> = split
            .parts()
            .iter()
            .map(|&(kid, cnt)| self.slot_for(kid, level - 1, cnt))
            .collect();
        let first_score = self.first_score_of(node, i);
        let fan = self.params.fan;
        let Some(inner) = self.inners.get_mut(node as usize) else {
            return (leaf, Split::default());
        };
        if let Some(s) = inner.slots.get_mut(i) {
            s.cnt = (s.cnt + 1).saturating_sub(new.iter().map(|n| n.cnt).sum());
            s.score = first_score;
        }
        for (k, s) in new.into_iter().enumerate() {
            inner.slots.insert(i + 1 + k, s);
        }
        if inner.slots.len() <= fan {
            return (leaf, Split::default());
        }
        let right = inner.slots.split_off(inner.slots.len() / 2);
        let cnt = right.iter().map(|s| s.cnt).sum();
        let id = self.new_inner(right);
        (leaf, Split::one(id, cnt))
    }

    /// Writes `e` at byte `off` of leaf `l`, shifting what follows.
    fn write_into(&mut self, l: u32, off: usize, e: &NewEntry) {
        let size = entry_size(e.member.len());
        let Some(leaf) = self.leaves.get_mut(l as usize) else {
            return;
        };
        let old = leaf.buf.len();
        let off = off.min(old);
        reserve_class(&mut leaf.buf, size);
        leaf.buf.resize(old + size, 0);
        leaf.buf.copy_within(off..old, off + size);
        if let Some(dst) = leaf.buf.get_mut(off..off + size) {
            write_entry(dst, e.score, e.member);
        }
        leaf.n += 1;
    }

    /// Inserts into leaf `l`, splitting it when full. A lone big entry (over
    /// half a leaf) never shares a leaf that is full, so it is not copied
    /// again by later neighbours; appending past the last leaf starts a new
    /// one (sequential inserts fill leaves completely).
    fn leaf_ins(&mut self, l: u32, e: &NewEntry) -> (u32, Split) {
        let p = self.params;
        let leaf = self.leaf(l);
        let bytes = leaf.buf.len();
        let n = leaf.n as usize;
        let off = entries(&leaf.buf)
            .find(|&(_, s, m, _)| key_cmp(s, m, e.score, e.member) == Ordering::Greater)
            .map_or(bytes, |x| x.0);
        let size = entry_size(e.member.len());
        if n == 0 || (bytes + size <= p.leaf_max && n < p.entry_cap) {
            self.write_into(l, off, e);
            return (l, Split::default());
        }
        let big = size > p.leaf_max / 2 || n == 1;
        if off == bytes && (big || leaf.next == NIL) {
            let r = self.new_leaf_after(l);
            self.write_into(r, 0, e);
            return (r, Split::one(r, 1));
        }
        if off == 0 && (big || leaf.prev == NIL) {
            // The new entry takes `l` (keeping it leftmost); the old
            // entries move to a new right sibling.
            let r = self.new_leaf_after(l);
            let moved = self.move_tail(l, 0, r, None);
            self.write_into(l, 0, e);
            return (l, Split::one(r, moved));
        }
        if big {
            let r1 = self.new_leaf_after(l);
            let r2 = self.new_leaf_after(r1);
            let moved = self.move_tail(l, off, r2, None);
            self.write_into(r1, 0, e);
            let mut split = Split::one(r1, 1);
            split.parts[1] = (r2, moved);
            split.n = 2;
            return (r1, split);
        }
        // Insert, then cut where the larger half is smallest: both halves
        // then fit (the old entries fit in one leaf and the new one in half
        // a leaf, so cutting next to the new entry always works).
        self.write_into(l, off, e);
        let buf = &self.leaf(l).buf;
        let total = buf.len();
        let mut best: Option<(usize, usize)> = None;
        for (_, _, _, end) in entries(buf) {
            if end >= total {
                break;
            }
            let worst = end.max(total - end);
            if best.is_none_or(|(bw, _)| worst < bw) {
                best = Some((worst, end));
            }
        }
        let Some((_, cut)) = best else {
            return (l, Split::default());
        };
        let r = self.new_leaf_after(l);
        let skip = (off >= cut).then_some(off);
        self.move_tail(l, cut, r, skip);
        let moved = self.leaf(r).n as usize;
        (if off >= cut { r } else { l }, Split::one(r, moved))
    }

    // -----------------------------------------------------------------------
    // Removal.

    /// Removes up to `want` entries at `t` (all in one leaf); fixes the root.
    fn remove_root(&mut self, t: Target, want: usize) -> usize {
        if self.root == NIL {
            return 0;
        }
        let got = self.rem(self.root, self.height, t, want);
        self.len -= got.min(self.len);
        while self.height > 0 {
            let Some(inner) = self.inners.get(self.root as usize) else {
                break;
            };
            match inner.slots.len() {
                1 => {
                    let old = self.root;
                    self.root = inner.slots[0].kid;
                    self.free_inner(old);
                    self.height -= 1;
                }
                0 => {
                    self.len = 0;
                    break;
                }
                _ => break,
            }
        }
        if self.len == 0 {
            let (params, hasher) = (self.params, self.hasher);
            *self = Self::with_params(params);
            self.hasher = hasher;
        }
        got
    }

    /// Removes below `node`; returns the number removed.
    fn rem(&mut self, node: u32, level: u32, t: Target, want: usize) -> usize {
        if level == 0 {
            return self.leaf_rem(node, t, want);
        }
        let Some(inner) = self.inners.get(node as usize) else {
            return 0;
        };
        let (i, t) = match t {
            Target::Key(s, m) => (self.child_for_key(&inner.slots, s, m), t),
            Target::Rank(mut r) => {
                let mut i = 0;
                for s in &inner.slots {
                    if r < s.cnt {
                        break;
                    }
                    r -= s.cnt;
                    i += 1;
                }
                (i, Target::Rank(r))
            }
        };
        let Some(kid) = inner.slots.get(i).map(|s| s.kid) else {
            return 0;
        };
        let got = self.rem(kid, level - 1, t, want);
        if let Some(s) = self
            .inners
            .get_mut(node as usize)
            .and_then(|n| n.slots.get_mut(i))
        {
            s.cnt = s.cnt.saturating_sub(got);
        }
        self.fix_child(node, i, level - 1);
        got
    }

    /// Removes from leaf `l` the entry with key `t` or up to `want` entries
    /// from rank `t`, dropping their index slots.
    fn leaf_rem(&mut self, l: u32, t: Target, want: usize) -> usize {
        let leaf = self.leaf(l);
        let (off, end, cnt) = match t {
            Target::Key(s, m) => {
                match entries(&leaf.buf).find(|&(_, es, em, _)| es == s && em == m) {
                    Some((off, _, _, end)) => (off, end, 1),
                    None => return 0,
                }
            }
            Target::Rank(r) => {
                let mut it = entries(&leaf.buf).skip(r);
                let Some((off, _, _, mut end)) = it.next() else {
                    return 0;
                };
                let mut cnt = 1;
                for (_, _, _, e) in it.take(want.saturating_sub(1)) {
                    end = e;
                    cnt += 1;
                }
                (off, end, cnt)
            }
        };
        let ZTree {
            leaves,
            index,
            hasher,
            params,
            ..
        } = self;
        let Some(leaf) = leaves.get_mut(l as usize) else {
            return 0;
        };
        for (_, _, m, _) in entries_from(&leaf.buf[..end], off) {
            index.remove((hasher.hash_one(m) as u32) & params.tag_mask, l);
        }
        leaf.buf.drain(off..end);
        leaf.n = leaf.n.saturating_sub(cnt as u32);
        shrink_class(&mut leaf.buf);
        cnt
    }

    /// After a removal below child `i` of `node`: drops the child if empty,
    /// refreshes its leftmost leaf, merges it into a neighbour if small.
    fn fix_child(&mut self, node: u32, i: usize, level: u32) {
        let Some(slots) = self.inners.get(node as usize).map(|n| &n.slots) else {
            return;
        };
        let Some(kid) = slots.get(i).map(|s| s.kid) else {
            return;
        };
        let left = i.checked_sub(1).and_then(|j| slots.get(j)).map(|s| s.kid);
        let right = slots.get(i + 1).map(|s| s.kid);
        let (size, empty) = if level == 0 {
            let l = self.leaf(kid);
            (l.buf.len(), l.n == 0)
        } else {
            let n = self.inners.get(kid as usize).map_or(0, |n| n.slots.len());
            (n, n == 0)
        };
        if empty {
            if level == 0 {
                self.free_leaf(kid);
            } else {
                self.free_inner(kid);
            }
            if let Some(n) = self.inners.get_mut(node as usize) {
                n.slots.remove(i);
            }
            return;
        }
        let fresh = self.slot_for(kid, level, 0);
        if let Some(s) = self
            .inners
            .get_mut(node as usize)
            .and_then(|n| n.slots.get_mut(i))
        {
            s.first = fresh.first;
            s.score = fresh.score;
        }
        let small = if level == 0 {
            size < self.params.leaf_max / 4
        } else {
            size < self.params.fan / 4
        };
        if !small {
            return;
        }
        if let Some(lk) = left {
            if self.try_merge(lk, kid, level) {
                self.drop_slot_into(node, i, i - 1);
                return;
            }
        }
        if let Some(rk) = right {
            if self.try_merge(kid, rk, level) {
                self.drop_slot_into(node, i + 1, i);
            }
        }
    }

    /// Removes slot `from` of `node`, adding its count to slot `into`.
    fn drop_slot_into(&mut self, node: u32, from: usize, into: usize) {
        if let Some(n) = self.inners.get_mut(node as usize) {
            if from < n.slots.len() {
                let s = n.slots.remove(from);
                if let Some(t) = n.slots.get_mut(into) {
                    t.cnt += s.cnt;
                }
            }
        }
    }

    /// Appends node `b` to its left sibling `a` when both fit in one node
    /// with room to spare; frees `b`.
    fn try_merge(&mut self, a: u32, b: u32, level: u32) -> bool {
        let p = self.params;
        if level == 0 {
            let (la, lb) = (self.leaf(a), self.leaf(b));
            if la.buf.len() + lb.buf.len() > p.leaf_max * 3 / 4
                || (la.n + lb.n) as usize > p.entry_cap
            {
                return false;
            }
            self.move_tail(b, 0, a, None);
            self.free_leaf(b);
        } else {
            let (na, nb) = (
                self.inners.get(a as usize).map_or(0, |n| n.slots.len()),
                self.inners.get(b as usize).map_or(0, |n| n.slots.len()),
            );
            if na + nb > p.fan * 3 / 4 {
                return false;
            }
            let moved = self
                .inners
                .get_mut(b as usize)
                .map(|n| std::mem::take(&mut n.slots))
                .unwrap_or_default();
            if let Some(n) = self.inners.get_mut(a as usize) {
                n.slots.extend(moved);
            }
            self.free_inner(b);
        }
        true
    }
}

impl fmt::Debug for ZTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}
