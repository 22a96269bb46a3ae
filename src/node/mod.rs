//! The grader node: JSON requests on stdin, one reply line each on stdout (PROTOCOL.md).
//!
//! This is the third driver of the protocol code, beside the simulator and the unit tests:
//! `paxos_safety_test` runs a scenario through the real acceptors and proposers with the
//! real checker watching (`safety_test.rs`), `paxos_invariant_check` feeds a history to
//! that same checker (`invariant_check.rs`), and `paxos_prepare`, `paxos_accept` and
//! `paxos_chosen` make the process one acceptor (`acceptor.rs`). This module owns only the
//! wire: reading lines as Python's `json.loads` would (`json.rs`), telling requests from
//! noise, and writing replies byte for byte as Python's `json.dumps` would, because the
//! grader compares bytes.
//!
//! Replies are written by hand through [`pyjson`], not through serde, for two reasons:
//! keys must come in the protocol's order (with `msg_id` last), and echoed values must keep
//! Python's formatting (key order as received, `\uXXXX` escapes, Python's floats).
//!
//! Where PROTOCOL.md is silent, the node does what `json.loads` plus `dict.get` would
//! suggest, and says so here so that a grader's author can check:
//!
//! - `src` and `dest` may be any JSON value and are echoed as they came; a message with
//!   no `src` (or, before `init`, no `dest`) cannot be addressed and gets only a
//!   diagnostic.
//! - `msg_id: null` and optional fields set to `null` count as absent. A `msg_id` that is
//!   not an integer `>= 0` makes the request malformed (error 12 naming `msg_id`); the
//!   reply still echoes it as `in_reply_to`, so the sender can match it.
//! - `init` needs `node_id` (a string) and `node_ids` (an array of strings).
//! - Fields are checked in the order PROTOCOL.md lists them (`msg_id` first) and the
//!   first bad one is named, with a path such as `proposals[2].accepted_by[0]`.
//! - A line over 1 MiB is answered (error 12) when its first MiB shows an object with a
//!   `src`, not a reply, and a string type if the type is visible at all; otherwise
//!   only a diagnostic says what happened to it.
//!
//! The node must outlive any input. Nothing derived from a request is unwrapped or
//! indexed blindly; one bad line costs that line's reply and nothing else; a line is kept
//! to at most 1 MiB however long it is (`input.rs`); a line nested deeper than serde's
//! limit is handled on a thread whose stack fits `json::MAX_DEPTH` levels; only a
//! failure to write stdout (the grader is gone) or to read stdin ends the loop before end
//! of input. Nothing here prints with `println!` or `eprintln!`, which panic when their
//! pipe is closed: stderr is written with its errors ignored.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use serde_json::{Map, Value as Json};

use crate::bug::Bug;
use crate::pyjson;

mod acceptor;
mod fields;
mod input;
mod invariant_check;
mod json;
mod safety_test;
mod values;

pub use acceptor::ACCEPTOR_BUGS;

use fields::{array, field, nat, string, FieldError};
use input::{Glimpse, Line, LINE_LIMIT};

/// The largest cluster a request may describe.
pub const MAX_NODES: u64 = 10_000;
/// The most proposals one `paxos_invariant_check` may carry.
pub const MAX_PROPOSALS: usize = 100_000;

/// Maelstrom's error code for a request the node does not support.
const NOT_SUPPORTED: u32 = 10;
/// Maelstrom's error code for a malformed request.
const MALFORMED_REQUEST: u32 = 12;

