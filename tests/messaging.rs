//! Pub/Sub, keyspace notifications, MONITOR and transactions against the
//! real binary, with clients spread over several worker threads.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Server;
use redis::Commands;

fn cmd(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        v.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
        v.extend_from_slice(p);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Reads one RESP reply of bulk strings, integers, simple strings, errors
/// and (nested) arrays, returned flattened as text tokens.
fn read_reply(r: &mut impl BufRead, out: &mut Vec<String>) {
    let mut line = String::new();
    r.read_line(&mut line).expect("read line");
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1);
    match kind {
        "*" | ">" => {
            let n: i64 = rest.parse().expect("array length");
            for _ in 0..n.max(0) {
                read_reply(r, out);
            }
        }
        "$" => {
            let n: i64 = rest.parse().expect("bulk length");
            if n < 0 {
                out.push("(nil)".into());
                return;
            }
            let mut buf = vec![0u8; n as usize + 2];
            r.read_exact(&mut buf).expect("bulk");
            out.push(String::from_utf8_lossy(&buf[..n as usize]).into_owned());
        }
        _ => out.push(line.to_string()),
    }
}

fn reply(r: &mut impl BufRead) -> Vec<String> {
    let mut v = Vec::new();
    read_reply(r, &mut v);
    v
}

#[test]
fn publish_reaches_channel_and_pattern_subscribers() {
    let srv = Server::start(&["--threads", "4"]);
    let mut sub = srv.raw();
    sub.write_all(&cmd(&[b"SUBSCRIBE", b"news", b"sport"]))
        .expect("write");
    let mut r = BufReader::new(sub.try_clone().expect("clone"));
    assert_eq!(reply(&mut r), ["subscribe", "news", ":1"]);
    assert_eq!(reply(&mut r), ["subscribe", "sport", ":2"]);
    sub.write_all(&cmd(&[b"PSUBSCRIBE", b"n*"])).expect("write");
    assert_eq!(reply(&mut r), ["psubscribe", "n*", ":3"]);

    let mut c = srv.conn();
    let n: i64 = c.publish("news", "hello").expect("publish");
    assert_eq!(n, 2, "one channel and one pattern subscriber");
    assert_eq!(reply(&mut r), ["message", "news", "hello"]);
    assert_eq!(reply(&mut r), ["pmessage", "n*", "news", "hello"]);
    let n: i64 = c.publish("other", "x").expect("publish");
    assert_eq!(n, 0);

    let numsub: Vec<redis::Value> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("news")
        .arg("none")
        .query(&mut c)
        .expect("numsub");
    assert_eq!(
        numsub,
        vec![
            redis::Value::BulkString(b"news".to_vec()),
            redis::Value::Int(1),
            redis::Value::BulkString(b"none".to_vec()),
            redis::Value::Int(0)
        ]
    );
    let numpat: i64 = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query(&mut c)
        .expect("numpat");
    assert_eq!(numpat, 1);

    // RESP2 subscriber mode: only the Pub/Sub commands, PING, QUIT, RESET.
    sub.write_all(&cmd(&[b"GET", b"k"])).expect("write");
    assert_eq!(
        reply(&mut r),
        ["-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"]
    );
    sub.write_all(&cmd(&[b"PING"])).expect("write");
    assert_eq!(reply(&mut r), ["pong", ""]);
    // Without arguments: every channel, in an unspecified order, each
    // confirmation carrying the subscriptions left (the pattern stays).
    sub.write_all(&cmd(&[b"UNSUBSCRIBE"])).expect("write");
    let (a, b) = (reply(&mut r), reply(&mut r));
    let mut names = vec![a[1].clone(), b[1].clone()];
    names.sort();
    assert_eq!(names, ["news", "sport"]);
    assert_eq!((a[0].as_str(), a[2].as_str()), ("unsubscribe", ":2"));
    assert_eq!((b[0].as_str(), b[2].as_str()), ("unsubscribe", ":1"));
    let n: i64 = c.publish("sport", "x").expect("publish");
    assert_eq!(n, 0);
    let n: i64 = c.publish("nope", "x").expect("publish");
    assert_eq!(n, 1, "the pattern subscription is still there");
}

