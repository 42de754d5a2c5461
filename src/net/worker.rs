//! A worker thread: one epoll loop serving its share of the connections.
//!
//! Each worker owns its connections outright. For each readable connection
//! it reads what the socket has, parses every complete command in the buffer,
//! executes them in order (taking the shard locks each needs), appends the
//! replies to the output buffer and writes once per batch, so a pipeline of N
//! commands costs one read and one write, not N.
//!
//! If a command's shard lock is held by another worker, the connection is
//! *parked*: its unexecuted input stays in the buffer and the worker goes on
//! serving others, retrying parked connections on the next loop turn. Other
//! threads reach a worker only through its [`Mailbox`] (new connections,
//! CLIENT KILL), woken by an eventfd.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};
use parking_lot::Mutex;

use super::client::{Client, ClientShared, Conn};
use crate::commands::dispatch::{execute_batch, BatchOutcome};
use crate::server::{bump, Server};
use crate::store::expire::ExpireCycle;
use crate::store::waiters::{GONE, TIMED_OUT, UNBLOCKED_ERROR, WAITING};

const WAKER: Token = Token(usize::MAX);

/// Messages other threads send a worker.
pub enum Msg {
    /// A newly accepted connection to serve.
    NewClient(Conn, Arc<ClientShared>),
    /// Look at kill flags (CLIENT KILL), unblock requests (CLIENT UNBLOCK)
    /// and the shutdown flag.
    Check,
    /// Pub/Sub messages (and MONITOR lines) for connections of this worker.
    Deliver(Vec<Delivery>),
    /// A blocked client was served on another thread: its reply.
    Served {
        /// The blocked connection.
        client_id: u64,
        /// The encoded reply of its command.
        reply: Vec<u8>,
    },
    /// The script engine ran a connection's command: its state and reply.
    ScriptDone(Box<crate::script::Done>),
}

/// One frame for several connections of a worker.
pub struct Delivery {
    /// The bytes; what they are depends on `kind`.
    pub frame: std::sync::Arc<[u8]>,
    /// (client id, token) of each receiver.
    pub targets: Vec<(u64, u32)>,
    /// How the receiving worker writes `frame`.
    pub kind: DeliveryKind,
    /// For Pub/Sub: the subscription that matched (kind and channel or
    /// pattern), which the receiver must still hold.
    pub topic: Option<(crate::pubsub::Kind, std::sync::Arc<[u8]>)>,
}

/// How a delivered frame reaches a connection's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A Pub/Sub message as a RESP2 frame: RESP3 clients get it with `>`
    /// for `*`; dropped if the client left Pub/Sub mode meanwhile.
    PubSub,
    /// Bytes written as they are (RESP3-only pushes).
    Raw,
    /// A MONITOR line: dropped if the client left MONITOR mode (RESET).
    Monitor,
    /// A client-side caching invalidation whose frame is the payload (an
    /// array of keys, empty for the null of a flush): a RESP3 push, or for
    /// a RESP2 redirection target in Pub/Sub mode, a message on
    /// `__redis__:invalidate`.
    Invalidation {
        /// Sent to a REDIRECT target (RESP2 only receives it then).
        via_redirect: bool,
    },
}

