//! The simulator's events, crash-restart durability, and limits as outcomes.

use paxos_safety::ballot::{Ballot, Value};
use paxos_safety::checker::Observation;
use paxos_safety::config::Config;
use paxos_safety::event::{Envelope, Event, NodeId};
use paxos_safety::execution::{Coverage, Ending, Simulator};
use paxos_safety::profile::{Profile, Rates};
use paxos_safety::protocol::{Msg, Phase, Protocol};
use paxos_safety::world::{Limits, StepError, World};

fn calm(limits: Limits) -> Profile {
    Profile {
        rates: Rates::NONE,
        limits,
    }
}

fn ev(lines: &[&str]) -> Vec<Event> {
    lines.iter().map(|l| l.parse().unwrap()).collect()
}

struct Harness {
    proto: Protocol,
    limits: Limits,
    world: World,
    seen: Vec<Observation>,
}

impl Harness {
    fn new() -> Harness {
        let proto = Config::default().protocol();
        Harness {
            proto,
            limits: Limits::default(),
            world: World::new(&proto, 2),
            seen: Vec::new(),
        }
    }

    fn step(&mut self, line: &str) -> Result<(), StepError> {
        let e: Event = line.parse().unwrap();
        let seen = &mut self.seen;
        self.world
            .apply(&self.proto, &self.limits, &e, &mut |o| seen.push(o))
    }
}

#[test]
fn deliver_runs_the_protocol_and_reports_what_the_checker_needs() {
    let mut h = Harness::new();
    h.step("timeout p1").unwrap();
    assert_eq!(
        h.world.network.len(),
        3,
        "prepare broadcast to three acceptors"
    );
    h.step("deliver p1->a1 prepare 1.1").unwrap();
    assert_eq!(
        h.world.acceptors[0].view().promised,
        Some(Ballot::new(1, 1))
    );
    assert_eq!(
        h.seen,
        vec![Observation::Promise {
            acceptor: 0,
            ballot: Ballot::new(1, 1),
            accepted: None,
        }]
    );
    h.step("deliver p1->a2 prepare 1.1").unwrap();
    h.step("deliver a1->p1 promise 1.1").unwrap();
    h.step("deliver a2->p1 promise 1.1").unwrap();
    assert_eq!(h.world.proposers[0].state().phase, Phase::Accepting);
    assert!(h.seen.contains(&Observation::Proposal {
        ballot: Ballot::new(1, 1),
        value: Value(1)
    }));
    h.step("deliver p1->a1 accept 1.1 v1").unwrap();
    assert_eq!(
        h.world.acceptors[0].view().accepted,
        Some((Ballot::new(1, 1), Value(1)))
    );
    assert_eq!(
        h.step("deliver p1->a1 accept 1.1 v1"),
        Err(StepError::NotEnabled),
        "that message was consumed"
    );
}

#[test]
fn drop_and_duplicate_change_only_the_network() {
    let mut h = Harness::new();
    h.step("timeout p1").unwrap();
    h.step("drop p1->a3 prepare 1.1").unwrap();
    assert_eq!(h.world.network.len(), 2);
    assert_eq!(h.world.drops, 1);
    h.step("duplicate p1->a1 prepare 1.1").unwrap();
    assert_eq!(h.world.network.len(), 3);
    h.step("deliver p1->a1 prepare 1.1").unwrap();
    h.step("deliver p1->a1 prepare 1.1").unwrap();
    let promises = h
        .world
        .network
        .iter()
        .filter(|e| matches!(e.msg, Msg::Promise { .. }))
        .count();
    assert_eq!(promises, 2, "a duplicated prepare is answered twice");
}

#[test]
fn an_acceptor_keeps_its_promise_and_vote_across_a_crash() {
    let mut h = Harness::new();
    for line in [
        "timeout p1",
        "deliver p1->a1 prepare 1.1",
        "deliver p1->a2 prepare 1.1",
        "deliver a1->p1 promise 1.1",
        "deliver a2->p1 promise 1.1",
        "deliver p1->a1 accept 1.1 v1",
        "crash a1",
    ] {
        h.step(line).unwrap();
    }
    assert!(!h.world.is_up(NodeId::Acceptor(0)));
    assert_eq!(
        h.step("deliver p1->a2 accept 1.1 v1"),
        Ok(()),
        "others go on"
    );
    h.step("restart a1").unwrap();
    assert_eq!(
        h.world.acceptors[0].view().accepted,
        Some((Ballot::new(1, 1), Value(1)))
    );
    assert_eq!(
        h.world.acceptors[0].view().promised,
        Some(Ballot::new(1, 1))
    );
}

