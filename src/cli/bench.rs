//! `paxos-safety bench`: prints the figures the README quotes (see `crate::bench`).

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::bench;
use crate::bug::Bug;
use crate::campaign::Campaign;
use crate::config::{Config, ShapeSwarm};
use crate::process::{CrashMode, ProcessAcceptors};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cargo run --release -- bench                  everything (about a minute on 2 cores)\n  \
    cargo run --release -- bench --quick          smaller samples, no 10-million-run memory check\n  \
    cargo run --release -- bench --explorer       only the explorer's states per second (one and two threads)\n\n\
    Run it on a release build: a debug build is an order of magnitude slower.")]
pub struct BenchArgs {
    /// Executions per throughput sample (at least 1000)
    #[arg(long, value_name = "N", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1000..))]
    pub runs: u64,
    /// Smaller samples and a 1-million-run memory check instead of 10 million
    #[arg(long)]
    pub quick: bool,
    /// Print one JSON object on the last line too
    #[arg(long)]
    pub json: bool,
    /// Only the exhaustive explorer's figures (states per second on one and two threads,
    /// bytes per state)
    #[arg(long)]
    pub explorer: bool,
}

pub fn run(args: BenchArgs) -> ExitCode {
    let runs = if args.quick {
        args.runs.min(50_000)
    } else {
        args.runs
    }
    .max(1);
    if cfg!(debug_assertions) {
        crate::say!("warning: this is a debug build; figures are not representative");
    }
    crate::say!(
        "paxos-safety bench: {runs} executions per sample, best of 3, one thread unless noted"
    );
    let default = Config::default();
    let explorer = explorer_figures(args.quick);
    if args.explorer {
        if args.json {
            crate::say!("{}", json!({ "explorer": explorer }));
        }
        return ExitCode::SUCCESS;
    }
    let large = Config {
        acceptors: 7,
        proposers: 4,
        ..Config::default()
    };
    let mut profiles = Vec::new();
    for (label, config) in [
        ("default (3 acceptors, 2 proposers)", default),
        ("large (7 acceptors, 4 proposers)", large),
    ] {
        let t = bench::throughput(label, config, runs, 3);
        crate::say!(
            "{:<36} {:>7.2}M checked steps/s  {:>9.0} runs/s  {:>5.1} steps/run  checker {:>4.1}% of step time",
            t.label,
            t.steps_per_s() / 1e6,
            t.runs_per_s(),
            t.steps as f64 / t.runs as f64,
            100.0 * t.checker_cost()
        );
        profiles.push(json!({
            "profile": label,
            "steps_per_s": t.steps_per_s().round(),
            "runs_per_s": t.runs_per_s().round(),
            "checker_cost": (t.checker_cost() * 1000.0).round() / 1000.0,
        }));
    }
    let (off, on) = bench::liveness_rates(default, runs, 3);
    let liveness_cost = ((off - on) / off.max(1e-9)).max(0.0);
    crate::say!(
        "liveness checking (--liveness, default bound): {:.2}M checked steps/s off, {:.2}M on: \
         {:.1}% of the rate",
        off / 1e6,
        on / 1e6,
        100.0 * liveness_cost
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let one = bench::campaign_rate(default, runs * 2, 1, 3);
    let two = bench::campaign_rate(default, runs * 2, 2, 3);
    let all = if cores > 2 {
        bench::campaign_rate(default, runs * 2, cores, 3)
    } else {
        two
    };
    let scaling = format!(
        "campaign runs/s: --jobs 1 {one:.0}, --jobs 2 {two:.0} ({:.2}x)",
        two / one.max(1e-9)
    );
    if cores > 2 {
        crate::say!(
            "{scaling}, --jobs {cores} (all cores) {all:.0}, per core {:.0}",
            all / cores as f64
        );
    } else {
        crate::say!("{scaling}; this machine has {cores} cores");
    }
    let large_runs = if args.quick { 1_000_000 } else { 10_000_000 };
    let (small_rss, large_rss, took) = bench::memory(10_000, large_runs, cores);
    let kib = |k: Option<u64>| {
        k.map_or("n/a".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    crate::say!(
        "peak RSS: after 10000 runs {}, after {large_runs} more runs {} ({:.1}s)",
        kib(small_rss),
        kib(large_rss),
        took.as_secs_f64()
    );
    let mut zoo = Vec::new();
    let seeds = 20;
    crate::say!(
        "bug zoo: median time to the first violation over {seeds} campaign seeds, one thread"
    );
    for bug in Bug::ALL {
        let (median, found) = bench::time_to_find(bug, seeds, 1_000_000);
        crate::say!(
            "  {:<22} {:>9.3} ms   found by {found}/{seeds} campaigns",
            bug.name(),
            median.as_secs_f64() * 1e3
        );
        zoo.push(json!({"bug": bug.name(), "median_ms": (median.as_secs_f64() * 1e6).round() / 1e3, "found": found}));
    }
    let acceptors = acceptor_processes(args.quick);
    if args.json {
        crate::say!(
            "{}",
            json!({
                "explorer": explorer,
                "acceptor_processes": acceptors,
                "profiles": profiles,
                "liveness_steps_per_s": {"off": off.round(), "on": on.round()},
                "liveness_cost": (liveness_cost * 1000.0).round() / 1000.0,
                "jobs1_runs_per_s": one.round(),
                "jobs2_runs_per_s": two.round(),
                "jobs2_speedup": (two / one.max(1e-9) * 100.0).round() / 100.0,
                "rss_kib_after_10k": small_rss,
                "rss_kib_after_large": large_rss,
                "large_runs": large_runs,
                "zoo": zoo,
            })
        );
    }
    ExitCode::SUCCESS
}

/// The explorer's speed targets, measured in this one run: unique states per second on
/// one thread at `explore`'s default bounds (best of 3), and a larger search (two ballots
/// per proposer, no crash, every execution up to 24 events; 20 with `--quick`) on one
/// thread, on two, and twice at once on one thread each (see
/// [`crate::bench::explorer_side_by_side`]), alternated, best of 2 each, with the ratios.
fn explorer_figures(quick: bool) -> serde_json::Value {
    use crate::cli::explore::{DEFAULT_MAX_BALLOTS, DEFAULT_MAX_CRASHES};
    use crate::explore::Options;
    use crate::world::Limits;
    let config = Config::default();
    let limits = |ballots, crashes| Limits {
        max_ballots: ballots,
        max_crashes: crashes,
        max_duplicates: 0,
        max_drops: 0,
        ..Limits::default()
    };
    crate::say!("explorer (explore: checker on, symmetry and reduction on):");
    let default = Options::new(limits(DEFAULT_MAX_BALLOTS, DEFAULT_MAX_CRASHES));
    let (rate, report) = match crate::bench::explorer_rate(&config, &default, 3) {
        Ok(r) => r,
        Err(e) => {
            crate::say!("  the explorer did not run: {e}");
            return serde_json::Value::Null;
        }
    };
    crate::say!(
        "  default bounds, --jobs 1: {} states in {:.3} s, {rate:.0} states/s (best of 3), {:.1} bytes per state",
        report.unique_states,
        report.elapsed.as_secs_f64(),
        report.bytes_per_state()
    );
    let depth = if quick { 20 } else { 24 };
    let larger = |jobs| Options {
        max_depth: Some(depth),
        jobs,
        ..Options::new(limits(2, 0))
    };
    let (mut one, mut two, mut side) = (0.0f64, 0.0f64, 0.0f64);
    let mut states = 0;
    let mut bytes = 0.0;
    for _ in 0..2 {
        for jobs in [1, 2] {
            match crate::bench::explorer_rate(&config, &larger(jobs), 1) {
                Ok((r, rep)) => {
                    states = rep.unique_states;
                    bytes = rep.bytes_per_state();
                    if jobs == 1 {
                        one = one.max(r);
                    } else {
                        two = two.max(r);
                    }
                }
                Err(e) => crate::say!("  the explorer did not run: {e}"),
            }
        }
        match crate::bench::explorer_side_by_side(&config, &larger(1)) {
            Ok((r, _)) => side = side.max(r),
            Err(e) => crate::say!("  the explorer did not run: {e}"),
        }
    }
    let ratio = two / one.max(1e-9);
    crate::say!(
        "  two ballots, no crash, {depth} events ({states} states, {bytes:.1} bytes per state): \
         --jobs 1 {one:.0} states/s, --jobs 2 {two:.0} ({ratio:.2}x)"
    );
    let ceiling = side / one.max(1e-9);
    crate::say!(
        "  the same search twice at once, one thread each: {side:.0} states/s together \
         ({ceiling:.2}x one alone): what this machine allows two threads"
    );
    json!({
        "default_states": report.unique_states,
        "default_states_per_s": rate.round(),
        "default_bytes_per_state": (report.bytes_per_state() * 10.0).round() / 10.0,
        "larger_depth": depth,
        "larger_states": states,
        "larger_bytes_per_state": (bytes * 10.0).round() / 10.0,
        "jobs1_states_per_s": one.round(),
        "jobs2_states_per_s": two.round(),
        "jobs2_speedup": (ratio * 100.0).round() / 100.0,
        "side_by_side_states_per_s": side.round(),
        "side_by_side_speedup": (ceiling * 100.0).round() / 100.0,
    })
}

/// Executions per second with acceptor processes (`fuzz --acceptor-cmd`), one thread,
/// beside the ceiling that starting the processes alone sets: the reference node (this
/// binary) and, when python3 is there, the Python example.
fn acceptor_processes(quick: bool) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut cmds = Vec::new();
    match std::env::current_exe() {
        Ok(exe) => cmds.push((
            "paxos-safety (the reference node)",
            exe.display().to_string(),
        )),
        Err(e) => crate::say!("acceptor processes: cannot find this binary ({e})"),
    }
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acceptors/acceptor.py");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if python && example.exists() {
        cmds.push((
            "examples/acceptors/acceptor.py",
            format!("python3 {}", example.display()),
        ));
    } else {
        crate::say!(
            "acceptor processes: python3 or the example is missing, the Python figure is skipped"
        );
    }
    crate::say!("acceptor processes (fuzz --acceptor-cmd, 3 acceptors, one thread):");
    for (label, cmd) in cmds {
        let runs: u64 = match (label.starts_with("paxos"), quick) {
            (true, true) => 200,
            (true, false) => 1_000,
            (false, true) => 40,
            (false, false) => 200,
        };
        let harness =
            ProcessAcceptors::new(&cmd, CrashMode::Pause, std::time::Duration::from_secs(5));
        let campaign = Campaign {
            config: Config::default(),
            seed: 1,
            runs: Some(runs),
            time_limit: None,
            jobs: 1,
            shard: (1, 1),
            stop_on_violation: false,
            shape: ShapeSwarm::FIXED,
        };
        let report = campaign.run_with(&harness, &|_, _| {});
        let rate = report.counts.runs as f64 / report.elapsed.as_secs_f64().max(1e-9);
        match harness.startup_ceiling(3, runs) {
            Ok(ceiling) => {
                crate::say!(
                    "  {label:<36} {rate:>8.1} executions/s; starting 3 processes alone: {ceiling:>8.1}/s ({:.0}% of that ceiling); {} violations",
                    100.0 * rate / ceiling.max(1e-9),
                    report.counts.violations
                );
                out.push(
                    json!({"acceptor": label, "executions_per_s": (rate * 10.0).round() / 10.0,
                    "startup_ceiling_per_s": (ceiling * 10.0).round() / 10.0,
                    "violations": report.counts.violations}),
                );
            }
            Err(e) => crate::say!("  {label}: the processes do not start: {e}"),
        }
    }
    out
}
