//! A user's own Paxos under test through the library's role traits: the textbook
//! implementation of `examples/user_paxos/textbook.rs` survives a campaign and a proptest
//! property, and its buggy variant is caught, shrunk and replayed from its counterexample.

#[path = "../../examples/user_paxos/textbook.rs"]
mod textbook;

use std::sync::atomic::AtomicU32;

use paxos_safety::ballot::{AcceptorId, Value};
use paxos_safety::campaign::Campaign;
use paxos_safety::checker::Invariant;
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::execution::{Coverage, Ending, Simulator};
use paxos_safety::protocol::{Action, Msg, Protocol};
use paxos_safety::render::{Format, Trace};
use paxos_safety::roles::{Implementation, ProposerRole, ProposerView};
use paxos_safety::shrink::shortest_counterexample_with;
use paxos_safety::strategy;
use proptest::prelude::*;
use textbook::{Textbook, TextbookProposer};

fn campaign(config: Config) -> Campaign {
    Campaign {
        config,
        seed: 7,
        runs: Some(20_000),
        time_limit: None,
        jobs: 1,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    }
}

#[test]
fn the_textbook_protocol_survives_a_campaign_that_chooses() {
    // The ten lines a user writes: a campaign, their implementation, the verdict.
    let report = campaign(Config::default()).run_with(&Textbook::correct(), &|_, _| {});
    assert_eq!(report.counts.violations, 0, "{:?}", report.first);
    assert!(report.counts.mark(Coverage::CHOSEN) > report.counts.runs / 2);
    assert!(
        report.counts.never_exercised().is_empty(),
        "{:?}",
        report.counts.never_exercised()
    );
    // And on a larger cluster with flexible quorums (q1 + q2 > A).
    let flexible = Config {
        acceptors: 5,
        proposers: 3,
        q1: Some(4),
        q2: Some(2),
        ..Config::default()
    };
    let report = campaign(flexible).run_with(&Textbook::correct(), &|_, _| {});
    assert_eq!(report.counts.violations, 0, "{:?}", report.first);
}

#[test]
fn the_first_vote_slip_is_caught_shrunk_and_replayed_from_its_file() {
    let buggy = Textbook::with_first_vote_bug();
    // Every execution draws its own shape: the file must record the one that failed.
    let c = Campaign {
        shape: ShapeSwarm::ALL,
        ..campaign(Config::default())
    };
    let report = c.run_with(&buggy, &|_, _| {});
    let first = report.first.expect("the campaign catches the slip");
    assert_eq!(first.violation.invariant, Invariant::Immutability);
    let best = shortest_counterexample_with(&buggy, &c, &first, 15).expect("it shrinks");
    assert!(best.shrunk.events.len() < best.events_before);
    assert!(
        best.shrunk.events.len() <= 20,
        "{} events",
        best.shrunk.events.len()
    );
    assert_ne!(
        (best.config.acceptors, best.config.proposers),
        (3, 2),
        "this seed's shortest counterexample drew another shape than the campaign's"
    );

    let file = Counterexample::of_shrunk(&buggy, &best);
    assert_eq!(
        file.implementation.as_deref(),
        Some("suite::user_paxos::textbook::Textbook")
    );
    assert_eq!(file.invariant, Some(Invariant::Immutability));
    assert_eq!(file.step, Some(best.shrunk.events.len() as u32));
    assert!(file
        .explanation
        .as_ref()
        .unwrap()
        .starts_with("immutability violated"));
    let loaded = Counterexample::from_json(&file.to_json()).unwrap();
    assert_eq!(loaded, file);
    let (outcome, events) = loaded.replay_with(&buggy).unwrap();
    assert_eq!(outcome.ending, Ending::Violation);
    assert_eq!(outcome.violation, best.shrunk.outcome.violation);
    let trace = Trace::new_with(buggy, &loaded.config, loaded.seed, &outcome, &events).unwrap();
    let text = trace.render(Format::Text);
    assert!(text.contains("immutability violated"));
    // The header names the roles that ran; your buggy code is not "the correct protocol".
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with("roles suite::user_paxos::textbook::Textbook"),
        "{header}"
    );
    let json = trace.render(Format::Json);
    let summary: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    assert_eq!(
        summary["implementation"],
        "suite::user_paxos::textbook::Textbook"
    );
    // The correct code survives the very same schedule: every event applies to it too (the
    // slip changes what p1 proposes, not which messages are in flight), and nothing breaks.
    let (correct, _) = loaded.replay_with(&Textbook::correct()).unwrap();
    assert_ne!(correct.ending, Ending::InvalidEvent);
    assert_eq!(correct.violation, None);
}