/// Serves the grader protocol on this process's stdin and stdout until end of input, with
/// `bug` (one of [`ACCEPTOR_BUGS`]) switched on in the node's acceptor.
pub fn run_stdio(bug: Option<Bug>) -> ExitCode {
    let (stdin, stdout, stderr) = (io::stdin(), io::stdout(), io::stderr());
    if io::IsTerminal::is_terminal(&stdin) {
        // Someone typed the bare command: say what it is waiting for (stderr is not graded).
        let _ = writeln!(
            stderr.lock(),
            "paxos-safety: grader node, reading JSON messages on stdin (Ctrl-D ends); \
             try `paxos-safety --help` for the simulator"
        );
    }
    match serve_with_bug(bug, stdin.lock(), stdout.lock(), stderr.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr.lock(), "paxos-safety node: stopping: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves the grader protocol: reads `input` to its end, writes every reply line to `out`
/// (flushed line by line) and every diagnostic line to `err`. Returns early only if
/// reading `input` or writing `out` fails; a failure to write `err` is ignored, because
/// diagnostics must never cost a reply.
pub fn serve(input: impl BufRead, out: impl Write, err: impl Write) -> io::Result<()> {
    serve_with_bug(None, input, out, err)
}

/// [`serve`] with `bug` switched on in the node's acceptor (`None`: the correct node).
/// A bug outside [`ACCEPTOR_BUGS`] would change nothing the node does; the command line
/// refuses it before calling this.
pub fn serve_with_bug(
    bug: Option<Bug>,
    mut input: impl BufRead,
    mut out: impl Write,
    mut err: impl Write,
) -> io::Result<()> {
    let mut node = Node::new(bug);
    let mut line = Vec::new();
    let mut reply = String::new();
    let mut diagnostic = String::new();
    let mut number: u64 = 0;
    while let Some(kind) = input::read_line(&mut input, &mut line, LINE_LIMIT)? {
        number += 1;
        reply.clear();
        diagnostic.clear();
        match kind {
            Line::Whole if input::is_blank(&line) => continue,
            Line::Whole => node.handle_line(&line, &mut reply, &mut diagnostic),
            Line::Oversized { len } => {
                node.handle_oversized(&line, len, &mut reply, &mut diagnostic)
            }
        }
        if !reply.is_empty() {
            out.write_all(reply.as_bytes())?;
            out.flush()?;
        }
        if !diagnostic.is_empty() {
            let _ = writeln!(err, "line {number}: {diagnostic}");
            let _ = err.flush();
        }
    }
    Ok(())
}

/// The node's state across lines: its name once `init` gave it one, how many messages it
/// has written, and its acceptor.
#[derive(Debug)]
struct Node {
    node_id: Option<String>,
    sent: u64,
    acceptor: acceptor::WireAcceptor,
}

/// The stack for a line nested up to [`json::MAX_DEPTH`] levels. Parsing, comparing,
/// writing and dropping such a value each recurse once per level. Measured on a debug
/// build with values 10,000 levels deep in every request type: 1,280 bytes a level
/// suffice and 1,024 overflow (nested objects); 4 KiB a level leaves three times that.
/// The memory is reserved, and touched only as deep as a line goes.
const DEEP_STACK_BYTES: usize = json::MAX_DEPTH * 4096 + (1 << 20);

/// Where a reply goes and what it answers.
struct Address<'a> {
    /// The reply's `src`, already as JSON text.
    node: String,
    /// The request's `src`, echoed as the reply's `dest`.
    to: &'a Json,
    /// The request's `msg_id`, echoed as `in_reply_to`.
    msg_id: Option<&'a Json>,
}

/// A request that gets an error reply instead of an answer.
enum Refusal {
    Malformed(FieldError),
    NotSupported(String),
}

impl Node {
    fn new(bug: Option<Bug>) -> Node {
        Node {
            node_id: None,
            sent: 0,
            acceptor: acceptor::WireAcceptor::new(bug),
        }
    }

    /// Handles one whole line: writes the reply line (if any) to `reply` and a diagnostic
    /// (if any) to `diagnostic`. A line nested deeper than serde's limit goes to a thread
    /// with a stack that fits it; deeper than the node reads, it is skipped.
    fn handle_line(&mut self, line: &[u8], reply: &mut String, diagnostic: &mut String) {
        let shape = json::scan(line);
        if shape.depth <= json::SERDE_DEPTH {
            return self.handle(line, shape, reply, diagnostic);
        }
        if shape.depth > json::MAX_DEPTH {
            diagnostic.push_str(&format!(
                "nested {} levels deep, over the limit of {} (json.loads raises \
                 RecursionError well before); skipped",
                shape.depth,
                json::MAX_DEPTH
            ));
            return;
        }
        let spawned = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("deep-line".to_string())
                .stack_size(DEEP_STACK_BYTES)
                .spawn_scoped(scope, || self.handle(line, shape, reply, diagnostic))
                .map(|handle| handle.join())
        });
        match spawned {
            Ok(Ok(())) => {}
            Ok(Err(_)) => diagnostic.push_str("handling this deeply nested line panicked"),
            Err(e) => diagnostic.push_str(&format!(
                "nested {} levels deep, and no thread could be started for it ({e}); skipped",
                shape.depth
            )),
        }
    }

    /// Handles one whole line whose [`json::scan`] is `shape`, on a stack that fits it.
    fn handle(
        &mut self,
        line: &[u8],
        shape: json::Shape,
        reply: &mut String,
        diagnostic: &mut String,
    ) {
        let message: Json = match json::parse(line, shape) {
            Ok(v) => v,
            Err(e) => {
                diagnostic.push_str(&format!("not JSON ({e}); skipped"));
                return;
            }
        };
        let Message {
            envelope,
            body,
            kind,
        } = match parts(&message) {
            Ok(parts) => parts,
            Err(problem) => {
                diagnostic.push_str(&format!("{problem}; skipped"));
                return;
            }
        };
        if body.contains_key("in_reply_to") {
            diagnostic.push_str(&format!("a reply ({kind}); ignored"));
            return;
        }
        let Some(to) = envelope.get("src") else {
            diagnostic.push_str("no src to reply to; skipped");
            return;
        };
        let msg_id = body.get("msg_id").filter(|v| !v.is_null());

        let result = match msg_id.map(nat) {
            Some(Err(p)) => Err(Refusal::Malformed(p.at("msg_id"))),
            _ => self.dispatch(kind, body, diagnostic),
        };
        let Some(node) = self.sender(envelope.get("dest")) else {
            diagnostic.push_str("no dest to reply from, and no init yet; skipped");
            return;
        };
        let address = Address { node, to, msg_id };
        match result {
            Ok((reply_type, fields)) => self.write(reply, &address, reply_type, &fields),
            Err(Refusal::Malformed(e)) => {
                self.write_error(reply, &address, MALFORMED_REQUEST, &e.to_string())
            }
            Err(Refusal::NotSupported(text)) => {
                self.write_error(reply, &address, NOT_SUPPORTED, &text)
            }
        }
    }

    /// Runs a request of type `kind`; returns the reply's type and its fields between
    /// `in_reply_to` and `msg_id`, already as JSON text.
    fn dispatch(
        &mut self,
        kind: &str,
        body: &Map<String, Json>,
        diagnostic: &mut String,
    ) -> Result<(&'static str, String), Refusal> {
        let mut fields = String::new();
        match kind {
            "init" => {
                let node_id = field(body, "node_id", string).map_err(Refusal::Malformed)?;
                let node_ids = field(body, "node_ids", array).map_err(Refusal::Malformed)?;
                for (i, id) in node_ids.iter().enumerate() {
                    string(id).map_err(|p| Refusal::Malformed(p.at(format!("node_ids[{i}]"))))?;
                }
                self.node_id = Some(node_id.to_string());
                Ok(("init_ok", fields))
            }
            "paxos_safety_test" => {
                let request = safety_test::Request::parse(body).map_err(Refusal::Malformed)?;
                let outcome = safety_test::run(&request, None);
                if !outcome.safe {
                    explain(diagnostic, outcome.violation.as_deref());
                }
                outcome.write_fields(&mut fields);
                Ok(("paxos_safety_test_ok", fields))
            }
            "paxos_prepare" => {
                self.acceptor
                    .prepare(body, &mut fields)
                    .map_err(Refusal::Malformed)?;
                Ok(("paxos_promise", fields))
            }
            "paxos_accept" => {
                self.acceptor
                    .accept(body, &mut fields)
                    .map_err(Refusal::Malformed)?;
                Ok(("paxos_accepted", fields))
            }
            "paxos_chosen" => {
                self.acceptor.chosen(&mut fields);
                Ok(("paxos_chosen_ok", fields))
            }
            "paxos_invariant_check" => {
                let verdict = invariant_check::check(body).map_err(Refusal::Malformed)?;
                if !verdict.safe {
                    explain(diagnostic, verdict.violation.as_deref());
                }
                verdict.write_fields(&mut fields);
                Ok(("paxos_invariant_check_ok", fields))
            }
            other => {
                // Quoted plainly: the whole text is escaped once, when the reply is written.
                Err(Refusal::NotSupported(format!(
                    "unsupported message type \"{other}\""
                )))
            }
        }
    }

    /// A line over the limit: answered with error 12 when its first MiB says who sent it.
    fn handle_oversized(
        &mut self,
        prefix: &[u8],
        len: u64,
        reply: &mut String,
        diagnostic: &mut String,
    ) {
        let over = format!("line of {len} bytes is over the limit of {LINE_LIMIT} bytes");
        let Glimpse {
            object,
            src,
            dest,
            body_type,
            msg_id,
            in_reply_to,
        } = input::glimpse(prefix);
        let unanswerable = if !object {
            Some("and is not a JSON object")
        } else if in_reply_to {
            Some("and is a reply")
        } else if body_type.as_ref().is_some_and(|t| !t.is_string()) {
            Some("and its body.type is not a string")
        } else if src.is_none() {
            Some("and its first MiB holds no src to reply to")
        } else {
            None
        };
        if let Some(why) = unanswerable {
            diagnostic.push_str(&format!("{over} {why}; skipped"));
            return;
        }
        let (Some(to), Some(node)) = (src.as_ref(), self.sender(dest.as_ref())) else {
            diagnostic.push_str(&format!(
                "{over}, and there is no dest to reply from; skipped"
            ));
            return;
        };
        let msg_id = msg_id.as_ref().filter(|v| !v.is_null());
        let address = Address { node, to, msg_id };
        self.write_error(reply, &address, MALFORMED_REQUEST, &over);
        diagnostic.push_str(&over);
    }

    /// The reply's `src` as JSON text: the `node_id` from `init`, else the request's `dest`.
    fn sender(&self, dest: Option<&Json>) -> Option<String> {
        let mut text = String::new();
        match (&self.node_id, dest) {
            (Some(id), _) => pyjson::write_str(&mut text, id),
            (None, Some(dest)) => pyjson::write_value(&mut text, dest),
            (None, None) => return None,
        }
        Some(text)
    }

    /// Writes one reply line: the envelope, `type`, `in_reply_to` when the request had a
    /// `msg_id`, the given fields, and this node's `msg_id` last.
    fn write(&mut self, out: &mut String, address: &Address, kind: &str, fields: &str) {
        out.push_str("{\"src\": ");
        out.push_str(&address.node);
        out.push_str(", \"dest\": ");
        pyjson::write_value(out, address.to);
        out.push_str(", \"body\": {\"type\": ");
        pyjson::write_str(out, kind);
        if let Some(id) = address.msg_id {
            out.push_str(", \"in_reply_to\": ");
            pyjson::write_value(out, id);
        }
        out.push_str(fields);
        out.push_str(&format!(", \"msg_id\": {}}}}}\n", self.sent));
        self.sent += 1;
    }

    fn write_error(&mut self, out: &mut String, address: &Address, code: u32, text: &str) {
        let mut fields = format!(", \"code\": {code}, \"text\": ");
        pyjson::write_str(&mut fields, text);
        self.write(out, address, "error", &fields);
    }
}

