//! Designs over the uncertainties (X in XLRM): points in the unit hypercube,
//! mapped to each uncertainty's distribution by its inverse CDF
//! ([`crate::model::dist::quantile`]).
//!
//! Every point is a pure function of (master seed, point index), so a design
//! can be evaluated in any order, on any number of threads, or split across
//! machines, and still give the same numbers:
//!
//! * **Monte Carlo**: point *i* is *d* uniforms from stream
//!   `stream_seed(seed, i, STREAM_DESIGN)`.
//! * **Latin hypercube**: one random permutation of the *n* strata per
//!   dimension (seeded by the dimension), and a uniform jitter inside the
//!   stratum from point *i*'s own stream. Holds `n × d` `u32`s — the only
//!   design whose memory grows with the sample size.
//! * **Sobol**: the Owen-scrambled Sobol sequence of the `sobol_burley` crate
//!   (Joe–Kuo direction numbers, Burley's hash-based scrambling seeded from
//!   the master seed). Scrambling keeps the low discrepancy and makes the
//!   estimators unbiased; it limits a design to 65,536 points and 256
//!   dimensions, and each coordinate has 24 bits (f32) of resolution.

use crate::model::Model;
use crate::model::dist::quantile;
use crate::model::sim::stream_seed;
use anyhow::{Result, bail};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

/// Stream ids for design randomness (the trial streams use 1 and 2).
const STREAM_DESIGN: u64 = 3;
const STREAM_LHS_PERM: u64 = 4;
const STREAM_SOBOL_SCRAMBLE: u64 = 5;
const STREAM_MORRIS: u64 = 6;

/// Largest Sobol design (a limit of the `sobol_burley` sequence).
pub const MAX_SOBOL_POINTS: u64 = 1 << 16;
/// Most dimensions of a Sobol design.
pub const MAX_SOBOL_DIMS: usize = 256;
/// Largest Latin hypercube (its permutations are held in memory).
pub const MAX_LHS_POINTS: u64 = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DesignKind {
    /// Independent uniform draws (plain Monte Carlo).
    #[value(name = "mc")]
    MonteCarlo,
    /// Latin hypercube: each uncertainty's range cut into N equally likely strata, each used once.
    Lhs,
    /// Owen-scrambled Sobol low-discrepancy sequence.
    Sobol,
}

impl DesignKind {
    pub fn name(self) -> &'static str {
        match self {
            DesignKind::MonteCarlo => "monte_carlo",
            DesignKind::Lhs => "latin_hypercube",
            DesignKind::Sobol => "sobol",
        }
    }
}

/// `n` points in `[0, 1)^dims`.
#[derive(Debug, Clone)]
pub struct UnitDesign {
    kind: DesignKind,
    n: u64,
    dims: usize,
    seed: u64,
    /// LHS only: `perms[j][i]` is the stratum of point `i` in dimension `j`.
    perms: Vec<Vec<u32>>,
    sobol_seed: u32,
}

impl UnitDesign {
    pub fn new(kind: DesignKind, n: u64, dims: usize, seed: u64) -> Result<UnitDesign> {
        if n == 0 {
            bail!("a design needs at least one point (--samples)");
        }
        let perms = match kind {
            DesignKind::Lhs => {
                if n > MAX_LHS_POINTS {
                    bail!("a Latin hypercube holds at most {MAX_LHS_POINTS} points (got {n}); use --design mc");
                }
                (0..dims)
                    .map(|j| {
                        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, j as u64, STREAM_LHS_PERM));
                        let mut p: Vec<u32> = (0..n as u32).collect();
                        p.shuffle(&mut rng);
                        p
                    })
                    .collect()
            }
            DesignKind::Sobol => {
                if n > MAX_SOBOL_POINTS {
                    bail!("a Sobol design holds at most {MAX_SOBOL_POINTS} points (got {n})");
                }
                if dims > MAX_SOBOL_DIMS {
                    bail!("a Sobol design has at most {MAX_SOBOL_DIMS} dimensions (got {dims})");
                }
                Vec::new()
            }
            DesignKind::MonteCarlo => Vec::new(),
        };
        Ok(UnitDesign {
            kind,
            n,
            dims,
            seed,
            perms,
            sobol_seed: (stream_seed(seed, 0, STREAM_SOBOL_SCRAMBLE) >> 32) as u32,
        })
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Coordinates of point `i` (< `len()`), written to `out` (`dims` long).
    pub fn point(&self, i: u64, out: &mut [f64]) {
        debug_assert!(i < self.n && out.len() == self.dims);
        match self.kind {
            DesignKind::MonteCarlo => {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, i, STREAM_DESIGN));
                out.iter_mut().for_each(|u| *u = rng.random::<f64>());
            }
            DesignKind::Lhs => {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, i, STREAM_DESIGN));
                for (j, u) in out.iter_mut().enumerate() {
                    let jitter: f64 = rng.random();
                    *u = (f64::from(self.perms[j][i as usize]) + jitter) / self.n as f64;
                }
            }
            DesignKind::Sobol => {
                for (j, u) in out.iter_mut().enumerate() {
                    *u = f64::from(sobol_burley::sample(i as u32, j as u32, self.sobol_seed));
                }
            }
        }
    }
}

