//! The reduction: two ways of exploring fewer states without losing a violation. Dead
//! messages are taken off the network as soon as they are dead, and at each state only an
//! *ample* subset of the enabled events is expanded when the others can wait. Both are on
//! by default and off with `--no-por`; both are proved below.
//!
//! **Dead messages.** A message is *dead* when delivering it, in this state or any that
//! can follow, changes nothing but the network, observes nothing, and sends nothing but
//! dead messages (see [`dead`]):
//!
//! - a reply its proposer ignores for good: about a ballot the proposer has left behind
//!   (its ballot only grows, and a restart leaves none until the next, higher one), or a
//!   promise or vote it has already counted or no longer collects, or a refusal below the
//!   round it has seen (bugs that count such replies excepted);
//! - a request its acceptor refuses for good, about a ballot its proposer has left
//!   behind: the acceptor promised a higher ballot (promises only grow; under bug Amnesia
//!   only once no crash is left and every acceptor is up), so it answers with a refusal
//!   that is itself a dead reply, and an acceptor that refuses neither changes nor is
//!   observed (bug AcceptBelowPromise excepted, whose acceptor votes anyway).
//!
//! After every step the search takes every dead message off (see [`collect_dead`]), so
//! states that differ only in dead messages are one. This is exact for safety. Let `s`
//! hold a dead message `m` and `s'` be `s` without it. Every execution from `s'` is one
//! from `s` (where `m` just stays in flight: the in-flight limit is out of reach whenever
//! the reduction is on, see [`applies`]). Every execution from `s` becomes one from `s'`
//! by leaving out the delivery of `m` and of every dead message it sends, and any drop or
//! duplicate of them: those steps observe nothing and change no node, and leaving out a
//! drop or duplicate only leaves budget unspent, which allows more, never less. The same
//! steps then observe the same things, so the same invariants break at the same steps.
//! No shortest counterexample delivers a dead message (leaving the delivery out gives a
//! shorter one), so this costs no length either: with `--shortest` only the ample sets
//! are off. Taking messages off can make an event disappear that another node's step
//! would otherwise leave enabled (a timeout makes its requests dead); the event was a
//! delivery, drop or duplicate of a dead message, so an execution that has it is, by the
//! argument above, one that has not, and the proof of the ample sets below goes through
//! with such events left out. The same holds for a key event (below) that another node's
//! step makes dead, which only a crash of its proposer can do: the request was already
//! refused, so taking it first only sends a refusal, and the crash makes that refusal
//! dead and takes it off, which reaches the same states.
//!
//! **Faults that cannot matter.** Some faults add nothing a schedule cannot do without
//! them, and the search leaves them out (see [`cannot_matter`]):
//!
//! - *A crash that changes nothing but a down bit.* An acceptor's state is durable, so
//!   its crash and restart change nothing but its down bit and the crash count (bug
//!   Amnesia aside, whose restart forgets). A proposer's crash loses its volatile state,
//!   so it is left out only when there is none to lose: before its first ballot, or
//!   between a restart and its next timeout (and not once it has decided, which the
//!   crash would undo). Such a crash and the restart observe nothing and send nothing;
//!   while the node is down, messages to it wait in the network and a proposer does not
//!   time out. Take any execution with such a crash and leave out the crash and the
//!   node's next restart, if any (one pair at a time when there are several): the node
//!   took no step in between, and no other node's step looks at its down bit (only
//!   deliveries to it, its own timeout, crash and restart, and under bug Amnesia the dead
//!   requests; the leader strategy, under which a proposer's down bit lets another time
//!   out, is not one the explorer runs, and the rule is off under it). Whether a crash is
//!   left out depends only on the node's own state, which only its own steps change. The
//!   crash count stays lower without the crash, which under bug Amnesia can keep a
//!   request in flight that the crash would have let be judged dead (see `dead_request`):
//!   a dead message, whose delivery changes nothing (above).
//! - *A drop.* Take any execution with a drop and leave the drop out: the message stays
//!   in flight and is never delivered. A message in flight disables nothing, as the
//!   in-flight limit is out of reach whenever the reduction is on (see [`applies`]).
//!
//! Either way every other step stays enabled (a fault left out only leaves budget
//! unspent, which allows more, never less), each node goes through the same states, and
//! the same steps observe the same things and break the same invariants, in a shorter
//! execution. That is exact for safety, and no shortest counterexample has such a fault
//! either, so this stays on with `--shortest`. The proofs below are about the system
//! without those events, which is of the same kind.
//!
//! **Why ample sets work here.** A delivery changes only its destination's state and appends that
//! node's replies to the network (a multiset: the fingerprint ignores message order), so
//! two steps at different nodes lead to the same world in either order, and neither
//! disables the other (each consumes its own message); faults and dead messages aside,
//! see below. Most interleavings of a cluster differ only in such swaps. The reduction
//! expands, where it may, the enabled events of a single node and lets the others wait.
//!
//! **When a node's events may go first (the ample set).** The in-flight limit is shared
//! by every step that sends, so the reduction is off for the whole search unless that
//! limit can never be reached (see [`applies`]). Otherwise the ample set at a state `s` is
//! `E(n)`, every enabled event of one node `n`: its deliveries, its timeout, its crash
//! and restart, and the drops and duplicates of messages to it, where `n` is either
//!
//! - a proposer `p` with no message *from* `p` in flight that can bring back a reply `p`
//!   acts on: none about `p`'s current ballot (a request about an older one is answered
//!   with a reply that is dead on arrival, bugs StalePromise and LearnMixedBallots
//!   excepted, under which every message from `p` counts). Only an acceptor answering one
//!   of `p`'s messages sends to `p`, and only `p` sends those, so as long as `p` takes
//!   no step nothing new that `p` acts on can reach `p`: every path from `s` that avoids
//!   `E(p)` consists of events at other nodes (and dead messages to `p`, taken off as
//!   they appear), and leaves `p`'s state, its messages and its events alone; or
//! - an acceptor `a`, when no proposer can send again or decide without `a` acting
//!   first: every proposer has used up its ballots or decided (and no crash is left to
//!   undo a decision), and none is collecting promises or votes with a live message of
//!   that ballot to or from it in flight. Then nothing new reaches `a`, and no step
//!   elsewhere emits a `Decide`.
//!
//! Crashes, drops and duplicates spend budgets shared by all nodes, so another node's
//! fault may disable one of `E(n)`'s; but then, if a path `u1 .. uk t` with `t` in `E(n)`
//! and no `ui` in it is possible, so is `t u1 .. uk`, to the same state (the budget is
//! spent the same), and `E(n)` must hold at least one delivery, timeout or restart, which
//! nothing outside `E(n)` can disable (a *key* event). These are conditions D1 and D2 of
//! stubborn sets (Valmari), the persistence that the proof below needs. The smallest
//! such set is taken (the node with the fewest events, ties to the lowest node number),
//! or every event when none qualifies.
//!
//! **The checker observes every step, so steps must commute for it too.** The checker is
//! part of the state, and a step's verdict depends on what it saw before. What makes the
//! swaps sound is how the checker decides each invariant (see `crate::checker`): records
//! per `(ballot, value)` (a set of voters, a proposed flag), the lowest chosen pair, the
//! highest ballot carrying each value, and a floor and latest vote per acceptor. Records
//! and maxima do not depend on order; floors and latest votes are per acceptor, and two
//! steps at different nodes never touch the same acceptor's. Hence, for a step `t` of the
//! ample set and a step `u` at another node, from any state:
//!
//! 1. if `u` then `t` breaks nothing, `t` then `u` either breaks something or ends in the
//!    same checker (the same records and floors, hence the same fingerprint);
//! 2. if `u` breaks an invariant (or `t` does after `u`), `t` then `u` breaks one too.
//!
//! (2) is where the invariants' form matters. Proposals and votes are checked "whatever
//! order the events come in" (immutability compares the chosen ballot with the highest
//! ballot carrying another value, both of which only grow), so observing one more proposal
//! or vote first never hides a break. The exception is `Decide`: a learner deciding `v`
//! breaks learner agreement when `v` is not chosen *yet*, and a vote observed first could
//! make it chosen. So a vote must never be moved ahead of a decide, and that is why an
//! acceptor's events are ample only when no proposer can decide before the acceptor acts.
//! Moving a decide (or a proposal) ahead of votes is fine: a decide that did not break
//! after the votes either breaks before them or the votes change the chosen value, which
//! breaks agreement. `tests` checks (1) and (2) on random states of every bug.
//!
//! **The proof.** Every execution is finite: each ballot sends at most `4A` messages (a
//! prepare and an accept to each acceptor, one reply to each), each duplicate at most two,
//! every step but a timeout, crash or restart consumes a message, and those are bounded.
//! So each state has a finite *height* (the longest execution from it). Claim: if some
//! execution from a state `s` the search expands ends in a step that breaks an invariant,
//! the reduced search meets a breaking step. By induction on the height of `s`. Let
//! `w = u1 .. uk` be such an execution and `A` the ample set at `s`. If `A` is every
//! event, take `t = u1`. Otherwise, if some `ui` is in `A`, take the first such as `t`:
//! `u1 .. u(i-1)` are at other nodes, so by D1, (1) and (2)
//! `t, u1, .., u(i-1), u(i+1), .., uk` is an execution that breaks, no later than `w`. If
//! no `ui` is in `A`, take a key event `t` of `A`: it stays enabled along `w` (D2), and if
//! it broke after some prefix of `w` that prefix plus `t` is a breaking execution of the
//! first kind; else by D1, (1) and (2) `t, u1, .., uk` breaks. Either way `t`
//! breaks at `s` (found), or a breaking execution leaves `t(s)`, whose height is lower. The
//! search expands `t(s)` unless it met a state with the same fingerprint before: with
//! symmetry on, a renaming of `t(s)`, from which the renamed execution breaks (renaming
//! acceptors maps executions and violations to their renamings), at the same height. The
//! induction applies either way. No cycle proviso is needed because there are no cycles
//! (heights are finite), and symmetry needs nothing of the ample sets because the argument
//! is per state: the ample set of the state actually stored is the one used.
//!
//! **What it costs: the shortest counterexample.** The second case adds `t` to the
//! execution, so a violation the reduced search finds may be longer than the shortest one.
//! `explore` says so when it prints one, and `--shortest` (or `--no-por`) turns the
//! reduction off, which gives back the breadth-first guarantee.

