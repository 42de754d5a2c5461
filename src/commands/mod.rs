//! Commands: the table, the dispatcher and one file per command family.
//!
//! Each family file exports a `COMMANDS` slice of [`Binding`]s tying a command
//! name (as in Redis's command JSON, `config|get` for subcommands) to its
//! handler and lock mode. The command's metadata (arity, flags, key specs,
//! docs) comes from `meta/`, generated from Redis's own command definitions, so
//! one entry per command drives dispatch, arity errors, lock planning and
//! `COMMAND`.

pub mod bitmaps;
pub mod blocking;
pub mod collection;
pub mod compat;
pub mod connection;
pub mod debug;
pub mod dispatch;
pub mod dump;
pub mod error;
pub mod hashes;
pub mod info;
pub mod introspect;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod meta;
pub mod migrate;
pub mod monitor;
pub mod multi;
pub mod notify;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server_cmds;
pub mod sets;
pub mod sort;
pub mod strings;
pub mod table;
pub mod tracking;
pub mod zset_algebra;
pub mod zsets;

use std::ops::Range;

pub use error::{CmdError, CmdResult};

use crate::config::notify as config_notify;
use crate::net::client::ClientState;
use crate::resp::ReplyBuf;
use crate::server::{Server, WorkerStats};
use crate::store::{
    hash_key, shard_of, Db, Entry, EntryMut, EntryRef, Locked, Lookup, NewValue, Value, ValueRef,
    ValueType,
};

/// A command's arguments, `args.get(0)` being its name: slices of the
/// connection's query buffer, so no argument is copied to run a command.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    /// Arguments given as ranges into `buf`.
    pub fn new(buf: &'a [u8], ranges: &'a [Range<usize>]) -> Args<'a> {
        Args { buf, ranges }
    }

    /// Number of arguments including the command name.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True if there are no arguments at all.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`, or an empty slice past the end.
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self.ranges.get(i) {
            Some(r) => &self.buf[r.clone()],
            None => &[],
        }
    }

    /// Arguments from `i` on.
    pub fn from(&self, i: usize) -> impl Iterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.ranges
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .map(move |r| &buf[r.clone()])
    }

    /// Argument `i` compared case-insensitively with an ASCII keyword.
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }

    /// Argument `i` as an i64, with Redis's error if it isn't one.
    pub fn int(&self, i: usize) -> Result<i64, CmdError> {
        crate::util::num::parse_i64(self.get(i)).ok_or(CmdError::NotInteger)
    }

    /// Argument `i` as text for error messages.
    pub fn text(&self, i: usize) -> String {
        String::from_utf8_lossy(self.get(i)).into_owned()
    }
}

/// Redis's normalisation of an inclusive `start end` index pair over `len`
/// items (GETRANGE, BITCOUNT, BITPOS, and later LRANGE): negative indexes
/// count from the end, both are clamped into range; `None` when empty.
pub fn clamp_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let s = if start < 0 {
        start.saturating_add(len)
    } else {
        start
    }
    .max(0);
    let e = if end < 0 {
        end.saturating_add(len)
    } else {
        end
    }
    .max(0)
    .min(len - 1);
    (len > 0 && s <= e).then_some((s, e))
}

/// Redis's normalisation of a `start stop` rank range over `len` elements
/// for lists and sorted sets (LRANGE, LTRIM, ZRANGE, ZREMRANGEBYRANK):
/// like [`clamp_range`] except that a stop still negative after counting
/// from the end selects nothing (GETRANGE clamps it to 0 instead).
pub fn clamp_rank_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let end = if end < 0 {
        end.saturating_add(len)
    } else {
        end
    };
    if end < 0 {
        return None;
    }
    clamp_range(start, end, len)
}

/// A command handler.
pub type Handler = fn(&mut Ctx<'_, '_>, Args<'_>) -> CmdResult;

/// Which shard locks the dispatcher takes before calling a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// The shards of the keys named by the command's key specs.
    Keys,
    /// Every shard (KEYS, SCAN, FLUSHALL, DBSIZE...).
    All,
    /// None: the command touches no key.
    None,
    /// Runs on the script engine thread with every shard locked (EVAL,
    /// FCALL, SCRIPT LOAD, FUNCTION LOAD...; see `crate::script`).
    Engine,
}

