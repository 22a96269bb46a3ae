//! Human-readable traces: one execution re-stepped, with what every step changed.
//!
//! The simulator's [`Outcome`] says *whether* an execution broke an invariant; a reader
//! needs *how*: which acceptor promised what, which vote was cast, when the value became
//! chosen, and which step broke the rule. The simulator keeps none of that (its hot path
//! must stay cheap), so this module replays the recorded events through the same loop,
//! [`crate::execution::Simulator::run`], with a [`Visitor`] that compares the roles'
//! views ([`AcceptorView`], [`ProposerView`]) before and after each step to name the
//! changes that matter. Views are what an implementation says of itself: they shape the
//! story, never the verdict, which is the checker's.
//!
//! Replaying is also a check: [`Trace::new`] refuses to render when its verdict disagrees
//! with the simulator's, so a trace never shows a story the checker did not see. Where a
//! second run costs (acceptor processes: new processes, another wait on one that hangs,
//! another story from one that does not repeat itself), a [`TraceRecorder`] rides on the
//! run that gives the verdict instead, and the trace is that run.
//!
//! Three renderings of a [`Trace`] live in the submodules: [`text`] (one line per step, for
//! terminals), [`json`] (JSON lines with documented field names, for tools) and [`mermaid`]
//! (a sequence diagram that renders on GitHub).

use crate::ballot::{AcceptorId, Ballot, Value};
use crate::checker::{Checker, Invariant, Violation};
use crate::config::Config;
use crate::event::{Event, NodeId};
use crate::execution::{self, Ending, Outcome, Simulator, Visitor};
use crate::process::CrashMode;
use crate::profile::Profile;
use crate::protocol::{Builtin, Msg, Phase, Protocol};
use crate::roles::{
    AcceptorProcesses, AcceptorRole, AcceptorView, Implementation, ProposerRole, ProposerView,
};
use crate::scheduler::EventSchedule;
use crate::world::{input_value, World};
pub use no_effect::NoEffect;

pub mod json;
pub mod mermaid;
pub mod no_effect;
pub mod text;

/// The renderings of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per step, for terminals.
    Text,
    /// JSON lines: one object per step, then a summary object.
    Json,
    /// A Mermaid sequence diagram.
    Mermaid,
}

impl Format {
    /// The language tag of a Markdown code fence holding this rendering.
    pub fn fence_tag(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Mermaid => "mermaid",
        }
    }
}

/// One thing a step changed, in the words a reader of a Paxos trace needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// An acceptor's promise went from `previous` to `ballot` (by a prepare, or by voting
    /// for a higher ballot, which is also a promise).
    Promised {
        acceptor: AcceptorId,
        ballot: Ballot,
        previous: Option<Ballot>,
    },
    /// An acceptor voted for `(ballot, value)`, replacing its earlier vote, if any.
    /// `promised` is its promise before the vote and `kept` its promise after it: a vote
    /// below the first, or a vote above the second (a vote is a promise too), breaks an
    /// acceptor's rules, and the diagram says so at this step.
    Voted {
        acceptor: AcceptorId,
        ballot: Ballot,
        value: Value,
        previous: Option<(Ballot, Value)>,
        promised: Option<Ballot>,
        kept: Option<Ballot>,
    },
    /// A proposer started phase 1 of a fresh ballot: on a timeout (the built-in roles
    /// start ballots only there), or, with `timeout` false, on a message it got (your own
    /// roles may retry on a nack): the prepare it sent says so. `collides` names another
    /// proposer whose current ballot is the same one.
    Started {
        proposer: u8,
        ballot: Ballot,
        collides: Option<u8>,
        timeout: bool,
    },
    /// A proposer counted a promise from `from` toward its phase-1 quorum. `promise` is
    /// the ballot the promise was for (not `ballot` only under a bug), and `again` says
    /// that `from`'s promise had been counted already for this ballot.
    PromiseCounted {
        proposer: u8,
        ballot: Ballot,
        count: u32,
        quorum: u32,
        from: AcceptorId,
        promise: Ballot,
        again: bool,
    },
    /// A proposer reached its phase-1 quorum and sent `Accept(ballot, value)`. `adopted` is
    /// the vote it took the value from; `reported` is the highest vote the promises it counted
    /// carried, which a correct proposer adopts (so the two differing shows an adoption bug).
    /// `skipped_phase_1`: it sent the `Accept` from its timer, with no promise counted at
    /// all (a role's slip; the built-in proposer never does).
    Proposed {
        proposer: u8,
        ballot: Ballot,
        value: Value,
        adopted: Option<(AcceptorId, Ballot)>,
        reported: Option<(AcceptorId, Ballot, Value)>,
        skipped_phase_1: bool,
    },
    /// A proposer counted a vote from `from` toward its ballot; `vote` is the ballot of
    /// that vote (not `ballot` only under a bug).
    VoteCounted {
        proposer: u8,
        ballot: Ballot,
        count: u32,
        quorum: u32,
        from: AcceptorId,
        vote: Ballot,
    },
    /// A proposer learned that its value is chosen.
    Decided {
        proposer: u8,
        ballot: Ballot,
        value: Value,
    },
    /// A phase-2 quorum has voted for `(ballot, value)`: the value is chosen (the checker's
    /// lowest chosen ballot changed). `voters` has bit `a` set for each acceptor `a` that
    /// voted for it so far; `acceptors` is the cluster's size.
    Chosen {
        ballot: Ballot,
        value: Value,
        quorum: u16,
        voters: u16,
        acceptors: u16,
    },
    /// An acceptor crashed; its promise and vote are on stable storage and survive. For a
    /// process (`process` is its crash mode) they are what its replies showed: whether it
    /// keeps them is for its next replies to show.
    AcceptorCrashed {
        acceptor: AcceptorId,
        promised: Option<Ballot>,
        accepted: Option<(Ballot, Value)>,
        process: Option<CrashMode>,
    },
    /// A proposer crashed and lost its running ballot; its round counter is durable.
    ProposerCrashed {
        proposer: u8,
        ballot: Option<Ballot>,
        phase: Phase,
        round: u64,
    },
    /// An acceptor restarted with the state it now has; `forgot` is the state it lost
    /// (only under `Bug::Amnesia`, since a correct acceptor keeps everything). For a
    /// process (`process` is its crash mode) the state is what its replies showed before
    /// the crash, since a restarted process shows what it kept only by answering.
    AcceptorRestarted {
        acceptor: AcceptorId,
        promised: Option<Ballot>,
        accepted: Option<(Ballot, Value)>,
        forgot: Option<AcceptorView>,
        process: Option<CrashMode>,
    },
    /// A proposer restarted idle; its next ballot is above every one it used.
    ProposerRestarted { proposer: u8, next_ballot: Ballot },
    /// A delivery changed nothing at `node`, the node it reached, for `reason`. Only a
    /// delivery that changed nothing else has one.
    NoEffect { node: NodeId, reason: NoEffect },
}

