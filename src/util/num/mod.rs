//! Exact Redis 7.0 number parsing and formatting.
//!
//! Clients see every corner of these rules (which strings are numbers, which
//! error text comes back, how a float is printed), so this module mirrors the
//! C helpers Redis uses (`string2ll`, `string2ull`, `strtoul` cursors,
//! `string2d`, `string2ld`, `%.17g`, `ld2string(LD_STR_HUMAN)`), including
//! their quirks. Each function says which Redis path it stands for.
//!
//! `INCRBYFLOAT`/`HINCRBYFLOAT` compute in x87 80-bit `long double` in Redis.
//! [`LongDouble`] is a small software emulation of that type (64-bit
//! mantissa, round-to-nearest-even, subnormals) so that those commands
//! produce byte-identical results; see [`incrbyfloat`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------
// Error kinds and their exact reply texts
// ---------------------------------------------------------------------------

/// `INCR`, `LRANGE`, `EXPIRE`, ... argument or stored value is not a valid
/// 64-bit integer.
pub const ERR_NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// Float argument (or `INCRBYFLOAT` stored value) failed `string2d`/`string2ld`.
pub const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";
/// `INCR`/`INCRBY`/`DECR`/`HINCRBY` result would leave the i64 range.
pub const ERR_OVERFLOW: &str = "ERR increment or decrement would overflow";
/// `DECRBY` with `i64::MIN`, which cannot be negated.
pub const ERR_DECR_OVERFLOW: &str = "ERR decrement would overflow";
/// `INCRBYFLOAT`/`HINCRBYFLOAT` result is NaN or infinite.
pub const ERR_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
/// `HINCRBYFLOAT` increment itself is NaN or infinite.
pub const ERR_INCR_NAN_OR_INF: &str = "ERR value is NaN or Infinity";
/// `HINCRBYFLOAT` on a field whose value is not a float.
pub const ERR_HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// `HINCRBY` on a field whose value is not an integer.
pub const ERR_HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
/// `getLongFromObjectOrReply` range failure (unreachable on 64-bit, kept for
/// completeness).
pub const ERR_OUT_OF_RANGE: &str = "ERR value is out of range";
/// `getPositiveLongFromObjectOrReply` (`LPOP key -1`, `SPOP key -1`, ...).
pub const ERR_NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
/// Seconds timeout (`BLPOP`, `BZPOPMIN`, ...) that is not a valid float.
pub const ERR_TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
/// Milliseconds timeout (`XREAD BLOCK`, `WAIT`) that is not an integer.
pub const ERR_TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
/// Timeout that is (or, through Redis's conversion, becomes) negative.
pub const ERR_TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
/// `ZRANGEBYSCORE`/`ZCOUNT`/... bound that is not a float.
pub const ERR_MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
/// `ZUNIONSTORE`/`ZINTERSTORE ... WEIGHTS` value that is not a float.
pub const ERR_WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";
/// `ZINCRBY`/`ZADD INCR` that would produce NaN (e.g. `inf + -inf`).
pub const ERR_SCORE_NAN: &str = "ERR resulting score is not a number (NaN)";
/// `SCAN`/`HSCAN`/`SSCAN`/`ZSCAN` cursor that is not a valid unsigned long.
pub const ERR_INVALID_CURSOR: &str = "ERR invalid cursor";

/// Why a numeric argument was rejected. Commands pick the variant (and thus
/// the exact Redis error text) that the corresponding Redis code path uses;
/// [`NumError::message`] renders it without the leading `-`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// [`ERR_NOT_INTEGER`]
    NotInteger,
    /// [`ERR_NOT_FLOAT`]
    NotFloat,
    /// [`ERR_OVERFLOW`]
    Overflow,
    /// [`ERR_DECR_OVERFLOW`]
    DecrementOverflow,
    /// [`ERR_NAN_OR_INF`]
    NanOrInfinity,
    /// [`ERR_INCR_NAN_OR_INF`]
    IncrNanOrInfinity,
    /// [`ERR_HASH_NOT_FLOAT`]
    HashNotFloat,
    /// [`ERR_HASH_NOT_INTEGER`]
    HashNotInteger,
    /// [`ERR_OUT_OF_RANGE`]
    OutOfRange,
    /// `getRangeLongFromObjectOrReply`: "value is out of range, value must
    /// between MIN and MAX" (sic, Redis's wording).
    OutOfRangeBetween {
        /// Inclusive lower bound quoted in the message.
        min: i64,
        /// Inclusive upper bound quoted in the message.
        max: i64,
    },
    /// [`ERR_NOT_POSITIVE`]
    NotPositive,
    /// [`ERR_TIMEOUT_NOT_FLOAT`]
    TimeoutNotFloat,
    /// [`ERR_TIMEOUT_NOT_INTEGER`]
    TimeoutNotInteger,
    /// [`ERR_TIMEOUT_NEGATIVE`]
    TimeoutNegative,
    /// [`ERR_MIN_MAX_NOT_FLOAT`]
    MinMaxNotFloat,
    /// [`ERR_WEIGHT_NOT_FLOAT`]
    WeightNotFloat,
    /// [`ERR_SCORE_NAN`]
    ScoreNan,
    /// [`ERR_INVALID_CURSOR`]
    InvalidCursor,
}

