//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's `multi.c`).
//!
//! While a client is in MULTI the dispatcher queues its commands (after the
//! usual checks: an unknown command or a wrong arity dooms the transaction,
//! and EXEC then answers EXECABORT). EXEC locks the shards of every queued
//! command's keys at once, in order (every shard if one of them needs all),
//! and runs them back to back under those locks, so no other client sees a
//! state in between. Blocking commands inside behave as if timed out.
//!
//! WATCH registers a flag in the shard of each watched key; any command that
//! changes data marks the watchers of the keys it writes (key specs with
//! write access), and EXEC fails with a null reply if its flag is set.

use std::sync::atomic::Ordering;

use super::blocking::ReadyKey;
use super::dispatch::{invoke, plan_shards};
use super::meta::key_flags;
use super::table::Command;
use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, Keys, LockMode, Planned};
use crate::net::client::{ClientShared, ClientState};
use crate::resp::ReplyBuf;
use crate::server::{bump, Server, WorkerStats};
use crate::store::shard_of;

/// The transaction commands' bindings (EXEC itself is run by the
/// dispatcher through [`exec`]; its binding only answers outside MULTI).
pub const COMMANDS: &[Binding] = &[
    bind("multi", multi, LockMode::None),
    bind("exec", exec_outside, LockMode::None),
    bind("discard", discard, LockMode::None),
    bind("watch", watch, LockMode::Keys),
    bind("unwatch", unwatch, LockMode::None),
];

/// A transaction being queued. The queued commands' arguments are stored
/// back to back in one buffer (no allocation per command or argument once
/// the buffers have grown), each with the table entry it resolved to.
#[derive(Debug, Default)]
pub struct MultiState {
    buf: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
    /// Per queued command: its id in the command table and its slice of
    /// `ranges`.
    cmds: Vec<(usize, std::ops::Range<usize>)>,
    /// A queued command was rejected: EXEC answers EXECABORT.
    pub abort: bool,
    /// A queued command writes (EXEC is then a write command).
    pub has_write: bool,
    /// A queued command may use more memory (EXEC is then refused when
    /// out of memory, as Redis's `mstate.cmd_flags & CMD_DENYOOM`).
    pub has_denyoom: bool,
    /// A queued command runs on the script engine (EVAL, FCALL...): the
    /// whole EXEC then runs there.
    pub has_engine: bool,
    /// A queued command is not flagged `stale`: a replica whose link is
    /// down refuses the EXEC (replica-serve-stale-data no).
    pub has_denystale: bool,
}

impl MultiState {
    /// Queues a command that passed the checks.
    pub fn push(&mut self, cmd: &Command, args: Args<'_>) {
        let first = self.ranges.len();
        for a in args.from(0) {
            let s = self.buf.len();
            self.buf.extend_from_slice(a);
            self.ranges.push(s..self.buf.len());
        }
        self.cmds.push((cmd.id, first..self.ranges.len()));
    }

    /// Empties the queue, keeping its buffers for the next MULTI.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.ranges.clear();
        self.cmds.clear();
        self.abort = false;
        self.has_write = false;
        self.has_denyoom = false;
        self.has_engine = false;
        self.has_denystale = false;
    }

    /// Bytes held by the queue's buffers.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
            + self.ranges.capacity() * std::mem::size_of::<std::ops::Range<usize>>()
            + self.cmds.capacity() * std::mem::size_of::<(usize, std::ops::Range<usize>)>()
    }

    /// Number of queued commands.
    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    /// True if nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// Queued command `i`: its table id and arguments.
    pub fn get(&self, i: usize) -> (usize, Args<'_>) {
        let (id, r) = &self.cmds[i];
        (*id, Args::new(&self.buf, &self.ranges[r.clone()]))
    }
}

/// Commands that run immediately even inside MULTI.
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

fn multi(ctx: &mut Ctx, _args: Args) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(ctx.client.multi_spare.take().unwrap_or_default());
    ctx.out.ok();
    Ok(())
}

fn exec_outside(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Err(CmdError::err("EXEC without MULTI"))
}

