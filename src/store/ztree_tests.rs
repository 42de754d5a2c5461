//! Tests for [`ZTree`]: a model-based property test (against a `BTreeMap`
//! plus a `HashMap`) with a full invariant check after every operation, run
//! on tiny node sizes (deep trees, tag collisions) and on the real ones;
//! ZSCAN completeness under concurrent mutation and index resizes; and the
//! bytes-per-member figure quoted in the module doc.

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Deep trees from few entries, and only 4 distinct hash tags.
const TINY: Params = Params {
    leaf_max: 48,
    entry_cap: 4,
    fan: 8,
    tag_mask: 0x3,
};
/// Medium nodes, full tags.
const MID: Params = Params {
    leaf_max: 128,
    entry_cap: 8,
    fan: 5,
    tag_mask: u32::MAX,
};

// ---------------------------------------------------------------------------
// Invariants.

/// Checks every structural invariant; panics (failing the test) otherwise.
fn check(t: &ZTree) {
    if t.root == NIL {
        assert_eq!(t.len, 0);
        assert_eq!(t.index.len(), 0);
        assert_eq!((t.head, t.tail), (NIL, NIL));
        return;
    }
    let mut order = Vec::new();
    let total = walk(t, t.root, t.height, &mut order, true);
    assert_eq!(total, t.len, "root count");
    // The leaf list is the in-order leaf sequence.
    let (mut l, mut prev, mut listed) = (t.head, NIL, Vec::new());
    while l != NIL {
        assert_eq!(t.leaves[l as usize].prev, prev, "prev link of {l}");
        listed.push(l);
        prev = l;
        l = t.leaves[l as usize].next;
        assert!(listed.len() <= t.leaves.len(), "leaf list cycle");
    }
    assert_eq!(t.tail, prev);
    assert_eq!(listed, order, "leaf list vs tree order");
    // Sorted entries, well-formed leaves, index = multiset of (tag, leaf).
    let mut last: Option<(f64, Vec<u8>)> = None;
    let mut want = Vec::new();
    for &l in &order {
        let leaf = &t.leaves[l as usize];
        let es: Vec<_> = entries(&leaf.buf).collect();
        assert_eq!(es.len(), leaf.n as usize, "leaf {l} count");
        assert!(!es.is_empty(), "empty leaf {l}");
        assert_eq!(
            es.last().map(|e| e.3),
            Some(leaf.buf.len()),
            "leaf {l} trailing bytes"
        );
        assert!(es.len() <= t.params.entry_cap, "leaf {l} over entry cap");
        assert!(
            es.len() == 1 || leaf.buf.len() <= t.params.leaf_max,
            "leaf {l} over size with {} entries",
            es.len()
        );
        for &(_, s, m, _) in &es {
            if let Some((ls, lm)) = &last {
                assert_eq!(key_cmp(*ls, lm, s, m), Ordering::Less, "order");
            }
            last = Some((s, m.to_vec()));
            want.push((t.tag(m), l));
        }
    }
    let mut got = t.index.check();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "index slots");
    // Arenas: every id is either reachable or free, never both.
    let mut free: Vec<u32> = t.free_leaves.clone();
    free.extend(&order);
    free.sort_unstable();
    free.dedup();
    assert_eq!(free.len(), t.leaves.len(), "leaf arena accounting");
    for &f in &t.free_leaves {
        assert!(t.leaves[f as usize].buf.is_empty());
    }
}

/// Checks the subtree at `node`; returns its entry count.
fn walk(t: &ZTree, node: u32, level: u32, out: &mut Vec<u32>, root: bool) -> usize {
    if level == 0 {
        out.push(node);
        return t.leaves[node as usize].n as usize;
    }
    let slots = &t.inners[node as usize].slots;
    assert!(!slots.is_empty(), "empty inner");
    assert!(!root || slots.len() >= 2, "root with one child");
    assert!(slots.len() <= t.params.fan, "inner over fan");
    let mut sum = 0;
    for s in slots {
        let before = out.len();
        let c = walk(t, s.kid, level - 1, out, false);
        assert_eq!(c, s.cnt, "subtree count");
        assert_eq!(Some(&s.first), out.get(before), "leftmost leaf");
        let fs = parse(&t.leaves[s.first as usize].buf, 0).map(|e| e.0.to_bits());
        assert_eq!(fs, Some(s.score.to_bits()), "slot score");
        sum += c;
    }
    sum
}

