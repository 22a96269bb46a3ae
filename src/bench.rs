//! The benchmark: how many checked steps per second a campaign runs, what the checker
//! costs, how runs scale with threads, whether memory stays flat, how fast each zoo bug
//! is found, and how fast the exhaustive explorer visits states on one and two threads. Figures are printed, never asserted: the machines that run tests are
//! noisy, so speed is a report, and ratios are measured within one run.
//!
//! Each timing runs the same executions (same seeds) several times, alternating the
//! variants being compared (checker on, off), and keeps the fastest of each, which is the
//! least disturbed by the rest of the machine.

use std::time::{Duration, Instant};

use crate::bug::Bug;
use crate::campaign::Campaign;
use crate::config::{Config, ShapeSwarm};
use crate::execution::Simulator;
use crate::rng::execution_seed;

/// Throughput of one configuration on one thread.
#[derive(Clone, Debug)]
pub struct Throughput {
    pub label: String,
    pub runs: u64,
    pub steps: u64,
    /// Best wall time with the checker on.
    pub checked: Duration,
    /// Best wall time with the checker off, same executions.
    pub unchecked: Duration,
}

impl Throughput {
    pub fn steps_per_s(&self) -> f64 {
        self.steps as f64 / self.checked.as_secs_f64().max(1e-9)
    }

    pub fn runs_per_s(&self) -> f64 {
        self.runs as f64 / self.checked.as_secs_f64().max(1e-9)
    }

    /// The checker's share of the checked step time.
    pub fn checker_cost(&self) -> f64 {
        let (on, off) = (self.checked.as_secs_f64(), self.unchecked.as_secs_f64());
        if on <= 0.0 {
            0.0
        } else {
            ((on - off) / on).max(0.0)
        }
    }
}

fn time_runs(sim: &mut Simulator, runs: u64) -> (Duration, u64) {
    #[allow(clippy::disallowed_methods)] // a benchmark measures wall time; it shapes nothing
    let start = Instant::now();
    let mut steps = 0u64;
    for i in 0..runs {
        steps += u64::from(sim.run_seed(execution_seed(0, i), None).steps);
    }
    (start.elapsed(), steps)
}

/// Measures `config` on one thread over `runs` executions, `rounds` times each way.
pub fn throughput(label: &str, config: Config, runs: u64, rounds: u32) -> Throughput {
    let mut sim = Simulator::new(config);
    let mut best_on = Duration::MAX;
    let mut best_off = Duration::MAX;
    let mut steps = 0;
    for _ in 0..rounds.max(1) {
        sim.set_checking(true);
        let (t, s) = time_runs(&mut sim, runs);
        best_on = best_on.min(t);
        steps = s;
        sim.set_checking(false);
        let (t, _) = time_runs(&mut sim, runs);
        best_off = best_off.min(t);
    }
    Throughput {
        label: label.to_string(),
        runs,
        steps,
        checked: best_on,
        unchecked: best_off,
    }
}

/// Checked steps per second of the same seeds with liveness off and on (default bound,
/// `config`'s strategy), best of `rounds`, alternating. The executions differ after the
/// network heals (that is the mode), so this is the rate of checked steps, the figure a
/// campaign's length is planned by, not the time of one execution.
pub fn liveness_rates(config: Config, runs: u64, rounds: u32) -> (f64, f64) {
    let live = Config {
        liveness: Some(crate::config::Liveness::default()),
        ..config
    };
    let (mut off, mut on) = (Simulator::new(config), Simulator::new(live));
    let rate = |(t, s): (Duration, u64)| s as f64 / t.as_secs_f64().max(1e-9);
    let (mut best_off, mut best_on) = (0.0f64, 0.0f64);
    for _ in 0..rounds.max(1) {
        best_off = best_off.max(rate(time_runs(&mut off, runs)));
        best_on = best_on.max(rate(time_runs(&mut on, runs)));
    }
    (best_off, best_on)
}

fn campaign(config: Config, seed: u64, runs: u64, jobs: usize, stop: bool) -> Campaign {
    Campaign {
        config,
        seed,
        runs: Some(runs),
        time_limit: None,
        jobs,
        shard: (1, 1),
        stop_on_violation: stop,
        shape: ShapeSwarm::FIXED,
    }
}

