//! The Redis RDB format (version 10, as written by Redis 7.0; versions 1–10
//! read): a streaming writer, a validating loader that reports every key to a
//! visitor in generic form, and codecs for the compact blobs (listpack,
//! ziplist, intset, zipmap) collections are stored as.
//!
//! The module knows nothing about the server's store: loading produces
//! [`RdbObject`]s and writing takes byte slices, so snapshots, `DUMP`/`RESTORE`
//! and the AOF preamble can all share it and it can be tested against files
//! written by real Redis.
//!
//! Everything read is treated as hostile: lengths are checked against the
//! data actually present (reads are incremental, allocations capped), every
//! blob is fully validated before use, and no input can cause a panic.

pub mod intset;
pub mod listpack;
mod loader;
mod writer;
pub mod ziplist;
pub mod zipmap;

#[cfg(test)]
mod interop_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;

pub use loader::{decode_dump_payload, load, RdbVisitor};
pub use writer::{dump_payload, EncodingOptions, InfoAux, RdbWriter};

/// The RDB version this module writes (Redis 7.0's `RDB_VERSION`); files with
/// a higher version are refused, as Redis 7.0 refuses them.
pub const RDB_VERSION: u32 = 10;

/// Object type and opcode bytes of the RDB format (`rdb.h`), public so code
/// writing collections by hand with the low-level writer can name them.
pub mod types {
    /// Plain string (raw, integer-encoded or LZF-compressed).
    pub const STRING: u8 = 0;
    /// List as a count followed by that many strings (before Redis 3.2).
    pub const LIST: u8 = 1;
    /// Set as a count followed by that many strings.
    pub const SET: u8 = 2;
    /// Sorted set with scores as length-prefixed ASCII doubles (before RDB 8).
    pub const ZSET: u8 = 3;
    /// Hash as a count followed by field/value string pairs.
    pub const HASH: u8 = 4;
    /// Sorted set with scores as little-endian binary doubles.
    pub const ZSET_2: u8 = 5;
    /// Module value (first version).
    pub const MODULE: u8 = 6;
    /// Module value with typed opcodes, skippable without the module.
    pub const MODULE_2: u8 = 7;
    /// Hash stored as a zipmap blob (Redis 2.x).
    pub const HASH_ZIPMAP: u8 = 9;
    /// List stored as one ziplist blob (Redis 2.6–3.0).
    pub const LIST_ZIPLIST: u8 = 10;
    /// Set of integers stored as an intset blob.
    pub const SET_INTSET: u8 = 11;
    /// Sorted set stored as a ziplist blob (before Redis 7.0).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// Hash stored as a ziplist blob (before Redis 7.0).
    pub const HASH_ZIPLIST: u8 = 13;
    /// List as a quicklist of ziplist nodes (Redis 3.2–6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// Stream (first version).
    pub const STREAM_LISTPACKS: u8 = 15;
    /// Hash stored as a listpack blob (Redis 7.0).
    pub const HASH_LISTPACK: u8 = 16;
    /// Sorted set stored as a listpack blob (Redis 7.0).
    pub const ZSET_LISTPACK: u8 = 17;
    /// List as a quicklist of listpack or plain nodes (Redis 7.0).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// Stream with consumer-group lag metadata (Redis 7.0).
    pub const STREAM_LISTPACKS_2: u8 = 19;

    /// Function library source (Redis 7.0 GA and later).
    pub const OPCODE_FUNCTION2: u8 = 245;
    /// Function library in the 7.0-rc1/rc2 layout.
    pub const OPCODE_FUNCTION: u8 = 246;
    /// Module auxiliary (non-key) data.
    pub const OPCODE_MODULE_AUX: u8 = 247;
    /// LRU idle time, in seconds, of the next key.
    pub const OPCODE_IDLE: u8 = 248;
    /// LFU logarithmic access counter of the next key.
    pub const OPCODE_FREQ: u8 = 249;
    /// Auxiliary string field (metadata such as `redis-ver`).
    pub const OPCODE_AUX: u8 = 250;
    /// Hint of how many keys and expires the current database holds.
    pub const OPCODE_RESIZEDB: u8 = 251;
    /// Absolute expire time of the next key, milliseconds since the epoch.
    pub const OPCODE_EXPIRETIME_MS: u8 = 252;
    /// Absolute expire time of the next key, seconds (before RDB 3).
    pub const OPCODE_EXPIRETIME: u8 = 253;
    /// Switches the database the following keys belong to.
    pub const OPCODE_SELECTDB: u8 = 254;
    /// End of the keyspace; the 8-byte checksum follows.
    pub const OPCODE_EOF: u8 = 255;

    /// Quicklist node holding a single large element verbatim.
    pub const QUICKLIST_NODE_PLAIN: u64 = 1;
    /// Quicklist node holding a listpack.
    pub const QUICKLIST_NODE_PACKED: u64 = 2;
}

