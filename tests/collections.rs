//! Lists, hashes, sets, sorted sets and SORT against the real binary through
//! the `redis` crate: replies, encodings at Redis's thresholds, empty keys
//! disappearing, WRONGTYPE, persistence of every type across DEBUG RELOAD,
//! and transactions over collections.

mod common;

use redis::{Connection, RedisResult, Value};

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn err(c: &mut Connection, args: &[&str]) -> String {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    let r: RedisResult<Value> = cmd.query(c);
    match r {
        // Rebuilt as the wire text: "CODE detail".
        Err(e) => format!("{} {}", e.code().unwrap_or("ERR"), e.detail().unwrap_or("")),
        Ok(v) => panic!("{args:?} should fail, got {v:?}"),
    }
}

fn encoding(c: &mut Connection, key: &str) -> String {
    q(c, &["OBJECT", "ENCODING", key])
}

#[test]
fn lists_behave_like_redis() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    assert_eq!(q::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c", "d"]), 4);
    assert_eq!(q::<i64>(&mut c, &["LPUSH", "l", "z"]), 5);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]),
        ["z", "a", "b", "c", "d"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-6"]),
        Vec::<String>::new()
    );
    assert_eq!(q::<String>(&mut c, &["LINDEX", "l", "-1"]), "d");
    assert_eq!(q::<Option<String>>(&mut c, &["LINDEX", "l", "9"]), None);
    assert_eq!(q::<String>(&mut c, &["LSET", "l", "1", "A"]), "OK");
    assert_eq!(
        err(&mut c, &["LSET", "l", "10", "x"]),
        "ERR index out of range"
    );
    assert_eq!(q::<i64>(&mut c, &["LINSERT", "l", "BEFORE", "b", "x"]), 6);
    assert_eq!(
        q::<i64>(&mut c, &["LINSERT", "l", "AFTER", "nope", "x"]),
        -1
    );
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "0", "x"]), 1);
    assert_eq!(q::<Option<i64>>(&mut c, &["LPOS", "l", "c"]), Some(3));
    assert_eq!(q::<Vec<String>>(&mut c, &["LPOP", "l", "2"]), ["z", "A"]);
    assert_eq!(q::<String>(&mut c, &["RPOPLPUSH", "l", "l2"]), "d");
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "l", "l2", "LEFT", "RIGHT"]),
        "b"
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l2", "0", "-1"]),
        ["d", "b"]
    );
    assert_eq!(q::<String>(&mut c, &["LTRIM", "l2", "5", "10"]), "OK");
    assert_eq!(
        q::<i64>(&mut c, &["EXISTS", "l2"]),
        0,
        "an emptied list is deleted"
    );
    assert_eq!(encoding(&mut c, "l"), "quicklist");
    let mpop: Value = q(
        &mut c,
        &["LMPOP", "2", "missing", "l", "RIGHT", "COUNT", "5"],
    );
    assert_eq!(
        mpop,
        Value::Array(vec![
            Value::BulkString(b"l".to_vec()),
            Value::Array(vec![Value::BulkString(b"c".to_vec())])
        ])
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "l"]), 0);
    assert!(err(&mut c, &["LPOP", "l", "-1"]).contains("must be positive"));
}

#[test]
fn hashes_convert_at_the_thresholds() {
    let srv = common::Server::start(&["--hash-max-listpack-entries", "4"]);
    let mut c = srv.conn();
    assert_eq!(q::<i64>(&mut c, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(q::<String>(&mut c, &["HMSET", "h", "c", "3"]), "OK");
    assert_eq!(encoding(&mut c, "h"), "listpack");
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "h", "a", "41"]), 42);
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "b", "0.5"]),
        "2.5"
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "h", "b", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "h", "a", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSTRLEN", "h", "a"]), 2);
    q::<i64>(&mut c, &["HSET", "h", "d", "4", "e", "5"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    let mut all: Vec<(String, String)> = q(&mut c, &["HGETALL", "h"]);
    all.sort();
    assert_eq!(all[0], ("a".to_string(), "42".to_string()));
    assert_eq!(all.len(), 5);
    let long = "x".repeat(65);
    q::<i64>(&mut c, &["HSET", "h2", "f", &long]);
    assert_eq!(encoding(&mut c, "h2"), "hashtable", "a value over 64 bytes");
    assert_eq!(q::<i64>(&mut c, &["HDEL", "h2", "f", "nope"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "h2"]), 0);
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["HMGET", "h", "a", "zz"]),
        [Some("42".to_string()), None]
    );
}

