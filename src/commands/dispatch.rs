//! From parsed request to reply: lookup, checks, locking, execution, stats.
//!
//! The order of checks is Redis's (`processCommand`): unknown command or
//! subcommand, arity, protected commands, authentication; then the shards of
//! the command's keys are locked in ascending order and the handler runs.
//! Rejections and failures are counted the way `INFO commandstats` and
//! `INFO errorstats` report them.

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;

use super::meta::{flags, CommandMeta};
use super::table::{Command, Found};
use super::{Args, CmdError, Ctx, Keys, LockMode, Planned};
use crate::net::client::{Client, ClientShared, ClientState};
use crate::resp::{Parsed, ReplyBuf};
use crate::server::{bump, Server, WorkerStats};
use crate::store::{shard_of, Locked};

/// What became of a batch of input.
pub enum BatchOutcome {
    /// Every complete command ran.
    Done,
    /// A command waits for a contended lock; retry later.
    Parked,
    /// The connection must be closed now.
    Close,
}

/// Runs every complete command in the client's query buffer.
pub fn execute_batch(srv: &Server, stats: &WorkerStats, c: &mut Client) -> BatchOutcome {
    let mut inline_buf: Vec<u8> = Vec::new();
    let mut inline_ranges: Vec<Range<usize>> = Vec::new();
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
            Ok(()) => {}
            Err(Parked) => {
                c.parser.rewind();
                return BatchOutcome::Parked;
            }
        }
        if c.state.close_after_reply && c.shared.kill.load(Relaxed) {
            return BatchOutcome::Close;
        }
    }
}

/// The command could not lock its shards without waiting.
pub struct Parked;

/// Looks up, checks and runs one command, writing its reply.
pub fn run_command(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    shared: &ClientShared,
    args: Args<'_>,
) -> Result<(), Parked> {
    let reply_start = out.buf.len();
    let result = check_and_run(srv, stats, state, out, shared, args);
    if result.is_err() {
        out.buf.truncate(reply_start);
        return result;
    }
    // Replies are dropped while OFF or SKIP is set (checked after the
    // command, since CLIENT REPLY ON clears them before replying); then
    // SKIP_NEXT becomes SKIP for the next command, as Redis's resetClient.
    if state.reply.off || state.reply.skip {
        out.buf.truncate(reply_start);
    }
    state.reply.skip = std::mem::take(&mut state.reply.skip_next);
    Ok(())
}

fn reject(stats: &WorkerStats, out: &mut ReplyBuf, cmd: Option<&Command>, err: CmdError) {
    stats.rejected_calls.fetch_add(1, Relaxed);
    if let Some(cmd) = cmd {
        stats.per_command[cmd.id].rejected.fetch_add(1, Relaxed);
    }
    stats.count_error(&err.code());
    out.error(&err.message());
}

fn check_and_run(
    srv: &Server,
    stats: &WorkerStats,
    state: &mut ClientState,
    out: &mut ReplyBuf,
    shared: &ClientShared,
    args: Args<'_>,
) -> Result<(), Parked> {
    let name = args.get(0);
    if name.eq_ignore_ascii_case(b"host:") || name.eq_ignore_ascii_case(b"post") {
        crate::warning!(
            "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted."
        );
        state.close_after_reply = true;
        return Ok(());
    }
    let cmd = match srv.commands.lookup(args) {
        Found::Command(cmd) => cmd,
        Found::UnknownSubcommand(container) => {
            let msg = format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                truncate(&args.text(1), 128),
                container.fullname.to_uppercase()
            );
            reject(stats, out, None, CmdError::raw(msg));
            return Ok(());
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
            reject(stats, out, None, CmdError::raw(msg));
            return Ok(());
        }
    };
    let meta: &CommandMeta = cmd.meta;
    let argc = args.len() as i32;
    if (meta.arity > 0 && meta.arity != argc) || argc < -meta.arity {
        let msg = format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.fullname
        );
        reject(stats, out, Some(cmd), CmdError::raw(msg));
        return Ok(());
    }
    if meta.flags & flags::PROTECTED != 0 && !debug_allowed(srv, state) {
        let msg = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
        reject(stats, out, Some(cmd), CmdError::raw(msg));
        return Ok(());
    }
    if !state.authenticated && meta.flags & flags::NO_AUTH == 0 {
        if srv.hot.auth_required.load(Relaxed) {
            reject(
                stats,
                out,
                Some(cmd),
                CmdError::raw("NOAUTH Authentication required."),
            );
            return Ok(());
        }
        state.authenticated = true;
    }
    let Some(handler) = cmd.handler else {
        reject(
            stats,
            out,
            Some(cmd),
            CmdError::err(format!("command '{}' is not implemented yet", cmd.fullname)),
        );
        return Ok(());
    };

    let mut planned = Planned::default();
    let locked = match cmd.lock {
        LockMode::None => Locked::default(),
        LockMode::All => srv.keyspace.lock_all(),
        LockMode::Keys => {
            let mut shards = [0usize; 8];
            let mut n = 0;
            let mut spill: Vec<usize> = Vec::new();
            let complete = cmd.for_each_key(args, |k| {
                let s = shard_of(k);
                planned.push(k, s);
                if n < shards.len() {
                    shards[n] = s;
                    n += 1;
                } else {
                    if spill.is_empty() {
                        spill.extend_from_slice(&shards);
                    }
                    spill.push(s);
                }
            });
            if !complete {
                spill = (0..crate::store::SHARDS).collect();
            }
            let list: &mut [usize] = if spill.is_empty() {
                &mut shards[..n]
            } else {
                &mut spill
            };
            list.sort_unstable();
            let mut m = 0;
            for i in 0..list.len() {
                if i == 0 || list[i] != list[m - 1] {
                    list[m] = list[i];
                    m += 1;
                }
            }
            match srv.keyspace.try_lock(&list[..m]) {
                Some(l) => l,
                None => return Err(Parked),
            }
        }
    };

    shared.last_cmd.store(cmd.id as u32 + 1, Relaxed);
    let start_us = Server::now_us();
    let now_ms = start_us / 1000;
    let mut ctx = Ctx {
        srv,
        client: &mut *state,
        out: &mut *out,
        keys: Keys::new(locked, 0, now_ms, planned),
        stats,
    };
    ctx.keys.db = ctx.client.db;
    let result = handler(&mut ctx, args);
    let keys = ctx.keys;
    let (expired, hits, misses, dirty) = (keys.expired, keys.hits, keys.misses, keys.dirty);
    drop(keys);
    let usec = (Server::now_us() - start_us).max(0) as u64;

    let cs = &stats.per_command[cmd.id];
    bump(&cs.calls, 1);
    bump(&cs.usec, usec);
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
    shared.last_interaction_ms.store(now_ms, Relaxed);
    if let Err(e) = result {
        cs.failed.fetch_add(1, Relaxed);
        stats.failed_calls.fetch_add(1, Relaxed);
        stats.count_error(&e.code());
        out.error(&e.message());
    }
    Ok(())
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
