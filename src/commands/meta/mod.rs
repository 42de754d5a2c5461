//! Command metadata: the data half of Ferrite's declarative command table.
//!
//! Every Redis 7.0 command and subcommand is described here with the same information
//! Redis keeps in `src/commands/*.json`: name, arity, flags, ACL categories, key specs and
//! the documentation `COMMAND DOCS` serves. Dispatch (arity errors), ACL checks, cluster
//! routing, lock planning, `COMMAND INFO/DOCS/COUNT/GETKEYS` all read these entries, so they
//! agree with each other and with real Redis by construction.
//!
//! Layout:
//! * this file is hand-written: the types, the bit constants, and the logic that reads the
//!   data (lookup, flag names, legacy key range, key extraction from key specs);
//! * `index.rs` and the per-group data files (`string.rs`, `server_a.rs`, ...) are generated
//!   by `scripts/gen-command-meta` from Redis 7.0.15's JSON files and must not be edited by
//!   hand; rerun the script instead. `index.rs` is pulled in with `include!` (below) so the
//!   set of data files can change without touching this file.
//!
//! Regenerate with `scripts/gen-command-meta "$(scripts/fetch-redis-src)/src/commands"`;
//! add `--check` to only verify that the checked-in files are current.
//!
//! Derived data is baked in by the generator exactly as Redis computes it at start-up:
//! the implicit ACL categories (`setImplicitACLCategories`) are already in
//! [`CommandMeta::acl_categories`], and the `movablekeys` flag
//! (`populateCommandLegacyRangeSpec`) is already in [`CommandMeta::flags`].

use std::cmp::Ordering;

include!("index.rs");

/// One Redis command or subcommand, as `COMMAND INFO` and `COMMAND DOCS` describe it.
///
/// Instances exist only as generated `static` data; the server never builds one at run time,
/// which is why every field is `'static` and the type is not `Clone`.
#[derive(Debug)]
pub struct CommandMeta {
    /// Lowercase name. For a subcommand only the subcommand's own name (`"get"` under
    /// `"config"`), because that is what the client sends as the second argument.
    pub name: &'static str,
    /// Name as Redis prints it in `COMMAND INFO`/`COMMAND DOCS`, in ACL rules and in errors:
    /// `"config|get"` for a subcommand, same as `name` for a top-level command. Stored so
    /// those replies need no allocation.
    pub fullname: &'static str,
    /// Documentation group (`COMMAND DOCS` "group"); also picks the generated file.
    pub group: Group,
    /// Redis arity: `N` means exactly `N` arguments including the command name (and the
    /// subcommand name), `-N` means at least `N`.
    pub arity: i32,
    /// [`flags`] bits, with `movablekeys` already derived from the key specs.
    pub flags: u64,
    /// [`acl`] category bits, including the implicit ones Redis derives from the flags.
    pub acl_categories: u64,
    /// Key specs, in Redis order; [`Arg::key_spec_index`] points into this slice.
    pub key_specs: &'static [KeySpec],
    /// Redis version that introduced the command (`COMMAND DOCS` "since").
    ///
    /// `since`, `complexity` and `summary` are `""` when Redis has none (MONITOR, SYNC,
    /// PSYNC and LOLWUT lack a complexity); `COMMAND DOCS` then omits the field, as Redis does.
    pub since: &'static str,
    /// Time complexity text (`COMMAND DOCS` "complexity"); `""` when absent.
    pub complexity: &'static str,
    /// One-line description (`COMMAND DOCS` "summary"); `""` when absent.
    pub summary: &'static str,
    /// [`doc_flags`] bits (`COMMAND DOCS` "doc_flags"): deprecated, syscmd.
    pub doc_flags: u8,
    /// Version that deprecated the command, if any (`COMMAND DOCS` "deprecated_since").
    pub deprecated_since: Option<&'static str>,
    /// What to use instead of a deprecated command (`COMMAND DOCS` "replaced_by").
    pub replaced_by: Option<&'static str>,
    /// Name of the C function Redis uses to find this command's keys when the key specs are
    /// not enough (`get_keys_function` in the JSON, e.g. `"sortGetKeys"`). [`getkeys`]
    /// reports it in [`GetKeysError::NeedsCustomFinder`] so a custom finder can be added.
    pub custom_getkeys: Option<&'static str>,
    /// `(version, change)` pairs (`COMMAND DOCS` "history"; omitted there when empty).
    pub history: &'static [(&'static str, &'static str)],
    /// Lowercase command tips such as `"nondeterministic_output"` (`COMMAND INFO` tips).
    pub tips: &'static [&'static str],
    /// Argument tree (`COMMAND DOCS` "arguments"; omitted there when empty).
    pub arguments: &'static [Arg],
    /// Subcommands sorted by name; non-empty exactly for container commands (CONFIG, ...).
    pub subcommands: &'static [CommandMeta],
}

/// Documentation group of a command, in Redis's `COMMAND_GROUP_STR` order.
///
/// An enum rather than a string so a `match` over groups is checked by the compiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Keyspace commands (DEL, EXPIRE, SCAN, ...).
    Generic,
    /// String commands.
    String,
    /// List commands.
    List,
    /// Set commands.
    Set,
    /// Sorted-set commands.
    SortedSet,
    /// Hash commands.
    Hash,
    /// Pub/Sub commands.
    Pubsub,
    /// MULTI/EXEC/WATCH.
    Transactions,
    /// Connection commands (AUTH, CLIENT, HELLO, ...).
    Connection,
    /// Server administration commands.
    Server,
    /// EVAL/FUNCTION/SCRIPT.
    Scripting,
    /// HyperLogLog commands.
    Hyperloglog,
    /// Cluster commands.
    Cluster,
    /// Sentinel commands.
    Sentinel,
    /// Geo commands.
    Geo,
    /// Stream commands.
    Stream,
    /// Bitmap commands.
    Bitmap,
}

impl Group {
    /// The group name exactly as `COMMAND DOCS` prints it (`"sorted-set"`, not `"sorted_set"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Pubsub => "pubsub",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Scripting => "scripting",
            Group::Hyperloglog => "hyperloglog",
            Group::Cluster => "cluster",
            Group::Sentinel => "sentinel",
            Group::Geo => "geo",
            Group::Stream => "stream",
            Group::Bitmap => "bitmap",
        }
    }
}