/// Map a unit-hypercube point to uncertainty values (one per model parameter).
pub fn to_params(model: &Model, unit: &[f64], out: &mut [f64]) {
    for ((p, u), x) in model.params.iter().zip(unit).zip(out.iter_mut()) {
        *x = quantile(&p.dist, *u);
    }
}

/// Saltelli's (2010) scheme: from a Sobol sequence in 2d dimensions, matrix A
/// takes the first d coordinates and B the last d; for each base point j the
/// design has d + 2 rows: A_j, B_j, and AB_j^(i) (A_j with column i from B_j)
/// for each factor i. Total N (d + 2) model runs.
#[derive(Debug, Clone)]
pub struct SaltelliDesign {
    sobol: UnitDesign,
    d: usize,
}

/// Which matrix a Saltelli row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaltelliRow {
    A,
    B,
    /// A with column `i` taken from B.
    AB(usize),
}

impl SaltelliRow {
    pub fn of(k: usize) -> SaltelliRow {
        match k {
            0 => SaltelliRow::A,
            1 => SaltelliRow::B,
            k => SaltelliRow::AB(k - 2),
        }
    }

    pub fn label(self) -> String {
        match self {
            SaltelliRow::A => "A".into(),
            SaltelliRow::B => "B".into(),
            SaltelliRow::AB(i) => format!("AB{}", i + 1),
        }
    }
}

impl SaltelliDesign {
    pub fn new(n: u64, d: usize, seed: u64) -> Result<SaltelliDesign> {
        if d == 0 {
            bail!("the scenario has no uncertainties to analyse");
        }
        // The Sobol sequence has at most 256 dimensions (128 factors); a larger design (coefficient
        // factors) takes A and B from a Latin hypercube in 2d dimensions instead: the estimators only
        // need A and B independent and uniform, a low-discrepancy sequence just converges faster.
        let kind = if 2 * d <= MAX_SOBOL_DIMS {
            DesignKind::Sobol
        } else {
            DesignKind::Lhs
        };
        Ok(SaltelliDesign {
            sobol: UnitDesign::new(kind, n, 2 * d, seed)?,
            d,
        })
    }

    pub fn base_points(&self) -> u64 {
        self.sobol.len()
    }

    pub fn rows_per_base(&self) -> usize {
        self.d + 2
    }

    /// The unit point of row `row` of base point `j`; `scratch` is 2d long.
    pub fn point(&self, j: u64, row: SaltelliRow, scratch: &mut [f64], out: &mut [f64]) {
        self.sobol.point(j, scratch);
        let (a, b) = scratch.split_at(self.d);
        match row {
            SaltelliRow::A => out.copy_from_slice(a),
            SaltelliRow::B => out.copy_from_slice(b),
            SaltelliRow::AB(i) => {
                out.copy_from_slice(a);
                out[i] = b[i];
            }
        }
    }
}

/// Morris (1991) one-at-a-time trajectories on a p-level grid, with the
/// usual step Δ = p / (2 (p − 1)). Trajectory t starts at a random grid point
/// and moves each factor once, in a random order, by +Δ or −Δ (whichever
/// stays on the grid: for even p each level allows exactly one). Grid value g
/// maps to the probability (g (p − 1) + ½) / p — the middle of one of p
/// equally likely bins — so unbounded distributions stay finite.
#[derive(Debug, Clone)]
pub struct MorrisDesign {
    pub trajectories: u64,
    pub d: usize,
    pub levels: u32,
    seed: u64,
}

/// One trajectory: d + 1 grid points and, for step s, the factor moved and
/// the signed step in grid units.
#[derive(Debug, Clone)]
pub struct Trajectory {
    pub points: Vec<Vec<f64>>,
    pub moves: Vec<(usize, f64)>,
}