/// Ties a command name to its implementation.
pub struct Binding {
    /// Lowercase name, `container|sub` for subcommands.
    pub name: &'static str,
    /// The implementation.
    pub handler: Handler,
    /// Locks it needs.
    pub lock: LockMode,
}

/// Shorthand for building [`Binding`] tables.
pub const fn bind(name: &'static str, handler: Handler, lock: LockMode) -> Binding {
    Binding {
        name,
        handler,
        lock,
    }
}

/// Everything a handler may touch while it runs.
pub struct Ctx<'a, 'k> {
    /// Shared server state.
    pub srv: &'a Server,
    /// The calling connection's state.
    pub client: &'a mut ClientState,
    /// Where the reply goes.
    pub out: &'a mut ReplyBuf,
    /// The keyspace as locked for this command (borrowed: `Keys` is a few
    /// hundred bytes, which moving in and out of every call would copy).
    pub keys: &'a mut Keys<'k>,
    /// Statistics of the worker running the command.
    pub stats: &'a WorkerStats,
    /// Set by a blocking command that found nothing (see [`blocking::block_on`]).
    pub block: Option<blocking::BlockSpec>,
    /// When re-running a blocked client's command: the key that became ready,
    /// the only one it may pop from (and it must not block again).
    pub serving: Option<Vec<u8>>,
}

impl Ctx<'_, '_> {
    /// Replicas get `argv` for this command (added to what it already
    /// rewrote): the deterministic form of a relative TTL, a random pop, a
    /// float increment. A no-op while no replica listens.
    pub fn replicate_as(&mut self, argv: &[&[u8]]) {
        if self.srv.log.active() {
            let v = argv.iter().map(|a| a.to_vec()).collect();
            self.keys.propagate.get_or_insert_with(Vec::new).push(v);
        }
    }

    /// Replicas get nothing for this command, whatever it changed.
    pub fn replicate_nothing(&mut self) {
        if self.srv.log.active() {
            self.keys.propagate.get_or_insert_with(Vec::new);
        }
    }
}

/// Access to the locked shards of the selected database, with Redis's lazy
/// expiry and hit/miss accounting applied on every lookup.
pub struct Keys<'k> {
    locked: Locked<'k>,
    /// Index of the selected database.
    pub db: usize,
    /// The command's clock (Unix ms), fixed for the whole command like Redis's
    /// `mstime()` cache, so one command sees one instant.
    pub now_ms: i64,
    /// Keys deleted by lazy expiry during this command.
    pub expired: u64,
    /// Keyspace hits and misses during this command.
    pub hits: u64,
    /// Misses, see `hits`.
    pub misses: u64,
    /// Changes made (for the `dirty` counter behind save points).
    pub dirty: u64,
    /// A key was "modified" without a data change that counts as dirty
    /// (LTRIM keeping everything): WATCHers are still invalidated, as Redis's
    /// `signalModifiedKey`.
    pub touched: bool,
    /// Lists and sorted sets created while clients wait on their keys.
    pub ready: Vec<blocking::ReadyKey>,
    /// The `notify-keyspace-events` classes to record, or 0 when nobody
    /// could hear them (no subscriber at all, or neither `K` nor `E`).
    pub notify: u32,
    /// Keyspace events of this command, published when it returns (still
    /// under its locks, so subscribers see a key's events in the order of
    /// its changes).
    pub events: Vec<notify::Event>,
    /// What replicas get instead of the command as it was sent, when it
    /// must be rewritten to a deterministic form (Redis's
    /// `rewriteClientCommandVector` / `alsoPropagate`): set by handlers only
    /// while `srv.log` is active.
    pub propagate: Option<Vec<Vec<Vec<u8>>>>,
    /// Shard and hash of the key looked up last, by address: a command
    /// usually touches the same argument several times (check, then write).
    memo: (usize, usize, usize, u64),
    /// Shards the dispatcher computed for the first key arguments while
    /// planning locks, by address, so the CRC16 isn't computed twice.
    planned: Planned,
}

/// Up to [`Planned::CAP`] key arguments with their shards, by address.
#[derive(Clone, Copy, Default)]
pub struct Planned {
    keys: [(usize, usize, usize); Planned::CAP],
    len: usize,
}

