//! Counterexample files: a configuration, a fully pinned fault profile and the list of
//! events, as JSON with one event per string in the text form of [`crate::event`].
//!
//! A file replays by its events, not by its seed: the seed is kept only as a label, so a file
//! keeps reproducing its violation after the random scheduler changes. The format:
//!
//! ```json
//! {
//!   "format": "paxos-safety-counterexample/1",
//!   "config": {"acceptors": 3, "proposers": 2, "q1": null, "q2": null, "bug": "no-adopt",
//!              "faults": {"drop_rate": 0, "...": "every field pinned"}},
//!   "seed": 1234,
//!   "invariant": "immutability",
//!   "step": 9,
//!   "explanation": "immutability violated: ...",
//!   "events": ["timeout p1", "deliver p1->a1 prepare 1.1", "..."]
//! }
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::checker::Invariant;
use crate::config::Config;
use crate::event::Event;
use crate::execution::{Outcome, Simulator};
use crate::profile::{Profile, ProfileSpec};
use crate::roles::Implementation;

/// The `format` tag of files this version writes and reads.
pub const FORMAT: &str = "paxos-safety-counterexample/1";

/// Files larger than this are refused before parsing: a counterexample is a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A recorded execution that breaks (or, for golden files of the correct protocol, keeps)
/// an invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counterexample {
    pub format: String,
    pub config: Config,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub invariant: Option<Invariant>,
    #[serde(default)]
    pub step: Option<u32>,
    #[serde(default)]
    pub explanation: Option<String>,
    pub events: Vec<String>,
    /// The acceptor command the file was found with (`fuzz --acceptor-cmd`), if any:
    /// `replay` uses it unless told another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptor_cmd: Option<String>,
}

impl Counterexample {
    /// A counterexample for `config` run under `profile`, pinning every profile field so
    /// that nothing about it is left to a draw.
    pub fn new(config: &Config, profile: &Profile, events: &[Event]) -> Counterexample {
        let mut config = *config;
        config.faults = ProfileSpec::pinned(profile);
        Counterexample {
            format: FORMAT.to_string(),
            config,
            seed: None,
            invariant: None,
            step: None,
            explanation: None,
            events: events.iter().map(Event::to_string).collect(),
            acceptor_cmd: None,
        }
    }

    /// The profile the file pins (drawn fields would make a replay depend on the RNG, so
    /// a file with unpinned fields falls back to the defaults for them).
    pub fn profile(&self) -> Profile {
        let defaults = crate::world::Limits::default();
        let base = Profile {
            rates: crate::profile::Rates::NONE,
            limits: defaults,
        };
        self.config.faults.apply(base)
    }

    /// The events, parsed; the error names the event's index and what is wrong.
    pub fn parse_events(&self) -> Result<Vec<Event>, String> {
        self.events
            .iter()
            .enumerate()
            .map(|(i, e)| e.parse().map_err(|err| format!("event {}: {err}", i + 1)))
            .collect()
    }

    /// Replays the file's events strictly on fresh roles of `imp`: the verdict of your
    /// own implementation on the recorded schedule. Every event must be enabled when its
    /// turn comes (the outcome's ending says otherwise).
    pub fn replay_with<I: Implementation>(&self, imp: &I) -> Result<(Outcome, Vec<Event>), String> {
        let events = self.parse_events()?;
        let mut profile = self.profile();
        profile.limits.max_steps = profile.limits.max_steps.max(events.len() as u32);
        let mut taken = Vec::with_capacity(events.len());
        let outcome = Simulator::with(imp.clone(), self.config).run_events(
            &events,
            profile,
            true,
            Some(&mut taken),
        );
        Ok((outcome, taken))
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a counterexample serialises");
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Counterexample, String> {
        let cx: Counterexample =
            serde_json::from_str(text).map_err(|e| format!("not a counterexample file: {e}"))?;
        if cx.format != FORMAT {
            return Err(format!(
                "unknown format '{}' (this version reads '{FORMAT}')",
                cx.format
            ));
        }
        cx.config.validate()?;
        cx.parse_events()?;
        Ok(cx)
    }

    pub fn load(path: &Path) -> Result<Counterexample, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{}: {} bytes is over the {MAX_FILE_BYTES}-byte limit for counterexample files",
                path.display(),
                meta.len()
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Counterexample::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, self.to_json()).map_err(|e| format!("{}: {e}", path.display()))
    }
}
