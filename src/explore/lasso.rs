//! Liveness by exhaustive search (`explore --liveness`): a *lasso*, a reachable cycle
//! after the network healed along which the proposers never all learn a chosen value
//! although every message is eventually delivered, or the proof that there is none.
//!
//! **The model.** The network healed at the start (the stabilisation point is step 0):
//! no drops, duplicates or crashes, no ballot limit, and a proposer's timer fires only when
//! it is stuck, with nothing of its own in flight ([`Limits::stabilised`]); the proposer
//! strategy decides who may retry (`leader`: only the highest live undecided proposer).
//! Back-off is a matter of timing, which this untimed model has none of: under `backoff` the
//! search sees the same transitions as under `eager`, and finds the same duel, which is
//! what back-off makes unlikely, not impossible.
//!
//! **Why an abstraction.** A duel raises ballots without bound, so no concrete state ever
//! repeats and the concrete graph has no cycle. States are therefore identified up to an
//! order-preserving renaming of ballot rounds: every round that appears in the state (in
//! an acceptor's promise or vote, a proposer's round, the highest round it saw refused,
//! its ballot and the highest vote reported to it, and every message), together with each
//! proposer's *next* round, `max(round, round seen) + 1`, and 0, is replaced by its rank
//! among them. Proposer slots (the low bits of a ballot) are kept.
//!
//! **Why that is sound.** Paxos compares ballots and never does arithmetic on them; the
//! one piece of arithmetic in the simulator is the proposer's next ballot, one round above
//! the highest it has used or seen. Every decision the roles make is a comparison (`>=`,
//! `<`, `==`, `max`) between ballots present in the state or the next ballot, and an
//! order-preserving map preserves every such comparison. The next round is in the renamed
//! set and nothing lies strictly between a round `r` and `r + 1`, so the ranks are dense
//! there: the renamed proposer's `max + 1` is exactly the rank of the original's `max + 1`.
//! So a state and its renaming enable the same events up to the renaming, and their
//! successors are renamings of each other: the renamed graph is a bisimulation quotient of
//! the concrete one, and a cycle in it unrolls into an infinite concrete execution with
//! ever higher ballots along which the same things happen. `tests/suite/liveness.rs` checks this
//! on reachable states: the renamed successors of a state are those of its renaming.
//!
//! **Acceptor symmetry.** States are also identified up to renaming acceptors, as the
//! safety explorer does (`fingerprint`): acceptors all run the same code, and only the
//! quorum sizes, never their names, decide anything. One field names an acceptor and is
//! compared by name: the reporter of a proposer's highest vote, used only to break a tie
//! between reports of the same ballot, which carry the same value. It decides which
//! acceptor a trace says the value was adopted from and nothing else, so the key forgets it
//! ([`key`]); with it forgotten, renaming acceptors maps every step to a step, and the
//! quotient is again a bisimulation (`tests/suite/liveness.rs` checks both on reachable states).
//! A cycle of the quotient may return to its state with the acceptors renamed; repeated
//! as many times as that renaming's order (at most 6 laps for 3 acceptors), it returns
//! exactly, so it is a lasso all the same, and fairness holds on every lap.
//!
//! **Fairness.** Every message is to or from a proposer, and after the healing a proposer
//! times out only when nothing of its own is in flight. So a cycle on which every proposer
//! that has a message in flight somewhere also times out somewhere delivers every message
//! within one lap: the weak fairness on deliveries that the issue asks for, and more. A
//! proposer that could time out in every state of the cycle must time out on it too (weak
//! fairness on timers), or the cycle would be an artefact of never letting it try.
//!
//! **Shortest.** States are found breadth-first, so each has its shortest prefix. For each
//! state in that order the shortest fair cycle through it is found by a breadth-first search
//! over (state, proposers that timed out, proposers with messages, proposers always able to
//! time out), bounded by the best lasso so far; the search stops once prefixes alone are
//! as long as the best lasso. The lasso reported is the shortest (prefix + cycle), ties to
//! the shortest prefix, in the quotient; a concrete lasso is at least as long.
//!
//! **Stopping early.** Every state of a lasso of total length `L` is at depth below `L`
//! (its prefix is at most that long, and each state of its cycle is reached within it). So
//! once every state at depth `d` or less is expanded, a lasso of length `d + 1` or less
//! found in the graph built so far is the shortest there is, and the search stops there.
//! For three acceptors and two eager proposers that is after 1.07 million of the 15.3
//! million states of the whole quotient. The graph is looked at as it grows by half, and,
//! once a lasso is seen, when the search reaches its length.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::ballot::Ballot;
use crate::config::{Config, ProposerStrategy};
use crate::event::{Envelope, Event};
use crate::protocol::{Acceptor, Msg, Proposer};
use crate::roles::AcceptorView;
use crate::world::{Limits, StepError, World};

