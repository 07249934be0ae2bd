//! Votes, coalitions and the Probabilistic Condorcet Election (PCE).
//!
//! The PCE is the one piece of machinery SMP uses three times per turn: to infer risk attitudes (over all actor
//! positions), to let every actor choose among its bargains, and to report how likely each position is to prevail.
//! Voters rate options by utility; every pair of options (a, b) gathers a coalition of the voters who prefer a,
//! weighted by how much they prefer it; coalition strengths give the probability that a beats b; and those pairwise
//! probabilities combine into one distribution over the options.

use super::options::{PceModel, SmpOptions, VictoryProbModel, VotingRule};

/// Floor on coalition strength in the PCE (KTAB's `pTol`): keeps every victory probability defined.
pub const COALITION_FLOOR: f64 = 1e-8;

/// A voter's vote for `a` over `b` given its weight and its utilities for the two options
/// (`Model::vote` in KTAB). Positive means support for `a`.
pub fn vote(rule: VotingRule, weight: f64, u_a: f64, u_b: f64) -> f64 {
    let du = u_a - u_b;
    let binary = || (du / 1e-8).clamp(-1.0, 1.0);
    match rule {
        VotingRule::Binary => weight * binary(),
        VotingRule::PropBin => weight * (0.8 * du + 0.2 * binary()),
        VotingRule::Prop => weight * du,
        VotingRule::PropCbc => weight * (0.5 * du + 0.5 * du * du * du),
        VotingRule::Cubic => weight * du * du * du,
        VotingRule::ASymProsp => {
            if du < 0.0 {
                weight * du
            } else {
                weight * du * 2.0 / 3.0
            }
        }
    }
}

/// Probability that the option backed by coalition strength `c_ab` beats the one backed by `c_ba`.
pub fn victory_prob(model: VictoryProbModel, c_ab: f64, c_ba: f64) -> f64 {
    let power = |n: i32| {
        let (x, y) = (c_ab.powi(n), c_ba.powi(n));
        x / (x + y)
    };
    match model {
        VictoryProbModel::Linear => c_ab / (c_ab + c_ba),
        VictoryProbModel::Square => power(2),
        VictoryProbModel::Quartic => power(4),
        VictoryProbModel::Octic => power(8),
        VictoryProbModel::Binary => {
            // A ratio of 1.1 or more is a sure win, 1/1.1 or less a sure loss; linear in the ratio from an even
            // contest at 1 up to the threshold, mirrored below 1 so that V(a,b) + V(b,a) = 1.
            const THRESHOLD: f64 = 1.1;
            let above = |r: f64| (0.5 + 0.5 * (r - 1.0) / (THRESHOLD - 1.0)).min(1.0);
            if c_ab >= c_ba {
                above(c_ab / c_ba)
            } else {
                1.0 - above(c_ba / c_ab)
            }
        }
    }
}

/// A utility table: `voters × options`, row-major, so `util[k * options + a]` is voter k's utility for option a.
#[derive(Debug, Clone, Copy)]
pub struct Ballot<'a> {
    pub options: usize,
    pub util: &'a [f64],
    pub weights: &'a [f64],
}

/// Coalition strengths `C(a:b) = floor + Σ_k max(v_k(a:b), 0)`, `options × options` row-major.
/// The diagonal is not meaningful (every rule votes 0 between an option and itself); the PCE never reads it.
pub fn coalitions(rule: VotingRule, ballot: &Ballot) -> Vec<f64> {
    let mut c = Vec::new();
    coalitions_into(rule, ballot, &mut c);
    c
}

/// [`coalitions`] into a caller's buffer (its allocation is reused: the in-trial bargaining runs this thousands of
/// times per trial).
pub fn coalitions_into(rule: VotingRule, ballot: &Ballot, c: &mut Vec<f64>) {
    // The proportional rule gets its own copy of the loop: with no per-vote branch on the rule, the inner loop
    // vectorises, and this is one of the model's two O(n³) hot spots.
    match rule {
        VotingRule::Prop => coalitions_with(ballot, c, |w, a, b| w * (a - b)),
        other => coalitions_with(ballot, c, move |w, a, b| vote(other, w, a, b)),
    }
}

