//! Paired differences between a policy and the baseline on the same trials.
//!
//! Trial *k* sees the same draws under every policy (common random numbers),
//! so the per-trial difference `policy − baseline` removes the luck both
//! share, and its mean has a far narrower interval than the difference of two
//! independent means. The trials themselves are independent and identically
//! distributed, so the mean difference has the ordinary Student-t interval.
//!
//! Outcomes that are 0 or 1 in every trial (did an event happen?) are paired
//! proportions instead: their difference rests only on the trials in which
//! the two policies disagree, which for rare events are few, and there the t
//! interval is too narrow. For them the interval is Tango's (1998) asymptotic
//! score interval and the p-value McNemar's score test, the pair Fagerland,
//! Lydersen and Laake (2013, *Recommended tests and confidence intervals for
//! paired binomial proportions*) recommend; the two agree (the interval
//! excludes 0 exactly when p < 0.05).
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
    /// Some value was neither 0 nor 1 (so the outcome is not a paired proportion).
    pub not_binary: bool,
}

impl PairedAcc {
    pub fn push(&mut self, base: f64, policy: f64) {
        if !(base.is_finite() && policy.is_finite()) {
            return;
        }
        self.not_binary |= !(base == 0.0 || base == 1.0) || !(policy == 0.0 || policy == 1.0);
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
        self.not_binary |= o.not_binary;
    }

    /// Only 0/1 values were seen: the outcome is a paired proportion.
    pub fn binary(&self) -> bool {
        !self.not_binary && self.diff.n > 0
    }

