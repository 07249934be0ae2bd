//! Lines of effort (issue 14 point 2): an actor with lines chooses once per line each quarter, among the line's
//! actions and an implicit hold, so doing more on one line never means doing less on an unrelated one.

use assert_cmd::Command;
use greatgame::analysis::compare::{CompareDesign, compare};
use greatgame::model::{Control, HOLD, Model, Trace};
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Actor `a` works on two lines: `alpha` moves `x`, `beta` moves `y`. The lever `reward` only makes `boost_x`
/// more attractive. Actor `b` (no lines) moves `w`. Nothing links `reward` or `x` to `y` or `w`.
const TWO_LINES: &str = r#"(
  meta: (name: "lines", title: "t", description: "d", start: "2030Q1", decision: "2030Q1", horizon: "2034Q4",
         caveat: "c"),
  variables: [
    (id: "x", label: "x", unit: "u", min: 0.0, max: 100.0, initial: Uniform(1.0, 2.0), source: "judgement"),
    (id: "y", label: "y", unit: "u", min: 0.0, max: 100.0, initial: Uniform(1.0, 2.0), noise: 0.1, source: "judgement"),
    (id: "w", label: "w", unit: "u", min: 0.0, max: 100.0, initial: Fixed(1.0), source: "judgement"),
  ],
  levers: [
    (id: "reward", label: "Reward", kind: Level(0.0, 5.0), default: 0.0,
     incentives: [(actor: "a", action: "boost_x", value: "reward", source: "judgement")], source: "judgement"),
  ],
  actors: [
    (id: "a", name: "A", rationality: "1", interests: [],
     actions: [(id: "boost_x", label: "boost x", line: "alpha", cost: 0.5,
                effects: [(var: "x", mean: "0.1", sd: 0.05)], source: "j"),
               (id: "boost_y", label: "boost y", line: "beta", cost: 0.2,
                effects: [(var: "y", mean: "0.1", sd: 0.05)], source: "j"),
               (id: "cut_y", label: "cut y", line: "beta", cost: 0.4,
                effects: [(var: "y", mean: "-0.1", sd: 0.05)], source: "j")]),
    (id: "b", name: "B", rationality: "1", interests: [],
     actions: [(id: "rest", label: "rest", source: "j"),
               (id: "lift", label: "lift", cost: 0.3, effects: [(var: "w", mean: "0.1", sd: 0.05)], source: "j")]),
  ],
  events: [],
  outcomes: [
    (id: "x_end", label: "x at the end", unit: "u", kind: Maximize, measure: Final("x")),
    (id: "y_end", label: "y at the end", unit: "u", kind: Maximize, measure: Final("y")),
  ],
  policies: [
    (id: "status_quo", label: "none", author: "a", source_file: "f", date: "d", summary: "s", rules: []),
    (id: "rewarded", label: "rewarded", author: "a", source_file: "f", date: "d", summary: "s",
     rules: [(lever: "reward", value: 3.0, passage: "p")]),
  ],
)"#;

