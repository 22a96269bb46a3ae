//! The roles as an interface: what a Paxos implementation must offer for the simulator,
//! the campaigns, shrinking and replay to drive it.
//!
//! An implementation is an [`AcceptorRole`], a [`ProposerRole`] and an [`Implementation`]
//! that builds them. The roles are sans-IO state machines in the style of Stateright's
//! actors: a message in, at most one message or action out, no clock, no socket, no RNG
//! of their own. The built-in protocol of [`crate::protocol`] (with its bug switches) is one
//! implementation; a user's crate is another (see `examples/user_paxos/textbook.rs`); an acceptor
//! process in any language, driven over its stdin and stdout, is a third
//! ([`crate::process`]).
//!
//! **The checker never asks a role about itself.** Everything it judges comes from the
//! messages a role sends ([`crate::observe`]): an acceptor that claims, in its
//! [`AcceptorRole::view`], to have promised ballot 7 while its replies say otherwise is
//! judged by its replies. Views exist only so that traces can show state changes; the
//! simulator's own bookkeeping (how many ballots a proposer started, whether it has
//! decided) is kept by the world, not by the roles.
//!
//! Crashes follow the simulator's fault model: an acceptor's state is durable (it keeps it
//! across a crash unless it is buggy), a proposer's is volatile except what it needs never
//! to reuse a ballot.
//!
//! The exhaustive explorer ([`crate::explore`]) stays specialised to the built-in
//! protocol: it encodes, hashes and permutes the built-in roles' state, which a trait
//! object cannot offer.

use std::fmt;

use crate::ballot::{AcceptorId, Ballot, Value};
use crate::process::CrashMode;
use crate::protocol::{Action, Msg, Phase, Protocol};

/// An acceptor: answers prepares and accepts from its durable state.
pub trait AcceptorRole {
    /// Handles one message from a proposer and returns the reply, if any. `cluster` gives
    /// the cluster's size and quorums. An error is an implementation that could not answer
    /// at all (a process that wrote garbage or died): the execution ends with an
    /// `acceptor-protocol` finding.
    fn on_message(&mut self, cluster: &Protocol, msg: &Msg) -> Result<Option<Msg>, RoleFault>;

    /// The node crashes. Messages to it wait in the network (or are lost to the adversary)
    /// until it restarts. By default nothing happens to its state: it is durable.
    fn on_crash(&mut self, _cluster: &Protocol) {}

    /// The node comes back after a crash, with whatever its storage kept.
    fn on_restart(&mut self, _cluster: &Protocol) -> Result<(), RoleFault> {
        Ok(())
    }

    /// What the acceptor says it holds, for traces only (never judged).
    fn view(&self) -> AcceptorView;

    /// The last raw reply line the acceptor wrote, for implementations that speak a wire
    /// protocol: a counterexample quotes it. In-process roles have none.
    fn last_reply(&self) -> Option<&str> {
        None
    }
}

/// A proposer, and the learner of its own ballots.
pub trait ProposerRole {
    /// The proposer's timer fired: it starts a new ballot, higher than any it used before
    /// and above the `promised` ballot of any `Nack` it received for its current ballot
    /// (the `refusal-heeded` rule of [`crate::progress`]), and returns what to do (normally
    /// a broadcast of `Prepare`). The simulator fires it only while the proposer is up, has
    /// not decided, and is under its ballot limit.
    fn on_timeout(&mut self, cluster: &Protocol) -> Action;

    /// Handles one reply from acceptor `from`; at most one action per reply. The reply that
    /// completes a phase-2 quorum (`cluster.q2` distinct acceptors voting for its proposal)
    /// must return `Action::Decide` (the `learner-progress` rule of [`crate::progress`]).
    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action>;

    /// The node crashes: volatile state is lost now, at the crash. What it keeps must be
    /// enough never to reuse a ballot (the `ballot-fresh` rule of [`crate::progress`]).
    fn on_crash(&mut self);

    /// What the proposer says it is doing, for traces only (never judged).
    fn view(&self, cluster: &Protocol) -> ProposerView;
}

/// How to build the roles of one execution. The simulator asks for fresh roles at the
/// start of every execution, so an implementation may hand out pooled resources (the
/// process harness starts its processes ahead of need).
///
/// A campaign clones the implementation once per worker thread (and shrinking clones it
/// again), so state kept in `self` — a counter of executions, a pool — is per clone: its
/// figures depend on `--jobs` unless it is shared (an `Arc`). What the roles do must not
/// depend on such state, or the same seed would not give the same execution.
pub trait Implementation: Clone + Send + Sync {
    type Acceptor: AcceptorRole;
    type Proposer: ProposerRole;

    /// Acceptor `id` (0-based; traces call it `a{id+1}`) of a fresh execution.
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> Self::Acceptor;

    /// Proposer `id` (0-based; `p{id+1}`) of a fresh execution, which wants `value` chosen.
    /// Its ballots must be unique to it and ordered; the built-in ones are
    /// `Ballot::new(round, id + 1)`, shown as `round.id+1` ([`Ballot::new`]). Any scheme
    /// with that property is checked the same, but traces label ballots that way.
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> Self::Proposer;

