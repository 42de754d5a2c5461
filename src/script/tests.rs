//! Unit tests of the conversions, the shebang parser and the `bit` library.

use mlua::{Lua, Value};

use super::convert::{lua_to_reply, reply_to_lua};
use super::engine::{number_text, parse_shebang};
use crate::resp::ReplyBuf;

/// Converts a RESP reply to Lua and back, as a script returning it would.
fn roundtrip(reply: &[u8], resp3_script: bool, resp3_client: bool) -> Vec<u8> {
    let lua = Lua::new();
    let (v, _) = reply_to_lua(&lua, reply).unwrap();
    let mut out = ReplyBuf::new();
    out.resp3 = resp3_client;
    lua_to_reply(&v, &mut out, resp3_script);
    out.buf
}

#[test]
fn resp2_replies_survive_a_script() {
    for r in [
        &b":42\r\n"[..],
        b"$3\r\nabc\r\n",
        b"+OK\r\n",
        b"-ERR bad thing\r\n",
        b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n",
        b"*0\r\n",
    ] {
        assert_eq!(
            roundtrip(r, false, false),
            r,
            "{}",
            String::from_utf8_lossy(r)
        );
    }
    // A null becomes false, which a RESP2 script returns as a null.
    assert_eq!(roundtrip(b"$-1\r\n", false, false), b"$-1\r\n");
    assert_eq!(roundtrip(b"*-1\r\n", false, false), b"$-1\r\n");
}

#[test]
fn resp3_types_map_to_redis_tables() {
    let lua = Lua::new();
    let (v, _) = reply_to_lua(&lua, b"%1\r\n$1\r\na\r\n:1\r\n").unwrap();
    let Value::Table(t) = v else { panic!() };
    let map: mlua::Table = t.get("map").unwrap();
    assert_eq!(map.get::<i64>("a").unwrap(), 1);
    let (v, _) = reply_to_lua(&lua, b",3.5\r\n").unwrap();
    let Value::Table(t) = v else { panic!() };
    assert_eq!(t.get::<f64>("double").unwrap(), 3.5);
    let (v, _) = reply_to_lua(&lua, b"_\r\n").unwrap();
    assert!(v.is_nil());
    let (v, _) = reply_to_lua(&lua, b"#t\r\n").unwrap();
    assert_eq!(v, Value::Boolean(true));
    // Back to a RESP3 client, and to a RESP2 one.
    assert_eq!(roundtrip(b",3.5\r\n", true, true), b",3.5\r\n");
    assert_eq!(roundtrip(b",3.5\r\n", true, false), b"$3\r\n3.5\r\n");
    assert_eq!(roundtrip(b"#t\r\n", true, false), b":1\r\n");
    assert_eq!(roundtrip(b"#f\r\n", true, true), b"#f\r\n");
    assert_eq!(
        roundtrip(b"=8\r\ntxt:abcd\r\n", true, true),
        b"=8\r\ntxt:abcd\r\n"
    );
    assert_eq!(roundtrip(b"(12345\r\n", true, true), b"(12345\r\n");
    assert_eq!(
        roundtrip(b"~1\r\n$1\r\nm\r\n", true, true),
        b"~1\r\n$1\r\nm\r\n"
    );
}

#[test]
fn numbers_become_integers_as_c_casts_them() {
    let lua = Lua::new();
    let mut out = ReplyBuf::new();
    lua_to_reply(&Value::Number(3.99), &mut out, false);
    lua_to_reply(&Value::Number(-0.9), &mut out, false);
    lua_to_reply(&Value::Number(1.5e20), &mut out, false);
    assert_eq!(out.buf, b":3\r\n:0\r\n:-9223372036854775808\r\n");
    drop(lua);
    assert_eq!(number_text(1e15), "1e+15");
    assert_eq!(number_text(0.1), "0.1");
    assert_eq!(number_text(42.0), "42");
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let lua = Lua::new();
    for r in [
        &b""[..],
        b"$5\r\nab\r\n",
        b"*2\r\n:1\r\n",
        b"?x\r\n",
        b":abc\r\n",
    ] {
        assert!(reply_to_lua(&lua, r).is_err());
    }
}

#[test]
fn shebang_flags_and_errors() {
    let (f, name, body) =
        parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1", false).unwrap();
    assert!(f.shebang && f.no_writes && f.allow_oom && !f.allow_stale);
    assert_eq!(name, None);
    assert_eq!(body, b"\nreturn 1");
    let (f, _, body) = parse_shebang(b"return 1", false).unwrap();
    assert!(!f.shebang);
    assert_eq!(body, b"return 1");
    let (_, name, _) = parse_shebang(b"#!lua name=lib\n", true).unwrap();
    assert_eq!(name.as_deref(), Some("lib"));
    let msg = |r: Result<_, crate::commands::CmdError>| r.err().unwrap().message().to_string();
    assert_eq!(
        msg(parse_shebang(b"#!lua flags=bad\n", false).map(|_| ())),
        "ERR Unexpected flag in script shebang: bad"
    );
    assert_eq!(
        msg(parse_shebang(b"#!luax\n", false).map(|_| ())),
        "ERR Unexpected engine in script shebang: #!luax"
    );
    assert_eq!(
        msg(parse_shebang(b"#!lua name=x\n", false).map(|_| ())),
        "ERR Unknown lua shebang option: name=x"
    );
}

