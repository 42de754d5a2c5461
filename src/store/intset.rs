//! Redis's `intset`: the encoding of small sets whose members are all
//! integers (`OBJECT ENCODING` reports `intset`).
//!
//! # Why this layout
//!
//! The set is kept as the exact bytes Redis uses, both in memory and in RDB
//! files (`RDB_TYPE_SET_INTSET`):
//!
//! ```text
//! encoding: u32le (2, 4 or 8)   length: u32le   members: length x encoding bytes, little-endian, strictly ascending
//! ```
//!
//! Storing those bytes directly makes saving a copy, loading a validation
//! plus a copy, and keeps memory at 2-8 bytes per member (plus an 8-byte
//! header) where a hash table would spend dozens. Membership is a binary
//! search; inserts and removals shift the tail, which is fine because sets
//! convert to a hash table past `set-max-intset-entries` (512 by default).
//!
//! All members share one width, the narrowest holding the widest member
//! ever inserted: inserting a value that needs more bytes re-encodes every
//! member once (Redis's `intsetUpgradeAndAdd`), and, like Redis, the width
//! never shrinks again, so byte-for-byte results match Redis's for the same
//! command sequence.

use std::fmt;

/// Bytes before the members.
const HEADER: usize = 8;

/// Whether SADD may store `s` in an intset: exactly Redis's `string2ll`,
/// which accepts only the canonical decimal form of an `i64` (no sign on
/// zero, no `+`, no leading zeros or spaces, at most 20 bytes). Anything
/// else ("01", "-0", " 1") must stay a string member, or SMEMBERS would
/// return a different string than was added.
pub fn parse_set_int(s: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(s)
}