/// Command flag bits ([`CommandMeta::flags`]).
///
/// The values are Redis's own `CMD_*` bits (server.h), so anything that mirrors Redis
/// (module API flags, debugging against a Redis build) maps one to one.
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u64 = 1 << 0;
    /// Never modifies the keyspace.
    pub const READONLY: u64 = 1 << 1;
    /// Refused when over `maxmemory` (may grow memory use).
    pub const DENYOOM: u64 = 1 << 2;
    /// Implemented by a module.
    pub const MODULE: u64 = 1 << 3;
    /// Administrative command.
    pub const ADMIN: u64 = 1 << 4;
    /// Pub/Sub related.
    pub const PUBSUB: u64 = 1 << 5;
    /// Not allowed from scripts.
    pub const NOSCRIPT: u64 = 1 << 6;
    /// May block the client.
    pub const BLOCKING: u64 = 1 << 8;
    /// Allowed while the dataset is loading.
    pub const LOADING: u64 = 1 << 9;
    /// Allowed on a replica with stale data.
    pub const STALE: u64 = 1 << 10;
    /// Not propagated to MONITOR.
    pub const SKIP_MONITOR: u64 = 1 << 11;
    /// Not recorded in the slow log.
    pub const SKIP_SLOWLOG: u64 = 1 << 12;
    /// Cluster: served on an importing slot after ASKING.
    pub const ASKING: u64 = 1 << 13;
    /// O(1) or O(log N); never delays the server.
    pub const FAST: u64 = 1 << 14;
    /// Allowed before authentication.
    pub const NO_AUTH: u64 = 1 << 15;
    /// May replicate even when it is not a write (hidden in `COMMAND INFO`).
    pub const MAY_REPLICATE: u64 = 1 << 16;
    /// Also exists in Sentinel mode (hidden in `COMMAND INFO`).
    pub const SENTINEL: u64 = 1 << 17;
    /// Exists only in Sentinel mode (hidden in `COMMAND INFO`).
    pub const ONLY_SENTINEL: u64 = 1 << 18;
    /// May legitimately be called with no keys (e.g. EVAL with numkeys 0).
    pub const NO_MANDATORY_KEYS: u64 = 1 << 19;
    /// Refused unless enabled by `enable-*-cmd` (DEBUG, MODULE; hidden in `COMMAND INFO`).
    pub const PROTECTED: u64 = 1 << 20;
    /// Module command with its own key finder.
    pub const MODULE_GETKEYS: u64 = 1 << 21;
    /// Module command refused in cluster mode.
    pub const MODULE_NO_CLUSTER: u64 = 1 << 22;
    /// Refused while loading asynchronously (repl-diskless-load swapdb).
    pub const NO_ASYNC_LOADING: u64 = 1 << 23;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u64 = 1 << 24;
    /// The legacy (first, last, step) range does not cover all keys: derived from the key specs.
    pub const MOVABLE_KEYS: u64 = 1 << 25;
    /// Allowed while a script or function is busy.
    pub const ALLOW_BUSY: u64 = 1 << 26;
    /// Module command with its own channel finder.
    pub const MODULE_GETCHANNELS: u64 = 1 << 27;
    /// May touch keys not in its arguments (SCAN, RANDOMKEY): lazy-expire deletions it
    /// causes are propagated, hidden in `COMMAND INFO`.
    pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;
}

/// The command flags `COMMAND INFO` prints, with their names, in the order Redis prints them
/// (`addReplyFlagsForCommand`). Hidden flags (may_replicate, sentinel, only_sentinel,
/// protected, module_getkeys, module_no_cluster, module_getchannels,
/// touches_arbitrary_keys) are deliberately absent, as in Redis.
pub const FLAG_NAMES: &[(u64, &str)] = &[
    (flags::WRITE, "write"),
    (flags::READONLY, "readonly"),
    (flags::DENYOOM, "denyoom"),
    (flags::MODULE, "module"),
    (flags::ADMIN, "admin"),
    (flags::PUBSUB, "pubsub"),
    (flags::NOSCRIPT, "noscript"),
    (flags::BLOCKING, "blocking"),
    (flags::LOADING, "loading"),
    (flags::STALE, "stale"),
    (flags::SKIP_MONITOR, "skip_monitor"),
    (flags::SKIP_SLOWLOG, "skip_slowlog"),
    (flags::ASKING, "asking"),
    (flags::FAST, "fast"),
    (flags::NO_AUTH, "no_auth"),
    (flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (flags::NO_ASYNC_LOADING, "no_async_loading"),
    (flags::NO_MULTI, "no_multi"),
    (flags::MOVABLE_KEYS, "movablekeys"),
    (flags::ALLOW_BUSY, "allow_busy"),
];

/// ACL category bits ([`CommandMeta::acl_categories`]).
///
/// Values are Redis's `ACL_CATEGORY_*` bits so the order of [`ACL_CATEGORY_NAMES`] (and of
/// `COMMAND INFO` / `ACL CAT` output) is simply bit order.
pub mod acl {
    /// `@keyspace`.
    pub const KEYSPACE: u64 = 1 << 0;
    /// `@read` (implicit from the `readonly` flag, except for `@scripting` commands).
    pub const READ: u64 = 1 << 1;
    /// `@write` (implicit from the `write` flag).
    pub const WRITE: u64 = 1 << 2;
    /// `@set`.
    pub const SET: u64 = 1 << 3;
    /// `@sortedset`.
    pub const SORTEDSET: u64 = 1 << 4;
    /// `@list`.
    pub const LIST: u64 = 1 << 5;
    /// `@hash`.
    pub const HASH: u64 = 1 << 6;
    /// `@string`.
    pub const STRING: u64 = 1 << 7;
    /// `@bitmap`.
    pub const BITMAP: u64 = 1 << 8;
    /// `@hyperloglog`.
    pub const HYPERLOGLOG: u64 = 1 << 9;
    /// `@geo`.
    pub const GEO: u64 = 1 << 10;
    /// `@stream`.
    pub const STREAM: u64 = 1 << 11;
    /// `@pubsub` (implicit from the `pubsub` flag).
    pub const PUBSUB: u64 = 1 << 12;
    /// `@admin` (implicit from the `admin` flag).
    pub const ADMIN: u64 = 1 << 13;
    /// `@fast` (implicit from the `fast` flag).
    pub const FAST: u64 = 1 << 14;
    /// `@slow` (implicit for every command that is not `@fast`).
    pub const SLOW: u64 = 1 << 15;
    /// `@blocking` (implicit from the `blocking` flag).
    pub const BLOCKING: u64 = 1 << 16;
    /// `@dangerous` (implicit from the `admin` flag).
    pub const DANGEROUS: u64 = 1 << 17;
    /// `@connection`.
    pub const CONNECTION: u64 = 1 << 18;
    /// `@transaction`.
    pub const TRANSACTION: u64 = 1 << 19;
    /// `@scripting`.
    pub const SCRIPTING: u64 = 1 << 20;

    /// The category bit for a name without the `@` (`"read"`), case-insensitively as Redis's
    /// ACL rule parser (`+@READ` works); `None` for an unknown category.
    pub fn from_name(name: &str) -> Option<u64> {
        super::ACL_CATEGORY_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(bit, _)| *bit)
    }
}

