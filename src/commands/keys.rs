//! Generic keyspace commands (Redis's `db.c`/`expire.c` family): existence,
//! deletion, renaming, iteration, TTLs and object introspection.

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, Keys, LockMode};
use crate::config::notify as ev;
use crate::store::{dict::next_rand, Entry, EntryRef, NewValue, ValueRef, ValueType, SHARDS};
use crate::util::glob::glob_match;

use LockMode::{All, Keys as K};

/// The generic family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("del", del, K),
    bind("unlink", del, K),
    bind("exists", exists, K),
    bind("touch", touch, K),
    bind("type", type_cmd, K),
    bind("keys", keys_cmd, All),
    bind("scan", scan, All),
    bind("randomkey", randomkey, All),
    bind("dbsize", dbsize, All),
    bind("rename", rename, K),
    bind("renamenx", renamenx, K),
    bind("move", move_cmd, K),
    bind("copy", copy, K),
    bind("swapdb", swapdb, All),
    bind("flushdb", flushdb, All),
    bind("flushall", flushall, All),
    bind("expire", expire, K),
    bind("pexpire", pexpire, K),
    bind("expireat", expireat, K),
    bind("pexpireat", pexpireat, K),
    bind("ttl", ttl, K),
    bind("pttl", pttl, K),
    bind("expiretime", expiretime, K),
    bind("pexpiretime", pexpiretime, K),
    bind("persist", persist, K),
    bind("object|encoding", object_encoding, K),
    bind("object|refcount", object_refcount, K),
    bind("object|idletime", object_idletime, K),
    bind("object|freq", object_freq, K),
    bind("object|help", object_help, LockMode::None),
];

