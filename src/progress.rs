//! The progress rules: what a proposer must do with what the acceptors told it.
//!
//! Safety passes a proposer that never learns anything: a proposer that miscounts the
//! votes for its own ballot, or keeps retrying at ballots it was told are already beaten,
//! breaks no safety invariant, and a campaign of such code looks green. Mutation testing
//! found both slips in the built-in proposer (`docs/mutants.md`); only `fuzz --liveness`
//! saw them, and liveness is opt-in. These two rules catch them in every execution, because
//! they are judged step by step like the safety invariants, with no bound and no
//! stabilisation point:
//!
//! - **`learner-progress`**: a proposer that has received votes for its current proposal
//!   from a phase-2 quorum of distinct acceptors has decided by the end of that step.
//! - **`refusal-heeded`**: a proposer refused at its current ballot (a `Nack` carrying the
//!   acceptor's promise P) starts its next ballot above P. A retry at or below P is doomed
//!   to be refused again by that acceptor, and with a ballot limit it can use up the
//!   proposer's attempts without one that could succeed.
//!
//! Like the checker, the rules judge only what crosses the wire: the proposer's ballot and
//! proposal are the last `Prepare` and `Accept` it broadcast, the votes and refusals are
//! the replies delivered to it, and its decision is the `Decide` the world records. A
//! proposer's own account of itself is never asked. A crash forgets everything: the
//! proposer's state is volatile, and so is what it was told.
//!
//! They are progress rules, not safety rules, so they are not in [`Invariant::ALL`] and the
//! grader node, which judges only safety, never applies them. A user's proposer
//! ([`crate::roles::ProposerRole`]) is held to them too: both are what "Paxos Made Simple"
//! asks of a proposer that wants its value chosen.

use crate::ballot::{AcceptorId, Ballot, Value};
use crate::checker::{Invariant, Violation};
use crate::event::{Event, NodeId};
use crate::protocol::{Msg, Protocol};
use crate::world::World;

/// What one proposer was told since its last broadcast of a ballot.
#[derive(Clone, Copy, Debug, Default)]
struct Told {
    /// The ballot of its last `Prepare` or `Accept`.
    ballot: Option<Ballot>,
    /// Its last `Accept`, while no newer ballot started.
    proposal: Option<(Ballot, Value)>,
    /// Bit `a`: acceptor `a`'s vote for `proposal` was delivered (acceptors are at most 15).
    votes: u16,
    /// The highest promise it was refused with at `ballot`.
    refused: Option<Ballot>,
}

/// The progress judge of one execution.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    told: Vec<Told>,
}

impl Progress {
    /// Forgets the last execution; `proposers` start afresh.
    pub fn reset(&mut self, proposers: usize) {
        self.told.clear();
        self.told.resize(proposers, Told::default());
    }

    /// Judges the step that applied `event` to `world`, which held `in_flight` messages
    /// before it. Only the proposer the event concerns can have acted, and what it sent is
    /// at the end of the network: a delivery swapped its message out and pushed any
    /// broadcast after the survivors.
    pub fn after<A, P>(
        &mut self,
        proto: &Protocol,
        event: &Event,
        in_flight: usize,
        world: &World<A, P>,
    ) -> Option<Violation> {
        let (p, sent_from) = match *event {
            Event::Timeout(p) => (p, in_flight),
            Event::Deliver(env) => match env.dst {
                NodeId::Proposer(p) => (p, in_flight.saturating_sub(1)),
                NodeId::Acceptor(_) => return None,
            },
            Event::Crash(NodeId::Proposer(p)) => {
                self.told[p as usize] = Told::default();
                return None;
            }
            _ => return None,
        };
        let told = &mut self.told[p as usize];
        let mut broken = None;
        if let Event::Deliver(env) = *event {
            let NodeId::Acceptor(a) = env.src else {
                return None;
            };
            broken = told.reply(proto, a, &env.msg, world.decided & (1 << p) != 0);
        }
        if let Some(sent) = world.network.get(sent_from) {
            if let Some(v) = told.sent(&sent.msg) {
                broken.get_or_insert(v);
            }
        }
        broken
    }
}

impl Told {
    /// A reply from acceptor `a`; `decided`: the proposer has decided, this step included.
    fn reply(
        &mut self,
        proto: &Protocol,
        a: AcceptorId,
        msg: &Msg,
        decided: bool,
    ) -> Option<Violation> {
        match *msg {
            Msg::Accepted { ballot, value } if self.proposal == Some((ballot, value)) => {
                self.votes |= 1 << a;
                let quorum = self.votes.count_ones() >= u32::from(proto.q2);
                (quorum && !decided).then_some(Violation {
                    invariant: Invariant::LearnerProgress,
                    ballot,
                    value,
                    earlier: None,
                    acceptor: None,
                    reported: None,
                })
            }
            Msg::Nack { ballot, promised } if self.ballot == Some(ballot) => {
                self.refused = self.refused.max(Some(promised));
                None
            }
            _ => None,
        }
    }

    /// The proposer broadcast `msg`.
    fn sent(&mut self, msg: &Msg) -> Option<Violation> {
        match *msg {
            Msg::Prepare { ballot } => {
                let refused = self.refused.filter(|&r| ballot <= r);
                *self = Told {
                    ballot: Some(ballot),
                    ..Told::default()
                };
                refused.map(|r| Violation {
                    invariant: Invariant::RefusalHeeded,
                    ballot,
                    value: Value::default(),
                    earlier: Some((r, Value::default())),
                    acceptor: None,
                    reported: None,
                })
            }
            Msg::Accept { ballot, value } => {
                if self.ballot != Some(ballot) {
                    self.refused = None;
                }
                self.ballot = Some(ballot);
                self.proposal = Some((ballot, value));
                self.votes = 0;
                None
            }
            _ => None,
        }
    }
}
