//! Small, allocation-light helpers shared by many commands: glob matching
//! (KEYS, SCAN MATCH, PSUBSCRIBE, ...), cluster key slots, and the exact
//! number parsing/formatting rules Redis applies to command arguments.

pub mod alloc;
pub mod crc16;
pub mod glob;
pub mod num;
pub mod rand;
