//! Client-side caching (CLIENT TRACKING): which clients may hold which
//! keys, and the invalidation messages sent when those keys change.
//!
//! - **Default mode.** After a read-only command of a tracking client, its
//!   keys are remembered in the *tracked-keys table of their shard*, under
//!   the shard lock the command already holds, so remembering costs no
//!   extra lock. A change to a key (a write, an expiry, an eviction from
//!   the table) removes its entry and queues one invalidation per client.
//! - **BCAST mode.** Prefixes are registered globally; every changed key
//!   matching a prefix is queued, and the worker sends each prefix's
//!   clients one message with all of its keys at the end of its loop turn,
//!   as Redis does in `beforeSleep`.
//!
//! Invalidations are queued in a thread-local list while the command runs
//! (the places that change keys have no access to the client) and sent
//! when it returns. An invalidation for the client running the command
//! goes *after* its reply, as in Redis 7.0; others are delivered through
//! the target's worker mailbox, formatted by that worker for the target's
//! protocol at that moment (RESP3 push, or the `__redis__:invalidate`
//! Pub/Sub message for a RESP2 redirection target).
//!
//! Like Redis, the table is not cleaned when a client stops tracking: its
//! id stays until the key is invalidated, and is skipped then.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use parking_lot::{Mutex, RwLock};

use crate::net::client::ClientShared;
use crate::net::worker::{current_worker, Delivery, DeliveryKind, Msg};
use crate::server::Server;

/// A client's tracking settings (`CLIENT TRACKING` options).
#[derive(Debug, Default, Clone)]
pub struct TrackingConf {
    /// Tracking is on.
    pub on: bool,
    /// BCAST mode.
    pub bcast: bool,
    /// OPTIN mode.
    pub optin: bool,
    /// OPTOUT mode.
    pub optout: bool,
    /// NOLOOP: no invalidation for keys this client changed itself.
    pub noloop: bool,
    /// Client to send invalidations to (0: this one).
    pub redirect: u64,
    /// The redirection client is gone (flag `R`, `broken_redirect`).
    pub broken_redirect: bool,
    /// BCAST prefixes.
    pub prefixes: Vec<Vec<u8>>,
}

/// The tracked keys of one shard: key -> ids of clients that may cache it.
/// Keys only, without the database, as Redis's tracking table.
#[derive(Default)]
pub struct TrackedKeys {
    map: HashMap<Vec<u8>, Vec<u64>>,
}

impl TrackedKeys {
    /// True if no key of this shard is tracked.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Any tracked key of this shard, for evictions from a full table.
    pub fn any_key(&self) -> Option<Vec<u8>> {
        self.map.keys().next().cloned()
    }
}

/// One BCAST prefix and its clients.
struct Prefix {
    prefix: Vec<u8>,
    clients: Vec<u64>,
}

/// Process-wide tracking state: a singleton like Redis's, reachable from
/// the places that change keys (lazy and active expiry too) without a
/// server handle.
pub static TRACKING: Tracking = Tracking {
    clients: AtomicUsize::new(0),
    keys: AtomicUsize::new(0),
    items: AtomicUsize::new(0),
    prefixes: parking_lot::const_rwlock(Vec::new()),
    prefix_count: AtomicUsize::new(0),
    toggle: parking_lot::const_mutex(()),
};

/// Tracking state; see [`TRACKING`].
pub struct Tracking {
    /// Clients with tracking on (INFO `tracking_clients`).
    pub clients: AtomicUsize,
    /// Distinct keys in the tables (INFO `tracking_total_keys`).
    pub keys: AtomicUsize,
    /// (key, client) pairs in the tables (INFO `tracking_total_items`).
    pub items: AtomicUsize,
    prefixes: RwLock<Vec<Prefix>>,
    /// Number of registered prefixes: writes skip BCAST work while zero.
    pub prefix_count: AtomicUsize,
    /// Serialises enabling/disabling so counters stay exact.
    toggle: Mutex<()>,
}

/// A changed key and the client that changed it (0: none).
type Change = (Vec<u8>, u64);

/// Invalidations queued on this thread by the running command.
#[derive(Default)]
struct Pending {
    /// (key, clients that tracked it, client that changed it or 0).
    keys: Vec<(Vec<u8>, Vec<u64>, u64)>,
    /// Changed keys for BCAST prefixes: (key, client that changed it or 0).
    bcast: Vec<Change>,
    /// FLUSHDB/FLUSHALL ran: every tracking client gets a null invalidation.
    flushed: bool,
}