/// Why an RDB stream could not be written or loaded. Messages follow Redis's
/// log wording where one exists, so operators can search for them.
#[derive(Debug)]
pub enum RdbError {
    /// The underlying reader or writer failed (not end-of-file).
    Io(io::Error),
    /// The data ended before the structure being read was complete.
    UnexpectedEof,
    /// The file does not start with `REDIS`.
    BadSignature,
    /// The RDB version is not in `1..=10` (or is not a number).
    BadVersion(u32),
    /// The trailing CRC64 does not match the data.
    ChecksumMismatch {
        /// Checksum computed over the data read.
        expected: u64,
        /// Checksum stored in the file.
        found: u64,
    },
    /// The data violates the format; the text says which rule and where.
    Corrupt(String),
    /// Valid data of a kind this codec does not decode yet (streams, modules).
    Unsupported(&'static str),
    /// A visitor callback refused the data (e.g. a database index too large).
    Rejected(String),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Io(e) => write!(f, "I/O error on RDB stream: {e}"),
            RdbError::UnexpectedEof => f.write_str("Unexpected EOF reading RDB file"),
            RdbError::BadSignature => f.write_str("Wrong signature trying to load DB from file"),
            RdbError::BadVersion(v) => write!(f, "Can't handle RDB format version {v}"),
            RdbError::ChecksumMismatch { expected, found } => write!(
                f,
                "Wrong RDB checksum expected: ({expected:x}) but got ({found:x})"
            ),
            RdbError::Corrupt(msg) => write!(f, "Corrupt RDB data: {msg}"),
            RdbError::Unsupported(what) => write!(f, "Unsupported RDB content: {what}"),
            RdbError::Rejected(msg) => write!(f, "RDB load rejected: {msg}"),
        }
    }
}

impl std::error::Error for RdbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RdbError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for RdbError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            RdbError::UnexpectedEof
        } else {
            RdbError::Io(e)
        }
    }
}

/// Shorthand for building [`RdbError::Corrupt`].
pub(crate) fn corrupt(msg: impl Into<String>) -> RdbError {
    RdbError::Corrupt(msg.into())
}

/// A value decoded from RDB in generic form, whatever encoding it was stored
/// in: the store converts it to its own representation (and re-chooses a
/// compact encoding itself), so the loader stays independent of it.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbObject {
    /// A string value.
    String(Vec<u8>),
    /// List elements, head to tail.
    List(Vec<Vec<u8>>),
    /// Set members in file order (no duplicates: the loader rejects them).
    Set(Vec<Vec<u8>>),
    /// Hash field/value pairs in file order (fields unique).
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Sorted-set members with scores in file order (members unique, no NaN).
    ZSet(Vec<(Vec<u8>, f64)>),
}

impl RdbObject {
    /// The type name `TYPE` reports, handy in logs and tests.
    pub fn type_name(&self) -> &'static str {
        match self {
            RdbObject::String(_) => "string",
            RdbObject::List(_) => "list",
            RdbObject::Set(_) => "set",
            RdbObject::Hash(_) => "hash",
            RdbObject::ZSet(_) => "zset",
        }
    }
}

/// One element of a listpack or ziplist: these blobs store integers in binary
/// and everything else as bytes, and a caller may want either form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A byte string (encoders store it as an integer when it is a canonical
    /// decimal integer, as Redis does).
    Str(&'a [u8]),
    /// A signed 64-bit integer.
    Int(i64),
}

impl Entry<'_> {
    /// The element as Redis would return it to a client: integers in decimal.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Entry::Str(s) => s.to_vec(),
            Entry::Int(v) => v.to_string().into_bytes(),
        }
    }

    /// Interprets the element as a sorted-set score (integer or decimal text).
    pub fn to_score(&self) -> Option<f64> {
        match self {
            Entry::Int(v) => Some(*v as f64),
            Entry::Str(s) => parse_f64(s),
        }
    }
}

/// Parses a score stored as text (`%.17g` output, `inf`, `-inf`, ...).
pub(crate) fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    Some(v)
}

/// Parses `s` as an `i64` only if it is in canonical form (Redis's
/// `string2ll`): when a string may be stored as an integer without changing
/// the bytes clients read back.
pub use crate::util::num::parse_i64 as parse_canonical_i64;

/// Formats a double like C's `printf("%.17g")`, which Redis uses for scores
/// in listpacks and old-style RDB doubles; needed to write byte-identical
/// data. `v` must be finite.
pub(crate) fn format_g17(v: f64) -> String {
    let sci = format!("{v:.16e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    if !(-4..17).contains(&exp) {
        let m = strip_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (16 - exp) as usize;
        let fixed = format!("{v:.decimals$}");
        strip_fraction_zeros(&fixed).to_string()
    }
}

/// Formats a double the way Redis's `d2string`/`rdbSaveDoubleValue` do:
/// integral values in the safe range as integers, others as `%.17g`.
pub(crate) fn format_double(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v < 0.0 { "-inf" } else { "inf" }.to_string()
    } else if let Some(i) = double_to_i64(v) {
        i.to_string()
    } else {
        format_g17(v)
    }
}

/// Redis's `double2ll`: the integer equal to `v` if `|v| <= i64::MAX / 2`
/// and `v` has no fractional part.
pub(crate) fn double_to_i64(v: f64) -> Option<i64> {
    let limit = (i64::MAX / 2) as f64;
    if !(v >= -limit && v <= limit) {
        return None;
    }
    let i = v as i64;
    if i as f64 == v {
        Some(i)
    } else {
        None
    }
}

fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}
