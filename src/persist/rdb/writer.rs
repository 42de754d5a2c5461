//! Streaming RDB writer producing exactly what Redis 7.0 writes: the same
//! opcodes, string encodings (INT8/16/32 for canonical integers, LZF for
//! compressible strings over 20 bytes) and collection encodings, so files are
//! interchangeable with Redis and byte-comparable in tests.
//!
//! The writer is deliberately low-level and allocation-light (it is meant to
//! run in a forked child during BGSAVE): it never buffers more than one
//! value, and the caller drives the order of sections.

use std::io::{self, Write};

use super::types::*;
use super::{
    double_to_i64, format_double, intset, listpack, parse_canonical_i64, Entry, RdbObject,
    RDB_VERSION,
};
use crate::persist::crc64::crc64;
use crate::persist::lzf;

/// Redis only tries LZF on strings longer than this (shorter ones never gain).
const LZF_MIN_LEN: usize = 20;
/// Strings longer than this are never integer-encoded (`rdbSaveRawString`).
const INT_ENCODING_MAX_LEN: usize = 11;
/// Byte limits for negative `list-max-listpack-size` values -1..-5.
const QUICKLIST_SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Node size cap when the fill is a count (`SIZE_SAFETY_LIMIT`).
const QUICKLIST_SAFETY_LIMIT: usize = 8192;
/// Per-element overhead quicklist assumes when estimating node growth.
const QUICKLIST_SIZE_OVERHEAD: usize = 8;
/// Largest positive fill Redis accepts (`FILL_MAX`).
const QUICKLIST_FILL_MAX: i64 = (1 << 15) - 1;

/// Settings that change the bytes written, mirroring Redis's config of the
/// same names so a Ferrite save matches what Redis with that config writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingOptions {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes.
    pub rdb_compression: bool,
    /// `rdbchecksum`: compute the trailing CRC64 (0 is written when off).
    pub rdb_checksum: bool,
    /// `list-max-listpack-size`: negative = node byte limit level, positive =
    /// elements per node.
    pub list_max_listpack_size: i64,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// List elements at least this long get their own plain quicklist node
    /// (1 GiB in Redis; `DEBUG QUICKLIST-PACKED-THRESHOLD` lowers it).
    pub quicklist_packed_threshold: usize,
}

impl Default for EncodingOptions {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        EncodingOptions {
            rdb_compression: true,
            rdb_checksum: true,
            list_max_listpack_size: -2,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            quicklist_packed_threshold: 1 << 30,
        }
    }
}

