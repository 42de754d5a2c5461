//! A mutable listpack: the compact blob Redis 7.0 keeps small hashes, sorted
//! sets and every quicklist (list) node in.
//!
//! # Why this exact format
//!
//! The in-memory layout is byte-for-byte the one Redis uses:
//!
//! ```text
//! total_bytes:u32le  num_elements:u16le  entry*  0xFF
//! entry = encoding+data  backlen
//! ```
//!
//! `backlen` is the size of `encoding+data` written as a reversed varint of
//! 1–5 bytes, so the list can be walked from either end. Keeping Redis's
//! format (instead of, say, a `Vec<Vec<u8>>`) buys two things:
//!
//! * **Memory.** A 10-byte element costs 12 bytes instead of a 24-byte `Vec`
//!   header plus a separate heap allocation. Small collections are the common
//!   case, so this dominates a server's footprint.
//! * **Persistence for free.** RDB files and `DUMP` payloads embed listpacks
//!   verbatim, so a value can be saved by copying [`Listpack::as_bytes`] and
//!   loaded with [`Listpack::from_bytes`] (after full validation) without
//!   re-encoding. For that the choice of entry encoding must match Redis
//!   exactly: a byte string is stored as an integer precisely when Redis's
//!   `lpStringToInt64` would accept it (canonical decimal that fits `i64`),
//!   and integers use the smallest encoding, as `lpEncodeIntegerGetType` does.
//!
//! # Positions
//!
//! Like the C API, entries are addressed by *positions*: the byte offset of
//! an entry's first byte. Positions are cheap to step forwards and backwards
//! and stay valid until the next mutation. Client-supplied element *indices*
//! go through [`Listpack::seek`], which bounds-checks and returns `None`;
//! a stale or made-up position never panics (reads yield an empty string and
//! mutations are ignored), though it is a caller bug.
//!
//! # Mutation and capacity
//!
//! Mutations shift bytes inside the one `Vec` (`copy_within`/`drain`), the
//! same memmove Redis does after `realloc`. Growth reserves 25% headroom
//! (similar to jemalloc's size-class slack) so appends are amortised O(1)
//! without doubling the footprint; large slack left by deletions is given
//! back, and [`Listpack::shrink_to_fit`] trims the rest when a container
//! knows a listpack is "closed" (e.g. a full quicklist node).

use std::fmt;

/// Size of the fixed header (total bytes + element count).
const HEADER_SIZE: usize = 6;
/// Terminator byte; never the first byte of a valid entry.
const EOF: u8 = 0xFF;
/// Element count stored when the real count does not fit in 16 bits.
const NUMELE_UNKNOWN: u16 = u16::MAX;
/// An empty listpack: header (7 bytes total, 0 elements) and terminator.
const EMPTY: [u8; 7] = [7, 0, 0, 0, 0, 0, EOF];
/// The format's hard size limit: `total_bytes` is a `u32`.
const MAX_BYTES: usize = u32::MAX as usize;
/// Longest decimal form of an `i64` (`-9223372036854775808`).
const MAX_DEC: usize = 20;

/// Redis's `LISTPACK_MAX_SAFETY_SIZE`: callers converting to a bigger
/// encoding (hash table, skiplist) once a listpack would pass 1 GiB use
/// [`Listpack::safe_to_add`], exactly like `lpSafeToAdd`.
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

/// Whether a single value of `value_len` bytes can be stored in a listpack
/// at all (the format caps a blob at 4 GiB). Pushes of values that do not
/// fit are ignored, so callers accepting unbounded input check this first;
/// protocol limits (512 MB bulk strings) make it true in practice.
pub fn fits(value_len: usize) -> bool {
    // Worst case: 5-byte string header and 5-byte back-length.
    value_len <= MAX_BYTES - EMPTY.len() - 10
}

// ---------------------------------------------------------------------------
// Small codec helpers (standalone copies of the RDB codec's ideas).
// ---------------------------------------------------------------------------

/// Number of bytes the reversed varint for `len` occupies (`lpEncodeBacklen`).
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Encodes `len` as a back-length: returns the bytes (in storage order) and
/// how many of them are used.
fn encode_backlen(len: usize) -> ([u8; 5], usize) {
    let l = len as u64;
    let n = backlen_size(len);
    let mut out = [0u8; 5];
    // Storage order: most significant group first (no continuation flag),
    // the last byte holds the low 7 bits; every byte but the first has 0x80.
    for (i, slot) in out.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let group = ((l >> shift) & 127) as u8;
        *slot = if i == 0 { group } else { group | 128 };
    }
    (out, n)
}

