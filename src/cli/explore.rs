//! `paxos-safety explore`: the exhaustive search of [`crate::explore`] on the command line.

use super::status::{Shown, StatusLine};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::{
    build_config, ClusterArgs, FaultArgs, EXIT_SAFE, EXIT_USAGE, EXIT_VACUOUS, EXIT_VIOLATION,
};
use crate::config::{Config, ProposerStrategy};
use crate::explore::{explore_watched, Options, Report, Status};
use crate::render::Format;
use crate::world::Limits;

/// The bounds `explore` uses when neither a flag nor `--config` sets them: one ballot per
/// proposer, one crash, no duplicate, no drop. At three acceptors and two proposers the
/// correct protocol's whole state space at these bounds is 914,803 states (symmetry on),
/// 37,594 with the reduction (the default, which leaves out crashes that cannot matter),
/// explored in a fraction of a second on one core of a release build; six of the ten bugs
/// of the zoo break an invariant at these bounds (the table in `crate::explore` says which
/// bound the other four need). Two ballots each (`--max-ballots 2`) completes too: 15
/// million states without a crash, 34 million with one.
pub const DEFAULT_MAX_BALLOTS: u16 = 1;
pub const DEFAULT_MAX_CRASHES: u16 = 1;
pub const DEFAULT_MAX_DUPLICATES: u16 = 0;
pub const DEFAULT_MAX_DROPS: u16 = 0;
/// MiB of the explorer's own structures after which the search stops.
pub const DEFAULT_MAX_MEMORY_MIB: u64 = 4096;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    paxos-safety explore                               the correct protocol at the default bounds: safe, every state\n  \
    paxos-safety explore --bug no-adopt                the shortest schedule that breaks it (12 events)\n  \
    paxos-safety explore --max-crashes 0 --max-duplicates 1 --jobs 2 --json\n  \
    paxos-safety explore --max-ballots 2 --max-crashes 0 --jobs 2   two ballots each: every state (15 million)\n  \
    paxos-safety explore --max-ballots 3 --depth 20    bound the depth when the space is too large\n\n\
    The explorer is specialised to the built-in protocol and its bug switches: it encodes and\n\
    permutes the built-in roles' state. Your own roles (the library's traits) and acceptor\n\
    processes (--acceptor-cmd) are verified by fuzz campaigns, shrinking and replay.\n\n\
    Ctrl-C stops the search and reports what it did; a second Ctrl-C exits at once.\n\
    --time-limit SECONDS stops it the same way after a time (so does timeout -s INT).\n\
    Exit status: 0 no violation, 1 a violation, 2 bad usage or a state the explorer cannot\n\
    encode, 3 vacuous: no violation, but no state reached has a chosen value\n\
    (--allow-vacuous: a warning, 0), 130 stopped by Ctrl-C with nothing found.")]
