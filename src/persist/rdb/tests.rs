//! Round-trip, property-style and hostile-input tests for the RDB codec.
//! Shared helpers (a recording visitor, a PRNG) are used by the interop tests.

use std::io;

use super::writer::InfoAux;
use super::*;

/// Everything a load reported, in order, so tests can compare or replay it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Event {
    Aux(Vec<u8>, Vec<u8>),
    SelectDb(u64),
    ResizeDb(u64, u64),
    Function(Vec<u8>),
    Key {
        db: u64,
        key: Vec<u8>,
        value: RdbObject,
        expire_ms: Option<i64>,
        lru_idle: Option<u64>,
        lfu_freq: Option<u8>,
    },
    EmptyKey(u64, Vec<u8>),
}

/// Visitor that records every callback.
#[derive(Debug, Default)]
pub(super) struct Recorder {
    pub version: u32,
    pub events: Vec<Event>,
}

impl RdbVisitor for Recorder {
    fn version(&mut self, version: u32) -> Result<(), RdbError> {
        self.version = version;
        Ok(())
    }
    fn aux(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), RdbError> {
        self.events.push(Event::Aux(key, value));
        Ok(())
    }
    fn select_db(&mut self, db: u64) -> Result<(), RdbError> {
        self.events.push(Event::SelectDb(db));
        Ok(())
    }
    fn resize_db(&mut self, a: u64, b: u64) -> Result<(), RdbError> {
        self.events.push(Event::ResizeDb(a, b));
        Ok(())
    }
    fn object(
        &mut self,
        db: u64,
        key: Vec<u8>,
        value: RdbObject,
        expire_ms: Option<i64>,
        lru_idle: Option<u64>,
        lfu_freq: Option<u8>,
    ) -> Result<(), RdbError> {
        self.events.push(Event::Key {
            db,
            key,
            value,
            expire_ms,
            lru_idle,
            lfu_freq,
        });
        Ok(())
    }
    fn empty_key(&mut self, db: u64, key: Vec<u8>) -> Result<(), RdbError> {
        self.events.push(Event::EmptyKey(db, key));
        Ok(())
    }
    fn function(&mut self, code: Vec<u8>) -> Result<(), RdbError> {
        self.events.push(Event::Function(code));
        Ok(())
    }
}

impl Recorder {
    /// Only the keys, as (db, key, value, expire).
    pub fn keys(&self) -> Vec<(u64, Vec<u8>, RdbObject, Option<i64>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Key {
                    db,
                    key,
                    value,
                    expire_ms,
                    ..
                } => Some((*db, key.clone(), value.clone(), *expire_ms)),
                _ => None,
            })
            .collect()
    }

    /// Writes the recorded events back out with Ferrite's writer.
    pub fn replay(&self, opts: EncodingOptions) -> io::Result<Vec<u8>> {
        let mut w = RdbWriter::with_options(Vec::new(), opts);
        w.header()?;
        for e in &self.events {
            match e {
                Event::Aux(k, v) => w.aux(k, v)?,
                Event::SelectDb(db) => w.select_db(*db)?,
                Event::ResizeDb(a, b) => w.resize_db(*a, *b)?,
                Event::Function(code) => w.function(code)?,
                Event::Key {
                    key,
                    value,
                    expire_ms,
                    lru_idle,
                    lfu_freq,
                    ..
                } => {
                    if let Some(at) = expire_ms {
                        w.expire_ms(*at)?;
                    }
                    if let Some(idle) = lru_idle {
                        w.lru_idle(*idle)?;
                    }
                    if let Some(freq) = lfu_freq {
                        w.lfu_freq(*freq)?;
                    }
                    w.key_object(key, value, None)?;
                }
                Event::EmptyKey(..) => {}
            }
        }
        w.finish()
    }
}

pub(super) fn load_bytes(data: &[u8]) -> Result<Recorder, RdbError> {
    let mut rec = Recorder::default();
    load(data, &mut rec)?;
    Ok(rec)
}

