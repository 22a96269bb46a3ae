//! The command line: raw arguments parsed by clap, validated into a [`Config`], and handed
//! to one function per subcommand. Each subcommand's file maps its result to an exit code:
//! 0 safe, 1 a violation, 2 bad usage (clap's own errors exit 2 as well), 3 a vacuous run
//! (`fuzz` or `explore` never saw a value chosen, or `fuzz` never saw one learned).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::bug::Bug;
use crate::config::{Config, Liveness, ProposerStrategy, ShapeSwarm};
use crate::process::{CrashMode, ProcessAcceptors};

pub mod bench;
pub mod explore;
pub mod fuzz;
pub mod lasso;
pub mod merge;
pub mod replay;
pub mod status;

/// Exit status for a run in which every invariant held.
pub const EXIT_SAFE: u8 = 0;
/// Exit status for a run that found a violation.
pub const EXIT_VIOLATION: u8 = 1;
/// Exit status for bad usage: a bad flag, a bad file, an impossible configuration.
pub const EXIT_USAGE: u8 = 2;
/// Exit status for a vacuous run: no violation, but the run never reached what it must
/// reach to prove anything (a chosen value; for `fuzz`, also a proposer that learned one).
/// `--allow-vacuous` turns it into a warning and exit status 0.
pub const EXIT_VACUOUS: u8 = 3;
/// Exit status when the `--acceptor-cmd` fails the start-up check (it does not start,
/// answer `init`, or promise a fresh acceptor's first prepare): the acceptor's fault, not
/// the command line's, so a grader tells a broken submission from its own typo.
pub const EXIT_ACCEPTOR_STARTUP: u8 = 4;

/// An error that ends a command, with its exit status: bad usage unless it says otherwise.
/// A `String` error converts to a usage error, so `?` works on the many checks that are.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub msg: String,
}

impl From<String> for Failure {
    fn from(msg: String) -> Failure {
        Failure {
            status: EXIT_USAGE,
            msg,
        }
    }
}

