//! Summary statistics that merge deterministically.

use super::sketch::Sketch;

/// Count, mean and variance by Welford's update, merged by Chan's formula.
/// Merging in a fixed order (chunk order) gives bit-identical results at any
/// thread count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    m2: f64,
}

impl Moments {
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = o.clone();
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n as f64 / n as f64;
        self.m2 += o.m2 + d * d * (self.n as f64 * o.n as f64) / n as f64;
        self.n = n;
    }

    /// The sum of squared deviations, for saving a state losslessly.
    pub fn m2(&self) -> f64 {
        self.m2
    }

    /// Rebuild from the parts saved by a checkpoint or shard (bit-exact).
    pub fn from_parts(n: u64, mean: f64, m2: f64) -> Moments {
        Moments { n, mean, m2 }
    }

    /// Sample standard deviation (n − 1).
    pub fn sd(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0).sqrt()
        }
    }
}

/// Everything the summary reports about one outcome under one policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutcomeStats {
    pub moments: Moments,
    pub sketch: Sketch,
}

impl OutcomeStats {
    pub fn push(&mut self, x: f64) {
        self.moments.push(x);
        self.sketch.insert(x);
    }
    pub fn merge(&mut self, o: &OutcomeStats) {
        self.moments.merge(&o.moments);
        self.sketch.merge(&o.sketch);
    }
}

/// Wilson score interval for a proportion at 95%.
pub fn wilson95(successes: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let z = 1.959_963_984_540_054;
    let n = n as f64;
    let p = successes / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_merge_matches_direct() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64 / 10.0).collect();
        let mut all = Moments::default();
        xs.iter().for_each(|x| all.push(*x));
        let mut a = Moments::default();
        let mut b = Moments::default();
        xs[..300].iter().for_each(|x| a.push(*x));
        xs[300..].iter().for_each(|x| b.push(*x));
        a.merge(&b);
        assert_eq!(a.n, 1000);
        assert!((a.mean - all.mean).abs() < 1e-9);
        assert!((a.sd() - all.sd()).abs() < 1e-9);
        let mean = xs.iter().sum::<f64>() / 1000.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0;
        assert!((all.sd() - var.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn wilson_interval() {
        let (lo, hi) = wilson95(50.0, 100);
        assert!((lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3);
        let (lo, hi) = wilson95(0.0, 100);
        assert!(lo.abs() < 1e-12);
        assert!(hi > 0.03 && hi < 0.04);
    }
}
