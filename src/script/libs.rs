//! Libraries Redis adds to its Lua interpreter beyond Lua 5.1's own.
//!
//! `bit` (LuaBitOp's API: 32-bit operations on Lua numbers) is written here
//! in Rust: it is small, and the vendored Lua has no C libraries besides the
//! standard ones. `cjson`, `cmsgpack` and `struct` are not provided yet
//! (`docs/compatibility.md`).

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
