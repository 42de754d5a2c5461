//! Bitmap commands (Redis's `bitops.c` family): strings seen as bit arrays,
//! bit 0 being the most significant bit of the first byte.

use std::sync::atomic::Ordering::Relaxed;

use super::strings::{grow_to, growable, read_string, write_string};
use super::{
    bind, clamp_range, Args, Binding, CmdError, CmdResult, Ctx, Keys, LockMode::Keys as K,
};
use crate::config::notify as ev;
use crate::store::{Entry, NewValue, StrEnc};

/// The bitmap family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("setbit", setbit, K),
    bind("getbit", getbit, K),
    bind("bitcount", bitcount, K),
    bind("bitpos", bitpos, K),
    bind("bitop", bitop, K),
    bind("bitfield", bitfield, K),
    bind("bitfield_ro", bitfield_ro, K),
];

fn bad_offset() -> CmdError {
    CmdError::err("bit offset is not an integer or out of range")
}

/// Parses a bit offset, optionally `#N` (multiplied by the field width).
fn parse_offset(ctx: &Ctx, arg: &[u8], hash_mult: Option<u64>) -> Result<u64, CmdError> {
    let (mult, digits) = match (arg.first(), hash_mult) {
        (Some(b'#'), Some(m)) => (m, &arg[1..]),
        _ => (1, arg),
    };
    let v = crate::util::num::parse_i64(digits).ok_or_else(bad_offset)?;
    if v < 0 {
        return Err(bad_offset());
    }
    let v = (v as u64).checked_mul(mult).ok_or_else(bad_offset)?;
    let max_bytes = ctx.srv.hot.proto_max_bulk_len.load(Relaxed);
    if (v >> 3) >= max_bytes {
        return Err(bad_offset());
    }
    Ok(v)
}

/// The key's bytes for in-place bit changes, grown to at least `len`.
fn bits_mut<'e>(
    keys: &'e mut Keys<'_>,
    key: &[u8],
    len: usize,
) -> Result<&'e mut Vec<u8>, CmdError> {
    let v = growable(keys, key)?;
    grow_to(v, len);
    Ok(v)
}

fn setbit(ctx: &mut Ctx, args: Args) -> CmdResult {
    let off = parse_offset(ctx, args.get(2), None)?;
    let on = match args.get(3) {
        b"1" => true,
        b"0" => false,
        _ => return Err(CmdError::err("bit is not an integer or out of range")),
    };
    let byte = (off >> 3) as usize;
    let mask = 0x80u8 >> (off & 7);
    // Type check first so a wrong type never gets converted.
    let before = write_string(ctx.keys, args.get(1))?.map(|v| v.len());
    let grown = before.is_none_or(|n| n < byte + 1);
    let v = bits_mut(ctx.keys, args.get(1), byte + 1)?;
    let old = v[byte] & mask != 0;
    if on {
        v[byte] |= mask;
    } else {
        v[byte] &= !mask;
    }
    // A bit set to the value it had is no change (Redis doesn't count it).
    if old != on {
        ctx.keys.dirty += 1;
    }
    if old != on || grown {
        ctx.keys.notify(ev::STRING, "setbit", args.get(1));
    }
    ctx.out.int(old as i64);
    Ok(())
}

fn getbit(ctx: &mut Ctx, args: Args) -> CmdResult {
    let off = parse_offset(ctx, args.get(2), None)?;
    let v = read_string(ctx.keys, args.get(1))?.unwrap_or(b"");
    let byte = (off >> 3) as usize;
    let bit = v.get(byte).is_some_and(|b| b & (0x80 >> (off & 7)) != 0);
    ctx.out.int(bit as i64);
    Ok(())
}

/// Resolves `start end [BYTE|BIT]` to an inclusive bit range within a string
/// of `len` bytes; `None` when the range is empty.
fn bit_range(start: i64, end: i64, len: usize, isbit: bool) -> Option<(u64, u64)> {
    let total = if isbit { len as i64 * 8 } else { len as i64 };
    let (s, e) = clamp_range(start, end, total)?;
    if isbit {
        Some((s as u64, e as u64))
    } else {
        Some((s as u64 * 8, e as u64 * 8 + 7))
    }
}