impl Failure {
    /// Prints the error the way every subcommand does, and returns its exit status.
    pub fn exit(&self) -> ExitCode {
        crate::warn!("error: {}", self.msg);
        ExitCode::from(self.status)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "paxos-safety",
    version,
    about = "Proves by search that single-decree Paxos never un-chooses a value.",
    long_about = "Proves by search that single-decree Paxos never un-chooses a value.\n\n\
        With no subcommand, runs as a grader node: JSON messages on stdin, one reply per line on stdout \
        (docs/PROTOCOL.md in the repository has every request, reply, error code, limit and the \
        node's exit status).\n\n\
        Exit status of fuzz, replay, explore and merge: 0 no violation, 1 a violation, 2 bad usage, \
        3 vacuous (fuzz, merge and explore: no value was ever chosen, or for fuzz never learned; \
        --allow-vacuous makes it 0), 130 after Ctrl-C with nothing found. The node exits 0 at the \
        end of its input whatever its verdicts, 1 if stdin or stdout fails."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a campaign of seeded random executions, checking every step (of the built-in
    /// protocol, or of your acceptor processes with --acceptor-cmd).
    Fuzz(Box<fuzz::FuzzArgs>),
    /// Rerun one execution (by seed, or from a counterexample file) and print its trace.
    Replay(replay::ReplayArgs),
    /// Enumerate every interleaving of a small cluster of the built-in protocol (breadth-first,
    /// shortest counterexample); your own roles and --acceptor-cmd go through fuzz instead.
    Explore(explore::ExploreArgs),
    /// Measure checked steps per second, checker cost, scaling, memory, time to find each bug.
    Bench(bench::BenchArgs),
    /// Add up the --json summaries of a sharded campaign.
    Merge(merge::MergeArgs),
    /// Run as the grader node on stdin/stdout (the same as no subcommand).
    #[command(after_help = "Example:\n  \
        printf '%s\\n' '{\"src\":\"c0\",\"dest\":\"n1\",\"body\":{\"type\":\"init\",\"msg_id\":1,\"node_id\":\"n1\",\"node_ids\":[\"n1\"]}}' | paxos-safety node\n\n\
        Requests: init, paxos_safety_test, paxos_invariant_check, and the acceptor's paxos_prepare,\n\
        paxos_accept, paxos_chosen; docs/PROTOCOL.md specifies each, with error codes and limits.\n\
        Replies go to stdout one per line, diagnostics to stderr. Exit status: 0 at EOF whatever\n\
        the verdicts (safe: false is a reply, not a failure), 1 if stdin or stdout fails, 2 for a\n\
        refused --bug.")]
    Node(NodeArgs),
}

/// Flags of the grader node.
#[derive(Args, Clone, Debug, Default)]
pub struct NodeArgs {
    /// Switch on an acceptor-side bug in the node's acceptor, making it a known-bad
    /// acceptor for testing a harness: accept-below-promise, no-promise-on-accept, or
    /// amnesia (which changes nothing: the node keeps its state in memory, so a restarted
    /// process has forgotten everything anyway). Proposer-side bugs are refused.
    #[arg(long, value_name = "NAME")]
    pub bug: Option<Bug>,
}

/// The cluster flags every simulating subcommand shares.
#[derive(Args, Clone, Debug, Default)]
pub struct ClusterArgs {
    /// Acceptors, 1..=15 [default: 3]
    #[arg(long, value_name = "A")]
    pub acceptors: Option<u16>,
    /// Proposers, 1..=8, each wanting its own value [default: 2]
    #[arg(long, value_name = "P")]
    pub proposers: Option<u8>,
    /// Phase-1 quorum size [default: a majority]
    #[arg(long, value_name = "N")]
    pub q1: Option<u16>,
    /// Phase-2 quorum size [default: a majority]
    #[arg(long, value_name = "N")]
    pub q2: Option<u16>,
    /// Switch on one classic Paxos bug (no-adopt, adopt-lowest, accept-below-promise, amnesia,
    /// small-quorum, ballot-collision, no-promise-on-accept, count-duplicates, stale-promise,
    /// learn-mixed-ballots)
    #[arg(long, value_name = "NAME")]
    pub bug: Option<Bug>,
}

/// Fault and limit flags. Unset rates and limits are drawn per execution from its seed.
#[derive(Args, Clone, Debug, Default)]
pub struct FaultArgs {
    /// Per-mille chance per step that the network drops a message
    #[arg(long, value_name = "PER_MILLE")]
    pub drop_rate: Option<u16>,
    /// Per-mille chance per step that the network duplicates a message
    #[arg(long, value_name = "PER_MILLE")]
    pub duplicate_rate: Option<u16>,
    /// Per-mille chance per step that a node crashes
    #[arg(long, value_name = "PER_MILLE")]
    pub crash_rate: Option<u16>,
    /// Per-mille chance per step that a crashed node restarts
    #[arg(long, value_name = "PER_MILLE")]
    pub restart_rate: Option<u16>,
    /// Per-mille chance per step that a proposer times out and starts a higher ballot
    #[arg(long, value_name = "PER_MILLE")]
    pub timeout_rate: Option<u16>,
    /// Crashes per execution
    #[arg(long, value_name = "N")]
    pub max_crashes: Option<u16>,
    /// Dropped messages per execution
    #[arg(long, value_name = "N")]
    pub max_drops: Option<u16>,
    /// Duplicated messages per execution
    #[arg(long, value_name = "N")]
    pub max_duplicates: Option<u16>,
    /// Ballots each proposer may start (its timeouts; your own proposer's ballots started on
    /// a message, such as a retry on a nack, are bounded by --max-steps only)
    #[arg(long, value_name = "N")]
    pub max_ballots: Option<u16>,
    /// Messages in flight at once (16..=4096) [default: 256]
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<u16>,
    /// Steps per execution (1..=1000000) [default: 1000]
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u32>,
}

/// The liveness flags (`fuzz`, and `replay --seed` to rerun a liveness execution).
#[derive(Args, Clone, Debug, Default)]
pub struct LivenessArgs {
    /// Liveness mode: each execution's network heals at a stabilisation point drawn from its
    /// seed (no more drops, duplicates or crashes; down nodes restart; every message is
    /// delivered), after which a value must be chosen and learned by every proposer within
    /// --liveness-bound steps, or the execution fails with a `liveness` violation
    #[arg(long)]
    pub liveness: bool,
    /// K: the steps after the healing within which the value must be chosen and learned
    /// (1..=20000) [default: 300]
    #[arg(long, value_name = "K")]
    pub liveness_bound: Option<u32>,
    /// Pin the step after which the network heals [default: drawn per execution from 0, 10,
    /// 30, 100, 300]
    #[arg(long, value_name = "STEP")]
    pub stabilise_at: Option<u32>,
    /// When proposers retry: eager (every proposer, as soon as its timer fires: the default),
    /// backoff (seeded random exponential back-off once the network healed), leader (only
    /// the live undecided proposer with the highest id)
    #[arg(long, value_name = "NAME")]
    pub proposer_strategy: Option<ProposerStrategy>,
}

impl LivenessArgs {
    /// Puts the flags that were given over `base`.
    pub fn apply(&self, base: &mut Config) -> Result<(), String> {
        if let Some(s) = self.proposer_strategy {
            base.proposer_strategy = s;
        }
        if self.liveness {
            base.liveness.get_or_insert_with(Liveness::default);
        }
        let Some(live) = base.liveness.as_mut() else {
            if self.liveness_bound.is_some() || self.stabilise_at.is_some() {
                return Err("--liveness-bound and --stabilise-at need --liveness".into());
            }
            return Ok(());
        };
        if let Some(k) = self.liveness_bound {
            live.bound = k;
        }
        if self.stabilise_at.is_some() {
            live.stabilise_at = self.stabilise_at;
        }
        Ok(())
    }
}

impl ClusterArgs {
    /// Puts the flags that were given over `base` (the defaults, or a config file).
    pub fn apply(&self, base: &mut Config) {
        if let Some(a) = self.acceptors {
            base.acceptors = a;
        }
        if let Some(p) = self.proposers {
            base.proposers = p;
        }
        if self.q1.is_some() {
            base.q1 = self.q1;
        }
        if self.q2.is_some() {
            base.q2 = self.q2;
        }
        if self.bug.is_some() {
            base.bug = self.bug;
        }
    }
}

impl FaultArgs {
    /// Puts the flags that were given over `base`.
    pub fn apply(&self, base: &mut Config) {
        let f = &mut base.faults;
        macro_rules! over {
            ($($field:ident),*) => { $( if self.$field.is_some() { f.$field = self.$field; } )* };
        }
        over!(
            drop_rate,
            duplicate_rate,
            crash_rate,
            restart_rate,
            timeout_rate,
            max_crashes,
            max_drops,
            max_duplicates,
            max_ballots,
            max_in_flight,
            max_steps
        );
    }
}

/// The form a configuration was given in, so the banner can print it back the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ConfigForm {
    #[default]
    Json,
    Toml,
}

impl ConfigForm {
    /// Renders `config` in this form (TOML leaves out unset fields; JSON shows them as null).
    pub fn render(self, config: &Config) -> String {
        match self {
            ConfigForm::Json => serde_json::to_string(config).expect("a config serialises"),
            ConfigForm::Toml => {
                toml::to_string(config).unwrap_or_else(|e| format!("# cannot render as TOML: {e}"))
            }
        }
    }
}

/// Config files over this size are refused: a configuration is a dozen lines.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads a `--config` file: TOML when it ends in `.toml`, JSON otherwise (the same shape
/// as a counterexample file's `config`).
pub fn load_config(path: Option<&PathBuf>) -> Result<(Config, ConfigForm), String> {
    let Some(path) = path else {
        return Ok((Config::default(), ConfigForm::Json));
    };
    let cannot = |e: std::io::Error| format!("cannot read --config {}: {e}", path.display());
    if std::fs::metadata(path).map_err(cannot)?.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "--config {}: larger than {MAX_CONFIG_BYTES} bytes; a configuration is a dozen lines",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(cannot)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("json" | "toml")) {
        return Err(format!(
            "--config {}: name the file .json or .toml so its format is clear",
            path.display()
        ));
    }
    // The acceptor keys belong to the harness, not to the cluster (see config_acceptor).
    let strip = |mut v: serde_json::Value| {
        if let Some(m) = v.as_object_mut() {
            for key in ACCEPTOR_KEYS {
                m.remove(key);
            }
        }
        v
    };
    // serde lists the cluster's keys only; a slip in an acceptor key must find them too.
    let bad = |e: String| {
        let also = match e.contains("unknown field") {
            true => format!(
                "; also allowed, at the top level only (above any [section] in TOML): the \
                 acceptor keys {}",
                ACCEPTOR_KEYS.join(", ")
            ),
            false => String::new(),
        };
        format!("--config {}: {}{also}", path.display(), e.trim_end())
    };
    if !ACCEPTOR_KEYS.iter().any(|k| text.contains(k)) {
        // The common case keeps the parsers' own error positions.
        return if ext.as_deref() == Some("toml") {
            toml::from_str(&text)
                .map(|c| (c, ConfigForm::Toml))
                .map_err(|e| bad(e.to_string()))
        } else {
            crate::config::from_json_naming_keys(&text)
                .map(|c| (c, ConfigForm::Json))
                .map_err(bad)
        };
    }
    let (v, form) = if ext.as_deref() == Some("toml") {
        let v: serde_json::Value = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        (v, ConfigForm::Toml)
    } else {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        (v, ConfigForm::Json)
    };
    // Through a Value the parsers' positions are gone: the key's path says where instead.
    serde_path_to_error::deserialize(strip(v))
        .map(|c| (c, form))
        .map_err(|e| bad(e.to_string()))
}

