//! "Where the difference comes from": each state outcome's paired difference
//! split into the channels of the state update (issue 14 point 8).

use assert_cmd::Command;
use greatgame::analysis::compare::{CompareDesign, Comparison, compare};
use greatgame::analysis::drivers::OutcomeDrivers;
use greatgame::model::Model;
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};
use std::fs;

fn design(model: &Model, policies: &[&str], trials: u64, drivers: bool) -> CompareDesign {
    let mut slots = vec![model.baseline];
    slots.extend(
        policies
            .iter()
            .map(|p| model.policy_index(p).unwrap_or_else(|| panic!("no policy {p}"))),
    );
    CompareDesign {
        rows: (1..slots.len()).collect(),
        slots,
        trials,
        seed: 5,
        threads: 1,
        thresholds: Vec::new(),
        weights: Vec::new(),
        mechanisms: false,
        drivers,
        progress: false,
        decision: None,
    }
}

fn split<'a>(cmp: &'a Comparison, model: &Model, slot: usize, outcome: &str) -> &'a OutcomeDrivers {
    let o = model.outcomes.iter().position(|o| o.id == outcome).unwrap();
    cmp.drivers
        .iter()
        .find(|(s, _)| *s == slot)
        .and_then(|(_, v)| v.iter().find(|od| od.outcome == o))
        .unwrap_or_else(|| panic!("no split of {outcome}"))
}

/// For every policy and every state outcome, the channels add up to the
/// outcome's paired difference; and asking for the split changes no result.
#[test]
fn channels_sum_to_the_paired_difference_and_change_nothing() {
    let model = load_str(DEFAULT_SCENARIO, "afghanistan.ron").unwrap().model;
    let ids: Vec<&str> = model
        .policies
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != model.baseline)
        .map(|(_, p)| p.id.as_str())
        .collect();
    let with = compare(&model, &design(&model, &ids, 300, true)).unwrap();
    let without = compare(&model, &design(&model, &ids, 300, false)).unwrap();
    assert!(without.drivers.is_empty());
    let mut checked = 0;
    for (a, b) in with.rows.iter().zip(&without.rows) {
        // Debug prints every f64 exactly (and NaN equal to NaN).
        assert_eq!(
            format!("{:?}", a.s),
            format!("{:?}", b.s),
            "{} {}: the split must not change results",
            a.policy,
            a.outcome
        );
        let Some(od) = with
            .drivers
            .iter()
            .find(|(s, _)| *s == a.slot)
            .and_then(|(_, v)| v.iter().find(|od| od.outcome == a.outcome_index))
        else {
            continue;
        };
        let sum: f64 = od.channels.iter().map(|c| c.diff_mean).sum();
        let tol = 1e-9 * (1.0 + a.s.baseline_mean.abs() + a.s.policy_mean.abs());
        assert!(
            (sum - a.s.diff_mean).abs() <= tol && (od.total - a.s.diff_mean).abs() <= tol,
            "{} {}: channels sum to {sum} (total {}), difference {}",
            a.policy,
            a.outcome,
            od.total,
            a.s.diff_mean
        );
        // The per-actor totals regroup the action channels.
        for actor in &od.actors {
            let id = actor.channel.strip_prefix("actor:").unwrap();
            let of: f64 = od.actions_of(id).iter().map(|c| c.diff_mean).sum();
            assert!(
                (of - actor.diff_mean).abs() <= tol,
                "{}: {of} vs {}",
                actor.channel,
                actor.diff_mean
            );
        }
        checked += 1;
    }
    let state_outcomes = model
        .outcomes
        .iter()
        .filter(|o| greatgame::model::drivers::split_var(o.measure).is_some())
        .count();
    assert_eq!(checked, ids.len() * state_outcomes);
    assert!(state_outcomes > 5);
}

