//! Single-decree Paxos as pure state machines: message in, messages out.
//!
//! **Phase 1.** A proposer picks a ballot `b` higher than any it used before and sends
//! `Prepare(b)` to every acceptor. An acceptor that has not promised a ballot `>= b` promises
//! `b` (it will refuse every ballot below `b` from now on) and answers `Promise(b)` carrying
//! the highest ballot it has voted for and that vote's value, if any.
//!
//! **Phase 2.** With promises from a phase-1 quorum, the proposer must propose the value of
//! the promise with the *highest* accepted ballot, and may propose its own value only when no
//! promise carried a vote. It sends `Accept(b, v)`; an acceptor votes for it unless it has
//! promised a higher ballot, and answers `Accepted(b, v)`. A value is *chosen* once a phase-2
//! quorum voted for it at one ballot; the proposer learns that from the `Accepted` replies.
//!
//! **Why adopt the highest.** If `v` was chosen at ballot `c`, a phase-2 quorum voted `(c, v)`.
//! Every phase-1 quorum of a later ballot `b > c` meets that quorum (`q1 + q2 > A`), so some
//! promise reports a vote at a ballot `>= c`; by induction every ballot in `[c, b)` that got
//! votes carries `v`, so the highest reported vote carries `v`, and so does `b`. Adopting any
//! other promise's value (or none) breaks this chain: that is what `Bug::NoAdopt` and
//! `Bug::AdoptLowest` do.
//!
//! Nothing here touches a clock, a socket or an RNG. The simulator, the grader node and the
//! unit tests are three drivers of the same code; crashes are the driver's business too, via
//! [`Acceptor::restart`] and [`Proposer::restart`], which say what survives.

use crate::ballot::{AcceptorId, AcceptorSet, Ballot, Value};
use crate::bug::Bug;
use crate::roles::{
    AcceptorRole, AcceptorView, Implementation, ProposerRole, ProposerView, RoleFault,
};

/// A message between a proposer and an acceptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Msg {
    /// Phase 1a, proposer to acceptor.
    Prepare { ballot: Ballot },
    /// Phase 1b, acceptor to proposer: the promise and the acceptor's latest vote.
    Promise {
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
    },
    /// Phase 2a, proposer to acceptor.
    Accept { ballot: Ballot, value: Value },
    /// Phase 2b, acceptor to proposer: a vote.
    Accepted { ballot: Ballot, value: Value },
    /// A refusal: the acceptor has promised `promised`, which is above `ballot`.
    Nack { ballot: Ballot, promised: Ballot },
}

impl Msg {
    /// The ballot the message is about.
    pub fn ballot(&self) -> Ballot {
        match *self {
            Msg::Prepare { ballot }
            | Msg::Promise { ballot, .. }
            | Msg::Accept { ballot, .. }
            | Msg::Accepted { ballot, .. }
            | Msg::Nack { ballot, .. } => ballot,
        }
    }
}

/// The cluster parameters both roles need, and the bug switched on, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Protocol {
    pub acceptors: u16,
    /// Phase-1 quorum as specified (the checker's and a correct proposer's).
    pub q1: u16,
    /// Phase-2 quorum as specified: a value voted by this many acceptors at one ballot is chosen.
    pub q2: u16,
    pub bug: Option<Bug>,
}

impl Protocol {
    /// Majority quorums for `acceptors`.
    pub fn majority(acceptors: u16, bug: Option<Bug>) -> Protocol {
        let m = acceptors / 2 + 1;
        Protocol {
            acceptors,
            q1: m,
            q2: m,
            bug,
        }
    }

    fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    /// The phase-1 quorum the proposer code actually waits for.
    pub fn effective_q1(&self) -> usize {
        if self.has(Bug::SmallQuorum) {
            // Bug: half the acceptors "feels" like a majority; two halves need not meet.
            (self.acceptors / 2).max(1) as usize
        } else {
            self.q1 as usize
        }
    }

    /// The phase-2 quorum the proposer code actually waits for.
    pub fn effective_q2(&self) -> usize {
        if self.has(Bug::SmallQuorum) {
            (self.acceptors / 2).max(1) as usize
        } else {
            self.q2 as usize
        }
    }
}

