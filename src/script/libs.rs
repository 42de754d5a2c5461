//! Libraries Redis adds to its Lua interpreter beyond Lua 5.1's own.
//!
//! `bit` (LuaBitOp's API: 32-bit operations on Lua numbers) and `cjson`
//! (lua-cjson 2.1's API; decoding by serde_json) are written here in Rust:
//! the vendored Lua has no C libraries besides the standard ones.
//! `cmsgpack` and `struct` are not provided yet (`docs/compatibility.md`).

use mlua::{Lua, MultiValue, Value};

/// LuaBitOp's conversion of a Lua number to a 32-bit integer: the number
/// is rounded to the nearest integer (ties to even) and wrapped modulo
/// 2^32, by adding 2^52 + 2^51 and keeping the low mantissa bits.
fn tobit(v: &Value) -> mlua::Result<i32> {
    let n = match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        Value::String(s) => {
            let text = s.to_str()?;
            text.trim()
                .parse::<f64>()
                .map_err(|_| mlua::Error::runtime("bad argument (number expected)"))?
        }
        _ => return Err(mlua::Error::runtime("bad argument (number expected)")),
    };
    Ok((n + 6_755_399_441_055_744.0).to_bits() as u32 as i32)
}

fn args32(args: &MultiValue) -> mlua::Result<Vec<i32>> {
    args.iter().map(tobit).collect()
}

fn first(args: &MultiValue) -> mlua::Result<i32> {
    tobit(args.front().unwrap_or(&Value::Nil))
}

fn second(args: &MultiValue) -> mlua::Result<u32> {
    Ok(tobit(args.get(1).unwrap_or(&Value::Nil))? as u32 & 31)
}

/// Registers `bit` as a global (the sandbox then exposes it read-only).
pub fn load(lua: &Lua) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    let f = |f: fn(&MultiValue) -> mlua::Result<f64>| {
        lua.create_function(move |_, args: MultiValue| f(&args))
    };
    bit.set("tobit", f(|a| Ok(first(a)? as f64))?)?;
    bit.set("bnot", f(|a| Ok(!first(a)? as f64))?)?;
    bit.set(
        "band",
        f(|a| Ok(args32(a)?.into_iter().fold(-1, |x, y| x & y) as f64))?,
    )?;
    bit.set(
        "bor",
        f(|a| Ok(args32(a)?.into_iter().fold(0, |x, y| x | y) as f64))?,
    )?;
    bit.set(
        "bxor",
        f(|a| Ok(args32(a)?.into_iter().fold(0, |x, y| x ^ y) as f64))?,
    )?;
    bit.set(
        "lshift",
        f(|a| Ok(((first(a)? as u32) << second(a)?) as i32 as f64))?,
    )?;
    bit.set(
        "rshift",
        f(|a| Ok(((first(a)? as u32) >> second(a)?) as i32 as f64))?,
    )?;
    bit.set("arshift", f(|a| Ok((first(a)? >> second(a)?) as f64))?)?;
    bit.set(
        "rol",
        f(|a| Ok((first(a)? as u32).rotate_left(second(a)?) as i32 as f64))?,
    )?;
    bit.set(
        "ror",
        f(|a| Ok((first(a)? as u32).rotate_right(second(a)?) as i32 as f64))?,
    )?;
    bit.set(
        "bswap",
        f(|a| Ok((first(a)? as u32).swap_bytes() as i32 as f64))?,
    )?;
    bit.set(
        "tohex",
        lua.create_function(|_, args: MultiValue| {
            let x = first(&args)? as u32;
            let n = match args.get(1) {
                None | Some(Value::Nil) => 8,
                Some(v) => tobit(v)?,
            };
            // i32::MIN has no negation: LuaBitOp (as Redis fixed it) takes
            // it as -8.
            let (upper, n) = if n < 0 {
                (true, n.saturating_neg())
            } else {
                (false, n)
            };
            let n = n.clamp(1, 8) as usize;
            let full = if upper {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            Ok(full[8 - n..].to_string())
        })?,
    )?;
    lua.globals().set("bit", bit)?;
    Ok(())
}

