//! The default `fuzz` campaign, run exactly as a user runs it: the binary with no flag but
//! the seed. It must pass: no violation and not vacuous (exit status 0).
//!
//! This is also the test `cargo mutants --file src/protocol.rs` runs (`docs/mutants.md`):
//! a mutant of the correct protocol is caught when this campaign breaks an invariant or
//! never gets a value chosen or learned. The heavy tier runs the 100,000 executions the
//! mutation report is measured with; the everyday tier a fifth of them.

use std::process::Command;

#[cfg(feature = "heavy")]
const RUNS: &str = "100000";
#[cfg(not(feature = "heavy"))]
const RUNS: &str = "20000";

#[test]
fn the_default_campaign_passes() {
    let out_dir = std::env::temp_dir().join(format!("paxos-safety-default-{}", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_paxos-safety"))
        .args(["fuzz", "--runs", RUNS, "--seed", "1", "--json", "--out-dir"])
        .arg(&out_dir)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a summary line")).expect("JSON");
    std::fs::remove_dir_all(&out_dir).ok();
    assert_eq!(summary["violations"], 0, "{summary}");
    assert_eq!(summary["vacuous"], serde_json::json!([]), "{summary}");
    assert_eq!(
        summary["shape_drawn"],
        serde_json::json!(["acceptors", "proposers", "quorums"])
    );
    assert_eq!(o.status.code(), Some(0), "{summary}");
}
