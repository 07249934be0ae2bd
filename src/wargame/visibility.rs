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
    /// Standard deviation of the estimate, in the variable's unit.
    pub noise_sd: f64,
    /// Actors (teams) that know the true value.
    pub owners: Vec<String>,
}

/// (variable, noise as a fraction of its range, owners).
const DEFAULTS: &[(&str, f64, &[&str])] = &[
    ("isisk_strength", 0.12, &["isisk"]),
    ("isisk_external_capability", 0.12, &["isisk"]),
    ("aq_capability", 0.12, &["taliban"]),
    ("aq_restraint", 0.10, &["taliban"]),
    ("taliban_cohesion", 0.08, &["taliban"]),
    ("taliban_ct_effort", 0.08, &["taliban"]),
    ("taliban_ttp_support", 0.10, &["taliban", "ttp"]),
    ("ttp_strength", 0.10, &["ttp"]),
];

/// The default table for `model` (variables it does not have are skipped).
pub fn default_hidden(model: &Model) -> Vec<Hidden> {
    DEFAULTS
        .iter()
        .filter_map(|(id, frac, owners)| {
            let v = model.vars.iter().find(|v| v.id == *id)?;
            Some(Hidden {
                var: v.id.clone(),
                noise_sd: frac * (v.max - v.min),
                owners: owners.iter().map(|s| s.to_string()).collect(),
            })
        })
        .collect()
}

/// What team `team` sees of variable `v` at game turn `turn`: `(value, Some(sd))`
/// for an estimate, `(value, None)` for the true value. Estimates depend only
/// on (game seed, turn, team, variable), so `view` shows the same numbers
/// every time it is asked.
pub fn seen(
    model: &Model,
    hidden: &[Hidden],
    seed: u64,
    turn: u32,
    team: usize,
    v: usize,
    truth: f64,
) -> (f64, Option<f64>) {
    let def = &model.vars[v];
    let Some(h) = hidden.iter().find(|h| h.var == def.id) else {
        return (truth, None);
    };
    if h.owners.iter().any(|o| *o == model.actors[team].id) {
        return (truth, None);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(estimate_seed(seed, turn, team, v));
    let z: f64 = StandardNormal.sample(&mut rng);
    ((truth + h.noise_sd * z).clamp(def.min, def.max), Some(h.noise_sd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_see_the_truth_others_a_repeatable_estimate() {
        let model = crate::scenario::load(None).unwrap().model;
        let hidden = default_hidden(&model);
        assert!(hidden.len() >= 6, "the default table applies to the built-in scenario");
        let v = model.vars.iter().position(|x| x.id == "taliban_cohesion").unwrap();
        let taliban = model.actors.iter().position(|a| a.id == "taliban").unwrap();
        let us = model.actors.iter().position(|a| a.id == "us").unwrap();
        assert_eq!(seen(&model, &hidden, 1, 3, taliban, v, 0.6), (0.6, None));
        let (x, sd) = seen(&model, &hidden, 1, 3, us, v, 0.6);
        assert!(sd.is_some() && x != 0.6 && (0.0..=1.0).contains(&x));
        assert_eq!(seen(&model, &hidden, 1, 3, us, v, 0.6), (x, sd));
        assert_ne!(
            seen(&model, &hidden, 1, 4, us, v, 0.6).0,
            x,
            "a new turn, a new estimate"
        );
        let gdp = model.vars.iter().position(|x| x.id == "gdp_index").unwrap();
        assert_eq!(
            seen(&model, &hidden, 1, 3, us, gdp, 0.8),
            (0.8, None),
            "public variables are exact"
        );
    }
}
