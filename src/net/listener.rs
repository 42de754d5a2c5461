//! Accepting connections and handing them to workers round-robin.
//!
//! One acceptor thread owns the TCP and unix listeners. It applies
//! `maxclients` (replying with Redis's error before closing), sets
//! `TCP_NODELAY` and keepalive, assigns the client id and passes the socket to
//! the next worker's mailbox. Accepting is not on the per-command hot path, so
//! one thread for it keeps the workers' loops simple and the client ids
//! ordered, as Redis's are.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use mio::net::{TcpListener, UnixListener};
use mio::{Events, Interest, Poll, Token};

use super::client::{ClientShared, Conn};
use super::worker::Msg;
use crate::server::Server;

/// The sockets to accept on.
pub struct Listeners {
    /// TCP listeners (one per bind address).
    pub tcp: Vec<TcpListener>,
    /// The unix socket listener, if `unixsocket` is set.
    pub unix: Option<UnixListener>,
}

/// Binds every address of `bind` on `port` like Redis: an address prefixed
/// with `-` is optional (a failure to bind it is not fatal), `*` means every
/// IPv4 address and `::*` every IPv6 address.
pub fn bind_tcp(bind: &[String], port: u16, backlog: i32) -> Result<Vec<TcpListener>, String> {
    let mut out = Vec::new();
    if port == 0 {
        return Ok(out);
    }
    for b in bind {
        let (optional, addr) = match b.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, b.as_str()),
        };
        let ip = match addr {
            "*" => "0.0.0.0".to_string(),
            "::*" => "::".to_string(),
            other => other.to_string(),
        };
        let sa: SocketAddr = match format!("{ip}:{port}")
            .parse()
            .or_else(|_| format!("[{ip}]:{port}").parse())
        {
            Ok(sa) => sa,
            Err(_) => {
                if optional {
                    continue;
                }
                return Err(format!("Failed listening on port {port} (tcp), aborting. Invalid bind address '{addr}'"));
            }
        };
        match listen_tcp(sa, backlog) {
            Ok(l) => out.push(l),
            Err(e) => {
                let unsupported = matches!(
                    e.raw_os_error(),
                    Some(libc::EADDRNOTAVAIL)
                        | Some(libc::EAFNOSUPPORT)
                        | Some(libc::EPROTONOSUPPORT)
                );
                if optional && unsupported {
                    continue;
                }
                return Err(format!(
                    "Warning: Could not create server TCP listening socket {addr}:{port}: {e}\nFailed listening on port {port} (tcp), aborting."
                ));
            }
        }
    }
    Ok(out)
}

fn listen_tcp(sa: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::for_address(sa), Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    if sa.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&sa.into())?;
    s.listen(backlog)?;
    Ok(TcpListener::from_std(s.into()))
}

/// Binds the unix socket, replacing a stale file, with `unixsocketperm`.
pub fn bind_unix(path: &str, perm: u32) -> Result<UnixListener, String> {
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path).map_err(|e| format!("Failed opening Unix socket: {e}"))?;
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm));
    }
    Ok(l)
}

