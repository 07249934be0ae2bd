//! Paired differences between a policy and the baseline on the same trials.
//!
//! Trial *k* sees the same draws under every policy (common random numbers),
//! so the per-trial difference `policy − baseline` removes the luck both
//! share, and its mean has a far narrower interval than the difference of two
//! independent means. The trials themselves are independent and identically
//! distributed, so the mean difference has the ordinary Student-t interval.
//!
//! "Better for the US" follows the outcome's kind: higher for `Maximize`,
//! lower for `Minimize`; `Info` outcomes have no better or worse.

use super::stats::Moments;
use crate::scenario::schema::OutcomeKind;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// +1 if higher is better for the US, −1 if lower is, `None` for information.
pub fn orientation(kind: OutcomeKind) -> Option<f64> {
    match kind {
        OutcomeKind::Maximize => Some(1.0),
        OutcomeKind::Minimize => Some(-1.0),
        OutcomeKind::Info => None,
    }
}

/// Streaming accumulator of one policy-vs-baseline difference on one outcome.
/// Fixed size; merged in chunk order it is bit-identical at any thread count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairedAcc {
    pub diff: Moments,
    pub base: Moments,
    pub policy: Moments,
    /// Trials in which the policy is strictly higher / lower than the baseline.
    pub higher: u64,
    pub lower: u64,
}

impl PairedAcc {
    pub fn push(&mut self, base: f64, policy: f64) {
        if !(base.is_finite() && policy.is_finite()) {
            return;
        }
        self.base.push(base);
        self.policy.push(policy);
        self.diff.push(policy - base);
        if policy > base {
            self.higher += 1;
        } else if policy < base {
            self.lower += 1;
        }
    }

    pub fn merge(&mut self, o: &PairedAcc) {
        self.diff.merge(&o.diff);
        self.base.merge(&o.base);
        self.policy.merge(&o.policy);
        self.higher += o.higher;
        self.lower += o.lower;
    }

    /// The reported numbers, oriented by the outcome's kind.
    pub fn summary(&self, kind: OutcomeKind) -> PairedSummary {
        let n = self.diff.n;
        let (lo, hi) = t_interval95(&self.diff);
        let nf = n.max(1) as f64;
        let (better, worse) = match orientation(kind) {
            Some(s) if s > 0.0 => (Some(self.higher as f64 / nf), Some(self.lower as f64 / nf)),
            Some(_) => (Some(self.lower as f64 / nf), Some(self.higher as f64 / nf)),
            None => (None, None),
        };
        PairedSummary {
            n,
            baseline_mean: self.base.mean,
            policy_mean: self.policy.mean,
            diff_mean: self.diff.mean,
            diff_sd: self.diff.sd(),
            diff_lo95: lo,
            diff_hi95: hi,
            p_better: better,
            p_worse: worse,
            p_value: t_test_p(&self.diff),
            p_holm: f64::NAN,
            distinguishable: lo > 0.0 || hi < 0.0,
            distinguishable_holm: false,
            direction: direction(kind, lo, hi),
        }
    }
}

/// Whether the difference is better, worse or indistinguishable for the US
/// (by its 95% interval), or the outcome is for information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Better,
    Worse,
    NoClearDifference,
    Info,
}

fn direction(kind: OutcomeKind, lo: f64, hi: f64) -> Direction {
    let Some(s) = orientation(kind) else {
        return Direction::Info;
    };
    if lo > 0.0 {
        if s > 0.0 { Direction::Better } else { Direction::Worse }
    } else if hi < 0.0 {
        if s > 0.0 { Direction::Worse } else { Direction::Better }
    } else {
        Direction::NoClearDifference
    }
}

/// One row of the comparison.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairedSummary {
    pub n: u64,
    pub baseline_mean: f64,
    pub policy_mean: f64,
    /// Mean of (policy − baseline) over trials, in the outcome's unit.
    pub diff_mean: f64,
    pub diff_sd: f64,
    pub diff_lo95: f64,
    pub diff_hi95: f64,
    /// Share of trials in which the policy does strictly better / worse than
    /// the baseline for the US (`None` for information outcomes); the rest tie.
    pub p_better: Option<f64>,
    pub p_worse: Option<f64>,
    /// Two-sided paired t-test of "no mean difference".
    pub p_value: f64,
    /// Holm-adjusted p-value over every comparison of the run (set by [`holm`]).
    pub p_holm: f64,
    /// The 95% interval excludes 0.
    pub distinguishable: bool,
    /// The Holm-adjusted p-value is below 0.05 (family-wise error 5%).
    pub distinguishable_holm: bool,
    pub direction: Direction,
}

/// 95% Student-t interval of the mean. A zero spread gives the degenerate
/// interval [mean, mean] (a policy compared with itself gives [0, 0]); fewer
/// than two values give NaN.
pub fn t_interval95(m: &Moments) -> (f64, f64) {
    if m.n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let se = m.sd() / (m.n as f64).sqrt();
    if se == 0.0 {
        return (m.mean, m.mean);
    }
    let t = t_quantile_975(m.n - 1);
    (m.mean - t * se, m.mean + t * se)
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile_975(df: u64) -> f64 {
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(d) => d.inverse_cdf(0.975),
        Err(_) => f64::NAN,
    }
}

