//! The safety checker: an observer that sees every step of a history and says, at every
//! step, whether single-decree Paxos is still safe.
//!
//! It is fed [`Observation`]s (a proposal sent, a vote cast, a promise made, a value
//! learned) and keeps only what it needs to decide each invariant incrementally, in O(1)
//! amortised work per observation:
//!
//! - per `(ballot, value)`: who voted (to see a quorum form) and whether it was proposed;
//! - per ballot: its first value (ballot uniqueness);
//! - the lowest chosen `(ballot, value)` (agreement);
//! - the highest ballot seen in any proposal or vote, and the highest ballot carrying a
//!   different value (immutability: "is any ballot above the chosen one carrying another
//!   value?" is then one comparison, whatever order the events come in);
//! - per acceptor, the highest ballot it promised or voted for (the acceptor's local rule).
//!
//! The checker records every violation it sees (the first in full, the rest as flags) and
//! keeps going, because the grader node reports several verdicts over one history; the
//! simulator stops at the first.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ballot::{AcceptorId, AcceptorSet, Ballot, Value};

/// One thing that happened, as the checker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observation {
    /// A proposer sent `Accept(ballot, value)`: a proposal.
    Proposal { ballot: Ballot, value: Value },
    /// An acceptor voted for `(ballot, value)`.
    Vote {
        acceptor: AcceptorId,
        ballot: Ballot,
        value: Value,
    },
    /// An acceptor promised `ballot`, reporting `accepted` as its latest vote.
    Promise {
        acceptor: AcceptorId,
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
    },
    /// A learner decided `value`, having seen votes at `ballot`.
    Decide {
        learner: u16,
        ballot: Ballot,
        value: Value,
    },
}

/// The safety properties the checker enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// Never two different values chosen.
    Agreement,
    /// Once `(b, v)` is chosen, every proposal and vote at a ballot above `b` carries `v`.
    Immutability,
    /// The chosen value was proposed (and every proposal is some proposer's input).
    Validity,
    /// A ballot carries one value.
    BallotUniqueness,
    /// Every decided value is the chosen value, and was chosen when it was decided.
    LearnerAgreement,
    /// An acceptor's promise never goes down.
    PromiseMonotonic,
    /// An acceptor never votes below a ballot it promised or voted for.
    VoteAbovePromise,
    /// A promise reports the acceptor's latest vote, not an older one or one it never cast.
    PromiseReportsVote,
    /// A vote once cast is never forgotten: a later promise never reports "no vote".
    VoteDurable,
    /// An acceptor process answered a request with something other than exactly one
    /// well-formed reply consistent with what it said before (garbage, the wrong
    /// `in_reply_to`, silence, an exit, a refusal that contradicts itself). Never
    /// found by [`Checker::observe`]: the harness that drives the process reports it.
    AcceptorProtocol,
    /// After the network heals, a value is chosen and every live proposer learns it within
    /// the liveness bound. Not a safety property and not in [`Invariant::ALL`]: the checker
    /// never sees it; the simulator's liveness mode judges it (`fuzz --liveness`).
    Liveness,
    /// A proposer that received votes for its proposal from a phase-2 quorum decides in that
    /// step. A progress rule, not in [`Invariant::ALL`]: the simulator judges it
    /// ([`crate::progress`]), the grader node never does.
    LearnerProgress,
    /// A proposer refused at its ballot starts its next ballot above the promise it was
    /// refused with. A progress rule, judged like [`Invariant::LearnerProgress`].
    RefusalHeeded,
    /// A proposer starts every ballot above every ballot it used before, its crashes
    /// included, and proposes at no ballot below them. A rule judged like
    /// [`Invariant::LearnerProgress`]: a reused ballot can carry two values.
    BallotFresh,
    /// Your roles handle every event without panicking. Judged by the simulator around
    /// each step of your own roles ([`crate::role_panic`]), not in [`Invariant::ALL`].
    NoPanic,
}

