//! One execution: a world, a schedule and the checker, stepped together until the schedule
//! ends, a limit is hit or an invariant breaks.
//!
//! The [`Simulator`] owns its world and checker and resets them between executions, so a
//! campaign allocates once per thread, not per run. Recording the trace is optional: the
//! campaign's fast path runs without it and reruns a failing seed with it on (determinism
//! makes the rerun the same execution).

use serde::Serialize;

use crate::ballot::{Ballot, Value};
use crate::checker::{Checker, Observation, Violation};
use crate::config::Config;
use crate::event::{Event, NodeId};
use crate::profile::Profile;
use crate::protocol::{Phase, Protocol};
use crate::rng::Prng;
use crate::scheduler::{ChoiceSchedule, EventSchedule, Next, RandomSchedule, Schedule};
use crate::world::{reset_checker, StepError, World};

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// Nothing was enabled any more.
    Quiescent,
    /// The schedule's choices or events ran out.
    ScheduleEnd,
    /// `max_steps` was reached.
    StepLimit,
    /// A step would have put more than `max_in_flight` messages in flight.
    MessageLimit,
    /// An invariant broke.
    Violation,
    /// A recorded event was not enabled when its turn came (strict replay only).
    InvalidEvent,
}

impl Ending {
    pub fn name(self) -> &'static str {
        match self {
            Ending::Quiescent => "quiescent",
            Ending::ScheduleEnd => "schedule-end",
            Ending::StepLimit => "step-limit",
            Ending::MessageLimit => "message-limit",
            Ending::Violation => "violation",
            Ending::InvalidEvent => "invalid-event",
        }
    }
}

/// What an execution exercised, as bits: the "sometimes" properties a campaign counts, so
/// that a campaign that never chose a value or never crashed a voter says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Coverage(pub u16);

impl Coverage {
    /// A value was chosen.
    pub const CHOSEN: Coverage = Coverage(1);
    /// A proposer learned the decision.
    pub const DECIDED: Coverage = Coverage(1 << 1);
    /// Two or more proposers ran ballots.
    pub const DUEL: Coverage = Coverage(1 << 2);
    /// A proposer adopted a value from a promise.
    pub const ADOPTED: Coverage = Coverage(1 << 3);
    /// An acceptor that had voted crashed.
    pub const CRASHED_VOTER: Coverage = Coverage(1 << 4);
    /// A message was dropped.
    pub const DROPPED: Coverage = Coverage(1 << 5);
    /// A message was duplicated.
    pub const DUPLICATED: Coverage = Coverage(1 << 6);
    /// A node crashed.
    pub const CRASHED: Coverage = Coverage(1 << 7);
    /// A node restarted.
    pub const RESTARTED: Coverage = Coverage(1 << 8);
    /// A proposer crashed.
    pub const CRASHED_PROPOSER: Coverage = Coverage(1 << 9);

    /// Every mark with its name in reports, in report order.
    pub const NAMED: [(&'static str, Coverage); 10] = [
        ("chosen_runs", Coverage::CHOSEN),
        ("decided_runs", Coverage::DECIDED),
        ("duel_runs", Coverage::DUEL),
        ("adopted_runs", Coverage::ADOPTED),
        ("crashed_voter_runs", Coverage::CRASHED_VOTER),
        ("dropped_runs", Coverage::DROPPED),
        ("duplicated_runs", Coverage::DUPLICATED),
        ("crashed_runs", Coverage::CRASHED),
        ("restarted_runs", Coverage::RESTARTED),
        ("crashed_proposer_runs", Coverage::CRASHED_PROPOSER),
    ];

    pub fn has(self, mark: Coverage) -> bool {
        self.0 & mark.0 == mark.0
    }

    fn add(&mut self, mark: Coverage) {
        self.0 |= mark.0;
    }
}

/// The result of one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub profile: Profile,
    /// Steps taken (events applied).
    pub steps: u32,
    pub ending: Ending,
    /// The violation and the 1-based step at which it happened.
    pub violation: Option<(u32, Violation)>,
    pub chosen: Option<(Ballot, Value)>,
    pub coverage: Coverage,
    /// The event that was not enabled, for [`Ending::InvalidEvent`].
    pub invalid: Option<Event>,
    /// Some proposer that had not decided used up its `max_ballots`: the ballot limit, not
    /// the protocol, ended its attempts.
    pub ballots_exhausted: bool,
}

