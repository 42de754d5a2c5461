//! Pub/Sub: who listens to which channel, pattern or shard channel, and the
//! delivery of messages to subscribers on any worker thread.
//!
//! The registry is one `RwLock`: PUBLISH (and every keyspace notification)
//! takes it shared, SUBSCRIBE and friends exclusively. It is never taken
//! while it is held, and taken after shard locks when a command notifies, so
//! it adds no lock cycle.
//!
//! A message is encoded once, as its RESP2 frame (`*3 $7 message ...`), and
//! shared by every subscriber: a RESP3 subscriber gets the same bytes with
//! `>` for `*`, the only difference between the two encodings of a push.
//! Subscribers are grouped by worker and each worker gets one mailbox
//! message per PUBLISH, holding the frames and the targets; the worker
//! copies the frame into each target's output buffer, as Redis does, and
//! applies the `pubsub` output-buffer limit there. A worker's mailbox is
//! FIFO, so one publisher's messages reach every subscriber in order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::net::worker::{Delivery, DeliveryKind, Mailbox, Msg};
use crate::util::glob::glob_match;

/// A subscribed connection: enough to find it on its worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscriber {
    /// Client id (a token's slot is reused after a close: the id tells).
    pub client_id: u64,
    /// Owning worker.
    pub worker: u32,
    /// The connection's slot in its worker.
    pub token: u32,
}

/// The three namespaces Redis keeps apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE: glob patterns matched against PUBLISH channels.
    Pattern,
    /// SSUBSCRIBE / SPUBLISH (Redis 7 shard channels).
    Shard,
}

impl Kind {
    /// The first element of a subscribe confirmation.
    pub fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    /// The first element of an unsubscribe confirmation.
    pub fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

type Table = HashMap<Box<[u8]>, Vec<Subscriber>>;

#[derive(Default)]
struct Registry {
    channels: Table,
    patterns: Table,
    shard: Table,
}

impl Registry {
    fn table(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    fn table_ref(&self, kind: Kind) -> &Table {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }
}

/// Every subscription of every client.
#[derive(Default)]
pub struct PubSub {
    reg: RwLock<Registry>,
    /// Registered (name, subscriber) pairs over all three tables: keyspace
    /// notifications skip building channel names while it is zero.
    subscriptions: AtomicUsize,
}

/// A set of channel or pattern names. Every delivered message is checked
/// against its receiver's set, so it hashes with foldhash, not SipHash.
pub type NameSet = std::collections::HashSet<Box<[u8]>, foldhash::fast::RandomState>;

/// A client's own view of its subscriptions (for counts, UNSUBSCRIBE
/// without arguments, the RESP2 subscriber mode, and dropping messages
/// that were in flight when it unsubscribed).
#[derive(Debug, Default)]
pub struct ClientSubs {
    /// Channels.
    pub channels: NameSet,
    /// Patterns.
    pub patterns: NameSet,
    /// Shard channels.
    pub shard: NameSet,
}

impl ClientSubs {
    /// The set of one kind.
    pub fn set(&mut self, kind: Kind) -> &mut NameSet {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// The count a (un)subscribe confirmation carries: channels plus
    /// patterns, or shard channels alone (Redis 7.0 counts them apart).
    pub fn count_for(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    /// Any subscription at all: the client is in Pub/Sub mode.
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }
}

/// A RESP2 push frame of bulk strings.
fn frame(parts: &[&[u8]]) -> Arc<[u8]> {
    crate::resp::ReplyBuf::bulk_array(parts).into()
}

/// Appends a shared RESP2 frame to an output buffer in the client's protocol.
pub fn append_frame(out: &mut Vec<u8>, frame: &[u8], resp3: bool) {
    if resp3 {
        out.push(b'>');
        out.extend_from_slice(&frame[1..]);
    } else {
        out.extend_from_slice(frame);
    }
}

/// The connection running the command that publishes: a message for it is
/// written straight into its pending pushes, before the command's reply,
/// as Redis writes it into the client's buffer during the call.
pub struct Publisher<'a> {
    /// Its client id (0: no client, e.g. the active expire cycle).
    pub client_id: u64,
    /// Where its own messages go.
    pub pushes: &'a mut Vec<u8>,
    /// Its protocol.
    pub resp3: bool,
}

impl PubSub {
    /// Adds a subscription. The caller checked that the client doesn't
    /// hold it yet (its own set of names), so this is a push, not a search.
    pub fn subscribe(&self, kind: Kind, name: &[u8], sub: Subscriber) {
        let mut reg = self.reg.write();
        reg.table(kind).entry(name.into()).or_default().push(sub);
        self.subscriptions.fetch_add(1, Relaxed);
    }

    /// Removes a subscription; false if there was none.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], client_id: u64) -> bool {
        let mut reg = self.reg.write();
        let table = reg.table(kind);
        let Some(list) = table.get_mut(name) else {
            return false;
        };
        let Some(i) = list.iter().position(|s| s.client_id == client_id) else {
            return false;
        };
        list.swap_remove(i);
        if list.is_empty() {
            table.remove(name);
        }
        self.subscriptions.fetch_sub(1, Relaxed);
        true
    }

