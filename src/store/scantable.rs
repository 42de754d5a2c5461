//! The `hashtable` encoding of large sets, hashes and sorted-set member
//! indexes: a byte-string-keyed chained hash table with Redis's SCAN cursor.
//!
//! # Why not `hashbrown`
//!
//! SSCAN/HSCAN/ZSCAN promise that an element present for the whole scan is
//! returned at least once, even if the collection grows, shrinks or loses
//! other elements between calls (Redis's "SCAN regression test for issue
//! #4906" SREMs members during an SSCAN and checks every remaining one was
//! seen). Open addressing moves elements between probe positions, so no
//! cursor over it can promise that. Redis's answer, reproduced here, is a
//! chained table whose bucket count is a power of two, scanned in
//! reverse-binary order: the cursor increments its *reversed* bits, so all
//! buckets a visited bucket splits into (on growth) or merges from (on
//! shrink) share the already-visited low bits, and the scan never skips a
//! bucket an old element can live in. Elements can be returned twice after a
//! shrink, never missed.
//!
//! # Memory
//!
//! Redis 7.0 spends a 24-byte `dictEntry` plus an sds (header, bytes, NUL)
//! per element, plus an 8-byte bucket. Here every element is **one
//! allocation**:
//!
//! ```text
//! [next: ptr (8)] [len: u8] [len: u64le, only if len byte == 255] [key bytes] [pad] [V]
//! ```
//!
//! so a 10-byte set member costs a 19-byte node (a 32-byte class in
//! jemalloc's default 16-byte quantum, 24 bytes with the 8-byte quantum
//! Redis builds jemalloc with) plus its bucket. Measured with a counting
//! allocator for 1,000,000 10-byte members: 27.4 bytes requested and 40.4
//! bytes in jemalloc classes per element (node 32 + bucket 8.4), against
//! about 48.4 for Redis 7.0 (entry 24 + sds 16 + bucket 8.4) and 56.4 for a
//! safe two-allocation node (`Box` node 32 + boxed key 16 + bucket 8.4).
//! A one-byte length covers keys up to 254 bytes; longer keys (of any size)
//! spend 8 more bytes. The value sits after the key, aligned, which for
//! `f64` or `Box<[u8]>` values wastes less padding than putting it first.
//! Key hashes are not cached in nodes: resizing rehashes the key bytes
//! (foldhash is fast) rather than paying 8 bytes per element forever.
//!
//! The node layout needs raw allocation, so `unsafe` is confined to the
//! small `Node` handle below; every table operation above it is written
//! against that handle and tested against a `HashMap` model.
//!
//! # Resizing
//!
//! The table grows (doubles) when an insert would make `len > buckets` and
//! shrinks to the next power of two `>= len` (at least 4 buckets, Redis's
//! `DICT_HT_INITIAL_SIZE`) when fill drops under 10% (Redis's
//! `HASHTABLE_MIN_FILL`, checked by Redis after SREM/HDEL, here inside
//! [`ScanTable::remove`]). Redis rehashes incrementally to bound latency on
//! huge dicts; this table rehashes at once, which keeps the code and the
//! per-table state small (no second table, no rehash index). The SCAN
//! guarantee only needs both sizes to be powers of two, which they are.
//!
//! # Hashing
//!
//! foldhash with a per-process random seed, so clients cannot pick members
//! that collide into one chain ahead of time.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::fmt;
use std::hash::BuildHasher;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

/// Smallest non-empty bucket array (Redis's `DICT_HT_INITIAL_SIZE`).
const MIN_BUCKETS: usize = 4;
/// Shrink when fewer than this percentage of buckets' worth of elements
/// remain (Redis's `HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;
/// `with_capacity` never pre-allocates more buckets than this; a larger table
/// still grows on demand. Keeps a corrupt length hint from allocating wildly.
const MAX_PREALLOC_BUCKETS: usize = 1 << 24;
/// Entries gathered by [`ScanTable::random`]'s fallback before picking one
/// (Redis's `GETFAIR_NUM_ENTRIES`).
const FAIR_SAMPLE: usize = 15;
/// [`ScanTable::random`] makes this many times the expected number of
/// rejection-sampling attempts before falling back to the (slightly biased)
/// window method: the fallback then happens with probability about e^-12.
const TRIALS_PER_EXPECTED: usize = 12;
/// Tables needing more attempts than this on average (under 0.4% full, only
/// possible after an oversized `with_capacity`) go straight to the fallback.
const MAX_EXPECTED_TRIALS: usize = 256;