/// Decodes the back-length whose last byte is `buf[end - 1]`, reading
/// backwards but never below `floor`; `None` if malformed.
fn read_backlen(buf: &[u8], floor: usize, end: usize) -> Option<usize> {
    let mut val: u64 = 0;
    let mut shift = 0;
    let mut p = end;
    loop {
        if p <= floor {
            return None;
        }
        p -= 1;
        let b = *buf.get(p)?;
        val |= u64::from(b & 127) << shift;
        if b & 128 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
    usize::try_from(val).ok()
}

fn le_uint(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Writes the decimal form of `v` into the tail of `buf`, returning it.
fn fmt_i64(v: i64, buf: &mut [u8; MAX_DEC]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut i = MAX_DEC;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// One entry ready to be written: header, payload (strings only) and
/// back-length, kept apart so nothing is allocated.
struct Encoded<'v> {
    head: [u8; 9],
    head_len: usize,
    payload: &'v [u8],
    back: [u8; 5],
    back_len: usize,
}

impl<'v> Encoded<'v> {
    /// Encodes an integer with the smallest encoding
    /// (`lpEncodeIntegerGetType`).
    fn int(v: i64) -> Encoded<'static> {
        let mut head = [0u8; 9];
        let head_len = if (0..=127).contains(&v) {
            head[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            head[0] = 0xC0 | (u >> 8) as u8;
            head[1] = u as u8;
            2
        } else if (-32768..=32767).contains(&v) {
            head[0] = 0xF1;
            head[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-8_388_608..=8_388_607).contains(&v) {
            head[0] = 0xF2;
            head[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if i32::try_from(v).is_ok() {
            head[0] = 0xF3;
            head[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            head[0] = 0xF4;
            head[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        let (back, back_len) = encode_backlen(head_len);
        Encoded {
            head,
            head_len,
            payload: &[],
            back,
            back_len,
        }
    }

    /// Encodes bytes the way `lpEncodeGetType` does: canonical integers as
    /// integers, anything else as a 6/12/32-bit-length string. `None` if the
    /// string is too long for the format.
    fn bytes(s: &'v [u8]) -> Option<Encoded<'v>> {
        if let Some(v) = crate::util::num::parse_i64(s) {
            return Some(Encoded::int(v));
        }
        let len = s.len();
        let mut head = [0u8; 9];
        let head_len = if len < 64 {
            head[0] = 0x80 | len as u8;
            1
        } else if len < 4096 {
            head[0] = 0xE0 | (len >> 8) as u8;
            head[1] = len as u8;
            2
        } else {
            head[0] = 0xF0;
            head[1..5].copy_from_slice(&u32::try_from(len).ok()?.to_le_bytes());
            5
        };
        let (back, back_len) = encode_backlen(head_len + len);
        Some(Encoded {
            head,
            head_len,
            payload: s,
            back,
            back_len,
        })
    }

    /// Total bytes the entry occupies, back-length included.
    fn size(&self) -> usize {
        self.head_len + self.payload.len() + self.back_len
    }

    /// Writes the entry into `dst`, which must be exactly [`Self::size`]
    /// bytes; `None` (nothing sensible written) otherwise.
    fn write_into(&self, dst: &mut [u8]) -> Option<()> {
        if dst.len() != self.size() {
            return None;
        }
        let (h, rest) = dst.split_at_mut_checked(self.head_len)?;
        let (p, b) = rest.split_at_mut_checked(self.payload.len())?;
        h.copy_from_slice(self.head.get(..self.head_len)?);
        p.copy_from_slice(self.payload);
        b.copy_from_slice(self.back.get(..self.back_len)?);
        Some(())
    }
}

/// `n` bytes of `buf` starting at `start`, provided they end by `limit`.
fn field(buf: &[u8], start: usize, n: usize, limit: usize) -> Option<&[u8]> {
    let end = start.checked_add(n)?;
    if end > limit {
        return None;
    }
    buf.get(start..end)
}

/// Decodes the entry at `pos` whose `encoding+data` must end by `limit`:
/// returns its value and the `encoding+data` length (without back-length).
fn decode_at(buf: &[u8], pos: usize, limit: usize) -> Option<(LpValue<'_>, usize)> {
    let b = *buf.get(pos)?;
    let after = pos.checked_add(1)?;
    if b & 0x80 == 0 {
        if after > limit {
            return None;
        }
        return Some((LpValue::Int(i64::from(b & 0x7f)), 1));
    }
    if b & 0xC0 == 0x80 {
        let n = usize::from(b & 0x3f);
        return Some((LpValue::Str(field(buf, after, n, limit)?), 1 + n));
    }
    if b & 0xE0 == 0xC0 {
        let lo = field(buf, after, 1, limit)?;
        let v = (u64::from(b & 0x1f) << 8) | le_uint(lo);
        return Some((LpValue::Int(sign_extend(v, 13)), 2));
    }
    if b & 0xF0 == 0xE0 {
        let lo = field(buf, after, 1, limit)?;
        let n = (usize::from(b & 0x0f) << 8) | usize::from(lo[0]);
        return Some((LpValue::Str(field(buf, pos + 2, n, limit)?), 2 + n));
    }
    let int = |n: usize, bits: u32| -> Option<(LpValue<'_>, usize)> {
        let v = le_uint(field(buf, after, n, limit)?);
        Some((LpValue::Int(sign_extend(v, bits)), 1 + n))
    };
    match b {
        0xF0 => {
            let n = usize::try_from(le_uint(field(buf, after, 4, limit)?)).ok()?;
            let s = field(buf, pos + 5, n, limit)?;
            Some((LpValue::Str(s), 5 + n))
        }
        0xF1 => int(2, 16),
        0xF2 => int(3, 24),
        0xF3 => int(4, 32),
        0xF4 => int(8, 64),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// One decoded element, borrowed from the listpack. Integers stay integers
/// so callers (INCR-style commands, score parsing) need not re-parse, and
/// strings are borrowed so reading never allocates.
///
/// The derived `PartialEq` compares representations (`Str(b"1") !=
/// Int(1)`); use [`LpValue::eq_bytes`] for Redis's string equality.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LpValue<'a> {
    /// A string entry's bytes.
    Str(&'a [u8]),
    /// An integer entry.
    Int(i64),
}

impl LpValue<'_> {
    /// The element as an owned byte string (integers in decimal), for
    /// callers that must outlive the listpack borrow, such as LPOP replies.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Appends the element's bytes (decimal for integers) to `out` without
    /// any intermediate allocation, so replies can be built in place.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            LpValue::Str(s) => out.extend_from_slice(s),
            LpValue::Int(v) => {
                let mut tmp = [0u8; MAX_DEC];
                out.extend_from_slice(fmt_i64(v, &mut tmp));
            }
        }
    }

    /// Redis equality with a client-supplied string, without allocating: an
    /// integer matches exactly its canonical decimal form.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            LpValue::Str(v) => v == s,
            LpValue::Int(v) => {
                let mut tmp = [0u8; MAX_DEC];
                fmt_i64(v, &mut tmp) == s
            }
        }
    }

    /// The element as an integer: integer entries directly, strings only if
    /// they are canonical decimals (as Redis's `string2ll` requires), so
    /// HINCRBY-style commands can operate on either representation.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            LpValue::Int(v) => Some(v),
            LpValue::Str(s) => crate::util::num::parse_i64(s),
        }
    }

    /// The element as a float, for sorted-set scores (which we write either
    /// as integers or as Rust-formatted floats): `None` if it is not valid
    /// UTF-8 or not a float literal.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            LpValue::Int(v) => Some(v as f64),
            LpValue::Str(s) => std::str::from_utf8(s).ok()?.parse::<f64>().ok(),
        }
    }

    /// Length in bytes of the element's string form (decimal for integers),
    /// e.g. for STRLEN-like replies and reply size estimates.
    pub fn str_len(&self) -> usize {
        match *self {
            LpValue::Str(s) => s.len(),
            LpValue::Int(v) => {
                let mut tmp = [0u8; MAX_DEC];
                fmt_i64(v, &mut tmp).len()
            }
        }
    }
}

impl fmt::Debug for LpValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LpValue::Str(s) => write!(f, "Str(\"{}\")", s.escape_ascii()),
            LpValue::Int(v) => write!(f, "Int({v})"),
        }
    }
}

