//! Properties of the node over arbitrary input: `serve` never panics or stops early, every
//! well-formed request among the noise gets exactly one answer of the right type, and
//! every line it writes is a well-shaped message with `msg_id` last and counting up.

use paxos_safety::node::serve;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Map, Value};

/// Well-formed requests carry msg_ids from here up; nothing else does.
const WELL_FORMED_IDS: u64 = 1_000_000;

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn non_null_value() -> impl Strategy<Value = Value> {
    json_value().prop_map(|v| if v.is_null() { json!("was null") } else { v })
}

/// The body of a well-formed request, without `msg_id`, and the reply type it earns.
fn well_formed_body() -> impl Strategy<Value = (Map<String, Value>, &'static str)> {
    let init = (
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..3),
    )
        .prop_map(|(id, ids)| {
            (
                json!({"type": "init", "node_id": id, "node_ids": ids}),
                "init_ok",
            )
        });
    let safety = (
        prop_oneof![9 => 1u64..=12, 1 => Just(10_000u64)],
        non_null_value(),
        0u64..20,
        0u64..20,
        prop::option::of(any::<u64>()),
    )
        .prop_map(|(nodes, value, at, new, seed)| {
            let mut body = json!({"type": "paxos_safety_test", "nodes": nodes,
                "chosen_value": value, "chosen_at_n": at, "new_proposal_n": new});
            if let Some(seed) = seed {
                body["seed"] = json!(seed);
            }
            (body, "paxos_safety_test_ok")
        });
    let proposal = (
        0u64..8,
        prop_oneof![non_null_value(), (0..3i32).prop_map(|i| json!(i))],
        prop::collection::vec(prop_oneof!["n[1-6]", any::<String>()], 0..5),
    )
        .prop_map(|(n, value, by)| json!({"n": n, "value": value, "accepted_by": by}));
    let invariant = (
        prop::collection::vec(proposal, 0..8),
        prop::option::of(0u64..4),
    )
        .prop_map(|(proposals, extra)| {
            let mut body = json!({"type": "paxos_invariant_check", "proposals": proposals});
            if let Some(extra) = extra {
                // `nodes` must cover the distinct ids to be well formed.
                let mut ids: Vec<&str> = body["proposals"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|p| p["accepted_by"].as_array().into_iter().flatten())
                    .filter_map(Value::as_str)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                body["nodes"] = json!((ids.len() as u64 + extra).max(1));
            }
            (body, "paxos_invariant_check_ok")
        });
    // The acceptor's requests; values may be anything, null included.
    let ballot = prop_oneof![0u64..10, any::<u64>()];
    let prepare = ballot.clone().prop_map(|n| {
        (
            json!({"type": "paxos_prepare", "proposal_n": n}),
            "paxos_promise",
        )
    });
    let accept = (ballot, json_value()).prop_map(|(n, value)| {
        (
            json!({"type": "paxos_accept", "proposal_n": n, "value": value}),
            "paxos_accepted",
        )
    });
    let chosen = Just((json!({"type": "paxos_chosen"}), "paxos_chosen_ok"));
    prop_oneof![init, safety, invariant, prepare, accept, chosen].prop_map(|(body, kind)| {
        let Value::Object(body) = body else {
            unreachable!("every body above is an object")
        };
        (body, kind)
    })
}

/// One input line: a well-formed request (its reply type, and the JSON text of an extra
/// envelope field) or noise.
#[derive(Clone, Debug)]
enum Input {
    Request(Map<String, Value>, &'static str, String),
    Noise(Vec<u8>),
}

/// JSON text that Python's `json.loads` reads and serde_json alone does not: lone
/// surrogate escapes, U+10FFFF beside the node's own stand-ins, nesting past 128 levels.
fn python_only_json() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        (0xD800u32..=0xDFFF, 0xD800u32..=0xDFFF)
            .prop_map(|(a, b)| format!(r#"["\u{a:04x}", "x\u{b:04X}y"]"#)),
        Just("\"\u{10FFFF}\u{E000}\u{10FFFF}\"".to_string()),
        (126usize..400).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d))),
    ]
}

