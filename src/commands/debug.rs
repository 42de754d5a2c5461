//! DEBUG: the introspection and fault-injection hooks the Redis test suite
//! and operators rely on (SLEEP, RELOAD, DIGEST, OBJECT, PROTOCOL, ...).
//! Gated by `enable-debug-command` in the dispatcher, as in Redis. It runs
//! with every shard locked, so SLEEP and RELOAD stop all keyspace access.

use std::sync::atomic::Ordering::Relaxed;

use super::{Args, CmdError, CmdResult, Ctx};
use crate::store::{ValueRef, SHARDS};

/// `DEBUG <subcommand> ...`
pub fn debug(ctx: &mut Ctx, args: Args) -> CmdResult {
    let sub = args.get(1).to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"help", 2) => {
            super::server_cmds::help_reply(
                ctx,
                "DEBUG",
                &[
                    "DIGEST",
                    "    Output a hex signature representing the current DB content.",
                    "DIGEST-VALUE <key> [<key> ...]",
                    "    Output a hex signature of the values of all the specified keys.",
                    "LOG <message>",
                    "    Write <message> to the server log.",
                    "OBJECT <key>",
                    "    Show low level info about the `key` and associated value.",
                    "PROTOCOL <type>",
                    "    Reply with a test value of the specified type.",
                    "RELOAD [option ...]",
                    "    Save the RDB on disk and reload it back to memory.",
                    "POPULATE <count> [<prefix>] [<size>]",
                    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                    "    it is used instead of the 'key' prefix. These are not propagated to",
                    "    replicas. Cluster slots are not respected so keys not belonging to the",
                    "    current node can be created in cluster mode.",
                    "PAUSE-CRON <0|1>",
                    "    Stop periodic cron job processing.",
                    "SET-ACTIVE-EXPIRE <0|1>",
                    "    Setting it to 0 disables expiring keys in background.",
                    "SLEEP <seconds>",
                    "    Stop the server for <seconds>. Decimals allowed.",
                ],
            );
            Ok(())
        }
        (b"sleep", 3) => {
            let secs: f64 = std::str::from_utf8(args.get(2))
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
            }
            ctx.out.ok();
            Ok(())
        }
        (b"set-active-expire", 3) => {
            ctx.srv
                .hot
                .active_expire
                .store(args.get(2) != b"0", Relaxed);
            ctx.out.ok();
            Ok(())
        }
        (b"set-disable-deny-scripts", 3) => {
            crate::script::DENY_SCRIPTS_DISABLED.store(args.get(2) != b"0", Relaxed);
            ctx.out.ok();
            Ok(())
        }
        (b"pause-cron", 3) => {
            ctx.srv.hot.cron_paused.store(args.get(2) != b"0", Relaxed);
            ctx.out.ok();
            Ok(())
        }
        (b"change-repl-id", 2) | (b"quicklist-packed-threshold", 3) => {
            ctx.out.ok();
            Ok(())
        }
        (b"populate", 3..=5) => populate(ctx, args),
        (b"log", 3) => {
            crate::warning!("DEBUG LOG: {}", args.text(2));
            ctx.out.ok();
            Ok(())
        }
        (b"object", 3) => object(ctx, args.get(2)),
        (b"protocol", 3) => protocol(ctx, args),
        (b"digest", 2) => {
            let d = digest_all(ctx);
            ctx.out.simple(&d);
            Ok(())
        }
        (b"digest-value", _) => {
            let keys: Vec<&[u8]> = args.from(2).collect();
            ctx.out.array(keys.len());
            for k in keys {
                let mut acc = [0u8; 20];
                if let Some(e) = ctx.keys.read(k)? {
                    mix_entry(&mut acc, &e, false);
                }
                ctx.out.simple(&hex(&acc));
            }
            Ok(())
        }
        (b"reload", _) => reload(ctx, args),
        _ => Err(CmdError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            args.text(1)
        ))),
    }
}

