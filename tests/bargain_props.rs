//! Property tests over random valid KTAB CSV files (3–250 actors, 1–10 dimensions), written with KTAB's quirks
//! (padded fields, trailing commas, quoted descriptions) and with the awkward cases real files have: duplicate
//! positions, zero saliences, zero capability, positions at the ends of the scale.
//!
//! The default case counts keep `cargo test` fast; `GREATGAME_LONG_TESTS=1` runs many more cases.

use greatgame::bargain::options::{
    BigRAdjust, BigRRange, InterVecBrgn, PceModel, ThirdPartyCommit, VictoryProbModel, VotingRule,
};
use greatgame::bargain::{History, Smp, SmpOptions, parse_csv, trial_rng};
use proptest::prelude::*;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

fn long() -> bool {
    std::env::var("GREATGAME_LONG_TESTS").is_ok_and(|v| v == "1")
}

/// `default` cases normally, `long_run` under `GREATGAME_LONG_TESTS=1`; failures are not persisted to files
/// (the failing input is printed, with its seed).
fn config(default: u32, long_run: u32) -> ProptestConfig {
    ProptestConfig {
        cases: if long() { long_run } else { default },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid KTAB CSV text with `n` actors and `d` dimensions, every detail drawn from `seed`.
fn ktab_csv(n: usize, d: usize, seed: u64) -> String {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let pad = |rng: &mut Xoshiro256PlusPlus| " ".repeat(rng.random_range(0..3usize));
    let mut out = format!("Random_{seed} ,\"Generated, for property tests\",{n},{d},\n");
    out.push_str("Actor,Description,Power");
    for k in 1..=d {
        out.push_str(&format!(",Pstn{k},Sal{k}"));
    }
    out.push_str(",\n");
    let mut positions: Vec<Vec<f64>> = Vec::new();
    for i in 0..n {
        let cap = match rng.random_range(0..10u32) {
            0 => 0.0,
            1 => 1000.0,
            _ => (rng.random_range(1.0..200.0f64) * 1000.0).round() / 1000.0,
        };
        // One actor in five shares another's position exactly.
        let pos: Vec<f64> = if i > 0 && rng.random_range(0..5u32) == 0 {
            positions[rng.random_range(0..i)].clone()
        } else {
            (0..d)
                .map(|_| match rng.random_range(0..12u32) {
                    0 => 0.0,
                    1 => 100.0,
                    _ => (rng.random_range(0.0..100.0f64) * 100.0).round() / 100.0,
                })
                .collect()
        };
        let total = if rng.random_range(0..8u32) == 0 {
            100.0
        } else {
            rng.random_range(1.0..100.0f64)
        };
        let shares: Vec<f64> = (0..d)
            .map(|_| {
                if rng.random_range(0..6u32) == 0 {
                    0.0
                } else {
                    rng.random_range(0.0..1.0f64)
                }
            })
            .collect();
        let sum: f64 = shares.iter().sum::<f64>().max(1e-9);
        let sal: Vec<f64> = shares
            .iter()
            .map(|s| (s / sum * total * 100.0).floor() / 100.0)
            .collect();
        let desc = if rng.random_range(0..3u32) == 0 {
            "\"Spatial, random\"".to_string()
        } else {
            "Random Spatial Actor".into()
        };
        // A quoted field must start right after the comma (RFC 4180, and KTAB's own sample does so).
        let desc_pad = if desc.starts_with('"') {
            String::new()
        } else {
            pad(&mut rng)
        };
        out.push_str(&format!("SActor-{i:03},{desc_pad}{desc},{}{cap:.3}", pad(&mut rng)));
        for (p, s) in pos.iter().zip(&sal) {
            out.push_str(&format!(",{}{p:.2},{}{s:.2}", pad(&mut rng), pad(&mut rng)));
        }
        out.push_str(match rng.random_range(0..3u32) {
            0 => ",\n",
            1 => ", \n",
            _ => "\n",
        });
        positions.push(pos);
    }
    out
}

/// The invariants every run must satisfy, whatever the input.
fn check_history(smp: &Smp, h: &History) -> Result<(), TestCaseError> {
    let (n, d) = (smp.num_actors(), smp.num_dimensions());
    prop_assert!(h.num_states() >= 3 || h.num_states() == smp.options().max_steps + 1);
    prop_assert!(h.num_states() <= smp.options().max_steps + 1);
    prop_assert_eq!(h.probabilities.len(), h.num_states());
    prop_assert_eq!(h.ratios.len(), h.num_states() - 1);
    prop_assert!(h.ratios.iter().all(|r| r.is_finite() && *r >= 0.0));
    for (t, state) in h.states.iter().enumerate() {
        prop_assert_eq!(state.len(), n * d);
        for a in 0..n {
            for k in 0..d {
                let x = h.position(t, a, k);
                prop_assert!((0.0..=100.0).contains(&x), "state {} actor {} dim {}: {}", t, a, k, x);
            }
        }
    }
    for (t, p) in h.probabilities.iter().enumerate() {
        let total: f64 = p.option_probs.iter().sum();
        prop_assert!(
            (total - 1.0).abs() < 1e-9,
            "state {}: probabilities sum to {}",
            t,
            total
        );
        prop_assert!(p.option_probs.iter().all(|x| (0.0..=1.0 + 1e-12).contains(x)));
        prop_assert_eq!(p.option_of_actor.len(), n);
        // Each distinct position is counted once: summing actors' probabilities over distinct options gives 1.
        let mut seen = vec![false; p.option_probs.len()];
        let mut by_actor = 0.0;
        for a in 0..n {
            let o = p.option_of_actor[a];
            if !seen[o] {
                seen[o] = true;
                by_actor += p.actor(a);
            }
        }
        prop_assert!(seen.iter().all(|s| *s), "every option belongs to some actor");
        prop_assert!((by_actor - 1.0).abs() < 1e-9);
    }
    Ok(())
}

/// Turn-level distributions: the risk-neutral election and every actor's bargain choice sum to 1.
fn check_turn(smp: &Smp) -> Result<(), TestCaseError> {
    let turn = smp.turn(smp.initial_positions().to_vec());
    let neutral: f64 = turn.neutral_probabilities().iter().sum();
    prop_assert!((neutral - 1.0).abs() < 1e-9, "neutral election sums to {}", neutral);
    let risk = turn.risk_attitudes();
    prop_assert!(
        risk.iter().all(|r| (-1.0..=1.0).contains(r)),
        "risk attitudes {:?}",
        risk
    );
    let bargains = turn.bargains();
    for (queue, probs) in turn.bargain_choices(&bargains) {
        prop_assert_eq!(queue.len(), probs.len());
        prop_assert_eq!(queue[0], None, "the status quo heads every queue");
        let total: f64 = probs.iter().sum();
        prop_assert!((total - 1.0).abs() < 1e-9, "bargain choice sums to {}", total);
    }
    Ok(())
}

/// Parse, run deterministically and stochastically, and check every invariant, including that repeating a run
/// repeats it exactly.
fn run_and_check(n: usize, d: usize, seed: u64, opts: SmpOptions) -> Result<(), TestCaseError> {
    let csv = ktab_csv(n, d, seed);
    let scenario = parse_csv(&csv, "generated.csv").map_err(|e| TestCaseError::fail(format!("{e}\n{csv}")))?;
    prop_assert_eq!(scenario.actors.len(), n);
    let smp = Smp::new(&scenario, opts);
    check_turn(&smp)?;
    let first = smp.run_deterministic();
    check_history(&smp, &first)?;
    // Deterministic mode is deterministic.
    prop_assert_eq!(&first, &smp.run_deterministic());
    // Stochastic mode depends only on the RNG it is given.
    let a = smp.run_stochastic(&mut trial_rng(seed, 7));
    check_history(&smp, &a)?;
    prop_assert_eq!(&a, &smp.run_stochastic(&mut trial_rng(seed, 7)));
    Ok(())
}

proptest! {
    #![proptest_config(config(24, 512))]

    /// Small and medium scenarios with KTAB's default options.
    #[test]
    fn small_scenarios_keep_invariants(n in 3usize..=30, d in 1usize..=10, seed in any::<u64>()) {
        run_and_check(n, d, seed, SmpOptions::default())?;
    }
}

proptest! {
    #![proptest_config(config(3, 48))]

    /// The whole admissible range, up to 250 actors and 10 dimensions. A 250-actor turn takes a fraction of a
    /// second, so by default a few cases run their first six steps; `GREATGAME_LONG_TESTS=1` runs many cases to
    /// the stopping rule.
    #[test]
    fn any_size_keeps_invariants(n in 3usize..=250, d in 1usize..=10, seed in any::<u64>()) {
        let max_steps = if long() { 100 } else { 6 };
        run_and_check(n, d, seed, SmpOptions { max_steps, ..SmpOptions::default() })?;
    }
}

fn any_options() -> impl Strategy<Value = SmpOptions> {
    (
        prop::sample::select(vec![
            VictoryProbModel::Linear,
            VictoryProbModel::Square,
            VictoryProbModel::Quartic,
            VictoryProbModel::Octic,
            VictoryProbModel::Binary,
        ]),
        prop::sample::select(vec![
            VotingRule::Binary,
            VotingRule::PropBin,
            VotingRule::Prop,
            VotingRule::PropCbc,
            VotingRule::Cubic,
            VotingRule::ASymProsp,
        ]),
        prop::sample::select(vec![
            PceModel::Conditional,
            PceModel::MarkovUniform,
            PceModel::MarkovIncentive,
        ]),
        prop::sample::select(vec![BigRRange::Min, BigRRange::Mid, BigRRange::Max]),
        prop::sample::select(vec![
            BigRAdjust::None,
            BigRAdjust::OneThird,
            BigRAdjust::Half,
            BigRAdjust::TwoThirds,
            BigRAdjust::Full,
        ]),
        prop::sample::select(vec![
            ThirdPartyCommit::NoCommit,
            ThirdPartyCommit::SemiCommit,
            ThirdPartyCommit::FullCommit,
        ]),
        prop::sample::select(vec![InterVecBrgn::S1P1, InterVecBrgn::S2P2]),
    )
        .prop_map(
            |(victory_prob, voting_rule, pce, big_r_range, big_r_adjust, third_party_commit, inter_vec_brgn)| {
                SmpOptions {
                    victory_prob,
                    voting_rule,
                    pce,
                    big_r_range,
                    big_r_adjust,
                    third_party_commit,
                    inter_vec_brgn,
                    ..SmpOptions::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(config(24, 256))]

    /// Every combination of the documented options keeps the same invariants.
    #[test]
    fn every_option_keeps_invariants(opts in any_options(), n in 3usize..=15, d in 1usize..=4, seed in any::<u64>()) {
        run_and_check(n, d, seed, opts)?;
    }
}

#[test]
fn largest_input_runs() {
    // 250 actors on 10 dimensions, the largest input KTAB accepts: two full turns here, the whole run when long.
    let scenario = parse_csv(&ktab_csv(250, 10, 250), "largest.csv").unwrap();
    let opts = SmpOptions {
        max_steps: if long() { 100 } else { 2 },
        ..SmpOptions::default()
    };
    let smp = Smp::new(&scenario, opts);
    let h = smp.run_deterministic();
    check_history(&smp, &h).unwrap();
    assert!(h.num_states() >= 3);
    // Somebody moved in the first step.
    assert!(h.ratios[0] > 0.0);
}

#[test]
fn everyone_at_one_point_is_a_fixed_point() {
    // Nothing to bargain over: no challenges, no movement, all probability on the single position.
    let mut csv = String::from("Consensus,all agree,5,2,\nActor,Description,Power,P1,S1,P2,S2,\n");
    for i in 0..5 {
        csv.push_str(&format!("A{i},x,{},40,30,60,20,\n", 10 * (i + 1)));
    }
    let smp = Smp::new(&parse_csv(&csv, "consensus.csv").unwrap(), SmpOptions::default());
    let h = smp.run_deterministic();
    assert_eq!(h.num_states(), 3, "stops at the first chance (step 2)");
    assert!(h.states.iter().all(|s| s == smp.initial_positions()));
    assert_eq!(h.probabilities[0].option_probs, vec![1.0]);
    assert_eq!(h.probabilities[0].per_actor(), vec![1.0; 5]);
    assert_eq!(smp.turn(smp.initial_positions().to_vec()).risk_attitudes(), &[0.0; 5]);
}
