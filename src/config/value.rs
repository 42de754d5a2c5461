//! Turning directive arguments into stored values and stored values back into the text
//! CONFIG GET shows, for every kind in the registry, with Redis's error wording.

use super::parse::{
    format_trimmed_double, memtoull, split_args, strerror, string2d, string2ll, strtoll,
};
use super::registry::{Check, EnumSpec, Kind, NumFormat, NumSpec, ParamSpec, Special, TextSpec};
use std::path::Path;

/// Keyspace-notification class bits, as `notify-keyspace-events` stores them (same bit
/// values as Redis, so module APIs and INFO can share them).
pub mod notify {
    /// `K`: publish on `__keyspace@<db>__`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted-set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: expired events.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: evicted events.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: key misses (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// Module-only "key loaded" events (no character).
    pub const LOADED: u32 = 1 << 12;
    /// `d`: module key-type events.
    pub const MODULE: u32 = 1 << 13;
    /// `n`: new-key events (not part of `A`).
    pub const NEW: u32 = 1 << 14;
    /// `A`: alias for `g$lshzxetd`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Output-buffer limits of one client class, as `client-output-buffer-limit` sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect as soon as the buffer exceeds this many bytes (0 = no limit).
    pub hard_bytes: u64,
    /// Disconnect when the buffer stays above this many bytes ...
    pub soft_bytes: u64,
    /// ... for this many seconds.
    pub soft_seconds: i64,
}

/// Client classes with their own output-buffer limits, in Redis's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    /// Ordinary clients.
    Normal = 0,
    /// Replicas (and MONITOR clients).
    Replica = 1,
    /// Pub/Sub subscribers.
    Pubsub = 2,
}

/// A text value: the exact bytes (binary-safe, what CONFIG GET returns) and a UTF-8
/// copy so callers can borrow a `&str` (lossy only for non-UTF-8 bytes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextValue {
    pub raw: Vec<u8>,
    pub text: String,
}

impl TextValue {
    pub(crate) fn new(raw: Vec<u8>) -> Self {
        let text = String::from_utf8_lossy(&raw).into_owned();
        TextValue { raw, text }
    }
}

/// The stored value of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    Num(i64),
    Enum(i32),
    Text(Option<TextValue>),
    Dir(String),
    Save(Vec<(i64, i64)>),
    Obuf([ObufLimit; 3]),
    Oom([i32; 3]),
    Notify(u32),
    Bind(Vec<Vec<u8>>),
    ReplicaOf(Option<(Vec<u8>, i64)>),
    Percentiles(Vec<f64>),
    Nothing,
}

/// The value a parameter has when no config mentions it. `cwd` is the process's working
/// directory, which is what `dir` reports by default.
pub(crate) fn default_value(spec: &ParamSpec, cwd: &str) -> Value {
    match spec.kind {
        Kind::Bool { default } => Value::Bool(default),
        Kind::Number(n) => Value::Num(n.default),
        Kind::Enum(e) => Value::Enum(e.default),
        Kind::Text(t) => Value::Text(t.default.map(|d| TextValue::new(d.as_bytes().to_vec()))),
        Kind::Special(sp) => match sp {
            Special::Dir => Value::Dir(cwd.to_string()),
            Special::Save => Value::Save(vec![(3600, 1), (300, 100), (60, 10000)]),
            Special::ClientOutputBufferLimit => Value::Obuf([
                ObufLimit {
                    hard_bytes: 0,
                    soft_bytes: 0,
                    soft_seconds: 0,
                },
                ObufLimit {
                    hard_bytes: 256 << 20,
                    soft_bytes: 64 << 20,
                    soft_seconds: 60,
                },
                ObufLimit {
                    hard_bytes: 32 << 20,
                    soft_bytes: 8 << 20,
                    soft_seconds: 60,
                },
            ]),
            Special::OomScoreAdjValues => Value::Oom([0, 200, 800]),
            Special::NotifyKeyspaceEvents => Value::Notify(0),
            Special::Bind => Value::Bind(vec![b"*".to_vec(), b"-::*".to_vec()]),
            Special::ReplicaOf => Value::ReplicaOf(None),
            Special::LatencyTrackingInfoPercentiles => Value::Percentiles(vec![50.0, 99.0, 99.9]),
            _ => Value::Nothing,
        },
    }
}

