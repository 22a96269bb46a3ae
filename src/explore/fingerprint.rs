//! Fingerprints: a 128-bit hash of a search state that is the same for states that are the
//! same up to message order and, with symmetry on, up to renaming acceptors.
//!
//! **The canonical form it hashes.** Every fact of a state that names an acceptor names
//! exactly one: its promise and vote, its down bit, its checker floor (its *own word*); each
//! message (one endpoint of every message is an acceptor); membership in a proposer's
//! promise or vote set; being the reporter of a proposer's highest vote; membership in a
//! checker record's voters. Everything else (counters, proposers' ballots and phases, the
//! records' ballots and values) names no acceptor. So a state is exactly its acceptor-free
//! part plus, for each acceptor, its *profile*: its own word and the multiset of facts about
//! it, with its name erased. Renaming acceptors permutes the profiles and changes nothing
//! else, and two states with the same acceptor-free part and the same multiset of profiles
//! are renamings of each other (map each acceptor to one with an equal profile). The
//! canonical form of a state is therefore "acceptor-free part, profiles sorted"; it is the
//! state under one real renaming, applied to every field at once.
//!
//! **Hashing it without sorting.** Rather than sort and then hash, the fingerprint hashes
//! each multiset as a sum of 128-bit hashes of its members (addition is commutative, so
//! order cannot matter): the facts of each acceptor are summed, each profile (own word and
//! that sum) is hashed, the profile hashes are summed, and the sum goes into a final hash
//! with the acceptor-free part. That is a hash of the canonical form computed in one pass,
//! with nothing sorted or written out, which matters because it runs on every transition.
//! With symmetry off, each profile also carries the acceptor's name, so renamings count as
//! different states. The network is a multiset either way, so message order never counts.
//!
//! **Collisions.** Distinct multisets give independent-looking sums, so two different
//! canonical forms share a fingerprint with probability about 2^-128 (a few bits less when
//! an element repeats, as a sum of `k` equal terms loses the low bits of `k`); over `n`
//! states about `n^2 / 2^128`, below 10^-20 for a billion states. A collision would merge
//! two states and could hide a violation, which is why the fingerprint is 128 bits and not
//! the 64 that Stateright uses (one in a few dozen at a billion states). The visited set
//! keeps 76 of them (see `visited`): about `n^2 / 2^77`, 7 * 10^-6 at a billion states.
//!
//! The explorer stores the state it actually reached, not the canonical form: the stored
//! states along a path are real states, so the path replays as it is.

use xxhash_rust::xxh3::xxh3_128;

use super::codec::{
    acceptor_word, for_each_bit, header_word, message_content, opt_ballot, proposer_words,
    record_word, ACCEPTOR_SHIFT,
};
use crate::ballot::AcceptorId;
use crate::checker::Checker;
use crate::event::Envelope;
use crate::protocol::Proposer;
use crate::world::World;

/// A state's fingerprint.
pub type Fingerprint = u128;

const MAX_ACCEPTORS: usize = crate::config::MAX_ACCEPTORS as usize;
const MAX_PROPOSERS: usize = crate::config::MAX_PROPOSERS as usize;

// Domain tags: a fact's kind goes into its hash, so that facts of different kinds with
// equal words never cancel or coincide.
const MESSAGE: u64 = 0x243f_6a88_85a3_08d3;
const VOTER: u64 = 0x1319_8a2e_0370_7344;
const PROMISED_TO: u64 = 0xa409_3822_299f_31d0;
const VOTED_TO: u64 = 0x082e_fa98_ec4e_6c89;
const REPORTED_TO: u64 = 0x4528_21e6_38d0_1377;
const RECORD: u64 = 0xbe54_66cf_34e9_0c6c;

/// The 128-bit product of `a` and `b`, folded to 64 bits: the mixing step of wyhash.
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// A 128-bit hash of one fact (a word and its kind). Two wyhash-style rounds per half:
/// the first mixes the word with the kind, the second multiplies by the word again, so the
/// result is not linear in the word. Cheap (three multiplications) because it runs once per
/// message, vote and set member on every transition.
fn fact(word: u64, tag: u64) -> u128 {
    let a = fold_mul(word ^ 0xe703_7ed1_a0b4_28db, tag ^ 0x8ebc_6af0_9c88_c6e3);
    let hi = fold_mul(a ^ 0x5899_65cc_7537_4cc3, word ^ 0x1d8e_4e27_c47d_124f);
    let lo = fold_mul(a ^ 0xa076_1d64_78bd_642f, word ^ 0xc2b2_ae3d_27d4_eb4f);
    u128::from(hi) << 64 | u128::from(lo)
}

