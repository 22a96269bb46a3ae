//! The explorer's compact form of a search state (the frontier stores states this way) and
//! the way back to a [`World`] and a [`Checker`].
//!
//! A state is packed into 64-bit words:
//!
//! ```text
//! header     crashes 8 | drops 8 | duplicates 8 | proposers_down 8 | records 16 | messages 16
//! floors     the checker's floor of each acceptor, 14 bits each, four to a word
//! record     ballot 14 | value 4 | proposed 1 | voters 15       (the checker's, by ballot)
//! acceptor   promised 14 | voted ballot 14 | voted value 4 | down 1                   (x A)
//! proposer   round 12 | round_seen 12 | ballot 14 | ballots_started 8 | phase 2 | promise_count 16
//!            highest ballot 14 | its value 4 | proposal 4 | promises 15 | votes 15 | reporter 4
//! message    acceptor 4 (bits 60..64) | direction 1 | kind 3 | proposer 3 | ballot 14 | ballot 14 | value 4
//! ```
//!
//! Ballots and values are stored plus one so that zero means "none". The widths hold every
//! state the explorer can reach because [`crate::explore::Options::validate`] caps the
//! bounds: at most 64 ballots per proposer and 8 proposers keep every round at or below 512
//! (a new round is one above the highest in existence, and each timeout makes at most one),
//! so a ballot `round << 4 | proposer` stays below 2^14 - 1; values are `1..=8`; at most 15
//! acceptors fit 4-bit names and 15-bit sets.
//!
//! The checker's part comes right after the header, so that a thread expanding a run of
//! states with the same checker history (siblings usually share it) rebuilds the checker
//! only when that part changes ([`Codec::checker_part`]).
//!
//! The encoding is exact, not canonical: a stored state decodes to the very world that was
//! reached, message order included. Deciding which states are the same is the
//! fingerprint's job (see `fingerprint`).

use crate::ballot::{AcceptorId, AcceptorSet, Ballot, Value};
use crate::checker::{Checker, Observation};
use crate::event::{Envelope, NodeId};
use crate::protocol::{Acceptor, Msg, Phase, Proposer, ProposerState, Protocol};
use crate::roles::AcceptorView;
use crate::world::{input_value, World};

use super::fingerprint::Change;

const MAX_ACCEPTORS: usize = crate::config::MAX_ACCEPTORS as usize;

/// Where a message word keeps its acceptor endpoint; the content sits below.
pub(super) const ACCEPTOR_SHIFT: u32 = 60;

fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

pub(super) fn opt_ballot(b: Option<Ballot>) -> u64 {
    b.map_or(0, ballot)
}

pub(super) fn ballot(b: Ballot) -> u64 {
    debug_assert!(
        b.0 < (1 << 14) - 1,
        "ballot {b:?} outside the explorer's encoding"
    );
    b.0 + 1
}

/// The largest ballot the encoding holds: 14 bits, plus one so that zero means none.
pub const MAX_BALLOT: u64 = (1 << 14) - 2;
/// The largest value the encoding holds: 4 bits, plus one.
pub const MAX_VALUE: u32 = 14;
/// The largest round (and round seen) of a proposer the encoding holds: 12 bits.
pub const MAX_ROUND: u64 = (1 << 12) - 1;
/// The most ballots a proposer may have started for the encoding: 8 bits.
pub const MAX_STARTED: u16 = 255;

/// Checks that every ballot, value, round and counter of `world` fits the encoding, so
/// that a state is never stored as another one (the fields would spill into their
/// neighbours' bits). The bounds `Options::validate` accepts keep the built-in protocol
/// inside (see the module's header); this catches what no bound can promise, such as a
/// mutated proposer whose round counter wraps. The error names the limit.
pub(super) fn representable(world: &World) -> Result<(), String> {
    let mut tops = Tops::default();
    for a in &world.acceptors {
        tops.acceptor(a);
    }
    for p in &world.proposers {
        tops.proposer(p)?;
    }
    for env in &world.network {
        tops.message(env);
    }
    tops.check()
}