/// Offset of the length byte: right after the `next` pointer.
const LEN_OFF: usize = size_of::<Link>();
/// Key offset for keys shorter than [`LONG_KEY`].
const SHORT_KEY_OFF: usize = LEN_OFF + 1;
/// Key offset for long keys, after the 8-byte length.
const LONG_KEY_OFF: usize = SHORT_KEY_OFF + 8;
/// Length byte marking a long key (its real length follows as u64le).
const LONG_KEY: u8 = u8::MAX;

/// An untyped, nullable node pointer as stored in buckets and `next` fields.
type Link = Option<NonNull<u8>>;

/// The hash of `key` under this process's random seed.
fn hash_key(key: &[u8]) -> u64 {
    static STATE: OnceLock<foldhash::fast::FixedState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            // std's RandomState is keyed from the OS once per process, so
            // hashing a constant with it gives a seed clients cannot predict.
            let seed = std::collections::hash_map::RandomState::new().hash_one(0x5ca7_7ab1e_u64);
            foldhash::fast::FixedState::with_seed(seed)
        })
        .hash_one(key)
}

/// jemalloc's size class for an `n`-byte request with its default 16-byte
/// quantum (8, 16, 32, 48, ... 128, then four classes per doubling), so
/// `mem_usage` reports what the allocator really hands out.
pub fn alloc_class(n: usize) -> usize {
    if n == 0 {
        0
    } else if n <= 8 {
        8
    } else if n <= 128 {
        n.next_multiple_of(16)
    } else {
        let k = usize::BITS - 1 - (n - 1).leading_zeros();
        let spacing = 1usize << (k - 2);
        n.checked_next_multiple_of(spacing).unwrap_or(n)
    }
}

/// Where the parts of a node with a `key_len`-byte key live.
#[derive(Clone, Copy)]
struct Shape {
    key_off: usize,
    val_off: usize,
    layout: Layout,
}

impl Shape {
    /// `None` only for sizes no existing slice can have (over `isize::MAX`).
    fn of<V>(key_len: usize) -> Option<Shape> {
        let key_off = if key_len < usize::from(LONG_KEY) {
            SHORT_KEY_OFF
        } else {
            LONG_KEY_OFF
        };
        let val_off = key_off
            .checked_add(key_len)?
            .checked_next_multiple_of(align_of::<V>())?;
        let size = val_off.checked_add(size_of::<V>())?;
        let align = align_of::<V>().max(align_of::<Link>());
        let layout = Layout::from_size_align(size, align).ok()?;
        Some(Shape {
            key_off,
            val_off,
            layout,
        })
    }

    /// [`Shape::of`] for keys that exist in memory, for which it cannot
    /// fail; aborts (never unwinds) if it somehow did, because continuing
    /// would mean freeing with a wrong layout.
    fn of_or_abort<V>(key_len: usize) -> Shape {
        match Shape::of::<V>(key_len) {
            Some(s) => s,
            None => std::process::abort(),
        }
    }
}

/// A handle to one node allocation. Copyable like the raw pointer it is: the
/// table, not the handle, owns the node. Module-private: all methods except
/// [`Node::alloc`] require that the node is live (allocated by `alloc`, not
/// yet freed), which the table guarantees by only holding handles to nodes
/// linked in its buckets and freeing a node only after unlinking it.
struct Node<V> {
    ptr: NonNull<u8>,
    _v: PhantomData<*mut V>,
}

impl<V> Clone for Node<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Node<V> {}

impl<V> Node<V> {
    fn from_link(link: Link) -> Option<Node<V>> {
        link.map(|ptr| Node {
            ptr,
            _v: PhantomData,
        })
    }