/// What an acceptor must keep on stable storage: its promise and its vote. It answers from
/// this alone, so an acceptor is nothing but this state.
///
/// The fields are private: traces and coverage read [`Acceptor::view`], the explorer's
/// codec rebuilds an acceptor with [`Acceptor::from_view`], so a change here stays here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Acceptor {
    promised: Option<Ballot>,
    accepted: Option<(Ballot, Value)>,
}

impl Acceptor {
    /// The acceptor's whole state: its promise and its latest vote.
    pub fn view(&self) -> AcceptorView {
        AcceptorView {
            promised: self.promised,
            accepted: self.accepted,
        }
    }

    /// The acceptor holding exactly `view` (the explorer stores acceptors this way).
    pub fn from_view(view: AcceptorView) -> Acceptor {
        Acceptor {
            promised: view.promised,
            accepted: view.accepted,
        }
    }

    /// Handles one message from a proposer and returns the reply, if any.
    pub fn on_msg(&mut self, proto: &Protocol, msg: &Msg) -> Option<Msg> {
        match *msg {
            Msg::Prepare { ballot } => {
                // At or above: a prepare for the ballot already promised is a retransmission
                // by the ballot's own proposer (ballots name their proposer), and answering
                // it again is what makes a lost promise recoverable. `Bug::BallotCollision`
                // breaks exactly this assumption.
                if Some(ballot) >= self.promised {
                    self.promised = Some(ballot);
                    Some(Msg::Promise {
                        ballot,
                        accepted: self.accepted,
                    })
                } else {
                    Some(self.nack(ballot))
                }
            }
            Msg::Accept { ballot, value } => {
                let allowed = Some(ballot) >= self.promised;
                if allowed || proto.has(Bug::AcceptBelowPromise) {
                    // Bug AcceptBelowPromise: the promise check above is ignored.
                    if !proto.has(Bug::NoPromiseOnAccept) {
                        // A vote for `ballot` is also a promise not to go below it.
                        self.promised = self.promised.max(Some(ballot));
                    }
                    // Bug NoPromiseOnAccept: the promise stays where it was, so a later Accept
                    // between the old promise and this ballot overwrites this vote.
                    self.accepted = Some((ballot, value));
                    Some(Msg::Accepted { ballot, value })
                } else {
                    Some(self.nack(ballot))
                }
            }
            Msg::Promise { .. } | Msg::Accepted { .. } | Msg::Nack { .. } => None,
        }
    }

    fn nack(&self, ballot: Ballot) -> Msg {
        Msg::Nack {
            ballot,
            promised: self.promised.unwrap_or_default(),
        }
    }

    /// The acceptor comes back after a crash. Its state is durable, so nothing changes,
    /// unless `Bug::Amnesia` makes it forget.
    pub fn restart(&mut self, proto: &Protocol) {
        if proto.has(Bug::Amnesia) {
            *self = Acceptor::default();
        }
    }
}

/// Where a proposer is in its current ballot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// No ballot running (at start and after a restart).
    #[default]
    Idle,
    /// Prepare sent, collecting promises.
    Preparing,
    /// Accept sent, collecting votes.
    Accepting,
    /// A phase-2 quorum voted for this proposer's ballot: it has learned the value.
    Decided,
}

/// What a proposer asks its driver to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send to every acceptor.
    Broadcast(Msg),
    /// The proposer learned that `value` is chosen (it saw a quorum of votes at `ballot`).
    Decide { ballot: Ballot, value: Value },
}

