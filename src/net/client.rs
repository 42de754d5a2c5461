//! A client connection: socket, query buffer, output buffer and session state.
//!
//! The worker that owns a connection is the only thread that touches
//! [`Client`]. What other threads need to see or change (CLIENT LIST, CLIENT
//! KILL) lives in [`ClientShared`]: atomics the owner updates and a kill flag
//! it checks when its mailbox wakes it.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::Arc;

use mio::net::{TcpStream, UnixStream};
use parking_lot::Mutex;

use crate::resp::parse::{Limits, RequestParser};
use crate::resp::ReplyBuf;

/// A TCP or unix-socket stream.
pub enum Conn {
    /// TCP.
    Tcp(TcpStream),
    /// Unix domain socket.
    Unix(UnixStream),
}

impl Conn {
    /// Reads what is available.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }

    /// Writes what the socket takes.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }

    /// The raw descriptor (CLIENT LIST `fd=`).
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }

    /// True for unix-socket clients (`flags=U`, and "local" for DEBUG).
    pub fn is_unix(&self) -> bool {
        matches!(self, Conn::Unix(_))
    }
}

/// Client state visible to other threads.
pub struct ClientShared {
    /// Client id.
    pub id: u64,
    /// Owning worker.
    pub worker: usize,
    /// Peer address `ip:port` or `path:0`.
    pub addr: String,
    /// Local address.
    pub laddr: String,
    /// Socket descriptor.
    pub fd: i32,
    /// Connection time, Unix ms.
    pub created_ms: i64,
    /// Last command time, Unix ms.
    pub last_interaction_ms: AtomicI64,
    /// Selected database.
    pub db: AtomicUsize,
    /// Name set by CLIENT SETNAME / HELLO SETNAME.
    pub name: Mutex<Option<Vec<u8>>>,
    /// Id in the command table of the last command, +1 (0: none yet).
    pub last_cmd: AtomicU32,
    /// Query buffer size (CLIENT LIST `qbuf=`).
    pub qbuf: AtomicUsize,
    /// Pending output bytes (`omem=`).
    pub omem: AtomicUsize,
    /// Memory held by the output buffers of a replica connection (left out
    /// of `used_memory` for eviction, as Redis leaves replica buffers out).
    pub obuf_alloc: AtomicUsize,
    /// A replica of ours (it sent SYNC/PSYNC): CLIENT LIST flag `S`, type
    /// `replica`.
    pub is_replica: AtomicBool,
    /// Protocol version 2 or 3.
    pub resp: AtomicU32,
    /// Kill requested by another client.
    pub kill: AtomicBool,
    /// CLIENT NO-EVICT ON (shown as flag `e`).
    pub no_evict: AtomicBool,
    /// Unix socket client.
    pub unix: bool,
    /// Bytes read and written, for `tot-net-in`-like stats.
    pub net_in: AtomicU64,
    /// Channels, patterns and shard channels subscribed (`sub=` `psub=`
    /// `ssub=`), copied by the owning worker after each batch.
    pub subs: [AtomicU32; 3],
    /// In MONITOR mode (flag `O`).
    pub monitor: AtomicBool,
    /// The connection's slot in its worker, for deliveries from others.
    pub token: AtomicU32,
    /// CLIENT TRACKING settings, read by whoever sends it invalidations.
    pub tracking: Mutex<crate::tracking::TrackingConf>,
    /// The waiter while blocked, so CLIENT UNBLOCK can reach it.
    pub waiter: Mutex<Option<Arc<crate::store::waiters::Waiter>>>,
}

impl ClientShared {
    /// A fresh record: a connection's (`fd` >= 0) or one without a socket
    /// of its own (the master link's client, `fd` -1).
    pub fn new(
        id: u64,
        worker: usize,
        addr: String,
        laddr: String,
        fd: i32,
        unix: bool,
    ) -> ClientShared {
        let now = crate::server::Server::now_ms();
        ClientShared {
            id,
            worker,
            addr,
            laddr,
            fd,
            created_ms: now,
            last_interaction_ms: now.into(),
            db: 0.into(),
            name: Default::default(),
            last_cmd: 0.into(),
            qbuf: 0.into(),
            omem: 0.into(),
            obuf_alloc: 0.into(),
            is_replica: false.into(),
            resp: 2.into(),
            kill: false.into(),
            no_evict: false.into(),
            unix,
            net_in: 0.into(),
            subs: Default::default(),
            monitor: Default::default(),
            token: Default::default(),
            tracking: Default::default(),
            waiter: Default::default(),
        }
    }
}