/// Matches entries against a client string the way `lpFind` does: the
/// string is classified once, then integer entries compare by value and
/// string entries by bytes — equivalent to [`LpValue::eq_bytes`] but
/// without formatting every integer.
struct Matcher<'s> {
    bytes: &'s [u8],
    int: Option<i64>,
}

impl<'s> Matcher<'s> {
    fn new(bytes: &'s [u8]) -> Self {
        Matcher {
            bytes,
            int: crate::util::num::parse_i64(bytes),
        }
    }

    fn matches(&self, v: LpValue<'_>) -> bool {
        match v {
            LpValue::Str(s) => s == self.bytes,
            LpValue::Int(i) => self.int == Some(i),
        }
    }
}

// ---------------------------------------------------------------------------
// Listpack
// ---------------------------------------------------------------------------

/// A Redis-format listpack that can be edited in place. See the module
/// documentation for why the exact byte format is kept.
///
/// Invariants: `buf` is always a valid listpack whose header holds its true
/// size and `min(count, 65535)`. The blob is allocated to its exact size,
/// as Redis reallocates listpacks on every change, and the element count is
/// read from the header (walked only past 65535 elements), so a listpack is
/// one boxed slice (16 bytes) and a small hash or sorted set costs no more
/// bookkeeping than in Redis.
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    buf: Box<[u8]>,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listpack")
            .field("len", &self.count())
            .field("bytes", &self.buf.len())
            .field("entries", &DebugEntries(self))
            .finish()
    }
}

