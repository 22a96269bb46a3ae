//! A naive reference for the incremental safety checker (`paxos_safety::checker`).
//!
//! It keeps no state between observations: [`Reference::judge`] is handed the whole history
//! so far and recomputes every invariant from its definition with plain loops over it. It is
//! meant to be slow and obviously right, so that a differential test can trust it over the
//! incremental checker, whose O(1) bookkeeping (highest ballot, highest other value, floors,
//! the per-ballot first value, the lowest chosen ballot) is where bugs would hide.
//!
//! Every definition below is "there is a witness somewhere in the history", and every
//! witness only looks at observations up to its own position. So once an invariant is broken
//! in a prefix it stays broken in every longer one, and the first violation of a history is
//! found by judging its prefixes in order. When the first broken prefix breaks several
//! invariants at once, the last observation is involved in all of them (the shorter prefix
//! was safe), and the checker reports them in the order its documentation gives for that
//! kind of observation; [`Reference::judge`] picks the first in that order and describes it
//! the way a `Violation` does.

// Each test crate that includes this module uses its own part of it.
#![allow(dead_code)]

use paxos_safety::ballot::{AcceptorId, Ballot, Value};
use paxos_safety::checker::{Invariant, Observation, Violation};

/// What the reference knows of a run: the quorum that chooses a value, and the proposers'
/// inputs when they were declared (`None`: any proposal is valid).
#[derive(Clone, Debug)]
pub struct Reference {
    pub quorum: usize,
    pub inputs: Option<Vec<Value>>,
}

/// Every proposal and vote: the `(ballot, value)` pairs a history carries.
fn carried(h: &[Observation]) -> Vec<(Ballot, Value)> {
    let mut out = Vec::new();
    for o in h {
        match *o {
            Observation::Proposal { ballot, value } | Observation::Vote { ballot, value, .. } => {
                out.push((ballot, value))
            }
            _ => {}
        }
    }
    out
}

/// A value chosen at a ballot: a quorum of distinct acceptors voted for `(ballot, value)`.
/// `at` is the position of the vote that completed the quorum.
#[derive(Clone, Copy, Debug)]
struct Chosen {
    ballot: Ballot,
    value: Value,
    at: usize,
}

/// Every `(ballot, value)` chosen in `h`, each once, with where its quorum completed.
fn chosen(h: &[Observation], quorum: usize) -> Vec<Chosen> {
    let mut out: Vec<Chosen> = Vec::new();
    for (i, o) in h.iter().enumerate() {
        let Observation::Vote { ballot, value, .. } = *o else {
            continue;
        };
        if out.iter().any(|c| c.ballot == ballot && c.value == value) {
            continue;
        }
        // Distinct acceptors that voted for (ballot, value), in the order they first did.
        let mut voters: Vec<AcceptorId> = Vec::new();
        for (j, p) in h.iter().enumerate().skip(i) {
            if let Observation::Vote {
                acceptor,
                ballot: b,
                value: v,
            } = *p
            {
                if b == ballot && v == value && !voters.contains(&acceptor) {
                    voters.push(acceptor);
                    if voters.len() == quorum {
                        out.push(Chosen {
                            ballot,
                            value,
                            at: j,
                        });
                        break;
                    }
                }
            }
        }
    }
    out
}

/// The value chosen first in `h` (whose quorum completed first): "the" chosen value, also
/// once agreement is broken and several are.
fn first_chosen_value(chosen: &[Chosen]) -> Option<Value> {
    chosen.iter().min_by_key(|c| c.at).map(|c| c.value)
}

/// The lowest ballot at which the first chosen value is chosen in `h`, with that value (the
/// checker's `chosen()`; while agreement holds, simply the lowest chosen ballot).
fn lowest_chosen(h: &[Observation], quorum: usize) -> Option<(Ballot, Value)> {
    let chosen = chosen(h, quorum);
    let first = first_chosen_value(&chosen)?;
    chosen
        .iter()
        .filter(|c| c.value == first)
        .map(|c| (c.ballot, c.value))
        .min_by_key(|&(b, _)| b)
}

/// The highest ballot acceptor `a` promised or voted for in `h`.
fn floor(h: &[Observation], a: AcceptorId) -> Option<Ballot> {
    let mut out = None;
    for o in h {
        match *o {
            Observation::Promise {
                acceptor, ballot, ..
            }
            | Observation::Vote {
                acceptor, ballot, ..
            } if acceptor == a && Some(ballot) > out => out = Some(ballot),
            _ => {}
        }
    }
    out
}

