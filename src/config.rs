//! The configuration of a simulated cluster: sizes, quorums, the bug switched on, and the
//! fault profile. It is what a counterexample file and a replay command carry, so it
//! serialises to JSON and validates itself with messages a user can act on.

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::profile::ProfileSpec;
use crate::protocol::Protocol;

pub const MAX_ACCEPTORS: u16 = 15;
pub const MAX_PROPOSERS: u8 = 8;

/// A simulated cluster and the faults it runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub acceptors: u16,
    pub proposers: u8,
    /// Phase-1 quorum; a majority when absent.
    pub q1: Option<u16>,
    /// Phase-2 quorum; a majority when absent.
    pub q2: Option<u16>,
    pub bug: Option<Bug>,
    pub faults: ProfileSpec,
    /// When proposers retry. Left out of the JSON when it is `eager`, the behaviour that
    /// predates the choice, so that files and summaries without it read and print as before.
    #[serde(skip_serializing_if = "ProposerStrategy::is_eager")]
    pub proposer_strategy: ProposerStrategy,
    /// The liveness mode (`fuzz --liveness`): absent, the execution checks safety only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Liveness>,
}

/// When a proposer starts a new ballot. Before the network heals the adversary fires any
/// permitted timeout at any moment (that is what asynchrony means); after it heals a timer
/// fires only once its proposer is stuck (nothing of its own in flight), and the strategy
/// decides who may retry and how long a stuck proposer waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProposerStrategy {
    /// Every proposer retries as soon as its timer fires: the behaviour before strategies
    /// existed, and the one that duels.
    #[default]
    Eager,
    /// A stuck proposer waits a seeded random number of steps below a window that doubles
    /// with every ballot it started since the network healed.
    Backoff,
    /// Only the live, undecided proposer with the highest id retries: a perfect failure
    /// detector elects it. When it decides it steps down and the next one learns.
    Leader,
}

impl ProposerStrategy {
    pub const ALL: [ProposerStrategy; 3] = [
        ProposerStrategy::Eager,
        ProposerStrategy::Backoff,
        ProposerStrategy::Leader,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProposerStrategy::Eager => "eager",
            ProposerStrategy::Backoff => "backoff",
            ProposerStrategy::Leader => "leader",
        }
    }

    pub fn is_eager(&self) -> bool {
        *self == ProposerStrategy::Eager
    }
}

impl std::fmt::Display for ProposerStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ProposerStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<ProposerStrategy, String> {
        ProposerStrategy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown proposer strategy '{s}': eager, backoff or leader"))
    }
}

/// The liveness settings of one campaign or execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Liveness {
    /// K: steps after the network heals by which a value must be chosen and every live
    /// proposer must have learned it.
    pub bound: u32,
    /// The step after which the network heals; drawn per execution (swarm-style, from its
    /// own stream of the seed) when absent. Counterexample files always pin it.
    pub stabilise_at: Option<u32>,
}

/// The default `--liveness-bound`: a ballot of 3 acceptors takes 12 deliveries, the
/// messages left in flight when the network heals must be delivered too, and every live
/// proposer must run a ballot of its own to learn the value. 300 steps leaves room for
/// that at the default sizes while a duel of eager proposers still overruns it.
pub const DEFAULT_LIVENESS_BOUND: u32 = 300;

/// The largest `--liveness-bound`: every ballot after the network heals counts against a
/// 16-bit ballot counter, and one step starts at most one ballot.
pub const MAX_LIVENESS_BOUND: u32 = 20_000;

impl Default for Liveness {
    fn default() -> Liveness {
        Liveness {
            bound: DEFAULT_LIVENESS_BOUND,
            stabilise_at: None,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            acceptors: 3,
            proposers: 2,
            q1: None,
            q2: None,
            bug: None,
            faults: ProfileSpec::default(),
            proposer_strategy: ProposerStrategy::Eager,
            liveness: None,
        }
    }
}

impl Config {
    /// The protocol parameters: quorums resolved to numbers.
    pub fn protocol(&self) -> Protocol {
        let mut p = Protocol::majority(self.acceptors, self.bug);
        p.q1 = self.q1.unwrap_or(p.q1);
        p.q2 = self.q2.unwrap_or(p.q2);
        p
    }

    /// Checks every field; the message names the flag and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_ACCEPTORS).contains(&self.acceptors) {
            return Err(format!(
                "--acceptors must be 1..={MAX_ACCEPTORS}, got {}",
                self.acceptors
            ));
        }
        if !(1..=MAX_PROPOSERS).contains(&self.proposers) {
            return Err(format!(
                "--proposers must be 1..={MAX_PROPOSERS}, got {}",
                self.proposers
            ));
        }
        for (name, q) in [("q1", self.q1), ("q2", self.q2)] {
            if let Some(q) = q {
                if !(1..=self.acceptors).contains(&q) {
                    return Err(format!(
                        "--{name} must be 1..={} (the number of acceptors), got {q}",
                        self.acceptors
                    ));
                }
            }
        }
        if let Some(l) = self.liveness {
            if !(1..=MAX_LIVENESS_BOUND).contains(&l.bound) {
                return Err(format!(
                    "--liveness-bound must be 1..={MAX_LIVENESS_BOUND}, got {}",
                    l.bound
                ));
            }
            if let Some(s) = l.stabilise_at {
                if s > 1_000_000 {
                    return Err(format!("--stabilise-at must be 0..=1000000, got {s}"));
                }
            }
        }
        self.faults.validate()
    }

    /// This configuration with the liveness mode's stabilisation point pinned to `at` (an
    /// [`crate::execution::Outcome::stabilised_at`]): what replays and shrinks the events
    /// of a seeded execution, whose point was drawn. Unchanged without liveness.
    pub fn at_stabilisation(mut self, at: Option<u32>) -> Config {
        if let (Some(l), Some(at)) = (self.liveness.as_mut(), at) {
            l.stabilise_at = Some(at);
        }
        self
    }

    /// Flexible Paxos is safe exactly when every phase-1 quorum meets every phase-2 quorum.
    pub fn quorums_intersect(&self) -> bool {
        let p = self.protocol();
        p.q1 + p.q2 > p.acceptors
    }

    /// The flags that reproduce this configuration on the command line, without the faults.
    pub fn cluster_args(&self) -> String {
        let mut s = format!(
            "--acceptors {} --proposers {}",
            self.acceptors, self.proposers
        );
        if let Some(q) = self.q1 {
            s += &format!(" --q1 {q}");
        }
        if let Some(q) = self.q2 {
            s += &format!(" --q2 {q}");
        }
        if let Some(b) = self.bug {
            s += &format!(" --bug {b}");
        }
        if !self.proposer_strategy.is_eager() {
            s += &format!(" --proposer-strategy {}", self.proposer_strategy);
        }
        if let Some(l) = self.liveness {
            s += &format!(" --liveness --liveness-bound {}", l.bound);
            if let Some(at) = l.stabilise_at {
                s += &format!(" --stabilise-at {at}");
            }
        }
        s
    }
}
