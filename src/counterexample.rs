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
//!
//! Optional fields say what the events ran against when it was not the built-in
//! protocol: `acceptor_cmd`, the command of the acceptor processes (`fuzz --acceptor-cmd`),
//! which `replay` starts again, with `acceptor_crash` (`pause` or `restart`) and
//! `reply_timeout_ms`, the harness settings it was found with (a finding of a restarted
//! process that lost its state does not replay under `pause`); and `implementation`, the
//! name of your own roles ([`Implementation::name`]), which `replay` refuses, since only
//! your code can replay them ([`Counterexample::replay_with`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checker::Invariant;
use crate::config::Config;
use crate::event::Event;
use crate::execution::{Outcome, Simulator};
use crate::process::CrashMode;
use crate::profile::{Profile, ProfileSpec};
use crate::render::explain_in_context;
use crate::roles::{AcceptorProcesses, Implementation};
use crate::shrink::Best;

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
    /// What a crash did to the acceptor processes (`fuzz --acceptor-crash`), recorded with
    /// `acceptor_cmd`: `replay` uses it unless told another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptor_crash: Option<CrashMode>,
    /// The reply timeout of the acceptor processes in milliseconds (`fuzz --reply-timeout`),
    /// recorded with `acceptor_cmd`, so that a finding of silence replays as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_timeout_ms: Option<u64>,
    /// The implementation the file was found with, when it is your own roles
    /// ([`Implementation::name`]): the command line cannot replay those, and says so
    /// instead of judging the schedule with the built-in roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
}

impl Counterexample {
    /// A counterexample for `config` run under `profile`, pinning every profile field so
    /// that nothing about it is left to a draw.
    /// For the built-in protocol; [`Counterexample::new_with`] for your own roles.
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
            acceptor_crash: None,
            reply_timeout_ms: None,
            implementation: None,
        }
    }

    /// [`Counterexample::new`] for the roles of `imp`, whose name the file records (for
    /// acceptor processes, their command, crash mode and reply timeout instead).
    pub fn new_with<I: Implementation>(
        imp: &I,
        config: &Config,
        profile: &Profile,
        events: &[Event],
    ) -> Counterexample {
        let mut cx = Counterexample {
            implementation: imp.name(),
            ..Counterexample::new(config, profile, events)
        };
        cx.name_processes(imp.acceptor_processes().as_ref());
        cx
    }

    /// Records the command, crash mode and reply timeout of acceptor processes, if they
    /// were: processes are named by what starts them, so that `replay FILE` reruns them.
    pub fn name_processes(&mut self, processes: Option<&AcceptorProcesses>) {
        if let Some(p) = processes {
            self.acceptor_cmd = Some(p.command.clone());
            self.acceptor_crash = Some(p.crash);
            self.reply_timeout_ms = Some(p.reply_timeout.as_millis() as u64);
        }
    }

    /// The whole file of an execution of `imp` that broke an invariant, as `fuzz` writes
    /// it: the configuration it ran (its drawn shape, and its stabilisation point pinned
    /// with every profile field), `events` (those the simulator took), the seed as a
    /// label, and the invariant, step and explanation of `outcome`'s violation.
    pub fn of_execution<I: Implementation>(
        imp: &I,
        config: &Config,
        seed: Option<u64>,
        outcome: &Outcome,
        events: &[Event],
    ) -> Counterexample {
        let pinned = config.at_stabilisation(outcome.stabilised_at);
        let mut cx = Counterexample::new_with(imp, &pinned, &outcome.profile, events);
        cx.seed = seed;
        if let Some((step, violation)) = outcome.violation {
            // Replayed once more, for what the wire says about the violation.
            let mut sim = Simulator::with(imp.clone(), pinned);
            sim.run_events(events, outcome.profile, true, None);
            cx.invariant = Some(violation.invariant);
            cx.step = Some(step);
            let detail = sim.detail();
            cx.explanation = Some(explain_in_context(
                imp, config, &violation, events, step, detail,
            ));
        }
        cx
    }

    /// The file of the shortest counterexample `imp` shrank to (see
    /// [`crate::shrink::shortest_counterexample_with`]): [`Counterexample::of_execution`]
    /// of the execution it names, which may have drawn another shape than the campaign's.
    pub fn of_shrunk<I: Implementation>(imp: &I, best: &Best) -> Counterexample {
        Counterexample::of_execution(
            imp,
            &best.config,
            Some(best.seed),
            &best.shrunk.outcome,
            &best.shrunk.events,
        )
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
        let mut taken = Vec::with_capacity(events.len());
        let outcome = Simulator::with(imp.clone(), self.config).run_events(
            &events,
            self.replay_profile(events.len()),
            true,
            Some(&mut taken),
        );
        Ok((outcome, taken))
    }

    /// The profile to replay the file's `events` (how many) under: [`Counterexample::profile`]
    /// with a step limit no lower than the events, which alone decide how far it goes.
    pub fn replay_profile(&self, events: usize) -> Profile {
        let mut profile = self.profile();
        profile.limits.max_steps = profile.limits.max_steps.max(events as u32);
        profile
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a counterexample serialises");
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Counterexample, String> {
        // The key's path in the error ("config.faults.max_crashes: invalid value ...").
        let cx: Counterexample = crate::config::from_json_naming_keys(text)
            .map_err(|e| format!("not a counterexample file: {e}"))?;
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

    /// Writes the file as `dir/STEM.json`, or, when a file of other content has that name
    /// (another acceptor command's finding with the same seed, in a grader's shared
    /// directory), as `dir/STEM-2.json`, `-3`, ...: a finding never overwrites another.
    /// The same content is the same file, so a rerun writes no copies. The name is taken
    /// with `create_new`, so two campaigns writing at once cannot take the same one.
    pub fn save_new(&self, dir: &Path, stem: &str) -> Result<PathBuf, String> {
        use std::io::Write;
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let text = self.to_json();
        for k in 1..=MAX_SAME_STEM {
            let name = match k {
                1 => format!("{stem}.json"),
                _ => format!("{stem}-{k}.json"),
            };
            let path = dir.join(name);
            let err = |e: std::io::Error| format!("{}: {e}", path.display());
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(text.as_bytes()).map_err(err)?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
                        return Ok(path);
                    }
                }
                Err(e) => return Err(err(e)),
            }
        }
        Err(format!(
            "{}: {MAX_SAME_STEM} other files are named {stem}[-N].json already",
            dir.display()
        ))
    }
}

/// Files of one name stem `save_new` tries before giving up.
const MAX_SAME_STEM: u32 = 1000;
