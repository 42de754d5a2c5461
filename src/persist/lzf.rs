//! LZF compression as liblzf 3.6 does it (the copy vendored by Redis), so the
//! strings and collection blobs Ferrite writes into RDB files and `DUMP`
//! payloads are readable by Redis, and vice versa.
//!
//! The compressor reproduces liblzf's `VERY_FAST` mode with a 2^16-slot hash
//! table, which makes its output byte-identical to Redis's for the same input
//! (Redis leaves the table uninitialised, so it may occasionally find a match
//! we do not; both outputs decode to the same bytes). Byte identity lets tests
//! compare whole RDB files with the ones real Redis writes.
//!
//! The decompressor treats its input as hostile: every literal run and back
//! reference is bounds-checked, the output never exceeds the announced length,
//! and a stream that does not produce exactly that length is an error.

use std::cell::RefCell;
use std::fmt;

/// log2 of the hash table size liblzf is built with in Redis (`HLOG`).
const HLOG: u32 = 16;
/// Number of hash table slots.
const HSIZE: usize = 1 << HLOG;
/// Longest literal run one control byte can describe.
const MAX_LIT: usize = 1 << 5;
/// Farthest a back reference can reach.
const MAX_OFF: usize = 1 << 13;
/// Longest back reference (in bytes) one token can describe.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Largest possible expansion: a 3-byte back reference emits 264 bytes.
const MAX_EXPANSION: usize = 88;
/// Cap on the up-front allocation made from an announced (untrusted) length.
const MAX_PREALLOC: usize = 1 << 24;

/// Why a compressed stream could not be decoded; all are treated as corruption
/// by callers, but the variants say which invariant was broken in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The stream ends in the middle of a literal run or a back reference.
    Truncated,
    /// A back reference points before the start of the output.
    BadBackReference,
    /// The stream decodes to more bytes than announced.
    OutputOverflow,
    /// The stream decodes to fewer bytes than announced.
    LengthMismatch,
}

impl fmt::Display for LzfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            LzfError::Truncated => "LZF stream truncated",
            LzfError::BadBackReference => "LZF back reference before start of output",
            LzfError::OutputOverflow => "LZF stream longer than the announced length",
            LzfError::LengthMismatch => "LZF stream shorter than the announced length",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for LzfError {}

