//! The known present: `run` and `compare` start every trial's comparison from a history anchored to the 2024-25
//! facts (`scenarios/afghanistan.present.ron`, docs/present.md), while `hindcast` runs free.

use assert_cmd::Command;
use greatgame::experiment::runner::TrialDriver;
use greatgame::model::TurnRecord;
use greatgame::present::Anchor;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn ok(c: &mut Command) {
    let o = c.output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `decision_state.csv` as (header, rows of named fields).
fn table(path: &Path) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| header.iter().cloned().zip(l.split(',').map(String::from)).collect())
        .collect();
    (header, rows)
}

fn num(r: &HashMap<String, String>, k: &str) -> f64 {
    r[k].parse().unwrap_or_else(|_| panic!("{k}: {}", r[k]))
}

#[test]
fn every_weighted_trial_starts_with_russia_alone_recognizing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    ok(gg()
        .args(["run", "--trials", "600", "--no-charts", "-q", "--threads", "2", "--out"])
        .arg(&out));
    let (header, rows) = table(&out.join("decision_state.csv"));
    assert_eq!(&header[..4], ["policy", "trial", "weight", "attempts"]);
    assert!(
        header.iter().any(|h| h == "ttp_strength"),
        "every state variable is a column"
    );
    assert!(
        header.iter().any(|h| h == "count.ttp_attack_pakistan"),
        "every event's count is a column"
    );
    assert_eq!(rows.len(), 600 * 6, "one row per policy and trial");
    let weighted: Vec<_> = rows.iter().filter(|r| num(r, "weight") > 0.0).collect();
    assert!(
        weighted.len() as f64 >= 0.99 * rows.len() as f64,
        "nearly every trial fits the soft facts"
    );
    for r in &weighted {
        assert_eq!(num(r, "count.recognition_russia"), 1.0, "trial {}", r["trial"]);
        for other in ["us", "china", "pakistan", "iran", "india"] {
            assert_eq!(
                num(r, &format!("count.recognition_{other}")),
                0.0,
                "{other} in trial {}",
                r["trial"]
            );
        }
        assert_eq!(num(r, "states_recognizing"), 1.0);
        assert!(num(r, "attempts") >= 1.0);
    }
    // The record's lever facts hold in the baseline: US aid cut to a trickle.
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert!(m["design"].as_str().unwrap().contains("anchored="), "{}", m["design"]);
    let a = &m["anchoring"];
    assert_eq!(a["hard"].as_array().unwrap().len(), 6);
    assert_eq!(a["soft"][0]["id"], "ttp_surge_2024");
    let stats = &a["statistics"];
    assert_eq!(stats["trials"], 600);
    let rate = stats["acceptance_rate"].as_f64().unwrap();
    assert!(rate > 0.05 && rate < 1.0, "acceptance {rate}");
}

#[test]
fn the_anchored_history_fits_the_ttp_band_and_is_shared_by_every_policy() {
    let mut model = greatgame::scenario::load(None).unwrap().model;
    let anchor = Anchor::for_scenario(&model, None).unwrap().unwrap();
    model.present = Some(std::sync::Arc::new(anchor));
    let e = model.events.iter().position(|e| e.id == "ttp_attack_pakistan").unwrap();
    let policies: Vec<usize> = (0..model.policies.len()).collect();
    let mut driver = TrialDriver::new(&model);
    let calendar = model.calendar;
    let (mut in_band, mut trials) = (0, 0);
    for trial in 0..200 {
        // Yearly TTP attacks as slot 0 sees them (the shared history is replayed to every slot).
        let mut by_year: HashMap<(usize, i32), f64> = HashMap::new();
        let mut on_turn = |slot: usize, r: &TurnRecord| {
            *by_year.entry((slot, calendar.period(r.turn).year)).or_default() += f64::from(r.events[e]);
        };
        driver.run_trial(
            &model,
            model.new_trial(3, trial),
            &policies,
            &mut on_turn,
            &mut |_, _, _| {},
        );
        let a = driver.anchoring().expect("anchored");
        trials += 1;
        if a.accepted {
            let ratio = (by_year[&(0, 2024)] - 60.0) / (by_year[&(0, 2023)] - 60.0);
            assert!((1.3..=2.8).contains(&ratio), "trial {trial}: ratio {ratio}");
            in_band += 1;
        }
        for slot in 1..policies.len() {
            assert_eq!(
                by_year[&(slot, 2024)],
                by_year[&(0, 2024)],
                "the history is common to every policy"
            );
            assert_eq!(driver.decision_state(&model, slot), driver.decision_state(&model, 0));
        }
    }
    assert!(in_band as f64 >= 0.99 * trials as f64);
}