/// The fan-out check: 1 publisher, 100 subscribers spread over the
/// workers, 100,000 messages; every subscriber gets every message exactly
/// once and in publishing order.
#[test]
fn fan_out_to_100_subscribers_loses_duplicates_and_reorders_nothing() {
    const SUBSCRIBERS: usize = 100;
    const MESSAGES: usize = 100_000;
    let srv = Server::start(&["--threads", "4"]);
    let mut readers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let mut s = srv.raw();
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        s.write_all(&cmd(&[b"SUBSCRIBE", b"fan"])).expect("write");
        let mut r = BufReader::with_capacity(1 << 16, s);
        assert_eq!(reply(&mut r), ["subscribe", "fan", ":1"]);
        readers.push(r);
    }
    let handles: Vec<_> = readers
        .into_iter()
        .map(|mut r| {
            std::thread::spawn(move || {
                let mut line = String::new();
                for expect in 0..MESSAGES {
                    // *3 $7 message $3 fan $n <seq>
                    for _ in 0..6 {
                        line.clear();
                        r.read_line(&mut line).expect("frame");
                    }
                    line.clear();
                    r.read_line(&mut line).expect("payload");
                    let Ok(got) = line.trim_end().parse::<usize>() else {
                        return Err(format!("bad payload {line:?} for message {expect}"));
                    };
                    if got != expect {
                        return Err(format!("expected message {expect}, got {got}"));
                    }
                }
                Ok(())
            })
        })
        .collect();
    let mut publisher = srv.raw();
    let mut replies = BufReader::new(publisher.try_clone().expect("clone"));
    let mut line = String::new();
    for chunk in (0..MESSAGES).collect::<Vec<_>>().chunks(500) {
        let mut batch = Vec::new();
        for i in chunk {
            batch.extend_from_slice(&cmd(&[b"PUBLISH", b"fan", i.to_string().as_bytes()]));
        }
        publisher.write_all(&batch).expect("publish");
        for _ in chunk {
            line.clear();
            replies.read_line(&mut line).expect("reply");
            if line != format!(":{SUBSCRIBERS}\r\n") {
                // A subscriber gave up: report what it saw.
                for h in handles {
                    h.join()
                        .expect("subscriber thread")
                        .expect("in-order delivery");
                }
                panic!("PUBLISH reached {line:?} subscribers");
            }
        }
    }
    for h in handles {
        h.join()
            .expect("subscriber thread")
            .expect("in-order delivery");
    }
}

#[test]
fn slow_subscriber_is_disconnected_at_the_pubsub_output_limit() {
    let srv = Server::start(&[
        "--threads",
        "2",
        "--client-output-buffer-limit",
        "pubsub 1mb 0 0",
    ]);
    let mut sub = srv.raw();
    sub.write_all(&cmd(&[b"SUBSCRIBE", b"flood"]))
        .expect("write");
    let mut r = BufReader::new(sub.try_clone().expect("clone"));
    assert_eq!(reply(&mut r), ["subscribe", "flood", ":1"]);
    // Never read again: the server must drop this client instead of
    // buffering without bound.
    let mut c = srv.conn();
    let big = vec![b'x'; 64 * 1024];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n: i64 = c.publish("flood", &big).expect("publish");
        if n == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "subscriber never disconnected");
    }
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut c)
        .expect("client list");
    assert_eq!(
        list.lines().count(),
        1,
        "only the publisher is left: {list}"
    );
}

