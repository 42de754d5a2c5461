//! Streaming RDB loader: parses a whole RDB file (or a `DUMP` payload) and
//! hands every key to an [`RdbVisitor`] as an [`RdbObject`].
//!
//! Hostile-input rules followed throughout: no length from the file is
//! trusted for allocation (buffers grow as bytes actually arrive, capped
//! pre-allocation), every loop consumes input so it ends at EOF at the latest,
//! every blob is validated completely, and nothing panics.

use std::collections::HashSet;
use std::io::Read;

use super::types::*;
use super::{corrupt, intset, listpack, ziplist, zipmap, Entry, RdbError, RdbObject, RDB_VERSION};
use crate::persist::crc64::crc64;
use crate::persist::lzf;

/// Largest chunk read (and allocated) at once for a length-prefixed string:
/// a forged multi-gigabyte length costs at most this much before EOF.
const READ_CHUNK: usize = 1 << 16;
/// Cap on capacity reserved up front from an element count in the file.
const MAX_PREALLOC_ITEMS: usize = 4096;

/// Receives the contents of an RDB file as it is parsed. Only [`object`]
/// must be implemented; the other callbacks default to ignoring the data,
/// except module data, which cannot be represented and fails the load (as in
/// Redis without the module). Returning an error from any callback aborts the
/// load with that error.
///
/// [`object`]: RdbVisitor::object
pub trait RdbVisitor {
    /// The file's RDB version (1..=10), reported before anything else.
    fn version(&mut self, _version: u32) -> Result<(), RdbError> {
        Ok(())
    }

    /// An auxiliary metadata field (`redis-ver`, `ctime`, `repl-id`, `lua`,
    /// ...); integer-encoded values arrive in decimal.
    fn aux(&mut self, _key: Vec<u8>, _value: Vec<u8>) -> Result<(), RdbError> {
        Ok(())
    }

    /// The following keys belong to database `db`; the visitor should reject
    /// indexes beyond its configured database count.
    fn select_db(&mut self, _db: u64) -> Result<(), RdbError> {
        Ok(())
    }

    /// Size hint for the current database, useful to pre-size tables (the
    /// values come from the file: cap them before allocating).
    fn resize_db(&mut self, _db_size: u64, _expires_size: u64) -> Result<(), RdbError> {
        Ok(())
    }

    /// One key. `expire_ms` is absolute Unix time in milliseconds and may be
    /// in the past (deciding to drop such keys is the caller's policy, as it
    /// differs between masters, replicas and AOF preambles). `lru_idle` is in
    /// seconds; `lfu_freq` is the logarithmic LFU counter.
    fn object(
        &mut self,
        db: u64,
        key: Vec<u8>,
        value: RdbObject,
        expire_ms: Option<i64>,
        lru_idle: Option<u64>,
        lfu_freq: Option<u8>,
    ) -> Result<(), RdbError>;

    /// A collection stored with no elements. Redis skips these silently
    /// (older versions could write them), so by default so does the loader.
    fn empty_key(&mut self, _db: u64, _key: Vec<u8>) -> Result<(), RdbError> {
        Ok(())
    }

    /// A function library's source code (`FUNCTION LOAD` payload, including
    /// its `#!engine name=...` header). Ignored unless overridden.
    fn function(&mut self, _code: Vec<u8>) -> Result<(), RdbError> {
        Ok(())
    }

    /// Module auxiliary data (already skipped over). Fails by default: Redis
    /// refuses to load a file with data for a module it does not have.
    fn module_aux(&mut self, _module: String, _module_id: u64, _when: u64) -> Result<(), RdbError> {
        Err(RdbError::Unsupported("module auxiliary data"))
    }
}

/// A length field: a plain number, or a special string encoding selector.
enum Len {
    Plain(u64),
    Encoded(u8),
}