impl MorrisDesign {
    pub fn new(trajectories: u64, d: usize, levels: u32, seed: u64) -> Result<MorrisDesign> {
        if d == 0 {
            bail!("the scenario has no uncertainties to analyse");
        }
        if trajectories < 2 {
            bail!("Morris needs at least 2 trajectories (--samples), got {trajectories}");
        }
        if levels < 2 || levels % 2 != 0 {
            bail!("Morris needs an even number of grid levels of at least 2 (--levels), got {levels}");
        }
        Ok(MorrisDesign {
            trajectories,
            d,
            levels,
            seed,
        })
    }

    pub fn delta(&self) -> f64 {
        let p = f64::from(self.levels);
        p / (2.0 * (p - 1.0))
    }

    /// Grid value to probability (middle of one of p equally likely bins).
    pub fn to_unit(&self, g: f64) -> f64 {
        let p = f64::from(self.levels);
        (g * (p - 1.0) + 0.5) / p
    }

    pub fn trajectory(&self, t: u64) -> Trajectory {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, t, STREAM_MORRIS));
        let p = self.levels;
        let step_levels = p / 2;
        let mut x: Vec<f64> = (0..self.d)
            .map(|_| f64::from(rng.random_range(0..p)) / f64::from(p - 1))
            .collect();
        let mut order: Vec<usize> = (0..self.d).collect();
        order.shuffle(&mut rng);
        let delta = self.delta();
        let mut points = vec![x.clone()];
        let mut moves = Vec::with_capacity(self.d);
        for &i in &order {
            let level = (x[i] * f64::from(p - 1)).round() as u32;
            let up = level + step_levels < p;
            let signed = if up { delta } else { -delta };
            x[i] = f64::from(if up { level + step_levels } else { level - step_levels }) / f64::from(p - 1);
            points.push(x.clone());
            moves.push((i, signed));
        }
        Trajectory { points, moves }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lhs_uses_each_stratum_once() {
        let n = 50;
        let d = UnitDesign::new(DesignKind::Lhs, n, 3, 9).unwrap();
        let mut p = [0.0; 3];
        for j in 0..3 {
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                d.point(i, &mut p);
                let s = (p[j] * n as f64).floor() as usize;
                assert!(!seen[s]);
                seen[s] = true;
            }
        }
    }

    #[test]
    fn designs_are_deterministic_and_in_range() {
        for kind in [DesignKind::MonteCarlo, DesignKind::Lhs, DesignKind::Sobol] {
            let a = UnitDesign::new(kind, 64, 5, 3).unwrap();
            let b = UnitDesign::new(kind, 64, 5, 3).unwrap();
            let c = UnitDesign::new(kind, 64, 5, 4).unwrap();
            let (mut x, mut y, mut z) = ([0.0; 5], [0.0; 5], [0.0; 5]);
            let mut differs = false;
            for i in (0..64).rev() {
                a.point(i, &mut x);
                b.point(i, &mut y);
                c.point(i, &mut z);
                assert_eq!(x, y);
                differs |= x != z;
                assert!(x.iter().all(|u| (0.0..1.0).contains(u)));
            }
            assert!(differs, "{kind:?}: the seed changes the design");
        }
    }

    /// A low-discrepancy sequence integrates a smooth function far better
    /// than chance: the mean of x1·x2 over 1024 points is 1/4 to within 1e-3.
    #[test]
    fn sobol_integrates_accurately() {
        let d = UnitDesign::new(DesignKind::Sobol, 1024, 2, 1).unwrap();
        let mut p = [0.0; 2];
        let mean = (0..1024)
            .map(|i| {
                d.point(i, &mut p);
                p[0] * p[1]
            })
            .sum::<f64>()
            / 1024.0;
        assert!((mean - 0.25).abs() < 1e-3, "{mean}");
    }

    #[test]
    fn morris_moves_each_factor_once_on_the_grid() {
        let m = MorrisDesign::new(10, 4, 4, 2).unwrap();
        for t in 0..10 {
            let tr = m.trajectory(t);
            assert_eq!(tr.points.len(), 5);
            let mut moved: Vec<usize> = tr.moves.iter().map(|m| m.0).collect();
            moved.sort();
            assert_eq!(moved, vec![0, 1, 2, 3]);
            for (s, &(i, step)) in tr.moves.iter().enumerate() {
                assert!((tr.points[s + 1][i] - tr.points[s][i] - step).abs() < 1e-12);
                assert!(tr.points[s + 1].iter().all(|g| (0.0..=1.0).contains(g)));
            }
        }
    }
}
