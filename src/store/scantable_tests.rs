//! Tests for [`super::ScanTable`]: model-based behaviour, SCAN completeness
//! across resizes, sampling, and ownership of keys and values.

use super::*;
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// xorshift64*: deterministic randomness for tests.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Keys of varied lengths, including the 254/255-byte boundary of the
/// one-byte length and the empty key.
fn key(k: u16) -> Vec<u8> {
    match k % 7 {
        0 => format!("k{k}").into_bytes(),
        1 => vec![b'x'; 254 + usize::from(k % 3)],
        2 if k == 2 => Vec::new(),
        _ => format!("member:{k}:{}", "z".repeat(usize::from(k % 40))).into_bytes(),
    }
}

/// Recomputes what `mem_usage` tracks incrementally.
fn recomputed_mem<V>(t: &ScanTable<V>) -> usize {
    let nodes: usize = t
        .iter()
        .map(|(k, _)| alloc_class(Shape::of::<V>(k.len()).map_or(0, |s| s.layout.size())))
        .sum();
    alloc_class(t.buckets() * size_of::<Link>()) + nodes
}

fn check_invariants<V>(t: &ScanTable<V>) {
    assert_eq!(t.iter().count(), t.len());
    assert!(t.buckets() == 0 || t.buckets().is_power_of_two());
    assert!(t.len() <= t.buckets());
    if t.buckets() > MIN_BUCKETS {
        assert!(t.len() * 10 >= t.buckets(), "sparse table not shrunk");
    }
    assert_eq!(t.mem_usage(), recomputed_mem(t));
    let longest = t
        .buckets
        .iter()
        .map(|l| chain_len(Node::<V>::from_link(*l)))
        .max()
        .unwrap_or(0);
    assert!(
        t.max_chain >= longest,
        "chain bound below the longest chain"
    );
}

proptest! {
    #[test]
    fn behaves_like_a_hashmap(ops in proptest::collection::vec((0u8..7, 0u16..400, any::<u32>()), 0..1500)) {
        let mut t: ScanTable<u32> = ScanTable::new();
        let mut model: HashMap<Vec<u8>, u32> = HashMap::new();
        for (op, k, v) in ops {
            let k = key(k);
            match op {
                0 | 1 => prop_assert_eq!(t.insert(&k, v), model.insert(k.clone(), v)),
                2 => {
                    let added = !model.contains_key(&k);
                    if added {
                        model.insert(k.clone(), v);
                    }
                    prop_assert_eq!(t.insert_new(&k, v), added);
                }
                3 => prop_assert_eq!(t.remove(&k), model.remove(&k)),
                4 => {
                    let got = t.remove_entry(&k).map(|(k, v)| (k.into_vec(), v));
                    prop_assert_eq!(got, model.remove_entry(&k));
                }
                5 => {
                    if let Some(x) = t.get_mut(&k) {
                        *x = x.wrapping_add(v);
                    }
                    if let Some(x) = model.get_mut(&k) {
                        *x = x.wrapping_add(v);
                    }
                }
                _ => {
                    prop_assert_eq!(t.get(&k), model.get(&k));
                    prop_assert_eq!(t.contains(&k), model.contains_key(&k));
                    let kv = t.get_key_value(&k).map(|(a, b)| (a.to_vec(), *b));
                    prop_assert_eq!(kv, model.get_key_value(&k).map(|(a, b)| (a.clone(), *b)));
                }
            }
            prop_assert_eq!(t.len(), model.len());
        }
        check_invariants(&t);
        let got: HashMap<Vec<u8>, u32> = t.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
        prop_assert_eq!(&got, &model);
        let cloned = t.clone();
        check_invariants(&cloned);
        let drained: HashMap<Vec<u8>, u32> = t.drain().map(|(k, v)| (k.into_vec(), v)).collect();
        prop_assert_eq!(&drained, &model);
        prop_assert!(t.is_empty());
        let owned: HashMap<Vec<u8>, u32> = cloned.into_iter().map(|(k, v)| (k.into_vec(), v)).collect();
        prop_assert_eq!(&owned, &model);
    }

}

