//! Why a delivery changed nothing at the node it reached.
//!
//! Most deliveries in a real execution are refused or stale: a prepare below an acceptor's
//! promise, a promise for a ballot its proposer has left, a duplicate counted already. A
//! trace that leaves those steps blank makes a reader work out the rule that applied from
//! the state three screens up, and that rule is usually the point of the lesson. So a
//! delivery whose step changed no view gets one [`NoEffect`], read off the view of the
//! node before the delivery and the message itself.
//!
//! Like the rest of a trace this tells the story, not the verdict: it reads the roles'
//! views, which a user's role or a process fills as it can. Where the views cannot tell
//! why nothing moved (a vote a proposer may or may not have counted, a role that shows no
//! next ballot) it says only that nothing changed, never a reason it cannot back.

use super::Snapshot;
use crate::ballot::{AcceptorId, Ballot, Value};
use crate::event::{Envelope, NodeId};
use crate::protocol::{Msg, Phase};
use crate::roles::ProposerView;

/// Why a delivered message changed nothing at its node: the acceptor's or proposer's rule
/// that applied, as its view before the delivery shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEffect {
    /// An acceptor refused a prepare or accept: its nack says it promised `promised`.
    BelowPromise { promised: Ballot },
    /// An acceptor got a prepare for `ballot`, the ballot it has promised already (a
    /// retransmission or a duplicate; a correct acceptor answers it again).
    PromisedAlready { ballot: Ballot },
    /// An acceptor got an accept for `(ballot, value)`, its vote already.
    VotedAlready { ballot: Ballot, value: Value },
    /// A reply to a proposer that has decided.
    Decided,
    /// A reply about another ballot than `running`, the one its proposer runs (none: it
    /// runs no ballot, after a restart).
    OtherBallot { running: Option<Ballot> },
    /// A promise for `ballot`, the proposer's ballot, after it left phase 1 of it.
    PastPhase1 { ballot: Ballot },
    /// A promise (`vote` false) or vote from `from` for `ballot` that the proposer has
    /// counted already.
    CountedAlready {
        from: AcceptorId,
        ballot: Ballot,
        vote: bool,
    },
    /// A vote for a value the proposer did not propose (`proposal`).
    OtherValue { proposal: Value },
    /// A nack for the proposer's ballot: an acceptor has promised `promised`. `next` is the
    /// ballot its next timeout starts, which a correct proposer has raised above it.
    Nacked { promised: Ballot, next: Ballot },
    /// Nothing the views show says why.
    Unexplained,
}

