//! Liveness (issue 12): after the network heals, a value is chosen and learned within the
//! bound, unless eager proposers duel. These tests pin that the mode is opt-in (safety runs
//! are unchanged by it), that the three strategies behave as claimed, and that a liveness
//! violation shrinks, saves and replays like any other.
// Tests print what they measured or skipped to the harness, a terminal.
#![allow(clippy::disallowed_macros)]

use std::process::Command;

use paxos_safety::campaign::Campaign;
use paxos_safety::checker::{Checker, Invariant};
use paxos_safety::config::{Config, Liveness, ProposerStrategy, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::event::Event;
use paxos_safety::execution::{Simulator, Step, Visitor};
use paxos_safety::protocol::{Acceptor, Proposer};
use paxos_safety::rng::execution_seed;
use paxos_safety::scheduler::EventSchedule;
use paxos_safety::shrink::shortest_counterexample;
use paxos_safety::world::World;
use serde_json::Value as Json;

fn live(strategy: ProposerStrategy, bound: u32) -> Config {
    Config {
        proposer_strategy: strategy,
        liveness: Some(Liveness {
            bound,
            stabilise_at: None,
        }),
        ..Config::default()
    }
}

fn campaign(config: Config, runs: u64) -> Campaign {
    Campaign {
        config,
        seed: 12,
        runs: Some(runs),
        time_limit: None,
        jobs: 2,
        shard: (1, 1),
        stop_on_violation: false,
        // The classic cluster: the strategies' figures below are pinned for it.
        shape: ShapeSwarm::FIXED,
    }
}

/// With liveness on, nothing before the healing changes: the scheduler's stream is the one
/// it always was, so the events up to the stabilisation point are those of the plain run.
/// And with it off (eager, the default), an execution knows nothing of it.
#[test]
fn liveness_changes_nothing_before_the_network_heals() {
    let mut plain = Simulator::new(Config::default());
    let mut with = Simulator::new(live(ProposerStrategy::Eager, 300));
    let mut healed_late = 0;
    for i in 0..400 {
        let seed = execution_seed(3, i);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let oa = plain.run_seed(seed, Some(&mut a));
        let ob = with.run_seed(seed, Some(&mut b));
        assert_eq!(oa.stabilised_at, None);
        assert_eq!(oa.settled_after, None);
        let at = ob
            .stabilised_at
            .expect("liveness mode has a stabilisation point") as usize;
        let common = at.min(a.len()).min(b.len());
        assert_eq!(
            a[..common],
            b[..common],
            "seed {seed} differs before step {at}"
        );
        healed_late += usize::from(at > 0);
    }
    assert!(
        healed_late > 100,
        "the stabilisation point is drawn, not always 0"
    );
}

/// The same seed gives the same liveness execution, event for event.
#[test]
fn liveness_executions_are_deterministic() {
    for strategy in ProposerStrategy::ALL {
        let mut sim = Simulator::new(live(strategy, 300));
        for i in 0..200 {
            let seed = execution_seed(5, i);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let oa = sim.run_seed(seed, Some(&mut a));
            let ob = sim.run_seed(seed, Some(&mut b));
            assert_eq!((oa, &a), (ob, &b));
        }
    }
}

/// Eager proposers duel: some executions miss the bound, and every miss is a `liveness`
/// violation, never a safety one.
#[test]
fn eager_proposers_livelock() {
    let report = campaign(live(ProposerStrategy::Eager, 300), 2_000).run(&|_, _| {});
    let c = &report.counts;
    assert!(c.violations > 100, "eager never duelled: {c:?}");
    let found = report.first.expect("a violation");
    assert_eq!(found.violation.invariant, Invariant::Liveness);
    assert_eq!(c.healed, c.runs);
}

/// Back-off and a leader both decide in every execution, within the bound.
#[test]
fn backoff_and_leader_always_decide() {
    for strategy in [ProposerStrategy::Backoff, ProposerStrategy::Leader] {
        let report = campaign(live(strategy, 300), 3_000).run(&|_, _| {});
        let c = &report.counts;
        assert_eq!(c.violations, 0, "{strategy}: {:?}", report.first);
        let s = c.settling().expect("executions settled");
        assert_eq!(s.runs, c.runs, "{strategy}: every execution settled");
        assert!(s.max < 300 && s.median <= s.p99 && s.p99 <= s.max);
    }
}

/// Remembers the leader before each step and checks every timeout taken was its.
struct LeaderOnly {
    leader: Option<u8>,
    timeouts: u32,
}

impl Visitor<Acceptor, Proposer> for LeaderOnly {
    fn before(&mut self, world: &World, _checker: &Checker) {
        self.leader = world.leader();
    }

    fn after(&mut self, step: &Step, _world: &mut World, _checker: &mut Checker) {
        if let Event::Timeout(p) = step.event {
            assert_eq!(
                Some(p),
                self.leader,
                "step {}: a non-leader retried",
                step.number
            );
            self.timeouts += 1;
        }
    }
}

/// The leader strategy lets only the live undecided proposer with the highest id time out,
/// before the healing as after it.
#[test]
fn only_the_leader_retries() {
    let config = Config {
        proposers: 3,
        ..live(ProposerStrategy::Leader, 300)
    };
    let mut sim = Simulator::new(config);
    let mut visitor = LeaderOnly {
        leader: None,
        timeouts: 0,
    };
    for i in 0..300 {
        let mut events = Vec::new();
        let o = sim.run_seed(execution_seed(9, i), Some(&mut events));
        let mut replay = Simulator::new(config.at_stabilisation(o.stabilised_at));
        let again = replay.run(
            &mut EventSchedule::new(&events),
            o.profile,
            true,
            &mut visitor,
        );
        assert_eq!(again.violation, o.violation);
        assert_eq!(again.steps, o.steps);
    }
    assert!(visitor.timeouts > 600, "proposers retried");
}

/// A liveness violation shrinks (never below the bound: the duel must last it out), its file
/// pins the stabilisation point, and replaying the file gives the same violation.
#[test]
fn a_duel_shrinks_saves_and_replays() {
    let config = live(ProposerStrategy::Eager, 40);
    let c = campaign(config, 500);
    let report = c.run(&|_, _| {});
    let found = report.first.expect("eager duels within 500 executions");
    let best = shortest_counterexample(&c, &found, 3).expect("it shrinks");
    let o = best.shrunk.outcome;
    let (step, v) = o.violation.expect("still a violation");
    assert_eq!(v.invariant, Invariant::Liveness);
    let at = o.stabilised_at.expect("pinned");
    assert_eq!(step, at + 40, "the violation comes exactly at the bound");
    assert_eq!(best.shrunk.events.len() as u32, at + 40);
    let pinned = config.at_stabilisation(Some(at));
    let cx = Counterexample::new(&pinned, &o.profile, &best.shrunk.events);
    assert_eq!(cx.config.liveness.unwrap().stabilise_at, Some(at));
    let events = cx.parse_events().expect("events parse");
    let mut sim = Simulator::new(cx.config);
    let again = sim.run_events(&events, cx.profile(), true, None);
    assert_eq!(again.violation, o.violation);
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paxos-safety"))
}

fn last_json(out: &std::process::Output) -> Json {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().expect("a line")).expect("JSON")
}

