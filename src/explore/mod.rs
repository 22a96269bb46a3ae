//! Exhaustive exploration: every interleaving of a small cluster, breadth-first.
//!
//! The random campaigns sample executions; this module enumerates them. Starting from the
//! initial state, it applies every event [`World::enabled`] offers through the one step
//! function [`World::apply`], feeds what each step did to the [`Checker`], and repeats
//! from every state not seen before, until no new state appears or an invariant breaks.
//! When the search completes without a violation, no execution within the bounds breaks any
//! invariant: a proof for that model, not a sample.
//!
//! **Specialised to the built-in protocol.** Campaigns, shrinking and replay drive any
//! [`crate::roles::Implementation`]; the explorer does not. It stores each state in a few
//! machine words (its codec), hashes it field by field and permutes acceptors for the
//! symmetry reduction, all of which needs the built-in roles' state
//! ([`crate::protocol::ProposerState`], [`crate::roles::AcceptorView`]), which a user's roles
//! or a process do not expose.
//!
//! **Breadth-first gives the shortest counterexample.** States are expanded level by level
//! (level `n` holds the states first reached after `n` events), so the first level at which
//! a step breaks an invariant is the length of the shortest violating execution. Each state
//! keeps its parent's index and the number of the event that led to it (six bytes), and the
//! path is rebuilt from those at the end.
//!
//! **The checker is part of the state.** The verdict of a later step depends on history the
//! world no longer shows: who voted for what at which ballot, what was proposed, how high
//! each acceptor promised. An acceptor with `Bug::Amnesia` forgets its vote, and one with
//! `Bug::NoPromiseOnAccept` overwrites it, yet that vote may have completed the quorum that
//! chose a value, and every later proposal must still carry that value. Two executions
//! that end in the same world with different histories are different states, so a state is
//! the pair (world, checker). Only what decides later verdicts is kept of the checker: the
//! `(ballot, value)` records with their voters and whether they were proposed, and each
//! acceptor's floor (see `codec`).
//!
//! **What is stored.** The visited set holds fingerprints of states, not states (see
//! `fingerprint` and `visited`): 8 bytes a state in a table between 47% and 70% full,
//! 76 bits of each 128-bit fingerprint told apart. Each state keeps its parent's number and its
//! event's (six bytes) for the path rebuild. The frontier, the states of the level being
//! expanded and of the next, in the compact encoding of `codec` (about 15 words a state
//! at three acceptors and two proposers, of which a state shares about ten with the one
//! written before it, so only the others are written), is on disk in a temporary file
//! that nothing names (see `spill`), read back and expanded in chunks of a 128th of the states
//! visited so far (2,048 to 65,536, see `chunk_states`). So memory holds about 17 to 23
//! bytes per visited state, whatever the levels' shape, plus two chunks and a chunk's
//! worth of successors (two on several threads, with each thread's set of the states it
//! met in the chunk), which the chunk's size keeps to a few bytes per visited state. A successor
//! is encoded only when its fingerprint is new: most transitions lead to states already
//! seen, and for those only the fingerprint is computed.
//!
//! **The reduction.** Three things cut the states explored, all sound for every invariant
//! the checker enforces (see `reduction` for the proofs, and for how they compose with
//! symmetry). Dead messages, ones whose delivery can never change a node or be observed (a
//! reply about a ballot its proposer left behind, a request its acceptor refuses for good
//! about such a ballot), are taken off the network after every step, so states that differ
//! only in them are one; that keeps the shortest counterexample. Faults that add nothing a
//! schedule cannot do are left out: drops (a message never delivered is as good),
//! acceptors' crashes (an acceptor's state is durable, so a crash only holds back the
//! messages to it; bug Amnesia aside) and proposers' crashes while they hold nothing
//! volatile (before a first ballot or between a restart and the next); that keeps the
//! shortest counterexample too. And each state expands only an ample subset of its events
//! where steps at different nodes commute (partial-order reduction), which keeps every
//! violation findable but not the shortest counterexample, so `--shortest` turns the ample
//! sets off and `--no-por` all three. State counts below are without any unless said.
//!
//! **Bounds define the model; limits cut the search.** `max_ballots`, `max_crashes`,
//! `max_duplicates` and `max_drops` make the state space finite: they say which executions
//! exist, and a search that covers all of them is complete. The depth bound, `max_states`,
//! `max_memory` and the in-flight message limit stop a search before it has seen every
//! state; hitting one is reported and makes the result incomplete. Drops are zero by
//! default because for safety a dropped message is the same as one that is never delivered:
//! removing the drop events from an execution leaves an execution with the same steps and
//! the same observations, with the message still in flight (as long as the in-flight limit
//! is not reached, and reaching it is reported). Drops only add states.
//!
//! **Symmetry.** Acceptors are interchangeable: nothing in the protocol or the checker
//! treats acceptor 1 differently from acceptor 2, so renaming acceptors maps executions to
//! executions and violations to violations, and a state needs exploring only once per
//! renaming. The fingerprint is a hash of the state's canonical form, the renaming that
//! sorts acceptors by everything the state says about each: acceptor states, down bits,
//! messages' endpoints, proposers' promise and vote sets, the checker's voters and floors,
//! all renamed together (see `fingerprint` for why this is exactly canonical and how it is
//! hashed without sorting). The state stored and expanded is the one actually reached, so
//! every stored path is a real execution. One place in the protocol compares acceptor
//! names: a proposer that gets two promises reporting the same highest ballot remembers
//! the lower-named reporter. Both reports then carry the same value (two values at one
//! ballot already broke ballot uniqueness, which ends the path), so the choice changes only
//! which name is remembered, never what the proposer sends: a renamed state behaves the
//! same, and merging it with the original is sound. Proposers are *not* interchangeable:
//! each wants its own value, and ballots of equal rounds are ordered by proposer number,
//! so swapping two proposers changes which ballot wins; they are left alone.
//!
//! **Parallel.** The search is level-synchronous, and chunk by chunk within a level (the
//! chunk size depends on the search alone, so the chunks do not depend on the number of
//! threads). Each thread takes the blocks of its own share of the chunk (a contiguous
//! sixteenth of the share each) and then helps with the others' from their back, so that a
//! thread slowed for a while is made up for by the others, and keeps, in order, the
//! successors that are neither in the visited set (only read while the chunk is expanded)
//! nor met earlier by the same thread in frontier order: the candidates. Its set of states
//! met is emptied when it goes back in the frontier, so what it leaves out is never a
//! state's first occurrence. Shares rather than blocks in turn keep neighbouring states,
//! which reach many of the same successors, on one thread: two threads met 31% more
//! candidates than new states on `bench --explorer`'s two-ballot sample with blocks in
//! turn, 10% with shares. Then every
//! thread inserts candidates at once, each those that fall in its own range of the visited
//! set's shards (by the top bits of the fingerprint), walking all blocks' candidates in
//! frontier order, so no two threads touch one shard and a state met several times in the
//! chunk is found new at its first occurrence, as on one thread. The new states are then
//! appended in that order. So the new level is the same sequence of states, with the same
//! parents, whatever the number of threads: state counts, verdict and the counterexample
//! itself do not depend on it. Appending a chunk's new states to the next level's file and
//! reading the next chunk from this level's are the work no thread shares; the calling
//! thread does both while the workers expand the following chunk. The threads are
//! started once for the whole search (see `crew`), not for each chunk.
//!
//! **Which bugs need what.** With three acceptors and two proposers, the smallest bounds
//! (ballots per proposer, crashes, duplicates; no drops) at which each bug of
//! [`crate::bug::Bug`] breaks an invariant, the length of the shortest violating execution
//! there, the invariant it breaks, and the states explored to find it (with symmetry,
//! without the reduction and with dead messages taken off, which finds the same shortest
//! execution).
//! `tests/suite/explore.rs` checks every row, and that one ballot, crash or duplicate less finds
//! nothing:
//!
//! | bug                    | ballots | crashes | dups | events | invariant          | states     | `--shortest` |
//! |------------------------|---------|---------|------|--------|--------------------|------------|--------------|
//! | `no-adopt`             | 1       | 0       | 0    | 12     | immutability       | 3,333      | 2,379        |
//! | `adopt-lowest`         | 2       | 0       | 0    | 18     | immutability       | 27,958,103 | 252,747      |
//! | `accept-below-promise` | 1       | 0       | 0    | 8      | vote-above-promise | 281        | 263          |
//! | `amnesia`              | 1       | 1       | 0    | 6      | promise-monotonic  | 332        | 301          |
//! | `small-quorum`         | 1       | 0       | 0    | 5      | learner-agreement  | 63         | 59           |
//! | `ballot-collision`     | 1       | 0       | 0    | 10     | ballot-uniqueness  | 683        | 557          |
//! | `no-promise-on-accept` | 1       | 0       | 0    | 8      | promise-monotonic  | 282        | 264          |
//! | `count-duplicates`     | 1       | 0       | 1    | 12     | immutability       | 33,888     | 21,824       |
//! | `stale-promise`        | 2       | 0       | 0    | 13     | immutability       | 651,671    | 190,725      |
//! | `learn-mixed-ballots`  | 2       | 0       | 0    | 14     | learner-agreement  | 935,393    | 46,016       |
//!
//! Amnesia needs a crash (an acceptor must restart to forget), count-duplicates a
//! duplicated promise, and three bugs a second ballot of one proposer: stale-promise and
//! learn-mixed-ballots mix up a proposer's own two ballots, and adopt-lowest needs votes
//! for two different values at two ballots before a third ballot adopts the older one.
//!
//! **How big the models are.** The correct protocol, three acceptors, two proposers, no
//! drops (states with symmetry / without / the ratio):
//!
//! | ballots | crashes | dups | states     | without symmetry | cut  | depth |
//! |---------|---------|------|------------|------------------|------|-------|
//! | 1       | 0       | 0    | 116,612    | 614,900          | 5.3x | 26    |
//! | 1       | 1       | 0    | 914,803    | 4,948,496        | 5.4x | 28    |
//! | 1       | 0       | 1    | 2,850,824  | 15,330,222       | 5.4x | 28    |
//! | 1       | 2       | 0    | 3,297,375  | 18,187,167       | 5.5x | 30    |
//! | 1       | 1       | 1    | 21,366,621 |                  |      | 30    |
//!
//! With dead messages and the faults that cannot matter taken out (`--shortest`), the first
//! three rows hold 28,683, 41,603 and 427,733 states; with the ample sets too (the
//! default), 26,171, 37,594 and 395,753 (in the second row 155,212 and 138,475 while every
//! crash was explored, until 2026-12-06, and 70,370 and 63,767 while proposers' idle
//! crashes were, until 2026-12-07: see `reduction`, "Faults that cannot matter"). Two
//! ballots each does not finish without the reduction (about 2.5 times more states at each
//! level past the tenth: 5.3 million within 16 events), and with it completes: 15,229,016
//! states to depth 43 without a crash, 34,099,846 to depth 43 with one (80,482,847 to depth
//! 45 with every crash, 36,446,779 to depth 44 with proposers' idle crashes;
//! `tests/suite/explore.rs` pins both in the heavy tier). The bounds of `explore`'s command line
//! default to one ballot, one crash and no duplicate (see `cli::explore`).
//!
//! **Where the time goes.** A state has five to six enabled events (four to five taken on
//! average with the reduction, which expands more of each state to visit fewer states), and
//! most successors were seen before, so most of the cost is per transition: copying the
//! parent world (three vectors) and applying the step, taking dead messages off, the
//! fingerprint (made incremental: only what the step changed is hashed again, and only the
//! messages and the node the step can have changed are compared with the parent's, see
//! `fingerprint::Change`), and one lookup in a visited set far larger than the cache
//! (prefetched as soon as the fingerprint is known, on huge pages). Per state come taking
//! the decoded state apart for the fingerprint, decoding and encoding, and writing and
//! reading the frontier. At the default bounds (measured while they held 138,475 states,
//! acceptors' crashes included) that is about 13,200 instructions a state under callgrind
//! (1,830 million in all; about 4,300 a state for decoding, taking apart, listing events,
//! encoding and the frontier's I/O, and 1,900 a transition, 4.69 transitions a state; the
//! fingerprint 12%, copying worlds and checkers 12%, taking dead messages off 8%, taking
//! the state apart for the fingerprint 7%, encoding 6%, decoding 6%; with the crashes that
//! cannot matter left out, 37,594 states, 545.5 million: 14,500 a state, 4.75 transitions a
//! state). In a release build on one core of the two-core virtual machine, that is about
//! 590,000 to 800,000 states per second at the default bounds and 430,000 to 630,000 at two
//! ballots, 15 million states, once the visited set outgrows the cache (the machine's speed
//! varies by a third from hour to hour, and by more than half between days).
//!
//! **What does not pay, measured** (callgrind at the default bounds, against 1,938.6
//! million instructions before a step's `Change` named its acceptor, 1,830.0 since).
//! Sleep sets on top of the ample sets, with the rule that keeps every state, parent and
//! verdict (a step sleeps in a new successor when a new sibling takes the swapped pair the
//! other way round): a prototype left out 6,769 of 649,045 transitions, 1%. New siblings
//! at different nodes make 150,837 pairs, but the ample set of one rarely holds the
//! other's event: the ample sets already closed those diamonds. Looking at fewer
//! messages after a step for dead ones (only those the changed node's new state can
//! kill, none when a delivery left its destination as it was, which 26% do) cost 2.1%
//! more instructions than the plain scan: a message costs the scan little, and comparing
//! the node before and after costs more than the tests it saves. Fat LTO instead of thin
//! saves 0.1%. Two threads execute 4.6% more instructions than one (2,027 million
//! against 1,938.6; 4.3% at two ballots to 20 events, 7,236 against 6,938 million), yet
//! fall short of two independent one-thread searches run at once by a tenth to a fifth
//! (`bench --explorer` measures both in one run: 1.49-1.74x against 1.82-2.14x on
//! 2026-12-06): the machine's two cores slow each other by about a tenth, and the rest is
//! not waiting (under `perf` both cores are busy 96% of the time, the pool's waiting under
//! 0.2% of the samples) but the same instructions running slower, where this virtual
//! machine's missing hardware counters do not tell. Three lines one core wrote at every
//! insert or merged state while the other read them at every step are gone (the shards'
//! counts, see `visited`; the table's and the chunk's addresses, see `Frontier`); the
//! ratio they bought is within the machine's noise. The narrower `Change` saves 5.6% at the
//! default bounds and 4.1% at two ballots (3,225.6 to 3,092.6 million to depth 18): the
//! fingerprint works out the own word of only the acceptor a step names (a floor moves
//! only when its acceptor promises or votes), and corrects a proposer's membership facts
//! only for the acceptors that joined or left its sets. A million states a second at the
//! default bounds needs about 11,000 instructions a state at the fastest hour measured
//! (802,610 states a second at 14,000) and 7,000 at a typical one: stepping on the packed
//! words (a step, its dead messages and its fingerprint's change worked out from the few
//! words it touches) rather than on a decoded world, not a tweak. That would also be a
//! second implementation of the protocol's step beside [`World::apply`], which the
//! simulator, the campaigns, replay and the grader node share and which this module uses
//! so that what it proves is what they run; a second one would need proving equal to the
//! first, and is not built.

