//! One execution: a world, a schedule and the checker, stepped together until the schedule
//! ends, a limit is hit or an invariant breaks.
//!
//! The [`Simulator`] owns its world and checker and resets them between executions, so a
//! campaign allocates once per thread, not per run. Recording the trace is optional: the
//! campaign's fast path runs without it and reruns a failing seed with it on (determinism
//! makes the rerun the same execution).

use serde::Serialize;

use crate::ballot::{Ballot, Value};
use crate::checker::{Checker, Invariant, Observation, Violation};
use crate::config::{Config, ProposerStrategy};
use crate::event::{Event, NodeId};
use crate::profile::Profile;
use crate::progress::Progress;
use crate::protocol::{Builtin, Msg, Protocol};
use crate::rng::Prng;
use crate::roles::{AcceptorRole, Implementation, ProposerRole};
use crate::scheduler::{Backoff, ChoiceSchedule, EventSchedule, Next, RandomSchedule, Schedule};
use crate::world::{input_value, reset_checker, Limits, StepError, World};

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

    pub fn add(&mut self, mark: Coverage) {
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
    /// Liveness mode: the step after which the network healed, or was to heal when the
    /// execution ended first. With it pinned ([`Config::at_stabilisation`]) a replay of the
    /// events heals where this execution did.
    pub stabilised_at: Option<u32>,
    /// Liveness mode: the network healed.
    pub healed: bool,
    /// Liveness mode: steps from the healing until a value was chosen and every proposer
    /// had learned it, if that happened.
    pub settled_after: Option<u32>,
}

/// One step as the simulator took it, for [`Visitor`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based.
    pub number: u32,
    /// The event taken (for a lenient replay, the one actually taken).
    pub event: Event,
    /// The proposal the step sent (an `Accept` broadcast), if it sent one.
    pub proposal: Option<(Ballot, Value)>,
    /// The decision a proposer made in this step (the ballot and value of its `Decide`
    /// action), if one did: what the proposer did, whatever its view says.
    pub decided: Option<(Ballot, Value)>,
    /// The first invariant the step broke, if any (the execution then ends).
    pub violation: Option<Violation>,
}

/// Watches every step of an execution. [`Simulator::run`] is the one execution loop, and
/// everything that needs to follow an execution step by step rides on it as a visitor:
/// coverage marks, the trace renderer, the explorer's path rebuild.
pub trait Visitor<A, P> {
    /// Before each step (also before the schedule picks its event).
    fn before(&mut self, _world: &World<A, P>, _checker: &Checker) {}

    /// After each step that was taken. A visitor may replace the state by an equivalent
    /// one: the explorer's rebuild puts it through its codec, as the search did.
    fn after(&mut self, _step: &Step, _world: &mut World<A, P>, _checker: &mut Checker) {}
}

/// No visitor.
impl<A, P> Visitor<A, P> for () {}

impl<A, P, V: Visitor<A, P> + ?Sized> Visitor<A, P> for &mut V {
    fn before(&mut self, world: &World<A, P>, checker: &Checker) {
        (**self).before(world, checker);
    }

    fn after(&mut self, step: &Step, world: &mut World<A, P>, checker: &mut Checker) {
        (**self).after(step, world, checker);
    }
}

/// Two visitors, in order.
impl<A, P, X: Visitor<A, P>, Y: Visitor<A, P>> Visitor<A, P> for (X, Y) {
    fn before(&mut self, world: &World<A, P>, checker: &Checker) {
        self.0.before(world, checker);
        self.1.before(world, checker);
    }

    fn after(&mut self, step: &Step, world: &mut World<A, P>, checker: &mut Checker) {
        self.0.after(step, world, checker);
        self.1.after(step, world, checker);
    }
}

/// Records the events taken.
pub struct Recorder<'a>(pub &'a mut Vec<Event>);

impl<A, P> Visitor<A, P> for Recorder<'_> {
    fn after(&mut self, step: &Step, _world: &mut World<A, P>, _checker: &mut Checker) {
        self.0.push(step.event);
    }
}