use super::fingerprint::quotient_fingerprint;

/// What `find` looked for and where it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LassoReport {
    /// The shortest lasso, if there is one.
    pub lasso: Option<Lasso>,
    /// Renamed states reached (states where every proposer decided are not expanded).
    pub states: usize,
    /// Transitions between them.
    pub transitions: usize,
    /// Whether every reachable state was expanded under every schedule: without a lasso, a
    /// proof that none exists. Never with the duelling order, which keeps only some.
    pub complete: bool,
    /// Why the search stopped early, when it did.
    pub limit: Option<String>,
    /// The lasso is the shortest there is: every state within its length of the start was
    /// expanded (the search stops there rather than expanding the rest). Never with the
    /// duelling order.
    pub shortest: bool,
    /// The most bytes the search's structures held: the graph of renamed states, its index
    /// and the queued worlds, counted from their capacities.
    pub peak_bytes: u64,
}

/// How far the search may go: once either bound is reached it adds no state, expands the
/// states it already has (their edges to each other are what a lasso among them needs) and
/// reports the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Renamed states.
    pub max_states: usize,
    /// Bytes of the search's structures, counted as the peak is.
    pub max_bytes: u64,
    /// Keep only the duelling order's schedules (see [`find_with`]).
    pub duel: bool,
    /// Stop after this long, as Ctrl-C stops it, and report the lasso among the states
    /// found so far, if any.
    pub time_limit: Option<std::time::Duration>,
}

/// A reachable cycle: `prefix` from the initial state, then `cycle`, which returns to the
/// state the prefix ended in, up to renaming ballots and acceptors. Events are concrete: the
/// prefix followed by one lap of the cycle replays as it is (the next lap takes the same
/// steps with the acceptors renamed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso {
    pub prefix: Vec<Event>,
    pub cycle: Vec<Event>,
}

/// The limits of the healed network under `config`'s strategy.
pub fn healed_limits(config: &Config) -> Limits {
    Limits {
        leader_only: config.proposer_strategy == ProposerStrategy::Leader,
        ..Limits::default().stabilised()
    }
}

/// The ranks of the rounds in `world`: see the module docs for which rounds are included.
fn ranks(world: &World, mut rounds: Vec<u64>) -> Vec<u64> {
    rounds.clear();
    rounds.push(0);
    // Kept sorted and free of repeats as it is built: a state has a handful of distinct
    // rounds and dozens of mentions of them, so this beats sorting every mention.
    let mut add = |b: Option<Ballot>| {
        if let Some(b) = b {
            if let Err(at) = rounds.binary_search(&b.round()) {
                rounds.insert(at, b.round());
            }
        }
    };
    for a in &world.acceptors {
        let v = a.view();
        add(v.promised);
        add(v.accepted.map(|(b, _)| b));
    }
    for p in &world.proposers {
        let s = p.state();
        for r in [s.round, s.round_seen, s.round.max(s.round_seen) + 1] {
            add(Some(Ballot::new(r, 0)));
        }
        add(s.ballot);
        add(s.highest.map(|(b, _, _)| b));
    }
    for e in &world.network {
        msg_ballots(&e.msg, &mut add);
    }
    rounds
}