#[test]
fn bit_library_matches_luabitop() {
    let lua = Lua::new();
    super::libs::load(&lua).unwrap();
    let eval = |code: &str| -> String { lua.load(code).eval::<String>().unwrap() };
    assert_eq!(eval("return tostring(bit.band(0xff, 0x0f))"), "15");
    assert_eq!(eval("return tostring(bit.bor(1, 2, 4))"), "7");
    assert_eq!(eval("return tostring(bit.bnot(0))"), "-1");
    assert_eq!(eval("return tostring(bit.lshift(1, 31))"), "-2147483648");
    assert_eq!(eval("return tostring(bit.rshift(-1, 28))"), "15");
    assert_eq!(eval("return tostring(bit.arshift(-256, 4))"), "-16");
    assert_eq!(eval("return tostring(bit.tobit(4294967297))"), "1");
    assert_eq!(eval("return bit.tohex(65535, -4)"), "FFFF");
    assert_eq!(eval("return bit.tohex(-1)"), "ffffffff");
    assert_eq!(eval("return tostring(bit.bswap(0x12345678))"), "2018915346");
    assert_eq!(eval("return tostring(bit.rol(0x12345678, 8))"), "878082066");
}

#[test]
fn unpack_rejects_huge_ranges_instead_of_crashing() {
    let interp = super::lua::new_interp(super::lua::Flavour::Eval).unwrap();
    let g: mlua::Table = interp.private.get("globals").unwrap();
    let run = |code: &str| -> Result<Vec<i64>, String> {
        let f = interp
            .lua
            .load(code)
            .set_environment(g.clone())
            .into_function()
            .unwrap();
        f.call::<Vec<i64>>(()).map_err(|e| e.to_string())
    };
    for code in [
        "return {unpack({1,2,3}, -2, 2147483647)}",
        "return {unpack({1,2,3}, 0, 2147483647)}",
        "return {unpack({1,2,3}, -2147483648, -2)}",
    ] {
        let e = run(code).unwrap_err();
        assert!(e.contains("too many results to unpack"), "{code}: {e}");
    }
    assert_eq!(run("return {unpack({1,2,3})}").unwrap(), vec![1, 2, 3]);
    assert_eq!(run("return {unpack({1,2,3}, 2)}").unwrap(), vec![2, 3]);
    assert_eq!(
        run("return {unpack({1,2,3}, -1, -2)}").unwrap(),
        Vec::<i64>::new()
    );
}

#[test]
fn cjson_encodes_and_decodes_as_lua_cjson() {
    let interp = super::lua::new_interp(super::lua::Flavour::Eval).unwrap();
    let g: mlua::Table = interp.private.get("globals").unwrap();
    let run = |code: &str| -> String {
        interp
            .lua
            .load(code)
            .set_environment(g.clone())
            .eval::<String>()
            .unwrap()
    };
    assert_eq!(run("return cjson.encode({1,2,3})"), "[1,2,3]");
    assert_eq!(run("return cjson.encode({})"), "{}");
    assert_eq!(run("return cjson.encode({[1]=1,[3]=3})"), "[1,null,3]");
    assert_eq!(run("return cjson.encode('a/b\"c\\n')"), "\"a\\/b\\\"c\\n\"");
    assert_eq!(run("return cjson.encode(1e20)"), "1e+20");
    assert_eq!(
        run("return cjson.encode({1,{a={true,false}}})"),
        "[1,{\"a\":[true,false]}]"
    );
    assert_eq!(
        run("return cjson.encode(string.char(127, 1))"),
        "\"\\u007f\\u0001\""
    );
    assert_eq!(
        run("return tostring(cjson.decode('null') == cjson.null)"),
        "true"
    );
    assert_eq!(
        run("return tostring(cjson.decode('{\"a\":[1,2,{\"b\":null}]}').a[2])"),
        "2"
    );
    assert_eq!(
        run("return tostring(pcall(cjson.encode, {[1]=1,[30]=3}))"),
        "false"
    );
    assert_eq!(run("return tostring(pcall(cjson.encode, 0/0))"), "false");
    assert_eq!(
        run("cjson.encode_invalid_numbers(true) return cjson.encode({0/0})"),
        "[nan]"
    );
    assert_eq!(
        run("cjson.decode_max_depth(1) return tostring(pcall(cjson.decode, '[[1]]'))"),
        "false"
    );
}
