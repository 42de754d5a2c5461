//! Hash commands (Redis's `t_hash.c` family).
//!
//! A hash is a listpack while small and a scan table once it outgrows
//! `hash-max-listpack-entries`/`-value` (see `store::hash`). Commands check
//! every argument's length before writing, as Redis does, so the encoding
//! `OBJECT ENCODING` reports matches Redis's after the same commands.

use super::collection::{
    parse_count, parse_scan, pick_indices, reply_too_large, scan_loop, MAX_RANDOM_REPLY,
};
use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Keys as K};
use crate::config::notify as ev;
use crate::store::hash::Hash;
use crate::store::{Value, ValueType};
use crate::util::num::{self, NumError};

/// The hash family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("hset", hset, K),
    bind("hmset", hmset, K),
    bind("hsetnx", hsetnx, K),
    bind("hget", hget, K),
    bind("hmget", hmget, K),
    bind("hgetall", hgetall, K),
    bind("hdel", hdel, K),
    bind("hlen", hlen, K),
    bind("hexists", hexists, K),
    bind("hkeys", hkeys, K),
    bind("hvals", hvals, K),
    bind("hstrlen", hstrlen, K),
    bind("hincrby", hincrby, K),
    bind("hincrbyfloat", hincrbyfloat, K),
    bind("hrandfield", hrandfield, K),
    bind("hscan", hscan, K),
];

fn read<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e Hash>, CmdError> {
    match ctx.keys.obj(key, ValueType::Hash)? {
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

fn write<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e mut Hash>, CmdError> {
    match ctx.keys.obj_mut(key, ValueType::Hash)? {
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

fn write_or_create<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<&'e mut Hash, CmdError> {
    let lim = ctx.srv.hot.limits();
    match ctx
        .keys
        .obj_or_insert(key, ValueType::Hash, || Value::Hash(Hash::new(&lim)))?
    {
        Value::Hash(h) => Ok(h),
        _ => Err(CmdError::WrongType),
    }
}

/// HSET/HMSET body: stores every pair, returns how many fields were new.
fn set_pairs(ctx: &mut Ctx, args: Args) -> Result<i64, CmdError> {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::raw(format!(
            "ERR wrong number of arguments for '{}' command",
            String::from_utf8_lossy(args.get(0)).to_lowercase()
        )));
    }
    let lim = ctx.srv.hot.limits();
    let key = args.get(1);
    let h = write_or_create(ctx, key)?;
    h.convert_for_lengths(args.from(2), &lim);
    let pairs: Vec<(&[u8], &[u8])> = (2..args.len())
        .step_by(2)
        .map(|i| (args.get(i), args.get(i + 1)))
        .collect();
    let created = h.set_many(&pairs, &lim) as i64;
    ctx.keys.dirty += ((args.len() - 2) / 2) as u64;
    ctx.keys.notify(ev::HASH, "hset", key);
    Ok(created)
}

fn hset(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = set_pairs(ctx, args)?;
    ctx.out.int(n);
    Ok(())
}

fn hmset(ctx: &mut Ctx, args: Args) -> CmdResult {
    set_pairs(ctx, args)?;
    ctx.out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let (key, field, value) = (args.get(1), args.get(2), args.get(3));
    let h = write_or_create(ctx, key)?;
    if h.contains(field) {
        ctx.out.int(0);
        return Ok(());
    }
    h.convert_for_lengths([field, value].into_iter(), &lim);
    h.set(field, value, &lim);
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::HASH, "hset", key);
    ctx.out.int(1);
    Ok(())
}

fn hget(ctx: &mut Ctx, args: Args) -> CmdResult {
    let out_field = match read(ctx, args.get(1))? {
        Some(h) => h.get(args.get(2)).map(|v| v.into_owned()),
        None => None,
    };
    match out_field {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: Args) -> CmdResult {
    let Ctx { keys, out, .. } = ctx;
    let h = match keys.obj(args.get(1), ValueType::Hash)? {
        Some(Value::Hash(h)) => Some(h),
        Some(_) => return Err(CmdError::WrongType),
        None => None,
    };
    out.array(args.len() - 2);
    for f in args.from(2) {
        match h.and_then(|h| h.get(f)) {
            Some(v) => out.bulk(&v),
            None => out.null(),
        }
    }
    Ok(())
}

/// HGETALL, HKEYS, HVALS.
fn get_all(ctx: &mut Ctx, args: Args, fields: bool, values: bool) -> CmdResult {
    let Ctx { keys, out, .. } = ctx;
    let h = match keys.obj(args.get(1), ValueType::Hash)? {
        Some(Value::Hash(h)) => h,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            if fields && values {
                out.map(0);
            } else {
                out.array(0);
            }
            return Ok(());
        }
    };
    if fields && values {
        out.map(h.len());
    } else {
        out.array(h.len());
    }
    h.for_each(|f, v| {
        if fields {
            out.bulk(f);
        }
        if values {
            out.bulk(v);
        }
    });
    Ok(())
}

