//! `paxos_safety_test`: a value is chosen, its proposer crashes, and a new proposer must
//! find and keep that value. The scenario is driven step by step through the real
//! [`Acceptor`] and [`Proposer`] code, with the [`Checker`] observing every step, exactly as
//! the simulator's world does; the node adds no Paxos logic of its own, so a bug in the
//! protocol code shows up here as it would in a campaign.
//!
//! **Ballots.** The request's ballot numbers are arbitrary non-negative integers, compared
//! only with each other. They become ranks (0 for the lower, 1 for the higher, both 0 when
//! equal), and the two proposers get distinct slots of the same rank: `Ballot::new(rank, 1)`
//! for the first proposer and `Ballot::new(rank, 0)` for the new one. Slots matter when the
//! numbers are equal: acceptors answer a prepare *at* their promise (a retransmission by
//! the ballot's own proposer, see `protocol.rs`), so two proposers sharing one ballot
//! would both be promised. With the new proposer's slot below, `new_proposal_n ==
//! chosen_at_n` sorts just below the chosen ballot and is refused, as the protocol asks of
//! every `new_proposal_n <= chosen_at_n`. Ranks also mean that no ballot number is too big.
//!
//! **Schedules.** Without a seed the schedule is the one PROTOCOL.md spells out. With a
//! seed, [`Prng`] draws, in this order: how many acceptors (a majority or more) hear the
//! first proposer, and which; how many acceptors crash (at most `N - m`), and which; the
//! order in which the live acceptors hear the new proposer, whose quorum is the first
//! majority to promise. The draws depend on nothing but the seed and `nodes`, so a seed
//! always gives the same reply.

use std::cmp::Ordering;
use std::sync::LazyLock;

use serde_json::{Map, Value as Json};

use super::fields::{field, int_in, nat, non_null, optional, FieldError, Nat};
use super::values::Values;
use super::{bool_text, MAX_NODES};
use crate::ballot::{AcceptorId, Ballot};
use crate::bug::Bug;
use crate::checker::Checker;
use crate::observe;
use crate::protocol::{Acceptor, Action, Msg, Proposer, Protocol};
use crate::pyjson;
use crate::rng::Prng;

/// The first proposer's ballot slot: above the new proposer's, see the module docs.
const FIRST_SLOT: u8 = 1;
/// The new proposer's ballot slot.
const NEW_SLOT: u8 = 0;

/// What the new proposer would propose if no promise carried a vote. A correct proposer
/// never sends it here (a phase-1 majority always meets the majority that voted), so it
/// appears in a reply only if the protocol code is broken, and then it is obviously not
/// the request's value.
static NEW_PROPOSER_OWN_VALUE: LazyLock<Json> =
    LazyLock::new(|| Json::String("the new proposer's own value".to_string()));

/// A validated `paxos_safety_test` request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request<'a> {
    pub nodes: u16,
    pub chosen_value: &'a Json,
    pub chosen_at_n: Nat,
    pub new_proposal_n: Nat,
    pub seed: Option<u64>,
}

impl<'a> Request<'a> {
    /// Reads the fields in the order PROTOCOL.md lists them; the first bad one is reported.
    pub fn parse(body: &'a Map<String, Json>) -> Result<Request<'a>, FieldError> {
        let nodes = field(body, "nodes", |v| int_in(v, 1, MAX_NODES))?;
        Ok(Request {
            // MAX_NODES is below u16::MAX, so this never saturates.
            nodes: u16::try_from(nodes).unwrap_or(u16::MAX),
            chosen_value: field(body, "chosen_value", non_null)?,
            chosen_at_n: field(body, "chosen_at_n", nat)?,
            new_proposal_n: field(body, "new_proposal_n", nat)?,
            seed: optional(body, "seed")
                .map(|v| int_in(v, 0, u64::MAX))
                .transpose()
                .map_err(|p| p.at("seed"))?,
        })
    }
}

/// What the scenario found, in the reply's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome<'a> {
    /// The value the new proposer sent in phase 2, if phase 2 started.
    pub new_proposal_value: Option<&'a Json>,
    pub forced_by_promise: bool,
    pub promise_source: Option<AcceptorId>,
    /// The checker's verdict over the whole run.
    pub safe: bool,
    /// The checker's first violation, explained with the request's numbers and values.
    pub violation: Option<String>,
}

