//! Tests for the quicklist: node layouts identical to Redis 7.0 for the same
//! command sequences (captured from a real `redis-server` with `DUMP`),
//! memory use, and model-based property tests over many fill values.

use super::*;
use proptest::prelude::*;
use std::collections::VecDeque;

/// FNV-1a 64 of a node blob (same function as the capture script).
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Checks the structural invariants: counts add up, no empty nodes, every
/// node is a valid listpack, iteration agrees with `len`.
fn check(ql: &Quicklist) {
    let sum: usize = ql.nodes().map(Listpack::len).sum();
    assert_eq!(sum, ql.len(), "node counts must sum to len");
    assert_eq!(ql.nodes().count(), ql.node_count());
    for n in ql.nodes() {
        assert!(!n.is_empty(), "empty node left behind");
        let again = Listpack::from_bytes(n.as_bytes().to_vec()).expect("valid node");
        assert_eq!(&again, n);
    }
    assert_eq!(ql.iter().len(), ql.len());
    assert!((-5..=FILL_MAX).contains(&ql.fill()));
}

fn contents(ql: &Quicklist) -> Vec<Vec<u8>> {
    ql.iter().map(|v| v.to_vec()).collect()
}

// ---------------------------------------------------------------------------
// Byte identity with Redis. The operation sequences below come from
// `genops` (a deterministic LCG, so no data files are needed). They were
// replayed on Redis 7.0.15 with `CONFIG SET list-max-listpack-size <fill>`
// as RPUSH / LPUSH / LINSERT / LSET commands on one key, and the node blobs
// of `DUMP key` (RDB type QUICKLIST_2, rdbcompression off) were recorded as
// (length, FNV-1a 64) pairs.
// ---------------------------------------------------------------------------

/// The capture script's PRNG (a 64-bit LCG, top 31 bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// `text` padded with 'p' to `size` bytes (if shorter).
fn mk(text: &str, size: usize) -> Vec<u8> {
    let mut v = text.as_bytes().to_vec();
    if v.len() < size {
        v.resize(size, b'p');
    }
    v
}

enum Cmd {
    Rpush(Vec<u8>),
    Lpush(Vec<u8>),
    Linsert(bool, Vec<u8>, Vec<u8>),
    Lset(i64, Vec<u8>),
}

/// Same generator as the capture script.
fn genops(seed: u64, n: usize, sizes: &[usize], inserts: usize, sets: usize) -> Vec<Cmd> {
    let mut g = Lcg(seed);
    let mut ops = Vec::new();
    let mut vals: Vec<(String, usize)> = Vec::new();
    for i in 0..n {
        let size = sizes[g.below(sizes.len())];
        let text = if g.below(10) < 3 {
            i.to_string()
        } else {
            format!("v{i}")
        };
        let v = mk(&text, size);
        ops.push(if g.below(10) < 6 {
            Cmd::Rpush(v)
        } else {
            Cmd::Lpush(v)
        });
        vals.push((text, size));
    }
    for j in 0..inserts {
        let (pt, ps) = vals[g.below(vals.len())].clone();
        let size = sizes[g.below(sizes.len())];
        let text = format!("n{j}");
        let after = g.below(2) == 0;
        ops.push(Cmd::Linsert(after, mk(&pt, ps), mk(&text, size)));
        vals.push((text, size));
    }
    for j in 0..sets {
        let mut idx = g.below(vals.len()) as i64;
        if g.below(2) == 0 {
            idx -= vals.len() as i64;
        }
        ops.push(Cmd::Lset(idx, format!("s{j}").into_bytes()));
    }
    ops
}

/// (fill, sizes, pushes, inserts, sets) per case, as in the script.
const CASES: &[(i32, &[usize], usize, usize, usize)] = &[
    (-2, &[1, 10, 100], 2000, 300, 50),
    (5, &[1, 5, 20], 60, 40, 10),
    (-1, &[300, 5, 40], 200, 80, 10),
    (1, &[3], 10, 5, 3),
    (2, &[3, 8], 30, 20, 5),
    (0, &[4], 8, 4, 2),
    (128, &[100, 1], 300, 60, 10),
    (-5, &[1000, 10], 300, 100, 10),
    (-3, &[2000, 3000], 40, 20, 5),
    (32, &[10], 500, 200, 20),
    (-4, &[1, 2, 3], 3000, 500, 30),
    (3, &[1], 20, 30, 5),
    (-2, &[9000, 5, 100], 30, 15, 5),
    (-1, &[4100, 4000, 1], 20, 10, 4),
];

