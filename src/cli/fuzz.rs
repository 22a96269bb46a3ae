//! `paxos-safety fuzz`: a campaign, its summary, and on a violation the seed banner, the
//! shrunk counterexample and the commands that replay both.

use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value as Json};

use super::status::{Log, Shown, StatusLine};
use super::{
    build_live_config, config_acceptor, shape_swarm, usage_error, AcceptorArgs, ClusterArgs,
    ConfigForm, Failure, FaultArgs, LivenessArgs, EXIT_ACCEPTOR_STARTUP, EXIT_SAFE, EXIT_VACUOUS,
    EXIT_VIOLATION,
};
use crate::campaign::{parse_shard, Campaign, Found, Report, Settling};
use crate::checker::Invariant;
use crate::config::ShapeSwarm;
use crate::counterexample::Counterexample;
use crate::execution::{Coverage, Simulator};
use crate::process::ProcessAcceptors;
use crate::profile::ProfileSpec;
use crate::protocol::Builtin;
use crate::render::{explain_in_context, Format, Trace};
use crate::roles::Implementation;
use crate::shrink::{shortest_counterexample_watched, ShrinkProgress};
use std::ops::ControlFlow;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    paxos-safety fuzz                                  10,000 runs, 3 acceptors, 2 proposers, swarm faults\n  \
    paxos-safety fuzz --runs 1000000 --seed 7 --json   a reproducible campaign, JSON summary last\n  \
    paxos-safety fuzz --bug no-adopt                   watch the checker catch a classic bug\n  \
    paxos-safety fuzz --acceptors 5 --q1 2 --q2 3      flexible quorums that do not intersect\n  \
    paxos-safety fuzz --shard 3/8 --json               the third of eight disjoint slices\n  \
    paxos-safety fuzz --liveness                       after the network heals, is a value chosen and learned?\n  \
    paxos-safety fuzz --liveness --proposer-strategy backoff   the cure for duelling proposers\n\n\
    Ctrl-C stops the campaign and reports what it did; a second one stops the shrinking of\n\
    the violation found (the shortest list by then is written); one more exits at once.\n\
    Exit status: 0 no violation, 1 a violation, 2 bad usage, 3 vacuous: no violation, but no\n\
    execution chose a value or no proposer ever learned one (--allow-vacuous: a warning, 0),\n\
    4 the --acceptor-cmd failed the start-up check, 130 stopped by Ctrl-C with nothing found.")]
