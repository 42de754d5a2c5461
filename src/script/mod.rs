//! Lua scripting (EVAL, SCRIPT, FUNCTION, FCALL): the engine thread.
//!
//! Redis runs scripts on its one thread, and while a script runs longer than
//! `busy-reply-threshold` it keeps serving events so that other clients get
//! `-BUSY` and `SCRIPT KILL` can arrive. Ferrite's workers each serve many
//! connections, so a script running on a worker would freeze all of them,
//! the `SCRIPT KILL` sender included. Scripts therefore run on one *engine
//! thread* that owns the Lua interpreters (a Lua state is single-threaded
//! anyway, and scripts are serialised in Redis too):
//!
//! - The dispatcher hands a command bound with `LockMode::Engine` (EVAL,
//!   FCALL, SCRIPT LOAD, FUNCTION LOAD...), or an EXEC whose queue holds one,
//!   to the engine as a [`Job`]: the client's session state moves with it,
//!   and the connection runs nothing more until the [`Done`] comes back
//!   through its worker's mailbox (its socket is still read, to notice a
//!   disconnect).
//! - The engine runs the command through the ordinary dispatcher with every
//!   shard locked, so a script is atomic with respect to every client on
//!   every thread, whichever keys it touches (declared or not).
//! - [`STATUS`] says a script is running, since when, and whether it has
//!   written. Past the threshold, workers answer `-BUSY` to all but the
//!   commands flagged `allow_busy`; `SCRIPT KILL` / `FUNCTION KILL` set a
//!   flag that the interpreter's instruction-count hook turns into an error.
//! - While the engine holds the shards, workers never wait for them: a
//!   command that would is parked and retried (see
//!   `Keyspace::lock_or_park`), so they keep answering.

pub mod convert;
pub mod engine;
pub mod functions;
pub mod libs;
pub mod lua;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering::Relaxed};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::net::client::{ClientShared, ClientState};
use crate::net::worker::Msg;
use crate::server::Server;

/// A command handed to the engine thread.
pub struct Job {
    /// The caller's session (database, protocol, MULTI queue, tracking...),
    /// moved here for the command's duration.
    pub state: ClientState,
    /// The command's arguments, back to back.
    pub buf: Vec<u8>,
    /// Each argument's range in `buf`.
    pub ranges: Vec<Range<usize>>,
    /// The caller's protocol (RESP3 or not).
    pub resp3: bool,
    /// The caller's shared record (for MONITOR, CLIENT LIST...).
    pub shared: Arc<ClientShared>,
    /// Where the [`Done`] goes: the caller's worker mailbox, or this
    /// channel (the replication link's thread).
    pub reply_to: Option<Sender<Done>>,
}

impl Job {
    /// A job for the command `args` of the client whose `state` moves here
    /// (a placeholder with its id and database stays behind).
    pub fn new(
        state: &mut ClientState,
        args: crate::commands::Args<'_>,
        resp3: bool,
        shared: Arc<ClientShared>,
        reply_to: Option<Sender<Done>>,
    ) -> Job {
        let mut buf = Vec::new();
        let mut ranges = Vec::with_capacity(args.len());
        for a in args.from(0) {
            let s = buf.len();
            buf.extend_from_slice(a);
            ranges.push(s..buf.len());
        }
        let placeholder = ClientState::for_waiter(state.id, state.db);
        Job {
            state: std::mem::replace(state, placeholder),
            buf,
            ranges,
            resp3,
            shared,
            reply_to,
        }
    }
}

/// What the engine sends back to the caller's worker.
pub struct Done {
    /// The session, with whatever the command changed in it.
    pub state: ClientState,
    /// The reply bytes, pushes included, in the caller's protocol.
    pub reply: Vec<u8>,
    /// The caller.
    pub client_id: u64,
    /// The caller's slot in its worker.
    pub token: u32,
    /// The protocol after the command (HELLO inside an offloaded EXEC).
    pub resp3: bool,
}

/// The kind of code running, for the `-BUSY` text and SCRIPT/FUNCTION KILL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum RunKind {
    /// Nothing runs.
    Idle = 0,
    /// An EVAL script.
    Eval = 1,
    /// A function (FCALL).
    Function = 2,
}

/// What workers need to know about the running script, without waiting for
/// the engine.
pub struct Status {
    kind: AtomicU8,
    /// The script's start (Unix ms).
    started_ms: AtomicI64,
    /// Past `busy-reply-threshold`: other clients get `-BUSY`.
    busy: AtomicBool,
    /// SCRIPT KILL / FUNCTION KILL asked for the script to stop.
    kill: AtomicBool,
    /// The script ran a write command (it can no longer be killed).
    wrote: AtomicBool,
    /// Orders a kill request against the script's first write.
    decide: Mutex<()>,
    /// The running script's id or function's name, and the command that
    /// runs it (FUNCTION STATS, the slow-script log line).
    pub running: Mutex<Option<(String, Vec<Vec<u8>>)>>,
}

/// The one engine's status.
pub static STATUS: Status = Status {
    kind: AtomicU8::new(0),
    started_ms: AtomicI64::new(0),
    busy: AtomicBool::new(false),
    kill: AtomicBool::new(false),
    wrote: AtomicBool::new(false),
    decide: parking_lot::const_mutex(()),
    running: parking_lot::const_mutex(None),
};

impl Status {
    /// True while a script runs past the busy threshold: every command but
    /// those flagged `allow_busy` is refused.
    #[inline]
    pub fn busy(&self) -> bool {
        self.busy.load(Relaxed)
    }

