//! Sorted-set commands (Redis's `t_zset.c` family) except the algebra
//! (ZUNION/ZINTER/ZDIFF, in `zset_algebra.rs`).
//!
//! Every range form (by rank, score or lex, forward or reversed, with
//! LIMIT) is reduced to a rank interval of the sorted set and walked in one
//! direction (`store::zset`), so ZRANGE, its legacy spellings, ZRANGESTORE,
//! ZCOUNT, ZLEXCOUNT and ZREMRANGEBY* share one parser and one walker.

use super::blocking::{block_on, candidate_keys, parse_timeout};
use super::collection::{
    parse_count, parse_scan, pick_indices, reply_too_large, scan_loop, MAX_RANDOM_REPLY,
};
use super::{bind, clamp_rank_range, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Keys as K};
use crate::config::notify as ev;
use crate::resp::ReplyBuf;
use crate::store::zset::{LexBound, ZSet};
use crate::store::{Value, ValueType};
use crate::util::num::{self, NumError};

/// The sorted-set family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("zadd", zadd, K),
    bind("zincrby", zincrby, K),
    bind("zrem", zrem, K),
    bind("zcard", zcard, K),
    bind("zscore", zscore, K),
    bind("zmscore", zmscore, K),
    bind("zrank", zrank, K),
    bind("zrevrank", zrevrank, K),
    bind("zcount", zcount, K),
    bind("zlexcount", zlexcount, K),
    bind("zrange", zrange, K),
    bind("zrangestore", zrangestore, K),
    bind("zrevrange", zrevrange, K),
    bind("zrangebyscore", zrangebyscore, K),
    bind("zrevrangebyscore", zrevrangebyscore, K),
    bind("zrangebylex", zrangebylex, K),
    bind("zrevrangebylex", zrevrangebylex, K),
    bind("zremrangebyrank", zremrangebyrank, K),
    bind("zremrangebyscore", zremrangebyscore, K),
    bind("zremrangebylex", zremrangebylex, K),
    bind("zpopmin", zpopmin, K),
    bind("zpopmax", zpopmax, K),
    bind("zmpop", zmpop, K),
    bind("bzpopmin", bzpopmin, K),
    bind("bzpopmax", bzpopmax, K),
    bind("bzmpop", bzmpop, K),
    bind("zrandmember", zrandmember, K),
    bind("zscan", zscan, K),
];

/// The sorted set at `key` for reading (hit/miss counted).
pub fn read<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e ZSet>, CmdError> {
    match ctx.keys.obj(key, ValueType::ZSet)? {
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

/// The sorted set at `key` for modification.
pub fn write<'e>(ctx: &'e mut Ctx, key: &[u8]) -> Result<Option<&'e mut ZSet>, CmdError> {
    match ctx.keys.obj_mut(key, ValueType::ZSet)? {
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

/// A score argument (`string2d`: no NaN, `inf` allowed).
fn parse_score(a: &[u8]) -> Result<f64, CmdError> {
    num::parse_f64(a).ok_or(CmdError::NotFloat)
}

/// ZADD flags.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What `add_one` did.
enum Added {
    New(f64),
    Updated(f64),
    Unchanged(f64),
    Skipped,
}

fn add_one(
    z: &mut ZSet,
    member: &[u8],
    mut score: f64,
    f: AddFlags,
    lim: &crate::store::value::Limits,
) -> Result<Added, CmdError> {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok(Added::Skipped);
            }
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return Err(NumError::ScoreNan.into());
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return Ok(Added::Skipped);
            }
            if score != cur {
                z.insert(member, score, lim);
                Ok(Added::Updated(score))
            } else {
                Ok(Added::Unchanged(score))
            }
        }
        None => {
            if f.xx {
                return Ok(Added::Skipped);
            }
            z.insert(member, score, lim);
            Ok(Added::New(score))
        }
    }
}