/// A schedule that does not apply (here: the campaign's three acceptors and two
/// proposers, not the shape the failing execution drew) is no verdict: the trace of such
/// a replay is refused instead of reading "safe", and the command line refuses a file of
/// your own roles instead of judging it with the built-in ones.
#[test]
fn a_replay_that_breaks_off_is_no_verdict_and_the_command_line_refuses_your_roles() {
    let buggy = Textbook::with_first_vote_bug();
    let c = Campaign {
        shape: ShapeSwarm::ALL,
        ..campaign(Config::default())
    };
    let report = c.run_with(&buggy, &|_, _| {});
    let best = shortest_counterexample_with(&buggy, &c, &report.first.unwrap(), 15).unwrap();
    let mut wrong_shape = Counterexample::of_shrunk(&buggy, &best);
    wrong_shape.config.acceptors = 3;
    wrong_shape.config.proposers = 2;
    let (outcome, events) = wrong_shape.replay_with(&buggy).unwrap();
    assert_eq!(outcome.ending, Ending::InvalidEvent);
    let refused = Trace::new_with(buggy, &wrong_shape.config, None, &outcome, &events).unwrap_err();
    // It names the event that broke off, counted from 1 as the file lists them.
    let named = format!(
        "event {} ('{}') is not enabled",
        outcome.steps + 1,
        outcome.invalid.unwrap()
    );
    assert!(refused.starts_with(&named), "{refused}");

    let path = std::env::temp_dir().join(format!(
        "paxos-safety-user-file-{}.json",
        std::process::id()
    ));
    Counterexample::of_shrunk(&buggy, &best)
        .save(&path)
        .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_paxos-safety"))
        .arg("replay")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("found with your own roles (suite::user_paxos::textbook::Textbook)")
            && err.contains("replay_with"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "{o:?}");
}

/// The textbook roles, with what the proposers say about themselves replaced by `view`:
/// nothing at all, or a lie.
#[derive(Clone)]
struct Views {
    view: fn(ProposerView) -> ProposerView,
}

struct ViewedProposer {
    inner: TextbookProposer,
    view: fn(ProposerView) -> ProposerView,
}

impl ProposerRole for ViewedProposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        self.inner.on_timeout(cluster)
    }
    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        self.inner.on_message(cluster, from, msg)
    }
    fn on_crash(&mut self) {
        self.inner.on_crash();
    }
    fn view(&self, cluster: &Protocol) -> ProposerView {
        (self.view)(self.inner.view(cluster))
    }
}