#[inline(always)]
fn coalitions_with(ballot: &Ballot, c: &mut Vec<f64>, vote: impl Fn(f64, f64, f64) -> f64) {
    let m = ballot.options;
    c.clear();
    c.resize(m * m, COALITION_FLOOR);
    for (k, &w) in ballot.weights.iter().enumerate() {
        let u = &ballot.util[k * m..(k + 1) * m];
        for (a, row) in c.chunks_exact_mut(m).enumerate() {
            let ua = u[a];
            // Adding max(v, 0) is exactly "add v if positive": the sums start positive, so adding 0 changes nothing.
            for (cab, &ub) in row.iter_mut().zip(u) {
                *cab += vote(w, ua, ub).max(0.0);
            }
        }
    }
}

/// Pairwise victory probabilities `V(a,b)` with `V(a,a) = 1/2`, `options × options` row-major.
pub fn victory_matrix(model: VictoryProbModel, coalitions: &[f64], m: usize) -> Vec<f64> {
    let mut v = Vec::new();
    victory_matrix_into(model, coalitions, m, &mut v);
    v
}

/// [`victory_matrix`] into a caller's buffer.
pub fn victory_matrix_into(model: VictoryProbModel, coalitions: &[f64], m: usize, v: &mut Vec<f64>) {
    v.clear();
    v.resize(m * m, 0.5);
    for a in 0..m {
        for b in 0..m {
            if a != b {
                v[a * m + b] = victory_prob(model, coalitions[a * m + b], coalitions[b * m + a]);
            }
        }
    }
}

/// The coalition and victory matrices of a PCE, kept between calls so that a caller running many small elections
/// (the in-trial bargaining: several per step, dozens of steps per trial) allocates nothing once they have grown.
#[derive(Debug, Clone, Default)]
pub struct PceScratch {
    coalitions: Vec<f64>,
    victory: Vec<f64>,
}

impl PceScratch {
    /// Buffers for elections of up to `options` options that never grow.
    pub fn with_capacity(options: usize) -> PceScratch {
        PceScratch {
            coalitions: Vec::with_capacity(options * options),
            victory: Vec::with_capacity(options * options),
        }
    }
}

/// The distribution over a ballot's options under the given options (vote rule, victory model, PCE model).
/// Always sums to 1 (up to rounding) and has one entry per option.
pub fn pce(opts: &SmpOptions, ballot: &Ballot) -> Vec<f64> {
    let mut out = Vec::new();
    pce_into(opts, ballot, &mut PceScratch::default(), &mut out);
    out
}

/// [`pce`] into `out`, with the intermediate matrices in `scratch`: the same arithmetic in the same order, so the
/// result is bit-identical. Allocation-free once the buffers have grown, for the conditional PCE (KTAB's default and
/// the scenario's); the Markov forms still allocate their iterates.
pub fn pce_into(opts: &SmpOptions, ballot: &Ballot, scratch: &mut PceScratch, out: &mut Vec<f64>) {
    let m = ballot.options;
    out.clear();
    if m == 1 {
        out.push(1.0);
        return;
    }
    let PceScratch {
        coalitions: c,
        victory: v,
    } = scratch;
    coalitions_into(opts.voting_rule, ballot, c);
    victory_matrix_into(opts.victory_prob, c, m, v);
    match opts.pce {
        PceModel::Conditional => conditional_into(v, m, out),
        PceModel::MarkovUniform => out.extend(markov_uniform(v, m)),
        PceModel::MarkovIncentive => out.extend(markov_incentive(c, v, m)),
    }
}

/// Conditional PCE: `P(a) ∝ Π_b V(a,b)`.
///
/// The product is taken directly, as KTAB does, so results match it to the last bits. Two cases need more care:
/// with hundreds of options the products can underflow, and with the Binary victory model some `V(a,b)` are exactly
/// 0, possibly for every option (a cycle of certain defeats), where KTAB would divide 0 by 0. Both are handled as
/// the limit of the same formula: a zero factor is an infinitesimal ε, so the options with the fewest certain
/// defeats share the probability in proportion to the product of their other factors, computed in log space.
pub fn conditional(v: &[f64], m: usize) -> Vec<f64> {
    let mut p = Vec::new();
    conditional_into(v, m, &mut p);
    p
}

