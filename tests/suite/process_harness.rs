//! Acceptor processes under the same campaigns, checker, shrinking and replay as the
//! built-in protocol (`src/process.rs`): the reference node and the example acceptors
//! survive, every known-bad acceptor is caught with the rule it broke, protocol faults are
//! findings (never hangs or panics), executions are deterministic, and no process outlives
//! the harness.
//!
//! Most tests drive `paxos-safety node` itself (a Rust process starts in milliseconds);
//! the Python examples need python3: without it these tests fail loudly, unless
//! PAXOS_ALLOW_MISSING_INTERPRETERS=1 says that is expected, and then they say so.
// Tests print what they measured or skipped to the harness, a terminal.
#![allow(clippy::disallowed_macros)]

use std::time::Duration;

use paxos_safety::campaign::{Campaign, Report};
use paxos_safety::checker::{Invariant, Violation};
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::execution::{Ending, Simulator};
use paxos_safety::process::{CrashMode, ProcessAcceptors};
use paxos_safety::profile::ProfileSpec;
use paxos_safety::render::explain_in_context;
use paxos_safety::shrink::{shrink_with, MAX_REPLAYS};

const NODE: &str = env!("CARGO_BIN_EXE_paxos-safety");

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

fn python() -> bool {
    let ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let allowed = std::env::var("PAXOS_ALLOW_MISSING_INTERPRETERS").is_ok_and(|v| v == "1");
        assert!(allowed, "python3 is missing: these acceptor tests cannot run (set PAXOS_ALLOW_MISSING_INTERPRETERS=1 to skip them knowingly)");
        eprintln!("SKIPPED: python3 is missing, the Python acceptor tests did not run");
    }
    ok
}

fn harness(cmd: &str, crash: CrashMode) -> ProcessAcceptors {
    ProcessAcceptors::new(cmd, crash, Duration::from_secs(5))
}

fn campaign(config: Config, runs: u64, stop: bool) -> Campaign {
    Campaign {
        config,
        seed: 11,
        runs: Some(runs),
        time_limit: None,
        jobs: 2,
        shard: (1, 1),
        stop_on_violation: stop,
        shape: ShapeSwarm::FIXED,
    }
}

/// Crashes are frequent, so that restarts matter.
fn crashy() -> Config {
    Config {
        faults: ProfileSpec {
            crash_rate: Some(150),
            restart_rate: Some(300),
            max_crashes: Some(2),
            ..ProfileSpec::default()
        },
        ..Config::default()
    }
}

/// `paxos-safety fuzz --json ARGS --out-dir DIR --acceptor-cmd CMD`.
fn fuzz_command(args: &[&str], dir: &std::path::Path, cmd: &str) -> std::process::Command {
    let mut fuzz = std::process::Command::new(NODE);
    fuzz.args(["fuzz", "--json"])
        .args(args)
        .arg("--out-dir")
        .arg(dir)
        .args(["--acceptor-cmd", cmd]);
    fuzz
}

/// Runs `paxos-safety fuzz --json ARGS --out-dir DIR --acceptor-cmd CMD`, asserts that it
/// exits `code`, and returns its summary, the last line it prints.
fn fuzz_summary(args: &[&str], dir: &std::path::Path, cmd: &str, code: i32) -> serde_json::Value {
    let out = fuzz_command(args, dir, cmd).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "fuzz {args:?}: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("fuzz {args:?}: no summary line ({e}): {stdout}"))
}

fn assert_clean(report: &Report) {
    assert_eq!(report.counts.violations, 0, "{:?}", report.first);
    assert!(report.counts.runs > 0);
    assert!(report.counts.marks[0] > 0, "no execution chose a value");
}

#[test]
fn the_reference_node_survives_a_campaign_and_replays_byte_for_byte() {
    let h = harness(NODE, CrashMode::Pause);
    h.probe().unwrap();
    let report = campaign(Config::default(), 200, false).run_with(&h, &|_, _| {});
    assert_clean(&report);
    // The same seed twice: the same events, the same outcome.
    let mut sim = Simulator::with(h.clone(), Config::default());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let oa = sim.run_seed(99, Some(&mut a));
    let ob = sim.run_seed(99, Some(&mut b));
    assert_eq!(a, b);
    assert_eq!(oa, ob);
}

#[test]
fn a_known_bad_node_is_caught_and_shrunk_quoting_its_reply() {
    let cmd = format!("{NODE} node --bug accept-below-promise");
    let h = harness(&cmd, CrashMode::Pause);
    let c = campaign(Config::default(), 400, true);
    let report = c.run_with(&h, &|_, _| {});
    let first = report.first.expect("caught");
    assert_eq!(first.violation.invariant, Invariant::VoteAbovePromise);
    let mut sim = Simulator::with(h.clone(), c.config);
    let mut events = Vec::new();
    let outcome = sim.run_seed(first.seed, Some(&mut events));
    let shrunk = shrink_with(&h, &c.config, outcome.profile, &events, None, MAX_REPLAYS).unwrap();
    assert!(shrunk.events.len() <= events.len());
    assert!(shrunk.events.len() <= 10, "{:?}", shrunk.events);
    // Replayed on fresh processes, it still fails, and the explanation quotes the line.
    let o = sim.run_events(&shrunk.events, shrunk.outcome.profile, true, None);
    let (step, v) = o.violation.expect("replays");
    let text = explain_in_context(&h, &c.config, &v, &shrunk.events, step, sim.detail());
    assert!(text.contains("replied: {\"src\""), "{text}");
    assert!(text.contains("paxos_accepted"), "{text}");
}

#[test]
fn an_in_memory_acceptor_under_restart_is_caught_losing_its_state() {
    let h = harness(NODE, CrashMode::Restart);
    let c = campaign(crashy(), 2_000, true);
    let report = c.run_with(&h, &|_, _| {});
    let first = report
        .first
        .expect("an in-memory acceptor forgets on restart");
    assert!(
        matches!(
            first.violation.invariant,
            Invariant::PromiseMonotonic | Invariant::VoteDurable | Invariant::VoteAbovePromise
        ),
        "{:?}",
        first.violation
    );
    let mut sim = Simulator::with(h.clone(), c.config);
    let mut events = Vec::new();
    let o = sim.run_seed(first.seed, Some(&mut events));
    let (step, v) = o.violation.unwrap();
    let text = explain_in_context(&h, &c.config, &v, &events, step, sim.detail());
    assert!(text.contains("state lost on restart"), "{text}");
    // The same node keeping its state across crashes (pause) is safe under the same faults.
    let pause = harness(NODE, CrashMode::Pause);
    assert_clean(&campaign(crashy(), 300, false).run_with(&pause, &|_, _| {}));
}

