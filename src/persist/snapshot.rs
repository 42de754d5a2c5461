//! Snapshots: writing the keyspace to an RDB file and loading it back.
//!
//! This joins the store to the format code in [`super::rdb`]. A save runs
//! with every shard locked (the caller holds the locks), which gives a
//! point-in-time image; the file is written to a temporary name, synced and
//! renamed over `dir/dbfilename`, as Redis does, so a crash never leaves a
//! half-written dump in place.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::sync::atomic::Ordering::Relaxed;

use super::rdb::{self, RdbError, RdbObject, RdbVisitor, RdbWriter};
use crate::server::Server;
use crate::store::{hash_key, shard_of, Entry, Locked, NewValue, StrEnc, ValueRef, SHARDS};

fn dump_path(srv: &Server) -> String {
    srv.config.read().dbfilename()
}

/// What a save needs from the server, read before any fork so the child
/// never touches a lock another thread might have held at fork time.
pub struct SaveParams {
    path: String,
    opts: rdb::EncodingOptions,
    used_mem: u64,
    num_dbs: usize,
    access: AccessData,
}

/// Which per-key access data a dump carries, by `maxmemory-policy`, as
/// Redis writes it: LRU idle seconds under an LRU policy, the LFU counter
/// under an LFU one, nothing otherwise.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AccessData {
    None,
    LruIdle,
    LfuFreq,
}

impl SaveParams {
    /// Snapshot of the relevant configuration.
    pub fn new(srv: &Server) -> SaveParams {
        let opts = encoding_options(srv);
        let cfg = srv.config.read();
        SaveParams {
            path: cfg.dbfilename(),
            opts,
            used_mem: crate::util::alloc::used_memory() as u64,
            num_dbs: srv.keyspace.num_dbs(),
            access: {
                use crate::config::MaxmemoryPolicy as P;
                match cfg.maxmemory_policy() {
                    P::VolatileLru | P::AllkeysLru => AccessData::LruIdle,
                    P::VolatileLfu | P::AllkeysLfu => AccessData::LfuFreq,
                    _ => AccessData::None,
                }
            },
        }
    }
}

/// The RDB encoding settings from the configuration, so a save (or DUMP)
/// encodes collections as Redis with the same settings would.
pub fn encoding_options(srv: &Server) -> rdb::EncodingOptions {
    let cfg = srv.config.read();
    let lim = srv.hot.limits();
    rdb::EncodingOptions {
        rdb_compression: cfg.get_bool("rdbcompression"),
        rdb_checksum: cfg.get_bool("rdbchecksum"),
        list_max_listpack_size: lim.list_fill as i64,
        hash_max_listpack_entries: lim.hash_entries,
        hash_max_listpack_value: lim.hash_value,
        set_max_intset_entries: lim.set_intset_entries,
        zset_max_listpack_entries: lim.zset_entries,
        zset_max_listpack_value: lim.zset_value,
        ..Default::default()
    }
}

/// Writes every database to the dump file (relative to the working
/// directory, which is `dir`) through a temporary file, synced and renamed.
pub fn write_rdb(params: &SaveParams, locked: &mut Locked) -> std::io::Result<()> {
    let tmp = format!("temp-{}.rdb", std::process::id());
    let file = File::create(&tmp)?;
    let mut inner = write_rdb_to(
        params,
        locked,
        BufWriter::with_capacity(1 << 16, file),
        None,
    )?;
    inner.flush()?;
    let file = inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &params.path)?;
    Ok(())
}

/// The RDB image of the locked keyspace in memory, with the replication
/// aux fields (`repl-id`, `repl-offset`): what SYNC/PSYNC send a replica.
pub fn rdb_image(
    srv: &Server,
    locked: &mut Locked,
    replid: &str,
    offset: i64,
) -> std::io::Result<Vec<u8>> {
    let params = SaveParams::new(srv);
    write_rdb_to(&params, locked, Vec::new(), Some((-1, replid, offset)))
}

/// Writes every database in RDB format to `out` and returns it.
fn write_rdb_to<W: Write>(
    params: &SaveParams,
    locked: &mut Locked,
    out: W,
    repl: Option<(i64, &str, i64)>,
) -> std::io::Result<W> {
    let mut w = RdbWriter::with_options(out, params.opts.clone());
    w.header()?;
    w.info_aux(&rdb::InfoAux {
        redis_ver: crate::REDIS_VERSION,
        ctime: Server::now_ms() / 1000,
        used_mem: params.used_mem,
        repl,
        aof_base: false,
    })?;
    let now = Server::now_ms();
    for db in 0..params.num_dbs {
        let (mut keys, mut expires) = (0u64, 0u64);
        for idx in 0..SHARDS {
            if let Some(sh) = locked.shard(idx) {
                keys += sh.dbs[db].len() as u64;
                expires += sh.dbs[db].volatile_len() as u64;
            }
        }
        if keys == 0 {
            continue;
        }
        w.select_db(db as u64)?;
        w.resize_db(keys, expires)?;
        for idx in 0..SHARDS {
            let Some(sh) = locked.shard(idx) else {
                continue;
            };
            let mut result = Ok(());
            sh.dbs[db].dict().for_each(|e| {
                if result.is_err() {
                    return;
                }
                // Keys already expired are not saved (Redis skips them too).
                if e.expire().is_some_and(|t| t <= now) {
                    return;
                }
                result = write_key(&mut w, e, params.access);
            });
            result?;
        }
    }
    w.finish()
}

