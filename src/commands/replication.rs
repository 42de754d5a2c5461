//! REPLICAOF (and its old name SLAVEOF) and ROLE: the replica side of
//! replication (`crate::repl`).

use std::sync::atomic::Ordering::Relaxed;

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::None as N};

/// The bindings.
pub const COMMANDS: &[Binding] = &[
    bind("replicaof", replicaof, N),
    bind("slaveof", replicaof, N),
    bind("role", role, N),
];

/// The calling client as Redis's log lines show it.
fn requester(ctx: &Ctx) -> String {
    let id = ctx.client.id;
    let shared = ctx.srv.clients.lock().get(&id).cloned();
    match shared {
        Some(sh) => super::connection::client_line(ctx.srv, &sh, crate::server::Server::now_ms()),
        None => format!("id={id}"),
    }
}

fn replicaof(ctx: &mut Ctx, args: Args) -> CmdResult {
    if ctx.srv.config.read().get_bool("cluster-enabled") {
        return Err(CmdError::err("REPLICAOF not allowed in cluster mode."));
    }
    if args.is(1, "no") && args.is(2, "one") {
        if ctx.srv.repl.set_no_master() {
            crate::notice!(
                "MASTER MODE enabled (user request from '{}')",
                requester(ctx)
            );
        }
        ctx.out.ok();
        return Ok(());
    }
    let port = match crate::util::num::parse_i64(args.get(2)) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Err(CmdError::err("Invalid master port")),
    };
    let host = args.text(1);
    if !ctx.srv.repl.set_master(&host, port) {
        crate::notice!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
        ctx.out.simple("OK Already connected to specified master");
        return Ok(());
    }
    crate::notice!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        requester(ctx)
    );
    ctx.out.ok();
    Ok(())
}

fn role(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let repl = &ctx.srv.repl;
    let out = &mut *ctx.out;
    match repl.master() {
        Some((host, port)) => {
            out.array(5);
            out.bulk(b"slave");
            out.bulk(host.as_bytes());
            out.int(port as i64);
            out.bulk(repl.state().role_name().as_bytes());
            let offset = if repl.state() == crate::repl::LinkState::Connected {
                repl.offset.load(Relaxed)
            } else {
                -1
            };
            out.int(offset);
        }
        None => {
            out.array(3);
            out.bulk(b"master");
            out.int(repl.offset.load(Relaxed));
            out.array(0);
        }
    }
    Ok(())
}