/// Everything a built-in proposer holds. `round` and `ballots_started` are the only durable
/// fields: a real proposer keeps its highest round on disk (or derives it from a restart
/// counter) precisely so that a ballot is never reused after a crash; everything else is
/// volatile and lost by [`Proposer::restart`].
///
/// The explorer's codec reads it ([`Proposer::state`]) and rebuilds proposers from it
/// ([`Proposer::from_state`]); traces and coverage read the smaller [`ProposerView`].
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct ProposerState {
    pub id: u8,
    /// The value this proposer wants chosen.
    pub value: Value,
    /// Durable: the highest round this proposer has used.
    pub round: u64,
    /// Durable: how many ballots it has started, for the simulator's ballot limit.
    pub ballots_started: u16,
    /// The highest round seen in a refusal: the next ballot must go above it.
    pub round_seen: u64,
    pub phase: Phase,
    pub ballot: Option<Ballot>,
    /// Acceptors that promised the current ballot.
    pub promises: AcceptorSet,
    /// Promises counted toward the quorum (differs from `promises.len()` only under bugs).
    pub promise_count: u32,
    /// The highest vote reported in a promise, and the acceptor that reported it.
    pub highest: Option<(Ballot, Value, AcceptorId)>,
    /// The value sent in phase 2 of the current ballot.
    pub proposal: Option<Value>,
    /// Acceptors that voted for the current ballot.
    pub votes: AcceptorSet,
}

/// A proposer (and the learner of its own ballots): the built-in [`ProposerRole`].
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct Proposer {
    s: ProposerState,
}

/// Written out for `clone_from`, which the explorer calls for every proposer on every
/// transition: the derived one builds a whole copy and drops the old one.
impl Clone for ProposerState {
    fn clone(&self) -> ProposerState {
        let mut out = ProposerState::default();
        out.clone_from(self);
        out
    }

    #[inline]
    fn clone_from(&mut self, source: &ProposerState) {
        // Destructured, so that a field added to `ProposerState` cannot be forgotten here.
        let ProposerState {
            id,
            value,
            round,
            ballots_started,
            round_seen,
            phase,
            ballot,
            promises,
            promise_count,
            highest,
            proposal,
            votes,
        } = source;
        self.id = *id;
        self.value = *value;
        self.round = *round;
        self.ballots_started = *ballots_started;
        self.round_seen = *round_seen;
        self.phase = *phase;
        self.ballot = *ballot;
        self.promises.clone_from(promises);
        self.promise_count = *promise_count;
        self.highest = *highest;
        self.proposal = *proposal;
        self.votes.clone_from(votes);
    }
}

impl Clone for Proposer {
    fn clone(&self) -> Proposer {
        Proposer { s: self.s.clone() }
    }

    #[inline]
    fn clone_from(&mut self, source: &Proposer) {
        self.s.clone_from(&source.s);
    }
}

impl Proposer {
    pub fn new(id: u8, value: Value) -> Proposer {
        Proposer {
            s: ProposerState {
                id,
                value,
                ..ProposerState::default()
            },
        }
    }

    /// Everything this proposer holds, for the explorer's codec.
    pub fn state(&self) -> &ProposerState {
        &self.s
    }

    /// The proposer holding exactly `state`.
    pub fn from_state(state: ProposerState) -> Proposer {
        Proposer { s: state }
    }

    /// What traces show of the proposer.
    pub fn view(&self, proto: &Protocol) -> ProposerView {
        ProposerView {
            ballot: self.s.ballot,
            phase: self.s.phase,
            promises: self.s.promise_count,
            promised_by: self.s.promises.low_bits(),
            votes: self.s.votes.len() as u32,
            proposal: self.s.proposal,
            adopted_from: self
                .s
                .highest
                .filter(|_| self.adopted())
                .map(|(b, _, a)| (a, b)),
            next_ballot: Some(self.next_ballot(proto)),
            quorums: Some((proto.effective_q1() as u32, proto.effective_q2() as u32)),
        }
    }

    /// The ballot the next [`Proposer::start_next`] will use.
    pub fn next_ballot(&self, proto: &Protocol) -> Ballot {
        // A nack from your own acceptor can claim any promise, up to the last round a
        // ballot holds: stay a valid ballot there (and be refused again), not a panic.
        let round = (self.s.round.max(self.s.round_seen) + 1).min(Ballot::MAX_ROUND - 1);
        if proto.has(Bug::BallotCollision) {
            // Bug: the proposer id is left out, so two proposers can pick the same ballot.
            Ballot::new(round, 0)
        } else {
            // Slot `id + 1`, so that traces read "ballot 2.1" for p1's second round and
            // slot 0 stays free for the collision bug.
            Ballot::new(round, self.s.id + 1)
        }
    }

