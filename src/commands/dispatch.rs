//! From parsed request to reply: lookup, checks, locking, execution, stats.
//!
//! The order of checks is Redis's (`processCommand`): unknown command or
//! subcommand, arity, protected commands, authentication; then the shards of
//! the command's keys are locked in ascending order and the handler runs.
//! Rejections and failures are counted the way `INFO commandstats` and
//! `INFO errorstats` report them.

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::blocking::{BlockSpec, ReadyKey};
use super::meta::{flags, CommandMeta};
use super::table::{Command, Found};
use super::{Args, CmdError, Ctx, Keys, LockMode, Planned};
use crate::net::client::{Client, ClientShared, ClientState};
use crate::resp::{Parsed, ReplyBuf};
use crate::server::{bump, Server, WorkerStats};
use crate::store::waiters::Waiter;
use crate::store::{shard_of, Locked};

/// What became of a batch of input.
pub enum BatchOutcome {
    /// Every complete command ran.
    Done,
    /// A command waits for a contended lock; retry later.
    Parked,
    /// The connection must be closed now.
    Close,
    /// The last command blocked the client (BLPOP...): run nothing more
    /// until it is served, times out or is unblocked.
    Blocked,
    /// The last command went to the script engine with the client's state:
    /// run nothing more until its `ScriptDone` comes back.
    Scripting,
    /// The last command was a WAIT that must wait for replicas' ACKs.
    WaitingAcks,
}

/// Runs every complete command in the client's query buffer.
pub fn execute_batch(srv: &Server, stats: &WorkerStats, c: &mut Client) -> BatchOutcome {
    let outcome = run_batch(srv, stats, c);
    close_timing(&mut c.state, stats, Server::now_us());
    outcome
}

/// Ends the duration of the client's last command, which runs until `now`
/// (INFO commandstats' `usec`). A command's end is the next one's start,
/// read once for both, so a pipeline of N commands reads the clock N + 1
/// times rather than 2N (a clock read is about 20 ns, 3% of a GET).
#[inline]
pub(crate) fn close_timing(state: &mut ClientState, stats: &WorkerStats, now: i64) {
    if let Some((id, start)) = state.open_timing.take() {
        bump(&stats.per_command[id].usec, (now - start).max(0) as u64);
    }
}

fn run_batch(srv: &Server, stats: &WorkerStats, c: &mut Client) -> BatchOutcome {
    let mut inline_buf: Vec<u8> = Vec::new();
    let mut inline_ranges: Vec<Range<usize>> = Vec::new();
    // CLIENT LIST's `qbuf` counts the commands being run, as Redis's
    // query buffer still holds them while they execute.
    c.shared.qbuf.store(c.pending_input(), Relaxed);
    loop {
        if c.state.close_after_reply {
            return BatchOutcome::Done;
        }
        let limits = c.limits(
            srv.hot.proto_max_bulk_len.load(Relaxed) as usize,
            srv.hot.auth_required.load(Relaxed),
        );
        let parsed = match c.parser.parse(&c.qbuf[..c.filled], limits) {
            Ok(None) => return BatchOutcome::Done,
            Ok(Some(p)) => p,
            Err(e) => {
                c.out.error(&format!("ERR {}", e.0));
                crate::verbose!(
                    "Protocol error ({}) from client: id={} addr={}",
                    e.0.trim_start_matches("Protocol error: "),
                    c.shared.id,
                    c.shared.addr
                );
                c.state.close_after_reply = true;
                return BatchOutcome::Done;
            }
        };
        let args = match &parsed {
            Parsed::Empty => continue,
            Parsed::Multibulk => Args::new(&c.qbuf[..c.filled], c.parser.args()),
            Parsed::Inline(v) => {
                inline_buf.clear();
                inline_ranges.clear();
                for a in v {
                    let s = inline_buf.len();
                    inline_buf.extend_from_slice(a);
                    inline_ranges.push(s..inline_buf.len());
                }
                Args::new(&inline_buf, &inline_ranges)
            }
        };
        match run_command(srv, stats, &mut c.state, &mut c.out, &c.shared, args) {
            RunOutcome::Done => {}
            RunOutcome::Parked => {
                c.parser.rewind();
                return BatchOutcome::Parked;
            }
            RunOutcome::Blocked(w) => {
                *c.shared.waiter.lock() = Some(w.clone());
                c.blocked = Some(w);
                srv.blocked_clients.fetch_add(1, Relaxed);
                return BatchOutcome::Blocked;
            }
            RunOutcome::Offload => {
                let job = crate::script::Job::new(
                    &mut c.state,
                    args,
                    c.out.resp3,
                    c.shared.clone(),
                    None,
                );
                return match srv.engine.get() {
                    Some(engine) => {
                        c.scripting = true;
                        if engine.submit(job) {
                            BatchOutcome::Scripting
                        } else {
                            BatchOutcome::Close
                        }
                    }
                    None => BatchOutcome::Close,
                };
            }
        }
        if c.state.close_after_reply && c.shared.kill.load(Relaxed) {
            return BatchOutcome::Close;
        }
        if c.state.wait_acks.is_some() {
            return BatchOutcome::WaitingAcks;
        }
    }
}

