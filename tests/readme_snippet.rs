//! The Rust snippet of the README's "Verify your own Paxos" compiles and runs as printed:
//! its body below is the README's, checked line for line, so neither can drift.

#[path = "../examples/user_paxos/textbook.rs"]
mod textbook;

use std::path::Path;

use paxos_safety::campaign::Campaign;
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::render::Trace;
use paxos_safety::shrink::shortest_counterexample_with;
use textbook::Textbook;

// The README's layout, not rustfmt's: the two must match line for line.
#[rustfmt::skip]
#[test]
fn the_readme_snippet_runs_as_printed() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("paxos-safety-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::env::set_current_dir(&dir).map_err(|e| e.to_string())?;
    // README begin
    let campaign = Campaign {
        config: Config::default(), // 3 acceptors, 2 proposers, faults drawn per execution
        seed: 7, runs: Some(20_000), time_limit: None, jobs: 1, shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED, // or ShapeSwarm::ALL: 1-7 acceptors, 1-4 proposers per execution
    };
    let report = campaign.run_with(&Textbook::correct(), &|_, _| {});
    assert_eq!(report.counts.violations, 0, "{:?}", report.first);
    assert!(report.counts.never_exercised().is_empty()); // it chose, duelled, crashed, ...

    // A failing seed of the slip shrinks (the shortest of the first violation and up to 15
    // more), saves and replays through the library:
    let buggy = Textbook::with_first_vote_bug();
    let report = campaign.run_with(&buggy, &|_, _| {});
    let best = shortest_counterexample_with(&buggy, &campaign, &report.first.unwrap(), 15).unwrap();
    let file = Counterexample::of_shrunk(&buggy, &best); // the shape that execution drew, pinned
    file.save(Path::new("first-vote.json"))?;
    let (outcome, events) = Counterexample::load(Path::new("first-vote.json"))?.replay_with(&buggy)?;
    let trace = Trace::new_with(buggy, &file.config, file.seed, &outcome, &events)?; // refuses
    // a schedule that broke off at an event not enabled: that is no verdict
    // README end
    assert!(trace.violation.is_some());
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn the_snippet_above_is_the_readmes() {
    let readme = include_str!("../README.md");
    let source = include_str!("readme_snippet.rs");
    let body = source
        .split_once("    // README begin\n")
        .and_then(|(_, rest)| rest.split_once("    // README end\n"))
        .expect("the markers")
        .0;
    // The README's block has the same lines without the function's indentation.
    let unindented: String = body
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        readme.contains(&format!("```rust\n{unindented}```\n")),
        "README's snippet differs from tests/readme_snippet.rs:\n{unindented}"
    );
}