/// A 128-bit hash of an acceptor's profile: its own word, its name (zero with symmetry on)
/// and the sum of its facts. Each output half takes two dependent rounds over all four
/// inputs, so the profile hash is far from linear in the sum, which keeps profile hashes
/// from cancelling when they are summed in turn.
fn profile(own: u64, name: u64, facts: u128) -> u128 {
    let (lo, hi) = (facts as u64, (facts >> 64) as u64);
    let a = fold_mul(own ^ 0x9e37_79b9_7f4a_7c15, name ^ 0xd6e8_feb8_6659_fd93);
    let b = fold_mul(lo ^ 0xa5a5_a5a5_c3c3_c3c3, hi ^ 0x94d0_49bb_1331_11eb);
    let out_hi = fold_mul(a ^ lo ^ 0xbf58_476d_1ce4_e5b9, b ^ 0x2545_f491_4f6c_dd1d);
    let out_lo = fold_mul(
        b ^ own ^ 0x8cb9_2ba7_2f3d_8dd7,
        a ^ hi ^ 0x1b87_3593_1b87_3593,
    );
    u128::from(out_hi) << 64 | u128::from(out_lo)
}

/// The fact of one message: its hash and its acceptor.
fn message_fact(env: &Envelope) -> (u128, usize) {
    let (content, a) = message_content(env);
    (fact(content, MESSAGE), a)
}

/// A checker record as the fingerprint sees it: its word, its voters, and its two facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RecordFacts {
    word: u64,
    voters: u64,
    record: u128,
    voter: u128,
}

/// A state taken apart into the pieces its fingerprint is made of, so that a successor's
/// fingerprint can start from them and redo only what the step changed.
#[derive(Clone, Debug, Default)]
struct Parts {
    message_facts: Vec<(u128, usize)>,
    proposer_words: Vec<(u64, u64)>,
    records: Vec<RecordFacts>,
    records_sum: u128,
    /// Per acceptor: the sum of its facts, its own word, its profile hash.
    facts: [u128; MAX_ACCEPTORS],
    own: [u64; MAX_ACCEPTORS],
    profiles: [u128; MAX_ACCEPTORS],
    profile_sum: u128,
}

/// Computes fingerprints; holds the parts of the state being expanded. One per thread.
#[derive(Clone, Debug)]
pub struct Fingerprinter {
    symmetry: bool,
    /// Per proposer: the facts "promised to", "voted to" and "reported to" it.
    membership: [[u128; 3]; MAX_PROPOSERS],
    base: Parts,
}

/// Where a successor may differ from the state it was reached from, as the step's kind
/// tells: most of the network and all but one node are untouched by any one step, and
/// comparing them position by position was a tenth of the search's time; looking at every
/// acceptor's word, another twentieth.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// A message position below `tail` that may differ: where the step took a message off
    /// (the network's last message moves there).
    pub message: Option<usize>,
    /// Every position from here on may differ.
    pub tail: usize,
    /// The one proposer that may differ; with `every_proposer` false and this `None`, none.
    pub proposer: Option<usize>,
    pub every_proposer: bool,
    /// The one acceptor whose state, down bit or checker floor may differ; with
    /// `every_acceptor` false and this `None`, none. A floor moves only when its acceptor
    /// promises or votes, which only a step at that acceptor observes.
    pub acceptor: Option<usize>,
    pub every_acceptor: bool,
}

impl Change {
    /// Anything may differ: what the tests check the explorer's narrower changes against.
    #[cfg(test)]
    pub fn anything() -> Change {
        Change {
            message: None,
            tail: 0,
            proposer: None,
            every_proposer: true,
            acceptor: None,
            every_acceptor: true,
        }
    }

    /// Whether acceptor `a`'s state, down bit or floor may differ.
    fn acceptor_may_differ(&self, a: usize) -> bool {
        self.every_acceptor || self.acceptor == Some(a)
    }

    /// Whether every difference between `base` and `world` in the network and the
    /// nodes is where `self` says one may be (checked in debug builds).
    fn covers(&self, base: &World, world: &World) -> bool {
        let (old, new) = (&base.network, &world.network);
        let messages = (0..self.tail.min(old.len()).min(new.len()))
            .all(|i| Some(i) == self.message || old[i] == new[i]);
        let proposers = self.every_proposer
            || (0..world.proposers.len())
                .all(|p| Some(p) == self.proposer || base.proposers[p] == world.proposers[p]);
        let acceptors = (0..world.acceptors.len()).all(|a| {
            self.acceptor_may_differ(a)
                || (base.acceptors[a] == world.acceptors[a]
                    && (base.acceptors_down ^ world.acceptors_down) & (1 << a) == 0)
        });
        messages && proposers && acceptors
    }
}