fn del(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut n = 0;
    for key in args.from(1) {
        if ctx.keys.remove(key)?.is_some() {
            ctx.keys.notify(ev::GENERIC, "del", key);
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn exists(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut n = 0;
    for key in args.from(1) {
        if ctx.keys.read(key)?.is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn touch(ctx: &mut Ctx, args: Args) -> CmdResult {
    exists(ctx, args)
}

fn type_cmd(ctx: &mut Ctx, args: Args) -> CmdResult {
    let name = match ctx.keys.read(args.get(1))? {
        Some(e) => e.value_type().name(),
        None => "none",
    };
    ctx.out.simple(name);
    Ok(())
}

/// True if `e` has expired at `now` (whole-keyspace commands skip such keys
/// rather than deleting them mid-iteration).
fn is_expired(e: &EntryRef, now: i64) -> bool {
    e.expire().is_some_and(|w| w <= now)
}

fn keys_cmd(ctx: &mut Ctx, args: Args) -> CmdResult {
    let pattern = args.get(1);
    let all = pattern == b"*";
    let now = ctx.keys.now_ms;
    let db = ctx.keys.db;
    let mut found: Vec<Vec<u8>> = Vec::new();
    for table in ctx.keys.all_dbs(db) {
        table.dict().for_each(|e| {
            if !is_expired(&e, now) && (all || glob_match(pattern, e.key(), false)) {
                found.push(e.key().to_vec());
            }
        });
    }
    ctx.out.array(found.len());
    for k in &found {
        ctx.out.bulk(k);
    }
    Ok(())
}

fn scan(ctx: &mut Ctx, args: Args) -> CmdResult {
    let cursor = crate::util::num::parse_scan_cursor(args.get(1))?;
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut type_filter: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "COUNT") && more {
            let c = args.int(i + 1)?;
            if c < 1 {
                return Err(CmdError::Syntax);
            }
            count = c as usize;
        } else if args.is(i, "MATCH") && more {
            pattern = Some(args.get(i + 1));
        } else if args.is(i, "TYPE") && more {
            type_filter = Some(args.get(i + 1));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let now = ctx.keys.now_ms;
    let db = ctx.keys.db;
    let mut shard = (cursor as usize) & (SHARDS - 1);
    let mut dc = cursor >> SHARDS.trailing_zeros();
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut expired: Vec<Vec<u8>> = Vec::new();
    let mut iterations = count.saturating_mul(10);
    let locked = ctx.keys.locked();
    let next = loop {
        let Some(sh) = locked.shard(shard) else {
            break 0;
        };
        let Some(table) = sh.dbs.get(db) else { break 0 };
        if table.is_empty() {
            // Empty shards cost nothing: move on without spending the
            // iteration budget, so a small keyspace is one call.
            shard += 1;
            dc = 0;
            if shard == SHARDS {
                break 0;
            }
            continue;
        }
        dc = table.dict().scan(dc, |e| {
            if is_expired(&e, now) {
                expired.push(e.key().to_vec());
                return;
            }
            if let Some(p) = pattern {
                if !glob_match(p, e.key(), false) {
                    return;
                }
            }
            if let Some(t) = type_filter {
                if !e.value_type().name().as_bytes().eq_ignore_ascii_case(t) {
                    return;
                }
            }
            batch.push(e.key().to_vec());
        });
        if dc == 0 {
            shard += 1;
            if shard == SHARDS {
                break 0;
            }
        }
        iterations = iterations.saturating_sub(1);
        if batch.len() >= count || iterations == 0 {
            break (dc << SHARDS.trailing_zeros()) | shard as u64;
        }
    };
    // Expired keys met on the way are deleted, as Redis's SCAN does
    // (each by lazy expiry: events, WATCH, replicas' DEL).
    for k in &expired {
        ctx.keys.exists(k)?;
    }
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(batch.len());
    for k in &batch {
        ctx.out.bulk(k);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let db = ctx.keys.db;
    let now = ctx.keys.now_ms;
    let mut rng = crate::store::random_seed();
    for _ in 0..100 {
        let sizes: Vec<usize> = ctx.keys.all_dbs(db).map(|d| d.len()).collect();
        let total: usize = sizes.iter().sum();
        if total == 0 {
            ctx.out.null();
            return Ok(());
        }
        let mut pick = next_rand(&mut rng) as usize % total;
        let mut shard = 0;
        while pick >= sizes[shard] {
            pick -= sizes[shard];
            shard += 1;
        }
        let table = ctx.keys.all_dbs(db).nth(shard).ok_or(CmdError::NoSuchKey)?;
        let Some(e) = table.dict().random(&mut rng) else {
            continue;
        };
        let key = e.key().to_vec();
        if is_expired(&e, now) {
            let h = crate::store::hash_key(&key);
            table.remove(&key, h);
            ctx.keys.expired += 1;
            crate::repl::propagate_del(db, &key);
            if let Some(sh) = ctx.keys.locked().shard(crate::store::shard_of(&key)) {
                sh.watchers.touch(db, &key, false);
                let tracking = &crate::tracking::TRACKING;
                if !tracking.idle() {
                    tracking.key_changed(&mut sh.tracked, &key, 0);
                }
            }
            ctx.keys.notify(ev::EXPIRED, "expired", &key);
            continue;
        }
        ctx.out.bulk(&key);
        return Ok(());
    }
    ctx.out.null();
    Ok(())
}

fn dbsize(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let db = ctx.keys.db;
    let n: usize = ctx.keys.all_dbs(db).map(|d| d.len()).sum();
    ctx.out.int(n as i64);
    Ok(())
}

/// A copy of an entry's value under another key (COPY, MOVE, RENAME).
fn clone_entry(key: &[u8], e: &EntryRef, expire: Option<i64>) -> Entry {
    match e.value() {
        ValueRef::Str(s, enc) => Entry::new(key, NewValue::Str(s, enc), expire),
        ValueRef::Obj(v) => Entry::new(key, NewValue::Obj(Box::new(v.clone())), expire),
    }
}

fn rename_generic(ctx: &mut Ctx, args: Args, nx: bool) -> CmdResult {
    let (src, dst) = (args.get(1), args.get(2));
    if !ctx.keys.exists(src)? {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if nx && ctx.keys.exists(dst)? {
        ctx.out.int(0);
        return Ok(());
    }
    let old = ctx.keys.remove(src)?.ok_or(CmdError::NoSuchKey)?;
    let v = old.as_ref();
    let moved = clone_entry(dst, &v, v.expire());
    drop(old);
    let dirty = ctx.keys.dirty;
    if ctx.keys.insert(dst, moved)?.is_some() {
        // Redis deletes the old destination and adds a new key.
        ctx.keys.notify(ev::NEW, "new", dst);
    }
    // One change for the rename, not one per side (as Redis counts it).
    ctx.keys.dirty = dirty;
    ctx.keys.notify(ev::GENERIC, "rename_from", src);
    ctx.keys.notify(ev::GENERIC, "rename_to", dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn rename(ctx: &mut Ctx, args: Args) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: Args) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// A database index argument as Redis's `getIntFromObjectOrReply` then
/// `selectDb` check it (SELECT, MOVE, COPY ... DB).
pub fn parse_db(ctx: &Ctx, arg: &[u8]) -> Result<usize, CmdError> {
    let n = crate::util::num::parse_i64_in_range(arg, i32::MIN as i64, i32::MAX as i64)?;
    if n < 0 || n as usize >= ctx.srv.keyspace.num_dbs() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

fn move_cmd(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let dst = parse_db(ctx, args.get(2))?;
    if dst == ctx.keys.db {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    if !ctx.keys.exists(key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let now = ctx.keys.now_ms;
    let (target, h) = ctx.keys.db_at(dst, key)?;
    target.expire_if_needed(key, h, now);
    if target.get(key, h).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let e = ctx.keys.remove(key)?.ok_or(CmdError::NoSuchKey)?;
    let (target, h) = ctx.keys.db_at(dst, key)?;
    target.insert(e, h);
    ctx.keys.notify_in(dst, ev::NEW, "new", key);
    ctx.keys.notify(ev::GENERIC, "move_from", key);
    ctx.keys.notify_in(dst, ev::GENERIC, "move_to", key);
    ctx.out.int(1);
    Ok(())
}

fn copy(ctx: &mut Ctx, args: Args) -> CmdResult {
    let (src, dst) = (args.get(1), args.get(2));
    let mut dst_db = ctx.keys.db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "REPLACE") {
            replace = true;
        } else if args.is(i, "DB") && i + 1 < args.len() {
            dst_db = parse_db(ctx, args.get(i + 1))?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if src == dst && dst_db == ctx.keys.db {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    let copied = match ctx.keys.read(src)? {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(e) => clone_entry(dst, &e, e.expire()),
    };
    let now = ctx.keys.now_ms;
    let (target, h) = ctx.keys.db_at(dst_db, dst)?;
    target.expire_if_needed(dst, h, now);
    if target.get(dst, h).is_some() && !replace {
        ctx.out.int(0);
        return Ok(());
    }
    target.insert(copied, h);
    ctx.keys.dirty += 1;
    ctx.keys.notify_in(dst_db, ev::NEW, "new", dst);
    ctx.keys.notify_in(dst_db, ev::GENERIC, "copy_to", dst);
    ctx.out.int(1);
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: Args) -> CmdResult {
    let int = |i: usize| {
        crate::util::num::parse_i64_in_range(args.get(i), i32::MIN as i64, i32::MAX as i64).ok()
    };
    let a = int(1).ok_or_else(|| CmdError::err("invalid first DB index"))?;
    let b = int(2).ok_or_else(|| CmdError::err("invalid second DB index"))?;
    let n = ctx.srv.keyspace.num_dbs() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::DbIndexOutOfRange);
    }
    if a != b {
        if ctx
            .srv
            .watched_keys
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
        {
            super::multi::touch_db_change(ctx.keys, a as usize, Some(b as usize));
            super::multi::touch_db_change(ctx.keys, b as usize, Some(a as usize));
        }
        let mut ready = Vec::new();
        for (_, sh) in ctx.keys.locked().iter_mut() {
            sh.dbs.swap(a as usize, b as usize);
            // Clients blocked on a key that now holds a list or sorted set
            // in their database are served, as Redis's scanDatabaseForReadyKeys.
            if !sh.waiters.is_empty() {
                for db in [a as usize, b as usize] {
                    for k in sh.waiters.keys_in_db(db) {
                        let h = crate::store::hash_key(&k);
                        let collection = sh.dbs[db].get(&k, h).is_some_and(|e| {
                            matches!(e.value_type(), ValueType::List | ValueType::ZSet)
                        });
                        if collection {
                            ready.push((db, k));
                        }
                    }
                }
            }
        }
        ctx.keys.ready.extend(ready);
    }
    ctx.keys.dirty += 1;
    ctx.out.ok();
    Ok(())
}

/// Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL.
fn flush_async(ctx: &Ctx, args: Args) -> Result<bool, CmdError> {
    match args.len() {
        1 => Ok(ctx.srv.config.read().get_bool("lazyfree-lazy-user-flush")),
        2 if args.is(1, "ASYNC") => Ok(true),
        2 if args.is(1, "SYNC") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

/// Empties database `db` (or all with `None`), freeing in the background
/// when `lazy`. Returns the number of keys removed.
pub fn flush(keys: &mut Keys, db: Option<usize>, lazy: bool) -> usize {
    let mut removed = Vec::new();
    let mut n = 0;
    for (_, sh) in keys.locked().iter_mut() {
        for (i, table) in sh.dbs.iter_mut().enumerate() {
            if db.is_none_or(|d| d == i) && !table.is_empty() {
                n += table.len();
                removed.push(table.take());
            }
        }
    }
    if lazy && n > 64 {
        std::thread::spawn(move || drop(removed));
    }
    n
}

fn flushdb(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lazy = flush_async(ctx, args)?;
    let db = ctx.keys.db;
    if ctx
        .srv
        .watched_keys
        .load(std::sync::atomic::Ordering::Relaxed)
        > 0
    {
        super::multi::touch_db_change(ctx.keys, db, None);
    }
    crate::tracking::TRACKING
        .flushed(&mut ctx.keys.locked().iter_mut().map(|(_, s)| &mut s.tracked));
    let n = flush(ctx.keys, Some(db), lazy);
    ctx.keys.dirty += n as u64;
    ctx.out.ok();
    Ok(())
}

/// Empties every database as FLUSHALL does (WATCH, tracking), without
/// saving: a replica's data before it loads its master's snapshot.
pub fn flush_everything(srv: &crate::server::Server, keys: &mut Keys<'_>) {
    if srv.watched_keys.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        for db in 0..srv.keyspace.num_dbs() {
            super::multi::touch_db_change(keys, db, None);
        }
    }
    crate::tracking::TRACKING.flushed(&mut keys.locked().iter_mut().map(|(_, s)| &mut s.tracked));
    flush(keys, None, false);
}

fn flushall(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lazy = flush_async(ctx, args)?;
    if ctx
        .srv
        .watched_keys
        .load(std::sync::atomic::Ordering::Relaxed)
        > 0
    {
        for db in 0..ctx.srv.keyspace.num_dbs() {
            super::multi::touch_db_change(ctx.keys, db, None);
        }
    }
    crate::tracking::TRACKING
        .flushed(&mut ctx.keys.locked().iter_mut().map(|(_, s)| &mut s.tracked));
    let n = flush(ctx.keys, None, lazy);
    ctx.keys.dirty += n as u64;
    crate::persist::snapshot::kill_bgsave(ctx.srv);
    // Redis saves an empty RDB after FLUSHALL when save points are set.
    crate::persist::snapshot::save_after_flushall(ctx.srv, ctx.keys.locked());
    ctx.out.ok();
    Ok(())
}

#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(args: Args) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for (i, a) in args.from(3).enumerate() {
        match a.to_ascii_lowercase().as_slice() {
            b"nx" => f.nx = true,
            b"xx" => f.xx = true,
            b"gt" => f.gt = true,
            b"lt" => f.lt = true,
            _ => {
                return Err(CmdError::err(format!(
                    "Unsupported option {}",
                    args.text(i + 3)
                )))
            }
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

fn expire_generic(
    ctx: &mut Ctx,
    args: Args,
    basetime: i64,
    seconds: bool,
    name: &'static str,
) -> CmdResult {
    let f = parse_expire_flags(args)?;
    let mut when = args.int(2)?;
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(CmdError::InvalidExpire(name));
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        return Err(CmdError::InvalidExpire(name));
    }
    when += basetime;
    let key = args.get(1);
    let current = match ctx.keys.write(key)? {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(e) => e.view().expire(),
    };
    let refuse = (f.nx && current.is_some())
        || (f.xx && current.is_none())
        || (f.gt && current.is_none_or(|c| when <= c))
        || (f.lt && current.is_some_and(|c| when >= c));
    if refuse {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= ctx.keys.now_ms {
        ctx.keys.remove(key)?;
        ctx.keys.notify(ev::GENERIC, "del", key);
        ctx.replicate_as(&[b"DEL", key]);
    } else {
        let (db, h) = ctx.keys.db(key)?;
        db.set_expire(key, h, Some(when));
        ctx.keys.dirty += 1;
        ctx.keys.notify(ev::GENERIC, "expire", key);
        // Replicas get the absolute time, as Redis 7.0 propagates TTLs.
        ctx.replicate_as(&[b"PEXPIREAT", key, when.to_string().as_bytes()]);
    }
    ctx.out.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx, args: Args) -> CmdResult {
    let now = ctx.keys.now_ms;
    expire_generic(ctx, args, now, true, "expire")
}

fn pexpire(ctx: &mut Ctx, args: Args) -> CmdResult {
    let now = ctx.keys.now_ms;
    expire_generic(ctx, args, now, false, "pexpire")
}

fn expireat(ctx: &mut Ctx, args: Args) -> CmdResult {
    expire_generic(ctx, args, 0, true, "expireat")
}

fn pexpireat(ctx: &mut Ctx, args: Args) -> CmdResult {
    expire_generic(ctx, args, 0, false, "pexpireat")
}

/// Which form a TTL query answers in.
#[derive(Clone, Copy)]
enum TtlForm {
    Remaining { ms: bool },
    Absolute { ms: bool },
}

fn ttl_generic(ctx: &mut Ctx, args: Args, form: TtlForm) -> CmdResult {
    let now = ctx.keys.now_ms;
    let expire = match ctx.keys.read(args.get(1))? {
        None => {
            ctx.out.int(-2);
            return Ok(());
        }
        Some(e) => e.expire(),
    };
    let Some(when) = expire else {
        ctx.out.int(-1);
        return Ok(());
    };
    let v = match form {
        TtlForm::Remaining { ms } => {
            let left = (when - now).max(0);
            if ms {
                left
            } else {
                (left + 500) / 1000
            }
        }
        TtlForm::Absolute { ms } => {
            if ms {
                when
            } else {
                when / 1000
            }
        }
    };
    ctx.out.int(v);
    Ok(())
}

fn ttl(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, TtlForm::Remaining { ms: false })
}

fn pttl(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, TtlForm::Remaining { ms: true })
}

fn expiretime(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, TtlForm::Absolute { ms: false })
}

fn pexpiretime(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, TtlForm::Absolute { ms: true })
}

fn persist(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let has_ttl = match ctx.keys.write(key)? {
        Some(e) => e.view().expire().is_some(),
        None => false,
    };
    if has_ttl {
        let (db, h) = ctx.keys.db(key)?;
        db.set_expire(key, h, None);
        ctx.keys.dirty += 1;
        ctx.keys.notify(ev::GENERIC, "persist", key);
    }
    ctx.out.int(has_ttl as i64);
    Ok(())
}

/// Looks a key up for OBJECT without touching its LRU clock.
pub(crate) fn object_lookup<'e>(
    keys: &'e mut Keys<'_>,
    key: &[u8],
) -> Result<Option<EntryRef<'e>>, CmdError> {
    // Counted as a keyspace hit or miss, as Redis's LOOKUP_NOTOUCH read is.
    let found = keys.write(key)?.is_some();
    if found {
        keys.hits += 1;
    } else {
        keys.misses += 1;
        return Ok(None);
    }
    let (db, h) = keys.db(key)?;
    Ok(db.get(key, h))
}

fn object_encoding(ctx: &mut Ctx, args: Args) -> CmdResult {
    let name = match object_lookup(ctx.keys, args.get(2))? {
        None => {
            ctx.out.null();
            return Ok(());
        }
        Some(e) => match e.value() {
            ValueRef::Str(_, enc) => enc.name(),
            ValueRef::Obj(v) => v.encoding_name(),
        },
    };
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn object_refcount(ctx: &mut Ctx, args: Args) -> CmdResult {
    match object_lookup(ctx.keys, args.get(2))? {
        None => ctx.out.null(),
        Some(e) => {
            // Redis shares small integers (refcount INT_MAX) unless a
            // maxmemory is set with an LRU/LFU policy, which needs
            // per-object access times.
            use crate::config::MaxmemoryPolicy as P;
            let hot = &ctx.srv.hot;
            let per_object = hot.maxmemory.load(std::sync::atomic::Ordering::Relaxed) > 0
                && matches!(
                    P::from_index(
                        hot.maxmemory_policy
                            .load(std::sync::atomic::Ordering::Relaxed)
                    ),
                    P::VolatileLru | P::VolatileLfu | P::AllkeysLru | P::AllkeysLfu
                );
            let shared = !per_object
                && matches!(e.value(), ValueRef::Str(s, crate::store::StrEnc::Int)
                if crate::util::num::parse_i64(s).is_some_and(|v| (0..10000).contains(&v)));
            ctx.out.int(if shared { i32::MAX as i64 } else { 1 });
        }
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lfu = crate::store::access::lfu_mode();
    match object_lookup(ctx.keys, args.get(2))? {
        None => ctx.out.null(),
        Some(_) if lfu => {
            return Err(CmdError::err("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
        }
        Some(e) => ctx.out.int(crate::store::idle_seconds(e.lru()) as i64),
    }
    Ok(())
}

fn object_freq(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lfu = crate::store::access::lfu_mode();
    match object_lookup(ctx.keys, args.get(2))? {
        None => ctx.out.null(),
        Some(_) if !lfu => {
            return Err(CmdError::err("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
        }
        Some(e) => ctx.out.int(crate::store::access::lfu_counter(e.lru()) as i64),
    }
    Ok(())
}

fn object_help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    super::server_cmds::help_reply(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}

/// The value type names SCAN's TYPE filter accepts, for tests.
pub fn type_names() -> [&'static str; 6] {
    [
        ValueType::String,
        ValueType::List,
        ValueType::Set,
        ValueType::ZSet,
        ValueType::Hash,
        ValueType::Stream,
    ]
    .map(|t| t.name())
}