/// Node blobs Redis produced for each case: (bytes, FNV-1a).
const EXPECTED: &[&[(usize, u64)]] = &[
    // case 0: fill -2 sizes [1, 10, 100] n 2000 inserts 300 sets 50
    &[
        (3838, 0x7b2b856a15362199),
        (5198, 0x9b21ae67d08aa158),
        (4604, 0x7c4fd62f799502b7),
        (3885, 0xd4c147d9609a8550),
        (4739, 0xb5f6e75f48177480),
        (5113, 0x160397c9fbc76b78),
        (7566, 0x20103945535083d1),
        (6013, 0xc1984e18c6383657),
        (4491, 0xe67b0292bd0e67e8),
        (5954, 0x1dbb028e7fff2c9f),
        (5008, 0xb3b87508c5065739),
        (7403, 0xbe15446fe6ef7aa3),
        (4319, 0x3535c5f10b62fc36),
        (4386, 0xde22b3c6511c95f9),
        (7037, 0x3360f1b32cf8bc6d),
        (7337, 0x7394c5cf0b06481c),
        (7462, 0x01f820268720f521),
    ],
    // case 1: fill 5 sizes [1, 5, 20] n 60 inserts 40 sets 10
    &[
        (43, 0x9c95b8d1c61dabd4),
        (54, 0x66617035354964ef),
        (37, 0x16b05d327e17969e),
        (48, 0x22858780c5f43720),
        (43, 0x5c334f70756d0534),
        (46, 0x912017a622c97d0e),
        (85, 0x58668c487831926e),
        (54, 0x6226e67985cd1025),
        (43, 0x710781f9589a5b3d),
        (25, 0xa5700de0c08e4be4),
        (63, 0x6f61c26365241c79),
        (64, 0x05f4bec78cfe261a),
        (60, 0x2aa69d0190b779cf),
        (36, 0x616a3667c43cd91b),
        (77, 0x11cec75fe79afcbc),
        (49, 0xaded8facfe0589e7),
        (58, 0xf8c009e352d5394f),
        (60, 0x73122649f1644bc1),
        (52, 0x312f8b411668f68c),
        (19, 0xe0fea16dc0897035),
        (67, 0x44c07e1fa753ec53),
        (48, 0xc33a57a627e47888),
        (19, 0xd43ed78ec91d7014),
        (50, 0x1649ac42798f6ca5),
        (48, 0x288f87e04542260c),
    ],
    // case 2: fill -1 sizes [300, 5, 40] n 200 inserts 80 sets 10
    &[
        (678, 0x2ec2699d87a159d3),
        (3939, 0x2b4634519de1a0ff),
        (3272, 0x9d55d939e9e1c617),
        (2181, 0xda0030e8b98bc2b3),
        (2572, 0x11baab18c23c686a),
        (3950, 0x493ae5ca88b88399),
        (2939, 0x79b5c9579ba3d9d2),
        (2980, 0xfd0d6afa733d9b9f),
        (2104, 0x72a18b16b1097270),
        (3758, 0x68e88e3a6c71c819),
        (2832, 0x93601090e2ad1a54),
        (3624, 0xecdffb49c7e5ea5a),
    ],
    // case 3: fill 1 sizes [3] n 10 inserts 5 sets 3
    &[
        (12, 0xe36650be20f52024),
        (12, 0x2b7d95b8b6ecb0a7),
        (12, 0x07914f44cb72ee53),
        (11, 0x493bd78c0b8705e1),
        (12, 0xd8f612525d515cd9),
        (12, 0x0408ea7142134f5d),
        (11, 0x51ed008c10764ae4),
        (12, 0x56006fe7555f7bb6),
        (12, 0x9d3c6332e5066235),
        (11, 0x40a6ae8c06b03b96),
        (12, 0x592cb6828b7d0cdb),
        (12, 0x39640858dc8a0068),
        (12, 0xfda85939643b9fc4),
        (12, 0xd97f5ab2b9c13795),
        (12, 0x67fd454b4aa82be2),
    ],
    // case 4: fill 2 sizes [3, 8] n 30 inserts 20 sets 5
    &[
        (17, 0x1807b9fd6186df33),
        (17, 0x83d0e07cd9b572a1),
        (17, 0x865e57d102928b10),
        (12, 0xadb928341063ee2e),
        (17, 0xab81e980c246c7c3),
        (27, 0x484f8596a0f0bb35),
        (17, 0x19dcc68ee00d6458),
        (22, 0xd365729d30919fe8),
        (12, 0x67fd454b4aa82be2),
        (22, 0x5d08ef7f5f1322a9),
        (17, 0xf416b5283a4b4c23),
        (16, 0xe1b761e38550442d),
        (16, 0xaf189638f022a9da),
        (15, 0x93c7b2f3af284747),
        (22, 0xfee0513b6eea0605),
        (17, 0xea40ffd697dfdd78),
        (22, 0xdc321281b1c8ba29),
        (12, 0x3cea6d2c65e6395e),
        (27, 0xd480543d6982fa62),
        (17, 0xa05da39f295cc129),
        (12, 0xde9080073f77f851),
        (22, 0xb67a0137afda4518),
        (22, 0x57ebdacee16406f6),
        (22, 0xa68f5ce8b959a308),
        (17, 0xb42a908193effc10),
        (17, 0x9234b1d398da4109),
        (22, 0x1f07edb2152b90d5),
        (12, 0xe7c6a11b1c7c7be0),
        (17, 0xa1b6f5fa43864e7c),
        (11, 0x493bd78c0b8705e1),
    ],
    // case 5: fill 0 sizes [4] n 8 inserts 4 sets 2
    &[
        (13, 0x9df35d2cb3aaa183),
        (13, 0xb9429c51155ab60a),
        (13, 0x3e1b6662206f14af),
        (13, 0xaaa71e46ec40c517),
        (11, 0x493bd78c0b8705e1),
        (13, 0x3834c2275ee22a4d),
        (13, 0x40f54acc0b7e0b09),
        (13, 0x3233ccc1e2462e02),
        (13, 0x2f73e857f74c4c60),
        (11, 0x40a6ae8c06b03b96),
        (13, 0x327c2a4a064e7751),
        (13, 0x92677faeffb12944),
    ],
    // case 6: fill 128 sizes [100, 1] n 300 inserts 60 sets 10
    &[
        (4732, 0xc22160e40d19ccae),
        (5682, 0x7e0160ce6330c954),
        (1776, 0xcb43243aad51bad8),
        (4704, 0x232e243743092226),
        (1830, 0xc0ec192fb408b1e2),
    ],
    // case 7: fill -5 sizes [1000, 10] n 300 inserts 100 sets 10
    &[
        (49891, 0x8167b66b218a89e9),
        (52887, 0x5b0c2c0d96e8e334),
        (34503, 0x508083a459c20aed),
        (59923, 0x0b48fb63e3de3eda),
    ],
    // case 8: fill -3 sizes [2000, 3000] n 40 inserts 20 sets 5
    &[
        (10023, 0x4950e87959755864),
        (14035, 0x738ce08246534287),
        (6015, 0x423418050909fe28),
        (14035, 0xeee7bda69c33ee9d),
        (8019, 0x0859e37ff103ca5c),
        (13027, 0x7c9bbface2e2b4c8),
        (9023, 0xe645fdfb53492c78),
        (16031, 0xbd074b428dd3e8ca),
        (7019, 0x64bdc852980cbf41),
        (11031, 0x332a6780e071b56a),
        (12027, 0xc9c95b3f8ca67d3d),
        (5015, 0x2c0b4acae150a3bf),
        (13031, 0xa92f978002e26792),
    ],
    // case 9: fill 32 sizes [10] n 500 inserts 200 sets 20
    &[
        (340, 0x08eb2f3a252649fa),
        (275, 0x89c94a6c57263411),
        (343, 0xa959240b27cbf2f7),
        (179, 0x089afe0e9ea67ad4),
        (271, 0x6e3be1612c75a33c),
        (384, 0x60c0eac2d26d3899),
        (151, 0xd2d74018e26858de),
        (271, 0x518d546e33178fd3),
        (300, 0x85b86ecb95cc4a1e),
        (211, 0x95012f7c0be2b492),
        (247, 0xf0716cba59a3bd92),
        (348, 0x4f91ee173377472e),
        (295, 0x15ab3b3280992fc6),
        (259, 0x366e8696502e9771),
        (247, 0xd21fb345e095ea20),
        (311, 0x0cc981d7f60a3906),
        (156, 0x15d2bb16a46c4a41),
        (307, 0x03b82ae5ef063d2a),
        (228, 0x2b6befdc94f465f1),
        (355, 0xeb7955724df96777),
        (211, 0xfa6156fce9f12252),
        (331, 0x3fa8352146e0c001),
        (279, 0x13d2b0c3cfb12444),
        (331, 0x71bcf1d3ed1571ad),
        (307, 0xde6c7a94defd9b8d),
        (251, 0xd32026abb9febab4),
        (316, 0xd6858e1e232a4ece),
        (252, 0x366542a7ab8eb1bf),
        (339, 0xb88a4fecaf289851),
        (365, 0xad756ff76f3ab705),
    ],
    // case 10: fill -4 sizes [1, 2, 3] n 3000 inserts 500 sets 30
    &[(19608, 0x67282b02abc02109)],
    // case 11: fill 3 sizes [1] n 20 inserts 30 sets 5
    &[
        (21, 0x15ceab9f227ade45),
        (16, 0xefaf926fe73d459b),
        (19, 0x0f920032ac90ad2a),
        (16, 0xe1b4f5d8cf5cd824),
        (20, 0xea8562518946d7e9),
        (14, 0xc180f0afb1a6c74a),
        (15, 0x066ceb1e1d0c7a46),
        (15, 0x44c5b45e2b2aa207),
        (13, 0x35755eb3b57110d9),
        (19, 0xe48b4208558518e0),
        (16, 0xd5b534ca3b171c06),
        (21, 0x6d0a5216ba1caabe),
        (19, 0x9705990b1a087357),
        (17, 0x7d1e9ef5f79f88dd),
        (17, 0x7efb26ce1215729a),
        (16, 0x4fb01f44d377670f),
        (21, 0xfcb176af5b9f972d),
        (16, 0xe9a02d28eb85b6db),
        (22, 0xbb934ffffa4b44bd),
        (12, 0x4467144c58808925),
        (22, 0x0da53ff5f8d45dad),
    ],
    // case 12: fill -2 sizes [9000, 5, 100] n 30 inserts 15 sets 5
    &[
        (21, 0x997f6dbaae38e65a),
        (11, 0x40a6ae8c06b03b96),
        (9014, 0x56916b0261ed0e52),
        (121, 0x0a7fdcfd8ab0ece2),
        (9014, 0x326e10bda52bd55a),
        (117, 0xcf0645f6e7f001f0),
        (11, 0x5a9e298c15658fe7),
        (21, 0xba6d0925b0bd4408),
        (9014, 0x84fa91de5de61714),
        (9014, 0x1c365dd5f646faf9),
        (121, 0xeb478b2bf7d5158a),
        (9014, 0x83bfabfb817076f9),
        (9014, 0x6fe9784c1b3d2c9a),
        (9014, 0x19519f49bfb876ee),
        (110, 0x58e982c28fcb57cc),
        (18021, 0x08b9f683d5b41b43),
        (124, 0x0488d10dc2483f26),
        (9014, 0x5dd0b94f85e7606a),
        (330, 0x5002b423c9af677f),
        (9014, 0x3f6d5f85c23a4fc3),
        (9014, 0x54c21042b6904f58),
        (330, 0xfb2eb429286b8022),
        (9014, 0xb34094257d814799),
        (9014, 0x456af9b1cf355331),
        (213, 0x31d6bd4f1541a59e),
        (9014, 0x3d783aa37bc6e72a),
    ],
    // case 13: fill -1 sizes [4100, 4000, 1] n 20 inserts 10 sets 4
    &[
        (4114, 0x9820aeaf2ee901c5),
        (4015, 0x8424ab2f0cde6a51),
        (4121, 0xd473822c80d56ac9),
        (4011, 0xa9768a2bf8d6f014),
        (11, 0x40a6ae8c06b03b96),
        (4114, 0xbc2773f116f55d09),
        (4015, 0xd673150df5e2ce37),
        (4011, 0x23ec5ce78c006b5c),
        (11, 0x5a9e298c15658fe7),
        (4011, 0xf96ec1bc22ac689f),
        (4019, 0x449740973cb2d869),
        (4114, 0xa718efc7d934913a),
        (4114, 0x573e3be06259de4c),
        (4114, 0xe1aeddec44aa3474),
        (15, 0x1a39b97c93e9e6f8),
        (4114, 0x0b04d96c70b34f5b),
        (4114, 0xa8f1391d574309f6),
        (4119, 0x1f0faed207b86ae4),
        (4011, 0x71f9be189781484e),
        (4114, 0xdbd7a42592a91c8c),
        (16, 0x4bcb757adbd20756),
    ],
];

