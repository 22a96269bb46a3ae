//! `paxos-safety explore --liveness`: the lasso search of [`crate::explore::lasso`] on the
//! command line, with the lasso rendered in text, JSON or Mermaid and its cycle marked.

use super::status::{Shown, StatusLine};
use std::process::ExitCode;

use serde_json::json;

use super::{EXIT_SAFE, EXIT_USAGE, EXIT_VIOLATION};
use crate::config::Config;
use crate::event::Event;
use crate::execution::Ending;
use crate::explore::lasso::{healed_limits, search_watched, Bounds, Lasso, LassoReport};
use crate::profile::{Profile, Rates};
use crate::render::{Format, Trace};

/// Renamed states the lasso search expands before it stops, unless told otherwise: about
/// 370 MB of structures per million (300 resident), well inside the default --max-memory
/// of 4 GiB. Three acceptors and two eager proposers prove their shortest duel
/// after 1.07 million; their whole quotient has 15.3 million.
pub const DEFAULT_MAX_STATES: u64 = 4_000_000;

/// Runs the search for `config`'s cluster and strategy within `bounds`, and prints the
/// verdict; `format` renders the lasso when one is found.
pub fn run(config: &Config, bounds: Bounds, json: bool, shown: Shown, format: Format) -> ExitCode {
    if config.bug.is_some() {
        return super::usage_error(
            "explore --liveness checks the correct protocol; --bug is for safety",
        );
    }
    let duel = bounds.duel;
    crate::interrupt::install();
    #[allow(clippy::disallowed_methods)] // the elapsed time is reported; it shapes nothing
    let start = std::time::Instant::now();
    let line = StatusLine::new("explore --liveness", shown);
    let report = search_watched(config, bounds, &mut |s| {
        line.show(|secs| {
            format!(
                "depth {:>4} {:>10} states {:>6.0}k/s {:>6.0} MiB",
                s.depth,
                s.states,
                s.states as f64 / secs / 1000.0,
                super::mib(s.bytes)
            )
        });
    });
    line.clear();
    let secs = start.elapsed().as_secs_f64();
    crate::say!(
        "explore --liveness {}{} (strategy {}): {} renamed states, {} transitions, {:.2} s",
        config.cluster_args(),
        if duel { " --duel-order" } else { "" },
        config.proposer_strategy,
        report.states,
        report.transitions,
        secs
    );
    let rss = super::explore::peak_rss_mib();
    crate::say!(
        "memory: {:.1} MiB of search structures at peak ({:.0} bytes per state){}",
        super::mib(report.peak_bytes),
        bytes_per_state(&report),
        // Below the structures' figure when vectors have grown into capacity not yet
        // touched: that figure counts what was asked of the allocator.
        rss.map_or(String::new(), |m| format!(", {m:.1} MiB peak resident"))
    );
    if let Some(l) = &report.limit {
        crate::say!("limit hit: {l}: the search is incomplete");
    }
    let rendered = match report.lasso.as_ref().map(|l| render(config, l, format)) {
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => {
            crate::warn!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
        None => None,
    };
    match (&report.lasso, &rendered) {
        (Some(l), Some(text)) => {
            crate::say!(
                "LASSO: a reachable cycle after the network healed on which the proposers never \
                 all learn a value, every message delivered: prefix {} events, cycle {} events",
                l.prefix.len(),
                l.cycle.len()
            );
            if report.shortest {
                crate::say!(
                    "the shortest lasso there is: every state within {} steps of the start was \
                     expanded",
                    l.prefix.len() + l.cycle.len() - 1
                );
            } else {
                crate::say!("the shortest among the states expanded, not proved the shortest");
            }
            if !json {
                crate::say!("{}", text.trim_end_matches('\n'));
            }
        }
        _ if report.complete => crate::say!(
            "no lasso: every reachable state was expanded, and every fair cycle lets the \
             proposers learn a value (proved for this cluster with ballots and acceptors renamed)"
        ),
        _ if duel && report.limit.is_none() => crate::say!(
            "no lasso among the duelling order's schedules (not a proof: run without \
             --duel-order for one)"
        ),
        _ => crate::say!(
            "no lasso found within the limits{}",
            if duel {
                ""
            } else {
                "; --duel-order searches the schedules duels take, which fit"
            }
        ),
    }
    if json {
        crate::say!(
            "{}",
            summary_json(config, duel, &report, secs, rss, rendered.as_deref())
        );
    }
    if report.lasso.is_some() {
        ExitCode::from(EXIT_VIOLATION)
    } else if crate::interrupt::requested() {
        ExitCode::from(crate::interrupt::EXIT_INTERRUPTED)
    } else {
        // A limit hit without a lasso is reported above as incomplete, as `explore` does.
        ExitCode::from(EXIT_SAFE)
    }
}

fn bytes_per_state(report: &LassoReport) -> f64 {
    report.peak_bytes as f64 / report.states.max(1) as f64
}

fn summary_json(
    config: &Config,
    duel: bool,
    report: &LassoReport,
    secs: f64,
    rss: Option<f64>,
    rendered: Option<&str>,
) -> serde_json::Value {
    let lasso = report.lasso.as_ref().map(|l| {
        json!({
            "prefix": l.prefix.iter().map(Event::to_string).collect::<Vec<_>>(),
            "cycle": l.cycle.iter().map(Event::to_string).collect::<Vec<_>>(),
            "prefix_len": l.prefix.len(),
            "cycle_len": l.cycle.len(),
            "rendered": rendered,
        })
    });
    json!({
        "proposer_strategy": config.proposer_strategy.name(),
        "acceptors": config.acceptors,
        "proposers": config.proposers,
        "states": report.states,
        "transitions": report.transitions,
        "complete": report.complete,
        "shortest": report.shortest,
        "duel_order": duel,
        "limit": report.limit,
        "peak_bytes": report.peak_bytes,
        "bytes_per_state": (bytes_per_state(report) * 10.0).round() / 10.0,
        "peak_rss_mib": rss,
        "elapsed_s": (secs * 1000.0).round() / 1000.0,
        "lasso": lasso,
    })
}

/// The lasso as a trace of its prefix and one lap of its cycle, the cycle marked.
pub fn render(config: &Config, lasso: &Lasso, format: Format) -> Result<String, String> {
    let events: Vec<Event> = lasso.prefix.iter().chain(&lasso.cycle).copied().collect();
    let profile = Profile {
        rates: Rates::NONE,
        limits: healed_limits(config),
    };
    let config = Config {
        liveness: None,
        ..*config
    };
    let trace = Trace::restep(&config, &profile, None, &events, Ending::ScheduleEnd)?;
    let out = trace.render(format);
    let k = lasso.prefix.len() + 1;
    let mark = |line: &str| match format {
        Format::Text => format!(
            "# ---- the cycle starts here (steps {k}..{}); after it the state is the one \
             before it, up to renaming ballots and acceptors: it repeats forever ----\n{line}",
            events.len()
        ),
        Format::Mermaid => format!(
            "    Note over p1: the cycle starts (steps {k}..{}), and repeats forever up to \
             renaming\n{line}",
            events.len()
        ),
        Format::Json => line.to_string(),
    };
    let mut lines: Vec<String> = Vec::new();
    let mut marked = false;
    for line in out.lines() {
        let starts = match format {
            Format::Text => line
                .get(3..)
                .is_some_and(|rest| rest.trim_start().starts_with(&format!("{k} "))),
            Format::Mermaid => line.contains(&format!(": {k}. ")),
            Format::Json => false,
        };
        if starts && !marked {
            lines.push(mark(line));
            marked = true;
        } else {
            lines.push(line.to_string());
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    if format == Format::Json {
        // JSON lines: each step says whether it is on the cycle, and a last object says
        // where the cycle starts.
        let mut out = String::new();
        for line in text.lines() {
            let mut v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("internal error: {e}"))?;
            if v["type"] == "step" {
                let on = v["step"].as_u64().is_some_and(|n| n >= k as u64);
                v["in_cycle"] = json!(on);
            }
            out += &format!("{v}\n");
        }
        out += &format!(
            "{}\n",
            json!({"type": "lasso", "cycle_starts_at_step": k, "cycle_len": lasso.cycle.len()})
        );
        text = out;
    }
    Ok(text)
}