/// Per-connection session state that commands read and change.
#[derive(Debug)]
pub struct ClientState {
    /// Client id.
    pub id: u64,
    /// The last command run and its start (Unix µs), whose duration is
    /// closed by the next clock read (see `dispatch::close_timing`).
    pub open_timing: Option<(usize, i64)>,
    /// Selected database.
    pub db: usize,
    /// Authenticated (or no password required).
    pub authenticated: bool,
    /// Close the connection once the pending replies are written.
    pub close_after_reply: bool,
    /// CLIENT REPLY state.
    pub reply: ReplyFlags,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// Connected over a unix socket or loopback (for `enable-debug-command local`).
    pub local: bool,
    /// Running EXEC's commands: blocking commands don't block.
    pub in_multi: bool,
    /// The client a script's commands run as (SORT then orders sets).
    pub in_script: bool,
    /// The master link's client (a replica applying its master's stream):
    /// no read-only, stale-data or memory refusals.
    pub is_master: bool,
    /// This connection is a replica of ours (it sent SYNC/PSYNC): it gets
    /// the effects log and sends only REPLCONF.
    pub replica: Option<Arc<crate::repl::master::ReplicaLink>>,
    /// The port a replica announced with REPLCONF listening-port, before
    /// its SYNC/PSYNC.
    pub replconf_port: u32,
    /// The stream offset after this client's last write (WAIT waits for
    /// replicas to acknowledge it).
    pub woff: i64,
    /// In WAIT.
    pub wait_acks: Option<crate::repl::master::WaitAcks>,
    /// Commands queued since MULTI.
    pub multi: Option<crate::commands::multi::MultiState>,
    /// The last transaction's emptied queue, reused by the next MULTI.
    pub multi_spare: Option<crate::commands::multi::MultiState>,
    /// Keys under WATCH, with their database.
    pub watched: Vec<(usize, Vec<u8>)>,
    /// Set by any write to a watched key: EXEC then fails.
    pub watch_dirty: Arc<std::sync::atomic::AtomicBool>,
    /// Pub/Sub subscriptions.
    pub subs: crate::pubsub::ClientSubs,
    /// In MONITOR mode.
    pub monitor: bool,
    /// The connection's worker and its slot there, to be found by Pub/Sub
    /// deliveries and MONITOR.
    pub worker: u32,
    /// See `worker`.
    pub token: u32,
    /// Tracking on (a copy of the shared settings, for the hot path).
    pub tracking: Option<crate::tracking::TrackingConf>,
    /// CLIENT CACHING yes/no was given for the next command.
    pub caching: bool,
    /// Invalidations of keys this client's command changed: written after
    /// its reply, as Redis 7.0 does.
    pub pushes_after: Vec<u8>,
    /// Out-of-band messages (subscribe confirmations, messages published to
    /// itself) produced while the current command ran: they precede its
    /// reply and are never dropped by CLIENT REPLY OFF/SKIP.
    pub pushes: Vec<u8>,
}

impl ClientState {
    /// The state a blocked client's command runs with when it is served on
    /// another thread than its own.
    pub fn for_waiter(id: u64, db: usize) -> ClientState {
        ClientState {
            id,
            open_timing: None,
            db,
            authenticated: true,
            close_after_reply: false,
            reply: ReplyFlags::default(),
            no_evict: false,
            local: false,
            in_multi: false,
            in_script: false,
            is_master: false,
            replica: None,
            replconf_port: 0,
            woff: 0,
            wait_acks: None,
            multi: None,
            multi_spare: None,
            watched: Vec::new(),
            watch_dirty: Default::default(),
            subs: Default::default(),
            monitor: false,
            tracking: None,
            caching: false,
            pushes_after: Vec::new(),
            worker: 0,
            token: 0,
            pushes: Vec::new(),
        }
    }
}