/// [`representable`] for a successor of a world that is (every decoded world is: its
/// fields come out of the encoding's bits), where `change` says the successor may differ
/// from it: only those parts are looked at. Checking every part of every successor was a
/// tenth of the search's instructions, and a step changes one node and a message or two.
pub(super) fn representable_after(world: &World, change: &Change) -> Result<(), String> {
    let mut tops = Tops::default();
    if change.every_acceptor {
        for a in &world.acceptors {
            tops.acceptor(a);
        }
    } else if let Some(a) = change.acceptor {
        tops.acceptor(&world.acceptors[a]);
    }
    if change.every_proposer {
        for p in &world.proposers {
            tops.proposer(p)?;
        }
    } else if let Some(p) = change.proposer {
        tops.proposer(&world.proposers[p])?;
    }
    if let Some(env) = change.message.and_then(|i| world.network.get(i)) {
        tops.message(env);
    }
    for env in world.network.get(change.tail..).unwrap_or_default() {
        tops.message(env);
    }
    let verdict = tops.check();
    debug_assert_eq!(verdict, representable(world), "{change:?}");
    verdict
}

/// The highest ballot and value met in the parts of a world looked at so far.
#[derive(Default)]
struct Tops {
    ballot: u64,
    value: u32,
}

impl Tops {
    fn ballot(&mut self, b: Option<Ballot>) {
        self.ballot = self.ballot.max(b.map_or(0, |b| b.0));
    }

    fn value(&mut self, v: Option<Value>) {
        self.value = self.value.max(v.map_or(0, |v| v.0));
    }

    fn acceptor(&mut self, a: &Acceptor) {
        let v = a.view();
        self.ballot(v.promised);
        self.ballot(v.accepted.map(|x| x.0));
        self.value(v.accepted.map(|x| x.1));
    }

    /// Rounds and counters are refused at once: they do not depend on the other parts.
    fn proposer(&mut self, p: &Proposer) -> Result<(), String> {
        let s = p.state();
        self.ballot(s.ballot);
        self.ballot(s.highest.map(|h| h.0));
        self.value(Some(s.value));
        self.value(s.proposal);
        self.value(s.highest.map(|h| h.1));
        let round = s.round.max(s.round_seen);
        if round > MAX_ROUND {
            return Err(format!(
                "proposer p{} reached round {round}, above the explorer's limit of {MAX_ROUND} \
                 (12 bits): a round counter that runs away (or wraps) cannot be explored",
                s.id + 1
            ));
        }
        if s.ballots_started > MAX_STARTED {
            return Err(format!(
                "proposer p{} started {} ballots, above the explorer's limit of {MAX_STARTED}",
                s.id + 1,
                s.ballots_started
            ));
        }
        Ok(())
    }

    fn message(&mut self, env: &Envelope) {
        let (b, v) = match env.msg {
            Msg::Prepare { ballot } => (ballot, None),
            Msg::Promise { ballot, accepted } => {
                self.ballot(accepted.map(|x| x.0));
                (ballot, accepted.map(|x| x.1))
            }
            Msg::Accept { ballot, value } | Msg::Accepted { ballot, value } => {
                (ballot, Some(value))
            }
            Msg::Nack { ballot, promised } => {
                self.ballot(Some(promised));
                (ballot, None)
            }
        };
        self.ballot(Some(b));
        self.value(v);
    }

    fn check(&self) -> Result<(), String> {
        let top = self.ballot;
        if top > MAX_BALLOT {
            return Err(format!(
                "ballot {} (round {}, slot {}) is above the explorer's limit of {MAX_BALLOT} \
                 (14 bits): this state cannot be encoded, so the search stops rather than \
                 confuse it with another",
                top,
                Ballot(top).round(),
                Ballot(top).proposer()
            ));
        }
        if self.value > MAX_VALUE {
            return Err(format!(
                "value v{} is above the explorer's limit of v{MAX_VALUE} (4 bits)",
                self.value
            ));
        }
        Ok(())
    }
}

fn opt_value(v: Option<Value>) -> u64 {
    v.map_or(0, value)
}

fn value(v: Value) -> u64 {
    debug_assert!(v.0 < 15, "value {v:?} outside the explorer's encoding");
    u64::from(v.0) + 1
}

fn un_ballot(bits: u64) -> Option<Ballot> {
    (bits != 0).then(|| Ballot(bits - 1))
}

