//! Redis 7.0 functions: libraries loaded with FUNCTION LOAD, whose code
//! registers named functions (`redis.register_function`) called by FCALL.
//!
//! Libraries live in their own interpreter (as in Redis, apart from EVAL's),
//! on the engine thread. Loading runs the library's code once with
//! `redis.register_function` available; the functions it registers keep
//! their Lua closures. A library's code is kept for FUNCTION LIST WITHCODE.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use mlua::{Function, MultiValue, Table, Value};

use super::engine::{finish, numkeys, parse_shebang, run_function, Run, ScriptFlags};
use super::lua::{new_interp, Flavour, Interp};
use super::RunKind;
use crate::commands::{Args, CmdError, CmdResult, Ctx};
use crate::util::glob::glob_match;

/// One registered function.
pub struct FunctionDef {
    /// Its name.
    pub name: String,
    callback: Function,
    /// `description` given at registration.
    pub description: Option<String>,
    /// Its flags.
    pub flags: ScriptFlags,
}

/// One library.
pub struct Library {
    /// Its name (from `#!lua name=...`).
    pub name: String,
    /// Its code as loaded.
    pub code: Vec<u8>,
    /// Its functions, by name.
    pub functions: BTreeMap<String, FunctionDef>,
}

struct Functions {
    interp: Interp,
    libraries: BTreeMap<String, Library>,
    /// Function name → library name.
    index: BTreeMap<String, String>,
}

/// Libraries and functions loaded, for FUNCTION STATS, which runs on the
/// workers (it must answer while a function keeps the engine busy).
static COUNTS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

fn publish_counts(fs: &Functions) {
    COUNTS[0].store(fs.libraries.len(), Relaxed);
    COUNTS[1].store(fs.index.len(), Relaxed);
}

thread_local! {
    static FUNCTIONS: RefCell<Option<Functions>> = const { RefCell::new(None) };
}

/// Creates the functions interpreter (engine thread).
pub fn init() {
    reset();
}

fn reset() {
    match new_interp(Flavour::Function) {
        Ok(interp) => FUNCTIONS.with(|f| {
            *f.borrow_mut() = Some(Functions {
                interp,
                libraries: BTreeMap::new(),
                index: BTreeMap::new(),
            });
            COUNTS[0].store(0, Relaxed);
            COUNTS[1].store(0, Relaxed);
        }),
        Err(e) => crate::warning!("Failed creating the functions interpreter: {e}"),
    }
}