/// What became of one command.
pub enum RunOutcome {
    /// It ran (successfully or with an error reply).
    Done,
    /// It could not lock its shards without waiting: run it again later.
    Parked,
    /// It blocked the client on keys (BLPOP...), registered as this waiter.
    Blocked(Arc<Waiter>),
    /// It must run on the script engine thread (see `crate::script`).
    Offload,
}

/// What became of re-running a blocked client's command for a ready key.
pub enum ServeOutcome {
    /// It ran: the reply to send to the waiter.
    Served(Vec<u8>),
    /// The key had nothing for it (or not the type it waits for).
    NotServed,
}

/// How `check_and_run` was called.
#[derive(Clone, Copy)]
enum Mode<'w> {
    /// A client's command from its connection.
    Normal,
    /// A blocked client's command re-run because `key` became ready.
    Serving(&'w Arc<Waiter>, &'w [u8]),
}

/// Looks up, checks and runs one command, writing its reply; then serves the
/// clients blocked on keys it filled, before the connection runs anything
/// else (Redis's `handleClientsBlockedOnKeys` after `call`).
pub fn run_command(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    shared: &ClientShared,
    args: Args<'_>,
) -> RunOutcome {
    let reply_start = out.buf.len();
    let mut ready = Vec::new();
    let result = check_and_run(
        srv,
        stats,
        state,
        out,
        Some(shared),
        args,
        Mode::Normal,
        &mut ready,
    );
    if !ready.is_empty() {
        super::blocking::serve_ready(srv, stats, ready);
    }
    match result {
        Inner::Done => {}
        Inner::Parked => {
            out.buf.truncate(reply_start);
            return RunOutcome::Parked;
        }
        Inner::Offload => {
            out.buf.truncate(reply_start);
            return RunOutcome::Offload;
        }
        Inner::Blocked(w) => {
            out.buf.truncate(reply_start);
            // What the command pushed before blocking leaves now; its reply
            // comes when it is served or times out.
            out.buf.append(&mut state.pushes);
            out.buf.append(&mut state.pushes_after);
            return RunOutcome::Blocked(w);
        }
    }
    // Replies are dropped while OFF or SKIP is set (checked after the
    // command, since CLIENT REPLY ON clears them before replying); then
    // SKIP_NEXT becomes SKIP for the next command, as Redis's resetClient.
    if state.reply.off || state.reply.skip {
        out.buf.truncate(reply_start);
    }
    if !state.pushes.is_empty() {
        // Pushes go before the reply, as Redis writes them during the call.
        out.buf
            .splice(reply_start..reply_start, state.pushes.drain(..));
    }
    if !state.pushes_after.is_empty() {
        out.buf.append(&mut state.pushes_after);
    }
    state.reply.skip = std::mem::take(&mut state.reply.skip_next);
    RunOutcome::Done
}