    /// Drops every subscription of a closing or RESET client.
    pub fn forget_client(&self, subs: &mut ClientSubs, client_id: u64) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in std::mem::take(subs.set(kind)) {
                self.unsubscribe(kind, &name, client_id);
            }
        }
    }

    /// True if nobody is subscribed to anything.
    pub fn is_empty(&self) -> bool {
        self.subscriptions.load(Relaxed) == 0
    }

    /// Channels (or shard channels) with subscribers matching `pattern`.
    pub fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Box<[u8]>> {
        let reg = self.reg.read();
        reg.table_ref(kind)
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of one channel (or shard channel).
    pub fn numsub(&self, kind: Kind, name: &[u8]) -> usize {
        self.reg
            .read()
            .table_ref(kind)
            .get(name)
            .map_or(0, Vec::len)
    }

    /// Distinct names with subscribers, per kind (INFO, PUBSUB NUMPAT).
    pub fn count(&self, kind: Kind) -> usize {
        self.reg.read().table_ref(kind).len()
    }

    /// Publishes `msg` on `channel` (shard channel if `shard`); returns the
    /// number of receivers, as PUBLISH replies.
    pub fn publish(
        &self,
        mailboxes: &[Arc<Mailbox>],
        shard: bool,
        channel: &[u8],
        msg: &[u8],
        me: &mut Publisher<'_>,
    ) -> usize {
        if self.is_empty() {
            return 0;
        }
        let reg = self.reg.read();
        let mut batches: Vec<Vec<Delivery>> = Vec::new();
        let mut receivers = 0;
        let mut deliver = |frame: Arc<[u8]>,
                           topic: (Kind, &[u8]),
                           subs: &[Subscriber],
                           me: &mut Publisher<'_>| {
            let name: Arc<[u8]> = topic.1.into();
            receivers += subs.len();
            for s in subs {
                if s.client_id == me.client_id {
                    append_frame(me.pushes, &frame, me.resp3);
                    continue;
                }
                let w = s.worker as usize;
                if batches.len() <= w {
                    batches.resize_with(w + 1, Vec::new);
                }
                let b = &mut batches[w];
                match b.last_mut() {
                    Some(d) if Arc::ptr_eq(&d.frame, &frame) => {
                        d.targets.push((s.client_id, s.token))
                    }
                    _ => b.push(Delivery {
                        frame: frame.clone(),
                        targets: vec![(s.client_id, s.token)],
                        kind: DeliveryKind::PubSub,
                        topic: Some((topic.0, name.clone())),
                    }),
                }
            }
        };
        let (table, word, kind): (&Table, &[u8], Kind) = if shard {
            (&reg.shard, b"smessage", Kind::Shard)
        } else {
            (&reg.channels, b"message", Kind::Channel)
        };
        if let Some(subs) = table.get(channel) {
            deliver(frame(&[word, channel, msg]), (kind, channel), subs, me);
        }
        if !shard {
            for (pat, subs) in &reg.patterns {
                if glob_match(pat, channel, false) {
                    let f = frame(&[b"pmessage", pat, channel, msg]);
                    deliver(f, (Kind::Pattern, pat), subs, me);
                }
            }
        }
        drop(reg);
        let here = crate::net::worker::current_worker();
        for (w, b) in batches.into_iter().enumerate() {
            if b.is_empty() {
                continue;
            }
            if let Some(mb) = mailboxes.get(w) {
                mb.send_from(Msg::Deliver(b), here == Some(w));
            }
        }
        receivers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: u64) -> Subscriber {
        Subscriber {
            client_id: id,
            worker: 0,
            token: id as u32,
        }
    }

    #[test]
    fn subscriptions_are_counted_and_removed() {
        let ps = PubSub::default();
        ps.subscribe(Kind::Channel, b"a", sub(1));
        ps.subscribe(Kind::Channel, b"a", sub(2));
        ps.subscribe(Kind::Pattern, b"a*", sub(1));
        assert_eq!(ps.numsub(Kind::Channel, b"a"), 2);
        assert_eq!(ps.count(Kind::Pattern), 1);
        assert!(ps.unsubscribe(Kind::Channel, b"a", 1));
        assert!(!ps.unsubscribe(Kind::Channel, b"a", 1));
        assert_eq!(ps.numsub(Kind::Channel, b"a"), 1);
        assert!(ps.unsubscribe(Kind::Channel, b"a", 2));
        assert_eq!(ps.count(Kind::Channel), 0, "an empty channel is removed");
        assert!(!ps.is_empty());
        assert!(ps.unsubscribe(Kind::Pattern, b"a*", 1));
        assert!(ps.is_empty());
    }

    #[test]
    fn publishing_to_oneself_writes_the_push_in_the_clients_protocol() {
        let ps = PubSub::default();
        ps.subscribe(Kind::Channel, b"ch", sub(7));
        ps.subscribe(Kind::Pattern, b"c*", sub(7));
        ps.subscribe(Kind::Pattern, b"x*", sub(7));
        let mut pushes = Vec::new();
        let mut me = Publisher {
            client_id: 7,
            pushes: &mut pushes,
            resp3: true,
        };
        assert_eq!(ps.publish(&[], false, b"ch", b"hi", &mut me), 2);
        assert_eq!(
            pushes,
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        let mut pushes = Vec::new();
        let mut me = Publisher {
            client_id: 7,
            pushes: &mut pushes,
            resp3: false,
        };
        assert_eq!(ps.publish(&[], true, b"ch", b"hi", &mut me), 0);
        assert!(pushes.is_empty(), "shard channels are a separate namespace");
    }
}
