//! Verifies a user's own Paxos (`textbook.rs`, written independently of the built-in
//! protocol) with the library: a campaign on the correct code, then the same campaign on
//! the variant with a classic slip, whose counterexample is shrunk, saved, replayed from
//! the file and printed as a trace.
//!
//! ```text
//! cargo run --release --example user_paxos
//! ```
// An example run in a terminal.
#![allow(clippy::disallowed_macros)]

mod textbook;

use paxos_safety::campaign::Campaign;
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::execution::Coverage;
use paxos_safety::render::{Format, Trace};
use paxos_safety::shrink::shortest_counterexample_with;
use textbook::Textbook;

fn main() {
    let campaign = Campaign {
        config: Config::default(),
        seed: 2026,
        runs: Some(100_000),
        time_limit: None,
        jobs: 2,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    };

    // 1. The correct textbook protocol: every step of every execution checked.
    let report = campaign.run_with(&Textbook::correct(), &|_, _| {});
    println!(
        "textbook paxos: {} executions, {} steps checked, {} chose a value, {} violations",
        report.counts.runs,
        report.counts.steps,
        report.counts.mark(Coverage::CHOSEN),
        report.counts.violations
    );

    // 2. The slip: caught, shrunk to a short schedule, saved as a counterexample file.
    let buggy = Textbook::with_first_vote_bug();
    let report = campaign.run_with(&buggy, &|_, _| {});
    let Some(first) = report.first else {
        println!("the buggy variant survived: the campaign is too small");
        std::process::exit(1);
    };
    let best = shortest_counterexample_with(&buggy, &campaign, &first, 15).expect("it fails");
    // The execution it names ran its own shape and stabilisation point; the file pins
    // them, with the invariant broken and the implementation's name.
    let file = Counterexample::of_shrunk(&buggy, &best);
    let path = std::env::temp_dir().join("textbook-first-vote.json");
    file.save(&path).expect("the temp dir is writable");
    println!(
        "textbook paxos with the first-vote slip: {} violations; shrunk from {} to {} events, saved to {}",
        report.counts.violations,
        best.events_before,
        best.shrunk.events.len(),
        path.display()
    );

    // 3. Replayed from the file, strictly by its events, and rendered.
    let loaded = Counterexample::load(&path).expect("just written");
    let (outcome, events) = loaded.replay_with(&buggy).expect("valid events");
    let trace = Trace::new_with(buggy, &loaded.config, loaded.seed, &outcome, &events)
        .expect("the trace agrees with the simulator");
    print!("{}", trace.render(Format::Text));
}