/// Registers `cjson` (lua-cjson 2.1's API, as bundled with Redis): encode
/// and decode with its rules (arrays are tables keyed 1..n, sparse ones
/// refused, numbers as `%.14g`, `/` escaped, `cjson.null`). Errors are
/// raised like lua-cjson's, prefixed with the caller's position.
pub fn load_cjson(lua: &Lua, private: &mlua::Table) -> mlua::Result<()> {
    let cjson = lua.create_table()?;
    let settings = std::rc::Rc::new(std::cell::Cell::new(Settings {
        encode_max_depth: 1000,
        decode_max_depth: 1000,
        encode_invalid_numbers: false,
    }));
    let p = private.clone();
    let s = settings.clone();
    cjson.set(
        "encode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return raise(lua, &p, "bad argument #1 to 'encode' (expected 1 argument)");
            }
            let mut out = Vec::new();
            match encode(&args[0], &mut out, 0, s.get()) {
                Ok(()) => Ok(Value::String(lua.create_string(&out)?)),
                Err(e) => raise(lua, &p, &e),
            }
        })?,
    )?;
    let p = private.clone();
    let s = settings.clone();
    cjson.set(
        "decode",
        lua.create_function(move |lua, args: MultiValue| {
            let text = match args.front() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                Some(Value::Integer(i)) => i.to_string().into_bytes(),
                Some(Value::Number(n)) => super::engine::number_text(*n).into_bytes(),
                _ => return raise(lua, &p, "bad argument #1 to 'decode' (string expected)"),
            };
            match serde_json::from_slice::<serde_json::Value>(&text) {
                Ok(v) => {
                    let limit = s.get().decode_max_depth;
                    let depth = nesting(&v);
                    if depth > limit {
                        return raise(
                            lua,
                            &p,
                            &format!(
                                "Found too many nested data structures ({}) at character 1",
                                limit + 1
                            ),
                        );
                    }
                    to_lua(lua, &v)
                }
                Err(e) => raise(
                    lua,
                    &p,
                    &format!(
                        "Expected value but found invalid token at character {}",
                        e.column()
                    ),
                ),
            }
        })?,
    )?;
    cjson.set(
        "null",
        Value::LightUserData(mlua::LightUserData(std::ptr::null_mut())),
    )?;
    cjson.set("_NAME", "cjson")?;
    cjson.set("_VERSION", "2.1.0")?;
    // Settings: with an argument they change, and all return the value.
    let s = settings.clone();
    cjson.set(
        "encode_max_depth",
        lua.create_function(move |_, n: Option<i64>| {
            let mut v = s.get();
            if let Some(n) = n {
                v.encode_max_depth = n.clamp(1, i32::MAX as i64) as usize;
                s.set(v);
            }
            Ok(v.encode_max_depth)
        })?,
    )?;
    let s = settings.clone();
    cjson.set(
        "decode_max_depth",
        lua.create_function(move |_, n: Option<i64>| {
            let mut v = s.get();
            if let Some(n) = n {
                v.decode_max_depth = n.clamp(1, i32::MAX as i64) as usize;
                s.set(v);
            }
            Ok(v.decode_max_depth)
        })?,
    )?;
    let s = settings.clone();
    cjson.set(
        "encode_invalid_numbers",
        lua.create_function(move |_, on: Option<Value>| {
            let mut v = s.get();
            if let Some(on) = on {
                v.encode_invalid_numbers = matches!(on, Value::Boolean(true))
                    || matches!(&on, Value::String(t) if t.as_bytes().as_ref() == b"on");
                s.set(v);
            }
            Ok(v.encode_invalid_numbers)
        })?,
    )?;
    // Accepted, without effect: Ferrite keeps lua-cjson's defaults there.
    for name in [
        "encode_sparse_array",
        "encode_number_precision",
        "encode_keep_buffer",
        "decode_invalid_numbers",
    ] {
        cjson.set(name, lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    }
    lua.globals().set("cjson", cjson)?;
    Ok(())
}

