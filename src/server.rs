//! Server-wide state shared by every worker thread.
//!
//! Hot-path settings are mirrored from [`Config`] into atomics ([`Hot`]) so a
//! command never takes the configuration lock; counters are kept per worker
//! ([`WorkerStats`]) and only summed when INFO asks, so workers never write
//! to a shared cache line on the hot path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::{Mutex, RwLock};

use crate::commands::table::CommandTable;
use crate::config::Config;
use crate::net::client::ClientShared;
use crate::net::worker::Mailbox;
use crate::store::Keyspace;

/// Settings read on every command, copied out of the config on change.
#[derive(Default)]
pub struct Hot {
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: AtomicU64,
    /// `client-query-buffer-limit`.
    pub query_buffer_limit: AtomicU64,
    /// `requirepass` is set.
    pub auth_required: AtomicBool,
    /// `timeout` in seconds (0: never).
    pub timeout: AtomicU64,
    /// `maxclients`.
    pub maxclients: AtomicU64,
    /// `hz`.
    pub hz: AtomicU64,
    /// Active expiry enabled (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire: AtomicBool,
    /// `protected-mode yes`: without a password only loopback clients.
    pub protected_mode: AtomicBool,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: AtomicU64,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: AtomicU64,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: AtomicU64,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: AtomicU64,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: AtomicU64,
    /// `list-max-listpack-size`.
    pub list_max_listpack_size: AtomicI64,
    /// `min-replicas-to-write` and `min-replicas-max-lag` are both set:
    /// with no replica connected, write commands are refused (NOREPLICAS).
    pub min_replicas_block: AtomicBool,
    /// DEBUG PAUSE-CRON: the workers' periodic jobs are stopped.
    pub cron_paused: AtomicBool,
    /// `tracking-table-max-keys` (0: unlimited).
    pub tracking_table_max_keys: AtomicU64,
    /// `notify-keyspace-events`, as `config::notify` bits.
    pub notify_flags: std::sync::atomic::AtomicU32,
    /// `maxmemory` in bytes (0: no limit).
    pub maxmemory: AtomicU64,
    /// `maxmemory-policy`, as `config::MaxmemoryPolicy as u8`.
    pub maxmemory_policy: std::sync::atomic::AtomicU8,
    /// `maxmemory-samples`.
    pub maxmemory_samples: AtomicU64,
    /// `maxmemory-eviction-tenacity`.
    pub eviction_tenacity: AtomicU64,
    /// `client-output-buffer-limit` per class (normal, replica, pubsub):
    /// hard bytes, soft bytes, soft seconds.
    pub obuf_limits: [[AtomicU64; 3]; 3],
}

impl Hot {
    /// The collection encoding thresholds, read once per command.
    pub fn limits(&self) -> crate::store::value::Limits {
        crate::store::value::Limits {
            hash_entries: self.hash_max_listpack_entries.load(Relaxed) as usize,
            hash_value: self.hash_max_listpack_value.load(Relaxed) as usize,
            set_intset_entries: self.set_max_intset_entries.load(Relaxed) as usize,
            zset_entries: self.zset_max_listpack_entries.load(Relaxed) as usize,
            zset_value: self.zset_max_listpack_value.load(Relaxed) as usize,
            list_fill: self.list_max_listpack_size.load(Relaxed) as i32,
        }
    }
}

/// Adds to a counter that only its own worker writes: a plain load and
/// store, without the locked read-modify-write of `fetch_add`. A concurrent
/// CONFIG RESETSTAT may lose one update, which statistics tolerate.
#[inline]
pub fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Counters of one worker thread; INFO adds them up.
#[derive(Default)]
pub struct WorkerStats {
    /// Commands executed.
    pub commands: AtomicU64,
    /// Keys deleted on access or by the active cycle.
    pub expired_keys: AtomicU64,
    /// Keys deleted to stay under `maxmemory`.
    pub evicted_keys: AtomicU64,
    /// Successful lookups.
    pub keyspace_hits: AtomicU64,
    /// Failed lookups.
    pub keyspace_misses: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Commands rejected before running (unknown, arity, auth...).
    pub rejected_calls: AtomicU64,
    /// Commands that ran and replied with an error.
    pub failed_calls: AtomicU64,
    /// Per command id: calls, microseconds, rejected, failed.
    pub per_command: Box<[CommandStats]>,
    /// Error replies by error code (`ERR`, `WRONGTYPE`...).
    pub errors: Mutex<HashMap<String, u64>>,
}

