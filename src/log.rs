//! Logging in Redis's format.
//!
//! Tools and the Redis test suite read the log: they wait for lines such as
//! "Ready to accept connections" and parse the `pid:role timestamp level`
//! prefix, so lines look exactly like redis-server's:
//! `12345:M 25 Nov 2026 10:06:50.123 * Ready to accept connections`.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

/// Log verbosity levels, ordered like Redis's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Very noisy.
    Debug = 0,
    /// Useful information.
    Verbose = 1,
    /// Normal production messages.
    Notice = 2,
    /// Only very important messages.
    Warning = 3,
}

impl Level {
    /// Parses a `loglevel` directive value.
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "verbose" => Some(Level::Verbose),
            "notice" => Some(Level::Notice),
            "warning" => Some(Level::Warning),
            _ => None,
        }
    }

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
static TARGET: OnceLock<Mutex<Option<std::fs::File>>> = OnceLock::new();

/// Sets the minimum level written.
pub fn set_level(l: Level) {
    LEVEL.store(l as u8, Ordering::Relaxed);
}

/// Directs the log to a file (appending), or stdout for an empty path.
pub fn set_file(path: &str) -> std::io::Result<()> {
    let file = if path.is_empty() {
        None
    } else {
        Some(OpenOptions::new().create(true).append(true).open(path)?)
    };
    *TARGET.get_or_init(|| Mutex::new(None)).lock() = file;
    Ok(())
}

/// True when messages at `l` are written.
pub fn enabled(l: Level) -> bool {
    l as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Writes one log line with Redis's prefix.
pub fn log(l: Level, msg: &str) {
    if !enabled(l) {
        return;
    }
    let line = format!(
        "{}:M {} {} {}\n",
        std::process::id(),
        timestamp(),
        l.mark(),
        msg
    );
    write_raw(&line);
}

/// Writes text to the log target without a prefix (the start-up banner).
pub fn write_raw(text: &str) {
    let target = TARGET.get_or_init(|| Mutex::new(None));
    let mut guard = target.lock();
    match guard.as_mut() {
        Some(f) => {
            let _ = f.write_all(text.as_bytes());
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
}

fn timestamp() -> String {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: gettimeofday and localtime_r write only into the structs given.
    unsafe {
        libc::gettimeofday(&mut tv, std::ptr::null_mut());
        let t = tv.tv_sec;
        libc::localtime_r(&t, &mut tm);
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tv.tv_usec / 1000
    )
}

/// Logs at notice level with `format!` syntax.
#[macro_export]
macro_rules! notice {
    ($($t:tt)*) => { $crate::log::log($crate::log::Level::Notice, &format!($($t)*)) };
}

/// Logs at warning level with `format!` syntax.
#[macro_export]
macro_rules! warning {
    ($($t:tt)*) => { $crate::log::log($crate::log::Level::Warning, &format!($($t)*)) };
}

/// Logs at verbose level with `format!` syntax.
#[macro_export]
macro_rules! verbose {
    ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Verbose) { $crate::log::log($crate::log::Level::Verbose, &format!($($t)*)) } };
}