/// Writes one key: its expiry, its access data (in Redis's order, between
/// the expiry and the type), then the key and value.
fn write_key<W: Write>(
    w: &mut RdbWriter<W>,
    e: crate::store::EntryRef<'_>,
    access: AccessData,
) -> std::io::Result<()> {
    let value = match e.value() {
        ValueRef::Str(..) => None,
        ValueRef::Obj(v) => match crate::store::value::to_rdb(v) {
            Some(obj) => Some(obj),
            None => return Ok(()),
        },
    };
    if let Some(at) = e.expire() {
        w.expire_ms(at)?;
    }
    match access {
        AccessData::None => {}
        AccessData::LruIdle => w.lru_idle(crate::store::idle_seconds(e.lru()))?,
        AccessData::LfuFreq => w.lfu_freq(crate::store::access::lfu_counter(e.lru()) as u8)?,
    }
    match (e.value(), value) {
        (ValueRef::Str(s, _), _) => w.key_string(e.key(), s, None),
        (_, Some(obj)) => w.key_object(e.key(), &obj, None),
        _ => Ok(()),
    }
}

/// SAVE: writes the dump and updates the save bookkeeping and log.
pub fn save_locked(srv: &Server, locked: &mut Locked) -> Result<(), String> {
    if srv.bgsave_child.load(Relaxed) > 0 {
        return Err("Background save already in progress".into());
    }
    match write_rdb(&SaveParams::new(srv), locked) {
        Ok(()) => {
            crate::notice!("DB saved on disk");
            srv.dirty.store(0, Relaxed);
            srv.lastsave.store(Server::now_ms() / 1000, Relaxed);
            srv.last_save_ok.store(true, Relaxed);
            srv.rdb_saves.fetch_add(1, Relaxed);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(format!("temp-{}.rdb", std::process::id()));
            crate::warning!("Failed opening the temp RDB file temp-{}.rdb (in server root dir {}) for saving: {e}", std::process::id(), srv.config.read().dir());
            srv.last_save_ok.store(false, Relaxed);
            Err(e.to_string())
        }
    }
}

/// Loads keys from an RDB stream into the locked keyspace.
struct Loader<'a, 'k> {
    locked: &'a mut Locked<'k>,
    num_dbs: usize,
    now_ms: i64,
    limits: crate::store::value::Limits,
    loaded: u64,
    expired: u64,
}

impl RdbVisitor for Loader<'_, '_> {
    fn select_db(&mut self, db: u64) -> Result<(), RdbError> {
        if db as usize >= self.num_dbs {
            return Err(RdbError::Corrupt(format!(
                "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                self.num_dbs
            )));
        }
        Ok(())
    }

    fn object(
        &mut self,
        db: u64,
        key: Vec<u8>,
        value: RdbObject,
        expire_ms: Option<i64>,
        lru_idle: Option<u64>,
        lfu_freq: Option<u8>,
    ) -> Result<(), RdbError> {
        if expire_ms.is_some_and(|t| t <= self.now_ms) {
            self.expired += 1;
            return Ok(());
        }
        let entry = match value {
            RdbObject::String(s) => {
                Entry::new(&key, NewValue::Str(&s, StrEnc::for_new(&s)), expire_ms)
            }
            other => match crate::store::value::from_rdb(other, &self.limits) {
                Some(v) => Entry::new(&key, NewValue::Obj(Box::new(v)), expire_ms),
                None => {
                    return Err(RdbError::Corrupt(format!(
                        "unsupported value type for key {}",
                        String::from_utf8_lossy(&key)
                    )))
                }
            },
        };
        let mut entry = entry;
        if let Some(field) = crate::store::access::from_dump(lru_idle, lfu_freq) {
            entry.as_mut().set_lru(field);
        }
        let Some(sh) = self.locked.shard(shard_of(&key)) else {
            return Err(RdbError::Corrupt("shard not locked".into()));
        };
        let Some(table) = sh.dbs.get_mut(db as usize) else {
            return Err(RdbError::Corrupt("database index out of range".into()));
        };
        if table.insert(entry, hash_key(&key)).is_some() {
            return Err(RdbError::Corrupt(format!(
                "Duplicate key '{}' found in RDB file",
                String::from_utf8_lossy(&key)
            )));
        }
        self.loaded += 1;
        Ok(())
    }
}

