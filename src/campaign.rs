//! Campaigns: many executions of one configuration, each from its own derived seed, run on
//! several threads and summarised.
//!
//! Execution `i` of campaign seed `S` always runs from `rng::execution_seed(S, i)`, so a
//! campaign is a deterministic function of `(S, runs, shard)`: threads only decide which
//! core runs which execution, never what an execution does. Workers take chunks of indices
//! from a shared counter and fold their results into a per-thread [`Counts`]; counts
//! merge by addition, and the first violation is the one with the lowest index, so the
//! verdict, the counts and the first violation do not depend on `--jobs`. Shards take every
//! N-th index (`i % N == K - 1`), so N shards together are exactly the unsharded campaign
//! and their summaries merge the same way.
//!
//! The fast path records nothing: no trace, no formatting. A failing execution is rerun
//! with recording on to get its events (determinism makes that free).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::checker::Violation;
use crate::config::{Config, ShapeSwarm};
use crate::execution::{Coverage, Ending, Outcome, Simulator};
use crate::protocol::Builtin;
use crate::rng::execution_seed;
use crate::roles::Implementation;

/// Executions per chunk a worker takes at once: large enough that the shared counter is
/// not contended, small enough that `--time-limit` stops promptly.
const CHUNK: u64 = 256;

/// What to run.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub config: Config,
    pub seed: u64,
    /// Executions in the whole (unsharded) campaign; `None` with a time limit means
    /// "until the time is up".
    pub runs: Option<u64>,
    pub time_limit: Option<Duration>,
    pub jobs: usize,
    /// `(k, n)`: run the k-th (1-based) of n disjoint slices.
    pub shard: (u64, u64),
    /// Stop at the first violation (the lowest-index one is still the one reported).
    pub stop_on_violation: bool,
    /// The parts of the cluster's shape each execution draws from its seed instead of
    /// taking them from `config` ([`ShapeSwarm::FIXED`]: none).
    pub shape: ShapeSwarm,
}

/// The first violation of a campaign: enough to rerun it alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// The execution's index in the campaign.
    pub index: u64,
    /// The execution's own seed.
    pub seed: u64,
    /// The configuration it ran: the campaign's, with the drawn shape.
    pub config: Config,
    /// The 1-based step of the violation.
    pub step: u32,
    pub violation: Violation,
}

/// Counts over the executions run. Everything adds up across threads and shards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub runs: u64,
    pub steps: u64,
    pub violations: u64,
    /// Executions per coverage mark, in the order of [`Coverage::NAMED`].
    pub marks: [u64; Coverage::NAMED.len()],
    pub quiescent: u64,
    pub step_limit: u64,
    pub message_limit: u64,
    /// Executions in which an undecided proposer used up its ballots.
    pub ballot_limit: u64,
    /// Executions whose quorums were given as numbers (flexible quorums, drawn or fixed)
    /// rather than left to the majority formula.
    #[serde(default)]
    pub flexible: u64,
    /// Of those, the executions that chose a value.
    #[serde(default)]
    pub flexible_chosen: u64,
    /// Liveness mode: executions in which the network healed.
    #[serde(default)]
    pub healed: u64,
    /// Liveness mode: how many executions settled (a value chosen and learned by every
    /// proposer) how many steps after the network healed. A histogram rather than a list,
    /// so that it merges by addition across threads and shards and stays small.
    #[serde(default)]
    pub settle_steps: BTreeMap<u32, u64>,
}

/// A distribution of steps to decision after the network healed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Settling {
    pub runs: u64,
    pub median: u32,
    pub p99: u32,
    pub max: u32,
}

impl Settling {
    /// The distribution of a histogram of steps to decision (steps → executions); `None`
    /// when it is empty. Percentiles are nearest-rank. `merge` computes the merged
    /// distribution of shards from their summed histograms with it.
    pub fn of(histogram: &BTreeMap<u32, u64>) -> Option<Settling> {
        let runs: u64 = histogram.values().sum();
        let max = *histogram.keys().next_back()?;
        let rank = |pct: u64| {
            let want = (runs * pct).div_ceil(100).max(1);
            let mut seen = 0;
            for (&n, &k) in histogram {
                seen += k;
                if seen >= want {
                    return n;
                }
            }
            max
        };
        Some(Settling {
            runs,
            median: rank(50),
            p99: rank(99),
            max,
        })
    }
}

