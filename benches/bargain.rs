//! Benchmark: one deterministic SMP run to the stopping rule on a 40-actor, 3-dimension random scenario
//! (fixed seed), the size of the "KTAB itself takes seconds" comparison in `docs/bargaining.md`.
//!
//! `cargo bench --bench bargain`

use greatgame::bargain::synthetic::random_scenario;
use greatgame::bargain::{Smp, SmpOptions};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

fn main() {
    divan::main();
}

fn model(actors: usize, dims: usize) -> Smp {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(20170530);
    Smp::new(&random_scenario(actors, dims, &mut rng), SmpOptions::default())
}

/// The headline figure: 40 actors, 3 dimensions, deterministic, run until KTAB's stopping rule.
#[divan::bench(sample_count = 20)]
fn deterministic_40x3(bencher: divan::Bencher) {
    let smp = model(40, 3);
    bencher.bench(|| divan::black_box(smp.run_deterministic()).num_states());
}

/// One turn (analysis, challenges, bargains, choices) of the same scenario, for scaling comparisons.
#[divan::bench(args = [40, 100, 250], sample_count = 10)]
fn one_turn(bencher: divan::Bencher, actors: usize) {
    let smp = model(actors, 3);
    bencher.bench(|| {
        let turn = smp.turn(smp.initial_positions().to_vec());
        divan::black_box(turn.next_positions(greatgame::bargain::run::most_probable))
    });
}
