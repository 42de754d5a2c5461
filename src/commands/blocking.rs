//! Blocking commands (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX,
//! BZMPOP): how a client blocks, and how it is served when a key it waits on
//! gets data, across worker threads.
//!
//! A blocking command that finds nothing to pop asks to block through
//! [`block_on`]; the dispatcher then registers a [`Waiter`] in the registry of
//! each key's shard while the command still holds the shard locks, so no
//! push can slip in between the check and the registration.
//!
//! A write that creates a list or sorted set with waiters records the key as
//! *ready* (`Keys::insert`). Once that command has released its locks, and
//! before the connection runs anything else, [`serve_ready`] re-runs the
//! waiters' commands in the order they blocked, each in "serving" mode: under
//! its own keys' locks, popping only from the key that became ready, and
//! never blocking again. A served waiter's reply travels to the worker owning
//! its connection through that worker's mailbox. This is Redis's
//! `handleClientsBlockedOnKeys`, including the chaining of BLMOVE pushes that
//! make further keys ready.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use super::dispatch::{run_waiter, ServeOutcome};
use super::{CmdError, Ctx};
use crate::net::worker::Msg;
use crate::server::{Server, WorkerStats};
use crate::store::waiters::{Waiter, SERVED, SERVING, WAITING};
use crate::store::ValueType;
use crate::util::num;

/// A key that received data while clients may be blocked on it.
pub type ReadyKey = (usize, Vec<u8>);

/// What a blocking command asks the dispatcher for when nothing is ready.
#[derive(Debug)]
pub struct BlockSpec {
    /// Keys to wait on (duplicates are removed when registering).
    pub keys: Vec<Vec<u8>>,
    /// Unix ms of the timeout; `None` blocks forever.
    pub deadline_ms: Option<i64>,
    /// The type that serves the waiter.
    pub wants: ValueType,
}

/// Parses a timeout in seconds as Redis's `getTimeoutFromObjectOrReply`
/// does (a long double, fractions allowed, rounded up to whole ms, 0 =
/// forever), returning the deadline.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CmdError> {
    let secs = num::parse_long_double(arg).ok_or(CmdError::raw(num::ERR_TIMEOUT_NOT_FLOAT))?;
    let ms = (secs * 1000.0).ceil();
    // Redis converts with `(long long) ceill(...)`: on x86-64 anything out
    // of range (inf, 1e308...) becomes LLONG_MIN, hence "negative".
    if ms < 0.0 || !ms.is_finite() || ms > 9_223_372_036_854_775_808.0 {
        return Err(CmdError::raw(num::ERR_TIMEOUT_NEGATIVE));
    }
    if ms == 0.0 {
        // A positive value too small for a double (1e-400) still rounds up
        // to 1 ms in Redis's long double arithmetic.
        let mantissa = arg.split(|&c| c == b'e' || c == b'E').next().unwrap_or(b"");
        if mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) && !arg.starts_with(b"-") {
            return Ok(Some(now_ms.saturating_add(1)));
        }
        return Ok(None);
    }
    let ms = ms as i64;
    Ok(Some(now_ms.saturating_add(ms)))
}

/// Called by a blocking command that found nothing: blocks the client, or
/// inside MULTI (and scripts) replies as a timeout would, like Redis.
pub fn block_on(ctx: &mut Ctx, keys: Vec<Vec<u8>>, deadline_ms: Option<i64>, wants: ValueType) {
    if ctx.client.in_multi {
        ctx.out.null_array();
        return;
    }
    ctx.block = Some(BlockSpec {
        keys,
        deadline_ms,
        wants,
    });
}

/// The keys a blocking command may pop from now: all of them in a normal
/// run, only the ready one when serving a blocked client.
pub fn candidate_keys<'a>(ctx: &Ctx, keys: &[&'a [u8]]) -> Vec<&'a [u8]> {
    match ctx.serving.as_deref() {
        Some(k) => keys.iter().copied().filter(|x| *x == k).take(1).collect(),
        None => keys.to_vec(),
    }
}

/// Serves the waiters of every ready key (and of the keys their commands
/// make ready in turn), in blocking order.
pub fn serve_ready(srv: &Server, stats: &WorkerStats, ready: Vec<ReadyKey>) {
    let mut queue: VecDeque<ReadyKey> = ready.into();
    while let Some((db, key)) = queue.pop_front() {
        if srv.keyspace.engine_active() && !crate::script::may_block() {
            // A script holds the keyspace: a worker must not wait for it.
            // The keys are served once it is done (`serve_deferred`).
            let mut later = DEFERRED_READY.lock();
            later.push((db, key));
            later.extend(queue);
            HAS_DEFERRED.store(true, std::sync::atomic::Ordering::Release);
            return;
        }
        let shard = crate::store::shard_of(&key);
        let h = crate::store::hash_key(&key);
        let (list, ty) = srv.keyspace.with_shard(shard, |s| {
            let ty = s
                .dbs
                .get(db)
                .and_then(|d| d.get(&key, h))
                .map(|e| e.value_type());
            (s.waiters.list(db, &key), ty)
        });
        for w in list {
            // Redis 7.0 serves list waiters only from a list, zset waiters
            // only from a sorted set; others stay blocked.
            if ty != Some(w.wants) {
                continue;
            }
            if !w.transition(WAITING, SERVING) {
                continue;
            }
            let mut more = Vec::new();
            match run_waiter(srv, stats, &w, &key, &mut more) {
                ServeOutcome::Served(reply) => {
                    w.set_state(SERVED);
                    deliver(srv, &w, reply);
                }
                ServeOutcome::NotServed => w.set_state(WAITING),
            }
            queue.extend(more);
        }
    }
}

