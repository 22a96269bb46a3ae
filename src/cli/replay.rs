//! `paxos-safety replay`: rerun one execution and show it step by step.
//!
//! Two sources. `--seed S` with the cluster and fault flags reruns one execution of the
//! seeded random scheduler: determinism makes it the execution a campaign saw, so a seed
//! banner is enough to look at a failure. `FILE` replays a counterexample file strictly by
//! its events, which keeps working after the random scheduler changes; the file carries
//! its configuration and a pinned profile, so flags that would change them are refused
//! rather than silently ignored.
//!
//! The simulator runs the execution once, and gives the verdict; a
//! [`crate::render::TraceRecorder`] rides on that run to say what each step changed, so
//! an acceptor process is started, and waited on, for one run only.

use std::io::{ErrorKind, Write as _};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Args};

use super::{
    build_live_config, AcceptorArgs, ClusterArgs, Failure, FaultArgs, LivenessArgs, EXIT_SAFE,
    EXIT_VIOLATION,
};
use crate::config::Config;
use crate::counterexample::Counterexample;
use crate::event::Event;
use crate::execution::{Ending, Outcome, Simulator};
use crate::process::ProcessAcceptors;
use crate::protocol::Builtin;
use crate::render::{not_enabled, text, Format, Trace, TraceRecorder};
use crate::roles::Implementation;
use crate::shrink::{shrink_watched, MAX_REPLAYS};

const EXAMPLES: &str = "\
Examples:
  Rerun seed 6 of the no-adopt bug and print its trace:
    paxos-safety replay --seed 6 --bug no-adopt
  Save that execution as a counterexample file, then replay the file by its events:
    paxos-safety replay --seed 6 --bug no-adopt --write-counterexample no-adopt.json
    paxos-safety replay no-adopt.json
  Shrink a long failing file to the shortest list of events that still fails, and save it:
    paxos-safety replay long.json --shrink --write-counterexample short.json
  Draw it as a sequence diagram in a Markdown file that GitHub renders:
    paxos-safety replay no-adopt.json --format mermaid --out no-adopt.md
  Pick out the violating step with jq:
    paxos-safety replay no-adopt.json --format json | jq 'select(.violation != null)'

Exit status: 0 every invariant held, 1 an invariant broke, 2 bad usage or a bad file, 4 the\n\
--acceptor-cmd failed the start-up check.";

#[derive(Args, Debug)]
#[command(
    after_help = EXAMPLES,
    group(ArgGroup::new("source").required(true).args(["file", "seed"]))
)]
pub struct ReplayArgs {
    /// A counterexample file to replay strictly by its events (it carries its own
    /// configuration, so it takes no --seed, cluster or fault flags)
    #[arg(value_name = "FILE", conflicts_with_all = ["seed", "ClusterArgs", "FaultArgs", "LivenessArgs"])]
    pub file: Option<PathBuf>,
    /// Rerun the execution of this seed under the random scheduler
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    #[command(flatten, next_help_heading = "Cluster (with --seed)")]
    pub cluster: ClusterArgs,
    #[command(
        flatten,
        next_help_heading = "Faults (with --seed; unset ones are drawn from the seed)"
    )]
    pub faults: FaultArgs,
    #[command(flatten, next_help_heading = "Liveness (with --seed)")]
    pub live: LivenessArgs,
    /// How to render the trace
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Output")]
    pub format: Format,
    /// Write the rendering to FILE instead of stdout; a .md file gets a Markdown code fence
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Save the execution as a counterexample file (how a seed becomes a file); it holds
    /// the events as run, not shrunk (fuzz writes shrunk ones)
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub write_counterexample: Option<PathBuf>,
    /// Shrink a failing execution's events first: show (and with --write-counterexample
    /// save) the shortest list found that still breaks an invariant; Ctrl-C stops it and
    /// keeps the shortest found by then
    #[arg(long, help_heading = "Output")]
    pub shrink: bool,
    /// Stop shrinking after this many seconds and show the shortest list found by then
    /// [default: no limit]
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        requires = "shrink",
        help_heading = "Output"
    )]
    pub shrink_time_limit: Option<f64>,
    #[command(flatten)]
    pub acceptor: AcceptorArgs,
}