    /// Starts the next simulator ballot (a timeout): phase 1 with a fresh, higher ballot.
    pub fn start_next(&mut self, proto: &Protocol) -> Action {
        let ballot = self.next_ballot(proto);
        self.s.round = ballot.round();
        self.start(ballot)
    }

    /// Starts phase 1 with a ballot chosen by the driver (the grader node's raw numbers).
    pub fn start(&mut self, ballot: Ballot) -> Action {
        self.s.ballots_started = self.s.ballots_started.saturating_add(1);
        self.s.ballot = Some(ballot);
        self.s.phase = Phase::Preparing;
        self.s.promises.clear();
        self.s.promise_count = 0;
        self.s.highest = None;
        self.s.proposal = None;
        self.s.votes.clear();
        Action::Broadcast(Msg::Prepare { ballot })
    }

    /// Handles one reply from acceptor `from`; a proposer does at most one thing per reply.
    pub fn on_msg(&mut self, proto: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        let current = self.s.ballot?;
        match *msg {
            Msg::Promise { ballot, accepted } => {
                if self.s.phase != Phase::Preparing {
                    return None;
                }
                let counts = if ballot == current {
                    true
                } else {
                    // Bug StalePromise: a promise for an older ballot of ours is counted,
                    // though the acceptor may have voted for someone else since.
                    proto.has(Bug::StalePromise)
                        && ballot < current
                        && ballot.proposer() == current.proposer()
                };
                if !counts {
                    return None;
                }
                let fresh = self.s.promises.insert(from);
                // Bug CountDuplicates: a duplicated promise counts again toward the quorum.
                if !fresh && !proto.has(Bug::CountDuplicates) {
                    return None;
                }
                self.s.promise_count += 1;
                if let Some((b, v)) = accepted {
                    self.note_vote(proto, b, v, from);
                }
                if self.s.promise_count as usize >= proto.effective_q1() {
                    let value = self.s.highest.map_or(self.s.value, |(_, v, _)| v);
                    self.s.phase = Phase::Accepting;
                    self.s.proposal = Some(value);
                    return Some(Action::Broadcast(Msg::Accept {
                        ballot: current,
                        value,
                    }));
                }
                None
            }
            Msg::Accepted { ballot, value } => {
                if self.s.phase != Phase::Accepting || Some(value) != self.s.proposal {
                    return None;
                }
                let counts = ballot == current
                    // Bug LearnMixedBallots: a vote for the same value at an older ballot of
                    // ours counts too, though no single ballot may have a quorum.
                    || (proto.has(Bug::LearnMixedBallots)
                        && ballot < current
                        && ballot.proposer() == current.proposer());
                if counts && self.s.votes.insert(from) && self.s.votes.len() >= proto.effective_q2()
                {
                    self.s.phase = Phase::Decided;
                    return Some(Action::Decide {
                        ballot: current,
                        value,
                    });
                }
                None
            }
            Msg::Nack { ballot, promised } => {
                if ballot == current {
                    self.s.round_seen = self.s.round_seen.max(promised.round());
                }
                None
            }
            Msg::Prepare { .. } | Msg::Accept { .. } => None,
        }
    }

    /// Folds a vote reported in a promise into the value this proposer must adopt.
    fn note_vote(&mut self, proto: &Protocol, ballot: Ballot, value: Value, from: AcceptorId) {
        let replace = match self.s.highest {
            None => true,
            Some((hb, _, hfrom)) => {
                if proto.has(Bug::AdoptLowest) {
                    // Bug AdoptLowest: the oldest vote wins instead of the newest.
                    ballot < hb || (ballot == hb && from < hfrom)
                } else {
                    ballot > hb || (ballot == hb && from < hfrom)
                }
            }
        };
        // Bug NoAdopt: reported votes are ignored, so the proposer keeps its own value.
        if replace && !proto.has(Bug::NoAdopt) {
            self.s.highest = Some((ballot, value, from));
        }
    }