impl Counts {
    fn add_outcome(&mut self, o: &Outcome, flexible: bool) {
        self.runs += 1;
        self.flexible += u64::from(flexible);
        self.flexible_chosen += u64::from(flexible && o.coverage.has(Coverage::CHOSEN));
        self.steps += u64::from(o.steps);
        self.violations += u64::from(o.violation.is_some());
        for (slot, (_, mark)) in self.marks.iter_mut().zip(Coverage::NAMED) {
            *slot += u64::from(o.coverage.has(mark));
        }
        self.ballot_limit += u64::from(o.ballots_exhausted);
        self.healed += u64::from(o.healed);
        if let Some(n) = o.settled_after {
            *self.settle_steps.entry(n).or_default() += 1;
        }
        match o.ending {
            Ending::Quiescent => self.quiescent += 1,
            Ending::StepLimit => self.step_limit += 1,
            Ending::MessageLimit => self.message_limit += 1,
            _ => {}
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.runs += other.runs;
        self.steps += other.steps;
        self.violations += other.violations;
        for (a, b) in self.marks.iter_mut().zip(other.marks) {
            *a += b;
        }
        self.quiescent += other.quiescent;
        self.step_limit += other.step_limit;
        self.message_limit += other.message_limit;
        self.ballot_limit += other.ballot_limit;
        self.flexible += other.flexible;
        self.flexible_chosen += other.flexible_chosen;
        self.healed += other.healed;
        for (&n, &k) in &other.settle_steps {
            *self.settle_steps.entry(n).or_default() += k;
        }
    }

    /// The distribution of steps from healing to decision over the executions that
    /// settled; `None` when none did. Percentiles are nearest-rank.
    pub fn settling(&self) -> Option<Settling> {
        Settling::of(&self.settle_steps)
    }

    /// Executions that exercised `mark`.
    pub fn mark(&self, mark: Coverage) -> u64 {
        Coverage::NAMED
            .iter()
            .position(|&(_, m)| m == mark)
            .map_or(0, |i| self.marks[i])
    }

    /// What never happened in the whole campaign that a campaign must show to prove
    /// anything: a campaign in which no value was ever chosen checked agreement on nothing,
    /// and one in which no proposer ever learned a value never exercised the learner. Empty
    /// when the campaign is not vacuous. `fuzz` fails such a campaign (exit status 3) unless
    /// `--allow-vacuous`.
    pub fn vacuity(&self) -> Vec<&'static str> {
        let mut never = Vec::new();
        if self.runs == 0 {
            never.push("no execution ran");
        }
        let chosen = self.mark(Coverage::CHOSEN);
        if chosen == 0 {
            never.push("no execution chose a value");
        }
        if self.mark(Coverage::DECIDED) == 0 {
            never.push("no proposer ever learned a value");
        }
        if chosen > 0 {
            // A campaign that mixes quorum kinds (the shape swarm) proves nothing about a
            // kind under which nothing was ever chosen: a majority formula that asks for
            // more acceptors than there are would hide behind the flexible executions.
            never.extend(quorum_vacuity(
                self.runs - self.flexible,
                chosen - self.flexible_chosen,
                self.flexible,
                self.flexible_chosen,
            ));
        }
        never
    }

    /// Sometimes-properties that never fired: a campaign that never chose a value, never
    /// dropped a message or never crashed a voter has not tested what it claims to.
    pub fn never_exercised(&self) -> Vec<&'static str> {
        Coverage::NAMED
            .iter()
            .zip(self.marks)
            .filter(|(_, n)| *n == 0)
            .map(|((name, _), _)| *name)
            .collect()
    }
}

