//! Test the tester: every classic bug of the zoo must be caught by a campaign and shrunk to
//! a short counterexample; the committed counterexample of each bug (tests/counterexamples/)
//! must still break the same invariant when replayed by its events, and the correct
//! protocol must survive the same schedule wherever that schedule is valid for it.
//!
//! `UPDATE_GOLDEN=1 cargo test --test suite bug_zoo::` rewrites the committed counterexamples from
//! the current shrinker (review the diff: they are the evidence that each bug is caught).
// Tests print what they measured or skipped to the harness, a terminal.
#![allow(clippy::disallowed_macros)]

use std::path::PathBuf;

use paxos_safety::bug::Bug;
use paxos_safety::campaign::Campaign;
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::execution::{Ending, Simulator};
use paxos_safety::protocol::Builtin;
use paxos_safety::shrink::shortest_counterexample;
use paxos_safety::strategy;
use proptest::test_runner::{Config as RunnerConfig, TestError, TestRng, TestRunner};

fn golden_path(bug: Bug) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/counterexamples")
        .join(format!("{bug}.json"))
}

fn buggy(bug: Bug) -> Config {
    Config {
        bug: Some(bug),
        ..Config::default()
    }
}

/// The longest shrunk counterexample accepted for each bug (3 acceptors, 2 proposers).
/// no-adopt's bound is the issue's; the others are what the shrinker reaches plus slack.
fn bound(bug: Bug) -> usize {
    match bug {
        Bug::NoAdopt => 16,
        _ => 24,
    }
}

#[test]
fn every_bug_is_found_by_a_campaign_and_shrunk() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut report = Vec::new();
    for bug in Bug::ALL {
        let config = buggy(bug);
        let campaign = Campaign {
            config,
            seed: 1,
            runs: Some(200_000),
            time_limit: None,
            jobs: 2,
            shard: (1, 1),
            stop_on_violation: true,
            shape: ShapeSwarm::FIXED,
        };
        let found = campaign
            .run(&|_, _| {})
            .first
            .unwrap_or_else(|| panic!("{bug}: no violation in 200,000 runs"));
        let best =
            shortest_counterexample(&campaign, &found, 15).expect("the first violation fails");
        let invariant = found.violation.invariant;
        let shrunk = best.shrunk;
        assert!(!shrunk.budget_hit, "{bug}: shrinking budget hit");
        report.push(format!(
            "{bug}: {invariant} at seed {}, {} -> {} events",
            best.seed,
            best.events_before,
            shrunk.events.len()
        ));
        assert!(
            shrunk.events.len() <= bound(bug),
            "{bug}: shrunk to {} events, over the bound of {}",
            shrunk.events.len(),
            bound(bug)
        );
        if update {
            assert!(shrunk.outcome.violation.is_some(), "{bug}: still failing");
            // The file as `fuzz` writes it, explanation in context included.
            let cx = Counterexample::of_execution(
                &Builtin,
                &config,
                Some(best.seed),
                &shrunk.outcome,
                &shrunk.events,
            );
            cx.save(&golden_path(bug)).unwrap();
        }
    }
    println!("{}", report.join("\n"));
}

#[test]
fn every_committed_counterexample_still_breaks_its_invariant() {
    for bug in Bug::ALL {
        let path = golden_path(bug);
        let cx = Counterexample::load(&path).unwrap_or_else(|e| panic!("{bug}: {e}"));
        assert_eq!(cx.config.bug, Some(bug), "{}", path.display());
        let events = cx.parse_events().unwrap();
        let profile = cx.profile();
        let outcome = Simulator::new(cx.config).run_events(&events, profile, true, None);
        let (step, v) = outcome
            .violation
            .unwrap_or_else(|| panic!("{bug}: the counterexample no longer fails"));
        assert_eq!(Some(v.invariant), cx.invariant, "{bug}");
        assert_eq!(Some(step), cx.step, "{bug}");
        assert_eq!(
            step as usize,
            events.len(),
            "{bug}: it fails at its last event"
        );

        // The correct protocol on the same schedule: safe wherever the schedule is valid.
        let correct = Config {
            bug: None,
            ..cx.config
        };
        let o = Simulator::new(correct).run_events(&events, profile, true, None);
        assert!(
            o.violation.is_none(),
            "{bug}: the correct protocol fails the same schedule: {:?}",
            o.violation
        );
        if o.ending != Ending::InvalidEvent {
            assert_eq!(o.steps as usize, events.len());
        }
    }
}

#[test]
fn proptest_catches_every_bug_and_shrinks_the_choices() {
    let mut report = Vec::new();
    for bug in Bug::ALL {
        // A fixed proptest seed: this test asserts how far shrinking gets, so it must not
        // depend on which random cases a run happened to draw.
        let config = RunnerConfig {
            cases: 20_000,
            failure_persistence: None,
            max_shrink_iters: 20_000,
            ..RunnerConfig::default()
        };
        let rng = TestRng::deterministic_rng(config.rng_algorithm);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let result = runner.run(&strategy::executions(strategy::cluster(buggy(bug))), |e| {
            strategy::check(&e).map(|_| ())
        });
        match result {
            Err(TestError::Fail(_, minimal)) => {
                let (outcome, events) = strategy::run(&minimal);
                assert!(outcome.violation.is_some(), "{bug}: the minimal case fails");
                let shrunk = strategy::shrunk_events(&minimal).expect("it fails");
                report.push(format!(
                    "{bug}: proptest minimum {} choices, {} events; event-shrunk to {}",
                    minimal.choices.len(),
                    events.len(),
                    shrunk.len()
                ));
                assert!(
                    shrunk.len() <= bound(bug),
                    "{bug}: the reported schedule has {} events",
                    shrunk.len()
                );
            }
            other => panic!("{bug}: proptest did not catch it: {other:?}"),
        }
    }
    println!("{}", report.join("\n"));
}

/// The README's zoo table is what `paxos-safety fuzz --bug BUG --seed 1` reports: the first
/// violation's invariant, the invariant its shrunk counterexample breaks, and its length.
#[test]
fn the_readme_zoo_table_is_what_fuzz_reports() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let zoo = readme
        .split_once("## The bug zoo")
        .expect("a bug zoo section")
        .1;
    let dir = std::env::temp_dir().join(format!("paxos-safety-zoo-{}", std::process::id()));
    let mut rows = 0;
    let rows_of_bugs = zoo
        .lines()
        .filter(|l| l.starts_with("| `") && !l.starts_with("| `--bug`"));
    for line in rows_of_bugs {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (bug, first, breaks, events) =
            (cells[1].trim_matches('`'), cells[3], cells[4], cells[5]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_paxos-safety"))
            .args(["fuzz", "--bug", bug, "--seed", "1", "--json", "--out-dir"])
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{bug}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        let fv = &summary["first_violation"];
        let got = (
            fv["invariant"].as_str().unwrap(),
            fv["counterexample_invariant"].as_str().unwrap(),
            fv["events_after_shrink"].to_string(),
        );
        assert_eq!(
            got,
            (first, breaks, events.to_string()),
            "README row for {bug}"
        );
        rows += 1;
    }
    assert_eq!(rows, Bug::ALL.len(), "one README row per bug");
    std::fs::remove_dir_all(dir).ok();
}