#[test]
fn keyspace_notifications_follow_redis_event_names() {
    let srv = Server::start(&["--threads", "2", "--notify-keyspace-events", "KEA"]);
    let mut sub = srv.raw();
    sub.write_all(&cmd(&[b"PSUBSCRIBE", b"__key*__:*"]))
        .expect("write");
    let mut r = BufReader::new(sub.try_clone().expect("clone"));
    assert_eq!(reply(&mut r), ["psubscribe", "__key*__:*", ":1"]);
    let mut c = srv.conn();
    let _: () = c.set("k", "v").expect("set");
    let _: i64 = c.lpush("l", "a").expect("lpush");
    let _: Option<String> = c.rpop("l", None).expect("rpop");
    let _: bool = c.expire("k", 100).expect("expire");
    let _: i64 = c.del("k").expect("del");
    let mut got = Vec::new();
    for _ in 0..12 {
        let m = reply(&mut r);
        got.push(format!("{} {}", m[2], m[3]));
    }
    assert_eq!(
        got,
        [
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:l lpush",
            "__keyevent@0__:lpush l",
            "__keyspace@0__:l rpop",
            "__keyevent@0__:rpop l",
            "__keyspace@0__:l del",
            "__keyevent@0__:del l",
            "__keyspace@0__:k expire",
            "__keyevent@0__:expire k",
            "__keyspace@0__:k del",
            "__keyevent@0__:del k",
        ]
    );
    // Background expiry publishes `expired`.
    let _: () = redis::cmd("SET")
        .arg("gone")
        .arg("1")
        .arg("PX")
        .arg(20)
        .query(&mut c)
        .expect("set px");
    let mut got = Vec::new();
    for _ in 0..6 {
        let m = reply(&mut r);
        got.push(format!("{} {}", m[2], m[3]));
    }
    assert_eq!(
        got,
        [
            "__keyspace@0__:gone set",
            "__keyevent@0__:set gone",
            "__keyspace@0__:gone expire",
            "__keyevent@0__:expire gone",
            "__keyspace@0__:gone expired",
            "__keyevent@0__:expired gone"
        ]
    );
}

#[test]
fn monitor_shows_commands_of_every_worker_in_redis_format() {
    let srv = Server::start(&["--threads", "3"]);
    let mut mon = srv.raw();
    mon.write_all(&cmd(&[b"MONITOR"])).expect("write");
    let mut r = BufReader::new(mon.try_clone().expect("clone"));
    let mut line = String::new();
    r.read_line(&mut line).expect("ok");
    assert_eq!(line, "+OK\r\n");
    for i in 0..3 {
        let mut c = srv.conn();
        let _: () = c
            .set(format!("key{i}"), "a \"quoted\"\n value")
            .expect("set");
        line.clear();
        r.read_line(&mut line).expect("monitor line");
        let (ts, rest) = line[1..].split_once(' ').expect("timestamp");
        assert!(ts.parse::<f64>().is_ok(), "timestamp {ts}");
        assert!(rest.starts_with("[0 127.0.0.1:"), "{rest}");
        assert!(
            rest.ends_with(&format!(
                "] \"SET\" \"key{i}\" \"a \\\"quoted\\\"\\n value\"\r\n"
            )),
            "{rest}"
        );
    }
}

/// EXEC is atomic against every other client on every thread: readers
/// never see one key of a transaction updated without the other.
#[test]
fn exec_is_atomic_under_concurrent_writers() {
    let srv = Arc::new(Server::start(&["--threads", "4"]));
    let stop = Arc::new(AtomicBool::new(false));
    // Keys in different shards, so the transaction spans shard locks.
    let (a, b) = ("atomic:a", "atomic:b");
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let srv = srv.clone();
            std::thread::spawn(move || {
                let mut c = srv.conn();
                for _ in 0..2000 {
                    let _: (i64, i64) = redis::pipe()
                        .atomic()
                        .incr(a, 1)
                        .incr(b, 1)
                        .query(&mut c)
                        .expect("exec");
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let srv = srv.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = srv.conn();
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (x, y): (Option<i64>, Option<i64>) = redis::cmd("MGET")
                        .arg(a)
                        .arg(b)
                        .query(&mut c)
                        .expect("mget");
                    assert_eq!(x, y, "a reader saw half a transaction");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().expect("reader") > 0);
    }
    let mut c = srv.conn();
    let (x, y): (i64, i64) = redis::cmd("MGET")
        .arg(a)
        .arg(b)
        .query(&mut c)
        .expect("mget");
    assert_eq!((x, y), (8000, 8000));
}

/// Optimistic locking: concurrent WATCH/GET/MULTI/SET/EXEC increments on
/// several threads lose no update, and every failed EXEC is retried.
#[test]
fn watch_resolves_races_without_lost_updates() {
    let srv = Arc::new(Server::start(&["--threads", "4"]));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let srv = srv.clone();
            std::thread::spawn(move || {
                let mut c = srv.conn();
                let mut retries = 0;
                for _ in 0..300 {
                    loop {
                        let _: () = redis::cmd("WATCH")
                            .arg("counter")
                            .query(&mut c)
                            .expect("watch");
                        let v: Option<i64> = c.get("counter").expect("get");
                        let res: Option<(String,)> = redis::pipe()
                            .atomic()
                            .set("counter", v.unwrap_or(0) + 1)
                            .query(&mut c)
                            .expect("exec");
                        if res.is_some() {
                            break;
                        }
                        retries += 1;
                    }
                }
                retries
            })
        })
        .collect();
    let retries: i32 = workers.into_iter().map(|w| w.join().expect("worker")).sum();
    let mut c = srv.conn();
    let v: i64 = c.get("counter").expect("get");
    assert_eq!(
        v, 1800,
        "no increment lost ({retries} EXECs failed and were retried)"
    );
}

