//! Tests for [`super::IntSet`] and [`super::parse_set_int`].

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// The blob Redis would hold for `members` at `width`, built by hand.
fn blob(width: u32, members: &[i64]) -> Vec<u8> {
    let mut b = width.to_le_bytes().to_vec();
    b.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for &m in members {
        let bytes = m.to_le_bytes();
        b.extend_from_slice(&bytes[..width as usize]);
    }
    b
}

fn check_valid(s: &IntSet) {
    if s.is_empty() {
        assert_eq!(s.as_bytes(), &blob(u32::from(s.max_width()), &[])[..]);
    } else {
        let again = IntSet::from_bytes(s.as_bytes().to_vec()).expect("valid blob");
        assert_eq!(&again, s);
    }
}

/// Values clustered around the 16/32-bit boundaries and the extremes.
fn interesting() -> impl Strategy<Value = i64> {
    prop_oneof![
        -300i64..300,
        (i64::from(i16::MIN) - 3)..(i64::from(i16::MIN) + 3),
        (i64::from(i16::MAX) - 3)..(i64::from(i16::MAX) + 3),
        (i64::from(i32::MIN) - 3)..(i64::from(i32::MIN) + 3),
        (i64::from(i32::MAX) - 3)..(i64::from(i32::MAX) + 3),
        Just(i64::MIN),
        Just(i64::MAX),
        any::<i64>(),
    ]
}

proptest! {
    #[test]
    fn behaves_like_a_btreeset(ops in proptest::collection::vec((0u8..3, interesting()), 0..400)) {
        let mut s = IntSet::new();
        let mut model = BTreeSet::new();
        let mut widest = 2u8;
        for (op, v) in ops {
            match op {
                0 => {
                    prop_assert_eq!(s.insert(v), model.insert(v));
                    widest = widest.max(width_for(v) as u8);
                }
                1 => prop_assert_eq!(s.remove(v), model.remove(&v)),
                _ => prop_assert_eq!(s.contains(v), model.contains(&v)),
            }
            prop_assert_eq!(s.len(), model.len());
            // The width is the widest ever inserted: never downgraded.
            prop_assert_eq!(s.max_width(), widest);
        }
        prop_assert!(s.iter().eq(model.iter().copied()));
        prop_assert!(s.iter().rev().eq(model.iter().rev().copied()));
        for (i, v) in model.iter().enumerate() {
            prop_assert_eq!(s.get(i), Some(*v));
        }
        prop_assert_eq!(s.get(model.len()), None);
        prop_assert_eq!(s.get(usize::MAX), None);
        let members: Vec<i64> = model.iter().copied().collect();
        prop_assert_eq!(s.as_bytes(), &blob(u32::from(widest), &members)[..]);
        check_valid(&s);
    }

    #[test]
    fn parse_matches_canonical_formatting(v in any::<i64>()) {
        prop_assert_eq!(parse_set_int(v.to_string().as_bytes()), Some(v));
    }

    #[test]
    fn parse_accepts_only_canonical_text(s in "[-+ 0-9a]{0,22}") {
        let got = parse_set_int(s.as_bytes());
        // string2ll accepts exactly the strings an i64 formats to.
        let canonical = s.parse::<i64>().ok().filter(|v| v.to_string() == s);
        prop_assert_eq!(got, canonical);
    }

    #[test]
    fn from_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Some(s) = IntSet::from_bytes(b.clone()) {
            prop_assert_eq!(s.as_bytes(), &b[..]);
            prop_assert!(s.iter().zip(s.iter().skip(1)).all(|(a, b)| a < b));
        }
    }
}

#[test]
fn redis_bytes_for_known_sequences() {
    // SADD s 1 2 3 on Redis 7.0.
    let mut s = IntSet::new();
    for v in [3, 1, 2] {
        assert!(s.insert(v));
    }
    assert_eq!(
        s.as_bytes(),
        &[2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0][..]
    );
    assert_eq!(IntSet::new().as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0][..]);
    // SADD s 70000: upgraded to 32-bit, appended as the largest.
    assert!(s.insert(70_000));
    assert_eq!(
        s.as_bytes(),
        &[
            4, 0, 0, 0, 4, 0, 0, 0, //
            1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x70, 0x11, 0x01, 0x00
        ][..]
    );
    // SADD s -5000000000: upgraded to 64-bit, prepended as the smallest.
    assert!(s.insert(-5_000_000_000));
    let mut want = vec![8, 0, 0, 0, 5, 0, 0, 0];
    want.extend_from_slice(&(-5_000_000_000i64).to_le_bytes());
    for v in [1i64, 2, 3, 70_000] {
        want.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(s.as_bytes(), &want[..]);
    // Removing the wide members does not narrow the encoding.
    assert!(s.remove(-5_000_000_000) && s.remove(70_000));
    assert_eq!(s.as_bytes(), &blob(8, &[1, 2, 3])[..]);
    assert_eq!(s.max_width(), 8);
}