pub struct FuzzArgs {
    /// Executions in the campaign [default: 10000, or unbounded with --time-limit]
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Campaign seed, below 2^53; execution i runs from a seed derived from it [default:
    /// random, printed]
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads [default: the machine's cores]; results do not depend on it
    #[arg(long, value_name = "J")]
    pub jobs: Option<usize>,
    /// Run the K-th of N disjoint slices of the campaign (1-based)
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Stop after this many seconds and report what was done
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub time_limit: Option<f64>,
    /// Where stderr is not a terminal (a CI log, a file), write a line saying where the
    /// campaign is every this many seconds; 0 for never [default: 60]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub log_every: Option<f64>,
    /// Stop at the first violation instead of counting them all
    #[arg(long)]
    pub stop_on_violation: bool,
    /// Report the first violation as found, without shrinking it
    #[arg(long)]
    pub no_shrink: bool,
    /// Stop shrinking after this many seconds and keep the shortest counterexample found
    /// by then (--time-limit bounds the campaign only) [default: no limit]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub shrink_time_limit: Option<f64>,
    /// Directory for the shrunk counterexample file
    #[arg(long, value_name = "DIR", default_value = "counterexamples")]
    pub out_dir: PathBuf,
    /// Also write the shrunk counterexample as a Mermaid sequence diagram in a Markdown file
    #[arg(long, value_name = "FILE.md")]
    pub diagram: Option<PathBuf>,
    /// Read the configuration from a JSON or TOML file (by extension); flags override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print one JSON object on the last line of stdout
    #[arg(long)]
    pub json: bool,
    /// Print only the verdict (and the violation, if any)
    #[arg(long)]
    pub quiet: bool,
    /// A campaign that never chose a value or never saw one learned exits 0 with a warning
    /// instead of 3
    #[arg(long)]
    pub allow_vacuous: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    #[command(flatten, next_help_heading = "Liveness")]
    pub live: LivenessArgs,
    #[command(flatten)]
    pub acceptor: AcceptorArgs,
}

/// A campaign seed from the OS when the user gives none. It only picks the campaign and
/// is printed, so it never makes a run unreproducible.
#[allow(clippy::disallowed_types)] // the one place that wants OS randomness: it is printed
fn fresh_seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    // Below 2^53, like every seed the tool prints: see `rng::SEED_LIMIT`.
    h.finish() >> 11
}

/// The shrunk (or raw) counterexample of a campaign's first violation.
struct Evidence {
    /// The length of the first violation's execution.
    events_before: usize,
    /// The length of the execution the counterexample was shrunk from, before shrinking.
    shrunk_from: usize,
    events_after: usize,
    file: Option<PathBuf>,
    file_error: Option<String>,
    trace: Vec<String>,
    explanation: String,
    diagram: Option<Result<PathBuf, String>>,
    /// The execution the counterexample was shrunk from.
    seed: u64,
    /// How many failing executions were shrunk to choose the shortest.
    candidates: usize,
    /// The invariant the counterexample breaks (shrinking keeps any violation, so it can
    /// differ from the first violation's).
    invariant: Invariant,
    /// Ctrl-C came while shrinking: the counterexample is the shortest found by then.
    shrink_interrupted: bool,
    /// `--shrink-time-limit` stopped the shrinking: the counterexample is the shortest
    /// found by then.
    shrink_timed_out: bool,
    /// The first violation's explanation with what the wire adds (an acceptor process's
    /// reply line); `None` for in-process roles, which have no wire.
    first_explanation: Option<String>,
    /// The kind of acceptor fault the first violation was, if it was one.
    first_fault: Option<crate::roles::FaultKind>,
}

/// Failing executions shrunk to pick the shortest counterexample from (the first, and
/// up to this many more that follow it in the campaign).
const MORE_CANDIDATES: usize = 15;
const MORE_CANDIDATES_PROCESSES: usize = 2;

/// The status line of a shrink: where it is, in at most 69 columns.
fn shrink_status(p: &ShrinkProgress) -> String {
    let shortest = p
        .shortest
        .map_or(String::new(), |n| format!(", shortest {n} events"));
    if p.candidate == 0 {
        format!(
            "shrinking: {} runs scanned for more failing executions",
            p.scanned
        )
    } else {
        format!(
            "shrinking {} of {}: {} replays{shortest}",
            p.candidate, p.candidates, p.replays
        )
    }
}

fn evidence<I: Implementation>(
    imp: &I,
    harness: Option<&ProcessAcceptors>,
    campaign: &Campaign,
    found: &Found,
    args: &FuzzArgs,
    shown: Shown,
    shrink_time_limit: Option<Duration>,
) -> Evidence {
    let timed_out = std::cell::Cell::new(false);
    let mut sim = Simulator::with(imp.clone(), found.config);
    let mut events = Vec::new();
    let outcome = sim.run_seed(found.seed, Some(&mut events));
    // Read now, while this run's simulator holds it: shrinking runs other executions.
    let first_explanation = harness.and(sim.detail()).map(|detail| {
        let (v, step) = (&found.violation, found.step);
        explain_in_context(imp, &found.config, v, &events, step, Some(detail))
    });
    let first_fault = harness.and(sim.fault_kind());
    let before = events.len();
    let (seed, config, events, outcome, candidates, shrunk_from) = if args.no_shrink {
        (found.seed, found.config, events, outcome, 0, before)
    } else {
        // Every shrinking candidate of a process acceptor starts fresh processes, so fewer
        // starting points are shrunk there.
        let more = if harness.is_some() {
            MORE_CANDIDATES_PROCESSES
        } else {
            MORE_CANDIDATES
        };
        // Minutes with processes: said as the campaign's progress is (on a terminal, a
        // line redrawn; in a log, a line every --log-every seconds).
        let status = StatusLine::new("shrink", shown);
        // The clock only decides when to stop shrinking, as --time-limit decides when to
        // stop the campaign; the file written replays by its events either way.
        #[allow(clippy::disallowed_methods)] // a time limit, as the campaign's is
        let start = std::time::Instant::now();
        let best = shortest_counterexample_watched(imp, campaign, found, more, &|p| {
            status.show(|_| shrink_status(p));
            match shrink_time_limit {
                Some(limit) if start.elapsed() >= limit => {
                    timed_out.set(true);
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        });
        status.clear();
        match best {
            Ok(b) => {
                if !b.repeats {
                    crate::warn!(
                        "warning: the shrunk counterexample ({} events) did not break {} again \
                         when replayed once more, so its file may not replay; {}",
                        b.shrunk.events.len(),
                        found.violation.invariant,
                        crate::shrink::Roles::of(imp).why()
                    );
                }
                (
                    b.seed,
                    b.config,
                    b.shrunk.events,
                    b.shrunk.outcome,
                    b.candidates,
                    b.events_before,
                )
            }
            Err(e) => {
                crate::warn!("{e}");
                (found.seed, found.config, events, outcome, 0, before)
            }
        }
    };
    // The shortest counterexample may come from another execution, of another shape.
    let config = &config;
    // The file names the violation found, should the replay of a shrunk list not.
    let mut judged = outcome;
    let (_, violation) = *judged
        .violation
        .get_or_insert((found.step, found.violation));
    // Processes record their command, crash mode and reply timeout themselves.
    let cx = Counterexample::of_execution(imp, config, Some(seed), &judged, &events);
    let explanation = cx.explanation.clone().unwrap_or_default();
    let cause = match harness {
        Some(_) => "acceptor".to_string(),
        None => super::cause_name(config),
    };
    let (file, file_error) = match cx.save_new(&args.out_dir, &format!("{cause}-seed-{seed}")) {
        Ok(path) => (Some(path), None),
        Err(e) => (None, Some(e)),
    };
    let diagram = args.diagram.as_ref().map(|path| {
        let trace = Trace::new_with(imp.clone(), config, Some(seed), &outcome, &events)?;
        let md = format!(
            "# {explanation}\n\n{} of `paxos-safety fuzz` (execution seed {}); \
             replay it with `paxos-safety replay {}`.\n\n```mermaid\n{}```\n",
            if candidates > 0 {
                "Shrunk counterexample"
            } else {
                "Counterexample (not shrunk)"
            },
            seed,
            file.as_ref()
                .map_or("FILE".to_string(), |p| p.display().to_string()),
            trace.render(Format::Mermaid)
        );
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, md).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.clone())
    });
    Evidence {
        invariant: violation.invariant,
        diagram,
        seed,
        candidates,
        shrink_interrupted: false,
        shrink_timed_out: timed_out.get(),
        first_explanation,
        first_fault,
        events_before: before,
        shrunk_from,
        events_after: events.len(),
        file,
        file_error,
        trace: events.iter().map(|e| e.to_string()).collect(),
        explanation,
    }
}

/// The first violation in words, with the acceptor's reply line when processes ran it.
fn first_explanation(found: &Found, evidence: Option<&Evidence>) -> String {
    evidence
        .and_then(|e| e.first_explanation.clone())
        .unwrap_or_else(|| {
            found
                .violation
                .explain(|b| b.sim_label(), |v| v.to_string())
        })
}

/// The banner's account of what the shape swarm draws.
fn shape_menu(shape: &ShapeSwarm) -> String {
    let mut parts = Vec::new();
    if shape.acceptors {
        parts.push("acceptors 1-7");
    }
    if shape.proposers {
        parts.push("proposers 1-4");
    }
    if shape.quorums {
        parts.push(
            "quorums (majorities, or in 1 execution of 4 flexible ones with q1 + q2 > acceptors)",
        );
    }
    parts.join(", ")
}

fn replay_command(found: &Found, harness: Option<&ProcessAcceptors>) -> String {
    let config = &found.config;
    let profile = Simulator::new(*config).profile_for(found.seed);
    let acceptor = harness.map_or(String::new(), |h| {
        format!(
            " --acceptor-cmd {} --acceptor-crash {} --reply-timeout {}",
            shell_quote(h.command()),
            h.crash_mode().name(),
            h.reply_timeout().as_secs_f64()
        )
    });
    format!(
        "{} replay --seed {} {} {}{acceptor}",
        super::program(),
        found.seed,
        config.cluster_args(),
        profile.args()
    )
}

/// The configuration the first violation's execution ran: its drawn shape, and its
/// fault profile as drawn from its seed, every field a number (the campaign's own
/// `config` leaves drawn fields null), as its replay command passes them.
fn ran_config(found: &Found) -> crate::config::Config {
    let mut config = found.config;
    config.faults = ProfileSpec::pinned(&Simulator::new(config).profile_for(found.seed));
    config
}

/// `s` as one word for `sh`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn run(args: FuzzArgs) -> ExitCode {
    let (config, form) = match build_live_config(
        args.config.as_ref(),
        &args.cluster,
        &args.faults,
        &args.live,
    ) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let time_limit = match super::time_limit("--time-limit", args.time_limit) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let shrink_time_limit = match super::time_limit("--shrink-time-limit", args.shrink_time_limit) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let shown = match super::status::log_every(args.log_every) {
        // `--quiet` asks for the violation and the verdict only, in a log too.
        Ok(_) if args.quiet => Shown::Hidden,
        Ok(every) => Shown::for_stderr(args.json, every),
        Err(e) => return usage_error(&e),
    };
    let runs = match (args.runs, args.time_limit) {
        (Some(0), _) => return usage_error("--runs must be at least 1"),
        (Some(r), _) => Some(r),
        (None, Some(_)) => None,
        (None, None) => Some(10_000),
    };
    let jobs = match args.jobs {
        Some(0) => return usage_error("--jobs must be at least 1"),
        Some(j) if j > 1024 => return usage_error("--jobs must be at most 1024"),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let harness = match config_acceptor(args.config.as_ref())
        .map_err(Failure::from)
        .and_then(|file| {
            args.acceptor
                .harness_with(file.cmd, file.crash, file.reply_timeout_ms)
        }) {
        Ok(h) => h,
        Err(failure) => {
            // A grader reads the verdict from the JSON: a submission that cannot start is
            // one, where a bad flag of the grader's own is not.
            if args.json && failure.status == EXIT_ACCEPTOR_STARTUP {
                crate::say!("{}", json!({ "acceptor_startup_failure": failure.msg }));
            }
            return failure.exit();
        }
    };
    // An acceptor-side bug changes the built-in acceptor, which the processes replace: it
    // would change nothing, and a campaign that quietly ignores a switched-on bug reads as
    // one that survived it.
    if let (Some(bug), Some(_)) = (config.bug, &harness) {
        if crate::node::ACCEPTOR_BUGS.contains(&bug) {
            return usage_error(&format!(
                "--bug {bug} is an acceptor-side bug: it changes the built-in acceptor, which \
                 --acceptor-cmd replaces with your processes, so it would change nothing (the \
                 proposer-side bugs apply: they change the built-in proposers)"
            ));
        }
    }
    let seed = match args.seed.map(|s| crate::rng::check_seed("--seed", s)) {
        Some(Ok(s)) => s,
        Some(Err(e)) => return usage_error(&e),
        None => fresh_seed(),
    };
    let shape = match shape_swarm(args.config.as_ref(), &args.cluster, harness.is_some()) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let campaign = Campaign {
        shape,
        config,
        seed,
        runs,
        time_limit,
        jobs,
        shard: args.shard.unwrap_or((1, 1)),
        stop_on_violation: args.stop_on_violation,
    };
    let chatty = !args.json && !args.quiet;
    if chatty {
        crate::say!(
            "paxos-safety fuzz: campaign seed {seed}, {} runs, {jobs} job{}, shard {}/{}",
            runs.map_or("unbounded".to_string(), |r| r.to_string()),
            if jobs == 1 { "" } else { "s" },
            campaign.shard.0,
            campaign.shard.1
        );
        match form {
            ConfigForm::Json => {
                crate::say!("config: {}", form.render(&config));
                crate::say!(
                    "        (null rates and fault limits are drawn per execution from its seed: swarm \
                     testing; null max_in_flight and max_steps mean 256 and 1000)"
                );
            }
            ConfigForm::Toml => {
                crate::say!(
                    "config (TOML; unset rates and fault limits are drawn per execution from its seed):"
                );
                crate::say!("{}", form.render(&config).trim_end());
            }
        }
        if !shape.is_fixed() {
            crate::say!(
                "shape: drawn per execution from its seed (swarm), in place of the config's: {}; \
                 fix them with --acceptors, --proposers, --q1/--q2",
                shape_menu(&shape)
            );
        }
        if let Some(h) = &harness {
            crate::say!(
                "acceptors: processes of `{}` (crash mode {}, reply timeout {} s), driven by \
                 the built-in proposers",
                h.command(),
                h.crash_mode().name(),
                h.reply_timeout().as_secs_f64()
            );
        }
        if !config.quorums_intersect() {
            crate::say!("note: q1 + q2 <= acceptors: phase-1 and phase-2 quorums need not meet, so this is expected to be unsafe");
        }
    }
    let bar = Progress::new(
        // This shard's share of the runs: what the campaign's `done` counts up to.
        runs.map(|r| {
            let (k, n) = campaign.shard;
            r / n + u64::from(r % n >= k)
        }),
        campaign.time_limit,
        shown,
    );
    // The first Ctrl-C stops the campaign at the next chunk; what ran is reported below.
    crate::interrupt::install();
    let progress = |done, violations| {
        if violations > 0 {
            // A Ctrl-C that ends the process at once still exits 1. Every chunk ends by
            // telling its count, so a campaign that found one has said so here.
            crate::interrupt::found_violation();
        }
        bar.update(done, violations)
    };
    let report = match &harness {
        Some(h) => campaign.run_with(h, &progress),
        None => campaign.run(&progress),
    };
    bar.clear();
    let stopped_campaign = crate::interrupt::requested();
    // Shrinking with processes starts fresh ones per candidate, which takes a while.
    if report.first.is_some() && harness.is_some() && !args.no_shrink && !args.quiet {
        crate::warn!(
            "shrinking the first violation on fresh acceptor processes (Ctrl-C or \
             --shrink-time-limit stops it and keeps the shortest list found)"
        );
    }
    let before_shrink = crate::interrupt::count();
    let mut evidence = report.first.map(|f| match &harness {
        Some(h) => evidence(h, Some(h), &campaign, &f, &args, shown, shrink_time_limit),
        None => evidence(
            &Builtin,
            None,
            &campaign,
            &f,
            &args,
            shown,
            shrink_time_limit,
        ),
    });
    // A Ctrl-C while shrinking cuts it short; the shortest list by then is still written.
    let interrupted = crate::interrupt::requested();
    if let Some(ev) = evidence.as_mut() {
        ev.shrink_interrupted = crate::interrupt::count() > before_shrink;
    }
    if args.json {
        crate::say!(
            "{}",
            summary_json(
                &campaign,
                &report,
                evidence.as_ref(),
                interrupted,
                harness.as_ref()
            )
        );
    } else {
        print_text(
            &campaign,
            &report,
            evidence.as_ref(),
            args.quiet,
            stopped_campaign,
            harness.as_ref(),
            args.allow_vacuous,
        );
    }
    if report.counts.violations > 0 {
        ExitCode::from(EXIT_VIOLATION)
    } else if interrupted {
        ExitCode::from(crate::interrupt::EXIT_INTERRUPTED)
    } else if !report.counts.vacuity().is_empty() && !args.allow_vacuous {
        ExitCode::from(EXIT_VACUOUS)
    } else {
        ExitCode::from(EXIT_SAFE)
    }
}

/// The progress bar on stderr (a terminal). Every field has a fixed width and the line
/// is at most 80 columns. With `--runs` it counts runs toward the shard's share; under
/// `--time-limit` alone it fills with time, since the number of runs is unknown. Where
/// stderr is not a terminal, the same figures go out as a log line every `--log-every`
/// seconds (see `status`).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Milliseconds of the time limit, when the bar shows time.
    time_ms: Option<u64>,
    log: Option<Log>,
    /// The shard's share of the runs, for the log line.
    runs: Option<u64>,
}