#[test]
fn node_layouts_match_redis() {
    assert_eq!(CASES.len(), EXPECTED.len());
    for (k, (&(fill, sizes, n, ins, sets), want)) in CASES.iter().zip(EXPECTED).enumerate() {
        let mut ql = Quicklist::new(fill);
        for cmd in genops(k as u64 + 1, n, sizes, ins, sets) {
            match cmd {
                Cmd::Rpush(v) => ql.push_back(&v),
                Cmd::Lpush(v) => ql.push_front(&v),
                Cmd::Linsert(after, pivot, v) => assert!(ql.insert(&pivot, &v, after)),
                Cmd::Lset(i, v) => assert!(ql.set(i, &v)),
            }
        }
        check(&ql);
        let got: Vec<(usize, u64)> = ql
            .nodes()
            .map(|n| (n.bytes_len(), fnv(n.as_bytes())))
            .collect();
        assert_eq!(&got[..], *want, "case {k} (fill {fill})");
    }
}

#[test]
fn small_list_blob_matches_redis() {
    // RPUSH l hello 1234567 -1 00 on Redis 7.0.15.
    let mut ql = Quicklist::default();
    for v in ["hello", "1234567", "-1", "00"] {
        ql.push_back(v.as_bytes());
    }
    let nodes: Vec<&Listpack> = ql.nodes().collect();
    assert_eq!(nodes.len(), 1);
    let want = [
        0x1a, 0, 0, 0, 4, 0, 0x85, b'h', b'e', b'l', b'l', b'o', 6, 0xf2, 0x87, 0xd6, 0x12, 4,
        0xdf, 0xff, 2, 0x82, b'0', b'0', 3, 0xff,
    ];
    assert_eq!(nodes[0].as_bytes(), &want);
}