fn with<R>(f: impl FnOnce(&mut Functions) -> Result<R, CmdError>) -> Result<R, CmdError> {
    FUNCTIONS.with(|x| match x.borrow_mut().as_mut() {
        Some(fs) => f(fs),
        None => Err(CmdError::err("scripting is not available")),
    })
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Reads `redis.register_function`'s arguments: `(name, callback)` or a
/// table `{function_name=, callback=, flags=, description=}`.
fn registration(args: MultiValue) -> Result<FunctionDef, String> {
    let mut it = args.into_iter();
    let first = it.next().unwrap_or(Value::Nil);
    let (name, callback, flags, description) = match first {
        Value::Table(t) => {
            let mut name = None;
            let mut callback = None;
            let mut flags = ScriptFlags::default();
            let mut description = None;
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair.map_err(|e| e.to_string())?;
                let Value::String(k) = k else {
                    return Err(
                        "named argument key given to redis.register_function is not a string"
                            .into(),
                    );
                };
                match (&*k.to_string_lossy(), v) {
                    ("function_name", Value::String(s)) => name = Some(s.to_string_lossy()),
                    ("function_name", _) => return Err("function_name argument given to redis.register_function must be a string".into()),
                    ("description", Value::String(s)) => description = Some(s.to_string_lossy()),
                    ("description", _) => return Err("description argument given to redis.register_function must be a string".into()),
                    ("callback", Value::Function(f)) => callback = Some(f),
                    ("callback", _) => return Err("callback argument given to redis.register_function must be a function".into()),
                    ("flags", Value::Table(list)) => {
                        for f in list.sequence_values::<Value>() {
                            let Ok(Value::String(f)) = f else {
                                return Err("unknown flag given".into());
                            };
                            if !flags.set(&f.to_string_lossy()) {
                                return Err("unknown flag given".into());
                            }
                        }
                    }
                    ("flags", _) => return Err("flags argument to redis.register_function must be a table representing function flags".into()),
                    (other, _) => return Err(format!("unknown argument given to redis.register_function: {other}")),
                }
            }
            let name = name.ok_or("redis.register_function must get a function name argument")?;
            let callback =
                callback.ok_or("redis.register_function must get a callback argument")?;
            (name, callback, flags, description)
        }
        Value::String(s) => {
            let callback = match it.next() {
                Some(Value::Function(f)) => f,
                _ => return Err("wrong number of arguments to redis.register_function".into()),
            };
            if it.next().is_some() {
                return Err("wrong number of arguments to redis.register_function".into());
            }
            (s.to_string_lossy(), callback, ScriptFlags::default(), None)
        }
        _ => return Err("wrong number of arguments to redis.register_function".into()),
    };
    if !valid_name(&name) {
        // Redis 7.0's wording, "Library" included.
        return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    Ok(FunctionDef {
        name,
        callback,
        description,
        flags: ScriptFlags {
            shebang: true,
            ..flags
        },
    })
}

/// FUNCTION LOAD [REPLACE] code: returns the library's name.
pub fn load(code: &[u8], replace: bool) -> Result<String, CmdError> {
    if !code.starts_with(b"#!") {
        return Err(CmdError::err("Missing library metadata"));
    }
    let (_, name, body) = parse_shebang(code, true).map_err(|e| match e {
        CmdError::Msg(m) => CmdError::Msg(
            m.replace("script shebang", "library metadata")
                .replace("Unknown lua shebang option", "Invalid metadata value given")
                .into(),
        ),
        other => other,
    })?;
    let name = name.ok_or_else(|| CmdError::err("Library name was not given"))?;
    if !valid_name(&name) {
        return Err(CmdError::err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    with(|fs| {
        if fs.libraries.contains_key(&name) && !replace {
            return Err(CmdError::err(format!("Library '{name}' already exists")));
        }
        let lua = fs.interp.lua.clone();
        let globals: Table = fs
            .interp
            .private
            .get("globals")
            .map_err(|e| CmdError::err(e.to_string()))?;
        let chunk = lua
            .load(&body[..])
            .set_name("@user_function")
            .set_environment(globals)
            .into_function()
            .map_err(|e| {
                CmdError::err(format!(
                    "Error compiling function: {}",
                    super::engine::lua_error_text(&e)
                ))
            })?;
        let registered: RefCell<Vec<FunctionDef>> = RefCell::new(Vec::new());
        let failure: RefCell<Option<String>> = RefCell::new(None);
        let result = lua.scope(|scope| {
            let reg = scope.create_function(|_, args: MultiValue| {
                match registration(args) {
                    Ok(def) => registered.borrow_mut().push(def),
                    Err(e) => *failure.borrow_mut() = Some(e),
                }
                if let Some(e) = failure.borrow().as_ref() {
                    return Err(mlua::Error::runtime(e.clone()));
                }
                Ok(())
            })?;
            fs.interp.private.set("register_function", reg)?;
            // Through the runner, whose handler makes the error table.
            let r = fs.interp.runner.call::<(bool, Value)>(chunk);
            fs.interp.private.set("register_function", Value::Nil)?;
            r
        });
        if let Some(e) = failure.into_inner() {
            return Err(CmdError::err(format!(
                "Error registering functions: ERR {e}"
            )));
        }
        match result {
            Err(e) => {
                return Err(CmdError::err(format!(
                    "Error registering functions: {}",
                    super::engine::lua_error_text(&e)
                )))
            }
            Ok((false, Value::Table(t))) => {
                let msg: String = t.raw_get("err").unwrap_or_default();
                return Err(CmdError::err(format!("Error registering functions: {msg}")));
            }
            Ok(_) => {}
        }
        let defs = registered.into_inner();
        if defs.is_empty() {
            return Err(CmdError::err("No functions registered"));
        }
        let mut functions = BTreeMap::new();
        for d in defs {
            if functions.contains_key(&d.name) {
                return Err(CmdError::err(
                    "Error registering functions: ERR Function already exists in the library",
                ));
            }
            if let Some(owner) = fs.index.get(&d.name) {
                if owner != &name {
                    return Err(CmdError::err(format!("Function {} already exists", d.name)));
                }
            }
            functions.insert(d.name.clone(), d);
        }
        if let Some(old) = fs.libraries.remove(&name) {
            for f in old.functions.keys() {
                fs.index.remove(f);
            }
        }
        for f in functions.keys() {
            fs.index.insert(f.clone(), name.clone());
        }
        fs.libraries.insert(
            name.clone(),
            Library {
                name: name.clone(),
                code: code.to_vec(),
                functions,
            },
        );
        publish_counts(fs);
        Ok(())
    })?;
    Ok(name)
}

/// FUNCTION DELETE.
pub fn delete(name: &[u8]) -> CmdResult {
    let name = String::from_utf8_lossy(name).into_owned();
    with(|fs| {
        let lib = fs
            .libraries
            .remove(&name)
            .ok_or_else(|| CmdError::err("Library not found"))?;
        for f in lib.functions.keys() {
            fs.index.remove(f);
        }
        publish_counts(fs);
        Ok(())
    })
}

/// The functions interpreter's memory (INFO memory).
pub fn vm_memory() -> usize {
    FUNCTIONS.with(|f| {
        f.borrow()
            .as_ref()
            .map_or(0, |fs| fs.interp.lua.used_memory())
    })
}

/// FUNCTION FLUSH.
pub fn flush() {
    reset();
}

/// Counts for FUNCTION STATS: (libraries, functions).
pub fn counts() -> (usize, usize) {
    (COUNTS[0].load(Relaxed), COUNTS[1].load(Relaxed))
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
pub fn list(ctx: &mut Ctx, pattern: Option<&[u8]>, with_code: bool) -> CmdResult {
    with(|fs| {
        let libs: Vec<&Library> = fs
            .libraries
            .values()
            .filter(|l| pattern.is_none_or(|p| glob_match(p, l.name.as_bytes(), false)))
            .collect();
        let out = &mut *ctx.out;
        out.array(libs.len());
        for l in libs {
            out.map(if with_code { 4 } else { 3 });
            out.bulk(b"library_name");
            out.bulk(l.name.as_bytes());
            out.bulk(b"engine");
            out.bulk(b"LUA");
            out.bulk(b"functions");
            out.array(l.functions.len());
            for f in l.functions.values() {
                out.map(3);
                out.bulk(b"name");
                out.bulk(f.name.as_bytes());
                out.bulk(b"description");
                match &f.description {
                    Some(d) => out.bulk(d.as_bytes()),
                    None => out.null(),
                }
                out.bulk(b"flags");
                let names = f.flags.names();
                out.set(names.len());
                for n in names {
                    out.bulk(n.as_bytes());
                }
            }
            if with_code {
                out.bulk(b"library_code");
                out.bulk(&l.code);
            }
        }
        Ok(())
    })
}

/// FCALL / FCALL_RO.
pub fn fcall(ctx: &mut Ctx, args: Args, read_only: bool) -> CmdResult {
    let name = String::from_utf8_lossy(args.get(1)).into_owned();
    let nkeys = numkeys(args, 2)?;
    let (callback, flags, lua, private, runner) = with(|fs| {
        let lib = fs
            .index
            .get(&name)
            .and_then(|l| fs.libraries.get(l))
            .ok_or_else(|| CmdError::err("Function not found"))?;
        let f = &lib.functions[&name];
        Ok((
            f.callback.clone(),
            f.flags,
            fs.interp.lua.clone(),
            fs.interp.private.clone(),
            fs.interp.runner.clone(),
        ))
    })?;
    if read_only && !flags.no_writes {
        return Err(CmdError::err(
            "Can not execute a script with write flag using *_ro command.",
        ));
    }
    let table = |items: Vec<&[u8]>| -> mlua::Result<Value> {
        let t = lua.create_table_with_capacity(items.len(), 0)?;
        for (i, k) in items.into_iter().enumerate() {
            t.raw_set(i + 1, lua.create_string(k)?)?;
        }
        Ok(Value::Table(t))
    };
    let keys =
        table(args.from(3).take(nkeys).collect()).map_err(|e| CmdError::err(e.to_string()))?;
    let argv = table(args.from(3 + nkeys).collect()).map_err(|e| CmdError::err(e.to_string()))?;
    let run = Run {
        kind: RunKind::Function,
        name: name.clone(),
        flags,
        read_only: read_only || flags.no_writes,
    };
    let mut extra = MultiValue::new();
    extra.push_back(keys);
    extra.push_back(argv);
    let outcome = run_function(ctx, args, &lua, &private, &runner, &callback, run, extra)?;
    finish(ctx, &lua, outcome, &name)
}