use crate::ballot::Ballot;
use crate::bug::Bug;
use crate::event::{Envelope, Event, NodeId};
use crate::protocol::{Msg, Phase, Protocol};
use crate::roles::ProposerRole;
use crate::world::{Limits, World};

/// Whether the reduction may be used at all for `limits`: the in-flight limit is shared by
/// every step that sends, so it must be out of reach. Every ballot sends at most `4A`
/// messages and every duplicate adds at most two (the copy and its reply), so no state
/// ever has more than `4 A P B + 2 D` in flight.
pub fn applies(limits: &Limits, acceptors: u16, proposers: u8) -> bool {
    let most = 4 * u64::from(acceptors) * u64::from(proposers) * u64::from(limits.max_ballots)
        + 2 * u64::from(limits.max_duplicates);
    u64::from(limits.max_in_flight) >= most
}

/// Whether the search leaves `event` out of `world` when the reduction is on, as a fault
/// that adds nothing a schedule cannot do without it (see the module docs, "Faults that
/// cannot matter"): a drop; an acceptor's crash, its state being durable (under bug
/// Amnesia a restart forgets, so its crashes stay); a proposer's crash while it holds
/// nothing volatile, so that the crash leaves it as it is.
pub fn cannot_matter(proto: &Protocol, limits: &Limits, world: &World, event: &Event) -> bool {
    match *event {
        Event::Drop(_) => true,
        Event::Crash(NodeId::Acceptor(_)) => proto.bug != Some(Bug::Amnesia),
        Event::Crash(NodeId::Proposer(p)) => {
            // Only the leader strategy lets a proposer's down bit enable another's timeout.
            // The world's decided bit, which the crash clears too, is set only while the
            // proposer's phase is Decided, which the crash resets: comparing the proposer
            // covers it.
            !limits.leader_only && {
                let proposer = &world.proposers[p as usize];
                let mut crashed = proposer.clone();
                crashed.on_crash();
                crashed == *proposer
            }
        }
        _ => false,
    }
}