/// The user's acceptor process, shared by `fuzz` and `replay`.
#[derive(Args, Debug, Clone)]
pub struct AcceptorArgs {
    /// Test your own acceptor: a command (run by `sh -c`) started once per acceptor and
    /// execution, speaking the wire protocol of docs/PROTOCOL.md ("The acceptor") on its
    /// stdin/stdout; the built-in proposers drive it. Also the config key `acceptor_cmd`
    #[arg(long, value_name = "CMD", help_heading = "Your acceptor")]
    pub acceptor_cmd: Option<String>,
    /// What a crash does to an acceptor process: pause keeps it (durable state), restart
    /// kills it and starts it again on the same PAXOS_DATA_DIR. Also the config key
    /// `acceptor_crash` [default: pause; replay FILE: the file's]
    #[arg(long, value_enum, value_name = "MODE", help_heading = "Your acceptor")]
    pub acceptor_crash: Option<CrashMode>,
    /// Seconds to wait for each reply line before calling it an acceptor-protocol finding.
    /// Also the config key `reply_timeout` [default: 2; replay FILE: the file's]
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        help_heading = "Your acceptor"
    )]
    pub reply_timeout: Option<f64>,
}

/// The longest reply timeout, in seconds, from the flag or the config key.
const MAX_REPLY_TIMEOUT: f64 = 3600.0;