    /// Whether the value sent in phase 2 came from a promise rather than this proposer.
    pub fn adopted(&self) -> bool {
        self.s.phase >= Phase::Accepting && self.s.highest.is_some()
    }

    /// The proposer comes back after a crash: only the durable fields survive.
    pub fn restart(&mut self) {
        self.s = ProposerState {
            id: self.s.id,
            value: self.s.value,
            round: self.s.round,
            ballots_started: self.s.ballots_started,
            ..ProposerState::default()
        };
    }
}

/// The built-in protocol as an [`Implementation`]: the roles above, with the bug that
/// [`Protocol::bug`] switches on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Builtin;

impl Implementation for Builtin {
    type Acceptor = Acceptor;
    type Proposer = Proposer;

    fn acceptor(&mut self, _cluster: &Protocol, _id: AcceptorId) -> Acceptor {
        Acceptor::default()
    }

    fn proposer(&mut self, _cluster: &Protocol, id: u8, value: Value) -> Proposer {
        Proposer::new(id, value)
    }

    fn name(&self) -> Option<String> {
        None
    }
}

impl AcceptorRole for Acceptor {
    fn on_message(&mut self, cluster: &Protocol, msg: &Msg) -> Result<Option<Msg>, RoleFault> {
        Ok(self.on_msg(cluster, msg))
    }

    fn on_restart(&mut self, cluster: &Protocol) -> Result<(), RoleFault> {
        self.restart(cluster);
        Ok(())
    }

    fn view(&self) -> AcceptorView {
        Acceptor::view(self)
    }
}

