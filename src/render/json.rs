//! The JSON-lines rendering: one object per step, then one summary object, each on its own
//! line, for tools (`jq`, notebooks, a visualiser) rather than people.
//!
//! The field names below are a stable interface: fields are only ever added, and every
//! field listed is always present (`null` when it does not apply), in the order listed.
//! Nodes are `p1..pP` and `a1..aA`, ballots `"round.proposer"` strings like `"2.1"`, values
//! `"v1".."vP"`: the names of the event text form, so a field can be matched against the
//! `event` string and against counterexample files.
//!
//! **Step object** (`"type": "step"`):
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `type` | `"step"` | |
//! | `step` | integer | 1-based step number |
//! | `event` | string | the event in its text form, as in counterexample files |
//! | `kind` | string | `deliver`, `drop`, `duplicate`, `crash`, `restart` or `timeout` |
//! | `node` | node or null | the node that crashed, restarted or timed out |
//! | `src`, `dst` | node or null | sender and receiver of a message event |
//! | `msg` | string or null | `prepare`, `promise`, `accept`, `accepted` or `nack` |
//! | `ballot` | ballot or null | the message's ballot |
//! | `value` | value or null | the value of an `accept` or `accepted` |
//! | `voted` | vote or null | the vote a `promise` reports, `{"ballot", "value"}` |
//! | `promised` | ballot or null | the promise a `nack` reports |
//! | `changes` | array | what the step changed, in order (below) |
//! | `violation` | object or null | `{"invariant", "rule", "explanation"}` when this step broke an invariant; `explanation` is the summary's |
//!
//! **Change objects** all have `kind` first and `text` (the phrase the text rendering
//! shows) last; between them, by kind:
//!
//! | `kind` | fields |
//! |---|---|
//! | `promised` | `node`, `ballot`, `previous` (ballot or null) |
//! | `voted` | `node`, `ballot`, `value`, `previous` (vote or null), `promised` (the promise before the vote, or null), `kept` (the promise after it, or null) |
//! | `started` | `node`, `ballot`, `collides` (another proposer whose current ballot is the same, or null), `timeout` (true when a timeout started it; false when the proposer started it on a message it got, as your own roles may on a nack) |
//! | `promise-counted` | `node`, `ballot`, `count`, `quorum`, `from` (the acceptor), `promise` (the ballot the promise was for), `again` (its promise was counted before) |
//! | `proposed` | `node`, `ballot`, `value`, `adopted` (`{"node", "ballot"}` or null), `reported` (`{"node", "ballot", "value"}` or null: the highest vote the counted promises carried), and `skipped_phase_1: true` only when the proposer sent it from its timer with no phase 1 |
//! | `vote-counted` | `node`, `ballot`, `count`, `quorum`, `from` (the acceptor), `vote` (the ballot of its vote) |
//! | `decided` | `node`, `ballot`, `value` |
//! | `chosen` | `ballot`, `value`, `quorum`, `voters` (the acceptors that voted for it) |
//! | `acceptor-crashed` | `node`, `promised`, `accepted` (what it keeps on disk; for an acceptor process, what its replies showed), and `process` (`pause` or `restart`, its crash mode) only for an acceptor process |
//! | `proposer-crashed` | `node`, `ballot` (lost, or null), `phase` (`idle`, `preparing`, `accepting`, `decided`), `round` (integer, kept) |
//! | `acceptor-restarted` | `node`, `promised`, `accepted` (what it now has; for an acceptor process, what its replies showed before the crash), `forgot` (`{"promised", "accepted"}` or null), and `process` as above |
//! | `proposer-restarted` | `node`, `next_ballot` |
//! | `no-effect` | `node` (the node the delivery reached, which changed nothing), `reason`, and the fields of that reason: `below-promise` (`promised`: the acceptor refused a prepare or accept below its promise), `promised-already` (`ballot`), `voted-already` (`ballot`, `value`), `decided` (none: the proposer had decided), `other-ballot` (`running`: the proposer's ballot, or null when it runs none), `past-phase-1` (`ballot`: a promise after phase 1), `counted-already` (`from`, `ballot`, `vote`: false for a promise), `other-value` (`proposal`: a vote for a value the proposer did not propose), `nacked` (`promised`, `next_ballot`: a nack for the running ballot, and the ballot the next timeout starts), `unexplained` (none: the views say nothing of why). Only a delivery whose step changed nothing else has one |
//!
//! **Summary object** (`"type": "summary"`, always the last line): `steps` (integer),
//! `ending` (`quiescent`, `schedule-end`, `step-limit`, `message-limit`, `violation`),
//! `chosen` (vote or null), `verdict` (`safe` or `violation`), `invariant` (string or null),
//! `violation_step` (integer or null), `explanation` (string or null), `seed` (integer or
//! null; the seeds this version derives or picks are below 2^53, so every JSON reader reads them exactly; a larger one from an older version or a user may be rounded by readers that hold numbers as doubles), `config` (the configuration with every fault field pinned, the same object a
//! counterexample file's `config` is), `implementation` (string, the type name of your
//! own roles; absent for the built-in protocol, as in a counterexample file), and for
//! acceptor processes `acceptor_cmd` and `acceptor_crash`, as a counterexample file
//! records them, with `detail` (string or null): the acceptor's reply line that broke the
//! rule, which `explanation` also quotes, and `acceptor_fault` (string or null): for an
//! `acceptor-protocol` finding, its kind (`no-reply`, `exited`, `not-json`, `extra-line`,
//! `wrong-reply`, `contradiction`, `too-long`, `start`, `other`).

