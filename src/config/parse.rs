//! Byte-level primitives with Redis's exact acceptance rules: config-line splitting and
//! quoting, the several integer parsers Redis uses for different parameters (they differ
//! on signs, spaces, leading zeros and overflow, and users' configs depend on that), and
//! the glob matcher behind CONFIG GET patterns.

/// C `isspace` in the "C" locale: what Redis skips between words.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits one config line into words with Redis's quoting rules (`"..."` with `\n \r \t
/// \b \a \xHH` escapes, `'...'` with only `\'`). `None` means unbalanced quotes or a
/// closing quote glued to more text, which Redis reports as "Unbalanced quotes".
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let at = |k: usize| line.get(k).copied().unwrap_or(0);
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let mut word = Vec::new();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            let c = at(i);
            if in_dq {
                if c == b'\\' && at(i + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_value(at(i + 2)), hex_value(at(i + 3))) {
                        word.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < line.len() {
                    word.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    if i + 1 < line.len() && !is_c_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if i >= line.len() {
                    return None;
                } else {
                    word.push(c);
                    i += 1;
                }
            } else if in_sq {
                if c == b'\\' && at(i + 1) == b'\'' {
                    word.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if i + 1 < line.len() && !is_c_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if i >= line.len() {
                    return None;
                } else {
                    word.push(c);
                    i += 1;
                }
            } else if i >= line.len() {
                break;
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => word.push(c),
                }
                i += 1;
            }
        }
        out.push(word);
    }
}

/// Quotes bytes the way Redis quotes command-line option values before appending them to
/// the config text (`sdscatrepr`), so error messages show `port "abc"` like Redis does.
pub fn repr(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// Redis's strict integer parser (`string2ll`), shared with the commands.
pub use crate::util::num::parse_i64 as string2ll;

/// What C `strtoll` reports: the value (saturated on overflow), whether the whole input
/// was consumed, and whether it overflowed. Some Redis parsers (save points, buffer
/// limits, octal permissions) use it and so accept `+5` and leading spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strtoll {
    /// Parsed value, clamped to the i64 range on overflow.
    pub value: i64,
    /// Nothing followed the number (C's `*endptr == '\0'`).
    pub complete: bool,
    /// The number did not fit (C's `errno == ERANGE`).
    pub overflow: bool,
}

/// C `strtoll(s, &end, radix)` for radix 8 or 10 (see [`Strtoll`]).
pub fn strtoll(s: &[u8], radix: u32) -> Strtoll {
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
    let mut mag: u128 = 0;
    let mut overflow = false;
    while i < s.len() {
        let d = match (s[i] as char).to_digit(radix) {
            Some(d) => d,
            None => break,
        };
        mag = mag * u128::from(radix) + u128::from(d);
        if mag > u128::from(u64::MAX) {
            overflow = true;
            mag = u128::from(u64::MAX);
        }
        i += 1;
    }
    if i == start {
        // No digits: C leaves end at the very beginning of the input.
        return Strtoll {
            value: 0,
            complete: s.is_empty(),
            overflow: false,
        };
    }
    let value = if negative {
        if mag > (i64::MAX as u128) + 1 {
            overflow = true;
            i64::MIN
        } else {
            (mag as i128).wrapping_neg() as i64
        }
    } else if mag > i64::MAX as u128 {
        overflow = true;
        i64::MAX
    } else {
        mag as i64
    };
    Strtoll {
        value,
        complete: i == s.len(),
        overflow,
    }
}

/// Redis's memory-value parser (`memtoull`): digits then an optional unit `b`, `k`
/// (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, case-insensitive. A leading `-` is an
/// error. Like Redis, a too-long number saturates and the unit multiplication wraps,
/// and a bare unit (`gb`) is 0: configs that "work" on Redis must work here too.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits_end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let unit = s[digits_end..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits_end >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in &s[..digits_end] {
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX);
    }
    Some(v.wrapping_mul(mul))
}