/// Per-command counters behind `INFO commandstats`.
#[derive(Default)]
pub struct CommandStats {
    /// Times the command ran.
    pub calls: AtomicU64,
    /// Total run time.
    pub usec: AtomicU64,
    /// Times it was rejected before running.
    pub rejected: AtomicU64,
    /// Times it ran and failed.
    pub failed: AtomicU64,
}

impl WorkerStats {
    /// Counters for a table of `ncommands` commands.
    pub fn new(ncommands: usize) -> WorkerStats {
        WorkerStats {
            per_command: (0..ncommands).map(|_| CommandStats::default()).collect(),
            ..Default::default()
        }
    }

    /// Counts one error reply by its code.
    pub fn count_error(&self, code: &str) {
        *self.errors.lock().entry(code.to_string()).or_insert(0) += 1;
    }

    /// Zeroes the counters (CONFIG RESETSTAT).
    pub fn reset(&self) {
        for c in [
            &self.commands,
            &self.expired_keys,
            &self.evicted_keys,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.rejected_calls,
            &self.failed_calls,
        ] {
            c.store(0, Relaxed);
        }
        for c in self.per_command.iter() {
            c.calls.store(0, Relaxed);
            c.usec.store(0, Relaxed);
            c.rejected.store(0, Relaxed);
            c.failed.store(0, Relaxed);
        }
        self.errors.lock().clear();
    }
}

/// State shared by all threads.
pub struct Server {
    /// The configuration (cold paths only; see `hot`).
    pub config: RwLock<Config>,
    /// Hot-path settings.
    pub hot: Hot,
    /// All keys.
    pub keyspace: Keyspace,
    /// Every command.
    pub commands: CommandTable,
    /// One per worker thread.
    pub worker_stats: Vec<Arc<WorkerStats>>,
    /// Replication state (this server as a replica).
    pub repl: crate::repl::Replication,
    /// The effects log feeding this server's replicas.
    pub log: crate::repl::master::Log,
    /// The script engine's inbox, set once its thread starts.
    pub engine: OnceLock<crate::script::Engine>,
    /// Worker mailboxes, set once the workers start.
    pub mailboxes: OnceLock<Vec<Arc<Mailbox>>>,
    /// Connected clients by id, for CLIENT LIST/KILL.
    pub clients: Mutex<HashMap<u64, Arc<ClientShared>>>,
    /// Next client id.
    pub next_client_id: AtomicU64,
    /// Connected clients.
    pub connected_clients: AtomicUsize,
    /// Clients blocked on keys (INFO `blocked_clients`).
    pub blocked_clients: AtomicUsize,
    /// Keys under WATCH across all clients: writes skip the WATCH
    /// invalidation entirely while it is zero.
    pub watched_keys: AtomicUsize,
    /// Pub/Sub subscriptions of every client.
    pub pubsub: crate::pubsub::PubSub,
    /// Clients in MONITOR mode: (client id, worker, token).
    pub monitors: RwLock<Vec<crate::pubsub::Subscriber>>,
    /// `monitors.len()`, read on every command without the lock.
    pub monitoring: AtomicUsize,
    /// Connections accepted since start.
    pub total_connections: AtomicU64,
    /// Connections refused by `maxclients`.
    pub rejected_connections: AtomicU64,
    /// Changes since the last successful save.
    pub dirty: AtomicU64,
    /// Unix time (s) of the last successful save.
    pub lastsave: AtomicI64,
    /// Status of the last save.
    pub last_save_ok: AtomicBool,
    /// Saves done since start (`rdb_saves`).
    pub rdb_saves: AtomicU64,
    /// Set when the server should exit; workers stop their loops.
    pub shutdown: AtomicBool,
    /// Process start, for uptime.
    pub started: Instant,
    /// Unix ms at start.
    pub started_unix_ms: i64,
    /// Random 40-hex-char id shown as `run_id`.
    pub run_id: String,
    /// Number of worker threads.
    pub threads: usize,
    /// TCP port listened on (CONFIG SET port changes it).
    pub port: std::sync::atomic::AtomicU16,
    /// Path of the config file, if started with one (for INFO and CONFIG REWRITE).
    pub config_file: Option<String>,
    /// Path of the executable (INFO `executable`).
    pub executable: String,
    /// Recent rates for INFO: ops/s, input and output bytes/s (sampled by
    /// the main thread every 100 ms, averaged over 16 samples like Redis).
    pub inst_ops: AtomicU64,
    /// See `inst_ops`.
    pub inst_input_bps: AtomicU64,
    /// See `inst_ops`.
    pub inst_output_bps: AtomicU64,
    /// Pid of the running BGSAVE child (0: none).
    pub bgsave_child: std::sync::atomic::AtomicI32,
    /// `dirty` when the running BGSAVE forked (subtracted on success).
    pub dirty_at_bgsave: AtomicU64,
    /// Listeners bound by CONFIG SET port/bind, for the acceptor to switch
    /// to (it closes the old ones).
    pub new_tcp_listeners: Mutex<Option<Vec<mio::net::TcpListener>>>,
}

