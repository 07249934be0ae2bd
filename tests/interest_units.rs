//! Preferences do not depend on axis limits (issue 14 point 3): a variable's
//! declared bounds only clamp it. Widening a bound that never binds must leave
//! every trial exactly as it was, turn by turn — same choices, same events,
//! same state — because interests are stated in the variable's own units and
//! the event-interest sensitivities step by the value, not by the range.

use greatgame::model::Model;
use greatgame::model::sim::{Control, Trace};
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};
use proptest::prelude::*;
use std::sync::OnceLock;

const SEED: u64 = 20_260_104;
const TRIALS: u64 = 6;

/// Every turn of `TRIALS` trials of every policy: (state bits, event counts,
/// choices, bits of every actor's choice probabilities). The probabilities
/// catch a change in how an actor values its options even when no draw
/// happens to pick differently.
type History = Vec<(Vec<u64>, Vec<u32>, Vec<u8>, Vec<u64>)>;

fn history(m: &Model) -> History {
    let mut out = Vec::new();
    let mut trace = Trace::default();
    for policy in 0..m.policies.len() {
        for trial in 0..TRIALS {
            let mut st = m.new_trial(SEED, trial);
            while st.turn < m.turns {
                let mut ctl = Control {
                    trace: Some(&mut trace),
                    ..Control::default()
                };
                m.step_with(&mut st, policy, &mut ctl);
                out.push((
                    st.vars.iter().map(|x| x.to_bits()).collect(),
                    st.event_counts.clone(),
                    st.choices.clone(),
                    trace.choice_probs.iter().flatten().map(|p| p.to_bits()).collect(),
                ));
            }
        }
    }
    out
}

struct Baseline {
    model: Model,
    history: History,
    /// Per variable: the lowest and highest value any trial reached.
    seen: Vec<(f64, f64)>,
}

fn baseline() -> &'static Baseline {
    static B: OnceLock<Baseline> = OnceLock::new();
    B.get_or_init(|| {
        let model = load_str(DEFAULT_SCENARIO, "afghanistan.ron").unwrap().model;
        let history = history(&model);
        assert!(history.len() as u64 >= TRIALS * u64::from(model.turns));
        let mut seen = vec![(f64::INFINITY, f64::NEG_INFINITY); model.vars.len()];
        for (bits, ..) in &history {
            for (s, b) in seen.iter_mut().zip(bits) {
                let x = f64::from_bits(*b);
                *s = (s.0.min(x), s.1.max(x));
            }
        }
        Baseline { model, history, seen }
    })
}

/// The scenario text with variable `id`'s `field` (`min` or `max`) set to `value`.
fn with_bound(id: &str, field: &str, value: f64) -> String {
    let head = format!("(id: \"{id}\", label:");
    let at = DEFAULT_SCENARIO.find(&head).expect("variable in the scenario");
    let key = format!("{field}: ");
    let start = at + DEFAULT_SCENARIO[at..].find(&key).expect("bound on the variable's line") + key.len();
    let end = start + DEFAULT_SCENARIO[start..].find(',').unwrap();
    format!("{}{value:?}{}", &DEFAULT_SCENARIO[..start], &DEFAULT_SCENARIO[end..])
}

fn same_history(text: &str) -> Result<(), String> {
    let b = baseline();
    let m = load_str(text, "widened.ron").map_err(|e| e.to_string())?.model;
    let h = history(&m);
    match b.history.iter().zip(&h).position(|(x, y)| x != y) {
        None => Ok(()),
        Some(i) => {
            let (x, y) = (&b.history[i], &h[i]);
            let what = if x.3 != y.3 && x.2 == y.2 {
                "the same choices were made with different probabilities".to_string()
            } else if x.2 != y.2 {
                format!("choices {:?} became {:?}", x.2, y.2)
            } else if x.1 != y.1 {
                "event counts differ".to_string()
            } else {
                let v = x.0.iter().zip(&y.0).position(|(a, b)| a != b).unwrap();
                format!(
                    "`{}` was {} and became {}",
                    b.model.vars[v].id,
                    f64::from_bits(x.0[v]),
                    f64::from_bits(y.0[v])
                )
            };
            Err(format!("record {i} differs: {what}"))
        }
    }
}

