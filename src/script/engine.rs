//! Running scripts: the EVAL script cache, one script run with its
//! `redis.call` primitive, and the conversion of its outcome to a reply.
//!
//! Everything here runs on the engine thread (`super`), whose thread-local
//! interpreters are created by [`init`]. A run borrows the command's
//! context (`Ctx`, with every shard locked) for its duration.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::lua::{new_interp, Flavour, Interp};
use super::{RunKind, STATUS};
use crate::commands::meta::flags;
use crate::commands::table::Found;
use crate::commands::{Args, CmdError, CmdResult, Ctx};
use crate::net::client::ClientState;
use crate::resp::ReplyBuf;
use crate::server::Server;

/// A script's flags, from its `#!lua flags=...` line (Redis 7.0).
#[derive(Clone, Copy, Default, Debug)]
pub struct ScriptFlags {
    /// The script has a shebang line: the new rules apply (no implicit
    /// `allow-oom`).
    pub shebang: bool,
    /// `no-writes`: a read-only script.
    pub no_writes: bool,
    /// `allow-oom`: may run write commands over `maxmemory`.
    pub allow_oom: bool,
    /// `allow-stale`: may run on a stale replica.
    pub allow_stale: bool,
    /// `no-cluster`: refused in cluster mode.
    pub no_cluster: bool,
    /// `allow-cross-slot-keys`.
    pub allow_cross_slot: bool,
}

impl ScriptFlags {
    /// Parses one flag name; `false` if it is unknown.
    pub fn set(&mut self, name: &str) -> bool {
        match name {
            "no-writes" => self.no_writes = true,
            "allow-oom" => self.allow_oom = true,
            "allow-stale" => self.allow_stale = true,
            "no-cluster" => self.no_cluster = true,
            "allow-cross-slot-keys" => self.allow_cross_slot = true,
            _ => return false,
        }
        true
    }

    /// The flag names, as FUNCTION LIST shows them.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.no_writes {
            v.push("no-writes");
        }
        if self.allow_oom {
            v.push("allow-oom");
        }
        if self.allow_stale {
            v.push("allow-stale");
        }
        if self.no_cluster {
            v.push("no-cluster");
        }
        if self.allow_cross_slot {
            v.push("allow-cross-slot-keys");
        }
        v
    }
}

/// A cached EVAL script.
struct Script {
    func: Function,
    flags: ScriptFlags,
}

/// The EVAL interpreter and its script cache.
struct EvalEngine {
    interp: Interp,
    scripts: HashMap<String, Script>,
}

thread_local! {
    static EVAL: RefCell<Option<EvalEngine>> = const { RefCell::new(None) };
}

/// `busy-reply-threshold` as read when the running script started.
static BUSY_MS: AtomicI64 = AtomicI64::new(5000);

/// The busy threshold of the running script (ms).
pub fn busy_threshold_ms() -> i64 {
    BUSY_MS.load(Relaxed)
}

/// Creates the engine thread's interpreters.
pub fn init(srv: &Server) {
    super::lua::DEPRECATED_API.store(
        srv.config.read().get_bool("lua-enable-deprecated-api"),
        Relaxed,
    );
    match new_interp(Flavour::Eval) {
        Ok(interp) => EVAL.with(|e| {
            *e.borrow_mut() = Some(EvalEngine {
                interp,
                scripts: HashMap::new(),
            })
        }),
        Err(e) => crate::warning!("Failed creating the Lua interpreter: {e}"),
    }
    super::functions::init();
}

/// SHA1 of `data` as 40 lowercase hex digits (script ids, `redis.sha1hex`).
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(data);
    let mut s = String::with_capacity(40);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A Lua number as Lua 5.1 prints it (`%.14g`): what `redis.call` sends
/// for a number argument.
pub fn number_text(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    if n == n.trunc() && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    crate::util::num::fmt_g(n, 14)
}

