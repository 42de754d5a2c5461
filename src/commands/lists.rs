//! List commands (Redis's `t_list.c` family), blocking ones included.
//!
//! Lists are quicklists of listpack nodes (see `store::quicklist`), which is
//! what Redis 7.0 uses for every list. The blocking commands find their
//! keys empty, ask the dispatcher to block them (`blocking::block_on`), and
//! when a push makes a key ready they are run again in "serving" mode,
//! popping from that key only: Redis's `serveClientsBlockedOnListKey`.

use super::blocking::{block_on, candidate_keys, parse_timeout};
use super::{bind, clamp_rank_range, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Keys as K};
use crate::config::notify as ev;
use crate::store::hash::lp_bytes;
use crate::store::quicklist::Quicklist;
use crate::store::{Value, ValueType};
use crate::util::num::NumError;

/// The list family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("lpush", lpush, K),
    bind("rpush", rpush, K),
    bind("lpushx", lpushx, K),
    bind("rpushx", rpushx, K),
    bind("lpop", lpop, K),
    bind("rpop", rpop, K),
    bind("llen", llen, K),
    bind("lindex", lindex, K),
    bind("lset", lset, K),
    bind("lrange", lrange, K),
    bind("ltrim", ltrim, K),
    bind("lrem", lrem, K),
    bind("linsert", linsert, K),
    bind("lpos", lpos, K),
    bind("lmove", lmove, K),
    bind("rpoplpush", rpoplpush, K),
    bind("lmpop", lmpop, K),
    bind("blpop", blpop, K),
    bind("brpop", brpop, K),
    bind("blmove", blmove, K),
    bind("brpoplpush", brpoplpush, K),
    bind("blmpop", blmpop, K),
];

fn read<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e Quicklist>, CmdError> {
    match ctx.keys.obj(key, ValueType::List)? {
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

fn write<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e mut Quicklist>, CmdError> {
    match ctx.keys.obj_mut(key, ValueType::List)? {
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

fn write_or_create<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<&'e mut Quicklist, CmdError> {
    let fill = ctx.srv.hot.limits().list_fill;
    match ctx.keys.obj_or_insert(key, ValueType::List, || {
        Value::List(Box::new(Quicklist::new(fill)))
    })? {
        Value::List(l) => {
            l.set_fill(fill);
            Ok(l)
        }
        _ => Err(CmdError::WrongType),
    }
}

/// LEFT or RIGHT: true for the head.
fn parse_where(args: &Args, i: usize) -> Result<bool, CmdError> {
    if args.is(i, "left") {
        Ok(true)
    } else if args.is(i, "right") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn push(ctx: &mut Ctx, args: Args, head: bool, only_existing: bool) -> CmdResult {
    let key = args.get(1);
    if only_existing && write(ctx, key)?.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let l = write_or_create(ctx, key)?;
    for v in args.from(2) {
        if head {
            l.push_front(v);
        } else {
            l.push_back(v);
        }
    }
    let n = l.len();
    ctx.keys.dirty += (args.len() - 2) as u64;
    ctx.keys.notify(ev::LIST, push_event(head), key);
    ctx.out.int(n as i64);
    Ok(())
}

fn push_event(head: bool) -> &'static str {
    if head {
        "lpush"
    } else {
        "rpush"
    }
}

/// The non-blocking pop replicas get for a (blocking or multi-key) pop.
fn pop_name(head: bool) -> &'static [u8] {
    if head {
        b"LPOP"
    } else {
        b"RPOP"
    }
}

fn pop_event(head: bool) -> &'static str {
    if head {
        "lpop"
    } else {
        "rpop"
    }
}

fn lpush(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, true, false)
}

fn rpush(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, false, false)
}

fn lpushx(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, true, true)
}

fn rpushx(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, false, true)
}

