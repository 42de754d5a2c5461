//! The master side: the effects log and the replicas it feeds.
//!
//! Every change is propagated as Redis 7.0 propagates it: a write command
//! that changed data, as it ran or rewritten to a deterministic form
//! (`Keys::propagate`), lazy and active expiry and evictions as `DEL`, the
//! effects of a script or an EXEC wrapped in MULTI/EXEC when there is more
//! than one, SELECT whenever the database changes.
//!
//! An *execution unit* (a command, an EXEC, a script) collects its effects
//! in a thread-local list while it runs ([`Log::record`]); the dispatcher
//! appends them with [`Log::flush`] before it releases the unit's shard
//! locks, under the log's mutex, so the stream's order is the execution
//! order of every key. Expiry and evictions append at once
//! ([`Log::propagate_now`]), under the shard lock of the deleted key.
//!
//! The stream goes to each replica connection through its worker's mailbox,
//! pushed while the mutex is held so two appends can't swap on the way.
//! With no replica attached, [`Log::active`] is false and nothing is
//! recorded: a command pays one atomic load.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering::Relaxed};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::net::worker::{current_worker, Delivery, DeliveryKind, Msg};
use crate::resp::ReplyBuf;
use crate::server::Server;

/// A replica attached to this master (a connection that sent SYNC/PSYNC).
#[derive(Debug)]
pub struct ReplicaLink {
    /// Its client id.
    pub client_id: u64,
    /// Its worker and slot there.
    pub worker: usize,
    /// See `worker`.
    pub token: u32,
    /// Its address as seen by us.
    pub ip: String,
    /// The port it listens on (REPLCONF listening-port).
    pub listening_port: AtomicU32,
    /// The offset it acknowledged (REPLCONF ACK).
    pub ack: AtomicI64,
    /// When it last acknowledged (Unix ms).
    pub last_ack_ms: AtomicI64,
}

/// A client in WAIT: how many replicas must acknowledge which offset, and
/// until when.
#[derive(Debug, Clone, Copy)]
pub struct WaitAcks {
    /// The stream offset to be acknowledged.
    pub offset: i64,
    /// Replicas wanted.
    pub replicas: usize,
    /// Give up then (Unix ms); `None`: wait forever.
    pub deadline_ms: Option<i64>,
}

struct LogInner {
    /// Bytes of stream produced since start (`master_repl_offset`).
    offset: i64,
    /// The database the stream last selected.
    db: Option<usize>,
    replicas: Vec<Arc<ReplicaLink>>,
}

/// The effects log.
pub struct Log {
    active: AtomicBool,
    inner: Mutex<LogInner>,
}

/// One effect: a command for the replicas, and its database.
struct Effect {
    db: usize,
    argv: Vec<Vec<u8>>,
}

thread_local! {
    static PENDING: RefCell<Vec<Effect>> = const { RefCell::new(Vec::new()) };
}

impl Default for Log {
    fn default() -> Self {
        Log {
            active: false.into(),
            inner: Mutex::new(LogInner {
                offset: 0,
                db: None,
                replicas: Vec::new(),
            }),
        }
    }
}

