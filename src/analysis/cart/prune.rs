//! Minimal cost-complexity pruning (Breiman, Friedman, Olshen and Stone
//! 1984, ch. 3) with the complexity chosen by K-fold cross-validation and
//! the one-standard-error rule.
//!
//! A grown tree fits the sample's noise too: with depth and leaf-size limits
//! alone, a split that separates nothing real still shows up as a rule.
//! Weakest-link pruning orders the tree's subtrees by the complexity α at
//! which each internal node stops paying for its leaves; cross-validation
//! estimates how well each subtree predicts experiments it was not grown on;
//! the 1-SE rule takes the smallest subtree whose error is within one
//! standard error of the best.
//!
//! The cost is the Brier score (squared error of the leaf's case share as a
//! prediction), Breiman's choice for class-probability trees (§4.6) rather
//! than the misclassification rate: scenario discovery reads leaves by their
//! density, and with a rare condition every leaf may predict "no case", so
//! misclassification would prune a tree to its root even when some leaf
//! holds the condition three times as often as the rest. The Brier cost of a
//! node is c (n − c) / n (half its Gini impurity), so every split the tree
//! grows lowers it.
//!
//! Fold membership comes from a permutation seeded by (master seed,
//! stream), so the result does not depend on the thread count.

use super::{CartOptions, Node, grow};
use crate::model::sim::stream_seed;
use anyhow::{Result, bail};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Stream id of the fold assignment.
const STREAM_FOLDS: u64 = 0x4341_5254;

/// One subtree of the pruning sequence with its errors (Brier score per experiment).
#[derive(Debug, Clone, PartialEq)]
pub struct Subtree {
    /// The smallest complexity at which this subtree is optimal.
    pub alpha: f64,
    pub leaves: usize,
    /// Resubstitution Brier score (on the experiments the tree was grown on).
    pub risk: f64,
    /// Cross-validated Brier score and its standard error.
    pub cv_risk: f64,
    pub cv_se: f64,
}

#[derive(Debug, Clone)]
pub struct Pruned {
    /// From the grown tree (α = 0) to the root alone.
    pub sequence: Vec<Subtree>,
    /// The subtree with the lowest cross-validated error.
    pub best: usize,
    /// The 1-SE choice: the smallest subtree within one SE of the best.
    pub chosen: usize,
    /// The chosen subtree.
    pub tree: Node,
    pub folds: usize,
}

fn counts(node: &Node) -> (usize, usize) {
    match node {
        Node::Leaf { n, cases } | Node::Split { n, cases, .. } => (*n, *cases),
    }
}

/// Brier cost of a node as a leaf: Σ (y − p)² = c (n − c) / n.
fn cost(n: usize, c: usize) -> f64 {
    if n == 0 { 0.0 } else { (c * (n - c)) as f64 / n as f64 }
}

/// (cost of the subtree's leaves, number of leaves).
fn subtree_cost(node: &Node) -> (f64, usize) {
    match node {
        Node::Leaf { n, cases } => (cost(*n, *cases), 1),
        Node::Split { left, right, .. } => {
            let (a, k) = subtree_cost(left);
            let (b, m) = subtree_cost(right);
            (a + b, k + m)
        }
    }
}

/// The smallest g(t) = (R(t) − R(T_t)) / (|T_t| − 1) over internal nodes.
fn weakest(node: &Node) -> Option<f64> {
    let Node::Split {
        n, cases, left, right, ..
    } = node
    else {
        return None;
    };
    let (r, k) = subtree_cost(node);
    let g = (cost(*n, *cases) - r) / (k - 1) as f64;
    [Some(g), weakest(left), weakest(right)]
        .into_iter()
        .flatten()
        .min_by(f64::total_cmp)
}

/// Collapse every internal node whose g(t) is at most `alpha` (top-down).
fn collapse(node: &mut Node, alpha: f64) {
    if matches!(node, Node::Leaf { .. }) {
        return;
    }
    let (r, k) = subtree_cost(node);
    let (n, cases) = counts(node);
    if (cost(n, cases) - r) / (k - 1) as f64 <= alpha {
        *node = Node::Leaf { n, cases };
    } else if let Node::Split { left, right, .. } = node {
        collapse(left, alpha);
        collapse(right, alpha);
    }
}