/// The everyday tier: the in-memory example survives a short campaign and one buggy
/// example is caught. The heavy tier runs them all, longer, and shrinks the buggy ones.
#[test]
fn the_python_example_survives_and_a_buggy_one_is_caught() {
    if !python() {
        return;
    }
    let dir = root();
    let correct = harness(
        &format!("python3 {dir}/examples/acceptors/acceptor.py"),
        CrashMode::Pause,
    );
    assert_clean(&campaign(Config::default(), 10, false).run_with(&correct, &|_, _| {}));
    let h = harness(
        &format!("python3 {dir}/tests/acceptors/reports_first_vote.py"),
        CrashMode::Pause,
    );
    let report = campaign(Config::default(), 400, true).run_with(&h, &|_, _| {});
    let first = report.first.expect("reports_first_vote survived");
    assert_eq!(first.violation.invariant, Invariant::PromiseReportsVote);
}

#[cfg(feature = "heavy")]
#[test]
fn every_python_example_survives_and_every_buggy_one_is_caught_and_shrunk() {
    if !python() {
        return;
    }
    let dir = root();
    let correct = harness(
        &format!("python3 {dir}/examples/acceptors/acceptor.py"),
        CrashMode::Pause,
    );
    assert_clean(&campaign(Config::default(), 300, false).run_with(&correct, &|_, _| {}));
    let durable = harness(
        &format!("python3 {dir}/examples/acceptors/durable_acceptor.py"),
        CrashMode::Restart,
    );
    assert_clean(&campaign(crashy(), 100, false).run_with(&durable, &|_, _| {}));
    // The in-memory example under restart is the fifth bad acceptor.
    let in_memory = harness(
        &format!("python3 {dir}/examples/acceptors/acceptor.py"),
        CrashMode::Restart,
    );
    for (h, broken) in [
        (
            harness(
                &format!("python3 {dir}/tests/acceptors/accept_below_promise.py"),
                CrashMode::Pause,
            ),
            &[Invariant::VoteAbovePromise][..],
        ),
        (
            harness(
                &format!("python3 {dir}/tests/acceptors/reports_first_vote.py"),
                CrashMode::Pause,
            ),
            &[Invariant::PromiseReportsVote][..],
        ),
        (
            harness(
                &format!("python3 {dir}/tests/acceptors/reports_no_vote.py"),
                CrashMode::Pause,
            ),
            &[Invariant::VoteDurable][..],
        ),
        (
            harness(
                &format!("python3 {dir}/tests/acceptors/refuses_nothing.py"),
                CrashMode::Pause,
            ),
            &[Invariant::PromiseMonotonic][..],
        ),
        (
            in_memory,
            &[
                Invariant::PromiseMonotonic,
                Invariant::VoteDurable,
                Invariant::VoteAbovePromise,
            ][..],
        ),
    ] {
        let config = if h.crash_mode() == CrashMode::Restart {
            crashy()
        } else {
            Config::default()
        };
        let c = campaign(config, 2_000, true);
        let report = c.run_with(&h, &|_, _| {});
        let first = report
            .first
            .unwrap_or_else(|| panic!("{} survived", h.command()));
        assert!(
            broken.contains(&first.violation.invariant),
            "{}: {:?}",
            h.command(),
            first.violation
        );
        let mut sim = Simulator::with(h.clone(), c.config);
        let mut events = Vec::new();
        let outcome = sim.run_seed(first.seed, Some(&mut events));
        // Every candidate starts three interpreters: a budget keeps the tier's time sane.
        let shrunk = shrink_with(&h, &c.config, outcome.profile, &events, None, 200)
            .unwrap_or_else(|| panic!("{}: the failure does not replay", h.command()));
        assert!(shrunk.events.len() <= events.len());
        let o = sim.run_events(&shrunk.events, shrunk.outcome.profile, true, None);
        let (step, v) = o
            .violation
            .expect("the shrunk schedule fails on fresh processes");
        let text = explain_in_context(&h, &c.config, &v, &shrunk.events, step, sim.detail());
        assert!(text.contains("replied: "), "{text}");
        eprintln!(
            "{}: {} -> {} events: {text}",
            h.command(),
            events.len(),
            shrunk.events.len()
        );
    }
}

/// A simulator of the default cluster whose acceptors are processes of `cmd`, paused on a
/// crash.
fn paused(cmd: &str, reply_timeout: Duration) -> Simulator<ProcessAcceptors> {
    let h = ProcessAcceptors::new(cmd, CrashMode::Pause, reply_timeout);
    Simulator::with(h, Config::default())
}

/// Runs one execution (seed 5, the default cluster) of acceptor processes of `cmd`, which
/// must end on an `acceptor-protocol` finding: the violation and the harness's detail.
fn protocol_fault(cmd: &str, reply_timeout: Duration) -> (Violation, String, &'static str) {
    let mut sim = paused(cmd, reply_timeout);
    let o = sim.run_seed(5, None);
    assert_eq!(o.ending, Ending::Violation, "{cmd}");
    let (_, v) = o.violation.unwrap();
    assert_eq!(v.invariant, Invariant::AcceptorProtocol, "{cmd}");
    let kind = sim.fault_kind().expect("a fault has a kind").name();
    (v, sim.detail().unwrap_or_default().to_string(), kind)
}

#[test]
fn protocol_faults_are_findings_never_hangs() {
    if !python() {
        return;
    }
    let script = format!("{}/tests/acceptors/protocol_faults.py", root());
    for (mode, says, kind) in [
        ("garbage", "not JSON (expected ident at line 1 column 2); stdout carries replies only, logs go to stderr: this is not json", "not-json"),
        ("wrong-reply-to", "in_reply_to", "wrong-reply"),
        (
            "wrong-type",
            "it answered paxos_prepare with another type than paxos_promise",
            "wrong-reply",
        ),
        ("two-lines", "second line", "extra-line"),
        // Most often it arrives after the next request went out and is read as its
        // answer; on a loaded machine it can come before that request is sent. Either
        // way it is blamed on the request before.
        ("stray-late", "previous request", "extra-line"),
        // Refusals that contradict themselves: they would have to be promises or votes.
        ("refuse-low", "with a highest_promised below it", "contradiction"),
        ("refuse-accept", "with a highest_promised not above it", "contradiction"),
        // A promise it was never asked for: the proposer would go above it (and, at the
        // largest ballot, could go no higher).
        (
            "refuse-unsent",
            "with highest_promised 18446744073709551615, which it was never sent (it was sent \
             proposal_n 17): an acceptor promises only ballots it receives",
            "contradiction",
        ),
        ("silent", "reply timeout", "no-reply"),
        ("exit", "exited", "exited"),
    ] {
        let (v, detail, fault) = protocol_fault(
            &format!("python3 {script} {mode}"),
            Duration::from_millis(300),
        );
        assert!(detail.contains(says), "{mode}: {detail}");
        assert_eq!(fault, kind, "{mode}: {detail}");
        // The headline says what kind of thing went wrong, not a value nobody sent.
        let headline = v.to_string();
        assert!(
            headline.contains("gave no single valid reply to its request at ballot")
                && !headline.contains(" v0"),
            "{mode}: {headline}"
        );
    }
}

