//! REPLICAOF (and its old name SLAVEOF) and ROLE: the replica side of
//! replication (`crate::repl`).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::{
    bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::All as A, LockMode::None as N,
};
use crate::repl::master::ReplicaLink;
use crate::server::Server;

/// The bindings.
pub const COMMANDS: &[Binding] = &[
    bind("replicaof", replicaof, N),
    bind("slaveof", replicaof, N),
    bind("role", role, N),
    bind("sync", sync, A),
    bind("psync", sync, A),
    bind("replconf", replconf, N),
    bind("wait", wait, N),
];

/// WAIT numreplicas timeout: how many replicas acknowledged this client's
/// last write, waiting (up to `timeout` ms, 0 = forever) for `numreplicas`.
fn wait(ctx: &mut Ctx, args: Args) -> CmdResult {
    let srv = ctx.srv;
    if srv.repl.is_replica() {
        return Err(CmdError::err("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
    }
    let want = args.int(1)?;
    let timeout = args.int(2)?;
    if timeout < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let offset = ctx.client.woff;
    let acked = srv.log.acked(offset);
    // Inside EXEC (or a script) WAIT never blocks.
    if acked as i64 >= want || ctx.client.in_multi {
        ctx.out.int(acked as i64);
        return Ok(());
    }
    srv.log.request_acks(srv);
    ctx.client.wait_acks = Some(crate::repl::master::WaitAcks {
        offset,
        replicas: want.max(0) as usize,
        deadline_ms: (timeout > 0).then(|| Server::now_ms() + timeout),
    });
    Ok(())
}

/// SYNC / PSYNC: a replica asks for the data and the stream. This master
/// always answers with a full resynchronisation: the snapshot, taken under
/// every shard lock (so it matches the stream's offset exactly), then the
/// effects log from that offset on.
fn sync(ctx: &mut Ctx, args: Args) -> CmdResult {
    if ctx.client.replica.is_some() {
        return Ok(());
    }
    let srv = ctx.srv;
    if srv.repl.is_replica() && srv.repl.state() != crate::repl::LinkState::Connected {
        return Err(CmdError::raw(
            "NOMASTERLINK Can't SYNC while not connected with my master",
        ));
    }
    let psync = args.is(0, "psync");
    let ip = srv
        .clients
        .lock()
        .get(&ctx.client.id)
        .map(|sh| {
            sh.addr
                .rsplit_once(':')
                .map_or(sh.addr.clone(), |(h, _)| h.to_string())
        })
        .unwrap_or_default();
    let port = ctx.client.replconf_port;
    crate::notice!("Replica {ip}:{port} asks for synchronization");
    if psync {
        crate::notice!("Full resync requested by replica {ip}:{port}");
    }
    let link = Arc::new(ReplicaLink {
        client_id: ctx.client.id,
        worker: ctx.client.worker as usize,
        token: ctx.client.token,
        ip: ip.clone(),
        listening_port: port.into(),
        ack: 0.into(),
        last_ack_ms: Server::now_ms().into(),
    });
    let replid = srv.repl.replid.lock().clone();
    let offset = srv.log.attach(link.clone());
    let image = match crate::persist::snapshot::rdb_image(srv, ctx.keys.locked(), &replid, offset) {
        Ok(i) => i,
        Err(e) => {
            srv.log.detach(link.client_id);
            return Err(CmdError::err(format!("snapshot failed: {e}")));
        }
    };
    if psync {
        ctx.out.simple(&format!("FULLRESYNC {replid} {offset}"));
    }
    ctx.out.raw(format!("${}\r\n", image.len()).as_bytes());
    ctx.out.raw(&image);
    ctx.client.replica = Some(link);
    if let Some(sh) = srv.clients.lock().get(&ctx.client.id) {
        sh.is_replica.store(true, Relaxed);
    }
    crate::notice!("Synchronization with replica {ip}:{port} succeeded");
    Ok(())
}

/// REPLCONF: what a replica tells its master (listening port, capabilities,
/// acknowledged offset).
fn replconf(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1);
        if args.is(i, "listening-port") {
            let p = crate::util::num::parse_i64(value)
                .filter(|p| (0..=65535).contains(p))
                .ok_or(CmdError::NotInteger)?;
            ctx.client.replconf_port = p as u32;
            if let Some(link) = &ctx.client.replica {
                link.listening_port.store(p as u32, Relaxed);
            }
        } else if args.is(i, "ack") {
            // No reply: the replica reads nothing from its master.
            if let Some(link) = &ctx.client.replica {
                if let Some(off) = crate::util::num::parse_i64(value) {
                    link.ack.store(off, Relaxed);
                    link.last_ack_ms.store(Server::now_ms(), Relaxed);
                }
            }
            return Ok(());
        } else if args.is(i, "getack") {
            return Ok(());
        } else if !(args.is(i, "capa")
            || args.is(i, "ip-address")
            || args.is(i, "rdb-only")
            || args.is(i, "rdb-filter-only"))
        {
            return Err(CmdError::err(format!(
                "Unrecognized REPLCONF option: {}",
                args.text(i)
            )));
        }
        i += 2;
    }
    ctx.out.ok();
    Ok(())
}

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
    ctx.srv.log.drop_replicas(ctx.srv);
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
            let replicas = ctx.srv.log.replicas();
            out.array(3);
            out.bulk(b"master");
            out.int(ctx.srv.log.offset());
            out.array(replicas.len());
            for r in replicas {
                out.array(3);
                out.bulk(r.ip.as_bytes());
                out.bulk(r.listening_port.load(Relaxed).to_string().as_bytes());
                out.bulk(r.ack.load(Relaxed).to_string().as_bytes());
            }
        }
    }
    Ok(())
}
