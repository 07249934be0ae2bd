//! Running the model from the starting state to KTAB's stopping rule, once (deterministic or with a caller's RNG)
//! or as many independently seeded stochastic trials.

use super::model::{SettleWork, Smp, StateProbabilities, Turn};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, RngExt, SeedableRng};
use rayon::prelude::*;

/// Movement of the first step gets this added before it divides later steps' movement (KTAB's `smpStopFn`),
/// so a first step with no movement does not divide by zero.
const STOP_EPSILON: f64 = 1e-4;

/// The course of one run: every state from the start to the stop.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Positions of each state t = 0..=T, each `actors × dimensions` on the 0–1 scale.
    pub states: Vec<Vec<f64>>,
    /// The reported probability distribution of each state (step 9), one per state.
    pub probabilities: Vec<StateProbabilities>,
    /// For each step t = 1..=T: the movement of step t divided by that of step 1 (KTAB's "fractional change
    /// compared to first step").
    pub ratios: Vec<f64>,
    pub num_dimensions: usize,
}

impl History {
    /// Number of states, the starting one included.
    pub fn num_states(&self) -> usize {
        self.states.len()
    }
    /// Position of `actor` on `dim` in state `t`, on the 0–100 scale of the input.
    pub fn position(&self, t: usize, actor: usize, dim: usize) -> f64 {
        self.states[t][actor * self.num_dimensions + dim] * 100.0
    }
    /// The last state's positions, 0–1 scale.
    pub fn final_positions(&self) -> &[f64] {
        self.states.last().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Index of the first largest probability: deterministic transitions take the most probable bargain.
pub fn most_probable(probs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &p) in probs.iter().enumerate() {
        if p > probs[best] {
            best = i;
        }
    }
    best
}

/// Draw an index with the given probabilities (which sum to 1 up to rounding).
pub fn draw<R: Rng + ?Sized>(rng: &mut R, probs: &[f64]) -> usize {
    let u: f64 = rng.random::<f64>() * probs.iter().sum::<f64>();
    let mut acc = 0.0;
    for (i, &p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    // Rounding left u at the very top: take the last option that has any probability.
    probs.iter().rposition(|&p| p > 0.0).unwrap_or(0)
}

impl Smp {
    /// Run with deterministic transitions (each actor adopts its most probable bargain) until the stopping rule.
    pub fn run_deterministic(&self) -> History {
        self.run_with(most_probable)
    }

    /// Run with stochastic transitions: each actor draws its bargain from the PCE distribution of its queue,
    /// using `rng`. The caller owns the seeding; the same RNG state gives the same run.
    pub fn run_stochastic(&self, rng: &mut impl Rng) -> History {
        self.run_with(|p| draw(rng, p))
    }

    /// The common loop. Stops after step t when t ≥ 2 and the step's movement is under `stop_ratio` of the first
    /// step's, or when t reaches `max_steps` (KTAB: 0.02 and 100).
    pub fn run_with(&self, mut choose: impl FnMut(&[f64]) -> usize) -> History {
        let mut turn = self.turn(self.initial.clone());
        let mut states = vec![self.initial.clone()];
        let mut probabilities = vec![turn.state_probabilities()];
        let mut ratios = Vec::new();
        let mut first_move = 0.0;
        for t in 1.. {
            let next = turn.next_positions(&mut choose);
            let moved = movement(turn.positions(), &next, self.d);
            if t == 1 {
                first_move = moved;
            }
            let ratio = moved / (first_move + STOP_EPSILON);
            ratios.push(ratio);
            states.push(next.clone());
            turn = self.turn(next);
            probabilities.push(turn.state_probabilities());
            if (t >= 2 && ratio < self.opts.stop_ratio) || t >= self.opts.max_steps {
                break;
            }
        }
        History {
            states,
            probabilities,
            ratios,
            num_dimensions: self.d,
        }
    }
}

impl Smp {
    /// Where a stochastic run ends, and after how many steps: the same run as [`Smp::run_stochastic`] with the same
    /// RNG (same draws, same stopping rule, same final positions) without recording the history or the state
    /// probabilities, which a caller that only wants the settled positions would throw away.
    pub fn settle_stochastic(&self, rng: &mut impl Rng) -> (Vec<f64>, usize) {
        let mut work = SettleWork::default();
        let steps = self.settle_in(rng, &mut work);
        (work.next, steps)
    }

    /// [`Smp::settle_stochastic`] in a caller's buffers: the settled positions are left in
    /// [`SettleWork::settled`]. The simulation keeps one `SettleWork` per trial state, so a bargaining round
    /// allocates nothing once its buffers have grown; the draws, arithmetic and stopping rule are the same.
    pub fn settle_in(&self, rng: &mut impl Rng, work: &mut SettleWork) -> usize {
        let mut choose = |p: &[f64]| draw(rng, p);
        let mut positions = std::mem::take(&mut work.positions);
        positions.clear();
        positions.extend_from_slice(&self.initial);
        let mut turn = Turn::new_with(self, positions, std::mem::take(&mut work.spare));
        let mut next = std::mem::take(&mut work.next);
        let mut first_move = 0.0;
        let mut t = 0;
        loop {
            t += 1;
            turn.next_positions_into(&mut choose, &mut next);
            let moved = movement(turn.positions(), &next, self.d);
            if t == 1 {
                first_move = moved;
            }
            let ratio = moved / (first_move + STOP_EPSILON);
            let (positions, spare) = turn.into_parts();
            if (t >= 2 && ratio < self.opts.stop_ratio) || t >= self.opts.max_steps {
                work.positions = positions;
                work.spare = spare;
                work.next = next;
                return t;
            }
            turn = Turn::new_with(self, next, spare);
            next = positions;
        }
    }
}

/// `Σ_i ||x_i(t) − x_i(t−1)||₂` on the 0–1 scale.
fn movement(before: &[f64], after: &[f64], d: usize) -> f64 {
    before
        .chunks(d)
        .zip(after.chunks(d))
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt())
        .sum()
}

/// SplitMix64 finaliser: spreads consecutive integers over the whole 64-bit range.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG of trial `k` under master seed `seed`: a function of (seed, k) alone, so a trial's draws do not depend
/// on which thread runs it or on how many trials there are.
pub fn trial_rng(seed: u64, k: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(
        splitmix64(seed) ^ splitmix64(k.wrapping_add(0x5851_F42D_4C95_7F2D)),
    ))
}

