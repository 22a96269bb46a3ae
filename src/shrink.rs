//! Shrinking: from a failing execution to the shortest event list we can find that still
//! breaks an invariant (a given one, or any).
//!
//! A failing random execution is mostly noise: deliveries that lead nowhere, faults that
//! did not matter. The shrinker works on the recorded events (the schedule as data) and
//! re-checks every candidate with the same simulator and checker, replaying leniently: an
//! event whose message is no longer in flight, or whose node is in the wrong state, is
//! skipped, and the candidate is then the list of events actually taken. So every accepted
//! candidate is itself a real execution that a strict replay reproduces.
//!
//! Passes, repeated until none makes progress (classic delta debugging, ddmin-style):
//! 1. cut everything after the violating step;
//! 2. delete runs of events, halving the run length from n/2 down to 1;
//! 3. delete single faults (drops, duplicates, crashes, restarts), which step 2 may have
//!    kept only as part of a larger run;
//! 4. when nothing else helps and the list is short, delete pairs of events anywhere (two
//!    timeouts of different proposers that only matter together, say).
//!
//! Each candidate costs one replay of at most the current length, so shrinking is
//! O(n^2 · log n) replays in the worst case: milliseconds for the tens of events a Paxos
//! counterexample has. `max_replays` bounds it anyway, and the result says if it was hit.

use std::ops::ControlFlow;

use crate::checker::Invariant;
use crate::config::Config;
use crate::event::Event;
use crate::execution::{Outcome, Simulator};
use crate::profile::Profile;
use crate::protocol::Builtin;
use crate::roles::Implementation;

/// When a shrink stops: on a Ctrl-C ([`crate::interrupt`]) that comes after
/// [`Stop::from_now`], or once a caller's watcher answered `Break`. A Ctrl-C that came
/// before (it stopped the campaign) is spent: the campaign's report still shrinks its first
/// violation as usual, and the next Ctrl-C stops that shrinking instead of ending the
/// process.
struct Stop {
    interrupts_at: u32,
    told: std::cell::Cell<bool>,
}

impl Stop {
    fn from_now() -> Stop {
        let interrupts_at = crate::interrupt::count();
        crate::interrupt::heed_another();
        Stop {
            interrupts_at,
            told: std::cell::Cell::new(false),
        }
    }

    fn asked(&self) -> bool {
        crate::interrupt::count() > self.interrupts_at || self.told.get()
    }

    /// Takes a watcher's answer: a `Break` stops what follows.
    fn heed(&self, answer: ControlFlow<()>) {
        if answer.is_break() {
            self.told.set(true);
        }
    }
}

/// The result of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub events: Vec<Event>,
    pub outcome: Outcome,
    /// Candidate replays tried.
    pub replays: u64,
    /// The replay budget ran out, or Ctrl-C came ([`crate::interrupt`]), before the
    /// passes settled: the events are the shortest found by then, still failing.
    pub budget_hit: bool,
}

/// Lists at most this long also get the pair-deletion pass.
const PAIR_PASS_MAX: usize = 64;

/// The default replay budget: far above what a Paxos counterexample needs.
pub const MAX_REPLAYS: u64 = 200_000;

/// Shrinks `events`, a failing execution of `config` under `profile`, keeping `target`
/// broken, or any invariant when `target` is `None` (a bug often breaks several, and the
/// shortest evidence may break another than the one seen first). Returns `None` when
/// `events` breaks no such invariant in the first place.
pub fn shrink(
    config: &Config,
    profile: Profile,
    events: &[Event],
    target: Option<Invariant>,
    max_replays: u64,
) -> Option<Shrunk> {
    shrink_with(&Builtin, config, profile, events, target, max_replays)
}

/// [`shrink`] for any implementation: every candidate replays on fresh roles from `imp`.
pub fn shrink_with<I: Implementation>(
    imp: &I,
    config: &Config,
    profile: Profile,
    events: &[Event],
    target: Option<Invariant>,
    max_replays: u64,
) -> Option<Shrunk> {
    shrink_watched(
        imp,
        config,
        profile,
        events,
        target,
        max_replays,
        &|_, _| ControlFlow::Continue(()),
    )
}