/// A refusal that names a promise below one the acceptor's replies showed (here, the
/// refused request's own proposal_n) is a finding, though each such line alone looks fine.
#[test]
fn a_refusal_below_a_promise_shown_is_a_finding() {
    if !python() {
        return;
    }
    let script = format!("{}/tests/acceptors/protocol_faults.py", root());
    let mut sim = paused(
        &format!("python3 {script} refuse-echo"),
        Duration::from_secs(2),
    );
    let found = (1..=40).find_map(|seed| {
        let o = sim.run_seed(seed, None);
        let detail = sim.detail().unwrap_or_default().to_string();
        (o.violation
            .is_some_and(|(_, v)| v.invariant == Invariant::AcceptorProtocol)
            && detail.contains("below the promise its earlier replies showed"))
        .then_some(detail)
    });
    let detail = found.expect("a refusal below a shown promise within 40 executions");
    assert!(
        detail.contains("): a promise never goes down") && !detail.contains("restarted"),
        "{detail}"
    );
}

/// A diagram of a process that broke the wire protocol says how, in the violation's note:
/// the sentence alone ("gave no single valid reply") does not.
#[test]
fn a_diagram_of_a_protocol_finding_says_what_the_process_did() {
    if !python() {
        return;
    }
    use paxos_safety::render::{Format, TraceRecorder};
    let script = format!("{}/tests/acceptors/protocol_faults.py", root());
    let mut sim = paused(
        &format!("python3 {script} silent"),
        Duration::from_millis(300),
    );
    let mut recorder = TraceRecorder::new(&sim);
    let outcome = sim.run_seed_with(5, &mut recorder);
    let trace = recorder.finish(&sim, Some(5), &outcome).unwrap();
    let diagram = trace.render(Format::Mermaid);
    assert!(
        diagram.contains("acceptor-protocol violated")
            && diagram.contains("earlier ones)#59; a1: no reply to<br/>paxos_prepare"),
        "{diagram}"
    );
}

/// A process that dies says why: the last lines of its stderr (a traceback ends with the
/// exception) come with the fault, since nothing else of its stderr is shown.
#[test]
fn a_process_that_exits_is_reported_with_its_last_stderr_lines() {
    let (_, detail, _) = protocol_fault(
        "echo first >&2; echo 'RuntimeError: boom' >&2; exit 3",
        Duration::from_secs(5),
    );
    assert!(
        detail
            .contains("exited (exit status: 3; its stderr ended with: first | RuntimeError: boom)"),
        "{detail}"
    );
    // A Java stack trace ends with its frames: the exception line above them comes first.
    let (_, detail, _) = protocol_fault(
        "echo 'Exception in thread \"main\" java.lang.IllegalStateException: boom' >&2; \
         printf '\\tat A.deep(A.java:3)\\n\\tat A.deep(A.java:3)\\n\\tat A.main(A.java:9)\\n' >&2; \
         exit 1",
        Duration::from_secs(5),
    );
    assert!(
        detail.contains(
            "its stderr ended with: Exception in thread \"main\" \
             java.lang.IllegalStateException: boom | ... | \tat A.deep(A.java:3) | \
             \tat A.deep(A.java:3) | \tat A.main(A.java:9))"
        ),
        "{detail}"
    );
    // With no line naming an error, the last unindented one leads; with several, the
    // last (a root cause) does.
    let (_, detail, _) = protocol_fault(
        "echo 'state: 3 promises' >&2; printf '  a\\n  b\\n  c\\n' >&2; exit 1",
        Duration::from_secs(5),
    );
    assert!(
        detail.contains("its stderr ended with: state: 3 promises | ... |   a |   b |   c)"),
        "{detail}"
    );
    let (_, detail, _) = protocol_fault(
        "echo 'Error: outer' >&2; echo 'Caused by: IOError: disk' >&2; echo 'done' >&2; \
         printf '  a\\n  b\\n  c\\n' >&2; exit 1",
        Duration::from_secs(5),
    );
    assert!(
        detail.contains("its stderr ended with: Caused by: IOError: disk | ... |   a |"),
        "{detail}"
    );
    // Node ends its trace with a footer below the frames; the error above them leads.
    let (_, detail, _) = protocol_fault(
        "printf '/tmp/acceptor.js:9\\n  throw new Error(\"boom\")\\n\\n' >&2; \
         echo 'Error: boom: accept not implemented' >&2; \
         printf '    at onLine (/tmp/acceptor.js:9:9)\\n    at emit (node:events:519:28)\\n' >&2; \
         printf '\\nNode.js v20.20.2\\n' >&2; exit 1",
        Duration::from_secs(5),
    );
    assert!(
        detail.contains(
            "its stderr ended with: Error: boom: accept not implemented | ... |     \
             at onLine (/tmp/acceptor.js:9:9) |     at emit (node:events:519:28) | \
             Node.js v20.20.2)"
        ),
        "{detail}"
    );
}

/// A fault outside any request (here: the process will not start again after a crash)
/// has no ballot to name, and its headline says so rather than "at ballot 0.0".
#[test]
fn a_process_that_will_not_restart_is_a_finding_of_the_restart() {
    // Starts the node once per data directory; a restart finds the mark and exits.
    let cmd = format!(
        "if [ -e \"$PAXOS_DATA_DIR/started\" ]; then exit 4; fi; \
         touch \"$PAXOS_DATA_DIR/started\"; exec {NODE} node"
    );
    let report =
        campaign(crashy(), 300, true).run_with(&harness(&cmd, CrashMode::Restart), &|_, _| {});
    let first = report.first.expect("some execution restarts an acceptor");
    assert_eq!(first.violation.invariant, Invariant::AcceptorProtocol);
    let mut sim = Simulator::with(harness(&cmd, CrashMode::Restart), first.config);
    let mut events = Vec::new();
    let o = sim.run_seed(first.seed, Some(&mut events));
    assert!(
        matches!(events.last(), Some(paxos_safety::event::Event::Restart(_))),
        "{events:?}"
    );
    let headline = o.violation.unwrap().1.to_string();
    assert!(
        headline.contains("broke the wire protocol (") && !headline.contains("ballot"),
        "{headline}"
    );
    let detail = sim.detail().unwrap_or_default();
    assert!(detail.contains("exited (exit status: 4"), "{detail}");
}

/// A process that never answers `init` most likely does not know it must: the fault says
/// what `init` needs, and names the start-up limit rather than the reply timeout. Heavy
/// tier: it waits out the ten seconds a slow interpreter is given to start.
#[cfg(feature = "heavy")]
#[test]
fn a_process_that_never_answers_init_is_told_what_init_needs() {
    let (_, detail, kind) = protocol_fault("cat > /dev/null", Duration::from_millis(300));
    assert_eq!(kind, "start", "{detail}");
    assert!(
        detail.contains("no reply to init within 10.0 s of starting")
            && detail.contains("answer init_ok with in_reply_to 0"),
        "{detail}"
    );
}