    /// The name counterexample files record (`"implementation"`), so that the command line
    /// refuses to judge one with the built-in roles it did not come from; the type's path
    /// unless overridden. `None` only for what the command line replays itself: the
    /// built-in protocol, and acceptor processes (whose files carry their command).
    fn name(&self) -> Option<String> {
        Some(std::any::type_name::<Self>().to_string())
    }

    /// The acceptors' command and crash mode when they are processes outside this one
    /// ([`crate::process`]), so that a trace names them in its header and does not tell a
    /// crash as if their storage were in view: what a killed process kept shows only in
    /// its next replies. `None` (the default) for roles in this process.
    fn acceptor_processes(&self) -> Option<AcceptorProcesses> {
        None
    }
}

/// Acceptors that are processes: the command that starts each one and what a crash does
/// to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptorProcesses {
    pub command: String,
    pub crash: CrashMode,
    /// How long each reply may take before it is an `acceptor-protocol` finding.
    pub reply_timeout: std::time::Duration,
}

/// An acceptor's state as it shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AcceptorView {
    pub promised: Option<Ballot>,
    pub accepted: Option<(Ballot, Value)>,
}

/// A proposer's progress as it shows it. Everything is optional in spirit: a role that
/// shows less gets a terser trace, nothing else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProposerView {
    /// The ballot it is running, if any.
    pub ballot: Option<Ballot>,
    pub phase: Phase,
    /// Promises counted toward the phase-1 quorum of `ballot`.
    pub promises: u32,
    /// Bit `a` set: acceptor `a`'s promise for `ballot` has been counted (acceptors below
    /// 64), so a trace can tell a promise counted twice.
    pub promised_by: u64,
    /// Votes counted toward the phase-2 quorum of `ballot`.
    pub votes: u32,
    /// The value it sent in phase 2 of `ballot`.
    pub proposal: Option<Value>,
    /// The acceptor and ballot of the reported vote it adopted, when the proposal came
    /// from a promise rather than its own input.
    pub adopted_from: Option<(AcceptorId, Ballot)>,
    /// The ballot its next timeout will start, when it can tell.
    pub next_ballot: Option<Ballot>,
    /// The phase-1 and phase-2 quorums it waits for, when it can tell.
    pub quorums: Option<(u32, u32)>,
}

/// An implementation that could not answer: what went wrong, and the raw line that shows
/// it when there is one. Boxed so that the common `Ok` path stays one word wide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleFault(Box<FaultDetail>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct FaultDetail {
    kind: FaultKind,
    problem: String,
    line: Option<String>,
}

/// What kind of fault a step was, for scripts that sort findings (`acceptor_fault` in
/// `fuzz --json` and in `replay --format json`'s summary): the acceptor-process harness
/// names each; a fault your own roles return with [`RoleFault::new`] is `Other`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// No reply within the reply timeout.
    NoReply,
    /// The process exited, or closed its stdin, instead of answering.
    Exited,
    /// A reply line that is not JSON (most often a log line on stdout).
    NotJson,
    /// A second line for one request.
    ExtraLine,
    /// JSON of the wrong shape: another type, the wrong `in_reply_to`, a field missing or
    /// of the wrong type, no `body`.
    WrongReply,
    /// A well-formed refusal that contradicts itself or what the acceptor said before.
    Contradiction,
    /// A reply line over the length limit.
    TooLong,
    /// A restarted process that did not start or answer `init`.
    Start,
    #[default]
    Other,
}

impl FaultKind {
    /// The kind's name in JSON.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::NoReply => "no-reply",
            FaultKind::Exited => "exited",
            FaultKind::NotJson => "not-json",
            FaultKind::ExtraLine => "extra-line",
            FaultKind::WrongReply => "wrong-reply",
            FaultKind::Contradiction => "contradiction",
            FaultKind::TooLong => "too-long",
            FaultKind::Start => "start",
            FaultKind::Other => "other",
        }
    }
}

impl RoleFault {
    pub fn new(problem: impl Into<String>, line: Option<String>) -> RoleFault {
        RoleFault::of(FaultKind::Other, problem, line)
    }

    /// A fault of a named kind.
    pub fn of(kind: FaultKind, problem: impl Into<String>, line: Option<String>) -> RoleFault {
        RoleFault(Box::new(FaultDetail {
            kind,
            problem: problem.into(),
            line,
        }))
    }

    /// Its kind ([`FaultKind::Other`] unless made with [`RoleFault::of`]).
    pub fn kind(&self) -> FaultKind {
        self.0.kind
    }

    /// What went wrong, in a few words.
    pub fn problem(&self) -> &str {
        &self.0.problem
    }

    /// The offending line, when there was one.
    pub fn line(&self) -> Option<&str> {
        self.0.line.as_deref()
    }
}

impl fmt::Display for RoleFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line() {
            Some(line) => write!(f, "{}: {}", self.problem(), line),
            None => f.write_str(self.problem()),
        }
    }
}
