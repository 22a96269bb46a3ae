//! `cargo test` as a fuzzing campaign over the correct protocol: proptest-driven choice
//! schedules (which shrink to minimal schedules on failure and persist in the top-level
//! `proptest-regressions/`), seeded random executions over swarm profiles, and a campaign
//! that must have exercised every kind of fault. Together well over 10,000 executions;
//! `PROPTEST_CASES` scales the proptest parts up.
// Tests print what they measured or skipped to the harness, a terminal.
#![allow(clippy::disallowed_macros)]

use paxos_safety::campaign::{Campaign, Counts};
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::execution::{Coverage, Simulator};
use paxos_safety::strategy;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, TestRunner};
use std::ops::ControlFlow;

/// The case count: `PROPTEST_CASES` when set (to scale a campaign up), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/campaign.txt",
        ))),
        ..RunnerConfig::default()
    })
}

#[test]
fn correct_protocol_is_safe_on_choice_schedules() {
    let n = cases(20_000);
    let mut counts = Counts::default();
    let tally = std::cell::RefCell::new(&mut counts);
    let result = runner(n).run(&strategy::executions(strategy::clusters()), |e| {
        let outcome = strategy::check(&e)?;
        let mut c = tally.borrow_mut();
        c.runs += 1;
        for (slot, (_, mark)) in c.marks.iter_mut().zip(Coverage::NAMED) {
            *slot += u64::from(outcome.coverage.has(mark));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    println!("choice campaign: {counts:?}");
    assert!(counts.runs >= u64::from(n));
    // A schedule that never chooses proves nothing: most of these must reach a decision.
    assert!(
        counts.mark(Coverage::CHOSEN) * 4 >= counts.runs,
        "too few executions chose a value: {counts:?}"
    );
    for mark in [
        Coverage::DUEL,
        Coverage::ADOPTED,
        Coverage::DROPPED,
        Coverage::DUPLICATED,
        Coverage::CRASHED_VOTER,
    ] {
        assert!(
            counts.mark(mark) > 0,
            "never exercised {mark:?}: {counts:?}"
        );
    }
}

/// Flexible quorums: any q1, q2 with q1 + q2 > A is safe.
fn intersecting_quorums() -> impl Strategy<Value = Config> {
    (1u16..=7, 1u8..=4)
        .prop_flat_map(|(a, p)| (Just(a), Just(p), 1..=a, 1..=a))
        .prop_filter("quorums must intersect", |(a, _, q1, q2)| q1 + q2 > *a)
        .prop_map(|(acceptors, proposers, q1, q2)| Config {
            acceptors,
            proposers,
            q1: Some(q1),
            q2: Some(q2),
            ..Config::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(20_000),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/campaign.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn correct_protocol_is_safe_on_seeded_schedules(
        config in intersecting_quorums(),
        seed in any::<u64>(),
    ) {
        let outcome = Simulator::new(config).run_seed(seed, None);
        prop_assert!(
            outcome.violation.is_none(),
            "seed {seed} {}: {:?}",
            config.cluster_args(),
            outcome.violation
        );
    }
}

#[test]
fn a_seeded_campaign_exercises_every_fault_and_finds_nothing() {
    let report = Campaign {
        config: Config::default(),
        seed: 2026,
        runs: Some(50_000),
        time_limit: None,
        jobs: 2,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    }
    .run(&|_, _| {});
    let c = &report.counts;
    println!("seeded campaign: {c:?}");
    assert_eq!(c.runs, 50_000);
    assert_eq!(c.violations, 0, "first: {:?}", report.first);
    assert!(c.never_exercised().is_empty(), "{:?}", c.never_exercised());
    assert!(
        c.mark(Coverage::CHOSEN) * 10 >= c.runs * 9,
        "most runs must choose a value"
    );
}

#[test]
fn quorums_that_do_not_intersect_are_caught() {
    let report = Campaign {
        config: Config {
            acceptors: 4,
            q1: Some(2),
            q2: Some(2),
            ..Config::default()
        },
        seed: 5,
        runs: Some(20_000),
        time_limit: None,
        jobs: 2,
        shard: (1, 1),
        stop_on_violation: true,
        shape: ShapeSwarm::FIXED,
    }
    .run(&|_, _| {});
    assert!(report.first.is_some(), "q1 + q2 = A must be unsafe");
}

/// The campaign the shrinking tests start from (`accept-below-promise`, seed 2, one thread),
/// and its first violation.
fn accept_below_promise_found() -> (Campaign, paxos_safety::campaign::Found) {
    let campaign = Campaign {
        config: Config {
            bug: Some(paxos_safety::bug::Bug::AcceptBelowPromise),
            ..Config::default()
        },
        seed: 2,
        runs: Some(2_000),
        time_limit: None,
        jobs: 1,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    };
    let first = campaign.run(&|_, _| {}).first.expect("the bug is caught");
    (campaign, first)
}

/// What `shortest_counterexample_watched` tells, step by step: scanned executions one by
/// one, then each candidate in turn with replays adding up across candidates and the
/// shortest list so far never growing, ending at the shortest it returns.
#[test]
fn shrinking_tells_where_it_is_and_the_figures_add_up() {
    use paxos_safety::protocol::Builtin;
    use paxos_safety::shrink::{shortest_counterexample_watched, ShrinkProgress};
    use std::cell::RefCell;
    let (campaign, first) = accept_below_promise_found();
    let told = RefCell::new(Vec::<ShrinkProgress>::new());
    let best = shortest_counterexample_watched(&Builtin, &campaign, &first, 3, &|p| {
        told.borrow_mut().push(*p);
        ControlFlow::Continue(())
    })
    .expect("it shrinks");
    let told = told.into_inner();
    let scanning: Vec<&ShrinkProgress> = told.iter().filter(|p| p.candidate == 0).collect();
    for (k, p) in scanning.iter().enumerate() {
        assert_eq!(p.scanned, k as u64 + 1, "{p:?}");
        assert_eq!((p.replays, p.shortest), (0, None), "{p:?}");
    }
    let shrinking: Vec<&ShrinkProgress> = told.iter().filter(|p| p.candidate > 0).collect();
    assert_eq!(best.candidates, 4);
    assert!(shrinking
        .iter()
        .all(|p| p.candidates == 4 && p.scanned == scanning.len() as u64));
    for pair in shrinking.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(b.candidate >= a.candidate, "{a:?} {b:?}");
        assert!(
            b.replays == a.replays + 1,
            "one replay at a time: {a:?} {b:?}"
        );
        assert!(b.shortest.unwrap() <= a.shortest.unwrap(), "{a:?} {b:?}");
    }
    let last = shrinking.last().unwrap();
    assert_eq!(last.candidate, 4);
    assert_eq!(last.shortest, Some(best.shrunk.events.len()));
    // Every candidate's first replay is its whole failing execution, longer than the
    // shortest found before it: the shortest so far still does not grow.
    assert_eq!(shrinking.first().unwrap().replays, 1);
}

/// A configuration the library cannot run (more acceptors than a world holds) is refused
/// with `Config::validate`'s message, by the simulator and by a campaign before its
/// threads start, not met as an overflow deep in a step or a campaign that runs anyway.
#[test]
#[should_panic(
    expected = "invalid paxos_safety::config::Config (see Config::validate): --acceptors must be 1..=15, got 20"
)]
fn a_simulator_refuses_a_config_it_cannot_run() {
    let _ = Simulator::new(Config {
        acceptors: 20,
        ..Config::default()
    });
}

#[test]
#[should_panic(
    expected = "in the Campaign (see Config::validate): --proposers must be 1..=8, got 9"
)]
fn a_campaign_refuses_a_config_it_cannot_run() {
    Campaign {
        config: Config {
            proposers: 9,
            ..Config::default()
        },
        seed: 1,
        runs: Some(10),
        time_limit: None,
        jobs: 2,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    }
    .run(&|_, _| {});
}

