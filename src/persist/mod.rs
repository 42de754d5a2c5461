//! Persistence: the RDB format (with its LZF and CRC64 building blocks) and
//! snapshots. The format code is kept free of the server's store types so
//! the codecs can be tested (and fuzzed) in isolation and reused by
//! snapshots, `DUMP`/`RESTORE` and the AOF preamble; `snapshot` joins them to
//! the store.

pub mod crc64;
pub mod lzf;
pub mod rdb;
pub mod snapshot;
