//! Configuration: every Redis 7.0 parameter (plus Ferrite's `threads`), loaded from
//! redis-server's command line and config files, and served to CONFIG GET / CONFIG SET
//! with Redis's exact formatting, acceptance rules and error texts.
//!
//! Layout: `registry.rs` is the table (names, kinds, defaults, bounds, flags),
//! `parse.rs` the byte-level parsers and glob matcher, `value.rs` per-kind parsing and
//! formatting, `load.rs` the command line and config files. This file holds [`Config`].
//!
//! What the server still has to do itself (Redis does these outside its config code):
//! `chdir` to [`Config::dir`] after loading and after `CONFIG SET dir`; answer an odd
//! number of CONFIG SET arguments with `-ERR syntax error`; redact the values of
//! [`registry::SENSITIVE`] parameters from SLOWLOG/MONITOR; apply changes (re-bind
//! listeners, resize tables ...) for the names [`Config::set`] returns, rolling back to a
//! clone of the old `Config` if applying fails (Redis answers e.g. "Failed to bind to
//! specified addresses." then); feed `user` lines to the ACL module, `loadmodule` lines to
//! the module loader and `sentinel` lines to Sentinel; print [`ConfigError::CantOpen`] as
//! a warning log line (Redis does not use the FATAL block for it); pass
//! [`LoadOptions::command_exists`] so `rename-command` is validated as in Redis.
//!
//! CONFIG GET should use [`Config::get_many`] (all arguments at once: Redis's
//! de-duplication and echo of exact names). Parameters Ferrite really honours are listed in
//! [`registry::EFFECTIVE`]; [`docs_not_yet_effective`] lists the rest for the docs.

mod load;
mod parse;
pub mod registry;
mod value;

#[cfg(test)]
mod tests;

pub use load::{cli_action, CliAction, CommandExists, ConfigError, LoadOptions, REDIS_VERSION};
pub use parse::glob_match;
pub use registry::{Kind, ParamSpec, PARAMS};
pub use value::{notify, ClientClass, ObufLimit};

use registry::{idx, DENY_LOADING, HIDDEN, IMMUTABLE, MULTI_ARG, PROTECTED};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use value::{default_value, format_value, parse_value, split_on_spaces, SetCtx, Value};

/// A config-file directive kept for another module to act on (`user`, `sentinel`), with
/// its position so that module can report errors in Redis's format via
/// [`ConfigError::at_line`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Line number within the text it was read from.
    pub line: usize,
    /// The whole trimmed line, as shown after `>>>` in error reports.
    pub text: String,
    /// The words after the directive name, unquoted.
    pub args: Vec<Vec<u8>>,
}

/// A `rename-command` directive, applied by the command table at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenamedCommand {
    /// Current (lower-case) command name.
    pub from: Vec<u8>,
    /// New name; empty means the command is removed.
    pub to: Vec<u8>,
}

/// A `loadmodule` directive, queued for the module loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadModule {
    /// Path of the shared object.
    pub path: Vec<u8>,
    /// Arguments passed to the module's load function.
    pub args: Vec<Vec<u8>>,
}

/// Who is asking for a CONFIG SET, for the checks that depend on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetContext {
    /// The client is on a loopback or Unix socket connection: `enable-protected-configs
    /// local` lets such clients change protected parameters.
    pub client_is_local: bool,
    /// A data set is being loaded: parameters flagged DENY_LOADING are refused.
    pub loading: bool,
}

/// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`: who may
/// use the dangerous feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectedAction {
    /// Nobody.
    No,
    /// Every client.
    Yes,
    /// Only clients connected over loopback or a Unix socket.
    Local,
}

impl ProtectedAction {
    /// The single rule Redis applies for all three settings (`allowProtectedAction`).
    pub fn allows(self, client_is_local: bool) -> bool {
        self == ProtectedAction::Yes || (self == ProtectedAction::Local && client_is_local)
    }
}

/// `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    /// Approximated LRU among keys with a TTL.
    VolatileLru,
    /// Approximated LFU among keys with a TTL.
    VolatileLfu,
    /// Random key with a TTL.
    VolatileRandom,
    /// Key with the nearest expire time.
    VolatileTtl,
    /// Approximated LRU among all keys.
    AllkeysLru,
    /// Approximated LFU among all keys.
    AllkeysLfu,
    /// Random key.
    AllkeysRandom,
    /// Refuse writes that need memory.
    NoEviction,
}

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendFsync {
    /// fsync once per second in the background.
    EverySec,
    /// fsync before acknowledging each write.
    Always,
    /// Let the OS decide.
    No,
}