mod codec;
mod crew;
mod enabled;
mod fingerprint;
pub mod lasso;
mod reduction;
mod spill;
mod visited;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::checker::{Checker, Invariant, Observation, Violation};
use crate::config::Config;
use crate::counterexample::Counterexample;
use crate::event::{Event, NodeId};
use crate::execution::{Ending, Recorder, Simulator, Step, Visitor};
use crate::profile::{Profile, Rates};
use crate::protocol::{Acceptor, Proposer, Protocol};
use crate::scheduler::{Next, Schedule};
use crate::world::{reset_checker, Limits, StepError, World};

use codec::Codec;
use crew::Crew;
use enabled::{enabled_events_by_words, NO_MESSAGE};
use fingerprint::{Change, Fingerprint, Fingerprinter};
use spill::{Spill, SpillReader};
use visited::{ChunkSet, FingerprintTable, Lookup};

/// The largest per-proposer ballot bound the state encoding holds (see `codec`).
pub const MAX_BALLOTS: u16 = 64;
/// The largest crash, drop and duplicate bounds the state encoding holds.
pub const MAX_FAULTS: u16 = 255;
/// Bits of each fingerprint the visited set tells apart (see `visited`).
pub const FINGERPRINT_BITS: u32 = visited::KEPT_BITS;
/// The most threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 64;

/// Below this many frontier states a level is expanded on one thread: handing the chunk
/// out and inserting its candidates in a second pass would cost more than it saves.
const PARALLEL_MIN: usize = 512;

/// What to explore and when to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The model's bounds: ballots per proposer, crashes, drops, duplicates, and the
    /// in-flight limit. `max_steps` is not used by the search; the counterexample file
    /// raises it to the path's length if needed.
    pub limits: Limits,
    /// Longest execution explored, in events; `None` for no bound.
    pub max_depth: Option<u32>,
    /// Unique states after which the search stops.
    pub max_states: Option<u64>,
    /// Estimated bytes of the explorer's own structures after which the search stops. The
    /// estimate counts what is written (the visited table whole, the frontiers and parent
    /// pointers by length); the process's resident size runs close to it.
    pub max_memory_bytes: Option<u64>,
    /// Threads.
    pub jobs: usize,
    /// Count states that differ only by acceptor names as one.
    pub symmetry: bool,
    /// Partial-order reduction (see `reduction`): fewer states, but a violation found may
    /// be longer than the shortest.
    pub por: bool,
    /// Take dead messages off the network after every step, and leave out the faults that
    /// cannot matter (see `reduction`): fewer states, and the shortest counterexample is
    /// kept.
    pub collect_dead: bool,
    /// Stop between two chunks once the search has run this long, and report what it did
    /// (as Ctrl-C does). The wall clock decides only where the search stops, never what a
    /// state holds.
    pub time_limit: Option<std::time::Duration>,
}

impl Options {
    /// Options for `limits` with no cuts, one thread and symmetry on.
    pub fn new(limits: Limits) -> Options {
        Options {
            limits,
            max_depth: None,
            max_states: None,
            max_memory_bytes: None,
            jobs: 1,
            symmetry: true,
            por: true,
            collect_dead: true,
            time_limit: None,
        }
    }

