//! The explorer's compact form of a search state, canonical up to message order and (with
//! symmetry on) acceptor names, and the way back to a [`World`] and a [`Checker`].
//!
//! A state is packed into 64-bit words, written out as little-endian bytes so that a 128-bit
//! hash can fingerprint them and the frontier can store them back to back:
//!
//! ```text
//! header     crashes 8 | drops 8 | duplicates 8 | proposers_down 8 | records 16 | messages 16
//! floors     the checker's floor of each acceptor, 14 bits each, four to a word
//! record     ballot 14 | value 4 | proposed 1 | voters 15             (checker, sorted by ballot)
//! acceptor   promised 14 | voted ballot 14 | voted value 4 | down 1                   (x A)
//! proposer   round 12 | round_seen 12 | ballot 14 | ballots_started 8 | phase 2 | promise_count 16
//!            promises 15 | votes 15 | highest ballot 14 | its value 4 | its acceptor 4 | proposal 4
//! message    acceptor 4 (bits 60..64) | direction 1 | kind 3 | proposer 3 | ballot 14 | ballot 14 | value 4
//! ```
//!
//! The checker's part comes right after the header, so that a thread expanding a run of
//! states with the same checker history (siblings usually share it) rebuilds the checker
//! only when that part changes ([`Codec::checker_part`]).
//!
//! Ballots and values are stored plus one so that zero means "none". The widths hold every
//! state the explorer can reach because [`crate::explore::Options::validate`] caps the
//! bounds: at most 64 ballots per proposer and 8 proposers keep every round below 1024 (a
//! round only ever goes one above the highest round in existence, and each timeout makes at
//! most one new round), so a ballot `round << 4 | proposer` stays below 2^14 - 1.
//!
//! **What is canonical.** The network is a multiset, so messages are sorted. The checker's
//! records are kept in the order they were first seen, which differs between interleavings
//! that reach the same state; while no invariant is broken a ballot carries one value, so the
//! records sorted by ballot are the same set and decide the same future verdicts. With
//! symmetry on, acceptors are renamed too, as described at [`Codec::encode`].

use std::cmp::Ordering;

use crate::ballot::{AcceptorId, AcceptorSet, Ballot, Value};
use crate::checker::{Checker, Observation};
use crate::event::{Envelope, Event, NodeId};
use crate::protocol::{Acceptor, Msg, Phase, Proposer, Protocol};
use crate::world::{input_value, World};

/// A renaming of acceptors: `perm[old] = new`.
pub type Perm = [u8; MAX_ACCEPTORS];

const MAX_ACCEPTORS: usize = crate::config::MAX_ACCEPTORS as usize;

/// Content bits of a message word; the acceptor endpoint sits above them.
const CONTENT_MASK: u64 = (1 << 60) - 1;
const ACCEPTOR_SHIFT: u32 = 60;

fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

fn opt_ballot(b: Option<Ballot>) -> u64 {
    b.map_or(0, ballot)
}

