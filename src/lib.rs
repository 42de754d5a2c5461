//! Ferrite: a Redis-compatible in-memory data store.
//!
//! The crate is a library so that integration tests, benchmarks and fuzz
//! targets can reach the parsers and data structures; `main.rs` only parses
//! the command line and calls [`main_loop::run`].
//!
//! Map of the crate (see `docs/architecture.md` for the path of a command):
//! - [`net`]: acceptor and per-core worker event loops, client connections;
//! - [`resp`]: request parser and reply encoder;
//! - [`commands`]: the command table, dispatcher and one file per family;
//! - [`store`]: the sharded keyspace, its hash tables, entries, expiry and the
//!   choice of eviction victims;
//! - [`evict`]: keeping `used_memory` under `maxmemory` (counted by
//!   [`util::alloc`]);
//! - [`config`]: `redis.conf` parsing and the CONFIG parameter registry;
//! - [`persist`]: the RDB format and snapshots;
//! - [`util`]: glob matching, CRC16 and Redis's number formats.

pub mod commands;
pub mod config;
pub mod evict;
pub mod log;
pub mod main_loop;
pub mod net;
pub mod persist;
pub mod pubsub;
pub mod repl;
pub mod resp;
pub mod script;
pub mod server;
pub mod store;
pub mod tracking;
pub mod util;

/// The Redis release whose behaviour Ferrite implements. Clients choose
/// features by it (redis-py reads `redis_version` from INFO and HELLO).
pub const REDIS_VERSION: &str = "7.0.15";