struct DebugEntries<'a>(&'a Listpack);

impl fmt::Debug for DebugEntries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl Listpack {
    /// An empty listpack (7 bytes), the starting point for every small
    /// collection.
    pub fn new() -> Self {
        Listpack {
            buf: EMPTY.to_vec().into_boxed_slice(),
        }
    }

    /// Adopts a blob from an RDB file or `RESTORE` payload after validating
    /// it completely — header size, every entry's encoding and bounds, every
    /// back-length, the element count and the terminator — because every
    /// other method trusts the layout. `None` if anything is inconsistent.
    /// A header count of 65535 ("unknown") is replaced by the real count
    /// when it fits, as Redis's `lpLength` does.
    pub fn from_bytes(buf: Vec<u8>) -> Option<Self> {
        if buf.len() < EMPTY.len() || buf.len() > MAX_BYTES {
            return None;
        }
        if le_uint(buf.get(0..4)?) != buf.len() as u64 || buf.last() != Some(&EOF) {
            return None;
        }
        let numele = le_uint(buf.get(4..6)?) as u16;
        let eof = buf.len() - 1;
        let mut p = HEADER_SIZE;
        let mut count = 0usize;
        while p < eof {
            let (_, len) = decode_at(&buf, p, eof)?;
            let (back, back_len) = encode_backlen(len);
            let bl_start = p.checked_add(len)?;
            let stored = field(&buf, bl_start, back_len, eof)?;
            if stored != back.get(..back_len)? {
                return None;
            }
            p = bl_start + back_len;
            count += 1;
        }
        if p != eof {
            return None;
        }
        if numele != NUMELE_UNKNOWN && usize::from(numele) != count {
            return None;
        }
        let mut lp = Listpack {
            buf: buf.into_boxed_slice(),
        };
        lp.sync_header(count);
        Some(lp)
    }

    /// The blob in Redis's format, for RDB/`DUMP` output and `DEBUG`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Number of elements: the header's count (O(1)), walked only when
    /// the header says 65535 ("unknown"); used for LLEN/HLEN and fill rules.
    pub fn len(&self) -> usize {
        self.count()
    }

    /// Whether there are no elements; containers drop empty listpacks.
    pub fn is_empty(&self) -> bool {
        self.buf.len() <= EMPTY.len()
    }

    fn count(&self) -> usize {
        let n = match self.buf.get(4..6) {
            Some(h) => u16::from_le_bytes([h[0], h[1]]),
            None => return 0,
        };
        if n != NUMELE_UNKNOWN {
            return usize::from(n);
        }
        let mut c = 0;
        let mut p = self.first_unchecked();
        while let Some(pos) = p {
            c += 1;
            p = self.next(pos);
        }
        c
    }

    fn first_unchecked(&self) -> Option<usize> {
        (self.buf.len() > EMPTY.len()).then_some(HEADER_SIZE)
    }