/// Rubin's rise in China's influence (a Minimize outcome, so worse for the US)
/// is mostly the lever term `0.002 * pakistan_policy.pressure` per quarter:
/// that channel alone exceeds the whole difference (reversion pulls part of it
/// back), and it is the largest channel.
#[test]
fn rubins_china_influence_is_mostly_the_pakistan_pressure_lever() {
    let model = load_str(DEFAULT_SCENARIO, "afghanistan.ron").unwrap().model;
    let cmp = compare(
        &model,
        &design(
            &model,
            &["rubin_regional_realism", "fairobserver_2025_reengage"],
            400,
            true,
        ),
    )
    .unwrap();
    let od = split(&cmp, &model, 1, "china_influence_2030");
    assert!(od.total > 0.02, "China's influence rises under Rubin: {}", od.total);
    let lever = od
        .channels
        .iter()
        .find(|c| c.channel == "lever:pakistan_policy")
        .expect("the Pakistan-policy lever moves China's influence");
    assert!(
        lever.diff_mean > 0.5 * od.total,
        "lever {} of {}",
        lever.diff_mean,
        od.total
    );
    assert!(lever.diff_lo95 > 0.0);
    assert_eq!(od.grouped()[0].channel, "lever:pakistan_policy");
    let reversion = od.channels.iter().find(|c| c.channel == "reversion").unwrap();
    assert!(
        reversion.diff_mean < 0.0,
        "reversion pulls back: {}",
        reversion.diff_mean
    );
    // US cost is written as a drift that reads the levers (fused into superinstructions by the compiler): the
    // report says so rather than calling it a trend. (Rubin's package spends nothing; Fair Observer's does.)
    let cost = split(&cmp, &model, 2, "us_cost");
    let drift = cost.channels.iter().find(|c| c.channel == "drift").unwrap();
    assert!(drift.label.contains("reads the levers directly"), "{}", drift.label);
}

/// A scenario in which only a lever moves `x`, while an actor and an event
/// move `y`: all of `x`'s difference is the lever's direct effect. `z` is
/// pushed by a lever past its upper bound: the cut is booked to clamping.
const MINI: &str = r#"(
  meta: (name: "mini", title: "t", description: "d", start: "2030Q1", decision: "2030Q1", horizon: "2030Q4",
         caveat: "c"),
  variables: [
    (id: "x", label: "x", unit: "u", min: 0.0, max: 10.0, initial: Uniform(1.0, 2.0), source: "judgement"),
    (id: "y", label: "y", unit: "u", min: 0.0, max: 10.0, initial: Fixed(1.0), noise: 0.1, source: "judgement"),
    (id: "z", label: "z", unit: "u", min: 0.0, max: 1.0, initial: Fixed(0.5), source: "judgement"),
  ],
  levers: [
    (id: "push", label: "Push", kind: Level(0.0, 1.0), default: 0.0,
     effects: [(var: "x", change: "0.25 * push"), (var: "z", change: "0.2 * push")], source: "judgement"),
  ],
  actors: [
    (id: "a", name: "A", rationality: "1", interests: [],
     actions: [(id: "rest", label: "rest", source: "j"),
               (id: "lift", label: "lift", effects: [(var: "y", mean: "0.1 + 0.2 * push", sd: 0.05)], source: "j")]),
  ],
  events: [
    (id: "jolt", label: "jolt", hazard: Probability("0.3 + 0.3 * push"), consequences: [(var: "y", change: "0.5")],
     source: "j"),
  ],
  outcomes: [
    (id: "x_end", label: "x at the end", unit: "u", kind: Maximize, measure: Final("x")),
    (id: "x_mean", label: "x on average", unit: "u", kind: Maximize, measure: Mean("x")),
    (id: "z_end", label: "z at the end", unit: "u", kind: Maximize, measure: Final("z")),
    (id: "y_end", label: "y at the end", unit: "u", kind: Maximize, measure: Final("y")),
    (id: "jolts", label: "jolts", unit: "events", kind: Info, measure: Count("jolt")),
  ],
  policies: [
    (id: "status_quo", label: "none", author: "a", source_file: "f", date: "d", summary: "s", rules: []),
    (id: "pushed", label: "pushed", author: "a", source_file: "f", date: "d", summary: "s",
     rules: [(lever: "push", value: 1.0, passage: "p")]),
  ],
)"#;

