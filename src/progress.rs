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
//! A third rule is about what the proposer must remember, not what it was told:
//!
//! - **`ballot-fresh`**: every `Prepare` a proposer sends is above every ballot it sent
//!   before, its crashes included, and every `Accept` is at the highest of them or above.
//!   The one exception is a retransmission: phase 1 sent again at the ballot it is running,
//!   with no crash and no `Accept` since (a timer that resends a lost prepare).
//!   A proposer that forgets its round when it crashes reuses its ballots; that breaks
//!   safety (`ballot-uniqueness`, then agreement) only when the reused ballot meets a vote
//!   it did not meet the first time, a schedule a campaign seldom draws, while the reuse
//!   itself is plain in four events.
//!
//! Like the checker, the rules judge only what crosses the wire: the proposer's ballot and
//! proposal are the last `Prepare` and `Accept` it broadcast, the votes and refusals are
//! the replies delivered to it, and its decision is the `Decide` the world records. A
//! proposer's own account of itself is never asked. A crash forgets everything: the
//! proposer's state is volatile, and so is what it was told; only the ballots it used are
//! kept, for `ballot-fresh`.
//!
//! They are rules of the proposer, not safety invariants, so they are not in
//! [`Invariant::ALL`] and the grader node, which judges only safety, never applies them. A
//! user's proposer ([`crate::roles::ProposerRole`]) is held to them too: all three are
//! what "Paxos Made Simple" asks of a proposer (its ballots unique and increasing, kept in
//! stable storage).

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
    /// For each proposer, the highest ballot it ever broadcast: kept across its crashes,
    /// since `ballot-fresh` is about what the proposer must not forget.
    used: Vec<Option<Ballot>>,
}

impl Progress {
    /// Forgets the last execution; `proposers` start afresh.
    pub fn reset(&mut self, proposers: usize) {
        self.told.clear();
        self.told.resize(proposers, Told::default());
        self.used.clear();
        self.used.resize(proposers, None);
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
            // Phase 1 sent again at the ballot it runs, with no crash and no proposal since
            // (a crash forgets `told`): a retransmission, which starts nothing new. After a
            // proposal it is not: a second phase 1 at that ballot could adopt another value.
            let again = matches!(sent.msg, Msg::Prepare { ballot }
                if told.ballot == Some(ballot) && told.proposal.is_none());
            if let Some(v) = fresh(&mut self.used[p as usize], &sent.msg).filter(|_| !again) {
                broken.get_or_insert(v);
            }
            if let Some(v) = told.sent(&sent.msg) {
                broken.get_or_insert(v);
            }
        }
        broken
    }
}