impl Log {
    /// True while a replica is attached: only then are effects recorded.
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Relaxed)
    }

    /// The stream's offset (`master_repl_offset`).
    pub fn offset(&self) -> i64 {
        self.inner.lock().offset
    }

    /// The attached replicas.
    pub fn replicas(&self) -> Vec<Arc<ReplicaLink>> {
        self.inner.lock().replicas.clone()
    }

    /// True if at least `min-replicas-to-write` replicas acknowledged
    /// within `min-replicas-max-lag` seconds (Redis's good replicas).
    pub fn enough_good_replicas(&self, srv: &Server) -> bool {
        let (want, max_lag) = {
            let cfg = srv.config.read();
            (
                cfg.get_int("min-replicas-to-write"),
                cfg.get_int("min-replicas-max-lag"),
            )
        };
        let now = Server::now_ms();
        let good = self
            .inner
            .lock()
            .replicas
            .iter()
            .filter(|r| (now - r.last_ack_ms.load(Relaxed)) / 1000 <= max_lag)
            .count() as i64;
        good >= want
    }

    /// Replicas that acknowledged at least `offset` (WAIT).
    pub fn acked(&self, offset: i64) -> usize {
        self.inner
            .lock()
            .replicas
            .iter()
            .filter(|r| r.ack.load(Relaxed) >= offset)
            .count()
    }

    /// Asks every replica for its offset (`REPLCONF GETACK *` in the
    /// stream), so a WAIT doesn't wait for the next periodic ACK.
    pub fn request_acks(&self, srv: &Server) {
        if !self.active() {
            return;
        }
        let mut inner = self.inner.lock();
        let bytes = ReplyBuf::bulk_array(&[b"REPLCONF", b"GETACK", b"*"]);
        send(srv, &mut inner, bytes);
    }

    /// Records an effect of the running execution unit.
    pub fn record(&self, db: usize, argv: Vec<Vec<u8>>) {
        PENDING.with(|p| p.borrow_mut().push(Effect { db, argv }));
    }

    /// Records an effect given as argument slices.
    pub fn record_args<'a>(&self, db: usize, args: impl Iterator<Item = &'a [u8]>) {
        self.record(db, args.map(<[u8]>::to_vec).collect());
    }

    /// Ends the execution unit: appends its effects, wrapped in MULTI/EXEC
    /// when there are several, and returns the stream's offset after them
    /// (the client's write offset for WAIT). Call with the unit's shard
    /// locks held.
    pub fn flush(&self, srv: &Server) -> Option<i64> {
        let effects = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
        if effects.is_empty() || !self.active() {
            return None;
        }
        let mut inner = self.inner.lock();
        let mut bytes = Vec::new();
        let wrap = effects.len() > 1;
        if wrap {
            select(&mut inner, &mut bytes, effects[0].db);
            encode(&mut bytes, &[b"MULTI".to_vec()]);
        }
        for e in &effects {
            select(&mut inner, &mut bytes, e.db);
            encode(&mut bytes, &e.argv);
        }
        if wrap {
            encode(&mut bytes, &[b"EXEC".to_vec()]);
        }
        send(srv, &mut inner, bytes);
        Some(inner.offset)
    }

    /// Forgets the running unit's effects (a transaction demoted to a
    /// replica mid-way is not propagated).
    pub fn discard_pending(&self) {
        PENDING.with(|p| p.borrow_mut().clear());
    }

    /// Appends one effect now (expiry, eviction), outside any unit.
    pub fn propagate_now(&self, srv: &Server, db: usize, argv: &[&[u8]]) {
        if !self.active() {
            return;
        }
        let mut inner = self.inner.lock();
        let mut bytes = Vec::new();
        select(&mut inner, &mut bytes, db);
        bytes.extend(ReplyBuf::bulk_array(argv));
        send(srv, &mut inner, bytes);
    }

    /// Attaches a replica and returns the offset its snapshot stands for.
    /// Call with every shard locked, so the snapshot and the offset agree.
    pub fn attach(&self, link: Arc<ReplicaLink>) -> i64 {
        let mut inner = self.inner.lock();
        inner.replicas.push(link);
        // A new replica needs a SELECT before the first command.
        inner.db = None;
        self.active.store(true, Relaxed);
        inner.offset
    }

    /// Disconnects every replica (this server's history changed: it became
    /// a replica of another master, or loaded its master's snapshot), so
    /// they resynchronise, as Redis's `disconnectSlaves`.
    pub fn drop_replicas(&self, srv: &Server) {
        let list = self.replicas();
        if list.is_empty() {
            return;
        }
        let clients = srv.clients.lock();
        for r in &list {
            if let Some(sh) = clients.get(&r.client_id) {
                sh.kill.store(true, Relaxed);
            }
        }
        drop(clients);
        if let Some(mbs) = srv.mailboxes.get() {
            for r in &list {
                if let Some(mb) = mbs.get(r.worker) {
                    mb.send(Msg::Check);
                }
            }
        }
    }

    /// Detaches a replica (disconnected).
    pub fn detach(&self, client_id: u64) {
        let mut inner = self.inner.lock();
        inner.replicas.retain(|r| r.client_id != client_id);
        if inner.replicas.is_empty() {
            self.active.store(false, Relaxed);
        }
    }
}

fn encode(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    let parts: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    out.extend(ReplyBuf::bulk_array(&parts));
}

fn select(inner: &mut LogInner, out: &mut Vec<u8>, db: usize) {
    if inner.db != Some(db) {
        out.extend(ReplyBuf::bulk_array(&[
            b"SELECT",
            db.to_string().as_bytes(),
        ]));
        inner.db = Some(db);
    }
}

/// Hands `bytes` to every replica's worker, in order (the caller holds the
/// log's mutex).
fn send(srv: &Server, inner: &mut LogInner, bytes: Vec<u8>) {
    inner.offset += bytes.len() as i64;
    let Some(mailboxes) = srv.mailboxes.get() else {
        return;
    };
    let frame: Arc<[u8]> = bytes.into();
    let here = current_worker();
    for r in &inner.replicas {
        if let Some(mb) = mailboxes.get(r.worker) {
            let d = Delivery {
                frame: frame.clone(),
                targets: vec![(r.client_id, r.token)],
                kind: DeliveryKind::Raw,
                topic: None,
            };
            mb.send_from(Msg::Deliver(vec![d]), here == Some(r.worker));
        }
    }
}