/// `loglevel`, least to most severe (so `level >= configured` filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// Much rarely useful detail.
    Verbose,
    /// Moderately verbose: production default.
    Notice,
    /// Only important messages.
    Warning,
}

/// Every parameter's current value, plus the config-file directives other modules
/// consume. Cloning is cheap enough to snapshot before an apply that may fail.
#[derive(Debug, Clone)]
pub struct Config {
    values: Vec<Value>,
    /// Absolute path of the config file given on the command line (INFO's `config_file`,
    /// CONFIG REWRITE's target).
    pub config_file: Option<PathBuf>,
    /// Configuration was read from stdin (`-`); Redis logs "Reading config from stdin".
    pub config_from_stdin: bool,
    /// Running as Sentinel (changes defaults and enables `sentinel` directives).
    pub sentinel_mode: bool,
    /// `rename-command` directives, in order.
    pub renamed_commands: Vec<RenamedCommand>,
    /// `user` directives, in order, for the ACL module.
    pub users: Vec<Directive>,
    /// `loadmodule` directives, in order.
    pub load_modules: Vec<LoadModule>,
    /// `module.option value` lines, last one per name kept, for modules' own configs.
    pub module_configs: Vec<(String, Vec<u8>)>,
    /// `sentinel ...` directives (Sentinel mode only).
    pub sentinel_directives: Vec<Directive>,
}

impl Default for Config {
    /// What redis-server uses with no config file and no options.
    fn default() -> Self {
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok())
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        Config {
            values: PARAMS.iter().map(|s| default_value(s, &cwd)).collect(),
            config_file: None,
            config_from_stdin: false,
            sentinel_mode: false,
            renamed_commands: Vec::new(),
            users: Vec::new(),
            load_modules: Vec::new(),
            module_configs: Vec::new(),
            sentinel_directives: Vec::new(),
        }
    }
}

fn name_index() -> &'static HashMap<&'static str, (usize, bool)> {
    static MAP: OnceLock<HashMap<&'static str, (usize, bool)>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = HashMap::new();
        for (i, s) in PARAMS.iter().enumerate() {
            m.insert(s.name, (i, false));
            if let Some(a) = s.alias {
                m.insert(a, (i, true));
            }
        }
        m
    })
}

/// Finds a parameter or directive by name, case-insensitively: its index in [`PARAMS`]
/// and whether the name used was the alias.
pub(crate) fn lookup(name: &[u8]) -> Option<(usize, bool)> {
    let lower = name.to_ascii_lowercase();
    let s = std::str::from_utf8(&lower).ok()?;
    name_index().get(s).copied()
}

/// The registry entry for a name or alias, for callers that need flags or kinds (e.g.
/// SENSITIVE redaction in CONFIG SET's slowlog entry).
pub fn spec(name: &str) -> Option<&'static ParamSpec> {
    lookup(name.as_bytes()).map(|(i, _)| &PARAMS[i])
}

/// Registry entries Ferrite accepts but does not act on yet, to generate
/// docs/compatibility.md from the same table the server uses.
pub fn docs_not_yet_effective() -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS.iter().filter(|s| !s.effective)
}

fn set_error(name: &[u8], reason: &str) -> String {
    format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
        String::from_utf8_lossy(name),
        reason
    )
}

impl Config {
    // ----- generic access -------------------------------------------------------------

    fn index(name: &str) -> Option<usize> {
        lookup(name.as_bytes()).map(|(i, _)| i)
    }

    /// The value exactly as CONFIG GET would print it, for INFO fields and generic code.
    pub fn value_bytes(&self, name: &str) -> Option<Vec<u8>> {
        let i = Self::index(name)?;
        PARAMS[i]
            .is_runtime()
            .then(|| format_value(&PARAMS[i], &self.values[i]))
    }

    /// A numeric parameter (memory values in bytes, percentages as negative numbers, as
    /// Redis stores them); `None` if `name` is not numeric.
    pub fn try_get_int(&self, name: &str) -> Option<i64> {
        match self.values.get(Self::index(name)?)? {
            Value::Num(v) => Some(*v),
            _ => None,
        }
    }