/// A reply timeout the flag or the config key may set (seconds).
fn reply_timeout_ok(secs: f64) -> bool {
    secs > 0.0 && secs <= MAX_REPLY_TIMEOUT
}

/// Seconds an acceptor process may take to answer, unless `--reply-timeout` says otherwise.
pub const DEFAULT_REPLY_TIMEOUT: f64 = 2.0;

impl AcceptorArgs {
    /// The flags given, by name, in the order of `--help`.
    pub fn given(&self) -> Vec<&'static str> {
        [
            (self.acceptor_cmd.is_some(), "--acceptor-cmd"),
            (self.acceptor_crash.is_some(), "--acceptor-crash"),
            (self.reply_timeout.is_some(), "--reply-timeout"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }

    /// The process harness, when a command is given here or by the config file (`file`),
    /// checked to start and answer one prepare.
    pub fn harness(&self, file: Option<String>) -> Result<Option<ProcessAcceptors>, Failure> {
        self.harness_with(file, None, None)
    }

    /// [`AcceptorArgs::harness`] with the crash mode and reply timeout (in milliseconds) a
    /// counterexample file recorded or a config file sets, which the flags override.
    pub fn harness_with(
        &self,
        file: Option<String>,
        file_crash: Option<CrashMode>,
        file_timeout_ms: Option<u64>,
    ) -> Result<Option<ProcessAcceptors>, Failure> {
        let from_file = self.acceptor_cmd.is_none();
        let Some(cmd) = self.acceptor_cmd.clone().or(file) else {
            // Settings of a process with no process would be dropped without a word, and
            // the run taken for a test of the acceptor they were meant for.
            // No `--acceptor-cmd` here, so the flags given are the settings alone.
            let mut set = self.given();
            set.extend(
                [
                    (file_crash.is_some(), "the config key acceptor_crash"),
                    (file_timeout_ms.is_some(), "the config key reply_timeout"),
                ]
                .into_iter()
                .filter_map(|(given, key)| given.then_some(key)),
            );
            if !set.is_empty() {
                return Err(Failure::from(format!(
                    "{} {} acceptor processes, and there are none: give --acceptor-cmd \
                     (or the config key acceptor_cmd) too, or leave {} out",
                    set.join(" and "),
                    if set.len() == 1 { "sets up" } else { "set up" },
                    if set.len() == 1 { "it" } else { "them" }
                )));
            }
            return Ok(None);
        };
        if cmd.trim().is_empty() {
            return Err(Failure::from("--acceptor-cmd is empty".to_string()));
        }
        let timeout = match (self.reply_timeout, file_timeout_ms) {
            (Some(secs), _) => secs,
            (None, Some(ms)) => ms as f64 / 1000.0,
            (None, None) => DEFAULT_REPLY_TIMEOUT,
        };
        if !reply_timeout_ok(timeout) {
            return Err(Failure::from(format!(
                "--reply-timeout must be a positive number of seconds (at most {MAX_REPLY_TIMEOUT})"
            )));
        }
        let h = ProcessAcceptors::new(
            &cmd,
            self.acceptor_crash
                .or(file_crash)
                .unwrap_or(CrashMode::Pause),
            std::time::Duration::from_secs_f64(timeout),
        );
        // A file's command runs from here, wherever the file was written: a relative path
        // in it is the likeliest reason it does not start.
        h.probe().map_err(|e| Failure {
            status: EXIT_ACCEPTOR_STARTUP,
            msg: match from_file {
                true => format!(
                    "{e}\n  (the command comes from the file and runs from this directory: a \
                     relative path in it must be relative to here; or give --acceptor-cmd)"
                ),
                false => e,
            },
        })?;
        Ok(Some(h))
    }
}

/// The keys of a `--config` file that set up acceptor processes, as the flags of the same
/// names do (`reply_timeout` in seconds, as `--reply-timeout`).
pub const ACCEPTOR_KEYS: [&str; 3] = ["acceptor_cmd", "acceptor_crash", "reply_timeout"];

/// What a `--config` file says about acceptor processes; the flags override each key.
#[derive(Debug, Default)]
pub struct ConfigAcceptor {
    pub cmd: Option<String>,
    pub crash: Option<CrashMode>,
    pub reply_timeout_ms: Option<u64>,
}

/// The acceptor keys of a `--config` file ([`ACCEPTOR_KEYS`]).
pub fn config_acceptor(path: Option<&PathBuf>) -> Result<ConfigAcceptor, String> {
    let Some(path) = path else {
        return Ok(ConfigAcceptor::default());
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(ConfigAcceptor::default()); // load_config reports unreadable files
    };
    let value = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        toml::from_str::<serde_json::Value>(&text).ok()
    } else {
        serde_json::from_str::<serde_json::Value>(&text).ok()
    };
    let get = |key: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(key))
            .filter(|v| !v.is_null())
    };
    let bad = |what: &str| format!("--config {}: {what}", path.display());
    let cmd = match get("acceptor_cmd") {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("acceptor_cmd must be a string")),
    };
    let crash = match get("acceptor_crash") {
        None => None,
        Some(v) => Some(
            serde_json::from_value::<CrashMode>(v.clone())
                .map_err(|_| bad("acceptor_crash must be \"pause\" or \"restart\""))?,
        ),
    };
    let reply_timeout_ms = match get("reply_timeout") {
        None => None,
        Some(v) => match v.as_f64() {
            Some(secs) if reply_timeout_ok(secs) => Some((secs * 1000.0).round() as u64),
            _ => {
                return Err(bad(&format!(
                    "reply_timeout must be a positive number of seconds (at most \
                     {MAX_REPLY_TIMEOUT})"
                )))
            }
        },
    };
    Ok(ConfigAcceptor {
        cmd,
        crash,
        reply_timeout_ms,
    })
}