impl Implementation for Views {
    type Acceptor = textbook::TextbookAcceptor;
    type Proposer = ViewedProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> Self::Acceptor {
        Textbook::correct().acceptor(cluster, id)
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> ViewedProposer {
        ViewedProposer {
            inner: Textbook::correct().proposer(cluster, id, value),
            view: self.view,
        }
    }
}

/// What a campaign exercised comes from the wire and the checker, never from the roles'
/// views: a proposer that shows nothing (a terser trace is all it should cost) or claims
/// to have adopted every time gets the very counts the honest one gets.
#[test]
fn what_a_campaign_exercised_does_not_depend_on_what_the_roles_say() {
    let c = campaign(Config::default());
    let honest = c.run_with(&Textbook::correct(), &|_, _| {}).counts;
    assert!(honest.mark(Coverage::ADOPTED) > 0 && honest.never_exercised().is_empty());
    let mute = Views {
        view: |_| ProposerView::default(),
    };
    assert_eq!(c.run_with(&mute, &|_, _| {}).counts, honest);
    let liar = Views {
        view: |v| ProposerView {
            adopted_from: Some((0, paxos_safety::ballot::Ballot::new(1, 0))),
            ..v
        },
    };
    assert_eq!(c.run_with(&liar, &|_, _| {}).counts, honest);
}

/// A trace tells whose value a proposal carries from the wire and the proposer's input,
/// not from the view: a proposer that adopts without filling `adopted_from` is not
/// described as proposing "its own value", and a timeout that sent no prepare is not
/// described as one.
#[test]
fn a_trace_does_not_call_an_adopted_value_the_proposers_own() {
    let quiet = Views {
        view: |v| ProposerView {
            adopted_from: None,
            ..v
        },
    };
    let mut sim = Simulator::with(quiet.clone(), Config::default());
    let mut adoptions = 0;
    for seed in 0..300 {
        let mut events = Vec::new();
        let outcome = sim.run_seed(seed, Some(&mut events));
        let trace = Trace::new_with(
            quiet.clone(),
            &Config::default(),
            Some(seed),
            &outcome,
            &events,
        )
        .unwrap();
        let text = trace.render(Format::Text);
        for line in text.lines() {
            // p1 wants v1 and p2 wants v2: "pN proposes vM" with M != N is an adoption.
            for (p, other) in [("p1", "v2"), ("p2", "v1")] {
                if line.contains(&format!("{p} proposes {other} at")) {
                    adoptions += 1;
                    assert!(!line.contains("its own value"), "seed {seed}: {line}");
                    assert!(
                        line.contains("the value of the vote"),
                        "seed {seed}: {line}"
                    );
                }
            }
        }
    }
    assert!(
        adoptions > 10,
        "only {adoptions} adoptions in 300 executions"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn the_textbook_protocol_is_safe_on_every_generated_schedule(
        e in strategy::executions(strategy::clusters())
    ) {
        strategy::check_with(&Textbook::correct(), &e)?;
    }
}

/// The textbook roles with a proposer that skips phase 1: its timer starts a ballot and
/// sends `Accept` of its own value straight away, the "fast" proposer every course warns
/// about.
#[derive(Clone)]
struct Hasty;

struct HastyProposer {
    inner: TextbookProposer,
    value: Value,
}

impl ProposerRole for HastyProposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        match self.inner.on_timeout(cluster) {
            Action::Broadcast(Msg::Prepare { ballot }) => Action::Broadcast(Msg::Accept {
                ballot,
                value: self.value,
            }),
            other => other,
        }
    }
    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        self.inner.on_message(cluster, from, msg)
    }
    fn on_crash(&mut self) {
        self.inner.on_crash();
    }
    fn view(&self, cluster: &Protocol) -> ProposerView {
        self.inner.view(cluster)
    }
}

impl Implementation for Hasty {
    type Acceptor = textbook::TextbookAcceptor;
    type Proposer = HastyProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> Self::Acceptor {
        Textbook::correct().acceptor(cluster, id)
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> HastyProposer {
        HastyProposer {
            inner: Textbook::correct().proposer(cluster, id, value),
            value,
        }
    }
}

/// The textbook roles with a proposer that retries at once when refused: a nack for its
/// ballot starts the next ballot, as its timer would.
#[derive(Clone)]
struct Retrying;

struct RetryingProposer(TextbookProposer);

impl ProposerRole for RetryingProposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        self.0.on_timeout(cluster)
    }
    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        let running = self.0.view(cluster).ballot;
        let action = self.0.on_message(cluster, from, msg);
        match msg {
            Msg::Nack { ballot, .. } if action.is_none() && Some(*ballot) == running => {
                Some(self.0.on_timeout(cluster))
            }
            _ => action,
        }
    }
    fn on_crash(&mut self) {
        self.0.on_crash();
    }
    fn view(&self, cluster: &Protocol) -> ProposerView {
        self.0.view(cluster)
    }
}

