//! Resampling stability of PRIM's box (Bryant and Lempert 2010, §4; the
//! `resample` statistics of Kwakkel's EMA Workbench). Peeling is greedy: a
//! few experiments more or less can change which uncertainty gets cut, so a
//! box read off one sample may not be the box the model implies.
//!
//! Each resample draws a random subsample of the experiments (without
//! replacement, a `share` of them — half by default), runs PRIM on it, picks
//! its box by the same rule as the main box, simplifies it by quasi-p-values
//! like the main box, and then scores both on the experiments left out. Two
//! numbers come out:
//!
//! * per uncertainty, the share of resamples whose box restricts it (its
//!   *reproducibility*): near 1 for an uncertainty that drives the cases,
//!   low for one PRIM trimmed by chance;
//! * the coverage and density of the resampled boxes on their held-out
//!   experiments, against their in-sample values: the gap is how much the
//!   procedure flatters its own box.
//!
//! Subsamples rather than bootstrap draws: duplicated experiments would
//! count twice in every peel's mass and leave only ~37% of the experiments
//! out of sample. Resample r's draw depends only on (master seed, r), so the
//! result does not depend on the thread count.

use super::{PrimBox, PrimOptions, join_rules, limit_rule, prim};
use crate::model::sim::stream_seed;
use anyhow::{Result, bail};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Stream id of the resampling draws (distinct from the trials' streams).
const STREAM_RESAMPLE: u64 = 0x5052_494d;

#[derive(Debug, Clone, Copy)]
pub struct ResampleOptions {
    /// Number of resamples (0: no stability check).
    pub resamples: usize,
    /// Share of the experiments in each subsample, in (0, 1).
    pub share: f64,
    /// The run's master seed.
    pub seed: u64,
}

/// A box with open sides: `-inf`/`+inf` where it does not restrict, so it can
/// be applied to experiments outside the sample it was found on.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenBox {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl OpenBox {
    fn from_box(b: &PrimBox, ranges: &[(f64, f64)]) -> OpenBox {
        let lo = (0..ranges.len())
            .map(|j| {
                if b.lo[j] > ranges[j].0 {
                    b.lo[j]
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect();
        let hi = (0..ranges.len())
            .map(|j| if b.hi[j] < ranges[j].1 { b.hi[j] } else { f64::INFINITY })
            .collect();
        OpenBox { lo, hi }
    }

    pub fn restricted(&self) -> Vec<usize> {
        (0..self.lo.len())
            .filter(|&j| self.lo[j].is_finite() || self.hi[j].is_finite())
            .collect()
    }

    pub fn rules(&self, names: &[String]) -> String {
        let parts = self
            .restricted()
            .into_iter()
            .map(|j| {
                let lo = self.lo[j].is_finite().then_some(self.lo[j]);
                let hi = self.hi[j].is_finite().then_some(self.hi[j]);
                limit_rule(&names[j], lo, hi)
            })
            .collect();
        join_rules(parts)
    }

    /// (coverage, density) on the experiments `idx`; `None` where undefined
    /// (no cases among them, or no experiment inside the box).
    fn score(&self, cols: &[Vec<f64>], y: &[bool], idx: &[usize]) -> (Option<f64>, Option<f64>) {
        let (mut inside, mut cases_in, mut cases) = (0usize, 0usize, 0usize);
        for &i in idx {
            let is_in = (0..cols.len()).all(|j| cols[j][i] >= self.lo[j] && cols[j][i] <= self.hi[j]);
            inside += usize::from(is_in);
            cases_in += usize::from(is_in && y[i]);
            cases += usize::from(y[i]);
        }
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        (ratio(cases_in, cases), ratio(cases_in, inside))
    }
}

/// One resampled box and its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub open: OpenBox,
    pub coverage_in: f64,
    pub density_in: f64,
    pub coverage_out: Option<f64>,
    pub density_out: Option<f64>,
}

/// One resample: the box chosen by the main rule and its simplified form.
#[derive(Debug, Clone, PartialEq)]
pub struct Resample {
    /// Index of the chosen box in this resample's trajectory.
    pub index: usize,
    pub chosen: Scored,
    pub simplified: Scored,
}

#[derive(Debug, Clone)]
pub struct Stability {
    /// One entry per resample, in order; `None` where the subsample held no case.
    pub resamples: Vec<Option<Resample>>,
    pub dims: usize,
    pub subsample: usize,
}

impl Stability {
    fn done(&self) -> impl Iterator<Item = &Resample> {
        self.resamples.iter().flatten()
    }

    /// Resamples that produced a box.
    pub fn completed(&self) -> usize {
        self.done().count()
    }

    /// Per uncertainty: the share of completed resamples whose chosen box
    /// (`simplified` = false) or simplified box restricts it.
    pub fn reproducibility(&self, simplified: bool) -> Vec<f64> {
        let mut k = vec![0usize; self.dims];
        for r in self.done() {
            let b = if simplified { &r.simplified } else { &r.chosen };
            for j in b.open.restricted() {
                k[j] += 1;
            }
        }
        let m = self.completed().max(1) as f64;
        k.into_iter().map(|c| c as f64 / m).collect()
    }

    /// Values of one statistic across the completed resamples (undefined ones dropped).
    pub fn values(&self, simplified: bool, f: impl Fn(&Scored) -> Option<f64>) -> Vec<f64> {
        self.done()
            .filter_map(|r| f(if simplified { &r.simplified } else { &r.chosen }))
            .collect()
    }
}

/// Re-run PRIM on `opts.resamples` subsamples of (`cols`, `y`). Each
/// resample's box is the densest with coverage ≥ `min_coverage` (the main
/// box's rule; see [`super::PrimResult::choose`]) and is simplified with
/// quasi-p-values below `p_max`. Runs on the current rayon pool.
pub fn resample(
    cols: &[Vec<f64>],
    y: &[bool],
    prim_opts: &PrimOptions,
    min_coverage: f64,
    p_max: f64,
    opts: &ResampleOptions,
) -> Result<Stability> {
    let n = y.len();
    if !(opts.share > 0.0 && opts.share < 1.0) {
        bail!("the resampling share must lie in (0, 1) (got {})", opts.share);
    }
    let m = (opts.share * n as f64).round() as usize;
    if m < 5 || m >= n {
        bail!(
            "a resample of {} of {n} experiments leaves too few experiments in or out of the sample; use more experiments or another share",
            opts.share
        );
    }
    let one = |r: usize| -> Result<Option<Resample>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(opts.seed, r as u64, STREAM_RESAMPLE));
        // Partial Fisher–Yates: the first m of a random permutation are in.
        let mut perm: Vec<usize> = (0..n).collect();
        for i in 0..m {
            let k = rng.random_range(i..n);
            perm.swap(i, k);
        }
        let (mut inn, mut out) = (perm[..m].to_vec(), perm[m..].to_vec());
        inn.sort_unstable();
        out.sort_unstable();
        let sub_cols: Vec<Vec<f64>> = cols.iter().map(|c| inn.iter().map(|&i| c[i]).collect()).collect();
        let sub_y: Vec<bool> = inn.iter().map(|&i| y[i]).collect();
        if !sub_y.iter().any(|&c| c) {
            return Ok(None);
        }
        let r = prim(&sub_cols, &sub_y, prim_opts)?;
        let index = r.choose(min_coverage);
        let b = &r.trajectory[index];
        let simple = r.simplify(&sub_cols, &sub_y, b, p_max);
        let scored = |b: &PrimBox| {
            let open = OpenBox::from_box(b, &r.ranges);
            let (coverage_out, density_out) = open.score(cols, y, &out);
            Scored {
                open,
                coverage_in: b.coverage,
                density_in: b.density,
                coverage_out,
                density_out,
            }
        };
        Ok(Some(Resample {
            index,
            chosen: scored(b),
            simplified: scored(&simple),
        }))
    };
    let resamples = (0..opts.resamples)
        .into_par_iter()
        .map(one)
        .collect::<Result<Vec<_>>>()?;
    Ok(Stability {
        resamples,
        dims: cols.len(),
        subsample: m,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::synthetic;
    use super::*;

    fn quantile(v: &[f64], q: f64) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        crate::plot::render::quantile(&s, q).unwrap_or(f64::NAN)
    }

    fn opts(seed: u64) -> ResampleOptions {
        ResampleOptions {
            resamples: 20,
            share: 0.5,
            seed,
        }
    }

    #[test]
    fn true_dimensions_reproduce_and_noise_does_not() {
        let (cols, y) = synthetic(2000, 0.05);
        let s = resample(&cols, &y, &PrimOptions::default(), 0.7, 0.05, &opts(3)).unwrap();
        assert_eq!(s.completed(), 20);
        assert_eq!(s.subsample, 1000);
        let raw = s.reproducibility(false);
        let simple = s.reproducibility(true);
        // x0 and x2 define the cases: every resample's box restricts them.
        assert!(raw[0] >= 0.95 && raw[2] >= 0.95, "{raw:?}");
        assert!(simple[0] >= 0.95 && simple[2] >= 0.95, "{simple:?}");
        // x1 and x3 are noise: the simplified boxes rarely keep them.
        assert!(simple[1] <= 0.2 && simple[3] <= 0.2, "{simple:?}");
        // Raw boxes do trim noise dimensions now and then (greedy peeling on
        // a finite sample), but far less consistently than the true ones.
        assert!(raw[1] < 0.8 && raw[3] < 0.8, "{raw:?}");
        // Out of sample the simplified box keeps its density (the truth is a
        // box with 95% density) and coverage.
        let d_out = s.values(true, |b| b.density_out);
        let c_out = s.values(true, |b| b.coverage_out);
        assert_eq!(d_out.len(), 20);
        assert!(quantile(&d_out, 0.5) > 0.8, "{d_out:?}");
        assert!(quantile(&c_out, 0.5) > 0.65, "{c_out:?}");
        // The resampled limits centre on the true ones; applied with open
        // sides to all the experiments, every simplified box beats the base
        // rate (12%) several times over.
        let done: Vec<&Resample> = s.resamples.iter().flatten().collect();
        let hi0: Vec<f64> = done.iter().map(|r| r.simplified.open.hi[0]).collect();
        let lo2: Vec<f64> = done.iter().map(|r| r.simplified.open.lo[2]).collect();
        assert!((quantile(&hi0, 0.5) - 0.3).abs() < 0.05, "{hi0:?}");
        assert!((quantile(&lo2, 0.5) - 0.6).abs() < 0.05, "{lo2:?}");
        for r in done {
            let b = &r.simplified.open;
            let st = super::super::box_stats(&cols, &y, &b.lo, &b.hi, y.iter().filter(|&&c| c).count());
            assert!(st.density > 0.5, "{st:?}");
        }
    }

    #[test]
    fn pure_noise_gives_unstable_boxes() {
        // Cases independent of every input: whatever PRIM cuts is chance, so
        // no dimension is restricted consistently after simplification, and
        // the held-out density stays near the base rate.
        let (all, _) = synthetic(1000, 0.0);
        let y: Vec<bool> = all[1].iter().map(|&v| v < 0.3).collect();
        let cols = vec![all[0].clone(), all[2].clone(), all[3].clone()];
        let s = resample(&cols, &y, &PrimOptions::default(), 0.5, 0.05, &opts(9)).unwrap();
        let simple = s.reproducibility(true);
        assert!(simple.iter().all(|&p| p < 0.5), "{simple:?}");
        let d_out = s.values(false, |b| b.density_out);
        let d_in = s.values(false, |b| Some(b.density_in));
        assert!(quantile(&d_out, 0.5) < 0.4, "{d_out:?}");
        assert!(quantile(&d_in, 0.5) > quantile(&d_out, 0.5), "{d_in:?} {d_out:?}");
    }

    #[test]
    fn same_seed_same_result_at_any_thread_count() {
        let (cols, y) = synthetic(600, 0.05);
        let run = |threads: usize, seed: u64| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| resample(&cols, &y, &PrimOptions::default(), 0.5, 0.05, &opts(seed)).unwrap())
        };
        let a = run(1, 5);
        let b = run(2, 5);
        assert_eq!(a.resamples, b.resamples);
        let c = run(2, 6);
        assert_ne!(a.resamples, c.resamples);
    }

    #[test]
    fn bad_shares_are_errors() {
        let (cols, y) = synthetic(100, 0.05);
        for share in [0.0, 1.0, 0.01] {
            let o = ResampleOptions {
                resamples: 2,
                share,
                seed: 1,
            };
            assert!(resample(&cols, &y, &PrimOptions::default(), 0.5, 0.05, &o).is_err());
        }
    }
}