    /// What runs now.
    pub fn kind(&self) -> RunKind {
        match self.kind.load(Relaxed) {
            1 => RunKind::Eval,
            2 => RunKind::Function,
            _ => RunKind::Idle,
        }
    }

    /// Milliseconds since the running script started.
    pub fn elapsed_ms(&self) -> i64 {
        Server::now_ms() - self.started_ms.load(Relaxed)
    }

    /// The `-BUSY` error for the kind of code running.
    pub fn busy_error(&self) -> &'static str {
        match self.kind() {
            RunKind::Function => {
                "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
            }
            _ => {
                "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
            }
        }
    }

    /// Marks a script as started (engine thread only).
    pub(crate) fn begin(&self, kind: RunKind) {
        self.started_ms.store(Server::now_ms(), Relaxed);
        self.kill.store(false, Relaxed);
        self.wrote.store(false, Relaxed);
        self.kind.store(kind as u8, Relaxed);
    }

    /// Marks the script as finished (engine thread only).
    pub(crate) fn end(&self) {
        self.kind.store(RunKind::Idle as u8, Relaxed);
        self.busy.store(false, Relaxed);
        self.kill.store(false, Relaxed);
        *self.running.lock() = None;
    }

    pub(crate) fn set_busy(&self) {
        self.busy.store(true, Relaxed);
    }

    /// Marks the script as writing; false if a kill was asked first (the
    /// write must then not happen). Kill and write are decided under one
    /// lock, so a script is never killed after its first write.
    pub(crate) fn set_wrote(&self) -> bool {
        let _g = self.decide.lock();
        if self.kill.load(Relaxed) {
            return false;
        }
        self.wrote.store(true, Relaxed);
        true
    }

    pub(crate) fn kill_requested(&self) -> bool {
        self.kill.load(Relaxed)
    }

    /// SCRIPT KILL / FUNCTION KILL (`want`: the kind the caller may kill):
    /// `Err` carries Redis's refusal, in Redis's order of checks.
    pub fn request_kill(&self, want: RunKind) -> Result<(), &'static str> {
        let kind = self.kind();
        if kind == RunKind::Idle {
            return Err("NOTBUSY No scripts in execution right now.");
        }
        let _g = self.decide.lock();
        if self.wrote.load(Relaxed) {
            return Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
        }
        if kind != want {
            // The other KILL is the one to use: the -BUSY text says which.
            return Err(self.busy_error());
        }
        self.kill.store(true, Relaxed);
        Ok(())
    }
}

/// What INFO memory reports of the interpreters, published by the engine
/// after each change (INFO runs on the workers): cached EVAL scripts, the
/// EVAL interpreter's memory, the functions interpreter's memory.
pub static MEMORY: [std::sync::atomic::AtomicUsize; 3] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

/// DEBUG set-disable-deny-scripts: scripts may call commands flagged
/// `noscript` (Redis's test suite uses it to drive scripts from outside).
pub static DENY_SCRIPTS_DISABLED: AtomicBool = AtomicBool::new(false);

/// The engine's inbox.
pub struct Engine {
    tx: Mutex<Sender<Job>>,
}

impl Engine {
    /// Starts the engine thread.
    pub fn start(srv: Arc<Server>) -> std::io::Result<Engine> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("ferrite-lua".into())
            .spawn(move || run(srv, rx))?;
        Ok(Engine { tx: Mutex::new(tx) })
    }

    /// Hands a command to the engine thread.
    pub fn submit(&self, job: Job) -> bool {
        self.tx.lock().send(job).is_ok()
    }
}

thread_local! {
    static ON_ENGINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static MAY_BLOCK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True on threads that serve no socket (the engine, the replication link)
/// and may therefore wait for shard locks instead of parking.
#[inline]
pub fn may_block() -> bool {
    MAY_BLOCK.with(|c| c.get())
}

/// Marks this thread as one that may wait for shard locks.
pub fn set_may_block() {
    MAY_BLOCK.with(|c| c.set(true));
}

/// True on the engine thread, where `LockMode::Engine` commands run.
#[inline]
pub fn on_engine() -> bool {
    ON_ENGINE.with(|c| c.get())
}

fn run(srv: Arc<Server>, rx: Receiver<Job>) {
    ON_ENGINE.with(|c| c.set(true));
    set_may_block();
    let stats = srv.engine_stats();
    engine::init(&srv);
    while let Ok(mut job) = rx.recv() {
        let mut out = crate::resp::ReplyBuf::new();
        out.resp3 = job.resp3;
        let args = crate::commands::Args::new(&job.buf, &job.ranges);
        // A panic must not take the engine (and every client waiting on it)
        // down: the client gets an error and the engine goes on.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::commands::dispatch::run_engine_command(
                &srv,
                &stats,
                &mut job.state,
                &mut out,
                &job.shared,
                args,
            )
        }));
        if ran.is_err() {
            crate::warning!("internal error: the script engine recovered from a panic");
            srv.keyspace.set_engine_active(false);
            STATUS.end();
            out.buf.clear();
            out.error("ERR internal error running the command");
        }
        engine::publish_memory();
        let worker = job.shared.worker;
        let done = Done {
            client_id: job.shared.id,
            token: job.shared.token.load(Relaxed),
            state: job.state,
            resp3: out.resp3,
            reply: out.buf,
        };
        if let Some(tx) = job.reply_to {
            let _ = tx.send(done);
        } else if let Some(mb) = srv.mailboxes.get().and_then(|m| m.get(worker)) {
            mb.send(Msg::ScriptDone(Box::new(done)));
        }
    }
}

#[cfg(test)]
mod tests;
