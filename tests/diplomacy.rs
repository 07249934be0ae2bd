//! Diplomacy (issue 15): recognition as each state's own decision, the intermediate steps before it, other donors'
//! funding as a state of its own, and bargaining rounds from 2021 that the hindcast checks against the record.

use greatgame::hindcast::{self, spec};
use greatgame::model::sim::TrialState;
use greatgame::model::{HazardDef, Model};
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};

fn model() -> Model {
    load_str(DEFAULT_SCENARIO, "afghanistan.ron")
        .expect("default loads")
        .model
}

fn var(m: &Model, id: &str) -> usize {
    m.vars
        .iter()
        .position(|v| v.id == id)
        .unwrap_or_else(|| panic!("no variable {id}"))
}

fn event(m: &Model, id: &str) -> usize {
    m.events
        .iter()
        .position(|e| e.id == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

fn param(m: &Model, st: &TrialState, id: &str) -> f64 {
    let i = m
        .params
        .iter()
        .position(|p| p.id == id)
        .unwrap_or_else(|| panic!("no uncertainty {id}"));
    st.params[i]
}

/// The per-quarter log-odds of a `Logistic` event on the trial's current state.
fn logit(m: &Model, st: &TrialState, id: &str) -> f64 {
    match &m.events[event(m, id)].hazard {
        HazardDef::Logistic(p) => p.eval(&st.env(m)),
        _ => panic!("{id} is not a logistic event"),
    }
}

fn set(m: &Model, st: &mut TrialState, id: &str, x: f64) {
    st.vars[var(m, id)] = x;
}

fn set_count(m: &Model, st: &mut TrialState, id: &str, n: u32) {
    st.event_counts[event(m, id)] = n;
}

const REGIONAL: [&str; 5] = [
    "recognition_russia",
    "recognition_china",
    "recognition_pakistan",
    "recognition_iran",
    "recognition_india",
];

#[test]
fn recognition_no_longer_drifts_with_legitimacy() {
    let m = model();
    for trial in 0..5 {
        let mut st = m.new_trial(3, trial);
        for id in REGIONAL {
            set(&m, &mut st, "taliban_legitimacy", 0.1);
            let low = logit(&m, &st, id);
            set(&m, &mut st, "taliban_legitimacy", 0.7);
            let high = logit(&m, &st, id);
            assert_eq!(low, high, "{id} reads taliban_legitimacy");
        }
    }
}

#[test]
fn russias_recognition_weighs_the_west_its_ct_need_and_its_terrorist_listing() {
    let m = model();
    for trial in 0..8 {
        let mut st = m.new_trial(5, trial);
        let cost = param(&m, &st, "recognition_west_cost");
        let ct = param(&m, &st, "recognition_ct_weight");
        let barrier = param(&m, &st, "recognition_legal_barrier");
        assert!((2.0..=4.0).contains(&cost) && (2.0..=4.0).contains(&ct) && (6.0..=9.0).contains(&barrier));

        // A state already in confrontation with the West pays less to recognize.
        set(&m, &mut st, "russia_west_confrontation", 0.45);
        let before_war = logit(&m, &st, "recognition_russia");
        set(&m, &mut st, "russia_west_confrontation", 0.9);
        let after_war = logit(&m, &st, "recognition_russia");
        assert!((after_war - before_war - 0.45 * cost).abs() < 1e-9);

        // Attacks at home raise the need for a counter-terrorism partner, and with it the hazard.
        set(&m, &mut st, "russia_ct_need", 0.3);
        let calm = logit(&m, &st, "recognition_russia");
        set(&m, &mut st, "russia_ct_need", 0.6);
        let attacked = logit(&m, &st, "recognition_russia");
        assert!((attacked - calm - 0.3 * ct).abs() < 1e-9);

        // The terrorist listing all but blocks recognition until Russia delists the Taliban.
        set(&m, &mut st, "russia_ct_need", 0.3);
        set_count(&m, &mut st, "delisting_russia", 0);
        let listed = logit(&m, &st, "recognition_russia");
        set_count(&m, &mut st, "delisting_russia", 1);
        let delisted = logit(&m, &st, "recognition_russia");
        assert!((delisted - listed - barrier).abs() < 1e-9);
        let p = |x: f64| 1.0 / (1.0 + (-x).exp());
        assert!(p(listed) < 0.002, "listed: {}", p(listed));

        // The confrontation does not move the other states' decisions; Iran's own CT need moves Iran's.
        set(&m, &mut st, "russia_west_confrontation", 0.45);
        let iran_a = logit(&m, &st, "recognition_iran");
        set(&m, &mut st, "russia_west_confrontation", 0.9);
        assert_eq!(iran_a, logit(&m, &st, "recognition_iran"));
        set(&m, &mut st, "iran_ct_need", 0.8);
        assert!(logit(&m, &st, "recognition_iran") > iran_a);
    }
}

#[test]
fn intermediate_steps_make_recognition_easier() {
    let m = model();
    let mut st = m.new_trial(9, 0);
    for (step, last) in [
        ("ambassador_china", "recognition_china"),
        ("mission_upgrade_pakistan", "recognition_pakistan"),
        ("mission_upgrade_india", "recognition_india"),
        ("delisting_russia", "recognition_russia"),
    ] {
        set_count(&m, &mut st, step, 0);
        let without = logit(&m, &st, last);
        set_count(&m, &mut st, step, 1);
        let with = logit(&m, &st, last);
        assert!(with >= without + 1.0 - 1e-9, "{step} -> {last}: {without} -> {with}");
        assert!(m.events[event(&m, step)].once, "{step} happens at most once");
    }
    // Each step is an outcome of its own.
    for o in [
        "delisting_by_russia",
        "ambassador_by_china",
        "mission_upgrade_by_pakistan",
        "mission_upgrade_by_india",
    ] {
        assert!(m.outcomes.iter().any(|x| x.id == o), "no outcome {o}");
    }
}

#[test]
fn the_2022_confrontation_shock_and_attacks_on_russia_move_its_motives() {
    let m = model();
    let conf = var(&m, "russia_west_confrontation");
    let need = var(&m, "russia_ct_need");
    let attack = event(&m, "isisk_attack_russia");
    let mut attacks_seen = 0;
    for trial in 0..200 {
        let mut st = m.new_trial(21, trial);
        while st.turn < m.decision_turn {
            let label = m.calendar.label(st.turn);
            let before = st.vars.clone();
            let count = st.event_counts[attack];
            m.step(&mut st, 0);
            if label == "2022Q1" {
                assert!(st.vars[conf] - before[conf] > 0.4, "no 2022Q1 jump in trial {trial}");
            }
            let new = st.event_counts[attack] - count;
            if new > 0 {
                attacks_seen += 1;
                // +0.3 per attack (up to the index's ceiling of 1), less at most a tenth of a quarter's fading and
                // the noise.
                let rise = st.vars[need] - before[need];
                let room = (0.3 * new as f64).min(1.0 - before[need]);
                assert!(
                    rise > room - 0.12,
                    "trial {trial}: need rose by {rise} from {}",
                    before[need]
                );
            }
        }
    }
    assert!(attacks_seen > 20, "too few attacks on Russia to test: {attacks_seen}");
}

#[test]
fn other_donors_answer_the_need_and_only_partly_follow_the_us() {
    let m = model();
    let others = var(&m, "other_donor_funding");
    let aid = m
        .levers
        .iter()
        .position(|l| l.id == "humanitarian_aid")
        .expect("aid lever");
    let drift = m.vars[others].drift.as_ref().expect("others have a drift");
    for trial in 0..20 {
        let mut st = m.new_trial(4, trial);
        let follow = param(&m, &st, "donor_us_follow");
        let adjust = param(&m, &st, "donor_adjust");
        st.levers[aid] = 0.0;
        let no_us = drift.eval(&st.env(&m));
        st.levers[aid] = 1.0;
        let one_bn = drift.eval(&st.env(&m));
        // A dollar from the US brings at most 0.8 from the others (was 2.6 x 0.75-1.25), closed at donor_adjust a quarter.
        assert!((one_bn - no_us - adjust * follow).abs() < 1e-9);
        assert!(follow <= 0.8);
        // The others answer the need they see, with or without the US.
        let need = var(&m, "humanitarian_need");
        st.levers[aid] = 0.0;
        st.vars[need] = 20.0;
        let a = drift.eval(&st.env(&m));
        st.vars[need] = 30.0;
        let b = drift.eval(&st.env(&m));
        assert!(b > a + 0.1, "need {a} -> {b}");
    }
}

#[test]
fn bargaining_runs_from_2021_and_passes_its_record_checks() {
    let m = model();
    let rec = spec::load(&m, None, None).unwrap();
    let res = hindcast::run(&m, &rec, 2000, 1, 2).unwrap();
    let scored = hindcast::evaluate(&rec, &res);
    for id in ["B1", "B2", "T3", "T7"] {
        let t = scored
            .iter()
            .find(|t| t.target.id == id)
            .unwrap_or_else(|| panic!("no target {id}"));
        assert!(t.pass(), "{id} failed: {:?}", t.checks);
    }
    let year = |y: i32| rec.years.iter().position(|&x| x == y).unwrap();
    let series = |id: &str, y: i32| {
        let s = rec.series.iter().position(|s| s.id == id).unwrap();
        res.series[s][year(y)].moments.mean
    };
    // Rounds settle from 2021: Russia's settled engagement in 2022 is not the pre-round reference (0.92) and rises
    // toward it as its influence grows.
    let r22 = series("engagement_settled_russia", 2022);
    let r24 = series("engagement_settled_russia", 2024);
    assert!(r22 < 0.88 && r24 > r22, "Russia settled {r22} (2022), {r24} (2024)");
    // Funding falls by about half in 2023, and the other donors' own series does too.
    let o = series("other_donor_funding_usd_bn", 2023) / series("other_donor_funding_usd_bn", 2022);
    assert!((0.3..0.7).contains(&o), "others 2023/2022 = {o}");

    // The 2024-25 facts are not fitted, but the mechanism makes them plausible: delisting comes first and Russia's
    // recognition by 2025 is a real possibility, while no state recognizes through 2023 (T7).
    let p = |g: &str, y: i32| {
        let i = rec.events.iter().position(|e| e.id == g).unwrap();
        res.occurred[i][year(y)] as f64 / res.trials as f64
    };
    let russia25 = p("formal_recognition:russia", 2025);
    let delist25 = p("delisting:russia", 2025);
    assert!(
        (0.05..0.5).contains(&russia25),
        "P(Russia recognizes by 2025) = {russia25}"
    );
    assert!(delist25 >= russia25, "delisting {delist25} < recognition {russia25}");
    assert!(p("delisting:russia", 2023) < 0.15);
    assert!(p("formal_recognition:russia", 2023) < 0.04);
    assert!(p("ambassador:china", 2025) > p("ambassador:china", 2022));
}
