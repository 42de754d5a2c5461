//! The table of every configuration parameter Redis 7.0 knows, plus Ferrite's own.
//!
//! This file is data: names, aliases, kinds, defaults, bounds and flags, taken from
//! Redis 7.0.15's `config.c` (the TLS entries included, since the Debian build the test
//! suite runs against has TLS). Everything that *does* something with an entry lives in
//! `value.rs` (parsing and formatting) and `mod.rs` (the `Config` store, CONFIG GET/SET).
//!
//! To mark a parameter as honoured by Ferrite, add its canonical name to [`EFFECTIVE`]:
//! the `effective` field of every entry is derived from that list at compile time, and a
//! name that is not in the table fails the build.

/// Parameter names Ferrite really honours. Kept as one list (rather than a field edited in
/// 200 places) so the compatibility page and reviews see the whole picture in one diff.
pub const EFFECTIVE: &[&str] = &[
    "always-show-logo",
    "bind",
    "client-output-buffer-limit",
    "client-query-buffer-limit",
    "daemonize",
    "databases",
    "dbfilename",
    "dir",
    "enable-debug-command",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hz",
    "lazyfree-lazy-user-flush",
    "lfu-decay-time",
    "lua-enable-deprecated-api",
    "lfu-log-factor",
    "list-max-listpack-size",
    "logfile",
    "loglevel",
    "maxclients",
    "maxmemory",
    "maxmemory-eviction-tenacity",
    "maxmemory-policy",
    "maxmemory-samples",
    "min-replicas-max-lag",
    "min-replicas-to-write",
    "notify-keyspace-events",
    "pidfile",
    "port",
    "protected-mode",
    "proto-max-bulk-len",
    "rdbchecksum",
    "rdbcompression",
    "requirepass",
    "save",
    "set-max-intset-entries",
    "tcp-backlog",
    "tcp-keepalive",
    "threads",
    "tracking-table-max-keys",
    "timeout",
    "unixsocket",
    "unixsocketperm",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
];

/// Cannot be changed by CONFIG SET: the value is only read at start-up.
pub const IMMUTABLE: u16 = 1 << 0;
/// The value is a secret: callers redact it from SLOWLOG, MONITOR and the like.
pub const SENSITIVE: u16 = 1 << 1;
/// Useful for debugging (Redis's DEBUG_CONFIG); informational only.
pub const DEBUG: u16 = 1 << 2;
/// Takes several words (`save 3600 1 300 100`), and a single quoted argument is re-split.
pub const MULTI_ARG: u16 = 1 << 3;
/// Only returned by CONFIG GET when asked for by its exact name, never by a pattern.
pub const HIDDEN: u16 = 1 << 4;
/// CONFIG SET refuses it unless `enable-protected-configs` allows the client.
pub const PROTECTED: u16 = 1 << 5;
/// CONFIG SET refuses it with -LOADING while a data set is being loaded.
pub const DENY_LOADING: u16 = 1 << 6;
/// The value points at something outside the config (a file) that may change under it,
/// so setting the same value again still counts as a change.
pub const VOLATILE: u16 = 1 << 7;
/// A config-file directive that is not a CONFIG GET/SET parameter (`include`, `user`, ...).
pub const DIRECTIVE_ONLY: u16 = 1 << 8;
/// A removed Redis directive still accepted (and ignored) in config files for old setups.
pub const DEPRECATED: u16 = 1 << 9;
/// Ferrite's own parameter: Redis has no such name.
pub const FERRITE_ONLY: u16 = 1 << 10;

/// How a parameter's text becomes a value; drives parsing, bounds and CONFIG GET output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `yes` / `no`.
    Bool {
        /// Value with no config at all.
        default: bool,
    },
    /// A number, in one of several notations (see [`NumFormat`]).
    Number(NumSpec),
    /// One name out of a fixed list, or (for multi-arg enums) a set of flag names.
    Enum(EnumSpec),
    /// Free text.
    Text(TextSpec),
    /// Anything with its own syntax (`save`, `bind`, `client-output-buffer-limit`, ...).
    Special(Special),
}