/// [`shrink_with`], telling `watch` the replays so far and the shortest failing list's
/// length after each replay; on `Break` it stops as on a Ctrl-C, with the shortest list
/// by then (`budget_hit` set). That is how `replay --shrink-time-limit` bounds it.
pub fn shrink_watched<I: Implementation>(
    imp: &I,
    config: &Config,
    profile: Profile,
    events: &[Event],
    target: Option<Invariant>,
    max_replays: u64,
    watch: &dyn Fn(u64, Option<usize>) -> ControlFlow<()>,
) -> Option<Shrunk> {
    let stop = Stop::from_now();
    shrink_until(
        imp,
        config,
        profile,
        events,
        target,
        max_replays,
        (&|| stop.asked(), &|replays, shortest| {
            stop.heed(watch(replays, shortest))
        }),
    )
}

/// [`shrink_with`], stopping when `stop_asked` says so: a caller that shrinks several
/// executions passes one predicate for all, so that a Ctrl-C that comes before this one
/// starts (while the caller looked for more failing executions) still stops it. `tell`
/// hears the replays so far and the shortest failing list's length (none before one
/// replayed) after each replay.
fn shrink_until<I: Implementation>(
    imp: &I,
    config: &Config,
    profile: Profile,
    events: &[Event],
    target: Option<Invariant>,
    max_replays: u64,
    (stop_asked, tell): (&dyn Fn() -> bool, &Tell<'_>),
) -> Option<Shrunk> {
    let mut sim = Simulator::with(imp.clone(), *config);
    // A Cell, so the budget can be read between attempts while the closure holds it.
    let replays = std::cell::Cell::new(0u64);
    // The shortest failing list met so far, which is what `best` holds, for `tell`.
    let shortest = std::cell::Cell::new(None);
    // The replay budget is used up, or a Ctrl-C asks to stop: keep what is shrunk so far.
    let spent = || replays.get() >= max_replays || stop_asked();
    let mut taken = Vec::with_capacity(events.len());
    // Replays a candidate; Some(outcome) when it still breaks the target.
    let mut attempt = |candidate: &[Event], taken: &mut Vec<Event>| -> Option<Outcome> {
        replays.set(replays.get() + 1);
        taken.clear();
        let o = sim.run_events(candidate, profile, false, Some(taken));
        let kept = match o.violation {
            Some((_, v)) if target.is_none_or(|t| v.invariant == t) => Some(o),
            _ => None,
        };
        if kept.is_some() {
            shortest.set(shorter(shortest.get(), Some(taken.len())));
        }
        tell(replays.get(), shortest.get());
        kept
    };
    let mut outcome = attempt(events, &mut taken)?;
    let mut best = taken.clone();
    let mut budget_hit = false;
    'passes: loop {
        let before = best.len();
        // Deleting runs, from long to short.
        let mut run = (best.len() / 2).max(1);
        loop {
            let mut start = 0;
            while start < best.len() {
                if spent() {
                    budget_hit = true;
                    break 'passes;
                }
                let end = (start + run).min(best.len());
                let candidate: Vec<Event> =
                    best[..start].iter().chain(&best[end..]).copied().collect();
                match attempt(&candidate, &mut taken) {
                    Some(o) if taken.len() < best.len() => {
                        best = taken.clone();
                        outcome = o;
                    }
                    _ => start += run,
                }
            }
            if run == 1 {
                break;
            }
            run /= 2;
        }
        // Single faults anywhere.
        let mut i = 0;
        while i < best.len() {
            if spent() {
                budget_hit = true;
                break 'passes;
            }
            if best[i].is_fault() {
                let mut candidate = best.clone();
                candidate.remove(i);
                if let Some(o) = attempt(&candidate, &mut taken) {
                    if taken.len() < best.len() {
                        best = taken.clone();
                        outcome = o;
                        continue;
                    }
                }
            }
            i += 1;
        }
        // Pairs: two events that only matter together, like one timeout of each of two
        // proposers whose ballots must stay equal for a collision. Quadratic, so only on
        // the short lists the passes above leave.
        if best.len() >= before && best.len() <= PAIR_PASS_MAX {
            'pairs: for i in 0..best.len() {
                for j in i + 1..best.len() {
                    if spent() {
                        budget_hit = true;
                        break 'passes;
                    }
                    let candidate: Vec<Event> = best
                        .iter()
                        .enumerate()
                        .filter(|&(k, _)| k != i && k != j)
                        .map(|(_, e)| *e)
                        .collect();
                    if let Some(o) = attempt(&candidate, &mut taken) {
                        if taken.len() < best.len() {
                            best = taken.clone();
                            outcome = o;
                            break 'pairs;
                        }
                    }
                }
            }
        }
        if best.len() >= before {
            break;
        }
    }
    Some(Shrunk {
        events: best,
        outcome,
        replays: replays.get(),
        budget_hit,
    })
}

