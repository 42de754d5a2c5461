//! Listpack: the compact blob Redis 7.0 stores small hashes, sorted sets and
//! list (quicklist) nodes in. Decoding validates every entry the way Redis's
//! deep integrity check does (header size, per-entry bounds, back-length
//! agreement, element count, terminator); encoding chooses the same entry
//! encodings as `lpAppend`, so blobs are byte-identical to Redis's.
//!
//! Layout: `total_bytes:u32le num_elements:u16le entry* 0xFF`, where each
//! entry is `encoding+data backlen` and `backlen` is the size of
//! `encoding+data` written as a reversed varint of 1–5 bytes.

use super::{corrupt, parse_canonical_i64, Entry, RdbError};

/// Size of the fixed header (total bytes + element count).
const HEADER_SIZE: usize = 6;
/// Terminator byte.
const EOF: u8 = 0xFF;
/// Element count stored when the real count does not fit in 16 bits.
const NUMELE_UNKNOWN: u16 = u16::MAX;

fn lp_err(why: &str) -> RdbError {
    corrupt(format!("Listpack integrity check failed: {why}"))
}

/// Number of bytes the reversed varint for `len` occupies.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn push_backlen(out: &mut Vec<u8>, len: usize) {
    let l = len as u64;
    match backlen_size(len) {
        1 => out.push(l as u8),
        2 => out.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]),
        3 => out.extend_from_slice(&[
            (l >> 14) as u8,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]),
        4 => out.extend_from_slice(&[
            (l >> 21) as u8,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]),
        _ => out.extend_from_slice(&[
            (l >> 28) as u8,
            ((l >> 21) & 127) as u8 | 128,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]),
    }
}

