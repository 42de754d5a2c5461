//! Ziplist: the compact blob Redis 2.6–6.2 stored small lists, hashes and
//! sorted sets in. Redis 7.0 no longer writes ziplists but still loads them
//! (converting to listpacks), so Ferrite must read them from old RDB files.
//!
//! Layout: `zlbytes:u32le zltail:u32le zllen:u16le entry* 0xFF`. Each entry is
//! `prevlen encoding data`, where `prevlen` (1 byte, or 0xFE + u32le) is the
//! size of the previous entry. Decoding applies the checks of Redis's
//! `ziplistValidateIntegrity` in deep mode: every entry inside the blob, each
//! `prevlen` equal to the previous entry's real size, `zltail` pointing at the
//! last entry, the count agreeing with the header (unless saturated).

use super::{corrupt, Entry, RdbError};

/// Size of the fixed header.
const HEADER_SIZE: usize = 10;
/// Terminator byte.
const END: u8 = 0xFF;
/// `prevlen` marker announcing a 4-byte length.
const BIG_PREVLEN: u8 = 0xFE;
/// Count stored when the real count does not fit in 16 bits.
const COUNT_UNKNOWN: u16 = u16::MAX;

fn zl_err(why: &str) -> RdbError {
    corrupt(format!("Ziplist integrity check failed: {why}"))
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Decodes the entry at `p` (`p < end`, `end` = offset of the terminator):
/// returns (prevlen, value, total entry size).
fn decode_entry(zl: &[u8], p: usize, end: usize) -> Result<(usize, Entry<'_>, usize), RdbError> {
    let get = |from: usize, n: usize| -> Result<&[u8], RdbError> {
        match from.checked_add(n) {
            Some(to) if to <= end => Ok(&zl[from..to]),
            _ => Err(zl_err("entry header past end")),
        }
    };
    let first = get(p, 1)?[0];
    let (prevlen, prevlen_size) = if first < BIG_PREVLEN {
        (usize::from(first), 1)
    } else if first == BIG_PREVLEN {
        (le_u32(get(p + 1, 4)?) as usize, 5)
    } else {
        return Err(zl_err("invalid prevlen"));
    };
    let q = p + prevlen_size;
    let enc = get(q, 1)?[0];
    // (encoding header size, payload size, integer value if any)
    let (hdr, payload, int): (usize, usize, Option<i64>) = match enc >> 6 {
        0 => (1, usize::from(enc & 0x3f), None),
        1 => (
            2,
            (usize::from(enc & 0x3f) << 8) | usize::from(get(q + 1, 1)?[0]),
            None,
        ),
        2 => {
            let b = get(q + 1, 4)?;
            (
                5,
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
                None,
            )
        }
        _ => match enc {
            0xC0 => {
                let b = get(q + 1, 2)?;
                (1, 2, Some(i64::from(i16::from_le_bytes([b[0], b[1]]))))
            }
            0xD0 => {
                let b = get(q + 1, 4)?;
                (
                    1,
                    4,
                    Some(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                )
            }
            0xE0 => {
                let b = get(q + 1, 8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                (1, 8, Some(i64::from_le_bytes(a)))
            }
            0xF0 => {
                let b = get(q + 1, 3)?;
                let v = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
                (1, 3, Some(i64::from(v)))
            }
            0xFE => (1, 1, Some(i64::from(get(q + 1, 1)?[0] as i8))),
            0xF1..=0xFD => (1, 0, Some(i64::from(enc & 0x0f) - 1)),
            _ => return Err(zl_err("invalid entry encoding")),
        },
    };
    let total = (prevlen_size + hdr)
        .checked_add(payload)
        .ok_or_else(|| zl_err("entry too long"))?;
    let data = get(q + hdr, payload)?;
    let value = match int {
        Some(v) => Entry::Int(v),
        None => Entry::Str(data),
    };
    Ok((prevlen, value, total))
}

/// Validates a whole ziplist blob and returns its elements in order.
pub fn decode(zl: &[u8]) -> Result<Vec<Entry<'_>>, RdbError> {
    if zl.len() < HEADER_SIZE + 1 {
        return Err(zl_err("blob shorter than header"));
    }
    if le_u32(&zl[0..4]) as u64 != zl.len() as u64 {
        return Err(zl_err("header size does not match blob size"));
    }
    let end = zl.len() - 1;
    if zl[end] != END {
        return Err(zl_err("missing terminator"));
    }
    let tail = le_u32(&zl[4..8]) as usize;
    if tail > end {
        return Err(zl_err("tail offset past end"));
    }
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let mut out = Vec::with_capacity(usize::from(count).min(zl.len() / 2));
    let mut p = HEADER_SIZE;
    let mut prev_size = 0usize;
    let mut last_start = None;
    while p < end {
        if zl[p] == END {
            break;
        }
        let (prevlen, value, size) = decode_entry(zl, p, end)?;
        if prevlen != prev_size {
            return Err(zl_err("prevlen does not match previous entry"));
        }
        out.push(value);
        last_start = Some(p);
        prev_size = size;
        p += size;
    }
    if p != end {
        return Err(zl_err("entries do not end at terminator"));
    }
    if let Some(last) = last_start {
        if last != tail {
            return Err(zl_err("tail offset does not point at last entry"));
        }
    }
    if count != COUNT_UNKNOWN && usize::from(count) != out.len() {
        return Err(zl_err("element count mismatch"));
    }
    Ok(out)
}

/// Decodes a ziplist of alternating key/value elements (hashes, sorted sets).
pub fn decode_pairs(zl: &[u8]) -> Result<Vec<(Entry<'_>, Entry<'_>)>, RdbError> {
    let entries = decode(zl)?;
    if entries.len() % 2 != 0 {
        return Err(zl_err("odd number of elements in a pairs ziplist"));
    }
    Ok(entries
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .collect())
}

/// Builds a ziplist as Redis 6.2 would (used by tests to produce legacy RDB
/// files; Ferrite itself never writes ziplists).
#[cfg(test)]
pub(crate) fn encode(entries: &[Entry<'_>]) -> Vec<u8> {
    use super::parse_canonical_i64;
    let mut out = vec![0u8; HEADER_SIZE];
    let mut prev_size = 0usize;
    let mut tail = HEADER_SIZE;
    for e in entries {
        let start = out.len();
        tail = start;
        if prev_size < usize::from(BIG_PREVLEN) {
            out.push(prev_size as u8);
        } else {
            out.push(BIG_PREVLEN);
            out.extend_from_slice(&(prev_size as u32).to_le_bytes());
        }
        let int = match e {
            Entry::Int(v) => Some(*v),
            Entry::Str(s) => parse_canonical_i64(s),
        };
        match (int, e) {
            (Some(v), _) => {
                if (0..=12).contains(&v) {
                    out.push(0xF1 + v as u8);
                } else if i8::try_from(v).is_ok() {
                    out.extend_from_slice(&[0xFE, v as u8]);
                } else if i16::try_from(v).is_ok() {
                    out.push(0xC0);
                    out.extend_from_slice(&(v as i16).to_le_bytes());
                } else if (-(1 << 23)..(1 << 23)).contains(&v) {
                    out.push(0xF0);
                    out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                } else if i32::try_from(v).is_ok() {
                    out.push(0xD0);
                    out.extend_from_slice(&(v as i32).to_le_bytes());
                } else {
                    out.push(0xE0);
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            (None, Entry::Str(s)) => {
                let len = s.len();
                if len <= 0x3f {
                    out.push(len as u8);
                } else if len <= 0x3fff {
                    out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
                } else {
                    out.push(0x80);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
                out.extend_from_slice(s);
            }
            (None, Entry::Int(_)) => unreachable!("integers always have a value"),
        }
        prev_size = out.len() - start;
    }
    out.push(END);
    let total = out.len() as u32;
    out[0..4].copy_from_slice(&total.to_le_bytes());
    out[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
    let count = u16::try_from(entries.len()).unwrap_or(COUNT_UNKNOWN);
    out[8..10].copy_from_slice(&count.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Entry<'static>> {
        vec![
            Entry::Str(b"hello"),
            Entry::Int(0),
            Entry::Int(12),
            Entry::Int(13),
            Entry::Int(-128),
            Entry::Int(300),
            Entry::Int(-70_000),
            Entry::Int(1 << 30),
            Entry::Int(i64::MIN),
            Entry::Str(b""),
            Entry::Str(&[b'x'; 300]),
            Entry::Str(&[b'y'; 20_000]),
            Entry::Str(b"after a big one"),
        ]
    }

    #[test]
    fn round_trip() {
        let zl = encode(&sample());
        assert_eq!(decode(&zl).unwrap(), sample());
    }

    #[test]
    fn empty_ziplist() {
        let zl = encode(&[]);
        assert_eq!(zl.len(), 11);
        assert!(decode(&zl).unwrap().is_empty());
    }

    #[test]
    fn detects_corruption_without_panicking() {
        let zl = encode(&sample()[..6]);
        for cut in 0..zl.len() {
            assert!(decode(&zl[..cut]).is_err(), "cut {cut}");
        }
        for i in 0..zl.len() {
            for delta in [1u8, 0x3f, 0x80, 0xfe] {
                let mut bad = zl.clone();
                bad[i] = bad[i].wrapping_add(delta);
                let _ = decode(&bad);
            }
        }
        let mut bad_tail = zl.clone();
        bad_tail[4] = bad_tail[4].wrapping_sub(1);
        assert!(decode(&bad_tail).is_err());
        let mut bad_count = zl.clone();
        bad_count[8] = 1;
        assert!(decode(&bad_count).is_err());
    }
}
