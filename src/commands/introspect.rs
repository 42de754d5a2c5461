//! COMMAND and its subcommands: what clients (redis-py's cluster client,
//! redis-cli's hints, cluster proxies) learn about the command set. Replies
//! are built from the same metadata that drives dispatch, and list only the
//! commands Ferrite implements, so a client never plans on a missing one.

use super::meta::{self, Arg, BeginSearch, CommandMeta, FindKeys, KeySpec};
use super::table::{Command, Found};
use super::{Args, CmdError, CmdResult, Ctx};
use crate::resp::ReplyBuf;
use crate::server::Server;

fn implemented_subs<'a>(srv: &'a Server, c: &'a Command) -> Vec<&'a Command> {
    let mut subs: Vec<&Command> = c
        .subcommands
        .values()
        .map(|&i| &srv.commands.list[i])
        .filter(|s| s.handler.is_some())
        .collect();
    subs.sort_by(|a, b| a.fullname.cmp(&b.fullname));
    subs
}

fn key_spec(out: &mut ReplyBuf, ks: &KeySpec) {
    out.map(3 + ks.notes.is_some() as usize);
    if let Some(n) = ks.notes {
        out.bulk(b"notes");
        out.bulk(n.as_bytes());
    }
    out.bulk(b"flags");
    let flags: Vec<&str> = ks.flag_names().collect();
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    out.bulk(ks.begin_search.type_name().as_bytes());
    out.bulk(b"spec");
    match ks.begin_search {
        BeginSearch::Index(i) => {
            out.map(1);
            out.bulk(b"index");
            out.int(i as i64);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(startfrom as i64);
        }
        BeginSearch::Unknown => out.map(0),
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    out.bulk(ks.find_keys.type_name().as_bytes());
    out.bulk(b"spec");
    match ks.find_keys {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => {
            out.map(3);
            out.bulk(b"lastkey");
            out.int(lastkey as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
            out.bulk(b"limit");
            out.int(limit as i64);
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            step,
        } => {
            out.map(3);
            out.bulk(b"keynumidx");
            out.int(keynumidx as i64);
            out.bulk(b"firstkey");
            out.int(firstkey as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
        }
        FindKeys::Unknown => out.map(0),
    }
}

fn command_info(out: &mut ReplyBuf, srv: &Server, c: &Command) {
    let m: &CommandMeta = c.meta;
    let subs = implemented_subs(srv, c);
    out.array(10);
    out.bulk(c.fullname.as_bytes());
    out.int(m.arity as i64);
    let flags: Vec<&str> = m.flag_names().collect();
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    let (first, last, step) = m.legacy_range();
    out.int(first as i64);
    out.int(last as i64);
    out.int(step as i64);
    let cats: Vec<&str> = m.acl_category_names().collect();
    out.set(cats.len());
    for cat in cats {
        out.simple(&format!("@{cat}"));
    }
    out.set(m.tips.len());
    for t in m.tips {
        out.bulk(t.as_bytes());
    }
    // RESP3 types as Redis 7.0 sends them: key specs are a set; the
    // subcommands an array, but an empty set when there are none.
    out.set(m.key_specs.len());
    for ks in m.key_specs {
        key_spec(out, ks);
    }
    if subs.is_empty() {
        out.set(0);
    } else {
        out.array(subs.len());
    }
    for s in subs {
        command_info(out, srv, s);
    }
}

fn arg_list(out: &mut ReplyBuf, args: &[Arg]) {
    out.array(args.len());
    for a in args {
        let nested = !a.arguments.is_empty();
        let n = 2
            + a.key_spec_index.is_some() as usize
            + a.token.is_some() as usize
            + a.summary.is_some() as usize
            + a.since.is_some() as usize
            + a.deprecated_since.is_some() as usize
            + (a.flags != 0) as usize
            + nested as usize;
        out.map(n);
        out.bulk(b"name");
        out.bulk(a.name.as_bytes());
        out.bulk(b"type");
        out.bulk(a.arg_type.as_str().as_bytes());
        if let Some(i) = a.key_spec_index {
            out.bulk(b"key_spec_index");
            out.int(i as i64);
        }
        for (name, v) in [
            ("token", a.token),
            ("summary", a.summary),
            ("since", a.since),
            ("deprecated_since", a.deprecated_since),
        ] {
            if let Some(v) = v {
                out.bulk(name.as_bytes());
                out.bulk(v.as_bytes());
            }
        }
        if a.flags != 0 {
            out.bulk(b"flags");
            let f: Vec<&str> = a.flag_names().collect();
            out.set(f.len());
            for x in f {
                out.simple(x);
            }
        }
        if nested {
            out.bulk(b"arguments");
            arg_list(out, a.arguments);
        }
    }
}

fn command_docs(out: &mut ReplyBuf, srv: &Server, c: &Command) {
    let m = c.meta;
    let subs = implemented_subs(srv, c);
    let n = 1
        + !m.summary.is_empty() as usize
        + !m.since.is_empty() as usize
        + !m.complexity.is_empty() as usize
        + (m.doc_flags != 0) as usize
        + m.deprecated_since.is_some() as usize
        + m.replaced_by.is_some() as usize
        + !m.history.is_empty() as usize
        + !m.arguments.is_empty() as usize
        + !subs.is_empty() as usize;
    out.map(n);
    if !m.summary.is_empty() {
        out.bulk(b"summary");
        out.bulk(m.summary.as_bytes());
    }
    if !m.since.is_empty() {
        out.bulk(b"since");
        out.bulk(m.since.as_bytes());
    }
    out.bulk(b"group");
    out.bulk(m.group.as_str().as_bytes());
    if !m.complexity.is_empty() {
        out.bulk(b"complexity");
        out.bulk(m.complexity.as_bytes());
    }
    if m.doc_flags != 0 {
        out.bulk(b"doc_flags");
        let f: Vec<&str> = m.doc_flag_names().collect();
        out.set(f.len());
        for x in f {
            out.simple(x);
        }
    }
    if let Some(v) = m.deprecated_since {
        out.bulk(b"deprecated_since");
        out.bulk(v.as_bytes());
    }
    if let Some(v) = m.replaced_by {
        out.bulk(b"replaced_by");
        out.bulk(v.as_bytes());
    }
    if !m.history.is_empty() {
        out.bulk(b"history");
        out.array(m.history.len());
        for (v, d) in m.history {
            out.array(2);
            out.bulk(v.as_bytes());
            out.bulk(d.as_bytes());
        }
    }
    if !m.arguments.is_empty() {
        out.bulk(b"arguments");
        arg_list(out, m.arguments);
    }
    if !subs.is_empty() {
        out.bulk(b"subcommands");
        out.map(subs.len());
        for s in subs {
            out.bulk(s.fullname.as_bytes());
            command_docs(out, srv, s);
        }
    }
}

/// COMMAND: info on every implemented command.
pub fn command(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let srv = ctx.srv;
    let cmds: Vec<&Command> = srv.commands.implemented().collect();
    ctx.out.array(cmds.len());
    for c in cmds {
        command_info(ctx.out, srv, c);
    }
    Ok(())
}

/// COMMAND COUNT.
pub fn count(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let n = ctx.srv.commands.implemented().count();
    ctx.out.int(n as i64);
    Ok(())
}

fn find<'a>(srv: &'a Server, name: &[u8]) -> Option<&'a Command> {
    let c = srv.commands.by_name(std::str::from_utf8(name).ok()?)?;
    srv.commands.is_implemented(c).then_some(c)
}

/// COMMAND INFO [name ...].
pub fn info(ctx: &mut Ctx, args: Args) -> CmdResult {
    if args.len() == 2 {
        return command(ctx, args);
    }
    let srv = ctx.srv;
    ctx.out.array(args.len() - 2);
    for name in args.from(2) {
        match find(srv, name) {
            Some(c) => command_info(ctx.out, srv, c),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [name ...].
pub fn docs(ctx: &mut Ctx, args: Args) -> CmdResult {
    let srv = ctx.srv;
    let cmds: Vec<&Command> = if args.len() == 2 {
        srv.commands.implemented().collect()
    } else {
        args.from(2).filter_map(|n| find(srv, n)).collect()
    };
    ctx.out.map(cmds.len());
    for c in cmds {
        ctx.out.bulk(c.fullname.as_bytes());
        command_docs(ctx.out, srv, c);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN pattern].
pub fn list(ctx: &mut Ctx, args: Args) -> CmdResult {
    enum Filter<'a> {
        None,
        Module,
        AclCat(u64),
        Pattern(&'a [u8]),
    }
    let filter = match args.len() {
        2 => Filter::None,
        5 if args.is(2, "FILTERBY") => {
            if args.is(3, "MODULE") {
                Filter::Module
            } else if args.is(3, "ACLCAT") {
                Filter::AclCat(
                    meta::acl::from_name(&args.text(4).to_ascii_lowercase()).unwrap_or(0),
                )
            } else if args.is(3, "PATTERN") {
                Filter::Pattern(args.get(4))
            } else {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let srv = ctx.srv;
    let mut names: Vec<&str> = Vec::new();
    for c in srv.commands.implemented() {
        for x in std::iter::once(c).chain(implemented_subs(srv, c)) {
            let keep = match filter {
                Filter::None => true,
                Filter::Module => false,
                Filter::AclCat(bits) => bits != 0 && x.meta.acl_categories & bits != 0,
                Filter::Pattern(p) => crate::util::glob::glob_match(p, x.fullname.as_bytes(), true),
            };
            if keep {
                names.push(&x.fullname);
            }
        }
    }
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

/// COMMAND GETKEYS command [arg ...].
pub fn getkeys(ctx: &mut Ctx, args: Args) -> CmdResult {
    let srv = ctx.srv;
    let owned: Vec<&[u8]> = args.from(2).collect();
    let inner_buf: Vec<u8> = owned.concat();
    let mut offs = Vec::with_capacity(owned.len());
    let mut at = 0;
    for a in &owned {
        offs.push(at..at + a.len());
        at += a.len();
    }
    let inner = Args::new(&inner_buf, &offs);
    let cmd = match srv.commands.lookup(inner) {
        Found::Command(c) => c,
        _ => return Err(CmdError::err("Invalid command specified")),
    };
    let found = match meta::getkeys(cmd.meta, &owned) {
        Err(meta::GetKeysError::NeedsCustomFinder("sortGetKeys")) => Ok(sort_keys(&owned)),
        Err(meta::GetKeysError::NeedsCustomFinder("sortROGetKeys")) => Ok(vec![1]),
        other => other,
    };
    match found {
        Ok(pos) => {
            ctx.out.array(pos.len());
            for p in pos {
                ctx.out.bulk(owned[p]);
            }
            Ok(())
        }
        Err(e) => Err(CmdError::err(
            e.message()
                .unwrap_or("Invalid arguments specified for command"),
        )),
    }
}

/// SORT's keys as Redis's `sortGetKeys` finds them: the sorted key, and
/// the destination of the last `STORE` (BY and GET patterns are not keys
/// to it; their values are skipped with LIMIT's two).
pub(crate) fn sort_keys(argv: &[&[u8]]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// COMMAND HELP.
pub fn help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    super::server_cmds::help_reply(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}
