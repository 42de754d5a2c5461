//! DUMP and RESTORE: a key's value in the RDB object serialization (with
//! the RDB version and a CRC64 footer), so values move between Ferrite and
//! Redis servers (`MIGRATE`-style tooling, `redis-cli --rdb` scripts).

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Keys as K};
use crate::persist::rdb::{self, RdbObject};
use crate::store::{Entry, NewValue, StrEnc, ValueRef};

/// DUMP/RESTORE bindings.
pub const COMMANDS: &[Binding] = &[bind("dump", dump, K), bind("restore", restore, K)];

fn dump(ctx: &mut Ctx, args: Args) -> CmdResult {
    let opts = crate::persist::snapshot::encoding_options(ctx.srv);
    let obj = match ctx.keys.read(args.get(1))? {
        None => None,
        Some(e) => match e.value() {
            ValueRef::Str(s, _) => Some(RdbObject::String(s.to_vec())),
            ValueRef::Obj(v) => crate::store::value::to_rdb(v),
        },
    };
    match obj {
        None => ctx.out.null(),
        Some(o) => {
            let payload = rdb::dump_payload(&o, &opts)
                .map_err(|e| CmdError::err(format!("DUMP failed: {e}")))?;
            ctx.out.bulk(&payload);
        }
    }
    Ok(())
}

fn restore(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut replace = false;
    let mut absttl = false;
    let mut idle = false;
    let mut idle_secs = 0i64;
    let mut freq = false;
    let mut freq_val = 0u8;
    let mut j = 4;
    while j < args.len() {
        let more = j + 1 < args.len();
        if args.is(j, "replace") {
            replace = true;
        } else if args.is(j, "absttl") {
            absttl = true;
        } else if args.is(j, "idletime") && more && !freq {
            let v = args.int(j + 1)?;
            if v < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = true;
            idle_secs = v;
            j += 1;
        } else if args.is(j, "freq") && more && !idle {
            let v = args.int(j + 1)?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = true;
            freq_val = v as u8;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let mut ttl = args.int(2)?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let key = args.get(1);
    if !replace && ctx.keys.exists(key)? {
        return Err(CmdError::raw("BUSYKEY Target key name already exists."));
    }
    let obj = match rdb::decode_dump_payload(args.get(3)) {
        Ok(o) => o,
        Err(rdb::RdbError::BadVersion(_)) | Err(rdb::RdbError::ChecksumMismatch { .. }) => {
            return Err(CmdError::err("DUMP payload version or checksum are wrong"))
        }
        Err(rdb::RdbError::Corrupt(m)) if m.contains("version or checksum") => {
            return Err(CmdError::err("DUMP payload version or checksum are wrong"))
        }
        Err(_) => return Err(CmdError::err("Bad data format")),
    };
    if ttl > 0 && !absttl {
        ttl = ttl.saturating_add(ctx.keys.now_ms);
        // Replicas get the absolute time (TTL rewritten, ABSTTL added).
        if ctx.srv.log.active() {
            let at = ttl.to_string();
            let mut argv: Vec<&[u8]> = args.from(0).collect();
            argv[2] = at.as_bytes();
            argv.push(b"ABSTTL");
            ctx.replicate_as(&argv);
        }
    }
    let expire = (ttl > 0).then_some(ttl);
    if expire.is_some_and(|t| t <= ctx.keys.now_ms) {
        // Already expired: the key is gone (REPLACE deletes the old one).
        if replace {
            ctx.keys.remove(key)?;
        }
        ctx.out.ok();
        return Ok(());
    }
    let lim = ctx.srv.hot.limits();
    let entry = match obj {
        RdbObject::String(s) => Entry::new(key, NewValue::Str(&s, StrEnc::for_new(&s)), expire),
        other => match crate::store::value::from_rdb(other, &lim) {
            Some(v) => Entry::new(key, NewValue::Obj(Box::new(v)), expire),
            None => return Err(CmdError::err("Bad data format")),
        },
    };
    ctx.keys.remove(key)?;
    ctx.keys.insert(key, entry)?;
    ctx.keys
        .notify(crate::config::notify::GENERIC, "restore", key);
    // OBJECT IDLETIME or FREQ then reports the given value, if the policy
    // keeps that kind of access data (Redis's objectSetLRUOrLFU).
    let field =
        crate::store::access::from_dump(idle.then_some(idle_secs as u64), freq.then_some(freq_val));
    if let Some(field) = field {
        if let Some(mut e) = ctx.keys.write(key)? {
            e.set_lru(field);
        }
    }
    ctx.out.ok();
    Ok(())
}
