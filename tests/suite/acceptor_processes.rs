//! The example acceptor processes, run as the harness runs them (`sh -c CMD`, from some
//! other directory), through one session of the wire protocol.
//!
//! The correct ones (`examples/acceptors/`: Python, durable Python, JavaScript, and
//! `paxos-safety` itself) must answer byte for byte like the reference node. Each buggy
//! one (`tests/acceptors/`, and `paxos-safety node --bug accept-below-promise`) must
//! answer like the reference up to the one request its deviation shows on, and there
//! exactly as its bug predicts: a buggy example that deviates nowhere, or somewhere
//! else, would make a poor test of a harness.
//!
//! These tests need `python3` and `node`. Where one is missing they fail, saying so,
//! unless `PAXOS_ALLOW_MISSING_INTERPRETERS=1`, which turns the failure into a loud line
//! on stderr: a test that cannot run must never pass silently.
// Tests print what they measured or skipped to the harness, a terminal.
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_paxos-safety");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The session: the PROTOCOL.md sample, then an equal prepare, extra fields, a later
/// ballot whose vote a promise must report, ballots at 2^63, a non-ASCII value.
const SESSION: [&str; 14] = [
    r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":2,"proposal_n":5}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":3,"proposal_n":3}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_accept","msg_id":4,"proposal_n":5,"value":"hello"}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_accept","msg_id":5,"proposal_n":3,"value":"old"}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":6,"proposal_n":5}}"#,
    r#"{"src":"c2","dest":"n1","id":7,"body":{"type":"paxos_prepare","msg_id":7,"proposal_n":7,"src":"p2","reason":"x"}}"#,
    r#"{"src":"c2","dest":"n1","body":{"type":"paxos_accept","msg_id":8,"proposal_n":7,"value":"v2"}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":9,"proposal_n":9}}"#,
    r#"{"src":"c0","dest":"n1","body":{"type":"paxos_chosen","msg_id":10}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":11,"proposal_n":9223372036854775808}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_accept","msg_id":12,"proposal_n":9223372036854775808,"value":"\u00e9"}}"#,
    r#"{"src":"c1","dest":"n1","body":{"type":"paxos_accept","msg_id":13,"proposal_n":9223372036854775807,"value":"late"}}"#,
    r#"{"src":"c0","dest":"n1","body":{"type":"paxos_chosen","msg_id":14}}"#,
];

/// The replies a correct acceptor writes to [`SESSION`], one per request.
const REPLIES: [&str; 14] = [
    r#"{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 2, "promised": true, "accepted_n": null, "accepted_value": null, "msg_id": 1}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 3, "promised": false, "highest_promised": 5, "msg_id": 2}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 4, "accepted": true, "proposal_n": 5, "value": "hello", "msg_id": 3}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 5, "accepted": false, "highest_promised": 5, "msg_id": 4}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 6, "promised": false, "highest_promised": 5, "msg_id": 5}}"#,
    r#"{"src": "n1", "dest": "c2", "body": {"type": "paxos_promise", "in_reply_to": 7, "promised": true, "accepted_n": 5, "accepted_value": "hello", "msg_id": 6}}"#,
    r#"{"src": "n1", "dest": "c2", "body": {"type": "paxos_accepted", "in_reply_to": 8, "accepted": true, "proposal_n": 7, "value": "v2", "msg_id": 7}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 9, "promised": true, "accepted_n": 7, "accepted_value": "v2", "msg_id": 8}}"#,
    r#"{"src": "n1", "dest": "c0", "body": {"type": "paxos_chosen_ok", "in_reply_to": 10, "value": "v2", "chosen_at_n": 7, "msg_id": 9}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 11, "promised": true, "accepted_n": 7, "accepted_value": "v2", "msg_id": 10}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 12, "accepted": true, "proposal_n": 9223372036854775808, "value": "\u00e9", "msg_id": 11}}"#,
    r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 13, "accepted": false, "highest_promised": 9223372036854775808, "msg_id": 12}}"#,
    r#"{"src": "n1", "dest": "c0", "body": {"type": "paxos_chosen_ok", "in_reply_to": 14, "value": "\u00e9", "chosen_at_n": 9223372036854775808, "msg_id": 13}}"#,
];

