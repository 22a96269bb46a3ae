//! `paxos-safety replay` through the real binary, and the three trace renderings.
//!
//! The golden diagrams `tests/golden/zoo-BUG.mmd` pin the Mermaid rendering of each zoo
//! bug's committed counterexample, and a test checks that each shows its cause at the step
//! where it happens (`tests/suite/browser.rs` draws them all in Chromium). The golden files in
//! `tests/golden/` also pin each rendering byte for byte for two recorded executions: `no-adopt.json` (seed 6 of `--bug no-adopt`, an immutability violation) and
//! `faults.json` (a hand-written safe execution with every kind of event: drop, duplicate,
//! acceptor and proposer crashes and restarts, adoption, a refusal). After an intended change
//! to a rendering, regenerate them with `UPDATE_GOLDEN=1 cargo test --test suite replay::` and read
//! the diff.
//!
//! The Mermaid output is checked twice: by a strict grammar of what the renderer may emit
//! (always), and by Mermaid's own parser under Node when it is installed
//! (`npm ci --prefix tests/mermaid`); without it that test says so on stderr and passes.
// Tests print what they measured or skipped to the harness, a terminal.
#![allow(clippy::disallowed_macros)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use paxos_safety::bug::Bug;
use paxos_safety::config::Config;
use paxos_safety::counterexample::Counterexample;
use paxos_safety::execution::Simulator;
use paxos_safety::render::{Format, Trace};

const BIN: &str = env!("CARGO_BIN_EXE_paxos-safety");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs the binary in the crate root (so relative golden paths work) and returns its exit
/// code, stdout and stderr.
fn replay(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .arg("replay")
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8(stderr).expect("stderr is UTF-8");
    assert!(
        !stderr.contains("panicked"),
        "replay {args:?} panicked: {stderr}"
    );
    (
        status
            .code()
            .expect("the binary exits, not killed by a signal"),
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr,
    )
}

/// A scratch directory for this test, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(ROOT).join("tests/golden").join(name)
}

const FORMATS: [(&str, &str); 3] = [("text", "txt"), ("json", "jsonl"), ("mermaid", "mmd")];

#[test]
fn renderings_match_the_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (cx, status) in [("no-adopt", 1), ("faults", 0)] {
        let file = format!("tests/golden/{cx}.json");
        for (format, ext) in FORMATS {
            let (code, out, err) = replay(&[&file, "--format", format]);
            assert_eq!(code, status, "{file} --format {format}: {err}");
            let golden = golden_path(&format!("{cx}.{ext}"));
            if update {
                std::fs::write(&golden, &out).expect("golden written");
                continue;
            }
            let want = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
                panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", golden.display())
            });
            assert!(
                out == want,
                "{file} --format {format} differs from {}; if the change is intended, \
                 regenerate with UPDATE_GOLDEN=1 and read the diff.\n--- got\n{out}",
                golden.display()
            );
        }
    }
}

#[test]
fn the_golden_counterexample_is_the_violation_of_its_seed() {
    // The file was written by `replay --seed 6 --bug no-adopt --write-counterexample`; the
    // seed still produces it, and the file names what it breaks.
    let (code, by_seed, _) = replay(&["--seed", "6", "--bug", "no-adopt"]);
    assert_eq!(code, 1);
    let (_, by_file, _) = replay(&["tests/golden/no-adopt.json"]);
    assert_eq!(by_seed, by_file);
    let cx = std::fs::read_to_string(golden_path("no-adopt.json")).unwrap();
    assert!(cx.contains("\"invariant\": \"immutability\""));
    assert!(by_file.contains("!! 19  deliver a3->p2 promise 1.2 voted 1.1=v1"));
    assert!(by_file
        .contains("immutability violated: v2 at ballot 1.2 after v1 was chosen at ballot 1.1"));
    assert!(by_file.ends_with(
        "# summary: 19 steps, ending violation, chosen v1 at 1.1, \
         verdict: immutability violated at step 19\n"
    ));
}