impl Invariant {
    pub const ALL: [Invariant; 10] = [
        Invariant::Agreement,
        Invariant::Immutability,
        Invariant::Validity,
        Invariant::BallotUniqueness,
        Invariant::LearnerAgreement,
        Invariant::PromiseMonotonic,
        Invariant::VoteAbovePromise,
        Invariant::PromiseReportsVote,
        Invariant::VoteDurable,
        Invariant::AcceptorProtocol,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Invariant::Agreement => "agreement",
            Invariant::Immutability => "immutability",
            Invariant::Validity => "validity",
            Invariant::BallotUniqueness => "ballot-uniqueness",
            Invariant::LearnerAgreement => "learner-agreement",
            Invariant::PromiseMonotonic => "promise-monotonic",
            Invariant::VoteAbovePromise => "vote-above-promise",
            Invariant::PromiseReportsVote => "promise-reports-vote",
            Invariant::VoteDurable => "vote-durable",
            Invariant::AcceptorProtocol => "acceptor-protocol",
            Invariant::Liveness => "liveness",
            Invariant::LearnerProgress => "learner-progress",
            Invariant::RefusalHeeded => "refusal-heeded",
            Invariant::BallotFresh => "ballot-fresh",
            Invariant::NoPanic => "no-panic",
        }
    }

    /// The rule in one sentence, for reports.
    pub fn rule(self) -> &'static str {
        match self {
            Invariant::Agreement => "two different values must never both be chosen",
            Invariant::Immutability => {
                "once a value is chosen at ballot b, every proposal and vote above b must carry it"
            }
            Invariant::Validity => "only a value some proposer proposed may be chosen",
            Invariant::BallotUniqueness => "a ballot must carry a single value",
            Invariant::LearnerAgreement => {
                "a learner may only decide the value that is already chosen"
            }
            Invariant::PromiseMonotonic => {
                "an acceptor's promise must never go down, and a vote promises its ballot too"
            }
            Invariant::VoteAbovePromise => {
                "an acceptor must never vote below a ballot it promised or voted for"
            }
            Invariant::PromiseReportsVote => "an acceptor's promise must report its latest vote",
            Invariant::VoteDurable => "an acceptor must never forget a vote it cast",
            Invariant::AcceptorProtocol => {
                "an acceptor must answer every request with exactly one well-formed reply, \
                 consistent with its earlier ones"
            }
            Invariant::Liveness => {
                "after the network heals, a value must be chosen and learned by every live \
                 proposer within the liveness bound"
            }
            Invariant::LearnerProgress => {
                "a proposer that received votes for its proposal from a phase-2 quorum must \
                 decide it"
            }
            Invariant::RefusalHeeded => {
                "a proposer refused at its ballot must start its next ballot above the promise \
                 it was refused with"
            }
            Invariant::BallotFresh => {
                "a proposer must start each ballot above every ballot it used before, crashes \
                 included"
            }
            Invariant::NoPanic => "a role must handle every event without panicking",
        }
    }

    fn bit(self) -> InvariantSet {
        1 << (self as u32)
    }
}

/// One bit per invariant. The assertion below stops the build, rather than a shift
/// overflowing at run time, the day the invariants outgrow it.
type InvariantSet = u32;
const _: () = assert!(Invariant::ALL.len() <= InvariantSet::BITS as usize);
const _: () = {
    // Every invariant's discriminant is its place in `ALL`, so `bit` never collides.
    let mut i = 0;
    while i < Invariant::ALL.len() {
        assert!(Invariant::ALL[i] as usize == i);
        i += 1;
    }
};

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken invariant with the ballots and values that break it. `ballot`/`value` are the
/// offending observation; `earlier` is what it conflicts with, when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Violation {
    pub invariant: Invariant,
    pub ballot: Ballot,
    pub value: Value,
    pub earlier: Option<(Ballot, Value)>,
    pub acceptor: Option<AcceptorId>,
    /// For the acceptor's promise rules: the vote the offending promise reported.
    pub reported: Option<(Ballot, Value)>,
}

impl Violation {
    /// One sentence naming the invariant, the ballots and the values, with ballots and
    /// values rendered by the caller (simulator labels, or the grader's raw numbers and JSON).
    /// Acceptors are shown as the simulator names them, `a1..aA`.
    pub fn explain(
        &self,
        ballot: impl Fn(Ballot) -> String,
        value: impl Fn(Value) -> String,
    ) -> String {
        self.explain_with(ballot, value, |a| format!("a{}", u32::from(a) + 1))
    }