/// Whether `program` runs. Missing, it fails the test unless the environment allows it,
/// and then says loudly on stderr what was not tested.
fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    let what =
        format!("`{program}` is not installed, so the acceptors written for it were NOT tested");
    if std::env::var("PAXOS_ALLOW_MISSING_INTERPRETERS").as_deref() == Ok("1") {
        // Straight to the process's stderr: the test harness captures `eprintln!` of a
        // passing test, and this line must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!! {what} (PAXOS_ALLOW_MISSING_INTERPRETERS=1) !!!!!\n"
        );
        false
    } else {
        panic!(
            "{what}; install it, or set PAXOS_ALLOW_MISSING_INTERPRETERS=1 to skip them knowingly"
        );
    }
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("paxos-acceptors-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` with `sh -c` from a directory of its own, as the harness will, feeds it
/// `lines` and returns its reply lines. `data_dir` becomes `PAXOS_DATA_DIR`.
fn run(cmd: &str, lines: &[&str], data_dir: Option<&TempDir>) -> Vec<String> {
    let cwd = TempDir::new();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .current_dir(&cwd.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = data_dir {
        command.env("PAXOS_DATA_DIR", &dir.0);
    }
    let mut child = command.spawn().expect("sh starts");
    let mut input = lines.join("\n");
    input.push('\n');
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().expect("the acceptor exits");
    writer.join().expect("the writer thread ends");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{cmd}: {:?}\n{err}", output.status);
    assert_eq!(
        err, "",
        "{cmd}: nothing to say on stderr for a valid session"
    );
    String::from_utf8(output.stdout)
        .expect("replies are UTF-8")
        .lines()
        .map(str::to_string)
        .collect()
}

fn example(file: &str) -> String {
    format!("{ROOT}/examples/acceptors/{file}")
}

fn buggy(file: &str) -> String {
    format!("python3 {ROOT}/tests/acceptors/{file}")
}

#[test]
fn the_reference_node_answers_the_session() {
    assert_eq!(run(BIN, &SESSION, None), REPLIES);
    assert_eq!(run(&format!("{BIN} node"), &SESSION, None), REPLIES);
}

#[test]
fn the_correct_python_acceptors_answer_like_the_reference() {
    if !have("python3") {
        return;
    }
    assert_eq!(
        run(
            &format!("python3 {}", example("acceptor.py")),
            &SESSION,
            None
        ),
        REPLIES
    );
    let data = TempDir::new();
    let durable = format!("python3 {}", example("durable_acceptor.py"));
    assert_eq!(run(&durable, &SESSION, Some(&data)), REPLIES);
    assert!(
        data.0.join("acceptor.json").exists(),
        "the state is on disk"
    );
}

#[test]
fn the_javascript_acceptor_answers_like_the_reference() {
    if !have("node") {
        return;
    }
    assert_eq!(
        run(&format!("node {}", example("acceptor.js")), &SESSION, None),
        REPLIES
    );
}

/// The reply a buggy acceptor must write to request `at` of [`SESSION`], having written
/// the correct replies before it.
fn assert_deviates(cmd: &str, at: usize, reply: &str) {
    let got = run(cmd, &SESSION, None);
    assert_eq!(
        got[..at],
        REPLIES[..at],
        "{cmd}: correct up to request {at}"
    );
    assert_eq!(got[at], reply, "{cmd}: the deviation");
}

#[test]
fn each_buggy_acceptor_deviates_where_its_bug_shows() {
    let below = r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 5, "accepted": true, "proposal_n": 3, "value": "old", "msg_id": 4}}"#;
    // The zoo's bug in the reference node is the Python script's bug, request for request.
    assert_deviates(&format!("{BIN} node --bug accept-below-promise"), 4, below);
    if !have("python3") {
        return;
    }
    assert_eq!(
        run(&buggy("accept_below_promise.py"), &SESSION, None),
        run(
            &format!("{BIN} node --bug accept-below-promise"),
            &SESSION,
            None
        )
    );
    assert_deviates(&buggy("accept_below_promise.py"), 4, below);
    assert_deviates(
        &buggy("refuses_nothing.py"),
        2,
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 3, "promised": true, "accepted_n": null, "accepted_value": null, "msg_id": 2}}"#,
    );
    assert_deviates(
        &buggy("reports_no_vote.py"),
        6,
        r#"{"src": "n1", "dest": "c2", "body": {"type": "paxos_promise", "in_reply_to": 7, "promised": true, "accepted_n": null, "accepted_value": null, "msg_id": 6}}"#,
    );
    assert_deviates(
        &buggy("reports_first_vote.py"),
        8,
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 9, "promised": true, "accepted_n": 5, "accepted_value": "hello", "msg_id": 8}}"#,
    );
}

