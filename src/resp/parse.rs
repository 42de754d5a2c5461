//! Incremental request parser.
//!
//! A connection appends whatever the socket gives it to its query buffer and
//! asks the parser for the next complete command. The parser keeps its
//! position inside a partially received multibulk request, so a command with a
//! million arguments or a 500 MB argument arriving in many reads is scanned
//! once, never re-parsed from its start (which would be quadratic).
//!
//! Multibulk arguments are returned as byte ranges into the query buffer: the
//! hot path never copies an argument. Inline commands (`PING\r\n` typed into
//! telnet) need quote and escape processing, so their arguments are owned.
//!
//! Limits and error texts follow Redis 7.0: a header line without `\r\n` after
//! 64 KiB, a multibulk count above `i32::MAX`, a bulk length above
//! `proto-max-bulk-len`, and an unauthenticated client sending more than 10
//! arguments or a bulk above 16 KiB are protocol errors that close the
//! connection.

use std::ops::Range;

/// Longest inline request or header line accepted before giving up on a client
/// that never sends a newline.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// Bulk arguments at least this large are read into a buffer sized for them,
/// so that they are received without repeated reallocation.
pub const BIG_ARG: usize = 32 * 1024;

/// A protocol violation. The text is what Redis replies (after `-ERR `) before
/// closing the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

/// One complete request.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A multibulk request: argument ranges into the buffer given to `parse`.
    Multibulk,
    /// An inline request with its (unescaped) arguments.
    Inline(Vec<Vec<u8>>),
    /// An empty request (`*0\r\n`, `*-1\r\n` or a blank line): nothing to run.
    Empty,
}

/// Parser state for one connection.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Offset in the buffer where the current request starts.
    start: usize,
    /// Offset where scanning resumes.
    pos: usize,
    /// Offset where the request last returned (or being read) starts.
    last_start: usize,
    /// Arguments still to read in the current multibulk request (0: none open).
    pending_args: usize,
    /// Length of the bulk being read, once its header was seen.
    bulk_len: Option<usize>,
    /// Ranges of the arguments read so far.
    args: Vec<Range<usize>>,
}

/// Per-call settings that depend on server configuration and client state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: usize,
    /// The client has not authenticated while a password is required.
    pub unauthenticated: bool,
}

impl RequestParser {
    /// Offset of the first byte not yet consumed by a returned command.
    pub fn consumed(&self) -> usize {
        self.start
    }

    /// Argument ranges of the multibulk command last returned.
    pub fn args(&self) -> &[Range<usize>] {
        &self.args
    }

    /// The bulk length being waited for, with the bytes of it still missing,
    /// so the reader can size the buffer for one big read.
    pub fn awaiting_bulk(&self, filled: usize) -> Option<usize> {
        let len = self.bulk_len?;
        if len < BIG_ARG {
            return None;
        }
        Some((self.pos + len + 2).saturating_sub(filled))
    }

    /// Un-consumes the request last returned, so it is parsed and run again
    /// later (its connection was parked on a contended lock).
    pub fn rewind(&mut self) {
        self.start = self.last_start;
        self.pos = self.start;
        self.pending_args = 0;
        self.bulk_len = None;
        self.args.clear();
    }

    /// Forget the consumed prefix of the buffer after the caller removed its
    /// first `n` bytes.
    pub fn shift(&mut self, n: usize) {
        debug_assert!(n <= self.start);
        self.start -= n;
        self.pos -= n;
        self.last_start = self.last_start.saturating_sub(n);
        for r in &mut self.args {
            *r = (r.start - n)..(r.end - n);
        }
    }

