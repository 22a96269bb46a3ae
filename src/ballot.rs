//! Ballots, values and acceptor sets: the small vocabulary every other module speaks.
//!
//! Paxos needs ballots that are totally ordered and unique per proposer. The simulator builds
//! them as `(round, proposer)` packed into one integer, so that comparing two ballots is one
//! integer comparison and ties between proposers are impossible by construction. The grader
//! node speaks raw ballot numbers chosen by the caller; both fit the same `Ballot(u64)`.
//!
//! Values are interned: the simulator's proposers want `v1..vP`, the grader node maps every
//! distinct JSON value to an id. The checker then compares integers, never JSON trees.

use std::fmt;
use std::hash::{Hash, Hasher};

use rustc_hash::FxHashSet;

/// How many low bits of a simulator ballot hold the proposer id. Sixteen slots leave room
/// above the eight proposers the simulator allows.
const PROPOSER_BITS: u32 = 4;

/// A ballot number. Ordered as integers; `None` (no ballot yet) sorts below every ballot
/// when held as `Option<Ballot>`, which is how acceptors store "never promised".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ballot(pub u64);

impl Ballot {
    /// The simulator's ballot for `round` of `proposer`: unique per proposer because the
    /// proposer id is part of the number. `proposer` is the 1-based slot traces show:
    /// proposer `id` (0-based, as [`crate::roles::Implementation::proposer`] gets it, and
    /// traces call `p{id+1}`) makes `Ballot::new(round, id + 1)`, shown as `round.id+1`
    /// (`1.2` is round 1 of `p2`). Traces label every ballot this way; roles that number
    /// their ballots otherwise are checked all the same, but read oddly in traces.
    ///
    /// # Panics
    ///
    /// When `round` is [`Ballot::MAX_ROUND`] or more, or `proposer` is 16 or more: the
    /// packed number would lose bits and alias another ballot silently. (In your own roles
    /// such a panic is a `no-panic` finding naming the line that made the ballot.)
    pub fn new(round: u64, proposer: u8) -> Ballot {
        assert!(
            round < Ballot::MAX_ROUND && u32::from(proposer) < 1 << PROPOSER_BITS,
            "Ballot::new({round}, {proposer}): rounds must be below 2^60 and proposer slots \
             below 16, or the packed ballot would alias another"
        );
        Ballot((round << PROPOSER_BITS) | u64::from(proposer))
    }

    /// Rounds are below this (2^60): the four low bits of the 64 hold the proposer slot.
    pub const MAX_ROUND: u64 = 1 << (64 - PROPOSER_BITS);

    /// The round of a simulator ballot.
    pub fn round(self) -> u64 {
        self.0 >> PROPOSER_BITS
    }

    /// The proposer slot of a simulator ballot.
    pub fn proposer(self) -> u8 {
        (self.0 & ((1 << PROPOSER_BITS) - 1)) as u8
    }

    /// `round.proposer`, the form simulator traces use.
    pub fn sim_label(self) -> String {
        format!("{}.{}", self.round(), self.proposer())
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An interned value. The simulator's proposer `p` wants `Value(p + 1)`, shown as `v{p+1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Value(pub u32);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Acceptor index, `0..acceptors`. The grader node allows up to 10,000 acceptors.
pub type AcceptorId = u16;

/// A set of acceptors. The simulator never has more than 15 acceptors, so the common case is
/// one machine word that copies for free when the world state is cloned; the grader node's
/// large clusters spill into a hash set that stays empty (and unallocated) otherwise.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AcceptorSet {
    low: u64,
    high: Option<Box<FxHashSet<AcceptorId>>>,
    len: u32,
}

/// Written out for `clone_from`: the derived one clones and then drops, and the explorer
/// copies two sets per proposer on every transition, nearly always without a `high` part.
impl Clone for AcceptorSet {
    fn clone(&self) -> AcceptorSet {
        AcceptorSet {
            low: self.low,
            high: self.high.clone(),
            len: self.len,
        }
    }

