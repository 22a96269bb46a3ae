//! The simulated cluster: every node's state and every message in flight, and the one step
//! function that takes the world from one state to the next.
//!
//! The world is a plain value: cloning it copies a few small vectors, comparing and hashing
//! it is derived, and [`World::apply`] is the only way it changes. The random scheduler, the
//! choice-driven scheduler of the proptest campaigns, the event-list replayer and the
//! exhaustive explorer all drive this same function, so a schedule found by one replays in
//! the others. What each step does that the checker must see is handed to a sink as
//! [`Observation`]s.

use crate::ballot::Value;
use crate::checker::{Checker, Observation};
use crate::config::MAX_PROPOSERS;
use crate::event::{Envelope, Event, NodeId};
use crate::observe;
use crate::protocol::{Acceptor, Action, Builtin, Proposer, Protocol};
use crate::roles::{AcceptorRole, Implementation, ProposerRole, RoleFault};

/// Bounds on what the adversary and the proposers may do in one execution. Hitting one is
/// not an error: the step is simply not enabled, or the execution ends and says why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Node crashes in all (acceptors and proposers).
    pub max_crashes: u16,
    /// Messages the network may lose.
    pub max_drops: u16,
    /// Messages the network may duplicate.
    pub max_duplicates: u16,
    /// Ballots each proposer may start: its timeouts, each of which starts one. A ballot
    /// your own proposer starts on a message (a retry on a nack) is not counted; only
    /// `max_steps` bounds those.
    pub max_ballots: u16,
    /// Messages in flight at once; a broadcast that would exceed it ends the execution.
    pub max_in_flight: u16,
    /// Steps per execution.
    pub max_steps: u32,
    /// Only the live, undecided proposer with the highest id may time out (the `leader`
    /// proposer strategy).
    pub leader_only: bool,
    /// The network has healed (liveness mode, after the stabilisation point): see
    /// [`Limits::stabilised`].
    pub stable: bool,
}

impl Limits {
    /// These limits once the network has healed. The adversary stops: no more drops,
    /// duplicates or crashes (their limits drop to zero, so the counters already spent
    /// disable them). A timer fires only when its proposer is stuck, with nothing of its own
    /// in flight, as under partial synchrony once timeouts outlast message delays: a
    /// proposer is no longer interrupted mid-ballot by its own timer, so what is left to
    /// prevent a decision is other proposers. The ballot limit goes: it bounds the adversary's
    /// search, and a proposer that runs out of ballots would fail liveness for the limit's
    /// sake, not the protocol's.
    pub fn stabilised(self) -> Limits {
        Limits {
            max_crashes: 0,
            max_drops: 0,
            max_duplicates: 0,
            max_ballots: u16::MAX,
            stable: true,
            ..self
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_crashes: 2,
            max_drops: 8,
            max_duplicates: 8,
            max_ballots: 3,
            max_in_flight: 256,
            max_steps: 1_000,
            leader_only: false,
            stable: false,
        }
    }
}

/// Why an event could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    /// The event is not enabled in this state (no such message in flight, node down, limit).
    NotEnabled,
    /// The step would put more than `max_in_flight` messages in flight.
    MessageLimit,
    /// Acceptor `acceptor` could not answer (a process that wrote garbage or died). The
    /// world may have changed: the message was taken from the network.
    Fault { acceptor: u16, fault: RoleFault },
}

/// The state of the simulated cluster, generic over the implementation's roles (the
/// built-in protocol's by default).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct World<A = Acceptor, P = Proposer> {
    pub acceptors: Vec<A>,
    pub proposers: Vec<P>,
    /// Bit `a` set: acceptor `a` is down.
    pub acceptors_down: u16,
    /// Bit `p` set: proposer `p` is down.
    pub proposers_down: u8,
    /// Messages in flight: a multiset, in no meaningful order.
    pub network: Vec<Envelope>,
    pub crashes: u16,
    pub drops: u16,
    pub duplicates: u16,
    /// Ballots each proposer started (timeouts taken): the world counts them for the ballot
    /// limit rather than trusting the proposer. Durable, like the proposer's own round.
    pub ballots_started: [u16; MAX_PROPOSERS as usize],
    /// Bit `p` set: proposer `p` decided and has not crashed since (it stops timing out).
    pub decided: u8,
}

/// Written out rather than derived for `clone_from`: the derived one allocates fresh
/// vectors, while this one reuses the destination's. The exhaustive explorer copies a world
/// for every transition, so that matters there.
impl<A: Clone, P: Clone> Clone for World<A, P> {
    fn clone(&self) -> World<A, P> {
        World {
            acceptors: self.acceptors.clone(),
            proposers: self.proposers.clone(),
            acceptors_down: self.acceptors_down,
            proposers_down: self.proposers_down,
            network: self.network.clone(),
            crashes: self.crashes,
            drops: self.drops,
            duplicates: self.duplicates,
            ballots_started: self.ballots_started,
            decided: self.decided,
        }
    }