// ---------------------------------------------------------------------------
// Behaviour
// ---------------------------------------------------------------------------

#[test]
fn fill_is_clamped_like_redis() {
    assert_eq!(Quicklist::new(-100).fill(), -5);
    assert_eq!(Quicklist::new(1 << 20).fill(), FILL_MAX);
    assert_eq!(Quicklist::default().fill(), -2);
    let mut ql = Quicklist::new(0);
    for i in 0..5 {
        ql.push_back(format!("{i}").as_bytes());
    }
    assert_eq!(ql.node_count(), 5, "fill 0 keeps one element per node");
    ql.set_fill(-9);
    assert_eq!(ql.fill(), -5);
}

#[test]
fn positive_fill_counts_entries_but_stops_at_8k() {
    let mut ql = Quicklist::new(1000);
    for _ in 0..200 {
        ql.push_back(&[b'z'; 100]);
    }
    check(&ql);
    for n in ql.nodes() {
        assert!(n.bytes_len() <= 8192);
    }
    assert!(ql.node_count() >= 3);
    let mut ql = Quicklist::new(4);
    for i in 0..10 {
        ql.push_front(format!("{i}").as_bytes());
    }
    let counts: Vec<usize> = ql.nodes().map(Listpack::len).collect();
    assert_eq!(counts, vec![2, 4, 4]);
}