/// xorshift64* — deterministic, dependency-free randomness for tests.
pub(super) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Canonical form for comparisons: sets sorted, zsets sorted by (score,
/// member), hashes sorted by field (the writer may reorder these).
pub(super) fn canonical(obj: &RdbObject) -> RdbObject {
    match obj {
        RdbObject::Set(items) => {
            let mut v = items.clone();
            v.sort();
            RdbObject::Set(v)
        }
        RdbObject::Hash(pairs) => {
            let mut v = pairs.clone();
            v.sort();
            RdbObject::Hash(v)
        }
        RdbObject::ZSet(pairs) => {
            let mut v = pairs.clone();
            v.sort_by(|a, b| {
                a.1.partial_cmp(&b.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            });
            RdbObject::ZSet(v)
        }
        other => other.clone(),
    }
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    match rng.below(9) {
        0 => Vec::new(),
        1 => (rng.next() as i64 >> rng.below(64))
            .to_string()
            .into_bytes(),
        2 => (rng.below(300) as i64 - 150).to_string().into_bytes(),
        3 => {
            // Compressible text of a length around the LZF threshold or big.
            let len = [19, 20, 21, 22, 64, 100, 5000][rng.below(7) as usize];
            (0..len).map(|i| b"abc"[(i % 3) as usize]).collect()
        }
        4 => (0..rng.below(100)).map(|_| rng.next() as u8).collect(),
        5 => format!("0{}", rng.below(1000)).into_bytes(),
        6 => vec![b'z'; 60 + rng.below(10) as usize],
        _ => format!("item:{}", rng.below(1_000_000)).into_bytes(),
    }
}

fn random_score(rng: &mut Rng) -> f64 {
    match rng.below(7) {
        0 => f64::INFINITY,
        1 => f64::NEG_INFINITY,
        2 => (rng.below(2000) as f64 - 1000.0) / 8.0,
        3 => rng.below(1000) as f64,
        4 => {
            let v = f64::from_bits(rng.next());
            if v.is_nan() {
                0.5
            } else {
                v
            }
        }
        5 => -0.0,
        _ => (rng.next() as f64) * 1e-3,
    }
}

fn unique<T, K: Ord + Clone>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = std::collections::BTreeSet::new();
    items.into_iter().filter(|i| seen.insert(key(i))).collect()
}

fn random_object(rng: &mut Rng) -> RdbObject {
    let n = match rng.below(4) {
        0 => 1 + rng.below(3),
        1 => 1 + rng.below(20),
        2 => 1 + rng.below(200),
        _ => 1 + rng.below(700),
    } as usize;
    match rng.below(5) {
        0 => RdbObject::String(random_bytes(rng)),
        1 => RdbObject::List((0..n).map(|_| random_bytes(rng)).collect()),
        2 => {
            let ints = rng.chance(50);
            let items = (0..n)
                .map(|_| {
                    if ints {
                        (rng.next() as i64 >> rng.below(64))
                            .to_string()
                            .into_bytes()
                    } else {
                        random_bytes(rng)
                    }
                })
                .collect();
            RdbObject::Set(unique(items, |m: &Vec<u8>| m.clone()))
        }
        3 => {
            let pairs = (0..n)
                .map(|_| (random_bytes(rng), random_bytes(rng)))
                .collect();
            RdbObject::Hash(unique(pairs, |p: &(Vec<u8>, Vec<u8>)| p.0.clone()))
        }
        _ => {
            let pairs = (0..n)
                .map(|_| (random_bytes(rng), random_score(rng)))
                .collect();
            RdbObject::ZSet(unique(pairs, |p: &(Vec<u8>, f64)| p.0.clone()))
        }
    }
}

fn random_options(rng: &mut Rng) -> EncodingOptions {
    EncodingOptions {
        rdb_compression: rng.chance(70),
        rdb_checksum: rng.chance(80),
        list_max_listpack_size: [-5, -2, -1, 1, 3, 128][rng.below(6) as usize],
        hash_max_listpack_entries: [0, 4, 512][rng.below(3) as usize],
        hash_max_listpack_value: [0, 8, 64][rng.below(3) as usize],
        set_max_intset_entries: [0, 4, 512][rng.below(3) as usize],
        zset_max_listpack_entries: [0, 4, 128][rng.below(3) as usize],
        zset_max_listpack_value: [0, 8, 64][rng.below(3) as usize],
        quicklist_packed_threshold: [50, 1 << 30][rng.below(2) as usize],
    }
}

#[test]
fn property_random_keyspaces_round_trip() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..60 {
        let opts = random_options(&mut rng);
        let mut expected = Vec::new();
        let mut w = RdbWriter::with_options(Vec::new(), opts.clone());
        w.header().unwrap();
        w.info_aux(&InfoAux {
            redis_ver: "7.0.15",
            ctime: 1_700_000_000,
            used_mem: 123_456,
            repl: None,
            aof_base: false,
        })
        .unwrap();
        for db in [0u64, 3, 15] {
            let keys = rng.below(12) as usize;
            w.select_db(db).unwrap();
            w.resize_db(keys as u64, 0).unwrap();
            for k in 0..keys {
                let key = format!("key:{round}:{db}:{k}").into_bytes();
                let value = random_object(&mut rng);
                let expire = if rng.chance(30) {
                    Some(rng.next() as i64 >> 20)
                } else {
                    None
                };
                w.key_object(&key, &value, expire).unwrap();
                expected.push((db, key, canonical(&value), expire));
            }
        }
        let bytes = w.finish().unwrap();
        let rec = load_bytes(&bytes).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(rec.version, 10);
        let got: Vec<_> = rec
            .keys()
            .into_iter()
            .map(|(db, k, v, e)| (db, k, canonical(&v), e))
            .collect();
        assert_eq!(got, expected, "round {round} with {opts:?}");
    }
}

