//! # paxos-safety
//!
//! Proves by search that single-decree Paxos never un-chooses a value. A deterministic
//! simulator interleaves competing proposers and acceptors under message loss,
//! duplication, reordering and crashes; a safety checker watches every single step; failing
//! executions shrink to short counterexamples that replay by their events.
//!
//! The checker must be able to fail, so the crate carries a zoo of classic Paxos bugs.
//! Here one is switched on, a campaign runs, and the checker catches it:
//!
//! ```
//! use paxos_safety::bug::Bug;
//! use paxos_safety::campaign::Campaign;
//! use paxos_safety::checker::Invariant;
//! use paxos_safety::config::{Config, ShapeSwarm};
//!
//! let campaign = Campaign {
//!     // The proposer ignores the votes reported in promises and proposes its own value.
//!     config: Config { bug: Some(Bug::NoAdopt), ..Config::default() },
//!     seed: 1,
//!     runs: Some(1_000),
//!     time_limit: None,
//!     jobs: 1,
//!     shard: (1, 1),
//!     stop_on_violation: true,
//!     shape: ShapeSwarm::FIXED,
//! };
//! let report = campaign.run(&|_done, _violations| {});
//! let found = report.first.expect("the checker catches no-adopt");
//! assert_eq!(found.violation.invariant, Invariant::Immutability);
//!
//! // The same campaign with the bug off: every step of every execution checked, nothing found.
//! let correct = Campaign { config: Config::default(), stop_on_violation: false, ..campaign };
//! assert_eq!(correct.run(&|_, _| {}).counts.violations, 0);
//! ```
//!
//! The parts, one job each:
//! - [`roles`]: the roles as an interface ([`roles::AcceptorRole`], [`roles::ProposerRole`],
//!   [`roles::Implementation`]), so that everything below drives your own Paxos too;
//! - [`protocol`]: the built-in acceptor and proposer as pure state machines (message in,
//!   messages out), one implementation of the roles, with the bug zoo's switches;
//! - [`process`]: acceptor processes in any language driven over stdin/stdout, another;
//! - [`checker`] and [`observe`]: the incremental safety checker, an observer of every step,
//!   and the one mapping from what the roles put on the wire to what it observes;
//! - [`world`] and [`event`]: the cluster state, its one step function, and the events a
//!   schedule is made of;
//! - [`scheduler`], [`rng`], [`profile`]: who decides the next event (seeded ChaCha with a
//!   swarm fault profile, a proptest choice vector, or a recorded list);
//! - [`execution`], [`campaign`], [`shrink`], [`counterexample`]: running one execution,
//!   many on all cores, shrinking a failure, and the file that replays it; an execution's
//!   liveness mode (the network heals, then a value must be chosen and learned within a
//!   bound) lives in [`execution`] too, the proposer strategies in [`config`];
//! - [`explore`]: every interleaving of a small cluster, for safety, and for liveness a
//!   lasso search ([`explore::lasso`]);
//! - [`strategy`]: proptest strategies and a runner for your own properties;
//! - [`node`]: the stdin/stdout grader node; [`cli`]: the command line.

pub mod ballot;
pub mod bench;
pub mod bug;
pub mod campaign;
pub mod checker;
pub mod cli;
pub mod config;
pub mod counterexample;
pub mod event;
pub mod execution;
pub mod explore;
pub mod interrupt;
pub mod node;
pub mod observe;
pub mod process;
pub mod profile;
pub mod progress;
pub mod protocol;
pub mod pyjson;
pub mod render;
pub mod rng;
pub mod role_panic;
pub mod roles;
pub mod scheduler;
pub mod shrink;
pub mod strategy;
pub mod world;
