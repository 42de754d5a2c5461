//! Temporary number helpers (replaced by the full module).

/// Redis's string2ll.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, d) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if d.is_empty() || d[0] == b'0' {
        return None;
    }
    let mut v: i128 = 0;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i128;
        if v > i64::MAX as i128 + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// INCRBYFLOAT parsing.
pub fn parse_long_double(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?;
    if t.is_empty() || t.starts_with(char::is_whitespace) || t.ends_with(char::is_whitespace) {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// INCRBYFLOAT formatting.
pub fn fmt_incrbyfloat(v: f64) -> String {
    format!("{v}")
}

/// %.17g.
pub fn fmt_double(v: f64) -> String {
    format!("{v}")
}