/// Whether the proposer the reply `env` goes to will ignore it in this state and in
/// every state that can follow: then delivering it only takes it off the network (see the
/// module docs). This reads the built-in proposer's rules (`Proposer::on_msg`), bugs
/// included; a test delivers messages judged dead in later states of random walks.
///
/// A proposer's current ballot only grows: a timeout takes a round above every round it
/// used or saw, and a restart leaves no ballot until the next timeout. Every message to a
/// proposer answers one of its own, so carries a ballot it used: once below the current
/// ballot (or when there is none), it stays below. A ballot's phase only moves forward.
fn dead_reply(proto: &Protocol, world: &World, from: u16, p: u8, msg: &Msg) -> bool {
    let s = world.proposers[p as usize].state();
    let has = |bug| proto.bug == Some(bug);
    let ballot = msg.ballot();
    let stale = stale(world, p, ballot);
    let current = s.ballot == Some(ballot);
    match *msg {
        // Bug StalePromise counts a promise for an older ballot of the same proposer.
        Msg::Promise { .. } => {
            !has(Bug::StalePromise)
                && (stale
                    || (current
                        && (s.phase != Phase::Preparing
                            || (s.promises.contains(from) && !has(Bug::CountDuplicates)))))
        }
        // Bug LearnMixedBallots counts a vote for an older ballot of the same proposer.
        Msg::Accepted { value, .. } => {
            !has(Bug::LearnMixedBallots)
                && (stale
                    || (current
                        && (s.phase == Phase::Decided
                            || (s.phase == Phase::Accepting
                                && (Some(value) != s.proposal || s.votes.contains(from))))))
        }
        // Only a refusal of the current ballot raises the round seen, and only above it.
        Msg::Nack { promised, .. } => stale || (current && promised.round() <= s.round_seen),
        Msg::Prepare { .. } | Msg::Accept { .. } => false,
    }
}

/// Whether `ballot`, one of proposer `p`'s, is below its current ballot, or it has none:
/// true from then on (see [`dead_reply`]), so a reply about it is ignored for good, bugs
/// StalePromise and LearnMixedBallots aside.
fn stale(world: &World, p: u8, ballot: Ballot) -> bool {
    world.proposers[p as usize]
        .state()
        .ballot
        .is_none_or(|current| ballot < current)
}