/// Byte source that maintains the running CRC64 and offset.
struct Input<R> {
    inner: R,
    crc: u64,
    offset: u64,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        Input {
            inner,
            crc: 0,
            offset: 0,
        }
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        self.inner.read_exact(buf)?;
        self.crc = crc64(self.crc, buf);
        self.offset += buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.array::<1>()?[0])
    }

    /// Reads exactly `len` bytes, growing the buffer only as data arrives.
    fn bytes(&mut self, len: u64) -> Result<Vec<u8>, RdbError> {
        let len = usize::try_from(len).map_err(|_| RdbError::UnexpectedEof)?;
        let mut out = Vec::with_capacity(len.min(READ_CHUNK));
        while out.len() < len {
            let start = out.len();
            let n = (len - start).min(READ_CHUNK);
            out.resize(start + n, 0);
            self.fill(&mut out[start..])?;
        }
        Ok(out)
    }

    fn len_or_encoding(&mut self) -> Result<Len, RdbError> {
        let b = self.u8()?;
        match b >> 6 {
            0 => Ok(Len::Plain(u64::from(b & 0x3f))),
            1 => {
                let lo = self.u8()?;
                Ok(Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(lo)))
            }
            2 => match b {
                0x80 => Ok(Len::Plain(u64::from(u32::from_be_bytes(self.array()?)))),
                0x81 => Ok(Len::Plain(u64::from_be_bytes(self.array()?))),
                _ => Err(corrupt(format!(
                    "Unknown length encoding {b:#04x} in rdbLoadLen()"
                ))),
            },
            _ => Ok(Len::Encoded(b & 0x3f)),
        }
    }

    fn len(&mut self) -> Result<u64, RdbError> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(e) => Err(corrupt(format!(
                "string encoding {e} found where a length was expected"
            ))),
        }
    }

    /// A string in any of its encodings (raw, INT8/16/32, LZF).
    fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        match self.len_or_encoding()? {
            Len::Plain(n) => self.bytes(n),
            Len::Encoded(0) => Ok((self.u8()? as i8).to_string().into_bytes()),
            Len::Encoded(1) => Ok(i16::from_le_bytes(self.array()?).to_string().into_bytes()),
            Len::Encoded(2) => Ok(i32::from_le_bytes(self.array()?).to_string().into_bytes()),
            Len::Encoded(3) => {
                let clen = self.len()?;
                let len = self.len()?;
                let len = usize::try_from(len).map_err(|_| corrupt("LZF length too large"))?;
                let compressed = self.bytes(clen)?;
                lzf::decompress(&compressed, len)
                    .map_err(|e| corrupt(format!("Invalid LZF compressed string: {e}")))
            }
            Len::Encoded(e) => Err(corrupt(format!("Unknown RDB string encoding type {e}"))),
        }
    }

    /// Old-style double: length byte (253 NaN, 254 +inf, 255 -inf) + ASCII.
    fn double_text(&mut self) -> Result<f64, RdbError> {
        let len = self.u8()?;
        match len {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            _ => {
                let text = self.bytes(u64::from(len))?;
                super::parse_f64(&text).ok_or_else(|| corrupt("invalid double value"))
            }
        }
    }

    fn double_binary(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// Parses an RDB stream, reporting its contents to `visitor`, and verifies the
/// trailing checksum (a stored checksum of zero means "disabled" and is
/// accepted, as in Redis). Reads stop right after the checksum, so an AOF
/// tail following an RDB preamble stays in the reader.
///
/// `reader` is read in small pieces: pass a `BufReader` (or `&mut` one, to
/// keep reading after the RDB part), not a bare `File`.
pub fn load<R: Read, V: RdbVisitor + ?Sized>(reader: R, visitor: &mut V) -> Result<(), RdbError> {
    let mut input = Input::new(reader);
    let magic: [u8; 9] = input.array()?;
    if &magic[..5] != b"REDIS" {
        return Err(RdbError::BadSignature);
    }
    // atoi() semantics: leading digits only.
    let version = magic[5..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'));
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(RdbError::BadVersion(version));
    }
    visitor.version(version)?;

    let mut db: u64 = 0;
    let mut expire_ms: Option<i64> = None;
    let mut lru_idle: Option<u64> = None;
    let mut lfu_freq: Option<u8> = None;
    loop {
        let opcode = input.u8()?;
        match opcode {
            OPCODE_EXPIRETIME => {
                let secs = i32::from_le_bytes(input.array()?);
                expire_ms = Some(i64::from(secs) * 1000);
            }
            OPCODE_EXPIRETIME_MS => {
                // Before RDB 9 this was host-endian; every platform we run on
                // is little-endian, which is what RDB 9+ specifies.
                expire_ms = Some(i64::from_le_bytes(input.array()?));
            }
            OPCODE_FREQ => lfu_freq = Some(input.u8()?),
            OPCODE_IDLE => lru_idle = Some(input.len()?),
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                db = input.len()?;
                visitor.select_db(db)?;
            }
            OPCODE_RESIZEDB => {
                let db_size = input.len()?;
                let expires_size = input.len()?;
                visitor.resize_db(db_size, expires_size)?;
            }
            OPCODE_AUX => {
                let key = input.string()?;
                let value = input.string()?;
                visitor.aux(key, value)?;
            }
            OPCODE_MODULE_AUX => {
                let module_id = input.len()?;
                let when_opcode = input.len()?;
                let when = input.len()?;
                if when_opcode != MODULE_OPCODE_UINT {
                    return Err(corrupt("bad when_opcode in module aux data"));
                }
                skip_module_value(&mut input)?;
                visitor.module_aux(module_type_name(module_id), module_id, when)?;
            }
            OPCODE_FUNCTION2 => {
                let code = input.string()?;
                visitor.function(code)?;
            }
            OPCODE_FUNCTION => {
                // 7.0-rc1/rc2 layout: name, engine, optional description,
                // code; rebuilt into the GA payload format as Redis does.
                let name = input.string()?;
                let engine = input.string()?;
                if input.len()? != 0 {
                    input.string()?; // description, dropped as in Redis
                }
                let blob = input.string()?;
                let mut code = b"#!".to_vec();
                code.extend_from_slice(&engine);
                code.extend_from_slice(b" name=");
                code.extend_from_slice(&name);
                code.push(b'\n');
                code.extend_from_slice(&blob);
                visitor.function(code)?;
            }
            rdb_type => {
                if !is_object_type(rdb_type) {
                    return Err(corrupt(format!(
                        "Unknown RDB encoding type {rdb_type} at offset {}",
                        input.offset - 1
                    )));
                }
                let key = input.string()?;
                let start = input.offset;
                let value =
                    read_object(rdb_type, &mut input).map_err(|e| annotate(e, &key, start))?;
                match value {
                    Some(obj) => visitor.object(db, key, obj, expire_ms, lru_idle, lfu_freq)?,
                    None => visitor.empty_key(db, key)?,
                }
                expire_ms = None;
                lru_idle = None;
                lfu_freq = None;
            }
        }
    }
    if version >= 5 {
        let expected = input.crc;
        let found = u64::from_le_bytes(input.array()?);
        if found != 0 && found != expected {
            return Err(RdbError::ChecksumMismatch { expected, found });
        }
    }
    Ok(())
}