#[test]
fn get_set_and_negative_indexes() {
    let mut ql = Quicklist::new(3);
    for i in 0..10 {
        ql.push_back(format!("v{i}").as_bytes());
    }
    assert_eq!(ql.get(0), Some(b"v0".to_vec()));
    assert_eq!(ql.get(-1), Some(b"v9".to_vec()));
    assert_eq!(ql.get(-10), Some(b"v0".to_vec()));
    assert_eq!(ql.get(-11), None);
    assert_eq!(ql.get(10), None);
    assert_eq!(ql.get(i64::MIN), None);
    assert_eq!(ql.get(i64::MAX), None);
    assert_eq!(ql.with_index(4, |v| v.str_len()), Some(2));
    assert!(ql.set(-2, b"eight"));
    assert!(!ql.set(10, b"x"));
    assert!(!ql.set(i64::MIN, b"x"));
    assert_eq!(ql.get(8), Some(b"eight".to_vec()));
    assert!(ql.set(0, b"123"));
    assert_eq!(ql.with_index(0, |v| v), Some(LpValue::Int(123)));
    assert_eq!(ql.with_index(0, |v| v.as_i64()), Some(Some(123)));
    check(&ql);
}

#[test]
fn lset_with_a_big_value_isolates_it() {
    let mut ql = Quicklist::new(-1);
    for i in 0..300 {
        ql.push_back(format!("item-{i}").as_bytes());
    }
    let before = ql.node_count();
    assert!(ql.set(100, &[b'B'; 5000]));
    check(&ql);
    for n in ql.nodes() {
        assert!(n.len() == 1 || n.bytes_len() <= 4096, "{:?}", ql);
    }
    assert!(ql.node_count() > before);
    assert_eq!(ql.get(100), Some(vec![b'B'; 5000]));
    assert_eq!(ql.get(99), Some(b"item-99".to_vec()));
    assert_eq!(ql.get(101), Some(b"item-101".to_vec()));
}

