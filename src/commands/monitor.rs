//! MONITOR: every command some client runs, as one line to each monitoring
//! client, in Redis's format (`+<unix time>.<usec> [<db> <addr>] "arg" ...`).
//!
//! A line is built once per command and shared by the monitors, which may
//! live on any worker (delivered like Pub/Sub messages, through their
//! workers' mailboxes). Commands pay one relaxed atomic load while nobody
//! monitors.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::meta::flags;
use super::table::Command;
use super::{bind, Args, Binding, CmdResult, Ctx, LockMode::None as N};
use crate::net::client::{ClientShared, ClientState};
use crate::net::worker::{current_worker, Delivery, DeliveryKind, Msg};
use crate::pubsub::Subscriber;
use crate::server::Server;

/// The MONITOR binding.
pub const COMMANDS: &[Binding] = &[bind("monitor", monitor, N)];

fn monitor(ctx: &mut Ctx, _args: Args) -> CmdResult {
    if ctx.client.in_multi {
        return Err(super::CmdError::err(
            "MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    if ctx.client.monitor {
        // Redis ignores a second MONITOR without a reply.
        return Ok(());
    }
    ctx.client.monitor = true;
    let mut list = ctx.srv.monitors.write();
    list.push(Subscriber {
        client_id: ctx.client.id,
        worker: ctx.client.worker,
        token: ctx.client.token,
    });
    ctx.srv.monitoring.store(list.len(), Relaxed);
    drop(list);
    ctx.out.ok();
    Ok(())
}

/// Removes a closing client from the monitors.
pub fn stop(srv: &Server, client_id: u64) {
    let mut list = srv.monitors.write();
    list.retain(|s| s.client_id != client_id);
    srv.monitoring.store(list.len(), Relaxed);
}

/// Sends the command that just ran to every monitor, unless it is an
/// administrative one (too dangerous to show, as Redis says) or flagged
/// `skip_monitor`.
pub fn feed(
    srv: &Server,
    state: &ClientState,
    shared: Option<&ClientShared>,
    cmd: &Command,
    args: Args<'_>,
) {
    if srv.monitoring.load(Relaxed) == 0
        || cmd.meta.flags & (flags::ADMIN | flags::SKIP_MONITOR) != 0
    {
        return;
    }
    send(srv, state, shared, cmd, args);
}

/// Feeds a command that runs a script (EVAL, FCALL...) before it runs, so
/// its line precedes those of the commands the script calls. These are
/// flagged `skip_monitor` so that [`feed`] leaves them out afterwards.
pub fn feed_script_call(
    srv: &Server,
    state: &ClientState,
    shared: Option<&ClientShared>,
    cmd: &Command,
    args: Args<'_>,
) {
    if srv.monitoring.load(Relaxed) == 0
        || cmd.meta.flags & flags::SKIP_MONITOR == 0
        || cmd.lock != super::LockMode::Engine
    {
        return;
    }
    send(srv, state, shared, cmd, args);
}

fn send(
    srv: &Server,
    state: &ClientState,
    shared: Option<&ClientShared>,
    cmd: &Command,
    args: Args<'_>,
) {
    let line: Arc<[u8]> = format_line(srv, state, shared, cmd, args).into();
    let list = srv.monitors.read().clone();
    let Some(mailboxes) = srv.mailboxes.get() else {
        return;
    };
    let here = current_worker();
    let mut per_worker: Vec<Vec<(u64, u32)>> = Vec::new();
    for s in &list {
        let w = s.worker as usize;
        if per_worker.len() <= w {
            per_worker.resize_with(w + 1, Vec::new);
        }
        per_worker[w].push((s.client_id, s.token));
    }
    for (w, targets) in per_worker.into_iter().enumerate() {
        if targets.is_empty() {
            continue;
        }
        if let Some(mb) = mailboxes.get(w) {
            let d = Delivery {
                frame: line.clone(),
                targets,
                kind: DeliveryKind::Monitor,
                topic: None,
            };
            mb.send_from(Msg::Deliver(vec![d]), here == Some(w));
        }
    }
}

fn format_line(
    srv: &Server,
    state: &ClientState,
    shared: Option<&ClientShared>,
    cmd: &Command,
    args: Args<'_>,
) -> Vec<u8> {
    let now = Server::now_us();
    let mut line =
        format!("+{}.{:06} [{} ", now / 1_000_000, now % 1_000_000, state.db).into_bytes();
    match shared {
        Some(sh) if sh.unix => {
            line.extend_from_slice(b"unix:");
            line.extend_from_slice(srv.config.read().get_str("unixsocket").as_bytes());
        }
        Some(sh) => line.extend_from_slice(sh.addr.as_bytes()),
        None => line.extend_from_slice(b"lua"),
    }
    line.push(b']');
    let redact_from = redacted_from(cmd, args);
    for (i, a) in args.from(0).enumerate() {
        line.push(b' ');
        if redact_from.is_some_and(|(from, to)| i >= from && i < to) {
            line.extend_from_slice(b"\"(redacted)\"");
        } else {
            repr(&mut line, a);
        }
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// The argument range Redis hides from monitors: passwords of AUTH and
/// HELLO ... AUTH.
fn redacted_from(cmd: &Command, args: Args<'_>) -> Option<(usize, usize)> {
    match cmd.fullname.as_str() {
        "auth" => Some((1, args.len())),
        "hello" => (1..args.len())
            .find(|&i| args.is(i, "AUTH"))
            .map(|i| (i + 1, (i + 3).min(args.len()))),
        // MIGRATE ... AUTH password | AUTH2 username password.
        "migrate" => (6..args.len()).find_map(|i| {
            if args.is(i, "AUTH") {
                Some((i + 1, (i + 2).min(args.len())))
            } else if args.is(i, "AUTH2") {
                Some((i + 1, (i + 3).min(args.len())))
            } else {
                None
            }
        }),
        _ => None,
    }
}

/// Redis's `sdscatrepr`: a quoted string with C escapes.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut v = Vec::new();
        super::repr(&mut v, b"a\"b\\c\n\r\t\x07\x08\x00\xff z");
        assert_eq!(v, b"\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff z\"");
    }
}