#[test]
fn sets_and_their_algebra() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    assert_eq!(q::<i64>(&mut c, &["SADD", "s", "1", "2", "3", "2"]), 3);
    assert_eq!(encoding(&mut c, "s"), "intset");
    q::<i64>(&mut c, &["SADD", "t", "2", "3", "x"]);
    assert_eq!(encoding(&mut c, "t"), "hashtable");
    let mut inter: Vec<String> = q(&mut c, &["SINTER", "s", "t"]);
    inter.sort();
    assert_eq!(inter, ["2", "3"]);
    assert_eq!(
        q::<i64>(&mut c, &["SINTERCARD", "2", "s", "t", "LIMIT", "1"]),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["SUNIONSTORE", "u", "s", "t"]), 4);
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "d", "s", "t"]), 1);
    assert_eq!(encoding(&mut c, "d"), "intset");
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "s", "t", "1"]), 1);
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "t", "1", "9"]),
        [1, 0]
    );
    let popped: Vec<String> = q(&mut c, &["SPOP", "u", "10"]);
    assert_eq!(popped.len(), 4);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "u"]), 0);
    let picks: Vec<String> = q(&mut c, &["SRANDMEMBER", "t", "-7"]);
    assert_eq!(picks.len(), 7);
    // Redis 7.0 would try to build this reply and be killed; Ferrite refuses.
    assert!(err(&mut c, &["SRANDMEMBER", "t", "-9223372036854775807"]).contains("too large"));
    assert!(err(&mut c, &["SRANDMEMBER", "t", "-9223372036854775808"]).contains("out of range"));
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
}

#[test]
fn sorted_sets_ranges_and_scores() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    assert_eq!(
        q::<i64>(
            &mut c,
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "-inf", "m"]
        ),
        4
    );
    assert_eq!(encoding(&mut c, "z"), "listpack");
    assert_eq!(
        q::<String>(&mut c, &["ZINCRBY", "z", "0.1", "a"]),
        "1.1000000000000001"
    );
    assert_eq!(q::<String>(&mut c, &["ZSCORE", "z", "m"]), "-inf");
    assert!(err(&mut c, &["ZADD", "z", "nan", "x"]).contains("not a valid float"));
    assert_eq!(
        q::<Vec<String>>(
            &mut c,
            &["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "5"]
        ),
        ["b", "c"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "1", "REV"]),
        ["c", "b"]
    );
    assert_eq!(q::<i64>(&mut c, &["ZRANK", "z", "c"]), 3);
    assert_eq!(q::<i64>(&mut c, &["ZREVRANK", "z", "c"]), 0);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "-inf", "(2"]), 2);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "GT", "CH", "0", "c", "9", "b"]),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "0", "0"]), 1);
    for i in 0..200 {
        q::<i64>(&mut c, &["ZADD", "big", &i.to_string(), &format!("m{i}")]);
    }
    assert_eq!(encoding(&mut c, "big"), "skiplist");
    assert_eq!(q::<i64>(&mut c, &["ZLEXCOUNT", "lex", "-", "+"]), 0);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGEBYSCORE", "big", "197", "+inf"]),
        ["m197", "m198", "m199"]
    );
    assert_eq!(
        q::<i64>(
            &mut c,
            &["ZUNIONSTORE", "u", "2", "z", "big", "WEIGHTS", "2", "1"]
        ),
        203
    );
    assert_eq!(
        q::<String>(&mut c, &["ZSCORE", "u", "a"]),
        "2.2000000000000002"
    );
    assert_eq!(q::<i64>(&mut c, &["ZINTERCARD", "2", "z", "big"]), 0);
    let popped: Vec<String> = q(&mut c, &["ZPOPMAX", "big", "2"]);
    assert_eq!(popped, ["m199", "199", "m198", "198"]);
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYSCORE", "big", "-inf", "+inf"]),
        198
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "big"]), 0);
}

#[test]
fn sort_by_and_get_patterns() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    q::<i64>(&mut c, &["RPUSH", "ids", "3", "1", "2"]);
    for (id, w) in [("1", "30"), ("2", "10"), ("3", "20")] {
        q::<String>(&mut c, &["SET", &format!("w_{id}"), w]);
        q::<i64>(
            &mut c,
            &["HSET", &format!("o_{id}"), "name", &format!("n{id}")],
        );
    }
    assert_eq!(q::<Vec<String>>(&mut c, &["SORT", "ids"]), ["1", "2", "3"]);
    assert_eq!(
        q::<Vec<String>>(
            &mut c,
            &["SORT", "ids", "BY", "w_*", "GET", "#", "GET", "o_*->name"]
        ),
        ["2", "n2", "3", "n3", "1", "n1"]
    );
    assert_eq!(
        q::<i64>(
            &mut c,
            &["SORT", "ids", "DESC", "LIMIT", "0", "2", "STORE", "dst"]
        ),
        2
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "dst", "0", "-1"]),
        ["3", "2"]
    );
    q::<i64>(&mut c, &["RPUSH", "words", "b", "a"]);
    assert!(err(&mut c, &["SORT", "words"]).contains("can't be converted into double"));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SORT_RO", "words", "ALPHA"]),
        ["a", "b"]
    );
}