#[test]
fn replay_by_seed_is_deterministic() {
    for format in ["text", "json", "mermaid"] {
        let args = [
            "--seed",
            "12345",
            "--bug",
            "no-adopt",
            "--acceptors",
            "5",
            "--format",
            format,
        ];
        let first = replay(&args);
        let second = replay(&args);
        assert_eq!(first, second, "--format {format}");
        assert!(first.1.len() > 100, "a real trace: {}", first.1);
    }
}

#[test]
fn a_seed_becomes_a_file_that_replays_to_the_same_violation() {
    let dir = scratch("seed-to-file");
    let file = dir.join("cx.json");
    let file = file.to_str().unwrap();
    let (code, by_seed, err) = replay(&[
        "--seed",
        "3",
        "--bug",
        "no-adopt",
        "--write-counterexample",
        file,
    ]);
    assert_eq!(code, 1, "{err}");
    let (code, by_file, err) = replay(&[file]);
    assert_eq!(code, 1, "the file reproduces the violation: {err}");
    assert_eq!(by_seed, by_file);
    assert_eq!(
        err, "",
        "the file's recorded verdict matches, so no warning"
    );
    let saved = std::fs::read_to_string(file).unwrap();
    assert!(saved.contains("\"seed\": 3") && saved.contains("\"step\": 22"));
}

