//! The proposer's rules (`src/progress.rs`) catch the two slips mutation testing found in
//! the built-in proposer, which break no safety invariant: a proposer deaf to the votes for
//! its own ballot, and one deaf to refusals of its own ballot; and a proposer that forgets
//! its ballots when it crashes, which breaks safety only in rare schedules. Each is the
//! built-in proposer with one flaw, so the rest of its behaviour is the reference.

use paxos_safety::ballot::{AcceptorId, Value};
use paxos_safety::campaign::Campaign;
use paxos_safety::checker::Invariant;
use paxos_safety::config::{Config, ShapeSwarm};
use paxos_safety::counterexample::Counterexample;
use paxos_safety::event::Event;
use paxos_safety::execution::Ending;
use paxos_safety::protocol::{Acceptor, Action, Msg, Proposer, Protocol};
use paxos_safety::roles::{Implementation, ProposerRole, ProposerView};
use paxos_safety::shrink::shortest_counterexample_with;

/// What the proposer gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deaf {
    /// It never hears `Accepted` for its current ballot: it never counts a vote, so it
    /// never decides.
    Votes,
    /// It never hears `Nack` for its current ballot: it retries at the next round of its
    /// own, however far ahead the refusal said the others are.
    Refusals,
    /// It does not hear its own past: a crash forgets its round too, so it starts again at
    /// round 1 and reuses its ballots (with another value, should it adopt one).
    OwnBallots,
    /// Not a flaw: its timer resends the prepare of the ballot it is running while still
    /// in phase 1 and not refused, and starts a new ballot otherwise.
    Resends,
    /// Its timer runs phase 1 again at the ballot it is running after it proposed, which
    /// could adopt another value at that ballot.
    ResendsAfterProposing,
}

#[derive(Clone, Copy, Debug)]
struct Slip(Deaf);

struct SlipProposer {
    inner: Proposer,
    /// A nack for the ballot it runs came: resending that prepare is doomed.
    refused: bool,
    deaf: Deaf,
    id: u8,
    value: Value,
}

impl Implementation for Slip {
    type Acceptor = Acceptor;
    type Proposer = SlipProposer;

    fn acceptor(&mut self, _cluster: &Protocol, _id: AcceptorId) -> Acceptor {
        Acceptor::default()
    }

    fn proposer(&mut self, _cluster: &Protocol, id: u8, value: Value) -> SlipProposer {
        SlipProposer {
            inner: Proposer::new(id, value),
            refused: false,
            deaf: self.0,
            id,
            value,
        }
    }
}

impl ProposerRole for SlipProposer {
    fn on_timeout(&mut self, cluster: &Protocol) -> Action {
        use paxos_safety::protocol::Phase;
        let view = self.inner.view(cluster);
        let again = match self.deaf {
            Deaf::Resends => view.phase == Phase::Preparing && !self.refused,
            Deaf::ResendsAfterProposing => view.phase == Phase::Accepting,
            _ => false,
        };
        match view.ballot {
            Some(ballot) if again => Action::Broadcast(Msg::Prepare { ballot }),
            _ => {
                self.refused = false;
                self.inner.start_next(cluster)
            }
        }
    }

    fn on_message(&mut self, cluster: &Protocol, from: AcceptorId, msg: &Msg) -> Option<Action> {
        let current = self.inner.view(cluster).ballot;
        if matches!(*msg, Msg::Nack { ballot, .. } if Some(ballot) == current) {
            self.refused = true;
        }
        let withheld = match (self.deaf, *msg) {
            (Deaf::Votes, Msg::Accepted { ballot, .. }) => Some(ballot) == current,
            (Deaf::Refusals, Msg::Nack { ballot, .. }) => Some(ballot) == current,
            _ => false,
        };
        if withheld {
            None
        } else {
            self.inner.on_msg(cluster, from, msg)
        }
    }

    fn on_crash(&mut self) {
        self.refused = false;
        if self.deaf == Deaf::OwnBallots {
            self.inner = Proposer::new(self.id, self.value);
        } else {
            self.inner.restart();
        }
    }

    fn view(&self, cluster: &Protocol) -> ProposerView {
        self.inner.view(cluster)
    }
}

fn campaign() -> Campaign {
    Campaign {
        config: Config::default(),
        seed: 1,
        runs: Some(2_000),
        time_limit: None,
        jobs: 1,
        shard: (1, 1),
        stop_on_violation: false,
        shape: ShapeSwarm::FIXED,
    }
}

