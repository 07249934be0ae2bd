//! Random scenarios in the style of KTAB's own generator (its "Random Spatial Actor" samples such as
//! `dummyData_3Dim.csv`): for benchmarks, property tests, and for trying the model on inputs of any size.

use super::input::{Actor, Scenario};
use rand::{Rng, RngExt};

/// Round to two decimals, as KTAB prints positions and saliences in its CSV files.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A scenario with `actors` actors on `dims` dimensions: capabilities uniform on 10–200, positions uniform on
/// 0–100, and saliences that split a total drawn uniformly from 50–100 at random among the dimensions (so each
/// actor's saliences sum to at most 100, as the input rules require). Everything is rounded to two decimals.
pub fn random_scenario(actors: usize, dims: usize, rng: &mut impl Rng) -> Scenario {
    let actors: Vec<Actor> = (0..actors)
        .map(|i| {
            let capability = cents(rng.random_range(10.0..200.0));
            let positions = (0..dims).map(|_| cents(rng.random_range(0.0..100.0))).collect();
            let total = rng.random_range(50.0..100.0);
            let shares: Vec<f64> = (0..dims).map(|_| rng.random_range(0.05..1.0)).collect();
            let sum: f64 = shares.iter().sum();
            // Round down so rounding can never push the sum over 100.
            let saliences = shares
                .iter()
                .map(|s| (s / sum * total * 100.0).floor() / 100.0)
                .collect();
            Actor {
                name: format!("SActor-{i:02}"),
                description: "Random Spatial Actor".into(),
                capability,
                positions,
                saliences,
            }
        })
        .collect();
    Scenario {
        name: format!("Random_{}x{dims}", actors.len()),
        description: "Random spatial actors".into(),
        dimensions: (1..=dims).map(|k| format!("Pstn{k}")).collect(),
        actors,
    }
}
