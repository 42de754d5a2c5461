//! Lua scripting against the real binary: EVAL's API and error texts,
//! atomicity across worker threads, busy scripts and SCRIPT KILL, FUNCTION.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Server;
use redis::{Commands, Value};

fn eval(
    con: &mut redis::Connection,
    script: &str,
    keys: &[&str],
    args: &[&str],
) -> redis::RedisResult<Value> {
    let mut c = redis::cmd("EVAL");
    c.arg(script).arg(keys.len());
    for k in keys {
        c.arg(*k);
    }
    for a in args {
        c.arg(*a);
    }
    c.query(con)
}

fn err_text(r: redis::RedisResult<Value>) -> String {
    match r {
        Err(e) => format!("{} {}", e.code().unwrap_or(""), e.detail().unwrap_or("")),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

#[test]
fn eval_runs_commands_and_converts_replies() {
    let srv = Server::start(&[]);
    let mut con = srv.conn();
    let v = eval(
        &mut con,
        "redis.call('set', KEYS[1], ARGV[1]); return {redis.call('get', KEYS[1]), redis.call('incr', 'n'), redis.status_reply('FINE'), true, false, 3.99}",
        &["k"],
        &["v"],
    )
    .unwrap();
    assert_eq!(
        v,
        Value::Array(vec![
            Value::BulkString(b"v".to_vec()),
            Value::Int(1),
            Value::SimpleString("FINE".into()),
            Value::Int(1),
            Value::Nil,
            Value::Int(3),
        ])
    );
    // A missing key reads as false; nil ends an array.
    let v = eval(
        &mut con,
        "return {type(redis.call('get', 'nokey')), 1, nil, 2}",
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(
        v,
        Value::Array(vec![Value::BulkString(b"boolean".to_vec()), Value::Int(1)])
    );
    // Number arguments are sent as %.17g, as Redis does.
    eval(&mut con, "return redis.call('set', 'f', 0.1)", &[], &[]).unwrap();
    let f: String = con.get("f").unwrap();
    assert_eq!(f, "0.10000000000000001");
}

#[test]
fn errors_carry_the_script_position_as_in_redis() {
    let srv = Server::start(&[]);
    let mut con = srv.conn();
    let _: () = con.set("s", "abc").unwrap();
    let sha = "c243b9f46db13ba8f69da41b45a77708832babed";
    assert_eq!(
        err_text(eval(&mut con, "return redis.call('incr','s')", &[], &[])),
        format!("ERR value is not an integer or out of range script: {sha}, on @user_script:1.")
    );
    // redis.pcall returns the error instead of raising it.
    assert_eq!(
        err_text(eval(&mut con, "return redis.pcall('incr','s')", &[], &[])),
        "ERR value is not an integer or out of range"
    );
    assert!(err_text(eval(&mut con, "return y", &[], &[])).starts_with(
        "ERR user_script:1: Script attempted to access nonexistent global variable 'y' script:"
    ));
    assert!(err_text(eval(&mut con, "x = 1", &[], &[]))
        .starts_with("ERR user_script:1: Attempt to modify a readonly table script:"));
    assert_eq!(
        err_text(eval(&mut con, "return 1 +", &[], &[])),
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
    );
    assert!(
        err_text(eval(&mut con, "return redis.call('blpop','l',0)", &[], &[]))
            .starts_with("ERR This Redis command is not allowed from script script:")
    );
    let ro: redis::RedisResult<Value> = redis::cmd("EVAL_RO")
        .arg("return redis.call('set','a',1)")
        .arg(0)
        .query(&mut con);
    assert!(err_text(ro)
        .starts_with("ERR Write commands are not allowed from read-only scripts. script:"));
    assert_eq!(
        err_text(eval(&mut con, "return 1", &["a", "b"], &[]).and_then(|_| {
            redis::cmd("EVAL")
                .arg("return 1")
                .arg(3)
                .arg("a")
                .query(&mut con)
        })),
        "ERR Number of keys can't be greater than number of args"
    );
    let missing: redis::RedisResult<Value> = redis::cmd("EVALSHA")
        .arg("ffffffffffffffffffffffffffffffffffffffff")
        .arg(0)
        .query(&mut con);
    assert_eq!(
        err_text(missing),
        "NOSCRIPT No matching script. Please use EVAL."
    );
}

#[test]
fn script_cache_and_evalsha() {
    let srv = Server::start(&[]);
    let mut con = srv.conn();
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg("return ARGV[1] .. '!'")
        .query(&mut con)
        .unwrap();
    assert_eq!(sha.len(), 40);
    let v: String = redis::cmd("EVALSHA")
        .arg(&sha)
        .arg(0)
        .arg("hi")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "hi!");
    let exists: Vec<i64> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(&sha)
        .arg("nope")
        .query(&mut con)
        .unwrap();
    assert_eq!(exists, vec![1, 0]);
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut con).unwrap();
    let exists: Vec<i64> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(&sha)
        .query(&mut con)
        .unwrap();
    assert_eq!(exists, vec![0]);
    // redis-rs's Script object: EVALSHA, then EVAL on NOSCRIPT.
    let script = redis::Script::new("return redis.call('incrby', KEYS[1], ARGV[1])");
    let n: i64 = script.key("counter").arg(5).invoke(&mut con).unwrap();
    assert_eq!(n, 5);
}

#[test]
fn scripts_are_atomic_across_worker_threads() {
    // Writers on several workers move value between two keys with a script;
    // readers on other workers must always see the sum unchanged.
    let srv = Server::start(&["--threads", "4"]);
    let mut con = srv.conn();
    let _: () = con.set("a{x}", 1000).unwrap();
    let _: () = con.set("b{y}", 0).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let mut c = srv.conn();
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut checks = 0;
            while !stop.load(Ordering::Relaxed) {
                let (a, b): (i64, i64) = redis::pipe()
                    .atomic()
                    .get("a{x}")
                    .get("b{y}")
                    .query(&mut c)
                    .unwrap();
                assert_eq!(a + b, 1000, "a transaction saw half a script");
                checks += 1;
            }
            checks
        }));
    }
    let mut writers = Vec::new();
    for _ in 0..3 {
        let mut c = srv.conn();
        writers.push(std::thread::spawn(move || {
            for _ in 0..300 {
                let _: Value = eval(
                    &mut c,
                    "redis.call('decr', KEYS[1]); redis.call('incr', KEYS[2])",
                    &["a{x}", "b{y}"],
                    &[],
                )
                .unwrap();
            }
        }));
    }
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let a: i64 = con.get("a{x}").unwrap();
    let b: i64 = con.get("b{y}").unwrap();
    assert_eq!((a, b), (100, 900));
}

