//! RESP, the Redis serialization protocol: request parsing and reply encoding.
//!
//! Requests arrive as RESP2 multibulk arrays or as "inline" text lines; both are
//! parsed here into argument vectors. Replies are written straight into the
//! connection's output buffer by [`reply::ReplyBuf`], which knows whether the
//! client speaks RESP2 or RESP3 so that handlers never have to care.

pub mod parse;
pub mod reply;

pub use parse::{Parsed, ProtocolError, RequestParser};
pub use reply::ReplyBuf;