/// Decodes the back-length whose last byte is `bytes[end - 1]`, reading
/// backwards; `None` if it is longer than 5 bytes or runs past `start`.
fn read_backlen(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut val: u64 = 0;
    let mut shift = 0;
    let mut p = end;
    loop {
        if p <= start {
            return None;
        }
        p -= 1;
        let b = *bytes.get(p)?;
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

/// Decodes one entry starting at `p` (which must be before the terminator):
/// returns the value and the offset of the next entry.
fn decode_entry(lp: &[u8], p: usize, limit: usize) -> Result<(Entry<'_>, usize), RdbError> {
    let b = *lp.get(p).ok_or_else(|| lp_err("entry past end"))?;
    let need = |n: usize| -> Result<&[u8], RdbError> {
        lp.get(p + 1..p + 1 + n)
            .filter(|_| p + 1 + n <= limit)
            .ok_or_else(|| lp_err("entry header past end"))
    };
    // (header length, payload length, value)
    let (hdr, payload, value): (usize, usize, Option<i64>) = if b & 0x80 == 0 {
        (1, 0, Some(i64::from(b & 0x7f)))
    } else if b & 0xC0 == 0x80 {
        (1, usize::from(b & 0x3f), None)
    } else if b & 0xE0 == 0xC0 {
        let lo = need(1)?;
        let v = (u64::from(b & 0x1f) << 8) | u64::from(lo[0]);
        (2, 0, Some(sign_extend(v, 13)))
    } else if b & 0xF0 == 0xE0 {
        let lo = need(1)?;
        (2, (usize::from(b & 0x0f) << 8) | usize::from(lo[0]), None)
    } else {
        match b {
            0xF0 => {
                let len = le_uint(need(4)?);
                let len = usize::try_from(len).map_err(|_| lp_err("string too long"))?;
                (5, len, None)
            }
            0xF1 => (3, 0, Some(sign_extend(le_uint(need(2)?), 16))),
            0xF2 => (4, 0, Some(sign_extend(le_uint(need(3)?), 24))),
            0xF3 => (5, 0, Some(sign_extend(le_uint(need(4)?), 32))),
            0xF4 => (9, 0, Some(le_uint(need(8)?) as i64)),
            _ => return Err(lp_err("invalid entry encoding")),
        }
    };
    let entry_len = hdr
        .checked_add(payload)
        .ok_or_else(|| lp_err("entry too long"))?;
    let bl = backlen_size(entry_len);
    let next = p
        .checked_add(entry_len)
        .and_then(|v| v.checked_add(bl))
        .ok_or_else(|| lp_err("entry too long"))?;
    if next > limit {
        return Err(lp_err("entry extends past end"));
    }
    if read_backlen(lp, p + entry_len, next) != Some(entry_len) {
        return Err(lp_err("back-length mismatch"));
    }
    let entry = match value {
        Some(v) => Entry::Int(v),
        None => Entry::Str(&lp[p + hdr..p + entry_len]),
    };
    Ok((entry, next))
}

/// Validates a whole listpack blob and returns its elements in order; any
/// inconsistency (sizes, encodings, back-lengths, count) is an error.
pub fn decode(lp: &[u8]) -> Result<Vec<Entry<'_>>, RdbError> {
    if lp.len() < HEADER_SIZE + 1 {
        return Err(lp_err("blob shorter than header"));
    }
    let total = le_uint(&lp[0..4]);
    if total != lp.len() as u64 {
        return Err(lp_err("header size does not match blob size"));
    }
    if lp[lp.len() - 1] != EOF {
        return Err(lp_err("missing terminator"));
    }
    let numele = le_uint(&lp[4..6]) as u16;
    let end = lp.len() - 1; // offset of the terminator
    let mut out = Vec::with_capacity(usize::from(numele).min(lp.len() / 2));
    let mut p = HEADER_SIZE;
    while p < end {
        let (entry, next) = decode_entry(lp, p, end)?;
        out.push(entry);
        p = next;
    }
    if p != end {
        return Err(lp_err("entries do not end at terminator"));
    }
    if numele != NUMELE_UNKNOWN && usize::from(numele) != out.len() {
        return Err(lp_err("element count mismatch"));
    }
    Ok(out)
}

/// Decodes a listpack that stores alternating key/value elements (hashes,
/// sorted sets) and checks the count is even.
pub fn decode_pairs(lp: &[u8]) -> Result<Vec<(Entry<'_>, Entry<'_>)>, RdbError> {
    let entries = decode(lp)?;
    if entries.len() % 2 != 0 {
        return Err(lp_err("odd number of elements in a pairs listpack"));
    }
    Ok(entries
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .collect())
}

/// Bytes `item` occupies once appended to a listpack (encoding, data and
/// back-length), so quicklist node sizes can be tracked without encoding.
pub fn encoded_size(item: &[u8]) -> usize {
    let body = match parse_canonical_i64(item) {
        Some(v) if (0..=127).contains(&v) => 1,
        Some(v) if (-4096..=4095).contains(&v) => 2,
        Some(v) if (-32768..=32767).contains(&v) => 3,
        Some(v) if (-8_388_608..=8_388_607).contains(&v) => 4,
        Some(v) if i32::try_from(v).is_ok() => 5,
        Some(_) => 9,
        None if item.len() < 64 => 1 + item.len(),
        None if item.len() < 4096 => 2 + item.len(),
        None => 5 + item.len(),
    };
    body + backlen_size(body)
}

fn push_int(out: &mut Vec<u8>, v: i64) {
    let start = out.len();
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = (v as u64) & 0x1fff;
        out.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
    } else if (-32768..=32767).contains(&v) {
        out.push(0xF1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8_388_608..=8_388_607).contains(&v) {
        out.push(0xF2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
        out.push(0xF3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&v.to_le_bytes());
    }
    let len = out.len() - start;
    push_backlen(out, len);
}

fn push_str(out: &mut Vec<u8>, s: &[u8]) -> Option<()> {
    let start = out.len();
    let len = s.len();
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&u32::try_from(len).ok()?.to_le_bytes());
    }
    out.extend_from_slice(s);
    let entry_len = out.len() - start;
    push_backlen(out, entry_len);
    Some(())
}

/// Builds a listpack exactly as Redis's `lpAppend` would: strings that are
/// canonical integers are stored as integers. Returns `None` only if the
/// result would exceed the format's 4 GiB limit.
pub fn encode<'a, I>(entries: I) -> Option<Vec<u8>>
where
    I: IntoIterator<Item = Entry<'a>>,
{
    let mut out = vec![0u8; HEADER_SIZE];
    let mut count: usize = 0;
    for e in entries {
        match e {
            Entry::Int(v) => push_int(&mut out, v),
            Entry::Str(s) => match parse_canonical_i64(s) {
                Some(v) => push_int(&mut out, v),
                None => push_str(&mut out, s)?,
            },
        }
        count += 1;
    }
    out.push(EOF);
    let total = u32::try_from(out.len()).ok()?;
    out[0..4].copy_from_slice(&total.to_le_bytes());
    let numele = u16::try_from(count)
        .ok()
        .filter(|&n| n != NUMELE_UNKNOWN)
        .unwrap_or(NUMELE_UNKNOWN);
    out[4..6].copy_from_slice(&numele.to_le_bytes());
    Some(out)
}