    /// [`Violation::explain`] with the acceptors' names rendered by the caller too.
    pub fn explain_with(
        &self,
        ballot: impl Fn(Ballot) -> String,
        value: impl Fn(Value) -> String,
        acceptor: impl Fn(AcceptorId) -> String,
    ) -> String {
        let (b, v) = (ballot(self.ballot), value(self.value));
        let who = self
            .acceptor
            .map(|a| format!("acceptor {} ", acceptor(a)))
            .unwrap_or_default();
        let what = match (self.invariant, self.earlier) {
            (Invariant::Agreement, Some((eb, ev))) => format!(
                "{} chosen at ballot {} after {} was chosen at ballot {}",
                v,
                b,
                value(ev),
                ballot(eb)
            ),
            (Invariant::Immutability, Some((eb, ev))) => format!(
                "{} at ballot {} after {} was chosen at ballot {}",
                v,
                b,
                value(ev),
                ballot(eb)
            ),
            (Invariant::BallotUniqueness, Some((_, ev))) => {
                format!("ballot {} carries {} and {}", b, value(ev), v)
            }
            (Invariant::LearnerAgreement, Some((eb, ev))) => format!(
                "learner decided {} at ballot {} but the chosen value is {} (ballot {})",
                v,
                b,
                value(ev),
                ballot(eb)
            ),
            (Invariant::LearnerAgreement, None) => {
                format!("learner decided {v} at ballot {b} before any value was chosen")
            }
            (Invariant::Validity, _) => format!("{v} at ballot {b} was never proposed"),
            (Invariant::PromiseMonotonic, Some((eb, _))) => {
                // The floor is the highest ballot promised or voted at: a reader who sees
                // only a vote there must not look for a promise that never was.
                format!(
                    "{who}promised ballot {b} after it had promised or voted at ballot {}",
                    ballot(eb)
                )
            }
            (Invariant::VoteAbovePromise, Some((eb, _))) => {
                format!(
                    "{who}voted for {v} at ballot {b} after ballot {}",
                    ballot(eb)
                )
            }
            (Invariant::PromiseReportsVote | Invariant::VoteDurable, latest) => {
                let vote = |x: Option<(Ballot, Value)>| {
                    x.map_or("no vote".to_string(), |(xb, xv)| {
                        format!("the vote ({}, {})", ballot(xb), value(xv))
                    })
                };
                format!(
                    "{who}promised ballot {b} reporting {}, but its latest vote is {}",
                    vote(self.reported),
                    latest.map_or("none".to_string(), |(lb, lv)| format!(
                        "({}, {})",
                        ballot(lb),
                        value(lv)
                    ))
                )
            }
            // `ballot` is the highest ballot started; `earlier`, the value chosen if any.
            (Invariant::Liveness, Some((cb, cv))) => format!(
                "{} was chosen at ballot {} but not every live proposer learned it in time \
                 (ballots reached {b})",
                value(cv),
                ballot(cb)
            ),
            (Invariant::Liveness, None) => {
                format!("no value was chosen in time (ballots reached {b})")
            }
            (Invariant::LearnerProgress, _) => {
                format!("the proposer of ballot {b} received a phase-2 quorum of votes for {v} at {b} but did not decide")
            }
            // `earlier` carries the promise the proposer was refused with.
            (Invariant::RefusalHeeded, Some((rb, _))) => format!(
                "the proposer started ballot {b} after it was refused with a promise of ballot {}",
                ballot(rb)
            ),
            // The harness knows what went wrong (the offending line); the violation, only
            // where: the ballot of the request that got no proper reply, if it was one.
            (Invariant::AcceptorProtocol, _) if self.ballot == Ballot::default() => {
                format!("{who}broke the wire protocol")
            }
            (Invariant::AcceptorProtocol, _) => {
                format!("{who}gave no single valid reply to its request at ballot {b}")
            }
            // `earlier` carries the highest ballot the proposer had used.
            (Invariant::BallotFresh, Some((ub, _))) => format!(
                "the proposer sent ballot {b} after it had used ballot {}",
                ballot(ub)
            ),
            // Where and why is the simulator's detail (the role, the line, the message).
            (Invariant::NoPanic, _) => match self.acceptor {
                Some(_) => format!("{who}panicked"),
                None => "a proposer panicked".to_string(),
            },
            (_, _) => format!("{who}{v} at ballot {b}"),
        };
        format!(
            "{} violated: {} ({})",
            self.invariant,
            what,
            self.invariant.rule()
        )
    }
}

