//! CART, the alternative to PRIM for scenario discovery: a small
//! classification tree (Gini impurity, binary splits at midpoints between
//! data values, depth limit, minimum leaf size). Each leaf is a box; the
//! leaves where cases dominate are reported as rules. A tree partitions the
//! space (every experiment falls in one leaf) where PRIM finds one box, so
//! CART tends to give more, smaller boxes. The grown tree is pruned back by
//! cross-validation ([`prune`]) so that leaves reflect structure, not noise.

use super::prim::short;

pub mod prune;

#[derive(Debug, Clone, Copy)]
pub struct CartOptions {
    pub max_depth: usize,
    /// Smallest leaf, in experiments.
    pub min_leaf: usize,
}

#[derive(Debug, Clone)]
pub enum Node {
    Leaf {
        n: usize,
        cases: usize,
    },
    Split {
        dim: usize,
        threshold: f64,
        /// Experiments with x[dim] <= threshold.
        left: Box<Node>,
        right: Box<Node>,
        n: usize,
        cases: usize,
    },
}

/// A leaf as a box: (dimension, lower bound (exclusive), upper bound (inclusive)).
#[derive(Debug, Clone)]
pub struct Leaf {
    pub bounds: Vec<(usize, f64, f64)>,
    pub n: usize,
    pub cases: usize,
}

impl Leaf {
    pub fn density(&self) -> f64 {
        self.cases as f64 / self.n.max(1) as f64
    }

    pub fn rules(&self, names: &[String]) -> String {
        if self.bounds.is_empty() {
            return "(no restriction: every experiment)".into();
        }
        self.bounds
            .iter()
            .map(|&(j, lo, hi)| match (lo.is_finite(), hi.is_finite()) {
                (true, true) => format!("{} < {} <= {}", short(lo), names[j], short(hi)),
                (true, false) => format!("{} > {}", names[j], short(lo)),
                _ => format!("{} <= {}", names[j], short(hi)),
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

fn gini(n: usize, c: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let p = c as f64 / n as f64;
    2.0 * p * (1.0 - p) * n as f64
}

/// Grow a tree on `cols` (one vector per dimension) and case flags `y`.
pub fn fit(cols: &[Vec<f64>], y: &[bool], opts: &CartOptions) -> Node {
    let idx: Vec<usize> = (0..y.len()).collect();
    grow(cols, y, &idx, 0, opts)
}

fn grow(cols: &[Vec<f64>], y: &[bool], idx: &[usize], depth: usize, opts: &CartOptions) -> Node {
    let n = idx.len();
    let cases = idx.iter().filter(|&&i| y[i]).count();
    let min_leaf = opts.min_leaf.max(1);
    if depth >= opts.max_depth || cases == 0 || cases == n || n < 2 * min_leaf {
        return Node::Leaf { n, cases };
    }
    let parent = gini(n, cases);
    // Best split: (impurity, dim, threshold).
    let mut best: Option<(f64, usize, f64)> = None;
    for (j, col) in cols.iter().enumerate() {
        let mut order: Vec<usize> = idx.to_vec();
        order.sort_by(|&a, &b| col[a].total_cmp(&col[b]));
        let mut left_c = 0;
        for k in 0..n - 1 {
            left_c += usize::from(y[order[k]]);
            let left_n = k + 1;
            if left_n < min_leaf || n - left_n < min_leaf || col[order[k]] == col[order[k + 1]] {
                continue;
            }
            let imp = gini(left_n, left_c) + gini(n - left_n, cases - left_c);
            if imp < parent - 1e-12 && best.is_none_or(|b| imp < b.0) {
                best = Some((imp, j, 0.5 * (col[order[k]] + col[order[k + 1]])));
            }
        }
    }
    let Some((_, dim, threshold)) = best else {
        return Node::Leaf { n, cases };
    };
    let (l, r): (Vec<usize>, Vec<usize>) = idx.iter().partition(|&&i| cols[dim][i] <= threshold);
    Node::Split {
        dim,
        threshold,
        left: Box::new(grow(cols, y, &l, depth + 1, opts)),
        right: Box::new(grow(cols, y, &r, depth + 1, opts)),
        n,
        cases,
    }
}

/// Every leaf with its bounds, left to right.
pub fn leaves(node: &Node) -> Vec<Leaf> {
    let mut out = Vec::new();
    walk(node, &mut Vec::new(), &mut out);
    out
}

fn walk(node: &Node, path: &mut Vec<(usize, f64, f64)>, out: &mut Vec<Leaf>) {
    match node {
        Node::Leaf { n, cases } => {
            // Merge the path's conditions into one interval per dimension.
            let mut bounds: Vec<(usize, f64, f64)> = Vec::new();
            for &(j, lo, hi) in path.iter() {
                match bounds.iter_mut().find(|b| b.0 == j) {
                    Some(b) => {
                        b.1 = b.1.max(lo);
                        b.2 = b.2.min(hi);
                    }
                    None => bounds.push((j, lo, hi)),
                }
            }
            bounds.sort_by_key(|b| b.0);
            out.push(Leaf {
                bounds,
                n: *n,
                cases: *cases,
            });
        }
        Node::Split {
            dim,
            threshold,
            left,
            right,
            ..
        } => {
            path.push((*dim, f64::NEG_INFINITY, *threshold));
            walk(left, path, out);
            path.pop();
            path.push((*dim, *threshold, f64::INFINITY));
            walk(right, path, out);
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_known_box() {
        let (cols, y) = crate::analysis::prim::tests_support::synthetic(3000, 0.0);
        let tree = fit(
            &cols,
            &y,
            &CartOptions {
                max_depth: 2,
                min_leaf: 30,
            },
        );
        let leaves = leaves(&tree);
        let total: usize = leaves.iter().map(|l| l.n).sum();
        assert_eq!(total, 3000);
        let best = leaves
            .iter()
            .max_by(|a, b| a.density().total_cmp(&b.density()))
            .unwrap();
        assert!(best.density() > 0.99, "{best:?}");
        let dims: Vec<usize> = best.bounds.iter().map(|b| b.0).collect();
        assert_eq!(dims, vec![0, 2]);
        assert!((best.bounds[0].2 - 0.3).abs() < 0.01 && (best.bounds[1].1 - 0.6).abs() < 0.01);
        let names: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
        assert!(best.rules(&names).contains("x0 <= 0.") && best.rules(&names).contains("x2 > 0."));
    }
}
