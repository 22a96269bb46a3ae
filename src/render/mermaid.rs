//! The Mermaid rendering: a `sequenceDiagram` that GitHub renders as is, for putting a
//! counterexample in an issue or a README.
//!
//! Proposers `p1..pP` and acceptors `a1..aA` are the participants. Every delivered message
//! is an arrow labelled with its step number (`p1->>a2: 2. prepare 1.1`); a dropped message
//! is a cross arrow (`p1-xa3: 4. drop prepare 1.1`); a duplicate, a crash, a restart and a
//! timeout are notes over the nodes concerned. The moments that matter for safety get notes
//! of their own: a proposal (with where its value came from), a decision, the value becoming
//! chosen. The violating step sits in a red `rect` with the broken invariant explained.
//!
//! Messages that are only *sent* have no arrow of their own: Paxos broadcasts, and an arrow
//! per send would double the diagram while saying less than the delivery does.
//!
//! **What Mermaid treats specially.** A label runs from the first `:` to the end of the line,
//! but `;` ends a statement and `#` starts an entity code (`#59;`), `%%` starts a comment and
//! `<...>` is HTML to Mermaid's sanitiser. The phrases rendered here avoid all of them by
//! construction; [`label`] still encodes any that slip in as entity codes, so a future
//! wording cannot break a diagram. Long notes are wrapped with `<br/>`, the one piece of
//! HTML emitted, because Mermaid does not wrap notes and one long line makes the whole
//! diagram wide.

use std::fmt::Write as _;

use super::{Change, Step, Trace};
use crate::checker::Invariant;
use crate::event::{Envelope, Event, NodeId};

/// Notes wrap at about this many characters.
const NOTE_WIDTH: usize = 60;

/// The background of the violating step: a light red that reads on light and dark themes.
const VIOLATION_FILL: &str = "rgb(255, 221, 221)";

/// The first line of every diagram: Mermaid sizes a note's box by measuring its text in the
/// configured font, and its default list (`"trebuchet ms", verdana, arial`) is measured and
/// drawn in different fonts where Trebuchet and Verdana are missing (Linux, headless
/// Chromium), so the text ran out of its box. Naming fonts every system has or maps keeps
/// the measurement and the drawing in the same font (`tests/suite/browser.rs` checks it).
pub const FONT_DIRECTIVE: &str = r#"%%{init: {"fontFamily": "arial, sans-serif"}}%%"#;

/// Renders `trace` as a Mermaid sequence diagram; the result ends with a newline.
pub fn render(trace: &Trace) -> String {
    let mut out = format!("{FONT_DIRECTIVE}\nsequenceDiagram\n");
    let proposers = trace.config.proposers;
    let acceptors = trace.config.acceptors;
    for p in 0..proposers {
        let _ = writeln!(out, "    participant {}", NodeId::Proposer(p));
    }
    for a in 0..acceptors {
        let _ = writeln!(out, "    participant {}", NodeId::Acceptor(a));
    }
    let everyone = span(NodeId::Proposer(0), NodeId::Acceptor(acceptors - 1));
    let all_acceptors = span(NodeId::Acceptor(0), NodeId::Acceptor(acceptors - 1));
    let proto = trace.config.protocol();
    let quorums_meet = proto.effective_q1() + proto.effective_q2() > usize::from(acceptors);
    for step in &trace.steps {
        let indent = if step.violation.is_some() {
            let _ = writeln!(out, "    rect {VIOLATION_FILL}");
            "        "
        } else {
            "    "
        };
        for line in step_lines(step, &all_acceptors, acceptors, quorums_meet) {
            let _ = writeln!(out, "{indent}{line}");
        }
        if let Some(v) = &step.violation {
            let mut text = format!("!! step {}: {}", step.number, Trace::explain(v));
            // Where the harness knows what went wrong (the process went silent, exited,
            // or wrote garbage; a role panicked), that is the finding: the sentence alone
            // says only that something did. A reply line that broke a rule stays out:
            // the arrows show the reply, and its JSON would swamp the note.
            if let (Invariant::AcceptorProtocol | Invariant::NoPanic, Some(d)) =
                (v.invariant, &trace.detail)
            {
                text += "; ";
                text += d;
            }
            let _ = writeln!(out, "{indent}Note over {everyone}: {}", wrap(&text));
            let _ = writeln!(out, "    end");
        }
    }
    out
}

/// `a1` or `a1,a3`: the participants a note spans.
fn span(first: NodeId, last: NodeId) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first},{last}")
    }
}

/// The message part of an envelope: `prepare 1.1` out of `p1->a2 prepare 1.1` (the arrow
/// already shows who sends to whom).
fn message(env: &Envelope) -> String {
    let full = env.to_string();
    match full.split_once(' ') {
        Some((_, msg)) => msg.to_string(),
        None => full,
    }
}

