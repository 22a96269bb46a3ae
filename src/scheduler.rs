//! Schedulers: who decides which enabled event happens next.
//!
//! Three deciders drive the same [`World::apply`]: a seeded random scheduler with a fault
//! profile (campaigns and `fuzz`), a list of choices indexing into the enabled events
//! (proptest campaigns, whose shrinking deletes and lowers choices), and a recorded event
//! list (replay of counterexample files, shrinking).

use crate::config::MAX_PROPOSERS;
use crate::event::{Event, NodeId};
use crate::profile::Rates;
use crate::protocol::Msg;
use crate::rng::Prng;
use crate::world::{Limits, World};

/// The scheduler's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Take this event; `Some(i)` when it is a message event on `world.network[i]`.
    Take(Event, Option<usize>),
    /// Nothing is enabled: the execution has quiesced.
    Quiescent,
    /// The schedule has no more decisions (choices or events used up).
    Exhausted,
}

/// Something that decides the next event.
pub trait Schedule {
    fn next<A, P>(&mut self, world: &World<A, P>, limits: &Limits) -> Next;
}

/// The seeded random scheduler. At each step it first tries the faults at their rates
/// (drop, duplicate, crash, restart), then a timeout at its rate, and otherwise delivers a
/// message picked uniformly, so any reordering can happen.
///
/// Once the network has healed ([`Limits::stable`]) the fault limits are spent, a down
/// node restarts at once, and deliveries stay uniform, so every message in flight is
/// eventually delivered (with probability 1, and in practice within a few times the number
/// in flight).
#[derive(Clone, Debug)]
pub struct RandomSchedule {
    pub rng: Prng,
    pub rates: Rates,
    /// The `backoff` proposer strategy's timers, after the network healed.
    pub backoff: Option<Backoff>,
    /// After the network healed, deliver phase-1 messages (prepares and promises) before
    /// any other, and otherwise the lowest ballot first. Healing ends loss, not asynchrony:
    /// the adversary still orders messages, and this order, drawn for some executions, is
    /// the classic duel's: a fresh prepare overtakes the accepts of the ballot it pre-empts,
    /// and the refusal reaches the loser before the winner's accepts land. It stays fair:
    /// ballots only grow, so a message waits only for finitely many others.
    pub duel_order: bool,
}

/// Seeded exponential back-off: a proposer that finds itself stuck arms a timer of a
/// random number of steps below a window, `base` doubled for every ballot it started since
/// the network healed (up to [`Backoff::MAX_DOUBLINGS`]). Two duelling proposers thus draw
/// ever more different delays until one ballot runs alone from start to end. When nothing
/// else can happen the earliest timer fires: time passes without events.
///
/// Its draws come from the execution's liveness stream, not the scheduler's, so that the
/// schedule of an execution without liveness is the one it always was.
#[derive(Clone, Debug)]
pub struct Backoff {
    rng: Prng,
    base: u32,
    /// Steps since the network healed.
    now: u32,
    fire_at: [Option<u32>; MAX_PROPOSERS as usize],
    attempts: [u8; MAX_PROPOSERS as usize],
}

impl Backoff {
    /// The window stops doubling here (`base << 6`): a longer wait only slows recovery.
    pub const MAX_DOUBLINGS: u8 = 6;

    pub fn new(rng: Prng, base: u32) -> Backoff {
        Backoff {
            rng,
            base: base.max(1),
            now: 0,
            fire_at: [None; MAX_PROPOSERS as usize],
            attempts: [0; MAX_PROPOSERS as usize],
        }
    }

    /// Arms the timers of proposers that just became able to time out, disarms those that
    /// cannot, and says which may fire now (bit `p`), and which is armed earliest.
    fn tick<A, P>(&mut self, world: &World<A, P>, limits: &Limits) -> (u8, Option<u8>) {
        let mut ready = 0u8;
        let mut earliest: Option<(u32, u8)> = None;
        for p in 0..world.proposers.len() as u8 {
            let i = p as usize;
            if !world.can_time_out(p, limits) {
                self.fire_at[i] = None;
                continue;
            }
            let at = *self.fire_at[i].get_or_insert_with(|| {
                let window = self.base << self.attempts[i].min(Backoff::MAX_DOUBLINGS);
                self.now + self.rng.below(window)
            });
            if at <= self.now {
                ready |= 1 << p;
            }
            if earliest.is_none_or(|(e, _)| at < e) {
                earliest = Some((at, p));
            }
        }
        (ready, earliest.map(|(_, p)| p))
    }

    fn fired(&mut self, p: u8) {
        let i = p as usize;
        self.fire_at[i] = None;
        self.attempts[i] = self.attempts[i].saturating_add(1);
    }
}

impl RandomSchedule {
    fn kth_node<A, P>(world: &World<A, P>, up: bool, k: u32) -> NodeId {
        world
            .nodes()
            .filter(|&n| world.is_up(n) == up)
            .nth(k as usize)
            .expect("k is below the count of such nodes")
    }
}

