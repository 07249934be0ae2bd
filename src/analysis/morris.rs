//! Morris elementary effects: a cheap screening of which factors matter.
//!
//! Along each trajectory (see [`crate::experiment::samplers::MorrisDesign`])
//! one factor moves at a time by ±Δ; its elementary effect is the change in
//! the output divided by the signed step. Over r trajectories:
//!
//! * μ — mean effect (signed; effects of opposite sign cancel);
//! * μ* — mean absolute effect (Campolongo et al. 2007): the importance;
//! * σ — standard deviation of the effects: non-linearity or interactions.
//!
//! A factor with μ* ≈ 0 is inert. Effects are in output units per unit of the
//! factor's probability scale (the grid is in quantiles). Memory: r × d
//! effects per output.

use super::sobol::percentile_interval;
use crate::model::sim::stream_seed;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

#[derive(Debug, Clone)]
pub struct MorrisIndices {
    pub mu: Vec<f64>,
    pub mu_star: Vec<f64>,
    pub sigma: Vec<f64>,
    /// Bootstrap 95% interval of μ* (over trajectories).
    pub mu_star_ci: Vec<(f64, f64)>,
    /// Trajectories with finite outputs.
    pub n: usize,
}

/// Accumulates elementary effects trajectory by trajectory.
#[derive(Debug, Clone)]
pub struct Effects {
    /// `ee[i]`: the effects of factor i, one per usable trajectory.
    ee: Vec<Vec<f64>>,
}

impl Effects {
    pub fn new(d: usize) -> Effects {
        Effects {
            ee: vec![Vec::new(); d],
        }
    }

    /// Add one trajectory: `y[s]` is the output at point s, `moves[s]` the
    /// factor moved between points s and s + 1 and the signed step. A
    /// trajectory with a non-finite output is skipped whole.
    pub fn push(&mut self, y: &[f64], moves: &[(usize, f64)]) {
        if y.iter().any(|v| !v.is_finite()) {
            return;
        }
        for (s, &(i, step)) in moves.iter().enumerate() {
            self.ee[i].push((y[s + 1] - y[s]) / step);
        }
    }

    pub fn indices(&self, bootstrap: usize, seed: u64) -> MorrisIndices {
        let d = self.ee.len();
        let mut out = MorrisIndices {
            mu: Vec::with_capacity(d),
            mu_star: Vec::with_capacity(d),
            sigma: Vec::with_capacity(d),
            mu_star_ci: Vec::with_capacity(d),
            n: self.ee.first().map_or(0, Vec::len),
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 0, 8));
        for e in &self.ee {
            let n = e.len() as f64;
            if e.is_empty() {
                out.mu.push(f64::NAN);
                out.mu_star.push(f64::NAN);
                out.sigma.push(f64::NAN);
                out.mu_star_ci.push((f64::NAN, f64::NAN));
                continue;
            }
            let mu = e.iter().sum::<f64>() / n;
            let mu_star = e.iter().map(|x| x.abs()).sum::<f64>() / n;
            let sigma = if e.len() > 1 {
                (e.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            let mut boot: Vec<f64> = (0..bootstrap)
                .map(|_| (0..e.len()).map(|_| e[rng.random_range(0..e.len())].abs()).sum::<f64>() / n)
                .collect();
            out.mu.push(mu);
            out.mu_star.push(mu_star);
            out.sigma.push(sigma);
            out.mu_star_ci.push(percentile_interval(&mut boot));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::samplers::MorrisDesign;

    /// f = 2 x1 + x2² + 0 x3: x1 linear (μ* = 2, σ = 0), x2 non-linear
    /// (σ > 0), x3 inert (μ* = 0).
    #[test]
    fn finds_linear_nonlinear_and_inert_factors() {
        let design = MorrisDesign::new(40, 3, 4, 5).unwrap();
        let mut eff = Effects::new(3);
        for t in 0..40 {
            let tr = design.trajectory(t);
            let y: Vec<f64> = tr.points.iter().map(|x| 2.0 * x[0] + x[1] * x[1]).collect();
            eff.push(&y, &tr.moves);
        }
        let r = eff.indices(100, 1);
        assert_eq!(r.n, 40);
        assert!((r.mu_star[0] - 2.0).abs() < 1e-9 && r.sigma[0] < 1e-9);
        assert!(r.mu_star[1] > 0.3 && r.sigma[1] > 0.1);
        assert!(r.mu_star[2].abs() < 1e-12 && r.sigma[2] < 1e-12);
        assert!(r.mu_star_ci[0].0 <= 2.0 + 1e-9 && r.mu_star_ci[0].1 >= 2.0 - 1e-9);
    }
}
