//! The x87 80-bit `long double` arithmetic Redis's INCRBYFLOAT uses, in
//! software, so results match Redis digit for digit.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------
// x87 80-bit long double emulation
// ---------------------------------------------------------------------------

/// Longest accepted `string2ld` input is `MAX_LONG_DOUBLE_CHARS - 1` bytes.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

pub(super) const LD_PREC: u32 = 64;
/// Exponent of the mantissa's unit in the smallest subnormal (2^-16445).
pub(super) const LD_MIN_EXP: i64 = -16445;
/// Largest exponent of a finite value: (2^64 - 1) * 2^16320 ~ 1.19e4932.
pub(super) const LD_MAX_EXP: i64 = 16320;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LdClass {
    Zero,
    /// mant * 2^exp; mant has its top bit set unless exp == LD_MIN_EXP.
    Finite {
        mant: u64,
        exp: i32,
    },
    Inf,
    Nan,
}

/// Software model of the x86-64 `long double` (x87 80-bit extended:
/// 64-bit mantissa, 15-bit exponent, subnormals, round-to-nearest-even).
///
/// Redis's `INCRBYFLOAT`, `HINCRBYFLOAT` and seconds-based timeouts do
/// their arithmetic in this type, and the digits users see depend on it
/// (`1000 + 0.1` prints `1000.09999999999999998`, `1 + 1e400` is a
/// 401-digit number). Computing in f64 cannot reproduce that, so the few
/// operations Redis uses are emulated exactly here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    class: LdClass,
}

/// The exact literal value as `string2ld` sees it, if accepted.
pub(super) fn string2ld_exact(s: &[u8]) -> Option<Exact> {
    if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    let exact = eval_literal(s)?;
    // strtold sets ERANGE and returns +-HUGE_VALL or 0 on overflow or
    // total underflow; Redis rejects those, and NaN.
    match LongDouble::from_exact(exact)?.class {
        LdClass::Nan => None,
        LdClass::Inf if !matches!(exact, Exact::Inf { .. }) => None,
        LdClass::Zero if !matches!(exact, Exact::Zero { .. }) => None,
        _ => Some(exact),
    }
}

impl LongDouble {
    /// Positive zero, the starting value of a missing key or field.
    pub const ZERO: LongDouble = LongDouble {
        negative: false,
        class: LdClass::Zero,
    };

