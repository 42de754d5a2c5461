//! Keyspace notifications (`notify-keyspace-events`): the events commands
//! record while they run, published on `__keyspace@<db>__:<key>` (message:
//! the event) and `__keyevent@<db>__:<event>` (message: the key) when the
//! command returns.
//!
//! Handlers call `Keys::notify` with the class and Redis's event name at the
//! point Redis's `notifyKeyspaceEvent` is called; `Keys` itself records the
//! generic ones (`new`, `expired` on lazy expiry, `keymiss`, and `del` of a
//! collection left empty). Recording costs one bit test while nobody is
//! subscribed to anything.

use std::sync::atomic::Ordering::Relaxed;

use crate::config::notify::{KEYEVENT, KEYSPACE};
use crate::pubsub::Publisher;
use crate::server::Server;

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its class bit (`config::notify`).
    pub class: u32,
    /// Redis's event name (`set`, `lpush`, `expired`...).
    pub name: &'static str,
    /// The key.
    pub key: Vec<u8>,
    /// The key's database.
    pub db: usize,
}

impl Event {
    /// An event on `key` in `db`.
    pub fn new(class: u32, name: &'static str, key: &[u8], db: usize) -> Event {
        Event {
            class,
            name,
            key: key.to_vec(),
            db,
        }
    }
}

/// The classes commands should record now: none while nobody is subscribed
/// or neither keyspace nor keyevent channels are enabled.
pub fn mask(srv: &Server) -> u32 {
    let flags = srv.hot.notify_flags.load(Relaxed);
    if flags & (KEYSPACE | KEYEVENT) == 0 || srv.pubsub.is_empty() {
        0
    } else {
        flags
    }
}

/// Publishes recorded events in order.
pub fn publish(srv: &Server, events: &mut Vec<Event>, me: &mut Publisher<'_>) {
    let Some(mailboxes) = srv.mailboxes.get() else {
        events.clear();
        return;
    };
    let flags = srv.hot.notify_flags.load(Relaxed);
    for ev in events.drain(..) {
        if flags & KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{}__:", ev.db).into_bytes();
            ch.extend_from_slice(&ev.key);
            srv.pubsub
                .publish(mailboxes, false, &ch, ev.name.as_bytes(), me);
        }
        if flags & KEYEVENT != 0 {
            let ch = format!("__keyevent@{}__:{}", ev.db, ev.name);
            srv.pubsub
                .publish(mailboxes, false, ch.as_bytes(), &ev.key, me);
        }
    }
}

/// Publishes an `expired` event from the active expiry cycle (no client).
pub fn expired_in_background(srv: &Server, db: usize, key: &[u8]) {
    let flags = mask(srv);
    if flags & crate::config::notify::EXPIRED == 0 {
        return;
    }
    let mut events = vec![Event::new(
        crate::config::notify::EXPIRED,
        "expired",
        key,
        db,
    )];
    let mut sink = Vec::new();
    let mut me = Publisher {
        client_id: 0,
        pushes: &mut sink,
        resp3: false,
    };
    publish(srv, &mut events, &mut me);
}
