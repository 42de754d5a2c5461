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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
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

    let fport = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let srv = common::Server::start_in(dir, fport, &[]);
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