fn msg_ballots(m: &Msg, add: &mut impl FnMut(Option<Ballot>)) {
    match *m {
        Msg::Prepare { ballot } | Msg::Accept { ballot, .. } | Msg::Accepted { ballot, .. } => {
            add(Some(ballot))
        }
        Msg::Promise { ballot, accepted } => {
            add(Some(ballot));
            add(accepted.map(|(b, _)| b));
        }
        Msg::Nack { ballot, promised } => {
            add(Some(ballot));
            add(Some(promised));
        }
    }
}

struct Renaming(Vec<u64>);

impl Renaming {
    fn round(&self, r: u64) -> u64 {
        self.0
            .binary_search(&r)
            .expect("every round of the state is ranked") as u64
    }

    fn ballot(&self, b: Ballot) -> Ballot {
        Ballot::new(self.round(b.round()), b.proposer())
    }

    fn msg(&self, m: Msg) -> Msg {
        match m {
            Msg::Prepare { ballot } => Msg::Prepare {
                ballot: self.ballot(ballot),
            },
            Msg::Promise { ballot, accepted } => Msg::Promise {
                ballot: self.ballot(ballot),
                accepted: accepted.map(|(b, v)| (self.ballot(b), v)),
            },
            Msg::Accept { ballot, value } => Msg::Accept {
                ballot: self.ballot(ballot),
                value,
            },
            Msg::Accepted { ballot, value } => Msg::Accepted {
                ballot: self.ballot(ballot),
                value,
            },
            Msg::Nack { ballot, promised } => Msg::Nack {
                ballot: self.ballot(ballot),
                promised: self.ballot(promised),
            },
        }
    }

    fn event(&self, e: Event) -> Event {
        let env = |e: Envelope| Envelope {
            msg: self.msg(e.msg),
            ..e
        };
        match e {
            Event::Deliver(x) => Event::Deliver(env(x)),
            Event::Drop(x) => Event::Drop(env(x)),
            Event::Duplicate(x) => Event::Duplicate(env(x)),
            other => other,
        }
    }
}

/// `world` with its rounds renamed to their ranks, its network sorted (a multiset) and the
/// ballot counters, which no longer limit anything once the network healed, cleared.
pub fn canonical(world: &World) -> World {
    canonical_with(world).0
}

fn canonical_with(world: &World) -> (World, Renaming) {
    let mut out = world.clone();
    let r = rename(&mut out, Vec::new());
    out.network.sort_unstable();
    (out, r)
}

/// [`canonical`] in place, returning the renaming it applied (its ranks in `scratch`'s
/// allocation), but with the network left in its order: the key hashes it as a multiset.
fn rename(world: &mut World, scratch: Vec<u64>) -> Renaming {
    let r = Renaming(ranks(world, scratch));
    world.ballots_started = Default::default();
    // The ranks are sorted, distinct and start at 0: when they are 0..k the renaming is
    // the identity, as it is for most successors of a renamed state (the round a timeout
    // starts is already ranked, as every proposer's next round is).
    if r.0.last() == Some(&(r.0.len() as u64 - 1)) {
        for p in &mut world.proposers {
            if p.state().ballots_started != 0 {
                let mut s = p.state().clone();
                s.ballots_started = 0;
                *p = Proposer::from_state(s);
            }
        }
        return r;
    }
    for a in &mut world.acceptors {
        let v = a.view();
        *a = Acceptor::from_view(AcceptorView {
            promised: v.promised.map(|b| r.ballot(b)),
            accepted: v.accepted.map(|(b, x)| (r.ballot(b), x)),
        });
    }
    for p in &mut world.proposers {
        let mut s = p.state().clone();
        s.round = r.round(s.round);
        s.round_seen = r.round(s.round_seen);
        s.ballot = s.ballot.map(|b| r.ballot(b));
        s.highest = s.highest.map(|(b, v, a)| (r.ballot(b), v, a));
        s.ballots_started = 0;
        *p = Proposer::from_state(s);
    }
    for e in &mut world.network {
        e.msg = r.msg(e.msg);
    }
    r
}