/// Whether the request `env` (a prepare or an accept) is dead: its acceptor promised a
/// ballot above it, so it refuses it without changing (an acceptor refuses exactly the
/// ballots below its promise, and observes nothing when it does), and the refusal it
/// sends is about a ballot its proposer has left behind, which the proposer ignores.
/// Promises only grow (bug Amnesia aside, whose restart forgets them: not while a crash
/// is left or an acceptor is down) and so do proposers' ballots, so both stay true.
fn dead_request(
    proto: &Protocol,
    limits: &Limits,
    world: &World,
    a: u16,
    p: u8,
    msg: &Msg,
) -> bool {
    if proto.bug == Some(Bug::Amnesia)
        && (world.crashes < limits.max_crashes || world.acceptors_down != 0)
    {
        return false;
    }
    let promised = world.acceptors[a as usize].view().promised;
    let refused = match *msg {
        Msg::Prepare { ballot } => Some(ballot) < promised,
        // Bug AcceptBelowPromise votes below the promise.
        Msg::Accept { ballot, .. } => {
            proto.bug != Some(Bug::AcceptBelowPromise) && Some(ballot) < promised
        }
        Msg::Promise { .. } | Msg::Accepted { .. } | Msg::Nack { .. } => false,
    };
    refused && stale(world, p, msg.ballot())
}

/// Whether the message `env` is dead in `world`: delivering it, now or in any state that
/// can follow, changes nothing but the network, observes nothing, and sends nothing that
/// is not dead on arrival. Such a message can be taken off the network at once (see the
/// module docs, "Dead messages").
pub fn dead(proto: &Protocol, limits: &Limits, world: &World, env: &Envelope) -> bool {
    match (env.src, env.dst) {
        (NodeId::Acceptor(a), NodeId::Proposer(p)) => dead_reply(proto, world, a, p, &env.msg),
        (NodeId::Proposer(p), NodeId::Acceptor(a)) => {
            dead_request(proto, limits, world, a, p, &env.msg)
        }
        _ => false,
    }
}

/// Takes every dead message (see [`dead`]) off the network of a world that had none
/// before `event` was applied to it. The search applies this after every step when the
/// reduction is on, so that states that differ only in dead messages are one.
///
/// Only messages to or from the node the event changed are looked at: whether a message
/// is dead depends on its destination's state and, for a request, on whether its
/// proposer left its ballot behind, and a step changes one node (and sends only from
/// it). The exception is bug Amnesia, whose requests can die only once no crash is left
/// and every acceptor is up: a crash or restart looks at every message.
///
/// Returns the lowest network position it changed (the length if none): messages are
/// taken off by moving the last one into their place, so every position from there on may
/// hold another message, and none below it does (the fingerprint compares only those).
pub fn collect_dead(proto: &Protocol, limits: &Limits, world: &mut World, event: &Event) -> usize {
    let node = node_of(event);
    let every =
        proto.bug == Some(Bug::Amnesia) && matches!(event, Event::Crash(_) | Event::Restart(_));
    let lowest = if matches!(event, Event::Drop(_) | Event::Duplicate(_)) {
        world.network.len()
    } else {
        take_off_dead(proto, limits, world, |env| {
            every || env.src == node || env.dst == node
        })
    };
    debug_assert!(
        !world.network.iter().any(|e| dead(proto, limits, world, e)),
        "a dead message was left after {event}"
    );
    lowest
}

/// Takes off the network every message that `looked_at` selects and that is dead;
/// returns the lowest position it took one from (the network's length if none).
fn take_off_dead(
    proto: &Protocol,
    limits: &Limits,
    world: &mut World,
    looked_at: impl Fn(&Envelope) -> bool,
) -> usize {
    let mut lowest = None;
    let mut i = 0;
    while i < world.network.len() {
        let env = &world.network[i];
        if looked_at(env) && dead(proto, limits, world, env) {
            world.network.swap_remove(i);
            lowest.get_or_insert(i);
        } else {
            i += 1;
        }
    }
    lowest.unwrap_or(world.network.len())
}

/// The node an enabled event belongs to: where it is delivered, or who times out,
/// crashes or restarts; a drop or a duplicate belongs to the message's destination.
fn node_of(event: &Event) -> NodeId {
    match *event {
        Event::Deliver(env) | Event::Drop(env) | Event::Duplicate(env) => env.dst,
        Event::Timeout(p) => NodeId::Proposer(p),
        Event::Crash(node) | Event::Restart(node) => node,
    }
}

/// Whether an event spends a shared budget (crashes, drops, duplicates): another node's
/// event of the same kind can use it up.
fn budgeted(event: &Event) -> bool {
    matches!(
        event,
        Event::Crash(_) | Event::Drop(_) | Event::Duplicate(_)
    )
}