impl Fingerprinter {
    pub fn new(symmetry: bool) -> Fingerprinter {
        Fingerprinter {
            symmetry,
            membership: std::array::from_fn(|p| {
                [PROMISED_TO, VOTED_TO, REPORTED_TO].map(|tag| fact(p as u64, tag))
            }),
            base: Parts::default(),
        }
    }

    fn own_word(world: &World, checker: &Checker, a: usize) -> u64 {
        acceptor_word(world, a) | opt_ballot(checker.floor_of(a as AcceptorId)) << 33
    }

    fn profile_of(symmetry: bool, a: usize, own: u64, facts: u128) -> u128 {
        let name = if symmetry { 0 } else { a as u64 + 1 };
        profile(own, name, facts)
    }

    /// Adds proposer `p`'s membership facts to `facts`.
    fn membership_facts(
        membership: &[[u128; 3]; MAX_PROPOSERS],
        p: usize,
        pr: &Proposer,
        facts: &mut [u128],
    ) {
        let [promised, voted, reported] = membership[p];
        let mut apply = |a: usize, h: u128| facts[a] = facts[a].wrapping_add(h);
        let pr = pr.state();
        for_each_bit(pr.promises.low_bits(), |a| apply(a, promised));
        for_each_bit(pr.votes.low_bits(), |a| apply(a, voted));
        if let Some((_, _, reporter)) = pr.highest {
            apply(reporter as usize, reported);
        }
    }

    /// Corrects `facts` for proposer `p` going from `old` to `new`: only the acceptors that
    /// joined or left its promise or vote set, or became or stopped being its reporter,
    /// have a fact added or taken off (and marked in `dirty`). Taking all of the old facts
    /// off and putting all of the new ones on gives the same sums, but marks every member
    /// dirty, and each dirty acceptor's profile is hashed again.
    fn membership_change(
        membership: &[[u128; 3]; MAX_PROPOSERS],
        p: usize,
        old: &Proposer,
        new: &Proposer,
        facts: &mut [u128],
        dirty: &mut u64,
    ) {
        let [promised, voted, reported] = membership[p];
        let (old, new) = (old.state(), new.state());
        let mut correct = |a: usize, h: u128, joined: bool| {
            facts[a] = if joined {
                facts[a].wrapping_add(h)
            } else {
                facts[a].wrapping_sub(h)
            };
            *dirty |= 1 << a;
        };
        for (was, is, h) in [
            (old.promises.low_bits(), new.promises.low_bits(), promised),
            (old.votes.low_bits(), new.votes.low_bits(), voted),
        ] {
            for_each_bit(is & !was, |a| correct(a, h, true));
            for_each_bit(was & !is, |a| correct(a, h, false));
        }
        let (was, is) = (old.highest.map(|h| h.2), new.highest.map(|h| h.2));
        if was != is {
            if let Some(a) = is {
                correct(a as usize, reported, true);
            }
            if let Some(a) = was {
                correct(a as usize, reported, false);
            }
        }
    }

    /// Takes `(world, checker)` apart as the base that later [`Fingerprinter::fingerprint`]
    /// calls start from, and returns its fingerprint, computed from scratch.
    pub fn set_base(&mut self, world: &World, checker: &Checker) -> Fingerprint {
        self.load_base(world, checker);
        let words = |p: usize| self.base.proposer_words[p];
        finish(
            header_word(world),
            (0..world.proposers.len()).map(words),
            self.base.records_sum,
            self.base.profile_sum,
        )
    }

    /// [`Fingerprinter::set_base`] without the final hash. The explorer expands states whose
    /// fingerprint is already in the visited set, so per expanded state it only needs the
    /// parts; the final hash would be thrown away.
    pub fn load_base(&mut self, world: &World, checker: &Checker) {
        self.load_base_with(world, checker, None);
    }

