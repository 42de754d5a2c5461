//! Start-up configuration: redis-server's command line, config files (with `include`),
//! stdin, and the fatal error report Redis prints when any of it is wrong.

use super::parse::{glob_match, repr, split_args, strerror};
use super::registry::{idx, Special, DEPRECATED, DIRECTIVE_ONLY, MULTI_ARG, PARAMS};
use super::value::{parse_value, resplit_single, SetCtx, Value};
use super::{lookup, Config, Directive, LoadModule, RenamedCommand};
use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The Redis version Ferrite reports, which appears in the fatal-error banner that tools
/// and the Redis test suite look for.
pub const REDIS_VERSION: &str = "7.0.15";

/// A configuration problem that must stop the server (exit status 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A bad directive or value: Redis prints the "FATAL CONFIG FILE ERROR" block on
    /// stderr. `Display` gives that block exactly (starting with its blank line); print
    /// it with `eprintln!`.
    Fatal {
        /// Line number (1-based, within the file or the text being read) and the trimmed
        /// text of the offending line; absent for whole-config checks (log file, cluster).
        position: Option<(usize, String)>,
        /// Redis's reason text, e.g. "argument must be 'yes' or 'no'".
        reason: String,
    },
    /// A config or include file could not be opened. Redis reports this one as a log line
    /// at warning level (on stdout when no log file is set yet) rather than the block:
    /// `Display` gives the message part, to be passed to the logger.
    CantOpen {
        /// The path as Redis shows it (absolute for the main file, as written for includes).
        path: String,
        /// The OS error text ("No such file or directory").
        reason: String,
    },
}

impl ConfigError {
    /// Builds the error for a problem found after loading (e.g. a `user` line the ACL
    /// module rejects), so other modules can report it in Redis's exact format.
    pub fn at_line(line: usize, text: &str, reason: impl Into<String>) -> Self {
        ConfigError::Fatal {
            position: Some((line, text.to_string())),
            reason: reason.into(),
        }
    }

    /// Whether Redis emits this as a log line (see [`ConfigError::CantOpen`]) instead of
    /// the stderr block, so `main` can route it to the right place.
    pub fn is_log_message(&self) -> bool {
        matches!(self, ConfigError::CantOpen { .. })
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Fatal { position, reason } => {
                write!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
                )?;
                if let Some((line, text)) = position {
                    write!(
                        f,
                        "Reading the configuration file, at line {line}\n>>> '{text}'\n"
                    )?;
                }
                write!(f, "{reason}")
            }
            ConfigError::CantOpen { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// What `main` must do instead of starting the server, decided by the first argument
/// exactly as redis-server does (only the first argument is looked at).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliAction {
    /// `-v` / `--version`: print the version line and exit 0.
    Version,
    /// `-h` / `--help`: print usage and exit 0.
    Help,
    /// `--test-memory <megabytes>`: run the memory test (`None` when the size is
    /// missing or extra arguments were given, which Redis rejects with exit 1).
    TestMemory(Option<String>),
    /// `--check-system`: run the system checks and exit.
    CheckSystem,
}

/// Recognises the arguments redis-server handles before any configuration is read.
/// `args` excludes the program name.
pub fn cli_action(args: &[String]) -> Option<CliAction> {
    let first = args.first()?;
    match first.as_str() {
        "-v" | "--version" => Some(CliAction::Version),
        "--help" | "-h" => Some(CliAction::Help),
        "--test-memory" => Some(CliAction::TestMemory(if args.len() == 2 {
            args.get(1).cloned()
        } else {
            None
        })),
        "--check-system" => Some(CliAction::CheckSystem),
        _ => None,
    }
}

/// Answers "does this command exist?" for `rename-command` validation.
pub type CommandExists<'a> = &'a dyn Fn(&[u8]) -> bool;

/// Start-up details that come from outside the argument list.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// Run as Sentinel (the binary is `redis-sentinel` or `--sentinel` was given);
    /// `None` means "look for `--sentinel` in the arguments".
    pub sentinel_mode: Option<bool>,
    /// Whether a command exists, to validate `rename-command` as Redis does ("No such
    /// command in rename-command"). Without it every rename is accepted.
    pub command_exists: Option<CommandExists<'a>>,
    /// Text to use as standard input for `-`, instead of reading the real stdin (tests).
    pub stdin: Option<&'a [u8]>,
}

