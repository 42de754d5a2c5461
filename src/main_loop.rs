//! Start-up, the main thread's loop and shutdown, in the order and with the
//! log lines of redis-server, because scripts, Sentinel and the Redis test
//! suite wait for them ("Ready to accept connections", the PID line).
//!
//! The main thread owns signals (SIGTERM/SIGINT are blocked in every other
//! thread and taken here with `sigtimedwait`) and the save points; workers
//! and the acceptor do everything else.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use crate::commands::table::CommandTable;
use crate::config::{CliAction, Config};
use crate::net::listener::{bind_tcp, bind_unix, run_acceptor, Listeners};
use crate::net::worker::Worker;
use crate::server::{Hot, Server, WorkerStats};
use crate::store::Keyspace;

/// What `-v` prints, in redis-server's `key=value` format.
pub fn version_line() -> String {
    format!(
        "Ferrite server v={} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ferrite-{}",
        crate::REDIS_VERSION,
        env!("CARGO_PKG_VERSION")
    )
}

fn usage() {
    eprintln!("Usage: ./ferrite [/path/to/redis.conf] [options] [-]");
    eprintln!("       ./ferrite - (read config from stdin)");
    eprintln!("       ./ferrite -v or --version");
    eprintln!("       ./ferrite -h or --help");
    eprintln!();
    eprintln!("Examples:");
    eprintln!("       ./ferrite (run the server with default conf)");
    eprintln!("       ./ferrite /etc/redis/6379.conf");
    eprintln!("       ./ferrite --port 7777");
    eprintln!("       ./ferrite /etc/myredis.conf --loglevel verbose");
}

static SERVER: OnceLock<Arc<Server>> = OnceLock::new();

/// The running server, for code without a handle on it (expiry deep in
/// the keyspace propagating a deletion).
pub fn server() -> Option<&'static Arc<Server>> {
    SERVER.get()
}