impl Implementation for Retrying {
    type Acceptor = textbook::TextbookAcceptor;
    type Proposer = RetryingProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> Self::Acceptor {
        Textbook::correct().acceptor(cluster, id)
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> RetryingProposer {
        RetryingProposer(Textbook::correct().proposer(cluster, id, value))
    }
}

/// A ballot started on a nack is described by the prepare it sent, on the nack's own
/// line: "p1 starts ballot 2.1 and sends prepare", not a blank line, and not "times out".
#[test]
fn a_ballot_started_on_a_nack_is_told_on_the_nack_s_line() {
    // One acceptor too: the retry's broadcast is then a single message.
    for acceptors in [3, 1] {
        told_on_the_nack_s_line(Config {
            acceptors,
            ..Config::default()
        });
    }
}

fn told_on_the_nack_s_line(config: Config) {
    let mut sim = Simulator::with(Retrying, config);
    let mut seen = 0;
    for seed in 1..=200 {
        let mut events = Vec::new();
        let outcome = sim.run_seed(seed, Some(&mut events));
        assert_eq!(outcome.violation, None, "retrying on a nack is safe");
        let trace = Trace::new_with(Retrying, &config, Some(seed), &outcome, &events).unwrap();
        let text = trace.render(Format::Text);
        let json = trace.render(Format::Json);
        for (line, step) in text
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .zip(json.lines())
        {
            if !line.contains(" nack ") || !line.contains(" starts ballot ") {
                continue;
            }
            seen += 1;
            assert!(
                line.contains(" and sends prepare") && !line.contains("times out"),
                "{line}"
            );
            let step: serde_json::Value = serde_json::from_str(step).unwrap();
            let started: Vec<&serde_json::Value> = step["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["kind"] == "started")
                .collect();
            assert_eq!(started.len(), 1, "{step}");
            assert_eq!(started[0]["timeout"], false, "{step}");
        }
    }
    assert!(
        seen > 0,
        "{config:?}: no nack started a ballot in 200 executions"
    );
}

/// A timeout that proposed is described by what it sent: a proposal, not "sends prepare"
/// (the proposer's view still says it is preparing). And skipping phase 1 is caught.
#[test]
fn a_timeout_that_proposes_reads_as_a_proposal_and_skipping_phase_1_is_caught() {
    let report = campaign(Config::default()).run_with(&Hasty, &|_, _| {});
    let first = report.first.expect("skipping phase 1 is unsafe");
    let mut sim = Simulator::with(Hasty, first.config);
    let mut events = Vec::new();
    let outcome = sim.run_seed(first.seed, Some(&mut events));
    let trace = Trace::new_with(Hasty, &first.config, Some(first.seed), &outcome, &events)
        .unwrap()
        .render(Format::Text);
    let timeouts: Vec<&str> = trace.lines().filter(|l| l.contains(" timeout p")).collect();
    assert!(!timeouts.is_empty(), "{trace}");
    for line in timeouts {
        assert!(!line.contains("sends prepare"), "{line}");
        assert!(
            line.contains(" proposes v")
                && line.contains("straight from its timer, skipping phase 1"),
            "{line}"
        );
    }
    // The JSON says it too, on the proposals a timer sent (and only there).
    let json = Trace::new_with(Hasty, &first.config, Some(first.seed), &outcome, &events)
        .unwrap()
        .render(Format::Json);
    let mut skipped = 0;
    for line in json.lines() {
        let step: serde_json::Value = serde_json::from_str(line).unwrap();
        for change in step["changes"].as_array().into_iter().flatten() {
            if change["kind"] == "proposed" {
                assert_eq!(change["skipped_phase_1"], true, "{line}");
                assert_eq!(
                    step["event"].as_str().map(|e| e.starts_with("timeout")),
                    Some(true),
                    "{line}"
                );
                skipped += 1;
            }
        }
    }
    assert!(skipped > 0, "{json}");
}

/// A proposer that reaches its quorum of votes, says so in its view, and never returns
/// `Decide`: the slip of a learner that forgets to announce.
#[derive(Clone)]
struct Mute;

struct MuteProposer(TextbookProposer);

impl ProposerRole for MuteProposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        self.0.on_timeout(cluster)
    }
    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        self.0
            .on_message(cluster, from, msg)
            .filter(|a| !matches!(a, Action::Decide { .. }))
    }
    fn on_crash(&mut self) {
        self.0.on_crash();
    }
    fn view(&self, cluster: &Protocol) -> ProposerView {
        self.0.view(cluster)
    }
}