/// One step of a trace: the event taken and what it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based, as the simulator counts steps.
    pub number: u32,
    pub event: Event,
    pub changes: Vec<Change>,
    /// The invariant this step broke, if it broke one.
    pub violation: Option<Violation>,
}

/// An execution re-stepped for display: the configuration it ran under, every step with its
/// changes, and the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub config: Config,
    pub profile: Profile,
    /// The seed the execution came from, when known (a label only for file replays).
    pub seed: Option<u64>,
    /// Whose roles ran: [`Implementation::name`], `None` for the built-in protocol. The
    /// header must not call the user's code "the correct protocol".
    pub implementation: Option<String>,
    /// The acceptors' command and crash mode when they were processes
    /// ([`Implementation::acceptor_processes`]).
    pub processes: Option<AcceptorProcesses>,
    pub steps: Vec<Step>,
    pub ending: Ending,
    /// The lowest ballot at which a value was chosen, with that value.
    pub chosen: Option<(Ballot, Value)>,
    /// The step number and the first violation.
    pub violation: Option<(u32, Violation)>,
    /// What the wire said about the violation, when acceptors are processes: the reply
    /// line that broke the rule ([`Simulator::detail`]), read from the run shown.
    pub detail: Option<String>,
    /// The kind of the acceptor fault the violation was, when it was one
    /// ([`Simulator::fault_kind`]).
    pub fault_kind: Option<crate::roles::FaultKind>,
}

impl Trace {
    /// Replays `events`, the events the simulator took in the execution that produced
    /// `outcome` (its trace), and checks that the verdict comes out the same.
    ///
    /// An event that is not enabled is reported with its 1-based number; so is any
    /// disagreement with `outcome`, which would be a bug in this module or the simulator.
    pub fn new(
        config: &Config,
        seed: Option<u64>,
        outcome: &Outcome,
        events: &[Event],
    ) -> Result<Trace, String> {
        Trace::new_with(Builtin, config, seed, outcome, events)
    }

    /// [`Trace::new`] for any implementation.
    pub fn new_with<I: Implementation>(
        imp: I,
        config: &Config,
        seed: Option<u64>,
        outcome: &Outcome,
        events: &[Event],
    ) -> Result<Trace, String> {
        // An execution that broke off at an event not enabled has no verdict to draw: a
        // trace of the steps before it would read as safe.
        if let (Ending::InvalidEvent, Some(event)) = (outcome.ending, outcome.invalid) {
            return Err(not_enabled(outcome.steps + 1, &event));
        }
        // A seeded execution drew its stabilisation point; the events need it pinned.
        let config = &config.at_stabilisation(outcome.stabilised_at);
        let roles = crate::shrink::Roles::of(&imp);
        let trace =
            Trace::restep_with(imp, config, &outcome.profile, seed, events, outcome.ending)?;
        if trace.steps.len() != outcome.steps as usize
            || trace.violation != outcome.violation
            || trace.chosen != outcome.chosen
        {
            // Your roles or processes that do not repeat themselves, most likely; only for
            // the built-in protocol is it this module's or the simulator's bug.
            let whose = match roles {
                crate::shrink::Roles::Builtin => "internal error".to_string(),
                other => format!("the execution did not repeat itself ({})", other.why()),
            };
            return Err(format!(
                "{whose}: re-stepping the trace found {} steps, violation {:?} and \
                 chosen {:?}, but the simulator reported {} steps, violation {:?} and chosen {:?}",
                trace.steps.len(),
                trace.violation,
                trace.chosen,
                outcome.steps,
                outcome.violation,
                outcome.chosen
            ));
        }
        Ok(trace)
    }

    /// Re-steps `events` of the built-in protocol from the initial state, stopping at the
    /// first violation as the simulator does. `ending` is how the execution ended when no
    /// invariant broke (the events alone cannot tell a quiescent run from one cut short by
    /// its schedule).
    pub fn restep(
        config: &Config,
        profile: &Profile,
        seed: Option<u64>,
        events: &[Event],
        ending: Ending,
    ) -> Result<Trace, String> {
        Trace::restep_with(Builtin, config, profile, seed, events, ending)
    }

    /// [`Trace::restep`] for any implementation.
    pub fn restep_with<I: Implementation>(
        imp: I,
        config: &Config,
        profile: &Profile,
        seed: Option<u64>,
        events: &[Event],
        ending: Ending,
    ) -> Result<Trace, String> {
        if ending == Ending::InvalidEvent {
            return Err(
                "an execution that broke off at an event not enabled has no trace \
                        to judge: its verdict would cover only the steps before"
                    .into(),
            );
        }
        // The events alone decide: the step limit must not cut a trace short.
        let profile_run = Profile {
            limits: crate::world::Limits {
                max_steps: profile.limits.max_steps.max(events.len() as u32),
                ..profile.limits
            },
            ..*profile
        };
        let mut sim = Simulator::with(imp, *config);
        let mut recorder = TraceRecorder::new(&sim);
        let outcome = sim.run(
            &mut EventSchedule::new(events),
            profile_run,
            true,
            &mut recorder,
        );
        // An event not enabled is refused by `finish`.
        if outcome.ending == Ending::MessageLimit {
            return Err(format!(
                "event {} ('{}') would put more than {} messages in flight",
                outcome.steps + 1,
                events[outcome.steps as usize],
                profile.limits.max_in_flight
            ));
        }
        let mut trace = recorder.finish(&sim, seed, &outcome)?;
        trace.profile = *profile;
        if trace.violation.is_none() {
            trace.ending = ending;
        }
        Ok(trace)
    }

    /// The trace rendered in `format`; the result ends with a newline.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => text::render(self),
            Format::Json => json::render(self),
            Format::Mermaid => mermaid::render(self),
        }
    }

    /// The violation explained in one sentence, in the trace's own names (ballots
    /// `round.proposer`, values `v1..`, acceptors `a1..`).
    pub fn explain(violation: &Violation) -> String {
        violation.explain(Ballot::sim_label, |v| v.to_string())
    }

    /// The trace's violation explained as its counterexample file says it
    /// ([`explain_in_context`]): with the acceptor's reply line and, where a restart can
    /// lose state, the restart that lost it.
    pub fn explanation(&self) -> Option<String> {
        let (step, violation) = self.violation.as_ref()?;
        let events: Vec<Event> = self.steps.iter().map(|s| s.event).collect();
        let lose = loses_state(
            self.processes.as_ref(),
            self.implementation.is_some(),
            &self.config,
        );
        Some(explain_with(
            lose,
            violation,
            &events,
            *step,
            self.detail.as_deref(),
        ))
    }
}