fn un_value(bits: u64) -> Option<Value> {
    (bits != 0).then(|| Value(bits as u32 - 1))
}

/// Calls `f` with each member of a set given as bits.
pub(super) fn for_each_bit(bits: u64, mut f: impl FnMut(usize)) {
    let mut rest = bits;
    while rest != 0 {
        f(rest.trailing_zeros() as usize);
        rest &= rest - 1;
    }
}

fn set_from_bits(bits: u64) -> AcceptorSet {
    let mut set = AcceptorSet::default();
    for_each_bit(bits, |a| {
        set.insert(a as AcceptorId);
    });
    set
}

fn phase_bits(phase: Phase) -> u64 {
    match phase {
        Phase::Idle => 0,
        Phase::Preparing => 1,
        Phase::Accepting => 2,
        Phase::Decided => 3,
    }
}

fn un_phase(bits: u64) -> Phase {
    match bits {
        0 => Phase::Idle,
        1 => Phase::Preparing,
        2 => Phase::Accepting,
        _ => Phase::Decided,
    }
}

/// A message without its acceptor endpoint, and that acceptor. Every message goes between
/// a proposer and an acceptor, so each has exactly one acceptor endpoint.
pub(super) fn message_content(env: &Envelope) -> (u64, usize) {
    let (dir, p, a) = match (env.src, env.dst) {
        (NodeId::Proposer(p), NodeId::Acceptor(a)) => (0, p, a),
        (NodeId::Acceptor(a), NodeId::Proposer(p)) => (1, p, a),
        // World::deliver ignores anything else, and nothing else is ever sent.
        _ => unreachable!("messages only go between proposers and acceptors"),
    };
    let (kind, second, val) = match env.msg {
        Msg::Prepare { .. } => (0, 0, 0),
        Msg::Promise { accepted, .. } => (
            1,
            opt_ballot(accepted.map(|x| x.0)),
            opt_value(accepted.map(|x| x.1)),
        ),
        Msg::Accept { value: v, .. } => (2, 0, value(v)),
        Msg::Accepted { value: v, .. } => (3, 0, value(v)),
        Msg::Nack { promised, .. } => (4, ballot(promised), 0),
    };
    let content = val
        | second << 4
        | ballot(env.msg.ballot()) << 18
        | u64::from(p) << 32
        | kind << 35
        | dir << 38;
    (content, a as usize)
}

fn un_message(word: u64) -> Envelope {
    let a = NodeId::Acceptor((word >> ACCEPTOR_SHIFT) as u16);
    let p = NodeId::Proposer(((word >> 32) & 7) as u8);
    let b = un_ballot((word >> 18) & mask(14)).unwrap_or_default();
    let second = un_ballot((word >> 4) & mask(14));
    let val = un_value(word & mask(4));
    let msg = match (word >> 35) & 7 {
        0 => Msg::Prepare { ballot: b },
        1 => Msg::Promise {
            ballot: b,
            accepted: second.zip(val),
        },
        2 => Msg::Accept {
            ballot: b,
            value: val.unwrap_or_default(),
        },
        3 => Msg::Accepted {
            ballot: b,
            value: val.unwrap_or_default(),
        },
        _ => Msg::Nack {
            ballot: b,
            promised: second.unwrap_or_default(),
        },
    };
    if (word >> 38) & 1 == 0 {
        Envelope {
            src: p,
            dst: a,
            msg,
        }
    } else {
        Envelope {
            src: a,
            dst: p,
            msg,
        }
    }
}

/// The counters and down proposers: the world's scalar fields.
pub(super) fn header_word(world: &World) -> u64 {
    u64::from(world.crashes.min(255))
        | u64::from(world.drops.min(255)) << 8
        | u64::from(world.duplicates.min(255)) << 16
        | u64::from(world.proposers_down) << 24
}

/// A checker record without its voters.
pub(super) fn record_word(b: Ballot, v: Value, proposed: bool) -> u64 {
    u64::from(proposed) << 15 | value(v) << 16 | ballot(b) << 20
}

