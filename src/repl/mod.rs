//! Replication. This part is the replica side: REPLICAOF, the link to the
//! master (`replica.rs`), ROLE and the `INFO replication` fields.
//!
//! A replica connects to its master with Redis's handshake (PING, AUTH,
//! REPLCONF listening-port and capa, PSYNC), receives the full snapshot as
//! an RDB file, loads it in place of its data, then applies the master's
//! command stream as the master client, acknowledging its offset every
//! second. The master may be Redis or anything speaking its protocol.
//!
//! While the link is down, a replica with `replica-serve-stale-data no`
//! refuses commands not flagged `stale` with `-MASTERDOWN`; with
//! `replica-read-only yes` (the default) clients can't write.

pub mod master;
pub mod replica;

/// Propagates the deletion of an expired or evicted key (`DEL`), when a
/// replica listens. Call with the key's shard locked.
pub fn propagate_del(db: usize, key: &[u8]) {
    if let Some(srv) = crate::main_loop::server() {
        if srv.log.active() {
            srv.log.propagate_now(srv, db, &[b"DEL", key]);
        }
    }
}

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering::Relaxed};

use parking_lot::{Condvar, Mutex};

use crate::server::Server;

/// Where the link to the master stands (Redis's `repl_state`, as ROLE
/// names it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum LinkState {
    /// Not a replica.
    None = 0,
    /// Must connect.
    Connect = 1,
    /// Connecting.
    Connecting = 2,
    /// Handshake (PING, AUTH, REPLCONF, PSYNC).
    Handshake = 3,
    /// Receiving the snapshot.
    Transfer = 4,
    /// Applying the master's stream.
    Connected = 5,
}

impl LinkState {
    fn from_u8(v: u8) -> LinkState {
        match v {
            1 => LinkState::Connect,
            2 => LinkState::Connecting,
            3 => LinkState::Handshake,
            4 => LinkState::Transfer,
            5 => LinkState::Connected,
            _ => LinkState::None,
        }
    }

    /// ROLE's name for it.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::None | LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// Replication state shared by the workers (checks on every command when
/// this server is a replica), the link thread and INFO.
pub struct Replication {
    /// Replica of `master` (one load on the hot path).
    replica: AtomicBool,
    /// The master, when a replica.
    master: Mutex<Option<(String, u16)>>,
    /// Bumped by every REPLICAOF: a link of an older generation stops.
    generation: AtomicU64,
    state: AtomicU8,
    /// Offset of the master's stream applied so far.
    pub offset: AtomicI64,
    /// The replication id (ours as a master, the master's once synced).
    pub replid: Mutex<String>,
    /// The previous id, kept on promotion (`master_replid2`).
    pub replid2: Mutex<String>,
    /// `second_repl_offset`.
    pub second_offset: AtomicI64,
    /// Last time data came from the master (Unix ms).
    pub last_io_ms: AtomicI64,
    /// When the link went down (Unix ms), 0 if it never was up.
    pub down_since_ms: AtomicI64,
    wake: Condvar,
    wake_lock: Mutex<()>,
}

impl Replication {
    /// A master with a fresh replication id.
    pub fn new() -> Replication {
        Replication {
            replica: false.into(),
            master: Mutex::new(None),
            generation: 0.into(),
            state: 0.into(),
            offset: 0.into(),
            replid: Mutex::new(crate::main_loop::random_hex(40)),
            replid2: Mutex::new("0".repeat(40)),
            second_offset: (-1).into(),
            last_io_ms: 0.into(),
            down_since_ms: 0.into(),
            wake: Condvar::new(),
            wake_lock: Mutex::new(()),
        }
    }

    /// True when this server replicates a master.
    #[inline]
    pub fn is_replica(&self) -> bool {
        self.replica.load(Relaxed)
    }

    /// The master's address, when a replica.
    pub fn master(&self) -> Option<(String, u16)> {
        self.master.lock().clone()
    }

    /// The link's state.
    pub fn state(&self) -> LinkState {
        LinkState::from_u8(self.state.load(Relaxed))
    }

    pub(crate) fn set_state(&self, s: LinkState) {
        self.state.store(s as u8, Relaxed);
    }

    /// The current REPLICAOF generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Relaxed)
    }

