//! The TTP's campaign regimes (truce, talks, offensive) in the built-in scenario, and the hindcast statistic
//! `ProbIn(event, year)` that the pattern checks P1 and P2 use (issue 15).

use greatgame::hindcast::{self, spec};
use greatgame::scenario::{load, load_str};

/// A tiny scenario whose event probabilities are known exactly: `in22` happens in every quarter of 2022 and in
/// no other, `always` every quarter (each occurrence counts the variable `w`, fixed at 2), `never` never.
const TINY: &str = r#"(
  meta: (name: "tiny", title: "t", description: "d", start: "2021Q3", decision: "2023Q1", horizon: "2023Q4",
         caveat: "c"),
  variables: [
    (id: "w", label: "w", unit: "u", min: 0.0, max: 10.0, initial: Fixed(2.0), source: "judgement"),
  ],
  levers: [],
  actors: [
    (id: "a", name: "A", rationality: "1", interests: [], actions: [(id: "rest", label: "rest", source: "j")]),
  ],
  events: [
    (id: "in22", label: "in 2022", hazard: Probability("if year >= 2022 and year < 2023 then 1 else 0"), source: "j"),
    (id: "always", label: "always", hazard: Probability("1"), source: "j"),
    (id: "never", label: "never", hazard: Probability("0"), source: "j"),
  ],
  outcomes: [(id: "n", label: "n", unit: "events", kind: Info, measure: Count("always"))],
  policies: [(id: "status_quo", label: "none", author: "a", source_file: "f", date: "d", summary: "s", rules: [])],
)"#;

const TINY_RECORD: &str = r#"(
  policy: "status_quo",
  until: "2023Q4",
  calibrated_through: 2023,
  series: [
    (id: "weighted", label: "w per event", unit: "u", measure: Events([(events: ["always"], per_event: [Var("w"), Const(0.5)])]), source: "s"),
  ],
  events: [
    (id: "in22", events: ["in22"]),
    (id: "never", events: ["never"]),
  ],
  targets: [
    (id: "X", target: "t", band: "b", checks: [
      (stat: ProbIn(event: "in22", year: 2021), max: 0.0),
      (stat: ProbIn(event: "in22", year: 2022), min: 1.0),
      (stat: ProbIn(event: "in22", year: 2023), max: 0.0),
      (stat: ProbBy(event: "in22", year: 2023), min: 1.0),
      (stat: ProbIn(event: "never", year: 2022), max: 0.0),
    ]),
  ],
)"#;

#[test]
fn prob_in_counts_only_the_calendar_year_and_var_scales_each_event() {
    let model = load_str(TINY, "tiny.ron").unwrap_or_else(|e| panic!("{e}")).model;
    let rec = spec::load_str(&model, TINY_RECORD, "tiny.hindcast.ron").unwrap_or_else(|e| panic!("{e}"));
    let res = hindcast::run(&model, &rec, 300, 3, 2).unwrap();
    assert_eq!(rec.years, vec![2021, 2022, 2023]);
    // happened in the year: 0, all, 0; happened by the end of the year: 0, all, all
    assert_eq!(res.occurred_in[0], vec![0, 300, 0]);
    assert_eq!(res.occurred[0], vec![0, 300, 300]);
    assert_eq!(res.occurred_in[1], vec![0, 0, 0]);
    let scored = hindcast::evaluate(&rec, &res);
    let x = &scored[0];
    assert_eq!(x.checks.len(), 5);
    let values: Vec<f64> = x.checks.iter().map(|c| c.value).collect();
    assert_eq!(values, vec![0.0, 1.0, 0.0, 1.0, 0.0]);
    assert!(x.pass(), "{:?}", x.checks);
    assert_eq!(x.checks[1].what, "P(in22 in 2022)");
    // Var("w") x Const(0.5) per event, 4 events a year (the half year 2021 annualised): 2 x 0.5 x 4 = 4.
    for y in 0..3 {
        assert!((res.series[0][y].moments.mean - 4.0).abs() < 1e-12, "{y}");
    }
}

#[test]
fn prob_in_names_an_unknown_event_group() {
    let model = load_str(TINY, "tiny.ron").unwrap().model;
    let bad = TINY_RECORD.replace(
        "ProbIn(event: \"in22\", year: 2022)",
        "ProbIn(event: \"in2\", year: 2022)",
    );
    let err = spec::load_str(&model, &bad, "tiny.hindcast.ron")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown event group `in2`"), "{err}");
}

/// Per year (2021-2025) of the built-in status-quo hindcast: the series' means.
fn series(res: &hindcast::HindcastResults, rec: &spec::Record, id: &str) -> Vec<f64> {
    let s = rec
        .series
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("no series {id}"));
    res.series[s].iter().map(|x| x.moments.mean).collect()
}