    /// [`Fingerprinter::load_base`] for a world decoded from a stored state whose message
    /// words ([`super::codec::Codec::message_words`]) are `messages`: the messages' facts
    /// are hashed from those words instead of working each word out again.
    pub fn load_base_with(&mut self, world: &World, checker: &Checker, messages: Option<&[u64]>) {
        // Borrowed field by field rather than taken out and put back: the parts are a few
        // hundred bytes, and moving them twice per expanded state showed in the profile.
        let Fingerprinter {
            symmetry,
            membership,
            base,
        } = self;
        let n_acc = world.acceptors.len();
        base.facts = [0; MAX_ACCEPTORS];
        base.message_facts.clear();
        match messages {
            Some(words) => {
                debug_assert_eq!(words.len(), world.network.len());
                for &w in words {
                    let a = (w >> ACCEPTOR_SHIFT) as usize;
                    let h = fact(w & ((1 << ACCEPTOR_SHIFT) - 1), MESSAGE);
                    debug_assert_eq!(
                        (h, a),
                        message_fact(&world.network[base.message_facts.len()])
                    );
                    base.message_facts.push((h, a));
                    base.facts[a] = base.facts[a].wrapping_add(h);
                }
            }
            None => {
                for env in &world.network {
                    let (h, a) = message_fact(env);
                    base.message_facts.push((h, a));
                    base.facts[a] = base.facts[a].wrapping_add(h);
                }
            }
        }
        base.proposer_words.clear();
        for (p, pr) in world.proposers.iter().enumerate() {
            base.proposer_words.push(proposer_words(pr));
            Self::membership_facts(membership, p, pr, &mut base.facts);
        }
        base.records.clear();
        base.records_sum = 0;
        for (b, v, proposed, voters) in checker.records() {
            let word = record_word(b, v, proposed);
            let r = RecordFacts {
                word,
                voters: voters.low_bits(),
                record: fact(word, RECORD),
                voter: fact(word, VOTER),
            };
            base.records_sum = base.records_sum.wrapping_add(r.record);
            for_each_bit(r.voters, |a| {
                base.facts[a] = base.facts[a].wrapping_add(r.voter)
            });
            base.records.push(r);
        }
        base.profile_sum = 0;
        for a in 0..n_acc {
            base.own[a] = Self::own_word(world, checker, a);
            base.profiles[a] = Self::profile_of(*symmetry, a, base.own[a], base.facts[a]);
            base.profile_sum = base.profile_sum.wrapping_add(base.profiles[a]);
        }
    }