/// Runs a command handed over to the script engine thread (see
/// `crate::script`), with the caller's state; the reply goes to `out`.
pub fn run_engine_command(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    shared: &ClientShared,
    args: Args<'_>,
) {
    srv.keyspace.set_engine_active(true);
    let outcome = run_command(srv, stats, state, out, shared, args);
    srv.keyspace.set_engine_active(false);
    close_timing(state, stats, Server::now_us());
    if let RunOutcome::Blocked(w) = outcome {
        // Blocking commands don't block inside scripts and EXEC, and
        // nothing else reaching the engine blocks: never expected here.
        crate::warning!("internal error: a command blocked on the script engine");
        crate::commands::blocking::forget(srv, &w);
    }
}

/// Runs one command of the master's stream on a replica, as the master
/// client (`state.is_master`); the reply is dropped, as Redis sends none to
/// its master. Commands that run on the script engine are handed to it and
/// waited for.
pub fn run_master_command(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    shared: &Arc<ClientShared>,
    args: Args<'_>,
) {
    let mut out = ReplyBuf::new();
    match run_command(srv, stats, state, &mut out, shared, args) {
        RunOutcome::Done | RunOutcome::Parked => {}
        RunOutcome::Blocked(w) => {
            // A blocking command never waits on behalf of the master.
            w.transition(crate::store::waiters::WAITING, crate::store::waiters::GONE);
            crate::commands::blocking::forget(srv, &w);
        }
        RunOutcome::Offload => {
            let Some(engine) = srv.engine.get() else {
                return;
            };
            let (tx, rx) = std::sync::mpsc::channel();
            let job = crate::script::Job::new(state, args, false, shared.clone(), Some(tx));
            if engine.submit(job) {
                if let Ok(done) = rx.recv() {
                    *state = done.state;
                }
            }
        }
    }
}

/// Re-runs waiter `w`'s command because `key` became ready, under the locks
/// of its keys. Keys its command fills in turn are added to `ready`.
pub fn run_waiter(
    srv: &Server,
    stats: &WorkerStats,
    w: &Arc<Waiter>,
    key: &[u8],
    ready: &mut Vec<ReadyKey>,
) -> ServeOutcome {
    let (buf, ranges) = super::blocking::argv_ranges(&w.argv);
    let args = Args::new(&buf, &ranges);
    let mut state = ClientState::for_waiter(w.client_id, w.db);
    let mut out = ReplyBuf::new();
    out.resp3 = w.resp3;
    let ran = check_and_run(
        srv,
        stats,
        &mut state,
        &mut out,
        None,
        args,
        Mode::Serving(w, key),
        ready,
    );
    close_timing(&mut state, stats, Server::now_us());
    match ran {
        Inner::Done => {
            let mut reply = std::mem::take(&mut state.pushes);
            reply.extend_from_slice(&out.buf);
            reply.append(&mut state.pushes_after);
            ServeOutcome::Served(reply)
        }
        Inner::Parked | Inner::Blocked(_) | Inner::Offload => ServeOutcome::NotServed,
    }
}

/// `check_and_run`'s result.
pub enum Inner {
    /// Ran (or was rejected, queued...).
    Done,
    /// Could not take its locks without waiting.
    Parked,
    /// Blocked the client as this waiter.
    Blocked(Arc<Waiter>),
    /// Runs on the script engine thread: hand it over.
    Offload,
}