    fn clone_from(&mut self, source: &World<A, P>) {
        // Destructured, so that a field added to `World` cannot be forgotten here.
        let World {
            acceptors,
            proposers,
            acceptors_down,
            proposers_down,
            network,
            crashes,
            drops,
            duplicates,
            ballots_started,
            decided,
        } = source;
        self.acceptors.clone_from(acceptors);
        self.proposers.clone_from(proposers);
        self.network.clone_from(network);
        self.acceptors_down = *acceptors_down;
        self.proposers_down = *proposers_down;
        self.crashes = *crashes;
        self.drops = *drops;
        self.duplicates = *duplicates;
        self.ballots_started = *ballots_started;
        self.decided = *decided;
    }
}

/// The value proposer `p` wants: `v{p+1}`.
pub fn input_value(proposer: u8) -> Value {
    Value(u32::from(proposer) + 1)
}

/// Readies `checker` for a new execution of the simulated cluster: the phase-2 quorum
/// chooses, and every proposer's input is a valid proposal. The simulator, the renderer
/// and the explorer all check the same model, so they all start here.
pub fn reset_checker(checker: &mut Checker, proto: &Protocol, proposers: u8) {
    checker.reset(proto.q2 as usize);
    for p in 0..proposers {
        checker.register_input(input_value(p));
    }
}

impl World {
    /// The built-in protocol's initial state: every node up, nothing in flight.
    pub fn new(proto: &Protocol, proposers: u8) -> World {
        World::new_with(&mut Builtin, proto, proposers)
    }

    /// Back to the initial state, keeping the allocations.
    pub fn reset(&mut self, proto: &Protocol, proposers: u8) {
        self.reset_with(&mut Builtin, proto, proposers);
    }
}

impl<A, P> World<A, P> {
    /// The initial state of `imp`'s roles: every node up, nothing in flight.
    pub fn new_with<I>(imp: &mut I, proto: &Protocol, proposers: u8) -> World<A, P>
    where
        I: Implementation<Acceptor = A, Proposer = P>,
    {
        let mut world = World::unpopulated(proto, proposers);
        world.reset_with(imp, proto, proposers);
        world
    }

    /// A world with room for its roles but none yet: a simulator's before its first
    /// execution, which resets it with fresh roles. Building them earlier would start
    /// acceptor processes that no execution talks to.
    pub(crate) fn unpopulated(proto: &Protocol, proposers: u8) -> World<A, P> {
        World {
            acceptors: Vec::with_capacity(proto.acceptors as usize),
            proposers: Vec::with_capacity(proposers as usize),
            acceptors_down: 0,
            proposers_down: 0,
            network: Vec::with_capacity(64),
            crashes: 0,
            drops: 0,
            duplicates: 0,
            ballots_started: [0; MAX_PROPOSERS as usize],
            decided: 0,
        }
    }

    /// Back to the initial state with fresh roles from `imp`, keeping the allocations.
    pub fn reset_with<I>(&mut self, imp: &mut I, proto: &Protocol, proposers: u8)
    where
        I: Implementation<Acceptor = A, Proposer = P>,
    {
        self.acceptors.clear();
        self.acceptors
            .extend((0..proto.acceptors).map(|a| imp.acceptor(proto, a)));
        self.proposers.clear();
        self.proposers
            .extend((0..proposers).map(|p| imp.proposer(proto, p, input_value(p))));
        self.acceptors_down = 0;
        self.proposers_down = 0;
        self.network.clear();
        self.crashes = 0;
        self.drops = 0;
        self.duplicates = 0;
        self.ballots_started = [0; MAX_PROPOSERS as usize];
        self.decided = 0;
    }

    pub fn is_up(&self, node: NodeId) -> bool {
        match node {
            NodeId::Proposer(p) => self.proposers_down & (1 << p) == 0,
            NodeId::Acceptor(a) => self.acceptors_down & (1 << a) == 0,
        }
    }

    fn set_up(&mut self, node: NodeId, up: bool) {
        match node {
            NodeId::Proposer(p) => {
                self.proposers_down = (self.proposers_down & !(1 << p)) | (u8::from(!up) << p)
            }
            NodeId::Acceptor(a) => {
                self.acceptors_down = (self.acceptors_down & !(1 << a)) | (u16::from(!up) << a)
            }
        }
    }

    fn exists(&self, node: NodeId) -> bool {
        match node {
            NodeId::Proposer(p) => (p as usize) < self.proposers.len(),
            NodeId::Acceptor(a) => (a as usize) < self.acceptors.len(),
        }
    }

