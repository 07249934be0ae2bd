//! Robustness across uncertainty: regret and satisficing (the measures of
//! RAND's robust decision making and the EMA Workbench).
//!
//! Each trial is one "state of the world" (a draw of every uncertainty and of
//! the luck of every turn), seen under every policy. In each trial:
//!
//! * **Regret on an outcome** is the gap between the best value any compared
//!   policy reached on it in that trial and this policy's value, oriented so
//!   that the gap is ≥ 0 in the US's favour (`Maximize`: best − own;
//!   `Minimize`: own − best). In the outcome's unit.
//! * **Overall regret** combines the `Maximize`/`Minimize` outcomes: each is
//!   put on a common scale by dividing by its pooled standard deviation (over
//!   all compared policies and the first trials of the run, see
//!   [`scales_from`]), oriented so higher is better, and averaged into a
//!   per-trial score with the user's weights (`--weights`, equal by default;
//!   see [`parse_weights`]); overall regret is the best policy's score in that
//!   trial minus this policy's. Unit: standard deviations. Weights are a
//!   choice, not a finding — they are stated in every report. Outcomes with
//!   zero spread or weight 0 and `Info` outcomes are left out.
//! * **Satisficing** is the share of trials in which a policy meets every
//!   threshold the user set (`--satisfice "outcome<=x,…"`).
//!
//! A policy is robust if its mean and 90th-percentile regret are low (it is
//! rarely far from the best choice, whatever the world turned out to be) or
//! if it meets the thresholds in many worlds.

use super::paired::orientation;
use super::sketch::Sketch;
use super::stats::Moments;
use crate::model::Model;
use crate::scenario::diagnostics::closest;
use anyhow::{Result, bail};
use serde::Serialize;

/// Comparison in a satisficing threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
}

