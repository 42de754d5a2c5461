//! MEMORY: per-key usage and allocator introspection.

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode};

/// The MEMORY command's bindings.
pub const COMMANDS: &[Binding] = &[
    bind("memory|usage", usage, LockMode::Keys),
    bind("memory|stats", stats, LockMode::None),
    bind("memory|doctor", doctor, LockMode::None),
    bind("memory|malloc-stats", malloc_stats, LockMode::None),
    bind("memory|purge", purge, LockMode::None),
    bind("memory|help", help, LockMode::None),
];

fn usage(ctx: &mut Ctx, args: Args) -> CmdResult {
    match args.len() {
        3 => {}
        5 if args.is(3, "SAMPLES") => {
            if args.int(4)? < 0 {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    let key = args.get(2);
    if !ctx.keys.exists(key)? {
        ctx.out.null();
        return Ok(());
    }
    let (db, h) = ctx.keys.db(key)?;
    // Include the key's share of its hash bucket.
    let n = db.get(key, h).map_or(0, |e| e.mem_usage() + 8);
    ctx.out.int(n as i64);
    Ok(())
}

fn stats(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let (allocated, resident) = super::info::jemalloc_stats();
    let rss = super::info::rss_bytes();
    let fields: [(&str, i64); 6] = [
        ("peak.allocated", allocated as i64),
        ("total.allocated", allocated as i64),
        ("startup.allocated", 0),
        ("dataset.bytes", allocated as i64),
        ("allocator.resident", resident as i64),
        ("rss", rss as i64),
    ];
    ctx.out.map(fields.len());
    for (k, v) in fields {
        ctx.out.bulk(k.as_bytes());
        ctx.out.int(v);
    }
    Ok(())
}

fn doctor(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.out.verbatim(b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.");
    Ok(())
}

fn malloc_stats(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let (allocated, resident) = super::info::jemalloc_stats();
    ctx.out
        .verbatim(format!("jemalloc allocated: {allocated}\nresident: {resident}\n").as_bytes());
    Ok(())
}

fn purge(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.out.ok();
    Ok(())
}

fn help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    super::server_cmds::help_reply(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}