#[test]
fn aux_fields_are_written_like_redis() {
    let mut w = RdbWriter::new(Vec::new());
    w.header().unwrap();
    w.info_aux(&InfoAux {
        redis_ver: "7.0.15",
        ctime: 1_700_000_000,
        used_mem: 900_000,
        repl: Some((0, "0123456789012345678901234567890123456789", 42)),
        aof_base: false,
    })
    .unwrap();
    let bytes = w.finish().unwrap();
    assert!(bytes.starts_with(b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40"));
    let rec = load_bytes(&bytes).unwrap();
    let aux: Vec<(String, String)> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Aux(k, v) => Some((
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = aux.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "redis-ver",
            "redis-bits",
            "ctime",
            "used-mem",
            "repl-stream-db",
            "repl-id",
            "repl-offset",
            "aof-base"
        ]
    );
    assert_eq!(aux[1].1, "64");
    assert_eq!(aux[2].1, "1700000000");
    assert_eq!(aux[7].1, "0");
}

/// A small file exercising every encoding the writer produces, with
/// thresholds lowered so both compact and plain forms appear.
fn all_encodings_file(checksum: bool) -> Vec<u8> {
    let opts = EncodingOptions {
        rdb_checksum: checksum,
        list_max_listpack_size: 2,
        hash_max_listpack_entries: 2,
        set_max_intset_entries: 2,
        zset_max_listpack_entries: 2,
        quicklist_packed_threshold: 30,
        ..EncodingOptions::default()
    };
    let mut w = RdbWriter::with_options(Vec::new(), opts);
    w.header().unwrap();
    w.aux(b"redis-ver", b"7.0.15").unwrap();
    w.function(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)")
        .unwrap();
    w.select_db(0).unwrap();
    w.resize_db(9, 1).unwrap();
    w.key_string(b"s", b"12", Some(1_900_000_000_000)).unwrap();
    w.key_string(b"lzf", &[b'q'; 50], None).unwrap();
    let list = RdbObject::List(vec![
        b"a".to_vec(),
        b"7".to_vec(),
        vec![b'p'; 40],
        b"c".to_vec(),
    ]);
    w.key_object(b"l", &list, None).unwrap();
    w.key_object(
        b"is",
        &RdbObject::Set(vec![b"1".to_vec(), b"-2".to_vec()]),
        None,
    )
    .unwrap();
    w.key_object(
        b"hs",
        &RdbObject::Set(vec![b"x".to_vec(), b"y".to_vec(), b"3".to_vec()]),
        None,
    )
    .unwrap();
    w.key_object(
        b"hl",
        &RdbObject::Hash(vec![(b"f".to_vec(), b"1".to_vec())]),
        None,
    )
    .unwrap();
    let big_hash = (0..3).map(|i| (vec![b'f', i], vec![b'v'; 3])).collect();
    w.key_object(b"hh", &RdbObject::Hash(big_hash), None)
        .unwrap();
    w.key_object(b"zl", &RdbObject::ZSet(vec![(b"m".to_vec(), 1.5)]), None)
        .unwrap();
    let big_zset = (0..3)
        .map(|i| (vec![b'm', i], f64::from(i) - 0.25))
        .collect();
    w.lru_idle(5).unwrap();
    w.lfu_freq(3).unwrap();
    w.key_object(b"zs", &RdbObject::ZSet(big_zset), None)
        .unwrap();
    w.select_db(2).unwrap();
    w.key_string(b"other", b"db", None).unwrap();
    w.finish().unwrap()
}

#[test]
fn every_encoding_round_trips() {
    let rec = load_bytes(&all_encodings_file(true)).unwrap();
    let keys = rec.keys();
    assert_eq!(keys.len(), 10);
    assert_eq!(keys[0].2, RdbObject::String(b"12".to_vec()));
    assert_eq!(keys[0].3, Some(1_900_000_000_000));
    assert_eq!(keys[1].2, RdbObject::String(vec![b'q'; 50]));
    assert_eq!(
        keys[2].2,
        RdbObject::List(vec![
            b"a".to_vec(),
            b"7".to_vec(),
            vec![b'p'; 40],
            b"c".to_vec()
        ])
    );
    assert_eq!(
        keys[3].2,
        RdbObject::Set(vec![b"-2".to_vec(), b"1".to_vec()])
    );
    assert_eq!(keys[9].0, 2);
    let zs = rec.events.iter().find_map(|e| match e {
        Event::Key {
            key,
            lru_idle,
            lfu_freq,
            ..
        } if key == b"zs" => Some((*lru_idle, *lfu_freq)),
        _ => None,
    });
    assert_eq!(zs, Some((Some(5), Some(3))));
    assert!(rec
        .events
        .iter()
        .any(|e| matches!(e, Event::Function(c) if c.starts_with(b"#!lua"))));
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    for checksum in [true, false] {
        let file = all_encodings_file(checksum);
        for cut in 0..file.len() {
            assert!(
                load_bytes(&file[..cut]).is_err(),
                "prefix of {cut} bytes loaded"
            );
        }
    }
}

#[test]
fn corruption_at_every_offset_never_panics() {
    for checksum in [true, false] {
        let file = all_encodings_file(checksum);
        for i in 0..file.len() {
            for delta in [1u8, 0x3f, 0x40, 0x80, 0xc0, 0xff] {
                let mut bad = file.clone();
                bad[i] = bad[i].wrapping_add(delta);
                let res = load_bytes(&bad);
                // Bytes 5..9 are the version: atoi() may turn a flip into a
                // valid older version without a checksum, as in Redis.
                if checksum && !(5..9).contains(&i) && i < file.len() - 8 {
                    assert!(res.is_err(), "flip at {i} by {delta:#x} went unnoticed");
                }
            }
        }
    }
}

#[test]
fn checksum_mismatch_and_disabled_checksum() {
    let mut file = all_encodings_file(true);
    let n = file.len();
    file[n - 1] ^= 1;
    match load_bytes(&file) {
        Err(RdbError::ChecksumMismatch { .. }) => {}
        other => panic!("expected checksum error, got {other:?}"),
    }
    let msg = match load_bytes(&file) {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
    };
    assert!(msg.starts_with("Wrong RDB checksum"), "{msg}");
    file[n - 8..].copy_from_slice(&[0; 8]);
    assert!(load_bytes(&file).is_ok(), "zero checksum means disabled");
}

#[test]
fn versions_and_signatures() {
    assert!(matches!(
        load_bytes(b"REDIS0011\xff"),
        Err(RdbError::BadVersion(11))
    ));
    assert!(matches!(
        load_bytes(b"REDIS0000\xff"),
        Err(RdbError::BadVersion(0))
    ));
    assert!(matches!(
        load_bytes(b"REDIX0010\xff"),
        Err(RdbError::BadSignature)
    ));
    assert!(matches!(load_bytes(b"RED"), Err(RdbError::UnexpectedEof)));
    // Versions before 5 have no checksum after EOF.
    let rec = load_bytes(b"REDIS0004\xfe\x00\x00\x01k\x01v\xff").unwrap();
    assert_eq!(rec.version, 4);
    assert_eq!(rec.keys()[0].2, RdbObject::String(b"v".to_vec()));
    // Version 5+ requires the 8 checksum bytes.
    assert!(load_bytes(b"REDIS0005\xff").is_err());
    assert!(load_bytes(b"REDIS0005\xff\0\0\0\0\0\0\0\0").is_ok());
}

#[test]
fn unsupported_and_unknown_types() {
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(b"\x0f\x01s\x00"); // stream type
    assert!(matches!(
        load_bytes(&file),
        Err(RdbError::Unsupported("stream"))
    ));
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(b"\x07\x01m\x00"); // module type
    assert!(matches!(
        load_bytes(&file),
        Err(RdbError::Unsupported("module"))
    ));
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(b"\x08\x01k\x00"); // 8 is not a type
    assert!(matches!(load_bytes(&file), Err(RdbError::Corrupt(_))));
}

#[test]
fn module_aux_is_skipped_then_reported() {
    // MODULE_AUX id=5, when_opcode=UINT(2), when=2, then SINT 7, STRING "x",
    // DOUBLE, FLOAT, EOF.
    let mut file = b"REDIS0010\xf7\x05\x02\x02\x01\x07\x05\x01x\x04".to_vec();
    file.extend_from_slice(&1.5f64.to_le_bytes());
    file.push(3);
    file.extend_from_slice(&1.5f32.to_le_bytes());
    file.push(0);
    file.push(0xff);
    let crc = crate::persist::crc64::crc64(0, &file);
    file.extend_from_slice(&crc.to_le_bytes());
    assert!(matches!(load_bytes(&file), Err(RdbError::Unsupported(_))));

    struct Accepting(u64);
    impl RdbVisitor for Accepting {
        fn object(
            &mut self,
            _: u64,
            _: Vec<u8>,
            _: RdbObject,
            _: Option<i64>,
            _: Option<u64>,
            _: Option<u8>,
        ) -> Result<(), RdbError> {
            Ok(())
        }
        fn module_aux(&mut self, _: String, id: u64, _: u64) -> Result<(), RdbError> {
            self.0 = id;
            Ok(())
        }
    }
    let mut v = Accepting(0);
    load(&file[..], &mut v).unwrap();
    assert_eq!(v.0, 5);
}

#[test]
fn old_style_opcodes_and_encodings() {
    // Hand-built version 6 file: EXPIRETIME in seconds, plain LIST, ZSET
    // with text doubles, HASH_ZIPMAP, LIST_ZIPLIST, ZSET/HASH_ZIPLIST and a
    // quicklist of ziplists, an empty list and the rc-era FUNCTION opcode.
    let mut w = RdbWriter::with_options(
        Vec::new(),
        EncodingOptions {
            rdb_compression: false,
            ..EncodingOptions::default()
        },
    );
    w.write_raw(b"REDIS0006").unwrap();
    w.write_type(types::OPCODE_EXPIRETIME).unwrap();
    w.write_raw(&2_000_000_000i32.to_le_bytes()).unwrap();
    w.key_header(types::LIST, b"plainlist", None).unwrap();
    w.write_len(2).unwrap();
    w.write_string(b"x").unwrap();
    w.write_string(b"1").unwrap();
    w.key_header(types::ZSET, b"oldzset", None).unwrap();
    w.write_len(3).unwrap();
    for (m, s) in [("a", 0.1), ("b", f64::INFINITY), ("c", -2.0)] {
        w.write_string(m.as_bytes()).unwrap();
        w.write_double_text(s).unwrap();
    }
    w.key_header(types::HASH_ZIPMAP, b"zm", None).unwrap();
    w.write_string(&zipmap::encode(&[(b"f", b"v"), (b"g", b"w")]))
        .unwrap();
    let zl_items = [
        Entry::Str(b"a"),
        Entry::Int(5),
        Entry::Str(b"b"),
        Entry::Str(b"2.5"),
    ];
    w.key_header(types::LIST_ZIPLIST, b"zlist", None).unwrap();
    w.write_string(&ziplist::encode(&zl_items)).unwrap();
    w.key_header(types::ZSET_ZIPLIST, b"zzset", None).unwrap();
    w.write_string(&ziplist::encode(&zl_items)).unwrap();
    w.key_header(types::HASH_ZIPLIST, b"zhash", None).unwrap();
    w.write_string(&ziplist::encode(&zl_items)).unwrap();
    w.key_header(types::LIST_QUICKLIST, b"ql", None).unwrap();
    w.write_len(2).unwrap();
    w.write_string(&ziplist::encode(&zl_items[..2])).unwrap();
    w.write_string(&ziplist::encode(&zl_items[2..])).unwrap();
    w.key_header(types::LIST, b"empty", None).unwrap();
    w.write_len(0).unwrap();
    w.write_type(types::OPCODE_FUNCTION).unwrap();
    w.write_string(b"lib").unwrap();
    w.write_string(b"LUA").unwrap();
    w.write_len(1).unwrap();
    w.write_string(b"a description").unwrap();
    w.write_string(b"return 1").unwrap();
    let file = w.finish().unwrap();

    let rec = load_bytes(&file).unwrap();
    let keys = rec.keys();
    assert_eq!(keys[0].3, Some(2_000_000_000_000));
    assert_eq!(
        keys[0].2,
        RdbObject::List(vec![b"x".to_vec(), b"1".to_vec()])
    );
    assert_eq!(
        keys[1].2,
        RdbObject::ZSet(vec![
            (b"a".to_vec(), 0.1),
            (b"b".to_vec(), f64::INFINITY),
            (b"c".to_vec(), -2.0)
        ])
    );
    assert_eq!(
        keys[2].2,
        RdbObject::Hash(vec![
            (b"f".to_vec(), b"v".to_vec()),
            (b"g".to_vec(), b"w".to_vec())
        ])
    );
    let zl_bytes: Vec<Vec<u8>> = vec![b"a".to_vec(), b"5".to_vec(), b"b".to_vec(), b"2.5".to_vec()];
    assert_eq!(keys[3].2, RdbObject::List(zl_bytes.clone()));
    assert_eq!(
        keys[4].2,
        RdbObject::ZSet(vec![(b"a".to_vec(), 5.0), (b"b".to_vec(), 2.5)])
    );
    assert_eq!(
        keys[5].2,
        RdbObject::Hash(vec![
            (b"a".to_vec(), b"5".to_vec()),
            (b"b".to_vec(), b"2.5".to_vec())
        ])
    );
    assert_eq!(keys[6].2, RdbObject::List(zl_bytes));
    assert!(rec.events.contains(&Event::EmptyKey(0, b"empty".to_vec())));
    assert!(rec
        .events
        .contains(&Event::Function(b"#!LUA name=lib\nreturn 1".to_vec())));
}

#[test]
fn duplicates_and_nan_are_rejected() {
    let build = |f: &dyn Fn(&mut RdbWriter<Vec<u8>>)| {
        let mut w = RdbWriter::new(Vec::new());
        w.header().unwrap();
        f(&mut w);
        w.finish().unwrap()
    };
    let dup_set = build(&|w| {
        w.key_header(types::SET, b"s", None).unwrap();
        w.write_len(2).unwrap();
        w.write_string(b"a").unwrap();
        w.write_string(b"a").unwrap();
    });
    assert!(matches!(load_bytes(&dup_set), Err(RdbError::Corrupt(_))));
    let dup_hash = build(&|w| {
        w.key_header(types::HASH_LISTPACK, b"h", None).unwrap();
        w.write_string(&listpack::encode_strs(&["f", "1", "f", "2"]).unwrap())
            .unwrap();
    });
    assert!(matches!(load_bytes(&dup_hash), Err(RdbError::Corrupt(_))));
    let nan = build(&|w| {
        w.key_header(types::ZSET_2, b"z", None).unwrap();
        w.write_len(1).unwrap();
        w.write_string(b"m").unwrap();
        w.write_double_binary(f64::NAN).unwrap();
    });
    assert!(matches!(load_bytes(&nan), Err(RdbError::Corrupt(_))));
    let mut w = RdbWriter::new(Vec::new());
    let err = w.key_object(
        b"z",
        &RdbObject::ZSet(vec![(b"m".to_vec(), f64::NAN)]),
        None,
    );
    assert!(err.is_err());
}

#[test]
fn dump_payload_round_trip_and_validation() {
    let mut rng = Rng(99);
    for _ in 0..200 {
        let obj = random_object(&mut rng);
        let payload = dump_payload(&obj, &EncodingOptions::default()).unwrap();
        let back = decode_dump_payload(&payload).unwrap();
        assert_eq!(canonical(&back), canonical(&obj));
        for cut in [0, 1, payload.len() / 2, payload.len() - 1] {
            assert!(decode_dump_payload(&payload[..cut]).is_err());
        }
        let mut bad = payload.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x10;
        assert!(decode_dump_payload(&bad).is_err());
    }
    // Known payload: `DUMP k` after `SET k hello` on Redis 7.0.15.
    let payload = dump_payload(
        &RdbObject::String(b"hello".to_vec()),
        &EncodingOptions::default(),
    )
    .unwrap();
    assert_eq!(payload, b"\x00\x05hello\x0a\x00cr\xdfve4 \n".to_vec());
    // Newer versions are refused.
    let mut newer = b"\x00\x01x\x0b\x00".to_vec();
    let crc = crate::persist::crc64::crc64(0, &newer);
    newer.extend_from_slice(&crc.to_le_bytes());
    assert!(matches!(
        decode_dump_payload(&newer),
        Err(RdbError::BadVersion(11))
    ));
}

#[test]
fn g17_formatting_matches_printf() {
    // Expected strings produced by C printf("%.17g") (glibc).
    let cases: &[(f64, &str)] = &[
        (0.1, "0.10000000000000001"),
        (2.5, "2.5"),
        (1e20, "1e+20"),
        (1.5e-5, "1.5e-05"),
        (0.0001, "0.0001"),
        (123456789.125, "123456789.125"),
        (-3.75, "-3.75"),
        (1e16, "10000000000000000"),
        (1.2345678901234567e17, "1.2345678901234566e+17"),
        (5e-324, "4.9406564584124654e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.30000000000000004, "0.30000000000000004"),
    ];
    for (v, s) in cases {
        assert_eq!(format_g17(*v), *s, "{v:e}");
    }
    assert_eq!(format_double(1e20), "1e+20");
    assert_eq!(format_double(-0.0), "0");
    assert_eq!(format_double(42.0), "42");
    assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
}

#[test]
fn canonical_integer_parsing() {
    for (s, v) in [
        ("0", Some(0)),
        ("-1", Some(-1)),
        ("9223372036854775807", Some(i64::MAX)),
        ("-9223372036854775808", Some(i64::MIN)),
        ("9223372036854775808", None),
        ("-0", None),
        ("01", None),
        ("+1", None),
        ("", None),
        ("-", None),
        (" 1", None),
        ("1a", None),
        ("123456789012345678901", None),
    ] {
        assert_eq!(parse_canonical_i64(s.as_bytes()), v, "{s:?}");
    }
}

#[test]
fn random_mutations_never_panic() {
    // Checksum disabled (zero) so mutations reach the parsers instead of
    // failing at the final CRC comparison.
    let mut legacy = include_bytes!("testdata/ferrite_legacy.rdb").to_vec();
    let n = legacy.len();
    legacy[n - 8..].copy_from_slice(&[0; 8]);
    let seeds = [all_encodings_file(false), legacy];
    let mut rng = Rng(0xfeed_beef);
    for _ in 0..20_000 {
        let mut data = seeds[rng.below(2) as usize].clone();
        for _ in 0..1 + rng.below(4) {
            let pos = rng.below(data.len() as u64) as usize;
            match rng.below(4) {
                0 => data[pos] = rng.next() as u8,
                1 => data[pos] ^= 1 << rng.below(8),
                2 => {
                    data.insert(pos, rng.next() as u8);
                }
                _ => {
                    data.remove(pos);
                }
            }
        }
        let _ = load_bytes(&data);
        let _ = decode_dump_payload(&data);
    }
}