fn deliver(srv: &Server, w: &Waiter, reply: Vec<u8>) {
    if let Some(mb) = srv.mailboxes.get().and_then(|m| m.get(w.worker)) {
        mb.send(Msg::Served {
            client_id: w.client_id,
            reply,
        });
    }
}

/// Ready keys whose waiters a worker couldn't serve while the script engine
/// held the keyspace (see [`serve_ready`]).
static DEFERRED_READY: parking_lot::Mutex<Vec<ReadyKey>> = parking_lot::const_mutex(Vec::new());

/// `DEFERRED_READY` is not empty (one load per loop turn, no lock).
static HAS_DEFERRED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Serves the ready keys [`serve_ready`] put off (workers' loop).
pub fn serve_deferred(srv: &Server, stats: &WorkerStats) {
    if srv.keyspace.engine_active() {
        return;
    }
    let list = {
        let mut later = DEFERRED_READY.lock();
        HAS_DEFERRED.store(false, std::sync::atomic::Ordering::Release);
        std::mem::take(&mut *later)
    };
    if !list.is_empty() {
        serve_ready(srv, stats, list);
    }
}

/// True if some ready keys wait for [`serve_deferred`].
#[inline]
pub fn has_deferred() -> bool {
    HAS_DEFERRED.load(std::sync::atomic::Ordering::Acquire)
}

/// Waiters whose removal from the registries was put off while the script
/// engine held the keyspace (see [`forget`]).
static DEFERRED: parking_lot::Mutex<Vec<Arc<Waiter>>> = parking_lot::const_mutex(Vec::new());

/// Finishes the removals [`forget`] put off (workers' cron).
pub fn forget_deferred(srv: &Server) {
    if srv.keyspace.engine_active() {
        return;
    }
    let list = std::mem::take(&mut *DEFERRED.lock());
    for w in list {
        forget(srv, &w);
    }
}

/// Removes a waiter that timed out, was unblocked or disconnected from the
/// registries of its keys.
pub fn forget(srv: &Server, w: &Arc<Waiter>) {
    let mut shards: Vec<usize> = w.keys.iter().map(|k| crate::store::shard_of(k)).collect();
    shards.sort_unstable();
    shards.dedup();
    // A waiter no longer WAITING is skipped by the serving code, so its
    // removal can wait while a script holds the keyspace.
    let Some(mut locked) = srv.keyspace.lock_or_park(&shards) else {
        DEFERRED.lock().push(w.clone());
        return;
    };
    for k in &w.keys {
        if let Some(s) = locked.shard(crate::store::shard_of(k)) {
            s.waiters.remove(w.db, k, w);
        }
    }
}

/// A waiter's command as owned argument buffer and ranges, for re-running.
pub fn argv_ranges(argv: &[Vec<u8>]) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut buf = Vec::with_capacity(argv.iter().map(|a| a.len()).sum());
    let mut ranges = Vec::with_capacity(argv.len());
    for a in argv {
        let s = buf.len();
        buf.extend_from_slice(a);
        ranges.push(s..buf.len());
    }
    (buf, ranges)
}

#[cfg(test)]
mod tests {
    use super::parse_timeout;

    #[test]
    fn timeouts_follow_redis() {
        assert_eq!(parse_timeout(b"0", 1000), Ok(None));
        assert_eq!(parse_timeout(b"1", 1000), Ok(Some(2000)));
        assert_eq!(parse_timeout(b"0.001", 1000), Ok(Some(1001)));
        assert_eq!(parse_timeout(b"0.0001", 1000), Ok(Some(1001)));
        assert_eq!(
            parse_timeout(b"-1", 0).unwrap_err().message(),
            "ERR timeout is negative"
        );
        assert_eq!(
            parse_timeout(b"abc", 0).unwrap_err().message(),
            "ERR timeout is not a float or out of range"
        );
        assert_eq!(
            parse_timeout(b"1e300", 5).unwrap_err().message(),
            "ERR timeout is negative"
        );
        assert!(parse_timeout(b"inf", 5).is_err());
        assert_eq!(parse_timeout(b"1e-400", 5), Ok(Some(6)));
        assert_eq!(parse_timeout(b"0.0", 5), Ok(None));
    }
}
