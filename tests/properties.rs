//! Invariants, checked on random inputs (proptest). Case counts are modest by
//! default; set GREATGAME_LONG_TESTS=1 for a long run (thousands of cases).

use greatgame::experiment::{Design, RunOptions, run};
use greatgame::model::sim::logit_choice;
use greatgame::scenario::{DEFAULT_SCENARIO, load, load_str};
use proptest::prelude::*;
use std::sync::OnceLock;

fn cases(short: u32) -> u32 {
    if std::env::var_os("GREATGAME_LONG_TESTS").is_some() {
        short * 50
    } else {
        short
    }
}

fn model() -> &'static greatgame::model::Model {
    static M: OnceLock<greatgame::model::Model> = OnceLock::new();
    M.get_or_init(|| load(None).expect("default scenario").model)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    #[test]
    fn choice_probabilities_sum_to_one(values in prop::collection::vec(prop_oneof![4 => -50.0f64..50.0, 1 => Just(f64::NEG_INFINITY)], 1..64), lambda in 0.0f64..20.0, u in 0.0f64..1.0) {
        let mut v = values.clone();
        if v.iter().all(|x| !x.is_finite()) { v[0] = 0.0; }
        let best = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let orig = v.clone();
        let pick = logit_choice(&mut v, best, lambda, u);
        let total: f64 = v.iter().sum();
        prop_assert!((total - 1.0).abs() < 1e-9, "sum {total}");
        prop_assert!(v[pick] > 0.0, "picked an option with probability 0");
        for (p, o) in v.iter().zip(&orig) {
            prop_assert!(*p >= 0.0 && *p <= 1.0);
            if !o.is_finite() { prop_assert_eq!(*p, 0.0); }
        }
        if lambda == 0.0 {
            let avail = orig.iter().filter(|x| x.is_finite()).count() as f64;
            for (p, o) in v.iter().zip(&orig) { if o.is_finite() { prop_assert!((p - 1.0 / avail).abs() < 1e-12); } }
        }
    }

    #[test]
    fn state_stays_in_bounds(seed in any::<u64>(), trial in 0u64..1_000_000, policy in 0usize..6) {
        let m = model();
        let mut st = m.new_trial(seed, trial);
        for p in &st.params { prop_assert!(p.is_finite()); }
        while st.turn < m.turns {
            m.step(&mut st, policy);
            for (x, v) in st.vars.iter().zip(&m.vars) {
                prop_assert!(x.is_finite() && *x >= v.min && *x <= v.max, "{} = {x} outside [{}, {}] at turn {}", v.id, v.min, v.max, st.turn);
            }
            for (l, def) in st.levers.iter().zip(&m.levers) {
                match &def.kind {
                    greatgame::model::LeverKindDef::Bool => prop_assert!(*l == 0.0 || *l == 1.0),
                    greatgame::model::LeverKindDef::Level(lo, hi) => prop_assert!(*l >= *lo && *l <= *hi),
                    greatgame::model::LeverKindDef::Enum(o) => prop_assert!((*l as usize) < o.len() && l.fract() == 0.0),
                }
            }
            // One pick per choice slot (an actor, or one of its lines of effort), always one of the slot's options.
            prop_assert_eq!(st.choices.len(), m.slots.len());
            for (c, s) in st.choices.iter().zip(&m.slots) { prop_assert!(s.options.contains(c)); }
        }
    }

    #[test]
    fn once_events_fire_at_most_once(seed in any::<u64>()) {
        let m = model();
        let mut st = m.new_trial(seed, 0);
        while st.turn < m.turns { m.step(&mut st, 4); }
        for (c, e) in st.event_counts.iter().zip(&m.events) {
            if e.once { prop_assert!(*c <= 1, "{} fired {c} times", e.id); }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(6), ..ProptestConfig::default() })]

    #[test]
    fn same_seed_same_result_at_any_thread_count(seed in any::<u64>(), trials in 1u64..700) {
        let m = model();
        let design = Design { policies: vec![0, 2, 4], trials, seed };
        let go = |threads| {
            let mut rows = Vec::new();
            let r = run(m, &design, &RunOptions { threads, progress: false, fans: true, keep_values: 50, decision_state: false }, Some(&mut rows)).unwrap();
            (rows, r.stats, r.fans, r.values)
        };
        let a = go(1);
        let b = go(3);
        prop_assert!(a.0 == b.0, "trials.csv rows differ");
        prop_assert!(a.1 == b.1, "statistics differ");
        prop_assert!(a.2 == b.2, "fan histograms differ");
        prop_assert!(a.3 == b.3, "kept values differ");
    }
}

/// Mutations of the default scenario text: delete, insert, duplicate or swap.
fn mutate(text: &str, ops: &[(u8, usize, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(kind, pos, ch) in ops {
        if chars.is_empty() {
            break;
        }
        let i = pos % chars.len();
        match kind % 5 {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, ch),
            2 => {
                let c = chars[i];
                chars.insert(i, c);
            }
            3 => {
                let j = (i + 1) % chars.len();
                chars.swap(i, j);
            }
            _ => {
                let end = (i + 40).min(chars.len());
                chars.drain(i..end);
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), ..ProptestConfig::default() })]

    #[test]
    fn loader_never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let _ = load_str(&text, "fuzz.ron");
    }

    #[test]
    fn loader_never_panics_on_mutated_scenarios(ops in prop::collection::vec((any::<u8>(), any::<usize>(), prop_oneof![Just('"'), Just('('), Just(')'), Just(','), Just('x'), Just('9'), Just('.'), Just(':'), Just('-'), Just('*')]), 1..6)) {
        let text = mutate(DEFAULT_SCENARIO, &ops);
        match load_str(&text, "fuzz.ron") {
            Ok(l) => {
                // A mutation that still loads must still simulate within bounds.
                let m = &l.model;
                let mut st = m.new_trial(1, 0);
                while st.turn < m.turns { m.step(&mut st, m.baseline); }
                for (x, v) in st.vars.iter().zip(&m.vars) { prop_assert!(*x >= v.min && *x <= v.max); }
            }
            Err(e) => {
                let s = e.to_string();
                prop_assert!(s.contains("fuzz.ron"), "{s}");
            }
        }
    }
}