impl NumError {
    /// The exact error line Redis sends (without the RESP `-` prefix and
    /// CRLF). Borrowed for every variant except the range one, which embeds
    /// its bounds.
    pub fn message(&self) -> Cow<'static, str> {
        Cow::Borrowed(match *self {
            NumError::NotInteger => ERR_NOT_INTEGER,
            NumError::NotFloat => ERR_NOT_FLOAT,
            NumError::Overflow => ERR_OVERFLOW,
            NumError::DecrementOverflow => ERR_DECR_OVERFLOW,
            NumError::NanOrInfinity => ERR_NAN_OR_INF,
            NumError::IncrNanOrInfinity => ERR_INCR_NAN_OR_INF,
            NumError::HashNotFloat => ERR_HASH_NOT_FLOAT,
            NumError::HashNotInteger => ERR_HASH_NOT_INTEGER,
            NumError::OutOfRange => ERR_OUT_OF_RANGE,
            NumError::OutOfRangeBetween { min, max } => {
                return Cow::Owned(format!(
                    "ERR value is out of range, value must between {min} and {max}"
                ))
            }
            NumError::NotPositive => ERR_NOT_POSITIVE,
            NumError::TimeoutNotFloat => ERR_TIMEOUT_NOT_FLOAT,
            NumError::TimeoutNotInteger => ERR_TIMEOUT_NOT_INTEGER,
            NumError::TimeoutNegative => ERR_TIMEOUT_NEGATIVE,
            NumError::MinMaxNotFloat => ERR_MIN_MAX_NOT_FLOAT,
            NumError::WeightNotFloat => ERR_WEIGHT_NOT_FLOAT,
            NumError::ScoreNan => ERR_SCORE_NAN,
            NumError::InvalidCursor => ERR_INVALID_CURSOR,
        })
    }
}

impl std::fmt::Display for NumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for NumError {}

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

/// Longest accepted integer text is `LONG_STR_SIZE - 1` bytes (Redis's
/// `LONG_STR_SIZE`, 21, includes the C terminator).
pub const LONG_STR_SIZE: usize = 21;

/// Parses a signed 64-bit integer with Redis's `string2ll` strictness, the
/// rule behind every integer argument and `INCR`-able value: optional `-`,
/// no `+`, no spaces, no leading zeros (only `0` itself), no `-0`, at most
/// 20 bytes, no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// `getRangeLongFromObjectOrReply`: a [`parse_i64`] integer that must lie in
/// `min..=max`, with the two distinct Redis errors (not an integer vs. out of
/// range, the latter quoting the bounds).
pub fn parse_i64_in_range(s: &[u8], min: i64, max: i64) -> Result<i64, NumError> {
    let v = parse_i64(s).ok_or(NumError::NotInteger)?;
    if v < min || v > max {
        Err(NumError::OutOfRangeBetween { min, max })
    } else {
        Ok(v)
    }
}

/// `getPositiveLongFromObjectOrReply` (counts for `LPOP`, `SPOP`, ...):
/// a [`parse_i64`] integer that must be >= 0. Redis answers "must be
/// positive" for a non-integer too.
pub fn parse_non_negative_i64(s: &[u8]) -> Result<i64, NumError> {
    let v = parse_i64(s).ok_or(NumError::NotPositive)?;
    if v < 0 {
        Err(NumError::NotPositive)
    } else {
        Ok(v)
    }
}

/// `INCR`/`INCRBY`/`DECR`/`HINCRBY` arithmetic with Redis's overflow error.
#[inline]
pub fn incr_by(current: i64, incr: i64) -> Result<i64, NumError> {
    current.checked_add(incr).ok_or(NumError::Overflow)
}

/// `DECRBY`: Redis negates the argument first, so `i64::MIN` gets its own
/// error before the usual overflow check.
#[inline]
pub fn decr_by(current: i64, decr: i64) -> Result<i64, NumError> {
    let incr = decr.checked_neg().ok_or(NumError::DecrementOverflow)?;
    incr_by(current, incr)
}

/// C `isspace()` in the "C" locale.
#[inline]
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The part of `s` a C string function sees: everything before the first NUL.
#[inline]
fn c_str(s: &[u8]) -> &[u8] {
    match s.iter().position(|&c| c == 0) {
        Some(n) => &s[..n],
        None => s,
    }
}