fn hgetall(ctx: &mut Ctx, args: Args) -> CmdResult {
    get_all(ctx, args, true, true)
}

fn hkeys(ctx: &mut Ctx, args: Args) -> CmdResult {
    get_all(ctx, args, true, false)
}

fn hvals(ctx: &mut Ctx, args: Args) -> CmdResult {
    get_all(ctx, args, false, true)
}

fn hdel(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let Some(h) = write(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for f in args.from(2) {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    ctx.keys.dirty += deleted as u64;
    if deleted > 0 {
        ctx.keys.notify(ev::HASH, "hdel", key);
    }
    ctx.keys.remove_if_empty(key)?;
    ctx.out.int(deleted);
    Ok(())
}

fn hlen(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = read(ctx, args.get(1))?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: Args) -> CmdResult {
    let e = read(ctx, args.get(1))?.is_some_and(|h| h.contains(args.get(2)));
    ctx.out.int(e as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = read(ctx, args.get(1))?
        .and_then(|h| h.get(args.get(2)).map(|v| v.len()))
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let incr = args.int(3)?;
    let (key, field) = (args.get(1), args.get(2));
    let h = write_or_create(ctx, key)?;
    let current = match h.get(field) {
        Some(v) => num::parse_i64(&v).ok_or(NumError::HashNotInteger)?,
        None => 0,
    };
    let new = num::incr_by(current, incr)?;
    let mut buf = itoa::Buffer::new();
    let text = buf.format(new).as_bytes();
    h.convert_for_lengths([field].into_iter(), &lim);
    h.set(field, text, &lim);
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::HASH, "hincrby", key);
    ctx.out.int(new);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: Args) -> CmdResult {
    let lim = ctx.srv.hot.limits();
    let (key, field, incr) = (args.get(1), args.get(2), args.get(3));
    // Validate the increment before creating the key.
    num::hincrbyfloat(None, incr)?;
    let h = write_or_create(ctx, key)?;
    let result = {
        let current = h.get(field);
        num::hincrbyfloat(current.as_deref(), incr)
    };
    let new = match result {
        Ok(v) => v,
        Err(e) => {
            ctx.keys.remove_if_empty(key)?;
            return Err(e.into());
        }
    };
    h.convert_for_lengths([field, incr].into_iter(), &lim);
    h.set(field, &new, &lim);
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::HASH, "hincrbyfloat", key);
    ctx.replicate_as(&[b"HSET", key, field, &new]);
    ctx.out.bulk(&new);
    Ok(())
}

fn hrandfield(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len() == 2 {
        let pick = read(ctx, args.get(1))?.and_then(|h| h.random());
        match pick {
            Some((f, _)) => ctx.out.bulk(&f),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_count(&args, 2)?;
    let withvalues = match args.len() {
        3 => false,
        4 if args.is(3, "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(NumError::OutOfRange.into());
    }
    let Ctx { keys, out, .. } = ctx;
    let h = match keys.obj(args.get(1), ValueType::Hash)? {
        Some(Value::Hash(h)) => h,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            out.array(0);
            return Ok(());
        }
    };
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_REPLY {
        return Err(reply_too_large());
    }
    let pairs = h.to_pairs();
    let picks = pick_indices(pairs.len(), count);
    if withvalues && out.resp3 {
        out.array(picks.len());
    } else {
        out.array(picks.len() * if withvalues { 2 } else { 1 });
    }
    for i in picks {
        let (f, v) = &pairs[i];
        if withvalues && out.resp3 {
            out.array(2);
        }
        out.bulk(f);
        if withvalues {
            out.bulk(v);
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx, args: Args) -> CmdResult {
    crate::util::num::parse_scan_cursor(args.get(2))?;
    if ctx.keys.obj(args.get(1), ValueType::Hash)?.is_none() {
        super::collection::empty_scan(ctx.out);
        return Ok(());
    }
    let opts = parse_scan(&args)?;
    let Ctx { keys, out, .. } = ctx;
    let mut items: Vec<Vec<u8>> = Vec::new();
    let next = match keys.obj(args.get(1), ValueType::Hash)? {
        Some(Value::Hash(h)) => scan_loop(&opts, |c| {
            let mut n = 0;
            let next = h.scan(c, |f, v| {
                n += 1;
                if opts.matches(f) {
                    items.push(f.to_vec());
                    items.push(v.to_vec());
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
