//! Charts of a comparison: the scorecard, per-outcome distributions side by
//! side, and per-policy mechanism forests (`charts/`).

use super::comparison::{CompareReport, kind_word, sgn};
use crate::analysis::explain::relative;
use crate::analysis::paired::orientation;
use crate::analysis::stats::wilson95;
use crate::numfmt::sig as fmt_sig;
use crate::plot::forest::{Forest, ForestRow, Tone, draw_forest};
use crate::plot::scorecard::{Cell, Scorecard, ScorecardRow, draw_scorecard};
use crate::plot::{self, ChartContext, EventBar, EventChart, OutcomeChart, PolicySample};
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result};
use std::path::Path;

/// Mechanism rows per forest chart.
pub const FOREST_ROWS: usize = 12;

pub fn context(r: &CompareReport) -> ChartContext {
    ChartContext {
        scenario: r.model.title.clone(),
        run_label: format!(
            "{} trials, seed {}, paired against {}",
            r.manifest.trials, r.manifest.seed, r.manifest.baseline
        ),
        caveat: r.model.caveat.clone(),
    }
}

fn direction(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Maximize => "higher is better for the US",
        OutcomeKind::Minimize => "lower is better for the US",
        OutcomeKind::Info => "for information",
    }
}

/// The scorecard of every reported policy (columns) and outcome (rows).
pub fn scorecard(r: &CompareReport) -> Scorecard {
    let c = r.cmp;
    let rows = r
        .model
        .outcomes
        .iter()
        .enumerate()
        .map(|(o, def)| ScorecardRow {
            label: def.label.clone(),
            note: format!("{} · {}", def.unit, kind_word(def.kind)),
            percent_points: def.is_event(),
            scale: c.scales[o].unwrap_or(0.0),
            cells: c
                .design
                .rows
                .iter()
                .map(|&slot| {
                    let row = c
                        .rows
                        .iter()
                        .find(|x| x.slot == slot && x.outcome_index == o)
                        .expect("one row per reported policy and outcome");
                    Cell {
                        diff: row.s.diff_mean,
                        lo95: row.s.diff_lo95,
                        hi95: row.s.diff_hi95,
                        oriented_sd: match (orientation(def.kind), c.scales[o]) {
                            (Some(s), Some(sd)) => Some(s * row.s.diff_mean / sd),
                            (Some(_), None) => Some(0.0),
                            _ => None,
                        },
                        distinguishable: row.s.distinguishable,
                        holm: row.s.distinguishable_holm,
                    }
                })
                .collect(),
        })
        .collect();
    Scorecard {
        title: "Scorecard: each policy against the baseline, on the same trials".into(),
        baseline: c.policy_ids[0].clone(),
        policies: c.design.rows.iter().map(|&s| c.policy_ids[s].clone()).collect(),
        rows,
        provenance: c.design.slots.iter().map(|&pi| provenance(r, pi)).collect(),
    }
}

/// "id — author, "title", outlet, date, URL" for chart footers: the citation a reader
/// can check (docs/sources.md), never a file only the scenario's author has.
pub fn provenance(r: &CompareReport, policy: usize) -> String {
    let p = &r.model.policies[policy];
    format!("{} — {}", p.id, r.model.policy_citation(p))
}

/// Forest of the largest action-share differences of reported slot `slot`.
pub fn action_forest(r: &CompareReport, slot: usize) -> Option<Forest> {
    let (_, m) = r.cmp.mechanisms.iter().find(|(s, _)| *s == slot)?;
    let pid = &r.cmp.policy_ids[slot];
    let rows = m
        .top_actions(FOREST_ROWS)
        .into_iter()
        .map(|a| ForestRow {
            label: format!("{}: {}", a.actor, a.action_label),
            value: 100.0 * a.diff.diff_mean,
            lo95: 100.0 * a.diff.diff_lo95,
            hi95: 100.0 * a.diff.diff_hi95,
            text: format!(
                "{} pp ({:.0}% → {:.0}%)",
                sgn(100.0 * a.diff.diff_mean, 2),
                100.0 * a.diff.baseline_mean,
                100.0 * a.diff.policy_mean
            ),
            tone: Tone::Plain,
        })
        .collect();
    Some(Forest {
        id: format!("explain_actions_{pid}"),
        title: format!("Why {pid} differs: actors' choices"),
        subtitle: format!(
            "Share of turns {}–{} in which each actor chose the action: {pid} minus {} (percentage points)",
            m.years.first().copied().unwrap_or_default(),
            m.years.last().copied().unwrap_or_default(),
            r.cmp.policy_ids[0]
        ),
        x_desc: "difference in share of turns (percentage points)".into(),
        source: provenance(r, r.cmp.design.slots[slot]),
        rows,
    })
}