/// What never happened per quorum kind, given the executions with majority quorums and
/// how many of them chose a value, and the same for flexible quorums. A kind that never
/// ran is not vacuous, only untested; `fuzz` and `merge` share this judgement.
pub fn quorum_vacuity(
    majority: u64,
    majority_chosen: u64,
    flexible: u64,
    flexible_chosen: u64,
) -> Vec<&'static str> {
    let mut never = Vec::new();
    if majority > 0 && majority_chosen == 0 {
        never.push("no execution with majority quorums chose a value");
    }
    if flexible > 0 && flexible_chosen == 0 {
        never.push("no execution with flexible quorums chose a value");
    }
    never
}

/// The result of a campaign.
#[derive(Clone, Debug)]
pub struct Report {
    pub counts: Counts,
    pub first: Option<Found>,
    pub elapsed: Duration,
    /// The time limit stopped the campaign before `runs`.
    pub timed_out: bool,
}

impl Campaign {
    /// The campaign index of the `j`-th execution of this shard.
    fn index(&self, j: u64) -> u64 {
        let (k, n) = self.shard;
        j * n + (k - 1)
    }

    /// How many executions this shard owns.
    fn shard_runs(&self) -> Option<u64> {
        let (k, n) = self.shard;
        self.runs.map(|r| r / n + u64::from(r % n >= k))
    }

    /// The configuration of the execution with `seed`: the campaign's, with the shape
    /// drawn as [`Campaign::shape`] says.
    pub fn config_for(&self, seed: u64) -> Config {
        self.shape.draw(&self.config, seed)
    }

    /// Runs the campaign. `progress` is called now and then with the executions done so
    /// far and the violations found (for a progress bar); it must be cheap.
    pub fn run(&self, progress: &(dyn Fn(u64, u64) + Sync)) -> Report {
        self.run_with(&Builtin, progress)
    }

    /// Runs the campaign against `imp`: each worker thread drives its own clone.
    ///
    /// # Panics
    ///
    /// When [`Campaign::config`] is one [`crate::config::Config::validate`] refuses, with
    /// its message.
    pub fn run_with<I: Implementation>(
        &self,
        imp: &I,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Report {
        // Here, on the caller's thread, rather than as "a scoped thread panicked" below.
        if let Err(e) = self.config.validate() {
            panic!(
                "invalid paxos_safety::config::Config in the Campaign (see Config::validate): {e}"
            );
        }
        // The clock only decides when --time-limit stops handing out chunks, and elapsed_s;
        // never what an execution does.
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let total = self.shard_runs().unwrap_or(u64::MAX);
        let next_chunk = AtomicU64::new(0);
        let done = AtomicU64::new(0);
        let violations = AtomicU64::new(0);
        // Lowest shard-local index with a violation so far; chunks above it are skipped
        // when stopping on violation, chunks below it always finish, so the reported first
        // violation is the same whatever the thread count.
        let first_at = AtomicU64::new(u64::MAX);
        let timed_out = AtomicBool::new(false);
        let results = Mutex::new(Vec::new());
        let jobs = self.jobs.max(1);
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                scope.spawn(|| {
                    let mut sim = Simulator::with(imp.clone(), self.config);
                    let mut counts = Counts::default();
                    let mut first: Option<Found> = None;
                    loop {
                        // Ctrl-C (see `crate::interrupt`): stop handing out chunks.
                        if crate::interrupt::requested() {
                            break;
                        }
                        if let Some(limit) = self.time_limit {
                            if start.elapsed() >= limit {
                                timed_out.store(true, Ordering::Relaxed);
                                break;
                            }
                        }
                        let c = next_chunk.fetch_add(1, Ordering::Relaxed);
                        let lo = c.saturating_mul(CHUNK);
                        if lo >= total
                            || (self.stop_on_violation && lo > first_at.load(Ordering::Relaxed))
                        {
                            break;
                        }
                        let hi = (lo + CHUNK).min(total);
                        let mut found_here = 0;
                        let mut ran = 0;
                        // What this chunk has told `progress` so far.
                        let (mut told_ran, mut told_found) = (0, 0);
                        let mut tell = |ran: u64, found: u64| {
                            let d =
                                done.fetch_add(ran - told_ran, Ordering::Relaxed) + ran - told_ran;
                            let v = violations.fetch_add(found - told_found, Ordering::Relaxed)
                                + found
                                - told_found;
                            (told_ran, told_found) = (ran, found);
                            progress(d, v);
                        };
                        let mut cut = false;
                        for j in lo..hi {
                            // Within a chunk too, for implementations whose executions are
                            // slow (acceptor processes): the flag is one relaxed load, the
                            // clock is read every 16 executions.
                            if crate::interrupt::requested()
                                || (ran % 16 == 15
                                    && self.time_limit.is_some_and(|l| start.elapsed() >= l))
                            {
                                cut = true;
                                break;
                            }
                            ran += 1;
                            let index = self.index(j);
                            let seed = execution_seed(self.seed, index);
                            let config = self.config_for(seed);
                            if config != *sim.config() {
                                sim.set_config(config);
                            }
                            let o = sim.run_seed(seed, None);
                            counts.add_outcome(&o, !config.majority_quorums());
                            if let Some((step, violation)) = o.violation {
                                found_here += 1;
                                first_at.fetch_min(j, Ordering::Relaxed);
                                if first.is_none_or(|f| index < f.index) {
                                    first = Some(Found {
                                        index,
                                        seed,
                                        config,
                                        step,
                                        violation,
                                    });
                                }
                                if self.stop_on_violation {
                                    break;
                                }
                            }
                            // Within a chunk too, every 16 executions: a chunk of slow
                            // ones (acceptor processes) takes minutes, and a progress
                            // log (--log-every) must keep its period.
                            if ran % 16 == 0 {
                                tell(ran, found_here);
                            }
                        }
                        tell(ran, found_here);
                        if cut {
                            if !crate::interrupt::requested() {
                                timed_out.store(true, Ordering::Relaxed);
                            }
                            break;
                        }
                    }
                    results
                        .lock()
                        .expect("a worker panicked while holding the results")
                        .push((counts, first));
                });
            }
        });
        let mut counts = Counts::default();
        let mut first: Option<Found> = None;
        for (c, f) in results.into_inner().expect("workers finished") {
            counts.merge(&c);
            if let Some(f) = f {
                if first.is_none_or(|g| f.index < g.index) {
                    first = Some(f);
                }
            }
        }
        Report {
            counts,
            first,
            elapsed: start.elapsed(),
            timed_out: timed_out.load(Ordering::Relaxed),
        }
    }
}

