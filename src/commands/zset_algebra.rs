//! ZUNION, ZINTER, ZDIFF (and their STORE forms) and ZINTERCARD: Redis's
//! `zunionInterDiffGenericCommand`. Inputs may be sorted sets or plain sets
//! (members of a set score 1); WEIGHTS multiply, AGGREGATE combines, and a
//! NaN from `0 * inf` or `inf + -inf` becomes 0 as in Redis.

use std::collections::HashMap;

use super::zsets::reply_scored;
use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Keys as K};
use crate::store::zset::ZSet;
use crate::store::Value;
use crate::util::num::{self, NumError};

/// The algebra commands' bindings.
pub const COMMANDS: &[Binding] = &[
    bind("zunion", zunion, K),
    bind("zunionstore", zunionstore, K),
    bind("zinter", zinter, K),
    bind("zinterstore", zinterstore, K),
    bind("zdiff", zdiff, K),
    bind("zdiffstore", zdiffstore, K),
    bind("zintercard", zintercard, K),
];

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, v: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if v < *target {
                *target = v;
            }
        }
        Aggregate::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

/// One input, copied out of its key: members with scores, in order.
struct Source {
    items: Vec<(Vec<u8>, f64)>,
    index: HashMap<Vec<u8>, f64>,
    weight: f64,
}

impl Source {
    fn find(&mut self, m: &[u8]) -> Option<f64> {
        if self.index.is_empty() && !self.items.is_empty() {
            self.index = self.items.iter().cloned().collect();
        }
        self.index.get(m).copied()
    }
}

/// Parsed request.
struct Req {
    sources: Vec<Source>,
    how: Aggregate,
    withscores: bool,
    limit: usize,
}

fn parse(
    ctx: &mut Ctx,
    args: &Args,
    numkeys_idx: usize,
    op: Op,
    store: bool,
    card_only: bool,
) -> Result<Req, CmdError> {
    let setnum = args.int(numkeys_idx)?;
    if setnum < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(args.get(0)).to_lowercase()
        )));
    }
    if setnum as u64 > (args.len() - numkeys_idx - 1) as u64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let mut sources = Vec::with_capacity(setnum);
    for i in 0..setnum {
        let key = args.get(numkeys_idx + 1 + i);
        let items = match ctx.keys.read(key)? {
            None => Vec::new(),
            Some(e) => match e.value() {
                crate::store::ValueRef::Obj(Value::ZSet(z)) => z.to_pairs(),
                crate::store::ValueRef::Obj(Value::Set(s)) => {
                    s.members().into_iter().map(|m| (m, 1.0)).collect()
                }
                _ => return Err(CmdError::WrongType),
            },
        };
        sources.push(Source {
            items,
            index: HashMap::new(),
            weight: 1.0,
        });
    }
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        if op != Op::Diff && !card_only && remaining > setnum && args.is(j, "weights") {
            j += 1;
            for s in sources.iter_mut() {
                s.weight = num::parse_f64(args.get(j)).ok_or(NumError::WeightNotFloat)?;
                j += 1;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && args.is(j, "aggregate") {
            how = if args.is(j + 1, "sum") {
                Aggregate::Sum
            } else if args.is(j + 1, "min") {
                Aggregate::Min
            } else if args.is(j + 1, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if !store && !card_only && args.is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && args.is(j, "limit") {
            let l = args
                .int(j + 1)
                .map_err(|_| CmdError::err("LIMIT can't be negative"))?;
            if l < 0 {
                return Err(CmdError::err("LIMIT can't be negative"));
            }
            limit = l as usize;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(Req {
        sources,
        how,
        withscores,
        limit,
    })
}

fn weighted(s: f64, w: f64) -> f64 {
    let v = s * w;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// Computes the result as (member, score) pairs (unordered), or only the
/// cardinality for ZINTERCARD.
fn compute(req: &mut Req, op: Op, card_only: bool) -> (Vec<(Vec<u8>, f64)>, usize) {
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        Op::Inter => {
            req.sources.sort_by_key(|s| s.items.len());
            let Some((first, rest)) = req.sources.split_first_mut() else {
                return (out, 0);
            };
            let mut card = 0;
            'outer: for (m, s) in &first.items {
                let mut score = weighted(*s, first.weight);
                for other in rest.iter_mut() {
                    match other.find(m) {
                        Some(v) => aggregate(&mut score, weighted(v, other.weight), req.how),
                        None => continue 'outer,
                    }
                }
                card += 1;
                if card_only {
                    if req.limit > 0 && card >= req.limit {
                        break;
                    }
                } else {
                    out.push((m.clone(), score));
                }
            }
            (out, card)
        }
        Op::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            let mut order: Vec<Vec<u8>> = Vec::new();
            for src in &req.sources {
                for (m, s) in &src.items {
                    let v = weighted(*s, src.weight);
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, v, req.how),
                        None => {
                            acc.insert(m.clone(), v);
                            order.push(m.clone());
                        }
                    }
                }
            }
            for m in order {
                let s = acc.get(&m).copied().unwrap_or(0.0);
                out.push((m, s));
            }
            let n = out.len();
            (out, n)
        }
        Op::Diff => {
            let Some((first, rest)) = req.sources.split_first_mut() else {
                return (out, 0);
            };
            for (m, s) in &first.items {
                if rest.iter_mut().all(|o| o.find(m).is_none()) {
                    out.push((m.clone(), *s));
                }
            }
            let n = out.len();
            (out, n)
        }
    }
}

fn generic(ctx: &mut Ctx, args: Args, op: Op, dst: Option<&[u8]>, card_only: bool) -> CmdResult {
    let numkeys_idx = if dst.is_some() { 2 } else { 1 };
    let mut req = parse(ctx, &args, numkeys_idx, op, dst.is_some(), card_only)?;
    let (mut items, card) = compute(&mut req, op, card_only);
    if card_only {
        ctx.out.int(card as i64);
        return Ok(());
    }
    let lim = ctx.srv.hot.limits();
    match dst {
        Some(dst) => {
            let n = items.len();
            let existed = ctx.keys.exists(dst)?;
            if ctx
                .keys
                .store_obj(dst, Value::ZSet(ZSet::from_pairs(items, &lim)))?
            {
                let event = match op {
                    Op::Union => "zunionstore",
                    Op::Inter => "zinterstore",
                    Op::Diff => "zdiffstore",
                };
                ctx.keys.notify(crate::config::notify::ZSET, event, dst);
            } else if existed {
                ctx.keys.notify(crate::config::notify::GENERIC, "del", dst);
            }
            if n == 0 && existed {
                ctx.keys.dirty += 1;
            }
            ctx.out.int(n as i64);
        }
        None => {
            items.sort_by(|a, b| {
                a.1.partial_cmp(&b.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            });
            reply_scored(ctx.out, &items, req.withscores);
        }
    }
    Ok(())
}

fn zunion(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Union, None, false)
}

fn zunionstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Union, Some(args.get(1)), false)
}

fn zinter(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Inter, None, false)
}

fn zinterstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Inter, Some(args.get(1)), false)
}

fn zdiff(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Diff, None, false)
}

fn zdiffstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Diff, Some(args.get(1)), false)
}

fn zintercard(ctx: &mut Ctx, args: Args) -> CmdResult {
    generic(ctx, args, Op::Inter, None, true)
}