thread_local! {
    static PENDING: RefCell<Pending> = RefCell::new(Pending::default());
}

/// The client running the command that changed keys: its own
/// invalidations go into `after` (written after its reply).
pub struct Caller<'a> {
    /// Its id.
    pub id: u64,
    /// Bytes to write after the command's reply.
    pub after: &'a mut Vec<u8>,
    /// Its protocol.
    pub resp3: bool,
}

impl Tracking {
    /// True if nothing can be tracked: writes skip all tracking work.
    #[inline]
    pub fn idle(&self) -> bool {
        self.keys.load(Relaxed) == 0 && self.prefix_count.load(Relaxed) == 0
    }

    /// Turns tracking on for `sh` with `conf` (validated by the command).
    pub fn enable(&self, sh: &ClientShared, conf: TrackingConf) {
        let _g = self.toggle.lock();
        let mut cur = sh.tracking.lock();
        if !cur.on {
            self.clients.fetch_add(1, Relaxed);
        }
        let mut prefixes = std::mem::take(&mut cur.prefixes);
        if conf.bcast {
            let mut reg = self.prefixes.write();
            let new: Vec<Vec<u8>> = if conf.prefixes.is_empty() {
                vec![Vec::new()]
            } else {
                conf.prefixes.clone()
            };
            for p in new {
                if prefixes.contains(&p) {
                    continue;
                }
                match reg.iter_mut().find(|e| e.prefix == p) {
                    Some(e) => e.clients.push(sh.id),
                    None => reg.push(Prefix {
                        prefix: p.clone(),
                        clients: vec![sh.id],
                    }),
                }
                prefixes.push(p);
            }
            self.prefix_count.store(reg.len(), Relaxed);
        }
        *cur = TrackingConf {
            on: true,
            prefixes,
            ..conf
        };
    }

    /// Turns tracking off for `sh` (CLIENT TRACKING off, disconnect).
    pub fn disable(&self, sh: &ClientShared) {
        let _g = self.toggle.lock();
        let mut cur = sh.tracking.lock();
        if !cur.on {
            return;
        }
        if !cur.prefixes.is_empty() {
            let mut reg = self.prefixes.write();
            for p in &cur.prefixes {
                if let Some(e) = reg.iter_mut().find(|e| &e.prefix == p) {
                    e.clients.retain(|&id| id != sh.id);
                }
            }
            reg.retain(|e| !e.clients.is_empty());
            self.prefix_count.store(reg.len(), Relaxed);
        }
        *cur = TrackingConf::default();
        self.clients.fetch_sub(1, Relaxed);
    }

    /// Number of registered BCAST prefixes (INFO `tracking_total_prefixes`).
    pub fn prefixes(&self) -> usize {
        self.prefix_count.load(Relaxed)
    }

    /// Remembers that client `id` read `key` (its shard is locked).
    pub fn remember(&self, table: &mut TrackedKeys, key: &[u8], id: u64) {
        match table.map.get_mut(key) {
            Some(ids) => {
                if !ids.contains(&id) {
                    ids.push(id);
                    self.items.fetch_add(1, Relaxed);
                }
            }
            None => {
                table.map.insert(key.to_vec(), vec![id]);
                self.keys.fetch_add(1, Relaxed);
                self.items.fetch_add(1, Relaxed);
            }
        }
    }

    /// `key` changed (its shard is locked): queues invalidations for the
    /// clients tracking it and for BCAST prefixes. `by` is the client that
    /// changed it (0 for expiry and evictions).
    pub fn key_changed(&self, table: &mut TrackedKeys, key: &[u8], by: u64) {
        if !table.map.is_empty() {
            if let Some(ids) = table.map.remove(key) {
                self.keys.fetch_sub(1, Relaxed);
                self.items.fetch_sub(ids.len(), Relaxed);
                PENDING.with(|p| p.borrow_mut().keys.push((key.to_vec(), ids, by)));
            }
        }
        if self.prefix_count.load(Relaxed) > 0 {
            PENDING.with(|p| p.borrow_mut().bcast.push((key.to_vec(), by)));
        }
    }