/// The sentence traces and counterexample files give ([`Violation::explain`] with ballots
/// as `round.proposer`): a violation printed in a test's assertion reads as the trace that
/// shows it, not as raw ballot numbers.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain(Ballot::sim_label, |v| v.to_string()))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Record {
    ballot: Ballot,
    value: Value,
    proposed: bool,
    voters: AcceptorSet,
}

/// Below this many records a linear scan beats hashing; above it, an index is built.
const LINEAR_RECORDS: usize = 16;

/// The incremental safety checker. See the module documentation.
#[derive(Debug, Default)]
pub struct Checker {
    quorum: usize,
    records: Vec<Record>,
    index: FxHashMap<(Ballot, Value), u32>,
    first_value: FxHashMap<Ballot, Value>,
    chosen: Option<(Ballot, Value)>,
    highest: Option<(Ballot, Value)>,
    highest_other: Option<(Ballot, Value)>,
    floors: Vec<Option<Ballot>>,
    /// Per acceptor, the highest-ballot vote it cast: what its next promise must report.
    /// The highest rather than the last, so that the verdict does not depend on the order
    /// a rebuild replays votes in (while no invariant is broken, they are the same).
    votes: Vec<Option<(Ballot, Value)>>,
    /// The proposers' input values, once declared (a handful: a linear scan beats hashing).
    inputs: Option<Vec<Value>>,
    inputs_declared: bool,
    broken: InvariantSet,
    first: Option<Violation>,
}

/// Written out rather than derived for `clone_from`: the derived one allocates a fresh copy of
/// every vector and map, while this one reuses the destination's allocations. The exhaustive
/// explorer copies a checker on every transition that it observes, so that matters there.
impl Clone for Checker {
    fn clone(&self) -> Checker {
        Checker {
            quorum: self.quorum,
            records: self.records.clone(),
            index: self.index.clone(),
            first_value: self.first_value.clone(),
            chosen: self.chosen,
            highest: self.highest,
            highest_other: self.highest_other,
            floors: self.floors.clone(),
            votes: self.votes.clone(),
            inputs: self.inputs.clone(),
            inputs_declared: self.inputs_declared,
            broken: self.broken,
            first: self.first,
        }
    }

    fn clone_from(&mut self, source: &Checker) {
        // Destructured, so that a field added to `Checker` cannot be forgotten here.
        let Checker {
            quorum,
            records,
            index,
            first_value,
            chosen,
            highest,
            highest_other,
            floors,
            votes,
            inputs,
            inputs_declared,
            broken,
            first,
        } = source;
        self.quorum = *quorum;
        self.records.clone_from(records);
        self.index.clone_from(index);
        self.first_value.clone_from(first_value);
        self.chosen = *chosen;
        self.highest = *highest;
        self.highest_other = *highest_other;
        self.floors.clone_from(floors);
        self.votes.clone_from(votes);
        self.inputs.clone_from(inputs);
        self.inputs_declared = *inputs_declared;
        self.broken = *broken;
        self.first = *first;
    }
}