// ---------------------------------------------------------------------------
// The model.

/// A score ordered as Redis orders it: -0.0 == 0.0.
#[derive(Clone, Copy, Debug)]
struct Sc(f64);
impl PartialEq for Sc {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Sc {}
impl PartialOrd for Sc {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Sc {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.0 + 0.0).total_cmp(&(o.0 + 0.0))
    }
}

#[derive(Default)]
struct Model {
    order: BTreeMap<(Sc, Vec<u8>), ()>,
    scores: HashMap<Vec<u8>, f64>,
}

impl Model {
    fn insert(&mut self, m: &[u8], s: f64) -> Option<f64> {
        let old = self.scores.get(m).copied();
        if let Some(o) = old {
            if o == s {
                return old;
            }
            self.order.remove(&(Sc(o), m.to_vec()));
        }
        self.order.insert((Sc(s), m.to_vec()), ());
        self.scores.insert(m.to_vec(), s);
        old
    }
    fn remove(&mut self, m: &[u8]) -> Option<f64> {
        let o = self.scores.remove(m)?;
        self.order.remove(&(Sc(o), m.to_vec()));
        Some(o)
    }
    fn vec(&self) -> Vec<(Vec<u8>, f64)> {
        self.order
            .keys()
            .map(|(_, m)| (m.clone(), self.scores[m]))
            .collect()
    }
    fn remove_range(&mut self, a: usize, b: usize) -> usize {
        let v = self.vec();
        let b = b.min(v.len());
        for (m, _) in v.get(a..b).unwrap_or(&[]) {
            self.remove(m);
        }
        b.saturating_sub(a)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Insert(Vec<u8>, f64),
    Remove(Vec<u8>),
    RemoveRange(usize, usize),
    PopFirst,
    PopLast,
}

const SCORES: [f64; 10] = [
    f64::NEG_INFINITY,
    -2.5,
    -1.0,
    -0.0,
    0.0,
    1.0,
    2.0,
    3.5,
    1e300,
    f64::INFINITY,
];

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(b'a'..b'e', 0..4),
        1 => (b'a'..b'c', 20..70usize).prop_map(|(c, n)| vec![c; n]),
    ]
}

fn op(scores: &'static [f64]) -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (member(), prop::sample::select(scores)).prop_map(|(m, s)| Op::Insert(m, s)),
        4 => member().prop_map(Op::Remove),
        1 => (0..60usize, 0..30usize).prop_map(|(a, n)| Op::RemoveRange(a, a + n)),
        1 => Just(Op::PopFirst),
        1 => Just(Op::PopLast),
    ]
}

fn apply(t: &mut ZTree, model: &mut Model, op: &Op) {
    match op {
        Op::Insert(m, s) => {
            let (a, b) = (t.insert(m, *s), model.insert(m, *s));
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "insert {m:?}");
        }
        Op::Remove(m) => assert_eq!(t.remove(m), model.remove(m), "remove {m:?}"),
        Op::RemoveRange(a, b) => {
            assert_eq!(t.remove_rank_range(*a, *b), model.remove_range(*a, *b))
        }
        Op::PopFirst => {
            let want = model.vec().first().cloned();
            if let Some((m, _)) = &want {
                model.remove(m);
            }
            assert_eq!(t.pop_first(), want);
        }
        Op::PopLast => {
            let want = model.vec().last().cloned();
            if let Some((m, _)) = &want {
                model.remove(m);
            }
            assert_eq!(t.pop_last(), want);
        }
    }
}