fn zadd_generic(ctx: &mut Ctx, args: Args, mut f: AddFlags) -> CmdResult {
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "nx") {
            f.nx = true;
        } else if args.is(i, "xx") {
            f.xx = true;
        } else if args.is(i, "ch") {
            f.ch = true;
        } else if args.is(i, "incr") {
            f.incr = true;
        } else if args.is(i, "gt") {
            f.gt = true;
        } else if args.is(i, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = args.len() - i;
    if !elements.is_multiple_of(2) || elements == 0 {
        return Err(CmdError::Syntax);
    }
    let pairs = elements / 2;
    if f.nx && f.xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs > 1 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(pairs);
    for j in 0..pairs {
        scores.push(parse_score(args.get(i + 2 * j))?);
    }
    let lim = ctx.srv.hot.limits();
    let key = args.get(1);
    let exists = write(ctx, key)?.is_some();
    if !exists && f.xx {
        if f.incr {
            ctx.out.null();
        } else {
            ctx.out.int(0);
        }
        return Ok(());
    }
    let first_len = args.get(i + 1).len();
    let z = match ctx.keys.obj_or_insert(key, ValueType::ZSet, || {
        Value::ZSet(ZSet::new(&lim, first_len))
    })? {
        Value::ZSet(z) => z,
        _ => return Err(CmdError::WrongType),
    };
    let (mut added, mut updated, mut last) = (0i64, 0i64, None);
    let mut err = None;
    for (j, &score) in scores.iter().enumerate() {
        match add_one(z, args.get(i + 2 * j + 1), score, f, &lim) {
            Ok(Added::New(s)) => {
                added += 1;
                last = Some(s);
            }
            Ok(Added::Updated(s)) => {
                updated += 1;
                last = Some(s);
            }
            Ok(Added::Unchanged(s)) => last = Some(s),
            Ok(Added::Skipped) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    ctx.keys.dirty += (added + updated) as u64;
    if added + updated > 0 {
        ctx.keys
            .notify(ev::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    ctx.keys.remove_if_empty(key)?;
    if let Some(e) = err {
        return Err(e);
    }
    if f.incr {
        match last {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.int(if f.ch { added + updated } else { added });
    }
    Ok(())
}

fn zadd(ctx: &mut Ctx, args: Args) -> CmdResult {
    zadd_generic(ctx, args, AddFlags::default())
}

fn zincrby(ctx: &mut Ctx, args: Args) -> CmdResult {
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, args, f)
}

fn zrem(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let Some(z) = write(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut n = 0;
    for m in args.from(2) {
        if z.remove(m) {
            n += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    ctx.keys.dirty += n as u64;
    if n > 0 {
        ctx.keys.notify(ev::ZSET, "zrem", key);
    }
    ctx.keys.remove_if_empty(key)?;
    ctx.out.int(n);
    Ok(())
}

fn zcard(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = read(ctx, args.get(1))?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    match read(ctx, args.get(1))?.and_then(|z| z.score(args.get(2))) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    let scores: Vec<Option<f64>> = match read(ctx, args.get(1))? {
        Some(z) => args.from(2).map(|m| z.score(m)).collect(),
        None => args.from(2).map(|_| None).collect(),
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn rank_generic(ctx: &mut Ctx, args: Args, rev: bool) -> CmdResult {
    let r = match read(ctx, args.get(1))? {
        Some(z) => z
            .rank(args.get(2))
            .map(|(r, _)| if rev { z.len() - 1 - r } else { r }),
        None => None,
    };
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx, args: Args) -> CmdResult {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: Args) -> CmdResult {
    rank_generic(ctx, args, true)
}

/// A score bound as `zslParseRange` reads it: `(` for exclusive, then a
/// `strtod` number (`inf`, `-inf` included; NaN refused).
fn parse_score_bound(a: &[u8]) -> Option<(f64, bool)> {
    let (s, excl) = match a.first() {
        Some(b'(') => (&a[1..], true),
        _ => (a, false),
    };
    let v = match num::parse_f64(s) {
        Some(v) => v,
        None => {
            // strtod also takes leading blanks, an empty string (0) and
            // overflowing literals (±inf).
            let t = std::str::from_utf8(s).ok()?.trim_start();
            if t.is_empty() {
                0.0
            } else {
                t.parse::<f64>().ok()?
            }
        }
    };
    (!v.is_nan()).then_some((v, excl))
}

/// A lex bound as `zslParseLexRange` reads it: `-`, `+`, `[x` or `(x`.
fn parse_lex_bound(a: &[u8]) -> Option<LexBound<'_>> {
    match a.first() {
        Some(b'+') if a.len() == 1 => Some(LexBound::PosInf),
        Some(b'-') if a.len() == 1 => Some(LexBound::NegInf),
        Some(b'(') => Some(LexBound::Excl(&a[1..])),
        Some(b'[') => Some(LexBound::Incl(&a[1..])),
        _ => None,
    }
}

/// What a range selects.
#[derive(Clone, Copy)]
pub enum RangeSpec<'a> {
    /// Ranks (already known to be integers).
    Rank(i64, i64),
    /// Scores, inclusive unless flagged.
    Score((f64, bool), (f64, bool)),
    /// Members, when all scores are equal.
    Lex(LexBound<'a>, LexBound<'a>),
}

/// Parses a range's `min max` arguments for the given kind.
fn parse_range<'a>(kind: u8, min: &'a [u8], max: &'a [u8]) -> Result<RangeSpec<'a>, CmdError> {
    match kind {
        b'r' => Ok(RangeSpec::Rank(
            num::parse_i64(min).ok_or(CmdError::NotInteger)?,
            num::parse_i64(max).ok_or(CmdError::NotInteger)?,
        )),
        b's' => match (parse_score_bound(min), parse_score_bound(max)) {
            (Some(a), Some(b)) => Ok(RangeSpec::Score(a, b)),
            _ => Err(NumError::MinMaxNotFloat.into()),
        },
        _ => match (parse_lex_bound(min), parse_lex_bound(max)) {
            (Some(a), Some(b)) => Ok(RangeSpec::Lex(a, b)),
            _ => Err(CmdError::err("min or max not valid string range item")),
        },
    }
}

/// The ranks (ascending, end exclusive) a score or lex range covers.
fn rank_interval(z: &ZSet, spec: RangeSpec<'_>) -> (usize, usize) {
    match spec {
        RangeSpec::Rank(s, e) => match clamp_rank_range(s, e, z.len() as i64) {
            Some((s, e)) => (s as usize, e as usize + 1),
            None => (0, 0),
        },
        RangeSpec::Score((min, minx), (max, maxx)) => {
            let a = z.rank_of_score(min, minx);
            let b = z.rank_after_score(max, maxx);
            (a, b.max(a))
        }
        RangeSpec::Lex(min, max) => {
            let a = z.rank_of_lex(min);
            let b = z.rank_after_lex(max);
            (a, b.max(a))
        }
    }
}

/// Selected members of a range, in reply order.
pub fn select(
    z: &ZSet,
    spec: RangeSpec<'_>,
    rev: bool,
    limit: Option<(i64, i64)>,
) -> Vec<(Vec<u8>, f64)> {
    let len = z.len();
    let (lo, hi) = match spec {
        // REV ranks count from the top; turn them into ascending ones.
        RangeSpec::Rank(s, e) => match clamp_rank_range(s, e, len as i64) {
            Some((s, e)) if rev => (len - 1 - e as usize, len - s as usize),
            Some((s, e)) => (s as usize, e as usize + 1),
            None => (0, 0),
        },
        _ => rank_interval(z, spec),
    };
    if lo >= hi {
        return Vec::new();
    }
    let mut n = hi - lo;
    let mut skip = 0usize;
    if let Some((offset, count)) = limit {
        if offset < 0 {
            return Vec::new();
        }
        skip = offset as usize;
        if skip >= n {
            return Vec::new();
        }
        n -= skip;
        if count >= 0 {
            n = n.min(count as usize);
        }
    }
    let mut out = Vec::with_capacity(n.min(1024));
    if n == 0 {
        return out;
    }
    // Walk from the start of the selected direction.
    if rev {
        let top = len - hi + skip; // rank counted from the top
        z.range(top, top + n - 1, true, |m, s| out.push((m.to_vec(), s)));
    } else {
        z.range(lo + skip, lo + skip + n - 1, false, |m, s| {
            out.push((m.to_vec(), s))
        });
    }
    out
}

/// Emits members, with scores as RESP2 flat pairs or RESP3 nested pairs.
pub fn reply_scored(out: &mut ReplyBuf, items: &[(Vec<u8>, f64)], withscores: bool) {
    if withscores && !out.resp3 {
        out.array(items.len() * 2);
    } else {
        out.array(items.len());
    }
    for (m, s) in items {
        if withscores && out.resp3 {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(*s);
        }
    }
}

/// Parsed ZRANGE-family request.
struct RangeReq<'a> {
    key: &'a [u8],
    spec: RangeSpec<'a>,
    rev: bool,
    limit: Option<(i64, i64)>,
    withscores: bool,
}

/// Parses ZRANGE-style arguments from index `src` (the key) as Redis's
/// `zrangeGenericCommand`: `kind`/`rev` preset by the legacy commands
/// (`None` = ZRANGE/ZRANGESTORE, which take BYSCORE/BYLEX/REV keywords).
fn parse_zrange<'a>(
    args: &Args<'a>,
    src: usize,
    preset: Option<(u8, bool)>,
    store: bool,
) -> Result<RangeReq<'a>, CmdError> {
    let mut kind = preset.map(|p| p.0);
    let mut rev = preset.map(|p| p.1);
    let mut withscores = false;
    let mut limit = None;
    let mut j = src + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if args.is(j, "withscores") && !store {
            withscores = true;
        } else if args.is(j, "limit") && left >= 2 {
            limit = Some((args.int(j + 1)?, args.int(j + 2)?));
            j += 2;
        } else if rev.is_none() && args.is(j, "rev") {
            rev = Some(true);
        } else if kind.is_none() && args.is(j, "bylex") {
            kind = Some(b'l');
        } else if kind.is_none() && args.is(j, "byscore") {
            kind = Some(b's');
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    let kind = kind.unwrap_or(b'r');
    // Redis tracks only the count: `LIMIT x -1` is "no limit".
    let limit = limit.filter(|&(_, count)| count != -1 || kind != b'r');
    if limit.is_some() && kind == b'r' {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == b'l' {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut a, mut b) = (args.get(src + 1), args.get(src + 2));
    if rev && kind != b'r' {
        std::mem::swap(&mut a, &mut b);
    }
    Ok(RangeReq {
        key: args.get(src),
        spec: parse_range(kind, a, b)?,
        rev,
        limit,
        withscores,
    })
}

fn range_reply(ctx: &mut Ctx, args: Args, preset: Option<(u8, bool)>) -> CmdResult {
    let req = parse_zrange(&args, 1, preset, false)?;
    let items = match read(ctx, req.key)? {
        Some(z) => select(z, req.spec, req.rev, req.limit),
        None => Vec::new(),
    };
    reply_scored(ctx.out, &items, req.withscores);
    Ok(())
}

fn zrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_reply(ctx, args, None)
}

fn zrevrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_reply(ctx, args, Some((b'r', true)))
}

fn zrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_reply(ctx, args, Some((b's', false)))
}

fn zrevrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_reply(ctx, args, Some((b's', true)))
}

fn zrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_reply(ctx, args, Some((b'l', false)))
}

fn zrevrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_reply(ctx, args, Some((b'l', true)))
}