/// `--shrink` shows and saves the shortest list it finds that still breaks an invariant,
/// from a seed or a file alike, and says how far it got; a safe execution has nothing to
/// shrink.
#[test]
fn shrink_cuts_a_seed_or_a_file_to_a_shorter_list_that_still_fails() {
    let dir = scratch("shrink");
    let long = dir.join("long.json");
    let short = dir.join("short.json");
    let (long, short) = (long.to_str().unwrap(), short.to_str().unwrap());
    let (code, _, _) = replay(&[
        "--seed",
        "6",
        "--bug",
        "no-adopt",
        "--write-counterexample",
        long,
    ]);
    assert_eq!(code, 1);
    let (code, shrunk, err) = replay(&[long, "--shrink", "--write-counterexample", short]);
    assert_eq!(code, 1, "{err}");
    let events = |path: &str| -> usize {
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        file["events"].as_array().unwrap().len()
    };
    let (before, after) = (events(long), events(short));
    assert!(after < before, "{before} -> {after}");
    assert!(
        err.contains(&format!("shrunk: {before} -> {after} events (")),
        "{err}"
    );
    assert!(err.contains(&format!("({after} events, shrunk)")), "{err}");
    // What was shown is what was saved, and it replays to the same verdict.
    let (code, from_short, _) = replay(&[short]);
    assert_eq!(code, 1);
    assert_eq!(from_short, shrunk);
    // The seed shrinks to the same list as its file.
    let (code, by_seed, _) = replay(&["--seed", "6", "--bug", "no-adopt", "--shrink"]);
    assert_eq!(
        (code, by_seed.lines().skip(1).collect::<Vec<_>>()),
        (1, shrunk.lines().skip(1).collect())
    );
    let (code, _, err) = replay(&["--seed", "1", "--shrink"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("nothing to shrink: no invariant broke"),
        "{err}"
    );
}

#[test]
fn every_bug_zoo_counterexample_replays_to_its_recorded_violation() {
    // tests/counterexamples/ holds one shrunk counterexample per classic bug, written by
    // `fuzz`. Replay reproduces each: exit 1, the recorded invariant (a mismatch would be
    // warned about on stderr), and a Mermaid diagram within the strict grammar.
    let dir = Path::new(ROOT).join("tests/counterexamples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    assert!(!files.is_empty(), "no counterexamples in {}", dir.display());
    for file in &files {
        let path = file.to_str().unwrap();
        let (code, out, err) = replay(&[path]);
        assert_eq!(code, 1, "{path}: {err}");
        assert_eq!(err, "", "{path}");
        assert!(out.contains("\n!! "), "{path}: no step marked\n{out}");
        // The trace explains the violation as the file does (for amnesia, with the
        // restart that lost the state).
        let cx: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        // Under the violating step, it starts where that step's event does.
        let said = cx["explanation"].as_str().unwrap();
        let marked = out.lines().find(|l| l.starts_with("!! ")).unwrap();
        let event_at = marked.find("  ").unwrap() + 2;
        let line = format!("{}{said}", " ".repeat(event_at));
        assert!(
            out.lines().any(|l| l == line),
            "{path}: the trace does not say {line:?}\n{out}"
        );
        let (_, mermaid, _) = replay(&[path, "--format", "mermaid"]);
        check_mermaid(&mermaid).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

#[test]
fn a_correct_protocol_run_exits_0() {
    for seed in ["6", "7", "8"] {
        let (code, out, err) = replay(&["--seed", seed]);
        assert_eq!(code, 0, "seed {seed}: {err}");
        assert!(
            out.contains("correct protocol") && out.contains("verdict: safe, every invariant held"),
            "{out}"
        );
        assert!(!out.contains("!!"));
    }
}

#[test]
fn out_writes_the_rendering_and_fences_markdown() {
    let dir = scratch("out");
    let (_, mermaid, _) = replay(&["tests/golden/no-adopt.json", "--format", "mermaid"]);
    let md = dir.join("trace.md");
    let (code, said, err) = replay(&[
        "tests/golden/no-adopt.json",
        "--format",
        "mermaid",
        "--out",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(said.starts_with("wrote ") && said.contains("verdict: immutability violated"));
    let written = std::fs::read_to_string(&md).unwrap();
    assert_eq!(written, format!("```mermaid\n{mermaid}```\n"));

    let plain = dir.join("trace.mmd");
    replay(&[
        "tests/golden/no-adopt.json",
        "--format",
        "mermaid",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), mermaid);
}

/// Asserts exit status 2 with a message on stderr that contains every one of `needles`.
fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let (code, out, err) = replay(args);
    assert_eq!(code, 2, "replay {args:?}: stdout {out} stderr {err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "replay {args:?}: stderr lacks {needle:?}: {err}"
        );
    }
}

#[test]
fn bad_files_exit_2_with_a_clear_message() {
    let dir = scratch("bad-files");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let good = std::fs::read_to_string(golden_path("no-adopt.json")).unwrap();

    let missing = dir.join("missing.json");
    assert_usage_error(
        &[missing.to_str().unwrap()],
        &["missing.json", "No such file"],
    );

    let not_json = write("not-json.json", "hello");
    assert_usage_error(
        &[&not_json],
        &["not-json.json", "not a counterexample file"],
    );

    // A value edited by hand to the wrong type: the error names its key and line.
    let bad_value = write(
        "bad-value.json",
        &good.replacen("\"acceptors\": 3", "\"acceptors\": \"three\"", 1),
    );
    assert_usage_error(
        &[&bad_value],
        &[
            "not a counterexample file: config.acceptors: invalid type: string \"three\"",
            "line 4",
        ],
    );

    let unknown = write(
        "unknown-event.json",
        &good.replacen("\"timeout p1\"", "\"teleport p1\"", 1),
    );
    assert_usage_error(&[&unknown], &["event 1", "'teleport p1' is not an event"]);

    // Event 3 delivers a prepare to a3 that was never sent: p2 has not started a ballot yet.
    let disabled = write(
        "not-enabled.json",
        &good.replacen(
            "\"deliver p1->a3 prepare 1.1\"",
            "\"deliver p2->a3 prepare 1.2\"",
            1,
        ),
    );
    assert_usage_error(
        &[&disabled],
        &["event 3 ('deliver p2->a3 prepare 1.2') is not enabled after step 2:"],
    );

    let format = write(
        "format.json",
        &good.replace(
            "paxos-safety-counterexample/1",
            "paxos-safety-counterexample/9",
        ),
    );
    assert_usage_error(&[&format], &["unknown format"]);

    let config = write(
        "config.json",
        &good.replacen("\"acceptors\": 3", "\"acceptors\": 99", 1),
    );
    assert_usage_error(&[&config], &["--acceptors must be 1..=15"]);
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    let file = "tests/golden/no-adopt.json";
    assert_usage_error(&[], &["--seed"]);
    assert_usage_error(&[file, "--seed", "3"], &["cannot be used with"]);
    assert_usage_error(&[file, "--acceptors", "5"], &["cannot be used with"]);
    assert_usage_error(&[file, "--drop-rate", "5"], &["cannot be used with"]);
    assert_usage_error(&["--seed", "x"], &["invalid value 'x'"]);
    assert_usage_error(
        &["--seed", "1", "--format", "xml"],
        &["invalid value 'xml'"],
    );
    assert_usage_error(
        &["--seed", "1", "--acceptors", "99"],
        &["--acceptors must be 1..=15"],
    );
    assert_usage_error(&["--seed", "1", "--bug", "nope"], &["unknown bug 'nope'"]);
    assert_usage_error(
        &["--seed", "1", "--q2", "9"],
        &["--q2 must be 1..=3 (the number of acceptors), got 9"],
    );
    // --out creates missing directories, but not under a file.
    let file = std::env::temp_dir().join(format!("paxos-safety-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let under_file = file.join("trace.txt");
    let under = under_file.to_str().unwrap();
    assert_usage_error(
        &["--seed", "1", "--out", under],
        &["--out", "paxos-safety-not-a-dir"],
    );
    std::fs::remove_file(&file).ok();
}

#[test]
fn help_shows_examples() {
    let out = Command::new(BIN)
        .args(["replay", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Examples:") && help.contains("--write-counterexample"));
    assert!(help.contains("paxos-safety replay no-adopt.json --format mermaid --out"));
}

/// Traces of many executions: every bug (and none), a spread of seeds and cluster sizes,
/// so that every kind of step and change shows up somewhere.
fn sample_traces() -> Vec<(String, Trace)> {
    let mut traces = Vec::new();
    for bug in std::iter::once(None).chain(Bug::ALL.map(Some)) {
        for (acceptors, proposers) in [(3, 2), (5, 3), (1, 1)] {
            let config = Config {
                acceptors,
                proposers,
                bug,
                ..Config::default()
            };
            let mut sim = Simulator::new(config);
            for seed in 0..12 {
                let mut events = Vec::new();
                let outcome = sim.run_seed(seed, Some(&mut events));
                let trace = Trace::new(&config, Some(seed), &outcome, &events)
                    .unwrap_or_else(|e| panic!("{config:?} seed {seed}: {e}"));
                let bug = bug.map_or("correct".to_string(), |b| b.to_string());
                traces.push((format!("{bug}-{acceptors}a{proposers}p-{seed}"), trace));
            }
        }
    }
    traces
}

#[test]
fn the_renderer_agrees_with_the_simulator_on_every_sampled_execution() {
    // Trace::new re-steps each execution and refuses when its verdict differs from the
    // simulator's; sample_traces panics on any refusal.
    let traces = sample_traces();
    assert!(traces.iter().any(|(_, t)| t.violation.is_some()));
    assert!(traces.iter().any(|(_, t)| t.violation.is_none()));
}

#[test]
fn json_lines_have_every_documented_field_in_order() {
    const STEP: [&str; 14] = [
        "type",
        "step",
        "event",
        "kind",
        "node",
        "src",
        "dst",
        "msg",
        "ballot",
        "value",
        "voted",
        "promised",
        "changes",
        "violation",
    ];
    const SUMMARY: [&str; 10] = [
        "type",
        "steps",
        "ending",
        "chosen",
        "verdict",
        "invariant",
        "violation_step",
        "explanation",
        "seed",
        "config",
    ];
    // The documented fields of each reason a `no-effect` change gives.
    const NO_EFFECT_FIELDS: [(&str, &[&str]); 10] = [
        ("below-promise", &["promised"]),
        ("promised-already", &["ballot"]),
        ("voted-already", &["ballot", "value"]),
        ("decided", &[]),
        ("other-ballot", &["running"]),
        ("past-phase-1", &["ballot"]),
        ("counted-already", &["from", "ballot", "vote"]),
        ("other-value", &["proposal"]),
        ("nacked", &["promised", "next_ballot"]),
        ("unexplained", &[]),
    ];
    let mut kinds = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for (name, trace) in sample_traces() {
        let text = trace.render(Format::Json);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), trace.steps.len() + 1, "{name}");
        for (i, line) in lines.iter().enumerate() {
            let obj: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            if i + 1 < lines.len() {
                assert_eq!(keys, STEP, "{name}: {line}");
                assert_eq!(obj["step"], i + 1);
                for change in obj["changes"].as_array().unwrap() {
                    let change = change.as_object().unwrap();
                    let keys: Vec<&String> = change.keys().collect();
                    assert_eq!(keys.first().map(|k| k.as_str()), Some("kind"), "{line}");
                    assert_eq!(keys.last().map(|k| k.as_str()), Some("text"), "{line}");
                    kinds.insert(change["kind"].as_str().unwrap().to_string());
                    if change["kind"] == "no-effect" {
                        let reason = change["reason"].as_str().unwrap();
                        let fields = NO_EFFECT_FIELDS
                            .iter()
                            .find(|(r, _)| *r == reason)
                            .unwrap_or_else(|| panic!("undocumented reason {reason}: {line}"))
                            .1;
                        let middle: Vec<&str> =
                            keys[3..keys.len() - 1].iter().map(|k| k.as_str()).collect();
                        assert_eq!(&keys[..3], ["kind", "node", "reason"], "{line}");
                        assert_eq!(middle, fields, "{line}");
                        reasons.insert(reason.to_string());
                    }
                }
            } else {
                assert_eq!(keys, SUMMARY, "{name}: {line}");
            }
        }
    }
    let all = [
        "promised",
        "voted",
        "started",
        "promise-counted",
        "proposed",
        "vote-counted",
        "decided",
        "chosen",
        "acceptor-crashed",
        "proposer-crashed",
        "acceptor-restarted",
        "proposer-restarted",
        "no-effect",
    ];
    assert_eq!(kinds, all.iter().map(|k| k.to_string()).collect());
    // All but what the built-in roles never do: vote for another value than the one
    // proposed, or change nothing for no reason the views show.
    let built_in: BTreeSet<String> = NO_EFFECT_FIELDS
        .iter()
        .map(|(r, _)| r.to_string())
        .filter(|r| r != "other-value" && r != "unexplained")
        .collect();
    assert_eq!(reasons, built_in);
}

/// The strict grammar of the Mermaid the renderer emits: a subset of Mermaid's
/// `sequenceDiagram` small enough to check exactly. Labels may hold letters, digits, spaces,
/// `. , ( ) = ! : ' / _ -`, entity codes like `#59;` and the line break `<br/>`: nothing
/// that Mermaid's lexer or its HTML sanitiser would act on.
fn check_mermaid(text: &str) -> Result<(), String> {
    fn label_ok(label: &str) -> Result<(), String> {
        if label.is_empty() || label.starts_with(' ') || label.ends_with(' ') {
            return Err(format!("label {label:?} is empty or padded"));
        }
        let mut rest = label;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("<br/>") {
                rest = after;
            } else if c == '#' {
                let end = rest
                    .find(';')
                    .ok_or_else(|| format!("unterminated entity in {label:?}"))?;
                let name = &rest[1..end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(format!("bad entity {:?} in {label:?}", &rest[..=end]));
                }
                rest = &rest[end + 1..];
            } else if c.is_ascii_alphanumeric() || " .,()=!:'/_-".contains(c) {
                rest = &rest[1..];
            } else {
                return Err(format!("character {c:?} in label {label:?}"));
            }
        }
        Ok(())
    }
    let body = text
        .strip_suffix('\n')
        .ok_or("the diagram must end with a newline")?;
    let mut lines = body.split('\n');
    if lines.next() != Some(paxos_safety::render::mermaid::FONT_DIRECTIVE) {
        return Err("the first line must be the font directive".into());
    }
    if lines.next() != Some("sequenceDiagram") {
        return Err("the second line must be sequenceDiagram".into());
    }
    let mut participants: Vec<String> = Vec::new();
    let mut in_rect = false;
    let mut rect_len = 0;
    for line in lines {
        let err = |what: &str| Err(format!("{what}: {line:?}"));
        if let Some(name) = line.strip_prefix("    participant ") {
            let expected =
                if participants.iter().all(|p| p.starts_with('p')) && name.starts_with('p') {
                    format!("p{}", participants.len() + 1)
                } else {
                    let proposers = participants.iter().filter(|p| p.starts_with('p')).count();
                    format!("a{}", participants.len() - proposers + 1)
                };
            if name != expected || rect_len > 0 || in_rect {
                return err("participants must be p1..pP then a1..aA, before anything else");
            }
            participants.push(name.to_string());
            continue;
        }
        let known = |n: &str| participants.iter().any(|p| p == n);
        let indent = if in_rect { 8 } else { 4 };
        if line == "    rect rgb(255, 221, 221)" && !in_rect {
            in_rect = true;
            rect_len = 0;
            continue;
        }
        if line == "    end" && in_rect {
            if rect_len == 0 {
                return err("empty rect");
            }
            in_rect = false;
            continue;
        }
        let Some(stmt) = line.strip_prefix(&" ".repeat(indent)) else {
            return err("wrong indentation");
        };
        if stmt.starts_with(' ') {
            return err("wrong indentation");
        }
        rect_len += 1;
        let (head, label) = stmt
            .split_once(": ")
            .ok_or_else(|| format!("no label: {line:?}"))?;
        label_ok(label).map_err(|e| format!("{e}: {line:?}"))?;
        if let Some(over) = head.strip_prefix("Note over ") {
            let nodes: Vec<&str> = over.split(',').collect();
            let distinct = nodes.len() == 1 || (nodes.len() == 2 && nodes[0] != nodes[1]);
            if !distinct || !nodes.iter().all(|n| known(n)) {
                return err("a note must be over one or two distinct participants");
            }
        } else {
            let (src, dst) = head
                .split_once("->>")
                .or_else(|| head.split_once("-x"))
                .ok_or_else(|| format!("not a message or a note: {line:?}"))?;
            if !known(src) || !known(dst) || src == dst {
                return err("a message must go between two declared participants");
            }
        }
    }
    if in_rect {
        return Err("unclosed rect".into());
    }
    let proposers = participants.iter().filter(|p| p.starts_with('p')).count();
    if proposers == 0 || proposers == participants.len() {
        return Err("there must be proposers and acceptors".into());
    }
    Ok(())
}

#[test]
fn the_mermaid_grammar_check_rejects_what_mermaid_rejects() {
    let head = format!(
        "{}\nsequenceDiagram\n    participant p1\n    participant a1\n",
        paxos_safety::render::mermaid::FONT_DIRECTIVE
    );
    let head = head.as_str();
    let ok = format!("{head}    p1->>a1: 2. prepare 1.1 #59;<br/>x\n");
    assert_eq!(check_mermaid(&ok), Ok(()));
    for bad in [
        format!("{head}    p1->>a1: 2. prepare; 1.0\n"),
        format!("{head}    p1->>a1: 2. a --> b\n"),
        format!("{head}    p1->>a1: 2. a <b>\n"),
        format!("{head}    p1->>a1: 2. #1\n"),
        format!("{head}    p1->>a9: 2. prepare 1.1\n"),
        format!("{head}    p1->>p1: 2. prepare 1.1\n"),
        format!("{head}    Note over p1,p1: x\n"),
        format!("{head}    rect rgb(255, 221, 221)\n        Note over p1: x\n"),
        format!("{head}    rect rgb(255, 221, 221)\n    end\n"),
        format!("{head}  p1->>a1: 2. prepare 1.1\n"),
        format!("{head}    p1->>a1: 2. prepare 1.1"),
        "sequenceDiagram\n    participant p1\n    participant a1\n".to_string(),
        format!(
            "{}\nsequenceDiagram\n    participant a1\n    participant p1\n",
            paxos_safety::render::mermaid::FONT_DIRECTIVE
        ),
    ] {
        assert!(check_mermaid(&bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn every_mermaid_rendering_follows_the_strict_grammar() {
    for golden in ["no-adopt.mmd", "faults.mmd"] {
        let text = std::fs::read_to_string(golden_path(golden)).unwrap();
        check_mermaid(&text).unwrap_or_else(|e| panic!("{golden}: {e}"));
    }
    for (name, trace) in sample_traces() {
        check_mermaid(&trace.render(Format::Mermaid)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Writes a notice that `cargo test` shows even for a passing test: the harness captures
/// `eprintln!`, but not writes to the stderr handle.
fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "notice: {text}");
}

#[test]
fn mermaid_renderings_parse_with_mermaid_itself() {
    let mermaid_dir = Path::new(ROOT).join("tests/mermaid");
    let installed = mermaid_dir
        .join("node_modules/mermaid/package.json")
        .is_file();
    let node = Command::new("node").arg("--version").output();
    if !installed || !node.as_ref().is_ok_and(|o| o.status.success()) {
        notice(
            "mermaid_renderings_parse_with_mermaid_itself skipped: it needs node and \
             `npm ci --prefix tests/mermaid`; the strict grammar test still ran",
        );
        return;
    }
    let dir = scratch("mermaid-parse");
    // The goldens hold every construct the renderer emits. Mermaid parses a few hundred
    // lines a second here, so of the samples (all of which pass the strict grammar) one
    // process checks a few per bug: every bug's first seeds.
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_path(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mmd"))
        .collect();
    files.sort();
    let few = |t: &Trace| t.seed < Some(2) && (t.config.acceptors == 3 || t.seed == Some(0));
    for (name, trace) in sample_traces().into_iter().filter(|(_, t)| few(t)) {
        let path = dir.join(format!("{name}.mmd"));
        std::fs::write(&path, trace.render(Format::Mermaid)).unwrap();
        files.push(path);
    }
    let out = Command::new("node")
        .arg(mermaid_dir.join("check.mjs"))
        .args(&files)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "Mermaid rejects a rendering:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Where each bug of the zoo does its damage in its committed counterexample, and the
/// words its diagram must show there: the step, and a phrase of a note of that step.
/// (The violation itself is often later: the diagram must show why, not only what.)
const ZOO_CAUSES: [(Bug, u32, &str); 10] = [
    (Bug::NoAdopt, 12, "its own value, ignoring the vote"),
    (Bug::AdoptLowest, 18, "though a2 reported the higher vote"),
    (
        Bug::AcceptBelowPromise,
        8,
        "a1 votes (1.2, v2), below its promise 2.2",
    ),
    (Bug::Amnesia, 5, "a2 restarts having forgotten promise 1.2"),
    (Bug::SmallQuorum, 3, "a quorum of 1 of 3 acceptors"),
    (Bug::BallotCollision, 2, "the ballot p2 is using too"),
    (
        Bug::NoPromiseOnAccept,
        6,
        "a3 votes (1.2, v2), but does not promise 1.2",
    ),
    (
        Bug::CountDuplicates,
        12,
        "p2 counts a3's promise 1.2 a second time",
    ),
    (
        Bug::StalePromise,
        12,
        "counts a1's promise for 1.1 toward 2.1",
    ),
    (
        Bug::LearnMixedBallots,
        13,
        "p1 counts a2's vote at 1.1 toward 2.1",
    ),
];

/// The statements of step `n` of a diagram: its arrow or note (labelled `n. `) and the
/// notes after it, up to the next step's.
fn diagram_step(diagram: &str, n: u32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut inside = false;
    let numbered = |l: &str| {
        l.split_once(": ")
            .and_then(|(_, label)| label.split_once(". "))
            .and_then(|(k, _)| k.parse::<u32>().ok())
    };
    for line in diagram.lines().map(str::trim) {
        match numbered(line) {
            Some(k) if k == n => inside = true,
            Some(_) => inside = false,
            None => {}
        }
        if inside {
            lines.push(line.to_string());
        }
    }
    lines
}

/// Every zoo bug's diagram, pinned (`tests/golden/zoo-BUG.mmd`, from its committed
/// counterexample), shows its cause in a note at the step where it happens, and the
/// "chosen" notes name the voters.
#[test]
fn every_zoo_diagram_shows_its_cause_at_its_step() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (bug, step, cause) in ZOO_CAUSES {
        let file = format!("tests/counterexamples/{bug}.json");
        let (_, diagram, _) = replay(&[&file, "--format", "mermaid"]);
        check_mermaid(&diagram).unwrap_or_else(|e| panic!("{bug}: {e}"));
        let golden = golden_path(&format!("zoo-{bug}.mmd"));
        if update {
            std::fs::write(&golden, &diagram).unwrap();
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", golden.display()));
        assert_eq!(
            diagram,
            want,
            "{bug}: the diagram differs from {}",
            golden.display()
        );
        let notes = diagram_step(&diagram, step);
        assert!(
            notes
                .iter()
                .any(|l| l.starts_with("Note over ") && l.replace("<br/>", " ").contains(cause)),
            "{bug}: step {step} has no note saying {cause:?}: {notes:#?}"
        );
        let chosen_notes = diagram
            .lines()
            .filter(|l| !l.contains("!! step") && l.contains(" is chosen at "));
        for chosen in chosen_notes {
            assert!(chosen.contains(" voted for it (quorum "), "{bug}: {chosen}");
        }
    }
}

/// The README's diagram is the no-adopt golden, as `fuzz --diagram` writes it.
#[test]
fn the_readme_diagram_is_the_golden_one() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let block = readme
        .split_once("```mermaid\n")
        .and_then(|(_, rest)| rest.split_once("```\n"))
        .expect("a mermaid block in README.md")
        .0;
    let golden = std::fs::read_to_string(golden_path("zoo-no-adopt.mmd")).unwrap();
    assert_eq!(block, golden);
}

/// Two findings with one name (another acceptor command's, same seed, in a grader's shared
/// --out-dir) are both kept: the second gets `-2`. The same finding again is the same file.
#[test]
fn a_finding_never_overwrites_another_of_the_same_name() {
    let dir = scratch("same-stem");
    let load = |name: &str| {
        Counterexample::load(&Path::new(ROOT).join("tests/counterexamples").join(name)).unwrap()
    };
    let (a, b) = (load("no-adopt.json"), load("adopt-lowest.json"));
    let first = a.save_new(&dir, "acceptor-seed-7").unwrap();
    let second = b.save_new(&dir, "acceptor-seed-7").unwrap();
    assert_eq!(first, dir.join("acceptor-seed-7.json"));
    assert_eq!(second, dir.join("acceptor-seed-7-2.json"));
    assert_eq!(
        a.save_new(&dir, "acceptor-seed-7").unwrap(),
        first,
        "a rerun writes no copy"
    );
    assert_eq!(b.save_new(&dir, "acceptor-seed-7").unwrap(), second);
    assert_eq!(Counterexample::load(&first).unwrap().events, a.events);
    assert_eq!(Counterexample::load(&second).unwrap().events, b.events);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    // A name the file system refuses is that error at once, not a search for a free one.
    let e = a.save_new(&dir, &"x".repeat(300)).unwrap_err();
    assert!(!e.contains("other files are named"), "{e}");
    assert!(e.contains(&"x".repeat(300)), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `replay --shrink --shrink-time-limit` stops shrinking when its time is up and shows the
/// shortest list by then, saying why it stopped; without `--shrink` the flag is refused.
#[test]
fn a_shrink_time_limit_stops_replay_s_shrink() {
    let file = "tests/counterexamples/adopt-lowest.json";
    let (code, out, err) = replay(&[file, "--shrink", "--shrink-time-limit", "0.000001"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("shrunk: 18 -> 18 events (1 replays; stopped at --shrink-time-limit: the shortest found by then)"),
        "{err}"
    );
    assert!(out.contains("\n!! "), "{out}");
    let (code, _, err) = replay(&[file, "--shrink", "--shrink-time-limit", "60"]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("--shrink-time-limit"), "{err}");
    let (code, _, err) = replay(&[file, "--shrink-time-limit", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--shrink"), "{err}");
}