/// Equality of what the checker knows, not of how it is laid out: two checkers are equal
/// when they give the same verdicts on every history that may follow (the exhaustive
/// explorer relies on its codec giving back such a checker).
///
/// The codec rebuilds a checker by replaying its records in ballot order, so internal
/// orderings legitimately differ, and equality compares a canonical form of every field
/// (both checkers are destructured, so a field added to `Checker` breaks the build here):
/// - `quorum`, `first_value`, `chosen`, `highest`, `highest_other`, `broken`, `first`:
///   as they are (maps compare as sets);
/// - `records`: as the set of `(ballot, value, proposed, voters)`, whatever their order;
/// - `index`: each entry resolved to the record it points at, as a set, so that a stale or
///   partial index differs while positions that merely differ with the order do not;
/// - `floors`, `votes`: per acceptor, with a missing entry the same as `None` (what
///   `floor_of` and `vote_of` answer; the vectors only grow to the highest id seen);
/// - `inputs` with `inputs_declared`: the set of declared inputs, or none declared (a reset
///   keeps the emptied vector's allocation).
impl PartialEq for Checker {
    fn eq(&self, other: &Checker) -> bool {
        let Checker {
            quorum,
            records,
            index,
            first_value,
            chosen,
            highest,
            highest_other,
            floors,
            votes,
            inputs,
            inputs_declared,
            broken,
            first,
        } = self;
        let Checker {
            quorum: quorum2,
            records: records2,
            index: index2,
            first_value: first_value2,
            chosen: chosen2,
            highest: highest2,
            highest_other: highest_other2,
            floors: floors2,
            votes: votes2,
            inputs: inputs2,
            inputs_declared: inputs_declared2,
            broken: broken2,
            first: first2,
        } = other;
        /// Per acceptor, up to the longer of the two vectors; a missing entry is `None`.
        fn same_per_acceptor<T: PartialEq>(a: &[Option<T>], b: &[Option<T>]) -> bool {
            (0..a.len().max(b.len()))
                .all(|i| a.get(i).unwrap_or(&None) == b.get(i).unwrap_or(&None))
        }
        quorum == quorum2
            && record_set(records) == record_set(records2)
            && resolved_index(index, records) == resolved_index(index2, records2)
            && first_value == first_value2
            && chosen == chosen2
            && highest == highest2
            && highest_other == highest_other2
            && same_per_acceptor(floors, floors2)
            && same_per_acceptor(votes, votes2)
            && declared_inputs(inputs, *inputs_declared)
                == declared_inputs(inputs2, *inputs_declared2)
            && broken == broken2
            && first == first2
    }
}

impl Eq for Checker {}

/// The records sorted by `(ballot, value)`, which is unique to each: the set of records.
fn record_set(records: &[Record]) -> Vec<&Record> {
    let mut out: Vec<&Record> = records.iter().collect();
    out.sort_unstable_by_key(|r| (r.ballot, r.value));
    out
}

/// Each index entry with the record it points at (`None`: out of range), sorted by key.
fn resolved_index<'a>(
    index: &FxHashMap<(Ballot, Value), u32>,
    records: &'a [Record],
) -> Vec<((Ballot, Value), Option<&'a Record>)> {
    let mut out: Vec<_> = index
        .iter()
        .map(|(&k, &i)| (k, records.get(i as usize)))
        .collect();
    out.sort_unstable_by_key(|&(k, _)| k);
    out
}

fn declared_inputs(inputs: &Option<Vec<Value>>, declared: bool) -> Option<Vec<Value>> {
    declared.then(|| {
        let mut v = inputs.clone().unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    })
}

impl Checker {
    /// A checker for which `quorum` votes at one ballot choose a value.
    pub fn new(quorum: usize) -> Checker {
        Checker {
            quorum: quorum.max(1),
            ..Checker::default()
        }
    }

    /// Forgets the history but keeps the allocations, for the next execution.
    pub fn reset(&mut self, quorum: usize) {
        self.quorum = quorum.max(1);
        self.records.clear();
        self.index.clear();
        self.first_value.clear();
        self.chosen = None;
        self.highest = None;
        self.highest_other = None;
        self.floors.clear();
        self.votes.clear();
        // Keep the allocation: campaigns reset the checker once per execution.
        if let Some(inputs) = &mut self.inputs {
            inputs.clear();
        }
        self.inputs_declared = false;
        self.broken = 0;
        self.first = None;
    }

    /// Declares `value` a proposer's input. Once any input is declared, a proposal of any
    /// other value breaks validity.
    pub fn register_input(&mut self, value: Value) {
        let inputs = self.inputs.get_or_insert_with(Vec::new);
        if !inputs.contains(&value) {
            inputs.push(value);
        }
        self.inputs_declared = true;
    }

    /// The lowest ballot at which a value is chosen so far, with that value.
    pub fn chosen(&self) -> Option<(Ballot, Value)> {
        self.chosen
    }

