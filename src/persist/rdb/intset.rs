//! Intset: the sorted array of integers Redis stores small all-integer sets
//! in (`RDB_TYPE_SET_INTSET`). Layout: `encoding:u32le length:u32le` followed
//! by `length` little-endian integers of `encoding` bytes (2, 4 or 8), strictly
//! ascending. Decoding enforces all of that (Redis's deep check), because a
//! disordered or duplicated intset would break binary search and set
//! semantics after loading.

use super::{corrupt, RdbError};

/// Size of the fixed header.
const HEADER_SIZE: usize = 8;

fn is_err(why: &str) -> RdbError {
    corrupt(format!("Intset integrity check failed: {why}"))
}

/// Validates an intset blob and returns its members (ascending). An empty
/// intset is rejected, as Redis never writes one.
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, RdbError> {
    let header = blob
        .get(..HEADER_SIZE)
        .ok_or_else(|| is_err("blob shorter than header"))?;
    let encoding = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let count = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let width: usize = match encoding {
        2 | 4 | 8 => encoding as usize,
        _ => return Err(is_err("invalid encoding")),
    };
    let body = &blob[HEADER_SIZE..];
    if (count as u64).checked_mul(width as u64) != Some(body.len() as u64) {
        return Err(is_err("length does not match blob size"));
    }
    if count == 0 {
        return Err(is_err("empty intset"));
    }
    let mut out = Vec::with_capacity(body.len() / width);
    for chunk in body.chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([chunk[0], chunk[1]])),
            4 => i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                i64::from_le_bytes(b)
            }
        };
        if let Some(&prev) = out.last() {
            if v <= prev {
                return Err(is_err("members not strictly ascending"));
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// Builds the intset Redis would hold for these members: sorted, without
/// duplicates, with the narrowest encoding that fits them all.
pub fn encode(values: &[i64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let fits = |lo: i64, hi: i64| sorted.iter().all(|&v| v >= lo && v <= hi);
    let width: usize = if fits(i64::from(i16::MIN), i64::from(i16::MAX)) {
        2
    } else if fits(i64::from(i32::MIN), i64::from(i32::MAX)) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(HEADER_SIZE + sorted.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        match width {
            2 => out.extend_from_slice(&(v as i16).to_le_bytes()),
            4 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_each_width() {
        for values in [
            vec![3, 1, 2, 2],
            vec![-40_000, 5],
            vec![i64::MIN, 0, i64::MAX],
            vec![i64::from(i16::MIN), i64::from(i16::MAX)],
        ] {
            let blob = encode(&values);
            let mut expect = values.clone();
            expect.sort_unstable();
            expect.dedup();
            assert_eq!(decode(&blob).unwrap(), expect);
        }
        assert_eq!(encode(&[1, 2])[0], 2);
        assert_eq!(encode(&[1, 70_000])[0], 4);
        assert_eq!(encode(&[1, 1 << 40])[0], 8);
    }

    #[test]
    fn known_redis_bytes() {
        // SADD s 1 2 3 on Redis 7.0: 16-bit encoding, 3 members.
        assert_eq!(
            encode(&[1, 2, 3]),
            vec![2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]
        );
    }

    #[test]
    fn rejects_bad_blobs() {
        let good = encode(&[1, 2, 3]);
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err());
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        let mut unsorted = good.clone();
        unsorted[8] = 9; // first member 9 > 2
        assert!(decode(&unsorted).is_err());
        let mut dup = good.clone();
        dup[10] = 1; // second member equals first
        assert!(decode(&dup).is_err());
        let mut bad_enc = good.clone();
        bad_enc[0] = 3;
        assert!(decode(&bad_enc).is_err());
        assert!(decode(&encode(&[])).is_err());
        // A huge count must not overflow or allocate.
        let huge = [8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(decode(&huge).is_err());
    }
}