/// A watcher that says stop (as `fuzz --shrink-time-limit` does when its time is up) ends
/// the scan and the shrinks where they stand, and the shortest list by then is returned:
/// told at once, the first failing execution, replayed whole; told after ten replays, a
/// list no longer than it, from no more replays than that.
#[test]
fn a_watcher_that_says_stop_ends_the_shrink_with_what_it_has() {
    use paxos_safety::protocol::Builtin;
    use paxos_safety::shrink::shortest_counterexample_watched;
    use std::cell::Cell;
    let (campaign, first) = accept_below_promise_found();
    let whole = shortest_counterexample_watched(&Builtin, &campaign, &first, 3, &|_| {
        ControlFlow::Continue(())
    })
    .expect("it shrinks");
    let at_once =
        shortest_counterexample_watched(
            &Builtin,
            &campaign,
            &first,
            3,
            &|_| ControlFlow::Break(()),
        )
        .expect("the first violation still replays");
    assert_eq!(at_once.seed, first.seed);
    assert_eq!(
        at_once.candidates, 1,
        "only the first failing execution shrunk"
    );
    assert_eq!(at_once.shrunk.replays, 1);
    assert_eq!(at_once.shrunk.events.len(), at_once.events_before);
    let last = Cell::new(0);
    let after_ten = shortest_counterexample_watched(&Builtin, &campaign, &first, 3, &|p| {
        last.set(p.replays);
        if p.replays >= 10 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect("it shrinks");
    assert_eq!(last.get(), 10, "not one replay after the stop");
    assert!(after_ten.shrunk.events.len() < after_ten.events_before);
    assert!(
        whole.shrunk.events.len() < after_ten.shrunk.events.len(),
        "ten replays are not the whole shrink: {} against {}",
        whole.shrunk.events.len(),
        after_ten.shrunk.events.len()
    );
}