use serde_json::{json, Value as Json};

use super::{phase_name, Change, NoEffect, Step, Trace};
use crate::ballot::{AcceptorId, Ballot, Value};
use crate::event::{Event, NodeId};
use crate::process::CrashMode;
use crate::profile::ProfileSpec;
use crate::protocol::Msg;

/// Renders `trace` as JSON lines; the result ends with a newline.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let explanation = trace.explanation();
    for step in &trace.steps {
        out.push_str(&step_object(step, &explanation).to_string());
        out.push('\n');
    }
    out.push_str(&summary_object(trace, explanation).to_string());
    out.push('\n');
    out
}

fn ballot(b: Ballot) -> Json {
    Json::String(b.sim_label())
}

fn value(v: Value) -> Json {
    Json::String(v.to_string())
}

fn node(n: NodeId) -> Json {
    Json::String(n.to_string())
}

fn acceptor(a: AcceptorId) -> Json {
    node(NodeId::Acceptor(a))
}

fn proposer(p: u8) -> Json {
    node(NodeId::Proposer(p))
}

fn vote(v: Option<(Ballot, Value)>) -> Json {
    v.map_or(
        Json::Null,
        |(b, v)| json!({"ballot": ballot(b), "value": value(v)}),
    )
}

fn opt_ballot(b: Option<Ballot>) -> Json {
    b.map_or(Json::Null, ballot)
}

/// `explanation`: the trace's violation explained in context ([`Trace::explanation`]).
fn step_object(step: &Step, explanation: &Option<String>) -> Json {
    let (mut who, mut src, mut dst, mut msg_kind) =
        (Json::Null, Json::Null, Json::Null, Json::Null);
    let (mut msg_ballot, mut msg_value, mut voted, mut promised) =
        (Json::Null, Json::Null, Json::Null, Json::Null);
    match step.event {
        Event::Deliver(env) | Event::Drop(env) | Event::Duplicate(env) => {
            src = node(env.src);
            dst = node(env.dst);
            msg_ballot = ballot(env.msg.ballot());
            msg_kind = Json::String(
                match env.msg {
                    Msg::Prepare { .. } => "prepare",
                    Msg::Promise { accepted, .. } => {
                        voted = vote(accepted);
                        "promise"
                    }
                    Msg::Accept { value: v, .. } => {
                        msg_value = value(v);
                        "accept"
                    }
                    Msg::Accepted { value: v, .. } => {
                        msg_value = value(v);
                        "accepted"
                    }
                    Msg::Nack { promised: p, .. } => {
                        promised = ballot(p);
                        "nack"
                    }
                }
                .to_string(),
            );
        }
        Event::Crash(n) | Event::Restart(n) => who = node(n),
        Event::Timeout(p) => who = proposer(p),
    }
    let violation = step.violation.as_ref().map_or(Json::Null, |v| {
        json!({
            "invariant": v.invariant.name(),
            "rule": v.invariant.rule(),
            "explanation": explanation.clone().unwrap_or_else(|| Trace::explain(v)),
        })
    });
    json!({
        "type": "step",
        "step": step.number,
        "event": step.event.to_string(),
        "kind": step.event.kind(),
        "node": who,
        "src": src,
        "dst": dst,
        "msg": msg_kind,
        "ballot": msg_ballot,
        "value": msg_value,
        "voted": voted,
        "promised": promised,
        "changes": step.changes.iter().map(change_object).collect::<Vec<_>>(),
        "violation": violation,
    })
}

