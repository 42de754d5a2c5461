//! RDB files cross between Ferrite and the real Redis 7.0 both ways.
//! Needs `redis-server`, `redis-cli` and `redis-check-rdb` on PATH
//! (`scripts/test` installs them).

mod common;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis::Commands;

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin"] {
        let p = format!("{dir}/{name}");
        if Path::new(&p).exists() {
            return p;
        }
    }
    panic!("{name} not found: run scripts/test, which installs redis-server and redis-tools");
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("port {port} never opened");
}

/// Starts the real redis-server on a free port with `dir` as its directory.
fn start_redis(dir: &Path) -> (std::process::Child, u16) {
    start_redis_with(dir, &[])
}

/// [`start_redis`] with more command-line arguments.
fn start_redis_with(dir: &Path, extra: &[&str]) -> (std::process::Child, u16) {
    let port = common::free_port();
    let child = Command::new(tool("redis-server"))
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
        ])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .spawn()
        .expect("start redis-server");
    wait_port(port);
    (child, port)
}

#[test]
fn redis_loads_what_ferrite_saves() {
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    let _: () = c.set("plain", "value").unwrap();
    let _: () = c.set("int", 42).unwrap();
    let _: () = c.set("long", "x".repeat(5000)).unwrap();
    let _: () = redis::cmd("SET")
        .arg("ttl")
        .arg("v")
        .arg("EX")
        .arg(5000)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SELECT").arg(2).query(&mut c).unwrap();
    let _: () = c.set("db2key", "y").unwrap();
    let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
    let dump = srv.dir.join("dump.rdb");
    let check = Command::new(tool("redis-check-rdb"))
        .arg(&dump)
        .output()
        .expect("run redis-check-rdb");
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && out.contains("RDB looks OK!"),
        "{out}"
    );

    let (mut redis, port) = start_redis(&srv.dir);
    let mut r = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(r.get::<_, String>("plain").unwrap(), "value");
    assert_eq!(r.get::<_, i64>("int").unwrap(), 42);
    assert_eq!(r.get::<_, String>("long").unwrap().len(), 5000);
    assert!(r.ttl::<_, i64>("ttl").unwrap() > 4900);
    let _: () = redis::cmd("SELECT").arg(2).query(&mut r).unwrap();
    assert_eq!(r.get::<_, String>("db2key").unwrap(), "y");
    let _ = redis.kill();
    let _ = redis.wait();
}

