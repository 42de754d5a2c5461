use super::*;

fn keys(cmd: &str) -> Result<Vec<usize>, GetKeysError> {
    let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let mut meta = lookup_bytes(argv[0]).expect("command exists");
    if meta.is_container() && argv.len() > 1 {
        meta = meta.subcommand_bytes(argv[1]).expect("subcommand exists");
    }
    getkeys(meta, &argv)
}

fn flags(cmd: &str) -> Result<Vec<(usize, u32)>, GetKeysError> {
    let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let found = getkeys_and_flags(lookup_bytes(argv[0]).unwrap(), &argv)?;
    Ok(found.into_iter().map(|k| (k.pos, k.flags)).collect())
}

#[test]
fn getkeys_set() {
    assert_eq!(keys("SET k v"), Ok(vec![1]));
    assert_eq!(keys("set k v EX 10 GET"), Ok(vec![1]));
    assert_eq!(keys("SET k"), Err(GetKeysError::WrongArity));
    // VARIABLE_FLAGS: the flags come from Redis's setGetKeys logic.
    assert_eq!(
        flags("SET k v"),
        Ok(vec![(1, key_flags::OW | key_flags::UPDATE)])
    );
    let rw = key_flags::RW | key_flags::ACCESS | key_flags::UPDATE;
    assert_eq!(flags("SET k v get"), Ok(vec![(1, rw)]));
    assert_eq!(
        flags("BITFIELD k GET u8 0"),
        Ok(vec![(1, key_flags::RO | key_flags::ACCESS)])
    );
    assert_eq!(flags("BITFIELD k SET u8 0 1"), Ok(vec![(1, rw)]));
}

#[test]
fn getkeys_mset_mget() {
    assert_eq!(keys("MSET a 1 b 2 c 3"), Ok(vec![1, 3, 5]));
    assert_eq!(keys("MSET a 1"), Ok(vec![1]));
    assert_eq!(keys("MGET a b c"), Ok(vec![1, 2, 3]));
    assert_eq!(keys("MGET a"), Ok(vec![1]));
    assert_eq!(keys("MGET"), Err(GetKeysError::WrongArity));
}

#[test]
fn getkeys_eval() {
    assert_eq!(keys("EVAL s 2 k1 k2 a1"), Ok(vec![3, 4]));
    assert_eq!(keys("EVALSHA s 1 k1"), Ok(vec![3]));
    // numkeys 0, too large, or not a number: no keys, and EVAL has no_mandatory_keys.
    assert_eq!(keys("EVAL s 0"), Ok(vec![]));
    assert_eq!(keys("EVAL s 3 k1 k2"), Ok(vec![]));
    assert_eq!(keys("EVAL s x k1"), Ok(vec![]));
    // When the strict numkeys parse fails Redis falls back to atoi(), as ported here.
    assert_eq!(keys("EVAL s 2x k1 k2"), Ok(vec![3, 4]));
    assert_eq!(flags("EVAL s 01 k1"), Ok(vec![(3, 0)]));
    assert_eq!(keys("FCALL f 1 k a"), Ok(vec![3]));
}

#[test]
fn getkeys_zunionstore() {
    assert_eq!(keys("ZUNIONSTORE dst 2 a b WEIGHTS 1 2"), Ok(vec![1, 3, 4]));
    assert_eq!(
        keys("ZUNIONSTORE dst 3 a b"),
        Err(GetKeysError::InvalidArguments)
    );
    assert_eq!(
        keys("ZUNIONSTORE dst 0 a"),
        Err(GetKeysError::InvalidArguments)
    );
    // Fallback finder order: sources first, destination last.
    assert_eq!(keys("ZUNIONSTORE dst 02 a b"), Ok(vec![3, 4, 1]));
    assert_eq!(keys("ZUNION 2 a b WITHSCORES"), Ok(vec![2, 3]));
}