impl Planned {
    /// How many keys are remembered.
    pub const CAP: usize = 8;

    /// Remembers `key`'s shard (ignored past the capacity).
    pub fn push(&mut self, key: &[u8], shard: usize) {
        if self.len < Self::CAP {
            self.keys[self.len] = (key.as_ptr() as usize, key.len(), shard);
            self.len += 1;
        }
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        let id = (key.as_ptr() as usize, key.len());
        self.keys[..self.len]
            .iter()
            .find(|k| (k.0, k.1) == id)
            .map(|k| k.2)
    }
}

fn not_locked() -> CmdError {
    CmdError::err("internal error: key not covered by the command's key specs")
}

impl<'k> Keys<'k> {
    /// Wraps the locks the dispatcher took.
    pub fn new(locked: Locked<'k>, db: usize, now_ms: i64, planned: Planned) -> Keys<'k> {
        Keys {
            locked,
            db,
            now_ms,
            expired: 0,
            propagate: None,
            hits: 0,
            misses: 0,
            dirty: 0,
            touched: false,
            ready: Vec::new(),
            notify: 0,
            events: Vec::new(),
            memo: (0, 0, 0, 0),
            planned,
        }
    }

    /// Records a keyspace event for `key` in the selected database, if its
    /// class is enabled (Redis's `notifyKeyspaceEvent`).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if self.notify & class != 0 {
            self.events
                .push(notify::Event::new(class, event, key, self.db));
        }
    }

    /// [`Keys::notify`] for a key in another database (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        if self.notify & class != 0 {
            self.events.push(notify::Event::new(class, event, key, db));
        }
    }

    /// Forgets the memoized key location: call before looking up keys built
    /// in temporary buffers (SORT's BY/GET patterns), whose address a later
    /// buffer may reuse.
    pub fn forget_memo(&mut self) {
        self.memo = (0, 0, 0, 0);
    }

    /// Shard index and hash of `key`, memoized for the last key seen.
    fn locate(&mut self, key: &[u8]) -> (usize, u64) {
        let id = (key.as_ptr() as usize, key.len());
        if self.memo.0 == id.0 && self.memo.1 == id.1 && id.0 != 0 {
            return (self.memo.2, self.memo.3);
        }
        let shard = self.planned.find(key).unwrap_or_else(|| shard_of(key));
        let hash = hash_key(key);
        self.memo = (id.0, id.1, shard, hash);
        (shard, hash)
    }

    /// The table of `key`'s shard in the database `db`, and the key's hash.
    pub fn db_at(&mut self, db: usize, key: &[u8]) -> Result<(&mut Db, u64), CmdError> {
        let (shard, hash) = self.locate(key);
        let shard = self.locked.shard(shard).ok_or_else(not_locked)?;
        let table = shard.dbs.get_mut(db).ok_or(CmdError::DbIndexOutOfRange)?;
        Ok((table, hash))
    }

    /// The table of `key`'s shard in the selected database, and the key's hash.
    pub fn db(&mut self, key: &[u8]) -> Result<(&mut Db, u64), CmdError> {
        let db = self.db;
        self.db_at(db, key)
    }

    /// Every locked shard's table of database `db` (for commands locking all).
    pub fn all_dbs<'s>(&'s mut self, db: usize) -> impl Iterator<Item = &'s mut Db> + use<'s, 'k> {
        self.locked
            .iter_mut()
            .filter_map(move |(_, s)| s.dbs.get_mut(db))
    }

    /// The locks themselves, for whole-keyspace commands.
    pub fn locked(&mut self) -> &mut Locked<'k> {
        &mut self.locked
    }

    /// Applies lazy expiry to `key`; true if it exists afterwards.
    pub fn exists(&mut self, key: &[u8]) -> Result<bool, CmdError> {
        Ok(self.write(key)?.is_some())
    }

    /// Looks a key up for reading: lazy expiry, hit/miss stats, LRU touch.
    pub fn read(&mut self, key: &[u8]) -> Result<Option<EntryRef<'_>>, CmdError> {
        let (shard, hash) = self.locate(key);
        if self.notify != 0 {
            return self.read_notifying(key, shard, hash);
        }
        match lookup_in(
            &mut self.locked,
            self.db,
            self.now_ms,
            shard,
            hash,
            key,
            &mut self.expired,
        )? {
            Some(mut e) => {
                self.hits += 1;
                e.touch();
                Ok(Some(e.into_ref()))
            }
            None => {
                self.misses += 1;
                Ok(None)
            }
        }
    }

    /// One lookup with lazy expiry that records an `expired` event if the
    /// key expired now; true if it exists afterwards.
    #[cold]
    fn lookup_notifying(&mut self, key: &[u8], shard: usize, hash: u64) -> Result<bool, CmdError> {
        let before = self.expired;
        let found = lookup_in(
            &mut self.locked,
            self.db,
            self.now_ms,
            shard,
            hash,
            key,
            &mut self.expired,
        )?
        .is_some();
        if self.expired != before {
            self.notify(config_notify::EXPIRED, "expired", key);
        }
        Ok(found)
    }

    /// [`Keys::read`] recording `expired` and `keymiss` events.
    #[cold]
    fn read_notifying(
        &mut self,
        key: &[u8],
        shard: usize,
        hash: u64,
    ) -> Result<Option<EntryRef<'_>>, CmdError> {
        if !self.lookup_notifying(key, shard, hash)? {
            self.misses += 1;
            self.notify(config_notify::KEY_MISS, "keymiss", key);
            return Ok(None);
        }
        self.hits += 1;
        let (db, h) = self.db(key)?;
        let mut e = db.get_mut(key, h).ok_or_else(not_locked)?;
        e.touch();
        Ok(Some(e.into_ref()))
    }

    /// Looks a key up for modification (lazy expiry, no hit stats).
    pub fn write(&mut self, key: &[u8]) -> Result<Option<EntryMut<'_>>, CmdError> {
        let (shard, hash) = self.locate(key);
        if self.notify & config_notify::EXPIRED != 0 && !self.lookup_notifying(key, shard, hash)? {
            return Ok(None);
        }
        lookup_in(
            &mut self.locked,
            self.db,
            self.now_ms,
            shard,
            hash,
            key,
            &mut self.expired,
        )
    }

    /// Stores an entry under its key (`key`, the command's argument it was
    /// made from, so its shard and hash are found without rehashing),
    /// replacing any previous value.
    pub fn insert(&mut self, key: &[u8], entry: Entry) -> Result<Option<Entry>, CmdError> {
        debug_assert_eq!(key, entry.as_ref().key());
        let ty = entry.as_ref().value_type();
        let db = self.db;
        let (shard, hash) = self.locate(key);
        let shard = self.locked.shard(shard).ok_or_else(not_locked)?;
        let table = shard.dbs.get_mut(db).ok_or(CmdError::DbIndexOutOfRange)?;
        let old = table.insert(entry, hash);
        self.dirty += 1;
        if matches!(ty, ValueType::List | ValueType::ZSet) && shard.waiters.has(db, key) {
            self.ready.push((db, key.to_vec()));
        }
        if old.is_none() {
            self.notify(config_notify::NEW, "new", key);
        }
        Ok(old)
    }

    /// The collection at `key` for reading (hit/miss counted): `None` if
    /// missing, WRONGTYPE if it holds another type.
    pub fn obj(&mut self, key: &[u8], ty: ValueType) -> Result<Option<&Value>, CmdError> {
        match self.read(key)? {
            None => Ok(None),
            Some(e) => match e.value() {
                ValueRef::Obj(v) if v.value_type() == ty => Ok(Some(v)),
                _ => Err(CmdError::WrongType),
            },
        }
    }

    /// The collection at `key` for modification (no hit/miss stats).
    pub fn obj_mut(&mut self, key: &[u8], ty: ValueType) -> Result<Option<&mut Value>, CmdError> {
        match self.write(key)? {
            None => Ok(None),
            Some(e) => {
                if e.view().value_type() != ty {
                    return Err(CmdError::WrongType);
                }
                e.into_boxed_mut().map(Some).ok_or(CmdError::WrongType)
            }
        }
    }

    /// The collection at `key`, created empty by `make` if missing; WRONGTYPE
    /// if the key holds another type.
    pub fn obj_or_insert(
        &mut self,
        key: &[u8],
        ty: ValueType,
        make: impl FnOnce() -> Value,
    ) -> Result<&mut Value, CmdError> {
        // One table lookup when the key exists, the common case of every
        // LPUSH, SADD, HSET or ZADD after the first.
        if let Some(v) = self.obj_mut(key, ty)? {
            let found: *mut Value = v;
            // SAFETY: `found` is the `&mut Value` just borrowed from `self`;
            // the borrow checker cannot see that this branch returns it
            // (returning a borrow conditionally extends it to the whole
            // function), so it is passed through a pointer. Nothing touches
            // `self` in between and the result borrows `self` exclusively
            // again, so this is the same borrow handed back.
            // (`scripts/callgrind-compare -t lpush`: one lookup less per push.)
            return Ok(unsafe { &mut *found });
        }
        let entry = Entry::new(key, NewValue::Obj(Box::new(make())), None);
        self.insert(key, entry)?;
        self.obj_mut(key, ty)?.ok_or(CmdError::NoSuchKey)
    }

    /// Stores a new collection under `key`, replacing whatever was there
    /// (the STORE variants), or deletes the key if the value is empty.
    /// Returns true if a key was written.
    pub fn store_obj(&mut self, key: &[u8], value: Value) -> Result<bool, CmdError> {
        if value.is_empty() {
            self.remove(key)?;
            return Ok(false);
        }
        self.insert(key, Entry::new(key, NewValue::Obj(Box::new(value)), None))?;
        Ok(true)
    }

    /// Deletes `key` if it holds an empty collection: Redis never keeps
    /// empty lists, sets, hashes or sorted sets.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> Result<bool, CmdError> {
        let empty = match self.write(key)? {
            Some(mut e) => e
                .boxed_mut()
                .is_some_and(|v| v.value_type() != ValueType::String && v.is_empty()),
            None => false,
        };
        if empty {
            let (db, h) = self.db(key)?;
            db.remove(key, h);
            self.notify(config_notify::GENERIC, "del", key);
        }
        Ok(empty)
    }

    /// Deletes a key (after lazy expiry), returning its entry if it existed.
    pub fn remove(&mut self, key: &[u8]) -> Result<Option<Entry>, CmdError> {
        if !self.exists(key)? {
            return Ok(None);
        }
        let (db, h) = self.db(key)?;
        let old = db.remove(key, h);
        if old.is_some() {
            self.dirty += 1;
        }
        Ok(old)
    }
}