/// Compares every query with the model.
fn compare(t: &ZTree, model: &Model, probes: &[Vec<u8>], lex: bool) {
    let v = model.vec();
    let n = v.len();
    assert_eq!(t.len(), n);
    assert_eq!(t.is_empty(), n == 0);
    let as_ref = |x: &[(Vec<u8>, f64)]| -> Vec<(Vec<u8>, u64)> {
        x.iter().map(|(m, s)| (m.clone(), s.to_bits())).collect()
    };
    let own = |it: &mut dyn Iterator<Item = (&[u8], f64)>| -> Vec<(Vec<u8>, u64)> {
        it.map(|(m, s)| (m.to_vec(), s.to_bits())).collect()
    };
    assert_eq!(own(&mut t.iter()), as_ref(&v), "iter");
    let rev: Vec<_> = v.iter().rev().cloned().collect();
    assert_eq!(own(&mut t.iter().rev()), as_ref(&rev), "iter().rev()");
    for r in [
        0,
        1,
        n / 3,
        n / 2,
        n.saturating_sub(2),
        n.saturating_sub(1),
        n,
        n + 3,
    ] {
        let fwd = v.get(r..).unwrap_or(&[]);
        assert_eq!(
            own(&mut t.iter_from_rank(r)),
            as_ref(fwd),
            "iter_from_rank {r}"
        );
        let back: Vec<_> = v
            .get(..(r + 1).min(n))
            .unwrap_or(&[])
            .iter()
            .rev()
            .cloned()
            .collect();
        let back = if r < n { back } else { Vec::new() };
        assert_eq!(
            own(&mut t.iter_rev_from_rank(r)),
            as_ref(&back),
            "iter_rev_from_rank {r}"
        );
        let got = t.get_by_rank(r).map(|(m, s)| (m.to_vec(), s.to_bits()));
        assert_eq!(
            got,
            v.get(r).map(|(m, s)| (m.clone(), s.to_bits())),
            "get_by_rank {r}"
        );
    }
    // Mixed ends meet in the middle without overlap.
    let mut it = t.iter();
    let mut mixed = Vec::new();
    let mut tail = Vec::new();
    for i in 0.. {
        let x = if i % 3 == 0 {
            it.next_back().map(|e| (e, true))
        } else {
            it.next().map(|e| (e, false))
        };
        match x {
            Some(((m, s), true)) => tail.push((m.to_vec(), s.to_bits())),
            Some(((m, s), false)) => mixed.push((m.to_vec(), s.to_bits())),
            None => break,
        }
    }
    mixed.extend(tail.into_iter().rev());
    assert_eq!(mixed, as_ref(&v), "mixed ends");
    for m in probes {
        let want = model.scores.get(m).copied();
        assert_eq!(
            t.score(m).map(f64::to_bits),
            want.map(f64::to_bits),
            "score {m:?}"
        );
        let rank = v.iter().position(|(x, _)| x == m);
        assert_eq!(t.rank(m), rank, "rank {m:?}");
    }
    let mut bounds: Vec<f64> = SCORES.to_vec();
    bounds.extend([-3.0, 0.5, 5.0, f64::MAX, f64::MIN]);
    for &b in &bounds {
        let cnt = |f: &dyn Fn(f64) -> bool| v.iter().filter(|(_, s)| f(*s)).count();
        assert_eq!(
            t.rank_of_score(b, false),
            cnt(&|s| s < b),
            "rank_of_score {b} incl"
        );
        assert_eq!(
            t.rank_of_score(b, true),
            cnt(&|s| s <= b),
            "rank_of_score {b} excl"
        );
        assert_eq!(
            t.rank_after_score(b, false),
            cnt(&|s| s <= b),
            "rank_after_score {b} incl"
        );
        assert_eq!(
            t.rank_after_score(b, true),
            cnt(&|s| s < b),
            "rank_after_score {b} excl"
        );
    }
    if lex {
        let cnt = |f: &dyn Fn(&[u8]) -> bool| v.iter().filter(|(m, _)| f(m)).count();
        assert_eq!(t.rank_of_lex(LexBound::NegInf), 0);
        assert_eq!(t.rank_of_lex(LexBound::PosInf), n);
        assert_eq!(t.rank_after_lex(LexBound::NegInf), 0);
        assert_eq!(t.rank_after_lex(LexBound::PosInf), n);
        for b in probes {
            let b = b.as_slice();
            assert_eq!(
                t.rank_of_lex(LexBound::Incl(b)),
                cnt(&|m| m < b),
                "lex min [{b:?}"
            );
            assert_eq!(
                t.rank_of_lex(LexBound::Excl(b)),
                cnt(&|m| m <= b),
                "lex min ({b:?}"
            );
            assert_eq!(
                t.rank_after_lex(LexBound::Incl(b)),
                cnt(&|m| m <= b),
                "lex max [{b:?}"
            );
            assert_eq!(
                t.rank_after_lex(LexBound::Excl(b)),
                cnt(&|m| m < b),
                "lex max ({b:?}"
            );
        }
    }
}

