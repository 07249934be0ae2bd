//! Sampling the scenario's distributions (uncertainties and initial values).

use crate::scenario::schema::Dist;
use rand::Rng;
use rand_distr::{Beta, Distribution, Normal, Pert, Triangular};

/// Smallest and largest value a distribution can produce (infinite for Normal).
pub fn support(d: &Dist) -> (f64, f64) {
    match *d {
        Dist::Fixed(x) => (x, x),
        Dist::Uniform(a, b) | Dist::Triangular(a, _, b) | Dist::Pert(a, _, b) => (a, b),
        Dist::Normal(..) => (f64::NEG_INFINITY, f64::INFINITY),
        Dist::TruncNormal(_, _, lo, hi) | Dist::ScaledBeta(_, _, lo, hi) => (lo, hi),
        Dist::Beta(..) => (0.0, 1.0),
    }
}

/// A validated, ready-to-sample distribution.
#[derive(Debug, Clone)]
pub enum Sampler {
    Fixed(f64),
    Uniform(f64, f64),
    Normal(Normal<f64>),
    TruncNormal(Normal<f64>, f64, f64),
    Triangular(Triangular<f64>),
    Pert(Pert<f64>),
    Beta(Beta<f64>, f64, f64),
}

impl Sampler {
    /// Check parameters and build; the error says what is wrong in words.
    pub fn new(d: &Dist) -> Result<Sampler, String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        let ok = match *d {
            Dist::Fixed(x) => finite(&[x]),
            Dist::Uniform(a, b) | Dist::Beta(a, b) => finite(&[a, b]),
            Dist::Normal(a, b) => finite(&[a, b]),
            Dist::TruncNormal(a, b, c, e) | Dist::ScaledBeta(a, b, c, e) => finite(&[a, b, c, e]),
            Dist::Triangular(a, b, c) | Dist::Pert(a, b, c) => finite(&[a, b, c]),
        };
        if !ok {
            return Err("distribution parameters must be finite numbers".into());
        }
        Ok(match *d {
            Dist::Fixed(x) => Sampler::Fixed(x),
            Dist::Uniform(a, b) => {
                if a > b {
                    return Err(format!("Uniform({a}, {b}): low is above high"));
                }
                Sampler::Uniform(a, b)
            }
            Dist::Normal(m, s) => {
                if s < 0.0 {
                    return Err(format!("Normal({m}, {s}): standard deviation is negative"));
                }
                Sampler::Normal(Normal::new(m, s).map_err(|e| e.to_string())?)
            }
            Dist::TruncNormal(m, s, lo, hi) => {
                if s <= 0.0 || lo >= hi {
                    return Err(format!(
                        "TruncNormal({m}, {s}, {lo}, {hi}): needs sd > 0 and low < high"
                    ));
                }
                // Rejection sampling must terminate quickly: require the window to
                // hold a reasonable share of the mass.
                if (lo - m) / s > 3.0 || (m - hi) / s > 3.0 {
                    return Err(format!(
                        "TruncNormal({m}, {s}, {lo}, {hi}): the window [{lo}, {hi}] is more than 3 sd from the mean"
                    ));
                }
                Sampler::TruncNormal(Normal::new(m, s).map_err(|e| e.to_string())?, lo, hi)
            }
            Dist::Triangular(lo, mode, hi) => {
                if !(lo <= mode && mode <= hi && lo < hi) {
                    return Err(format!(
                        "Triangular({lo}, {mode}, {hi}): needs low <= mode <= high and low < high"
                    ));
                }
                Sampler::Triangular(Triangular::new(lo, hi, mode).map_err(|e| e.to_string())?)
            }
            Dist::Pert(lo, mode, hi) => {
                if !(lo <= mode && mode <= hi && lo < hi) {
                    return Err(format!(
                        "Pert({lo}, {mode}, {hi}): needs low <= mode <= high and low < high"
                    ));
                }
                Sampler::Pert(Pert::new(lo, hi).with_mode(mode).map_err(|e| e.to_string())?)
            }
            Dist::Beta(a, b) | Dist::ScaledBeta(a, b, _, _) => {
                if a <= 0.0 || b <= 0.0 {
                    return Err(format!("Beta({a}, {b}): both shapes must be positive"));
                }
                let (lo, hi) = match *d {
                    Dist::ScaledBeta(_, _, lo, hi) => (lo, hi),
                    _ => (0.0, 1.0),
                };
                if lo >= hi {
                    return Err(format!("ScaledBeta: low {lo} is not below high {hi}"));
                }
                Sampler::Beta(Beta::new(a, b).map_err(|e| e.to_string())?, lo, hi)
            }
        })
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        use rand::RngExt;
        match self {
            Sampler::Fixed(x) => *x,
            Sampler::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
            Sampler::Normal(n) => n.sample(rng),
            Sampler::TruncNormal(n, lo, hi) => {
                for _ in 0..1000 {
                    let x = n.sample(rng);
                    if x >= *lo && x <= *hi {
                        return x;
                    }
                }
                n.mean().clamp(*lo, *hi)
            }
            Sampler::Triangular(t) => t.sample(rng),
            Sampler::Pert(p) => p.sample(rng),
            Sampler::Beta(b, lo, hi) => lo + (hi - lo) * b.sample(rng),
        }
    }
}