impl Implementation for Mute {
    type Acceptor = textbook::TextbookAcceptor;
    type Proposer = MuteProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> Self::Acceptor {
        Textbook::correct().acceptor(cluster, id)
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> MuteProposer {
        MuteProposer(Textbook::correct().proposer(cluster, id, value))
    }
}

/// The trace says a proposer decides when it returned `Decide`, not when its view says
/// it has: a proposer that never decides, though its view says it did, is shown counting
/// its votes and not deciding, and the learner-progress rule catches it at that step.
#[test]
fn a_trace_says_decides_only_when_the_proposer_decided() {
    let report = campaign(Config::default()).run_with(&Mute, &|_, _| {});
    let first = report
        .first
        .expect("a proposer that never decides is caught");
    assert_eq!(first.violation.invariant, Invariant::LearnerProgress);
    let mut sim = Simulator::with(Mute, first.config);
    let mut events = Vec::new();
    let outcome = sim.run_seed(first.seed, Some(&mut events));
    let trace = Trace::new_with(Mute, &first.config, Some(first.seed), &outcome, &events).unwrap();
    let text = trace.render(Format::Text);
    assert!(!text.contains(" decides "), "{text}");
    let last = trace.steps.last().unwrap();
    assert!(last.violation.is_some(), "{text}");
    assert!(
        last.changes
            .iter()
            .any(|c| c.text().contains("2 of 2 votes")),
        "{text}"
    );
    // The textbook proposer, which returns `Decide`, is shown deciding.
    let report = campaign(Config::default()).run_with(&Textbook::correct(), &|_, _| {});
    assert_eq!(report.counts.violations, 0);
    let config = Config::default();
    let mut sim = Simulator::with(Textbook::correct(), config);
    let mut events = Vec::new();
    let outcome = sim.run_seed(3, Some(&mut events));
    let text = Trace::new_with(Textbook::correct(), &config, Some(3), &outcome, &events)
        .unwrap()
        .render(Format::Text);
    assert!(text.contains(" decides v"), "{text}");
}

/// A proposer that panics on the first nack it gets, as an `unwrap` on a case its author
/// did not expect would.
#[derive(Clone)]
struct Panicky;

struct PanickyProposer(TextbookProposer);

impl ProposerRole for PanickyProposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        self.0.on_timeout(cluster)
    }
    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        if let Msg::Nack { .. } = msg {
            panic!("a nack I did not expect");
        }
        self.0.on_message(cluster, from, msg)
    }
    fn on_crash(&mut self) {
        self.0.on_crash();
    }
    fn view(&self, cluster: &Protocol) -> ProposerView {
        self.0.view(cluster)
    }
}

