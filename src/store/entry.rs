//! One key and its value in a single allocation.
//!
//! Memory per key is where Redis-compatible servers differ most: Redis 7.0
//! spends a `dictEntry` (24 B), an `robj` (16 B) and an sds header per key on
//! top of the bytes themselves. Here a key costs one allocation laid out as
//!
//! ```text
//! string:     [next: *mut | key_len: u32 | meta: u32] [expire: i64, volatile_idx: u32]? [key] [len: u32] [bytes]
//! collection: [next: *mut | key_len: u32 | meta: u32] [expire: i64, volatile_idx: u32, pad]? [Value] [key]
//! ```
//!
//! where `next` chains entries of one hash bucket (the table owns no separate
//! node) and the expiry block exists only for keys with a TTL. A string value
//! up to [`INLINE_STR_MAX`] bytes is stored inline after the key; collections
//! and strings that grow in place keep their [`Value`] (a small handle: a
//! listpack hash is one tag and one boxed slice) inline too, at an 8-aligned
//! offset before the key so it can be borrowed as `&Value`. A small string key
//! such as `SET key:123 val123` fits a 40-byte jemalloc class, and a small
//! hash costs this one allocation plus its listpack, where Redis spends a
//! `dictEntry`, an `robj` and an sds key besides the listpack.
//!
//! This needs raw allocation, so the module keeps every `unsafe` behind a small
//! safe API: an owned [`Entry`] frees itself, and [`EntryRef`]/[`EntryMut`]
//! borrow entries that live in a [`super::dict::Dict`].

use std::alloc::{alloc, dealloc, Layout};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use super::value::{StrEnc, Value, ValueType};

/// Strings up to this size are stored inline in the entry; larger ones, and
/// those grown by APPEND/SETRANGE, live in a boxed `Vec` that grows in place.
pub const INLINE_STR_MAX: usize = 64;

const HEADER: usize = 16;
const EXPIRE_BLOCK: usize = 12;
/// The expiry block padded so an inline [`Value`] after it stays aligned.
const EXPIRE_BLOCK_ALIGNED: usize = 16;
const VALUE_SIZE: usize = std::mem::size_of::<Value>();

const TYPE_MASK: u32 = 0b111;
const ENC_SHIFT: u32 = 3;
const ENC_MASK: u32 = 0b11 << ENC_SHIFT;
const HAS_EXPIRE: u32 = 1 << 5;
const BOXED: u32 = 1 << 6;
const LRU_SHIFT: u32 = 8;

/// The fixed part at the start of every entry allocation.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) next: *mut Header,
    key_len: u32,
    meta: u32,
}

/// How a value is given to [`Entry::new`].
pub enum NewValue<'a> {
    /// A string value with the encoding `OBJECT ENCODING` should report.
    Str(&'a [u8], StrEnc),
    /// A string that is expected to grow in place (APPEND, SETRANGE).
    GrowableStr(Vec<u8>),
    /// A collection value.
    Obj(Box<Value>),
}

