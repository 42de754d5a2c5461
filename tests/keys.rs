//! Keyspace commands: expiry, rename across shards, scan, databases.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use redis::{Commands, RedisResult};

#[test]
fn expire_ttl_persist() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let _: () = c.set("k", "v").unwrap();
    assert_eq!(c.ttl::<_, i64>("nokey").unwrap(), -2);
    assert_eq!(c.ttl::<_, i64>("k").unwrap(), -1);
    assert!(c.expire::<_, bool>("k", 100).unwrap());
    assert_eq!(
        redis::cmd("EXPIRE")
            .arg("k")
            .arg(50)
            .arg("GT")
            .query::<i64>(&mut c)
            .unwrap(),
        0
    );
    assert_eq!(
        redis::cmd("EXPIRE")
            .arg("k")
            .arg(50)
            .arg("LT")
            .query::<i64>(&mut c)
            .unwrap(),
        1
    );
    assert_eq!(
        redis::cmd("EXPIRE")
            .arg("k")
            .arg(50)
            .arg("NX")
            .query::<i64>(&mut c)
            .unwrap(),
        0
    );
    let e: RedisResult<i64> = redis::cmd("EXPIRE")
        .arg("k")
        .arg(50)
        .arg("NX")
        .arg("XX")
        .query(&mut c);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("NX and XX, GT or LT options at the same time are not compatible"));
    let pt: i64 = c.pttl("k").unwrap();
    assert!(pt > 49_000 && pt <= 50_000, "{pt}");
    let at: i64 = redis::cmd("EXPIRETIME").arg("k").query(&mut c).unwrap();
    assert!(at > 1_700_000_000);
    assert!(c.persist::<_, bool>("k").unwrap());
    assert_eq!(c.ttl::<_, i64>("k").unwrap(), -1);
    // A past expiry deletes the key.
    assert!(c.expire::<_, bool>("k", -1).unwrap());
    assert_eq!(c.exists::<_, i64>("k").unwrap(), 0);
}

#[test]
fn keys_expire_lazily_and_actively() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    for i in 0..200 {
        let _: () = redis::cmd("SET")
            .arg(format!("x{i}"))
            .arg("v")
            .arg("PX")
            .arg(50)
            .query(&mut c)
            .unwrap();
    }
    let _: () = c.set("keep", "v").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // Lazy: a read sees nothing.
    assert_eq!(c.get::<_, Option<String>>("x0").unwrap(), None);
    // Active: the cycle removes the rest without anyone touching them.
    let mut size = 0;
    for _ in 0..50 {
        size = redis::cmd("DBSIZE").query::<i64>(&mut c).unwrap();
        if size == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(size, 1);
}

#[test]
fn rename_move_copy_swapdb() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let _: () = redis::cmd("SET")
        .arg("a")
        .arg("1")
        .arg("EX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let _: () = c.rename("a", "b").unwrap();
    assert_eq!(c.get::<_, String>("b").unwrap(), "1");
    assert!(c.ttl::<_, i64>("b").unwrap() > 90);
    let e: RedisResult<()> = c.rename("nope", "x");
    assert!(e.unwrap_err().to_string().contains("no such key"));
    assert_eq!(c.rename_nx::<_, _, i64>("b", "b").unwrap(), 0);
    let n: i64 = redis::cmd("COPY").arg("b").arg("c").query(&mut c).unwrap();
    assert_eq!(n, 1);
    let n: i64 = redis::cmd("MOVE").arg("c").arg(1).query(&mut c).unwrap();
    assert_eq!(n, 1);
    let _: () = redis::cmd("SELECT").arg(1).query(&mut c).unwrap();
    assert_eq!(c.get::<_, String>("c").unwrap(), "1");
    let _: () = redis::cmd("SWAPDB").arg(0).arg(1).query(&mut c).unwrap();
    assert_eq!(c.get::<_, String>("b").unwrap(), "1");
    let e: RedisResult<()> = redis::cmd("SELECT").arg(16).query(&mut c);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("DB index is out of range"));
}

#[test]
fn scan_returns_every_key() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    for i in 0..1000 {
        let _: () = c.set(format!("key:{i}"), i).unwrap();
    }
    let mut seen = HashSet::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query(&mut c)
            .unwrap();
        seen.extend(keys);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg("key:99*")
        .arg("COUNT")
        .arg(100000)
        .query(&mut c)
        .unwrap();
    assert_eq!(keys.len(), 11);
    let all: Vec<String> = c.keys("key:1??").unwrap();
    assert_eq!(all.len(), 100);
    let r: String = redis::cmd("RANDOMKEY").query(&mut c).unwrap();
    assert!(r.starts_with("key:"));
    let _: () = redis::cmd("FLUSHALL").query(&mut c).unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 0);
}

