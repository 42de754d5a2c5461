//! Set commands (Redis's `t_set.c` family).
//!
//! A set is an intset while all members are integers and few, a scan table
//! otherwise (see `store::set`). The algebra commands copy the members they
//! need out of the locked sets, so one key's borrow never overlaps
//! another's; results are built the way Redis builds them (starting as an
//! intset), so STORE destinations get Redis's encodings.

use super::collection::{
    parse_count, parse_scan, pick_indices, reply_too_large, scan_loop, MAX_RANDOM_REPLY,
};
use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Keys as K};
use crate::config::notify as ev;
use crate::store::intset::IntSet;
use crate::store::set::Set;
use crate::store::{Value, ValueType};

/// The set family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("sadd", sadd, K),
    bind("srem", srem, K),
    bind("scard", scard, K),
    bind("sismember", sismember, K),
    bind("smismember", smismember, K),
    bind("smembers", smembers, K),
    bind("srandmember", srandmember, K),
    bind("spop", spop, K),
    bind("smove", smove, K),
    bind("sinter", sinter, K),
    bind("sintercard", sintercard, K),
    bind("sinterstore", sinterstore, K),
    bind("sunion", sunion, K),
    bind("sunionstore", sunionstore, K),
    bind("sdiff", sdiff, K),
    bind("sdiffstore", sdiffstore, K),
    bind("sscan", sscan, K),
];

