//! Hashes: a listpack of field/value pairs while small, a [`ScanTable`] once
//! a hash outgrows `hash-max-listpack-entries` or holds a field or value
//! longer than `hash-max-listpack-value` (Redis 7.0's `t_hash.c` rules,
//! which `OBJECT ENCODING` exposes). A hash never converts back.

use std::borrow::Cow;

use super::listpack::{Listpack, LpValue};
use super::scantable::ScanTable;
use super::value::Limits;

/// A hash value in one of its two encodings.
#[derive(Debug, Clone)]
pub enum Hash {
    /// `listpack`: fields and values alternate, in insertion order.
    Listpack(Listpack),
    /// `hashtable`.
    Table(Box<ScanTable<Box<[u8]>>>),
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::Listpack(Listpack::new())
    }
}

/// A listpack element as bytes, formatting integers into `buf`.
pub fn lp_bytes<'a>(v: &LpValue<'a>, buf: &'a mut itoa::Buffer) -> &'a [u8] {
    match *v {
        LpValue::Str(s) => s,
        LpValue::Int(i) => buf.format(i).as_bytes(),
    }
}

fn lp_cow<'a>(v: LpValue<'a>) -> Cow<'a, [u8]> {
    match v {
        LpValue::Str(s) => Cow::Borrowed(s),
        LpValue::Int(i) => Cow::Owned(itoa::Buffer::new().format(i).as_bytes().to_vec()),
    }
}

impl Hash {
    /// A new empty hash: listpack unless the limits rule it out entirely.
    pub fn new(lim: &Limits) -> Hash {
        if lim.hash_entries == 0 {
            Hash::Table(Box::default())
        } else {
            Hash::default()
        }
    }

    /// A hash holding `pairs` (fields unique), encoded as Redis would after
    /// loading them (RDB, RESTORE).
    pub fn from_pairs(pairs: Vec<(Vec<u8>, Vec<u8>)>, lim: &Limits) -> Hash {
        let small = pairs.len() <= lim.hash_entries
            && pairs
                .iter()
                .all(|(f, v)| f.len() <= lim.hash_value && v.len() <= lim.hash_value);
        if small {
            let mut lp = Listpack::new();
            for (f, v) in &pairs {
                lp.push_back(f);
                lp.push_back(v);
            }
            lp.shrink_to_fit();
            Hash::Listpack(lp)
        } else {
            let mut t = ScanTable::with_capacity(pairs.len());
            for (f, v) in pairs {
                t.insert(&f, v.into_boxed_slice());
            }
            Hash::Table(Box::new(t))
        }
    }