fn run(params: Params, ops: &[Op], probes: &[Vec<u8>], lex: bool) {
    let mut t = ZTree::with_params(params);
    let mut model = Model::default();
    for op in ops {
        apply(&mut t, &mut model, op);
        check(&t);
        compare(&t, &model, probes, lex);
    }
    let c = t.clone();
    check(&c);
    compare(&c, &model, probes, lex);
}

fn ops(scores: &'static [f64]) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(scores), 1..250)
}

fn probes() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(member(), 1..12)
}

/// 48 cases per property unless `PROPTEST_CASES` asks for more (soak runs).
fn config() -> ProptestConfig {
    let d = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        d
    } else {
        ProptestConfig { cases: 48, ..d }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn model_tiny_nodes(ops in ops(&SCORES), probes in probes()) {
        run(TINY, &ops, &probes, false);
    }

    #[test]
    fn model_mid_nodes(ops in ops(&SCORES), probes in probes()) {
        run(MID, &ops, &probes, false);
    }

    #[test]
    fn model_default_nodes(ops in ops(&SCORES), probes in probes()) {
        run(DEFAULT_PARAMS, &ops, &probes, false);
    }

    /// All scores equal (BYLEX), -0.0 mixed with 0.0.
    #[test]
    fn model_lex(ops in ops(&[0.0, -0.0]), probes in probes()) {
        run(TINY, &ops, &probes, true);
    }
}

// ---------------------------------------------------------------------------
// Deterministic cases.

/// A small deterministic generator for the larger tests.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn basics_and_signed_zero() {
    let mut t = ZTree::new();
    assert!(t.is_empty());
    assert_eq!(t.insert(b"b", 0.0), None);
    assert_eq!(t.insert(b"a", -0.0), None);
    assert_eq!(t.insert(b"c", -0.0), None);
    // -0.0 == 0.0: ordered by member, signs kept.
    let got: Vec<_> = t.iter().map(|(m, s)| (m.to_vec(), s.to_bits())).collect();
    assert_eq!(
        got,
        vec![
            (b"a".to_vec(), (-0.0f64).to_bits()),
            (b"b".to_vec(), 0.0f64.to_bits()),
            (b"c".to_vec(), (-0.0f64).to_bits())
        ]
    );
    // An equal-score update keeps the stored score, as Redis does.
    assert_eq!(
        t.insert(b"b", -0.0).map(f64::to_bits),
        Some(0.0f64.to_bits())
    );
    assert_eq!(t.score(b"b").map(f64::to_bits), Some(0.0f64.to_bits()));
    assert_eq!(t.rank_of_score(0.0, false), 0);
    assert_eq!(t.rank_after_score(-0.0, false), 3);
    assert_eq!(t.rank(b"c"), Some(2));
    assert_eq!(t.insert(b"", 5.0), None);
    assert_eq!(t.score(b""), Some(5.0));
    assert_eq!(t.remove(b"zz"), None);
    assert_eq!(t.pop_last(), Some((Vec::new(), 5.0)));
    assert_eq!(t.len(), 3);
    check(&t);
    assert_eq!(format!("{t:?}"), r#"{"a": -0.0, "b": 0.0, "c": -0.0}"#);
}