    /// The fingerprint of `(world, checker)`, a successor of the base: the base's parts,
    /// corrected wherever this state differs from it. `base_world` is the world last given
    /// to [`Fingerprinter::set_base`], unchanged (the caller keeps it, so it is not copied
    /// here); `same_checker`: `checker` is the base's own checker, unchanged; `change`:
    /// where `world` may differ from `base_world`. Exactly what
    /// [`Fingerprinter::set_base`] would compute, only cheaper.
    pub fn fingerprint(
        &self,
        base_world: &World,
        world: &World,
        checker: &Checker,
        same_checker: bool,
        change: &Change,
    ) -> Fingerprint {
        let base = &self.base;
        debug_assert_eq!(base_world.network.len(), base.message_facts.len());
        debug_assert!(
            change.covers(base_world, world),
            "{change:?} misses a change"
        );
        let n_acc = world.acceptors.len();
        // What this state adds to and takes from each acceptor's facts sum, rather than a
        // copy of the sums: zeroing is cheaper than copying, and the sums are wrapping
        // additions, so base plus change is the same number either way.
        let mut delta = [0u128; MAX_ACCEPTORS];
        // Acceptors whose profile must be hashed again.
        let mut dirty = 0u64;

        // The multiset of messages is the base's, less the base's messages at positions
        // where this world differs, plus this world's messages there.
        let (old, network) = (&base_world.network, &world.network);
        let tail = change.tail.min(old.len()).min(network.len());
        let moved = change.message.filter(|&i| i < tail);
        for i in moved.into_iter().chain(tail..old.len().max(network.len())) {
            match (old.get(i), network.get(i)) {
                (Some(b), Some(m)) if b == m => {}
                (b, m) => {
                    if b.is_some() {
                        let (h, a) = base.message_facts[i];
                        delta[a] = delta[a].wrapping_sub(h);
                        dirty |= 1 << a;
                    }
                    if let Some(m) = m {
                        let (h, a) = message_fact(m);
                        delta[a] = delta[a].wrapping_add(h);
                        dirty |= 1 << a;
                    }
                }
            }
        }

        let mut words = [(0u64, 0u64); MAX_PROPOSERS];
        let n_prop = world.proposers.len();
        words[..n_prop].copy_from_slice(&base.proposer_words[..n_prop]);
        let changed = match change.proposer {
            Some(p) => p..p + 1,
            None if change.every_proposer => 0..n_prop,
            None => 0..0,
        };
        for p in changed {
            let pr = &world.proposers[p];
            let old = &base_world.proposers[p];
            if old != pr {
                words[p] = proposer_words(pr);
                Self::membership_change(&self.membership, p, old, pr, &mut delta, &mut dirty);
            }
        }

        let mut records_sum = base.records_sum;
        if !same_checker {
            let mut n = 0;
            for (i, (b, v, proposed, voters)) in checker.records().enumerate() {
                n = i + 1;
                let word = record_word(b, v, proposed);
                let voters = voters.low_bits();
                let old = base.records.get(i);
                if old.is_some_and(|r| r.word == word && r.voters == voters) {
                    continue;
                }
                if let Some(r) = old {
                    records_sum = records_sum.wrapping_sub(r.record);
                    for_each_bit(r.voters, |a| {
                        delta[a] = delta[a].wrapping_sub(r.voter);
                        dirty |= 1 << a;
                    });
                }
                let (record, voter) = match old {
                    Some(r) if r.word == word => (r.record, r.voter),
                    _ => (fact(word, RECORD), fact(word, VOTER)),
                };
                records_sum = records_sum.wrapping_add(record);
                for_each_bit(voters, |a| {
                    delta[a] = delta[a].wrapping_add(voter);
                    dirty |= 1 << a;
                });
            }
            // Records never go away, but say what would happen if they did.
            for r in base.records.iter().skip(n) {
                records_sum = records_sum.wrapping_sub(r.record);
                for_each_bit(r.voters, |a| {
                    delta[a] = delta[a].wrapping_sub(r.voter);
                    dirty |= 1 << a;
                });
            }
        }

        let mut profile_sum = base.profile_sum;
        for (a, &added) in delta.iter().enumerate().take(n_acc) {
            // An acceptor's own word is its state, its down bit and its floor.
            let own = if change.acceptor_may_differ(a) {
                Self::own_word(world, checker, a)
            } else {
                debug_assert_eq!(
                    Self::own_word(world, checker, a),
                    base.own[a],
                    "acceptor {a} changed outside {change:?}"
                );
                base.own[a]
            };
            if own != base.own[a] || dirty & (1 << a) != 0 {
                let sum = base.facts[a].wrapping_add(added);
                profile_sum = profile_sum
                    .wrapping_sub(base.profiles[a])
                    .wrapping_add(Self::profile_of(self.symmetry, a, own, sum));
            }
        }

        finish(
            header_word(world),
            words[..world.proposers.len()].iter().copied(),
            records_sum,
            profile_sum,
        )
    }
}

/// The fingerprint of a world alone (no checker records) up to renaming acceptors, and
/// forgetting which acceptor reported a proposer's highest vote: the key of the liveness
/// search's quotient (see `lasso`). The reporter only breaks ties between reports of one
/// ballot, which carry one value, so it never changes what a proposer does; it is also the
/// one acceptor-naming field the protocol compares by name (`from < hfrom`), so keeping it
/// would make a state and its renaming step to states that differ in it alone.
pub(in crate::explore) fn quotient_fingerprint(world: &World) -> Fingerprint {
    let mut facts = [0u128; MAX_ACCEPTORS];
    for env in &world.network {
        let (h, a) = message_fact(env);
        facts[a] = facts[a].wrapping_add(h);
    }
    let mut words = [(0u64, 0u64); MAX_PROPOSERS];
    for (p, pr) in world.proposers.iter().enumerate() {
        words[p] = proposer_words(pr);
        let s = pr.state();
        let (promised, voted) = (fact(p as u64, PROMISED_TO), fact(p as u64, VOTED_TO));
        for_each_bit(s.promises.low_bits(), |a| {
            facts[a] = facts[a].wrapping_add(promised)
        });
        for_each_bit(s.votes.low_bits(), |a| {
            facts[a] = facts[a].wrapping_add(voted)
        });
    }
    let mut profiles = 0u128;
    for (a, &sum) in facts.iter().enumerate().take(world.acceptors.len()) {
        profiles = profiles.wrapping_add(profile(acceptor_word(world, a), 0, sum));
    }
    let decided = u64::from(world.decided) << 32;
    finish_xxh3(
        header_word(world) | decided,
        words[..world.proposers.len()].iter().copied(),
        0,
        profiles,
    )
}

