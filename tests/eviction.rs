//! `maxmemory` against the real binary: each policy stays under the limit
//! and evicts what it should, `noeviction` answers Redis's OOM errors, and
//! LFU counters move as Redis's do.

mod common;

use std::time::Duration;

use common::Server;
use redis::Commands;

/// A numeric field of one INFO section.
fn info_field(c: &mut redis::Connection, section: &str, field: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in INFO {section}"))
}

fn used_memory(c: &mut redis::Connection) -> u64 {
    info_field(c, "memory", "used_memory")
}

fn evicted_keys(c: &mut redis::Connection) -> u64 {
    info_field(c, "stats", "evicted_keys")
}

fn config_set(c: &mut redis::Connection, name: &str, value: impl ToString) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value.to_string())
        .query(c)
        .unwrap();
}

fn count_existing(c: &mut redis::Connection, keys: &[String]) -> usize {
    let mut pipe = redis::pipe();
    for k in keys {
        pipe.exists(k);
    }
    let found: Vec<bool> = pipe.query(c).unwrap();
    found.into_iter().filter(|&b| b).count()
}

#[test]
fn allkeys_lru_stays_under_the_limit_and_evicts_idle_keys_first() {
    let srv = Server::start(&["--threads", "2"]);
    let mut c = srv.conn();
    let cold: Vec<String> = (0..1500).map(|i| format!("cold:{i}")).collect();
    let hot: Vec<String> = (0..500).map(|i| format!("hot:{i}")).collect();
    let mut pipe = redis::pipe();
    for k in cold.iter().chain(&hot) {
        pipe.set(k, "0123456789012345678901234567890123456789")
            .ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    // The LRU clock counts seconds: let the cold keys age, then read the
    // hot ones so that they are the most recently used.
    std::thread::sleep(Duration::from_millis(2100));
    let mut pipe = redis::pipe();
    for k in &hot {
        pipe.get(k).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();

    let limit = used_memory(&mut c) + 20_000;
    config_set(&mut c, "maxmemory-policy", "allkeys-lru");
    config_set(&mut c, "maxmemory", limit);
    for i in 0..1500 {
        let _: () = c
            .set(
                format!("new:{i}"),
                "0123456789012345678901234567890123456789",
            )
            .unwrap();
    }
    assert!(
        used_memory(&mut c) <= limit + 4096,
        "memory stays under the limit"
    );
    let evicted = evicted_keys(&mut c);
    assert!(evicted > 500, "the new keys needed room: {evicted} evicted");
    let hot_left = count_existing(&mut c, &hot);
    let cold_left = count_existing(&mut c, &cold);
    // Every sample that holds a cold key evicts a cold key: hot keys go
    // only once hardly any cold one is left.
    assert!(hot_left >= 475, "hot keys kept: {hot_left}/500");
    assert!(cold_left < 1000, "cold keys kept: {cold_left}/1500");
}

#[test]
fn noeviction_refuses_commands_that_need_memory() {
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    let _: () = c.set("k", "v").unwrap();
    config_set(&mut c, "maxmemory", 1);
    const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

    let err = c.set::<_, _, ()>("x", "1").unwrap_err();
    assert_eq!(err.to_string(), format!("OOM: {}", &OOM[4..]));
    // Reads and deletions still run.
    let v: String = c.get("k").unwrap();
    assert_eq!(v, "v");
    let n: i64 = c.del("k").unwrap();
    assert_eq!(n, 1);

    // Inside MULTI every command but EXEC/DISCARD is refused and dooms it.
    let mut raw = srv.raw();
    let want = format!(
        "+OK\r\n-{OOM}\r\n-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    let reply = common::roundtrip(&mut raw, b"MULTI\r\nGET k\r\nEXEC\r\n", want.len());
    assert_eq!(String::from_utf8_lossy(&reply), want);
    // An EXEC whose queue holds a write fails when memory runs out after
    // the commands were queued.
    config_set(&mut c, "maxmemory", 0);
    let reply = common::roundtrip(
        &mut raw,
        b"MULTI\r\nSET a 1\r\n",
        b"+OK\r\n+QUEUED\r\n".len(),
    );
    assert_eq!(reply, b"+OK\r\n+QUEUED\r\n");
    config_set(&mut c, "maxmemory", 1);
    let want = format!("-EXECABORT Transaction discarded because of: {OOM}\r\n");
    let reply = common::roundtrip(&mut raw, b"EXEC\r\n", want.len());
    assert_eq!(String::from_utf8_lossy(&reply), want);

    config_set(&mut c, "maxmemory", 0);
    let _: () = c.set("x", "1").unwrap();
}

#[test]
fn volatile_policies_never_evict_persistent_keys() {
    for policy in [
        "volatile-lru",
        "volatile-ttl",
        "volatile-random",
        "volatile-lfu",
    ] {
        let srv = Server::start(&[]);
        let mut c = srv.conn();
        let persistent: Vec<String> = (0..300).map(|i| format!("keep:{i}")).collect();
        let mut pipe = redis::pipe();
        for k in &persistent {
            pipe.set(k, "x").ignore();
        }
        for i in 0..300 {
            pipe.set_ex(format!("ttl:{i}"), "x", 10_000 + i).ignore();
        }
        let _: () = pipe.query(&mut c).unwrap();
        let limit = used_memory(&mut c) + 10_000;
        config_set(&mut c, "maxmemory-policy", policy);
        config_set(&mut c, "maxmemory", limit);
        let mut refused = false;
        for i in 0..2000 {
            if c.set_ex::<_, _, ()>(format!("more:{i}"), "x", 5_000)
                .is_err()
            {
                refused = true;
            }
        }
        assert!(
            !refused,
            "{policy}: volatile keys make room for volatile keys"
        );
        assert!(
            used_memory(&mut c) <= limit + 4096,
            "{policy}: under the limit"
        );
        assert_eq!(count_existing(&mut c, &persistent), 300, "{policy}");
        // With only persistent keys left to evict, writes are refused.
        let mut refused = false;
        for i in 0..2000 {
            if c.set::<_, _, ()>(format!("plain:{i}"), "x").is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused, "{policy}: OOM once nothing volatile is left");
        assert_eq!(count_existing(&mut c, &persistent), 300, "{policy}");
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    let mut pipe = redis::pipe();
    let soon: Vec<String> = (0..400).map(|i| format!("soon:{i}")).collect();
    let late: Vec<String> = (0..400).map(|i| format!("late:{i}")).collect();
    for k in &soon {
        pipe.set_ex(k, "x", 1_000).ignore();
    }
    for k in &late {
        pipe.set_ex(k, "x", 1_000_000).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let limit = used_memory(&mut c) + 8_000;
    config_set(&mut c, "maxmemory-policy", "volatile-ttl");
    config_set(&mut c, "maxmemory", limit);
    for i in 0..300 {
        let _: () = c.set_ex(format!("new:{i}"), "x", 1_000_000).unwrap();
    }
    let soon_left = count_existing(&mut c, &soon);
    let late_left = count_existing(&mut c, &late);
    assert!(soon_left < 300, "near expiries go: {soon_left}/400 left");
    assert!(late_left >= 390, "far expiries stay: {late_left}/400 left");
}

#[test]
fn evictions_publish_events_and_lfu_counts_accesses() {
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    config_set(&mut c, "notify-keyspace-events", "Ee");
    let mut sub = srv.conn();
    let mut pubsub = sub.as_pubsub();
    pubsub.psubscribe("__keyevent@0__:evicted").unwrap();
    let _: () = c.set("victim", "v").unwrap();
    config_set(&mut c, "maxmemory-policy", "allkeys-random");
    config_set(&mut c, "maxmemory", 1);
    pubsub
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let msg = pubsub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "__keyevent@0__:evicted");
    assert_eq!(msg.get_payload::<String>().unwrap(), "victim");
    config_set(&mut c, "maxmemory", 0);

    // OBJECT FREQ needs an LFU policy; a new key starts at 5 and grows
    // logarithmically with reads.
    let err = redis::cmd("OBJECT")
        .arg("FREQ")
        .arg("k")
        .query::<i64>(&mut c);
    assert!(err.is_err());
    config_set(&mut c, "maxmemory-policy", "allkeys-lfu");
    let _: () = c.set("k", "v").unwrap();
    let f: i64 = redis::cmd("OBJECT")
        .arg("FREQ")
        .arg("k")
        .query(&mut c)
        .unwrap();
    assert_eq!(f, 5);
    let mut pipe = redis::pipe();
    for _ in 0..1000 {
        pipe.get("k").ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let f: i64 = redis::cmd("OBJECT")
        .arg("FREQ")
        .arg("k")
        .query(&mut c)
        .unwrap();
    // About 19 on average (Redis documents 18 for factor 10), with a wide
    // spread: each step up is a coin with a falling probability.
    assert!((12..=30).contains(&f), "1000 reads give a counter of {f}");
}

#[test]
fn dumps_keep_idle_times_and_counters_as_redis_does() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    let _: () = c.set("k", "v").unwrap();
    let payload: Vec<u8> = redis::cmd("DUMP").arg("k").query(&mut c).unwrap();
    let _: () = c.del("k").unwrap();
    let object = |c: &mut redis::Connection, what: &str| -> i64 {
        redis::cmd("OBJECT").arg(what).arg("k").query(c).unwrap()
    };
    let reload = |c: &mut redis::Connection| {
        let _: () = redis::cmd("DEBUG").arg("RELOAD").query(c).unwrap();
    };

    // Under an LRU policy the dump carries the idle time.
    config_set(&mut c, "maxmemory-policy", "allkeys-lru");
    let _: () = redis::cmd("RESTORE")
        .arg("k")
        .arg(0)
        .arg(&payload)
        .arg("IDLETIME")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    reload(&mut c);
    assert!((1000..1003).contains(&object(&mut c, "IDLETIME")));
    // Without one (noeviction) it doesn't: the key is fresh after loading.
    config_set(&mut c, "maxmemory-policy", "noeviction");
    reload(&mut c);
    assert!(object(&mut c, "IDLETIME") < 3);

    // Under an LFU policy it carries the counter.
    config_set(&mut c, "maxmemory-policy", "allkeys-lfu");
    let _: () = c.del("k").unwrap();
    let _: () = redis::cmd("RESTORE")
        .arg("k")
        .arg(0)
        .arg(&payload)
        .arg("FREQ")
        .arg(100)
        .query(&mut c)
        .unwrap();
    assert_eq!(object(&mut c, "FREQ"), 100);
    reload(&mut c);
    assert_eq!(object(&mut c, "FREQ"), 100);
}
