//! Blocking pops across worker threads: waiters and pushers on different
//! connections (the server runs several workers, so they land on different
//! threads), FIFO service per key, timeouts, CLIENT UNBLOCK, disconnected
//! waiters, pushes inside MULTI served only after EXEC, and chained BLMOVEs.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redis::Connection;

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Sends a command on a raw socket without waiting for the reply.
fn send(s: &mut TcpStream, args: &[&str]) {
    let mut out = format!("*{}\r\n", args.len());
    for a in args {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(out.as_bytes()).unwrap();
}

/// Reads whatever reply bytes arrive within `wait`.
fn read_reply(s: &mut TcpStream, wait: Duration) -> String {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    match s.read(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(_) => String::new(),
    }
}

fn blocked_clients(c: &mut Connection) -> i64 {
    let info: String = q(c, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

fn wait_blocked(c: &mut Connection, n: i64) {
    let start = Instant::now();
    while blocked_clients(c) != n {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "never saw {n} blocked clients"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn waiters_are_served_in_order_across_workers() {
    let srv = common::Server::start(&["--threads", "4"]);
    let mut c = srv.conn();
    let mut waiters: Vec<TcpStream> = (0..3).map(|_| srv.raw()).collect();
    for (i, w) in waiters.iter_mut().enumerate() {
        send(w, &["BLPOP", "q", "0"]);
        wait_blocked(&mut c, i as i64 + 1);
    }
    // One push of three elements: each waiter gets one, first come first.
    assert_eq!(q::<i64>(&mut c, &["RPUSH", "q", "a", "b", "c"]), 3);
    for (w, want) in waiters.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(
            read_reply(w, Duration::from_secs(5)),
            format!("*2\r\n$1\r\nq\r\n$1\r\n{want}\r\n")
        );
    }
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "q"]), 0);
    assert_eq!(blocked_clients(&mut c), 0);
}

#[test]
fn timeouts_unblock_and_disconnects() {
    let srv = common::Server::start(&["--threads", "2"]);
    let mut c = srv.conn();
    let mut w = srv.raw();
    let start = Instant::now();
    send(&mut w, &["BRPOP", "none", "0.2"]);
    assert_eq!(read_reply(&mut w, Duration::from_secs(5)), "*-1\r\n");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(190), "{took:?}");
    // CLIENT UNBLOCK with ERROR.
    send(&mut w, &["CLIENT", "ID"]);
    let id_line = read_reply(&mut w, Duration::from_secs(5));
    let id = id_line.trim_start_matches(':').trim().to_string();
    send(&mut w, &["BZPOPMIN", "zz", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(q::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id, "ERROR"]), 1);
    assert_eq!(
        read_reply(&mut w, Duration::from_secs(5)),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(q::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id]), 0);
    // A waiter that disconnects is forgotten: the next push stays.
    let mut gone = srv.raw();
    send(&mut gone, &["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    drop(gone);
    wait_blocked(&mut c, 0);
    q::<i64>(&mut c, &["LPUSH", "k", "v"]);
    assert_eq!(q::<i64>(&mut c, &["LLEN", "k"]), 1);
}

#[test]
fn multi_pushes_serve_after_exec_and_chains_move() {
    let srv = common::Server::start(&["--threads", "3"]);
    let mut c = srv.conn();
    let mut w = srv.raw();
    send(&mut w, &["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    // Pushed then deleted inside MULTI: nothing to serve after EXEC.
    q::<String>(&mut c, &["MULTI"]);
    q::<String>(&mut c, &["LPUSH", "k", "x"]);
    q::<String>(&mut c, &["DEL", "k"]);
    let _: redis::Value = q(&mut c, &["EXEC"]);
    assert_eq!(read_reply(&mut w, Duration::from_millis(100)), "");
    assert_eq!(blocked_clients(&mut c), 1);
    // BLMOVE chain: a -> b -> the BLPOP waiter on... b is watched by w2.
    let mut mover = srv.raw();
    send(&mut mover, &["BLMOVE", "a", "k", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut c, 2);
    q::<i64>(&mut c, &["RPUSH", "a", "hello"]);
    assert_eq!(
        read_reply(&mut mover, Duration::from_secs(5)),
        "$5\r\nhello\r\n"
    );
    assert_eq!(
        read_reply(&mut w, Duration::from_secs(5)),
        "*2\r\n$1\r\nk\r\n$5\r\nhello\r\n"
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a", "k"]), 0);
    // A zset waiter is not served by a list.
    let mut zw = srv.raw();
    send(&mut zw, &["BZPOPMAX", "m", "0"]);
    wait_blocked(&mut c, 1);
    q::<i64>(&mut c, &["RPUSH", "m", "1"]);
    assert_eq!(read_reply(&mut zw, Duration::from_millis(100)), "");
    q::<i64>(&mut c, &["DEL", "m"]);
    q::<i64>(&mut c, &["ZADD", "m", "5", "five"]);
    assert_eq!(
        read_reply(&mut zw, Duration::from_secs(5)),
        "*3\r\n$1\r\nm\r\n$4\r\nfive\r\n$1\r\n5\r\n"
    );
}