/// Runs the server; returns the process exit code.
pub fn run(args: Vec<String>) -> i32 {
    match crate::config::cli_action(&args) {
        Some(CliAction::Version) => {
            println!("{}", version_line());
            return 0;
        }
        Some(CliAction::Help) => {
            usage();
            return 1;
        }
        _ => {}
    }
    let cfg = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let config_file = args.first().filter(|a| !a.starts_with("--")).cloned();
    if let Err(e) = crate::log::set_file(&cfg.logfile()) {
        eprintln!("Can't open the log file: {e}");
        return 1;
    }
    if let Some(l) = crate::log::Level::parse(cfg.get_enum("loglevel")) {
        crate::log::set_level(l);
    }
    if cfg.daemonize() {
        daemonize();
    }
    crate::warning!("oO0OoO0OoO0Oo Ferrite is starting oO0OoO0OoO0Oo");
    crate::warning!(
        "Ferrite version={} (Redis {} compatible), bits=64, commit=00000000, modified=0, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        crate::REDIS_VERSION,
        std::process::id()
    );
    if config_file.is_none() {
        crate::warning!(
            "Warning: no config file specified, using the default config. In order to specify a config file use ferrite /path/to/redis.conf"
        );
    } else {
        crate::warning!("Configuration loaded");
    }
    if let Err(e) = std::env::set_current_dir(cfg.dir()) {
        crate::warning!("Can't chdir to '{}': {e}", cfg.dir());
        return 1;
    }

    let port = cfg.port();
    let tcp = match bind_tcp(&cfg.bind(), port, cfg.tcp_backlog() as i32) {
        Ok(l) => l,
        Err(e) => {
            crate::warning!("{e}");
            return 1;
        }
    };
    let unix = match cfg.unixsocket() {
        Some(path) if !path.is_empty() => match bind_unix(&path, cfg.unixsocketperm()) {
            Ok(l) => Some(l),
            Err(e) => {
                crate::warning!("{e}");
                return 1;
            }
        },
        _ => None,
    };
    if tcp.is_empty() && unix.is_none() {
        crate::warning!("Configured to not listen anywhere, exiting.");
        return 1;
    }

    let threads = match cfg.threads() {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    let commands = CommandTable::build();
    let ncmds = commands.list.len();
    let hot = Hot::default();
    hot.active_expire.store(true, Relaxed);
    let srv = Arc::new(Server {
        keyspace: Keyspace::new(cfg.databases()),
        hot,
        commands,
        // Two more: the script engine and the replication link threads.
        worker_stats: (0..threads + 2)
            .map(|_| Arc::new(WorkerStats::new(ncmds)))
            .collect(),
        engine: OnceLock::new(),
        repl: Default::default(),
        log: Default::default(),
        mailboxes: OnceLock::new(),
        clients: Default::default(),
        next_client_id: 1.into(),
        connected_clients: 0.into(),
        blocked_clients: 0.into(),
        watched_keys: 0.into(),
        pubsub: Default::default(),
        monitors: Default::default(),
        monitoring: 0.into(),
        total_connections: 0.into(),
        rejected_connections: 0.into(),
        dirty: 0.into(),
        lastsave: (Server::now_ms() / 1000).into(),
        last_save_ok: true.into(),
        rdb_saves: 0.into(),
        shutdown: false.into(),
        started: Instant::now(),
        started_unix_ms: Server::now_ms(),
        run_id: random_hex(40),
        threads,
        port: port.into(),
        config_file,
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        config: RwLock::new(cfg),
        inst_ops: 0.into(),
        inst_input_bps: 0.into(),
        inst_output_bps: 0.into(),
        new_tcp_listeners: Default::default(),
        bgsave_child: 0.into(),
        dirty_at_bgsave: 0.into(),
    });
    srv.refresh_hot(&srv.config.read());
    crate::store::update_lru_clock(Server::now_ms());
    let _ = SERVER.set(srv.clone());

    banner(&srv);
    crate::warning!("Server initialized");
    let load_start = Instant::now();
    match crate::persist::snapshot::load_at_startup(&srv) {
        Ok(true) => crate::notice!(
            "DB loaded from disk: {:.3} seconds",
            load_start.elapsed().as_secs_f64()
        ),
        Ok(false) => {}
        Err(e) => {
            crate::warning!("Fatal error loading the DB: {e}. Exiting.");
            return 1;
        }
    }

    block_signals();
    match crate::script::Engine::start(srv.clone()) {
        Ok(e) => {
            let _ = srv.engine.set(e);
        }
        Err(e) => {
            crate::warning!("Failed spawning the script engine: {e}");
            return 1;
        }
    }
    if let Err(e) = crate::repl::replica::start(srv.clone()) {
        crate::warning!("Failed spawning the replication thread: {e}");
        return 1;
    }
    if let Some((host, port)) = srv.config.read().replicaof() {
        srv.repl.set_master(&host, port);
    }
    let mut mailboxes = Vec::new();
    let mut handles = Vec::new();
    for i in 0..threads {
        let (w, mb) = match Worker::new(i, srv.clone()) {
            Ok(x) => x,
            Err(e) => {
                crate::warning!("Failed creating worker {i}: {e}");
                return 1;
            }
        };
        mailboxes.push(mb);
        let spawned = std::thread::Builder::new()
            .name(format!("ferrite-w{i}"))
            .spawn(move || w.run());
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                crate::warning!("Failed spawning worker {i}: {e}");
                return 1;
            }
        }
    }
    let _ = srv.mailboxes.set(mailboxes);
    let acc_srv = srv.clone();
    let listeners = Listeners { tcp, unix };
    if let Err(e) = std::thread::Builder::new()
        .name("ferrite-accept".into())
        .spawn(move || run_acceptor(acc_srv, listeners))
    {
        crate::warning!("Failed spawning the acceptor: {e}");
        return 1;
    }
    write_pidfile(&srv);
    crate::notice!("Ready to accept connections");
    main_thread_loop(&srv);
    0
}

fn banner(srv: &Server) {
    let cfg = srv.config.read();
    if cfg.get_bool("always-show-logo") {
        crate::log::write_raw(&format!(
            "\n  Ferrite {} (Redis {} compatible) 64 bit\n\n  Running in standalone mode\n  Port: {}\n  PID: {}\n\n",
            env!("CARGO_PKG_VERSION"),
            crate::REDIS_VERSION,
            srv.port.load(Relaxed),
            std::process::id()
        ));
    } else {
        crate::notice!("Running mode=standalone, port={}.", srv.port.load(Relaxed));
    }
}

