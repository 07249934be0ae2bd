//! Calibration by history matching, and the calibrated ensemble.
//!
//! History matching (Craig et al. 1997; Vernon, Goldstein and Bower 2010, "Galaxy formation: a Bayesian
//! uncertainty analysis", Bayesian Analysis 5(4)) rules out the parts of the input space where the model
//! cannot reproduce the record. For each calibration check the implausibility of an input point is
//!
//! ```text
//! I = |E[model statistic] − z| / sqrt(V_obs + V_md + V_mc)
//! ```
//!
//! with z the observed value (the centre of the record's band), V_obs the record's uncertainty (a two-sided
//! band read as ±3 standard deviations; a one-sided bound as exact, with I = 0 on its right side), V_md the
//! model discrepancy (a share of the scale, `--discrepancy`, judgement) and V_mc the Monte Carlo variance of
//! the statistic estimated from the point's own trials. A point is *not ruled out* when its second-largest
//! target implausibility is at most 3 (Pukelsheim 1994, "The three sigma rule", The American Statistician
//! 48(2): at least 95% of any unimodal distribution lies within 3 standard deviations) and its largest at most
//! `max_cutoff` (Vernon et al. use the first, second and third maxima the same way).
//!
//! Points are unit points over the coefficient register's groups (Latin hypercube, `model::coefficients`)
//! plus one uniform per contested mechanism, which picks the point's view by the views' prior weights
//! (`model::worlds`). The accepted points are the ensemble (`scenarios/<name>.ensemble.ron`); commands attach
//! it to the model (`Model::ensemble`) and each trial draws one member on its own stream
//! ([`STREAM_ENSEMBLE`]).

pub mod file;
pub mod job;
pub mod points;
pub mod report;
pub mod run;

pub use file::{EnsembleFile, Member, attach, resolve};

use crate::hindcast::HindcastResults;
use crate::hindcast::spec::{Check, Record, Stat};

/// Stream id of the per-trial member draw, disjoint from every other stream id. The bytes spell "ENSMBL".
pub const STREAM_ENSEMBLE: u64 = 0x454E_534D_424C;

/// The member trial `trial` of master seed `seed` draws from an ensemble of `n` (n ≥ 1): ⌊u·n⌋, u the first
/// uniform of its own stream. One definition for every evaluator (`Model::member_index`) and the wargame.
pub fn draw_member(seed: u64, trial: u64, n: usize) -> usize {
    use rand::{RngExt, SeedableRng};
    let mut rng =
        rand::rngs::Xoshiro256PlusPlus::seed_from_u64(crate::model::sim::stream_seed(seed, trial, STREAM_ENSEMBLE));
    let u: f64 = rng.random();
    ((u * n as f64) as usize).min(n.saturating_sub(1))
}

/// Implausibility of a model statistic against an observation: |model − observed| / sqrt(V_obs + V_md +
/// V_mc). With no variance at all, 0 on the observation and infinite elsewhere.
pub fn implausibility(model: f64, observed: f64, v_obs: f64, v_md: f64, v_mc: f64) -> f64 {
    let d = (model - observed).abs();
    if !d.is_finite() {
        return f64::INFINITY;
    }
    if d == 0.0 {
        return 0.0;
    }
    let v = v_obs + v_md + v_mc;
    if v <= 0.0 { f64::INFINITY } else { d / v.sqrt() }
}

/// A check's statistic on a set of trials, with the Monte Carlo variance of that estimate.
pub fn statistic(res: &HindcastResults, stat: &Stat) -> (f64, f64) {
    let n = res.trials.max(1) as f64;
    let mv = |s: usize, y: usize| {
        let m = &res.series[s][y].moments;
        (m.mean, m.sd().powi(2) / n)
    };
    let ratio = |a: (f64, f64), b: (f64, f64)| {
        let r = a.0 / b.0;
        // Delta method, independence of the two means assumed.
        let v = r * r * (a.1 / (a.0 * a.0) + b.1 / (b.0 * b.0));
        (r, v)
    };
    match *stat {
        Stat::Mean { series, year } => mv(series, year),
        Stat::Growth { series, year } => {
            let (r, v) = ratio(mv(series, year), mv(series, year - 1));
            (r - 1.0, v)
        }
        Stat::Ratio { series, year, over } => ratio(mv(series, year), mv(series, over)),
        Stat::ProbBy { event, year } | Stat::ProbIn { event, year } => {
            let k = match *stat {
                Stat::ProbIn { .. } => res.occurred_in[event][year],
                _ => res.occurred[event][year],
            };
            let p = k as f64 / n;
            // At least one trial's worth of uncertainty, so 0 of 50 is not read as certainty.
            let q = p.clamp(0.5 / n, 1.0 - 0.5 / n);
            (p, q * (1.0 - q) / n)
        }
        Stat::TotalMean { series, from, to } => res
            .total(series, from, to)
            .map_or((f64::NAN, 0.0), |s| (s.moments.mean, s.moments.sd().powi(2) / n)),
        Stat::TotalP95 { series, from, to } => res.total(series, from, to).map_or((f64::NAN, 0.0), |s| {
            // Normal approximation of a quantile's sampling variance: q(1−q) / (n f(x_q)²), f(x_q) = φ(1.645)/sd.
            let sd = s.moments.sd();
            (
                s.sketch.quantile(0.95),
                0.05 * 0.95 * sd * sd / (n * 0.103_136f64.powi(2)),
            )
        }),
    }
}