impl Outcome<'_> {
    /// Appends the reply fields between `in_reply_to` and `msg_id`.
    pub fn write_fields(&self, out: &mut String) {
        out.push_str(", \"new_proposal_value\": ");
        match self.new_proposal_value {
            Some(v) => pyjson::write_value(out, v),
            None => out.push_str("null"),
        }
        out.push_str(", \"forced_by_promise\": ");
        out.push_str(bool_text(self.forced_by_promise));
        out.push_str(", \"promise_source\": ");
        match self.promise_source {
            Some(a) => out.push_str(&format!("\"n{}\"", u32::from(a) + 1)),
            None => out.push_str("null"),
        }
        out.push_str(", \"safe\": ");
        out.push_str(bool_text(self.safe));
    }
}

/// Runs the scenario with the correct protocol, or with `bug` switched on (tests use that
/// to show the checker can say no).
pub fn run<'a>(req: &Request<'a>, bug: Option<Bug>) -> Outcome<'a> {
    let proto = Protocol::majority(req.nodes, bug);
    let n = usize::from(req.nodes);
    let m = usize::from(proto.q2);
    let plan = match req.seed {
        None => Plan::fixed(n, m),
        Some(seed) => Plan::seeded(n, m, seed),
    };
    let (first_rank, new_rank) = match req.chosen_at_n.cmp(&req.new_proposal_n) {
        Ordering::Less => (0, 1),
        Ordering::Equal => (0, 0),
        Ordering::Greater => (1, 0),
    };

    let mut values = Values::default();
    let chosen = values.intern(req.chosen_value);
    let own = values.intern(&NEW_PROPOSER_OWN_VALUE);
    let mut cluster = Cluster {
        proto,
        acceptors: vec![Acceptor::default(); n],
        checker: Checker::new(m),
    };
    // Both proposers' inputs are legitimate proposals; anything else breaks validity.
    cluster.checker.register_input(chosen);
    cluster.checker.register_input(own);

    // Step 1: the first proposer gets its value voted by a majority.
    let mut first = Proposer::new(FIRST_SLOT, chosen);
    cluster.run_ballot(&mut first, Ballot::new(first_rank, FIRST_SLOT), &plan.first);

    // Step 2: crashes. Acceptor state is durable, so a crashed acceptor simply stops
    // answering; the first proposer lives with `n1` and loses its volatile state with it.
    if plan.down.first().copied().unwrap_or(false) {
        first.restart();
    }
    let live: Vec<AcceptorId> = plan
        .order
        .iter()
        .copied()
        .filter(|&a| !plan.down.get(usize::from(a)).copied().unwrap_or(true))
        .collect();

    // Step 3: the new proposer runs both phases with whoever is alive.
    let mut new = Proposer::new(NEW_SLOT, own);
    cluster.run_ballot(&mut new, Ballot::new(new_rank, NEW_SLOT), &live);

    let view = new.view(&cluster.proto);
    let forced_by_promise = view.adopted_from.is_some();
    let ballot_text = |b: Ballot| {
        if b.round() == first_rank && b.proposer() == FIRST_SLOT {
            req.chosen_at_n.to_string()
        } else {
            req.new_proposal_n.to_string()
        }
    };
    Outcome {
        new_proposal_value: view.proposal.and_then(|v| values.json(v)),
        forced_by_promise,
        promise_source: view.adopted_from.map(|(a, _)| a),
        safe: cluster.checker.is_safe(),
        violation: cluster
            .checker
            .violation()
            .map(|v| v.explain(ballot_text, |v| values.render(v))),
    }
}

/// Who hears whom, decided before the run starts.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Plan {
    /// The acceptors that hear the first proposer, in delivery order (a majority or more).
    first: Vec<AcceptorId>,
    /// `down[a]`: acceptor `a` crashed after step 1.
    down: Vec<bool>,
    /// Every acceptor in the order it hears the new proposer (crashed ones are skipped).
    order: Vec<AcceptorId>,
}

impl Plan {
    /// PROTOCOL.md's schedule: `n1..nm` vote; `n1` crashes with its proposer if the cluster
    /// can spare it; the others answer the new proposer in id order.
    fn fixed(n: usize, m: usize) -> Plan {
        let ids = (0..n).map(acceptor_id);
        let mut down = vec![false; n];
        if m < n {
            down[0] = true;
        }
        Plan {
            first: ids.clone().take(m).collect(),
            down,
            order: ids.collect(),
        }
    }