/// CLIENT REPLY state, Redis's `CLIENT_REPLY_OFF/SKIP/SKIP_NEXT` flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyFlags {
    /// CLIENT REPLY OFF: no replies until ON.
    pub off: bool,
    /// The reply of the command running now is dropped.
    pub skip: bool,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped.
    pub skip_next: bool,
}

/// A connection owned by one worker.
pub struct Client {
    /// The socket.
    pub conn: Conn,
    /// Received bytes; `filled` of them are valid.
    pub qbuf: Vec<u8>,
    /// End of received data in `qbuf`.
    pub filled: usize,
    /// Request parser state.
    pub parser: RequestParser,
    /// Encoded replies and the protocol version.
    pub out: ReplyBuf,
    /// Bytes of `out.buf` already written.
    pub written: usize,
    /// Output that goes before `out.buf`: large Pub/Sub frames held by
    /// reference (shared by every subscriber, not copied into each one's
    /// buffer) and the replies that were pending when they arrived.
    queued: std::collections::VecDeque<OutChunk>,
    /// Bytes not yet written in `queued`.
    queued_bytes: usize,
    /// Session state.
    pub state: ClientState,
    /// What other threads see.
    pub shared: Arc<ClientShared>,
    /// The socket may have more to read (edge-triggered readiness).
    pub readable: bool,
    /// The socket can't take more output right now.
    pub write_blocked: bool,
    /// Queued in the worker's end-of-turn write list.
    pub write_queued: bool,
    /// The pending output includes messages from other connections (Pub/Sub,
    /// invalidations, MONITOR): a burst nobody asked for, whose buffer goes
    /// back to the allocator once written.
    pub delivered_output: bool,
    /// Blocked on keys (BLPOP...) as this waiter.
    pub blocked: Option<Arc<crate::store::waiters::Waiter>>,
    /// When the output first went over the soft output-buffer limit.
    pub soft_limit_since: Option<std::time::Instant>,
    /// Its command runs on the script engine, which holds `state` (a
    /// placeholder is here meanwhile): run nothing until it comes back.
    pub scripting: bool,
    /// Closed while scripting: closed for good once the state is back.
    pub close_pending: bool,
    /// Deliveries that arrived while scripting, which need the state to be
    /// filtered (subscriptions, MONITOR, tracking): delivered on return.
    pub held: Vec<crate::net::worker::Delivery>,
}

/// A piece of output queued ahead of the reply buffer.
enum OutChunk {
    /// Bytes of our own, from this offset.
    Owned(Vec<u8>, usize),
    /// A frame shared with other connections, from this offset.
    Shared(Arc<[u8]>, usize),
}

impl OutChunk {
    fn remaining(&self) -> &[u8] {
        match self {
            OutChunk::Owned(v, at) => &v[*at..],
            OutChunk::Shared(f, at) => &f[*at..],
        }
    }

    /// Marks `n` more bytes written; true when the chunk is done.
    fn advance(&mut self, n: usize) -> bool {
        match self {
            OutChunk::Owned(v, at) => {
                *at += n;
                *at >= v.len()
            }
            OutChunk::Shared(f, at) => {
                *at += n;
                *at >= f.len()
            }
        }
    }
}

/// Initial query buffer size.
const QBUF_INITIAL: usize = 16 * 1024;

/// Largest output buffer kept once written out (what one batch of ordinary
/// replies needs); a bigger one goes back to the allocator.
const OUT_KEEP: usize = 16 * 1024;

/// An output buffer's size when new or given back (Redis's
/// `PROTO_REPLY_MIN_BYTES`).
const OUT_INITIAL: usize = 1024;

/// Largest empty query buffer kept between batches.
const QBUF_RETAIN_MAX: usize = 1 << 20;

