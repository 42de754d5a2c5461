//! One Lua interpreter with Redis's scripting API: the `redis` table, the
//! sandbox, the error handler and the instruction-count hook.
//!
//! The `redis` API is written in Lua around one Rust primitive,
//! `priv.raw(...)`, which runs a command and returns its reply as a Lua
//! value plus an "is an error" flag. `priv.raw` is replaced for each script
//! run by a function scoped to that run (`mlua::Lua::scope`), so it borrows
//! the running command's context without any global state.
//!
//! The sandbox follows Redis 7.0: `loadfile`, `dofile`, `print`, `os`,
//! `require`... are absent; reading an undefined global is an error, and so
//! is creating one ("Attempt to modify a readonly table", as Redis 7.0's
//! read-only globals say). The library tables (`redis`, `string`, `bit`...)
//! are reached through read-only proxies.

use mlua::{Function, HookTriggers, Lua, StdLib, Table, Value, VmState};

use super::STATUS;

/// Which API flavour an interpreter offers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// EVAL scripts: the body runs as a chunk, KEYS/ARGV are globals.
    Eval,
    /// FUNCTION libraries: `redis.register_function` while loading.
    Function,
}

/// An interpreter and the handles the engine uses to drive it.
pub struct Interp {
    /// The Lua state.
    pub lua: Lua,
    /// Private table: `raw` (the command primitive of the current run).
    pub private: Table,
    /// `run(f, ...)`: calls `f` under the error handler; returns `true` and
    /// the results, or `false` and the error table.
    pub runner: Function,
}

/// The Lua side of the API and the sandbox. Receives the private table,
/// the debug library (kept out of the scripts' reach) and the flavour.
const PRELUDE: &str = r#"
local priv, dbg, flavour, deprecated_api = ...
local error, type, tostring, select, rawget, rawset, setmetatable, unpack =
      error, type, tostring, select, rawget, rawset, setmetatable, unpack
local raw_pcall, xpcall = pcall, xpcall

local redis = {}
-- redis.call and redis.pcall are Rust functions installed for each run
-- (they borrow the run's context); between runs they refuse.
local function outside()
  error('redis.call can only be called inside a script invocation', 2)
end
redis.call, redis.pcall = outside, outside
priv.redis = redis
local function error_table(text)
  if text:sub(1, 1) == '-' then text = text:sub(2) end
  if not text:find(' ', 1, true) then text = 'ERR ' .. text end
  return {err = text}
end
redis.error_reply = function(...)
  local msg = ...
  if select('#', ...) ~= 1 or type(msg) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return error_table(msg)
end
redis.status_reply = function(...)
  local msg = ...
  if select('#', ...) ~= 1 or type(msg) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = msg}
end
redis.sha1hex = function(...)
  if select('#', ...) ~= 1 then
    error('wrong number of arguments', 0)
  end
  return priv.sha1hex(...)
end
redis.log = priv.log
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.setresp = priv.setresp
redis.set_repl = function(...)
  local v = ...
  if select('#', ...) ~= 1 then
    error('redis.set_repl() requires one argument.', 0)
  end
  if type(v) ~= 'number' or v < 0 or v > 3 then
    error('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', 0)
  end
end
redis.replicate_commands = function() return true end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = function(...)
  return priv.acl_check_cmd(...)
end
redis.REDIS_VERSION = priv.version
redis.REDIS_VERSION_NUM = priv.version_num
if flavour == 'function' then
  redis.register_function = function(...)
    return priv.register_function(...)
  end
end

-- The message handler of every run: turns any error into Redis's error
-- table ({err=..., source=..., line=...}), the position being that of the
-- innermost frame of user code.
local function handler(e)
  if priv.killed() then
    e = {err = 'ERR Script killed by user with ' .. priv.kill_command .. '...'}
  elseif type(e) ~= 'table' then
    -- redis.call raises its error table through `priv.pending`.
    local p = priv.pending
    if p ~= nil then
      priv.pending = nil
      e = p
    else
      e = {err = 'ERR ' .. tostring(e)}
    end
  end
  if rawget(e, 'source') == nil then
    local level = 2
    while true do
      local i = dbg.getinfo(level, 'Sl')
      if not i then break end
      if i.what ~= 'C' and i.source:sub(1, 6) == '@user_' then
        rawset(e, 'source', i.source)
        rawset(e, 'line', i.currentline)
        break
      end
      level = level + 1
    end
  end
  return e
end

-- pcall that can't swallow SCRIPT KILL: once killed, errors go on up.
local function after_pcall(ok, ...)
  if not ok then
    if priv.killed() then error((...), 0) end
    -- Redis's pcall gives the message of an error table.
    local p = priv.pending
    if p ~= nil then
      priv.pending = nil
      return false, p.err
    end
    local e = ...
    if type(e) == 'table' and type(rawget(e, 'err')) == 'string' then
      return false, e.err
    end
  end
  return ok, ...