/// The final hash of a search state: the acceptor-free words, the sum of the records' facts
/// and the sum of the profiles' hashes, taken two words at a time. Each pair is mixed by one
/// folded multiplication per output half, with secrets that differ by position and by half,
/// and the mixes are summed, as xxh3 does for inputs of this size; each half then gets a
/// final avalanche. It is xxh3_128 of the same words in structure only, at a third of its
/// cost: it runs on every transition, and xxh3 took a sixth of the fingerprint's time,
/// most of it writing the words out as bytes and dispatching on their length.
fn finish(
    header: u64,
    proposers: impl Iterator<Item = (u64, u64)>,
    records: u128,
    profiles: u128,
) -> Fingerprint {
    let (rlo, rhi) = (records as u64, (records >> 64) as u64);
    let (plo, phi) = (profiles as u64, (profiles >> 64) as u64);
    let block = |i: usize, w0: u64, w1: u64| {
        let [a, b, c, d] = FINISH_SECRETS[i];
        (fold_mul(w0 ^ a, w1 ^ b), fold_mul(w0 ^ c, w1 ^ d))
    };
    let (mut lo, mut hi) = (0u64, 0u64);
    let mut add = |(l, h): (u64, u64)| {
        lo = lo.wrapping_add(l);
        hi = hi.wrapping_add(h);
    };
    add(block(0, header, rlo));
    add(block(1, rhi, plo));
    let mut n = 2;
    for (w0, w1) in proposers {
        add(block(n, w0, w1));
        n += 1;
    }
    // The last word, with the count of blocks so that states of different sizes differ.
    add(block(n, phi, n as u64));
    u128::from(avalanche(hi ^ lo.rotate_left(29))) << 64 | u128::from(avalanche(lo))
}

/// xxh3's final avalanche of a 64-bit accumulator.
fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 37;
    h = h.wrapping_mul(0x1656_6791_9e37_79f9);
    h ^ (h >> 32)
}

/// Secrets of [`finish`]: four per block (two per output half), from splitmix64.
const FINISH_SECRETS: [[u64; 4]; 3 + MAX_PROPOSERS] = {
    let mut out = [[0u64; 4]; 3 + MAX_PROPOSERS];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut i = 0;
    while i < out.len() {
        let mut j = 0;
        while j < 4 {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            out[i][j] = z ^ (z >> 31);
            j += 1;
        }
        i += 1;
    }
    out
};

/// The final hash of the liveness search's quotient: as [`finish`], through xxh3_128 (its
/// keys are hashed once per state, not per transition).
fn finish_xxh3(
    header: u64,
    proposers: impl Iterator<Item = (u64, u64)>,
    records: u128,
    profiles: u128,
) -> Fingerprint {
    let mut bytes = [0u8; 8 * (1 + 2 * MAX_PROPOSERS) + 32];
    bytes[..8].copy_from_slice(&header.to_le_bytes());
    let mut at = 8;
    for (w0, w1) in proposers {
        bytes[at..at + 8].copy_from_slice(&w0.to_le_bytes());
        bytes[at + 8..at + 16].copy_from_slice(&w1.to_le_bytes());
        at += 16;
    }
    bytes[at..at + 16].copy_from_slice(&records.to_le_bytes());
    bytes[at + 16..at + 32].copy_from_slice(&profiles.to_le_bytes());
    xxh3_128(&bytes[..at + 32])
}

#[cfg(test)]
pub(in crate::explore) mod tests {
    use rustc_hash::FxHashMap as HashMap;

    use super::*;
    use crate::ballot::AcceptorSet;
    use crate::bug::Bug;
    use crate::checker::Observation;
    use crate::event::{Event, NodeId};
    use crate::explore::codec::Codec;
    use crate::protocol::Protocol;
    use crate::rng::Prng;
    use crate::world::{input_value, Limits};

    fn rename_set(set: &AcceptorSet, perm: &[usize]) -> AcceptorSet {
        let mut out = AcceptorSet::default();
        for_each_bit(set.low_bits(), |a| {
            out.insert(perm[a] as AcceptorId);
        });
        out
    }