/// Marks in `ample` (one flag per entry of `enabled`) the events of the smallest ample
/// set, and returns true; returns false, leaving `ample` unspecified, when every event
/// must be expanded.
pub fn ample(
    proto: &Protocol,
    world: &World,
    limits: &Limits,
    enabled: &[(Event, u32)],
    ample: &mut Vec<bool>,
) -> bool {
    let n_prop = world.proposers.len();
    let n_acc = world.acceptors.len();
    // Under these two bugs a proposer counts replies about its own older ballots, so a
    // request of an older ballot can still bring it something to act on.
    let stale_counts = matches!(
        proto.bug,
        Some(Bug::StalePromise) | Some(Bug::LearnMixedBallots)
    );
    // Per proposer: messages from it in flight that can bring back a reply it acts on,
    // and such messages or replies to it. A request about a ballot its proposer has left
    // behind can still change its acceptor, but the reply is dead on arrival and taken
    // off at once (see `collect_dead`), so it brings the proposer nothing.
    let mut from = [false; crate::config::MAX_PROPOSERS as usize];
    let mut touching = [false; crate::config::MAX_PROPOSERS as usize];
    for env in &world.network {
        match (env.src, env.dst) {
            (NodeId::Proposer(p), _) if stale_counts || !stale(world, p, env.msg.ballot()) => {
                from[p as usize] = true;
                touching[p as usize] = true;
            }
            (_, NodeId::Proposer(p)) => touching[p as usize] = true,
            _ => {}
        }
    }
    // Acceptors may go first only if no proposer can send to them or decide. A decided
    // proposer times out again after a crash (which clears its decision).
    let crashes_left = world.crashes < limits.max_crashes;
    let proposers_quiet = (0..n_prop).all(|p| {
        let can_time_out_again = world.ballots_started[p] < limits.max_ballots
            && (world.decided & (1 << p) == 0 || crashes_left);
        let phase = world.proposers[p].state().phase;
        let collecting = matches!(phase, Phase::Preparing | Phase::Accepting) && touching[p];
        !can_time_out_again && !collecting
    });
    // Per node (proposers first, then acceptors): its events, and those of them that no
    // other node's event can disable (deliveries, timeouts, restarts).
    const NODES: usize =
        crate::config::MAX_PROPOSERS as usize + crate::config::MAX_ACCEPTORS as usize;
    let (mut count, mut keys) = ([0u32; NODES], [0u32; NODES]);
    let slot = |node: NodeId| match node {
        NodeId::Proposer(p) => p as usize,
        NodeId::Acceptor(a) => n_prop + a as usize,
    };
    for (event, _) in enabled {
        let i = slot(node_of(event));
        count[i] += 1;
        keys[i] += u32::from(!budgeted(event));
    }
    let qualifies = |i: usize| {
        if i < n_prop {
            !from[i]
        } else {
            proposers_quiet
        }
    };
    let best = (0..n_prop + n_acc)
        .filter(|&i| keys[i] > 0 && qualifies(i))
        .min_by_key(|&i| (count[i], i));
    let Some(best) = best else {
        return false;
    };
    if count[best] as usize == enabled.len() {
        return false;
    }
    ample.clear();
    ample.extend(enabled.iter().map(|(e, _)| slot(node_of(e)) == best));
    true
}

/// Takes every dead message off, looking at every message: the reference that
/// [`collect_dead`] is checked against.
#[cfg(test)]
fn collect_all_dead(proto: &Protocol, limits: &Limits, world: &mut World) {
    take_off_dead(proto, limits, world, |_| true);
}

#[cfg(test)]
#[allow(clippy::disallowed_macros)] // tests print their figures to the harness
mod tests {
    use super::*;
    use crate::bug::Bug;
    use crate::checker::Checker;
    use crate::explore::codec::Codec;
    use crate::explore::enabled::enabled_events;
    use crate::explore::fingerprint::tests::key;
    use crate::protocol::Protocol;
    use crate::rng::Prng;
    use crate::world::reset_checker;

    /// Applies `event` to a copy; `None` if not enabled, else whether something broke.
    fn step(
        proto: &Protocol,
        limits: &Limits,
        world: &World,
        checker: &Checker,
        event: &Event,
        collect: bool,
    ) -> Option<(World, Checker, bool)> {
        let (mut w, mut c) = (world.clone(), checker.clone());
        let mut broke = false;
        w.apply(proto, limits, event, &mut |o| {
            broke |= c.observe(o).is_some()
        })
        .ok()?;
        if collect {
            // The reduced search's step: dead messages go at once.
            collect_dead(proto, limits, &mut w, event);
        }
        Some((w, c, broke))
    }

