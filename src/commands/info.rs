//! INFO: Redis's sections and field names, so monitoring tools, client
//! libraries (which read `redis_version`) and the test suite parse it as
//! they parse Redis's.

use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use super::{Args, CmdResult, Ctx};
use crate::server::Server;

/// Sections that `all` adds to the default ones.
const ALL_EXTRA: &[&str] = &["commandstats", "latencystats"];
/// Every section, in Redis's output order whatever the request's order; the
/// default set is this without [`ALL_EXTRA`].
const ORDER: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

fn default_sections() -> impl Iterator<Item = &'static str> {
    ORDER.iter().copied().filter(|s| !ALL_EXTRA.contains(s))
}

/// INFO [section ...].
pub fn info(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut wanted: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        if !wanted.iter().any(|w| w == s) {
            wanted.push(s.to_string());
        }
    };
    if args.len() == 1 {
        default_sections().for_each(&mut add);
    }
    for a in args.from(1) {
        let s = String::from_utf8_lossy(a).to_ascii_lowercase();
        match s.as_str() {
            "default" => default_sections().for_each(&mut add),
            "all" | "everything" => ORDER.iter().for_each(|s| add(s)),
            other => add(other),
        }
    }
    let (keys, expires) = if wanted.iter().any(|w| w == "keyspace") {
        key_counts(ctx)
    } else {
        (Vec::new(), Vec::new())
    };
    let text = render(ctx.srv, &wanted, &keys, &expires);
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

fn render(srv: &Server, wanted: &[String], keys: &[usize], expires: &[usize]) -> String {
    let order = ORDER.iter().copied();
    let mut out = String::new();
    for sec in order {
        if !wanted.iter().any(|w| w == sec) {
            continue;
        }
        let body = match sec {
            "server" => server(srv),
            "clients" => clients(srv),
            "memory" => memory(srv),
            "persistence" => persistence(srv),
            "stats" => stats(srv),
            "replication" => srv.repl.info(srv),
            "cpu" => cpu(),
            "modules" => String::new(),
            "errorstats" => errorstats(srv),
            "cluster" => "cluster_enabled:0\r\n".to_string(),
            "keyspace" => keyspace(keys, expires),
            "commandstats" => commandstats(srv),
            _ => String::new(),
        };
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = match sec {
            "commandstats" => "Commandstats".to_string(),
            "errorstats" => "Errorstats".to_string(),
            "latencystats" => "Latencystats".to_string(),
            "cpu" => "CPU".to_string(),
            s => {
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        };
        let _ = write!(out, "# {title}\r\n{body}");
    }
    out
}

fn server(srv: &Server) -> String {
    let uptime = srv.started.elapsed().as_secs();
    let cfg = srv.config.read();
    let mut s = String::new();
    let _ = write!(
        s,
        "redis_version:{}\r\nferrite_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\nserver_threads:{}\r\n",
        crate::REDIS_VERSION,
        env!("CARGO_PKG_VERSION"),
        os_name(),
        std::process::id(),
        srv.run_id,
        srv.port.load(Relaxed),
        Server::now_us(),
        uptime,
        uptime / 86400,
        srv.hot.hz.load(Relaxed),
        cfg.get_int("hz"),
        crate::store::lru_clock(),
        srv.executable,
        srv.config_file.clone().unwrap_or_default(),
        srv.threads,
    );
    s
}

fn os_name() -> String {
    // SAFETY: uname fills the struct; fields are NUL-terminated C strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "Linux".into();
        }
        let f = |a: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(a.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

fn clients(srv: &Server) -> String {
    format!(
        "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:0\r\n",
        srv.connected_clients.load(Relaxed),
        srv.hot.maxclients.load(Relaxed),
        srv.blocked_clients.load(Relaxed),
        crate::tracking::TRACKING.clients.load(Relaxed),
    )
}

/// Bytes allocated and resident according to jemalloc, refreshed now.
pub fn jemalloc_stats() -> (u64, u64) {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    let allocated = stats::allocated::read().unwrap_or(0) as u64;
    let resident = stats::resident::read().unwrap_or(0) as u64;
    (allocated, resident)
}

/// Resident set size of the process from /proc.
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn human(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 {
        format!("{}B", b as u64)
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    }
}

fn memory(srv: &Server) -> String {
    let used = crate::util::alloc::used_memory() as u64;
    let peak = crate::util::alloc::note_peak() as u64;
    let (allocated, resident) = jemalloc_stats();
    let rss = rss_bytes();
    let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let (maxmemory, policy) = {
        let cfg = srv.config.read();
        (
            cfg.maxmemory(),
            cfg.get_enum("maxmemory-policy").to_string(),
        )
    };
    let m = &crate::script::MEMORY;
    let (scripts, vm_eval, vm_functions) =
        (m[0].load(Relaxed), m[1].load(Relaxed), m[2].load(Relaxed));
    let vm_total = vm_eval + vm_functions;
    format!(
        "used_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:0\r\nused_memory_startup:0\r\nused_memory_dataset:{used}\r\nused_memory_dataset_perc:100.00%\r\nallocator_allocated:{allocated}\r\nallocator_active:{resident}\r\nallocator_resident:{resident}\r\ntotal_system_memory:{}\r\nused_memory_lua:{vm_eval}\r\nused_memory_vm_eval:{vm_eval}\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:{scripts}\r\nused_memory_vm_functions:{vm_functions}\r\nused_memory_vm_total:{vm_total}\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{policy}\r\nallocator_frag_ratio:{:.2}\r\nallocator_frag_bytes:{}\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:{}\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:{}\r\nmem_clients_normal:0\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:jemalloc-5.3.0\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
        human(used),
        human(rss),
        human(peak),
        ratio(used, peak) * 100.0,
        total_memory(),
        human(maxmemory),
        ratio(resident, allocated),
        resident as i64 - allocated as i64,
        ratio(rss, used),
        rss as i64 - used as i64,
        srv.deliveries_in_flight(),
        srv.replica_output(),
    )
}

fn total_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages.max(0) as u64) * (size.max(0) as u64)
}