    /// The state with acceptor `a` renamed `perm[a]` everywhere: a real permutation, built
    /// field by field (the checker by replaying its records and floors under new names).
    fn rename(
        proto: &Protocol,
        world: &World,
        checker: &Checker,
        perm: &[usize],
    ) -> (World, Checker) {
        let mut w = world.clone();
        w.acceptors_down = 0;
        for (a, acc) in world.acceptors.iter().enumerate() {
            w.acceptors[perm[a]] = *acc;
            w.acceptors_down |= ((world.acceptors_down >> a) & 1) << perm[a];
        }
        let node = |n: NodeId| match n {
            NodeId::Acceptor(a) => NodeId::Acceptor(perm[a as usize] as u16),
            p => p,
        };
        for env in &mut w.network {
            *env = Envelope {
                src: node(env.src),
                dst: node(env.dst),
                msg: env.msg,
            };
        }
        for pr in &mut w.proposers {
            let mut st = pr.state().clone();
            st.promises = rename_set(&st.promises, perm);
            st.votes = rename_set(&st.votes, perm);
            if let Some(h) = &mut st.highest {
                h.2 = perm[h.2 as usize] as AcceptorId;
            }
            *pr = Proposer::from_state(st);
        }
        let mut c = Checker::new(proto.q2 as usize);
        for p in 0..w.proposers.len() as u8 {
            c.register_input(input_value(p));
        }
        let mut records: Vec<_> = checker
            .records()
            .map(|(b, v, p, s)| (b, v, p, s.low_bits()))
            .collect();
        records.sort();
        for (b, v, proposed, voters) in records {
            if proposed {
                assert!(c
                    .observe(Observation::Proposal {
                        ballot: b,
                        value: v
                    })
                    .is_none());
            }
            for_each_bit(voters, |a| {
                let vote = Observation::Vote {
                    acceptor: perm[a] as AcceptorId,
                    ballot: b,
                    value: v,
                };
                assert!(c.observe(vote).is_none());
            });
        }
        for (a, &to) in perm.iter().enumerate().take(world.acceptors.len()) {
            if let Some(f) = checker.floor_of(a as AcceptorId) {
                let promise = Observation::Promise {
                    acceptor: to as AcceptorId,
                    ballot: f,
                    accepted: c.vote_of(to as AcceptorId),
                };
                assert!(c.observe(promise).is_none());
            }
        }
        (w, c)
    }