/// A WATCHed key that expires makes EXEC fail, as in Redis 7.0.
#[test]
fn watch_sees_expiry() {
    let srv = Server::start(&["--threads", "2"]);
    let mut c = srv.conn();
    let _: () = redis::cmd("SET")
        .arg("w")
        .arg("1")
        .arg("PX")
        .arg(50)
        .query(&mut c)
        .expect("set");
    let _: () = redis::cmd("WATCH").arg("w").query(&mut c).expect("watch");
    std::thread::sleep(Duration::from_millis(120));
    let res: Option<(String,)> = redis::pipe()
        .atomic()
        .set("other", 1)
        .query(&mut c)
        .expect("exec");
    assert_eq!(res, None, "EXEC must fail: the watched key expired");
}

/// CLIENT TRACKING: a RESP3 client caching a key read on one worker gets an
/// invalidation push when another client changes it; a BCAST client
/// redirecting to a RESP2 subscriber gets the prefix's keys as
/// `__redis__:invalidate` messages.
#[test]
fn tracking_invalidates_across_workers() {
    let srv = Server::start(&["--threads", "3"]);
    let mut t = srv.raw();
    let mut tr = BufReader::new(t.try_clone().expect("clone"));
    t.write_all(&cmd(&[b"HELLO", b"3"])).expect("write");
    let mut line = String::new();
    tr.read_line(&mut line).expect("hello");
    assert!(line.starts_with('%'), "{line}");
    // Skip the 7 map entries of HELLO's reply.
    for _ in 0..14 {
        reply(&mut tr);
    }
    t.write_all(&cmd(&[b"CLIENT", b"TRACKING", b"ON"]))
        .expect("write");
    assert_eq!(reply(&mut tr), ["+OK"]);
    let mut c = srv.conn();
    let _: () = c.set("cached", "1").expect("set");
    t.write_all(&cmd(&[b"GET", b"cached"])).expect("write");
    assert_eq!(reply(&mut tr), ["1"]);
    let _: () = c.set("cached", "2").expect("set");
    assert_eq!(reply(&mut tr), ["invalidate", "cached"]);
    // Invalidated once: a second change sends nothing until it is read again.
    let _: () = c.set("cached", "3").expect("set");
    t.write_all(&cmd(&[b"PING"])).expect("write");
    assert_eq!(reply(&mut tr), ["+PONG"]);

    // BCAST with a prefix, redirected to a RESP2 subscriber.
    let mut sub = srv.raw();
    let mut sr = BufReader::new(sub.try_clone().expect("clone"));
    sub.write_all(&cmd(&[b"CLIENT", b"ID"])).expect("write");
    let id = reply(&mut sr)[0].trim_start_matches(':').to_string();
    sub.write_all(&cmd(&[b"SUBSCRIBE", b"__redis__:invalidate"]))
        .expect("write");
    assert_eq!(reply(&mut sr), ["subscribe", "__redis__:invalidate", ":1"]);
    let mut b = srv.conn();
    let _: () = redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("ON")
        .arg("BCAST")
        .arg("PREFIX")
        .arg("user:")
        .arg("REDIRECT")
        .arg(&id)
        .query(&mut b)
        .expect("tracking");
    let _: () = c.set("user:1", "x").expect("set");
    assert_eq!(
        reply(&mut sr),
        ["message", "__redis__:invalidate", "user:1"]
    );
    let _: () = c.set("other", "x").expect("set");
    let _: () = c.set("user:2", "x").expect("set");
    assert_eq!(
        reply(&mut sr),
        ["message", "__redis__:invalidate", "user:2"],
        "keys outside the prefix are not sent"
    );
    let info: String = redis::cmd("CLIENT")
        .arg("TRACKINGINFO")
        .query::<redis::Value>(&mut b)
        .map(|v| format!("{v:?}"))
        .expect("trackinginfo");
    assert!(info.contains("bcast"), "{info}");
}

