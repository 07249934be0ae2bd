//! `charts/`: distributions of every outcome and fan charts of key variables.

use super::{Exporter, Report};
use crate::model::{Model, OutcomeDef};
use crate::plot::{self, ChartContext, EventBar, EventChart, FanChart, OutcomeChart, PolicyBands, PolicySample};
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result};
use std::path::Path;

/// Distribution charts use the per-trial values kept by the run (the first
/// `keep_values` trials — an unbiased sample, trials being independent);
/// fan charts use the run's histograms.
pub struct Charts;

/// The title of an event outcome's chart: its label and the window the
/// probability covers, taken from the outcome's first and last turns ("Russia
/// formally recognizes the Taliban, 2021Q3–2030").
pub fn event_title(model: &Model, o: &OutcomeDef) -> String {
    format!("{}, {}", o.label, o.window_label(&model.calendar))
}

/// What "better" means for an outcome, in a chart's words.
pub fn direction(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Maximize => "higher is better for the US",
        OutcomeKind::Minimize => "lower is better for the US",
        OutcomeKind::Info => "for information",
    }
}

impl Exporter for Charts {
    fn export(&self, r: &Report, dir: &Path) -> Result<()> {
        let dir = dir.join("charts");
        std::fs::create_dir_all(&dir).context("creating charts/")?;
        let m = r.manifest;
        let ctx = ChartContext {
            scenario: r.model.title.clone(),
            run_label: format!("{} trials per policy, seed {}", m.trials, m.seed),
            caveat: r.model.caveat.clone(),
        };
        let ids: Vec<&str> = r.summaries.iter().map(|p| p.id.as_str()).collect();
        for (oi, o) in r.model.outcomes.iter().enumerate() {
            if o.is_event() {
                let bars = r
                    .summaries
                    .iter()
                    .filter_map(|p| {
                        p.outcomes[oi].probability.map(|pr| EventBar {
                            policy: p.id.as_str(),
                            probability: pr.p,
                            lo95: pr.lo95,
                            hi95: pr.hi95,
                        })
                    })
                    .collect();
                plot::draw_event_probabilities(
                    &ctx,
                    &EventChart {
                        id: &o.id,
                        title: &event_title(r.model, o),
                        direction: direction(o.kind),
                        description: &o.description,
                        bars,
                    },
                    &dir,
                )?;
            } else {
                let samples = ids
                    .iter()
                    .enumerate()
                    .map(|(pi, id)| PolicySample {
                        policy: id,
                        values: &r.results.values[pi][oi],
                    })
                    .collect();
                let chart = OutcomeChart {
                    id: &o.id,
                    title: &o.label,
                    unit: &o.unit,
                    direction: direction(o.kind),
                    description: &o.description,
                    samples,
                };
                plot::draw_distribution(&ctx, &chart, &dir)?;
                plot::draw_ecdf(&ctx, &chart, &dir)?;
            }
        }
        if let Some(f) = &r.results.fans {
            let times: Vec<f64> = (0..r.model.turns).map(|t| r.model.calendar.year(t)).collect();
            for (k, &v) in f.vars.iter().enumerate() {
                let def = &r.model.vars[v];
                let policies = ids
                    .iter()
                    .enumerate()
                    .map(|(pi, id)| PolicyBands {
                        policy: id,
                        bands: f.bands(r.model, pi, k),
                    })
                    .collect();
                let chart = FanChart {
                    id: &def.id,
                    title: &def.label,
                    unit: &def.unit,
                    times: times.clone(),
                    decision: r.model.calendar.year(r.model.decision_turn),
                    policies,
                };
                plot::draw_fan(&ctx, &chart, &dir)?;
            }
        }
        Ok(())
    }
}

/// The context every chart of a model carries (title, run label, caveat).
pub fn chart_context(model: &Model, label: String) -> ChartContext {
    ChartContext {
        scenario: model.title.clone(),
        run_label: label,
        caveat: model.caveat.clone(),
    }
}