/// The `ballot-fresh` rule for a proposer that broadcast `msg` and had used ballots up to
/// `used` before: a `Prepare` goes above every one of them, an `Accept` is at the highest
/// (the ballot its phase 1 ran at) or above.
fn fresh(used: &mut Option<Ballot>, msg: &Msg) -> Option<Violation> {
    let (ballot, reused) = match *msg {
        Msg::Prepare { ballot } => (ballot, used.is_some_and(|u| ballot <= u)),
        Msg::Accept { ballot, .. } => (ballot, used.is_some_and(|u| ballot < u)),
        _ => return None,
    };
    let before = *used;
    *used = (*used).max(Some(ballot));
    reused.then(|| Violation {
        invariant: Invariant::BallotFresh,
        ballot,
        value: Value::default(),
        earlier: before.map(|u| (u, Value::default())),
        acceptor: None,
        reported: None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn b(round: u64, slot: u8) -> Ballot {
        Ballot::new(round, slot)
    }

    #[test]
    fn a_ballot_is_fresh_above_every_one_used_and_phase_2_stays_at_its_own() {
        let prepare = |ballot| Msg::Prepare { ballot };
        let accept = |ballot| Msg::Accept {
            ballot,
            value: Value(1),
        };
        let mut used = None;
        assert_eq!(fresh(&mut used, &prepare(b(2, 1))), None);
        assert_eq!(fresh(&mut used, &accept(b(2, 1))), None);
        assert_eq!(used, Some(b(2, 1)));
        for (msg, at) in [(prepare(b(2, 1)), b(2, 1)), (accept(b(1, 1)), b(1, 1))] {
            let v = fresh(&mut used, &msg).expect("reused");
            assert_eq!(v.invariant, Invariant::BallotFresh);
            assert_eq!(
                (v.ballot, v.earlier),
                (at, Some((b(2, 1), Value::default())))
            );
        }
        // Replies are not the proposer's ballots; a higher ballot is fresh and is the bar.
        let nack = Msg::Nack {
            ballot: b(1, 1),
            promised: b(9, 2),
        };
        assert_eq!(fresh(&mut used, &nack), None);
        assert_eq!(fresh(&mut used, &prepare(b(3, 1))), None);
        assert_eq!(used, Some(b(3, 1)));
        assert!(fresh(&mut used, &prepare(b(2, 1))).is_some());
        assert_eq!(used, Some(b(3, 1)), "a stale ballot does not lower the bar");
    }

    #[test]
    fn a_refusal_in_phase_1_still_binds_after_phase_2_starts_at_that_ballot() {
        let mut t = Told::default();
        assert_eq!(t.sent(&Msg::Prepare { ballot: b(1, 1) }), None);
        let nack = Msg::Nack {
            ballot: b(1, 1),
            promised: b(5, 2),
        };
        let proto = Protocol::majority(3, None);
        assert_eq!(t.reply(&proto, 0, &nack, false), None);
        // Promises from the other two: phase 2 at the same ballot.
        let accept = Msg::Accept {
            ballot: b(1, 1),
            value: Value(0),
        };
        assert_eq!(t.sent(&accept), None);
        let v = t
            .sent(&Msg::Prepare { ballot: b(5, 1) })
            .expect("5.1 is below 5.2");
        assert_eq!(v.invariant, Invariant::RefusalHeeded);
        assert_eq!(
            (v.ballot, v.earlier),
            (b(5, 1), Some((b(5, 2), Value::default())))
        );
        // Above the refusal, and the refusal is spent once a new ballot started.
        let mut t = Told::default();
        t.sent(&Msg::Prepare { ballot: b(1, 1) });
        t.reply(&proto, 0, &nack, false);
        assert_eq!(t.sent(&Msg::Prepare { ballot: b(6, 1) }), None);
        assert_eq!(t.sent(&Msg::Prepare { ballot: b(7, 1) }), None);
    }

    #[test]
    fn a_refusal_of_another_ballot_binds_nothing() {
        let proto = Protocol::majority(3, None);
        let mut t = Told::default();
        t.sent(&Msg::Prepare { ballot: b(1, 1) });
        // An Accept at a ballot it never prepared (a user's proposer may skip phase 1):
        // refusals of the old ballot no longer concern it.
        let stale = Msg::Nack {
            ballot: b(1, 1),
            promised: b(9, 2),
        };
        t.reply(&proto, 1, &stale, false);
        t.sent(&Msg::Accept {
            ballot: b(2, 1),
            value: Value(0),
        });
        assert_eq!(t.sent(&Msg::Prepare { ballot: b(3, 1) }), None);
        // A refusal of an older ballot, delivered late, is not one of the current ballot.
        t.reply(&proto, 1, &stale, false);
        assert_eq!(t.sent(&Msg::Prepare { ballot: b(4, 1) }), None);
    }

    #[test]
    fn the_quorum_counts_distinct_voters_for_the_proposal_only() {
        let proto = Protocol::majority(3, None);
        let mut t = Told::default();
        let (ballot, value) = (b(1, 1), Value(0));
        t.sent(&Msg::Prepare { ballot });
        t.sent(&Msg::Accept { ballot, value });
        let vote = Msg::Accepted { ballot, value };
        assert_eq!(t.reply(&proto, 0, &vote, false), None);
        assert_eq!(
            t.reply(&proto, 0, &vote, false),
            None,
            "a duplicate is one voter"
        );
        let other = Msg::Accepted {
            ballot,
            value: Value(1),
        };
        assert_eq!(t.reply(&proto, 1, &other, false), None, "not its proposal");
        let older = Msg::Accepted {
            ballot: b(0, 1),
            value,
        };
        assert_eq!(t.reply(&proto, 2, &older, false), None, "not its ballot");
        assert_eq!(
            t.reply(&proto, 1, &vote, true),
            None,
            "it decided on the quorum"
        );
        let v = t
            .reply(&proto, 2, &vote, false)
            .expect("a quorum and no decision");
        assert_eq!(v.invariant, Invariant::LearnerProgress);
        assert_eq!((v.ballot, v.value), (ballot, value));
        // A new ballot starts the count afresh.
        t.sent(&Msg::Prepare { ballot: b(2, 1) });
        t.sent(&Msg::Accept {
            ballot: b(2, 1),
            value,
        });
        let vote2 = Msg::Accepted {
            ballot: b(2, 1),
            value,
        };
        assert_eq!(t.reply(&proto, 0, &vote2, false), None);
    }
}
