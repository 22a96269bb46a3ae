//! The command line as a user meets it: exit codes, the JSON summary, determinism of the
//! output, the seed banner's replay command, shards and their merge, usage errors.

use std::process::{Command, Output};

use serde_json::Value as Json;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paxos-safety"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn last_json(o: &Output) -> Json {
    let out = stdout(o);
    serde_json::from_str(out.lines().last().expect("a last line")).expect("JSON on the last line")
}

/// The output without the lines and fields that carry wall-clock figures.
fn timeless(out: &str) -> String {
    out.lines()
        .filter(|l| !l.starts_with("runs "))
        .map(|l| {
            if l.starts_with('{') {
                let mut j: Json = serde_json::from_str(l).unwrap();
                j.as_object_mut().unwrap().remove("elapsed_s");
                j.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_correct_campaign_exits_0_and_reports_what_it_exercised() {
    let o = run(&["fuzz", "--runs", "3000", "--seed", "4", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let j = last_json(&o);
    assert_eq!(j["runs"], 3000);
    assert_eq!(j["violations"], 0);
    assert!(j["chosen_runs"].as_u64().unwrap() > 2500);
    assert!(j["steps"].as_u64().unwrap() > 3000);
    assert!(j["elapsed_s"].is_number());
    for key in [
        "duel_runs",
        "adopted_runs",
        "crashed_voter_runs",
        "dropped_runs",
        "duplicated_runs",
    ] {
        assert!(j[key].as_u64().unwrap() > 0, "{key}");
    }
    assert_eq!(j["first_violation"], Json::Null);
}

#[test]
fn a_buggy_campaign_exits_1_with_a_shrunk_counterexample_that_replays() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-cli-{}", std::process::id()));
    let o = run(&[
        "fuzz",
        "--bug",
        "no-adopt",
        "--runs",
        "2000",
        "--seed",
        "1",
        "--json",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let j = last_json(&o);
    let fv = &j["first_violation"];
    assert_eq!(fv["invariant"], "immutability");
    let after = fv["events_after_shrink"].as_u64().unwrap();
    assert!(after <= 16 && after <= fv["events_before_shrink"].as_u64().unwrap());
    let file = fv["counterexample"].as_str().unwrap();
    let cx = paxos_safety::counterexample::Counterexample::load(file.as_ref()).unwrap();
    assert_eq!(cx.events.len() as u64, after);
    // The printed replay command is ready to paste: run it, it finds the same violation.
    let replay = fv["replay"].as_str().unwrap();
    let words: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(words[0], "paxos-safety");
    let r = run(&words[1..]);
    assert_eq!(r.status.code(), Some(1), "{}", stdout(&r));
    assert!(stdout(&r).contains("immutability"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_same_seed_gives_the_same_output() {
    for args in [
        vec!["fuzz", "--runs", "2000", "--seed", "11"],
        vec!["fuzz", "--runs", "2000", "--seed", "11", "--json"],
        vec![
            "fuzz",
            "--runs",
            "500",
            "--seed",
            "3",
            "--bug",
            "stale-promise",
            "--no-shrink",
            "--out-dir",
            "/tmp/paxos-safety-cli-same",
        ],
    ] {
        let a = run(&args);
        let b = run(&args);
        assert_eq!(a.status.code(), b.status.code());
        assert_eq!(timeless(&stdout(&a)), timeless(&stdout(&b)), "{args:?}");
    }
}

#[test]
fn jobs_do_not_change_the_summary() {
    let one = last_json(&run(&[
        "fuzz",
        "--runs",
        "4000",
        "--seed",
        "8",
        "--jobs",
        "1",
        "--json",
        "--bug",
        "adopt-lowest",
        "--no-shrink",
        "--out-dir",
        "/tmp/paxos-safety-cli-jobs",
    ]));
    let three = last_json(&run(&[
        "fuzz",
        "--runs",
        "4000",
        "--seed",
        "8",
        "--jobs",
        "3",
        "--json",
        "--bug",
        "adopt-lowest",
        "--no-shrink",
        "--out-dir",
        "/tmp/paxos-safety-cli-jobs",
    ]));
    let strip = |mut j: Json| {
        let o = j.as_object_mut().unwrap();
        o.remove("elapsed_s");
        o.remove("jobs");
        j
    };
    assert_eq!(strip(one), strip(three));
}

#[test]
fn shards_merge_into_the_whole_campaign() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let common = [
        "fuzz",
        "--runs",
        "6000",
        "--seed",
        "21",
        "--json",
        "--bug",
        "count-duplicates",
        "--no-shrink",
        "--out-dir",
        "/tmp/paxos-safety-cli-shards",
    ];
    let mut files = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let mut args = common.to_vec();
        args.extend(["--shard", &shard]);
        let path = dir.join(format!("s{k}.out"));
        std::fs::write(&path, run(&args).stdout).unwrap();
        files.push(path.display().to_string());
    }
    let mut merge_args = vec!["merge"];
    merge_args.extend(files.iter().map(String::as_str));
    let merged = run(&merge_args);
    let mut m = last_json(&merged);
    let mut whole = last_json(&run(&common));
    assert_eq!(m["complete"], true);
    assert_eq!(m["runs"], 6000);
    assert_eq!(
        merged.status.code(),
        Some(if whole["violations"] == 0 { 0 } else { 1 })
    );
    for j in [&mut m, &mut whole] {
        let o = j.as_object_mut().unwrap();
        for k in ["elapsed_s", "shard", "shards_merged", "complete", "jobs"] {
            o.remove(k);
        }
    }
    assert_eq!(m, whole);
    // A shard given twice is refused.
    let twice = run(&["merge", &files[0], &files[0]]);
    assert_eq!(twice.status.code(), Some(2));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_time_limit_stops_cleanly_and_says_so() {
    let o = run(&["fuzz", "--time-limit", "0.5", "--seed", "2", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let j = last_json(&o);
    assert!(j["runs"].as_u64().unwrap() > 0);
    assert_eq!(j["timed_out"], true);
}

#[test]
fn bad_usage_exits_2_and_says_what_is_allowed() {
    for (args, says) in [
        (
            vec!["fuzz", "--acceptors", "0"],
            "--acceptors must be 1..=15",
        ),
        (
            vec!["fuzz", "--acceptors", "16"],
            "--acceptors must be 1..=15",
        ),
        (
            vec!["fuzz", "--proposers", "9"],
            "--proposers must be 1..=8",
        ),
        (vec!["fuzz", "--q1", "4"], "--q1 must be 1..=3"),
        (vec!["fuzz", "--bug", "nope"], "known bugs: no-adopt"),
        (vec!["fuzz", "--drop-rate", "2000"], "per mille"),
        (vec!["fuzz", "--shard", "4/3"], "--shard takes K/N"),
        (vec!["fuzz", "--runs", "0"], "--runs must be at least 1"),
        (vec!["fuzz", "--jobs", "0"], "--jobs must be at least 1"),
        (vec!["fuzz", "--time-limit", "0"], "--time-limit"),
        (
            vec!["fuzz", "--config", "/nonexistent/x.json"],
            "cannot read --config",
        ),
        (vec!["fuzz", "--frobnicate"], "unexpected argument"),
        (vec!["merge", "/nonexistent"], "/nonexistent"),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn a_config_file_is_read_and_flags_override_it() {
    let path =
        std::env::temp_dir().join(format!("paxos-safety-config-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"acceptors": 5, "proposers": 3, "faults": {"max_crashes": 0}}"#,
    )
    .unwrap();
    let o = run(&[
        "fuzz",
        "--config",
        path.to_str().unwrap(),
        "--proposers",
        "2",
        "--runs",
        "100",
        "--seed",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains(r#""acceptors":5,"proposers":2"#), "{out}");
    assert!(out.contains(r#""max_crashes":0"#), "{out}");
    std::fs::write(&path, r#"{"acceptors": 5, "colour": "red"}"#).unwrap();
    let o = run(&["fuzz", "--config", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("colour"));
    std::fs::remove_file(path).ok();
}

#[test]
fn a_toml_config_is_printed_back_as_toml() {
    let path =
        std::env::temp_dir().join(format!("paxos-safety-config-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "acceptors = 5\nbug = \"no-adopt\"\n\n[faults]\nmax_crashes = 0\n",
    )
    .unwrap();
    let o = run(&[
        "fuzz",
        "--config",
        path.to_str().unwrap(),
        "--runs",
        "200",
        "--seed",
        "1",
        "--out-dir",
        "/tmp/paxos-safety-cli-toml",
    ]);
    assert_eq!(o.status.code(), Some(1), "no-adopt is caught");
    let out = stdout(&o);
    assert!(
        out.contains(
            "acceptors = 5\nproposers = 2\nbug = \"no-adopt\"\n\n[faults]\nmax_crashes = 0"
        ),
        "{out}"
    );
    std::fs::remove_file(path).ok();
}

#[test]
fn a_closed_stdout_is_not_a_panic_and_keeps_the_exit_status() {
    use std::process::Stdio;
    let mut child = bin()
        .args([
            "fuzz",
            "--bug",
            "no-adopt",
            "--runs",
            "300",
            "--seed",
            "1",
            "--out-dir",
            "/tmp/paxos-safety-cli-pipe",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the first line
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}

#[test]
fn a_diagram_of_the_shrunk_counterexample_is_written_as_markdown() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-diagram-{}", std::process::id()));
    let md = dir.join("no-adopt.md");
    std::fs::create_dir_all(&dir).unwrap();
    let o = run(&[
        "fuzz",
        "--bug",
        "no-adopt",
        "--runs",
        "300",
        "--seed",
        "1",
        "--json",
        "--out-dir",
        dir.to_str().unwrap(),
        "--diagram",
        md.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        last_json(&o)["first_violation"]["diagram"],
        md.to_str().unwrap()
    );
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("```mermaid\nsequenceDiagram\n"));
    assert!(text.contains("immutability violated"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn merge_refuses_missing_shards_and_shards_of_another_campaign() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shard = |runs: &str, k: u32| {
        let path = dir.join(format!("r{runs}-s{k}.out"));
        let spec = format!("{k}/3");
        let o = run(&[
            "fuzz", "--runs", runs, "--seed", "5", "--json", "--shard", &spec,
        ]);
        std::fs::write(&path, o.stdout).unwrap();
        path.display().to_string()
    };
    let (a, b, c) = (shard("3000", 1), shard("3000", 2), shard("2000", 3));
    let missing = run(&["merge", &a, &b]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("shards are missing"));
    assert_eq!(last_json(&missing)["complete"], false);
    assert_eq!(
        run(&["merge", "--allow-incomplete", &a, &b]).status.code(),
        Some(0)
    );
    let mixed = run(&["merge", &a, &b, &c]);
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("campaign_runs"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_config_file_must_say_its_format() {
    let path =
        std::env::temp_dir().join(format!("paxos-safety-config-{}.yaml", std::process::id()));
    std::fs::write(&path, "acceptors: 5\n").unwrap();
    let o = run(&["fuzz", "--config", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".json or .toml"));
    std::fs::remove_file(path).ok();
}

/// A campaign in which every message is lost never chooses a value: it proved nothing and
/// exits 3, saying what never happened, unless --allow-vacuous makes it a warning.
#[test]
fn a_vacuous_campaign_exits_3_and_says_what_never_happened() {
    let lossy = [
        "fuzz",
        "--runs",
        "300",
        "--seed",
        "5",
        "--jobs",
        "1",
        "--drop-rate",
        "1000",
        "--max-drops",
        "1000",
    ];
    let o = run(&lossy);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("VACUOUS: no execution chose a value, no proposer ever learned a value"),
        "{out}"
    );
    assert!(out.contains("verdict: vacuous"), "{out}");
    let quiet = run(&[&lossy[..], &["--quiet"]].concat());
    assert_eq!(quiet.status.code(), Some(3));
    assert!(stdout(&quiet).contains("VACUOUS"), "--quiet still says it");

    let o = run(&[&lossy[..], &["--json"]].concat());
    assert_eq!(o.status.code(), Some(3));
    let j = last_json(&o);
    assert_eq!(j["violations"], 0);
    assert_eq!(
        j["vacuous"],
        serde_json::json!([
            "no execution chose a value",
            "no proposer ever learned a value"
        ])
    );

    let o = run(&[&lossy[..], &["--allow-vacuous"]].concat());
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("warning: no execution chose a value"));

    // A campaign that chooses reports nothing vacuous.
    let o = run(&["fuzz", "--runs", "300", "--seed", "5", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(last_json(&o)["vacuous"], serde_json::json!([]));
}