/// The notation a numeric parameter accepts, which also fixes its CONFIG GET rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFormat {
    /// A plain decimal integer (Redis's strict `string2ll`).
    Integer,
    /// Bytes with an optional unit: `1gb`, `100mb`, `1k` (1000), `1kb` (1024).
    Memory,
    /// Either a memory value or `N%` (stored as `-N`).
    MemoryOrPercent,
    /// An octal number (file permissions).
    Octal,
}

/// Bounds and default of a numeric parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumSpec {
    /// Accepted notation.
    pub format: NumFormat,
    /// Smallest accepted value (i128 so `ULLONG_MAX` style bounds fit).
    pub min: i128,
    /// Largest accepted value.
    pub max: i128,
    /// Value with no config at all.
    pub default: i64,
    /// Redis checks the bounds of its unsigned C types after reinterpreting the value as
    /// unsigned, which changes which error a negative number gets; this keeps that.
    pub unsigned: bool,
}

/// The names (and their numeric codes) of an enumerated parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnumSpec {
    /// `(name, code)` in Redis's order, which is the order error messages list them and
    /// the order flag names are printed in; two names may share a code (the first wins
    /// when printing).
    pub names: &'static [(&'static str, i32)],
    /// Code of the default value.
    pub default: i32,
    /// Several names may be given and are OR-ed (`shutdown-on-sigint save now`).
    pub bitflags: bool,
}

/// Default and storage rules of a text parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSpec {
    /// Value with no config at all; `None` is "unset" (shown as an empty string).
    pub default: Option<&'static str>,
    /// Setting `""` stores "unset" rather than an empty string; the server tests
    /// "is it set" on these (`unixsocket`, `requirepass`, ...).
    pub empty_is_null: bool,
    /// Binary-safe (Redis `sds`); otherwise the value stops at the first NUL byte, as a
    /// C string does in Redis.
    pub binary: bool,
}