/// The reason `env`'s delivery changed nothing, from the views `before` it and `after` it
/// and, for an acceptor, `reply`, what it answered (`None`: nothing); `None` when the node
/// did something after all: its view changed in a way no [`Change`] names (a role that
/// starts a ballot on a nack), or an acceptor's reply says what its view does not show.
/// An acceptor process's view is what its replies showed, and its promise there never
/// goes down: a process that forgot its promise and promises a lower ballot again shows
/// the old promise still, and must not be told as refusing what it granted.
/// Only a proposer's next ballot may differ: a nack raises it, and that is its effect.
/// `votes_counted` is, per proposer, the ballot and the acceptors (one bit each) whose
/// votes for it the trace has seen counted: a proposer's view keeps the promises it
/// counted, not the votes.
///
/// [`Change`]: super::Change
pub(super) fn of_delivery(
    env: &Envelope,
    before: &Snapshot,
    after: &Snapshot,
    votes_counted: &[(Option<Ballot>, u64)],
    reply: Option<Msg>,
) -> Option<NoEffect> {
    Some(match (env.src, env.dst) {
        (_, NodeId::Acceptor(a)) => {
            let view = &before.acceptors[a as usize];
            if *view != after.acceptors[a as usize] {
                return None;
            }
            match (env.msg, reply) {
                (_, Some(Msg::Nack { promised, .. })) => NoEffect::BelowPromise { promised },
                (Msg::Prepare { ballot }, Some(Msg::Promise { .. }))
                    if view.promised == Some(ballot) =>
                {
                    NoEffect::PromisedAlready { ballot }
                }
                (Msg::Accept { ballot, value }, Some(Msg::Accepted { .. }))
                    if view.accepted == Some((ballot, value)) =>
                {
                    NoEffect::VotedAlready { ballot, value }
                }
                (_, None) => NoEffect::Unexplained,
                _ => return None,
            }
        }
        (NodeId::Acceptor(from), NodeId::Proposer(p)) => {
            let view = &before.proposers[p as usize];
            let now = &after.proposers[p as usize];
            let but_next = ProposerView {
                next_ballot: view.next_ballot,
                ..*now
            };
            if but_next != *view {
                return None;
            }
            let about = env.msg.ballot();
            let bit = 1u64.checked_shl(u32::from(from)).unwrap_or(0);
            match (view.ballot, env.msg) {
                _ if view.phase == Phase::Decided => NoEffect::Decided,
                (running, _) if running != Some(about) => NoEffect::OtherBallot { running },
                (_, Msg::Promise { .. }) if view.phase != Phase::Preparing => {
                    NoEffect::PastPhase1 { ballot: about }
                }
                (_, Msg::Promise { .. }) if view.promised_by & bit != 0 => {
                    NoEffect::CountedAlready {
                        from,
                        ballot: about,
                        vote: false,
                    }
                }
                (_, Msg::Accepted { value, .. }) if view.proposal.is_some_and(|v| v != value) => {
                    NoEffect::OtherValue {
                        proposal: view.proposal.unwrap_or_default(),
                    }
                }
                (_, Msg::Accepted { .. })
                    if votes_counted[p as usize].0 == Some(about)
                        && votes_counted[p as usize].1 & bit != 0 =>
                {
                    NoEffect::CountedAlready {
                        from,
                        ballot: about,
                        vote: true,
                    }
                }
                (_, Msg::Nack { promised, .. }) => match now.next_ballot {
                    Some(next) => NoEffect::Nacked { promised, next },
                    None => NoEffect::Unexplained,
                },
                _ => NoEffect::Unexplained,
            }
        }
        // Proposers send only to acceptors.
        (NodeId::Proposer(_), NodeId::Proposer(_)) => NoEffect::Unexplained,
    })
}

impl NoEffect {
    /// The reason as the phrase after the event, for the node `node`; like every change's
    /// text, free of the characters Mermaid treats specially.
    pub fn text(&self, node: NodeId) -> String {
        match *self {
            NoEffect::BelowPromise { promised } => {
                format!(
                    "{node} refuses it, having promised {}",
                    promised.sim_label()
                )
            }
            // It did reply: the promise or vote went out again, and changed nothing.
            NoEffect::PromisedAlready { ballot } => {
                format!(
                    "{node} promises {} again, as it had already",
                    ballot.sim_label()
                )
            }
            NoEffect::VotedAlready { ballot, value } => {
                format!(
                    "{node} votes {} again, as it had already",
                    super::vote_label((ballot, value))
                )
            }
            NoEffect::Decided => format!("{node} ignores it, having decided"),
            NoEffect::OtherBallot { running: Some(b) } => {
                format!("{node} ignores it, running ballot {}", b.sim_label())
            }
            NoEffect::OtherBallot { running: None } => {
                format!("{node} ignores it, running no ballot")
            }
            NoEffect::PastPhase1 { ballot } => {
                format!("{node} ignores it, past phase 1 of {}", ballot.sim_label())
            }
            NoEffect::CountedAlready { from, ballot, vote } => format!(
                "{node} counted {}'s {} for {} already",
                NodeId::Acceptor(from),
                if vote { "vote" } else { "promise" },
                ballot.sim_label()
            ),
            NoEffect::OtherValue { proposal } => {
                format!("{node} ignores it, having proposed {proposal}")
            }
            NoEffect::Nacked { promised, next } if next > promised => format!(
                "{node} will start its next ballot at {}, above that promise",
                next.sim_label()
            ),
            NoEffect::Nacked { promised, next } => format!(
                "{node} keeps its next ballot at {}, not above the promise {}",
                next.sim_label(),
                promised.sim_label()
            ),
            NoEffect::Unexplained => format!("{node} changes nothing"),
        }
    }

