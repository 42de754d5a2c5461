//! Sorted sets: a listpack of member/score pairs kept in (score, member)
//! order while small, a [`ZTree`] (member index plus counted order tree,
//! reported as `skiplist` like Redis's) past `zset-max-listpack-entries` or
//! for a member longer than `zset-max-listpack-value`.
//!
//! Every range command works on ranks: a score or lex range is first turned
//! into a rank interval (`rank_of_*`/`rank_after_*`), then walked, so the
//! command code is the same for both encodings. Listpack scores are stored
//! as Redis's `d2string` text, making the blob identical to Redis's.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::listpack::{Listpack, LpValue};
use super::value::Limits;
use super::ztree::ZTree;

pub use super::ztree::LexBound;

/// A sorted set in one of its two encodings.
#[derive(Debug, Clone)]
pub enum ZSet {
    /// `listpack`: member, score, member, score... in order.
    Listpack(Listpack),
    /// `skiplist` (our ordered tree).
    Tree(Box<ZTree>),
}

fn lp_score(v: &LpValue<'_>) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn cmp_member(a: &LpValue<'_>, b: &[u8]) -> Ordering {
    match *a {
        LpValue::Str(s) => s.cmp(b),
        LpValue::Int(i) => itoa::Buffer::new().format(i).as_bytes().cmp(b),
    }
}

fn cmp_entry(s1: f64, m1: &LpValue<'_>, s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        cmp_member(m1, m2)
    }
}

fn d2string(v: f64) -> Vec<u8> {
    // A listpack keeps `-0` as the integer 0 (Redis stores integral
    // scores as integers there), so a small set reports 0.
    let v = if v == 0.0 { 0.0 } else { v };
    let mut out = Vec::with_capacity(24);
    crate::util::num::write_d2string(v, &mut out);
    out
}

fn owned(v: &LpValue<'_>) -> Vec<u8> {
    v.to_vec()
}

impl ZSet {
    /// A new empty sorted set for a first member of `member_len` bytes, as
    /// Redis's ZADD chooses: a listpack unless the limits rule it out.
    pub fn new(lim: &Limits, member_len: usize) -> ZSet {
        if lim.zset_entries == 0 || member_len > lim.zset_value {
            ZSet::Tree(Box::default())
        } else {
            ZSet::Listpack(Listpack::new())
        }
    }

    /// A sorted set of `pairs` (members unique), encoded as Redis would
    /// after loading them or storing a computed result.
    pub fn from_pairs(pairs: Vec<(Vec<u8>, f64)>, lim: &Limits) -> ZSet {
        let small =
            pairs.len() <= lim.zset_entries && pairs.iter().all(|(m, _)| m.len() <= lim.zset_value);
        if small {
            let mut sorted = pairs;
            // Not total_cmp: Redis orders -0.0 and 0.0 as equal scores.
            sorted.sort_by(|a, b| {
                a.1.partial_cmp(&b.1)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            });
            let mut lp = Listpack::new();
            for (m, s) in &sorted {
                lp.push_back(m);
                lp.push_back(&d2string(*s));
            }
            lp.shrink_to_fit();
            ZSet::Listpack(lp)
        } else {
            let mut t = ZTree::new();
            for (m, s) in pairs {
                t.insert(&m, s);
            }
            ZSet::Tree(Box::new(t))
        }
    }