#[test]
fn a_lever_alone_gets_all_the_credit_and_clamping_its_cut() {
    let model = load_str(MINI, "mini.ron").unwrap_or_else(|e| panic!("{e}")).model;
    let cmp = compare(&model, &design(&model, &["pushed"], 200, true)).unwrap();
    for (outcome, want) in [("x_end", 1.0), ("x_mean", 0.625)] {
        let od = split(&cmp, &model, 1, outcome);
        assert_eq!(od.channels.len(), 1, "{outcome}: {:?}", od.channels);
        let c = &od.channels[0];
        assert_eq!(c.channel, "lever:push");
        assert!((c.diff_mean - want).abs() < 1e-12, "{outcome}: {}", c.diff_mean);
        assert!((c.diff_mean - od.total).abs() < 1e-15, "100% of the difference");
        let row = cmp.rows.iter().find(|r| r.outcome == outcome).unwrap();
        assert!((row.s.diff_mean - want).abs() < 1e-12);
    }
    // z: 0.5 + 4 × 0.2 = 1.3 would exceed the bound 1.0: lever +0.8, clamping −0.3.
    let od = split(&cmp, &model, 1, "z_end");
    let get = |id: &str| od.channels.iter().find(|c| c.channel == id).map(|c| c.diff_mean);
    assert!((get("lever:push").unwrap() - 0.8).abs() < 1e-12);
    assert!((get("clamping").unwrap() + 0.3).abs() < 1e-12);
    assert_eq!(od.channels.len(), 2);
    // y moves through the actor's action and the event, never the lever; noise is common to both policies.
    let od = split(&cmp, &model, 1, "y_end");
    assert!(get_channel(od, "lever:push").is_none());
    assert!(get_channel(od, "noise").is_none(), "common random numbers: same noise");
    assert!(get_channel(od, "action:a:lift").is_some());
    assert!(get_channel(od, "event:jolt").unwrap() > 0.0);
    // Counts are not split.
    let jolts = model.outcomes.iter().position(|o| o.id == "jolts").unwrap();
    assert!(cmp.drivers[0].1.iter().all(|od| od.outcome != jolts));
}

fn get_channel(od: &OutcomeDrivers, id: &str) -> Option<f64> {
    od.channels.iter().find(|c| c.channel == id).map(|c| c.diff_mean)
}

#[test]
fn compare_and_explain_write_drivers_csv_and_the_section() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = Command::cargo_bin("greatgame")
        .unwrap()
        .args([
            "compare",
            "--policies",
            "rubin_regional_realism",
            "--trials",
            "200",
            "--threads",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let check_csv = |path: &std::path::Path, rubin: bool| {
        let mut rd = csv::Reader::from_path(path).unwrap();
        assert_eq!(
            rd.headers().unwrap().iter().collect::<Vec<_>>(),
            ["policy", "outcome", "channel", "diff_mean", "diff_lo95", "diff_hi95"]
        );
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert!(
            !rubin
                || rows.iter().any(|r| &r[0] == "rubin_regional_realism"
                    && &r[1] == "china_influence_2030"
                    && &r[2] == "lever:pakistan_policy")
        );
        for r in &rows {
            let (m, lo, hi): (f64, f64, f64) = (r[3].parse().unwrap(), r[4].parse().unwrap(), r[5].parse().unwrap());
            assert!(lo <= m && m <= hi, "{r:?}");
        }
    };
    check_csv(&out.join("drivers.csv"), true);
    let md = fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(md.contains("## Where the difference comes from"));
    assert!(
        md.contains("direct effect of the lever *US policy toward Pakistan*"),
        "{md}"
    );
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Where the difference comes from"));

    let out = tmp.path().join("ex");
    let o = Command::cargo_bin("greatgame")
        .unwrap()
        .args([
            "explain",
            "--policy",
            "justsecurity_2022_liaison",
            "--trials",
            "200",
            "--threads",
            "1",
            "--no-charts",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_csv(&out.join("drivers.csv"), false);
    let md = fs::read_to_string(out.join("explain.md")).unwrap();
    assert!(md.contains("## Where the difference comes from"));
    // Every headline difference is either split into channels (each with its interval) or, when its outcome
    // counts events or actions, keeps the rate explanation instead.
    let section = &md[md.find("## Where the difference comes from").unwrap()..];
    let section = &section[..section.find("### Every event").unwrap_or(section.len())];
    let bullets: Vec<&str> = section.lines().filter(|l| l.starts_with("- **")).collect();
    assert!(!bullets.is_empty(), "{section}");
    for b in bullets {
        assert!(
            b.contains("so it is not split into channels") || (b.contains(": ") && b.contains(" [")),
            "neither split nor explained: {b}"
        );
    }
}