    /// A numeric parameter by a name fixed in the server's code.
    ///
    /// # Panics
    /// If `name` is not a numeric parameter: a typo in the caller, found by the first
    /// test that runs the code path. Use [`Config::try_get_int`] for names from clients.
    pub fn get_int(&self, name: &str) -> i64 {
        match self.try_get_int(name) {
            Some(v) => v,
            None => panic!("config: {name:?} is not a numeric parameter"),
        }
    }

    /// A yes/no parameter; `None` if `name` is not one.
    pub fn try_get_bool(&self, name: &str) -> Option<bool> {
        match self.values.get(Self::index(name)?)? {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// A yes/no parameter by a name fixed in the server's code.
    ///
    /// # Panics
    /// If `name` is not a yes/no parameter (a caller typo, see [`Config::get_int`]).
    pub fn get_bool(&self, name: &str) -> bool {
        match self.try_get_bool(name) {
            Some(v) => v,
            None => panic!("config: {name:?} is not a yes/no parameter"),
        }
    }

    /// A text parameter's raw bytes (`None` when unset); outer `None` if not text.
    pub fn try_get_bytes(&self, name: &str) -> Option<Option<&[u8]>> {
        match self.values.get(Self::index(name)?)? {
            Value::Text(t) => Some(t.as_ref().map(|t| t.raw.as_slice())),
            Value::Dir(d) => Some(Some(d.as_bytes())),
            _ => None,
        }
    }

    /// A text parameter as a string; unset shows as empty, as CONFIG GET does. Bytes
    /// that are not UTF-8 are replaced, so compare secrets with
    /// [`Config::try_get_bytes`] or [`Config::requirepass`] instead.
    ///
    /// # Panics
    /// If `name` is not a text parameter (a caller typo, see [`Config::get_int`]).
    pub fn get_str(&self, name: &str) -> &str {
        match Self::index(name).and_then(|i| self.values.get(i)) {
            Some(Value::Text(t)) => t.as_ref().map(|t| t.text.as_str()).unwrap_or(""),
            Some(Value::Dir(d)) => d.as_str(),
            _ => panic!("config: {name:?} is not a text parameter"),
        }
    }

    fn enum_spec_and_code(&self, name: &str) -> Option<(&'static registry::EnumSpec, i32)> {
        let i = Self::index(name)?;
        match (&PARAMS[i].kind, self.values.get(i)?) {
            (Kind::Enum(e), Value::Enum(c)) => Some((e, *c)),
            _ => None,
        }
    }

    /// An enumerated parameter's current name, static so callers can `match` on it.
    /// A flag-set parameter (`shutdown-on-sig*`) with several flags on gives "unknown";
    /// use [`Config::get_enum_flags`] for those.
    ///
    /// # Panics
    /// If `name` is not an enumerated parameter (a caller typo, see [`Config::get_int`]).
    pub fn get_enum(&self, name: &str) -> &'static str {
        match self.enum_spec_and_code(name) {
            Some((e, c)) => e
                .names
                .iter()
                .find(|(_, v)| *v == c)
                .map(|(n, _)| *n)
                .unwrap_or("unknown"),
            None => panic!("config: {name:?} is not an enumerated parameter"),
        }
    }

    /// The names of the flags set in a flag-set parameter, in Redis's order (`["default"]`
    /// when none is); for a plain enum, its one name. Empty if `name` is not an enum.
    pub fn get_enum_flags(&self, name: &str) -> Vec<&'static str> {
        let Some((e, c)) = self.enum_spec_and_code(name) else {
            return Vec::new();
        };
        if let Some((n, _)) = e.names.iter().find(|(_, v)| *v == c) {
            return vec![*n];
        }
        e.names
            .iter()
            .filter(|(_, v)| *v != 0 && c & *v == *v)
            .map(|(n, _)| *n)
            .collect()
    }

    /// An enumerated parameter's numeric code (flag sets OR-ed), e.g. for
    /// `shutdown-on-sigterm`; codes are those of the tables in [`registry`].
    pub fn try_get_enum_code(&self, name: &str) -> Option<i32> {
        match self.values.get(Self::index(name)?)? {
            Value::Enum(c) => Some(*c),
            _ => None,
        }
    }

    fn num_at(&self, i: usize) -> i64 {
        match self.values.get(i) {
            Some(Value::Num(v)) => *v,
            _ => 0,
        }
    }

