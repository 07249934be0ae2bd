//! PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), as
//! used in scenario discovery (Bryant and Lempert 2010): find a box in the
//! uncertainty space — a few readable limits — where the cases of interest
//! (e.g. "the policy fails") are concentrated.
//!
//! Peeling: starting from the box holding every experiment, repeatedly cut
//! off the `alpha` share of the box's points at the low or high end of one
//! dimension, choosing the cut that leaves the highest density of cases;
//! stop when the box would hold less than `min_mass` of the experiments.
//! Pasting: after each peel, widen a limit again by up to `alpha` of the
//! box's points if that raises the density (peeling is greedy; pasting
//! undoes cuts that turned out too deep).
//!
//! Every box along the way is kept: the peeling trajectory trades coverage
//! (share of all cases inside the box) against density (share of the box's
//! experiments that are cases). Memory: the n × d inputs and n flags.

use anyhow::{Result, bail};

pub mod stability;

#[derive(Debug, Clone, Copy)]
pub struct PrimOptions {
    /// Share of the box's points removed by one peel (default 0.05).
    pub alpha: f64,
    /// Share of the box's points a paste may add (default 0.05).
    pub paste_alpha: f64,
    /// Smallest box, as a share of all experiments (default 0.05).
    pub min_mass: f64,
}

impl Default for PrimOptions {
    fn default() -> Self {
        PrimOptions {
            alpha: 0.05,
            paste_alpha: 0.05,
            min_mass: 0.05,
        }
    }
}

/// One box of the trajectory. Limits are inclusive and come from data values.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimBox {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// Experiments inside, and cases among them.
    pub n: usize,
    pub cases: usize,
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
}

#[derive(Debug, Clone)]
pub struct PrimResult {
    pub trajectory: Vec<PrimBox>,
    /// Each dimension's data range (the unrestricted limits).
    pub ranges: Vec<(f64, f64)>,
    pub total: usize,
    pub total_cases: usize,
}

impl PrimResult {
    /// Dimensions a box restricts (a limit tighter than the data range).
    pub fn restricted(&self, b: &PrimBox) -> Vec<usize> {
        (0..self.ranges.len())
            .filter(|&j| b.lo[j] > self.ranges[j].0 || b.hi[j] < self.ranges[j].1)
            .collect()
    }

    /// The box as rules, e.g. "taliban_responsiveness <= 0.3 and isisk_recruitment >= 0.6".
    pub fn rules(&self, b: &PrimBox, names: &[String]) -> String {
        let parts: Vec<String> = self
            .restricted(b)
            .into_iter()
            .map(|j| {
                let lo = (b.lo[j] > self.ranges[j].0).then_some(b.lo[j]);
                let hi = (b.hi[j] < self.ranges[j].1).then_some(b.hi[j]);
                limit_rule(&names[j], lo, hi)
            })
            .collect();
        join_rules(parts)
    }

    /// Default choice: the densest box whose coverage is at least `min_coverage`
    /// (the earliest such box on ties); the first box if none qualifies.
    pub fn choose(&self, min_coverage: f64) -> usize {
        let mut best = 0;
        for (i, b) in self.trajectory.iter().enumerate() {
            if b.coverage >= min_coverage && b.density > self.trajectory[best].density {
                best = i;
            }
        }
        best
    }
}

/// One restricted uncertainty as a rule (inclusive limits; `None` = unrestricted side).
pub fn limit_rule(name: &str, lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{} <= {name} <= {}", short(lo), short(hi)),
        (Some(lo), None) => format!("{name} >= {}", short(lo)),
        (None, Some(hi)) => format!("{name} <= {}", short(hi)),
        (None, None) => format!("{name} (any)"),
    }
}

/// A box's rules joined with "and"; a box without limits says so.
pub fn join_rules(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "(no restriction: every experiment)".into()
    } else {
        parts.join(" and ")
    }
}

/// A number with 4 significant digits, for rules.
pub fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Coverage, density and mass of the box [lo, hi].
pub fn box_stats(cols: &[Vec<f64>], y: &[bool], lo: &[f64], hi: &[f64], total_cases: usize) -> PrimBox {
    let n = y.len();
    let d = cols.len();
    let (mut k, mut c) = (0, 0);
    for i in 0..n {
        if (0..d).all(|j| cols[j][i] >= lo[j] && cols[j][i] <= hi[j]) {
            k += 1;
            c += usize::from(y[i]);
        }
    }
    PrimBox {
        lo: lo.to_vec(),
        hi: hi.to_vec(),
        n: k,
        cases: c,
        coverage: c as f64 / total_cases.max(1) as f64,
        density: if k > 0 { c as f64 / k as f64 } else { 0.0 },
        mass: k as f64 / n.max(1) as f64,
    }
}