    /// Parse the next complete request from `buf`, starting where the last one
    /// ended. `Ok(None)` means more bytes are needed.
    pub fn parse(&mut self, buf: &[u8], limits: Limits) -> Result<Option<Parsed>, ProtocolError> {
        if self.pending_args == 0 {
            self.args.clear();
            self.pos = self.start;
            self.last_start = self.start;
            if self.start >= buf.len() {
                return Ok(None);
            }
            if buf[self.start] != b'*' {
                return self.parse_inline(buf);
            }
            let Some((line, next)) = find_line(buf, self.start + 1) else {
                if buf.len() - self.start > INLINE_MAX_SIZE {
                    return Err(proto("too big mbulk count string"));
                }
                return Ok(None);
            };
            let count = match crate::util::num::parse_i64(line) {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(proto("invalid multibulk length")),
            };
            if count > 10 && limits.unauthenticated {
                return Err(proto("unauthenticated multibulk length"));
            }
            self.pos = next;
            if count <= 0 {
                self.start = next;
                return Ok(Some(Parsed::Empty));
            }
            self.pending_args = count as usize;
            self.args.reserve(self.pending_args.min(1024));
        }
        while self.pending_args > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some((line, next)) = find_line(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_MAX_SIZE {
                            return Err(proto("too big bulk count string"));
                        }
                        return Ok(None);
                    };
                    if line.first() != Some(&b'$') {
                        let got = buf.get(self.pos).copied().unwrap_or(b'?') as char;
                        return Err(ProtocolError(format!(
                            "Protocol error: expected '$', got '{got}'"
                        )));
                    }
                    let len = match crate::util::num::parse_i64(&line[1..]) {
                        Some(n) if n >= 0 && n as u64 <= limits.max_bulk_len as u64 => n as usize,
                        _ => return Err(proto("invalid bulk length")),
                    };
                    if len > 16384 && limits.unauthenticated {
                        return Err(proto("unauthenticated bulk length"));
                    }
                    self.pos = next;
                    self.bulk_len = Some(len);
                    len
                }
            };
            // The two bytes after the payload are skipped unchecked, as Redis does.
            if buf.len() - self.pos < len + 2 {
                return Ok(None);
            }
            self.args.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.bulk_len = None;
            self.pending_args -= 1;
        }
        self.start = self.pos;
        Ok(Some(Parsed::Multibulk))
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<Option<Parsed>, ProtocolError> {
        let rest = &buf[self.start..];
        // Redis searches with strchr, which stops at a NUL byte: a line with
        // a NUL before its newline waits for more input (until too big).
        let searchable = &rest[..memchr(0, rest).unwrap_or(rest.len())];
        let Some(nl) = memchr(b'\n', searchable) else {
            if rest.len() > INLINE_MAX_SIZE {
                return Err(proto("too big inline request"));
            }
            return Ok(None);
        };
        let line_end = if nl > 0 && rest[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let line = &rest[..line_end];
        let args = split_args(line).ok_or_else(|| proto("unbalanced quotes in request"))?;
        self.start += nl + 1;
        self.pos = self.start;
        if args.is_empty() {
            return Ok(Some(Parsed::Empty));
        }
        Ok(Some(Parsed::Inline(args)))
    }
}

fn proto(msg: &str) -> ProtocolError {
    ProtocolError(format!("Protocol error: {msg}"))
}

