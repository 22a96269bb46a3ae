//! `paxos-safety merge`: adds up the `--json` summaries of a sharded campaign.
//!
//! Shards of one campaign (same seed, same config, same `--runs`, `--shard 1/N` ..
//! `--shard N/N`) are disjoint and together are exactly the unsharded campaign, so their
//! counts add, `elapsed_s` is the slowest shard's, and the first violation is the one with
//! the lowest execution index. The merged object has the shape of one `fuzz --json`
//! summary, plus `shards_merged` and `complete` (every shard 1..N present once).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value as Json};

use super::{usage_error, EXIT_SAFE, EXIT_VACUOUS, EXIT_VIOLATION};
use crate::campaign::Settling;
use crate::execution::Coverage;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    for k in 1 2 3 4; do paxos-safety fuzz --seed 9 --runs 4000000 --shard $k/4 --json > shard-$k.out; done\n  \
    paxos-safety merge shard-*.out\n\n\
    Each file may be the whole stdout of `fuzz --json`: its last line is the summary.\n\
    Exit status: 0 no violation and every shard present, 1 a violation, 2 bad input or\n\
    shards missing (unless --allow-incomplete), 3 vacuous: the shards together never chose\n\
    a value or never saw one learned (unless --allow-vacuous).")]
pub struct MergeArgs {
    /// Summary files (the stdout of `fuzz --json`); `-` reads one from stdin
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Exit 0 even when some shards are missing (a violation still exits 1)
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Exit 0 even when no execution of any shard chose a value or saw one learned
    #[arg(long)]
    pub allow_vacuous: bool,
}

/// Integer fields that describe the campaign rather than count its executions.
const NOT_SUMMED: [&str; 3] = ["seed", "jobs", "campaign_runs"];

/// Summary files over this size are refused: a summary is one line of about 2 KB.
const MAX_SUMMARY_BYTES: u64 = 16 << 20;

fn read_summary(path: &PathBuf) -> Result<Map<String, Json>, String> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        s
    } else {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > MAX_SUMMARY_BYTES {
            return Err(format!("{}: too large for a summary", path.display()));
        }
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    match serde_json::from_str(last) {
        Ok(Json::Object(m)) => Ok(m),
        _ => Err(format!(
            "{}: the last line is not a `fuzz --json` summary",
            path.display()
        )),
    }
}

fn shard_of(m: &Map<String, Json>) -> Option<(u64, u64)> {
    let s = m.get("shard")?.as_str()?;
    crate::campaign::parse_shard(s).ok()
}