impl PrimResult {
    /// Quasi-p-value of each restriction of `b` (Bryant and Lempert 2010):
    /// the chance of at least the box's cases among its experiments if the
    /// density were that of the box without this restriction (one-sided
    /// binomial test). A large value means the limit adds little beyond
    /// noise: peeling is greedy and, with finite samples, also trims
    /// dimensions that do not matter.
    pub fn quasi_p(&self, cols: &[Vec<f64>], y: &[bool], b: &PrimBox) -> Vec<(usize, f64)> {
        use statrs::distribution::{Binomial, DiscreteCDF};
        self.restricted(b)
            .into_iter()
            .map(|j| {
                let (mut lo, mut hi) = (b.lo.clone(), b.hi.clone());
                lo[j] = self.ranges[j].0;
                hi[j] = self.ranges[j].1;
                let wider = box_stats(cols, y, &lo, &hi, self.total_cases);
                let p = match Binomial::new(wider.density.clamp(0.0, 1.0), b.n as u64) {
                    Ok(bin) if b.cases > 0 => bin.sf(b.cases as u64 - 1),
                    _ => 1.0,
                };
                (j, p)
            })
            .collect()
    }

    /// `b` with its weakest restrictions dropped one at a time (largest
    /// quasi-p-value first) until every remaining one has a quasi-p-value
    /// below `p_max`.
    pub fn simplify(&self, cols: &[Vec<f64>], y: &[bool], b: &PrimBox, p_max: f64) -> PrimBox {
        let mut cur = b.clone();
        loop {
            let qp = self.quasi_p(cols, y, &cur);
            let Some(&(j, p)) = qp.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0))) else {
                return cur;
            };
            if p < p_max {
                return cur;
            }
            let (mut lo, mut hi) = (cur.lo.clone(), cur.hi.clone());
            lo[j] = self.ranges[j].0;
            hi[j] = self.ranges[j].1;
            cur = box_stats(cols, y, &lo, &hi, self.total_cases);
        }
    }
}