/// The "sometimes" marks of an execution, judged from the wire and the checker (a crashed
/// voter is one the checker saw vote), never from what a role says about itself: a role
/// whose view shows less, or lies, neither hides nor fakes what a campaign exercised.
#[derive(Default)]
struct Marks {
    coverage: Coverage,
    ballots_by: u8,
    /// For each proposer, the highest ballot for which a promise reporting a vote reached it.
    heard_vote: Vec<Option<Ballot>>,
}

impl Marks {
    /// Proposer `p` proposed `value` at `ballot`: the adoption rule was exercised if a
    /// promise for that ballot told it of a vote, or if the value is not its own (which
    /// only a reported vote can justify; the checker judges whether it did).
    fn mark_adoption(&mut self, p: u8, ballot: Ballot, value: Value) {
        let heard = self.heard_vote.get(p as usize).copied().flatten();
        if heard == Some(ballot) || value != input_value(p) {
            self.coverage.add(Coverage::ADOPTED);
        }
    }
}

impl<A, P> Visitor<A, P> for Marks {
    fn after(&mut self, step: &Step, _world: &mut World<A, P>, checker: &mut Checker) {
        match step.event {
            Event::Drop(_) => self.coverage.add(Coverage::DROPPED),
            Event::Duplicate(_) => self.coverage.add(Coverage::DUPLICATED),
            Event::Crash(node) => {
                self.coverage.add(Coverage::CRASHED);
                match node {
                    NodeId::Proposer(_) => self.coverage.add(Coverage::CRASHED_PROPOSER),
                    NodeId::Acceptor(a) => {
                        if checker.vote_of(a).is_some() {
                            self.coverage.add(Coverage::CRASHED_VOTER);
                        }
                    }
                }
            }
            Event::Restart(_) => self.coverage.add(Coverage::RESTARTED),
            Event::Timeout(p) => {
                self.ballots_by |= 1 << p;
                if self.ballots_by.count_ones() >= 2 {
                    self.coverage.add(Coverage::DUEL);
                }
                // A role may propose straight from its timer.
                if let Some((b, v)) = step.proposal {
                    self.mark_adoption(p, b, v);
                }
            }
            Event::Deliver(env) => {
                if let NodeId::Proposer(p) = env.dst {
                    // A promise reporting a vote: the adoption rule applies to its ballot.
                    if let Msg::Promise {
                        ballot,
                        accepted: Some(_),
                    } = env.msg
                    {
                        let heard = &mut self.heard_vote[p as usize];
                        *heard = (*heard).max(Some(ballot));
                    }
                    if let Some((b, v)) = step.proposal {
                        self.mark_adoption(p, b, v);
                    }
                }
            }
        }
        if step.decided.is_some() {
            self.coverage.add(Coverage::DECIDED);
        }
    }
}

/// Runs executions of one configuration of an implementation (the built-in protocol by
/// default), reusing its allocations.
pub struct Simulator<I: Implementation = Builtin> {
    config: Config,
    proto: Protocol,
    imp: I,
    world: World<I::Acceptor, I::Proposer>,
    checker: Checker,
    /// The progress rules, judged beside the checker.
    progress: Progress,
    /// Off only to measure what the checker costs (`paxos-safety bench`).
    checking: bool,
    /// The roles are your own: a panic in them is a finding ([`crate::role_panic`]).
    catch_panics: bool,
    /// The event the step being taken applies, should a role panic handling it.
    attempted: Event,
    /// What the last execution's violation looked like on the wire, when the
    /// implementation speaks one: the acceptor's reply line, or why it could not answer.
    detail: Option<String>,
    /// The kind of the acceptor fault that ended the last execution, if one did.
    fault_kind: Option<crate::roles::FaultKind>,
    /// The stabilisation point drawn for the next execution (liveness mode, seeded runs);
    /// other runs take the configuration's, or 0.
    stabilise_next: Option<u32>,
}

/// The swarm menu of stabilisation points: some executions heal at once (the strategy
/// alone against an empty network), others after a storm of faults of every length.
const STABILISE_AT: [u32; 6] = [0, 0, 10, 30, 100, 300];

/// The seed of an execution's liveness stream: the stabilisation point and the back-off
/// delays come from it, never from the scheduler's stream, so that turning liveness on
/// changes nothing before the network heals, and turning it off changes nothing at all.
pub fn liveness_seed(seed: u64) -> u64 {
    seed ^ 0x6C69_7665_6E65_7373 // "liveness"
}