/// The standard metadata fields Redis writes after the header, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoAux<'a> {
    /// Server version string (`redis-ver`), e.g. "7.0.15".
    pub redis_ver: &'a str,
    /// Creation time, Unix seconds (`ctime`).
    pub ctime: i64,
    /// Memory in use when saving (`used-mem`).
    pub used_mem: u64,
    /// Replication info, written for replicas' SYNC and restart-resync:
    /// (`repl-stream-db`, `repl-id`, `repl-offset`).
    pub repl: Option<(i64, &'a str, i64)>,
    /// Whether this RDB is the base of a multi-part AOF (`aof-base`).
    pub aof_base: bool,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

/// Writes an RDB stream to `W`, keeping the running CRC64. Typical use:
/// `header`, `info_aux`, then per database `select_db`, `resize_db` and the
/// keys, then `finish`. Wrap files in a `BufWriter`: writes are small.
pub struct RdbWriter<W: Write> {
    inner: W,
    crc: u64,
    written: u64,
    opts: EncodingOptions,
    lzf: Option<Box<lzf::Compressor>>,
}

impl<W: Write> RdbWriter<W> {
    /// A writer with Redis's default settings (compression and checksum on).
    pub fn new(inner: W) -> Self {
        Self::with_options(inner, EncodingOptions::default())
    }

    /// A writer honouring the given configuration.
    pub fn with_options(inner: W, opts: EncodingOptions) -> Self {
        RdbWriter {
            inner,
            crc: 0,
            written: 0,
            opts,
            lzf: None,
        }
    }

    /// The options in effect.
    pub fn options(&self) -> &EncodingOptions {
        &self.opts
    }

    /// Bytes written so far (for progress reporting and `rdb_last_cow_size`
    /// style statistics).
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// CRC64 of everything written so far.
    pub fn crc(&self) -> u64 {
        self.crc
    }

    /// Access to the destination, e.g. to `fsync` a file mid-way.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Writes bytes verbatim (still covered by the checksum): the escape
    /// hatch for structures this writer has no helper for.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        if self.opts.rdb_checksum {
            self.crc = crc64(self.crc, bytes);
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Writes a one-byte value type or opcode (see [`super::types`]).
    pub fn write_type(&mut self, t: u8) -> io::Result<()> {
        self.write_raw(&[t])
    }

    /// Writes a length in RDB's variable-width encoding (6/14/32/64 bits).
    pub fn write_len(&mut self, len: u64) -> io::Result<()> {
        if len < 1 << 6 {
            self.write_raw(&[len as u8])
        } else if len < 1 << 14 {
            self.write_raw(&[0x40 | (len >> 8) as u8, len as u8])
        } else if let Ok(l) = u32::try_from(len) {
            let mut b = [0x80, 0, 0, 0, 0];
            b[1..].copy_from_slice(&l.to_be_bytes());
            self.write_raw(&b)
        } else {
            let mut b = [0x81, 0, 0, 0, 0, 0, 0, 0, 0];
            b[1..].copy_from_slice(&len.to_be_bytes());
            self.write_raw(&b)
        }
    }

    /// Writes `v` with the INT8/16/32 string encoding if it fits; returns
    /// false (writing nothing) otherwise.
    fn write_encoded_int(&mut self, v: i64) -> io::Result<bool> {
        if let Ok(b) = i8::try_from(v) {
            self.write_raw(&[0xC0, b as u8])?;
        } else if let Ok(s) = i16::try_from(v) {
            let b = s.to_le_bytes();
            self.write_raw(&[0xC1, b[0], b[1]])?;
        } else if let Ok(w) = i32::try_from(v) {
            let b = w.to_le_bytes();
            self.write_raw(&[0xC2, b[0], b[1], b[2], b[3]])?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// Writes a string as Redis's `rdbSaveRawString`: canonical integers
    /// that fit 32 bits integer-encoded, strings over 20 bytes LZF-compressed
    /// when compression is on and it saves space, others verbatim.
    pub fn write_string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= INT_ENCODING_MAX_LEN {
            if let Some(v) = parse_canonical_i64(s) {
                if self.write_encoded_int(v)? {
                    return Ok(());
                }
            }
        }
        if self.opts.rdb_compression && s.len() > LZF_MIN_LEN {
            let compressor = self
                .lzf
                .get_or_insert_with(|| Box::new(lzf::Compressor::new()));
            if let Some(compressed) = compressor.compress(s) {
                return self.write_lzf_blob(&compressed, s.len() as u64);
            }
        }
        self.write_plain_string(s)
    }

    /// Writes a string as length + bytes, never integer- or LZF-encoded.
    pub fn write_plain_string(&mut self, s: &[u8]) -> io::Result<()> {
        self.write_len(s.len() as u64)?;
        self.write_raw(s)
    }

    /// Writes an integer as a string value (`rdbSaveLongLongAsStringObject`):
    /// integer-encoded if it fits 32 bits, decimal text otherwise.
    pub fn write_int_string(&mut self, v: i64) -> io::Result<()> {
        if self.write_encoded_int(v)? {
            return Ok(());
        }
        self.write_plain_string(v.to_string().as_bytes())
    }

    /// Writes already LZF-compressed data as a string (`rdbSaveLzfBlob`),
    /// e.g. a quicklist node that is kept compressed in memory.
    pub fn write_lzf_blob(&mut self, compressed: &[u8], original_len: u64) -> io::Result<()> {
        self.write_raw(&[0xC3])?;
        self.write_len(compressed.len() as u64)?;
        self.write_len(original_len)?;
        self.write_raw(compressed)
    }

    /// Writes a little-endian millisecond timestamp.
    pub fn write_millis(&mut self, ms: i64) -> io::Result<()> {
        self.write_raw(&ms.to_le_bytes())
    }

    /// Writes a double as 8 little-endian bytes (ZSET_2 scores, modules).
    pub fn write_double_binary(&mut self, v: f64) -> io::Result<()> {
        self.write_raw(&v.to_le_bytes())
    }

    /// Writes a float as 4 little-endian bytes (module values).
    pub fn write_float_binary(&mut self, v: f32) -> io::Result<()> {
        self.write_raw(&v.to_le_bytes())
    }

    /// Writes a double in the pre-RDB-8 text form (`rdbSaveDoubleValue`):
    /// length byte then ASCII, with 253/254/255 for NaN/+inf/-inf.
    pub fn write_double_text(&mut self, v: f64) -> io::Result<()> {
        if v.is_nan() {
            return self.write_raw(&[253]);
        }
        if v.is_infinite() {
            return self.write_raw(&[if v < 0.0 { 255 } else { 254 }]);
        }
        let text = format_double(v);
        self.write_raw(&[text.len() as u8])?;
        self.write_raw(text.as_bytes())
    }

    /// Writes the magic and version, `REDIS0010`.
    pub fn header(&mut self) -> io::Result<()> {
        self.write_raw(format!("REDIS{RDB_VERSION:04}").as_bytes())
    }

    /// Writes an auxiliary field; numeric values end up integer-encoded just
    /// as Redis's `rdbSaveAuxFieldStrInt` produces them.
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.write_type(OPCODE_AUX)?;
        self.write_string(key)?;
        self.write_string(value)
    }

    /// Writes an auxiliary field with an integer value.
    pub fn aux_int(&mut self, key: &[u8], value: i64) -> io::Result<()> {
        self.aux(key, value.to_string().as_bytes())
    }

    /// Writes the metadata fields Redis 7.0 puts after the header, in order:
    /// redis-ver, redis-bits, ctime, used-mem, [repl-stream-db, repl-id,
    /// repl-offset], aof-base.
    pub fn info_aux(&mut self, info: &InfoAux<'_>) -> io::Result<()> {
        self.aux(b"redis-ver", info.redis_ver.as_bytes())?;
        self.aux_int(b"redis-bits", i64::from(usize::BITS))?;
        self.aux_int(b"ctime", info.ctime)?;
        self.aux(b"used-mem", info.used_mem.to_string().as_bytes())?;
        if let Some((stream_db, repl_id, offset)) = info.repl {
            self.aux_int(b"repl-stream-db", stream_db)?;
            self.aux(b"repl-id", repl_id.as_bytes())?;
            self.aux_int(b"repl-offset", offset)?;
        }
        self.aux_int(b"aof-base", i64::from(info.aof_base))
    }

    /// Writes a function library (`RDB_OPCODE_FUNCTION2` + its source).
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.write_type(OPCODE_FUNCTION2)?;
        self.write_string(code)
    }

    /// Starts database `db`; Redis writes it only for non-empty databases.
    pub fn select_db(&mut self, db: u64) -> io::Result<()> {
        self.write_type(OPCODE_SELECTDB)?;
        self.write_len(db)
    }

    /// Writes the key/expire count hint that follows `select_db`.
    pub fn resize_db(&mut self, db_size: u64, expires_size: u64) -> io::Result<()> {
        self.write_type(OPCODE_RESIZEDB)?;
        self.write_len(db_size)?;
        self.write_len(expires_size)
    }

    /// Writes the expire opcode for the next key (absolute Unix ms).
    pub fn expire_ms(&mut self, at_ms: i64) -> io::Result<()> {
        self.write_type(OPCODE_EXPIRETIME_MS)?;
        self.write_millis(at_ms)
    }

    /// Writes the LRU idle time (seconds) of the next key; Redis writes it,
    /// after the expire, when the maxmemory policy is an LRU one.
    pub fn lru_idle(&mut self, idle_secs: u64) -> io::Result<()> {
        self.write_type(OPCODE_IDLE)?;
        self.write_len(idle_secs)
    }

    /// Writes the LFU counter of the next key; Redis writes it, after the
    /// expire, when the maxmemory policy is an LFU one.
    pub fn lfu_freq(&mut self, freq: u8) -> io::Result<()> {
        self.write_raw(&[OPCODE_FREQ, freq])
    }

    /// Writes the optional expire, the value type and the key: everything
    /// before a value body. To match Redis byte for byte with LRU/LFU data,
    /// call `expire_ms`, then `lru_idle`/`lfu_freq`, then this with `None`.
    pub fn key_header(
        &mut self,
        rdb_type: u8,
        key: &[u8],
        expire_ms: Option<i64>,
    ) -> io::Result<()> {
        if let Some(at) = expire_ms {
            self.expire_ms(at)?;
        }
        self.write_type(rdb_type)?;
        self.write_string(key)
    }

    /// Writes a string key.
    pub fn key_string(
        &mut self,
        key: &[u8],
        value: &[u8],
        expire_ms: Option<i64>,
    ) -> io::Result<()> {
        self.key_header(STRING, key, expire_ms)?;
        self.write_string(value)
    }

    /// Writes any key in the encoding Redis 7.0 would use for it under the
    /// writer's options (listpack/intset for small collections, quicklist for
    /// lists, plain encodings for large ones). Fails on a NaN score.
    pub fn key_object(
        &mut self,
        key: &[u8],
        value: &RdbObject,
        expire_ms: Option<i64>,
    ) -> io::Result<()> {
        let rdb_type = object_type(value, &self.opts);
        self.key_header(rdb_type, key, expire_ms)?;
        self.write_object_body(value, rdb_type)
    }

    /// Writes a value body in encoding `rdb_type` (as chosen by the same rules
    /// as [`RdbWriter::key_object`]); used directly for `DUMP` payloads.
    fn write_object_body(&mut self, value: &RdbObject, rdb_type: u8) -> io::Result<()> {
        match (value, rdb_type) {
            (RdbObject::String(s), _) => self.write_string(s),
            (RdbObject::List(items), _) => self.write_quicklist(items),
            (RdbObject::Set(items), SET_INTSET) => {
                let ints: Vec<i64> = items
                    .iter()
                    .filter_map(|m| parse_canonical_i64(m))
                    .collect();
                self.write_string(&intset::encode(&ints))
            }
            (RdbObject::Set(items), _) => {
                self.write_len(items.len() as u64)?;
                items.iter().try_for_each(|m| self.write_string(m))
            }
            (RdbObject::Hash(pairs), HASH_LISTPACK) => {
                let lp = listpack::encode(
                    pairs
                        .iter()
                        .flat_map(|(f, v)| [Entry::Str(f), Entry::Str(v)]),
                )
                .ok_or_else(|| invalid("hash too large for a listpack"))?;
                self.write_string(&lp)
            }
            (RdbObject::Hash(pairs), _) => {
                self.write_len(pairs.len() as u64)?;
                for (f, v) in pairs {
                    self.write_string(f)?;
                    self.write_string(v)?;
                }
                Ok(())
            }
            (RdbObject::ZSet(pairs), zt) => {
                if pairs.iter().any(|(_, s)| s.is_nan()) {
                    return Err(invalid("sorted set score is NaN"));
                }
                let mut sorted: Vec<&(Vec<u8>, f64)> = pairs.iter().collect();
                sorted.sort_by(|a, b| {
                    a.1.partial_cmp(&b.1)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| a.0.cmp(&b.0))
                });
                if zt == ZSET_LISTPACK {
                    let scores: Vec<String> =
                        sorted.iter().map(|(_, s)| format_double(*s)).collect();
                    let lp =
                        listpack::encode(sorted.iter().zip(&scores).flat_map(|((m, s), text)| {
                            let score = match double_to_i64(*s) {
                                Some(i) => Entry::Int(i),
                                None => Entry::Str(text.as_bytes()),
                            };
                            [Entry::Str(m), score]
                        }))
                        .ok_or_else(|| invalid("sorted set too large for a listpack"))?;
                    self.write_string(&lp)
                } else {
                    // Redis saves skiplists from the highest score down.
                    self.write_len(sorted.len() as u64)?;
                    for (m, s) in sorted.iter().rev() {
                        self.write_string(m)?;
                        self.write_double_binary(*s)?;
                    }
                    Ok(())
                }
            }
        }
    }

    /// Writes a list as `RDB_TYPE_LIST_QUICKLIST_2`, split into nodes the way
    /// a quicklist filled by RPUSH would be under `list-max-listpack-size`.
    fn write_quicklist(&mut self, items: &[Vec<u8>]) -> io::Result<()> {
        let nodes = quicklist_nodes(
            items,
            self.opts.list_max_listpack_size,
            self.opts.quicklist_packed_threshold,
        );
        self.write_len(nodes.len() as u64)?;
        for node in nodes {
            match node {
                QuicklistNode::Plain(item) => {
                    self.write_len(QUICKLIST_NODE_PLAIN)?;
                    self.write_string(item)?;
                }
                QuicklistNode::Packed(range) => {
                    self.write_len(QUICKLIST_NODE_PACKED)?;
                    let lp = listpack::encode_strs(&items[range])
                        .ok_or_else(|| invalid("list node too large for a listpack"))?;
                    self.write_string(&lp)?;
                }
            }
        }
        Ok(())
    }

    /// Ends the file: EOF opcode and the little-endian CRC64 (zero when
    /// checksums are disabled). Flushes and returns the destination so the
    /// caller can `fsync` and rename it.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_type(OPCODE_EOF)?;
        let crc = if self.opts.rdb_checksum { self.crc } else { 0 };
        self.inner.write_all(&crc.to_le_bytes())?;
        self.written += 8;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

