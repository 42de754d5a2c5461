//! Many clients on different worker threads hammering overlapping keys:
//! no torn multi-key writes, exact counters, no deadlock.

mod common;

use redis::Commands;

#[test]
fn incr_counts_are_exact() {
    let srv = common::Server::start(&["--threads", "4"]);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let mut c = srv.conn();
            std::thread::spawn(move || {
                for _ in 0..2000 {
                    let _: i64 = c.incr("counter", 1).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = srv.conn();
    assert_eq!(c.get::<_, i64>("counter").unwrap(), 16_000);
}

#[test]
fn mset_is_atomic_and_rename_does_not_deadlock() {
    let srv = common::Server::start(&["--threads", "4"]);
    let keys: Vec<String> = (0..16).map(|i| format!("k{i}")).collect();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let mut c = srv.conn();
            let keys = keys.clone();
            std::thread::spawn(move || {
                for n in 0..1000 {
                    let v = format!("{w}-{n}");
                    let mut cmd = redis::cmd("MSET");
                    for k in &keys {
                        cmd.arg(k).arg(&v);
                    }
                    let _: () = cmd.query(&mut c).unwrap();
                }
            })
        })
        .collect();
    let renamers: Vec<_> = (0..2)
        .map(|r| {
            let mut c = srv.conn();
            std::thread::spawn(move || {
                for n in 0..1000 {
                    let (a, b) = (format!("r{r}a{{x}}"), format!("r{r}b"));
                    let _: () = c.set(&a, n).unwrap();
                    let _: () = c.rename(&a, &b).unwrap();
                    let _: () = c.rename(&b, &a).unwrap();
                }
            })
        })
        .collect();
    let mut c = srv.conn();
    for _ in 0..500 {
        let vals: Vec<Option<String>> = c.mget(&keys).unwrap();
        if vals[0].is_some() {
            assert!(vals.iter().all(|v| v == &vals[0]), "torn MSET: {vals:?}");
        }
    }
    for t in writers.into_iter().chain(renamers) {
        t.join().unwrap();
    }
}