/// Runs executions of one configuration, reusing its allocations.
#[derive(Clone, Debug)]
pub struct Simulator {
    config: Config,
    proto: Protocol,
    world: World,
    checker: Checker,
    /// Off only to measure what the checker costs (`paxos-safety bench`).
    checking: bool,
}

/// Observations of one step, gathered while the world is borrowed.
#[derive(Default)]
struct StepMarks {
    violation: Option<Violation>,
    proposed: bool,
    decided: bool,
}

impl Simulator {
    /// A simulator for `config`, which must be valid ([`Config::validate`]).
    pub fn new(config: Config) -> Simulator {
        let proto = config.protocol();
        Simulator {
            config,
            proto,
            world: World::new(&proto, config.proposers),
            checker: Checker::new(proto.q2 as usize),
            checking: true,
        }
    }

    /// Switches the checker off (or back on). An unchecked execution proves nothing; this
    /// exists so the benchmark can measure the checker's share of a step.
    pub fn set_checking(&mut self, on: bool) {
        self.checking = on;
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The world as the last execution left it.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The profile the execution with `seed` runs under: drawn from the seed, with the
    /// configuration's pinned fields on top.
    pub fn profile_for(&self, seed: u64) -> Profile {
        self.config.faults.draw(&mut Prng::new(seed))
    }

    /// Runs the execution of `seed`, recording its events into `trace` if given.
    pub fn run_seed(&mut self, seed: u64, trace: Option<&mut Vec<Event>>) -> Outcome {
        let mut rng = Prng::new(seed);
        let profile = self.config.faults.draw(&mut rng);
        let mut schedule = RandomSchedule {
            rng,
            rates: profile.rates,
        };
        self.run(&mut schedule, profile, true, trace)
    }

    /// Runs a choice-driven execution (see [`ChoiceSchedule`]) under `profile`'s limits.
    pub fn run_choices(
        &mut self,
        choices: &[u32],
        profile: Profile,
        trace: Option<&mut Vec<Event>>,
    ) -> Outcome {
        self.run(&mut ChoiceSchedule::new(choices), profile, true, trace)
    }

    /// Replays recorded events. `strict`: an event that is not enabled ends the execution
    /// with [`Ending::InvalidEvent`]. Lenient (the shrinker's mode): a message event that is
    /// not enabled takes the in-flight message most like it ([`World::similar`]) or is
    /// skipped, and `trace` receives only the events actually taken.
    pub fn run_events(
        &mut self,
        events: &[Event],
        profile: Profile,
        strict: bool,
        trace: Option<&mut Vec<Event>>,
    ) -> Outcome {
        self.run(&mut EventSchedule::new(events), profile, strict, trace)
    }

    /// The execution loop every driver shares.
    pub fn run(
        &mut self,
        schedule: &mut impl Schedule,
        profile: Profile,
        strict: bool,
        mut trace: Option<&mut Vec<Event>>,
    ) -> Outcome {
        let limits = profile.limits;
        self.world.reset(&self.proto, self.config.proposers);
        reset_checker(&mut self.checker, &self.proto, self.config.proposers);
        let mut outcome = Outcome {
            profile,
            steps: 0,
            ending: Ending::Quiescent,
            violation: None,
            chosen: None,
            coverage: Coverage::default(),
            invalid: None,
            ballots_exhausted: false,
        };
        let mut ballots_by = 0u8;
        loop {
            if outcome.steps >= limits.max_steps {
                outcome.ending = Ending::StepLimit;
                break;
            }
            let (event, index) = match schedule.next(&self.world, &limits) {
                Next::Take(e, i) => (e, i),
                Next::Quiescent => {
                    outcome.ending = Ending::Quiescent;
                    break;
                }
                Next::Exhausted => {
                    outcome.ending = Ending::ScheduleEnd;
                    break;
                }
            };
            if let Event::Crash(NodeId::Acceptor(a)) = event {
                if self
                    .world
                    .acceptors
                    .get(a as usize)
                    .is_some_and(|s| s.accepted.is_some())
                {
                    outcome.coverage.add(Coverage::CRASHED_VOTER);
                }
            }
            let mut marks = StepMarks::default();
            let checker = &mut self.checker;
            let checking = self.checking;
            let mut sink = |obs: Observation| {
                match obs {
                    Observation::Proposal { .. } => marks.proposed = true,
                    Observation::Decide { .. } => marks.decided = true,
                    _ => {}
                }
                if checking {
                    if let Some(v) = checker.observe(obs) {
                        marks.violation.get_or_insert(v);
                    }
                }
            };
            let mut event = event;
            let mut applied = match index {
                Some(i) => self
                    .world
                    .apply_at(&self.proto, &limits, &event, i, &mut sink),
                None => self.world.apply(&self.proto, &limits, &event, &mut sink),
            };
            if applied == Err(StepError::NotEnabled) && !strict {
                // Lenient replay: take the message the event most plausibly meant.
                if let Some(i) = self.world.similar(&event) {
                    let env = self.world.network[i];
                    event = match event {
                        Event::Deliver(_) => Event::Deliver(env),
                        Event::Drop(_) => Event::Drop(env),
                        _ => Event::Duplicate(env),
                    };
                    applied = self
                        .world
                        .apply_at(&self.proto, &limits, &event, i, &mut sink);
                }
            }
            match applied {
                Ok(()) => {}
                Err(StepError::MessageLimit) => {
                    outcome.ending = Ending::MessageLimit;
                    break;
                }
                Err(StepError::NotEnabled) if strict => {
                    outcome.ending = Ending::InvalidEvent;
                    outcome.invalid = Some(event);
                    break;
                }
                Err(StepError::NotEnabled) => continue,
            }
            outcome.steps += 1;
            if let Some(t) = trace.as_deref_mut() {
                t.push(event);
            }
            match event {
                Event::Drop(_) => outcome.coverage.add(Coverage::DROPPED),
                Event::Duplicate(_) => outcome.coverage.add(Coverage::DUPLICATED),
                Event::Crash(node) => {
                    outcome.coverage.add(Coverage::CRASHED);
                    if matches!(node, NodeId::Proposer(_)) {
                        outcome.coverage.add(Coverage::CRASHED_PROPOSER);
                    }
                }
                Event::Restart(_) => outcome.coverage.add(Coverage::RESTARTED),
                Event::Timeout(p) => {
                    ballots_by |= 1 << p;
                    if ballots_by.count_ones() >= 2 {
                        outcome.coverage.add(Coverage::DUEL);
                    }
                }
                Event::Deliver(env) => {
                    if let (true, NodeId::Proposer(p)) = (marks.proposed, env.dst) {
                        if self.world.proposers[p as usize].adopted() {
                            outcome.coverage.add(Coverage::ADOPTED);
                        }
                    }
                }
            }
            if marks.decided {
                outcome.coverage.add(Coverage::DECIDED);
            }
            if let Some(v) = marks.violation {
                outcome.violation = Some((outcome.steps, v));
                outcome.ending = Ending::Violation;
                break;
            }
        }
        outcome.chosen = self.checker.chosen();
        outcome.ballots_exhausted = self
            .world
            .proposers
            .iter()
            .any(|p| p.phase != Phase::Decided && p.ballots_started >= limits.max_ballots);
        if outcome.chosen.is_some() {
            outcome.coverage.add(Coverage::CHOSEN);
        }
        outcome
    }
}