fn zrangestore(ctx: &mut Ctx, args: Args) -> CmdResult {
    let req = parse_zrange(&args, 2, None, true)?;
    let items = match read(ctx, req.key)? {
        Some(z) => select(z, req.spec, req.rev, req.limit),
        None => Vec::new(),
    };
    let lim = ctx.srv.hot.limits();
    let n = items.len();
    let dst = args.get(1);
    let existed = ctx.keys.exists(dst)?;
    if ctx
        .keys
        .store_obj(dst, Value::ZSet(ZSet::from_pairs(items, &lim)))?
    {
        ctx.keys.notify(ev::ZSET, "zrangestore", dst);
    } else if existed {
        ctx.keys.notify(ev::GENERIC, "del", dst);
    }
    if n == 0 && existed {
        ctx.keys.dirty += 1;
    }
    ctx.out.int(n as i64);
    Ok(())
}

fn count_generic(ctx: &mut Ctx, args: Args, kind: u8) -> CmdResult {
    let spec = parse_range(kind, args.get(2), args.get(3))?;
    let n = match read(ctx, args.get(1))? {
        Some(z) => {
            let (a, b) = rank_interval(z, spec);
            b - a
        }
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx, args: Args) -> CmdResult {
    count_generic(ctx, args, b's')
}

fn zlexcount(ctx: &mut Ctx, args: Args) -> CmdResult {
    count_generic(ctx, args, b'l')
}

fn remrange(ctx: &mut Ctx, args: Args, kind: u8) -> CmdResult {
    let spec = parse_range(kind, args.get(2), args.get(3))?;
    let key = args.get(1);
    let n = match write(ctx, key)? {
        Some(z) => {
            let (a, b) = rank_interval(z, spec);
            z.remove_rank_range(a, b)
        }
        None => 0,
    };
    ctx.keys.dirty += n as u64;
    if n > 0 {
        let event = match kind {
            b'r' => "zremrangebyrank",
            b's' => "zremrangebyscore",
            _ => "zremrangebylex",
        };
        ctx.keys.notify(ev::ZSET, event, key);
    }
    ctx.keys.remove_if_empty(key)?;
    ctx.out.int(n as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx, args: Args) -> CmdResult {
    remrange(ctx, args, b'r')
}

fn zremrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    remrange(ctx, args, b's')
}

fn zremrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult {
    remrange(ctx, args, b'l')
}

/// A key and the members popped from it, with their scores.
type Popped = (Vec<u8>, Vec<(Vec<u8>, f64)>);

/// Pops up to `count` members from the first sorted set among `keys`
/// (type-checked in order), deleting it if emptied. `None` if all missing.
fn pop_first_of(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    count: usize,
) -> Result<Option<Popped>, CmdError> {
    for k in keys {
        let Some(z) = write(ctx, k)? else { continue };
        let mut items = Vec::new();
        while items.len() < count {
            match z.pop(max) {
                Some(p) => items.push(p),
                None => break,
            }
        }
        ctx.keys.dirty += items.len() as u64;
        if !items.is_empty() {
            ctx.keys
                .notify(ev::ZSET, if max { "zpopmax" } else { "zpopmin" }, k);
        }
        ctx.keys.remove_if_empty(k)?;
        return Ok(Some((k.to_vec(), items)));
    }
    Ok(None)
}

fn zpop(ctx: &mut Ctx, args: Args, max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if args.len() == 3 {
        Some(num::parse_non_negative_i64(args.get(2))? as usize)
    } else {
        None
    };
    if count == Some(0) {
        // Type still checked first.
        read(ctx, args.get(1))?;
        ctx.out.array(0);
        return Ok(());
    }
    let popped = pop_first_of(ctx, &[args.get(1)], max, count.unwrap_or(1))?;
    let items = popped.map(|p| p.1).unwrap_or_default();
    if ctx.out.resp3 && count.is_some() {
        reply_scored(ctx.out, &items, true);
    } else {
        // RESP2, or RESP3 without COUNT: one flat [member, score, ...].
        ctx.out.array(items.len() * 2);
        for (m, s) in &items {
            ctx.out.bulk(m);
            ctx.out.double(*s);
        }
    }
    Ok(())
}

fn zpopmin(ctx: &mut Ctx, args: Args) -> CmdResult {
    zpop(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: Args) -> CmdResult {
    zpop(ctx, args, true)
}

/// ZMPOP/BZMPOP arguments: keys, true for MAX, count.
fn parse_zmpop<'a>(args: &Args<'a>, at: usize) -> Result<(Vec<&'a [u8]>, bool, usize), CmdError> {
    super::collection::parse_mpop(args, at, "max", "min")
}

fn reply_mpop(out: &mut ReplyBuf, key: &[u8], items: &[(Vec<u8>, f64)]) {
    out.array(2);
    out.bulk(key);
    out.array(items.len());
    for (m, s) in items {
        out.array(2);
        out.bulk(m);
        out.double(*s);
    }
}

/// The ZPOPMIN/ZPOPMAX replicas get for ZMPOP, BZMPOP (with the count
/// popped) and BZPOPMIN/BZPOPMAX (without).
fn replicate_zpop(ctx: &mut Ctx, key: &[u8], max: bool, count: Option<usize>) {
    let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    match count {
        Some(n) => ctx.replicate_as(&[name, key, n.to_string().as_bytes()]),
        None => ctx.replicate_as(&[name, key]),
    }
}

fn zmpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    let (keys, max, count) = parse_zmpop(&args, 1)?;
    match pop_first_of(ctx, &keys, max, count)? {
        Some((k, items)) => {
            replicate_zpop(ctx, &k, max, Some(items.len()));
            reply_mpop(ctx.out, &k, &items)
        }
        None => ctx.out.null_array(),
    }
    Ok(())
}