/// Replies with a rejection (the command did not run); inside MULTI this
/// also dooms the transaction, as Redis's `flagTransaction`.
fn reject(
    state: &mut ClientState,
    stats: &WorkerStats,
    out: &mut ReplyBuf,
    cmd: Option<&Command>,
    err: CmdError,
) {
    if let Some(m) = state.multi.as_mut() {
        m.abort = true;
    }
    stats.rejected_calls.fetch_add(1, Relaxed);
    if let Some(cmd) = cmd {
        stats.per_command[cmd.id].rejected.fetch_add(1, Relaxed);
    }
    stats.count_error(&err.code());
    out.error(&err.message());
}

#[allow(clippy::too_many_arguments)]
fn check_and_run(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    shared: Option<&ClientShared>,
    args: Args<'_>,
    mode: Mode<'_>,
    ready: &mut Vec<ReadyKey>,
) -> Inner {
    // One clock read, first thing, serves as the end of the previous
    // command's duration (so neither this command's evictions nor its
    // wait for locks are charged to it, nor queueing to a MULTI), this
    // command's start, and its expiry clock.
    let start_us = Server::now_us();
    close_timing(state, stats, start_us);
    let name = args.get(0);
    if name.eq_ignore_ascii_case(b"host:") || name.eq_ignore_ascii_case(b"post") {
        crate::warning!(
            "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted."
        );
        state.close_after_reply = true;
        return Inner::Done;
    }
    let cmd = match srv.commands.lookup(args) {
        Found::Command(cmd) => cmd,
        Found::UnknownSubcommand(container) => {
            let msg = format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                truncate(&args.text(1), 128),
                container.fullname.to_uppercase()
            );
            reject(state, stats, out, None, CmdError::raw(msg));
            return Inner::Done;
        }
        Found::Unknown => {
            let mut list = String::new();
            for a in args.from(1) {
                if list.len() >= 128 {
                    break;
                }
                let room = 128 - list.len();
                let text = String::from_utf8_lossy(until_nul(a));
                list.push('\'');
                list.push_str(truncate(&text, room));
                list.push_str("' ");
            }
            let msg = format!(
                "ERR unknown command '{}', with args beginning with: {}",
                truncate(&String::from_utf8_lossy(until_nul(args.get(0))), 128),
                list
            );
            reject(state, stats, out, None, CmdError::raw(msg));
            return Inner::Done;
        }
    };
    if matches!(mode, Mode::Normal) && tracking_table_full(srv) {
        super::tracking::enforce_table_limit(srv);
        // Sent before this command's reply, as Redis evicts before running it.
        let caller = crate::tracking::Caller {
            id: state.id,
            after: &mut state.pushes,
            resp3: out.resp3,
        };
        crate::tracking::flush(srv, Some(caller));
    }
    let meta: &CommandMeta = cmd.meta;
    let argc = args.len() as i32;
    if (meta.arity > 0 && meta.arity != argc) || argc < -meta.arity {
        let msg = format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.fullname
        );
        reject(state, stats, out, Some(cmd), CmdError::raw(msg));
        return Inner::Done;
    }
    if meta.flags & flags::PROTECTED != 0 && !debug_allowed(srv, state) {
        let msg = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
        reject(state, stats, out, Some(cmd), CmdError::raw(msg));
        return Inner::Done;
    }
    if !state.authenticated && meta.flags & flags::NO_AUTH == 0 {
        if srv.hot.auth_required.load(Relaxed) {
            reject(
                state,
                stats,
                out,
                Some(cmd),
                CmdError::raw("NOAUTH Authentication required."),
            );
            return Inner::Done;
        }
        state.authenticated = true;
    }
    let Some(handler) = cmd.handler else {
        reject(
            state,
            stats,
            out,
            Some(cmd),
            CmdError::err(format!("command '{}' is not implemented yet", cmd.fullname)),
        );
        return Inner::Done;
    };

    let busy = crate::script::STATUS.busy() && !crate::script::may_block();
    // Over `maxmemory`: evict, and refuse what needs memory if that fails
    // (not while a script is busy: it holds the keyspace).
    if matches!(mode, Mode::Normal)
        && !busy
        && !state.is_master
        && srv.hot.maxmemory.load(Relaxed) > 0
        && refused_for_memory(srv, stats, state, out, cmd)
    {
        return Inner::Done;
    }
    // Writes need `min-replicas-to-write` replicas that acknowledged within
    // `min-replicas-max-lag` seconds.
    if srv.hot.min_replicas_block.load(Relaxed) && !state.is_master && !srv.repl.is_replica() {
        let exec = cmd.fullname == "exec";
        let writes = meta.flags & flags::WRITE != 0
            || (exec && state.multi.as_ref().is_some_and(|m| m.has_write));
        if writes && !srv.log.enough_good_replicas(srv) {
            let err = "NOREPLICAS Not enough good replicas to write.";
            reject_or_abort_exec(srv, stats, state, out, cmd, err);
            return Inner::Done;
        }
    }
    // A replica refuses writes (read-only) and, while its link is down,
    // commands not flagged `stale` (replica-serve-stale-data no).
    if srv.repl.is_replica() && !state.is_master {
        let exec = cmd.fullname == "exec";
        let queued = if exec { state.multi.as_ref() } else { None };
        let write = meta.flags & flags::WRITE != 0 || queued.is_some_and(|m| m.has_write);
        let denystale = meta.flags & flags::STALE == 0 || queued.is_some_and(|m| m.has_denystale);
        if let Some(err) = srv.repl.refusal(srv, denystale, write) {
            reject_or_abort_exec(srv, stats, state, out, cmd, err);
            return Inner::Done;
        }
    }
    // A RESP2 connection with subscriptions speaks only Pub/Sub.
    if !out.resp3 && state.subs.any() && !super::pubsub::allowed_in_subscriber_mode(cmd) {
        let msg = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.fullname
        );
        reject(state, stats, out, Some(cmd), CmdError::raw(msg));
        return Inner::Done;
    }
    // A script running past `busy-reply-threshold`: only what is flagged
    // `allow_busy` runs meanwhile (SCRIPT KILL, SHUTDOWN NOSAVE, ...).
    if busy && meta.flags & flags::ALLOW_BUSY == 0 {
        let err = crate::script::STATUS.busy_error();
        reject_or_abort_exec(srv, stats, state, out, cmd, err);
        return Inner::Done;
    }
    if state.multi.is_some() && !super::multi::runs_inside_multi(cmd.fullname.as_str()) {
        if meta.flags & flags::NO_MULTI != 0 {
            reject(
                state,
                stats,
                out,
                Some(cmd),
                CmdError::err("Command not allowed inside a transaction"),
            );
            if let Some(m) = state.multi.as_mut() {
                m.abort = true;
            }
        } else if let Some(m) = state.multi.as_mut() {
            m.has_write |= meta.flags & flags::WRITE != 0;
            m.has_denyoom |= meta.flags & flags::DENYOOM != 0;
            m.has_engine |= cmd.lock == LockMode::Engine;
            m.has_denystale |= meta.flags & flags::STALE == 0;
            m.push(cmd, args);
            out.simple("QUEUED");
        }
        return Inner::Done;
    }
    let on_engine = crate::script::on_engine();
    let may_block = crate::script::may_block();
    let engine_cmd = cmd.lock == LockMode::Engine
        || (cmd.fullname == "exec" && state.multi.as_ref().is_some_and(|m| m.has_engine));
    if engine_cmd && !on_engine {
        return Inner::Offload;
    }
    if cmd.fullname == "exec" && state.multi.is_some() {
        let r = super::multi::exec(srv, stats, state, out, shared, cmd, ready);
        if !matches!(r, Inner::Parked) {
            super::monitor::feed(srv, state, shared, cmd, args);
        }
        return r;
    }

    let mut planned = Planned::default();
    let mut list: Vec<usize> = Vec::new();
    let locked = match cmd.lock {
        LockMode::None => Locked::default(),
        LockMode::All | LockMode::Engine if may_block => srv.keyspace.lock_all(),
        LockMode::All | LockMode::Engine => match mode {
            Mode::Serving(..) => srv.keyspace.lock_all(),
            Mode::Normal => match srv.keyspace.lock_all_or_park() {
                Some(l) => l,
                None => return Inner::Parked,
            },
        },
        LockMode::Keys if may_block => {
            if !plan_shards(cmd, args, &mut planned, &mut list) {
                list = (0..crate::store::SHARDS).collect();
            }
            list.sort_unstable();
            list.dedup();
            srv.keyspace.lock(&list)
        }
        LockMode::Keys => {
            if !plan_shards(cmd, args, &mut planned, &mut list) {
                list = (0..crate::store::SHARDS).collect();
            }
            list.sort_unstable();
            list.dedup();
            match mode {
                Mode::Serving(..) => srv.keyspace.lock(&list),
                Mode::Normal => match srv.keyspace.try_lock(&list) {
                    Some(l) => l,
                    None => return Inner::Parked,
                },
            }
        }
    };

    if let Some(shared) = shared {
        shared.last_cmd.store(cmd.id as u32 + 1, Relaxed);
    }
    let now_ms = start_us / 1000;
    let mut keys = Keys::new(locked, state.db, now_ms, planned);
    let serving = match mode {
        Mode::Serving(_, key) => Some(key.to_vec()),
        Mode::Normal => None,
    };
    if on_engine {
        super::monitor::feed_script_call(srv, state, shared, cmd, args);
    }
    let block = invoke(
        srv, stats, state, out, cmd, handler, args, &mut keys, serving, start_us,
    );
    // Always: it drains the unit's effects even if the last replica left
    // since they were recorded (a cheap thread-local check otherwise).
    if let Some(off) = srv.log.flush(srv) {
        state.woff = off;
    }
    if matches!(mode, Mode::Normal) {
        super::monitor::feed(srv, state, shared, cmd, args);
        // CLIENT CACHING applies to the next command only (the whole
        // transaction inside MULTI), as Redis's resetClient.
        if state.caching && state.multi.is_none() && !cmd.fullname.starts_with("client|") {
            state.caching = false;
        }
    }
    let mut outcome = Inner::Done;
    match (block, mode) {
        (Some(spec), Mode::Normal) => {
            let w = register_waiter(&mut keys, state, out.resp3, shared, args, spec);
            outcome = Inner::Blocked(w);
        }
        (Some(_), Mode::Serving(..)) => outcome = Inner::Parked,
        (None, Mode::Serving(w, _)) => {
            for k in &w.keys {
                if let Some(s) = keys.locked().shard(shard_of(k)) {
                    s.waiters.remove(w.db, k, w);
                }
            }
        }
        (None, Mode::Normal) => {}
    }
    ready.append(&mut keys.ready);
    if let Some(shared) = shared {
        shared.last_interaction_ms.store(now_ms, Relaxed);
    }
    outcome
}

