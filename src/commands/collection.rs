//! Pieces shared by the collection families: HSCAN/SSCAN/ZSCAN argument
//! parsing, random sampling with counts (HRANDFIELD, SRANDMEMBER,
//! ZRANDMEMBER, SPOP) and the guard that keeps huge random replies from
//! taking the server's memory.

use super::{Args, CmdError};
use crate::util::glob::glob_match;
use crate::util::num::{self, NumError};

/// HSCAN/SSCAN/ZSCAN options.
pub struct ScanOpts<'a> {
    /// Cursor from the client.
    pub cursor: u64,
    /// MATCH pattern.
    pub pattern: Option<&'a [u8]>,
    /// COUNT: how many elements to aim for (Redis's hint, default 10).
    pub count: usize,
}

impl ScanOpts<'_> {
    /// True if `item` passes the MATCH filter.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, item, false))
    }
}

/// The reply of a scan over a missing key: cursor 0, no elements. Redis
/// sends it right after checking the cursor, before reading the options.
pub fn empty_scan(out: &mut crate::resp::ReplyBuf) {
    out.array(2);
    out.bulk(b"0");
    out.array(0);
}

/// Parses `key cursor [MATCH pattern] [COUNT count]` (COUNT only validated:
/// a compact encoding is returned whole, a table one bucket walk per call).
pub fn parse_scan<'a>(args: &Args<'a>) -> Result<ScanOpts<'a>, CmdError> {
    let cursor = num::parse_scan_cursor(args.get(2))?;
    let mut pattern = None;
    let mut count = 10usize;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "COUNT") && more {
            let c = args.int(i + 1)?;
            if c < 1 {
                return Err(CmdError::Syntax);
            }
            count = c as usize;
        } else if args.is(i, "MATCH") && more {
            let p = args.get(i + 1);
            // Redis skips matching entirely for the "*" pattern.
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(ScanOpts {
        cursor,
        pattern,
        count,
    })
}

/// Runs `step` (one bucket walk from a cursor, returning the next cursor and
/// how many elements it reported) the way Redis's `scanGenericCommand`
/// loops `dictScan`: until about `count` elements or `count * 10` steps,
/// or the end. Returns the cursor to give back.
pub fn scan_loop(opts: &ScanOpts<'_>, mut step: impl FnMut(u64) -> (u64, usize)) -> u64 {
    let mut cursor = opts.cursor;
    let mut found = 0usize;
    let mut iterations = opts.count.saturating_mul(10);
    loop {
        let (next, n) = step(cursor);
        cursor = next;
        found += n;
        iterations -= 1;
        if cursor == 0 || found >= opts.count || iterations == 0 {
            return cursor;
        }
    }
}

/// LMPOP/BLMPOP/ZMPOP/BZMPOP arguments from `numkeys` at index `at`:
/// `numkeys key... <first|second> [COUNT n]`, with Redis's errors. Returns
/// the keys, true for the `first` side word (LEFT, MIN), and the count.
pub fn parse_mpop<'a>(
    args: &Args<'a>,
    at: usize,
    first: &str,
    second: &str,
) -> Result<(Vec<&'a [u8]>, bool, usize), CmdError> {
    let numkeys = args
        .int(at)
        .map_err(|_| CmdError::err("numkeys should be greater than 0"))?;
    if numkeys <= 0 {
        return Err(CmdError::err("numkeys should be greater than 0"));
    }
    let where_idx = (at as u64).saturating_add(numkeys as u64).saturating_add(1);
    if where_idx >= args.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let w = where_idx as usize;
    let side = if args.is(w, first) {
        true
    } else if args.is(w, second) {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = None;
    let mut j = w + 1;
    while j < args.len() {
        if count.is_none() && args.is(j, "count") && j + 1 < args.len() {
            let c = args
                .int(j + 1)
                .map_err(|_| CmdError::err("count should be greater than 0"))?;
            if c <= 0 {
                return Err(CmdError::err("count should be greater than 0"));
            }
            count = Some(c as usize);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((
        (at + 1..w).map(|i| args.get(i)).collect(),
        side,
        count.unwrap_or(1),
    ))
}

/// Parses a random-pick count (`-LONG_MAX..=LONG_MAX`, Redis's range).
pub fn parse_count(args: &Args<'_>, i: usize) -> Result<i64, CmdError> {
    let c = args.int(i)?;
    if c == i64::MIN {
        return Err(NumError::OutOfRangeBetween {
            min: -i64::MAX,
            max: i64::MAX,
        }
        .into());
    }
    Ok(c)
}

/// Most elements a random-pick reply may hold. Redis 7.0 builds whatever
/// `SRANDMEMBER s -9223372036854775807` asks for until the kernel kills it;
/// Ferrite refuses replies of more than this many elements instead (a
/// quarter of a billion, several GB of reply) and keeps serving.
pub const MAX_RANDOM_REPLY: u64 = 1 << 28;

/// The error for a random-pick count past [`MAX_RANDOM_REPLY`].
pub fn reply_too_large() -> CmdError {
    CmdError::err(format!(
        "count is too large: the reply would hold more than {MAX_RANDOM_REPLY} elements"
    ))
}

/// Indices into `0..n` for a random pick of `count` (Redis semantics: a
/// positive count gives distinct elements, all of them if `count >= n`,
/// in iteration order then; a negative one `|count|` independent picks).
pub fn pick_indices(n: usize, count: i64) -> Vec<usize> {
    if n == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        let k = count.unsigned_abs() as usize;
        return (0..k).map(|_| crate::util::rand::below(n)).collect();
    }
    let k = count as usize;
    if k >= n {
        return (0..n).collect();
    }
    // Partial Fisher-Yates over the index space.
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + crate::util::rand::below(n - i);
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx
}

#[cfg(test)]
mod tests {
    use super::pick_indices;

    #[test]
    fn picks_follow_the_count_rules() {
        assert!(pick_indices(0, 5).is_empty());
        assert_eq!(pick_indices(3, 10), vec![0, 1, 2]);
        let mut d = pick_indices(10, 4);
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 4);
        let r = pick_indices(2, -50);
        assert_eq!(r.len(), 50);
        assert!(r.iter().all(|&i| i < 2));
    }
}