    /// Checks that the bounds fit the state encoding; the message names the flag.
    pub fn validate(&self) -> Result<(), String> {
        let l = &self.limits;
        if !(1..=MAX_BALLOTS).contains(&l.max_ballots) {
            return Err(format!(
                "--max-ballots must be 1..={MAX_BALLOTS} for explore, got {}",
                l.max_ballots
            ));
        }
        for (name, n) in [
            ("max-crashes", l.max_crashes),
            ("max-drops", l.max_drops),
            ("max-duplicates", l.max_duplicates),
        ] {
            if n > MAX_FAULTS {
                return Err(format!(
                    "--{name} must be 0..={MAX_FAULTS} for explore, got {n}"
                ));
            }
        }
        if !(16..=4096).contains(&l.max_in_flight) {
            return Err(format!(
                "--max-in-flight must be 16..=4096, got {}",
                l.max_in_flight
            ));
        }
        if !(1..=MAX_JOBS).contains(&self.jobs) {
            return Err(format!("--jobs must be 1..={MAX_JOBS}, got {}", self.jobs));
        }
        if let Some(n) = self.max_states {
            // States are numbered by u32 parent pointers; the root is number 0.
            if !(1..=u64::from(u32::MAX)).contains(&n) {
                return Err(format!("--max-states must be 1..={}, got {n}", u32::MAX));
            }
        }
        if self.max_memory_bytes == Some(0) {
            return Err("--max-memory must be at least 1 MiB".into());
        }
        Ok(())
    }
}

/// Which limits stopped the search before it saw every state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cuts {
    /// New states or a violation lie beyond the depth bound.
    pub depth: bool,
    /// `max_states` was reached with new states left.
    pub states: bool,
    /// `max_memory` was reached.
    pub memory: bool,
    /// A step would have put more messages in flight than the limit allows.
    pub in_flight: bool,
    /// Ctrl-C stopped the search (see `crate::interrupt`).
    pub interrupted: bool,
    /// `time_limit` stopped the search.
    pub time: bool,
}

impl Cuts {
    pub fn any(&self) -> bool {
        self.depth || self.states || self.memory || self.in_flight || self.interrupted || self.time
    }

    /// Ctrl-C or the time limit stopped the search between two chunks, part way through
    /// a level.
    pub fn stopped(&self) -> bool {
        self.interrupted || self.time
    }

    /// The names of the limits that were hit, as their flags say them.
    pub fn names(&self) -> Vec<&'static str> {
        [
            ("depth", self.depth),
            ("max-states", self.states),
            ("max-memory", self.memory),
            ("max-in-flight", self.in_flight),
            ("ctrl-c", self.interrupted),
            ("time-limit", self.time),
        ]
        .iter()
        .filter(|x| x.1)
        .map(|x| x.0)
        .collect()
    }
}

/// A violation and the shortest execution that reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The events from the initial state; the last one breaks the invariant.
    pub events: Vec<Event>,
    /// The violation, as the replay of `events` on a fresh simulator reports it.
    pub violation: Violation,
    /// The profile that replays it: the explored bounds, every field pinned.
    pub profile: Profile,
}

impl Found {
    pub fn invariant(&self) -> Invariant {
        self.violation.invariant
    }

    /// The violation in one sentence, with simulator ballot labels.
    pub fn explanation(&self) -> String {
        self.violation.explain(|b| b.sim_label(), |v| v.to_string())
    }

    /// The counterexample file for this violation.
    pub fn counterexample(&self, config: &Config) -> Counterexample {
        let mut cx = Counterexample::new(config, &self.profile, &self.events);
        cx.invariant = Some(self.violation.invariant);
        cx.step = Some(self.events.len() as u32);
        cx.explanation = Some(self.explanation());
        cx
    }
}

/// What a search did and found.
#[derive(Clone, Debug)]
pub struct Report {
    /// Distinct states reached (distinct up to acceptor names when symmetry is on), the
    /// initial one included; states in which an invariant broke are not counted.
    pub unique_states: u64,
    /// Steps applied: every enabled event of every expanded state.
    pub transitions: u64,
    /// The most events on the shortest path to any state reached (or to the violation).
    pub depth: u32,
    pub elapsed: Duration,
    pub cuts: Cuts,
    pub violation: Option<Found>,
    /// Some state reached (within the bounds, not beyond the depth bound) has a chosen
    /// value. A search that never gets there checked agreement on nothing: `explore`
    /// fails it as vacuous (exit status 3).
    pub chosen: bool,
    /// The largest size of the explorer's own structures (visited set, parent pointers,
    /// the chunk of the frontier being expanded, the next one read meanwhile, their
    /// successors, each thread's set of states met), in bytes, by their lengths. The
    /// frontier itself is on disk (see `spill`).
    pub peak_bytes: u64,
    /// The largest level written to disk, in bytes.
    pub peak_disk_bytes: u64,
    /// The partial-order reduction was used (asked for, and the bounds allow it, see
    /// `reduction::applies`): a violation found is a real execution but not necessarily
    /// the shortest.
    pub por: bool,
    /// Dead messages were taken off after every step, and the faults that cannot matter
    /// left out (asked for, and the bounds allow it).
    pub collect_dead: bool,
}

impl Report {
    /// No limit cut the search: every state within the model's bounds was seen, or a
    /// violation ended it at the shortest length.
    pub fn complete(&self) -> bool {
        !self.cuts.any()
    }

    /// The explorer's peak memory per state visited: the visited set, the parent links,
    /// the chunks being expanded and read and every thread's scratch, at their largest.
    pub fn bytes_per_state(&self) -> f64 {
        self.peak_bytes as f64 / self.unique_states.max(1) as f64
    }

    /// An upper bound on the probability that two distinct states were taken for one: the
    /// visited set tells fingerprints apart by `visited::KEPT_BITS` bits, so over `n` states
    /// about `n^2 / 2^(bits+1)`.
    pub fn collision_bound(&self) -> f64 {
        let n = self.unique_states as f64;
        n * n / 2f64.powi(visited::KEPT_BITS as i32 + 1)
    }

    pub fn states_per_second(&self) -> f64 {
        self.unique_states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A chunk being expanded, as the threads read it: the addresses and lengths of its
/// vectors, copied to each thread's stack with the rest of [`Shared`]. Read through the
/// [`Segment`] itself, they sat beside the calling thread's own locals, whose writes at
/// every state it merged took their cache line from the thread reading them at every
/// state it expanded.
#[derive(Clone, Copy)]
struct Frontier<'a> {
    words: &'a [u64],
    ends: &'a [u32],
}

impl<'a> Frontier<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &'a [u64] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.words[start..self.ends[i] as usize]
    }
}

/// Encoded states, back to back.
#[derive(Clone, Debug, Default)]
struct Segment {
    words: Vec<u64>,
    /// End of each state in `words`.
    ends: Vec<u32>,
}

impl Segment {
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Ends the state being written. Ends are 32 bits (a chunk and its successors are far
    /// fewer words), half of a `usize` a state in memory.
    fn push_end(&mut self) {
        let end = u32::try_from(self.words.len()).expect("a segment holds under 2^32 words");
        self.ends.push(end);
    }

    fn get(&self, i: usize) -> &[u64] {
        self.view().get(i)
    }

    fn view(&self) -> Frontier<'_> {
        Frontier {
            words: &self.words,
            ends: &self.ends,
        }
    }

    /// Bytes written. Capacity reserved ahead by doubling stays untouched, and untouched
    /// pages take no memory, so lengths estimate the real footprint far better.
    fn bytes(&self) -> u64 {
        (self.words.len() * 8 + self.ends.len() * std::mem::size_of::<u32>()) as u64
    }
}

/// What one thread found in its slice of a level.
#[derive(Debug, Default)]
struct Expansion {
    /// New states (not visited before the level, first occurrence in the slice), in order.
    states: Segment,
    fingerprints: Vec<Fingerprint>,
    parents: Vec<u32>,
    events: Vec<u16>,
    transitions: u64,
    /// The first violating step in the slice: parent state number and event number.
    violation: Option<(u32, u16)>,
    in_flight: bool,
    memory: bool,
    /// Some new state has a chosen value.
    chosen: bool,
    /// A successor the codec cannot hold (see `codec::representable`): the search stops.
    unrepresentable: Option<String>,
    /// The states are already in the visited set (see [`Visited::Insert`]).
    inserted: bool,
}

impl Expansion {
    fn bytes(&self) -> u64 {
        self.states.bytes() + self.fingerprints.len() as u64 * (16 + 4 + 2)
    }

    /// An empty expansion that keeps this one's buffers.
    fn emptied(self) -> Expansion {
        let Expansion {
            mut states,
            mut fingerprints,
            mut parents,
            mut events,
            ..
        } = self;
        states.words.clear();
        states.ends.clear();
        fingerprints.clear();
        parents.clear();
        events.clear();
        Expansion {
            states,
            fingerprints,
            parents,
            events,
            ..Expansion::default()
        }
    }
}

/// Expansions already merged, emptied, for the next blocks to fill. A chunk on two threads
/// is cut into some thirty blocks, each an expansion of four vectors grown by doubling;
/// allocating them afresh for every block, and freeing them on the merging thread, cost
/// two threads about a tenth of their time in the allocator and in page faults. Which
/// buffers a block gets changes nothing it holds.
#[derive(Default)]
struct Spares(Mutex<Vec<Expansion>>);

impl Spares {
    fn take(&self) -> Expansion {
        let spare = self.0.lock().ok().and_then(|mut s| s.pop());
        spare.unwrap_or_default()
    }

    fn give(&self, expansions: Vec<Expansion>) {
        if let Ok(mut s) = self.0.lock() {
            s.extend(expansions.into_iter().map(Expansion::emptied));
        }
    }
}

/// What every thread shares during a level: each thread works from its own copy, on its
/// own stack (see [`Frontier`]).
#[derive(Clone, Copy)]
struct Shared<'a> {
    proto: Protocol,
    limits: Limits,
    /// The chunk of the level being expanded.
    frontier: Frontier<'a>,
    /// State number of the frontier's first state.
    first_number: u64,
    /// Bytes one thread's expansion may take before it stops.
    byte_budget: u64,
    /// Stop at the first new state or violation (the probe beyond the depth bound).
    probe: bool,
    /// Expand only ample sets (see `reduction`).
    por: bool,
    /// Take dead messages off after every step (see `reduction`).
    collect: bool,
    spares: &'a Spares,
}