/// The liveness judge of one execution.
#[derive(Clone, Copy, Debug)]
struct LiveWatch {
    bound: u32,
    /// The planned stabilisation point, then the actual one.
    at: u32,
    stable: bool,
    settled: Option<u32>,
}

impl LiveWatch {
    /// Still owes a verdict: the step limit must not end the execution yet.
    fn pending(&self) -> bool {
        self.settled.is_none()
    }
}

/// Observations of one step, gathered while the world is borrowed.
#[derive(Default)]
struct StepMarks {
    violation: Option<Violation>,
    proposal: Option<(Ballot, Value)>,
    decided: Option<(Ballot, Value)>,
}

impl Simulator {
    /// A simulator of the built-in protocol for `config`, which must be valid
    /// ([`Config::validate`]).
    pub fn new(config: Config) -> Simulator {
        Simulator::with(Builtin, config)
    }
}

/// Panics with [`Config::validate`]'s message on a configuration it refuses: a user of the
/// library who builds a `Config` by hand otherwise met "attempt to shift left with
/// overflow" deep in the world, or a campaign that ran a cluster it cannot represent.
fn valid(config: &Config) {
    if let Err(e) = config.validate() {
        panic!("invalid paxos_safety::config::Config (see Config::validate): {e}");
    }
}