/// UNWATCH and SUBSCRIBE queued in MULTI, MONITOR refused inside EXEC:
/// byte for byte what redis-server 7.0.15 answers (an UNWATCH inside EXEC
/// once deadlocked its worker on the watched key's shard lock).
#[test]
fn transaction_with_unwatch_subscribe_and_monitor_matches_redis() {
    let srv = Server::start(&["--threads", "2"]);
    let mut s = srv.raw();
    let input = b"WATCH k\r\nMULTI\r\nSET k 1\r\nUNWATCH\r\nEXEC\r\nMULTI\r\nSUBSCRIBE ch\r\nPING\r\nMONITOR\r\nEXEC\r\nPING\r\n";
    let want: &[u8] = b"+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    let got = common::roundtrip(&mut s, input, want.len());
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

/// Large messages are queued to every subscriber by reference: each one
/// still gets every byte, in order, in its own protocol, and its replies
/// stay in sequence with them.
#[test]
fn large_messages_reach_resp2_and_resp3_subscribers_intact() {
    let srv = Server::start(&["--threads", "3"]);
    let mut subs = Vec::new();
    for resp3 in [false, true, false, true] {
        let mut s = srv.raw();
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut r = BufReader::with_capacity(1 << 20, s.try_clone().expect("clone"));
        if resp3 {
            s.write_all(&cmd(&[b"HELLO", b"3"])).expect("write");
            let mut line = String::new();
            r.read_line(&mut line).expect("hello");
            for _ in 0..14 {
                reply(&mut r);
            }
        }
        s.write_all(&cmd(&[b"SUBSCRIBE", b"big"])).expect("write");
        assert_eq!(reply(&mut r), ["subscribe", "big", ":1"]);
        subs.push((s, r));
    }
    let mut c = srv.conn();
    let payload = |i: usize| -> Vec<u8> {
        let mut v = format!("message {i}:").into_bytes();
        v.extend((0..150_000).map(|j| b'a' + ((i + j) % 26) as u8));
        v
    };
    for i in 0..20 {
        let n: i64 = c.publish("big", payload(i)).expect("publish");
        assert_eq!(n, 4);
    }
    // A command sent after the messages were published is answered after
    // them, behind the queued frames.
    for (s, _) in subs.iter_mut() {
        s.write_all(&cmd(&[b"PING"])).expect("ping");
    }
    for (_, r) in subs.iter_mut() {
        for i in 0..20 {
            let m = reply(r);
            assert_eq!(m.len(), 3, "message {i}");
            assert_eq!((m[0].as_str(), m[1].as_str()), ("message", "big"));
            assert!(m[2].as_bytes() == payload(i), "message {i} corrupted");
        }
        let pong = reply(r);
        let short: Vec<&str> = pong.iter().map(|p| &p[..p.len().min(20)]).collect();
        assert!(pong == ["pong", ""] || pong == ["+PONG"], "{short:?}");
    }
}