#[test]
fn no_acceptor_process_outlives_its_execution() {
    let marker = marker("paxos-orphan-check");
    let cmd = format!("{} node --bug accept-below-promise", marker.display());
    {
        let h = harness(&cmd, CrashMode::Restart);
        let report = campaign(crashy(), 300, true).run_with(&h, &|_, _| {});
        assert!(report.first.is_some(), "the bad node is caught");
    }
    let left = processes_left(&marker);
    let _ = std::fs::remove_file(&marker);
    assert_eq!(
        left, 0,
        "acceptor processes left running after the campaign"
    );
}

#[test]
fn fuzz_writes_a_file_that_replay_reruns_on_fresh_processes() {
    let dir = std::env::temp_dir().join(format!("paxos-harness-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cmd = format!("{NODE} node --bug accept-below-promise");
    let args = [
        "--runs",
        "300",
        "--seed",
        "4",
        "--jobs",
        "1",
        "--stop-on-violation",
    ];
    let summary = fuzz_summary(&args, &dir, &cmd, 1);
    assert_eq!(summary["acceptor_cmd"], serde_json::json!(cmd));
    let first = &summary["first_violation"];
    // The first violation quotes the wire too. Its execution restarts a3 (step 32) before
    // a3 votes below its promise; under pause a restart keeps the process and its memory,
    // so the vote is the bug's doing and no restart lost any state.
    let said = first["explanation"].as_str().unwrap();
    assert!(
        said.contains("replied: {") && !said.contains("state lost on restart"),
        "{said}"
    );
    assert!(first["counterexample_explanation"]
        .as_str()
        .unwrap()
        .contains("replied: "));
    assert!(first["replay"].as_str().unwrap().contains("--acceptor-cmd"));
    let file = first["counterexample"].as_str().unwrap();
    assert!(file.contains("acceptor-seed-"), "{file}");
    let cx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(cx["acceptor_cmd"], serde_json::json!(cmd));
    // The file names its command: replay needs nothing else, and reruns it on fresh processes.
    let replay = std::process::Command::new(NODE)
        .args(["replay", file])
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(1));
    let text = String::from_utf8_lossy(&replay.stdout);
    // What the wire adds, the reply line that broke the rule, is in the trace's own
    // explanation, under the violating step.
    let said = text
        .lines()
        .find(|l| l.trim_start().starts_with("vote-above-promise violated"))
        .unwrap_or_else(|| panic!("no explanation line in {text}"));
    assert!(said.contains("replied: {"), "{said}");
    // And in the JSON rendering's summary, with the line on its own.
    let json = std::process::Command::new(NODE)
        .args(["replay", file, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let json = String::from_utf8_lossy(&json.stdout);
    let summary: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    let detail = summary["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("replied: {"), "{summary}");
    assert!(
        summary["explanation"].as_str().unwrap().ends_with(detail),
        "{summary}"
    );
    // The correct node survives the very same schedule.
    let correct = std::process::Command::new(NODE)
        .args(["replay", file, "--acceptor-cmd", NODE])
        .output()
        .unwrap();
    assert_eq!(
        correct.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&correct.stdout)
    );
    // The file's verdict is not repeated, and for processes the warning names why that
    // can be, first the flag that replaced the file's command, rather than blaming an
    // older version of the code.
    let warned = String::from_utf8_lossy(&correct.stderr);
    assert!(
        warned.contains(
            "but this replay finds no violation (you replaced what the file records with \
             --acceptor-cmd, which can change the verdict; or an acceptor process whose"
        ) && warned.contains("does not repeat its executions"),
        "{warned}"
    );
    // A relative command in a file runs from where it is replayed: when it does not start
    // there, the error says so rather than only that it failed.
    let mut moved = cx.clone();
    moved["acceptor_cmd"] = "./acceptors/not-here.py".into();
    let moved_file = dir.join("moved.json");
    std::fs::write(&moved_file, moved.to_string()).unwrap();
    let out = std::process::Command::new(NODE)
        .arg("replay")
        .arg(&moved_file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("the acceptor command does not work"), "{err}");
    assert!(
        err.contains("a relative path in it must be relative to here"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process that lost its state on a restart is a finding of `--acceptor-crash restart`
/// only: the file records the crash mode and the reply timeout, so `replay FILE` alone
/// finds it again, and a flag still overrides what the file says.
#[test]
fn a_file_found_under_restart_replays_under_restart() {
    let dir = std::env::temp_dir().join(format!("paxos-harness-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The grader node keeps its state in memory: a restart forgets it.
    let cmd = format!("{NODE} node");
    let args = ["--runs", "300", "--seed", "9", "--jobs", "1"];
    let restart = ["--acceptor-crash", "restart", "--reply-timeout", "4.5"];
    let summary = fuzz_summary(&[&args[..], &restart].concat(), &dir, &cmd, 1);
    // What `merge` compares: shards under pause and under restart are not one campaign.
    assert_eq!(summary["acceptor_crash"], "restart");
    assert_eq!(summary["reply_timeout"], 4.5);
    let first = &summary["first_violation"];
    let replay_line = first["replay"].as_str().unwrap();
    assert!(
        replay_line.contains("--acceptor-crash restart --reply-timeout 4.5"),
        "{replay_line}"
    );
    let file = first["counterexample"].as_str().unwrap();
    let cx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(cx["acceptor_crash"], "restart");
    assert_eq!(cx["reply_timeout_ms"], 4500);
    let replay = |extra: &[&str]| {
        let o = std::process::Command::new(NODE)
            .args(["replay", file])
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, text) = replay(&[]);
    assert_eq!(code, Some(1), "{text}");
    // The trace names the processes and does not claim to see their storage: a killed
    // process shows what it kept only in its next replies.
    let header =
        format!("acceptor processes `{cmd}` (crash mode restart) driven by the built-in proposers");
    assert!(text.lines().next().unwrap().ends_with(&header), "{text}");
    assert!(
        text.contains("crashes: its process is killed (its replies showed promise"),
        "{text}"
    );
    assert!(
        text.contains("restarts: a fresh process on its PAXOS_DATA_DIR"),
        "{text}"
    );
    assert!(
        !text.contains("on disk") && !text.contains("restarts with"),
        "{text}"
    );
    let (code, json) = replay(&["--format", "json"]);
    assert_eq!(code, Some(1), "{json}");
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["acceptor_cmd"], cmd.as_str());
    assert_eq!(summary["acceptor_crash"], "restart");
    let crashes: Vec<&serde_json::Value> = lines
        .iter()
        .filter_map(|l| l["changes"].as_array())
        .flatten()
        .filter(|c| c["kind"] == "acceptor-crashed" || c["kind"] == "acceptor-restarted")
        .collect();
    assert!(crashes.len() >= 2, "{json}");
    assert!(crashes.iter().all(|c| c["process"] == "restart"), "{json}");
    let (code, text) = replay(&["--acceptor-crash", "pause"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.lines().next().unwrap().contains("(crash mode pause)"),
        "{text}"
    );
    // The process's logs speak proposal_n: the header says how a trace's ballot maps to it.
    assert!(
        text.contains("proposal_n 16r+s on the wire (1.1 is 17, 2.1 is 33)"),
        "{text}"
    );
    assert!(
        text.contains("crashes: its process is held, memory and all"),
        "{text}"
    );
    assert!(
        text.contains("restarts: its process takes messages again, with its memory"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An acceptor command that fails the start-up check exits 4, not 2: a grader tells a
/// submission that cannot start from a slip in its own flags (which stays 2), and with
/// `--json` reads why from the last line.
#[test]
fn a_command_that_cannot_start_exits_4_and_says_why_in_json() {
    let out = std::process::Command::new(NODE)
        .args(["fuzz", "--runs", "10", "--acceptor-cmd", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the acceptor command does not work"), "{err}");
    let out = std::process::Command::new(NODE)
        .args(["fuzz", "--runs", "10", "--json", "--acceptor-cmd", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let j: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let why = j["acceptor_startup_failure"].as_str().unwrap();
    assert!(
        why.starts_with("the acceptor command does not work"),
        "{why}"
    );
    // The grader's own slip is still bad usage, with no JSON.
    let out = std::process::Command::new(NODE)
        .args([
            "fuzz",
            "--json",
            "--acceptor-cmd",
            "exit 7",
            "--acceptor-crash",
            "restrat",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// A config file sets up the acceptor processes as the flags do (`reply_timeout` in seconds,
/// as the flag), a flag overrides a key, and a slip in a key is a usage error that names
/// the acceptor keys too.
#[test]
fn a_config_file_sets_the_acceptor_command_crash_mode_and_reply_timeout() {
    let dir = std::env::temp_dir().join(format!("paxos-harness-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = format!("{NODE} node");
    let config = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let good = config(
        "acceptor.toml",
        &format!("acceptor_cmd = \"{cmd}\"\nacceptor_crash = \"restart\"\nreply_timeout = 1.5\n"),
    );
    let fuzz = |path: &std::path::Path, extra: &[&str]| {
        std::process::Command::new(NODE)
            .args([
                "fuzz", "--runs", "50", "--seed", "2", "--jobs", "1", "--json",
            ])
            .args(["--stop-on-violation", "--no-shrink", "--out-dir"])
            .arg(&dir)
            .arg("--config")
            .arg(path)
            .args(extra)
            .output()
            .unwrap()
    };
    let summary = |o: &std::process::Output| -> serde_json::Value {
        let out = String::from_utf8_lossy(&o.stdout);
        serde_json::from_str(out.lines().last().unwrap_or("")).unwrap()
    };
    // The node keeps its state in memory: under restart it forgets, and is caught.
    let o = fuzz(&good, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let s = summary(&o);
    assert_eq!(s["acceptor_cmd"], cmd.as_str());
    assert_eq!(s["acceptor_crash"], "restart");
    let replay = s["first_violation"]["replay"].as_str().unwrap();
    assert!(
        replay.ends_with("--acceptor-crash restart --reply-timeout 1.5"),
        "{replay}"
    );
    let o = fuzz(&good, &["--acceptor-crash", "pause"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(summary(&o)["acceptor_crash"], "pause");
    for (text, says) in [
        (
            "acceptor_crash = \"reboot\"\n",
            "acceptor_crash must be \"pause\" or \"restart\"",
        ),
        (
            "reply_timeout = 0\n",
            "reply_timeout must be a positive number",
        ),
        (
            "reply_timeout_ms = 100\n",
            "; also allowed, at the top level only (above any [section] in TOML): the \
             acceptor keys acceptor_cmd, acceptor_crash, reply_timeout",
        ),
        // An acceptor key in a section is not one: the error says where they go.
        (
            "[faults]\nacceptor_cmd = \"x\"\n",
            "unknown field `acceptor_cmd`, expected one of `drop_rate`",
        ),
        (
            "[faults]\nacceptor_cmd = \"x\"\n",
            "at the top level only (above any [section] in TOML)",
        ),
    ] {
        let o = fuzz(&config("bad.toml", &format!("acceptors = 3\n{text}")), &[]);
        assert_eq!(o.status.code(), Some(2), "{text}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{text}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An acceptor that refuses the first prepare of its life is refused before a campaign,
/// and the message quotes its line and names the likeliest cause.
#[test]
fn a_command_that_refuses_a_fresh_prepare_fails_the_start_up_check_quoting_its_line() {
    let nack = r#"while read l; do id=$(echo "$l" | sed -n 's/.*"msg_id": *\([0-9]*\).*/\1/p'); case "$l" in *'"init"'*) echo "{\"src\": \"a1\", \"dest\": \"c\", \"body\": {\"type\": \"init_ok\", \"in_reply_to\": $id}}";; *) echo "{\"src\": \"a1\", \"dest\": \"c\", \"body\": {\"type\": \"paxos_promise\", \"in_reply_to\": $id, \"promised\": false, \"highest_promised\": 1000}}";; esac; done"#;
    let out = std::process::Command::new(NODE)
        .args(["fuzz", "--runs", "10", "--acceptor-cmd", nack])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused the first prepare of a fresh acceptor (ballot 1.1, proposal_n 17)")
            && err.contains("(highest_promised 1000): `{\"src\": \"a1\"")
            && err.contains("PAXOS_DATA_DIR")
            && !err.contains("Nack"),
        "{err}"
    );
}

/// An acceptor-side bug of the zoo would change only the built-in acceptor, which the
/// processes replace: refused, not run and ignored. A proposer-side bug still applies, and
/// the node as the acceptor is caught by it.
#[test]
fn an_acceptor_side_bug_with_acceptor_processes_is_refused() {
    for bug in ["amnesia", "accept-below-promise", "no-promise-on-accept"] {
        let out = std::process::Command::new(NODE)
            .args(["fuzz", "--runs", "10", "--acceptor-cmd", NODE, "--bug", bug])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bug}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("--bug {bug} is an acceptor-side bug")),
            "{bug}: {err}"
        );
    }
    // Seed 2's first execution breaks it (seed 1's does not).
    let dir = std::env::temp_dir().join(format!("paxos-side-{}", std::process::id()));
    let out = std::process::Command::new(NODE)
        .args(["fuzz", "--runs", "1", "--seed", "2", "--acceptor-cmd", NODE])
        .args(["--bug", "no-adopt", "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ctrl_c_stops_a_process_campaign_and_leaves_no_process_behind() {
    let marker = marker("paxos-ctrlc-check");
    let out_dir = std::env::temp_dir().join(format!("paxos-ctrlc-out-{}", std::process::id()));
    let child = std::process::Command::new(NODE)
        .args([
            "fuzz",
            "--runs",
            "1000000",
            "--seed",
            "3",
            "--jobs",
            "2",
            "--quiet",
            "--out-dir",
        ])
        .arg(&out_dir)
        .args(["--acceptor-cmd", marker.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no violation"), "{stdout}");
    let left = processes_left(&marker);
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_dir_all(&out_dir);
    assert_eq!(left, 0, "acceptor processes left running after Ctrl-C");
}

/// A link to the node under a name no other test uses: the command lines of the processes
/// started through it carry the name, so they can be counted ([`processes_left`]). A link,
/// not a copy: a copy is open for writing while it is made, a process another test forks
/// meanwhile holds that open until it execs, and running the copy then fails with "text
/// file busy" (sh's exit 126), which made the Ctrl-C test fail now and then.
#[cfg(unix)]
fn marker(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    std::os::unix::fs::symlink(NODE, &path).unwrap();
    path
}

/// How many processes run `marker`, after giving killed ones a second to leave /proc.
fn processes_left(marker: &std::path::Path) -> usize {
    let marker = marker.to_str().unwrap();
    let count = || {
        std::fs::read_dir("/proc")
            .map(|d| {
                d.flatten()
                    .filter(|e| {
                        std::fs::read(e.path().join("cmdline"))
                            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let mut left = count();
    for _ in 0..50 {
        if left == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        left = count();
    }
    left
}

/// An acceptor command that counts its starts: `DIR/acceptor.sh` makes a file in
/// `DIR/starts` (emptied here, see [`empty_starts`]), then runs the shell code `body`.
/// [`starts`] counts them.
#[cfg(unix)]
fn counting_acceptor(dir: &std::path::Path, body: &str) -> String {
    empty_starts(dir);
    let script = dir.join("acceptor.sh");
    std::fs::write(
        &script,
        format!(
            "mktemp '{}/starts/s.XXXXXX' > /dev/null\n{body}\n",
            dir.display()
        ),
    )
    .unwrap();
    format!("sh {}", script.display())
}

/// Forgets the starts counted so far in `dir` (see [`counting_acceptor`]).
#[cfg(unix)]
fn empty_starts(dir: &std::path::Path) {
    let _ = std::fs::remove_dir_all(dir.join("starts"));
    std::fs::create_dir_all(dir.join("starts")).unwrap();
}

/// How many times the acceptor of [`counting_acceptor`] in `dir` started.
#[cfg(unix)]
fn starts(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("starts")).unwrap().count()
}

/// A Ctrl-C that comes while the first violation is being shrunk (the campaign over) stops
/// the shrinking and keeps the shortest list found by then: the file is written, replays
/// to a violation, and the report says it was cut short. The acceptor command counts its
/// own starts: a first run with `--no-shrink` says how many the campaign makes, and in the
/// second run a start past that many (a shrinking candidate's) raises a flag on which the
/// test sends SIGINT, while each such start waits a little so that shrinking outlasts it.
#[cfg(unix)]
#[test]
fn ctrl_c_while_shrinking_keeps_the_shortest_list_found() {
    let dir = std::env::temp_dir().join(format!("paxos-ctrlc-shrink-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display();
    let run = |threshold: usize, extra: &[&str]| {
        let cmd = counting_acceptor(
            &dir,
            &format!(
                "if [ \"$(ls '{d}/starts' | wc -l)\" -gt {threshold} ]; then\n\
                 \x20 mkdir '{d}/signal' 2> /dev/null; sleep 0.2\n\
                 fi\n\
                 exec {NODE} node --bug accept-below-promise"
            ),
        );
        let args = [&["--runs", "20", "--seed", "4", "--jobs", "1"], extra].concat();
        fuzz_command(&args, &dir.join("out"), &cmd)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let starts = || starts(&dir);
    let campaign = run(usize::MAX >> 1, &["--no-shrink"])
        .wait_with_output()
        .unwrap();
    assert_eq!(
        campaign.status.code(),
        Some(1),
        "the campaign finds the bug"
    );
    // The next run's script starts counting afresh.
    let threshold = starts() + 10;

    let mut child = run(threshold, &[]);
    while !dir.join("signal").exists() {
        // A fuzz that ended before raising the flag never shrank with processes.
        assert!(
            child.try_wait().unwrap().is_none(),
            "fuzz ended before shrinking started a process"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        summary["runs"], 20,
        "the campaign itself ran whole: {stdout}"
    );
    let first = &summary["first_violation"];
    assert_eq!(first["shrink_interrupted"], true, "{stdout}");
    let (before, after) = (
        first["events_before_shrink"].as_u64().unwrap(),
        first["events_after_shrink"].as_u64().unwrap(),
    );
    assert!(after <= before, "{stdout}");
    let file = first["counterexample"].as_str().unwrap();
    let replay = std::process::Command::new(NODE)
        .args(["replay", file, "--acceptor-cmd"])
        .arg(format!("{NODE} node --bug accept-below-promise"))
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(1), "the kept list still fails");
    // It stopped: after the flag, only the executions in hand and the file's own replays
    // started processes, three and three spares each (25 to 27 when measured; shrinking
    // on to the end started 600, and 212 when a Ctrl-C that came during the scan for
    // more failing executions did not stop the shrink that followed).
    let after_flag = starts() - threshold;
    eprintln!("processes started after the flag: {after_flag}");
    assert!(
        after_flag <= 60,
        "shrinking went on after Ctrl-C: {after_flag} starts"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ctrl-C twice: the first stops the campaign, whose first violation is then shrunk on
/// fresh processes (minutes for a slow acceptor); the second stops that shrinking, and
/// the summary and the shortest list found by then are still written, exit 1. It used to
/// end the process at once, with status 130 ("nothing found") and no file. The acceptor
/// command counts its starts, so that each Ctrl-C comes at a known stage.
#[cfg(unix)]
#[test]
fn ctrl_c_twice_keeps_the_violation_found() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("paxos-ctrlc-twice-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cmd = counting_acceptor(
        &dir,
        &format!("sleep 0.05\nexec {NODE} node --bug accept-below-promise"),
    );
    let starts = || starts(&dir);
    let args = ["--runs", "5000", "--seed", "4", "--jobs", "1"];
    let mut child = fuzz_command(&args, &dir.join("out"), &cmd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (said, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = said.send(line);
        }
    });
    let sigint = |pid: u32| {
        std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap()
    };
    let wait_for = |n: usize, child: &mut std::process::Child| {
        while starts() < n {
            assert!(child.try_wait().unwrap().is_none(), "fuzz ended early");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    // `--runs 20 --seed 4` finds the bug (the Ctrl-C test above): 30 executions in.
    wait_for(3 * 30, &mut child);
    sigint(child.id());
    let mut stderr_seen = Vec::new();
    loop {
        let line = heard
            .recv_timeout(Duration::from_secs(60))
            .expect("fuzz says it shrinks");
        let shrinking = line.starts_with("shrinking the first violation");
        stderr_seen.push(line);
        if shrinking {
            break;
        }
    }
    let at = starts();
    wait_for(at + 15, &mut child);
    sigint(child.id());
    let out = child.wait_with_output().unwrap();
    stderr_seen.extend(heard.try_iter());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr_seen:?}");
    assert!(
        !stderr_seen.iter().any(|l| l.contains("exiting at once")),
        "{stderr_seen:?}"
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true, "{stdout}");
    let first = &summary["first_violation"];
    assert_eq!(first["shrink_interrupted"], true, "{stdout}");
    let file = first["counterexample"].as_str().unwrap();
    assert!(std::path::Path::new(file).exists(), "{file}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Ctrl-C more than the work heeds exits at once, and with status 1 once the campaign
/// has found a violation: "nothing found" (130) would be a lie, though nothing more is
/// written. Here the acceptor accepts below its promise (found 30 executions in at
/// `--seed 4`) and then hangs from its 121st start on, so that the campaign is stuck when
/// both Ctrl-Cs come: the first asks it to stop, the second is one more than it heeds. The
/// hang must be in an execution, not only in the spares started for the next one (a
/// campaign stopped there would shrink and heed the second Ctrl-C): processes stop
/// starting when an execution waits on one, so the test waits for that.
#[cfg(unix)]
#[test]
fn a_ctrl_c_more_than_heeded_after_a_violation_exits_1() {
    let dir = std::env::temp_dir().join(format!("paxos-ctrlc-found-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.display();
    let cmd = counting_acceptor(
        &dir,
        &format!(
            "if [ \"$(ls '{d}/starts' | wc -l)\" -gt 120 ]; then exec sleep 60; fi\n\
             exec {NODE} node --bug accept-below-promise"
        ),
    );
    let args = [
        "--runs",
        "5000",
        "--seed",
        "4",
        "--jobs",
        "1",
        "--reply-timeout",
        "60",
    ];
    let mut child = fuzz_command(&args, &dir.join("out"), &cmd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut seen, mut still) = (0, 0);
    while seen <= 120 || still < 100 {
        assert!(child.try_wait().unwrap().is_none(), "fuzz ended early");
        std::thread::sleep(Duration::from_millis(10));
        let now = starts(&dir);
        still = if now == seen { still + 1 } else { 0 };
        seen = now;
    }
    let sigint = || {
        std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
    };
    sigint();
    // Apart by more than the burst that counts as one Ctrl-C.
    std::thread::sleep(Duration::from_millis(500));
    sigint();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("exiting at once (a violation was found: exit 1"),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("first_violation"),
        "nothing more is written"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Shrinking on acceptor processes takes minutes, and says where it is as the campaign
/// does: every `--log-every` seconds where stderr is not a terminal. It used to say
/// nothing from "shrinking the first violation" to the report.
#[test]
fn shrinking_on_processes_logs_where_it_is() {
    let dir = std::env::temp_dir().join(format!("paxos-shrink-log-{}", std::process::id()));
    let cmd = format!("{NODE} node --bug accept-below-promise");
    let args = [
        "--runs",
        "20",
        "--seed",
        "4",
        "--jobs",
        "1",
        "--log-every",
        "0.1",
    ];
    let out = fuzz_command(&args, &dir, &cmd).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let shrinking: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("shrink [") && l.contains("] shrinking "))
        .collect();
    assert!(
        shrinking
            .iter()
            .any(|l| l.contains(" of 3: ") && l.contains(" replays, shortest ")),
        "{stderr}"
    );
    // `--quiet` asks for the violation and the verdict only, in a log too.
    let quiet = [&args[..], &["--quiet"]].concat();
    let out = fuzz_command(&quiet, &dir, &cmd).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("shrink ["), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--log-every` keeps its period with slow executions: the campaign tells its progress
/// every 16 executions, not only after each chunk of 256, which with acceptor processes
/// took minutes (one log line for a 100-run campaign, at its end).
#[test]
fn a_slow_campaign_logs_at_its_period() {
    let slow = format!("sleep 0.02; exec {NODE} node");
    let out = std::process::Command::new(NODE)
        .args(["fuzz", "--runs", "100", "--jobs", "1", "--seed", "1"])
        .args(["--log-every", "0.2", "--acceptor-cmd", &slow])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let logged: Vec<&str> = err.lines().filter(|l| l.contains("/100 runs")).collect();
    assert!(logged.len() >= 3, "{err}");
    // Counts below the whole campaign's: they came from within its only chunk.
    assert!(!logged[0].contains(" 100/100 runs"), "{err}");
}

/// An acceptor process under a `cargo test` property, as a user would put theirs: the
/// correct node holds for every generated execution, and a known-bad one fails with the
/// whole counterexample file in the message. That file names the command, so `paxos-safety
/// replay FILE` alone reruns it on fresh processes, and the correct node passes its schedule.
#[test]
fn a_process_acceptor_under_proptest_fails_with_a_file_that_replays() {
    use paxos_safety::strategy;
    use proptest::test_runner::{Config as RunnerConfig, TestError, TestRng, TestRunner};
    let runner = |cases| {
        let config = RunnerConfig {
            cases,
            failure_persistence: None,
            ..RunnerConfig::default()
        };
        let rng = TestRng::deterministic_rng(config.rng_algorithm);
        TestRunner::new_with_rng(config, rng)
    };
    let executions = || strategy::executions(strategy::cluster(Config::default()));
    let correct = harness(&format!("{NODE} node"), CrashMode::Pause);
    runner(32)
        .run(&executions(), |e| {
            strategy::check_with(&correct, &e).map(|_| ())
        })
        .expect("the reference node holds");

    let bad = harness(
        &format!("{NODE} node --bug accept-below-promise"),
        CrashMode::Pause,
    );
    let message = match runner(256).run(&executions(), |e| {
        strategy::check_with(&bad, &e).map(|_| ())
    }) {
        Err(TestError::Fail(reason, _)) => reason.message().to_string(),
        other => panic!("accept-below-promise was not caught: {other:?}"),
    };
    eprintln!("{}", message.lines().next().unwrap_or_default());
    assert!(
        message.contains("replay it with `paxos-safety replay FILE`"),
        "{message}"
    );
    let json = message
        .split_once("the counterexample file:\n")
        .expect("the message carries the file")
        .1;
    let cx: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        cx["acceptor_cmd"],
        format!("{NODE} node --bug accept-below-promise")
    );
    assert_eq!(cx["acceptor_crash"], "pause");
    assert_eq!(cx["reply_timeout_ms"], 5000);
    let path = std::env::temp_dir().join(format!("paxos-proptest-cx-{}.json", std::process::id()));
    std::fs::write(&path, json).unwrap();
    let replay = |extra: &[&str]| {
        std::process::Command::new(NODE)
            .arg("replay")
            .arg(&path)
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(replay(&[]), Some(1), "the file replays to its violation");
    assert_eq!(
        replay(&["--acceptor-cmd", NODE]),
        Some(0),
        "the correct node survives it"
    );
    // The events are as proptest left them; `replay --shrink` shrinks them once, and the
    // file it writes names the processes too.
    let short = path.with_extension("short.json");
    let short_arg = short.to_str().unwrap();
    assert_eq!(
        replay(&["--shrink", "--write-counterexample", short_arg]),
        Some(1)
    );
    let shrunk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&short).unwrap()).unwrap();
    assert_eq!(shrunk["acceptor_cmd"], cx["acceptor_cmd"]);
    assert_eq!(shrunk["reply_timeout_ms"], 5000);
    let (before, after) = (
        cx["events"].as_array().unwrap().len(),
        shrunk["events"].as_array().unwrap().len(),
    );
    eprintln!("replay --shrink: {before} -> {after} events");
    assert!(after < before, "{before} -> {after}");
    let out = std::process::Command::new(NODE)
        .arg("replay")
        .arg(&short)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the shrunk file fails on the processes"
    );
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&short);
}

/// `replay` runs an execution of processes once: the trace is drawn from the run that gives
/// the verdict, not from a second run of its events (which cost a second set of processes
/// and, for an acceptor that hangs, a second reply timeout), and with no spare process
/// started for a next execution that never comes. The acceptor command counts its
/// starts: the start-up check's one, then the execution's three acceptors (10 when the
/// trace ran the events again, with spares; 7 without the second run).
#[cfg(unix)]
#[test]
fn replay_starts_the_processes_of_one_execution() {
    let dir = std::env::temp_dir().join(format!("paxos-replay-once-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bad = format!("{NODE} node --bug accept-below-promise");
    let counted = counting_acceptor(&dir, &format!("exec {bad}"));
    // Counted and forgotten, so that each replay counts its own.
    let starts = || {
        let n = starts(&dir);
        empty_starts(&dir);
        n
    };
    let args = ["--runs", "50", "--seed", "3", "--jobs", "1", "--no-shrink"];
    let pause = ["--acceptors", "3", "--acceptor-crash", "pause"];
    let summary = fuzz_summary(&[&args[..], &pause].concat(), &dir, &bad, 1);
    let first = &summary["first_violation"];
    let file = first["counterexample"].as_str().unwrap();
    let replay = std::process::Command::new(NODE)
        .args(["replay", file, "--acceptor-cmd", &counted])
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(1), "the file still fails");
    assert_eq!(starts(), 1 + 3, "processes started by replay FILE");
    // The seed's own replay command, with the counted command in place of the node.
    let command = first["replay"].as_str().unwrap();
    let (head, quoted) = command.split_once(" --acceptor-cmd '").unwrap();
    let (_, tail) = quoted.split_once('\'').unwrap();
    let args: Vec<&str> = head
        .split_whitespace()
        .skip(1)
        .chain(tail.split_whitespace())
        .collect();
    let replay = std::process::Command::new(NODE)
        .args(&args)
        .args(["--acceptor-cmd", &counted])
        .output()
        .unwrap();
    assert_eq!(
        replay.status.code(),
        Some(1),
        "{command}: {}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert_eq!(starts(), 1 + 3, "processes started by {command}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `replay FILE --shrink` on processes that start slowly: a Ctrl-C stops the shrinking,
/// and the shortest list found by then is shown, said to be cut short, and still fails.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_replay_shrink_and_shows_the_list_by_then() {
    let dir = std::env::temp_dir().join(format!("paxos-replay-shrink-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bad = format!("{NODE} node --bug accept-below-promise");
    let args = ["--runs", "50", "--seed", "3", "--jobs", "1", "--no-shrink"];
    let summary = fuzz_summary(&args, &dir, &bad, 1);
    let file = summary["first_violation"]["counterexample"]
        .as_str()
        .unwrap()
        .to_string();
    let slow = format!("sleep 0.1; exec {bad}");
    let child = std::process::Command::new(NODE)
        .args(["replay", &file, "--shrink", "--acceptor-cmd", &slow])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("; interrupted by Ctrl-C: the shortest found by then)"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\n!! "));
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `--no-shrink` the counterexample is the first violation, already said: the text
/// does not go on to quote a "shrunk counterexample" that was never shrunk.
#[test]
fn an_unshrunk_process_finding_is_not_called_shrunk() {
    let dir = std::env::temp_dir().join(format!("paxos-no-shrink-{}", std::process::id()));
    let bad = format!("{NODE} node --bug accept-below-promise");
    let out = std::process::Command::new(NODE)
        .args([
            "fuzz",
            "--runs",
            "50",
            "--seed",
            "3",
            "--jobs",
            "1",
            "--no-shrink",
        ])
        .args(["--acceptor-cmd", &bad, "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("  not shrunk: "), "{text}");
    assert!(!text.contains("shrunk counterexample"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A script sorting findings reads the kind of an acceptor fault from the JSON, in fuzz's
/// summary and in replay's, rather than from the sentence.
#[test]
fn the_kind_of_an_acceptor_fault_is_in_the_json() {
    if !python() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("paxos-fault-kind-{}", std::process::id()));
    let cmd = format!(
        "python3 {}/tests/acceptors/protocol_faults.py two-lines",
        root()
    );
    let out = std::process::Command::new(NODE)
        .args([
            "fuzz",
            "--runs",
            "3",
            "--seed",
            "1",
            "--jobs",
            "1",
            "--json",
            "--no-shrink",
        ])
        .args(["--acceptor-cmd", &cmd, "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let j: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let fv = &j["first_violation"];
    assert_eq!(fv["invariant"], "acceptor-protocol", "{fv}");
    assert_eq!(fv["acceptor_fault"], "extra-line", "{fv}");
    let replayed = std::process::Command::new(NODE)
        .args([
            "replay",
            fv["counterexample"].as_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&replayed.stdout);
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["acceptor_fault"], "extra-line", "{summary}");
    // The faulty step's line does not say the acceptor "changes nothing": the finding
    // below it says what it did.
    let text = std::process::Command::new(NODE)
        .args(["replay", fv["counterexample"].as_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    let faulty = text
        .lines()
        .find(|l| l.starts_with("!!"))
        .expect("the faulty step");
    assert!(!faulty.contains("changes nothing"), "{text}");
    // A finding that is not a fault has none.
    let out = std::process::Command::new(NODE)
        .args([
            "fuzz",
            "--runs",
            "50",
            "--seed",
            "3",
            "--jobs",
            "1",
            "--json",
            "--no-shrink",
        ])
        .args([
            "--acceptor-cmd",
            &format!("{NODE} node --bug accept-below-promise"),
        ])
        .arg("--out-dir")
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let j: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_ne!(j["first_violation"]["invariant"], "acceptor-protocol");
    assert_eq!(
        j["first_violation"]["acceptor_fault"],
        serde_json::Value::Null
    );
    let _ = std::fs::remove_dir_all(&dir);
}