/// The main thread's sampler behind the `instantaneous_*` INFO fields.
#[derive(Default)]
pub struct RateSampler {
    last: Option<(Instant, [u64; 3])>,
    samples: std::collections::VecDeque<[f64; 3]>,
}

impl RateSampler {
    /// Takes one sample of the counters and publishes the averaged rates.
    pub fn sample(&mut self, srv: &Server) {
        let now = Instant::now();
        let cur = [
            srv.sum_stat(|s| s.commands.load(Relaxed)),
            srv.sum_stat(|s| s.net_input_bytes.load(Relaxed)),
            srv.sum_stat(|s| s.net_output_bytes.load(Relaxed)),
        ];
        if let Some((t, prev)) = self.last {
            let dt = now.duration_since(t).as_secs_f64().max(1e-3);
            let rate = |i: usize| cur[i].saturating_sub(prev[i]) as f64 / dt;
            self.samples.push_back([rate(0), rate(1), rate(2)]);
            if self.samples.len() > 16 {
                self.samples.pop_front();
            }
            let n = self.samples.len() as f64;
            let avg = |i: usize| (self.samples.iter().map(|s| s[i]).sum::<f64>() / n) as u64;
            srv.inst_ops.store(avg(0), Relaxed);
            srv.inst_input_bps.store(avg(1), Relaxed);
            srv.inst_output_bps.store(avg(2), Relaxed);
        }
        self.last = Some((now, cur));
    }
}