/// The shortest counterexample found among several failing executions.
#[derive(Clone, Debug)]
pub struct Best {
    /// The seed of the execution the counterexample was shrunk from.
    pub seed: u64,
    /// The configuration that execution ran (its shape may be drawn, see
    /// [`crate::config::ShapeSwarm`]).
    pub config: Config,
    /// Its length before shrinking.
    pub events_before: usize,
    /// How many failing executions were shrunk to choose from.
    pub candidates: usize,
    pub shrunk: Shrunk,
    /// Whether the shrunk list, replayed once more, broke the same invariant again. False
    /// means the implementation does not repeat itself ([`Roles::why`] says what that
    /// means for the roles that ran): a file of the list may not replay.
    pub repeats: bool,
}

/// No failing execution failed again when its seed was rerun, so there is nothing to
/// shrink: the implementation does not repeat itself. Its message says what that means
/// for the roles that ran, and `Debug` shows it too, so that `.expect()` prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct NotReproduced {
    /// The seed and step of the campaign's first violation.
    pub seed: u64,
    pub step: u32,
    /// What ran: your roles, acceptor processes, or the built-in protocol.
    roles: Roles,
}

/// What ran, as far as repeating itself goes: your roles, acceptor processes, or the
/// built-in protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Roles {
    Yours,
    Processes,
    Builtin,
}

impl Roles {
    pub fn of<I: Implementation>(imp: &I) -> Roles {
        match (imp.acceptor_processes(), imp.name()) {
            (Some(_), _) => Roles::Processes,
            (None, Some(_)) => Roles::Yours,
            (None, None) => Roles::Builtin,
        }
    }

    /// Why an execution did not repeat itself, for these roles.
    pub fn why(self) -> &'static str {
        match self {
            Roles::Yours => {
                "your roles are not deterministic: what they do must depend only on the \
                 messages they get and their own state, never on a clock, an RNG, a global, \
                 a HashMap's iteration order or a counter shared across executions (see \
                 roles::Implementation)"
            }
            Roles::Processes => {
                "the acceptor processes answered otherwise this time: they are not \
                 deterministic, or a reply timeout fired under load (raise --reply-timeout)"
            }
            Roles::Builtin => {
                "the built-in protocol always repeats itself: this is a bug of \
                 paxos-safety, please report it with the command line"
            }
        }
    }
}

impl std::fmt::Display for NotReproduced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not reproducible: the violation of seed {} at step {} did not happen again when \
             its seed was rerun, so there is nothing to shrink or replay; ",
            self.seed, self.step
        )?;
        f.write_str(self.roles.why())
    }
}

impl std::fmt::Debug for NotReproduced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for NotReproduced {}

/// What [`shrink_until`] tells after each replay: the replays so far and the shortest
/// failing list's length.
type Tell<'a> = dyn Fn(u64, Option<usize>) + 'a;

/// The shorter of two lengths, either of which may not be known yet.
fn shorter(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    a.into_iter().chain(b).min()
}

/// Executions scanned after the first violation for more of the same kind to shrink.
pub const SCAN_AFTER_FIRST: u64 = 20_000;

/// Shrinks the first violation of a campaign and up to `more` further failing executions
/// (the next ones in the campaign's own order, so the choice does not depend on threads),
/// each to the shortest list breaking any invariant, and keeps the shortest result:
/// shrinking finds a local minimum, and different starting points reach different ones.
/// Ties go to the earliest execution. An error when none of them fails again on a rerun
/// of its seed ([`NotReproduced`]).
pub fn shortest_counterexample(
    campaign: &crate::campaign::Campaign,
    first: &crate::campaign::Found,
    more: usize,
) -> Result<Best, NotReproduced> {
    shortest_counterexample_with(&Builtin, campaign, first, more)
}

/// Where [`shortest_counterexample_watched`] is, for a progress line: shrinking the
/// failing executions of a slow implementation (processes) takes minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShrinkProgress {
    /// Executions run after the first violation to find more failing ones.
    pub scanned: u64,
    /// The failing execution being shrunk (1-based; 0 while scanning), of `candidates`.
    pub candidate: usize,
    pub candidates: usize,
    /// Replays of candidate lists so far, all shrinks together.
    pub replays: u64,
    /// The shortest failing list of events so far, if one replayed yet.
    pub shortest: Option<usize>,
}

