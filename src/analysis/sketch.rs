//! Streaming quantiles that merge exactly, in any order.
//!
//! A relative-error log-bucket sketch (in the spirit of DDSketch): each value
//! goes to bucket ⌈ln|x| / ln γ⌉ with γ = (1+α)/(1−α), α = 0.001, so any
//! reported quantile is within 0.1% of a true sample value. Buckets hold
//! integer counts plus the smallest and largest value seen, all of which merge
//! by commutative operations — so the result is identical whatever the thread
//! count or merge order, and memory depends on the spread of values, not on
//! the number of trials. Values that are exactly equal (counts, 0/1
//! outcomes) are reported exactly because a bucket whose min equals its max
//! returns that value.

use std::collections::BTreeMap;

const ALPHA: f64 = 0.001;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    count: u64,
    min: f64,
    max: f64,
}

impl Bucket {
    fn add(&mut self, other: &Bucket) {
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    /// Key: signed bucket index; negative values map to negative keys below
    /// the zero bucket so the map iterates in value order.
    buckets: BTreeMap<i64, Bucket>,
    count: u64,
}

/// Values with |x| below this count as zero.
const ZERO: f64 = 1e-12;
/// Offset separating the negative, zero and positive key ranges.
const SPAN: i64 = 1 << 40;

fn key(x: f64) -> i64 {
    let gamma_ln = ((1.0 + ALPHA) / (1.0 - ALPHA)).ln();
    if x.abs() < ZERO {
        0
    } else {
        let k = (x.abs().ln() / gamma_ln).ceil() as i64 + SPAN / 2;
        if x > 0.0 { k + SPAN } else { -k - SPAN }
    }
}

impl Sketch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        let b = Bucket {
            count: 1,
            min: x,
            max: x,
        };
        self.buckets.entry(key(x)).and_modify(|e| e.add(&b)).or_insert(b);
        self.count += 1;
    }

    pub fn merge(&mut self, other: &Sketch) {
        for (k, b) in &other.buckets {
            self.buckets.entry(*k).and_modify(|e| e.add(b)).or_insert(*b);
        }
        self.count += other.count;
    }

    /// Every bucket as (key, count, min, max) in key order, for saving a state losslessly.
    pub fn buckets(&self) -> impl ExactSizeIterator<Item = (i64, u64, f64, f64)> + '_ {
        self.buckets.iter().map(|(k, b)| (*k, b.count, b.min, b.max))
    }

    /// Rebuild from [`Sketch::buckets`] (bit-exact).
    pub fn from_buckets(buckets: impl IntoIterator<Item = (i64, u64, f64, f64)>) -> Sketch {
        let mut s = Sketch::new();
        for (k, count, min, max) in buckets {
            s.buckets.insert(k, Bucket { count, min, max });
            s.count += count;
        }
        s
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The q-quantile (0 ≤ q ≤ 1) by the nearest-rank rule on ⌈q·n⌉; NaN if empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for b in self.buckets.values() {
            seen += b.count;
            if seen >= rank {
                if b.min == b.max {
                    return b.min;
                }
                // Geometric middle of the bucket's observed range.
                let mid = if b.min > 0.0 {
                    (b.min * b.max).sqrt()
                } else if b.max < 0.0 {
                    -(b.min * b.max).sqrt()
                } else {
                    0.0
                };
                return mid.clamp(b.min, b.max);
            }
        }
        self.buckets.values().next_back().map_or(f64::NAN, |b| b.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_relative_error() {
        let mut s = Sketch::new();
        let xs: Vec<f64> = (1..=10_000).map(|i| (i as f64) * 0.37 - 500.0).collect();
        for x in &xs {
            s.insert(*x);
        }
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let exact = sorted[((q * 10_000.0) as usize).max(1) - 1];
            let got = s.quantile(q);
            assert!(
                (got - exact).abs() <= 0.0021 * exact.abs() + 1e-9,
                "q={q} exact={exact} got={got}"
            );
        }
    }

    #[test]
    fn integers_are_exact_and_merge_is_order_free() {
        let mut a = Sketch::new();
        let mut b = Sketch::new();
        for i in 0..1000u32 {
            let x = f64::from(i % 17);
            if i % 3 == 0 { a.insert(x) } else { b.insert(x) }
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.quantile(0.5), 8.0);
        assert_eq!(ab.quantile(0.0), 0.0);
        assert_eq!(ab.quantile(1.0), 16.0);
        assert!(Sketch::new().quantile(0.5).is_nan());
    }
}