#[test]
fn ferrite_loads_what_redis_saves() {
    let dir = std::env::temp_dir().join(format!("ferrite-interop-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (mut redis, port) = start_redis(&dir);
    {
        let mut r = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .get_connection()
            .unwrap();
        let _: () = r.set("s", "hello").unwrap();
        let _: () = r.set("n", 123456789).unwrap();
        let _: () = r.set("big", "abc".repeat(1000)).unwrap();
        let _: () = redis::cmd("SET")
            .arg("t")
            .arg("v")
            .arg("PX")
            .arg(9_000_000)
            .query(&mut r)
            .unwrap();
        let _: () = redis::cmd("SAVE").query(&mut r).unwrap();
    }
    let _ = redis.kill();
    let _ = redis.wait();

    let srv = common::Server::start_in(dir, common::free_port(), &[]);
    let mut c = srv.conn();
    assert_eq!(c.get::<_, String>("s").unwrap(), "hello");
    assert_eq!(c.get::<_, i64>("n").unwrap(), 123456789);
    assert_eq!(c.get::<_, String>("big").unwrap(), "abc".repeat(1000));
    assert!(c.pttl::<_, i64>("t").unwrap() > 8_000_000);
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("n")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "int");
}

/// Creates one key of every collection type in both encodings.
fn fill_collections(c: &mut redis::Connection) {
    let mut q = |args: Vec<String>| {
        let mut cmd = redis::cmd(&args[0]);
        for a in &args[1..] {
            cmd.arg(a);
        }
        let _: redis::Value = cmd.query(c).unwrap();
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    q(s(&["RPUSH", "list:small", "a", "1", "b"]));
    let mut big = s(&["RPUSH", "list:big"]);
    big.extend((0..3000).map(|i| format!("item{i}")));
    q(big);
    q(s(&["HSET", "hash:lp", "f1", "v1", "f2", "2"]));
    let mut hbig = s(&["HSET", "hash:ht"]);
    hbig.extend((0..600).flat_map(|i| [format!("f{i}"), format!("v{i}")]));
    q(hbig);
    q(s(&["SADD", "set:int", "1", "2", "-3"]));
    q(s(&["SADD", "set:ht", "a", "b", "c"]));
    q(s(&["ZADD", "zset:lp", "1.5", "a", "-inf", "b", "3", "c"]));
    let mut zbig = s(&["ZADD", "zset:sl"]);
    zbig.extend((0..300).flat_map(|i| [format!("{}", i as f64 / 3.0), format!("m{i}")]));
    q(zbig);
}

/// What `fill_collections` made, as seen through `c`: contents and
/// encodings, in a form that does not depend on iteration order.
fn collections_snapshot(c: &mut redis::Connection) -> Vec<String> {
    let mut out = Vec::new();
    for k in [
        "list:small",
        "list:big",
        "hash:lp",
        "hash:ht",
        "set:int",
        "set:ht",
        "zset:lp",
        "zset:sl",
    ] {
        let enc: String = redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg(k)
            .query(c)
            .unwrap();
        let ty: String = redis::cmd("TYPE").arg(k).query(c).unwrap();
        let mut items: Vec<String> = match ty.as_str() {
            "list" => redis::cmd("LRANGE").arg(k).arg(0).arg(-1).query(c).unwrap(),
            "hash" => redis::cmd("HGETALL").arg(k).query(c).unwrap(),
            "set" => redis::cmd("SMEMBERS").arg(k).query(c).unwrap(),
            _ => redis::cmd("ZRANGE")
                .arg(k)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query(c)
                .unwrap(),
        };
        if ty == "set" || ty == "hash" {
            items.sort();
        }
        out.push(format!("{k} {ty} {enc} {}", items.join(",")));
    }
    out
}

#[test]
fn collections_cross_load_both_ways_with_their_encodings() {
    // Ferrite saves, Redis loads.
    let srv = common::Server::start(&[]);
    let mut c = srv.conn();
    fill_collections(&mut c);
    let mine = collections_snapshot(&mut c);
    let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
    let check = Command::new(tool("redis-check-rdb"))
        .arg(srv.dir.join("dump.rdb"))
        .output()
        .expect("run redis-check-rdb");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let (mut redis, port) = start_redis(&srv.dir);
    let mut r = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(collections_snapshot(&mut r), mine);
    // Redis saves (its own encodings), Ferrite loads.
    let _: () = redis::cmd("FLUSHALL").query(&mut r).unwrap();
    fill_collections(&mut r);
    let theirs = collections_snapshot(&mut r);
    assert_eq!(theirs, mine, "same commands, same contents and encodings");
    // Stop Ferrite first so nothing of its own lands in the directory.
    let dir = srv.stop();
    let _: () = redis::cmd("SAVE").query(&mut r).unwrap();
    let _ = redis.kill();
    let _ = redis.wait();
    let srv = common::Server::start_in(dir, common::free_port(), &[]);
    let mut c = srv.conn();
    assert_eq!(collections_snapshot(&mut c), theirs);
}

/// Waits until `f` holds, for up to 15 s.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn ferrite_replicates_a_real_redis_master() {
    let dir = tempdir("repl-master");
    let (mut child, port) = start_redis(&dir);
    // No 5 s wait before the master's diskless snapshot.
    let mut m = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("repl-diskless-sync-delay")
        .arg(0)
        .query(&mut m)
        .unwrap();
    let _: () = m.set("before", "sync").unwrap();
    let _: () = m.rpush("list", &["a", "b", "c"]).unwrap();
    let _: () = redis::cmd("SET")
        .arg("ttl")
        .arg("v")
        .arg("EX")
        .arg(500)
        .query(&mut m)
        .unwrap();

    let srv = common::Server::start(&["--replica-serve-stale-data", "no"]);
    let mut r = srv.conn();
    let _: () = r.set("local", "gone after sync").unwrap();
    let _: () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(port)
        .query(&mut r)
        .unwrap();
    wait_for("master_link_status:up", || {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut r).unwrap();
        info.contains("master_link_status:up")
    });
    let v: Option<String> = r.get("before").unwrap();
    assert_eq!(v.as_deref(), Some("sync"));
    let local: Option<String> = r.get("local").unwrap();
    assert_eq!(local, None, "the snapshot replaces the replica's data");
    let ttl: i64 = r.ttl("ttl").unwrap();
    assert!((490..=500).contains(&ttl), "{ttl}");
    // The stream: writes, a database switch, a script's effects.
    let _: i64 = m.incr("counter", 5).unwrap();
    let _: Option<String> = m.lpop("list", None).unwrap();
    let _: () = redis::cmd("SELECT").arg(2).query(&mut m).unwrap();
    let _: () = m.set("in2", "yes").unwrap();
    let _: () = redis::cmd("EVAL")
        .arg("redis.call('set', 'scripted', 'x')")
        .arg(0)
        .query(&mut m)
        .unwrap();
    wait_for("the stream to apply", || {
        let v: Option<String> = redis::cmd("GET")
            .arg("scripted")
            .query(&mut {
                let mut c = srv.conn();
                let _: () = redis::cmd("SELECT").arg(2).query(&mut c).unwrap();
                c
            })
            .unwrap();
        v.is_some()
    });
    let n: i64 = r.get("counter").unwrap();
    assert_eq!(n, 5);
    let list: Vec<String> = r.lrange("list", 0, -1).unwrap();
    assert_eq!(list, vec!["b", "c"]);
    // A read-only replica refuses writes; ROLE and INFO say where it is.
    let e = r.set::<_, _, ()>("x", 1).unwrap_err();
    assert_eq!(e.code(), Some("READONLY"));
    let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut r).unwrap();
    assert_eq!(role[0], redis::Value::BulkString(b"slave".to_vec()));
    assert_eq!(role[3], redis::Value::BulkString(b"connected".to_vec()));
    // The master sees the replica acknowledge its offset.
    wait_for("the replica's ACK", || {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut m).unwrap();
        info.contains("state=online")
    });
    // Link down: stale data is refused (replica-serve-stale-data no).
    child.kill().unwrap();
    let _ = child.wait();
    wait_for("MASTERDOWN", || {
        r.get::<_, Option<String>>("before")
            .is_err_and(|e| e.code() == Some("MASTERDOWN"))
    });
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut r)
        .unwrap();
    let _: () = r.set("x", 1).unwrap();
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ferrite-{name}-{}-{}",
        std::process::id(),
        common::free_port()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn real_redis_replicates_a_ferrite_master() {
    let srv = common::Server::start(&["--threads", "2"]);
    let mut m = srv.conn();
    let _: () = m.set("before", "sync").unwrap();
    let _: () = m.hset("h", "f", "v").unwrap();
    let _: () = m.zadd("z", "a", 1.5).unwrap();
    let dir = tempdir("repl-replica");
    let master_port = srv.port.to_string();
    let (mut child, port) = start_redis_with(&dir, &["--replicaof", "127.0.0.1", &master_port]);
    let mut r = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    wait_for("the Redis replica's link", || {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut r).unwrap();
        info.contains("master_link_status:up")
    });
    let v: Option<String> = r.get("before").unwrap();
    assert_eq!(v.as_deref(), Some("sync"));
    let score: Option<f64> = r.zscore("z", "a").unwrap();
    assert_eq!(score, Some(1.5));
    let _: () = redis::cmd("SET")
        .arg("after")
        .arg("x")
        .arg("EX")
        .arg(100)
        .query(&mut m)
        .unwrap();
    let _: i64 = m.incr("n", 3).unwrap();
    wait_for("the stream", || {
        r.get::<_, Option<i64>>("n").unwrap() == Some(3)
    });
    let ttl: i64 = r.ttl("after").unwrap();
    assert!((95..=100).contains(&ttl), "{ttl}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