    /// The schedule drawn from `seed`; see the module docs for the order of the draws.
    fn seeded(n: usize, m: usize, seed: u64) -> Plan {
        let mut rng = Prng::new(seed);
        // n <= MAX_NODES, so every count below fits a u32.
        let spare = (n - m) as u32;
        let heard = m + rng.below(spare + 1) as usize;
        let first = draw(&mut rng, n, heard);
        let crashes = rng.below(spare + 1) as usize;
        let mut down = vec![false; n];
        for a in draw(&mut rng, n, crashes) {
            down[usize::from(a)] = true;
        }
        Plan {
            first,
            down,
            order: draw(&mut rng, n, n),
        }
    }
}

fn acceptor_id(a: usize) -> AcceptorId {
    // Cluster sizes are capped at MAX_NODES, far below u16::MAX.
    AcceptorId::try_from(a).unwrap_or(AcceptorId::MAX)
}

/// `k` distinct acceptors of `0..n`, in the order drawn (a partial Fisher-Yates shuffle,
/// written out so that the meaning of a seed does not depend on `rand`'s algorithms).
fn draw(rng: &mut Prng, n: usize, k: usize) -> Vec<AcceptorId> {
    let mut ids: Vec<AcceptorId> = (0..n).map(acceptor_id).collect();
    for i in 0..k.min(n) {
        let j = i + rng.below((n - i) as u32) as usize;
        ids.swap(i, j);
    }
    ids.truncate(k);
    ids
}

/// The acceptors and the checker watching them.
struct Cluster {
    proto: Protocol,
    acceptors: Vec<Acceptor>,
    checker: Checker,
}

impl Cluster {
    /// One proposer runs `ballot`: its prepare reaches `to` in order until it has a
    /// quorum of promises (the rest stay in flight), then its accept reaches all of `to`.
    fn run_ballot(&mut self, proposer: &mut Proposer, ballot: Ballot, to: &[AcceptorId]) {
        if let Action::Broadcast(prepare) = proposer.start(ballot) {
            if let Some(accept) = self.exchange(proposer, prepare, to, true) {
                self.exchange(proposer, accept, to, false);
            }
        }
    }