impl Op {
    fn holds(self, x: f64, v: f64) -> bool {
        match self {
            Op::Le => x <= v,
            Op::Lt => x < v,
            Op::Ge => x >= v,
            Op::Gt => x > v,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

/// One satisficing threshold, e.g. `isisk_attacks_afghanistan<=1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    #[serde(skip)]
    pub outcome: usize,
    pub id: String,
    pub op: Op,
    pub value: f64,
}

impl Threshold {
    pub fn text(&self) -> String {
        format!("{}{}{}", self.id, self.op.symbol(), self.value)
    }
}

/// Parse `--satisfice "a<=20,b>=0.9"`: comma-separated `outcome OP number`
/// with OP one of `<=`, `<`, `>=`, `>`. Every problem is an error naming the
/// clause (and the closest outcome id for a typo); nothing is skipped.
pub fn parse_satisfice(model: &Model, text: &str) -> Result<Vec<Threshold>> {
    let mut out = Vec::new();
    if text.trim().is_empty() {
        bail!("--satisfice is empty; write thresholds like \"isisk_attacks_afghanistan<=1,gdp_index_2030>=0.85\"");
    }
    for (k, clause) in text.split(',').enumerate() {
        let c = clause.trim();
        let where_ = format!("--satisfice clause {} (`{c}`)", k + 1);
        if c.is_empty() {
            bail!("{where_} is empty; separate thresholds with single commas");
        }
        let Some(pos) = c.find(['<', '>']) else {
            bail!("{where_} has no comparison; write `outcome<=number` or `outcome>=number` (also < and >)");
        };
        let (name, rest) = c.split_at(pos);
        let (op, num) = if let Some(r) = rest.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = rest.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = rest.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = rest.strip_prefix('>') {
            (Op::Gt, r)
        } else {
            unreachable!("find matched < or >")
        };
        let name = name.trim();
        if name.ends_with(['=', '!']) {
            bail!(
                "{where_}: `=>`, `=<` and `!` are not comparisons; write `>=`, `<=`, `>` or `<` (e.g. `gdp_index_2030>=0.9`)"
            );
        }
        if name.is_empty() {
            bail!("{where_} names no outcome before `{}`", op.symbol());
        }
        let o = outcome_named(model, name, &where_, "--satisfice")?;
        let value: f64 = match num.trim().parse() {
            Ok(v) if f64::is_finite(v) => v,
            _ => bail!("{where_}: `{}` is not a finite number", num.trim()),
        };
        out.push(Threshold {
            outcome: o,
            id: name.to_string(),
            op,
            value,
        });
    }
    Ok(out)
}

/// The outcome called `name`, or an error for `where_` with the likeliest
/// fixes: every outcome containing a shortened id ("isisk_attacks" fits
/// several), else the closest spelling, else the full list.
fn outcome_named(model: &Model, name: &str, where_: &str, flag: &str) -> Result<usize> {
    if let Some(o) = model.outcomes.iter().position(|x| x.id == name) {
        return Ok(o);
    }
    let ids: Vec<String> = model.outcomes.iter().map(|o| o.id.clone()).collect();
    let containing: Vec<String> = ids
        .iter()
        .filter(|i| i.contains(name))
        .map(|i| format!("`{i}`"))
        .collect();
    let hint = if (2..=6).contains(&containing.len()) {
        format!("did you mean one of {}?", containing.join(", "))
    } else {
        closest(name, &ids)
            .map(|c| format!("did you mean `{c}`?"))
            .or_else(|| containing.first().map(|c| format!("did you mean {c}?")))
            .unwrap_or_else(|| format!("outcomes: {}", ids.join(", ")))
    };
    bail!("{where_}: unknown outcome `{name}` in {flag}; {hint} (`greatgame list` shows every outcome)")
}

/// Parse `--weights "gdp_index_2030=3,women_rights_index=2"`: the weight of
/// each named outcome in overall regret; every other outcome with a better
/// direction keeps weight 1, and weight 0 leaves an outcome out. Returns one
/// weight per model outcome. Weights are relative (only their ratios matter),
/// so they must be finite, non-negative, and not all zero; `Info` outcomes
/// have no better direction and cannot be weighted.
pub fn parse_weights(model: &Model, text: &str) -> Result<Vec<f64>> {
    let mut w = vec![1.0; model.outcomes.len()];
    let mut named = vec![false; model.outcomes.len()];
    if text.trim().is_empty() {
        bail!("--weights is empty; write weights like \"gdp_index_2030=3,women_rights_index=2\" (others keep 1)");
    }
    for (k, clause) in text.split(',').enumerate() {
        let c = clause.trim();
        let where_ = format!("--weights clause {} (`{c}`)", k + 1);
        let Some((name, num)) = c.split_once('=') else {
            bail!("{where_} is not `outcome=weight`; write e.g. `gdp_index_2030=3`");
        };
        let name = name.trim();
        if name.is_empty() {
            bail!("{where_} names no outcome before `=`");
        }
        let o = outcome_named(model, name, &where_, "--weights")?;
        if orientation(model.outcomes[o].kind).is_none() {
            bail!(
                "{where_}: `{name}` is an information outcome with no better direction, so it is not part of \
                 overall regret; weight outcomes marked Maximize or Minimize (`greatgame list`)"
            );
        }
        if named[o] {
            bail!("{where_}: `{name}` is weighted twice; give each outcome one weight");
        }
        named[o] = true;
        w[o] = match num.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => bail!("{where_}: `{}` is not a weight; use a finite number >= 0", num.trim()),
        };
    }
    let any = model
        .outcomes
        .iter()
        .zip(&w)
        .any(|(o, &x)| x > 0.0 && orientation(o.kind).is_some());
    if !any {
        bail!("--weights gives every outcome weight 0; at least one outcome must count in overall regret");
    }
    Ok(w)
}

/// Pooled standard deviation of each outcome over every value given
/// (`values[trial][slot * n_outcomes + o]`, flattened trial-major), used to put
/// the outcomes of overall regret on one scale. `None` for `Info` outcomes
/// and outcomes with no spread.
pub fn scales_from(model: &Model, values: &[f64]) -> Vec<Option<f64>> {
    let no = model.outcomes.len();
    let mut m = vec![Moments::default(); no];
    for row in values.chunks_exact(no) {
        for (acc, x) in m.iter_mut().zip(row) {
            acc.push(*x);
        }
    }
    model
        .outcomes
        .iter()
        .zip(&m)
        .map(|(o, mo)| {
            let sd = mo.sd();
            (orientation(o.kind).is_some() && sd > 0.0 && sd.is_finite()).then_some(sd)
        })
        .collect()
}

/// Streaming regret and satisficing accumulators for every compared policy.
#[derive(Debug, Clone)]
pub struct RobustAcc {
    np: usize,
    no: usize,
    orient: Vec<Option<f64>>,
    /// Weight of each outcome in overall regret (see [`parse_weights`]).
    weights: Vec<f64>,
    thresholds: Vec<Threshold>,
    /// `[slot * no + o]`
    regret_o: Vec<Moments>,
    regret_o_sketch: Vec<Sketch>,
    /// `[slot]`
    regret: Vec<Moments>,
    regret_sketch: Vec<Sketch>,
    /// Trials in which the slot has the best overall score (ties count for each).
    best: Vec<u64>,
    /// `[slot]` trials meeting every threshold; `[slot * nt + t]` each threshold.
    sat_all: Vec<u64>,
    sat_each: Vec<u64>,
    trials: u64,
    score: Vec<f64>,
}

impl RobustAcc {
    /// `weights`: one per outcome (see [`parse_weights`]); empty means equal.
    pub fn new(model: &Model, np: usize, thresholds: &[Threshold], weights: &[f64]) -> Self {
        let no = model.outcomes.len();
        assert!(weights.is_empty() || weights.len() == no, "one weight per outcome");
        RobustAcc {
            np,
            no,
            orient: model.outcomes.iter().map(|o| orientation(o.kind)).collect(),
            weights: if weights.is_empty() {
                vec![1.0; no]
            } else {
                weights.to_vec()
            },
            thresholds: thresholds.to_vec(),
            regret_o: vec![Moments::default(); np * no],
            regret_o_sketch: vec![Sketch::new(); np * no],
            regret: vec![Moments::default(); np],
            regret_sketch: vec![Sketch::new(); np],
            best: vec![0; np],
            sat_all: vec![0; np],
            sat_each: vec![0; np * thresholds.len()],
            trials: 0,
            score: vec![0.0; np],
        }
    }

