//! Quicklist: the list type's representation, a deque of listpack nodes.
//!
//! # Why
//!
//! Redis 7.0 stores every list as a quicklist (`OBJECT ENCODING` reports
//! `"quicklist"`): a doubly linked list of listpacks. A single listpack would
//! make LPUSH on a long list an O(n) memmove; one heap object per element
//! would cost ~40 bytes of overhead for a 10-byte element. Bounded nodes get
//! both compact storage (≈ element bytes + 2 per element) and O(node size)
//! edits anywhere.
//!
//! We keep the nodes in a `VecDeque<Listpack>` instead of a linked list:
//! node insertion/removal in the middle is a move of 32-byte handles (a few
//! thousand at most even for millions of elements), while pushes and pops at
//! either end stay O(1) and index lookups walk a contiguous array.
//!
//! # Fill rules (list-max-listpack-size)
//!
//! Node sizing follows Redis 7.0's `quicklist.c` so node layouts — and thus
//! RDB `QUICKLIST_2` payloads — match Redis for the same command sequence:
//!
//! * `fill > 0`: at most `fill` elements per node, and a node also stops
//!   growing once it would pass `SIZE_SAFETY_LIMIT` (8 KiB);
//! * `fill < 0`: a byte limit of 4, 8, 16, 32 or 64 KiB for -1..-5;
//! * `fill` is clamped to `-5..=32767` (`quicklistSetFill`), and `0` means
//!   one element per node.
//!
//! Size checks use Redis's estimate (`node bytes + value length + 8`), and
//! merges use `a + b - 11` (one header/terminator saved). Inserting into a
//! full node splits it and then tries to merge the neighbourhood
//! (`_quicklistSplitNode` + `_quicklistMergeNodes`). Beyond Redis 7.0,
//! deletions (LREM, LTRIM, pops, range deletes) also drop empty nodes and
//! merge neighbours that fit together, and an LSET that makes a node exceed
//! its limit isolates the new element in its own node (as Redis 7.2 does),
//! so memory stays compact. Elements of 1 GiB or more (Redis's "plain"
//! nodes) always get a node of their own; we store that node as an ordinary
//! one-element listpack.
//!
//! # Memory
//!
//! A node's listpack grows with ~25% headroom while it is being filled and is
//! shrunk to fit as soon as it is closed (a new head/tail node is started,
//! or it is split/merged), so a long list costs about what Redis's does:
//! the node blobs plus 32 bytes per node.

use std::collections::VecDeque;
use std::fmt;

use super::listpack::{self, Listpack, LpValue};

/// Byte limits for negative fill values -1..-5 (`optimization_level`).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte cap for count-limited (positive fill) nodes.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's over-estimate of one entry's encoding overhead.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Largest fill accepted (`FILL_MAX` with 16 fill bits).
const FILL_MAX: i32 = (1 << 15) - 1;
/// Elements this large get a node of their own (`packed_threshold`).
const PACKED_THRESHOLD: usize = 1 << 30;
/// Redis's default `list-max-listpack-size`.
const DEFAULT_FILL: i32 = -2;

/// `_quicklistNodeSizeMeetsOptimizationRequirement`.
fn size_meets_optimization(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let offset = usize::try_from(-(i64::from(fill)) - 1).unwrap_or(usize::MAX);
    OPTIMIZATION_LEVEL.get(offset).is_some_and(|&lim| sz <= lim)
}

/// Whether `fill` (a positive count limit) admits `count` elements.
fn count_allowed(count: usize, fill: i32, inclusive: bool) -> bool {
    match usize::try_from(fill) {
        Ok(f) if inclusive => count <= f,
        Ok(f) => count < f,
        Err(_) => false,
    }
}

/// `_quicklistNodeAllowInsert`: can `node` take one more value of `sz`
/// bytes under `fill`?
fn allow_insert(node: &Listpack, fill: i32, sz: usize) -> bool {
    if sz >= PACKED_THRESHOLD {
        return false;
    }
    let new_sz = node
        .bytes_len()
        .saturating_add(sz)
        .saturating_add(SIZE_ESTIMATE_OVERHEAD);
    if size_meets_optimization(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        count_allowed(node.len(), fill, false)
    }
}

