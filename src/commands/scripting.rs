//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL,
//! FCALL_RO and FUNCTION (Redis's `eval.c` and `functions.c`).
//!
//! Those bound with `LockMode::Engine` run on the script engine thread
//! (`crate::script`) with every shard locked. SCRIPT KILL, FUNCTION KILL
//! and FUNCTION STATS run on the caller's worker, since the engine is the
//! very thing that is busy when they are needed.

use super::server_cmds::help_reply;
use super::{
    bind, Args, Binding, CmdError, CmdResult, Ctx, LockMode::Engine as E, LockMode::None as N,
};
use crate::script::{engine, functions, RunKind, STATUS};

/// The scripting bindings.
pub const COMMANDS: &[Binding] = &[
    bind("eval", |c, a| engine::eval(c, a, false, false), E),
    bind("evalsha", |c, a| engine::eval(c, a, false, true), E),
    bind("eval_ro", |c, a| engine::eval(c, a, true, false), E),
    bind("evalsha_ro", |c, a| engine::eval(c, a, true, true), E),
    bind("script|load", script_load, E),
    bind("script|exists", script_exists, E),
    bind("script|flush", script_flush, E),
    bind("script|kill", script_kill, N),
    bind("script|help", script_help, N),
    bind("fcall", |c, a| functions::fcall(c, a, false), E),
    bind("fcall_ro", |c, a| functions::fcall(c, a, true), E),
    bind("function|load", function_load, E),
    bind("function|delete", function_delete, E),
    bind("function|flush", function_flush, E),
    bind("function|list", function_list, E),
    bind("function|kill", function_kill, N),
    bind("function|stats", function_stats, N),
    bind("function|help", function_help, N),
];

fn script_load(ctx: &mut Ctx, args: Args) -> CmdResult {
    let sha = engine::load_script(args.get(2))?;
    ctx.out.bulk(sha.as_bytes());
    Ok(())
}

fn script_exists(ctx: &mut Ctx, args: Args) -> CmdResult {
    let ids: Vec<&[u8]> = args.from(2).collect();
    let found = engine::scripts_exist(&ids);
    ctx.out.array(found.len());
    for f in found {
        ctx.out.int(f as i64);
    }
    Ok(())
}

/// The optional ASYNC|SYNC of SCRIPT FLUSH and FUNCTION FLUSH (both free
/// at once here: an interpreter is small).
fn flush_mode(args: Args) -> CmdResult {
    match args.len() {
        2 => Ok(()),
        3 if args.is(2, "async") || args.is(2, "sync") => Ok(()),
        _ => Err(CmdError::err("SCRIPT FLUSH only support SYNC|ASYNC option")),
    }
}

fn script_flush(ctx: &mut Ctx, args: Args) -> CmdResult {
    flush_mode(args)?;
    engine::flush_scripts();
    ctx.out.ok();
    Ok(())
}

fn script_kill(ctx: &mut Ctx, _args: Args) -> CmdResult {
    STATUS.request_kill(RunKind::Eval).map_err(CmdError::raw)?;
    ctx.out.ok();
    Ok(())
}

fn script_help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    help_reply(
        ctx,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

fn function_load(ctx: &mut Ctx, args: Args) -> CmdResult {
    let (replace, code) = match args.len() {
        3 => (false, args.get(2)),
        4 if args.is(2, "replace") => (true, args.get(3)),
        4 => {
            return Err(CmdError::err(format!(
                "Unknown option given: {}",
                args.text(2)
            )))
        }
        _ => return Err(CmdError::Syntax),
    };
    let name = functions::load(code, replace)?;
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn function_delete(ctx: &mut Ctx, args: Args) -> CmdResult {
    functions::delete(args.get(2))?;
    ctx.out.ok();
    Ok(())
}

fn function_flush(ctx: &mut Ctx, args: Args) -> CmdResult {
    match args.len() {
        2 => {}
        3 if args.is(2, "async") || args.is(2, "sync") => {}
        _ => {
            return Err(CmdError::err(
                "FUNCTION FLUSH only supports SYNC|ASYNC option",
            ))
        }
    }
    functions::flush();
    ctx.out.ok();
    Ok(())
}

fn function_list(ctx: &mut Ctx, args: Args) -> CmdResult {
    let mut pattern = None;
    let mut with_code = false;
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "withcode") && !with_code {
            with_code = true;
            i += 1;
        } else if args.is(i, "libraryname") && pattern.is_none() {
            if i + 1 >= args.len() {
                return Err(CmdError::err("library name argument was not given"));
            }
            pattern = Some(args.get(i + 1));
            i += 2;
        } else {
            return Err(CmdError::err(format!("Unknown argument {}", args.text(i))));
        }
    }
    functions::list(ctx, pattern, with_code)
}

fn function_kill(ctx: &mut Ctx, _args: Args) -> CmdResult {
    STATUS
        .request_kill(RunKind::Function)
        .map_err(CmdError::raw)?;
    ctx.out.ok();
    Ok(())
}

fn function_stats(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    let running = STATUS.running.lock().clone();
    match running {
        Some((name, argv)) if STATUS.kind() == RunKind::Function => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"command");
            out.array(argv.len());
            for a in &argv {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.int(STATUS.elapsed_ms());
        }
        _ => out.null(),
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    let (libs, funcs) = functions::counts();
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(libs as i64);
    out.bulk(b"functions_count");
    out.int(funcs as i64);
    Ok(())
}

fn function_help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    help_reply(
        ctx,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}