#[test]
fn the_durable_acceptor_survives_a_restart_and_the_in_memory_one_forgets() {
    if !have("python3") {
        return;
    }
    let (before, after) = SESSION.split_at(5);
    let restarted: Vec<&str> = [SESSION[0]].iter().chain(after).copied().collect();
    // After a restart, the replies to the rest of the session are the reference's, with
    // the new process's own msg_id counter.
    let renumbered: Vec<String> = [REPLIES[0]]
        .iter()
        .chain(&REPLIES[5..])
        .enumerate()
        .map(|(k, line)| {
            let (head, _) = line.rsplit_once(r#""msg_id": "#).expect("msg_id is last");
            format!(r#"{head}"msg_id": {k}}}}}"#)
        })
        .collect();

    let data = TempDir::new();
    let durable = format!("python3 {}", example("durable_acceptor.py"));
    assert_eq!(run(&durable, before, Some(&data)), REPLIES[..5]);
    assert_eq!(run(&durable, &restarted, Some(&data)), renumbered);

    // The in-memory acceptor is the fifth bad case: restarted, it promises 5 again.
    let memory = format!("python3 {}", example("acceptor.py"));
    assert_eq!(run(&memory, before, None), REPLIES[..5]);
    let forgot = run(&memory, &restarted, None);
    assert_eq!(
        forgot[1],
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 6, "promised": true, "accepted_n": null, "accepted_value": null, "msg_id": 1}}"#
    );
}

#[test]
fn the_durable_acceptor_refuses_to_start_without_a_data_directory() {
    if !have("python3") {
        return;
    }
    let output = Command::new("python3")
        .arg(example("durable_acceptor.py"))
        .env_remove("PAXOS_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PAXOS_DATA_DIR"));
}

// ---- Differential: arbitrary sessions, every correct acceptor, the same bytes ----

mod differential {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::FileFailurePersistence;
    use serde_json::{json, Value};

    /// The text of a JSON value as a grader might send it: serde's output for values of
    /// every type, or text that only Python's reader takes as it is (lone surrogates,
    /// floats past f64, repeated keys, upper-case exponents).
    fn value_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|i| json!(i)),
            any::<f64>()
                .prop_filter_map("finite", serde_json::Number::from_f64)
                .prop_map(Value::Number),
            any::<String>().prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        });
        prop_oneof![
            8 => value.prop_map(|v| v.to_string()),
            1 => prop::sample::select(vec![
                r#""\ud800""#,
                r#"["\udc00x\ud800", "\ud83d\ude00"]"#,
                r#"[1E400, -1e400, 1E2, -0.0, 5e-324, 123456789012345678901234567890.0]"#,
                r#"{"b": 1, "a": 2, "b": 3, "10": 4}"#,
                "\"\u{10FFFF}\u{E000}\"",
            ])
            .prop_map(str::to_string),
        ]
    }

    fn session() -> impl Strategy<Value = Vec<String>> {
        let ballot = prop_oneof![4 => 0u64..12, 1 => any::<u64>()];
        let request = prop_oneof![
            ballot
                .clone()
                .prop_map(|n| format!(r#""type":"paxos_prepare","proposal_n":{n}"#)),
            (ballot, value_text()).prop_map(|(n, v)| format!(
                r#""type":"paxos_accept","proposal_n":{n},"value":{v}"#
            )),
            Just(r#""type":"paxos_chosen""#.to_string()),
        ];
        prop::collection::vec(request, 1..64).prop_map(|requests| {
            let mut lines = vec![SESSION[0].to_string()];
            for (i, body) in requests.iter().enumerate() {
                lines.push(format!(
                    r#"{{"src":"c1","dest":"n1","body":{{{body},"msg_id":{}}}}}"#,
                    i + 2
                ));
            }
            lines
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            // Each case starts three interpreters, which is what costs: few sessions,
            // each long, cover the rules and the value formats in a few seconds.
            cases: 8,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
                "proptest-regressions/acceptor_processes.txt",
            ))),
            ..ProptestConfig::default()
        })]

        #[test]
        fn every_correct_acceptor_writes_the_reference_bytes(lines in session()) {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let reference = run(BIN, &lines, None);
            prop_assert_eq!(reference.len(), lines.len(), "one reply per request");
            if have("python3") {
                let python = run(&format!("python3 {}", example("acceptor.py")), &lines, None);
                prop_assert_eq!(&python, &reference);
            }
            if have("node") {
                let js = run(&format!("node {}", example("acceptor.js")), &lines, None);
                prop_assert_eq!(&js, &reference);
            }
        }
    }
}
