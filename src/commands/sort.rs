//! SORT and SORT_RO (Redis's `sort.c`): sorts a list, set or sorted set
//! numerically or with ALPHA, optionally by the values of other keys (BY
//! pattern, `*` replaced by the element, `->field` reading a hash field),
//! returns other keys' values (GET, `#` for the element itself) and stores
//! the result as a list (STORE).
//!
//! BY and GET name keys that are only known while the command runs, so both
//! commands lock every shard.

use std::cmp::Ordering;

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, Keys, LockMode::All as A};
use crate::config::notify as ev;
use crate::store::quicklist::Quicklist;
use crate::store::{Value, ValueRef};

/// The SORT bindings.
pub const COMMANDS: &[Binding] = &[bind("sort", sort, A), bind("sort_ro", sort_ro, A)];

fn sort(ctx: &mut Ctx, args: Args) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// `strtod` over the whole text, as SORT uses it for weights: leading
/// blanks allowed, an empty string is 0, overflow is an error, NaN too.
fn strtod_full(s: &[u8]) -> Option<f64> {
    if let Some(v) = crate::util::num::parse_f64(s) {
        return Some(v);
    }
    let t = std::str::from_utf8(s).ok()?.trim_start();
    if t.is_empty() {
        return Some(0.0);
    }
    let v: f64 = t.parse().ok()?;
    (v.is_finite() && !v.is_nan()).then_some(v)
}

