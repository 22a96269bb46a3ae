//! proptest strategies over executions, and a runner, so that a property over Paxos
//! executions takes three lines:
//!
//! ```
//! use paxos_safety::strategy;
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(64))]
//!     // In a test file, put #[test] here.
//!     fn never_unsafe(e in strategy::executions(strategy::clusters())) {
//!         strategy::check(&e)?;
//!     }
//! }
//! # never_unsafe();
//! ```
//!
//! An execution is a configuration, a fault profile and a *schedule made of choices*: at
//! each step, choice `c` takes enabled event `c mod n` in the fixed order of
//! [`crate::world::World::enabled`] (deliveries first, then timeouts, then faults). So
//! proptest's shrinking — deleting elements of the choice vector and lowering them toward
//! zero — means "fewer steps" and "less adversarial steps", and every shrunk case is a
//! schedule the generator could have produced (the Hypothesis idea of shrinking choices).

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::bug::Bug;
use crate::config::Config;
use crate::counterexample::Counterexample;
use crate::event::Event;
use crate::execution::{Outcome, Simulator};
use crate::profile::{Profile, Rates};
use crate::protocol::Builtin;
use crate::roles::Implementation;
use crate::shrink::{shrink, shrink_with, MAX_REPLAYS};
use crate::world::Limits;

/// One generated execution.
#[derive(Clone, Debug)]
pub struct Execution {
    pub config: Config,
    pub profile: Profile,
    pub choices: Vec<u32>,
}

/// Clusters of 1..=5 acceptors and 1..=3 proposers with majority quorums and no bug.
pub fn clusters() -> impl Strategy<Value = Config> {
    (1u16..=5, 1u8..=3).prop_map(|(acceptors, proposers)| Config {
        acceptors,
        proposers,
        ..Config::default()
    })
}

/// Always `config`: for properties about one cluster (a bug, flexible quorums).
pub fn cluster(config: Config) -> impl Strategy<Value = Config> {
    Just(config)
}

/// The bug zoo's clusters: 3 acceptors, 2 proposers, one bug each.
pub fn buggy_clusters() -> impl Strategy<Value = Config> {
    proptest::sample::select(Bug::ALL.to_vec()).prop_map(|bug| Config {
        bug: Some(bug),
        ..Config::default()
    })
}

/// Fault limits. Rates do not matter to a choice schedule (the choices decide), so they
/// are zero; limits bound how many faults the choices can pick.
pub fn profiles() -> impl Strategy<Value = Profile> {
    (0u16..=2, 0u16..=4, 0u16..=4, 1u16..=4).prop_map(
        |(max_crashes, max_drops, max_duplicates, max_ballots)| Profile {
            rates: Rates::NONE,
            limits: Limits {
                max_crashes,
                max_drops,
                max_duplicates,
                max_ballots,
                ..Limits::default()
            },
        },
    )
}

/// Choice vectors of up to `max_len` steps, mostly small choices (deliveries and timeouts
/// sit at the front of the enabled list) with an occasional large one that lands anywhere,
/// faults included.
pub fn choices(max_len: usize) -> impl Strategy<Value = Vec<u32>> {
    let choice = prop_oneof![10 => 0u32..6, 1 => any::<u32>()];
    proptest::collection::vec(choice, 0..=max_len)
}

/// Executions of the clusters `configs` draws, with up to 120 choices.
pub fn executions(configs: impl Strategy<Value = Config>) -> impl Strategy<Value = Execution> {
    (configs, profiles(), choices(120)).prop_map(|(config, profile, choices)| Execution {
        config,
        profile,
        choices,
    })
}

/// Runs `e` on the built-in protocol, recording its events.
pub fn run(e: &Execution) -> (Outcome, Vec<Event>) {
    run_with(&Builtin, e)
}

/// Runs `e` on `imp`, recording its events.
pub fn run_with<I: Implementation>(imp: &I, e: &Execution) -> (Outcome, Vec<Event>) {
    let mut events = Vec::new();
    let outcome = Simulator::with(imp.clone(), e.config).run_choices(
        &e.choices,
        e.profile,
        Some(&mut events),
    );
    (outcome, events)
}

/// Runs `e` and fails the test case on a violation. The message explains the violation and
/// carries the whole counterexample file of the events shrunk by [`crate::shrink`]
/// (proptest shrinks the choices; the event shrinker then removes what choice-level
/// shrinking cannot), with every fault field pinned: save it and it replays.
pub fn check(e: &Execution) -> Result<Outcome, TestCaseError> {
    check_with(&Builtin, e)
}

/// [`check`] for your own implementation: the same checker, the same shrinking. The file
/// names your roles (its `implementation` field); replay it with
/// [`crate::counterexample::Counterexample::replay_with`]. For acceptor processes
/// ([`crate::process::ProcessAcceptors`]) the file names their command instead, so
/// `paxos-safety replay FILE` reruns it, and its events are not shrunk here: proptest
/// calls this at every failing case it tries, and an event shrink starts hundreds of
/// processes; `replay FILE --shrink` does it once.
pub fn check_with<I: Implementation>(imp: &I, e: &Execution) -> Result<Outcome, TestCaseError> {
    let (outcome, events) = run_with(imp, e);
    if outcome.violation.is_some() {
        // Describe the listed (shrunk) events, not the longer execution they came from.
        // Not for processes: proptest calls this at every failing case it tries while it
        // shrinks the choices, and each event shrink starts hundreds of processes.
        let shrunk = match imp.acceptor_processes() {
            None => shrink_with(imp, &e.config, e.profile, &events, None, MAX_REPLAYS),
            Some(_) => None,
        };
        let (shrunk_outcome, shrunk_events) = match &shrunk {
            Some(s) => (&s.outcome, &s.events[..]),
            None => (&outcome, &events[..]),
        };
        let file =
            Counterexample::of_execution(imp, &e.config, None, shrunk_outcome, shrunk_events);
        let how = match shrunk {
            Some(_) => format!("shrunk from {}", events.len()),
            None => "as proptest's shrinking of the choices left them; \
                     `paxos-safety replay FILE --shrink` shrinks the events"
                .to_string(),
        };
        let replay = match imp.name() {
            Some(_) => "Counterexample::load(path)?.replay_with(&your_implementation)",
            None => "paxos-safety replay FILE",
        };
        // The file ends with a newline, so whatever proptest appends stays off its last line.
        return Err(TestCaseError::fail(format!(
            "{} (step {} of {} events, {how}); save the counterexample file below and \
             replay it with `{replay}`; the counterexample file:\n{}",
            file.explanation.as_deref().unwrap_or("an invariant broke"),
            file.step.unwrap_or_default(),
            shrunk_events.len(),
            file.to_json()
        )));
    }
    Ok(outcome)
}

/// The shrunk events of a failing execution, as [`check`] reports them.
pub fn shrunk_events(e: &Execution) -> Option<Vec<Event>> {
    let (outcome, events) = run(e);
    outcome.violation?;
    shrink(&e.config, e.profile, &events, None, MAX_REPLAYS).map(|s| s.events)
}

/// [`shrunk_events`] for your own implementation.
pub fn shrunk_events_with<I: Implementation>(imp: &I, e: &Execution) -> Option<Vec<Event>> {
    let (outcome, events) = run_with(imp, e);
    outcome.violation?;
    shrink_with(imp, &e.config, e.profile, &events, None, MAX_REPLAYS).map(|s| s.events)
}