/// Splits a `#!lua ...` first line off a script body. Returns the flags
/// and the body with that line blanked (line numbers stay the same).
pub fn parse_shebang(
    body: &[u8],
    allow_name: bool,
) -> Result<(ScriptFlags, Option<String>, Vec<u8>), CmdError> {
    let mut flags = ScriptFlags::default();
    if !body.starts_with(b"#!") {
        return Ok((flags, None, body.to_vec()));
    }
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "#!lua" {
        return Err(CmdError::err(format!(
            "Unexpected engine in script shebang: {engine}"
        )));
    }
    flags.shebang = true;
    let mut name = None;
    for p in parts {
        if let Some(list) = p.strip_prefix("flags=") {
            for f in list.split(',').filter(|f| !f.is_empty()) {
                if !flags.set(f) {
                    return Err(CmdError::err(format!(
                        "Unexpected flag in script shebang: {f}"
                    )));
                }
            }
        } else if let (true, Some(n)) = (allow_name, p.strip_prefix("name=")) {
            name = Some(n.to_string());
        } else {
            return Err(CmdError::err(format!("Unknown lua shebang option: {p}")));
        }
    }
    Ok((flags, name, body[end..].to_vec()))
}

/// The number of keys argument of EVAL/FCALL at `at`, checked against the
/// arguments that follow it.
pub fn numkeys(args: Args, at: usize) -> Result<usize, CmdError> {
    let n = args.int(at)?;
    if n < 0 {
        return Err(CmdError::err("Number of keys can't be negative"));
    }
    if n as usize > args.len() - at - 1 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    Ok(n as usize)
}

/// Compiles an EVAL body into the cache (SCRIPT LOAD, EVAL); returns its id.
pub fn load_script(body: &[u8]) -> Result<String, CmdError> {
    let sha = sha1_hex(body);
    with_eval(|e| {
        if e.scripts.contains_key(&sha) {
            return Ok(());
        }
        let (flags, _, code) = parse_shebang(body, false)?;
        let globals: Table = e
            .interp
            .private
            .get("globals")
            .map_err(|err| CmdError::err(err.to_string()))?;
        let func = e
            .interp
            .lua
            .load(&code[..])
            .set_name("@user_script")
            .set_environment(globals)
            .into_function()
            .map_err(|err| {
                CmdError::err(format!(
                    "Error compiling script (new function): {}",
                    lua_error_text(&err)
                ))
            })?;
        e.scripts.insert(sha.clone(), Script { func, flags });
        Ok(())
    })?;
    Ok(sha)
}

/// The message of a Lua error as Lua itself words it.
pub fn lua_error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_error_text(cause),
        other => other.to_string(),
    }
}

fn with_eval<R>(f: impl FnOnce(&mut EvalEngine) -> Result<R, CmdError>) -> Result<R, CmdError> {
    EVAL.with(|e| match e.borrow_mut().as_mut() {
        Some(engine) => f(engine),
        None => Err(CmdError::err("scripting is not available")),
    })
}

/// SCRIPT EXISTS: which of the ids are cached.
pub fn scripts_exist(ids: &[&[u8]]) -> Vec<bool> {
    EVAL.with(|e| {
        let e = e.borrow();
        ids.iter()
            .map(|id| {
                let id = String::from_utf8_lossy(id).to_ascii_lowercase();
                e.as_ref().is_some_and(|e| e.scripts.contains_key(&id))
            })
            .collect()
    })
}

/// SCRIPT FLUSH: forgets every script and starts a fresh interpreter.
pub fn flush_scripts() {
    EVAL.with(|e| {
        let mut e = e.borrow_mut();
        if let Ok(interp) = new_interp(Flavour::Eval) {
            *e = Some(EvalEngine {
                interp,
                scripts: HashMap::new(),
            });
        }
    });
}

/// Publishes the interpreters' figures for INFO memory (`super::MEMORY`).
pub fn publish_memory() {
    use std::sync::atomic::Ordering::Relaxed;
    let (scripts, vm) = EVAL.with(|e| {
        e.borrow()
            .as_ref()
            .map_or((0, 0), |e| (e.scripts.len(), e.interp.lua.used_memory()))
    });
    super::MEMORY[0].store(scripts, Relaxed);
    super::MEMORY[1].store(vm, Relaxed);
    super::MEMORY[2].store(super::functions::vm_memory(), Relaxed);
}