/// Pops up to `count` elements from one end, deleting the key if emptied.
fn pop_n(ctx: &mut Ctx, key: &[u8], head: bool, count: usize) -> Result<Vec<Vec<u8>>, CmdError> {
    let mut out = Vec::new();
    if let Some(l) = write(ctx, key)? {
        while out.len() < count {
            let v = if head { l.pop_front() } else { l.pop_back() };
            match v {
                Some(v) => out.push(v),
                None => break,
            }
        }
    }
    ctx.keys.dirty += out.len() as u64;
    if !out.is_empty() {
        ctx.keys.notify(ev::LIST, pop_event(head), key);
    }
    ctx.keys.remove_if_empty(key)?;
    Ok(out)
}

fn pop(ctx: &mut Ctx, args: Args, head: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::raw(format!(
            "ERR wrong number of arguments for '{}' command",
            if head { "lpop" } else { "rpop" }
        )));
    }
    let key = args.get(1);
    let count = if args.len() == 3 {
        Some(crate::util::num::parse_non_negative_i64(args.get(2))? as usize)
    } else {
        None
    };
    if write(ctx, key)?.is_none() {
        match count {
            Some(_) => ctx.out.null_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    match count {
        None => {
            let v = pop_n(ctx, key, head, 1)?;
            match v.first() {
                Some(v) => ctx.out.bulk(v),
                None => ctx.out.null(),
            }
        }
        Some(0) => ctx.out.array(0),
        Some(n) => {
            let v = pop_n(ctx, key, head, n)?;
            ctx.out.array(v.len());
            for e in &v {
                ctx.out.bulk(e);
            }
        }
    }
    Ok(())
}

fn lpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, true)
}

fn rpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, false)
}

fn llen(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = read(ctx, args.get(1))?.map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn lindex(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let idx = args.int(2);
    let Some(l) = read(ctx, key)? else {
        ctx.out.null();
        return Ok(());
    };
    let v = l.get(idx?);
    match v {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx, args: Args) -> CmdResult {
    let Some(l) = write(ctx, args.get(1))? else {
        return Err(CmdError::NoSuchKey);
    };
    let idx = args.int(2)?;
    if !l.set(idx, args.get(3)) {
        return Err(CmdError::err("index out of range"));
    }
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::LIST, "lset", args.get(1));
    ctx.out.ok();
    Ok(())
}

fn lrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    let (start, end) = (args.int(2)?, args.int(3)?);
    let Ctx { keys, out, .. } = ctx;
    let l = match keys.obj(args.get(1), ValueType::List)? {
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            out.array(0);
            return Ok(());
        }
    };
    match clamp_rank_range(start, end, l.len() as i64) {
        None => out.array(0),
        Some((s, e)) => {
            let n = (e - s + 1) as usize;
            out.array(n);
            let mut buf = itoa::Buffer::new();
            for v in l.iter_from(s as usize).take(n) {
                out.bulk(lp_bytes(&v, &mut buf));
            }
        }
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: Args) -> CmdResult {
    let (start, end) = (args.int(2)?, args.int(3)?);
    let key = args.get(1);
    if let Some(l) = write(ctx, key)? {
        let len = l.len();
        match clamp_rank_range(start, end, len as i64) {
            Some((s, e)) => l.trim(s as usize, e as usize),
            None => l.clear(),
        }
        let removed = len - l.len();
        ctx.keys.dirty += removed as u64;
        ctx.keys.touched = true;
        ctx.keys.notify(ev::LIST, "ltrim", key);
        ctx.keys.remove_if_empty(key)?;
    }
    ctx.out.ok();
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: Args) -> CmdResult {
    let count = args.int(2)?;
    let key = args.get(1);
    let removed = match write(ctx, key)? {
        Some(l) => l.remove(args.get(3), count),
        None => 0,
    };
    ctx.keys.dirty += removed as u64;
    if removed > 0 {
        ctx.keys.notify(ev::LIST, "lrem", key);
    }
    ctx.keys.remove_if_empty(key)?;
    ctx.out.int(removed as i64);
    Ok(())
}