impl Schedule for RandomSchedule {
    fn next<A, P>(&mut self, world: &World<A, P>, limits: &Limits) -> Next {
        let rng = &mut self.rng;
        let rates = self.rates;
        let n = world.network.len();
        if n > 0 {
            if world.drops < limits.max_drops && rng.chance(rates.drop) {
                let i = rng.below(n as u32) as usize;
                return Next::Take(Event::Drop(world.network[i]), Some(i));
            }
            if world.duplicates < limits.max_duplicates
                && n < limits.max_in_flight as usize
                && rng.chance(rates.duplicate)
            {
                let i = rng.below(n as u32) as usize;
                return Next::Take(Event::Duplicate(world.network[i]), Some(i));
            }
        }
        let total = (world.proposers.len() + world.acceptors.len()) as u32;
        let down = world.acceptors_down.count_ones() + world.proposers_down.count_ones();
        if world.crashes < limits.max_crashes && down < total && rng.chance(rates.crash) {
            let k = rng.below(total - down);
            return Next::Take(Event::Crash(Self::kth_node(world, true, k)), None);
        }
        if down > 0 && (limits.stable || rng.chance(rates.restart)) {
            let k = rng.below(down);
            return Next::Take(Event::Restart(Self::kth_node(world, false, k)), None);
        }
        // With every node up (the common case) every message is deliverable, and the
        // k-th deliverable message is simply the k-th: skip the scans.
        let all_up = down == 0;
        let deliverable = if all_up {
            n as u32
        } else {
            (0..n).filter(|&i| world.deliverable(i)).count() as u32
        };
        if let (Some(backoff), true) = (&mut self.backoff, limits.stable) {
            let (ready, earliest) = backoff.tick(world, limits);
            backoff.now += 1;
            let fire = if ready != 0 && (deliverable == 0 || rng.chance(rates.timeout)) {
                let k = rng.below(ready.count_ones());
                (0..8u8).filter(|&p| ready & (1 << p) != 0).nth(k as usize)
            } else if deliverable == 0 {
                earliest
            } else {
                None
            };
            if let Some(p) = fire {
                backoff.fired(p);
                return Next::Take(Event::Timeout(p), None);
            }
        } else {
            let timeouts = (0..world.proposers.len() as u8)
                .filter(|&p| world.can_time_out(p, limits))
                .count() as u32;
            // Once the network healed, a stuck proposer's timer has expired: it retries at
            // once (the back-off strategy is what waits).
            if timeouts > 0 && (deliverable == 0 || limits.stable || rng.chance(rates.timeout)) {
                let k = rng.below(timeouts) as usize;
                let p = (0..world.proposers.len() as u8)
                    .filter(|&p| world.can_time_out(p, limits))
                    .nth(k)
                    .expect("k is below the count of proposers that can time out");
                return Next::Take(Event::Timeout(p), None);
            }
        }
        if deliverable > 0 && self.duel_order && limits.stable {
            // Phase-1 messages first, then the lowest ballot first; ties uniformly.
            let key = |i: usize| {
                let m = &world.network[i].msg;
                let later = !matches!(m, Msg::Prepare { .. } | Msg::Promise { .. });
                (later, m.ballot())
            };
            let best = (0..n)
                .filter(|&i| world.deliverable(i))
                .map(key)
                .min()
                .expect("something is deliverable");
            let ties = |i: &usize| world.deliverable(*i) && key(*i) == best;
            let count = (0..n).filter(ties).count() as u32;
            let k = rng.below(count) as usize;
            let i = (0..n).filter(ties).nth(k).expect("k is below the count");
            return Next::Take(Event::Deliver(world.network[i]), Some(i));
        }
        if deliverable > 0 {
            let k = rng.below(deliverable) as usize;
            let i = if all_up {
                k
            } else {
                (0..n)
                    .filter(|&i| world.deliverable(i))
                    .nth(k)
                    .expect("k is below the count of deliverable messages")
            };
            return Next::Take(Event::Deliver(world.network[i]), Some(i));
        }
        if down > 0 {
            // Nothing else can happen until a node comes back.
            let k = rng.below(down);
            return Next::Take(Event::Restart(Self::kth_node(world, false, k)), None);
        }
        Next::Quiescent
    }
}

/// A schedule made of choices: choice `c` at a step takes enabled event `c mod len`, in the
/// order of [`World::enabled`] (deliveries first, faults last). Deleting a choice shortens
/// the execution; lowering one makes it less adversarial: both are proptest's shrinks.
#[derive(Clone, Debug)]
pub struct ChoiceSchedule<'a> {
    choices: &'a [u32],
    pos: usize,
    enabled: Vec<Event>,
}

impl<'a> ChoiceSchedule<'a> {
    pub fn new(choices: &'a [u32]) -> ChoiceSchedule<'a> {
        ChoiceSchedule {
            choices,
            pos: 0,
            enabled: Vec::new(),
        }
    }
}

impl Schedule for ChoiceSchedule<'_> {
    fn next<A, P>(&mut self, world: &World<A, P>, limits: &Limits) -> Next {
        world.enabled(limits, &mut self.enabled);
        if self.enabled.is_empty() {
            return Next::Quiescent;
        }
        let Some(&c) = self.choices.get(self.pos) else {
            return Next::Exhausted;
        };
        self.pos += 1;
        Next::Take(self.enabled[c as usize % self.enabled.len()], None)
    }
}

/// A recorded list of events, taken in order.
#[derive(Clone, Debug)]
pub struct EventSchedule<'a> {
    events: &'a [Event],
    pos: usize,
}

impl<'a> EventSchedule<'a> {
    pub fn new(events: &'a [Event]) -> EventSchedule<'a> {
        EventSchedule { events, pos: 0 }
    }
}

impl Schedule for EventSchedule<'_> {
    fn next<A, P>(&mut self, _world: &World<A, P>, _limits: &Limits) -> Next {
        match self.events.get(self.pos) {
            Some(&e) => {
                self.pos += 1;
                Next::Take(e, None)
            }
            None => Next::Exhausted,
        }
    }
}