fn discard(ctx: &mut Ctx, _args: Args) -> CmdResult {
    if ctx.client.multi.take().is_none() {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    unwatch_all(ctx.srv, ctx.client);
    ctx.out.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx, args: Args) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    let flag = ctx.client.watch_dirty.clone();
    let now = ctx.keys.now_ms;
    for k in args.from(1) {
        if ctx.client.watched.iter().any(|(d, w)| *d == db && w == k) {
            continue;
        }
        let shard = ctx
            .keys
            .locked()
            .shard(shard_of(k))
            .ok_or_else(|| CmdError::err("internal error: WATCH key not locked"))?;
        let expired = is_stale(&shard.dbs[db], k, now);
        shard.watchers.add(db, k, &flag, expired);
        ctx.client.watched.push((db, k.to_vec()));
        ctx.srv.watched_keys.fetch_add(1, Ordering::Relaxed);
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: Args) -> CmdResult {
    // Inside EXEC the watched keys' shards are locked by this very thread
    // (and EXEC unwatches everything when it ends): nothing to do now.
    if !ctx.client.in_multi {
        unwatch_all(ctx.srv, ctx.client);
    }
    ctx.out.ok();
    Ok(())
}

/// Forgets every WATCH of the client (EXEC, DISCARD, UNWATCH, RESET,
/// disconnect). Takes the watched keys' shard locks: call with none held.
pub fn unwatch_all(srv: &Server, state: &mut ClientState) {
    if state.watched.is_empty() {
        state.watch_dirty.store(false, Ordering::Release);
        return;
    }
    let watched = std::mem::take(&mut state.watched);
    srv.watched_keys.fetch_sub(watched.len(), Ordering::Relaxed);
    if !forget_watches(srv, &watched, &state.watch_dirty) {
        // A script holds the keyspace: the old registrations are removed
        // later, and keep a flag of their own meanwhile so that they can't
        // fail this client's next transaction.
        let old = std::mem::take(&mut state.watch_dirty);
        DEFERRED_UNWATCH.lock().push((watched, old));
        return;
    }
    state.watch_dirty.store(false, Ordering::Release);
}

/// WATCH registrations whose removal waits for the script engine to
/// release the keyspace (see [`unwatch_all`]).
type Watches = (
    Vec<(usize, Vec<u8>)>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
);
static DEFERRED_UNWATCH: parking_lot::Mutex<Vec<Watches>> = parking_lot::const_mutex(Vec::new());

/// Removes `flag`'s registrations for `watched`; false (nothing done) while
/// the script engine holds the keyspace.
fn forget_watches(
    srv: &Server,
    watched: &[(usize, Vec<u8>)],
    flag: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> bool {
    let mut shards: Vec<usize> = watched.iter().map(|(_, k)| shard_of(k)).collect();
    shards.sort_unstable();
    shards.dedup();
    let Some(mut locked) = srv.keyspace.lock_or_park(&shards) else {
        return false;
    };
    for (db, k) in watched {
        if let Some(s) = locked.shard(shard_of(k)) {
            s.watchers.remove(*db, k, flag);
        }
    }
    true
}

/// Finishes the removals [`unwatch_all`] put off (workers' cron).
pub fn unwatch_deferred(srv: &Server) {
    if srv.keyspace.engine_active() {
        return;
    }
    let list = std::mem::take(&mut *DEFERRED_UNWATCH.lock());
    for (watched, flag) in list {
        if !forget_watches(srv, &watched, &flag) {
            DEFERRED_UNWATCH.lock().push((watched, flag));
        }
    }
}

/// The key is present but past its TTL (Redis's `keyIsExpired`).
fn is_stale(db: &crate::store::Db, key: &[u8], now_ms: i64) -> bool {
    db.get(key, crate::store::hash_key(key))
        .and_then(|e| e.expire())
        .is_some_and(|w| w <= now_ms)
}

/// Invalidates the WATCHes a whole-database change affects, before it
/// happens: `emptied` is flushed, or swapped with `replacement` (SWAPDB
/// calls this once per direction). Keys absent from both are untouched,
/// and a key already expired stays logically unchanged.
pub fn touch_db_change(keys: &mut Keys<'_>, emptied: usize, replacement: Option<usize>) {
    use crate::store::waiters::DbChange;
    let now = keys.now_ms;
    for (_, sh) in keys.locked().iter_mut() {
        if sh.watchers.is_empty() {
            continue;
        }
        for k in sh.watchers.keys_in_db(emptied) {
            let h = crate::store::hash_key(&k);
            let in_emptied = sh.dbs[emptied].get(&k, h).is_some();
            let (in_replacement, replacement_expired) = match replacement {
                Some(r) => (
                    sh.dbs[r].get(&k, h).is_some(),
                    is_stale(&sh.dbs[r], &k, now),
                ),
                None => (false, false),
            };
            let change = DbChange {
                in_emptied,
                in_replacement,
                replacement_expired,
            };
            sh.watchers.touch_for_db_change(emptied, &k, change);
        }
    }
}

/// Marks the watchers of the keys a command wrote (called after a command
/// that changed data, with its locks still held).
pub fn touch_written_keys(keys: &mut Keys<'_>, cmd: &Command, args: Args<'_>, by: u64) {
    const WRITES: u32 = key_flags::RW | key_flags::OW | key_flags::RM;
    let db = keys.db;
    let all = matches!(cmd.lock, LockMode::All | LockMode::Engine);
    if matches!(
        cmd.fullname.as_str(),
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    ) {
        // The commands a script ran touched their own keys.
        return;
    }
    let locked = keys.locked();
    if all && matches!(cmd.fullname.as_str(), "flushall" | "flushdb" | "swapdb") {
        // Done by the commands themselves, before they change anything.
        return;
    }
    if cmd.fullname == "sort" {
        // SORT's STORE destination is found by Redis's custom finder.
        let argv: Vec<&[u8]> = args.from(0).collect();
        for pos in super::introspect::sort_keys(&argv).into_iter().skip(1) {
            let key = args.get(pos);
            if let Some(s) = locked.shard(shard_of(key)) {
                touch_key(s, db, key, by);
            }
        }
        return;
    }
    let _ = super::meta::for_each_key(
        cmd.meta,
        args.len(),
        |i| args.get(i),
        false,
        |k| {
            if k.flags & WRITES != 0 {
                let key = args.get(k.pos);
                if let Some(s) = locked.shard(shard_of(key)) {
                    touch_key(s, db, key, by);
                }
            }
        },
    );
}

/// Marks the watchers of one written key and invalidates it for tracking
/// clients (`by`: the client that wrote it).
fn touch_key(s: &mut crate::store::Shard, db: usize, key: &[u8], by: u64) {
    let tracking = &crate::tracking::TRACKING;
    if !tracking.idle() {
        tracking.key_changed(&mut s.tracked, key, by);
    }
    if s.watchers.is_empty() {
        return;
    }
    let exists = s.dbs[db].get(key, crate::store::hash_key(key)).is_some();
    s.watchers.touch(db, key, exists);
}

/// True if a key watched while live is now past its TTL but not yet
/// deleted: EXEC fails as if it had changed (Redis's `isWatchedKeyExpired`).
fn watched_key_expired(keys: &mut Keys<'_>, state: &ClientState) -> bool {
    let now = keys.now_ms;
    let locked = keys.locked();
    state.watched.iter().any(|(db, k)| {
        locked.shard(shard_of(k)).is_some_and(|s| {
            !s.watchers.watched_expired(*db, k, &state.watch_dirty) && is_stale(&s.dbs[*db], k, now)
        })
    })
}

/// Runs EXEC for a client in MULTI: replies EXECABORT, a null array (a
/// watched key changed) or the array of the queued commands' replies.
pub fn exec(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    shared: Option<&ClientShared>,
    exec_cmd: &Command,
    ready: &mut Vec<ReadyKey>,
) -> super::dispatch::Inner {
    let Some(m) = state.multi.as_ref() else {
        out.error("ERR EXEC without MULTI");
        return super::dispatch::Inner::Done;
    };
    // The shards the queued commands need, and the watched keys' shards
    // (EXEC checks whether one expired), taken before anything else so that
    // a worker can park the EXEC while the script engine holds them.
    let locked = if m.abort {
        None
    } else {
        let mut shards = Vec::new();
        let mut all = false;
        for i in 0..m.len() {
            let (id, args) = m.get(i);
            let cmd = &srv.commands.list[id];
            match cmd.lock {
                LockMode::All | LockMode::Engine => all = true,
                LockMode::Keys => {
                    let mut planned = Planned::default();
                    if !plan_shards(cmd, args, &mut planned, &mut shards) {
                        all = true;
                    }
                }
                LockMode::None => {}
            }
        }
        shards.extend(state.watched.iter().map(|(_, k)| shard_of(k)));
        shards.sort_unstable();
        shards.dedup();
        let may_block = crate::script::may_block();
        let locked = match (all, may_block) {
            (true, true) => Some(srv.keyspace.lock_all()),
            (true, false) => srv.keyspace.lock_all_or_park(),
            (false, true) => Some(srv.keyspace.lock(&shards)),
            (false, false) => srv.keyspace.lock_or_park(&shards),
        };
        match locked {
            Some(l) => Some(l),
            None => return super::dispatch::Inner::Parked,
        }
    };
    let Some(mut m) = state.multi.take() else {
        return super::dispatch::Inner::Done;
    };
    bump(&stats.per_command[exec_cmd.id].calls, 1);
    if let Some(sh) = shared {
        sh.last_cmd
            .store(exec_cmd.id as u32 + 1, std::sync::atomic::Ordering::Relaxed);
    }
    bump(&stats.commands, 1);
    let Some(locked) = locked else {
        unwatch_all(srv, state);
        stats.per_command[exec_cmd.id]
            .failed
            .fetch_add(1, Ordering::Relaxed);
        stats.failed_calls.fetch_add(1, Ordering::Relaxed);
        stats.count_error("EXECABORT");
        out.error("EXECABORT Transaction discarded because of previous errors.");
        return super::dispatch::Inner::Done;
    };
    // Checked under the locks: a write to a watched key either happened
    // before (and is seen here) or happens after the whole transaction.
    let now_ms = Server::now_us() / 1000;
    let mut keys = Keys::new(locked, state.db, now_ms, Planned::default());
    if state.watch_dirty.load(Ordering::Acquire) || watched_key_expired(&mut keys, state) {
        drop(keys);
        unwatch_all(srv, state);
        out.null_array();
        return super::dispatch::Inner::Done;
    }
    out.array(m.len());
    state.in_multi = true;
    for i in 0..m.len() {
        let (id, args) = m.get(i);
        let cmd = &srv.commands.list[id];
        let Some(handler) = cmd.handler else {
            out.error(&format!(
                "ERR command '{}' is not implemented yet",
                cmd.fullname
            ));
            continue;
        };
        let start_us = Server::now_us();
        super::dispatch::close_timing(state, stats, start_us);
        super::monitor::feed_script_call(srv, state, shared, cmd, args);
        invoke(
            srv, stats, state, out, cmd, handler, args, &mut keys, None, start_us,
        );
        super::monitor::feed(srv, state, shared, cmd, args);
    }
    state.in_multi = false;
    if srv.repl.is_replica() && !state.is_master {
        // Demoted to a replica inside the transaction: Redis drops its
        // effects.
        srv.log.discard_pending();
    } else if let Some(off) = srv.log.flush(srv) {
        state.woff = off;
    }
    ready.append(&mut keys.ready);
    drop(keys);
    unwatch_all(srv, state);
    // Keep the queue's buffers for the next MULTI, unless a huge
    // transaction grew them.
    if m.capacity() <= 64 * 1024 {
        m.clear();
        state.multi_spare = Some(m);
    }
    super::dispatch::Inner::Done
}