/// Builds the config text redis-server derives from its `--name value` options: each
/// `--name` starts a new line, values are quoted so the line parser restores them
/// byte for byte, and `--save` / `--sentinel` without a value get Redis's special cases.
/// Returns the option text, the config file (if the first argument is one) and whether
/// stdin must be read.
fn options_text(args: &[String]) -> (String, Option<String>, bool) {
    let mut options = String::new();
    let mut from_stdin = false;
    let mut file = None;
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            file = Some(first.clone());
            j = 1;
        }
    }
    let mut handled_last = true;
    while j < args.len() {
        let a = &args[j];
        let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
        let is_last = j + 1 == args.len();
        if a == "-" && (j == 0 || is_last) {
            from_stdin = true;
        } else if handled_last && a.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&a[2..]);
            options.push(' ');
            let words = split_args(a.as_bytes()).map(|w| w.len()).unwrap_or(0);
            if words == 1 {
                handled_last = false;
                if a.eq_ignore_ascii_case("--save") && next_is_option {
                    options.push_str("\"\"");
                    handled_last = true;
                } else if a.eq_ignore_ascii_case("--save") && is_last {
                    options.push_str("\"\"");
                } else if a.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            options.push_str(&repr(a.as_bytes()));
            options.push(' ');
            handled_last = true;
        }
        j += 1;
    }
    (options, file, from_stdin)
}

/// Makes a path absolute the way Redis records its config file (leading `../` folded
/// into the working directory, nothing else normalised).
fn absolute_path(cwd: &str, path: &str) -> String {
    let mut rel = path.trim_matches([' ', '\r', '\n', '\t']);
    if rel.starts_with('/') {
        return rel.to_string();
    }
    let mut abs = cwd.to_string();
    if !abs.ends_with('/') {
        abs.push('/');
    }
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if abs.len() > 1 {
            let trimmed = &abs[..abs.len() - 1];
            let cut = trimmed.rfind('/').map(|p| p + 1).unwrap_or(0);
            abs.truncate(cut);
        }
    }
    abs + rel
}

fn has_glob(path: &[u8]) -> bool {
    path.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Expands a path pattern like glob(3): sorted, and wildcards do not match a leading dot.
fn expand_glob(base: &Path, pattern: &str) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let mut found: Vec<String> = vec![if absolute {
        "/".to_string()
    } else {
        String::new()
    }];
    for comp in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for prefix in &found {
            let join = |name: &str| {
                if prefix.is_empty() || prefix.ends_with('/') {
                    format!("{prefix}{name}")
                } else {
                    format!("{prefix}/{name}")
                }
            };
            if !has_glob(comp.as_bytes()) {
                next.push(join(comp));
                continue;
            }
            let dir = base.join(if prefix.is_empty() {
                "."
            } else {
                prefix.as_str()
            });
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    (!n.starts_with('.') || comp.starts_with('.'))
                        && glob_match(comp.as_bytes(), n.as_bytes(), false)
                })
                .collect();
            names.sort();
            next.extend(names.iter().map(|n| join(n)));
        }
        found = next;
    }
    found.retain(|p| base.join(p).exists());
    found
}

struct Loader<'a> {
    cfg: Config,
    opts: &'a LoadOptions<'a>,
    reading_file: bool,
    save_loaded: bool,
    removed_commands: HashSet<Vec<u8>>,
    added_commands: HashSet<Vec<u8>>,
}

fn trim_line(mut line: &[u8]) -> &[u8] {
    let is_trim = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while line.first().is_some_and(is_trim) {
        line = &line[1..];
    }
    while line.last().is_some_and(is_trim) {
        line = &line[..line.len() - 1];
    }
    line
}

impl<'a> Loader<'a> {
    fn read_path(&self, shown: &str) -> Result<Vec<u8>, ConfigError> {
        let base = PathBuf::from(self.cfg.dir());
        let mut text = Vec::new();
        if has_glob(shown.as_bytes()) {
            for p in expand_glob(&base, shown) {
                let mut f =
                    std::fs::File::open(base.join(&p)).map_err(|e| ConfigError::CantOpen {
                        path: p.clone(),
                        reason: strerror(&e),
                    })?;
                let _ = f.read_to_end(&mut text);
            }
        } else {
            let mut f =
                std::fs::File::open(base.join(shown)).map_err(|e| ConfigError::CantOpen {
                    path: shown.to_string(),
                    reason: strerror(&e),
                })?;
            let _ = f.read_to_end(&mut text);
        }
        Ok(text)
    }

    fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        self.reading_file = true;
        for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
            let line = trim_line(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let at =
                |reason: &str| ConfigError::at_line(i + 1, &String::from_utf8_lossy(line), reason);
            let Some(argv) = split_args(line) else {
                return Err(at("Unbalanced quotes in configuration line"));
            };
            if argv.is_empty() {
                continue;
            }
            self.directive(&argv, i + 1, line).map_err(|e| match e {
                Step::Reason(r) => at(&r),
                Step::Error(e) => e,
            })?;
        }
        self.finish_text()?;
        self.reading_file = false;
        Ok(())
    }

    /// The checks Redis runs at the end of every config text it reads (so also at the end
    /// of each included file).
    fn finish_text(&mut self) -> Result<(), ConfigError> {
        let logfile = self.cfg.logfile();
        if !logfile.is_empty() {
            let path = Path::new(self.cfg.dir()).join(&logfile);
            if let Err(e) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
            {
                return Err(ConfigError::Fatal {
                    position: None,
                    reason: format!("Can't open the log file: {}", strerror(&e)),
                });
            }
        }
        if self.cfg.get_bool_at(idx::CLUSTER_ENABLED) && self.cfg.replicaof().is_some() {
            return Err(ConfigError::Fatal {
                position: None,
                reason: "replicaof directive not allowed in cluster mode".into(),
            });
        }
        self.cfg.clamp_hz();
        Ok(())
    }

    fn directive(&mut self, argv: &[Vec<u8>], line_no: usize, line: &[u8]) -> Result<(), Step> {
        let name = argv[0].to_ascii_lowercase();
        let argc = argv.len();
        let found = lookup(&name).map(|(i, _)| i);
        if let Some(i) = found.filter(|i| PARAMS[*i].is_runtime()) {
            let spec = &PARAMS[i];
            let multi = spec.has(MULTI_ARG);
            if !multi && argc != 2 {
                return Err(Step::Reason("wrong number of arguments".into()));
            }
            let args = if multi && argc == 2 && !argv[1].is_empty() {
                resplit_single(&argv[1])
            } else {
                argv[1..].to_vec()
            };
            let mut ctx = SetCtx {
                reading_file: self.reading_file,
                save_loaded: self.save_loaded,
                cluster_enabled: self.cfg.get_bool_at(idx::CLUSTER_ENABLED),
                unixsocket_set: self.cfg.unixsocket().is_some(),
            };
            let v =
                parse_value(spec, &args, &self.cfg.values[i], &mut ctx).map_err(Step::Reason)?;
            self.save_loaded = ctx.save_loaded;
            self.cfg.values[i] = v;
            return Ok(());
        }
        if let Some(i) = found.filter(|i| PARAMS[*i].has(DEPRECATED)) {
            let _ = i;
            if argc == 2 {
                return Ok(());
            }
        }
        let special = found
            .filter(|i| PARAMS[*i].has(DIRECTIVE_ONLY))
            .and_then(|i| match PARAMS[i].kind {
                super::registry::Kind::Special(s) => Some(s),
                _ => None,
            });
        let site = || Directive {
            line: line_no,
            text: String::from_utf8_lossy(line).into_owned(),
            args: argv[1..].to_vec(),
        };
        match special {
            Some(Special::Include) if argc == 2 => {
                let path = String::from_utf8_lossy(&argv[1]).into_owned();
                let text = self.read_path(&path).map_err(Step::Error)?;
                self.load_text(&text).map_err(Step::Error)
            }
            Some(Special::RenameCommand) if argc == 3 => self
                .rename_command(&argv[1], &argv[2])
                .map_err(|r| Step::Reason(r.into())),
            Some(Special::User) if argc >= 2 => {
                self.cfg.users.push(site());
                Ok(())
            }
            Some(Special::LoadModule) if argc >= 2 => {
                self.cfg.load_modules.push(LoadModule {
                    path: argv[1].clone(),
                    args: argv[2..].to_vec(),
                });
                Ok(())
            }
            _ if name.contains(&b'.') => {
                if argc < 2 {
                    return Err(Step::Reason("Module config specified without value".into()));
                }
                let key = String::from_utf8_lossy(&name).into_owned();
                let value = argv[1..].join(&b' ');
                match self.cfg.module_configs.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = value,
                    None => self.cfg.module_configs.push((key, value)),
                }
                Ok(())
            }
            Some(Special::Sentinel) => {
                if argc != 1 {
                    if !self.cfg.sentinel_mode {
                        return Err(Step::Reason(
                            "sentinel directive while not in sentinel mode".into(),
                        ));
                    }
                    self.cfg.sentinel_directives.push(site());
                }
                Ok(())
            }
            _ => Err(Step::Reason(
                "Bad directive or wrong number of arguments".into(),
            )),
        }
    }

    fn rename_command(&mut self, from: &[u8], to: &[u8]) -> Result<(), &'static str> {
        let from_l = from.to_ascii_lowercase();
        let to_l = to.to_ascii_lowercase();
        if let Some(exists) = self.opts.command_exists {
            let present = |n: &Vec<u8>, me: &Self| {
                (exists(n) && !me.removed_commands.contains(n)) || me.added_commands.contains(n)
            };
            if !present(&from_l, self) {
                return Err("No such command in rename-command");
            }
            if !self.added_commands.remove(&from_l) {
                self.removed_commands.insert(from_l.clone());
            }
            if !to.is_empty() {
                if present(&to_l, self) {
                    return Err("Target command name already exists");
                }
                self.added_commands.insert(to_l);
            }
        }
        self.cfg.renamed_commands.push(RenamedCommand {
            from: from_l,
            to: to.to_vec(),
        });
        Ok(())
    }
}