enum QuicklistNode<'a> {
    Plain(&'a [u8]),
    Packed(std::ops::Range<usize>),
}

/// Splits list elements into quicklist nodes following Redis's
/// `_quicklistNodeAllowInsert` for a list built by RPUSH.
fn quicklist_nodes(
    items: &[Vec<u8>],
    fill: i64,
    packed_threshold: usize,
) -> Vec<QuicklistNode<'_>> {
    let fill = fill.clamp(-5, QUICKLIST_FILL_MAX);
    let mut nodes = Vec::new();
    // Current packed node: start index and listpack byte size.
    let mut current: Option<(usize, usize)> = None;
    for (i, item) in items.iter().enumerate() {
        let len = item.len();
        if len >= packed_threshold {
            if let Some((start, _)) = current.take() {
                nodes.push(QuicklistNode::Packed(start..i));
            }
            nodes.push(QuicklistNode::Plain(item));
            continue;
        }
        let entry = listpack::encoded_size(item);
        if let Some((start, size)) = current {
            let count = i - start;
            let new_sz = size + len + QUICKLIST_SIZE_OVERHEAD;
            let allowed = if fill < 0 {
                let level = QUICKLIST_SIZE_LEVELS[(-fill - 1) as usize];
                new_sz <= level
            } else {
                new_sz <= QUICKLIST_SAFETY_LIMIT && (count as i64) < fill
            };
            if allowed {
                current = Some((start, size + entry));
                continue;
            }
            nodes.push(QuicklistNode::Packed(start..i));
        }
        current = Some((i, 7 + entry));
    }
    if let Some((start, _)) = current {
        nodes.push(QuicklistNode::Packed(start..items.len()));
    }
    nodes
}