/// `n` random hex digits (run and replication ids).
pub fn random_hex(n: usize) -> String {
    let mut s = String::new();
    while s.len() < n {
        s.push_str(&format!("{:016x}", crate::store::random_seed()));
    }
    s.truncate(n);
    s
}

fn write_pidfile(srv: &Server) {
    let cfg = srv.config.read();
    let path = match cfg.pidfile() {
        Some(p) if !p.is_empty() => p,
        _ if cfg.daemonize() => format!("/var/run/redis_{}.pid", srv.port.load(Relaxed)),
        _ => return,
    };
    if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
        crate::warning!("Failed to write PID file: {e}");
    }
}

fn daemonize() {
    // SAFETY: called before any thread is started, so fork is safe; the
    // parent exits immediately and the child carries on.
    unsafe {
        match libc::fork() {
            -1 => return,
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if devnull >= 0 {
            libc::dup2(devnull, 0);
            libc::dup2(devnull, 1);
            libc::dup2(devnull, 2);
            if devnull > 2 {
                libc::close(devnull);
            }
        }
    }
}

fn signal_set() -> libc::sigset_t {
    // SAFETY: sigset manipulation on a local, zero-initialised set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        set
    }
}

/// Blocks SIGTERM/SIGINT in this thread and every thread it starts later,
/// so that only the main thread's `sigtimedwait` receives them.
fn block_signals() {
    let set = signal_set();
    // SAFETY: valid set; ignoring SIGPIPE makes a write to a closed socket
    // an EPIPE error instead of killing the process.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

fn main_thread_loop(srv: &Arc<Server>) {
    let set = signal_set();
    let mut last_save_check = Instant::now();
    let mut rates = crate::server::RateSampler::default();
    loop {
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 100_000_000,
        };
        // SAFETY: valid set and timespec; a null info pointer is allowed.
        let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
        if sig == libc::SIGTERM || sig == libc::SIGINT {
            let name = if sig == libc::SIGTERM {
                "SIGTERM"
            } else {
                "SIGINT"
            };
            crate::warning!("Received {name} scheduling shutdown...");
            shutdown_from_signal(srv);
        }
        rates.sample(srv);
        crate::persist::snapshot::reap_bgsave(srv);
        if last_save_check.elapsed() >= Duration::from_secs(1) {
            last_save_check = Instant::now();
            crate::persist::snapshot::check_save_points(srv);
        }
    }
}

fn shutdown_from_signal(srv: &Arc<Server>) {
    crate::warning!("User requested shutdown...");
    crate::persist::snapshot::kill_bgsave(srv);
    let has_save_points = !srv.config.read().save_points().is_empty();
    if has_save_points {
        crate::notice!("Saving the final RDB snapshot before exiting.");
        let mut locked = srv.keyspace.lock_all();
        if crate::persist::snapshot::save_locked(srv, &mut locked).is_err() {
            crate::warning!("Error trying to save the DB, can't exit.");
            return;
        }
    }
    finish_shutdown(srv);
}

/// Final steps of a shutdown once data is saved: stop serving, remove the
/// pid file and unix socket, say goodbye in the log and exit.
pub fn finish_shutdown(srv: &Server) -> ! {
    srv.shutdown.store(true, Relaxed);
    let cfg = srv.config.read();
    if let Some(p) = cfg.pidfile().filter(|p| !p.is_empty()) {
        crate::notice!("Removing the pid file.");
        let _ = std::fs::remove_file(p);
    }
    if let Some(p) = cfg.unixsocket().filter(|p| !p.is_empty()) {
        let _ = std::fs::remove_file(p);
    }
    crate::warning!("Ferrite is now ready to exit, bye bye...");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process at once, as Redis's exit does in its
    // single thread: the listeners close before the client that asked sees
    // its connection drop, and no other thread (a script the engine is
    // still running, say) can hold the exit back.
    unsafe { libc::_exit(0) }
}