/// EVAL / EVALSHA / EVAL_RO / EVALSHA_RO.
pub fn eval(ctx: &mut Ctx, args: Args, read_only: bool, by_sha: bool) -> CmdResult {
    let nkeys = numkeys(args, 2)?;
    let sha = if by_sha {
        let id = String::from_utf8_lossy(args.get(1)).to_ascii_lowercase();
        let known = id.len() == 40 && scripts_exist(&[id.as_bytes()])[0];
        if !known {
            return Err(CmdError::raw(
                "NOSCRIPT No matching script. Please use EVAL.",
            ));
        }
        id
    } else {
        load_script(args.get(1))?
    };
    let (func, flags, interp_private, runner, lua) = with_eval(|e| {
        let s = &e.scripts[&sha];
        Ok((
            s.func.clone(),
            s.flags,
            e.interp.private.clone(),
            e.interp.runner.clone(),
            e.interp.lua.clone(),
        ))
    })?;
    let keys: Vec<&[u8]> = args.from(3).take(nkeys).collect();
    let argv: Vec<&[u8]> = args.from(3 + nkeys).collect();
    let set_global = |name: &str, items: &[&[u8]]| -> mlua::Result<()> {
        let t = lua.create_table_with_capacity(items.len(), 0)?;
        for (i, k) in items.iter().enumerate() {
            t.raw_set(i + 1, lua.create_string(k)?)?;
        }
        let setter: Function = interp_private.get("set_global")?;
        setter.call::<()>((name, t))
    };
    set_global("KEYS", &keys)
        .and_then(|_| set_global("ARGV", &argv))
        .map_err(|e| CmdError::err(e.to_string()))?;
    let run = Run {
        kind: RunKind::Eval,
        name: sha.clone(),
        flags,
        read_only: read_only || flags.no_writes,
    };
    let outcome = run_function(
        ctx,
        args,
        &lua,
        &interp_private,
        &runner,
        &func,
        run,
        MultiValue::new(),
    )?;
    finish(ctx, &lua, outcome, &sha)
}

/// How a script run is set up.
pub struct Run {
    /// EVAL or function.
    pub kind: RunKind,
    /// The script id or function name (logs, FUNCTION STATS).
    pub name: String,
    /// The script's flags.
    pub flags: ScriptFlags,
    /// Write commands are refused (EVAL_RO, FCALL_RO, `no-writes`).
    pub read_only: bool,
}

/// What a run produced: the first return value or the error table, and
/// the protocol the script left selected.
pub struct Outcome {
    ok: bool,
    value: Value,
    resp3: bool,
}