/// glibc `strtoull(s, &end, 10)` on an already NUL-truncated string.
/// Returns the value (negation wraps, as C does) and how many bytes were
/// consumed (0 when no conversion happened), or `None` on `ERANGE`.
fn c_strtou64(s: &[u8]) -> Option<(u64, usize)> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(s[i] - b'0')))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return Some((0, 0));
    }
    if overflow {
        return None;
    }
    Some((if negative { v.wrapping_neg() } else { v }, i))
}

/// Redis `string2ull` (stream IDs): strict [`parse_i64`] first (negative
/// results rejected), then glibc `strtoull` as a fallback, which admits
/// leading whitespace, `+`, leading zeros and even a `-` that wraps
/// (`"-05"` is 2^64-5). Like the C code it stops at an embedded NUL.
pub fn parse_u64_strtoull(s: &[u8]) -> Option<u64> {
    let s = c_str(s);
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    if s.is_empty() {
        return None;
    }
    match c_strtou64(s)? {
        (v, n) if n == s.len() => Some(v),
        _ => None,
    }
}

/// `SCAN`-family cursor (`parseScanCursorOrReply`): `strtoul` semantics
/// with a leading-space check, so `""` is 0, `+5` and `007` are accepted and
/// `-1` wraps to `u64::MAX`; stops at an embedded NUL like the C code.
pub fn parse_scan_cursor(s: &[u8]) -> Result<u64, NumError> {
    let s = c_str(s);
    if s.first().is_some_and(|&c| is_c_space(c)) {
        return Err(NumError::InvalidCursor);
    }
    match c_strtou64(s) {
        // An empty cursor converts nothing and leaves `end` at the
        // terminator, so it is accepted as 0, just like in Redis.
        Some((v, n)) if n == s.len() => Ok(v),
        _ => Err(NumError::InvalidCursor),
    }
}

const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `v` into the tail of `buf`, returning the
/// index of the first digit (two digits per step, no allocation).
#[inline]
fn fmt_u64_into(mut v: u64, buf: &mut [u8; 20]) -> usize {
    let mut i = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    i
}

/// Appends the decimal form of `v` (as Redis `ll2string`) to `out`: the
/// hot path for integer replies and RESP length headers.
#[inline]
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    fmt_u64(v.unsigned_abs(), out);
}

/// Appends the decimal form of `v` to `out` (cursors, stream IDs).
#[inline]
pub fn fmt_u64(v: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let start = fmt_u64_into(v, &mut buf);
    out.extend_from_slice(&buf[start..]);
}

/// Number of bytes [`fmt_i64`] would append, for sizing buffers up front.
#[inline]
pub fn i64_len(v: i64) -> usize {
    let mut n = usize::from(v < 0);
    let mut u = v.unsigned_abs();
    loop {
        n += 1;
        u /= 10;
        if u == 0 {
            return n;
        }
    }
}

// ---------------------------------------------------------------------------
// Float literal syntax (glibc strtod/strtold, whole string consumed)
// ---------------------------------------------------------------------------

/// A float literal in the syntax glibc `strtod`/`strtold` accept, split
/// into its parts. Redis requires the whole argument to be consumed and
/// rejects leading whitespace, so no whitespace is allowed anywhere.
#[derive(Debug, Clone, Copy)]
enum FloatLit<'a> {
    Inf {
        negative: bool,
    },
    Nan,
    /// `int.frac` in `radix` (10 or 16) times `10^exp` (decimal) or `2^exp`
    /// (hex, `p` exponent).
    Finite {
        negative: bool,
        hex: bool,
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
}

/// Exponents are clamped to this magnitude while parsing; anything beyond
/// is far outside every float range, and clamping avoids overflow.
const EXP_CLAMP: i64 = 1_000_000_000;

/// Parses `[+-]?digits+` (the exponent of a float literal), clamping.
fn parse_lit_exp(t: &[u8]) -> Option<i64> {
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        v = (v * 10 + i64::from(c - b'0')).min(EXP_CLAMP);
    }
    Some(if neg { -v } else { v })
}

