//! Fault profiles: how hostile the network and the nodes are in one execution.
//!
//! Swarm testing (as in TigerBeetle's VOPR): rather than one fixed fault mix for a whole
//! campaign, every execution draws its own rates and limits from its seed, so a campaign
//! visits calm runs that reach a decision and storms that stress recovery. A user pins any
//! field with a flag; the rest stay drawn. The draw always consumes the same randomness,
//! pinned or not, so pinning a field never changes the schedule that follows.

use serde::{Deserialize, Serialize};

use crate::rng::Prng;
use crate::world::Limits;

/// How often each fault or timeout is tried at a step, per mille.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rates {
    pub drop: u16,
    pub duplicate: u16,
    pub crash: u16,
    pub restart: u16,
    pub timeout: u16,
}

impl Rates {
    /// No fault and no timeout is ever tried at random: for schedules that decide every
    /// step themselves (choices, recorded events, the explorer).
    pub const NONE: Rates = Rates {
        drop: 0,
        duplicate: 0,
        crash: 0,
        restart: 0,
        timeout: 0,
    };
}

/// The resolved fault profile of one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Profile {
    pub rates: Rates,
    pub limits: Limits,
}

/// A profile with some fields pinned by the user; `None` fields are drawn per execution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileSpec {
    pub drop_rate: Option<u16>,
    pub duplicate_rate: Option<u16>,
    pub crash_rate: Option<u16>,
    pub restart_rate: Option<u16>,
    pub timeout_rate: Option<u16>,
    pub max_crashes: Option<u16>,
    pub max_drops: Option<u16>,
    pub max_duplicates: Option<u16>,
    pub max_ballots: Option<u16>,
    pub max_in_flight: Option<u16>,
    pub max_steps: Option<u32>,
}

// The swarm menus. Zero appears often so that many executions have a fault switched off
// entirely: some bugs only show when one kind of fault is absent and another is frequent.
const DROP_RATES: [u16; 6] = [0, 0, 10, 50, 100, 200];
const DUPLICATE_RATES: [u16; 5] = [0, 0, 10, 50, 150];
const CRASH_RATES: [u16; 5] = [0, 0, 5, 20, 60];
const RESTART_RATES: [u16; 3] = [50, 200, 500];
const TIMEOUT_RATES: [u16; 4] = [5, 20, 60, 150];
const MAX_CRASHES: [u16; 4] = [0, 1, 2, 3];
const MAX_DROPS: [u16; 4] = [0, 2, 8, 32];
const MAX_DUPLICATES: [u16; 4] = [0, 2, 8, 32];
const MAX_BALLOTS: [u16; 4] = [2, 3, 4, 6];

impl ProfileSpec {
    /// Every field pinned to `profile`'s value: what a replay command states explicitly.
    pub fn pinned(profile: &Profile) -> ProfileSpec {
        let (r, l) = (profile.rates, profile.limits);
        ProfileSpec {
            drop_rate: Some(r.drop),
            duplicate_rate: Some(r.duplicate),
            crash_rate: Some(r.crash),
            restart_rate: Some(r.restart),
            timeout_rate: Some(r.timeout),
            max_crashes: Some(l.max_crashes),
            max_drops: Some(l.max_drops),
            max_duplicates: Some(l.max_duplicates),
            max_ballots: Some(l.max_ballots),
            max_in_flight: Some(l.max_in_flight),
            max_steps: Some(l.max_steps),
        }
    }

    /// Draws the profile of one execution. Consumes exactly nine draws whatever is pinned.
    pub fn draw(&self, rng: &mut Prng) -> Profile {
        let defaults = Limits::default();
        let drawn = Profile {
            rates: Rates {
                drop: rng.pick(&DROP_RATES),
                duplicate: rng.pick(&DUPLICATE_RATES),
                crash: rng.pick(&CRASH_RATES),
                restart: rng.pick(&RESTART_RATES),
                timeout: rng.pick(&TIMEOUT_RATES),
            },
            limits: Limits {
                max_crashes: rng.pick(&MAX_CRASHES),
                max_drops: rng.pick(&MAX_DROPS),
                max_duplicates: rng.pick(&MAX_DUPLICATES),
                max_ballots: rng.pick(&MAX_BALLOTS),
                max_in_flight: defaults.max_in_flight,
                max_steps: defaults.max_steps,
                ..defaults
            },
        };
        self.apply(drawn)
    }

    /// `base` with the pinned fields of this spec put over it.
    pub fn apply(&self, base: Profile) -> Profile {
        let (r, l) = (base.rates, base.limits);
        Profile {
            rates: Rates {
                drop: self.drop_rate.unwrap_or(r.drop),
                duplicate: self.duplicate_rate.unwrap_or(r.duplicate),
                crash: self.crash_rate.unwrap_or(r.crash),
                restart: self.restart_rate.unwrap_or(r.restart),
                timeout: self.timeout_rate.unwrap_or(r.timeout),
            },
            limits: Limits {
                max_crashes: self.max_crashes.unwrap_or(l.max_crashes),
                max_drops: self.max_drops.unwrap_or(l.max_drops),
                max_duplicates: self.max_duplicates.unwrap_or(l.max_duplicates),
                max_ballots: self.max_ballots.unwrap_or(l.max_ballots),
                max_in_flight: self.max_in_flight.unwrap_or(l.max_in_flight),
                max_steps: self.max_steps.unwrap_or(l.max_steps),
                ..l
            },
        }
    }

    /// Checks the pinned fields against their allowed ranges.
    pub fn validate(&self) -> Result<(), String> {
        let rates = [
            ("drop-rate", self.drop_rate),
            ("duplicate-rate", self.duplicate_rate),
            ("crash-rate", self.crash_rate),
            ("restart-rate", self.restart_rate),
            ("timeout-rate", self.timeout_rate),
        ];
        for (name, rate) in rates {
            if let Some(r) = rate {
                if r > 1000 {
                    return Err(format!("--{name} is per mille: 0..=1000, got {r}"));
                }
            }
        }
        if self.max_ballots == Some(0) {
            return Err("--max-ballots must be at least 1".into());
        }
        if let Some(m) = self.max_in_flight {
            if !(16..=4096).contains(&m) {
                return Err(format!("--max-in-flight must be 16..=4096, got {m}"));
            }
        }
        if let Some(s) = self.max_steps {
            if !(1..=1_000_000).contains(&s) {
                return Err(format!("--max-steps must be 1..=1000000, got {s}"));
            }
        }
        Ok(())
    }
}

impl Profile {
    /// The flags that pin every field of this profile on the command line.
    pub fn args(&self) -> String {
        let (r, l) = (self.rates, self.limits);
        format!(
            "--drop-rate {} --duplicate-rate {} --crash-rate {} --restart-rate {} --timeout-rate {} \
             --max-crashes {} --max-drops {} --max-duplicates {} --max-ballots {} --max-in-flight {} --max-steps {}",
            r.drop, r.duplicate, r.crash, r.restart, r.timeout,
            l.max_crashes, l.max_drops, l.max_duplicates, l.max_ballots, l.max_in_flight, l.max_steps
        )
    }
}
