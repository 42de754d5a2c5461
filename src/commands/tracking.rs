//! Client-side caching commands: CLIENT TRACKING, CLIENT CACHING, CLIENT
//! GETREDIR and CLIENT TRACKINGINFO, over the registry in `crate::tracking`.

use std::sync::atomic::Ordering::Relaxed;

use super::connection::shared_of;
use super::table::Command;
use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, Keys, LockMode::None as N};
use crate::server::Server;
use crate::store::shard_of;
use crate::tracking::{TrackingConf, TRACKING};

/// The client-side caching bindings.
pub const COMMANDS: &[Binding] = &[
    bind("client|tracking", client_tracking, N),
    bind("client|caching", client_caching, N),
    bind("client|getredir", client_getredir, N),
    bind("client|trackinginfo", client_trackinginfo, N),
];

/// Remembers the keys of a read-only command for a tracking client (its
/// keys' shards are locked).
pub fn remember_keys(keys: &mut Keys<'_>, cmd: &Command, args: Args<'_>, id: u64) {
    let locked = keys.locked();
    cmd.for_each_key(args, |k| {
        if let Some(s) = locked.shard(shard_of(k)) {
            TRACKING.remember(&mut s.tracked, k, id);
        }
    });
}

/// One of two prefixes is a prefix of the other.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

fn client_tracking(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut conf = TrackingConf::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "REDIRECT") && more {
            i += 1;
            if conf.redirect != 0 {
                return Err(CmdError::err(
                    "A client can only redirect to a single other client",
                ));
            }
            let id = args.int(i)?;
            if !ctx.srv.clients.lock().contains_key(&(id as u64)) {
                return Err(CmdError::err(
                    "The client ID you want redirect to does not exist",
                ));
            }
            conf.redirect = id as u64;
        } else if args.is(i, "BCAST") {
            conf.bcast = true;
        } else if args.is(i, "OPTIN") {
            conf.optin = true;
        } else if args.is(i, "OPTOUT") {
            conf.optout = true;
        } else if args.is(i, "NOLOOP") {
            conf.noloop = true;
        } else if args.is(i, "PREFIX") && more {
            i += 1;
            prefixes.push(args.get(i));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let Some(sh) = shared_of(ctx) else {
        return Err(CmdError::err("internal error: client not registered"));
    };
    if args.is(2, "OFF") {
        TRACKING.disable(&sh);
        ctx.client.tracking = None;
        ctx.client.caching = false;
        ctx.out.ok();
        return Ok(());
    }
    if !args.is(2, "ON") {
        return Err(CmdError::Syntax);
    }
    if !conf.bcast && !prefixes.is_empty() {
        return Err(CmdError::err(
            "PREFIX option requires BCAST mode to be enabled",
        ));
    }
    let current = sh.tracking.lock().clone();
    if current.on && current.bcast != conf.bcast {
        return Err(CmdError::err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if conf.bcast && (conf.optin || conf.optout) {
        return Err(CmdError::err(
            "OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if conf.optin && conf.optout {
        return Err(CmdError::err(
            "You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if (conf.optin && current.optout) || (conf.optout && current.optin) {
        return Err(CmdError::err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if conf.bcast {
        for (n, p) in prefixes.iter().enumerate() {
            if let Some(old) = current.prefixes.iter().find(|o| overlap(o, p)) {
                return Err(CmdError::err(format!(
                    "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(old)
                )));
            }
            if let Some(other) = prefixes[n + 1..].iter().find(|o| overlap(o, p)) {
                return Err(CmdError::err(format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(other)
                )));
            }
        }
    }
    conf.prefixes = prefixes.iter().map(|p| p.to_vec()).collect();
    TRACKING.enable(&sh, conf);
    ctx.client.tracking = Some(sh.tracking.lock().clone());
    ctx.out.ok();
    Ok(())
}

fn client_caching(ctx: &mut Ctx, args: Args) -> CmdResult {
    let Some(t) = &ctx.client.tracking else {
        return Err(CmdError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    if args.is(2, "YES") {
        if !t.optin {
            return Err(CmdError::err(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if args.is(2, "NO") {
        if !t.optout {
            return Err(CmdError::err(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.client.caching = true;
    ctx.out.ok();
    Ok(())
}

/// The tracking settings as the owning client sees them now.
fn settings(ctx: &Ctx) -> TrackingConf {
    shared_of(ctx)
        .map(|sh| sh.tracking.lock().clone())
        .unwrap_or_default()
}

fn client_getredir(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let t = settings(ctx);
    ctx.out.int(if t.on { t.redirect as i64 } else { -1 });
    Ok(())
}

fn client_trackinginfo(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let t = settings(ctx);
    let mut flags: Vec<&str> = vec![if t.on { "on" } else { "off" }];
    if t.bcast {
        flags.push("bcast");
    }
    if t.optin {
        flags.push("optin");
        if ctx.client.caching {
            flags.push("caching-yes");
        }
    }
    if t.optout {
        flags.push("optout");
        if ctx.client.caching {
            flags.push("caching-no");
        }
    }
    if t.noloop {
        flags.push("noloop");
    }
    if t.broken_redirect {
        flags.push("broken_redirect");
    }
    ctx.out.map(3);
    ctx.out.bulk(b"flags");
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"redirect");
    ctx.out.int(if t.on { t.redirect as i64 } else { -1 });
    ctx.out.bulk(b"prefixes");
    ctx.out.array(t.prefixes.len());
    for p in &t.prefixes {
        ctx.out.bulk(p);
    }
    Ok(())
}

/// Keeps the tracking table within `tracking-table-max-keys` (worker cron,
/// and before each command as Redis's processCommand does): evicts keys,
/// queueing their invalidations, until it fits. Call with no shard locked.
pub fn enforce_table_limit(srv: &Server) {
    let max = srv.hot.tracking_table_max_keys.load(Relaxed) as usize;
    if max == 0 || TRACKING.keys.load(Relaxed) <= max {
        return;
    }
    for shard in 0..crate::store::SHARDS {
        let over = TRACKING.keys.load(Relaxed).saturating_sub(max);
        if over == 0 {
            break;
        }
        // Never wait: a script may hold the shard for long.
        let Some(mut locked) = srv.keyspace.try_lock(&[shard]) else {
            continue;
        };
        if let Some(s) = locked.shard(shard) {
            if !s.tracked.is_empty() {
                TRACKING.evict_from(&mut s.tracked, over);
            }
        }
    }
}
