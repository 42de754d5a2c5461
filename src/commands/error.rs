//! Command errors: typed inside, Redis's exact text on the wire.
//!
//! Clients match on error strings (redis-py maps `WRONGTYPE`, `NOSCRIPT`,
//! `EXECABORT` prefixes to exception classes; the Redis suite compares whole
//! messages), so each variant renders exactly what Redis 7.0 sends.

use std::borrow::Cow;
use std::fmt;

/// An error a command replies with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// The key holds another type.
    WrongType,
    /// An argument that must be an integer isn't one (or overflows i64).
    NotInteger,
    /// An argument that must be a float isn't one.
    NotFloat,
    /// Options that don't parse.
    Syntax,
    /// INCR-family overflow.
    Overflow,
    /// The key doesn't exist where the command needs it (RENAME, OBJECT).
    NoSuchKey,
    /// SELECT/MOVE/SWAPDB with a bad index.
    DbIndexOutOfRange,
    /// An expire time that doesn't fit, naming the command.
    InvalidExpire(&'static str),
    /// Any other message, starting with its error code (`ERR ...`).
    Msg(Cow<'static, str>),
}

/// Result type of command handlers.
pub type CmdResult = Result<(), CmdError>;

impl CmdError {
    /// An `ERR`-prefixed error with the given text.
    pub fn err(text: impl Into<Cow<'static, str>>) -> CmdError {
        let text = text.into();
        CmdError::Msg(Cow::Owned(format!("ERR {text}")))
    }

    /// An error whose text already carries its code.
    pub fn raw(text: impl Into<Cow<'static, str>>) -> CmdError {
        CmdError::Msg(text.into())
    }

    /// The message as sent after the `-`.
    pub fn message(&self) -> Cow<'_, str> {
        match self {
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            CmdError::NotInteger => "ERR value is not an integer or out of range".into(),
            CmdError::NotFloat => "ERR value is not a valid float".into(),
            CmdError::Syntax => "ERR syntax error".into(),
            CmdError::Overflow => "ERR increment or decrement would overflow".into(),
            CmdError::NoSuchKey => "ERR no such key".into(),
            CmdError::DbIndexOutOfRange => "ERR DB index is out of range".into(),
            CmdError::InvalidExpire(cmd) => {
                format!("ERR invalid expire time in '{cmd}' command").into()
            }
            CmdError::Msg(m) => Cow::Borrowed(m),
        }
    }

    /// The error code (first word), for `errorstat_*` in INFO.
    pub fn code(&self) -> String {
        let m = self.message();
        m.split(' ').next().unwrap_or("ERR").to_string()
    }
}

impl From<crate::util::num::NumError> for CmdError {
    fn from(e: crate::util::num::NumError) -> CmdError {
        CmdError::Msg(e.message())
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}