/// Parses `K/N` with `1 <= K <= N`.
pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard takes K/N with 1 <= K <= N, like 2/8; got '{s}'");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: u64 = k.trim().parse().map_err(|_| bad())?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

#[cfg(test)]
mod vacuity_tests {
    use super::*;

    fn counts(runs: u64, chosen: u64, flexible: u64, flexible_chosen: u64) -> Counts {
        let mut c = Counts {
            runs,
            flexible,
            flexible_chosen,
            ..Counts::default()
        };
        let at = |m| Coverage::NAMED.iter().position(|&(_, x)| x == m).unwrap();
        c.marks[at(Coverage::CHOSEN)] = chosen;
        c.marks[at(Coverage::DECIDED)] = chosen;
        c
    }

    #[test]
    fn a_quorum_kind_that_never_chose_is_vacuous_when_the_other_did() {
        assert!(counts(100, 60, 25, 20).vacuity().is_empty());
        // Every choice came from the flexible executions: the majorities never chose.
        assert_eq!(
            counts(100, 20, 25, 20).vacuity(),
            vec!["no execution with majority quorums chose a value"]
        );
        assert_eq!(
            counts(100, 70, 25, 0).vacuity(),
            vec!["no execution with flexible quorums chose a value"]
        );
        // A kind that never ran is untested, not vacuous.
        assert!(counts(100, 70, 0, 0).vacuity().is_empty());
        assert!(counts(100, 70, 100, 70).vacuity().is_empty());
        // Nothing chosen at all says so once, not per kind.
        assert_eq!(
            counts(100, 0, 25, 0).vacuity(),
            vec![
                "no execution chose a value",
                "no proposer ever learned a value"
            ]
        );
    }
}