fn bzpop(ctx: &mut Ctx, args: Args, max: bool) -> CmdResult {
    let deadline = parse_timeout(args.get(args.len() - 1), ctx.keys.now_ms)?;
    let all: Vec<&[u8]> = (1..args.len() - 1).map(|i| args.get(i)).collect();
    if let Some((k, items)) = pop_first_of(ctx, &candidate_keys(ctx, &all), max, 1)? {
        if let Some((m, s)) = items.first() {
            replicate_zpop(ctx, &k, max, None);
            ctx.out.array(3);
            ctx.out.bulk(&k);
            ctx.out.bulk(m);
            ctx.out.double(*s);
            return Ok(());
        }
    }
    block_on(
        ctx,
        all.iter().map(|k| k.to_vec()).collect(),
        deadline,
        ValueType::ZSet,
    );
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx, args: Args) -> CmdResult {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: Args) -> CmdResult {
    bzpop(ctx, args, true)
}

fn bzmpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    let (keys, max, count) = parse_zmpop(&args, 2)?;
    let deadline = parse_timeout(args.get(1), ctx.keys.now_ms)?;
    if let Some((k, items)) = pop_first_of(ctx, &candidate_keys(ctx, &keys), max, count)? {
        if !items.is_empty() {
            replicate_zpop(ctx, &k, max, Some(items.len()));
            reply_mpop(ctx.out, &k, &items);
            return Ok(());
        }
    }
    block_on(
        ctx,
        keys.iter().map(|k| k.to_vec()).collect(),
        deadline,
        ValueType::ZSet,
    );
    Ok(())
}