/// The vote of the highest ballot acceptor `a` cast in `h` (the last of them on a tie): what
/// a promise from it must report.
fn latest_vote(h: &[Observation], a: AcceptorId) -> Option<(Ballot, Value)> {
    let mut out: Option<(Ballot, Value)> = None;
    for o in h {
        if let Observation::Vote {
            acceptor,
            ballot,
            value,
        } = *o
        {
            if acceptor == a && out.is_none_or(|(b, _)| ballot >= b) {
                out = Some((ballot, value));
            }
        }
    }
    out
}

/// Which invariants `h` breaks, each decided from its definition over the whole of `h`.
pub fn broken(r: &Reference, h: &[Observation]) -> Vec<Invariant> {
    let pairs = carried(h);
    let chosen = chosen(h, r.quorum);
    let mut out = Vec::new();
    let mut check = |inv: Invariant, bad: bool| {
        if bad {
            out.push(inv)
        }
    };

    // Agreement: two different values chosen.
    check(
        Invariant::Agreement,
        chosen
            .iter()
            .any(|x| chosen.iter().any(|y| x.value != y.value)),
    );

    // Immutability: a proposal or vote above a chosen ballot with another value.
    check(
        Invariant::Immutability,
        chosen
            .iter()
            .any(|c| pairs.iter().any(|&(b, v)| b > c.ballot && v != c.value)),
    );

    // Validity: a proposal of no proposer's input, or a value chosen before anyone had
    // proposed it at that ballot.
    let foreign = h.iter().any(|o| match (o, &r.inputs) {
        (Observation::Proposal { value, .. }, Some(inputs)) => !inputs.contains(value),
        _ => false,
    });
    let unproposed = chosen.iter().any(|c| {
        !h[..c.at].iter().any(|o| {
            *o == Observation::Proposal {
                ballot: c.ballot,
                value: c.value,
            }
        })
    });
    check(Invariant::Validity, foreign || unproposed);

    // Ballot uniqueness: one ballot carrying two values.
    check(
        Invariant::BallotUniqueness,
        pairs
            .iter()
            .any(|&(b, v)| pairs.iter().any(|&(b2, v2)| b == b2 && v != v2)),
    );

    // Learner agreement: a decision for anything but the value chosen (first) before it.
    check(
        Invariant::LearnerAgreement,
        h.iter().enumerate().any(|(i, o)| match *o {
            Observation::Decide { value, .. } => {
                let before: Vec<Chosen> = chosen.iter().copied().filter(|c| c.at < i).collect();
                first_chosen_value(&before) != Some(value)
            }
            _ => false,
        }),
    );

    // The acceptor's own rules: each promise and vote against what came before it.
    let (mut monotonic, mut above, mut reports, mut durable) = (false, false, false, false);
    for (i, o) in h.iter().enumerate() {
        match *o {
            Observation::Promise {
                acceptor,
                ballot,
                accepted,
            } => {
                monotonic |= floor(&h[..i], acceptor) > Some(ballot);
                let latest = latest_vote(&h[..i], acceptor);
                durable |= accepted.is_none() && latest.is_some();
                reports |= accepted.is_some() && accepted != latest;
            }
            Observation::Vote {
                acceptor, ballot, ..
            } => above |= floor(&h[..i], acceptor) > Some(ballot),
            _ => {}
        }
    }
    check(Invariant::PromiseMonotonic, monotonic);
    check(Invariant::VoteAbovePromise, above);
    check(Invariant::PromiseReportsVote, reports);
    check(Invariant::VoteDurable, durable);
    out
}

/// What the reference says of one prefix of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The invariants the prefix breaks (empty: safe).
    pub broken: Vec<Invariant>,
    /// The lowest chosen `(ballot, value)`.
    pub chosen: Option<(Ballot, Value)>,
}

impl Reference {
    /// Judges `h` from scratch.
    pub fn verdict(&self, h: &[Observation]) -> Verdict {
        Verdict {
            broken: broken(self, h),
            chosen: lowest_chosen(h, self.quorum),
        }
    }

