//! A user's own single-decree Paxos, written the way a textbook (Lamport, "Paxos Made
//! Simple") states it, and independently of `paxos-safety`'s built-in protocol. It only
//! speaks the library's message types and implements its role traits, which is all a
//! user's crate needs to be put under the simulator, the checker, shrinking and replay.
//!
//! `Textbook::with_first_vote_bug()` is the same code with one classic slip: the proposer
//! adopts the *first* vote reported in a promise instead of the highest. It looks
//! harmless and passes every happy-path test; a campaign catches it in milliseconds.

use paxos_safety::ballot::{AcceptorId, AcceptorSet, Ballot, Value};
use paxos_safety::protocol::{Action, Msg, Phase, Protocol};
use paxos_safety::roles::{
    AcceptorRole, AcceptorView, Implementation, ProposerRole, ProposerView, RoleFault,
};

/// The implementation: how to build its roles, and whether the slip is in.
#[derive(Clone, Copy, Debug, Default)]
pub struct Textbook {
    adopt_first_vote: bool,
}

impl Textbook {
    /// The correct textbook protocol.
    pub fn correct() -> Textbook {
        Textbook::default()
    }

    /// The proposer adopts the first reported vote, not the highest.
    pub fn with_first_vote_bug() -> Textbook {
        Textbook {
            adopt_first_vote: true,
        }
    }
}

impl Implementation for Textbook {
    type Acceptor = TextbookAcceptor;
    type Proposer = TextbookProposer;

    fn acceptor(&mut self, _cluster: &Protocol, _id: AcceptorId) -> TextbookAcceptor {
        TextbookAcceptor::default()
    }

    fn proposer(&mut self, _cluster: &Protocol, id: u8, value: Value) -> TextbookProposer {
        TextbookProposer {
            id,
            my_value: value,
            adopt_first_vote: self.adopt_first_vote,
            ..TextbookProposer::default()
        }
    }
}

/// "An acceptor can accept a proposal numbered n iff it has not responded to a prepare
/// request having a number greater than n."
#[derive(Clone, Debug, Default)]
pub struct TextbookAcceptor {
    /// The highest prepare request it responded to.
    max_prepare: Option<Ballot>,
    /// The highest-numbered proposal it accepted.
    accepted_proposal: Option<(Ballot, Value)>,
}

impl AcceptorRole for TextbookAcceptor {
    fn on_message(&mut self, _cluster: &Protocol, msg: &Msg) -> Result<Option<Msg>, RoleFault> {
        let reply = match *msg {
            Msg::Prepare { ballot: n } => {
                if self.max_prepare.is_none_or(|m| n >= m) {
                    self.max_prepare = Some(n);
                    Msg::Promise {
                        ballot: n,
                        accepted: self.accepted_proposal,
                    }
                } else {
                    self.refuse(n)
                }
            }
            Msg::Accept { ballot: n, value } => {
                if self.max_prepare.is_none_or(|m| n >= m) {
                    self.max_prepare = Some(n);
                    self.accepted_proposal = Some((n, value));
                    Msg::Accepted { ballot: n, value }
                } else {
                    self.refuse(n)
                }
            }
            // Acceptors only hear from proposers.
            _ => return Ok(None),
        };
        Ok(Some(reply))
    }

    fn view(&self) -> AcceptorView {
        AcceptorView {
            promised: self.max_prepare,
            accepted: self.accepted_proposal,
        }
    }
}

impl TextbookAcceptor {
    fn refuse(&self, n: Ballot) -> Msg {
        Msg::Nack {
            ballot: n,
            promised: self.max_prepare.unwrap_or_default(),
        }
    }
}

/// A proposer that is also the learner of its own proposals.
#[derive(Clone, Debug, Default)]
pub struct TextbookProposer {
    id: u8,
    my_value: Value,
    adopt_first_vote: bool,
    /// Durable: the highest round it ever used, so a restart never reuses a number.
    round: u64,
    /// Volatile from here on.
    highest_round_seen: u64,
    current: Option<Ballot>,
    phase: Phase,
    promised_by: AcceptorSet,
    /// The vote to adopt, from the promises counted so far.
    vote_to_adopt: Option<(Ballot, Value, AcceptorId)>,
    proposed: Option<Value>,
    accepted_by: AcceptorSet,
}

impl ProposerRole for TextbookProposer {
    fn on_timeout(&mut self, _cluster: &Protocol) -> Action {
        // A fresh proposal number: above every round it used or saw refused, and unique
        // to this proposer because its id is part of the number.
        self.round = self.round.max(self.highest_round_seen) + 1;
        let n = Ballot::new(self.round, self.id + 1);
        self.current = Some(n);
        self.phase = Phase::Preparing;
        self.promised_by.clear();
        self.vote_to_adopt = None;
        self.proposed = None;
        self.accepted_by.clear();
        Action::Broadcast(Msg::Prepare { ballot: n })
    }

    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        let n = self.current?;
        match *msg {
            Msg::Promise { ballot, accepted } if ballot == n && self.phase == Phase::Preparing => {
                if !self.promised_by.insert(from) {
                    return None;
                }
                if let Some((b, v)) = accepted {
                    let better = match self.vote_to_adopt {
                        None => true,
                        // The slip: keep the first vote seen instead of the highest.
                        Some(_) if self.adopt_first_vote => false,
                        Some((hb, _, _)) => b > hb,
                    };
                    if better {
                        self.vote_to_adopt = Some((b, v, from));
                    }
                }
                if self.promised_by.len() < cluster.q1 as usize {
                    return None;
                }
                let value = self.vote_to_adopt.map_or(self.my_value, |(_, v, _)| v);
                self.phase = Phase::Accepting;
                self.proposed = Some(value);
                Some(Action::Broadcast(Msg::Accept { ballot: n, value }))
            }
            Msg::Accepted { ballot, value } if ballot == n && self.phase == Phase::Accepting => {
                if Some(value) != self.proposed || !self.accepted_by.insert(from) {
                    return None;
                }
                if self.accepted_by.len() < cluster.q2 as usize {
                    return None;
                }
                self.phase = Phase::Decided;
                Some(Action::Decide { ballot: n, value })
            }
            Msg::Nack { ballot, promised } if ballot == n => {
                self.highest_round_seen = self.highest_round_seen.max(promised.round());
                None
            }
            _ => None,
        }
    }

    fn on_crash(&mut self) {
        *self = TextbookProposer {
            id: self.id,
            my_value: self.my_value,
            adopt_first_vote: self.adopt_first_vote,
            round: self.round,
            ..TextbookProposer::default()
        };
    }

    fn view(&self, cluster: &Protocol) -> ProposerView {
        ProposerView {
            ballot: self.current,
            phase: self.phase,
            promises: self.promised_by.len() as u32,
            promised_by: self.promised_by.low_bits(),
            votes: self.accepted_by.len() as u32,
            proposal: self.proposed,
            adopted_from: self
                .vote_to_adopt
                .filter(|_| self.proposed.is_some())
                .map(|(b, _, a)| (a, b)),
            next_ballot: Some(Ballot::new(
                self.round.max(self.highest_round_seen) + 1,
                self.id + 1,
            )),
            quorums: Some((u32::from(cluster.q1), u32::from(cluster.q2))),
        }
    }
}