/// Variables whose upper (or lower) bound never binds in the baseline run:
/// the highest value reached stays clear of the bound by more than the
/// forward-difference step, so the probe never meets it either.
fn free_bounds() -> Vec<(usize, &'static str)> {
    let b = baseline();
    let mut out = Vec::new();
    for (v, def) in b.model.vars.iter().enumerate() {
        let (lo, hi) = b.seen[v];
        if hi + 0.01 * hi.abs().max(1.0) < def.max {
            out.push((v, "max"));
        }
        if lo > def.min {
            out.push((v, "min"));
        }
    }
    out
}

#[test]
fn widening_returns_iran_max_changes_nothing() {
    // The analyst's case: Iran's deportation plateau moved from 1.50 to 1.20
    // million a year when only this maximum went from 3 to 6.
    let b = baseline();
    let v = b.model.vars.iter().position(|v| v.id == "returns_iran").unwrap();
    assert!(
        b.seen[v].1 < 2.9,
        "returns_iran reached {} — the bound binds",
        b.seen[v].1
    );
    let text = with_bound("returns_iran", "max", 6.0);
    assert_ne!(text, DEFAULT_SCENARIO);
    same_history(&text).unwrap();
}

#[test]
fn a_change_of_preference_does_show() {
    // The comparison is sensitive: halving `per` doubles Iran's interest in
    // returns, and some trial goes differently.
    let text = DEFAULT_SCENARIO.replacen(
        r#"(on: "returns_iran", weight: 0.4, per: 0.03,"#,
        r#"(on: "returns_iran", weight: 0.4, per: 0.015,"#,
        1,
    );
    assert_ne!(text, DEFAULT_SCENARIO);
    assert!(same_history(&text).is_err());
}

#[test]
fn widening_a_variable_behind_an_event_interest_changes_nothing() {
    // Event interests value an action by the hazard's sensitivity to each
    // variable it moves (a forward difference); the step must not be a share
    // of the variable's range.
    let b = baseline();
    let mut vars: Vec<usize> = b.model.derivative_pairs.iter().map(|&(_, v)| v as usize).collect();
    vars.sort_unstable();
    vars.dedup();
    let free = free_bounds();
    let tested: Vec<usize> = vars.into_iter().filter(|v| free.contains(&(*v, "max"))).collect();
    assert!(
        !tested.is_empty(),
        "no variable behind an event interest has a free maximum"
    );
    for v in tested {
        let def = &b.model.vars[v];
        let text = with_bound(&def.id, "max", def.max + 0.5 * (def.max - def.min));
        if let Err(e) = same_history(&text) {
            panic!("widening `{}` max: {e}", def.id);
        }
    }
}

#[test]
fn most_bounds_are_free_in_the_baseline() {
    // Guards the property test below against testing nothing.
    let free = free_bounds();
    assert!(free.len() >= 20, "only {} free bounds", free.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn widening_a_bound_that_never_binds_changes_nothing(pick in any::<prop::sample::Index>(), factor in 0.05f64..4.0) {
        let free = free_bounds();
        let (v, field) = free[pick.index(free.len())];
        let def = &baseline().model.vars[v];
        let span = def.max - def.min;
        let value = if field == "max" { def.max + factor * span } else { def.min - factor * span };
        let text = with_bound(&def.id, field, value);
        prop_assert_ne!(&text, DEFAULT_SCENARIO);
        if let Err(e) = same_history(&text) {
            prop_assert!(false, "widening `{}` {field} to {value}: {e}", def.id);
        }
    }
}