/// The narrowest width (2, 4 or 8 bytes) that holds `v`.
fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Decodes one little-endian member of 2, 4 or 8 bytes.
fn read_int(c: &[u8]) -> i64 {
    match *c {
        [a, b] => i64::from(i16::from_le_bytes([a, b])),
        [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
        [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

/// Writes `v` (which fits) into `out` as a `out.len()`-byte member.
fn write_int(out: &mut [u8], v: i64) {
    match out.len() {
        2 => out.copy_from_slice(&(v as i16).to_le_bytes()),
        4 => out.copy_from_slice(&(v as i32).to_le_bytes()),
        _ => out.copy_from_slice(&v.to_le_bytes()),
    }
}

/// A sorted set of integers in Redis's intset byte format. Equality compares
/// the bytes, so equal members at different widths are unequal sets.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    /// Header and members, always valid (checked on entry, kept so by every
    /// mutation), allocated to the exact size as Redis's `intsetResize`
    /// does, which also keeps the set handle at 16 bytes.
    buf: Box<[u8]>,
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for IntSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl IntSet {
    /// An empty set with 16-bit encoding, as Redis's `intsetNew`.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(HEADER);
        buf.extend_from_slice(&2u32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        IntSet {
            buf: buf.into_boxed_slice(),
        }
    }

    /// Adopts an intset blob (an RDB `SET_INTSET` payload) after Redis's deep
    /// integrity check: known encoding, length matching the size, members
    /// strictly ascending. Like Redis, an empty intset is rejected (Redis
    /// never writes one). The blob is kept as is, including an encoding
    /// wider than its members need.
    pub fn from_bytes(b: Vec<u8>) -> Option<Self> {
        let header = b.get(..HEADER)?;
        let encoding = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let count = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let width = match encoding {
            2 | 4 | 8 => encoding as usize,
            _ => return None,
        };
        let body = b.get(HEADER..)?;
        if u64::from(count).checked_mul(width as u64) != Some(body.len() as u64) || count == 0 {
            return None;
        }
        let mut prev: Option<i64> = None;
        for c in body.chunks_exact(width) {
            let v = read_int(c);
            if prev.is_some_and(|p| v <= p) {
                return None;
            }
            prev = Some(v);
        }
        Some(IntSet {
            buf: b.into_boxed_slice(),
        })
    }

    /// The Redis-format bytes (what RDB stores for `SET_INTSET`).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Width in bytes of every member (2, 4 or 8): Redis's encoding, for
    /// `DEBUG` output and size checks.
    pub fn max_width(&self) -> u8 {
        self.buf.first().copied().unwrap_or(2)
    }

    fn width(&self) -> usize {
        usize::from(self.max_width())
    }

    fn body(&self) -> &[u8] {
        self.buf.get(HEADER..).unwrap_or(&[])
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.body().len() / self.width()
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.buf.len() <= HEADER
    }

    fn set_header(&mut self, width: usize, len: usize) {
        // Lengths stay within u32 (`insert` refuses to go past it).
        let mut h = [0u8; HEADER];
        h[..4].copy_from_slice(&(width as u32).to_le_bytes());
        h[4..].copy_from_slice(&(len as u32).to_le_bytes());
        if let Some(dst) = self.buf.get_mut(..HEADER) {
            dst.copy_from_slice(&h);
        }
    }

    /// `Ok(index)` of `v`, or `Err(index)` where it would be inserted.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let w = self.width();
        let body = self.body();
        let (mut lo, mut hi) = (0usize, body.len() / w);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = body.get(mid * w..mid * w + w).map_or(0, read_int);
            match m.cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// True if `v` is a member (binary search).
    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.width() && self.search(v).is_ok()
    }

    /// Adds `v`; true if it was not a member. Widens every member first if
    /// `v` needs more bytes. Returns false without adding if the set already
    /// holds `u32::MAX` members (the format's limit; sets convert to a hash
    /// table long before).
    pub fn insert(&mut self, v: i64) -> bool {
        let len = self.len();
        let need = width_for(v);
        if need > self.width() {
            if len >= u32::MAX as usize {
                return false;
            }
            self.upgrade_and_add(v, need);
            return true;
        }
        let Err(pos) = self.search(v) else {
            return false;
        };
        if len >= u32::MAX as usize {
            return false;
        }
        let w = self.width();
        let at = HEADER + pos * w;
        let old_end = self.buf.len();
        self.resize_exact(old_end + w);
        self.buf.copy_within(at..old_end, at + w);
        if let Some(slot) = self.buf.get_mut(at..at + w) {
            write_int(slot, v);
        }
        self.set_header(w, len + 1);
        true
    }

    /// Re-encodes all members at `width` and adds `v`, which is outside the
    /// old width's range and so goes first (negative) or last (positive).
    fn upgrade_and_add(&mut self, v: i64, width: usize) {
        let len = self.len();
        let mut out = Vec::with_capacity(HEADER + (len + 1) * width);
        out.extend_from_slice(&(width as u32).to_le_bytes());
        out.extend_from_slice(&((len + 1) as u32).to_le_bytes());
        let mut put = |x: i64| {
            let mut tmp = [0u8; 8];
            if let Some(slot) = tmp.get_mut(..width) {
                write_int(slot, x);
                out.extend_from_slice(slot);
            }
        };
        if v < 0 {
            put(v);
        }
        for x in self.iter() {
            put(x);
        }
        if v >= 0 {
            put(v);
        }
        self.buf = out.into_boxed_slice();
    }

    /// Resizes the blob to exactly `new_len` bytes (new bytes zeroed).
    fn resize_exact(&mut self, new_len: usize) {
        super::resize_boxed(&mut self.buf, new_len);
    }

    /// Removes `v`; true if it was a member.
    pub fn remove(&mut self, v: i64) -> bool {
        if width_for(v) > self.width() {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let w = self.width();
        let len = self.len();
        let at = HEADER + pos * w;
        let end = self.buf.len();
        self.buf.copy_within(at + w..end, at);
        self.resize_exact(end - w);
        self.set_header(w, len - 1);
        true
    }

    /// The member at `index` in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        let w = self.width();
        let start = index.checked_mul(w)?;
        self.body().get(start..start.checked_add(w)?).map(read_int)
    }

    /// Members in ascending order (reversible, for SMEMBERS, SORT and
    /// conversion to a hash table).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        self.body().chunks_exact(self.width()).map(read_int)
    }

    /// A uniformly random member (Redis's `intsetRandom`).
    pub fn random(&self, rand: &mut impl FnMut() -> u64) -> Option<i64> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        self.get((rand() % len as u64) as usize)
    }

    /// Heap bytes held (the buffer's capacity), for `MEMORY USAGE`.
    pub fn mem_usage(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
#[path = "intset_tests.rs"]
mod tests;
