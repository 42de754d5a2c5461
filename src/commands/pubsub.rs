//! Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, over the registry
//! in `crate::pubsub`.
//!
//! Subscribe and unsubscribe confirmations are pushes: they go to the
//! client's pending pushes, which precede the command's (empty) reply and
//! survive CLIENT REPLY OFF, as in Redis 7.0.

use super::server_cmds::help_reply;
use super::table::Command;
use super::{bind, Args, Binding, CmdResult, Ctx, LockMode::None as N};
use crate::pubsub::{Kind, Publisher, Subscriber};
use crate::resp::ReplyBuf;

/// The Pub/Sub family's command bindings.
pub const COMMANDS: &[Binding] = &[
    bind("subscribe", subscribe, N),
    bind("unsubscribe", unsubscribe, N),
    bind("psubscribe", psubscribe, N),
    bind("punsubscribe", punsubscribe, N),
    bind("ssubscribe", ssubscribe, N),
    bind("sunsubscribe", sunsubscribe, N),
    bind("publish", publish, N),
    bind("spublish", spublish, N),
    bind("pubsub|channels", pubsub_channels, N),
    bind("pubsub|numsub", pubsub_numsub, N),
    bind("pubsub|numpat", pubsub_numpat, N),
    bind("pubsub|shardchannels", pubsub_shardchannels, N),
    bind("pubsub|shardnumsub", pubsub_shardnumsub, N),
    bind("pubsub|help", pubsub_help, N),
];

/// What a RESP2 client with subscriptions may still run.
pub fn allowed_in_subscriber_mode(cmd: &Command) -> bool {
    matches!(
        cmd.fullname.as_str(),
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Writes one (un)subscribe confirmation into the client's pushes (inside
/// EXEC: into the transaction's reply array, as Redis does).
fn confirm(ctx: &mut Ctx, word: &[u8], name: Option<&[u8]>, count: usize) {
    if ctx.client.in_multi {
        ctx.out.push(3);
        ctx.out.bulk(word);
        match name {
            Some(n) => ctx.out.bulk(n),
            None => ctx.out.null(),
        }
        ctx.out.int(count as i64);
        return;
    }
    let mut out = ReplyBuf {
        buf: std::mem::take(&mut ctx.client.pushes),
        resp3: ctx.out.resp3,
    };
    out.push(3);
    out.bulk(word);
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count as i64);
    ctx.client.pushes = out.buf;
}

fn me(ctx: &Ctx) -> Subscriber {
    Subscriber {
        client_id: ctx.client.id,
        worker: ctx.client.worker,
        token: ctx.client.token,
    }
}

fn subscribe_to(ctx: &mut Ctx, args: Args, kind: Kind) -> CmdResult {
    for name in args.from(1) {
        if ctx.client.subs.set(kind).insert(name.into()) {
            ctx.srv.pubsub.subscribe(kind, name, me(ctx));
        }
        let n = ctx.client.subs.count_for(kind);
        confirm(ctx, kind.subscribe_word(), Some(name), n);
    }
    Ok(())
}

fn unsubscribe_from(ctx: &mut Ctx, args: Args, kind: Kind) -> CmdResult {
    let names: Vec<Box<[u8]>> = if args.len() > 1 {
        args.from(1).map(Into::into).collect()
    } else {
        ctx.client.subs.set(kind).iter().cloned().collect()
    };
    if names.is_empty() {
        let n = ctx.client.subs.count_for(kind);
        confirm(ctx, kind.unsubscribe_word(), None, n);
        return Ok(());
    }
    for name in names {
        if ctx.client.subs.set(kind).remove(&name) {
            ctx.srv.pubsub.unsubscribe(kind, &name, ctx.client.id);
        }
        let n = ctx.client.subs.count_for(kind);
        confirm(ctx, kind.unsubscribe_word(), Some(&name), n);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    subscribe_to(ctx, args, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    subscribe_to(ctx, args, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    subscribe_to(ctx, args, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Shard)
}

/// Publishes from the running command: messages for the client itself land
/// in its pushes. Returns the number of receivers.
pub fn publish_from(ctx: &mut Ctx, shard: bool, channel: &[u8], msg: &[u8]) -> usize {
    let Some(mailboxes) = ctx.srv.mailboxes.get() else {
        return 0;
    };
    let mut me = Publisher {
        client_id: ctx.client.id,
        pushes: &mut ctx.client.pushes,
        resp3: ctx.out.resp3,
    };
    ctx.srv
        .pubsub
        .publish(mailboxes, shard, channel, msg, &mut me)
}

fn publish(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = publish_from(ctx, false, args.get(1), args.get(2));
    ctx.out.int(n as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx, args: Args) -> CmdResult {
    let n = publish_from(ctx, true, args.get(1), args.get(2));
    ctx.out.int(n as i64);
    Ok(())
}

fn list_channels(ctx: &mut Ctx, args: Args, kind: Kind) -> CmdResult {
    let pattern = (args.len() > 2).then(|| args.get(2));
    let names = ctx.srv.pubsub.channels(kind, pattern);
    ctx.out.array(names.len());
    for n in &names {
        ctx.out.bulk(n);
    }
    Ok(())
}

fn count_subscribers(ctx: &mut Ctx, args: Args, kind: Kind) -> CmdResult {
    ctx.out.array((args.len() - 2) * 2);
    for name in args.from(2) {
        ctx.out.bulk(name);
        ctx.out.int(ctx.srv.pubsub.numsub(kind, name) as i64);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx, args: Args) -> CmdResult {
    list_channels(ctx, args, Kind::Channel)
}

fn pubsub_shardchannels(ctx: &mut Ctx, args: Args) -> CmdResult {
    list_channels(ctx, args, Kind::Shard)
}

fn pubsub_numsub(ctx: &mut Ctx, args: Args) -> CmdResult {
    count_subscribers(ctx, args, Kind::Channel)
}

fn pubsub_shardnumsub(ctx: &mut Ctx, args: Args) -> CmdResult {
    count_subscribers(ctx, args, Kind::Shard)
}

fn pubsub_numpat(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.out.int(ctx.srv.pubsub.count(Kind::Pattern) as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx, _args: Args) -> CmdResult {
    help_reply(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}