/// Every proposer decided: the good thing happened, and (no crashes after the healing)
/// stays so; such states cannot be on a bad cycle.
fn settled(world: &World) -> bool {
    u16::from(world.decided) == (1u16 << world.proposers.len()) - 1
}

/// Bit `p`: proposer `p` has something in flight.
fn busy(world: &World) -> u8 {
    (0..world.proposers.len() as u8)
        .filter(|&p| !world.stuck(p))
        .fold(0, |m, p| m | (1 << p))
}

/// Bit `p`: proposer `p` may time out.
fn may_time_out(world: &World, limits: &Limits) -> u8 {
    (0..world.proposers.len() as u8)
        .filter(|&p| world.can_time_out(p, limits))
        .fold(0, |m, p| m | (1 << p))
}

/// No proposer timed out on an edge.
const NO_TIMEOUT: u8 = u8::MAX;

/// A cycle as the search finds it: each edge's target and the proposer that timed out on
/// it, if any.
type Cycle = Vec<(u32, u8)>;

/// A state of the quotient as the cycle search needs it. The world itself lives only in
/// the queue until it is expanded; the index keeps its key.
struct Node {
    parent: u32,
    /// The event from the parent, on the parent's stored world.
    via: Option<Event>,
    depth: u32,
    /// The successors, each with the proposer that timed out to reach it (or
    /// [`NO_TIMEOUT`]): all the cycle search needs of an event.
    edges: Vec<(u32, u8)>,
    busy: u8,
    may: u8,
}

/// Searches the healed cluster of `config` (its sizes and strategy) for the shortest lasso,
/// expanding at most `max_states` renamed states.
pub fn find(config: &Config, max_states: usize) -> LassoReport {
    find_with(config, max_states, false)
}

/// Keeps only the schedules of the duelling order as `fuzz --liveness` draws it for half its
/// executions (see [`crate::scheduler::RandomSchedule::duel_order`]): a stuck proposer
/// retries at once, and deliveries go phase-1 messages first, then the lowest ballot
/// first, every tie explored. Every schedule kept
/// is a real one, so a lasso found is a real counterexample and the cycle search checks its
/// fairness as ever; but the shortest lasso is the shortest among these schedules, and
/// finding none proves nothing. It keeps larger clusters searchable: the whole quotient of
/// three acceptors has 15.3 million states, and it grows fast with each acceptor.
fn duel_order(enabled: &mut Vec<Event>) {
    let key = |e: &Event| match e {
        Event::Deliver(env) => Some((
            !matches!(env.msg, Msg::Prepare { .. } | Msg::Promise { .. }),
            env.msg.ballot(),
        )),
        _ => None,
    };

    // A stuck proposer retries at once, as `fuzz` has it after the healing.
    if enabled.iter().any(|e| matches!(e, Event::Timeout(_))) {
        enabled.retain(|e| matches!(e, Event::Timeout(_)));
        return;
    }
    if let Some(best) = enabled.iter().filter_map(key).min() {
        enabled.retain(|e| key(e).is_none_or(|k| k == best));
    }
}

/// The key of a state of the quotient: its ballots renamed ([`canonical`]), then
/// fingerprinted up to renaming acceptors. Two states with one key are bisimilar (see the
/// module docs), and two keys collide with probability about 2^-128 per pair.
pub fn key(world: &World) -> u128 {
    quotient_fingerprint(&canonical(world))
}

/// [`find`], over the duelling order's schedules only when `duel`.
pub fn find_with(config: &Config, max_states: usize, duel: bool) -> LassoReport {
    search(
        config,
        Bounds {
            max_states,
            max_bytes: u64::MAX,
            duel,
            time_limit: None,
        },
    )
}

