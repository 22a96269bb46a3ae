//! Events: the decisions a schedule is made of, and their one-line text form.
//!
//! An execution is the world's initial state plus a list of events. Events name messages
//! by content (`deliver p1->a2 prepare 1.1`), not by their position in some queue, so a
//! recorded list replays on any version of the scheduler that can still take those steps:
//! counterexample files outlive changes to the generator.
//!
//! The text form, one event per line (ballots are `round.proposer`, values `v1..vP`,
//! proposers `p1..pP`, acceptors `a1..aA`):
//!
//! ```text
//! timeout p1
//! deliver p1->a2 prepare 1.1
//! deliver a2->p1 promise 1.1            (no vote to report)
//! deliver a2->p1 promise 2.1 voted 1.2=v2
//! drop p1->a3 accept 2.1 v2
//! duplicate a3->p1 accepted 2.1 v2
//! deliver a1->p2 nack 1.2 promised 2.1
//! crash a1
//! restart a1
//! ```

use std::fmt;
use std::str::FromStr;

use crate::ballot::{Ballot, Value};
use crate::protocol::Msg;

/// A node of the simulated cluster, 0-based inside, 1-based in text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Proposer(u8),
    Acceptor(u16),
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NodeId::Proposer(p) => write!(f, "p{}", u32::from(p) + 1),
            NodeId::Acceptor(a) => write!(f, "a{}", u32::from(a) + 1),
        }
    }
}

impl FromStr for NodeId {
    type Err = String;

    fn from_str(s: &str) -> Result<NodeId, String> {
        let bad = || format!("'{s}' is not a node (p1..p8 or a1..a15)");
        let (kind, num) = s.split_at_checked(1).ok_or_else(bad)?;
        let n: u32 = num.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        match kind {
            "p" => u8::try_from(n - 1).map(NodeId::Proposer).map_err(|_| bad()),
            "a" => u16::try_from(n - 1)
                .map(NodeId::Acceptor)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

/// A message in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Envelope {
    pub src: NodeId,
    pub dst: NodeId,
    pub msg: Msg,
}

/// One step of an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// The message arrives and its destination handles it.
    Deliver(Envelope),
    /// The network loses the message.
    Drop(Envelope),
    /// The network delivers the message twice: a second copy goes in flight.
    Duplicate(Envelope),
    /// The node stops; a proposer loses its volatile state.
    Crash(NodeId),
    /// The node comes back; an acceptor with the state it had.
    Restart(NodeId),
    /// A proposer gives up on its ballot and starts a higher one.
    Timeout(u8),
}

impl Event {
    /// The event's kind as a word: `deliver`, `drop`, `duplicate`, `crash`, `restart`, `timeout`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Deliver(_) => "deliver",
            Event::Drop(_) => "drop",
            Event::Duplicate(_) => "duplicate",
            Event::Crash(_) => "crash",
            Event::Restart(_) => "restart",
            Event::Timeout(_) => "timeout",
        }
    }

    /// Whether this event is a fault (anything but a delivery or a timeout).
    pub fn is_fault(&self) -> bool {
        !matches!(self, Event::Deliver(_) | Event::Timeout(_))
    }
}

fn write_msg(f: &mut fmt::Formatter<'_>, msg: &Msg) -> fmt::Result {
    match *msg {
        Msg::Prepare { ballot } => write!(f, "prepare {}", ballot.sim_label()),
        Msg::Promise { ballot, accepted } => {
            write!(f, "promise {}", ballot.sim_label())?;
            if let Some((b, v)) = accepted {
                write!(f, " voted {}={}", b.sim_label(), v)?;
            }
            Ok(())
        }
        Msg::Accept { ballot, value } => write!(f, "accept {} {}", ballot.sim_label(), value),
        Msg::Accepted { ballot, value } => write!(f, "accepted {} {}", ballot.sim_label(), value),
        Msg::Nack { ballot, promised } => write!(
            f,
            "nack {} promised {}",
            ballot.sim_label(),
            promised.sim_label()
        ),
    }
}

impl fmt::Display for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}->{} ", self.src, self.dst)?;
        write_msg(f, &self.msg)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Deliver(e) | Event::Drop(e) | Event::Duplicate(e) => {
                write!(f, "{} {}", self.kind(), e)
            }
            Event::Crash(n) | Event::Restart(n) => write!(f, "{} {}", self.kind(), n),
            Event::Timeout(p) => write!(f, "timeout {}", NodeId::Proposer(*p)),
        }
    }
}

fn parse_ballot(s: &str) -> Result<Ballot, String> {
    let bad = || format!("'{s}' is not a ballot (round.proposer, like 2.1)");
    let (round, slot) = s.split_once('.').ok_or_else(bad)?;
    let round: u64 = round.parse().map_err(|_| bad())?;
    let slot: u8 = slot.parse().map_err(|_| bad())?;
    // Every ballot `Ballot::new` can make, so every file written loads.
    if slot >= 16 || round >= Ballot::MAX_ROUND {
        return Err(bad());
    }
    Ok(Ballot::new(round, slot))
}

