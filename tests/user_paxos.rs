//! A user's own Paxos under test through the library's role traits: the textbook
//! implementation of `examples/user_paxos/textbook.rs` survives a campaign and a proptest
//! property, and its buggy variant is caught, shrunk and replayed from its counterexample.

#[path = "../examples/user_paxos/textbook.rs"]
mod textbook;

use paxos_safety::campaign::Campaign;
use paxos_safety::checker::Invariant;
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::execution::{Coverage, Ending};
use paxos_safety::shrink::shortest_counterexample_with;
use paxos_safety::strategy;
use proptest::prelude::*;
use textbook::Textbook;

fn campaign(config: Config) -> Campaign {
    Campaign {
        config,
        seed: 7,
        runs: Some(20_000),
        time_limit: None,
        jobs: 1,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    }
}

#[test]
fn the_textbook_protocol_survives_a_campaign_that_chooses() {
    // The ten lines a user writes: a campaign, their implementation, the verdict.
    let report = campaign(Config::default()).run_with(&Textbook::correct(), &|_, _| {});
    assert_eq!(report.counts.violations, 0, "{:?}", report.first);
    assert!(report.counts.mark(Coverage::CHOSEN) > report.counts.runs / 2);
    assert!(
        report.counts.never_exercised().is_empty(),
        "{:?}",
        report.counts.never_exercised()
    );
    // And on a larger cluster with flexible quorums (q1 + q2 > A).
    let flexible = Config {
        acceptors: 5,
        proposers: 3,
        q1: Some(4),
        q2: Some(2),
        ..Config::default()
    };
    let report = campaign(flexible).run_with(&Textbook::correct(), &|_, _| {});
    assert_eq!(report.counts.violations, 0, "{:?}", report.first);
}

#[test]
fn the_first_vote_slip_is_caught_shrunk_and_replayed_from_its_file() {
    let buggy = Textbook::with_first_vote_bug();
    let c = campaign(Config::default());
    let report = c.run_with(&buggy, &|_, _| {});
    let first = report.first.expect("the campaign catches the slip");
    assert_eq!(first.violation.invariant, Invariant::Immutability);
    let best = shortest_counterexample_with(&buggy, &c, &first, 15).expect("it shrinks");
    assert!(best.shrunk.events.len() < best.events_before);
    assert!(
        best.shrunk.events.len() <= 20,
        "{} events",
        best.shrunk.events.len()
    );

    let file = Counterexample::new(&c.config, &best.shrunk.outcome.profile, &best.shrunk.events);
    let loaded = Counterexample::from_json(&file.to_json()).unwrap();
    let (outcome, _) = loaded.replay_with(&buggy).unwrap();
    assert_eq!(outcome.ending, Ending::Violation);
    assert_eq!(outcome.violation, best.shrunk.outcome.violation);
    // The correct code survives the very same schedule.
    let (correct, _) = loaded.replay_with(&Textbook::correct()).unwrap();
    assert_eq!(correct.violation, None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn the_textbook_protocol_is_safe_on_every_generated_schedule(
        e in strategy::executions(strategy::clusters())
    ) {
        strategy::check_with(&Textbook::correct(), &e)?;
    }
}