/// Adds this step's votes to the record of who voted for what.
fn note_voters(changes: &[Change], voters: &mut Vec<(Ballot, Value, u16)>) {
    for change in changes {
        if let Change::Voted {
            acceptor,
            ballot,
            value,
            ..
        } = *change
        {
            let bit = 1u16.checked_shl(u32::from(acceptor)).unwrap_or(0);
            match voters
                .iter_mut()
                .find(|(b, v, _)| (*b, *v) == (ballot, value))
            {
                Some((_, _, mask)) => *mask |= bit,
                None => voters.push((ballot, value, bit)),
            }
        }
    }
}

/// Adds this step's counted votes to the record of whose votes each proposer counted.
fn note_votes_counted(changes: &[Change], counted: &mut [(Option<Ballot>, u64)]) {
    for change in changes {
        if let Change::VoteCounted {
            proposer,
            ballot,
            from,
            ..
        } = *change
        {
            let slot = &mut counted[proposer as usize];
            if slot.0 != Some(ballot) {
                *slot = (Some(ballot), 0);
            }
            slot.1 |= 1u64.checked_shl(u32::from(from)).unwrap_or(0);
        }
    }
}

/// The violation at `step` of `events` that `imp` ran under `config`, explained in one
/// sentence with what the wire adds: `detail` (the acceptor's reply line, from
/// [`Simulator::detail`]) and, when an acceptor broke one of its own rules after a restart
/// that can lose state (a killed process, the amnesia bug), that it lost it there.
pub fn explain_in_context<I: Implementation>(
    imp: &I,
    config: &Config,
    violation: &Violation,
    events: &[Event],
    step: u32,
    detail: Option<&str>,
) -> String {
    let lose = loses_state(
        imp.acceptor_processes().as_ref(),
        imp.name().is_some(),
        config,
    );
    explain_with(lose, violation, events, step, detail)
}

/// [`explain_in_context`] once it is known whether a restart can lose state (`lose`).
fn explain_with(
    lose: bool,
    violation: &Violation,
    events: &[Event],
    step: u32,
    detail: Option<&str>,
) -> String {
    let mut text = Trace::explain(violation);
    let own_rule = matches!(
        violation.invariant,
        Invariant::PromiseMonotonic
            | Invariant::VoteAbovePromise
            | Invariant::PromiseReportsVote
            | Invariant::VoteDurable
    );
    if let (true, true, Some(a)) = (lose, own_rule, violation.acceptor) {
        let before = &events[..(step as usize).saturating_sub(1).min(events.len())];
        if let Some(at) = before
            .iter()
            .rposition(|e| *e == Event::Restart(NodeId::Acceptor(a)))
        {
            text += &format!(
                "; {} restarted at step {}: state lost on restart",
                NodeId::Acceptor(a),
                at + 1
            );
        }
    }
    if let Some(d) = detail {
        text += "; ";
        text += d;
    }
    text
}

/// Whether a restart can take an acceptor's state with it: a process killed and started
/// again (`--acceptor-crash restart`), or the built-in acceptor with the amnesia bug.
/// `own_roles`: the roles are an [`Implementation`] of the user's.
/// Under `pause`, or the built-in acceptor without it, a restart keeps everything, so a
/// rule broken after one is the acceptor's own doing and the explanation must not say
/// the restart lost state. Your own roles decide in their code what a restart keeps;
/// the explanation says so as before.
fn loses_state(processes: Option<&AcceptorProcesses>, own_roles: bool, config: &Config) -> bool {
    match processes {
        Some(p) => p.crash == CrashMode::Restart,
        None => own_roles || config.bug == Some(crate::bug::Bug::Amnesia),
    }
}

/// Why a recorded event could not be taken, naming it by its 1-based number.
pub fn not_enabled(number: u32, event: &Event) -> String {
    let when = match number {
        0 | 1 => "in the initial state".to_string(),
        n => format!("after step {}", n - 1),
    };
    format!(
        "event {number} ('{event}') is not enabled {when}: no such message is in flight, \
         its node is down (or already up), or a fault limit is reached"
    )
}

/// The highest vote a proposer has seen reported in the promises it counted for its
/// current ballot; ties go to the lowest acceptor, as in the proposer's own rule.
type Reported = Option<(AcceptorId, Ballot, Value)>;

/// Every role's view at one moment.
#[derive(Clone, Debug, Default)]
struct Snapshot {
    acceptors: Vec<AcceptorView>,
    proposers: Vec<ProposerView>,
    /// Messages in flight: a delivery that leaves as many answered with one, the last.
    in_flight: usize,
}

impl Snapshot {
    fn take<A: AcceptorRole, P: ProposerRole>(&mut self, proto: &Protocol, world: &World<A, P>) {
        self.acceptors.clear();
        self.acceptors
            .extend(world.acceptors.iter().map(|a| a.view()));
        self.proposers.clear();
        self.proposers
            .extend(world.proposers.iter().map(|p| p.view(proto)));
        self.in_flight = world.network.len();
    }
}

/// Draws a [`Trace`] from the run that gives the verdict, as a [`Visitor`] riding on it
/// ([`Simulator::run`], [`Simulator::run_seed_with`]), then [`TraceRecorder::finish`].
///
/// Re-stepping recorded events ([`Trace::new_with`]) runs an execution a second time,
/// which costs little in process but is a second set of acceptor processes, a second
/// wait on one that hangs, and a second chance for one that does not repeat itself to
/// tell another story. Recording the run itself shows exactly what was judged.
///
/// As a visitor it turns each step into [`Change`]s.
pub struct TraceRecorder {
    proto: Protocol,
    /// The acceptors' crash mode when they are processes: their crashes are told apart.
    process: Option<CrashMode>,
    before: Snapshot,
    chosen_before: Option<(Ballot, Value)>,
    reported: Vec<Reported>,
    /// Every (ballot, value) voted for, with the acceptors that voted for it (one bit
    /// each), so that the step at which a value is chosen can name its voters.
    voters: Vec<(Ballot, Value, u16)>,
    /// Per proposer, the ballot whose vote counts the trace has seen and the acceptors
    /// counted (one bit each): what says that a vote delivered again was counted already.
    votes_counted: Vec<(Option<Ballot>, u64)>,
    steps: Vec<Step>,
}