fn parse_value(s: &str) -> Result<Value, String> {
    s.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .map(Value)
        .ok_or_else(|| format!("'{s}' is not a value (v1, v2, ...)"))
}

fn parse_msg(words: &[&str]) -> Result<Msg, String> {
    let msg = match words {
        ["prepare", b] => Msg::Prepare {
            ballot: parse_ballot(b)?,
        },
        ["promise", b] => Msg::Promise {
            ballot: parse_ballot(b)?,
            accepted: None,
        },
        ["promise", b, "voted", vote] => {
            let (vb, vv) = vote
                .split_once('=')
                .ok_or_else(|| format!("'{vote}' is not a vote (ballot=value)"))?;
            Msg::Promise {
                ballot: parse_ballot(b)?,
                accepted: Some((parse_ballot(vb)?, parse_value(vv)?)),
            }
        }
        ["accept", b, v] => Msg::Accept {
            ballot: parse_ballot(b)?,
            value: parse_value(v)?,
        },
        ["accepted", b, v] => Msg::Accepted {
            ballot: parse_ballot(b)?,
            value: parse_value(v)?,
        },
        ["nack", b, "promised", p] => Msg::Nack {
            ballot: parse_ballot(b)?,
            promised: parse_ballot(p)?,
        },
        _ => return Err(format!("'{}' is not a message", words.join(" "))),
    };
    Ok(msg)
}

impl FromStr for Event {
    type Err = String;

    fn from_str(line: &str) -> Result<Event, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let envelope = |rest: &[&str]| -> Result<Envelope, String> {
            let (route, msg) = rest
                .split_first()
                .ok_or_else(|| format!("'{line}': missing src->dst"))?;
            let (src, dst) = route
                .split_once("->")
                .ok_or_else(|| format!("'{route}' is not src->dst"))?;
            Ok(Envelope {
                src: src.parse()?,
                dst: dst.parse()?,
                msg: parse_msg(msg)?,
            })
        };
        match words.as_slice() {
            ["deliver", rest @ ..] => Ok(Event::Deliver(envelope(rest)?)),
            ["drop", rest @ ..] => Ok(Event::Drop(envelope(rest)?)),
            ["duplicate", rest @ ..] => Ok(Event::Duplicate(envelope(rest)?)),
            ["crash", n] => Ok(Event::Crash(n.parse()?)),
            ["restart", n] => Ok(Event::Restart(n.parse()?)),
            ["timeout", n] => match n.parse()? {
                NodeId::Proposer(p) => Ok(Event::Timeout(p)),
                NodeId::Acceptor(_) => Err(format!("'{line}': only proposers time out")),
            },
            _ => Err(format!(
                "'{line}' is not an event (deliver, drop, duplicate, crash, restart, timeout)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_shape_round_trips_through_text() {
        let lines = [
            "timeout p1",
            "deliver p1->a2 prepare 1.1",
            "deliver a2->p1 promise 1.1",
            "deliver a2->p1 promise 2.1 voted 1.2=v2",
            "drop p1->a3 accept 2.1 v2",
            "duplicate a3->p1 accepted 2.1 v2",
            "deliver a1->p2 nack 1.2 promised 2.1",
            "crash a1",
            "restart p2",
        ];
        for line in lines {
            let e: Event = line.parse().unwrap();
            assert_eq!(e.to_string(), line);
        }
    }

    #[test]
    fn bad_event_text_says_what_is_wrong() {
        assert!("fly p1"
            .parse::<Event>()
            .unwrap_err()
            .contains("not an event"));
        assert!("timeout a1"
            .parse::<Event>()
            .unwrap_err()
            .contains("only proposers"));
        assert!("crash p0"
            .parse::<Event>()
            .unwrap_err()
            .contains("not a node"));
        assert!("deliver p1->a1 prepare x"
            .parse::<Event>()
            .unwrap_err()
            .contains("not a ballot"));
        assert!("deliver p1->a1 prepare 1152921504606846976.1"
            .parse::<Event>()
            .unwrap_err()
            .contains("not a ballot"));
    }

    /// Every ballot a role can make writes as text that reads back: a counterexample file
    /// of roles with huge rounds loads.
    #[test]
    fn the_largest_ballots_round_trip_through_text() {
        let top = Ballot::MAX_ROUND - 1;
        for ballot in [
            Ballot::new(top, 1),
            Ballot::new(top, 15),
            Ballot::new(1 << 59, 2),
        ] {
            let line = format!("deliver p1->a2 prepare {}", ballot.sim_label());
            let e: Event = line.parse().unwrap();
            assert_eq!(e.to_string(), line);
            assert!(matches!(e, Event::Deliver(env) if env.msg.ballot() == ballot));
        }
    }
}
