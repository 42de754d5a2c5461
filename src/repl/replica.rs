//! The link to the master: one thread (`ferrite-repl`) that connects,
//! synchronises and applies the master's stream, reconnecting each second
//! while the link is down. It is a cold path, so it uses blocking sockets
//! with timeouts, and it may wait for shard locks (it serves no other
//! connection).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::LinkState;
use crate::commands::{Args, Keys, Planned};
use crate::net::client::ClientState;
use crate::resp::parse::{Limits, Parsed, RequestParser};
use crate::server::Server;

/// Starts the link thread.
pub fn start(srv: Arc<Server>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ferrite-repl".into())
        .spawn(move || run(srv))?;
    Ok(())
}

fn run(srv: Arc<Server>) {
    crate::script::set_may_block();
    loop {
        if srv.shutdown.load(Relaxed) {
            return;
        }
        let generation = srv.repl.generation();
        let Some((host, port)) = srv.repl.master() else {
            srv.repl.wait(1000);
            continue;
        };
        let outcome = link(&srv, &host, port, generation);
        if srv.repl.generation() != generation {
            continue;
        }
        if let Err(e) = outcome {
            if !e.is_empty() {
                crate::warning!("{e}");
            }
        }
        if srv.repl.state() == LinkState::Connected || srv.repl.down_since_ms.load(Relaxed) == 0 {
            srv.repl.down_since_ms.store(Server::now_ms(), Relaxed);
        }
        srv.repl.set_state(LinkState::Connect);
        srv.repl.wait(1000);
    }
}

/// A blocking connection to the master with line and bulk reads.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
}

impl Conn {
    fn send(&mut self, parts: &[&[u8]]) -> Result<(), String> {
        let req = crate::resp::ReplyBuf::bulk_array(parts);
        self.stream
            .write_all(&req)
            .map_err(|e| format!("Error writing to MASTER: {e}"))
    }

    /// Reads more bytes; `Ok(false)` on a read timeout.
    fn fill(&mut self) -> Result<bool, String> {
        // Consumed bytes go (positions of a parser over `buf[start..]` are
        // relative to `start`, so they stay valid).
        if self.start > 0 && (self.start == self.buf.len() || self.start >= 64 * 1024) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err("Connection with master lost.".into()),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(false)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(format!("Error reading from MASTER: {e}")),
        }
    }

    /// One line (a handshake reply), within `deadline`. Lines end with LF,
    /// a CR before it is dropped: a master waiting to start the snapshot
    /// sends bare newlines as keepalives, which come out as empty lines.
    fn line(&mut self, deadline: Instant) -> Result<String, String> {
        loop {
            if let Some(p) = self.buf[self.start..].iter().position(|&b| b == b'\n') {
                let mut end = self.start + p;
                if end > self.start && self.buf[end - 1] == b'\r' {
                    end -= 1;
                }
                let line = String::from_utf8_lossy(&self.buf[self.start..end]).into_owned();
                self.start += p + 1;
                return Ok(line);
            }
            if self.buf.len() - self.start > 64 * 1024 {
                return Err("Protocol error: line too long from MASTER".into());
            }
            if Instant::now() >= deadline {
                return Err("Timeout receiving a reply from MASTER".into());
            }
            self.fill()?;
        }
    }
}