    /// Random walks of three acceptors and two proposers under no bug and then every bug,
    /// the generator seeded `seed + k` for the k-th: `walks` walks of at most `steps`
    /// events each, per bug. `visit` sees every state before the next event is drawn, with
    /// its step number in the walk (0: a walk starts); a walk ends where nothing is enabled
    /// or a step breaks an invariant. `collect`: steps take dead messages off, as the
    /// reduced search's do.
    fn random_walks(
        limits: &Limits,
        collect: bool,
        seed: u64,
        walks: usize,
        steps: usize,
        mut visit: impl FnMut(&Protocol, &World, &Checker, usize),
    ) {
        let bugs = std::iter::once(None).chain(Bug::ALL.iter().copied().map(Some));
        for (k, bug) in bugs.enumerate() {
            let proto = Protocol::majority(3, bug);
            let mut rng = Prng::new(seed + k as u64);
            let mut enabled = Vec::new();
            for _walk in 0..walks {
                let mut world = World::new(&proto, 2);
                let mut checker = Checker::default();
                reset_checker(&mut checker, &proto, 2);
                for n in 0..steps {
                    visit(&proto, &world, &checker, n);
                    world.enabled(limits, &mut enabled);
                    if enabled.is_empty() {
                        break;
                    }
                    let e = enabled[rng.below(enabled.len() as u32) as usize];
                    match step(&proto, limits, &world, &checker, &e, collect) {
                        Some((w, c, false)) => {
                            world = w;
                            checker = c;
                        }
                        _ => break,
                    }
                }
            }
        }
    }

    /// The properties the module's proof rests on, on random states of every bug where the
    /// reduction applies: for `t` in the ample set and `u` outside it, `u` leaves `t`
    /// enabled unless both spend one budget, and then (1) if
    /// `u, t` breaks nothing, `t, u` breaks something or reaches the same state, and (2)
    /// if `u` breaks, or `t` after `u`, then `t, u` breaks too. And the reduction applies
    /// often enough for the check to mean something.
    #[test]
    fn ample_steps_commute_with_the_rest_for_world_and_checker() {
        let limits = Limits {
            max_crashes: 1,
            max_duplicates: 1,
            max_ballots: 2,
            ..Limits::default()
        };
        let (mut reduced, mut pairs, mut stutters) = (0u32, 0u32, 0u32);
        let mut codec: Option<(Protocol, Codec)> = None;
        let (mut enabled, mut firsts, mut mask) = (Vec::new(), Vec::new(), Vec::new());
        random_walks(&limits, true, 1000, 150, 40, |proto, world, checker, _| {
            let proto = *proto;
            if codec.as_ref().is_none_or(|(p, _)| *p != proto) {
                codec = Some((proto, Codec::new(proto, 2)));
            }
            let codec = &mut codec.as_mut().expect("just made").1;
            enabled_events(world, &limits, &mut firsts, &mut enabled);
            if enabled.is_empty() || !ample(&proto, world, &limits, &enabled, &mut mask) {
                return;
            }
            let bug = proto.bug;
            reduced += 1;
            for (i, (t, _)) in enabled.iter().enumerate() {
                for (j, (u, _)) in enabled.iter().enumerate() {
                    if !mask[i] || mask[j] {
                        continue;
                    }
                    pairs += 1;
                    let (wu, cu, u_broke) = step(&proto, &limits, world, checker, u, true).unwrap();
                    let (wt, ct, t_broke) = step(&proto, &limits, world, checker, t, true).unwrap();
                    // Another node's crash, drop or duplicate may use up the budget a fault
                    // of the ample set needed; nothing else disables an ample event (the key
                    // events, see the docs).
                    let Some(ut) = step(&proto, &limits, &wu, &cu, t, true) else {
                        assert!(budgeted(t) && budgeted(u), "{bug:?}: {u} disables {t}");
                        continue;
                    };
                    let Some(tu) = step(&proto, &limits, &wt, &ct, u, true) else {
                        // `t` made `u`'s message dead, so it was taken off: then `u` was a
                        // refusal nobody acts on, or a drop or duplicate of such a message,
                        // and `u, t` is `t` but for the fault budget `u` spent, which
                        // leaves `t` alone able to do more (see the module docs).
                        let (Event::Deliver(env) | Event::Drop(env) | Event::Duplicate(env)) = *u
                        else {
                            panic!("{bug:?}: {t} disables {u}, not a message event");
                        };
                        assert!(
                            !wt.network.contains(&env),
                            "{bug:?}: {t} disables {u} with its message in flight"
                        );
                        assert!(!u_broke && !ut.2 || t_broke, "{bug:?}: {u} then {t} breaks");
                        if !t_broke {
                            let mut spent = ut.0.clone();
                            spent.drops = wt.drops;
                            spent.duplicates = wt.duplicates;
                            assert_eq!(
                                key(codec, &spent, &ut.1),
                                key(codec, &wt, &ct),
                                "{bug:?}: {u} then {t} is not {t}"
                            );
                        }
                        stutters += 1;
                        continue;
                    };
                    let tu_broke = t_broke || tu.2;
                    if u_broke || ut.2 {
                        assert!(tu_broke, "{bug:?}: {u} then {t} breaks, not {t} then {u}");
                    } else if !tu_broke {
                        assert_eq!(
                            key(codec, &ut.0, &ut.1),
                            key(codec, &tu.0, &tu.1),
                            "{bug:?}: {u} and {t} do not commute"
                        );
                    }
                }
            }
        });
        assert!(
            reduced > 5_000 && pairs > 20_000 && stutters > 0,
            "{reduced} states, {pairs} pairs, {stutters} made dead"
        );
        eprintln!("{reduced} reduced states, {pairs} pairs checked, {stutters} made dead");
    }