#[test]
fn insert_and_remove() {
    let mut ql = Quicklist::new(2);
    for v in ["a", "b", "a", "c", "a", "d"] {
        ql.push_back(v.as_bytes());
    }
    assert!(!ql.insert(b"zz", b"x", true));
    assert!(ql.insert(b"c", b"c2", true));
    assert!(ql.insert(b"a", b"a0", false));
    assert_eq!(
        contents(&ql),
        ["a0", "a", "b", "a", "c", "c2", "a", "d"].map(|s| s.as_bytes().to_vec())
    );
    check(&ql);
    assert_eq!(ql.remove(b"a", -1), 1);
    assert_eq!(
        contents(&ql),
        ["a0", "a", "b", "a", "c", "c2", "d"].map(|s| s.as_bytes().to_vec())
    );
    assert_eq!(ql.remove(b"a", 1), 1);
    assert_eq!(ql.remove(b"nope", 0), 0);
    assert_eq!(ql.remove(b"a", 0), 1);
    assert_eq!(
        contents(&ql),
        ["a0", "b", "c", "c2", "d"].map(|s| s.as_bytes().to_vec())
    );
    check(&ql);
    assert_eq!(ql.remove(b"b", i64::MIN), 1);
    assert_eq!(ql.len(), 4);
}

#[test]
fn integers_compare_as_strings() {
    let mut ql = Quicklist::default();
    for v in ["10", "010", "-0", "10"] {
        ql.push_back(v.as_bytes());
    }
    assert_eq!(ql.remove(b"10", 0), 2);
    assert_eq!(contents(&ql), vec![b"010".to_vec(), b"-0".to_vec()]);
    assert!(ql.insert(b"-0", b"7", false));
    assert_eq!(ql.get(1), Some(b"7".to_vec()));
}

#[test]
fn trim_and_delete_range() {
    let mut ql = Quicklist::new(4);
    for i in 0..40 {
        ql.push_back(format!("{i}").as_bytes());
    }
    ql.trim(5, 30);
    assert_eq!(ql.len(), 26);
    assert_eq!(ql.get(0), Some(b"5".to_vec()));
    assert_eq!(ql.get(-1), Some(b"30".to_vec()));
    check(&ql);
    ql.delete_range(3, 10);
    assert_eq!(ql.len(), 16);
    assert_eq!(ql.get(3), Some(b"18".to_vec()));
    check(&ql);
    ql.delete_range(100, 3);
    ql.delete_range(10, 1000);
    assert_eq!(ql.len(), 10);
    ql.trim(3, 1000);
    assert_eq!(ql.len(), 7);
    ql.trim(4, 2);
    assert!(ql.is_empty());
    assert_eq!(ql.node_count(), 0);
    check(&ql);
}

#[test]
fn pops_drop_and_merge_nodes() {
    let mut ql = Quicklist::new(4);
    for i in 0..20 {
        ql.push_back(format!("{i}").as_bytes());
    }
    assert_eq!(ql.node_count(), 5);
    assert_eq!(ql.pop_front(), Some(b"0".to_vec()));
    assert_eq!(ql.pop_back(), Some(b"19".to_vec()));
    check(&ql);
    let mut got = Vec::new();
    while let Some(v) = ql.pop_front() {
        got.push(v);
        check(&ql);
    }
    assert_eq!(got.len(), 18);
    assert_eq!(ql.pop_back(), None);
    assert_eq!(ql.node_count(), 0);
}

#[test]
fn deletions_merge_neighbours() {
    let mut ql = Quicklist::new(4);
    for i in 0..20 {
        ql.push_back(format!("{i}").as_bytes());
    }
    for i in (1..20).step_by(2) {
        assert_eq!(ql.remove(format!("{i}").as_bytes(), 0), 1);
    }
    check(&ql);
    let counts: Vec<usize> = ql.nodes().map(Listpack::len).collect();
    assert_eq!(counts, vec![4, 4, 2]);
    ql.delete_range(1, 6);
    let counts: Vec<usize> = ql.nodes().map(Listpack::len).collect();
    assert_eq!(counts, vec![4]);
    assert_eq!(
        contents(&ql),
        ["0", "14", "16", "18"].map(|s| s.as_bytes().to_vec())
    );
}

#[test]
fn iterators_from_an_index() {
    let mut ql = Quicklist::new(3);
    for i in 0..11 {
        ql.push_back(format!("{i}").as_bytes());
    }
    let all = contents(&ql);
    for start in 0..12 {
        let f: Vec<Vec<u8>> = ql.iter_from(start).map(|v| v.to_vec()).collect();
        assert_eq!(f, all.get(start..).map(<[_]>::to_vec).unwrap_or_default());
        let r: Vec<Vec<u8>> = ql.iter_rev_from(start).map(|v| v.to_vec()).collect();
        let mut want = all.get(..=start).map(<[_]>::to_vec).unwrap_or_default();
        if start >= all.len() {
            want.clear();
        }
        want.reverse();
        assert_eq!(r, want, "rev from {start}");
        assert_eq!(ql.iter_from(start).len(), all.len().saturating_sub(start));
    }
    let mut it = ql.iter();
    let mut front = Vec::new();
    let mut back = Vec::new();
    loop {
        match (it.next(), it.next_back()) {
            (Some(a), Some(b)) => {
                front.push(a.to_vec());
                back.push(b.to_vec());
            }
            (Some(a), None) => front.push(a.to_vec()),
            _ => break,
        }
    }
    back.reverse();
    front.extend(back);
    assert_eq!(front, all);
}

