//! What teams can see: every variable is public except a few that describe
//! clandestine capabilities and internal politics, which a team other than
//! their owners sees only as a noisy estimate.
//!
//! Why a per-game table here and not a field in the scenario format: what a
//! classroom team should know is a teaching choice of the exercise, not a
//! property of the world the scenario models; keeping it in the game (stored
//! in the log's first record, so a game's rules never change under it) leaves
//! the scenario format, and the scenario file other people calibrate, alone.
//! The defaults below are decided in this one place and documented in
//! docs/instructor-guide.md.
//!
//! Why the error is relative to the value: an analyst's error on "how many
//! fighters" scales with the number (±30% of 4,000 is plausible, ±1,400 on
//! 200 is not). A share-of-range error made small values meaningless. The
//! estimate is the truth times a log-normal factor, so the stated ± scales
//! with the value; and a team with an intelligence-coverage variable in the
//! scenario (`<team>_intel_coverage`, e.g. `us_intel_coverage`) estimates
//! more precisely the better its coverage.

use super::estimate_seed;
use crate::model::Model;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A variable teams see only as an estimate, unless they own it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hidden {
    pub var: String,
    /// Relative error of the estimate (standard deviation of the log of
    /// estimate/truth) for a team with average intelligence coverage.
    pub rel_sd: f64,
    /// Actors (teams) that know the true value.
    pub owners: Vec<String>,
}

/// (variable, relative error, owners).
const DEFAULTS: &[(&str, f64, &[&str])] = &[
    ("isisk_strength", 0.30, &["isisk"]),
    ("isisk_external_capability", 0.30, &["isisk"]),
    ("aq_capability", 0.30, &["taliban"]),
    ("aq_restraint", 0.20, &["taliban"]),
    ("taliban_cohesion", 0.15, &["taliban"]),
    ("taliban_ct_effort", 0.20, &["taliban"]),
    ("taliban_ttp_support", 0.20, &["taliban", "ttp"]),
    ("ttp_strength", 0.25, &["ttp"]),
];

/// Floor of the log-normal error, as a share of the variable's range: a true
/// value of exactly 0 is not revealed exactly.
const FLOOR_SHARE: f64 = 0.002;

/// The default table for `model` (variables it does not have are skipped).
pub fn default_hidden(model: &Model) -> Vec<Hidden> {
    DEFAULTS
        .iter()
        .filter_map(|(id, rel, owners)| {
            let v = model.vars.iter().find(|v| v.id == *id)?;
            Some(Hidden {
                var: v.id.clone(),
                rel_sd: *rel,
                owners: owners.iter().map(|s| s.to_string()).collect(),
            })
        })
        .collect()
}

/// How a team's intelligence coverage scales its errors: 1.5 × the table's
/// error with no coverage, 1 × at coverage 0.5, 0.5 × at full coverage. A
/// team without a coverage variable in the scenario gets 1 ×. Coverage is
/// read as a 0–1 index (0 none, 1 full), not as a share of the variable's
/// declared range, so widening its bounds changes no estimate.
pub fn coverage_factor(model: &Model, vars: &[f64], team: usize) -> f64 {
    let id = format!("{}_intel_coverage", model.actors[team].id);
    match model.vars.iter().position(|v| v.id == id) {
        Some(c) => 1.5 - vars[c].clamp(0.0, 1.0),
        None => 1.0,
    }
}