#[test]
fn getkeys_xread() {
    assert_eq!(keys("XREAD STREAMS a b 0 0"), Ok(vec![2, 3]));
    assert_eq!(keys("XREAD COUNT 10 BLOCK 5 STREAMS a 0"), Ok(vec![6]));
    assert_eq!(
        keys("XREADGROUP GROUP g c STREAMS s1 s2 > >"),
        Ok(vec![5, 6])
    );
    assert_eq!(
        keys("XREAD COUNT 10 a 0"),
        Err(GetKeysError::InvalidArguments)
    );
}

#[test]
fn getkeys_lmpop() {
    assert_eq!(keys("LMPOP 2 a b LEFT COUNT 3"), Ok(vec![2, 3]));
    assert_eq!(keys("BLMPOP 0 1 a RIGHT"), Ok(vec![3]));
    assert_eq!(keys("LMPOP 5 a LEFT"), Err(GetKeysError::InvalidArguments));
}

#[test]
fn getkeys_sort_and_custom_finders() {
    assert_eq!(
        keys("SORT k"),
        Err(GetKeysError::NeedsCustomFinder("sortGetKeys"))
    );
    assert_eq!(
        keys("SORT_RO k BY w_*"),
        Err(GetKeysError::NeedsCustomFinder("sortROGetKeys"))
    );
    assert_eq!(keys("MIGRATE h 1 k 0 100"), Ok(vec![3]));
    assert_eq!(
        keys("MIGRATE h 1 \"\" 0 100 KEYS a b"),
        Err(GetKeysError::NeedsCustomFinder("migrateGetKeys"))
    );
    assert_eq!(keys("GEORADIUS k 1 2 3 km STORE d"), Ok(vec![1, 7]));
    assert_eq!(keys("GEORADIUS k 1 2 3 km"), Ok(vec![1]));
    // A keyword in last position has no key after it: Redis does not match it there.
    assert_eq!(keys("GEORADIUS k 1 2 3 km STORE"), Ok(vec![1]));
}

#[test]
fn getkeys_subcommands_and_no_keys() {
    assert_eq!(keys("XINFO STREAM s FULL"), Ok(vec![2]));
    assert_eq!(keys("OBJECT ENCODING k"), Ok(vec![2]));
    assert_eq!(keys("PING"), Err(GetKeysError::NoKeyArguments));
    assert_eq!(keys("SPUBLISH ch msg"), Err(GetKeysError::NoKeyArguments));
    let argv: [&[u8]; 3] = [b"spublish", b"ch", b"msg"];
    let mut found = Vec::new();
    let n = for_each_key(
        lookup("spublish").unwrap(),
        3,
        |i| argv[i],
        true,
        |k| found.push(k),
    );
    assert_eq!(n, Ok(1));
    assert_eq!(
        found,
        vec![KeyRef {
            pos: 1,
            flags: key_flags::NOT_KEY
        }]
    );
}

#[test]
fn key_positions_without_allocation() {
    // The dispatcher's form: an accessor instead of a slice, a callback per key.
    let argv: [&[u8]; 7] = [b"MSET", b"a", b"1", b"b", b"2", b"c", b"3"];
    let mut seen = [0usize; 4];
    let mut n = 0;
    let count = key_positions(
        lookup("mset").unwrap(),
        argv.len(),
        |i| argv[i],
        |pos| {
            seen[n] = pos;
            n += 1;
        },
    );
    assert_eq!(count, Ok(3));
    assert_eq!(&seen[..n], &[1, 3, 5]);
    // On failure the callback never runs, so no partial key set is left behind.
    let argv: [&[u8]; 5] = [b"ZUNIONSTORE", b"d", b"3", b"a", b"b"];
    let mut called = false;
    let r = key_positions(
        lookup("zunionstore").unwrap(),
        5,
        |i| argv[i],
        |_| called = true,
    );
    assert_eq!(r, Err(GetKeysError::InvalidArguments));
    assert!(!called);
    // Spec path: several specs, in spec order (COPY source, destination).
    let argv: [&[u8]; 3] = [b"COPY", b"src", b"dst"];
    assert_eq!(
        flags_of(&argv),
        vec![
            (1, key_flags::RO | key_flags::ACCESS),
            (2, key_flags::OW | key_flags::UPDATE)
        ]
    );
}