/// ACL categories and their names without the `@`, in Redis's order
/// (`ACLCommandCategories[]`): the order of `COMMAND INFO` categories and of `ACL CAT`.
pub const ACL_CATEGORY_NAMES: &[(u64, &str)] = &[
    (acl::KEYSPACE, "keyspace"),
    (acl::READ, "read"),
    (acl::WRITE, "write"),
    (acl::SET, "set"),
    (acl::SORTEDSET, "sortedset"),
    (acl::LIST, "list"),
    (acl::HASH, "hash"),
    (acl::STRING, "string"),
    (acl::BITMAP, "bitmap"),
    (acl::HYPERLOGLOG, "hyperloglog"),
    (acl::GEO, "geo"),
    (acl::STREAM, "stream"),
    (acl::PUBSUB, "pubsub"),
    (acl::ADMIN, "admin"),
    (acl::FAST, "fast"),
    (acl::SLOW, "slow"),
    (acl::BLOCKING, "blocking"),
    (acl::DANGEROUS, "dangerous"),
    (acl::CONNECTION, "connection"),
    (acl::TRANSACTION, "transaction"),
    (acl::SCRIPTING, "scripting"),
];

/// Key spec flag bits ([`KeySpec::flags`]), Redis's `CMD_KEY_*` values.
///
/// They say how a command uses each key (read, overwrite, delete, ...); ACL key permissions
/// (`%R~`, `%W~`) and `COMMAND GETKEYSANDFLAGS` depend on them.
pub mod key_flags {
    /// Read-only: reads the value but does not modify the key.
    pub const RO: u32 = 1 << 0;
    /// Read-write: modifies the data stored in the value or its metadata.
    pub const RW: u32 = 1 << 1;
    /// Overwrite: overwrites the data stored in the value.
    pub const OW: u32 = 1 << 2;
    /// Removes the key.
    pub const RM: u32 = 1 << 3;
    /// Returns, copies or uses the user data from the value.
    pub const ACCESS: u32 = 1 << 4;
    /// Updates data in the value (new value may depend on the old one).
    pub const UPDATE: u32 = 1 << 5;
    /// Adds data to the value with no chance of modification or deletion.
    pub const INSERT: u32 = 1 << 6;
    /// Explicitly deletes some content from the value.
    pub const DELETE: u32 = 1 << 7;
    /// Not a key but routed like one in cluster mode (shard channels of SPUBLISH etc.).
    pub const NOT_KEY: u32 = 1 << 8;
    /// The spec may miss some keys; a custom finder is needed for a complete answer.
    pub const INCOMPLETE: u32 = 1 << 9;
    /// Some keys' flags depend on other arguments (SET with GET, BITFIELD).
    pub const VARIABLE_FLAGS: u32 = 1 << 10;
}

/// Key spec flags and their names as `COMMAND INFO` / `GETKEYSANDFLAGS` print them, in
/// Redis's order (`addReplyFlagsForKeyArgs`; note the uppercase RO/RW/OW/RM).
pub const KEY_FLAG_NAMES: &[(u32, &str)] = &[
    (key_flags::RO, "RO"),
    (key_flags::RW, "RW"),
    (key_flags::OW, "OW"),
    (key_flags::RM, "RM"),
    (key_flags::ACCESS, "access"),
    (key_flags::UPDATE, "update"),
    (key_flags::INSERT, "insert"),
    (key_flags::DELETE, "delete"),
    (key_flags::NOT_KEY, "not_key"),
    (key_flags::INCOMPLETE, "incomplete"),
    (key_flags::VARIABLE_FLAGS, "variable_flags"),
];

/// Documentation flag bits ([`CommandMeta::doc_flags`]), Redis's `CMD_DOC_*` values.
pub mod doc_flags {
    /// The command is deprecated (see `deprecated_since`, `replaced_by`).
    pub const DEPRECATED: u8 = 1 << 0;
    /// System/internal command, not meant for users (PSYNC, REPLCONF, ...).
    pub const SYSCMD: u8 = 1 << 1;
}

/// Doc flags and their `COMMAND DOCS` names, in Redis's order.
pub const DOC_FLAG_NAMES: &[(u8, &str)] = &[
    (doc_flags::DEPRECATED, "deprecated"),
    (doc_flags::SYSCMD, "syscmd"),
];

/// Argument flag bits ([`Arg::flags`]), Redis's `CMD_ARG_*` values.
pub mod arg_flags {
    /// The argument may be omitted.
    pub const OPTIONAL: u8 = 1 << 0;
    /// The argument may repeat.
    pub const MULTIPLE: u8 = 1 << 1;
    /// When repeated, its token repeats too (`GET p1 GET p2`).
    pub const MULTIPLE_TOKEN: u8 = 1 << 2;
}