#[test]
fn the_ttp_truce_comes_in_2022_collapses_and_the_offensive_steps_up() {
    let model = load(None).unwrap().model;
    let rec = spec::load(&model, None, None).unwrap();
    assert_eq!(rec.years, vec![2021, 2022, 2023, 2024, 2025]);
    let res = hindcast::run(&model, &rec, 3000, 1, 2).unwrap();
    let truce = series(&res, &rec, "ttp_ceasefire_share");
    let offensive = series(&res, &rec, "ttp_offensive_share");
    // A truce holds for a real share of 2022 (record: June-Nov, about 0.4 of the year), much less after the collapse.
    assert!(truce[1] > 0.15 && truce[1] < 0.6, "2022 truce share {}", truce[1]);
    assert!(truce[2] < 0.5 * truce[1], "2023 {} vs 2022 {}", truce[2], truce[1]);
    assert!(truce[3] < truce[1] && truce[4] < truce[1], "{truce:?}");
    // The offensive steps down in the truce year and up after the collapse (quarters per year; before the
    // regimes it was about 3.76 in every year).
    assert!(offensive[1] < 3.7, "{offensive:?}");
    assert!(offensive[2] > offensive[1] + 0.2, "{offensive:?}");
    // Regimes switch: truces start and end; most trials see both by end-2022.
    let g = |id: &str| rec.events.iter().position(|e| e.id == id).unwrap();
    let p = |k: u64| k as f64 / res.trials as f64;
    assert!(p(res.occurred[g("ttp_ceasefire_start")][1]) > 0.8);
    assert!(p(res.occurred[g("ttp_ceasefire_end")][1]) > 0.5);
    // A start is always followed by an end or a truce still in force: ends by year y never exceed starts by y.
    for y in 0..5 {
        assert!(res.occurred[g("ttp_ceasefire_end")][y] <= res.occurred[g("ttp_ceasefire_start")][y]);
    }
}

#[test]
fn deaths_attacks_and_baloch_violence_move_apart() {
    let model = load(None).unwrap().model;
    let rec = spec::load(&model, None, None).unwrap();
    let res = hindcast::run(&model, &rec, 2000, 5, 2).unwrap();
    let ttp_attacks = series(&res, &rec, "ttp_attacks");
    let ttp_deaths = series(&res, &rec, "ttp_deaths");
    let baloch = series(&res, &rec, "baloch_attacks");
    let all = series(&res, &rec, "pakistan_militant_attacks");
    for y in 0..5 {
        // the PICSS-like count is the TTP's attacks plus the Baloch insurgents'
        assert!((all[y] - ttp_attacks[y] - baloch[y]).abs() < 1e-6 * all[y]);
        // about 10-30% of the count in the record years (judgement); a shrinking share later, as the TTP grows
        let low = if y <= 2 { 0.1 } else { 0.04 };
        assert!(
            baloch[y] > low * all[y] && baloch[y] < 0.35 * all[y],
            "{y}: {} of {}",
            baloch[y],
            all[y]
        );
    }
    // Deaths per TTP attack are not fixed: they rise after the truce collapses (momentum, bigger bombings).
    let per_attack: Vec<f64> = ttp_deaths.iter().zip(&ttp_attacks).map(|(d, a)| d / a).collect();
    assert!(per_attack[2] > 1.05 * per_attack[1], "{per_attack:?}");
    // Baloch violence runs on its own dynamics: no step up with the TTP's offensive in 2023.
    assert!((baloch[2] / baloch[1] - 1.0).abs() < 0.1, "{baloch:?}");
    assert!(ttp_attacks[2] / ttp_attacks[1] > baloch[2] / baloch[1]);
}

#[test]
fn the_pattern_checks_pass_with_the_twelve_targets() {
    let model = load(None).unwrap().model;
    let rec = spec::load(&model, None, None).unwrap();
    let res = hindcast::run(&model, &rec, 4000, 1, 2).unwrap();
    let scored = hindcast::evaluate(&rec, &res);
    for id in ["P1", "P2", "T6"] {
        let t = scored
            .iter()
            .find(|t| t.target.id == id)
            .unwrap_or_else(|| panic!("no target {id}"));
        assert!(t.pass(), "{id}: {:?}", t.checks);
    }
    let p1 = scored.iter().find(|t| t.target.id == "P1").unwrap();
    assert_eq!(p1.checks[0].what, "P(ttp_ceasefire_in_force in 2022)");
    assert!(p1.checks[0].value > p1.checks[1].value + 0.3);
}