/// Raises `msg` as the script error lua-cjson's `luaL_error` gives: the
/// caller's position, then the text (through the error handler's
/// `priv.pending`, as the `redis` functions raise).
fn raise(lua: &Lua, private: &mlua::Table, msg: &str) -> mlua::Result<Value> {
    let at = lua
        .inspect_stack(1, |d| {
            let src = d.source();
            let line = d.current_line();
            match (src.short_src, line) {
                (Some(s), Some(l)) if l > 0 => format!("{s}:{l}: "),
                _ => String::new(),
            }
        })
        .unwrap_or_default();
    let t = lua.create_table()?;
    t.raw_set("err", format!("ERR {at}{msg}"))?;
    private.set("pending", t)?;
    Err(mlua::Error::runtime(msg.to_string()))
}

/// cjson's per-interpreter settings.
#[derive(Clone, Copy)]
struct Settings {
    encode_max_depth: usize,
    decode_max_depth: usize,
    encode_invalid_numbers: bool,
}

/// The deepest array/object nesting of a decoded document.
fn nesting(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(nesting).max().unwrap_or(0),
        serde_json::Value::Object(o) => 1 + o.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize, cfg: Settings) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                if !cfg.encode_invalid_numbers {
                    return Err("Cannot serialise number: must not be NaN or Inf".into());
                }
                let t: &[u8] = if n.is_nan() {
                    b"nan"
                } else if *n > 0.0 {
                    b"inf"
                } else {
                    b"-inf"
                };
                out.extend_from_slice(t);
                return Ok(());
            }
            out.extend_from_slice(super::engine::number_text(*n).as_bytes());
        }
        Value::String(s) => escape(&s.as_bytes(), out),
        Value::LightUserData(u) if u.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            if depth + 1 > cfg.encode_max_depth {
                return Err(format!(
                    "Cannot serialise, excessive nesting ({})",
                    depth + 1
                ));
            }
            encode_table(t, out, depth + 1, cfg)?;
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            ))
        }
    }
    Ok(())
}

/// The array length lua-cjson sees: `Some(max)` if every key is a
/// positive integer (`max` = the largest), `None` for an object.
fn array_length(t: &mlua::Table) -> Result<Option<(usize, usize)>, String> {
    let mut max = 0usize;
    let mut items = 0usize;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        if n < 1.0 || n.fract() != 0.0 || n > 1e15 {
            return Ok(None);
        }
        max = max.max(n as usize);
        items += 1;
    }
    Ok(Some((max, items)))
}

fn encode_table(
    t: &mlua::Table,
    out: &mut Vec<u8>,
    depth: usize,
    cfg: Settings,
) -> Result<(), String> {
    match array_length(t)? {
        Some((max, items)) if max > 0 => {
            if max > items * 2 && max > 10 {
                return Err("Cannot serialise table: excessively sparse array".into());
            }
            out.push(b'[');
            for i in 1..=max {
                if i > 1 {
                    out.push(b',');
                }
                let v: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                encode(&v, out, depth, cfg)?;
            }
            out.push(b']');
        }
        _ => {
            out.push(b'{');
            let mut first = true;
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair.map_err(|e| e.to_string())?;
                if !first {
                    out.push(b',');
                }
                first = false;
                match &k {
                    Value::String(s) => escape(&s.as_bytes(), out),
                    Value::Integer(i) => escape(i.to_string().as_bytes(), out),
                    Value::Number(n) => escape(super::engine::number_text(*n).as_bytes(), out),
                    other => {
                        return Err(format!(
                            "Cannot serialise {}: table key must be a number or string",
                            other.type_name()
                        ))
                    }
                }
                out.push(b':');
                encode(&v, out, depth, cfg)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// A JSON string as lua-cjson writes it: `"`, `\`, `/` and control
/// characters escaped, other bytes (UTF-8 or not) as they are.
fn escape(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn to_lua(lua: &Lua, v: &serde_json::Value) -> mlua::Result<Value> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => Value::LightUserData(mlua::LightUserData(std::ptr::null_mut())),
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        J::String(s) => Value::String(lua.create_string(s)?),
        J::Array(a) => {
            let t = lua.create_table_with_capacity(a.len(), 0)?;
            for (i, x) in a.iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, x)?)?;
            }
            Value::Table(t)
        }
        J::Object(o) => {
            let t = lua.create_table_with_capacity(0, o.len())?;
            for (k, x) in o {
                t.raw_set(k.as_str(), to_lua(lua, x)?)?;
            }
            Value::Table(t)
        }
    })
}