/// What the search holds, in bytes: the nodes and their edges, the keys and the index over
/// them, and the worlds waiting in the queue. Counted from the capacities asked of the
/// allocator, as the safety explorer counts its own structures; the expanded graph is
/// most of it, the queue the rest: 371 bytes a state at the peak of the three-acceptor
/// search (1,071,109 states).
#[derive(Default)]
struct Footprint {
    /// The edge lists' allocations.
    edges: u64,
    /// The heap of the worlds in the queue.
    queued: u64,
}

impl Footprint {
    fn world(world: &World) -> u64 {
        (world.acceptors.capacity() * std::mem::size_of::<Acceptor>()
            + world.proposers.capacity() * std::mem::size_of::<Proposer>()
            + world.network.capacity() * std::mem::size_of::<Envelope>()) as u64
    }

    /// The bytes held now, or once one more state is added when `adding`: the check
    /// before adding a state counts the vectors and the table it would make grow, so that
    /// the doubling a push can cause never takes the search past its bound.
    fn bytes(
        &self,
        nodes: &Vec<Node>,
        keys: &Vec<u128>,
        index: &FxHashMap<u128, u32>,
        queue: &VecDeque<(u32, World)>,
        adding: bool,
    ) -> u64 {
        // What a push makes of a capacity: doubled when full (at least 4), as `Vec` and
        // `VecDeque` grow; hashbrown's table likewise grows when full.
        let after = |len: usize, capacity: usize| {
            if adding && len == capacity {
                (capacity * 2).max(4)
            } else {
                capacity
            }
        };
        // hashbrown's table has a power of two of slots, each with its entry and one
        // control byte, and lets 7/8 of them be used (all but one below 8 slots): capacity
        // plus one, rounded up to a power of two, is the slots in either case.
        let slots = match after(index.len(), index.capacity()) {
            0 => 0,
            c => (c + 1).next_power_of_two(),
        };
        let entry = std::mem::size_of::<(u128, u32)>() + 1;
        (after(nodes.len(), nodes.capacity()) * std::mem::size_of::<Node>()
            + after(keys.len(), keys.capacity()) * std::mem::size_of::<u128>()
            + slots * entry
            + after(queue.len(), queue.capacity()) * std::mem::size_of::<(u32, World)>())
            as u64
            + self.edges
            + self.queued
    }
}

/// Searches the healed cluster of `config` within `bounds` for the shortest lasso.
pub fn search(config: &Config, bounds: Bounds) -> LassoReport {
    search_watched(config, bounds, &mut |_| {})
}

/// Where the lasso search is, as [`search_watched`] tells its watcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// The depth of the state being expanded.
    pub depth: u32,
    /// Renamed states found so far, and transitions between them.
    pub states: usize,
    pub transitions: usize,
    /// What the search's structures hold now, counted as [`LassoReport::peak_bytes`] is.
    pub bytes: u64,
}

/// States expanded between two calls of the watcher: dozens of times a second even on a
/// loaded machine (every 65,536 let a `--log-every` or a status line wait over a second
/// on a loaded CI machine), and the call costs a few counters.
const WATCH_EVERY: usize = 1 << 12;