    fn zero(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            class: LdClass::Zero,
        }
    }

    fn inf(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            class: LdClass::Inf,
        }
    }

    fn nan() -> LongDouble {
        // The x87 "default NaN" produced by invalid operations is negative.
        LongDouble {
            negative: true,
            class: LdClass::Nan,
        }
    }

    /// Rounds the exact value (m + f) * 2^e to the nearest long double.
    fn round(negative: bool, m: u128, e: i64, sticky: bool) -> LongDouble {
        let (mant, exp) = round_to_prec(m, e, sticky, LD_PREC, LD_MIN_EXP);
        if mant == 0 {
            LongDouble::zero(negative)
        } else if exp > LD_MAX_EXP {
            LongDouble::inf(negative)
        } else {
            LongDouble {
                negative,
                class: LdClass::Finite {
                    mant,
                    exp: exp as i32,
                },
            }
        }
    }

    fn from_exact(x: Exact) -> Option<LongDouble> {
        Some(match x {
            Exact::Nan => LongDouble::nan(),
            Exact::Zero { negative } | Exact::Tiny { negative } => LongDouble::zero(negative),
            Exact::Inf { negative } | Exact::Huge { negative } => LongDouble::inf(negative),
            Exact::Value {
                negative,
                m,
                e,
                sticky,
                hex,
            } => {
                let m = if hex {
                    glibc_hex_subnormal_quirk(m, e, LD_PREC, -16382)
                } else {
                    m
                };
                LongDouble::round(negative, m, e, sticky)
            }
        })
    }

    /// Parses with Redis's `string2ld` rules (`getLongDoubleFromObject`):
    /// non-empty, shorter than 5120 bytes, glibc `strtold` syntax (decimal,
    /// hex, `inf`/`infinity`) consuming the whole input, no leading
    /// whitespace, no NaN, and no overflow/total underflow. `inf` itself is
    /// accepted (commands then reject the infinite result).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        LongDouble::from_exact(string2ld_exact(s)?)
    }

    /// Exact conversion, as Redis does for integer-encoded values
    /// (`(long double)ll`).
    pub fn from_i64(v: i64) -> LongDouble {
        if v == 0 {
            return LongDouble::ZERO;
        }
        LongDouble::round(v < 0, u128::from(v.unsigned_abs()), 0, false)
    }

    /// Exact conversion (every f64 is a long double).
    pub fn from_f64(v: f64) -> LongDouble {
        if v.is_nan() {
            return LongDouble {
                negative: v.is_sign_negative(),
                class: LdClass::Nan,
            };
        }
        let negative = v.is_sign_negative();
        if v.is_infinite() {
            return LongDouble::inf(negative);
        }
        if v == 0.0 {
            return LongDouble::zero(negative);
        }
        let bits = v.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, e) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), biased - 1075)
        };
        LongDouble::round(negative, u128::from(m), e, false)
    }

    /// Nearest f64 (round-to-nearest-even; overflow to infinity), for
    /// callers that continue in double precision.
    pub fn to_f64(self) -> f64 {
        let mag = match self.class {
            LdClass::Nan => f64::NAN,
            LdClass::Inf => f64::INFINITY,
            LdClass::Zero => 0.0,
            LdClass::Finite { mant, exp } => {
                let (m, e) = round_to_prec(u128::from(mant), i64::from(exp), false, 53, -1074);
                if m == 0 {
                    0.0
                } else if e > 971 {
                    f64::INFINITY
                } else {
                    compose_f64(m, e)
                }
            }
        };
        if self.negative {
            -mag
        } else {
            mag
        }
    }

    /// True for NaN (never produced by parsing; only by `inf + -inf` etc.).
    pub fn is_nan(self) -> bool {
        self.class == LdClass::Nan
    }

    /// True for +-infinity.
    pub fn is_infinite(self) -> bool {
        self.class == LdClass::Inf
    }

    /// True unless NaN or infinite: the check Redis applies to results.
    pub fn is_finite(self) -> bool {
        matches!(self.class, LdClass::Zero | LdClass::Finite { .. })
    }

    /// Sign bit (also set for -0).
    pub fn is_sign_negative(self) -> bool {
        self.negative
    }

    /// IEEE addition rounded to long double precision (what `value += incr`
    /// does in Redis).
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, rhs: LongDouble) -> LongDouble {
        use LdClass::*;
        match (self.class, rhs.class) {
            (Nan, _) => self,
            (_, Nan) => rhs,
            (Inf, Inf) if self.negative != rhs.negative => LongDouble::nan(),
            (Inf, _) => self,
            (_, Inf) => rhs,
            (Zero, Zero) => LongDouble::zero(self.negative && rhs.negative),
            (Zero, _) => rhs,
            (_, Zero) => self,
            (Finite { mant: ma, exp: ea }, Finite { mant: mb, exp: eb }) => {
                let ((big_neg, bm, be), (small_neg, sm, se)) = if ea >= eb {
                    ((self.negative, ma, ea), (rhs.negative, mb, eb))
                } else {
                    ((rhs.negative, mb, eb), (self.negative, ma, ea))
                };
                // 62 guard bits keep every dropped bit of the smaller operand
                // either exact or folded into `sticky` well below the
                // rounding position, and the sum below 2^127.
                const GUARD: u32 = 62;
                let a = u128::from(bm) << GUARD;
                let d = (i64::from(be) - i64::from(se)) as u64;
                let small = u128::from(sm) << GUARD;
                let (b, sticky) = if d >= 127 {
                    (0u128, true)
                } else {
                    let d = d as u32;
                    (small >> d, d > 0 && small & ((1u128 << d) - 1) != 0)
                };
                let base = i64::from(be) - i64::from(GUARD);
                if big_neg == small_neg {
                    LongDouble::round(big_neg, a + b, base, sticky)
                } else if a > b {
                    // The true difference is a - b - f for some 0 < f < 1
                    // when sticky: represent it as (a - b - 1) + (1 - f).
                    // (sticky implies d > 0, hence a >= 2^125 > b.)
                    let diff = a - b - u128::from(sticky);
                    LongDouble::round(big_neg, diff, base, sticky)
                } else if a == b {
                    // Exact cancellation is +0 in round-to-nearest.
                    LongDouble::ZERO
                } else {
                    LongDouble::round(small_neg, b - a, base, false)
                }
            }
        }
    }

    /// IEEE multiplication rounded to long double precision (Redis scales
    /// timeouts with `ftval * 1000.0`).
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, rhs: LongDouble) -> LongDouble {
        use LdClass::*;
        let negative = self.negative != rhs.negative;
        match (self.class, rhs.class) {
            (Nan, _) => self,
            (_, Nan) => rhs,
            (Inf, Zero) | (Zero, Inf) => LongDouble::nan(),
            (Inf, _) | (_, Inf) => LongDouble::inf(negative),
            (Zero, _) | (_, Zero) => LongDouble::zero(negative),
            (Finite { mant: ma, exp: ea }, Finite { mant: mb, exp: eb }) => LongDouble::round(
                negative,
                u128::from(ma) * u128::from(mb),
                i64::from(ea) + i64::from(eb),
                false,
            ),
        }
    }

    /// C `ceill()`.
    pub fn ceil(self) -> LongDouble {
        let LdClass::Finite { mant, exp } = self.class else {
            return self;
        };
        if exp >= 0 {
            return self;
        }
        let n = exp.unsigned_abs();
        let m = u128::from(mant);
        let (int, has_frac) = if n >= 64 {
            (0u128, true)
        } else {
            (m >> n, m & ((1u128 << n) - 1) != 0)
        };
        if !has_frac {
            return self;
        }
        if self.negative {
            if int == 0 {
                LongDouble::zero(true)
            } else {
                LongDouble::round(true, int, 0, false)
            }
        } else {
            LongDouble::round(false, int + 1, 0, false)
        }
    }

    /// The C conversion `(long long)x` as compiled for x86-64: truncation
    /// toward zero, and the "integer indefinite" value `i64::MIN` for NaN,
    /// infinities and out-of-range values (which is why Redis reports
    /// `BLPOP k 1e30` as a negative timeout).
    pub fn to_i64_x87(self) -> i64 {
        let (mant, exp) = match self.class {
            LdClass::Zero => return 0,
            LdClass::Nan | LdClass::Inf => return i64::MIN,
            LdClass::Finite { mant, exp } => (mant, exp),
        };
        let mag: u128 = if exp >= 0 {
            if exp >= 64 {
                return i64::MIN;
            }
            u128::from(mant) << exp
        } else if exp <= -64 {
            0
        } else {
            u128::from(mant >> exp.unsigned_abs())
        };
        if self.negative {
            if mag <= 1u128 << 63 {
                (mag as i64).wrapping_neg()
            } else {
                i64::MIN
            }
        } else {
            i64::try_from(mag).unwrap_or(i64::MIN)
        }
    }

    /// Appends the text Redis stores and replies for `INCRBYFLOAT` /
    /// `HINCRBYFLOAT` (`ld2string` in `LD_STR_HUMAN` mode): `%.17Lf`, then
    /// trailing zeros and a trailing `.` removed, and `-0` turned into `0`.
    /// Never uses exponent notation.
    pub fn write_human(self, out: &mut Vec<u8>) {
        let (mant, exp) = match self.class {
            LdClass::Nan => {
                out.extend_from_slice(if self.negative { b"-nan" } else { b"nan" });
                return;
            }
            LdClass::Inf => {
                out.extend_from_slice(if self.negative { b"-inf" } else { b"inf" });
                return;
            }
            LdClass::Zero => {
                out.push(b'0');
                return;
            }
            LdClass::Finite { mant, exp } => (mant, exp),
        };
        let start = out.len();
        if self.negative {
            out.push(b'-');
        }
        const SCALE: u64 = 100_000_000_000_000_000; // 10^17
        if exp >= 0 {
            let m = u128::from(mant);
            if exp < 64 {
                let v = m << exp;
                Big::from_u128(v).write_decimal(out);
            } else {
                let mut b = Big::from_u128(m);
                b.shl(exp as usize);
                b.write_decimal(out);
            }
        } else {
            let n = exp.unsigned_abs() as usize;
            // Integer part, 17 fractional digits (truncated), round bit and
            // whether anything lies below the round bit.
            let (mut int, mut frac, round_bit, below) = if n <= 64 {
                let m = u128::from(mant);
                let int = m >> n;
                let scaled = (m & ((1u128 << n) - 1)) * u128::from(SCALE);
                let rem = scaled & ((1u128 << n) - 1);
                let half = 1u128 << (n - 1);
                (
                    int,
                    (scaled >> n) as u64,
                    rem & half != 0,
                    rem & (half - 1) != 0,
                )
            } else {
                let mut scaled = Big::from_u128(u128::from(mant));
                scaled.mul_add_small(100_000_000, 0);
                scaled.mul_add_small(1_000_000_000, 0);
                let round_bit = scaled.bit(n - 1);
                let below = scaled.any_below(n - 1);
                scaled.shr(n);
                (0u128, scaled.low_u128() as u64, round_bit, below)
            };
            // glibc rounds the exact value half-to-even.
            if round_bit && (below || frac & 1 == 1) {
                frac += 1;
                if frac == SCALE {
                    frac = 0;
                    int += 1;
                }
            }
            Big::from_u128(int).write_decimal(out);
            if frac != 0 {
                let mut digits = [0u8; 17];
                let mut f = frac;
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (f % 10) as u8;
                    f /= 10;
                }
                let mut len = 17;
                while digits[len - 1] == b'0' {
                    len -= 1;
                }
                out.push(b'.');
                out.extend_from_slice(&digits[..len]);
            }
        }
        if &out[start..] == b"-0" {
            out.truncate(start);
            out.push(b'0');
        }
    }

    /// [`LongDouble::write_human`] into a fresh string.
    pub fn to_human_string(self) -> String {
        let mut out = Vec::with_capacity(24);
        self.write_human(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;
    fn add(self, rhs: LongDouble) -> LongDouble {
        LongDouble::add(self, rhs)
    }
}

impl std::ops::Mul for LongDouble {
    type Output = LongDouble;
    fn mul(self, rhs: LongDouble) -> LongDouble {
        LongDouble::mul(self, rhs)
    }
}

/// Full `INCRBYFLOAT` arithmetic: `current` is the stored string (`None`
/// for a missing key, which counts as 0), `incr` the argument. Returns the
/// exact bytes Redis stores, replies and propagates as `SET`, or the error
/// Redis replies with. Both inputs must pass `string2ld`.
pub fn incrbyfloat(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, NumError> {
    let value = match current {
        Some(s) => LongDouble::parse(s).ok_or(NumError::NotFloat)?,
        None => LongDouble::ZERO,
    };
    let incr = LongDouble::parse(incr).ok_or(NumError::NotFloat)?;
    let sum = value + incr;
    if !sum.is_finite() {
        return Err(NumError::NanOrInfinity);
    }
    let mut out = Vec::with_capacity(24);
    sum.write_human(&mut out);
    Ok(out)
}

/// Full `HINCRBYFLOAT` arithmetic, with its own error order and texts: the
/// increment is validated first (not a float, then NaN/infinite), then the
/// field's current value (`None` when the field is missing).
pub fn hincrbyfloat(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, NumError> {
    let incr = LongDouble::parse(incr).ok_or(NumError::NotFloat)?;
    if !incr.is_finite() {
        return Err(NumError::IncrNanOrInfinity);
    }
    let value = match current {
        Some(s) => LongDouble::parse(s).ok_or(NumError::HashNotFloat)?,
        None => LongDouble::ZERO,
    };
    let sum = value + incr;
    if !sum.is_finite() {
        return Err(NumError::NanOrInfinity);
    }
    let mut out = Vec::with_capacity(24);
    sum.write_human(&mut out);
    Ok(out)
}

/// Unit of a blocking command's timeout argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutUnit {
    /// `BLPOP`, `BRPOP`, `BLMOVE`, `BZPOPMIN`, ...: a float of seconds.
    Seconds,
    /// `XREAD BLOCK`, `XREADGROUP BLOCK`, `WAIT`: integer milliseconds.
    Milliseconds,
}

/// `getTimeoutFromObjectOrReply` minus the clock: the timeout as relative
/// milliseconds (0 means "block forever"; Redis then adds the current time
/// to positive values). Seconds are converted exactly like Redis
/// (`(long long)ceill(ftval * 1000.0)` in long double), including its
/// quirks: `-0.0001` becomes 0 (forever) and huge values or `inf` wrap to
/// a negative number and are reported as negative.
pub fn parse_timeout(s: &[u8], unit: TimeoutUnit) -> Result<i64, NumError> {
    let ms = match unit {
        TimeoutUnit::Seconds => {
            let secs = LongDouble::parse(s).ok_or(NumError::TimeoutNotFloat)?;
            (secs * LongDouble::from_i64(1000)).ceil().to_i64_x87()
        }
        TimeoutUnit::Milliseconds => parse_i64(s).ok_or(NumError::TimeoutNotInteger)?,
    };
    if ms < 0 {
        Err(NumError::TimeoutNegative)
    } else {
        Ok(ms)
    }
}

/// Best-effort `INCRBYFLOAT` text for a value already computed in f64, for
/// callers that cannot use [`incrbyfloat`] (which is exact).
///
/// Redis prints a long double with `%.17Lf` and trims zeros. Long double
/// carries ~19 significant digits, so for everyday values the user sees
/// the clean decimal result (`0.1 + 0.2` is `0.3`), while the f64 sum is
/// `0.30000000000000004`. To hide that f64 noise this rounds non-integers
/// to 15 significant digits (the precision f64 guarantees for decimals),
/// then to at most 17 fractional digits; integral values print exactly.
/// No exponent notation, `-0` prints as `0`.
///
/// This cannot reproduce results whose long double digits differ from the
/// short decimal (Redis shows `1000 + 0.1` as `1000.09999999999999998`),
/// results with more than 15 significant digits, integers above 2^53, or
/// values beyond the f64 range (`1 + 1e400`).
pub fn fmt_incrbyfloat(v: f64) -> String {
    if !v.is_finite() {
        return LongDouble::from_f64(v).to_human_string();
    }
    if v.fract() == 0.0 {
        // `{}` never uses exponent notation and is exact for integers.
        let s = format!("{}", v.abs());
        return if v < 0.0 { format!("-{s}") } else { s };
    }
    // 15 significant digits: d.dddddddddddddde[+-]X
    let sci = format!("{:.14e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let sig: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    if exp < -18 {
        return "0".to_owned();
    }
    // Place the decimal point: int digits and fraction digits.
    let (mut int_digits, mut frac): (Vec<u8>, Vec<u8>) = if exp >= 0 {
        let split = (exp as usize + 1).min(sig.len());
        let mut int = sig[..split].to_vec();
        int.resize(exp as usize + 1, b'0');
        (int, sig[split..].to_vec())
    } else {
        let mut frac = vec![b'0'; (-exp - 1) as usize];
        frac.extend_from_slice(&sig);
        (vec![b'0'], frac)
    };
    if frac.len() > 17 {
        let round_up = match frac[17] {
            b'6'..=b'9' => true,
            b'5' => frac[18..].iter().any(|&c| c != b'0') || (frac[16] - b'0') % 2 == 1,
            _ => false,
        };
        frac.truncate(17);
        if round_up {
            let mut carry = true;
            for d in frac.iter_mut().rev().chain(int_digits.iter_mut().rev()) {
                if *d == b'9' {
                    *d = b'0';
                } else {
                    *d += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                int_digits.insert(0, b'1');
            }
        }
    }
    while frac.last() == Some(&b'0') {
        frac.pop();
    }
    let is_zero = int_digits.iter().all(|&c| c == b'0') && frac.is_empty();
    let mut out = String::with_capacity(int_digits.len() + frac.len() + 2);
    if v < 0.0 && !is_zero {
        out.push('-');
    }
    out.push_str(&String::from_utf8_lossy(&int_digits));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&String::from_utf8_lossy(&frac));
    }
    out
}