thread_local! {
    static CURRENT_WORKER: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// The index of the worker running on this thread, if it is one.
pub fn current_worker() -> Option<usize> {
    CURRENT_WORKER.with(|c| c.get())
}

/// A worker's inbox.
pub struct Mailbox {
    queue: Mutex<Vec<Msg>>,
    waker: Waker,
    /// Bytes of deliveries queued here and not yet written to sockets:
    /// output on its way, which eviction leaves out of `used_memory` as
    /// Redis leaves out replica buffers, so that the invalidations an
    /// eviction sends can't trigger evictions before they are written.
    in_flight: AtomicUsize,
}

/// The memory a delivery message holds, for [`Mailbox::in_flight_bytes`]:
/// its allocations at their allocator size classes (each frame is an
/// `Arc<[u8]>` with two counters in front), plus the queue slot, counted
/// twice for the queue's spare capacity.
fn delivery_bytes(list: &Vec<Delivery>) -> usize {
    use crate::util::alloc::size_class;
    use std::mem::size_of;
    let each: usize = list
        .iter()
        .map(|d| {
            size_class(16 + d.frame.len())
                + size_class(d.targets.capacity() * size_of::<(u64, u32)>())
        })
        .sum();
    each + size_class(list.capacity() * size_of::<Delivery>()) + 2 * size_of::<Msg>()
}

impl Mailbox {
    /// Queues a message and wakes the worker.
    pub fn send(&self, m: Msg) {
        self.send_from(m, false);
    }

    /// Queues a message; `local` when sent by the worker itself, which
    /// drains its queue before writing replies, so it needs no wake-up.
    /// Otherwise only the message that finds the queue empty wakes the
    /// worker: it takes the whole queue when it wakes.
    pub fn send_from(&self, m: Msg, local: bool) {
        if let Msg::Deliver(list) = &m {
            self.in_flight.fetch_add(delivery_bytes(list), Relaxed);
        }
        let mut q = self.queue.lock();
        let was_empty = q.is_empty();
        q.push(m);
        drop(q);
        if was_empty && !local {
            let _ = self.waker.wake();
        }
    }

    /// Wakes the worker to re-check flags.
    pub fn wake(&self) {
        self.send(Msg::Check);
    }

    /// Bytes of deliveries sent to this worker and not yet written out.
    pub fn in_flight_bytes(&self) -> usize {
        self.in_flight.load(Relaxed)
    }
}

/// The state of one worker thread.
pub struct Worker {
    idx: usize,
    srv: Arc<Server>,
    poll: Poll,
    mailbox: Arc<Mailbox>,
    clients: Vec<Option<Client>>,
    free: Vec<usize>,
    /// Connections to revisit without waiting for readiness: parked on a
    /// lock, or cut short for fairness.
    retry: Vec<usize>,
    /// Connections with replies to write at the end of this loop turn.
    pending_writes: Vec<usize>,
    /// Bytes of deliveries taken from the mailbox this turn: they leave its
    /// in-flight count once the turn's writes are done.
    delivered: usize,
    /// Connections blocked on keys (BLPOP...).
    blocked: Vec<usize>,
    /// Connections in WAIT.
    waiting_acks: Vec<usize>,
    expire: ExpireCycle,
}

/// Pub/Sub frames at least this big are queued to each subscriber by
/// reference instead of copied into its output buffer.
const SHARED_FRAME_MIN: usize = 4096;

/// Bytes of replies Redis keeps in a client's static buffer before its
/// output limits start counting.
const REPLY_BUF: usize = 16 * 1024;

impl Worker {
    /// Creates a worker and its mailbox.
    pub fn new(idx: usize, srv: Arc<Server>) -> io::Result<(Worker, Arc<Mailbox>)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let mailbox = Arc::new(Mailbox {
            queue: Mutex::new(Vec::new()),
            waker,
            in_flight: AtomicUsize::new(0),
        });
        let w = Worker {
            idx,
            srv,
            poll,
            mailbox: mailbox.clone(),
            clients: Vec::new(),
            free: Vec::new(),
            retry: Vec::new(),
            pending_writes: Vec::new(),
            blocked: Vec::new(),
            waiting_acks: Vec::new(),
            expire: ExpireCycle::new(crate::store::random_seed()),
            delivered: 0,
        };
        Ok((w, mailbox))
    }

    /// Runs the event loop until shutdown.
    pub fn run(mut self) {
        CURRENT_WORKER.with(|c| c.set(Some(self.idx)));
        let mut events = Events::with_capacity(1024);
        let mut next_cron = Instant::now();
        let mut idle_retries = 0u32;
        loop {
            if self.srv.shutdown.load(Relaxed) {
                break;
            }
            let now = Instant::now();
            let mut until_cron = next_cron.saturating_duration_since(now);
            if let Some(ms) = self.next_block_deadline() {
                let wait = (ms - Server::now_ms()).max(0) as u64;
                until_cron = until_cron.min(Duration::from_millis(wait));
            }
            if !self.waiting_acks.is_empty() {
                // ACKs arrive on replicas' workers: look every few ms.
                until_cron = until_cron.min(Duration::from_millis(5));
            }
            let timeout = if self.retry.is_empty() {
                until_cron
            } else if idle_retries < 64 {
                Duration::ZERO
            } else {
                until_cron.min(Duration::from_millis(1))
            };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    crate::warning!("epoll error in worker {}: {e}", self.idx);
                }
                continue;
            }
            self.handle_events(&events);
            // Collect what became ready meanwhile before writing replies:
            // bigger bursts of replies mean fewer wake-ups for clients that
            // drive many connections (redis-benchmark, pooled clients).
            for _ in 0..4 {
                if self.pending_writes.is_empty()
                    || self.poll.poll(&mut events, Some(Duration::ZERO)).is_err()
                {
                    break;
                }
                if events.is_empty() {
                    break;
                }
                self.handle_events(&events);
            }
            if !self.retry.is_empty() {
                let before: usize = self.retry.len();
                let list = std::mem::take(&mut self.retry);
                for t in list {
                    self.drive(t);
                }
                idle_retries = if self.retry.len() >= before {
                    idle_retries + 1
                } else {
                    0
                };
            } else {
                idle_retries = 0;
            }
            if !self.blocked.is_empty() {
                self.check_blocked();
            }
            if crate::commands::blocking::has_deferred() {
                let stats = self.srv.worker_stats[self.idx].clone();
                crate::commands::blocking::serve_deferred(&self.srv, &stats);
            }
            if !self.waiting_acks.is_empty() {
                self.check_waiting_acks();
            }
            // BCAST invalidations of the keys changed this turn, then the
            // messages this worker's own commands sent to its connections
            // (Pub/Sub, MONITOR, tracking) leave with this turn's replies.
            if crate::tracking::has_pending_bcast() {
                crate::tracking::flush_bcast(&self.srv);
            }
            if !self.mailbox.queue.lock().is_empty() {
                self.drain_mailbox();
            }
            self.flush_pending();
            if Instant::now() >= next_cron {
                self.cron();
                // Expired-key notifications and invalidations of the
                // cycle, for this worker's own clients.
                if crate::tracking::has_pending() {
                    crate::tracking::flush(&self.srv, None);
                }
                if crate::tracking::has_pending_bcast() {
                    crate::tracking::flush_bcast(&self.srv);
                }
                if !self.mailbox.queue.lock().is_empty() {
                    self.drain_mailbox();
                    self.flush_pending();
                }
                let hz = self.srv.hot.hz.load(Relaxed).max(1);
                next_cron = Instant::now() + Duration::from_millis(1000 / hz);
            }
        }
        // Shutdown: flush what we can and close everything.
        for t in 0..self.clients.len() {
            if let Some(c) = self.clients[t].as_mut() {
                let _ = c.flush();
            }
            self.close(t);
        }
    }

    fn handle_events(&mut self, events: &Events) {
        // Deliveries queued before these events were reported come first:
        // a message published before a subscriber's next command was read
        // reaches it before that command's reply, as with one thread.
        if !self.mailbox.queue.lock().is_empty() {
            self.drain_mailbox();
        }
        for ev in events.iter() {
            if ev.token() == WAKER {
                self.drain_mailbox();
                continue;
            }
            let t = ev.token().0;
            if let Some(Some(c)) = self.clients.get_mut(t) {
                if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                    c.readable = true;
                }
                if ev.is_writable() {
                    c.write_blocked = false;
                }
                self.drive(t);
            }
        }
    }

    fn drain_mailbox(&mut self) {
        // Until empty: running a connection's commands here (a new client,
        // a served one) may queue messages for this very worker, which no
        // wake-up announces.
        loop {
            let msgs = std::mem::take(&mut *self.mailbox.queue.lock());
            if msgs.is_empty() {
                return;
            }
            self.handle_messages(msgs);
        }
    }

    fn handle_messages(&mut self, msgs: Vec<Msg>) {
        for m in msgs {
            match m {
                Msg::NewClient(conn, shared) => self.add_client(conn, shared),
                Msg::Served { client_id, reply } => self.served(client_id, reply),
                Msg::ScriptDone(done) => self.script_done(*done),
                Msg::Deliver(list) => {
                    self.delivered += delivery_bytes(&list);
                    self.deliver(list);
                }
                Msg::Check => {
                    for t in 0..self.clients.len() {
                        let kill =
                            matches!(&self.clients[t], Some(c) if c.shared.kill.load(Relaxed));
                        if kill {
                            self.close(t);
                        }
                    }
                }
            }
        }
    }

    fn add_client(&mut self, mut conn: Conn, shared: Arc<ClientShared>) {
        let t = match self.free.pop() {
            Some(t) => t,
            None => {
                self.clients.push(None);
                self.clients.len() - 1
            }
        };
        let reg = match &mut conn {
            Conn::Tcp(s) => {
                self.poll
                    .registry()
                    .register(s, Token(t), Interest::READABLE | Interest::WRITABLE)
            }
            Conn::Unix(s) => {
                self.poll
                    .registry()
                    .register(s, Token(t), Interest::READABLE | Interest::WRITABLE)
            }
        };
        if let Err(e) = reg {
            crate::warning!("Error registering fd event for the new client: {e}");
            self.free.push(t);
            self.srv.clients.lock().remove(&shared.id);
            self.srv.connected_clients.fetch_sub(1, Relaxed);
            return;
        }
        let auth_ok = !self.srv.hot.auth_required.load(Relaxed);
        let mut client = Client::new(conn, shared, auth_ok);
        client.state.token = t as u32;
        client.shared.token.store(t as u32, Relaxed);
        self.clients[t] = Some(client);
        self.drive(t);
    }

    /// Reads, executes and writes for one connection until it has nothing
    /// more to do right now.
    fn drive(&mut self, t: usize) {
        let srv = self.srv.clone();
        let stats = srv.worker_stats[self.idx].clone();
        let Some(Some(c)) = self.clients.get_mut(t) else {
            return;
        };
        let mut reads = 0;
        let mut close = false;
        loop {
            if c.shared.kill.load(Relaxed) {
                close = true;
                break;
            }
            if c.blocked.is_some() || c.scripting || c.state.wait_acks.is_some() {
                // Keep reading (to notice a disconnect and buffer what
                // follows) but run nothing until the client is unblocked.
                if c.readable
                    && c.pending_input() <= srv.hot.query_buffer_limit.load(Relaxed) as usize
                {
                    match c.read_some() {
                        Ok(0) => close = true,
                        Ok(n) => {
                            bump(&stats.net_input_bytes, n as u64);
                            continue;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.readable = false,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => close = true,
                    }
                }
                break;
            }
            match execute_batch(&srv, &stats, c) {
                BatchOutcome::Done => {}
                BatchOutcome::Parked => {
                    self.retry.push(t);
                    break;
                }
                BatchOutcome::Blocked => {
                    self.blocked.push(t);
                    break;
                }
                BatchOutcome::Scripting => break,
                BatchOutcome::WaitingAcks => {
                    self.waiting_acks.push(t);
                    break;
                }
                BatchOutcome::Close => {
                    close = true;
                    break;
                }
            }
            c.compact();
            if c.state.close_after_reply {
                break;
            }
            if c.pending_output() > 64 * 1024 && !c.write_blocked && c.flush().is_err() {
                close = true;
                break;
            }
            // A full socket doesn't stop reading: a client may write a
            // whole pipeline before it reads any reply (Redis's test
            // suite does), and replies then wait in the output buffer,
            // bounded by client-output-buffer-limit as in Redis.
            if !c.readable {
                break;
            }
            if reads >= 16 {
                // Fairness: let other connections run, come back next turn.
                self.retry.push(t);
                break;
            }
            let qlimit = srv.hot.query_buffer_limit.load(Relaxed) as usize;
            if c.pending_input() > qlimit {
                crate::warning!(
                    "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {:?})",
                    c.shared.id,
                    c.shared.addr,
                    String::from_utf8_lossy(&c.qbuf[..c.filled.min(64)])
                );
                close = true;
                break;
            }
            match c.read_some() {
                Ok(0) => {
                    close = true;
                    break;
                }
                Ok(n) => {
                    reads += 1;
                    bump(&stats.net_input_bytes, n as u64);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    c.readable = false;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    close = true;
                    break;
                }
            }
        }
        // Unauthenticated clients may not make the server buffer replies
        // they don't read: Redis closes them once replies overflow its
        // 16 KiB static reply buffer by more than 1 KiB.
        if !c.state.authenticated
            && c.pending_output() > REPLY_BUF + 1024
            && srv.hot.auth_required.load(Relaxed)
        {
            close = true;
        }
        c.shared.qbuf.store(c.filled, Relaxed);
        c.shared.omem.store(c.pending_output(), Relaxed);
        if c.scripting {
            // The state is on the engine; it comes back with the reply.
            if close {
                c.close_pending = true;
            } else if c.pending_output() > 0 && !c.write_blocked && !c.write_queued {
                // Replies of the commands before the script leave now.
                c.write_queued = true;
                self.pending_writes.push(t);
            }
            return;
        }
        c.publish_session();
        if c.state.close_after_reply {
            // Leave the registry now, not once the last reply is written:
            // a client that read its QUIT reply may act on the connection
            // being gone (a tracking redirection must then be broken), as
            // Redis frees such clients before it runs anything else.
            srv.clients.lock().remove(&c.shared.id);
        }
        if close {
            self.close(t);
            return;
        }
        if c.pending_output() > 0 {
            // Written after every ready connection of this loop turn ran,
            // like Redis's beforeSleep: replies leave in one burst, which
            // halves the wake-ups of a client driving many connections.
            if !c.write_blocked && !c.write_queued {
                c.write_queued = true;
                self.pending_writes.push(t);
            }
        } else if c.state.close_after_reply {
            self.close(t);
        }
    }

    /// Writes the replies queued during this loop turn.
    fn flush_pending(&mut self) {
        let stats = self.srv.worker_stats[self.idx].clone();
        let list = std::mem::take(&mut self.pending_writes);
        for &t in &list {
            let Some(Some(c)) = self.clients.get_mut(t) else {
                continue;
            };
            c.write_queued = false;
            let close = match c.flush() {
                Ok(n) => {
                    bump(&stats.net_output_bytes, n as u64);
                    c.state.close_after_reply && c.pending_output() == 0
                }
                Err(_) => true,
            };
            c.shared.omem.store(c.pending_output(), Relaxed);
            c.publish_replica_output();
            if close {
                self.close(t);
            }
        }
        let mut list = list;
        list.clear();
        if self.pending_writes.is_empty() {
            self.pending_writes = list;
        }
        if self.delivered > 0 {
            self.mailbox.in_flight.fetch_sub(self.delivered, Relaxed);
            self.delivered = 0;
        }
    }

    fn close(&mut self, t: usize) {
        let Some(slot) = self.clients.get_mut(t) else {
            return;
        };
        if let Some(c) = slot.as_mut() {
            if c.scripting {
                // Its state is on the engine: closed when it comes back.
                c.close_pending = true;
                return;
            }
        }
        let Some(mut c) = slot.take() else { return };
        crate::commands::multi::unwatch_all(&self.srv, &mut c.state);
        if c.state.subs.any() {
            self.srv
                .pubsub
                .forget_client(&mut c.state.subs, c.shared.id);
        }
        if c.state.monitor {
            crate::commands::monitor::stop(&self.srv, c.shared.id);
        }
        if c.state.tracking.is_some() {
            crate::tracking::TRACKING.disable(&c.shared);
        }
        if let Some(link) = c.state.replica.take() {
            crate::warning!(
                "Connection with replica {}:{} lost.",
                link.ip,
                link.listening_port.load(Relaxed)
            );
            self.srv.log.detach(link.client_id);
        }
        if let Some(w) = c.blocked.take() {
            if w.transition(WAITING, GONE) {
                crate::commands::blocking::forget(&self.srv, &w);
            }
            *c.shared.waiter.lock() = None;
            self.srv.blocked_clients.fetch_sub(1, Relaxed);
            self.blocked.retain(|&b| b != t);
        }
        let _ = match &mut c.conn {
            Conn::Tcp(s) => self.poll.registry().deregister(s),
            Conn::Unix(s) => self.poll.registry().deregister(s),
        };
        self.srv.clients.lock().remove(&c.shared.id);
        self.srv.connected_clients.fetch_sub(1, Relaxed);
        self.retry.retain(|&r| r != t);
        self.waiting_acks.retain(|&w| w != t);
        self.free.push(t);
    }

    /// Answers the WAITs whose replicas acknowledged, or whose time is up,
    /// with the number of replicas that acknowledged.
    fn check_waiting_acks(&mut self) {
        let now = Server::now_ms();
        let list = std::mem::take(&mut self.waiting_acks);
        for t in list {
            let Some(Some(c)) = self.clients.get_mut(t) else {
                continue;
            };
            let Some(w) = c.state.wait_acks else { continue };
            let acked = self.srv.log.acked(w.offset);
            if acked < w.replicas && w.deadline_ms.is_none_or(|d| now < d) {
                self.waiting_acks.push(t);
                continue;
            }
            c.state.wait_acks = None;
            c.out.int(acked as i64);
            self.drive(t);
        }
    }

    /// The earliest timeout among this worker's blocked clients.
    fn next_block_deadline(&self) -> Option<i64> {
        self.blocked
            .iter()
            .filter_map(|&t| self.clients.get(t)?.as_ref()?.blocked.as_ref()?.deadline_ms)
            .min()
    }

    /// Times out blocked clients whose deadline passed and finishes those
    /// unblocked by CLIENT UNBLOCK.
    fn check_blocked(&mut self) {
        if self.srv.keyspace.engine_active() {
            // Timeouts wait for the script to end, as in Redis.
            return;
        }
        let now = Server::now_ms();
        let list = self.blocked.clone();
        for t in list {
            let Some(Some(c)) = self.clients.get_mut(t) else {
                continue;
            };
            let Some(w) = c.blocked.clone() else { continue };
            if w.deadline_ms.is_some_and(|d| now >= d) {
                w.transition(WAITING, TIMED_OUT);
            }
            match w.state() {
                TIMED_OUT => c.out.null_array(),
                UNBLOCKED_ERROR => c.out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
                _ => continue,
            }
            crate::commands::blocking::forget(&self.srv, &w);
            self.unblock(t);
        }
    }

    /// Appends Pub/Sub messages to their subscribers' output, closing those
    /// that overrun their output-buffer limit.
    fn deliver(&mut self, list: Vec<Delivery>) {
        let mut over = Vec::new();
        for d in &list {
            for &(id, token) in &d.targets {
                let t = token as usize;
                let Some(Some(c)) = self.clients.get_mut(t) else {
                    continue;
                };
                if c.shared.id != id {
                    continue;
                }
                if c.scripting {
                    c.held.push(Delivery {
                        frame: d.frame.clone(),
                        targets: vec![(id, token)],
                        kind: d.kind,
                        topic: d.topic.clone(),
                    });
                    continue;
                }
                match d.kind {
                    DeliveryKind::PubSub => {
                        // A message published before this client's
                        // UNSUBSCRIBE ran must not follow its confirmation.
                        if let Some((kind, name)) = &d.topic {
                            if !c.state.subs.set(*kind).contains(&name[..]) {
                                continue;
                            }
                        }
                        if d.frame.len() >= SHARED_FRAME_MIN {
                            // Large: queued by reference, never copied.
                            let first = c.out.resp3.then_some(b'>');
                            c.queue_shared(&d.frame, first);
                        } else {
                            crate::pubsub::append_frame(&mut c.out.buf, &d.frame, c.out.resp3);
                        }
                    }
                    DeliveryKind::Raw => c.out.buf.extend_from_slice(&d.frame),
                    DeliveryKind::Monitor => {
                        if !c.state.monitor {
                            continue;
                        }
                        c.out.buf.extend_from_slice(&d.frame);
                    }
                    DeliveryKind::Invalidation { via_redirect } => {
                        let payload = (!d.frame.is_empty()).then_some(&d.frame[..]);
                        if !via_redirect && c.state.tracking.is_none() {
                            // Tracking was turned off meanwhile.
                            continue;
                        }
                        if c.out.resp3 {
                            let f = crate::tracking::resp3_invalidation(payload);
                            c.out.buf.extend_from_slice(&f);
                        } else if via_redirect && c.state.subs.any() {
                            let f = crate::tracking::resp2_invalidation(payload);
                            c.out.buf.extend_from_slice(&f);
                        } else {
                            continue;
                        }
                    }
                }
                c.delivered_output = true;
                c.publish_replica_output();
                if !c.write_blocked && !c.write_queued {
                    c.write_queued = true;
                    self.pending_writes.push(t);
                }
                if c.over_output_limit(&self.srv) {
                    over.push(t);
                }
            }
        }
        for t in over {
            if let Some(Some(c)) = self.clients.get(t) {
                crate::warning!(
                    "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    c.shared.id,
                    c.shared.addr
                );
            }
            self.close(t);
        }
    }

    /// A blocked client was served elsewhere: send its reply and resume it.
    fn served(&mut self, client_id: u64, reply: Vec<u8>) {
        let found = self
            .blocked
            .iter()
            .copied()
            .find(|&t| matches!(&self.clients[t], Some(c) if c.shared.id == client_id));
        let Some(t) = found else { return };
        if let Some(Some(c)) = self.clients.get_mut(t) {
            if !(c.state.reply.off || c.state.reply.skip) {
                c.out.buf.extend_from_slice(&reply);
            }
            c.state.reply.skip = std::mem::take(&mut c.state.reply.skip_next);
        }
        self.unblock(t);
    }

    /// The script engine finished a connection's command: restore its
    /// state, queue the reply and the deliveries held meanwhile, and run
    /// what it sent since.
    fn script_done(&mut self, done: crate::script::Done) {
        let t = done.token as usize;
        let Some(Some(c)) = self.clients.get_mut(t) else {
            return;
        };
        if c.shared.id != done.client_id || !c.scripting {
            return;
        }
        c.state = done.state;
        c.out.resp3 = done.resp3;
        c.scripting = false;
        c.out.buf.extend_from_slice(&done.reply);
        let held = std::mem::take(&mut c.held);
        let close = c.close_pending;
        if !c.write_blocked && !c.write_queued {
            c.write_queued = true;
            self.pending_writes.push(t);
        }
        if !held.is_empty() {
            self.deliver(held);
        }
        if close {
            self.close(t);
        } else {
            self.drive(t);
        }
    }

    /// Clears a client's blocked state and runs what it sent meanwhile.
    fn unblock(&mut self, t: usize) {
        if let Some(Some(c)) = self.clients.get_mut(t) {
            c.blocked = None;
            *c.shared.waiter.lock() = None;
            self.srv.blocked_clients.fetch_sub(1, Relaxed);
        }
        self.blocked.retain(|&b| b != t);
        self.drive(t);
    }

    /// Periodic work: active expiry over this worker's shards and idle
    /// client timeouts.
    fn cron(&mut self) {
        if self.srv.hot.cron_paused.load(Relaxed) {
            return;
        }
        let now = Server::now_ms();
        crate::store::update_lru_clock(now);
        let hz = self.srv.hot.hz.load(Relaxed).max(1);
        if self.srv.hot.active_expire.load(Relaxed) {
            let budget = Duration::from_micros(250_000 / hz);
            let stats = &self.srv.worker_stats[self.idx];
            let r = self.expire.run(
                &self.srv.keyspace,
                self.idx,
                self.srv.threads,
                now,
                budget,
                |db, key| {
                    crate::repl::propagate_del(db, key);
                    crate::commands::notify::expired_in_background(&self.srv, db, key)
                },
            );
            stats.expired_keys.fetch_add(r.expired, Relaxed);
        }
        crate::commands::blocking::forget_deferred(&self.srv);
        crate::commands::multi::unwatch_deferred(&self.srv);
        // Evictions a command's time budget left unfinished go on here.
        if crate::evict::unfinished() {
            let sink = crate::evict::Sink {
                client_id: 0,
                pushes: None,
                resp3: false,
            };
            crate::evict::perform_evictions(&self.srv, &self.srv.worker_stats[self.idx], sink);
        }
        if self.idx == 0 && crate::tracking::TRACKING.keys.load(Relaxed) > 0 {
            crate::commands::tracking::enforce_table_limit(&self.srv);
        }
        for c in self.clients.iter_mut().flatten() {
            if now - c.shared.last_interaction_ms.load(Relaxed) > 2000 {
                c.release_idle_buffer();
            }
        }
        let timeout = self.srv.hot.timeout.load(Relaxed) as i64;
        if timeout > 0 {
            for t in 0..self.clients.len() {
                let idle = match &self.clients[t] {
                    // No timeout for Pub/Sub and MONITOR clients, as Redis.
                    Some(c)
                        if c.state.subs.any()
                            || c.state.monitor
                            || c.scripting
                            || c.state.replica.is_some() =>
                    {
                        false
                    }
                    Some(c) => {
                        now / 1000 - c.shared.last_interaction_ms.load(Relaxed) / 1000 > timeout
                    }
                    None => false,
                };
                if idle {
                    crate::verbose!("Closing idle client");
                    self.close(t);
                }
            }
        }
    }
}
