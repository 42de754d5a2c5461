//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and
//! CLIENT. They act on the calling connection's session, or through the
//! client registry on connections owned by other workers.

use std::sync::atomic::Ordering::Relaxed;

use super::server_cmds::help_reply;
use super::{bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::None as N};
use crate::net::client::ClientShared;
use crate::server::Server;

/// The connection family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("ping", ping, N),
    bind("echo", echo, N),
    bind("hello", hello, N),
    bind("auth", auth, N),
    bind("select", select, N),
    bind("quit", quit, N),
    bind("reset", reset, N),
    bind("client|id", client_id, N),
    bind("client|setname", client_setname, N),
    bind("client|getname", client_getname, N),
    bind("client|list", client_list, N),
    bind("client|info", client_info, N),
    bind("client|kill", client_kill, N),
    bind("client|unblock", client_unblock, N),
    bind("client|reply", client_reply, N),
    bind("client|no-evict", client_no_evict, N),
    bind("client|help", client_help, N),
];

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn ping(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len() <= 2 && !ctx.out.resp3 && ctx.client.subs.any() {
        // In RESP2 subscriber mode a PING answers like a message.
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(args.get(1));
        return Ok(());
    }
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(args.get(1)),
        _ => {
            return Err(CmdError::raw(
                "ERR wrong number of arguments for 'ping' command",
            ))
        }
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: Args) -> CmdResult {
    ctx.out.bulk(args.get(1));
    Ok(())
}

/// Checks a password for the default user (ACL users come later).
fn check_password(srv: &Server, user: &[u8], pass: &[u8]) -> bool {
    let cfg = srv.config.read();
    user == b"default" && cfg.requirepass().is_none_or(|required| required == pass)
}