/// A read-only view of a value.
pub enum ValueRef<'a> {
    /// A string and its reported encoding.
    Str(&'a [u8], StrEnc),
    /// A collection.
    Obj(&'a Value),
}

/// An owned entry not (or no longer) linked in a table.
pub struct Entry {
    ptr: NonNull<Header>,
}

// SAFETY: an Entry exclusively owns its allocation and the boxed value in it;
// nothing in it is tied to a thread.
unsafe impl Send for Entry {}

fn layout_for(size: usize) -> Layout {
    // `size` is bounded by key and value lengths that already exist in memory,
    // so it cannot overflow isize; align 8 is always valid.
    Layout::from_size_align(size, 8).unwrap_or(Layout::new::<Header>())
}

/// Allocates an entry shell with its header, expiry block and key written,
/// returning it with a pointer to its `payload_len` uninitialised payload bytes.
///
/// # Safety
/// The caller must initialise the payload consistently with `meta` (inline
/// length + bytes, or a boxed pointer when `meta` has `BOXED`).
unsafe fn alloc_entry(
    key: &[u8],
    expire: Option<i64>,
    meta: u32,
    payload_len: usize,
) -> (NonNull<Header>, *mut u8) {
    let boxed = meta & BOXED != 0;
    let exp_len = match (expire.is_some(), boxed) {
        (false, _) => 0,
        (true, false) => EXPIRE_BLOCK,
        (true, true) => EXPIRE_BLOCK_ALIGNED,
    };
    let layout = layout_for(HEADER + exp_len + key.len() + payload_len);
    let raw = alloc(layout) as *mut Header;
    let Some(ptr) = NonNull::new(raw) else {
        std::alloc::handle_alloc_error(layout);
    };
    let meta = if expire.is_some() {
        meta | HAS_EXPIRE
    } else {
        meta & !HAS_EXPIRE
    };
    ptr.as_ptr().write(Header {
        next: ptr::null_mut(),
        key_len: key.len() as u32,
        meta,
    });
    let base = raw as *mut u8;
    if let Some(e) = expire {
        (base.add(HEADER) as *mut i64).write(e);
        (base.add(HEADER + 8) as *mut u32).write(u32::MAX);
    }
    if boxed {
        // The value slot first (8-aligned: the allocation is, and so are
        // the header and padded expiry block), then the key.
        let vp = base.add(HEADER + exp_len);
        ptr::copy_nonoverlapping(key.as_ptr(), vp.add(payload_len), key.len());
        return (ptr, vp);
    }
    let kp = base.add(HEADER + exp_len);
    ptr::copy_nonoverlapping(key.as_ptr(), kp, key.len());
    (ptr, kp.add(key.len()))
}

impl Entry {
    /// Allocates an entry for `key` holding `value`, with an optional absolute
    /// expiry in Unix milliseconds.
    pub fn new(key: &[u8], value: NewValue<'_>, expire: Option<i64>) -> Entry {
        let (ty, enc) = match &value {
            NewValue::Str(_, enc) => (ValueType::String, *enc),
            NewValue::GrowableStr(_) => (ValueType::String, StrEnc::Raw),
            NewValue::Obj(v) => (v.value_type(), StrEnc::Raw),
        };
        let meta = ty as u32
            | ((enc as u32) << ENC_SHIFT)
            | (crate::store::access::initial() << LRU_SHIFT);
        let boxed = match value {
            NewValue::Str(v, _) if v.len() <= INLINE_STR_MAX => {
                // SAFETY: payload is 4 + len bytes, written fully below.
                unsafe {
                    let (ptr, pp) = alloc_entry(key, expire, meta, 4 + v.len());
                    (pp as *mut u32).write_unaligned(v.len() as u32);
                    ptr::copy_nonoverlapping(v.as_ptr(), pp.add(4), v.len());
                    return Entry { ptr };
                }
            }
            NewValue::Str(v, _) => Box::new(Value::Str(v.to_vec())),
            NewValue::GrowableStr(v) => Box::new(Value::Str(v)),
            NewValue::Obj(v) => v,
        };
        let value: Value = *boxed;
        // SAFETY: the payload is an aligned Value slot, written below; BOXED
        // is set so every reader treats it as one.
        unsafe {
            let (ptr, pp) = alloc_entry(key, expire, meta | BOXED, VALUE_SIZE);
            (pp as *mut Value).write(value);
            Entry { ptr }
        }
    }

    /// Gives up ownership to a table, which links it by its `next` field.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let p = self.ptr;
        std::mem::forget(self);
        p
    }

    /// Takes back ownership of an entry that a table unlinked.
    ///
    /// # Safety
    /// `ptr` must come from [`Entry::into_raw`] and not be owned elsewhere.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Entry {
        Entry { ptr }
    }

    /// The allocation's address, stable for the entry's life.
    pub(crate) fn raw(&self) -> NonNull<Header> {
        self.ptr
    }

    /// A shared view of this entry.
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            ptr: self.ptr,
            _life: PhantomData,
        }
    }

    /// A mutable view of this entry.
    pub fn as_mut(&mut self) -> EntryMut<'_> {
        EntryMut {
            ptr: self.ptr,
            _life: PhantomData,
        }
    }

    /// The same key and value with another expiry. Overwrites in place when
    /// both old and new have one, otherwise moves the payload (inline bytes or
    /// the boxed pointer, never the collection itself) to a new allocation.
    pub fn with_expire(mut self, expire: Option<i64>) -> Entry {
        let view = self.as_ref();
        match (view.expire().is_some(), expire) {
            (true, Some(when)) => {
                self.as_mut().set_expire_in_place(when);
                return self;
            }
            (false, None) => return self,
            _ => {}
        }
        let old_size = view.alloc_size();
        if view.is_boxed() {
            // SAFETY: the Value is moved (a bitwise copy; it holds no
            // pointer into the entry) to a new shell, and the old shell is
            // freed without dropping it.
            unsafe {
                let value = (view.payload_ptr() as *const Value).read();
                let meta = (*self.ptr.as_ptr()).meta;
                let (ptr, pp) = alloc_entry(view.key(), expire, meta, VALUE_SIZE);
                (pp as *mut Value).write(value);
                let old = self.into_raw();
                dealloc(old.as_ptr() as *mut u8, layout_for(old_size));
                return Entry { ptr };
            }
        }
        let payload_len =
            view.alloc_size() - (view.payload_ptr() as usize - self.ptr.as_ptr() as usize);
        // SAFETY: the new shell gets the same meta and a byte copy of the old
        // payload; the old shell is then freed without dropping its payload,
        // whose ownership (if boxed) moved with the copied pointer.
        unsafe {
            let (ptr, pp) = alloc_entry(view.key(), expire, (*self.ptr.as_ptr()).meta, payload_len);
            ptr::copy_nonoverlapping(view.payload_ptr(), pp, payload_len);
            let old = self.into_raw();
            dealloc(old.as_ptr() as *mut u8, layout_for(old_size));
            Entry { ptr }
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let view = self.as_ref();
        let size = view.alloc_size();
        // SAFETY: we own the allocation; a boxed payload is an owned Value.
        unsafe {
            if view.is_boxed() {
                ptr::drop_in_place(view.payload_ptr() as *mut Value);
            }
            dealloc(self.ptr.as_ptr() as *mut u8, layout_for(size));
        }
    }
}