    #[inline]
    fn clone_from(&mut self, source: &AcceptorSet) {
        self.low = source.low;
        self.len = source.len;
        if self.high.is_some() || source.high.is_some() {
            self.high.clone_from(&source.high);
        }
    }
}

impl AcceptorSet {
    /// Adds `id`; true when it was not there yet.
    pub fn insert(&mut self, id: AcceptorId) -> bool {
        let fresh = if id < 64 {
            let bit = 1u64 << id;
            let fresh = self.low & bit == 0;
            self.low |= bit;
            fresh
        } else {
            self.high.get_or_insert_with(Default::default).insert(id)
        };
        self.len += u32::from(fresh);
        fresh
    }

    pub fn contains(&self, id: AcceptorId) -> bool {
        if id < 64 {
            self.low & (1u64 << id) != 0
        } else {
            self.high.as_ref().is_some_and(|h| h.contains(&id))
        }
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.low = 0;
        self.high = None;
        self.len = 0;
    }

    /// The members below 64 as a bit mask; the simulator's whole set.
    pub fn low_bits(&self) -> u64 {
        self.low
    }
}

impl Hash for AcceptorSet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.low.hash(state);
        if let Some(high) = &self.high {
            // A hash set has no order; sort so that equal sets hash alike.
            let mut ids: Vec<_> = high.iter().copied().collect();
            ids.sort_unstable();
            ids.hash(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `clone_from` is written out (the explorer calls it on every transition); it must
    /// copy exactly, with and without ids past the one-word part on either side.
    #[test]
    fn acceptor_sets_clone_exactly() {
        let set = |ids: &[AcceptorId]| {
            let mut s = AcceptorSet::default();
            for &id in ids {
                s.insert(id);
            }
            s
        };
        let shapes: [&[AcceptorId]; 4] = [&[], &[1, 5], &[2, 70, 300], &[64, 65]];
        for from in shapes {
            for into in shapes {
                let source = set(from);
                let mut target = set(into);
                target.clone_from(&source);
                assert_eq!(target, source, "{into:?} <- {from:?}");
                assert_eq!(target.len(), from.len());
                assert!(from.iter().all(|&id| target.contains(id)));
                assert_eq!(source.clone(), source);
            }
        }
    }

    #[test]
    fn simulator_ballots_order_by_round_then_proposer() {
        assert!(Ballot::new(1, 7) < Ballot::new(2, 0));
        assert!(Ballot::new(3, 1) < Ballot::new(3, 2));
        assert_eq!(Ballot::new(5, 3).round(), 5);
        assert_eq!(Ballot::new(5, 3).proposer(), 3);
        assert_eq!(Ballot::new(5, 3).sim_label(), "5.3");
        assert!(None < Some(Ballot(0)));
        let top = Ballot::new(Ballot::MAX_ROUND - 1, 15);
        assert_eq!(
            (top.round(), top.proposer(), top.0),
            (Ballot::MAX_ROUND - 1, 15, u64::MAX)
        );
    }

    /// A round or slot too big for the packed number panics rather than aliasing another
    /// ballot (round 2^60 of p1 was ballot 0.1).
    #[test]
    #[should_panic(expected = "rounds must be below 2^60")]
    fn a_round_past_the_packing_panics() {
        let _ = Ballot::new(Ballot::MAX_ROUND, 1);
    }

    #[test]
    #[should_panic(expected = "proposer slots below 16")]
    fn a_slot_past_the_packing_panics() {
        let _ = Ballot::new(1, 16);
    }

    #[test]
    fn acceptor_set_counts_each_member_once_across_the_spill() {
        let mut s = AcceptorSet::default();
        assert!(s.insert(3));
        assert!(!s.insert(3));
        assert!(s.insert(9_999));
        assert!(!s.insert(9_999));
        assert!(s.contains(3) && s.contains(9_999) && !s.contains(4));
        assert_eq!(s.len(), 2);
        s.clear();
        assert!(s.is_empty() && !s.contains(9_999));
    }
}