fn parse_float_lit(s: &[u8]) -> Option<FloatLit<'_>> {
    let (negative, rest) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(FloatLit::Inf { negative });
    }
    if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"nan") {
        let tail = &rest[3..];
        let ok = tail.is_empty()
            || (tail.len() >= 2
                && tail[0] == b'('
                && tail[tail.len() - 1] == b')'
                && tail[1..tail.len() - 1]
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'_'));
        return if ok { Some(FloatLit::Nan) } else { None };
    }
    let hex = rest.len() >= 2 && rest[0] == b'0' && (rest[1] == b'x' || rest[1] == b'X');
    let body = if hex { &rest[2..] } else { rest };
    let is_digit = |c: &u8| {
        if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
    let exp_chars: &[u8] = if hex { b"pP" } else { b"eE" };
    let int_len = body.iter().take_while(|c| is_digit(c)).count();
    let int = &body[..int_len];
    let mut after = &body[int_len..];
    let mut frac: &[u8] = &[];
    if after.first() == Some(&b'.') {
        let frac_len = after[1..].iter().take_while(|c| is_digit(c)).count();
        frac = &after[1..1 + frac_len];
        after = &after[1 + frac_len..];
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = match after.split_first() {
        None => 0,
        Some((c, t)) if exp_chars.contains(c) => parse_lit_exp(t)?,
        Some(_) => return None,
    };
    Some(FloatLit::Finite {
        negative,
        hex,
        int,
        frac,
        exp,
    })
}

/// Value of one hex digit (caller guarantees it is one).
#[inline]
fn hex_val(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'a'..=b'f' => u32::from(c - b'a') + 10,
        _ => u32::from(c.wrapping_sub(b'A')) + 10,
    }
}

/// The significand of a hex literal as (top bits, binary exponent, sticky):
/// value = m * 2^e, with `sticky` telling whether nonzero bits were dropped
/// below `m` (keeping at most 30 hex digits = 120 bits exactly).
fn hex_significand(int: &[u8], frac: &[u8], pexp: i64) -> (u128, i64, bool) {
    let mut m: u128 = 0;
    let mut kept = 0usize;
    let mut e: i64 = pexp;
    let mut sticky = false;
    let digits = int
        .iter()
        .map(|&c| (c, false))
        .chain(frac.iter().map(|&c| (c, true)));
    for (c, is_frac) in digits {
        let d = hex_val(c);
        if m == 0 && d == 0 {
            // Leading zeros carry no bits, only scale fraction digits.
            if is_frac {
                e -= 4;
            }
            continue;
        }
        if kept < 30 {
            m = (m << 4) | u128::from(d);
            kept += 1;
            if is_frac {
                e -= 4;
            }
        } else {
            sticky |= d != 0;
            if !is_frac {
                e += 4;
            }
        }
    }
    (m, e.clamp(-4 * EXP_CLAMP, 4 * EXP_CLAMP), sticky)
}

// ---------------------------------------------------------------------------
// Minimal big unsigned integer (exact decimal <-> binary conversions)
// ---------------------------------------------------------------------------

/// Little-endian base-2^32 unsigned integer, just enough for exactly
/// rounded decimal parsing and exact `%.17Lf` printing. Invariant: no
/// trailing zero limbs.
#[derive(Clone, Debug, Default)]
struct Big {
    limbs: Vec<u32>,
}

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn bit_len(&self) -> usize {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() * 32 - top.leading_zeros() as usize,
        }
    }

    /// self = self * m + a
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            let x = u64::from(*limb) * u64::from(m) + carry;
            *limb = x as u32;
            carry = x >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        if n > 0 {
            self.mul_add_small(10u32.pow(n), 0);
        }
    }

    fn pow10(n: u32) -> Big {
        let mut b = Big::from_u128(1);
        b.mul_pow10(n);
        b
    }

    fn shl(&mut self, bits: usize) {
        if self.is_zero() || bits == 0 {
            return;
        }
        let (words, rem) = (bits / 32, bits % 32);
        if rem != 0 {
            let mut carry = 0u32;
            for limb in &mut self.limbs {
                let x = *limb;
                *limb = (x << rem) | carry;
                carry = x >> (32 - rem);
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if words != 0 {
            self.limbs.splice(0..0, std::iter::repeat_n(0, words));
        }
    }

    fn shr(&mut self, bits: usize) {
        let (words, rem) = (bits / 32, bits % 32);
        if words >= self.limbs.len() {
            self.limbs.clear();
            return;
        }
        self.limbs.drain(..words);
        if rem != 0 {
            let n = self.limbs.len();
            for i in 0..n {
                let hi = if i + 1 < n {
                    self.limbs[i + 1] << (32 - rem)
                } else {
                    0
                };
                self.limbs[i] = (self.limbs[i] >> rem) | hi;
            }
        }
        self.trim();
    }

    fn bit(&self, i: usize) -> bool {
        self.limbs
            .get(i / 32)
            .is_some_and(|&limb| (limb >> (i % 32)) & 1 == 1)
    }

    /// Whether any bit strictly below position `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let (words, rem) = (i / 32, i % 32);
        for (k, &limb) in self.limbs.iter().enumerate() {
            if k < words {
                if limb != 0 {
                    return true;
                }
            } else {
                return k == words && rem != 0 && limb & ((1u32 << rem) - 1) != 0;
            }
        }
        false
    }

    /// Low 128 bits.
    fn low_u128(&self) -> u128 {
        self.limbs
            .iter()
            .take(4)
            .enumerate()
            .fold(0u128, |acc, (k, &limb)| {
                acc | (u128::from(limb) << (32 * k))
            })
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// self -= other; requires self >= other.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (k, limb) in self.limbs.iter_mut().enumerate() {
            let o = i64::from(other.limbs.get(k).copied().unwrap_or(0));
            let mut x = i64::from(*limb) - o - borrow;
            borrow = 0;
            if x < 0 {
                x += 1 << 32;
                borrow = 1;
            }
            *limb = x as u32;
        }
        self.trim();
    }

    /// self /= d, returning the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let x = (rem << 32) | u64::from(*limb);
            *limb = (x / u64::from(d)) as u32;
            rem = x % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// Appends the decimal digits (at least one).
    fn write_decimal(mut self, out: &mut Vec<u8>) {
        let mut chunks = Vec::new();
        while !self.is_zero() {
            chunks.push(self.div_small(1_000_000_000));
        }
        match chunks.split_last() {
            None => out.push(b'0'),
            Some((&top, rest)) => {
                let _ = write!(VecWriter(out), "{top}");
                for &c in rest.iter().rev() {
                    let _ = write!(VecWriter(out), "{c:09}");
                }
            }
        }
    }
}

