//! Iteration over a [`ZTree`](super::ZTree) in rank order, both ways,
//! without allocating per element.

use super::codec::{entries, parse};
use super::{ZTree, ENTRY_CAP, NIL};

/// Offsets kept by the backward cursor: one window of a leaf's entries,
/// a whole leaf in practice. Tests make it tiny so that windows refill.
const BACK_WINDOW: usize = if cfg!(test) { 3 } else { ENTRY_CAP };

/// Backward position: entries `0..k` of `leaf` are still to come; `offs`
/// holds the offsets of entries `lo..k`.
struct Back {
    leaf: u32,
    k: usize,
    lo: usize,
    offs: [u32; BACK_WINDOW],
}

/// Iterator over `(member, score)` in rank order, both ways. Created by
/// [`ZTree::iter`], [`ZTree::iter_from_rank`], [`ZTree::iter_rev_from_rank`].
pub struct Iter<'a> {
    tree: &'a ZTree,
    /// Forward position `(leaf, byte offset)`, found on first use.
    front: Option<(u32, usize)>,
    front_rank: usize,
    back: Option<Box<Back>>,
    back_rank: usize,
    remaining: usize,
}

impl<'a> Iter<'a> {
    pub(super) fn new(
        tree: &'a ZTree,
        front_rank: usize,
        back_rank: usize,
        remaining: usize,
    ) -> Self {
        Iter {
            tree,
            front: None,
            front_rank,
            back: None,
            back_rank,
            remaining,
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let tree = self.tree;
        let (mut leaf, mut off) = match self.front {
            Some(pos) => pos,
            None => {
                let (leaf, idx) = tree.locate_rank(self.front_rank)?;
                let off = entries(&tree.leaf(leaf).buf).nth(idx)?.0;
                (leaf, off)
            }
        };
        loop {
            if let Some((s, m, end)) = parse(&tree.leaf(leaf).buf, off) {
                self.front = Some((leaf, end));
                self.remaining -= 1;
                return Some((m, s));
            }
            leaf = tree.leaf(leaf).next;
            off = 0;
            if leaf == NIL {
                self.remaining = 0;
                return None;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let tree = self.tree;
        if self.back.is_none() {
            let (leaf, idx) = tree.locate_rank(self.back_rank)?;
            self.back = Some(Box::new(Back {
                leaf,
                k: idx + 1,
                lo: idx + 1,
                offs: [0; BACK_WINDOW],
            }));
        }
        let back = self.back.as_mut()?;
        while back.k == 0 || back.k == back.lo {
            if back.k == 0 {
                let prev = tree.leaf(back.leaf).prev;
                if prev == NIL {
                    self.remaining = 0;
                    return None;
                }
                back.leaf = prev;
                back.k = tree.leaf(prev).n as usize;
                back.lo = back.k;
                continue;
            }
            // Refill the window with the offsets of entries lo..k.
            back.lo = back.k.saturating_sub(BACK_WINDOW);
            for (i, (off, ..)) in entries(&tree.leaf(back.leaf).buf)
                .enumerate()
                .skip(back.lo)
                .take(back.k - back.lo)
            {
                if let Some(o) = back.offs.get_mut(i - back.lo) {
                    *o = off as u32;
                }
            }
        }
        back.k -= 1;
        let off = *back.offs.get(back.k - back.lo)? as usize;
        let (s, m, _) = parse(&tree.leaf(back.leaf).buf, off)?;
        self.remaining -= 1;
        Some((m, s))
    }
}

impl ExactSizeIterator for Iter<'_> {}