/// Argument flags and their `COMMAND DOCS` names, in Redis's order.
pub const ARG_FLAG_NAMES: &[(u8, &str)] = &[
    (arg_flags::OPTIONAL, "optional"),
    (arg_flags::MULTIPLE, "multiple"),
    (arg_flags::MULTIPLE_TOKEN, "multiple_token"),
];

/// Names of the bits set in `bits`, in table order. Shared by all the `*_names` helpers so
/// the order is always the table's (which is Redis's reply order).
fn names_of<T>(bits: T, table: &'static [(T, &'static str)]) -> impl Iterator<Item = &'static str>
where
    T: Copy + std::ops::BitAnd<Output = T> + PartialEq + Default + 'static,
{
    table
        .iter()
        .filter(move |(bit, _)| bits & *bit != T::default())
        .map(|(_, name)| *name)
}

/// Where a command's keys are, in Redis 7 key-spec form: first find where to start
/// ([`BeginSearch`]), then which arguments from there are keys ([`FindKeys`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Free-text explanation Redis attaches to some specs (`COMMAND INFO` "notes").
    pub notes: Option<&'static str>,
    /// [`key_flags`] bits: how the command uses these keys.
    pub flags: u32,
    /// Where the search for keys starts.
    pub begin_search: BeginSearch,
    /// Which arguments, from the start position, are keys.
    pub find_keys: FindKeys,
}

impl KeySpec {
    /// Names of the spec's flags in Redis's order (`COMMAND INFO` key spec "flags").
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> {
        names_of(self.flags, KEY_FLAG_NAMES)
    }
}

/// First step of a key spec: the argument index where the keys start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// Keys start at this fixed argument index (the command name is index 0).
    Index(i32),
    /// Keys start right after `keyword`, searched case-insensitively from argument
    /// `startfrom` forwards, or, if `startfrom` is negative, from `argc + startfrom` backwards.
    Keyword {
        /// The token to look for, e.g. `"STREAMS"`.
        keyword: &'static str,
        /// Where the search starts (negative: from the end, searching backwards).
        startfrom: i32,
    },
    /// Not expressible as a spec; a custom finder is needed (SORT's BY/GET/STORE).
    Unknown,
}

impl BeginSearch {
    /// The spec type as `COMMAND INFO` prints it: "index", "keyword" or "unknown".
    pub const fn type_name(&self) -> &'static str {
        match self {
            BeginSearch::Index(_) => "index",
            BeginSearch::Keyword { .. } => "keyword",
            BeginSearch::Unknown => "unknown",
        }
    }
}

/// Second step of a key spec: which arguments from the start position are keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys from the start to `lastkey` (relative to the start if >= 0; if negative,
    /// relative to the end: -1 is the last argument), every `step` arguments. With a
    /// non-zero `limit` (and lastkey -1) only the first `1/limit` of the remaining
    /// arguments are considered: XREAD's `STREAMS k1 k2 id1 id2` has limit 2.
    Range {
        /// Last key position (see above). `COMMAND INFO` calls it "lastkey".
        lastkey: i32,
        /// Distance between keys (2 for MSET's key/value pairs). "keystep" in `COMMAND INFO`.
        step: i32,
        /// Fraction divisor of the remaining arguments, 0 for none.
        limit: i32,
    },
    /// The number of keys is an argument: at `keynumidx` (relative to the start), the keys
    /// begin at `firstkey` (relative to the start) every `step` arguments (EVAL, ZUNION).
    Keynum {
        /// Index of the key count, relative to the begin-search position.
        keynumidx: i32,
        /// Index of the first key, relative to the begin-search position.
        firstkey: i32,
        /// Distance between keys. "keystep" in `COMMAND INFO`.
        step: i32,
    },
    /// Not expressible as a spec; a custom finder is needed.
    Unknown,
}

impl FindKeys {
    /// The spec type as `COMMAND INFO` prints it: "range", "keynum" or "unknown".
    pub const fn type_name(&self) -> &'static str {
        match self {
            FindKeys::Range { .. } => "range",
            FindKeys::Keynum { .. } => "keynum",
            FindKeys::Unknown => "unknown",
        }
    }
}

/// Type of a command argument, as `COMMAND DOCS` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// Any string.
    String,
    /// An integer.
    Integer,
    /// A floating-point number.
    Double,
    /// A key name ([`Arg::key_spec_index`] says which spec covers it).
    Key,
    /// A glob-style pattern.
    Pattern,
    /// A Unix timestamp.
    UnixTime,
    /// A bare token such as `NX`, with no value.
    PureToken,
    /// Exactly one of the sub-arguments.
    Oneof,
    /// All of the sub-arguments, in order.
    Block,
}

impl ArgType {
    /// The type as `COMMAND DOCS` prints it (`"unix-time"`, `"pure-token"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::Oneof => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// One node of a command's argument tree, for `COMMAND DOCS` (and for clients that build
/// their command syntax from it). Not used for parsing: handlers parse their own arguments.
///
/// The generated data builds these with the `const fn` builder methods below (`Arg::new(..)
/// .optional().token("NX")`) to keep the data files short; the fields are what you read.
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    /// Lowercase argument name (`COMMAND DOCS` "name").
    pub name: &'static str,
    /// Argument type (`COMMAND DOCS` "type").
    pub arg_type: ArgType,
    /// For key arguments, the index of the key spec in [`CommandMeta::key_specs`] that
    /// covers them (`COMMAND DOCS` "key_spec_index").
    pub key_spec_index: Option<usize>,
    /// Uppercase token that introduces the argument (`EX` for `EX seconds`). Can be
    /// `Some("")`: MIGRATE's empty-key placeholder, which Redis 7.0 serves as `""`.
    pub token: Option<&'static str>,
    /// Short description (none of the 7.0 commands has one, but Redis can print it).
    pub summary: Option<&'static str>,
    /// Version that added the argument.
    pub since: Option<&'static str>,
    /// Version that deprecated the argument.
    pub deprecated_since: Option<&'static str>,
    /// [`arg_flags`] bits: optional, multiple, multiple_token.
    pub flags: u8,
    /// Display name used by Redis 7.2+ docs; always `None` in 7.0 data and not part of the
    /// 7.0 `COMMAND DOCS` reply. Kept so a newer data set fits without a type change.
    pub display_text: Option<&'static str>,
    /// Sub-arguments of a `Oneof` or `Block` argument; empty for the other types.
    pub arguments: &'static [Arg],
}