#[test]
fn wrong_types_and_empty_keys() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    q::<String>(&mut c, &["SET", "str", "v"]);
    for args in [
        vec!["LPUSH", "str", "x"],
        vec!["HSET", "str", "f", "v"],
        vec!["SADD", "str", "m"],
        vec!["ZADD", "str", "1", "m"],
        vec!["LRANGE", "str", "0", "-1"],
    ] {
        assert!(err(&mut c, &args).starts_with("WRONGTYPE"), "{args:?}");
    }
    q::<i64>(&mut c, &["SADD", "set", "m"]);
    assert!(err(&mut c, &["GET", "set"]).starts_with("WRONGTYPE"));
    assert_eq!(q::<i64>(&mut c, &["SREM", "set", "m"]), 1);
    assert_eq!(q::<String>(&mut c, &["TYPE", "set"]), "none");
}

#[test]
fn every_type_and_encoding_survives_debug_reload() {
    let srv = common::Server::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    q::<i64>(&mut c, &["RPUSH", "l", "a", "1", "b"]);
    q::<i64>(&mut c, &["HSET", "h", "f", "v"]);
    q::<i64>(&mut c, &["SADD", "si", "1", "2"]);
    q::<i64>(&mut c, &["SADD", "sh", "a", "b"]);
    q::<i64>(&mut c, &["ZADD", "zl", "1.5", "a"]);
    for i in 0..130 {
        q::<i64>(&mut c, &["ZADD", "zs", &i.to_string(), &format!("m{i}")]);
    }
    let before: String = q(&mut c, &["DEBUG", "DIGEST"]);
    let encodings: Vec<String> = ["l", "h", "si", "sh", "zl", "zs"]
        .iter()
        .map(|k| encoding(&mut c, k))
        .collect();
    assert_eq!(
        encodings,
        [
            "quicklist",
            "listpack",
            "intset",
            "hashtable",
            "listpack",
            "skiplist"
        ]
    );
    assert_eq!(q::<String>(&mut c, &["DEBUG", "RELOAD"]), "OK");
    assert_eq!(q::<String>(&mut c, &["DEBUG", "DIGEST"]), before);
    let after: Vec<String> = ["l", "h", "si", "sh", "zl", "zs"]
        .iter()
        .map(|k| encoding(&mut c, k))
        .collect();
    assert_eq!(after, encodings);
    assert_eq!(q::<String>(&mut c, &["ZSCORE", "zl", "a"]), "1.5");
    // DUMP/RESTORE round trip of a sorted set.
    let dump: Vec<u8> = q(&mut c, &["DUMP", "zs"]);
    let _: () = redis::cmd("RESTORE")
        .arg("zs2")
        .arg(0)
        .arg(dump)
        .query(&mut c)
        .unwrap();
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "zs2"]), 130);
}

#[test]
fn transactions_over_collections() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let mut other = srv.conn();
    let (n, members): (i64, Vec<String>) = redis::pipe()
        .atomic()
        .cmd("SADD")
        .arg("s")
        .arg("a")
        .cmd("SMEMBERS")
        .arg("s")
        .query(&mut c)
        .unwrap();
    assert_eq!((n, members), (1, vec!["a".to_string()]));
    // A write to a watched key makes EXEC fail with a null reply.
    q::<String>(&mut c, &["WATCH", "s"]);
    q::<i64>(&mut other, &["SADD", "s", "b"]);
    q::<String>(&mut c, &["MULTI"]);
    q::<String>(&mut c, &["SADD", "s", "c"]);
    let r: Value = q(&mut c, &["EXEC"]);
    assert_eq!(r, Value::Nil);
    assert_eq!(q::<i64>(&mut c, &["SCARD", "s"]), 2);
    // A queued error dooms the transaction.
    q::<String>(&mut c, &["MULTI"]);
    assert!(err(&mut c, &["NOSUCHCOMMAND"]).contains("unknown command"));
    assert!(err(&mut c, &["EXEC"]).starts_with("EXECABORT"));
}