/// Forest of the event-rate differences of reported slot `slot`, as relative
/// change (events differ in frequency by orders of magnitude).
pub fn event_forest(r: &CompareReport, slot: usize) -> Option<Forest> {
    let (_, m) = r.cmp.mechanisms.iter().find(|(s, _)| *s == slot)?;
    let pid = &r.cmp.policy_ids[slot];
    let rows = m
        .top_events(FOREST_ROWS)
        .into_iter()
        .filter(|e| e.diff.baseline_mean > 0.0)
        .map(|e| {
            let b = e.diff.baseline_mean;
            let d = &e.diff;
            ForestRow {
                label: e.label.clone(),
                value: 100.0 * d.diff_mean / b,
                lo95: 100.0 * d.diff_lo95 / b,
                hi95: 100.0 * d.diff_hi95 / b,
                text: format!(
                    "{} → {} /yr ({}%)",
                    fmt_sig(b, 3),
                    fmt_sig(d.policy_mean, 3),
                    sgn(100.0 * relative(d) * d.diff_mean.signum(), 2)
                ),
                tone: Tone::Plain,
            }
        })
        .collect();
    Some(Forest {
        id: format!("explain_events_{pid}"),
        title: format!("Why {pid} differs: how often events happen"),
        subtitle: format!(
            "Events per year {}–{}: {pid} relative to {} (interval scaled by the baseline rate)",
            m.years.first().copied().unwrap_or_default(),
            m.years.last().copied().unwrap_or_default(),
            r.cmp.policy_ids[0]
        ),
        x_desc: "change in events per year (% of the baseline rate)".into(),
        source: provenance(r, r.cmp.design.slots[slot]),
        rows,
    })
}

/// Draw every comparison chart into `dir/charts`.
pub fn draw_all(r: &CompareReport, dir: &Path, distributions: bool) -> Result<()> {
    let dir = dir.join("charts");
    std::fs::create_dir_all(&dir).context("creating charts/")?;
    let ctx = context(r);
    draw_scorecard(&ctx, &scorecard(r), &dir)?;
    let panels = rank_panels(r);
    if !panels.is_empty() {
        crate::plot::ranks::draw_rank_stability(&ctx, &panels, &dir)?;
    }
    for &slot in &r.cmp.design.rows {
        if let Some(f) = action_forest(r, slot) {
            draw_forest(&ctx, &f, &dir)?;
        }
        if let Some(f) = event_forest(r, slot) {
            draw_forest(&ctx, &f, &dir)?;
        }
    }
    if distributions {
        draw_distributions(r, &ctx, &dir)?;
    }
    Ok(())
}

/// The rank-stability chart's panels: `all` first, then each world; policies in slot order.
pub fn rank_panels(r: &CompareReport) -> Vec<crate::plot::ranks::RankPanel> {
    use crate::analysis::ranks::ALL;
    let mut worlds: Vec<&str> = Vec::new();
    for row in &r.cmp.ranks {
        if !worlds.contains(&row.world.as_str()) {
            worlds.push(&row.world);
        }
    }
    worlds.sort_by_key(|w| *w != ALL);
    worlds
        .into_iter()
        .map(|w| {
            let rows: Vec<_> = r.cmp.ranks.iter().filter(|x| x.world == w).collect();
            crate::plot::ranks::RankPanel {
                world: if w == ALL {
                    "all worlds (weighted mixture)".into()
                } else {
                    w.to_string()
                },
                trials: rows.first().map_or(0, |x| x.trials),
                bars: r
                    .cmp
                    .policy_ids
                    .iter()
                    .map(|p| {
                        (
                            p.clone(),
                            rows.iter().filter(|x| &x.policy == p).map(|x| x.share).collect(),
                        )
                    })
                    .filter(|(_, s): &(String, Vec<f64>)| !s.is_empty())
                    .collect(),
            }
        })
        .collect()
}

/// Per outcome, every compared policy (baseline first) side by side.
fn draw_distributions(r: &CompareReport, ctx: &ChartContext, dir: &Path) -> Result<()> {
    let c = r.cmp;
    let n = r.manifest.trials;
    for (o, def) in r.model.outcomes.iter().enumerate() {
        if def.is_event() {
            let mean_of = |slot: usize| -> f64 {
                c.rows
                    .iter()
                    .find(|x| x.outcome_index == o && (x.slot == slot || slot == 0))
                    .map(|x| if slot == 0 { x.s.baseline_mean } else { x.s.policy_mean })
                    .unwrap_or(f64::NAN)
            };
            let bars = (0..c.policy_ids.len())
                .map(|slot| {
                    let p = mean_of(slot);
                    let (lo95, hi95) = wilson95(p * n as f64, n);
                    EventBar {
                        policy: c.policy_ids[slot].as_str(),
                        probability: p,
                        lo95,
                        hi95,
                    }
                })
                .collect();
            plot::draw_event_probabilities(
                ctx,
                &EventChart {
                    id: &def.id,
                    title: &super::charts::event_title(r.model, def),
                    direction: direction(def.kind),
                    description: &def.description,
                    bars,
                },
                dir,
            )?;
        } else {
            let samples = (0..c.policy_ids.len())
                .map(|slot| PolicySample {
                    policy: c.policy_ids[slot].as_str(),
                    values: &c.kept[slot][o],
                })
                .collect();
            plot::draw_distribution(
                ctx,
                &OutcomeChart {
                    id: &def.id,
                    title: &def.label,
                    unit: &def.unit,
                    direction: direction(def.kind),
                    description: &def.description,
                    samples,
                },
                dir,
            )?;
        }
    }
    Ok(())
}