/// Runs the accept loop until shutdown.
pub fn run_acceptor(srv: Arc<Server>, mut listeners: Listeners) {
    let Ok(mut poll) = Poll::new() else {
        crate::warning!("Failed creating the acceptor event loop");
        return;
    };
    for (i, l) in listeners.tcp.iter_mut().enumerate() {
        if let Err(e) = poll.registry().register(l, Token(i), Interest::READABLE) {
            crate::warning!("Failed registering listener: {e}");
        }
    }
    let unix_token = Token(usize::MAX - 1);
    if let Some(l) = listeners.unix.as_mut() {
        if let Err(e) = poll.registry().register(l, unix_token, Interest::READABLE) {
            crate::warning!("Failed registering unix listener: {e}");
        }
    }
    let mut events = Events::with_capacity(64);
    let mut next_worker = 0usize;
    let keepalive = srv.config.read().get_int("tcp-keepalive");
    while !srv.shutdown.load(Relaxed) {
        if let Some(fresh) = srv.new_tcp_listeners.lock().take() {
            for l in listeners.tcp.iter_mut() {
                let _ = poll.registry().deregister(l);
            }
            listeners.tcp = fresh;
            for (i, l) in listeners.tcp.iter_mut().enumerate() {
                if let Err(e) = poll.registry().register(l, Token(i), Interest::READABLE) {
                    crate::warning!("Failed registering listener: {e}");
                }
            }
        }
        if poll
            .poll(&mut events, Some(Duration::from_millis(100)))
            .is_err()
        {
            continue;
        }
        for ev in events.iter() {
            loop {
                let accepted = if ev.token() == unix_token {
                    match listeners.unix.as_ref().map(|l| l.accept()) {
                        Some(Ok((s, _))) => Ok((Conn::Unix(s), None)),
                        Some(Err(e)) => Err(e),
                        None => break,
                    }
                } else {
                    match listeners.tcp.get(ev.token().0).map(|l| l.accept()) {
                        Some(Ok((s, peer))) => Ok((Conn::Tcp(s), Some(peer))),
                        Some(Err(e)) => Err(e),
                        None => break,
                    }
                };
                match accepted {
                    Ok((conn, peer)) => {
                        hand_out(&srv, conn, peer, keepalive, &mut next_worker);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        crate::warning!("Accepting client connection: {e}");
                        break;
                    }
                }
            }
        }
    }
}

fn hand_out(
    srv: &Arc<Server>,
    mut conn: Conn,
    peer: Option<SocketAddr>,
    keepalive: i64,
    next: &mut usize,
) {
    let maxclients = srv.hot.maxclients.load(Relaxed) as usize;
    if srv.connected_clients.load(Relaxed) >= maxclients {
        let msg = b"-ERR max number of clients reached\r\n";
        // Best effort, as Redis: the socket is new so the write normally fits.
        let _ = match &mut conn {
            Conn::Tcp(s) => s.write(msg),
            Conn::Unix(s) => s.write(msg),
        };
        srv.rejected_connections.fetch_add(1, Relaxed);
        return;
    }
    // Protected mode: with no password, only loopback and unix clients.
    let loopback = peer.is_none_or(|p| match p.ip() {
        std::net::IpAddr::V4(ip) => ip == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(ip) => ip == std::net::Ipv6Addr::LOCALHOST,
    });
    if !loopback && srv.hot.protected_mode.load(Relaxed) && !srv.hot.auth_required.load(Relaxed) {
        let _ = match &mut conn {
            Conn::Tcp(s) => s.write(PROTECTED_MODE_ERR),
            Conn::Unix(s) => s.write(PROTECTED_MODE_ERR),
        };
        srv.rejected_connections.fetch_add(1, Relaxed);
        return;
    }
    let (addr, laddr) = match &conn {
        Conn::Tcp(s) => {
            let _ = s.set_nodelay(true);
            if keepalive > 0 {
                let sock = socket2::SockRef::from(s);
                let ka =
                    socket2::TcpKeepalive::new().with_time(Duration::from_secs(keepalive as u64));
                let _ = sock.set_tcp_keepalive(&ka);
            }
            (
                peer.map(fmt_addr).unwrap_or_default(),
                s.local_addr().map(fmt_addr).unwrap_or_default(),
            )
        }
        Conn::Unix(_) => {
            let path = srv.config.read().get_str("unixsocket").to_string();
            (format!("{path}:0"), format!("{path}:0"))
        }
    };
    let Some(mailboxes) = srv.mailboxes.get() else {
        return;
    };
    let worker = *next % mailboxes.len();
    *next = next.wrapping_add(1);
    let id = srv.next_client_id.fetch_add(1, Relaxed);
    let shared = Arc::new(ClientShared::new(
        id,
        worker,
        addr,
        laddr,
        conn.fd(),
        conn.is_unix(),
    ));
    srv.clients.lock().insert(id, shared.clone());
    srv.connected_clients.fetch_add(1, Relaxed);
    srv.total_connections.fetch_add(1, Relaxed);
    mailboxes[worker].send(Msg::NewClient(conn, shared));
}

/// Redis's reply to a non-loopback client in protected mode.
const PROTECTED_MODE_ERR: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// `ip:port` as Redis prints it (IPv6 without brackets).
fn fmt_addr(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
        SocketAddr::V6(v) => format!("{}:{}", v.ip(), v.port()),
    }
}