#[test]
fn same_seed_same_decision_state_at_any_thread_count_and_through_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        ok(gg()
            .args(["run", "--trials", "700", "--seed", "11", "--no-charts", "-q", "--out"])
            .arg(&out)
            .args(extra));
        out
    };
    let one = run("one", &["--threads", "1"]);
    let two = run("two", &["--threads", "2"]);
    for f in ["decision_state.csv", "trials.csv"] {
        assert_eq!(fs::read(one.join(f)).unwrap(), fs::read(two.join(f)).unwrap(), "{f}");
    }
    let s1 = run("s1", &["--shard", "1/2"]);
    let s2 = run("s2", &["--shard", "2/2"]);
    let merged = tmp.path().join("merged");
    ok(gg().arg("merge").arg(&s1).arg(&s2).arg("--out").arg(&merged).arg("-q"));
    assert_eq!(
        fs::read(merged.join("decision_state.csv")).unwrap(),
        fs::read(one.join("decision_state.csv")).unwrap(),
        "merge concatenates the shards' decision states"
    );
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(merged.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["anchoring"]["statistics"]["trials"], 700);
}

#[test]
fn free_history_differs_and_drops_the_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let free = tmp.path().join("free");
    ok(gg()
        .args([
            "run",
            "--policy",
            "status_quo",
            "--trials",
            "800",
            "--no-charts",
            "-q",
            "--free-history",
            "--out",
        ])
        .arg(&free));
    let (header, rows) = table(&free.join("decision_state.csv"));
    assert_eq!(
        &header[..3],
        ["policy", "trial", "gdp_index"],
        "no weight column when nothing is weighted"
    );
    let russia = rows.iter().filter(|r| num(r, "count.recognition_russia") > 0.0).count();
    assert!(
        russia < rows.len() / 2,
        "free, Russia has recognized in only {russia} of {} trials",
        rows.len()
    );
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(free.join("manifest.json")).unwrap()).unwrap();
    assert!(m.get("anchoring").is_none());
    assert!(m["design"].as_str().unwrap().contains("free_history"));
    // --no-decision-state writes none.
    let none = tmp.path().join("none");
    ok(gg()
        .args([
            "run",
            "--policy",
            "status_quo",
            "--trials",
            "50",
            "--no-charts",
            "-q",
            "--no-decision-state",
            "--out",
        ])
        .arg(&none));
    assert!(!none.join("decision_state.csv").exists());
}

#[test]
fn compare_writes_the_decision_state_common_to_every_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    ok(gg()
        .args(["compare", "--trials", "300", "--no-charts", "-q", "--out"])
        .arg(&out));
    let (header, rows) = table(&out.join("decision_state.csv"));
    assert_eq!(header[2], "weight");
    let policies: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["policy"].as_str()).collect();
    assert_eq!(policies.len(), 6, "the baseline and every package");
    assert_eq!(rows.len(), 300 * 6);
    for trial in rows.chunks(6) {
        let strip = |r: &HashMap<String, String>| {
            let mut v: Vec<(String, String)> = r
                .iter()
                .filter(|(k, _)| *k != "policy")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            v.sort();
            v
        };
        for r in &trial[1..] {
            assert_eq!(
                strip(r),
                strip(&trial[0]),
                "common random numbers: the same present for every policy"
            );
        }
        if num(&trial[0], "weight") > 0.0 {
            assert_eq!(num(&trial[0], "count.recognition_russia"), 1.0);
            assert_eq!(num(&trial[0], "count.recognition_us"), 0.0);
        }
    }
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["anchoring"]["statistics"]["trials"], 300);
}