end
local user_pcall = function(...)
  return after_pcall(raw_pcall(...))
end
local function after_xpcall(ok, ...)
  if not ok and priv.killed() then error((...), 0) end
  return ok, ...
end
local user_xpcall = function(f, h)
  return after_xpcall(xpcall(f, function(e)
    local p = priv.pending
    if p ~= nil and type(e) ~= 'table' then
      priv.pending = nil
      e = p
    end
    return h(e)
  end))
end

-- Read-only views of the library tables, recursively (a table reached
-- through one is read-only too), as Redis 7.0.15's read-only tables.
local protected = setmetatable({}, {__mode = 'k'})
local views = setmetatable({}, {__mode = 'k'})
local function readonly(t)
  local proxy = views[t]
  if proxy then return proxy end
  proxy = {}
  protected[proxy] = true
  setmetatable(proxy, {
    __index = function(_, k)
      local v = t[k]
      if type(v) == 'table' then return readonly(v) end
      return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  views[t] = proxy
  return proxy
end

-- The globals live in `Gdata`; scripts see `G`, an empty table reading
-- through to it, so no global (existing or not) can be assigned.
local Gdata = {}
local G = Gdata
for _, name in ipairs({'assert', 'collectgarbage', 'error', 'gcinfo',
    'getmetatable', 'ipairs', 'loadstring', 'next', 'pairs', 'rawequal',
    'rawget', 'rawset', 'select', 'setmetatable', 'tonumber', 'tostring',
    'type', 'unpack', '_VERSION'}) do
  G[name] = _G[name]
end
G.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end
G.setmetatable = function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 2) end
  return setmetatable(t, mt)
end
-- The strings' metatable (shared by every string) is read-only too:
-- getmetatable('') gives a read-only view of it.
local string_mt = getmetatable('')
string_mt.__metatable = readonly(string_mt)
-- Lua 5.1.5's unpack computes its result count in a C int: a range like
-- (-2147483648, -2) overflows and crashes the process. Checked here in
-- doubles first, as Redis patches its copy of Lua.
local raw_unpack = unpack
G.unpack = function(...)
  local t, i, j = ...
  i = i or 1
  if j == nil and type(t) == 'table' then j = #t end
  if type(i) == 'number' and type(j) == 'number' then
    if i > j then return end
    if j - i >= 8000 then error('too many results to unpack', 2) end
  end
  -- The caller's own arguments, so Lua's stack check counts as Redis's.
  return raw_unpack(...)
end

-- Precompiled (binary) chunks are refused, as Redis 7.0.15 refuses them.
local raw_loadstring = loadstring
G.loadstring = function(s, ...)
  if type(s) == 'string' and s:sub(1, 1) == '\27' then
    return nil, 'attempt to load a binary chunk'
  end
  return raw_loadstring(s, ...)
end

-- lua-enable-deprecated-api yes brings back what Redis 7.0.15 hides.
if deprecated_api then
  G.getfenv, G.setfenv, G.newproxy = getfenv, setfenv, newproxy
end
G.pcall = user_pcall
G.xpcall = user_xpcall
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'bit', 'cjson',
    'cmsgpack', 'struct'}) do
  if _G[name] ~= nil then G[name] = readonly(_G[name]) end
end
G.redis = readonly(redis)