#[test]
fn nodes_round_trip_through_from_node() {
    let mut ql = Quicklist::new(5);
    for i in 0..23 {
        ql.push_front(format!("e{i}").as_bytes());
    }
    let mut copy = Quicklist::new(5);
    for n in ql.nodes() {
        copy.from_node(Listpack::from_bytes(n.as_bytes().to_vec()).unwrap());
    }
    copy.from_node(Listpack::new());
    check(&copy);
    assert_eq!(contents(&copy), contents(&ql));
    // Tiny nodes get merged on load when the fill rule allows.
    let mut merged = Quicklist::new(-2);
    for n in ql.nodes() {
        merged.from_node(n.clone());
    }
    assert_eq!(merged.node_count(), 1);
    assert_eq!(contents(&merged), contents(&ql));
}

#[test]
fn memory_is_close_to_redis() {
    // 10,000 ten-byte elements: each costs 12 bytes in a listpack, so Redis
    // needs ~120 KB of node blobs plus ~15 quicklistNode headers.
    for front in [false, true] {
        let mut ql = Quicklist::default();
        for i in 0..10_000 {
            let v = format!("elem{i:06}");
            if front {
                ql.push_front(v.as_bytes());
            } else {
                ql.push_back(v.as_bytes());
            }
        }
        let blobs: usize = ql.nodes().map(Listpack::bytes_len).sum();
        assert!(blobs <= 10_000 * 12 + ql.node_count() * 7);
        let mem = ql.mem_usage();
        assert!(mem < blobs + blobs / 20 + 1024, "mem {mem} blobs {blobs}");
        assert_eq!(ql.node_count(), 15);
    }
}

#[test]
fn clear_and_debug() {
    let mut ql = Quicklist::new(2);
    ql.push_back(b"x");
    ql.push_back(b"y");
    ql.push_back(b"z");
    assert!(format!("{ql:?}").contains("len: 3"));
    let cloned = ql.clone();
    ql.clear();
    assert!(ql.is_empty());
    assert_eq!(ql.iter().next(), None);
    assert_eq!(cloned.len(), 3);
    assert_eq!(ql.mem_usage(), std::mem::size_of::<Quicklist>());
}

// ---------------------------------------------------------------------------
// Model-based property test
// ---------------------------------------------------------------------------

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0u8..12).prop_map(|v| v.to_string().into_bytes()),
        2 => any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        3 => proptest::collection::vec(b'a'..b'e', 0..6),
        1 => (100usize..1500, b'a'..b'c').prop_map(|(n, b)| vec![b; n]),
        1 => (4000usize..9000, b'a'..b'c').prop_map(|(n, b)| vec![b; n]),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    PushBack(Vec<u8>),
    PushFront(Vec<u8>),
    PopFront,
    PopBack,
    Get(i64),
    Set(i64, Vec<u8>),
    Insert(usize, Vec<u8>, bool),
    InsertMissing(Vec<u8>),
    Remove(usize, i64),
    Trim(usize, usize),
    DeleteRange(usize, usize),
    IterFrom(usize),
    IterRevFrom(usize),
    Reload,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => value().prop_map(Op::PushBack),
        5 => value().prop_map(Op::PushFront),
        2 => Just(Op::PopFront),
        2 => Just(Op::PopBack),
        2 => (-60i64..60).prop_map(Op::Get),
        2 => (-60i64..60, value()).prop_map(|(i, v)| Op::Set(i, v)),
        3 => (any::<usize>(), value(), any::<bool>()).prop_map(|(i, v, a)| Op::Insert(i, v, a)),
        1 => value().prop_map(Op::InsertMissing),
        2 => (any::<usize>(), -3i64..4).prop_map(|(i, c)| Op::Remove(i, c)),
        1 => (0usize..40, 0usize..60).prop_map(|(s, e)| Op::Trim(s, e)),
        1 => (0usize..50, 0usize..20).prop_map(|(s, c)| Op::DeleteRange(s, c)),
        1 => (0usize..60).prop_map(Op::IterFrom),
        1 => (0usize..60).prop_map(Op::IterRevFrom),
        1 => Just(Op::Reload),
        // Clear is rare so sequences get long; otherwise a plain read.
        1 => (0u8..30).prop_map(|x| if x == 0 { Op::Clear } else { Op::Get(i64::from(x)) }),
    ]
}