    /// Per-outcome regret and satisficing of one trial (`values[slot * no + o]`).
    pub fn push_outcomes(&mut self, values: &[f64]) {
        let (np, no) = (self.np, self.no);
        self.trials += 1;
        for o in 0..no {
            let Some(s) = self.orient[o] else { continue };
            let best = (0..np)
                .map(|p| s * values[p * no + o])
                .filter(|x| x.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            if !best.is_finite() {
                continue;
            }
            for p in 0..np {
                let r = best - s * values[p * no + o];
                if r.is_finite() {
                    self.regret_o[p * no + o].push(r);
                    self.regret_o_sketch[p * no + o].insert(r);
                }
            }
        }
        let nt = self.thresholds.len();
        if nt > 0 {
            for p in 0..np {
                let mut all = true;
                for (t, th) in self.thresholds.iter().enumerate() {
                    let ok = th.op.holds(values[p * no + th.outcome], th.value);
                    if ok {
                        self.sat_each[p * nt + t] += 1;
                    }
                    all &= ok;
                }
                if all {
                    self.sat_all[p] += 1;
                }
            }
        }
    }

    /// Overall regret of one trial, given the outcome scales (see [`scales_from`]).
    ///
    /// Returns the trial's overall score per slot (higher is better; regret is the best score minus
    /// it), or `None` when no weighted outcome has a scale.
    pub fn push_overall(&mut self, values: &[f64], scales: &[Option<f64>]) -> Option<&[f64]> {
        let (np, no) = (self.np, self.no);
        let total: f64 = (0..no)
            .filter(|&o| scales[o].is_some() && self.orient[o].is_some())
            .map(|o| self.weights[o])
            .sum();
        if total <= 0.0 {
            return None;
        }
        for p in 0..np {
            let mut sc = 0.0;
            for o in 0..no {
                if let (Some(sd), Some(s)) = (scales[o], self.orient[o]) {
                    let x = values[p * no + o];
                    if x.is_finite() && self.weights[o] > 0.0 {
                        sc += self.weights[o] * s * x / sd;
                    }
                }
            }
            self.score[p] = sc / total;
        }
        let best = self.score.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for p in 0..np {
            let r = best - self.score[p];
            self.regret[p].push(r);
            self.regret_sketch[p].insert(r);
            if r == 0.0 {
                self.best[p] += 1;
            }
        }
        Some(&self.score)
    }

    pub fn merge(&mut self, o: &RobustAcc) {
        for (a, b) in self.regret_o.iter_mut().zip(&o.regret_o) {
            a.merge(b);
        }
        for (a, b) in self.regret_o_sketch.iter_mut().zip(&o.regret_o_sketch) {
            a.merge(b);
        }
        for (a, b) in self.regret.iter_mut().zip(&o.regret) {
            a.merge(b);
        }
        for (a, b) in self.regret_sketch.iter_mut().zip(&o.regret_sketch) {
            a.merge(b);
        }
        for (a, b) in self.best.iter_mut().zip(&o.best) {
            *a += b;
        }
        for (a, b) in self.sat_all.iter_mut().zip(&o.sat_all) {
            *a += b;
        }
        for (a, b) in self.sat_each.iter_mut().zip(&o.sat_each) {
            *a += b;
        }
        self.trials += o.trials;
    }

    /// The reported numbers, with rankings.
    pub fn summary(&self, model: &Model, policy_ids: &[String], scales: &[Option<f64>]) -> RobustnessSummary {
        let (np, no) = (self.np, self.no);
        let nt = self.thresholds.len();
        let n = self.trials.max(1) as f64;
        let mut policies: Vec<PolicyRobustness> = (0..np)
            .map(|p| PolicyRobustness {
                policy: policy_ids[p].clone(),
                regret_mean: self.regret[p].mean,
                regret_p90: self.regret_sketch[p].quantile(0.9),
                share_best: self.best[p] as f64 / self.regret[p].n.max(1) as f64,
                satisficing: (nt > 0).then(|| self.sat_all[p] as f64 / n),
                satisficing_each: (0..nt).map(|t| self.sat_each[p * nt + t] as f64 / n).collect(),
                rank_regret_mean: 0,
                rank_regret_p90: 0,
                rank_satisficing: None,
                outcomes: (0..no)
                    .filter(|&o| self.orient[o].is_some())
                    .map(|o| OutcomeRegret {
                        outcome: model.outcomes[o].id.clone(),
                        mean: self.regret_o[p * no + o].mean,
                        p90: self.regret_o_sketch[p * no + o].quantile(0.9),
                    })
                    .collect(),
            })
            .collect();
        // Competition ranking ("1224"): equal values share a rank, so ties
        // are never broken by the order the policies were listed in.
        let ranks = |key: &dyn Fn(&PolicyRobustness) -> f64, ascending: bool| -> Vec<usize> {
            (0..np)
                .map(|a| {
                    let x = key(&policies[a]);
                    1 + (0..np)
                        .filter(|&b| {
                            let y = key(&policies[b]);
                            if ascending { y < x } else { y > x }
                        })
                        .count()
                })
                .collect()
        };
        let r_mean = ranks(&|p| p.regret_mean, true);
        let r_p90 = ranks(&|p| p.regret_p90, true);
        let r_sat = ranks(&|p| p.satisficing.unwrap_or(f64::NAN), false);
        for (p, pr) in policies.iter_mut().enumerate() {
            pr.rank_regret_mean = r_mean[p];
            pr.rank_regret_p90 = r_p90[p];
            pr.rank_satisficing = (nt > 0).then_some(r_sat[p]);
        }
        RobustnessSummary {
            trials: self.trials,
            outcomes_in_overall: model
                .outcomes
                .iter()
                .zip(scales)
                .zip(&self.weights)
                .filter_map(|((o, s), &weight)| {
                    s.filter(|_| weight > 0.0).map(|sd| OverallOutcome {
                        outcome: o.id.clone(),
                        sd,
                        weight,
                    })
                })
                .collect(),
            thresholds: self.thresholds.clone(),
            policies,
        }
    }
}

/// An outcome's part in overall regret.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OverallOutcome {
    pub outcome: String,
    /// Pooled standard deviation: the outcome's unit of regret.
    pub sd: f64,
    /// Relative weight (1 unless `--weights` said otherwise).
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeRegret {
    pub outcome: String,
    pub mean: f64,
    pub p90: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PolicyRobustness {
    pub policy: String,
    /// Overall regret in standard deviations (see the module docs).
    pub regret_mean: f64,
    pub regret_p90: f64,
    /// Share of trials in which this policy had the best overall score.
    pub share_best: f64,
    /// Share of trials meeting every threshold (`None` without thresholds).
    pub satisficing: Option<f64>,
    pub satisficing_each: Vec<f64>,
    /// 1 = best.
    pub rank_regret_mean: usize,
    pub rank_regret_p90: usize,
    pub rank_satisficing: Option<usize>,
    pub outcomes: Vec<OutcomeRegret>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RobustnessSummary {
    pub trials: u64,
    /// Every outcome in overall regret, with its scale and weight.
    pub outcomes_in_overall: Vec<OverallOutcome>,
    pub thresholds: Vec<Threshold>,
    pub policies: Vec<PolicyRobustness>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::OutcomeKind;

    /// A model with two outcomes: `a` (Maximize) and `b` (Minimize), plus an Info one.
    fn model() -> Model {
        let mut m = crate::scenario::load(None).unwrap().model;
        m.outcomes.truncate(3);
        m.outcomes[0].id = "a".into();
        m.outcomes[0].kind = OutcomeKind::Maximize;
        m.outcomes[1].id = "b".into();
        m.outcomes[1].kind = OutcomeKind::Minimize;
        m.outcomes[2].id = "c".into();
        m.outcomes[2].kind = OutcomeKind::Info;
        m
    }

    #[test]
    fn regret_by_hand() {
        let m = model();
        let th = parse_satisfice(&m, "a>=2, b<3").unwrap();
        let mut r = RobustAcc::new(&m, 2, &th, &[]);
        // Trial 1: policy 0 has a=1,b=1; policy 1 has a=3,b=2.
        let t1 = [1.0, 1.0, 9.0, 3.0, 2.0, 9.0];
        // Trial 2: policy 0 has a=2,b=4; policy 1 has a=2,b=0.
        let t2 = [2.0, 4.0, 9.0, 2.0, 0.0, 9.0];
        let scales = vec![Some(1.0), Some(2.0), None];
        for t in [&t1, &t2] {
            r.push_outcomes(t);
            r.push_overall(t, &scales);
        }
        let s = r.summary(&m, &["p0".into(), "p1".into()], &scales);
        let (p0, p1) = (&s.policies[0], &s.policies[1]);
        // Outcome a: regrets p0 = (2, 0), p1 = (0, 0).
        assert_eq!(p0.outcomes[0].mean, 1.0);
        assert_eq!(p1.outcomes[0].mean, 0.0);
        // Outcome b (lower better): p0 = (0, 4), p1 = (1, 0).
        assert_eq!(p0.outcomes[1].mean, 2.0);
        assert_eq!(p1.outcomes[1].mean, 0.5);
        assert_eq!(p0.outcomes.len(), 2, "Info outcomes have no regret");
        // Scores (a/1 − b/2)/2: trial 1 p0 = 0.25, p1 = 1.0; trial 2 p0 = 0, p1 = 1.
        // Overall regret p0 = (0.75, 1), p1 = (0, 0).
        assert!((p0.regret_mean - 0.875).abs() < 1e-12);
        assert_eq!(p1.regret_mean, 0.0);
        assert_eq!(p0.regret_p90, 1.0);
        assert_eq!(p1.share_best, 1.0);
        assert_eq!(p0.share_best, 0.0);
        // Thresholds a>=2 and b<3: p0 meets both in no trial (t1 a=1; t2 b=4),
        // p1 in both.
        assert_eq!(p0.satisficing, Some(0.0));
        assert_eq!(p1.satisficing, Some(1.0));
        assert_eq!(p0.satisficing_each, vec![0.5, 0.5]);
        assert_eq!((p1.rank_regret_mean, p0.rank_regret_mean), (1, 2));
        assert_eq!((p1.rank_satisficing, p0.rank_satisficing), (Some(1), Some(2)));
    }

    #[test]
    fn ties_share_a_rank() {
        let m = model();
        let th = parse_satisfice(&m, "a>=5").unwrap();
        let mut r = RobustAcc::new(&m, 3, &th, &[]);
        // Policies 0 and 1 identical; policy 2 better on a.
        let t = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 0.0];
        r.push_outcomes(&t);
        r.push_overall(&t, &[Some(1.0), Some(1.0), None]);
        let s = r.summary(
            &m,
            &["p0".into(), "p1".into(), "p2".into()],
            &[Some(1.0), Some(1.0), None],
        );
        let ranks: Vec<usize> = s.policies.iter().map(|p| p.rank_regret_mean).collect();
        assert_eq!(ranks, vec![2, 2, 1]);
        // Nobody meets a>=5: all tie for first.
        let sat: Vec<Option<usize>> = s.policies.iter().map(|p| p.rank_satisficing).collect();
        assert_eq!(sat, vec![Some(1); 3]);
    }

    #[test]
    fn satisfice_errors_are_clear() {
        let m = model();
        let err = |s: &str| parse_satisfice(&m, s).unwrap_err().to_string();
        assert!(err("aa<=1").contains("did you mean `a`"), "{}", err("aa<=1"));
        assert!(err("a=1").contains("no comparison"));
        assert!(err("a<=x").contains("not a finite number"));
        assert!(err("a=>1").contains("not comparisons"));
        assert!(err("a<=1,,b>2").contains("clause 2"));
        assert!(err("<=3").contains("names no outcome"));
        assert!(err("").contains("empty"));
        let ok = parse_satisfice(&m, " a >= 0.9 , b<20").unwrap();
        assert_eq!(ok[0].op, Op::Ge);
        assert_eq!(ok[1].text(), "b<20");
    }

    #[test]
    fn scales_skip_info_and_constant_outcomes() {
        let m = model();
        // Two trials × one slot: a varies, b is constant, c (Info) varies.
        let v = [1.0, 5.0, 1.0, 3.0, 5.0, 2.0];
        let s = scales_from(&m, &v);
        assert!((s[0].unwrap() - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(s[1], None);
        assert_eq!(s[2], None);
    }

    /// Weights change the score and so the winner: with `b` weighted 0 only
    /// `a` counts, and the policy best on `a` has no regret.
    #[test]
    fn weights_reweigh_overall_regret() {
        let m = model();
        // Policy 0: a=1, b=0 (good on b); policy 1: a=2, b=3 (good on a).
        let t = [1.0, 0.0, 0.0, 2.0, 3.0, 0.0];
        let scales = vec![Some(1.0), Some(1.0), None];
        let run = |w: &[f64]| {
            let mut r = RobustAcc::new(&m, 2, &[], w);
            r.push_overall(&t, &scales);
            r.summary(&m, &["p0".into(), "p1".into()], &scales)
        };
        // Equal: scores p0 = (1 − 0)/2 = 0.5, p1 = (2 − 3)/2 = −0.5.
        let eq = run(&[]);
        assert_eq!((eq.policies[0].regret_mean, eq.policies[1].regret_mean), (0.0, 1.0));
        assert_eq!(eq.outcomes_in_overall.len(), 2);
        // Only a: p0 = 1, p1 = 2.
        let only_a = run(&parse_weights(&m, "b=0").unwrap());
        assert_eq!(
            (only_a.policies[0].regret_mean, only_a.policies[1].regret_mean),
            (1.0, 0.0)
        );
        assert_eq!(only_a.outcomes_in_overall.len(), 1);
        // a=3: p0 = (3 − 0)/4 = 0.75, p1 = (6 − 3)/4 = 0.75: a tie.
        let tie = run(&parse_weights(&m, "a=3").unwrap());
        assert_eq!(tie.policies[0].regret_mean, 0.0);
        assert_eq!(tie.policies[1].regret_mean, 0.0);
        assert_eq!(tie.outcomes_in_overall[0].weight, 3.0);
        // Only ratios matter: a=4,b=2 is a=2,b=1 (p0 = 2/3, p1 = 1/3).
        let regrets = |s: &RobustnessSummary| s.policies.iter().map(|p| p.regret_mean).collect::<Vec<_>>();
        let two = regrets(&run(&parse_weights(&m, "a=2").unwrap()));
        assert_eq!(two[0], 0.0);
        assert!((two[1] - 1.0 / 3.0).abs() < 1e-12, "{two:?}");
        assert_eq!(regrets(&run(&parse_weights(&m, "a=4,b=2").unwrap())), two);
    }

    #[test]
    fn weight_errors_are_clear() {
        let m = model();
        let err = |s: &str| parse_weights(&m, s).unwrap_err().to_string();
        assert!(err("aa=2").contains("did you mean `a`"), "{}", err("aa=2"));
        assert!(err("aa=2").contains("--weights"));
        assert!(err("a:2").contains("not `outcome=weight`"));
        assert!(err("a=-1").contains("not a weight"));
        assert!(err("a=inf").contains("not a weight"));
        assert!(err("c=2").contains("information outcome"));
        assert!(err("a=1,a=2").contains("weighted twice"));
        assert!(err("a=0,b=0").contains("weight 0"));
        assert!(err("=2").contains("names no outcome"));
        assert!(err(" ").contains("empty"));
        assert_eq!(parse_weights(&m, " b = 0.5 ").unwrap(), vec![1.0, 0.5, 1.0]);
    }
}