/// [`search`], telling `watch` where it is every 4,096 states expanded, from the first.
/// The watcher sees the search; it cannot change it.
pub fn search_watched(
    config: &Config,
    bounds: Bounds,
    watch: &mut dyn FnMut(&Status),
) -> LassoReport {
    let Bounds {
        max_states,
        max_bytes,
        duel,
        time_limit,
    } = bounds;
    #[allow(clippy::disallowed_methods)] // read only against the time limit; shapes nothing
    let start_time = std::time::Instant::now();
    let proto = config.protocol();
    let limits = healed_limits(config);
    let start = canonical(&World::new(&proto, config.proposers));
    let mut nodes: Vec<Node> = Vec::new();
    let mut keys: Vec<u128> = Vec::new();
    let mut index: FxHashMap<u128, u32> = FxHashMap::default();
    let mut queue = VecDeque::new();
    let mut limit = None;
    let first = quotient_fingerprint(&start);
    index.insert(first, 0);
    keys.push(first);
    nodes.push(Node {
        busy: busy(&start),
        may: may_time_out(&start, &limits),
        parent: 0,
        via: None,
        depth: 0,
        edges: Vec::new(),
    });
    let mut footprint = Footprint {
        queued: Footprint::world(&start),
        ..Footprint::default()
    };
    queue.push_back((0u32, start));
    let mut peak_bytes = footprint.bytes(&nodes, &keys, &index, &queue, false);
    let mut enabled = Vec::new();
    let mut transitions = 0;
    let mut next = World::new(&proto, config.proposers);
    let mut scratch = Vec::new();
    // Breadth-first, a layer at a time. Once every state at depth `d` or less is expanded,
    // every lasso of total length `d + 1` or less lies in the graph built so far (its
    // prefix ends at depth at most its length, and each state of its cycle is reached
    // within the cycle), so a lasso that short found now is the shortest there is, and the
    // search can stop. Checked whenever the graph grew by half since the last look, and at
    // the length of any lasso seen (which must be certified by then).
    let mut layer = 0;
    let mut look_at = 1024usize;
    let mut found: Option<(u32, Cycle)> = None;
    let mut certified = false;
    let mut expanded = 0usize;
    while let Some((i, world)) = queue.pop_front() {
        footprint.queued -= Footprint::world(&world);
        if expanded.is_multiple_of(WATCH_EVERY) {
            watch(&Status {
                depth: nodes[i as usize].depth,
                states: nodes.len(),
                transitions,
                bytes: footprint.bytes(&nodes, &keys, &index, &queue, false),
            });
        }
        expanded += 1;
        if crate::interrupt::requested() {
            limit = Some("interrupted by Ctrl-C".to_string());
            break;
        }
        if let Some(t) = time_limit.filter(|&t| start_time.elapsed() >= t) {
            limit = Some(format!("--time-limit {}", t.as_secs_f64()));
            break;
        }
        let depth = nodes[i as usize].depth;
        if depth > layer {
            // Every state at depth `layer` or less is expanded.
            // Until a lasso is seen, look as the graph grows; after, only once its length
            // is reached, when the look certifies it or a shorter one found then.
            let within = |found: &Option<(u32, Cycle)>| {
                found
                    .as_ref()
                    .is_some_and(|(n, c)| nodes[*n as usize].depth + c.len() as u32 <= layer + 1)
            };
            let due = found.is_none() && nodes.len() >= look_at || within(&found);
            if due && !duel {
                look_at = nodes.len() + nodes.len() / 2;
                found = shortest(&nodes);
                if within(&found) {
                    certified = true;
                    break;
                }
            }
            layer = depth;
        }
        if settled(&world) {
            continue;
        }
        world.enabled(&limits, &mut enabled);
        if duel {
            duel_order(&mut enabled);
        }
        let mut edges = Vec::with_capacity(enabled.len());
        for &event in &enabled {
            next.clone_from(&world);
            match next.apply(&proto, &limits, &event, &mut |_| {}) {
                Ok(()) => {}
                Err(StepError::MessageLimit) => {
                    limit.get_or_insert_with(|| {
                        format!("more than {} messages in flight", limits.max_in_flight)
                    });
                    continue;
                }
                Err(_) => continue,
            }
            scratch = rename(&mut next, scratch).0;
            let k = quotient_fingerprint(&next);
            transitions += 1;
            let j = match index.get(&k) {
                Some(&j) => j,
                None => {
                    if nodes.len() >= max_states {
                        limit.get_or_insert_with(|| format!("--max-states {max_states}"));
                        continue;
                    }
                    let bytes = footprint.bytes(&nodes, &keys, &index, &queue, true)
                        + Footprint::world(&next);
                    if bytes > max_bytes {
                        limit.get_or_insert_with(|| {
                            format!("--max-memory {} MiB", max_bytes.div_ceil(1 << 20))
                        });
                        continue;
                    }
                    let j = nodes.len() as u32;
                    index.insert(k, j);
                    keys.push(k);
                    nodes.push(Node {
                        busy: busy(&next),
                        may: may_time_out(&next, &limits),
                        parent: i,
                        via: Some(event),
                        depth: nodes[i as usize].depth + 1,
                        edges: Vec::new(),
                    });
                    let queued = next.clone();
                    footprint.queued += Footprint::world(&queued);
                    queue.push_back((j, queued));
                    peak_bytes =
                        peak_bytes.max(footprint.bytes(&nodes, &keys, &index, &queue, false));
                    j
                }
            };
            let timed = match event {
                Event::Timeout(p) => p,
                _ => NO_TIMEOUT,
            };
            edges.push((j, timed));
        }
        footprint.edges += (edges.capacity() * std::mem::size_of::<(u32, u8)>()) as u64;
        nodes[i as usize].edges = edges;
    }
    peak_bytes = peak_bytes.max(footprint.bytes(&nodes, &keys, &index, &queue, false));
    drop(index);
    // Without every schedule, an absence is no proof.
    let complete = limit.is_none() && !duel && !certified;
    if !certified {
        found = shortest(&nodes);
    }
    let lasso = found.map(|(n, cycle)| concrete(config, &nodes, &keys, n, &cycle));
    LassoReport {
        lasso,
        states: nodes.len(),
        transitions,
        complete,
        limit,
        shortest: certified || complete,
        peak_bytes,
    }
}