impl TraceRecorder {
    /// A recorder for the next run of `sim`, under the configuration it holds now.
    pub fn new<I: Implementation>(sim: &Simulator<I>) -> TraceRecorder {
        let config = sim.config();
        TraceRecorder {
            proto: config.protocol(),
            process: sim.implementation().acceptor_processes().map(|p| p.crash),
            before: Snapshot::default(),
            chosen_before: None,
            reported: vec![None; config.proposers as usize],
            voters: Vec::new(),
            votes_counted: vec![(None, 0); config.proposers as usize],
            steps: Vec::new(),
        }
    }

    /// The trace of the run `sim` just made, which ended with `outcome`; `seed` labels it.
    /// The configuration is `sim`'s with the stabilisation point the run drew pinned, so
    /// that the trace's events replay on their own. A run that broke off at an event not
    /// enabled has no verdict to draw, and is an error.
    pub fn finish<I: Implementation>(
        self,
        sim: &Simulator<I>,
        seed: Option<u64>,
        outcome: &Outcome,
    ) -> Result<Trace, String> {
        if let (Ending::InvalidEvent, Some(event)) = (outcome.ending, outcome.invalid) {
            return Err(not_enabled(outcome.steps + 1, &event));
        }
        let imp = sim.implementation();
        Ok(Trace {
            config: sim.config().at_stabilisation(outcome.stabilised_at),
            profile: outcome.profile,
            seed,
            implementation: imp.name(),
            processes: imp.acceptor_processes(),
            steps: self.steps,
            ending: if outcome.violation.is_some() {
                Ending::Violation
            } else {
                outcome.ending
            },
            chosen: outcome.chosen,
            violation: outcome.violation,
            detail: outcome.violation.and(sim.detail()).map(str::to_string),
            fault_kind: outcome.violation.and(sim.fault_kind()),
        })
    }
}

impl<A: AcceptorRole, P: ProposerRole> Visitor<A, P> for TraceRecorder {
    fn before(&mut self, world: &World<A, P>, checker: &Checker) {
        self.before.take(&self.proto, world);
        self.chosen_before = checker.chosen();
    }

    fn after(&mut self, step: &execution::Step, world: &mut World<A, P>, checker: &mut Checker) {
        let mut after = Snapshot::default();
        after.take(&self.proto, world);
        let mut changes = Vec::new();
        // A delivery takes its message and appends what the node sent at the end: the
        // last message, when the network is no shorter than before, is one it sent.
        let appended = world
            .network
            .last()
            .filter(|_| world.network.len() >= self.before.in_flight);
        // A prepare from the node that got the message is a ballot started on it (only
        // proposers send prepares, and a broadcast's last message is as good as any).
        let prepared = match (step.event, appended) {
            (Event::Deliver(env), Some(last))
                if last.src == env.dst && matches!(last.msg, Msg::Prepare { .. }) =>
            {
                Some(last.msg.ballot())
            }
            _ => None,
        };
        describe(
            &self.proto,
            self.process,
            step,
            (&self.before, &after),
            prepared,
            &mut self.reported,
            &mut changes,
        );
        note_voters(&changes, &mut self.voters);
        note_votes_counted(&changes, &mut self.votes_counted);
        // An acceptor that gave no valid reply changed nothing that a reason could explain:
        // the finding on this step says what it did instead.
        let faulted = step
            .violation
            .is_some_and(|v| v.invariant == crate::checker::Invariant::AcceptorProtocol);
        if let (true, false, Event::Deliver(env)) = (changes.is_empty(), faulted, step.event) {
            // One message appended: the node's reply.
            let reply = appended
                .filter(|_| world.network.len() == self.before.in_flight)
                .map(|e| e.msg);
            let reason =
                no_effect::of_delivery(&env, &self.before, &after, &self.votes_counted, reply);
            changes.extend(reason.map(|reason| Change::NoEffect {
                node: env.dst,
                reason,
            }));
        }
        if let Some((ballot, value)) = checker.chosen().filter(|&c| Some(c) != self.chosen_before) {
            changes.push(Change::Chosen {
                ballot,
                value,
                quorum: self.proto.q2,
                voters: self
                    .voters
                    .iter()
                    .find(|&&(b, v, _)| (b, v) == (ballot, value))
                    .map_or(0, |&(_, _, m)| m),
                acceptors: self.proto.acceptors,
            });
        }
        self.steps.push(Step {
            number: step.number,
            event: step.event,
            changes,
            violation: step.violation,
        });
    }
}

/// Appends the changes `event` made from `before` to `after`, in a fixed order: the event's
/// own node first, then acceptors, then proposers.
fn describe(
    proto: &Protocol,
    process: Option<CrashMode>,
    step: &execution::Step,
    (before, after): (&Snapshot, &Snapshot),
    prepared: Option<Ballot>,
    reported: &mut [Reported],
    out: &mut Vec<Change>,
) {
    match step.event {
        Event::Crash(NodeId::Acceptor(a)) => {
            let s = &after.acceptors[a as usize];
            out.push(Change::AcceptorCrashed {
                acceptor: a,
                promised: s.promised,
                accepted: s.accepted,
                process,
            });
        }
        Event::Crash(NodeId::Proposer(p)) => {
            let was = &before.proposers[p as usize];
            // The round a proposer keeps is the one below its next ballot.
            let round = after.proposers[p as usize]
                .next_ballot
                .map_or(0, |b| b.round().saturating_sub(1));
            out.push(Change::ProposerCrashed {
                proposer: p,
                ballot: was.ballot,
                phase: was.phase,
                round,
            });
            reported[p as usize] = None;
        }
        Event::Restart(NodeId::Acceptor(a)) => {
            let (was, now) = (&before.acceptors[a as usize], &after.acceptors[a as usize]);
            out.push(Change::AcceptorRestarted {
                acceptor: a,
                promised: now.promised,
                accepted: now.accepted,
                forgot: (was != now).then_some(*was),
                process,
            });
        }
        Event::Restart(NodeId::Proposer(p)) => {
            if let Some(next_ballot) = after.proposers[p as usize].next_ballot {
                out.push(Change::ProposerRestarted {
                    proposer: p,
                    next_ballot,
                });
            }
        }
        Event::Timeout(p) => {
            // The wire says what the timeout sent; a role whose timeout proposed or
            // decided did not start phase 1, whatever its view says.
            let prepared = step.proposal.is_none() && step.decided.is_none();
            if let (Some(ballot), true) = (after.proposers[p as usize].ballot, prepared) {
                out.push(Change::Started {
                    proposer: p,
                    ballot,
                    collides: collision(after, p, ballot),
                    timeout: true,
                });
            }
            reported[p as usize] = None;
            // A role may propose straight from its timer (skipping phase 1, say).
            if let Some((ballot, value)) = step.proposal {
                out.push(Change::Proposed {
                    proposer: p,
                    ballot,
                    value,
                    adopted: after.proposers[p as usize].adopted_from,
                    reported: None,
                    skipped_phase_1: true,
                });
            }
            if let Some((ballot, value)) = step.decided {
                out.push(Change::Decided {
                    proposer: p,
                    ballot,
                    value,
                });
            }
        }
        Event::Deliver(env) => {
            if let (NodeId::Acceptor(a), Msg::Promise { accepted, .. }) = (env.src, env.msg) {
                note_reported(before, after, env.dst, a, accepted, reported);
            }
            acceptor_changes(before, after, out);
            let reply = match env.src {
                NodeId::Acceptor(a) => Some((a, env.msg)),
                NodeId::Proposer(_) => None,
            };
            // What the proposer the reply reached sent or decided is the wire's.
            let wire = match env.dst {
                NodeId::Proposer(p) => Some((p, step)),
                NodeId::Acceptor(_) => None,
            };
            proposer_changes(proto, before, after, reported, reply, wire, out);
            // A proposer that started a ballot on this message (a retry on a nack): the
            // prepare it sent says so, whatever its view shows.
            if let (NodeId::Proposer(p), Some(ballot)) = (env.dst, prepared) {
                out.push(Change::Started {
                    proposer: p,
                    ballot,
                    collides: collision(after, p, ballot),
                    timeout: false,
                });
                reported[p as usize] = None;
            }
        }
        // The network's faults change no node; the event's text says all there is.
        Event::Drop(_) | Event::Duplicate(_) => {}
    }
}