pub fn run(args: ReplayArgs) -> ExitCode {
    match replay(&args) {
        Ok(status) => ExitCode::from(status),
        Err(failure) => failure.exit(),
    }
}

/// `--shrink`, with `--shrink-time-limit` if given.
#[derive(Clone, Copy, Debug)]
struct Shrink {
    limit: Option<Duration>,
}

fn replay(args: &ReplayArgs) -> Result<u8, Failure> {
    let shrink = match args.shrink {
        true => Some(Shrink {
            limit: super::time_limit("--shrink-time-limit", args.shrink_time_limit)?,
        }),
        false => None,
    };
    if args.shrink {
        // The first Ctrl-C stops shrinking where it stands; the list by then is shown.
        crate::interrupt::install();
    }
    let trace = match (&args.file, args.seed) {
        (Some(path), _) => from_file(path, &args.acceptor, shrink)?,
        (None, Some(seed)) => from_seed(seed, args, shrink)?,
        // clap requires one of the two; this keeps a direct caller from a panic.
        (None, None) => {
            return Err(Failure::from(
                "replay needs a counterexample FILE or --seed S".to_string(),
            ))
        }
    };
    let rendered = trace.render(args.format);
    match &args.out {
        Some(path) => {
            let is_markdown = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"));
            let body = if is_markdown {
                format!("```{}\n{rendered}```\n", args.format.fence_tag())
            } else {
                rendered
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("--out {}: {e}", dir.display()))?;
            }
            std::fs::write(path, body).map_err(|e| format!("--out {}: {e}", path.display()))?;
            print_stdout(&format!(
                "wrote {}: {}\n",
                path.display(),
                text::summary(&trace)
            ))?;
        }
        None => print_stdout(&rendered)?,
    }
    if let Some(path) = &args.write_counterexample {
        let events: Vec<Event> = trace.steps.iter().map(|s| s.event).collect();
        let mut cx = Counterexample::new(&trace.config, &trace.profile, &events);
        cx.seed = trace.seed;
        cx.name_processes(trace.processes.as_ref());
        if let Some((step, v)) = &trace.violation {
            cx.invariant = Some(v.invariant);
            cx.step = Some(*step);
            cx.explanation = trace.explanation();
        }
        cx.save(path)
            .map_err(|e| format!("--write-counterexample {e}"))?;
        crate::warn!(
            "wrote counterexample {} ({} events, {})",
            path.display(),
            events.len(),
            if args.shrink {
                "shrunk"
            } else {
                "as run: not shrunk"
            }
        );
    }
    Ok(if trace.violation.is_some() {
        EXIT_VIOLATION
    } else {
        EXIT_SAFE
    })
}

fn from_seed(seed: u64, args: &ReplayArgs, shrink: Option<Shrink>) -> Result<Trace, Failure> {
    if let Err(e) = crate::rng::check_seed("--seed", seed) {
        // Not refused: versions before 0.1 derived 64-bit execution seeds, and those are
        // still the executions they were. But this one cannot go through a JSON reader.
        crate::warn!("note: {e}; replaying it as given");
    }
    let (config, _) = build_live_config(None, &args.cluster, &args.faults, &args.live)?;
    match args.acceptor.harness(None)? {
        Some(h) => seed_trace(one_or_many(h, shrink.is_some()), config, seed, shrink),
        None => seed_trace(Builtin, config, seed, shrink),
    }
    .map_err(Failure::from)
}

/// Acceptor processes for one execution, or with spares started ahead of need for the
/// many that shrinking runs.
fn one_or_many(harness: ProcessAcceptors, shrink: bool) -> ProcessAcceptors {
    if shrink {
        harness
    } else {
        harness.without_spares()
    }
}