#[test]
fn the_hindcast_runs_free_whatever_the_present_says() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = tmp.path().join("afghanistan.ron");
    fs::write(&scen, greatgame::scenario::DEFAULT_SCENARIO).unwrap();
    fs::write(
        tmp.path().join("afghanistan.hindcast.ron"),
        greatgame::hindcast::spec::DEFAULT_RECORD,
    )
    .unwrap();
    let hindcast = |name: &str| {
        let out = tmp.path().join(name);
        ok(gg()
            .arg("hindcast")
            .arg(&scen)
            .args(["--trials", "1000", "--no-charts", "-q", "--out"])
            .arg(&out));
        (
            fs::read(out.join("hindcast.csv")).unwrap(),
            fs::read_to_string(out.join("hindcast_events.csv")).unwrap(),
        )
    };
    let without = hindcast("without");
    // A present that would force China's recognition in 2022 if the hindcast read it.
    let present = greatgame::present::DEFAULT_PRESENT.replace(
        "event: \"recognition_china\", occurs: []",
        "event: \"recognition_china\", occurs: [\"2022Q1\"]",
    );
    assert_ne!(present, greatgame::present::DEFAULT_PRESENT);
    fs::write(tmp.path().join("afghanistan.present.ron"), &present).unwrap();
    let with = hindcast("with");
    assert_eq!(with, without, "the hindcast never reads the present");
    let p = |events: &str, key: &str| -> f64 {
        events
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(
        p(&with.1, "formal_recognition:russia,2025") < 0.5,
        "free: Russia's recognition is not forced"
    );
    assert!(p(&with.1, "formal_recognition:china,2022") < 0.5);
    // ... while `run` of that scenario does read the sibling present file.
    let out = tmp.path().join("run");
    ok(gg()
        .arg("run")
        .arg(&scen)
        .args([
            "--policy",
            "status_quo",
            "--trials",
            "100",
            "--no-charts",
            "-q",
            "--out",
        ])
        .arg(&out));
    let (_, rows) = table(&out.join("decision_state.csv"));
    assert!(rows.iter().all(|r| num(r, "count.recognition_china") == 1.0));
}

/// `explain` anchors as `compare` does: on the same seed and trials, the paired differences it splits are the
/// ones `compare` reports (its comparison.csv is compare's, row for row), anchored unless `--free-history`.
#[test]
fn explain_splits_the_anchored_differences_compare_reports() {
    let d = tempfile::tempdir().unwrap();
    let common = [
        "--trials",
        "120",
        "--seed",
        "4",
        "--threads",
        "2",
        "--no-charts",
        "--quiet",
    ];
    let policy = "justsecurity_2022_liaison";
    ok(gg()
        .args(["compare", "--policies", policy, "--no-decision-state"])
        .args(common)
        .arg("--out")
        .arg(d.path().join("c")));
    ok(gg()
        .args(["explain", "--policy", policy])
        .args(common)
        .arg("--out")
        .arg(d.path().join("e")));
    ok(gg()
        .args(["explain", "--policy", policy, "--free-history"])
        .args(common)
        .arg("--out")
        .arg(d.path().join("f")));
    let read = |p: &str| fs::read_to_string(d.path().join(p).join("comparison.csv")).unwrap();
    assert_eq!(read("c"), read("e"));
    assert_ne!(read("e"), read("f"), "--free-history changed nothing");
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(d.path().join("e").join("manifest.json")).unwrap()).unwrap();
    assert!(m["design"].as_str().unwrap().contains("anchored="), "{m}");
    assert!(m["anchoring"]["hard"].as_array().is_some_and(|f| !f.is_empty()), "{m}");
    assert!(m["anchoring"]["soft"].as_array().is_some_and(|f| !f.is_empty()), "{m}");
}