impl Server {
    /// Unix time in milliseconds.
    pub fn now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    /// Unix time in microseconds. Read twice per command (its clock and
    /// its duration), so it calls `clock_gettime` directly: `SystemTime`'s
    /// checked conversions cost about 2% of LPUSH's CPU time (perf).
    pub fn now_us() -> i64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the timespec it is given.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
        if rc != 0 {
            return 0;
        }
        ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
    }

    /// Copies the hot settings out of `cfg`.
    pub fn refresh_hot(&self, cfg: &Config) {
        let h = &self.hot;
        h.proto_max_bulk_len
            .store(cfg.get_int("proto-max-bulk-len") as u64, Relaxed);
        h.query_buffer_limit
            .store(cfg.get_int("client-query-buffer-limit") as u64, Relaxed);
        h.auth_required
            .store(!cfg.get_str("requirepass").is_empty(), Relaxed);
        h.timeout
            .store(cfg.get_int("timeout").max(0) as u64, Relaxed);
        h.maxclients
            .store(cfg.get_int("maxclients").max(1) as u64, Relaxed);
        h.hz.store(cfg.get_int("hz").clamp(1, 500) as u64, Relaxed);
        h.protected_mode.store(cfg.protected_mode(), Relaxed);
        let u = |n: &str| cfg.get_int(n).max(0) as u64;
        h.hash_max_listpack_entries
            .store(u("hash-max-listpack-entries"), Relaxed);
        h.hash_max_listpack_value
            .store(u("hash-max-listpack-value"), Relaxed);
        h.set_max_intset_entries
            .store(u("set-max-intset-entries"), Relaxed);
        h.zset_max_listpack_entries
            .store(u("zset-max-listpack-entries"), Relaxed);
        h.zset_max_listpack_value
            .store(u("zset-max-listpack-value"), Relaxed);
        h.list_max_listpack_size.store(
            cfg.get_int("list-max-listpack-size")
                .clamp(i32::MIN as i64, i32::MAX as i64),
            Relaxed,
        );
        h.notify_flags.store(cfg.notify_keyspace_events(), Relaxed);
        let policy = cfg.maxmemory_policy();
        h.maxmemory.store(cfg.maxmemory(), Relaxed);
        h.maxmemory_policy.store(policy as u8, Relaxed);
        h.maxmemory_samples
            .store(cfg.maxmemory_samples().max(1) as u64, Relaxed);
        h.eviction_tenacity
            .store(u("maxmemory-eviction-tenacity"), Relaxed);
        use crate::config::MaxmemoryPolicy as P;
        crate::store::access::configure(
            matches!(policy, P::AllkeysLfu | P::VolatileLfu),
            u("lfu-log-factor").min(u32::MAX as u64) as u32,
            u("lfu-decay-time").min(u32::MAX as u64) as u32,
        );
        h.tracking_table_max_keys.store(
            cfg.get_int("tracking-table-max-keys").max(0) as u64,
            Relaxed,
        );
        h.min_replicas_block.store(
            cfg.get_int("min-replicas-to-write") > 0 && cfg.get_int("min-replicas-max-lag") > 0,
            Relaxed,
        );
        use crate::config::ClientClass;
        for class in [
            ClientClass::Normal,
            ClientClass::Replica,
            ClientClass::Pubsub,
        ] {
            let l = cfg.client_output_buffer_limit(class);
            let slot = &h.obuf_limits[class as usize];
            slot[0].store(l.hard_bytes, Relaxed);
            slot[1].store(l.soft_bytes, Relaxed);
            slot[2].store(l.soft_seconds.max(0) as u64, Relaxed);
        }
    }

    /// Output-buffer limits of a client class: (hard, soft, soft seconds).
    pub fn obuf_limit(&self, class: crate::config::ClientClass) -> (u64, u64, u64) {
        let l = &self.hot.obuf_limits[class as usize];
        (l[0].load(Relaxed), l[1].load(Relaxed), l[2].load(Relaxed))
    }

    /// The script engine thread's counters (the slot after the workers').
    pub fn engine_stats(&self) -> Arc<WorkerStats> {
        self.worker_stats[self.threads].clone()
    }

    /// The replication link thread's counters (after the engine's).
    pub fn repl_stats(&self) -> Arc<WorkerStats> {
        self.worker_stats[self.threads + 1].clone()
    }

    /// Sum of one counter over all workers.
    pub fn sum_stat(&self, f: impl Fn(&WorkerStats) -> u64) -> u64 {
        self.worker_stats.iter().map(|s| f(s)).sum()
    }

    /// Bytes of Pub/Sub messages, invalidations and MONITOR lines on their
    /// way to other connections' sockets (Redis's `mem_not_counted_for_evict`
    /// plays the same part for replica buffers).
    pub fn deliveries_in_flight(&self) -> usize {
        self.mailbox_in_flight() + self.replica_output()
    }

    /// Memory held by replica connections' output buffers
    /// (`mem_clients_slaves`).
    pub fn replica_output(&self) -> usize {
        let replicas = self.log.replicas();
        if replicas.is_empty() {
            return 0;
        }
        let clients = self.clients.lock();
        replicas
            .iter()
            .filter_map(|r| clients.get(&r.client_id))
            .map(|c| c.obuf_alloc.load(Relaxed))
            .sum()
    }

    /// Bytes of deliveries queued in mailboxes.
    fn mailbox_in_flight(&self) -> usize {
        self.mailboxes
            .get()
            .map_or(0, |mbs| mbs.iter().map(|m| m.in_flight_bytes()).sum())
    }

    /// Asks every worker to look at its mailbox (after setting a flag).
    pub fn wake_workers(&self) {
        if let Some(mbs) = self.mailboxes.get() {
            for m in mbs {
                m.wake();
            }
        }
    }
}