/// State that changes how a value is set depending on where it comes from.
pub(crate) struct SetCtx {
    /// Inside a config file: a `save` line adds to the earlier ones instead of replacing.
    pub reading_file: bool,
    /// The first `save` line of the load replaced the defaults already.
    pub save_loaded: bool,
    /// `cluster-enabled`, which `proc-title-template` validation depends on.
    pub cluster_enabled: bool,
    /// Whether `unixsocket` is set, for the same reason.
    pub unixsocket_set: bool,
}

/// Parses `args` (the words after the directive name) into a new value for `spec`.
/// `old` is the current value (`save` appends to it while reading a file, `dir` resolves
/// relative paths against it). The error is Redis's reason text.
pub(crate) fn parse_value(
    spec: &ParamSpec,
    args: &[Vec<u8>],
    old: &Value,
    ctx: &mut SetCtx,
) -> Result<Value, String> {
    match spec.kind {
        Kind::Bool { .. } => {
            let v = yes_no(first(args)).ok_or("argument must be 'yes' or 'no'")?;
            if spec.check == Check::ActiveDefrag && v {
                return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled \
                            with a modified Jemalloc like the one shipped by default with the Redis source \
                            distribution"
                    .into());
            }
            Ok(Value::Bool(v))
        }
        Kind::Number(n) => parse_number(&n, first(args)).map(Value::Num),
        Kind::Enum(e) => parse_enum(spec, &e, args).map(Value::Enum),
        Kind::Text(t) => parse_text(spec, &t, first(args), ctx).map(Value::Text),
        Kind::Special(sp) => parse_special(sp, args, old, ctx),
    }
}

fn first(args: &[Vec<u8>]) -> &[u8] {
    args.first().map(Vec::as_slice).unwrap_or(b"")
}

fn yes_no(s: &[u8]) -> Option<bool> {
    if s.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// Parses and bound-checks a number with the notation and C-type quirks of `n`.
pub(crate) fn parse_number(n: &NumSpec, s: &[u8]) -> Result<i64, String> {
    let memory = matches!(n.format, NumFormat::Memory | NumFormat::MemoryOrPercent);
    let mut parsed = None;
    if memory {
        // Redis stores the unsigned result in a long long: huge values wrap negative.
        parsed = memtoull(s).map(|v| v as i64);
    }
    if parsed.is_none()
        && n.format == NumFormat::MemoryOrPercent
        && s.len() > 1
        && s.ends_with(b"%")
    {
        if let Some(p) = string2ll(&s[..s.len() - 1]).filter(|p| *p >= 0) {
            parsed = Some(-p);
        }
    }
    if parsed.is_none() && n.format == NumFormat::Octal {
        let r = strtoll(s, 8);
        if r.complete && !r.overflow {
            parsed = Some(r.value);
        }
    }
    if parsed.is_none() && n.format == NumFormat::Integer {
        parsed = string2ll(s);
    }
    let v = parsed.ok_or(match n.format {
        NumFormat::MemoryOrPercent => "argument must be a memory or percent value",
        NumFormat::Memory => "argument must be a memory value",
        NumFormat::Octal => "argument couldn't be parsed as an octal number",
        NumFormat::Integer => "argument couldn't be parsed into an integer",
    })?;
    check_bounds(n, v)?;
    Ok(v)
}

fn check_bounds(n: &NumSpec, v: i64) -> Result<(), String> {
    if n.unsigned {
        let (u, lo, hi) = (v as u64, n.min as u64, n.max as u64);
        if u < lo || u > hi {
            return Err(if n.format == NumFormat::Octal {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            });
        }
    } else if n.format == NumFormat::MemoryOrPercent && v < 0 {
        if i128::from(v) < n.min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -n.min
            ));
        }
    } else if i128::from(v) < n.min || i128::from(v) > n.max {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            n.min, n.max
        ));
    }
    Ok(())
}

fn parse_enum(spec: &ParamSpec, e: &EnumSpec, args: &[Vec<u8>]) -> Result<i32, String> {
    let mut code = None;
    if !args.is_empty() && (e.bitflags || args.len() == 1) {
        let mut acc = 0;
        let mut all = true;
        for a in args {
            let hits: Vec<i32> = e
                .names
                .iter()
                .filter(|(n, _)| a.eq_ignore_ascii_case(n.as_bytes()))
                .map(|(_, c)| *c)
                .collect();
            if hits.is_empty() {
                all = false;
                break;
            }
            acc |= hits.iter().fold(0, |x, c| x | c);
        }
        if all {
            code = Some(acc);
        }
    }
    let Some(code) = code else {
        let names: Vec<&str> = e.names.iter().map(|(n, _)| *n).collect();
        let mut msg = format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        );
        msg.truncate(255); // Redis copies it into a 256-byte buffer
        return Err(msg);
    };
    if spec.check == Check::ShutdownFlags && code & 1 != 0 && code & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(code)
}