#[test]
fn big_members_and_sequences() {
    for params in [TINY, MID, DEFAULT_PARAMS] {
        let mut t = ZTree::with_params(params);
        let mut model = Model::default();
        let mut rng = Rng(7);
        // Ascending, descending, then random, with some members over a leaf.
        for i in 0..300u32 {
            let m = format!("asc{i:05}").into_bytes();
            model.insert(&m, f64::from(i));
            t.insert(&m, f64::from(i));
        }
        for i in 0..300u32 {
            let m = format!("desc{i:05}").into_bytes();
            model.insert(&m, -f64::from(i));
            t.insert(&m, -f64::from(i));
        }
        for i in 0..300u64 {
            let len = if i % 17 == 0 {
                2000
            } else {
                rng.below(40) as usize
            };
            let m: Vec<u8> = (0..len).map(|_| b'a' + rng.below(3) as u8).collect();
            let s = rng.below(50) as f64;
            assert_eq!(t.insert(&m, s), model.insert(&m, s));
        }
        check(&t);
        compare(&t, &model, &[b"asc00007".to_vec(), b"zz".to_vec()], false);
        // Re-score everything (some in place, some moving), then empty it.
        for (m, s) in model.vec() {
            let ns = if rng.below(2) == 0 {
                s + 0.25
            } else {
                s + rng.below(100) as f64 - 50.0
            };
            assert_eq!(t.insert(&m, ns), model.insert(&m, ns));
        }
        check(&t);
        compare(&t, &model, &[], false);
        while !t.is_empty() {
            let n = t.len();
            let a = rng.below(n as u64) as usize;
            let b = a + rng.below(60) as usize;
            assert_eq!(t.remove_rank_range(a, b), model.remove_range(a, b));
            check(&t);
        }
        assert_eq!(t.mem_usage(), 0);
    }
}

#[test]
fn random_is_uniform_over_ranks() {
    let mut t = ZTree::new();
    for i in 0..10u32 {
        t.insert(format!("m{i}").as_bytes(), f64::from(i));
    }
    let mut counts = [0usize; 10];
    let mut rng = Rng(99);
    for _ in 0..10_000 {
        let (m, s) = t.random(&mut || rng.next()).expect("non-empty");
        assert_eq!(t.score(m), Some(s));
        counts[s as usize] += 1;
    }
    assert!(
        counts.iter().all(|&c| (800..1200).contains(&c)),
        "{counts:?}"
    );
    assert_eq!(ZTree::new().random(&mut || 0), None);
}

/// Every member present for the whole scan is reported although members
/// are added, removed and re-scored between calls and the index resizes.
#[test]
fn scan_complete_under_mutation() {
    for (seed, params) in [
        (1u64, DEFAULT_PARAMS),
        (2, TINY),
        (3, MID),
        (4, DEFAULT_PARAMS),
    ] {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut t = ZTree::with_params(params);
        let keep: Vec<Vec<u8>> = (0..600).map(|i| format!("keep:{i}").into_bytes()).collect();
        for (i, m) in keep.iter().enumerate() {
            t.insert(m, i as f64);
        }
        let mut extra: Vec<Vec<u8>> = Vec::new();
        let mut next = 0;
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut sizes = HashSet::new();
        let mut calls = 0;
        loop {
            cursor = t.scan(cursor, |m, s| {
                assert_eq!(t.score(m), Some(s));
                seen.insert(m.to_vec());
            });
            calls += 1;
            if cursor == 0 {
                break;
            }
            // Grow hard in the first phase, shrink in the second.
            let grow = calls < 300;
            for _ in 0..rng.below(if grow { 40 } else { 4 }) {
                let m = format!("extra:{next}").into_bytes();
                next += 1;
                t.insert(&m, rng.below(1000) as f64);
                extra.push(m);
            }
            for _ in 0..rng.below(if grow { 4 } else { 60 }) {
                if extra.is_empty() {
                    break;
                }
                let i = rng.below(extra.len() as u64) as usize;
                t.remove(&extra.swap_remove(i));
            }
            let k = &keep[rng.below(keep.len() as u64) as usize];
            t.insert(k, rng.below(1000) as f64 - 500.0);
            sizes.insert(t.index.capacity());
            assert!(calls < 1_000_000, "scan does not terminate");
        }
        check(&t);
        let missing = keep.iter().filter(|k| !seen.contains(*k)).count();
        assert_eq!(missing, 0, "seed {seed}: {missing} members never reported");
        assert!(
            sizes.len() >= 3,
            "index should have resized during the scan: {sizes:?}"
        );
    }
}