/// `_quicklistNodeAllowMerge`: would `a` and `b` fit in one node?
fn allow_merge(a: &Listpack, b: &Listpack, fill: i32) -> bool {
    let merge_sz = (a.bytes_len() + b.bytes_len()).saturating_sub(11);
    if size_meets_optimization(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        count_allowed(a.len() + b.len(), fill, true)
    }
}

/// Whether a node is over its limit (only possible after an in-place
/// replacement with a bigger value), as Redis 7.2's
/// `quicklistNodeExceedsLimit`.
fn exceeds_limit(node: &Listpack, fill: i32) -> bool {
    let sz = node.bytes_len();
    if fill < 0 {
        !size_meets_optimization(sz, fill)
    } else {
        sz > SIZE_SAFETY_LIMIT || !count_allowed(node.len(), fill, true)
    }
}

/// A node holding just `v`, exactly sized.
fn single(v: &[u8]) -> Listpack {
    let mut n = Listpack::new();
    n.push_back(v);
    n.shrink_to_fit();
    n
}

/// A Redis-style list of listpack nodes; see the module documentation.
///
/// Invariants: no node is empty, `len` is the sum of the node lengths, and
/// `fill` is within `-5..=32767`.
#[derive(Clone)]
pub struct Quicklist {
    nodes: VecDeque<Listpack>,
    len: usize,
    fill: i32,
}

impl Default for Quicklist {
    /// An empty list with Redis's default fill (-2: 8 KiB nodes).
    fn default() -> Self {
        Self::new(DEFAULT_FILL)
    }
}

impl fmt::Debug for Quicklist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: Vec<(usize, usize)> = self
            .nodes
            .iter()
            .map(|n| (n.len(), n.bytes_len()))
            .collect();
        f.debug_struct("Quicklist")
            .field("len", &self.len)
            .field("fill", &self.fill)
            .field("nodes(len, bytes)", &sizes)
            .finish()
    }
}

impl Quicklist {
    /// An empty list whose nodes follow `fill` (the list-max-listpack-size
    /// setting at creation time); clamped to Redis's accepted range.
    pub fn new(fill: i32) -> Self {
        Quicklist {
            nodes: VecDeque::new(),
            len: 0,
            fill: fill.clamp(-5, FILL_MAX),
        }
    }

    /// Changes the fill rule for future inserts (CONFIG SET affects lists
    /// as they grow; existing nodes are left alone, as in Redis).
    pub fn set_fill(&mut self, fill: i32) {
        self.fill = fill.clamp(-5, FILL_MAX);
    }

    /// The current (clamped) fill rule.
    pub fn fill(&self) -> i32 {
        self.fill
    }

    /// Number of elements (LLEN), O(1).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty (then the key should be deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of listpack nodes (DEBUG OBJECT's `ql_nodes`, RDB node count).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// LPUSH of one element: into the head node if the fill rule allows,
    /// else into a new head node (closing and shrinking the old one). A
    /// value that does not [`listpack::fits`] is ignored.
    pub fn push_front(&mut self, v: &[u8]) {
        if !listpack::fits(v.len()) {
            return;
        }
        let fill = self.fill;
        match self.nodes.front_mut() {
            Some(n) if allow_insert(n, fill, v.len()) => n.push_front(v),
            other => {
                if let Some(n) = other {
                    n.shrink_to_fit();
                }
                self.nodes.push_front(single(v));
            }
        }
        self.len += 1;
    }

    /// RPUSH of one element: into the tail node if the fill rule allows,
    /// else into a new tail node (closing and shrinking the old one). A
    /// value that does not [`listpack::fits`] is ignored.
    pub fn push_back(&mut self, v: &[u8]) {
        if !listpack::fits(v.len()) {
            return;
        }
        let fill = self.fill;
        match self.nodes.back_mut() {
            Some(n) if allow_insert(n, fill, v.len()) => n.push_back(v),
            other => {
                if let Some(n) = other {
                    n.shrink_to_fit();
                }
                self.nodes.push_back(single(v));
            }
        }
        self.len += 1;
    }

