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
    // Its config is the one that execution ran, every fault field as drawn: with it, the
    // seed reruns the same violation.
    let faults = fv["config"]["faults"].as_object().unwrap();
    assert!(faults.values().all(Json::is_u64), "{faults:?}");
    let ran: paxos_safety::config::Config = serde_json::from_value(fv["config"].clone()).unwrap();
    let again =
        paxos_safety::execution::Simulator::new(ran).run_seed(fv["seed"].as_u64().unwrap(), None);
    let (step, v) = again
        .violation
        .expect("the first violation's config fails again");
    assert_eq!(
        (v.invariant.name(), u64::from(step)),
        ("immutability", fv["step"].as_u64().unwrap())
    );
    let after = fv["events_after_shrink"].as_u64().unwrap();
    assert!(after <= 16 && after <= fv["events_before_shrink"].as_u64().unwrap());
    assert_eq!(fv["shrink_timed_out"], false);
    let file = fv["counterexample"].as_str().unwrap();
    let cx = paxos_safety::counterexample::Counterexample::load(file.as_ref()).unwrap();
    assert_eq!(cx.events.len() as u64, after);
    // The file's execution, rerun from its seed, is as long as the report says it was
    // before shrinking (with the first violation's length beside it, not in its place).
    assert_eq!(cx.seed, fv["shrunk_from_seed"].as_u64());
    let mut unshrunk = Vec::new();
    paxos_safety::execution::Simulator::new(cx.config)
        .run_seed(cx.seed.unwrap(), Some(&mut unshrunk));
    assert_eq!(
        unshrunk.len() as u64,
        fv["shrunk_from_events"].as_u64().unwrap()
    );
    assert!(after <= unshrunk.len() as u64);
    // The printed replay command is ready to paste: run it as printed, by a shell in the
    // same directory, and it finds the same violation.
    let r = shell(fv["replay"].as_str().unwrap(), None, None);
    assert_eq!(r.status.code(), Some(1), "{}", stdout(&r));
    assert!(stdout(&r).contains("immutability"));
    std::fs::remove_dir_all(dir).ok();
}

