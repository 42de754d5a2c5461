//! Conversions between RESP replies and Lua values, by Redis's rules.
//!
//! A command a script runs writes its reply in RESP (2, or 3 after
//! `redis.setresp(3)`) like for any client; [`reply_to_lua`] turns that into
//! the Lua value scripts see: integers become numbers, bulk strings strings,
//! a null `false` (RESP2) or `nil` (RESP3), status and error replies the
//! tables `{ok=...}` and `{err=...}`, and RESP3's maps, sets, doubles, big
//! numbers and verbatim strings the tables `{map=...}`, `{set=...}`,
//! `{double=...}`, `{big_number=...}`, `{verbatim_string={format, string}}`.
//! [`lua_to_reply`] is the way back, for the script's return value.

use mlua::{Lua, Table, Value};

use crate::resp::ReplyBuf;

/// Deepest nesting converted either way: deeper replies or tables are cut
/// (a self-referencing table would otherwise never end).
const MAX_DEPTH: usize = 1000;

/// A reply that is not well-formed RESP (never produced by our commands).
fn malformed() -> mlua::Error {
    mlua::Error::runtime("malformed reply from a command")
}

/// Reads a RESP reply at the start of `buf`: its Lua value and whether it
/// was an error reply.
pub fn reply_to_lua(lua: &Lua, buf: &[u8]) -> mlua::Result<(Value, bool)> {
    let mut pos = 0;
    let is_error = buf.first() == Some(&b'-');
    let v = parse(lua, buf, &mut pos, 0)?;
    Ok((v, is_error))
}

fn line<'b>(buf: &'b [u8], pos: &mut usize) -> mlua::Result<&'b [u8]> {
    let rest = buf.get(*pos..).ok_or_else(malformed)?;
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or_else(malformed)?;
    *pos += end + 2;
    Ok(&rest[..end])
}

fn number(text: &[u8]) -> mlua::Result<i64> {
    crate::util::num::parse_i64(text).ok_or_else(malformed)
}

fn bulk<'b>(buf: &'b [u8], pos: &mut usize, len: i64) -> mlua::Result<&'b [u8]> {
    let len = usize::try_from(len).map_err(|_| malformed())?;
    let data = buf.get(*pos..*pos + len).ok_or_else(malformed)?;
    *pos += len + 2;
    Ok(data)
}

fn one_field(lua: &Lua, name: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(name, v)?;
    Ok(Value::Table(t))
}