fn object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    // A raw lookup: no expiry, no LRU touch and no hit/miss accounting,
    // as Redis's (an expired key not yet deleted is still shown).
    let (db, h) = ctx.keys.db(key)?;
    let found = db.get(key, h);
    let line = match found {
        None => return Err(CmdError::NoSuchKey),
        Some(e) => {
            let (enc, len) = match e.value() {
                ValueRef::Str(s, enc) => (enc.name(), s.len()),
                ValueRef::Obj(v) => (v.encoding_name(), 0),
            };
            format!(
                "Value at:0x{:x} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                e.key().as_ptr() as usize,
                enc,
                len + 1,
                e.lru(),
                crate::store::idle_seconds(e.lru())
            )
        }
    };
    ctx.out.simple(&line);
    Ok(())
}

fn protocol(ctx: &mut Ctx, args: Args) -> CmdResult {
    let out = &mut *ctx.out;
    match args.get(2).to_ascii_lowercase().as_slice() {
        b"string" => out.bulk(b"Hello World"),
        b"integer" => out.int(12345),
        #[allow(clippy::approx_constant)] // Redis replies exactly 3.141
        b"double" => out.double(3.141),
        b"bignum" => {
            let n = b"1234567999999999999999999999999999999";
            if out.resp3 {
                out.raw(b"(");
                out.raw(n);
                out.raw(b"\r\n");
            } else {
                out.bulk(n);
            }
        }
        b"null" => out.null(),
        b"array" | b"set" => {
            if args.is(2, "set") {
                out.set(3);
            } else {
                out.array(3);
            }
            for j in 0..3 {
                out.int(j);
            }
        }
        b"map" => {
            out.map(3);
            for j in 0..3 {
                out.int(j);
                out.boolean(j == 1);
            }
        }
        b"attrib" => {
            if out.resp3 {
                out.raw(b"|1\r\n");
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.int(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !out.resp3 {
                return Err(CmdError::err("RESP2 is not supported by this command"));
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.int(42);
            out.bulk(b"Some real reply following the push reply");
        }
        b"true" => out.boolean(true),
        b"false" => out.boolean(false),
        b"verbatim" => out.verbatim(b"This is a verbatim\nstring"),
        _ => {
            return Err(CmdError::err(
                "Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

/// 160 bits of hash of `data` (three seeded 64-bit hashes).
fn digest_bytes(data: &[u8]) -> [u8; 20] {
    use std::hash::BuildHasher;
    let mut h = [0u8; 20];
    for (i, chunk) in h.chunks_mut(8).enumerate() {
        let st = foldhash::fast::FixedState::with_seed(0x5EED_0000 + i as u64);
        let v = st.hash_one(data).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    h
}

fn xor_into(acc: &mut [u8; 20], d: [u8; 20]) {
    for (a, b) in acc.iter_mut().zip(d) {
        *a ^= b;
    }
}

/// A value's digest as Redis computes its shape: ordered collections (lists,
/// sorted sets) hash their elements in order, unordered ones (sets, hashes)
/// XOR per-element digests, so the digest depends on the contents only, not
/// on the encoding or the iteration order (DEBUG RELOAD and COPY keep it).
fn value_digest(v: ValueRef<'_>) -> [u8; 20] {
    use crate::store::Value;
    let mut buf: Vec<u8> = Vec::new();
    let mut acc = [0u8; 20];
    let frame = |buf: &mut Vec<u8>, x: &[u8]| {
        buf.extend_from_slice(&(x.len() as u64).to_le_bytes());
        buf.extend_from_slice(x);
    };
    match v {
        ValueRef::Str(s, _) => frame(&mut buf, s),
        ValueRef::Obj(Value::Str(s)) => frame(&mut buf, s),
        ValueRef::Obj(Value::List(l)) => {
            for e in l.iter() {
                frame(&mut buf, &e.to_vec());
            }
        }
        ValueRef::Obj(Value::ZSet(z)) => z.for_each(|m, sc| {
            frame(&mut buf, m);
            frame(&mut buf, crate::util::num::fmt_double(sc).as_bytes());
        }),
        ValueRef::Obj(Value::Set(st)) => st.for_each(|m| xor_into(&mut acc, digest_bytes(m))),
        ValueRef::Obj(Value::Hash(h)) => h.for_each(|f, val| {
            let mut pair = Vec::with_capacity(f.len() + val.len() + 8);
            frame(&mut pair, f);
            pair.extend_from_slice(val);
            xor_into(&mut acc, digest_bytes(&pair));
        }),
    }
    buf.extend_from_slice(&acc);
    digest_bytes(&buf)
}

/// Mixes one key's identity and value into a 160-bit accumulator. The
/// dataset digest XORs per-key digests, so it is independent of iteration
/// order, as Redis's is; it need only be stable for equal datasets.
fn mix_entry(acc: &mut [u8; 20], e: &crate::store::EntryRef, with_key: bool) {
    let mut input: Vec<u8> = Vec::new();
    if with_key {
        input.extend_from_slice(&(e.key().len() as u64).to_le_bytes());
        input.extend_from_slice(e.key());
    }
    input.push(e.value_type() as u8);
    input.extend_from_slice(&value_digest(e.value()));
    if let Some(x) = e.expire() {
        input.extend_from_slice(&x.to_le_bytes());
    }
    xor_into(acc, digest_bytes(&input));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn digest_all(ctx: &mut Ctx) -> String {
    let mut acc = [0u8; 20];
    let locked = ctx.keys.locked();
    for idx in 0..SHARDS {
        let Some(sh) = locked.shard(idx) else {
            continue;
        };
        for (dbi, db) in sh.dbs.iter().enumerate() {
            db.dict().for_each(|e| {
                let mut one = [0u8; 20];
                mix_entry(&mut one, &e, true);
                one[0] ^= dbi as u8;
                for (a, b) in acc.iter_mut().zip(one) {
                    *a ^= b;
                }
            });
        }
    }
    hex(&acc)
}

fn reload(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut save = true;
    let mut flush = true;
    for a in args.from(2) {
        match a.to_ascii_uppercase().as_slice() {
            b"NOSAVE" => save = false,
            b"NOFLUSH" => flush = false,
            b"MERGE" => flush = false,
            _ => {
                return Err(CmdError::err(
                    "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                ))
            }
        }
    }
    let srv = ctx.srv;
    if save {
        crate::persist::snapshot::save_locked(srv, ctx.keys.locked())
            .map_err(|e| CmdError::err(format!("Error trying to save the DB: {e}")))?;
    }
    if flush {
        super::keys::flush(ctx.keys, None, false);
    }
    crate::persist::snapshot::load_locked(srv, ctx.keys.locked())
        .map_err(|e| CmdError::err(format!("Error trying to load the RDB dump: {e}")))?;
    crate::notice!("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
    Ok(())
}

/// DEBUG POPULATE count [prefix] [size]: `prefix:N` = `value:N` (cut or
/// zero-padded to `size`) for every N below count whose key is free, as
/// the test suite uses it to fill a database quickly.
fn populate(ctx: &mut Ctx, args: Args) -> CmdResult {
    let count = args
        .int(2)
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| CmdError::err("value is out of range, must be positive"))?;
    let prefix = if args.len() > 3 { args.get(3) } else { b"key" };
    let size = if args.len() > 4 {
        let n = args
            .int(4)
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| CmdError::err("value is out of range, must be positive"))?;
        Some(n as usize)
    } else {
        None
    };
    let mut key = Vec::new();
    let mut val = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        ctx.keys.forget_memo();
        if ctx.keys.exists(&key)? {
            continue;
        }
        val.clear();
        val.extend_from_slice(b"value:");
        val.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if let Some(n) = size {
            val.resize(n, 0);
        }
        super::strings::store_string(ctx.keys, &key, &val, None)?;
    }
    ctx.out.ok();
    Ok(())
}
