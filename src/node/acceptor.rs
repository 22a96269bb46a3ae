//! `paxos_prepare`, `paxos_accept`, `paxos_chosen`: the node as one Paxos acceptor.
//!
//! The node process is a single-decree acceptor speaking the consensus track's Phase 1
//! and Phase 2 protocol (PROTOCOL.md, "The acceptor"), so `paxos-safety` itself is a
//! reference acceptor for `--acceptor-cmd`, and `paxos-safety node --bug B` a known-bad
//! one. Its decisions are the simulator's [`Acceptor::on_msg`], not a second copy of the
//! rules: `proposal_n` is the ballot itself (`Ballot(proposal_n)`), so ballots order as
//! the numbers do, and an acceptor-side bug of the zoo changes the node's answers exactly
//! as it changes the simulated acceptor's.
//!
//! **One deliberate difference.** The wire rule promises only when `N > highest_promised`
//! (strict), while the simulator's acceptor also promises a prepare *equal* to its
//! promise: in the simulator ballots name their proposer, so an equal prepare is that
//! proposer's retransmission, and answering it again makes a lost promise recoverable.
//! On the wire nothing says who sent a `proposal_n`, the tasks' graders expect a refusal,
//! and the harness's proposers never retransmit to a process; so the node refuses an
//! equal prepare before asking the acceptor, and the simulator keeps its rule.
//!
//! **Values.** The acceptor compares ballots only and copies the value of a vote, so it
//! holds a placeholder id and the node keeps beside it the vote's value as the text Python
//! would write for it. A value is therefore echoed exactly as it arrived (`1.0` stays
//! `1.0`, object keys keep their order), is any JSON value including `null` (the wire
//! table allows any; a vote is told apart from no vote by `accepted_n`), and nothing grows
//! with the number of requests: interning every value ever accepted (`values.rs`) would.
//! Keeping text also means a deeply nested vote is never dropped or walked again.
//!
//! **Ballot range.** `proposal_n` is an integer from 0 to 2^64 - 1 (the harness sends at
//! most 2^63); a larger one is error 12, "must be between 0 and 18446744073709551615".
//!
//! **Bugs.** Only the acceptor-side bugs apply ([`ACCEPTOR_BUGS`]). `amnesia` makes an
//! acceptor forget its state when it restarts; this process keeps its state in memory
//! only, so it forgets on every restart with or without the bug, and the flag changes
//! nothing (a durable acceptor is `examples/acceptors/durable_acceptor.py`).

use serde_json::{Map, Value as Json};

use super::fields::{field, int_in, required, FieldError};
use crate::ballot::{Ballot, Value};
use crate::bug::Bug;
use crate::protocol::{Acceptor, Msg, Protocol};
use crate::pyjson;

/// The bugs of the zoo that live in the acceptor, and so can be switched on in the node.
pub const ACCEPTOR_BUGS: [Bug; 3] = [
    Bug::AcceptBelowPromise,
    Bug::NoPromiseOnAccept,
    Bug::Amnesia,
];

/// The placeholder id of whatever value the acceptor votes for; the value itself is
/// [`WireAcceptor::vote`].
const VOTED: Value = Value(1);

/// The acceptor state of one node process.
#[derive(Debug)]
pub struct WireAcceptor {
    proto: Protocol,
    state: Acceptor,
    /// The value of `state.accepted`, as Python's `json.dumps` writes it; present exactly
    /// when `state.accepted` is.
    vote: Option<String>,
}

impl WireAcceptor {
    /// A fresh acceptor with `bug` switched on, which must be one of [`ACCEPTOR_BUGS`].
    pub fn new(bug: Option<Bug>) -> WireAcceptor {
        WireAcceptor {
            // A node alone: the quorum sizes are never consulted by the acceptor.
            proto: Protocol::majority(1, bug),
            state: Acceptor::default(),
            vote: None,
        }
    }

    /// `paxos_prepare`: appends the `paxos_promise` fields after `in_reply_to`.
    pub fn prepare(
        &mut self,
        body: &Map<String, Json>,
        out: &mut String,
    ) -> Result<(), FieldError> {
        let ballot = Ballot(proposal_n(body)?);
        // Strict on the wire, unlike the simulator's acceptor: see the module docs.
        let reply = if self.state.view().promised == Some(ballot) {
            None
        } else {
            self.state.on_msg(&self.proto, &Msg::Prepare { ballot })
        };
        match reply {
            Some(Msg::Promise { .. }) => {
                let (n, value) = self.latest_vote();
                out.push_str(&format!(
                    ", \"promised\": true, \"accepted_n\": {n}, \"accepted_value\": {value}"
                ));
            }
            _ => self.write_refusal(out, "promised"),
        }
        Ok(())
    }

