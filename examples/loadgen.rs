//! Load generator for what `redis-benchmark` cannot drive: Pub/Sub fan-out
//! and pipelined MULTI/EXEC transactions. Used by `scripts/bench-messaging`
//! to compare Ferrite with redis-server in the same run.
//!
//! ```text
//! loadgen fanout --port P [--subscribers 100] [--messages 20000] [--size 16] [--pipeline 64]
//! loadgen multi  --port P [--clients 50] [--transactions 20000] [--pipeline 16]
//! ```
//!
//! Prints one line `ops_per_sec=<n>`: messages delivered per second (every
//! subscriber's copy counts) or transactions per second. Replies are counted
//! by size, not parsed: every frame of a run has the same length, which
//! keeps the client cheap enough not to be the bottleneck. Everything runs on
//! one thread with `mio`, like redis-benchmark.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn command(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        v.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
        v.extend_from_slice(p);
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn connect(port: u16) -> std::net::TcpStream {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let s = std::net::TcpStream::connect(addr).unwrap_or_else(|e| {
        eprintln!("connect to {addr}: {e}");
        std::process::exit(2)
    });
    let _ = s.set_nodelay(true);
    s
}

/// Reads exactly `n` bytes (blocking), for handshakes.
fn read_exact(s: &mut std::net::TcpStream, n: usize) {
    let mut buf = vec![0u8; n];
    if let Err(e) = s.read_exact(&mut buf) {
        eprintln!("read: {e}");
        std::process::exit(2)
    }
}

/// Drives mio sockets until each has received its expected byte count.
struct Receivers {
    poll: Poll,
    socks: Vec<TcpStream>,
    got: Vec<usize>,
}

impl Receivers {
    fn new(socks: Vec<std::net::TcpStream>) -> Receivers {
        let poll = Poll::new().expect("epoll");
        let mut out = Vec::new();
        for (i, s) in socks.into_iter().enumerate() {
            s.set_nonblocking(true).expect("nonblocking");
            let mut m = TcpStream::from_std(s);
            poll.registry()
                .register(&mut m, Token(i), Interest::READABLE)
                .expect("register");
            out.push(m);
        }
        let n = out.len();
        Receivers {
            poll,
            socks: out,
            got: vec![0; n],
        }
    }

    /// Reads what is ready; returns the sockets that received something.
    fn pump(&mut self, events: &mut Events, timeout: Duration, buf: &mut [u8]) -> Vec<usize> {
        let _ = self.poll.poll(events, Some(timeout));
        let mut ready = Vec::new();
        for ev in events.iter() {
            let i = ev.token().0;
            loop {
                match self.socks[i].read(buf) {
                    Ok(0) => {
                        eprintln!("server closed connection {i}");
                        std::process::exit(2)
                    }
                    Ok(n) => self.got[i] += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        eprintln!("read: {e}");
                        std::process::exit(2)
                    }
                }
            }
            ready.push(i);
        }
        ready
    }
}