/// What team `team` sees of variable `v` at game turn `turn`: `(value, Some(sd))`
/// for an estimate, `(value, None)` for the true value. `vars` is the true
/// state (for the team's coverage). Estimates depend only on (game seed,
/// turn, team, variable) and the state, so `view` shows the same numbers
/// every time it is asked.
pub fn seen(
    model: &Model,
    hidden: &[Hidden],
    seed: u64,
    turn: u32,
    team: usize,
    v: usize,
    vars: &[f64],
) -> (f64, Option<f64>) {
    let def = &model.vars[v];
    let truth = vars[v];
    let Some(h) = hidden.iter().find(|h| h.var == def.id) else {
        return (truth, None);
    };
    if h.owners.iter().any(|o| *o == model.actors[team].id) {
        return (truth, None);
    }
    let sigma = h.rel_sd * coverage_factor(model, vars, team);
    let floor = FLOOR_SHARE * (def.max - def.min);
    // Log-normal error on the value itself (plus a small floor); a variable
    // whose range goes below zero is measured from its lower bound instead.
    let origin = def.min.min(0.0);
    let base = truth - origin + floor;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(estimate_seed(seed, turn, team, v));
    let z: f64 = StandardNormal.sample(&mut rng);
    let est = (origin - floor + base * (sigma * z).exp()).clamp(def.min, def.max);
    // One standard deviation stated around the estimate, on the same relative scale.
    let sd = sigma * (est - origin + floor);
    (est, Some(sd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Model, Vec<Hidden>, Vec<f64>) {
        let model = crate::scenario::load(None).unwrap().model;
        let hidden = default_hidden(&model);
        let vars: Vec<f64> = model.vars.iter().map(|v| 0.5 * (v.min + v.max)).collect();
        (model, hidden, vars)
    }

    fn idx(model: &Model, var: &str) -> usize {
        model.vars.iter().position(|x| x.id == var).unwrap()
    }

    fn actor(model: &Model, id: &str) -> usize {
        model.actors.iter().position(|a| a.id == id).unwrap()
    }

    #[test]
    fn owners_see_the_truth_others_a_repeatable_estimate() {
        let (model, hidden, mut vars) = setup();
        assert!(hidden.len() >= 6, "the default table applies to the built-in scenario");
        let v = idx(&model, "taliban_cohesion");
        vars[v] = 0.6;
        let taliban = actor(&model, "taliban");
        let us = actor(&model, "us");
        assert_eq!(seen(&model, &hidden, 1, 3, taliban, v, &vars), (0.6, None));
        let (x, sd) = seen(&model, &hidden, 1, 3, us, v, &vars);
        assert!(sd.is_some() && x != 0.6 && (0.0..=1.0).contains(&x));
        assert_eq!(seen(&model, &hidden, 1, 3, us, v, &vars), (x, sd));
        assert_ne!(
            seen(&model, &hidden, 1, 4, us, v, &vars).0,
            x,
            "a new turn, a new estimate"
        );
        let gdp = idx(&model, "gdp_index");
        vars[gdp] = 0.8;
        assert_eq!(
            seen(&model, &hidden, 1, 3, us, gdp, &vars),
            (0.8, None),
            "public variables are exact"
        );
    }

    /// The error scales with the value: 200 ISIS-K fighters are not shown as
    /// "≈ 0.2 ± 1.4 thousand" (a share-of-range error did exactly that).
    #[test]
    fn a_small_value_gets_a_proportionate_error() {
        let (model, hidden, mut vars) = setup();
        let v = idx(&model, "isisk_strength");
        let china = actor(&model, "china");
        for (truth, turn) in [(0.2, 1), (0.25, 2), (4.0, 3), (9.0, 4)] {
            vars[v] = truth;
            let mut rel = Vec::new();
            for seed in 0..200 {
                let (x, sd) = seen(&model, &hidden, seed, turn, china, v, &vars);
                let sd = sd.unwrap();
                assert!(x > 0.0 && sd > 0.0);
                rel.push(sd / x);
                // Within four stated standard deviations of the truth.
                assert!((x - truth).abs() <= 4.0 * sd.max(0.3 * truth), "{truth}: {x} ± {sd}");
            }
            let mean_rel = rel.iter().sum::<f64>() / rel.len() as f64;
            assert!(
                (0.1..=0.6).contains(&mean_rel),
                "truth {truth}: the stated ± averages {mean_rel:.2} of the estimate"
            );
        }
    }

    #[test]
    fn better_coverage_gives_smaller_errors_for_the_us() {
        let (model, hidden, mut vars) = setup();
        let v = idx(&model, "aq_capability");
        let cov = idx(&model, "us_intel_coverage");
        let us = actor(&model, "us");
        vars[v] = 0.4;
        let spread = |vars: &[f64]| -> (f64, f64) {
            let mut err2 = 0.0;
            let mut sd_sum = 0.0;
            for seed in 0..400 {
                let (x, sd) = seen(&model, &hidden, seed, 2, us, v, vars);
                err2 += (x.ln() - 0.4f64.ln()).powi(2);
                sd_sum += sd.unwrap() / x;
            }
            ((err2 / 400.0).sqrt(), sd_sum / 400.0)
        };
        vars[cov] = 0.1;
        let (poor_err, poor_sd) = spread(&vars);
        vars[cov] = 0.9;
        let (good_err, good_sd) = spread(&vars);
        assert!(good_err < 0.6 * poor_err, "actual error: {good_err} vs {poor_err}");
        assert!(good_sd < 0.6 * poor_sd, "stated error: {good_sd} vs {poor_sd}");
        assert_eq!(
            coverage_factor(&model, &vars, actor(&model, "china")),
            1.0,
            "no coverage variable"
        );
    }
}
