//! `docs/compatibility.md`, rendered from the command table and the config
//! registry so it can't drift from the code: a unit test compares the file
//! with a fresh rendering, and `scripts/gen-compat` rewrites it.

use std::fmt::Write as _;

use super::table::CommandTable;

/// Commands that run but with a known gap, and what is missing.
const PARTIAL: &[(&str, &str)] = &[
    ("debug", "subcommands used by the test suite only; no LOADAOF, POPULATE, QUICKLIST-PACKED-THRESHOLD effect"),
    ("memory|usage", "approximate: entry allocation plus boxed value, no SAMPLES walk"),
    ("memory|stats", "a subset of Redis's fields"),
    ("memory|malloc-stats", "summary only"),
    ("info", "replication, persistence and memory fields are placeholders where the feature is missing"),
    ("client|list", "no output-list accounting yet; `multi=` is always -1"),
    ("srandmember", "a negative count beyond 2^28 is refused with an error instead of building the reply"),
    ("hrandfield", "a negative count beyond 2^28 is refused with an error instead of building the reply"),
    ("zrandmember", "a negative count beyond 2^28 is refused with an error instead of building the reply"),
    ("client|kill", "USER filter only knows the default user"),
    ("replicaof", "full synchronisation only (no partial resync from a backlog)"),
    ("psync", "always a full resynchronisation (no backlog yet); the snapshot is built in memory under every shard lock, not by a forked child"),
    ("sync", "as PSYNC"),
    ("slaveof", "as REPLICAOF"),
    ("migrate", "opens a connection per call (Redis keeps one per target for 10 s)"),
    ("eval", "no `cmsgpack` or `struct` library yet; `cjson` decodes with serde_json (its error texts differ)"),
    ("evalsha", "as EVAL"),
    ("eval_ro", "as EVAL"),
    ("evalsha_ro", "as EVAL"),
    ("fcall", "as EVAL; libraries are not saved in RDB files yet"),
    ("fcall_ro", "as FCALL"),
    ("function|load", "the library's code runs with the full script globals, where Redis offers only `redis.register_function` and logging"),
    ("flushall", "ASYNC frees in a background thread; no lazyfree counters"),
];

/// The one ordering Redis gives that several worker threads cannot: why a
/// suite test is skipped when `threads` is above 1.
const THREADS_NOTE: &str = "
## Ordering across connections with several worker threads

Every guarantee that one client can observe holds with any `threads` value: a
connection's commands run in order, each command (and each EXEC) is atomic, and
blocked clients are served FIFO in the order their blocking commands ran. What one
Redis thread gives in addition is an order between *different* connections that
nothing synchronises: two commands written on two sockets a few microseconds apart
run in the order they were sent. With several workers the sockets may belong to
different threads, and the command sent second may run first. Wait for a reply (or,
as the Redis suite mostly does, for `blocked_clients` to rise) before relying on
that order. The few suite tests that rely on it without waiting
(`tests/redis-suite/multithread-skips.txt`) run only with `threads 1`.
";

/// Renders the whole document.
pub fn render(table: &CommandTable) -> String {
    let mut out = String::new();
    out.push_str("# Compatibility with Redis 7.0\n\n");
    out.push_str(
        "Generated from the command table and the config registry by `scripts/gen-compat`;\n",
    );
    out.push_str("a unit test fails when this file and the code disagree.\n\n");
    let mut rows: Vec<(String, &'static str, String)> = Vec::new();
    let (mut done, mut partial, mut missing) = (0, 0, 0);
    for c in table.list.iter().filter(|c| c.parent.is_none()) {
        let subs: Vec<_> = {
            let mut v: Vec<_> = c.subcommands.values().map(|&i| &table.list[i]).collect();
            v.sort_by(|a, b| a.fullname.cmp(&b.fullname));
            v
        };
        let entries: Vec<_> = if subs.is_empty() { vec![c] } else { subs };
        for e in entries {
            let note = PARTIAL
                .iter()
                .find(|(n, _)| *n == e.fullname)
                .map(|(_, why)| *why);
            let (status, why) = match (e.handler.is_some(), note) {
                (true, None) => ("implemented", String::new()),
                (true, Some(w)) => ("partial", w.to_string()),
                (false, _) => ("missing", String::new()),
            };
            match status {
                "implemented" => done += 1,
                "partial" => partial += 1,
                _ => missing += 1,
            }
            rows.push((e.fullname.clone(), status, why));
        }
    }
    let _ = writeln!(
        out,
        "## Commands\n\n{done} implemented, {partial} partial, {missing} missing.\n"
    );
    out.push_str("| command | group | status | notes |\n| --- | --- | --- | --- |\n");
    for (name, status, why) in &rows {
        let group = table
            .by_name(name)
            .map(|c| c.meta.group.as_str())
            .unwrap_or("");
        let shown = name.replace('|', "\\|");
        let _ = writeln!(out, "| `{shown}` | {group} | {status} | {why} |");
    }
    out.push_str(THREADS_NOTE);
    out.push_str("\n## Configuration directives not yet effective\n\n");
    out.push_str("Every Redis 7.0 `redis.conf` directive is accepted, validated and returned by `CONFIG GET`;\n");
    out.push_str("these are stored but do not change Ferrite's behaviour yet.\n\n");
    let mut names: Vec<&str> = crate::config::docs_not_yet_effective()
        .map(|p| p.name)
        .collect();
    names.sort_unstable();
    for n in names {
        let _ = writeln!(out, "- `{n}`");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn compatibility_doc_is_current() {
        let table = super::CommandTable::build();
        let fresh = super::render(&table);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/compatibility.md");
        if std::env::var_os("UPDATE_COMPAT").is_some() {
            std::fs::write(path, &fresh).expect("write docs/compatibility.md");
            return;
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == fresh,
            "docs/compatibility.md is stale: run scripts/gen-compat"
        );
    }

    #[test]
    fn every_binding_names_a_redis_command() {
        let table = super::CommandTable::build();
        assert!(
            table.orphan_bindings().is_empty(),
            "{:?}",
            table.orphan_bindings()
        );
    }
}
