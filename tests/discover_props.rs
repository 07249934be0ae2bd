//! Property tests of scenario discovery's checks on itself: CART's pruning
//! sequence and cross-validation choice, and PRIM's resampling statistics.

use greatgame::analysis::cart::prune::{prune_cv, weakest_link};
use greatgame::analysis::cart::{CartOptions, Node, fit, leaves};
use greatgame::analysis::prim::PrimOptions;
use greatgame::analysis::prim::stability::{ResampleOptions, resample};
use proptest::prelude::*;

fn cases() -> u32 {
    if std::env::var("GREATGAME_LONG_TESTS").is_ok() {
        1000
    } else {
        48
    }
}

fn data() -> impl Strategy<Value = (Vec<Vec<f64>>, Vec<bool>)> {
    // Cases partly follow x0 (so trees have something to find), partly noise;
    // values on a coarse grid so ties occur.
    proptest::collection::vec((0u8..20, 0u8..20, 0u8..20, 0.0..1.0f64), 30..160).prop_map(|pts| {
        let cols = (0..3)
            .map(|j| pts.iter().map(|p| f64::from([p.0, p.1, p.2][j]) / 19.0).collect())
            .collect();
        let y = pts.iter().map(|p| (p.0 < 8) != (p.3 < 0.2)).collect();
        (cols, y)
    })
}

fn leaf_count(node: &Node) -> usize {
    leaves(node).len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Weakest-link pruning gives nested subtrees with rising complexity and
    /// cost, fewer leaves each time, ending at the root; the CV choice obeys
    /// the 1-SE rule and its leaves partition the experiments.
    #[test]
    fn pruning_sequence_and_choice_are_consistent((cols, y) in data(), depth in 1usize..6, min_leaf in 1usize..8, folds in 2usize..8, seed in any::<u64>()) {
        let opts = CartOptions { max_depth: depth, min_leaf };
        let seq = weakest_link(&fit(&cols, &y, &opts));
        let root_only = matches!(seq.last().unwrap().1, Node::Leaf { .. });
        prop_assert!(root_only);
        for w in seq.windows(2) {
            prop_assert!(w[1].0 >= w[0].0);
            prop_assert!(leaf_count(&w[1].1) < leaf_count(&w[0].1));
        }
        let p = prune_cv(&cols, &y, &opts, folds, seed).unwrap();
        prop_assert_eq!(p.sequence.len(), seq.len());
        for w in p.sequence.windows(2) {
            prop_assert!(w[1].risk >= w[0].risk - 1e-12);
            prop_assert!(w[1].leaves < w[0].leaves);
        }
        let best = &p.sequence[p.best];
        prop_assert!(p.sequence.iter().all(|t| t.cv_risk >= best.cv_risk));
        prop_assert!(p.chosen >= p.best);
        prop_assert!(p.sequence[p.chosen].cv_risk <= best.cv_risk + best.cv_se + 1e-12);
        for t in &p.sequence {
            prop_assert!((0.0..=1.0).contains(&t.cv_risk) && t.cv_se >= 0.0);
        }
        let ls = leaves(&p.tree);
        prop_assert_eq!(ls.len(), p.sequence[p.chosen].leaves);
        prop_assert_eq!(ls.iter().map(|l| l.n).sum::<usize>(), y.len());
    }

    /// Reproducibility shares lie in [0, 1]; every completed resample's
    /// scores are shares; the run is the same when repeated.
    #[test]
    fn resampling_statistics_are_shares((cols, y) in data(), seed in any::<u64>(), share in 0.3..0.8f64) {
        prop_assume!(y.iter().any(|&c| c));
        let opts = ResampleOptions { resamples: 6, share, seed };
        let s = resample(&cols, &y, &PrimOptions::default(), 0.5, 0.05, &opts).unwrap();
        prop_assert_eq!(s.resamples.len(), 6);
        for simplified in [false, true] {
            prop_assert!(s.reproducibility(simplified).iter().all(|p| (0.0..=1.0).contains(p)));
        }
        for r in s.resamples.iter().flatten() {
            for b in [&r.chosen, &r.simplified] {
                for x in [Some(b.coverage_in), Some(b.density_in), b.coverage_out, b.density_out].into_iter().flatten() {
                    prop_assert!((0.0..=1.0).contains(&x));
                }
            }
            // The simplified box restricts a subset of the chosen box's dimensions.
            let (c, sm) = (r.chosen.open.restricted(), r.simplified.open.restricted());
            prop_assert!(sm.iter().all(|j| c.contains(j)));
        }
        let again = resample(&cols, &y, &PrimOptions::default(), 0.5, 0.05, &opts).unwrap();
        prop_assert_eq!(s.resamples, again.resamples);
    }
}
