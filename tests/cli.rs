//! The binary as a user runs it.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn run_to(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = gg();
    c.args(["run", "--trials", "300", "--quiet", "--out"])
        .arg(dir)
        .args(extra);
    c.output().expect("runs")
}

#[test]
fn run_writes_tables_charts_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let o = run_to(&out, &["--threads", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["summary.md", "summary.json", "trials.csv"] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let m = &json["manifest"];
    assert_eq!(m["trials"], 300);
    assert_eq!(m["seed"], 1);
    assert_eq!(m["threads"], 2);
    assert_eq!(m["complete"], true);
    assert_eq!(m["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(m["command_line"].as_array().unwrap().len() > 3);
    let policies = json["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 6);
    for p in policies {
        for o in p["outcomes"].as_array().unwrap() {
            assert_eq!(o["n"], 300);
            if let Some(pr) = o.get("probability") {
                let (p, lo, hi) = (
                    pr["p"].as_f64().unwrap(),
                    pr["lo95"].as_f64().unwrap(),
                    pr["hi95"].as_f64().unwrap(),
                );
                assert!((0.0..=1.0).contains(&p) && lo <= p && p <= hi, "{o}");
            } else {
                let q: Vec<f64> = ["p05", "p25", "p50", "p75", "p95"]
                    .iter()
                    .map(|k| o[k].as_f64().unwrap())
                    .collect();
                assert!(q.windows(2).all(|w| w[0] <= w[1]), "quantiles out of order: {o}");
            }
        }
    }
    let csv = fs::read_to_string(out.join("trials.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("policy,trial,state_rationality,"));
    assert!(header.ends_with(",us_strikes,engagement_settled,relief_settled,taliban_ct_conditions"));
    assert_eq!(lines.count(), 6 * 300);
    let charts = out.join("charts");
    for stem in [
        "dist_gdp_index_2030",
        "ecdf_gdp_index_2030",
        "prob_attack_west_isisk",
        "fan_gdp_index",
    ] {
        for ext in ["png", "svg"] {
            assert!(charts.join(format!("{stem}.{ext}")).is_file(), "missing {stem}.{ext}");
        }
    }
    let svg = fs::read_to_string(charts.join("dist_gdp_index_2030.svg")).unwrap();
    assert!(svg.contains("not forecasts"));
    assert!(svg.contains("marcellus_2023_realist"));
    // No staging folder left behind.
    let names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["res"]);
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    assert!(
        run_to(&a, &["--threads", "1", "--no-charts", "--seed", "7"])
            .status
            .success()
    );
    assert!(
        run_to(&b, &["--threads", "2", "--no-charts", "--seed", "7"])
            .status
            .success()
    );
    assert_eq!(
        fs::read(a.join("trials.csv")).unwrap(),
        fs::read(b.join("trials.csv")).unwrap()
    );
    let pa: serde_json::Value = serde_json::from_slice(&fs::read(a.join("summary.json")).unwrap()).unwrap();
    let pb: serde_json::Value = serde_json::from_slice(&fs::read(b.join("summary.json")).unwrap()).unwrap();
    assert_eq!(pa["policies"], pb["policies"]);
    // A different seed gives different trials.
    let c = tmp.path().join("c");
    assert!(run_to(&c, &["--no-charts", "--seed", "8"]).status.success());
    assert_ne!(
        fs::read(a.join("trials.csv")).unwrap(),
        fs::read(c.join("trials.csv")).unwrap()
    );
}

#[test]
fn common_random_numbers_across_policy_selections() {
    // Trial k of status_quo is the same whether or not other policies run alongside.
    let tmp = tempfile::tempdir().unwrap();
    let all = tmp.path().join("all");
    let one = tmp.path().join("one");
    assert!(run_to(&all, &["--no-charts"]).status.success());
    assert!(
        run_to(&one, &["--no-charts", "--policy", "status_quo"])
            .status
            .success()
    );
    let rows = |p: &Path| -> Vec<String> {
        fs::read_to_string(p.join("trials.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| l.starts_with("status_quo,"))
            .map(String::from)
            .collect()
    };
    assert_eq!(rows(&all), rows(&one));
    // and the uncertainty columns of trial k are identical under every policy
    let text = fs::read_to_string(all.join("trials.csv")).unwrap();
    let n_params = 12;
    let by_trial: std::collections::BTreeMap<String, Vec<String>> =
        text.lines().skip(1).fold(Default::default(), |mut m, l| {
            let cols: Vec<&str> = l.split(',').collect();
            m.entry(cols[1].to_string())
                .or_default()
                .push(cols[2..2 + n_params].join(","));
            m
        });
    assert_eq!(by_trial.len(), 300);
    for draws in by_trial.values() {
        assert_eq!(draws.len(), 6);
        assert!(draws.iter().all(|d| d == &draws[0]));
    }
}

#[test]
fn misspelt_actor_is_reported_with_line_and_suggestion_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let text = greatgame::scenario::DEFAULT_SCENARIO.replacen(
        r#"actor: "taliban", action: "crack_down_isisk""#,
        r#"actor: "talibn", action: "crack_down_isisk""#,
        1,
    );
    let file = tmp.path().join("typo.ron");
    fs::write(&file, &text).unwrap();
    let line = text[..text.find("\"talibn\"").unwrap()].matches('\n').count() + 1;
    for cmd in ["validate", "run"] {
        let out = tmp.path().join("never");
        let o = gg()
            .arg(cmd)
            .arg(&file)
            .args(if cmd == "run" {
                vec!["--out", out.to_str().unwrap()]
            } else {
                vec![]
            })
            .output()
            .unwrap();
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("typo.ron:{line}:")), "{err}");
        assert!(err.contains("unknown actor `talibn`"), "{err}");
        assert!(err.contains("did you mean `taliban`?"), "{err}");
        assert!(!out.exists(), "run wrote output despite the error");
    }
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "only the scenario copy should exist"
    );
}

#[test]
fn edited_scenario_changes_results_without_recompiling() {
    let tmp = tempfile::tempdir().unwrap();
    // Make the Taliban indifferent to women's rights restrictions: outcomes change.
    let text = greatgame::scenario::DEFAULT_SCENARIO.replacen(
        r#"(on: "women_rights", weight: -0.5,"#,
        r#"(on: "women_rights", weight: 0.5,"#,
        1,
    );
    let file = tmp.path().join("edited.ron");
    fs::write(&file, text).unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    assert!(
        gg().args([
            "run",
            "--trials",
            "200",
            "-q",
            "--no-charts",
            "--policy",
            "status_quo",
            "--out"
        ])
        .arg(&a)
        .assert()
        .get_output()
        .status
        .success()
    );
    assert!(
        gg().args(["run"])
            .arg(&file)
            .args([
                "--trials",
                "200",
                "-q",
                "--no-charts",
                "--policy",
                "status_quo",
                "--out"
            ])
            .arg(&b)
            .output()
            .unwrap()
            .status
            .success()
    );
    let women = |p: &Path| -> f64 {
        let v: serde_json::Value = serde_json::from_slice(&fs::read(p.join("summary.json")).unwrap()).unwrap();
        v["policies"][0]["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == "women_rights_2030")
            .unwrap()["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(women(&b) > women(&a) + 0.1, "{} vs {}", women(&b), women(&a));
}

#[test]
fn bad_arguments_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let o = gg()
        .args(["run", "--policy", "marcelus_2023_realist", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `marcellus_2023_realist`?"));
    for t in ["0", "1000000001"] {
        let o = gg().args(["run", "--trials", t, "--out"]).arg(&out).output().unwrap();
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("--trials must be between 1 and"));
    }
    let o = gg()
        .args(["run", "--threads", "0", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let o = gg().args(["validate", "/nonexistent/file.ron"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read the scenario file"));
    assert!(!out.exists());
}

#[test]
fn no_trials_file_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    assert!(run_to(&out, &["--no-trials-file", "--no-charts"]).status.success());
    assert!(!out.join("trials.csv").exists());
    assert!(out.join("summary.json").exists());
}

#[test]
fn validate_and_list() {
    let o = gg().arg("validate").output().unwrap();
    assert!(o.status.success());
    let v = String::from_utf8_lossy(&o.stdout);
    assert!(v.contains("ok — 71 state variables"), "{v}");
    assert!(
        v.contains("bargaining: 7 bargainers on 3 dimensions, 6 rounds, 9 outputs"),
        "{v}"
    );
    let o = gg().arg("list").output().unwrap();
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "ACTORS AND INTERESTS",
        "LEVERS",
        "POLICIES",
        "UNCERTAINTIES",
        "OUTCOMES",
        "marcellus_2023_realist",
        "rests on: [safian-2023]:",
        "analogue",
        "taliban_responsiveness",
        "BARGAINING",
        "rounds at 2021Q4, 2022Q4, 2023Q4, 2024Q4, 2026Q1, 2028Q1",
        "bargainer taliban: capability",
        "writes engagement_russia",
    ] {
        assert!(s.contains(needle), "list lacks {needle}");
    }
}

#[test]
fn summary_printed_to_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gg()
        .args(["run", "--trials", "100", "--no-charts", "--out"])
        .arg(tmp.path().join("r"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("| policy | mean | sd | p05 | p25 | median | p75 | p95 |"));
    assert!(s.contains("not forecasts"));
}

#[test]
fn bargain_command_runs_a_ktab_csv() {
    // KTAB's sample input, shipped in the repository (examples/ktab/) so the test needs nothing beside it.
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ktab/dummyData_3Dim.csv");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("dummy.csv");
    let bytes = fs::read(&input).expect("examples/ktab/dummyData_3Dim.csv is part of the repository");
    fs::write(&file, bytes).unwrap();
    let out = tmp.path().join("b");
    let o = gg().arg("bargain").arg(&file).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("History of actor positions over time:"));
    let pos = fs::read_to_string(out.join("positions.csv")).unwrap();
    assert!(pos.starts_with("state,actor,dimension,position"));
    assert_eq!(
        pos.lines().count(),
        1 + 11 * 7 * 3,
        "11 states x 7 actors x 3 dimensions"
    );
    let bad = tmp.path().join("bad.csv");
    fs::write(&bad, "x,y,2,1\nActor,Description,Power,P1,S1\nA,a,1,50\n").unwrap();
    let o = gg()
        .arg("bargain")
        .arg(&bad)
        .arg("--out")
        .arg(tmp.path().join("c"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("line"));
}