    /// Allocates a node holding `key` and `v`, with a null `next`.
    fn alloc(key: &[u8], v: V) -> Node<V> {
        let shape = Shape::of_or_abort::<V>(key.len());
        // SAFETY: the layout's size is at least SHORT_KEY_OFF > 0.
        let raw = unsafe { alloc(shape.layout) };
        let Some(ptr) = NonNull::new(raw) else {
            handle_alloc_error(shape.layout)
        };
        // SAFETY: `ptr` is a fresh allocation of `shape.layout`, aligned for
        // `Link` and `V`; every write below is inside it by construction of
        // `Shape` (next at 0, length at LEN_OFF, key at key_off, V at val_off).
        unsafe {
            ptr.as_ptr().cast::<Link>().write(None);
            if shape.key_off == SHORT_KEY_OFF {
                // key.len() < 255 here, so the cast is lossless.
                ptr.as_ptr().add(LEN_OFF).write(key.len() as u8);
            } else {
                ptr.as_ptr().add(LEN_OFF).write(LONG_KEY);
                ptr.as_ptr()
                    .add(SHORT_KEY_OFF)
                    .cast::<u64>()
                    .write_unaligned(key.len() as u64);
            }
            ptr::copy_nonoverlapping(key.as_ptr(), ptr.as_ptr().add(shape.key_off), key.len());
            ptr.as_ptr().add(shape.val_off).cast::<V>().write(v);
        }
        Node {
            ptr,
            _v: PhantomData,
        }
    }

    fn key_len(self) -> usize {
        // SAFETY: live node: the length byte (and, for long keys, the u64
        // after it) were written by `alloc`.
        unsafe {
            let b = *self.ptr.as_ptr().add(LEN_OFF);
            if b == LONG_KEY {
                let n = self
                    .ptr
                    .as_ptr()
                    .add(SHORT_KEY_OFF)
                    .cast::<u64>()
                    .read_unaligned();
                n as usize
            } else {
                usize::from(b)
            }
        }
    }

    fn shape(self) -> Shape {
        Shape::of_or_abort::<V>(self.key_len())
    }

    /// The key. The caller bounds the lifetime by its borrow of the table.
    fn key<'a>(self) -> &'a [u8] {
        let len = self.key_len();
        let off = if len < usize::from(LONG_KEY) {
            SHORT_KEY_OFF
        } else {
            LONG_KEY_OFF
        };
        // SAFETY: live node: `len` initialised bytes start at `off`; the
        // table never writes key bytes after `alloc`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(off), len) }
    }

    /// Pointer to the (initialised, aligned) value.
    fn val_ptr(self) -> *mut V {
        // SAFETY: live node: `val_off` is inside the allocation.
        unsafe { self.ptr.as_ptr().add(self.shape().val_off).cast::<V>() }
    }

    fn next(self) -> Option<Node<V>> {
        // SAFETY: live node: offset 0 holds an initialised, aligned Link.
        Node::from_link(unsafe { self.ptr.as_ptr().cast::<Link>().read() })
    }

    fn set_next(self, next: Option<Node<V>>) {
        // SAFETY: as in `next`.
        unsafe { self.ptr.as_ptr().cast::<Link>().write(next.map(|n| n.ptr)) }
    }

    fn link(self) -> Link {
        Some(self.ptr)
    }

    /// Bytes the allocator spends on this node.
    fn alloc_bytes(self) -> usize {
        alloc_class(self.shape().layout.size())
    }

    /// Moves the value out and frees the node. The handle (and any copy of
    /// it) must not be used afterwards.
    fn free(self) -> V {
        let shape = self.shape();
        // SAFETY: live node: the value is initialised and read exactly once,
        // then the allocation is released with the layout it was made with.
        unsafe {
            let v = self.ptr.as_ptr().add(shape.val_off).cast::<V>().read();
            dealloc(self.ptr.as_ptr(), shape.layout);
            v
        }
    }

