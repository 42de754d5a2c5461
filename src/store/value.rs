//! Value types as Redis clients see them.
//!
//! Strings are usually stored inline in their entry (see `entry.rs`); this
//! enum is the boxed form used for collections and for strings that grow in
//! place. Collection variants arrive with their command families.

/// A boxed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string too large to inline, or one that grows in place.
    Str(Vec<u8>),
}

impl Value {
    /// The name `OBJECT ENCODING` reports for this value.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "raw",
        }
    }

    /// The type `TYPE` reports for this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Str(_) => ValueType::String,
        }
    }
}

/// The Redis data types, in the numbering stored in entry headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ValueType {
    /// Strings, including those used as bitmaps and HyperLogLogs.
    String = 0,
    /// Lists.
    List = 1,
    /// Sets.
    Set = 2,
    /// Sorted sets.
    ZSet = 3,
    /// Hashes.
    Hash = 4,
    /// Streams.
    Stream = 5,
}

impl ValueType {
    pub(crate) fn from_bits(b: u32) -> ValueType {
        match b {
            1 => ValueType::List,
            2 => ValueType::Set,
            3 => ValueType::ZSet,
            4 => ValueType::Hash,
            5 => ValueType::Stream,
            _ => ValueType::String,
        }
    }

    /// The name `TYPE` and `SCAN ... TYPE` use.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }
}

/// The encoding `OBJECT ENCODING` reports for a string. Ferrite stores the
/// bytes either way; the encoding follows Redis's rules for when a string is
/// `int`, `embstr` or `raw`, because clients and the test suite observe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StrEnc {
    /// Written by APPEND/SETRANGE or longer than 44 bytes.
    Raw = 0,
    /// Up to 44 bytes, set whole.
    Embstr = 1,
    /// A decimal integer in the i64 range of at most 20 characters.
    Int = 2,
}

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

impl StrEnc {
    pub(crate) fn from_bits(b: u32) -> StrEnc {
        match b {
            1 => StrEnc::Embstr,
            2 => StrEnc::Int,
            _ => StrEnc::Raw,
        }
    }

    /// The encoding Redis gives a string stored whole by SET and friends.
    pub fn for_new(v: &[u8]) -> StrEnc {
        if v.len() <= 20 && crate::util::num::parse_i64(v).is_some() {
            StrEnc::Int
        } else if v.len() <= EMBSTR_MAX {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        }
    }

    /// The name `OBJECT ENCODING` prints.
    pub fn name(self) -> &'static str {
        match self {
            StrEnc::Raw => "raw",
            StrEnc::Embstr => "embstr",
            StrEnc::Int => "int",
        }
    }
}

/// The generic RDB form of a boxed value, for saving. `None` for values the
/// RDB writer can't represent yet.
pub fn to_rdb(v: &Value) -> Option<crate::persist::rdb::RdbObject> {
    match v {
        Value::Str(s) => Some(crate::persist::rdb::RdbObject::String(s.clone())),
    }
}

/// A boxed value from its generic RDB form. `None` for types whose commands
/// are not built yet, so loading such a file fails loudly instead of losing
/// data.
pub fn from_rdb(o: crate::persist::rdb::RdbObject) -> Option<Value> {
    match o {
        crate::persist::rdb::RdbObject::String(s) => Some(Value::Str(s)),
        _ => None,
    }
}