#[test]
fn a_crashed_node_receives_nothing_until_it_restarts() {
    let mut h = Harness::new();
    h.step("timeout p1").unwrap();
    h.step("crash a1").unwrap();
    assert_eq!(
        h.step("deliver p1->a1 prepare 1.1"),
        Err(StepError::NotEnabled)
    );
    assert_eq!(h.step("crash a1"), Err(StepError::NotEnabled));
    h.step("restart a1").unwrap();
    h.step("deliver p1->a1 prepare 1.1").unwrap();
}

#[test]
fn a_proposer_loses_its_ballot_in_a_crash_but_never_reuses_it() {
    let mut h = Harness::new();
    h.step("timeout p1").unwrap();
    h.step("deliver p1->a1 prepare 1.1").unwrap();
    h.step("crash p1").unwrap();
    assert_eq!(h.world.proposers[0].state().phase, Phase::Idle);
    assert_eq!(h.step("timeout p1"), Err(StepError::NotEnabled), "down");
    assert_eq!(
        h.step("deliver a1->p1 promise 1.1"),
        Err(StepError::NotEnabled)
    );
    h.step("restart p1").unwrap();
    h.step("deliver a1->p1 promise 1.1").unwrap();
    assert_eq!(
        h.world.proposers[0].state().promise_count,
        0,
        "the old ballot is gone"
    );
    h.step("timeout p1").unwrap();
    assert_eq!(h.world.proposers[0].state().ballot, Some(Ballot::new(2, 1)));
}

#[test]
fn timeouts_stop_at_the_ballot_limit() {
    let mut h = Harness::new();
    h.limits.max_ballots = 2;
    h.step("timeout p2").unwrap();
    h.step("timeout p2").unwrap();
    assert_eq!(h.step("timeout p2"), Err(StepError::NotEnabled));
}

#[test]
fn fault_limits_disable_faults() {
    let mut h = Harness::new();
    h.limits.max_drops = 1;
    h.limits.max_crashes = 1;
    h.limits.max_duplicates = 0;
    h.step("timeout p1").unwrap();
    h.step("drop p1->a1 prepare 1.1").unwrap();
    assert_eq!(
        h.step("drop p1->a2 prepare 1.1"),
        Err(StepError::NotEnabled)
    );
    assert_eq!(
        h.step("duplicate p1->a2 prepare 1.1"),
        Err(StepError::NotEnabled)
    );
    h.step("crash a3").unwrap();
    assert_eq!(h.step("crash a2"), Err(StepError::NotEnabled));
}

#[test]
fn limits_are_outcomes() {
    let mut sim = Simulator::new(Config::default());
    let events = ev(&["timeout p1", "timeout p2", "timeout p1"]);
    let o = sim.run_events(
        &events,
        calm(Limits {
            max_steps: 2,
            ..Limits::default()
        }),
        true,
        None,
    );
    assert_eq!((o.ending, o.steps), (Ending::StepLimit, 2));
    let o = sim.run_events(
        &events,
        calm(Limits {
            max_in_flight: 4,
            ..Limits::default()
        }),
        true,
        None,
    );
    assert_eq!((o.ending, o.steps), (Ending::MessageLimit, 1));
    let o = sim.run_events(
        &ev(&["crash a1", "crash a1"]),
        calm(Limits::default()),
        true,
        None,
    );
    assert_eq!(o.ending, Ending::InvalidEvent);
    assert_eq!(o.invalid, Some("crash a1".parse().unwrap()));
}

#[test]
fn a_calm_run_chooses_and_decides() {
    let events = ev(&[
        "timeout p1",
        "deliver p1->a1 prepare 1.1",
        "deliver p1->a2 prepare 1.1",
        "deliver a1->p1 promise 1.1",
        "deliver a2->p1 promise 1.1",
        "deliver p1->a1 accept 1.1 v1",
        "deliver p1->a2 accept 1.1 v1",
        "deliver a1->p1 accepted 1.1 v1",
        "deliver a2->p1 accepted 1.1 v1",
    ]);
    let o =
        Simulator::new(Config::default()).run_events(&events, calm(Limits::default()), true, None);
    assert_eq!(o.violation, None);
    assert_eq!(o.chosen, Some((Ballot::new(1, 1), Value(1))));
    assert!(o.coverage.has(Coverage::CHOSEN) && o.coverage.has(Coverage::DECIDED));
    assert_eq!(o.ending, Ending::ScheduleEnd);
}

#[test]
fn enabled_lists_deliveries_first_and_faults_last() {
    let mut h = Harness::new();
    h.step("timeout p1").unwrap();
    let mut out = Vec::new();
    h.world.enabled(&h.limits, &mut out);
    let kinds: Vec<&str> = out.iter().map(|e| e.kind()).collect();
    let first_fault = kinds.iter().position(|k| *k == "drop").unwrap();
    assert!(kinds[..first_fault]
        .iter()
        .all(|k| *k == "deliver" || *k == "timeout"));
    assert_eq!(kinds.iter().filter(|k| **k == "deliver").count(), 3);
    assert_eq!(kinds.last(), Some(&"crash"));
    let env = Envelope {
        src: NodeId::Proposer(0),
        dst: NodeId::Acceptor(0),
        msg: Msg::Prepare {
            ballot: Ballot::new(1, 1),
        },
    };
    assert_eq!(out[0], Event::Deliver(env));
}