/// Builds and validates the configuration: file (or defaults), then flags on top.
pub fn build_config(
    file: Option<&PathBuf>,
    cluster: &ClusterArgs,
    faults: &FaultArgs,
) -> Result<(Config, ConfigForm), String> {
    build_live_config(file, cluster, faults, &LivenessArgs::default())
}

/// [`build_config`] with the liveness flags too.
pub fn build_live_config(
    file: Option<&PathBuf>,
    cluster: &ClusterArgs,
    faults: &FaultArgs,
    live: &LivenessArgs,
) -> Result<(Config, ConfigForm), String> {
    let (mut config, form) = load_config(file)?;
    cluster.apply(&mut config);
    faults.apply(&mut config);
    live.apply(&mut config)?;
    config.validate()?;
    Ok((config, form))
}

/// The parts of the cluster's shape a `fuzz` campaign draws per execution: those fixed
/// neither by a flag nor by a key of the config file. Quorum sizes only mean something
/// against a known number of acceptors, so a fixed `q1` or `q2` fixes the acceptors too.
/// Acceptor processes (`processes`) keep the configuration's shape: their next processes
/// are started ahead of need for a known cluster, and a shape that changed under them
/// would waste every start.
pub fn shape_swarm(
    file: Option<&PathBuf>,
    cluster: &ClusterArgs,
    processes: bool,
) -> Result<ShapeSwarm, String> {
    if processes {
        return Ok(ShapeSwarm::FIXED);
    }
    let keys = config_keys(file)?;
    let fixed = |flag: bool, key: &str| flag || keys.iter().any(|k| k == key);
    let quorum = fixed(cluster.q1.is_some(), "q1") || fixed(cluster.q2.is_some(), "q2");
    Ok(ShapeSwarm {
        acceptors: !quorum && !fixed(cluster.acceptors.is_some(), "acceptors"),
        proposers: !fixed(cluster.proposers.is_some(), "proposers"),
        quorums: !quorum,
    })
}

