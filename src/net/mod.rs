//! Networking: the acceptor thread, the per-core worker event loops and the
//! connection state they own. See [`worker`] for the life of a request.

pub mod client;
pub mod listener;
pub mod worker;