    fn unsigned_at(&self, i: usize) -> u64 {
        u64::try_from(self.num_at(i)).unwrap_or(0)
    }

    pub(crate) fn get_bool_at(&self, i: usize) -> bool {
        matches!(self.values.get(i), Some(Value::Bool(true)))
    }

    fn enum_at(&self, i: usize) -> i32 {
        match self.values.get(i) {
            Some(Value::Enum(c)) => *c,
            _ => 0,
        }
    }

    fn text_at(&self, i: usize) -> Option<&[u8]> {
        match self.values.get(i) {
            Some(Value::Text(t)) => t.as_ref().map(|t| t.raw.as_slice()),
            _ => None,
        }
    }

    fn string_at(&self, i: usize) -> Option<String> {
        match self.values.get(i) {
            Some(Value::Text(Some(t))) => Some(t.text.clone()),
            _ => None,
        }
    }

    pub(crate) fn clamp_hz(&mut self) {
        let hz = self.num_at(idx::HZ).clamp(1, 500);
        self.values[idx::HZ] = Value::Num(hz);
    }

    // ----- hot parameters -------------------------------------------------------------

    /// TCP port to listen on; 0 disables TCP.
    pub fn port(&self) -> u16 {
        u16::try_from(self.num_at(idx::PORT)).unwrap_or(0)
    }