-- The globals scripts see: reading an undefined one, or assigning any
-- (outside the engine's own KEYS/ARGV), is an error.
local data_mt = {
  __index = function(_, n)
    error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
  end,
}
data_mt.__metatable = readonly(data_mt)
setmetatable(Gdata, data_mt)
G = {}
local g_mt = {
  __index = Gdata,
  __newindex = function()
    error('Attempt to modify a readonly table', 2)
  end,
}
g_mt.__metatable = readonly(g_mt)
setmetatable(G, g_mt)
rawset(Gdata, '_G', G)
protected[G] = true
protected[Gdata] = true
priv.globals = G
priv.set_global = function(k, v) rawset(Gdata, k, v) end

local function run(f, ...)
  local args = {...}
  local n = select('#', ...)
  return xpcall(function() return f(unpack(args, 1, n)) end, handler)
end
return run
"#;

/// `lua-enable-deprecated-api` (immutable: read once at start-up).
pub static DEPRECATED_API: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Builds an interpreter with the API, the sandbox and the hook.
pub fn new_interp(flavour: Flavour) -> mlua::Result<Interp> {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
    // SAFETY: the debug library is loaded only to let the prelude capture
    // `debug.getinfo` for its error handler; the prelude then removes it
    // from the globals scripts see, so no script can reach it.
    let lua = unsafe { Lua::unsafe_new_with(libs, mlua::LuaOptions::default()) };
    super::libs::load(&lua)?;
    let private = lua.create_table()?;
    private.set("version", crate::config::REDIS_VERSION)?;
    private.set("version_num", version_num(crate::config::REDIS_VERSION))?;
    private.set("resp", 2)?;
    private.set(
        "kill_command",
        if flavour == Flavour::Eval {
            "SCRIPT KILL"
        } else {
            "FUNCTION KILL"
        },
    )?;
    private.set(
        "killed",
        lua.create_function(|_, ()| Ok(STATUS.kill_requested()))?,
    )?;
    private.set(
        "sha1hex",
        lua.create_function(|_, args: mlua::MultiValue| {
            let s = match args.front() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                Some(Value::Number(n)) => super::engine::number_text(*n).into_bytes(),
                Some(Value::Integer(n)) => n.to_string().into_bytes(),
                _ => Vec::new(),
            };
            Ok(super::engine::sha1_hex(&s))
        })?,
    )?;
    private.set(
        "log",
        raising(&lua, &private, |_, args| {
            if args.len() < 2 {
                return Err("redis.log() requires two arguments or more.".into());
            }
            let mut it = args.into_iter();
            let level = match it.next() {
                Some(Value::Integer(l)) => l,
                Some(Value::Number(l)) => l as i64,
                _ => return Err("First argument must be a number (log level).".into()),
            };
            if !(0..=3).contains(&level) {
                return Err("Invalid debug level.".into());
            }
            let words: Vec<String> = it
                .map(|v| match v {
                    Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    Value::Integer(i) => i.to_string(),
                    Value::Number(n) => super::engine::number_text(n),
                    _ => String::new(),
                })
                .collect();
            let text = words.join(" ");
            match level {
                0 => crate::log::log(crate::log::Level::Debug, &text),
                1 => crate::verbose!("{text}"),
                2 => crate::notice!("{text}"),
                _ => crate::warning!("{text}"),
            }
            Ok(Value::Nil)
        })?,
    )?;
    let resp_slot = private.clone();
    private.set(
        "setresp",
        raising(&lua, &private, move |_, args| {
            if args.len() != 1 {
                return Err("redis.setresp() requires one argument.".into());
            }
            let v = match args.front() {
                Some(Value::Integer(i)) => *i as f64,
                Some(Value::Number(n)) => *n,
                _ => 0.0,
            };
            if v != 2.0 && v != 3.0 {
                return Err("RESP version must be 2 or 3.".into());
            }
            resp_slot.set("resp", v as i64).map_err(|e| e.to_string())?;
            Ok(Value::Nil)
        })?,
    )?;
    super::libs::load_cjson(&lua, &private)?;
    let debug: Table = lua.globals().get("debug")?;
    let prelude = lua.load(PRELUDE).set_name("=ferrite").into_function()?;
    let flavour_name = match flavour {
        Flavour::Eval => "eval",
        Flavour::Function => "function",
    };
    let deprecated_api = DEPRECATED_API.load(std::sync::atomic::Ordering::Relaxed);
    let runner: Function = prelude.call((private.clone(), debug, flavour_name, deprecated_api))?;
    // Chunks compiled later (`loadstring`) get the sandboxed globals too.
    let globals: Table = private.get("globals")?;
    lua.set_globals(globals)?;
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(100_000),
        |_lua, _debug| hook(),
    )?;
    Ok(Interp {
        lua,
        private,
        runner,
    })
}

/// A Rust function for the `redis` table that fails like Redis's C ones:
/// an `Err(text)` raises the error table `{err = "ERR <text>"}` (handed to
/// the error handler through `priv.pending`), positioned at the script's
/// line since a C function keeps its caller's frame even in a tail call.
fn raising<F>(lua: &Lua, private: &Table, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, mlua::MultiValue) -> Result<Value, String> + 'static,
{
    let private = private.clone();
    lua.create_function(move |lua, args: mlua::MultiValue| match f(lua, args) {
        Ok(v) => Ok(v),
        Err(text) => {
            let t = lua.create_table()?;
            t.raw_set("err", format!("ERR {text}"))?;
            private.set("pending", t)?;
            Err(mlua::Error::runtime(text))
        }
    })
}

/// Redis's `REDIS_VERSION_NUM`: `0x00MMmmpp`.
fn version_num(v: &str) -> i64 {
    let mut parts = v.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c
}

/// Runs every 100,000 instructions: notices a script going past
/// `busy-reply-threshold` (other clients then get `-BUSY`) and stops a
/// killed one.
fn hook() -> mlua::Result<VmState> {
    if STATUS.kill_requested() {
        return Err(mlua::Error::runtime("Script killed"));
    }
    if !STATUS.busy() {
        let limit = super::engine::busy_threshold_ms();
        let elapsed = STATUS.elapsed_ms();
        if limit > 0 && elapsed >= limit {
            STATUS.set_busy();
            let name = STATUS
                .running
                .lock()
                .as_ref()
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            crate::warning!(
                "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the {} command. Script name is: {name}.",
                if STATUS.kind() == super::RunKind::Function { "FUNCTION KILL" } else { "SCRIPT KILL" }
            );
        }
    }
    Ok(VmState::Continue)
}