    /// The violation the checker must report for the last observation of `h`, given that
    /// `h` breaks `broken` and `h` without its last observation broke nothing: the first of
    /// `broken` in the checker's order for that kind of observation, described as the
    /// checker describes it. Panics when an invariant is broken that this kind of
    /// observation cannot break: then the reference itself is wrong.
    pub fn describe(&self, h: &[Observation], broken: &[Invariant]) -> Violation {
        let (last, before) = h.split_last().expect("a violation needs an observation");
        let is = |inv: Invariant| broken.contains(&inv);
        let lowest_before = lowest_chosen(before, self.quorum);
        let plain = |invariant, ballot, value, earlier| Violation {
            invariant,
            ballot,
            value,
            earlier,
            acceptor: None,
            reported: None,
        };
        // The value a safe prefix carries at `b`, if any (it carries at most one).
        let carried_at = |b: Ballot| {
            carried(before)
                .into_iter()
                .find(|&(x, _)| x == b)
                .map(|x| x.1)
        };
        let unexpected = || panic!("reference: {last:?} cannot break {broken:?}");
        match *last {
            Observation::Proposal { ballot, value } => {
                if is(Invariant::Validity) {
                    plain(Invariant::Validity, ballot, value, None)
                } else if is(Invariant::BallotUniqueness) {
                    let earlier = carried_at(ballot).map(|v| (ballot, v));
                    plain(Invariant::BallotUniqueness, ballot, value, earlier)
                } else if is(Invariant::Immutability) {
                    plain(Invariant::Immutability, ballot, value, lowest_before)
                } else {
                    unexpected()
                }
            }
            Observation::Vote {
                acceptor,
                ballot,
                value,
            } => {
                // The vote itself lands above a value chosen earlier, with another value...
                let above_chosen = chosen(before, self.quorum)
                    .iter()
                    .any(|c| ballot > c.ballot && value != c.value);
                if is(Invariant::VoteAbovePromise) {
                    Violation {
                        invariant: Invariant::VoteAbovePromise,
                        ballot,
                        value,
                        earlier: floor(before, acceptor).map(|b| (b, value)),
                        acceptor: Some(acceptor),
                        reported: None,
                    }
                } else if is(Invariant::BallotUniqueness) {
                    let earlier = carried_at(ballot).map(|v| (ballot, v));
                    plain(Invariant::BallotUniqueness, ballot, value, earlier)
                } else if is(Invariant::Immutability) && above_chosen {
                    plain(Invariant::Immutability, ballot, value, lowest_before)
                } else if is(Invariant::Validity) {
                    plain(Invariant::Validity, ballot, value, None)
                } else if is(Invariant::Agreement) {
                    plain(Invariant::Agreement, ballot, value, lowest_before)
                } else if is(Invariant::Immutability) {
                    // ...or it completes a quorum below a ballot already carrying another
                    // value: the highest such ballot is named.
                    let (b, v) = carried(h)
                        .into_iter()
                        .filter(|&(b, v)| b > ballot && v != value)
                        .max_by_key(|&(b, _)| b)
                        .expect("a higher ballot with another value");
                    plain(Invariant::Immutability, b, v, Some((ballot, value)))
                } else {
                    unexpected()
                }
            }
            Observation::Promise {
                acceptor,
                ballot,
                accepted,
            } => {
                if is(Invariant::PromiseMonotonic) {
                    Violation {
                        invariant: Invariant::PromiseMonotonic,
                        ballot,
                        value: Value::default(),
                        earlier: floor(before, acceptor).map(|b| (b, Value::default())),
                        acceptor: Some(acceptor),
                        reported: None,
                    }
                } else if is(Invariant::PromiseReportsVote) || is(Invariant::VoteDurable) {
                    let invariant = if is(Invariant::VoteDurable) {
                        Invariant::VoteDurable
                    } else {
                        Invariant::PromiseReportsVote
                    };
                    Violation {
                        invariant,
                        ballot,
                        value: accepted.map_or(Value::default(), |(_, v)| v),
                        earlier: latest_vote(before, acceptor),
                        acceptor: Some(acceptor),
                        reported: accepted,
                    }
                } else {
                    unexpected()
                }
            }
            Observation::Decide { ballot, value, .. } => {
                if is(Invariant::LearnerAgreement) {
                    plain(Invariant::LearnerAgreement, ballot, value, lowest_before)
                } else {
                    unexpected()
                }
            }
        }
    }

    /// The first violation of `h` and the position of the observation that caused it,
    /// judging every prefix from scratch.
    pub fn first_violation(&self, h: &[Observation]) -> Option<(usize, Violation)> {
        (1..=h.len()).find_map(|k| {
            let broken = broken(self, &h[..k]);
            (!broken.is_empty()).then(|| (k - 1, self.describe(&h[..k], &broken)))
        })
    }
}

/// The highest ballot `a` promised or voted for in `h`, for comparing with `floor_of`.
pub fn floor_of(h: &[Observation], a: AcceptorId) -> Option<Ballot> {
    floor(h, a)
}

/// The vote a promise from `a` must report after `h`, for comparing with `vote_of`.
pub fn vote_of(h: &[Observation], a: AcceptorId) -> Option<(Ballot, Value)> {
    latest_vote(h, a)
}