fn flags_of(argv: &[&[u8]]) -> Vec<(usize, u32)> {
    let meta = lookup_bytes(argv[0]).unwrap();
    let found = getkeys_and_flags(meta, argv).unwrap();
    found.into_iter().map(|k| (k.pos, k.flags)).collect()
}

#[test]
fn lookup_is_case_insensitive() {
    assert_eq!(lookup("GeT").unwrap().name, "get");
    assert_eq!(
        lookup_bytes(b"CONFIG")
            .unwrap()
            .subcommand("Get")
            .unwrap()
            .fullname,
        "config|get"
    );
    assert!(lookup("nosuchcommand").is_none());
    assert!(lookup("").is_none());
    for meta in all() {
        assert!(std::ptr::eq(lookup(meta.name).unwrap(), meta));
        for sub in meta.subcommands {
            assert!(std::ptr::eq(
                meta.subcommand(&sub.name.to_uppercase()).unwrap(),
                sub
            ));
        }
    }
}

#[test]
fn counts_match_redis() {
    // COMMAND COUNT of redis-server 7.0.15 (SENTINEL only exists in Sentinel mode).
    assert_eq!(all().filter(|m| m.is_available(false)).count(), 240);
    assert_eq!(all().count(), 241);
    assert_eq!(all().map(|m| m.subcommands.len()).sum::<usize>(), 147);
}

#[test]
fn baked_movablekeys_matches_derivation() {
    for meta in all() {
        for m in std::iter::once(meta).chain(meta.subcommands.iter()) {
            let (_, movable) = legacy_range_and_movable(m.key_specs);
            assert_eq!(
                m.flags & flags::MOVABLE_KEYS != 0,
                movable,
                "{}",
                m.fullname
            );
        }
    }
}

#[test]
fn key_spec_indexes_are_valid() {
    fn walk(m: &CommandMeta, args: &[Arg]) {
        for a in args {
            if let Some(i) = a.key_spec_index {
                assert!(i < m.key_specs.len(), "{} {}", m.fullname, a.name);
            }
            walk(m, a.arguments);
        }
    }
    for meta in all() {
        for m in std::iter::once(meta).chain(meta.subcommands.iter()) {
            walk(m, m.arguments);
        }
    }
}

#[test]
fn info_fields() {
    let get = lookup("get").unwrap();
    assert_eq!(get.flag_names().collect::<Vec<_>>(), ["readonly", "fast"]);
    assert_eq!(
        get.acl_category_names().collect::<Vec<_>>(),
        ["read", "string", "fast"]
    );
    assert_eq!(get.legacy_range(), (1, 1, 1));
    assert_eq!(lookup("mset").unwrap().legacy_range(), (1, -1, 2));
    assert_eq!(lookup("ping").unwrap().legacy_range(), (0, 0, 0));
    let eval = lookup("eval").unwrap();
    assert_eq!(eval.legacy_range(), (0, 0, 0));
    assert!(eval.flags & flags::MOVABLE_KEYS != 0);
    assert_eq!(acl::from_name("SortedSet"), Some(acl::SORTEDSET));
    assert_eq!(Group::SortedSet.as_str(), "sorted-set");
}

#[test]
fn atoi_like_glibc() {
    assert_eq!(atoi(b" \t-12abc"), -12);
    assert_eq!(atoi(b"+7"), 7);
    assert_eq!(atoi(b"x"), 0);
    assert_eq!(atoi(b"99999999999999999999"), -1); // LONG_MAX truncated to int
}

#[test]
fn parse_like_string2ll() {
    assert_eq!(parse_i64(b"0"), Some(0));
    assert_eq!(parse_i64(b"12"), Some(12));
    assert_eq!(parse_i64(b"-3"), Some(-3));
    assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
    assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    for bad in [
        &b""[..],
        b"01",
        b"+1",
        b" 1",
        b"1 ",
        b"-0",
        b"-",
        b"9223372036854775808",
    ] {
        assert_eq!(parse_i64(bad), None);
    }
}
