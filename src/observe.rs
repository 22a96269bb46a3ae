//! What the checker sees of the protocol: the one mapping from the messages and actions on
//! the wire to [`Observation`]s.
//!
//! The checker judges an implementation by what it says on the wire, never by what it
//! reports about its own state: a proposal is an `Accept` a proposer broadcast, a vote an
//! `Accepted` an acceptor sent, a promise a `Promise` with the vote it reported. The
//! simulated world, the grader node and the process harness all feed the checker through
//! these two functions, so an implementation that lies about its state is judged the same
//! way wherever it runs.

use crate::ballot::AcceptorId;
use crate::checker::Observation;
use crate::protocol::{Action, Msg};

/// What acceptor `acceptor` replying `reply` tells the checker: a promise (with the vote it
/// reports) or a vote. Refusals promise nothing and vote for nothing.
pub fn reply(acceptor: AcceptorId, reply: &Msg) -> Option<Observation> {
    match *reply {
        Msg::Promise { ballot, accepted } => Some(Observation::Promise {
            acceptor,
            ballot,
            accepted,
        }),
        Msg::Accepted { ballot, value } => Some(Observation::Vote {
            acceptor,
            ballot,
            value,
        }),
        Msg::Nack { .. } | Msg::Prepare { .. } | Msg::Accept { .. } => None,
    }
}

/// What proposer `learner` doing `action` tells the checker: broadcasting an `Accept` is a
/// proposal, a decision is a learner's claim for learner agreement to judge.
pub fn action(learner: u8, action: &Action) -> Option<Observation> {
    match *action {
        Action::Broadcast(Msg::Accept { ballot, value }) => {
            Some(Observation::Proposal { ballot, value })
        }
        Action::Broadcast(_) => None,
        Action::Decide { ballot, value } => Some(Observation::Decide {
            learner: u16::from(learner),
            ballot,
            value,
        }),
    }
}
