//! The configuration of a simulated cluster: sizes, quorums, the bug switched on, and the
//! fault profile. It is what a counterexample file and a replay command carry, so it
//! serialises to JSON and validates itself with messages a user can act on.

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::profile::ProfileSpec;
use crate::protocol::Protocol;
use crate::rng::{execution_seed, Prng};

/// `T` from JSON text, an error naming the key of a bad value
/// ("faults.max_crashes: invalid value: integer -1, expected u16 at line 1 column 29"):
/// serde_json alone gives the position only. For the files users write or edit by hand,
/// `--config` and counterexample files.
pub fn from_json_naming_keys<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

pub const MAX_ACCEPTORS: u16 = 15;
pub const MAX_PROPOSERS: u8 = 8;

/// A simulated cluster and the faults it runs under.
///
/// [`Config::validate`] says what is allowed; a [`crate::execution::Simulator`] or a
/// [`crate::campaign::Campaign`] given a configuration it refuses panics with its message.
/// Quorums are not refused when they do not intersect (the bug zoo's `small-quorum` is
/// that): with `q1 + q2 <= acceptors` ([`Config::quorums_intersect`] is false) two values
/// can be chosen by correct roles, and a campaign says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Acceptors, 1..=[`MAX_ACCEPTORS`].
    pub acceptors: u16,
    /// Proposers, 1..=[`MAX_PROPOSERS`].
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

    /// Whether both quorums are left to the protocol's majority formula rather than given
    /// as numbers. A drawn flexible pair that happens to equal the majority still counts as
    /// given: it does not run the formula, and a slip in the formula must not hide behind
    /// executions that never ran it.
    pub fn majority_quorums(&self) -> bool {
        self.q1.is_none() && self.q2.is_none()
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

/// Which parts of the cluster's shape a campaign draws per execution instead of taking
/// them from its [`Config`]: swarm testing over the shape, as [`crate::profile`] does over
/// the faults.
///
/// A wrong quorum formula or an off-by-one over the acceptors often agrees with the right
/// one at three acceptors and two proposers, and a campaign that never leaves that shape
/// cannot see it. So unless the user fixes a field (a flag or a config-file key), each
/// execution draws it from its own seed. The draw uses its own random stream
/// ([`SHAPE_STREAM`]), so the schedule an execution's seed means is the same with the shape
/// drawn or fixed, and always consumes the same randomness, so fixing one field never
/// changes what the others draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ShapeSwarm {
    /// Draw the number of acceptors (1..=7).
    pub acceptors: bool,
    /// Draw the number of proposers (1..=4).
    pub proposers: bool,
    /// Sometimes draw flexible quorums with `q1 + q2 > acceptors` (otherwise majorities).
    pub quorums: bool,
}

/// The stream of [`crate::rng::execution_seed`] the shape is drawn from: far from any
/// campaign index a real campaign reaches, so it is unrelated to every schedule's stream.
pub const SHAPE_STREAM: u64 = 0x5348_4150_4500_0000;

// The menus. Three and five acceptors, and two proposers, come up most: they are the shapes
// people deploy. The rest are there to break formulas that only agree at those.
const SWARM_ACCEPTORS: [u16; 10] = [1, 2, 3, 3, 3, 4, 5, 5, 6, 7];
const SWARM_PROPOSERS: [u8; 6] = [1, 2, 2, 2, 3, 4];
/// Per mille of executions that draw flexible quorums when the quorums are drawn.
const FLEXIBLE_PER_MILLE: u16 = 250;

impl ShapeSwarm {
    /// Nothing drawn: every execution has the configuration's shape.
    pub const FIXED: ShapeSwarm = ShapeSwarm {
        acceptors: false,
        proposers: false,
        quorums: false,
    };

    /// Everything drawn: a campaign's default.
    pub const ALL: ShapeSwarm = ShapeSwarm {
        acceptors: true,
        proposers: true,
        quorums: true,
    };