/// A reusable LZF compressor: owns the 512 KiB hash table so compressing many
/// small strings (an RDB save does one call per string) neither reallocates
/// nor clears it. Entries are stamped with a per-call generation, so stale
/// positions from earlier inputs are never used and output is deterministic.
pub struct Compressor {
    /// `generation << 32 | position` of the last occurrence of each hash.
    table: Vec<u64>,
    /// Stamp of the current call; 0 marks never-written slots.
    generation: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

#[inline]
fn hash_index(h: u32) -> usize {
    // liblzf VERY_FAST: ((h >> (3*8 - HLOG)) - h*5) & (HSIZE - 1).
    ((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

impl Compressor {
    /// Allocates the hash table once; keep the compressor around (e.g. one per
    /// RDB writer) rather than creating one per string.
    pub fn new() -> Self {
        Compressor {
            table: vec![0; HSIZE],
            generation: 0,
        }
    }

    fn next_generation(&mut self) -> u64 {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.table.iter_mut().for_each(|e| *e = 0);
            self.generation = 1;
        }
        u64::from(self.generation)
    }

    /// Compresses `input` the way Redis stores strings: only when it saves at
    /// least four bytes (`rdbSaveLzfStringObject`), otherwise `None` and the
    /// caller writes the string verbatim.
    pub fn compress(&mut self, input: &[u8]) -> Option<Vec<u8>> {
        if input.len() <= 4 {
            return None;
        }
        self.compress_with_limit(input, input.len() - 4)
    }

    /// liblzf's `lzf_compress(in, out, out_len)`: compresses into at most
    /// `out_len` bytes, or `None` if the output would not fit (which is how
    /// liblzf reports "incompressible").
    pub fn compress_with_limit(&mut self, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
        let in_end = input.len();
        // Positions are stored in 32 bits, like liblzf's offset table.
        if in_end == 0 || out_len == 0 || u32::try_from(in_end).is_err() {
            return None;
        }
        let gen = self.next_generation();
        let stamp = gen << 32;
        // Slack past out_len: liblzf may advance `op` up to two bytes past the
        // end before its bound checks fire.
        let mut out = vec![0u8; out_len + 8];
        let mut ip = 0usize;
        let mut op = 1usize; // byte 0 is reserved for the first run's header
        let mut lit = 0usize;
        let mut hval: u32 = if in_end >= 2 {
            (u32::from(input[0]) << 8) | u32::from(input[1])
        } else {
            0
        };

        while ip + 2 < in_end {
            hval = (hval << 8) | u32::from(input[ip + 2]);
            let slot = hash_index(hval);
            let entry = self.table[slot];
            self.table[slot] = stamp | ip as u64;
            let reference = if entry >> 32 == gen {
                Some((entry & 0xffff_ffff) as usize)
            } else {
                None
            };
            let matched = reference.filter(|&r| {
                r > 0
                    && r < ip
                    && ip - r - 1 < MAX_OFF
                    && input[r + 2] == input[ip + 2]
                    && input[r] == input[ip]
                    && input[r + 1] == input[ip + 1]
            });
            if let Some(r) = matched {
                let off = ip - r - 1;
                let mut len = 2usize;
                let maxlen = (in_end - ip - len).min(MAX_REF);
                let no_lit = usize::from(lit == 0);
                if op + 3 + 1 >= out_len && op - no_lit + 3 + 1 >= out_len {
                    return None;
                }
                out[op - lit - 1] = (lit as u8).wrapping_sub(1); // close the run
                op -= no_lit; // drop an empty run header
                'scan: {
                    if maxlen > 16 {
                        for _ in 0..16 {
                            len += 1;
                            if input[r + len] != input[ip + len] {
                                break 'scan;
                            }
                        }
                    }
                    loop {
                        len += 1;
                        if !(len < maxlen && input[r + len] == input[ip + len]) {
                            break;
                        }
                    }
                }
                len -= 2; // now "octets - 1"
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 1;
                lit = 0;
                op += 1; // start a new run
                ip += len + 1;
                if ip + 2 >= in_end {
                    break;
                }
                // VERY_FAST: re-hash the two positions before the new ip.
                ip -= 2;
                hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
                hval = (hval << 8) | u32::from(input[ip + 2]);
                self.table[hash_index(hval)] = stamp | ip as u64;
                ip += 1;
                hval = (hval << 8) | u32::from(input[ip + 2]);
                self.table[hash_index(hval)] = stamp | ip as u64;
                ip += 1;
            } else {
                if op >= out_len {
                    return None;
                }
                lit += 1;
                out[op] = input[ip];
                op += 1;
                ip += 1;
                if lit == MAX_LIT {
                    out[op - lit - 1] = (lit - 1) as u8;
                    lit = 0;
                    op += 1;
                }
            }
        }

        if op + 3 > out_len {
            return None;
        }
        while ip < in_end {
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
        out[op - lit - 1] = (lit as u8).wrapping_sub(1);
        op -= usize::from(lit == 0);
        out.truncate(op);
        Some(out)
    }
}

thread_local! {
    static COMPRESSOR: RefCell<Compressor> = RefCell::new(Compressor::new());
}

/// Convenience wrapper over a per-thread [`Compressor`], with Redis's "must
/// save at least four bytes" rule; `None` means store the input verbatim.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with(|c| match c.try_borrow_mut() {
        Ok(mut c) => c.compress(input),
        Err(_) => Compressor::new().compress(input),
    })
}

