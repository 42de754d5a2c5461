//! Value types as Redis clients see them.
//!
//! Strings are usually stored inline in their entry (see `entry.rs`); this
//! enum is the boxed form used for collections and for strings that grow in
//! place. Each collection has a compact encoding for small sizes and a full
//! one, switched at Redis's thresholds ([`Limits`]) so that memory stays
//! small for the common case and `OBJECT ENCODING` answers as Redis does.

use super::hash::Hash;
use super::quicklist::Quicklist;
use super::set::Set;
use super::zset::ZSet;

/// A boxed value.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string too large to inline, or one that grows in place.
    Str(Vec<u8>),
    /// A list: always a quicklist of listpack nodes, as in Redis 7.0.
    List(Box<Quicklist>),
    /// A hash: listpack or hashtable.
    Hash(Hash),
    /// A set: intset or hashtable.
    Set(Set),
    /// A sorted set: listpack or the ordered tree (`skiplist` to clients).
    ZSet(ZSet),
}

impl Value {
    /// The name `OBJECT ENCODING` reports for this value.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }

    /// The type `TYPE` reports for this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Str(_) => ValueType::String,
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
        }
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn mem_usage(&self) -> usize {
        match self {
            Value::Str(s) => s.capacity(),
            Value::List(l) => l.mem_usage(),
            Value::Hash(h) => h.mem_usage(),
            Value::Set(s) => s.mem_usage(),
            Value::ZSet(z) => z.mem_usage(),
        }
    }

    /// Number of elements of a collection (1 for strings).
    pub fn len(&self) -> usize {
        match self {
            Value::Str(_) => 1,
            Value::List(l) => l.len(),
            Value::Hash(h) => h.len(),
            Value::Set(s) => s.len(),
            Value::ZSet(z) => z.len(),
        }
    }

    /// True for an empty collection (such keys are deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The collection encoding thresholds (`hash-max-listpack-entries` and
/// friends), copied out of the configuration once per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `hash-max-listpack-entries`.
    pub hash_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_value: usize,
    /// `set-max-intset-entries`.
    pub set_intset_entries: usize,
    /// `zset-max-listpack-entries`.
    pub zset_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_value: usize,
    /// `list-max-listpack-size`.
    pub list_fill: i32,
}

impl Default for Limits {
    /// Redis's defaults.
    fn default() -> Limits {
        Limits {
            hash_entries: 512,
            hash_value: 64,
            set_intset_entries: 512,
            zset_entries: 128,
            zset_value: 64,
            list_fill: -2,
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
    use crate::persist::rdb::RdbObject;
    Some(match v {
        Value::Str(s) => RdbObject::String(s.clone()),
        Value::List(l) => RdbObject::List(l.iter().map(|e| e.to_vec()).collect()),
        Value::Hash(h) => RdbObject::Hash(h.to_pairs()),
        Value::Set(s) => RdbObject::Set(s.members()),
        Value::ZSet(z) => RdbObject::ZSet(z.to_pairs()),
    })
}

/// A boxed value from its generic RDB form, encoded as Redis would encode
/// it after loading with these limits. `None` for an empty collection,
/// which Redis refuses to load too.
pub fn from_rdb(o: crate::persist::rdb::RdbObject, lim: &Limits) -> Option<Value> {
    use crate::persist::rdb::RdbObject;
    Some(match o {
        RdbObject::String(s) => Value::Str(s),
        RdbObject::List(items) => {
            let mut l = Quicklist::new(lim.list_fill);
            for i in &items {
                l.push_back(i);
            }
            Value::List(Box::new(l))
        }
        RdbObject::Hash(pairs) => Value::Hash(Hash::from_pairs(pairs, lim)),
        RdbObject::Set(members) => Value::Set(Set::from_members(members, lim)),
        RdbObject::ZSet(pairs) => Value::ZSet(ZSet::from_pairs(pairs, lim)),
    })
    .filter(|v| !v.is_empty() || matches!(v, Value::Str(_)))
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn print_sizes() {
        eprintln!(
            "Value {} Hash {} Set {} ZSet {} Listpack {} Quicklist {}",
            std::mem::size_of::<super::Value>(),
            std::mem::size_of::<super::Hash>(),
            std::mem::size_of::<super::Set>(),
            std::mem::size_of::<super::ZSet>(),
            std::mem::size_of::<super::super::listpack::Listpack>(),
            std::mem::size_of::<super::Quicklist>()
        );
    }
}