/// Run PRIM on `cols` (one vector per dimension, n values each) and the case flags `y`.
pub fn prim(cols: &[Vec<f64>], y: &[bool], opts: &PrimOptions) -> Result<PrimResult> {
    let n = y.len();
    if n == 0 || cols.iter().any(|c| c.len() != n) {
        bail!("PRIM needs one value per experiment in every dimension");
    }
    let ok_share = |a: f64, lo_ok: bool| (a > 0.0 || (lo_ok && a == 0.0)) && a < 0.5;
    if !ok_share(opts.alpha, false) || !ok_share(opts.paste_alpha, true) {
        bail!("PRIM's peeling and pasting shares must lie in (0, 0.5)");
    }
    if !(opts.min_mass > 0.0 && opts.min_mass < 1.0) {
        bail!("PRIM's minimum box mass must lie in (0, 1)");
    }
    if cols.iter().flatten().any(|x| !x.is_finite()) {
        bail!("PRIM inputs must be finite numbers");
    }
    let total_cases = y.iter().filter(|&&c| c).count();
    if total_cases == 0 {
        bail!("no experiment meets the condition, so there is nothing to find a box for");
    }
    let d = cols.len();
    let ranges: Vec<(f64, f64)> = cols
        .iter()
        .map(|c| {
            c.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)))
        })
        .collect();
    let mut lo: Vec<f64> = ranges.iter().map(|r| r.0).collect();
    let mut hi: Vec<f64> = ranges.iter().map(|r| r.1).collect();
    let make = |lo: &[f64], hi: &[f64]| box_stats(cols, y, lo, hi, total_cases);
    let mut trajectory = vec![make(&lo, &hi)];
    let min_n = (opts.min_mass * n as f64).ceil() as usize;
    loop {
        let cur = trajectory.last().expect("trajectory starts with one box").clone();
        let inside: Vec<usize> = (0..n)
            .filter(|&i| (0..d).all(|j| cols[j][i] >= lo[j] && cols[j][i] <= hi[j]))
            .collect();
        let k = ((opts.alpha * inside.len() as f64).floor() as usize).max(1);
        // Best peel: (density, n, dim, is_low, new limit).
        let mut best: Option<(f64, usize, usize, bool, f64)> = None;
        for (j, col) in cols.iter().enumerate() {
            let mut vals: Vec<f64> = inside.iter().map(|&i| col[i]).collect();
            let m = vals.len();
            if m <= k {
                continue;
            }
            // Order statistics by selection (O(m)) rather than a full sort.
            let (min, max) = vals
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            let kth_low = *vals.select_nth_unstable_by(k, f64::total_cmp).1;
            let kth_high = *vals.select_nth_unstable_by(m - 1 - k, f64::total_cmp).1;
            // Low peel: keep values >= the k-th smallest (ties at the cut stay
            // inside; if the cut value is the minimum, remove all copies of it).
            let low_cut = if kth_low > min {
                Some(kth_low)
            } else {
                vals.iter().copied().filter(|&v| v > min).min_by(f64::total_cmp)
            };
            let high_cut = if kth_high < max {
                Some(kth_high)
            } else {
                vals.iter().copied().filter(|&v| v < max).max_by(f64::total_cmp)
            };
            for (is_low, cut) in [(true, low_cut), (false, high_cut)] {
                let Some(cut) = cut else { continue };
                let (mut kk, mut cc) = (0usize, 0usize);
                for &i in &inside {
                    let x = col[i];
                    if (is_low && x >= cut) || (!is_low && x <= cut) {
                        kk += 1;
                        cc += usize::from(y[i]);
                    }
                }
                if kk < min_n || kk == 0 {
                    continue;
                }
                let dens = cc as f64 / kk as f64;
                let better = match best {
                    None => true,
                    Some((bd, bn, ..)) => dens > bd || (dens == bd && kk > bn),
                };
                if better {
                    best = Some((dens, kk, j, is_low, cut));
                }
            }
        }
        let Some((_, _, j, is_low, cut)) = best else { break };
        if is_low {
            lo[j] = cut;
        } else {
            hi[j] = cut;
        }
        paste(cols, y, &mut lo, &mut hi, opts.paste_alpha, cur.n);
        let b = make(&lo, &hi);
        if b.n == cur.n && b.lo == cur.lo && b.hi == cur.hi {
            break;
        }
        trajectory.push(b);
        if trajectory.len() > 10_000 {
            break;
        }
    }
    Ok(PrimResult {
        trajectory,
        ranges,
        total: n,
        total_cases,
    })
}