/// Merges summaries; the error says which file does not fit.
pub fn merge(summaries: &[(String, Map<String, Json>)]) -> Result<Map<String, Json>, String> {
    let (first_name, first) = summaries.first().ok_or("no summaries")?;
    let n = shard_of(first)
        .ok_or_else(|| format!("{first_name}: no valid \"shard\" field"))?
        .1;
    let mut seen = vec![false; n as usize];
    let mut out = first.clone();
    for key in out.clone().keys() {
        if out[key].is_u64() && !NOT_SUMMED.contains(&key.as_str()) {
            out.insert(key.clone(), Json::from(0u64));
        }
    }
    let mut elapsed: f64 = 0.0;
    let mut first_violation = Json::Null;
    let mut timed_out = false;
    // A shard stopped by Ctrl-C ran only part of its slice: the merge is not complete.
    let mut interrupted = false;
    for (name, m) in summaries {
        for key in [
            "seed",
            "config",
            "campaign_runs",
            "shape_drawn",
            "acceptor_cmd",
            "acceptor_crash",
        ] {
            if m.get(key) != first.get(key) {
                return Err(format!(
                    "{name}: \"{key}\" differs from {first_name}'s: not the same campaign"
                ));
            }
        }
        let (k, n_here) = shard_of(m).ok_or_else(|| format!("{name}: no valid \"shard\" field"))?;
        if n_here != n {
            return Err(format!("{name}: shard {k}/{n_here} is not one of {n}"));
        }
        if std::mem::replace(&mut seen[(k - 1) as usize], true) {
            return Err(format!("{name}: shard {k}/{n} appears twice"));
        }
        for (key, value) in m {
            if let (Some(v), Some(Json::Number(acc))) = (value.as_u64(), out.get(key)) {
                if !NOT_SUMMED.contains(&key.as_str()) {
                    let sum = acc.as_u64().unwrap_or(0).saturating_add(v);
                    out.insert(key.clone(), Json::from(sum));
                }
            }
        }
        elapsed = elapsed.max(m.get("elapsed_s").and_then(Json::as_f64).unwrap_or(0.0));
        timed_out |= m.get("timed_out").and_then(Json::as_bool).unwrap_or(false);
        interrupted |= m
            .get("interrupted")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        if let Some(fv) = m.get("first_violation").filter(|v| !v.is_null()) {
            let index = |v: &Json| v.get("index").and_then(Json::as_u64).unwrap_or(u64::MAX);
            if first_violation.is_null() || index(fv) < index(&first_violation) {
                first_violation = fv.clone();
            }
        }
    }
    out.insert("elapsed_s".into(), Json::from(elapsed));
    out.insert("timed_out".into(), Json::from(timed_out));
    out.insert("shard".into(), Json::from(format!("merged/{n}")));
    out.insert("shards_merged".into(), Json::from(summaries.len() as u64));
    let missing: Vec<Json> = (1..=n)
        .filter(|k| !seen[(k - 1) as usize])
        .map(|k| Json::from(format!("{k}/{n}")))
        .collect();
    out.insert("missing_shards".into(), Json::Array(missing));
    out.insert("interrupted".into(), Json::from(interrupted));
    out.insert(
        "complete".into(),
        Json::from(seen.iter().all(|&s| s) && !interrupted),
    );
    // Never-exercised marks are those still at zero after the sum.
    let never: Vec<Json> = out
        .iter()
        .filter(|(k, v)| Coverage::NAMED.iter().any(|(name, _)| name == k) && v.as_u64() == Some(0))
        .map(|(k, _)| Json::from(k.clone()))
        .collect();
    out.insert("never_exercised".into(), Json::Array(never));
    // Vacuity is judged on the sums, as `Counts::vacuity` judges one campaign.
    let count = |k: &str| out.get(k).and_then(Json::as_u64).unwrap_or(0);
    let vacuous: Vec<Json> = [
        ("runs", "no execution ran"),
        ("chosen_runs", "no execution chose a value"),
        ("decided_runs", "no proposer ever learned a value"),
    ]
    .iter()
    .filter(|(k, _)| count(k) == 0)
    .map(|(_, what)| Json::from(*what))
    .chain(
        // Per quorum kind only when something was chosen at all, as in one campaign.
        (count("chosen_runs") > 0)
            .then(|| {
                crate::campaign::quorum_vacuity(
                    count("runs").saturating_sub(count("flexible_runs")),
                    count("chosen_runs").saturating_sub(count("flexible_chosen_runs")),
                    count("flexible_runs"),
                    count("flexible_chosen_runs"),
                )
            })
            .into_iter()
            .flatten()
            .map(Json::from),
    )
    .collect();
    out.insert("vacuous".into(), Json::Array(vacuous));
    out.insert("first_violation".into(), first_violation);
    out.insert("liveness".into(), merge_liveness(summaries)?);
    Ok(out)
}

/// The shards' `liveness` objects merged: their counts and histograms added, and the
/// distribution computed again from the merged histogram (a median of medians would be
/// no median). Null when the campaign did not run in liveness mode.
fn merge_liveness(summaries: &[(String, Map<String, Json>)]) -> Result<Json, String> {
    let (first_name, first) = &summaries[0];
    let Some(live) = first.get("liveness").filter(|l| !l.is_null()) else {
        for (name, m) in summaries {
            if m.get("liveness").is_some_and(|l| !l.is_null()) {
                return Err(format!(
                    "{name}: ran in liveness mode and {first_name} did not: not the same campaign"
                ));
            }
        }
        return Ok(Json::Null);
    };
    let mut healed = 0u64;
    let mut histogram = std::collections::BTreeMap::<u32, u64>::new();
    for (name, m) in summaries {
        let l = m.get("liveness").filter(|l| l.is_object()).ok_or_else(|| {
            format!("{name}: no liveness object, and {first_name} has one: not the same campaign")
        })?;
        for key in ["proposer_strategy", "bound", "stabilise_at"] {
            if l.get(key) != live.get(key) {
                return Err(format!(
                    "{name}: liveness \"{key}\" differs from {first_name}'s: not the same campaign"
                ));
            }
        }
        healed += l.get("healed_runs").and_then(Json::as_u64).unwrap_or(0);
        let shard = l
            .get("settle_steps_histogram")
            .and_then(Json::as_object)
            .ok_or_else(|| {
                format!(
                    "{name}: its liveness object has no settle_steps_histogram (written by an \
                     older version): run the shard again"
                )
            })?;
        for (steps, runs) in shard {
            let (Ok(steps), Some(runs)) = (steps.parse::<u32>(), runs.as_u64()) else {
                return Err(format!(
                    "{name}: settle_steps_histogram entry {steps:?}: {runs} is not steps: runs"
                ));
            };
            let slot = histogram.entry(steps).or_default();
            *slot = slot.saturating_add(runs);
        }
    }
    let s = Settling::of(&histogram);
    let mut out = live.as_object().cloned().unwrap_or_default();
    out.insert("healed_runs".into(), Json::from(healed));
    out.insert("settled_runs".into(), Json::from(s.map_or(0, |s| s.runs)));
    out.insert("settle_steps_median".into(), json_opt(s.map(|s| s.median)));
    out.insert("settle_steps_p99".into(), json_opt(s.map(|s| s.p99)));
    out.insert("settle_steps_max".into(), json_opt(s.map(|s| s.max)));
    out.insert(
        "settle_steps_histogram".into(),
        serde_json::to_value(&histogram).map_err(|e| e.to_string())?,
    );
    Ok(Json::Object(out))
}