/// `--shrink-time-limit` bounds the shrinking, which `--time-limit` does not: once its
/// time is up the shortest list by then is written (here, with a limit that is up at the
/// first look, the first violation replayed whole), it replays, and both outputs say so.
#[test]
fn a_shrink_time_limit_keeps_what_was_shrunk_by_then() {
    let dir =
        std::env::temp_dir().join(format!("paxos-safety-shrink-limit-{}", std::process::id()));
    // The campaign, with the flags each run adds.
    let args = |more: &[&'static str]| {
        let mut a = vec![
            "fuzz",
            "--bug",
            "accept-below-promise",
            "--runs",
            "2000",
            "--seed",
            "2",
            "--out-dir",
            dir.to_str().unwrap(),
        ];
        a.extend_from_slice(more);
        a
    };
    let limited = ["--shrink-time-limit", "0.000001"];
    let o = run(&args(&[&limited[..], &["--json"]].concat()));
    assert_eq!(o.status.code(), Some(1));
    let fv = &last_json(&o)["first_violation"];
    assert_eq!(fv["shrink_timed_out"], true, "{fv}");
    assert_eq!(fv["shrink_candidates"], 1, "{fv}");
    assert_eq!(
        fv["events_after_shrink"], fv["events_before_shrink"],
        "{fv}"
    );
    let r = run(&["replay", fv["counterexample"].as_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1), "{}", stdout(&r));
    let text = run(&args(&limited));
    assert!(
        stdout(&text).contains(
            "shrinking stopped at --shrink-time-limit: the counterexample is the shortest found by then"
        ),
        "{}",
        stdout(&text)
    );
    let whole = run(&args(&["--json"]));
    let whole = &last_json(&whole)["first_violation"];
    assert!(
        whole["events_after_shrink"].as_u64() < fv["events_after_shrink"].as_u64(),
        "{whole}"
    );
    let bad = run(&["fuzz", "--shrink-time-limit", "-1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("--shrink-time-limit must be a positive number of seconds"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `command` with `sh -c`, in `cwd` and with `path` as the PATH when given.
fn shell(command: &str, cwd: Option<&std::path::Path>, path: Option<&std::ffi::OsStr>) -> Output {
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(command);
    if let Some(cwd) = cwd {
        sh.current_dir(cwd);
    }
    if let Some(path) = path {
        sh.env("PATH", path);
    }
    sh.output().expect("sh runs")
}

/// The replay commands that `fuzz` and `explore` print run as printed from where the user
/// is: `paxos-safety` when that name on the PATH is this binary (after `cargo install
/// --path .`), else the binary's own path (after `cargo run`, from anywhere).
#[test]
fn printed_commands_run_as_printed() {
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_paxos-safety"));
    let bin_dir = exe.parent().unwrap().to_path_buf();
    let elsewhere = std::env::temp_dir().join(format!("paxos-safety-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).unwrap();
    let with_bin = std::env::join_paths(std::iter::once(bin_dir.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let without_bin = std::env::join_paths(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .filter(|d| d.join("paxos-safety").canonicalize().ok() != exe.canonicalize().ok()),
    )
    .unwrap();
    for (cwd, path, installed) in [
        (None, &without_bin, false),
        (Some(elsewhere.as_path()), &without_bin, false),
        (Some(elsewhere.as_path()), &with_bin, true),
    ] {
        let mut cmd = bin();
        cmd.env("PATH", path);
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        let cx_dir = elsewhere.join("cx");
        let o = cmd
            .args(["fuzz", "--bug", "no-adopt", "--runs", "200", "--seed", "1"])
            .args(["--out-dir", cx_dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let out = stdout(&o);
        let prefix = "  replay the execution: ";
        let replay = out
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no replay command: {out}"));
        assert_eq!(replay.starts_with("paxos-safety "), installed, "{replay}");
        let r = shell(replay, cwd, Some(path));
        assert_eq!(r.status.code(), Some(1), "{replay}: {:?}", r);
        assert!(stdout(&r).contains("immutability violated"), "{replay}");
        let hint = out
            .lines()
            .find_map(|l| {
                l.split_once("(replay it: ")
                    .map(|(_, c)| c.trim_end_matches(')'))
            })
            .unwrap_or_else(|| panic!("no counterexample replay command: {out}"));
        let r = shell(hint, cwd, Some(path));
        assert_eq!(r.status.code(), Some(1), "{hint}: {:?}", r);
    }
    std::fs::remove_dir_all(elsewhere).ok();
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
    let dir = std::env::temp_dir().join(format!("paxos-safety-cli-jobs-{}", std::process::id()));
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
        dir.to_str().unwrap(),
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
        dir.to_str().unwrap(),
    ]));
    let strip = |mut j: Json| {
        let o = j.as_object_mut().unwrap();
        o.remove("elapsed_s");
        o.remove("jobs");
        j
    };
    std::fs::remove_dir_all(&dir).ok();
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
        for k in [
            "elapsed_s",
            "shard",
            "shards_merged",
            "complete",
            "missing_shards",
            "jobs",
        ] {
            o.remove(k);
        }
    }
    assert_eq!(m, whole);
    // A shard given twice is refused.
    let twice = run(&["merge", &files[0], &files[0]]);
    assert_eq!(twice.status.code(), Some(2));
    // So is a shard of another acceptor command or crash mode: another campaign.
    for (key, value) in [
        ("acceptor_cmd", serde_json::json!("python3 mine.py")),
        ("acceptor_crash", serde_json::json!("restart")),
    ] {
        let mut other = last_json(&run(&{
            let mut args = common.to_vec();
            args.extend(["--shard", "2/3"]);
            args
        }));
        other[key] = value;
        let path = dir.join("other.out");
        std::fs::write(&path, other.to_string()).unwrap();
        let o = run(&["merge", &files[0], &path.display().to_string(), &files[2]]);
        assert_eq!(o.status.code(), Some(2), "{key}: {o:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .contains(&format!("\"{key}\" differs from {}'s", files[0])),
            "{key}: {o:?}"
        );
    }
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
        (
            vec!["fuzz", "--seed", "9007199254740992"],
            "--seed must be below 2^53",
        ),
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

/// A value of the wrong type names its key, nested keys by their path, with an acceptor
/// key in the file (which takes another way through the parser) as without.
#[test]
fn a_bad_value_in_a_config_file_names_its_key() {
    let path =
        std::env::temp_dir().join(format!("paxos-safety-badkey-{}.json", std::process::id()));
    for (text, said) in [
        (
            r#"{"acceptors": "three"}"#,
            r#"acceptors: invalid type: string "three", expected u16 at line 1 column 21"#,
        ),
        (
            r#"{"faults": {"max_crashes": -1}}"#,
            "faults.max_crashes: invalid value: integer `-1`, expected u16",
        ),
        (
            r#"{"acceptor_cmd": "python3 a.py", "acceptors": "three"}"#,
            r#"acceptors: invalid type: string "three", expected u16"#,
        ),
        (
            r#"{"acceptors": 3} x"#,
            "trailing characters at line 1 column 18",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let o = run(&["fuzz", "--config", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(said), "{text}: {err}");
    }
    std::fs::remove_file(path).ok();
}

#[test]
fn a_toml_config_is_printed_back_as_toml() {
    let path =
        std::env::temp_dir().join(format!("paxos-safety-config-{}.toml", std::process::id()));
    let dir = std::env::temp_dir().join(format!("paxos-safety-cli-toml-{}", std::process::id()));
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
        dir.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(&dir).ok();
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

/// Every subcommand, every output path, with stdout a pipe whose reader has gone (as in
/// `paxos-safety explore | head -2`): no panic, and the exit status of the verdict.
#[test]
fn a_closed_stdout_is_not_a_panic_and_keeps_the_exit_status() {
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!("paxos-safety-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let summary = dir.join("shard.out");
    std::fs::write(
        &summary,
        run(&["fuzz", "--runs", "100", "--seed", "1", "--json"]).stdout,
    )
    .unwrap();
    let cx = dir.join("explore.json");
    let (out_dir, cx, summary) = (
        dir.to_str().unwrap(),
        cx.to_str().unwrap(),
        summary.to_str().unwrap(),
    );
    let cases: &[(&[&str], i32)] = &[
        (&["--help"], 0),
        (&["fuzz", "--help"], 0),
        (&["--version"], 0),
        (&["fuzz", "--runs", "300", "--seed", "1"], 0),
        (&["fuzz", "--runs", "300", "--seed", "1", "--json"], 0),
        (&["fuzz", "--runs", "300", "--seed", "1", "--quiet"], 0),
        (
            &[
                "fuzz",
                "--bug",
                "no-adopt",
                "--runs",
                "300",
                "--seed",
                "1",
                "--out-dir",
                out_dir,
            ],
            1,
        ),
        (
            &[
                "fuzz",
                "--bug",
                "no-adopt",
                "--runs",
                "300",
                "--seed",
                "1",
                "--json",
                "--out-dir",
                out_dir,
            ],
            1,
        ),
        (&["explore", "--max-crashes", "0"], 0),
        (&["explore", "--max-crashes", "0", "--json"], 0),
        (&["explore", "--bug", "no-adopt", "--out", cx], 1),
        // Vacuous: nothing is chosen within two steps.
        (&["explore", "--depth", "2"], 3),
        (&["explore", "--liveness", "--acceptors", "2"], 1),
        (
            &[
                "explore",
                "--liveness",
                "--acceptors",
                "2",
                "--format",
                "mermaid",
            ],
            1,
        ),
        (&["explore", "--liveness", "--acceptors", "2", "--json"], 1),
        (
            &[
                "fuzz",
                "--liveness",
                "--runs",
                "100",
                "--seed",
                "1",
                "--out-dir",
                out_dir,
            ],
            1,
        ),
        (&["replay", "tests/counterexamples/no-adopt.json"], 1),
        (
            &[
                "replay",
                "tests/counterexamples/no-adopt.json",
                "--format",
                "mermaid",
            ],
            1,
        ),
        (&["replay", "--seed", "3"], 0),
        (&["merge", summary], 0),
        (&["merge", summary, summary], 2),
    ];
    for (args, status) in cases {
        let mut child = bin()
            .args(*args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before the first line
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(o.status.code(), Some(*status), "{args:?}: {stderr}");
    }
    // bench runs for a minute whatever its output does; its first lines are written at
    // once, and a panic there would end it at once with 101. Two seconds in, it must
    // still be running, or have ended well.
    let mut child = bin()
        .args(["bench", "--runs", "1000", "--quick"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    std::thread::sleep(std::time::Duration::from_secs(2));
    if child.try_wait().unwrap().is_none() {
        child.kill().unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "bench: {stderr}");
    assert_ne!(o.status.code(), Some(101), "bench: {stderr}");
    std::fs::remove_dir_all(dir).ok();
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
    let font = paxos_safety::render::mermaid::FONT_DIRECTIVE;
    assert!(
        text.contains(&format!("```mermaid\n{font}\nsequenceDiagram\n")),
        "{text}"
    );
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
    // It names the missing shard, and says the verdict in words too.
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("missing shard 3/3"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    assert_eq!(last_json(&missing)["complete"], false);
    assert_eq!(
        last_json(&missing)["missing_shards"],
        serde_json::json!(["3/3"])
    );
    assert!(stdout(&missing).starts_with(
        "verdict: no violation in 2000 runs (2 shard(s) merged); INCOMPLETE: missing shard 3/3\n"
    ));
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

/// Starts the binary with `args`, waits a moment, sends it SIGINT as Ctrl-C would, and
/// returns its output. With `twice = Some(ms)`, waits until it says it is stopping, then
/// `ms` milliseconds more, and sends a second SIGINT, from a shell already waiting to send
/// it so that no process start delays it; it returns `None` if the process had already
/// finished by then (the test tries again, starting later).
#[cfg(unix)]
fn interrupted(args: &[&str], after_ms: u64, twice: Option<u64>) -> Option<Output> {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut killer = twice.map(|_| {
        Command::new("sh")
            .args(["-c", &format!("read _ && kill -INT {pid}")])
            .stdin(Stdio::piped())
            .spawn()
            .expect("sh runs")
    });
    // Read stdout on the side, so that a full pipe never blocks the child.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        stdout.read_to_end(&mut s).unwrap();
        s
    });
    std::thread::sleep(std::time::Duration::from_millis(after_ms));
    let kill = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    assert!(kill.unwrap().success());
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    err.read_line(&mut said).unwrap();
    assert!(said.starts_with("interrupted: stopping"), "{said}");
    if let (Some(ms), Some(killer)) = (twice, killer.as_mut()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let finished = child.try_wait().unwrap().is_some();
        // Its input closed without a line, the shell exits without sending.
        let mut input = killer.stdin.take().unwrap();
        if !finished {
            writeln!(input).unwrap();
        }
        drop(input);
        let sent = killer.wait().unwrap().success();
        if finished {
            return None;
        }
        assert!(sent, "the second SIGINT was sent");
    }
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    Some(Output {
        status,
        stdout: reader.join().unwrap(),
        stderr: (said + &rest).into_bytes(),
    })
}

/// The first Ctrl-C stops a campaign cleanly: the summary so far, the first violation
/// shrunk and written, exit 1 as for any violation.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_campaign_and_keeps_its_counterexample() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-sigint-{}", std::process::id()));
    let o = interrupted(
        &[
            "fuzz",
            "--runs",
            "1000000000",
            "--bug",
            "adopt-lowest",
            "--seed",
            "5",
            "--out-dir",
            dir.to_str().unwrap(),
        ],
        1000,
        None,
    )
    .unwrap();
    let out = stdout(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("interrupted by Ctrl-C after "), "{out}");
    assert!(out.contains("VIOLATION in execution "), "{out}");
    let written = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(written, 1, "the shrunk counterexample is written");
    assert!(out.contains("verdict: "), "{out}");
    std::fs::remove_dir_all(dir).ok();
}

/// Nothing found: the partial summary and exit 130; in JSON, `"interrupted": true`.
/// Explore reports its partial search the same way.
/// A search that runs for minutes (two ballots, two crashes): long enough to be stopped
/// by Ctrl-C or a time limit at any point a test picks.
const LONG_SEARCH: [&str; 6] = [
    "explore",
    "--max-ballots",
    "2",
    "--max-crashes",
    "2",
    "--json",
];

#[cfg(unix)]
#[test]
fn ctrl_c_with_nothing_found_exits_130_with_the_summary_so_far() {
    let o = interrupted(&["fuzz", "--runs", "1000000000", "--seed", "5"], 1000, None).unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(130), "{out}");
    assert!(out.contains("interrupted by Ctrl-C after "), "{out}");
    assert!(out.contains("verdict: no violation in "), "{out}");

    let args = ["fuzz", "--time-limit", "600", "--seed", "5", "--json"];
    let o = interrupted(&args, 1000, None).unwrap();
    assert_eq!(o.status.code(), Some(130));
    let j = last_json(&o);
    assert_eq!(j["interrupted"], true);
    assert_eq!(j["timed_out"], false);
    assert!(j["runs"].as_u64().unwrap() > 0);

    let args = LONG_SEARCH;
    let o = interrupted(&args, 1000, None).unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(130), "{out}");
    assert!(out.contains("incomplete: interrupted by Ctrl-C"), "{out}");
    let j = last_json(&o);
    assert_eq!(j["interrupted"], true);
    assert_eq!(j["complete"], false);
}

/// A second Ctrl-C after the one that stopped the campaign stops the shrinking of the
/// violation it found (about half a second for count-duplicates on seven acceptors and
/// four proposers), and the report and the shortest list by then are still written: exit
/// 1, not the process ended at once. The second comes 200 ms after the first, as one
/// within 100 ms is taken for the same (see below); each try starts later, in case the
/// first found it about to end.
#[cfg(unix)]
#[test]
fn a_second_ctrl_c_stops_the_shrinking_and_keeps_the_report() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-twice-{}", std::process::id()));
    let args = [
        "fuzz",
        "--runs",
        "1000000000",
        "--bug",
        "count-duplicates",
        "--acceptors",
        "7",
        "--proposers",
        "4",
        "--seed",
        "5",
        "--out-dir",
        dir.to_str().unwrap(),
    ];
    let o = [1000, 2000, 4000]
        .into_iter()
        .find_map(|ms| {
            // A try whose second Ctrl-C came as the campaign was ending on its own says
            // nothing: try again, starting later.
            interrupted(&args, ms, Some(200)).filter(|o| {
                String::from_utf8_lossy(&o.stderr)
                    .matches("interrupted: stopping")
                    .count()
                    == 2
            })
        })
        .expect("one of the tries catches the shrinking between two Ctrl-Cs");
    std::fs::remove_dir_all(&dir).ok();
    let (err, out) = (String::from_utf8_lossy(&o.stderr), stdout(&o));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("exiting at once"), "{err}");
    assert!(
        out.contains("interrupted by Ctrl-C while shrinking"),
        "{out}"
    );
    assert!(out.contains("counterexample"), "{out}");
}

/// More Ctrl-Cs than the work heeds end the process at once: here the second comes while
/// the campaign's stop waits on acceptor processes that never answer `init` (they would be
/// given 10 s), and nothing was found, so the status is 130 and there is no report. The
/// acceptor passes the start-up check (whose `init` names only a1) and hangs in the
/// campaign's executions (which name a2).
#[cfg(unix)]
#[test]
fn a_ctrl_c_more_than_the_work_heeds_exits_at_once() {
    let node = env!("CARGO_BIN_EXE_paxos-safety");
    // Each process lists its data directory, which must not outlive the exit.
    let list = std::env::temp_dir().join(format!("paxos-safety-dirs-{}", std::process::id()));
    let _ = std::fs::remove_file(&list);
    let hang = format!(
        "echo \"$PAXOS_DATA_DIR\" >> '{}'; read -r init; case",
        list.display()
    ) + &format!(
        " \"$init\" in *'\"a2\"'*) exec sleep 60;; esac; \
         {{ printf '%s\\n' \"$init\"; cat; }} | exec {node} node"
    );
    let args = ["fuzz", "--runs", "100", "--acceptor-cmd", &hang];
    let o = interrupted(&args, 1000, Some(200)).expect("the campaign waits 10 s on init");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted again: exiting at once"), "{err}");
    // Exited at once: no report, but no data directory left either (no destructor runs
    // on that exit; it removes them by name).
    assert!(!stdout(&o).contains("verdict"), "{}", stdout(&o));
    let dirs = std::fs::read_to_string(&list).unwrap();
    assert!(dirs.lines().count() > 1, "{dirs}");
    for dir in dirs.lines() {
        assert!(!std::path::Path::new(dir).exists(), "{dir} is left");
    }
    let _ = std::fs::remove_file(&list);
}

/// `timeout -s INT`, the usual way to give a search a time limit from a script, sends
/// SIGINT to the process and then to its process group, microseconds apart. When the
/// second arrives after the first was answered (now and then; otherwise the two merge into
/// one), it must not count as a second Ctrl-C, which would exit at once without the report
/// the time limit was meant to produce. Here the second comes as soon as the first has
/// been answered.
#[cfg(unix)]
#[test]
fn a_second_interrupt_right_after_the_first_counts_as_the_same() {
    let args = LONG_SEARCH;
    let o = [1000, 2000, 4000]
        .into_iter()
        .find_map(|ms| interrupted(&args, ms, Some(0)))
        .expect("one of the tries is still searching at the second SIGINT");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(!err.contains("interrupted twice"), "{err}");
    let out = stdout(&o);
    assert!(out.contains("incomplete: interrupted by Ctrl-C"), "{out}");
    assert_eq!(last_json(&o)["interrupted"], true);
}

/// `explore --time-limit` stops the search between two chunks and reports it as cut by
/// the time limit: incomplete, not interrupted, exit 0 with nothing found; so does the
/// lasso search. A bad limit is refused.
#[test]
fn explore_time_limit_cuts_the_search_and_reports() {
    let args = [&LONG_SEARCH[..], &["--time-limit", "0.5"]].concat();
    let o = run(&args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("incomplete: stopped by --time-limit 0.5 after "),
        "{out}"
    );
    let j = last_json(&o);
    assert_eq!(j["cut_by"], serde_json::json!(["time-limit"]));
    assert_eq!(j["complete"], false);
    assert_eq!(j["interrupted"], false);
    assert!(j["elapsed_s"].as_f64().unwrap() >= 0.5, "{j}");
    for bad in ["0", "-1", "nan", "1e9"] {
        let o = run(&["explore", &format!("--time-limit={bad}")]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--time-limit must be a positive number"),
            "{bad}: {err}"
        );
    }
    // The lasso search stops the same way, between two states.
    let o = run(&["explore", "--liveness", "--time-limit", "0.3", "--json"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("limit hit: --time-limit 0.3: the search is incomplete"),
        "{out}"
    );
    let j = last_json(&o);
    assert_eq!(j["limit"], "--time-limit 0.3");
    assert_eq!(j["complete"], false);
    assert!(j["elapsed_s"].as_f64().unwrap() >= 0.3, "{j}");
}

/// On a terminal `explore` shows a status line on stderr while it searches (and so does
/// `explore --liveness`); with `--json`, or with stderr not a terminal, it does not.
/// `script` (util-linux) gives the binary a terminal.
#[test]
fn explore_shows_a_status_line_on_a_terminal_only() {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_script,
        "this test needs `script` (util-linux, Debian's bsdutils) to give the binary a \
         terminal, and found none"
    );
    let bin = env!("CARGO_BIN_EXE_paxos-safety");
    let on_a_terminal = |args: &str| {
        let o = Command::new("script")
            .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let search = "explore --max-ballots 2 --max-crashes 0 --time-limit 1";
    let out = on_a_terminal(search);
    assert!(out.contains("MiB disk") && out.contains("level "), "{out}");
    assert!(
        out.contains("incomplete: stopped by --time-limit 1"),
        "{out}"
    );
    let out = on_a_terminal(&format!("{search} --json"));
    assert!(!out.contains("MiB disk"), "{out}");
    let out = on_a_terminal("explore --liveness --time-limit 1");
    assert!(out.contains("k/s") && out.contains("depth "), "{out}");
    let out = on_a_terminal("explore --liveness --time-limit 1 --json");
    assert!(!out.contains("k/s"), "{out}");
    // A terminal gets the redrawn line, never the log lines.
    let out = on_a_terminal(&format!("{search} --log-every 0.2"));
    assert!(
        out.contains("MiB disk") && !out.contains("explore ["),
        "{out}"
    );
    // Not a terminal: no status line (the log's first line is a minute away).
    let o = run(&search.split(' ').collect::<Vec<_>>());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("MiB disk") && !stdout(&o).contains("MiB disk"),
        "{err}"
    );
}

/// Where stderr is not a terminal (a CI log), a long search or campaign writes a plain line
/// every `--log-every` seconds, so that ten minutes of proof do not pass in silence; never
/// on stdout, never with `--log-every 0`, and for `fuzz` not with `--quiet`.
#[test]
fn searches_and_campaigns_log_a_line_where_stderr_is_not_a_terminal() {
    let logged = |args: &str, name: &str| {
        #[allow(clippy::disallowed_methods)] // bounds the lines a run of this length can hold
        let start = std::time::Instant::now();
        let o = run(&args.split(' ').collect::<Vec<_>>());
        // Lines at least 0.2 s apart, the first after 0.2 s, fit this many in the run.
        let room = (start.elapsed().as_secs_f64() / 0.2) as usize;
        assert!(o.status.code().is_some_and(|c| c == 0 || c == 130), "{o:?}");
        let out = stdout(&o);
        assert!(!out.contains(&format!("{name} [")), "{out}");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with(name)).collect();
        (lines.len(), err.lines().count(), err.clone(), out, room)
    };
    let search = "explore --max-ballots 2 --max-crashes 0 --time-limit 1";
    for (args, name, figure) in [
        (search, "explore [", "MiB disk"),
        (
            "explore --liveness --time-limit 1",
            "explore --liveness [",
            "k/s",
        ),
        ("fuzz --seed 1 --time-limit 1", "fuzz [", "runs/s"),
    ] {
        let (n, all, err, _, room) = logged(&format!("{args} --log-every 0.2"), name);
        // A line every 0.2 s at most, when the command calls (the liveness search every
        // 4,096 states): at least one, never a burst.
        assert!(
            n >= 1 && n <= room && n == all,
            "{args}: {n} lines, room for {room}: {err}"
        );
        assert!(
            err.lines()
                .all(|l| l.starts_with(&format!("{name}00:00:0")) && l.contains(figure)),
            "{args}: {err}"
        );
        let (_, all, err, ..) = logged(&format!("{args} --log-every 0"), name);
        assert_eq!(all, 0, "{args}: {err}");
    }
    let (n, _, err, ..) = logged(
        "fuzz --seed 1 --time-limit 1 --log-every 0.2 --quiet",
        "fuzz [",
    );
    assert_eq!(n, 0, "{err}");
    // The JSON on stdout stays whole while the log goes to stderr.
    let (n, _, err, out, _) = logged(
        "fuzz --seed 1 --time-limit 1 --log-every 0.2 --json",
        "fuzz [",
    );
    assert!(n >= 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(json["runs"].as_u64().unwrap() > 0, "{out}");
}

/// `--quiet` prints the violation and the verdict only, from its first line; a campaign
/// whose quorums need not meet names that cause in its counterexample file.
#[test]
fn quiet_output_starts_with_the_violation_and_files_name_their_cause() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-quiet-{}", std::process::id()));
    let o = run(&[
        "fuzz",
        "--acceptors",
        "5",
        "--q1",
        "2",
        "--q2",
        "3",
        "--seed",
        "1",
        "--quiet",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("VIOLATION in execution "), "{out:?}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1);
    assert!(
        names[0].starts_with("non-intersecting-quorums-q1-2-q2-3-of-5-seed-"),
        "{names:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// `--help` points at docs/PROTOCOL.md, and that file is there and covers every request
/// the node handles, its error codes, its limits and its exit status.
#[test]
fn the_protocol_the_help_points_at_is_in_the_repository() {
    let help = stdout(&run(&["--help"]));
    assert!(help.contains("docs/PROTOCOL.md"), "{help}");
    assert!(stdout(&run(&["node", "--help"])).contains("docs/PROTOCOL.md"));
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md"))
        .expect("docs/PROTOCOL.md exists");
    for needle in [
        "## init",
        "## paxos_safety_test",
        "## paxos_invariant_check",
        "paxos_prepare",
        "paxos_accept",
        "paxos_chosen",
        "code 10",
        "\"code\": 12",
        "1 MiB",
        "10,000 nodes",
        "100,000 proposals",
        "## Exit status",
    ] {
        assert!(doc.contains(needle), "docs/PROTOCOL.md lacks {needle:?}");
    }
}

/// The README names every field `fuzz --json` prints, the first violation's too.
#[test]
fn the_readme_lists_every_json_field() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let dir = std::env::temp_dir().join(format!("paxos-safety-fields-{}", std::process::id()));
    let o = run(&[
        "fuzz",
        "--bug",
        "no-adopt",
        "--runs",
        "200",
        "--seed",
        "1",
        "--json",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    let j = last_json(&o);
    let fields = j.as_object().unwrap().keys().map(|k| format!("`{k}`"));
    let first = j["first_violation"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| format!("\"{k}\""));
    for field in fields.chain(first) {
        assert!(readme.contains(&field), "README.md does not name {field}");
    }
    std::fs::remove_dir_all(dir).ok();
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

    // The accept-below-promise bug at campaign seed 2, one thread, with `extra` flags.
    let buggy = |extra: &[&str]| {
        let base = [
            "fuzz",
            "--seed",
            "2",
            "--jobs",
            "1",
            "--bug",
            "accept-below-promise",
            "--out-dir",
            env!("CARGO_TARGET_TMPDIR"),
        ];
        run(&[&base[..], extra].concat())
    };
    // A violation is a verdict however little ran: a campaign that stops on it before any
    // execution chose a value does not call itself proof of nothing beside it.
    let o = buggy(&["--runs", "10", "--stop-on-violation", "--no-shrink"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(!out.contains("proven nothing"), "{out}");
    assert!(
        out.contains("these runs prove no safety, but the violation below stands"),
        "{out}"
    );
    // Shrinking scans past where that campaign stopped for more starting points, and the
    // shrink line says how many it took from there; a campaign that ran on says nothing.
    let shrunk = |runs: &str, stop: bool| {
        let o = match stop {
            true => buggy(&["--runs", runs, "--stop-on-violation"]),
            false => buggy(&["--runs", runs]),
        };
        assert_eq!(o.status.code(), Some(1));
        stdout(&o)
            .lines()
            .find(|l| l.trim_start().starts_with("shrunk: "))
            .unwrap_or_default()
            .to_string()
    };
    let line = shrunk("10", true);
    assert!(
        line.contains("(the shortest of 4 failing executions shrunk, 3 of them run past where the campaign stopped;"),
        "{line}"
    );
    let line = shrunk("2000", false);
    assert!(
        line.contains("(the shortest of 16 failing executions shrunk;")
            && !line.contains("run past"),
        "{line}"
    );
}

/// Unless fixed, `fuzz` draws each execution's shape; the JSON says what was drawn, and the
/// first violation's replay command and counterexample carry the shape that execution ran.
#[test]
fn fuzz_draws_the_cluster_shape_unless_it_is_fixed() {
    let dir = std::env::temp_dir().join(format!("paxos-safety-shape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shape = |extra: &[&str]| {
        let mut args = vec!["fuzz", "--runs", "300", "--seed", "5", "--json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}");
        last_json(&o)["shape_drawn"].clone()
    };
    assert_eq!(
        shape(&[]),
        serde_json::json!(["acceptors", "proposers", "quorums"])
    );
    assert_eq!(
        shape(&["--acceptors", "3"]),
        serde_json::json!(["proposers", "quorums"])
    );
    assert_eq!(shape(&["--q1", "2"]), serde_json::json!(["proposers"]));
    assert_eq!(
        shape(&["--acceptors", "5", "--proposers", "2", "--q2", "3"]),
        serde_json::json!([])
    );
    let file = dir.join("shape.toml");
    std::fs::write(&file, "proposers = 3\n").unwrap();
    assert_eq!(
        shape(&["--config", file.to_str().unwrap()]),
        serde_json::json!(["acceptors", "quorums"])
    );

    // no-adopt's first violation at seed 1 ran one acceptor and four proposers (README).
    let o = run(&[
        "fuzz",
        "--bug",
        "no-adopt",
        "--runs",
        "50",
        "--seed",
        "1",
        "--json",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let first = &last_json(&o)["first_violation"];
    assert_eq!(first["config"]["acceptors"], 1);
    assert_eq!(first["config"]["proposers"], 4);
    let replay = first["replay"].as_str().unwrap();
    assert!(replay.contains("--acceptors 1 --proposers 4"), "{replay}");
    // The printed command reproduces the violation on its own.
    let words: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let again = run(&words);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    // So does the counterexample file, whose config is the shape it ran.
    let cx = first["counterexample"].as_str().unwrap();
    let saved: Json = serde_json::from_str(&std::fs::read_to_string(cx).unwrap()).unwrap();
    assert!(saved["config"]["acceptors"].as_u64().unwrap() >= 1);
    assert_eq!(run(&["replay", cx]).status.code(), Some(1));
    std::fs::remove_dir_all(dir).ok();
}

/// Settings of acceptor processes with no process (no `--acceptor-cmd`, no config key
/// `acceptor_cmd`) are refused, not dropped: the run would pass for a test of the
/// acceptor they were meant for.
#[test]
fn acceptor_settings_without_an_acceptor_are_refused() {
    let o = run(&[
        "fuzz",
        "--runs",
        "2",
        "--acceptor-crash",
        "restart",
        "--reply-timeout",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "--acceptor-crash and --reply-timeout set up acceptor processes, and there are \
             none: give --acceptor-cmd (or the config key acceptor_cmd) too, or leave them out"
        ),
        "{err}"
    );
    let o = run(&["replay", "--seed", "3", "--reply-timeout", "5"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--reply-timeout sets up acceptor processes"),
        "{err}"
    );
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash-only.toml");
    std::fs::write(&config, "acceptor_crash = \"restart\"\n").unwrap();
    let o = run(&["fuzz", "--runs", "2", "--config", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the config key acceptor_crash sets up acceptor processes"),
        "{err}"
    );
}

/// A negative number of seconds is refused by the rule the flag documents, not by clap's
/// "unexpected argument '-1'", which reads as if the flag took no value.
#[test]
fn negative_seconds_are_refused_by_their_rule() {
    for (args, says) in [
        (
            &["fuzz", "--time-limit", "-3"][..],
            "--time-limit must be a positive number of seconds",
        ),
        (
            &["explore", "--log-every", "-1"][..],
            "--log-every must be 0",
        ),
        (
            &["fuzz", "--acceptor-cmd", "true", "--reply-timeout", "-1"][..],
            "--reply-timeout must be a positive number of seconds",
        ),
    ] {
        let o = run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
