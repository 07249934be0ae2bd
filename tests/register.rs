//! The coefficient register (docs/register.md): `list --coefficients`, explicit
//! ranges, coefficient overrides and `--factors` in sensitivity.

use assert_cmd::Command;
use greatgame::experiment::batch;
use greatgame::model::coefficients::model_with;
use greatgame::scenario::{self, DEFAULT_SCENARIO};
use std::collections::HashSet;

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

#[test]
fn csv_register_has_the_columns_and_every_row_is_sourced_and_in_range() {
    let out = gg()
        .args(["list", "--coefficients", "--format", "csv"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = rdr.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(header, ["id", "value", "low", "high", "kind", "source"]);
    let mut ids = HashSet::new();
    let mut kinds = HashSet::new();
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec.expect("row");
        let (id, kind, source) = (&rec[0], &rec[4], &rec[5]);
        let v: f64 = rec[1].parse().expect("value");
        let lo: f64 = rec[2].parse().expect("low");
        let hi: f64 = rec[3].parse().expect("high");
        assert!(lo <= v && v <= hi, "{id}: {lo} <= {v} <= {hi} fails");
        assert!(!source.trim().is_empty(), "{id} has no source");
        assert!(
            ["seed", "series", "fitted", "judgement", "structural"].contains(&kind),
            "{id}: kind {kind}"
        );
        if kind == "structural" {
            assert!(lo == v && v == hi, "{id}: a structural number is never varied");
        }
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        kinds.insert(kind.to_string());
        n += 1;
    }
    // Every kind of number is there, and the register covers the whole model (hundreds of numbers).
    assert!(n > 500, "only {n} rows");
    for k in ["seed", "series", "fitted", "structural"] {
        assert!(kinds.contains(k), "no {k} row");
    }
    // Known ids: a numeric field, an expression literal, an event constant, a bargaining stance.
    for id in [
        "actors.taliban.actions.crack_down_isisk.cost",
        "variables.siv_resettled.drift#1",
        "actors.us.interests.china_influence.weight",
    ] {
        assert!(ids.contains(id), "{id} missing");
    }
    assert!(ids.iter().any(|i| i.starts_with("events.") && i.contains(".hazard#")));
    assert!(
        ids.iter()
            .any(|i| i.starts_with("bargaining.bargainers.") && i.contains(".position#"))
    );
}

#[test]
fn text_register_is_grouped() {
    let out = gg().args(["list", "--coefficients"]).output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("COEFFICIENT REGISTER:"));
    assert!(text.contains("\n  actors.taliban.actions.crack_down_isisk\n"));
    assert!(text.contains("source: "));
}

/// The scenario with `insert` placed right after the action `crack_down_isisk`'s opening.
fn with_action_ranges(insert: &str) -> String {
    let at = DEFAULT_SCENARIO
        .find("(id: \"crack_down_isisk\", ")
        .expect("action present")
        + 1;
    format!("{}{insert} {}", &DEFAULT_SCENARIO[..at], &DEFAULT_SCENARIO[at..])
}

/// The built-in Taliban `crack_down_isisk` cost, the number the range tests put ranges on.
fn crack_down_cost() -> f64 {
    let m = scenario::load_str(DEFAULT_SCENARIO, "afghanistan.ron").unwrap().model;
    let t = m.actors.iter().position(|a| a.id == "taliban").unwrap();
    m.actors[t]
        .actions
        .iter()
        .find(|a| a.id == "crack_down_isisk")
        .unwrap()
        .cost
}

