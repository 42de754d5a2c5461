//! Zipmap: the blob Redis 2.x stored small hashes in (`RDB_TYPE_HASH_ZIPMAP`).
//! Only read, for loading very old RDB files, as Redis 7.0 still does.
//!
//! Layout: `zmlen:u8` then `len field len free value <free bytes>` repeated,
//! then `0xFF`. Lengths are one byte below 254, or `0xFE` followed by a
//! little-endian u32. `zmlen` is the pair count when below 254.

use super::{corrupt, RdbError};

/// Length marker announcing a 4-byte length.
const BIGLEN: u8 = 254;
/// Terminator byte.
const END: u8 = 255;

/// A field/value pair borrowed from the blob.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

fn zm_err(why: &str) -> RdbError {
    corrupt(format!("Zipmap integrity check failed: {why}"))
}

/// Reads a length at `p`, not reaching `end`: returns (length, bytes used).
fn read_len(zm: &[u8], p: usize, end: usize) -> Result<(usize, usize), RdbError> {
    let first = *zm
        .get(p)
        .filter(|_| p < end)
        .ok_or_else(|| zm_err("length past end"))?;
    if first < BIGLEN {
        return Ok((usize::from(first), 1));
    }
    if p + 5 > end {
        return Err(zm_err("length past end"));
    }
    let b = &zm[p + 1..p + 5];
    Ok((u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 5))
}

/// Validates a zipmap blob and returns its field/value pairs in order. An
/// empty zipmap is rejected, as Redis rejects it.
pub fn decode(zm: &[u8]) -> Result<Vec<Pair<'_>>, RdbError> {
    if zm.len() < 2 {
        return Err(zm_err("blob too short"));
    }
    let end = zm.len() - 1;
    if zm[end] != END {
        return Err(zm_err("missing terminator"));
    }
    let mut out = Vec::new();
    let mut p = 1;
    loop {
        let b = *zm.get(p).ok_or_else(|| zm_err("entry past end"))?;
        if b == END {
            break;
        }
        let (flen, used) = read_len(zm, p, end)?;
        p += used;
        let field_end = p
            .checked_add(flen)
            .filter(|&e| e <= end)
            .ok_or_else(|| zm_err("field past end"))?;
        let field = &zm[p..field_end];
        p = field_end;
        let (vlen, used) = read_len(zm, p, end)?;
        p += used;
        let free = usize::from(
            *zm.get(p)
                .filter(|_| p < end)
                .ok_or_else(|| zm_err("free byte past end"))?,
        );
        p += 1;
        let value_end = p
            .checked_add(vlen)
            .filter(|&e| e <= end)
            .ok_or_else(|| zm_err("value past end"))?;
        let value = &zm[p..value_end];
        p = value_end
            .checked_add(free)
            .filter(|&e| e <= end)
            .ok_or_else(|| zm_err("free space past end"))?;
        out.push((field, value));
    }
    if p != end {
        return Err(zm_err("entries do not end at terminator"));
    }
    if out.is_empty() {
        return Err(zm_err("empty zipmap"));
    }
    if zm[0] < BIGLEN && usize::from(zm[0]) != out.len() {
        return Err(zm_err("pair count mismatch"));
    }
    Ok(out)
}

/// Builds a zipmap as Redis 2.x did (tests only: produces legacy RDB files).
#[cfg(test)]
pub(crate) fn encode(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    fn push_len(out: &mut Vec<u8>, len: usize) {
        if len < usize::from(BIGLEN) {
            out.push(len as u8);
        } else {
            out.push(BIGLEN);
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
    }
    let mut out = vec![pairs.len().min(usize::from(BIGLEN)) as u8];
    for (f, v) in pairs {
        push_len(&mut out, f.len());
        out.extend_from_slice(f);
        push_len(&mut out, v.len());
        out.push(0); // no free space
        out.extend_from_slice(v);
    }
    out.push(END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let big = vec![b'v'; 300];
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"f1", b"v1"), (b"", b""), (b"long", &big)];
        let zm = encode(&pairs);
        assert_eq!(decode(&zm).unwrap(), pairs);
    }

    #[test]
    fn free_space_is_skipped() {
        // "a" -> "b" with 2 bytes of free space after the value.
        let zm = [1, 1, b'a', 1, 2, b'b', 0, 0, END];
        assert_eq!(decode(&zm).unwrap(), vec![(&b"a"[..], &b"b"[..])]);
    }

    #[test]
    fn corruption_is_an_error() {
        let zm = encode(&[(b"field", b"value"), (b"x", b"y")]);
        for cut in 0..zm.len() {
            assert!(decode(&zm[..cut]).is_err(), "cut {cut}");
        }
        for i in 0..zm.len() {
            for delta in [1u8, 0x7f, 0xfe] {
                let mut bad = zm.clone();
                bad[i] = bad[i].wrapping_add(delta);
                let _ = decode(&bad);
            }
        }
        assert!(decode(&[0, END]).is_err());
    }
}