impl Client {
    /// Wraps a freshly accepted connection.
    pub fn new(conn: Conn, shared: Arc<ClientShared>, authenticated: bool) -> Client {
        let local =
            conn.is_unix() || shared.addr.starts_with("127.") || shared.addr.starts_with("[::1]");
        Client {
            conn,
            qbuf: Vec::new(),
            filled: 0,
            parser: RequestParser::default(),
            out: ReplyBuf::new(),
            written: 0,
            queued: Default::default(),
            queued_bytes: 0,
            state: ClientState {
                id: shared.id,
                open_timing: None,
                db: 0,
                authenticated,
                close_after_reply: false,
                reply: ReplyFlags::default(),
                no_evict: false,
                local,
                in_multi: false,
                in_script: false,
                is_master: false,
                replica: None,
                replconf_port: 0,
                woff: 0,
                wait_acks: None,
                multi: None,
                multi_spare: None,
                watched: Vec::new(),
                watch_dirty: Default::default(),
                subs: Default::default(),
                monitor: false,
                tracking: None,
                caching: false,
                pushes_after: Vec::new(),
                worker: shared.worker as u32,
                token: 0,
                pushes: Vec::new(),
            },
            blocked: None,
            soft_limit_since: None,
            scripting: false,
            close_pending: false,
            held: Vec::new(),
            shared,
            readable: true,
            write_blocked: false,
            write_queued: false,
            delivered_output: false,
        }
    }

    /// Parser limits for the next request.
    pub fn limits(&self, max_bulk_len: usize, auth_required: bool) -> Limits {
        Limits {
            max_bulk_len,
            unauthenticated: auth_required && !self.state.authenticated,
        }
    }

    /// Reads once from the socket into the query buffer. `Ok(0)` is EOF.
    ///
    /// A big bulk argument gets room for all of it at once, but never more
    /// than the bytes already received plus 1 MiB: the buffer grows with what
    /// the client actually sends, not with the length it announces.
    pub fn read_some(&mut self) -> io::Result<usize> {
        let free = self.qbuf.len() - self.filled;
        let want = match self.parser.awaiting_bulk(self.filled) {
            Some(missing) if missing > QBUF_INITIAL => missing.min(self.filled.max(1 << 20)),
            _ => QBUF_INITIAL,
        };
        if free < want {
            let geometric = if want == QBUF_INITIAL {
                self.qbuf.len() * 2
            } else {
                0
            };
            self.qbuf
                .resize((self.filled + want).max(geometric).max(QBUF_INITIAL), 0);
        }
        let space = self.qbuf.len() - self.filled;
        let n = self.conn.read(&mut self.qbuf[self.filled..])?;
        self.filled += n;
        // A read that didn't fill the buffer drained the socket: with
        // edge-triggered epoll, data arriving later raises a new event, so
        // skip the read that would only return EAGAIN (one syscall less
        // per request, as Redis's level-triggered loop does).
        if n > 0 && n < space {
            self.readable = false;
        }
        Ok(n)
    }

    /// Drops the consumed prefix of the query buffer after a batch.
    pub fn compact(&mut self) {
        let consumed = self.parser.consumed();
        if consumed == 0 {
            return;
        }
        if consumed == self.filled {
            self.filled = 0;
            self.parser.shift(consumed);
            // A buffer grown for big requests is kept while they keep
            // coming (freeing and regrowing it for each one churns the
            // allocator and leaves dirty pages); the worker's cron frees it
            // once the client is idle, as Redis's query buffer resizing.
            if self.qbuf.len() > QBUF_RETAIN_MAX {
                self.qbuf = Vec::new();
            }
            return;
        }
        self.qbuf.copy_within(consumed..self.filled, 0);
        self.filled -= consumed;
        self.parser.shift(consumed);
    }

    /// Frees a big query buffer, and shrinks an output buffer, that hold
    /// nothing (cron, idle clients), as Redis's client cron resizes them.
    pub fn release_idle_buffer(&mut self) {
        if self.filled == 0 && self.qbuf.len() > 4 * QBUF_INITIAL {
            self.qbuf = Vec::new();
        }
        if self.pending_output() == 0 && self.out.buf.capacity() > OUT_INITIAL {
            self.out.buf = Vec::with_capacity(OUT_INITIAL);
        }
    }

    /// Unparsed bytes waiting in the query buffer.
    pub fn pending_input(&self) -> usize {
        self.filled - self.parser.consumed()
    }