/// Runs `func(extra...)` as a script for the command in `ctx`/`args`.
#[allow(clippy::too_many_arguments)]
pub fn run_function(
    ctx: &mut Ctx,
    args: Args,
    lua: &Lua,
    private: &Table,
    runner: &Function,
    func: &Function,
    run: Run,
    extra: MultiValue,
) -> Result<Outcome, CmdError> {
    let srv = ctx.srv;
    let over_memory = {
        let max = srv.hot.maxmemory.load(Relaxed);
        max > 0 && crate::util::alloc::used_memory() as u64 > max
    };
    if run.flags.shebang && !run.flags.allow_oom && !run.read_only && over_memory {
        return Err(CmdError::raw(
            "OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    let caller_cmd = match srv.commands.lookup(args) {
        Found::Command(c) => Some(c),
        _ => None,
    };
    let mut state = ClientState::for_waiter(ctx.client.id, ctx.client.db);
    state.in_multi = true;
    state.in_script = true;
    let mut call = CallCtx {
        read_only: run.read_only,
        allow_oom: run.flags.allow_oom,
        over_memory,
        wrote: false,
        state,
        caller_cmd,
        caller_args: args,
    };
    let _ = private.set("resp", 2);
    BUSY_MS.store(srv.config.read().get_int("busy-reply-threshold"), Relaxed);
    *STATUS.running.lock() = Some((run.name.clone(), args.from(0).map(<[u8]>::to_vec).collect()));
    STATUS.begin(run.kind);
    let redis: Table = private
        .get("redis")
        .map_err(|e| CmdError::err(e.to_string()))?;
    let outside: Value = redis.raw_get("call").unwrap_or(Value::Nil);
    let shared = RefCell::new((&mut call, &mut *ctx));
    let result = lua.scope(|scope| {
        // redis.call raises its error table: C functions keep the caller's
        // frame even when tail-called, so the error handler finds the
        // script's line. The table travels in `priv.pending`.
        let raise = scope.create_function(|lua, argv: MultiValue| {
            let mut guard = shared.borrow_mut();
            let (call, ctx) = &mut *guard;
            let (v, failed) = call.call(ctx, lua, private, argv)?;
            if failed {
                private.set("pending", v)?;
                return Err(mlua::Error::runtime("redis.call failed"));
            }
            Ok(v)
        })?;
        let protected = scope.create_function(|lua, argv: MultiValue| {
            let mut guard = shared.borrow_mut();
            let (call, ctx) = &mut *guard;
            Ok(call.call(ctx, lua, private, argv)?.0)
        })?;
        redis.raw_set("call", raise)?;
        redis.raw_set("pcall", protected)?;
        let mut call_args = MultiValue::new();
        call_args.push_back(Value::Function(func.clone()));
        call_args.extend(extra);
        let r = runner.call::<MultiValue>(call_args);
        redis.raw_set("call", outside.clone())?;
        redis.raw_set("pcall", outside.clone())?;
        r
    });
    let _ = private.set("pending", Value::Nil);
    let killed = STATUS.kill_requested();
    STATUS.end();
    if killed {
        crate::warning!(
            "Lua script killed by user with {}.",
            if run.kind == RunKind::Function {
                "FUNCTION KILL"
            } else {
                "SCRIPT KILL"
            }
        );
    }
    let resp3 = matches!(private.get::<i64>("resp"), Ok(3));
    let _ = private.set("resp", 2);
    let mut values = result
        .map_err(|e| CmdError::err(lua_error_text(&e)))?
        .into_iter();
    let ok = matches!(values.next(), Some(Value::Boolean(true)));
    let value = values.next().unwrap_or(Value::Nil);
    Ok(Outcome { ok, value, resp3 })
}

/// Writes a run's outcome as the command's reply.
pub fn finish(ctx: &mut Ctx, lua: &Lua, outcome: Outcome, name: &str) -> CmdResult {
    let _ = lua;
    if outcome.ok {
        super::convert::lua_to_reply(&outcome.value, ctx.out, outcome.resp3);
        return Ok(());
    }
    // An error table {err, source, line}, made by the runner's handler.
    let Value::Table(t) = outcome.value else {
        return Err(CmdError::err("Error running script"));
    };
    let text = |k: &str| -> Option<String> {
        match t.raw_get::<Value>(k).ok()? {
            Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => Some(number_text(n)),
            _ => None,
        }
    };
    let mut msg = text("err").unwrap_or_else(|| "ERR unknown error".into());
    if let (Some(source), Some(line)) = (text("source"), text("line")) {
        msg.push_str(&format!(" script: {name}, on {source}:{line}."));
    }
    let msg = msg.replace(['\r', '\n'], " ");
    Err(CmdError::raw(msg))
}

/// The context `redis.call` works in during one run.
struct CallCtx<'a> {
    read_only: bool,
    allow_oom: bool,
    /// `used_memory` was over `maxmemory` when the script started.
    over_memory: bool,
    /// The script ran a write command.
    wrote: bool,
    /// The script's own client: database (SELECT inside a script stays
    /// inside it), protocol.
    state: ClientState,
    /// The command that runs the script and its arguments (tracking of the
    /// declared keys).
    caller_cmd: Option<&'a crate::commands::table::Command>,
    caller_args: Args<'a>,
}

/// An error `redis.call` raises (and `redis.pcall` returns).
fn call_error(lua: &Lua, msg: &str) -> mlua::Result<(Value, bool)> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok((Value::Table(t), true))
}