/// Fixed-size `fmt::Write` target for short numeric texts, so formatting a
/// score does not allocate. Output beyond its capacity is an error (never
/// happens for the `{:.16e}` of an f64, which is at most 24 bytes).
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl Default for StackBuf {
    fn default() -> Self {
        StackBuf {
            buf: [0; 40],
            len: 0,
        }
    }
}

impl StackBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `fmt::Write` adapter appending to a byte vector (no intermediate String).
struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Exact `num / den` for a quotient of about `bits` bits: returns
/// (q, k, sticky) with num/den = (q + f) * 2^-k, 0 <= f < 1, f != 0 iff
/// sticky, and q having `bits` or `bits + 1` significant bits.
fn big_ratio(mut num: Big, mut den: Big, bits: usize) -> (u128, i64, bool) {
    // Scale so that num * 2^k / den lies in [2^(bits-1), 2^(bits+1)).
    let k = (bits as i64) + (den.bit_len() as i64) - (num.bit_len() as i64);
    if k > 0 {
        num.shl(k as usize);
    } else {
        den.shl((-k) as usize);
    }
    let mut q: u128 = 0;
    let top = bits + 1;
    let mut d = den.clone();
    d.shl(top);
    for i in (0..=top).rev() {
        if num.cmp(&d) != Ordering::Less {
            num.sub_assign(&d);
            q |= 1u128 << i;
        }
        d.shr(1);
    }
    (q, k, !num.is_zero())
}

/// Exact value of a decimal literal `int.frac * 10^exp` as (m, e, sticky),
/// value = (m + f) * 2^e with 0 <= f < 1 and f != 0 iff sticky. `m` carries
/// at least 66 significant bits whenever `sticky` is set. Callers have
/// already excluded zero and absurd exponents.
fn decimal_to_binary(int: &[u8], frac: &[u8], exp: i64) -> (u128, i64, bool) {
    let mut d = Big::default();
    let mut pending = 0u32;
    let mut pending_len = 0u32;
    for &c in int.iter().chain(frac.iter()) {
        pending = pending * 10 + u32::from(c - b'0');
        pending_len += 1;
        if pending_len == 9 {
            d.mul_add_small(1_000_000_000, pending);
            pending = 0;
            pending_len = 0;
        }
    }
    if pending_len > 0 {
        d.mul_add_small(10u32.pow(pending_len), pending);
    }
    let e10 = exp - frac.len() as i64;
    if e10 >= 0 {
        d.mul_pow10(e10 as u32);
        let len = d.bit_len();
        if len <= 128 {
            (d.low_u128(), 0, false)
        } else {
            let drop = len - 128;
            let sticky = d.any_below(drop);
            d.shr(drop);
            (d.low_u128(), drop as i64, sticky)
        }
    } else {
        let (q, k, sticky) = big_ratio(d, Big::pow10((-e10) as u32), 66);
        (q, -k, sticky)
    }
}

/// Significant decimal digits of `int.frac` and the decimal exponent of the
/// leading one: value in [10^lead, 10^(lead+1)). `None` when all digits
/// are zero.
fn decimal_magnitude(int: &[u8], frac: &[u8], exp: i64) -> Option<i64> {
    if let Some(p) = int.iter().position(|&c| c != b'0') {
        return Some(exp + (int.len() - p) as i64 - 1);
    }
    let p = frac.iter().position(|&c| c != b'0')?;
    Some(exp - p as i64 - 1)
}