fn auth(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let (user, pass) = if args.len() == 2 {
        (&b"default"[..], args.get(1))
    } else {
        (args.get(1), args.get(2))
    };
    if args.len() == 2 && !ctx.srv.hot.auth_required.load(Relaxed) {
        return Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    if check_password(ctx.srv, user, pass) {
        ctx.client.authenticated = true;
        ctx.out.ok();
        Ok(())
    } else {
        crate::notice!("Client auth failure");
        Err(CmdError::raw(WRONGPASS))
    }
}

fn hello(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut proto = if ctx.out.resp3 { 3 } else { 2 };
    let mut i = 1;
    if args.len() >= 2 {
        let v = crate::util::num::parse_i64(args.get(1))
            .ok_or_else(|| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::raw("NOPROTO unsupported protocol version"));
        }
        proto = v;
        i = 2;
    }
    let mut setname: Option<&[u8]> = None;
    let mut auth: Option<(&[u8], &[u8])> = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args.is(i, "AUTH") && more >= 2 {
            auth = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if args.is(i, "SETNAME") && more >= 1 {
            setname = Some(args.get(i + 1));
            i += 2;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                args.text(i)
            )));
        }
    }
    if let Some((user, pass)) = auth {
        if !check_password(ctx.srv, user, pass) {
            return Err(CmdError::raw(WRONGPASS));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CmdError::raw(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = setname {
        validate_name(name)?;
        set_name(ctx, name);
    }
    ctx.out.resp3 = proto == 3;
    if let Some(sh) = shared_of(ctx) {
        sh.resp.store(proto as u32, Relaxed);
    }
    ctx.out.map(7);
    ctx.out.bulk(b"server");
    ctx.out.bulk(b"redis");
    ctx.out.bulk(b"version");
    ctx.out.bulk(crate::REDIS_VERSION.as_bytes());
    ctx.out.bulk(b"proto");
    ctx.out.int(proto);
    ctx.out.bulk(b"id");
    ctx.out.int(ctx.client.id as i64);
    ctx.out.bulk(b"mode");
    ctx.out.bulk(b"standalone");
    ctx.out.bulk(b"role");
    ctx.out.bulk(b"master");
    ctx.out.bulk(b"modules");
    ctx.out.array(0);
    Ok(())
}

fn select(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = super::keys::parse_db(ctx, args.get(1))?;
    ctx.client.db = n;
    if let Some(sh) = shared_of(ctx) {
        sh.db.store(n, Relaxed);
    }
    ctx.out.ok();
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

fn reset(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.client.multi = None;
    if ctx.client.subs.any() {
        ctx.srv
            .pubsub
            .forget_client(&mut ctx.client.subs, ctx.client.id);
    }
    if ctx.client.monitor {
        ctx.client.monitor = false;
        super::monitor::stop(ctx.srv, ctx.client.id);
    }
    if ctx.client.tracking.take().is_some() {
        if let Some(sh) = shared_of(ctx) {
            crate::tracking::TRACKING.disable(&sh);
        }
        ctx.client.caching = false;
    }
    super::multi::unwatch_all(ctx.srv, ctx.client);
    ctx.client.db = 0;
    ctx.client.reply = Default::default();
    ctx.out.resp3 = false;
    ctx.client.authenticated = !ctx.srv.hot.auth_required.load(Relaxed);
    if let Some(sh) = shared_of(ctx) {
        sh.db.store(0, Relaxed);
        sh.resp.store(2, Relaxed);
        *sh.name.lock() = None;
    }
    ctx.out.simple("RESET");
    Ok(())
}

pub(crate) fn shared_of(ctx: &Ctx) -> Option<std::sync::Arc<ClientShared>> {
    ctx.srv.clients.lock().get(&ctx.client.id).cloned()
}

fn client_id(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.out.int(ctx.client.id as i64);
    Ok(())
}

fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn set_name(ctx: &Ctx, name: &[u8]) {
    if let Some(sh) = shared_of(ctx) {
        *sh.name.lock() = if name.is_empty() {
            None
        } else {
            Some(name.to_vec())
        };
    }
}

fn client_setname(ctx: &mut Ctx, args: Args) -> CmdResult {
    validate_name(args.get(2))?;
    set_name(ctx, args.get(2));
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx, _args: Args) -> CmdResult {
    match shared_of(ctx).and_then(|sh| sh.name.lock().clone()) {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// CLIENT LIST `flags=`: `S` replica, `O` monitor, `P` Pub/Sub, `b` blocked,
/// `t`/`R`/`B` tracking, `U` unix socket, `e` no-evict, `N` none.
fn client_flags(c: &ClientShared) -> String {
    let mut f = String::new();
    if c.is_replica.load(Relaxed) {
        f.push('S');
    }
    if c.monitor.load(Relaxed) {
        f.push('O');
    }
    if is_pubsub(c) {
        f.push('P');
    }
    if c.waiter.lock().is_some() {
        f.push('b');
    }
    {
        let t = c.tracking.lock();
        if t.on {
            f.push('t');
        }
        if t.broken_redirect {
            f.push('R');
        }
        if t.bcast {
            f.push('B');
        }
    }
    if c.unix {
        f.push('U');
    }
    if c.no_evict.load(Relaxed) {
        f.push('e');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// A client's type for CLIENT LIST/KILL TYPE (no masters or replicas yet;
/// MONITOR clients are normal ones, as Redis shows them).
fn client_type(c: &ClientShared) -> &'static str {
    if c.is_replica.load(Relaxed) {
        "replica"
    } else if is_pubsub(c) {
        "pubsub"
    } else {
        "normal"
    }
}

/// The canonical name of a TYPE argument already checked to be valid.
fn client_type_name(t: &[u8]) -> &'static str {
    match t {
        b"normal" => "normal",
        b"pubsub" => "pubsub",
        b"master" => "master",
        _ => "replica",
    }
}

/// Subscribed to anything: CLIENT LIST/KILL type `pubsub`.
fn is_pubsub(c: &ClientShared) -> bool {
    c.subs.iter().any(|n| n.load(Relaxed) > 0)
}

/// One CLIENT LIST line, in Redis 7.0's field order.
pub fn client_line(srv: &Server, c: &ClientShared, now_ms: i64) -> String {
    let name = c.name.lock().clone().unwrap_or_default();
    let cmd = match c.last_cmd.load(Relaxed) {
        0 => "NULL".to_string(),
        id => srv
            .commands
            .list
            .get(id as usize - 1)
            .map(|c| c.fullname.clone())
            .unwrap_or_default(),
    };
    let qbuf = c.qbuf.load(Relaxed);
    let omem = c.omem.load(Relaxed);
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi=-1 qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user=default redir={} resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(&name),
        (now_ms - c.created_ms) / 1000,
        (now_ms - c.last_interaction_ms.load(Relaxed)) / 1000,
        client_flags(c),
        c.db.load(Relaxed),
        c.subs[0].load(Relaxed),
        c.subs[1].load(Relaxed),
        c.subs[2].load(Relaxed),
        qbuf,
        qbuf.max(16 * 1024) - qbuf,
        omem,
        qbuf + omem + 1024,
        cmd,
        {
            let t = c.tracking.lock();
            if t.on {
                t.redirect as i64
            } else {
                -1
            }
        },
        c.resp.load(Relaxed),
    )
}

fn client_list(ctx: &mut Ctx, args: Args) -> CmdResult {
    // Redis's parsing: `TYPE t` alone, or `ID id...` (ids that name no
    // client are skipped), nothing else.
    let mut ids: Option<Vec<u64>> = None;
    let mut want_type: Option<&str> = None;
    if args.len() == 4 && args.is(2, "TYPE") {
        let t = args.get(3).to_ascii_lowercase();
        if !matches!(
            t.as_slice(),
            b"normal" | b"master" | b"replica" | b"slave" | b"pubsub"
        ) {
            return Err(CmdError::err(format!(
                "Unknown client type '{}'",
                args.text(3)
            )));
        }
        want_type = Some(client_type_name(&t));
    } else if args.len() > 3 && args.is(2, "ID") {
        let mut v = Vec::new();
        for a in args.from(3) {
            let id =
                crate::util::num::parse_i64(a).ok_or_else(|| CmdError::err("Invalid client ID"))?;
            v.push(id as u64);
        }
        ids = Some(v);
    } else if args.len() != 2 {
        return Err(CmdError::Syntax);
    }
    let now = Server::now_ms();
    let mut clients: Vec<_> = ctx.srv.clients.lock().values().cloned().collect();
    clients.sort_by_key(|c| c.id);
    let mut text = String::new();
    for c in clients {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id))
            || want_type.is_some_and(|t| t != client_type(&c))
        {
            continue;
        }
        text.push_str(&client_line(ctx.srv, &c, now));
        text.push('\n');
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

fn client_info(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let Some(sh) = shared_of(ctx) else {
        return Err(CmdError::NoSuchKey);
    };
    let mut line = client_line(ctx.srv, &sh, Server::now_ms());
    line.push('\n');
    ctx.out.verbatim(line.as_bytes());
    Ok(())
}

fn kill_client(ctx: &mut Ctx, c: &ClientShared) {
    if c.id == ctx.client.id {
        // The caller still gets its reply, then the connection closes.
        ctx.client.close_after_reply = true;
        return;
    }
    c.kill.store(true, Relaxed);
    // Check: the worker looks at every kill flag, idle connections too.
    if let Some(mb) = ctx.srv.mailboxes.get().and_then(|m| m.get(c.worker)) {
        mb.send(crate::net::worker::Msg::Check);
    }
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's BLPOP-like
/// wait as if it timed out, or with an error. The owning worker replies.
fn client_unblock(ctx: &mut Ctx, args: Args) -> CmdResult {
    let id = args.int(2)?;
    let to = if args.len() > 3 {
        if args.is(3, "timeout") {
            crate::store::waiters::TIMED_OUT
        } else if args.is(3, "error") {
            crate::store::waiters::UNBLOCKED_ERROR
        } else {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    } else {
        crate::store::waiters::TIMED_OUT
    };
    let target = ctx.srv.clients.lock().get(&(id as u64)).cloned();
    let mut done = false;
    if let Some(c) = target {
        let w = c.waiter.lock().clone();
        if let Some(w) = w {
            if w.transition(crate::store::waiters::WAITING, to) {
                done = true;
                if let Some(mb) = ctx.srv.mailboxes.get().and_then(|m| m.get(c.worker)) {
                    mb.wake();
                }
            }
        }
    }
    ctx.out.int(done as i64);
    Ok(())
}

fn client_kill(ctx: &mut Ctx, args: Args) -> CmdResult {
    let all: Vec<_> = ctx.srv.clients.lock().values().cloned().collect();
    if args.len() == 3 {
        let addr = args.get(2);
        let Some(c) = all.iter().find(|c| c.addr.as_bytes() == addr) else {
            return Err(CmdError::err("No such client"));
        };
        ctx.out.ok();
        kill_client(ctx, c);
        return Ok(());
    }
    let mut id: Option<u64> = None;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut skipme = true;
    let mut want_type: Option<&str> = None;
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(CmdError::Syntax);
        }
        let v = args.get(i + 1);
        if args.is(i, "ID") {
            match crate::util::num::parse_i64(v) {
                Some(n) if n > 0 => id = Some(n as u64),
                _ => return Err(CmdError::err("client-id should be greater than 0")),
            }
        } else if args.is(i, "ADDR") {
            addr = Some(v);
        } else if args.is(i, "LADDR") {
            laddr = Some(v);
        } else if args.is(i, "TYPE") {
            let t = v.to_ascii_lowercase();
            if !matches!(
                t.as_slice(),
                b"normal" | b"master" | b"replica" | b"slave" | b"pubsub"
            ) {
                return Err(CmdError::err(format!(
                    "Unknown client type '{}'",
                    args.text(i + 1)
                )));
            }
            want_type = Some(client_type_name(&t));
        } else if args.is(i, "USER") {
            if v != b"default" {
                return Err(CmdError::err(format!(
                    "No such user '{}'",
                    args.text(i + 1)
                )));
            }
        } else if args.is(i, "SKIPME") {
            skipme = match v.to_ascii_lowercase().as_slice() {
                b"yes" => true,
                b"no" => false,
                _ => return Err(CmdError::Syntax),
            };
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let mut killed = 0;
    for c in &all {
        if id.is_some_and(|id| id != c.id)
            || addr.is_some_and(|a| a != c.addr.as_bytes())
            || laddr.is_some_and(|a| a != c.laddr.as_bytes())
            || want_type.is_some_and(|t| t != client_type(c))
            || (skipme && c.id == ctx.client.id)
        {
            continue;
        }
        kill_client(ctx, c);
        killed += 1;
    }
    // Like Redis, the killed clients are gone when the reply arrives: those
    // of this worker close before its replies are written (the Check is
    // handled in this loop turn); wait briefly for the other workers'.
    let here = crate::net::worker::current_worker();
    let others: Vec<u64> = all
        .iter()
        .filter(|c| c.kill.load(Relaxed) && Some(c.worker) != here && c.id != ctx.client.id)
        .map(|c| c.id)
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    while !others.is_empty() && std::time::Instant::now() < deadline {
        let clients = ctx.srv.clients.lock();
        if others.iter().all(|id| !clients.contains_key(id)) {
            break;
        }
        drop(clients);
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    ctx.out.int(killed);
    Ok(())
}

fn client_reply(ctx: &mut Ctx, args: Args) -> CmdResult {
    let r = &mut ctx.client.reply;
    if args.is(2, "ON") {
        r.off = false;
        r.skip = false;
        ctx.out.ok();
    } else if args.is(2, "OFF") {
        r.off = true;
    } else if args.is(2, "SKIP") {
        if !r.off {
            r.skip_next = true;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

fn client_no_evict(ctx: &mut Ctx, args: Args) -> CmdResult {
    let on = if args.is(2, "ON") {
        true
    } else if args.is(2, "OFF") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    ctx.client.no_evict = on;
    if let Some(sh) = shared_of(ctx) {
        sh.no_evict.store(on, Relaxed);
    }
    ctx.out.ok();
    Ok(())
}

fn client_help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    help_reply(
        ctx,
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
        ],
    );
    Ok(())
}