fn seed_trace<I: Implementation>(
    imp: I,
    config: Config,
    seed: u64,
    shrink: Option<Shrink>,
) -> Result<Trace, String> {
    let mut sim = Simulator::with(imp, config);
    let mut recorder = TraceRecorder::new(&sim);
    let outcome = sim.run_seed_with(seed, &mut recorder);
    let trace = recorder.finish(&sim, Some(seed), &outcome)?;
    shrunk_trace(&mut sim, trace, &outcome, shrink)
}

/// With `--shrink`, the trace of the shortest list of events found that still breaks an
/// invariant (any: the shortest evidence may break another than the one first seen), said
/// on stderr; otherwise, or for an execution that broke nothing, `trace`, the execution
/// as `sim` ran it with `outcome`.
///
/// The shrunk list is run once more to draw its trace: the shrinker's runs keep no trace.
fn shrunk_trace<I: Implementation>(
    sim: &mut Simulator<I>,
    trace: Trace,
    outcome: &Outcome,
    shrink: Option<Shrink>,
) -> Result<Trace, String> {
    if outcome.violation.is_some() {
        // A Ctrl-C that ends the process at once still exits 1.
        crate::interrupt::found_violation();
    }
    let Some(Shrink { limit }) = shrink.filter(|_| outcome.violation.is_some()) else {
        if shrink.is_some() {
            crate::warn!("nothing to shrink: no invariant broke");
        }
        return Ok(trace);
    };
    // The drawn stabilisation point is pinned in the trace's config: the events alone do
    // not carry it.
    let events: Vec<Event> = trace.steps.iter().map(|s| s.event).collect();
    let imp = sim.implementation().clone();
    // The clock only decides when to stop shrinking; the list shown replays by its events.
    #[allow(clippy::disallowed_methods)] // a time limit, as fuzz's is
    let start = std::time::Instant::now();
    let timed_out = std::cell::Cell::new(false);
    let Some(s) = shrink_watched(
        &imp,
        &trace.config,
        trace.profile,
        &events,
        None,
        MAX_REPLAYS,
        &|_, _| match limit {
            Some(l) if start.elapsed() >= l => {
                timed_out.set(true);
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        },
    ) else {
        // It broke an invariant a moment ago; a replay that does not is nondeterminism.
        crate::warn!("not shrunk: the execution did not fail again when replayed");
        return Ok(trace);
    };
    let cut = match (s.budget_hit, crate::interrupt::requested(), timed_out.get()) {
        (true, true, _) => "; interrupted by Ctrl-C: the shortest found by then",
        (true, false, true) => "; stopped at --shrink-time-limit: the shortest found by then",
        (true, false, false) => "; the replay budget ran out: the shortest found by then",
        _ => "",
    };
    crate::warn!(
        "shrunk: {} -> {} events ({} replays{cut})",
        events.len(),
        s.events.len(),
        s.replays
    );
    sim.set_config(trace.config);
    let mut recorder = TraceRecorder::new(sim);
    let rerun = sim.run_events_with(&s.events, s.outcome.profile, &mut recorder);
    if rerun.violation.map(|(_, v)| v.invariant) != s.outcome.violation.map(|(_, v)| v.invariant) {
        // Only an implementation that does not repeat itself gets here (built-in roles
        // are deterministic): what it did this time is what the trace shows.
        crate::warn!(
            "warning: the shrunk events, run again to draw their trace, ended otherwise \
             than in the shrinker ({}); the trace shows this run",
            rerun
                .violation
                .map_or("no violation".to_string(), |(step, v)| format!(
                    "{} at step {step}",
                    v.invariant
                ))
        );
    }
    recorder.finish(sim, trace.seed, &rerun)
}

fn from_file(
    path: &Path,
    acceptor: &AcceptorArgs,
    shrink: Option<Shrink>,
) -> Result<Trace, Failure> {
    let cx = Counterexample::load(path)?;
    if let Some(name) = &cx.implementation {
        return Err(format!(
            "{}: found with your own roles ({name}), which this command does not have: it \
             would judge the schedule with the built-in ones. Replay it where your roles \
             are: Counterexample::load(path)?.replay_with(&your_implementation), and \
             Trace::new_with to print it",
            path.display()
        )
        .into());
    }
    let overrides = acceptor.given();
    match acceptor.harness_with(
        cx.acceptor_cmd.clone(),
        cx.acceptor_crash,
        cx.reply_timeout_ms,
    )? {
        Some(h) => file_trace(
            one_or_many(h, shrink.is_some()),
            path,
            &cx,
            &overrides,
            shrink,
        ),
        None => file_trace(Builtin, path, &cx, &overrides, shrink),
    }
    .map_err(Failure::from)
}

/// `overrides`: the flags that replaced what the file records of its acceptor processes.
fn file_trace<I: Implementation>(
    imp: I,
    path: &Path,
    cx: &Counterexample,
    overrides: &[&str],
    shrink: Option<Shrink>,
) -> Result<Trace, String> {
    let recorded = cx
        .parse_events()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut sim = Simulator::with(imp, cx.config);
    let mut recorder = TraceRecorder::new(&sim);
    let outcome = sim.run_events_with(&recorded, cx.replay_profile(recorded.len()), &mut recorder);
    if let (Ending::InvalidEvent, Some(event)) = (outcome.ending, outcome.invalid) {
        return Err(format!(
            "{}: {}",
            path.display(),
            not_enabled(outcome.steps + 1, &event)
        ));
    }
    warn_if_different(path, cx, overrides, &outcome, recorded.len());
    let mut trace = recorder.finish(&sim, cx.seed, &outcome)?;
    // The file's own limits, not the raised step limit, are what it records.
    trace.profile = cx.profile();
    shrunk_trace(&mut sim, trace, &outcome, shrink)
}

/// Says on stderr when a file's replay does not match what the file records, or stops
/// before its last event: the file may come from an older version of the protocol code.
fn warn_if_different(
    path: &Path,
    cx: &Counterexample,
    overrides: &[&str],
    outcome: &Outcome,
    recorded: usize,
) {
    let found = outcome.violation.map(|(step, v)| (v.invariant, step));
    if let Some(claimed) = cx.invariant {
        if found.map(|f| f.0) != Some(claimed)
            || (cx.step.is_some() && found.map(|f| f.1) != cx.step)
        {
            let at = cx.step.map(|s| format!(" at step {s}")).unwrap_or_default();
            let now = match found {
                Some((inv, step)) => format!("{inv} at step {step}"),
                None => "no violation".to_string(),
            };
            // Built-in roles are deterministic, so only a change of the code explains a
            // difference; a process may also not repeat itself; and flags may have
            // replaced the acceptors the file was found with.
            const NOT_REPEATED: &str = "an acceptor process whose replies depend on time, \
                randomness or files shared between processes, or one that persists after it \
                replies (a race with the kill), does not repeat its executions; see \
                docs/PROTOCOL.md";
            let why = match (overrides.is_empty(), cx.acceptor_cmd.is_some()) {
                (false, true) => format!(
                    "you replaced what the file records with {}, which can change the \
                     verdict; or {NOT_REPEATED}",
                    overrides.join(" and ")
                ),
                (false, false) => format!(
                    "you replaced the file's built-in acceptors with {}",
                    overrides.join(" and ")
                ),
                (true, true) => NOT_REPEATED.to_string(),
                (true, false) => {
                    "the file may come from an older version of the protocol code".to_string()
                }
            };
            crate::warn!(
                "warning: {} records {claimed}{at}, but this replay finds {now} ({why})",
                path.display()
            );
        }
    }
    let unreplayed = recorded.saturating_sub(outcome.steps as usize);
    if unreplayed > 0 {
        crate::warn!(
            "note: {}: the last {unreplayed} of its {recorded} events were not replayed \
             (the execution ended with {} at step {})",
            path.display(),
            outcome.ending.name(),
            outcome.steps
        );
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error of ours.
fn print_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(format!("cannot write to stdout: {e}")),
        _ => Ok(()),
    }
}