pub struct ExploreArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Cluster and bounds from a .json or .toml file (the shape of a counterexample's "config");
    /// flags win over it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ballots each proposer may start, 1..=64 [default: 1]
    #[arg(long, value_name = "N")]
    pub max_ballots: Option<u16>,
    /// Node crashes in an execution, 0..=255 [default: 1]
    #[arg(long, value_name = "N")]
    pub max_crashes: Option<u16>,
    /// Duplicated messages in an execution, 0..=255 [default: 0]
    #[arg(long, value_name = "N")]
    pub max_duplicates: Option<u16>,
    /// Dropped messages in an execution, 0..=255 [default: 0: for safety a drop is the same as
    /// a message never delivered, so the reduction leaves drops out; --no-por explores them]
    #[arg(long, value_name = "N")]
    pub max_drops: Option<u16>,
    /// Longest execution explored, in events [default: no bound]
    #[arg(long, value_name = "EVENTS")]
    pub depth: Option<u32>,
    /// Stop after this many unique states [default: no limit; with --liveness, 4000000
    /// renamed states]
    #[arg(long, value_name = "N")]
    pub max_states: Option<u64>,
    /// Stop when the explorer's structures (visited set, parent links, the chunks being
    /// expanded and read; the frontier is on disk) reach this many MiB; with --liveness,
    /// the graph of renamed states and the queue [default: 4096]
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
    /// Stop after this many seconds, between two chunks of the search (with --liveness,
    /// between two states), and report what was done, as Ctrl-C does [default: no limit]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub time_limit: Option<f64>,
    /// Where stderr is not a terminal (a CI log, a file), write a line saying where the
    /// search is every this many seconds; 0 for never [default: 60]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub log_every: Option<f64>,
    /// Threads; results do not depend on it
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// Do not treat acceptors as interchangeable (counts every renaming as its own state)
    #[arg(long)]
    pub no_symmetry: bool,
    /// Do not use the reduction at all: neither ample sets (every interleaving of steps at
    /// different nodes is its own path) nor taking dead messages off nor leaving
    /// the faults that cannot matter (drops, acceptors' crashes, idle proposers' crashes)
    /// out; many more states
    #[arg(long)]
    pub no_por: bool,
    /// Guarantee that a violation found is the shortest within the bounds: turns the
    /// ample sets off, whose counterexamples may be longer (dead messages are still taken
    /// off and the faults that cannot matter left out, which keeps the shortest)
    #[arg(long)]
    pub shortest: bool,
    /// Print the result as one JSON object on the last line of stdout
    #[arg(long)]
    pub json: bool,
    /// A search that never reaches a state with a chosen value exits 0 with a warning
    /// instead of 3
    #[arg(long)]
    pub allow_vacuous: bool,
    /// Where to write the counterexample [default: counterexamples/explore-BUG-INVARIANT.json]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Search for a lasso instead: a reachable cycle after the network healed on which the
    /// proposers never all learn a value although every message is delivered (states
    /// identified up to renaming ballots and acceptors); exit 1 with the shortest one, 0 with a proof
    /// that none exists
    #[arg(
        long,
        help_heading = "Liveness",
        // The lasso search heals the network and renames ballots: fault bounds, a depth,
        // the safety search's reductions and its counterexample file mean nothing to it,
        // and a flag taken and ignored would be a bound the user believes in.
        conflicts_with_all = [
            "max_ballots", "max_crashes", "max_duplicates", "max_drops", "depth", "jobs",
            "no_symmetry", "no_por", "shortest", "allow_vacuous", "out",
        ],
    )]
    pub liveness: bool,
    /// Who retries (eager, backoff, leader) [default: eager]
    #[arg(long, value_name = "NAME", help_heading = "Liveness")]
    pub proposer_strategy: Option<ProposerStrategy>,
    /// With --liveness: explore only the duelling order's deliveries (phase-1 messages first,
    /// then the lowest ballot first; ties all explored): real schedules, so a lasso found is
    /// real, but finding none proves nothing. Fast for larger clusters (five acceptors)
    #[arg(long, requires = "liveness", help_heading = "Liveness")]
    pub duel_order: bool,
    /// How --liveness renders the lasso
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Liveness")]
    pub format: Format,
}

impl ExploreArgs {
    /// The configuration (file, then flags) and the search options: each bound from its
    /// flag, else the config file, else explore's default.
    fn config_and_options(&self) -> Result<(Config, Options), String> {
        let faults = FaultArgs {
            max_crashes: self.max_crashes,
            max_drops: self.max_drops,
            max_duplicates: self.max_duplicates,
            max_ballots: self.max_ballots,
            ..FaultArgs::default()
        };
        let (config, _) = build_config(self.config.as_ref(), &self.cluster, &faults)?;
        let f = &config.faults;
        let limits = Limits {
            max_crashes: f.max_crashes.unwrap_or(DEFAULT_MAX_CRASHES),
            max_drops: f.max_drops.unwrap_or(DEFAULT_MAX_DROPS),
            max_duplicates: f.max_duplicates.unwrap_or(DEFAULT_MAX_DUPLICATES),
            max_ballots: f.max_ballots.unwrap_or(DEFAULT_MAX_BALLOTS),
            max_in_flight: f.max_in_flight.unwrap_or(Limits::default().max_in_flight),
            max_steps: f.max_steps.unwrap_or(Limits::default().max_steps),
            ..Limits::default()
        };
        let mib = self.max_memory.unwrap_or(DEFAULT_MAX_MEMORY_MIB);
        let options = Options {
            limits,
            max_depth: self.depth,
            max_states: self.max_states,
            max_memory_bytes: Some(mib.saturating_mul(1 << 20)),
            jobs: self.jobs,
            symmetry: !self.no_symmetry,
            por: !self.no_por && !self.shortest,
            collect_dead: !self.no_por,
            time_limit: super::time_limit("--time-limit", self.time_limit)?,
        };
        options.validate()?;
        Ok((config, options))
    }
}