    /// LPOP of one element; drops the head node when it empties, or merges
    /// it into its neighbour once they fit together.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let node = self.nodes.front_mut()?;
        let pos = node.first()?;
        let out = node.get(pos).to_vec();
        node.delete(pos);
        self.len -= 1;
        self.compact(0, 1);
        Some(out)
    }

    /// RPOP of one element; drops the tail node when it empties, or merges
    /// it into its neighbour once they fit together.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let node = self.nodes.back_mut()?;
        let pos = node.last()?;
        let out = node.get(pos).to_vec();
        node.delete(pos);
        self.len -= 1;
        let last = self.nodes.len().saturating_sub(1);
        self.compact(last.saturating_sub(1), last);
        Some(out)
    }

    /// Converts a client index (negative counts from the tail) to an
    /// in-range element index.
    fn normalize(&self, index: i64) -> Option<usize> {
        let len = i64::try_from(self.len).ok()?;
        let idx = if index < 0 {
            len.checked_add(index)?
        } else {
            index
        };
        if idx < 0 || idx >= len {
            return None;
        }
        usize::try_from(idx).ok()
    }

    /// Node index and offset inside it of element `index`, walking the
    /// per-node counts from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut rem = index;
            for (i, n) in self.nodes.iter().enumerate() {
                if rem < n.len() {
                    return Some((i, rem));
                }
                rem -= n.len();
            }
        } else {
            let mut rem = self.len - 1 - index;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                if rem < n.len() {
                    return Some((i, n.len() - 1 - rem));
                }
                rem -= n.len();
            }
        }
        None
    }

    /// LINDEX: the element at `index` (negative from the tail) as owned
    /// bytes; `None` if out of range.
    pub fn get(&self, index: i64) -> Option<Vec<u8>> {
        self.with_index(index, |v| v.to_vec())
    }

    /// Runs `f` on the element at `index` without copying it (e.g. to write
    /// it straight into a reply buffer); `None` if out of range. The value
    /// borrows the list, so `f` may also return it.
    pub fn with_index<'a, R>(&'a self, index: i64, f: impl FnOnce(LpValue<'a>) -> R) -> Option<R> {
        let (i, off) = self.locate(self.normalize(index)?)?;
        let node = self.nodes.get(i)?;
        let pos = node.seek(i64::try_from(off).ok()?)?;
        Some(f(node.get(pos)))
    }

    /// LSET: replaces the element at `index` (negative from the tail).
    /// Returns `false` if out of range (or, theoretically, if `v` does not
    /// [`listpack::fits`]). If the node outgrows its limit, the new element
    /// is moved to a node of its own.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        if !listpack::fits(v.len()) {
            return false;
        }
        let Some((i, off)) = self.normalize(index).and_then(|idx| self.locate(idx)) else {
            return false;
        };
        let fill = self.fill;
        let Some(node) = self.nodes.get_mut(i) else {
            return false;
        };
        let Some(pos) = i64::try_from(off).ok().and_then(|o| node.seek(o)) else {
            return false;
        };
        node.replace(pos, v);
        if node.len() > 1 && exceeds_limit(node, fill) {
            // Isolate the element: [0, off) | [off] | (off, end].
            let mut mid = node.split_off(off);
            let tail = mid.split_off(1);
            self.nodes.insert(i + 1, mid);
            if !tail.is_empty() {
                self.nodes.insert(i + 2, tail);
            }
            self.compact(i.saturating_sub(1), i + 3);
        }
        true
    }

    /// Iterates all elements (double-ended, exact-size, no per-element
    /// allocation): LRANGE, RDB/AOF rewrite, SORT.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            nodes: self.nodes.range(..),
            front: None,
            back: None,
            remaining: self.len,
        }
    }

    /// An iterator yielding nothing.
    fn empty_iter(&self) -> Iter<'_> {
        Iter {
            nodes: self.nodes.range(0..0),
            front: None,
            back: None,
            remaining: 0,
        }
    }

    /// Iterates forward from element `index` to the tail; reaching the
    /// start costs O(nodes), so LRANGE with a big start offset is cheap.
    /// Empty if `index` is out of range.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        let Some((i, off)) = self.locate(index) else {
            return self.empty_iter();
        };
        let Some(node) = self.nodes.get(i) else {
            return self.empty_iter();
        };
        Iter {
            nodes: self.nodes.range(i + 1..),
            front: Some(node.iter_range(off, node.len())),
            back: None,
            remaining: self.len - index,
        }
    }

    /// Iterates backward from element `index` toward the head (inclusive),
    /// e.g. for LRANGE-style reads from the tail or LPOS with negative rank.
    /// Empty if `index` is out of range.
    pub fn iter_rev_from(&self, index: usize) -> std::iter::Rev<Iter<'_>> {
        let Some((i, off)) = self.locate(index) else {
            return self.empty_iter().rev();
        };
        let Some(node) = self.nodes.get(i) else {
            return self.empty_iter().rev();
        };
        Iter {
            nodes: self.nodes.range(..i),
            front: None,
            back: Some(node.iter_range(0, off + 1)),
            remaining: index + 1,
        }
        .rev()
    }

    /// LINSERT: inserts `v` before/after the first element equal to `pivot`
    /// (Redis string equality); `false` if there is none. Node handling
    /// mirrors `_quicklistInsert`: use the node if it has room, else the
    /// neighbour at a node boundary, else a new node, else split the full
    /// node and merge around it.
    pub fn insert(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        if !listpack::fits(v.len()) {
            return false;
        }
        let found = self.nodes.iter().enumerate().find_map(|(i, n)| {
            let pos = n.first().and_then(|f| n.find(f, pivot, 0))?;
            Some((i, pos))
        });
        let Some((i, pos)) = found else {
            return false;
        };
        let fill = self.fill;
        let sz = v.len();
        let Some(node) = self.nodes.get(i) else {
            return false;
        };
        let full = !allow_insert(node, fill, sz);
        let at_tail = after && node.next(pos).is_none();
        let at_head = !after && node.first() == Some(pos);
        let avail_next = at_tail
            && self
                .nodes
                .get(i + 1)
                .is_some_and(|n| allow_insert(n, fill, sz));
        let avail_prev = at_head
            && i.checked_sub(1)
                .and_then(|p| self.nodes.get(p))
                .is_some_and(|n| allow_insert(n, fill, sz));

        if !full {
            if let Some(node) = self.nodes.get_mut(i) {
                if after {
                    node.insert_after(pos, v);
                } else {
                    node.insert_before(pos, v);
                }
            }
        } else if avail_next {
            if let Some(n) = self.nodes.get_mut(i + 1) {
                n.push_front(v);
            }
        } else if avail_prev {
            if let Some(n) = self.nodes.get_mut(i - 1) {
                n.push_back(v);
            }
        } else if at_tail || at_head {
            if let Some(n) = self.nodes.get_mut(i) {
                n.shrink_to_fit();
            }
            self.nodes.insert(if after { i + 1 } else { i }, single(v));
        } else {
            self.split_insert(i, pos, v, after);
        }
        self.len += 1;
        true
    }

    /// Splits full node `i` around the element at `pos` and puts `v` on the
    /// new side (`_quicklistSplitNode`), then merges the neighbourhood
    /// (`_quicklistMergeNodes`).
    fn split_insert(&mut self, i: usize, pos: usize, v: &[u8], after: bool) {
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        // Element offset of `pos`; only needed on this (rare) path.
        let mut off = 0usize;
        let mut p = node.first();
        while let Some(q) = p {
            if q == pos {
                break;
            }
            off += 1;
            p = node.next(q);
        }
        let center = if after {
            // node keeps [0, off], new node gets v + (off, end].
            let mut right = node.split_off(off + 1);
            right.push_front(v);
            right.shrink_to_fit();
            self.nodes.insert(i + 1, right);
            i
        } else {
            // new node [0, off) + v goes first, node keeps [off, end].
            let right = node.split_off(off);
            node.push_back(v);
            node.shrink_to_fit();
            self.nodes.insert(i + 1, right);
            i + 1
        };
        self.merge_around(center);
    }

    /// Merges nodes `i` and `i + 1` into position `i`, copying the smaller
    /// into the larger. Returns whether it happened.
    fn merge_pair(&mut self, i: usize) -> bool {
        let Some(mut b) = self.nodes.remove(i + 1) else {
            return false;
        };
        let Some(a) = self.nodes.get_mut(i) else {
            self.nodes.insert(i + 1, b);
            return false;
        };
        let merged = if a.bytes_len() >= b.bytes_len() {
            a.append_listpack(&b)
        } else if b.prepend_listpack(a) {
            std::mem::swap(a, &mut b);
            true
        } else {
            false
        };
        if !merged {
            self.nodes.insert(i + 1, b);
        }
        merged
    }

    /// Whether nodes `i` and `i + 1` exist and may merge under the fill rule.
    fn can_merge(&self, i: usize) -> bool {
        match (self.nodes.get(i), self.nodes.get(i + 1)) {
            (Some(a), Some(b)) => allow_merge(a, b, self.fill),
            _ => false,
        }
    }

    /// `_quicklistMergeNodes`: tries (prev_prev, prev), (next, next_next),
    /// (prev, center) and then (center, next).
    fn merge_around(&mut self, mut center: usize) {
        if center >= 2 && self.can_merge(center - 2) && self.merge_pair(center - 2) {
            center -= 1;
        }
        if self.can_merge(center + 1) {
            self.merge_pair(center + 1);
        }
        let target = if center >= 1 && self.can_merge(center - 1) && self.merge_pair(center - 1) {
            center - 1
        } else {
            center
        };
        if self.can_merge(target) {
            self.merge_pair(target);
        }
    }

    /// Tidies nodes `lo..=hi` (clamped) after deletions: removes empty nodes,
    /// then merges adjacent pairs that fit together, left to right.
    fn compact(&mut self, lo: usize, hi: usize) {
        let mut end = hi.saturating_add(1).min(self.nodes.len());
        let mut i = lo;
        while i < end {
            if self.nodes.get(i).is_some_and(Listpack::is_empty) {
                self.nodes.remove(i);
                end -= 1;
            } else {
                i += 1;
            }
        }
        let mut i = lo;
        while i + 1 < end {
            if self.can_merge(i) && self.merge_pair(i) {
                end -= 1;
            } else {
                i += 1;
            }
        }
    }

    /// LREM: removes elements equal to `v` — the first `count` from the head
    /// if `count > 0`, the last `-count` from the tail if `count < 0`, all if
    /// `0`. Returns how many were removed.
    pub fn remove(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let mut removed = 0usize;
        let mut lo = usize::MAX;
        let mut hi = 0usize;
        let n = self.nodes.len();
        for step in 0..n {
            if removed >= limit {
                break;
            }
            let i = if count >= 0 { step } else { n - 1 - step };
            let Some(node) = self.nodes.get_mut(i) else {
                break;
            };
            let mut hit = false;
            if count >= 0 {
                let mut p = node.first();
                while let Some(pos) = p.and_then(|s| node.find(s, v, 0)) {
                    p = node.delete(pos);
                    removed += 1;
                    hit = true;
                    if removed >= limit {
                        break;
                    }
                }
            } else {
                let mut p = node.last();
                while let Some(pos) = p.and_then(|s| node.rfind(s, v)) {
                    p = node.prev(pos);
                    node.delete(pos);
                    removed += 1;
                    hit = true;
                    if removed >= limit {
                        break;
                    }
                }
            }
            if hit {
                lo = lo.min(i);
                hi = hi.max(i);
            }
        }
        if removed > 0 {
            self.len -= removed;
            self.compact(lo.saturating_sub(1), hi.saturating_add(1));
        }
        removed
    }

    /// LTRIM: keeps only elements `start..=end_inclusive` (already
    /// normalized by the caller; `end` past the tail is clamped). Empties
    /// the list if `start > end` or `start >= len`.
    pub fn trim(&mut self, start: usize, end_inclusive: usize) {
        if start > end_inclusive || start >= self.len {
            self.clear();
            return;
        }
        let end = end_inclusive.min(self.len - 1);
        self.delete_range(end + 1, self.len - end - 1);
        self.delete_range(0, start);
    }

    /// Deletes up to `count` elements starting at element `start`
    /// (`quicklistDelRange`): whole nodes are dropped, partial ones trimmed
    /// with a single memmove each, then the seams are merged.
    pub fn delete_range(&mut self, start: usize, count: usize) {
        if count == 0 || start >= self.len {
            return;
        }
        let count = count.min(self.len - start);
        let Some((first, mut off)) = self.locate(start) else {
            return;
        };
        let mut i = first;
        let mut left = count;
        while left > 0 {
            let Some(node) = self.nodes.get_mut(i) else {
                break;
            };
            let n = node.len();
            let take = n.saturating_sub(off).min(left);
            if off == 0 && take == n {
                self.nodes.remove(i);
            } else {
                node.delete_range(off, take);
                i += 1;
            }
            left -= take;
            off = 0;
        }
        self.len -= count - left;
        self.compact(first.saturating_sub(1), i);
    }

    /// Removes every element and frees the node array (DEL, FLUSHDB reuse).
    pub fn clear(&mut self) {
        self.nodes = VecDeque::new();
        self.len = 0;
    }

    /// The node listpacks in order, for writing RDB `QUICKLIST_2` payloads
    /// (each node blob is saved verbatim).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Listpack> + DoubleEndedIterator {
        self.nodes.iter()
    }

    /// Appends a whole node, as when loading an RDB `QUICKLIST_2` payload.
    /// Empty nodes are skipped; a node that fits together with the current
    /// tail under the fill rule is merged into it.
    pub fn from_node(&mut self, mut lp: Listpack) {
        if lp.is_empty() {
            return;
        }
        self.len += lp.len();
        let fill = self.fill;
        if let Some(last) = self.nodes.back_mut() {
            if allow_merge(last, &lp, fill) && last.append_listpack(&lp) {
                last.shrink_to_fit();
                return;
            }
        }
        lp.shrink_to_fit();
        self.nodes.push_back(lp);
    }

    /// Approximate heap bytes owned by the list (node blobs' capacity plus
    /// the node array), for MEMORY USAGE and maxmemory accounting.
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.nodes.capacity() * std::mem::size_of::<Listpack>()
            + self.nodes.iter().map(Listpack::capacity).sum::<usize>()
    }
}

