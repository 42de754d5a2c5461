//! Test harness: starts the real `ferrite` binary on a free port in a
//! temporary directory and stops it when the guard is dropped.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

/// A port nobody listens on right now, for servers started by tests.
#[allow(dead_code)] // not every test binary starts servers on chosen ports
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Server {
    /// Starts a server with extra `--directive value` arguments.
    pub fn start(extra: &[&str]) -> Server {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("ferrite-test-{}-{}", std::process::id(), port));
        let _ = std::fs::create_dir_all(&dir);
        Self::start_in(dir, port, extra)
    }

    /// Starts a server in a given directory (to reuse a dump file).
    pub fn start_in(dir: PathBuf, port: u16, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec![
            "--port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--save".into(),
            "".into(),
            "--enable-debug-command".into(),
            "yes".into(),
            "--logfile".into(),
            dir.join("log.txt").display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ferrite");
        let s = Server { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not start on port {port}");
    }

    /// A `redis` crate connection.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .expect("client")
            .get_connection()
            .expect("connect")
    }

    /// A raw socket to the server.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(mut self) -> PathBuf {
        // SAFETY: sending SIGTERM to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
        self.dir.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends raw bytes and reads until `expect` bytes arrived or the peer closed.
pub fn roundtrip(s: &mut TcpStream, data: &[u8], expect: usize) -> Vec<u8> {
    s.write_all(data).expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while out.len() < expect {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    out
}

/// Reads until the peer closes the connection (or 10 s pass).
pub fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}
