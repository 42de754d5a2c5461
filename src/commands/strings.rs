//! String commands (Redis's `t_string.c` family).
//!
//! Values are stored as bytes in the key's entry; the encoding Redis would
//! report (`int`, `embstr`, `raw`) is tracked beside them following Redis's
//! rules: SET-like commands choose by content, INCR-like ones produce `int`,
//! and commands that modify in place (APPEND, SETRANGE) produce `raw`.

use super::{
    bind, clamp_range, Args, Binding, CmdError, CmdResult, Ctx, Keys, LockMode::Keys as K,
};
use crate::config::notify as ev;
use crate::store::{Entry, NewValue, StrEnc, Value, ValueRef};
use crate::util::num;

/// The string family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("get", get, K),
    bind("set", set, K),
    bind("setnx", setnx, K),
    bind("setex", setex, K),
    bind("psetex", psetex, K),
    bind("getset", getset, K),
    bind("getdel", getdel, K),
    bind("getex", getex, K),
    bind("mget", mget, K),
    bind("mset", mset, K),
    bind("msetnx", msetnx, K),
    bind("append", append, K),
    bind("strlen", strlen, K),
    bind("incr", incr, K),
    bind("decr", decr, K),
    bind("incrby", incrby, K),
    bind("decrby", decrby, K),
    bind("incrbyfloat", incrbyfloat, K),
    bind("getrange", getrange, K),
    bind("substr", getrange, K),
    bind("setrange", setrange, K),
    bind("lcs", lcs, K),
];

/// The string value of `key`, `None` if missing, WRONGTYPE if not a string.
pub fn read_string<'e>(keys: &'e mut Keys<'_>, key: &[u8]) -> Result<Option<&'e [u8]>, CmdError> {
    match keys.read(key)? {
        None => Ok(None),
        Some(e) => match e.value() {
            ValueRef::Str(s, _) => Ok(Some(s)),
            ValueRef::Obj(_) => Err(CmdError::WrongType),
        },
    }
}

/// The string value of `key` for a command that is about to modify it:
/// like Redis's `lookupKeyWrite`, it applies lazy expiry but does not count
/// a keyspace hit or miss.
pub fn write_string<'e>(keys: &'e mut Keys<'_>, key: &[u8]) -> Result<Option<&'e [u8]>, CmdError> {
    match keys.write(key)? {
        None => Ok(None),
        Some(e) => match e.into_ref().value() {
            ValueRef::Str(s, _) => Ok(Some(s)),
            ValueRef::Obj(_) => Err(CmdError::WrongType),
        },
    }
}

/// Like [`read_string`] but copies, for commands that then write the key.
/// A string value copied out, with its expiry.
type OwnedString = (Vec<u8>, Option<i64>);

fn read_owned(
    keys: &mut Keys<'_>,
    key: &[u8],
    count_stats: bool,
) -> Result<Option<OwnedString>, CmdError> {
    let found = if count_stats {
        keys.read(key)?
    } else {
        keys.write(key)?.map(|e| e.into_ref())
    };
    match found {
        None => Ok(None),
        Some(e) => match e.value() {
            ValueRef::Str(s, _) => Ok(Some((s.to_vec(), e.expire()))),
            ValueRef::Obj(_) => Err(CmdError::WrongType),
        },
    }
}

/// Stores a string the way SET does: encoding chosen by content.
pub fn store_string(keys: &mut Keys<'_>, key: &[u8], val: &[u8], expire: Option<i64>) -> CmdResult {
    keys.insert(
        key,
        Entry::new(key, NewValue::Str(val, StrEnc::for_new(val)), expire),
    )?;
    Ok(())
}