/// Parameters with their own syntax and storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// Working directory: `dir`.
    Dir,
    /// RDB snapshot points: `save <seconds> <changes> ...`.
    Save,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events <flag characters>`.
    NotifyKeyspaceEvents,
    /// `bind <addr> ...`.
    Bind,
    /// `replicaof <host> <port>` / `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> ...`.
    LatencyTrackingInfoPercentiles,
    /// `include <path or glob>`.
    Include,
    /// `rename-command <name> <new name or "">`.
    RenameCommand,
    /// `user <name> <ACL rules...>`.
    User,
    /// `loadmodule <path> <args...>`.
    LoadModule,
    /// `sentinel ...` (Sentinel mode only).
    Sentinel,
    /// A deprecated directive, accepted with exactly one argument and ignored.
    Ignored,
}

/// Extra validation some parameters have on top of their kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing beyond the kind.
    None,
    /// `activedefrag yes` needs a defrag-capable allocator, which Ferrite lacks (as does
    /// the Debian build of Redis); refused with Redis's message.
    ActiveDefrag,
    /// Must be a bare file name.
    DbFilename,
    /// Must be a non-empty bare file name.
    AofFilename,
    /// Must be a non-empty bare directory name.
    AofDirname,
    /// `save` and `nosave` cannot be combined.
    ShutdownFlags,
    /// Letters, digits, `-` and `.`, shorter than 256 bytes.
    Hostname,
    /// A template using only known `{variables}` that does not expand to nothing.
    ProcTitleTemplate,
}

/// One parameter: the single source of truth for its name, syntax, default and rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Canonical name, as CONFIG GET prints it.
    pub name: &'static str,
    /// Old name still accepted everywhere and listed by CONFIG GET patterns.
    pub alias: Option<&'static str>,
    /// Syntax and storage.
    pub kind: Kind,
    /// Bit set of the flag constants in this module.
    pub flags: u16,
    /// Extra validation.
    pub check: Check,
    /// Whether Ferrite acts on the value (see [`EFFECTIVE`]); the others are accepted and
    /// reported but change nothing yet.
    pub effective: bool,
}

impl ParamSpec {
    /// Lets callers test a flag without bit twiddling at every use.
    pub const fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// Whether CONFIG GET/SET can see it at all (config-file-only directives cannot).
    pub const fn is_runtime(&self) -> bool {
        !self.has(DIRECTIVE_ONLY) && !self.has(DEPRECATED)
    }

    const fn with_check(mut self, check: Check) -> Self {
        self.check = check;
        self
    }
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const LLONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;
const SSIZE_MAX: i128 = i64::MAX as i128;
const MB: i64 = 1024 * 1024;

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn is_effective(name: &str) -> bool {
    let mut i = 0;
    while i < EFFECTIVE.len() {
        if str_eq(EFFECTIVE[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

const fn spec(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    kind: Kind,
) -> ParamSpec {
    ParamSpec {
        name,
        alias,
        kind,
        flags,
        check: Check::None,
        effective: is_effective(name),
    }
}

const fn boolean(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    default: bool,
) -> ParamSpec {
    spec(name, alias, flags, Kind::Bool { default })
}

#[allow(clippy::too_many_arguments)]
const fn num(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    format: NumFormat,
    unsigned: bool,
    min: i128,
    max: i128,
    default: i64,
) -> ParamSpec {
    spec(
        name,
        alias,
        flags,
        Kind::Number(NumSpec {
            format,
            min,
            max,
            default,
            unsigned,
        }),
    )
}

/// A signed C integer type (int, long, long long, ssize_t, time_t, off_t).
const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    min: i128,
    max: i128,
    default: i64,
) -> ParamSpec {
    num(
        name,
        alias,
        flags,
        NumFormat::Integer,
        false,
        min,
        max,
        default,
    )
}

/// An unsigned C integer type (unsigned int, size_t, unsigned long long).
const fn uint(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    min: i128,
    max: i128,
    default: i64,
) -> ParamSpec {
    num(
        name,
        alias,
        flags,
        NumFormat::Integer,
        true,
        min,
        max,
        default,
    )
}

const fn mem(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    min: i128,
    max: i128,
    default: i64,
) -> ParamSpec {
    num(
        name,
        alias,
        flags,
        NumFormat::Memory,
        false,
        min,
        max,
        default,
    )
}

const fn umem(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    min: i128,
    max: i128,
    default: i64,
) -> ParamSpec {
    num(
        name,
        alias,
        flags,
        NumFormat::Memory,
        true,
        min,
        max,
        default,
    )
}

const fn text(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    empty_is_null: bool,
    default: Option<&'static str>,
) -> ParamSpec {
    spec(
        name,
        alias,
        flags,
        Kind::Text(TextSpec {
            default,
            empty_is_null,
            binary: false,
        }),
    )
}

const fn sds(name: &'static str, flags: u16, default: Option<&'static str>) -> ParamSpec {
    spec(
        name,
        None,
        flags,
        Kind::Text(TextSpec {
            default,
            empty_is_null: true,
            binary: true,
        }),
    )
}

const fn enumeration(
    name: &'static str,
    flags: u16,
    names: &'static [(&'static str, i32)],
    default: i32,
) -> ParamSpec {
    spec(
        name,
        None,
        flags,
        Kind::Enum(EnumSpec {
            names,
            default,
            bitflags: flags & MULTI_ARG != 0,
        }),
    )
}

const fn special(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    which: Special,
) -> ParamSpec {
    spec(name, alias, flags, Kind::Special(which))
}

const NULL_STR: bool = true; // EMPTY_STRING_IS_NULL
const EMPTY_OK: bool = false; // ALLOW_EMPTY_STRING

/// `maxmemory-policy` names.
pub const MAXMEMORY_POLICY: &[(&str, i32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
/// `syslog-facility` names.
pub const SYSLOG_FACILITY: &[(&str, i32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
/// `loglevel` names, least to most severe.
pub const LOGLEVEL: &[(&str, i32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
/// `supervised` names.
pub const SUPERVISED: &[(&str, i32)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
/// `appendfsync` names.
pub const APPENDFSYNC: &[(&str, i32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
/// `shutdown-on-sigint` / `shutdown-on-sigterm` flag names (bit values as Redis's).
pub const SHUTDOWN_ON_SIG: &[(&str, i32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
/// `repl-diskless-load` names.
pub const REPL_DISKLESS_LOAD: &[(&str, i32)] =
    &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
/// `tls-auth-clients` names.
pub const TLS_AUTH_CLIENTS: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
/// `oom-score-adj` names; `yes` and `relative` are the same setting (printed `yes`).
pub const OOM_SCORE_ADJ: &[(&str, i32)] =
    &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
/// `acl-pubsub-default` names.
pub const ACL_PUBSUB_DEFAULT: &[(&str, i32)] = &[("allchannels", 8), ("resetchannels", 0)];
/// `sanitize-dump-payload` names.
pub const SANITIZE_DUMP_PAYLOAD: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// `enable-protected-configs` / `enable-debug-command` / `enable-module-command` names.
pub const PROTECTED_ACTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
/// `cluster-preferred-endpoint-type` names.
pub const CLUSTER_ENDPOINT_TYPE: &[(&str, i32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
/// `propagation-error-behavior` names.
pub const PROPAGATION_ERROR_BEHAVIOR: &[(&str, i32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

const M: u16 = 0; // MODIFIABLE_CONFIG
const I: u16 = IMMUTABLE;

/// Every parameter and config-file directive, in Redis's table order (then the TLS ones,
/// the special ones, the config-file-only directives and Ferrite's own).
#[rustfmt::skip]
pub const PARAMS: &[ParamSpec] = &[
    // Bool configs
    boolean("rdbchecksum", None, I, true),
    boolean("daemonize", None, I, false),
    boolean("io-threads-do-reads", None, DEBUG | I, false),
    boolean("always-show-logo", None, I, false),
    boolean("protected-mode", None, M, true),
    boolean("rdbcompression", None, M, true),
    boolean("rdb-del-sync-files", None, M, false),
    boolean("activerehashing", None, M, true),
    boolean("stop-writes-on-bgsave-error", None, M, true),
    boolean("set-proc-title", None, I, true),
    boolean("dynamic-hz", None, M, true),
    boolean("lazyfree-lazy-eviction", None, DEBUG, false),
    boolean("lazyfree-lazy-expire", None, DEBUG, false),
    boolean("lazyfree-lazy-server-del", None, DEBUG, false),
    boolean("lazyfree-lazy-user-del", None, DEBUG, false),
    boolean("lazyfree-lazy-user-flush", None, DEBUG, false),
    boolean("repl-disable-tcp-nodelay", None, M, false),
    boolean("repl-diskless-sync", None, DEBUG, true),
    boolean("aof-rewrite-incremental-fsync", None, M, true),
    boolean("no-appendfsync-on-rewrite", None, M, false),
    boolean("cluster-require-full-coverage", None, M, true),
    boolean("rdb-save-incremental-fsync", None, M, true),
    boolean("aof-load-truncated", None, M, true),
    boolean("aof-use-rdb-preamble", None, M, true),
    boolean("aof-timestamp-enabled", None, M, false),
    boolean("cluster-replica-no-failover", Some("cluster-slave-no-failover"), M, false),
    boolean("replica-lazy-flush", Some("slave-lazy-flush"), M, false),
    boolean("replica-serve-stale-data", Some("slave-serve-stale-data"), M, true),
    boolean("replica-read-only", Some("slave-read-only"), DEBUG, true),
    boolean("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), M, true),
    boolean("jemalloc-bg-thread", None, M, true),
    boolean("lua-enable-deprecated-api", None, IMMUTABLE | HIDDEN, false),
    boolean("activedefrag", None, DEBUG, false).with_check(Check::ActiveDefrag),
    boolean("syslog-enabled", None, I, false),
    boolean("cluster-enabled", None, I, false),
    boolean("appendonly", None, DENY_LOADING, false),
    boolean("cluster-allow-reads-when-down", None, M, false),
    boolean("cluster-allow-pubsubshard-when-down", None, M, true),
    boolean("crash-log-enabled", None, M, true),
    boolean("crash-memcheck-enabled", None, M, true),
    boolean("use-exit-on-panic", None, HIDDEN, false),
    boolean("disable-thp", None, I, true),
    boolean("cluster-allow-replica-migration", None, M, true),
    boolean("replica-announced", None, M, true),
    boolean("latency-tracking", None, M, true),
    boolean("aof-disable-auto-gc", None, M, false),
    boolean("replica-ignore-disk-write-errors", None, M, false),
    // String configs
    text("aclfile", None, I, EMPTY_OK, Some("")),
    text("unixsocket", None, I, NULL_STR, None),
    text("pidfile", None, I, NULL_STR, None),
    text("replica-announce-ip", Some("slave-announce-ip"), M, NULL_STR, None),
    text("masteruser", None, SENSITIVE, NULL_STR, None),
    text("cluster-announce-ip", None, M, NULL_STR, None),
    text("cluster-config-file", None, I, EMPTY_OK, Some("nodes.conf")),
    text("cluster-announce-hostname", None, M, NULL_STR, None).with_check(Check::Hostname),
    text("syslog-ident", None, I, EMPTY_OK, Some("redis")),
    text("dbfilename", None, PROTECTED, EMPTY_OK, Some("dump.rdb")).with_check(Check::DbFilename),
    text("appendfilename", None, I, EMPTY_OK, Some("appendonly.aof")).with_check(Check::AofFilename),
    text("appenddirname", None, I, EMPTY_OK, Some("appendonlydir")).with_check(Check::AofDirname),
    text("server_cpulist", None, I, NULL_STR, None),
    text("bio_cpulist", None, I, NULL_STR, None),
    text("aof_rewrite_cpulist", None, I, NULL_STR, None),
    text("bgsave_cpulist", None, I, NULL_STR, None),
    text("ignore-warnings", None, M, EMPTY_OK, Some("")),
    text("proc-title-template", None, M, EMPTY_OK, Some("{title} {listen-addr} {server-mode}")).with_check(Check::ProcTitleTemplate),
    text("bind-source-addr", None, M, NULL_STR, None),
    text("logfile", None, I, EMPTY_OK, Some("")),
    // SDS configs
    sds("masterauth", SENSITIVE, None),
    sds("requirepass", SENSITIVE, None),
    // Enum configs
    enumeration("supervised", I, SUPERVISED, 0),
    enumeration("syslog-facility", I, SYSLOG_FACILITY, 1),
    enumeration("repl-diskless-load", DEBUG | DENY_LOADING, REPL_DISKLESS_LOAD, 0),
    enumeration("loglevel", M, LOGLEVEL, 2),
    enumeration("maxmemory-policy", M, MAXMEMORY_POLICY, 7),
    enumeration("appendfsync", M, APPENDFSYNC, 0),
    enumeration("oom-score-adj", M, OOM_SCORE_ADJ, 0),
    enumeration("acl-pubsub-default", M, ACL_PUBSUB_DEFAULT, 0),
    enumeration("sanitize-dump-payload", DEBUG, SANITIZE_DUMP_PAYLOAD, 0),
    enumeration("enable-protected-configs", I, PROTECTED_ACTION, 0),
    enumeration("enable-debug-command", I, PROTECTED_ACTION, 0),
    enumeration("enable-module-command", I, PROTECTED_ACTION, 0),
    enumeration("cluster-preferred-endpoint-type", M, CLUSTER_ENDPOINT_TYPE, 0),
    enumeration("propagation-error-behavior", M, PROPAGATION_ERROR_BEHAVIOR, 0),
    enumeration("shutdown-on-sigint", MULTI_ARG, SHUTDOWN_ON_SIG, 0).with_check(Check::ShutdownFlags),
    enumeration("shutdown-on-sigterm", MULTI_ARG, SHUTDOWN_ON_SIG, 0).with_check(Check::ShutdownFlags),
    // Integer configs (C int)
    int("databases", None, I, 1, INT_MAX, 16),
    int("port", None, M, 0, 65535, 6379),
    int("io-threads", None, DEBUG | I, 1, 128, 1),
    int("auto-aof-rewrite-percentage", None, M, 0, INT_MAX, 100),
    int("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), M, 0, INT_MAX, 10),
    int("list-max-listpack-size", Some("list-max-ziplist-size"), M, INT_MIN, INT_MAX, -2),
    int("tcp-keepalive", None, M, 0, INT_MAX, 300),
    int("cluster-migration-barrier", None, M, 0, INT_MAX, 1),
    int("active-defrag-cycle-min", None, M, 1, 99, 1),
    int("active-defrag-cycle-max", None, M, 1, 99, 25),
    int("active-defrag-threshold-lower", None, M, 0, 1000, 10),
    int("active-defrag-threshold-upper", None, M, 0, 1000, 100),
    int("lfu-log-factor", None, M, 0, INT_MAX, 10),
    int("lfu-decay-time", None, M, 0, INT_MAX, 1),
    int("replica-priority", Some("slave-priority"), M, 0, INT_MAX, 100),
    int("repl-diskless-sync-delay", None, M, 0, INT_MAX, 5),
    int("maxmemory-samples", None, M, 1, INT_MAX, 5),
    int("maxmemory-eviction-tenacity", None, M, 0, 100, 10),
    int("timeout", None, M, 0, INT_MAX, 0),
    int("replica-announce-port", Some("slave-announce-port"), M, 0, 65535, 0),
    int("tcp-backlog", None, I, 0, INT_MAX, 511),
    int("cluster-port", None, I, 0, 65535, 0),
    int("cluster-announce-bus-port", None, M, 0, 65535, 0),
    int("cluster-announce-port", None, M, 0, 65535, 0),
    int("cluster-announce-tls-port", None, M, 0, 65535, 0),
    int("repl-timeout", None, M, 1, INT_MAX, 60),
    int("repl-ping-replica-period", Some("repl-ping-slave-period"), M, 1, INT_MAX, 10),
    int("list-compress-depth", None, DEBUG, 0, INT_MAX, 0),
    int("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, 0),
    int("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, 0),
    int("active-expire-effort", None, M, 1, 10, 1),
    int("hz", None, M, 0, INT_MAX, 10),
    int("min-replicas-to-write", Some("min-slaves-to-write"), M, 0, INT_MAX, 0),
    int("min-replicas-max-lag", Some("min-slaves-max-lag"), M, 0, INT_MAX, 10),
    int("watchdog-period", None, HIDDEN, 0, INT_MAX, 0),
    int("shutdown-timeout", None, M, 0, INT_MAX, 10),
    int("repl-diskless-sync-max-replicas", None, M, 0, INT_MAX, 0),
    // Unsigned int configs
    uint("maxclients", None, M, 1, UINT_MAX, 10000),
    num("unixsocketperm", None, I, NumFormat::Octal, true, 0, 0o777, 0),
    uint("socket-mark-id", None, I, 0, UINT_MAX, 0),
    // Unsigned long configs (bounds checked as signed by Redis)
    int("active-defrag-max-scan-fields", None, M, 1, LONG_MAX, 1000),
    int("slowlog-max-len", None, M, 0, LONG_MAX, 128),
    int("acllog-max-len", None, M, 0, LONG_MAX, 128),
    // Long long configs
    int("busy-reply-threshold", Some("lua-time-limit"), M, 0, LONG_MAX, 5000),
    int("cluster-node-timeout", None, M, 0, LLONG_MAX, 15000),
    int("slowlog-log-slower-than", None, M, -1, LLONG_MAX, 10000),
    int("latency-monitor-threshold", None, M, 0, LLONG_MAX, 0),
    mem("proto-max-bulk-len", None, DEBUG, MB as i128, LONG_MAX, 512 * MB),
    int("stream-node-max-entries", None, M, 0, LLONG_MAX, 100),
    mem("repl-backlog-size", None, M, 1, LLONG_MAX, MB),
    // Unsigned long long configs
    umem("maxmemory", None, M, 0, ULLONG_MAX, 0),
    umem("cluster-link-sendbuf-limit", None, M, 0, ULLONG_MAX, 0),
    // size_t configs
    uint("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), M, 0, LONG_MAX, 512),
    uint("set-max-intset-entries", None, M, 0, LONG_MAX, 512),
    uint("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), M, 0, LONG_MAX, 128),
    umem("active-defrag-ignore-bytes", None, M, 1, LLONG_MAX, 100 * MB),
    umem("hash-max-listpack-value", Some("hash-max-ziplist-value"), M, 0, LONG_MAX, 64),
    umem("stream-node-max-bytes", None, M, 0, LONG_MAX, 4096),
    umem("zset-max-listpack-value", Some("zset-max-ziplist-value"), M, 0, LONG_MAX, 64),
    umem("hll-sparse-max-bytes", None, M, 0, LONG_MAX, 3000),
    uint("tracking-table-max-keys", None, M, 0, LONG_MAX, 1_000_000),
    umem("client-query-buffer-limit", None, DEBUG, MB as i128, LONG_MAX, 1024 * MB),
    num("maxmemory-clients", None, M, NumFormat::MemoryOrPercent, false, -100, SSIZE_MAX, 0),
    // Other numeric configs (time_t, off_t)
    int("repl-backlog-ttl", None, M, 0, LONG_MAX, 3600),
    mem("auto-aof-rewrite-min-size", None, M, 0, LLONG_MAX, 64 * MB),
    int("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, 2 * MB),
    // TLS configs
    int("tls-port", None, M, 0, 65535, 0),
    int("tls-session-cache-size", None, M, 0, INT_MAX, 20 * 1024),
    int("tls-session-cache-timeout", None, M, 0, INT_MAX, 300),
    boolean("tls-cluster", None, M, false),
    boolean("tls-replication", None, M, false),
    enumeration("tls-auth-clients", M, TLS_AUTH_CLIENTS, 1),
    boolean("tls-prefer-server-ciphers", None, M, false),
    boolean("tls-session-caching", None, M, true),
    text("tls-cert-file", None, VOLATILE, NULL_STR, None),
    text("tls-key-file", None, VOLATILE, NULL_STR, None),
    text("tls-key-file-pass", None, M, NULL_STR, None),
    text("tls-client-cert-file", None, VOLATILE, NULL_STR, None),
    text("tls-client-key-file", None, VOLATILE, NULL_STR, None),
    text("tls-client-key-file-pass", None, M, NULL_STR, None),
    text("tls-dh-params-file", None, VOLATILE, NULL_STR, None),
    text("tls-ca-cert-file", None, VOLATILE, NULL_STR, None),
    text("tls-ca-cert-dir", None, VOLATILE, NULL_STR, None),
    text("tls-protocols", None, M, NULL_STR, None),
    text("tls-ciphers", None, M, NULL_STR, None),
    text("tls-ciphersuites", None, M, NULL_STR, None),
    // Special configs
    special("dir", None, PROTECTED | DENY_LOADING, Special::Dir),
    special("save", None, MULTI_ARG, Special::Save),
    special("client-output-buffer-limit", None, MULTI_ARG, Special::ClientOutputBufferLimit),
    special("oom-score-adj-values", None, MULTI_ARG, Special::OomScoreAdjValues),
    special("notify-keyspace-events", None, M, Special::NotifyKeyspaceEvents),
    special("bind", None, MULTI_ARG, Special::Bind),
    special("replicaof", Some("slaveof"), I | MULTI_ARG, Special::ReplicaOf),
    special("latency-tracking-info-percentiles", None, MULTI_ARG, Special::LatencyTrackingInfoPercentiles),
    // Config-file-only directives
    special("include", None, DIRECTIVE_ONLY, Special::Include),
    special("rename-command", None, DIRECTIVE_ONLY, Special::RenameCommand),
    special("user", None, DIRECTIVE_ONLY, Special::User),
    special("loadmodule", None, DIRECTIVE_ONLY, Special::LoadModule),
    special("sentinel", None, DIRECTIVE_ONLY, Special::Sentinel),
    // Deprecated directives, ignored when given exactly one argument
    special("list-max-ziplist-entries", None, DEPRECATED, Special::Ignored),
    special("list-max-ziplist-value", None, DEPRECATED, Special::Ignored),
    special("lua-replicate-commands", None, DEPRECATED, Special::Ignored),
    // Ferrite's own: worker threads, 0 = one per core available to the process. Hidden
    // from CONFIG GET patterns so `CONFIG GET *` lists exactly Redis's names (the Redis
    // suite's "CONFIG sanity" test sets every listed parameter back to its value).
    int("threads", None, I | HIDDEN | FERRITE_ONLY, 0, 1024, 0),
];

/// Position of `name` in [`PARAMS`], computed at compile time so that hot getters index
/// directly and a misspelt name fails the build instead of a request.
pub const fn index_of(name: &str) -> usize {
    let mut i = 0;
    while i < PARAMS.len() {
        if str_eq(PARAMS[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("config parameter missing from registry")
}

const fn all_effective_known() -> bool {
    let mut i = 0;
    while i < EFFECTIVE.len() {
        let _ = index_of(EFFECTIVE[i]);
        i += 1;
    }
    true
}
const _: () = assert!(all_effective_known());

/// Compile-time positions of the parameters the server reads on hot paths.
pub(crate) mod idx {
    use super::index_of;
    pub const ACTIVE_EXPIRE_EFFORT: usize = index_of("active-expire-effort");
    pub const APPENDFSYNC: usize = index_of("appendfsync");
    pub const APPENDONLY: usize = index_of("appendonly");
    pub const BIND: usize = index_of("bind");
    pub const CLIENT_OUTPUT_BUFFER_LIMIT: usize = index_of("client-output-buffer-limit");
    pub const CLIENT_QUERY_BUFFER_LIMIT: usize = index_of("client-query-buffer-limit");
    pub const CLUSTER_ENABLED: usize = index_of("cluster-enabled");
    pub const DAEMONIZE: usize = index_of("daemonize");
    pub const DATABASES: usize = index_of("databases");
    pub const DBFILENAME: usize = index_of("dbfilename");
    pub const DIR: usize = index_of("dir");
    pub const ENABLE_DEBUG_COMMAND: usize = index_of("enable-debug-command");
    pub const ENABLE_MODULE_COMMAND: usize = index_of("enable-module-command");
    pub const ENABLE_PROTECTED_CONFIGS: usize = index_of("enable-protected-configs");
    pub const HASH_MAX_LISTPACK_ENTRIES: usize = index_of("hash-max-listpack-entries");
    pub const HASH_MAX_LISTPACK_VALUE: usize = index_of("hash-max-listpack-value");
    pub const HZ: usize = index_of("hz");
    pub const LAZYFREE_LAZY_EVICTION: usize = index_of("lazyfree-lazy-eviction");
    pub const LAZYFREE_LAZY_EXPIRE: usize = index_of("lazyfree-lazy-expire");
    pub const LAZYFREE_LAZY_SERVER_DEL: usize = index_of("lazyfree-lazy-server-del");
    pub const LAZYFREE_LAZY_USER_DEL: usize = index_of("lazyfree-lazy-user-del");
    pub const LAZYFREE_LAZY_USER_FLUSH: usize = index_of("lazyfree-lazy-user-flush");
    pub const LIST_COMPRESS_DEPTH: usize = index_of("list-compress-depth");
    pub const LIST_MAX_LISTPACK_SIZE: usize = index_of("list-max-listpack-size");
    pub const LOGFILE: usize = index_of("logfile");
    pub const LOGLEVEL: usize = index_of("loglevel");
    pub const MAXCLIENTS: usize = index_of("maxclients");
    pub const MAXMEMORY: usize = index_of("maxmemory");
    pub const MAXMEMORY_POLICY: usize = index_of("maxmemory-policy");
    pub const MAXMEMORY_SAMPLES: usize = index_of("maxmemory-samples");
    pub const NOTIFY_KEYSPACE_EVENTS: usize = index_of("notify-keyspace-events");
    pub const PIDFILE: usize = index_of("pidfile");
    pub const PORT: usize = index_of("port");
    pub const PROTECTED_MODE: usize = index_of("protected-mode");
    pub const PROTO_MAX_BULK_LEN: usize = index_of("proto-max-bulk-len");
    pub const REPLICA_LAZY_FLUSH: usize = index_of("replica-lazy-flush");
    pub const REPLICAOF: usize = index_of("replicaof");
    pub const REQUIREPASS: usize = index_of("requirepass");
    pub const SAVE: usize = index_of("save");
    pub const SET_MAX_INTSET_ENTRIES: usize = index_of("set-max-intset-entries");
    pub const STREAM_NODE_MAX_BYTES: usize = index_of("stream-node-max-bytes");
    pub const STREAM_NODE_MAX_ENTRIES: usize = index_of("stream-node-max-entries");
    pub const TCP_BACKLOG: usize = index_of("tcp-backlog");
    pub const TCP_KEEPALIVE: usize = index_of("tcp-keepalive");
    pub const THREADS: usize = index_of("threads");
    pub const TIMEOUT: usize = index_of("timeout");
    pub const UNIXSOCKET: usize = index_of("unixsocket");
    pub const UNIXSOCKETPERM: usize = index_of("unixsocketperm");
    pub const ZSET_MAX_LISTPACK_ENTRIES: usize = index_of("zset-max-listpack-entries");
    pub const ZSET_MAX_LISTPACK_VALUE: usize = index_of("zset-max-listpack-value");
}