impl CallCtx<'_> {
    /// Runs one command for the script: Redis's checks for commands called
    /// from scripts, then the command itself on the locked keyspace.
    fn call(
        &mut self,
        ctx: &mut Ctx,
        lua: &Lua,
        private: &Table,
        argv: MultiValue,
    ) -> mlua::Result<(Value, bool)> {
        if argv.is_empty() {
            return call_error(
                lua,
                "ERR Please specify at least one argument for this redis lib call",
            );
        }
        let mut buf = Vec::new();
        let mut ranges = Vec::with_capacity(argv.len());
        for v in &argv {
            let start = buf.len();
            match v {
                Value::String(s) => buf.extend_from_slice(&s.as_bytes()),
                Value::Integer(i) => buf.extend_from_slice(i.to_string().as_bytes()),
                // Redis formats number arguments with `%.17g`.
                Value::Number(n) => crate::util::num::write_double(*n, &mut buf),
                _ => {
                    return call_error(
                        lua,
                        "ERR Lua redis lib command arguments must be strings or integers",
                    )
                }
            }
            ranges.push(start..buf.len());
        }
        let args = Args::new(&buf, &ranges);
        let srv = ctx.srv;
        let cmd = match srv.commands.lookup(args) {
            Found::Command(c) if c.handler.is_some() => c,
            _ => return call_error(lua, "ERR Unknown Redis command called from script"),
        };
        let meta = cmd.meta;
        let argc = args.len() as i32;
        if (meta.arity > 0 && meta.arity != argc) || argc < -meta.arity {
            return call_error(
                lua,
                "ERR Wrong number of args calling Redis command from script",
            );
        }
        if meta.flags & flags::NOSCRIPT != 0 && !super::DENY_SCRIPTS_DISABLED.load(Relaxed) {
            return call_error(lua, "ERR This Redis command is not allowed from script");
        }
        let writes = meta.flags & flags::WRITE != 0;
        if writes && self.read_only {
            return call_error(
                lua,
                "ERR Write commands are not allowed from read-only scripts.",
            );
        }
        if meta.flags & flags::DENYOOM != 0 && !self.allow_oom && !self.wrote && self.over_memory {
            return call_error(
                lua,
                "OOM command not allowed when used memory > 'maxmemory'.",
            );
        }
        if writes
            && srv.repl.is_replica()
            && !ctx.client.is_master
            && srv.config.read().get_bool("replica-read-only")
        {
            return call_error(lua, "READONLY You can't write against a read only replica.");
        }
        if writes {
            if !STATUS.set_wrote() {
                return call_error(lua, "ERR Script killed by user with SCRIPT KILL...");
            }
            self.wrote = true;
        }
        let Some(handler) = cmd.handler else {
            return call_error(lua, "ERR Unknown Redis command called from script");
        };
        let mut out = ReplyBuf::new();
        out.resp3 = matches!(private.get::<i64>("resp"), Ok(3));
        let start_us = Server::now_us();
        crate::commands::dispatch::invoke(
            srv,
            ctx.stats,
            &mut self.state,
            &mut out,
            cmd,
            handler,
            args,
            ctx.keys,
            None,
            start_us,
        );
        crate::commands::dispatch::close_timing(&mut self.state, ctx.stats, Server::now_us());
        // Its effects were counted by `invoke`: the script's own command
        // must not count them again.
        ctx.keys.dirty = 0;
        ctx.keys.hits = 0;
        ctx.keys.misses = 0;
        ctx.keys.expired = 0;
        ctx.keys.touched = false;
        ctx.client.pushes.append(&mut self.state.pushes);
        ctx.client.pushes_after.append(&mut self.state.pushes_after);
        crate::commands::monitor::feed(srv, &self.state, None, cmd, args);
        // A tracking caller whose script reads: its declared keys are
        // remembered (Redis 7.0's rule for scripts).
        if meta.flags & flags::READONLY != 0 {
            self.track_declared_keys(ctx);
        }
        super::convert::reply_to_lua(lua, &out.buf)
    }

    fn track_declared_keys(&self, ctx: &mut Ctx) {
        let Some(cmd) = self.caller_cmd else { return };
        let Some(t) = &ctx.client.tracking else {
            return;
        };
        let wanted = if t.optin {
            ctx.client.caching
        } else {
            !(t.optout && ctx.client.caching)
        };
        if t.bcast || !wanted {
            return;
        }
        crate::commands::tracking::remember_keys(ctx.keys, cmd, self.caller_args, ctx.client.id);
    }
}