/// Decodes a `DUMP` payload (object type, serialized value, 2-byte RDB
/// version, CRC64) as `RESTORE` must: the version must not be newer than
/// ours and the checksum must match. Bytes between the value and the footer
/// are ignored, as Redis ignores them.
pub fn decode_dump_payload(payload: &[u8]) -> Result<RdbObject, RdbError> {
    let bad = || corrupt("DUMP payload version or checksum are wrong");
    if payload.len() < 10 {
        return Err(bad());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if u32::from(version) > RDB_VERSION {
        return Err(RdbError::BadVersion(u32::from(version)));
    }
    let mut crc_bytes = [0u8; 8];
    crc_bytes.copy_from_slice(&footer[2..]);
    let found = u64::from_le_bytes(crc_bytes);
    let expected = crc64(0, &payload[..payload.len() - 8]);
    if found != expected {
        return Err(RdbError::ChecksumMismatch { expected, found });
    }
    let mut input = Input::new(body);
    let rdb_type = input.u8()?;
    if !is_object_type(rdb_type) {
        return Err(corrupt(format!("Unknown RDB encoding type {rdb_type}")));
    }
    read_object(rdb_type, &mut input)?.ok_or_else(|| corrupt("empty collection in DUMP payload"))
}

/// Adds the key and offset to a corruption message, for useful logs.
fn annotate(e: RdbError, key: &[u8], offset: u64) -> RdbError {
    match e {
        RdbError::Corrupt(msg) => {
            let shown: String = String::from_utf8_lossy(key).chars().take(64).collect();
            RdbError::Corrupt(format!("{msg} (key '{shown}', value at offset {offset})"))
        }
        other => other,
    }
}

/// Opcodes inside module values (`RDB_MODULE_OPCODE_*`).
const MODULE_OPCODE_EOF: u64 = 0;
const MODULE_OPCODE_SINT: u64 = 1;
const MODULE_OPCODE_UINT: u64 = 2;
const MODULE_OPCODE_FLOAT: u64 = 3;
const MODULE_OPCODE_DOUBLE: u64 = 4;
const MODULE_OPCODE_STRING: u64 = 5;

/// Skips a self-describing (v2) module value up to its EOF marker.
fn skip_module_value<R: Read>(input: &mut Input<R>) -> Result<(), RdbError> {
    loop {
        match input.len()? {
            MODULE_OPCODE_EOF => return Ok(()),
            MODULE_OPCODE_SINT | MODULE_OPCODE_UINT => {
                input.len()?;
            }
            MODULE_OPCODE_FLOAT => {
                input.array::<4>()?;
            }
            MODULE_OPCODE_DOUBLE => {
                input.array::<8>()?;
            }
            MODULE_OPCODE_STRING => {
                input.string()?;
            }
            other => return Err(corrupt(format!("unknown module value opcode {other}"))),
        }
    }
}

/// The 9-character module type name packed in a module id (Redis's
/// `moduleTypeNameByID`), for error messages.
fn module_type_name(id: u64) -> String {
    const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for slot in name.iter_mut().rev() {
        *slot = CHARSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Whether `t` is a value type byte (as opposed to an opcode or garbage).
fn is_object_type(t: u8) -> bool {
    matches!(t, 0..=7 | 9..=19)
}

fn check_unique<'a>(items: impl Iterator<Item = &'a [u8]>, what: &str) -> Result<(), RdbError> {
    let mut seen = HashSet::new();
    for item in items {
        if !seen.insert(item) {
            return Err(corrupt(format!("Duplicate {what} detected")));
        }
    }
    Ok(())
}

fn capacity(n: u64) -> usize {
    usize::try_from(n)
        .unwrap_or(usize::MAX)
        .min(MAX_PREALLOC_ITEMS)
}

fn score_of(e: &Entry<'_>) -> Result<f64, RdbError> {
    match e.to_score() {
        Some(s) if !s.is_nan() => Ok(s),
        _ => Err(corrupt("invalid sorted set score")),
    }
}

fn zset_from_pairs(pairs: &[(Entry<'_>, Entry<'_>)]) -> Result<Option<RdbObject>, RdbError> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(pairs.len());
    for (member, score) in pairs {
        out.push((member.to_bytes(), score_of(score)?));
    }
    check_unique(out.iter().map(|(m, _)| m.as_slice()), "zset member")?;
    Ok(Some(RdbObject::ZSet(out)))
}

fn hash_from_pairs(pairs: &[(Entry<'_>, Entry<'_>)]) -> Result<Option<RdbObject>, RdbError> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let out: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .map(|(f, v)| (f.to_bytes(), v.to_bytes()))
        .collect();
    check_unique(out.iter().map(|(f, _)| f.as_slice()), "hash field")?;
    Ok(Some(RdbObject::Hash(out)))
}