/// Two-sided p-value of the paired t-test of a zero mean. A zero spread gives
/// 1 for a zero mean and 0 otherwise.
pub fn t_test_p(m: &Moments) -> f64 {
    if m.n < 2 {
        return f64::NAN;
    }
    let se = m.sd() / (m.n as f64).sqrt();
    if se == 0.0 {
        return if m.mean == 0.0 { 1.0 } else { 0.0 };
    }
    let t = (m.mean / se).abs();
    match StudentsT::new(0.0, 1.0, (m.n - 1) as f64) {
        Ok(d) => (2.0 * (1.0 - d.cdf(t))).clamp(0.0, 1.0),
        Err(_) => f64::NAN,
    }
}

/// Holm's step-down adjustment: adjusted p-values controlling the family-wise
/// error rate over all the given tests. NaN p-values stay NaN and do not count.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_finite()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let m = idx.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 0.0_f64;
    for (rank, &i) in idx.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// Set `p_holm` and `distinguishable_holm` across every summary given (one
/// family: all policies × all non-information outcomes of a comparison).
pub fn apply_holm(rows: &mut [&mut PairedSummary]) {
    let p: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    for (r, adj) in rows.iter_mut().zip(holm(&p)) {
        r.p_holm = adj;
        r.distinguishable_holm = adj < 0.05;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(pairs: &[(f64, f64)]) -> PairedAcc {
        let mut a = PairedAcc::default();
        for &(b, p) in pairs {
            a.push(b, p);
        }
        a
    }

    #[test]
    fn paired_interval_by_hand() {
        // Differences 1, 2, 3, 4: mean 2.5, sd 1.29099, se 0.645497, t(3) = 3.182446.
        let a = acc(&[(10.0, 11.0), (10.0, 12.0), (20.0, 23.0), (0.0, 4.0)]);
        let s = a.summary(OutcomeKind::Maximize);
        assert!((s.diff_mean - 2.5).abs() < 1e-12);
        let half = 3.182_446_305_284_263 * 1.290_994_448_735_806 / 2.0;
        assert!((s.diff_lo95 - (2.5 - half)).abs() < 1e-9, "{}", s.diff_lo95);
        assert!((s.diff_hi95 - (2.5 + half)).abs() < 1e-9);
        assert_eq!(s.p_better, Some(1.0));
        assert_eq!(s.p_worse, Some(0.0));
        assert!(s.distinguishable);
        assert_eq!(s.direction, Direction::Better);
        // The same differences on a Minimize outcome are worse for the US.
        let s = a.summary(OutcomeKind::Minimize);
        assert_eq!(s.p_better, Some(0.0));
        assert_eq!(s.direction, Direction::Worse);
        assert_eq!(a.summary(OutcomeKind::Info).p_better, None);
        // t = 2.5 / 0.645497 = 3.873 on 3 df: two-sided p = 0.0305.
        assert!((s.p_value - 0.030_466).abs() < 1e-4, "{}", s.p_value);
    }

    #[test]
    fn identical_values_give_zero_interval() {
        let a = acc(&[(1.0, 1.0), (5.0, 5.0), (2.0, 2.0)]);
        let s = a.summary(OutcomeKind::Minimize);
        assert_eq!((s.diff_mean, s.diff_lo95, s.diff_hi95), (0.0, 0.0, 0.0));
        assert_eq!(s.p_better, Some(0.0));
        assert_eq!(s.p_value, 1.0);
        assert!(!s.distinguishable);
        assert_eq!(s.direction, Direction::NoClearDifference);
    }

    #[test]
    fn pairing_removes_shared_noise() {
        // Large common spread, constant shift: the paired interval is exact.
        let a = acc(&[(0.0, 0.5), (100.0, 100.5), (-50.0, -49.5), (7.0, 7.5)]);
        let s = a.summary(OutcomeKind::Maximize);
        assert_eq!((s.diff_lo95, s.diff_hi95), (0.5, 0.5));
        assert!(s.distinguishable);
    }

    #[test]
    fn merge_equals_one_pass() {
        let pairs: Vec<(f64, f64)> = (0..50).map(|i| (i as f64, (i * i % 7) as f64)).collect();
        let all = acc(&pairs);
        let mut a = acc(&pairs[..20]);
        a.merge(&acc(&pairs[20..]));
        assert_eq!(a.diff.n, all.diff.n);
        assert!((a.diff.mean - all.diff.mean).abs() < 1e-12);
        assert!((a.diff.sd() - all.diff.sd()).abs() < 1e-12);
        assert_eq!((a.higher, a.lower), (all.higher, all.lower));
    }

    #[test]
    fn holm_by_hand() {
        // Sorted 0.01, 0.02, 0.03, 0.5 → ×4, ×3, ×2, ×1 = 0.04, 0.06, 0.06, 0.5 (monotone).
        let adj = holm(&[0.03, 0.5, 0.01, 0.02, f64::NAN]);
        let want = [0.06, 0.5, 0.04, 0.06];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert!(adj[4].is_nan());
    }
}