/// The shortest fair cycle through each node in breadth-first order, bounded by the best
/// lasso so far: the node the cycle starts at and its events (on canonical worlds).
fn shortest(nodes: &[Node]) -> Option<(u32, Cycle)> {
    let mut best: Option<(u32, u32, Cycle)> = None; // (total, node, cycle)
                                                    // (node, timed out, had messages, always could time out)
    type Key = (u32, u8, u8, u8);
    let mut seen: FxHashMap<Key, (Key, u8)> = FxHashMap::default();
    let component = components(nodes);
    let mut size = vec![0u32; nodes.len()];
    for &c in &component {
        size[c as usize] += 1;
    }
    for (n, node) in nodes.iter().enumerate() {
        let n = n as u32;
        let home = component[n as usize];
        // A cycle stays inside one strongly connected component; a node alone in its
        // component is on a cycle only through a self-loop, which the renaming never
        // makes (every event changes the renamed state).
        if size[home as usize] < 2 {
            continue;
        }
        // Nodes come in breadth-first order: once a prefix alone is as long as the best
        // lasso, no later node can do better.
        if best.as_ref().is_some_and(|b| node.depth + 1 >= b.0) {
            break;
        }
        if node.edges.is_empty() {
            continue;
        }
        let budget = best.as_ref().map_or(u32::MAX, |b| b.0 - node.depth - 1);
        seen.clear();
        let first: Key = (n, 0, node.busy, node.may);
        let mut frontier = vec![first];
        let mut found: Option<Key> = None;
        let mut len = 0;
        'bfs: while !frontier.is_empty() && len < budget {
            len += 1;
            let mut next = Vec::new();
            for &from in &frontier {
                let (at, timed, had, always) = from;
                for &(to, timeout) in &nodes[at as usize].edges {
                    if component[to as usize] != home {
                        continue;
                    }
                    let t = &nodes[to as usize];
                    let timed = match timeout {
                        NO_TIMEOUT => timed,
                        p => timed | (1 << p),
                    };
                    let key = (to, timed, had | t.busy, always & t.may);
                    let fair = key.2 & !key.1 == 0 && key.3 & !key.1 == 0;
                    if to == n && fair {
                        seen.insert(key, (from, timeout));
                        found = Some(key);
                        break 'bfs;
                    }
                    if key == first || seen.contains_key(&key) {
                        continue;
                    }
                    seen.insert(key, (from, timeout));
                    next.push(key);
                }
            }
            frontier = next;
        }
        let Some(mut key) = found else { continue };
        let mut cycle = Vec::with_capacity(len as usize);
        while key != first {
            let (prev, timeout) = seen[&key];
            cycle.push((key.0, timeout));
            key = prev;
        }
        cycle.reverse();
        if cycle.is_empty() {
            continue;
        }
        let total = node.depth + cycle.len() as u32;
        if best.as_ref().is_none_or(|b| total < b.0) {
            best = Some((total, n, cycle));
        }
    }
    best.map(|(_, n, cycle)| (n, cycle))
}