fn noise() -> impl Strategy<Value = Vec<u8>> {
    let without_newlines = |bytes: Vec<u8>| bytes.into_iter().filter(|&b| b != b'\n').collect();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64).prop_map(without_newlines),
        "[^\n]{0,64}".prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        // Envelopes with a known or unknown type and whatever body fields.
        (
            prop_oneof![
                Just("init"),
                Just("paxos_safety_test"),
                Just("paxos_invariant_check"),
                Just("paxos_prepare"),
                Just("paxos_accept"),
                Just("init_ok"),
                Just("x"),
            ],
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("nodes".to_string()),
                        Just("proposals".to_string()),
                        Just("chosen_value".to_string()),
                        Just("proposal_n".to_string()),
                        Just("value".to_string()),
                        Just("in_reply_to".to_string()),
                        Just("msg_id".to_string()),
                        any::<String>(),
                    ],
                    json_value(),
                ),
                0..5,
            ),
        )
            .prop_map(|(kind, fields)| {
                let mut body: Map<String, Value> = fields.into_iter().collect();
                body.insert("type".into(), json!(kind));
                // Noise never carries a well-formed request's msg_id.
                if let Some(Value::Number(n)) = body.get("msg_id") {
                    if n.as_u64().is_some_and(|id| id >= WELL_FORMED_IDS) {
                        body.remove("msg_id");
                    }
                }
                json!({"src": "c", "dest": "n", "body": body})
                    .to_string()
                    .into_bytes()
            }),
        // A well-formed request cut short.
        (well_formed_body(), any::<prop::sample::Index>()).prop_map(|((body, _), cut)| {
            let text = json!({"src": "c", "dest": "n", "body": body}).to_string();
            let bytes = text.into_bytes();
            let at = cut.index(bytes.len());
            bytes[..at].to_vec()
        }),
    ]
}

fn inputs() -> impl Strategy<Value = Vec<Input>> {
    prop::collection::vec(
        prop_oneof![
            (well_formed_body(), python_only_json())
                .prop_map(|((body, kind), extra)| Input::Request(body, kind, extra)),
            noise().prop_map(Input::Noise),
        ],
        0..24,
    )
}

proptest! {
    // Failing seeds go where the project keeps them (see proptest-regressions/README.md);
    // cargo runs integration tests from the package root.
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/node_props.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn serve_answers_every_well_formed_request_among_noise(lines in inputs(), final_newline in any::<bool>()) {
        let mut text = Vec::new();
        let mut expected = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match line {
                Input::Request(body, kind, extra) => {
                    let id = WELL_FORMED_IDS + i as u64;
                    let mut body = body.clone();
                    body.insert("msg_id".into(), json!(id));
                    let body = Value::Object(body);
                    text.extend(format!(r#"{{"src": "c0", "dest": "n1", "x": {extra}, "body": {body}}}"#).into_bytes());
                    expected.push((id, *kind));
                }
                Input::Noise(bytes) => text.extend_from_slice(bytes),
            }
            if i + 1 < lines.len() || final_newline {
                text.push(b'\n');
            }
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        serve(text.as_slice(), &mut out, &mut err).expect("serve reads to the end");
        let out = String::from_utf8(out).expect("replies are UTF-8");
        prop_assert!(out.is_ascii(), "replies escape everything outside ASCII");
        prop_assert!(out.is_empty() || out.ends_with('\n'));

        let mut answered = std::collections::BTreeMap::new();
        for (k, line) in out.lines().enumerate() {
            let reply: Value = serde_json::from_str(line).expect("each reply is JSON");
            let top: Vec<&String> = reply.as_object().expect("an object").keys().collect();
            prop_assert_eq!(top, ["src", "dest", "body"]);
            let body = reply["body"].as_object().expect("body is an object");
            let keys: Vec<&String> = body.keys().collect();
            prop_assert_eq!(keys.first().map(|k| k.as_str()), Some("type"));
            prop_assert_eq!(keys.last().map(|k| k.as_str()), Some("msg_id"), "msg_id last");
            prop_assert_eq!(body["msg_id"].as_u64(), Some(k as u64), "msg_id counts up");
            if let Some(id) = body.get("in_reply_to").and_then(Value::as_u64) {
                if id >= WELL_FORMED_IDS {
                    let kind = body["type"].as_str().unwrap_or("").to_string();
                    prop_assert!(answered.insert(id, kind).is_none(), "one answer per request");
                }
            }
        }
        prop_assert_eq!(answered.len(), expected.len(), "every well-formed request is answered");
        for (id, kind) in expected {
            prop_assert_eq!(answered.get(&id).map(String::as_str), Some(kind), "request {}", id);
        }
    }

    #[test]
    fn serve_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        prop_assert!(serve(bytes.as_slice(), &mut out, &mut err).is_ok());
    }

    #[test]
    fn echoed_values_read_back_equal(value in non_null_value()) {
        let line = json!({"src": "c0", "dest": "n1", "body": {"type": "paxos_safety_test",
            "msg_id": 1, "nodes": 3, "chosen_value": value, "chosen_at_n": 1, "new_proposal_n": 2}});
        let (mut out, mut err) = (Vec::new(), Vec::new());
        serve(line.to_string().as_bytes(), &mut out, &mut err).expect("serve reads to the end");
        let reply: Value = serde_json::from_slice(&out).expect("the reply is JSON");
        prop_assert_eq!(
            paxos_safety::pyjson::canonical_key(&reply["body"]["new_proposal_value"]),
            paxos_safety::pyjson::canonical_key(&value)
        );
    }
}