#[test]
fn explicit_ranges_are_read_and_override_the_default() {
    let c = crack_down_cost();
    let text = with_action_ranges(&format!(
        r#"ranges: {{"cost": ({:?}, {:?}), "effects.taliban_ct_effort.mean#1": (0.0, 0.2)}},"#,
        c / 4.0,
        c * 4.0
    ));
    let loaded = scenario::load_str(&text, "ranged.ron").expect("loads");
    let reg = scenario::register_of(&loaded).expect("register");
    let cost = reg
        .rows
        .iter()
        .find(|r| r.id == "actors.taliban.actions.crack_down_isisk.cost")
        .expect("row");
    assert_eq!(
        (cost.low, cost.value, cost.high, cost.explicit),
        (c / 4.0, c, c * 4.0, true)
    );
    let mean = reg
        .rows
        .iter()
        .find(|r| r.id == "actors.taliban.actions.crack_down_isisk.effects.taliban_ct_effort.mean#1")
        .expect("row");
    assert_eq!((mean.low, mean.high), (0.0, 0.2));
}

#[test]
fn a_bad_range_key_is_an_error_with_position_and_hint() {
    let text = with_action_ranges(r#"ranges: {"cots": (0.5, 2.0)},"#);
    let err = scenario::load_str(&text, "bad.ron").expect_err("refused").to_string();
    assert!(err.contains("`ranges` names `cots`"), "{err}");
    assert!(err.contains("did you mean `cost`?"), "{err}");
    let line = text[..text.find("\"cots\"").unwrap()].matches('\n').count() + 1;
    assert!(err.contains(&format!("bad.ron:{line}:")), "{err}");
}

#[test]
fn a_range_that_excludes_its_value_is_an_error() {
    let c = crack_down_cost();
    let text = with_action_ranges(&format!(r#"ranges: {{"cost": ({:?}, {:?})}},"#, c * 2.0, c * 3.0));
    let err = scenario::load_str(&text, "bad.ron").expect_err("refused").to_string();
    assert!(err.contains(&format!("excludes its value {c}")), "{err}");
    assert!(err.contains("hint:"), "{err}");
    let text = with_action_ranges(r#"ranges: {"cost": (3.0, 0.5)},"#);
    let err = scenario::load_str(&text, "bad.ron").expect_err("refused").to_string();
    assert!(err.contains("low must not exceed high"), "{err}");
    // And through the CLI, with file:line:col.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, &text).unwrap();
    let out = gg().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.ron:") && stderr.contains("low must not exceed high"),
        "{stderr}"
    );
}

/// Outcomes of trials 0..n under the given policies.
fn outcomes(model: &greatgame::model::Model, policies: &[usize], n: u64) -> Vec<Vec<Vec<f64>>> {
    (0..n)
        .map(|k| batch::simulate(model, 42, k, None, policies).1)
        .collect()
}

#[test]
fn the_register_round_trip_is_bit_identical_at_nominal_values() {
    let loaded = scenario::load(None).expect("built-in");
    let reg = scenario::register_of(&loaded).expect("register");
    let every: Vec<(usize, f64)> = reg.rows.iter().enumerate().map(|(i, r)| (i, r.value)).collect();
    let again = model_with(&reg, &every, &loaded.origin, &loaded.text).expect("compiles");
    let policies: Vec<usize> = (0..loaded.model.policies.len()).collect();
    let a = outcomes(&loaded.model, &policies, 24);
    let b = outcomes(&again, &policies, 24);
    for (x, y) in a.iter().flatten().flatten().zip(b.iter().flatten().flatten()) {
        assert_eq!(x.to_bits(), y.to_bits());
    }
}

#[test]
fn a_coefficient_override_changes_results_only_where_it_is_used() {
    let loaded = scenario::load(None).expect("built-in");
    let reg = scenario::register_of(&loaded).expect("register");
    let row = reg
        .rows
        .iter()
        .position(|r| r.id == "variables.siv_resettled.drift#2")
        .expect("row");
    assert_eq!(reg.rows[row].value, 30.0);
    let changed = model_with(&reg, &[(row, 15.0)], &loaded.origin, &loaded.text).expect("compiles");
    let m = &loaded.model;
    let siv = m
        .outcomes
        .iter()
        .position(|o| o.id == "siv_resettled")
        .expect("SIV outcome");
    let policies: Vec<usize> = (0..m.policies.len()).collect();
    let a = outcomes(m, &policies, 16);
    let b = outcomes(&changed, &policies, 16);
    let mut moved = false;
    for (ta, tb) in a.iter().zip(&b) {
        for (pa, pb) in ta.iter().zip(tb) {
            for (o, (x, y)) in pa.iter().zip(pb).enumerate() {
                if o == siv {
                    moved |= x != y;
                } else {
                    assert_eq!(x.to_bits(), y.to_bits(), "outcome {} moved", m.outcomes[o].id);
                }
            }
        }
    }
    assert!(moved, "halving the expanded SIV resettlement rate changed nothing");
}

#[test]
fn sensitivity_varies_coefficient_groups_and_prints_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = gg()
        .args([
            "sensitivity",
            "--factors",
            "groups",
            "--coefficients",
            "actors.taliban.actions.*,variables.gdp_index.drift",
            "--samples",
            "8",
            "--outcome",
            "gdp_index_2030",
            "--no-charts",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("Saltelli: N (k + 2) = 8 x ("), "{stderr}");
    let idx = std::fs::read_to_string(out.join("indices.csv")).unwrap();
    assert!(idx.contains("gdp_index_2030,variables.gdp_index.drift,"), "{idx}");
    assert!(
        idx.contains("gdp_index_2030,actors.taliban.actions.crack_down_isisk,"),
        "{idx}"
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.lines().next().unwrap().contains("variables.gdp_index.drift"));
    // Morris over single coefficients.
    let out2 = dir.path().join("m");
    let o = gg()
        .args([
            "sensitivity",
            "--method",
            "morris",
            "--factors",
            "coefficients",
            "--coefficients",
            "variables.gdp_index.*",
            "--samples",
            "3",
            "--outcome",
            "gdp_index_2030",
            "--no-charts",
            "--quiet",
            "--out",
        ])
        .arg(&out2)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let idx = std::fs::read_to_string(out2.join("indices.csv")).unwrap();
    assert!(idx.contains("gdp_index_2030,variables.gdp_index.drift#"), "{idx}");
}

#[test]
fn factor_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    // --coefficients needs coefficient factors.
    let o = gg()
        .args(["sensitivity", "--coefficients", "x", "--samples", "2", "--out"])
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--factors groups"));
    // A pattern that matches nothing.
    let o = gg()
        .args([
            "sensitivity",
            "--factors",
            "groups",
            "--coefficients",
            "nothing_like_this",
            "--out",
        ])
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("list --coefficients"));
    // A huge design is refused with a hint.
    let o = gg()
        .args(["sensitivity", "--factors", "groups", "--samples", "65536", "--out"])
        .arg(dir.path().join("c"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--method morris") && e.contains("--coefficients PATTERN"),
        "{e}"
    );
}

#[test]
fn sweep_and_discover_take_coefficient_factors() {
    let dir = tempfile::tempdir().unwrap();
    let sw = dir.path().join("sweep");
    let o = gg()
        .args([
            "sweep",
            "--factors",
            "groups",
            "--coefficients",
            "actors.taliban.actions.*",
            "--samples",
            "4",
            "--lever",
            "recognition=none,conditional",
            "--outcome",
            "gdp_index_2030",
            "--no-charts",
            "--quiet",
            "--out",
        ])
        .arg(&sw)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = std::fs::read_to_string(sw.join("experiments.csv")).unwrap();
    assert!(
        rows.lines()
            .next()
            .unwrap()
            .contains(",actors.taliban.actions.crack_down_isisk,")
    );
    assert_eq!(rows.lines().count(), 1 + 4 * 2);
    let d = dir.path().join("discover");
    let o = gg()
        .args([
            "discover",
            "--factors",
            "groups",
            "--coefficients",
            "actors.taliban.*,variables.gdp_index.*",
            "--samples",
            "60",
            "--where",
            "gdp_index_2030>0.82",
            "--method",
            "cart",
            "--no-charts",
            "--quiet",
            "--out",
        ])
        .arg(&d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = std::fs::read_to_string(d.join("experiments.csv")).unwrap();
    assert!(rows.lines().next().unwrap().contains(",variables.gdp_index.drift,"));
}