/// [`conditional`] into `p` (allocation-free unless the products underflow).
pub fn conditional_into(v: &[f64], m: usize, p: &mut Vec<f64>) {
    p.clear();
    p.extend((0..m).map(|a| v[a * m..(a + 1) * m].iter().product::<f64>()));
    let total: f64 = p.iter().sum();
    let max = p.iter().cloned().fold(0.0, f64::max);
    if max > 1e-250 && total.is_finite() {
        p.iter_mut().for_each(|x| *x /= total);
        return;
    }
    // (number of zero factors, sum of the logs of the others) per option.
    let scores: Vec<(usize, f64)> = (0..m)
        .map(|a| {
            let row = &v[a * m..(a + 1) * m];
            let zeros = row.iter().filter(|&&x| x <= 0.0).count();
            let logs = row.iter().filter(|&&x| x > 0.0).map(|x| x.ln()).sum();
            (zeros, logs)
        })
        .collect();
    let fewest = scores.iter().map(|s| s.0).min().unwrap_or(0);
    let top = scores
        .iter()
        .filter(|s| s.0 == fewest)
        .map(|s| s.1)
        .fold(f64::NEG_INFINITY, f64::max);
    p.clear();
    p.extend(
        scores
            .iter()
            .map(|&(zeros, logs)| if zeros == fewest { (logs - top).exp() } else { 0.0 }),
    );
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= total);
}

const MAX_MARKOV_ITERATIONS: usize = 100_000;

fn normalise(p: &mut [f64]) {
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= total);
}

/// Markov PCE with uniform challengers: iterate `q_a = (1/M) Σ_b V(a,b)(p_a + p_b)`, `p ← (p+q)/2`
/// from the uniform distribution until `max|q − p| < 1e-6`.
pub fn markov_uniform(v: &[f64], m: usize) -> Vec<f64> {
    let mut p = vec![1.0 / m as f64; m];
    for _ in 0..MAX_MARKOV_ITERATIONS {
        let q: Vec<f64> = (0..m)
            .map(|a| (0..m).map(|b| v[a * m + b] * (p[a] + p[b])).sum::<f64>() / m as f64)
            .collect();
        let change = p.iter().zip(&q).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        p.iter_mut().zip(&q).for_each(|(x, y)| *x = (*x + y) / 2.0);
        if change < 1e-6 {
            break;
        }
    }
    normalise(&mut p);
    p
}