impl Arg {
    /// A required, single argument with nothing else set; start of the builder chain.
    pub const fn new(name: &'static str, arg_type: ArgType) -> Arg {
        Arg {
            name,
            arg_type,
            key_spec_index: None,
            token: None,
            summary: None,
            since: None,
            deprecated_since: None,
            flags: 0,
            display_text: None,
            arguments: &[],
        }
    }
    /// Builder: sets [`Arg::key_spec_index`].
    pub const fn key_spec(mut self, index: usize) -> Arg {
        self.key_spec_index = Some(index);
        self
    }
    /// Builder: sets [`Arg::token`].
    pub const fn token(mut self, token: &'static str) -> Arg {
        self.token = Some(token);
        self
    }
    /// Builder: sets [`Arg::summary`].
    pub const fn summary(mut self, summary: &'static str) -> Arg {
        self.summary = Some(summary);
        self
    }
    /// Builder: sets [`Arg::since`].
    pub const fn since(mut self, since: &'static str) -> Arg {
        self.since = Some(since);
        self
    }
    /// Builder: sets [`Arg::deprecated_since`].
    pub const fn deprecated_since(mut self, version: &'static str) -> Arg {
        self.deprecated_since = Some(version);
        self
    }
    /// Builder: sets [`Arg::display_text`].
    pub const fn display(mut self, text: &'static str) -> Arg {
        self.display_text = Some(text);
        self
    }
    /// Builder: adds [`arg_flags::OPTIONAL`].
    pub const fn optional(mut self) -> Arg {
        self.flags |= arg_flags::OPTIONAL;
        self
    }
    /// Builder: adds [`arg_flags::MULTIPLE`].
    pub const fn multiple(mut self) -> Arg {
        self.flags |= arg_flags::MULTIPLE;
        self
    }
    /// Builder: adds [`arg_flags::MULTIPLE_TOKEN`].
    pub const fn multiple_token(mut self) -> Arg {
        self.flags |= arg_flags::MULTIPLE_TOKEN;
        self
    }
    /// Builder: sets the sub-arguments of a `Oneof`/`Block` argument.
    pub const fn args(mut self, arguments: &'static [Arg]) -> Arg {
        self.arguments = arguments;
        self
    }

    /// Names of the argument's flags in Redis's order (`COMMAND DOCS` argument "flags").
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> {
        names_of(self.flags, ARG_FLAG_NAMES)
    }
}

/// Every top-level command (subcommands are reached through
/// [`CommandMeta::subcommands`]), grouped by [`Group`] in Redis's group order and sorted by
/// name within a group.
///
/// This includes the Sentinel-only SENTINEL command; filter with
/// [`CommandMeta::is_available`] for what a server in a given mode registers
/// (`COMMAND COUNT` is 240 for a non-Sentinel 7.0.15 server).
pub fn all() -> impl Iterator<Item = &'static CommandMeta> {
    TABLES.iter().flat_map(|table| table.iter())
}

/// The top-level command called `name`, compared case-insensitively as Redis does.
/// Subcommands are found with [`CommandMeta::subcommand`] on the result.
pub fn lookup(name: &str) -> Option<&'static CommandMeta> {
    lookup_bytes(name.as_bytes())
}

/// [`lookup`] for a raw argument, which is what arrives off the wire (no UTF-8 check or
/// allocation needed).
pub fn lookup_bytes(name: &[u8]) -> Option<&'static CommandMeta> {
    BY_NAME
        .binary_search_by(|meta| cmp_lowercase(meta.name, name))
        .ok()
        .map(|i| BY_NAME[i])
}

/// Compares a stored lowercase name with an argument, folding the argument's ASCII case.
fn cmp_lowercase(stored: &str, arg: &[u8]) -> Ordering {
    stored
        .bytes()
        .cmp(arg.iter().map(|b| b.to_ascii_lowercase()))
}

impl CommandMeta {
    /// The subcommand called `name` (case-insensitive), e.g. `lookup("config")?.subcommand("GET")`.
    pub fn subcommand(&self, name: &str) -> Option<&'static CommandMeta> {
        self.subcommand_bytes(name.as_bytes())
    }

    /// [`CommandMeta::subcommand`] for a raw argument.
    pub fn subcommand_bytes(&self, name: &[u8]) -> Option<&'static CommandMeta> {
        let subs: &'static [CommandMeta] = self.subcommands;
        subs.binary_search_by(|meta| cmp_lowercase(meta.name, name))
            .ok()
            .map(|i| &subs[i])
    }

    /// True for container commands (CONFIG, CLIENT, ...) whose real work is in subcommands.
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// Whether a server registers this command: Redis drops `only_sentinel` commands unless
    /// in Sentinel mode, and in Sentinel mode everything not marked `sentinel`.
    pub fn is_available(&self, sentinel_mode: bool) -> bool {
        if sentinel_mode {
            self.flags & flags::SENTINEL != 0
        } else {
            self.flags & flags::ONLY_SENTINEL == 0
        }
    }

    /// Whether `argc` arguments (command name, and subcommand name, included) satisfy the
    /// arity; the dispatcher replies "wrong number of arguments" otherwise.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Names of the flags `COMMAND INFO` prints, in its order (hidden flags left out).
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> {
        names_of(self.flags, FLAG_NAMES)
    }

    /// ACL category names without the `@`, in Redis's order; `COMMAND INFO` prints each
    /// prefixed with `@`, `ACL CAT` without.
    pub fn acl_category_names(&self) -> impl Iterator<Item = &'static str> {
        names_of(self.acl_categories, ACL_CATEGORY_NAMES)
    }

    /// Doc flag names (`COMMAND DOCS` "doc_flags"), in Redis's order.
    pub fn doc_flag_names(&self) -> impl Iterator<Item = &'static str> {
        names_of(self.doc_flags, DOC_FLAG_NAMES)
    }

    /// Whether the command has keys at all (Redis's `doesCommandHaveKeys`): a key spec that
    /// is not `NOT_KEY`, or a custom key finder. `COMMAND GETKEYS` refuses commands without.
    pub fn has_keys(&self) -> bool {
        self.custom_getkeys.is_some()
            || self
                .key_specs
                .iter()
                .any(|s| s.flags & key_flags::NOT_KEY == 0)
    }

    /// The legacy `(first_key, last_key, step)` triple `COMMAND INFO` prints, derived from
    /// the key specs exactly as Redis's `populateCommandLegacyRangeSpec` does. `last_key`
    /// is absolute, or negative meaning relative to the end; `(0, 0, 0)` for no keys.
    pub fn legacy_range(&self) -> (i32, i32, i32) {
        legacy_range_and_movable(self.key_specs).0
    }
}