/// The implausibility of one check: the observation is the band's centre, its standard deviation a sixth of
/// the band's width (the band is ±3 sd); a one-sided band is met exactly (I = 0 on its right side) and
/// measured from its bound. `discrepancy` is the model discrepancy's standard deviation as a share of the
/// scale (the larger of |bound| and the half-width).
pub fn check_implausibility(value: f64, v_mc: f64, check: &Check, discrepancy: f64) -> f64 {
    let (z, sd_obs) = match (check.min, check.max) {
        (Some(a), Some(b)) => ((a + b) / 2.0, (b - a) / 6.0),
        (Some(a), None) => {
            if value >= a {
                return 0.0;
            }
            (a, 0.0)
        }
        (None, Some(b)) => {
            if value <= b {
                return 0.0;
            }
            (b, 0.0)
        }
        (None, None) => return 0.0,
    };
    let scale = z.abs().max(3.0 * sd_obs);
    implausibility(value, z, sd_obs * sd_obs, (discrepancy * scale).powi(2), v_mc)
}

/// Per target, the largest implausibility of its checks (NaN statistics are infinitely implausible).
pub fn target_implausibilities(rec: &Record, res: &HindcastResults, discrepancy: f64) -> Vec<f64> {
    rec.targets
        .iter()
        .map(|t| {
            t.checks
                .iter()
                .map(|c| {
                    let (v, vmc) = statistic(res, &c.stat);
                    if v.is_finite() {
                        check_implausibility(v, vmc, c, discrepancy)
                    } else {
                        f64::INFINITY
                    }
                })
                .fold(0.0, f64::max)
        })
        .collect()
}

/// The acceptance rule: the second-largest target implausibility at most `cutoff`, the largest at most
/// `max_cutoff`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub cutoff: f64,
    pub max_cutoff: f64,
    pub discrepancy: f64,
}

impl Rule {
    /// Largest and second-largest of the implausibilities.
    pub fn maxima(is: &[f64]) -> (f64, f64) {
        let mut a = 0.0f64;
        let mut b = 0.0f64;
        for &x in is {
            let x = if x.is_nan() { f64::INFINITY } else { x };
            if x > a {
                b = a;
                a = x;
            } else if x > b {
                b = x;
            }
        }
        (a, b)
    }

    pub fn accepts(&self, is: &[f64]) -> bool {
        let (first, second) = Self::maxima(is);
        second <= self.cutoff && first <= self.max_cutoff
    }

    pub fn text(&self) -> String {
        format!(
            "not ruled out: second-largest target implausibility <= {} and largest <= {} (model discrepancy sd \
             {} of each check's scale), and every pattern check (P(event by year) or P(event in year)) met on the point's own trials",
            self.cutoff, self.max_cutoff, self.discrepancy
        )
    }
}

/// The last turn (exclusive) a calibration on years up to `through` needs: the first turn of the next year.
pub fn turns_through(model: &crate::model::Model, rec: &Record, through: i32) -> u32 {
    let mut t = 0;
    while t < rec.turns && crate::hindcast::spec::year_of_turn(model, t) <= through {
        t += 1;
    }
    t
}

/// The latest year a check reads (index into `rec.years`).
pub fn check_last_year(stat: &Stat) -> usize {
    match *stat {
        Stat::Mean { year, .. } | Stat::Growth { year, .. } | Stat::ProbBy { year, .. } | Stat::ProbIn { year, .. } => {
            year
        }
        Stat::Ratio { year, over, .. } => year.max(over),
        Stat::TotalMean { to, .. } | Stat::TotalP95 { to, .. } => to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausibility_by_hand() {
        // |0.9 - 0.75| / sqrt(0.01 + 0.0025 + 0.0) = 0.15 / 0.111803 = 1.341641
        let i = implausibility(0.9, 0.75, 0.01, 0.0025, 0.0);
        assert!((i - 1.341_640_786).abs() < 1e-8, "{i}");
        assert_eq!(implausibility(2.0, 2.0, 0.0, 0.0, 0.0), 0.0);
        assert!(implausibility(2.0, 1.0, 0.0, 0.0, 0.0).is_infinite());
    }

    #[test]
    fn maxima_and_rule() {
        assert_eq!(Rule::maxima(&[1.0, 4.0, 2.5]), (4.0, 2.5));
        let r = Rule {
            cutoff: 3.0,
            max_cutoff: 5.0,
            discrepancy: 0.1,
        };
        assert!(r.accepts(&[1.0, 4.0, 2.5]));
        assert!(!r.accepts(&[1.0, 4.0, 3.5]));
        assert!(!r.accepts(&[1.0, 6.0, 0.0]));
        assert!(!r.accepts(&[f64::NAN, 3.1, 0.0]));
    }
}