    /// Whether proposer `p` may time out: up, not done, and under its ballot limit; under
    /// the leader strategy also the leader, and once the network healed also stuck.
    pub fn can_time_out(&self, p: u8, limits: &Limits) -> bool {
        self.is_up(NodeId::Proposer(p))
            && self.decided & (1 << p) == 0
            && self.ballots_started[p as usize] < limits.max_ballots
            && (!limits.leader_only || self.leader() == Some(p))
            && (!limits.stable || self.stuck(p))
    }

    /// The live, undecided proposer with the highest id: the one a perfect failure detector
    /// lets retry under the leader strategy. A decided proposer steps down, so that the
    /// next one runs a ballot of its own and learns the value too.
    pub fn leader(&self) -> Option<u8> {
        (0..self.proposers.len() as u8)
            .rev()
            .find(|&p| self.is_up(NodeId::Proposer(p)) && self.decided & (1 << p) == 0)
    }

    /// Whether nothing sent by or to proposer `p` is in flight: nothing it waits for can
    /// still arrive, so only a new ballot can make progress.
    pub fn stuck(&self, p: u8) -> bool {
        let me = NodeId::Proposer(p);
        !self.network.iter().any(|e| e.src == me || e.dst == me)
    }

    /// Whether some proposer that has not decided used up its ballots.
    pub fn ballots_exhausted(&self, limits: &Limits) -> bool {
        (0..self.proposers.len())
            .any(|p| self.decided & (1 << p) == 0 && self.ballots_started[p] >= limits.max_ballots)
    }

    /// Whether the message at `index` can be delivered now (its destination is up).
    pub fn deliverable(&self, index: usize) -> bool {
        self.is_up(self.network[index].dst)
    }

    /// Applies one event. On error the world is unchanged.
    pub fn apply(
        &mut self,
        proto: &Protocol,
        limits: &Limits,
        event: &Event,
        sink: &mut impl FnMut(Observation),
    ) -> Result<(), StepError>
    where
        A: AcceptorRole,
        P: ProposerRole,
    {
        match *event {
            Event::Deliver(env) | Event::Drop(env) | Event::Duplicate(env) => {
                let index = self
                    .network
                    .iter()
                    .position(|e| *e == env)
                    .ok_or(StepError::NotEnabled)?;
                self.apply_at(proto, limits, event, index, sink)
            }
            Event::Crash(node) => {
                if !self.exists(node) || !self.is_up(node) || self.crashes >= limits.max_crashes {
                    return Err(StepError::NotEnabled);
                }
                self.crashes += 1;
                self.set_up(node, false);
                match node {
                    NodeId::Proposer(p) => {
                        // Volatile state is lost at the crash, not at the restart.
                        self.proposers[p as usize].on_crash();
                        self.decided &= !(1 << p);
                    }
                    NodeId::Acceptor(a) => self.acceptors[a as usize].on_crash(proto),
                }
                Ok(())
            }
            Event::Restart(node) => {
                if !self.exists(node) || self.is_up(node) {
                    return Err(StepError::NotEnabled);
                }
                self.set_up(node, true);
                if let NodeId::Acceptor(a) = node {
                    self.acceptors[a as usize]
                        .on_restart(proto)
                        .map_err(|fault| StepError::Fault { acceptor: a, fault })?;
                }
                Ok(())
            }
            Event::Timeout(p) => {
                if (p as usize) >= self.proposers.len() || !self.can_time_out(p, limits) {
                    return Err(StepError::NotEnabled);
                }
                self.check_room(proto.acceptors as usize, limits)?;
                self.ballots_started[p as usize] += 1;
                let action = self.proposers[p as usize].on_timeout(proto);
                self.act(proto, p, action, sink);
                Ok(())
            }
        }
    }

    /// Applies a message event to the message at `index` (the schedulers know the index;
    /// replays find it by content through [`World::apply`]).
    pub fn apply_at(
        &mut self,
        proto: &Protocol,
        limits: &Limits,
        event: &Event,
        index: usize,
        sink: &mut impl FnMut(Observation),
    ) -> Result<(), StepError>
    where
        A: AcceptorRole,
        P: ProposerRole,
    {
        match event {
            Event::Deliver(_) => {
                if !self.deliverable(index) {
                    return Err(StepError::NotEnabled);
                }
                let env = self.network[index];
                // A delivery can cause a broadcast; refuse before changing anything.
                if matches!(env.dst, NodeId::Proposer(_)) {
                    self.check_room(proto.acceptors as usize, limits)?;
                }
                self.network.swap_remove(index);
                self.deliver(proto, env, sink)
            }
            Event::Drop(_) => {
                if self.drops >= limits.max_drops {
                    return Err(StepError::NotEnabled);
                }
                self.drops += 1;
                self.network.swap_remove(index);
                Ok(())
            }
            Event::Duplicate(_) => {
                if self.duplicates >= limits.max_duplicates {
                    return Err(StepError::NotEnabled);
                }
                self.check_room(1, limits)?;
                self.duplicates += 1;
                self.network.push(self.network[index]);
                Ok(())
            }
            _ => Err(StepError::NotEnabled),
        }
    }