    /// Copies the key out, then frees the node like [`Node::free`].
    fn into_parts(self) -> (Box<[u8]>, V) {
        let key: Box<[u8]> = self.key().into();
        (key, self.free())
    }
}

/// A hash table from byte-string keys to `V` with Redis's SCAN guarantees.
///
/// Sets use `V = ()`, hashes `V = Box<[u8]>`, sorted sets `V = f64` (the
/// member-to-score index). See the module docs for why it exists.
pub struct ScanTable<V> {
    buckets: Box<[Link]>,
    len: usize,
    /// Sum of the allocator size classes of all nodes, for `mem_usage`.
    node_bytes: usize,
    /// An upper bound on the longest chain (exact after a resize, raised by
    /// inserts, not lowered by removals), for uniform `random`.
    max_chain: usize,
    _owns: PhantomData<V>,
}

// SAFETY: the table exclusively owns its nodes and the values in them, so
// moving it to another thread moves the values (needs `V: Send`).
unsafe impl<V: Send> Send for ScanTable<V> {}
// SAFETY: `&ScanTable` only hands out `&[u8]` and `&V` (needs `V: Sync`).
unsafe impl<V: Sync> Sync for ScanTable<V> {}

impl<V> Default for ScanTable<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Drop for ScanTable<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<V> ScanTable<V> {
    /// An empty table; allocates nothing until the first insert.
    pub fn new() -> Self {
        ScanTable {
            buckets: Box::new([]),
            len: 0,
            node_bytes: 0,
            max_chain: 0,
            _owns: PhantomData,
        }
    }

    /// An empty table with buckets for `n` elements, so loading or converting
    /// a known number of elements does not rehash along the way. `n` is a
    /// hint: it is capped (2^24 buckets) so a corrupt count cannot allocate
    /// gigabytes up front.
    pub fn with_capacity(n: usize) -> Self {
        let mut t = Self::new();
        if n > 0 {
            let size = n
                .min(MAX_PREALLOC_BUCKETS)
                .next_power_of_two()
                .max(MIN_BUCKETS);
            t.buckets = empty_buckets(size);
        }
        t
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True without elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (a power of two or zero), for `DEBUG HTSTATS`-like
    /// introspection and tests.
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Bucket index of hash `h`; the table must have buckets.
    fn index(&self, h: u64) -> usize {
        (h as usize) & self.buckets.len().wrapping_sub(1)
    }

    fn head(&self, i: usize) -> Option<Node<V>> {
        Node::from_link(self.buckets.get(i).copied().flatten())
    }

    fn find(&self, key: &[u8], h: u64) -> Option<Node<V>> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.head(self.index(h));
        while let Some(n) = cur {
            if n.key() == key {
                return Some(n);
            }
            cur = n.next();
        }
        None
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let n = self.find(key, hash_key(key))?;
        // SAFETY: live node owned by `self`; the shared borrow of `self`
        // keeps it alive and unmodified for the returned lifetime.
        Some(unsafe { &*n.val_ptr() })
    }