/// Rounds the exact value (m + f) * 2^e (f != 0 iff `sticky`, and `m` has
/// at least two more bits than `prec` whenever `sticky` is set) to `prec`
/// significant bits, round-to-nearest-even, with gradual underflow at
/// exponent `min_exp`. Returns (mantissa, exponent): mantissa < 2^prec and,
/// unless subnormal (exponent == min_exp), >= 2^(prec-1). Exponent may
/// exceed the format's range; callers turn that into infinity.
fn round_to_prec(m: u128, e: i64, sticky: bool, prec: u32, min_exp: i64) -> (u64, i64) {
    if m == 0 {
        return (0, min_exp);
    }
    let len = i64::from(128 - m.leading_zeros());
    let mut shift = len - i64::from(prec);
    if e + shift < min_exp {
        shift = min_exp - e;
    }
    if shift <= 0 {
        // Exact (no bits dropped); sticky cannot be set here by contract.
        return ((m << (-shift) as u32) as u64, e + shift);
    }
    let (q, round_bit, below) = if shift > 128 {
        (0u128, false, true)
    } else if shift == 128 {
        (0u128, m >> 127 == 1, m & (u128::MAX >> 1) != 0 || sticky)
    } else {
        let s = shift as u32;
        let half = 1u128 << (s - 1);
        let rem = m & ((1u128 << s) - 1);
        (m >> s, rem & half != 0, rem & (half - 1) != 0 || sticky)
    };
    let mut q = q;
    let mut exp = e + shift;
    if round_bit && (below || q & 1 == 1) {
        q += 1;
        if q >> prec != 0 {
            q >>= 1;
            exp += 1;
        }
    }
    (q as u64, exp)
}

// ---------------------------------------------------------------------------
// Exact decimal/hex literal evaluation shared by the f64 and long double paths
// ---------------------------------------------------------------------------

/// A parsed float literal, evaluated exactly (before rounding to a format).
#[derive(Debug, Clone, Copy)]
enum Exact {
    Zero {
        negative: bool,
    },
    Inf {
        negative: bool,
    },
    Nan,
    /// (m + f) * 2^e, 0 <= f < 1, f != 0 iff sticky; m > 0. `hex` marks
    /// a hexadecimal literal, which glibc rounds slightly differently when
    /// the result is subnormal (see [`glibc_hex_subnormal_quirk`]).
    Value {
        negative: bool,
        m: u128,
        e: i64,
        sticky: bool,
        hex: bool,
    },
    /// Magnitude certainly above every supported format's range.
    Huge {
        negative: bool,
    },
    /// Nonzero magnitude certainly below half of every format's smallest
    /// subnormal.
    Tiny {
        negative: bool,
    },
}

/// 10^n for n <= 38, the range where `u128` arithmetic suffices.
fn pow10_u128(n: u32) -> Option<u128> {
    10u128.checked_pow(n)
}

/// Evaluates a finite decimal literal exactly (see [`Exact`]).
fn eval_decimal(negative: bool, int: &[u8], frac: &[u8], exp: i64) -> Exact {
    let lead = match decimal_magnitude(int, frac, exp) {
        None => return Exact::Zero { negative },
        Some(lead) => lead,
    };
    // 10^4933 exceeds the long double maximum (~1.19e4932) and 10^-4952 is
    // below half the smallest long double subnormal (~3.6e-4951).
    if lead >= 4933 {
        return Exact::Huge { negative };
    }
    if lead < -4952 {
        return Exact::Tiny { negative };
    }
    // Fast path: few significant digits and a small exponent, all in u128.
    let digits = int.iter().chain(frac.iter()).skip_while(|&&c| c == b'0');
    let ndigits = int.len() + frac.len();
    if ndigits <= 38 {
        let d = digits.fold(0u128, |acc, &c| acc * 10 + u128::from(c - b'0'));
        let e10 = exp - frac.len() as i64;
        if (0..=38).contains(&e10) {
            if let Some(m) = pow10_u128(e10 as u32).and_then(|p| d.checked_mul(p)) {
                return Exact::Value {
                    negative,
                    m,
                    e: 0,
                    sticky: false,
                    hex: false,
                };
            }
        } else if (-18..0).contains(&e10) && d < 1u128 << 64 {
            if let Some(p) = pow10_u128((-e10) as u32) {
                // p < 2^60, so the quotient keeps >= 67 significant bits.
                let k = d.leading_zeros();
                let num = d << k;
                return Exact::Value {
                    negative,
                    m: num / p,
                    e: -i64::from(k),
                    sticky: num % p != 0,
                    hex: false,
                };
            }
        }
    }
    let (m, e, sticky) = decimal_to_binary(int, frac, exp);
    Exact::Value {
        negative,
        m,
        e,
        sticky,
        hex: false,
    }
}