/// How a thread tells a new state from one seen before.
enum Visited<'a> {
    /// The only thread: it inserts into the visited set itself, one lookup a step.
    Insert(&'a mut FingerprintTable),
    /// One of several: the visited set as of the chunk's start is only read, and what is
    /// not in it and not met before in this thread's slice (the thread's own set, in the
    /// cache, spares encoding the many states a chunk reaches more than once) is a
    /// candidate; the threads then insert the candidates together, each into its own
    /// shards (see [`insert_candidates`]).
    Check(Lookup<'a>),
}

/// What became of one enabled event of the state being expanded.
#[derive(Clone, Copy, Debug)]
enum Successor {
    /// Not taken (the in-flight limit) or it broke an invariant.
    None,
    /// A state with this fingerprint; `own_checker`: the step was observed, so the
    /// successor's checker is its own copy, not the parent's.
    State(Fingerprint, bool),
}

/// One thread's scratch space, kept across levels so that it is allocated once. Aligned to
/// two cache lines, the lines its vectors' lengths are written on, step after step, are
/// never a neighbour's in `workers`: shared, they passed between the cores at every write.
#[repr(align(128))]
struct Worker {
    codec: Codec,
    printer: Fingerprinter,
    base: World,
    base_checker: Checker,
    /// The checker part (see `Codec::checker_part`) that `base_checker` was rebuilt from.
    base_checker_part: Vec<u64>,
    /// Checkers rebuilt recently, with the checker parts they were rebuilt from, replaced
    /// round robin from `next_cached`. Rebuilding replays every record through
    /// `Checker::observe`; a few histories recur among nearby states, and copying one is
    /// several times cheaper.
    cached_checkers: Vec<(Vec<u64>, Checker)>,
    next_cached: usize,
    /// Successors of the state being expanded, one per enabled event.
    worlds: Vec<World>,
    checkers: Vec<Checker>,
    successors: Vec<Successor>,
    /// The enabled events of the state being expanded, each with its message's index.
    enabled: Vec<(Event, u32)>,
    /// Scratch for `enabled_events_by_words`.
    firsts: Vec<u32>,
    observed: Vec<Observation>,
    /// The states met in this thread's slice of a chunk (see [`Visited::Check`]); empty,
    /// and unallocated, until the thread first shares a chunk.
    seen: ChunkSet,
    /// Per enabled event: in the ample set (see `reduction`).
    ample: Vec<bool>,
}

/// The initial state: the simulator's, with every proposer's input registered.
fn initial(proto: &Protocol, proposers: u8) -> (World, Checker) {
    let mut checker = Checker::default();
    reset_checker(&mut checker, proto, proposers);
    (World::new(proto, proposers), checker)
}

impl Worker {
    fn new(proto: Protocol, proposers: u8, symmetry: bool) -> Worker {
        let (world, checker) = initial(&proto, proposers);
        Worker {
            codec: Codec::new(proto, proposers),
            printer: Fingerprinter::new(symmetry),
            base: world,
            base_checker: checker,
            base_checker_part: Vec::new(),
            cached_checkers: Vec::new(),
            next_cached: 0,
            worlds: Vec::new(),
            checkers: Vec::new(),
            successors: Vec::new(),
            enabled: Vec::new(),
            firsts: Vec::new(),
            observed: Vec::new(),
            seen: ChunkSet::default(),
            ample: Vec::new(),
        }
    }

    fn bytes(&self) -> u64 {
        self.seen.bytes()
    }

    /// Expands the frontier states in `range`, inserting their successors into the
    /// visited set itself: the one thread.
    fn expand(
        &mut self,
        shared: &Shared,
        range: Range<usize>,
        visited: &mut FingerprintTable,
    ) -> Expansion {
        self.base_checker_part.clear();
        let budget = shared.byte_budget;
        self.expand_with(shared, range, Visited::Insert(visited), None, budget)
    }

    /// Takes blocks of the chunk from `blocks` as thread number `thread` until none is
    /// left, expanding each against the visited set as of the chunk's start; returns each
    /// block's first state and expansion. Its own set of states met (see
    /// [`Visited::Check`]) must only ever leave out a later occurrence of a state, so it is
    /// emptied whenever a block comes before the last one in the frontier (when the thread
    /// takes another's blocks, from the back).
    fn expand_blocks(
        &mut self,
        shared: &Shared,
        blocks: &Blocks,
        thread: usize,
        visited: &FingerprintTable,
    ) -> Vec<(usize, Expansion)> {
        // Read at every state and every step: from this thread's stack, not from the
        // calling thread's, whose neighbouring locals it writes meanwhile (see `Frontier`).
        let own = *shared;
        let shared = &own;
        let lookup = visited.lookup();
        self.base_checker_part.clear();
        // Taken out for the loop, which borrows the rest of `self`.
        let mut seen = std::mem::take(&mut self.seen);
        seen.clear();
        let mut out = Vec::new();
        let mut used = 0;
        let mut last_end = 0;
        while let Some(range) = blocks.take(thread) {
            if range.start < last_end {
                seen.clear();
            }
            last_end = range.end;
            let budget = shared.byte_budget.saturating_sub(used);
            let exp = self.expand_with(
                shared,
                range.clone(),
                Visited::Check(lookup),
                Some(&mut seen),
                budget,
            );
            used += exp.bytes();
            let found = exp.violation.is_some() || !exp.fingerprints.is_empty();
            if exp.memory || (shared.probe && found) {
                // Memory is spent, or the probe found what it looked for: no thread
                // starts another block.
                blocks.stop();
            }
            out.push((range.start, exp));
        }
        self.seen = seen;
        out
    }

    fn expand_with(
        &mut self,
        shared: &Shared,
        range: Range<usize>,
        mut visited: Visited,
        mut seen: Option<&mut ChunkSet>,
        byte_budget: u64,
    ) -> Expansion {
        let mut out = shared.spares.take();
        out.inserted = matches!(visited, Visited::Insert(_));
        for i in range {
            let number = (shared.first_number + i as u64) as u32;
            self.successors_of(shared, shared.frontier.get(i), number, &visited, &mut out);
            if shared.probe && out.violation.is_some() {
                return out;
            }
            for (k, s) in self.successors.iter().enumerate() {
                let Successor::State(fp, own_checker) = *s else {
                    continue;
                };
                let new = match &mut visited {
                    Visited::Insert(set) => set.insert(fp),
                    Visited::Check(set) => {
                        !set.contains(fp) && seen.as_mut().is_none_or(|s| s.insert(fp))
                    }
                };
                if !new {
                    continue;
                }
                let checker = if own_checker {
                    &self.checkers[k]
                } else {
                    &self.base_checker
                };
                self.codec
                    .encode(&self.worlds[k], checker, &mut out.states.words);
                out.states.push_end();
                out.fingerprints.push(fp);
                out.parents.push(number);
                out.events.push(k as u16);
                if shared.probe {
                    return out;
                }
            }
            if out.bytes() + seen.as_ref().map_or(0, |s| s.bytes()) > byte_budget {
                out.memory = true;
                return out;
            }
        }
        out
    }

    /// Applies every enabled event of `state` (numbered `number`), filling
    /// `self.successors` with the fingerprint of each resulting state, and asks for the
    /// visited-set slot of each at once: the cache misses then overlap with the work on
    /// the next successors instead of stalling the lookups that follow.
    fn successors_of(
        &mut self,
        shared: &Shared,
        state: &[u64],
        number: u32,
        visited: &Visited,
        out: &mut Expansion,
    ) {
        let Worker {
            codec,
            printer,
            base,
            base_checker,
            base_checker_part,
            cached_checkers,
            next_cached,
            worlds,
            checkers,
            successors,
            enabled,
            firsts,
            observed,
            seen: _,
            ample,
        } = self;
        codec.decode_world(state, base);
        // Siblings mostly share their checker history; rebuild it only when it differs.
        let part = codec.checker_part(state);
        if part != base_checker_part.as_slice() {
            if let Some((_, c)) = cached_checkers.iter().find(|(p, _)| p == part) {
                base_checker.clone_from(c);
            } else {
                codec.decode_checker(state, base_checker);
                if cached_checkers.len() < CACHED_CHECKERS {
                    cached_checkers.push((part.to_vec(), base_checker.clone()));
                } else {
                    let (p, c) = &mut cached_checkers[*next_cached];
                    p.clear();
                    p.extend_from_slice(part);
                    c.clone_from(base_checker);
                    *next_cached = (*next_cached + 1) % CACHED_CHECKERS;
                }
            }
            base_checker_part.clear();
            base_checker_part.extend_from_slice(part);
        }
        let messages = codec.message_words(state);
        enabled_events_by_words(base, &shared.limits, messages, firsts, enabled);
        #[cfg(debug_assertions)]
        {
            let mut listed = Vec::new();
            base.enabled(&shared.limits, &mut listed);
            debug_assert!(listed.iter().eq(enabled.iter().map(|e| &e.0)));
        }
        let reduced =
            shared.por && reduction::ample(&shared.proto, base, &shared.limits, enabled, ample);
        printer.load_base_with(base, base_checker, Some(messages));
        while worlds.len() < enabled.len() {
            worlds.push(base.clone());
            checkers.push(base_checker.clone());
        }
        successors.clear();
        for (k, (event, index)) in enabled.iter().enumerate() {
            if (reduced && !ample[k])
                || (shared.collect
                    && reduction::cannot_matter(&shared.proto, &shared.limits, base, event))
            {
                // Another node's events go first and this one waits, or it is a fault
                // that cannot matter (see `reduction`).
                successors.push(Successor::None);
                continue;
            }
            let next = &mut worlds[k];
            next.clone_from(base);
            observed.clear();
            let mut sink = |o| observed.push(o);
            let step = if *index == NO_MESSAGE {
                next.apply(&shared.proto, &shared.limits, event, &mut sink)
            } else {
                // What `apply` would do after finding the message (see `enabled`).
                next.apply_at(
                    &shared.proto,
                    &shared.limits,
                    event,
                    *index as usize,
                    &mut sink,
                )
            };
            let mut change = step_change(event, *index, base.network.len());
            match step {
                Ok(()) => {
                    if shared.collect {
                        // States that differ only in dead messages are one (see `reduction`).
                        let lowest =
                            reduction::collect_dead(&shared.proto, &shared.limits, next, event);
                        change.tail = change.tail.min(lowest);
                    }
                    if let Err(e) = codec::representable_after(next, &change) {
                        out.unrepresentable.get_or_insert(e);
                        successors.push(Successor::None);
                        continue;
                    }
                }
                Err(StepError::MessageLimit) => {
                    out.in_flight = true;
                    successors.push(Successor::None);
                    continue;
                }
                // The built-in roles always answer: a fault is impossible here.
                Err(StepError::NotEnabled | StepError::Fault { .. }) => {
                    debug_assert!(false, "enabled event {event} was refused");
                    successors.push(Successor::None);
                    continue;
                }
            }
            out.transitions += 1;
            // Most steps observe nothing (timeouts, faults, deliveries that change no vote
            // or promise): those share the parent's checker instead of copying it.
            let own_checker = !observed.is_empty();
            let checker = if own_checker {
                let c = &mut checkers[k];
                c.clone_from(base_checker);
                let mut broke = false;
                for &o in observed.iter() {
                    broke |= c.observe(o).is_some();
                }
                if broke {
                    out.violation.get_or_insert((number, k as u16));
                    successors.push(Successor::None);
                    continue;
                }
                // Only an observed step can choose a value.
                out.chosen |= c.chosen().is_some();
                &*c
            } else {
                &*base_checker
            };
            let fp = printer.fingerprint(base, next, checker, !own_checker, &change);
            match visited {
                Visited::Insert(set) => set.prefetch(fp),
                Visited::Check(set) => set.prefetch(fp),
            }
            successors.push(Successor::State(fp, own_checker));
        }
    }
}

/// Where a step may change a world whose network held `len` messages (see
/// [`Change`]): a delivery or drop moves the last message into the place of the one at
/// `index`, and every step appends what it sends; only a delivery to a node, its timeout,
/// crash or restart changes a node, and then only that one.
pub(in crate::explore) fn step_change(event: &Event, index: u32, len: usize) -> Change {
    let (message, tail) = match event {
        Event::Deliver(_) | Event::Drop(_) => (Some(index as usize), len.saturating_sub(1)),
        _ => (None, len),
    };
    // The node the step changes: a delivery's destination, or who times out, crashes or
    // restarts. Drops and duplicates change none.
    let node = match *event {
        Event::Deliver(env) => Some(env.dst),
        Event::Timeout(p) => Some(NodeId::Proposer(p)),
        Event::Crash(node) | Event::Restart(node) => Some(node),
        Event::Drop(_) | Event::Duplicate(_) => None,
    };
    let (proposer, acceptor) = match node {
        Some(NodeId::Proposer(p)) => (Some(p as usize), None),
        Some(NodeId::Acceptor(a)) => (None, Some(a as usize)),
        None => (None, None),
    };
    Change {
        message,
        tail,
        proposer,
        every_proposer: false,
        acceptor,
        every_acceptor: false,
    }
}

/// A chunk cut into blocks that threads take. Taking blocks rather than one fixed
/// slice each keeps the threads busy to the end of the chunk when one of them is slowed,
/// by the calling thread's merge (see [`expand_parallel`]) or by the machine.
///
/// Each thread has a share, a contiguous run of blocks, which it takes from the front;
/// a thread whose share is done takes the last block of the largest share left. States
/// near each other in the frontier reach many of the same successors (a level is written
/// parent by parent), and a state met by two threads is encoded by both and sorted out by
/// the insertion after the chunk; with blocks handed out in turn, every neighbouring pair
/// of blocks was split between the threads, and two threads met 31% more candidates than
/// new states on `bench --explorer`'s two-ballot sample.
struct Blocks {
    len: usize,
    size: usize,
    /// Per thread, the numbers of its share's blocks not yet taken.
    shares: Mutex<Vec<Range<usize>>>,
    stop: AtomicBool,
}

impl Blocks {
    fn new(len: usize, threads: usize) -> Blocks {
        let size = (len / (threads * BLOCKS_PER_THREAD)).max(MIN_BLOCK);
        let count = len.div_ceil(size);
        Blocks {
            len,
            size,
            shares: Mutex::new(
                (0..threads)
                    .map(|t| t * count / threads..(t + 1) * count / threads)
                    .collect(),
            ),
            stop: AtomicBool::new(false),
        }
    }

    /// The next block of `thread`'s share, or once that is done the last block of the
    /// largest share left, unless every block is taken or a thread stopped them. A thread's
    /// blocks come in frontier order until it takes another's.
    fn take(&self, thread: usize) -> Option<Range<usize>> {
        if self.stopped() {
            return None;
        }
        // A panic while the lock was held leaves the shares as they were: still right.
        let mut shares = self.shares.lock().unwrap_or_else(|e| e.into_inner());
        let block = match shares[thread].next() {
            Some(b) => b,
            None => shares.iter_mut().max_by_key(|r| r.len())?.next_back()?,
        };
        Some(block * self.size..((block + 1) * self.size).min(self.len))
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Blocks a chunk is cut into per thread: enough that a thread slowed for a while is made
/// up for by the others, few enough that each block's expansion is a small cost.
const BLOCKS_PER_THREAD: usize = 16;
/// The fewest states a block holds.
const MIN_BLOCK: usize = 64;

/// Expands the chunk on every worker, taking blocks (see [`Blocks`]): the first worker on
/// the calling thread once it has run `beside`, the others on the crew's threads; the
/// expansions come back in frontier order. Running `beside` on a thread of its own beside
/// every worker asked the two cores for three threads.
fn expand_parallel<R>(
    crew: &Crew,
    workers: &mut [Worker],
    shared: &Shared,
    visited: &FingerprintTable,
    beside: impl FnOnce() -> R,
) -> (Vec<Expansion>, R) {
    let blocks = Blocks::new(shared.frontier.len(), workers.len());
    let blocks = &blocks;
    let (first, others) = workers
        .split_first_mut()
        .expect("a parallel expansion has a worker");
    let theirs: Vec<_> = others
        .iter_mut()
        .enumerate()
        .map(|(i, worker)| move || worker.expand_blocks(shared, blocks, i + 1, visited))
        .collect();
    let ((beside, mut expansions), theirs) = crew.run(theirs, || {
        let beside = beside();
        (beside, first.expand_blocks(shared, blocks, 0, visited))
    });
    expansions.extend(theirs.into_iter().flatten());
    expansions.sort_unstable_by_key(|(start, _)| *start);
    (expansions.into_iter().map(|(_, e)| e).collect(), beside)
}

/// How many rebuilt checkers a worker keeps (see `Worker::cached_checkers`).
const CACHED_CHECKERS: usize = 8;

/// How far ahead of its lookups [`insert_candidates`] prefetches visited-set slots.
const MERGE_PREFETCH: usize = 16;

/// Which candidates of the threads' expansions (in frontier order) are new. The threads
/// insert at once, each the candidates in its own shards of the visited set (see
/// `FingerprintTable::in_parts`), in frontier order: the first occurrence of a state in
/// the chunk is the one found new, as on one thread, so the new level is the same sequence
/// of states with the same parents whatever the number of threads.
fn insert_candidates(
    visited: &mut FingerprintTable,
    expansions: &[Expansion],
    crew: &Crew,
) -> Vec<Vec<bool>> {
    let found = visited.in_parts(crew, |part| {
        let mut new = Vec::new();
        for (e, exp) in expansions.iter().enumerate() {
            let fps = &exp.fingerprints;
            for (j, &fp) in fps.iter().enumerate() {
                if let Some(&ahead) = fps.get(j + MERGE_PREFETCH) {
                    if part.owns(ahead) {
                        part.prefetch(ahead);
                    }
                }
                if part.owns(fp) && part.insert(fp) {
                    new.push((e as u32, j as u32));
                }
            }
        }
        new
    });
    let mut keep: Vec<Vec<bool>> = expansions
        .iter()
        .map(|e| vec![false; e.fingerprints.len()])
        .collect();
    for (e, j) in found.into_iter().flatten() {
        keep[e as usize][j as usize] = true;
    }
    keep
}

/// The search's growing record: visited fingerprints and parent pointers.
struct Graph {
    visited: FingerprintTable,
    links: Links,
}

impl Graph {
    fn bytes(&self) -> u64 {
        self.visited.bytes() + self.links.parents.len() as u64 * (4 + 2)
    }
}

/// Per state number: the parent's number and the event number that led here. Apart from
/// the visited set, so that a chunk's states can be merged into them while the next
/// chunk's workers read the visited set.
struct Links {
    parents: Vec<u32>,
    events: Vec<u16>,
}

impl Links {
    /// Event numbers from the initial state to the state numbered `state`.
    fn path_to(&self, mut state: u32) -> Vec<u16> {
        let mut path = Vec::new();
        while state != 0 {
            path.push(self.events[state as usize]);
            state = self.parents[state as usize];
        }
        path.reverse();
        path
    }
}

/// A chunk's expansions, with which of their candidates are new (see
/// [`insert_candidates`]; `None` when their thread inserted them itself).
struct Pending {
    expansions: Vec<Expansion>,
    keep: Option<Vec<Vec<bool>>>,
}

impl Pending {
    fn bytes(&self) -> u64 {
        let marks = self
            .keep
            .as_ref()
            .map_or(0, |k| k.iter().map(Vec::len).sum::<usize>());
        self.expansions.iter().map(Expansion::bytes).sum::<u64>() + marks as u64
    }
}

/// Adds the chunk's new states in `last`, if any, in frontier order, to `links` and to
/// the next level's file `next`, and what its threads saw to the report and to the level's
/// first `violation`.
fn merge(
    last: Option<Pending>,
    links: &mut Links,
    max_states: u64,
    report: &mut Report,
    violation: &mut Option<(u32, u16)>,
    next: &mut Spill,
    spares: &Spares,
) -> Result<(), String> {
    let Some(pending) = last else {
        return Ok(());
    };
    for (e, exp) in pending.expansions.iter().enumerate() {
        report.transitions += exp.transitions;
        report.cuts.in_flight |= exp.in_flight;
        report.cuts.memory |= exp.memory;
        *violation = violation.or(exp.violation);
        report.chosen |= exp.chosen;
        let keep = pending.keep.as_ref().map(|k| k[e].as_slice());
        for j in 0..exp.fingerprints.len() {
            if keep.is_some_and(|k| !k[j]) {
                continue;
            }
            if links.parents.len() as u64 >= max_states {
                // The limit cuts the search only if a new state is left out.
                report.cuts.states = true;
                break;
            }
            links.parents.push(exp.parents[j]);
            links.events.push(exp.events[j]);
            next.push(exp.states.get(j))?;
        }
    }
    spares.give(pending.expansions);
    Ok(())
}

/// Explores every execution of `config` within `options`' bounds.
pub fn explore(config: &Config, options: &Options) -> Result<Report, String> {
    explore_watched(config, options, &mut |_| {})
}

/// Where a search is: what [`explore_watched`] tells its watcher before each chunk of a
/// level is expanded, which is as often as the search can be stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// The level being expanded: its states are this many steps from the start.
    pub level: u32,
    /// States of that level expanded so far, of `level_states`.
    pub level_done: u64,
    pub level_states: u64,
    /// Unique states found so far, every level included.
    pub states: u64,
    pub transitions: u64,
    /// The most the explorer's structures held so far, in memory and on disk.
    pub peak_bytes: u64,
    pub peak_disk_bytes: u64,
}

/// [`explore`], telling `watch` where the search is before each chunk (a progress line's
/// figures). The watcher sees the search; it cannot change it.
pub fn explore_watched(
    config: &Config,
    options: &Options,
    watch: &mut dyn FnMut(&Status),
) -> Result<Report, String> {
    search(config, options, watch).map(|(report, _)| report)
}

/// [`explore_watched`], with the graph it built.
fn search(
    config: &Config,
    options: &Options,
    watch: &mut dyn FnMut(&Status),
) -> Result<(Report, Graph), String> {
    config.validate()?;
    options.validate()?;
    // Only for the states-per-second figure the report prints; it shapes nothing.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let proto = config.protocol();
    let applies = reduction::applies(&options.limits, proto.acceptors, config.proposers);
    let por = options.por && applies;
    let collect = options.collect_dead && applies;
    let max_states = options.max_states.unwrap_or(u64::from(u32::MAX));
    let max_bytes = options.max_memory_bytes.unwrap_or(u64::MAX);
    let mut workers: Vec<Worker> = (0..options.jobs)
        .map(|_| Worker::new(proto, config.proposers, options.symmetry))
        .collect();
    let crew = Crew::new(options.jobs)?;

    let (world, checker) = initial(&proto, config.proposers);
    let mut root_words = Vec::new();
    workers[0].codec.encode(&world, &checker, &mut root_words);
    let mut graph = Graph {
        visited: FingerprintTable::default(),
        links: Links {
            parents: vec![u32::MAX],
            events: vec![0],
        },
    };
    graph
        .visited
        .insert(workers[0].printer.set_base(&world, &checker));
    let mut level_file = Spill::new()?;
    level_file.push(&root_words)?;

    let mut report = Report {
        unique_states: 1,
        transitions: 0,
        depth: 0,
        elapsed: Duration::ZERO,
        cuts: Cuts::default(),
        violation: None,
        chosen: false,
        peak_bytes: 0,
        peak_disk_bytes: 0,
        por,
        collect_dead: collect,
    };
    let codec = Codec::new(proto, config.proposers);
    let mut chunk = Segment::default();
    // The chunk read while `chunk` is expanded (on several threads, beside them: see
    // `expand_parallel`).
    let mut ahead = Segment::default();
    let spares = Spares::default();
    let mut level = 0u32;
    // The file of the level before the last, written over by the next level (see `spill`).
    let mut spare_file = None;
    'levels: while level_file.states > 0 {
        let level_states = level_file.states;
        let level_first = graph.links.parents.len() as u64 - level_states;
        report.peak_disk_bytes = report.peak_disk_bytes.max(level_file.bytes);
        let mut reader = level_file.into_reader()?;
        level_file = Spill::reusing(spare_file.take())?;
        let probe = options.max_depth == Some(level);
        let mut violation = None;
        let mut offset = 0u64;
        let size = chunk_states(graph.links.parents.len() as u64);
        read_chunk(&mut reader, &codec, &mut chunk, size)?;
        // The last chunk's expansions, merged while the next chunk is expanded.
        let mut pending: Option<Pending> = None;
        while chunk.len() > 0 {
            // Ctrl-C: checked between chunks, so that a deep level of millions of states
            // stops within a chunk's time (a fraction of a second) rather than the level's;
            // the report covers every chunk expanded, and says the search is incomplete.
            if crate::interrupt::requested() {
                report.cuts.interrupted = true;
                break;
            }
            if options.time_limit.is_some_and(|t| start.elapsed() >= t) {
                report.cuts.time = true;
                break;
            }
            watch(&Status {
                level,
                level_done: offset,
                level_states,
                states: graph.links.parents.len() as u64,
                transitions: report.transitions,
                peak_bytes: report.peak_bytes,
                peak_disk_bytes: report.peak_disk_bytes,
            });
            let parallel = workers.len() > 1 && chunk.len() >= PARALLEL_MIN;
            // Expanding on several threads holds the last chunk's expansions too, for as
            // long as this chunk takes (they are merged beside it); on one they are merged
            // first.
            let merged_beside = if parallel {
                pending.as_ref().map_or(0, Pending::bytes)
            } else {
                0
            };
            let worker_bytes = workers.iter().map(Worker::bytes).sum::<u64>();
            // Held now: both chunk buffers as they are (the one read ahead last time, the
            // other keeping what it held until the next read refills it).
            let held = graph.bytes() + chunk.bytes() + ahead.bytes() + worker_bytes;
            report.peak_bytes = report.peak_bytes.max(held + merged_beside);
            // What expanding this chunk will hold beside its expansions, with the chunk
            // read meanwhile guessed to be as large as this one: the limit is checked
            // before the memory is taken.
            let fixed = graph.bytes() + 2 * chunk.bytes() + merged_beside + worker_bytes;
            if fixed > max_bytes {
                report.cuts.memory = true;
                break;
            }
            let shared = Shared {
                proto,
                limits: options.limits,
                frontier: chunk.view(),
                first_number: level_first + offset,
                byte_budget: (max_bytes - fixed) / options.jobs as u64,
                probe,
                por,
                collect,
                spares: &spares,
            };
            offset += chunk.len() as u64;
            let expansions = if parallel {
                // The calling thread merges the last chunk and reads the next one while the
                // workers expand this one: the merge and the read are the part of a chunk
                // no thread shares, and left in series they cost two threads a tenth of
                // their gain.
                let (expansions, beside) = expand_parallel(
                    &crew,
                    &mut workers,
                    &shared,
                    &graph.visited,
                    || -> Result<(), String> {
                        merge(
                            pending.take(),
                            &mut graph.links,
                            max_states,
                            &mut report,
                            &mut violation,
                            &mut level_file,
                            &spares,
                        )?;
                        read_chunk(&mut reader, &codec, &mut ahead, size)
                    },
                );
                beside?;
                expansions
            } else {
                merge(
                    pending.take(),
                    &mut graph.links,
                    max_states,
                    &mut report,
                    &mut violation,
                    &mut level_file,
                    &spares,
                )?;
                let expansions =
                    vec![workers[0].expand(&shared, 0..chunk.len(), &mut graph.visited)];
                read_chunk(&mut reader, &codec, &mut ahead, size)?;
                expansions
            };
            std::mem::swap(&mut chunk, &mut ahead);
            if let Some(e) = expansions.iter().find_map(|e| e.unrepresentable.clone()) {
                return Err(format!("cannot explore: {e}"));
            }
            if probe {
                // Beyond the bound: anything new or broken there means the bound cut the
                // search.
                report.cuts.depth |= expansions
                    .iter()
                    .any(|e| e.violation.is_some() || !e.fingerprints.is_empty());
                report.cuts.in_flight |= expansions.iter().any(|e| e.in_flight);
                if report.cuts.depth {
                    break 'levels;
                }
                continue;
            }
            if report.cuts.states {
                // The last chunk's merge reached `max_states`: this chunk is left out, as
                // it would be had it never been expanded.
                break;
            }
            let level_bytes: u64 = expansions.iter().map(Expansion::bytes).sum();
            let keep = if expansions.iter().all(|e| e.inserted) {
                None
            } else {
                Some(insert_candidates(&mut graph.visited, &expansions, &crew))
            };
            // At the chunk's end, as measured rather than guessed: the visited set as the
            // chunk left it, both chunk buffers (the one just read, and the one expanded),
            // the threads' scratch, the expansions and, on several threads, the last
            // chunk's expansions merged meanwhile, the marks of which candidates are new (a
            // byte a candidate) and the threads' lists of them (8).
            let marks = if keep.is_some() {
                9 * expansions
                    .iter()
                    .map(|e| e.fingerprints.len() as u64)
                    .sum::<u64>()
            } else {
                0
            };
            let worker_bytes = workers.iter().map(Worker::bytes).sum::<u64>();
            report.peak_bytes = report.peak_bytes.max(
                graph.bytes()
                    + chunk.bytes()
                    + ahead.bytes()
                    + worker_bytes
                    + merged_beside
                    + level_bytes
                    + marks,
            );
            let out_of_memory = expansions.iter().any(|e| e.memory);
            pending = Some(Pending { expansions, keep });
            if out_of_memory {
                break;
            }
        }
        merge(
            pending.take(),
            &mut graph.links,
            max_states,
            &mut report,
            &mut violation,
            &mut level_file,
            &spares,
        )?;
        if probe {
            break;
        }
        // An interrupted level is not a whole level; a violation found in it is kept.
        if level_file.states > 0 && !report.cuts.stopped() {
            report.depth = level + 1;
        }
        if let Some((parent, event)) = violation {
            report.depth = level + 1;
            let mut path = graph.links.path_to(parent);
            path.push(event);
            report.violation = Some(rebuild(config, options, collect, &root_words, &path)?);
            break;
        }
        if report.cuts.states || report.cuts.memory || report.cuts.stopped() {
            break;
        }
        spare_file = reader.into_file();
        level += 1;
    }
    report.unique_states = graph.links.parents.len() as u64;
    report.elapsed = start.elapsed();
    Ok((report, graph))
}

/// Frontier states expanded at a time, at most: large enough that handing each chunk to
/// the threads costs little, small enough that a chunk's states and their successors take
/// a few tens of MiB.
const CHUNK_STATES: u64 = 1 << 16;
/// Frontier states expanded at a time, at least. The chunk buffers are most of the fixed
/// memory of a small search: at 2,048 the default-bounds search (37,594 states once
/// proposers' idle crashes were left out) peaked at 41.4 bytes a state on one thread, at
/// 1,024 at 31.6, in the same number of instructions and, on two threads, at the same speed
/// (651,045 against 651,280 states a second, medians of thirty runs alternated, 2026-12-07;
/// it had once measured an eighth slower on two threads, before each thread's set of states
/// met shrank).
const MIN_CHUNK_STATES: u64 = 1 << 10;

/// How many frontier states each chunk of a level holds when `visited` states are known
/// at the level's start: a 128th of them, within the bounds above, so that a search does
/// not pay for a chunk's buffers out of proportion to its size (the chunk and its
/// successors are about 140 bytes a state, the visited set and parent links 15 to 25; two
/// threads hold four such buffers at once, see `search`, which at a thirty-second took the
/// two-thread peak of a 2-million-state search to 42 bytes a state, and takes it to 26
/// at a 128th). Which states a chunk holds does not change the states found, their order
/// or parents, or the verdict: candidates go into the visited set in frontier order
/// whatever the chunks and threads.
/// It does change how many transitions a search cut by `--max-states` reports (the last
/// chunk is expanded whole), which is why it depends on the search alone, never on the
/// number of threads. Past 8 million states visited every chunk has the largest size; the
/// smallest, 1,024 states, still takes two threads a millisecond or more, against the few
/// microseconds a chunk costs them in handing out its blocks (see `crew`) and sorting them.
fn chunk_states(visited: u64) -> u64 {
    (visited / 128).clamp(MIN_CHUNK_STATES, CHUNK_STATES)
}

/// Reads the next chunk of a level (`size` states at most) from disk into `chunk`.
fn read_chunk(
    reader: &mut SpillReader,
    codec: &Codec,
    chunk: &mut Segment,
    size: u64,
) -> Result<(), String> {
    chunk.words.clear();
    chunk.ends.clear();
    for _ in 0..reader.left().min(size) {
        reader.next(&mut chunk.words, |header| codec.len(header))?;
        chunk.push_end();
    }
    Ok(())
}

/// Turns a path of event numbers (each an index into [`World::enabled`] of the stored
/// state it leaves) into events, by walking it again from the initial state exactly as the
/// search did (through the simulator's one loop, each state put through the codec as the
/// search stored it), and checks on a fresh simulator that the events break the same
/// invariant at the last step.
fn rebuild(
    config: &Config,
    options: &Options,
    collect: bool,
    root: &[u64],
    path: &[u16],
) -> Result<Found, String> {
    let proto = config.protocol();
    let limits = options.limits;
    let codec = Codec::new(proto, config.proposers);
    {
        // The search starts from the decoded initial state; so does the simulator.
        let (mut world, mut checker) = initial(&proto, config.proposers);
        let (fresh, _) = initial(&proto, config.proposers);
        codec.decode(root, &mut world, &mut checker);
        if world != fresh {
            return Err("internal error: the stored initial state is not the initial state".into());
        }
    }
    let mut schedule = PathSchedule {
        path,
        at: 0,
        enabled: Vec::new(),
        out_of_range: false,
    };
    let mut canonical = Canonical {
        codec,
        proto,
        limits,
        collect,
        last: path.len() as u32,
        encoded: Vec::new(),
    };
    let walk = Profile {
        rates: Rates::NONE,
        limits: Limits {
            max_steps: limits.max_steps.max(path.len() as u32),
            ..limits
        },
    };
    let mut events = Vec::with_capacity(path.len());
    let outcome = Simulator::new(*config).run(
        &mut schedule,
        walk,
        true,
        &mut (Recorder(&mut events), &mut canonical),
    );
    if schedule.out_of_range {
        return Err("internal error: a stored event number is out of range".into());
    }
    if events.len() != path.len() {
        return Err(format!(
            "internal error: a stored event was refused (ending {})",
            outcome.ending.name()
        ));
    }
    let seen_by_search = outcome.violation.map(|(_, v)| v);

    let profile = walk;
    let outcome = Simulator::new(*config).run_events(&events, profile, true, None);
    match (outcome.ending, outcome.violation, seen_by_search) {
        (Ending::Violation, Some((step, v)), Some(c))
            if step as usize == events.len() && v.invariant == c.invariant =>
        {
            Ok(Found {
                events,
                violation: v,
                profile,
            })
        }
        _ => Err(format!(
            "internal error: the shortest counterexample does not replay (ending {}, {:?})",
            outcome.ending.name(),
            outcome.violation
        )),
    }
}

/// The schedule of a stored path: event number `k` is the `k`-th of [`World::enabled`].
struct PathSchedule<'a> {
    path: &'a [u16],
    at: usize,
    enabled: Vec<Event>,
    out_of_range: bool,
}