/// Markov PCE where a challenge a→b is chosen in proportion to the incentive `n(a→b) = C(a:b)·V(a,b)`
/// (plus 1e-10 on the diagonal so every column has mass); tolerance 1e-8.
pub fn markov_incentive(c: &[f64], v: &[f64], m: usize) -> Vec<f64> {
    let mut n = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..m {
            n[a * m + b] = c[a * m + b] * v[a * m + b] + if a == b { 1e-10 } else { 0.0 };
        }
    }
    // pi[a * m + b] = π(a→b) = n(a→b) / Σ_k n(k→b)
    let mut pi = n.clone();
    for b in 0..m {
        let col: f64 = (0..m).map(|k| n[k * m + b]).sum();
        for a in 0..m {
            pi[a * m + b] /= col;
        }
    }
    let mut p = vec![1.0 / m as f64; m];
    for _ in 0..MAX_MARKOV_ITERATIONS {
        let q: Vec<f64> = (0..m)
            .map(|a| {
                (0..m)
                    .map(|b| v[a * m + b] * (p[a] * pi[b * m + a] + p[b] * pi[a * m + b]))
                    .sum()
            })
            .collect();
        let change = p.iter().zip(&q).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        p.iter_mut().zip(&q).for_each(|(x, y)| *x = (*x + y) / 2.0);
        if change < 1e-8 {
            break;
        }
    }
    normalise(&mut p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_options_split_evenly() {
        let util = [0.5, 0.5, 0.2, 0.2];
        let ballot = Ballot {
            options: 2,
            util: &util,
            weights: &[1.0, 3.0],
        };
        for pce_model in [
            PceModel::Conditional,
            PceModel::MarkovUniform,
            PceModel::MarkovIncentive,
        ] {
            let opts = SmpOptions {
                pce: pce_model,
                ..SmpOptions::default()
            };
            let p = pce(&opts, &ballot);
            assert!(
                (p[0] - 0.5).abs() < 1e-9 && (p[1] - 0.5).abs() < 1e-9,
                "{pce_model:?}: {p:?}"
            );
        }
    }

    #[test]
    fn stronger_coalition_wins_more_often() {
        // Voter 0 (weight 3) prefers option 0; voter 1 (weight 1) prefers option 1.
        let util = [1.0, 0.0, 0.0, 1.0];
        let ballot = Ballot {
            options: 2,
            util: &util,
            weights: &[3.0, 1.0],
        };
        let p = pce(&SmpOptions::default(), &ballot);
        // V(0,1) = (3 + 1e-8) / (4 + 2e-8); conditional: P ∝ V(0,1)·½ vs V(1,0)·½.
        assert!((p[0] - 0.75).abs() < 1e-8, "{p:?}");
        let sq = SmpOptions {
            victory_prob: VictoryProbModel::Square,
            ..SmpOptions::default()
        };
        assert!((pce(&sq, &ballot)[0] - 0.9).abs() < 1e-8);
    }

    #[test]
    fn binary_victory_is_certain_past_threshold() {
        assert_eq!(victory_prob(VictoryProbModel::Binary, 1.2, 1.0), 1.0);
        assert_eq!(victory_prob(VictoryProbModel::Binary, 1.0, 1.2), 0.0);
        assert!((victory_prob(VictoryProbModel::Binary, 1.05, 1.0) - 0.75).abs() < 1e-12);
        assert_eq!(victory_prob(VictoryProbModel::Binary, 1.0, 1.0), 0.5);
    }

    #[test]
    fn conditional_survives_underflow() {
        // 1200 options where option 0 beats everyone with 0.6 and all others are even: the raw products underflow.
        let m = 1200;
        let mut v = vec![0.5; m * m];
        for b in 1..m {
            v[b] = 0.6;
            v[b * m] = 0.4;
        }
        let p = conditional(&v, m);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > 0.999, "{}", p[0]);
    }

    #[test]
    fn conditional_survives_a_cycle_of_certain_defeats() {
        // Rock-paper-scissors with certain outcomes: every product is 0. Symmetric, so uniform.
        let v = [0.5, 1.0, 0.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.5];
        let p = conditional(&v, 3);
        assert!(p.iter().all(|x| (x - 1.0 / 3.0).abs() < 1e-12), "{p:?}");
        // A certain cycle 0 > 1 > 2 > 0, and option 3 certainly beaten by 0 only: every option has one certain
        // defeat, so they share the probability in proportion to their other factors.
        #[rustfmt::skip]
        let v = [
            0.5, 1.0, 0.0, 1.0,
            0.0, 0.5, 1.0, 0.8,
            1.0, 0.0, 0.5, 0.6,
            0.0, 0.2, 0.4, 0.5,
        ];
        let p = conditional(&v, 4);
        let expected = [0.5, 0.4, 0.3, 0.04].map(|x| x / 1.24);
        for (a, b) in p.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{p:?}");
        }
        // An option with more certain defeats than the others gets nothing.
        let v = [0.5, 1.0, 0.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.5];
        let mut v4 = vec![0.5; 16];
        for a in 0..3 {
            for b in 0..3 {
                v4[a * 4 + b] = v[a * 3 + b];
            }
            v4[a * 4 + 3] = 1.0;
            v4[3 * 4 + a] = 0.0;
        }
        let p = conditional(&v4, 4);
        assert_eq!(p[3], 0.0);
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn vote_rules() {
        assert_eq!(vote(VotingRule::Prop, 2.0, 0.75, 0.25), 1.0);
        assert_eq!(vote(VotingRule::Binary, 2.0, 0.75, 0.25), 2.0);
        assert_eq!(vote(VotingRule::Cubic, 2.0, 0.75, 0.25), 0.25);
        assert!((vote(VotingRule::ASymProsp, 3.0, 0.75, 0.25) - 1.0).abs() < 1e-15);
        assert_eq!(vote(VotingRule::ASymProsp, 3.0, 0.25, 0.75), -1.5);
        assert!((vote(VotingRule::PropBin, 1.0, 0.75, 0.25) - 0.6).abs() < 1e-15);
        assert!((vote(VotingRule::PropCbc, 1.0, 0.75, 0.25) - 0.3125).abs() < 1e-15);
    }
}