/// Convenience for the common case of encoding byte strings.
pub fn encode_strs<T: AsRef<[u8]>>(items: &[T]) -> Option<Vec<u8>> {
    encode(items.iter().map(|s| Entry::Str(s.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints() -> Vec<i64> {
        vec![
            0,
            1,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            -32769,
            8_388_607,
            -8_388_608,
            8_388_608,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::from(i32::MAX) + 1,
            i64::MAX,
            i64::MIN,
        ]
    }

    #[test]
    fn round_trip_integers() {
        let values = ints();
        let lp = encode(values.iter().map(|&v| Entry::Int(v))).unwrap();
        let decoded = decode(&lp).unwrap();
        let back: Vec<i64> = decoded
            .iter()
            .map(|e| match e {
                Entry::Int(v) => *v,
                Entry::Str(_) => panic!("expected integer"),
            })
            .collect();
        assert_eq!(back, values);
    }

    #[test]
    fn round_trip_strings_of_every_length_class() {
        let strs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 127],
            vec![b'w'; 4095],
            vec![b'v'; 4096],
            vec![b'u'; 20_000],
            b"007".to_vec(),
            b"-0".to_vec(),
            b"+1".to_vec(),
            b"99999999999999999999".to_vec(),
        ];
        let lp = encode_strs(&strs).unwrap();
        let back: Vec<Vec<u8>> = decode(&lp).unwrap().iter().map(|e| e.to_bytes()).collect();
        assert_eq!(back, strs);
    }

    #[test]
    fn numeric_strings_become_integers() {
        let lp = encode_strs(&["12", "-5", "abc"]).unwrap();
        let d = decode(&lp).unwrap();
        assert_eq!(d, vec![Entry::Int(12), Entry::Int(-5), Entry::Str(b"abc")]);
    }

    #[test]
    fn known_redis_bytes() {
        // HSET h a 1 on Redis 7.0 stores this listpack (seen in DEBUG
        // LISTPACK / a saved RDB): 2 entries, "a" and integer 1.
        let lp = encode_strs(&["a", "1"]).unwrap();
        assert_eq!(lp, vec![0x0c, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x01, 1, 0xff]);
    }

    #[test]
    fn encoded_size_matches_encoder() {
        let mut items: Vec<Vec<u8>> = ints().iter().map(|v| v.to_string().into_bytes()).collect();
        for len in [0, 1, 63, 64, 127, 128, 4095, 4096, 20_000] {
            items.push(vec![b'q'; len]);
        }
        for item in &items {
            let lp = encode_strs(&[item]).unwrap();
            assert_eq!(encoded_size(item), lp.len() - 7, "{}", item.len());
        }
    }

    #[test]
    fn empty_listpack() {
        let lp = encode(std::iter::empty()).unwrap();
        assert_eq!(lp, vec![7, 0, 0, 0, 0, 0, 0xff]);
        assert!(decode(&lp).unwrap().is_empty());
    }

    #[test]
    fn many_entries_use_unknown_count() {
        let items: Vec<String> = (0..70_000).map(|i| format!("k{i}")).collect();
        let lp = encode_strs(&items).unwrap();
        assert_eq!(&lp[4..6], &[0xff, 0xff]);
        assert_eq!(decode(&lp).unwrap().len(), 70_000);
    }

    #[test]
    fn pairs() {
        let lp = encode_strs(&["f", "v", "g", "1"]).unwrap();
        let p = decode_pairs(&lp).unwrap();
        assert_eq!(p.len(), 2);
        let lp = encode_strs(&["f", "v", "g"]).unwrap();
        assert!(decode_pairs(&lp).is_err());
    }

    #[test]
    fn corruption_is_detected_and_never_panics() {
        let lp = encode_strs(&[
            "hello",
            "12345",
            "x",
            "-70000",
            "a long string of 70 bytes .....................................",
        ])
        .unwrap();
        for cut in 0..lp.len() {
            assert!(decode(&lp[..cut]).is_err(), "truncated at {cut}");
        }
        for i in 0..lp.len() {
            for delta in [1u8, 0x40, 0x80, 0xff] {
                let mut bad = lp.clone();
                bad[i] = bad[i].wrapping_add(delta);
                let _ = decode(&bad); // must not panic
            }
        }
        let mut bad = lp.clone();
        bad[4] = 9; // wrong count
        assert!(decode(&bad).is_err());
    }
}