fn change_object(change: &Change) -> Json {
    let mut obj = match *change {
        Change::Promised {
            acceptor: a,
            ballot: b,
            previous,
        } => json!({"kind": "promised", "node": acceptor(a), "ballot": ballot(b),
                    "previous": opt_ballot(previous)}),
        Change::Voted {
            acceptor: a,
            ballot: b,
            value: v,
            previous,
            promised,
            kept,
        } => json!({"kind": "voted", "node": acceptor(a), "ballot": ballot(b), "value": value(v),
                    "previous": vote(previous), "promised": opt_ballot(promised),
                    "kept": opt_ballot(kept)}),
        Change::Started {
            proposer: p,
            ballot: b,
            collides,
            timeout,
        } => json!({"kind": "started", "node": proposer(p), "ballot": ballot(b),
                    "collides": collides.map_or(Json::Null, proposer), "timeout": timeout}),
        Change::PromiseCounted {
            proposer: p,
            ballot: b,
            count,
            quorum,
            from,
            promise,
            again,
        } => json!({"kind": "promise-counted", "node": proposer(p), "ballot": ballot(b),
                    "count": count, "quorum": quorum, "from": acceptor(from),
                    "promise": ballot(promise), "again": again}),
        Change::Proposed {
            proposer: p,
            ballot: b,
            value: v,
            adopted,
            reported,
            skipped_phase_1,
        } => {
            let mut o = json!({
                "kind": "proposed", "node": proposer(p), "ballot": ballot(b), "value": value(v),
                "adopted": adopted.map_or(Json::Null,
                    |(a, ab)| json!({"node": acceptor(a), "ballot": ballot(ab)})),
                "reported": reported.map_or(Json::Null,
                    |(a, rb, rv)| json!({"node": acceptor(a), "ballot": ballot(rb), "value": value(rv)})),
            });
            // Only a role's slip sets it: traces of the built-in protocol keep their shape.
            if let (true, Json::Object(fields)) = (skipped_phase_1, &mut o) {
                fields.insert("skipped_phase_1".into(), Json::Bool(true));
            }
            o
        }
        Change::VoteCounted {
            proposer: p,
            ballot: b,
            count,
            quorum,
            from,
            vote: vb,
        } => json!({"kind": "vote-counted", "node": proposer(p), "ballot": ballot(b),
                    "count": count, "quorum": quorum, "from": acceptor(from),
                    "vote": ballot(vb)}),
        Change::Decided {
            proposer: p,
            ballot: b,
            value: v,
        } => {
            json!({"kind": "decided", "node": proposer(p), "ballot": ballot(b), "value": value(v)})
        }
        Change::Chosen {
            ballot: b,
            value: v,
            quorum,
            voters,
            acceptors,
        } => json!({"kind": "chosen", "ballot": ballot(b), "value": value(v), "quorum": quorum,
                    "voters": (0..acceptors.min(16))
                        .filter(|&a| voters & (1 << a) != 0)
                        .map(|a| acceptor(a as AcceptorId))
                        .collect::<Vec<_>>()}),
        Change::AcceptorCrashed {
            acceptor: a,
            promised,
            accepted,
            process,
        } => with_process(
            json!({"kind": "acceptor-crashed", "node": acceptor(a),
                    "promised": opt_ballot(promised), "accepted": vote(accepted)}),
            process,
        ),
        Change::ProposerCrashed {
            proposer: p,
            ballot: b,
            phase,
            round,
        } => json!({"kind": "proposer-crashed", "node": proposer(p), "ballot": opt_ballot(b),
                    "phase": phase_name(phase), "round": round}),
        Change::AcceptorRestarted {
            acceptor: a,
            promised,
            accepted,
            forgot,
            process,
        } => with_process(
            json!({
                "kind": "acceptor-restarted", "node": acceptor(a),
                "promised": opt_ballot(promised), "accepted": vote(accepted),
                "forgot": forgot.map_or(Json::Null,
                    |was| json!({"promised": opt_ballot(was.promised), "accepted": vote(was.accepted)})),
            }),
            process,
        ),
        Change::ProposerRestarted {
            proposer: p,
            next_ballot,
        } => json!({"kind": "proposer-restarted", "node": proposer(p),
                    "next_ballot": ballot(next_ballot)}),
        Change::NoEffect { node: n, reason } => {
            let mut o = json!({"kind": "no-effect", "node": node(n), "reason": reason.name()});
            let what = match reason {
                NoEffect::BelowPromise { promised } => json!({"promised": ballot(promised)}),
                NoEffect::PromisedAlready { ballot: b } | NoEffect::PastPhase1 { ballot: b } => {
                    json!({"ballot": ballot(b)})
                }
                NoEffect::VotedAlready {
                    ballot: b,
                    value: v,
                } => {
                    json!({"ballot": ballot(b), "value": value(v)})
                }
                NoEffect::OtherBallot { running } => json!({"running": opt_ballot(running)}),
                NoEffect::CountedAlready {
                    from,
                    ballot: b,
                    vote,
                } => {
                    json!({"from": acceptor(from), "ballot": ballot(b), "vote": vote})
                }
                NoEffect::OtherValue { proposal } => json!({"proposal": value(proposal)}),
                NoEffect::Nacked { promised, next } => {
                    json!({"promised": ballot(promised), "next_ballot": ballot(next)})
                }
                NoEffect::Decided | NoEffect::Unexplained => json!({}),
            };
            if let (Json::Object(fields), Json::Object(more)) = (&mut o, what) {
                fields.extend(more);
            }
            o
        }
    };
    if let Json::Object(map) = &mut obj {
        map.insert("text".to_string(), Json::String(change.text()));
    }
    obj
}