    /// The first violation seen, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.first.as_ref()
    }

    /// Whether `invariant` has held over the whole history so far.
    pub fn holds(&self, invariant: Invariant) -> bool {
        self.broken & invariant.bit() == 0
    }

    /// Whether every invariant has held so far.
    pub fn is_safe(&self) -> bool {
        self.broken == 0
    }

    /// Every `(ballot, value)` seen in a proposal or a vote, in the order first seen: whether
    /// it was proposed, and who voted for it. With the floors, this is all the history that
    /// decides later verdicts while no invariant is broken (chosen, highest and per-ballot
    /// first values are functions of it), which is what the exhaustive explorer stores.
    pub fn records(&self) -> impl Iterator<Item = (Ballot, Value, bool, &AcceptorSet)> + '_ {
        self.records
            .iter()
            .map(|r| (r.ballot, r.value, r.proposed, &r.voters))
    }

    /// The highest ballot `acceptor` promised or voted for, as far as the checker saw.
    pub fn floor_of(&self, acceptor: AcceptorId) -> Option<Ballot> {
        self.floors.get(acceptor as usize).copied().flatten()
    }

    /// The highest-ballot vote `acceptor` cast, as far as the checker saw: what a promise
    /// from it must report.
    pub fn vote_of(&self, acceptor: AcceptorId) -> Option<(Ballot, Value)> {
        self.votes.get(acceptor as usize).copied().flatten()
    }

    /// Feeds one observation; returns the first violation it causes, if any.
    pub fn observe(&mut self, obs: Observation) -> Option<Violation> {
        let mut found = None;
        match obs {
            Observation::Proposal { ballot, value } => {
                if let (true, Some(inputs)) = (self.inputs_declared, &self.inputs) {
                    if !inputs.contains(&value) {
                        self.flag(&mut found, Invariant::Validity, ballot, value, None, None);
                    }
                }
                let i = self.record(ballot, value, &mut found);
                self.records[i].proposed = true;
                self.see_ballot(ballot, value, &mut found);
            }
            Observation::Vote {
                acceptor,
                ballot,
                value,
            } => {
                let floor = self.floor(acceptor);
                if Some(ballot) < *floor {
                    let earlier = floor.map(|b| (b, value));
                    self.flag(
                        &mut found,
                        Invariant::VoteAbovePromise,
                        ballot,
                        value,
                        earlier,
                        Some(acceptor),
                    );
                } else {
                    *self.floor(acceptor) = Some(ballot);
                }
                let latest = self.vote_slot(acceptor);
                if latest.is_none_or(|(lb, _)| ballot >= lb) {
                    *latest = Some((ballot, value));
                }
                let i = self.record(ballot, value, &mut found);
                self.see_ballot(ballot, value, &mut found);
                let record = &mut self.records[i];
                if record.voters.insert(acceptor) && record.voters.len() == self.quorum {
                    let proposed = record.proposed;
                    self.choose(ballot, value, proposed, &mut found);
                }
            }
            Observation::Promise {
                acceptor,
                ballot,
                accepted,
            } => {
                let floor = self.floor(acceptor);
                if Some(ballot) < *floor {
                    let earlier = floor.map(|b| (b, Value::default()));
                    self.flag(
                        &mut found,
                        Invariant::PromiseMonotonic,
                        ballot,
                        Value::default(),
                        earlier,
                        Some(acceptor),
                    );
                } else {
                    *floor = Some(ballot);
                }
                let latest = *self.vote_slot(acceptor);
                if accepted != latest {
                    // No vote reported after one was cast is forgetting; any other
                    // mismatch (an older vote, one never cast) is misreporting.
                    let invariant = if accepted.is_none() {
                        Invariant::VoteDurable
                    } else {
                        Invariant::PromiseReportsVote
                    };
                    self.flag_with(
                        &mut found,
                        Violation {
                            invariant,
                            ballot,
                            value: accepted.map_or(Value::default(), |(_, v)| v),
                            earlier: latest,
                            acceptor: Some(acceptor),
                            reported: accepted,
                        },
                    );
                }
            }
            Observation::Decide { ballot, value, .. } => match self.chosen {
                Some((_, v)) if v == value => {}
                chosen => self.flag(
                    &mut found,
                    Invariant::LearnerAgreement,
                    ballot,
                    value,
                    chosen,
                    None,
                ),
            },
        }
        found
    }

    fn floor(&mut self, acceptor: AcceptorId) -> &mut Option<Ballot> {
        let i = acceptor as usize;
        if i >= self.floors.len() {
            self.floors.resize(i + 1, None);
        }
        &mut self.floors[i]
    }

    fn vote_slot(&mut self, acceptor: AcceptorId) -> &mut Option<(Ballot, Value)> {
        let i = acceptor as usize;
        if i >= self.votes.len() {
            self.votes.resize(i + 1, None);
        }
        &mut self.votes[i]
    }

    /// The record of `(ballot, value)`, created on first sight; checks ballot uniqueness.
    fn record(&mut self, ballot: Ballot, value: Value, found: &mut Option<Violation>) -> usize {
        let existing = if self.records.len() <= LINEAR_RECORDS {
            self.records
                .iter()
                .position(|r| r.ballot == ballot && r.value == value)
        } else {
            self.index.get(&(ballot, value)).map(|&i| i as usize)
        };
        if let Some(i) = existing {
            return i;
        }
        match self.first_value.get(&ballot) {
            Some(&first) if first != value => self.flag(
                found,
                Invariant::BallotUniqueness,
                ballot,
                value,
                Some((ballot, first)),
                None,
            ),
            Some(_) => {}
            None => {
                self.first_value.insert(ballot, value);
            }
        }
        let i = self.records.len();
        self.records.push(Record {
            ballot,
            value,
            ..Record::default()
        });
        if self.records.len() > LINEAR_RECORDS {
            if self.index.is_empty() {
                for (j, r) in self.records.iter().enumerate() {
                    self.index.insert((r.ballot, r.value), j as u32);
                }
            } else {
                self.index.insert((ballot, value), i as u32);
            }
        }
        i
    }

    /// Tracks the highest ballot overall and the highest carrying another value, then
    /// checks immutability of this ballot against the chosen one.
    fn see_ballot(&mut self, ballot: Ballot, value: Value, found: &mut Option<Violation>) {
        match self.highest {
            None => self.highest = Some((ballot, value)),
            Some((hb, hv)) if hv == value => {
                if ballot > hb {
                    self.highest = Some((ballot, value));
                }
            }
            Some((hb, hv)) => {
                if ballot > hb {
                    self.highest_other = Some((hb, hv));
                    self.highest = Some((ballot, value));
                } else if self.highest_other.is_none_or(|(ob, _)| ballot > ob) {
                    self.highest_other = Some((ballot, value));
                }
            }
        }
        if let Some((cb, cv)) = self.chosen {
            if ballot > cb && value != cv {
                self.flag(
                    found,
                    Invariant::Immutability,
                    ballot,
                    value,
                    Some((cb, cv)),
                    None,
                );
            }
        }
    }

    /// The highest ballot seen with a value other than `value`.
    fn highest_not(&self, value: Value) -> Option<(Ballot, Value)> {
        match self.highest {
            Some((_, hv)) if hv == value => self.highest_other,
            other => other,
        }
    }

    fn choose(
        &mut self,
        ballot: Ballot,
        value: Value,
        proposed: bool,
        found: &mut Option<Violation>,
    ) {
        if !proposed {
            self.flag(found, Invariant::Validity, ballot, value, None, None);
        }
        match self.chosen {
            Some((cb, cv)) if cv != value => {
                // The first chosen value stays the one later proposals are held to. The
                // check below still runs: a choice below an already chosen ballot with
                // another value breaks immutability too, not only agreement.
                self.flag(
                    found,
                    Invariant::Agreement,
                    ballot,
                    value,
                    Some((cb, cv)),
                    None,
                );
            }
            Some((cb, _)) if cb <= ballot => return,
            _ => self.chosen = Some((ballot, value)),
        }
        // A newly chosen (or lower chosen) ballot: anything already seen above it with
        // another value breaks immutability, even if it came before the choice.
        if let Some((ob, ov)) = self.highest_not(value) {
            if ob > ballot {
                self.flag(
                    found,
                    Invariant::Immutability,
                    ob,
                    ov,
                    Some((ballot, value)),
                    None,
                );
            }
        }
    }

    fn flag(
        &mut self,
        found: &mut Option<Violation>,
        invariant: Invariant,
        ballot: Ballot,
        value: Value,
        earlier: Option<(Ballot, Value)>,
        acceptor: Option<AcceptorId>,
    ) {
        let v = Violation {
            invariant,
            ballot,
            value,
            earlier,
            acceptor,
            reported: None,
        };
        self.flag_with(found, v);
    }

    fn flag_with(&mut self, found: &mut Option<Violation>, v: Violation) {
        self.broken |= v.invariant.bit();
        if self.first.is_none() {
            self.first = Some(v);
        }
        if found.is_none() {
            *found = Some(v);
        }
    }
}