    /// Delivers `msg` to each acceptor of `to` in turn and hands each reply straight back
    /// to the proposer. Returns the proposer's next broadcast, if it made one; with
    /// `until_broadcast`, delivery stops there.
    fn exchange(
        &mut self,
        proposer: &mut Proposer,
        msg: Msg,
        to: &[AcceptorId],
        until_broadcast: bool,
    ) -> Option<Msg> {
        let mut next = None;
        for &a in to {
            let Some(acceptor) = self.acceptors.get_mut(usize::from(a)) else {
                continue;
            };
            let Some(reply) = acceptor.on_msg(&self.proto, &msg) else {
                continue;
            };
            if let Some(obs) = observe::reply(a, &reply) {
                self.checker.observe(obs);
            }
            if let Some(action) = proposer.on_msg(&self.proto, a, &reply) {
                if let Some(obs) = observe::action(proposer.state().id, &action) {
                    self.checker.observe(obs);
                }
                if let Action::Broadcast(sent) = action {
                    next = Some(sent);
                    if until_broadcast {
                        break;
                    }
                }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap()
    }

    fn outcome(body: &Map<String, Json>, bug: Option<Bug>) -> Outcome<'_> {
        run(&Request::parse(body).unwrap(), bug)
    }

    fn request(nodes: u64, chosen_at: u64, new: u64) -> Map<String, Json> {
        body(
            json!({"nodes": nodes, "chosen_value": "v1", "chosen_at_n": chosen_at,
                    "new_proposal_n": new}),
        )
    }

    #[test]
    fn the_protocol_example() {
        let b = request(5, 3, 7);
        let o = outcome(&b, None);
        assert_eq!(o.new_proposal_value, Some(&json!("v1")));
        assert!(o.forced_by_promise && o.safe);
        assert_eq!(o.promise_source, Some(1), "n2");
        assert_eq!(o.violation, None);
    }

    #[test]
    fn small_clusters_use_n1_when_they_cannot_spare_it() {
        for (nodes, source) in [(1, 0), (2, 0), (3, 1), (4, 1), (10_000, 1)] {
            let b = request(nodes, 0, 1);
            let o = outcome(&b, None);
            assert_eq!(o.promise_source, Some(source), "nodes {nodes}");
            assert!(o.forced_by_promise && o.safe, "nodes {nodes}");
        }
    }

    #[test]
    fn a_prepare_at_or_below_the_chosen_ballot_is_refused() {
        for (chosen_at, new) in [(3, 3), (7, 3), (0, 0)] {
            for nodes in [1, 2, 3, 5, 100] {
                let b = request(nodes, chosen_at, new);
                let o = outcome(&b, None);
                assert_eq!(
                    (
                        o.new_proposal_value,
                        o.forced_by_promise,
                        o.promise_source,
                        o.safe
                    ),
                    (None, false, None, true),
                    "nodes {nodes}, {chosen_at} then {new}"
                );
            }
        }
    }

    #[test]
    fn ballots_beyond_u64_compare_exactly() {
        let b = body(json!({"nodes": 3, "chosen_value": [1],
            "chosen_at_n": 18446744073709551616u128, "new_proposal_n": 18446744073709551617u128}));
        let o = outcome(&b, None);
        assert_eq!(o.new_proposal_value, Some(&json!([1])));
        let b = body(json!({"nodes": 3, "chosen_value": [1],
            "chosen_at_n": 18446744073709551617u128, "new_proposal_n": 18446744073709551616u128}));
        assert_eq!(outcome(&b, None).new_proposal_value, None);
    }

    #[test]
    fn seeded_schedules_are_safe_repeatable_and_varied() {
        let mut sources = std::collections::BTreeSet::new();
        for seed in 0..200u64 {
            let b = body(
                json!({"nodes": 7, "chosen_value": {"k": "v"}, "chosen_at_n": 2,
                "new_proposal_n": 9, "seed": seed}),
            );
            let o = outcome(&b, None);
            assert_eq!(o, outcome(&b, None), "seed {seed} repeats");
            assert!(o.safe && o.forced_by_promise, "seed {seed}");
            assert_eq!(o.new_proposal_value, Some(&json!({"k": "v"})));
            sources.insert(o.promise_source);
        }
        assert!(sources.len() > 2, "seeds change who answers: {sources:?}");
    }

    #[test]
    fn seeded_plans_keep_a_live_majority_and_a_voting_majority() {
        for seed in 0..300u64 {
            for n in [1usize, 2, 3, 4, 5, 9] {
                let m = n / 2 + 1;
                let plan = Plan::seeded(n, m, seed);
                assert!(plan.first.len() >= m && plan.first.len() <= n);
                let down = plan.down.iter().filter(|&&d| d).count();
                assert!(down <= n - m, "seed {seed}, n {n}");
                let mut order = plan.order.clone();
                order.sort_unstable();
                assert_eq!(order, (0..n as u16).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn seeded_refusals_never_reach_phase_two() {
        for seed in 0..100u64 {
            let b = body(json!({"nodes": 6, "chosen_value": 1, "chosen_at_n": 4,
                "new_proposal_n": 4, "seed": seed}));
            let o = outcome(&b, None);
            assert_eq!((o.new_proposal_value, o.safe), (None, true), "seed {seed}");
        }
    }

    #[test]
    fn the_checker_says_unsafe_when_the_proposer_does_not_adopt() {
        let b = request(5, 3, 7);
        let o = outcome(&b, Some(Bug::NoAdopt));
        assert!(!o.safe);
        assert!(!o.forced_by_promise);
        assert_eq!(
            o.new_proposal_value,
            Some(&json!("the new proposer's own value"))
        );
        let why = o.violation.unwrap();
        assert!(why.starts_with("immutability violated"), "{why}");
        assert!(why.contains("ballot 7") && why.contains("\"v1\""), "{why}");
    }

    #[test]
    fn fields_are_checked_in_order_and_named() {
        let err = |v: Json| Request::parse(&body(v)).unwrap_err().to_string();
        assert_eq!(err(json!({})), "field 'nodes' is missing");
        assert!(err(json!({"nodes": 10_001})).contains("'nodes' is out of range"));
        assert!(err(json!({"nodes": 0})).contains("'nodes' is out of range"));
        assert!(err(json!({"nodes": 3, "chosen_value": null})).contains("'chosen_value'"));
        assert!(
            err(json!({"nodes": 3, "chosen_value": 1, "chosen_at_n": -1}))
                .contains("'chosen_at_n' is out of range")
        );
        assert!(err(
            json!({"nodes": 3, "chosen_value": 1, "chosen_at_n": 1, "new_proposal_n": 1.5})
        )
        .contains("'new_proposal_n' must be an integer"));
        assert!(err(json!({"nodes": 3, "chosen_value": 1, "chosen_at_n": 1,
            "new_proposal_n": 2, "seed": "x"}))
        .contains("'seed'"));
        let ok = body(json!({"nodes": 3, "chosen_value": 1, "chosen_at_n": 1,
            "new_proposal_n": 2, "seed": null}));
        assert_eq!(Request::parse(&ok).unwrap().seed, None);
    }
}