/// Acceptor `a`'s own state and down bit.
pub(super) fn acceptor_word(world: &World, a: usize) -> u64 {
    let acc = world.acceptors[a].view();
    opt_ballot(acc.promised)
        | opt_ballot(acc.accepted.map(|x| x.0)) << 14
        | opt_value(acc.accepted.map(|x| x.1)) << 28
        | u64::from((world.acceptors_down >> a) & 1) << 32
}

/// A proposer's fields that name no acceptor, in two words; the acceptor sets and the
/// reporter of the highest vote go above bit 22 of the second word.
pub(super) fn proposer_words(pr: &Proposer) -> (u64, u64) {
    let pr = pr.state();
    let w0 = pr.round.min(mask(12))
        | pr.round_seen.min(mask(12)) << 12
        | opt_ballot(pr.ballot) << 24
        | u64::from(pr.ballots_started.min(255)) << 38
        | phase_bits(pr.phase) << 46
        | u64::from(pr.promise_count.min(0xffff)) << 48;
    let (hb, hv) = pr.highest.map_or((0, 0), |(b, v, _)| (ballot(b), value(v)));
    (w0, hb | hv << 14 | opt_value(pr.proposal) << 18)
}

/// Floors are 14 bits; four fit a word.
const FLOORS_PER_WORD: usize = 4;

fn floor_words(acceptors: usize) -> usize {
    acceptors.div_ceil(FLOORS_PER_WORD)
}

/// Encodes and decodes the states of one configuration.
#[derive(Clone, Debug)]
pub struct Codec {
    proto: Protocol,
    proposers: u8,
    records: Vec<u64>,
}

impl Codec {
    pub fn new(proto: Protocol, proposers: u8) -> Codec {
        Codec {
            proto,
            proposers,
            records: Vec::new(),
        }
    }

    /// Appends the encoding of `(world, checker)` to `out`.
    ///
    /// The checker's records are written sorted by ballot, not in the order it first saw
    /// them: [`Codec::decode_checker`] must replay each acceptor's votes in ballot order (it
    /// would otherwise see a vote below an earlier one), which leaves them in that order,
    /// and writing them so makes decoding and encoding again give the same words.
    pub fn encode(&mut self, world: &World, checker: &Checker, out: &mut Vec<u64>) {
        let n_acc = world.acceptors.len();
        self.records.clear();
        for (b, v, proposed, voters) in checker.records() {
            self.records
                .push(record_word(b, v, proposed) | voters.low_bits());
        }
        // The ballot and value sit above the voters, so voters never decide the order.
        self.records.sort_unstable();
        // One capacity check for the whole state instead of one per word.
        out.reserve(
            1 + floor_words(n_acc)
                + self.records.len()
                + n_acc
                + 2 * world.proposers.len()
                + world.network.len(),
        );
        out.push(
            header_word(world)
                | (self.records.len() as u64) << 32
                | (world.network.len().min(0xffff) as u64) << 48,
        );
        let mut floors = [0u64; MAX_ACCEPTORS.div_ceil(FLOORS_PER_WORD)];
        for a in 0..n_acc {
            let floor = opt_ballot(checker.floor_of(a as AcceptorId));
            floors[a / FLOORS_PER_WORD] |= floor << (14 * (a % FLOORS_PER_WORD));
        }
        out.extend_from_slice(&floors[..floor_words(n_acc)]);
        out.extend_from_slice(&self.records);
        for a in 0..n_acc {
            out.push(acceptor_word(world, a));
        }
        for pr in &world.proposers {
            let (w0, w1) = proposer_words(pr);
            let pr = pr.state();
            let reporter = pr.highest.map_or(0, |h| u64::from(h.2));
            out.push(w0);
            out.push(
                w1 | pr.promises.low_bits() << 22 | pr.votes.low_bits() << 37 | reporter << 52,
            );
        }
        for env in &world.network {
            let (content, a) = message_content(env);
            out.push(content | (a as u64) << ACCEPTOR_SHIFT);
        }
    }

    /// How many words the state whose first word is `header` takes.
    pub fn len(&self, header: u64) -> usize {
        let n_acc = self.proto.acceptors as usize;
        let records = ((header >> 32) & 0xffff) as usize;
        let messages = (header >> 48) as usize;
        1 + floor_words(n_acc) + records + n_acc + 2 * self.proposers as usize + messages
    }