fn ballot(b: Ballot) -> u64 {
    debug_assert!(b.0 < (1 << 14) - 1, "ballot {b:?} outside the explorer's encoding");
    b.0 + 1
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

/// `set` with every member renamed by `perm`.
fn permute_bits(set: u64, perm: &Perm) -> u64 {
    let mut out = 0;
    let mut rest = set;
    while rest != 0 {
        let a = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        out |= 1 << perm[a];
    }
    out
}

fn set_bits(set: &AcceptorSet) -> u64 {
    set.low_bits()
}

fn set_from_bits(set: &mut AcceptorSet, bits: u64) {
    set.clear();
    let mut rest = bits;
    while rest != 0 {
        set.insert(rest.trailing_zeros() as AcceptorId);
        rest &= rest - 1;
    }
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

/// The message word of `env`, and the acceptor it touches. Every message goes between a
/// proposer and an acceptor, so each has exactly one acceptor endpoint.
fn message_word(env: &Envelope) -> (u64, usize) {
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
    let word = val
        | second << 4
        | ballot(env.msg.ballot()) << 18
        | u64::from(p) << 32
        | kind << 35
        | dir << 38;
    (word | (a as u64) << ACCEPTOR_SHIFT, a as usize)
}

fn un_message(word: u64) -> Envelope {
    let a = NodeId::Acceptor((word >> ACCEPTOR_SHIFT) as u16);
    let p = NodeId::Proposer(((word >> 32) & 7) as u8);
    let b = un_ballot((word >> 18) & mask(14)).unwrap_or_default();
    let second = un_ballot((word >> 4) & mask(14));
    let val = un_value(word & mask(4)).unwrap_or_default();
    let msg = match (word >> 35) & 7 {
        0 => Msg::Prepare { ballot: b },
        1 => Msg::Promise {
            ballot: b,
            accepted: second.zip(un_value(word & mask(4))),
        },
        2 => Msg::Accept {
            ballot: b,
            value: val,
        },
        3 => Msg::Accepted {
            ballot: b,
            value: val,
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

/// `event` with its acceptor renamed by `perm` (messages name no acceptor inside, only in
/// their endpoints).
pub fn permute_event(event: &Event, perm: &Perm) -> Event {
    let node = |n: NodeId| match n {
        NodeId::Acceptor(a) => NodeId::Acceptor(u16::from(perm[a as usize])),
        p => p,
    };
    let env = |e: &Envelope| Envelope {
        src: node(e.src),
        dst: node(e.dst),
        msg: e.msg,
    };
    match event {
        Event::Deliver(e) => Event::Deliver(env(e)),
        Event::Drop(e) => Event::Drop(env(e)),
        Event::Duplicate(e) => Event::Duplicate(env(e)),
        Event::Crash(n) => Event::Crash(node(*n)),
        Event::Restart(n) => Event::Restart(node(*n)),
        Event::Timeout(p) => Event::Timeout(*p),
    }
}

/// The identity renaming.
pub fn identity() -> Perm {
    std::array::from_fn(|i| i as u8)
}

/// `perm` inverted: `inverse(perm)[perm[a]] = a` for the first `n` acceptors.
pub fn inverse(perm: &Perm, n: usize) -> Perm {
    let mut inv = identity();
    for (a, &to) in perm.iter().enumerate().take(n) {
        inv[to as usize] = a as u8;
    }
    inv
}

/// Encodes and decodes the states of one configuration. Holds scratch buffers so that
/// encoding allocates nothing once warm; one per thread.
#[derive(Clone, Debug)]
pub struct Codec {
    proto: Protocol,
    proposers: u8,
    symmetry: bool,
    /// Checker records as words (original acceptor names), sorted.
    records: Vec<u64>,
    /// Message words, sorted: grouped by acceptor, then by content.
    messages: Vec<u64>,
    /// `groups[a]..groups[a + 1]` are acceptor `a`'s messages.
    groups: [u32; MAX_ACCEPTORS + 1],
    acceptor_words: [u64; MAX_ACCEPTORS],
    /// Per acceptor, the words of its profile that precede its messages.
    profiles: Vec<u64>,
    profile_len: usize,
    /// `order[new] = old`.
    order: [u8; MAX_ACCEPTORS],
    perm: Perm,
}

impl Codec {
    pub fn new(proto: Protocol, proposers: u8, symmetry: bool) -> Codec {
        Codec {
            proto,
            proposers,
            symmetry,
            records: Vec::new(),
            messages: Vec::new(),
            groups: [0; MAX_ACCEPTORS + 1],
            acceptor_words: [0; MAX_ACCEPTORS],
            profiles: Vec::new(),
            profile_len: 0,
            order: [0; MAX_ACCEPTORS],
            perm: identity(),
        }
    }

    /// The renaming the last [`Codec::encode`] applied: `perm[old] = new`.
    pub fn last_perm(&self) -> &Perm {
        &self.perm
    }

    /// Appends the canonical form of `(world, checker)` to `out`.
    ///
    /// **Symmetry.** Every fact of the state that names an acceptor names exactly one:
    /// its own promise and vote, its down bit, its checker floor, each message (one endpoint
    /// is always an acceptor), membership in a proposer's promise or vote set, being the
    /// reporter of a proposer's highest vote, membership in a checker record's voters. So
    /// the state is determined by the acceptor-free part plus, per acceptor, its *profile*:
    /// the list of all facts about it with its own name erased. Sorting acceptors by profile
    /// and renaming them by rank is a permutation of the whole state, applied consistently
    /// to every field; and two states that are permutations of each other have the same
    /// multiset of profiles, hence the same sorted form. Acceptors with equal profiles are
    /// interchangeable (swapping them maps the state to itself), so their relative order
    /// does not matter. The form is therefore exactly canonical, with no search over
    /// permutations.
    pub fn encode(&mut self, world: &World, checker: &Checker, out: &mut Vec<u8>) {
        let n_acc = world.acceptors.len();
        let n_prop = world.proposers.len();

        self.records.clear();
        for (b, v, proposed, voters) in checker.records() {
            self.records.push(
                set_bits(voters) | u64::from(proposed) << 15 | value(v) << 16 | ballot(b) << 20,
            );
        }
        // The ballot and value sit above the voters, so voters never decide the order.
        self.records.sort_unstable();

        self.messages.clear();
        self.groups = [0; MAX_ACCEPTORS + 1];
        for env in &world.network {
            let (word, a) = message_word(env);
            self.messages.push(word);
            self.groups[a + 1] += 1;
        }
        self.messages.sort_unstable();
        for a in 0..n_acc {
            self.groups[a + 1] += self.groups[a];
        }

        for (a, acc) in world.acceptors.iter().enumerate() {
            let floor = checker.floor_of(a as AcceptorId);
            self.acceptor_words[a] = opt_ballot(acc.promised)
                | opt_ballot(acc.accepted.map(|x| x.0)) << 14
                | opt_value(acc.accepted.map(|x| x.1)) << 28
                | u64::from((world.acceptors_down >> a) & 1) << 32
                | opt_ballot(floor) << FLOOR_SHIFT;
        }

        if self.symmetry && n_acc > 1 {
            self.sort_acceptors(world);
        } else {
            self.perm = identity();
            for a in 0..n_acc {
                self.order[a] = a as u8;
            }
        }
        let perm = self.perm;

        let words = 1 + floor_words(n_acc) + self.records.len() + n_acc + 2 * n_prop;
        out.reserve(8 * (words + self.messages.len()));
        let mut put = |w: u64| out.extend_from_slice(&w.to_le_bytes());
        put(u64::from(world.crashes.min(255))
            | u64::from(world.drops.min(255)) << 8
            | u64::from(world.duplicates.min(255)) << 16
            | u64::from(world.proposers_down) << 24
            | (self.records.len() as u64) << 32
            | (self.messages.len() as u64) << 48);
        for chunk in self.order[..n_acc].chunks(FLOORS_PER_WORD) {
            let mut w = 0;
            for (k, &old) in chunk.iter().enumerate() {
                w |= (self.acceptor_words[old as usize] >> FLOOR_SHIFT) << (14 * k);
            }
            put(w);
        }
        for &r in &self.records {
            put((r & !mask(15)) | permute_bits(r & mask(15), &perm));
        }
        for new in 0..n_acc {
            put(self.acceptor_words[self.order[new] as usize] & mask(FLOOR_SHIFT));
        }
        for pr in &world.proposers[..n_prop] {
            put(pr.round
                | pr.round_seen << 12
                | opt_ballot(pr.ballot) << 24
                | u64::from(pr.ballots_started.min(255)) << 38
                | phase_bits(pr.phase) << 46
                | u64::from(pr.promise_count.min(0xffff)) << 48);
            let (hb, hv, hfrom) = match pr.highest {
                Some((b, v, from)) => (ballot(b), value(v), u64::from(perm[from as usize])),
                None => (0, 0, 0),
            };
            put(permute_bits(set_bits(&pr.promises), &perm)
                | permute_bits(set_bits(&pr.votes), &perm) << 15
                | hb << 30
                | hv << 44
                | hfrom << 48
                | opt_value(pr.proposal) << 52);
        }
        for new in 0..n_acc {
            let old = self.order[new] as usize;
            let group = self.groups[old] as usize..self.groups[old + 1] as usize;
            for &m in &self.messages[group] {
                put((m & CONTENT_MASK) | (new as u64) << ACCEPTOR_SHIFT);
            }
        }
    }

    /// Fills `self.order` and `self.perm` by sorting acceptors by profile.
    fn sort_acceptors(&mut self, world: &World) {
        let n_acc = world.acceptors.len();
        let n_prop = world.proposers.len();
        // Membership bits: three per proposer, then one per checker record.
        let bits = 3 * n_prop + self.records.len();
        let member_words = bits.div_ceil(64).max(1);
        self.profile_len = 1 + member_words;
        self.profiles.clear();
        self.profiles.resize(n_acc * self.profile_len, 0);
        for a in 0..n_acc {
            self.profiles[a * self.profile_len] = self.acceptor_words[a];
        }
        let set = |profiles: &mut Vec<u64>, a: usize, bit: usize| {
            profiles[a * self.profile_len + 1 + bit / 64] |= 1 << (bit % 64);
        };
        for (p, pr) in world.proposers.iter().enumerate() {
            for (k, members) in [set_bits(&pr.promises), set_bits(&pr.votes)]
                .into_iter()
                .enumerate()
            {
                let mut rest = members;
                while rest != 0 {
                    let a = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    set(&mut self.profiles, a, 3 * p + k);
                }
            }
            if let Some((_, _, from)) = pr.highest {
                set(&mut self.profiles, from as usize, 3 * p + 2);
            }
        }
        for (r, &word) in self.records.iter().enumerate() {
            let mut rest = word & mask(15);
            while rest != 0 {
                let a = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                set(&mut self.profiles, a, 3 * n_prop + r);
            }
        }
        for a in 0..n_acc {
            self.order[a] = a as u8;
        }
        // Insertion sort: at most 15 acceptors, usually 3 or 5, often already in order.
        for i in 1..n_acc {
            let mut j = i;
            while j > 0 && self.compare(self.order[j - 1], self.order[j]) == Ordering::Greater {
                self.order.swap(j - 1, j);
                j -= 1;
            }
        }
        self.perm = identity();
        for new in 0..n_acc {
            self.perm[self.order[new] as usize] = new as u8;
        }
    }

    /// Orders two acceptors by profile: own words and memberships, then messages.
    fn compare(&self, x: u8, y: u8) -> Ordering {
        let (x, y) = (x as usize, y as usize);
        let len = self.profile_len;
        let head = self.profiles[x * len..(x + 1) * len].cmp(&self.profiles[y * len..(y + 1) * len]);
        if head != Ordering::Equal {
            return head;
        }
        let mx = &self.messages[self.groups[x] as usize..self.groups[x + 1] as usize];
        let my = &self.messages[self.groups[y] as usize..self.groups[y + 1] as usize];
        mx.iter()
            .map(|m| m & CONTENT_MASK)
            .cmp(my.iter().map(|m| m & CONTENT_MASK))
    }

    /// Rebuilds the world and the checker from `bytes` (an [`Codec::encode`] output),
    /// reusing their allocations.
    pub fn decode(&self, bytes: &[u8], world: &mut World, checker: &mut Checker) {
        self.decode_world(bytes, world);
        self.decode_checker(bytes, checker);
    }

    /// The bytes of an encoded state that the checker is rebuilt from: equal parts give
    /// equal checkers.
    pub fn checker_part<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        let records = (word(bytes, 0) >> 32) & 0xffff;
        let len = floor_words(self.proto.acceptors as usize) + records as usize;
        &bytes[8..8 * (1 + len)]
    }

    /// Rebuilds the world alone.
    pub fn decode_world(&self, bytes: &[u8], world: &mut World) {
        let n_acc = self.proto.acceptors as usize;
        let header = word(bytes, 0);
        world.crashes = (header & 0xff) as u16;
        world.drops = ((header >> 8) & 0xff) as u16;
        world.duplicates = ((header >> 16) & 0xff) as u16;
        world.proposers_down = ((header >> 24) & 0xff) as u8;
        let n_records = ((header >> 32) & 0xffff) as usize;
        let n_messages = (header >> 48) as usize;
        let mut at = 1 + floor_words(n_acc) + n_records;

        world.acceptors.clear();
        world.acceptors_down = 0;
        for a in 0..n_acc {
            let w = word(bytes, at);
            at += 1;
            world.acceptors.push(Acceptor {
                promised: un_ballot(w & mask(14)),
                accepted: un_ballot((w >> 14) & mask(14)).zip(un_value((w >> 28) & mask(4))),
            });
            world.acceptors_down |= (((w >> 32) & 1) as u16) << a;
        }

        world.proposers.clear();
        for p in 0..self.proposers {
            let (w0, w1) = (word(bytes, at), word(bytes, at + 1));
            at += 2;
            let mut promises = AcceptorSet::default();
            set_from_bits(&mut promises, w1 & mask(15));
            let mut votes = AcceptorSet::default();
            set_from_bits(&mut votes, (w1 >> 15) & mask(15));
            // A struct literal, so that a field added to `Proposer` cannot be forgotten.
            world.proposers.push(Proposer {
                id: p,
                value: input_value(p),
                round: w0 & mask(12),
                round_seen: (w0 >> 12) & mask(12),
                ballot: un_ballot((w0 >> 24) & mask(14)),
                ballots_started: ((w0 >> 38) & 0xff) as u16,
                phase: un_phase((w0 >> 46) & 3),
                promise_count: (w0 >> 48) as u32,
                promises,
                votes,
                highest: un_ballot((w1 >> 30) & mask(14)).map(|b| {
                    let v = un_value((w1 >> 44) & mask(4)).unwrap_or_default();
                    (b, v, ((w1 >> 48) & mask(4)) as AcceptorId)
                }),
                proposal: un_value((w1 >> 52) & mask(4)),
            });
        }

        world.network.clear();
        for k in 0..n_messages {
            world.network.push(un_message(word(bytes, at + k)));
        }
    }

    /// Rebuilds the checker alone, by feeding it a history that leaves the same records and
    /// floors: each record's proposal and votes in ballot order, then each acceptor's floor
    /// as a promise. Every invariant held in the encoded state, and the checker's verdicts
    /// do not depend on the order of this history, so it breaks none either.
    pub fn decode_checker(&self, bytes: &[u8], checker: &mut Checker) {
        let n_acc = self.proto.acceptors as usize;
        let n_records = ((word(bytes, 0) >> 32) & 0xffff) as usize;
        checker.reset(self.proto.q2 as usize);
        for p in 0..self.proposers {
            checker.register_input(input_value(p));
        }
        let mut replay = |obs| {
            let broke = checker.observe(obs);
            debug_assert!(broke.is_none(), "rebuilding a safe checker broke {broke:?}");
        };
        let fw = floor_words(n_acc);
        for r in 0..n_records {
            let w = word(bytes, 1 + fw + r);
            let b = un_ballot(w >> 20).unwrap_or_default();
            let v = un_value((w >> 16) & mask(4)).unwrap_or_default();
            if (w >> 15) & 1 == 1 {
                replay(Observation::Proposal {
                    ballot: b,
                    value: v,
                });
            }
            let mut voters = w & mask(15);
            while voters != 0 {
                let a = voters.trailing_zeros() as AcceptorId;
                voters &= voters - 1;
                replay(Observation::Vote {
                    acceptor: a,
                    ballot: b,
                    value: v,
                });
            }
        }
        for a in 0..n_acc {
            let w = word(bytes, 1 + a / FLOORS_PER_WORD);
            if let Some(b) = un_ballot((w >> (14 * (a % FLOORS_PER_WORD))) & mask(14)) {
                replay(Observation::Promise {
                    acceptor: a as AcceptorId,
                    ballot: b,
                });
            }
        }
    }
}

/// Word `i` of an encoded state.
fn word(bytes: &[u8], i: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&bytes[8 * i..8 * i + 8]);
    u64::from_le_bytes(w)
}

/// Floors are 14 bits; four fit a word.
const FLOORS_PER_WORD: usize = 4;
/// Where an acceptor's floor sits in its profile word (above its own state).
const FLOOR_SHIFT: u32 = 33;

fn floor_words(acceptors: usize) -> usize {
    acceptors.div_ceil(FLOORS_PER_WORD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bug::Bug;
    use crate::rng::Prng;
    use crate::world::Limits;

    /// Random walks of the simulator: every state met must survive encode, decode, encode
    /// unchanged, and a renamed copy of it must encode the same when symmetry is on.
    #[test]
    fn encoding_round_trips_and_is_invariant_under_renaming_acceptors() {
        for bug in [None, Some(Bug::Amnesia), Some(Bug::CountDuplicates)] {
            let proto = Protocol::majority(3, bug);
            let limits = Limits {
                max_crashes: 2,
                max_drops: 2,
                max_duplicates: 2,
                max_ballots: 3,
                ..Limits::default()
            };
            let mut sym = Codec::new(proto, 2, true);
            let mut plain = Codec::new(proto, 2, false);
            let mut rng = Prng::new(7);
            let mut enabled = Vec::new();
            for _walk in 0..200 {
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
                    for codec in [&mut sym, &mut plain] {
                        let mut first = Vec::new();
                        codec.encode(&world, &checker, &mut first);
                        let (mut w2, mut c2) = (World::new(&proto, 2), Checker::new(1));
                        codec.decode(&first, &mut w2, &mut c2);
                        let mut second = Vec::new();
                        codec.encode(&w2, &c2, &mut second);
                        assert_eq!(first, second, "after {e}");
                    }
                    let mut a = Vec::new();
                    sym.encode(&world, &checker, &mut a);
                    let mut renamed = Vec::new();
                    let (mut w2, mut c2) = (World::new(&proto, 2), Checker::new(1));
                    plain.decode(&rename(&plain, &world, &checker, [2, 0, 1]), &mut w2, &mut c2);
                    sym.encode(&w2, &c2, &mut renamed);
                    assert_eq!(a, renamed, "renaming acceptors changed the canonical form");
                }
            }
        }
    }

    /// The plain encoding of `world` with acceptor `a` renamed `perm[a]`.
    fn rename(codec: &Codec, world: &World, checker: &Checker, perm: [u8; 3]) -> Vec<u8> {
        let mut p = identity();
        p[..3].copy_from_slice(&perm);
        let mut w = world.clone();
        for (a, acc) in world.acceptors.iter().enumerate() {
            w.acceptors[p[a] as usize] = *acc;
        }
        w.acceptors_down = permute_bits(u64::from(world.acceptors_down), &p) as u16;
        for pr in &mut w.proposers {
            set_from_bits(
                &mut pr.promises,
                permute_bits(set_bits(&pr.promises), &p),
            );
            set_from_bits(&mut pr.votes, permute_bits(set_bits(&pr.votes), &p));
            if let Some(h) = &mut pr.highest {
                h.2 = AcceptorId::from(p[h.2 as usize]);
            }
        }
        for env in &mut w.network {
            if let Event::Deliver(e) = permute_event(&Event::Deliver(*env), &p) {
                *env = e;
            }
        }
        // The checker is renamed by replaying its records under the new names.
        let mut c = Checker::new(codec.proto.q2 as usize);
        for q in 0..codec.proposers {
            c.register_input(input_value(q));
        }
        let mut records: Vec<_> = checker.records().map(|(b, v, pr, s)| (b, v, pr, set_bits(s))).collect();
        records.sort();
        for (b, v, proposed, voters) in records {
            if proposed {
                c.observe(Observation::Proposal { ballot: b, value: v });
            }
            let mut rest = permute_bits(voters, &p);
            while rest != 0 {
                let a = rest.trailing_zeros() as AcceptorId;
                rest &= rest - 1;
                c.observe(Observation::Vote { acceptor: a, ballot: b, value: v });
            }
        }
        for a in 0..3u16 {
            if let Some(f) = checker.floor_of(a) {
                c.observe(Observation::Promise { acceptor: AcceptorId::from(p[a as usize]), ballot: f });
            }
        }
        let mut out = Vec::new();
        let mut plain = codec.clone();
        plain.symmetry = false;
        plain.encode(&w, &c, &mut out);
        out
    }
}
