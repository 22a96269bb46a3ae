//! The text rendering: a header, one line per step, the violation explained under the step
//! that broke it, and a summary line.
//!
//! ```text
//! # seed 6: 3 acceptors, 2 proposers, quorums q1=2 q2=2, bug no-adopt
//! # profile: per mille drop 0, duplicate 10, crash 5, restart 200, timeout 5; limits ...
//! # ballot r.s is round r of proposer ps; pN proposes vN
//!     1  timeout p1                               p1 times out, starts ballot 1.1 and ...
//!     2  deliver p1->a1 prepare 1.1               a1 promises 1.1
//!  ...
//!     9  deliver p1->a1 accept 1.1 v1             a1 votes (1.1, v1); v1 is chosen at 1.1 (...)
//!  ...
//! !! 19  deliver a3->p2 promise 1.2 voted 1.1=v1  p2 has 2 of 2 promises for 1.2; p2 proposes
//!                                                 v2 at 1.2 (its own value, ignoring the vote
//!                                                 (1.1, v1) that a2 reported)
//!        immutability violated: v2 at ballot 1.2 after v1 was chosen at ballot 1.1 (...)
//! # summary: 19 steps, ending violation, chosen v1 at 1.1, verdict: immutability violated at step 19
//! ```
//!
//! (Each step is one line; the example wraps the last one to fit here.)
//!
//! Events are padded to one column so that the changes line up; a step that changed no node
//! (a drop, a duplicate, a message its receiver ignores) has nothing after its event. The
//! lines that are not steps start with `#`, so `grep -v '^#'` leaves the steps alone.

use std::fmt::Write as _;

use super::Trace;
use crate::ballot::{Ballot, Value};
use crate::bug::Bug;
use crate::config::Config;
use crate::profile::Profile;
use crate::roles::AcceptorProcesses;

/// Renders `trace` as text; the result ends with a newline.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}",
        describe_run(
            &trace.config,
            trace.seed,
            trace.implementation.as_deref(),
            trace.processes.as_ref()
        )
    );
    let _ = writeln!(out, "# profile: {}", describe_profile(&trace.profile));
    // The names a reader must decode, said once.
    // Your roles may number ballots their own way: only `Ballot::new` means round.proposer.
    let ballots = if trace.implementation.is_some() {
        "ballot r.s is round r of proposer ps where the roles make ballots with Ballot::new"
    } else if trace.config.bug == Some(Bug::BallotCollision) {
        "ballot r.0 is round r of any proposer (the bug leaves the proposer out)"
    } else if trace.processes.is_some() {
        // The process's own logs and quoted replies speak proposal_n.
        "ballot r.s is round r of proposer ps, proposal_n 16r+s on the wire (1.1 is 17, 2.1 is 33)"
    } else {
        "ballot r.s is round r of proposer ps"
    };
    let _ = writeln!(out, "# {ballots}; pN proposes vN");
    let number_width = trace.steps.len().max(1).to_string().len();
    let event_width = trace
        .steps
        .iter()
        .map(|s| s.event.to_string().len())
        .max()
        .unwrap_or(0);
    let healed_after = trace
        .config
        .liveness
        .and_then(|l| Some((l.stabilise_at?, l.bound)));
    for step in &trace.steps {
        if let Some((at, bound)) = healed_after.filter(|&(at, _)| at + 1 == step.number) {
            let _ = writeln!(
                out,
                "# ---- the network heals after step {at}: no more drops, duplicates or crashes, \
                 down nodes restart, timers fire only when stuck; a value must be chosen and \
                 learned by every proposer by step {} ----",
                at + bound
            );
        }
        let mark = if step.violation.is_some() { "!!" } else { "  " };
        let changes: Vec<String> = step.changes.iter().map(|c| c.text()).collect();
        let line = format!(
            "{mark} {:>number_width$}  {:<event_width$}  {}",
            step.number,
            step.event.to_string(),
            changes.join("; ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if let Some(v) = &step.violation {
            let indent = " ".repeat(3 + number_width + 2);
            let said = trace.explanation().unwrap_or_else(|| Trace::explain(v));
            let _ = writeln!(out, "{indent}{said}");
        }
    }
    let _ = writeln!(out, "# summary: {}", summary(trace));
    out
}

/// `seed 7: 3 acceptors, 2 proposers, quorums q1=2 q2=2, bug no-adopt`
fn describe_run(
    config: &Config,
    seed: Option<u64>,
    implementation: Option<&str>,
    processes: Option<&AcceptorProcesses>,
) -> String {
    let proto = config.protocol();
    let mut s = match seed {
        Some(seed) => format!("seed {seed}: "),
        None => String::new(),
    };
    let _ = write!(
        s,
        "{} acceptors, {} proposers, quorums q1={} q2={}, ",
        config.acceptors, config.proposers, proto.q1, proto.q2
    );
    // Processes are driven by the built-in proposers, which may carry a proposer's bug.
    if let Some(p) = processes {
        let _ = write!(
            s,
            "acceptor processes `{}` (crash mode {}) driven by the built-in proposers",
            p.command,
            p.crash.name()
        );
        if let Some(bug) = config.bug {
            let _ = write!(s, " with bug {bug}");
        }
        return s;
    }
    // Bug switches belong to the built-in protocol; your roles carry their own code.
    match (implementation, config.bug) {
        (Some(name), _) => {
            let _ = write!(s, "roles {name}");
        }
        (None, Some(bug)) => {
            let _ = write!(s, "bug {bug}");
        }
        (None, None) => s.push_str("correct protocol"),
    }
    s
}

fn describe_profile(profile: &Profile) -> String {
    let (r, l) = (profile.rates, profile.limits);
    format!(
        "per mille drop {}, duplicate {}, crash {}, restart {}, timeout {}; \
         limits crashes {}, drops {}, duplicates {}, ballots {}, in flight {}, steps {}",
        r.drop,
        r.duplicate,
        r.crash,
        r.restart,
        r.timeout,
        l.max_crashes,
        l.max_drops,
        l.max_duplicates,
        l.max_ballots,
        l.max_in_flight,
        l.max_steps
    )
}

/// `v1 at 1.1`
fn chosen_label(chosen: Option<(Ballot, Value)>) -> String {
    match chosen {
        Some((b, v)) => format!("{v} at {}", b.sim_label()),
        None => "nothing".to_string(),
    }
}

/// `14 steps, ending violation, chosen v1 at 1.1, verdict: immutability violated at step 14`
pub(crate) fn summary(trace: &Trace) -> String {
    let verdict = match &trace.violation {
        Some((step, v)) => format!("{} violated at step {step}", v.invariant),
        None => "safe, every invariant held".to_string(),
    };
    format!(
        "{} steps, ending {}, chosen {}, verdict: {verdict}",
        trace.steps.len(),
        trace.ending.name(),
        chosen_label(trace.chosen)
    )
}