/// Shows an enum code as CONFIG GET does: the first name with exactly that code, or for
/// flag sets the matching names in table order (`unknown` if bits are left over).
pub(crate) fn enum_name(e: &EnumSpec, code: i32) -> String {
    if let Some((n, _)) = e.names.iter().find(|(_, c)| *c == code) {
        return (*n).to_string();
    }
    if e.bitflags {
        let mut left = code;
        let mut parts = Vec::new();
        for (n, c) in e.names {
            if *c != 0 && *c == left & *c {
                parts.push(*n);
                left &= !*c;
            }
        }
        if !parts.is_empty() && left == 0 {
            return parts.join(" ");
        }
    }
    "unknown".to_string()
}

fn is_base_name(s: &[u8]) -> bool {
    !s.contains(&b'/') && !s.contains(&b'\\')
}

fn parse_text(
    spec: &ParamSpec,
    t: &TextSpec,
    raw: &[u8],
    ctx: &SetCtx,
) -> Result<Option<TextValue>, String> {
    // A C string ends at the first NUL.
    let s = if t.binary {
        raw
    } else {
        raw.split(|b| *b == 0).next().unwrap_or(b"")
    };
    match spec.check {
        Check::DbFilename if !is_base_name(s) => {
            return Err("dbfilename can't be a path, just a filename".into())
        }
        Check::AofFilename if s.is_empty() => return Err("appendfilename can't be empty".into()),
        Check::AofFilename if !is_base_name(s) => {
            return Err("appendfilename can't be a path, just a filename".into())
        }
        Check::AofDirname if s.is_empty() => return Err("appenddirname can't be empty".into()),
        Check::AofDirname if !is_base_name(s) => {
            return Err("appenddirname can't be a path, just a dirname".into())
        }
        Check::Hostname => {
            if s.len() >= 256 {
                return Err("Hostnames must be less than 256 characters".into());
            }
            if !s
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
            {
                return Err(
                    "Hostnames may only contain alphanumeric characters, hyphens or dots".into(),
                );
            }
        }
        Check::ProcTitleTemplate if !proc_title_template_ok(s, ctx) => {
            return Err("template format is invalid or contains unknown variables".into())
        }
        _ => {}
    }
    if t.empty_is_null && s.is_empty() {
        Ok(None)
    } else {
        Ok(Some(TextValue::new(s.to_vec())))
    }
}

/// Whether a process-title template uses only known variables and, expanded with an
/// empty title, leaves something other than spaces (Redis's rule).
fn proc_title_template_ok(tpl: &[u8], ctx: &SetCtx) -> bool {
    let mut out_nonblank = false;
    let mut i = 0;
    while i < tpl.len() {
        if tpl[i] != b'{' {
            out_nonblank |= tpl[i] != b' ';
            i += 1;
            continue;
        }
        match tpl.get(i + 1) {
            None => return false,
            Some(b'{') => {
                out_nonblank = true;
                i += 2;
                continue;
            }
            Some(_) => {}
        }
        let Some(close) = tpl[i + 1..].iter().position(|b| *b == b'}') else {
            return false;
        };
        let var = &tpl[i + 1..i + 1 + close];
        let nonblank = match var {
            b"title" => false,
            b"listen-addr" | b"config-file" | b"port" | b"tls-port" => true,
            b"server-mode" => ctx.cluster_enabled,
            b"unixsocket" => ctx.unixsocket_set,
            _ => return false,
        };
        out_nonblank |= nonblank;
        i += close + 2;
    }
    out_nonblank
}

