//! The bug zoo: classic Paxos mistakes that can be switched on one at a time.
//!
//! A checker that has never failed proves nothing. Each bug here is a single documented
//! deviation inside the real protocol code (grep for `Bug::` to find the exact line), so
//! the campaigns that must catch it exercise the same code paths as the correct protocol.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One classic Paxos bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// The proposer ignores the accepted values reported in promises and proposes its own.
    NoAdopt,
    /// The proposer adopts the value of the lowest accepted ballot, not the highest.
    AdoptLowest,
    /// An acceptor accepts a ballot below its promise.
    AcceptBelowPromise,
    /// An acceptor forgets its promise and its vote when it restarts.
    Amnesia,
    /// Quorums of `A/2` instead of a majority (at least one).
    SmallQuorum,
    /// Ballots are bare round numbers, so two proposers can run the same ballot.
    BallotCollision,
    /// An acceptor does not raise its promise when it accepts a higher ballot, so a later,
    /// lower Accept overwrites its vote.
    NoPromiseOnAccept,
    /// The proposer counts a duplicated promise twice toward its quorum.
    CountDuplicates,
    /// The proposer counts promises for its older ballots toward its current one.
    StalePromise,
    /// A learner decides on a quorum of Accepted for one value across different ballots.
    LearnMixedBallots,
}

impl Bug {
    /// Every bug, in the order the documentation lists them.
    pub const ALL: [Bug; 10] = [
        Bug::NoAdopt,
        Bug::AdoptLowest,
        Bug::AcceptBelowPromise,
        Bug::Amnesia,
        Bug::SmallQuorum,
        Bug::BallotCollision,
        Bug::NoPromiseOnAccept,
        Bug::CountDuplicates,
        Bug::StalePromise,
        Bug::LearnMixedBallots,
    ];

    /// The kebab-case name used by `--bug` and in files.
    pub fn name(self) -> &'static str {
        match self {
            Bug::NoAdopt => "no-adopt",
            Bug::AdoptLowest => "adopt-lowest",
            Bug::AcceptBelowPromise => "accept-below-promise",
            Bug::Amnesia => "amnesia",
            Bug::SmallQuorum => "small-quorum",
            Bug::BallotCollision => "ballot-collision",
            Bug::NoPromiseOnAccept => "no-promise-on-accept",
            Bug::CountDuplicates => "count-duplicates",
            Bug::StalePromise => "stale-promise",
            Bug::LearnMixedBallots => "learn-mixed-ballots",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;

    fn from_str(s: &str) -> Result<Bug, String> {
        Bug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Bug::ALL.iter().map(|b| b.name()).collect();
                format!("unknown bug '{s}'; known bugs: {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_round_trips_through_its_name() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
            let json = serde_json::to_string(&bug).unwrap();
            assert_eq!(json, format!("\"{}\"", bug.name()));
        }
        assert!("no-such-bug"
            .parse::<Bug>()
            .unwrap_err()
            .contains("no-adopt"));
    }
}