fn parse(lua: &Lua, buf: &[u8], pos: &mut usize, depth: usize) -> mlua::Result<Value> {
    if depth > MAX_DEPTH {
        return Err(mlua::Error::runtime("reached lua stack limit"));
    }
    let kind = *buf.get(*pos).ok_or_else(malformed)?;
    *pos += 1;
    let head = line(buf, pos)?;
    Ok(match kind {
        b'+' => one_field(lua, "ok", lua.create_string(head)?)?,
        b'-' => one_field(lua, "err", lua.create_string(head)?)?,
        b':' => Value::Number(number(head)? as f64),
        b'$' => match number(head)? {
            -1 => Value::Boolean(false),
            n => Value::String(lua.create_string(bulk(buf, pos, n)?)?),
        },
        b'*' | b'>' => match number(head)? {
            -1 => Value::Boolean(false),
            n => {
                let t = lua.create_table()?;
                for i in 1..=n {
                    t.raw_set(i, parse(lua, buf, pos, depth + 1)?)?;
                }
                Value::Table(t)
            }
        },
        b'%' => {
            let n = number(head)?;
            let t = lua.create_table()?;
            for _ in 0..n {
                let k = parse(lua, buf, pos, depth + 1)?;
                let v = parse(lua, buf, pos, depth + 1)?;
                if !k.is_nil() {
                    t.raw_set(k, v)?;
                }
            }
            one_field(lua, "map", t)?
        }
        b'~' => {
            let n = number(head)?;
            let t = lua.create_table()?;
            for _ in 0..n {
                let k = parse(lua, buf, pos, depth + 1)?;
                if !k.is_nil() {
                    t.raw_set(k, true)?;
                }
            }
            one_field(lua, "set", t)?
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(head == b"t"),
        b',' => {
            let text = std::str::from_utf8(head).map_err(|_| malformed())?;
            let d = match text {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                t => t.parse().map_err(|_| malformed())?,
            };
            one_field(lua, "double", d)?
        }
        b'(' => one_field(lua, "big_number", lua.create_string(head)?)?,
        b'=' => {
            let data = bulk(buf, pos, number(head)?)?;
            let (format, text) = if data.len() >= 4 && data[3] == b':' {
                (&data[..3], &data[4..])
            } else {
                (&b"txt"[..], data)
            };
            let inner = lua.create_table()?;
            inner.raw_set("format", lua.create_string(format)?)?;
            inner.raw_set("string", lua.create_string(text)?)?;
            one_field(lua, "verbatim_string", inner)?
        }
        b'|' => {
            // Attributes describe the reply that follows: skipped.
            let n = number(head)?;
            for _ in 0..n * 2 {
                parse(lua, buf, pos, depth + 1)?;
            }
            parse(lua, buf, pos, depth)?
        }
        _ => return Err(malformed()),
    })
}

/// Replaces CR and LF with spaces, as Redis does for status and error
/// texts a script gives (they would break the protocol).
fn one_line(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// Writes a script's return value as a reply (Redis's
/// `luaReplyToRedisReply`). `script_resp3` is the protocol the script chose
/// with `redis.setresp`, which decides how booleans are returned.
pub fn lua_to_reply(v: &Value, out: &mut ReplyBuf, script_resp3: bool) {
    write(v, out, script_resp3, 0)
}

fn field(t: &Table, name: &str) -> Value {
    t.raw_get(name).unwrap_or(Value::Nil)
}

fn write(v: &Value, out: &mut ReplyBuf, script_resp3: bool, depth: usize) {
    if depth > MAX_DEPTH {
        out.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp3 {
                out.boolean(*b);
            } else if *b {
                out.int(1);
            } else {
                out.null();
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(c_cast(*n)),
        Value::Table(t) => write_table(t, out, script_resp3, depth),
        _ => out.null(),
    }
}

/// C's `(long long)` cast of a double as x86-64 does it: out of range and
/// NaN give `i64::MIN` (Rust's `as` would saturate).
fn c_cast(n: f64) -> i64 {
    if n.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn write_table(t: &Table, out: &mut ReplyBuf, script_resp3: bool, depth: usize) {
    if let Value::String(e) = field(t, "err") {
        let msg = one_line(&e.as_bytes());
        out.raw(b"-");
        out.raw(msg.as_bytes());
        out.raw(b"\r\n");
        return;
    }
    if let Value::String(s) = field(t, "ok") {
        out.simple(&one_line(&s.as_bytes()));
        return;
    }
    match field(t, "double") {
        Value::Number(d) => return out.double(d),
        Value::Integer(i) => return out.double(i as f64),
        _ => {}
    }
    if let Value::String(s) = field(t, "big_number") {
        out.big_number(one_line(&s.as_bytes()).as_bytes());
        return;
    }
    if let Value::Table(v) = field(t, "verbatim_string") {
        if let (Value::String(f), Value::String(s)) = (field(&v, "format"), field(&v, "string")) {
            out.verbatim_with(&f.as_bytes(), &s.as_bytes());
            return;
        }
    }
    if let Value::Table(m) = field(t, "map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            write(k, out, script_resp3, depth + 1);
            write(v, out, script_resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(s) = field(t, "set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|(k, _)| k))
            .collect();
        out.set(keys.len());
        for k in &keys {
            write(k, out, script_resp3, depth + 1);
        }
        return;
    }
    // An array: elements 1, 2, ... up to the first nil.
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    for v in &items {
        write(v, out, script_resp3, depth + 1);
    }
}