/// [`shortest_counterexample`] for any implementation.
pub fn shortest_counterexample_with<I: Implementation>(
    imp: &I,
    campaign: &crate::campaign::Campaign,
    first: &crate::campaign::Found,
    more: usize,
) -> Result<Best, NotReproduced> {
    shortest_counterexample_watched(imp, campaign, first, more, &|_| ControlFlow::Continue(()))
}

/// [`shortest_counterexample_with`], telling `watch` where it is after every execution it
/// scans and every replay. `watch` answers whether to go on: on `Break` the scan and the
/// shrinks stop as on a Ctrl-C, and the shortest list found by then is the result (the
/// first failing execution, replayed, when none shrank yet). That is how a caller bounds
/// the shrink in time (`fuzz --shrink-time-limit`) without this module reading a clock.
pub fn shortest_counterexample_watched<I: Implementation>(
    imp: &I,
    campaign: &crate::campaign::Campaign,
    first: &crate::campaign::Found,
    more: usize,
    watch: &dyn Fn(&ShrinkProgress) -> ControlFlow<()>,
) -> Result<Best, NotReproduced> {
    let mut progress = ShrinkProgress {
        scanned: 0,
        candidate: 0,
        candidates: 0,
        replays: 0,
        shortest: None,
    };
    let mut sim = Simulator::with(imp.clone(), first.config);
    let stop = Stop::from_now();
    let stop_asked = || stop.asked();
    let watch = |p: &ShrinkProgress| stop.heed(watch(p));
    let mut seeds = vec![first.seed];
    let (_, n) = campaign.shard;
    let mut index = first.index;
    for _ in 0..SCAN_AFTER_FIRST {
        // After Ctrl-C, the first violation alone: the user wants the report now.
        if seeds.len() > more || stop_asked() {
            break;
        }
        index += n;
        if campaign.runs.is_some_and(|r| index >= r) {
            break;
        }
        let seed = crate::rng::execution_seed(campaign.seed, index);
        sim.set_config(campaign.config_for(seed));
        if sim.run_seed(seed, None).violation.is_some() {
            seeds.push(seed);
        }
        progress.scanned += 1;
        watch(&progress);
    }
    let mut best: Option<Best> = None;
    let candidates = seeds.len();
    progress.candidates = candidates;
    let mut tried = 0;
    // The configuration the best list replays under: its own, stabilisation pinned.
    let mut best_config = None;
    for (k, seed) in seeds.into_iter().enumerate() {
        if best.is_some() && stop_asked() {
            break;
        }
        tried = k + 1;
        progress.candidate = k + 1;
        let config = campaign.config_for(seed);
        sim.set_config(config);
        let mut events = Vec::new();
        let outcome = sim.run_seed(seed, Some(&mut events));
        // The drawn stabilisation point, pinned: the events alone do not carry it.
        let pinned = config.at_stabilisation(outcome.stabilised_at);
        // The one Ctrl-C predicate for the scan and every shrink: a Ctrl-C that came while
        // the scan looked for more failing executions stops this shrink too.
        let Some(shrunk) = shrink_until(
            imp,
            &pinned,
            outcome.profile,
            &events,
            None,
            MAX_REPLAYS,
            (&stop_asked, &|replays, shortest| {
                watch(&ShrinkProgress {
                    replays: progress.replays + replays,
                    shortest: shorter(progress.shortest, shortest),
                    ..progress
                });
            }),
        ) else {
            continue;
        };
        progress.replays += shrunk.replays;
        progress.shortest = shorter(progress.shortest, Some(shrunk.events.len()));
        if best
            .as_ref()
            .is_none_or(|b| shrunk.events.len() < b.shrunk.events.len())
        {
            best = Some(Best {
                seed,
                config,
                events_before: events.len(),
                candidates,
                shrunk,
                repeats: true,
            });
            best_config = Some(pinned);
        }
    }
    // A stop leaves the later candidates unshrunk: they were not chosen from.
    if let Some(b) = best.as_mut() {
        b.candidates = tried;
    }
    // Once more, as a file of it will be replayed: roles that do not repeat themselves
    // can shrink to a list that failed only once.
    if let Some((b, config)) = best.as_mut().zip(best_config) {
        sim.set_config(config);
        let again = sim.run_events(&b.shrunk.events, b.shrunk.outcome.profile, false, None);
        let broke = b.shrunk.outcome.violation.map(|(_, v)| v.invariant);
        b.repeats = again.violation.map(|(_, v)| v.invariant) == broke;
    }
    best.ok_or_else(|| NotReproduced {
        seed: first.seed,
        step: first.step,
        roles: Roles::of(imp),
    })
}
