//! Redis-compatible glob matching (`KEYS`, `SCAN ... MATCH`, `PSUBSCRIBE`,
//! `CONFIG GET`, ACL key patterns, ...).
//!
//! The semantics are those of Redis 7.0's `stringmatchlen()`, including its
//! quirks, because clients observe them:
//!
//! * `*` matches any run of bytes, `?` exactly one byte.
//! * `[...]` is a class: `^` right after `[` negates it, `a-z` is an
//!   inclusive range (reversed ranges such as `z-a` are swapped), `\x`
//!   inside a class matches `x` literally (and case-sensitively even in
//!   `nocase` mode). A range is recognised whenever a byte is followed by `-`
//!   and at least one more byte, so `[a-]` is the range `a`..`]` and the class
//!   then continues. An unterminated class ends at the end of the pattern.
//!   Range bounds compare as C `char` (signed on x86-64, where Redis is
//!   normally built), so bytes >= 0x80 sort *below* ASCII inside ranges,
//!   and in `nocase` mode they pass through glibc's `tolower()`, which maps
//!   them back to 128..=254 except 0xFF. Odd, but observable.
//! * `\x` outside a class matches `x` literally; a trailing `\` matches a
//!   literal backslash.
//! * Case folding (`nocase`) only folds ASCII `A-Z` (C locale `tolower`).
//! * A pattern never matches the empty string unless the pattern is empty
//!   too: `*` does **not** match `""`. Callers that special-case the lone
//!   `*` pattern (as `KEYS` and `SCAN` do) must use [`is_match_all`] first.
//!
//! Redis limits backtracking with its `skipLongerMatches` flag: once the part
//! of the pattern after a `*` fails to match at every remaining offset, no
//! earlier `*` can make it match either. That makes only the most recent `*`
//! a backtracking point, which is what the iterative loop below implements;
//! the cost is therefore O(pattern * string) in the worst case and there is
//! no recursion, so hostile patterns cannot blow up time or stack.

/// Returns true when `pattern` is exactly `*`.
///
/// `KEYS`, `SCAN MATCH` and friends skip matching entirely for this pattern
/// (which is also the only way the empty key is listed by `KEYS *`), so every
/// caller should test it before calling [`glob_match`].
#[inline]
pub fn is_match_all(pattern: &[u8]) -> bool {
    pattern == b"*"
}

/// ASCII-only case folding of a byte, matching C `tolower()` in the "C"
/// locale that Redis runs with for character classification.
#[inline]
fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// C `tolower()` applied to an `int` holding a (signed) C `char`, as glibc
/// does it in the "C" locale: ASCII letters fold, and the negative values
/// -128..=-2 come back as their unsigned byte value (128..=254) while -1
/// (`EOF`) stays -1. Redis's range checks see exactly these values.
#[inline]
fn c_tolower(v: i32) -> i32 {
    match v {
        -128..=-2 => v + 256,
        65..=90 => v + 32,
        _ => v,
    }
}

/// Matches one `[...]` class starting at `pattern[open]` (the `[`) against
/// byte `c`. Returns whether it matched and the index of the last pattern
/// byte that belongs to the class (its `]`, or the final byte of the pattern
/// when the class is unterminated).
fn match_class(pattern: &[u8], open: usize, c: u8, nocase: bool) -> (bool, usize) {
    let plen = pattern.len();
    let mut q = open + 1;
    let negate = pattern.get(q) == Some(&b'^');
    if negate {
        q += 1;
    }
    let mut matched = false;
    loop {
        let rem = plen - q;
        let cur = pattern.get(q).copied();
        if cur == Some(b'\\') && rem >= 2 {
            // Escaped byte: always compared exactly, even with nocase.
            q += 1;
            if pattern[q] == c {
                matched = true;
            }
        } else if cur == Some(b']') {
            break;
        } else if rem == 0 {
            // Unterminated class: the class consumed the rest of the pattern.
            q -= 1;
            break;
        } else if rem >= 3 && pattern[q + 1] == b'-' {
            let mut start = i32::from(pattern[q] as i8);
            let mut end = i32::from(pattern[q + 2] as i8);
            if start > end {
                std::mem::swap(&mut start, &mut end);
            }
            // Redis folds the bounds *after* ordering them, so e.g. `[Z-a]`
            // matches nothing in nocase mode; keep that behaviour.
            let mut cv = i32::from(c as i8);
            if nocase {
                start = c_tolower(start);
                end = c_tolower(end);
                cv = c_tolower(cv);
            }
            if cv >= start && cv <= end {
                matched = true;
            }
            q += 2;
        } else if fold(pattern[q], nocase) == fold(c, nocase) {
            matched = true;
        }
        q += 1;
    }
    (matched != negate, q)
}

