//! Start-up, configuration errors, unix socket, idle timeout and CLIENT.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

use common::{read_to_close, roundtrip};

#[test]
fn bad_config_exits_with_redis_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .args(["--port", "notaport"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("*** FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains(">>> 'port \"notaport\"'"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .arg("-v")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("v=7.0.15"));
}

#[test]
fn unix_socket_serves_commands() {
    let dir = std::env::temp_dir().join(format!("ferrite-unix-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("ferrite.sock");
    let srv = common::Server::start(&[
        "--unixsocket",
        path.to_str().unwrap(),
        "--unixsocketperm",
        "700",
    ]);
    let mut s = None;
    for _ in 0..100 {
        if let Ok(c) = UnixStream::connect(&path) {
            s = Some(c);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut s = s.expect("unix socket");
    s.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    drop(srv);
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let srv = common::Server::start(&["--timeout", "1"]);
    let mut s = srv.raw();
    assert_eq!(roundtrip(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
    // Closed within a few seconds of idleness (the read then sees EOF).
    let start = std::time::Instant::now();
    assert_eq!(read_to_close(&mut s), b"");
    assert!(start.elapsed() >= Duration::from_millis(900));
}

#[test]
fn client_setname_list_kill_and_reply() {
    let srv = common::Server::start(&["--threads", "2"]);
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(
        roundtrip(&mut a, b"CLIENT SETNAME alpha\r\n", 5),
        b"+OK\r\n"
    );
    assert_eq!(
        roundtrip(&mut a, b"CLIENT GETNAME\r\n", 11),
        b"$5\r\nalpha\r\n"
    );
    let id = String::from_utf8(roundtrip(&mut b, b"CLIENT ID\r\n", 3)).unwrap();
    let id = id.trim().trim_start_matches(':').to_string();
    let list = String::from_utf8(roundtrip(&mut a, b"CLIENT LIST\r\n", 200)).unwrap();
    assert!(list.contains("name=alpha"), "{list}");
    assert!(list.contains("cmd=client|list"), "{list}");
    // Kill b (possibly owned by the other worker thread) by id.
    let cmd = format!("CLIENT KILL ID {id}\r\n");
    assert_eq!(roundtrip(&mut a, cmd.as_bytes(), 4), b":1\r\n");
    assert_eq!(read_to_close(&mut b), b"");
    // CLIENT REPLY OFF silences replies until ON.
    a.write_all(b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n")
        .unwrap();
    let out = roundtrip(&mut a, b"", 12);
    assert_eq!(out, b"+OK\r\n+PONG\r\n");
}

/// Connects to `port` from 127.0.0.2: in 127/8 but not 127.0.0.1, so not
/// "local" for Redis's protected mode, which makes it testable on loopback.
fn connect_from_127_0_0_2(port: u16) -> std::net::TcpStream {
    let addr = |s: String| s.parse::<std::net::SocketAddr>().unwrap().into();
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&addr("127.0.0.2:0".into())).unwrap();
    sock.connect(&addr(format!("127.0.0.1:{port}"))).unwrap();
    let s: std::net::TcpStream = sock.into();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

#[test]
fn protected_mode_denies_non_loopback_clients() {
    let srv = common::Server::start(&[]);
    let mut s = connect_from_127_0_0_2(srv.port);
    let out = read_to_close(&mut s);
    assert!(
        out.starts_with(b"-DENIED Redis is running in protected mode"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // With protected mode off the same client is served.
    let srv = common::Server::start(&["--protected-mode", "no"]);
    let mut s = connect_from_127_0_0_2(srv.port);
    assert_eq!(roundtrip(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
}

/// COMMAND INFO over RESP3, byte for byte as redis-server 7.0.15 sends it:
/// flags, categories, tips and key specs are sets, and an empty list of
/// subcommands is an empty set.
#[test]
fn command_info_resp3_types_match_redis() {
    let srv = common::Server::start(&[]);
    let mut s = srv.raw();
    let hello = roundtrip(&mut s, b"HELLO 3\r\n", 1);
    assert!(hello.starts_with(b"%"));
    // Drain the rest of the HELLO map.
    std::thread::sleep(Duration::from_millis(100));
    s.set_nonblocking(true).unwrap();
    let mut sink = [0u8; 4096];
    while s.read(&mut sink).is_ok_and(|n| n > 0) {}
    s.set_nonblocking(false).unwrap();
    let want: &[u8] = b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";
    assert_eq!(
        String::from_utf8_lossy(&roundtrip(&mut s, b"COMMAND INFO get\r\n", want.len())),
        String::from_utf8_lossy(want)
    );
}