fn connect(host: &str, port: u16, timeout: Duration) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other("Resource temporarily unavailable");
    for a in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn link(srv: &Arc<Server>, host: &str, port: u16, generation: u64) -> Result<(), String> {
    let repl = &srv.repl;
    let timeout_s = srv.config.read().get_int("repl-timeout").max(1) as u64;
    let timeout = Duration::from_secs(timeout_s);
    crate::notice!("Connecting to MASTER {host}:{port}");
    repl.set_state(LinkState::Connecting);
    let stream =
        connect(host, port, timeout).map_err(|e| format!("Unable to connect to MASTER: {e}"))?;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(timeout));
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    crate::notice!("MASTER <-> REPLICA sync started");
    repl.set_state(LinkState::Handshake);
    crate::notice!("Non blocking connect for SYNC fired the event.");
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
        start: 0,
    };
    let deadline = || Instant::now() + timeout;
    conn.send(&[b"PING"])?;
    let pong = conn.line(deadline())?;
    if pong.starts_with('-')
        && !pong.starts_with("-NOAUTH")
        && !pong.starts_with("-NOPERM")
        && !pong.starts_with("-ERR operation not permitted")
    {
        return Err(format!("Error reply to PING from master: '{}'", &pong[1..]));
    }
    crate::notice!("Master replied to PING, replication can continue...");
    let (user, pass) = {
        let cfg = srv.config.read();
        (
            cfg.get_str("masteruser").to_string(),
            cfg.get_str("masterauth").to_string(),
        )
    };
    if !pass.is_empty() {
        let mut parts: Vec<&[u8]> = vec![b"AUTH"];
        if !user.is_empty() {
            parts.push(user.as_bytes());
        }
        parts.push(pass.as_bytes());
        conn.send(&parts)?;
        let r = conn.line(deadline())?;
        if let Some(e) = r.strip_prefix('-') {
            return Err(format!("Unable to AUTH to MASTER: {e}"));
        }
    }
    let listen_port = {
        let cfg = srv.config.read();
        match cfg.get_int("replica-announce-port") {
            0 => srv.port.load(Relaxed) as i64,
            p => p,
        }
    }
    .to_string();
    conn.send(&[b"REPLCONF", b"listening-port", listen_port.as_bytes()])?;
    let r = conn.line(deadline())?;
    if let Some(e) = r.strip_prefix('-') {
        crate::notice!("(Non critical) Master does not understand REPLCONF listening-port: {e}");
    }
    conn.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])?;
    let r = conn.line(deadline())?;
    if let Some(e) = r.strip_prefix('-') {
        crate::notice!("(Non critical) Master does not understand REPLCONF capa: {e}");
    }
    conn.send(&[b"PSYNC", b"?", b"-1"])?;
    let reply = loop {
        let r = conn.line(deadline())?;
        // A master preparing the snapshot may send empty lines first.
        if !r.is_empty() {
            break r;
        }
    };
    let Some(rest) = reply.strip_prefix("+FULLRESYNC ") else {
        return Err(format!("Unexpected reply to PSYNC from master: {reply}"));
    };
    crate::notice!("Partial resynchronization not possible (no cached master)");
    let mut it = rest.split(' ');
    let replid = it.next().unwrap_or("").to_string();
    let offset: i64 = it.next().and_then(|o| o.parse().ok()).unwrap_or(-1);
    crate::notice!("Full resync from master: {replid}:{offset}");
    if repl.generation() != generation {
        return Ok(());
    }
    repl.set_state(LinkState::Transfer);
    receive_snapshot(srv, &mut conn, timeout)?;
    if repl.generation() != generation {
        return Ok(());
    }
    *repl.replid.lock() = replid;
    repl.offset.store(offset, Relaxed);
    repl.last_io_ms.store(Server::now_ms(), Relaxed);
    repl.set_state(LinkState::Connected);
    crate::notice!("MASTER <-> REPLICA sync: Finished with success");
    stream_commands(srv, &mut conn, generation, timeout)
}

/// Receives the RDB (`$<len>` or diskless `$EOF:<mark>`) into a file,
/// renames it over `dbfilename` and loads it in place of the data.
fn receive_snapshot(srv: &Server, conn: &mut Conn, timeout: Duration) -> Result<(), String> {
    let header = loop {
        let l = conn.line(Instant::now() + timeout)?;
        if !l.is_empty() {
            break l;
        }
    };
    let Some(spec) = header.strip_prefix('$') else {
        return Err(format!("Bad protocol from MASTER, the first byte is not '$' (we received '{header}'), are you sure the host and port are right?"));
    };
    let (dir, dbfile) = {
        let cfg = srv.config.read();
        (cfg.dir().to_string(), cfg.get_str("dbfilename").to_string())
    };
    let tmp = format!(
        "{dir}/temp-{}.{}.rdb",
        Server::now_ms() / 1000,
        std::process::id()
    );
    let mut file = std::fs::File::create(&tmp).map_err(|e| {
        format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
    })?;
    let mut last_data = Instant::now();
    let mut write = |data: &[u8]| -> Result<(), String> {
        file.write_all(data)
            .map_err(|e| format!("Write error saving DB on disk: {e}"))
    };
    if let Some(mark) = spec.strip_prefix("EOF:") {
        crate::notice!(
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
        );
        let mark = mark.as_bytes().to_vec();
        loop {
            let avail = &conn.buf[conn.start..];
            if avail.len() > mark.len() {
                let keep = mark.len();
                let upto = avail.len() - keep;
                write(&avail[..upto])?;
                conn.start += upto;
            }
            if conn.buf[conn.start..] == mark[..] {
                conn.start = conn.buf.len();
                break;
            }
            if !conn.fill()? {
                if last_data.elapsed() > timeout {
                    return Err("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.".into());
                }
            } else {
                last_data = Instant::now();
            }
        }
    } else {
        let mut left: u64 = spec
            .parse()
            .map_err(|_| format!("Bad protocol from MASTER: bulk length '{spec}'"))?;
        crate::notice!("MASTER <-> REPLICA sync: receiving {left} bytes from master to disk");
        while left > 0 {
            let avail = &conn.buf[conn.start..];
            let take = avail.len().min(left as usize);
            if take > 0 {
                write(&avail[..take])?;
                conn.start += take;
                left -= take as u64;
                last_data = Instant::now();
                continue;
            }
            if !conn.fill()? && last_data.elapsed() > timeout {
                return Err("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.".into());
            }
        }
    }
    file.sync_all().map_err(|e| {
        format!(
            "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {e}"
        )
    })?;
    drop(file);
    let path = format!("{dir}/{dbfile}");
    std::fs::rename(&tmp, &path)
        .map_err(|e| format!("Failed trying to rename the temp DB into {dbfile} in MASTER <-> REPLICA synchronization: {e}"))?;
    srv.log.drop_replicas(srv);
    crate::notice!("MASTER <-> REPLICA sync: Flushing old data");
    // Workers park their commands meanwhile instead of waiting.
    srv.keyspace.set_engine_active(true);
    let locked = srv.keyspace.lock_all();
    let mut keys = Keys::new(locked, 0, Server::now_ms(), Planned::default());
    crate::commands::keys::flush_everything(srv, &mut keys);
    crate::notice!("MASTER <-> REPLICA sync: Loading DB in memory");
    let loaded = crate::persist::snapshot::load_locked(srv, keys.locked());
    drop(keys);
    srv.keyspace.set_engine_active(false);
    match loaded {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "Failed trying to load the MASTER synchronization DB from disk: {e}"
        )),
    }
}