    /// `listpack` or `skiplist`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Tree(_) => "skiplist",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::Tree(t) => t.len(),
        }
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes.
    pub fn mem_usage(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.bytes_len(),
            ZSet::Tree(t) => t.mem_usage(),
        }
    }

    /// Position of `member`'s entry in the listpack and its rank.
    fn lp_find(lp: &Listpack, member: &[u8]) -> Option<(usize, usize)> {
        let mut p = lp.first();
        let mut rank = 0;
        while let Some(pos) = p {
            if lp.get(pos).eq_bytes(member) {
                return Some((pos, rank));
            }
            p = lp.next(pos).and_then(|s| lp.next(s));
            rank += 1;
        }
        None
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let (p, _) = Self::lp_find(lp, member)?;
                Some(lp_score(&lp.get(lp.next(p)?)))
            }
            ZSet::Tree(t) => t.score(member),
        }
    }

    /// Converts to the tree encoding.
    pub fn convert(&mut self) {
        if let ZSet::Listpack(lp) = self {
            let mut t = ZTree::new();
            for (m, s) in lp.iter_pairs() {
                t.insert(&owned(&m), lp_score(&s));
            }
            *self = ZSet::Tree(Box::new(t));
        }
    }

    /// Converts a tree back to a listpack if it fits the limits (Redis does
    /// this only for freshly computed results: ZUNIONSTORE, ZRANGESTORE...).
    pub fn shrink_if_fits(&mut self, lim: &Limits) {
        if let ZSet::Tree(t) = self {
            if t.len() <= lim.zset_entries && t.iter().all(|(m, _)| m.len() <= lim.zset_value) {
                let mut lp = Listpack::new();
                for (m, s) in t.iter() {
                    lp.push_back(m);
                    lp.push_back(&d2string(s));
                }
                lp.shrink_to_fit();
                *self = ZSet::Listpack(lp);
            }
        }
    }

    /// Sets `member`'s score, adding it if new; returns the old score.
    /// Converts to the tree past the listpack limits.
    pub fn insert(&mut self, member: &[u8], score: f64, lim: &Limits) -> Option<f64> {
        if let ZSet::Listpack(lp) = self {
            let old = Self::lp_find(lp, member).and_then(|(p, _)| {
                let s = lp_score(&lp.get(lp.next(p)?));
                Some((p, s))
            });
            match old {
                Some((_, s)) if s == score => return Some(s),
                Some((p, s)) => {
                    if let Some(n) = lp.delete(p) {
                        lp.delete(n);
                    }
                    Self::lp_insert(lp, member, score);
                    return Some(s);
                }
                None => {
                    if lp.len() / 2 + 1 > lim.zset_entries
                        || member.len() > lim.zset_value
                        || lp.bytes_len() + member.len() > (1 << 30)
                    {
                        self.convert();
                    } else {
                        Self::lp_insert(lp, member, score);
                        return None;
                    }
                }
            }
        }
        match self {
            ZSet::Tree(t) => t.insert(member, score),
            ZSet::Listpack(_) => None,
        }
    }

    fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
        let text = d2string(score);
        let mut p = lp.first();
        while let Some(pos) = p {
            let Some(sp) = lp.next(pos) else { break };
            if cmp_entry(lp_score(&lp.get(sp)), &lp.get(pos), score, member) == Ordering::Greater {
                let m = lp.insert_before(pos, member);
                lp.insert_after(m, &text);
                return;
            }
            p = lp.next(sp);
        }
        lp.push_back(member);
        lp.push_back(&text);
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => match Self::lp_find(lp, member) {
                Some((p, _)) => {
                    if let Some(n) = lp.delete(p) {
                        lp.delete(n);
                    }
                    true
                }
                None => false,
            },
            ZSet::Tree(t) => t.remove(member).is_some(),
        }
    }

    /// Ascending rank (0-based) and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSet::Listpack(lp) => {
                let (p, r) = Self::lp_find(lp, member)?;
                Some((r, lp_score(&lp.get(lp.next(p)?))))
            }
            ZSet::Tree(t) => Some((t.rank(member)?, t.score(member)?)),
        }
    }

    /// Walks ranks `start..=end` (ascending ranks; `rev` walks from the
    /// top: rank 0 is then the highest member), calling `f` for each.
    pub fn range(&self, start: usize, end: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let len = self.len();
        if start > end || start >= len {
            return;
        }
        let end = end.min(len - 1);
        let n = end - start + 1;
        match self {
            ZSet::Listpack(lp) => {
                let mut buf = itoa::Buffer::new();
                if rev {
                    let mut it = lp.iter().rev().skip(2 * start);
                    for _ in 0..n {
                        let (Some(s), Some(m)) = (it.next(), it.next()) else {
                            break;
                        };
                        f(super::hash::lp_bytes(&m, &mut buf), lp_score(&s));
                    }
                } else {
                    for (m, s) in lp.iter_pairs().skip(start).take(n) {
                        f(super::hash::lp_bytes(&m, &mut buf), lp_score(&s));
                    }
                }
            }
            ZSet::Tree(t) => {
                if rev {
                    for (m, s) in t.iter_rev_from_rank(len - 1 - start).take(n) {
                        f(m, s);
                    }
                } else {
                    for (m, s) in t.iter_from_rank(start).take(n) {
                        f(m, s);
                    }
                }
            }
        }
    }

    /// The member at ascending rank `r`.
    pub fn get_by_rank(&self, r: usize) -> Option<(Vec<u8>, f64)> {
        let mut out = None;
        self.range(r, r, false, |m, s| out = Some((m.to_vec(), s)));
        out
    }

    /// Rank where the score range starting at `min` begins.
    pub fn rank_of_score(&self, min: f64, exclusive: bool) -> usize {
        match self {
            ZSet::Listpack(lp) => lp
                .iter_pairs()
                .take_while(|(_, s)| {
                    let s = lp_score(s);
                    if exclusive {
                        s <= min
                    } else {
                        s < min
                    }
                })
                .count(),
            ZSet::Tree(t) => t.rank_of_score(min, exclusive),
        }
    }

    /// One past the last rank of the score range ending at `max`.
    pub fn rank_after_score(&self, max: f64, exclusive: bool) -> usize {
        match self {
            ZSet::Listpack(lp) => lp
                .iter_pairs()
                .take_while(|(_, s)| {
                    let s = lp_score(s);
                    if exclusive {
                        s < max
                    } else {
                        s <= max
                    }
                })
                .count(),
            ZSet::Tree(t) => t.rank_after_score(max, exclusive),
        }
    }

    /// Rank where the lex range starting at `min` begins.
    pub fn rank_of_lex(&self, min: LexBound<'_>) -> usize {
        match self {
            ZSet::Listpack(lp) => lp
                .iter_pairs()
                .take_while(|(m, _)| match min {
                    LexBound::NegInf => false,
                    LexBound::PosInf => true,
                    LexBound::Incl(b) => cmp_member(m, b) == Ordering::Less,
                    LexBound::Excl(b) => cmp_member(m, b) != Ordering::Greater,
                })
                .count(),
            ZSet::Tree(t) => t.rank_of_lex(min),
        }
    }

    /// One past the last rank of the lex range ending at `max`.
    pub fn rank_after_lex(&self, max: LexBound<'_>) -> usize {
        match self {
            ZSet::Listpack(lp) => lp
                .iter_pairs()
                .take_while(|(m, _)| match max {
                    LexBound::NegInf => false,
                    LexBound::PosInf => true,
                    LexBound::Incl(b) => cmp_member(m, b) != Ordering::Greater,
                    LexBound::Excl(b) => cmp_member(m, b) == Ordering::Less,
                })
                .count(),
            ZSet::Tree(t) => t.rank_after_lex(max),
        }
    }

    /// Removes ranks `start..end`; returns how many went.
    pub fn remove_rank_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match self {
            ZSet::Listpack(lp) => {
                lp.delete_range(2 * start, 2 * (end - start));
                end - start
            }
            ZSet::Tree(t) => t.remove_rank_range(start, end),
        }
    }

    /// Removes and returns the lowest (or with `max`, highest) member.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        match self {
            ZSet::Listpack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let r = if max { n - 1 } else { 0 };
                let p = lp.seek(2 * r as i64)?;
                let m = owned(&lp.get(p));
                let s = lp_score(&lp.get(lp.next(p)?));
                lp.delete_range(2 * r, 2);
                Some((m, s))
            }
            ZSet::Tree(t) => {
                if max {
                    t.pop_last()
                } else {
                    t.pop_first()
                }
            }
        }
    }

    /// Calls `f` with every member and score in ascending order.
    pub fn for_each(&self, f: impl FnMut(&[u8], f64)) {
        let n = self.len();
        if n > 0 {
            self.range(0, n - 1, false, f);
        }
    }

    /// Every member and score copied out, ascending.
    pub fn to_pairs(&self) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m, s| out.push((m.to_vec(), s)));
        out
    }

    /// A uniformly random member and its score.
    pub fn random(&self) -> Option<(Cow<'_, [u8]>, f64)> {
        match self {
            ZSet::Listpack(_) => {
                let n = self.len();
                if n == 0 {
                    return None;
                }
                self.get_by_rank(crate::util::rand::below(n))
                    .map(|(m, s)| (Cow::Owned(m), s))
            }
            ZSet::Tree(t) => t
                .random(&mut crate::util::rand::next_u64)
                .map(|(m, s)| (Cow::Borrowed(m), s)),
        }
    }

    /// ZSCAN step: members of the cursor's part (a listpack whole) and the
    /// next cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSet::Listpack(_) => {
                self.for_each(f);
                0
            }
            ZSet::Tree(t) => t.scan(cursor, |m, s| f(m, s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_same(a: &ZSet, b: &ZSet) {
        assert_eq!(a.to_pairs(), b.to_pairs());
        let n = a.len();
        for (min, ex) in [
            (0.0, false),
            (0.0, true),
            (3.0, false),
            (f64::INFINITY, false),
        ] {
            assert_eq!(a.rank_of_score(min, ex), b.rank_of_score(min, ex));
            assert_eq!(a.rank_after_score(min, ex), b.rank_after_score(min, ex));
        }
        for bound in [
            LexBound::Incl(b"m3"),
            LexBound::Excl(b"m3"),
            LexBound::NegInf,
            LexBound::PosInf,
        ] {
            assert_eq!(a.rank_of_lex(bound), b.rank_of_lex(bound));
            assert_eq!(a.rank_after_lex(bound), b.rank_after_lex(bound));
        }
        if n > 0 {
            let mut ra = Vec::new();
            let mut rb = Vec::new();
            a.range(1, n - 1, true, |m, s| ra.push((m.to_vec(), s)));
            b.range(1, n - 1, true, |m, s| rb.push((m.to_vec(), s)));
            assert_eq!(ra, rb);
        }
    }

    #[test]
    fn listpack_and_tree_agree() {
        let l = Limits::default();
        let mut lp = ZSet::new(&l, 1);
        let mut tree = ZSet::Tree(Box::default());
        for i in 0..60u64 {
            let m = format!("m{}", (i * 37) % 23).into_bytes();
            let s = ((i * 13) % 7) as f64 - 2.0;
            if i % 4 == 3 {
                assert_eq!(lp.remove(&m), tree.remove(&m));
            } else {
                assert_eq!(lp.insert(&m, s, &l), tree.insert(&m, s, &l));
            }
            assert_eq!(lp.encoding_name(), "listpack");
            check_same(&lp, &tree);
            assert_eq!(lp.rank(b"m3"), tree.rank(b"m3"));
        }
        assert_eq!(lp.pop(true), tree.pop(true));
        assert_eq!(lp.pop(false), tree.pop(false));
        assert_eq!(lp.remove_rank_range(1, 3), tree.remove_rank_range(1, 3));
        check_same(&lp, &tree);
    }

    #[test]
    fn converts_past_limits() {
        let l = Limits {
            zset_entries: 2,
            zset_value: 4,
            ..Limits::default()
        };
        let mut z = ZSet::new(&l, 1);
        z.insert(b"a", 1.0, &l);
        z.insert(b"b", 2.0, &l);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(b"c", 3.0, &l);
        assert_eq!(z.encoding_name(), "skiplist");
        let mut y = ZSet::new(&l, 1);
        y.insert(b"longer", 1.0, &l);
        assert_eq!(y.encoding_name(), "skiplist");
        assert_eq!(z.score(b"b"), Some(2.0));
        z.remove(b"c");
        z.shrink_if_fits(&l);
        assert_eq!(z.encoding_name(), "listpack");
        assert_eq!(
            z.to_pairs(),
            vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)]
        );
    }
}