    /// The value of `key`, for in-place updates (HINCRBY, ZINCRBY).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let n = self.find(key, hash_key(key))?;
        // SAFETY: as in `get`; `&mut self` makes the borrow exclusive.
        Some(unsafe { &mut *n.val_ptr() })
    }

    /// The stored key and its value (the stored key can be borrowed for as
    /// long as the table, unlike the caller's lookup key).
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        let n = self.find(key, hash_key(key))?;
        // SAFETY: as in `get`.
        Some((n.key(), unsafe { &*n.val_ptr() }))
    }

    /// True if `key` is present.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key, hash_key(key)).is_some()
    }

    /// Sets `key` to `v`, returning the previous value if `key` existed (the
    /// stored key bytes are then kept).
    pub fn insert(&mut self, key: &[u8], v: V) -> Option<V> {
        let h = hash_key(key);
        if let Some(n) = self.find(key, h) {
            // SAFETY: live node; `&mut self` makes the access exclusive.
            return Some(unsafe { ptr::replace(n.val_ptr(), v) });
        }
        self.add_new(key, v, h);
        None
    }

    /// Adds `key` only if absent: true if added, false (and `v` dropped) if
    /// it was present. One lookup for SADD-like commands.
    pub fn insert_new(&mut self, key: &[u8], v: V) -> bool {
        let h = hash_key(key);
        if self.find(key, h).is_some() {
            return false;
        }
        self.add_new(key, v, h);
        true
    }

    /// Links a new node for an absent `key`, growing first if needed.
    fn add_new(&mut self, key: &[u8], v: V, h: u64) {
        if self.len >= self.buckets.len() {
            let size = self
                .buckets
                .len()
                .checked_mul(2)
                .unwrap_or(self.buckets.len())
                .max(MIN_BUCKETS);
            self.resize(size);
        }
        let node = Node::alloc(key, v);
        self.link_front(node, h);
    }

    /// Pushes `node` at the head of its bucket; the table must have buckets.
    fn link_front(&mut self, node: Node<V>, h: u64) {
        let i = self.index(h);
        if let Some(slot) = self.buckets.get_mut(i) {
            node.set_next(Node::from_link(*slot));
            *slot = node.link();
            self.len += 1;
            self.node_bytes += node.alloc_bytes();
            // The chain was just walked by the lookup, so this is cheap.
            self.max_chain = self.max_chain.max(chain_len(Some(node)));
        } else {
            // Unreachable (callers ensure buckets exist); never leak.
            drop(node.free());
        }
    }

    /// Unlinks the node for `key` and hands it back.
    fn unlink(&mut self, key: &[u8]) -> Option<Node<V>> {
        if self.len == 0 {
            return None;
        }
        let i = self.index(hash_key(key));
        let mut prev: Option<Node<V>> = None;
        let mut cur = self.head(i);
        while let Some(n) = cur {
            if n.key() == key {
                match prev {
                    Some(p) => p.set_next(n.next()),
                    None => {
                        if let Some(slot) = self.buckets.get_mut(i) {
                            *slot = n.next().and_then(Node::link);
                        }
                    }
                }
                self.len -= 1;
                self.node_bytes = self.node_bytes.saturating_sub(n.alloc_bytes());
                self.shrink_if_sparse();
                return Some(n);
            }
            prev = Some(n);
            cur = n.next();
        }
        None
    }

    /// Removes `key`, returning its value. Shrinks the table when it becomes
    /// sparse, as Redis does after SREM/HDEL.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.unlink(key).map(Node::free)
    }

    /// Removes `key`, returning the stored key and its value (SPOP/HRANDFIELD
    /// style callers that need to own the key).
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        self.unlink(key).map(Node::into_parts)
    }

    /// Removes every element and releases the buckets.
    pub fn clear(&mut self) {
        let buckets = std::mem::take(&mut self.buckets);
        self.len = 0;
        self.node_bytes = 0;
        self.max_chain = 0;
        for link in buckets.iter() {
            let mut cur = Node::<V>::from_link(*link);
            while let Some(n) = cur {
                cur = n.next();
                drop(n.free());
            }
        }
    }

    /// Shrinks the bucket array when under 10% full (Redis's `htNeedsResize`
    /// then `dictResize`: to the next power of two `>= len`, at least 4).
    /// [`ScanTable::remove`] calls it; callers may too after bulk removals.
    pub fn shrink_if_sparse(&mut self) {
        let size = self.buckets.len();
        if size > MIN_BUCKETS && self.len * 100 < size * MIN_FILL_PERCENT {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    /// Rehashes every node into `size` (a power of two) buckets.
    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.buckets, empty_buckets(size));
        let mask = size.wrapping_sub(1);
        for link in old.iter() {
            let mut cur = Node::<V>::from_link(*link);
            while let Some(n) = cur {
                cur = n.next();
                let i = hash_key(n.key()) as usize & mask;
                if let Some(slot) = self.buckets.get_mut(i) {
                    n.set_next(Node::from_link(*slot));
                    *slot = n.link();
                }
            }
        }
        self.max_chain = self
            .buckets
            .iter()
            .map(|l| chain_len(Node::<V>::from_link(*l)))
            .max()
            .unwrap_or(0);
    }

    /// Every element, in bucket order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            buckets: &self.buckets,
            next_bucket: 0,
            cur: None,
            left: self.len,
            _v: PhantomData,
        }
    }

    /// Every element with a mutable value, in bucket order.
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        IterMut {
            buckets: &self.buckets,
            next_bucket: 0,
            cur: None,
            left: self.len,
            _v: PhantomData,
        }
    }

    /// Moves every element out, leaving the table empty. The iterator owns
    /// the elements: dropping it early frees the rest.
    pub fn drain(&mut self) -> IntoIter<V> {
        IntoIter {
            table: std::mem::take(self),
            next_bucket: 0,
        }
    }

    /// One SCAN step (Redis's `dictScan`): calls `f` for every element of the
    /// bucket at `cursor` and returns the next cursor, 0 when the scan is
    /// over. An element present from the first call to the last is reported
    /// at least once even if the table is resized between calls; elements
    /// may be reported more than once.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        if self.len == 0 || self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut cur = self.head((cursor & mask) as usize);
        while let Some(n) = cur {
            // SAFETY: live node; the shared borrow of `self` keeps it so.
            f(n.key(), unsafe { &*n.val_ptr() });
            cur = n.next();
        }
        // Set the bits above the mask so the increment of the reversed
        // cursor carries through the masked bits only.
        (cursor | !mask)
            .reverse_bits()
            .wrapping_add(1)
            .reverse_bits()
    }

    /// Fills `out` with up to `out.len()` distinct elements from a run of
    /// consecutive buckets starting at a random one (Redis's
    /// `dictGetSomeKeys`), returning how many were stored. Entries of the
    /// last chain visited compete for the slots by reservoir sampling so
    /// the end of a chain is not disfavoured. At most `10 * out.len()`
    /// (minimum 32) buckets and never the same bucket twice are visited,
    /// which keeps the results distinct but means a very sparse table can
    /// yield fewer.
    fn sample_nodes(&self, rand: &mut impl FnMut() -> u64, out: &mut [Option<Node<V>>]) -> usize {
        let count = out.len().min(self.len);
        let size = self.buckets.len();
        if count == 0 || size == 0 {
            return 0;
        }
        let mask = size - 1;
        let mut i = rand() as usize & mask;
        let mut steps = count.saturating_mul(10).max(32).min(size);
        let mut stored = 0usize;
        while steps > 0 {
            steps -= 1;
            let mut cur = self.head(i);
            let nonempty = cur.is_some();
            while let Some(n) = cur {
                if stored < count {
                    if let Some(slot) = out.get_mut(stored) {
                        *slot = Some(n);
                    }
                } else {
                    let r = (rand() % (stored as u64 + 1)) as usize;
                    if let Some(slot) = out.get_mut(r) {
                        *slot = Some(n);
                    }
                }
                stored += 1;
                cur = n.next();
            }
            if nonempty && stored >= count {
                return count;
            }
            i = (i + 1) & mask;
        }
        stored.min(count)
    }

    /// A uniformly random element, for SRANDMEMBER, SPOP, HRANDFIELD and
    /// ZRANDMEMBER.
    ///
    /// Picking a random bucket and then a random element of its chain (Redis's
    /// `dictGetRandomKey`) favours elements in short chains; Redis's
    /// `dictGetFairRandomKey` smooths that over a window of 15 neighbours but
    /// still favours elements after runs of empty buckets. Here each attempt
    /// picks a random bucket and a random position below the longest-chain
    /// bound `c`, and succeeds if an element sits there: every element then
    /// has the same chance `1 / (buckets * c)` per attempt, so the result is
    /// exactly uniform. Attempts needed average `c * buckets / len` (a few,
    /// as chains stay short and the table at least 10% full); after 12 times
    /// that many failures (probability about e^-12), or straight away for a
    /// table left nearly empty by `with_capacity`, it falls back to Redis's
    /// window method.
    pub fn random(&self, rand: &mut impl FnMut() -> u64) -> Option<(&[u8], &V)> {
        if self.len == 0 || self.buckets.is_empty() {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let c = self.max_chain.max(1);
        // c * buckets >= len, as no chain is longer than c.
        let expected = c.saturating_mul(self.buckets.len()) / self.len;
        let trials = if expected > MAX_EXPECTED_TRIALS {
            0
        } else {
            expected.max(1) * TRIALS_PER_EXPECTED
        };
        let c = c as u64;
        let mut found = None;
        for _ in 0..trials {
            let b = rand() as usize & mask;
            let pos = rand() % c;
            let mut cur = self.head(b);
            for _ in 0..pos {
                cur = cur.and_then(Node::next);
            }
            if cur.is_some() {
                found = cur;
                break;
            }
        }
        let node = match found {
            Some(n) => n,
            // A very sparse table (preallocated, or shrink held back): walk
            // to a uniformly chosen element rather than Redis's window,
            // whose pick favours elements after long empty runs.
            None if trials == 0 => {
                let nth = (rand() % self.len as u64) as usize;
                let (k, v) = self.iter().nth(nth)?;
                return Some((k, v));
            }
            None => self.window_random(rand)?,
        };
        // SAFETY: live node; the shared borrow of `self` keeps it so.
        Some((node.key(), unsafe { &*node.val_ptr() }))
    }

    /// Redis's `dictGetFairRandomKey`: one of up to 15 neighbouring elements,
    /// or (if the window found none) an element of the first non-empty
    /// bucket after a random one.
    fn window_random(&self, rand: &mut impl FnMut() -> u64) -> Option<Node<V>> {
        let mut picks: [Option<Node<V>>; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let got = self.sample_nodes(rand, &mut picks);
        if got > 0 {
            picks.get((rand() % got as u64) as usize).copied().flatten()
        } else {
            let start = rand() as usize;
            self.first_from(start, rand())
        }
    }

    /// A uniformly chosen element of the first non-empty bucket at or after
    /// `start` (wrapping): the fallback when sampling found nothing in a
    /// sparse table. Always finds one if the table is non-empty.
    fn first_from(&self, start: usize, r: u64) -> Option<Node<V>> {
        let size = self.buckets.len();
        if size == 0 {
            return None;
        }
        for step in 0..size {
            let i = start.wrapping_add(step) & (size - 1);
            let Some(head) = self.head(i) else {
                continue;
            };
            let chain = chain_len(Some(head));
            let pick = (r % chain as u64) as usize;
            let mut cur = Some(head);
            for _ in 0..pick {
                cur = cur.and_then(Node::next);
            }
            return cur;
        }
        None
    }

    /// Calls `f` for up to `count` distinct elements gathered quickly from
    /// random neighbouring buckets (Redis's `dictGetSomeKeys`), for SPOP and
    /// SRANDMEMBER with large counts. Not uniformly distributed and may
    /// return fewer than `min(count, len)` on a sparse table: callers loop.
    pub fn sample(
        &self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
        mut f: impl FnMut(&[u8], &V),
    ) {
        let count = count.min(self.len);
        if count == 0 {
            return;
        }
        let mut picks: Vec<Option<Node<V>>> = vec![None; count];
        let got = self.sample_nodes(rand, &mut picks);
        for n in picks.iter().take(got).flatten() {
            // SAFETY: live node; the shared borrow of `self` keeps it so.
            f(n.key(), unsafe { &*n.val_ptr() });
        }
    }

    /// Approximate heap bytes owned by the table: the bucket array and every
    /// node (key and inline `V`), rounded to allocator size classes. Heap
    /// owned *by* values (a `Box<[u8]>`'s bytes) is the caller's to add.
    pub fn mem_usage(&self) -> usize {
        alloc_class(self.buckets.len() * size_of::<Link>()) + self.node_bytes
    }
}

/// Number of nodes in the chain starting at `head`.
fn chain_len<V>(head: Option<Node<V>>) -> usize {
    let mut n = 0;
    let mut cur = head;
    while let Some(node) = cur {
        n += 1;
        cur = node.next();
    }
    n
}

/// A bucket array of `size` empty buckets.
fn empty_buckets(size: usize) -> Box<[Link]> {
    vec![None; size].into_boxed_slice()
}

impl<V: Clone> Clone for ScanTable<V> {
    fn clone(&self) -> Self {
        let mut t = ScanTable::new();
        t.buckets = empty_buckets(self.buckets.len());
        for (k, v) in self.iter() {
            let node = Node::alloc(k, v.clone());
            t.link_front(node, hash_key(k));
        }
        t
    }
}

/// Shows keys as escaped byte strings.
struct ShowKey<'a>(&'a [u8]);