/// The status line's text after `secs` seconds.
fn status_text(s: &Status, secs: f64) -> String {
    let percent = 100 * s.level_done / s.level_states.max(1);
    format!(
        "level {:>3} {:>3}% {:>10} states {:>6.0}k/s {:>5.0} MiB {:>5.0} MiB disk",
        s.level,
        percent,
        s.states,
        s.states as f64 / secs / 1000.0,
        super::mib(s.peak_bytes),
        super::mib(s.peak_disk_bytes)
    )
}

/// The process's peak resident memory in MiB, where the system tells it (Linux).
pub(super) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds this process has used (all threads, user and system), where the system
/// tells it (Linux: `/proc/self/stat` counts in ticks of 1/100 s on every architecture
/// Linux runs on). On a shared machine the wall clock says little about speed.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may contain spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn default_out(config: &Config, report: &Report) -> PathBuf {
    let bug = super::cause_name(config);
    let invariant = report
        .violation
        .as_ref()
        .map_or("none", |f| f.invariant().name());
    Path::new("counterexamples").join(format!("explore-{bug}-{invariant}.json"))
}

pub fn run(args: ExploreArgs) -> ExitCode {
    let (mut config, options) = match args.config_and_options() {
        Ok(x) => x,
        Err(e) => return super::usage_error(&e),
    };
    if let Some(s) = args.proposer_strategy {
        config.proposer_strategy = s;
    }
    let shown = match super::status::log_every(args.log_every) {
        Ok(every) => Shown::for_stderr(args.json, every),
        Err(e) => return super::usage_error(&e),
    };
    if args.liveness {
        let bounds = crate::explore::lasso::Bounds {
            max_states: args
                .max_states
                .unwrap_or(super::lasso::DEFAULT_MAX_STATES)
                .min(usize::MAX as u64) as usize,
            max_bytes: options.max_memory_bytes.unwrap_or(u64::MAX),
            duel: args.duel_order,
            time_limit: options.time_limit,
        };
        return super::lasso::run(&config, bounds, args.json, shown, args.format);
    }
    let l = options.limits;
    crate::say!(
        "explore {} --max-ballots {} --max-crashes {} --max-duplicates {} --max-drops {}{}{}{}",
        config.cluster_args(),
        l.max_ballots,
        l.max_crashes,
        l.max_duplicates,
        l.max_drops,
        options
            .max_depth
            .map_or(String::new(), |d| format!(" --depth {d}")),
        if options.symmetry {
            ""
        } else {
            " --no-symmetry"
        },
        match (options.collect_dead, options.por) {
            (false, _) => " --no-por",
            (true, false) => " --shortest",
            (true, true) => "",
        },
    );
    // The first Ctrl-C stops the search between two levels; the partial search is reported.
    crate::interrupt::install();
    let line = StatusLine::new("explore", shown);
    let result = explore_watched(&config, &options, &mut |s| {
        line.show(|secs| status_text(s, secs));
    });
    line.clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            crate::warn!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let secs = report.elapsed.as_secs_f64();
    let rss = peak_rss_mib();
    let cpu = cpu_seconds();
    crate::say!(
        "{} unique states, {} transitions, depth {}, {:.2} s, {:.0} states/s, {} thread{}, symmetry {}, partial-order reduction {}",
        report.unique_states,
        report.transitions,
        report.depth,
        secs,
        report.states_per_second(),
        options.jobs,
        if options.jobs == 1 { "" } else { "s" },
        if options.symmetry { "on" } else { "off" },
        match (options.collect_dead, options.por, report.collect_dead) {
            (false, ..) => "off",
            // The in-flight limit is within reach: see `explore::reduction::applies`.
            (true, _, false) => "off (--max-in-flight could be reached)",
            (true, true, true) => "on",
            (true, false, true) => "off but for dead messages and harmless faults (--shortest)",
        },
    );
    if let Some(cpu) = cpu {
        crate::say!(
            "cpu: {:.2} s, {:.0} states per cpu second",
            cpu,
            report.unique_states as f64 / cpu.max(0.01)
        );
    }
    crate::say!(
        "memory: {:.1} MiB explorer structures at peak ({:.1} bytes per state){}; frontier on disk: {:.1} MiB at most",
        super::mib(report.peak_bytes),
        report.bytes_per_state(),
        rss.map_or(String::new(), |m| format!(", {m:.1} MiB peak resident")),
        super::mib(report.peak_disk_bytes),
    );
    crate::say!(
        "fingerprints: {} bits kept, probability of two states taken for one below {:.1e}",
        crate::explore::FINGERPRINT_BITS,
        report.collision_bound()
    );
    if report.complete() {
        crate::say!("complete: every state within the bounds was explored");
    } else if report.cuts.stopped() {
        crate::say!(
            "incomplete: {} after {} whole levels and part of the next; \
             the figures cover every state expanded",
            if report.cuts.interrupted {
                "interrupted by Ctrl-C".to_string()
            } else {
                format!("stopped by --time-limit {}", args.time_limit.unwrap_or(0.0))
            },
            report.depth
        );
    } else {
        crate::say!(
            "incomplete: the search was cut by {}",
            report.cuts.names().join(", ")
        );
    }
    let mut violation_json = serde_json::Value::Null;
    if let Some(found) = &report.violation {
        let path = args
            .out
            .clone()
            .unwrap_or_else(|| default_out(&config, &report));
        if report.por {
            crate::say!(
                "VIOLATION after {} events (partial-order reduction on: a real execution, \
                 not necessarily the shortest; --shortest finds the shortest):",
                found.events.len()
            );
        } else {
            crate::say!(
                "VIOLATION after {} events (shortest within the bounds):",
                found.events.len()
            );
        }
        for e in &found.events {
            crate::say!("  {e}");
        }
        crate::say!("{}", found.explanation());
        if let Err(e) = found.counterexample(&config).save(&path) {
            crate::warn!("error: cannot write the counterexample: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
        crate::say!("counterexample written to {}", path.display());
        crate::say!(
            "replay: {} replay {}",
            super::program(),
            super::shell_word(&path.display().to_string())
        );
        violation_json = json!({
            "invariant": found.invariant().name(),
            "events": found.events.len(),
            "counterexample": path.display().to_string(),
            "explanation": found.explanation(),
            "shortest": !report.por,
        });
    } else {
        crate::say!("no violation");
    }
    // A search that never saw a value chosen checked agreement on nothing.
    let vacuous = report.violation.is_none() && !report.chosen;
    if vacuous {
        crate::say!(
            "{}: no state reached has a chosen value: this search has proven nothing",
            if args.allow_vacuous {
                "warning"
            } else {
                "VACUOUS"
            }
        );
    }
    if args.json {
        let line = json!({
            "unique_states": report.unique_states,
            "transitions": report.transitions,
            "depth": report.depth,
            "elapsed_s": secs,
            "complete": report.complete(),
            "interrupted": report.cuts.interrupted,
            "chosen": report.chosen,
            "vacuous": vacuous,
            "violation": violation_json,
            "cut_by": report.cuts.names(),
            "states_per_s": report.states_per_second(),
            "cpu_s": cpu,
            "peak_explorer_mib": super::mib(report.peak_bytes),
            "peak_rss_mib": rss,
            "bytes_per_state": report.bytes_per_state(),
            "peak_disk_mib": super::mib(report.peak_disk_bytes),
            "collision_bound": report.collision_bound(),
            "jobs": options.jobs,
            "symmetry": options.symmetry,
            "por": report.por,
            "dead_messages_collected": report.collect_dead,
            "bounds": {
                "max_ballots": l.max_ballots,
                "max_crashes": l.max_crashes,
                "max_duplicates": l.max_duplicates,
                "max_drops": l.max_drops,
                "depth": options.max_depth,
            },
        });
        crate::say!("{line}");
    }
    ExitCode::from(if report.violation.is_some() {
        EXIT_VIOLATION
    } else if report.cuts.interrupted {
        crate::interrupt::EXIT_INTERRUPTED
    } else if vacuous && !args.allow_vacuous {
        EXIT_VACUOUS
    } else {
        EXIT_SAFE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status line fits 80 columns with the spinner and the elapsed time in front,
    /// for ten billion states at ten million a second and a hundred GiB of each.
    #[test]
    fn the_status_line_fits_80_columns() {
        let big = Status {
            level: 999,
            level_done: 7,
            level_states: 9,
            states: 9_999_999_999,
            transitions: u64::MAX,
            peak_bytes: 99_999 << 20,
            peak_disk_bytes: 99_999 << 20,
        };
        let text = status_text(&big, 1000.0);
        let line = format!("- 99:59:59 {text}");
        assert!(line.chars().count() <= 80, "{} columns: {line}", line.len());
        assert_eq!(
            text,
            "level 999  77% 9999999999 states  10000k/s 99999 MiB 99999 MiB disk"
        );
    }
}
