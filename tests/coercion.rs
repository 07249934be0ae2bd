//! Host-country expulsions and the Pakistan-Afghanistan coercion ladder (issue 15): the stocks of Afghans in
//! Pakistan and Iran that returns draw down, the timing of Pakistan's deportation drive and of its first strike,
//! and the two-sided cost of closing the crossings. All on the built-in scenario, status-quo policy.

use greatgame::model::{HOLD, Model};
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};

fn model() -> Model {
    load_str(DEFAULT_SCENARIO, "afghanistan.ron")
        .unwrap_or_else(|e| panic!("{e}"))
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

/// The slot (line of effort) of `actor` that offers `action`, and the action's index.
fn slot_of(m: &Model, actor: &str, action: &str) -> (usize, u8) {
    let a = m.actors.iter().position(|x| x.id == actor).unwrap();
    let k = m.actors[a].actions.iter().position(|x| x.id == action).unwrap() as u8;
    let s = m
        .slots
        .iter()
        .position(|s| s.actor == a && s.options.contains(&k))
        .unwrap();
    (s, k)
}

/// Calendar year of turn `t` (turn 0 = 2021Q3).
fn year_of(t: u32) -> u32 {
    2021 + (2 + t) / 4
}

/// One trial's path: the state after every turn, this turn's event counts, and the choices.
struct Path {
    vars: Vec<Vec<f64>>,
    events: Vec<Vec<u32>>,
    choices: Vec<Vec<u8>>,
}

fn path(m: &Model, seed: u64, k: u64, turns: u32) -> Path {
    let policy = m.baseline;
    let mut st = m.new_trial(seed, k);
    let mut p = Path {
        vars: vec![st.vars.clone()],
        events: Vec::new(),
        choices: Vec::new(),
    };
    while st.turn < turns {
        m.step(&mut st, policy);
        p.vars.push(st.vars.clone());
        p.events.push(st.turn_events.clone());
        p.choices.push(st.choices.clone());
    }
    p
}

/// Through 2025Q4 (18 quarters from 2021Q3).
const HINDCAST_TURNS: u32 = 18;

#[test]
fn the_stock_in_each_host_falls_by_every_return() {
    let m = model();
    let (sp, rp) = (var(&m, "afghans_in_pakistan"), var(&m, "returns_pakistan"));
    let (si, ri) = (var(&m, "afghans_in_iran"), var(&m, "returns_iran"));
    let (fp, fi) = (var(&m, "forced_returns_pakistan"), var(&m, "forced_returns_iran"));
    let need = var(&m, "humanitarian_need");
    let drive = event(&m, "pak_deportation_drive");
    let (mut with_drive, mut without) = (Vec::new(), Vec::new());
    for k in 0..300 {
        let p = path(&m, 3, k, HINDCAST_TURNS);
        for t in 0..HINDCAST_TURNS as usize {
            let (a, b) = (&p.vars[t], &p.vars[t + 1]);
            // The stock moves by arrivals less last quarter's returns (a quarter of the yearly rates).
            let expect_p = a[sp] + (0.25 - a[rp]) / 4.0;
            assert!(
                (b[sp] - expect_p.clamp(0.0, 6.0)).abs() < 1e-9,
                "trial {k} turn {t}: Pakistan stock"
            );
            // Arrivals in Iran rise with need (skip the two turns whose earthquake shock moves need first).
            if t != 9 && t != 16 {
                let arrivals_i = 1.25 + 0.03 * (a[need] - 24.0);
                let expect_i = a[si] + (arrivals_i - a[ri]) / 4.0;
                assert!(
                    (b[si] - expect_i.clamp(0.0, 8.0)).abs() < 1e-9,
                    "trial {k} turn {t}: Iran stock"
                );
            }
            // One definition of returns: the forced (deported) part never exceeds all returns by more than noise.
            assert!(
                b[fp] <= b[rp] + 0.1,
                "trial {k} turn {t}: deportations above all returns from Pakistan"
            );
            assert!(
                b[fi] <= b[ri] + 0.3,
                "trial {k} turn {t}: deportations above all returns from Iran"
            );
        }
        let started = p.events.iter().any(|e| e[drive] > 0);
        let total: f64 = p.vars[1..].iter().map(|v| v[rp] / 4.0).sum();
        let end = p.vars[HINDCAST_TURNS as usize][sp];
        if started {
            with_drive.push((total, end));
        } else {
            without.push((total, end));
        }
    }
    assert!(
        with_drive.len() > 100 && !without.is_empty(),
        "{} / {}",
        with_drive.len(),
        without.len()
    );
    let mean = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| v.iter().map(f).sum::<f64>() / v.len() as f64;
    // A drive raises returns and so lowers the stock left at end-2025.
    assert!(mean(&with_drive, |x| x.0) > mean(&without, |x| x.0) + 0.5);
    assert!(mean(&with_drive, |x| x.1) < mean(&without, |x| x.1) - 0.5);
}

#[test]
fn the_drive_starts_in_2023_not_before_and_comes_in_phases() {
    let m = model();
    let drive = event(&m, "pak_deportation_drive");
    let phase = event(&m, "pak_deportation_phase");
    let (int, cat) = (var(&m, "pak_deport_intensity"), var(&m, "pak_deport_categories"));
    let mut start_year = [0u32; 5]; // 2021..=2025
    let n = 1500;
    let mut phases_after_lull = 0;
    for k in 0..n {
        let p = path(&m, 5, k, HINDCAST_TURNS);
        for t in 0..HINDCAST_TURNS {
            let e = &p.events[t as usize];
            let (before, after) = (&p.vars[t as usize], &p.vars[t as usize + 1]);
            if e[drive] > 0 {
                start_year[(year_of(t) - 2021) as usize] += 1;
                assert_eq!(after[cat], 1.0, "a drive targets the undocumented first");
                assert!(after[int] > 0.8, "a phase is enforced hard up to its deadline");
            }
            if e[phase] > 0 {
                // A new phase comes only after the previous one lulled (the hazard sees this turn's decayed
                // enforcement: 35% lost a quarter), and extends to a new category.
                assert!(
                    before[int] * 0.65 < 0.25 + 1e-9 && e[drive] == 0,
                    "trial {k} turn {t}: phase without a lull"
                );
                assert!(after[cat] > before[cat] || before[cat] == 3.0);
                phases_after_lull += 1;
            }
        }
    }
    let by = |y: usize| start_year[..=y].iter().sum::<u32>() as f64 / n as f64;
    assert!(by(0) < 0.05, "by 2021: {}", by(0));
    assert!(by(1) <= 0.3, "by 2022: {}", by(1));
    assert!(by(2) >= 0.6, "by 2023: {}", by(2));
    // 2023 is the most likely year to start.
    assert!(
        start_year[2] > start_year[1] && start_year[2] > start_year[3],
        "{start_year:?}"
    );
    assert!(phases_after_lull > n as usize / 4, "later phases: {phases_after_lull}");
}

#[test]
fn pakistan_strikes_after_attacks_on_its_forces_and_not_in_2021() {
    let m = model();
    let (slot, strike) = slot_of(&m, "pakistan", "cross_border_strikes");
    let attack = event(&m, "pak_forces_mass_casualty");
    let n = 1500;
    let (mut by2021, mut by2022) = (0, 0);
    // Strike frequency in the quarter after a mass-casualty attack on Pakistani forces, and otherwise (2022-2025).
    let (mut after_n, mut after_s, mut calm_n, mut calm_s) = (0u32, 0u32, 0u32, 0u32);
    for k in 0..n {
        let p = path(&m, 7, k, HINDCAST_TURNS);
        let first = p
            .choices
            .iter()
            .position(|c| c[slot] == strike)
            .map(|t| year_of(t as u32));
        by2021 += matches!(first, Some(y) if y <= 2021) as u32;
        by2022 += matches!(first, Some(y) if y <= 2022) as u32;
        for t in 3..HINDCAST_TURNS as usize {
            let struck = p.choices[t][slot] == strike;
            assert!(p.choices[t][slot] == strike || p.choices[t][slot] == HOLD);
            if p.events[t - 1][attack] > 0 {
                after_n += 1;
                after_s += struck as u32;
            } else {
                calm_n += 1;
                calm_s += struck as u32;
            }
        }
    }
    let (p21, p22) = (by2021 as f64 / n as f64, by2022 as f64 / n as f64);
    assert!(p21 <= 0.15, "P(strike by end-2021) = {p21}");
    assert!(p22 >= 0.6, "P(strike by end-2022) = {p22}");
    let (after, calm) = (after_s as f64 / after_n as f64, calm_s as f64 / calm_n as f64);
    assert!(after_n > 500, "too few attacks on forces: {after_n}");
    assert!(
        after > 1.5 * calm,
        "reactive: {after} after an attack against {calm} otherwise"
    );
}

#[test]
fn closing_the_crossings_costs_both_economies() {
    let base = model();
    let closed_text = DEFAULT_SCENARIO.replacen(
        "  shocks: [\n",
        "  shocks: [\n    (date: \"2022Q1\", label: \"test closure\", effects: [(var: \"crossings_closed\", change: \"1\")], source: \"test\"),\n",
        1,
    );
    assert_ne!(closed_text, DEFAULT_SCENARIO);
    let closed = load_str(&closed_text, "closed.ron")
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
    let (gdp, stress) = (var(&base, "gdp_index"), var(&base, "pak_econ_stress"));
    // 2022Q1 is turn 2; its closure weighs on the next turn's drift.
    let at = 4;
    let (mut d_gdp, mut d_stress) = (0.0, 0.0);
    let n = 300;
    for k in 0..n {
        let a = path(&base, 11, k, at);
        let b = path(&closed, 11, k, at);
        // Common random numbers: identical until the closure.
        assert_eq!(a.vars[2], b.vars[2]);
        d_gdp += b.vars[at as usize][gdp] - a.vars[at as usize][gdp];
        d_stress += b.vars[at as usize][stress] - a.vars[at as usize][stress];
    }
    let (d_gdp, d_stress) = (d_gdp / n as f64, d_stress / n as f64);
    assert!(d_gdp < -0.002, "Afghan GDP index change: {d_gdp}");
    assert!(d_stress > 0.01, "Pakistan's economic stress change: {d_stress}");
}

/// The contested mechanism `pakistan_coercion` has no lever: its views act on the status-quo run itself. Under
/// `backfires` the TTP ends 2025 stronger and better sheltered than under `compels` (same trials, views fixed by
/// giving the other view weight 0).
#[test]
fn under_backfires_coercion_strengthens_the_ttp() {
    let only = |keep: &str| {
        let (compels, backfires) = (
            r#"weight: 1.0, argued_by: ["justsecurity-2021"],"#,
            r#"weight: 1.0, argued_by: ["justsecurity-2022", "fairobserver-2025"],"#,
        );
        assert!(DEFAULT_SCENARIO.contains(compels) && DEFAULT_SCENARIO.contains(backfires));
        let text = if keep == "compels" {
            DEFAULT_SCENARIO.replacen(backfires, &backfires.replace("1.0", "0.0"), 1)
        } else {
            DEFAULT_SCENARIO.replacen(compels, &compels.replace("1.0", "0.0"), 1)
        };
        load_str(&text, "view.ron").unwrap_or_else(|e| panic!("{e}")).model
    };
    let (c, b) = (only("compels"), only("backfires"));
    let (ttp, support) = (var(&c, "ttp_strength"), var(&c, "taliban_ttp_support"));
    let (mut d_ttp, mut d_support) = (0.0, 0.0);
    let n = 400;
    for k in 0..n {
        let pc = path(&c, 13, k, HINDCAST_TURNS);
        let pb = path(&b, 13, k, HINDCAST_TURNS);
        assert_eq!(pc.vars[0], pb.vars[0], "same initial state");
        let end = HINDCAST_TURNS as usize;
        d_ttp += pb.vars[end][ttp] - pc.vars[end][ttp];
        d_support += pb.vars[end][support] - pc.vars[end][support];
    }
    assert!(
        d_ttp / n as f64 > 0.05,
        "TTP strength, backfires - compels: {}",
        d_ttp / n as f64
    );
    assert!(
        d_support / n as f64 > 0.0,
        "sanctuary, backfires - compels: {}",
        d_support / n as f64
    );
}