/// Parses and exactly evaluates a glibc-style float literal.
fn eval_literal(s: &[u8]) -> Option<Exact> {
    Some(match parse_float_lit(s)? {
        FloatLit::Nan => Exact::Nan,
        FloatLit::Inf { negative } => Exact::Inf { negative },
        FloatLit::Finite {
            negative,
            hex: false,
            int,
            frac,
            exp,
        } => eval_decimal(negative, int, frac, exp),
        FloatLit::Finite {
            negative,
            hex: true,
            int,
            frac,
            exp,
        } => {
            let (m, e, sticky) = hex_significand(int, frac, exp);
            if m == 0 {
                Exact::Zero { negative }
            } else {
                Exact::Value {
                    negative,
                    m,
                    e,
                    sticky,
                    hex: true,
                }
            }
        }
    })
}

/// glibc (2.36, as linked by the reference Redis) loses one bit when a
/// *hexadecimal* literal lands in the subnormal range: the first bit past
/// the format's precision (counting from the leading 1) is ignored, while
/// bits further down still count. So `0x1.0000000000000001p-16446` is 0
/// (rejected by Redis) although it exceeds half the smallest subnormal.
/// Reproduce that so acceptance matches Redis exactly.
fn glibc_hex_subnormal_quirk(m: u128, e: i64, prec: u32, min_normal_exp: i64) -> u128 {
    let len = 128 - m.leading_zeros();
    if len > prec && e + i64::from(len) - 1 < min_normal_exp {
        m & !(1u128 << (len - prec - 1))
    } else {
        m
    }
}

/// Rounds an exact literal value to f64 (`None` for NaN). Overflow gives
/// infinity and underflow zero, as `strtod` returns (with `ERANGE`).
fn exact_to_f64(x: Exact) -> Option<f64> {
    Some(match x {
        Exact::Nan => return None,
        Exact::Zero { negative } | Exact::Tiny { negative } => {
            if negative {
                -0.0
            } else {
                0.0
            }
        }
        Exact::Inf { negative } | Exact::Huge { negative } => {
            if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        Exact::Value {
            negative,
            m,
            e,
            sticky,
            hex,
        } => {
            let m = if hex {
                glibc_hex_subnormal_quirk(m, e, 53, -1022)
            } else {
                m
            };
            let (mant, exp) = round_to_prec(m, e, sticky, 53, -1074);
            let mag = if mant == 0 {
                0.0
            } else if exp > 971 {
                f64::INFINITY
            } else {
                compose_f64(mant, exp)
            };
            if negative {
                -mag
            } else {
                mag
            }
        }
    })
}

/// Builds mant * 2^exp as f64 from a rounded mantissa (< 2^53) and an
/// exponent in [-1074, 971].
fn compose_f64(mant: u64, exp: i64) -> f64 {
    if mant >> 52 == 0 {
        // Subnormal (exp == -1074): the bits are the mantissa itself.
        return f64::from_bits(mant);
    }
    let biased = (exp + 1075) as u64;
    f64::from_bits((biased << 52) | (mant & ((1u64 << 52) - 1)))
}

// ---------------------------------------------------------------------------
// Doubles (string2d, %.17g)
// ---------------------------------------------------------------------------

/// Parses a double argument the way Redis's `string2d` does (`ZADD` scores,
/// `ZINCRBY`, `GEOADD`, `ZRANGEBYSCORE` bounds after `(` stripping, ...):
/// glibc `strtod` syntax (decimal, hex `0x1p3`, `inf`/`infinity` in any
/// case, optional sign) consuming the whole input with no whitespace.
/// Rejects NaN, empty input, and literals that overflow to infinity or
/// underflow to zero; explicit infinities and subnormals are accepted.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    match parse_float_lit(s)? {
        FloatLit::Nan => None,
        FloatLit::Inf { negative } => Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        FloatLit::Finite {
            negative,
            hex: false,
            int,
            frac,
            ..
        } => {
            // The literal is plain ASCII in Rust's accepted float syntax;
            // its parser is correctly rounded like glibc's.
            let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
            if v.is_infinite() {
                return None;
            }
            if v == 0.0 && decimal_magnitude(int, frac, 0).is_some() {
                return None;
            }
            debug_assert_eq!(v.is_sign_negative(), negative);
            Some(v)
        }
        FloatLit::Finite { hex: true, .. } => {
            let exact = eval_literal(s)?;
            let v = exact_to_f64(exact)?;
            let nonzero_literal = !matches!(exact, Exact::Zero { .. });
            if v.is_infinite() || (v == 0.0 && nonzero_literal) {
                None
            } else {
                Some(v)
            }
        }
    }
}