fn zrandmember(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len() == 2 {
        let pick = read(ctx, args.get(1))?.and_then(|z| z.random().map(|(m, _)| m.into_owned()));
        match pick {
            Some(m) => ctx.out.bulk(&m),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_count(&args, 2)?;
    let withscores = match args.len() {
        3 => false,
        4 if args.is(3, "withscores") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(NumError::OutOfRange.into());
    }
    let items = match read(ctx, args.get(1))? {
        Some(z) => {
            if count < 0 && count.unsigned_abs() > MAX_RANDOM_REPLY {
                return Err(reply_too_large());
            }
            let all = z.to_pairs();
            pick_indices(all.len(), count)
                .into_iter()
                .map(|i| all[i].clone())
                .collect()
        }
        None => Vec::new(),
    };
    reply_scored(ctx.out, &items, withscores);
    Ok(())
}

fn zscan(ctx: &mut Ctx, args: Args) -> CmdResult {
    crate::util::num::parse_scan_cursor(args.get(2))?;
    if ctx.keys.obj(args.get(1), ValueType::ZSet)?.is_none() {
        super::collection::empty_scan(ctx.out);
        return Ok(());
    }
    let opts = parse_scan(&args)?;
    let mut items: Vec<Vec<u8>> = Vec::new();
    let next = match read(ctx, args.get(1))? {
        Some(z) => scan_loop(&opts, |c| {
            let listpack = matches!(z, ZSet::Listpack(_));
            let mut n = 0;
            let next = z.scan(c, |m, s| {
                n += 1;
                if opts.matches(m) {
                    items.push(m.to_vec());
                    let mut t = Vec::new();
                    if listpack {
                        num::write_d2string(s, &mut t);
                    } else {
                        num::write_double(s, &mut t);
                    }
                    items.push(t);
                }
            });
            (next, n)
        }),
        None => 0,
    };
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array(items.len());
    for i in &items {
        ctx.out.bulk(i);
    }
    Ok(())
}