impl Implementation for Panicky {
    type Acceptor = textbook::TextbookAcceptor;
    type Proposer = PanickyProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> Self::Acceptor {
        Textbook::correct().acceptor(cluster, id)
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> PanickyProposer {
        PanickyProposer(Textbook::correct().proposer(cluster, id, value))
    }
}

/// A panic in your roles is a finding of its execution, not the end of the campaign: it
/// is counted with its seed and step, shrunk, saved, and replayed to the same finding,
/// and the explanation names the role, the source line and the message. (It used to
/// unwind through the campaign's thread: "a scoped thread panicked", no seed.)
#[test]
fn a_panic_in_your_roles_is_a_finding_shrunk_and_replayed() {
    let c = campaign(Config::default());
    let report = c.run_with(&Panicky, &|_, _| {});
    let first = report.first.expect("a nack comes in some execution");
    assert_eq!(first.violation.invariant, Invariant::NoPanic);
    assert!(report.counts.violations > 1, "the campaign went on");
    let best = shortest_counterexample_with(&Panicky, &c, &first, 15).expect("it shrinks");
    let file = Counterexample::of_shrunk(&Panicky, &best);
    assert_eq!(file.invariant, Some(Invariant::NoPanic));
    let explanation = file.explanation.clone().unwrap();
    assert!(
        explanation.starts_with("no-panic violated: a proposer panicked"),
        "{explanation}"
    );
    assert!(
        explanation.contains(&format!(" panicked at {}:", file!()))
            && explanation.ends_with(": a nack I did not expect"),
        "{explanation}"
    );
    // The shortest: a prepare refused, and its nack delivered.
    let events = &best.shrunk.events;
    assert!(events.len() <= 8, "{events:?}");
    assert!(
        events.last().unwrap().to_string().contains(" nack "),
        "{events:?}"
    );
    let loaded = Counterexample::from_json(&file.to_json()).unwrap();
    let (outcome, events) = loaded.replay_with(&Panicky).unwrap();
    assert_eq!(outcome.violation, best.shrunk.outcome.violation);
    let text = Trace::new_with(Panicky, &loaded.config, loaded.seed, &outcome, &events)
        .unwrap()
        .render(Format::Text);
    assert!(text.contains("no-panic violated"), "{text}");
    // The textbook proposer, on the very same schedule, does not panic.
    let (correct, _) = loaded.replay_with(&Textbook::correct()).unwrap();
    assert_eq!(correct.violation, None);
}

/// Flakes left to the `Flaky(&ONE_FLAKE)` acceptors: one in the life of the process, the
/// first time any is asked to; a campaign catches it, a rerun never does. Globals, which
/// is exactly what roles must not consult; one per test, as tests run side by side.
static ONE_FLAKE: AtomicU32 = AtomicU32::new(1);
/// Flakes left to the `Flaky(&FADING)` acceptors, set by their test so that they run out
/// part way through a shrink.
static FADING: AtomicU32 = AtomicU32::new(0);

/// An acceptor that promises below its promise while its global count of flakes lasts.
#[derive(Clone, Copy)]
struct Flaky(&'static AtomicU32);

struct FlakyAcceptor(textbook::TextbookAcceptor, &'static AtomicU32);

impl paxos_safety::roles::AcceptorRole for FlakyAcceptor {
    fn on_message(
        &mut self,
        cluster: &Protocol,
        msg: &Msg,
    ) -> Result<Option<Msg>, paxos_safety::roles::RoleFault> {
        use std::sync::atomic::Ordering::Relaxed;
        let reply = self.0.on_message(cluster, msg)?;
        if let (Msg::Prepare { ballot }, Some(Msg::Nack { .. })) = (*msg, reply) {
            if self
                .1
                .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
                .is_ok()
            {
                let accepted = self.0.view().accepted;
                return Ok(Some(Msg::Promise { ballot, accepted }));
            }
        }
        Ok(reply)
    }
    fn view(&self) -> paxos_safety::roles::AcceptorView {
        self.0.view()
    }
}

impl Implementation for Flaky {
    type Acceptor = FlakyAcceptor;
    type Proposer = TextbookProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> FlakyAcceptor {
        FlakyAcceptor(Textbook::correct().acceptor(cluster, id), self.0)
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> TextbookProposer {
        Textbook::correct().proposer(cluster, id, value)
    }
}

/// Roles that do not repeat themselves get a violation nobody can rerun; shrinking says
/// so, and why, instead of returning nothing.
#[test]
fn a_violation_that_does_not_happen_again_is_called_not_reproducible() {
    let c = campaign(Config::default());
    let report = c.run_with(&Flaky(&ONE_FLAKE), &|_, _| {});
    let first = report.first.expect("the one flake is caught");
    assert_eq!(first.violation.invariant, Invariant::PromiseMonotonic);
    assert_eq!(report.counts.violations, 1);
    let e = shortest_counterexample_with(&Flaky(&ONE_FLAKE), &c, &first, 3).unwrap_err();
    let said = format!("{e:?}");
    assert_eq!(said, e.to_string());
    assert!(
        said.starts_with(&format!(
            "not reproducible: the violation of seed {} at step {} did not happen again",
            first.seed, first.step
        )) && said.contains("your roles are not deterministic"),
        "{said}"
    );
}

/// Roles whose bug fades part way through the shrink: the rerun of the seed fails, so
/// shrinking runs, but the list it ends with does not fail when replayed once more. The
/// result says so (`repeats`), and a trace of it blames the roles, not paxos-safety.
#[test]
fn a_shrunk_list_that_does_not_fail_again_is_flagged_and_blamed_on_the_roles() {
    use std::sync::atomic::Ordering::Relaxed;
    let c = campaign(Config::default());
    FADING.store(1, Relaxed);
    let report = c.run_with(&Flaky(&FADING), &|_, _| {});
    let first = report.first.expect("the one flake is caught");
    assert_eq!(first.violation.invariant, Invariant::PromiseMonotonic);
    // Enough for the rerun and a few shrinking replays, not for the replay after them.
    FADING.store(4, Relaxed);
    let best = shortest_counterexample_with(&Flaky(&FADING), &c, &first, 0)
        .expect("the rerun of the seed fails again");
    assert!(!best.repeats, "the list shrunk to does not fail again");
    assert_eq!(FADING.load(Relaxed), 0);
    let mut sim = Simulator::with(Flaky(&FADING), best.config);
    let outcome = sim.run_events(
        &best.shrunk.events,
        best.shrunk.outcome.profile,
        false,
        None,
    );
    assert_eq!(outcome.violation, None);
    let e = Trace::new_with(
        Flaky(&FADING),
        &best.config,
        Some(best.seed),
        &best.shrunk.outcome,
        &best.shrunk.events,
    )
    .unwrap_err();
    assert!(
        e.starts_with("the execution did not repeat itself (your roles are not deterministic")
            && !e.contains("internal error"),
        "{e}"
    );
    // The built-in roles' best always repeats.
    let built_in = Campaign {
        config: Config {
            bug: Some(paxos_safety::bug::Bug::NoAdopt),
            ..Config::default()
        },
        ..c
    };
    let first = built_in.run(&|_, _| {}).first.expect("no-adopt is caught");
    assert!(
        paxos_safety::shrink::shortest_counterexample(&built_in, &first, 3)
            .unwrap()
            .repeats
    );
}

/// An acceptor that panics on the first accept it gets.
#[derive(Clone)]
struct PanickyAcceptors;

struct PanickyAcceptor(textbook::TextbookAcceptor);

impl paxos_safety::roles::AcceptorRole for PanickyAcceptor {
    fn on_message(
        &mut self,
        cluster: &Protocol,
        msg: &Msg,
    ) -> Result<Option<Msg>, paxos_safety::roles::RoleFault> {
        if let Msg::Accept { .. } = msg {
            panic!("an accept I did not expect");
        }
        self.0.on_message(cluster, msg)
    }
    fn view(&self) -> paxos_safety::roles::AcceptorView {
        self.0.view()
    }
}

impl Implementation for PanickyAcceptors {
    type Acceptor = PanickyAcceptor;
    type Proposer = TextbookProposer;
    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> PanickyAcceptor {
        PanickyAcceptor(Textbook::correct().acceptor(cluster, id))
    }
    fn proposer(&mut self, cluster: &Protocol, id: u8, value: Value) -> TextbookProposer {
        Textbook::correct().proposer(cluster, id, value)
    }
}

/// An acceptor's panic names the acceptor, as the proposer's names the proposer.
#[test]
fn a_panicking_acceptor_is_named() {
    let c = campaign(Config::default());
    let first = c
        .run_with(&PanickyAcceptors, &|_, _| {})
        .first
        .expect("an accept comes in the first execution that proposes");
    assert_eq!(first.violation.invariant, Invariant::NoPanic);
    let acceptor = first.violation.acceptor.expect("the acceptor is named");
    let mut sim = Simulator::with(PanickyAcceptors, first.config);
    let outcome = sim.run_seed(first.seed, None);
    assert_eq!(outcome.violation, Some((first.step, first.violation)));
    let name = format!("a{}", acceptor + 1);
    let detail = sim.detail().unwrap();
    assert!(
        detail.starts_with(&format!("{name} panicked at {}:", file!()))
            && detail.ends_with(":13: an accept I did not expect"),
        "{detail}"
    );
    let said = first.violation.to_string();
    assert!(
        said.starts_with(&format!("no-panic violated: acceptor {name} panicked")),
        "{said}"
    );
}

/// A proptest failure of your roles says how to replay its file: through the library,
/// since the command line refuses your roles.
#[test]
fn a_proptest_failure_of_your_roles_says_how_to_replay_it() {
    use proptest::test_runner::{Config as RunnerConfig, TestError, TestRunner};
    let config = RunnerConfig {
        cases: 2_000,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..RunnerConfig::default()
    };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&strategy::executions(strategy::clusters()), |e| {
        strategy::check_with(&Panicky, &e).map(|_| ())
    });
    let Err(TestError::Fail(reason, _)) = result else {
        panic!("a nack comes in some generated execution: {result:?}");
    };
    let message = reason.message();
    assert!(
        message.contains(
            "replay it with `Counterexample::load(path)?.replay_with(&your_implementation)`"
        ),
        "{message}"
    );
}