#[test]
fn busy_script_gets_busy_replies_and_script_kill() {
    let srv = Server::start(&["--threads", "2"]);
    let mut admin = srv.conn();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("busy-reply-threshold")
        .arg(50)
        .query(&mut admin)
        .unwrap();
    let mut runner = srv.conn();
    let handle =
        std::thread::spawn(move || err_text(eval(&mut runner, "while true do end", &[], &[])));
    // Every connection (whichever worker serves it) gets -BUSY, until
    // SCRIPT KILL stops the script.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut others: Vec<redis::Connection> = (0..4).map(|_| srv.conn()).collect();
    loop {
        let r: redis::RedisResult<String> = redis::cmd("PING").query(&mut others[0]);
        if let Err(e) = r {
            assert_eq!(e.code(), Some("BUSY"));
            break;
        }
        assert!(Instant::now() < deadline, "never became busy");
        std::thread::sleep(Duration::from_millis(10));
    }
    for c in others.iter_mut() {
        let r: redis::RedisResult<String> = c.get("k");
        assert_eq!(r.unwrap_err().code(), Some("BUSY"));
    }
    let _: () = redis::cmd("SCRIPT").arg("KILL").query(&mut admin).unwrap();
    let msg = handle.join().unwrap();
    assert!(
        msg.starts_with("ERR Script killed by user with SCRIPT KILL..."),
        "{msg}"
    );
    let pong: String = redis::cmd("PING").query(&mut others[1]).unwrap();
    assert_eq!(pong, "PONG");
    let r: redis::RedisResult<()> = redis::cmd("SCRIPT").arg("KILL").query(&mut admin);
    assert_eq!(r.unwrap_err().code(), Some("NOTBUSY"));
}

#[test]
fn a_script_that_wrote_cannot_be_killed() {
    let srv = Server::start(&[]);
    let mut admin = srv.conn();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("busy-reply-threshold")
        .arg(20)
        .query(&mut admin)
        .unwrap();
    let mut runner = srv.conn();
    let handle = std::thread::spawn(move || {
        eval(
            &mut runner,
            "redis.call('set', 'w', 1) \
             local function now() local t = redis.call('time') return t[1] * 1000000 + t[2] end \
             local start = now() while now() - start < 1000000 do end return 'done'",
            &[],
            &[],
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let r: redis::RedisResult<()> = redis::cmd("SCRIPT").arg("KILL").query(&mut admin);
    assert_eq!(r.unwrap_err().code(), Some("UNKILLABLE"));
    assert_eq!(
        handle.join().unwrap().unwrap(),
        Value::BulkString(b"done".to_vec())
    );
}

#[test]
fn exec_with_a_queued_script() {
    let srv = Server::start(&["--threads", "2"]);
    let mut con = srv.conn();
    let (a, b, c): (i64, i64, i64) = redis::pipe()
        .atomic()
        .incr("n", 1)
        .cmd("EVAL")
        .arg("return redis.call('incr', KEYS[1])")
        .arg(1)
        .arg("n")
        .incr("n", 1)
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
}

#[test]
fn functions_load_list_and_call() {
    let srv = Server::start(&[]);
    let mut con = srv.conn();
    let code = "#!lua name=mylib\nredis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)\nredis.register_function{function_name='ro', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(code)
        .query(&mut con)
        .unwrap();
    assert_eq!(name, "mylib");
    let again: redis::RedisResult<String> =
        redis::cmd("FUNCTION").arg("LOAD").arg(code).query(&mut con);
    assert_eq!(
        err_text(again.map(|s| Value::BulkString(s.into_bytes()))),
        "ERR Library 'mylib' already exists"
    );
    let v: String = redis::cmd("FCALL")
        .arg("hello")
        .arg(0)
        .arg("you")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "hello you");
    let _: () = con.set("k", "v").unwrap();
    let v: String = redis::cmd("FCALL_RO")
        .arg("ro")
        .arg(1)
        .arg("k")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "v");
    let r: redis::RedisResult<Value> = redis::cmd("FCALL_RO")
        .arg("hello")
        .arg(0)
        .arg("x")
        .query(&mut con);
    assert_eq!(
        err_text(r),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    let list: Value = redis::cmd("FUNCTION").arg("LIST").query(&mut con).unwrap();
    let text = format!("{list:?}");
    assert!(
        text.contains("mylib") && text.contains("no-writes"),
        "{text}"
    );
    let _: () = redis::cmd("FUNCTION")
        .arg("DELETE")
        .arg("mylib")
        .query(&mut con)
        .unwrap();
    let r: redis::RedisResult<Value> = redis::cmd("FCALL").arg("hello").arg(0).query(&mut con);
    assert_eq!(err_text(r), "ERR Function not found");
}
