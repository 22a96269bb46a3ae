//! The grader node as the grader sees it: the real binary, bytes in, bytes out.
//!
//! Every exchange here is compared byte for byte, because the grader compares bytes:
//! the examples of PROTOCOL.md, every row of its bad-input table, cluster sizes from 1 to
//! 10,000, values of every JSON type, histories in any order and a line over 1 MiB.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_paxos-safety");

/// What the node wrote for one input.
struct Run {
    out: String,
    err: String,
    code: Option<i32>,
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.out.lines().collect()
    }
}

/// Feeds `input` to a fresh node (no subcommand) and waits for it to exit.
fn node(input: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    // Write from another thread: a large input would otherwise fill the pipe while the
    // node waits for us to read its replies.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("the node exits");
    writer.join().expect("the writer thread ends");
    Run {
        out: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        err: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        code: output.status.code(),
    }
}

fn node_lines(lines: &[&str]) -> Run {
    let mut input = lines.join("\n");
    input.push('\n');
    node(input.as_bytes())
}

const INIT: &str = r#"{"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1"]}}"#;
const INIT_OK: &str =
    r#"{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}"#;

/// A request from `c0` to `n1` with the given body fields (JSON text after `msg_id`).
fn request(kind: &str, msg_id: u64, fields: &str) -> String {
    let sep = if fields.is_empty() { "" } else { ", " };
    format!(
        r#"{{"src": "c0", "dest": "n1", "body": {{"type": "{kind}", "msg_id": {msg_id}{sep}{fields}}}}}"#
    )
}

/// The single reply to `init` then one request, asserting that `init` was answered.
fn after_init(line: &str) -> String {
    let run = node_lines(&[INIT, line]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.err);
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "one reply each: {}", run.out);
    assert_eq!(lines[0], INIT_OK);
    lines[1].to_string()
}

fn safety(fields: &str) -> String {
    after_init(&request("paxos_safety_test", 2, fields))
}

fn invariant(fields: &str) -> String {
    after_init(&request("paxos_invariant_check", 2, fields))
}

fn safety_ok(value: &str, forced: bool, source: &str, safe: bool) -> String {
    format!(
        r#"{{"src": "n1", "dest": "c0", "body": {{"type": "paxos_safety_test_ok", "in_reply_to": 2, "new_proposal_value": {value}, "forced_by_promise": {forced}, "promise_source": {source}, "safe": {safe}, "msg_id": 1}}}}"#
    )
}

fn invariant_ok(value: &str, n: &str, matching: bool, safe: bool) -> String {
    format!(
        r#"{{"src": "n1", "dest": "c0", "body": {{"type": "paxos_invariant_check_ok", "in_reply_to": 2, "chosen_value": {value}, "chosen_at_n": {n}, "all_subsequent_match": {matching}, "safe": {safe}, "msg_id": 1}}}}"#
    )
}

fn error(code: u32, text: &str) -> String {
    format!(
        r#"{{"src": "n1", "dest": "c0", "body": {{"type": "error", "in_reply_to": 2, "code": {code}, "text": "{text}", "msg_id": 1}}}}"#
    )
}

// ---- The examples of PROTOCOL.md ----

#[test]
fn example_init_then_safety_test() {
    let run = node_lines(&[
        INIT,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "paxos_safety_test", "msg_id": 2, "nodes": 5, "chosen_value": "v1", "chosen_at_n": 3, "new_proposal_n": 7}}"#,
    ]);
    assert_eq!(
        run.out,
        format!(
            "{INIT_OK}\n{}\n",
            r#"{"src": "n1", "dest": "c0", "body": {"type": "paxos_safety_test_ok", "in_reply_to": 2, "new_proposal_value": "v1", "forced_by_promise": true, "promise_source": "n2", "safe": true, "msg_id": 1}}"#
        )
    );
    assert_eq!(run.err, "");
    assert_eq!(run.code, Some(0));
}

#[test]
fn example_invariant_check() {
    let reply = invariant(
        r#""proposals": [{"n": 1, "value": "a", "accepted_by": ["n1"]}, {"n": 3, "value": "b", "accepted_by": ["n1", "n2", "n3"]}, {"n": 5, "value": "b", "accepted_by": ["n2"]}]"#,
    );
    assert_eq!(
        reply,
        r#"{"src": "n1", "dest": "c0", "body": {"type": "paxos_invariant_check_ok", "in_reply_to": 2, "chosen_value": "b", "chosen_at_n": 3, "all_subsequent_match": true, "safe": true, "msg_id": 1}}"#
    );
}

#[test]
fn each_reply_is_flushed_before_the_next_request_arrives() {
    let mut child = Command::new(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.expect("a reply line")).is_err() {
                break;
            }
        }
    });
    writeln!(stdin, "{INIT}").expect("the node reads");
    let first = rx.recv_timeout(Duration::from_secs(20));
    assert_eq!(
        first.as_deref(),
        Ok(INIT_OK),
        "init_ok came while stdin is open"
    );
    writeln!(stdin, "{}", request("nope", 2, "")).expect("the node reads");
    let second = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a second reply");
    assert!(second.contains(r#""code": 10"#), "{second}");
    drop(stdin);
    assert_eq!(child.wait().expect("the node exits").code(), Some(0));
}

#[test]
fn eof_without_a_final_newline_still_answers_and_exits_zero() {
    let run = node(INIT.as_bytes());
    assert_eq!(run.out, format!("{INIT_OK}\n"));
    assert_eq!(run.code, Some(0));
    let empty = node(b"");
    assert_eq!((empty.out.as_str(), empty.code), ("", Some(0)));
}

#[test]
fn the_node_subcommand_is_the_same_node() {
    let mut child = Command::new(BIN)
        .arg("node")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(INIT.as_bytes())
        .expect("the node reads");
    let output = child.wait_with_output().expect("the node exits");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{INIT_OK}\n")
    );
}

// ---- The bad-input table, row by row ----