    /// Every state within `depth` events, breadth-first with exact keys (no symmetry, no
    /// fingerprints), taking dead messages off after every step if `collect`, leaving
    /// out the faults that cannot matter if `faults_out` (see [`cannot_matter`]): the keys of the
    /// states reached, each with dead messages taken off, and the invariants broken with
    /// the fewest events to each.
    fn reachable(
        proto: &Protocol,
        limits: &Limits,
        depth: usize,
        collect: bool,
        faults_out: bool,
    ) -> (Vec<Vec<u64>>, Vec<(String, usize)>) {
        use rustc_hash::{FxHashMap, FxHashSet};
        let mut codec = Codec::new(*proto, 2);
        let mut root = World::new(proto, 2);
        let mut checker = Checker::default();
        reset_checker(&mut checker, proto, 2);
        collect_all_dead(proto, limits, &mut root);
        let mut seen: FxHashSet<Vec<u64>> = FxHashSet::default();
        let mut collected: FxHashSet<Vec<u64>> = FxHashSet::default();
        let mut broken: FxHashMap<String, usize> = FxHashMap::default();
        seen.insert(key(&mut codec, &root, &checker));
        let mut level = vec![(root, checker)];
        let mut enabled = Vec::new();
        for d in 0..=depth {
            let mut next = Vec::new();
            for (world, checker) in &level {
                let mut w = world.clone();
                collect_all_dead(proto, limits, &mut w);
                collected.insert(key(&mut codec, &w, checker));
                if d == depth {
                    continue;
                }
                world.enabled(limits, &mut enabled);
                for e in &enabled {
                    if faults_out && cannot_matter(proto, limits, world, e) {
                        continue;
                    }
                    let (mut w, mut c) = (world.clone(), checker.clone());
                    let mut broke = None;
                    w.apply(proto, limits, e, &mut |o| {
                        if let Some(v) = c.observe(o) {
                            broke.get_or_insert(v.invariant);
                        }
                    })
                    .expect("enabled");
                    if let Some(invariant) = broke {
                        broken.entry(invariant.name().to_string()).or_insert(d + 1);
                        continue;
                    }
                    if collect {
                        collect_dead(proto, limits, &mut w, e);
                    }
                    if seen.insert(key(&mut codec, &w, &c)) {
                        next.push((w, c));
                    }
                }
            }
            level = next;
        }
        let mut states: Vec<Vec<u64>> = collected.into_iter().collect();
        states.sort();
        let mut broken: Vec<(String, usize)> = broken.into_iter().collect();
        broken.sort();
        (states, broken)
    }

    /// Taking dead messages off is exact: under no bug and every bug, the states reached
    /// with it are exactly the states reached without it, each with its dead messages
    /// taken off, and the same invariants break at the same depths. (Drops and duplicates
    /// are zero here: a drop or duplicate of a dead message spends budget for nothing,
    /// which the search with collection never does, so the counters would differ.)
    #[test]
    fn collecting_dead_messages_loses_no_state_and_no_violation() {
        let limits = Limits {
            max_crashes: 1,
            max_duplicates: 0,
            max_drops: 0,
            max_ballots: 2,
            ..Limits::default()
        };
        let bugs = std::iter::once(None).chain(Bug::ALL.iter().copied().map(Some));
        let (mut sizeable, mut states) = (0, 0);
        for bug in bugs {
            let proto = Protocol::majority(3, bug);
            let plain = reachable(&proto, &limits, 8, false, false);
            let collected = reachable(&proto, &limits, 8, true, false);
            assert_eq!(plain.1, collected.1, "{bug:?}: violations differ");
            assert!(plain.0 == collected.0, "{bug:?}: states differ");
            states += plain.0.len();
            sizeable += usize::from(plain.0.len() > 1000);
        }
        assert!(states > 100_000 && sizeable == 11, "{states} states");
        eprintln!("{states} states compared");
    }