/// The same actor without lines: one choice among all its actions, as before lines existed.
fn single_choice() -> String {
    TWO_LINES
        .replace(r#", line: "alpha""#, "")
        .replace(r#", line: "beta""#, "")
        .replace(
            r#"actions: [(id: "boost_x""#,
            r#"actions: [(id: "hold", label: "hold", source: "j"), (id: "boost_x""#,
        )
}

fn load(text: &str) -> Model {
    load_str(text, "lines.ron").unwrap_or_else(|e| panic!("{e}")).model
}

/// Every turn's state of trial `k` under `policy`.
fn trajectory(m: &Model, k: u64, policy: usize) -> Vec<Vec<f64>> {
    let mut st = m.new_trial(11, k);
    let mut out = Vec::new();
    while st.turn < m.turns {
        m.step(&mut st, policy);
        out.push(st.vars.clone());
    }
    out
}

/// The property of the issue: an action's effect on an outcome that nothing links it to is zero. The lever
/// rewards only `boost_x`; under common random numbers, `y` (line `beta`) and `w` (another actor) are bit for bit
/// the same under both policies in every trial and turn, while `x` does move. Without lines, the same lever
/// crowds out the `y` actions and moves `y`: the artefact lines remove.
#[test]
fn a_lever_on_one_line_leaves_an_unlinked_line_exactly_unchanged() {
    let m = load(TWO_LINES);
    let (sq, rw) = (0, 1);
    let (mut x_moved, mut checked) = (0, 0);
    for k in 0..200 {
        let a = trajectory(&m, k, sq);
        let b = trajectory(&m, k, rw);
        for (ta, tb) in a.iter().zip(&b) {
            assert_eq!(ta[1].to_bits(), tb[1].to_bits(), "y differs in trial {k}");
            assert_eq!(ta[2].to_bits(), tb[2].to_bits(), "w differs in trial {k}");
            checked += 1;
        }
        if a.last().unwrap()[0] != b.last().unwrap()[0] {
            x_moved += 1;
        }
    }
    assert_eq!(checked, 200 * m.turns as usize);
    assert!(
        x_moved > 150,
        "the lever should move x in most trials ({x_moved} of 200)"
    );

    let single = load(&single_choice());
    let y_moved = (0..200)
        .filter(|&k| trajectory(&single, k, sq).last().unwrap()[1] != trajectory(&single, k, rw).last().unwrap()[1])
        .count();
    assert!(
        y_moved > 100,
        "without lines the reward crowds out the y actions ({y_moved} of 200)"
    );
}

/// On the built-in scenario: Just Security 2021's containment package has no lever or channel that reaches the
/// Taliban's women line, so the women's-rights difference from the status quo is exactly zero in every trial.
/// Before lines it was +0.019, from al-Qaeda ties crowding out restrictions. The package is run here with the
/// material support for the armed opposition it carried then (which rewards al-Qaeda and TTP ties), so the
/// al-Qaeda line does move and the zero is not vacuous.
#[test]
fn containment_no_longer_moves_womens_rights() {
    let anchor = "(id: \"justsecurity_2021_containment\"";
    let at = DEFAULT_SCENARIO.find(anchor).expect("the containment package");
    let rules = at + DEFAULT_SCENARIO[at..].find("rules: [").unwrap() + "rules: [".len();
    let text = format!(
        "{}\n       (lever: \"opposition_support\", value: \"material\", passage: \"judgement: test\"),{}",
        &DEFAULT_SCENARIO[..rules],
        &DEFAULT_SCENARIO[rules..]
    );
    let m = load_str(&text, "afghanistan.ron").unwrap().model;
    let js = m.policy_index("justsecurity_2021_containment").unwrap();
    let design = CompareDesign {
        slots: vec![m.baseline, js],
        rows: vec![1],
        trials: 300,
        seed: 3,
        threads: 1,
        thresholds: Vec::new(),
        weights: Vec::new(),
        mechanisms: false,
        drivers: false,
        progress: false,
        decision: None,
    };
    let cmp = compare(&m, &design).unwrap();
    let row = cmp
        .rows
        .iter()
        .find(|r| r.outcome == "women_rights_2030")
        .expect("a women's-rights outcome");
    assert_eq!(
        (row.s.diff_mean, row.s.diff_lo95, row.s.diff_hi95),
        (0.0, 0.0, 0.0),
        "no lever or channel links containment to the women line"
    );
    // The al-Qaeda line does respond to the package (the test is not vacuous): compare the shares directly.
    let taliban = m.actors.iter().position(|a| a.id == "taliban").unwrap();
    let shelter = m.actors[taliban]
        .actions
        .iter()
        .position(|a| a.id == "shelter_aq")
        .unwrap();
    let share = |policy: usize| {
        let mut n = 0u32;
        for k in 0..100 {
            let mut st = m.new_trial(3, k);
            while st.turn < m.turns {
                m.step(&mut st, policy);
                if st.turn > m.decision_turn && m.chose(&st.choices, taliban, shelter) {
                    n += 1;
                }
            }
        }
        n
    };
    assert!(share(js) > share(m.baseline), "containment deepens al-Qaeda ties");
}

/// Each slot's probabilities (a line's actions and its hold; or a single-choice actor's menu) sum to 1.
#[test]
fn per_line_probabilities_sum_to_one() {
    for m in [
        load_str(DEFAULT_SCENARIO, "afghanistan.ron").unwrap().model,
        load(TWO_LINES),
    ] {
        let mut st = m.new_trial(5, 0);
        while st.turn < m.turns.min(12) {
            let mut tr = Trace::default();
            m.step_with(
                &mut st,
                m.baseline,
                &mut Control {
                    trace: Some(&mut tr),
                    ..Default::default()
                },
            );
            assert_eq!(tr.choice_probs.len(), m.slots.len());
            for (s, p) in tr.choice_probs.iter().enumerate() {
                assert_eq!(p.len(), m.slots[s].options.len());
                let total: f64 = p.iter().sum();
                assert!((total - 1.0).abs() < 1e-12, "slot {s}: {total}");
                let pick = st.choices[s];
                assert!(m.slots[s].options.contains(&pick));
                // A line ends with its implicit hold; a single-choice actor has none.
                assert_eq!(m.slots[s].line.is_some(), m.slots[s].options.last() == Some(&HOLD));
            }
        }
    }
}

/// Adding a line to one actor shifts no other actor's draws: actor `b` (no lines) gets the same luck whether `a`
/// has lines or not, and `a`'s line `alpha` the same whether `beta` exists or not.
#[test]
fn lines_have_their_own_streams() {
    let with = load(TWO_LINES);
    let without = load(&single_choice());
    let without_beta = load(&TWO_LINES.replace(
        r#"(id: "boost_y", label: "boost y", line: "beta", cost: 0.2,
                effects: [(var: "y", mean: "0.1", sd: 0.05)], source: "j"),
               (id: "cut_y", label: "cut y", line: "beta", cost: 0.4,
                effects: [(var: "y", mean: "-0.1", sd: 0.05)], source: "j")"#,
        "",
    ));
    assert_eq!(without_beta.slots.len(), with.slots.len() - 1);
    for k in 0..50 {
        let (a, b, c) = (
            trajectory(&with, k, 1),
            trajectory(&without, k, 1),
            trajectory(&without_beta, k, 1),
        );
        for t in 0..a.len() {
            assert_eq!(a[t][2].to_bits(), b[t][2].to_bits(), "w, trial {k} turn {t}");
            assert_eq!(a[t][0].to_bits(), c[t][0].to_bits(), "x, trial {k} turn {t}");
        }
    }
}

/// A scenario file written before lines (the built-in scenario as it was on main before this change) gives
/// byte-identical trials: the hash was taken with the binary built from main.
#[test]
fn a_single_line_scenario_is_byte_identical_to_before_lines() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/single_line.ron");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    Command::cargo_bin("greatgame")
        .unwrap()
        .args([
            "run",
            "--trials",
            "300",
            "--seed",
            "7",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(&out)
        .arg(&fixture)
        .assert()
        .success();
    let bytes = std::fs::read(out.join("trials.csv")).unwrap();
    let hash = format!("{:x}", Sha256::digest(&bytes));
    assert_eq!(hash, "94c02b933284d1e54e4d22b37b893237218dd8196fd296a2d29c42237408d69c");
}

fn load_err(text: &str) -> String {
    match load_str(text, "copy.ron") {
        Ok(_) => panic!("the edited scenario should fail to load"),
        Err(e) => e.to_string(),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("needle")].matches('\n').count() + 1
}

#[test]
fn an_explicit_hold_in_a_lined_actor_is_an_error_with_a_hint() {
    let text = TWO_LINES.replace(
        r#"actions: [(id: "boost_x""#,
        r#"actions: [(id: "hold", label: "hold", source: "j"), (id: "boost_x""#,
    );
    let msg = load_err(&text);
    let line = line_of(&text, r#"(id: "hold""#);
    assert!(msg.starts_with(&format!("copy.ron:{line}:")), "{msg}");
    assert!(msg.contains("cannot have an explicit `hold` action"), "{msg}");
    assert!(msg.contains("each line has an implicit hold"), "{msg}");
}

#[test]
fn an_action_without_a_line_in_a_lined_actor_is_an_error_with_a_hint() {
    let text = TWO_LINES.replace(
        r#"(id: "cut_y", label: "cut y", line: "beta","#,
        r#"(id: "cut_y", label: "cut y","#,
    );
    let msg = load_err(&text);
    let line = line_of(&text, r#"(id: "cut_y""#);
    assert!(msg.starts_with(&format!("copy.ron:{line}:")), "{msg}");
    assert!(msg.contains("action `a.cut_y` has no `line`"), "{msg}");
    assert!(msg.contains("lines so far: alpha, beta"), "{msg}");
    // The same on the built-in scenario.
    let from = r#"line: "foreign","#;
    assert!(DEFAULT_SCENARIO.contains(from));
    let text = DEFAULT_SCENARIO.replacen(from, "", 1);
    let msg = load_err(&text);
    assert!(
        msg.starts_with(&format!("copy.ron:{}:", line_of(&text, r#"(id: "court_china_russia""#))),
        "{msg}"
    );
    assert!(
        msg.contains("in an actor with lines every action belongs to one"),
        "{msg}"
    );
}

fn wg(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::cargo_bin("greatgame").unwrap();
    cmd.arg("wargame").args(args).arg("--game").arg(dir);
    if args[0] == "new" {
        cmd.arg("--key-out").arg(dir.with_extension("key"));
    } else {
        cmd.arg("--key").arg(dir.with_extension("key"));
    }
    let o = cmd.output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A team orders one action per line; two on one line, or an unknown action, is refused naming the line or the
/// menu; the view lists the menu by line; the adjudication shows each line's move.
#[test]
fn wargame_orders_one_action_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    assert!(wg(&dir, &["new", "--teams", "us,taliban", "--turns", "2", "--seed", "4"]).0);
    let (success, out, err) = wg(&dir, &["view", "--team", "taliban"]);
    assert!(success, "{err}");
    assert!(out.contains("line al_qaeda:") && out.contains("line women:"), "{out}");
    let (success, _, err) = wg(
        &dir,
        &[
            "orders",
            "--team",
            "taliban",
            "--action",
            "restrain_aq",
            "--action",
            "shelter_aq",
        ],
    );
    assert!(!success);
    assert!(
        err.contains("two actions on") && err.contains("line `al_qaeda`"),
        "{err}"
    );
    let (success, _, err) = wg(&dir, &["orders", "--team", "taliban", "--action", "shelter_militants"]);
    assert!(!success && err.contains("has no action `shelter_militants`"), "{err}");
    let (success, _, err) = wg(&dir, &["orders", "--team", "taliban", "--action", "hold:nowhere"]);
    assert!(!success && err.contains("has no line `nowhere`"), "{err}");
    let (success, _, err) = wg(
        &dir,
        &[
            "orders",
            "--team",
            "taliban",
            "--action",
            "restrain_aq",
            "--action",
            "crack_down_isisk",
            "--action",
            "hold:women",
        ],
    );
    assert!(success, "{err}");
    let (success, out, err) = wg(&dir, &["adjudicate", "--no-charts"]);
    assert!(success, "{err}");
    for want in ["restrain_aq", "crack_down_isisk", "no action on the women line"] {
        assert!(out.contains(want), "missing {want} in {out}");
    }
}