/// Loads the dump file into the (locked, normally empty) keyspace.
/// Returns Ok(false) when there is no dump file.
pub fn load_locked(srv: &Server, locked: &mut Locked) -> Result<bool, String> {
    let path = dump_path(srv);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("{e}")),
    };
    let mut loader = Loader {
        locked,
        num_dbs: srv.keyspace.num_dbs(),
        now_ms: Server::now_ms(),
        limits: srv.hot.limits(),
        loaded: 0,
        expired: 0,
    };
    rdb::load(BufReader::with_capacity(1 << 16, file), &mut loader).map_err(|e| e.to_string())?;
    crate::notice!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        loader.loaded,
        loader.expired
    );
    Ok(true)
}

/// Loads the dump file at start-up, if there is one.
pub fn load_at_startup(srv: &Server) -> Result<bool, String> {
    let mut locked = srv.keyspace.lock_all();
    load_locked(srv, &mut locked)
}

/// Starts a background save when a `save <seconds> <changes>` point is
/// reached (called about once a second by the main thread).
pub fn check_save_points(srv: &Server) {
    if srv.bgsave_child.load(Relaxed) > 0 {
        return;
    }
    let points = srv.config.read().save_points();
    let dirty = srv.dirty.load(Relaxed);
    if dirty == 0 {
        return;
    }
    let elapsed = (Server::now_ms() / 1000 - srv.lastsave.load(Relaxed)).max(0) as u64;
    for (secs, changes) in points {
        if dirty >= changes && elapsed >= secs {
            crate::notice!("{changes} changes in {secs} seconds. Saving...");
            let mut locked = srv.keyspace.lock_all();
            let _ = bgsave(srv, &mut locked);
            return;
        }
    }
}

/// BGSAVE: forks a child that writes the dump from its copy-on-write image
/// of the keyspace. The caller holds every shard lock, so no thread is in
/// the middle of changing a key when the image is taken; the child uses
/// only the locks' guards it inherited, the parameters read before the fork
/// and the file system, and leaves with `_exit`.
pub fn bgsave(srv: &Server, locked: &mut Locked) -> Result<i32, String> {
    if srv.bgsave_child.load(Relaxed) > 0 {
        return Err("Background save already in progress".into());
    }
    let params = SaveParams::new(srv);
    let dirty = srv.dirty.load(Relaxed);
    // SAFETY: fork in a multi-threaded process: the child only runs the RDB
    // writer on memory it owns (jemalloc's fork handlers make allocation
    // safe) and terminates with _exit without running destructors.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(format!(
            "Can't save in background: fork: {}",
            std::io::Error::last_os_error()
        )),
        0 => {
            let code = match write_rdb(&params, locked) {
                Ok(()) => 0,
                Err(_) => 1,
            };
            // SAFETY: leaving the child immediately, as Redis's children do.
            unsafe { libc::_exit(code) }
        }
        child => {
            srv.bgsave_child.store(child, Relaxed);
            srv.dirty_at_bgsave.store(dirty, Relaxed);
            crate::notice!("Background saving started by pid {child}");
            Ok(child)
        }
    }
}

/// Stops a running BGSAVE child (shutdown saves in the foreground instead).
pub fn kill_bgsave(srv: &Server) {
    let child = srv.bgsave_child.swap(0, Relaxed);
    if child > 0 {
        crate::warning!("There is a child saving an .rdb. Killing it!");
        let mut status = 0;
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(child, libc::SIGUSR1);
            libc::waitpid(child, &mut status, 0);
        }
        let _ = std::fs::remove_file(format!("temp-{child}.rdb"));
    }
}

/// Reaps a finished BGSAVE child and records its outcome (main thread).
pub fn reap_bgsave(srv: &Server) {
    let child = srv.bgsave_child.load(Relaxed);
    if child <= 0 {
        return;
    }
    let mut status = 0;
    // SAFETY: waiting for our own child without blocking.
    let r = unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) };
    if r == 0 {
        return;
    }
    srv.bgsave_child.store(0, Relaxed);
    let ok = r == child && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if ok {
        crate::notice!("Background saving terminated with success");
        let at_fork = srv.dirty_at_bgsave.load(Relaxed);
        let _ = srv
            .dirty
            .fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(at_fork)));
        srv.lastsave.store(Server::now_ms() / 1000, Relaxed);
        srv.rdb_saves.fetch_add(1, Relaxed);
    } else {
        crate::warning!("Background saving error");
        let _ = std::fs::remove_file(format!("temp-{child}.rdb"));
    }
    srv.last_save_ok.store(ok, Relaxed);
}

/// FLUSHALL saves an (empty) dump when save points are configured, so a
/// restart doesn't bring the flushed keys back.
pub fn save_after_flushall(srv: &Server, locked: &mut Locked) {
    if !srv.config.read().save_points().is_empty() {
        let _ = save_locked(srv, locked);
    }
}
