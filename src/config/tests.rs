//! Unit tests. Expected strings were checked against redis-server 7.0.15.

use super::load::{absolute_path_for_test, options_text_for_test};
use super::parse::{memtoull, repr, split_args, string2d, string2ll, strtoll};
use super::registry::{HIDDEN, IMMUTABLE, PARAMS};
use super::value::{parse_value, SetCtx};
use super::*;
use std::path::PathBuf;

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn pairs(kv: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    kv.iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

fn get1(cfg: &Config, name: &str) -> String {
    String::from_utf8(cfg.value_bytes(name).unwrap_or_default()).unwrap_or_default()
}

fn fatal(line: usize, text: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{reason}"
    )
}

fn err_text(args: &[&str]) -> String {
    match Config::from_args(&s(args)) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

/// A scratch directory unique to one test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("ferrite-config-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    fn file(&self, name: &str, body: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, body).expect("write temp file");
        p.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ----- lexing -----------------------------------------------------------------------

#[test]
fn split_args_quoting() {
    let w = |l: &str| {
        split_args(l.as_bytes()).map(|v| {
            v.into_iter()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(w("  save 900   1\t"), Some(s(&["save", "900", "1"])));
    assert_eq!(
        w(r#"requirepass "a b\n\t\x41\"\\""#),
        Some(s(&["requirepass", "a b\n\tA\"\\"]))
    );
    assert_eq!(w(r#"x "\xzz""#), Some(s(&["x", "xzz"])));
    assert_eq!(w(r"x 'it\'s \n'"), Some(s(&["x", "it's \\n"])));
    assert_eq!(w(r#"logfile """#), Some(s(&["logfile", ""])));
    assert_eq!(w("logfile ''"), Some(s(&["logfile", ""])));
    assert_eq!(w(r#"a"b c"d"#), None); // closing quote glued to text
    assert_eq!(w(r#"ab"c d" e"#), Some(s(&["abc d", "e"])));
    assert_eq!(w(r#"port "abc"#), None);
    assert_eq!(w("port 'abc"), None);
    assert_eq!(w(""), Some(vec![]));
    assert_eq!(
        split_args(b"x \"\\x00\\xff\""),
        Some(vec![b"x".to_vec(), vec![0, 0xff]])
    );
}

#[test]
fn repr_round_trips_every_byte() {
    let all: Vec<u8> = (0..=255u8).collect();
    let quoted = repr(&all);
    assert_eq!(split_args(quoted.as_bytes()), Some(vec![all]));
    assert_eq!(repr(b"a b\"c\\d\x01\xc3"), r#""a b\"c\\d\x01\xc3""#);
}

#[test]
fn integer_parsers() {
    assert_eq!(string2ll(b"0"), Some(0));
    assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
    for bad in [
        "",
        "-",
        "-0",
        "007",
        "+5",
        " 5",
        "5 ",
        "9223372036854775808",
        "1e3",
        "0x10",
    ] {
        assert_eq!(string2ll(bad.as_bytes()), None, "{bad}");
    }
    let r = strtoll(b" +17", 10);
    assert_eq!((r.value, r.complete), (17, true));
    assert!(!strtoll(b"3x", 10).complete);
    assert!(strtoll(b"", 10).complete);
    assert!(!strtoll(b" ", 10).complete);
    assert!(strtoll(b"99999999999999999999", 10).overflow);
    assert_eq!(strtoll(b"0755", 8).value, 0o755);
}

#[test]
fn memory_units() {
    assert_eq!(memtoull(b"1gb"), Some(1 << 30));
    assert_eq!(memtoull(b"1GB"), Some(1 << 30));
    assert_eq!(memtoull(b"100mb"), Some(100 << 20));
    assert_eq!(memtoull(b"1k"), Some(1000));
    assert_eq!(memtoull(b"1kb"), Some(1024));
    assert_eq!(memtoull(b"2m"), Some(2_000_000));
    assert_eq!(memtoull(b"3g"), Some(3_000_000_000));
    assert_eq!(memtoull(b"7b"), Some(7));
    assert_eq!(memtoull(b"12345"), Some(12345));
    assert_eq!(memtoull(b""), Some(0)); // as Redis: CONFIG SET maxmemory "" is 0
    assert_eq!(memtoull(b"gb"), Some(0));
    for bad in ["-1", "-1gb", "1.5gb", "1x", " 1", "+1", "1 ", "1gbb", "1tb"] {
        assert_eq!(memtoull(bad.as_bytes()), None, "{bad}");
    }
    // Overflow behaves like Redis (saturate, then the unit wraps) rather than erroring.
    assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
    assert_eq!(memtoull(b"20000000000gb"), Some(3_028_092_406_290_448_384));
}

#[test]
fn doubles() {
    assert_eq!(string2d(b"99.9"), Some(99.9));
    assert_eq!(string2d(b"0x10"), Some(16.0));
    assert_eq!(string2d(b"1e1"), Some(10.0));
    assert_eq!(string2d(b".5"), Some(0.5));
    for bad in ["", " 1", "abc", "nan", "1e999", "1e-400", "1x"] {
        assert_eq!(string2d(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn glob_matching() {
    let m = |p: &str, t: &str| glob_match(p.as_bytes(), t.as_bytes(), true);
    assert!(m("*", "maxmemory"));
    assert!(m("max*", "MAXMEMORY"));
    assert!(m("MAX*", "maxmemory"));
    assert!(m("p?rt", "port"));
    assert!(!m("p?rt", "prt"));
    assert!(m("[a-c]*", "bind"));
    assert!(!m("[a-c]*", "dir"));
    assert!(m("[^a-c]*", "dir"));
    assert!(!m("[^a-z]*", "dir"));
    assert!(m("*-[lm]*", "hash-max-listpack-value"));
    assert!(m("hash-max-*-entries", "hash-max-ziplist-entries"));
    assert!(m(r"a\*b", "a*b"));
    assert!(!m(r"a\*b", "axb"));
    assert!(m("[ab", "b")); // unterminated class runs to the end
    assert!(!m("[", "x"));
    assert!(m("a**b", "ab"));
    assert!(!m("*", ""));
    assert!(m("[z-a]", "m")); // reversed range
    assert!(!glob_match(b"MAX*", b"maxmemory", false));
    assert!(!m(
        "a*a*a*a*a*a*a*a*a*a*b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    ));
}

// ----- registry -----------------------------------------------------------------------

#[test]
fn registry_names_are_unique_and_lowercase() {
    let mut seen = std::collections::HashSet::new();
    for spec in PARAMS {
        for n in std::iter::once(spec.name).chain(spec.alias) {
            assert_eq!(n, n.to_ascii_lowercase());
            assert!(seen.insert(n), "duplicate name {n}");
        }
    }
    // 178 Redis parameters (plus Debian 7.0.15's lua-enable-deprecated-api)
    // + 19 aliases, 5 directives, 3 deprecated, Ferrite's threads.
    assert_eq!(PARAMS.iter().filter(|p| p.is_runtime()).count(), 180);
    assert_eq!(PARAMS.iter().filter(|p| p.alias.is_some()).count(), 19);
    assert_eq!(PARAMS.iter().filter(|p| p.has(HIDDEN)).count(), 7); // 6 + threads
}

#[test]
fn every_default_reparses_to_itself() {
    let cfg = Config::default();
    for (i, spec) in PARAMS.iter().enumerate() {
        // An unset replicaof shows as "", which (as in Redis) is not valid input.
        if !spec.is_runtime() || spec.name == "replicaof" {
            continue;
        }
        let shown = cfg.value_bytes(spec.name).unwrap_or_default();
        let args = if spec.has(registry::MULTI_ARG) {
            value::split_on_spaces(&shown)
        } else {
            vec![shown.clone()]
        };
        let mut ctx = SetCtx {
            reading_file: false,
            save_loaded: false,
            cluster_enabled: false,
            unixsocket_set: false,
        };
        let v = parse_value(spec, &args, &cfg.values[i], &mut ctx);
        assert_eq!(v.as_ref(), Ok(&cfg.values[i]), "{}", spec.name);
    }
}

#[test]
fn effective_list_matches_registry() {
    use super::registry::EFFECTIVE;
    assert_eq!(
        docs_not_yet_effective().count(),
        PARAMS.len() - EFFECTIVE.len()
    );
    assert!(!docs_not_yet_effective().any(|p| p.name == "threads"));
    assert!(docs_not_yet_effective().any(|p| p.name == "appendonly"));
}

// ----- defaults -----------------------------------------------------------------------

#[test]
fn defaults_match_redis_without_config() {
    let cfg = Config::default();
    assert_eq!(cfg.port(), 6379);
    assert_eq!(cfg.bind(), s(&["*", "-::*"]));
    assert_eq!(cfg.databases(), 16);
    assert!(cfg.protected_mode());
    assert_eq!(cfg.save_points(), vec![(3600, 1), (300, 100), (60, 10000)]);
    assert_eq!(get1(&cfg, "save"), "3600 1 300 100 60 10000");
    assert_eq!(
        get1(&cfg, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    assert_eq!(get1(&cfg, "oom-score-adj-values"), "0 200 800");
    assert_eq!(
        get1(&cfg, "latency-tracking-info-percentiles"),
        "50 99 99.9"
    );
    assert_eq!(
        get1(&cfg, "proc-title-template"),
        "{title} {listen-addr} {server-mode}"
    );
    assert_eq!(get1(&cfg, "unixsocketperm"), "0");
    assert_eq!(get1(&cfg, "notify-keyspace-events"), "");
    assert_eq!(get1(&cfg, "replicaof"), "");
    assert_eq!(get1(&cfg, "acl-pubsub-default"), "resetchannels");
    assert_eq!(get1(&cfg, "shutdown-on-sigterm"), "default");
    assert_eq!(cfg.maxmemory(), 0);
    assert_eq!(cfg.maxmemory_policy(), MaxmemoryPolicy::NoEviction);
    assert_eq!(cfg.proto_max_bulk_len(), 512 << 20);
    assert_eq!(cfg.client_query_buffer_limit(), 1 << 30);
    assert_eq!(cfg.enable_debug_command(), ProtectedAction::No);
    assert_eq!(cfg.hz(), 10);
    assert_eq!(cfg.threads(), 0);
    assert_eq!(cfg.loglevel(), LogLevel::Notice);
    assert_eq!(cfg.appendfsync(), AppendFsync::EverySec);
    assert_eq!(cfg.requirepass(), None);
    assert_eq!(cfg.unixsocket(), None);
    assert_eq!(cfg.timeout(), 0);
    assert_eq!(cfg.tcp_keepalive(), 300);
    assert_eq!(cfg.maxclients(), 10000);
    assert_eq!(cfg.hash_max_listpack_entries(), 512);
    assert_eq!(cfg.zset_max_listpack_value(), 64);
    assert_eq!(cfg.list_max_listpack_size(), -2);
    assert_eq!(cfg.active_expire_effort(), 1);
    assert!(!cfg.lazyfree_lazy_user_del());
    assert_eq!(cfg.dbfilename(), "dump.rdb");
    assert!(!cfg.dir().is_empty());
    assert_eq!(
        cfg.client_output_buffer_limit(ClientClass::Pubsub)
            .soft_seconds,
        60
    );
}

// ----- command line and files -----------------------------------------------------

#[test]
fn cli_action_only_looks_at_first_arg() {
    assert_eq!(cli_action(&s(&["-v"])), Some(CliAction::Version));
    assert_eq!(cli_action(&s(&["--version"])), Some(CliAction::Version));
    assert_eq!(cli_action(&s(&["-h"])), Some(CliAction::Help));
    assert_eq!(cli_action(&s(&["--help"])), Some(CliAction::Help));
    assert_eq!(
        cli_action(&s(&["--test-memory", "10"])),
        Some(CliAction::TestMemory(Some("10".into())))
    );
    assert_eq!(
        cli_action(&s(&["--test-memory"])),
        Some(CliAction::TestMemory(None))
    );
    assert_eq!(
        cli_action(&s(&["--check-system"])),
        Some(CliAction::CheckSystem)
    );
    assert_eq!(cli_action(&s(&["--port", "1", "-v"])), None);
    assert_eq!(cli_action(&[]), None);
}

#[test]
fn options_become_config_lines() {
    let o = |a: &[&str]| options_text_for_test(&s(a));
    assert_eq!(o(&["--port", "6380"]).0, "port \"6380\" ");
    assert_eq!(o(&["--save", "--port", "1"]).0, "save \"\"\nport \"1\" ");
    assert_eq!(o(&["--port", "1", "--save"]).0, "port \"1\" \nsave \"\"");
    assert_eq!(o(&["--port", "--hz"]).0, "port \"--hz\" ");
    assert_eq!(o(&["--hz 5 6"]).0, "hz 5 6 ");
    assert_eq!(
        o(&["--sentinel", "--port", "1"]).0,
        "sentinel \nport \"1\" "
    );
    let (text, file, stdin) = o(&["redis.conf", "--port", "1", "-"]);
    assert_eq!(
        (text.as_str(), file.as_deref(), stdin),
        ("port \"1\" ", Some("redis.conf"), true)
    );
    assert!(o(&["-"]).2);
    assert!(!o(&["--x", "-", "--y", "1"]).2);
}

#[test]
fn absolute_paths_like_redis() {
    assert_eq!(absolute_path_for_test("/a/b", "c.conf"), "/a/b/c.conf");
    assert_eq!(absolute_path_for_test("/a/b", "../c.conf"), "/a/c.conf");
    assert_eq!(absolute_path_for_test("/a/b", "../../../c.conf"), "/c.conf");
    assert_eq!(absolute_path_for_test("/a/b/", "./c.conf"), "/a/b/./c.conf");
    assert_eq!(absolute_path_for_test("/a", "/etc/x.conf"), "/etc/x.conf");
}

#[test]
fn command_line_errors_match_redis() {
    assert_eq!(
        err_text(&["--port", "abc"]),
        fatal(
            2,
            "port \"abc\"",
            "argument couldn't be parsed into an integer"
        )
    );
    assert_eq!(
        err_text(&["--port", "1", "--maxmemory", "1x"]),
        fatal(3, "maxmemory \"1x\"", "argument must be a memory value")
    );
    assert_eq!(
        err_text(&["--daemonize", "maybe"]),
        fatal(2, "daemonize \"maybe\"", "argument must be 'yes' or 'no'")
    );
    assert_eq!(
        err_text(&["--port", "99999"]),
        fatal(
            2,
            "port \"99999\"",
            "argument must be between 0 and 65535 inclusive"
        )
    );
    assert_eq!(
        err_text(&["--foo", "bar"]),
        fatal(
            2,
            "foo \"bar\"",
            "Bad directive or wrong number of arguments"
        )
    );
    assert_eq!(
        err_text(&["--loglevel", "loud"]),
        fatal(
            2,
            "loglevel \"loud\"",
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        )
    );
    assert_eq!(
        err_text(&["--port", "1", "--port"]),
        fatal(3, "port", "wrong number of arguments")
    );
    assert_eq!(
        err_text(&["--hz 5 6"]),
        fatal(2, "hz 5 6", "wrong number of arguments")
    );
    assert_eq!(
        err_text(&["--save", "10", "x"]),
        fatal(2, "save \"10\" \"x\"", "Invalid save parameters")
    );
    assert_eq!(
        err_text(&["--unixsocketperm", "1000"]),
        fatal(
            2,
            "unixsocketperm \"1000\"",
            "argument must be between 0 and 777 inclusive"
        )
    );
    assert_eq!(
        err_text(&["--unixsocketperm", "999"]),
        fatal(
            2,
            "unixsocketperm \"999\"",
            "argument couldn't be parsed as an octal number"
        )
    );
    assert_eq!(
        err_text(&["--maxmemory-clients", "200%"]),
        fatal(
            2,
            "maxmemory-clients \"200%\"",
            "percentage argument must be less or equal to 100"
        )
    );
    assert_eq!(
        err_text(&["--maxmemory-clients", "-5"]),
        fatal(
            2,
            "maxmemory-clients \"-5\"",
            "argument must be a memory or percent value"
        )
    );
    assert_eq!(
        err_text(&["--maxclients", "-1"]),
        fatal(
            2,
            "maxclients \"-1\"",
            "argument must be between 1 and 4294967295 inclusive"
        )
    );
    assert_eq!(
        err_text(&["--hash-max-listpack-entries", "-1"]),
        fatal(
            2,
            "hash-max-listpack-entries \"-1\"",
            "argument must be between 0 and 9223372036854775807 inclusive"
        )
    );
    assert_eq!(
        err_text(&["--client-output-buffer-limit", "normal 0 0"]),
        fatal(
            2,
            "client-output-buffer-limit \"normal 0 0\"",
            "Wrong number of arguments in buffer limit configuration."
        )
    );
    assert_eq!(
        err_text(&["--client-output-buffer-limit", "master 0 0 0"]),
        fatal(
            2,
            "client-output-buffer-limit \"master 0 0 0\"",
            "Invalid client class specified in buffer limit configuration."
        )
    );
    assert_eq!(
        err_text(&["--notify-keyspace-events", "KEq"]),
        fatal(
            2,
            "notify-keyspace-events \"KEq\"",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        )
    );
    assert_eq!(
        err_text(&["--oom-score-adj-values", "1 2 3000"]),
        fatal(
            2,
            "oom-score-adj-values \"1 2 3000\"",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
        )
    );
    assert_eq!(
        err_text(&["--replicaof", "h", "70000"]),
        fatal(2, "replicaof \"h\" \"70000\"", "Invalid master port")
    );
    assert_eq!(
        err_text(&["--foo.bar"]),
        fatal(2, "foo.bar", "Module config specified without value")
    );
    assert_eq!(
        err_text(&["--dbfilename", "a/b.rdb"]),
        fatal(
            2,
            "dbfilename \"a/b.rdb\"",
            "dbfilename can't be a path, just a filename"
        )
    );
    assert_eq!(
        err_text(&["--appendfilename", ""]),
        fatal(2, "appendfilename \"\"", "appendfilename can't be empty")
    );
    assert_eq!(
        err_text(&["--dir", "/nonexistent-dir"]),
        fatal(2, "dir \"/nonexistent-dir\"", "No such file or directory")
    );
    assert_eq!(
        err_text(&["--cluster-enabled", "yes", "--replicaof", "h", "1"]),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode"
    );
    assert_eq!(
        err_text(&["--logfile", "/nonexistent-dir/x.log"]),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory"
    );
    assert_eq!(
        err_text(&["--port", "1", "--port", "\\x01é\t"]),
        fatal(
            3,
            "port \"\\\\x01\\xc3\\xa9\\t\"",
            "argument couldn't be parsed into an integer"
        )
    );
    let many: Vec<String> = (1..=17).map(|i| i.to_string()).collect();
    let mut args = vec!["--bind".to_string()];
    args.extend(many);
    assert!(Config::from_args(&args).is_err_and(|e| e
        .to_string()
        .ends_with("Too many bind addresses specified.")));
    // In Sentinel mode the line is queued; Sentinel itself validates it later.
    assert_eq!(err_text(&["--sentinel", "monitor", "x"]), "ok");
}

#[test]
fn command_line_values_apply() {
    let cfg = Config::from_args(&s(&[
        "--port",
        "7777",
        "--save",
        "--bind",
        "127.0.0.1",
        "::1",
        "--maxmemory",
        "1gb",
    ]))
    .expect("valid options");
    assert_eq!(cfg.port(), 7777);
    assert!(cfg.save_points().is_empty());
    assert_eq!(cfg.bind(), s(&["127.0.0.1", "::1"]));
    assert_eq!(cfg.maxmemory(), 1 << 30);
    let cfg = Config::from_args(&s(&["--save", "60 1 30 2"])).expect("quoted multi-arg");
    assert_eq!(cfg.save_points(), vec![(60, 1), (30, 2)]);
    let cfg = Config::from_args(&s(&["--requirepass", "a b\"c"])).expect("binary-safe values");
    assert_eq!(cfg.requirepass(), Some(&b"a b\"c"[..]));
    let cfg = Config::from_args(&s(&["--sentinel", "--port", "1"])).expect("sentinel mode");
    assert!(cfg.sentinel_mode);
    let cfg = Config::from_args(&s(&["--sentinel"])).expect("sentinel defaults");
    assert_eq!((cfg.port(), cfg.protected_mode()), (26379, false));
    let cfg = Config::from_args(&s(&["--threads", "4"])).expect("threads");
    assert_eq!(cfg.threads(), 4);
    assert!(Config::from_args(&s(&["--threads", "1025"])).is_err());
    // hz out of range is accepted and clamped
    assert_eq!(
        Config::from_args(&s(&["--hz", "1000"])).map(|c| c.hz()),
        Ok(500)
    );
    assert_eq!(Config::from_args(&s(&["--hz", "0"])).map(|c| c.hz()), Ok(1));
}

#[test]
fn config_file_and_options_line_numbers() {
    let t = TempDir::new("lines");
    let ok1 = t.file("ok1.conf", "port 7102\nsave 10 1\n");
    let ok2 = t.file("ok2.conf", "port 7102\nsave 10 1");
    assert_eq!(
        err_text(&[&ok1, "--port", "x"]),
        fatal(
            4,
            "port \"x\"",
            "argument couldn't be parsed into an integer"
        )
    );
    assert_eq!(
        err_text(&[&ok2, "--port", "x"]),
        fatal(
            3,
            "port \"x\"",
            "argument couldn't be parsed into an integer"
        )
    );
    assert_eq!(
        err_text(&[&ok1, "x", "y"]),
        fatal(
            4,
            "\"x\" \"y\"",
            "Bad directive or wrong number of arguments"
        )
    );
    let bad = t.file("bad.conf", "port 7102\n\n# c\n  port \"abc  \r\n");
    assert_eq!(
        err_text(&[&bad]),
        fatal(4, "port \"abc", "Unbalanced quotes in configuration line")
    );
    let case = t.file("case.conf", "PORT 7102\nMaxMemory 1GB\n   \t  \n  # indented\n\tport \"7103\"  \nport 7102 # trailing\n");
    assert_eq!(
        err_text(&[&case]),
        fatal(6, "port 7102 # trailing", "wrong number of arguments")
    );
    let good = t.file("good.conf", "PORT 7102\nMaxMemory 1GB\n\tport \"7103\"  \n");
    let cfg = Config::from_args(&s(&[&good])).expect("good file");
    assert_eq!((cfg.port(), cfg.maxmemory()), (7103, 1 << 30));
    assert_eq!(
        cfg.config_file.as_deref(),
        Some(std::path::Path::new(&good))
    );
    let stdin = b"port 7106\nloglevel foo\n";
    let opts = LoadOptions {
        stdin: Some(stdin),
        ..Default::default()
    };
    let e = Config::from_args_with(&s(&[&ok1, "--hz", "1", "-"]), &opts)
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(
        e,
        Err(fatal(
            4,
            "loglevel foo",
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        ))
    );
    let missing = t.0.join("missing.conf").to_string_lossy().into_owned();
    let e = Config::from_args(&s(&[&missing])).err();
    assert_eq!(
        e.as_ref().map(|e| (e.is_log_message(), e.to_string())),
        Some((
            true,
            format!("Fatal error, can't open config file '{missing}': No such file or directory")
        ))
    );
}

#[test]
fn include_files() {
    let t = TempDir::new("include");
    let dir = t.0.to_string_lossy().into_owned();
    t.file("child.conf", "\n\nmaxmemory 5q\n");
    t.file("a-1.conf", "port 1001\n");
    t.file("a-2.conf", "port 1002\nhz 7\n");
    let parent = t.file(
        "parent.conf",
        &format!("dir {dir}\nport 7102\ninclude child.conf\nport 7103\n"),
    );
    assert_eq!(
        err_text(&[&parent]),
        fatal(3, "maxmemory 5q", "argument must be a memory value")
    );
    let globbed = t.file(
        "glob.conf",
        &format!("dir {dir}\ninclude {dir}/a-*.conf\ninclude {dir}/none-*.conf\n"),
    );
    let cfg = Config::from_args(&s(&[&globbed])).expect("glob include");
    assert_eq!((cfg.port(), cfg.hz()), (1002, 7));
    let rel = t.file("rel.conf", &format!("dir {dir}\ninclude a-[2].conf\n"));
    assert_eq!(Config::from_args(&s(&[&rel])).map(|c| c.port()), Ok(1002));
    let missing = t.file("missing.conf", &format!("dir {dir}\ninclude nope.conf\n"));
    assert_eq!(
        err_text(&[&missing]),
        "Fatal error, can't open config file 'nope.conf': No such file or directory"
    );
    let wrong = t.file("wrong.conf", "include a b\n");
    assert_eq!(
        err_text(&[&wrong]),
        fatal(
            1,
            "include a b",
            "Bad directive or wrong number of arguments"
        )
    );
}

#[test]
fn save_lines_in_files_accumulate() {
    let mut cfg = Config::default();
    cfg.load_str(b"save 900 1\nsave 300 10\n")
        .expect("save lines");
    assert_eq!(cfg.save_points(), vec![(900, 1), (300, 10)]);
    let mut cfg = Config::default();
    cfg.load_str(b"save 900 1\nsave \"\"\nsave 5 5\n")
        .expect("reset then add");
    assert_eq!(cfg.save_points(), vec![(5, 5)]);
    let mut cfg = Config::default();
    cfg.load_str(b"port 1\n").expect("no save line");
    assert_eq!(cfg.save_points().len(), 3);
}

#[test]
fn directives_for_other_modules() {
    let mut cfg = Config::default();
    cfg.load_str(
        b"rename-command flushall \"\"\nrename-command config cfg\nuser alice on >pw ~* +@all\n\
          loadmodule /x/m.so a b\nmymod.opt 1 2\nmymod.opt 3\nlist-max-ziplist-entries 5\n\
          lua-replicate-commands yes\nsentinel\n",
    )
    .expect("directives");
    assert_eq!(cfg.renamed_commands.len(), 2);
    assert_eq!(
        cfg.renamed_commands[0],
        RenamedCommand {
            from: b"flushall".to_vec(),
            to: Vec::new()
        }
    );
    assert_eq!(cfg.users.len(), 1);
    assert_eq!(cfg.users[0].line, 3);
    assert_eq!(cfg.users[0].args.len(), 5);
    assert_eq!(
        cfg.load_modules[0],
        LoadModule {
            path: b"/x/m.so".to_vec(),
            args: vec![b"a".to_vec(), b"b".to_vec()]
        }
    );
    assert_eq!(
        cfg.module_configs,
        vec![("mymod.opt".to_string(), b"3".to_vec())]
    );
    let mut cfg = Config::default();
    let e = cfg
        .load_str(b"\nsentinel monitor m 127.0.0.1 1 2\n")
        .map_err(|e| e.to_string());
    assert_eq!(
        e,
        Err(fatal(
            2,
            "sentinel monitor m 127.0.0.1 1 2",
            "sentinel directive while not in sentinel mode"
        ))
    );
    let mut cfg = Config::default();
    let e = cfg
        .load_str(b"list-max-ziplist-value\n")
        .map_err(|e| e.to_string());
    assert_eq!(
        e,
        Err(fatal(
            1,
            "list-max-ziplist-value",
            "Bad directive or wrong number of arguments"
        ))
    );
}

#[test]
fn rename_command_checks_the_command_table() {
    let exists = |n: &[u8]| matches!(n, b"get" | b"set" | b"del");
    let opts = LoadOptions {
        command_exists: Some(&exists),
        ..Default::default()
    };
    let run = |args: &[&str]| {
        Config::from_args_with(&s(args), &opts)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        run(&["--rename-command", "nosuch", "foo"]),
        Err(fatal(
            2,
            "rename-command \"nosuch\" \"foo\"",
            "No such command in rename-command"
        ))
    );
    assert_eq!(
        run(&["--rename-command", "get", "set"]),
        Err(fatal(
            2,
            "rename-command \"get\" \"set\"",
            "Target command name already exists"
        ))
    );
    assert_eq!(
        run(&[
            "--rename-command",
            "GET",
            "fetch",
            "--rename-command",
            "fetch",
            "get"
        ]),
        Ok(())
    );
    assert_eq!(
        run(&[
            "--rename-command",
            "del",
            "",
            "--rename-command",
            "del",
            "x"
        ]),
        Err(fatal(
            3,
            "rename-command \"del\" \"x\"",
            "No such command in rename-command"
        ))
    );
}

#[test]
fn shipped_config_files_parse() {
    let mut cfg = Config::default();
    cfg.load_str(include_bytes!("testdata/redis.conf"))
        .expect("redis.conf parses");
    assert_eq!(cfg.bind(), s(&["127.0.0.1", "-::1"]));
    assert_eq!(cfg.pidfile().as_deref(), Some("/var/run/redis_6379.pid"));
    assert_eq!(
        get1(&cfg, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    assert_eq!(cfg.save_points().len(), 3); // redis.conf's save lines are commented out
    let mut cfg = Config::default();
    cfg.load_str(include_bytes!("testdata/default.conf"))
        .expect("default.conf parses");
    assert_eq!(cfg.save_points(), vec![(900, 1)]);
    assert_eq!(cfg.enable_debug_command(), ProtectedAction::Yes);
    assert_eq!(
        cfg.notify_keyspace_events(),
        notify::ALL | notify::KEYSPACE | notify::KEYEVENT
    );
    assert_eq!(get1(&cfg, "notify-keyspace-events"), "AKE");
    assert_eq!(cfg.loglevel(), LogLevel::Verbose);
    assert_eq!(cfg.logfile(), "");
    assert_eq!(get1(&cfg, "propagation-error-behavior"), "panic");
}

// ----- CONFIG GET ---------------------------------------------------------------------

fn names(v: &[(String, String)]) -> Vec<String> {
    let mut n: Vec<String> = v.iter().map(|(n, _)| n.clone()).collect();
    n.sort();
    n
}

#[test]
fn config_get_patterns_and_aliases() {
    let cfg = Config::default();
    assert_eq!(cfg.get(b"*").len(), 192); // exactly Redis's list
    assert_eq!(
        cfg.get(b"threads"),
        vec![("threads".to_string(), "0".to_string())]
    );
    assert_eq!(
        cfg.get(b"slaveof"),
        vec![("slaveof".to_string(), String::new())]
    );
    assert_eq!(
        cfg.get(b"PORT"),
        vec![("PORT".to_string(), "6379".to_string())]
    );
    assert_eq!(
        names(&cfg.get(b"hash-max-*")),
        s(&[
            "hash-max-listpack-entries",
            "hash-max-listpack-value",
            "hash-max-ziplist-entries",
            "hash-max-ziplist-value"
        ])
    );
    assert_eq!(cfg.get(b"SLAVE*").len(), 8);
    assert_eq!(cfg.get(b"rdb-key-save-delay").len(), 1); // hidden: exact name only
    assert!(cfg.get(b"rdb-key*").is_empty());
    assert!(cfg.get(b"include").is_empty());
    assert!(cfg.get(b"list-max-ziplist-entries").is_empty());
    assert!(cfg.get(b"port\\").is_empty());
    assert!(cfg.get(b"").is_empty());
    let many = cfg.get_many(&[b"port", b"PORT", b"p?rt"]);
    assert_eq!(many, vec![(b"port".to_vec(), b"6379".to_vec())]);
    let many = cfg.get_many(&[b"MAXMEMORY", b"maxmemory*"]);
    assert_eq!(
        many.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(b"maxmemory"))
            .count(),
        1
    );
}

// ----- CONFIG SET ---------------------------------------------------------------------

#[test]
fn config_set_errors_match_redis() {
    let mut cfg = Config::default();
    let mut set = |kv: &[(&str, &str)]| cfg.set(&pairs(kv)).map(|_| ());
    let failed = |n: &str, r: &str| {
        Err(format!(
            "ERR CONFIG SET failed (possibly related to argument '{n}') - {r}"
        ))
    };
    assert_eq!(
        set(&[("foo", "bar")]),
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
    );
    assert_eq!(
        set(&[("maxmemory", "1gb"), ("foo", "bar")]),
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
    );
    assert_eq!(
        set(&[("maxmemory", "abc")]),
        failed("maxmemory", "argument must be a memory value")
    );
    assert_eq!(
        set(&[("MAXMEMORY", "abc")]),
        failed("maxmemory", "argument must be a memory value")
    );
    assert_eq!(
        set(&[("hash-max-ziplist-entries", "abc")]),
        failed(
            "hash-max-ziplist-entries",
            "argument couldn't be parsed into an integer"
        )
    );
    assert_eq!(
        set(&[("port", "1"), ("port", "1")]),
        failed("port", "duplicate parameter")
    );
    assert_eq!(
        set(&[("port", "1"), ("PORT", "1")]),
        failed("PORT", "duplicate parameter")
    );
    assert_eq!(
        set(&[("DAEMONIZE", "no")]),
        failed("DAEMONIZE", "can't set immutable config")
    );
    assert_eq!(
        set(&[("maxmemory", "abc"), ("daemonize", "no")]),
        failed("daemonize", "can't set immutable config")
    );
    assert_eq!(
        set(&[("dir", "/tmp")]),
        failed("dir", "can't set protected config")
    );
    assert_eq!(
        set(&[("dbfilename", "x")]),
        failed("dbfilename", "can't set protected config")
    );
    assert_eq!(
        set(&[("replicaof", "no one")]),
        failed("replicaof", "can't set immutable config")
    );
    assert_eq!(
        set(&[("threads", "2")]),
        failed("threads", "can't set immutable config")
    );
    assert_eq!(
        set(&[("include", "x")]),
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'include'".into())
    );
    assert_eq!(
        set(&[("save", "10 1  20 2")]),
        failed("save", "Invalid save parameters")
    );
    assert_eq!(
        set(&[("timeout", "010")]),
        failed("timeout", "argument couldn't be parsed into an integer")
    );
    assert_eq!(
        set(&[("slowlog-log-slower-than", "-2")]),
        failed(
            "slowlog-log-slower-than",
            "argument must be between -1 and 9223372036854775807 inclusive"
        )
    );
    assert_eq!(
        set(&[("activedefrag", "yes")]),
        failed("activedefrag", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
    );
    assert_eq!(
        set(&[("shutdown-on-sigint", "save nosave")]),
        failed(
            "shutdown-on-sigint",
            "shutdown options SAVE and NOSAVE can't be used simultaneously"
        )
    );
    assert_eq!(
        set(&[("shutdown-on-sigint", "")]),
        failed(
            "shutdown-on-sigint",
            "argument(s) must be one of the following: default, save, nosave, now, force"
        )
    );
    assert_eq!(
        set(&[("cluster-announce-hostname", "a_b")]),
        failed(
            "cluster-announce-hostname",
            "Hostnames may only contain alphanumeric characters, hyphens or dots"
        )
    );
    assert_eq!(
        set(&[("proc-title-template", "{server-mode}")]),
        failed(
            "proc-title-template",
            "template format is invalid or contains unknown variables"
        )
    );
    assert_eq!(
        set(&[("oom-score-adj-values", "")]),
        failed("oom-score-adj-values", "wrong number of arguments")
    );
    assert_eq!(
        set(&[("latency-tracking-info-percentiles", "50 101")]),
        failed(
            "latency-tracking-info-percentiles",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
        )
    );
    assert_eq!(
        set(&[("maxmemory-clients", "101%")]),
        failed(
            "maxmemory-clients",
            "percentage argument must be less or equal to 100"
        )
    );
    assert_eq!(
        set(&[("maxclients", "0")]),
        failed(
            "maxclients",
            "argument must be between 1 and 4294967295 inclusive"
        )
    );
}

#[test]
fn config_set_is_atomic() {
    let mut cfg = Config::default();
    let before = cfg.get(b"*");
    let r = cfg.set(&pairs(&[
        ("maxmemory", "1mb"),
        ("hz", "20"),
        ("maxmemory-policy", "bogus"),
    ]));
    assert!(r.is_err_and(|e| e.contains("'maxmemory-policy'")));
    assert_eq!(cfg.get(b"*"), before);
    let changed = cfg.set(&pairs(&[
        ("maxmemory", "1mb"),
        ("maxmemory-policy", "allkeys-lru"),
        ("hz", "10"),
    ]));
    assert_eq!(changed, Ok(vec!["maxmemory", "maxmemory-policy"]));
    assert_eq!(
        (cfg.maxmemory(), cfg.maxmemory_policy()),
        (1 << 20, MaxmemoryPolicy::AllkeysLru)
    );
}

#[test]
fn config_set_values_and_formatting() {
    let mut cfg = Config::default();
    let mut ok = |kv: &[(&str, &str)]| assert!(cfg.set(&pairs(kv)).is_ok(), "{kv:?}");
    ok(&[
        ("hash-max-ziplist-entries", "100"),
        ("hash-max-listpack-entries", "200"),
    ]); // alias: later wins
    ok(&[("client-output-buffer-limit", "replica 1mb 2mb 10")]);
    ok(&[("notify-keyspace-events", "Egx$lshzetdnm")]);
    ok(&[("shutdown-on-sigint", "nosave force now")]);
    ok(&[(
        "latency-tracking-info-percentiles",
        "1e1 0x10 .5 0.000001 33.3333333",
    )]);
    ok(&[("maxmemory-clients", "10%")]);
    ok(&[("oom-score-adj", "relative")]);
    ok(&[("oom-score-adj-values", "1  2")]);
    ok(&[("hz", "1000")]);
    ok(&[("save", "")]);
    ok(&[("maxmemory", "20000000000gb")]);
    ok(&[("lua-time-limit", "100")]);
    ok(&[("loglevel", "WARNING")]);
    ok(&[("requirepass", "s3cret")]);
    assert_eq!(get1(&cfg, "hash-max-listpack-entries"), "200");
    assert_eq!(
        get1(&cfg, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1048576 2097152 10 pubsub 33554432 8388608 60"
    );
    assert_eq!(get1(&cfg, "notify-keyspace-events"), "AEm");
    assert_eq!(get1(&cfg, "shutdown-on-sigint"), "nosave now force");
    assert_eq!(
        get1(&cfg, "latency-tracking-info-percentiles"),
        "10 16 0.5 0.000001 33.333333"
    );
    assert_eq!(get1(&cfg, "maxmemory-clients"), "10%");
    assert_eq!(cfg.get_int("maxmemory-clients"), -10);
    assert_eq!(get1(&cfg, "oom-score-adj"), "yes");
    assert_eq!(get1(&cfg, "oom-score-adj-values"), "1 0 2");
    assert_eq!(cfg.hz(), 500);
    assert_eq!(get1(&cfg, "save"), "");
    assert_eq!(get1(&cfg, "maxmemory"), "3028092406290448384");
    assert_eq!(get1(&cfg, "busy-reply-threshold"), "100");
    assert_eq!(cfg.get_enum("loglevel"), "warning");
    assert_eq!(cfg.requirepass(), Some(&b"s3cret"[..]));
    assert_eq!(cfg.get_str("requirepass"), "s3cret");
    assert!(cfg.get_bool("protected-mode"));
    assert_eq!(cfg.try_get_int("protected-mode"), None);
    assert_eq!(cfg.try_get_bool("nonexistent"), None);
    assert_eq!(cfg.try_get_enum_code("shutdown-on-sigint"), Some(2 | 4 | 8));
}

#[test]
fn config_set_context_rules() {
    let mut cfg = Config::from_args(&s(&["--enable-protected-configs", "local"])).expect("local");
    let local = SetContext {
        client_is_local: true,
        loading: false,
    };
    let remote = SetContext {
        client_is_local: false,
        loading: false,
    };
    let tmp = std::env::temp_dir().to_string_lossy().into_owned();
    assert!(cfg.set_with(&pairs(&[("dir", &tmp)]), remote).is_err());
    assert!(cfg.set_with(&pairs(&[("dir", &tmp)]), local).is_ok());
    assert_eq!(
        Some(cfg.dir().to_string()),
        std::fs::canonicalize(&tmp)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    );
    assert_eq!(
        cfg.set_with(&pairs(&[("dir", "/etc/passwd")]), local),
        Err("ERR CONFIG SET failed (possibly related to argument 'dir') - Not a directory".into())
    );
    let loading = SetContext {
        client_is_local: true,
        loading: true,
    };
    assert_eq!(
        cfg.set_with(&pairs(&[("appendonly", "yes")]), loading),
        Err("LOADING Redis is loading the dataset in memory".into())
    );
    assert!(cfg.set_with(&pairs(&[("maxmemory", "1")]), loading).is_ok());
    assert!(ProtectedAction::Local.allows(true) && !ProtectedAction::Local.allows(false));
    assert!(ProtectedAction::Yes.allows(false) && !ProtectedAction::No.allows(true));
}

#[test]
fn immutable_flags_follow_redis() {
    for name in [
        "daemonize",
        "databases",
        "unixsocket",
        "logfile",
        "replicaof",
        "enable-debug-command",
        "threads",
    ] {
        assert!(spec(name).is_some_and(|p| p.has(IMMUTABLE)), "{name}");
    }
    for name in ["port", "bind", "save", "maxmemory", "hz", "requirepass"] {
        assert!(spec(name).is_some_and(|p| !p.has(IMMUTABLE)), "{name}");
    }
    assert!(spec("slaveof").is_some_and(|p| p.name == "replicaof"));
    assert!(spec("requirepass").is_some_and(|p| p.has(registry::SENSITIVE)));
}

#[test]
fn error_display_without_position() {
    let e = ConfigError::Fatal {
        position: None,
        reason: "x".into(),
    };
    assert_eq!(
        e.to_string(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nx"
    );
    let e = ConfigError::at_line(
        3,
        "user bob",
        "Error in user declaration 'bob': Syntax error",
    );
    assert_eq!(
        e.to_string(),
        fatal(
            3,
            "user bob",
            "Error in user declaration 'bob': Syntax error"
        )
    );
    assert!(!e.is_log_message());
}

#[test]
fn enum_accessors() {
    let mut cfg = Config::default();
    assert_eq!(cfg.get_enum("enable-debug-command"), "no");
    assert_eq!(cfg.get_enum("shutdown-on-sigint"), "default");
    assert_eq!(cfg.get_enum_flags("shutdown-on-sigint"), vec!["default"]);
    assert!(cfg
        .set(&pairs(&[("shutdown-on-sigint", "now save")]))
        .is_ok());
    assert_eq!(cfg.get_enum("shutdown-on-sigint"), "unknown");
    assert_eq!(
        cfg.get_enum_flags("shutdown-on-sigint"),
        vec!["save", "now"]
    );
    assert_eq!(get1(&cfg, "shutdown-on-sigint"), "save now");
    assert!(cfg.set(&pairs(&[("oom-score-adj", "relative")])).is_ok());
    assert_eq!(cfg.get_enum("oom-score-adj"), "yes");
    assert!(cfg.get_enum_flags("port").is_empty());
}

#[test]
fn text_values_are_binary_safe() {
    let mut cfg = Config::default();
    assert!(cfg
        .set(&[(b"requirepass".to_vec(), vec![b'a', 0, 0xff])])
        .is_ok());
    assert_eq!(cfg.requirepass(), Some(&[b'a', 0, 0xff][..]));
    assert_eq!(cfg.value_bytes("requirepass"), Some(vec![b'a', 0, 0xff]));
    assert_eq!(cfg.get_str("requirepass"), "a\0\u{fffd}");
    // C-string parameters stop at NUL, as in Redis
    assert!(cfg
        .set(&[(b"masteruser".to_vec(), b"bob\0x".to_vec())])
        .is_ok());
    assert_eq!(cfg.get_str("masteruser"), "bob");
    assert_eq!(cfg.get_str("dir"), cfg.dir());
}

/// Random inputs must never panic (the parsers see client data through CONFIG SET and
/// anything a user puts in a config file).
#[test]
fn random_inputs_never_panic() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: &[u8] = b"ab09 -+*?[]^\\\"'%kKmMgGbB.xX\t\n{}";
    let names: Vec<&str> = PARAMS
        .iter()
        .flat_map(|p| std::iter::once(p.name).chain(p.alias))
        .filter(|n| !matches!(*n, "logfile" | "include" | "dir"))
        .collect();
    for _ in 0..3000 {
        let len = (next() % 24) as usize;
        let junk: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let _ = split_args(&junk);
        let _ = glob_match(&junk, b"maxmemory-policy", true);
        let _ = glob_match(b"max*", &junk, true);
        let _ = memtoull(&junk);
        let _ = string2d(&junk);
        let _ = strtoll(&junk, 8);
        let name = names[(next() % names.len() as u64) as usize];
        let mut cfg = Config::default();
        let _ = cfg.set(&[(name.as_bytes().to_vec(), junk.clone())]);
        let mut line = name.as_bytes().to_vec();
        line.push(b' ');
        line.extend_from_slice(&junk);
        let _ = cfg.load_str(&line);
        let _ = cfg.get_many(&[&junk]);
    }
}

/// The command-line cases of the Redis suite (tests/unit/introspection.tcl).
#[test]
fn redis_suite_command_line_cases() {
    let has = |args: &[&str], parts: &[&str]| {
        let e = err_text(args);
        parts.iter().all(|p| e.contains(p)) || panic!("{args:?} gave {e:?}")
    };
    has(&["--port"], &["'port'", "wrong number of arguments"]);
    has(
        &["--port", "6380", "--loglevel"],
        &["'loglevel'", "wrong number of arguments"],
    );
    has(
        &["--port", "6379", "6380"],
        &["'port \"6379\" \"6380\"'", "wrong number of arguments"],
    );
    has(
        &["--port", "--loglevel", "verbose"],
        &[
            "'port \"--loglevel\" \"verbose\"'",
            "wrong number of arguments",
        ],
    );
    has(
        &["--port", "--bla", "--loglevel", "verbose"],
        &[
            "'port \"--bla\"'",
            "argument couldn't be parsed into an integer",
        ],
    );
    has(
        &["--logfile", "--my--log--file", "--loglevel", "--bla"],
        &[
            "'loglevel \"--bla\"'",
            "argument(s) must be one of the following",
        ],
    );
    has(
        &["--shutdown-on-sigint"],
        &[
            "'shutdown-on-sigint'",
            "argument(s) must be one of the following",
        ],
    );
    has(
        &["--shutdown-on-sigint", "now force", "--shutdown-on-sigterm"],
        &[
            "'shutdown-on-sigterm'",
            "argument(s) must be one of the following",
        ],
    );
    has(
        &["--replicaof", "127.0.0.1", "abc"],
        &["'replicaof \"127.0.0.1\" \"abc\"'", "Invalid master port"],
    );
    has(
        &["--replicaof", "--127.0.0.1", "abc"],
        &["'replicaof \"--127.0.0.1\" \"abc\"'", "Invalid master port"],
    );
    has(
        &["--replicaof", "--127.0.0.1", "--abc"],
        &["'replicaof \"--127.0.0.1\"'", "wrong number of arguments"],
    );

    let t = TempDir::new("suite");
    let def = t.file(
        "default.conf",
        &String::from_utf8_lossy(include_bytes!("testdata/default.conf")).replace("dir ./", ""),
    );
    let run = |args: &[&str]| {
        let mut all = vec![def.as_str()];
        all.extend_from_slice(args);
        Config::from_args(&s(&all)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    let c = run(&["--maxmemory 700mb", "--maxmemory-policy volatile-lru"]);
    assert_eq!(
        (c.maxmemory(), c.get_enum("maxmemory-policy")),
        (734003200, "volatile-lru")
    );
    let c = run(&[
        "loglevel",
        "verbose",
        "--maxmemory '700mb'",
        "--maxmemory-policy 'volatile-lru'",
    ]);
    assert_eq!(
        (c.maxmemory(), c.get_enum("maxmemory-policy"), c.loglevel()),
        (734003200, "volatile-lru", LogLevel::Verbose)
    );
    let c = run(&[
        "--proc-title-template",
        "--my--title--template",
        "--loglevel",
        "verbose",
    ]);
    assert_eq!(
        (c.get_str("proc-title-template"), c.loglevel()),
        ("--my--title--template", LogLevel::Verbose)
    );
    let c = run(&[
        "--proc-title-template --my--title--template",
        "--loglevel verbose",
    ]);
    assert_eq!(c.get_str("proc-title-template"), "--my--title--template");
    for args in [
        &["--save", "--loglevel", "verbose"][..],
        &["--loglevel", "verbose", "--save"],
        &["--save", "", "--loglevel", "verbose"],
        &["--loglevel", "verbose", "--save", ""],
    ] {
        let c = run(args);
        assert_eq!(
            (get1(&c, "save"), c.loglevel()),
            (String::new(), LogLevel::Verbose),
            "{args:?}"
        );
    }
    let c = run(&[
        "--proc-title-template",
        "--save",
        "--save",
        "",
        "--loglevel",
        "verbose",
    ]);
    assert_eq!(
        (c.get_str("proc-title-template"), get1(&c, "save").as_str()),
        ("--save", "")
    );
    let c = run(&[
        "--shutdown-on-sigint",
        "nosave",
        "force",
        "now",
        "--shutdown-on-sigterm",
        "nosave force",
    ]);
    assert_eq!(get1(&c, "shutdown-on-sigint"), "nosave now force");
    assert_eq!(get1(&c, "shutdown-on-sigterm"), "nosave force");
    assert_eq!(get1(&run(&[]), "save"), "900 1");
    assert_eq!(
        get1(&run(&["--save", "100", "100"]), "save"),
        "900 1 100 100"
    );
    let c = run(&[
        "--hash-max-listpack-entries",
        "20",
        "--hash-max-ziplist-entries",
        "21",
    ]);
    assert_eq!(get1(&c, "hash-max-listpack-entries"), "21");
}