/// The top-level keys of a config file (none without one). The file was already read and
/// checked by [`load_config`]; this only asks which keys it names.
fn config_keys(file: Option<&PathBuf>) -> Result<Vec<String>, String> {
    let Some(path) = file else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
    let is_toml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let keys: Vec<String> = if is_toml {
        toml::from_str::<toml::Table>(&text)
            .map_err(|e| format!("--config {}: {e}", path.display()))?
            .keys()
            .cloned()
            .collect()
    } else {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
            .map_err(|e| format!("--config {}: {e}", path.display()))?
            .keys()
            .cloned()
            .collect()
    };
    Ok(keys)
}

/// What a counterexample file is named after: the bug, and quorums that need not meet
/// (`non-intersecting-quorums-q1-2-q2-3-of-5`), the two causes of a violation this tool can
/// switch on; `correct` when there is neither.
pub fn cause_name(config: &Config) -> String {
    let mut parts = Vec::new();
    if let Some(bug) = config.bug {
        parts.push(bug.name().to_string());
    }
    if !config.quorums_intersect() {
        let p = config.protocol();
        parts.push(format!(
            "non-intersecting-quorums-q1-{}-q2-{}-of-{}",
            p.q1, p.q2, p.acceptors
        ));
    }
    if parts.is_empty() {
        parts.push("correct".to_string());
    }
    parts.join("-")
}