    pub fn is_fixed(&self) -> bool {
        *self == ShapeSwarm::FIXED
    }

    /// The names of the drawn fields, for the banner and `--json`.
    pub fn drawn(&self) -> Vec<&'static str> {
        [
            (self.acceptors, "acceptors"),
            (self.proposers, "proposers"),
            (self.quorums, "quorums"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    /// The configuration execution `seed` runs: `base` with the drawn fields replaced.
    /// Always valid when `base` is.
    pub fn draw(&self, base: &Config, seed: u64) -> Config {
        if self.is_fixed() {
            return *base;
        }
        let mut rng = Prng::new(execution_seed(seed, SHAPE_STREAM));
        // Every draw is made whether it is used or not (see the type's docs).
        let acceptors = rng.pick(&SWARM_ACCEPTORS);
        let proposers = rng.pick(&SWARM_PROPOSERS);
        let flexible = rng.chance(FLEXIBLE_PER_MILLE);
        let (x, y) = (rng.next_u64(), rng.next_u64());
        let mut config = *base;
        if self.acceptors {
            config.acceptors = acceptors;
        }
        if self.proposers {
            config.proposers = proposers;
        }
        if self.quorums {
            let a = u64::from(config.acceptors);
            if flexible {
                // Any q2 in 1..=A, and q1 just large enough to meet every q2-quorum or more:
                // q1 + q2 > A, so the configuration stays safe.
                let q2 = (x % a) as u16 + 1;
                let q1 = config.acceptors - q2 + 1 + (y % u64::from(q2)) as u16;
                config.q1 = Some(q1);
                config.q2 = Some(q2);
            } else {
                config.q1 = None;
                config.q2 = None;
            }
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_shapes_are_valid_cover_the_menus_and_keep_quorums_intersecting() {
        let base = Config::default();
        let mut acceptors = [0u32; 8];
        let mut proposers = [0u32; 5];
        let mut flexible = 0;
        for seed in 0..20_000 {
            let c = ShapeSwarm::ALL.draw(&base, seed);
            assert_eq!(
                c,
                ShapeSwarm::ALL.draw(&base, seed),
                "a function of the seed"
            );
            c.validate().unwrap();
            assert!(c.quorums_intersect(), "{c:?}");
            acceptors[c.acceptors as usize] += 1;
            proposers[c.proposers as usize] += 1;
            flexible += u32::from(c.q1.is_some());
            assert_eq!(c.q1.is_some(), c.q2.is_some());
            assert_eq!(c.faults, base.faults);
        }
        assert!(acceptors[1..=7].iter().all(|&n| n > 1000), "{acceptors:?}");
        assert!(proposers[1..=4].iter().all(|&n| n > 2000), "{proposers:?}");
        // One in four, give or take.
        assert!((4_000..6_000).contains(&flexible), "{flexible}");
    }

    #[test]
    fn fixed_fields_stay_and_fixing_one_does_not_move_the_others() {
        let base = Config {
            acceptors: 5,
            proposers: 3,
            q1: Some(4),
            q2: Some(2),
            ..Config::default()
        };
        let only_proposers = ShapeSwarm {
            proposers: true,
            ..ShapeSwarm::FIXED
        };
        for seed in 0..2_000 {
            assert_eq!(ShapeSwarm::FIXED.draw(&base, seed), base);
            let all = ShapeSwarm::ALL.draw(&base, seed);
            let some = only_proposers.draw(&base, seed);
            assert_eq!((some.acceptors, some.q1, some.q2), (5, Some(4), Some(2)));
            assert_eq!(
                some.proposers, all.proposers,
                "the same draw, pinned or not"
            );
        }
        assert_eq!(ShapeSwarm::FIXED.drawn(), Vec::<&str>::new());
        assert_eq!(
            ShapeSwarm::ALL.drawn(),
            vec!["acceptors", "proposers", "quorums"]
        );
    }
}
