//! MIGRATE: moves keys to another server with DUMP payloads and RESTORE
//! (Redis's `migrateCommand`).
//!
//! Like Redis, MIGRATE is synchronous: it connects, sends AUTH/SELECT and
//! one RESTORE per key, waits for the replies (each step bounded by the
//! timeout), then deletes the keys it moved (unless COPY). It runs on the
//! script engine thread (`LockMode::Engine`) with every shard locked, so the
//! keys can't change while they travel and no worker's event loop waits on
//! the network (workers park key commands meanwhile, as Redis's clients
//! wait). The payloads are DUMP's, so the target may be Ferrite or Redis.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Engine as E};
use crate::config::notify as ev;
use crate::persist::rdb::{self, RdbObject};
use crate::store::ValueRef;

/// The MIGRATE binding.
pub const COMMANDS: &[Binding] = &[bind("migrate", migrate, E)];

/// MIGRATE's options after the five fixed arguments.
struct Options<'a> {
    copy: bool,
    replace: bool,
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    keys: Vec<&'a [u8]>,
}

fn parse(args: Args<'_>) -> Result<Options<'_>, CmdError> {
    let mut o = Options {
        copy: false,
        replace: false,
        auth: None,
        keys: Vec::new(),
    };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - j - 1;
        if args.is(j, "copy") {
            o.copy = true;
        } else if args.is(j, "replace") {
            o.replace = true;
        } else if args.is(j, "auth") {
            if more == 0 {
                return Err(CmdError::Syntax);
            }
            o.auth = Some((None, args.get(j + 1)));
            j += 1;
        } else if args.is(j, "auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            o.auth = Some((Some(args.get(j + 1)), args.get(j + 2)));
            j += 2;
        } else if args.is(j, "keys") {
            if !args.get(3).is_empty() {
                return Err(CmdError::err(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            o.keys = args.from(j + 1).collect();
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if o.keys.is_empty() {
        o.keys.push(args.get(3));
    }
    Ok(o)
}

fn migrate(ctx: &mut Ctx, args: Args) -> CmdResult {
    let opts = parse(args)?;
    // Replicas get a DEL per key that moved, and nothing else, even if
    // MIGRATE fails part-way.
    ctx.replicate_nothing();
    let db = args.int(4)?;
    let mut timeout = args.int(5)?;
    if timeout <= 0 {
        timeout = 1000;
    }
    let timeout = Duration::from_millis(timeout as u64);
    // The keys that exist, with their payloads and remaining TTLs.
    let enc = crate::persist::snapshot::encoding_options(ctx.srv);
    let now = ctx.keys.now_ms;
    let mut found: Vec<(&[u8], Vec<u8>, i64)> = Vec::new();
    for &key in &opts.keys {
        let Some(e) = ctx.keys.read(key)? else {
            continue;
        };
        let ttl = e.expire().map_or(0, |at| (at - now).max(1));
        let obj = match e.value() {
            ValueRef::Str(s, _) => Some(RdbObject::String(s.to_vec())),
            ValueRef::Obj(v) => crate::store::value::to_rdb(v),
        };
        let Some(obj) = obj else { continue };
        let payload = rdb::dump_payload(&obj, &enc)
            .map_err(|e| CmdError::err(format!("DUMP failed: {e}")))?;
        found.push((key, payload, ttl));
    }
    if found.is_empty() {
        ctx.out.simple("NOKEY");
        return Ok(());
    }
    // One pipeline: [AUTH] SELECT, then a RESTORE per key.
    let mut req = Vec::new();
    let mut replies = 0;
    if let Some((user, pass)) = opts.auth {
        let mut parts: Vec<&[u8]> = vec![b"AUTH"];
        parts.extend(user);
        parts.push(pass);
        req.extend(crate::resp::ReplyBuf::bulk_array(&parts));
        replies += 1;
    }
    let db_text = db.to_string();
    req.extend(crate::resp::ReplyBuf::bulk_array(&[
        b"SELECT",
        db_text.as_bytes(),
    ]));
    replies += 1;
    for (key, payload, ttl) in &found {
        let ttl = ttl.to_string();
        let mut parts: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), payload];
        if opts.replace {
            parts.push(b"REPLACE");
        }
        req.extend(crate::resp::ReplyBuf::bulk_array(&parts));
    }
    let host = args.text(1);
    let port = args.text(2);
    // Redis connects without blocking, so a refused connection shows up
    // as a failed write; an address that can't be used fails at once.
    let stream = connect(&host, &port, timeout).map_err(|e| {
        CmdError::raw(if e.kind() == std::io::ErrorKind::ConnectionRefused {
            "IOERR error or timeout writing to target instance"
        } else {
            "IOERR error or timeout connecting to the client"
        })
    })?;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(timeout));
    let _ = stream.set_read_timeout(Some(timeout));
    (&stream)
        .write_all(&req)
        .map_err(|_| CmdError::raw("IOERR error or timeout writing to target instance"))?;
    let mut reader = BufReader::new(&stream);
    let read_err = || CmdError::raw("IOERR error or timeout reading to target instance");
    for _ in 0..replies {
        let line = read_line(&mut reader).map_err(|_| read_err())?;
        if let Some(err) = line.strip_prefix('-') {
            return Err(CmdError::err(format!(
                "Target instance replied with error: {err}"
            )));
        }
    }
    let mut error = None;
    for (key, _, _) in &found {
        let line = read_line(&mut reader).map_err(|_| read_err())?;
        if let Some(err) = line.strip_prefix('-') {
            // Keys restored before an error still move (Redis deletes
            // those); the first error is the reply.
            error.get_or_insert(err.to_string());
            continue;
        }
        if !opts.copy && ctx.keys.remove(key)?.is_some() {
            ctx.keys.notify(ev::GENERIC, "del", key);
            ctx.keys.dirty += 1;
            ctx.replicate_as(&[b"DEL", key]);
        }
    }
    match error {
        Some(err) => Err(CmdError::err(format!(
            "Target instance replied with error: {err}"
        ))),
        None => {
            ctx.out.ok();
            Ok(())
        }
    }
}

fn connect(host: &str, port: &str, timeout: Duration) -> std::io::Result<TcpStream> {
    let addr = format!("{host}:{port}");
    let mut last = std::io::Error::other("no address");
    for a in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// One reply line (status, error or integer: what AUTH, SELECT and
/// RESTORE answer), without its CRLF.
fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let n = r.by_ref().take(64 * 1024).read_until(b'\n', &mut buf)?;
    if n == 0 || !buf.ends_with(b"\r\n") {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buf.truncate(buf.len() - 2);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