fn read<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e Set>, CmdError> {
    match ctx.keys.obj(key, ValueType::Set)? {
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

fn write<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e mut Set>, CmdError> {
    match ctx.keys.obj_mut(key, ValueType::Set)? {
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

fn sadd(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let key = args.get(1);
    let first = args.get(2);
    let s = match ctx
        .keys
        .obj_or_insert(key, ValueType::Set, || Value::Set(Set::for_member(first)))?
    {
        Value::Set(s) => s,
        _ => return Err(CmdError::WrongType),
    };
    let mut added = 0;
    for m in args.from(2) {
        added += s.add(m, &lim) as i64;
    }
    ctx.keys.dirty += added as u64;
    if added > 0 {
        ctx.keys.notify(ev::SET, "sadd", key);
    }
    ctx.out.int(added);
    Ok(())
}

fn srem(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let Some(s) = write(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for m in args.from(2) {
        if s.remove(m) {
            removed += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    ctx.keys.dirty += removed as u64;
    if removed > 0 {
        ctx.keys.notify(ev::SET, "srem", key);
    }
    ctx.keys.remove_if_empty(key)?;
    ctx.out.int(removed);
    Ok(())
}

fn scard(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = read(ctx, args.get(1))?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn sismember(ctx: &mut Ctx, args: Args) -> CmdResult {
    let m = read(ctx, args.get(1))?.is_some_and(|s| s.contains(args.get(2)));
    ctx.out.int(m as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: Args) -> CmdResult {
    let Ctx { keys, out, .. } = ctx;
    let s = match keys.obj(args.get(1), ValueType::Set)? {
        Some(Value::Set(s)) => Some(s),
        Some(_) => return Err(CmdError::WrongType),
        None => None,
    };
    out.array(args.len() - 2);
    for m in args.from(2) {
        out.int(s.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

fn reply_members(out: &mut crate::resp::ReplyBuf, members: &[Vec<u8>]) {
    out.set(members.len());
    for m in members {
        out.bulk(m);
    }
}

fn smembers(ctx: &mut Ctx, args: Args) -> CmdResult {
    let Ctx { keys, out, .. } = ctx;
    match keys.obj(args.get(1), ValueType::Set)? {
        Some(Value::Set(s)) => {
            out.set(s.len());
            s.for_each(|m| out.bulk(m));
        }
        Some(_) => return Err(CmdError::WrongType),
        None => out.set(0),
    }
    Ok(())
}

fn srandmember(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if args.len() == 2 {
        let pick = read(ctx, args.get(1))?.and_then(|s| s.random().map(|m| m.into_owned()));
        match pick {
            Some(m) => ctx.out.bulk(&m),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_count(&args, 2)?;
    let Ctx { keys, out, .. } = ctx;
    let s = match keys.obj(args.get(1), ValueType::Set)? {
        Some(Value::Set(s)) => s,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            out.array(0);
            return Ok(());
        }
    };
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_REPLY {
        return Err(reply_too_large());
    }
    if count < 0 {
        let k = count.unsigned_abs() as usize;
        out.array(k);
        if let Set::Table(_) = s {
            for _ in 0..k {
                match s.random() {
                    Some(m) => out.bulk(&m),
                    None => out.null(),
                }
            }
            return Ok(());
        }
    }
    let members = s.members();
    let picks = pick_indices(members.len(), count);
    if count >= 0 {
        out.array(picks.len());
    }
    for i in picks {
        out.bulk(&members[i]);
    }
    Ok(())
}

fn spop(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if args.len() == 2 {
        let popped = match write(ctx, key)? {
            Some(s) => s.pop(),
            None => None,
        };
        match popped {
            Some(m) => {
                ctx.keys.dirty += 1;
                // Replicas remove the member SPOP chose.
                ctx.replicate_as(&[b"SREM", key, &m]);
                ctx.keys.notify(ev::SET, "spop", key);
                ctx.keys.remove_if_empty(key)?;
                ctx.out.bulk(&m);
            }
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = crate::util::num::parse_non_negative_i64(args.get(2))?;
    let lim = ctx.srv.hot.limits();
    let Some(s) = write(ctx, key)? else {
        ctx.out.set(0);
        return Ok(());
    };
    let count = count as usize;
    let all = count >= s.len();
    let popped: Vec<Vec<u8>> = if all {
        s.members()
    } else {
        let members = s.members();
        let picks = pick_indices(members.len(), count as i64);
        let chosen: Vec<Vec<u8>> = picks.into_iter().map(|i| members[i].clone()).collect();
        for m in &chosen {
            s.remove(m);
        }
        if count * 5 > members.len() {
            // Redis builds a new set from what remains when most of it goes
            // (SPOP_MOVE_STRATEGY_MUL), which re-chooses the encoding.
            *s = Set::from_members(s.members(), &lim);
        }
        chosen
    };
    if !popped.is_empty() {
        ctx.keys.notify(ev::SET, "spop", key);
    }
    // Replicas get the deletion of the whole set, or SREMs of the chosen
    // members (by 1,024 per command, as Redis batches them).
    if all {
        ctx.replicate_as(&[b"DEL", key]);
    } else {
        for chunk in popped.chunks(1024) {
            let mut argv: Vec<&[u8]> = vec![b"SREM", key];
            argv.extend(chunk.iter().map(Vec::as_slice));
            ctx.replicate_as(&argv);
        }
    }
    if all {
        ctx.keys.remove(key)?;
        ctx.keys.notify(ev::GENERIC, "del", key);
    }
    ctx.keys.dirty += popped.len() as u64;
    ctx.keys.remove_if_empty(key)?;
    reply_members(ctx.out, &popped);
    Ok(())
}

fn smove(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let (src, dst, m) = (args.get(1), args.get(2), args.get(3));
    let src_exists = ctx.keys.exists(src)?;
    if !src_exists {
        ctx.out.int(0);
        return Ok(());
    }
    write(ctx, src)?;
    if ctx.keys.exists(dst)? {
        write(ctx, dst)?;
    }
    if src == dst {
        let is = write(ctx, src)?.is_some_and(|s| s.contains(m));
        ctx.out.int(is as i64);
        return Ok(());
    }
    let removed = write(ctx, src)?.is_some_and(|s| s.remove(m));
    if !removed {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.keys.notify(ev::SET, "srem", src);
    ctx.keys.remove_if_empty(src)?;
    let d = match ctx
        .keys
        .obj_or_insert(dst, ValueType::Set, || Value::Set(Set::for_member(m)))?
    {
        Value::Set(s) => s,
        _ => return Err(CmdError::WrongType),
    };
    if d.add(m, &lim) {
        ctx.keys.notify(ev::SET, "sadd", dst);
    }
    ctx.keys.dirty += 2;
    ctx.out.int(1);
    Ok(())
}

/// Looks every set up (type-checked, hit/miss counted) and returns their
/// sizes, `None` for missing keys.
fn sizes<'a>(
    ctx: &mut Ctx,
    keys: impl Iterator<Item = &'a [u8]>,
) -> Result<Vec<Option<usize>>, CmdError> {
    let mut out = Vec::new();
    for k in keys {
        out.push(read(ctx, k)?.map(|s| s.len()));
    }
    Ok(out)
}

/// The intersection, in the order of the smallest set, stopping at `limit`
/// members (0 = no limit).
fn inter(ctx: &mut Ctx, keys: &[&[u8]], limit: usize) -> Result<Vec<Vec<u8>>, CmdError> {
    let sz = sizes(ctx, keys.iter().copied())?;
    if sz.iter().any(|s| s.is_none()) {
        return Ok(Vec::new());
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| sz[i].unwrap_or(0));
    let mut cand = match write(ctx, keys[order[0]])? {
        Some(s) => s.members(),
        None => return Ok(Vec::new()),
    };
    for &i in &order[1..] {
        if let Some(s) = write(ctx, keys[i])? {
            cand.retain(|m| s.contains(m));
        }
    }
    if limit > 0 {
        cand.truncate(limit);
    }
    Ok(cand)
}

fn union(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Set, CmdError> {
    let lim = ctx.srv.hot.limits();
    sizes(ctx, keys.iter().copied())?;
    let mut acc = Set::Ints(IntSet::new());
    for k in keys {
        let members = match write(ctx, k)? {
            Some(s) => s.members(),
            None => continue,
        };
        for m in members {
            acc.add(&m, &lim);
        }
    }
    Ok(acc)
}

fn diff(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<Vec<u8>>, CmdError> {
    sizes(ctx, keys.iter().copied())?;
    let mut cand = match write(ctx, keys[0])? {
        Some(s) => s.members(),
        None => return Ok(Vec::new()),
    };
    for k in &keys[1..] {
        if cand.is_empty() {
            break;
        }
        if let Some(s) = write(ctx, k)? {
            cand.retain(|m| !s.contains(m));
        }
    }
    Ok(cand)
}

fn set_of(members: Vec<Vec<u8>>, lim: &crate::store::value::Limits) -> Set {
    let mut acc = Set::Ints(IntSet::new());
    for m in members {
        acc.add(&m, lim);
    }
    acc
}

/// Stores a STORE variant's result; `event` is Redis's name for it.
fn store(ctx: &mut Ctx, dst: &[u8], set: Set, event: &'static str) -> CmdResult {
    let n = set.len();
    let existed = ctx.keys.exists(dst)?;
    if ctx.keys.store_obj(dst, Value::Set(set))? {
        ctx.keys.notify(ev::SET, event, dst);
    } else if existed {
        ctx.keys.notify(ev::GENERIC, "del", dst);
    }
    if n == 0 && existed {
        ctx.keys.dirty += 1;
    }
    ctx.out.int(n as i64);
    Ok(())
}

fn key_args<'a>(args: &Args<'a>, from: usize) -> Vec<&'a [u8]> {
    args.from(from).collect()
}

fn sinter(ctx: &mut Ctx, args: Args) -> CmdResult {
    let r = inter(ctx, &key_args(&args, 1), 0)?;
    reply_members(ctx.out, &r);
    Ok(())
}

fn sinterstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let r = inter(ctx, &key_args(&args, 2), 0)?;
    store(ctx, args.get(1), set_of(r, &lim), "sinterstore")
}

fn sintercard(ctx: &mut Ctx, args: Args) -> CmdResult {
    let numkeys = args
        .int(1)
        .map_err(|_| CmdError::err("numkeys should be greater than 0"))?;
    if numkeys <= 0 {
        return Err(CmdError::err("numkeys should be greater than 0"));
    }
    let numkeys = numkeys as usize;
    if numkeys > args.len() - 2 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if args.is(i, "LIMIT") && i + 1 < args.len() {
            let l = args
                .int(i + 1)
                .map_err(|_| CmdError::err("LIMIT can't be negative"))?;
            if l < 0 {
                return Err(CmdError::err("LIMIT can't be negative"));
            }
            limit = l as usize;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| args.get(i)).collect();
    let r = inter(ctx, &keys, limit)?;
    ctx.out.int(r.len() as i64);
    Ok(())
}

fn sunion(ctx: &mut Ctx, args: Args) -> CmdResult {
    let s = union(ctx, &key_args(&args, 1))?;
    ctx.out.set(s.len());
    let out = &mut *ctx.out;
    s.for_each(|m| out.bulk(m));
    Ok(())
}

fn sunionstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    let s = union(ctx, &key_args(&args, 2))?;
    store(ctx, args.get(1), s, "sunionstore")
}

fn sdiff(ctx: &mut Ctx, args: Args) -> CmdResult {
    let r = diff(ctx, &key_args(&args, 1))?;
    reply_members(ctx.out, &r);
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let r = diff(ctx, &key_args(&args, 2))?;
    store(ctx, args.get(1), set_of(r, &lim), "sdiffstore")
}

fn sscan(ctx: &mut Ctx, args: Args) -> CmdResult {
    crate::util::num::parse_scan_cursor(args.get(2))?;
    if ctx.keys.obj(args.get(1), ValueType::Set)?.is_none() {
        super::collection::empty_scan(ctx.out);
        return Ok(());
    }
    let opts = parse_scan(&args)?;
    let Ctx { keys, out, .. } = ctx;
    let mut items: Vec<Vec<u8>> = Vec::new();
    let next = match keys.obj(args.get(1), ValueType::Set)? {
        Some(Value::Set(s)) => scan_loop(&opts, |c| {
            let mut n = 0;
            let next = s.scan(c, |m| {
                n += 1;
                if opts.matches(m) {
                    items.push(m.to_vec());
                }
            });
            (next, n)
        }),
        Some(_) => return Err(CmdError::WrongType),
        None => 0,
    };
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(items.len());
    for i in &items {
        out.bulk(i);
    }
    Ok(())
}