/// Redis's `string2d` (C `strtod` over the whole input): accepts what strtod accepts,
/// including hexadecimal, but not leading spaces, NaN, or values that over/underflow.
pub fn string2d(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let (sign, body) = match text.as_bytes()[0] {
        b'-' => (-1.0, &text[1..]),
        b'+' => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let v = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        if body.starts_with(['+', '-']) {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        let mantissa = body.split(['e', 'E']).next().unwrap_or("");
        if v == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            return None; // underflow (ERANGE with a zero result)
        }
        v
    };
    if v.is_nan() || (v.is_infinite() && !body.to_ascii_lowercase().starts_with("inf")) {
        return None;
    }
    Some(sign * v)
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find(['p', 'P']) {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(d) => (&mant[..d], &mant[d + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let e: i32 = e.parse().ok()?;
        v *= 2f64.powi(e);
    }
    Some(v)
}

/// Formats a double like C's `%f` followed by Redis's `trimDoubleString` (trailing
/// zeros and dot removed): how percentiles are shown by CONFIG GET.
pub fn format_trimmed_double(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// Redis glob matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes.
/// Public so other Redis-pattern users (KEYS, SCAN MATCH, PSUBSCRIBE) can share it; it
/// keeps Redis's corner cases (an unterminated `[` class runs to the end of the pattern,
/// `\` inside a class compares case-sensitively, `*` never matches an empty subject).
pub fn glob_match(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    let mut give_up = false;
    glob_inner(pattern, subject, nocase, &mut give_up)
}

fn eq_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn glob_inner(p: &[u8], s: &[u8], nocase: bool, give_up: &mut bool) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    while pi < p.len() && si < s.len() {
        match p[pi] {
            b'*' => {
                while pi + 1 < p.len() && p[pi + 1] == b'*' {
                    pi += 1;
                }
                if pi + 1 == p.len() {
                    return true;
                }
                while si < s.len() {
                    if glob_inner(&p[pi + 1..], &s[si..], nocase, give_up) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    si += 1;
                }
                // The rest of the pattern matches nowhere: no longer match for an
                // earlier star can help either.
                *give_up = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                pi += 1;
                let negate = p.get(pi) == Some(&b'^');
                if negate {
                    pi += 1;
                }
                let c = s[si];
                let mut matched = false;
                loop {
                    let rem = p.len().saturating_sub(pi);
                    if rem >= 2 && p[pi] == b'\\' {
                        pi += 1;
                        if p[pi] == c {
                            matched = true;
                        }
                    } else if rem >= 1 && p[pi] == b']' {
                        break;
                    } else if rem == 0 {
                        pi -= 1;
                        break;
                    } else if rem >= 3 && p[pi + 1] == b'-' {
                        let (mut lo, mut hi, mut ch) = (p[pi], p[pi + 2], c);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        if nocase {
                            lo = lo.to_ascii_lowercase();
                            hi = hi.to_ascii_lowercase();
                            ch = ch.to_ascii_lowercase();
                        }
                        pi += 2;
                        if lo <= ch && ch <= hi {
                            matched = true;
                        }
                    } else if eq_byte(p[pi], c, nocase) {
                        matched = true;
                    }
                    pi += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            b'\\' => {
                if p.len() - pi >= 2 {
                    pi += 1;
                }
                if !eq_byte(p[pi], s[si], nocase) {
                    return false;
                }
                si += 1;
            }
            other => {
                if !eq_byte(other, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == s.len() {
            while pi < p.len() && p[pi] == b'*' {
                pi += 1;
            }
            break;
        }
    }
    pi == p.len() && si == s.len()
}

/// The text of an OS error as C's `strerror` gives it (Rust appends " (os error N)",
/// which Redis's messages do not have).
pub fn strerror(err: &std::io::Error) -> String {
    let full = err.to_string();
    match full.rfind(" (os error ") {
        Some(pos) => full[..pos].to_string(),
        None => full,
    }
}