/// Runs the slip's campaign, checks what it finds, and shrinks and replays the finding.
fn caught(deaf: Deaf, invariant: Invariant, at_most: usize, says: &str, rule: &str) {
    let imp = Slip(deaf);
    let c = campaign();
    let report = c.run_with(&imp, &|_, _| {});
    let first = report
        .first
        .unwrap_or_else(|| panic!("{deaf:?}: the campaign found nothing"));
    assert_eq!(first.violation.invariant, invariant, "{deaf:?}");
    let told = first.violation.to_string();
    assert!(told.starts_with(says), "{deaf:?}: {told}");
    assert!(told.ends_with(rule), "{deaf:?}: {told}");
    assert!(
        report.counts.violations > report.counts.runs / 100,
        "{deaf:?}: only {} of {} runs caught it",
        report.counts.violations,
        report.counts.runs
    );
    let best = shortest_counterexample_with(&imp, &c, &first, 7).expect("it shrinks");
    let events = &best.shrunk.events;
    assert!(
        events.len() <= at_most,
        "{deaf:?}: shrunk to {} events: {events:?}",
        events.len()
    );
    let file = Counterexample::of_shrunk(&imp, &best);
    let (outcome, _) = file.replay_with(&imp).expect("the file replays");
    assert_eq!(outcome.ending, Ending::Violation);
    assert_eq!(outcome.violation.unwrap().1.invariant, invariant);
}

#[test]
fn a_proposer_deaf_to_its_votes_breaks_learner_progress() {
    // Timeout, prepare and promise from a majority (2 of 3), accept and vote from 2: the
    // second vote is the one it should have decided on.
    caught(
        Deaf::Votes,
        Invariant::LearnerProgress,
        9,
        "learner-progress violated: the proposer of ballot ",
        "(a proposer that received votes for its proposal from a phase-2 quorum must decide it)",
    );
}

#[test]
fn a_proposer_that_forgets_its_ballots_in_a_crash_breaks_ballot_fresh() {
    // Timeout (prepare 1.1 sent), crash, restart, timeout: prepare 1.1 again.
    caught(
        Deaf::OwnBallots,
        Invariant::BallotFresh,
        4,
        "ballot-fresh violated: the proposer sent ballot ",
        "(a proposer must start each ballot above every ballot it used before, crashes \
         included)",
    );
}

/// A timer that resends the prepare of the ballot it runs, in phase 1, starts nothing new:
/// not a `ballot-fresh` finding, nor any other, over a campaign in which it resends often.
#[test]
fn a_prepare_resent_in_phase_1_is_not_a_reused_ballot() {
    let report = campaign().run_with(&Slip(Deaf::Resends), &|_, _| {});
    assert_eq!(report.first.map(|f| f.violation), None);
    // It did resend: the same ballot's prepare twice from one proposer in one execution.
    let mut sim = paxos_safety::execution::Simulator::with(Slip(Deaf::Resends), Config::default());
    let resent = (0..200)
        .filter(|&seed| {
            let mut events = Vec::new();
            sim.run_seed(seed, Some(&mut events));
            let timeouts_in_phase_1 = events
                .windows(2)
                .any(|w| matches!(w, [Event::Timeout(p), Event::Timeout(q)] if p == q));
            timeouts_in_phase_1
        })
        .count();
    assert!(
        resent > 0,
        "no proposer timed out twice in a row in 200 executions"
    );
}

#[test]
fn phase_1_run_again_after_proposing_breaks_ballot_fresh() {
    caught(
        Deaf::ResendsAfterProposing,
        Invariant::BallotFresh,
        12,
        "ballot-fresh violated: the proposer sent ballot ",
        "(a proposer must start each ballot above every ballot it used before, crashes \
         included)",
    );
}

#[test]
fn a_proposer_deaf_to_refusals_breaks_refusal_heeded() {
    caught(
        Deaf::Refusals,
        Invariant::RefusalHeeded,
        9,
        "refusal-heeded violated: the proposer started ballot ",
        "(a proposer refused at its ballot must start its next ballot above the promise it \
         was refused with)",
    );
}

#[test]
fn no_bug_switch_makes_the_built_in_proposer_break_a_progress_rule() {
    // Every bug changes what a proposer is told or what it does with a quorum, never
    // whether it decides on a quorum or heeds a refusal: a progress finding under any of
    // them, before its safety finding, would be a false alarm.
    use paxos_safety::bug::Bug;
    use paxos_safety::execution::Simulator;
    for bug in Bug::ALL {
        let mut sim = Simulator::new(Config {
            bug: Some(bug),
            ..Config::default()
        });
        let mut safety = 0;
        for seed in 0..2_000 {
            if let Some((step, v)) = sim.run_seed(seed, None).violation {
                assert!(
                    !matches!(
                        v.invariant,
                        Invariant::LearnerProgress
                            | Invariant::RefusalHeeded
                            | Invariant::BallotFresh
                    ),
                    "{bug:?}, seed {seed}, step {step}: {v}"
                );
                safety += 1;
            }
        }
        // The bug was reached: the rules were judged alongside real findings.
        assert!(safety > 0, "{bug:?}: no violation in 2,000 seeds");
    }
}