    /// The words of an encoded state that the checker is rebuilt from: equal parts give
    /// equal checkers.
    pub fn checker_part<'a>(&self, words: &'a [u64]) -> &'a [u64] {
        let records = ((words[0] >> 32) & 0xffff) as usize;
        &words[1..1 + floor_words(self.proto.acceptors as usize) + records]
    }

    /// The words of an encoded state that hold its messages, in network order: each is a
    /// message's content with its acceptor at [`ACCEPTOR_SHIFT`], as `message_content`
    /// gives them.
    pub fn message_words<'a>(&self, words: &'a [u64]) -> &'a [u64] {
        let n_acc = self.proto.acceptors as usize;
        let records = ((words[0] >> 32) & 0xffff) as usize;
        let messages = (words[0] >> 48) as usize;
        let at = 1 + floor_words(n_acc) + records + n_acc + 2 * self.proposers as usize;
        &words[at..at + messages]
    }

    /// Rebuilds the world and the checker from `words` (an [`Codec::encode`] output),
    /// reusing their allocations.
    pub fn decode(&self, words: &[u64], world: &mut World, checker: &mut Checker) {
        self.decode_world(words, world);
        self.decode_checker(words, checker);
    }

    /// Rebuilds the world alone.
    pub fn decode_world(&self, words: &[u64], world: &mut World) {
        let n_acc = self.proto.acceptors as usize;
        let header = words[0];
        world.crashes = (header & 0xff) as u16;
        world.drops = ((header >> 8) & 0xff) as u16;
        world.duplicates = ((header >> 16) & 0xff) as u16;
        world.proposers_down = ((header >> 24) & 0xff) as u8;
        let n_records = ((header >> 32) & 0xffff) as usize;
        let n_messages = (header >> 48) as usize;
        let mut at = 1 + floor_words(n_acc) + n_records;

        world.acceptors.clear();
        world.acceptors_down = 0;
        for (a, &w) in words[at..at + n_acc].iter().enumerate() {
            world.acceptors.push(Acceptor::from_view(AcceptorView {
                promised: un_ballot(w & mask(14)),
                accepted: un_ballot((w >> 14) & mask(14)).zip(un_value((w >> 28) & mask(4))),
            }));
            world.acceptors_down |= (((w >> 32) & 1) as u16) << a;
        }
        at += n_acc;

        world.proposers.clear();
        for (p, w) in words[at..at + 2 * self.proposers as usize]
            .chunks_exact(2)
            .enumerate()
        {
            let (w0, w1) = (w[0], w[1]);
            // A struct literal, so that a field added to `ProposerState` cannot be forgotten.
            let state = ProposerState {
                id: p as u8,
                value: input_value(p as u8),
                round: w0 & mask(12),
                round_seen: (w0 >> 12) & mask(12),
                ballot: un_ballot((w0 >> 24) & mask(14)),
                ballots_started: ((w0 >> 38) & 0xff) as u16,
                phase: un_phase((w0 >> 46) & 3),
                promise_count: (w0 >> 48) as u32,
                highest: un_ballot(w1 & mask(14)).map(|b| {
                    let v = un_value((w1 >> 14) & mask(4)).unwrap_or_default();
                    (b, v, ((w1 >> 52) & mask(4)) as AcceptorId)
                }),
                proposal: un_value((w1 >> 18) & mask(4)),
                promises: set_from_bits((w1 >> 22) & mask(15)),
                votes: set_from_bits((w1 >> 37) & mask(15)),
            };
            // The world's own counts are the built-in proposer's, which the codec stores.
            world.ballots_started[p] = state.ballots_started;
            world.decided =
                (world.decided & !(1 << p)) | (u8::from(state.phase == Phase::Decided) << p);
            world.proposers.push(Proposer::from_state(state));
        }
        at += 2 * self.proposers as usize;

        world.network.clear();
        world
            .network
            .extend(words[at..at + n_messages].iter().map(|&w| un_message(w)));
    }

    /// Rebuilds the checker alone, by feeding it a history that leaves the same records and
    /// the same floors: each record's proposal and votes in ballot order, then each
    /// acceptor's floor as a promise. Every invariant held in the encoded state; the
    /// checker's verdicts do not depend on the order of proposals and votes once each
    /// acceptor's votes go up, so this history breaks none either.
    pub fn decode_checker(&self, words: &[u64], checker: &mut Checker) {
        let n_acc = self.proto.acceptors as usize;
        let n_records = ((words[0] >> 32) & 0xffff) as usize;
        checker.reset(self.proto.q2 as usize);
        for p in 0..self.proposers {
            checker.register_input(input_value(p));
        }
        let mut replay = |obs| {
            let broke = checker.observe(obs);
            debug_assert!(broke.is_none(), "rebuilding a safe checker broke {broke:?}");
        };
        let fw = floor_words(n_acc);
        for &w in &words[1 + fw..1 + fw + n_records] {
            let b = un_ballot(w >> 20).unwrap_or_default();
            let v = un_value((w >> 16) & mask(4)).unwrap_or_default();
            if (w >> 15) & 1 == 1 {
                replay(Observation::Proposal {
                    ballot: b,
                    value: v,
                });
            }
            for_each_bit(w & mask(15), |a| {
                replay(Observation::Vote {
                    acceptor: a as AcceptorId,
                    ballot: b,
                    value: v,
                })
            });
        }
        for a in 0..n_acc {
            let w = words[1 + a / FLOORS_PER_WORD];
            if let Some(b) = un_ballot((w >> (14 * (a % FLOORS_PER_WORD))) & mask(14)) {
                // The promise reports the acceptor's latest vote, as a correct one does.
                let acceptor = a as AcceptorId;
                let broke = checker.observe(Observation::Promise {
                    acceptor,
                    ballot: b,
                    accepted: checker.vote_of(acceptor),
                });
                debug_assert!(broke.is_none(), "rebuilding a safe checker broke {broke:?}");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_macros)] // tests print their figures to the harness
mod tests {
    use super::*;
    use crate::bug::Bug;
    use crate::rng::Prng;
    use crate::world::Limits;

    /// Random walks under every bug: each state met decodes to exactly the world that was
    /// reached (message order included), and to a checker that encodes the same and gives
    /// the same verdict on every possible next observation.
    #[test]
    fn decoding_gives_back_the_state_that_was_encoded() {
        let limits = Limits {
            max_crashes: 2,
            max_drops: 1,
            max_duplicates: 2,
            max_ballots: 3,
            ..Limits::default()
        };
        let bugs = std::iter::once(None).chain(Bug::ALL.iter().copied().map(Some));
        for (seed, bug) in bugs.enumerate() {
            let proto = Protocol::majority(3, bug);
            let mut codec = Codec::new(proto, 2);
            let mut rng = Prng::new(seed as u64);
            let mut enabled = Vec::new();
            for _walk in 0..60 {
                let mut world = World::new(&proto, 2);
                let mut checker = Checker::new(proto.q2 as usize);
                for p in 0..2 {
                    checker.register_input(input_value(p));
                }
                for _step in 0..40 {
                    world.enabled(&limits, &mut enabled);
                    if enabled.is_empty() {
                        break;
                    }
                    let e = enabled[rng.below(enabled.len() as u32) as usize];
                    let mut broke = false;
                    let applied = world.apply(&proto, &limits, &e, &mut |o| {
                        broke |= checker.observe(o).is_some();
                    });
                    if broke || applied.is_err() {
                        break;
                    }
                    let mut words = Vec::new();
                    codec.encode(&world, &checker, &mut words);
                    let (mut w2, mut c2) = (World::new(&proto, 2), Checker::new(1));
                    codec.decode(&words, &mut w2, &mut c2);
                    assert_eq!(w2, world, "{bug:?} after {e}");
                    let mut again = Vec::new();
                    codec.encode(&w2, &c2, &mut again);
                    assert_eq!(again, words, "{bug:?} after {e}");
                    assert_eq!(c2.chosen(), checker.chosen());
                    // Same verdicts on what could come next: a vote by each acceptor for
                    // each value at the ballots around the ones in play.
                    for a in 0..3 {
                        for round in 0..4 {
                            for v in 1..=2 {
                                let obs = Observation::Vote {
                                    acceptor: a,
                                    ballot: Ballot::new(round, (v - 1) as u8),
                                    value: Value(v),
                                };
                                let (mut x, mut y) = (checker.clone(), c2.clone());
                                assert_eq!(x.observe(obs), y.observe(obs), "{bug:?} {obs:?}");
                            }
                        }
                    }
                }
            }
        }
    }
    /// Random walks under every bug and several cluster shapes: each safe state met decodes
    /// to a checker equal to the original in everything that decides later verdicts
    /// (`Checker`'s `PartialEq` compares every field, up to internal order), also when
    /// decoded into a checker that held another state. And the equality sees what a codec
    /// could forget: rebuilding without the floors, or without the last record's votes,
    /// gives a different checker in many of the same states.
    #[test]
    fn decoding_gives_back_an_equal_checker() {
        let limits = Limits {
            max_crashes: 2,
            max_drops: 1,
            max_duplicates: 2,
            max_ballots: 3,
            ..Limits::default()
        };
        let shapes: [(u16, u8); 6] = [(1, 1), (2, 2), (3, 2), (3, 3), (4, 2), (5, 3)];
        let bugs = std::iter::once(None).chain(Bug::ALL.iter().copied().map(Some));
        let (mut states, mut floors_matter, mut votes_matter) = (0u32, 0u32, 0u32);
        // Decoded into over and over: it always holds the previous state first.
        let mut reused = Checker::new(1);
        let mut enabled = Vec::new();
        for (b, bug) in bugs.enumerate() {
            for (s, &(acceptors, proposers)) in shapes.iter().enumerate() {
                let proto = Protocol::majority(acceptors, bug);
                let mut codec = Codec::new(proto, proposers);
                let mut rng = Prng::new((b * shapes.len() + s) as u64);
                let mut w2 = World::new(&proto, proposers);
                for _walk in 0..25 {
                    let mut world = World::new(&proto, proposers);
                    let mut checker = Checker::default();
                    crate::world::reset_checker(&mut checker, &proto, proposers);
                    for _step in 0..60 {
                        world.enabled(&limits, &mut enabled);
                        if enabled.is_empty() {
                            break;
                        }
                        let e = enabled[rng.below(enabled.len() as u32) as usize];
                        let mut broke = false;
                        let applied = world.apply(&proto, &limits, &e, &mut |o| {
                            broke |= checker.observe(o).is_some();
                        });
                        // The explorer never stores a state that broke an invariant.
                        if broke || applied.is_err() {
                            break;
                        }
                        let mut words = Vec::new();
                        codec.encode(&world, &checker, &mut words);
                        codec.decode(&words, &mut w2, &mut reused);
                        assert!(
                            reused == checker,
                            "{bug:?} {acceptors}/{proposers} after {e}:\n{checker:?}\n{reused:?}"
                        );
                        let mut fresh = Checker::new(1);
                        codec.decode_checker(&words, &mut fresh);
                        assert!(
                            fresh == checker,
                            "{bug:?} {acceptors}/{proposers} after {e}"
                        );
                        states += 1;

                        // The same words with the floors zeroed, or the proposed bits cleared.
                        let fw = floor_words(acceptors as usize);
                        let records = ((words[0] >> 32) & 0xffff) as usize;
                        let mut no_floors = words.clone();
                        no_floors[1..1 + fw].fill(0);
                        let mut forgot = Checker::new(1);
                        codec.decode_checker(&no_floors, &mut forgot);
                        floors_matter += u32::from(forgot != checker);
                        let mut fewer_votes = words.clone();
                        if records > 0 {
                            fewer_votes[fw + records] &= !mask(15);
                        }
                        let mut forgot = Checker::new(1);
                        codec.decode_checker(&fewer_votes, &mut forgot);
                        votes_matter += u32::from(forgot != checker);
                    }
                }
            }
        }
        assert!(states > 10_000, "only {states} states");
        assert!(floors_matter > states / 10, "{floors_matter} of {states}");
        assert!(votes_matter > states / 10, "{votes_matter} of {states}");
        eprintln!("{states} states; floors matter in {floors_matter}, votes in {votes_matter}");
    }

    #[test]
    fn states_outside_the_encoding_are_refused_with_the_limit_named() {
        let proto = Protocol::majority(3, None);
        let world = World::new(&proto, 2);
        assert_eq!(representable(&world), Ok(()));
        let with = |f: &dyn Fn(&mut ProposerState)| {
            let mut w = world.clone();
            let mut s = w.proposers[0].state().clone();
            f(&mut s);
            w.proposers[0] = Proposer::from_state(s);
            representable(&w)
        };
        let wrapped = with(&|s| {
            s.round = u64::MAX;
        });
        assert!(wrapped.unwrap_err().contains("limit of 4095"));
        let high = with(&|s| {
            s.ballot = Some(Ballot(MAX_BALLOT + 1));
        });
        assert!(high.unwrap_err().contains("limit of 16382 (14 bits)"));
        assert_eq!(
            with(&|s| {
                s.ballot = Some(Ballot(MAX_BALLOT));
                s.round = MAX_ROUND;
                s.proposal = Some(Value(MAX_VALUE));
                s.ballots_started = MAX_STARTED;
            }),
            Ok(()),
            "the largest encodable ballot, round, value and count are accepted"
        );
        let value = with(&|s| {
            s.proposal = Some(Value(15));
        });
        assert!(value.unwrap_err().contains("limit of v14"));
        let started = with(&|s| {
            s.ballots_started = 256;
        });
        assert!(started.unwrap_err().contains("limit of 255"));
        let mut w = world.clone();
        w.network.push(Envelope {
            src: NodeId::Acceptor(0),
            dst: NodeId::Proposer(0),
            msg: Msg::Nack {
                ballot: Ballot(1),
                promised: Ballot(1 << 20),
            },
        });
        assert!(representable(&w).unwrap_err().contains("ballot 1048576"));
    }

    #[test]
    fn a_successor_is_refused_for_what_its_step_changed() {
        let proto = Protocol::majority(3, None);
        let base = World::new(&proto, 2);
        let nack = |promised| Envelope {
            src: NodeId::Acceptor(0),
            dst: NodeId::Proposer(1),
            msg: Msg::Nack {
                ballot: Ballot(1),
                promised: Ballot(promised),
            },
        };
        let mut next = base.clone();
        next.network.push(nack(1));
        next.network.push(nack(MAX_BALLOT + 1));
        // The step appended both messages; the second is out of range.
        let appended = Change {
            message: None,
            tail: 0,
            proposer: None,
            every_proposer: false,
            acceptor: None,
            every_acceptor: false,
        };
        assert!(representable_after(&next, &appended)
            .unwrap_err()
            .contains("limit of 16382"));
        // A message moved into a lower slot is looked at too.
        next.network.swap(0, 1);
        let moved = Change {
            message: Some(0),
            tail: 1,
            ..appended
        };
        assert!(representable_after(&next, &moved).is_err());
        // The changed proposer, and every proposer.
        for (p, every) in [(Some(1), false), (None, true)] {
            let mut next = base.clone();
            let mut s = next.proposers[1].state().clone();
            s.round = MAX_ROUND + 1;
            next.proposers[1] = Proposer::from_state(s);
            let change = Change {
                message: None,
                tail: next.network.len(),
                proposer: p,
                every_proposer: every,
                acceptor: None,
                every_acceptor: false,
            };
            assert!(representable_after(&next, &change)
                .unwrap_err()
                .contains("limit of 4095"));
        }
        let mut next = base.clone();
        next.acceptors[2] = Acceptor::from_view(AcceptorView {
            promised: None,
            accepted: Some((Ballot(1), Value(MAX_VALUE + 1))),
        });
        let nothing = Change {
            message: None,
            tail: 0,
            proposer: None,
            every_proposer: false,
            acceptor: None,
            every_acceptor: false,
        };
        // The changed acceptor, and every acceptor.
        for (a, every) in [(Some(2), false), (None, true)] {
            let change = Change {
                acceptor: a,
                every_acceptor: every,
                ..nothing
            };
            assert!(representable_after(&next, &change)
                .unwrap_err()
                .contains("limit of v14"));
        }
        assert_eq!(representable_after(&base, &nothing), Ok(()));
    }
}