    /// Addresses to listen on (`-` prefix = optional, `*` / `::*` = any); empty = none.
    pub fn bind(&self) -> Vec<String> {
        match &self.values[idx::BIND] {
            Value::Bind(a) => a
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Unix socket path, if Ferrite should listen on one.
    pub fn unixsocket(&self) -> Option<String> {
        self.string_at(idx::UNIXSOCKET)
    }

    /// Permissions for the Unix socket file (0 = leave the umask's).
    pub fn unixsocketperm(&self) -> u32 {
        u32::try_from(self.num_at(idx::UNIXSOCKETPERM)).unwrap_or(0)
    }

    /// Number of logical databases (SELECT range).
    pub fn databases(&self) -> usize {
        usize::try_from(self.num_at(idx::DATABASES)).unwrap_or(16)
    }

    /// Maximum simultaneous clients.
    pub fn maxclients(&self) -> u64 {
        self.unsigned_at(idx::MAXCLIENTS)
    }

    /// Idle seconds before a client is closed (0 = never).
    pub fn timeout(&self) -> u64 {
        self.unsigned_at(idx::TIMEOUT)
    }

    /// TCP keepalive period in seconds (0 = off).
    pub fn tcp_keepalive(&self) -> u64 {
        self.unsigned_at(idx::TCP_KEEPALIVE)
    }

    /// listen(2) backlog.
    pub fn tcp_backlog(&self) -> u32 {
        u32::try_from(self.num_at(idx::TCP_BACKLOG)).unwrap_or(511)
    }

    /// Absolute working directory for RDB/AOF files (Redis `chdir`s here).
    pub fn dir(&self) -> &str {
        match &self.values[idx::DIR] {
            Value::Dir(d) => d.as_str(),
            _ => "",
        }
    }

    /// RDB file name, relative to [`Config::dir`].
    pub fn dbfilename(&self) -> String {
        self.string_at(idx::DBFILENAME).unwrap_or_default()
    }

    /// RDB snapshot points: `(seconds, changes)`; empty = no automatic saving.
    pub fn save_points(&self) -> Vec<(u64, u64)> {
        match &self.values[idx::SAVE] {
            Value::Save(p) => p
                .iter()
                .map(|(s, c)| {
                    (
                        u64::try_from(*s).unwrap_or(0),
                        u64::try_from(*c).unwrap_or(0),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Largest accepted bulk string in a request, in bytes.
    pub fn proto_max_bulk_len(&self) -> u64 {
        self.unsigned_at(idx::PROTO_MAX_BULK_LEN)
    }

    /// Largest query buffer a client may accumulate, in bytes.
    pub fn client_query_buffer_limit(&self) -> u64 {
        self.unsigned_at(idx::CLIENT_QUERY_BUFFER_LIMIT)
    }

    /// Output-buffer limits for one client class.
    pub fn client_output_buffer_limit(&self, class: ClientClass) -> ObufLimit {
        match &self.values[idx::CLIENT_OUTPUT_BUFFER_LIMIT] {
            Value::Obuf(l) => l[class as usize],
            _ => ObufLimit {
                hard_bytes: 0,
                soft_bytes: 0,
                soft_seconds: 0,
            },
        }
    }

    fn protected_action(&self, i: usize) -> ProtectedAction {
        match self.enum_at(i) {
            1 => ProtectedAction::Yes,
            2 => ProtectedAction::Local,
            _ => ProtectedAction::No,
        }
    }

    /// Who may run DEBUG.
    pub fn enable_debug_command(&self) -> ProtectedAction {
        self.protected_action(idx::ENABLE_DEBUG_COMMAND)
    }

    /// Who may run MODULE.
    pub fn enable_module_command(&self) -> ProtectedAction {
        self.protected_action(idx::ENABLE_MODULE_COMMAND)
    }

    /// Who may CONFIG SET protected parameters (`dir`, `dbfilename`).
    pub fn enable_protected_configs(&self) -> ProtectedAction {
        self.protected_action(idx::ENABLE_PROTECTED_CONFIGS)
    }

    /// The default user's password, if any (binary-safe).
    pub fn requirepass(&self) -> Option<&[u8]> {
        self.text_at(idx::REQUIREPASS)
    }

    /// Refuse non-local clients when no password and no bind are configured.
    pub fn protected_mode(&self) -> bool {
        self.get_bool_at(idx::PROTECTED_MODE)
    }

    /// Background task frequency (already clamped to 1..=500, as Redis does).
    pub fn hz(&self) -> u32 {
        u32::try_from(self.num_at(idx::HZ)).unwrap_or(10)
    }

    /// Worker threads; 0 means one per core available to the process.
    pub fn threads(&self) -> usize {
        usize::try_from(self.num_at(idx::THREADS)).unwrap_or(0)
    }

    /// Detach from the terminal at start-up.
    pub fn daemonize(&self) -> bool {
        self.get_bool_at(idx::DAEMONIZE)
    }

    /// Log file path; empty = standard output.
    pub fn logfile(&self) -> String {
        self.string_at(idx::LOGFILE).unwrap_or_default()
    }

    /// Minimum severity written to the log.
    pub fn loglevel(&self) -> LogLevel {
        match self.enum_at(idx::LOGLEVEL) {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            3 => LogLevel::Warning,
            _ => LogLevel::Notice,
        }
    }

    /// PID file path, if one was configured (Redis writes `/var/run/redis.pid` when
    /// daemonized without one; that default is the server's call).
    pub fn pidfile(&self) -> Option<String> {
        self.string_at(idx::PIDFILE)
    }

    /// AOF persistence on.
    pub fn appendonly(&self) -> bool {
        self.get_bool_at(idx::APPENDONLY)
    }

    /// AOF fsync policy.
    pub fn appendfsync(&self) -> AppendFsync {
        match self.enum_at(idx::APPENDFSYNC) {
            1 => AppendFsync::Always,
            2 => AppendFsync::No,
            _ => AppendFsync::EverySec,
        }
    }

    /// Memory limit in bytes (0 = none).
    pub fn maxmemory(&self) -> u64 {
        self.num_at(idx::MAXMEMORY) as u64
    }

    /// What to evict when over `maxmemory`.
    pub fn maxmemory_policy(&self) -> MaxmemoryPolicy {
        MaxmemoryPolicy::from_index(self.enum_at(idx::MAXMEMORY_POLICY) as u8)
    }

    /// Keys sampled per eviction.
    pub fn maxmemory_samples(&self) -> u32 {
        u32::try_from(self.num_at(idx::MAXMEMORY_SAMPLES)).unwrap_or(5)
    }
}

impl MaxmemoryPolicy {
    /// The policy with this index in the `maxmemory-policy` enum (its
    /// declaration order), as stored in the server's hot settings.
    pub fn from_index(i: u8) -> MaxmemoryPolicy {
        match i {
            0 => MaxmemoryPolicy::VolatileLru,
            1 => MaxmemoryPolicy::VolatileLfu,
            2 => MaxmemoryPolicy::VolatileRandom,
            3 => MaxmemoryPolicy::VolatileTtl,
            4 => MaxmemoryPolicy::AllkeysLru,
            5 => MaxmemoryPolicy::AllkeysLfu,
            6 => MaxmemoryPolicy::AllkeysRandom,
            _ => MaxmemoryPolicy::NoEviction,
        }
    }
}

impl Config {
    /// Free evicted values in the background.
    pub fn lazyfree_lazy_eviction(&self) -> bool {
        self.get_bool_at(idx::LAZYFREE_LAZY_EVICTION)
    }

    /// Free expired values in the background.
    pub fn lazyfree_lazy_expire(&self) -> bool {
        self.get_bool_at(idx::LAZYFREE_LAZY_EXPIRE)
    }

    /// Free values deleted implicitly (RENAME over, SET over ...) in the background.
    pub fn lazyfree_lazy_server_del(&self) -> bool {
        self.get_bool_at(idx::LAZYFREE_LAZY_SERVER_DEL)
    }

    /// Make DEL behave like UNLINK.
    pub fn lazyfree_lazy_user_del(&self) -> bool {
        self.get_bool_at(idx::LAZYFREE_LAZY_USER_DEL)
    }

    /// Make FLUSHALL/FLUSHDB without a mode behave like ASYNC.
    pub fn lazyfree_lazy_user_flush(&self) -> bool {
        self.get_bool_at(idx::LAZYFREE_LAZY_USER_FLUSH)
    }

    /// Flush a replica's old data set in the background on full sync.
    pub fn replica_lazy_flush(&self) -> bool {
        self.get_bool_at(idx::REPLICA_LAZY_FLUSH)
    }

    /// Active expiry effort, 1..=10.
    pub fn active_expire_effort(&self) -> u32 {
        u32::try_from(self.num_at(idx::ACTIVE_EXPIRE_EFFORT)).unwrap_or(1)
    }

    /// List node size: positive = max entries, -1..-5 = max 4/8/16/32/64 KiB.
    pub fn list_max_listpack_size(&self) -> i64 {
        self.num_at(idx::LIST_MAX_LISTPACK_SIZE)
    }

    /// List nodes left uncompressed at each end (0 = no compression).
    pub fn list_compress_depth(&self) -> u64 {
        self.unsigned_at(idx::LIST_COMPRESS_DEPTH)
    }

    /// Hash stays a listpack up to this many fields.
    pub fn hash_max_listpack_entries(&self) -> u64 {
        self.unsigned_at(idx::HASH_MAX_LISTPACK_ENTRIES)
    }

    /// Hash stays a listpack while every field and value is at most this many bytes.
    pub fn hash_max_listpack_value(&self) -> u64 {
        self.unsigned_at(idx::HASH_MAX_LISTPACK_VALUE)
    }

    /// Integer-only set stays an intset up to this many members.
    pub fn set_max_intset_entries(&self) -> u64 {
        self.unsigned_at(idx::SET_MAX_INTSET_ENTRIES)
    }

    /// Sorted set stays a listpack up to this many members.
    pub fn zset_max_listpack_entries(&self) -> u64 {
        self.unsigned_at(idx::ZSET_MAX_LISTPACK_ENTRIES)
    }

    /// Sorted set stays a listpack while every member is at most this many bytes.
    pub fn zset_max_listpack_value(&self) -> u64 {
        self.unsigned_at(idx::ZSET_MAX_LISTPACK_VALUE)
    }

    /// Stream node size limit in bytes (0 = none).
    pub fn stream_node_max_bytes(&self) -> u64 {
        self.unsigned_at(idx::STREAM_NODE_MAX_BYTES)
    }

    /// Stream node entry limit (0 = none).
    pub fn stream_node_max_entries(&self) -> u64 {
        self.unsigned_at(idx::STREAM_NODE_MAX_ENTRIES)
    }

    /// Keyspace-notification classes, as [`notify`] bits.
    pub fn notify_keyspace_events(&self) -> u32 {
        match self.values[idx::NOTIFY_KEYSPACE_EVENTS] {
            Value::Notify(f) => f,
            _ => 0,
        }
    }

    /// Master to replicate from at start-up, if any.
    pub fn replicaof(&self) -> Option<(String, u16)> {
        match &self.values[idx::REPLICAOF] {
            Value::ReplicaOf(Some((h, p))) => Some((
                String::from_utf8_lossy(h).into_owned(),
                u16::try_from(*p).unwrap_or(0),
            )),
            _ => None,
        }
    }

    /// Cluster mode on.
    pub fn cluster_enabled(&self) -> bool {
        self.get_bool_at(idx::CLUSTER_ENABLED)
    }

    // ----- CONFIG GET / SET ------------------------------------------------------------

    /// CONFIG GET with one pattern, as text (see [`Config::get_many`] for the exact,
    /// binary-safe, multi-pattern form the command should use).
    pub fn get(&self, pattern: &[u8]) -> Vec<(String, String)> {
        self.get_many(&[pattern])
            .into_iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(&n).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect()
    }

    /// CONFIG GET exactly as Redis 7.0 answers it: an argument without `*?[` is an exact,
    /// case-insensitive name (echoed as typed, hidden parameters included); otherwise a
    /// case-insensitive glob over every name and alias except hidden ones. A parameter
    /// is listed once per name however many arguments match it.
    pub fn get_many(&self, patterns: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for pat in patterns {
            if !pat.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                let key = pat.to_ascii_lowercase();
                if seen.contains(&key) {
                    continue;
                }
                if let Some((i, _)) = lookup(pat).filter(|(i, _)| PARAMS[*i].is_runtime()) {
                    out.push((pat.to_vec(), format_value(&PARAMS[i], &self.values[i])));
                    seen.insert(key);
                }
                continue;
            }
            for (i, spec) in PARAMS.iter().enumerate() {
                if !spec.is_runtime() || spec.has(HIDDEN) {
                    continue;
                }
                for name in std::iter::once(spec.name).chain(spec.alias) {
                    if !seen.contains(name.as_bytes()) && glob_match(pat, name.as_bytes(), true) {
                        out.push((
                            name.as_bytes().to_vec(),
                            format_value(spec, &self.values[i]),
                        ));
                        seen.insert(name.as_bytes().to_vec());
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET from a client that is not local and while nothing is loading; see
    /// [`Config::set_with`].
    pub fn set(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<&'static str>, String> {
        self.set_with(pairs, SetContext::default())
    }

    /// CONFIG SET with several parameters, all or nothing. Returns the canonical names
    /// whose value changed (for the server to apply). The error is Redis's reply without
    /// the leading `-` (e.g. "ERR Unknown option or number of arguments for CONFIG SET -
    /// 'foo'"). Like Redis, every name is checked (unknown, immutable, protected,
    /// loading, duplicate) before any value is parsed, and a name and its alias do not
    /// count as duplicates (the later one wins).
    pub fn set_with(
        &mut self,
        pairs: &[(Vec<u8>, Vec<u8>)],
        ctx: SetContext,
    ) -> Result<Vec<&'static str>, String> {
        let mut chosen: Vec<(usize, bool)> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let Some((i, alias)) = lookup(name).filter(|(i, _)| PARAMS[*i].is_runtime()) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    String::from_utf8_lossy(name)
                ));
            };
            let spec = &PARAMS[i];
            if spec.has(IMMUTABLE) {
                return Err(set_error(name, "can't set immutable config"));
            }
            if spec.has(PROTECTED) && !self.enable_protected_configs().allows(ctx.client_is_local) {
                return Err(set_error(name, "can't set protected config"));
            }
            if ctx.loading && spec.has(DENY_LOADING) {
                return Err("LOADING Redis is loading the dataset in memory".into());
            }
            if chosen.contains(&(i, alias)) {
                return Err(set_error(name, "duplicate parameter"));
            }
            chosen.push((i, alias));
        }
        let mut working = self.values.clone();
        for (&(i, alias), (_, raw)) in chosen.iter().zip(pairs) {
            let spec = &PARAMS[i];
            let args = if spec.has(MULTI_ARG) {
                split_on_spaces(raw)
            } else {
                vec![raw.clone()]
            };
            let mut sctx = SetCtx {
                reading_file: false,
                save_loaded: false,
                cluster_enabled: matches!(working[idx::CLUSTER_ENABLED], Value::Bool(true)),
                unixsocket_set: matches!(working[idx::UNIXSOCKET], Value::Text(Some(_))),
            };
            let shown = if alias {
                spec.alias.unwrap_or(spec.name)
            } else {
                spec.name
            };
            working[i] = parse_value(spec, &args, &working[i], &mut sctx)
                .map_err(|r| set_error(shown.as_bytes(), &r))?;
        }
        let old = std::mem::replace(&mut self.values, working);
        self.clamp_hz();
        let mut changed = Vec::new();
        for &(i, _) in &chosen {
            let name = PARAMS[i].name;
            let volatile = PARAMS[i].has(registry::VOLATILE);
            if (old[i] != self.values[i] || volatile) && !changed.contains(&name) {
                changed.push(name);
            }
        }
        Ok(changed)
    }
}
