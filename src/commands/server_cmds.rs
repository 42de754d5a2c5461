//! Server commands: CONFIG, TIME, LASTSAVE, SAVE, BGSAVE, SHUTDOWN, and the
//! HELP reply format they share. INFO, DEBUG and COMMAND have their own files.

use std::sync::atomic::Ordering::Relaxed;

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode};
use crate::server::Server;

use LockMode::{All, None as N};

/// The server family's command bindings (with INFO, DEBUG and COMMAND).
pub const COMMANDS: &[Binding] = &[
    bind("config|get", config_get, N),
    bind("config|set", config_set, N),
    bind("config|resetstat", config_resetstat, N),
    bind("config|help", config_help, N),
    bind("time", time, N),
    bind("lastsave", lastsave, N),
    bind("save", save, All),
    bind("bgsave", bgsave, All),
    bind("shutdown", shutdown, N),
    bind("info", super::info::info, super::LockMode::All),
    bind("debug", super::debug::debug, All),
    bind("command", super::introspect::command, N),
    bind("command|count", super::introspect::count, N),
    bind("command|info", super::introspect::info, N),
    bind("command|docs", super::introspect::docs, N),
    bind("command|list", super::introspect::list, N),
    bind("command|getkeys", super::introspect::getkeys, N),
    bind("command|help", super::introspect::help, N),
];

/// Writes a `<CMD> <subcommand> ... Subcommands are:` help reply with the
/// trailing HELP entry, formatted as Redis's `addReplyHelp`.
pub fn help_reply(ctx: &mut Ctx, cmd: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

fn config_get(ctx: &mut Ctx, args: Args) -> CmdResult {
    let patterns: Vec<&[u8]> = args.from(2).collect();
    let pairs = ctx.srv.config.read().get_many(&patterns);
    ctx.out.map(pairs.len());
    for (k, v) in &pairs {
        ctx.out.bulk(k);
        ctx.out.bulk(v);
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx, args: Args) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (2..args.len())
        .step_by(2)
        .map(|i| (args.get(i).to_vec(), args.get(i + 1).to_vec()))
        .collect();
    let mut cfg = ctx.srv.config.write();
    let before = cfg.clone();
    let who = crate::config::SetContext {
        client_is_local: ctx.client.local,
        loading: false,
    };
    let changed = cfg.set_with(&pairs, who).map_err(CmdError::raw)?;
    for name in &changed {
        if let Err(why) = apply_change(ctx.srv, &cfg, name, &changed) {
            // Like Redis: a change that can't be applied undoes the whole call.
            *cfg = before;
            return Err(CmdError::err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {why}"
            )));
        }
    }
    ctx.srv.refresh_hot(&cfg);
    drop(cfg);
    // The copy kept for rollback is not part of what the limit applies to.
    drop(before);
    if changed.contains(&"maxmemory") {
        let max = ctx.srv.hot.maxmemory.load(Relaxed);
        let used = crate::util::alloc::used_memory() as u64;
        if max > 0 && max < used {
            crate::warning!(
                "WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
            );
        }
        let sink = crate::evict::Sink {
            client_id: ctx.client.id,
            pushes: Some(&mut ctx.client.pushes),
            resp3: ctx.out.resp3,
        };
        crate::evict::perform_evictions(ctx.srv, ctx.stats, sink);
    }
    ctx.out.ok();
    Ok(())
}

/// Applies a changed parameter that has an effect beyond `Hot`; the error
/// text is Redis's for a failed apply.
fn apply_change(
    srv: &Server,
    cfg: &crate::config::Config,
    name: &str,
    changed: &[&str],
) -> Result<(), &'static str> {
    match name {
        "loglevel" => {
            if let Some(l) = crate::log::Level::parse(cfg.get_enum("loglevel")) {
                crate::log::set_level(l);
            }
        }
        "logfile" => {
            let _ = crate::log::set_file(cfg.get_str("logfile"));
        }
        // Port and bind are rebound once even when both change in one call.
        "port" | "bind" if name == "port" || !changed.contains(&"port") => {
            let backlog = cfg.tcp_backlog() as i32;
            let fresh =
                crate::net::listener::bind_tcp(&cfg.bind(), cfg.port(), backlog).map_err(|_| {
                    if name == "port" {
                        "Unable to listen on this port"
                    } else {
                        "Failed to bind to specified addresses."
                    }
                })?;
            srv.port.store(cfg.port(), Relaxed);
            *srv.new_tcp_listeners.lock() = Some(fresh);
        }
        _ => {}
    }
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx, _args: Args) -> CmdResult {
    for s in &ctx.srv.worker_stats {
        s.reset();
    }
    ctx.srv.rejected_connections.store(0, Relaxed);
    ctx.srv.total_connections.store(0, Relaxed);
    crate::util::alloc::reset_peak();
    ctx.out.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    help_reply(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

fn time(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let us = Server::now_us();
    ctx.out.array(2);
    ctx.out.bulk((us / 1_000_000).to_string().as_bytes());
    ctx.out.bulk((us % 1_000_000).to_string().as_bytes());
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.out.int(ctx.srv.lastsave.load(Relaxed));
    Ok(())
}

fn save(ctx: &mut Ctx, _args: Args) -> CmdResult {
    crate::persist::snapshot::save_locked(ctx.srv, ctx.keys.locked())
        .map_err(|_| CmdError::err(""))?;
    ctx.out.ok();
    Ok(())
}

fn bgsave(ctx: &mut Ctx, args: Args) -> CmdResult {
    let schedule = match args.len() {
        1 => false,
        2 if args.is(1, "SCHEDULE") => true,
        _ => return Err(CmdError::Syntax),
    };
    if ctx.srv.bgsave_child.load(Relaxed) > 0 {
        if schedule {
            // The save points start the next save once this one is done.
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::err("Background save already in progress"));
    }
    crate::persist::snapshot::bgsave(ctx.srv, ctx.keys.locked()).map_err(CmdError::err)?;
    ctx.out.simple("Background saving started");
    Ok(())
}

fn shutdown(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut nosave = false;
    let mut save = false;
    let mut abort = false;
    for a in args.from(1) {
        match a.to_ascii_lowercase().as_slice() {
            b"nosave" => nosave = true,
            b"save" => save = true,
            b"now" | b"force" => {}
            b"abort" => abort = true,
            _ => return Err(CmdError::Syntax),
        }
    }
    if (nosave && save) || (abort && (nosave || save || args.len() > 2)) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::err("No shutdown in progress."));
    }
    if !nosave && crate::script::STATUS.busy() && !crate::script::on_engine() {
        // The engine holds the keyspace: only SHUTDOWN NOSAVE gets through.
        return Err(CmdError::raw(crate::script::STATUS.busy_error()));
    }
    crate::persist::snapshot::kill_bgsave(ctx.srv);
    let want_save = save || (!nosave && !ctx.srv.config.read().save_points().is_empty());
    if want_save {
        crate::notice!("User requested shutdown...");
        let locked = &mut ctx.srv.keyspace.lock_all();
        if crate::persist::snapshot::save_locked(ctx.srv, locked).is_err() {
            crate::warning!("Error trying to save the DB, can't exit.");
            return Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."));
        }
    } else {
        crate::notice!("User requested shutdown...");
    }
    crate::main_loop::finish_shutdown(ctx.srv)
}
