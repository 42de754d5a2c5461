//! The command table: Redis's command metadata joined with our handlers.
//!
//! Built once at start-up from `meta::all()` (every Redis 7.0 command and
//! subcommand) and the `COMMANDS` bindings of each family file. Commands
//! without a binding stay in the table so `docs/compatibility.md` can list
//! them, but they are invisible to clients: looking one up answers "unknown
//! command" exactly as for a name Redis doesn't know.

use std::collections::HashMap as StdHashMap;

/// Name lookups happen on every command: a fast non-cryptographic hash.
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

use super::meta::{self, CommandMeta};
use super::{Args, Binding, Handler, LockMode};

/// One command or subcommand.
pub struct Command {
    /// Index into per-command statistics.
    pub id: usize,
    /// `get`, or `config|get` for a subcommand.
    pub fullname: String,
    /// Redis's metadata for it.
    pub meta: &'static CommandMeta,
    /// Our implementation, if any.
    pub handler: Option<Handler>,
    /// Locks to take before running it.
    pub lock: LockMode,
    /// Subcommands by lowercase name, as ids.
    pub subcommands: HashMap<Vec<u8>, usize>,
    /// The container's id for a subcommand.
    pub parent: Option<usize>,
    /// The one key spec, when it is a plain index range (most commands):
    /// keys are found without the general key-spec walk.
    simple_keys: Option<SimpleKeys>,
}

/// A key spec of the form "from argument `first` to `lastkey` (negative:
/// from the end) every `step`", the fast path of [`Command::for_each_key`].
#[derive(Clone, Copy, Debug)]
struct SimpleKeys {
    first: i64,
    lastkey: i64,
    step: i64,
}

impl SimpleKeys {
    fn of(m: &CommandMeta) -> Option<SimpleKeys> {
        use meta::{key_flags, BeginSearch, FindKeys};
        let [spec] = m.key_specs else { return None };
        let odd = key_flags::NOT_KEY | key_flags::VARIABLE_FLAGS | key_flags::INCOMPLETE;
        if spec.flags & odd != 0 {
            return None;
        }
        match (spec.begin_search, spec.find_keys) {
            (
                BeginSearch::Index(first),
                FindKeys::Range {
                    lastkey,
                    step,
                    limit: 0,
                },
            ) if first > 0 && step > 0 => Some(SimpleKeys {
                first: first as i64,
                lastkey: lastkey as i64,
                step: step as i64,
            }),
            _ => None,
        }
    }
}