proptest! {
    // Each case runs a full scan over up to ~20k keys: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every key present for a whole scan is reported, while keys are
    /// inserted and removed between calls (growing and shrinking the table).
    #[test]
    fn scan_reports_every_stable_key(
        stable in 0usize..300,
        churn in 0usize..2000,
        ops in proptest::collection::vec((any::<bool>(), 0usize..4000, 0usize..300), 1..200),
    ) {
        let mut t: ScanTable<()> = ScanTable::new();
        for i in 0..stable {
            t.insert(format!("s{i}").as_bytes(), ());
        }
        for i in 0..churn {
            t.insert(format!("c{i}").as_bytes(), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut ops = ops.into_iter().cycle();
        let mut calls = 0;
        loop {
            cursor = t.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            calls += 1;
            if cursor == 0 {
                break;
            }
            prop_assert!(calls < 1_000_000, "scan does not terminate");
            if let Some((grow, n, at)) = ops.next() {
                // Bulk changes make resizes (both ways) likely between calls.
                for j in 0..n.min(64) {
                    let k = format!("c{}", at * 64 + j);
                    if grow {
                        t.insert(k.as_bytes(), ());
                    } else {
                        t.remove(k.as_bytes());
                    }
                }
            }
        }
        for i in 0..stable {
            prop_assert!(seen.contains(format!("s{i}").as_bytes()), "missed s{}", i);
        }
    }

    #[test]
    fn sample_is_bounded_distinct_and_present(n in 0usize..600, count in 0usize..700, seed in any::<u64>()) {
        let mut t: ScanTable<usize> = ScanTable::new();
        for i in 0..n {
            t.insert(format!("m{i}").as_bytes(), i);
        }
        let mut r = rng(seed);
        let mut got = Vec::new();
        t.sample(count, &mut r, |k, v| got.push((k.to_vec(), *v)));
        prop_assert!(got.len() <= count);
        let distinct: HashSet<_> = got.iter().cloned().collect();
        prop_assert_eq!(distinct.len(), got.len());
        for (k, v) in &got {
            prop_assert_eq!(t.get(k), Some(v));
        }
        // A dense table (never sparser than 10% after inserts) yields all
        // that were asked for.
        prop_assert_eq!(got.len(), count.min(n));
    }
}

#[test]
fn scan_survives_growth_and_shrink() {
    let mut t: ScanTable<()> = ScanTable::new();
    for i in 0..1000 {
        t.insert(format!("key{i}").as_bytes(), ());
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0;
    loop {
        cursor = t.scan(cursor, |k, _| {
            seen.insert(k.to_vec());
        });
        step += 1;
        if step == 50 {
            for i in 1000..20000 {
                t.insert(format!("key{i}").as_bytes(), ());
            }
        }
        if step == 3000 {
            for i in 500..20000 {
                t.remove(format!("key{i}").as_bytes());
            }
            // 500 left: shrunk from 32768 to 4096 buckets (12% full).
            assert_eq!(t.buckets(), 4096);
        }
        if cursor == 0 {
            break;
        }
    }
    for i in 0..500 {
        assert!(seen.contains(format!("key{i}").as_bytes()), "missed key{i}");
    }
}

#[test]
fn scan_of_empty_and_full_cycle() {
    let t: ScanTable<()> = ScanTable::with_capacity(100);
    assert_eq!(t.scan(0, |_, _| panic!("empty")), 0);
    let mut t: ScanTable<u8> = ScanTable::new();
    for i in 0..100u8 {
        t.insert(&[i], i);
    }
    // Without changes a scan visits each bucket exactly once.
    let mut seen = Vec::new();
    let mut cursor = 0;
    let mut calls = 0;
    loop {
        cursor = t.scan(cursor, |_, v| seen.push(*v));
        calls += 1;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(calls, t.buckets());
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<u8>>());
}

/// Chi-square of `draws` random picks over the table's values `0..n`.
fn random_chi_square(t: &ScanTable<usize>, n: usize, draws: usize, seed: u64) -> f64 {
    let mut r = rng(seed);
    let mut hits = vec![0usize; n];
    for _ in 0..draws {
        let (_, v) = t.random(&mut r).expect("non-empty");
        hits[*v] += 1;
    }
    let expect = (draws / n) as f64;
    hits.iter()
        .map(|&h| (h as f64 - expect).powi(2) / expect)
        .sum()
}

#[test]
fn random_is_uniform() {
    let mut t: ScanTable<usize> = ScanTable::new();
    for i in 0..40 {
        t.insert(format!("r{i}").as_bytes(), i);
    }
    // 39 degrees of freedom: 100 has probability below 1e-6 if uniform.
    let chi2 = random_chi_square(&t, 40, 200_000, 7);
    assert!(chi2 < 100.0, "chi-square {chi2}");

    // A table left 15% full by removals (stale chain bound, many gaps).
    let mut t: ScanTable<usize> = ScanTable::new();
    for i in 0..2000 {
        t.insert(format!("g{i}").as_bytes(), i);
    }
    for i in 300..2000 {
        t.remove(format!("g{i}").as_bytes());
    }
    assert_eq!(t.buckets(), 2048);
    // 299 degrees of freedom: 450 is about 6 standard deviations out.
    let chi2 = random_chi_square(&t, 300, 300_000, 11);
    assert!(chi2 < 450.0, "chi-square {chi2}");

    let empty: ScanTable<()> = ScanTable::new();
    assert!(empty.random(&mut rng(1)).is_none());
}

#[test]
fn random_finds_members_in_a_sparse_table() {
    // with_capacity can leave a table far emptier than 10%; random must
    // still find (and eventually cover) its elements.
    let mut t: ScanTable<()> = ScanTable::with_capacity(1 << 16);
    for k in [b"a", b"b", b"c"] {
        t.insert(k, ());
    }
    let mut r = rng(3);
    let mut seen = HashSet::new();
    for _ in 0..300 {
        let (k, _) = t.random(&mut r).expect("non-empty");
        seen.insert(k.to_vec());
    }
    assert_eq!(seen.len(), 3);
    let mut got = 0;
    t.sample(10, &mut r, |_, _| got += 1);
    assert!(got <= 3);
}

#[test]
fn grows_at_load_factor_one_and_shrinks_under_ten_percent() {
    let mut t: ScanTable<()> = ScanTable::new();
    assert_eq!(t.buckets(), 0);
    t.insert(b"0", ());
    assert_eq!(t.buckets(), 4);
    for i in 1..4 {
        t.insert(i.to_string().as_bytes(), ());
    }
    assert_eq!(t.buckets(), 4);
    t.insert(b"4", ());
    assert_eq!(t.buckets(), 8);
    for i in 5..1000 {
        t.insert(i.to_string().as_bytes(), ());
    }
    assert_eq!(t.buckets(), 1024);
    for i in 0..1000 {
        t.remove(i.to_string().as_bytes());
        check_shape(&t);
    }
    assert_eq!(t.buckets(), 4);
    assert!(t.is_empty());
}

fn check_shape<V>(t: &ScanTable<V>) {
    assert!(t.len() <= t.buckets());
    if t.buckets() > MIN_BUCKETS {
        assert!(t.len() * 10 >= t.buckets());
    }
}

#[test]
fn with_capacity_presizes_without_growing() {
    let mut t: ScanTable<()> = ScanTable::with_capacity(1000);
    assert_eq!(t.buckets(), 1024);
    for i in 0..1000 {
        t.insert(i.to_string().as_bytes(), ());
    }
    assert_eq!(t.buckets(), 1024);
    assert_eq!(ScanTable::<()>::with_capacity(0).buckets(), 0);
    assert_eq!(ScanTable::<()>::with_capacity(1).buckets(), 4);
    assert_eq!(
        ScanTable::<()>::with_capacity(usize::MAX).buckets(),
        MAX_PREALLOC_BUCKETS
    );
}

/// Counts drops so leaks and double drops show up.
struct Tracked(Rc<Cell<isize>>);

impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked::new(&self.0)
    }
}

impl Tracked {
    fn new(live: &Rc<Cell<isize>>) -> Tracked {
        live.set(live.get() + 1);
        Tracked(live.clone())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

#[test]
fn values_are_dropped_exactly_once() {
    let live = Rc::new(Cell::new(0));
    {
        let mut t: ScanTable<Tracked> = ScanTable::new();
        for i in 0..500u16 {
            t.insert(&key(i), Tracked::new(&live));
        }
        let distinct = live.get() - t.len() as isize;
        // Replaced values were handed back and dropped by the caller.
        assert_eq!(distinct, 0);
        assert!(!t.insert_new(&key(3), Tracked::new(&live)));
        assert_eq!(live.get(), t.len() as isize);
        for i in 0..100u16 {
            drop(t.remove(&key(i)));
        }
        assert_eq!(live.get(), t.len() as isize);
        let mut d = t.drain();
        for _ in 0..50 {
            drop(d.next());
        }
        drop(d); // frees the rest
        assert_eq!(live.get(), 0);
        assert!(t.is_empty());
        for i in 0..300u16 {
            t.insert(&key(i), Tracked::new(&live));
        }
        let c = t.clone();
        assert_eq!(live.get(), 2 * t.len() as isize);
        drop(c);
        t.clear();
        assert_eq!(live.get(), 0);
        for i in 0..30u16 {
            t.insert(&key(i), Tracked::new(&live));
        }
    } // table dropped with elements in it
    assert_eq!(live.get(), 0);
}

#[test]
fn over_aligned_and_zero_sized_values() {
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(align(32))]
    struct Wide(u64);
    let mut t: ScanTable<Wide> = ScanTable::new();
    let wkey = |i: u64| "w".repeat(i as usize % 300).into_bytes();
    for i in 0..300 {
        t.insert(&wkey(i), Wide(i));
    }
    for (k, v) in t.iter() {
        assert_eq!(v as *const Wide as usize % 32, 0);
        assert_eq!(k.len() as u64, v.0);
    }
    for i in 0..300 {
        assert_eq!(t.get(&wkey(i)), Some(&Wide(i)));
    }
    check_invariants(&t);
    let mut z: ScanTable<()> = ScanTable::new();
    assert!(z.insert_new(b"", ()));
    assert_eq!(z.get_key_value(b""), Some((&b""[..], &())));
}

#[test]
fn long_keys_keep_every_byte() {
    let mut t: ScanTable<u8> = ScanTable::new();
    let mut keys = Vec::new();
    for len in [0usize, 1, 253, 254, 255, 256, 1000, 70_000] {
        let k: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        t.insert(&k, len as u8);
        keys.push(k);
    }
    for k in &keys {
        assert_eq!(t.get_key_value(k).map(|(s, _)| s), Some(&k[..]));
    }
    check_invariants(&t);
    let mut back: Vec<Vec<u8>> = t.drain().map(|(k, _)| k.into_vec()).collect();
    back.sort();
    keys.sort();
    assert_eq!(back, keys);
}

#[test]
fn iter_mut_updates_in_place() {
    let mut t: ScanTable<f64> = ScanTable::new();
    for i in 0..100 {
        t.insert(format!("z{i}").as_bytes(), f64::from(i));
    }
    assert_eq!(t.iter_mut().len(), 100);
    for (_, v) in t.iter_mut() {
        *v *= 2.0;
    }
    assert_eq!(t.get(b"z21"), Some(&42.0));
    let sum: f64 = (&t).into_iter().map(|(_, v)| *v).sum();
    assert_eq!(sum, 9900.0);
}

#[test]
fn debug_shows_escaped_keys() {
    let mut t: ScanTable<u8> = ScanTable::new();
    t.insert(b"a\n", 1);
    assert_eq!(format!("{t:?}"), "{b\"a\\n\": 1}");
    let d: ScanTable<()> = ScanTable::default();
    assert_eq!(format!("{d:?}"), "{}");
}

#[test]
fn alloc_classes_match_jemalloc() {
    let cases = [
        (0, 0),
        (1, 8),
        (8, 8),
        (9, 16),
        (17, 32),
        (19, 32),
        (33, 48),
        (128, 128),
        (129, 160),
        (256, 256),
        (257, 320),
        (4097, 5120),
    ];
    for (n, c) in cases {
        assert_eq!(alloc_class(n), c, "class of {n}");
    }
}

#[test]
fn node_sizes() {
    // A 10-byte set member: 8 (next) + 1 (len) + 10 = 19 bytes -> 32 class.
    assert_eq!(Shape::of::<()>(10).map(|s| s.layout.size()), Some(19));
    // A zset member index entry: key then an aligned f64.
    assert_eq!(Shape::of::<f64>(10).map(|s| s.layout.size()), Some(32));
    // Hash field with a boxed value.
    assert_eq!(
        Shape::of::<Box<[u8]>>(10).map(|s| s.layout.size()),
        Some(40)
    );
    assert_eq!(Shape::of::<()>(255).map(|s| s.key_off), Some(LONG_KEY_OFF));
    assert_eq!(Shape::of::<()>(254).map(|s| s.key_off), Some(SHORT_KEY_OFF));
}

#[test]
fn table_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ScanTable<Box<[u8]>>>();
    check::<IntoIter<()>>();
}