#[test]
fn save_and_restart_keeps_data() {
    let srv = common::Server::start(&[]);
    let port = srv.port;
    let mut c = srv.conn();
    let _: () = c.set("plain", "value").unwrap();
    let _: () = c.set("num", 12345).unwrap();
    let _: () = redis::cmd("SET")
        .arg("ttl")
        .arg("x")
        .arg("EX")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).unwrap();
    let _: () = c.set("indb3", "y".repeat(500)).unwrap();
    let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
    let _: () = redis::cmd("DEBUG").arg("RELOAD").query(&mut c).unwrap();
    assert_eq!(c.get::<_, String>("indb3").unwrap().len(), 500);
    drop(c);
    let dir = srv.stop();
    let srv = common::Server::start_in(dir, port, &[]);
    let mut c = srv.conn();
    assert_eq!(c.get::<_, String>("plain").unwrap(), "value");
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("num")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "int");
    assert!(c.ttl::<_, i64>("ttl").unwrap() > 990);
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).unwrap();
    assert_eq!(c.get::<_, String>("indb3").unwrap(), "y".repeat(500));
}

#[test]
fn bgsave_forks_and_writes_a_loadable_dump() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    for i in 0..2000 {
        let _: () = c.set(format!("k{i}"), i).unwrap();
    }
    let started: String = redis::cmd("BGSAVE").query(&mut c).unwrap();
    assert_eq!(started, "Background saving started");
    let mut done = false;
    for _ in 0..200 {
        let info: String = redis::cmd("INFO").arg("persistence").query(&mut c).unwrap();
        if info.contains("rdb_bgsave_in_progress:0")
            && info.contains("rdb_changes_since_last_save:0")
        {
            assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
            done = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(done, "BGSAVE never finished");
    // Change the data, then load the dump written by the child.
    let _: () = redis::cmd("FLUSHALL").query(&mut c).unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 0);
    let _: () = redis::cmd("DEBUG")
        .arg("RELOAD")
        .arg("NOSAVE")
        .query(&mut c)
        .unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 2000);
    assert_eq!(c.get::<_, i64>("k1999").unwrap(), 1999);
}

#[test]
fn migrate_moves_keys_with_their_ttl_between_servers() {
    let src = common::Server::start(&[]);
    let dst = common::Server::start(&[]);
    let mut a = src.conn();
    let mut b = dst.conn();
    let port = dst.port.to_string();
    let none: String = redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(&port)
        .arg("nokey")
        .arg(0)
        .arg(1000)
        .query(&mut a)
        .unwrap();
    assert_eq!(none, "NOKEY");
    let _: () = redis::cmd("SET")
        .arg("s")
        .arg("v")
        .arg("EX")
        .arg(100)
        .query(&mut a)
        .unwrap();
    let _: () = redis::cmd("RPUSH")
        .arg("l")
        .arg("x")
        .arg("y")
        .query(&mut a)
        .unwrap();
    let ok: String = redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(&port)
        .arg("")
        .arg(3)
        .arg(1000)
        .arg("COPY")
        .arg("KEYS")
        .arg("s")
        .arg("l")
        .query(&mut a)
        .unwrap();
    assert_eq!(ok, "OK");
    let _: () = redis::cmd("SELECT").arg(3).query(&mut b).unwrap();
    let list: Vec<String> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut b)
        .unwrap();
    assert_eq!(list, vec!["x", "y"]);
    let ttl: i64 = redis::cmd("TTL").arg("s").query(&mut b).unwrap();
    assert!((99..=100).contains(&ttl), "{ttl}");
    // Without COPY the target refuses existing keys; with REPLACE they move.
    let busy: redis::RedisResult<String> = redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(&port)
        .arg("s")
        .arg(3)
        .arg(1000)
        .query(&mut a);
    let e = busy.unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    assert!(e
        .to_string()
        .contains("Target instance replied with error: BUSYKEY"));
    let ok: String = redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(&port)
        .arg("s")
        .arg(3)
        .arg(1000)
        .arg("REPLACE")
        .query(&mut a)
        .unwrap();
    assert_eq!(ok, "OK");
    let gone: i64 = redis::cmd("EXISTS").arg("s").query(&mut a).unwrap();
    assert_eq!(gone, 0);
    // Nothing listens: Redis's IOERR.
    let closed = common::free_port().to_string();
    let r: redis::RedisResult<String> = redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(&closed)
        .arg("l")
        .arg(0)
        .arg(200)
        .query(&mut a);
    assert_eq!(r.unwrap_err().code(), Some("IOERR"));
}
