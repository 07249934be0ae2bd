//! Property tests of the exploration building blocks.

use greatgame::analysis::prim::{PrimOptions, prim};
use greatgame::experiment::samplers::{DesignKind, UnitDesign};
use greatgame::model::dist::{Sampler, quantile, support};
use greatgame::scenario::schema::Dist;
use proptest::prelude::*;

fn cases() -> u32 {
    if std::env::var("GREATGAME_LONG_TESTS").is_ok() {
        2000
    } else {
        64
    }
}

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (-5.0..5.0f64, 0.01..5.0f64).prop_map(|(a, w)| Dist::Uniform(a, a + w)),
        (-5.0..5.0f64, 0.01..3.0f64).prop_map(|(m, s)| Dist::Normal(m, s)),
        (-1.0..1.0f64, 0.05..2.0f64, 0.0..1.0f64, 0.1..3.0f64).prop_map(|(m, s, a, w)| {
            let lo = m - a * s;
            Dist::TruncNormal(m, s, lo, lo + w * s)
        }),
        (-5.0..5.0f64, 0.01..5.0f64, 0.0..1.0f64).prop_map(|(a, w, t)| Dist::Triangular(a, a + t * w, a + w)),
        (-5.0..5.0f64, 0.01..5.0f64, 0.0..1.0f64).prop_map(|(a, w, t)| Dist::Pert(a, a + t * w, a + w)),
        (0.2..8.0f64, 0.2..8.0f64).prop_map(|(a, b)| Dist::Beta(a, b)),
        (0.2..8.0f64, 0.2..8.0f64, -5.0..5.0f64, 0.01..5.0f64).prop_map(|(a, b, lo, w)| Dist::ScaledBeta(
            a,
            b,
            lo,
            lo + w
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Every distribution the scenario format accepts has a finite quantile
    /// function that never decreases and stays in the support.
    #[test]
    fn quantiles_are_monotone_finite_and_in_support(d in dist(), us in proptest::collection::vec(0.0..=1.0f64, 2..20)) {
        prop_assume!(Sampler::new(&d).is_ok());
        let mut us = us;
        us.sort_by(f64::total_cmp);
        let (lo, hi) = support(&d);
        let xs: Vec<f64> = us.iter().map(|&u| quantile(&d, u)).collect();
        for w in xs.windows(2) {
            prop_assert!(w[1] >= w[0] - 1e-9 * (1.0 + w[0].abs()), "{d:?}: {xs:?}");
        }
        for x in &xs {
            prop_assert!(x.is_finite() && *x >= lo - 1e-9 && *x <= hi + 1e-9, "{d:?}: {x}");
        }
    }

    /// A Latin hypercube uses each of its n strata exactly once in every dimension.
    #[test]
    fn latin_hypercube_strata(n in 1u64..200, dims in 1usize..6, seed in any::<u64>()) {
        let d = UnitDesign::new(DesignKind::Lhs, n, dims, seed).unwrap();
        let mut seen = vec![vec![false; n as usize]; dims];
        let mut p = vec![0.0; dims];
        for i in 0..n {
            d.point(i, &mut p);
            for (j, u) in p.iter().enumerate() {
                let s = (u * n as f64).floor() as usize;
                prop_assert!(!seen[j][s]);
                seen[j][s] = true;
            }
        }
    }

    /// PRIM's trajectory starts with every experiment, shrinks at each step,
    /// respects the mass floor, and reports consistent coverage and density.
    #[test]
    fn prim_trajectory_is_consistent(
        pts in proptest::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64, any::<bool>()), 40..200),
    ) {
        let cols: Vec<Vec<f64>> = (0..3)
            .map(|j| pts.iter().map(|p| [p.0, p.1, p.2][j]).collect())
            .collect();
        let y: Vec<bool> = pts.iter().map(|p| p.3).collect();
        let total_cases = y.iter().filter(|&&c| c).count();
        prop_assume!(total_cases > 0);
        let r = prim(&cols, &y, &PrimOptions::default()).unwrap();
        prop_assert_eq!(r.trajectory[0].n, pts.len());
        for w in r.trajectory.windows(2) {
            prop_assert!(w[1].n < w[0].n);
        }
        for b in &r.trajectory {
            prop_assert!(b.mass >= 0.05 - 1e-12 || b.n == pts.len());
            prop_assert!((b.coverage - b.cases as f64 / total_cases as f64).abs() < 1e-12);
            prop_assert!((b.density - b.cases as f64 / b.n as f64).abs() < 1e-12);
        }
    }
}