    /// The exact encoding with the network sorted: equal keys, equal states. The
    /// reduction's tests compare states with it too.
    pub(in crate::explore) fn key(codec: &mut Codec, world: &World, checker: &Checker) -> Vec<u64> {
        let mut w = world.clone();
        w.network.sort();
        let mut out = Vec::new();
        codec.encode(&w, checker, &mut out);
        out
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for i in 0..n {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }

    /// The debug builds' check that a step changed nothing outside its `Change`: every
    /// kind of difference outside it is seen, and one inside it is allowed.
    #[test]
    fn a_difference_outside_the_change_is_seen() {
        use crate::ballot::{Ballot, Value};
        use crate::protocol::Acceptor;
        use crate::roles::AcceptorView;
        let proto = Protocol::majority(3, None);
        let base = World::new(&proto, 2);
        let none = Change {
            message: None,
            tail: usize::MAX,
            proposer: None,
            every_proposer: false,
            acceptor: None,
            every_acceptor: false,
        };
        assert!(none.covers(&base, &base));
        // An acceptor's state, then its down bit.
        let mut promised = base.clone();
        promised.acceptors[1] = Acceptor::from_view(AcceptorView {
            promised: Some(Ballot(1)),
            accepted: Some((Ballot(1), Value(1))),
        });
        let mut down = base.clone();
        down.acceptors_down = 1 << 1;
        for next in [&promised, &down] {
            assert!(!none.covers(&base, next));
            for other in [0, 2] {
                let named = Change {
                    acceptor: Some(other),
                    ..none
                };
                assert!(!named.covers(&base, next), "acceptor {other} named");
            }
            let named = Change {
                acceptor: Some(1),
                ..none
            };
            assert!(named.covers(&base, next));
            let every = Change {
                every_acceptor: true,
                ..none
            };
            assert!(every.covers(&base, next));
        }
        // A proposer.
        let mut started = base.clone();
        let mut s = started.proposers[1].state().clone();
        s.round += 1;
        started.proposers[1] = Proposer::from_state(s);
        assert!(!none.covers(&base, &started));
        let named = Change {
            proposer: Some(1),
            ..none
        };
        assert!(named.covers(&base, &started));
        let other = Change {
            proposer: Some(0),
            ..none
        };
        assert!(!other.covers(&base, &started));
        // A message below the tail.
        let mut sent = base.clone();
        let mut moved = base.clone();
        let msg = |b| Envelope {
            src: NodeId::Proposer(0),
            dst: NodeId::Acceptor(0),
            msg: crate::protocol::Msg::Prepare { ballot: Ballot(b) },
        };
        sent.network.push(msg(1));
        moved.network.push(msg(2));
        assert!(!none.covers(&sent, &moved));
        let at = Change {
            message: Some(0),
            ..none
        };
        assert!(at.covers(&sent, &moved));
        let tail = Change { tail: 0, ..none };
        assert!(tail.covers(&sent, &moved));
    }

    /// Random walks collect states; for each, a random renaming of it is added too. Each
    /// step's fingerprint, computed from the parent's parts, must equal the one computed
    /// from scratch. Then the symmetric fingerprint must agree exactly with the brute-force
    /// canonical form
    /// (the least key over every renaming): equal fingerprints if and only if equal
    /// canonical forms. And the plain fingerprint must agree with the plain key.
    #[test]
    fn fingerprints_match_the_brute_force_canonical_form() {
        for bug in [None, Some(Bug::Amnesia), Some(Bug::CountDuplicates)] {
            let proto = Protocol::majority(3, bug);
            let limits = Limits {
                max_crashes: 2,
                max_drops: 1,
                max_duplicates: 2,
                max_ballots: 2,
                ..Limits::default()
            };
            let perms = permutations(3);
            let mut codec = Codec::new(proto, 2);
            let mut sym = Fingerprinter::new(true);
            let mut plain = Fingerprinter::new(false);
            let mut rng = Prng::new(11);
            let mut enabled = Vec::new();
            let mut states = Vec::new();
            for _walk in 0..150 {
                let mut world = World::new(&proto, 2);
                let mut checker = Checker::new(proto.q2 as usize);
                for p in 0..2 {
                    checker.register_input(input_value(p));
                }
                for _step in 0..30 {
                    world.enabled(&limits, &mut enabled);
                    if enabled.is_empty() {
                        break;
                    }
                    let e = enabled[rng.below(enabled.len() as u32) as usize];
                    sym.set_base(&world, &checker);
                    plain.set_base(&world, &checker);
                    let parent = world.clone();
                    let index = match e {
                        Event::Deliver(env) | Event::Drop(env) | Event::Duplicate(env) => parent
                            .network
                            .iter()
                            .position(|m| *m == env)
                            .map(|i| i as u32),
                        _ => None,
                    };
                    let mut broke = false;
                    let mut observed = false;
                    let applied = world.apply(&proto, &limits, &e, &mut |o| {
                        observed = true;
                        broke |= checker.observe(o).is_some();
                    });
                    if broke || applied.is_err() {
                        break;
                    }
                    // The successor's fingerprint from the parent's parts is the full one,
                    // told anything may have changed or only what the explorer tells.
                    let told =
                        crate::explore::step_change(&e, index.unwrap_or(0), parent.network.len());
                    for (printer, symmetry) in [(&sym, true), (&plain, false)] {
                        let full = Fingerprinter::new(symmetry).set_base(&world, &checker);
                        for change in [Change::anything(), told] {
                            let incremental =
                                printer.fingerprint(&parent, &world, &checker, !observed, &change);
                            assert_eq!(incremental, full, "after {e}, told {change:?}");
                        }
                    }
                    let perm = &perms[rng.below(perms.len() as u32) as usize];
                    states.push(rename(&proto, &world, &checker, perm));
                    states.push((world.clone(), checker.clone()));
                }
            }
            let mut by_canonical: HashMap<Vec<u64>, Fingerprint> = HashMap::default();
            let mut by_fingerprint: HashMap<Fingerprint, Vec<u64>> = HashMap::default();
            let mut plain_keys: HashMap<Vec<u64>, Fingerprint> = HashMap::default();
            let mut plain_fps: HashMap<Fingerprint, Vec<u64>> = HashMap::default();
            for (w, c) in &states {
                let canonical = perms
                    .iter()
                    .map(|p| {
                        let (rw, rc) = rename(&proto, w, c, p);
                        key(&mut codec, &rw, &rc)
                    })
                    .min()
                    .unwrap();
                let fp = sym.set_base(w, c);
                assert_eq!(*by_canonical.entry(canonical.clone()).or_insert(fp), fp);
                assert_eq!(
                    *by_fingerprint.entry(fp).or_insert(canonical.clone()),
                    canonical
                );
                let k = key(&mut codec, w, c);
                let fp = plain.set_base(w, c);
                assert_eq!(*plain_keys.entry(k.clone()).or_insert(fp), fp);
                assert_eq!(*plain_fps.entry(fp).or_insert(k.clone()), k);
            }
            assert!(
                by_canonical.len() < plain_keys.len(),
                "renamed copies must merge: {} canonical, {} plain",
                by_canonical.len(),
                plain_keys.len()
            );
        }
    }
}