    /// Queues a frame shared with other receivers, after everything
    /// pending: the pending part of `out.buf` moves (without copying) in
    /// front of it. `first` replaces the frame's first byte (a RESP3 client
    /// gets `>` for the frame's `*`, written as a chunk of its own).
    pub fn queue_shared(&mut self, frame: &Arc<[u8]>, first: Option<u8>) {
        if self.pending_buf() > 0 {
            let mut v = std::mem::replace(&mut self.out.buf, Vec::with_capacity(OUT_INITIAL));
            v.drain(..self.written);
            self.written = 0;
            self.queued_bytes += v.len();
            self.queued.push_back(OutChunk::Owned(v, 0));
        } else {
            self.out.buf.clear();
            self.written = 0;
        }
        let start = match first {
            Some(b) => {
                self.queued.push_back(OutChunk::Owned(vec![b], 0));
                self.queued_bytes += 1;
                1
            }
            None => 0,
        };
        self.queued_bytes += frame.len() - start;
        self.queued
            .push_back(OutChunk::Shared(frame.clone(), start));
    }

    /// Writes the queued chunks; false if the socket would block first.
    fn flush_queued(&mut self, total: &mut usize) -> io::Result<bool> {
        while let Some(chunk) = self.queued.front_mut() {
            let bytes = chunk.remaining();
            match self.conn.write(bytes) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => {
                    *total += n;
                    self.queued_bytes -= n;
                    if chunk.advance(n) {
                        self.queued.pop_front();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Writes pending output. Returns false if the socket is closed.
    pub fn flush(&mut self) -> io::Result<usize> {
        let mut total = 0;
        if !self.queued.is_empty() && !self.flush_queued(&mut total)? {
            return Ok(total);
        }
        while self.written < self.out.buf.len() {
            match self.conn.write(&self.out.buf[self.written..]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => {
                    self.written += n;
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                    return Ok(total);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.write_blocked = false;
        self.written = 0;
        self.out.buf.clear();
        let cap = self.out.buf.capacity();
        if cap > OUT_KEEP || (std::mem::take(&mut self.delivered_output) && cap > 4 * OUT_INITIAL) {
            // What a burst needed is given back once written, as Redis frees
            // its reply list: a thousand clients that once received a big
            // reply don't keep it, and memory freed by evicting keys isn't
            // kept by the invalidations that eviction sent.
            self.out.buf = Vec::with_capacity(OUT_INITIAL);
        }
        Ok(total)
    }

    /// The `client-output-buffer-limit` class.
    pub fn output_class(&self) -> crate::config::ClientClass {
        use crate::config::ClientClass;
        // MONITOR clients count as normal ones, as in Redis's getClientType.
        if self.state.subs.any() {
            ClientClass::Pubsub
        } else {
            ClientClass::Normal
        }
    }

    /// True once pending output broke its class's hard limit, or stayed over
    /// the soft limit longer than allowed (Redis's `checkClientOutputBufferLimits`).
    pub fn over_output_limit(&mut self, srv: &crate::server::Server) -> bool {
        let (hard, soft, secs) = srv.obuf_limit(self.output_class());
        let used = self.pending_output() as u64;
        if hard > 0 && used >= hard {
            return true;
        }
        if soft > 0 && used >= soft {
            let since = *self
                .soft_limit_since
                .get_or_insert_with(std::time::Instant::now);
            return since.elapsed().as_secs() > secs;
        }
        self.soft_limit_since = None;
        false
    }

    /// Copies what CLIENT LIST shows of the session into the shared state.
    pub fn publish_session(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let s = &self.state.subs;
        let sh = &self.shared;
        sh.subs[0].store(s.channels.len() as u32, Relaxed);
        sh.subs[1].store(s.patterns.len() as u32, Relaxed);
        sh.subs[2].store(s.shard.len() as u32, Relaxed);
        sh.monitor.store(self.state.monitor, Relaxed);
    }

    /// Memory the output buffers hold (the reply buffer at its allocation
    /// size plus the queued shared frames).
    pub fn output_alloc(&self) -> usize {
        crate::util::alloc::size_class(self.out.buf.capacity()) + self.queued_bytes
    }

    /// For a replica connection, publishes [`Client::output_alloc`].
    pub fn publish_replica_output(&self) {
        if self.state.replica.is_some() {
            self.shared
                .obuf_alloc
                .store(self.output_alloc(), std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Output not yet written.
    pub fn pending_output(&self) -> usize {
        self.queued_bytes + self.pending_buf()
    }

    /// Bytes of `out.buf` not yet written.
    fn pending_buf(&self) -> usize {
        self.out.buf.len() - self.written
    }
}
