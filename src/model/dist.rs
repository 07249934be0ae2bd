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

/// The `u`-quantile (inverse CDF) of a distribution, for designs that place
/// points in the unit hypercube (Latin hypercube, Sobol, Morris) and map each
/// coordinate to an uncertainty's own distribution.
///
/// `u` is clamped to [1e-12, 1 − 1e-12] so that unbounded distributions
/// (Normal) give finite values at the ends of the unit interval. The
/// distributions are the ones [`Sampler::sample`] draws from: TruncNormal is
/// the normal conditioned on its window, Pert the beta-PERT with shape 4.
/// Assumes a `Dist` that [`Sampler::new`] accepts.
pub fn quantile(d: &Dist, u: f64) -> f64 {
    use statrs::distribution::{Beta as SBeta, ContinuousCDF, Normal as SNormal};
    let u = if u.is_nan() { 0.5 } else { u.clamp(1e-12, 1.0 - 1e-12) };
    let std_normal = SNormal::standard();
    let beta_q = |a: f64, b: f64, u: f64| SBeta::new(a, b).map_or(0.5, |x| x.inverse_cdf(u));
    match *d {
        Dist::Fixed(x) => x,
        Dist::Uniform(a, b) => a + (b - a) * u,
        Dist::Normal(m, s) => m + s * std_normal.inverse_cdf(u),
        Dist::TruncNormal(m, s, lo, hi) => {
            let (pa, pb) = (std_normal.cdf((lo - m) / s), std_normal.cdf((hi - m) / s));
            (m + s * std_normal.inverse_cdf(pa + u * (pb - pa))).clamp(lo, hi)
        }
        Dist::Triangular(lo, mode, hi) => {
            let f = (mode - lo) / (hi - lo);
            if u < f {
                lo + ((hi - lo) * (mode - lo) * u).sqrt()
            } else {
                hi - ((hi - lo) * (hi - mode) * (1.0 - u)).sqrt()
            }
        }
        Dist::Pert(lo, mode, hi) => {
            let a = 1.0 + 4.0 * (mode - lo) / (hi - lo);
            let b = 1.0 + 4.0 * (hi - mode) / (hi - lo);
            lo + (hi - lo) * beta_q(a, b, u)
        }
        Dist::Beta(a, b) => beta_q(a, b, u),
        Dist::ScaledBeta(a, b, lo, hi) => lo + (hi - lo) * beta_q(a, b, u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The quantile function and the sampler describe the same distribution:
    /// the share of sampled values below each quantile matches its level.
    #[test]
    fn quantile_matches_sampler() {
        let dists = [
            Dist::Uniform(1.0, 3.0),
            Dist::Normal(-6.8, 0.4),
            Dist::TruncNormal(0.5, 0.3, 0.2, 1.5),
            Dist::Triangular(10.0, 16.0, 24.0),
            Dist::Pert(0.1, 0.5, 1.2),
            Dist::Beta(2.0, 4.0),
            Dist::ScaledBeta(2.0, 5.0, -1.0, 1.0),
        ];
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        let n = 20_000;
        for d in dists {
            let s = Sampler::new(&d).unwrap();
            let draws: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
                let x = quantile(&d, q);
                let share = draws.iter().filter(|&&v| v <= x).count() as f64 / n as f64;
                assert!((share - q).abs() < 0.015, "{d:?}: q {q} -> {x}, share {share}");
            }
            let (lo, hi) = support(&d);
            assert!(quantile(&d, 0.0) >= lo && quantile(&d, 1.0) <= hi);
            assert!(quantile(&d, 0.0).is_finite() && quantile(&d, 1.0).is_finite());
        }
        assert_eq!(quantile(&Dist::Fixed(2.5), 0.3), 2.5);
    }
}