fn parse_special(
    sp: Special,
    args: &[Vec<u8>],
    old: &Value,
    ctx: &mut SetCtx,
) -> Result<Value, String> {
    match sp {
        Special::Dir => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            let base = match old {
                Value::Dir(d) => d.as_str(),
                _ => "",
            };
            resolve_dir(base, &args[0]).map(Value::Dir)
        }
        Special::Save => parse_save(args, old, ctx),
        Special::ClientOutputBufferLimit => parse_obuf(args, old),
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut v = [0i32; 3];
            for (slot, a) in v.iter_mut().zip(args) {
                let r = strtoll(a, 10);
                if !r.complete || r.value < -2000 || r.value > 2000 {
                    return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    );
                }
                *slot = r.value as i32;
            }
            Ok(Value::Oom(v))
        }
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            parse_notify_flags(&args[0])
                .map(Value::Notify)
                .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())
        }
        Special::Bind => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            if args.len() == 1 && args[0].is_empty() {
                return Ok(Value::Bind(Vec::new()));
            }
            // bind addresses are C strings in Redis
            Ok(Value::Bind(
                args.iter()
                    .map(|a| a.split(|b| *b == 0).next().unwrap_or(b"").to_vec())
                    .collect(),
            ))
        }
        Special::ReplicaOf => {
            if args.len() != 2 {
                return Err("wrong number of arguments".into());
            }
            if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
                return Ok(Value::ReplicaOf(None));
            }
            let r = strtoll(&args[1], 10);
            let port = i64::from(r.value as i32); // Redis keeps the port in a C int
            if !(0..=65535).contains(&port) || !r.complete {
                return Err("Invalid master port".into());
            }
            Ok(Value::ReplicaOf(Some((args[0].clone(), port))))
        }
        Special::LatencyTrackingInfoPercentiles => {
            if args.len() == 1 && args[0].is_empty() {
                return Ok(Value::Percentiles(Vec::new()));
            }
            let mut out = Vec::with_capacity(args.len());
            for a in args {
                let p =
                    string2d(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&p) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                out.push(p);
            }
            Ok(Value::Percentiles(out))
        }
        _ => Ok(Value::Nothing),
    }
}

/// Resolves a new `dir` against the current one the way `chdir` would and returns the
/// physical absolute path (what `getcwd` then reports). The config module never changes
/// the process's working directory itself: tests run in parallel and the server decides
/// when to `chdir`.
pub(crate) fn resolve_dir(base: &str, arg: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(arg).into_owned();
    if text.is_empty() {
        return Err("No such file or directory".into());
    }
    let path = Path::new(base).join(&text);
    let meta = std::fs::metadata(&path).map_err(|e| strerror(&e))?;
    if !meta.is_dir() {
        return Err("Not a directory".into());
    }
    let canon = std::fs::canonicalize(&path).map_err(|e| strerror(&e))?;
    Ok(canon.to_string_lossy().into_owned())
}

fn parse_save(args: &[Vec<u8>], old: &Value, ctx: &mut SetCtx) -> Result<Value, String> {
    let mut args = args;
    let mut current = match old {
        Value::Save(v) => v.clone(),
        _ => Vec::new(),
    };
    if args.len() == 1 && args[0].is_empty() {
        current.clear();
        args = &[];
    }
    if args.len() % 2 == 1 {
        return Err("Invalid save parameters".into());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        let (secs, changes) = (strtoll(&pair[0], 10), strtoll(&pair[1], 10));
        if !secs.complete || !changes.complete || secs.value < 1 || changes.value < 0 {
            return Err("Invalid save parameters".into());
        }
        // Redis keeps `changes` in a C int.
        points.push((secs.value, i64::from(changes.value as i32)));
    }
    if !ctx.reading_file {
        current.clear();
    } else if !ctx.save_loaded {
        // The first `save` line of a config file replaces the defaults; later ones add.
        ctx.save_loaded = true;
        current.clear();
    }
    current.extend(points);
    Ok(Value::Save(current))
}