/// Adds the shards of `cmd`'s keys in `args` to `list` (unsorted) and
/// remembers them in `planned`; false if the key specs can't name every
/// key (then every shard must be locked).
pub fn plan_shards(
    cmd: &Command,
    args: Args<'_>,
    planned: &mut Planned,
    list: &mut Vec<usize>,
) -> bool {
    cmd.for_each_key(args, |k| {
        let s = shard_of(k);
        planned.push(k, s);
        list.push(s);
    })
}

/// Runs one command's handler on already locked `keys` and accounts for it
/// (command stats, keyspace hits, dirty counter, WATCH invalidation), writing
/// an error reply if it failed. Returns the handler's block request.
#[allow(clippy::too_many_arguments)]
pub fn invoke(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    cmd: &Command,
    handler: super::Handler,
    args: Args<'_>,
    keys: &mut Keys<'_>,
    serving: Option<Vec<u8>>,
    start_us: i64,
) -> Option<BlockSpec> {
    keys.db = state.db;
    // Keys are memoized by address: a script's commands build their
    // arguments in buffers that may reuse one another's addresses.
    keys.forget_memo();
    keys.propagate = None;
    keys.expired = 0;
    keys.hits = 0;
    keys.misses = 0;
    keys.dirty = 0;
    keys.touched = false;
    keys.notify = super::notify::mask(srv);
    let mut ctx = Ctx {
        srv,
        client: &mut *state,
        out: &mut *out,
        keys: &mut *keys,
        stats,
        block: None,
        serving,
    };
    let result = handler(&mut ctx, args);
    let block = ctx.block.take();
    if !keys.events.is_empty() {
        let mut me = crate::pubsub::Publisher {
            client_id: state.id,
            pushes: &mut state.pushes,
            resp3: out.resp3,
        };
        super::notify::publish(srv, &mut keys.events, &mut me);
    }
    let (expired, hits, misses, dirty) = (keys.expired, keys.hits, keys.misses, keys.dirty);
    if srv.log.active() {
        record_effects(srv, keys, cmd, args, dirty, result.is_ok());
    }
    if (dirty > 0 || keys.touched)
        && (srv.watched_keys.load(Relaxed) > 0 || !crate::tracking::TRACKING.idle())
    {
        super::multi::touch_written_keys(keys, cmd, args, state.id);
    }
    if let Some(t) = &state.tracking {
        let wanted = if t.optin {
            state.caching
        } else {
            !(t.optout && state.caching)
        };
        // Scripts track their callers' keys themselves (`crate::script`).
        if !t.bcast
            && wanted
            && cmd.meta.flags & flags::READONLY != 0
            && cmd.lock != super::LockMode::Engine
        {
            super::tracking::remember_keys(keys, cmd, args, state.id);
        }
    }
    if crate::tracking::has_pending() {
        let caller = crate::tracking::Caller {
            id: state.id,
            after: &mut state.pushes_after,
            resp3: out.resp3,
        };
        crate::tracking::flush(srv, Some(caller));
    }
    // The duration ends when the next clock read does (`close_timing`).
    state.open_timing = Some((cmd.id, start_us));
    let cs = &stats.per_command[cmd.id];
    bump(&cs.calls, 1);
    bump(&stats.commands, 1);
    if expired > 0 {
        bump(&stats.expired_keys, expired);
    }
    if hits > 0 {
        bump(&stats.keyspace_hits, hits);
    }
    if misses > 0 {
        bump(&stats.keyspace_misses, misses);
    }
    if dirty > 0 {
        srv.dirty.fetch_add(dirty, Relaxed);
    }
    if let Err(e) = result {
        cs.failed.fetch_add(1, Relaxed);
        stats.failed_calls.fetch_add(1, Relaxed);
        stats.count_error(&e.code());
        out.error(&e.message());
    }
    block
}