impl Schedule for PathSchedule<'_> {
    fn next<A, P>(&mut self, world: &World<A, P>, limits: &Limits) -> Next {
        let Some(&k) = self.path.get(self.at) else {
            return Next::Exhausted;
        };
        self.at += 1;
        world.enabled(limits, &mut self.enabled);
        match self.enabled.get(k as usize) {
            Some(&event) => Next::Take(event, None),
            None => {
                self.out_of_range = true;
                Next::Exhausted
            }
        }
    }
}

/// Puts every state but the last through the codec, as the search stored it: the search
/// expanded decoded states, so event numbers index their enabled lists.
struct Canonical {
    codec: Codec,
    proto: Protocol,
    limits: Limits,
    /// The search took dead messages off the network after every step; so does the walk.
    collect: bool,
    last: u32,
    encoded: Vec<u64>,
}

impl Visitor<Acceptor, Proposer> for Canonical {
    fn after(&mut self, step: &Step, world: &mut World, checker: &mut Checker) {
        if step.number < self.last && step.violation.is_none() {
            if self.collect {
                reduction::collect_dead(&self.proto, &self.limits, world, &step.event);
            }
            self.encoded.clear();
            self.codec.encode(world, checker, &mut self.encoded);
            self.codec.decode(&self.encoded, world, checker);
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_macros)] // tests print their figures to the harness
mod tests {
    use super::*;
    use crate::bug::Bug;