/// Reads one value of type `rdb_type`. `Ok(None)` means a collection with no
/// elements, which callers skip (as Redis does) or reject (`RESTORE`).
fn read_object<R: Read>(rdb_type: u8, input: &mut Input<R>) -> Result<Option<RdbObject>, RdbError> {
    let obj = match rdb_type {
        STRING => RdbObject::String(input.string()?),
        LIST => {
            let n = input.len()?;
            let mut items = Vec::with_capacity(capacity(n));
            for _ in 0..n {
                items.push(input.string()?);
            }
            if items.is_empty() {
                return Ok(None);
            }
            RdbObject::List(items)
        }
        SET => {
            let n = input.len()?;
            let mut items = Vec::with_capacity(capacity(n));
            for _ in 0..n {
                items.push(input.string()?);
            }
            if items.is_empty() {
                return Ok(None);
            }
            check_unique(items.iter().map(Vec::as_slice), "set member")?;
            RdbObject::Set(items)
        }
        ZSET | ZSET_2 => {
            let n = input.len()?;
            let mut items = Vec::with_capacity(capacity(n));
            for _ in 0..n {
                let member = input.string()?;
                let score = if rdb_type == ZSET_2 {
                    input.double_binary()?
                } else {
                    input.double_text()?
                };
                if score.is_nan() {
                    return Err(corrupt("Zset with NAN score detected"));
                }
                items.push((member, score));
            }
            if items.is_empty() {
                return Ok(None);
            }
            check_unique(items.iter().map(|(m, _)| m.as_slice()), "zset member")?;
            RdbObject::ZSet(items)
        }
        HASH => {
            let n = input.len()?;
            let mut items = Vec::with_capacity(capacity(n));
            for _ in 0..n {
                let field = input.string()?;
                let value = input.string()?;
                items.push((field, value));
            }
            if items.is_empty() {
                return Ok(None);
            }
            check_unique(items.iter().map(|(f, _)| f.as_slice()), "hash field")?;
            RdbObject::Hash(items)
        }
        HASH_ZIPMAP => {
            let blob = input.string()?;
            let pairs = zipmap::decode(&blob)?;
            check_unique(pairs.iter().map(|(f, _)| *f), "hash field")?;
            RdbObject::Hash(
                pairs
                    .iter()
                    .map(|(f, v)| (f.to_vec(), v.to_vec()))
                    .collect(),
            )
        }
        LIST_ZIPLIST => {
            let blob = input.string()?;
            let items: Vec<Vec<u8>> = ziplist::decode(&blob)?
                .iter()
                .map(Entry::to_bytes)
                .collect();
            if items.is_empty() {
                return Ok(None);
            }
            RdbObject::List(items)
        }
        SET_INTSET => {
            let blob = input.string()?;
            let members = intset::decode(&blob)?;
            RdbObject::Set(members.iter().map(|v| v.to_string().into_bytes()).collect())
        }
        ZSET_ZIPLIST => {
            let blob = input.string()?;
            return zset_from_pairs(&ziplist::decode_pairs(&blob)?);
        }
        HASH_ZIPLIST => {
            let blob = input.string()?;
            return hash_from_pairs(&ziplist::decode_pairs(&blob)?);
        }
        ZSET_LISTPACK => {
            let blob = input.string()?;
            return zset_from_pairs(&listpack::decode_pairs(&blob)?);
        }
        HASH_LISTPACK => {
            let blob = input.string()?;
            return hash_from_pairs(&listpack::decode_pairs(&blob)?);
        }
        LIST_QUICKLIST | LIST_QUICKLIST_2 => {
            let nodes = input.len()?;
            let mut items: Vec<Vec<u8>> = Vec::new();
            for _ in 0..nodes {
                let container = if rdb_type == LIST_QUICKLIST_2 {
                    input.len()?
                } else {
                    QUICKLIST_NODE_PACKED
                };
                if container != QUICKLIST_NODE_PACKED && container != QUICKLIST_NODE_PLAIN {
                    return Err(corrupt("Quicklist integrity check failed: bad container"));
                }
                let blob = input.string()?;
                if blob.is_empty() {
                    return Err(corrupt("Quicklist integrity check failed: empty node"));
                }
                if container == QUICKLIST_NODE_PLAIN {
                    items.push(blob);
                } else if rdb_type == LIST_QUICKLIST_2 {
                    items.extend(listpack::decode(&blob)?.iter().map(Entry::to_bytes));
                } else {
                    items.extend(ziplist::decode(&blob)?.iter().map(Entry::to_bytes));
                }
            }
            if items.is_empty() {
                return Ok(None);
            }
            RdbObject::List(items)
        }
        STREAM_LISTPACKS | STREAM_LISTPACKS_2 => return Err(RdbError::Unsupported("stream")),
        MODULE | MODULE_2 => return Err(RdbError::Unsupported("module")),
        other => return Err(corrupt(format!("Unknown RDB encoding type {other}"))),
    };
    Ok(Some(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_decode_like_redis() {
        // Encode "mymodtype" with encoding version 3 the way Redis packs it.
        const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut id: u64 = 0;
        for c in b"mymodtype" {
            let pos = CHARSET.iter().position(|x| x == c).unwrap() as u64;
            id = (id << 6) | pos;
        }
        id = (id << 10) | 3;
        assert_eq!(module_type_name(id), "mymodtype");
    }

    #[test]
    fn lengths_decode_all_widths() {
        let data = [
            0x05, 0x41, 0x02, 0x80, 0, 1, 0, 0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0,
        ];
        let mut input = Input::new(&data[..]);
        assert_eq!(input.len().unwrap(), 5);
        assert_eq!(input.len().unwrap(), 0x102);
        assert_eq!(input.len().unwrap(), 0x10000);
        assert_eq!(input.len().unwrap(), 1 << 32);
        assert!(matches!(input.len(), Err(RdbError::UnexpectedEof)));
        let mut bad = Input::new(&[0x82u8][..]);
        assert!(matches!(bad.len(), Err(RdbError::Corrupt(_))));
    }

    #[test]
    fn huge_string_length_fails_without_allocating() {
        // A 2^64-1 length on a 20-byte input must fail fast with EOF.
        let mut data = vec![0x81];
        data.extend_from_slice(&u64::MAX.to_be_bytes());
        data.extend_from_slice(b"short");
        let mut input = Input::new(&data[..]);
        assert!(matches!(input.string(), Err(RdbError::UnexpectedEof)));
    }
}
