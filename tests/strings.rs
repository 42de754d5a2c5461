//! String commands against the real binary through the `redis` crate.

mod common;

use redis::{Commands, RedisResult, Value};

#[test]
fn set_get_and_options() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let _: () = c.set("k", "v").unwrap();
    assert_eq!(c.get::<_, String>("k").unwrap(), "v");
    // NX/XX and GET.
    let r: Option<String> = redis::cmd("SET")
        .arg("k")
        .arg("v2")
        .arg("NX")
        .query(&mut c)
        .unwrap();
    assert_eq!(r, None);
    let r: Option<String> = redis::cmd("SET")
        .arg("k")
        .arg("v2")
        .arg("XX")
        .arg("GET")
        .query(&mut c)
        .unwrap();
    assert_eq!(r.as_deref(), Some("v"));
    let r: Option<String> = redis::cmd("SET")
        .arg("missing")
        .arg("x")
        .arg("XX")
        .query(&mut c)
        .unwrap();
    assert_eq!(r, None);
    // EX then KEEPTTL keeps the TTL, plain SET clears it.
    let _: () = redis::cmd("SET")
        .arg("t")
        .arg("1")
        .arg("EX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("t")
        .arg("2")
        .arg("KEEPTTL")
        .query(&mut c)
        .unwrap();
    let ttl: i64 = c.ttl("t").unwrap();
    assert!((99..=100).contains(&ttl), "{ttl}");
    let _: () = c.set("t", "3").unwrap();
    assert_eq!(c.ttl::<_, i64>("t").unwrap(), -1);
    // Errors.
    let e: RedisResult<()> = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("EX")
        .arg(0)
        .query(&mut c);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("invalid expire time in 'set' command"));
    let e: RedisResult<()> = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("NX")
        .arg("XX")
        .query(&mut c);
    assert!(e.unwrap_err().to_string().contains("syntax error"));
}

#[test]
fn counters() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    assert_eq!(c.incr::<_, _, i64>("n", 1).unwrap(), 1);
    assert_eq!(c.incr::<_, _, i64>("n", 10).unwrap(), 11);
    assert_eq!(c.decr::<_, _, i64>("n", 20).unwrap(), -9);
    let _: () = c.set("big", i64::MAX).unwrap();
    let e: RedisResult<i64> = c.incr("big", 1);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("increment or decrement would overflow"));
    let _: () = c.set("s", "abc").unwrap();
    let e: RedisResult<i64> = c.incr("s", 1);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("value is not an integer or out of range"));
    let f: String = redis::cmd("INCRBYFLOAT")
        .arg("f")
        .arg("10.5")
        .query(&mut c)
        .unwrap();
    assert_eq!(f, "10.5");
    let f: String = redis::cmd("INCRBYFLOAT")
        .arg("f")
        .arg("0.1")
        .query(&mut c)
        .unwrap();
    assert_eq!(f, "10.6");
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("n")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "int");
}

#[test]
fn ranges_and_append() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    assert_eq!(c.append::<_, _, i64>("a", "Hello").unwrap(), 5);
    assert_eq!(c.append::<_, _, i64>("a", " World").unwrap(), 11);
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("a")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "raw");
    assert_eq!(c.getrange::<_, String>("a", 0, 4).unwrap(), "Hello");
    assert_eq!(c.getrange::<_, String>("a", -5, -1).unwrap(), "World");
    assert_eq!(c.getrange::<_, String>("a", 5, 3).unwrap(), "");
    assert_eq!(c.setrange::<_, _, i64>("b", 5, "x").unwrap(), 6);
    assert_eq!(c.get::<_, Vec<u8>>("b").unwrap(), b"\0\0\0\0\0x");
    assert_eq!(c.strlen::<_, i64>("b").unwrap(), 6);
    let e: RedisResult<i64> = c.setrange("b", -1, "x");
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("offset is out of range"));
}

#[test]
fn mset_mget_msetnx() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let _: () = redis::cmd("MSET")
        .arg("a")
        .arg(1)
        .arg("b")
        .arg(2)
        .query(&mut c)
        .unwrap();
    let v: Vec<Option<String>> = redis::cmd("MGET")
        .arg("a")
        .arg("b")
        .arg("c")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, vec![Some("1".into()), Some("2".into()), None]);
    let n: i64 = redis::cmd("MSETNX")
        .arg("c")
        .arg(3)
        .arg("a")
        .arg(9)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(c.exists::<_, i64>("c").unwrap(), 0);
    let e: RedisResult<()> = redis::cmd("MSET").arg("a").query(&mut c);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("wrong number of arguments for 'mset' command"));
}

#[test]
fn getex_getdel_lcs() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let _: () = c.set("k", "v").unwrap();
    let v: String = redis::cmd("GETEX")
        .arg("k")
        .arg("EX")
        .arg(50)
        .query(&mut c)
        .unwrap();
    assert_eq!(v, "v");
    assert!(c.ttl::<_, i64>("k").unwrap() > 40);
    let _: String = redis::cmd("GETEX")
        .arg("k")
        .arg("PERSIST")
        .query(&mut c)
        .unwrap();
    assert_eq!(c.ttl::<_, i64>("k").unwrap(), -1);
    let v: String = redis::cmd("GETDEL").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    assert_eq!(c.exists::<_, i64>("k").unwrap(), 0);
    let _: () = c.set("a", "ohmytext").unwrap();
    let _: () = c.set("b", "mynewtext").unwrap();
    let l: String = redis::cmd("LCS").arg("a").arg("b").query(&mut c).unwrap();
    assert_eq!(l, "mytext");
    let n: i64 = redis::cmd("LCS")
        .arg("a")
        .arg("b")
        .arg("LEN")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 6);
    let v: Value = redis::cmd("LCS")
        .arg("a")
        .arg("b")
        .arg("IDX")
        .arg("MINMATCHLEN")
        .arg(4)
        .arg("WITHMATCHLEN")
        .query(&mut c)
        .unwrap();
    let text = format!("{v:?}");
    assert!(text.contains("int(4)") || text.contains("Int(4)"), "{text}");
}