    /// FLUSHDB/FLUSHALL (every shard locked): empties every table and
    /// queues a null invalidation for every tracking client.
    pub fn flushed(&self, tables: &mut dyn Iterator<Item = &mut TrackedKeys>) {
        if self.clients.load(Relaxed) == 0 && self.keys.load(Relaxed) == 0 {
            return;
        }
        for t in tables {
            t.map.clear();
        }
        self.keys.store(0, Relaxed);
        self.items.store(0, Relaxed);
        PENDING.with(|p| p.borrow_mut().flushed = true);
    }

    /// Removes up to `n` entries from `table` (a full tracking table),
    /// queueing their invalidations.
    pub fn evict_from(&self, table: &mut TrackedKeys, n: usize) -> usize {
        let keys: Vec<Vec<u8>> = table.map.keys().take(n).cloned().collect();
        for k in &keys {
            self.key_changed(table, k, 0);
        }
        keys.len()
    }
}

/// True if this thread queued invalidations not yet sent.
pub fn has_pending() -> bool {
    PENDING.with(|p| {
        let p = p.borrow();
        !p.keys.is_empty() || p.flushed
    })
}

/// True if BCAST keys wait for the end of the loop turn.
pub fn has_pending_bcast() -> bool {
    PENDING.with(|p| !p.borrow().bcast.is_empty())
}

/// The array payload of an invalidation (`*n` keys), or `None` for the
/// null of a flush.
fn keys_payload(keys: &[&[u8]]) -> Vec<u8> {
    crate::resp::ReplyBuf::bulk_array(keys)
}

/// A RESP3 invalidation push with `payload` (`None`: null).
pub fn resp3_invalidation(payload: Option<&[u8]>) -> Vec<u8> {
    let mut v = b">2\r\n$10\r\ninvalidate\r\n".to_vec();
    v.extend_from_slice(payload.unwrap_or(b"_\r\n"));
    v
}

/// The RESP2 Pub/Sub form of an invalidation, for a redirection target
/// subscribed to `__redis__:invalidate`.
pub fn resp2_invalidation(payload: Option<&[u8]>) -> Vec<u8> {
    let mut v = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n".to_vec();
    v.extend_from_slice(payload.unwrap_or(b"$-1\r\n"));
    v
}

/// Where one invalidation goes, decided from the tracking client's settings.
enum Route {
    /// To this client (maybe the redirection target), as an invalidation.
    To(std::sync::Arc<ClientShared>, bool),
    /// The redirection target is gone: tell the tracking client (RESP3).
    Broken(std::sync::Arc<ClientShared>, u64),
    Nowhere,
}

fn route(srv: &Server, id: u64, by: u64, bcast_delivery: bool) -> Route {
    let Some(sh) = srv.clients.lock().get(&id).cloned() else {
        return Route::Nowhere;
    };
    let (redirect, noloop, on, bcast) = {
        let t = sh.tracking.lock();
        (t.redirect, t.noloop, t.on, t.bcast)
    };
    if !on || bcast != bcast_delivery || (noloop && by == id && by != 0) {
        return Route::Nowhere;
    }
    if redirect == 0 {
        if sh.resp.load(Relaxed) > 2 {
            return Route::To(sh, false);
        }
        return Route::Nowhere;
    }
    match srv.clients.lock().get(&redirect).cloned() {
        Some(target) => Route::To(target, true),
        None => {
            sh.tracking.lock().broken_redirect = true;
            Route::Broken(sh, redirect)
        }
    }
}