#[test]
fn fuzz_reports_the_settling_distribution_and_refuses_bad_flags() {
    let o = bin()
        .args([
            "fuzz",
            "--liveness",
            "--proposer-strategy",
            "leader",
            "--runs",
            "500",
        ])
        .args(["--seed", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let j = last_json(&o);
    let l = &j["liveness"];
    assert_eq!(l["proposer_strategy"], "leader");
    assert_eq!(l["bound"], 300);
    assert_eq!(l["settled_runs"], 500);
    assert!(l["settle_steps_median"].as_u64().unwrap() <= l["settle_steps_max"].as_u64().unwrap());
    assert_eq!(j["config"]["proposer_strategy"], "leader");

    let plain = bin()
        .args(["fuzz", "--runs", "50", "--seed", "1", "--json"])
        .output()
        .unwrap();
    let j = last_json(&plain);
    assert_eq!(j["liveness"], Json::Null);
    assert!(
        j["config"].get("proposer_strategy").is_none(),
        "eager is not printed"
    );

    for bad in [
        &["fuzz", "--liveness-bound", "10"][..],
        &["fuzz", "--liveness", "--liveness-bound", "0"],
        &["fuzz", "--liveness", "--liveness-bound", "20001"],
        &["fuzz", "--proposer-strategy", "lazy"],
        &["fuzz", "--stabilise-at", "3"],
    ] {
        let o = bin().args(bad).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    }
}

/// Sharded liveness campaigns merge into the whole one: the settling histograms add, and
/// the distribution computed from the sum is the unsharded campaign's, to the step.
#[test]
fn liveness_shards_merge_into_the_whole_distribution() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-live-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let args = [
        "fuzz",
        "--liveness",
        "--runs",
        "3000",
        "--seed",
        "9",
        "--json",
    ];
    let whole = last_json(&bin().args(args).output().unwrap());
    let mut files = Vec::new();
    for k in 1..=3 {
        let o = bin()
            .args(args)
            .args(["--shard", &format!("{k}/3")])
            .output()
            .unwrap();
        let path = dir.join(format!("shard{k}.json"));
        std::fs::write(&path, &o.stdout).unwrap();
        files.push(path);
    }
    let merged = bin().arg("merge").args(&files).output().unwrap();
    let out = String::from_utf8_lossy(&merged.stdout);
    let m = last_json(&merged);
    assert_eq!(m["liveness"], whole["liveness"], "{out}");
    assert!(whole["liveness"]["settled_runs"].as_u64().unwrap() > 1000);
    assert!(
        out.contains("liveness (strategy eager, bound 300): 3000 healed, "),
        "{out}"
    );
    // A shard of a safety campaign is another campaign.
    let safety = bin()
        .args([
            "fuzz", "--runs", "3000", "--seed", "9", "--json", "--shard", "1/3",
        ])
        .output()
        .unwrap();
    std::fs::write(&files[0], &safety.stdout).unwrap();
    let mixed = bin().arg("merge").args(&files).output().unwrap();
    assert_eq!(mixed.status.code(), Some(2));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_text_trace_shows_where_the_network_healed() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-live-{}", std::process::id()));
    let o = bin()
        .args([
            "fuzz",
            "--liveness",
            "--liveness-bound",
            "40",
            "--stabilise-at",
            "5",
        ])
        .args(["--runs", "300", "--seed", "2", "--json", "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let j = last_json(&o);
    assert_eq!(j["first_violation"]["invariant"], "liveness");
    let file = j["first_violation"]["counterexample"]
        .as_str()
        .unwrap()
        .to_string();
    let r = bin().args(["replay", &file]).output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    let text = String::from_utf8_lossy(&r.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let healed = lines
        .iter()
        .position(|l| l.contains("the network heals after step 5"))
        .expect("the healing is marked");
    assert!(lines[healed + 1].trim_start().starts_with("6 "), "{text}");
    assert!(text.contains("liveness violated at step 45"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

/// The successors of `w` in the healed cluster of `config`, each seen through `image`,
/// sorted: the multiset a bisimulation must preserve.
fn successor_images<T: Ord>(config: &Config, w: &World, image: impl Fn(&World) -> T) -> Vec<T> {
    use paxos_safety::explore::lasso::healed_limits;
    let (proto, limits) = (config.protocol(), healed_limits(config));
    let mut enabled = Vec::new();
    w.enabled(&limits, &mut enabled);
    let mut out: Vec<T> = enabled
        .iter()
        .filter_map(|e| {
            let mut next = w.clone();
            next.apply(&proto, &limits, e, &mut |_| {}).ok()?;
            Some(image(&next))
        })
        .collect();
    out.sort();
    out
}

/// `walks` random walks of up to `steps` events through the healed cluster of `config`,
/// seeded by `seed`; `visit` sees every state on them, with the walks' generator.
fn random_walks(
    config: &Config,
    seed: u64,
    walks: usize,
    steps: usize,
    mut visit: impl FnMut(&World, &mut paxos_safety::rng::Prng),
) {
    use paxos_safety::explore::lasso::healed_limits;
    let (proto, limits) = (config.protocol(), healed_limits(config));
    let mut rng = paxos_safety::rng::Prng::new(seed);
    let mut enabled = Vec::new();
    for _ in 0..walks {
        let mut w = World::new(&proto, config.proposers);
        for _ in 0..steps {
            visit(&w, &mut rng);
            w.enabled(&limits, &mut enabled);
            if enabled.is_empty() {
                break;
            }
            let e = enabled[rng.below(enabled.len() as u32) as usize];
            w.apply(&proto, &limits, &e, &mut |_| {}).unwrap();
        }
    }
}

/// The renaming is sound: on states reached by random walks of the healed cluster, the
/// renamed successors of a state are exactly those of its renaming (so the quotient graph
/// is a bisimulation), and renaming twice changes nothing.
#[test]
fn renaming_ballots_commutes_with_every_step() {
    use paxos_safety::explore::lasso::canonical;
    for strategy in [ProposerStrategy::Eager, ProposerStrategy::Leader] {
        for (acceptors, proposers) in [(3, 2), (2, 3)] {
            let config = Config {
                acceptors,
                proposers,
                proposer_strategy: strategy,
                ..Config::default()
            };
            let image = |w: &World| format!("{:?}", canonical(w)).into_bytes();
            let mut checked = 0;
            let seed = u64::from(acceptors) * 7 + u64::from(proposers);
            random_walks(&config, seed, 40, 80, |w, _| {
                let c = canonical(w);
                assert_eq!(canonical(&c), c, "renaming is idempotent");
                assert_eq!(
                    successor_images(&config, w, image),
                    successor_images(&config, &c, image),
                    "{w:?}"
                );
                checked += 1;
            });
            assert!(checked > 1_000);
        }
    }
}

/// `world` with acceptor `a` renamed `perm[a]` in every field that names one.
fn permute(world: &World, perm: &[u16]) -> World {
    use paxos_safety::ballot::AcceptorSet;
    use paxos_safety::event::NodeId;
    let set = |s: &AcceptorSet| {
        let mut out = AcceptorSet::default();
        for a in 0..perm.len() as u16 {
            if s.contains(a) {
                out.insert(perm[a as usize]);
            }
        }
        out
    };
    let node = |n: NodeId| match n {
        NodeId::Acceptor(a) => NodeId::Acceptor(perm[a as usize]),
        other => other,
    };
    let mut out = world.clone();
    out.acceptors_down = 0;
    for (a, acc) in world.acceptors.iter().enumerate() {
        out.acceptors[perm[a] as usize] = *acc;
        out.acceptors_down |= ((world.acceptors_down >> a) & 1) << perm[a];
    }
    for e in &mut out.network {
        e.src = node(e.src);
        e.dst = node(e.dst);
    }
    for p in &mut out.proposers {
        let mut s = p.state().clone();
        s.promises = set(&s.promises);
        s.votes = set(&s.votes);
        s.highest = s.highest.map(|(b, v, a)| (b, v, perm[a as usize]));
        *p = Proposer::from_state(s);
    }
    out
}

/// The acceptor symmetry of the lasso search is sound: on states reached by random walks
/// of the healed cluster, a state renamed by a random permutation of the acceptors, or with
/// the reporter of a proposer's highest vote changed, has the same key, and the keys of
/// its successors are the same multiset (so the quotient by the key is a bisimulation).
#[test]
fn renaming_acceptors_commutes_with_every_step() {
    use paxos_safety::explore::lasso::key;
    for strategy in [ProposerStrategy::Eager, ProposerStrategy::Leader] {
        for (acceptors, proposers) in [(3u16, 2u8), (4, 2), (2, 3)] {
            let config = Config {
                acceptors,
                proposers,
                proposer_strategy: strategy,
                ..Config::default()
            };
            let successors = |w: &World| successor_images(&config, w, key);
            let (mut checked, mut reporters, mut keys) = (0, 0, std::collections::BTreeSet::new());
            let seed = u64::from(acceptors) * 11 + u64::from(proposers);
            random_walks(&config, seed, 30, 60, |w, rng| {
                let mut perm: Vec<u16> = (0..acceptors).collect();
                for i in (1..perm.len()).rev() {
                    perm.swap(i, rng.below(i as u32 + 1) as usize);
                }
                let renamed = permute(w, &perm);
                assert_eq!(key(w), key(&renamed), "{perm:?} {w:?}");
                assert_eq!(successors(w), successors(&renamed), "{perm:?} {w:?}");
                keys.insert(key(w));
                checked += 1;
                // Another reporter of the same highest vote.
                for (p, pr) in w.proposers.iter().enumerate() {
                    let mut s = pr.state().clone();
                    if let Some((b, v, a)) = s.highest {
                        s.highest = Some((b, v, (a + 1) % acceptors));
                        let mut other = w.clone();
                        other.proposers[p] = Proposer::from_state(s);
                        assert_eq!(key(w), key(&other));
                        assert_eq!(successors(w), successors(&other));
                        reporters += 1;
                    }
                }
            });
            assert!(checked > 500 && reporters > 50, "{checked} {reporters}");
            // Walks come back to states already seen (a duel repeats up to renaming), but the
            // key is no constant: it tells dozens of states apart.
            assert!(keys.len() > 30, "{} keys of {checked}", keys.len());
        }
    }
}

/// A duel repeats up to renaming: after two laps of ballots the renamed state is the same
/// although every ballot is higher; renaming never merges states that order ballots
/// differently.
#[test]
fn renaming_keeps_the_order_of_ballots() {
    use paxos_safety::ballot::Ballot;
    use paxos_safety::explore::lasso::canonical;
    let proto = Config::default().protocol();
    let mut low = World::new(&proto, 2);
    let mut high = World::new(&proto, 2);
    let accept = |b: u64| {
        Acceptor::from_view(paxos_safety::roles::AcceptorView {
            promised: Some(Ballot::new(b, 2)),
            accepted: None,
        })
    };
    low.acceptors[0] = accept(1);
    high.acceptors[0] = accept(7);
    // Proposers at round 0 next use round 1; the promise at round 1 or 7 is above their
    // round either way, but equal to p2's next round only in `low`.
    assert_ne!(canonical(&low), canonical(&high));
    let mut far = World::new(&proto, 2);
    far.acceptors[0] = accept(9);
    assert_eq!(
        canonical(&high),
        canonical(&far),
        "7 and 9 are both beyond the next round"
    );
}

/// The shortest lasso of eager proposers, pinned; the leader provably has none.
#[test]
fn explore_finds_the_shortest_duel_and_proves_the_leader_live() {
    use paxos_safety::explore::lasso::find;
    for (acceptors, prefix, cycle) in [(1u16, 10usize, 10usize), (2, 11, 10)] {
        let config = Config {
            acceptors,
            ..Config::default()
        };
        let r = find(&config, 1_000_000);
        // Proved shortest: the whole graph was searched, or every state within the
        // lasso's length was expanded.
        assert!(r.shortest && r.limit.is_none(), "{r:?}");
        let l = r.lasso.expect("eager proposers duel");
        assert_eq!(
            (l.prefix.len(), l.cycle.len()),
            (prefix, cycle),
            "{acceptors} acceptors"
        );
        assert!(l.cycle.iter().any(|e| matches!(e, Event::Timeout(0))));
        assert!(l.cycle.iter().any(|e| matches!(e, Event::Timeout(1))));
        let leader = find(
            &Config {
                proposer_strategy: ProposerStrategy::Leader,
                ..config
            },
            1_000_000,
        );
        assert!(leader.complete && leader.lasso.is_none(), "{leader:?}");
    }
}

/// Three acceptors: the duelling order's quotient is small, and its shortest lasso (among
/// its schedules) is pinned; the full search's is pinned in the heavy tier. The leader has
/// none there either.
#[test]
fn the_duelling_order_finds_the_three_acceptor_duel() {
    use paxos_safety::explore::lasso::find_with;
    let eager = find_with(&Config::default(), 100_000, true);
    assert_eq!(eager.limit, None);
    assert!(!eager.complete, "a restricted search proves nothing");
    let l = eager.lasso.expect("eager proposers duel");
    assert_eq!((l.prefix.len(), l.cycle.len()), (29, 26));
    let leader = Config {
        proposer_strategy: ProposerStrategy::Leader,
        ..Config::default()
    };
    assert_eq!(find_with(&leader, 100_000, true).lasso, None);
    // And the full search proves the leader live at three acceptors.
    let full = find_with(&leader, 1_000_000, false);
    assert!(full.complete && full.lasso.is_none());
}

#[test]
fn explore_renders_the_lasso_with_its_cycle_marked() {
    for (format, needle) in [
        ("text", "# ---- the cycle starts here (steps 30..55)"),
        ("mermaid", "Note over p1: the cycle starts (steps 30..55)"),
        ("json", "\"cycle_starts_at_step\":30"),
    ] {
        let o = bin()
            .args(["explore", "--liveness", "--duel-order", "--format", format])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{format}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(needle), "{format}: {out}");
    }
    let o = bin().args(["explore", "--duel-order"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "--duel-order needs --liveness");
}

/// `--max-memory` bounds the lasso search as it bounds the safety search: it stops adding
/// states before its structures would pass the bound, says so, and reports its peak.
#[test]
fn explore_liveness_keeps_to_its_memory_bound() {
    let o = bin()
        .args(["explore", "--liveness", "--max-memory", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "nothing found, incomplete");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("limit hit: --max-memory 1 MiB: the search is incomplete"),
        "{out}"
    );
    let j = last_json(&o);
    assert_eq!(j["limit"], "--max-memory 1 MiB");
    assert_eq!(j["complete"], false);
    let peak = j["peak_bytes"].as_u64().unwrap();
    let states = j["states"].as_u64().unwrap();
    // Most of a MiB used, none of it past the bound: the vectors of nodes and keys are
    // full at 4,096 states, and the next state would double them.
    assert!((1 << 19..=1 << 20).contains(&peak), "{j}");
    assert_eq!((states, peak), (4096, 1_046_320), "{j}");
    let per_state = j["bytes_per_state"].as_f64().unwrap();
    assert!((per_state - peak as f64 / states as f64).abs() < 0.1, "{j}");

    // Without the bound the same search goes on past it.
    let o = bin()
        .args(["explore", "--liveness", "--max-states", "20000", "--json"])
        .output()
        .unwrap();
    let j = last_json(&o);
    assert_eq!(j["limit"], "--max-states 20000");
    assert!(j["peak_bytes"].as_u64().unwrap() > 1 << 20, "{j}");

    // The count itself, pinned where the whole quotient is small (two acceptors): the
    // capacities of the nodes, their edges, the keys, the index and the queue's worlds. A
    // change in what is counted, or in the size of what is stored, shows here.
    let o = bin()
        .args(["explore", "--liveness", "--acceptors", "2", "--json"])
        .output()
        .unwrap();
    let j = last_json(&o);
    assert_eq!(j["states"], 1899);
    assert_eq!(j["peak_bytes"], 529_936);
}

/// The watcher that draws the lasso search's status line sees it go forward and changes
/// nothing: the watched report is the plain one.
#[test]
fn the_lasso_search_watcher_sees_it_go_forward_and_changes_nothing() {
    use paxos_safety::explore::lasso::{search, search_watched, Bounds, Status};
    let bounds = Bounds {
        max_states: 100_000,
        max_bytes: u64::MAX,
        duel: false,
        time_limit: None,
    };
    let mut seen: Vec<Status> = Vec::new();
    let watched = search_watched(&Config::default(), bounds, &mut |s| seen.push(*s));
    assert_eq!(watched, search(&Config::default(), bounds));
    assert!(seen.len() >= 2, "{seen:?}");
    assert_eq!(
        (seen[0].depth, seen[0].states, seen[0].transitions),
        (0, 1, 0)
    );
    for w in seen.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(b.depth >= a.depth && b.states >= a.states, "{a:?} {b:?}");
        assert!(b.transitions > a.transitions, "{a:?} {b:?}");
    }
    // What the structures hold now: it shrinks as the queue drains, and never passes the
    // peak the report gives.
    for s in &seen {
        assert!(s.bytes > 0 && s.bytes <= watched.peak_bytes, "{s:?}");
    }
    let last = seen.last().unwrap();
    assert!(last.states <= watched.states && last.transitions <= watched.transitions);
}

/// The lasso search heals the network and renames ballots, so the safety search's bounds,
/// reductions and file have no meaning to it: each is refused rather than taken and
/// ignored.
#[test]
fn explore_liveness_refuses_the_safety_searchs_flags() {
    for flags in [
        &["--max-ballots", "2"][..],
        &["--max-crashes", "1"],
        &["--max-duplicates", "1"],
        &["--max-drops", "1"],
        &["--depth", "3"],
        &["--jobs", "2"],
        &["--no-symmetry"],
        &["--no-por"],
        &["--shortest"],
        &["--allow-vacuous"],
        &["--out", "lasso.json"],
    ] {
        let o = bin()
            .args(["explore", "--liveness", "--max-states", "10"])
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{flags:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("cannot be used with") && err.contains(flags[0]),
            "{flags:?}: {err}"
        );
    }
}

/// The full search at the default three acceptors (the heavy tier: about 5 s on a release
/// build, a minute or more on a debug one): the shortest duel there is, proved shortest by
/// expanding every state within its length of the start.
#[cfg(feature = "heavy")]
#[test]
fn explore_proves_the_shortest_three_acceptor_duel() {
    use paxos_safety::explore::lasso::find;
    let r = find(&Config::default(), 4_000_000);
    assert_eq!(r.limit, None);
    assert!(r.shortest, "{:?}", (r.states, r.complete));
    assert_eq!(
        r.states, 1_071_109,
        "the search stops once the lasso is proved shortest"
    );
    let l = r.lasso.expect("eager proposers duel");
    assert_eq!((l.prefix.len(), l.cycle.len()), (17, 26));
    assert!(l.cycle.iter().any(|e| matches!(e, Event::Timeout(0))));
    assert!(l.cycle.iter().any(|e| matches!(e, Event::Timeout(1))));
}

/// Without the heavy feature, says where the three-acceptor search went.
#[cfg(not(feature = "heavy"))]
#[test]
fn explore_proves_the_shortest_three_acceptor_duel() {
    eprintln!(
        "the full three-acceptor lasso search runs in the heavy tier: \
         cargo test --release --features heavy --test suite liveness::"
    );
}