/// Result of looking a request up.
pub enum Found<'a> {
    /// The command (or subcommand) to run.
    Command(&'a Command),
    /// A known container with an unknown subcommand.
    UnknownSubcommand(&'a Command),
    /// No such command.
    Unknown,
}

/// Every command, implemented or not.
pub struct CommandTable {
    /// All commands and subcommands; `id` indexes this.
    pub list: Vec<Command>,
    top: HashMap<Vec<u8>, usize>,
}

/// All family binding tables.
fn bindings() -> impl Iterator<Item = &'static Binding> {
    [
        super::strings::COMMANDS,
        super::bitmaps::COMMANDS,
        super::keys::COMMANDS,
        super::connection::COMMANDS,
        super::server_cmds::COMMANDS,
        super::memory::COMMANDS,
        super::lists::COMMANDS,
        super::hashes::COMMANDS,
        super::sets::COMMANDS,
        super::zsets::COMMANDS,
        super::zset_algebra::COMMANDS,
        super::sort::COMMANDS,
        super::dump::COMMANDS,
        super::multi::COMMANDS,
        super::pubsub::COMMANDS,
        super::monitor::COMMANDS,
        super::tracking::COMMANDS,
        super::scripting::COMMANDS,
        super::migrate::COMMANDS,
        super::replication::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

impl CommandTable {
    /// Joins the metadata with the bindings.
    pub fn build() -> CommandTable {
        let bound: StdHashMap<&str, &Binding> = bindings().map(|b| (b.name, b)).collect();
        let mut t = CommandTable {
            list: Vec::new(),
            top: HashMap::default(),
        };
        for m in meta::all() {
            let id = t.add(m, m.name.to_string(), &bound, None);
            t.top.insert(m.name.as_bytes().to_vec(), id);
            for sub in m.subcommands {
                let full = format!("{}|{}", m.name, sub.name);
                let sid = t.add(sub, full, &bound, Some(id));
                t.list[id]
                    .subcommands
                    .insert(sub.name.as_bytes().to_vec(), sid);
            }
        }
        t
    }

    fn add(
        &mut self,
        m: &'static CommandMeta,
        fullname: String,
        bound: &StdHashMap<&str, &Binding>,
        parent: Option<usize>,
    ) -> usize {
        let id = self.list.len();
        let b = bound.get(fullname.as_str());
        self.list.push(Command {
            id,
            meta: m,
            handler: b.map(|b| b.handler),
            lock: b.map(|b| b.lock).unwrap_or(LockMode::None),
            fullname,
            subcommands: HashMap::default(),
            parent,
            simple_keys: SimpleKeys::of(m),
        });
        id
    }

    /// Names bound to a handler that match no Redis command (a typo guard for
    /// tests).
    pub fn orphan_bindings(&self) -> Vec<&'static str> {
        bindings()
            .filter(|b| !self.list.iter().any(|c| c.fullname == b.name))
            .map(|b| b.name)
            .collect()
    }

    /// True if the command or any of its subcommands has a handler.
    pub fn is_implemented(&self, c: &Command) -> bool {
        c.handler.is_some()
            || c.subcommands
                .values()
                .any(|&s| self.list[s].handler.is_some())
    }

    /// Finds the command a request names.
    pub fn lookup(&self, args: Args<'_>) -> Found<'_> {
        let mut name = [0u8; 32];
        let raw = args.get(0);
        if raw.len() > name.len() {
            return Found::Unknown;
        }
        for (d, s) in name.iter_mut().zip(raw) {
            *d = s.to_ascii_lowercase();
        }
        let Some(&id) = self.top.get(&name[..raw.len()]) else {
            return Found::Unknown;
        };
        let cmd = &self.list[id];
        if !self.is_implemented(cmd) {
            return Found::Unknown;
        }
        if cmd.subcommands.is_empty() || args.len() < 2 {
            return Found::Command(cmd);
        }
        let sub = args.get(1).to_ascii_lowercase();
        match cmd.subcommands.get(&sub) {
            Some(&sid) if self.list[sid].handler.is_some() => Found::Command(&self.list[sid]),
            _ => Found::UnknownSubcommand(cmd),
        }
    }

    /// Finds a command by its full name (`get`, `config|get`).
    pub fn by_name(&self, fullname: &str) -> Option<&Command> {
        let lower = fullname.to_ascii_lowercase();
        match lower.split_once('|') {
            None => self.top.get(lower.as_bytes()).map(|&i| &self.list[i]),
            Some((c, s)) => {
                let parent = &self.list[*self.top.get(c.as_bytes())?];
                parent.subcommands.get(s.as_bytes()).map(|&i| &self.list[i])
            }
        }
    }

    /// Top-level commands that have an implementation.
    pub fn implemented(&self) -> impl Iterator<Item = &Command> {
        self.list
            .iter()
            .filter(|c| c.parent.is_none() && self.is_implemented(c))
    }
}

impl Command {
    /// Calls `f` with every key argument of a request, as the key specs say.
    /// Returns false when the specs can't locate every key (SORT ... STORE):
    /// the caller must then lock the whole keyspace.
    pub fn for_each_key<'a>(&self, args: Args<'a>, mut f: impl FnMut(&'a [u8])) -> bool {
        if let Some(sk) = self.simple_keys {
            let argc = args.len() as i64;
            let last = if sk.lastkey >= 0 {
                sk.first + sk.lastkey
            } else {
                argc + sk.lastkey
            };
            if self.meta.arity_ok(args.len()) && sk.first <= last && last < argc {
                let mut pos = sk.first;
                while pos <= last {
                    f(args.get(pos as usize));
                    pos += sk.step;
                }
                return true;
            }
        }
        !matches!(
            meta::key_positions(
                self.meta,
                args.len(),
                |i| args.get(i),
                |pos| f(args.get(pos))
            ),
            Err(meta::GetKeysError::NeedsCustomFinder(_))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simple-key fast path finds exactly what the general key-spec
    /// walk finds, for every command and argument count.
    #[test]
    fn simple_key_fast_path_matches_the_key_specs() {
        let t = CommandTable::build();
        let words: Vec<Vec<u8>> = (0..12).map(|i| format!("a{i}").into_bytes()).collect();
        let mut checked = 0;
        for c in t.list.iter().filter(|c| c.simple_keys.is_some()) {
            for argc in 1..words.len() {
                let ranges: Vec<std::ops::Range<usize>> = {
                    let mut v = Vec::new();
                    let mut off = 0;
                    for w in &words[..argc] {
                        v.push(off..off + w.len());
                        off += w.len();
                    }
                    v
                };
                let buf: Vec<u8> = words[..argc].concat();
                let args = Args::new(&buf, &ranges);
                let mut fast = Vec::new();
                let fast_ok = c.for_each_key(args, |k| fast.push(k.to_vec()));
                let mut slow = Vec::new();
                let slow_res = meta::key_positions(
                    c.meta,
                    argc,
                    |i| args.get(i),
                    |p| slow.push(args.get(p).to_vec()),
                );
                if slow_res.is_ok() {
                    assert!(fast_ok, "{}", c.fullname);
                    assert_eq!(fast, slow, "{} with {argc} arguments", c.fullname);
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} cases compared");
    }
}