/// The RDB type Redis 7.0 would save `value` as under `opts`.
fn object_type(value: &RdbObject, opts: &EncodingOptions) -> u8 {
    match value {
        RdbObject::String(_) => STRING,
        RdbObject::List(_) => LIST_QUICKLIST_2,
        RdbObject::Set(items) => {
            if !items.is_empty()
                && items.len() <= opts.set_max_intset_entries
                && items.iter().all(|m| parse_canonical_i64(m).is_some())
            {
                SET_INTSET
            } else {
                SET
            }
        }
        RdbObject::Hash(pairs) => {
            if !pairs.is_empty()
                && pairs.len() <= opts.hash_max_listpack_entries
                && pairs.iter().all(|(f, v)| {
                    f.len() <= opts.hash_max_listpack_value
                        && v.len() <= opts.hash_max_listpack_value
                })
            {
                HASH_LISTPACK
            } else {
                HASH
            }
        }
        RdbObject::ZSet(pairs) => {
            if !pairs.is_empty()
                && pairs.len() <= opts.zset_max_listpack_entries
                && pairs
                    .iter()
                    .all(|(m, _)| m.len() <= opts.zset_max_listpack_value)
            {
                ZSET_LISTPACK
            } else {
                ZSET_2
            }
        }
    }
}