/// Another proposer whose current ballot is `ballot` too, if one is.
fn collision(after: &Snapshot, p: u8, ballot: Ballot) -> Option<u8> {
    after
        .proposers
        .iter()
        .enumerate()
        .find(|&(q, other)| q != p as usize && other.ballot == Some(ballot))
        .map(|(q, _)| q as u8)
}

/// Folds the vote a delivered promise carried into what its proposer has been told, when
/// the proposer counted that promise.
fn note_reported(
    before: &Snapshot,
    after: &Snapshot,
    dst: NodeId,
    from: AcceptorId,
    vote: Option<(Ballot, Value)>,
    reported: &mut [Reported],
) {
    let (NodeId::Proposer(p), Some((b, v))) = (dst, vote) else {
        return;
    };
    let counted = after.proposers[p as usize].promises > before.proposers[p as usize].promises;
    let slot = &mut reported[p as usize];
    let higher = match *slot {
        None => true,
        Some((hfrom, hb, _)) => b > hb || (b == hb && from < hfrom),
    };
    if counted && higher {
        *slot = Some((from, b, v));
    }
}

fn acceptor_changes(before: &Snapshot, after: &Snapshot, out: &mut Vec<Change>) {
    for (a, (was, now)) in before.acceptors.iter().zip(&after.acceptors).enumerate() {
        let a = a as AcceptorId;
        if let (Some(ballot), true) = (now.promised, now.promised != was.promised) {
            out.push(Change::Promised {
                acceptor: a,
                ballot,
                previous: was.promised,
            });
        }
        if let (Some((ballot, value)), true) = (now.accepted, now.accepted != was.accepted) {
            out.push(Change::Voted {
                acceptor: a,
                ballot,
                value,
                previous: was.accepted,
                promised: was.promised,
                kept: now.promised,
            });
        }
    }
}

/// `reply` is the acceptor and message of a delivered reply: the one thing a proposer can
/// have counted in this step; `wire` the proposer it reached with the step, whose
/// `proposal` (the `Accept` it broadcast in reply) and `decided` (its `Decide`) say what it
/// did: from the wire, since a role's view need not say it moved to phase 2, and may say
/// it decided when it did not.
fn proposer_changes(
    proto: &Protocol,
    before: &Snapshot,
    after: &Snapshot,
    reported: &[Reported],
    reply: Option<(AcceptorId, Msg)>,
    wire: Option<(u8, &execution::Step)>,
    out: &mut Vec<Change>,
) {
    for (p, (was, now)) in before.proposers.iter().zip(&after.proposers).enumerate() {
        let proposer = p as u8;
        let step = wire.filter(|&(q, _)| q == proposer).map(|(_, s)| s);
        let (q1, q2) = now
            .quorums
            .unwrap_or((u32::from(proto.q1), u32::from(proto.q2)));
        if let (
            Some(ballot),
            true,
            Some((
                from,
                Msg::Promise {
                    ballot: promise, ..
                },
            )),
        ) = (now.ballot, now.promises > was.promises, reply)
        {
            out.push(Change::PromiseCounted {
                proposer,
                ballot,
                count: now.promises,
                quorum: q1,
                from,
                promise,
                // Counted before for this very ballot: a duplicate counted twice.
                again: was.ballot == now.ballot
                    && from < 64
                    && was.promised_by & (1u64 << from) != 0,
            });
        }
        if let Some((ballot, value)) = step.and_then(|s| s.proposal) {
            out.push(Change::Proposed {
                proposer,
                ballot,
                value,
                adopted: now.adopted_from,
                reported: reported[p],
                skipped_phase_1: false,
            });
        }
        if let (Some(ballot), true, Some((from, Msg::Accepted { ballot: vote, .. }))) =
            (now.ballot, now.votes > was.votes, reply)
        {
            out.push(Change::VoteCounted {
                proposer,
                ballot,
                count: now.votes,
                quorum: q2,
                from,
                vote,
            });
        }
        if let Some((ballot, value)) = step.and_then(|s| s.decided) {
            out.push(Change::Decided {
                proposer,
                ballot,
                value,
            });
        }
    }
}

/// `(1.1, v1)`: a vote as traces write it.
pub(crate) fn vote_label((ballot, value): (Ballot, Value)) -> String {
    format!("({}, {value})", ballot.sim_label())
}

pub(crate) fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Idle => "idle",
        Phase::Preparing => "preparing",
        Phase::Accepting => "accepting",
        Phase::Decided => "decided",
    }
}