impl fmt::Debug for ShowKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

impl<V: fmt::Debug> fmt::Debug for ScanTable<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (ShowKey(k), v)))
            .finish()
    }
}

/// Borrowing iterator over a [`ScanTable`], from [`ScanTable::iter`].
pub struct Iter<'a, V> {
    buckets: &'a [Link],
    next_bucket: usize,
    cur: Option<Node<V>>,
    left: usize,
    _v: PhantomData<&'a V>,
}

/// Advances a bucket-order walk: the next node, or `None` at the end.
fn step<V>(
    buckets: &[Link],
    next_bucket: &mut usize,
    cur: &mut Option<Node<V>>,
) -> Option<Node<V>> {
    loop {
        if let Some(n) = *cur {
            *cur = n.next();
            return Some(n);
        }
        let link = buckets.get(*next_bucket)?;
        *next_bucket += 1;
        *cur = Node::from_link(*link);
    }
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let n = step(self.buckets, &mut self.next_bucket, &mut self.cur)?;
        self.left = self.left.saturating_sub(1);
        // SAFETY: live node; the iterator holds a shared borrow of the table.
        Some((n.key(), unsafe { &*n.val_ptr() }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}
impl<V> FusedIterator for Iter<'_, V> {}

/// Iterator with mutable values, from [`ScanTable::iter_mut`].
pub struct IterMut<'a, V> {
    buckets: &'a [Link],
    next_bucket: usize,
    cur: Option<Node<V>>,
    left: usize,
    _v: PhantomData<&'a mut V>,
}

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (&'a [u8], &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        let n = step(self.buckets, &mut self.next_bucket, &mut self.cur)?;
        self.left = self.left.saturating_sub(1);
        // SAFETY: live node; the iterator holds the table's exclusive borrow
        // and yields each node once, so the `&mut V`s never alias (and the
        // value bytes are disjoint from the key and `next` bytes).
        Some((n.key(), unsafe { &mut *n.val_ptr() }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> ExactSizeIterator for IterMut<'_, V> {}
impl<V> FusedIterator for IterMut<'_, V> {}

/// Owning iterator, from [`ScanTable::drain`] or `into_iter`.
pub struct IntoIter<V> {
    table: ScanTable<V>,
    next_bucket: usize,
}

impl<V> Iterator for IntoIter<V> {
    type Item = (Box<[u8]>, V);

    fn next(&mut self) -> Option<Self::Item> {
        let t = &mut self.table;
        loop {
            let slot = t.buckets.get_mut(self.next_bucket)?;
            if let Some(n) = Node::<V>::from_link(*slot) {
                *slot = n.next().and_then(Node::link);
                t.len -= 1;
                t.node_bytes = t.node_bytes.saturating_sub(n.alloc_bytes());
                return Some(n.into_parts());
            }
            self.next_bucket += 1;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.table.len, Some(self.table.len))
    }
}

impl<V> ExactSizeIterator for IntoIter<V> {}
impl<V> FusedIterator for IntoIter<V> {}

impl<V> IntoIterator for ScanTable<V> {
    type Item = (Box<[u8]>, V);
    type IntoIter = IntoIter<V>;

    fn into_iter(self) -> IntoIter<V> {
        IntoIter {
            table: self,
            next_bucket: 0,
        }
    }
}

impl<'a, V> IntoIterator for &'a ScanTable<V> {
    type Item = (&'a [u8], &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

#[cfg(test)]
#[path = "scantable_tests.rs"]
mod tests;