/// Serializes a value as `DUMP` returns it: type byte, value body, RDB
/// version (2 bytes LE) and CRC64 (8 bytes LE) of everything before it.
pub fn dump_payload(value: &RdbObject, opts: &EncodingOptions) -> io::Result<Vec<u8>> {
    let mut inner_opts = opts.clone();
    inner_opts.rdb_checksum = false; // the payload CRC is computed below
    let mut w = RdbWriter::with_options(Vec::new(), inner_opts);
    let rdb_type = object_type(value, opts);
    w.write_type(rdb_type)?;
    w.write_object_body(value, rdb_type)?;
    let mut out = w.inner;
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(f: impl FnOnce(&mut RdbWriter<Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut w = RdbWriter::new(Vec::new());
        f(&mut w).unwrap();
        w.inner
    }

    #[test]
    fn lengths() {
        assert_eq!(bytes_of(|w| w.write_len(63)), vec![63]);
        assert_eq!(bytes_of(|w| w.write_len(64)), vec![0x40, 64]);
        assert_eq!(bytes_of(|w| w.write_len(16383)), vec![0x7f, 0xff]);
        assert_eq!(bytes_of(|w| w.write_len(16384)), vec![0x80, 0, 0, 0x40, 0]);
        assert_eq!(
            bytes_of(|w| w.write_len(1 << 32)),
            vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]
        );
    }

    #[test]
    fn string_encodings() {
        assert_eq!(bytes_of(|w| w.write_string(b"12")), vec![0xC0, 12]);
        assert_eq!(
            bytes_of(|w| w.write_string(b"-129")),
            vec![0xC1, 0x7f, 0xff]
        );
        assert_eq!(
            bytes_of(|w| w.write_string(b"70000")),
            vec![0xC2, 0x70, 0x11, 0x01, 0x00]
        );
        // Too big for 32 bits: stored as text.
        assert_eq!(bytes_of(|w| w.write_string(b"4294967296"))[0], 10);
        // Non-canonical integers stay text.
        assert_eq!(bytes_of(|w| w.write_string(b"012")), b"\x03012".to_vec());
        assert_eq!(bytes_of(|w| w.write_string(b"")), vec![0]);
        // Compressible long strings use LZF.
        assert_eq!(bytes_of(|w| w.write_string(&[b'a'; 40]))[0], 0xC3);
        // ... unless compression is off.
        let mut w = RdbWriter::with_options(
            Vec::new(),
            EncodingOptions {
                rdb_compression: false,
                ..EncodingOptions::default()
            },
        );
        w.write_string(&[b'a'; 40]).unwrap();
        assert_eq!(w.inner[0], 40);
    }

    #[test]
    fn int_strings() {
        assert_eq!(bytes_of(|w| w.write_int_string(-1)), vec![0xC0, 0xff]);
        assert_eq!(
            bytes_of(|w| w.write_int_string(i64::MAX)),
            b"\x139223372036854775807".to_vec()
        );
    }

    #[test]
    fn double_text() {
        assert_eq!(bytes_of(|w| w.write_double_text(f64::NAN)), vec![253]);
        assert_eq!(bytes_of(|w| w.write_double_text(f64::INFINITY)), vec![254]);
        assert_eq!(
            bytes_of(|w| w.write_double_text(f64::NEG_INFINITY)),
            vec![255]
        );
        assert_eq!(bytes_of(|w| w.write_double_text(3.0)), b"\x013".to_vec());
        assert_eq!(
            bytes_of(|w| w.write_double_text(0.1)),
            b"\x130.10000000000000001".to_vec()
        );
    }

    #[test]
    fn quicklist_splitting_by_size_and_count() {
        let items: Vec<Vec<u8>> = (0..3000)
            .map(|i| format!("element-{i}").into_bytes())
            .collect();
        let nodes = quicklist_nodes(&items, -2, 1 << 30);
        assert!(nodes.len() > 1);
        let total: usize = nodes
            .iter()
            .map(|n| match n {
                QuicklistNode::Packed(r) => r.len(),
                QuicklistNode::Plain(_) => 1,
            })
            .sum();
        assert_eq!(total, 3000);
        for n in &nodes {
            if let QuicklistNode::Packed(r) = n {
                let lp = listpack::encode_strs(&items[r.clone()]).unwrap();
                assert!(lp.len() <= 8192);
            }
        }
        let nodes = quicklist_nodes(&items, 100, 1 << 30);
        assert_eq!(nodes.len(), 30);
    }
}