/// Records what replicas get for a command that just ran: its rewrite if
/// the handler made one, else the command itself if it is a write that
/// changed data, or one Redis always propagates (PUBLISH, FUNCTION LOAD...).
fn record_effects(
    srv: &Server,
    keys: &mut Keys<'_>,
    cmd: &Command,
    args: Args<'_>,
    dirty: u64,
    ok: bool,
) {
    let db = keys.db;
    if let Some(list) = keys.propagate.take() {
        for argv in list {
            srv.log.record(db, argv);
        }
        return;
    }
    let forced = ok
        && matches!(
            cmd.fullname.as_str(),
            "publish"
                | "spublish"
                | "flushall"
                | "flushdb"
                | "swapdb"
                | "function|load"
                | "function|delete"
                | "function|flush"
        );
    let write = dirty > 0 && cmd.meta.flags & flags::WRITE != 0;
    if write || forced {
        srv.log.record_args(db, args.from(0));
    }
}

/// Registers the client as a waiter on the keys of `spec`, in their shards'
/// registries, while the command still holds their locks.
fn register_waiter(
    keys: &mut Keys<'_>,
    state: &ClientState,
    resp3: bool,
    shared: Option<&ClientShared>,
    args: Args<'_>,
    spec: BlockSpec,
) -> Arc<Waiter> {
    let mut wkeys: Vec<Vec<u8>> = Vec::with_capacity(spec.keys.len());
    for k in spec.keys {
        if !wkeys.contains(&k) {
            wkeys.push(k);
        }
    }
    let w = Arc::new(Waiter::new(
        state.id,
        shared.map_or(0, |s| s.worker),
        state.db,
        resp3,
        args.from(0).map(|a| a.to_vec()).collect(),
        wkeys,
        spec.wants,
        spec.deadline_ms,
    ));
    for k in &w.keys {
        if let Some(s) = keys.locked().shard(shard_of(k)) {
            s.waiters.add(state.db, k, w.clone());
        }
    }
    w
}

