//! Scoring the hindcast against the record's targets.
//!
//! Statistics are computed on the ensemble: a ratio target compares the mean
//! of one year with the mean of another (the expected path), not the
//! per-trial ratio, whose mean is dominated by trials with tiny denominators.

use super::run::HindcastResults;
use super::spec::{Check, Record, Stat, Target};
use crate::analysis::stats::wilson95;
use crate::numfmt::sig as fmt_sig;

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// What was measured, in words ("mean 2022", "P(by end-2023)").
    pub what: String,
    pub value: f64,
    /// 95% interval for probabilities (Wilson), when meaningful.
    pub interval: Option<(f64, f64)>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pass: bool,
}

#[derive(Debug, Clone)]
pub struct TargetResult<'a> {
    pub target: &'a Target,
    pub checks: Vec<CheckResult>,
}

impl TargetResult<'_> {
    pub fn pass(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.pass)
    }
}

pub fn evaluate<'a>(rec: &'a Record, res: &HindcastResults) -> Vec<TargetResult<'a>> {
    rec.targets
        .iter()
        .map(|t| TargetResult {
            target: t,
            checks: t.checks.iter().map(|c| check(rec, res, c)).collect(),
        })
        .collect()
}

fn check(rec: &Record, res: &HindcastResults, c: &Check) -> CheckResult {
    let mean = |s: usize, y: usize| res.series[s][y].moments.mean;
    let year = |y: usize| rec.years[y];
    let (what, value, interval) = match c.stat {
        Stat::Mean { series, year: y } => (
            format!("{} {}, mean", rec.series[series].id, year(y)),
            mean(series, y),
            None,
        ),
        Stat::Growth { series, year: y } => (
            format!("{} growth {} over {}", rec.series[series].id, year(y), year(y - 1)),
            mean(series, y) / mean(series, y - 1) - 1.0,
            None,
        ),
        Stat::Ratio { series, year: y, over } => (
            format!("{} {} / {}", rec.series[series].id, year(y), year(over)),
            mean(series, y) / mean(series, over),
            None,
        ),
        Stat::ProbBy { event, year: y } => {
            let k = res.occurred[event][y];
            (
                format!("P({} by end-{})", rec.events[event].id, year(y)),
                k as f64 / res.trials as f64,
                Some(wilson95(k as f64, res.trials)),
            )
        }
        Stat::ProbIn { event, year: y } => {
            let k = res.occurred_in[event][y];
            (
                format!("P({} in {})", rec.events[event].id, year(y)),
                k as f64 / res.trials as f64,
                Some(wilson95(k as f64, res.trials)),
            )
        }
        Stat::TotalMean { series, from, to } => (
            format!("{} {}-{} total, mean", rec.series[series].id, year(from), year(to)),
            res.total(series, from, to).map_or(f64::NAN, |s| s.moments.mean),
            None,
        ),
        Stat::TotalP95 { series, from, to } => (
            format!(
                "{} {}-{} total, 95th percentile",
                rec.series[series].id,
                year(from),
                year(to)
            ),
            res.total(series, from, to)
                .map_or(f64::NAN, |s| s.sketch.quantile(0.95)),
            None,
        ),
    };
    let pass = value.is_finite() && c.min.is_none_or(|m| value >= m) && c.max.is_none_or(|m| value <= m);
    CheckResult {
        what,
        value,
        interval,
        min: c.min,
        max: c.max,
        pass,
    }
}

/// "0.70 to 0.80", "at least 0.60", "at most 0.05".
pub fn band_text(min: Option<f64>, max: Option<f64>) -> String {
    let f = |x: f64| fmt_sig(x, 3);
    match (min, max) {
        (Some(a), Some(b)) => format!("{} to {}", f(a), f(b)),
        (Some(a), None) => format!("at least {}", f(a)),
        (None, Some(b)) => format!("at most {}", f(b)),
        (None, None) => "any".into(),
    }
}