fn persistence(srv: &Server) -> String {
    format!(
        "loading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:-1\r\nrdb_current_bgsave_time_sec:-1\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:0\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\naof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        srv.dirty.load(Relaxed),
        (srv.bgsave_child.load(Relaxed) > 0) as u8,
        srv.lastsave.load(Relaxed),
        if srv.last_save_ok.load(Relaxed) { "ok" } else { "err" },
        srv.rdb_saves.load(Relaxed),
    )
}

fn stats(srv: &Server) -> String {
    let sum = |f: fn(&crate::server::WorkerStats) -> &std::sync::atomic::AtomicU64| {
        srv.sum_stat(|s| f(s).load(Relaxed))
    };
    let errors: u64 = srv
        .worker_stats
        .iter()
        .map(|w| w.errors.lock().values().sum::<u64>())
        .sum();
    format!(
        "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:{}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\nevicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:0\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:0\r\ntotal_writes_processed:0\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
        srv.total_connections.load(Relaxed),
        sum(|s| &s.commands),
        srv.inst_ops.load(Relaxed),
        sum(|s| &s.net_input_bytes),
        sum(|s| &s.net_output_bytes),
        srv.inst_input_bps.load(Relaxed) as f64 / 1024.0,
        srv.inst_output_bps.load(Relaxed) as f64 / 1024.0,
        srv.rejected_connections.load(Relaxed),
        sum(|s| &s.expired_keys),
        sum(|s| &s.evicted_keys),
        sum(|s| &s.keyspace_hits),
        sum(|s| &s.keyspace_misses),
        srv.pubsub.count(crate::pubsub::Kind::Channel),
        srv.pubsub.count(crate::pubsub::Kind::Pattern),
        srv.pubsub.count(crate::pubsub::Kind::Shard),
        crate::tracking::TRACKING.keys.load(Relaxed),
        crate::tracking::TRACKING.items.load(Relaxed),
        crate::tracking::TRACKING.prefixes(),
        errors,
    )
}

fn cpu() -> String {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let mut rc: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes the struct given.
    unsafe {
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut rc);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    format!(
        "used_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:{:.6}\r\nused_cpu_user_children:{:.6}\r\nused_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n",
        t(ru.ru_stime),
        t(ru.ru_utime),
        t(rc.ru_stime),
        t(rc.ru_utime),
        t(ru.ru_stime),
        t(ru.ru_utime),
    )
}

fn errorstats(srv: &Server) -> String {
    let mut all: std::collections::BTreeMap<String, u64> = Default::default();
    for w in &srv.worker_stats {
        for (k, v) in w.errors.lock().iter() {
            *all.entry(k.clone()).or_insert(0) += v;
        }
    }
    all.iter()
        .map(|(k, v)| format!("errorstat_{k}:count={v}\r\n"))
        .collect()
}

/// Keys and keys with a TTL per database, from the shards INFO locked (it
/// locks them all, so it also works inside a transaction holding some).
fn key_counts(ctx: &mut Ctx) -> (Vec<usize>, Vec<usize>) {
    let n = ctx.srv.keyspace.num_dbs();
    let mut keys = vec![0usize; n];
    let mut expires = vec![0usize; n];
    for (_, sh) in ctx.keys.locked().iter_mut() {
        for (i, db) in sh.dbs.iter().enumerate() {
            keys[i] += db.len();
            expires[i] += db.volatile_len();
        }
    }
    (keys, expires)
}

fn keyspace(keys: &[usize], expires: &[usize]) -> String {
    let mut out = String::new();
    for i in 0..keys.len() {
        if keys[i] > 0 {
            let _ = write!(
                out,
                "db{i}:keys={},expires={},avg_ttl=0\r\n",
                keys[i], expires[i]
            );
        }
    }
    out
}

fn commandstats(srv: &Server) -> String {
    let mut out = String::new();
    for c in &srv.commands.list {
        let calls = srv.sum_stat(|s| s.per_command[c.id].calls.load(Relaxed));
        let rejected = srv.sum_stat(|s| s.per_command[c.id].rejected.load(Relaxed));
        let failed = srv.sum_stat(|s| s.per_command[c.id].failed.load(Relaxed));
        if calls == 0 && rejected == 0 && failed == 0 {
            continue;
        }
        let usec = srv.sum_stat(|s| s.per_command[c.id].usec.load(Relaxed));
        let per = if calls > 0 {
            usec as f64 / calls as f64
        } else {
            0.0
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={rejected},failed_calls={failed}\r\n",
            c.fullname
        );
    }
    out
}