#[test]
fn width_boundaries() {
    let cases = [
        (i64::from(i16::MAX), 2),
        (i64::from(i16::MIN), 2),
        (i64::from(i16::MAX) + 1, 4),
        (i64::from(i16::MIN) - 1, 4),
        (i64::from(i32::MAX), 4),
        (i64::from(i32::MIN), 4),
        (i64::from(i32::MAX) + 1, 8),
        (i64::from(i32::MIN) - 1, 8),
        (i64::MAX, 8),
        (i64::MIN, 8),
    ];
    for (v, w) in cases {
        let mut s = IntSet::new();
        s.insert(0);
        s.insert(v);
        assert_eq!(s.max_width(), w, "width after inserting {v}");
        assert!(s.contains(v) && s.contains(0));
        let mut sorted = vec![0, v];
        sorted.sort_unstable();
        assert_eq!(s.as_bytes(), &blob(u32::from(w), &sorted)[..]);
        assert!(s.remove(v));
        assert!(!s.contains(v));
        assert_eq!(s.max_width(), w);
    }
    // Values wider than the encoding are never members.
    let mut s = IntSet::new();
    s.insert(5);
    assert!(!s.contains(1 << 40) && !s.remove(1 << 40));
}

#[test]
fn from_bytes_rejects_corrupt_blobs() {
    let good = blob(2, &[1, 2, 3]);
    assert!(IntSet::from_bytes(good.clone()).is_some());
    for cut in 0..good.len() {
        assert!(
            IntSet::from_bytes(good[..cut].to_vec()).is_none(),
            "cut {cut}"
        );
    }
    let mut extra = good.clone();
    extra.push(0);
    assert!(IntSet::from_bytes(extra).is_none());
    let mut unsorted = good.clone();
    unsorted[8] = 9;
    assert!(IntSet::from_bytes(unsorted).is_none());
    let mut dup = good.clone();
    dup[10] = 1;
    assert!(IntSet::from_bytes(dup).is_none());
    for enc in [0u8, 1, 3, 5, 16] {
        let mut bad = good.clone();
        bad[0] = enc;
        assert!(IntSet::from_bytes(bad).is_none(), "encoding {enc}");
    }
    let mut high_enc = good.clone();
    high_enc[3] = 1; // encoding 0x01000002
    assert!(IntSet::from_bytes(high_enc).is_none());
    assert!(IntSet::from_bytes(blob(2, &[])).is_none(), "empty intset");
    assert!(IntSet::from_bytes(vec![8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]).is_none());
    // A wider-than-needed encoding is valid and kept byte for byte.
    let wide = blob(8, &[-1, 7]);
    let s = IntSet::from_bytes(wide.clone()).expect("valid");
    assert_eq!(s.as_bytes(), &wide[..]);
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![-1, 7]);
    // Negative numbers sort below positive ones (signed comparison).
    assert!(IntSet::from_bytes(blob(4, &[5, -5])).is_none());
    assert!(IntSet::from_bytes(blob(4, &[-5, 5])).is_some());
}

#[test]
fn parse_set_int_follows_string2ll() {
    let ok: &[(&str, i64)] = &[
        ("0", 0),
        ("1", 1),
        ("-1", -1),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
        ("10", 10),
    ];
    for (s, v) in ok {
        assert_eq!(parse_set_int(s.as_bytes()), Some(*v), "{s}");
    }
    let bad = [
        "",
        "-",
        "+",
        "-0",
        "+1",
        "01",
        "00",
        " 1",
        "1 ",
        "1a",
        "0x10",
        "1.0",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999",
        "184467440737095516160",
        "000000000000000000001",
    ];
    for s in bad {
        assert_eq!(parse_set_int(s.as_bytes()), None, "{s:?}");
    }
    assert_eq!(parse_set_int(b"1\0"), None);
}

#[test]
fn random_get_and_memory() {
    let mut s = IntSet::new();
    let mut r = {
        let mut x = 99u64;
        move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            x >> 11
        }
    };
    assert_eq!(s.random(&mut r), None);
    for v in 0..10 {
        s.insert(v * 1000);
    }
    let mut seen = BTreeSet::new();
    for _ in 0..1000 {
        let v = s.random(&mut r).expect("non-empty");
        assert!(s.contains(v));
        seen.insert(v);
    }
    assert_eq!(seen.len(), 10);
    assert_eq!(s.iter().len(), 10);
    assert!(s.mem_usage() >= 8 + 10 * 2);
    for v in 0..10 {
        s.remove(v * 1000);
    }
    assert!(s.is_empty());
    assert!(s.mem_usage() <= 64 + 8);
    assert_eq!(
        format!("{:?}", IntSet::from_bytes(blob(2, &[1, 2]))),
        "Some({1, 2})"
    );
    assert_eq!(IntSet::default(), IntSet::new());
}