/// The strongly connected component of every node (Tarjan's algorithm, iteratively, so
/// that a deep graph cannot overflow the stack): component numbers index nothing else.
fn components(nodes: &[Node]) -> Vec<u32> {
    const NONE: u32 = u32::MAX;
    let n = nodes.len();
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut component = vec![NONE; n];
    let mut next_index = 0u32;
    let mut next_component = 0u32;
    // (node, next edge to look at)
    let mut work: Vec<(u32, usize)> = Vec::new();
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        work.push((root, 0));
        while let Some(&mut (v, ref mut e)) = work.last_mut() {
            let vi = v as usize;
            if *e == 0 && index[vi] == NONE {
                index[vi] = next_index;
                low[vi] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[vi] = true;
            }
            if let Some(&(w, _)) = nodes[vi].edges.get(*e) {
                *e += 1;
                let wi = w as usize;
                if index[wi] == NONE {
                    work.push((w, 0));
                } else if on_stack[wi] {
                    low[vi] = low[vi].min(index[wi]);
                }
                continue;
            }
            work.pop();
            if let Some(&(u, _)) = work.last() {
                low[u as usize] = low[u as usize].min(low[vi]);
            }
            if low[vi] == index[vi] {
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w as usize] = false;
                    component[w as usize] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// The lasso's events made concrete, replayed from the initial world. The prefix follows
/// the nodes' parent links, each of whose events was taken on its parent's stored world:
/// each is mapped back through the ballot renaming of the concrete state it is taken in.
/// The cycle's edges may lead to a node stored as another renaming of acceptors, so each of
/// its steps is the enabled event that leads to a state with the next node's key (and
/// times out the same proposer).
fn concrete(config: &Config, nodes: &[Node], keys: &[u128], n: u32, cycle: &[(u32, u8)]) -> Lasso {
    let mut path = Vec::new();
    let mut at = n;
    while let Some(e) = nodes[at as usize].via {
        path.push(e);
        at = nodes[at as usize].parent;
    }
    path.reverse();
    let proto = config.protocol();
    let limits = healed_limits(config);
    let mut world = World::new(&proto, config.proposers);
    let mut enabled = Vec::new();
    let mut prefix = Vec::with_capacity(path.len());
    for &abstract_event in &path {
        let (_, r) = canonical_with(&world);
        world.enabled(&limits, &mut enabled);
        let e = *enabled
            .iter()
            .find(|&&e| r.event(e) == abstract_event)
            .expect("a canonical event is the renaming of an enabled one");
        world
            .apply(&proto, &limits, &e, &mut |_| {})
            .expect("an enabled event applies");
        prefix.push(e);
    }
    debug_assert_eq!(key(&world), keys[n as usize]);
    let mut lap = Vec::with_capacity(cycle.len());
    for &(to, timeout) in cycle {
        world.enabled(&limits, &mut enabled);
        let (e, next) = enabled
            .iter()
            .filter(|e| matches!(e, Event::Timeout(p) if *p == timeout) == (timeout != NO_TIMEOUT))
            .find_map(|&e| {
                let mut next = world.clone();
                next.apply(&proto, &limits, &e, &mut |_| {}).ok()?;
                (key(&next) == keys[to as usize]).then_some((e, next))
            })
            .expect("a bisimilar state has a step to every successor's class");
        lap.push(e);
        world = next;
    }
    Lasso { prefix, cycle: lap }
}