impl Progress {
    fn new(runs: Option<u64>, limit: Option<Duration>, shown: Shown) -> Progress {
        let hidden = Progress {
            bar: None,
            time_ms: None,
            log: None,
            runs,
        };
        match shown {
            Shown::Terminal => {}
            Shown::Log(every) => {
                return Progress {
                    log: Some(Log::new("fuzz", every)),
                    ..hidden
                }
            }
            Shown::Hidden => return hidden,
        }
        let (len, time_ms, template) = match (runs, limit) {
            (Some(r), _) => (
                r,
                None,
                "{bar:10} {pos:>9}/{len:<9} {msg} eta {eta_precise}".to_string(),
            ),
            (None, Some(t)) => {
                let ms = (t.as_millis() as u64).max(1);
                let s = t.as_secs();
                let limit = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
                (
                    ms,
                    Some(ms),
                    format!("{{bar:10}} {{elapsed_precise}}/{limit} {{msg}}"),
                )
            }
            (None, None) => return hidden,
        };
        let Ok(style) = indicatif::ProgressStyle::with_template(&template) else {
            return hidden;
        };
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len),
            indicatif::ProgressDrawTarget::stderr_with_hz(8),
        );
        bar.set_style(style.progress_chars("=> "));
        Progress {
            bar: Some(bar),
            time_ms,
            log: None,
            runs,
        }
    }

    /// Called by the campaign after each chunk, from any worker thread.
    fn update(&self, done: u64, violations: u64) {
        if let Some(log) = &self.log {
            log.tick(|secs| {
                format!(
                    "{done}{} runs {} runs/s {violations} violations",
                    self.runs.map_or(String::new(), |r| format!("/{r}")),
                    rate(done as f64 / secs)
                )
            });
        }
        let Some(bar) = &self.bar else { return };
        let secs = bar.elapsed().as_secs_f64().max(1e-3);
        let rate = format!(
            "{:>7} runs/s {violations:>6} violations",
            rate(done as f64 / secs)
        );
        match self.time_ms {
            Some(ms) => {
                bar.set_position((bar.elapsed().as_millis() as u64).min(ms));
                bar.set_message(format!("{done:>9} runs {rate}"));
            }
            None => {
                bar.set_position(done);
                bar.set_message(rate);
            }
        }
    }

    /// Takes the bar off the screen (also after an interruption).
    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn percent(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// Built-in roles take millions of steps a second, acceptor processes thousands: one fixed
/// unit printed the second as "0.00M".
fn rate(per_second: f64) -> String {
    match per_second {
        r if r >= 1e6 => format!("{:.2}M", r / 1e6),
        r if r >= 1e3 => format!("{:.1}k", r / 1e3),
        // Slow campaigns (acceptor processes on a busy machine) run a few a second.
        r if r > 0.0 && r < 10.0 => format!("{r:.1}"),
        r => format!("{r:.0}"),
    }
}

fn print_text(
    campaign: &Campaign,
    report: &Report,
    evidence: Option<&Evidence>,
    quiet: bool,
    interrupted: bool,
    harness: Option<&ProcessAcceptors>,
    allow_vacuous: bool,
) {
    let c = &report.counts;
    let secs = report.elapsed.as_secs_f64();
    if !quiet {
        crate::say!(
            "runs {}  steps {}  violations {}  elapsed {:.2}s  ({} runs/s, {} steps/s)",
            c.runs,
            c.steps,
            c.violations,
            secs,
            rate(c.runs as f64 / secs.max(1e-9)),
            rate(c.steps as f64 / secs.max(1e-9))
        );
        let marks: Vec<String> = Coverage::NAMED
            .iter()
            .zip(c.marks)
            .map(|((name, _), n)| {
                format!(
                    "{} {} ({:.1}%)",
                    name.trim_end_matches("_runs"),
                    n,
                    percent(n, c.runs)
                )
            })
            .collect();
        crate::say!("exercised: {}", marks.join(", "));
        crate::say!(
            "endings: violation {}, quiescent {}, step-limit {}, message-limit {}; ballot limit used up in {}",
            c.violations,
            c.quiescent,
            c.step_limit,
            c.message_limit,
            c.ballot_limit
        );
        if let Some(line) = liveness_line(campaign, report) {
            crate::say!("{line}");
        }
        if report.timed_out {
            crate::say!("time limit reached after {} runs", c.runs);
        }
    }
    if interrupted {
        crate::say!(
            "interrupted by Ctrl-C after {} runs: the figures cover those runs",
            c.runs
        );
    }
    // Even --quiet says when a campaign proved nothing: that is part of the verdict.
    let never = c.never_exercised();
    let vacuity = c.vacuity();
    if !vacuity.is_empty() && report.first.is_some() {
        // A violation is a verdict however little else ran (a campaign stopped at its
        // first run): "proven nothing" beside it would contradict it.
        if !quiet {
            crate::say!(
                "note: {}: these runs prove no safety, but the violation below stands",
                vacuity.join(", ")
            );
        }
    } else if !vacuity.is_empty() {
        crate::say!(
            "{}: {}: this campaign has proven nothing",
            if allow_vacuous { "warning" } else { "VACUOUS" },
            vacuity.join(", ")
        );
    } else if !never.is_empty() && !quiet {
        crate::say!("warning: never exercised: {}", never.join(", "));
    }
    match (report.first, evidence) {
        (Some(found), Some(ev)) => {
            if !quiet {
                // A blank line between the summary and the violation; --quiet has no summary.
                crate::say!();
            }
            crate::say!(
                "VIOLATION in execution {} of campaign seed {} (execution seed {}), step {}:",
                found.index,
                campaign.seed,
                found.seed,
                found.step
            );
            crate::say!("  {}", first_explanation(&found, evidence));
            crate::say!(
                "  options: {} {}",
                found.config.cluster_args(),
                Simulator::new(found.config).profile_for(found.seed).args()
            );
            crate::say!(
                "  replay the execution: {}",
                replay_command(&found, harness)
            );
            let plural = if ev.candidates == 1 { "" } else { "s" };
            // Shrinking scans on past a campaign that stopped early (--stop-on-violation,
            // a time limit) for more starting points: say so, or the count reads wrong
            // beside the campaign's own number of violations.
            let beyond = (ev.candidates as u64).saturating_sub(c.violations);
            let past = if beyond > 0 {
                format!(", {beyond} of them run past where the campaign stopped")
            } else {
                String::new()
            };
            if ev.candidates > 0 && ev.seed == found.seed {
                crate::say!(
                    "  shrunk: {} -> {} events (the shortest of {} failing execution{plural} shrunk{past})",
                    ev.events_before,
                    ev.events_after,
                    ev.candidates,
                );
            } else if ev.candidates > 0 {
                // Another execution shrank shorter: say whose length is whose.
                crate::say!(
                    "  shrunk: {} -> {} events of execution seed {} (the shortest of {} failing execution{plural} shrunk{past}; the first, above, had {})",
                    ev.shrunk_from,
                    ev.events_after,
                    ev.seed,
                    ev.candidates,
                    ev.events_before,
                );
            } else {
                crate::say!(
                    "  not shrunk: {} events (replay the file with --shrink to shrink them)",
                    ev.events_before
                );
            }
            if ev.shrink_interrupted {
                crate::say!(
                    "  interrupted by Ctrl-C while shrinking: the counterexample is the shortest found by then"
                );
            } else if ev.shrink_timed_out {
                crate::say!(
                    "  shrinking stopped at --shrink-time-limit: the counterexample is the shortest found by then"
                );
            }
            if ev.invariant != found.violation.invariant {
                crate::say!(
                    "  the shortest counterexample breaks another invariant: {}",
                    ev.explanation
                );
            } else if harness.is_some() && ev.candidates > 0 {
                // What the acceptor process wrote, quoted: the finding in its own words.
                // Unshrunk, the counterexample is the first violation, said above.
                crate::say!("  the shrunk counterexample: {}", ev.explanation);
            }
            match (&ev.file, &ev.file_error) {
                (Some(path), _) => crate::say!(
                    "  counterexample: {}  (replay it: {} replay {})",
                    path.display(),
                    super::program(),
                    super::shell_word(&path.display().to_string())
                ),
                (None, Some(e)) => crate::say!("  counterexample not written: {e}"),
                _ => {}
            }
            match &ev.diagram {
                Some(Ok(path)) => crate::say!("  diagram: {}", path.display()),
                Some(Err(e)) => crate::say!("  diagram not written: {e}"),
                None => {}
            }
            for (i, e) in ev.trace.iter().enumerate() {
                crate::say!("  {:>3}  {e}", i + 1);
            }
            crate::say!(
                "verdict: {} violation(s) in {} runs",
                report.counts.violations,
                report.counts.runs
            );
        }
        _ if !vacuity.is_empty() && !allow_vacuous => crate::say!(
            "verdict: vacuous: no violation in {} runs, but {}",
            report.counts.runs,
            vacuity.join(", ")
        ),
        _ => crate::say!("verdict: no violation in {} runs", report.counts.runs),
    }
}

/// The liveness summary: how many executions healed and settled, and how fast.
fn liveness_line(campaign: &Campaign, report: &Report) -> Option<String> {
    let live = campaign.config.liveness?;
    let c = &report.counts;
    Some(liveness_words(
        campaign.config.proposer_strategy.name(),
        u64::from(live.bound),
        c.healed,
        c.settling(),
    ))
}

/// The liveness figures in words, as `fuzz` prints them and `merge` prints the merged ones.
pub(super) fn liveness_words(
    strategy: &str,
    bound: u64,
    healed: u64,
    settling: Option<Settling>,
) -> String {
    let runs = settling.map_or(0, |s| s.runs);
    let settled = match settling {
        Some(s) => format!(
            "steps from healing to decision: median {}, p99 {}, max {}",
            s.median, s.p99, s.max
        ),
        None => "none settled".to_string(),
    };
    format!(
        "liveness (strategy {strategy}, bound {bound}): {healed} healed, {runs} settled within the \
         bound ({:.2}%); {settled}",
        percent(runs, healed),
    )
}

/// The `liveness` object of the JSON summary, null without `--liveness`.
fn liveness_json(campaign: &Campaign, report: &Report) -> Json {
    let Some(live) = campaign.config.liveness else {
        return Json::Null;
    };
    let c = &report.counts;
    let s = c.settling();
    json!({
        "proposer_strategy": campaign.config.proposer_strategy.name(),
        "bound": live.bound,
        "stabilise_at": live.stabilise_at,
        "healed_runs": c.healed,
        "settled_runs": s.map_or(0, |s| s.runs),
        "settle_steps_median": s.map(|s| s.median),
        "settle_steps_p99": s.map(|s| s.p99),
        "settle_steps_max": s.map(|s| s.max),
        "settle_steps_histogram": c.settle_steps,
    })
}

fn summary_json(
    campaign: &Campaign,
    report: &Report,
    evidence: Option<&Evidence>,
    interrupted: bool,
    harness: Option<&ProcessAcceptors>,
) -> Json {
    let c = &report.counts;
    let mut obj = serde_json::Map::new();
    obj.insert("runs".into(), json!(c.runs));
    obj.insert("steps".into(), json!(c.steps));
    obj.insert("violations".into(), json!(c.violations));
    obj.insert("chosen_runs".into(), json!(c.mark(Coverage::CHOSEN)));
    obj.insert(
        "elapsed_s".into(),
        json!((report.elapsed.as_secs_f64() * 1000.0).round() / 1000.0),
    );
    obj.insert("seed".into(), json!(campaign.seed));
    // The campaign's size as asked (null with a time limit), so that merge can tell shards
    // of different campaigns apart.
    obj.insert("campaign_runs".into(), json!(campaign.runs));
    obj.insert("jobs".into(), json!(campaign.jobs));
    obj.insert(
        "shard".into(),
        json!(format!("{}/{}", campaign.shard.0, campaign.shard.1)),
    );
    obj.insert("timed_out".into(), json!(report.timed_out));
    obj.insert("interrupted".into(), json!(interrupted));
    for ((name, _), n) in Coverage::NAMED.iter().zip(c.marks) {
        if *name != "chosen_runs" {
            obj.insert((*name).into(), json!(n));
        }
    }
    obj.insert("quiescent_runs".into(), json!(c.quiescent));
    obj.insert("step_limit_runs".into(), json!(c.step_limit));
    obj.insert("message_limit_runs".into(), json!(c.message_limit));
    obj.insert("ballot_limit_runs".into(), json!(c.ballot_limit));
    obj.insert("liveness".into(), liveness_json(campaign, report));
    obj.insert("never_exercised".into(), json!(c.never_exercised()));
    // What never happened that a campaign must show: non-empty means exit status 3
    // (or 0 with --allow-vacuous, which the caller knows).
    obj.insert("flexible_runs".into(), json!(c.flexible));
    obj.insert("flexible_chosen_runs".into(), json!(c.flexible_chosen));
    obj.insert("vacuous".into(), json!(c.vacuity()));
    obj.insert(
        "config".into(),
        serde_json::to_value(campaign.config).expect("a config serialises"),
    );
    obj.insert("shape_drawn".into(), json!(campaign.shape.drawn()));
    obj.insert(
        "acceptor_cmd".into(),
        json!(harness.map(|h| h.command().to_string())),
    );
    // Shards run under pause and under restart are different campaigns (`merge` compares).
    obj.insert(
        "acceptor_crash".into(),
        json!(harness.map(|h| h.crash_mode().name())),
    );
    // In seconds, as the config key and the flag give it: whether a value took effect.
    obj.insert(
        "reply_timeout".into(),
        json!(harness.map(|h| h.reply_timeout().as_secs_f64())),
    );
    let first = match (report.first, evidence) {
        (Some(f), Some(ev)) => json!({
            "seed": f.seed,
            "index": f.index,
            "config": serde_json::to_value(ran_config(&f)).expect("a config serialises"),
            "invariant": f.violation.invariant.name(),
            "acceptor_fault": ev.first_fault.map(|k| k.name()),
            "step": f.step,
            "explanation": first_explanation(&f, Some(ev)),
            "counterexample_invariant": ev.invariant.name(),
            "counterexample_explanation": ev.explanation,
            "replay": replay_command(&f, harness),
            "events_before_shrink": ev.events_before,
            "events_after_shrink": ev.events_after,
            "shrunk_from_seed": ev.seed,
            "shrunk_from_events": ev.shrunk_from,
            "shrink_candidates": ev.candidates,
            "shrink_interrupted": ev.shrink_interrupted,
            "shrink_timed_out": ev.shrink_timed_out,
            "counterexample": ev.file.as_ref().map(|p| p.display().to_string()),
            "diagram": ev.diagram.as_ref().and_then(|d| d.as_ref().ok()).map(|p| p.display().to_string()),
        }),
        _ => Json::Null,
    };
    obj.insert("first_violation".into(), first);
    Json::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn rates_keep_their_digits_at_every_scale() {
        assert_eq!(rate(1_740_000.0), "1.74M");
        assert_eq!(rate(3_456.0), "3.5k");
        assert_eq!(rate(999.4), "999");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(3.44), "3.4");
        assert_eq!(rate(10.4), "10");
    }
}