    /// Resizes the blob to exactly `new_len` bytes (new bytes zeroed),
    /// reallocating like Redis's `lp_realloc`.
    fn resize_exact(&mut self, new_len: usize) {
        super::resize_boxed(&mut self.buf, new_len);
    }

    /// Removes the bytes in `range`, shifting the rest down.
    fn remove_bytes(&mut self, range: std::ops::Range<usize>) {
        let len = self.buf.len();
        if range.start >= range.end || range.end > len {
            return;
        }
        self.buf.copy_within(range.end..len, range.start);
        self.resize_exact(len - (range.end - range.start));
    }

    /// Total blob size in bytes, header and terminator included — the size
    /// Redis's conversion thresholds and quicklist fill rules look at.
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes reserved by the blob, for memory accounting (MEMORY USAGE,
    /// maxmemory).
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Redis's `lpSafeToAdd`: whether `add` more bytes keep the blob within
    /// [`MAX_SAFETY_SIZE`]; hashes and sorted sets convert to their big
    /// encodings otherwise.
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf
            .len()
            .checked_add(add)
            .is_some_and(|n| n <= MAX_SAFETY_SIZE)
    }

    /// Position of the terminator byte.
    fn eof(&self) -> usize {
        self.buf.len().saturating_sub(1)
    }

    /// Rewrites the header after a mutation (65535 when the count does not
    /// fit, as Redis does).
    fn sync_header(&mut self, count: usize) {
        let total = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        let numele = u16::try_from(count)
            .ok()
            .filter(|&n| n != NUMELE_UNKNOWN)
            .unwrap_or(NUMELE_UNKNOWN);
        if let Some(h) = self.buf.get_mut(0..4) {
            h.copy_from_slice(&total.to_le_bytes());
        }
        if let Some(h) = self.buf.get_mut(4..6) {
            h.copy_from_slice(&numele.to_le_bytes());
        }
    }

    /// Size of the whole entry at `pos` (back-length included), or `None`
    /// if `pos` does not hold an entry.
    fn entry_size(&self, pos: usize) -> Option<usize> {
        if pos < HEADER_SIZE {
            return None;
        }
        let (_, len) = decode_at(&self.buf, pos, self.eof())?;
        Some(len + backlen_size(len))
    }

    /// Position of the first element, or `None` when empty.
    pub fn first(&self) -> Option<usize> {
        self.first_unchecked()
    }

