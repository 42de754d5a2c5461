//! Leaf entry encoding for [`ZTree`](super::ZTree): `score (8 B, little
//! endian) | member length (LEB128) | member bytes`, packed back to back in
//! a leaf buffer; the order of entries; and the sizing of leaf buffers to
//! allocator size classes.

use std::cmp::Ordering;

/// The allocator (jemalloc) size class for `n` bytes: 8, 16, 32, 48, …, 128,
/// then four classes per doubling. Buffers are sized to it so that the
/// capacity we ask for is the memory we get.
pub fn size_class(n: usize) -> usize {
    if n <= 8 {
        8
    } else if n <= 128 {
        n.next_multiple_of(16)
    } else {
        let step = 1usize << ((n - 1).ilog2() - 2);
        n.checked_next_multiple_of(step).unwrap_or(n)
    }
}

pub(super) fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Encoded size of an entry whose member has `len` bytes.
pub(super) fn entry_size(len: usize) -> usize {
    8 + varint_len(len) + len
}

/// Writes the entry into `out`, which is exactly `entry_size` bytes.
pub(super) fn write_entry(out: &mut [u8], score: f64, member: &[u8]) {
    let (head, rest) = out.split_at_mut(8.min(out.len()));
    head.copy_from_slice(&score.to_le_bytes()[..head.len()]);
    let mut v = member.len();
    let mut i = 0;
    while let Some(b) = rest.get_mut(i) {
        i += 1;
        if v < 0x80 {
            *b = v as u8;
            break;
        }
        *b = (v as u8 & 0x7f) | 0x80;
        v >>= 7;
    }
    if let Some(dst) = rest.get_mut(i..i + member.len()) {
        dst.copy_from_slice(member);
    }
}

/// Decodes the entry at `off`: `(score, member, end offset)`. `None` at the
/// end of the buffer.
#[inline]
pub(super) fn parse(buf: &[u8], off: usize) -> Option<(f64, &[u8], usize)> {
    let sb: [u8; 8] = buf.get(off..off + 8)?.try_into().ok()?;
    let mut len = 0usize;
    let mut shift = 0u32;
    let mut p = off + 8;
    loop {
        let b = *buf.get(p)?;
        p += 1;
        len |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let end = p.checked_add(len)?;
    Some((f64::from_le_bytes(sb), buf.get(p..end)?, end))
}

/// The entries of a leaf buffer from `off`: `(offset, score, member, end)`.
pub(super) struct Entries<'a> {
    buf: &'a [u8],
    off: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (usize, f64, &'a [u8], usize);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (s, m, end) = parse(self.buf, self.off)?;
        let off = self.off;
        self.off = end;
        Some((off, s, m, end))
    }
}

pub(super) fn entries(buf: &[u8]) -> Entries<'_> {
    Entries { buf, off: 0 }
}

pub(super) fn entries_from(buf: &[u8], off: usize) -> Entries<'_> {
    Entries { buf, off }
}

/// Redis's order: score with `<`, ties (including -0.0 vs 0.0) by member.
#[inline]
pub(super) fn key_cmp(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

/// Grows `buf` so that `extra` more bytes fit, to a whole size class.
pub(super) fn reserve_class(buf: &mut Vec<u8>, extra: usize) {
    let want = buf.len().saturating_add(extra);
    if want > buf.capacity() {
        buf.reserve_exact(size_class(want) - buf.len());
    }
}

/// Gives memory back once a buffer has shrunk well below its capacity.
pub(super) fn shrink_class(buf: &mut Vec<u8>) {
    let len = buf.len();
    if size_class(len + len / 4) < buf.capacity() {
        buf.shrink_to(size_class(len));
    }
}