/// Finds the line starting at `from` that ends in `\r\n`: the line's bytes
/// (without the terminator) and the offset after it. Like Redis, it looks for
/// the first `\r` and needs one more byte after it.
fn find_line(buf: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(from..)?;
    let cr = memchr(b'\r', rest)?;
    if cr + 1 >= rest.len() {
        return None;
    }
    Some((&rest[..cr], from + cr + 2))
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Splits an inline request into arguments with the quoting rules of
/// `redis-cli` and `redis.conf`: `"..."` with `\n \r \t \b \a \\ \" \xHH`
/// escapes, `'...'` with `\'`, and a closing quote that must be followed by
/// a space or the end. Returns `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' {
                    if let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3])) {
                        cur.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
                i += 1;
            } else if in_sq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    cur.push(b'\'');
                    i += 2;
                    continue;
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                }
                cur.push(c);
                i += 1;
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
                i += 1;
            }
        }
        args.push(cur);
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        unauthenticated: false,
    };

    fn args_of(p: &RequestParser, buf: &[u8]) -> Vec<Vec<u8>> {
        p.args().iter().map(|r| buf[r.clone()].to_vec()).collect()
    }

    #[test]
    fn multibulk_in_pieces() {
        let full = b"*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n";
        for cut in 0..full.len() {
            let mut p = RequestParser::default();
            assert_eq!(p.parse(&full[..cut], LIM), Ok(None), "cut {cut}");
            assert_eq!(p.parse(full, LIM), Ok(Some(Parsed::Multibulk)));
            assert_eq!(args_of(&p, full), vec![b"GET".to_vec(), b"hello".to_vec()]);
            assert_eq!(p.consumed(), full.len());
        }
    }

    #[test]
    fn pipelined_and_shift() {
        let buf = b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI";
        let mut p = RequestParser::default();
        assert_eq!(p.parse(buf, LIM), Ok(Some(Parsed::Multibulk)));
        assert_eq!(p.parse(buf, LIM), Ok(None));
        let consumed = p.consumed();
        p.shift(consumed);
        let rest = b"*1\r\n$4\r\nPING\r\n";
        assert_eq!(p.parse(rest, LIM), Ok(Some(Parsed::Multibulk)));
        assert_eq!(args_of(&p, rest), vec![b"PING".to_vec()]);
    }

    #[test]
    fn inline_commands() {
        let mut p = RequestParser::default();
        let buf = b"set k \"a b\\x41\"\r\n\r\nping\n";
        assert_eq!(
            p.parse(buf, LIM),
            Ok(Some(Parsed::Inline(vec![
                b"set".to_vec(),
                b"k".to_vec(),
                b"a bA".to_vec()
            ])))
        );
        assert_eq!(p.parse(buf, LIM), Ok(Some(Parsed::Empty)));
        assert_eq!(
            p.parse(buf, LIM),
            Ok(Some(Parsed::Inline(vec![b"ping".to_vec()])))
        );
        assert_eq!(p.parse(buf, LIM), Ok(None));
    }

    #[test]
    fn protocol_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"*abc\r\n", "Protocol error: invalid multibulk length"),
            (
                b"*3000000000\r\n",
                "Protocol error: invalid multibulk length",
            ),
            (b"*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'"),
            (b"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"),
            (
                b"*1\r\n$999999999999\r\n",
                "Protocol error: invalid bulk length",
            ),
            (
                b"set \"x\r\n",
                "Protocol error: unbalanced quotes in request",
            ),
            (
                b"set \"x\"y\r\n",
                "Protocol error: unbalanced quotes in request",
            ),
            (b"*01\r\n", "Protocol error: invalid multibulk length"),
            (
                b"*1\r\n$04\r\nPING\r\n",
                "Protocol error: invalid bulk length",
            ),
        ];
        for (input, err) in cases {
            let mut p = RequestParser::default();
            assert_eq!(
                p.parse(input, LIM),
                Err(ProtocolError(err.to_string())),
                "{input:?}"
            );
        }
        let mut p = RequestParser::default();
        let big = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert!(p.parse(&big, LIM).is_err());
        let unauth = Limits {
            unauthenticated: true,
            ..LIM
        };
        assert_eq!(
            RequestParser::default().parse(b"*11\r\n", unauth),
            Err(ProtocolError(
                "Protocol error: unauthenticated multibulk length".into()
            ))
        );
    }

    #[test]
    fn inline_line_stops_at_nul() {
        // Redis's strchr doesn't see a newline past a NUL: wait for more.
        assert_eq!(RequestParser::default().parse(b"PI\0NG\r\n", LIM), Ok(None));
    }

    #[test]
    fn empty_multibulk_is_skipped() {
        let mut p = RequestParser::default();
        let buf = b"*0\r\n*-1\r\n";
        assert_eq!(p.parse(buf, LIM), Ok(Some(Parsed::Empty)));
        assert_eq!(p.parse(buf, LIM), Ok(Some(Parsed::Empty)));
        assert_eq!(p.parse(buf, LIM), Ok(None));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data: Vec<u8>) {
            let mut p = RequestParser::default();
            for _ in 0..64 {
                match p.parse(&data, LIM) {
                    Ok(Some(_)) => continue,
                    _ => break,
                }
            }
        }

        #[test]
        fn roundtrip(args in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 1..8), cut in 0usize..400) {
            let mut buf = format!("*{}\r\n", args.len()).into_bytes();
            for a in &args {
                buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                buf.extend_from_slice(a);
                buf.extend_from_slice(b"\r\n");
            }
            let mut p = RequestParser::default();
            let cut = cut.min(buf.len());
            if cut < buf.len() {
                proptest::prop_assert_eq!(p.parse(&buf[..cut], LIM), Ok(None));
            }
            proptest::prop_assert_eq!(p.parse(&buf, LIM), Ok(Some(Parsed::Multibulk)));
            proptest::prop_assert_eq!(args_of(&p, &buf), args);
        }
    }
}