    fn check_room(&self, more: usize, limits: &Limits) -> Result<(), StepError> {
        if self.network.len() + more > limits.max_in_flight as usize {
            Err(StepError::MessageLimit)
        } else {
            Ok(())
        }
    }

    fn deliver(
        &mut self,
        proto: &Protocol,
        env: Envelope,
        sink: &mut impl FnMut(Observation),
    ) -> Result<(), StepError>
    where
        A: AcceptorRole,
        P: ProposerRole,
    {
        match (env.src, env.dst) {
            (NodeId::Proposer(_), NodeId::Acceptor(a)) => {
                let reply = self.acceptors[a as usize]
                    .on_message(proto, &env.msg)
                    .map_err(|fault| StepError::Fault { acceptor: a, fault })?;
                if let Some(reply) = reply {
                    if let Some(obs) = observe::reply(a, &reply) {
                        sink(obs);
                    }
                    self.network.push(Envelope {
                        src: env.dst,
                        dst: env.src,
                        msg: reply,
                    });
                }
            }
            (NodeId::Acceptor(a), NodeId::Proposer(p)) => {
                if let Some(action) = self.proposers[p as usize].on_message(proto, a, &env.msg) {
                    self.act(proto, p, action, sink);
                }
            }
            // Proposers and acceptors only talk across roles; nothing else is ever sent.
            _ => {}
        }
        Ok(())
    }

    fn act(&mut self, proto: &Protocol, p: u8, action: Action, sink: &mut impl FnMut(Observation)) {
        if let Some(obs) = observe::action(p, &action) {
            sink(obs);
        }
        match action {
            Action::Broadcast(msg) => {
                let src = NodeId::Proposer(p);
                for a in 0..proto.acceptors {
                    self.network.push(Envelope {
                        src,
                        dst: NodeId::Acceptor(a),
                        msg,
                    });
                }
            }
            Action::Decide { .. } => self.decided |= 1 << p,
        }
    }

    /// For an event that is not enabled as recorded, the index of an in-flight message it
    /// most plausibly meant: same sender, same receiver, same kind of message, the ballot
    /// and value aside. The shrinker uses this after deleting events upstream changed the
    /// ballots that later messages carry (one fewer timeout renumbers every later ballot).
    pub fn similar(&self, event: &Event) -> Option<usize> {
        let (Event::Deliver(want) | Event::Drop(want) | Event::Duplicate(want)) = event else {
            return None;
        };
        let kind = std::mem::discriminant(&want.msg);
        self.network.iter().position(|e| {
            e.src == want.src && e.dst == want.dst && std::mem::discriminant(&e.msg) == kind
        })
    }

    /// Every enabled event, in a fixed order: deliveries, timeouts, then faults (drops,
    /// duplicates, crashes, restarts). Identical messages in flight give one event each kind.
    /// Choice-driven schedules index into this list, so "lower choice" means "less
    /// adversarial", which is the direction proptest shrinks in.
    pub fn enabled(&self, limits: &Limits, out: &mut Vec<Event>) {
        out.clear();
        let distinct = |i: usize| !self.network[..i].contains(&self.network[i]);
        for i in 0..self.network.len() {
            if self.deliverable(i) && distinct(i) {
                out.push(Event::Deliver(self.network[i]));
            }
        }
        for p in 0..self.proposers.len() as u8 {
            if self.can_time_out(p, limits) {
                out.push(Event::Timeout(p));
            }
        }
        if self.drops < limits.max_drops {
            for i in 0..self.network.len() {
                if distinct(i) {
                    out.push(Event::Drop(self.network[i]));
                }
            }
        }
        if self.duplicates < limits.max_duplicates
            && self.network.len() < limits.max_in_flight as usize
        {
            for i in 0..self.network.len() {
                if distinct(i) {
                    out.push(Event::Duplicate(self.network[i]));
                }
            }
        }
        if self.crashes < limits.max_crashes {
            for node in self.nodes() {
                if self.is_up(node) {
                    out.push(Event::Crash(node));
                }
            }
        }
        for node in self.nodes() {
            if !self.is_up(node) {
                out.push(Event::Restart(node));
            }
        }
    }

    /// Every node: proposers first, then acceptors.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.proposers.len() as u8)
            .map(NodeId::Proposer)
            .chain((0..self.acceptors.len() as u16).map(NodeId::Acceptor))
    }
}