/// How to name this program in a command printed for the user to paste: `paxos-safety`
/// when that name on the `PATH` is this very binary (after `cargo install --path .`), else
/// the path of this binary, relative to the working directory when it lies below it
/// (`target/release/paxos-safety` after `cargo run --release`). A printed command then
/// runs as printed from where the user is, and never runs another build by accident.
pub fn program() -> String {
    let Ok(exe) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "paxos-safety".to_string();
    };
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("paxos-safety"))
            .find(|p| p.is_file())
    });
    if on_path.and_then(|p| std::fs::canonicalize(p).ok()).as_ref() == Some(&exe) {
        return "paxos-safety".to_string();
    }
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    let shown = match cwd.as_ref().map(|d| exe.strip_prefix(d)) {
        // A bare name would be looked up on the PATH: `./paxos-safety` runs this one.
        Ok(Ok(rel)) if rel.parent() == Some(std::path::Path::new("")) => {
            std::path::Path::new(".").join(rel)
        }
        Ok(Ok(rel)) => rel.to_path_buf(),
        _ => exe,
    };
    shell_word(&shown.display().to_string())
}

/// `word` quoted for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Set once stdout is gone (the reader of a pipe exited, as `| head` does): later output is
/// dropped quietly and the subcommand still ends with the exit status of its verdict.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes one line to stdout. `println!` panics when the pipe is closed; a verifier whose
/// output is piped into `head` must not.
pub fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `println!` for subcommands: see [`emit`].
#[macro_export]
macro_rules! say {
    () => { $crate::cli::emit(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::emit(format_args!($($arg)*)) };
}

/// Writes one line to stderr. `eprintln!` panics too when stderr is a closed pipe
/// (`2>&1 | head`); a diagnostic nobody reads is dropped instead.
pub fn emit_err(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// `eprintln!` for subcommands: see [`emit_err`].
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::cli::emit_err(format_args!($($arg)*)) };
}

/// Bytes as MiB, for the memory figures the searches print.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// `--time-limit`'s seconds (or another such flag's, named by `flag`) as a duration, for
/// `fuzz` and `explore` alike: positive and at
/// most a year, or the error that says so.
pub fn time_limit(flag: &str, seconds: Option<f64>) -> Result<Option<std::time::Duration>, String> {
    match seconds {
        None => Ok(None),
        Some(t) if t > 0.0 && t <= 31_536_000.0 => Ok(Some(std::time::Duration::from_secs_f64(t))),
        Some(_) => Err(format!(
            "{flag} must be a positive number of seconds (at most a year)"
        )),
    }
}

/// Prints a usage error the way every subcommand does, and returns exit status 2.
pub fn usage_error(msg: &str) -> ExitCode {
    Failure::from(msg.to_string()).exit()
}

/// `node [--bug B]`: refuses a bug the node's acceptor cannot have, then serves.
fn run_node(args: &NodeArgs) -> ExitCode {
    match args.bug {
        Some(bug) if !crate::node::ACCEPTOR_BUGS.contains(&bug) => {
            let names: Vec<&str> = crate::node::ACCEPTOR_BUGS
                .iter()
                .map(|b| b.name())
                .collect();
            // Not `usage_error`: its `eprintln!` panics when stderr is a closed pipe.
            let _ = writeln!(
                std::io::stderr(),
                "error: --bug {bug} is a proposer-side bug, and the node is an acceptor; \
                 the node takes {}",
                names.join(", ")
            );
            ExitCode::from(EXIT_USAGE)
        }
        bug => crate::node::run_stdio(bug),
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        None => crate::node::run_stdio(None),
        Some(Command::Node(args)) => run_node(&args),
        Some(Command::Fuzz(args)) => fuzz::run(*args),
        Some(Command::Replay(args)) => replay::run(args),
        Some(Command::Explore(args)) => explore::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Merge(args)) => merge::run(args),
    }
}