/// Iterator over a quicklist's elements: chains the node iterators,
/// double-ended and exact-size, allocation-free.
#[derive(Clone)]
pub struct Iter<'a> {
    nodes: std::collections::vec_deque::Iter<'a, Listpack>,
    front: Option<listpack::Iter<'a>>,
    back: Option<listpack::Iter<'a>>,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;

    fn next(&mut self) -> Option<LpValue<'a>> {
        loop {
            if let Some(f) = self.front.as_mut() {
                if let Some(v) = f.next() {
                    self.remaining = self.remaining.saturating_sub(1);
                    return Some(v);
                }
                self.front = None;
            }
            match self.nodes.next() {
                Some(n) => self.front = Some(n.iter()),
                None => {
                    let v = self.back.as_mut()?.next();
                    if v.is_some() {
                        self.remaining = self.remaining.saturating_sub(1);
                    }
                    return v;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.back.as_mut() {
                if let Some(v) = b.next_back() {
                    self.remaining = self.remaining.saturating_sub(1);
                    return Some(v);
                }
                self.back = None;
            }
            match self.nodes.next_back() {
                Some(n) => self.back = Some(n.iter()),
                None => {
                    let v = self.front.as_mut()?.next_back();
                    if v.is_some() {
                        self.remaining = self.remaining.saturating_sub(1);
                    }
                    return v;
                }
            }
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl std::iter::FusedIterator for Iter<'_> {}

#[cfg(test)]
#[path = "quicklist_tests.rs"]
mod tests;