/// Weakest-link pruning: the nested subtrees T_0 ⊃ T_1 ⊃ … ⊃ root with their
/// complexities α_0 = 0 < α_1 < … (costs in Brier units summed over experiments).
pub fn weakest_link(tree: &Node) -> Vec<(f64, Node)> {
    let mut out = vec![(0.0, tree.clone())];
    let mut cur = tree.clone();
    while let Some(g) = weakest(&cur) {
        // Ties (and rounding) collapse together, as Breiman prescribes.
        let alpha = g.max(out.last().map_or(0.0, |s| s.0));
        collapse(&mut cur, alpha + 1e-12 * alpha.abs().max(1e-300));
        out.push((alpha, cur.clone()));
    }
    out
}

/// The case share of the leaf `x` falls in.
pub fn predict(node: &Node, cols: &[Vec<f64>], i: usize) -> f64 {
    match node {
        Node::Leaf { n, cases } => *cases as f64 / (*n).max(1) as f64,
        Node::Split {
            dim,
            threshold,
            left,
            right,
            ..
        } => predict(if cols[*dim][i] <= *threshold { left } else { right }, cols, i),
    }
}

/// Grow a tree with `opts`, prune it by `folds`-fold cross-validation and
/// the 1-SE rule. Runs the folds on the current rayon pool.
pub fn prune_cv(cols: &[Vec<f64>], y: &[bool], opts: &CartOptions, folds: usize, seed: u64) -> Result<Pruned> {
    let n = y.len();
    if folds < 2 || folds > n {
        bail!("cross-validation needs between 2 and {n} folds (got {folds})");
    }
    let idx: Vec<usize> = (0..n).collect();
    let full = grow(cols, y, &idx, 0, opts);
    let seq = weakest_link(&full);
    // Breiman's representative complexities: the geometric mean of each
    // subtree's α-interval (the last one is open above).
    let beta: Vec<f64> = (0..seq.len())
        .map(|k| match seq.get(k + 1) {
            Some(next) => (seq[k].0 * next.0).sqrt(),
            None => seq[k].0,
        })
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 0, STREAM_FOLDS));
    let mut perm: Vec<usize> = (0..n).collect();
    for i in 0..n.saturating_sub(1) {
        let k = rng.random_range(i..n);
        perm.swap(i, k);
    }
    let mut fold_of = vec![0usize; n];
    for (pos, &i) in perm.iter().enumerate() {
        fold_of[i] = pos % folds;
    }
    // Per fold: each held-out experiment's squared error under each β.
    let per_fold: Vec<Vec<(usize, Vec<f64>)>> = (0..folds)
        .into_par_iter()
        .map(|v| {
            let train: Vec<usize> = (0..n).filter(|&i| fold_of[i] != v).collect();
            let tree = grow(cols, y, &train, 0, opts);
            let fseq = weakest_link(&tree);
            (0..n)
                .filter(|&i| fold_of[i] == v)
                .map(|i| {
                    let yi = f64::from(u8::from(y[i]));
                    let errs = beta
                        .iter()
                        .map(|&b| {
                            // The fold's subtree optimal at β: the last with α ≤ β.
                            let t = fseq.iter().rev().find(|s| s.0 <= b * (1.0 + 1e-12)).unwrap_or(&fseq[0]);
                            (yi - predict(&t.1, cols, i)).powi(2)
                        })
                        .collect();
                    (i, errs)
                })
                .collect()
        })
        .collect();
    let mut err = vec![Vec::new(); n];
    for (i, e) in per_fold.into_iter().flatten() {
        err[i] = e;
    }
    let nf = n as f64;
    let sequence: Vec<Subtree> = seq
        .iter()
        .enumerate()
        .map(|(k, (alpha, t))| {
            let mean = err.iter().map(|e| e[k]).sum::<f64>() / nf;
            let var = err.iter().map(|e| (e[k] - mean).powi(2)).sum::<f64>() / (nf - 1.0).max(1.0);
            let (r, leaves) = subtree_cost(t);
            Subtree {
                alpha: alpha / nf,
                leaves,
                risk: r / nf,
                cv_risk: mean,
                cv_se: (var / nf).sqrt(),
            }
        })
        .collect();
    let best = (0..sequence.len())
        .min_by(|&a, &b| sequence[a].cv_risk.total_cmp(&sequence[b].cv_risk).then(a.cmp(&b)))
        .expect("the sequence holds at least the grown tree");
    let limit = sequence[best].cv_risk + sequence[best].cv_se;
    let chosen = (0..sequence.len())
        .rev()
        .find(|&k| sequence[k].cv_risk <= limit)
        .unwrap_or(best);
    Ok(Pruned {
        tree: seq[chosen].1.clone(),
        sequence,
        best,
        chosen,
        folds,
    })
}