/// Runs per second of a campaign with `jobs` threads (best of `rounds`).
pub fn campaign_rate(config: Config, runs: u64, jobs: usize, rounds: u32) -> f64 {
    (0..rounds.max(1))
        .map(|_| {
            let r = campaign(config, 0, runs, jobs, false).run(&|_, _| {});
            r.counts.runs as f64 / r.elapsed.as_secs_f64().max(1e-9)
        })
        .fold(0.0, f64::max)
}

/// The explorer at `options`: unique states per second of wall time and bytes per state
/// at peak, best of `rounds` (alternated by the caller when comparing). The search's
/// states and verdict are the same every round; only the time differs.
pub fn explorer_rate(
    config: &Config,
    options: &crate::explore::Options,
    rounds: u32,
) -> Result<(f64, crate::explore::Report), String> {
    let mut best: Option<(f64, crate::explore::Report)> = None;
    for _ in 0..rounds.max(1) {
        let report = crate::explore::explore(config, options)?;
        let rate = report.states_per_second();
        if best.as_ref().is_none_or(|(r, _)| rate > *r) {
            best = Some((rate, report));
        }
    }
    best.ok_or_else(|| "no round ran".to_string())
}

/// Unique states per second of two independent searches at `options` run at once, each on
/// its own thread, counted together, with the states of both: the ceiling this machine
/// sets for `--jobs 2`, which pays in cores, caches and memory bandwidth whatever two
/// independent searches pay. `--jobs 2` against this, rather than against twice one
/// search alone, is the search's own cost of sharing. One round; the caller alternates
/// it with what it is compared to.
pub fn explorer_side_by_side(
    config: &Config,
    options: &crate::explore::Options,
) -> Result<(f64, u64), String> {
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| crate::explore::explore(config, options)))
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut states = 0;
    let mut slowest = 0.0f64;
    for run in runs {
        let report = run.map_err(|_| "a search run side by side panicked".to_string())??;
        states += report.unique_states;
        slowest = slowest.max(report.elapsed.as_secs_f64());
    }
    Ok((states as f64 / slowest.max(1e-9), states))
}

/// The process's peak resident memory in KiB (Linux `VmHWM`), if the system tells.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak RSS after a campaign of `small` runs, then after one of `large` runs. The peak
/// only grows, so equal figures mean the larger campaign needed no more memory.
pub fn memory(small: u64, large: u64, jobs: usize) -> (Option<u64>, Option<u64>, Duration) {
    campaign(Config::default(), 1, small, jobs, false).run(&|_, _| {});
    let after_small = peak_rss_kib();
    let r = campaign(Config::default(), 2, large, jobs, false).run(&|_, _| {});
    (after_small, peak_rss_kib(), r.elapsed)
}

/// Median time to the first violation of `bug` over campaign seeds `0..seeds`, one thread,
/// and how many of those campaigns found one within `runs` executions.
pub fn time_to_find(bug: Bug, seeds: u64, runs: u64) -> (Duration, u64) {
    let config = Config {
        bug: Some(bug),
        ..Config::default()
    };
    let mut times = Vec::new();
    let mut found = 0;
    for seed in 0..seeds {
        let r = campaign(config, seed, runs, 1, true).run(&|_, _| {});
        found += u64::from(r.first.is_some());
        times.push(r.elapsed);
    }
    times.sort();
    (times[times.len() / 2], found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::Options;
    use crate::world::Limits;

    #[test]
    fn side_by_side_counts_both_searches_and_reports_bad_options() {
        let config = Config::default();
        let options = Options {
            max_depth: Some(8),
            ..Options::new(Limits {
                max_ballots: 1,
                max_crashes: 0,
                max_duplicates: 0,
                max_drops: 0,
                ..Limits::default()
            })
        };
        let alone = crate::explore::explore(&config, &options).unwrap();
        assert!(alone.unique_states > 10, "{}", alone.unique_states);
        let (rate, states) = explorer_side_by_side(&config, &options).unwrap();
        assert_eq!(states, 2 * alone.unique_states);
        assert!(rate > 0.0 && rate.is_finite(), "{rate}");
        let bad = Options { jobs: 0, ..options };
        let e = explorer_side_by_side(&config, &bad).unwrap_err();
        assert!(e.contains("--jobs"), "{e}");
    }
}