    /// `listpack` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(t) => t.len(),
        }
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes.
    pub fn mem_usage(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.bytes_len(),
            Hash::Table(t) => t.mem_usage(),
        }
    }

    fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        lp.first().and_then(|p| lp.find(p, field, 1))
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<Cow<'_, [u8]>> {
        match self {
            Hash::Listpack(lp) => {
                let p = Self::lp_find(lp, field)?;
                let v = lp.next(p)?;
                Some(lp_cow(lp.get(v)))
            }
            Hash::Table(t) => t.get(field).map(|v| Cow::Borrowed(&v[..])),
        }
    }

    /// True if `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => Self::lp_find(lp, field).is_some(),
            Hash::Table(t) => t.contains(field),
        }
    }

    /// Converts to `hashtable` if an argument about to be stored is longer
    /// than `hash-max-listpack-value` (Redis's `hashTypeTryConversion`,
    /// which looks at all of a command's fields and values up front).
    pub fn convert_for_lengths<'a>(&mut self, items: impl Iterator<Item = &'a [u8]>, lim: &Limits) {
        if let Hash::Listpack(_) = self {
            let mut sum = 0usize;
            for it in items {
                sum += it.len();
                if it.len() > lim.hash_value {
                    self.convert();
                    return;
                }
            }
            // A listpack can't exceed 1 GiB (Redis's lpSafeToAdd).
            if sum + self.mem_usage() > (1 << 30) {
                self.convert();
            }
        }
    }

    /// Sets `field` to `value`; true if the field is new. Converts to
    /// `hashtable` past `hash-max-listpack-entries`.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: &Limits) -> bool {
        // Redis's hashTypeSet converts before storing a long field or value
        // (HINCRBYFLOAT can produce one).
        if matches!(self, Hash::Listpack(_))
            && (field.len() > lim.hash_value || value.len() > lim.hash_value)
        {
            self.convert();
        }
        let new = match self {
            Hash::Listpack(lp) => match Self::lp_find(lp, field).and_then(|p| lp.next(p)) {
                Some(v) => {
                    lp.replace(v, value);
                    false
                }
                None => {
                    lp.push_back(field);
                    lp.push_back(value);
                    true
                }
            },
            Hash::Table(t) => t.insert(field, value.into()).is_none(),
        };
        if let Hash::Listpack(lp) = self {
            if lp.len() / 2 > lim.hash_entries {
                self.convert();
            }
        }
        new
    }

    /// HSET of many pairs: existing fields are updated in place, new ones
    /// appended to a listpack with one reallocation. Returns how many fields
    /// were new. A field repeated in `pairs` takes its last value.
    pub fn set_many<'a>(&mut self, pairs: &[(&'a [u8], &'a [u8])], lim: &Limits) -> usize {
        let Hash::Listpack(lp) = self else {
            return pairs.iter().filter(|(f, v)| self.set(f, v, lim)).count();
        };
        let mut fresh: Vec<(&[u8], &[u8])> = Vec::new();
        for &(f, v) in pairs {
            if let Some(slot) = fresh.iter_mut().find(|(x, _)| *x == f) {
                slot.1 = v;
                continue;
            }
            match Self::lp_find(lp, f).and_then(|p| lp.next(p)) {
                Some(vp) => {
                    lp.replace(vp, v);
                }
                None => fresh.push((f, v)),
            }
        }
        lp.push_many(fresh.iter().flat_map(|(f, v)| [*f, *v]));
        if lp.len() / 2 > lim.hash_entries {
            self.convert();
        }
        fresh.len()
    }

    /// Deletes `field`; true if it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match Self::lp_find(lp, field) {
                Some(p) => {
                    if let Some(next) = lp.delete(p) {
                        lp.delete(next);
                    }
                    true
                }
                None => false,
            },
            Hash::Table(t) => t.remove(field).is_some(),
        }
    }

    /// Converts to `hashtable`.
    pub fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut t = ScanTable::with_capacity(lp.len() / 2);
            for (f, v) in lp.iter_pairs() {
                let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
                t.insert(lp_bytes(&f, &mut a), lp_bytes(&v, &mut b).into());
            }
            *self = Hash::Table(Box::new(t));
        }
    }

    /// Calls `f` with every field and value.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        match self {
            Hash::Listpack(lp) => {
                for (k, v) in lp.iter_pairs() {
                    let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
                    f(lp_bytes(&k, &mut a), lp_bytes(&v, &mut b));
                }
            }
            Hash::Table(t) => {
                for (k, v) in t.iter() {
                    f(k, v);
                }
            }
        }
    }

    /// Every field and value copied out (RDB, SORT, conversions).
    pub fn to_pairs(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|k, v| out.push((k.to_vec(), v.to_vec())));
        out
    }

    /// The pair at position `i` of the iteration order (for random picks on
    /// a listpack); `None` past the end.
    fn lp_pair_at(lp: &Listpack, i: usize) -> Option<(Vec<u8>, Vec<u8>)> {
        let p = lp.seek((2 * i) as i64)?;
        let v = lp.next(p)?;
        Some((
            lp_cow(lp.get(p)).into_owned(),
            lp_cow(lp.get(v)).into_owned(),
        ))
    }

    /// A random field and its value (uniform).
    pub fn random(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        match self {
            Hash::Listpack(lp) => {
                if lp.is_empty() {
                    return None;
                }
                Self::lp_pair_at(lp, crate::util::rand::below(lp.len() / 2))
            }
            Hash::Table(t) => t
                .random(&mut crate::util::rand::next_u64)
                .map(|(k, v)| (k.to_vec(), v.to_vec())),
        }
    }

    /// HSCAN step: calls `f` for the fields of the cursor's buckets (a
    /// listpack is returned whole), returning the next cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            Hash::Listpack(_) => {
                self.for_each(f);
                0
            }
            Hash::Table(t) => t.scan(cursor, |k, v| f(k, v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim(entries: usize, value: usize) -> Limits {
        Limits {
            hash_entries: entries,
            hash_value: value,
            ..Limits::default()
        }
    }

    #[test]
    fn converts_past_entry_limit_and_keeps_contents() {
        let l = lim(4, 64);
        let mut h = Hash::new(&l);
        for i in 0..4 {
            assert!(h.set(format!("f{i}").as_bytes(), b"v", &l));
        }
        assert_eq!(h.encoding_name(), "listpack");
        assert!(!h.set(b"f0", b"123", &l));
        assert_eq!(h.get(b"f0").as_deref(), Some(&b"123"[..]));
        h.set(b"f4", b"v", &l);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f0").as_deref(), Some(&b"123"[..]));
        assert!(h.remove(b"f0"));
        assert!(!h.contains(b"f0"));
    }

    #[test]
    fn long_values_convert_before_storing() {
        let l = lim(128, 8);
        let mut h = Hash::new(&l);
        h.set(b"a", b"1", &l);
        let long = [b'x'; 9];
        h.convert_for_lengths([&b"b"[..], &long[..]].into_iter(), &l);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.get(b"a").as_deref(), Some(&b"1"[..]));
    }

    #[test]
    fn set_many_matches_single_sets() {
        let l = lim(6, 64);
        let mut a = Hash::new(&l);
        let mut b = Hash::new(&l);
        let rounds: [&[(&[u8], &[u8])]; 3] = [
            &[(b"x", b"1"), (b"y", b"2"), (b"x", b"3")],
            &[(b"y", b"22"), (b"z", b"-5"), (b"w", b"long value")],
            &[(b"p", b"1"), (b"q", b"2"), (b"r", b"3")],
        ];
        for pairs in rounds {
            let n = a.set_many(pairs, &l);
            let mut m = 0;
            for (f, v) in pairs {
                m += b.set(f, v, &l) as usize;
            }
            assert_eq!(n, m);
            let (mut pa, mut pb) = (a.to_pairs(), b.to_pairs());
            pa.sort();
            pb.sort();
            assert_eq!(pa, pb);
            assert_eq!(a.encoding_name(), b.encoding_name());
        }
        assert_eq!(a.encoding_name(), "hashtable");
    }

    #[test]
    fn listpack_matches_a_model() {
        let l = Limits::default();
        let mut h = Hash::new(&l);
        let mut model = std::collections::HashMap::new();
        for i in 0..300u64 {
            let k = format!("k{}", (i * 7919) % 53).into_bytes();
            if i % 5 == 0 {
                assert_eq!(h.remove(&k), model.remove(&k).is_some());
            } else {
                let v = format!("{}", i * 3).into_bytes();
                assert_eq!(h.set(&k, &v, &l), model.insert(k, v).is_none());
            }
            assert_eq!(h.len(), model.len());
        }
        let mut got = h.to_pairs();
        got.sort();
        let mut want: Vec<_> = model.into_iter().collect();
        want.sort();
        assert_eq!(got, want);
    }
}