    /// Position of the last element, or `None` when empty; found via the
    /// terminator and the last back-length, so O(1).
    pub fn last(&self) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        self.prev(self.eof())
    }

    /// Position of the element after `pos`, or `None` at the end.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let next = pos.checked_add(self.entry_size(pos)?)?;
        (next < self.eof()).then_some(next)
    }

    /// Position of the element before `pos` (which may also be the
    /// terminator's position), or `None` at the start; reads the previous
    /// entry's back-length.
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos <= HEADER_SIZE || pos > self.eof() {
            return None;
        }
        let len = read_backlen(&self.buf, HEADER_SIZE, pos)?;
        let start = pos.checked_sub(len + backlen_size(len))?;
        (start >= HEADER_SIZE).then_some(start)
    }

    /// The element at `pos`, borrowed. An invalid position yields an empty
    /// string rather than a panic (positions come from this listpack, so
    /// that would be a caller bug, not client input).
    pub fn get(&self, pos: usize) -> LpValue<'_> {
        if pos < HEADER_SIZE {
            return LpValue::Str(&[]);
        }
        decode_at(&self.buf, pos, self.eof()).map_or(LpValue::Str(&[]), |(v, _)| v)
    }

    /// Position of the element at `index` (negative counts from the tail,
    /// -1 is the last), walking from whichever end is nearer; `None` if out
    /// of range. This is where client indices are checked.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let total = self.count();
        let count = i64::try_from(total).ok()?;
        let idx = if index < 0 { count + index } else { index };
        if idx < 0 || idx >= count {
            return None;
        }
        let idx = usize::try_from(idx).ok()?;
        if idx < total / 2 {
            let mut p = self.first()?;
            for _ in 0..idx {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(total - 1 - idx) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// Inserts an encoded entry at byte offset `at` (an entry start or the
    /// terminator); `None` (and no change) if that is impossible.
    fn insert_encoded(&mut self, at: usize, e: &Encoded<'_>) -> Option<usize> {
        let size = e.size();
        let old = self.buf.len();
        let new_len = old.checked_add(size)?;
        if new_len > MAX_BYTES || at < HEADER_SIZE || at > self.eof() {
            return None;
        }
        let count = self.count() + 1;
        self.resize_exact(new_len);
        self.buf.copy_within(at..old, at + size);
        e.write_into(self.buf.get_mut(at..at + size)?)?;
        self.sync_header(count);
        Some(at)
    }

    /// Appends `v` (stored as an integer when Redis would); RPUSH/HSET path.
    /// A value too large for the format (see [`fits`]) is ignored.
    pub fn push_back(&mut self, v: &[u8]) {
        if let Some(e) = Encoded::bytes(v) {
            self.insert_encoded(self.eof(), &e);
        }
    }

    /// Appends every item of `items` with a single reallocation (HSET or
    /// ZADD of many new members, RPUSH of many values): Redis reallocates
    /// once per element, which costs time and leaves transient allocations
    /// behind. Items that do not [`fits`] are skipped; nothing is appended
    /// if the result would exceed the format's size limit.
    pub fn push_many<'a>(&mut self, items: impl Iterator<Item = &'a [u8]> + Clone) {
        let mut add = 0usize;
        let mut n = 0usize;
        for v in items.clone() {
            if let Some(e) = Encoded::bytes(v) {
                add += e.size();
                n += 1;
            }
        }
        let old = self.buf.len();
        match old.checked_add(add) {
            Some(total) if total <= MAX_BYTES && n > 0 => {}
            _ => return,
        }
        let count = self.count() + n;
        let mut at = self.eof();
        self.resize_exact(old + add);
        for v in items {
            if let Some(e) = Encoded::bytes(v) {
                let size = e.size();
                if let Some(dst) = self.buf.get_mut(at..at + size) {
                    let _ = e.write_into(dst);
                }
                at += size;
            }
        }
        if let Some(b) = self.buf.get_mut(at) {
            *b = EOF;
        }
        self.sync_header(count);
    }

    /// Prepends `v`; LPUSH path. A value that does not [`fits`] is ignored.
    pub fn push_front(&mut self, v: &[u8]) {
        if let Some(e) = Encoded::bytes(v) {
            self.insert_encoded(HEADER_SIZE, &e);
        }
    }

    /// Appends an integer directly (no formatting/parsing round trip), e.g.
    /// for sorted-set scores or counters.
    pub fn push_back_int(&mut self, v: i64) {
        self.insert_encoded(self.eof(), &Encoded::int(v));
    }

    /// Inserts `v` before the element at `pos` and returns the new entry's
    /// position (which is `pos`; the old element moves after it). If `pos`
    /// is the terminator's position this appends. On an invalid position or
    /// a value that does not [`fits`], nothing changes and `pos` is returned.
    pub fn insert_before(&mut self, pos: usize, v: &[u8]) -> usize {
        if pos != self.eof() && self.entry_size(pos).is_none() {
            return pos;
        }
        match Encoded::bytes(v) {
            Some(e) => self.insert_encoded(pos, &e).unwrap_or(pos),
            None => pos,
        }
    }

    /// Inserts `v` after the element at `pos` and returns the new entry's
    /// position. On an invalid position or a value that does not [`fits`],
    /// nothing changes and `pos` is returned.
    pub fn insert_after(&mut self, pos: usize, v: &[u8]) -> usize {
        let Some(at) = self.entry_size(pos).and_then(|s| pos.checked_add(s)) else {
            return pos;
        };
        match Encoded::bytes(v) {
            Some(e) => self.insert_encoded(at, &e).unwrap_or(pos),
            None => pos,
        }
    }

    /// Replaces the element at `pos` with `v` in place (LSET/HSET on an
    /// existing field), shifting the tail only if the size changed. Returns
    /// `pos`; on an invalid position or a value that does not [`fits`],
    /// nothing changes.
    pub fn replace(&mut self, pos: usize, v: &[u8]) -> usize {
        let (Some(old_size), Some(e)) = (self.entry_size(pos), Encoded::bytes(v)) else {
            return pos;
        };
        let new_size = e.size();
        let old_len = self.buf.len();
        let old_end = pos + old_size;
        if new_size > old_size {
            let grow = new_size - old_size;
            match old_len.checked_add(grow) {
                Some(n) if n <= MAX_BYTES => {}
                _ => return pos,
            }
            self.resize_exact(old_len + grow);
            self.buf.copy_within(old_end..old_len, old_end + grow);
        } else if new_size < old_size {
            self.buf.copy_within(old_end..old_len, pos + new_size);
            self.resize_exact(old_len - (old_size - new_size));
        }
        if let Some(dst) = self.buf.get_mut(pos..pos + new_size) {
            let _ = e.write_into(dst);
        }
        let count = self.count();
        self.sync_header(count);
        pos
    }

    /// Deletes the element at `pos`; returns the position of the element
    /// that followed (now at `pos`), or `None` if it was the last (or `pos`
    /// was invalid), so deleting while scanning needs no re-seek.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let size = self.entry_size(pos)?;
        let count = self.count() - 1;
        self.remove_bytes(pos..pos + size);
        self.sync_header(count);
        (pos < self.eof()).then_some(pos)
    }

    /// Deletes up to `count` elements starting at element `index` with one
    /// memmove (`lpDeleteRange`); out-of-range parts are ignored (LTRIM,
    /// quicklist range deletes).
    pub fn delete_range(&mut self, index: usize, count: usize) {
        let total = self.count();
        if count == 0 || index >= total {
            return;
        }
        let n = count.min(total - index);
        let Some(start) = i64::try_from(index).ok().and_then(|i| self.seek(i)) else {
            return;
        };
        let mut end = start;
        for _ in 0..n {
            match self.entry_size(end) {
                Some(s) => end += s,
                None => return,
            }
        }
        self.remove_bytes(start..end);
        self.sync_header(total - n);
    }

    /// Like `lpFind`: starting at position `start`, compares every
    /// `(skip+1)`-th element with `v` (Redis string equality) and returns the
    /// first match. `skip = 1` looks only at the keys of a field/value
    /// listpack (hashes, sorted sets).
    pub fn find(&self, start: usize, v: &[u8], skip: usize) -> Option<usize> {
        let m = Matcher::new(v);
        let mut p = start;
        let mut skipcnt = 0usize;
        loop {
            if skipcnt == 0 {
                if p < HEADER_SIZE {
                    return None;
                }
                let (val, _) = decode_at(&self.buf, p, self.eof())?;
                if m.matches(val) {
                    return Some(p);
                }
                skipcnt = skip;
            } else {
                skipcnt -= 1;
            }
            p = self.next(p)?;
        }
    }

    /// Searches backwards from position `start` (inclusive) for the first
    /// element equal to `v`; used by LREM with a negative count.
    pub fn rfind(&self, start: usize, v: &[u8]) -> Option<usize> {
        let m = Matcher::new(v);
        let mut p = start;
        loop {
            if p < HEADER_SIZE {
                return None;
            }
            let (val, _) = decode_at(&self.buf, p, self.eof())?;
            if m.matches(val) {
                return Some(p);
            }
            p = self.prev(p)?;
        }
    }

    /// Iterates all elements, front to back or (with `.rev()`) back to
    /// front, without allocating — the LRANGE/HGETALL path.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: HEADER_SIZE,
            back: self.eof(),
            remaining: self.count(),
        }
    }

    /// Iterates the elements with indices in `start..end` (clamped to the
    /// length), seeking each bound from the nearer end; lets a quicklist
    /// start iteration in the middle of a node.
    pub fn iter_range(&self, start: usize, end: usize) -> Iter<'_> {
        let total = self.count();
        let end = end.min(total);
        let empty = Iter {
            buf: &self.buf,
            front: HEADER_SIZE,
            back: HEADER_SIZE,
            remaining: 0,
        };
        if start >= end {
            return empty;
        }
        let seek = |i: usize| i64::try_from(i).ok().and_then(|i| self.seek(i));
        let Some(front) = seek(start) else {
            return empty;
        };
        let back = if end == total {
            Some(self.eof())
        } else {
            seek(end)
        };
        match back {
            Some(back) => Iter {
                buf: &self.buf,
                front,
                back,
                remaining: end - start,
            },
            None => empty,
        }
    }

    /// Iterates consecutive (field, value) pairs, the layout of listpack
    /// hashes and sorted sets; a trailing odd element is ignored.
    pub fn iter_pairs(&self) -> impl Iterator<Item = (LpValue<'_>, LpValue<'_>)> {
        let mut it = self.iter();
        std::iter::from_fn(move || {
            let k = it.next()?;
            let v = it.next()?;
            Some((k, v))
        })
    }

    /// Kept for callers that release unused capacity: the blob is always
    /// exactly sized already.
    pub fn shrink_to_fit(&mut self) {}

    /// The raw bytes of all entries (no header, no terminator).
    fn entries_bytes(&self) -> &[u8] {
        self.buf.get(HEADER_SIZE..self.eof()).unwrap_or(&[])
    }

    /// Appends all of `other`'s elements (a raw byte copy, since entries are
    /// self-contained). Quicklists use it to merge neighbouring nodes.
    /// Returns `false`, changing nothing, if the result would exceed the
    /// format's 4 GiB limit.
    pub fn append_listpack(&mut self, other: &Listpack) -> bool {
        let add = other.entries_bytes();
        match self.buf.len().checked_add(add.len()) {
            Some(n) if n <= MAX_BYTES => {}
            _ => return false,
        }
        let count = self.count() + other.count();
        let eof = self.eof();
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.reserve_exact(add.len());
        v.truncate(eof);
        v.extend_from_slice(add);
        v.push(EOF);
        self.buf = v.into_boxed_slice();
        self.sync_header(count);
        true
    }

    /// Prepends all of `other`'s elements; the counterpart of
    /// [`Listpack::append_listpack`] used when the right-hand node is the
    /// bigger one, so the smaller side is the one copied.
    pub fn prepend_listpack(&mut self, other: &Listpack) -> bool {
        let add = other.entries_bytes();
        let old = self.buf.len();
        match old.checked_add(add.len()) {
            Some(n) if n <= MAX_BYTES => {}
            _ => return false,
        }
        let count = self.count() + other.count();
        self.resize_exact(old + add.len());
        self.buf
            .copy_within(HEADER_SIZE..old, HEADER_SIZE + add.len());
        if let Some(dst) = self.buf.get_mut(HEADER_SIZE..HEADER_SIZE + add.len()) {
            dst.copy_from_slice(add);
        }
        self.sync_header(count);
        true
    }

    /// Splits like `Vec::split_off`: `self` keeps elements `[0, index)` and
    /// the rest is returned as a new, exactly-sized listpack. Quicklists use
    /// it to split a full node (`_quicklistSplitNode`). An `index` past the
    /// end returns an empty listpack.
    pub fn split_off(&mut self, index: usize) -> Listpack {
        let total = self.count();
        if index >= total {
            return Listpack::new();
        }
        let Some(at) = i64::try_from(index).ok().and_then(|i| self.seek(i)) else {
            return Listpack::new();
        };
        let eof = self.eof();
        let tail = self.buf.get(at..eof).unwrap_or(&[]);
        let mut buf = Vec::with_capacity(HEADER_SIZE + tail.len() + 1);
        buf.extend_from_slice(&EMPTY[..HEADER_SIZE]);
        buf.extend_from_slice(tail);
        buf.push(EOF);
        let mut right = Listpack {
            buf: buf.into_boxed_slice(),
        };
        right.sync_header(total - index);
        self.resize_exact(at + 1);
        if let Some(b) = self.buf.get_mut(at) {
            *b = EOF;
        }
        self.sync_header(index);
        right
    }
}

/// Double-ended, exact-size iterator over a listpack's elements; walks by
/// position so iteration is allocation-free and O(1) per step.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    /// Position of the next element from the front.
    front: usize,
    /// Offset just past the next element from the back.
    back: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;

    fn next(&mut self) -> Option<LpValue<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let limit = self.buf.len().saturating_sub(1);
        match decode_at(self.buf, self.front, limit) {
            Some((v, len)) => {
                self.front += len + backlen_size(len);
                self.remaining -= 1;
                Some(v)
            }
            None => {
                self.remaining = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let limit = self.buf.len().saturating_sub(1);
        let found = read_backlen(self.buf, HEADER_SIZE, self.back).and_then(|len| {
            let start = self.back.checked_sub(len + backlen_size(len))?;
            let (v, _) = decode_at(self.buf, start, limit)?;
            Some((v, start))
        });
        match found {
            Some((v, start)) => {
                self.back = start;
                self.remaining -= 1;
                Some(v)
            }
            None => {
                self.remaining = 0;
                None
            }
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl std::iter::FusedIterator for Iter<'_> {}

#[cfg(test)]
#[path = "listpack_tests.rs"]
mod tests;