fn parse_obuf(args: &[Vec<u8>], old: &Value) -> Result<Value, String> {
    let mut limits = match old {
        Value::Obuf(v) => *v,
        _ => {
            [ObufLimit {
                hard_bytes: 0,
                soft_bytes: 0,
                soft_seconds: 0,
            }; 3]
        }
    };
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut updates = Vec::new();
    for group in args.chunks(4) {
        let class = client_class(&group[0])
            .ok_or("Invalid client class specified in buffer limit configuration.")?;
        let secs = strtoll(&group[3], 10);
        let secs_int = secs.value as i32; // stored through a C int
        match (memtoull(&group[1]), memtoull(&group[2])) {
            (Some(hard), Some(soft)) if secs_int >= 0 && secs.complete => {
                updates.push((
                    class,
                    ObufLimit {
                        hard_bytes: hard,
                        soft_bytes: soft,
                        soft_seconds: i64::from(secs_int),
                    },
                ));
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    for (class, limit) in updates {
        limits[class as usize] = limit;
    }
    Ok(Value::Obuf(limits))
}

/// Maps a class name to its class; `master` exists in Redis but has no limits to set.
pub(crate) fn client_class(name: &[u8]) -> Option<ClientClass> {
    let lower = name.to_ascii_lowercase();
    match lower.as_slice() {
        b"normal" => Some(ClientClass::Normal),
        b"slave" | b"replica" => Some(ClientClass::Replica),
        b"pubsub" => Some(ClientClass::Pubsub),
        _ => None,
    }
}

/// Parses `notify-keyspace-events` class characters into [`notify`] bits.
pub(crate) fn parse_notify_flags(s: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for c in s {
        flags |= match c {
            b'A' => notify::ALL,
            b'g' => notify::GENERIC,
            b'$' => notify::STRING,
            b'l' => notify::LIST,
            b's' => notify::SET,
            b'h' => notify::HASH,
            b'z' => notify::ZSET,
            b'x' => notify::EXPIRED,
            b'e' => notify::EVICTED,
            b'K' => notify::KEYSPACE,
            b'E' => notify::KEYEVENT,
            b't' => notify::STREAM,
            b'm' => notify::KEY_MISS,
            b'd' => notify::MODULE,
            b'n' => notify::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Renders [`notify`] bits the way CONFIG GET shows them (`A` when all classes are on).
pub(crate) fn notify_flags_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & notify::ALL == notify::ALL {
        s.push('A');
    } else {
        let classes = [
            (notify::GENERIC, 'g'),
            (notify::STRING, '$'),
            (notify::LIST, 'l'),
            (notify::SET, 's'),
            (notify::HASH, 'h'),
            (notify::ZSET, 'z'),
            (notify::EXPIRED, 'x'),
            (notify::EVICTED, 'e'),
            (notify::STREAM, 't'),
            (notify::MODULE, 'd'),
            (notify::NEW, 'n'),
        ];
        for (bit, c) in classes {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (notify::KEYSPACE, 'K'),
        (notify::KEYEVENT, 'E'),
        (notify::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// The bytes CONFIG GET returns for a value.
pub(crate) fn format_value(spec: &ParamSpec, value: &Value) -> Vec<u8> {
    match (spec.kind, value) {
        (_, Value::Bool(b)) => {
            if *b {
                b"yes".to_vec()
            } else {
                b"no".to_vec()
            }
        }
        (Kind::Number(n), Value::Num(v)) => format_number(&n, *v).into_bytes(),
        (Kind::Enum(e), Value::Enum(c)) => enum_name(&e, *c).into_bytes(),
        (_, Value::Text(t)) => t.as_ref().map(|t| t.raw.clone()).unwrap_or_default(),
        (_, Value::Dir(d)) => d.as_bytes().to_vec(),
        (_, Value::Save(points)) => {
            let parts: Vec<String> = points.iter().map(|(s, c)| format!("{s} {c}")).collect();
            parts.join(" ").into_bytes()
        }
        (_, Value::Obuf(limits)) => {
            let names = ["normal", "slave", "pubsub"];
            let parts: Vec<String> = names
                .iter()
                .zip(limits)
                .map(|(n, l)| format!("{n} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
                .collect();
            parts.join(" ").into_bytes()
        }
        (_, Value::Oom(v)) => format!("{} {} {}", v[0], v[1], v[2]).into_bytes(),
        (_, Value::Notify(f)) => notify_flags_string(*f).into_bytes(),
        (_, Value::Bind(addrs)) => addrs.join(&b' '),
        (_, Value::ReplicaOf(Some((host, port)))) => {
            let mut out = host.clone();
            out.extend_from_slice(format!(" {port}").as_bytes());
            out
        }
        (_, Value::ReplicaOf(None)) => Vec::new(),
        (_, Value::Percentiles(ps)) => {
            let parts: Vec<String> = ps.iter().map(|p| format_trimmed_double(*p)).collect();
            parts.join(" ").into_bytes()
        }
        _ => Vec::new(),
    }
}

fn format_number(n: &NumSpec, v: i64) -> String {
    match n.format {
        NumFormat::MemoryOrPercent if v < 0 => format!("{}%", v.unsigned_abs()),
        NumFormat::Memory | NumFormat::MemoryOrPercent => format!("{}", v as u64),
        NumFormat::Octal => format!("{:o}", v),
        NumFormat::Integer => v.to_string(),
    }
}

/// Splits a CONFIG SET value of a multi-word parameter the way Redis does: on every
/// single space (so doubled spaces give empty words), and `""` gives no words at all.
pub(crate) fn split_on_spaces(value: &[u8]) -> Vec<Vec<u8>> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|b| *b == b' ').map(<[u8]>::to_vec).collect()
}

/// Re-splits the single argument of a multi-word directive in a config file
/// (`save "900 1 300 10"`), as Redis does; unbalanced quotes give no words.
pub(crate) fn resplit_single(arg: &[u8]) -> Vec<Vec<u8>> {
    split_args(arg).unwrap_or_default()
}