/// Like [`parse_f64`] but with the long double rules of `string2ld`
/// (`getLongDoubleFromObject`: `INCRBYFLOAT`, `HINCRBYFLOAT`, seconds
/// timeouts): at most 5119 bytes, and range checks done in long double, so
/// e.g. `1e400` is *accepted* (it fits a long double) and comes back as
/// `f64::INFINITY`, while `1e5000` is rejected. Prefer [`LongDouble`] /
/// [`incrbyfloat`] where Redis computes in long double.
pub fn parse_f64_strict(s: &[u8]) -> Option<f64> {
    let exact = string2ld_exact(s)?;
    exact_to_f64(exact)
}

/// Name kept for existing callers: the same as [`parse_f64_strict`]
/// (`string2ld` acceptance, value rounded to f64). New code doing
/// `INCRBYFLOAT`-style arithmetic should use [`incrbyfloat`] or
/// [`LongDouble`] to get Redis's exact digits.
#[inline]
pub fn parse_long_double(s: &[u8]) -> Option<f64> {
    parse_f64_strict(s)
}

/// Why: RESP2/RESP3 score replies and `ZSCORE` print doubles with C's
/// `%.17g`; this appends exactly that text (`inf`, `-inf`, `nan`/`-nan`,
/// `-0`, `1e+20`, `0.10000000000000001`, ...).
pub fn write_double(v: f64, out: &mut Vec<u8>) {
    write_g(v, 17, out)
}

/// C's `%.<precision>g` (precision 1 to 17), e.g. `%.14g`, Lua 5.1's
/// number format.
pub fn fmt_g(v: f64, precision: usize) -> String {
    let mut out = Vec::with_capacity(24);
    write_g(v, precision.clamp(1, 17), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn write_g(v: f64, precision: usize, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Rust's exact formatting rounds half-to-even on the exact binary
    // value, like glibc; "{:.16e}" yields the 17 significant digits.
    let mut buf = StackBuf::default();
    let _ = write!(buf, "{:.*e}", precision - 1, v.abs());
    let sci = buf.as_bytes();
    let epos = sci.iter().position(|&c| c == b'e').unwrap_or(sci.len());
    let mut digits = [0u8; 17];
    let mut n = 0;
    for &c in &sci[..epos] {
        if c.is_ascii_digit() && n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(sci.get(epos + 1..).unwrap_or(b"0"))
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    // Significant digits without trailing zeros (%g drops them).
    let mut last = n;
    while last > 1 && digits[last - 1] == b'0' {
        last -= 1;
    }
    let sig = &digits[..last];
    if v < 0.0 {
        out.push(b'-');
    }
    if !(-4..precision as i32).contains(&exp) {
        out.push(sig[0]);
        if sig.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&sig[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        fmt_u64(u64::from(a), out);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(sig.get(i).copied().unwrap_or(b'0'));
        }
        if sig.len() > int_len {
            out.push(b'.');
            out.extend_from_slice(&sig[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(sig);
    }
}

/// [`write_double`] as an owned string (`%.17g`), for convenience.
pub fn fmt_double(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_double(v, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends a double reply the way `addReplyDouble` does: RESP2 as a bulk
/// string (`$3\r\n1.5\r\n`), RESP3 as a double (`,1.5\r\n`, `,inf\r\n`).
pub fn write_resp_double(v: f64, resp3: bool, out: &mut Vec<u8>) {
    if resp3 {
        out.push(b',');
        write_double(v, out);
    } else {
        // Format in place, then slot the `$<len>\r\n` header in front of
        // the body (no temporary allocation).
        let start = out.len();
        write_double(v, out);
        let mut digits = [0u8; 20];
        let first = fmt_u64_into((out.len() - start) as u64, &mut digits);
        let header = std::iter::once(b'$')
            .chain(digits[first..].iter().copied())
            .chain(*b"\r\n");
        out.splice(start..start, header);
    }
    out.extend_from_slice(b"\r\n");
}

/// Redis `d2string`: the text a listpack-encoded sorted set stores for a
/// score (`zzlInsertAt`), which is what a port of that encoding needs to
/// stay byte-compatible (e.g. for `DEBUG`/RDB output). Differs from
/// [`write_double`] by printing integral values up to 2^62 in full
/// (`1e+17` becomes `100000000000000000`) and NaN always as `nan`.
pub fn write_d2string(v: f64, out: &mut Vec<u8>) {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // 2^62
    if v.is_finite() && v != 0.0 && (-LIMIT..=LIMIT).contains(&v) && v.trunc() == v {
        fmt_i64(v as i64, out);
    } else if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else {
        write_double(v, out);
    }
}

mod long_double;
pub use long_double::*;

#[cfg(test)]
mod tests;