    /// Leaving out the faults that cannot matter is exact: under no bug and every bug, the
    /// same invariants break within the same number of events, with one crash allowed and
    /// then one drop (and under bug Amnesia, whose restart forgets, its violation needs an
    /// acceptor's crash, which stays). Fewer states are reached, all of them reached with
    /// the faults too.
    #[test]
    fn leaving_out_faults_that_cannot_matter_loses_no_violation() {
        let limits = |crashes, drops| Limits {
            max_crashes: crashes,
            max_duplicates: 0,
            max_drops: drops,
            max_ballots: 2,
            ..Limits::default()
        };
        // Amnesia breaks only with a crash.
        for (limits, fewest, least_broken) in [(limits(1, 0), 11, 5), (limits(0, 1), 11, 4)] {
            let bugs = std::iter::once(None).chain(Bug::ALL.iter().copied().map(Some));
            let (mut broken, mut fewer) = (0, 0);
            for bug in bugs {
                let proto = Protocol::majority(3, bug);
                let with = reachable(&proto, &limits, 8, true, false);
                let without = reachable(&proto, &limits, 8, true, true);
                assert_eq!(with.1, without.1, "{bug:?}: violations differ");
                assert!(
                    without.0.iter().all(|s| with.0.binary_search(s).is_ok()),
                    "{bug:?}: a state reached only without the faults"
                );
                broken += with.1.len();
                fewer += usize::from(without.0.len() < with.0.len());
                if bug == Some(Bug::Amnesia) && limits.max_crashes > 0 {
                    assert!(!with.1.is_empty(), "Amnesia broke nothing");
                }
            }
            assert!(
                broken >= least_broken && fewer == fewest,
                "{limits:?}: {broken} broken, {fewer} with fewer states"
            );
        }
    }

    /// A proposer's crash is left out exactly when it changes nothing but the proposer's
    /// down bit and the crash count (its volatile state already lost), on random walks
    /// under every bug; and both kinds of proposer crash occur, so neither side is vacuous.
    #[test]
    fn a_proposers_crash_is_left_out_when_it_changes_nothing_else() {
        let limits = Limits {
            max_crashes: 3,
            max_ballots: 3,
            ..Limits::default()
        };
        let (mut out, mut kept) = (0u32, 0u32);
        let mut enabled = Vec::new();
        random_walks(&limits, true, 4000, 200, 60, |proto, world, _, _| {
            world.enabled(&limits, &mut enabled);
            for e in &enabled {
                let Event::Crash(NodeId::Proposer(p)) = *e else {
                    continue;
                };
                let mut after = world.clone();
                after
                    .apply(proto, &limits, e, &mut |_| {})
                    .expect("enabled");
                after.proposers_down &= !(1 << p);
                after.crashes -= 1;
                let stutter = after == *world;
                assert_eq!(
                    cannot_matter(proto, &limits, world, e),
                    stutter,
                    "{e} in {world:?}"
                );
                out += u32::from(stutter);
                kept += u32::from(!stutter);
            }
        });
        assert!(out > 100 && kept > 100, "{out} left out, {kept} kept");
        eprintln!("{out} proposers' crashes left out, {kept} kept");
    }

    /// A message `dead` judges dead is ignored by its proposer then and in every later
    /// state of random walks under every bug, faults included: delivering it changes
    /// nothing but the network and observes nothing.
    #[test]
    fn dead_messages_stay_dead() {
        let limits = Limits {
            max_crashes: 2,
            max_duplicates: 2,
            max_ballots: 3,
            ..Limits::default()
        };
        let (mut judged, mut checked) = (0u32, 0u32);
        // The messages judged dead so far on the current walk.
        let mut dead_ones: Vec<Envelope> = Vec::new();
        random_walks(&limits, false, 2000, 200, 60, |proto, world, _, n| {
            if n == 0 {
                dead_ones.clear();
            }
            let bug = proto.bug;
            for env in &world.network {
                if dead(proto, &limits, world, env) && !dead_ones.contains(env) {
                    judged += 1;
                    dead_ones.push(*env);
                }
            }
            for env in &dead_ones {
                let Some(i) = world.network.iter().position(|e| e == env) else {
                    continue;
                };
                if !world.deliverable(i) {
                    continue;
                }
                checked += 1;
                let mut w = world.clone();
                let mut observed = false;
                w.apply_at(proto, &limits, &Event::Deliver(*env), i, &mut |_| {
                    observed = true
                })
                .unwrap();
                // A dead request is refused: the refusal is sent, and is dead on arrival.
                let sent: Vec<Envelope> = w.network[world.network.len() - 1..].to_vec();
                assert!(
                    sent.iter().all(|m| dead(proto, &limits, &w, m)),
                    "{bug:?}: {env} was judged dead but sends a live reply"
                );
                w.network.truncate(world.network.len() - 1);
                let mut expect = world.clone();
                expect.network.swap_remove(i);
                assert!(
                    !observed && w == expect,
                    "{bug:?}: {env} was judged dead but changes the state"
                );
            }
        });
        assert!(
            judged > 10_000 && checked > 50_000,
            "{judged} judged, {checked} checked"
        );
        eprintln!("{judged} messages judged dead, {checked} deliveries checked");
    }
}