impl<I: Implementation> Simulator<I> {
    /// A simulator of `imp` for `config`, which must be valid ([`Config::validate`]).
    ///
    /// # Panics
    ///
    /// When `config` is one [`Config::validate`] refuses (20 acceptors, say), with its
    /// message: the world's sets and counters are sized by those limits.
    pub fn with(imp: I, config: Config) -> Simulator<I> {
        valid(&config);
        let proto = config.protocol();
        // Every execution starts by resetting the world with fresh roles.
        let world = World::unpopulated(&proto, config.proposers);
        let catch_panics = imp.name().is_some();
        Simulator {
            config,
            proto,
            imp,
            world,
            checker: Checker::new(proto.q2 as usize),
            progress: Progress::default(),
            checking: true,
            catch_panics,
            attempted: Event::Timeout(0),
            detail: None,
            fault_kind: None,
            stabilise_next: None,
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

    /// Runs later executions under `config` (which must be valid): a campaign that draws
    /// the cluster's shape per execution ([`crate::config::ShapeSwarm`]) reuses one
    /// simulator across shapes. Every execution rebuilds the world and the checker from the
    /// configuration anyway, so nothing of the old shape survives.
    pub fn set_config(&mut self, config: Config) {
        valid(&config);
        self.config = config;
        self.proto = config.protocol();
    }

    /// The implementation under test.
    pub fn implementation(&self) -> &I {
        &self.imp
    }

    /// The world as the last execution left it (with no roles before the first).
    pub fn world(&self) -> &World<I::Acceptor, I::Proposer> {
        &self.world
    }

    /// The last execution's violation as the implementation put it on the wire: the
    /// offending acceptor's reply line, or why it could not answer. `None` for in-process
    /// roles, which have no wire.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The kind of the acceptor fault that ended the last execution (an
    /// `acceptor-protocol` finding), for scripts: `None` when none did.
    pub fn fault_kind(&self) -> Option<crate::roles::FaultKind> {
        self.fault_kind
    }

    /// The profile the execution with `seed` runs under: drawn from the seed, with the
    /// configuration's pinned fields on top.
    pub fn profile_for(&self, seed: u64) -> Profile {
        self.config.faults.draw(&mut Prng::new(seed))
    }

    /// Runs the execution of `seed`, recording its events into `trace` if given.
    pub fn run_seed(&mut self, seed: u64, trace: Option<&mut Vec<Event>>) -> Outcome {
        match trace {
            Some(t) => self.run_seed_with(seed, &mut Recorder(t)),
            None => self.run_seed_with(seed, &mut ()),
        }
    }

    /// Runs the execution of `seed` with `visitor` watching every step: how a trace is
    /// drawn from the very run that gives the verdict ([`crate::render::TraceRecorder`]).
    pub fn run_seed_with(
        &mut self,
        seed: u64,
        visitor: &mut impl Visitor<I::Acceptor, I::Proposer>,
    ) -> Outcome {
        let mut rng = Prng::new(seed);
        let profile = self.config.faults.draw(&mut rng);
        let mut backoff = None;
        let mut duel_order = false;
        if let Some(live) = self.config.liveness {
            let mut stream = Prng::new(liveness_seed(seed));
            let drawn = stream.pick(&STABILISE_AT);
            self.stabilise_next = Some(live.stabilise_at.unwrap_or(drawn));
            // Swarm-style again: half the executions get the duelling message order.
            duel_order = stream.chance(500);
            if self.config.proposer_strategy == ProposerStrategy::Backoff {
                // A window of one ballot's deliveries to start with: four per acceptor.
                backoff = Some(Backoff::new(stream, 4 * u32::from(self.config.acceptors)));
            }
        }
        let mut schedule = RandomSchedule {
            rng,
            rates: profile.rates,
            backoff,
            duel_order,
        };
        self.run(&mut schedule, profile, true, visitor)
    }

    /// Runs a choice-driven execution (see [`ChoiceSchedule`]) under `profile`'s limits.
    pub fn run_choices(
        &mut self,
        choices: &[u32],
        profile: Profile,
        trace: Option<&mut Vec<Event>>,
    ) -> Outcome {
        self.run_recorded(&mut ChoiceSchedule::new(choices), profile, true, trace)
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
        self.run_recorded(&mut EventSchedule::new(events), profile, strict, trace)
    }

    /// Replays recorded events strictly with `visitor` watching every step.
    pub fn run_events_with(
        &mut self,
        events: &[Event],
        profile: Profile,
        visitor: &mut impl Visitor<I::Acceptor, I::Proposer>,
    ) -> Outcome {
        self.run(&mut EventSchedule::new(events), profile, true, visitor)
    }

    fn run_recorded(
        &mut self,
        schedule: &mut impl Schedule,
        profile: Profile,
        strict: bool,
        trace: Option<&mut Vec<Event>>,
    ) -> Outcome {
        match trace {
            Some(t) => self.run(schedule, profile, strict, &mut Recorder(t)),
            None => self.run(schedule, profile, strict, &mut ()),
        }
    }

    /// The execution loop every driver shares: `visitor` sees every step.
    pub fn run(
        &mut self,
        schedule: &mut impl Schedule,
        profile: Profile,
        strict: bool,
        visitor: &mut impl Visitor<I::Acceptor, I::Proposer>,
    ) -> Outcome {
        let mut limits = profile.limits;
        limits.leader_only = self.config.proposer_strategy == ProposerStrategy::Leader;
        let stabilise_at = self.stabilise_next.take();
        let mut watch = self.config.liveness.map(|l| LiveWatch {
            bound: l.bound,
            at: stabilise_at.or(l.stabilise_at).unwrap_or(0),
            stable: false,
            settled: None,
        });
        let proto = self.proto;
        self.world
            .reset_with(&mut self.imp, &proto, self.config.proposers);
        reset_checker(&mut self.checker, &proto, self.config.proposers);
        self.progress.reset(self.config.proposers as usize);
        self.detail = None;
        self.fault_kind = None;
        let mut outcome = Outcome {
            profile,
            steps: 0,
            ending: Ending::Quiescent,
            violation: None,
            chosen: None,
            coverage: Coverage::default(),
            invalid: None,
            ballots_exhausted: false,
            stabilised_at: None,
            healed: false,
            settled_after: None,
        };
        let mut marks = Marks {
            heard_vote: vec![None; usize::from(self.config.proposers)],
            ..Marks::default()
        };
        let mut visitor = (&mut marks, visitor);
        loop {
            if let Some(w) = watch
                .as_mut()
                .filter(|w| !w.stable && outcome.steps >= w.at)
            {
                self.heal(w, &mut limits, outcome.steps);
            }
            if outcome.steps >= limits.max_steps && !watch.is_some_and(|w| w.pending()) {
                outcome.ending = Ending::StepLimit;
                break;
            }
            visitor.before(&self.world, &self.checker);
            let (event, index) = match schedule.next(&self.world, &limits) {
                Next::Take(e, i) => (e, i),
                Next::Quiescent => {
                    // Nothing can happen before the stabilisation point: it comes now.
                    if let Some(w) = watch.as_mut().filter(|w| !w.stable) {
                        self.heal(w, &mut limits, outcome.steps);
                        continue;
                    }
                    if watch.is_some_and(|w| w.pending()) {
                        // Quiet with the verdict still owed: nobody will ever decide.
                        outcome.violation = Some((outcome.steps, self.missed()));
                        outcome.ending = Ending::Violation;
                        break;
                    }
                    outcome.ending = Ending::Quiescent;
                    break;
                }
                Next::Exhausted => {
                    outcome.ending = Ending::ScheduleEnd;
                    break;
                }
            };
            let in_flight = self.world.network.len();
            let (event, applied, step) = if self.catch_panics {
                match crate::role_panic::catch(|| self.step::<true>(event, index, &limits, strict))
                {
                    Ok(taken) => taken,
                    // The event the role was handling: a lenient replay may have taken
                    // another message than the one asked for.
                    Err(panic) => {
                        let taken = self.attempted;
                        (taken, Ok(()), self.panicked(&taken, &panic))
                    }
                }
            } else {
                self.step::<false>(event, index, &limits, strict)
            };
            let mut step = step;
            match applied {
                // The role panicked: the execution ends on that finding, with no more
                // judged of a world the panic left half-changed.
                Ok(())
                    if step
                        .violation
                        .is_some_and(|v| v.invariant == Invariant::NoPanic) => {}
                Ok(()) => {
                    if self.checking {
                        if let Some(v) = self.progress.after(&proto, &event, in_flight, &self.world)
                        {
                            step.violation.get_or_insert(v);
                        }
                    }
                }
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
                Err(StepError::Fault { acceptor, fault }) => {
                    // The acceptor could not answer: the step happened (the message was
                    // taken), and the execution ends on a protocol finding.
                    self.detail = Some(format!("a{}: {fault}", u32::from(acceptor) + 1));
                    self.fault_kind = Some(fault.kind());
                    let ballot = match event {
                        Event::Deliver(env) => env.msg.ballot(),
                        _ => Ballot::default(),
                    };
                    step.violation.get_or_insert(Violation {
                        invariant: Invariant::AcceptorProtocol,
                        ballot,
                        value: Value::default(),
                        earlier: None,
                        acceptor: Some(acceptor),
                        reported: None,
                    });
                }
            }
            outcome.steps += 1;
            if let Some(w) = watch.as_mut().filter(|w| w.stable && w.pending()) {
                if self.settled() {
                    w.settled = Some(outcome.steps - w.at);
                } else if outcome.steps - w.at >= w.bound {
                    step.violation.get_or_insert(self.missed());
                }
            }
            let step = Step {
                number: outcome.steps,
                event,
                proposal: step.proposal,
                decided: step.decided,
                violation: step.violation,
            };
            visitor.after(&step, &mut self.world, &mut self.checker);
            if let Some(v) = step.violation {
                if self.detail.is_none() {
                    self.detail = self.quote(&event);
                }
                outcome.violation = Some((outcome.steps, v));
                outcome.ending = Ending::Violation;
                break;
            }
        }
        outcome.chosen = self.checker.chosen();
        outcome.ballots_exhausted = self.world.ballots_exhausted(&limits);
        if let Some(w) = watch {
            outcome.stabilised_at = Some(w.at);
            outcome.healed = w.stable;
            outcome.settled_after = w.settled;
        }
        outcome.coverage = marks.coverage;
        if outcome.chosen.is_some() {
            outcome.coverage.add(Coverage::CHOSEN);
        }
        outcome
    }

    /// The network heals after step `now`: the adversary stops and the liveness clock starts.
    fn heal(&self, w: &mut LiveWatch, limits: &mut Limits, now: u32) {
        w.stable = true;
        w.at = now;
        *limits = limits.stabilised();
        if self.settled() {
            w.settled = Some(0);
        }
    }

    /// Whether the good thing happened: a value is chosen and every proposer has learned
    /// it (a proposer's decision is forgotten when it crashes, and after the healing every
    /// proposer is up or about to restart, so every proposer is a live one).
    fn settled(&self) -> bool {
        let all = (1u16 << self.world.proposers.len()) - 1;
        self.checker.chosen().is_some() && u16::from(self.world.decided) == all
    }

    /// The liveness violation of an execution that ran out of its bound.
    fn missed(&self) -> Violation {
        let highest = self
            .world
            .proposers
            .iter()
            .filter_map(|p| p.view(&self.proto).ballot)
            .max()
            .unwrap_or_default();
        Violation {
            invariant: Invariant::Liveness,
            ballot: highest,
            value: Value::default(),
            earlier: self.checker.chosen(),
            acceptor: None,
            reported: None,
        }
    }

    /// Applies one event, with the lenient replay's fallback, feeding the checker. Inlined:
    /// it is the hot loop's body, split out only for reading. `RECORD`: keep the event
    /// being applied in `attempted`, for a role that panics (only your roles' steps pay).
    #[inline(always)]
    fn step<const RECORD: bool>(
        &mut self,
        event: Event,
        index: Option<usize>,
        limits: &Limits,
        strict: bool,
    ) -> (Event, Result<(), StepError>, StepMarks) {
        let mut marks = StepMarks::default();
        let checker = &mut self.checker;
        let checking = self.checking;
        let mut sink = |obs: Observation| {
            match obs {
                Observation::Proposal { ballot, value } => marks.proposal = Some((ballot, value)),
                Observation::Decide { ballot, value, .. } => marks.decided = Some((ballot, value)),
                _ => {}
            }
            if checking {
                if let Some(v) = checker.observe(obs) {
                    marks.violation.get_or_insert(v);
                }
            }
        };
        let mut event = event;
        if RECORD {
            self.attempted = event;
        }
        let mut applied = match index {
            Some(i) => self
                .world
                .apply_at(&self.proto, limits, &event, i, &mut sink),
            None => self.world.apply(&self.proto, limits, &event, &mut sink),
        };
        if matches!(applied, Err(StepError::NotEnabled)) && !strict {
            // Lenient replay: take the message the event most plausibly meant.
            if let Some(i) = self.world.similar(&event) {
                let env = self.world.network[i];
                event = match event {
                    Event::Deliver(_) => Event::Deliver(env),
                    Event::Drop(_) => Event::Drop(env),
                    _ => Event::Duplicate(env),
                };
                if RECORD {
                    self.attempted = event;
                }
                applied = self
                    .world
                    .apply_at(&self.proto, limits, &event, i, &mut sink);
            }
        }
        (event, applied, marks)
    }

    /// The finding of a role that panicked handling `event`, with `panic` (where and
    /// what, from [`crate::role_panic::catch`]) as the detail its explanation quotes.
    fn panicked(&mut self, event: &Event, panic: &str) -> StepMarks {
        let node = match *event {
            Event::Deliver(env) => Some(env.dst),
            Event::Timeout(p) => Some(NodeId::Proposer(p)),
            Event::Crash(n) | Event::Restart(n) => Some(n),
            Event::Drop(_) | Event::Duplicate(_) => None,
        };
        self.detail = Some(match node {
            Some(n) => format!("{n} panicked {panic}"),
            None => format!("panicked {panic}"),
        });
        let acceptor = match node {
            Some(NodeId::Acceptor(a)) => Some(a),
            _ => None,
        };
        StepMarks {
            violation: Some(Violation {
                invariant: Invariant::NoPanic,
                // The detail says what the role was handling; no ballot is at fault.
                ballot: Ballot::default(),
                value: Value::default(),
                earlier: None,
                acceptor,
                reported: None,
            }),
            ..StepMarks::default()
        }
    }

    /// The reply line behind a violation at `event`, for implementations with a wire.
    fn quote(&self, event: &Event) -> Option<String> {
        let Event::Deliver(env) = event else {
            return None;
        };
        let NodeId::Acceptor(a) = env.dst else {
            return None;
        };
        let line = self.world.acceptors.get(a as usize)?.last_reply()?;
        Some(format!("a{} replied: {line}", u32::from(a) + 1))
    }
}