/// One table lookup with lazy expiry applied and counted in `expired`.
fn lookup_in<'a>(
    locked: &'a mut Locked<'_>,
    db: usize,
    now_ms: i64,
    shard: usize,
    hash: u64,
    key: &[u8],
    expired: &mut u64,
) -> Result<Option<EntryMut<'a>>, CmdError> {
    let shard = locked.shard(shard).ok_or_else(not_locked)?;
    let table = shard.dbs.get_mut(db).ok_or(CmdError::DbIndexOutOfRange)?;
    let (found, e) = table.lookup(key, hash, now_ms);
    if let Lookup::Expired = found {
        *expired += 1;
        crate::repl::propagate_del(db, key);
        // An expiry is a change WATCH and tracking see (Redis's
        // signalModifiedKey).
        shard.watchers.touch(db, key, false);
        let tracking = &crate::tracking::TRACKING;
        if !tracking.idle() {
            tracking.key_changed(&mut shard.tracked, key, 0);
        }
        return Ok(None);
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::clamp_range;

    #[test]
    fn clamp_range_follows_redis() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-3, -2, 5), Some((2, 3)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(3, 1, 5), None);
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    #[test]
    fn rank_ranges_follow_lrange() {
        use super::clamp_rank_range;
        assert_eq!(clamp_rank_range(0, -5, 4), None);
        assert_eq!(clamp_range(0, -5, 4), Some((0, 0)));
        assert_eq!(clamp_rank_range(0, -4, 4), Some((0, 0)));
        assert_eq!(clamp_rank_range(-10, 10, 4), Some((0, 3)));
        assert_eq!(clamp_rank_range(5, 10, 4), None);
    }
}