/// Port of Redis's `populateCommandLegacyRangeSpec`: the legacy range as `COMMAND INFO`
/// prints it, and whether the command needs the `movablekeys` flag (the range misses keys).
fn legacy_range_and_movable(specs: &[KeySpec]) -> ((i32, i32, i32), bool) {
    if specs.is_empty() {
        return ((0, 0, 0), false);
    }
    if specs.len() == 1 {
        if let (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) =
            (specs[0].begin_search, specs[0].find_keys)
        {
            let last = if lastkey >= 0 { lastkey + pos } else { lastkey };
            let movable = specs[0].flags & key_flags::INCOMPLETE != 0;
            return ((pos, last, step), movable);
        }
    }
    let mut movable = false;
    let mut firstkey = i32::MAX;
    let mut lastkey: i32 = 0;
    let mut prev_lastkey: i32 = 0;
    for spec in specs {
        let (pos, range_last, step) = match (spec.begin_search, spec.find_keys) {
            (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) => {
                (pos, lastkey, step)
            }
            _ => {
                movable = true;
                continue;
            }
        };
        if step != 1 || (prev_lastkey != 0 && prev_lastkey != pos - 1) {
            movable = true;
            continue;
        }
        if spec.flags & key_flags::INCOMPLETE != 0 {
            movable = true;
        }
        firstkey = firstkey.min(pos);
        let abs = if range_last >= 0 {
            range_last + pos
        } else {
            range_last
        };
        // Redis compares as unsigned so that a negative (relative-to-end) lastkey wins.
        lastkey = (lastkey as u32).max(abs as u32) as i32;
        prev_lastkey = lastkey;
    }
    if firstkey == i32::MAX {
        return ((0, 0, 0), true);
    }
    ((firstkey, lastkey, 1), movable)
}

/// A key found in a command's arguments: its index in argv and the flags of the key spec
/// that found it (for `COMMAND GETKEYSANDFLAGS` and ACL key permissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Index in argv (argv\[0\] is the command name).
    pub pos: usize,
    /// [`key_flags`] bits of the spec (or Redis finder) that produced this key.
    pub flags: u32,
}

/// Why no key list could be computed. The first three are the answers Redis's
/// `COMMAND GETKEYS` gives ([`GetKeysError::message`]); the last asks for a custom finder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetKeysError {
    /// The command takes no keys at all (PING, or only `NOT_KEY` specs like SPUBLISH).
    NoKeyArguments,
    /// argv does not satisfy the command's arity.
    WrongArity,
    /// The arguments do not contain the keys the specs promise (bad numkeys, ...).
    /// Commands flagged `no_mandatory_keys` (EVAL, FCALL, ...) get an empty `Ok` instead.
    InvalidArguments,
    /// The key specs cannot answer for these arguments and Redis would run a C key finder
    /// that is not ported here: `sortGetKeys`, `sortROGetKeys` (SORT and SORT_RO have
    /// `Unknown` specs), `migrateGetKeys` (MIGRATE with KEYS has an `INCOMPLETE` spec), and
    /// `georadiusGetKeys` (unreachable: GEORADIUS's specs always apply). Carries the finder's
    /// name from [`CommandMeta::custom_getkeys`]. Not a client error: the caller must run
    /// Ferrite's equivalent of that finder (or lock everything).
    NeedsCustomFinder(&'static str),
}

impl GetKeysError {
    /// Redis's `COMMAND GETKEYS` error text (after `ERR `), or `None` for
    /// [`GetKeysError::NeedsCustomFinder`], which is not a client-facing error.
    pub const fn message(&self) -> Option<&'static str> {
        match self {
            GetKeysError::NoKeyArguments => Some("The command has no key arguments"),
            GetKeysError::WrongArity => Some("Invalid number of arguments specified for command"),
            GetKeysError::InvalidArguments => Some("Invalid arguments specified for command"),
            GetKeysError::NeedsCustomFinder(_) => None,
        }
    }
}

/// Key positions in `argv` (argv\[0\] is the command name, then for a subcommand its name),
/// with the semantics of Redis's `COMMAND GETKEYS` (`getKeysFromCommandWithSpecs`).
///
/// `meta` is the command actually run: for `XINFO STREAM k`, the `stream` subcommand.
/// `NOT_KEY` specs (shard channels) are skipped. See [`GetKeysError`] for the failures; in
/// particular [`GetKeysError::NeedsCustomFinder`] for SORT, SORT_RO and MIGRATE with KEYS.
/// Allocates the result; the hot path (lock planning) should use [`key_positions`].
pub fn getkeys(meta: &CommandMeta, argv: &[&[u8]]) -> Result<Vec<usize>, GetKeysError> {
    let mut keys = Vec::new();
    key_positions(meta, argv.len(), |i| argv[i], |pos| keys.push(pos))?;
    Ok(keys)
}

/// [`getkeys`] with each key's flags, for `COMMAND GETKEYSANDFLAGS`. Keys found by a key
/// spec carry its flags; keys found by a ported Redis finder carry the flags that finder
/// reports (e.g. `OW update` for SET without GET, none for EVAL's numkeys fallback).
pub fn getkeys_and_flags(meta: &CommandMeta, argv: &[&[u8]]) -> Result<Vec<KeyRef>, GetKeysError> {
    let mut keys = Vec::new();
    for_each_key(meta, argv.len(), |i| argv[i], false, |k| keys.push(k))?;
    Ok(keys)
}