/// Glob-style match of `string` against `pattern` with exactly the
/// semantics (and quirks) of Redis 7.0 `stringmatchlen()`; see the module
/// documentation. `nocase` folds ASCII letters, as `CONFIG GET` and
/// `COMMAND LIST FILTERBY PATTERN` do.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if too_many_stars(pattern) {
        return false;
    }
    let plen = pattern.len();
    let slen = string.len();
    let mut p = 0usize;
    let mut s = 0usize;
    // Most recent `*`: pattern index right after it and the string offset the
    // rest of the pattern was last tried at. Earlier stars are never retried
    // (Redis's skipLongerMatches rule).
    let mut star: Option<(usize, usize)> = None;

    loop {
        let mut failed = false;
        while p < plen && s < slen {
            let c = string[s];
            match pattern[p] {
                b'*' => {
                    while p + 1 < plen && pattern[p + 1] == b'*' {
                        p += 1;
                    }
                    if p + 1 == plen {
                        return true;
                    }
                    p += 1;
                    star = Some((p, s));
                    continue;
                }
                b'?' => {}
                b'[' => {
                    let (ok, last) = match_class(pattern, p, c, nocase);
                    if !ok {
                        failed = true;
                        break;
                    }
                    p = last;
                }
                b'\\' if p + 1 < plen => {
                    p += 1;
                    if fold(pattern[p], nocase) != fold(c, nocase) {
                        failed = true;
                        break;
                    }
                }
                other => {
                    if fold(other, nocase) != fold(c, nocase) {
                        failed = true;
                        break;
                    }
                }
            }
            p += 1;
            s += 1;
            if s == slen {
                while p < plen && pattern[p] == b'*' {
                    p += 1;
                }
                break;
            }
        }
        if !failed && p == plen && s == slen {
            return true;
        }
        // The rest of the pattern failed at this offset: retry it one byte
        // further along, as long as bytes remain (Redis never retries it
        // against the empty remainder, which could not match anyway).
        match star {
            Some((sp, ss)) if ss + 1 < slen => {
                star = Some((sp, ss + 1));
                p = sp;
                s = ss + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, string, nocase, expected). Expected values were obtained
    /// from redis-server 7.0.15: case-sensitive rows via `SET key` +
    /// `KEYS pattern` (so the lone `*` goes through the `is_match_all` fast
    /// path as in Redis), nocase rows via `FUNCTION LIST LIBRARYNAME pattern`.
    const ORACLE: &[(&[u8], &[u8], bool, bool)] = &[
        (b"*", b"", false, true),
        (b"**", b"", false, false),
        (b"", b"", false, true),
        (b"", b"a", false, false),
        (b"?", b"", false, false),
        (b"h?llo", b"hello", false, true),
        (b"h*llo", b"hllo", false, true),
        (b"h[ae]llo", b"hallo", false, true),
        (b"h[ae]llo", b"hillo", false, false),
        (b"h[^e]llo", b"hello", false, false),
        (b"h[^e]llo", b"hallo", false, true),
        (b"h[a-b]llo", b"hbllo", false, true),
        (b"h[b-a]llo", b"hallo", false, true),
        (b"[a-]", b"]", false, true),
        (b"[a-]", b"-", false, false),
        (b"[a-]", b"b", false, false),
        (b"[a-]", b"^", false, true),
        (b"[a-]", b"a", false, true),
        (b"[]", b"]", false, false),
        (b"[]a]", b"a", false, false),
        (b"[]a]", b"]", false, false),
        (b"[]a]", b"a]", false, false),
        (b"[^]", b"x", false, true),
        (b"[^]x", b"]x", false, true),
        (b"[", b"[", false, false),
        (b"[", b"a", false, false),
        (b"a[", b"a", false, false),
        (b"a[", b"a[", false, false),
        (b"[^", b"x", false, true),
        (b"[^", b"^", false, true),
        (b"x[^", b"xy", false, true),
        (b"x[^", b"x", false, false),
        (b"[abc", b"a", false, true),
        (b"[abc", b"c", false, true),
        (b"[abc", b"d", false, false),
        (b"[a-", b"a", false, true),
        (b"[a-", b"-", false, true),
        (b"[a-", b"b", false, false),
        (b"\x5c", b"\x5c", false, true),
        (b"a\x5c", b"a\x5c", false, true),
        (b"\x5c*", b"*", false, true),
        (b"\x5c*", b"a", false, false),
        (b"\x5c?", b"?", false, true),
        (b"\x5c?", b"x", false, false),
        (b"\x5c[a]", b"[a]", false, true),
        (b"\x5c\x5c", b"\x5c", false, true),
        (b"[\x5c]]", b"]", false, true),
        (b"[\x5c", b"\x5c", false, true),
        (b"[\x5c]", b"]", false, true),
        (b"[\x5c]", b"\x5c", false, false),
        (b"[a\x5c-z]", b"-", false, true),
        (b"[a\x5c-z]", b"b", false, false),
        (b"[a\x5c-z]", b"z", false, true),
        (b"*a*b*c", b"xaybzc", false, true),
        (b"*a*b*c", b"xaybzcd", false, false),
        (b"*a", b"a", false, true),
        (b"a*", b"a", false, true),
        (b"*a*", b"bab", false, true),
        (b"a*a", b"a", false, false),
        (b"a*a", b"aa", false, true),
        (b"*?", b"", false, false),
        (b"?*", b"a", false, true),
        (b"*?*?", b"a", false, false),
        (b"*?*?", b"ab", false, true),
        (b"a**b", b"ab", false, true),
        (b"***", b"x", false, true),
        (
            b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            false,
            false,
        ),
        (
            b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
            false,
            true,
        ),
        (b"[\x80-\xff]", b"\x90", false, true),
        (b"[a-\xff]", b"b", false, false),
        (b"[a-\xff]", b"\x00", false, true),
        (b"[a-\xff]", b"\xff", false, true),
        (b"[\x01-\x7f]", b"\x80", false, false),
        (b"h\x5cello", b"hello", false, true),
        (b"caf?", b"caf\xc3\xa9", false, false),
        (b"caf??", b"caf\xc3\xa9", false, true),
        (b"*[", b"ab[", false, false),
        (b"*[a", b"xa", false, true),
        (b"[[]", b"[", false, true),
        (b"[*]", b"a", false, false),
        (b"[?]", b"?", false, true),
        (b"[?]", b"a", false, false),
        (b"user:*:name", b"user:42:name", false, true),
        (b"user:*:name", b"user:42:age", false, false),
        (b"*:*", b"a:b:c", false, true),
        (b"[0-9]*", b"7x", false, true),
        (b"[^0-9]*", b"7x", false, false),
        (b"[-a]", b"-", false, true),
        (b"[a-c-e]", b"d", false, false),
        (b"[a-c-e]", b"-", false, true),
        (b"[z-a]", b"m", false, true),
        (b"a?b", b"a\x00b", false, true),
        (b"\x00*", b"\x00x", false, true),
        (b"[\x00-a]", b"\x00", false, true),
        (b"*\x5c", b"a\x5c", false, true),
        (b"?\x5c", b"a\x5c", false, true),
        (b"[ab]*[cd]", b"acd", false, true),
        (b"[^ab]*", b"a", false, false),
        (b"*****a", b"a", false, true),
        (b"a*****", b"a", false, true),
        (b"*b*", b"ab", false, true),
        (b"*a?", b"ab", false, true),
        (b"*a?", b"a", false, false),
        (b"?*?", b"ab", false, true),
        (b"?*?", b"a", false, false),
        (b"hello", b"Hello", true, true),
        (b"HELLO", b"Hello", true, true),
        (b"h[A-F]llo", b"Hello", true, true),
        (b"h[a-f]LLO", b"Hello", true, true),
        (b"[Z-a]*", b"abc_Z", true, false),
        (b"[a-Z]*", b"abc_Z", true, false),
        (b"[^Z-a]*", b"abc_Z", true, true),
        (b"\x5cH*", b"Hello", true, true),
        (b"\x5ch*", b"Hello", true, true),
        (b"[\x5ch]*", b"Hello", true, false),
        (b"[\x5cH]*", b"Hello", true, true),
        (b"*_z", b"abc_Z", true, true),
        (b"*_[y-z]", b"abc_Z", true, true),
        (b"*_[Y-Z]", b"abc_Z", true, true),
        (b"LIB?", b"lib9", true, true),
        (b"lib[0-9]", b"lib9", true, true),
        (b"[G-I]ello", b"Hello", true, true),
        (b"[g-i]ello", b"Hello", true, true),
        (b"[^h]ello", b"Hello", true, false),
        (b"[^H]ello", b"Hello", true, false),
        (b"[_-a]bc_z", b"abc_Z", true, true),
        (b"[A-_]bc_z", b"abc_Z", true, false),
    ];

    #[test]
    fn oracle_table() {
        for &(pattern, string, nocase, expected) in ORACLE {
            let got = is_match_all(pattern) || glob_match(pattern, string, nocase);
            assert_eq!(
                got,
                expected,
                "pattern {:?} string {:?} nocase {}",
                String::from_utf8_lossy(pattern),
                String::from_utf8_lossy(string),
                nocase
            );
        }
    }

    #[test]
    fn lone_star_does_not_match_empty_without_fast_path() {
        assert!(is_match_all(b"*"));
        assert!(!is_match_all(b"**"));
        assert!(!glob_match(b"*", b"", false));
        assert!(glob_match(b"*", b"x", false));
    }

    #[test]
    fn pathological_patterns_finish_fast() {
        let mut pattern = Vec::new();
        for _ in 0..2000 {
            pattern.extend_from_slice(b"*a");
        }
        pattern.push(b'b');
        let string = vec![b'a'; 100_000];
        assert!(!glob_match(&pattern, &string, false));
        assert!(!glob_match(&pattern, &string, true));
        // Past 1000 nested stars Redis reports no match even where one exists.
        let mut with_b = string.clone();
        with_b.push(b'b');
        assert!(!glob_match(&pattern, &with_b, false));
        let short: Vec<u8> = b"*a".repeat(500).into_iter().chain(*b"b").collect();
        assert!(glob_match(&short, &with_b, false));
    }

    #[test]
    fn huge_pattern_no_stack_overflow() {
        let pattern = b"*?".repeat(1 << 20);
        let string = vec![b'x'; 1 << 20];
        assert!(!glob_match(&pattern, &string, false));
        let pattern = b"?".repeat(1 << 20);
        assert!(glob_match(&pattern, &string, false));
        assert!(!glob_match(&pattern, &string[1..], false));
    }
}

/// Redis 7.0.15 (Debian's security update) gives up on patterns whose `*`
/// groups would nest more than 1000 recursive calls (`nesting > 1000`), and
/// reports no match. A `*` group at the very end of the pattern matches
/// without recursing, so it doesn't count.
fn too_many_stars(pattern: &[u8]) -> bool {
    let mut groups = 0usize;
    let mut p = 0;
    while p < pattern.len() {
        match pattern[p] {
            b'\\' => p += 1,
            b'[' => {
                p += 1;
                while p < pattern.len() && pattern[p] != b']' {
                    if pattern[p] == b'\\' {
                        p += 1;
                    }
                    p += 1;
                }
            }
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 < pattern.len() {
                    groups += 1;
                }
            }
            _ => {}
        }
        p += 1;
    }
    groups > 1000
}

#[cfg(test)]
mod nesting_tests {
    #[test]
    fn deep_star_nesting_never_matches() {
        let key = vec![b'a'; 5000];
        assert!(!super::glob_match(&b"*?".repeat(5000), &key, false));
        assert!(super::glob_match(&b"*?".repeat(100), &key, false));
        assert!(super::glob_match(&b"a*".repeat(900), &key[..1500], false));
        assert!(!super::glob_match(&b"a*".repeat(1500), &key[..1500], false));
    }
}