/// Where one stochastic trial ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialOutcome {
    /// Number of states, the starting one included.
    pub states: usize,
    /// Final positions, `actors × dimensions`, 0–1 scale.
    pub final_positions: Vec<f64>,
}

/// Run `trials` stochastic trials in parallel on the current rayon pool. Trial k uses [`trial_rng`]`(seed, k)` and
/// the results come back in trial order, so the output is identical at any thread count.
pub fn run_trials(smp: &Smp, trials: usize, seed: u64) -> Vec<TrialOutcome> {
    (0..trials as u64)
        .into_par_iter()
        .map(|k| {
            let mut rng = trial_rng(seed, k);
            let h = smp.run_stochastic(&mut rng);
            TrialOutcome {
                states: h.num_states(),
                final_positions: h.final_positions().to_vec(),
            }
        })
        .collect()
}

/// Linear-interpolation quantile (type 7, as R's default and numpy's) of an ascending-sorted sample.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The quantile levels reported for stochastic runs.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Quantiles p05/p25/p50/p75/p95 of each actor's final position on each dimension, on the 0–100 scale;
/// indexed `[actor * dims + dim]`.
pub fn final_quantiles(outcomes: &[TrialOutcome], actors: usize, dims: usize) -> Vec<[f64; 5]> {
    (0..actors * dims)
        .map(|idx| {
            let mut xs: Vec<f64> = outcomes.iter().map(|o| o.final_positions[idx] * 100.0).collect();
            xs.sort_by(f64::total_cmp);
            QUANTILES.map(|q| quantile(&xs, q))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let xs = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile(&xs, 0.5), 20.0);
        assert_eq!(quantile(&xs, 0.25), 10.0);
        assert!((quantile(&xs, 0.05) - 2.0).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn draws_follow_probabilities() {
        let mut rng = trial_rng(1, 0);
        let probs = [0.2, 0.0, 0.8];
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[draw(&mut rng, &probs)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((counts[0] as f64 / 10_000.0 - 0.2).abs() < 0.02, "{counts:?}");
    }

    #[test]
    fn first_maximum_wins_ties() {
        assert_eq!(most_probable(&[0.2, 0.4, 0.4]), 1);
        assert_eq!(most_probable(&[1.0]), 0);
    }

    #[test]
    fn settling_matches_the_full_run() {
        use crate::bargain::SmpOptions;
        use crate::bargain::synthetic::random_scenario;
        for k in 0..5 {
            let smp = Smp::new(&random_scenario(7, 3, &mut trial_rng(9, k)), SmpOptions::default());
            let h = smp.run_stochastic(&mut trial_rng(3, k));
            let (last, steps) = smp.settle_stochastic(&mut trial_rng(3, k));
            assert_eq!(h.final_positions(), last.as_slice());
            assert_eq!(h.num_states(), steps + 1);
        }
    }

    #[test]
    fn trial_seeds_differ() {
        let a: u64 = trial_rng(1, 0).random();
        let b: u64 = trial_rng(1, 1).random();
        let c: u64 = trial_rng(2, 0).random();
        assert!(a != b && a != c && b != c);
        assert_eq!(a, trial_rng(1, 0).random::<u64>());
    }
}
