//! Protocol edge cases and hostile input over raw sockets.

mod common;

use common::{read_to_close, roundtrip};
use std::io::Write;

#[test]
fn inline_and_pipelining() {
    let srv = common::Server::start(&[]);
    let mut s = srv.raw();
    assert_eq!(roundtrip(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
    assert_eq!(
        roundtrip(&mut s, b"set k \"a b\"\r\nget k\r\n", 14),
        b"+OK\r\n$3\r\na b\r\n"
    );
    // 10,000 pipelined commands in one write.
    let mut batch = Vec::new();
    for _ in 0..10_000 {
        batch.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    }
    let out = roundtrip(&mut s, &batch, 7 * 10_000);
    assert_eq!(out.len(), 7 * 10_000);
    assert!(out.chunks(7).all(|c| c == b"+PONG\r\n"));
}

#[test]
fn protocol_errors_close_the_connection() {
    let srv = common::Server::start(&[]);
    let cases: &[(&[u8], &[u8])] = &[
        (
            b"*3000000000\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n$-10\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$99999999999\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\nfoo\r\n",
            b"-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            b"set \"unbalanced\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (input, reply) in cases {
        let mut s = srv.raw();
        s.write_all(input).unwrap();
        assert_eq!(
            read_to_close(&mut s),
            *reply,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
    // A 1 MB inline line without newline.
    let mut s = srv.raw();
    let _ = s.write_all(&vec![b'a'; 1 << 20]);
    let out = read_to_close(&mut s);
    assert!(
        out.starts_with(b"-ERR Protocol error: too big inline request"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // Binary junk never crashes the server.
    let mut s = srv.raw();
    let junk: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let _ = s.write_all(&junk);
    let _ = read_to_close(&mut s);
    let mut c = srv.conn();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn big_argument_and_unterminated_frames() {
    let srv = common::Server::start(&[]);
    let mut s = srv.raw();
    let big = vec![b'x'; 20 << 20];
    let mut req = format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n", big.len()).into_bytes();
    req.extend_from_slice(&big);
    req.extend_from_slice(b"\r\n");
    assert_eq!(roundtrip(&mut s, &req, 5), b"+OK\r\n");
    assert_eq!(
        roundtrip(&mut s, b"*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n", 11),
        b":20971520\r\n"
    );
    // An unterminated frame followed by a disconnect leaves the server fine.
    let mut t = srv.raw();
    t.write_all(b"*2\r\n$3\r\nGET\r\n$100\r\nabc").unwrap();
    drop(t);
    let mut c = srv.conn();
    assert_eq!(
        redis::cmd("STRLEN")
            .arg("big")
            .query::<i64>(&mut c)
            .unwrap(),
        20 << 20
    );
}

#[test]
fn unknown_command_and_arity_errors() {
    let srv = common::Server::start(&[]);
    let mut s = srv.raw();
    assert_eq!(
        roundtrip(&mut s, b"FOO bar baz\r\n", 67),
        b"-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n".to_vec()
    );
    let want = b"-ERR wrong number of arguments for 'get' command\r\n";
    assert_eq!(roundtrip(&mut s, b"GET\r\n", want.len()), want.to_vec());
    let want = b"-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n";
    assert_eq!(
        roundtrip(&mut s, b"CONFIG foo\r\n", want.len()),
        want.to_vec()
    );
}

#[test]
fn resp3_hello() {
    let srv = common::Server::start(&[]);
    let mut s = srv.raw();
    let out = roundtrip(&mut s, b"HELLO 3\r\n", 1);
    assert!(
        out.starts_with(b"%7\r\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut s2 = srv.raw();
    let _ = roundtrip(&mut s2, b"HELLO 3\r\n", 100);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(roundtrip(&mut s2, b"GET nokey\r\n", 3), b"_\r\n");
}

/// Polls INFO on `s` until `connected_clients` is `n` (at most 10 s).
fn wait_connected_clients(s: &mut std::net::TcpStream, n: usize) {
    let want = format!("connected_clients:{n}\r\n");
    for _ in 0..500 {
        // Read the whole bulk reply, so the next INFO starts aligned.
        let mut info = roundtrip(s, b"INFO clients\r\n", 8);
        let header_end = info.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
        let len: usize = std::str::from_utf8(&info[1..header_end])
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        while info.len() < header_end + 2 + len + 2 {
            let more = roundtrip(s, b"", 1);
            if more.is_empty() {
                break;
            }
            info.extend_from_slice(&more);
        }
        if String::from_utf8_lossy(&info).contains(&want) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("connected_clients never reached {n}");
}

#[test]
fn auth_and_maxclients() {
    let srv = common::Server::start(&["--requirepass", "secret", "--maxclients", "3"]);
    let mut s = srv.raw();
    let want = b"-NOAUTH Authentication required.\r\n";
    assert_eq!(roundtrip(&mut s, b"GET x\r\n", want.len()), want.to_vec());
    let want = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    assert_eq!(
        roundtrip(&mut s, b"AUTH nope\r\n", want.len()),
        want.to_vec()
    );
    assert_eq!(roundtrip(&mut s, b"AUTH secret\r\n", 5), b"+OK\r\n");
    // The start-up probe's connection may not be reaped yet: until it is,
    // it counts toward maxclients, as in Redis.
    wait_connected_clients(&mut s, 1);
    let _a = srv.raw();
    let _b = srv.raw();
    wait_connected_clients(&mut s, 3);
    let mut d = srv.raw();
    assert_eq!(
        read_to_close(&mut d),
        b"-ERR max number of clients reached\r\n"
    );
}

#[test]
fn config_set_port_rebinds() {
    let srv = common::Server::start(&[]);
    let mut s = srv.raw();
    let new_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cmd = format!("CONFIG SET port {new_port}\r\n");
    assert_eq!(roundtrip(&mut s, cmd.as_bytes(), 5), b"+OK\r\n");
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(mut t) = std::net::TcpStream::connect(("127.0.0.1", new_port)) {
            t.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            ok = roundtrip(&mut t, b"PING\r\n", 7) == b"+PONG\r\n";
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(ok, "new port does not answer");
    // A port that is taken fails and leaves the configuration unchanged.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cmd = format!("CONFIG SET port {}\r\n", taken.local_addr().unwrap().port());
    let out = roundtrip(&mut s, cmd.as_bytes(), 40);
    assert!(
        out.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'port')"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}
