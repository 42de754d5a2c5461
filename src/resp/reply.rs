//! Reply encoding into a connection's output buffer.
//!
//! Handlers describe replies by type (bulk, integer, map, null...) and
//! [`ReplyBuf`] writes the bytes for the protocol version the client chose
//! with `HELLO`: a RESP3 map is a RESP2 flat array of twice the length, a
//! RESP3 null is `$-1` or `*-1` in RESP2, and so on. Writing straight into the
//! buffer that is flushed once per batch keeps a pipelined reply to one
//! `write` call and no intermediate allocation.

/// The output buffer of one connection and the protocol it speaks.
#[derive(Debug, Default)]
pub struct ReplyBuf {
    /// Encoded replies waiting to be written to the socket.
    pub buf: Vec<u8>,
    /// The client negotiated RESP3 with `HELLO 3`.
    pub resp3: bool,
}

impl ReplyBuf {
    /// A buffer for a client speaking RESP2 until it says otherwise.
    pub fn new() -> Self {
        ReplyBuf {
            buf: Vec::with_capacity(1024),
            resp3: false,
        }
    }

    /// A RESP2 array of bulk strings on its own (a Pub/Sub frame or an
    /// invalidation payload built once and shared by many connections).
    pub fn bulk_array(parts: &[&[u8]]) -> Vec<u8> {
        let mut r = ReplyBuf {
            buf: Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>()),
            resp3: false,
        };
        r.array(parts.len());
        for p in parts {
            r.bulk(p);
        }
        r.buf
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A status reply such as `+PONG`. The text must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `msg` carries its code (`ERR ...`, `WRONGTYPE ...`);
    /// newlines are replaced by spaces so the protocol can't be broken.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(msg.as_bytes());
        for b in &mut self.buf[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer reply.
    pub fn int(&mut self, v: i64) {
        self.buf.push(b':');
        self.push_num(v);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string reply.
    pub fn bulk(&mut self, data: &[u8]) {
        self.buf.push(b'$');
        self.push_num(data.len() as i64);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk reply of an integer's decimal form (GET of an `int` string).
    pub fn bulk_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(v).as_bytes());
    }

    /// The null of a missing bulk string: `$-1` or RESP3 `_`.
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null of a missing array: `*-1` or RESP3 `_`.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// The header of an array of `n` elements.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n);
    }

    /// The header of a map of `n` key/value pairs (a flat array in RESP2).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n);
        } else {
            self.header(b'*', n * 2);
        }
    }

    /// The header of a set of `n` elements (an array in RESP2).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n);
    }

    /// The header of an out-of-band push message (an array in RESP2).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n);
    }

    /// A boolean: RESP3 `#t`/`#f`, RESP2 integer 1/0.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A double: RESP3 `,` type, RESP2 bulk string, both in `%.17g` form.
    pub fn double(&mut self, v: f64) {
        let s = crate::util::num::fmt_double(v);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A verbatim string (`=` in RESP3, bulk in RESP2), used by INFO and
    /// CLIENT LIST/INFO so RESP3 clients show them as text.
    pub fn verbatim(&mut self, data: &[u8]) {
        if self.resp3 {
            self.buf.push(b'=');
            self.push_num(data.len() as i64 + 4);
            self.buf.extend_from_slice(b"\r\ntxt:");
            self.buf.extend_from_slice(data);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(data);
        }
    }

    /// A verbatim string with its 3-letter format (scripts choose it); the
    /// format is padded or cut to 3 bytes as the protocol requires.
    pub fn verbatim_with(&mut self, format: &[u8], data: &[u8]) {
        if !self.resp3 {
            return self.bulk(data);
        }
        let mut fmt = [b' '; 3];
        for (d, s) in fmt.iter_mut().zip(format) {
            *d = *s;
        }
        self.buf.push(b'=');
        self.push_num(data.len() as i64 + 4);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(&fmt);
        self.buf.push(b':');
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A big number: RESP3 `(` type, RESP2 bulk string.
    pub fn big_number(&mut self, digits: &[u8]) {
        if !self.resp3 {
            return self.bulk(digits);
        }
        self.buf.push(b'(');
        self.buf.extend_from_slice(digits);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Bytes already encoded as RESP (shared constant replies).
    pub fn raw(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    fn header(&mut self, tag: u8, n: usize) {
        self.buf.push(tag);
        self.push_num(n as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn push_num(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_shapes() {
        let mut r = ReplyBuf::new();
        r.map(2);
        r.null();
        r.null_array();
        r.boolean(true);
        r.error("ERR bad\r\nthing");
        assert_eq!(r.buf, b"*4\r\n$-1\r\n*-1\r\n:1\r\n-ERR bad  thing\r\n");
        let mut r = ReplyBuf {
            resp3: true,
            ..ReplyBuf::new()
        };
        r.map(2);
        r.null();
        r.boolean(false);
        r.verbatim(b"hi");
        assert_eq!(r.buf, b"%2\r\n_\r\n#f\r\n=6\r\ntxt:hi\r\n");
    }
}
