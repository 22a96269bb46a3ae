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
        self.faults.validate()
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
        s
    }
}