/// A shared borrow of an entry stored in a table.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    ptr: NonNull<Header>,
    _life: PhantomData<&'a Header>,
}

/// An exclusive borrow of an entry stored in a table.
pub struct EntryMut<'a> {
    ptr: NonNull<Header>,
    _life: PhantomData<&'a mut Header>,
}

impl<'a> EntryRef<'a> {
    /// # Safety
    /// `ptr` must point to a live entry for `'a`.
    pub(crate) unsafe fn from_ptr(ptr: NonNull<Header>) -> EntryRef<'a> {
        EntryRef {
            ptr,
            _life: PhantomData,
        }
    }

    fn header(&self) -> &'a Header {
        // SAFETY: a live entry starts with an initialised Header.
        unsafe { &*self.ptr.as_ptr() }
    }

    fn exp_len(&self) -> usize {
        let meta = self.header().meta;
        match (meta & HAS_EXPIRE != 0, meta & BOXED != 0) {
            (false, _) => 0,
            (true, false) => EXPIRE_BLOCK,
            (true, true) => EXPIRE_BLOCK_ALIGNED,
        }
    }

    fn is_boxed(&self) -> bool {
        self.header().meta & BOXED != 0
    }

    /// The inline string (length, bytes) or the Value slot.
    fn payload_ptr(&self) -> *const u8 {
        let offset = if self.is_boxed() {
            HEADER + self.exp_len()
        } else {
            HEADER + self.exp_len() + self.header().key_len as usize
        };
        // SAFETY: the payload lies inside the allocation at this offset.
        unsafe { (self.ptr.as_ptr() as *const u8).add(offset) }
    }

    fn alloc_size(&self) -> usize {
        let base = HEADER + self.exp_len() + self.header().key_len as usize;
        if self.is_boxed() {
            base + VALUE_SIZE
        } else {
            // SAFETY: inline payload starts with its u32 length.
            base + 4 + unsafe { (self.payload_ptr() as *const u32).read_unaligned() } as usize
        }
    }

    /// The key bytes.
    pub fn key(&self) -> &'a [u8] {
        let value_len = if self.is_boxed() { VALUE_SIZE } else { 0 };
        // SAFETY: key_len bytes of key follow the header, the expiry block
        // and (for a boxed value) the value slot.
        unsafe {
            std::slice::from_raw_parts(
                (self.ptr.as_ptr() as *const u8).add(HEADER + self.exp_len() + value_len),
                self.header().key_len as usize,
            )
        }
    }

    /// Absolute expiry in Unix milliseconds, if the key has a TTL.
    pub fn expire(&self) -> Option<i64> {
        if self.header().meta & HAS_EXPIRE == 0 {
            return None;
        }
        // SAFETY: the expiry block is present and 8-aligned after the header.
        Some(unsafe { ((self.ptr.as_ptr() as *const u8).add(HEADER) as *const i64).read() })
    }

    pub(crate) fn volatile_idx(&self) -> Option<u32> {
        if self.header().meta & HAS_EXPIRE == 0 {
            return None;
        }
        // SAFETY: as in `expire`.
        Some(unsafe { ((self.ptr.as_ptr() as *const u8).add(HEADER + 8) as *const u32).read() })
    }

    /// The value's Redis type.
    pub fn value_type(&self) -> ValueType {
        ValueType::from_bits(self.header().meta & TYPE_MASK)
    }

    /// The value.
    pub fn value(&self) -> ValueRef<'a> {
        let enc = StrEnc::from_bits((self.header().meta & ENC_MASK) >> ENC_SHIFT);
        if self.is_boxed() {
            // SAFETY: a boxed payload is an initialised, aligned Value.
            let v: &'a Value = unsafe { &*(self.payload_ptr() as *const Value) };
            #[allow(unreachable_patterns)] // collection variants come with their commands
            match v {
                Value::Str(s) => ValueRef::Str(s, enc),
                other => ValueRef::Obj(other),
            }
        } else {
            // SAFETY: inline payload is a u32 length followed by that many bytes.
            unsafe {
                let p = self.payload_ptr();
                let len = (p as *const u32).read_unaligned() as usize;
                ValueRef::Str(std::slice::from_raw_parts(p.add(4), len), enc)
            }
        }
    }

    /// The 24-bit access field: the LRU clock (seconds) of the last access,
    /// or the LFU time and counter (see [`crate::store::access`]).
    pub fn lru(&self) -> u32 {
        self.header().meta >> LRU_SHIFT
    }

    /// Approximate bytes used by this key (MEMORY USAGE): the entry
    /// allocation plus a boxed value's own storage.
    pub fn mem_usage(&self) -> usize {
        let mut n = self.alloc_size();
        if self.is_boxed() {
            match self.value() {
                ValueRef::Str(s, _) => n += s.len(),
                ValueRef::Obj(v) => n += v.mem_usage(),
            }
        }
        n
    }

    pub(crate) fn next(&self) -> *mut Header {
        self.header().next
    }
}