/// Without mutation a full scan reports every member, and a scan of an
/// empty tree ends at once.
#[test]
fn scan_reports_all() {
    let mut t = ZTree::with_params(TINY);
    assert_eq!(t.scan(0, |_, _| panic!("empty")), 0);
    for i in 0..500u32 {
        t.insert(format!("{i}").as_bytes(), 1.0);
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = t.scan(cursor, |m, _| {
            seen.insert(m.to_vec());
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
}

// ---------------------------------------------------------------------------
// Memory.

/// Heap bytes of `t` with every allocation rounded up to jemalloc's size
/// classes (what the allocator really hands out), plus the tree struct.
fn jemalloc_bytes(t: &ZTree) -> usize {
    use std::mem::size_of;
    let c = |n: usize| if n == 0 { 0 } else { size_class(n) };
    c(size_of::<ZTree>())
        + c(t.leaves.capacity() * size_of::<Leaf>())
        + t.leaves.iter().map(|l| c(l.buf.capacity())).sum::<usize>()
        + c(t.inners.capacity() * size_of::<Inner>())
        + t.inners
            .iter()
            .map(|i| c(i.slots.capacity() * size_of::<Slot>()))
            .sum::<usize>()
        + c(t.free_leaves.capacity() * 4)
        + c(t.free_inners.capacity() * 4)
        + c(t.index.heap_bytes())
}

/// Bytes per member for trees of 1,000 `member:N` with integer scores
/// (Redis 7.0: ~103 B). Inserted in random order, as ZADDs would come.
#[test]
fn bytes_per_member() {
    let trees = if cfg!(debug_assertions) { 20 } else { 1000 };
    let mut rng = Rng(42);
    let mut total = 0;
    let mut usage = 0;
    for _ in 0..trees {
        let mut order: Vec<u32> = (0..1000).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut t = ZTree::new();
        for i in order {
            t.insert(format!("member:{i}").as_bytes(), f64::from(i));
        }
        total += jemalloc_bytes(&t);
        usage += t.mem_usage();
    }
    let per = total as f64 / (trees as f64 * 1000.0);
    let reported = usage as f64 / (trees as f64 * 1000.0);
    println!("bytes/member: {per:.1} (jemalloc classes), mem_usage {reported:.1}");
    assert!(per < 45.0, "{per} bytes per member");
    assert!(
        (reported - per).abs() < per * 0.2,
        "mem_usage {reported} vs {per}"
    );
}

#[test]
fn size_classes() {
    let want = [
        (0, 8),
        (1, 8),
        (8, 8),
        (9, 16),
        (17, 32),
        (33, 48),
        (128, 128),
    ];
    for (n, c) in want {
        assert_eq!(size_class(n), c, "{n}");
    }
    let want = [
        (129, 160),
        (160, 160),
        (161, 192),
        (257, 320),
        (1024, 1024),
        (1025, 1280),
    ];
    for (n, c) in want {
        assert_eq!(size_class(n), c, "{n}");
    }
    assert_eq!(size_class(usize::MAX), usize::MAX);
}
