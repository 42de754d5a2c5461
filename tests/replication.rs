//! Replication between Ferrite servers: the stream a master sends (as Redis
//! 7.0 propagates), and a replica following a master that many clients on
//! several worker threads write to.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Server;
use redis::Commands;

/// A raw replication stream, as Redis's test suite reads it: SYNC, skip the
/// snapshot, then one command at a time.
struct Stream {
    r: BufReader<TcpStream>,
}

impl Stream {
    fn attach(srv: &Server) -> Stream {
        let mut s = srv.raw();
        s.write_all(b"SYNC\r\n").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            if !line.trim().is_empty() {
                break;
            }
        }
        let len: usize = line
            .trim()
            .strip_prefix('$')
            .expect("bulk header")
            .parse()
            .unwrap();
        let mut rdb = vec![0u8; len];
        r.read_exact(&mut rdb).unwrap();
        assert!(rdb.starts_with(b"REDIS0010"));
        Stream { r }
    }

    /// The next command, its words joined by spaces.
    fn next(&mut self) -> String {
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let n: usize = line
            .trim()
            .strip_prefix('*')
            .expect("array")
            .parse()
            .unwrap();
        let mut words = Vec::new();
        for _ in 0..n {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            let len: usize = line.trim().strip_prefix('$').unwrap().parse().unwrap();
            let mut buf = vec![0u8; len + 2];
            self.r.read_exact(&mut buf).unwrap();
            words.push(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
        words.join(" ")
    }
}

#[test]
fn the_stream_follows_redis_propagation_rules() {
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    let _: () = c.set("stale", "v").unwrap();
    let mut s = Stream::attach(&srv);
    // A write with a relative TTL becomes absolute.
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("EX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    assert_eq!(s.next(), "SELECT 0");
    let set = s.next();
    assert!(set.starts_with("SET k v PXAT "), "{set}");
    let at: i64 = set.rsplit(' ').next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((at - now - 100_000).abs() < 5_000, "{at} vs {now}");
    let _: bool = c.expire("k", 50).unwrap();
    assert!(s.next().starts_with("PEXPIREAT k "));
    // Writes that change nothing are not propagated; a transaction of
    // several writes is wrapped, a single one is not.
    let _: i64 = c.del("missing").unwrap();
    let (_, _): (i64, i64) = redis::pipe()
        .atomic()
        .incr("a", 1)
        .incr("b", 1)
        .query(&mut c)
        .unwrap();
    assert_eq!(s.next(), "MULTI");
    assert_eq!(s.next(), "INCRBY a 1");
    assert_eq!(s.next(), "INCRBY b 1");
    assert_eq!(s.next(), "EXEC");
    let (_, _): (i64, String) = redis::pipe()
        .atomic()
        .incr("a", 1)
        .get("b")
        .query(&mut c)
        .unwrap();
    assert_eq!(s.next(), "INCRBY a 1");
    // Floats and random pops become deterministic.
    let _: f64 = c.incr("f", 1.5).unwrap();
    assert_eq!(s.next(), "SET f 1.5 KEEPTTL");
    let _: () = c.sadd("set", "only").unwrap();
    assert_eq!(s.next(), "SADD set only");
    let _: Option<String> = c.spop("set").unwrap();
    assert_eq!(s.next(), "SREM set only");
    // A script's effects, wrapped; then another database.
    let _: () = redis::cmd("EVAL")
        .arg("redis.call('set', 'x', 1) redis.call('set', 'y', 2)")
        .arg(0)
        .query(&mut c)
        .unwrap();
    assert_eq!(s.next(), "MULTI");
    assert_eq!(s.next(), "set x 1");
    assert_eq!(s.next(), "set y 2");
    assert_eq!(s.next(), "EXEC");
    let _: () = redis::cmd("SELECT").arg(5).query(&mut c).unwrap();
    let _: () = c.set("in5", 1).unwrap();
    assert_eq!(s.next(), "SELECT 5");
    assert_eq!(s.next(), "SET in5 1");
    let _: i64 = redis::cmd("PUBLISH")
        .arg("ch")
        .arg("msg")
        .query(&mut c)
        .unwrap();
    assert_eq!(s.next(), "PUBLISH ch msg");
}

#[test]
fn a_replica_follows_a_busy_master() {
    let master = Server::start(&["--threads", "4"]);
    let replica = Server::start(&["--threads", "2"]);
    let mut m = master.conn();
    for i in 0..200 {
        let _: () = m.set(format!("pre{i}"), i).unwrap();
    }
    let mut r = replica.conn();
    let _: () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master.port)
        .query(&mut r)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut r).unwrap();
        if info.contains("master_link_status:up") {
            break;
        }
        assert!(Instant::now() < deadline, "never synced: {info}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Writers on several workers, overlapping keys, while the replica follows.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let mut c = master.conn();
            std::thread::spawn(move || {
                for i in 0..500 {
                    let _: i64 = c.incr(format!("counter{}", i % 10), 1).unwrap();
                    let _: () = c.rpush(format!("list{w}"), i).unwrap();
                    if i % 7 == 0 {
                        let _: Option<String> = c.lpop(format!("list{w}"), None).unwrap();
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let _: () = m.set("last", "done").unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v: Option<String> = r.get("last").unwrap();
        if v.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the stream never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Same data on both sides.
    let mut keys: Vec<String> = m.keys("*").unwrap();
    keys.sort();
    let mut rkeys: Vec<String> = r.keys("*").unwrap();
    rkeys.sort();
    assert_eq!(keys, rkeys);
    let total: i64 = (0..10)
        .map(|i| r.get::<_, i64>(format!("counter{i}")).unwrap())
        .sum();
    assert_eq!(total, 2000);
    for w in 0..4 {
        let a: Vec<String> = m.lrange(format!("list{w}"), 0, -1).unwrap();
        let b: Vec<String> = r.lrange(format!("list{w}"), 0, -1).unwrap();
        assert_eq!(a, b);
    }
    // WAIT: the replica acknowledges this client's last write; asking for
    // two replicas times out with the one there is.
    let _: () = m.set("waited", 1).unwrap();
    let n: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut m).unwrap();
    assert_eq!(n, 1);
    let t = Instant::now();
    let n: i64 = redis::cmd("WAIT").arg(2).arg(200).query(&mut m).unwrap();
    assert_eq!(n, 1);
    assert!(t.elapsed() >= Duration::from_millis(190));
    let e = redis::cmd("WAIT")
        .arg(1)
        .arg(0)
        .query::<i64>(&mut r)
        .unwrap_err();
    assert!(e
        .to_string()
        .contains("WAIT cannot be used with replica instances"));
    // The master lists its replica, acknowledged up to its offset.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut m).unwrap();
        let offset = info
            .lines()
            .find_map(|l| l.strip_prefix("master_repl_offset:"))
            .unwrap()
            .to_string();
        if info.contains("connected_slaves:1") && info.contains(&format!("offset={offset},")) {
            break;
        }
        assert!(Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