/// Decompresses an untrusted LZF stream that must expand to exactly
/// `expected_len` bytes (RDB stores the original length next to the data).
/// Allocation is bounded by the input size, not by `expected_len` alone.
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, LzfError> {
    if expected_len > input.len().saturating_mul(MAX_EXPANSION) {
        // No LZF stream of this size can expand that far.
        return Err(LzfError::LengthMismatch);
    }
    let mut out: Vec<u8> = Vec::with_capacity(expected_len.min(MAX_PREALLOC));
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < MAX_LIT {
            let run = ctrl + 1;
            if out.len() + run > expected_len {
                return Err(LzfError::OutputOverflow);
            }
            let bytes = input.get(ip..ip + run).ok_or(LzfError::Truncated)?;
            out.extend_from_slice(bytes);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            let mut back = (ctrl & 0x1f) << 8;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
                ip += 1;
            }
            back += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
            ip += 1;
            let dist = back + 1;
            len += 2;
            if out.len() + len > expected_len {
                return Err(LzfError::OutputOverflow);
            }
            if dist > out.len() {
                return Err(LzfError::BadBackReference);
            }
            // Overlapping copies repeat the pattern: copy in chunks that are
            // always fully present already.
            let mut src = out.len() - dist;
            let mut remaining = len;
            while remaining > 0 {
                let chunk = remaining.min(out.len() - src);
                out.extend_from_within(src..src + chunk);
                src += chunk;
                remaining -= chunk;
            }
        }
    }
    if out.len() != expected_len {
        return Err(LzfError::LengthMismatch);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiny deterministic PRNG (xorshift64*) so tests need no crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    fn sample_inputs() -> Vec<Vec<u8>> {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut v: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"ab".to_vec(),
            b"abc".to_vec(),
            vec![b'a'; 21],
            vec![b'a'; 100_000],
            b"hello hello hello hello hello hello".to_vec(),
        ];
        for len in [5usize, 20, 21, 33, 64, 100, 1000, 10_000, 70_000] {
            // Low-entropy text compresses; random bytes do not.
            let text: Vec<u8> = (0..len)
                .map(|_| b"abcd "[(rng.next() % 5) as usize])
                .collect();
            let random: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            v.push(text);
            v.push(random);
        }
        v
    }

    #[test]
    fn round_trip() {
        let mut c = Compressor::new();
        for input in sample_inputs() {
            // A generous limit forces compression so every path decodes.
            if let Some(z) = c.compress_with_limit(&input, input.len() * 2 + 16) {
                assert_eq!(decompress(&z, input.len()).unwrap(), input);
            } else {
                assert!(input.is_empty());
            }
            if let Some(z) = c.compress(&input) {
                assert!(z.len() <= input.len() - 4);
                assert_eq!(decompress(&z, input.len()).unwrap(), input);
            }
        }
    }

    #[test]
    fn compressible_and_incompressible() {
        assert!(compress(&[b'a'; 21]).is_some());
        assert!(compress(b"abcd").is_none());
        let mut rng = Rng(7);
        let random: Vec<u8> = (0..200).map(|_| rng.next() as u8).collect();
        assert!(compress(&random).is_none());
    }

    #[test]
    fn known_liblzf_output() {
        // Output of Redis's lzf_compress for 40 x 'a' (checked against a
        // RDB written by redis-server 7.0: `SET k aaaa...` is stored as
        // 0xC3 clen=9 len=40 followed by these bytes).
        let z = compress(&[b'a'; 40]).unwrap();
        assert_eq!(
            z,
            vec![0x01, b'a', b'a', 0xe0, 0x1b, 0x00, 0x01, b'a', b'a']
        );
    }

    #[test]
    fn decompress_rejects_corruption() {
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20], 3), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0xe0], 9), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0xe0, 0x01], 9), Err(LzfError::Truncated));
        assert_eq!(
            decompress(&[0x20, 0x00], 3),
            Err(LzfError::BadBackReference)
        );
        assert_eq!(
            decompress(&[0x01, b'a', b'b'], 1),
            Err(LzfError::OutputOverflow)
        );
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError::LengthMismatch));
        assert_eq!(
            decompress(&[0x00, b'a'], usize::MAX),
            Err(LzfError::LengthMismatch)
        );
        assert_eq!(decompress(&[], 0), Ok(vec![]));
    }

    #[test]
    fn decompress_never_panics_on_garbage() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let len = (rng.next() % 40) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let expected = (rng.next() % 200) as usize;
            let _ = decompress(&data, expected);
        }
    }
}