/// What a campaign reports as exercised is what the executions did. Each mark is checked
/// against the trace, which sees the same execution through other code (the renderer's own
/// bookkeeping of votes, proposals and decisions): `adopted` means some proposal at ballot b
/// was made after a promise for b reporting a vote reached its proposer, or carried a value
/// not its own; `duel` that two proposers started ballots; `crashed_voter` that an acceptor
/// crashed holding a vote. The executions cover every kind of proposal (after a reported
/// vote that carries the proposer's own value, of another's value, with no vote reported).
#[test]
fn what_a_campaign_reports_as_exercised_is_what_the_trace_shows() {
    use paxos_safety::render::{Change, Trace};
    use paxos_safety::world::input_value;
    let (mut own_after_vote, mut other_value, mut no_vote) = (0, 0, 0);
    let mut marked = [0u32; Coverage::NAMED.len()];
    let mut runs = 0;
    let no_adopt = Some(paxos_safety::bug::Bug::NoAdopt);
    for (proposers, bug) in [(2, None), (2, no_adopt), (1, None)] {
        let config = Config {
            proposers,
            bug,
            ..Config::default()
        };
        let mut sim = Simulator::new(config);
        for seed in 0..1000 {
            runs += 1;
            let mut events = Vec::new();
            let outcome = sim.run_seed(seed, Some(&mut events));
            let trace = Trace::new(&config, Some(seed), &outcome, &events).unwrap();
            let mut heard: Vec<(u8, Ballot)> = Vec::new();
            let mut voted: Vec<u16> = Vec::new();
            let mut started: Vec<u8> = Vec::new();
            let mut expected = Coverage::default();
            for step in &trace.steps {
                match step.event {
                    Event::Deliver(Envelope {
                        dst: NodeId::Proposer(p),
                        msg:
                            Msg::Promise {
                                ballot,
                                accepted: Some(_),
                            },
                        ..
                    }) => heard.push((p, ballot)),
                    Event::Timeout(p) if !started.contains(&p) => started.push(p),
                    Event::Drop(_) => expected.add(Coverage::DROPPED),
                    Event::Duplicate(_) => expected.add(Coverage::DUPLICATED),
                    Event::Restart(_) => expected.add(Coverage::RESTARTED),
                    Event::Crash(node) => {
                        expected.add(Coverage::CRASHED);
                        match node {
                            NodeId::Proposer(_) => expected.add(Coverage::CRASHED_PROPOSER),
                            NodeId::Acceptor(a) if voted.contains(&a) => {
                                expected.add(Coverage::CRASHED_VOTER)
                            }
                            NodeId::Acceptor(_) => {}
                        }
                    }
                    _ => {}
                }
                if started.len() >= 2 {
                    expected.add(Coverage::DUEL);
                }
                for change in &step.changes {
                    match *change {
                        Change::Voted { acceptor, .. } => voted.push(acceptor),
                        Change::Decided { .. } => expected.add(Coverage::DECIDED),
                        Change::Chosen { .. } => expected.add(Coverage::CHOSEN),
                        Change::Proposed {
                            proposer,
                            ballot,
                            value,
                            ..
                        } => {
                            let after_vote = heard.contains(&(proposer, ballot));
                            let other = value != input_value(proposer);
                            match (after_vote, other) {
                                (true, false) => own_after_vote += 1,
                                (_, true) => other_value += 1,
                                (false, false) => no_vote += 1,
                            }
                            if after_vote || other {
                                expected.add(Coverage::ADOPTED);
                            }
                        }
                        _ => {}
                    }
                }
            }
            for (i, (name, mark)) in Coverage::NAMED.into_iter().enumerate() {
                assert_eq!(
                    outcome.coverage.has(mark),
                    expected.has(mark),
                    "{name}: seed {seed}, bug {bug:?}"
                );
                marked[i] += u32::from(expected.has(mark));
            }
        }
    }
    // Each kind of proposal occurred, and each mark was both set and unset somewhere, so
    // each part of each rule was checked.
    assert!(
        own_after_vote > 0 && other_value > 0 && no_vote > 0,
        "{own_after_vote} {other_value} {no_vote}"
    );
    for (i, (name, _)) in Coverage::NAMED.into_iter().enumerate() {
        assert!(marked[i] > 0 && marked[i] < runs, "{name}: {}", marked[i]);
    }
}