/// The statements of one step, without indentation. `quorums_meet` says whether every
/// phase-1 quorum the proposers use meets every phase-2 quorum, as Paxos needs.
fn step_lines(step: &Step, all_acceptors: &str, acceptors: u16, quorums_meet: bool) -> Vec<String> {
    let n = step.number;
    let mut lines = Vec::new();
    match step.event {
        Event::Deliver(env) => {
            lines.push(format!(
                "{}->>{}: {}",
                env.src,
                env.dst,
                label(&format!("{n}. {}", message(&env)))
            ));
        }
        Event::Drop(env) => {
            lines.push(format!(
                "{}-x{}: {}",
                env.src,
                env.dst,
                label(&format!("{n}. drop {}", message(&env)))
            ));
        }
        Event::Duplicate(env) => {
            let text = format!(
                "{n}. duplicate {}, a second copy is in flight",
                message(&env)
            );
            lines.push(format!(
                "Note over {}: {}",
                span(env.src, env.dst),
                wrap(&text)
            ));
        }
        Event::Crash(who) | Event::Restart(who) => lines.push(node_note(step, who)),
        Event::Timeout(p) => lines.push(node_note(step, NodeId::Proposer(p))),
    }
    for change in &step.changes {
        let over = match *change {
            Change::Proposed { proposer, .. } | Change::Decided { proposer, .. } => {
                NodeId::Proposer(proposer).to_string()
            }
            Change::Chosen { .. } => all_acceptors.to_string(),
            // A count that breaks the rules is the cause of what follows, so it gets a
            // note at the step it happens: a promise counted twice, a promise or a vote
            // for another ballot counted toward this one.
            Change::PromiseCounted {
                proposer,
                ballot,
                promise,
                again,
                ..
            } if again || promise != ballot => NodeId::Proposer(proposer).to_string(),
            Change::VoteCounted {
                proposer,
                ballot,
                vote,
                ..
            } if vote != ballot => NodeId::Proposer(proposer).to_string(),
            // Likewise a vote below the acceptor's promise, or one that leaves its promise
            // below the vote.
            Change::Voted {
                acceptor,
                ballot,
                promised,
                kept,
                ..
            } if promised.is_some_and(|p| ballot < p) || kept.is_none_or(|k| ballot > k) => {
                NodeId::Acceptor(acceptor).to_string()
            }
            // Quorums that need not meet (too small, or flexible ones with q1 + q2 <= A):
            // the count that reaches one is where two decisions can part ways.
            Change::PromiseCounted {
                proposer,
                count,
                quorum,
                ..
            }
            | Change::VoteCounted {
                proposer,
                count,
                quorum,
                ..
            } if count == quorum && !quorums_meet => {
                let text = format!(
                    "{} (a quorum of {quorum} of {} acceptors: {})",
                    change.text(),
                    acceptors,
                    "two such quorums need not meet"
                );
                lines.push(format!(
                    "Note over {}: {}",
                    NodeId::Proposer(proposer),
                    wrap(&text)
                ));
                continue;
            }
            // Ordinary promises, votes and counts show in the arrows that follow, and the
            // changes of crash, restart and timeout steps are in the step's own note; the
            // text rendering lists them all.
            _ => continue,
        };
        lines.push(format!("Note over {over}: {}", wrap(&change.text())));
    }
    lines
}

/// The note of a crash, restart or timeout step, over its node: what it changed there
/// (each of those changes names the event), or the bare event if nothing changed.
fn node_note(step: &Step, who: NodeId) -> String {
    let said: Vec<String> = step
        .changes
        .iter()
        .filter(|c| own_note(c))
        .map(Change::text)
        .collect();
    let what = if said.is_empty() {
        step.event.to_string()
    } else {
        said.join(", ")
    };
    format!(
        "Note over {who}: {}",
        wrap(&format!("{}. {what}", step.number))
    )
}

/// Whether a change belongs in the note of the step that caused it (crash, restart and
/// timeout steps describe their node's change in the step's own note).
fn own_note(change: &Change) -> bool {
    matches!(
        change,
        Change::Started { .. }
            | Change::AcceptorCrashed { .. }
            | Change::ProposerCrashed { .. }
            | Change::AcceptorRestarted { .. }
            | Change::ProposerRestarted { .. }
    )
}

/// `text` made safe for a Mermaid label: the characters Mermaid's lexer or its HTML
/// sanitiser would act on become entity codes, which Mermaid decodes for display.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '"' => out.push_str("#quot;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// [`label`], with `<br/>` between lines of about [`NOTE_WIDTH`] characters, broken at
/// spaces (a word longer than the width gets a line of its own).
fn wrap(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.len() + 1 + word.len() > NOTE_WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
        .iter()
        .map(|l| label(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_encode_what_mermaid_would_act_on() {
        assert_eq!(label("a; b # c"), "a#59; b #35; c");
        assert_eq!(label("x --> y <z>"), "x --#gt; y #lt;z#gt;");
        assert_eq!(label("100% {\"`&"), "100#37; #123;#quot;#96;#amp;");
        assert_eq!(
            label("prepare 1.0 (a1, v1) = ok!"),
            "prepare 1.0 (a1, v1) = ok!"
        );
    }

    #[test]
    fn long_notes_wrap_at_spaces() {
        let text = "word ".repeat(30);
        let wrapped = wrap(&text);
        let lines: Vec<&str> = wrapped.split("<br/>").collect();
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| l.len() <= NOTE_WIDTH && !l.starts_with(' ')));
        assert_eq!(lines.join(" "), text.trim_end());
        assert_eq!(wrap("short; note"), "short#59; note");
    }
}
