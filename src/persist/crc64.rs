//! Redis's CRC-64 (Jones polynomial, reflected input and output, initial value
//! 0, no final xor) — the checksum that trails RDB files and `DUMP` payloads.
//!
//! Implemented slice-by-8 with tables built at compile time: RDB files can be
//! gigabytes long, and the checksum is computed over every byte written or
//! read, so the bytewise loop would be a visible fraction of save/load time.

/// The Jones polynomial 0xad93d23594c935a9 in reflected (LSB-first) form.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// Eight 256-entry tables: `TABLES[0]` is the classic bytewise table and
/// `TABLES[k][b]` advances the CRC of byte `b` through `k` further zero bytes.
static TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Continues the CRC-64 `crc` over `data` (start with 0), so a checksum can be
/// accumulated across many writes exactly as Redis's `crc64(crc, p, len)`.
pub fn crc64(crc: u64, data: &[u8]) -> u64 {
    let mut crc = crc;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = crc ^ u64::from_le_bytes(word);
        crc = TABLES[7][(v & 0xff) as usize]
            ^ TABLES[6][((v >> 8) & 0xff) as usize]
            ^ TABLES[5][((v >> 16) & 0xff) as usize]
            ^ TABLES[4][((v >> 24) & 0xff) as usize]
            ^ TABLES[3][((v >> 32) & 0xff) as usize]
            ^ TABLES[2][((v >> 40) & 0xff) as usize]
            ^ TABLES[1][((v >> 48) & 0xff) as usize]
            ^ TABLES[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = TABLES[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::crc64;

    /// Bit-at-a-time reference straight from the polynomial definition.
    fn crc64_bitwise(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= u64::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ super::POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn redis_test_vector() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn redis_lorem_vector() {
        // From Redis's crc64.c self-test.
        let li = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed \
do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim \
veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo \
consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum \
dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, \
sunt in culpa qui officia deserunt mollit anim id est laborum.";
        // The C test hashes `sizeof(li)`, which includes the NUL terminator.
        let mut with_nul = li.to_vec();
        with_nul.push(0);
        assert_eq!(crc64(0, &with_nul), 0xc779_4709_e696_83b3);
    }

    #[test]
    fn empty_input_keeps_crc() {
        assert_eq!(crc64(0, b""), 0);
        assert_eq!(crc64(1234, b""), 1234);
    }

    #[test]
    fn slice_by_8_matches_bitwise_and_is_incremental() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 999, 1000] {
            let d = &data[..len];
            assert_eq!(crc64(0, d), crc64_bitwise(0, d), "len {len}");
            for split in [0, len / 3, len / 2, len] {
                let (a, b) = d.split_at(split);
                assert_eq!(crc64(crc64(0, a), b), crc64(0, d));
            }
        }
    }
}
