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
//! ever higher ballots along which the same things happen. `tests/liveness.rs` checks this
//! on reachable states: the renamed successors of a state are those of its renaming.
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
//! the shortest prefix.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::ballot::Ballot;
use crate::config::{Config, ProposerStrategy};
use crate::event::{Envelope, Event};
use crate::protocol::{Acceptor, Msg, Proposer};
use crate::roles::AcceptorView;
use crate::world::{Limits, StepError, World};

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
}

/// A reachable cycle: `prefix` from the initial state, then `cycle`, which returns to the
/// state the prefix ended in, up to renaming ballots. Events are concrete: the prefix
/// followed by one lap of the cycle replays as it is.
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
fn ranks(world: &World) -> Vec<u64> {
    let mut rounds = vec![0u64];
    let mut add = |b: Option<Ballot>| {
        if let Some(b) = b {
            rounds.push(b.round());
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
    rounds.sort_unstable();
    rounds.dedup();
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
    let r = Renaming(ranks(world));
    let mut out = world.clone();
    for a in &mut out.acceptors {
        let v = a.view();
        *a = Acceptor::from_view(AcceptorView {
            promised: v.promised.map(|b| r.ballot(b)),
            accepted: v.accepted.map(|(b, x)| (r.ballot(b), x)),
        });
    }
    for p in &mut out.proposers {
        let mut s = p.state().clone();
        s.round = r.round(s.round);
        s.round_seen = r.round(s.round_seen);
        s.ballot = s.ballot.map(|b| r.ballot(b));
        s.highest = s.highest.map(|(b, v, a)| (r.ballot(b), v, a));
        s.ballots_started = 0;
        *p = Proposer::from_state(s);
    }
    for e in &mut out.network {
        e.msg = r.msg(e.msg);
    }
    out.network.sort_unstable();
    out.ballots_started = Default::default();
    (out, r)
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

/// A renamed state as the cycle search needs it; the state itself lives only as the key of
/// the index (and in the queue until it is expanded), once.
struct Node {
    parent: u32,
    /// The event from the parent, on the parent's canonical world.
    via: Option<Event>,
    depth: u32,
    edges: Vec<(Event, u32)>,
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
/// finding none proves nothing. It is what makes three acceptors searchable: the full
/// quotient there has more than three million states.
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

/// [`find`], over the duelling order's schedules only when `duel`.
pub fn find_with(config: &Config, max_states: usize, duel: bool) -> LassoReport {
    let proto = config.protocol();
    let limits = healed_limits(config);
    let start = canonical(&World::new(&proto, config.proposers));
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: FxHashMap<World, u32> = FxHashMap::default();
    let mut queue = VecDeque::new();
    let mut limit = None;
    index.insert(start.clone(), 0);
    nodes.push(Node {
        busy: busy(&start),
        may: may_time_out(&start, &limits),
        parent: 0,
        via: None,
        depth: 0,
        edges: Vec::new(),
    });
    queue.push_back((0u32, start));
    let mut enabled = Vec::new();
    let mut transitions = 0;
    while let Some((i, world)) = queue.pop_front() {
        if crate::interrupt::requested() {
            limit = Some("interrupted by Ctrl-C".to_string());
            break;
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
            let mut next = world.clone();
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
            let next = canonical(&next);
            transitions += 1;
            let j = match index.get(&next) {
                Some(&j) => j,
                None => {
                    if nodes.len() >= max_states {
                        limit.get_or_insert_with(|| format!("--max-states {max_states}"));
                        continue;
                    }
                    let j = nodes.len() as u32;
                    index.insert(next.clone(), j);
                    nodes.push(Node {
                        busy: busy(&next),
                        may: may_time_out(&next, &limits),
                        parent: i,
                        via: Some(event),
                        depth: nodes[i as usize].depth + 1,
                        edges: Vec::new(),
                    });
                    queue.push_back((j, next));
                    j
                }
            };
            edges.push((event, j));
        }
        nodes[i as usize].edges = edges;
    }
    // Without every schedule, an absence is no proof.
    let complete = limit.is_none() && !duel;
    let lasso = shortest(&nodes).map(|(n, cycle)| concrete(config, &nodes, n, &cycle));
    LassoReport {
        lasso,
        states: nodes.len(),
        transitions,
        complete,
        limit,
    }
}

/// The shortest fair cycle through each node in breadth-first order, bounded by the best
/// lasso so far: the node the cycle starts at and its events (on canonical worlds).
fn shortest(nodes: &[Node]) -> Option<(u32, Vec<Event>)> {
    let mut best: Option<(u32, u32, Vec<Event>)> = None; // (total, node, cycle)
                                                         // (node, timed out, had messages, always could time out)
    type Key = (u32, u8, u8, u8);
    let mut seen: FxHashMap<Key, (Key, Event)> = FxHashMap::default();
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
                for &(event, to) in &nodes[at as usize].edges {
                    if component[to as usize] != home {
                        continue;
                    }
                    let t = &nodes[to as usize];
                    let timed = match event {
                        Event::Timeout(p) => timed | (1 << p),
                        _ => timed,
                    };
                    let key = (to, timed, had | t.busy, always & t.may);
                    let fair = key.2 & !key.1 == 0 && key.3 & !key.1 == 0;
                    if to == n && fair {
                        seen.insert(key, (from, event));
                        found = Some(key);
                        break 'bfs;
                    }
                    if key == first || seen.contains_key(&key) {
                        continue;
                    }
                    seen.insert(key, (from, event));
                    next.push(key);
                }
            }
            frontier = next;
        }
        let Some(mut key) = found else { continue };
        let mut cycle = Vec::with_capacity(len as usize);
        while key != first {
            let (prev, event) = seen[&key];
            cycle.push(event);
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
            if let Some(&(_, w)) = nodes[vi].edges.get(*e) {
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

/// The lasso's events made concrete: replayed from the initial world, each canonical event
/// is mapped back through the renaming of the concrete state it is taken in.
fn concrete(config: &Config, nodes: &[Node], n: u32, cycle: &[Event]) -> Lasso {
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
    let mut take = |abstract_event: Event| -> Event {
        let (_, r) = canonical_with(&world);
        world.enabled(&limits, &mut enabled);
        let e = *enabled
            .iter()
            .find(|&&e| r.event(e) == abstract_event)
            .expect("a canonical event is the renaming of an enabled one");
        world
            .apply(&proto, &limits, &e, &mut |_| {})
            .expect("an enabled event applies");
        e
    };
    let prefix = path.iter().map(|&e| take(e)).collect();
    let cycle = cycle.iter().map(|&e| take(e)).collect();
    Lasso { prefix, cycle }
}