/// `explanation`: as for [`step_object`].
fn summary_object(trace: &Trace, explanation: Option<String>) -> Json {
    let mut config = trace.config;
    config.faults = ProfileSpec::pinned(&trace.profile);
    let (invariant, step) = match &trace.violation {
        Some((step, v)) => (Json::String(v.invariant.name().to_string()), json!(step)),
        None => (Json::Null, Json::Null),
    };
    let mut summary = json!({
        "type": "summary",
        "steps": trace.steps.len(),
        "ending": trace.ending.name(),
        "chosen": vote(trace.chosen),
        "verdict": if trace.violation.is_some() { "violation" } else { "safe" },
        "invariant": invariant,
        "violation_step": step,
        "explanation": explanation,
        "seed": trace.seed,
        // A config always serialises: it is plain integers, options and enums.
        "config": serde_json::to_value(config).unwrap_or(Json::Null),
    });
    // Only your own roles and processes name themselves: traces of the built-in protocol
    // keep their shape.
    if let Json::Object(fields) = &mut summary {
        if let Some(name) = &trace.implementation {
            fields.insert("implementation".into(), Json::String(name.clone()));
        }
        if let Some(p) = &trace.processes {
            fields.insert("acceptor_cmd".into(), Json::String(p.command.clone()));
            fields.insert("acceptor_crash".into(), p.crash.name().into());
            fields.insert("detail".into(), trace.detail.clone().into());
            fields.insert(
                "acceptor_fault".into(),
                trace.fault_kind.map(|k| k.name()).into(),
            );
        }
    }
    summary
}

/// `change` with `"process"` (the crash mode) when the acceptor is a process; the built-in
/// protocol's objects keep their shape.
fn with_process(mut change: Json, process: Option<CrashMode>) -> Json {
    if let (Some(mode), Json::Object(map)) = (process, &mut change) {
        map.insert("process".into(), mode.name().into());
    }
    change
}