impl ProposerRole for Proposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        self.start_next(cluster)
    }

    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        self.on_msg(cluster, from, msg)
    }

    fn on_crash(&mut self) {
        self.restart();
    }

    fn view(&self, cluster: &Protocol) -> ProposerView {
        Proposer::view(self, cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto() -> Protocol {
        Protocol::majority(3, None)
    }

    /// `Clone` is written out for `clone_from` (the explorer's every transition): both
    /// copy every field, into a default proposer and into one that differs everywhere.
    #[test]
    fn proposers_clone_exactly() {
        let p = proto();
        let mut busy = Proposer::new(1, Value(2));
        busy.start_next(&p);
        let b = busy.state().ballot.unwrap();
        let promise = Msg::Promise {
            ballot: b,
            accepted: Some((Ballot::new(0, 1), Value(7))),
        };
        busy.on_msg(&p, 0, &promise);
        busy.on_msg(&p, 2, &promise);
        busy.on_msg(
            &p,
            1,
            &Msg::Accepted {
                ballot: b,
                value: Value(7),
            },
        );
        busy.on_msg(
            &p,
            1,
            &Msg::Nack {
                ballot: b,
                promised: Ballot::new(9, 0),
            },
        );
        let other = Proposer::new(0, Value(1));
        for (source, mut target) in [(&busy, other.clone()), (&other, busy.clone())] {
            target.clone_from(source);
            assert_eq!(&target, source);
            assert_eq!(target.state(), source.state());
        }
        assert_eq!(busy.clone(), busy);
        assert_eq!(busy.state().clone(), *busy.state());
        assert_eq!(busy.state().votes.len(), 1, "the set-up reached phase 2");
    }

    #[test]
    fn acceptor_promises_at_or_above_its_promise_and_refuses_below() {
        let p = proto();
        let mut a = Acceptor::default();
        let b1 = Ballot::new(1, 0);
        let promised = Some(Msg::Promise {
            ballot: b1,
            accepted: None,
        });
        assert_eq!(a.on_msg(&p, &Msg::Prepare { ballot: b1 }), promised);
        assert_eq!(
            a.on_msg(&p, &Msg::Prepare { ballot: b1 }),
            promised,
            "a retransmitted prepare gets the same promise"
        );
        let b0 = Ballot::new(0, 5);
        assert_eq!(
            a.on_msg(&p, &Msg::Prepare { ballot: b0 }),
            Some(Msg::Nack {
                ballot: b0,
                promised: b1
            })
        );
    }

    #[test]
    fn acceptor_votes_at_or_above_its_promise_and_reports_the_vote() {
        let p = proto();
        let mut a = Acceptor::default();
        let (b1, b2) = (Ballot::new(1, 0), Ballot::new(2, 1));
        a.on_msg(&p, &Msg::Prepare { ballot: b2 });
        let refused = a.on_msg(
            &p,
            &Msg::Accept {
                ballot: b1,
                value: Value(1),
            },
        );
        assert!(matches!(refused, Some(Msg::Nack { .. })));
        assert_eq!(a.accepted, None);
        let voted = a.on_msg(
            &p,
            &Msg::Accept {
                ballot: b2,
                value: Value(2),
            },
        );
        assert_eq!(
            voted,
            Some(Msg::Accepted {
                ballot: b2,
                value: Value(2)
            })
        );
        let b3 = Ballot::new(3, 0);
        assert_eq!(
            a.on_msg(&p, &Msg::Prepare { ballot: b3 }),
            Some(Msg::Promise {
                ballot: b3,
                accepted: Some((b2, Value(2)))
            })
        );
    }

    #[test]
    fn accepting_a_higher_ballot_raises_the_promise() {
        let p = proto();
        let mut a = Acceptor::default();
        let (b1, b2) = (Ballot::new(1, 0), Ballot::new(2, 1));
        a.on_msg(&p, &Msg::Prepare { ballot: b1 });
        a.on_msg(
            &p,
            &Msg::Accept {
                ballot: b2,
                value: Value(2),
            },
        );
        assert_eq!(a.promised, Some(b2));
        let late = a.on_msg(
            &p,
            &Msg::Accept {
                ballot: b1,
                value: Value(1),
            },
        );
        assert!(matches!(late, Some(Msg::Nack { .. })));
        assert_eq!(a.accepted, Some((b2, Value(2))));
    }

    #[test]
    fn acceptor_state_survives_restart_unless_amnesia() {
        let mut a = Acceptor {
            promised: Some(Ballot(9)),
            accepted: Some((Ballot(9), Value(1))),
        };
        let before = a;
        a.restart(&proto());
        assert_eq!(a, before);
        a.restart(&Protocol::majority(3, Some(Bug::Amnesia)));
        assert_eq!(a, Acceptor::default());
    }

    fn promise(ballot: Ballot, accepted: Option<(Ballot, Value)>) -> Msg {
        Msg::Promise { ballot, accepted }
    }

    #[test]
    fn proposer_adopts_the_highest_accepted_value_from_a_quorum() {
        let p = Protocol::majority(5, None);
        let mut pr = Proposer::new(1, Value(2));
        let start = pr.start_next(&p);
        let b = pr.s.ballot.unwrap();
        assert_eq!(start, Action::Broadcast(Msg::Prepare { ballot: b }));
        let a = pr.on_msg(&p, 4, &promise(b, Some((Ballot(3), Value(7)))));
        let c = pr.on_msg(&p, 2, &promise(b, Some((Ballot(5), Value(8)))));
        assert_eq!((a, c), (None, None), "two of five is no quorum");
        let dup = pr.on_msg(&p, 2, &promise(b, None));
        assert_eq!(dup, None, "a duplicate promise does not count");
        let third = pr.on_msg(&p, 0, &promise(b, Some((Ballot(1), Value(9)))));
        assert_eq!(
            third,
            Some(Action::Broadcast(Msg::Accept {
                ballot: b,
                value: Value(8)
            }))
        );
        assert!(pr.adopted());
        assert_eq!(pr.s.highest.map(|h| h.2), Some(2));
    }

    #[test]
    fn proposer_proposes_its_own_value_when_no_promise_carries_a_vote() {
        let p = proto();
        let mut pr = Proposer::new(0, Value(1));
        pr.start_next(&p);
        let b = pr.s.ballot.unwrap();
        assert_eq!(pr.on_msg(&p, 0, &promise(b, None)), None);
        assert_eq!(
            pr.on_msg(&p, 1, &promise(b, None)),
            Some(Action::Broadcast(Msg::Accept {
                ballot: b,
                value: Value(1)
            }))
        );
        assert!(!pr.adopted());
        let voted = Msg::Accepted {
            ballot: b,
            value: Value(1),
        };
        assert_eq!(pr.on_msg(&p, 2, &voted), None);
        assert_eq!(
            pr.on_msg(&p, 2, &voted),
            None,
            "a duplicate vote does not count"
        );
        assert_eq!(
            pr.on_msg(&p, 0, &voted),
            Some(Action::Decide {
                ballot: b,
                value: Value(1)
            })
        );
    }

    #[test]
    fn proposer_ignores_promises_for_other_ballots_and_goes_above_refusals() {
        let p = proto();
        let mut pr = Proposer::new(1, Value(2));
        pr.start_next(&p);
        let b = pr.s.ballot.unwrap();
        let old = Ballot::new(0, 2);
        pr.on_msg(&p, 0, &promise(old, None));
        pr.on_msg(&p, 1, &promise(old, None));
        assert_eq!(pr.s.promise_count, 0);
        pr.on_msg(
            &p,
            0,
            &Msg::Nack {
                ballot: b,
                promised: Ballot::new(7, 0),
            },
        );
        assert_eq!(pr.next_ballot(&p), Ballot::new(8, 2));
        // A refusal claiming the highest ballot there is: the next ballot is the last round
        // a ballot holds, not a panic in Ballot::new.
        pr.on_msg(
            &p,
            0,
            &Msg::Nack {
                ballot: b,
                promised: Ballot(u64::MAX),
            },
        );
        assert_eq!(pr.next_ballot(&p), Ballot::new(Ballot::MAX_ROUND - 1, 2));
        pr.start_next(&p);
        assert_eq!(pr.next_ballot(&p), Ballot::new(Ballot::MAX_ROUND - 1, 2));
    }

    #[test]
    fn proposer_restart_keeps_only_durable_fields() {
        let p = proto();
        let mut pr = Proposer::new(1, Value(2));
        pr.start_next(&p);
        pr.start_next(&p);
        pr.restart();
        assert_eq!(pr.s.phase, Phase::Idle);
        assert_eq!(pr.s.ballot, None);
        assert_eq!(pr.s.round, 2);
        assert_eq!(pr.s.ballots_started, 2);
        assert_eq!(
            pr.next_ballot(&p),
            Ballot::new(3, 2),
            "never reuses a ballot"
        );
    }

    #[test]
    fn bugs_change_exactly_their_rule() {
        let bugged = |b| Protocol::majority(3, Some(b));
        let mut a = Acceptor {
            promised: Some(Ballot(5)),
            accepted: None,
        };
        let low = Msg::Accept {
            ballot: Ballot(2),
            value: Value(1),
        };
        assert!(matches!(
            a.on_msg(&bugged(Bug::AcceptBelowPromise), &low),
            Some(Msg::Accepted { .. })
        ));
        assert_eq!(
            Protocol::majority(5, Some(Bug::SmallQuorum)).effective_q1(),
            2
        );
        let mut x = Proposer::new(1, Value(2));
        let mut y = Proposer::new(2, Value(3));
        let q = bugged(Bug::BallotCollision);
        assert_eq!(x.next_ballot(&q), y.next_ballot(&q));
        x.start_next(&bugged(Bug::NoAdopt));
        let b = x.s.ballot.unwrap();
        let p = bugged(Bug::NoAdopt);
        x.on_msg(&p, 0, &promise(b, Some((Ballot(1), Value(9)))));
        x.on_msg(&p, 1, &promise(b, None));
        assert_eq!(x.s.proposal, Some(Value(2)));
        let p = bugged(Bug::CountDuplicates);
        y.start_next(&p);
        let b = y.s.ballot.unwrap();
        y.on_msg(&p, 0, &promise(b, None));
        y.on_msg(&p, 0, &promise(b, None));
        assert_eq!(y.s.phase, Phase::Accepting);
    }
}