fn parse_unit(args: Args, i: usize) -> Result<bool, CmdError> {
    if i >= args.len() {
        return Ok(false);
    }
    if args.is(i, "BIT") {
        Ok(true)
    } else if args.is(i, "BYTE") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn count_bits(v: &[u8], from: u64, to: u64) -> u64 {
    let mut n = 0u64;
    let mut b = from;
    while b <= to {
        if b.is_multiple_of(8) && b + 7 <= to {
            let first = (b / 8) as usize;
            let last = ((to + 1) / 8) as usize;
            n += v[first..last]
                .iter()
                .map(|x| x.count_ones() as u64)
                .sum::<u64>();
            b = last as u64 * 8;
            continue;
        }
        if v[(b / 8) as usize] & (0x80 >> (b % 8)) != 0 {
            n += 1;
        }
        b += 1;
    }
    n
}

fn bitcount(ctx: &mut Ctx, args: Args) -> CmdResult {
    // Redis looks the key up before it parses the range.
    let Some(v) = read_string(ctx.keys, args.get(1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    let (range, isbit) = match args.len() {
        2 => (None, false),
        4 | 5 => (Some((args.int(2)?, args.int(3)?)), parse_unit(args, 4)?),
        _ => return Err(CmdError::Syntax),
    };
    let n = match range {
        None if v.is_empty() => 0,
        None => count_bits(v, 0, v.len() as u64 * 8 - 1),
        // Both negative and crossed counts nothing, before clamping.
        Some((s, e)) if s < 0 && e < 0 && s > e => 0,
        Some((s, e)) => match bit_range(s, e, v.len(), isbit) {
            Some((a, b)) => count_bits(v, a, b),
            None => 0,
        },
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn find_bit(v: &[u8], from: u64, to: u64, want: bool) -> Option<u64> {
    let skip = if want { 0x00 } else { 0xFF };
    let mut b = from;
    while b <= to {
        if b.is_multiple_of(8) && b + 7 <= to && v[(b / 8) as usize] == skip {
            b += 8;
            continue;
        }
        if (v[(b / 8) as usize] & (0x80 >> (b % 8)) != 0) == want {
            return Some(b);
        }
        b += 1;
    }
    None
}

fn bitpos(ctx: &mut Ctx, args: Args) -> CmdResult {
    let bit = args.int(2)?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::err("The bit argument must be 1 or 0."));
    }
    let want = bit == 1;
    // Redis looks the key up before it parses the range.
    let Some(v) = read_string(ctx.keys, args.get(1))? else {
        ctx.out.int(if want { -1 } else { 0 });
        return Ok(());
    };
    if args.len() > 6 {
        return Err(CmdError::Syntax);
    }
    let start = if args.len() >= 4 {
        Some(args.int(3)?)
    } else {
        None
    };
    let end = if args.len() >= 5 {
        Some(args.int(4)?)
    } else {
        None
    };
    let isbit = parse_unit(args, 5)?;
    let range = match start {
        None => (!v.is_empty()).then(|| (0, v.len() as u64 * 8 - 1)),
        Some(s) => bit_range(s, end.unwrap_or(-1), v.len(), isbit),
    };
    let pos = match range {
        None => -1,
        Some((a, b)) => match find_bit(v, a, b, want) {
            Some(p) => p as i64,
            // No clear bit in the string: the zero padding past the end
            // counts, unless the caller gave an explicit end.
            None if !want && end.is_none() => (b + 1) as i64,
            None => -1,
        },
    };
    ctx.out.int(pos);
    Ok(())
}

fn bitop(ctx: &mut Ctx, args: Args) -> CmdResult {
    let op = args.get(1).to_ascii_uppercase();
    if !matches!(op.as_slice(), b"AND" | b"OR" | b"XOR" | b"NOT") {
        return Err(CmdError::Syntax);
    }
    if op == b"NOT" && args.len() != 4 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let mut srcs: Vec<Vec<u8>> = Vec::new();
    for k in args.from(3) {
        srcs.push(
            read_string(ctx.keys, k)?
                .map(|v| v.to_vec())
                .unwrap_or_default(),
        );
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![0u8; maxlen];
    for (i, o) in out.iter_mut().enumerate() {
        let byte = |s: &Vec<u8>| s.get(i).copied().unwrap_or(0);
        *o = match op.as_slice() {
            b"NOT" => !byte(&srcs[0]),
            b"AND" => srcs.iter().fold(0xFF, |a, s| a & byte(s)),
            b"OR" => srcs.iter().fold(0, |a, s| a | byte(s)),
            _ => srcs.iter().fold(0, |a, s| a ^ byte(s)),
        };
    }
    let dest = args.get(2);
    if out.is_empty() {
        if ctx.keys.remove(dest)?.is_some() {
            ctx.keys.notify(ev::GENERIC, "del", dest);
        }
    } else {
        ctx.keys.insert(
            dest,
            Entry::new(dest, NewValue::Str(&out, StrEnc::Raw), None),
        )?;
        ctx.keys.notify(ev::STRING, "set", dest);
    }
    ctx.out.int(out.len() as i64);
    Ok(())
}

/// A BITFIELD integer type: `i1`..`i64` or `u1`..`u63`.
#[derive(Clone, Copy)]
struct FieldType {
    signed: bool,
    bits: u32,
}

fn parse_type(arg: &[u8]) -> Result<FieldType, CmdError> {
    let bad = || {
        CmdError::err("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
    };
    // Lowercase only, as Redis.
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    let bits = crate::util::num::parse_i64(&arg[1..]).ok_or_else(bad)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(bad());
    }
    Ok(FieldType {
        signed,
        bits: bits as u32,
    })
}

fn get_field(v: &[u8], off: u64, t: FieldType) -> i64 {
    let mut u: u64 = 0;
    for i in 0..t.bits as u64 {
        let b = off + i;
        let bit = v
            .get((b / 8) as usize)
            .is_some_and(|x| x & (0x80 >> (b % 8)) != 0);
        u = (u << 1) | bit as u64;
    }
    if t.signed && t.bits < 64 && u & (1 << (t.bits - 1)) != 0 {
        (u | (!0u64 << t.bits)) as i64
    } else {
        u as i64
    }
}

fn set_field(v: &mut [u8], off: u64, t: FieldType, value: i64) {
    let u = value as u64;
    for i in 0..t.bits as u64 {
        let b = off + i;
        let bit = (u >> (t.bits as u64 - 1 - i)) & 1 != 0;
        let mask = 0x80u8 >> (b % 8);
        if bit {
            v[(b / 8) as usize] |= mask;
        } else {
            v[(b / 8) as usize] &= !mask;
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Redis's signed overflow check for `value + incr` in a `bits`-wide field:
/// `None` if it fits, otherwise the value WRAP or SAT store. The arithmetic
/// wraps exactly as Redis's C does, quirks included (`SAT SET i8 0
/// -9223372036854775808` stores 127 there too).
fn overflow_signed(value: i64, incr: i64, bits: u32, ov: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(if ov == Overflow::Wrap { wrap() } else { max })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(if ov == Overflow::Wrap { wrap() } else { min })
    } else {
        None
    }
}

/// Redis's unsigned overflow check; see [`overflow_signed`].
fn overflow_unsigned(value: u64, incr: i64, bits: u32, ov: Overflow) -> Option<u64> {
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX.checked_shl(bits).unwrap_or(0));
    if value > max || (incr > 0 && incr > maxincr) {
        Some(if ov == Overflow::Wrap { wrap() } else { max })
    } else if incr < 0 && incr < minincr {
        Some(if ov == Overflow::Wrap { wrap() } else { 0 })
    } else {
        None
    }
}

/// Applies SET (`incr` is None) or INCRBY to a field holding `old`, returning
/// the value to store and the value to reply, or `None` on FAIL overflow.
fn field_update(
    old: i64,
    t: FieldType,
    set: Option<i64>,
    incr: i64,
    ov: Overflow,
) -> Option<(i64, i64)> {
    if t.signed {
        let (value, by) = match set {
            Some(v) => (v, 0),
            None => (old, incr),
        };
        let new = match overflow_signed(value, by, t.bits, ov) {
            Some(_) if ov == Overflow::Fail => return None,
            Some(w) => w,
            None => value.wrapping_add(by),
        };
        Some((new, if set.is_some() { old } else { new }))
    } else {
        let (value, by) = match set {
            Some(v) => (v as u64, 0),
            None => (old as u64, incr),
        };
        let new = match overflow_unsigned(value, by, t.bits, ov) {
            Some(_) if ov == Overflow::Fail => return None,
            Some(w) => w,
            None => value.wrapping_add(by as u64),
        };
        Some((new as i64, if set.is_some() { old } else { new as i64 }))
    }
}

enum FieldOp {
    Get(FieldType, u64),
    Set(FieldType, u64, i64, Overflow),
    Incr(FieldType, u64, i64, Overflow),
}

fn bitfield_generic(ctx: &mut Ctx, args: Args, readonly: bool) -> CmdResult {
    let mut ops = Vec::new();
    let mut ov = Overflow::Wrap;
    let mut i = 2;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        let sub = args.get(i).to_ascii_uppercase();
        match sub.as_slice() {
            b"GET" if remaining >= 2 => {
                let t = parse_type(args.get(i + 1))?;
                let off = parse_offset(ctx, args.get(i + 2), Some(t.bits as u64))?;
                ops.push(FieldOp::Get(t, off));
                i += 3;
            }
            b"SET" | b"INCRBY" if remaining >= 3 => {
                if readonly {
                    return Err(CmdError::err(
                        "BITFIELD_RO only supports the GET subcommand",
                    ));
                }
                let t = parse_type(args.get(i + 1))?;
                let off = parse_offset(ctx, args.get(i + 2), Some(t.bits as u64))?;
                let v = args.int(i + 3)?;
                ops.push(if sub == b"SET" {
                    FieldOp::Set(t, off, v, ov)
                } else {
                    FieldOp::Incr(t, off, v, ov)
                });
                i += 4;
            }
            b"OVERFLOW" if remaining >= 1 => {
                ov = match args.get(i + 1).to_ascii_uppercase().as_slice() {
                    b"WRAP" => Overflow::Wrap,
                    b"SAT" => Overflow::Sat,
                    b"FAIL" => Overflow::Fail,
                    _ => return Err(CmdError::err("Invalid OVERFLOW type specified")),
                };
                i += 2;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    let key = args.get(1);
    let writes = ops.iter().any(|o| !matches!(o, FieldOp::Get(..)));
    let current = if writes {
        write_string(ctx.keys, key)?
    } else {
        read_string(ctx.keys, key)?
    }
    .map(|v| v.to_vec());
    if !writes {
        let v = current.unwrap_or_default();
        ctx.out.array(ops.len());
        for op in &ops {
            if let FieldOp::Get(t, off) = op {
                ctx.out.int(get_field(&v, *off, *t));
            }
        }
        return Ok(());
    }
    let need = ops
        .iter()
        .map(|o| match o {
            FieldOp::Get(..) => 0,
            FieldOp::Set(t, off, ..) | FieldOp::Incr(t, off, ..) => {
                ((off + t.bits as u64 - 1) / 8 + 1) as usize
            }
        })
        .max()
        .unwrap_or(0);
    let v = bits_mut(ctx.keys, key, need)?;
    let mut replies: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes = 0u64;
    for op in &ops {
        match *op {
            FieldOp::Get(t, off) => replies.push(Some(get_field(v, off, t))),
            FieldOp::Set(t, off, val, ov) | FieldOp::Incr(t, off, val, ov) => {
                let set = matches!(op, FieldOp::Set(..)).then_some(val);
                let old = get_field(v, off, t);
                match field_update(old, t, set, val, ov) {
                    Some((stored, reply)) => {
                        set_field(v, off, t, stored);
                        changes += 1;
                        replies.push(Some(reply));
                    }
                    None => replies.push(None),
                }
            }
        }
    }
    ctx.keys.dirty += changes;
    if changes > 0 {
        ctx.keys.notify(ev::STRING, "setbit", args.get(1));
    }
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn bitfield(ctx: &mut Ctx, args: Args) -> CmdResult {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    bitfield_generic(ctx, args, true)
}