/// A line that is a message: an object whose body is an object with a string type.
struct Message<'a> {
    envelope: &'a Map<String, Json>,
    body: &'a Map<String, Json>,
    kind: &'a str,
}

/// Splits a message into its envelope, body and type, or says why it is not a message.
fn parts(message: &Json) -> Result<Message<'_>, String> {
    let envelope = message
        .as_object()
        .ok_or_else(|| format!("not a JSON object but {}", fields::kind(message)))?;
    let body = match envelope.get("body") {
        None => return Err("no body".to_string()),
        Some(Json::Object(body)) => body,
        Some(other) => return Err(format!("body is {}, not an object", fields::kind(other))),
    };
    match body.get("type") {
        Some(Json::String(kind)) => Ok(Message {
            envelope,
            body,
            kind,
        }),
        None => Err("body has no type".to_string()),
        Some(other) => Err(format!(
            "body.type is {}, not a string",
            fields::kind(other)
        )),
    }
}

/// `true` or `false`, as JSON writes them.
fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn explain(diagnostic: &mut String, violation: Option<&str>) {
    diagnostic.push_str("unsafe: ");
    diagnostic.push_str(violation.unwrap_or("the checker found a violation"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `lines` through `serve` and returns (stdout, stderr).
    fn run(lines: &str) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        serve(lines.as_bytes(), &mut out, &mut err).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn init_then_the_safety_example() {
        let (out, err) = run(concat!(
            r#"{"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1"]}}"#,
            "\n",
            r#"{"src": "c0", "dest": "n1", "body": {"type": "paxos_safety_test", "msg_id": 2, "nodes": 5, "chosen_value": "v1", "chosen_at_n": 3, "new_proposal_n": 7}}"#,
        ));
        assert_eq!(
            out,
            concat!(
                r#"{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}"#,
                "\n",
                r#"{"src": "n1", "dest": "c0", "body": {"type": "paxos_safety_test_ok", "in_reply_to": 2, "new_proposal_value": "v1", "forced_by_promise": true, "promise_source": "n2", "safe": true, "msg_id": 1}}"#,
                "\n"
            )
        );
        assert_eq!(err, "");
    }

    #[test]
    fn before_init_the_sender_is_the_request_dest() {
        let (out, _) = run(r#"{"src": "c9", "dest": {"x": 1}, "body": {"type": "nope"}}"#);
        assert_eq!(
            out,
            r#"{"src": {"x": 1}, "dest": "c9", "body": {"type": "error", "code": 10, "text": "unsupported message type \"nope\"", "msg_id": 0}}"#
                .to_string()
                + "\n"
        );
    }

    #[test]
    fn noise_is_reported_on_stderr_only() {
        let (out, err) = run("nope\n[1]\n{}\n{\"body\": 1}\n{\"body\": {\"type\": 2}}\n  \n\n");
        assert_eq!(out, "");
        assert_eq!(err.lines().count(), 5, "{err}");
        assert!(err.starts_with("line 1: not JSON"));
        assert!(err.contains("line 5: body.type is an integer, not a string"));
    }

    #[test]
    fn replies_and_addressless_requests_get_no_answer() {
        let (out, err) = run(concat!(
            r#"{"src": "c0", "dest": "n1", "body": {"type": "init_ok", "in_reply_to": 1}}"#,
            "\n",
            r#"{"dest": "n1", "body": {"type": "init", "msg_id": 1}}"#,
            "\n",
            r#"{"src": "c0", "body": {"type": "init", "msg_id": 1}}"#,
        ));
        assert_eq!(out, "");
        assert_eq!(err.lines().count(), 3, "{err}");
    }

    #[test]
    fn a_bad_msg_id_is_a_malformed_request_that_still_echoes_it() {
        let (out, _) = run(
            r#"{"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": -1, "node_id": "n1", "node_ids": []}}"#,
        );
        assert!(
            out.contains(
                r#""in_reply_to": -1, "code": 12, "text": "field 'msg_id' is out of range"#
            ),
            "{out}"
        );
        let (out, _) = run(
            r#"{"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": null, "node_id": "n1", "node_ids": []}}"#,
        );
        assert_eq!(out, "{\"src\": \"n1\", \"dest\": \"c0\", \"body\": {\"type\": \"init_ok\", \"msg_id\": 0}}\n");
    }

    #[test]
    fn an_unsafe_verdict_is_explained_on_stderr() {
        let (out, err) = run(
            r#"{"src": "c0", "dest": "n1", "body": {"type": "paxos_invariant_check", "msg_id": 4, "proposals": [{"n": 1, "value": "a", "accepted_by": ["n1"]}, {"n": 2, "value": "b", "accepted_by": []}]}}"#,
        );
        assert!(out.contains(r#""chosen_value": "a", "chosen_at_n": 1, "all_subsequent_match": false, "safe": false, "msg_id": 0}}"#), "{out}");
        assert!(
            err.starts_with("line 1: unsafe: immutability violated"),
            "{err}"
        );
    }

    #[test]
    fn an_oversized_line_is_refused_with_its_msg_id() {
        let mut line = String::from(
            r#"{"src": "c1", "dest": "n1", "body": {"type": "paxos_invariant_check", "msg_id": 77, "proposals": ["#,
        );
        while line.len() <= LINE_LIMIT {
            line.push_str(r#"{"n": 1, "value": "a", "accepted_by": ["n1"]}, "#);
        }
        line.push_str("]}}\n");
        line.push_str(r#"{"src": "c1", "dest": "n1", "body": {"type": "paxos_invariant_check", "msg_id": 78, "proposals": []}}"#);
        let (out, err) = run(&line);
        let replies: Vec<&str> = out.lines().collect();
        assert_eq!(replies.len(), 2);
        assert!(replies[0].starts_with(r#"{"src": "n1", "dest": "c1", "body": {"type": "error", "in_reply_to": 77, "code": 12, "text": "line of "#), "{}", replies[0]);
        assert!(replies[1].contains(r#""in_reply_to": 78"#));
        assert!(err.contains("over the limit"));
    }
}