    /// The reported numbers, oriented by the outcome's kind.
    pub fn summary(&self, kind: OutcomeKind) -> PairedSummary {
        let n = self.diff.n;
        let ((lo, hi), p_value) = if self.binary() {
            // Policy 1 / baseline 0 is `higher`; policy 0 / baseline 1 is `lower`.
            (
                tango_interval95(self.higher, self.lower, n),
                mcnemar_p(self.higher, self.lower),
            )
        } else {
            (t_interval95(&self.diff), t_test_p(&self.diff))
        };
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
            p_value,
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
    /// Two-sided paired t-test of "no mean difference" (McNemar's score test
    /// for 0/1 outcomes).
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

/// The 97.5% quantile of the standard normal.
const Z975: f64 = 1.959_963_984_540_054;

/// Tango's score statistic for a paired difference of proportions `delta`,
/// given `b` trials where only the policy has the event, `c` where only the
/// baseline has it, out of `n`: (b − c − nΔ) over its standard error at the
/// maximum-likelihood cell probabilities constrained to difference Δ.
/// Decreasing in Δ; ±∞ where that standard error vanishes.
fn tango_statistic(b: f64, c: f64, n: f64, delta: f64) -> f64 {
    // Constrained MLE of P(only the baseline has the event): the root of
    // 2n q² + W q − c Δ (1 − Δ) = 0 in the feasible range.
    let w = -(b + c) + delta * (2.0 * n - b + c);
    let q = ((w * w + 8.0 * n * c * delta * (1.0 - delta)).max(0.0).sqrt() - w) / (4.0 * n);
    let var = n * (2.0 * q + delta * (1.0 - delta));
    let num = b - c - n * delta;
    if var > 0.0 {
        num / var.sqrt()
    } else if num == 0.0 {
        0.0
    } else {
        num.signum() * f64::INFINITY
    }
}

/// Tango's 95% score interval for the paired difference of proportions
/// (b − c)/n. Unlike the t interval it does not collapse when the policies
/// never disagree: with b = c = 0 it is ±z²/(n + z²).
pub fn tango_interval95(b: u64, c: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (bf, cf, nf) = (b as f64, c as f64, n as f64);
    let est = (bf - cf) / nf;
    // T is decreasing with T(est) = 0, T(−1) = +∞ and T(1) = −∞, so each
    // bound is a sign change in its half; bisection to machine precision.
    let solve = |mut lo: f64, mut hi: f64, target: f64| {
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if tango_statistic(bf, cf, nf, mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    (solve(-1.0, est, Z975), solve(est, 1.0, -Z975))
}

/// Two-sided p-value of McNemar's score test of equal proportions:
/// (b − c)/√(b + c) against the standard normal; 1 when no trial disagrees.
pub fn mcnemar_p(b: u64, c: u64) -> f64 {
    if b + c == 0 {
        return 1.0;
    }
    let z = (b as f64 - c as f64).abs() / ((b + c) as f64).sqrt();
    match statrs::distribution::Normal::new(0.0, 1.0) {
        Ok(d) => (2.0 * (1.0 - d.cdf(z))).clamp(0.0, 1.0),
        Err(_) => f64::NAN,
    }
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

#[cfg(test)]
mod score_tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The worked example of Fagerland, Lydersen and Laake (2013): 21 pairs,
    /// 1 discordant one way and 7 the other. Their Tango interval is
    /// (−0.517, −0.026) and McNemar's asymptotic p is 0.034.
    #[test]
    fn published_example() {
        let (lo, hi) = tango_interval95(1, 7, 21);
        assert!((lo - -0.517).abs() < 5e-4 && (hi - -0.026).abs() < 5e-4, "({lo}, {hi})");
        assert!((mcnemar_p(1, 7) - 0.034).abs() < 5e-4);
    }

    #[test]
    fn no_disagreement_gives_a_wilson_width_not_zero() {
        for n in [10u64, 80, 10_000] {
            let (lo, hi) = tango_interval95(0, 0, n);
            let w = Z975 * Z975 / (n as f64 + Z975 * Z975);
            assert!(
                (hi - w).abs() < 1e-12 && (lo + w).abs() < 1e-12,
                "n={n}: ({lo}, {hi}) vs ±{w}"
            );
        }
        assert_eq!(mcnemar_p(0, 0), 1.0);
    }

    /// The interval excludes 0 exactly when the test rejects at 5%, and it
    /// always contains the estimate.
    #[test]
    fn interval_and_test_agree() {
        for b in 0..25u64 {
            for c in 0..25u64 {
                let n = 400;
                let (lo, hi) = tango_interval95(b, c, n);
                let est = (b as f64 - c as f64) / n as f64;
                assert!(lo <= est && est <= hi, "b={b} c={c}");
                assert_eq!(
                    lo > 0.0 || hi < 0.0,
                    mcnemar_p(b, c) < 0.05,
                    "b={b} c={c}: ({lo}, {hi})"
                );
            }
        }
    }

    /// The closed-form q of `tango_statistic` is the constrained maximum of the
    /// likelihood: nudging it either way within the feasible range lowers it.
    #[test]
    fn constrained_mle_is_a_maximum() {
        let loglik = |b: f64, c: f64, n: f64, d: f64, q: f64| {
            b * (q + d).ln() + c * q.ln() + (n - b - c) * (1.0 - 2.0 * q - d).ln()
        };
        for &(b, c, n, d) in &[(3.0, 1.0, 100.0, 0.05), (1.0, 7.0, 21.0, -0.3), (0.0, 4.0, 50.0, 0.01)] {
            let w: f64 = -(b + c) + d * (2.0 * n - b + c);
            let q = ((w * w + 8.0 * n * c * d * (1.0 - d)).sqrt() - w) / (4.0 * n);
            let best = loglik(b, c, n, d, q);
            for h in [1e-4, -1e-4] {
                let q2 = q + h;
                if q2 > 0.0 && q2 + d > 0.0 && 1.0 - 2.0 * q2 - d > 0.0 {
                    assert!(loglik(b, c, n, d, q2) < best, "b={b} c={c} d={d}");
                }
            }
        }
    }

    /// Coverage by simulation for a rare event (the case that matters here:
    /// a handful of discordant trials): the score interval is close to 95%.
    #[test]
    fn score_interval_covers_rare_differences() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let (n, p_b, p_c) = (2_000u64, 0.002, 0.0005);
        let truth = p_b - p_c;
        let reps = 4_000;
        let (mut score, mut t) = (0, 0);
        for _ in 0..reps {
            let mut a = PairedAcc::default();
            for _ in 0..n {
                let u: f64 = rng.random();
                let (base, pol) = if u < p_b {
                    (0.0, 1.0)
                } else if u < p_b + p_c {
                    (1.0, 0.0)
                } else {
                    (0.0, 0.0)
                };
                a.push(base, pol);
            }
            let s = a.summary(OutcomeKind::Minimize);
            score += (s.diff_lo95 <= truth && truth <= s.diff_hi95) as u32;
            let (lo, hi) = t_interval95(&a.diff);
            t += (lo <= truth && truth <= hi) as u32;
        }
        let (score, t) = (score as f64 / reps as f64, t as f64 / reps as f64);
        assert!((0.93..=0.975).contains(&score), "score-interval coverage {score}");
        assert!(t < score, "t {t} vs score {score}");
    }

    #[test]
    fn only_0_1_outcomes_use_the_score_interval() {
        let mut a = PairedAcc::default();
        for (b, p) in [(0.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            a.push(b, p);
        }
        assert!(a.binary());
        assert_eq!(a.summary(OutcomeKind::Minimize).diff_lo95, tango_interval95(1, 0, 4).0);
        let mut m = a.clone();
        m.merge(&{
            let mut x = PairedAcc::default();
            x.push(2.0, 0.0);
            x
        });
        assert!(!m.binary(), "a count of 2 makes it a count outcome");
        assert_eq!(m.summary(OutcomeKind::Minimize).diff_lo95, t_interval95(&m.diff).0);
    }
}