/// Evicts keys if memory is over `maxmemory`; if that fails, refuses `cmd`
/// with Redis's OOM error when it may use memory: a DENYOOM command, an
/// EXEC of one, or anything queued inside MULTI but EXEC, DISCARD, QUIT and
/// RESET (Redis's `processCommand`). True if refused.
fn refused_for_memory(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    cmd: &Command,
) -> bool {
    let sink = crate::evict::Sink {
        client_id: state.id,
        pushes: Some(&mut state.pushes),
        resp3: out.resp3,
    };
    if crate::evict::perform_evictions(srv, stats, sink) != crate::evict::Outcome::Fail {
        return false;
    }
    let exec = cmd.fullname == "exec";
    let in_multi = state.multi.is_some();
    let denyoom = cmd.meta.flags & flags::DENYOOM != 0
        || (exec && state.multi.as_ref().is_some_and(|m| m.has_denyoom));
    let queued =
        in_multi && !matches!(cmd.fullname.as_str(), "exec" | "discard" | "quit" | "reset");
    if !denyoom && !queued {
        return false;
    }
    let err = "OOM command not allowed when used memory > 'maxmemory'.";
    reject_or_abort_exec(srv, stats, state, out, cmd, err);
    true
}

/// Refuses `cmd` with `err`; an EXEC is refused by discarding its
/// transaction with `EXECABORT Transaction discarded because of: <err>`,
/// as Redis's `rejectCommand` does through `execCommandAbort`.
fn reject_or_abort_exec(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    cmd: &Command,
    err: &'static str,
) {
    if cmd.fullname == "exec" && state.multi.is_some() {
        state.multi = None;
        super::multi::unwatch_all(srv, state);
        let msg = format!("EXECABORT Transaction discarded because of: {err}");
        reject(state, stats, out, Some(cmd), CmdError::raw(msg));
    } else {
        reject(state, stats, out, Some(cmd), CmdError::raw(err));
    }
}

/// The tracking table holds more keys than `tracking-table-max-keys`.
#[inline]
fn tracking_table_full(srv: &Server) -> bool {
    let keys = crate::tracking::TRACKING.keys.load(Relaxed);
    keys > 0 && {
        let max = srv.hot.tracking_table_max_keys.load(Relaxed) as usize;
        max > 0 && keys > max
    }
}

fn debug_allowed(srv: &Server, state: &ClientState) -> bool {
    let cfg = srv.config.read();
    match cfg.get_enum("enable-debug-command") {
        "yes" => true,
        "local" => state.local,
        _ => false,
    }
}

/// The bytes before the first NUL: Redis formats these messages with C's
/// `%s`, which stops there.
fn until_nul(a: &[u8]) -> &[u8] {
    a.iter().position(|&b| b == 0).map_or(a, |n| &a[..n])
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