    /// Becomes a replica of `host:port`; false if it already is.
    pub fn set_master(&self, host: &str, port: u16) -> bool {
        let mut m = self.master.lock();
        if m.as_ref().is_some_and(|(h, p)| h == host && *p == port) {
            return false;
        }
        *m = Some((host.to_string(), port));
        self.generation.fetch_add(1, Relaxed);
        self.set_state(LinkState::Connect);
        self.replica.store(true, Relaxed);
        drop(m);
        self.notify();
        true
    }

    /// REPLICAOF NO ONE: a master again, with a new replication id (the
    /// old one kept as the secondary, valid up to the offset reached).
    pub fn set_no_master(&self) -> bool {
        let mut m = self.master.lock();
        if m.is_none() {
            return false;
        }
        *m = None;
        self.generation.fetch_add(1, Relaxed);
        self.replica.store(false, Relaxed);
        self.set_state(LinkState::None);
        drop(m);
        let old = std::mem::replace(&mut *self.replid.lock(), crate::main_loop::random_hex(40));
        let offset = self.offset.load(Relaxed);
        crate::warning!(
            "Setting secondary replication ID to {old}, valid up to offset: {}. New replication ID is {}",
            offset + 1,
            self.replid.lock()
        );
        *self.replid2.lock() = old;
        self.second_offset.store(offset + 1, Relaxed);
        self.notify();
        true
    }

    fn notify(&self) {
        let _g = self.wake_lock.lock();
        self.wake.notify_all();
    }

    /// Waits until REPLICAOF changes something or `ms` pass (link thread).
    pub(crate) fn wait(&self, ms: u64) {
        let mut g = self.wake_lock.lock();
        self.wake
            .wait_for(&mut g, std::time::Duration::from_millis(ms));
    }

    /// The refusal a replica gives `cmd` from a normal client, if any:
    /// `-MASTERDOWN` while the link is down and stale data is not served,
    /// `-READONLY` for writes. `denystale`/`write` include an EXEC's queue.
    pub fn refusal(&self, srv: &Server, denystale: bool, write: bool) -> Option<&'static str> {
        if !self.is_replica() {
            return None;
        }
        let cfg = srv.config.read();
        if write && cfg.get_bool("replica-read-only") {
            return Some("READONLY You can't write against a read only replica.");
        }
        if denystale
            && self.state() != LinkState::Connected
            && !cfg.get_bool("replica-serve-stale-data")
        {
            return Some(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
        }
        None
    }

    /// The `# Replication` section of INFO.
    pub fn info(&self, srv: &Server) -> String {
        let mut s = String::new();
        let offset = self.offset.load(Relaxed);
        if let Some((host, port)) = self.master() {
            let state = self.state();
            let up = state == LinkState::Connected;
            let now = Server::now_ms();
            let last_io = self.last_io_ms.load(Relaxed);
            let cfg = srv.config.read();
            s.push_str(&format!(
                "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{offset}\r\nslave_repl_offset:{offset}\r\n",
                if up { "up" } else { "down" },
                if last_io > 0 { (now - last_io) / 1000 } else { -1 },
                (state == LinkState::Transfer) as u8,
            ));
            if !up {
                let since = self.down_since_ms.load(Relaxed);
                s.push_str(&format!(
                    "master_link_down_since_seconds:{}\r\n",
                    if since > 0 { (now - since) / 1000 } else { -1 }
                ));
            }
            s.push_str(&format!(
                "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
                cfg.get_int("replica-priority"),
                cfg.get_bool("replica-read-only") as u8,
                cfg.get_bool("replica-announced") as u8,
            ));
        } else {
            s.push_str("role:master\r\n");
        }
        let replicas = srv.log.replicas();
        s.push_str(&format!("connected_slaves:{}\r\n", replicas.len()));
        let now = Server::now_ms();
        for (i, r) in replicas.iter().enumerate() {
            s.push_str(&format!(
                "slave{i}:ip={},port={},state=online,offset={},lag={}\r\n",
                r.ip,
                r.listening_port.load(Relaxed),
                r.ack.load(Relaxed),
                (now - r.last_ack_ms.load(Relaxed)) / 1000
            ));
        }
        let offset = if self.is_replica() {
            offset
        } else {
            srv.log.offset()
        };
        s.push_str(&format!(
            "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{offset}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:0\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
            self.replid.lock(),
            self.replid2.lock(),
            self.second_offset.load(Relaxed),
            srv.config.read().get_int("repl-backlog-size"),
        ));
        s
    }
}

impl Default for Replication {
    fn default() -> Self {
        Replication::new()
    }
}