fn run_model(fill: i32, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut ql = Quicklist::new(fill);
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    for op in ops {
        let n = model.len();
        let norm = |i: i64| -> Option<usize> {
            let idx = if i < 0 { n as i64 + i } else { i };
            (0..n as i64).contains(&idx).then_some(idx as usize)
        };
        match op {
            Op::PushBack(v) => {
                ql.push_back(&v);
                model.push_back(v);
            }
            Op::PushFront(v) => {
                ql.push_front(&v);
                model.push_front(v);
            }
            Op::PopFront => prop_assert_eq!(ql.pop_front(), model.pop_front()),
            Op::PopBack => prop_assert_eq!(ql.pop_back(), model.pop_back()),
            Op::Get(i) => {
                let want = norm(i).map(|j| model[j].clone());
                prop_assert_eq!(ql.get(i), want.clone());
                prop_assert_eq!(ql.with_index(i, |v| v.to_vec()), want);
            }
            Op::Set(i, v) => {
                let j = norm(i);
                prop_assert_eq!(ql.set(i, &v), j.is_some());
                if let Some(j) = j {
                    model[j] = v;
                }
            }
            Op::Insert(i, v, after) if n > 0 => {
                let pivot = model[i % n].clone();
                let at = model.iter().position(|x| *x == pivot).unwrap_or(0);
                prop_assert!(ql.insert(&pivot, &v, after));
                model.insert(if after { at + 1 } else { at }, v);
            }
            Op::InsertMissing(v) => {
                let missing = b"<missing>".to_vec();
                prop_assert!(!ql.insert(&missing, &v, true));
            }
            Op::Remove(i, count) if n > 0 => {
                let target = model[i % n].clone();
                let limit = if count == 0 {
                    usize::MAX
                } else {
                    count.unsigned_abs() as usize
                };
                let mut hits: Vec<usize> = (0..n).filter(|&j| model[j] == target).collect();
                if count < 0 {
                    hits.reverse();
                }
                hits.truncate(limit);
                hits.sort_unstable();
                for &j in hits.iter().rev() {
                    model.remove(j);
                }
                prop_assert_eq!(ql.remove(&target, count), hits.len());
            }
            Op::Trim(s, e) => {
                ql.trim(s, e);
                if s > e || s >= n {
                    model.clear();
                } else {
                    let e = e.min(n - 1);
                    model = model.iter().skip(s).take(e - s + 1).cloned().collect();
                }
            }
            Op::DeleteRange(s, c) => {
                ql.delete_range(s, c);
                for _ in 0..c.min(n.saturating_sub(s)) {
                    model.remove(s);
                }
            }
            Op::IterFrom(s) => {
                let got: Vec<Vec<u8>> = ql.iter_from(s).map(|v| v.to_vec()).collect();
                let want: Vec<Vec<u8>> = model.iter().skip(s).cloned().collect();
                prop_assert_eq!(got, want);
            }
            Op::IterRevFrom(s) => {
                let got: Vec<Vec<u8>> = ql.iter_rev_from(s).map(|v| v.to_vec()).collect();
                let want: Vec<Vec<u8>> = if s < n {
                    model.iter().take(s + 1).rev().cloned().collect()
                } else {
                    Vec::new()
                };
                prop_assert_eq!(got, want);
            }
            Op::Reload => {
                let mut fresh = Quicklist::new(fill);
                for node in ql.nodes() {
                    let lp = Listpack::from_bytes(node.as_bytes().to_vec());
                    prop_assert!(lp.is_some());
                    fresh.from_node(lp.unwrap_or_default());
                }
                ql = fresh;
            }
            Op::Clear => {
                ql.clear();
                model.clear();
            }
            _ => {}
        }
        check(&ql);
        prop_assert_eq!(ql.len(), model.len());
        let fwd = contents(&ql);
        prop_assert_eq!(&fwd, &model.iter().cloned().collect::<Vec<_>>());
        let back: Vec<Vec<u8>> = ql.iter().rev().map(|v| v.to_vec()).collect();
        prop_assert_eq!(back, model.iter().rev().cloned().collect::<Vec<_>>());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn quicklist_matches_model(
        fill in proptest::sample::select(vec![1, 2, 5, -1, -2, 0, 3, 128, -5]),
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        run_model(fill, ops)?;
    }
}