/// Applies the master's command stream until the link breaks or REPLICAOF
/// changes, acknowledging the offset every second.
fn stream_commands(
    srv: &Arc<Server>,
    conn: &mut Conn,
    generation: u64,
    timeout: Duration,
) -> Result<(), String> {
    let repl = &srv.repl;
    let stats = srv.repl_stats();
    let mut state = ClientState::for_waiter(0, 0);
    state.is_master = true;
    let shared = master_shared(srv);
    let mut parser = RequestParser::default();
    let mut last_ack = Instant::now() - Duration::from_secs(2);
    let mut last_data = Instant::now();
    let limits = Limits {
        max_bulk_len: usize::MAX / 2,
        unauthenticated: false,
    };
    loop {
        if repl.generation() != generation || srv.shutdown.load(Relaxed) {
            return Ok(());
        }
        if last_ack.elapsed() >= Duration::from_secs(1) {
            let off = repl.offset.load(Relaxed).to_string();
            conn.send(&[b"REPLCONF", b"ACK", off.as_bytes()])?;
            last_ack = Instant::now();
        }
        // Every complete command in the buffer.
        loop {
            let data = &conn.buf[conn.start..];
            let parsed = parser
                .parse(data, limits)
                .map_err(|e| format!("Protocol error from MASTER: {}", e.0))?;
            let Some(parsed) = parsed else { break };
            let consumed = parser.consumed();
            match parsed {
                Parsed::Empty => {}
                Parsed::Multibulk => {
                    let args = Args::new(data, parser.args());
                    if args.is(0, "replconf") && args.is(1, "getack") {
                        let off = repl.offset.load(Relaxed).to_string();
                        conn.send(&[b"REPLCONF", b"ACK", off.as_bytes()])?;
                    } else if !args.is(0, "ping") {
                        crate::commands::dispatch::run_master_command(
                            srv, &stats, &mut state, &shared, args,
                        );
                    }
                }
                Parsed::Inline(_) => {}
            }
            repl.offset.fetch_add(consumed as i64, Relaxed);
            conn.start += consumed;
            parser.shift(consumed);
            if conn.start == conn.buf.len() {
                break;
            }
        }
        match conn.fill() {
            Ok(true) => {
                last_data = Instant::now();
                repl.last_io_ms.store(Server::now_ms(), Relaxed);
            }
            Ok(false) => {
                if last_data.elapsed() > timeout {
                    return Err("MASTER timeout: no data nor PING received...".into());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The master client's record, for CLIENT LIST and MONITOR.
fn master_shared(srv: &Server) -> Arc<crate::net::client::ClientShared> {
    let id = srv.next_client_id.fetch_add(1, Relaxed);
    let addr = srv
        .repl
        .master()
        .map(|(h, p)| format!("{h}:{p}"))
        .unwrap_or_default();
    Arc::new(crate::net::client::ClientShared::new(
        id,
        0,
        addr,
        String::new(),
        -1,
        false,
    ))
}