    /// Threads taking blocks at once get every state of the chunk exactly once, each
    /// thread its own share first, in frontier order, and none after a stop.
    #[test]
    fn blocks_cover_the_chunk_once_own_share_first_and_stop() {
        for (len, threads) in [
            (0, 2),
            (63, 2),
            (64, 2),
            (2048, 2),
            (65_536, 3),
            (100_001, 2),
        ] {
            let blocks = Blocks::new(len, threads);
            let shares = blocks.shares.lock().unwrap().clone();
            let taken: Vec<Vec<Range<usize>>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let blocks = &blocks;
                        scope.spawn(move || std::iter::from_fn(|| blocks.take(t)).collect())
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for (own, share) in taken.iter().zip(&shares) {
                assert!(own.iter().all(|r| !r.is_empty() && r.len() <= blocks.size));
                // Whatever it takes of its own share comes first and in order; the rest,
                // taken from the back of others' shares, lies outside it.
                let first = share.start * blocks.size;
                let mine = own
                    .iter()
                    .take_while(|r| r.start >= first && r.start < share.end * blocks.size)
                    .count();
                assert!(own[..mine]
                    .iter()
                    .enumerate()
                    .all(|(i, r)| r.start == first + i * blocks.size));
                assert!(own[mine..]
                    .iter()
                    .all(|r| r.end <= first || r.start >= share.end * blocks.size));
            }
            // The shares split the blocks evenly and in order.
            let count = len.div_ceil(blocks.size);
            assert_eq!(shares.first().map(|s| s.start), Some(0));
            assert_eq!(shares.last().map(|s| s.end), Some(count));
            assert!(shares.windows(2).all(|w| w[0].end == w[1].start));
            assert!(shares.iter().all(|s| s.len() <= count.div_ceil(threads)));
            let mut all: Vec<Range<usize>> = taken.into_iter().flatten().collect();
            all.sort_unstable_by_key(|r| r.start);
            let mut at = 0;
            for r in &all {
                assert_eq!(r.start, at, "{len}: a gap or an overlap");
                at = r.end;
            }
            assert_eq!(at, len);
        }
        let blocks = Blocks::new(10_000, 2);
        assert_eq!(blocks.take(0), Some(0..blocks.size));
        // Thread 1 starts its own share, in the middle.
        let half = 10_000usize.div_ceil(blocks.size) / 2 * blocks.size;
        assert_eq!(blocks.take(1), Some(half..half + blocks.size));
        blocks.stop();
        assert_eq!(blocks.take(0), None);
        // Alone, a thread takes its share, then the others' from their back.
        let blocks = Blocks::new(4 * MIN_BLOCK, 2);
        let order: Vec<usize> = std::iter::from_fn(|| blocks.take(1))
            .map(|r| r.start / MIN_BLOCK)
            .collect();
        assert_eq!(order, [2, 3, 1, 0]);
    }