/// Each `(type, fields, text)` request is answered with error 12 and exactly `text`.
fn assert_malformed<K: AsRef<str>, F: AsRef<str>>(
    cases: impl IntoIterator<Item = (K, F, &'static str)>,
) {
    for (kind, fields, text) in cases {
        let (kind, fields) = (kind.as_ref(), fields.as_ref());
        assert_eq!(
            after_init(&request(kind, 2, fields)),
            error(12, text),
            "{kind} {fields}"
        );
    }
}

#[test]
fn row_not_a_message_goes_to_stderr_only() {
    let noise = [
        "this is not JSON",
        r#"{"src": "c0", "dest": "n1", "body": {"type": "init""#,
        "[1, 2, 3]",
        r#""a string""#,
        "42",
        "null",
        r#"{"src": "c0", "dest": "n1"}"#,
        r#"{"src": "c0", "dest": "n1", "body": "init"}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"msg_id": 2}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": 7, "msg_id": 2}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": null, "msg_id": 2}}"#,
    ];
    for bad in noise {
        let run = node_lines(&[
            INIT,
            bad,
            &request("paxos_invariant_check", 3, r#""proposals": []"#),
        ]);
        let lines = run.lines();
        assert_eq!(
            lines.len(),
            2,
            "{bad}: nothing on stdout for it: {}",
            run.out
        );
        assert_eq!(lines[0], INIT_OK);
        assert!(lines[1].contains(r#""in_reply_to": 3"#) && lines[1].ends_with(r#""msg_id": 1}}"#));
        assert_eq!(
            run.err.lines().count(),
            1,
            "{bad}: one stderr line: {}",
            run.err
        );
        assert!(run.err.starts_with("line 2: "), "{}", run.err);
        assert_eq!(run.code, Some(0));
    }
    // Invalid UTF-8 is not JSON either.
    let run = node(b"{\"src\": \"\xff\"}\n");
    assert_eq!((run.out.as_str(), run.err.lines().count()), ("", 1));
}

#[test]
fn row_missing_fields_are_error_12_naming_the_field() {
    let cases = [
        (
            "init",
            r#""node_ids": ["n1"]"#,
            "field 'node_id' is missing",
        ),
        ("init", r#""node_id": "n1""#, "field 'node_ids' is missing"),
        (
            "paxos_safety_test",
            r#""chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#,
            "field 'nodes' is missing",
        ),
        (
            "paxos_safety_test",
            r#""nodes": 3, "chosen_at_n": 1, "new_proposal_n": 2"#,
            "field 'chosen_value' is missing",
        ),
        (
            "paxos_safety_test",
            r#""nodes": 3, "chosen_value": 1, "new_proposal_n": 2"#,
            "field 'chosen_at_n' is missing",
        ),
        (
            "paxos_safety_test",
            r#""nodes": 3, "chosen_value": 1, "chosen_at_n": 1"#,
            "field 'new_proposal_n' is missing",
        ),
        (
            "paxos_invariant_check",
            r#""nodes": 3"#,
            "field 'proposals' is missing",
        ),
        (
            "paxos_invariant_check",
            r#""proposals": [{"value": 1, "accepted_by": []}]"#,
            "field 'proposals[0].n' is missing",
        ),
        (
            "paxos_invariant_check",
            r#""proposals": [{"n": 1, "accepted_by": []}]"#,
            "field 'proposals[0].value' is missing",
        ),
        (
            "paxos_invariant_check",
            r#""proposals": [{"n": 1, "value": 1}]"#,
            "field 'proposals[0].accepted_by' is missing",
        ),
    ];
    assert_malformed(cases);
}

#[test]
fn row_ill_typed_fields_are_error_12_naming_the_field() {
    let safety = |f: &str| {
        format!(r#""nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2, {f}"#)
    };
    let cases = [
        ("init".to_string(), r#""node_id": 1, "node_ids": []"#.to_string(), "field 'node_id' must be a string, not an integer"),
        ("init".into(), r#""node_id": "n1", "node_ids": "n1""#.into(), "field 'node_ids' must be an array, not a string"),
        ("init".into(), r#""node_id": "n1", "node_ids": ["n1", 2]"#.into(), "field 'node_ids[1]' must be a string, not an integer"),
        ("paxos_safety_test".into(), r#""nodes": "5", "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#.into(), "field 'nodes' must be an integer, not a string"),
        ("paxos_safety_test".into(), r#""nodes": 5.0, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#.into(), "field 'nodes' must be an integer, not a float"),
        ("paxos_safety_test".into(), r#""nodes": true, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#.into(), "field 'nodes' must be an integer, not a boolean"),
        ("paxos_safety_test".into(), r#""nodes": 3, "chosen_value": null, "chosen_at_n": 1, "new_proposal_n": 2"#.into(), "field 'chosen_value' must not be null"),
        ("paxos_safety_test".into(), r#""nodes": 3, "chosen_value": 1, "chosen_at_n": [1], "new_proposal_n": 2"#.into(), "field 'chosen_at_n' must be an integer, not an array"),
        ("paxos_safety_test".into(), r#""nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2e0"#.into(), "field 'new_proposal_n' must be an integer, not a float"),
        ("paxos_safety_test".into(), safety(r#""seed": {}"#), "field 'seed' must be an integer, not an object"),
        ("paxos_invariant_check".into(), r#""proposals": {}"#.into(), "field 'proposals' must be an array, not an object"),
        ("paxos_invariant_check".into(), r#""proposals": [], "nodes": "3""#.into(), "field 'nodes' must be an integer, not a string"),
        ("paxos_invariant_check".into(), r#""proposals": [[]]"#.into(), "field 'proposals[0]' must be an object, not an array"),
        ("paxos_invariant_check".into(), r#""proposals": [{"n": "1", "value": 1, "accepted_by": []}]"#.into(), "field 'proposals[0].n' must be an integer, not a string"),
        ("paxos_invariant_check".into(), r#""proposals": [{"n": 1, "value": null, "accepted_by": []}]"#.into(), "field 'proposals[0].value' must not be null"),
        ("paxos_invariant_check".into(), r#""proposals": [{"n": 1, "value": 1, "accepted_by": "n1"}]"#.into(), "field 'proposals[0].accepted_by' must be an array, not a string"),
        ("paxos_invariant_check".into(), r#""proposals": [{"n": 1, "value": 1, "accepted_by": []}, {"n": 2, "value": 1, "accepted_by": ["n1", null]}]"#.into(), "field 'proposals[1].accepted_by[1]' must be a string, not null"),
    ];
    assert_malformed(cases);
}

#[test]
fn row_out_of_range_fields_are_error_12_naming_the_field() {
    let cases = [
        ("paxos_safety_test", r#""nodes": 0, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#, "field 'nodes' is out of range: must be between 1 and 10000"),
        ("paxos_safety_test", r#""nodes": -3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#, "field 'nodes' is out of range: must be between 1 and 10000"),
        ("paxos_safety_test", r#""nodes": 3, "chosen_value": 1, "chosen_at_n": -1, "new_proposal_n": 2"#, "field 'chosen_at_n' is out of range: must be >= 0"),
        ("paxos_safety_test", r#""nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": -2"#, "field 'new_proposal_n' is out of range: must be >= 0"),
        ("paxos_safety_test", r#""nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2, "seed": -1"#, "field 'seed' is out of range: must be >= 0"),
        ("paxos_safety_test", r#""nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2, "seed": 18446744073709551616"#, "field 'seed' is out of range: must be between 0 and 18446744073709551615"),
        ("paxos_invariant_check", r#""proposals": [], "nodes": 0"#, "field 'nodes' is out of range: must be between 1 and 10000"),
        ("paxos_invariant_check", r#""proposals": [{"n": -1, "value": 1, "accepted_by": []}]"#, "field 'proposals[0].n' is out of range: must be >= 0"),
        ("paxos_invariant_check", r#""proposals": [{"n": 1, "value": 1, "accepted_by": ["a", "b", "a", "c"]}], "nodes": 2"#, "field 'proposals[0].accepted_by[3]' is out of range: more distinct acceptor ids than nodes (2)"),
    ];
    assert_malformed(cases);
}

#[test]
fn row_an_unknown_type_is_error_10() {
    assert_eq!(
        after_init(&request("echo", 2, r#""echo": "hi""#)),
        error(10, r#"unsupported message type \"echo\""#)
    );
    let run =
        node_lines(&[r#"{"src": "c0", "dest": "n1", "body": {"type": "caf\u00e9", "msg_id": 2}}"#]);
    assert_eq!(
        run.out,
        r#"{"src": "n1", "dest": "c0", "body": {"type": "error", "in_reply_to": 2, "code": 10, "text": "unsupported message type \"caf\u00e9\"", "msg_id": 0}}"#
            .to_string()
            + "\n"
    );
}

#[test]
fn row_replies_are_ignored() {
    let run = node_lines(&[
        INIT,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "init_ok", "in_reply_to": 1}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "paxos_safety_test", "msg_id": 5, "in_reply_to": 1, "nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "error", "in_reply_to": null, "code": 12}}"#,
        &request("paxos_invariant_check", 6, r#""proposals": []"#),
    ]);
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{}", run.out);
    assert!(lines[1].contains(r#""in_reply_to": 6"#) && lines[1].ends_with(r#""msg_id": 1}}"#));
}

#[test]
fn row_a_request_without_msg_id_gets_a_reply_without_in_reply_to() {
    let run = node_lines(&[
        r#"{"src": "c0", "dest": "n1", "body": {"type": "init", "node_id": "n1", "node_ids": ["n1"]}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "paxos_invariant_check", "proposals": []}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "paxos_safety_test", "nodes": 0}}"#,
        r#"{"src": "c0", "dest": "n1", "body": {"type": "what"}}"#,
    ]);
    assert_eq!(
        run.lines(),
        [
            r#"{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "msg_id": 0}}"#,
            r#"{"src": "n1", "dest": "c0", "body": {"type": "paxos_invariant_check_ok", "chosen_value": null, "chosen_at_n": null, "all_subsequent_match": true, "safe": true, "msg_id": 1}}"#,
            r#"{"src": "n1", "dest": "c0", "body": {"type": "error", "code": 12, "text": "field 'nodes' is out of range: must be between 1 and 10000", "msg_id": 2}}"#,
            r#"{"src": "n1", "dest": "c0", "body": {"type": "error", "code": 10, "text": "unsupported message type \"what\"", "msg_id": 3}}"#,
        ]
    );
}

#[test]
fn row_more_than_ten_thousand_nodes_is_error_12() {
    assert_eq!(
        safety(r#""nodes": 10001, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 2"#),
        error(
            12,
            "field 'nodes' is out of range: must be between 1 and 10000"
        )
    );
    assert_eq!(
        invariant(r#""proposals": [], "nodes": 10001"#),
        error(
            12,
            "field 'nodes' is out of range: must be between 1 and 10000"
        )
    );
    // Without `nodes`, an id n<k> makes the cluster at least k nodes.
    assert_eq!(
        invariant(r#""proposals": [{"n": 1, "value": 1, "accepted_by": ["n3", "n10001"]}]"#),
        error(12, "field 'proposals[0].accepted_by[1]' is out of range: an acceptor written n<k> with k > 10000 makes a cluster of more than 10000 nodes")
    );
    let ids: Vec<String> = (0..10_001).map(|k| format!("\"a{k}\"")).collect();
    assert_eq!(
        invariant(&format!(r#""proposals": [{{"n": 1, "value": 1, "accepted_by": [{}]}}]"#, ids.join(", "))),
        error(12, "field 'proposals[0].accepted_by[10000]' is out of range: more than 10000 distinct acceptor ids")
    );
}

#[test]
fn row_more_than_a_hundred_thousand_proposals_is_error_12() {
    let many = vec!["{}"; 100_001].join(",");
    assert_eq!(
        invariant(&format!(r#""proposals": [{many}]"#)),
        error(
            12,
            "field 'proposals' is out of range: at most 100000 proposals"
        )
    );
    // Many proposals within the line limit are a well-formed request.
    let fits: Vec<&str> = vec![r#"{"n":1,"value":1,"accepted_by":[]}"#; 25_000];
    assert_eq!(
        invariant(&format!(r#""proposals": [{}]"#, fits.join(","))),
        invariant_ok("null", "null", true, true)
    );
}

#[test]
fn row_a_line_over_one_mib_is_error_12_and_the_next_line_is_served() {
    let mut big = request("paxos_invariant_check", 2, r#""proposals": ["#);
    big.truncate(big.len() - 2); // reopen the body: `..."proposals": [`
    let entry = r#"{"n": 1, "value": "a", "accepted_by": ["n1"]}, "#;
    while big.len() <= 1 << 20 {
        big.push_str(entry);
    }
    big.push_str(r#"{"n": 1, "value": "a", "accepted_by": []}]}}"#);
    let len = big.len();
    let run = node_lines(&[
        INIT,
        &big,
        &request("paxos_invariant_check", 3, r#""proposals": []"#),
    ]);
    let lines = run.lines();
    assert_eq!(lines.len(), 3, "{}", run.err);
    assert_eq!(
        lines[1],
        error(
            12,
            &format!("line of {len} bytes is over the limit of 1048576 bytes")
        )
    );
    assert!(lines[2].contains(r#""in_reply_to": 3"#) && lines[2].ends_with(r#""msg_id": 2}}"#));

    // An oversized line whose first MiB does not say who sent it cannot be answered.
    let garbage = "x".repeat((1 << 20) + 10);
    let run = node_lines(&[INIT, &garbage, &request("nope", 3, "")]);
    assert_eq!(run.lines().len(), 2);
    assert!(run.err.contains("over the limit"), "{}", run.err);

    // Exactly 1 MiB is not over the limit.
    let mut exact = request("paxos_invariant_check", 2, r#""proposals": [], "pad": ""#);
    exact.truncate(exact.len() - 2); // `..."pad": "` and the padding goes on from there
    let pad = (1 << 20) - exact.len() - 3;
    exact.push_str(&"p".repeat(pad));
    exact.push_str("\"}}");
    assert_eq!(exact.len(), 1 << 20);
    assert_eq!(after_init(&exact), invariant_ok("null", "null", true, true));
}

// ---- Scenarios ----

#[test]
fn safety_test_clusters_of_1_2_3_5_and_10000_nodes() {
    for (nodes, source) in [(1, "n1"), (2, "n1"), (3, "n2"), (5, "n2"), (10_000, "n2")] {
        let fields = format!(
            r#""nodes": {nodes}, "chosen_value": "v", "chosen_at_n": 4, "new_proposal_n": 5"#
        );
        assert_eq!(
            safety(&fields),
            safety_ok(r#""v""#, true, &format!("\"{source}\""), true),
            "nodes {nodes}"
        );
        let refused = format!(
            r#""nodes": {nodes}, "chosen_value": "v", "chosen_at_n": 5, "new_proposal_n": 5"#
        );
        assert_eq!(safety(&refused), safety_ok("null", false, "null", true));
        let seeded = format!(
            r#""nodes": {nodes}, "chosen_value": "v", "chosen_at_n": 4, "new_proposal_n": 5, "seed": 99"#
        );
        let reply = safety(&seeded);
        assert_eq!(reply, safety(&seeded), "same seed, same reply");
        assert!(
            reply.contains(r#""forced_by_promise": true"#) && reply.contains(r#""safe": true"#)
        );
    }
}

#[test]
fn invariant_check_clusters_of_1_2_3_5_and_10000_nodes() {
    for nodes in [1u32, 2, 3, 5, 10_000] {
        let quorum = nodes / 2 + 1;
        let ids = |count: u32| {
            (1..=count)
                .map(|k| format!("\"n{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let short = format!(
            r#""nodes": {nodes}, "proposals": [{{"n": 2, "value": "a", "accepted_by": [{}]}}]"#,
            ids(quorum - 1)
        );
        assert_eq!(invariant(&short), invariant_ok("null", "null", true, true));
        let enough = format!(
            r#""nodes": {nodes}, "proposals": [{{"n": 2, "value": "a", "accepted_by": [{}]}}, {{"n": 3, "value": "b", "accepted_by": []}}]"#,
            ids(quorum)
        );
        assert_eq!(
            invariant(&enough),
            invariant_ok(r#""a""#, "2", false, false)
        );
    }
}

#[test]
fn values_are_echoed_as_python_writes_them() {
    let cases = [
        ("1.5e300", "1.5e+300"),
        ("-0", "0"),
        ("1.0", "1.0"),
        ("1E2", "100.0"),
        ("0.00001", "1e-05"),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
        ),
        ("true", "true"),
        ("[]", "[]"),
        (
            r#"{"z": 1, "a": [2, {"m": null}], "é": "\u00e9"}"#,
            r#"{"z": 1, "a": [2, {"m": null}], "\u00e9": "\u00e9"}"#,
        ),
        (
            r#""héllo wörld ✓ 😀""#,
            r#""h\u00e9llo w\u00f6rld \u2713 \ud83d\ude00""#,
        ),
        (
            r#""tab\t nl\n q\" bs\\ sl/ \u0001 \u007f""#,
            r#""tab\t nl\n q\" bs\\ sl/ \u0001 \u007f""#,
        ),
    ];
    for (input, echoed) in cases {
        let fields = format!(
            r#""nodes": 3, "chosen_value": {input}, "chosen_at_n": 1, "new_proposal_n": 2"#
        );
        assert_eq!(
            safety(&fields),
            safety_ok(echoed, true, "\"n2\"", true),
            "{input}"
        );
        let fields =
            format!(r#""proposals": [{{"n": 7, "value": {input}, "accepted_by": ["x"]}}]"#);
        assert_eq!(
            invariant(&fields),
            invariant_ok(echoed, "7", true, true),
            "{input}"
        );
    }
}

#[test]
fn values_compare_as_json_values() {
    // 1 and 1.0 are one value, and so are objects with their keys in another order.
    let same = [
        ("1", "1.0"),
        (r#"{"a": 1, "b": [2]}"#, r#"{"b": [2.0], "a": 1}"#),
    ];
    for (a, b) in same {
        let fields = format!(
            r#""proposals": [{{"n": 1, "value": {a}, "accepted_by": ["n1", "n2"]}}, {{"n": 2, "value": {b}, "accepted_by": ["n3"]}}]"#
        );
        let reply = invariant(&fields);
        assert!(
            reply.contains(r#""all_subsequent_match": true, "safe": true"#),
            "{reply}"
        );
        assert!(
            reply.contains(&format!(r#""chosen_value": {a}, "chosen_at_n": 1"#)),
            "{reply}"
        );
    }
    // true is not 1, "1" is not 1.
    for other in ["true", "\"1\""] {
        let fields = format!(
            r#""proposals": [{{"n": 1, "value": 1, "accepted_by": ["n1", "n2"]}}, {{"n": 2, "value": {other}, "accepted_by": []}}]"#
        );
        assert_eq!(invariant(&fields), invariant_ok("1", "1", false, false));
    }
}

#[test]
fn histories_give_the_same_verdict_in_any_order() {
    let entries = [
        r#"{"n": 1, "value": "a", "accepted_by": ["n1"]}"#,
        r#"{"n": 3, "value": "b", "accepted_by": ["n1", "n2"]}"#,
        r#"{"n": 3, "value": "b", "accepted_by": ["n3"]}"#,
        r#"{"n": 5, "value": "b", "accepted_by": ["n2"]}"#,
        r#"{"n": 8, "value": "b", "accepted_by": []}"#,
        r#"{"n": 2, "value": "z", "accepted_by": ["n4"]}"#,
    ];
    let expected = invariant_ok(r#""b""#, "3", true, true);
    // Every rotation and its reverse: twelve orders.
    for shift in 0..entries.len() {
        let mut order: Vec<&str> = entries.to_vec();
        order.rotate_left(shift);
        for _ in 0..2 {
            let fields = format!(r#""proposals": [{}], "nodes": 5"#, order.join(", "));
            assert_eq!(invariant(&fields), expected, "{order:?}");
            order.reverse();
        }
    }
}

#[test]
fn unsafe_histories_are_reported_with_an_explanation() {
    let fields = r#""proposals": [{"n": 4, "value": "x", "accepted_by": ["n1", "n2"]}, {"n": 4, "value": "y", "accepted_by": ["n3"]}]"#;
    let run = node_lines(&[INIT, &request("paxos_invariant_check", 2, fields)]);
    assert_eq!(run.lines()[1], invariant_ok(r#""x""#, "4", true, false));
    assert_eq!(
        run.err,
        "line 2: unsafe: ballot-uniqueness violated: ballot 4 carries \"x\" and \"y\" (a ballot must carry a single value)\n"
    );
}

#[test]
fn msg_ids_count_every_message_written_including_errors() {
    let run = node_lines(&[
        INIT,
        "garbage",
        &request("nope", 2, ""),
        r#"{"src": "c0", "dest": "n1", "body": {"type": "x", "in_reply_to": 1}}"#,
        &request("paxos_safety_test", 3, r#""nodes": 0"#),
        &request("paxos_invariant_check", 4, r#""proposals": []"#),
    ]);
    let ids: Vec<String> = run
        .lines()
        .iter()
        .map(|l| {
            l.rsplit_once(r#""msg_id": "#)
                .expect("msg_id is last")
                .1
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["0}}", "1}}", "2}}", "3}}"]);
}

#[test]
fn init_renames_the_node_and_before_init_the_dest_speaks() {
    let run = node_lines(&[
        &request("paxos_invariant_check", 1, r#""proposals": []"#).replace("\"n1\"", "\"n7\""),
        r#"{"src": "c1", "dest": "zz", "body": {"type": "init", "msg_id": 2, "node_id": "n3", "node_ids": ["n1", "n2", "n3"]}}"#,
        &request("paxos_invariant_check", 3, r#""proposals": []"#),
    ]);
    let lines = run.lines();
    assert!(
        lines[0].starts_with(r#"{"src": "n7", "dest": "c0""#),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        r#"{"src": "n3", "dest": "c1", "body": {"type": "init_ok", "in_reply_to": 2, "msg_id": 1}}"#
    );
    assert!(
        lines[2].starts_with(r#"{"src": "n3", "dest": "c0""#),
        "{}",
        lines[2]
    );
}

// ---- The acceptor: paxos_prepare, paxos_accept, paxos_chosen ----

/// Feeds `lines` to a fresh `paxos-safety node` with `args` and waits for it to exit.
fn node_args(args: &[&str], lines: &[&str]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = lines.join("\n");
    input.push('\n');
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().expect("the node exits");
    writer.join().expect("the writer thread ends");
    Run {
        out: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        err: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        code: output.status.code(),
    }
}

/// An acceptor request from `c1`, as the tasks write them (no spaces).
fn paxos(kind: &str, msg_id: u64, fields: &str) -> String {
    let sep = if fields.is_empty() { "" } else { "," };
    format!(
        r#"{{"src":"c1","dest":"n1","body":{{"type":"{kind}","msg_id":{msg_id}{sep}{fields}}}}}"#
    )
}

/// The reply body of an acceptor request, as the node must write it to `c1`.
fn paxos_reply(kind: &str, in_reply_to: u64, fields: &str, msg_id: u64) -> String {
    format!(
        r#"{{"src": "n1", "dest": "c1", "body": {{"type": "{kind}", "in_reply_to": {in_reply_to}, {fields}, "msg_id": {msg_id}}}}}"#
    )
}

/// The replies after `init_ok` to a session of acceptor requests, with `args`.
fn acceptor_session(args: &[&str], requests: &[String]) -> Vec<String> {
    let mut lines = vec![INIT];
    lines.extend(requests.iter().map(String::as_str));
    let run = node_args(args, &lines);
    assert_eq!(run.code, Some(0), "stderr: {}", run.err);
    let mut replies: Vec<String> = run.lines().iter().map(|l| l.to_string()).collect();
    assert_eq!(replies.first().map(String::as_str), Some(INIT_OK));
    replies.remove(0);
    replies
}

#[test]
fn example_acceptor_session_byte_for_byte() {
    let input = concat!(
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#,
        "\n",
        r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":2,"proposal_n":5}}"#,
        "\n",
        r#"{"src":"c1","dest":"n1","body":{"type":"paxos_prepare","msg_id":3,"proposal_n":3}}"#,
        "\n",
        r#"{"src":"c1","dest":"n1","body":{"type":"paxos_accept","msg_id":4,"proposal_n":5,"value":"hello"}}"#,
        "\n",
        r#"{"src":"c1","dest":"n1","body":{"type":"paxos_accept","msg_id":5,"proposal_n":3,"value":"old"}}"#,
        "\n",
    );
    let expected = concat!(
        r#"{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}"#,
        "\n",
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 2, "promised": true, "accepted_n": null, "accepted_value": null, "msg_id": 1}}"#,
        "\n",
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_promise", "in_reply_to": 3, "promised": false, "highest_promised": 5, "msg_id": 2}}"#,
        "\n",
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 4, "accepted": true, "proposal_n": 5, "value": "hello", "msg_id": 3}}"#,
        "\n",
        r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "in_reply_to": 5, "accepted": false, "highest_promised": 5, "msg_id": 4}}"#,
        "\n",
    );
    for args in [&[][..], &["node"][..]] {
        let run = node_args(args, &[input.trim_end()]);
        assert_eq!(run.out, expected, "{args:?}");
        assert_eq!((run.err.as_str(), run.code), ("", Some(0)));
    }
}

#[test]
fn prepare_promises_only_above_its_promise_and_reports_the_latest_vote() {
    let replies = acceptor_session(
        &[],
        &[
            paxos("paxos_prepare", 2, r#""proposal_n":0"#),
            // Equal to the promise: refused on the wire (the simulator would answer it).
            paxos("paxos_prepare", 3, r#""proposal_n":0"#),
            paxos("paxos_accept", 4, r#""proposal_n":0,"value":"v0""#),
            paxos("paxos_prepare", 5, r#""proposal_n":7"#),
            paxos("paxos_prepare", 6, r#""proposal_n":7"#),
            paxos(
                "paxos_accept",
                7,
                r#""proposal_n":7,"value":{"b":1,"a":[1.0,"\u00e9"]}"#,
            ),
            paxos("paxos_prepare", 8, r#""proposal_n":9223372036854775808"#),
            paxos("paxos_prepare", 9, r#""proposal_n":18446744073709551615"#),
        ],
    );
    assert_eq!(
        replies,
        [
            paxos_reply(
                "paxos_promise",
                2,
                r#""promised": true, "accepted_n": null, "accepted_value": null"#,
                1
            ),
            paxos_reply(
                "paxos_promise",
                3,
                r#""promised": false, "highest_promised": 0"#,
                2
            ),
            paxos_reply(
                "paxos_accepted",
                4,
                r#""accepted": true, "proposal_n": 0, "value": "v0""#,
                3
            ),
            paxos_reply(
                "paxos_promise",
                5,
                r#""promised": true, "accepted_n": 0, "accepted_value": "v0""#,
                4
            ),
            paxos_reply(
                "paxos_promise",
                6,
                r#""promised": false, "highest_promised": 7"#,
                5
            ),
            paxos_reply(
                "paxos_accepted",
                7,
                r#""accepted": true, "proposal_n": 7, "value": {"b": 1, "a": [1.0, "\u00e9"]}"#,
                6
            ),
            paxos_reply(
                "paxos_promise",
                8,
                r#""promised": true, "accepted_n": 7, "accepted_value": {"b": 1, "a": [1.0, "\u00e9"]}"#,
                7
            ),
            paxos_reply(
                "paxos_promise",
                9,
                r#""promised": true, "accepted_n": 7, "accepted_value": {"b": 1, "a": [1.0, "\u00e9"]}"#,
                8
            ),
        ]
    );
}

#[test]
fn accept_votes_at_or_above_its_promise_and_raises_it() {
    let replies = acceptor_session(
        &[],
        &[
            // Nothing promised: any ballot gets the vote.
            paxos("paxos_accept", 2, r#""proposal_n":4,"value":"a""#),
            paxos("paxos_accept", 3, r#""proposal_n":4,"value":"b""#),
            paxos("paxos_accept", 4, r#""proposal_n":3,"value":"c""#),
            paxos("paxos_prepare", 5, r#""proposal_n":4"#),
            paxos("paxos_accept", 6, r#""proposal_n":9,"value":null"#),
            paxos("paxos_prepare", 7, r#""proposal_n":8"#),
            paxos("paxos_prepare", 8, r#""proposal_n":10"#),
        ],
    );
    assert_eq!(
        replies,
        [
            paxos_reply(
                "paxos_accepted",
                2,
                r#""accepted": true, "proposal_n": 4, "value": "a""#,
                1
            ),
            paxos_reply(
                "paxos_accepted",
                3,
                r#""accepted": true, "proposal_n": 4, "value": "b""#,
                2
            ),
            paxos_reply(
                "paxos_accepted",
                4,
                r#""accepted": false, "highest_promised": 4"#,
                3
            ),
            paxos_reply(
                "paxos_promise",
                5,
                r#""promised": false, "highest_promised": 4"#,
                4
            ),
            paxos_reply(
                "paxos_accepted",
                6,
                r#""accepted": true, "proposal_n": 9, "value": null"#,
                5
            ),
            paxos_reply(
                "paxos_promise",
                7,
                r#""promised": false, "highest_promised": 9"#,
                6
            ),
            paxos_reply(
                "paxos_promise",
                8,
                r#""promised": true, "accepted_n": 9, "accepted_value": null"#,
                7
            ),
        ]
    );
}

#[test]
fn chosen_is_null_before_any_vote_and_the_latest_vote_after() {
    let replies = acceptor_session(
        &[],
        &[
            paxos("paxos_chosen", 2, ""),
            paxos("paxos_prepare", 3, r#""proposal_n":5"#),
            paxos("paxos_chosen", 4, r#""extra":[1]"#),
            paxos("paxos_accept", 5, r#""proposal_n":5,"value":"hello""#),
            paxos("paxos_chosen", 6, ""),
            paxos("paxos_accept", 7, r#""proposal_n":6,"value":"v2""#),
            paxos("paxos_accept", 8, r#""proposal_n":5,"value":"late""#),
            paxos("paxos_chosen", 9, ""),
        ],
    );
    let chosen = |id, fields, msg_id| paxos_reply("paxos_chosen_ok", id, fields, msg_id);
    assert_eq!(
        replies[0],
        chosen(2, r#""value": null, "chosen_at_n": null"#, 1)
    );
    assert_eq!(
        replies[2],
        chosen(4, r#""value": null, "chosen_at_n": null"#, 3)
    );
    assert_eq!(
        replies[4],
        chosen(6, r#""value": "hello", "chosen_at_n": 5"#, 5)
    );
    assert_eq!(
        replies[7],
        chosen(9, r#""value": "v2", "chosen_at_n": 6"#, 8)
    );
}

#[test]
fn acceptor_requests_tolerate_extra_fields_and_answer_without_msg_id() {
    let run = node_lines(&[
        INIT,
        r#"{"src": "c1", "dest": "n1", "id": 3, "body": {"type": "paxos_prepare", "reason": "x", "proposal_n": 2, "src": "p1", "msg_id": 2}}"#,
        r#"{"src": "c1", "dest": "n1", "body": {"type": "paxos_accept", "proposal_n": 2, "value": "v1"}}"#,
    ]);
    assert_eq!(
        run.lines()[1..],
        [
            paxos_reply("paxos_promise", 2, r#""promised": true, "accepted_n": null, "accepted_value": null"#, 1),
            r#"{"src": "n1", "dest": "c1", "body": {"type": "paxos_accepted", "accepted": true, "proposal_n": 2, "value": "v1", "msg_id": 2}}"#.to_string(),
        ]
    );
}

#[test]
fn acceptor_fields_missing_or_ill_typed_are_error_12_naming_the_field() {
    let cases = [
        ("paxos_prepare", "", "field 'proposal_n' is missing"),
        (
            "paxos_prepare",
            r#""proposal_n": "5""#,
            "field 'proposal_n' must be an integer, not a string",
        ),
        (
            "paxos_prepare",
            r#""proposal_n": 5.0"#,
            "field 'proposal_n' must be an integer, not a float",
        ),
        (
            "paxos_prepare",
            r#""proposal_n": true"#,
            "field 'proposal_n' must be an integer, not a boolean",
        ),
        (
            "paxos_prepare",
            r#""proposal_n": null"#,
            "field 'proposal_n' must be an integer, not null",
        ),
        (
            "paxos_prepare",
            r#""proposal_n": -1"#,
            "field 'proposal_n' is out of range: must be >= 0",
        ),
        (
            "paxos_prepare",
            r#""proposal_n": 18446744073709551616"#,
            "field 'proposal_n' is out of range: must be between 0 and 18446744073709551615",
        ),
        (
            "paxos_accept",
            r#""value": "v""#,
            "field 'proposal_n' is missing",
        ),
        (
            "paxos_accept",
            r#""proposal_n": [1]"#,
            "field 'proposal_n' must be an integer, not an array",
        ),
        (
            "paxos_accept",
            r#""proposal_n": 1"#,
            "field 'value' is missing",
        ),
        (
            "paxos_accept",
            r#""proposal_n": 1e3, "value": "v""#,
            "field 'proposal_n' must be an integer, not a float",
        ),
    ];
    assert_malformed(cases);
    // A refused request changes nothing: the acceptor has promised and voted nothing.
    let replies = acceptor_session(
        &[],
        &[
            paxos("paxos_accept", 2, r#""proposal_n":-4,"value":"x""#),
            paxos("paxos_chosen", 3, ""),
        ],
    );
    assert_eq!(
        replies[1],
        paxos_reply(
            "paxos_chosen_ok",
            3,
            r#""value": null, "chosen_at_n": null"#,
            2
        )
    );
}

#[test]
fn node_bug_accept_below_promise_votes_under_its_promise() {
    let requests = [
        paxos("paxos_prepare", 2, r#""proposal_n":5"#),
        paxos("paxos_accept", 3, r#""proposal_n":3,"value":"old""#),
        paxos("paxos_prepare", 4, r#""proposal_n":6"#),
    ];
    let correct = acceptor_session(&["node"], &requests);
    let buggy = acceptor_session(&["node", "--bug", "accept-below-promise"], &requests);
    assert_eq!(
        correct[1],
        paxos_reply(
            "paxos_accepted",
            3,
            r#""accepted": false, "highest_promised": 5"#,
            2
        )
    );
    assert_eq!(
        buggy[1],
        paxos_reply(
            "paxos_accepted",
            3,
            r#""accepted": true, "proposal_n": 3, "value": "old""#,
            2
        )
    );
    assert_eq!(
        buggy[2],
        paxos_reply(
            "paxos_promise",
            4,
            r#""promised": true, "accepted_n": 3, "accepted_value": "old""#,
            3
        )
    );
}

#[test]
fn node_bug_no_promise_on_accept_lets_a_lower_accept_overwrite_a_vote() {
    let requests = [
        paxos("paxos_prepare", 2, r#""proposal_n":5"#),
        paxos("paxos_accept", 3, r#""proposal_n":8,"value":"high""#),
        paxos("paxos_accept", 4, r#""proposal_n":6,"value":"low""#),
        paxos("paxos_chosen", 5, ""),
    ];
    let correct = acceptor_session(&["node"], &requests);
    let buggy = acceptor_session(&["node", "--bug", "no-promise-on-accept"], &requests);
    assert_eq!(
        correct[2],
        paxos_reply(
            "paxos_accepted",
            4,
            r#""accepted": false, "highest_promised": 8"#,
            3
        )
    );
    assert_eq!(
        correct[3],
        paxos_reply(
            "paxos_chosen_ok",
            5,
            r#""value": "high", "chosen_at_n": 8"#,
            4
        )
    );
    assert_eq!(
        buggy[2],
        paxos_reply(
            "paxos_accepted",
            4,
            r#""accepted": true, "proposal_n": 6, "value": "low""#,
            3
        )
    );
    assert_eq!(
        buggy[3],
        paxos_reply(
            "paxos_chosen_ok",
            5,
            r#""value": "low", "chosen_at_n": 6"#,
            4
        )
    );
}

#[test]
fn node_bug_amnesia_changes_nothing_within_one_process() {
    let requests = [
        paxos("paxos_prepare", 2, r#""proposal_n":5"#),
        paxos("paxos_accept", 3, r#""proposal_n":5,"value":"v""#),
        paxos("paxos_prepare", 4, r#""proposal_n":4"#),
        paxos("paxos_prepare", 5, r#""proposal_n":6"#),
    ];
    assert_eq!(
        acceptor_session(&["node", "--bug", "amnesia"], &requests),
        acceptor_session(&["node"], &requests)
    );
}

#[test]
fn node_refuses_proposer_side_bugs_with_exit_2() {
    for bug in [
        "no-adopt",
        "adopt-lowest",
        "small-quorum",
        "ballot-collision",
        "count-duplicates",
        "stale-promise",
        "learn-mixed-ballots",
    ] {
        let run = node_args(&["node", "--bug", bug], &[INIT]);
        assert_eq!(run.code, Some(2), "{bug}");
        assert_eq!(run.out, "", "{bug}: no reply from a refused node");
        assert_eq!(
            run.err,
            format!("error: --bug {bug} is a proposer-side bug, and the node is an acceptor; the node takes accept-below-promise, no-promise-on-accept, amnesia\n")
        );
    }
    let run = node_args(&["node", "--bug", "no-such-bug"], &[INIT]);
    assert_eq!(run.code, Some(2));
    assert!(run.err.contains("unknown bug 'no-such-bug'"), "{}", run.err);
}

// ---- What json.loads reads and serde_json alone does not (issue 15, item 10) ----

#[test]
fn lone_surrogate_escapes_are_json_and_echo_as_python_writes_them() {
    // Expectations are `json.dumps(json.loads(...))` by CPython 3.11.
    let cases = [
        (r#""\ud800""#, r#""\ud800""#),
        (r#""a\uDC00b\ud800""#, r#""a\udc00b\ud800""#),
        (
            r#"["\ud83d\ude00", "\udbff\udfff", "\ud800\ud800\udc00"]"#,
            r#"["\ud83d\ude00", "\udbff\udfff", "\ud800\ud800\udc00"]"#,
        ),
        (r#"{"\udfff": "\ue000"}"#, r#"{"\udfff": "\ue000"}"#),
    ];
    for (input, echoed) in cases {
        let fields = format!(
            r#""nodes": 3, "chosen_value": {input}, "chosen_at_n": 1, "new_proposal_n": 2"#
        );
        assert_eq!(
            safety(&fields),
            safety_ok(echoed, true, "\"n2\"", true),
            "{input}"
        );
        let replies = acceptor_session(
            &[],
            &[paxos(
                "paxos_accept",
                2,
                &format!(r#""proposal_n":1,"value":{input}"#),
            )],
        );
        assert_eq!(
            replies[0],
            paxos_reply(
                "paxos_accepted",
                2,
                &format!(r#""accepted": true, "proposal_n": 1, "value": {echoed}"#),
                1
            )
        );
    }
    // Distinct surrogates are distinct values; the same one written in two cases is one.
    let history = |b: &str| {
        invariant(&format!(
            r#""proposals": [{{"n": 1, "value": "\ud800", "accepted_by": ["n1", "n2"]}}, {{"n": 2, "value": {b}, "accepted_by": []}}]"#
        ))
    };
    assert_eq!(
        history(r#""\uD800""#),
        invariant_ok(r#""\ud800""#, "1", true, true)
    );
    assert_eq!(
        history(r#""\ud801""#),
        invariant_ok(r#""\ud800""#, "1", false, false)
    );
    assert_eq!(
        history("\"\u{10FFFF}\u{E000}\""),
        invariant_ok(r#""\ud800""#, "1", false, false)
    );
    // In the envelope too: the reply goes back to the sender as it named itself.
    let run = node_lines(&[
        r#"{"src": "c\udc00", "dest": "n\ud800", "body": {"type": "x\ud800", "msg_id": 1}}"#,
    ]);
    assert_eq!(
        run.out,
        "{\"src\": \"n\\ud800\", \"dest\": \"c\\udc00\", \"body\": {\"type\": \"error\", \"in_reply_to\": 1, \"code\": 10, \"text\": \"unsupported message type \\\"x\\ud800\\\"\", \"msg_id\": 0}}\n"
    );
}

#[test]
fn nesting_past_128_levels_is_json_up_to_the_nodes_limit() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // The line's depth counts the envelope and the body: two levels above the value.
    for depth in [126, 127, 128, 1_000, 9_998] {
        let value = nested(depth);
        let fields = format!(
            r#""nodes": 3, "chosen_value": {value}, "chosen_at_n": 1, "new_proposal_n": 2"#
        );
        assert_eq!(
            safety(&fields),
            safety_ok(&value, true, "\"n2\"", true),
            "depth {depth}"
        );
        let replies = acceptor_session(
            &[],
            &[
                paxos(
                    "paxos_accept",
                    2,
                    &format!(r#""proposal_n":1,"value":{value}"#),
                ),
                paxos("paxos_prepare", 3, r#""proposal_n":2"#),
            ],
        );
        assert_eq!(
            replies[1],
            paxos_reply(
                "paxos_promise",
                3,
                &format!(r#""promised": true, "accepted_n": 1, "accepted_value": {value}"#),
                2
            )
        );
    }
    // Envelope, body, proposals, a proposal: four levels above the value.
    let objects = format!("{}1{}", r#"{"a": "#.repeat(9_996), "}".repeat(9_996));
    let fields = format!(
        r#""proposals": [{{"n": 1, "value": {objects}, "accepted_by": ["n1"]}}, {{"n": 2, "value": {objects}, "accepted_by": ["n1"]}}]"#
    );
    assert_eq!(invariant(&fields), invariant_ok(&objects, "1", true, true));

    // Deeper than the node reads: skipped with a diagnostic, the next line is served.
    let too_deep = format!(
        r#"{{"src": "c0", "dest": "n1", "body": {{"type": "paxos_chosen", "msg_id": 2, "x": {}}}}}"#,
        nested(9_999)
    );
    let run = node_lines(&[INIT, &too_deep, &request("paxos_chosen", 3, "")]);
    assert_eq!(run.lines().len(), 2, "{}", run.out);
    assert!(run.lines()[1].contains(r#""in_reply_to": 3"#));
    assert_eq!(
        run.err,
        "line 2: nested 10001 levels deep, over the limit of 10000 (json.loads raises RecursionError well before); skipped\n"
    );
}

#[test]
fn closed_stdout_and_stderr_end_the_node_without_a_panic() {
    // Both pipes are closed before the node writes: its first reply fails, and so does
    // every word it would say about that on stderr.
    for args in [&[][..], &["node"][..], &["node", "--bug", "no-adopt"][..]] {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        drop(child.stdout.take());
        drop(child.stderr.take());
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let mut input = format!("garbage\n{INIT}\n");
        input.push_str(&request("paxos_chosen", 2, ""));
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        let status = child.wait().expect("the node exits");
        let expected = if args.len() == 3 { 2 } else { 1 };
        assert_eq!(
            status.code(),
            Some(expected),
            "{args:?}: exit 101 is a panic"
        );
    }
}