enum Step {
    Reason(String),
    Error(ConfigError),
}

impl Config {
    /// Builds the configuration from redis-server's command line (without the program
    /// name): `[config-file | -] [--name value ...] [-]`. Precedence is Redis's: file,
    /// then stdin, then the options, the last setting winning.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        Config::from_args_with(args, &LoadOptions::default())
    }

    /// [`Config::from_args`] with the start-up details only the caller knows.
    pub fn from_args_with(args: &[String], opts: &LoadOptions<'_>) -> Result<Config, ConfigError> {
        let mut cfg = Config {
            sentinel_mode: opts
                .sentinel_mode
                .unwrap_or_else(|| args.iter().any(|a| a == "--sentinel")),
            ..Config::default()
        };
        if cfg.sentinel_mode {
            cfg.values[idx::PORT] = Value::Num(26379);
            cfg.values[idx::PROTECTED_MODE] = Value::Bool(false);
        }
        if args.is_empty() {
            return Ok(cfg);
        }
        let (options, file, from_stdin) = options_text(args);
        let mut loader = Loader {
            cfg,
            opts,
            reading_file: false,
            save_loaded: false,
            removed_commands: HashSet::new(),
            added_commands: HashSet::new(),
        };
        let mut text = Vec::new();
        if let Some(f) = file {
            let abs = absolute_path(loader.cfg.dir(), &f);
            text = loader.read_path(&abs)?;
            loader.cfg.config_file = Some(PathBuf::from(abs));
        }
        if from_stdin {
            loader.cfg.config_from_stdin = true;
            match opts.stdin {
                Some(s) => text.extend_from_slice(s),
                None => {
                    let _ = std::io::stdin().read_to_end(&mut text);
                }
            }
        }
        text.push(b'\n');
        text.extend_from_slice(options.as_bytes());
        loader.load_text(&text)?;
        Ok(loader.cfg)
    }

    /// Applies config-file text on top of the current values, as if it were a file read
    /// at start-up (`include`s resolve against the current `dir`). Useful for tests and
    /// for embedding a default config.
    pub fn load_str(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        let opts = LoadOptions::default();
        let mut loader = Loader {
            cfg: std::mem::take(self),
            opts: &opts,
            reading_file: false,
            save_loaded: false,
            removed_commands: HashSet::new(),
            added_commands: HashSet::new(),
        };
        let res = loader.load_text(text);
        *self = loader.cfg;
        res
    }
}

#[cfg(test)]
pub(crate) fn options_text_for_test(args: &[String]) -> (String, Option<String>, bool) {
    options_text(args)
}

#[cfg(test)]
pub(crate) fn absolute_path_for_test(cwd: &str, path: &str) -> String {
    absolute_path(cwd, path)
}