fn fanout(port: u16, args: &[String]) -> f64 {
    let subscribers = arg(args, "--subscribers", 100);
    let messages = arg(args, "--messages", 20_000);
    let size = arg(args, "--size", 16);
    let pipeline = arg(args, "--pipeline", 64).max(1);
    let channel = b"loadgen-channel";
    let payload = vec![b'x'; size];
    let sub_cmd = command(&[b"SUBSCRIBE", channel]);
    let confirm_len = format!(
        "*3\r\n$9\r\nsubscribe\r\n${}\r\n{}\r\n:1\r\n",
        channel.len(),
        String::from_utf8_lossy(channel)
    )
    .len();
    let mut subs = Vec::new();
    for _ in 0..subscribers {
        let mut s = connect(port);
        s.write_all(&sub_cmd).expect("subscribe");
        read_exact(&mut s, confirm_len);
        subs.push(s);
    }
    let frame_len = command(&[b"message", channel, &payload]).len();
    let expected = messages * frame_len;
    let mut rx = Receivers::new(subs);
    let mut publisher = connect(port);
    publisher
        .set_nonblocking(false)
        .expect("blocking publisher");
    let publish = command(&[b"PUBLISH", channel, &payload]);
    let mut batch = Vec::new();
    for _ in 0..pipeline {
        batch.extend_from_slice(&publish);
    }
    let reply = format!(":{subscribers}\r\n").into_bytes();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 1 << 16];
    let start = Instant::now();
    let mut sent = 0;
    while sent < messages {
        let n = pipeline.min(messages - sent);
        publisher
            .write_all(&batch[..n * publish.len()])
            .expect("publish");
        // Drain subscribers while waiting for the publisher's replies, so
        // neither side blocks on a full socket buffer.
        let mut replies = vec![0u8; n * reply.len()];
        let mut have = 0;
        publisher
            .set_read_timeout(Some(Duration::from_micros(200)))
            .ok();
        while have < replies.len() {
            match publisher.read(&mut replies[have..]) {
                Ok(0) => {
                    eprintln!("publisher connection closed");
                    std::process::exit(2)
                }
                Ok(k) => have += k,
                Err(_) => {
                    rx.pump(&mut events, Duration::ZERO, &mut buf);
                }
            }
        }
        sent += n;
        rx.pump(&mut events, Duration::ZERO, &mut buf);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while rx.got.iter().any(|&g| g < expected) {
        if Instant::now() > deadline {
            eprintln!("timed out waiting for deliveries");
            std::process::exit(2)
        }
        rx.pump(&mut events, Duration::from_millis(10), &mut buf);
    }
    let secs = start.elapsed().as_secs_f64();
    if rx.got.iter().any(|&g| g != expected) {
        eprintln!("a subscriber received more bytes than published");
        std::process::exit(2)
    }
    (messages * subscribers) as f64 / secs
}

fn multi(port: u16, args: &[String]) -> f64 {
    let clients = arg(args, "--clients", 50);
    let transactions = arg(args, "--transactions", 20_000);
    let pipeline = arg(args, "--pipeline", 16).max(1);
    let mut one = command(&[b"MULTI"]);
    for i in 0..10 {
        let key = format!("loadgen:key:{i}");
        one.extend_from_slice(&command(&[b"SET", key.as_bytes(), b"value"]));
    }
    one.extend_from_slice(&command(&[b"EXEC"]));
    // +OK, ten +QUEUED, then *10 and ten +OK.
    let reply_len = 5 + 10 * 9 + 5 + 10 * 5;
    let mut batch = Vec::new();
    for _ in 0..pipeline {
        batch.extend_from_slice(&one);
    }
    let socks: Vec<_> = (0..clients).map(|_| connect(port)).collect();
    let mut rx = Receivers::new(socks);
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 1 << 16];
    let per_client = transactions.div_ceil(clients);
    let mut done = vec![0usize; clients];
    let mut waiting = vec![0usize; clients];
    let start = Instant::now();
    let send = |rx: &mut Receivers, i: usize, done: &[usize], waiting: &mut [usize]| {
        let n = pipeline.min(per_client - done[i]);
        if n == 0 {
            return;
        }
        let bytes = &batch[..n * one.len()];
        let mut off = 0;
        while off < bytes.len() {
            match rx.socks[i].write(&bytes[off..]) {
                Ok(k) => off += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::yield_now();
                }
                Err(e) => {
                    eprintln!("write: {e}");
                    std::process::exit(2)
                }
            }
        }
        waiting[i] = n;
    };
    for i in 0..clients {
        send(&mut rx, i, &done, &mut waiting);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while done.iter().any(|&d| d < per_client) {
        if Instant::now() > deadline {
            eprintln!("timed out waiting for EXEC replies");
            std::process::exit(2)
        }
        for i in rx.pump(&mut events, Duration::from_millis(10), &mut buf) {
            if waiting[i] > 0 && rx.got[i] >= waiting[i] * reply_len {
                if rx.got[i] != waiting[i] * reply_len {
                    eprintln!("unexpected reply size: is every EXEC answering ten OKs?");
                    std::process::exit(2)
                }
                rx.got[i] = 0;
                done[i] += waiting[i];
                waiting[i] = 0;
                send(&mut rx, i, &done, &mut waiting);
            }
        }
    }
    (per_client * clients) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = arg(&args, "--port", 6379) as u16;
    let rate = match args.get(1).map(String::as_str) {
        Some("fanout") => fanout(port, &args),
        Some("multi") => multi(port, &args),
        _ => {
            eprintln!("usage: loadgen fanout|multi --port P [options] (see the source's doc)");
            std::process::exit(2)
        }
    };
    println!("ops_per_sec={rate:.0}");
}