/// Non-allocating [`getkeys`] for the dispatcher: the request has `argc` arguments,
/// `arg(i)` returns argument `i`, and `on_key(pos)` is called for each key position in
/// order. `on_key` is only called when the result is `Ok` (which carries the key count), so
/// a failure never leaves a partial key set behind.
///
/// Ignoring the `Err` is a bug for lock planning: `NeedsCustomFinder` means keys exist that
/// the specs cannot locate (SORT ... STORE dst).
pub fn key_positions<'a>(
    meta: &CommandMeta,
    argc: usize,
    arg: impl Fn(usize) -> &'a [u8],
    mut on_key: impl FnMut(usize),
) -> Result<usize, GetKeysError> {
    for_each_key(meta, argc, arg, false, |k| on_key(k.pos))
}

/// The general, non-allocating key finder behind the other functions: like
/// [`key_positions`] but reports each key's flags, and `include_not_keys` also returns the
/// arguments of `NOT_KEY` specs (the shard channels of SPUBLISH/SSUBSCRIBE/SUNSUBSCRIBE),
/// which cluster routing treats like keys.
///
/// As in Redis, the key specs are used when they apply; otherwise (a spec fails for these
/// arguments, or the specs are marked `VARIABLE_FLAGS`) Redis runs the command's C finder.
/// Those finders are ported here except for the ones named in
/// [`GetKeysError::NeedsCustomFinder`].
pub fn for_each_key<'a>(
    meta: &CommandMeta,
    argc: usize,
    arg: impl Fn(usize) -> &'a [u8],
    include_not_keys: bool,
    mut on_key: impl FnMut(KeyRef),
) -> Result<usize, GetKeysError> {
    let has_spec_keys = meta
        .key_specs
        .iter()
        .any(|s| include_not_keys || s.flags & key_flags::NOT_KEY == 0);
    if !has_spec_keys && meta.custom_getkeys.is_none() {
        return Err(GetKeysError::NoKeyArguments);
    }
    if !meta.arity_ok(argc) {
        return Err(GetKeysError::WrongArity);
    }
    let args = ArgAccess { argc, arg: &arg };
    let no_keys = || {
        if meta.flags & flags::NO_MANDATORY_KEYS != 0 {
            Ok(0)
        } else {
            Err(GetKeysError::InvalidArguments)
        }
    };
    let variable_flags = meta
        .key_specs
        .iter()
        .any(|s| s.flags & key_flags::VARIABLE_FLAGS != 0);
    if has_spec_keys && !variable_flags {
        if let Some(ranges) = spec_ranges(meta.key_specs, &args, include_not_keys) {
            let mut n = 0;
            for r in ranges.iter() {
                let mut pos = r.first;
                while pos <= r.last {
                    on_key(KeyRef {
                        pos,
                        flags: r.flags,
                    });
                    n += 1;
                    pos += r.step;
                }
            }
            return if n == 0 { no_keys() } else { Ok(n) };
        }
    }
    let Some(finder) = meta.custom_getkeys else {
        return no_keys();
    };
    match builtin_finder(finder, &args) {
        None => Err(GetKeysError::NeedsCustomFinder(finder)),
        Some(found) if found.count == 0 => no_keys(),
        Some(found) => {
            for pos in found.first..found.first + found.count {
                on_key(KeyRef {
                    pos,
                    flags: found.flags,
                });
            }
            if let Some(pos) = found.store {
                on_key(KeyRef {
                    pos,
                    flags: found.flags,
                });
            }
            Ok(found.count + found.store.map_or(0, |_| 1))
        }
    }
}

/// The request's arguments as the finders see them.
struct ArgAccess<'f, F> {
    argc: usize,
    arg: &'f F,
}

impl<'a, F: Fn(usize) -> &'a [u8]> ArgAccess<'_, F> {
    fn get(&self, i: usize) -> &'a [u8] {
        (self.arg)(i)
    }
    fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }
}

/// Keys `first..=last` every `step`, all with `flags`: what one key spec yields.
#[derive(Clone, Copy, Default)]
struct KeyRange {
    first: usize,
    last: usize,
    step: usize,
    flags: u32,
}

/// Most key specs a command has (Redis's `STATIC_KEY_SPECS_NUM`; the generator checks it).
const MAX_KEY_SPECS: usize = 4;

/// The ranges of a key-spec search, kept inline so finding keys does not allocate.
struct KeyRanges {
    ranges: [KeyRange; MAX_KEY_SPECS],
    len: usize,
}

impl KeyRanges {
    fn iter(&self) -> impl Iterator<Item = &KeyRange> {
        self.ranges[..self.len].iter()
    }
}