#[cfg(test)]
mod tests {
    use super::super::leaves;
    use super::*;
    use crate::analysis::prim::tests_support::synthetic;

    const OPTS: CartOptions = CartOptions {
        max_depth: 5,
        min_leaf: 10,
    };

    #[test]
    fn the_sequence_is_nested_and_ends_at_the_root() {
        let (cols, y) = synthetic(800, 0.1);
        let full = super::super::fit(&cols, &y, &OPTS);
        let seq = weakest_link(&full);
        assert!(seq.len() >= 3);
        for w in seq.windows(2) {
            assert!(w[1].0 > w[0].0, "α must increase");
            assert!(subtree_cost(&w[1].1).1 < subtree_cost(&w[0].1).1);
            assert!(subtree_cost(&w[1].1).0 >= subtree_cost(&w[0].1).0 - 1e-9);
        }
        assert!(matches!(seq.last().unwrap().1, Node::Leaf { n: 800, .. }));
    }

    #[test]
    fn pruning_keeps_the_true_splits_of_a_known_box() {
        let (cols, y) = synthetic(2000, 0.05);
        let p = prune_cv(&cols, &y, &OPTS, 10, 1).unwrap();
        let grown = p.sequence[0].leaves;
        let kept = p.sequence[p.chosen].leaves;
        assert!(kept < grown, "pruning should remove noise splits: {kept} of {grown}");
        let ls = leaves(&p.tree);
        let best = ls.iter().max_by(|a, b| a.density().total_cmp(&b.density())).unwrap();
        let dims: Vec<usize> = best.bounds.iter().map(|b| b.0).collect();
        assert_eq!(dims, vec![0, 2], "{best:?}");
        assert!((best.bounds[0].2 - 0.3).abs() < 0.03 && (best.bounds[1].1 - 0.6).abs() < 0.03);
        assert!(best.density() > 0.85, "{best:?}");
        // Every split of the pruned tree is on a true dimension.
        fn dims_of(node: &Node, out: &mut Vec<usize>) {
            if let Node::Split { dim, left, right, .. } = node {
                out.push(*dim);
                dims_of(left, out);
                dims_of(right, out);
            }
        }
        let mut used = Vec::new();
        dims_of(&p.tree, &mut used);
        assert!(used.iter().all(|&d| d == 0 || d == 2), "{used:?}");
        // The CV error of the chosen tree is far below the root's.
        let root = p.sequence.last().unwrap();
        assert!(p.sequence[p.chosen].cv_risk < 0.5 * root.cv_risk, "{:?}", p.sequence);
    }

    #[test]
    fn pruning_removes_every_split_on_pure_noise() {
        let (all, _) = synthetic(1500, 0.0);
        // Cases depend only on a column the tree does not see.
        let y: Vec<bool> = all[1].iter().map(|&v| v < 0.3).collect();
        let cols = vec![all[0].clone(), all[2].clone(), all[3].clone()];
        let p = prune_cv(&cols, &y, &OPTS, 10, 4).unwrap();
        assert!(p.sequence[0].leaves > 4, "the grown tree fits noise");
        assert_eq!(p.sequence[p.chosen].leaves, 1, "{:?}", p.sequence);
        assert!(matches!(p.tree, Node::Leaf { n: 1500, .. }));
    }

    #[test]
    fn same_seed_same_result_at_any_thread_count() {
        let (cols, y) = synthetic(700, 0.1);
        let run = |threads: usize, seed: u64| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| prune_cv(&cols, &y, &OPTS, 5, seed).unwrap())
        };
        let (a, b) = (run(1, 2), run(2, 2));
        assert_eq!(a.sequence, b.sequence);
        assert_eq!(a.chosen, b.chosen);
        let c = run(2, 3);
        assert_ne!(a.sequence, c.sequence, "another seed gives other folds");
        assert!(prune_cv(&cols, &y, &OPTS, 1, 2).is_err());
    }
}