/// Sends one invalidation (or redir-broken notice) to its route.
fn send(srv: &Server, route: Route, payload: Option<&[u8]>, caller: &mut Option<Caller<'_>>) {
    let (target, kind, frame): (std::sync::Arc<ClientShared>, DeliveryKind, Vec<u8>) = match route {
        Route::Nowhere => return,
        Route::To(t, via_redirect) => (
            t,
            DeliveryKind::Invalidation { via_redirect },
            payload.map_or_else(Vec::new, <[u8]>::to_vec),
        ),
        Route::Broken(t, redirect) => {
            if t.resp.load(Relaxed) <= 2 {
                return;
            }
            let mut v = b">2\r\n$21\r\ntracking-redir-broken\r\n".to_vec();
            v.extend_from_slice(format!(":{redirect}\r\n").as_bytes());
            (t, DeliveryKind::Raw, v)
        }
    };
    // The running client's own invalidations follow its reply. (A RESP2
    // client redirecting to itself takes the mailbox path, whose receiver
    // knows whether it is in Pub/Sub mode.)
    if let Some(c) = caller.as_mut() {
        if c.id == target.id {
            match kind {
                DeliveryKind::Invalidation { .. } if c.resp3 => {
                    let p = (!frame.is_empty()).then_some(&frame[..]);
                    c.after.extend_from_slice(&resp3_invalidation(p));
                    return;
                }
                DeliveryKind::Raw => {
                    c.after.extend_from_slice(&frame);
                    return;
                }
                _ => {}
            }
        }
    }
    deliver_remote(srv, &target, kind, frame);
}

fn deliver_remote(srv: &Server, target: &ClientShared, kind: DeliveryKind, frame: Vec<u8>) {
    let Some(mailboxes) = srv.mailboxes.get() else {
        return;
    };
    let w = target.worker;
    let token = target.token.load(Relaxed);
    if let Some(mb) = mailboxes.get(w) {
        let d = Delivery {
            frame: frame.into(),
            targets: vec![(target.id, token)],
            kind,
            topic: None,
        };
        mb.send_from(Msg::Deliver(vec![d]), current_worker() == Some(w));
    }
}

/// Sends the default-mode invalidations (and flush notices) the command
/// that just ran queued on this thread.
pub fn flush(srv: &Server, mut caller: Option<Caller<'_>>) {
    let (keys, flushed) = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        (std::mem::take(&mut p.keys), std::mem::take(&mut p.flushed))
    });
    if flushed {
        // A flush reaches every tracking client, BCAST ones included.
        let targets: Vec<(u64, bool)> = srv
            .clients
            .lock()
            .values()
            .filter_map(|c| {
                let t = c.tracking.lock();
                t.on.then_some((c.id, t.bcast))
            })
            .collect();
        for (id, bcast) in targets {
            let r = route(srv, id, 0, bcast);
            send(srv, r, None, &mut caller);
        }
    }
    for (key, ids, by) in keys {
        let payload = keys_payload(&[&key]);
        for id in ids {
            let r = route(srv, id, by, false);
            send(srv, r, Some(&payload), &mut caller);
        }
    }
}

/// Sends the BCAST messages of the keys changed during this loop turn:
/// one message per prefix and client, NOLOOP clients without their own
/// keys (called by the worker before it writes replies).
pub fn flush_bcast(srv: &Server) {
    let changed = PENDING.with(|p| std::mem::take(&mut p.borrow_mut().bcast));
    if changed.is_empty() {
        return;
    }
    // The last change of each key decides whether NOLOOP hides it (a key
    // written by the client, then expired, is sent).
    let mut last: HashMap<&[u8], u64> = HashMap::with_capacity(changed.len());
    let mut order: Vec<&[u8]> = Vec::with_capacity(changed.len());
    for (k, by) in &changed {
        if last.insert(k, *by).is_none() {
            order.push(k);
        }
    }
    // (client, its prefix's keys) for every prefix with changed keys.
    let mut sends: Vec<(u64, std::rc::Rc<Vec<&[u8]>>)> = Vec::new();
    {
        let reg = TRACKING.prefixes.read();
        for p in reg.iter() {
            let keys: Vec<&[u8]> = order
                .iter()
                .copied()
                .filter(|k| k.starts_with(&p.prefix))
                .collect();
            if keys.is_empty() {
                continue;
            }
            let keys = std::rc::Rc::new(keys);
            for &id in &p.clients {
                sends.push((id, keys.clone()));
            }
        }
    }
    for (id, keys) in sends {
        let noloop = srv
            .clients
            .lock()
            .get(&id)
            .is_some_and(|c| c.tracking.lock().noloop);
        let payload = if noloop {
            let own: Vec<&[u8]> = keys
                .iter()
                .copied()
                .filter(|k| last.get(k) != Some(&id))
                .collect();
            if own.is_empty() {
                continue;
            }
            keys_payload(&own)
        } else {
            keys_payload(&keys)
        };
        let r = route(srv, id, 0, true);
        send(srv, r, Some(&payload), &mut None);
    }
}