/// The value `pattern` names for `elem` (`lookupKeyByPattern`): `#` is the
/// element itself; otherwise the first `*` is replaced by the element, and a
/// trailing `->field` reads that field of a hash. `None` when missing or of
/// another type.
fn lookup_pattern(
    keys: &mut Keys<'_>,
    pattern: &[u8],
    elem: &[u8],
) -> Result<Option<Vec<u8>>, CmdError> {
    if pattern == b"#" {
        return Ok(Some(elem.to_vec()));
    }
    let Some(star) = pattern.iter().position(|&c| c == b'*') else {
        return Ok(None);
    };
    let after = &pattern[star + 1..];
    let (post, field) = match after.windows(2).position(|w| w == b"->") {
        Some(i) if i + 2 < after.len() => (&after[..i], Some(&after[i + 2..])),
        _ => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(post);
    keys.forget_memo();
    let found = match keys.read(&key)? {
        None => None,
        Some(e) => match (e.value(), field) {
            (ValueRef::Str(s, _), None) => Some(s.to_vec()),
            (ValueRef::Obj(Value::Hash(h)), Some(f)) => h.get(f).map(|v| v.into_owned()),
            _ => None,
        },
    };
    Ok(found)
}

struct Item {
    elem: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

fn sort_generic(ctx: &mut Ctx, args: Args, readonly: bool) -> CmdResult {
    let mut desc = false;
    let mut alpha = false;
    let mut limit: (i64, i64) = (0, -1);
    let mut store: Option<&[u8]> = None;
    let mut by: Option<&[u8]> = None;
    let mut dontsort = false;
    let mut gets: Vec<&[u8]> = Vec::new();
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        if args.is(j, "asc") {
            desc = false;
        } else if args.is(j, "desc") {
            desc = true;
        } else if args.is(j, "alpha") {
            alpha = true;
        } else if args.is(j, "limit") && left >= 2 {
            limit = (args.int(j + 1)?, args.int(j + 2)?);
            j += 2;
        } else if !readonly && args.is(j, "store") && left >= 1 {
            store = Some(args.get(j + 1));
            j += 1;
        } else if args.is(j, "by") && left >= 1 {
            let p = args.get(j + 1);
            by = Some(p);
            dontsort = !p.contains(&b'*');
            j += 1;
        } else if args.is(j, "get") && left >= 1 {
            gets.push(args.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }

    // Redis converts a listpack sorted set to its skiplist encoding first.
    if let Ok(Some(Value::ZSet(z))) = ctx.keys.obj_mut(args.get(1), crate::store::ValueType::ZSet) {
        z.convert();
    }
    // The elements, in the value's own order.
    enum Kind {
        List,
        Set,
        ZSet,
    }
    let (kind, mut elems): (Kind, Vec<Vec<u8>>) = match ctx.keys.read(args.get(1))? {
        None => (Kind::List, Vec::new()),
        Some(e) => match e.value() {
            ValueRef::Obj(Value::List(l)) => (Kind::List, l.iter().map(|v| v.to_vec()).collect()),
            ValueRef::Obj(Value::Set(s)) => (Kind::Set, s.members()),
            ValueRef::Obj(Value::ZSet(z)) => (
                Kind::ZSet,
                z.to_pairs().into_iter().map(|(m, _)| m).collect(),
            ),
            _ => return Err(CmdError::WrongType),
        },
    };
    if dontsort && matches!(kind, Kind::Set) && (store.is_some() || ctx.client.in_script) {
        // A set has no order of its own: sort it so STORE and scripts (and
        // so what replicas get) are deterministic.
        dontsort = false;
        alpha = true;
        by = None;
    }
    let len = elems.len() as i64;
    let mut start = limit.0.max(0).min(len);
    let count = limit.1.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    let mut conversion_error = false;
    if dontsort {
        if desc && !matches!(kind, Kind::Set) {
            elems.reverse();
        }
    } else {
        let mut items = Vec::with_capacity(elems.len());
        for e in elems {
            let byval = match by {
                Some(p) => lookup_pattern(ctx.keys, p, &e)?,
                None => None,
            };
            let mut it = Item {
                elem: e,
                score: 0.0,
                cmp: None,
            };
            let weight: Option<&[u8]> = match by {
                Some(_) => byval.as_deref(),
                None => Some(&it.elem),
            };
            if let Some(w) = weight {
                if alpha {
                    if by.is_some() {
                        it.cmp = Some(w.to_vec());
                    }
                } else {
                    match strtod_full(w) {
                        Some(v) => it.score = v,
                        None => conversion_error = true,
                    }
                }
            }
            items.push(it);
        }
        let by_pattern = by.is_some();
        items.sort_by(|a, b| {
            let c = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.elem.cmp(&b.elem))
            } else if by_pattern {
                match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.cmp(y),
                }
            } else {
                a.elem.cmp(&b.elem)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
        elems = items.into_iter().map(|i| i.elem).collect();
    }
    if conversion_error {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }

    let selected: &[Vec<u8>] = if end >= start && start >= 0 {
        &elems[start as usize..=end as usize]
    } else {
        &[]
    };
    let mut outputs: Vec<Option<Vec<u8>>> = Vec::new();
    for e in selected {
        if gets.is_empty() {
            outputs.push(Some(e.clone()));
        }
        for g in &gets {
            outputs.push(lookup_pattern(ctx.keys, g, e)?);
        }
    }
    match store {
        None => {
            ctx.out.array(outputs.len());
            for o in &outputs {
                match o {
                    Some(v) => ctx.out.bulk(v),
                    None => ctx.out.null(),
                }
            }
        }
        Some(dst) => {
            let n = outputs.len();
            let mut l = Quicklist::new(ctx.srv.hot.limits().list_fill);
            for o in &outputs {
                l.push_back(o.as_deref().unwrap_or(b""));
            }
            let existed = ctx.keys.exists(dst)?;
            if ctx.keys.store_obj(dst, Value::List(Box::new(l)))? {
                ctx.keys.notify(ev::LIST, "sortstore", dst);
            } else if existed {
                ctx.keys.notify(ev::GENERIC, "del", dst);
            }
            if n > 0 {
                ctx.keys.dirty += n as u64 - 1;
            } else if existed {
                ctx.keys.dirty += 1;
            }
            ctx.out.int(n as i64);
        }
    }
    Ok(())
}