/// Port of Redis's `getKeysUsingKeySpecs` (without `GET_KEYSPEC_RETURN_PARTIAL`): the key
/// range of each spec, or `None` when a spec cannot be applied to these arguments
/// (unknown, incomplete, out of range), in which case Redis falls back to its C finder.
fn spec_ranges<'a, F: Fn(usize) -> &'a [u8]>(
    specs: &[KeySpec],
    args: &ArgAccess<'_, F>,
    include_not_keys: bool,
) -> Option<KeyRanges> {
    let argc = args.argc as i64;
    let mut out = KeyRanges {
        ranges: [KeyRange::default(); MAX_KEY_SPECS],
        len: 0,
    };
    for spec in specs {
        if spec.flags & key_flags::NOT_KEY != 0 && !include_not_keys {
            continue;
        }
        let mut first: i64 = match spec.begin_search {
            BeginSearch::Index(pos) => pos as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let startfrom = startfrom as i64;
                let is_keyword = |&i: &i64| args.is(i as usize, keyword);
                // Redis's loop bounds: forwards up to, not including, the last argument (a
                // keyword there has nothing after it); backwards from argc+startfrom down to
                // index 2; nothing when the start is out of range.
                let found = if startfrom > 0 {
                    (startfrom..argc - 1).find(is_keyword)
                } else {
                    let start = argc + startfrom;
                    if start >= argc {
                        None
                    } else {
                        (2..=start).rev().find(is_keyword)
                    }
                };
                match found {
                    Some(i) => i + 1,
                    None => continue, // keyword absent: this spec contributes no keys
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (last, step) = match spec.find_keys {
            FindKeys::Range {
                lastkey,
                step,
                limit,
            } => {
                let (lastkey, limit) = (lastkey as i64, limit as i64);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (last, step as i64)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                step,
            } => {
                let idx = first + keynumidx as i64;
                if idx < 0 || idx >= argc {
                    return None;
                }
                let numkeys = parse_i64(args.get(idx as usize)).filter(|&n| n >= 0)?;
                first += firstkey as i64;
                (first.checked_add(numkeys)? - 1, step as i64)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || first < 0 || step < 1 {
            return None;
        }
        if spec.flags & key_flags::INCOMPLETE != 0 || out.len == MAX_KEY_SPECS {
            return None;
        }
        out.ranges[out.len] = KeyRange {
            first: first as usize,
            last: last as usize,
            step: step as usize,
            flags: spec.flags,
        };
        out.len += 1;
    }
    Some(out)
}

/// What a ported Redis finder found: `count` consecutive keys from `first`, then the
/// optional destination key `store` (Redis lists it last), all with `flags`.
struct Found {
    first: usize,
    count: usize,
    store: Option<usize>,
    flags: u32,
}

/// Ports of the Redis C key finders (db.c) that are short and fully determined by the
/// arguments; `None` for the ones left to the caller (SORT, SORT_RO, MIGRATE, GEORADIUS).
/// Redis only reaches these when the specs fail (bad numkeys, malformed XREAD) or carry
/// `VARIABLE_FLAGS` (SET, BITFIELD), so their answers matter for exact `COMMAND GETKEYS`
/// output, e.g. EVAL's `atoi`-parsed numkeys.
fn builtin_finder<'a, F: Fn(usize) -> &'a [u8]>(
    finder: &str,
    args: &ArgAccess<'_, F>,
) -> Option<Found> {
    Some(match finder {
        "evalGetKeys" | "functionGetKeys" | "blmpopGetKeys" => generic_get_keys(0, 2, 3, args),
        "zunionInterDiffGetKeys" | "lmpopGetKeys" | "zmpopGetKeys" | "sintercardGetKeys" => {
            generic_get_keys(0, 1, 2, args)
        }
        "zunionInterDiffStoreGetKeys" => generic_get_keys(1, 2, 3, args),
        "xreadGetKeys" => xread_get_keys(args),
        "setGetKeys" => {
            let get = (3..args.argc).any(|i| args.is(i, "get"));
            let flags = if get {
                key_flags::RW | key_flags::ACCESS | key_flags::UPDATE
            } else {
                key_flags::OW | key_flags::UPDATE
            };
            Found {
                first: 1,
                count: 1,
                store: None,
                flags,
            }
        }
        "bitfieldGetKeys" => Found {
            first: 1,
            count: 1,
            store: None,
            flags: bitfield_key_flags(args),
        },
        _ => return None,
    })
}

/// Redis's `genericGetKeys`: `num = atoi(argv[count])` keys from `first`, then the
/// destination key `store` (if non-zero) last, all with no flags; none if `num` is out of
/// range.
fn generic_get_keys<'a, F: Fn(usize) -> &'a [u8]>(
    store: usize,
    count: usize,
    first: usize,
    args: &ArgAccess<'_, F>,
) -> Found {
    let num = if count < args.argc {
        atoi(args.get(count))
    } else {
        0
    };
    let available = args.argc.saturating_sub(first);
    if num < 1 || num as usize > available {
        return Found {
            first,
            count: 0,
            store: None,
            flags: 0,
        };
    }
    Found {
        first,
        count: num as usize,
        store: (store != 0).then_some(store),
        flags: 0,
    }
}

/// Redis's `xreadGetKeys`: skips the options to find STREAMS, then half of the rest.
fn xread_get_keys<'a, F: Fn(usize) -> &'a [u8]>(args: &ArgAccess<'_, F>) -> Found {
    let none = Found {
        first: 0,
        count: 0,
        store: None,
        flags: 0,
    };
    let mut streams_pos = None;
    let mut i = 1;
    while i < args.argc {
        if args.is(i, "block") || args.is(i, "count") {
            i += 1;
        } else if args.is(i, "group") {
            i += 2;
        } else if args.is(i, "noack") {
            // no value
        } else if args.is(i, "streams") {
            streams_pos = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(pos) = streams_pos else {
        return none;
    };
    let rest = args.argc - pos - 1;
    if rest == 0 || rest % 2 == 1 {
        return none;
    }
    Found {
        first: pos + 1,
        count: rest / 2,
        store: None,
        flags: 0,
    }
}

/// Redis's `bitfieldGetKeys` flags: read-only (`RO access`) if only GET/OVERFLOW
/// subcommands appear, else `RW access update`.
fn bitfield_key_flags<'a, F: Fn(usize) -> &'a [u8]>(args: &ArgAccess<'_, F>) -> u32 {
    let mut readonly = true;
    let mut i = 2;
    while i < args.argc {
        let remaining = args.argc - i - 1;
        if args.is(i, "get") && remaining >= 2 {
            i += 2;
        } else if (args.is(i, "set") || args.is(i, "incrby")) && remaining >= 3 {
            readonly = false;
            break;
        } else if args.is(i, "overflow") && remaining >= 1 {
            i += 1;
        } else {
            readonly = false; // syntax error: assume a write, as Redis does
            break;
        }
        i += 1;
    }
    if readonly {
        key_flags::RO | key_flags::ACCESS
    } else {
        key_flags::RW | key_flags::ACCESS | key_flags::UPDATE
    }
}

/// C's `atoi` as glibc implements it, `(int) strtol(s, NULL, 10)`: leading whitespace, an
/// optional sign, digits up to the first non-digit; saturates at the `long` range, then
/// truncates to `int`. Redis's numkeys finders parse with it.
fn atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = (s[i] - b'0') as i64;
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v as i32
}

/// Strict integer parse with Redis's `string2ll` rules (no sign '+', no leading zeros, no
/// spaces), so numkeys is read exactly as Redis reads it.
fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0'] => return if neg { None } else { Some(0) },
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = (d - b'0') as i64;
        v = if neg {
            v.checked_mul(10)?.checked_sub(d)?
        } else {
            v.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(v)
}

#[cfg(test)]
mod tests;