/// The merged liveness figures in words, as `fuzz` prints them for one campaign.
fn liveness_line(l: &Json) -> Option<String> {
    let n = |k: &str| l.get(k).and_then(Json::as_u64);
    let step = |k: &str| n(k).and_then(|x| u32::try_from(x).ok());
    let settling = match (
        step("settle_steps_median"),
        step("settle_steps_p99"),
        step("settle_steps_max"),
    ) {
        (Some(median), Some(p99), Some(max)) => Some(Settling {
            runs: n("settled_runs")?,
            median,
            p99,
            max,
        }),
        _ => None,
    };
    Some(super::fuzz::liveness_words(
        l.get("proposer_strategy")?.as_str()?,
        n("bound")?,
        n("healed_runs")?,
        settling,
    ))
}

fn json_opt(x: Option<u32>) -> Json {
    x.map_or(Json::Null, Json::from)
}

pub fn run(args: MergeArgs) -> ExitCode {
    let mut summaries = Vec::new();
    for path in &args.files {
        match read_summary(path) {
            Ok(m) => summaries.push((path.display().to_string(), m)),
            Err(e) => return usage_error(&e),
        }
    }
    match merge(&summaries) {
        Ok(m) => {
            let violations = m.get("violations").and_then(Json::as_u64).unwrap_or(0);
            let complete = m.get("complete") == Some(&Json::Bool(true));
            let missing: Vec<&str> = m
                .get("missing_shards")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            let missing = missing.join(", ");
            // The verdict in words first; the merged summary stays the last line for tools.
            crate::say!("{}", verdict(&m, &missing));
            if let Some(line) = m.get("liveness").and_then(liveness_line) {
                crate::say!("{line}");
            }
            crate::say!("{}", Json::Object(m.clone()));
            let vacuous = m
                .get("vacuous")
                .and_then(Json::as_array)
                .is_some_and(|v| !v.is_empty());
            if violations > 0 {
                ExitCode::from(EXIT_VIOLATION)
            } else if !complete && !args.allow_incomplete {
                // A lost shard must not pass for a clean campaign.
                let why = if missing.is_empty() {
                    "a shard was interrupted by Ctrl-C".to_string()
                } else {
                    format!("missing shard {missing}")
                };
                usage_error(&format!(
                    "the merge is incomplete ({why}; \"complete\": false): pass \
                     --allow-incomplete to accept a partial merge"
                ))
            } else if vacuous && !args.allow_vacuous {
                crate::warn!("error: vacuous: the merged campaign never chose a value or never saw one learned (see \"vacuous\")");
                ExitCode::from(EXIT_VACUOUS)
            } else {
                ExitCode::from(EXIT_SAFE)
            }
        }
        Err(e) => usage_error(&e),
    }
}

/// The merged verdict in one line of words, as `fuzz` ends its own output.
fn verdict(m: &Map<String, Json>, missing: &str) -> String {
    let num = |k: &str| m.get(k).and_then(Json::as_u64).unwrap_or(0);
    let (runs, violations) = (num("runs"), num("violations"));
    let shards = format!(
        "{} shard(s) merged",
        m.get("shards_merged").and_then(Json::as_u64).unwrap_or(0)
    );
    let mut line = if violations == 0 {
        format!("verdict: no violation in {runs} runs ({shards})")
    } else {
        let first = m.get("first_violation");
        let field = |k: &str| first.and_then(|f| f.get(k)).cloned().unwrap_or(Json::Null);
        format!(
            "verdict: {violations} violation(s) in {runs} runs ({shards}); the first, execution {} \
             (execution seed {}): {}",
            field("index"),
            field("seed"),
            field("explanation").as_str().unwrap_or("?")
        )
    };
    if !missing.is_empty() {
        line += &format!("; INCOMPLETE: missing shard {missing}");
    } else if m.get("interrupted") == Some(&Json::Bool(true)) {
        line += "; INCOMPLETE: a shard was interrupted by Ctrl-C";
    }
    line
}