    /// The reason's name in JSON traces (`"reason"` of a `no-effect` change).
    pub fn name(&self) -> &'static str {
        match self {
            NoEffect::BelowPromise { .. } => "below-promise",
            NoEffect::PromisedAlready { .. } => "promised-already",
            NoEffect::VotedAlready { .. } => "voted-already",
            NoEffect::Decided => "decided",
            NoEffect::OtherBallot { .. } => "other-ballot",
            NoEffect::PastPhase1 { .. } => "past-phase-1",
            NoEffect::CountedAlready { .. } => "counted-already",
            NoEffect::OtherValue { .. } => "other-value",
            NoEffect::Nacked { .. } => "nacked",
            NoEffect::Unexplained => "unexplained",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::AcceptorView;

    /// One acceptor and one proposer running ballot 1.1 in phase 2 with `v1` proposed.
    fn views() -> Snapshot {
        Snapshot {
            acceptors: vec![AcceptorView {
                promised: Some(Ballot::new(1, 1)),
                accepted: None,
            }],
            proposers: vec![ProposerView {
                ballot: Some(Ballot::new(1, 1)),
                phase: Phase::Accepting,
                proposal: Some(Value(1)),
                next_ballot: Some(Ballot::new(2, 1)),
                ..ProposerView::default()
            }],
            in_flight: 0,
        }
    }

    fn to_proposer(msg: Msg) -> Envelope {
        Envelope {
            src: NodeId::Acceptor(0),
            dst: NodeId::Proposer(0),
            msg,
        }
    }

    fn to_acceptor(msg: Msg) -> Envelope {
        Envelope {
            src: NodeId::Proposer(0),
            dst: NodeId::Acceptor(0),
            msg,
        }
    }

    /// What a correct role never does still gets a reason the views back, and nothing
    /// when they cannot back one.
    #[test]
    fn the_views_decide_what_is_said() {
        let b = Ballot::new;
        let s = views();
        let none = [(None, 0)];
        let other_value = to_proposer(Msg::Accepted {
            ballot: b(1, 1),
            value: Value(2),
        });
        let why = of_delivery(&other_value, &s, &s, &none, None).unwrap();
        assert_eq!(why, NoEffect::OtherValue { proposal: Value(1) });
        assert_eq!(
            why.text(NodeId::Proposer(0)),
            "p1 ignores it, having proposed v1"
        );
        // A vote the trace never saw counted is not called counted already.
        let same_value = to_proposer(Msg::Accepted {
            ballot: b(1, 1),
            value: Value(1),
        });
        let why = of_delivery(&same_value, &s, &s, &none, None).unwrap();
        assert_eq!(why, NoEffect::Unexplained);
        assert_eq!(why.text(NodeId::Proposer(0)), "p1 changes nothing");
        // Nor is one counted for another ballot, or from another acceptor.
        let counted_other_ballot = [(Some(b(2, 1)), 1)];
        let why = of_delivery(&same_value, &s, &s, &counted_other_ballot, None).unwrap();
        assert_eq!(why, NoEffect::Unexplained);
        let counted_other_acceptor = [(Some(b(1, 1)), 2)];
        let why = of_delivery(&same_value, &s, &s, &counted_other_acceptor, None).unwrap();
        assert_eq!(why, NoEffect::Unexplained);
        // A promise for the running ballot in phase 1 is counted already only if the view
        // says so: one that a role ignored for its own reasons is not.
        let mut preparing = s.clone();
        preparing.proposers[0].phase = Phase::Preparing;
        preparing.proposers[0].promised_by = 0b10;
        let promise = to_proposer(Msg::Promise {
            ballot: b(1, 1),
            accepted: None,
        });
        let why = of_delivery(&promise, &preparing, &preparing, &none, None).unwrap();
        assert_eq!(why, NoEffect::Unexplained);
        preparing.proposers[0].promised_by = 0b11;
        let why = of_delivery(&promise, &preparing, &preparing, &none, None).unwrap();
        assert_eq!(
            why.text(NodeId::Proposer(0)),
            "p1 counted a1's promise for 1.1 already"
        );
        // An acceptor that neither promises a higher prepare nor votes for an accept at
        // its promise, and answers nothing.
        for msg in [
            Msg::Prepare { ballot: b(2, 1) },
            Msg::Accept {
                ballot: b(1, 1),
                value: Value(1),
            },
        ] {
            let why = of_delivery(&to_acceptor(msg), &s, &s, &none, None).unwrap();
            assert_eq!(why, NoEffect::Unexplained, "{msg:?}");
            assert_eq!(why.text(NodeId::Acceptor(0)), "a1 changes nothing");
        }
        // A nack that leaves the next ballot at or below the promise says so; one whose
        // proposer shows no next ballot says nothing of it.
        let nack = to_proposer(Msg::Nack {
            ballot: b(1, 1),
            promised: b(2, 1),
        });
        let why = of_delivery(&nack, &s, &s, &none, None).unwrap();
        assert_eq!(
            why.text(NodeId::Proposer(0)),
            "p1 keeps its next ballot at 2.1, not above the promise 2.1"
        );
        let mut blind = s.clone();
        blind.proposers[0].next_ballot = None;
        assert_eq!(
            of_delivery(&nack, &blind, &blind, &none, None),
            Some(NoEffect::Unexplained)
        );
    }

    /// An acceptor's reply says what it did: a nack is a refusal with the promise it
    /// names, a promise or vote answered again is one its view holds already, and a
    /// promise its view does not show (a process's view keeps the highest promise its
    /// replies showed, so one that forgot and promised a lower ballot looks unmoved) is
    /// no refusal: nothing is said, and the checker judges it.
    #[test]
    fn an_acceptor_is_told_by_its_reply() {
        let b = Ballot::new;
        let mut s = views();
        s.acceptors[0].promised = Some(b(2, 1));
        s.acceptors[0].accepted = Some((b(2, 1), Value(2)));
        let none = [(None, 0)];
        let prepare = to_acceptor(Msg::Prepare { ballot: b(1, 1) });
        let nack = Msg::Nack {
            ballot: b(1, 1),
            promised: b(3, 2),
        };
        assert_eq!(
            of_delivery(&prepare, &s, &s, &none, Some(nack)),
            Some(NoEffect::BelowPromise { promised: b(3, 2) })
        );
        let lower = Msg::Promise {
            ballot: b(1, 1),
            accepted: None,
        };
        assert_eq!(of_delivery(&prepare, &s, &s, &none, Some(lower)), None);
        let again = to_acceptor(Msg::Prepare { ballot: b(2, 1) });
        let promise = Msg::Promise {
            ballot: b(2, 1),
            accepted: Some((b(2, 1), Value(2))),
        };
        assert_eq!(
            of_delivery(&again, &s, &s, &none, Some(promise)),
            Some(NoEffect::PromisedAlready { ballot: b(2, 1) })
        );
        let accept = to_acceptor(Msg::Accept {
            ballot: b(2, 1),
            value: Value(2),
        });
        let accepted = Msg::Accepted {
            ballot: b(2, 1),
            value: Value(2),
        };
        assert_eq!(
            of_delivery(&accept, &s, &s, &none, Some(accepted)),
            Some(NoEffect::VotedAlready {
                ballot: b(2, 1),
                value: Value(2)
            })
        );
        // A vote for another value than the one it holds at that ballot is not "again".
        let other = to_acceptor(Msg::Accept {
            ballot: b(2, 1),
            value: Value(1),
        });
        assert_eq!(of_delivery(&other, &s, &s, &none, Some(accepted)), None);
        // A promise answered to an accept (a confused role) is not a vote held already.
        assert_eq!(of_delivery(&accept, &s, &s, &none, Some(promise)), None);
    }

    /// A node whose view moved did something, even if no change names it: a proposer that
    /// starts a ballot on a nack, an acceptor that shows a new state. Only a proposer's
    /// next ballot may move, which is a nack's whole effect.
    #[test]
    fn a_node_whose_view_moved_gets_no_reason() {
        let b = Ballot::new;
        let before = views();
        let none = [(None, 0)];
        let nack = to_proposer(Msg::Nack {
            ballot: b(1, 1),
            promised: b(2, 1),
        });
        let mut raised = before.clone();
        raised.proposers[0].next_ballot = Some(b(3, 1));
        assert_eq!(
            of_delivery(&nack, &before, &raised, &none, None),
            Some(NoEffect::Nacked {
                promised: b(2, 1),
                next: b(3, 1)
            })
        );
        let mut restarted = raised.clone();
        restarted.proposers[0].ballot = Some(b(3, 1));
        assert_eq!(of_delivery(&nack, &before, &restarted, &none, None), None);
        let mut moved = before.clone();
        moved.acceptors[0].accepted = Some((b(1, 1), Value(1)));
        let accept = to_acceptor(Msg::Accept {
            ballot: b(1, 1),
            value: Value(1),
        });
        assert_eq!(of_delivery(&accept, &before, &moved, &none, None), None);
        assert_eq!(
            of_delivery(&accept, &before, &before, &none, None),
            Some(NoEffect::Unexplained)
        );
    }
}