fn linsert(ctx: &mut Ctx, args: Args) -> CmdResult {
    let after = if args.is(2, "after") {
        true
    } else if args.is(2, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(l) = write(ctx, args.get(1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    if !l.insert(args.get(3), args.get(4), after) {
        ctx.out.int(-1);
        return Ok(());
    }
    let n = l.len();
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::LIST, "linsert", args.get(1));
    ctx.out.int(n as i64);
    Ok(())
}

fn lpos(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "RANK") && more {
            let r = args.int(i + 1)?;
            if r == i64::MIN {
                return Err(NumError::OutOfRangeBetween {
                    min: -i64::MAX,
                    max: i64::MAX,
                }
                .into());
            }
            if r == 0 {
                return Err(CmdError::err("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"));
            }
            rank = r;
        } else if args.is(i, "COUNT") && more {
            let c = args
                .int(i + 1)
                .map_err(|_| CmdError::err("COUNT can't be negative"))?;
            if c < 0 {
                return Err(CmdError::err("COUNT can't be negative"));
            }
            count = Some(c as usize);
        } else if args.is(i, "MAXLEN") && more {
            let m = args
                .int(i + 1)
                .map_err(|_| CmdError::err("MAXLEN can't be negative"))?;
            if m < 0 {
                return Err(CmdError::err("MAXLEN can't be negative"));
            }
            maxlen = m as usize;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let elem = args.get(2);
    let Ctx { keys, out, .. } = ctx;
    let l = match keys.obj(args.get(1), ValueType::List)? {
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            if count.is_some() {
                out.array(0);
            } else {
                out.null();
            }
            return Ok(());
        }
    };
    let want = match count {
        Some(0) => usize::MAX,
        Some(c) => c,
        None => 1,
    };
    let len = l.len();
    let limit = if maxlen == 0 { len } else { maxlen.min(len) };
    let mut skip = rank.unsigned_abs() - 1;
    let mut found: Vec<usize> = Vec::new();
    let mut check = |idx: usize, v: crate::store::listpack::LpValue<'_>| -> bool {
        if v.eq_bytes(elem) {
            if skip > 0 {
                skip -= 1;
            } else {
                found.push(idx);
                if found.len() >= want {
                    return false;
                }
            }
        }
        true
    };
    if rank > 0 {
        for (i, v) in l.iter().take(limit).enumerate() {
            if !check(i, v) {
                break;
            }
        }
    } else {
        for (i, v) in l.iter().rev().take(limit).enumerate() {
            if !check(len - 1 - i, v) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            out.array(found.len());
            for i in found {
                out.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => out.int(i as i64),
            None => out.null(),
        },
    }
    Ok(())
}

/// LMOVE's body once the source is known to hold a list: checks the
/// destination's type, then moves one element. `None` if the source is
/// empty or missing.
fn move_one(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_head: bool,
    to_head: bool,
) -> Result<Option<Vec<u8>>, CmdError> {
    if write(ctx, src)?.is_none() {
        return Ok(None);
    }
    if ctx.keys.exists(dst)? {
        write(ctx, dst)?;
    }
    let Some(l) = write(ctx, src)? else {
        return Ok(None);
    };
    let popped = if from_head {
        l.pop_front()
    } else {
        l.pop_back()
    };
    let Some(v) = popped else { return Ok(None) };
    // A rotation (src == dst) pushes back into the same list, which thus
    // never empties and keeps its TTL.
    let l = if src == dst {
        l
    } else {
        write_or_create(ctx, dst)?
    };
    if to_head {
        l.push_front(&v);
    } else {
        l.push_back(&v);
    }
    // One change for the pop and one for the push, one in all for a rotation.
    ctx.keys.dirty += if src == dst { 1 } else { 2 };
    // Redis's order: the push, the pop, then the emptied source's `del`.
    ctx.keys.notify(ev::LIST, push_event(to_head), dst);
    ctx.keys.notify(ev::LIST, pop_event(from_head), src);
    ctx.keys.remove_if_empty(src)?;
    Ok(Some(v))
}

fn lmove(ctx: &mut Ctx, args: Args) -> CmdResult {
    let from = parse_where(&args, 3)?;
    let to = parse_where(&args, 4)?;
    match move_one(ctx, args.get(1), args.get(2), from, to)? {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    Ok(())
}

fn rpoplpush(ctx: &mut Ctx, args: Args) -> CmdResult {
    match move_one(ctx, args.get(1), args.get(2), false, true)? {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// LMPOP/BLMPOP arguments.
struct MpopArgs<'a> {
    keys: Vec<&'a [u8]>,
    head: bool,
    count: usize,
}

fn parse_mpop<'a>(args: &Args<'a>, at: usize) -> Result<MpopArgs<'a>, CmdError> {
    let (keys, head, count) = super::collection::parse_mpop(args, at, "left", "right")?;
    Ok(MpopArgs { keys, head, count })
}

/// Pops from the first non-empty list among `keys`, replying
/// `[key, [elements]]`; false if all were empty.
fn mpop_from(ctx: &mut Ctx, keys: &[&[u8]], head: bool, count: usize) -> Result<bool, CmdError> {
    for k in keys {
        if write(ctx, k)?.is_some() {
            let v = pop_n(ctx, k, head, count)?;
            // Replicas get [LR]POP key count, as Redis 7.0 propagates it.
            let n = v.len().to_string();
            ctx.replicate_as(&[pop_name(head), k, n.as_bytes()]);
            ctx.out.array(2);
            ctx.out.bulk(k);
            ctx.out.array(v.len());
            for e in &v {
                ctx.out.bulk(e);
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn lmpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    let m = parse_mpop(&args, 1)?;
    if !mpop_from(ctx, &m.keys, m.head, m.count)? {
        ctx.out.null_array();
    }
    Ok(())
}

fn bpop(ctx: &mut Ctx, args: Args, head: bool) -> CmdResult {
    let deadline = parse_timeout(args.get(args.len() - 1), ctx.keys.now_ms)?;
    let all: Vec<&[u8]> = (1..args.len() - 1).map(|i| args.get(i)).collect();
    for k in candidate_keys(ctx, &all) {
        if write(ctx, k)?.is_some() {
            let v = pop_n(ctx, k, head, 1)?;
            if let Some(v) = v.first() {
                ctx.replicate_as(&[pop_name(head), k]);
                ctx.out.array(2);
                ctx.out.bulk(k);
                ctx.out.bulk(v);
                return Ok(());
            }
        }
    }
    let keys = all.iter().map(|k| k.to_vec()).collect();
    block_on(ctx, keys, deadline, ValueType::List);
    Ok(())
}

fn blpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    bpop(ctx, args, true)
}

fn brpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    bpop(ctx, args, false)
}

fn bmove(ctx: &mut Ctx, args: Args, from: bool, to: bool, timeout_idx: usize) -> CmdResult {
    let deadline = parse_timeout(args.get(timeout_idx), ctx.keys.now_ms)?;
    let (src, dst) = (args.get(1), args.get(2));
    if let Some(v) = move_one(ctx, src, dst, from, to)? {
        if timeout_idx == 5 {
            ctx.replicate_as(&[b"LMOVE", src, dst, args.get(3), args.get(4)]);
        } else {
            ctx.replicate_as(&[b"RPOPLPUSH", src, dst]);
        }
        ctx.out.bulk(&v);
        return Ok(());
    }
    if ctx.client.in_multi {
        ctx.out.null();
        return Ok(());
    }
    block_on(ctx, vec![src.to_vec()], deadline, ValueType::List);
    Ok(())
}

fn blmove(ctx: &mut Ctx, args: Args) -> CmdResult {
    let from = parse_where(&args, 3)?;
    let to = parse_where(&args, 4)?;
    bmove(ctx, args, from, to, 5)
}

fn brpoplpush(ctx: &mut Ctx, args: Args) -> CmdResult {
    bmove(ctx, args, false, true, 3)
}

fn blmpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    let m = parse_mpop(&args, 2)?;
    let deadline = parse_timeout(args.get(1), ctx.keys.now_ms)?;
    let keys = candidate_keys(ctx, &m.keys);
    if mpop_from(ctx, &keys, m.head, m.count)? {
        return Ok(());
    }
    let keys = m.keys.iter().map(|k| k.to_vec()).collect();
    block_on(ctx, keys, deadline, ValueType::List);
    Ok(())
}