fn get(ctx: &mut Ctx, args: Args) -> CmdResult {
    match read_string(ctx.keys, args.get(1))? {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Options shared by SET and GETEX.
#[derive(Default)]
struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// EX, PX, EXAT or PXAT, and the index of its value.
    unit: Option<&'static str>,
    expire_arg: usize,
}

/// Parses SET/GETEX options from `args[from..]` as Redis's
/// `parseExtendedStringArgumentsOrReply` does: flags first (repeating the
/// same option is allowed, conflicting ones are a syntax error), the expire
/// value is only remembered here and validated later by [`expire_at`].
/// `for_getex` allows PERSIST and forbids NX/XX/GET/KEEPTTL.
fn parse_set_opts(args: Args, from: usize, for_getex: bool) -> Result<SetOpts, CmdError> {
    let mut o = SetOpts::default();
    let mut i = from;
    while i < args.len() {
        let has_next = i + 1 < args.len();
        let up = args.get(i).to_ascii_uppercase();
        let unit = o.unit;
        match up.as_slice() {
            b"NX" if !for_getex && !o.xx => o.nx = true,
            b"XX" if !for_getex && !o.nx => o.xx = true,
            b"GET" if !for_getex => o.get = true,
            b"KEEPTTL" if !for_getex && !o.persist && unit.is_none() => o.keepttl = true,
            b"PERSIST" if for_getex && unit.is_none() && !o.keepttl => o.persist = true,
            b"EX" | b"PX" | b"EXAT" | b"PXAT"
                if has_next
                    && !o.keepttl
                    && !o.persist
                    && unit.is_none_or(|u| u.as_bytes() == up.as_slice()) =>
            {
                o.unit = Some(match up.as_slice() {
                    b"EX" => "EX",
                    b"PX" => "PX",
                    b"EXAT" => "EXAT",
                    _ => "PXAT",
                });
                o.expire_arg = i + 1;
                i += 1;
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    Ok(o)
}

/// The absolute expiry (Unix ms) the parsed option asks for, validated as
/// Redis's `getExpireMillisecondsOrReply` does.
fn expire_at(
    o: &SetOpts,
    args: Args,
    now_ms: i64,
    cmd: &'static str,
) -> Result<Option<i64>, CmdError> {
    let Some(unit) = o.unit else { return Ok(None) };
    let v = args.int(o.expire_arg)?;
    let seconds = unit.starts_with('E');
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(CmdError::InvalidExpire(cmd));
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if unit.len() == 2 {
        if ms > i64::MAX - now_ms {
            return Err(CmdError::InvalidExpire(cmd));
        }
        ms += now_ms;
    }
    Ok(Some(ms))
}

fn set(ctx: &mut Ctx, args: Args) -> CmdResult {
    let o = parse_set_opts(args, 3, false)?;
    let expire = expire_at(&o, args, ctx.keys.now_ms, "set")?;
    set_generic(ctx, args.get(1), args.get(2), o, expire)
}

fn set_generic(
    ctx: &mut Ctx,
    key: &[u8],
    val: &[u8],
    o: SetOpts,
    new_expire: Option<i64>,
) -> CmdResult {
    let old = if o.get || o.keepttl {
        read_owned(ctx.keys, key, o.get)?
    } else {
        None
    };
    let exists = match &old {
        Some(_) => true,
        None if o.nx || o.xx => ctx.keys.exists(key)?,
        None => false,
    };
    if (o.nx && exists) || (o.xx && !exists) {
        if o.get {
            match old {
                Some((v, _)) => ctx.out.bulk(&v),
                None => ctx.out.null(),
            }
        } else {
            ctx.out.null();
        }
        return Ok(());
    }
    let expire = match (new_expire, o.keepttl) {
        (Some(e), _) => Some(e),
        (None, true) => old.as_ref().and_then(|(_, e)| *e),
        (None, false) => None,
    };
    store_string(ctx.keys, key, val, expire)?;
    ctx.keys.notify(ev::STRING, "set", key);
    if let Some(when) = new_expire {
        ctx.keys.notify(ev::GENERIC, "expire", key);
        // Replicas get SET key value PXAT <ms>, as Redis 7.0 rewrites it.
        ctx.replicate_as(&[b"SET", key, val, b"PXAT", when.to_string().as_bytes()]);
    }
    if o.get {
        match old {
            Some((v, _)) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx, args: Args) -> CmdResult {
    if ctx.keys.exists(args.get(1))? {
        ctx.out.int(0);
    } else {
        store_string(ctx.keys, args.get(1), args.get(2), None)?;
        ctx.keys.notify(ev::STRING, "set", args.get(1));
        ctx.out.int(1);
    }
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, args: Args, seconds: bool, cmd: &'static str) -> CmdResult {
    let v = args.int(2)?;
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(CmdError::InvalidExpire(cmd));
    }
    let ms = if seconds { v * 1000 } else { v };
    if ms > i64::MAX - ctx.keys.now_ms {
        return Err(CmdError::InvalidExpire(cmd));
    }
    let when = ctx.keys.now_ms + ms;
    store_string(ctx.keys, args.get(1), args.get(3), Some(when))?;
    ctx.replicate_as(&[
        b"SET",
        args.get(1),
        args.get(3),
        b"PXAT",
        when.to_string().as_bytes(),
    ]);
    ctx.keys.notify(ev::STRING, "set", args.get(1));
    ctx.keys.notify(ev::GENERIC, "expire", args.get(1));
    ctx.out.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx, args: Args) -> CmdResult {
    setex_generic(ctx, args, true, "setex")
}

fn psetex(ctx: &mut Ctx, args: Args) -> CmdResult {
    setex_generic(ctx, args, false, "psetex")
}

fn getset(ctx: &mut Ctx, args: Args) -> CmdResult {
    let o = SetOpts {
        get: true,
        ..Default::default()
    };
    set_generic(ctx, args.get(1), args.get(2), o, None)
}

fn getdel(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    match read_string(ctx.keys, key)? {
        None => ctx.out.null(),
        Some(v) => {
            ctx.out.bulk(v);
            ctx.keys.remove(key)?;
            ctx.keys.notify(ev::GENERIC, "del", key);
            ctx.replicate_as(&[b"DEL", key]);
        }
    }
    Ok(())
}

fn getex(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let o = parse_set_opts(args, 2, true)?;
    let Some((v, _)) = read_owned(ctx.keys, key, true)? else {
        ctx.out.null();
        return Ok(());
    };
    let expire = expire_at(&o, args, ctx.keys.now_ms, "getex")?;
    ctx.out.bulk(&v);
    if let Some(when) = expire {
        if when <= ctx.keys.now_ms {
            ctx.keys.remove(key)?;
            ctx.keys.notify(ev::GENERIC, "del", key);
            ctx.replicate_as(&[b"DEL", key]);
        } else {
            let (db, h) = ctx.keys.db(key)?;
            db.set_expire(key, h, Some(when));
            ctx.keys.dirty += 1;
            ctx.keys.notify(ev::GENERIC, "expire", key);
            ctx.replicate_as(&[b"PEXPIREAT", key, when.to_string().as_bytes()]);
        }
    } else if o.persist {
        let (db, h) = ctx.keys.db(key)?;
        if db.get(key, h).and_then(|e| e.expire()).is_some() {
            db.set_expire(key, h, None);
            ctx.keys.dirty += 1;
            ctx.keys.notify(ev::GENERIC, "persist", key);
            ctx.replicate_as(&[b"PERSIST", key]);
        }
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: Args) -> CmdResult {
    ctx.out.array(args.len() - 1);
    for key in args.from(1) {
        match ctx.keys.read(key)? {
            Some(e) => match e.value() {
                ValueRef::Str(s, _) => ctx.out.bulk(s),
                ValueRef::Obj(_) => ctx.out.null(),
            },
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn mset_check(args: Args, name: &str) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::raw(format!(
            "ERR wrong number of arguments for '{name}' command"
        )));
    }
    Ok(())
}

fn mset(ctx: &mut Ctx, args: Args) -> CmdResult {
    mset_check(args, "mset")?;
    for i in (1..args.len()).step_by(2) {
        store_string(ctx.keys, args.get(i), args.get(i + 1), None)?;
        ctx.keys.notify(ev::STRING, "set", args.get(i));
    }
    ctx.out.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx, args: Args) -> CmdResult {
    mset_check(args, "msetnx")?;
    for i in (1..args.len()).step_by(2) {
        if ctx.keys.exists(args.get(i))? {
            ctx.out.int(0);
            return Ok(());
        }
    }
    for i in (1..args.len()).step_by(2) {
        store_string(ctx.keys, args.get(i), args.get(i + 1), None)?;
        ctx.keys.notify(ev::STRING, "set", args.get(i));
    }
    ctx.out.int(1);
    Ok(())
}

fn check_size(ctx: &Ctx, len: u64) -> CmdResult {
    let max = ctx
        .srv
        .hot
        .proto_max_bulk_len
        .load(std::sync::atomic::Ordering::Relaxed);
    if len > max {
        return Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// Grows a string value to `len` bytes (zero-filled) with Redis's `sds`
/// policy: double while under 1 MiB, then add 1 MiB, so appends are
/// amortised without doubling a 512 MiB string to reserve another 512 MiB.
pub(crate) fn grow_to(v: &mut Vec<u8>, len: usize) {
    if len <= v.len() {
        return;
    }
    if v.capacity() == 0 {
        // A new string is allocated to its exact size, as Redis creates
        // one for SETRANGE/SETBIT of a missing key; only growing an
        // existing one reserves room for more.
        v.reserve_exact(len);
    } else if len > v.capacity() {
        let target = if len < 1 << 20 {
            len * 2
        } else {
            len + (1 << 20)
        };
        v.reserve_exact(target - v.len());
    }
    v.resize(len, 0);
}

/// Makes `key`'s string value growable in place and returns it with the
/// key's entry, creating an empty one if missing. Caller checked the type.
pub(crate) fn growable<'e>(
    keys: &'e mut Keys<'_>,
    key: &[u8],
) -> Result<&'e mut Vec<u8>, CmdError> {
    let needs_rebuild = match keys.write(key)? {
        None => true,
        Some(mut e) => e.boxed_mut().is_none(),
    };
    if needs_rebuild {
        let (db, h) = keys.db(key)?;
        let (bytes, expire) = match db.get(key, h) {
            Some(e) => match e.value() {
                ValueRef::Str(s, _) => (s.to_vec(), e.expire()),
                ValueRef::Obj(_) => return Err(CmdError::WrongType),
            },
            None => (Vec::new(), None),
        };
        let old = db.insert(Entry::new(key, NewValue::GrowableStr(bytes), expire), h);
        if old.is_none() {
            keys.notify(ev::NEW, "new", key);
        }
    }
    let (db, h) = keys.db(key)?;
    let mut e = db.get_mut(key, h).ok_or(CmdError::NoSuchKey)?;
    e.set_str_enc(StrEnc::Raw);
    match e.into_boxed_mut() {
        Some(Value::Str(v)) => Ok(v),
        _ => Err(CmdError::WrongType),
    }
}

fn append(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let add = args.get(2);
    let cur = match write_string(ctx.keys, key)? {
        None => {
            store_string(ctx.keys, key, add, None)?;
            ctx.keys.notify(ev::STRING, "append", key);
            ctx.out.int(add.len() as i64);
            return Ok(());
        }
        Some(v) => v.len(),
    };
    check_size(ctx, (cur + add.len()) as u64)?;
    let v = growable(ctx.keys, key)?;
    let at = v.len();
    grow_to(v, at + add.len());
    v[at..].copy_from_slice(add);
    let len = v.len();
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::STRING, "append", key);
    ctx.out.int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = read_string(ctx.keys, args.get(1))?.map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn incr_by(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let mut digits = itoa::Buffer::new();
    // One lookup: parse, add, and overwrite in place when the new digits
    // fit (Redis modifies an unshared integer object in place too).
    let (new, rebuild_expire) = match ctx.keys.write(key)? {
        None => (by, Some(None)),
        Some(mut e) => {
            let view = e.view();
            let cur = match view.value() {
                ValueRef::Str(s, _) => num::parse_i64(s).ok_or(CmdError::NotInteger)?,
                ValueRef::Obj(_) => return Err(CmdError::WrongType),
            };
            let expire = view.expire();
            let new = cur.checked_add(by).ok_or(CmdError::Overflow)?;
            if e.overwrite_str(digits.format(new).as_bytes(), StrEnc::Int) {
                (new, None)
            } else {
                (new, Some(expire))
            }
        }
    };
    match rebuild_expire {
        Some(expire) => {
            let s = digits.format(new).as_bytes();
            ctx.keys
                .insert(key, Entry::new(key, NewValue::Str(s, StrEnc::Int), expire))?;
        }
        None => ctx.keys.dirty += 1,
    }
    ctx.keys.notify(ev::STRING, "incrby", key);
    ctx.out.int(new);
    Ok(())
}

fn incr(ctx: &mut Ctx, args: Args) -> CmdResult {
    incr_by(ctx, args.get(1), 1)
}

fn decr(ctx: &mut Ctx, args: Args) -> CmdResult {
    incr_by(ctx, args.get(1), -1)
}

fn incrby(ctx: &mut Ctx, args: Args) -> CmdResult {
    let by = args.int(2)?;
    incr_by(ctx, args.get(1), by)
}

fn decrby(ctx: &mut Ctx, args: Args) -> CmdResult {
    let by = args.int(2)?;
    if by == i64::MIN {
        return Err(CmdError::err("decrement would overflow"));
    }
    incr_by(ctx, args.get(1), -by)
}

fn incrbyfloat(ctx: &mut Ctx, args: Args) -> CmdResult {
    // Computed in emulated 80-bit long double, as Redis does, so results
    // match it digit for digit.
    let key = args.get(1);
    let cur = read_owned(ctx.keys, key, false)?;
    let s = num::incrbyfloat(cur.as_ref().map(|(v, _)| &v[..]), args.get(2))?;
    // Redis stores the result as a plain string, never `int`-encoded.
    let enc = if s.len() <= crate::store::value::EMBSTR_MAX {
        StrEnc::Embstr
    } else {
        StrEnc::Raw
    };
    ctx.keys.insert(
        key,
        Entry::new(key, NewValue::Str(&s, enc), cur.and_then(|(_, e)| e)),
    )?;
    ctx.keys.notify(ev::STRING, "incrbyfloat", key);
    // The exact result, so replicas don't redo the float arithmetic.
    ctx.replicate_as(&[b"SET", key, &s, b"KEEPTTL"]);
    ctx.out.bulk(&s);
    Ok(())
}

fn getrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    let start = args.int(2)?;
    let end = args.int(3)?;
    let v = read_string(ctx.keys, args.get(1))?.unwrap_or(b"");
    // Both negative and crossed is empty before clamping (Redis's rule).
    match clamp_range(start, end, v.len() as i64) {
        Some((s, e)) if !(start < 0 && end < 0 && start > end) => {
            ctx.out.bulk(&v[s as usize..=e as usize])
        }
        _ => ctx.out.bulk(b""),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    let key = args.get(1);
    let offset = args.int(2)?;
    let val = args.get(3);
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let cur = write_string(ctx.keys, key)?.map(|v| v.len());
    match cur {
        None if val.is_empty() => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(len) if val.is_empty() => {
            ctx.out.int(len as i64);
            return Ok(());
        }
        _ => {}
    }
    check_size(ctx, offset as u64 + val.len() as u64)?;
    let v = growable(ctx.keys, key)?;
    let end = offset as usize + val.len();
    grow_to(v, end);
    v[offset as usize..end].copy_from_slice(val);
    let len = v.len();
    ctx.keys.dirty += 1;
    ctx.keys.notify(ev::STRING, "setrange", key);
    ctx.out.int(len as i64);
    Ok(())
}

fn lcs(ctx: &mut Ctx, args: Args) -> CmdResult {
    let not_str = || CmdError::err("The specified keys must contain string values");
    let a = match read_string(ctx.keys, args.get(1)) {
        Ok(v) => v.unwrap_or(b"").to_vec(),
        Err(CmdError::WrongType) => return Err(not_str()),
        Err(e) => return Err(e),
    };
    let b = match read_string(ctx.keys, args.get(2)) {
        Ok(v) => v.unwrap_or(b"").to_vec(),
        Err(CmdError::WrongType) => return Err(not_str()),
        Err(e) => return Err(e),
    };
    let (mut getlen, mut getidx, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if args.is(j, "IDX") {
            getidx = true;
        } else if args.is(j, "LEN") {
            getlen = true;
        } else if args.is(j, "WITHMATCHLEN") {
            withmatchlen = true;
        } else if args.is(j, "MINMATCHLEN") && more {
            minmatchlen = args.int(j + 1)?.max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if getlen && getidx {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1) * 4;
    if cells
        > ctx
            .srv
            .hot
            .proto_max_bulk_len
            .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Err(CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let w = b.len() + 1;
    let mut t = vec![0u32; (a.len() + 1) * w];
    for i in 1..=a.len() {
        for jj in 1..=b.len() {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[a.len() * w + b.len()] as usize;
    if getlen {
        ctx.out.int(total as i64);
        return Ok(());
    }
    // Walk back from the end, collecting the LCS and the matching ranges.
    let mut result = vec![0u8; total];
    let mut ranges: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let mut cur: Option<((usize, usize), (usize, usize))> = None;
    let (mut i, mut jj, mut idx) = (a.len(), b.len(), total);
    while i > 0 && jj > 0 {
        if a[i - 1] == b[jj - 1] {
            idx -= 1;
            result[idx] = a[i - 1];
            cur = match cur {
                Some(((as_, ae), (bs, be))) if as_ == i && bs == jj => {
                    Some(((i - 1, ae), (jj - 1, be)))
                }
                Some(r) => {
                    ranges.push(r);
                    Some(((i - 1, i - 1), (jj - 1, jj - 1)))
                }
                None => Some(((i - 1, i - 1), (jj - 1, jj - 1))),
            };
            i -= 1;
            jj -= 1;
        } else if t[(i - 1) * w + jj] > t[i * w + jj - 1] {
            i -= 1;
        } else {
            jj -= 1;
        }
    }
    if let Some(r) = cur {
        ranges.push(r);
    }
    if !getidx {
        ctx.out.bulk(&result);
        return Ok(());
    }
    let kept: Vec<_> = ranges
        .into_iter()
        .filter(|((s, e), _)| (e - s + 1) as i64 >= minmatchlen)
        .collect();
    ctx.out.map(2);
    ctx.out.bulk(b"matches");
    ctx.out.array(kept.len());
    for ((as_, ae), (bs, be)) in kept {
        ctx.out.array(if withmatchlen { 3 } else { 2 });
        ctx.out.array(2);
        ctx.out.int(as_ as i64);
        ctx.out.int(ae as i64);
        ctx.out.array(2);
        ctx.out.int(bs as i64);
        ctx.out.int(be as i64);
        if withmatchlen {
            ctx.out.int((ae - as_ + 1) as i64);
        }
    }
    ctx.out.bulk(b"len");
    ctx.out.int(total as i64);
    Ok(())
}