/// An acceptor's durable state as a phrase: `promise 1.1 and vote (1.1, v1)`,
/// `promise 2.1 and no vote`, or `nothing promised or voted`.
fn acceptor_state(promised: Option<Ballot>, accepted: Option<(Ballot, Value)>) -> String {
    match (promised, accepted) {
        (None, None) => "nothing promised or voted".to_string(),
        (Some(p), None) => format!("promise {} and no vote", p.sim_label()),
        (None, Some(v)) => format!("no promise and vote {}", vote_label(v)),
        (Some(p), Some(v)) => format!("promise {} and vote {}", p.sim_label(), vote_label(v)),
    }
}

/// What an acceptor held, naming only what there was: `promise 2.1`, `vote (1.1, v1)`.
fn held_state(promised: Option<Ballot>, accepted: Option<(Ballot, Value)>) -> String {
    let held: Vec<String> = [
        promised.map(|p| format!("promise {}", p.sim_label())),
        accepted.map(|v| format!("vote {}", vote_label(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    held.join(" and ")
}

impl Change {
    /// The change as a short phrase. The text and mermaid renderings and the JSON `text`
    /// field all use it, so it avoids every character Mermaid treats specially (`;`, `#`,
    /// `<`, `>`, `%`, `{`, `}`, quotes, arrows): see [`mermaid`].
    pub fn text(&self) -> String {
        let ac = |a: AcceptorId| NodeId::Acceptor(a);
        let pr = |p: u8| NodeId::Proposer(p);
        match *self {
            Change::Promised {
                acceptor,
                ballot,
                previous: None,
            } => format!("{} promises {}", ac(acceptor), ballot.sim_label()),
            Change::Promised {
                acceptor,
                ballot,
                previous: Some(prev),
            } => format!(
                "{} {} its promise from {} to {}",
                ac(acceptor),
                if ballot > prev { "raises" } else { "lowers" },
                prev.sim_label(),
                ballot.sim_label()
            ),
            Change::Voted {
                acceptor,
                ballot,
                value,
                previous,
                promised,
                kept,
            } => {
                let mut s = format!("{} votes {}", ac(acceptor), vote_label((ballot, value)));
                if let Some(prev) = previous {
                    s += &format!(" replacing {}", vote_label(prev));
                }
                if let Some(p) = promised.filter(|&p| ballot < p) {
                    s += &format!(", below its promise {}", p.sim_label());
                } else if kept.is_none_or(|k| ballot > k) {
                    // A vote is a promise too: a correct acceptor's promise is now `ballot`.
                    match kept {
                        Some(k) => s += &format!(", but its promise stays at {}", k.sim_label()),
                        None => s += &format!(", but does not promise {}", ballot.sim_label()),
                    }
                }
                s
            }
            Change::Started {
                proposer,
                ballot,
                collides,
                timeout,
            } => {
                let mut s = format!(
                    "{}{} ballot {} and sends prepare",
                    pr(proposer),
                    if timeout {
                        " times out, starts"
                    } else {
                        " starts"
                    },
                    ballot.sim_label()
                );
                if let Some(q) = collides {
                    s += &format!(", the ballot {} is using too", pr(q));
                }
                s
            }
            Change::PromiseCounted {
                proposer,
                ballot,
                count,
                quorum,
                from,
                promise,
                again,
            } => {
                let counts = format!("{count} of {quorum} promises for {}", ballot.sim_label());
                if again {
                    format!(
                        "{} counts {}'s promise {} a second time, so has {counts}",
                        pr(proposer),
                        ac(from),
                        promise.sim_label()
                    )
                } else if promise != ballot {
                    format!(
                        "{} counts {}'s promise for {} toward {}, so has {counts}",
                        pr(proposer),
                        ac(from),
                        promise.sim_label(),
                        ballot.sim_label()
                    )
                } else {
                    format!("{} has {counts}", pr(proposer))
                }
            }
            Change::Proposed {
                proposer,
                ballot,
                value,
                skipped_phase_1: true,
                ..
            } => {
                let own = input_value(proposer);
                let whose = if value == own {
                    "its own value".to_string()
                } else {
                    format!("not its own value {own}")
                };
                format!(
                    "{} proposes {value} at {} straight from its timer, skipping phase 1 ({whose})",
                    pr(proposer),
                    ballot.sim_label()
                )
            }
            Change::Proposed {
                proposer,
                ballot,
                value,
                adopted,
                reported,
                ..
            } => {
                // Whose value it is comes from the wire and the proposer's input, not from
                // the view: a role that does not fill `adopted_from` still adopts.
                let own = input_value(proposer);
                let why = match (adopted, reported) {
                    (None, Some((a, b, v))) if v == value && value != own => format!(
                        "the value of the vote {} that {} reported",
                        vote_label((b, v)),
                        ac(a)
                    ),
                    (None, Some((a, b, v))) if v == value => format!(
                        "its own value, which the vote {} that {} reported carries too",
                        vote_label((b, v)),
                        ac(a)
                    ),
                    (None, _) if value != own => format!("not its own value {own}"),
                    (None, None) => "its own value, no promise carried a vote".to_string(),
                    (None, Some((a, b, v))) => format!(
                        "its own value, ignoring the vote {} that {} reported",
                        vote_label((b, v)),
                        ac(a)
                    ),
                    (Some((a, b)), Some((ra, rb, rv))) if (ra, rb) != (a, b) => format!(
                        "adopted from the vote of {} at {}, though {} reported the higher vote {}",
                        ac(a),
                        b.sim_label(),
                        ac(ra),
                        vote_label((rb, rv))
                    ),
                    (Some((a, b)), _) => {
                        format!("adopted from the vote of {} at {}", ac(a), b.sim_label())
                    }
                };
                format!(
                    "{} proposes {value} at {} ({why})",
                    pr(proposer),
                    ballot.sim_label()
                )
            }
            Change::VoteCounted {
                proposer,
                ballot,
                count,
                quorum,
                from,
                vote,
            } => {
                let counts = format!("{count} of {quorum} votes for {}", ballot.sim_label());
                if vote == ballot {
                    format!("{} has {counts}", pr(proposer))
                } else {
                    format!(
                        "{} counts {}'s vote at {} toward {}, so has {counts}",
                        pr(proposer),
                        ac(from),
                        vote.sim_label(),
                        ballot.sim_label()
                    )
                }
            }
            Change::Decided {
                proposer,
                ballot,
                value,
            } => format!(
                "{} decides {value} (ballot {})",
                pr(proposer),
                ballot.sim_label()
            ),
            Change::Chosen {
                ballot,
                value,
                quorum,
                voters,
                acceptors,
            } => {
                let names: Vec<String> = (0..acceptors.min(16))
                    .filter(|&a| voters & (1 << a) != 0)
                    .map(|a| ac(a as AcceptorId).to_string())
                    .collect();
                let who = match names.as_slice() {
                    [] => "a quorum".to_string(),
                    [one] => one.clone(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                };
                format!(
                    "{value} is chosen at {}: {who} voted for it (quorum {quorum} of {acceptors})",
                    ballot.sim_label()
                )
            }
            Change::AcceptorCrashed {
                acceptor,
                promised,
                accepted,
                process: None,
            } => format!(
                "{} crashes with {} on disk",
                ac(acceptor),
                acceptor_state(promised, accepted)
            ),
            // A process's storage is out of view: say what its replies showed, and what
            // the harness does to it.
            Change::AcceptorCrashed {
                acceptor,
                promised,
                accepted,
                process: Some(mode),
            } => format!(
                "{} crashes: its process is {} (its replies showed {})",
                ac(acceptor),
                match mode {
                    CrashMode::Pause => "held, memory and all",
                    CrashMode::Restart => "killed",
                },
                acceptor_state(promised, accepted)
            ),
            Change::ProposerCrashed {
                proposer,
                ballot,
                phase,
                round,
            } => {
                let lost = match ballot {
                    Some(b) => format!("ballot {} while {}", b.sim_label(), phase_name(phase)),
                    None => "no running ballot".to_string(),
                };
                format!(
                    "{} crashes, losing {lost} and keeping round {round}",
                    pr(proposer)
                )
            }
            Change::AcceptorRestarted {
                acceptor,
                process: Some(CrashMode::Pause),
                ..
            } => format!(
                "{} restarts: its process takes messages again, with its memory",
                ac(acceptor)
            ),
            Change::AcceptorRestarted {
                acceptor,
                process: Some(CrashMode::Restart),
                ..
            } => format!(
                "{} restarts: a fresh process on its PAXOS_DATA_DIR, holding what it wrote \
                 there (its replies will show what that is)",
                ac(acceptor)
            ),
            Change::AcceptorRestarted {
                acceptor,
                promised,
                accepted,
                forgot: None,
                process: None,
            } => format!(
                "{} restarts with {}",
                ac(acceptor),
                acceptor_state(promised, accepted)
            ),
            Change::AcceptorRestarted {
                acceptor,
                forgot: Some(was),
                process: None,
                ..
            } => format!(
                "{} restarts having forgotten {}",
                ac(acceptor),
                held_state(was.promised, was.accepted)
            ),
            Change::ProposerRestarted {
                proposer,
                next_ballot,
            } => format!(
                "{} restarts idle, its next ballot is {}",
                pr(proposer),
                next_ballot.sim_label()
            ),
            Change::NoEffect { node, reason } => reason.text(node),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bug::Bug;
    use crate::profile::Rates;
    use crate::world::Limits;

    fn profile() -> Profile {
        Profile {
            rates: Rates::NONE,
            limits: Limits::default(),
        }
    }

    /// Only a killed process or the amnesia bug can lose state on a restart: a violation
    /// after a restart under `pause` or of the durable built-in acceptor must not be
    /// blamed on the restart.
    fn restarts_lose_state<I: Implementation>(imp: &I, config: &Config) -> bool {
        loses_state(
            imp.acceptor_processes().as_ref(),
            imp.name().is_some(),
            config,
        )
    }

    #[test]
    fn only_killed_processes_and_amnesia_lose_state_on_restart() {
        use crate::process::ProcessAcceptors;
        use std::time::Duration;
        let config = Config::default();
        let amnesia = Config {
            bug: Some(Bug::Amnesia),
            ..config
        };
        let other_bug = Config {
            bug: Some(Bug::AcceptBelowPromise),
            ..config
        };
        assert!(!restarts_lose_state(&Builtin, &config));
        assert!(!restarts_lose_state(&Builtin, &other_bug));
        assert!(restarts_lose_state(&Builtin, &amnesia));
        let second = Duration::from_secs(1);
        let pause = ProcessAcceptors::new("true", CrashMode::Pause, second);
        let restart = ProcessAcceptors::new("true", CrashMode::Restart, second);
        assert!(!restarts_lose_state(&pause, &config));
        assert!(!restarts_lose_state(&pause, &amnesia));
        assert!(restarts_lose_state(&restart, &config));
    }

    fn restep(bug: Option<Bug>, events: &[&str]) -> Result<Trace, String> {
        let config = Config {
            bug,
            ..Config::default()
        };
        let events: Vec<Event> = events.iter().map(|e| e.parse().unwrap()).collect();
        Trace::restep(&config, &profile(), None, &events, Ending::ScheduleEnd)
    }

    /// Every way a proposal is explained, by the vote the proposer adopted (its view), the
    /// highest vote its promises reported (the wire) and whether the value is its own.
    #[test]
    fn a_proposal_says_whose_value_it_carries() {
        let b = Ballot::new;
        let proposed = |value, adopted, reported| {
            Change::Proposed {
                proposer: 0,
                ballot: b(2, 1),
                value,
                adopted,
                reported,
                skipped_phase_1: false,
            }
            .text()
        };
        let (own, other) = (Value(1), Value(2));
        let cases = [
            (
                other,
                None,
                Some((1, b(1, 2), other)),
                "the value of the vote (1.2, v2) that a2 reported",
            ),
            (
                own,
                None,
                Some((1, b(1, 1), own)),
                "its own value, which the vote (1.1, v1) that a2 reported carries too",
            ),
            (other, None, None, "not its own value v1"),
            (
                other,
                None,
                Some((1, b(1, 2), Value(3))),
                "not its own value v1",
            ),
            (own, None, None, "its own value, no promise carried a vote"),
            (
                own,
                None,
                Some((2, b(1, 2), other)),
                "its own value, ignoring the vote (1.2, v2) that a3 reported",
            ),
            (
                other,
                Some((0, b(1, 1))),
                Some((2, b(1, 2), Value(3))),
                "adopted from the vote of a1 at 1.1, though a3 reported the higher vote (1.2, v3)",
            ),
            (
                other,
                Some((2, b(1, 2))),
                Some((2, b(1, 2), other)),
                "adopted from the vote of a3 at 1.2",
            ),
            (
                other,
                Some((2, b(1, 2))),
                None,
                "adopted from the vote of a3 at 1.2",
            ),
        ];
        for (value, adopted, reported, why) in cases {
            assert_eq!(
                proposed(value, adopted, reported),
                format!("p1 proposes {value} at 2.1 ({why})")
            );
        }
        // From its timer, with no phase 1: that is the story, whatever the value.
        for (value, whose) in [(own, "its own value"), (other, "not its own value v1")] {
            let text = Change::Proposed {
                proposer: 0,
                ballot: b(2, 1),
                value,
                adopted: None,
                reported: None,
                skipped_phase_1: true,
            }
            .text();
            assert_eq!(
                text,
                format!("p1 proposes {value} at 2.1 straight from its timer, skipping phase 1 ({whose})")
            );
        }
    }

    #[test]
    fn an_amnesiac_acceptor_is_shown_forgetting_its_promise() {
        let events = [
            "timeout p1",
            "deliver p1->a1 prepare 1.1",
            "crash a1",
            "restart a1",
        ];
        let correct = restep(None, &events).unwrap();
        assert_eq!(
            correct.steps[3].changes[0].text(),
            "a1 restarts with promise 1.1 and no vote"
        );
        let amnesia = restep(Some(Bug::Amnesia), &events).unwrap();
        let change = amnesia.steps[3].changes[0];
        assert!(matches!(
            change,
            Change::AcceptorRestarted {
                promised: None,
                forgot: Some(_),
                ..
            }
        ));
        assert_eq!(change.text(), "a1 restarts having forgotten promise 1.1");
    }

    /// Every delivery of the built-in protocol that changes nothing says why, each
    /// reason once, and a delivery that changes something says no such thing.
    #[test]
    fn a_delivery_that_changes_nothing_says_why() {
        let steps = [
            ("timeout p1", None),
            ("timeout p2", None),
            ("deliver p2->a1 prepare 1.2", None),
            (
                "deliver p1->a1 prepare 1.1",
                Some("a1 refuses it, having promised 1.2"),
            ),
            (
                "deliver a1->p1 nack 1.1 promised 1.2",
                Some("p1 will start its next ballot at 2.1, above that promise"),
            ),
            ("duplicate p2->a2 prepare 1.2", None),
            ("deliver p2->a2 prepare 1.2", None),
            (
                "deliver p2->a2 prepare 1.2",
                Some("a2 promises 1.2 again, as it had already"),
            ),
            ("deliver a2->p2 promise 1.2", None),
            (
                "deliver a2->p2 promise 1.2",
                Some("p2 counted a2's promise for 1.2 already"),
            ),
            ("deliver a1->p2 promise 1.2", None),
            ("deliver p2->a3 prepare 1.2", None),
            (
                "deliver a3->p2 promise 1.2",
                Some("p2 ignores it, past phase 1 of 1.2"),
            ),
            ("duplicate p2->a1 accept 1.2 v2", None),
            ("deliver p2->a1 accept 1.2 v2", None),
            (
                "deliver p2->a1 accept 1.2 v2",
                Some("a1 votes (1.2, v2) again, as it had already"),
            ),
            ("deliver a1->p2 accepted 1.2 v2", None),
            (
                "deliver a1->p2 accepted 1.2 v2",
                Some("p2 counted a1's vote for 1.2 already"),
            ),
            ("timeout p1", None),
            ("deliver p1->a2 prepare 2.1", None),
            (
                "deliver p1->a3 prepare 1.1",
                Some("a3 refuses it, having promised 1.2"),
            ),
            (
                "deliver a3->p1 nack 1.1 promised 1.2",
                Some("p1 ignores it, running ballot 2.1"),
            ),
            (
                "deliver p2->a2 accept 1.2 v2",
                Some("a2 refuses it, having promised 2.1"),
            ),
            ("deliver p2->a3 accept 1.2 v2", None),
            ("deliver a3->p2 accepted 1.2 v2", None),
            (
                "deliver a2->p2 nack 1.2 promised 2.1",
                Some("p2 ignores it, having decided"),
            ),
            ("crash p1", None),
            ("restart p1", None),
            (
                "deliver a2->p1 promise 2.1",
                Some("p1 ignores it, running no ballot"),
            ),
        ];
        let events: Vec<&str> = steps.iter().map(|(e, _)| *e).collect();
        let trace = restep(None, &events).unwrap();
        assert_eq!(trace.steps.len(), steps.len());
        for (step, (event, why)) in trace.steps.iter().zip(steps) {
            let said: Vec<String> = step
                .changes
                .iter()
                .filter(|c| matches!(c, Change::NoEffect { .. }))
                .map(Change::text)
                .collect();
            assert_eq!(
                said,
                why.map(str::to_string).into_iter().collect::<Vec<_>>(),
                "{event}"
            );
            if why.is_some() {
                assert_eq!(step.changes.len(), 1, "{event}: {:?}", step.changes);
            } else if event.starts_with("deliver") {
                assert!(!step.changes.is_empty(), "{event} changed nothing");
            }
        }
    }

    #[test]
    fn a_vote_below_a_promise_is_explained_with_the_acceptor_named_as_in_the_trace() {
        let trace = restep(
            Some(Bug::AcceptBelowPromise),
            &[
                "timeout p1",
                "timeout p2",
                "deliver p2->a1 prepare 1.2",
                "deliver p1->a2 prepare 1.1",
                "deliver p1->a3 prepare 1.1",
                "deliver a2->p1 promise 1.1",
                "deliver a3->p1 promise 1.1",
                "deliver p1->a1 accept 1.1 v1",
            ],
        )
        .unwrap();
        let (step, v) = trace.violation.expect("a1 votes below its promise");
        assert_eq!(step, 8);
        assert_eq!(trace.ending, Ending::Violation);
        assert!(
            Trace::explain(&v).starts_with(
                "vote-above-promise violated: acceptor a1 voted for v1 at ballot 1.1 after ballot 1.2"
            ),
            "{}",
            Trace::explain(&v)
        );
    }

    #[test]
    fn an_event_that_is_not_enabled_is_reported_with_its_number() {
        let err = restep(None, &["timeout p1", "deliver a1->p1 promise 1.1"]).unwrap_err();
        assert!(
            err.starts_with("event 2 ('deliver a1->p1 promise 1.1') is not enabled after step 1:"),
            "{err}"
        );
    }

    #[test]
    fn a_trace_that_disagrees_with_the_simulator_is_refused() {
        let config = Config::default();
        let mut sim = crate::execution::Simulator::new(config);
        let mut events = Vec::new();
        let mut outcome = sim.run_seed(6, Some(&mut events));
        assert!(Trace::new(&config, Some(6), &outcome, &events).is_ok());
        outcome.chosen = None;
        outcome.steps += 1;
        let err = Trace::new(&config, Some(6), &outcome, &events).unwrap_err();
        assert!(err.starts_with("internal error"), "{err}");
    }
}
