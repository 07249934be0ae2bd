//! From accumulated statistics to the numbers reported per policy and outcome.

use super::stats::wilson95;
use crate::experiment::Results;
use crate::model::Model;
use crate::scenario::schema::OutcomeKind;
use serde::Serialize;

/// One outcome under one policy.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeSummary {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub kind: OutcomeKind,
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    /// For event outcomes: the probability and its 95% Wilson interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<Probability>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Probability {
    pub p: f64,
    pub lo95: f64,
    pub hi95: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PolicySummary {
    pub id: String,
    pub label: String,
    pub author: String,
    /// Key of the cited work in the scenario's `sources`, if it names one.
    pub source: Option<String>,
    /// Author, title, outlet, date and URL of the work the package comes from.
    pub citation: String,
    pub date: String,
    pub summary: String,
    pub outcomes: Vec<OutcomeSummary>,
}

/// Summaries for every policy run, in run order.
pub fn summarise(model: &Model, results: &Results) -> Vec<PolicySummary> {
    results
        .design
        .policies
        .iter()
        .zip(&results.stats)
        .map(|(&p, stats)| {
            let pol = &model.policies[p];
            let outcomes = model
                .outcomes
                .iter()
                .zip(stats)
                .map(|(o, s)| {
                    let m = &s.moments;
                    let q = |x| s.sketch.quantile(x);
                    let probability = o.is_event().then(|| {
                        let (lo95, hi95) = wilson95(m.mean * m.n as f64, m.n);
                        Probability { p: m.mean, lo95, hi95 }
                    });
                    OutcomeSummary {
                        id: o.id.clone(),
                        label: o.label.clone(),
                        unit: o.unit.clone(),
                        kind: o.kind,
                        n: m.n,
                        mean: m.mean,
                        sd: m.sd(),
                        p05: q(0.05),
                        p25: q(0.25),
                        p50: q(0.5),
                        p75: q(0.75),
                        p95: q(0.95),
                        probability,
                    }
                })
                .collect();
            PolicySummary {
                id: pol.id.clone(),
                label: pol.label.clone(),
                author: pol.author.clone(),
                source: model.policy_source(pol).map(|s| s.key.clone()),
                citation: model.policy_citation(pol),
                date: pol.date.clone(),
                summary: pol.summary.clone(),
                outcomes,
            }
        })
        .collect()
}