impl<'a> EntryMut<'a> {
    /// # Safety
    /// `ptr` must point to a live entry exclusively borrowed for `'a`.
    pub(crate) unsafe fn from_ptr(ptr: NonNull<Header>) -> EntryMut<'a> {
        EntryMut {
            ptr,
            _life: PhantomData,
        }
    }

    /// Turns the exclusive borrow into a shared one of the same lifetime.
    pub fn into_ref(self) -> EntryRef<'a> {
        EntryRef {
            ptr: self.ptr,
            _life: PhantomData,
        }
    }

    /// A shared view with the same lifetime.
    pub fn view(&self) -> EntryRef<'_> {
        EntryRef {
            ptr: self.ptr,
            _life: PhantomData,
        }
    }

    /// Records an access for eviction and OBJECT IDLETIME/FREQ.
    #[inline]
    pub fn touch(&mut self) {
        let v = crate::store::access::touched(self.view().lru());
        self.set_lru(v);
    }

    /// Sets the 24-bit access field (RESTORE IDLETIME/FREQ, RDB loading).
    pub fn set_lru(&mut self, clock: u32) {
        // SAFETY: exclusive access to a live header.
        unsafe {
            let h = &mut *self.ptr.as_ptr();
            h.meta = (h.meta & ((1 << LRU_SHIFT) - 1)) | (clock << LRU_SHIFT);
        }
    }

    /// Changes the reported string encoding (APPEND makes a string `raw`).
    pub fn set_str_enc(&mut self, enc: StrEnc) {
        // SAFETY: exclusive access to a live header.
        unsafe {
            let h = &mut *self.ptr.as_ptr();
            h.meta = (h.meta & !ENC_MASK) | ((enc as u32) << ENC_SHIFT);
        }
    }

    /// Replaces a string value in place when that needs no reallocation
    /// (a boxed string, or an inline one of the same length), as Redis's
    /// INCR does on an unshared object. Returns false if the caller must
    /// build a new entry instead.
    pub fn overwrite_str(&mut self, new: &[u8], enc: StrEnc) -> bool {
        if let Some(Value::Str(s)) = self.boxed_mut() {
            s.clear();
            s.extend_from_slice(new);
            self.set_str_enc(enc);
            return true;
        }
        let v = self.view();
        if v.is_boxed() || v.value_type() != ValueType::String {
            return false;
        }
        // SAFETY: an inline payload is a u32 length then that many bytes;
        // we only overwrite when the new value has exactly that length.
        unsafe {
            let p = v.payload_ptr() as *mut u8;
            let len = (p as *const u32).read_unaligned() as usize;
            if len != new.len() {
                return false;
            }
            ptr::copy_nonoverlapping(new.as_ptr(), p.add(4), len);
        }
        self.set_str_enc(enc);
        true
    }

    /// Overwrites an existing expiry. The entry must already have one.
    pub(crate) fn set_expire_in_place(&mut self, when: i64) {
        if self.view().expire().is_none() {
            return;
        }
        // SAFETY: the expiry block exists (checked above).
        unsafe { ((self.ptr.as_ptr() as *mut u8).add(HEADER) as *mut i64).write(when) }
    }

    pub(crate) fn set_volatile_idx(&mut self, idx: u32) {
        if self.view().expire().is_none() {
            return;
        }
        // SAFETY: the expiry block exists (checked above).
        unsafe { ((self.ptr.as_ptr() as *mut u8).add(HEADER + 8) as *mut u32).write(idx) }
    }

    /// The boxed value, for in-place changes of collections and growable
    /// strings. `None` for an inline string (replace the entry instead).
    pub fn boxed_mut(&mut self) -> Option<&mut Value> {
        let v = self.view();
        if !v.is_boxed() {
            return None;
        }
        // SAFETY: a boxed payload is an initialised, aligned Value,
        // exclusively ours through `&mut self`.
        Some(unsafe { &mut *(v.payload_ptr() as *mut Value) })
    }

    /// Like [`EntryMut::boxed_mut`], but keeps the table borrow's lifetime.
    pub fn into_boxed_mut(self) -> Option<&'a mut Value> {
        let v = self.view();
        if !v.is_boxed() {
            return None;
        }
        // SAFETY: a boxed payload is an initialised, aligned Value,
        // exclusively borrowed for 'a through this EntryMut.
        Some(unsafe { &mut *(v.payload_ptr() as *mut Value) })
    }

    pub(crate) fn set_next(&mut self, next: *mut Header) {
        // SAFETY: exclusive access to a live header.
        unsafe { (*self.ptr.as_ptr()).next = next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_boxed_strings() {
        let e = Entry::new(b"key:1", NewValue::Str(b"val1", StrEnc::Embstr), None);
        let v = e.as_ref();
        assert_eq!(v.key(), b"key:1");
        assert_eq!(v.expire(), None);
        assert!(matches!(v.value(), ValueRef::Str(b"val1", StrEnc::Embstr)));
        let big = vec![7u8; 1000];
        let e = Entry::new(b"k", NewValue::Str(&big, StrEnc::Raw), Some(123));
        assert_eq!(e.as_ref().expire(), Some(123));
        match e.as_ref().value() {
            ValueRef::Str(s, StrEnc::Raw) => assert_eq!(s, &big[..]),
            _ => panic!("wrong value"),
        }
    }

    #[test]
    fn expire_changes_keep_value() {
        for val in [b"short".to_vec(), vec![1u8; 500]] {
            let e = Entry::new(b"key", NewValue::Str(&val, StrEnc::Raw), None);
            let e = e.with_expire(Some(42));
            assert_eq!(e.as_ref().expire(), Some(42));
            let e = e.with_expire(Some(43));
            assert_eq!(e.as_ref().expire(), Some(43));
            let e = e.with_expire(None);
            assert_eq!(e.as_ref().expire(), None);
            assert_eq!(e.as_ref().key(), b"key");
            match e.as_ref().value() {
                ValueRef::Str(s, _) => assert_eq!(s, &val[..]),
                _ => panic!("wrong value"),
            }
        }
    }

    #[test]
    fn collections_live_inline_with_and_without_expiry() {
        use crate::store::hash::Hash;
        let lim = crate::store::value::Limits::default();
        let mut h = Hash::new(&lim);
        h.set(b"f", b"v", &lim);
        let e = Entry::new(b"hkey", NewValue::Obj(Box::new(Value::Hash(h))), None);
        assert_eq!(e.as_ref().key(), b"hkey");
        assert_eq!(e.as_ref().value_type(), ValueType::Hash);
        for exp in [Some(7), Some(8), None, Some(9)] {
            let e2 = Entry::new(b"k2", NewValue::GrowableStr(b"x".to_vec()), None).with_expire(exp);
            assert_eq!(e2.as_ref().expire(), exp);
            assert_eq!(e2.as_ref().key(), b"k2");
        }
        let mut e = e.with_expire(Some(99));
        assert_eq!(e.as_ref().expire(), Some(99));
        assert_eq!(e.as_ref().key(), b"hkey");
        match e.as_mut().boxed_mut() {
            Some(Value::Hash(h)) => {
                assert_eq!(h.get(b"f").as_deref(), Some(&b"v"[..]));
                h.set(b"g", b"w", &lim);
            }
            _ => panic!("wrong value"),
        }
        let e = e.with_expire(None);
        match e.as_ref().value() {
            ValueRef::Obj(Value::Hash(h)) => assert_eq!(h.len(), 2),
            _ => panic!("wrong value"),
        }
        assert_eq!(e.as_ref().key(), b"hkey");
    }

    #[test]
    fn growable_string_mutates_in_place() {
        let mut e = Entry::new(b"k", NewValue::GrowableStr(b"ab".to_vec()), Some(5));
        if let Some(Value::Str(s)) = e.as_mut().boxed_mut() {
            s.extend_from_slice(b"cd");
        }
        assert!(matches!(
            e.as_ref().value(),
            ValueRef::Str(b"abcd", StrEnc::Raw)
        ));
    }
}