    /// `paxos_accept`: appends the `paxos_accepted` fields after `in_reply_to`.
    pub fn accept(&mut self, body: &Map<String, Json>, out: &mut String) -> Result<(), FieldError> {
        let n = proposal_n(body)?;
        let value = field(body, "value", Ok)?;
        let msg = Msg::Accept {
            ballot: Ballot(n),
            value: VOTED,
        };
        match self.state.on_msg(&self.proto, &msg) {
            Some(Msg::Accepted { .. }) => {
                let mut text = String::new();
                pyjson::write_value(&mut text, value);
                out.push_str(&format!(
                    ", \"accepted\": true, \"proposal_n\": {n}, \"value\": "
                ));
                out.push_str(&text);
                self.vote = Some(text);
            }
            _ => self.write_refusal(out, "accepted"),
        }
        Ok(())
    }

    /// `paxos_chosen`: appends the `paxos_chosen_ok` fields after `in_reply_to`. A node
    /// alone is its own majority, so its latest vote is what it has chosen.
    pub fn chosen(&self, out: &mut String) {
        let (n, value) = self.latest_vote();
        out.push_str(&format!(", \"value\": {value}, \"chosen_at_n\": {n}"));
    }

    /// The latest vote's ballot and value as JSON text: `null` and `null` before any vote.
    fn latest_vote(&self) -> (String, &str) {
        match (self.state.view().accepted, &self.vote) {
            (Some((ballot, _)), Some(text)) => (ballot.0.to_string(), text),
            _ => ("null".to_string(), "null"),
        }
    }

    /// `"<key>": false, "highest_promised": H`. A refusal needs a promise above the
    /// request, so one exists; 0 stands in only if the protocol code says otherwise.
    fn write_refusal(&self, out: &mut String, key: &str) {
        let h = self.state.view().promised.unwrap_or_default().0;
        out.push_str(&format!(", \"{key}\": false, \"highest_promised\": {h}"));
    }
}

/// The request's `proposal_n`: an integer in `0..=u64::MAX`, checked before `value`.
fn proposal_n(body: &Map<String, Json>) -> Result<u64, FieldError> {
    required(body, "proposal_n")
        .and_then(|v| int_in(v, 0, u64::MAX))
        .map_err(|p| p.at("proposal_n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Json) -> Map<String, Json> {
        match v {
            Json::Object(m) => m,
            _ => unreachable!("tests pass objects"),
        }
    }

    fn prepare(a: &mut WireAcceptor, n: u64) -> String {
        let mut out = String::new();
        a.prepare(&body(json!({"proposal_n": n})), &mut out)
            .unwrap();
        out
    }

    fn accept(a: &mut WireAcceptor, n: u64, v: &str) -> String {
        let mut out = String::new();
        a.accept(&body(json!({"proposal_n": n, "value": v})), &mut out)
            .unwrap();
        out
    }

    #[test]
    fn an_equal_prepare_is_refused_on_the_wire_though_the_simulator_answers_it() {
        let mut a = WireAcceptor::new(None);
        assert!(prepare(&mut a, 5).contains("\"promised\": true"));
        assert_eq!(
            prepare(&mut a, 5),
            ", \"promised\": false, \"highest_promised\": 5"
        );
        let mut sim = Acceptor::default();
        let p = Protocol::majority(1, None);
        sim.on_msg(&p, &Msg::Prepare { ballot: Ballot(5) });
        assert!(matches!(
            sim.on_msg(&p, &Msg::Prepare { ballot: Ballot(5) }),
            Some(Msg::Promise { .. })
        ));
    }

    #[test]
    fn accept_below_promise_votes_under_the_bug_only() {
        for (bug, voted) in [(None, false), (Some(Bug::AcceptBelowPromise), true)] {
            let mut a = WireAcceptor::new(bug);
            prepare(&mut a, 5);
            assert_eq!(accept(&mut a, 3, "old").contains("true"), voted, "{bug:?}");
        }
    }

    #[test]
    fn no_promise_on_accept_lets_a_lower_accept_overwrite_the_vote() {
        for (bug, overwritten) in [(None, false), (Some(Bug::NoPromiseOnAccept), true)] {
            let mut a = WireAcceptor::new(bug);
            prepare(&mut a, 5);
            accept(&mut a, 8, "high");
            accept(&mut a, 6, "low");
            let mut out = String::new();
            a.chosen(&mut out);
            assert_eq!(out.contains("\"low\""), overwritten, "{bug:?}: {out}");
        }
    }

    #[test]
    fn the_latest_vote_is_reported_with_its_own_text() {
        let mut a = WireAcceptor::new(None);
        a.accept(
            &body(json!({"proposal_n": 2, "value": 1})),
            &mut String::new(),
        )
        .unwrap();
        let later: Json = serde_json::from_str(r#"{"proposal_n": 3, "value": 1.0}"#).unwrap();
        a.accept(&body(later), &mut String::new()).unwrap();
        assert_eq!(
            prepare(&mut a, 4),
            ", \"promised\": true, \"accepted_n\": 3, \"accepted_value\": 1.0"
        );
    }
}