/// Widen limits while that raises the box's density, keeping the box
/// smaller than `before` (the box before the last peel), so a paste never
/// undoes the peel it follows and the trajectory keeps shrinking.
fn paste(cols: &[Vec<f64>], y: &[bool], lo: &mut [f64], hi: &mut [f64], alpha: f64, before: usize) {
    if alpha <= 0.0 {
        return;
    }
    let n = y.len();
    let d = cols.len();
    for _ in 0..100 {
        // One pass sorts the points into those inside and, per dimension j,
        // those outside only because of j (below or above its limits), so a
        // paste step costs O(n d) rather than O(n d²).
        let mut inside: Vec<usize> = Vec::new();
        let mut below: Vec<Vec<usize>> = vec![Vec::new(); d];
        let mut above: Vec<Vec<usize>> = vec![Vec::new(); d];
        let outside = |l: usize, i: usize| !(cols[l][i] >= lo[l] && cols[l][i] <= hi[l]);
        let is_below = |l: usize, i: usize| cols[l][i] < lo[l];
        for i in 0..n {
            let mut out = (0..d).filter(|&l| outside(l, i));
            match (out.next(), out.next()) {
                (None, _) => inside.push(i),
                (Some(j), None) if is_below(j, i) => below[j].push(i),
                (Some(j), None) => above[j].push(i),
                _ => {}
            }
        }
        if inside.is_empty() {
            return;
        }
        let cases = inside.iter().filter(|&&i| y[i]).count();
        let density = cases as f64 / inside.len() as f64;
        let k = ((alpha * inside.len() as f64).floor() as usize).max(1);
        let mut best: Option<(f64, usize, bool, f64)> = None;
        for (j, (mut below, mut above)) in below.into_iter().zip(above).enumerate() {
            below.sort_by(|&a, &b| cols[j][b].total_cmp(&cols[j][a]));
            above.sort_by(|&a, &b| cols[j][a].total_cmp(&cols[j][b]));
            for (is_low, list) in [(true, below), (false, above)] {
                if list.is_empty() {
                    continue;
                }
                let take = k.min(list.len());
                let limit = cols[j][list[take - 1]];
                // Include every point up to the new limit (ties included).
                let added: Vec<usize> = list
                    .iter()
                    .copied()
                    .filter(|&i| {
                        if is_low {
                            cols[j][i] >= limit
                        } else {
                            cols[j][i] <= limit
                        }
                    })
                    .collect();
                if inside.len() + added.len() >= before {
                    continue;
                }
                let c2 = cases + added.iter().filter(|&&i| y[i]).count();
                let dens = c2 as f64 / (inside.len() + added.len()) as f64;
                if dens > density && best.is_none_or(|b| dens > b.0) {
                    best = Some((dens, j, is_low, limit));
                }
            }
        }
        match best {
            Some((_, j, true, limit)) => lo[j] = limit,
            Some((_, j, false, limit)) => hi[j] = limit,
            None => return,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

    /// Synthetic data with a known box: cases are x0 < 0.3 and x2 > 0.6, plus
    /// 5% label noise. PRIM recovers the two dimensions and their limits.
    pub fn synthetic(n: usize, noise: f64) -> (Vec<Vec<f64>>, Vec<bool>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        let mut cols: Vec<Vec<f64>> = (0..4).map(|_| Vec::with_capacity(n)).collect();
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let x: Vec<f64> = (0..4).map(|_| rng.random::<f64>()).collect();
            let inside = x[0] < 0.3 && x[2] > 0.6;
            let flip = rng.random::<f64>() < noise;
            y.push(inside != flip);
            for (c, v) in cols.iter_mut().zip(x) {
                c.push(v);
            }
        }
        (cols, y)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::synthetic;
    use super::*;

    #[test]
    fn finds_the_known_box() {
        let (cols, y) = synthetic(3000, 0.05);
        let r = prim(&cols, &y, &PrimOptions::default()).unwrap();
        let first = &r.trajectory[0];
        assert_eq!(first.mass, 1.0);
        assert!((first.coverage - 1.0).abs() < 1e-12);
        let b = &r.trajectory[r.choose(0.7)];
        assert_eq!(r.restricted(b), vec![0, 2], "{b:?}");
        assert!((b.hi[0] - 0.3).abs() < 0.05, "{b:?}");
        assert!((b.lo[2] - 0.6).abs() < 0.05, "{b:?}");
        assert!(b.density > 0.8 && b.coverage > 0.7, "{b:?}");
        let names: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
        let rules = r.rules(b, &names);
        let qp = r.quasi_p(&cols, &y, b);
        assert!(qp.iter().all(|&(_, p)| p < 1e-6), "{qp:?}");
        // A box with a spurious extra limit loses it when simplified.
        let mut spurious = b.clone();
        spurious.lo[1] = 0.05;
        let spurious = box_stats(&cols, &y, &spurious.lo, &spurious.hi, r.total_cases);
        assert_eq!(r.restricted(&spurious), vec![0, 1, 2]);
        let simple = r.simplify(&cols, &y, &spurious, 0.05);
        assert_eq!(r.restricted(&simple), vec![0, 2]);
        assert!(
            rules.starts_with("x0 <= 0.") && rules.contains(" and x2 >= 0."),
            "{rules}"
        );
        // Boxes shrink along the trajectory (pasting only widens a peeled
        // box), and the mass floor holds.
        for w in r.trajectory.windows(2) {
            assert!(w[1].n < w[0].n, "{} then {}", w[0].n, w[1].n);
            assert!(w[1].mass >= 0.05 - 1e-12);
        }
    }

    #[test]
    fn no_cases_is_an_error() {
        let (cols, _) = synthetic(100, 0.0);
        assert!(prim(&cols, &[false; 100], &PrimOptions::default()).is_err());
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short(0.30012), "0.3001");
        assert_eq!(short(16.25), "16.25");
        assert_eq!(short(-6.8123), "-6.812");
        assert_eq!(short(1200.4), "1200");
    }
}