    /// A chunk of `len` copies of the initial state of the default configuration, every
    /// one with the same successors, with the configuration's protocol.
    fn copies_of_the_root(len: usize) -> (Protocol, Segment) {
        let config = Config::default();
        let proto = config.protocol();
        let (world, checker) = initial(&proto, config.proposers);
        let mut codec = Codec::new(proto, config.proposers);
        let mut chunk = Segment::default();
        for _ in 0..len {
            codec.encode(&world, &checker, &mut chunk.words);
            chunk.push_end();
        }
        (proto, chunk)
    }

    /// What the threads share to expand `chunk` from state number 1, the reduction off,
    /// `byte_budget` for each thread.
    fn shared_for<'a>(
        proto: Protocol,
        chunk: &'a Segment,
        spares: &'a Spares,
        byte_budget: u64,
    ) -> Shared<'a> {
        Shared {
            proto,
            limits: Limits::default(),
            frontier: chunk.view(),
            first_number: 1,
            byte_budget,
            probe: false,
            por: false,
            collect: false,
            spares,
        }
    }

    /// A thread that takes blocks out of frontier order (its own share, then another's from
    /// the back) still keeps every first occurrence of a state: its set of states met is
    /// emptied when it goes back, or the copies of the root's successors at the chunk's
    /// start, met before in its own share, would be left out there and found new only
    /// further on, with other parents than one thread gives them.
    #[test]
    fn a_thread_going_back_keeps_first_occurrences() {
        let (proto, chunk) = copies_of_the_root(4 * MIN_BLOCK);
        let mut worker = Worker::new(proto, Config::default().proposers, true);
        let visited = FingerprintTable::default();
        let spares = Spares::default();
        let shared = shared_for(proto, &chunk, &spares, u64::MAX);
        // Thread 1 of 2, alone: blocks 2 and 3, then 1 and 0.
        let blocks = Blocks::new(4 * MIN_BLOCK, 2);
        let out = worker.expand_blocks(&shared, &blocks, 1, &visited);
        let starts: Vec<usize> = out.iter().map(|(s, _)| *s).collect();
        assert_eq!(starts, [2, 3, 1, 0].map(|b| b * MIN_BLOCK));
        let found: Vec<usize> = out.iter().map(|(_, e)| e.fingerprints.len()).collect();
        // Every copy has the same successors: each run of blocks in order finds them once,
        // in its first block.
        assert!(found[0] > 0, "{found:?}");
        assert_eq!(found, [found[0], 0, found[0], found[0]]);
        assert_eq!(
            out[3].1.parents[0], 1,
            "the chunk's first state is a parent"
        );
    }

    /// A thread that runs out of its memory budget stops every thread at its next block:
    /// the chunk comes back short, marked, rather than each thread spending on.
    #[test]
    fn a_thread_out_of_memory_stops_the_others() {
        let (proto, chunk) = copies_of_the_root(10_000);
        let mut workers: Vec<Worker> = (0..2)
            .map(|_| Worker::new(proto, Config::default().proposers, true))
            .collect();
        let visited = FingerprintTable::default();
        let spares = Spares::default();
        let crew = Crew::new(2).unwrap();
        let mut at = |byte_budget| {
            let shared = shared_for(proto, &chunk, &spares, byte_budget);
            let (out, ()) = expand_parallel(&crew, &mut workers, &shared, &visited, || ());
            let states: usize = out.iter().map(|e| e.parents.len()).sum();
            (out.len(), out.iter().any(|e| e.memory), states)
        };
        let blocks = 10_000usize.div_ceil(Blocks::new(10_000, 2).size);
        // Room enough: every block, nothing cut; the copies of one state are one candidate
        // a thread.
        let (taken, memory, states) = at(u64::MAX);
        assert_eq!((taken, memory), (blocks, false));
        assert!(states > 0);
        // No room: each thread stops after the block it is in.
        let (taken, memory, _) = at(0);
        assert!(memory && taken <= 2, "{taken} of {blocks} blocks taken");
        // A thread that took a block counts its set of the states it met in the chunk.
        assert!(workers.iter().any(|w| w.bytes() > 0));
        assert!(workers.iter().all(|w| w.bytes() == w.seen.bytes()));
    }

    /// A recycled expansion starts empty: nothing of the block it held before leaks into
    /// the next, only the buffers' room is kept.
    #[test]
    fn a_spare_expansion_holds_nothing_of_its_last_block() {
        let mut full = Expansion {
            transitions: 7,
            violation: Some((3, 1)),
            in_flight: true,
            memory: true,
            chosen: true,
            unrepresentable: Some("too many".to_string()),
            inserted: true,
            ..Expansion::default()
        };
        full.states.words.extend([1, 2, 3]);
        full.states.push_end();
        full.fingerprints.push(Fingerprint::default());
        full.parents.push(9);
        full.events.push(2);
        let spares = Spares::default();
        spares.give(vec![full]);
        let spare = spares.take();
        let kept = [
            spare.states.words.capacity(),
            spare.states.ends.capacity(),
            spare.fingerprints.capacity(),
            spare.parents.capacity(),
            spare.events.capacity(),
        ];
        assert!(
            kept.iter().all(|&c| c > 0),
            "every buffer is kept: {kept:?}"
        );
        assert_eq!(format!("{spare:?}"), format!("{:?}", Expansion::default()));
        assert_eq!(
            spares.take().states.words.capacity(),
            0,
            "one spare, taken once"
        );
    }

    /// More than the counts: every state's parent and event, in state-number order (so the
    /// order of each level too), is the same for any number of threads, also when a limit
    /// cuts the search in the middle of a level.
    #[test]
    fn the_graph_does_not_depend_on_the_number_of_threads() {
        let limits = Limits {
            max_ballots: 1,
            max_crashes: 1,
            max_duplicates: 0,
            max_drops: 0,
            ..Limits::default()
        };
        for (bug, max_states, por) in [
            (None, None, true),
            (None, Some(30_000), false),
            (Some(Bug::CountDuplicates), None, true),
        ] {
            let config = Config {
                bug,
                ..Config::default()
            };
            let at = |jobs| {
                let options = Options {
                    jobs,
                    max_states,
                    por,
                    ..Options::new(limits)
                };
                let (r, g) = search(&config, &options, &mut |_| {}).unwrap();
                let found = r.violation.map(|f| f.events);
                (
                    r.unique_states,
                    r.transitions,
                    r.cuts,
                    found,
                    g.links.parents,
                    g.links.events,
                )
            };
            let one = at(1);
            // States are numbered level by level: a state's level is its parent's plus one.
            let mut level = vec![0u32; one.4.len()];
            let mut width = vec![1u64];
            for n in 1..one.4.len() {
                level[n] = level[one.4[n] as usize] + 1;
                let l = level[n] as usize;
                width.resize(width.len().max(l + 1), 0);
                width[l] += 1;
            }
            let widest = width.iter().max().copied().unwrap_or(0);
            eprintln!(
                "{bug:?} {max_states:?}: {} states, widest level {widest}",
                one.0
            );
            assert!(
                widest > 3 * MIN_CHUNK_STATES,
                "levels wide enough to split: {widest}"
            );
            assert_eq!(one.2.states, max_states.is_some());
            for jobs in [2, 3] {
                assert!(at(jobs) == one, "{bug:?} {max_states:?}: {jobs} threads");
            }
        }
    }
}
